package sqlaccess

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.CheckStore = (*Store)(nil)

// SaveCheck implements store.CheckStore: the archive is committed with
// others waiting at the same time (see archive.go), and SaveCheck returns
// once it has committed.
func (s *Store) SaveCheck(ctx context.Context, c store.CheckRecord, measures []store.CheckMeasure, audits []auth.AuditEntry) (store.CheckRecord, error) {
	p := &pendingCheck{c: c, measures: measures, audits: audits}
	if err := s.archiverOf().save(ctx, p); err != nil {
		return c, err
	}
	return p.c, nil
}

// chinaTime is the zone months of statistics are counted in.
var chinaTime = time.FixedZone("CST", 8*3600)

// insertRows inserts n rows of cols values each with multi-row INSERTs of
// at most 6,000 values; row(i) gives the values of row i. SQLite gets
// anonymous ? placeholders: it keeps $n names in a list it searches
// linearly, which made a 6,000-value statement cost seconds to prepare.
// With PrepareWrites the statements hold a power of two of rows (n = 13:
// 8 + 4 + 1), so that a few texts, kept prepared, serve every n.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, head string, cols, n int, row func(i int) []any) error {
	return s.insertRowsThen(ctx, tx, head, "", cols, n, row)
}

// insertRowsThen is insertRows with tail written after the rows of each
// statement (an ON CONFLICT clause).
func (s *Store) insertRowsThen(ctx context.Context, tx *sql.Tx, head, tail string, cols, n int, row func(i int) []any) error {
	per := max(1, 6000/cols)
	if s.PrepareWrites {
		per = 1 << (bits.Len(uint(per)) - 1)
	}
	for start := 0; start < n; {
		size := min(per, n-start)
		if s.PrepareWrites {
			size = 1 << (bits.Len(uint(size)) - 1)
		}
		end := start + size
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, (end-start)*cols)
		for i := start; i < end; i++ {
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for j := 0; j < cols; j++ {
				if j > 0 {
					b.WriteString(", ")
				}
				if s.Positional {
					b.WriteByte('?')
				} else {
					fmt.Fprintf(&b, "$%d", len(args)+j+1)
				}
			}
			b.WriteString(")")
			args = append(args, row(i)...)
		}
		b.WriteString(tail)
		if _, err := s.txExec(ctx, tx, b.String(), args...); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// AddFeedback implements store.CheckStore.
func (s *Store) AddFeedback(ctx context.Context, checkID int64, items []store.Feedback, audit auth.AuditEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM checks WHERE id = $1`, checkID).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return fmt.Errorf("check %d: %w", checkID, store.ErrNotFound)
		}
		for i, f := range items {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM check_measures WHERE check_id = $1 AND item = $2 AND measure = $3`,
				checkID, f.Item, f.Measure).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fault.Newf(fault.Invalid, "第%d条反馈：核查第%d项没有措施%s", i+1, f.Item, f.Measure)
			}
			if !f.Applied && strings.TrimSpace(f.Reason) == "" {
				return fault.Newf(fault.Invalid, "第%d条反馈：未采取措施时须说明原因", i+1)
			}
		}
		at := s.now()
		err := s.insertRows(ctx, tx, `INSERT INTO check_feedback (check_id, item, measure, applied, reason, at, actor, org_id) VALUES `, 8, len(items),
			func(i int) []any {
				f := items[i]
				return []any{checkID, f.Item, f.Measure, f.Applied, strings.TrimSpace(f.Reason), at, audit.Actor, audit.OrgID}
			})
		if err != nil {
			return err
		}
		audit.Target = fmt.Sprintf("check:%d", checkID)
		return s.appendAudit(ctx, tx, &audit)
	})
}

// CheckStats implements store.CheckStore.
func (s *Store) CheckStats(ctx context.Context, month, orgPath string) ([]store.CheckStat, error) {
	rows, err := s.R.QueryContext(ctx, `
		SELECT m.org_id, m.measure, count(*),
			sum(CASE WHEN f.applied THEN 1 ELSE 0 END),
			sum(CASE WHEN f.id IS NOT NULL AND NOT f.applied THEN 1 ELSE 0 END),
			sum(CASE WHEN f.id IS NULL THEN 1 ELSE 0 END)
		FROM check_measures m
		LEFT JOIN check_feedback f ON f.id = (SELECT max(id) FROM check_feedback x
			WHERE x.check_id = m.check_id AND x.item = m.item AND x.measure = m.measure)
		WHERE m.month = $1 AND m.org_id IN (SELECT id FROM orgs WHERE path LIKE $2 || '%')
		GROUP BY m.org_id, m.measure ORDER BY m.org_id, m.measure`, month, orgPath)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.CheckStat
	for rows.Next() {
		var st store.CheckStat
		if err := rows.Scan(&st.OrgID, &st.Measure, &st.Applicable, &st.Applied, &st.NotApplied, &st.Unreported); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

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
	err := s.txQueryRow(ctx, tx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&last, &prev)
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
	return s.insertRows(ctx, tx, `INSERT INTO audit_log (seq, at, actor, org_id, action, target, subject_id, purpose, outcome, detail, prev, hash) VALUES `,
		12, len(entries), func(i int) []any {
			e := entries[i]
			return []any{e.Seq, e.At, e.Actor, e.OrgID, e.Action, e.Target, e.SubjectID, e.Purpose, e.Outcome, e.Detail, e.Prev, e.Hash}
		})
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
