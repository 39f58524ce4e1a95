package sqlaccess

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/xinyong/xinyong/internal/store"
)

// What objections and repair applications share in SQL: their files
// (tables objection_files and repair_files, keyed by the column named
// col), their queues and their look-ups by record.

// addCaseFiles inserts the files of case id in tx and returns them with
// their ids, without their data.
func addCaseFiles(ctx context.Context, tx *sql.Tx, table, col string, id int64, files []store.CaseFile) ([]store.CaseFile, error) {
	out := make([]store.CaseFile, len(files))
	for i, f := range files {
		if err := tx.QueryRowContext(ctx, `INSERT INTO `+table+` (`+col+`, name, content_type, size, sha256, data)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, id, f.Name, f.ContentType, f.Size, f.SHA256, f.Data).Scan(&f.ID); err != nil {
			return nil, fmt.Errorf("add file %q: %w", f.Name, err)
		}
		f.CaseID, f.Data = id, nil
		out[i] = f
	}
	return out, nil
}

// caseFiles lists the files of case id, without their data.
func (s *Store) caseFiles(ctx context.Context, table, col string, id int64) ([]store.CaseFile, error) {
	return queryAll(ctx, s.R, `SELECT id, `+col+`, name, content_type, size, sha256 FROM `+table+` WHERE `+col+` = $1 ORDER BY id`,
		func(sc scanner) (store.CaseFile, error) {
			var f store.CaseFile
			return f, sc.Scan(&f.ID, &f.CaseID, &f.Name, &f.ContentType, &f.Size, &f.SHA256)
		}, id)
}

// caseFile reads file id with its data.
func (s *Store) caseFile(ctx context.Context, table, col string, id int64) (store.CaseFile, error) {
	var f store.CaseFile
	err := s.R.QueryRowContext(ctx, `SELECT id, `+col+`, name, content_type, size, sha256, data FROM `+table+` WHERE id = $1`, id).
		Scan(&f.ID, &f.CaseID, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.Data)
	if err != nil {
		return store.CaseFile{}, notFound(err, fmt.Sprintf("%s %d", table, id))
	}
	return f, nil
}

// ofRecords is the query of the cases (columns of table) about any of
// the records, by id.
func ofRecords(table, columns string, recordIDs []int64) (string, []any) {
	args := make([]any, len(recordIDs))
	marks := make([]string, len(recordIDs))
	for i, id := range recordIDs {
		args[i], marks[i] = id, fmt.Sprintf("$%d", i+1)
	}
	return `SELECT ` + columns + ` FROM ` + table + ` WHERE record_id IN (` + strings.Join(marks, ", ") + `) ORDER BY id`, args
}

// caseQueue is the query of a queue of cases (columns of table): by the
// due day of the step they wait on (none last), then by id.
func caseQueue(table, columns string, f store.CaseFilter) (string, []any) {
	var where []string
	var args []any
	in := func(col string, vals []string) {
		marks := make([]string, len(vals))
		for i, v := range vals {
			args = append(args, v)
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		where = append(where, col+` IN (`+strings.Join(marks, ", ")+`)`)
	}
	if len(f.Depts) > 0 {
		in("dept", f.Depts)
	}
	if len(f.States) > 0 {
		in("state", f.States)
	}
	if f.ApplicantUser != 0 {
		args = append(args, f.ApplicantUser)
		where = append(where, fmt.Sprintf("applicant_user = $%d", len(args)))
	}
	if f.Waiting {
		where = append(where, "due_on IS NOT NULL")
	}
	if table == "repairs" && (f.ApprovedFrom != "" || f.ApprovedTo != "") {
		where = append(where, "approved_on IS NOT NULL")
		if f.ApprovedFrom != "" {
			args = append(args, f.ApprovedFrom)
			where = append(where, fmt.Sprintf("approved_on >= $%d", len(args)))
		}
		if f.ApprovedTo != "" {
			args = append(args, f.ApprovedTo)
			where = append(where, fmt.Sprintf("approved_on <= $%d", len(args)))
		}
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	q := `SELECT ` + columns + ` FROM ` + table
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	return q + fmt.Sprintf(` ORDER BY due_on IS NULL, due_on, id LIMIT $%d`, len(args)), args
}

// scanner is a row to scan.
type scanner interface{ Scan(...any) error }

// queryAll runs q and scans every row.
func queryAll[T any](ctx context.Context, db Reader, q string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
