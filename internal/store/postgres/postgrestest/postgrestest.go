// Package postgrestest gives tests of other packages a PostgreSQL database
// at the postgres driver's newest schema, copied from a template database
// (pgtest.NewMigratedDatabase). The driver's own tests cannot import it
// (it imports the driver) and build the same Schema themselves.
package postgrestest

import (
	"context"
	"testing"

	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/pgtest"
	"github.com/xinyong/xinyong/internal/store/postgres"
)

// Schema is the postgres driver's schema: its migrations, and the search
// index version its Migrate leaves in the database.
var Schema = pgtest.Schema{Files: postgres.Migrations(), Version: "search index " + store.SearchIndexVersion, Migrate: migrate}

func migrate(ctx context.Context, dsn string) error {
	s, err := postgres.Open(ctx, dsn, nil)
	if err != nil {
		return err
	}
	_, _, err = s.Migrate(ctx)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

// NewDatabase creates a database at the newest schema and returns its
// DSN; it is dropped when t ends. Tests that need an empty database (of
// migrations, of commands that require one) use pgtest.NewDatabase.
func NewDatabase(t testing.TB) string {
	t.Helper()
	return pgtest.NewMigratedDatabase(t, Schema)
}
