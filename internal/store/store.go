// Package store is the storage port: the one interface every storage driver
// implements (store/sqlite, store/postgres), the errors they return, and the
// rules they share. store/storetest is the conformance suite both pass.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
)

// Errors every driver returns (wrapped); test with errors.Is. ErrNotFound
// and ErrInvalid are the kinds of package fault: a *fault.Error of kind
// Invalid is also ErrInvalid.
var (
	ErrNotFound      error = fault.NotFound
	ErrInvalid       error = fault.Invalid
	ErrSchemaTooNew        = errors.New("database schema is newer than this binary")
	ErrSchemaTooOld        = errors.New("database schema is older than this binary: run xinyong migrate")
	ErrNotConfigured       = errors.New("not configured")
)

// Store is the storage port.
type Store interface {
	// Dialect names the driver: "sqlite" or "postgres".
	Dialect() string
	// Migrate applies every embedded migration not yet applied and returns
	// the schema version before and after. It refuses (ErrSchemaTooNew) a
	// database whose schema is newer than the binary.
	Migrate(ctx context.Context) (from, to int64, err error)
	// SchemaVersion returns the database's schema version and the newest
	// version this binary knows.
	SchemaVersion(ctx context.Context) (db, binary int64, err error)
	Ping(ctx context.Context) error
	Close() error
	// InitSetting stores value under name unless a value is stored already,
	// and returns the stored value.
	InitSetting(ctx context.Context, name, value string) (string, error)

	SubjectStore
	RecordStore
	AccessStore
	BatchStore
	CheckStore
	ChangeStore
	ObjectionStore
	RepairStore
	CommitmentStore
	ReportStore
	ReturnStore
	LedgerStore
	IntegrityStore
	EvaluationStore
	InspectionStore
	MarketStore
	ExchangeStore
	RegistryStore
	HiringStore
	LendingStore
	WindowStore
}

// SubjectStore keeps the subject registry.
type SubjectStore interface {
	// PutSubjects files a batch of subjects in one transaction: each is
	// created, or matched by its natural key and updated (a new name is a
	// rename that keeps the old one in the history). Either the whole batch
	// is stored or nothing is: an invalid subject fails the batch with a
	// *BatchError naming its index.
	PutSubjects(ctx context.Context, subjects []credit.Subject) (PutStats, error)
	// ApplySubjects files subjects received from the peer platform origin
	// (the exchange), as they were made there at at (their exchange
	// stamp): as PutSubjects, except that a subject whose stamp here is
	// not earlier is left as it is.
	ApplySubjects(ctx context.Context, subjects []credit.Subject, at time.Time, origin string) (PutStats, error)
	// SubjectsByID returns the subjects with these ids, with their former
	// names, in the order of ids; ids not found are left out.
	SubjectsByID(ctx context.Context, ids []int64) ([]credit.Subject, error)
	// GetSubject returns a subject by id, with its former names.
	GetSubject(ctx context.Context, id int64) (credit.Subject, error)
	// FindSubjectByCode returns the subject with this USCC, registration
	// number or ID number.
	FindSubjectByCode(ctx context.Context, code string) (credit.Subject, error)
	// SearchSubjects finds organisations, sole traders and government
	// bodies whose current or former name contains q, compared after
	// folding (search.Fold: width, case, traditional characters,
	// punctuation), in id order from offset. Persons are never found by
	// name. A query shorter than MinQueryRunes is ErrInvalid. The driver
	// answers from its full-text index, applying the name changes written
	// before (SyncSearch) first, waiting a bounded time for the writer.
	SearchSubjects(ctx context.Context, q string, offset, limit int) ([]credit.Subject, error)
	// SyncSearch brings the full-text index up to date with the
	// name-change log: writers of subjects append to the log only, so
	// that filing records never pays for full-text entries. The server
	// runs it every --name-refresh (FollowSearch).
	SyncSearch(ctx context.Context) error
	// CountSubjects counts subjects per class.
	CountSubjects(ctx context.Context) (map[credit.Class]int64, error)
}

// PutStats counts what PutSubjects did.
type PutStats struct {
	Created   int
	Renamed   int // matched, with a new name (the old one kept as a former name)
	Updated   int // matched, other fields changed
	Unchanged int
}

// Add sums two stats.
func (a PutStats) Add(b PutStats) PutStats {
	return PutStats{a.Created + b.Created, a.Renamed + b.Renamed, a.Updated + b.Updated, a.Unchanged + b.Unchanged}
}

// BatchError reports the first invalid item of a batch.
type BatchError struct {
	Index int // 0-based index in the batch
	Err   error
}

func (e *BatchError) Error() string { return fmt.Sprintf("item %d: %v", e.Index, e.Err) }
func (e *BatchError) Unwrap() []error {
	return []error{ErrInvalid, e.Err}
}

// EscapeLike escapes the LIKE wildcards % and _ (and the escape character
// backslash) so that a user's text matches literally with ESCAPE '\'.
func EscapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}
