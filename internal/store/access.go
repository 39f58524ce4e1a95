package store

import (
	"context"
	"errors"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/fault"
)

// ErrExists is returned when a unique name (a login, a department's USCC)
// is taken.
var ErrExists error = fault.Exists

// AccessStore keeps organisations, accounts, sessions, API clients and the
// audit trail. Every change that the audit trail must show takes the
// entry describing it and appends it in the change's own transaction, so
// a change is never without its trace.
type AccessStore interface {
	// RootOrg returns the operator, creating it with name on first use.
	RootOrg(ctx context.Context, name string) (auth.Org, error)
	// CreateOrg adds o below o.ParentID (which must exist and may have
	// children, see auth.ValidateChild) and sets its id and path.
	CreateOrg(ctx context.Context, o auth.Org, audit auth.AuditEntry) (auth.Org, error)
	// SetOrgDisabled disables or re-enables an organisation.
	SetOrgDisabled(ctx context.Context, id int64, disabled bool, audit auth.AuditEntry) error
	GetOrg(ctx context.Context, id int64) (auth.Org, error)
	// FindOrgByUSCC returns the department with this USCC.
	FindOrgByUSCC(ctx context.Context, uscc string) (auth.Org, error)
	// ListOrgs returns the organisations whose path starts with under
	// ("" for all), in path order.
	ListOrgs(ctx context.Context, under string) ([]auth.Org, error)

	// CreateUser adds an account; a taken login is ErrExists.
	CreateUser(ctx context.Context, u auth.User, audit auth.AuditEntry) (auth.User, error)
	// UpdateUser writes every field of an account but its login and
	// creation time. With a nil audit entry (sign-in bookkeeping such as
	// the failure count) nothing is appended.
	UpdateUser(ctx context.Context, u auth.User, audit *auth.AuditEntry) error
	GetUser(ctx context.Context, id int64) (auth.User, error)
	GetUserByLogin(ctx context.Context, login string) (auth.User, error)
	GetUserByOIDC(ctx context.Context, subject string) (auth.User, error)
	// UseTOTPStep records step as the last TOTP step a code of account
	// userID was accepted for, when it is after the last one, and reports
	// whether it was: false means a code of this step or a later one was
	// used already (a replay). It is one conditional UPDATE, so of two
	// sign-ins with the same code exactly one gets true.
	UseTOTPStep(ctx context.Context, userID, step int64) (bool, error)
	// ListUsers returns the accounts of organisations whose path starts
	// with under, and, when under is "" or the root's path, the subject
	// users too, in login order.
	ListUsers(ctx context.Context, under string) ([]auth.User, error)

	CreateSession(ctx context.Context, s auth.Session) error
	GetSession(ctx context.Context, tokenHash []byte) (auth.Session, error)
	// UpdateSession writes LastSeen, Pending and CSRF.
	UpdateSession(ctx context.Context, s auth.Session) error
	DeleteSession(ctx context.Context, tokenHash []byte) error
	// DeleteUserSessions signs an account out everywhere.
	DeleteUserSessions(ctx context.Context, userID int64) error

	CreateClient(ctx context.Context, c auth.APIClient, audit auth.AuditEntry) (auth.APIClient, error)
	// UpdateClient writes the scopes, prefix, secret, rotation and
	// revocation of a client.
	UpdateClient(ctx context.Context, c auth.APIClient, audit auth.AuditEntry) error
	// TouchClient records the last use of a client (at most once a minute
	// matters; callers may skip it).
	TouchClient(ctx context.Context, id int64) error
	GetClient(ctx context.Context, id int64) (auth.APIClient, error)
	GetClientByPrefix(ctx context.Context, prefix string) (auth.APIClient, error)
	ListClients(ctx context.Context, under string) ([]auth.APIClient, error)

	// Audit appends an entry, sealed into the chain, and returns it with
	// its sequence number and hash.
	Audit(ctx context.Context, e auth.AuditEntry) (auth.AuditEntry, error)
	// ListAudit returns entries newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]auth.AuditEntry, error)
	// ScanAudit calls fn with every entry in sequence order.
	ScanAudit(ctx context.Context, fn func(auth.AuditEntry) error) error
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	SubjectID int64    // about this subject
	OrgPath   string   // by actors of organisations under this path
	Actions   []string // of these actions
	Before    int64    // with a sequence number below this (paging); 0: from the newest
	Limit     int
}

// DeptOrg returns the department with this USCC, or nil when no
// organisation of the tree has it (records imported at the command line
// for a department not entered).
func DeptOrg(ctx context.Context, st AccessStore, uscc string) (*auth.Org, error) {
	o, err := st.FindOrgByUSCC(ctx, uscc)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &o, nil
}
