package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStatements bounds the prepared-statement cache: once it is full,
// further query texts are prepared at each use, as without it.
const maxCachedStatements = 256

// maxCachedArgs: queries with more arguments are not cached. Their texts
// are IN lists of every length up to 1,000 (batches), which would fill
// the cache, and compiling them is little beside the reading they do.
const maxCachedArgs = 32

// readDB is the pool of reader connections with a cache of prepared
// statements. SQLite compiles a statement at every Query of text; for the
// portal's short reads the compilation cost as much as the reading (a
// tenth of a subject page's CPU), so each query text is prepared once and
// database/sql keeps it per connection.
type readDB struct {
	*sql.DB
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

func newReadDB(db *sql.DB) *readDB {
	return &readDB{DB: db, stmts: map[string]*sql.Stmt{}}
}

// stmt returns the cached statement of q, preparing it on first use; nil
// when the cache is full or q cannot be prepared (the caller then runs q
// as text, and gets the error from there).
func (d *readDB) stmt(ctx context.Context, q string) *sql.Stmt {
	d.mu.RLock()
	st, ok := d.stmts[q]
	full := len(d.stmts) >= maxCachedStatements
	d.mu.RUnlock()
	if ok || full {
		return st
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if st, ok := d.stmts[q]; ok {
		return st
	}
	st, err := d.DB.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	d.stmts[q] = st
	return st
}

// QueryContext runs q through its cached statement.
func (d *readDB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if len(args) > maxCachedArgs {
		return d.DB.QueryContext(ctx, q, args...)
	}
	if st := d.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return d.DB.QueryContext(ctx, q, args...)
}

// QueryRowContext runs q through its cached statement.
func (d *readDB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if len(args) > maxCachedArgs {
		return d.DB.QueryRowContext(ctx, q, args...)
	}
	if st := d.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return d.DB.QueryRowContext(ctx, q, args...)
}

// Close closes the cached statements and the pool.
func (d *readDB) Close() error {
	d.mu.Lock()
	for q, st := range d.stmts {
		st.Close()
		delete(d.stmts, q)
	}
	d.mu.Unlock()
	return d.DB.Close()
}
