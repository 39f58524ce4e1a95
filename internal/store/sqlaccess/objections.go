package sqlaccess

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.ObjectionStore = (*Store)(nil)

// objectionColumns are the columns scanObjection reads.
const objectionColumns = `id, record_id, record_version, subject_id, dept, state, marks, COALESCE(applicant_user, 0), applicant_name,
	contact, filed_at, updated_at, COALESCE(due_on, ''), body, rev`

func scanObjection(row interface{ Scan(...any) error }) (store.ObjectionRow, error) {
	var o store.ObjectionRow
	var body string
	err := row.Scan(&o.ID, &o.RecordID, &o.RecordVersion, &o.SubjectID, &o.Dept, &o.State, &o.Marks, &o.ApplicantUser, &o.ApplicantName,
		&o.Contact, &o.FiledAt, &o.UpdatedAt, &o.DueOn, &body, &o.Rev)
	o.Body = []byte(body)
	o.FiledAt, o.UpdatedAt = o.FiledAt.UTC(), o.UpdatedAt.UTC()
	return o, err
}

// AddObjection implements store.ObjectionStore.
func (s *Store) AddObjection(ctx context.Context, o store.ObjectionRow, files []store.ObjectionFile, audit auth.AuditEntry) (store.ObjectionRow, error) {
	now := s.now()
	if o.FiledAt.IsZero() {
		o.FiledAt = now
	}
	o.FiledAt, o.UpdatedAt, o.Rev = o.FiledAt.UTC(), now, 1
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE records SET objected = TRUE WHERE id = $1`, o.RecordID)
		if err != nil {
			return fmt.Errorf("flag record %d: %w", o.RecordID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("record %d: %w", o.RecordID, store.ErrNotFound)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO objections (record_id, record_version, subject_id, dept, state, marks,
				applicant_user, applicant_name, contact, filed_at, updated_at, due_on, body, rev)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			o.RecordID, o.RecordVersion, o.SubjectID, o.Dept, o.State, o.Marks, nullInt(o.ApplicantUser), o.ApplicantName,
			o.Contact, o.FiledAt, o.UpdatedAt, nullString(o.DueOn), string(o.Body), o.Rev).Scan(&o.ID); err != nil {
			return fmt.Errorf("add objection: %w", err)
		}
		o.Files = make([]store.ObjectionFile, len(files))
		for i, f := range files {
			if err := tx.QueryRowContext(ctx, `INSERT INTO objection_files (objection_id, name, content_type, size, sha256, data)
				VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, o.ID, f.Name, f.ContentType, f.Size, f.SHA256, f.Data).Scan(&f.ID); err != nil {
				return fmt.Errorf("objection file %q: %w", f.Name, err)
			}
			f.ObjectionID, f.Data = o.ID, nil
			o.Files[i] = f
		}
		audit.Target = fmt.Sprintf("objection:%d", o.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.ObjectionRow{}, err
	}
	return o, nil
}

// UpdateObjection implements store.ObjectionStore.
func (s *Store) UpdateObjection(ctx context.Context, o store.ObjectionRow, audit auth.AuditEntry) (store.ObjectionRow, error) {
	o.UpdatedAt = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE objections SET state = $1, marks = $2, updated_at = $3, due_on = $4, body = $5, rev = rev + 1
			WHERE id = $6 AND rev = $7`, o.State, o.Marks, o.UpdatedAt, nullString(o.DueOn), string(o.Body), o.ID, o.Rev)
		if err != nil {
			return fmt.Errorf("update objection %d: %w", o.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var rev int
			err := tx.QueryRowContext(ctx, `SELECT rev FROM objections WHERE id = $1`, o.ID).Scan(&rev)
			if err != nil {
				return notFound(err, fmt.Sprintf("objection %d", o.ID))
			}
			return fmt.Errorf("objection %d: %w", o.ID, store.ErrConflict)
		}
		audit.Target = fmt.Sprintf("objection:%d", o.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.ObjectionRow{}, err
	}
	o.Rev++
	return o, nil
}

// GetObjection implements store.ObjectionStore.
func (s *Store) GetObjection(ctx context.Context, id int64) (store.ObjectionRow, error) {
	o, err := scanObjection(s.R.QueryRowContext(ctx, `SELECT `+objectionColumns+` FROM objections WHERE id = $1`, id))
	if err != nil {
		return store.ObjectionRow{}, notFound(err, fmt.Sprintf("objection %d", id))
	}
	rows, err := s.R.QueryContext(ctx, `SELECT id, objection_id, name, content_type, size, sha256 FROM objection_files WHERE objection_id = $1 ORDER BY id`, id)
	if err != nil {
		return store.ObjectionRow{}, fmt.Errorf("objection files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f store.ObjectionFile
		if err := rows.Scan(&f.ID, &f.ObjectionID, &f.Name, &f.ContentType, &f.Size, &f.SHA256); err != nil {
			return store.ObjectionRow{}, err
		}
		o.Files = append(o.Files, f)
	}
	return o, rows.Err()
}

// ObjectionFile implements store.ObjectionStore.
func (s *Store) ObjectionFile(ctx context.Context, id int64) (store.ObjectionFile, error) {
	var f store.ObjectionFile
	err := s.R.QueryRowContext(ctx, `SELECT id, objection_id, name, content_type, size, sha256, data FROM objection_files WHERE id = $1`, id).
		Scan(&f.ID, &f.ObjectionID, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.Data)
	if err != nil {
		return store.ObjectionFile{}, notFound(err, fmt.Sprintf("objection file %d", id))
	}
	return f, nil
}

// ObjectionsOfRecords implements store.ObjectionStore.
func (s *Store) ObjectionsOfRecords(ctx context.Context, recordIDs []int64) ([]store.ObjectionRow, error) {
	if len(recordIDs) == 0 {
		return nil, nil
	}
	args := make([]any, len(recordIDs))
	marks := make([]string, len(recordIDs))
	for i, id := range recordIDs {
		args[i], marks[i] = id, fmt.Sprintf("$%d", i+1)
	}
	return s.queryObjections(ctx, `SELECT `+objectionColumns+` FROM objections WHERE record_id IN (`+strings.Join(marks, ", ")+`) ORDER BY id`, args...)
}

// ListObjections implements store.ObjectionStore.
func (s *Store) ListObjections(ctx context.Context, f store.ObjectionFilter) ([]store.ObjectionRow, error) {
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
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	q := `SELECT ` + objectionColumns + ` FROM objections`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY due_on IS NULL, due_on, id LIMIT $%d`, len(args))
	return s.queryObjections(ctx, q, args...)
}

func (s *Store) queryObjections(ctx context.Context, q string, args ...any) ([]store.ObjectionRow, error) {
	rows, err := s.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("objections: %w", err)
	}
	defer rows.Close()
	var out []store.ObjectionRow
	for rows.Next() {
		o, err := scanObjection(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
