package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/xinyong/xinyong/internal/ingest"
)

// RawTable is the scratch table the raw bulk insert fills and then drops.
const RawTable = "bench_raw"

// RawBatch is how many rows one multi-row INSERT of the SQLite baseline
// carries.
const RawBatch = 100

// Raw is the result of a raw bulk insert.
type Raw struct {
	Rows    int
	Elapsed time.Duration
}

// sqlitePragmas are the store's writer settings (store/sqlite.Open). The
// baseline is one transaction, so the checkpoint interval hardly matters.
var sqlitePragmas = []string{"journal_mode(WAL)", "busy_timeout(10000)", "synchronous(NORMAL)", "cache_size(-131072)", "temp_store(MEMORY)", "wal_autocheckpoint(16384)"}

func openSQLite(path string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range sqlitePragmas {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode()+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func columns(n int) []string {
	c := make([]string, n)
	for i := range c {
		c[i] = fmt.Sprintf("c%d", i+1)
	}
	return c
}

func createRaw(n int) string {
	return "CREATE TABLE " + RawTable + " (" + strings.Join(columns(n), " TEXT, ") + " TEXT)"
}

// appendRow appends row's values as n arguments: missing ones NULL, extra
// ones dropped, as the file gives them otherwise (no validation).
func appendRow(args []any, row []string, n int) []any {
	for j := range n {
		if j < len(row) {
			args = append(args, row[j])
		} else {
			args = append(args, nil)
		}
	}
	return args
}

// RawSQLite reads the rows of the CSV (or XLSX) file at csvPath and
// inserts them, unvalidated, into a scratch table with one TEXT column per
// column of the header, in the SQLite database at dbPath: one transaction,
// multi-row INSERTs of RawBatch rows through a prepared statement, with the
// store's pragmas. The time counts reading the file, the inserts and the
// commit; the scratch table is dropped afterwards.
func RawSQLite(ctx context.Context, dbPath, csvPath string) (Raw, error) {
	db, err := openSQLite(dbPath)
	if err != nil {
		return Raw{}, err
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return Raw{}, fmt.Errorf("open %s: %w", dbPath, err)
	}
	start := time.Now()
	t, err := ingest.Open(csvPath)
	if err != nil {
		return Raw{}, err
	}
	defer t.Close()
	ncol := len(t.Header())
	if _, err := db.ExecContext(ctx, createRaw(ncol)); err != nil {
		return Raw{}, err
	}
	defer db.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+RawTable)
	n, err := rawSQLiteRows(ctx, db, t, ncol)
	if err != nil {
		return Raw{}, err
	}
	return Raw{Rows: n, Elapsed: time.Since(start)}, nil
}

func rawSQLiteRows(ctx context.Context, db *sql.DB, t ingest.Table, ncol int) (int, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	insert := func(rows int) string {
		one := "(?" + strings.Repeat(",?", ncol-1) + ")"
		return "INSERT INTO " + RawTable + " VALUES " + one + strings.Repeat(","+one, rows-1)
	}
	full, err := tx.PrepareContext(ctx, insert(RawBatch))
	if err != nil {
		return 0, err
	}
	defer full.Close()
	args := make([]any, 0, RawBatch*ncol)
	n, pending := 0, 0
	for {
		row, _, err := t.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, err
		}
		args = appendRow(args, row, ncol)
		n++
		if pending++; pending == RawBatch {
			if _, err := full.ExecContext(ctx, args...); err != nil {
				return n, err
			}
			args, pending = args[:0], 0
		}
	}
	if pending > 0 {
		if _, err := tx.ExecContext(ctx, insert(pending), args...); err != nil {
			return n, err
		}
	}
	return n, tx.Commit()
}

// RawPostgres is RawSQLite for PostgreSQL: the rows go into the scratch
// table with one COPY (pgx CopyFrom).
func RawPostgres(ctx context.Context, dsn, csvPath string) (Raw, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return Raw{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	start := time.Now()
	t, err := ingest.Open(csvPath)
	if err != nil {
		return Raw{}, err
	}
	defer t.Close()
	ncol := len(t.Header())
	if _, err := conn.Exec(ctx, createRaw(ncol)); err != nil {
		return Raw{}, err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+RawTable)
	src := &copySource{t: t, ncol: ncol}
	n, err := conn.CopyFrom(ctx, pgx.Identifier{RawTable}, columns(ncol), src)
	if err != nil {
		return Raw{}, err
	}
	return Raw{Rows: int(n), Elapsed: time.Since(start)}, nil
}

type copySource struct {
	t    ingest.Table
	ncol int
	vals []any
	err  error
}

func (s *copySource) Next() bool {
	row, _, err := s.t.Next()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.err = err
		}
		return false
	}
	s.vals = appendRow(s.vals[:0], row, s.ncol)
	return true
}

func (s *copySource) Values() ([]any, error) { return s.vals, nil }
func (s *copySource) Err() error             { return s.err }

// SQLiteTables counts the tables of the SQLite database file at path (0
// when there is no such file).
func SQLiteTables(ctx context.Context, path string) (int, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`).Scan(&n)
	return n, err
}

// PostgresTables counts the tables outside the system schemas of the
// PostgreSQL database dsn names.
func PostgresTables(ctx context.Context, dsn string) (int, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND s.nspname NOT IN ('pg_catalog', 'information_schema') AND s.nspname NOT LIKE 'pg\_toast%'`).Scan(&n)
	return n, err
}

// PostgresSchema creates the empty schema name in the database dsn names
// and returns a DSN whose connections use it (search_path), and a function
// that drops it with everything in it.
func PostgresSchema(ctx context.Context, dsn, name string) (string, func(context.Context) error, error) {
	var out string
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", nil, err
		}
		q := u.Query()
		q.Set("search_path", name)
		u.RawQuery = q.Encode()
		out = u.String()
	} else {
		out = dsn + " search_path=" + name
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("create schema %s: %w", name, err)
	}
	drop := func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{name}.Sanitize()+" CASCADE")
		return err
	}
	return out, drop, nil
}
