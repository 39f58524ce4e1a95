package sqlite

import (
	"context"
	"fmt"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// TestCacheBudget: the cache budget is divided as documented, and every
// connection runs with its share.
func TestCacheBudget(t *testing.T) {
	for _, c := range []struct {
		name                   string
		o                      Options
		writer, reader, counts int64
	}{
		{"default", Options{Readers: 8}, 64 << 20, 8 << 20, 8},
		{"small", Options{CacheSize: 32 << 20, Readers: 4}, 16 << 20, 4 << 20, 4},
		{"large: the writer's share is capped", Options{CacheSize: 1 << 30, Readers: 8}, 64 << 20, 120 << 20, 8},
		{"tiny: at least 1 MiB each", Options{CacheSize: 1 << 20, Readers: 8}, 1 << 20, 1 << 20, 8},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, r, n := c.o.caches()
			if w != c.writer || r != c.reader || int64(n) != c.counts {
				t.Fatalf("caches() = writer %d, reader %d × %d; want %d, %d × %d", w, r, n, c.writer, c.reader, c.counts)
			}
			ctx := context.Background()
			s, err := OpenWith(ctx, t.TempDir(), nil, c.o)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var kib int64
			if err := s.w.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&kib); err != nil || -kib*1024 != c.writer {
				t.Errorf("writer's cache_size %d KiB, %v; want %d bytes", -kib, err, c.writer)
			}
			if err := s.r.DB.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&kib); err != nil || -kib*1024 != c.reader {
				t.Errorf("reader's cache_size %d KiB, %v; want %d bytes", -kib, err, c.reader)
			}
			if got := s.r.Stats().MaxOpenConnections; int64(got) != c.counts {
				t.Errorf("%d readers, want %d", got, c.counts)
			}
		})
	}
}

// TestArchiveStatementsPrepared: after the first archive, the archive's
// statements run prepared on the writer (SQLite would otherwise compile
// them at every check).
func TestArchiveStatementsPrepared(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), storetest.Keys())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		audits := []auth.AuditEntry{{Actor: "client:1:k", Action: auth.AuditCheck, SubjectID: 1}, {Actor: "client:1:k", Action: auth.AuditCheck, SubjectID: 2},
			{Actor: "client:1:k", Action: auth.AuditCheck, SubjectID: 3}}
		if _, err := s.SaveCheck(ctx, store.CheckRecord{Actor: "client:1:k", Scenario: "procurement", CaseNo: fmt.Sprint(i), Request: []byte("{}"), Result: []byte("{}")},
			[]store.CheckMeasure{{Item: 1, SubjectID: 1, Measure: "M01"}}, audits); err != nil {
			t.Fatal(err)
		}
	}
	// INSERT INTO checks, the chain's head, measures of 1 row, audit
	// entries of 2 rows and of 1 row.
	if n := s.WriteStatements(); n != 5 {
		t.Errorf("%d statements prepared on the writer, want 5", n)
	}
}
