package store

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
)

// Lender is an organisation the platform authorises to read firms' data
// with their consent (信易贷: banks, guarantee firms).
type Lender struct {
	OrgID     int64
	Kind      string // 银行, 融资担保公司, …
	CreatedAt time.Time
	CreatedBy string
}

// LendingGrant is a firm's grant to a lender: named data groups, for a
// period and a purpose, until revoked.
type LendingGrant struct {
	ID        int64
	SubjectID int64
	LenderID  int64 // the lender's organisation
	Groups    []string
	Purpose   string
	ValidFrom string // YYYY-MM-DD, China
	ValidTo   string // YYYY-MM-DD, China, inclusive
	CreatedBy string
	CreatedAt time.Time
	RevokedAt time.Time // zero while not revoked
	RevokedBy string
}

// GrantFilter selects grants; zero fields select everything.
type GrantFilter struct {
	SubjectID int64
	LenderID  int64
}

// LendingOutcome is what a lender reports of a firm's application.
type LendingOutcome struct {
	ID         int64
	LenderID   int64
	SubjectID  int64
	GrantID    int64
	Month      string // YYYY-MM
	Outcome    string // granted, declined
	AmountBand string
	ReportedAt time.Time
	ReportedBy string
}

// LendingStore keeps lenders, grants and outcomes; each change is written
// with its audit entry in one transaction.
type LendingStore interface {
	// AddLender registers an organisation as a lender (fault.Exists when
	// it is one already).
	AddLender(ctx context.Context, l Lender, audit auth.AuditEntry) (Lender, error)
	// ListLenders lists the lenders in organisation order.
	ListLenders(ctx context.Context) ([]Lender, error)
	// AddGrant stores a grant and returns it with its ID and time.
	AddGrant(ctx context.Context, g LendingGrant, audit auth.AuditEntry) (LendingGrant, error)
	// RevokeGrant marks a grant revoked at at by by (ErrConflict when it is
	// revoked already, ErrNotFound when there is none).
	RevokeGrant(ctx context.Context, id int64, by string, at time.Time, audit auth.AuditEntry) (LendingGrant, error)
	// GetGrant returns a grant (ErrNotFound).
	GetGrant(ctx context.Context, id int64) (LendingGrant, error)
	// ListGrants returns the grants f selects, newest first.
	ListGrants(ctx context.Context, f GrantFilter) ([]LendingGrant, error)
	// AddOutcome stores an outcome; a second for the same grant and month
	// replaces the first (a correction), and the stored one is returned.
	AddOutcome(ctx context.Context, o LendingOutcome, audit auth.AuditEntry) (LendingOutcome, error)
	// ListOutcomes returns the outcomes of a month ("" every month), of
	// one lender (0 every lender), in id order.
	ListOutcomes(ctx context.Context, lender int64, month string) ([]LendingOutcome, error)
}
