package store

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
)

// The online intermediary-service marketplace (网上中介服务超市, package
// market). The store keeps three documents and the files they point to;
// the rules on their contents (states, deadlines, selection) are package
// market's. Agencies and projects are versioned: an update names the Rev
// it read and fails with ErrConflict when another update came first.

// MarketItem is an intermediary-service item of an industry's catalogue
// (中介服务事项, 第十一条), kept by its industry department.
type MarketItem struct {
	ID            int64
	Industry      string // 行业
	Name          string // 事项名称
	Type          string // 类型 (技术审查, 评估, 检测 …)
	Basis         string // 设立依据
	Qualification string // 中介机构资质（资格）要求
	Approvals     string // 涉及的审批事项
	TimeLimit     string // 办理时限
	Fee           string // 收费标准
	DeptOrgID     int64  // the industry department that keeps it
	Active        bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// MarketAgency is an agency's file in the marketplace (中介机构库): its
// application, review, changes, exit and dishonesty, as JSON in Body.
type MarketAgency struct {
	ID        int64
	SubjectID int64  // the agency as a credit subject; one file per subject
	State     string // package market's states (applied, active, refused, exited …)
	Body      []byte
	Rev       int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MarketProject is a purchase (采购项目) with its notice, enrolments,
// selection, confirmation, contract and rating, as JSON in Body.
type MarketProject struct {
	ID         int64
	OwnerOrgID int64 // the owner's organisation (项目业主); 0 for a firm
	// OwnerSubjectID is the firm that owns the project (0: a government
	// owner, OwnerOrgID).
	OwnerSubjectID int64
	State          string
	// WinnerSubjectID is the selected agency's subject (0: none yet).
	WinnerSubjectID int64
	Body            []byte
	Rev             int
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// MarketOwner is a firm registered as a project owner (项目业主库), its
// registration as JSON in Body.
type MarketOwner struct {
	SubjectID int64
	Body      []byte
	CreatedAt time.Time
}

// MarketFile is an uploaded file: an agency's scans, a contract, a
// result. Owner names what it belongs to ("agency:ID", "project:ID").
type MarketFile struct {
	ID        int64
	Owner     string
	Name      string
	Type      string
	SHA256    string
	Data      []byte
	CreatedAt time.Time
}

// MarketProjectFilter selects projects; zero fields select everything.
type MarketProjectFilter struct {
	OwnerOrgID      int64
	OwnerSubjectID  int64
	WinnerSubjectID int64
	States          []string
	Limit           int // 0: 500
}

// MarketStore keeps the marketplace. Every change is written with its
// audit entry in one transaction.
type MarketStore interface {
	// PutMarketItem adds an item (ID 0) or replaces one.
	PutMarketItem(ctx context.Context, it MarketItem, audit auth.AuditEntry) (MarketItem, error)
	GetMarketItem(ctx context.Context, id int64) (MarketItem, error)
	// ListMarketItems returns the items, by industry and name.
	ListMarketItems(ctx context.Context, activeOnly bool) ([]MarketItem, error)

	// AddMarketAgency adds an agency's file (fault.Exists when the subject
	// has one) with Rev 1.
	AddMarketAgency(ctx context.Context, a MarketAgency, audit auth.AuditEntry) (MarketAgency, error)
	// UpdateMarketAgency stores a's state and body if the stored Rev is
	// still a.Rev (ErrConflict otherwise), returning it with Rev + 1.
	UpdateMarketAgency(ctx context.Context, a MarketAgency, audit auth.AuditEntry) (MarketAgency, error)
	GetMarketAgency(ctx context.Context, id int64) (MarketAgency, error)
	// MarketAgencyOf returns the subject's file (ErrNotFound).
	MarketAgencyOf(ctx context.Context, subjectID int64) (MarketAgency, error)
	// ListMarketAgencies returns the files in one of states (all when
	// none), oldest first.
	ListMarketAgencies(ctx context.Context, states ...string) ([]MarketAgency, error)

	// AddMarketProject adds a project with Rev 1.
	AddMarketProject(ctx context.Context, p MarketProject, audit auth.AuditEntry) (MarketProject, error)
	// UpdateMarketProject stores p's state, winner and body if the stored
	// Rev is still p.Rev (ErrConflict otherwise), returning it with Rev + 1.
	UpdateMarketProject(ctx context.Context, p MarketProject, audit auth.AuditEntry) (MarketProject, error)
	GetMarketProject(ctx context.Context, id int64) (MarketProject, error)
	// ListMarketProjects returns the projects f selects, newest first.
	ListMarketProjects(ctx context.Context, f MarketProjectFilter) ([]MarketProject, error)

	// AddMarketOwner registers a firm as a project owner (fault.Exists
	// when it is registered); MarketOwnerOf reads it (ErrNotFound).
	AddMarketOwner(ctx context.Context, o MarketOwner, audit auth.AuditEntry) (MarketOwner, error)
	MarketOwnerOf(ctx context.Context, subjectID int64) (MarketOwner, error)

	// AddMarketFile stores a file and returns its id; GetMarketFile reads
	// it back with its data.
	AddMarketFile(ctx context.Context, f MarketFile) (int64, error)
	GetMarketFile(ctx context.Context, id int64) (MarketFile, error)
}
