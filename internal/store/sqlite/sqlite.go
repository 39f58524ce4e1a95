// Package sqlite is the embedded storage driver: modernc.org/sqlite (pure
// Go) in WAL mode, with one writer connection and a pool of readers.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/sqlaccess"
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the database file's name inside the data directory.
const FileName = "xinyong.db"

// DefaultReaders is the size of the reader pool, every connection kept
// open (with its page cache and prepared statements). The server's read
// line (serve --concurrency) keeps the reads at once near the number of
// CPUs; the rest serve writes' reads, checks and the change feed.
var DefaultReaders = max(8, 2*runtime.NumCPU())

// DefaultCacheSize is the total of the connections' page caches when
// Options do not say (the command-line tools: imports get the writer's
// largest share). The server's budget is serve --cache-size.
const DefaultCacheSize = 128 << 20

// writerCacheMax bounds the writer's share of the cache budget.
const writerCacheMax = 64 << 20

// minConnCache is the smallest page cache a connection gets, whatever the
// budget: the B-trees' upper pages.
const minConnCache = 1 << 20

// Options are the connection settings.
type Options struct {
	// CacheSize is the total of the page caches in bytes (0: the
	// default). The writer gets half of it, at most 64 MiB, and the
	// readers share the rest equally. A reader's cache is emptied by
	// SQLite at its first read after any commit (in WAL mode a connection
	// cannot tell which pages changed), so under a steady write load the
	// readers read from the operating system's page cache, which all
	// connections share and which does not count in the process's memory.
	CacheSize int64
	// Readers is the size of the reader pool (0: DefaultReaders).
	Readers int
}

// caches returns the page cache of the writer and of each reader, in
// bytes.
func (o Options) caches() (writer, reader int64, readers int) {
	total := o.CacheSize
	if total <= 0 {
		total = DefaultCacheSize
	}
	readers = o.Readers
	if readers <= 0 {
		readers = DefaultReaders
	}
	writer = max(min(total/2, writerCacheMax), minConnCache)
	reader = max((total-writer)/int64(readers), minConnCache)
	return writer, reader, readers
}

// Store is the SQLite driver.
type Store struct {
	*sqlaccess.Store // organisations, accounts, sessions, API clients, audit trail

	w    *sql.DB // the single writer
	r    *readDB // readers, with prepared statements
	keys *pii.Keyring
	now  func() time.Time
}

var _ store.Store = (*Store)(nil)

// Open opens (creating when absent) the database in directory dir with
// the default options. keys may be nil when no personal data is handled.
func Open(ctx context.Context, dir string, keys *pii.Keyring) (*Store, error) {
	return OpenWith(ctx, dir, keys, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, dir string, keys *pii.Keyring, o Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	wcache, rcache, readers := o.caches()
	dsn := func(cache int64, extra ...string) string {
		pragmas := url.Values{}
		for _, p := range append([]string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)",
			fmt.Sprintf("cache_size(%d)", -cache/1024), "temp_store(MEMORY)", "wal_autocheckpoint(16384)"}, extra...) {
			pragmas.Add("_pragma", p)
		}
		return "file:" + path + "?" + pragmas.Encode()
	}
	w, err := sql.Open("sqlite", dsn(wcache)+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(rcache, "query_only(1)"))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	s := &Store{w: w, r: newReadDB(r), keys: keys, now: func() time.Time { return time.Now().UTC() }}
	s.Store = access(s)
	return s, nil
}

// Dialect implements store.Store.
func (s *Store) Dialect() string { return "sqlite" }

func (s *Store) migrator() store.Migrator {
	sub, _ := fs.Sub(migrations, "migrations")
	return store.Migrator{DB: s.w, Dialect: goose.DialectSQLite3, FS: sub}
}

// Migrate implements store.Store.
func (s *Store) Migrate(ctx context.Context) (int64, int64, error) {
	from, to, err := s.migrator().Up(ctx)
	if err != nil {
		return from, to, err
	}
	return from, to, s.ensureSearchIndex(ctx)
}

// SchemaVersion implements store.Store.
func (s *Store) SchemaVersion(ctx context.Context) (int64, int64, error) {
	return s.migrator().Versions(ctx)
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error { return s.r.PingContext(ctx) }

// Close implements store.Store.
func (s *Store) Close() error {
	s.CloseStatements()
	return errors.Join(s.r.Close(), s.w.Close())
}

// InitSetting implements store.Store.
func (s *Store) InitSetting(ctx context.Context, name, value string) (string, error) {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return "", fmt.Errorf("store setting %s: %w", name, err)
	}
	var v string
	err := s.w.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	return v, err
}

// chunk is how many subjects one round of reads covers (SQLite allows
// 32766 parameters per statement).
const chunk = 500

// PutSubjects implements store.SubjectStore.
func (s *Store) PutSubjects(ctx context.Context, subjects []credit.Subject) (store.PutStats, error) {
	return s.putSubjects(ctx, subjects, store.PlanPutSubjects)
}

// ApplySubjects implements store.SubjectStore.
func (s *Store) ApplySubjects(ctx context.Context, subjects []credit.Subject, at time.Time, origin string) (store.PutStats, error) {
	at = at.UTC()
	return s.putSubjects(ctx, subjects, func(rows []store.SubjectRow, existing map[string]store.ExistingSubject, _ time.Time) store.SubjectPlan {
		return store.PlanPeerSubjects(rows, existing, at, origin)
	})
}

func (s *Store) putSubjects(ctx context.Context, subjects []credit.Subject,
	planner func([]store.SubjectRow, map[string]store.ExistingSubject, time.Time) store.SubjectPlan) (store.PutStats, error) {
	now := s.now()
	rows, err := store.PrepareSubjects(s.keys, subjects, now)
	if err != nil {
		return store.PutStats{}, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return store.PutStats{}, err
	}
	defer tx.Rollback()
	var total store.PutStats
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		existing, err := readExisting(ctx, tx, store.Keys(part))
		if err != nil {
			return store.PutStats{}, err
		}
		plan := planner(part, existing, now)
		if _, err := apply(ctx, tx, plan, now); err != nil {
			return store.PutStats{}, err
		}
		total = total.Add(plan.Stats)
	}
	if err := tx.Commit(); err != nil {
		return store.PutStats{}, fmt.Errorf("commit subjects: %w", err)
	}
	return total, nil
}

func readExisting(ctx context.Context, tx *sql.Tx, keys []string) (map[string]store.ExistingSubject, error) {
	out := make(map[string]store.ExistingSubject, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	in, args := inList(keys)
	rs, err := tx.QueryContext(ctx, `SELECT s.key, s.id, s.class, coalesce(s.uscc, ''), coalesce(s.reg_no, ''), s.name, s.region,
			s.named_at, s.created_at, s.x_at, n.name
		FROM subjects s LEFT JOIN subject_names n ON n.subject_id = s.id WHERE s.key IN `+in, args...)
	if err != nil {
		return nil, fmt.Errorf("read subjects: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var e store.ExistingSubject
		var key string
		var former sql.NullString
		var named, xat sql.NullTime
		if err := rs.Scan(&key, &e.ID, &e.Class, &e.USCC, &e.RegNo, &e.Name, &e.Region, &named, &e.NamedAt, &xat, &former); err != nil {
			return nil, err
		}
		if xat.Valid {
			e.XAt = xat.Time.UTC()
		}
		if named.Valid {
			e.NamedAt = named.Time
		}
		if prev, ok := out[key]; ok {
			e = prev
		} else {
			e.Names = map[string]bool{e.Name: true}
		}
		if former.Valid {
			e.Names[former.String] = true
		}
		out[key] = e
	}
	return out, rs.Err()
}

// apply executes a subject plan; inserted subjects get ids from first on.
func apply(ctx context.Context, tx *sql.Tx, p store.SubjectPlan, now time.Time) (first int64, err error) {
	first, err = nextID(ctx, tx, "subjects")
	if err != nil {
		return 0, err
	}
	at := timeText(now)
	err = bulkInsert(ctx, tx, "subjects",
		[]string{"id", "key", "class", "uscc", "reg_no", "id_enc", "masked_id", "name", "region", "created_at", "updated_at", "x_at", "x_origin"},
		len(p.Insert), func(i int, a []any) []any {
			r := p.Insert[i]
			return append(a, first+int64(i), r.Key, string(r.Class), nullString(r.USCC), nullString(r.RegNo),
				r.IDEnc, nullString(r.MaskedID), r.Name, r.Region, at, at, nullTime(p.Stamp), p.Origin)
		})
	if err != nil {
		return 0, err
	}
	for _, u := range p.Update {
		if _, err := tx.ExecContext(ctx, `UPDATE subjects SET class = ?, uscc = ?, reg_no = ?, name = ?, region = ?, updated_at = ?,
			named_at = coalesce(?, named_at), x_at = coalesce(?, x_at), x_origin = ? WHERE id = ?`,
			u.Class, nullString(u.USCC), nullString(u.RegNo), u.Name, u.Region, now, nullTime(u.NamedAt), nullTime(p.Stamp), p.Origin, u.ID); err != nil {
			return 0, fmt.Errorf("update subject %d: %w", u.ID, err)
		}
	}
	err = bulkInsert(ctx, tx, "subject_names", []string{"subject_id", "name", "valid_from", "valid_to"},
		len(p.AddNames), func(i int, a []any) []any {
			n := p.AddNames[i]
			id := n.Subject
			if j, ok := store.InsertIndex(id); ok {
				id = first + int64(j)
			}
			return append(a, id, n.Name, nullTime(n.From), nullTime(n.To))
		})
	if err != nil {
		return 0, err
	}
	return first, appendNameChanges(ctx, tx, p.Index, first)
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
func nullTime(t time.Time) sql.NullTime  { return sql.NullTime{Time: t.UTC(), Valid: !t.IsZero()} }

const subjectColumns = `id, class, coalesce(uscc, ''), coalesce(reg_no, ''), coalesce(masked_id, ''), name, region, created_at, updated_at`

func scanSubject(row interface{ Scan(...any) error }, extra ...any) (credit.Subject, error) {
	var s credit.Subject
	err := row.Scan(append([]any{&s.ID, &s.Class, &s.USCC, &s.RegNo, &s.MaskedID, &s.Name, &s.Region, &s.CreatedAt, &s.UpdatedAt}, extra...)...)
	return s, err
}

// GetSubject implements store.SubjectStore.
func (s *Store) GetSubject(ctx context.Context, id int64) (credit.Subject, error) {
	return s.getOne(ctx, `WHERE id = ?`, id)
}

// getOne reads the first subject where selects, with its commitment count
// and former names.
func (s *Store) getOne(ctx context.Context, where string, args ...any) (credit.Subject, error) {
	var commitments int
	sub, err := scanSubject(s.r.QueryRowContext(ctx, `SELECT `+subjectColumns+`,
		(SELECT count(*) FROM commitments WHERE subject_id = subjects.id) FROM subjects `+where, args...), &commitments)
	sub.Commitments = commitments
	if errors.Is(err, sql.ErrNoRows) {
		return credit.Subject{}, store.ErrNotFound
	}
	if err != nil {
		return credit.Subject{}, fmt.Errorf("read subject: %w", err)
	}
	subs := []credit.Subject{sub}
	if err := s.formerNames(ctx, subs); err != nil {
		return credit.Subject{}, err
	}
	return subs[0], nil
}

// FindSubjectByCode implements store.SubjectStore.
func (s *Store) FindSubjectByCode(ctx context.Context, c string) (credit.Subject, error) {
	return store.FindByCode(s.keys, c, func(column string, value any) (credit.Subject, error) {
		return s.getOne(ctx, `WHERE `+column+` = ? ORDER BY id LIMIT 1`, value)
	})
}

// CountSubjects implements store.SubjectStore.
func (s *Store) CountSubjects(ctx context.Context) (map[credit.Class]int64, error) {
	rs, err := s.r.QueryContext(ctx, `SELECT class, count(*) FROM subjects GROUP BY class`)
	if err != nil {
		return nil, fmt.Errorf("count subjects: %w", err)
	}
	defer rs.Close()
	out := map[credit.Class]int64{}
	for rs.Next() {
		var c credit.Class
		var n int64
		if err := rs.Scan(&c, &n); err != nil {
			return nil, err
		}
		out[c] = n
	}
	return out, rs.Err()
}
