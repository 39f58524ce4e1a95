package sqlaccess

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.ObjectionStore = (*Store)(nil)

// objectionColumns are the columns scanObjection reads.
const objectionColumns = `id, record_id, record_version, subject_id, dept, state, marks, COALESCE(applicant_user, 0), applicant_name,
	contact, filed_at, updated_at, COALESCE(due_on, ''), body, rev`

func scanObjection(row scanner) (store.ObjectionRow, error) {
	var o store.ObjectionRow
	var body string
	err := row.Scan(&o.ID, &o.RecordID, &o.RecordVersion, &o.SubjectID, &o.Dept, &o.State, &o.Marks, &o.ApplicantUser, &o.ApplicantName,
		&o.Contact, &o.FiledAt, &o.UpdatedAt, &o.DueOn, &body, &o.Rev)
	o.Body = []byte(body)
	o.FiledAt, o.UpdatedAt = o.FiledAt.UTC(), o.UpdatedAt.UTC()
	return o, err
}

// AddObjection implements store.ObjectionStore.
func (s *Store) AddObjection(ctx context.Context, o store.ObjectionRow, files []store.CaseFile, audit auth.AuditEntry) (store.ObjectionRow, error) {
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
		if o.Files, err = addCaseFiles(ctx, tx, "objection_files", "objection_id", o.ID, files); err != nil {
			return err
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
	o.Files, err = s.caseFiles(ctx, "objection_files", "objection_id", id)
	return o, err
}

// ObjectionFile implements store.ObjectionStore.
func (s *Store) ObjectionFile(ctx context.Context, id int64) (store.CaseFile, error) {
	return s.caseFile(ctx, "objection_files", "objection_id", id)
}

// ObjectionsOfRecords implements store.ObjectionStore.
func (s *Store) ObjectionsOfRecords(ctx context.Context, recordIDs []int64) ([]store.ObjectionRow, error) {
	if len(recordIDs) == 0 {
		return nil, nil
	}
	q, args := ofRecords("objections", objectionColumns, recordIDs)
	return s.queryObjections(ctx, q, args...)
}

// ListObjections implements store.ObjectionStore.
func (s *Store) ListObjections(ctx context.Context, f store.CaseFilter) ([]store.ObjectionRow, error) {
	q, args := caseQueue("objections", objectionColumns, f)
	return s.queryObjections(ctx, q, args...)
}

func (s *Store) queryObjections(ctx context.Context, q string, args ...any) ([]store.ObjectionRow, error) {
	out, err := queryAll(ctx, s.R, q, scanObjection, args...)
	if err != nil {
		return nil, fmt.Errorf("objections: %w", err)
	}
	return out, nil
}
