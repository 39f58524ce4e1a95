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
	// SaveCheck archives c with the measures it found applicable and
	// appends audits (one per subject concerned, their Target set to the
	// check) in the same transaction, and returns c with its id.
	SaveCheck(ctx context.Context, c CheckRecord, measures []CheckMeasure, audits []auth.AuditEntry) (CheckRecord, error)
	// AddFeedback records what the deciding department did about a
	// check's measures, with its audit entry, in one transaction. Every
	// item must name a measure the check found for that item
	// (ErrInvalid, with the offending position).
	AddFeedback(ctx context.Context, checkID int64, items []Feedback, audit auth.AuditEntry) error
	// CheckStats counts, for a month (YYYY-MM) and the asking
	// organisations under orgPath, per organisation and measure: the
	// items where the measure applied and what was reported about them.
	CheckStats(ctx context.Context, month, orgPath string) ([]CheckStat, error)
	GetCheck(ctx context.Context, id int64) (CheckRecord, error)
	// LastRecordID is the newest record id: what a check was answered on.
	LastRecordID(ctx context.Context) (int64, error)
}

// CheckMeasure is a measure a check found applicable to one item.
type CheckMeasure struct {
	Item      int // 1-based
	SubjectID int64
	Measure   string
}

// Feedback is the deciding department's report on one item's measure.
type Feedback struct {
	Item    int       `json:"item" minimum:"1" doc:"The check item (1-based index)."`
	Measure string    `json:"measure" doc:"The measure's code, as the check returned it."`
	Applied bool      `json:"applied" doc:"Whether the measure was applied."`
	Reason  string    `json:"reason,omitempty" maxLength:"500" doc:"Why not (required when not applied), or how."`
	At      time.Time `json:"-"`
	Actor   string    `json:"-"`
	OrgID   int64     `json:"-"`
}

// CheckStat is one row of the monthly statistics.
type CheckStat struct {
	OrgID      int64  `json:"org_id"`
	Measure    string `json:"measure"`
	Applicable int    `json:"applicable" doc:"Check items where the measure applied."`
	Applied    int    `json:"applied" doc:"Reported as applied."`
	NotApplied int    `json:"not_applied" doc:"Reported as not applied."`
	Unreported int    `json:"unreported" doc:"Not reported on."`
}
