package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

func TestIsConnError(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{fmt.Errorf("read subject: %w", &pgconn.PgError{Code: "57P02"}), true},
		{&pgconn.PgError{Code: "08006"}, true},
		{&pgconn.PgError{Code: "23505"}, false}, // a unique violation is the statement's
		{&pgconn.PgError{Code: "57014"}, false}, // query_canceled
		{pgx.ErrNoRows, false},
		{fmt.Errorf("wrapped: %w", pgconn.ErrConnClosed), true},
		{fmt.Errorf("failed to receive message: %w", io.ErrUnexpectedEOF), true},
		{context.Canceled, false},
		{fmt.Errorf("%w: %w", context.DeadlineExceeded, io.EOF), false},
	} {
		if got := isConnError(c.err); got != c.want {
			t.Errorf("isConnError(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// TestReadsSurviveTerminatedBackends: the server ends every connection of
// the database (pg_terminate_backend) between two reads; the second read
// still answers, on both the driver's own reads (pgx) and the shared
// access store's (database/sql), whether it scans one row or several.
func TestReadsSurviveTerminatedBackends(t *testing.T) {
	ctx := context.Background()
	dsn := newDatabase(t)
	s, err := Open(ctx, dsn, storetest.Keys())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)

	uscc := storetest.USCC("91", "610100", 1)
	if _, err := s.PutSubjects(ctx, []credit.Subject{{Class: credit.ClassOrg, USCC: uscc, Name: "西安重连测试有限公司", Region: "610100"}}); err != nil {
		t.Fatal(err)
	}
	root, err := s.RootOrg(ctx, "平台运营")
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, auth.User{Login: "reconnect", OrgID: root.ID, Roles: []string{"admin"}}, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	tok := auth.TokenHash(auth.NewToken(32))
	if err := s.CreateSession(ctx, auth.Session{TokenHash: tok, UserID: u.ID, CSRF: "c", Created: now, LastSeen: now, Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	// terminate ends every other backend of the database once the pool
	// holds several idle connections (so that the retry must not take
	// another dead one), and reports how many it ended.
	terminate := func(t *testing.T) int {
		t.Helper()
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.pool.Exec(ctx, `SELECT pg_sleep(0.05)`)
			}()
		}
		wg.Wait()
		var n int
		if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		// Wait until the server has ended them.
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			var left int
			admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&left)
			if left == 0 {
				break
			}
		}
		return n
	}

	// Without the retry the read fails: the test kills what it means to.
	if n := terminate(t); n < 2 {
		t.Fatalf("terminated %d backends, want the pool's several", n)
	}
	var one int
	if err := s.pool.QueryRow(ctx, `SELECT 1`).Scan(&one); !isConnError(err) {
		t.Fatalf("a plain read after pg_terminate_backend: %v, want a connection error", err)
	}

	for _, c := range []struct {
		name string
		read func() error
	}{
		{"one row (pgx)", func() error {
			sub, err := s.FindSubjectByCode(ctx, uscc)
			if err == nil && sub.Name != "西安重连测试有限公司" {
				err = fmt.Errorf("found %+v", sub)
			}
			return err
		}},
		{"rows (pgx)", func() error {
			n, err := s.CountSubjects(ctx)
			if err == nil && n[credit.ClassOrg] != 1 {
				err = fmt.Errorf("counted %v", n)
			}
			return err
		}},
		{"no rows (pgx)", func() error {
			recs, err := s.SubjectRecords(ctx, 999999)
			if err == nil && len(recs) != 0 {
				err = fmt.Errorf("%d records", len(recs))
			}
			return err
		}},
		{"not found stays not found (pgx)", func() error {
			if _, err := s.GetRecord(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("GetRecord of nothing: %v", err)
			}
			return nil
		}},
		{"session (database/sql, through the writer)", func() error {
			ss, err := s.GetSession(ctx, tok)
			if err == nil && ss.UserID != u.ID {
				err = fmt.Errorf("session of %d", ss.UserID)
			}
			return err
		}},
		{"organisation (database/sql)", func() error {
			o, err := s.GetOrg(ctx, root.ID)
			if err == nil && o.Name != "平台运营" {
				err = fmt.Errorf("org %+v", o)
			}
			return err
		}},
		{"rows (database/sql)", func() error {
			us, err := s.ListUsers(ctx, "")
			if err == nil && len(us) != 1 {
				err = fmt.Errorf("%d users", len(us))
			}
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.read(); err != nil {
				t.Fatalf("before: %v", err)
			}
			if n := terminate(t); n == 0 {
				t.Fatal("no backend terminated")
			}
			if err := c.read(); err != nil {
				t.Errorf("the read after pg_terminate_backend: %v", err)
			}
		})
	}
}
