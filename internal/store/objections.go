package store

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/fault"
)

// ErrConflict: the row changed since it was read (an update gave the rev
// it read, and another update came first).
var ErrConflict error = fault.Conflict

// ObjectionRow is an objection (异议) as stored. The case's state machine,
// timers and history are package objection's; the store keeps them as
// Body (JSON) and the columns below, which it searches.
type ObjectionRow struct {
	ID            int64
	RecordID      int64
	RecordVersion int // the version objected to
	SubjectID     int64
	Dept          string // USCC of the department that supplied the record
	State         string
	Marks         bool   // the record is shown marked 异议处理中 now
	ApplicantUser int64  // the account that filed it (0: entered by staff)
	ApplicantName string // who objects
	Contact       []byte // the applicant's contact, encrypted with the data key (nil: none)
	FiledAt       time.Time
	UpdatedAt     time.Time
	DueOn         string // due day (YYYY-MM-DD) of the step the case waits on; "" when it waits on nobody
	Body          []byte // objection.Case as JSON
	Rev           int    // incremented by every update
	// Files are the evidence attached at filing, without their data (set
	// by GetObjection).
	Files []CaseFile
}

// ObjectionStore keeps objections. Every change is written with its audit
// entry in one transaction.
type ObjectionStore interface {
	// AddObjection stores a new objection with its files (ID, Rev 1 and
	// the times set on the returned row) and flags its record as objected
	// to.
	AddObjection(ctx context.Context, o ObjectionRow, files []CaseFile, audit auth.AuditEntry) (ObjectionRow, error)
	// ObjectionFile returns an attached file with its data (ErrNotFound).
	ObjectionFile(ctx context.Context, id int64) (CaseFile, error)
	// UpdateObjection stores o if the stored row's Rev is still o.Rev
	// (ErrConflict otherwise) and returns it with Rev incremented.
	UpdateObjection(ctx context.Context, o ObjectionRow, audit auth.AuditEntry) (ObjectionRow, error)
	// GetObjection returns an objection by id (ErrNotFound).
	GetObjection(ctx context.Context, id int64) (ObjectionRow, error)
	// ObjectionsOfRecords returns the objections to these records, by id.
	ObjectionsOfRecords(ctx context.Context, recordIDs []int64) ([]ObjectionRow, error)
	// ListObjections returns objections ordered by the due day of the step
	// they wait on (none last), then by id.
	ListObjections(ctx context.Context, f CaseFilter) ([]ObjectionRow, error)
}
