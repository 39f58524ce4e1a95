// Package postgres is the production storage driver: PostgreSQL through
// pgx v5 and its connection pool.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/sqlaccess"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the PostgreSQL driver.
type Store struct {
	*sqlaccess.Store // organisations, accounts, sessions, API clients, audit trail

	db    *sql.DB // the pool through database/sql, for the shared access store
	pool  *pgxpool.Pool
	reads reader // the pool for idempotent reads, retried once on a connection the server ended (retry.go)
	// replicas, when set, answer the reads marked store.ReplicaOK
	// (AddReplicas).
	replicas *replicas
	keys     *pii.Keyring
	now      func() time.Time
}

var _ store.Store = (*Store)(nil)

// Options are the connection settings.
type Options struct {
	// Conns is the pool's size (0: pgx's default, the larger of 4 and the
	// number of CPUs); pool_max_conns in the DSN wins.
	Conns int
	// StatementCache is how many prepared statements each connection
	// keeps (0: pgx's default, 512); statement_cache_capacity in the DSN
	// wins.
	StatementCache int
}

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string) with the default options. keys may be nil when no
// personal data is handled.
func Open(ctx context.Context, dsn string, keys *pii.Keyring) (*Store, error) {
	return OpenWith(ctx, dsn, keys, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, dsn string, keys *pii.Keyring, o Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse PostgreSQL DSN: %w", err)
	}
	if o.Conns > 0 && !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = int32(o.Conns)
	}
	if o.StatementCache > 0 && !strings.Contains(dsn, "statement_cache_capacity") {
		cfg.ConnConfig.StatementCacheCapacity = o.StatementCache
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	var ctype string
	if err := pool.QueryRow(ctx, `SELECT datctype FROM pg_database WHERE datname = current_database()`).Scan(&ctype); err == nil {
		if !strings.Contains(strings.ToUpper(strings.ReplaceAll(ctype, "-", "")), "UTF8") {
			pool.Close()
			return nil, fmt.Errorf("PostgreSQL database has LC_CTYPE %q: create it with a UTF-8 ctype, e.g. CREATE DATABASE xinyong TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'", ctype)
		}
	}
	s := &Store{pool: pool, reads: reader{pool: pool}, keys: keys, now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }}
	s.Store, s.db = access(s)
	return s, nil
}

// Dialect implements store.Store.
func (s *Store) Dialect() string { return "postgres" }

// Migrations returns the migration files embedded in the binary, at the
// root of the file system (tests name their template databases by them).
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

func (s *Store) migrator() (store.Migrator, func() error) {
	db := stdlib.OpenDBFromPool(s.pool)
	return store.Migrator{DB: db, Dialect: goose.DialectPostgres, FS: Migrations()}, db.Close
}

// Migrate implements store.Store.
func (s *Store) Migrate(ctx context.Context) (int64, int64, error) {
	m, closeDB := s.migrator()
	defer closeDB()
	from, to, err := m.Up(ctx)
	if err != nil {
		return from, to, err
	}
	return from, to, s.ensureSearchIndex(ctx)
}

// SchemaVersion implements store.Store.
func (s *Store) SchemaVersion(ctx context.Context) (int64, int64, error) {
	m, closeDB := s.migrator()
	defer closeDB()
	return m.Versions(ctx)
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close implements store.Store.
func (s *Store) Close() error { s.replicas.close(); err := s.db.Close(); s.pool.Close(); return err }

// InitSetting implements store.Store.
func (s *Store) InitSetting(ctx context.Context, name, value string) (string, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return "", fmt.Errorf("store setting %s: %w", name, err)
	}
	var v string
	err := s.reads.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	return v, err
}

// chunk is how many subjects one round of statements covers.
const chunk = 5000

// PutSubjects implements store.SubjectStore. Puts are serialised with a
// table lock so that two concurrent puts of one new subject cannot both
// insert it.
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
	var total store.PutStats
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE subjects IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		for start := 0; start < len(rows); start += chunk {
			part := rows[start:min(start+chunk, len(rows))]
			existing, err := readExisting(ctx, tx, store.Keys(part))
			if err != nil {
				return err
			}
			plan := planner(part, existing, now)
			if _, err := apply(ctx, tx, plan, now); err != nil {
				return err
			}
			total = total.Add(plan.Stats)
		}
		return nil
	})
	if err != nil {
		return store.PutStats{}, err
	}
	return total, nil
}

func readExisting(ctx context.Context, tx pgx.Tx, keys []string) (map[string]store.ExistingSubject, error) {
	out := make(map[string]store.ExistingSubject, len(keys))
	// LATERAL keeps the plan an index lookup per subject even before the
	// tables have statistics (a fresh database during a big first load).
	rs, err := tx.Query(ctx, `SELECT s.key, s.id, s.class, coalesce(s.uscc, ''), coalesce(s.reg_no, ''), s.name, s.region,
			coalesce(s.named_at, s.created_at), s.x_at, n.name
		FROM subjects s LEFT JOIN LATERAL (SELECT name FROM subject_names WHERE subject_id = s.id) n ON true WHERE s.key = ANY($1)`, keys)
	if err != nil {
		return nil, fmt.Errorf("read subjects: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var e store.ExistingSubject
		var key, class string
		var former *string
		var xat *time.Time
		if err := rs.Scan(&key, &e.ID, &class, &e.USCC, &e.RegNo, &e.Name, &e.Region, &e.NamedAt, &xat, &former); err != nil {
			return nil, err
		}
		if xat != nil {
			e.XAt = xat.UTC()
		}
		e.Class = credit.Class(class)
		if prev, ok := out[key]; ok {
			e = prev
		} else {
			e.Names = map[string]bool{e.Name: true}
		}
		if former != nil {
			e.Names[*former] = true
		}
		out[key] = e
	}
	return out, rs.Err()
}

// reserveIDs takes n consecutive ids from table's id sequence in one call,
// so that COPY (which returns nothing) can write them. The caller holds the
// table's SHARE ROW EXCLUSIVE lock, which every writer of the table takes,
// so nobody takes ids from the sequence meanwhile.
func reserveIDs(ctx context.Context, tx pgx.Tx, table string, n int) ([]int64, error) {
	ids := make([]int64, n)
	if n == 0 {
		return ids, nil
	}
	var last int64
	if err := tx.QueryRow(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), nextval(pg_get_serial_sequence($1, 'id')) + $2 - 1)`,
		table, n).Scan(&last); err != nil {
		return nil, fmt.Errorf("allocate %s ids: %w", table, err)
	}
	for i := range ids {
		ids[i] = last - int64(n) + 1 + int64(i)
	}
	return ids, nil
}

// apply executes a subject plan and returns the ids of inserted subjects.
func apply(ctx context.Context, tx pgx.Tx, p store.SubjectPlan, now time.Time) ([]int64, error) {
	ids, err := reserveIDs(ctx, tx, "subjects", len(p.Insert))
	if err != nil {
		return nil, err
	}
	if len(p.Insert) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"subjects"}, []string{"id", "key", "class", "uscc", "reg_no", "id_enc", "masked_id",
			"name", "region", "created_at", "updated_at", "x_at", "x_origin"}, pgx.CopyFromSlice(len(p.Insert), func(i int) ([]any, error) {
			r := p.Insert[i]
			return []any{ids[i], r.Key, string(r.Class), nullable(r.USCC), nullable(r.RegNo), r.IDEnc, nullable(r.MaskedID),
				r.Name, r.Region, now, now, nullableTime(p.Stamp), p.Origin}, nil
		})); err != nil {
			return nil, fmt.Errorf("insert subjects: %w", err)
		}
	}
	if n := len(p.Update); n > 0 {
		idv, classes, names, regions := make([]int64, n), make([]string, n), make([]string, n), make([]string, n)
		usccs, regNos := make([]*string, n), make([]*string, n)
		named := make([]*time.Time, n)
		for i, u := range p.Update {
			idv[i], classes[i], names[i], regions[i] = u.ID, string(u.Class), u.Name, u.Region
			usccs[i], regNos[i], named[i] = nullable(u.USCC), nullable(u.RegNo), nullableTime(u.NamedAt)
		}
		if _, err := tx.Exec(ctx, `UPDATE subjects s SET class = t.c, uscc = t.u, reg_no = t.r, name = t.n, region = t.g, updated_at = $8,
				named_at = coalesce(t.na, s.named_at), x_at = coalesce($9, s.x_at), x_origin = $10
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[]) AS t(id, c, u, r, n, g, na)
			WHERE s.id = t.id`, idv, classes, usccs, regNos, names, regions, named, now, nullableTime(p.Stamp), p.Origin); err != nil {
			return nil, fmt.Errorf("update subjects: %w", err)
		}
	}
	if n := len(p.AddNames); n > 0 {
		sids, names := make([]int64, n), make([]string, n)
		from, to := make([]*time.Time, n), make([]*time.Time, n)
		for i, r := range p.AddNames {
			sids[i], names[i] = r.Subject, r.Name
			if j, ok := store.InsertIndex(r.Subject); ok {
				sids[i] = ids[j]
			}
			from[i], to[i] = nullableTime(r.From), nullableTime(r.To)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO subject_names (subject_id, name, valid_from, valid_to)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[])`, sids, names, from, to); err != nil {
			return nil, fmt.Errorf("insert names: %w", err)
		}
	}
	return ids, appendNameChanges(ctx, tx, p.Index, ids)
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullableTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

const subjectColumns = `id, class, coalesce(uscc, ''), coalesce(reg_no, ''), coalesce(masked_id, ''), name, region, created_at, updated_at`

func scanSubject(row pgx.Row, extra ...any) (credit.Subject, error) {
	var s credit.Subject
	var class string
	err := row.Scan(append([]any{&s.ID, &class, &s.USCC, &s.RegNo, &s.MaskedID, &s.Name, &s.Region, &s.CreatedAt, &s.UpdatedAt}, extra...)...)
	s.Class = credit.Class(class)
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	return s, err
}

// GetSubject implements store.SubjectStore.
func (s *Store) GetSubject(ctx context.Context, id int64) (credit.Subject, error) {
	return s.getOne(ctx, `SELECT * FROM subjects WHERE id = $1`, id)
}

// getOne reads the subject the query of subjects inner returns first, with
// its former names and commitment count, in one statement (a page reads one subject: a second
// round trip for the names was a tenth of its time).
func (s *Store) getOne(ctx context.Context, inner string, args ...any) (credit.Subject, error) {
	var names []string
	var froms, tos []*time.Time
	var commitments int
	sub, err := scanSubject(s.reads.QueryRow(ctx, `SELECT `+subjectColumns+`, n.names, n.froms, n.tos,
			(SELECT count(*) FROM commitments c WHERE c.subject_id = s.id) FROM (`+inner+`) s
		CROSS JOIN LATERAL (SELECT array_agg(name ORDER BY valid_to, id) AS names, array_agg(valid_from ORDER BY valid_to, id) AS froms,
			array_agg(valid_to ORDER BY valid_to, id) AS tos FROM subject_names WHERE subject_id = s.id AND valid_to IS NOT NULL) n`, args...),
		&names, &froms, &tos, &commitments)
	sub.Commitments = commitments
	if errors.Is(err, pgx.ErrNoRows) {
		return credit.Subject{}, store.ErrNotFound
	}
	if err != nil {
		return credit.Subject{}, fmt.Errorf("read subject: %w", err)
	}
	for i, name := range names {
		n := credit.NameSpan{Name: name}
		if froms[i] != nil {
			n.From = froms[i].UTC()
		}
		if tos[i] != nil {
			n.To = tos[i].UTC()
		}
		sub.FormerNames = append(sub.FormerNames, n)
	}
	return sub, nil
}

// FindSubjectByCode implements store.SubjectStore.
func (s *Store) FindSubjectByCode(ctx context.Context, c string) (credit.Subject, error) {
	return store.FindByCode(s.keys, c, func(column string, value any) (credit.Subject, error) {
		return s.getOne(ctx, `SELECT * FROM subjects WHERE `+column+` = $1 ORDER BY id LIMIT 1`, value)
	})
}

// CountSubjects implements store.SubjectStore.
func (s *Store) CountSubjects(ctx context.Context) (map[credit.Class]int64, error) {
	rs, err := s.reads.Query(ctx, `SELECT class, count(*) FROM subjects GROUP BY class`)
	if err != nil {
		return nil, fmt.Errorf("count subjects: %w", err)
	}
	defer rs.Close()
	out := map[credit.Class]int64{}
	for rs.Next() {
		var c string
		var n int64
		if err := rs.Scan(&c, &n); err != nil {
			return nil, err
		}
		out[credit.Class(c)] = n
	}
	return out, rs.Err()
}
