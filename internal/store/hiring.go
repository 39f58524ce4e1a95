package store

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
)

// HiringCheck is a request to check the credit records of candidates for
// a civil-service or public-institution post (陕发改财金〔2021〕789号):
// the request document filed by the requesting unit, the candidates, and
// the workflow (package hiring keeps its rules; Flow is its JSON).
type HiringCheck struct {
	ID            int64
	OrgID         int64  // the requesting unit (查询申请单位)
	OrgPath       string //
	ResponderID   int64  // the credit office that answers
	ResponderPath string //
	Kind          string // hiring kind code (package hiring's routing rules)
	Level         string // the level that answers: province or city
	State         string // package hiring's states
	// The request document (附件1): its number (文号), title, the hiring
	// matter, the contact and the contact's phone.
	DocNo, Title, Matter, Contact, Phone string
	Flow                                 []byte // JSON of package hiring's workflow
	Rev                                  int
	CreatedAt, UpdatedAt                 time.Time
	ClosedAt                             time.Time // the reply sent and every objection closed; zero while open
	ErasedAt                             time.Time // personal data erased; zero while kept
	Candidates                           []HiringCandidate
}

// HiringCandidate is one candidate of a request. NameEnc and IDEnc are
// encrypted with the data key; after erasure they are nil and SubjectID 0.
type HiringCandidate struct {
	Index     int // 1-based, in the order of the request
	NameEnc   []byte
	IDEnc     []byte
	Post      string
	SubjectID int64 // the person's subject, when the platform has one
	Target    bool  // is a 失信联合惩戒对象 (set by the check)
	Lists     []byte
}

// HiringFilter selects requests; zero fields select everything.
type HiringFilter struct {
	OrgPath       string // requested by this organisation or below
	ResponderPath string // answered by this organisation or below
	SubjectID     int64  // about this candidate
	Limit         int    // 0: 200
}

// HiringStore keeps hiring checks. Every change is written with its audit
// entries in one transaction.
type HiringStore interface {
	// AddHiringCheck stores a new request with its candidates and returns
	// it with its ID, Rev 1 and times set. A unit's document number is
	// unique (a fault.Exists for a second request with the same one).
	AddHiringCheck(ctx context.Context, c HiringCheck, audits []auth.AuditEntry) (HiringCheck, error)
	// UpdateHiringCheck stores c's state, flow, closing time and its
	// candidates' subject, target and lists if the stored Rev is still
	// c.Rev (ErrConflict otherwise), and returns it with Rev incremented.
	UpdateHiringCheck(ctx context.Context, c HiringCheck, audits []auth.AuditEntry) (HiringCheck, error)
	// GetHiringCheck returns a request with its candidates (ErrNotFound).
	GetHiringCheck(ctx context.Context, id int64) (HiringCheck, error)
	// ListHiringChecks returns the requests f selects, newest first,
	// without their candidates.
	ListHiringChecks(ctx context.Context, f HiringFilter) ([]HiringCheck, error)
	// EraseHiringData erases the personal data (candidates' names, ID
	// numbers and subjects) of every request closed before before and not
	// erased yet, with one audit entry per request, and returns how many.
	EraseHiringData(ctx context.Context, before time.Time, audit auth.AuditEntry) (int, error)
}
