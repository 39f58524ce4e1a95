package store

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
)

// The reporting ledger (报送台账): what each department is expected to
// report, and the counts the ledger's figures are made of. The figures
// themselves are package ledger's.

// PlanMode is how a department's expected volume of a kind is known.
type PlanMode string

const (
	// PlanVolume: a declared number of decisions per month, from the
	// department's own system statistics.
	PlanVolume PlanMode = "volume"
	// PlanRegister: every decision of the department's register
	// (决定台账), uploaded as a list of decision numbers and dates.
	PlanRegister PlanMode = "register"
)

// LedgerPlan is what a department is expected to report of a kind, from
// a month on.
type LedgerPlan struct {
	Dept      string    `json:"dept"` // USCC
	Kind      string    `json:"kind"`
	Mode      PlanMode  `json:"mode"`
	Volume    int       `json:"volume,omitempty"` // decisions per month (PlanVolume)
	FromMonth string    `json:"from_month"`       // YYYY-MM: the first month it applies to
	Source    string    `json:"source,omitempty"` // where the figure comes from
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// RegisterEntry is one decision of a department's register.
type RegisterEntry struct {
	Dept         string `json:"dept"`
	Kind         string `json:"kind"`
	DecisionNo   string `json:"decision_no"`
	DecisionDate string `json:"decision_date"` // YYYY-MM-DD
	// Reported is the id of a record of the department with this kind and
	// decision number (0: none), set by RegisterEntries.
	Reported int64 `json:"-"`
	// OnTime: the record that reported it was on time.
	OnTime bool `json:"-"`
}

// DecisionCount counts records of a kind and supplying department decided
// in a month (YYYY-MM), and how many of them arrived late.
type DecisionCount struct {
	Kind, Dept, Month string
	Records, Late     int
}

// ForeignRecord is a record decided by one body and supplied by another
// (record_deciders), with whether the deciding body reported the same
// decision itself.
type ForeignRecord struct {
	RecordID     int64
	Kind         string
	Decider      string // USCC of the deciding body
	SourceDept   string
	DecisionNo   string
	DecisionDate string
	// Own is the id of the decider's own record of the decision (0: it
	// never reported it: 瞒报).
	Own int64
}

// DeciderRow is a record_deciders row a put writes.
type DeciderRow struct {
	Kind, Decider, SourceDept, DecisionNo, DecisionDate string
}

// LedgerStore keeps the reporting ledger and answers its counts.
type LedgerStore interface {
	// PutLedgerPlan stores a department's plan for a kind (replacing the
	// one before), with its audit entry.
	PutLedgerPlan(ctx context.Context, p LedgerPlan, audit auth.AuditEntry) error
	// DeleteLedgerPlan removes a plan (ErrNotFound), with its audit entry.
	DeleteLedgerPlan(ctx context.Context, dept, kind string, audit auth.AuditEntry) error
	// LedgerPlans lists the plans of these departments (all when nil), by
	// department and kind.
	LedgerPlans(ctx context.Context, depts []string) ([]LedgerPlan, error)
	// PutRegister adds a department's register entries of a kind; an
	// entry with a decision number held already takes the new date. It
	// returns how many were new.
	PutRegister(ctx context.Context, dept, kind string, entries []RegisterEntry, audit auth.AuditEntry) (added int, err error)
	// RegisterEntries returns the register entries of a department and
	// kind decided in [from, to] (YYYY-MM-DD), by date, each with the
	// department's record of that decision, if any (Reported, OnTime).
	RegisterEntries(ctx context.Context, dept, kind, from, to string) ([]RegisterEntry, error)
	// DecisionCounts counts records of these kinds per kind, supplying
	// department and month of decision, for decisions in [from, to]
	// (YYYY-MM-DD).
	DecisionCounts(ctx context.Context, kinds []string, from, to string) ([]DecisionCount, error)
	// ForeignRecords lists the records decided in [from, to] by one body
	// and supplied by another, with the decider's own record if any;
	// deciders narrows them (nil: all).
	ForeignRecords(ctx context.Context, from, to string, deciders []string) ([]ForeignRecord, error)
}
