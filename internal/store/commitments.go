package store

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
)

// CommitmentRepair is the kind (承诺类型) of the commitment signed with a
// repair application.
const CommitmentRepair = "信用修复型"

// CommitmentPublic is the 公开类型 of a commitment anyone may see
// (commitment.Public).
const CommitmentPublic = "可向社会公开"

// Commitment is a credit commitment (信用承诺, domain facts §8) in the
// registry: signed online by its subject, registered by the department
// that accepted it, or signed with a repair application. The rules on
// its fields (kinds, 履行状态, 公开类型, what an assessment needs) are
// package commitment's; the store keeps them.
type Commitment struct {
	ID int64
	// Code is the 承诺编码: a 6-digit region (the accepting department's,
	// else the subject's; 000000 when neither is known), the day it was
	// made (YYYYMMDD, China) and a 6-digit sequence per region and day.
	// The store computes it when the commitment is added.
	Code      string
	Kind      string // 承诺类型: CommitmentRepair, 审批替代型, …
	KindOther string // what kind, when Kind is 其他
	SubjectID int64  // the promisor (承诺人); its class and code are the subject's
	// PromisorName is the name the promisor signed under (承诺人名称).
	PromisorName string
	Matter       string // 承诺事由
	Content      string // 承诺内容
	Liability    string // 违诺责任
	MadeOn       string // 承诺作出日期, YYYY-MM-DD (default: the day it is added, China)
	ValidUntil   string // 承诺有效期, YYYY-MM-DD, or ""
	AcceptorName string // 承诺受理单位 ("" for a repair commitment: the platform accepts it)
	AcceptorCode string // 承诺受理单位代码 (USCC)
	Disclosure   string // 公开类型
	Note         string // 备注

	// The assessment (履行状态认定) by the accepting department; Status
	// is "" until assessed.
	Status       string // 承诺履行状态
	Unfulfilled  string // 未履行的承诺内容
	Pursued      string // 违诺责任追究内容
	AssessedOn   string // 认定日期, YYYY-MM-DD
	AssessorName string // 认定单位
	AssessorCode string // 认定单位代码
	// BreachRecordID is the bad record filed through intake for a breach
	// (0: none).
	BreachRecordID int64

	MadeBy    int64  // the account that signed it online (0: registered by staff or a client)
	History   []byte // JSON of its events (package commitment)
	Rev       int    // incremented by every update
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CommitmentFilter selects commitments for ListCommitments; zero fields
// select everything.
type CommitmentFilter struct {
	SubjectID    int64
	AcceptorCode string   // accepted by this department
	MadeBy       int64    // signed online by this account
	Disclosures  []string // with one of these 公开类型
	Unassessed   bool     // only those not yet assessed (Status "")
	Limit        int      // 0: 500
	// For the public column (internal/store/window.go): 承诺类型, 履行状态
	// ("" any), part of the promisor's name, and the rows to skip.
	Kind, Status, Promisor string
	Offset                 int
}

// CommitmentStore keeps the commitment registry. Every change is written
// with its audit entry in one transaction.
type CommitmentStore interface {
	// AddCommitment stores a new commitment, its code computed in the
	// transaction from region (6 digits; anything else counts as
	// 000000) and c.MadeOn, and returns it with ID, Code, Rev 1 and the
	// times set. ErrNotFound when the subject does not exist.
	AddCommitment(ctx context.Context, c Commitment, region string, audit auth.AuditEntry) (Commitment, error)
	// UpdateCommitment stores c's assessment, breach record, history and
	// note if the stored Rev is still c.Rev (ErrConflict otherwise) and
	// returns it with Rev incremented. What was committed to (kind,
	// promisor, matter, content, liability, dates, acceptor, disclosure)
	// never changes.
	UpdateCommitment(ctx context.Context, c Commitment, audit auth.AuditEntry) (Commitment, error)
	// GetCommitment returns a commitment by id (ErrNotFound).
	GetCommitment(ctx context.Context, id int64) (Commitment, error)
	// ListCommitments returns the commitments f selects, newest first.
	ListCommitments(ctx context.Context, f CommitmentFilter) ([]Commitment, error)
}
