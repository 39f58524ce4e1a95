package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// Migrator applies a driver's embedded SQL migrations with goose. Both
// drivers use it, so that "refuse a newer schema" is decided in one place.
type Migrator struct {
	DB      *sql.DB
	Dialect goose.Dialect
	FS      fs.FS // the migration files, at the root of FS
}

func (m Migrator) provider() (*goose.Provider, error) {
	p, err := goose.NewProvider(m.Dialect, m.DB, m.FS)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}

// Versions returns the database's schema version (0 for an empty
// database) and the newest version embedded in the binary.
func (m Migrator) Versions(ctx context.Context) (db, binary int64, err error) {
	p, err := m.provider()
	if err != nil {
		return 0, 0, err
	}
	srcs := p.ListSources()
	if len(srcs) > 0 {
		binary = srcs[len(srcs)-1].Version
	}
	db, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, binary, fmt.Errorf("read schema version: %w", err)
	}
	return db, binary, nil
}

// Check returns ErrSchemaTooNew when the database is ahead of the binary
// and ErrSchemaTooOld when it is behind.
func (m Migrator) Check(ctx context.Context) error {
	db, binary, err := m.Versions(ctx)
	if err != nil {
		return err
	}
	return CompareVersions(db, binary)
}

// CompareVersions returns ErrSchemaTooNew when the database's schema
// version db is ahead of the binary's and ErrSchemaTooOld when behind.
func CompareVersions(db, binary int64) error {
	switch {
	case db > binary:
		return fmt.Errorf("%w: the database is at schema version %d, this binary knows up to %d; run a newer xinyong (or restore a backup taken before the upgrade)", ErrSchemaTooNew, db, binary)
	case db < binary:
		return fmt.Errorf("%w (database at version %d, binary at %d)", ErrSchemaTooOld, db, binary)
	}
	return nil
}

// Up applies pending migrations, refusing a newer schema.
func (m Migrator) Up(ctx context.Context) (from, to int64, err error) {
	from, binary, err := m.Versions(ctx)
	if err != nil {
		return 0, 0, err
	}
	if err := CompareVersions(from, binary); err != nil && from > binary {
		return from, from, err
	}
	p, err := m.provider()
	if err != nil {
		return from, from, err
	}
	if _, err := p.Up(ctx); err != nil {
		return from, from, fmt.Errorf("migrate: %w", err)
	}
	to, _, err = m.Versions(ctx)
	return from, to, err
}
