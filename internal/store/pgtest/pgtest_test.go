package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestStartLocal proves the path CI takes on a machine with no server
// running: initdb and a server of our own on loopback.
func TestStartLocal(t *testing.T) {
	if _, err := findBin(); err != nil {
		Unavailable(t, err)
	}
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ctype string
	if err := conn.QueryRow(ctx, `SELECT datctype FROM pg_database WHERE datname = 'postgres'`).Scan(&ctype); err != nil {
		t.Fatal(err)
	}
	if ctype != "C.UTF-8" {
		t.Errorf("ctype %q, want C.UTF-8", ctype)
	}
}

func TestNewDatabase(t *testing.T) {
	dsn := NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var enc string
	if err := conn.QueryRow(ctx, `SHOW server_encoding`).Scan(&enc); err != nil || enc != "UTF8" {
		t.Fatalf("encoding %q, %v", enc, err)
	}
	// Chinese text round-trips and lower() leaves it alone.
	var got string
	if err := conn.QueryRow(ctx, `SELECT lower($1::text)`, "陕西华信ABC").Scan(&got); err != nil || got != "陕西华信abc" {
		t.Fatalf("lower = %q, %v", got, err)
	}
}

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// testSchema is a schema of its own for each call (its Version is random),
// whose Migrate applies the files and counts its calls. Its template is
// dropped when t ends.
func testSchema(t *testing.T, files fstest.MapFS) (Schema, *atomic.Int32) {
	var calls atomic.Int32
	b := make([]byte, 8)
	rand.Read(b)
	s := Schema{Files: files, Version: hex.EncodeToString(b), Migrate: func(ctx context.Context, dsn string) error {
		calls.Add(1)
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		for _, name := range []string{"00001_a.sql", "00002_b.sql"} {
			if f, ok := files[name]; ok {
				if _, err := conn.Exec(ctx, string(f.Data)); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
			}
		}
		return nil
	}}
	name, err := TemplateName(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropTemplate(t, name) })
	return s, &calls
}

func dropTemplate(t *testing.T, name string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, server(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, `ALTER DATABASE `+name+` WITH IS_TEMPLATE false`)
	if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+name); err != nil {
		t.Errorf("drop template %s: %v", name, err)
	}
}

var files = fstest.MapFS{
	"00001_a.sql": {Data: []byte(`CREATE TABLE a (x int)`)},
	"00002_b.sql": {Data: []byte(`CREATE TABLE b (y text); INSERT INTO b VALUES ('陕西')`)},
}

func databases(t *testing.T, like string) map[string]string {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, server(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT datname, datistemplate::text || ' ' || datallowconn::text || ' ' || coalesce(shobj_description(oid, 'pg_database'), '')
		FROM pg_database WHERE datname LIKE $1`, like)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for rows.Next() {
		var name, v string
		if err := rows.Scan(&name, &v); err != nil {
			t.Fatal(err)
		}
		out[name] = v
	}
	return out
}

// TestNewMigratedDatabase: databases are copies of one template, migrated
// once, and independent of each other; nobody can connect to the template.
func TestNewMigratedDatabase(t *testing.T) {
	s, calls := testSchema(t, files)
	name, _ := TemplateName(s)
	ctx := context.Background()
	t.Run("copies", func(t *testing.T) {
		for i := range 6 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				dsn := NewMigratedDatabase(t, s)
				conn, err := pgx.Connect(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(ctx)
				var y string
				var n int
				if err := conn.QueryRow(ctx, `SELECT (SELECT y FROM b), (SELECT count(*) FROM a)`).Scan(&y, &n); err != nil || y != "陕西" || n != 0 {
					t.Fatalf("a copy holds %q and %d rows of a (%v); want the template's 陕西 and none", y, n, err)
				}
			})
		}
	})
	// Each test's rows are its own.
	count := func(dsn, q string) int {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	one, other := NewMigratedDatabase(t, s), NewMigratedDatabase(t, s)
	if n := count(one, `WITH i AS (INSERT INTO a VALUES (1) RETURNING x) SELECT count(*) FROM i`); n != 1 {
		t.Fatalf("inserted %d", n)
	}
	if n := count(other, `SELECT count(*) FROM a`); n != 0 {
		t.Errorf("a row written in one copy is in another: %d rows", n)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("Migrate ran %d times for 8 databases, want once", got)
	}
	tmpl := databases(t, name)[name]
	if !strings.HasPrefix(tmpl, "true false "+lastUsed) {
		t.Errorf("template %s: datistemplate, datallowconn, comment = %q; want a template nobody may connect to, with its last use", name, tmpl)
	}
	if conn, err := pgx.Connect(ctx, mustDSN(t, name)); err == nil {
		conn.Close(ctx)
		t.Errorf("connected to the template %s", name)
	}
	if len(databases(t, name+buildSuffix)) != 0 {
		t.Errorf("the build database %s is left over", name+buildSuffix)
	}
}

func mustDSN(t *testing.T, name string) string {
	dsn, err := databaseDSN(server(t), name)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// TestTemplateName: a changed, added or renamed migration, or another
// Version, names another template; the same schema the same one.
func TestTemplateName(t *testing.T) {
	name := func(v string, f fstest.MapFS) string {
		n, err := TemplateName(Schema{Files: f, Version: v})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(n, templatePrefix) || len(n) > 63 {
			t.Errorf("template name %q", n)
		}
		return n
	}
	base := name("1", files)
	if again := name("1", fstest.MapFS{"00002_b.sql": files["00002_b.sql"], "00001_a.sql": files["00001_a.sql"]}); again != base {
		t.Errorf("the same schema names two templates: %s, %s", base, again)
	}
	for _, c := range []struct {
		what    string
		version string
		files   fstest.MapFS
	}{
		{"another version", "2", files},
		{"a changed migration", "1", fstest.MapFS{"00001_a.sql": files["00001_a.sql"], "00002_b.sql": {Data: []byte(`CREATE TABLE b (y int)`)}}},
		{"an added migration", "1", fstest.MapFS{"00001_a.sql": files["00001_a.sql"], "00002_b.sql": files["00002_b.sql"], "00003_c.sql": {Data: []byte(`SELECT 1`)}}},
		{"a renamed migration", "1", fstest.MapFS{"00001_a.sql": files["00001_a.sql"], "00003_b.sql": files["00002_b.sql"]}},
	} {
		if got := name(c.version, c.files); got == base {
			t.Errorf("%s keeps the template name %s", c.what, got)
		}
	}
}

// TestTemplateRace: test binaries starting at once (each with its own
// connections, as separate processes have) build the template once.
func TestTemplateRace(t *testing.T) {
	s, calls := testSchema(t, files)
	name, _ := TemplateName(s)
	admin := server(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- ensureTemplate(admin, name, s, t.Logf) }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("4 binaries at once migrated %d times, want once", got)
	}
}

// TestTemplateDroppedMeanwhile: a template dropped as stale by another
// test binary after this one made sure of it is made again.
func TestTemplateDroppedMeanwhile(t *testing.T) {
	s, calls := testSchema(t, files)
	name, _ := TemplateName(s)
	NewMigratedDatabase(t, s)
	dropTemplate(t, name)
	dsn := NewMigratedDatabase(t, s)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `SELECT FROM a, b`); err != nil {
		t.Errorf("the copy of the template made again: %v", err)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("Migrate ran %d times, want twice (the template was dropped in between)", got)
	}
}

// TestTemplateMigrateFails: a failed migration leaves neither a template
// nor its build database, and the error says where.
func TestTemplateMigrateFails(t *testing.T) {
	s, _ := testSchema(t, fstest.MapFS{"00001_a.sql": files["00001_a.sql"], "00002_b.sql": {Data: []byte(`CREATE TABLE a (x int)`)}})
	name, _ := TemplateName(s)
	err := ensureTemplate(server(t), name, s, t.Logf)
	if err == nil || !strings.Contains(err.Error(), "00002_b.sql") {
		t.Fatalf("ensureTemplate with a failing migration: %v", err)
	}
	if left := databases(t, name+"%"); len(left) != 0 {
		t.Errorf("left over: %v", left)
	}
}

// TestDropStale: templates of other schemas unused for staleAfter, and
// builds that died half way, are dropped; the one in use and recently
// used ones are kept.
func TestDropStale(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, server(t))
	if err != nil {
		t.Fatal(err)
	}
	// As ensureTemplate does: no other test binary sweeps or builds
	// meanwhile, until the databases made here are gone (another binary's
	// sweep would take the "keep" one for stale). Cleanups run last in
	// first: the connection, and with it the lock, goes last.
	t.Cleanup(func() { conn.Close(ctx) })
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, templateLock); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	rand.Read(b)
	id := hex.EncodeToString(b)
	now := time.Now()
	made := map[string]time.Time{
		templatePrefix + "keep" + id:               now.Add(-2 * staleAfter), // the one in use: never dropped
		templatePrefix + "fresh" + id:              now.Add(-staleAfter / 2),
		templatePrefix + "stale" + id:              now.Add(-staleAfter - time.Minute),
		templatePrefix + "nocomment" + id:          {},
		templatePrefix + "dead" + id + buildSuffix: now,
	}
	for name, used := range made {
		if _, err := conn.Exec(ctx, createSQL(name, "")); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			conn.Exec(ctx, `ALTER DATABASE `+name+` WITH IS_TEMPLATE false`)
			if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+name); err != nil {
				t.Errorf("drop %s: %v", name, err)
			}
		})
		if _, err := conn.Exec(ctx, `ALTER DATABASE `+name+` WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`); err != nil {
			t.Fatal(err)
		}
		if !used.IsZero() {
			if _, err := conn.Exec(ctx, `COMMENT ON DATABASE `+name+` IS '`+lastUsed+used.UTC().Format(time.RFC3339)+`'`); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := dropStale(ctx, conn, templatePrefix+"keep"+id, now); err != nil {
		t.Fatal(err)
	}
	var left []string
	for name := range databases(t, templatePrefix+"%"+id+"%") {
		left = append(left, name)
	}
	slices.Sort(left)
	if want := []string{templatePrefix + "fresh" + id, templatePrefix + "keep" + id}; !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
}
