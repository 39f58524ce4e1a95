package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/xinyong/xinyong/internal/store/sqlaccess"
)

// auditLockKey is the advisory lock that serialises appends to the audit
// chain (any constant unique to the purpose).
const auditLockKey = 0x78796175 // "xyau"

// reportsLockKey serialises appends to the report log.
const reportsLockKey = 0x78797270 // "xyrp"

// access builds the shared access store over the pool, through
// database/sql; closing the returned *sql.DB does not close the pool.
func access(s *Store) (*sqlaccess.Store, *sql.DB) {
	db := stdlib.OpenDBFromPool(s.pool)
	var mac func(prev, entry []byte) []byte
	if s.keys != nil {
		mac = s.keys.ChainMAC
	}
	reads := sqlReader{db: db, pool: s.pool}
	return &sqlaccess.Store{W: db, R: reads, WR: reads, MAC: mac, Keys: s.keys, IsUnique: isUnique, Now: s.now,
		LockAudit: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, auditLockKey)
			return err
		},
		LockChanges: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, changesLockKey)
			return err
		},
		LockReports: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, reportsLockKey)
			return err
		}}, db
}

func isUnique(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}
