package sqlaccess

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.IntegrityStore = (*Store)(nil)

// GovernmentBodies implements store.IntegrityStore.
func (s *Store) GovernmentBodies(ctx context.Context) ([]credit.Subject, error) {
	return queryAll(ctx, s.R, `SELECT id, COALESCE(uscc, ''), name, region, created_at FROM subjects WHERE class = 'gov' ORDER BY id`,
		func(r scanner) (credit.Subject, error) {
			sub := credit.Subject{Class: credit.ClassGov}
			err := r.Scan(&sub.ID, &sub.USCC, &sub.Name, &sub.Region, &sub.CreatedAt)
			sub.CreatedAt = sub.CreatedAt.UTC()
			return sub, err
		})
}

func scanScope(r scanner) (store.IntegrityScopeEntry, error) {
	var e store.IntegrityScopeEntry
	err := r.Scan(&e.ID, &e.OrgID, &e.Cover, &e.Depth, &e.Created)
	e.Created = e.Created.UTC()
	return e, err
}

// IntegrityScope implements store.IntegrityStore.
func (s *Store) IntegrityScope(ctx context.Context) ([]store.IntegrityScopeEntry, error) {
	return queryAll(ctx, s.R, `SELECT id, org_id, cover, depth, created_at FROM integrity_scope ORDER BY id`, scanScope)
}

// AddIntegrityScope implements store.IntegrityStore.
func (s *Store) AddIntegrityScope(ctx context.Context, e store.IntegrityScopeEntry, audit auth.AuditEntry) (store.IntegrityScopeEntry, error) {
	e.Created = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO integrity_scope (org_id, cover, depth, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			e.OrgID, e.Cover, e.Depth, e.Created).Scan(&e.ID); err != nil {
			return s.wrapUnique(err, "该机构的同一监测范围")
		}
		audit.Target = fmt.Sprintf("integrity.scope:%d", e.ID)
		return s.appendAudit(ctx, tx, &audit)
	})
	return e, err
}

// RemoveIntegrityScope implements store.IntegrityStore.
func (s *Store) RemoveIntegrityScope(ctx context.Context, id int64, audit auth.AuditEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM integrity_scope WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("integrity scope %d: %w", id, store.ErrNotFound)
		}
		audit.Target = fmt.Sprintf("integrity.scope:%d", id)
		return s.appendAudit(ctx, tx, &audit)
	})
}

const integrityRunColumns = `month, state, is_final, as_of, model, started_by, bodies, started_at, finished_at`

func scanIntegrityRun(r scanner) (store.IntegrityRun, error) {
	var run store.IntegrityRun
	var finished sql.NullTime
	err := r.Scan(&run.Month, &run.State, &run.Final, &run.AsOf, &run.Model, &run.StartedBy, &run.Bodies, &run.StartedAt, &finished)
	run.AsOf, run.StartedAt, run.FinishedAt = run.AsOf.UTC(), run.StartedAt.UTC(), timeOf(finished)
	return run, err
}

// StartIntegrityRun implements store.IntegrityStore. The read and the
// write are one transaction of the writer (SQLite's one connection; on
// PostgreSQL the row is locked FOR UPDATE, and the INSERT of a first run
// conflicts on the month), so two runs of a month cannot both start
// fresh.
func (s *Store) StartIntegrityRun(ctx context.Context, r store.IntegrityRun) (store.IntegrityRun, bool, error) {
	var out store.IntegrityRun
	resumed := false
	lock := ""
	if !s.Positional {
		lock = " FOR UPDATE"
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanIntegrityRun(tx.QueryRowContext(ctx, `SELECT `+integrityRunColumns+` FROM integrity_runs WHERE month = $1`+lock, r.Month))
		switch {
		case err == nil && old.State == store.RunRunning && old.Model == r.Model && old.Final == r.Final:
			out, resumed = old, true
			return nil
		case err == nil:
			if _, err := tx.ExecContext(ctx, `DELETE FROM integrity_scores WHERE month = $1`, r.Month); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE integrity_runs SET state = $1, is_final = $2, as_of = $3, model = $4, started_by = $5,
				bodies = 0, started_at = $6, finished_at = NULL WHERE month = $7`,
				store.RunRunning, r.Final, r.AsOf.UTC(), r.Model, r.StartedBy, s.now(), r.Month)
			if err != nil {
				return err
			}
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO integrity_runs (month, state, is_final, as_of, model, started_by, bodies, started_at)
				VALUES ($1, $2, $3, $4, $5, $6, 0, $7)`, r.Month, store.RunRunning, r.Final, r.AsOf.UTC(), r.Model, r.StartedBy, s.now()); err != nil {
				return s.wrapUnique(err, "政务诚信监测"+r.Month+"的评分")
			}
		default:
			return err
		}
		out, err = scanIntegrityRun(tx.QueryRowContext(ctx, `SELECT `+integrityRunColumns+` FROM integrity_runs WHERE month = $1`, r.Month))
		return err
	})
	return out, resumed, err
}

// GetIntegrityRun implements store.IntegrityStore.
func (s *Store) GetIntegrityRun(ctx context.Context, month string) (store.IntegrityRun, error) {
	r, err := scanIntegrityRun(s.R.QueryRowContext(ctx, `SELECT `+integrityRunColumns+` FROM integrity_runs WHERE month = $1`, month))
	return r, notFound(err, "integrity run "+month)
}

// IntegrityRuns implements store.IntegrityStore.
func (s *Store) IntegrityRuns(ctx context.Context) ([]store.IntegrityRun, error) {
	return queryAll(ctx, s.R, `SELECT `+integrityRunColumns+` FROM integrity_runs ORDER BY month DESC`, scanIntegrityRun)
}

// IntegrityScored implements store.IntegrityStore.
func (s *Store) IntegrityScored(ctx context.Context, month string) ([]int64, error) {
	return queryAll(ctx, s.wr(), `SELECT subject_id FROM integrity_scores WHERE month = $1 ORDER BY subject_id`,
		func(r scanner) (int64, error) {
			var id int64
			err := r.Scan(&id)
			return id, err
		}, month)
}

// PutIntegrityScores implements store.IntegrityStore.
func (s *Store) PutIntegrityScores(ctx context.Context, scores []store.IntegrityScore) error {
	if len(scores) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(scores); start += store.BatchChunk {
			part := scores[start:min(start+store.BatchChunk, len(scores))]
			marks := make([]string, len(part))
			args := []any{part[0].Month}
			for i, sc := range part {
				if sc.Month != part[0].Month {
					return fmt.Errorf("%w: scores of two months in one put", store.ErrInvalid)
				}
				args = append(args, sc.SubjectID)
				marks[i] = fmt.Sprintf("$%d", i+2)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM integrity_scores WHERE month = $1 AND subject_id IN (`+strings.Join(marks, ", ")+`)`, args...); err != nil {
				return err
			}
		}
		return s.insertRows(ctx, tx, `INSERT INTO integrity_scores (month, subject_id, uscc, name, region, grp, total, rank_in_group, peers, detail) VALUES `,
			10, len(scores), func(i int) []any {
				sc := scores[i]
				return []any{sc.Month, sc.SubjectID, sc.USCC, sc.Name, sc.Region, sc.Group, sc.Total, sc.Rank, sc.Peers, string(sc.Detail)}
			})
	})
}

// FinishIntegrityRun implements store.IntegrityStore.
func (s *Store) FinishIntegrityRun(ctx context.Context, month string, keep []int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var state string
		if err := tx.QueryRowContext(ctx, `SELECT state FROM integrity_runs WHERE month = $1`, month).Scan(&state); err != nil {
			return notFound(err, "integrity run "+month)
		}
		if state != store.RunRunning {
			return fmt.Errorf("integrity run %s is %s: %w", month, state, store.ErrConflict)
		}
		rows, err := tx.QueryContext(ctx, `SELECT subject_id FROM integrity_scores WHERE month = $1`, month)
		if err != nil {
			return err
		}
		var stale []any
		sorted := slices.Sorted(slices.Values(keep))
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			if _, ok := slices.BinarySearch(sorted, id); !ok {
				stale = append(stale, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for start := 0; start < len(stale); start += store.BatchChunk {
			part := stale[start:min(start+store.BatchChunk, len(stale))]
			marks := make([]string, len(part))
			for i := range part {
				marks[i] = fmt.Sprintf("$%d", i+2)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM integrity_scores WHERE month = $1 AND subject_id IN (`+strings.Join(marks, ", ")+`)`,
				append([]any{month}, part...)...); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE integrity_runs SET state = $1, bodies = $2, finished_at = $3 WHERE month = $4`,
			store.RunDone, len(keep), s.now(), month)
		return err
	})
}

const scoreColumns = `month, subject_id, uscc, name, region, grp, total, rank_in_group, peers, detail`

func scanScore(r scanner) (store.IntegrityScore, error) {
	var sc store.IntegrityScore
	var detail string
	err := r.Scan(&sc.Month, &sc.SubjectID, &sc.USCC, &sc.Name, &sc.Region, &sc.Group, &sc.Total, &sc.Rank, &sc.Peers, &detail)
	sc.Detail = []byte(detail)
	return sc, err
}

// IntegrityScores implements store.IntegrityStore.
func (s *Store) IntegrityScores(ctx context.Context, month string) ([]store.IntegrityScore, error) {
	return queryAll(ctx, s.R, `SELECT `+scoreColumns+` FROM integrity_scores WHERE month = $1 ORDER BY grp, rank_in_group, uscc`, scanScore, month)
}

// IntegrityTrends implements store.IntegrityStore.
func (s *Store) IntegrityTrends(ctx context.Context, from, to string) ([]store.IntegrityTrend, error) {
	return queryAll(ctx, s.R, `SELECT month, grp, count(*), sum(total), min(total), max(total) FROM integrity_scores
		WHERE month >= $1 AND month <= $2 GROUP BY month, grp ORDER BY month, grp`, func(r scanner) (store.IntegrityTrend, error) {
		var t store.IntegrityTrend
		err := r.Scan(&t.Month, &t.Group, &t.Bodies, &t.Sum, &t.Min, &t.Max)
		return t, err
	}, from, to)
}

// IntegrityHistory implements store.IntegrityStore.
func (s *Store) IntegrityHistory(ctx context.Context, subjectID int64) ([]store.IntegrityScore, error) {
	return queryAll(ctx, s.R, `SELECT `+scoreColumns+` FROM integrity_scores WHERE subject_id = $1 ORDER BY month`, scanScore, subjectID)
}

const feedbackColumns = `id, record_id, subject_id, result, text, actor, COALESCE(org_id, 0), at`

func scanIntegrityFeedback(r scanner) (store.IntegrityFeedback, error) {
	var f store.IntegrityFeedback
	err := r.Scan(&f.ID, &f.RecordID, &f.SubjectID, &f.Result, &f.Text, &f.Actor, &f.OrgID, &f.At)
	f.At = f.At.UTC()
	return f, err
}

// AddIntegrityFeedback implements store.IntegrityStore.
func (s *Store) AddIntegrityFeedback(ctx context.Context, f store.IntegrityFeedback, audit auth.AuditEntry) (store.IntegrityFeedback, error) {
	f.At = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO integrity_feedback (record_id, subject_id, result, text, actor, org_id, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, f.RecordID, f.SubjectID, f.Result, f.Text, f.Actor, nullInt(f.OrgID), f.At).Scan(&f.ID); err != nil {
			return err
		}
		audit.Target = fmt.Sprintf("record:%d", f.RecordID)
		return s.appendAudit(ctx, tx, &audit)
	})
	return f, err
}

// IntegrityFeedbackOf implements store.IntegrityStore.
func (s *Store) IntegrityFeedbackOf(ctx context.Context, recordIDs []int64) ([]store.IntegrityFeedback, error) {
	var out []store.IntegrityFeedback
	for start := 0; start < len(recordIDs); start += store.BatchChunk {
		q, args := ofRecords("integrity_feedback", feedbackColumns, recordIDs[start:min(start+store.BatchChunk, len(recordIDs))])
		part, err := queryAll(ctx, s.R, q, scanIntegrityFeedback, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	slices.SortFunc(out, func(a, b store.IntegrityFeedback) int { return int(a.ID - b.ID) })
	return out, nil
}

// AddIntegrityAlerts implements store.IntegrityStore.
func (s *Store) AddIntegrityAlerts(ctx context.Context, alerts []store.IntegrityAlert) (int, error) {
	added := 0
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, a := range alerts {
			res, err := tx.ExecContext(ctx, `INSERT INTO integrity_alerts (record_id, subject_id, item, event_date, at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (record_id) DO NOTHING`, a.RecordID, a.SubjectID, a.Item, a.EventDate, now)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			added += int(n)
		}
		return nil
	})
	return added, err
}

// IntegrityAlerts implements store.IntegrityStore.
func (s *Store) IntegrityAlerts(ctx context.Context, subjectID int64, limit int) ([]store.IntegrityAlert, error) {
	if limit <= 0 {
		limit = 200
	}
	q := `SELECT id, record_id, subject_id, item, event_date, at FROM integrity_alerts`
	args := []any{limit}
	if subjectID != 0 {
		q += ` WHERE subject_id = $2`
		args = append(args, subjectID)
	}
	return queryAll(ctx, s.R, q+` ORDER BY id DESC LIMIT $1`, func(r scanner) (store.IntegrityAlert, error) {
		var a store.IntegrityAlert
		err := r.Scan(&a.ID, &a.RecordID, &a.SubjectID, &a.Item, &a.EventDate, &a.At)
		a.At = a.At.UTC()
		return a, err
	}, args...)
}

// KindChanges implements store.IntegrityStore, as ChangesFor reads the
// feed: up to the head read first, in windows of the sequence.
func (s *Store) KindChanges(ctx context.Context, since int64, kinds []string, limit int) ([]store.ChangeEvent, int64, error) {
	limit = store.ChangesLimit(limit)
	since = max(since, 0)
	var head int64
	if err := s.R.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&head); err != nil {
		return nil, since, err
	}
	if since >= head || len(kinds) == 0 {
		return nil, head, nil
	}
	var args []any
	marks := make([]string, len(kinds))
	for i, k := range kinds {
		args = append(args, k)
		marks[i] = fmt.Sprintf("$%d", i+1)
	}
	n := len(args)
	q := fmt.Sprintf(changeSelect+` c.seq > $%d AND c.seq <= $%d AND c.kind IN (%s)
		ORDER BY c.seq LIMIT $%d`, n+1, n+2, strings.Join(marks, ", "), n+3)
	var out []store.ChangeEvent
	from := since
	for from < head && from-since < store.ChangesScanMax {
		to := min(from+store.ChangesWindow, head)
		page, err := s.changesIn(ctx, q, append(args, from, to, limit-len(out)))
		if err != nil {
			return nil, since, err
		}
		out = append(out, page...)
		if len(out) == limit {
			return out, out[len(out)-1].Seq, nil
		}
		from = to
	}
	return out, from, nil
}

// IntegrityCursorSetting names the alerts' cursor in settings.
const IntegrityCursorSetting = "integrity.alerts_seq"

// SwapIntegrityCursor implements store.IntegrityStore.
func (s *Store) SwapIntegrityCursor(ctx context.Context, old, next int64) (bool, error) {
	res, err := s.W.ExecContext(ctx, `UPDATE settings SET value = $1 WHERE name = $2 AND value = $3`,
		strconv.FormatInt(next, 10), IntegrityCursorSetting, strconv.FormatInt(old, 10))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
