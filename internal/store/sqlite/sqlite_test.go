package sqlite

import (
	"context"
	"testing"

	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

func TestConformance(t *testing.T) { storetest.Run(t, harness) }

// TestIndexed runs the name-search tests through an in-memory name index.
func TestIndexed(t *testing.T) { storetest.RunIndexed(t, harness) }

// harness opens a fresh store in a temporary directory (empty: SQLite
// makes its database on first use).
func harness(t *testing.T, _ bool) storetest.Harness {
	dir := t.TempDir()
	open := func(keys *pii.Keyring) *Store {
		s, err := Open(context.Background(), dir, keys)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open(storetest.Keys())
	h := storetest.Harness{Store: s}
	t.Cleanup(func() { h.Store.Close() })
	h.Exec = func(ctx context.Context, q string) error {
		_, err := s.w.ExecContext(ctx, q)
		return err
	}
	h.Texts = func(ctx context.Context, table string) ([]string, error) {
		return texts(ctx, s, table)
	}
	h.ReopenWith = func(keys *pii.Keyring) store.Store {
		h.Store.Close()
		s = open(keys)
		h.Store = s
		return s
	}
	h.Reopen = func() store.Store { return h.ReopenWith(storetest.Keys()) }
	return h
}

// texts returns every value of every column of table as text.
func texts(ctx context.Context, s *Store, table string) ([]string, error) {
	rs, err := s.r.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out []string
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		for _, v := range vals {
			switch v := v.(type) {
			case string:
				out = append(out, v)
			case []byte:
				out = append(out, string(v))
			}
		}
	}
	return out, rs.Err()
}
