package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/xinyong/xinyong/internal/store"
)

var _ store.KeyStore = (*Store)(nil)

// Setting implements store.KeyStore.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.reads.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", store.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, err)
	}
	return v, nil
}

// SwapSetting implements store.KeyStore.
func (s *Store) SwapSetting(ctx context.Context, name, old, value string) (bool, error) {
	var tag pgconn.CommandTag
	var err error
	if old == "" {
		tag, err = s.pool.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, value)
	} else {
		tag, err = s.pool.Exec(ctx, `UPDATE settings SET value = $1 WHERE name = $2 AND value = $3`, value, name, old)
	}
	if err != nil {
		return false, fmt.Errorf("store setting %s: %w", name, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReencryptBatch implements store.KeyStore. The rows read are locked
// (FOR UPDATE) until the batch commits, so that no concurrent write of
// one of them is lost.
func (s *Store) ReencryptBatch(ctx context.Context, c store.EncryptedColumn, after []any, limit int, rewrite func([]byte) ([]byte, error)) ([]any, int, int, error) {
	keys := make([]string, len(c.Key))
	for i, k := range c.Key {
		keys[i] = pgx.Identifier{k}.Sanitize()
	}
	table, column := pgx.Identifier{c.Table}.Sanitize(), pgx.Identifier{c.Column}.Sanitize()
	q := `SELECT ` + strings.Join(keys, ", ") + `, ` + column + ` FROM ` + table + ` WHERE ` + column + ` IS NOT NULL`
	args := append([]any(nil), after...)
	if after != nil {
		ph := make([]string, len(keys))
		for i := range ph {
			ph[i] = fmt.Sprintf("$%d", i+1)
		}
		q += ` AND (` + strings.Join(keys, ", ") + `) > (` + strings.Join(ph, ", ") + `)`
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY %s LIMIT $%d FOR UPDATE`, strings.Join(keys, ", "), len(args))
	where := make([]string, len(keys))
	for i, k := range keys {
		where[i] = fmt.Sprintf("%s = $%d", k, i+2)
	}
	upd := `UPDATE ` + table + ` SET ` + column + ` = $1 WHERE ` + strings.Join(where, " AND ")

	var last []any
	read, rewritten := 0, 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rs, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		type row struct {
			key []any
			val []byte
		}
		var rows []row
		for rs.Next() {
			vals, err := rs.Values()
			if err != nil {
				rs.Close()
				return err
			}
			val, _ := vals[len(keys)].([]byte)
			rows = append(rows, row{key: vals[:len(keys)], val: val})
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
		var b pgx.Batch
		for _, r := range rows {
			v, err := rewrite(r.val)
			if err != nil {
				return fmt.Errorf("row %v: %w", r.key, err)
			}
			if v != nil {
				b.Queue(upd, append([]any{v}, r.key...)...)
			}
		}
		if b.Len() > 0 {
			if err := tx.SendBatch(ctx, &b).Close(); err != nil {
				return err
			}
		}
		read, rewritten = len(rows), b.Len()
		if len(rows) > 0 {
			last = rows[len(rows)-1].key
		}
		return nil
	})
	if err != nil {
		return nil, 0, 0, err
	}
	return last, read, rewritten, nil
}
