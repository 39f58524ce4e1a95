package pgtest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Schema is what the template databases of NewMigratedDatabase are made
// with. pgtest knows no driver: the driver's tests give it their migrations
// and how to apply them.
type Schema struct {
	// Files are the migration files. Their names and contents, with
	// Version, name the template: a changed migration makes a new one.
	Files fs.FS
	// Version is anything else Migrate's result depends on (such as the
	// version of a derived index); it may be empty.
	Version string
	// Migrate brings the empty database at dsn to the newest schema, and
	// closes its connections before it returns.
	Migrate func(ctx context.Context, dsn string) error
}

const (
	// templatePrefix starts the name of every template database; the
	// rest is a hash of the Schema.
	templatePrefix = "xinyong_tmpl_"
	// buildSuffix marks a template being migrated: it gets its final
	// name only when complete, so a half-migrated template is never
	// cloned.
	buildSuffix = "_new"
	// staleAfter is how long a template of another schema (another
	// branch, an edited migration) may go unused before it is dropped.
	staleAfter = time.Hour
	// lastUsed precedes the time in a template's comment.
	lastUsed = "xinyong test template, last used "
)

// templateLock is the advisory lock (on the admin database) under which
// templates are made and stale ones dropped, so that test binaries running
// at once never both build one.
var templateLock = int64(binary.BigEndian.Uint64([]byte("xytmpl00")))

var templates struct {
	sync.Mutex
	made map[string]*made
}

// made is a template this process has made sure of.
type made struct {
	once sync.Once
	err  error
}

// NewMigratedDatabase creates a database at the newest schema of s and
// returns its DSN; the database is dropped when t ends. It is a copy
// (CREATE DATABASE … TEMPLATE) of a template database migrated once per
// server and schema, which is much faster than migrating every test's
// database: the first call in a test binary makes sure the template
// exists, under an advisory lock, and drops other schemas' templates that
// have not been used for an hour.
func NewMigratedDatabase(t testing.TB, s Schema) string {
	t.Helper()
	admin := server(t)
	name, err := TemplateName(s)
	if err != nil {
		t.Fatal(err)
	}
	templates.Lock()
	if templates.made == nil {
		templates.made = map[string]*made{}
	}
	m := templates.made[name]
	if m == nil {
		m = &made{}
		templates.made[name] = m
	}
	templates.Unlock()
	ensure := func() error { return ensureTemplate(admin, name, s, t.Logf) }
	m.once.Do(func() { m.err = ensure() })
	if m.err != nil {
		t.Fatalf("template database %s: %v", name, m.err)
	}
	return newDatabase(t, name, ensure)
}

// TemplateName is the name of the template database of s: the prefix and
// a hash of the migration files' names and contents and of s.Version.
func TemplateName(s Schema) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%q\n", s.Version)
	err := fs.WalkDir(s.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(s.Files, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%q %d\n", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("read migration files: %w", err)
	}
	return templatePrefix + hex.EncodeToString(h.Sum(nil)[:8]), nil
}

// ensureTemplate makes template database name if the server has none,
// marks it used now and drops stale templates, all under templateLock.
// Failing to drop a stale template is only logged.
func ensureTemplate(admin, name string, s Schema, logf func(string, ...any)) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	// The lock is the session's: it goes with the connection, also when
	// this process dies half way.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, templateLock); err != nil {
		return fmt.Errorf("wait for the template lock: %w", err)
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if err := buildTemplate(ctx, conn, admin, name, s); err != nil {
			return err
		}
	}
	if _, err := conn.Exec(ctx, `COMMENT ON DATABASE `+name+` IS '`+lastUsed+time.Now().UTC().Format(time.RFC3339)+`'`); err != nil {
		return err
	}
	if err := dropStale(ctx, conn, name, time.Now()); err != nil {
		logf("pgtest: %v", err)
	}
	return nil
}

// buildTemplate creates name+buildSuffix empty, migrates it, makes it a
// template nobody may connect to (a template must have no sessions while
// it is copied) and only then gives it its name.
func buildTemplate(ctx context.Context, conn *pgx.Conn, admin, name string, s Schema) error {
	build := name + buildSuffix
	if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+build+` WITH (FORCE)`); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, createSQL(build, "")); err != nil {
		return err
	}
	dsn, err := databaseDSN(admin, build)
	if err == nil {
		err = s.Migrate(ctx, dsn)
	}
	if err != nil {
		conn.Exec(ctx, `DROP DATABASE IF EXISTS `+build+` WITH (FORCE)`)
		return fmt.Errorf("migrate: %w", err)
	}
	for _, q := range []string{
		`ALTER DATABASE ` + build + ` WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`,
		`ALTER DATABASE ` + build + ` RENAME TO ` + name,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// dropStale drops, other than keep, the templates not used since
// staleAfter before now and the half-built ones (a build that died: the
// caller holds the lock, so no build is under way).
func dropStale(ctx context.Context, conn *pgx.Conn, keep string, now time.Time) error {
	rows, err := conn.Query(ctx, `SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database
		WHERE starts_with(datname, $1) AND datname <> $2`, templatePrefix, keep)
	if err != nil {
		return err
	}
	var stale []string
	for rows.Next() {
		var name, comment string
		if err := rows.Scan(&name, &comment); err != nil {
			return err
		}
		used, err := time.Parse(time.RFC3339, strings.TrimPrefix(comment, lastUsed))
		if strings.HasSuffix(name, buildSuffix) || err != nil || now.Sub(used) > staleAfter {
			stale = append(stale, name)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range stale {
		// A copy being made holds a lock on its template, which DROP
		// waits for; a copy asked for afterwards makes the template again.
		for _, q := range []string{`ALTER DATABASE ` + name + ` WITH IS_TEMPLATE false`, `DROP DATABASE ` + name} {
			if _, err := conn.Exec(ctx, q); err != nil {
				return fmt.Errorf("drop stale template %s: %w", name, err)
			}
		}
	}
	return nil
}
