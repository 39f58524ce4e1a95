package sqlaccess

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/xinyong/xinyong/internal/store"
)

// Watches and reading the change feed are shared; appending events is the
// drivers' (it is part of their record write path, and serialising it
// differs).

// watchRowsPerInsert bounds one multi-row INSERT of watches.
const watchRowsPerInsert = 500

// AddWatches implements store.ChangeStore.
func (s *Store) AddWatches(ctx context.Context, ws []store.Watch) (int, error) {
	for _, w := range ws {
		if err := w.Validate(); err != nil {
			return 0, err
		}
	}
	added := 0
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(ws); start += watchRowsPerInsert {
			part := ws[start:min(start+watchRowsPerInsert, len(ws))]
			var b strings.Builder
			b.WriteString(`INSERT INTO watches (org_id, subject_id, region, created_at) VALUES `)
			args := make([]any, 0, 4*len(part))
			for i, w := range part {
				if i > 0 {
					b.WriteString(", ")
				}
				n := len(args)
				fmt.Fprintf(&b, "($%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4)
				args = append(args, w.OrgID, nullInt(w.SubjectID), nullString(w.Region), now)
			}
			b.WriteString(` ON CONFLICT DO NOTHING`)
			res, err := tx.ExecContext(ctx, b.String(), args...)
			if err != nil {
				return fmt.Errorf("add watches: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return added, nil
}

// RemoveWatch implements store.ChangeStore.
func (s *Store) RemoveWatch(ctx context.Context, orgID, id int64) error {
	res, err := s.W.ExecContext(ctx, `DELETE FROM watches WHERE id = $1 AND org_id = $2`, id, orgID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("watch %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// ListWatches implements store.ChangeStore.
func (s *Store) ListWatches(ctx context.Context, orgID int64) ([]store.Watch, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT w.id, w.org_id, COALESCE(w.subject_id, 0), COALESCE(w.region, ''), w.created_at,
		COALESCE(s.id, 0), COALESCE(s.class, ''), COALESCE(s.uscc, ''), COALESCE(s.reg_no, ''), COALESCE(s.masked_id, ''), COALESCE(s.name, ''), COALESCE(s.region, '')
		FROM watches w LEFT JOIN subjects s ON s.id = w.subject_id WHERE w.org_id = $1 ORDER BY w.id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Watch
	for rows.Next() {
		var w store.Watch
		sub := &w.Subject
		if err := rows.Scan(&w.ID, &w.OrgID, &w.SubjectID, &w.Region, &w.Created,
			&sub.ID, &sub.Class, &sub.USCC, &sub.RegNo, &sub.MaskedID, &sub.Name, &sub.Region); err != nil {
			return nil, err
		}
		w.Created = w.Created.UTC()
		out = append(out, w)
	}
	return out, rows.Err()
}

// ChangesFor implements store.ChangeStore. It reads the head of the feed
// first and examines only events up to it: every event up to the head has
// committed (the sequence commits in order), so the cursor it returns
// never passes an event a later read could still see appear. The events
// after since are examined in windows of store.ChangesWindow sequence
// numbers, each one range scan of the primary key with the watch test in
// the statement (see watchTest), and at most
// store.ChangesScanMax events per call: the cost of a call is bounded
// however long the feed and however few events match.
func (s *Store) ChangesFor(ctx context.Context, orgID, since int64, limit int) ([]store.ChangeEvent, int64, error) {
	limit = store.ChangesLimit(limit)
	since = max(since, 0)
	var head int64
	if err := s.R.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&head); err != nil {
		return nil, since, err
	}
	if since >= head {
		return nil, since, nil
	}
	match, args, err := s.watchTest(ctx, orgID)
	if err != nil {
		return nil, since, err
	}
	if match == "" {
		// Nothing can match: everything up to the head is examined.
		return nil, head, nil
	}
	n := len(args)
	q := fmt.Sprintf(changeSelect+` c.seq > $%d AND c.seq <= $%d AND (%s)
		ORDER BY c.seq LIMIT $%d`, n+1, n+2, match, n+3)
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

// inlineWatches is how many watches an organisation may have for the
// feed's statement to carry them as values (cheapest to test per event);
// with more, it reads them from watches once per statement.
const inlineWatches = 100

// watchTest returns the condition an event c must meet to touch one of
// the organisation's watches, with its arguments ($1 on); "" when the
// organisation watches nothing. The test is by the subject's id and by
// its region's prefix of each length the organisation watches. A few
// watches are written into the statement as values; many are read by
// uncorrelated IN (subquery), which both engines evaluate once per
// statement into a hash (PostgreSQL) or an ephemeral index (SQLite),
// never once per event.
func (s *Store) watchTest(ctx context.Context, orgID int64) (string, []any, error) {
	var total int
	if err := s.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM watches WHERE org_id = $1`, orgID).Scan(&total); err != nil {
		return "", nil, err
	}
	if total == 0 {
		return "", nil, nil
	}
	q := `SELECT DISTINCT COALESCE(length(region), 0), 0, '' FROM watches WHERE org_id = $1`
	if total <= inlineWatches {
		q = `SELECT COALESCE(length(region), 0), COALESCE(subject_id, 0), COALESCE(region, '') FROM watches WHERE org_id = $1 ORDER BY id`
	}
	rows, err := s.R.QueryContext(ctx, q, orgID)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	values := map[int][]string{} // by prefix length, 0 for subjects
	for rows.Next() {
		var l int
		var id int64
		var region string
		if err := rows.Scan(&l, &id, &region); err != nil {
			return "", nil, err
		}
		switch {
		case total > inlineWatches:
			values[l] = nil
		case l == 0:
			values[0] = append(values[0], arg(id))
		default:
			values[l] = append(values[l], arg(region))
		}
	}
	if err := rows.Err(); err != nil {
		return "", nil, err
	}
	var org string
	if total > inlineWatches {
		org = arg(orgID)
	}
	var test []string
	for l := 0; l <= 6; l++ {
		vs, ok := values[l]
		if !ok {
			continue
		}
		in := "(" + strings.Join(vs, ", ") + ")"
		if l == 0 {
			if org != "" {
				in = `(SELECT w.subject_id FROM watches w WHERE w.org_id = ` + org + ` AND w.subject_id IS NOT NULL)`
			}
			test = append(test, "c.subject_id IN "+in)
			continue
		}
		if org != "" {
			in = fmt.Sprintf(`(SELECT w.region FROM watches w WHERE w.org_id = %s AND length(w.region) = %d)`, org, l)
		}
		test = append(test, fmt.Sprintf("substr(c.region, 1, %d) IN %s", l, in))
	}
	return strings.Join(test, " OR "), args, nil
}

// changeSelect is the SELECT of change events with their subjects and
// records that changesIn scans; callers append the WHERE clause.
const changeSelect = `SELECT c.seq, c.at, c.type, c.record_id, c.kind, c.subject_id, c.region, c.list_type, c.grade_from, c.grade_to,
		COALESCE(s.class, ''), COALESCE(s.uscc, ''), COALESCE(s.reg_no, ''), COALESCE(s.masked_id, ''), COALESCE(s.name, ''), COALESCE(s.region, ''),
		COALESCE(r.decision_no, '')
		FROM changes c LEFT JOIN subjects s ON s.id = c.subject_id LEFT JOIN records r ON r.id = c.record_id
		WHERE`

// changesIn reads the matching events of a window.
func (s *Store) changesIn(ctx context.Context, q string, args []any) ([]store.ChangeEvent, error) {
	rows, err := s.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read changes: %w", err)
	}
	defer rows.Close()
	var out []store.ChangeEvent
	for rows.Next() {
		var e store.ChangeEvent
		var typ string
		sub := &e.Subject
		if err := rows.Scan(&e.Seq, &e.At, &typ, &e.RecordID, &e.Kind, &e.SubjectID, &e.Region, &e.ListType, &e.GradeFrom, &e.GradeTo,
			&sub.Class, &sub.USCC, &sub.RegNo, &sub.MaskedID, &sub.Name, &sub.Region, &e.DecisionNo); err != nil {
			return nil, err
		}
		e.Type, e.At, sub.ID = store.ChangeType(typ), e.At.UTC(), e.SubjectID
		out = append(out, e)
	}
	return out, rows.Err()
}
