package sqlaccess

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.ReturnStore = (*Store)(nil)

// returnColumns are the columns scanReturn reads.
const returnColumns = `id, batch_id, row, kind, dept, identity IS NOT NULL, decision_no, header, masked, original, reasons, state,
	created_at, closed_at, COALESCE(fixed_record, 0), COALESCE(fixed_batch, 0), note, closed_by`

func (s *Store) scanReturn(row scanner, original bool) (store.Return, error) {
	var r store.Return
	var header, masked, reasons string
	var enc []byte
	var closed sql.NullTime
	if err := row.Scan(&r.ID, &r.Batch, &r.Row, &r.Kind, &r.Dept, &r.Matched, &r.DecisionNo, &header, &masked, &enc, &reasons, &r.State,
		&r.CreatedAt, &closed, &r.FixedRecord, &r.FixedBatch, &r.Note, &r.ClosedBy); err != nil {
		return r, err
	}
	r.CreatedAt, r.ClosedAt = r.CreatedAt.UTC(), timeOf(closed)
	if err := json.Unmarshal([]byte(header), &r.Header); err != nil {
		return r, fmt.Errorf("return %d: header: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(masked), &r.Masked); err != nil {
		return r, fmt.Errorf("return %d: row: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(reasons), &r.Reasons); err != nil {
		return r, fmt.Errorf("return %d: reasons: %w", r.ID, err)
	}
	if original {
		if s.Keys == nil {
			return r, store.ErrNotConfigured
		}
		pt, err := s.Keys.Decrypt(enc)
		if err != nil {
			return r, fmt.Errorf("return %d: %w", r.ID, err)
		}
		if err := json.Unmarshal([]byte(pt), &r.Original); err != nil {
			return r, fmt.Errorf("return %d: original row: %w", r.ID, err)
		}
	}
	return r, nil
}

// AddReturns implements store.ReturnStore.
func (s *Store) AddReturns(ctx context.Context, batch int64, rows []store.ReturnInput) error {
	if len(rows) > 0 && s.Keys == nil {
		return store.ErrNotConfigured
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var received time.Time
		if err := tx.QueryRowContext(ctx, `SELECT received_at FROM intake_batches WHERE id = $1`, batch).Scan(&received); err != nil {
			return notFound(err, fmt.Sprintf("intake batch %d", batch))
		}
		received = received.UTC()
		// A resumed import returns its rows again: those held are kept.
		held := map[int]bool{}
		if len(rows) > 0 {
			rs, err := tx.QueryContext(ctx, `SELECT row FROM returns WHERE batch_id = $1`, batch)
			if err != nil {
				return err
			}
			for rs.Next() {
				var n int
				if err := rs.Scan(&n); err != nil {
					rs.Close()
					return err
				}
				held[n] = true
			}
			rs.Close()
			if err := rs.Err(); err != nil {
				return err
			}
		}
		var todo []store.ReturnInput
		for _, r := range rows {
			if !held[r.Row] {
				held[r.Row] = true
				todo = append(todo, r)
			}
		}
		err := s.insertRows(ctx, tx, `INSERT INTO returns (batch_id, row, kind, dept, identity, decision_no, header, masked, original,
			reasons, state, created_at) VALUES `, 12, len(todo), func(i int) []any {
			r := todo[i]
			h, _ := json.Marshal(r.Header)
			m, _ := json.Marshal(r.Masked)
			o, _ := json.Marshal(r.Original)
			reasons := r.Reasons
			if reasons == nil {
				reasons = []store.ReturnReason{}
			}
			rs, _ := json.Marshal(reasons)
			return []any{batch, r.Row, r.Kind, r.Dept, store.ReturnIdentity(s.Keys, r.Kind, r.Identity), r.DecisionNo, string(h), string(m),
				s.Keys.Encrypt(string(o)), string(rs), string(store.ReturnOpen), received}
		})
		if err != nil {
			return fmt.Errorf("add returns: %w", err)
		}
		// A later row of the same batch that filed the record closes the
		// return at once: the record's last change is this batch's.
		_, err = tx.ExecContext(ctx, `UPDATE returns SET state = 'fixed', closed_at = $1, fixed_batch = $2,
				fixed_record = (SELECT r.id FROM records r WHERE r.identity = returns.identity)
			WHERE batch_id = $2 AND state = 'open' AND identity IS NOT NULL
			  AND EXISTS (SELECT 1 FROM records r WHERE r.identity = returns.identity AND r.batch_id = $2)`, s.now(), batch)
		return err
	})
}

// GetReturn implements store.ReturnStore.
func (s *Store) GetReturn(ctx context.Context, id int64) (store.Return, error) {
	r, err := s.scanReturn(s.R.QueryRowContext(ctx, `SELECT `+returnColumns+` FROM returns WHERE id = $1`, id), true)
	if err != nil {
		return store.Return{}, notFound(err, fmt.Sprintf("return %d", id))
	}
	return r, nil
}

// ListReturns implements store.ReturnStore.
func (s *Store) ListReturns(ctx context.Context, f store.ReturnFilter) ([]store.Return, error) {
	var where []string
	var args []any
	add := func(cond string, v ...any) {
		for _, x := range v {
			args = append(args, x)
			cond = strings.Replace(cond, "?", fmt.Sprintf("$%d", len(args)), 1)
		}
		where = append(where, cond)
	}
	if f.Depts != nil {
		if len(f.Depts) == 0 {
			return nil, nil
		}
		ph := make([]string, len(f.Depts))
		for i := range f.Depts {
			ph[i] = "?"
		}
		vals := make([]any, len(f.Depts))
		for i, d := range f.Depts {
			vals[i] = d
		}
		add("dept IN ("+strings.Join(ph, ", ")+")", vals...)
	}
	if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	if f.Batch != 0 {
		add("batch_id = ?", f.Batch)
	}
	if len(f.States) > 0 {
		ph := make([]string, len(f.States))
		vals := make([]any, len(f.States))
		for i, st := range f.States {
			ph[i], vals[i] = "?", string(st)
		}
		add("state IN ("+strings.Join(ph, ", ")+")", vals...)
	}
	if !f.From.IsZero() {
		add("created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("created_at < ?", f.To.UTC())
	}
	if f.AfterID > 0 {
		add("id > ?", f.AfterID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	q := `SELECT ` + returnColumns + ` FROM returns`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY id LIMIT %d", min(limit, 5000))
	rs, err := s.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list returns: %w", err)
	}
	defer rs.Close()
	var out []store.Return
	for rs.Next() {
		r, err := s.scanReturn(rs, f.Original)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// WithdrawReturn implements store.ReturnStore.
func (s *Store) WithdrawReturn(ctx context.Context, id int64, reason, by string, audit auth.AuditEntry) (store.Return, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE returns SET state = 'withdrawn', closed_at = $1, note = $2, closed_by = $3
			WHERE id = $4 AND state = 'open'`, s.now(), reason, by, id)
		if err != nil {
			return fmt.Errorf("withdraw return %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var st string
			if err := tx.QueryRowContext(ctx, `SELECT state FROM returns WHERE id = $1`, id).Scan(&st); err != nil {
				return notFound(err, fmt.Sprintf("return %d", id))
			}
			return fmt.Errorf("return %d is %s: %w", id, st, store.ErrConflict)
		}
		audit.Target = fmt.Sprintf("return:%d", id)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.Return{}, err
	}
	return s.GetReturn(ctx, id)
}

// ReturnCounts implements store.ReturnStore. Rows are read and counted
// here: the month is China time, which the two dialects spell apart.
func (s *Store) ReturnCounts(ctx context.Context, from, to string) ([]store.ReturnCount, error) {
	lo, err := time.ParseInLocation("2006-01", from, chinaTime)
	if err != nil {
		return nil, fmt.Errorf("from month %q: %w", from, store.ErrInvalid)
	}
	hi, err := time.ParseInLocation("2006-01", to, chinaTime)
	if err != nil {
		return nil, fmt.Errorf("to month %q: %w", to, store.ErrInvalid)
	}
	rs, err := s.R.QueryContext(ctx, `SELECT dept, kind, state, created_at, count(*) FROM returns
		WHERE created_at >= $1 AND created_at < $2 GROUP BY dept, kind, state, created_at`, lo.UTC(), hi.UTC())
	if err != nil {
		return nil, fmt.Errorf("return counts: %w", err)
	}
	defer rs.Close()
	type key struct{ dept, kind, month string }
	m := map[key]*store.ReturnCount{}
	for rs.Next() {
		var k key
		var st store.ReturnState
		var at time.Time
		var n int
		if err := rs.Scan(&k.dept, &k.kind, &st, &at, &n); err != nil {
			return nil, err
		}
		k.month = at.In(chinaTime).Format("2006-01")
		c := m[k]
		if c == nil {
			c = &store.ReturnCount{Dept: k.dept, Kind: k.kind, Month: k.month}
			m[k] = c
		}
		c.Returned += n
		switch st {
		case store.ReturnFixed:
			c.Fixed += n
		case store.ReturnWithdrawn:
			c.Withdrawn += n
		default:
			c.Open += n
		}
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	out := make([]store.ReturnCount, 0, len(m))
	for _, c := range m {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Month != b.Month {
			return a.Month < b.Month
		}
		if a.Dept != b.Dept {
			return a.Dept < b.Dept
		}
		return a.Kind < b.Kind
	})
	return out, nil
}

const batchColumns = `id, kind, dept, channel, file_name, file_hash, received_at, finished_at, rows, accepted, updated, unchanged, rejected,
	header_warnings, name_warnings`

func scanBatch(row scanner) (store.IntakeBatchInfo, error) {
	var b store.IntakeBatchInfo
	var fin sql.NullTime
	var hw, nw string
	err := row.Scan(&b.ID, &b.Kind, &b.Dept, &b.Channel, &b.FileName, &b.FileHash, &b.ReceivedAt, &fin, &b.Rows, &b.Accepted, &b.Updated,
		&b.Unchanged, &b.Rejected, &hw, &nw)
	b.ReceivedAt, b.Finished = b.ReceivedAt.UTC(), timeOf(fin)
	b.Warnings, b.NameWarnings = store.ParseWarnings(hw), store.ParseWarnings(nw)
	return b, err
}

// IntakeBatch implements store.ReturnStore.
func (s *Store) IntakeBatch(ctx context.Context, id int64) (store.IntakeBatchInfo, error) {
	b, err := scanBatch(s.R.QueryRowContext(ctx, `SELECT `+batchColumns+` FROM intake_batches WHERE id = $1`, id))
	if err != nil {
		return b, notFound(err, fmt.Sprintf("intake batch %d", id))
	}
	return b, nil
}

// IntakeBatches implements store.ReturnStore.
func (s *Store) IntakeBatches(ctx context.Context, dept string, limit int) ([]store.IntakeBatchInfo, error) {
	if limit <= 0 {
		limit = 50
	}
	return queryAll(ctx, s.R, `SELECT `+batchColumns+` FROM intake_batches WHERE ($1 = '' OR dept = $1) ORDER BY id DESC LIMIT $2`,
		scanBatch, dept, limit)
}
