package postgres

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A connection the server ended (pg_terminate_backend, a restart, a
// fail-over, idle_session_timeout) stays in the pool until it is used:
// pgxpool pings a connection before handing it out only after a second
// idle, so the next read on it fails. The driver's idempotent reads (the
// pgx ones through reader, the shared access store's through sqlReader)
// are therefore run again once when they fail that way, after the pool
// has been emptied (pgxpool.Pool.Reset: idle connections are closed at
// once, those in use when they are released), so the second try runs on
// a fresh connection. Writes and transactions are never retried: the
// caller sees their error.

// isConnError reports whether err means the connection failed rather than
// the statement: an error pgx reports as safe to retry (nothing was sent),
// the server's admin_shutdown, crash_shutdown or cannot_connect_now
// (SQLSTATE 57P01-57P03) or any connection exception (class 08), a closed
// connection, or the socket closed or reset under the read.
func isConnError(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if pgconn.SafeToRetry(err) || errors.Is(err, pgconn.ErrConnClosed) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || strings.HasPrefix(pe.Code, "08")
	}
	var op *net.OpError
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.As(err, &op) && !op.Timeout()
}

// retryable reports whether a read that failed with err is tried again:
// the connection failed and the caller is still waiting.
func retryable(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil && isConnError(err)
}

// reader runs the driver's reads on the pool, each retried once on a
// fresh connection (see isConnError). Use it only for statements that
// change nothing.
type reader struct {
	pool     *pgxpool.Pool
	replicas *replicas
}

// Query runs sql and reads up to its first row before returning, so that
// a failed connection shows here, before the caller has seen a row, and
// the query can be run again.
func (r reader) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	pool, _ := r.replicas.pick(ctx, r.pool, nil)
	rows, err := query(ctx, pool, sql, args...)
	if retryable(ctx, err) {
		pool.Reset()
		rows, err = query(ctx, pool, sql, args...)
	}
	return rows, err
}

func query(ctx context.Context, pool *pgxpool.Pool, sql string, args ...any) (pgx.Rows, error) {
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	more := rows.Next()
	if !more {
		if err := rows.Err(); err != nil {
			rows.Close()
			return nil, err
		}
	}
	return &peekedRows{Rows: rows, more: more, peeked: true}, nil
}

// peekedRows are rows whose first Next has been called already.
type peekedRows struct {
	pgx.Rows
	more, peeked bool
}

func (p *peekedRows) Next() bool {
	if p.peeked {
		p.peeked = false
		return p.more
	}
	return p.Rows.Next()
}

// QueryRow runs sql when the row is scanned, retried as Query is.
func (r reader) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return retryRow{r: r, ctx: ctx, sql: sql, args: args}
}

type retryRow struct {
	r    reader
	ctx  context.Context
	sql  string
	args []any
}

func (q retryRow) Scan(dest ...any) error {
	pool, _ := q.r.replicas.pick(q.ctx, q.r.pool, nil)
	err := pool.QueryRow(q.ctx, q.sql, q.args...).Scan(dest...)
	if retryable(q.ctx, err) {
		pool.Reset()
		err = pool.QueryRow(q.ctx, q.sql, q.args...).Scan(dest...)
	}
	return err
}

// sqlReader is the shared access store's reader (sqlaccess.Reader) over
// database/sql on the same pool, retried the same way. pgx's database/sql
// driver reads a query's first row before returning, so a failed
// connection shows in QueryContext's error or the row's Err.
type sqlReader struct {
	db       *sql.DB
	pool     *pgxpool.Pool
	replicas *replicas
}

func (r sqlReader) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	pool, db := r.replicas.pick(ctx, r.pool, r.db)
	rows, err := db.QueryContext(ctx, q, args...)
	if retryable(ctx, err) {
		pool.Reset()
		rows, err = db.QueryContext(ctx, q, args...)
	}
	return rows, err
}

func (r sqlReader) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	pool, db := r.replicas.pick(ctx, r.pool, r.db)
	row := db.QueryRowContext(ctx, q, args...)
	if retryable(ctx, row.Err()) {
		pool.Reset()
		row = db.QueryRowContext(ctx, q, args...)
	}
	return row
}
