package sqlite

import (
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store/sqlaccess"
)

// access builds the shared access store over this database: SQLite has one
// writer connection, so audit appends are serialised already.
func access(s *Store) *sqlaccess.Store {
	return &sqlaccess.Store{W: s.w, R: s.r, MAC: chainMAC(s.keys), Keys: s.keys, IsUnique: isUnique, Now: s.now, Positional: true, PrepareWrites: true}
}

func isUnique(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

func chainMAC(k *pii.Keyring) func(prev, entry []byte) []byte {
	if k == nil {
		return nil
	}
	return k.ChainMAC
}
