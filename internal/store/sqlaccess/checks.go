package sqlaccess

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.CheckStore = (*Store)(nil)

// SaveCheck implements store.CheckStore.
func (s *Store) SaveCheck(ctx context.Context, c store.CheckRecord, audits []auth.AuditEntry) (store.CheckRecord, error) {
	if c.At.IsZero() {
		c.At = s.now()
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO checks (at, actor, org_id, scenario, case_no, subjects, punished, rewarded, not_found, data_as_of, request, result)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			c.At, c.Actor, c.OrgID, c.Scenario, c.CaseNo, c.Subjects, c.Punished, c.Rewarded, c.NotFound, c.DataAsOf, string(c.Request), string(c.Result)).Scan(&c.ID); err != nil {
			return err
		}
		for i := range audits {
			audits[i].Target = fmt.Sprintf("check:%d", c.ID)
			audits[i].At = c.At
		}
		return s.appendAudits(ctx, tx, audits)
	})
	return c, err
}

// auditRowsPerInsert bounds one multi-row INSERT (12 columns each, well
// under both engines' parameter limits).
const auditRowsPerInsert = 500

// appendAudits seals entries after the last one, in order, and inserts
// them with multi-row INSERTs: a check of 10,000 subjects writes 10,000
// entries in 20 statements, not 10,000 round trips.
func (s *Store) appendAudits(ctx context.Context, tx *sql.Tx, entries []auth.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if s.MAC == nil {
		return fmt.Errorf("audit trail: %w (no data key)", store.ErrNotConfigured)
	}
	if s.LockAudit != nil {
		if err := s.LockAudit(ctx, tx); err != nil {
			return err
		}
	}
	var prev []byte
	var last int64
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&last, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	now := s.now()
	for i := range entries {
		e := &entries[i]
		e.Seq = last + int64(i) + 1
		if e.At.IsZero() {
			e.At = now
		}
		e.At = e.At.UTC().Truncate(time.Microsecond)
		e.Seal(prev, s.MAC)
		prev = e.Hash
	}
	for start := 0; start < len(entries); start += auditRowsPerInsert {
		chunk := entries[start:min(start+auditRowsPerInsert, len(entries))]
		var b strings.Builder
		b.WriteString(`INSERT INTO audit_log (seq, at, actor, org_id, action, target, subject_id, purpose, outcome, detail, prev, hash) VALUES `)
		args := make([]any, 0, len(chunk)*12)
		for i, e := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for j := 0; j < 12; j++ {
				if j > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "$%d", len(args)+j+1)
			}
			b.WriteString(")")
			args = append(args, e.Seq, e.At, e.Actor, e.OrgID, e.Action, e.Target, e.SubjectID, e.Purpose, e.Outcome, e.Detail, e.Prev, e.Hash)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// GetCheck implements store.CheckStore.
func (s *Store) GetCheck(ctx context.Context, id int64) (store.CheckRecord, error) {
	var c store.CheckRecord
	var req, res string
	err := s.R.QueryRowContext(ctx, `SELECT id, at, actor, org_id, scenario, case_no, subjects, punished, rewarded, not_found, data_as_of, request, result
		FROM checks WHERE id = $1`, id).Scan(&c.ID, &c.At, &c.Actor, &c.OrgID, &c.Scenario, &c.CaseNo, &c.Subjects, &c.Punished, &c.Rewarded,
		&c.NotFound, &c.DataAsOf, &req, &res)
	c.At, c.Request, c.Result = c.At.UTC(), []byte(req), []byte(res)
	return c, notFound(err, fmt.Sprintf("check %d", id))
}

// LastRecordID implements store.CheckStore.
func (s *Store) LastRecordID(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	err := s.R.QueryRowContext(ctx, `SELECT max(id) FROM records`).Scan(&id)
	return id.Int64, err
}
