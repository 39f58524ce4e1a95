package sqlaccess

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.HiringStore = (*Store)(nil)

const hiringColumns = `id, org_id, org_path, responder_id, responder_path, kind, level, state, doc_no, title, matter, contact, phone,
	flow, rev, created_at, updated_at, closed_at, erased_at`

func scanHiring(row scanner) (store.HiringCheck, error) {
	var c store.HiringCheck
	var flow string
	var closed, erased sql.NullTime
	err := row.Scan(&c.ID, &c.OrgID, &c.OrgPath, &c.ResponderID, &c.ResponderPath, &c.Kind, &c.Level, &c.State, &c.DocNo, &c.Title,
		&c.Matter, &c.Contact, &c.Phone, &flow, &c.Rev, &c.CreatedAt, &c.UpdatedAt, &closed, &erased)
	c.Flow = []byte(flow)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if closed.Valid {
		c.ClosedAt = closed.Time.UTC()
	}
	if erased.Valid {
		c.ErasedAt = erased.Time.UTC()
	}
	return c, err
}

// AddHiringCheck implements store.HiringStore.
func (s *Store) AddHiringCheck(ctx context.Context, c store.HiringCheck, audits []auth.AuditEntry) (store.HiringCheck, error) {
	now := s.now()
	c.CreatedAt, c.UpdatedAt, c.Rev = now, now, 1
	if len(c.Flow) == 0 {
		c.Flow = []byte("{}")
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.LockAudit != nil {
			if err := s.LockAudit(ctx, tx); err != nil {
				return err
			}
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO hiring_checks (org_id, org_path, responder_id, responder_path, kind, level, state,
				doc_no, title, matter, contact, phone, flow, rev, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
			c.OrgID, c.OrgPath, c.ResponderID, c.ResponderPath, c.Kind, c.Level, c.State, c.DocNo, c.Title, c.Matter, c.Contact, c.Phone,
			string(c.Flow), c.Rev, c.CreatedAt, c.UpdatedAt).Scan(&c.ID)
		if err != nil {
			return s.wrapUnique(fmt.Errorf("add hiring check: %w", err), "本单位文号为“"+c.DocNo+"”的查询申请")
		}
		for _, k := range c.Candidates {
			lists := k.Lists
			if len(lists) == 0 {
				lists = []byte("[]")
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO hiring_candidates (check_id, idx, name_enc, id_enc, post, subject_id, target, lists)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.ID, k.Index, k.NameEnc, k.IDEnc, k.Post, nullInt(k.SubjectID), k.Target, string(lists)); err != nil {
				return fmt.Errorf("add hiring candidate %d: %w", k.Index, err)
			}
		}
		return s.appendAudits(ctx, tx, hiringTarget(audits, c.ID))
	})
	if err != nil {
		return store.HiringCheck{}, err
	}
	return c, nil
}

func hiringTarget(audits []auth.AuditEntry, id int64) []auth.AuditEntry {
	for i := range audits {
		if audits[i].Target == "" {
			audits[i].Target = fmt.Sprintf("hiring:%d", id)
		}
	}
	return audits
}

// UpdateHiringCheck implements store.HiringStore.
func (s *Store) UpdateHiringCheck(ctx context.Context, c store.HiringCheck, audits []auth.AuditEntry) (store.HiringCheck, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.LockAudit != nil && len(audits) > 0 {
			if err := s.LockAudit(ctx, tx); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE hiring_checks SET state = $1, flow = $2, closed_at = $3, updated_at = $4, rev = rev + 1
			WHERE id = $5 AND rev = $6 AND erased_at IS NULL`, c.State, string(c.Flow), nullTime(c.ClosedAt), s.now(), c.ID, c.Rev)
		if err != nil {
			return fmt.Errorf("update hiring check %d: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var rev int
			if err := tx.QueryRowContext(ctx, `SELECT rev FROM hiring_checks WHERE id = $1`, c.ID).Scan(&rev); err != nil {
				return notFound(err, fmt.Sprintf("hiring check %d", c.ID))
			}
			return fmt.Errorf("hiring check %d: %w", c.ID, store.ErrConflict)
		}
		for _, k := range c.Candidates {
			lists := k.Lists
			if len(lists) == 0 {
				lists = []byte("[]")
			}
			if _, err := tx.ExecContext(ctx, `UPDATE hiring_candidates SET subject_id = $1, target = $2, lists = $3 WHERE check_id = $4 AND idx = $5`,
				nullInt(k.SubjectID), k.Target, string(lists), c.ID, k.Index); err != nil {
				return fmt.Errorf("update hiring candidate %d: %w", k.Index, err)
			}
		}
		return s.appendAudits(ctx, tx, hiringTarget(audits, c.ID))
	})
	if err != nil {
		return store.HiringCheck{}, err
	}
	return s.GetHiringCheck(ctx, c.ID)
}

// GetHiringCheck implements store.HiringStore.
func (s *Store) GetHiringCheck(ctx context.Context, id int64) (store.HiringCheck, error) {
	c, err := scanHiring(s.R.QueryRowContext(ctx, `SELECT `+hiringColumns+` FROM hiring_checks WHERE id = $1`, id))
	if err != nil {
		return store.HiringCheck{}, notFound(err, fmt.Sprintf("hiring check %d", id))
	}
	c.Candidates, err = queryAll(ctx, s.R, `SELECT idx, name_enc, id_enc, post, COALESCE(subject_id, 0), target, lists
		FROM hiring_candidates WHERE check_id = $1 ORDER BY idx`, func(row scanner) (store.HiringCandidate, error) {
		var k store.HiringCandidate
		var lists string
		err := row.Scan(&k.Index, &k.NameEnc, &k.IDEnc, &k.Post, &k.SubjectID, &k.Target, &lists)
		k.Lists = []byte(lists)
		return k, err
	}, id)
	return c, err
}

// ListHiringChecks implements store.HiringStore.
func (s *Store) ListHiringChecks(ctx context.Context, f store.HiringFilter) ([]store.HiringCheck, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.OrgPath != "" {
		where = append(where, `org_path LIKE `+arg(store.EscapeLike(f.OrgPath)+"%")+` ESCAPE '\'`)
	}
	if f.ResponderPath != "" {
		where = append(where, `responder_path LIKE `+arg(store.EscapeLike(f.ResponderPath)+"%")+` ESCAPE '\'`)
	}
	if f.SubjectID != 0 {
		where = append(where, `id IN (SELECT check_id FROM hiring_candidates WHERE subject_id = `+arg(f.SubjectID)+`)`)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	q := `SELECT ` + hiringColumns + ` FROM hiring_checks`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ` + arg(limit)
	return queryAll(ctx, s.R, q, scanHiring, args...)
}

// EraseHiringData implements store.HiringStore.
func (s *Store) EraseHiringData(ctx context.Context, before time.Time, audit auth.AuditEntry) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.LockAudit != nil {
			if err := s.LockAudit(ctx, tx); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM hiring_checks WHERE closed_at IS NOT NULL AND closed_at < $1 AND erased_at IS NULL ORDER BY id`, before.UTC())
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		now := s.now()
		var audits []auth.AuditEntry
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE hiring_candidates SET name_enc = NULL, id_enc = NULL, subject_id = NULL WHERE check_id = $1`, id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE hiring_checks SET erased_at = $1, contact = '', phone = '', rev = rev + 1 WHERE id = $2`, now, id); err != nil {
				return err
			}
			a := audit
			a.Target = fmt.Sprintf("hiring:%d", id)
			audits = append(audits, a)
		}
		n = len(ids)
		return s.appendAudits(ctx, tx, audits)
	})
	return n, err
}
