package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// bulkRows is how many rows one multi-row INSERT carries. One statement
// per row costs SQLite a statement step each; a hundred rows share one.
const bulkRows = 100

// bulkInsert inserts n rows into table: row(i) appends row i's values, in
// columns order, to args. Full statements are prepared once.
func bulkInsert(ctx context.Context, tx *sql.Tx, table string, columns []string, n int, row func(i int, args []any) []any) error {
	if n == 0 {
		return nil
	}
	var full *sql.Stmt
	args := make([]any, 0, bulkRows*len(columns))
	for start := 0; start < n; start += bulkRows {
		end := min(start+bulkRows, n)
		args = args[:0]
		for i := start; i < end; i++ {
			args = row(i, args)
		}
		q := insertSQL(table, columns, end-start)
		var err error
		if end-start == bulkRows {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, q); err != nil {
					return err
				}
				defer full.Close()
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, q, args...)
		}
		if err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

func insertSQL(table string, columns []string, rows int) string {
	one := "(?" + strings.Repeat(", ?", len(columns)-1) + ")"
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	return b.String()
}

// nextID returns the next free id of table. Only valid inside a write
// transaction: SQLite has one writer, so nobody else takes ids meanwhile.
func nextID(ctx context.Context, tx *sql.Tx, table string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM `+table).Scan(&id)
	return id, err
}

// inList returns "(?, ?, …)" for vals and vals as arguments, for a
// WHERE … IN query.
func inList[T any](vals []T) (string, []any) {
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return "(?" + strings.Repeat(", ?", len(vals)-1) + ")", args
}

// timeText is the text modernc's driver stores for a time.Time (its
// default format, time.Time.String), for binding one time to many rows:
// formatting it once per batch instead of once per row.
func timeText(t time.Time) string { return t.String() }
