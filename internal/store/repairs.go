package store

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
)

// RepairRow is a credit repair application (信用修复申请) as stored. The
// application's state machine, timers and history are package repair's;
// the store keeps them as Body (JSON) and the columns below, which it
// searches.
type RepairRow struct {
	ID            int64
	RecordID      int64
	RecordVersion int // the version in force when the application was filed
	SubjectID     int64
	Dept          string // USCC of the department that supplied the record
	State         string
	ApplicantUser int64  // the account that filed it (0: entered by staff)
	ApplicantName string // the applicant subject's name
	CommitmentID  int64  // the 信用修复型 commitment signed with the application
	FiledAt       time.Time
	UpdatedAt     time.Time
	DueOn         string // due day (YYYY-MM-DD) of the step the application waits on; "" when it waits on nobody
	// ApprovedOn is the day (YYYY-MM-DD, China) the repair was approved;
	// "" otherwise. UpdateRepair copies it to the record (Record.RepairedOn).
	ApprovedOn string
	Body       []byte // repair.Application as JSON
	Rev        int    // incremented by every update
	// Unrepair, on an update, clears the record's repair day (the repair
	// was revoked after a failed re-check) and appends the
	// ChangeRepairRevoked event, in the update's transaction. Not stored.
	Unrepair bool
	// Assess, when set on an update, is the application's commitment with
	// its assessment (履行状态 after a re-check): stored in the update's
	// transaction if its Rev is still the stored one.
	Assess *Commitment

	// Set by GetRepair and AddRepair only: the proofs (without their
	// data; RepairFile reads one with it) and the commitment.
	Files      []CaseFile
	Commitment Commitment
}

// NewRepair is what AddRepair stores: the application, its proofs and its
// commitment.
type NewRepair struct {
	Row        RepairRow // ID, Rev, UpdatedAt, CommitmentID and (with Body set) Body are set by the store
	Files      []CaseFile
	Commitment Commitment
	// Body, when set, returns the application's body once the
	// commitment's code is known (it is computed in the transaction); it
	// replaces Row.Body.
	Body func(commitmentCode string) ([]byte, error)
	// OpenStates, when set, makes AddRepair refuse (ErrExists) while the
	// record has an application in one of these states. It is checked in
	// the transaction, which is serialised with every other AddRepair, so
	// two applications filed at once (a double click) cannot both be open.
	OpenStates []string
}

// RepairStore keeps credit repair applications, their proofs and the
// commitments signed with them. Every change is written with its audit
// entry in one transaction.
//
// An update that approves a repair (ApprovedOn set) also sets the record's
// repair day and appends the change-feed event (ChangeRepair) in the same
// transaction: the repair, its effect on the record and its event commit
// together or not at all.
type RepairStore interface {
	// AddRepair stores a new application with its proofs and its
	// commitment (its code computed in the same transaction) and returns
	// the row (ID, Rev 1, the times, Files without data and Commitment
	// set). ErrNotFound when the record does not exist, ErrExists when it
	// has an application in one of r.OpenStates.
	AddRepair(ctx context.Context, r NewRepair, audit auth.AuditEntry) (RepairRow, error)
	// UpdateRepair stores r if the stored row's Rev is still r.Rev
	// (ErrConflict otherwise) and returns it with Rev incremented. When
	// r.ApprovedOn is newly set (the stored row had none), the record's
	// repair day (Record.RepairedOn) is set to it and a ChangeRepair event
	// appended in the same transaction; r.Unrepair clears the repair day
	// and appends a ChangeRepairRevoked event.
	UpdateRepair(ctx context.Context, r RepairRow, audit auth.AuditEntry) (RepairRow, error)
	// GetRepair returns an application by id with its files (without
	// data) and commitment (ErrNotFound).
	GetRepair(ctx context.Context, id int64) (RepairRow, error)
	// RepairFile returns a proof with its data (ErrNotFound).
	RepairFile(ctx context.Context, id int64) (CaseFile, error)
	// RepairsOfRecords returns the applications for these records, by id
	// (without files and commitment).
	RepairsOfRecords(ctx context.Context, recordIDs []int64) ([]RepairRow, error)
	// ListRepairs returns applications ordered by the due day of the step
	// they wait on (none last), then by id (without files and
	// commitment).
	ListRepairs(ctx context.Context, f CaseFilter) ([]RepairRow, error)
}
