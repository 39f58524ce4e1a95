package pgtest

import (
	"context"
	"os"
	"testing"

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
