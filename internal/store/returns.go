package store

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/pii"
)

// Returns (退回): every row intake rejects is returned to the department
// that sent it, with its reasons and the row as sent, and stays open until
// a valid version of the same record arrives (ReturnFixed) or the
// department withdraws it with a reason (ReturnWithdrawn).

// ReturnState is where a return stands.
type ReturnState string

const (
	ReturnOpen      ReturnState = "open"
	ReturnFixed     ReturnState = "fixed"     // a valid version of the record arrived
	ReturnWithdrawn ReturnState = "withdrawn" // the department withdrew it, with a reason
)

// Label is the state in Chinese.
func (s ReturnState) Label() string {
	switch s {
	case ReturnOpen:
		return "待补正"
	case ReturnFixed:
		return "已补正"
	case ReturnWithdrawn:
		return "已撤回"
	}
	return string(s)
}

// ReturnReason is one reason a row was rejected.
type ReturnReason struct {
	Field  string `json:"field"`          // the field's Chinese name ("" for the whole row)
	Code   string `json:"code,omitempty"` // its exchange code
	Reason string `json:"reason"`
}

// ReturnInput is a rejected row to return.
type ReturnInput struct {
	Row  int
	Kind string
	// Dept is the USCC of the department it goes back to: the batch's
	// sender, else the row's 数据来源单位 when that is a valid code ("":
	// the platform's).
	Dept string
	// Identity is the record's identity as catalog.Record.IdentityKey
	// gives it (ID numbers hashed), hashed again by the store like a
	// record's; "" when the row's identity fields are themselves invalid.
	Identity   string
	DecisionNo string
	Header     []string
	Masked     []string // the row with personal identifiers masked (shown)
	Original   []string // the row as sent (encrypted at rest)
	Reasons    []ReturnReason
}

// Return is a stored return.
type Return struct {
	ID         int64
	Batch      int64
	Row        int
	Kind       string
	Dept       string
	DecisionNo string
	// Matched: the return is closed by the record's identity; without one
	// (its identity fields were invalid), by kind, department and
	// decision number.
	Matched  bool
	Header   []string
	Masked   []string
	Original []string // decrypted; nil unless asked for (ReturnFilter.Original, GetReturn)
	Reasons  []ReturnReason
	State    ReturnState
	// CreatedAt is the receipt of the batch that returned the row.
	CreatedAt time.Time
	ClosedAt  time.Time // zero while open
	// FixedRecord and FixedBatch are the record and batch that closed it.
	FixedRecord int64
	FixedBatch  int64
	Note        string // why it was withdrawn
	ClosedBy    string // who withdrew it
}

// ReturnFilter narrows ListReturns; empty fields match all.
type ReturnFilter struct {
	Depts  []string // departments (USCCs); nil: all
	Kind   string
	Batch  int64
	States []ReturnState
	// From and To bound the receipt (CreatedAt), half open [From, To).
	From, To time.Time
	// Original: decrypt the rows as sent (for the errors file).
	Original bool
	// AfterID pages on by id (returns come in id order); Limit bounds the
	// page (default 500, at most 5,000).
	AfterID int64
	Limit   int
}

// ReturnStore keeps returns.
type ReturnStore interface {
	// AddReturns files rejected rows of an intake batch as returns,
	// created at the batch's receipt; an import calls it as rows are
	// rejected and once more at its end (rows may be empty). A row already
	// returned for the batch is left as it is (a resumed import sends it
	// again). The batch's open returns whose record the batch itself
	// filed since (a later row of the file) are closed at once.
	AddReturns(ctx context.Context, batch int64, rows []ReturnInput) error
	// GetReturn returns a return with its original row (ErrNotFound).
	GetReturn(ctx context.Context, id int64) (Return, error)
	// ListReturns lists returns in id order.
	ListReturns(ctx context.Context, f ReturnFilter) ([]Return, error)
	// WithdrawReturn closes an open return with a reason and its audit
	// entry; ErrConflict when it is no longer open.
	WithdrawReturn(ctx context.Context, id int64, reason, by string, audit auth.AuditEntry) (Return, error)
	// ReturnCounts counts returns per department, kind and month of
	// receipt (China time), by state, in [from, to) months (YYYY-MM).
	ReturnCounts(ctx context.Context, from, to string) ([]ReturnCount, error)
	// IntakeBatch returns a batch as filed (ErrNotFound).
	IntakeBatch(ctx context.Context, id int64) (IntakeBatchInfo, error)
	// IntakeBatches lists a department's latest batches (all when dept
	// is "").
	IntakeBatches(ctx context.Context, dept string, limit int) ([]IntakeBatchInfo, error)
}

// ReturnCount is one line of ReturnCounts.
type ReturnCount struct {
	Dept, Kind, Month      string
	Returned               int // rows returned
	Fixed, Withdrawn, Open int
}

// IntakeBatchInfo is an intake batch with its counts.
type IntakeBatchInfo struct {
	IntakeBatch
	Finished                                     time.Time // zero while running or interrupted
	Rows, Accepted, Updated, Unchanged, Rejected int
	Warnings, NameWarnings                       []string // as IntakeStats
}

// ReturnIdentity is the keyed hash a return is matched by: the same as a
// record's identity column (PrepareRecords).
func ReturnIdentity(k *pii.Keyring, kind, identity string) []byte {
	if identity == "" {
		return nil
	}
	return k.Hash(kind + "\x00" + identity)[:16]
}

// OpenReturn is what a driver reads of an open return to close it.
type OpenReturn struct {
	ID         int64
	Identity   []byte // nil: matched by kind, department and decision number
	Kind, Dept string
	DecisionNo string
}

// ReturnFix closes a return: the record (and the batch) that fixed it.
type ReturnFix struct {
	Return, Record int64
}

// MatchReturns decides which open returns the rows a put filed close: a
// return with an identity by the row with the same identity hash; one
// without by a row of the same kind, supplying department and decision
// number. outcomes are the put's, one per row.
func MatchReturns(open []OpenReturn, rows []RecordRow, outcomes []RecordOutcome) []ReturnFix {
	if len(open) == 0 {
		return nil
	}
	byIdentity := make(map[string]int64, len(rows))
	type key struct{ kind, dept, no string }
	byNo := map[key]int64{}
	for i, r := range rows {
		byIdentity[string(r.IdentityHash)] = outcomes[i].ID
		byNo[key{r.Kind, r.SourceDept, r.DecisionNo}] = outcomes[i].ID
	}
	var out []ReturnFix
	for _, o := range open {
		var id int64
		if o.Identity != nil {
			id = byIdentity[string(o.Identity)]
		} else {
			id = byNo[key{o.Kind, o.Dept, o.DecisionNo}]
		}
		if id != 0 {
			out = append(out, ReturnFix{Return: o.ID, Record: id})
		}
	}
	return out
}

// ReturnLookup is what a driver looks up for the open returns a put may
// close: the identity hashes and the decision numbers of its rows.
func ReturnLookup(rows []RecordRow) (identities [][]byte, decisionNos []string) {
	seen := map[string]bool{}
	for _, r := range rows {
		identities = append(identities, r.IdentityHash)
		if r.DecisionNo != "" && !seen[r.DecisionNo] {
			seen[r.DecisionNo] = true
			decisionNos = append(decisionNos, r.DecisionNo)
		}
	}
	return identities, decisionNos
}
