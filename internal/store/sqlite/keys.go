package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/xinyong/xinyong/internal/store"
)

var _ store.KeyStore = (*Store)(nil)

// Setting implements store.KeyStore.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.w.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", store.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, err)
	}
	return v, nil
}

// SwapSetting implements store.KeyStore.
func (s *Store) SwapSetting(ctx context.Context, name, old, value string) (bool, error) {
	var res sql.Result
	var err error
	if old == "" {
		res, err = s.w.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, value)
	} else {
		res, err = s.w.ExecContext(ctx, `UPDATE settings SET value = ? WHERE name = ? AND value = ?`, value, name, old)
	}
	if err != nil {
		return false, fmt.Errorf("store setting %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReencryptBatch implements store.KeyStore.
func (s *Store) ReencryptBatch(ctx context.Context, c store.EncryptedColumn, after []any, limit int, rewrite func([]byte) ([]byte, error)) ([]any, int, int, error) {
	keys := quoteAll(c.Key)
	q := `SELECT ` + strings.Join(keys, ", ") + `, "` + c.Column + `" FROM "` + c.Table + `" WHERE "` + c.Column + `" IS NOT NULL`
	args := append([]any(nil), after...)
	if after != nil {
		q += ` AND (` + strings.Join(keys, ", ") + `) > (` + strings.TrimSuffix(strings.Repeat("?, ", len(keys)), ", ") + `)`
	}
	q += ` ORDER BY ` + strings.Join(keys, ", ") + ` LIMIT ?`
	args = append(args, limit)

	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, 0, err
	}
	defer tx.Rollback()
	type row struct {
		key []any
		val []byte
	}
	var rows []row
	rs, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, 0, err
	}
	for rs.Next() {
		r := row{key: make([]any, len(keys))}
		dest := make([]any, len(keys)+1)
		for i := range r.key {
			dest[i] = &r.key[i]
		}
		dest[len(keys)] = &r.val
		if err := rs.Scan(dest...); err != nil {
			rs.Close()
			return nil, 0, 0, err
		}
		rows = append(rows, r)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, 0, 0, err
	}
	if len(rows) == 0 {
		return nil, 0, 0, nil
	}
	where := make([]string, len(keys))
	for i, k := range keys {
		where[i] = k + ` = ?`
	}
	upd, err := tx.PrepareContext(ctx, `UPDATE "`+c.Table+`" SET "`+c.Column+`" = ? WHERE `+strings.Join(where, " AND "))
	if err != nil {
		return nil, 0, 0, err
	}
	defer upd.Close()
	rewritten := 0
	for _, r := range rows {
		v, err := rewrite(r.val)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("row %v: %w", r.key, err)
		}
		if v == nil {
			continue
		}
		if _, err := upd.ExecContext(ctx, append([]any{v}, r.key...)...); err != nil {
			return nil, 0, 0, err
		}
		rewritten++
	}
	if err := tx.Commit(); err != nil {
		return nil, 0, 0, err
	}
	return rows[len(rows)-1].key, len(rows), rewritten, nil
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = `"` + n + `"`
	}
	return out
}
