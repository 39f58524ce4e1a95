package sqlaccess

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.LedgerStore = (*Store)(nil)

// PutLedgerPlan implements store.LedgerStore.
func (s *Store) PutLedgerPlan(ctx context.Context, p store.LedgerPlan, audit auth.AuditEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_plans (dept, kind, mode, volume, from_month, source, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (dept, kind) DO UPDATE SET mode = excluded.mode, volume = excluded.volume, from_month = excluded.from_month,
				source = excluded.source, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			p.Dept, p.Kind, string(p.Mode), p.Volume, p.FromMonth, p.Source, s.now(), p.UpdatedBy); err != nil {
			return fmt.Errorf("put ledger plan: %w", err)
		}
		audit.Target = "ledger:" + p.Dept + ":" + p.Kind
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
}

// DeleteLedgerPlan implements store.LedgerStore.
func (s *Store) DeleteLedgerPlan(ctx context.Context, dept, kind string, audit auth.AuditEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM ledger_plans WHERE dept = $1 AND kind = $2`, dept, kind)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("ledger plan %s %s: %w", dept, kind, store.ErrNotFound)
		}
		audit.Target = "ledger:" + dept + ":" + kind
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
}

// LedgerPlans implements store.LedgerStore.
func (s *Store) LedgerPlans(ctx context.Context, depts []string) ([]store.LedgerPlan, error) {
	all, err := queryAll(ctx, s.R, `SELECT dept, kind, mode, volume, from_month, source, updated_at, updated_by FROM ledger_plans
		ORDER BY dept, kind`, func(row scanner) (store.LedgerPlan, error) {
		var p store.LedgerPlan
		err := row.Scan(&p.Dept, &p.Kind, &p.Mode, &p.Volume, &p.FromMonth, &p.Source, &p.UpdatedAt, &p.UpdatedBy)
		p.UpdatedAt = p.UpdatedAt.UTC()
		return p, err
	})
	if err != nil || depts == nil {
		return all, err
	}
	out := all[:0]
	for _, p := range all {
		if slices.Contains(depts, p.Dept) {
			out = append(out, p)
		}
	}
	return out, nil
}

// PutRegister implements store.LedgerStore.
func (s *Store) PutRegister(ctx context.Context, dept, kind string, entries []store.RegisterEntry, audit auth.AuditEntry) (int, error) {
	added := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		held := map[string]string{}
		rs, err := tx.QueryContext(ctx, `SELECT decision_no, decision_date FROM ledger_register WHERE dept = $1 AND kind = $2`, dept, kind)
		if err != nil {
			return err
		}
		for rs.Next() {
			var no, date string
			if err := rs.Scan(&no, &date); err != nil {
				rs.Close()
				return err
			}
			held[no] = date
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
		now := s.now()
		var fresh []store.RegisterEntry
		for _, e := range entries {
			date, ok := held[e.DecisionNo]
			switch {
			case !ok:
				held[e.DecisionNo] = e.DecisionDate
				fresh = append(fresh, e)
			case date != e.DecisionDate:
				held[e.DecisionNo] = e.DecisionDate
				if _, err := tx.ExecContext(ctx, `UPDATE ledger_register SET decision_date = $1, uploaded_at = $2
					WHERE dept = $3 AND kind = $4 AND decision_no = $5`, e.DecisionDate, now, dept, kind, e.DecisionNo); err != nil {
					return err
				}
			}
		}
		added = len(fresh)
		if err := s.insertRows(ctx, tx, `INSERT INTO ledger_register (dept, kind, decision_no, decision_date, uploaded_at) VALUES `, 5,
			len(fresh), func(i int) []any {
				return []any{dept, kind, fresh[i].DecisionNo, fresh[i].DecisionDate, now}
			}); err != nil {
			return fmt.Errorf("put register: %w", err)
		}
		audit.Target = "ledger:" + dept + ":" + kind
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	return added, err
}

// registerSlack is how far (in days) from a register entry's date the
// department's record of the decision is looked for: a record whose date
// was mistyped by a few days still reports it.
const registerSlack = 31

// RegisterEntries implements store.LedgerStore.
func (s *Store) RegisterEntries(ctx context.Context, dept, kind, from, to string) ([]store.RegisterEntry, error) {
	lo, err := calendar.ParseDate(from)
	if err != nil {
		return nil, fmt.Errorf("from %q: %w", from, store.ErrInvalid)
	}
	hi, err := calendar.ParseDate(to)
	if err != nil {
		return nil, fmt.Errorf("to %q: %w", to, store.ErrInvalid)
	}
	entries, err := queryAll(ctx, s.R, `SELECT dept, kind, decision_no, decision_date FROM ledger_register
		WHERE dept = $1 AND kind = $2 AND decision_date >= $3 AND decision_date <= $4 ORDER BY decision_date, decision_no`,
		func(row scanner) (store.RegisterEntry, error) {
			var e store.RegisterEntry
			err := row.Scan(&e.Dept, &e.Kind, &e.DecisionNo, &e.DecisionDate)
			return e, err
		}, dept, kind, from, to)
	if err != nil || len(entries) == 0 {
		return entries, err
	}
	type rec struct {
		id   int64
		late bool
	}
	reported := map[string]rec{}
	rs, err := s.R.QueryContext(ctx, `SELECT decision_no, id, late FROM records
		WHERE kind = $1 AND decision_date >= $2 AND decision_date <= $3 AND source_dept = $4 ORDER BY id`,
		kind, lo.AddDays(-registerSlack).String(), hi.AddDays(registerSlack).String(), dept)
	if err != nil {
		return nil, fmt.Errorf("register entries: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var no string
		var r rec
		if err := rs.Scan(&no, &r.id, &r.late); err != nil {
			return nil, err
		}
		if _, ok := reported[no]; !ok {
			reported[no] = r
		}
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	for i := range entries {
		if r, ok := reported[entries[i].DecisionNo]; ok {
			entries[i].Reported, entries[i].OnTime = r.id, !r.late
		}
	}
	return entries, nil
}

// DecisionCounts implements store.LedgerStore: one index range per kind
// (records_column: kind, decision_date, source_dept).
func (s *Store) DecisionCounts(ctx context.Context, kinds []string, from, to string) ([]store.DecisionCount, error) {
	var out []store.DecisionCount
	for _, k := range kinds {
		part, err := queryAll(ctx, s.R, `SELECT kind, source_dept, substr(decision_date, 1, 7), count(*),
				sum(CASE WHEN late THEN 1 ELSE 0 END) FROM records
			WHERE kind = $1 AND decision_date >= $2 AND decision_date <= $3 GROUP BY kind, source_dept, substr(decision_date, 1, 7)`,
			func(row scanner) (store.DecisionCount, error) {
				var c store.DecisionCount
				err := row.Scan(&c.Kind, &c.Dept, &c.Month, &c.Records, &c.Late)
				return c, err
			}, k, from, to)
		if err != nil {
			return nil, fmt.Errorf("decision counts of %s: %w", k, err)
		}
		out = append(out, part...)
	}
	return out, nil
}

// ForeignRecords implements store.LedgerStore. The decider's own record
// is one of the same kind, decision number and date that it supplied.
func (s *Store) ForeignRecords(ctx context.Context, from, to string, deciders []string) ([]store.ForeignRecord, error) {
	all, err := queryAll(ctx, s.R, `SELECT d.record_id, d.kind, d.decider, d.source_dept, d.decision_no, d.decision_date,
			COALESCE((SELECT min(r.id) FROM records r WHERE r.kind = d.kind AND r.decision_date = d.decision_date
				AND r.source_dept = d.decider AND r.decision_no = d.decision_no), 0)
		FROM record_deciders d WHERE d.decision_date >= $1 AND d.decision_date <= $2 ORDER BY d.decision_date, d.record_id`,
		func(row scanner) (store.ForeignRecord, error) {
			var f store.ForeignRecord
			err := row.Scan(&f.RecordID, &f.Kind, &f.Decider, &f.SourceDept, &f.DecisionNo, &f.DecisionDate, &f.Own)
			return f, err
		}, from, to)
	if err != nil || deciders == nil {
		return all, err
	}
	out := all[:0]
	for _, f := range all {
		if slices.Contains(deciders, f.Decider) {
			out = append(out, f)
		}
	}
	return out, nil
}
