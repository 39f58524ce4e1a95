// Package pgtest gives tests a fresh PostgreSQL database: an empty one
// (NewDatabase), or one already at the newest schema, cloned from a
// migrated template (NewMigratedDatabase, template.go).
//
// It uses the server named by XINYONG_TEST_PG (an admin DSN), else the one
// at 127.0.0.1:5432 (user postgres), else it starts its own with initdb on
// loopback for the life of the test binary. XINYONG_TEST_PG=initdb forces
// the last. When no server can be had, tests are skipped, except under
// CI=true, where they fail: CI never silently skips PostgreSQL.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultDSN is the server tried when XINYONG_TEST_PG is not set.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=3"

var (
	once     sync.Once
	adminDSN string
	setupErr error
	local    *Server
)

// Main runs the tests of a package and stops a server pgtest started.
// Use it from TestMain: func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	if local != nil {
		local.Stop()
	}
	return code
}

// NewDatabase creates an empty database with a UTF-8 ctype and returns its
// DSN; the database is dropped when t ends. Tests of migrations use it;
// others want NewMigratedDatabase.
func NewDatabase(t testing.TB) string {
	t.Helper()
	return newDatabase(t, "", nil)
}

// server returns the admin DSN of the test server, skipping t (failing it
// under CI=true) when there is none.
func server(t testing.TB) string {
	t.Helper()
	once.Do(func() { adminDSN, setupErr = findServer() })
	if setupErr != nil {
		Unavailable(t, setupErr)
	}
	return adminDSN
}

// createSQL is the statement that creates database name: empty, UTF-8 with
// a UTF-8 ctype, from template0, or a copy of template.
func createSQL(name, template string) string {
	if template == "" {
		return `CREATE DATABASE ` + name + ` TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`
	}
	return `CREATE DATABASE ` + name + ` TEMPLATE ` + template
}

// newDatabase creates a database for t, a copy of template unless that is
// "", and drops it when t ends. When the template is gone (dropped as
// stale by another test binary), remake makes it again, once.
func newDatabase(t testing.TB, template string, remake func() error) string {
	t.Helper()
	admin := server(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	name := "xinyong_test_" + hex.EncodeToString(b)
	for attempt := 0; ; attempt++ {
		_, err = conn.Exec(ctx, createSQL(name, template))
		var pgErr *pgconn.PgError
		switch {
		case err == nil:
		case errors.As(err, &pgErr) && pgErr.Code == "3D000" && remake != nil: // invalid_catalog_name
			again := remake
			remake = nil
			if err := again(); err != nil {
				t.Fatalf("make template database %s again: %v", template, err)
			}
			continue
		case errors.As(err, &pgErr) && pgErr.Code == "55006" && attempt < 50: // object_in_use: a session on the template
			time.Sleep(100 * time.Millisecond)
			continue
		default:
			t.Fatalf("create test database: %v", err)
		}
		break
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop test database: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	dsn, err := databaseDSN(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// databaseDSN is the DSN of database name on the server of admin.
func databaseDSN(admin, name string) (string, error) {
	cfg, err := pgx.ParseConfig(admin)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", cfg.User, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), name), nil
}

// Unavailable skips t, or fails it under CI=true.
func Unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("PostgreSQL is required under CI=true: %v", err)
	}
	t.Skipf("no PostgreSQL: %v (set XINYONG_TEST_PG, run one on 127.0.0.1:5432, or install initdb)", err)
}

func findServer() (string, error) {
	env := os.Getenv("XINYONG_TEST_PG")
	if env != "" && env != "initdb" {
		return env, ping(env)
	}
	if env == "" && ping(DefaultDSN) == nil {
		return DefaultDSN, nil
	}
	s, err := Start()
	if err != nil {
		return "", err
	}
	local = s
	return s.DSN, nil
}

func ping(dsn string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// Server is a PostgreSQL server started by Start.
type Server struct {
	DSN string
	dir string
	cmd *exec.Cmd
}

// Start initialises a cluster in a temporary directory and starts a server
// on a free loopback port, as the postgres user when run as root (initdb
// refuses root). The server dies with the test process.
func Start() (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "xinyong-pg-")
	if err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and no postgres user to run initdb as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-k", dir, "-h", "127.0.0.1", "-p", strconv.Itoa(port),
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	logf, _ := os.Create(filepath.Join(dir, "postgres.log"))
	if cred != nil && logf != nil {
		os.Chown(logf.Name(), int(cred.Uid), int(cred.Gid))
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	s := &Server{DSN: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), dir: dir, cmd: cmd}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err = ping(s.DSN); err == nil {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			return nil, fmt.Errorf("postgres did not start: %v: %s", err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop stops the server and removes its files.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
		}
	}
	os.RemoveAll(s.dir)
}

func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(real), nil
		}
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	return "", errors.New("initdb not found (install postgresql)")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
