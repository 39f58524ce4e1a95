package sqlaccess

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.CommitmentStore = (*Store)(nil)

// commitmentColumns are the columns scanCommitment reads.
const commitmentColumns = `id, code, kind, kind_other, subject_id, promisor_name, matter, content, liability, made_on, valid_until,
	acceptor_name, acceptor_code, disclosure, note, status, unfulfilled, pursued, assessed_on, assessor_name, assessor_code,
	COALESCE(breach_record_id, 0), COALESCE(made_by, 0), history, rev, created_at, updated_at`

func scanCommitment(row scanner) (store.Commitment, error) {
	var c store.Commitment
	var history string
	err := row.Scan(&c.ID, &c.Code, &c.Kind, &c.KindOther, &c.SubjectID, &c.PromisorName, &c.Matter, &c.Content, &c.Liability,
		&c.MadeOn, &c.ValidUntil, &c.AcceptorName, &c.AcceptorCode, &c.Disclosure, &c.Note, &c.Status, &c.Unfulfilled, &c.Pursued,
		&c.AssessedOn, &c.AssessorName, &c.AssessorCode, &c.BreachRecordID, &c.MadeBy, &history, &c.Rev, &c.CreatedAt, &c.UpdatedAt)
	c.History = []byte(history)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

// maxCommitmentSeq is the last sequence number of a 承诺编码 (6 digits).
const maxCommitmentSeq = 999999

// addCommitment computes c's 承诺编码 from region and c.MadeOn and inserts
// it in tx. The caller's transaction must be serialised with every other
// one that adds a commitment (SQLite has one writer; on PostgreSQL the
// audit trail's lock, taken first, does it), so two commitments never
// compute the same code; the unique index would refuse it if they did.
func (s *Store) addCommitment(ctx context.Context, tx *sql.Tx, c *store.Commitment, region string) error {
	day, err := calendar.ParseDate(c.MadeOn)
	if err != nil {
		return fmt.Errorf("%w: commitment made on %q", store.ErrInvalid, c.MadeOn)
	}
	if len(region) != 6 || strings.Trim(region, "0123456789") != "" {
		region = "000000"
	}
	prefix := region + strings.ReplaceAll(day.String(), "-", "")
	var last sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT MAX(code) FROM commitments WHERE code >= $1 AND code <= $2`,
		prefix+"000000", prefix+"999999").Scan(&last); err != nil {
		return fmt.Errorf("commitment sequence: %w", err)
	}
	seq := 1
	if last.Valid {
		n, err := strconv.Atoi(strings.TrimPrefix(last.String, prefix))
		if err != nil {
			return fmt.Errorf("commitment code %q: %w", last.String, err)
		}
		seq = n + 1
	}
	if seq > maxCommitmentSeq {
		return fault.Newf(fault.Invalid, "承诺编码%s的流水号已用完", prefix)
	}
	c.Code = fmt.Sprintf("%s%06d", prefix, seq)
	if len(c.History) == 0 {
		c.History = []byte("[]")
	}
	c.Rev = 1
	err = tx.QueryRowContext(ctx, `INSERT INTO commitments (code, kind, kind_other, subject_id, promisor_name, matter, content, liability,
			made_on, valid_until, acceptor_name, acceptor_code, disclosure, note, status, unfulfilled, pursued, assessed_on, assessor_name,
			assessor_code, breach_record_id, made_by, history, rev, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)
		RETURNING id`,
		c.Code, c.Kind, c.KindOther, c.SubjectID, c.PromisorName, c.Matter, c.Content, c.Liability, c.MadeOn, c.ValidUntil,
		c.AcceptorName, c.AcceptorCode, c.Disclosure, c.Note, c.Status, c.Unfulfilled, c.Pursued, c.AssessedOn, c.AssessorName,
		c.AssessorCode, nullInt(c.BreachRecordID), nullInt(c.MadeBy), string(c.History), c.Rev, c.CreatedAt, c.UpdatedAt).Scan(&c.ID)
	if err != nil {
		return s.wrapUnique(fmt.Errorf("add commitment: %w", err), "承诺编码"+c.Code)
	}
	return nil
}

// prepareCommitment sets the defaults of a commitment about to be added:
// its times and, when unset, the day it was made.
func (s *Store) prepareCommitment(c *store.Commitment) {
	now := s.now()
	c.CreatedAt, c.UpdatedAt = now, now
	if c.MadeOn == "" {
		c.MadeOn = calendar.FromTime(now).String()
	}
}

// subjectRow reads a subject's current name and region in tx (ErrNotFound).
func subjectRow(ctx context.Context, tx *sql.Tx, id int64) (name, region string, err error) {
	err = tx.QueryRowContext(ctx, `SELECT name, COALESCE(region, '') FROM subjects WHERE id = $1`, id).Scan(&name, &region)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("subject %d: %w", id, store.ErrNotFound)
	}
	return name, region, err
}

// AddCommitment implements store.CommitmentStore.
func (s *Store) AddCommitment(ctx context.Context, c store.Commitment, region string, audit auth.AuditEntry) (store.Commitment, error) {
	s.prepareCommitment(&c)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.LockAudit != nil {
			if err := s.LockAudit(ctx, tx); err != nil {
				return err
			}
		}
		name, _, err := subjectRow(ctx, tx, c.SubjectID)
		if err != nil {
			return err
		}
		if c.PromisorName == "" {
			c.PromisorName = name
		}
		if err := s.addCommitment(ctx, tx, &c, region); err != nil {
			return err
		}
		audit.Target = fmt.Sprintf("commitment:%d", c.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.Commitment{}, err
	}
	return c, nil
}

// UpdateCommitment implements store.CommitmentStore.
func (s *Store) UpdateCommitment(ctx context.Context, c store.Commitment, audit auth.AuditEntry) (store.Commitment, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.updateCommitment(ctx, tx, c); err != nil {
			return err
		}
		audit.Target = fmt.Sprintf("commitment:%d", c.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.Commitment{}, err
	}
	return s.GetCommitment(ctx, c.ID)
}

// updateCommitment stores c's assessment, breach record, history and note
// in tx if the stored rev is still c.Rev.
func (s *Store) updateCommitment(ctx context.Context, tx *sql.Tx, c store.Commitment) error {
	res, err := tx.ExecContext(ctx, `UPDATE commitments SET status = $1, unfulfilled = $2, pursued = $3, assessed_on = $4,
			assessor_name = $5, assessor_code = $6, breach_record_id = $7, history = $8, note = $9, updated_at = $10, rev = rev + 1
		WHERE id = $11 AND rev = $12`,
		c.Status, c.Unfulfilled, c.Pursued, c.AssessedOn, c.AssessorName, c.AssessorCode, nullInt(c.BreachRecordID),
		string(c.History), c.Note, s.now(), c.ID, c.Rev)
	if err != nil {
		return fmt.Errorf("update commitment %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var rev int
		if err := tx.QueryRowContext(ctx, `SELECT rev FROM commitments WHERE id = $1`, c.ID).Scan(&rev); err != nil {
			return notFound(err, fmt.Sprintf("commitment %d", c.ID))
		}
		return fmt.Errorf("commitment %d: %w", c.ID, store.ErrConflict)
	}
	return nil
}

// GetCommitment implements store.CommitmentStore.
func (s *Store) GetCommitment(ctx context.Context, id int64) (store.Commitment, error) {
	c, err := scanCommitment(s.R.QueryRowContext(ctx, `SELECT `+commitmentColumns+` FROM commitments WHERE id = $1`, id))
	if err != nil {
		return store.Commitment{}, notFound(err, fmt.Sprintf("commitment %d", id))
	}
	return c, nil
}

// ListCommitments implements store.CommitmentStore.
func (s *Store) ListCommitments(ctx context.Context, f store.CommitmentFilter) ([]store.Commitment, error) {
	where, args, arg := commitmentWhere(f)
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	q := `SELECT ` + commitmentColumns + ` FROM commitments` + where
	q += ` ORDER BY id DESC LIMIT ` + arg(limit)
	if f.Offset > 0 {
		q += ` OFFSET ` + arg(f.Offset)
	}
	return queryAll(ctx, s.R, q, scanCommitment, *args...)
}

// commitmentWhere is the WHERE clause of f (with a leading space, or ""),
// its arguments, and a function adding more.
func commitmentWhere(f store.CommitmentFilter) (string, *[]any, func(any) string) {
	var where []string
	args := &[]any{}
	arg := func(v any) string {
		*args = append(*args, v)
		return fmt.Sprintf("$%d", len(*args))
	}
	if f.SubjectID != 0 {
		where = append(where, "subject_id = "+arg(f.SubjectID))
	}
	if f.AcceptorCode != "" {
		where = append(where, "acceptor_code = "+arg(f.AcceptorCode))
	}
	if f.MadeBy != 0 {
		where = append(where, "made_by = "+arg(f.MadeBy))
	}
	if len(f.Disclosures) > 0 {
		marks := make([]string, len(f.Disclosures))
		for i, d := range f.Disclosures {
			marks[i] = arg(d)
		}
		where = append(where, "disclosure IN ("+strings.Join(marks, ", ")+")")
	}
	if f.Unassessed {
		where = append(where, "status = ''")
	}
	if f.Kind != "" {
		where = append(where, "kind = "+arg(f.Kind))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(f.Status))
	}
	if f.Promisor != "" {
		esc := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(f.Promisor)
		where = append(where, "promisor_name LIKE "+arg("%"+esc+"%")+` ESCAPE '\'`)
	}
	if len(where) == 0 {
		return "", args, arg
	}
	return " WHERE " + strings.Join(where, " AND "), args, arg
}

// CountCommitments counts the commitments f selects (Limit and Offset
// ignored).
func (s *Store) CountCommitments(ctx context.Context, f store.CommitmentFilter) (int, error) {
	where, args, _ := commitmentWhere(f)
	var n int
	err := s.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM commitments`+where, *args...).Scan(&n)
	return n, err
}
