package store

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
)

// CheckRecord is an archived credit check.
type CheckRecord struct {
	ID       int64
	At       time.Time
	Actor    string // auth.Principal.String()
	OrgID    int64  // the asking organisation
	Scenario string
	CaseNo   string // 办件编号
	Subjects int    // subjects asked about
	Punished int    // answered 有惩戒措施
	Rewarded int    // answered 有激励措施
	NotFound int    // not found
	DataAsOf int64  // the newest record id when answered
	Request  []byte // JSON
	Result   []byte // JSON
}

// CheckStore archives credit checks.
type CheckStore interface {
	// SaveCheck archives c and appends audits (one per subject concerned,
	// their Target set to the check) in the same transaction, and returns
	// c with its id.
	SaveCheck(ctx context.Context, c CheckRecord, audits []auth.AuditEntry) (CheckRecord, error)
	GetCheck(ctx context.Context, id int64) (CheckRecord, error)
	// LastRecordID is the newest record id: what a check was answered on.
	LastRecordID(ctx context.Context) (int64, error)
}
