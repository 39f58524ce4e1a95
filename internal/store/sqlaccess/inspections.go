package sqlaccess

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.InspectionStore = (*Store)(nil)

// GetSupervisionPlan implements store.InspectionStore.
func (s *Store) GetSupervisionPlan(ctx context.Context, orgID int64) (store.SupervisionPlan, error) {
	p := store.SupervisionPlan{OrgID: orgID}
	var body string
	err := s.R.QueryRowContext(ctx, `SELECT body, updated_at, updated_by FROM supervision_plans WHERE org_id = $1`, orgID).
		Scan(&body, &p.UpdatedAt, &p.UpdatedBy)
	p.Body, p.UpdatedAt = []byte(body), p.UpdatedAt.UTC()
	return p, notFound(err, fmt.Sprintf("supervision plan of organisation %d", orgID))
}

// PutSupervisionPlan implements store.InspectionStore.
func (s *Store) PutSupervisionPlan(ctx context.Context, p store.SupervisionPlan, audit auth.AuditEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO supervision_plans (org_id, body, updated_at, updated_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (org_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			p.OrgID, string(p.Body), s.now(), p.UpdatedBy); err != nil {
			return fmt.Errorf("store supervision plan: %w", err)
		}
		audit.Target = fmt.Sprintf("supervision:%d", p.OrgID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
}

// AddInspectionItem implements store.InspectionStore.
func (s *Store) AddInspectionItem(ctx context.Context, it store.InspectionItem, audit auth.AuditEntry) (store.InspectionItem, error) {
	it.Created = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO inspection_items (org_id, code, name, basis, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			it.OrgID, it.Code, it.Name, it.Basis, it.Created).Scan(&it.ID)
		if err != nil {
			return s.wrapUnique(err, "抽查事项编号"+it.Code)
		}
		audit.Target = fmt.Sprintf("inspection-item:%d", it.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	return it, err
}

// InspectionItems implements store.InspectionStore.
func (s *Store) InspectionItems(ctx context.Context, orgID int64) ([]store.InspectionItem, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT id, org_id, code, name, basis, created_at FROM inspection_items WHERE org_id = $1 ORDER BY code, id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.InspectionItem
	for rows.Next() {
		var it store.InspectionItem
		if err := rows.Scan(&it.ID, &it.OrgID, &it.Code, &it.Name, &it.Basis, &it.Created); err != nil {
			return nil, err
		}
		it.Created = it.Created.UTC()
		out = append(out, it)
	}
	return out, rows.Err()
}

// AddInspector implements store.InspectionStore.
func (s *Store) AddInspector(ctx context.Context, in store.Inspector, audit auth.AuditEntry) (store.Inspector, error) {
	in.Created = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO inspectors (org_id, name, badge, user_id, active, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			in.OrgID, in.Name, in.Badge, nullInt(in.UserID), in.Active, in.Created).Scan(&in.ID)
		if err != nil {
			return s.wrapUnique(err, "执法证号"+in.Badge)
		}
		audit.Target = fmt.Sprintf("inspector:%d", in.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	return in, err
}

// UpdateInspector implements store.InspectionStore.
func (s *Store) UpdateInspector(ctx context.Context, in store.Inspector, audit auth.AuditEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE inspectors SET active = $1, user_id = $2 WHERE id = $3`, in.Active, nullInt(in.UserID), in.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("inspector %d: %w", in.ID, store.ErrNotFound)
		}
		audit.Target = fmt.Sprintf("inspector:%d", in.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
}

const inspectorColumns = `id, org_id, name, badge, COALESCE(user_id, 0), active, created_at`

func scanInspector(row scanner) (store.Inspector, error) {
	var in store.Inspector
	err := row.Scan(&in.ID, &in.OrgID, &in.Name, &in.Badge, &in.UserID, &in.Active, &in.Created)
	in.Created = in.Created.UTC()
	return in, err
}

// GetInspector implements store.InspectionStore.
func (s *Store) GetInspector(ctx context.Context, id int64) (store.Inspector, error) {
	in, err := scanInspector(s.R.QueryRowContext(ctx, `SELECT `+inspectorColumns+` FROM inspectors WHERE id = $1`, id))
	if err != nil {
		return in, notFound(err, fmt.Sprintf("inspector %d", id))
	}
	all, err := s.conflicts(ctx, `c.inspector_id = $1`, id)
	in.Conflicts = all[id]
	return in, err
}

// conflicts reads inspectors' conflicts by a condition on c.
func (s *Store) conflicts(ctx context.Context, cond string, arg any) (map[int64][]store.InspectorConflict, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT c.inspector_id, c.subject_id, COALESCE(s.uscc, s.reg_no, ''), COALESCE(s.name, ''), c.reason
		FROM inspector_conflicts c JOIN inspectors i ON i.id = c.inspector_id LEFT JOIN subjects s ON s.id = c.subject_id
		WHERE `+cond+` ORDER BY c.inspector_id, c.subject_id`, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]store.InspectorConflict{}
	for rows.Next() {
		var id int64
		var c store.InspectorConflict
		if err := rows.Scan(&id, &c.SubjectID, &c.Code, &c.Name, &c.Reason); err != nil {
			return nil, err
		}
		out[id] = append(out[id], c)
	}
	return out, rows.Err()
}

// Inspectors implements store.InspectionStore.
func (s *Store) Inspectors(ctx context.Context, orgID int64) ([]store.Inspector, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT `+inspectorColumns+` FROM inspectors WHERE org_id = $1 ORDER BY badge`, orgID)
	if err != nil {
		return nil, err
	}
	var out []store.Inspector
	for rows.Next() {
		in, err := scanInspector(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	cs, err := s.conflicts(ctx, `i.org_id = $1`, orgID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Conflicts = cs[out[i].ID]
	}
	return out, nil
}

// SetInspectorConflict implements store.InspectionStore.
func (s *Store) SetInspectorConflict(ctx context.Context, inspectorID int64, c store.InspectorConflict, remove bool, audit auth.AuditEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if remove {
			_, err = tx.ExecContext(ctx, `DELETE FROM inspector_conflicts WHERE inspector_id = $1 AND subject_id = $2`, inspectorID, c.SubjectID)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO inspector_conflicts (inspector_id, subject_id, reason) VALUES ($1, $2, $3)
				ON CONFLICT (inspector_id, subject_id) DO UPDATE SET reason = excluded.reason`, inspectorID, c.SubjectID, c.Reason)
		}
		if err != nil {
			return fmt.Errorf("inspector %d conflict: %w", inspectorID, err)
		}
		audit.Target = fmt.Sprintf("inspector:%d", inspectorID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
}

const taskColumns = `t.id, t.org_id, t.code, t.item_id, COALESCE(i.name, ''), t.name, t.region, t.keywords, t.classes, t.licensed, t.period_from,
	t.period_to, t.per_target, t.state, t.seed_hash, t.seed, t.population_hash, t.population_size, t.pool_hash, t.strata, t.excluded,
	t.model, t.created_at, t.created_by, t.drawn_at, t.drawn_by, COALESCE(o.name, ''), COALESCE(o.uscc, '')`

const taskFrom = ` FROM inspection_tasks t LEFT JOIN inspection_items i ON i.id = t.item_id LEFT JOIN orgs o ON o.id = t.org_id`

func scanTask(row scanner, extra ...any) (store.InspectionTask, error) {
	var t store.InspectionTask
	var keywords, classes, strata string
	var drawn sql.NullTime
	err := row.Scan(append([]any{&t.ID, &t.OrgID, &t.Code, &t.ItemID, &t.ItemName, &t.Name, &t.Region, &keywords, &classes, &t.Licensed,
		&t.From, &t.To, &t.PerTarget, &t.State, &t.SeedHash, &t.Seed, &t.PopulationHash, &t.PopulationSize, &t.PoolHash, &strata,
		&t.Excluded, &t.Model, &t.CreatedAt, &t.CreatedBy, &drawn, &t.DrawnBy, &t.OrgName, &t.OrgUSCC}, extra...)...)
	if err != nil {
		return t, err
	}
	t.CreatedAt, t.DrawnAt, t.Strata = t.CreatedAt.UTC(), timeOf(drawn), []byte(strata)
	if err := json.Unmarshal([]byte(keywords), &t.Keywords); err != nil {
		return t, fmt.Errorf("task %d keywords: %w", t.ID, err)
	}
	if err := json.Unmarshal([]byte(classes), &t.Classes); err != nil {
		return t, fmt.Errorf("task %d classes: %w", t.ID, err)
	}
	return t, nil
}

// AddInspectionTask implements store.InspectionStore: t.Code is the
// prefix of the code (SJ, the region, the day), to which the store adds a
// 3-digit sequence number of the department's tasks with that prefix.
func (s *Store) AddInspectionTask(ctx context.Context, t store.InspectionTask, audit auth.AuditEntry) (store.InspectionTask, error) {
	t.CreatedAt, t.State = s.now(), store.TaskOpen
	keywords, _ := json.Marshal(nonNil(t.Keywords))
	classes, _ := json.Marshal(t.Classes)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM inspection_tasks WHERE substr(code, 1, length($1)) = $1`, t.Code).Scan(&n); err != nil {
			return err
		}
		t.Code = fmt.Sprintf("%s%03d", t.Code, n+1)
		err := tx.QueryRowContext(ctx, `INSERT INTO inspection_tasks (org_id, code, item_id, name, region, keywords, classes, licensed, period_from,
			period_to, per_target, state, seed_hash, seed, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
			RETURNING id`, t.OrgID, t.Code, t.ItemID, t.Name, t.Region, string(keywords), string(classes), t.Licensed, t.From, t.To, t.PerTarget,
			t.State, t.SeedHash, t.Seed, t.CreatedAt, t.CreatedBy).Scan(&t.ID)
		if err != nil {
			return s.wrapUnique(err, "任务编号"+t.Code)
		}
		audit.Target = fmt.Sprintf("inspection:%d", t.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	return t, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// GetInspectionTask implements store.InspectionStore (with the snapshots).
func (s *Store) GetInspectionTask(ctx context.Context, id int64) (store.InspectionTask, error) {
	var pop, pool []byte
	t, err := scanTask(s.R.QueryRowContext(ctx, `SELECT `+taskColumns+`, t.population, t.pool`+taskFrom+` WHERE t.id = $1`, id), &pop, &pool)
	if err != nil {
		return t, notFound(err, fmt.Sprintf("inspection task %d", id))
	}
	t.Population, t.Pool = pop, pool
	return t, nil
}

// ListInspectionTasks implements store.InspectionStore (without the
// snapshots), newest first.
func (s *Store) ListInspectionTasks(ctx context.Context, f store.TaskFilter) ([]store.InspectionTask, error) {
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	q := `SELECT ` + taskColumns + taskFrom + ` WHERE ($1 = '' OR substr(o.path, 1, length($1)) = $1) AND ($2 = '' OR t.state = $2)
		ORDER BY t.id DESC LIMIT $3`
	rows, err := s.R.QueryContext(ctx, q, f.OrgPath, f.State, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.InspectionTask
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// SaveInspectionDraw implements store.InspectionStore.
func (s *Store) SaveInspectionDraw(ctx context.Context, t store.InspectionTask, targets []store.InspectionTarget, audit auth.AuditEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE inspection_tasks SET state = $1, seed = $2, population_hash = $3, population_size = $4, population = $5,
			pool_hash = $6, pool = $7, strata = $8, excluded = $9, model = $10, drawn_at = $11, drawn_by = $12 WHERE id = $13 AND state = $14`,
			store.TaskDrawn, t.Seed, t.PopulationHash, t.PopulationSize, t.Population, t.PoolHash, t.Pool, string(t.Strata), t.Excluded, t.Model,
			s.now(), t.DrawnBy, t.ID, store.TaskOpen)
		if err != nil {
			return fmt.Errorf("store draw: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.Newf(fault.Conflict, "任务 %s 已经抽取过", t.Code)
		}
		err = s.insertRows(ctx, tx, `INSERT INTO inspection_targets (task_id, seq, subject_id, code, name, grade, inspectors) VALUES `, 7, len(targets),
			func(i int) []any {
				g := targets[i]
				ins, _ := json.Marshal(g.Inspectors)
				return []any{t.ID, g.Seq, g.SubjectID, g.Code, g.Name, g.Grade, string(ins)}
			})
		if err != nil {
			return fmt.Errorf("store targets: %w", err)
		}
		audit.Target = fmt.Sprintf("inspection:%d", t.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
}

// InspectionTargets implements store.InspectionStore.
func (s *Store) InspectionTargets(ctx context.Context, taskID int64) ([]store.InspectionTarget, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT task_id, seq, subject_id, code, name, grade, inspectors, result, findings, inspected_on,
		COALESCE(record_id, 0), entered_at, entered_by FROM inspection_targets WHERE task_id = $1 ORDER BY seq`, taskID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.InspectionTarget
	for rows.Next() {
		var g store.InspectionTarget
		var ins string
		var at sql.NullTime
		if err := rows.Scan(&g.TaskID, &g.Seq, &g.SubjectID, &g.Code, &g.Name, &g.Grade, &ins, &g.Result, &g.Findings, &g.InspectedOn,
			&g.RecordID, &at, &g.EnteredBy); err != nil {
			return nil, err
		}
		g.EnteredAt = timeOf(at)
		if err := json.Unmarshal([]byte(ins), &g.Inspectors); err != nil {
			return nil, fmt.Errorf("target %d/%d inspectors: %w", taskID, g.Seq, err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// SaveInspectionResult implements store.InspectionStore.
func (s *Store) SaveInspectionResult(ctx context.Context, g store.InspectionTarget, audit auth.AuditEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE inspection_targets SET result = $1, findings = $2, inspected_on = $3, record_id = $4, entered_at = $5,
			entered_by = $6 WHERE task_id = $7 AND seq = $8`, g.Result, g.Findings, g.InspectedOn, nullInt(g.RecordID), s.now(), g.EnteredBy, g.TaskID, g.Seq)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("target %d/%d: %w", g.TaskID, g.Seq, store.ErrNotFound)
		}
		audit.Target = fmt.Sprintf("inspection:%d", g.TaskID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
}

// InspectionPopulation implements store.InspectionStore: one scan of the
// subjects of the region (there is no index on region: a draw is rare)
// with their current grades; classes and name keywords are tested here.
func (s *Store) InspectionPopulation(ctx context.Context, f store.PopulationFilter) ([]store.PopulationMember, error) {
	cond, args := regionRange("s.region", f.Region, 1)
	if f.LicensedBy != "" {
		args = append(args, f.LicensedBy)
		cond += fmt.Sprintf(` AND s.id IN (SELECT r.subject_id FROM records r WHERE r.kind = 'xk' AND r.source_dept = $%d AND r.state <> 'revoked')`, len(args))
	}
	rows, err := s.R.QueryContext(ctx, `SELECT s.id, s.class, COALESCE(s.uscc, ''), COALESCE(s.reg_no, ''), s.name, COALESCE(e.grade, '')
		FROM subjects s LEFT JOIN evaluations e ON e.subject_id = s.id WHERE `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("population: %w", err)
	}
	defer rows.Close()
	var out []store.PopulationMember
	var class []byte
	for rows.Next() {
		var m store.PopulationMember
		var uscc, regNo string
		if err := rows.Scan(&m.SubjectID, &class, &uscc, &regNo, &m.Name, &m.Grade); err != nil {
			return nil, err
		}
		c := credit.Class(class)
		if c == credit.ClassPerson || !slices.Contains(f.Classes, c) {
			continue
		}
		if len(f.Keywords) > 0 && !slices.ContainsFunc(f.Keywords, func(k string) bool { return strings.Contains(m.Name, k) }) {
			continue
		}
		m.Code = uscc
		if m.Code == "" || m.Code == "00000000000000000X" {
			m.Code = regNo
		}
		if m.Code == "" {
			continue // no public code: it could not be named in the draw
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b store.PopulationMember) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}

// InspectedSince implements store.InspectionStore.
func (s *Store) InspectedSince(ctx context.Context, orgID int64, since time.Time) (map[int64]int, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT g.subject_id, COUNT(*) FROM inspection_targets g JOIN inspection_tasks t ON t.id = g.task_id
		WHERE t.org_id = $1 AND t.drawn_at > $2 GROUP BY g.subject_id`, orgID, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
