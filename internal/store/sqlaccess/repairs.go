package sqlaccess

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.RepairStore = (*Store)(nil)

// repairColumns are the columns scanRepair reads.
const repairColumns = `id, record_id, record_version, subject_id, dept, state, COALESCE(applicant_user, 0), applicant_name, commitment_id,
	filed_at, updated_at, COALESCE(due_on, ''), COALESCE(approved_on, ''), body, rev`

func scanRepair(row scanner) (store.RepairRow, error) {
	var r store.RepairRow
	var body string
	err := row.Scan(&r.ID, &r.RecordID, &r.RecordVersion, &r.SubjectID, &r.Dept, &r.State, &r.ApplicantUser, &r.ApplicantName, &r.CommitmentID,
		&r.FiledAt, &r.UpdatedAt, &r.DueOn, &r.ApprovedOn, &body, &r.Rev)
	r.Body = []byte(body)
	r.FiledAt, r.UpdatedAt = r.FiledAt.UTC(), r.UpdatedAt.UTC()
	return r, err
}

// AddRepair implements store.RepairStore. The commitment's code takes the
// next sequence number of its region and day: appends are serialised
// (SQLite has one writer; PostgreSQL takes the audit trail's lock first,
// which this transaction needs anyway), so two applications never compute
// the same code, and the unique index would refuse it if they did.
func (s *Store) AddRepair(ctx context.Context, n store.NewRepair, audit auth.AuditEntry) (store.RepairRow, error) {
	now := s.now()
	o, c := n.Row, n.Commitment
	if o.FiledAt.IsZero() {
		o.FiledAt = now
	}
	o.FiledAt, o.UpdatedAt, o.Rev = o.FiledAt.UTC(), now, 1
	s.prepareCommitment(&c)
	c.SubjectID = o.SubjectID
	if c.Kind == "" {
		c.Kind = store.CommitmentRepair
	}
	var files []store.CaseFile
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.LockAudit != nil {
			if err := s.LockAudit(ctx, tx); err != nil {
				return err
			}
		}
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM records WHERE id = $1`, o.RecordID).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return fmt.Errorf("record %d: %w", o.RecordID, store.ErrNotFound)
		}
		if len(n.OpenStates) > 0 {
			args := []any{o.RecordID}
			marks := make([]string, len(n.OpenStates))
			for i, st := range n.OpenStates {
				args = append(args, st)
				marks[i] = fmt.Sprintf("$%d", len(args))
			}
			var open int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM repairs WHERE record_id = $1 AND state IN (`+strings.Join(marks, ", ")+`) ORDER BY id LIMIT 1`,
				args...).Scan(&open)
			switch {
			case err == nil:
				return fmt.Errorf("record %d has repair %d open: %w", o.RecordID, open, store.ErrExists)
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		// The 承诺编码: the platform accepts a repair commitment; its
		// region is the subject's.
		name, region, err := subjectRow(ctx, tx, c.SubjectID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if c.PromisorName == "" {
			c.PromisorName = name
		}
		if err := s.addCommitment(ctx, tx, &c, region); err != nil {
			return err
		}
		o.CommitmentID = c.ID
		if n.Body != nil {
			if o.Body, err = n.Body(c.Code); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO repairs (record_id, record_version, subject_id, dept, state, applicant_user,
				applicant_name, commitment_id, filed_at, updated_at, due_on, approved_on, body, rev)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			o.RecordID, o.RecordVersion, o.SubjectID, o.Dept, o.State, nullInt(o.ApplicantUser), o.ApplicantName, o.CommitmentID,
			o.FiledAt, o.UpdatedAt, nullString(o.DueOn), nullString(o.ApprovedOn), string(o.Body), o.Rev).Scan(&o.ID); err != nil {
			return fmt.Errorf("add repair: %w", err)
		}
		if files, err = addCaseFiles(ctx, tx, "repair_files", "repair_id", o.ID, n.Files); err != nil {
			return err
		}
		audit.Target = fmt.Sprintf("repair:%d", o.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.RepairRow{}, err
	}
	o.Files, o.Commitment = files, c
	return o, nil
}

// UpdateRepair implements store.RepairStore.
func (s *Store) UpdateRepair(ctx context.Context, o store.RepairRow, audit auth.AuditEntry) (store.RepairRow, error) {
	o.UpdatedAt = s.now()
	if o.ApprovedOn != "" {
		if _, err := calendar.ParseDate(o.ApprovedOn); err != nil {
			return store.RepairRow{}, fmt.Errorf("%w: repair approved on %q", store.ErrInvalid, o.ApprovedOn)
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// The record's repair day is set when the approval is new (later
		// updates of an approved application, its re-check, leave it).
		var before sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT approved_on FROM repairs WHERE id = $1`, o.ID).Scan(&before); err != nil {
			return notFound(err, fmt.Sprintf("repair %d", o.ID))
		}
		res, err := tx.ExecContext(ctx, `UPDATE repairs SET state = $1, updated_at = $2, due_on = $3, approved_on = $4, body = $5, rev = rev + 1
			WHERE id = $6 AND rev = $7`, o.State, o.UpdatedAt, nullString(o.DueOn), nullString(o.ApprovedOn), string(o.Body), o.ID, o.Rev)
		if err != nil {
			return fmt.Errorf("update repair %d: %w", o.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var rev int
			err := tx.QueryRowContext(ctx, `SELECT rev FROM repairs WHERE id = $1`, o.ID).Scan(&rev)
			if err != nil {
				return notFound(err, fmt.Sprintf("repair %d", o.ID))
			}
			return fmt.Errorf("repair %d: %w", o.ID, store.ErrConflict)
		}
		if o.ApprovedOn != "" && !before.Valid {
			if _, err := tx.ExecContext(ctx, `UPDATE records SET repaired_on = $1 WHERE id = $2`, o.ApprovedOn, o.RecordID); err != nil {
				return fmt.Errorf("record %d repaired: %w", o.RecordID, err)
			}
			if err := s.appendRepairEvent(ctx, tx, o.RecordID, store.ChangeRepair, o.UpdatedAt); err != nil {
				return err
			}
		}
		if o.Assess != nil {
			if err := s.updateCommitment(ctx, tx, *o.Assess); err != nil {
				return err
			}
		}
		if o.Unrepair {
			if _, err := tx.ExecContext(ctx, `UPDATE records SET repaired_on = NULL WHERE id = $1`, o.RecordID); err != nil {
				return fmt.Errorf("record %d unrepaired: %w", o.RecordID, err)
			}
			if err := s.appendRepairEvent(ctx, tx, o.RecordID, store.ChangeRepairRevoked, o.UpdatedAt); err != nil {
				return err
			}
		}
		audit.Target = fmt.Sprintf("repair:%d", o.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.RepairRow{}, err
	}
	o.Rev++
	return o, nil
}

// GetRepair implements store.RepairStore.
func (s *Store) GetRepair(ctx context.Context, id int64) (store.RepairRow, error) {
	o, err := scanRepair(s.R.QueryRowContext(ctx, `SELECT `+repairColumns+` FROM repairs WHERE id = $1`, id))
	if err != nil {
		return store.RepairRow{}, notFound(err, fmt.Sprintf("repair %d", id))
	}
	if o.Files, err = s.caseFiles(ctx, "repair_files", "repair_id", id); err != nil {
		return store.RepairRow{}, err
	}
	if o.Commitment, err = scanCommitment(s.R.QueryRowContext(ctx, `SELECT `+commitmentColumns+` FROM commitments WHERE id = $1`, o.CommitmentID)); err != nil {
		return store.RepairRow{}, notFound(err, fmt.Sprintf("commitment %d of repair %d", o.CommitmentID, id))
	}
	return o, nil
}

// RepairFile implements store.RepairStore.
func (s *Store) RepairFile(ctx context.Context, id int64) (store.CaseFile, error) {
	return s.caseFile(ctx, "repair_files", "repair_id", id)
}

// RepairsOfRecords implements store.RepairStore.
func (s *Store) RepairsOfRecords(ctx context.Context, recordIDs []int64) ([]store.RepairRow, error) {
	if len(recordIDs) == 0 {
		return nil, nil
	}
	q, args := ofRecords("repairs", repairColumns, recordIDs)
	return s.queryRepairs(ctx, q, args...)
}

// ListRepairs implements store.RepairStore.
func (s *Store) ListRepairs(ctx context.Context, f store.CaseFilter) ([]store.RepairRow, error) {
	q, args := caseQueue("repairs", repairColumns, f)
	return s.queryRepairs(ctx, q, args...)
}

func (s *Store) queryRepairs(ctx context.Context, q string, args ...any) ([]store.RepairRow, error) {
	out, err := queryAll(ctx, s.R, q, scanRepair, args...)
	if err != nil {
		return nil, fmt.Errorf("repairs: %w", err)
	}
	return out, nil
}

// appendRepairEvent appends the change-feed event of a repair in tx, the
// approval's own transaction: the repair and its event commit together.
func (s *Store) appendRepairEvent(ctx context.Context, tx *sql.Tx, recordID int64, typ store.ChangeType, now time.Time) error {
	if s.LockChanges != nil {
		if err := s.LockChanges(ctx, tx); err != nil {
			return fmt.Errorf("lock change feed: %w", err)
		}
	}
	r := store.StoredRecord{ID: recordID}
	var state, fields string
	if err := tx.QueryRowContext(ctx, `SELECT r.kind, r.state, r.fields, r.subject_id, COALESCE(s.region, '')
		FROM records r LEFT JOIN subjects s ON s.id = r.subject_id WHERE r.id = $1`, recordID).Scan(&r.Kind, &state, &fields, &r.SubjectID, &r.Region); err != nil {
		return notFound(err, fmt.Sprintf("record %d", recordID))
	}
	r.State, r.Fields = store.RecordState(state), []byte(fields)
	e := r.Event(typ, now)
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&last); err != nil {
		return fmt.Errorf("read change sequence: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO changes (seq, at, type, record_id, kind, subject_id, region, list_type)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, last+1, e.At.UTC(), string(e.Type), e.RecordID, e.Kind, e.SubjectID, e.Region, e.ListType); err != nil {
		return fmt.Errorf("append repair event: %w", err)
	}
	return nil
}
