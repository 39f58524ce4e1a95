package sqlite

import (
	"context"
	"fmt"
	"testing"
)

// TestStatementCache: each query text is prepared once and reused; texts
// beyond the bound run unprepared and still answer; a bad query's error
// comes back from the query.
func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 3 {
		var n int
		if err := s.r.QueryRowContext(ctx, `SELECT ? + 1`, 41).Scan(&n); err != nil || n != 42 {
			t.Fatalf("cached query: %d %v", n, err)
		}
	}
	if len(s.r.stmts) != 1 {
		t.Fatalf("%d statements cached, want 1", len(s.r.stmts))
	}
	args := make([]any, maxCachedArgs+1)
	for i := range args {
		args[i] = i
	}
	in, _ := inList(args)
	if rs, err := s.r.QueryContext(ctx, `SELECT 1 WHERE 3 IN `+in, args...); err != nil || !rs.Next() {
		t.Fatalf("long IN list: %v", err)
	} else {
		rs.Close()
	}
	if len(s.r.stmts) != 1 {
		t.Fatalf("a query of %d arguments was cached", len(args))
	}
	for i := range maxCachedStatements + 10 {
		rs, err := s.r.QueryContext(ctx, fmt.Sprintf(`SELECT %d`, i))
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if !rs.Next() || rs.Scan(&n) != nil || n != i {
			t.Fatalf("query %d answered %d", i, n)
		}
		rs.Close()
	}
	if len(s.r.stmts) != maxCachedStatements {
		t.Errorf("%d statements cached, want the bound %d", len(s.r.stmts), maxCachedStatements)
	}
	if _, err := s.r.QueryContext(ctx, `SELECT * FROM no_such_table`); err == nil {
		t.Error("query of a missing table: no error")
	}
}
