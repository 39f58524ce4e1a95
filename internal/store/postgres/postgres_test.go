package postgres

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/pgtest"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// TestMain: the tests here mostly wait on the server (each sub-test of the
// conformance suite has a database of its own), so unless -test.parallel
// is given, 4×GOMAXPROCS of them run at once rather than GOMAXPROCS.
func TestMain(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		flag.Set("test.parallel", strconv.Itoa(4*runtime.GOMAXPROCS(0)))
	}
	os.Exit(pgtest.Main(m))
}

func TestConformance(t *testing.T) { storetest.Run(t, harness) }

// TestIndexed runs the name-search tests through an in-memory name index.
func TestIndexed(t *testing.T) { storetest.RunIndexed(t, harness) }

// schema is the driver's schema, for pgtest's template databases (the same
// as postgrestest.Schema, which this package's tests cannot import).
var schema = pgtest.Schema{Files: Migrations(), Version: "search index " + store.SearchIndexVersion, Migrate: func(ctx context.Context, dsn string) error {
	s, err := Open(ctx, dsn, nil)
	if err != nil {
		return err
	}
	_, _, err = s.Migrate(ctx)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}}

// newDatabase creates a database at the newest schema.
func newDatabase(t *testing.T) string { return pgtest.NewMigratedDatabase(t, schema) }

// harness opens a fresh database: an empty one or a copy of the migrated
// template.
func harness(t *testing.T, empty bool) storetest.Harness {
	var dsn string
	if empty {
		dsn = pgtest.NewDatabase(t)
	} else {
		dsn = newDatabase(t)
	}
	open := func(keys *pii.Keyring) *Store {
		s, err := Open(context.Background(), dsn, keys)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open(storetest.Keys())
	h := storetest.Harness{Store: s}
	t.Cleanup(func() { h.Store.Close() })
	h.Exec = func(ctx context.Context, q string) error {
		_, err := s.pool.Exec(ctx, q)
		return err
	}
	h.Texts = func(ctx context.Context, table string) ([]string, error) {
		rs, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT t::text FROM %s t`, table))
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var out []string
		for rs.Next() {
			var v string
			if err := rs.Scan(&v); err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, rs.Err()
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

func TestRefusesNonUTF8Database(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	_ = dsn
	// pgtest only makes UTF-8 databases; the check is exercised through a
	// SQL_ASCII database created here.
	admin, err := Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "xinyong_ascii_" + fmt.Sprint(os.Getpid())
	if _, err := admin.pool.Exec(context.Background(), `CREATE DATABASE `+name+` TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'`); err != nil {
		t.Fatal(err)
	}
	defer admin.pool.Exec(context.Background(), `DROP DATABASE `+name+` WITH (FORCE)`)
	cfg := admin.pool.Config().ConnConfig
	_, err = Open(context.Background(), fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name), nil)
	if err == nil {
		t.Fatal("opened a database with a C ctype")
	}
}
