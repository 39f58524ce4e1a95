package sqlaccess

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.LendingStore = (*Store)(nil)

// AddLender implements store.LendingStore.
func (s *Store) AddLender(ctx context.Context, l store.Lender, audit auth.AuditEntry) (store.Lender, error) {
	l.CreatedAt = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.LockAudit != nil {
			if err := s.LockAudit(ctx, tx); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO lenders (org_id, kind, created_at, created_by) VALUES ($1, $2, $3, $4)`,
			l.OrgID, l.Kind, l.CreatedAt, l.CreatedBy); err != nil {
			return s.wrapUnique(fmt.Errorf("add lender: %w", err), fmt.Sprintf("金融机构（机构%d）", l.OrgID))
		}
		audit.Target = fmt.Sprintf("lender:%d", l.OrgID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	return l, err
}

// ListLenders implements store.LendingStore.
func (s *Store) ListLenders(ctx context.Context) ([]store.Lender, error) {
	return queryAll(ctx, s.R, `SELECT org_id, kind, created_at, created_by FROM lenders ORDER BY org_id`, func(row scanner) (store.Lender, error) {
		var l store.Lender
		err := row.Scan(&l.OrgID, &l.Kind, &l.CreatedAt, &l.CreatedBy)
		l.CreatedAt = l.CreatedAt.UTC()
		return l, err
	})
}

const lendingGrantColumns = `id, subject_id, lender_id, data_groups, purpose, valid_from, valid_to, created_by, created_at, revoked_at, revoked_by`

func scanLendingGrant(row scanner) (store.LendingGrant, error) {
	var g store.LendingGrant
	var groups string
	var revoked sql.NullTime
	err := row.Scan(&g.ID, &g.SubjectID, &g.LenderID, &groups, &g.Purpose, &g.ValidFrom, &g.ValidTo, &g.CreatedBy, &g.CreatedAt, &revoked, &g.RevokedBy)
	if err != nil {
		return g, err
	}
	g.CreatedAt = g.CreatedAt.UTC()
	if revoked.Valid {
		g.RevokedAt = revoked.Time.UTC()
	}
	err = json.Unmarshal([]byte(groups), &g.Groups)
	return g, err
}

// AddGrant implements store.LendingStore.
func (s *Store) AddGrant(ctx context.Context, g store.LendingGrant, audit auth.AuditEntry) (store.LendingGrant, error) {
	g.CreatedAt = s.now()
	groups, _ := json.Marshal(g.Groups)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.LockAudit != nil {
			if err := s.LockAudit(ctx, tx); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO lending_grants (subject_id, lender_id, data_groups, purpose, valid_from, valid_to, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, g.SubjectID, g.LenderID, string(groups), g.Purpose, g.ValidFrom, g.ValidTo,
			g.CreatedBy, g.CreatedAt).Scan(&g.ID); err != nil {
			return fmt.Errorf("add grant: %w", err)
		}
		audit.Target = fmt.Sprintf("grant:%d", g.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	return g, err
}

// RevokeGrant implements store.LendingStore.
func (s *Store) RevokeGrant(ctx context.Context, id int64, by string, at time.Time, audit auth.AuditEntry) (store.LendingGrant, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.LockAudit != nil {
			if err := s.LockAudit(ctx, tx); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE lending_grants SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL`, at.UTC(), by, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var x int64
			if err := tx.QueryRowContext(ctx, `SELECT id FROM lending_grants WHERE id = $1`, id).Scan(&x); err != nil {
				return notFound(err, fmt.Sprintf("grant %d", id))
			}
			return fmt.Errorf("grant %d revoked already: %w", id, store.ErrConflict)
		}
		audit.Target = fmt.Sprintf("grant:%d", id)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.LendingGrant{}, err
	}
	return s.GetGrant(ctx, id)
}

// GetGrant implements store.LendingStore.
func (s *Store) GetGrant(ctx context.Context, id int64) (store.LendingGrant, error) {
	g, err := scanLendingGrant(s.R.QueryRowContext(ctx, `SELECT `+lendingGrantColumns+` FROM lending_grants WHERE id = $1`, id))
	if err != nil {
		return g, notFound(err, fmt.Sprintf("grant %d", id))
	}
	return g, nil
}

// ListGrants implements store.LendingStore.
func (s *Store) ListGrants(ctx context.Context, f store.GrantFilter) ([]store.LendingGrant, error) {
	var where []string
	var args []any
	if f.SubjectID != 0 {
		args = append(args, f.SubjectID)
		where = append(where, fmt.Sprintf("subject_id = $%d", len(args)))
	}
	if f.LenderID != 0 {
		args = append(args, f.LenderID)
		where = append(where, fmt.Sprintf("lender_id = $%d", len(args)))
	}
	q := `SELECT ` + lendingGrantColumns + ` FROM lending_grants`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	return queryAll(ctx, s.R, q+` ORDER BY id DESC LIMIT 5000`, scanLendingGrant, args...)
}

const outcomeColumns = `id, lender_id, subject_id, grant_id, month, outcome, amount_band, reported_at, reported_by`

func scanOutcome(row scanner) (store.LendingOutcome, error) {
	var o store.LendingOutcome
	err := row.Scan(&o.ID, &o.LenderID, &o.SubjectID, &o.GrantID, &o.Month, &o.Outcome, &o.AmountBand, &o.ReportedAt, &o.ReportedBy)
	o.ReportedAt = o.ReportedAt.UTC()
	return o, err
}

// AddOutcome implements store.LendingStore.
func (s *Store) AddOutcome(ctx context.Context, o store.LendingOutcome, audit auth.AuditEntry) (store.LendingOutcome, error) {
	o.ReportedAt = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.LockAudit != nil {
			if err := s.LockAudit(ctx, tx); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM lending_outcomes WHERE grant_id = $1 AND month = $2`, o.GrantID, o.Month); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO lending_outcomes (lender_id, subject_id, grant_id, month, outcome, amount_band, reported_at, reported_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, o.LenderID, o.SubjectID, o.GrantID, o.Month, o.Outcome, o.AmountBand, o.ReportedAt,
			o.ReportedBy).Scan(&o.ID); err != nil {
			return fmt.Errorf("add outcome: %w", err)
		}
		audit.Target = fmt.Sprintf("grant:%d", o.GrantID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	return o, err
}

// ListOutcomes implements store.LendingStore.
func (s *Store) ListOutcomes(ctx context.Context, lender int64, month string) ([]store.LendingOutcome, error) {
	var where []string
	var args []any
	if lender != 0 {
		args = append(args, lender)
		where = append(where, fmt.Sprintf("lender_id = $%d", len(args)))
	}
	if month != "" {
		args = append(args, month)
		where = append(where, fmt.Sprintf("month = $%d", len(args)))
	}
	q := `SELECT ` + outcomeColumns + ` FROM lending_outcomes`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	return queryAll(ctx, s.R, q+` ORDER BY id`, scanOutcome, args...)
}
