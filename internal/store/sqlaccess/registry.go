package sqlaccess

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.RegistryStore = (*Store)(nil)

// PendingRegistryBatches implements store.RegistryStore.
func (s *Store) PendingRegistryBatches(ctx context.Context, kind string) ([]int64, error) {
	return queryAll(ctx, s.wr(), `SELECT b.id FROM intake_batches b WHERE b.kind = $1 AND b.finished_at IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM registry_batches r WHERE r.batch_id = b.id) ORDER BY b.id`,
		func(r scanner) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		}, kind)
}

// RegistryBatchRecords implements store.RegistryStore. The kind is
// written into the statement so that the partial index records_dj_batch
// serves it.
func (s *Store) RegistryBatchRecords(ctx context.Context, kind string, batch int64) ([]store.Record, error) {
	if kind != "dj" {
		return nil, fmt.Errorf("registry batch records: kind %q: %w", kind, store.ErrInvalid)
	}
	return queryAll(ctx, s.wr(), `SELECT id, subject_id, source_dept, decision_date, state, fields, received_at
		FROM records WHERE kind = 'dj' AND batch_id = $1 ORDER BY id`,
		func(r scanner) (store.Record, error) {
			rec := store.Record{Kind: kind}
			var state string
			err := r.Scan(&rec.ID, &rec.SubjectID, &rec.SourceDept, &rec.DecisionDate, &state, &rec.Fields, &rec.ReceivedAt)
			rec.State, rec.ReceivedAt = store.RecordState(state), rec.ReceivedAt.UTC()
			return rec, err
		}, batch)
}

const registrationColumns = `uscc, authority_code, authority_name, dept_code, name, org_code, legal_rep, address, region,
	founded, status, approval, business, day, record_id, first_seen, updated_at`

func scanRegistration(r scanner, g *store.Registration) error {
	err := r.Scan(&g.USCC, &g.AuthorityCode, &g.AuthorityName, &g.DeptCode, &g.Name, &g.OrgCode, &g.LegalRep, &g.Address,
		&g.Region, &g.Founded, &g.Status, &g.Approval, &g.Business, &g.Day, &g.RecordID, &g.FirstSeen, &g.UpdatedAt)
	g.FirstSeen, g.UpdatedAt = g.FirstSeen.UTC(), g.UpdatedAt.UTC()
	return err
}

// body is the org-code body of a code (positions 9-16).
func body(uscc string) string {
	if len(uscc) < 16 {
		return ""
	}
	return uscc[8:16]
}

// ApplyRegistryBatch implements store.RegistryStore.
func (s *Store) ApplyRegistryBatch(ctx context.Context, batch int64, regs []store.Registration) (bool, error) {
	applied := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, `INSERT INTO registry_batches (batch_id, applied_at, regs) VALUES ($1, $2, $3)
			ON CONFLICT (batch_id) DO NOTHING`, batch, now, len(regs))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		applied = true
		codes := make([]string, 0, len(regs))
		for _, g := range regs {
			codes = append(codes, g.USCC)
		}
		slices.Sort(codes)
		codes = slices.Compact(codes)
		stored := map[[2]string]store.Registration{}
		for _, chunk := range store.Chunks(codes) {
			q, args := s.inStrings("uscc", chunk)
			rows, err := tx.QueryContext(ctx, `SELECT `+registrationColumns+` FROM registrations WHERE `+q, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var g store.Registration
				if err := scanRegistration(rows, &g); err != nil {
					rows.Close()
					return err
				}
				stored[[2]string{g.USCC, g.AuthorityCode}] = g
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		// The plan: each registration against the stored one (or the one
		// an earlier row of the batch made), in Go; then every changed
		// row written once, in multi-row statements.
		var changed [][2]string
		isChanged := map[[2]string]bool{}
		type former struct{ uscc, auth, name, until string }
		var formers []former
		for _, g := range regs {
			k := [2]string{g.USCC, g.AuthorityCode}
			old, ok := stored[k]
			if ok {
				if g.Day < old.Day || (g.Day == old.Day && g.RecordID < old.RecordID) {
					continue // older than what is stored: it changes nothing
				}
				if old.Name != g.Name {
					formers = append(formers, former{g.USCC, g.AuthorityCode, old.Name, g.Day})
				}
				// A 注销 or 删除 carries only the fields the rules ask for:
				// the others stay as registered.
				keep := func(v *string, was string) {
					if *v == "" {
						*v = was
					}
				}
				keep(&g.LegalRep, old.LegalRep)
				keep(&g.Address, old.Address)
				keep(&g.Founded, old.Founded)
				keep(&g.OrgCode, old.OrgCode)
				keep(&g.Region, old.Region)
				keep(&g.Approval, old.Approval)
				keep(&g.DeptCode, old.DeptCode)
				g.FirstSeen = old.FirstSeen
			} else {
				g.FirstSeen = now
			}
			g.UpdatedAt = now
			if !isChanged[k] {
				isChanged[k] = true
				changed = append(changed, k)
			}
			stored[k] = g
		}
		slices.SortFunc(changed, func(a, b [2]string) int { return strings.Compare(a[0]+a[1], b[0]+b[1]) })
		const cols, per = 19, 1000
		for i := 0; i < len(changed); i += per {
			part := changed[i:min(i+per, len(changed))]
			args := make([]any, 0, len(part)*cols)
			for _, k := range part {
				g := stored[k]
				args = append(args, g.USCC, g.AuthorityCode, g.AuthorityName, g.DeptCode, g.Name, g.OrgCode, g.LegalRep,
					g.Address, g.Region, g.Founded, g.Status, g.Approval, g.Business, g.Day, g.RecordID, g.FirstSeen, g.UpdatedAt,
					body(g.USCC), calendar.FromTime(g.FirstSeen).String()[:7])
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO registrations (`+registrationColumns+`, body, first_month)
				VALUES `+s.placeholders(len(part), cols)+`
				ON CONFLICT (uscc, authority_code) DO UPDATE SET authority_name = excluded.authority_name, dept_code = excluded.dept_code,
				name = excluded.name, org_code = excluded.org_code, legal_rep = excluded.legal_rep, address = excluded.address,
				region = excluded.region, founded = excluded.founded, status = excluded.status, approval = excluded.approval,
				business = excluded.business, day = excluded.day, record_id = excluded.record_id, updated_at = excluded.updated_at`,
				args...); err != nil {
				return err
			}
		}
		for i := 0; i < len(formers); i += per {
			part := formers[i:min(i+per, len(formers))]
			args := make([]any, 0, len(part)*4)
			for _, f := range part {
				args = append(args, f.uscc, f.auth, f.name, f.until)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO registration_names (uscc, authority_code, name, until_day)
				VALUES `+s.placeholders(len(part), 4)+` ON CONFLICT (uscc, authority_code, name) DO NOTHING`, args...); err != nil {
				return err
			}
		}
		return nil
	})
	return applied, err
}

// formerNames reads the former names of the registrations whose code
// satisfies where (nil: all), oldest first, by code and authority.
func (s *Store) formerNames(ctx context.Context, where string, args []any) (map[[2]string][]string, error) {
	q := `SELECT uscc, authority_code, name FROM registration_names`
	if where != "" {
		q += ` WHERE ` + where
	}
	rows, err := s.R.QueryContext(ctx, q+` ORDER BY uscc, authority_code, until_day, name`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[[2]string][]string{}
	for rows.Next() {
		var u, a, n string
		if err := rows.Scan(&u, &a, &n); err != nil {
			return nil, err
		}
		out[[2]string{u, a}] = append(out[[2]string{u, a}], n)
	}
	return out, rows.Err()
}

func withFormer(g *store.Registration, names map[[2]string][]string) {
	g.FormerNames = g.FormerNames[:0]
	for _, n := range names[[2]string{g.USCC, g.AuthorityCode}] {
		if n != g.Name {
			g.FormerNames = append(g.FormerNames, n)
		}
	}
}

// Registrations implements store.RegistryStore (in storage order; only
// the scan's fields: code, authority, department, name, legal
// representative, status and former names).
func (s *Store) Registrations(ctx context.Context, fn func(r *store.Registration) error) error {
	names, err := s.formerNames(ctx, "", nil)
	if err != nil {
		return err
	}
	rows, err := s.R.QueryContext(ctx, `SELECT uscc, authority_code, authority_name, dept_code, name, legal_rep, status FROM registrations`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var g store.Registration
	for rows.Next() {
		if err := rows.Scan(&g.USCC, &g.AuthorityCode, &g.AuthorityName, &g.DeptCode, &g.Name, &g.LegalRep, &g.Status); err != nil {
			return err
		}
		withFormer(&g, names)
		if err := fn(&g); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *Store) registrationsWhere(ctx context.Context, where string, args []any) ([]store.Registration, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT `+registrationColumns+` FROM registrations WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Registration
	for rows.Next() {
		var g store.Registration
		if err := scanRegistration(rows, &g); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func (s *Store) attachFormer(ctx context.Context, regs []store.Registration) error {
	var codes []string
	for _, g := range regs {
		codes = append(codes, g.USCC)
	}
	slices.Sort(codes)
	codes = slices.Compact(codes)
	for _, chunk := range store.Chunks(codes) {
		q, args := s.inStrings("uscc", chunk)
		names, err := s.formerNames(ctx, q, args)
		if err != nil {
			return err
		}
		for i := range regs {
			if _, ok := names[[2]string{regs[i].USCC, regs[i].AuthorityCode}]; ok {
				withFormer(&regs[i], names)
			}
		}
	}
	return nil
}

// RegistrationsOf implements store.RegistryStore.
func (s *Store) RegistrationsOf(ctx context.Context, codes []string) ([]store.Registration, error) {
	var out []store.Registration
	for _, chunk := range store.Chunks(codes) {
		q, args := s.inStrings("uscc", chunk)
		regs, err := s.registrationsWhere(ctx, q+` ORDER BY uscc, first_seen, authority_code`, args)
		if err != nil {
			return nil, err
		}
		out = append(out, regs...)
	}
	return out, s.attachFormer(ctx, out)
}

// RegistrationsRelated implements store.RegistryStore.
func (s *Store) RegistrationsRelated(ctx context.Context, codes, names, bodies []string) ([]store.Registration, error) {
	seen := map[[2]string]bool{}
	var out []store.Registration
	for _, part := range []struct {
		col    string
		values []string
	}{{"uscc", codes}, {"name", names}, {"body", bodies}} {
		for _, chunk := range store.Chunks(part.values) {
			q, args := s.inStrings(part.col, chunk)
			regs, err := s.registrationsWhere(ctx, q, args)
			if err != nil {
				return nil, err
			}
			for _, g := range regs {
				if k := [2]string{g.USCC, g.AuthorityCode}; !seen[k] {
					seen[k] = true
					out = append(out, g)
				}
			}
		}
	}
	// Former names make a name-change chain, and a former name is a name
	// the organisation held: registrations by a former name are related.
	for _, chunk := range store.Chunks(names) {
		q, args := s.inStrings("name", chunk)
		rows, err := s.R.QueryContext(ctx, `SELECT uscc FROM registration_names WHERE `+q, args...)
		if err != nil {
			return nil, err
		}
		var more []string
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return nil, err
			}
			more = append(more, u)
		}
		rows.Close()
		if len(more) > 0 {
			q, args := s.inStrings("uscc", more)
			regs, err := s.registrationsWhere(ctx, q, args)
			if err != nil {
				return nil, err
			}
			for _, g := range regs {
				if k := [2]string{g.USCC, g.AuthorityCode}; !seen[k] {
					seen[k] = true
					out = append(out, g)
				}
			}
		}
	}
	return out, s.attachFormer(ctx, out)
}

// inStrings is "col IN ($1, …)" (? with Positional) with its arguments.
func (s *Store) inStrings(col string, values []string) (string, []any) {
	var b strings.Builder
	b.WriteString(col + " IN (")
	args := make([]any, len(values))
	for i, v := range values {
		if i > 0 {
			b.WriteString(", ")
		}
		if s.Positional {
			b.WriteByte('?') // SQLite looks named parameters up one by one: $n costs O(n²) to parse
		} else {
			b.WriteString("$" + strconv.Itoa(i+1))
		}
		args[i] = v
	}
	b.WriteString(")")
	return b.String(), args
}

// RegistryWhitelist implements store.RegistryStore.
func (s *Store) RegistryWhitelist(ctx context.Context) (map[string]bool, error) {
	keys, err := queryAll(ctx, s.wr(), `SELECT case_key FROM registry_whitelist`, func(r scanner) (string, error) {
		var k string
		return k, r.Scan(&k)
	})
	out := make(map[string]bool, len(keys))
	for _, k := range keys {
		out[k] = true
	}
	return out, err
}

const caseColumns = `id, case_key, type, codes, authority, region, evidence, state, opened_at, due, closed_at, resolution, request, actor`

func scanCase(r scanner) (store.RegistryCase, error) {
	var c store.RegistryCase
	var codes, evidence string
	var closed sql.NullTime
	err := r.Scan(&c.ID, &c.Key, &c.Type, &codes, &c.Authority, &c.Region, &evidence, &c.State, &c.OpenedAt, &c.Due, &closed,
		&c.Resolution, &c.Request, &c.Actor)
	c.Codes, c.Evidence = strings.Split(codes, ","), []byte(evidence)
	c.OpenedAt, c.ClosedAt = c.OpenedAt.UTC(), timeOf(closed)
	return c, err
}

// SyncRegistryCases implements store.RegistryStore.
func (s *Store) SyncRegistryCases(ctx context.Context, found []store.RegistryFinding, scope []string) (store.RegistrySync, error) {
	var out store.RegistrySync
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = store.RegistrySync{}
		now := s.now()
		white := map[string]bool{}
		rows, err := tx.QueryContext(ctx, `SELECT case_key FROM registry_whitelist`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return err
			}
			white[k] = true
		}
		rows.Close()
		rows, err = tx.QueryContext(ctx, `SELECT `+caseColumns+` FROM registry_cases WHERE state IN ('open', 'whitelist')`)
		if err != nil {
			return err
		}
		open := map[string]store.RegistryCase{}
		for rows.Next() {
			c, err := scanCase(rows)
			if err != nil {
				rows.Close()
				return err
			}
			open[c.Key] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		scoped := make(map[string]bool, len(scope))
		for _, c := range scope {
			scoped[c] = true
		}
		inScope := func(codes []string) bool {
			if scope == nil {
				return true
			}
			for _, c := range codes {
				if !scoped[c] {
					return false
				}
			}
			return true
		}
		foundKeys := map[string]bool{}
		for _, f := range found {
			foundKeys[f.Key] = true
			if _, ok := open[f.Key]; ok || white[f.Key] {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO registry_cases (case_key, type, codes, authority, region, evidence, state, opened_at, due)
				VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8)`, f.Key, f.Type, strings.Join(f.Codes, ","), f.Authority, f.Region,
				string(f.Evidence), now, f.Due); err != nil {
				return err
			}
			open[f.Key] = store.RegistryCase{Key: f.Key}
			out.Opened++
		}
		for key, c := range open {
			if c.ID == 0 || foundKeys[key] || !inScope(c.Codes) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE registry_cases SET state = 'closed', closed_at = $1, resolution = '已纠正'
				WHERE id = $2`, now, c.ID); err != nil {
				return err
			}
			delete(open, key)
			out.Closed++
		}
		out.Open = len(open)
		return nil
	})
	return out, err
}

// RegistryCases implements store.RegistryStore.
func (s *Store) RegistryCases(ctx context.Context, f store.RegistryCaseFilter) ([]store.RegistryCase, error) {
	var where []string
	var args []any
	if f.Authority != "" {
		args = append(args, f.Authority)
		where = append(where, "authority = $"+strconv.Itoa(len(args)))
	}
	if f.Type != "" {
		args = append(args, f.Type)
		where = append(where, "type = $"+strconv.Itoa(len(args)))
	}
	if len(f.States) > 0 {
		var ph []string
		for _, st := range f.States {
			args = append(args, st)
			ph = append(ph, "$"+strconv.Itoa(len(args)))
		}
		where = append(where, "state IN ("+strings.Join(ph, ", ")+")")
	}
	q := `SELECT ` + caseColumns + ` FROM registry_cases`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(f.Limit)
	}
	return queryAll(ctx, s.wr(), q, scanCase, args...)
}

// GetRegistryCase implements store.RegistryStore.
func (s *Store) GetRegistryCase(ctx context.Context, id int64) (store.RegistryCase, error) {
	c, err := scanCase(s.wr().QueryRowContext(ctx, `SELECT `+caseColumns+` FROM registry_cases WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return c, fmt.Errorf("registry case %d: %w", id, store.ErrNotFound)
	}
	return c, err
}

// UpdateRegistryCase implements store.RegistryStore.
func (s *Store) UpdateRegistryCase(ctx context.Context, c store.RegistryCase, from string, whitelist bool, audit auth.AuditEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var closed any
		if !c.ClosedAt.IsZero() {
			closed = c.ClosedAt.UTC()
		}
		res, err := tx.ExecContext(ctx, `UPDATE registry_cases SET state = $1, resolution = $2, request = $3, actor = $4, closed_at = $5
			WHERE id = $6 AND state = $7`, c.State, c.Resolution, c.Request, c.Actor, closed, c.ID, from)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("registry case %d is no longer %s: %w", c.ID, from, store.ErrConflict)
		}
		if whitelist {
			if _, err := tx.ExecContext(ctx, `INSERT INTO registry_whitelist (case_key, case_id, decided_at) VALUES ($1, $2, $3)
				ON CONFLICT (case_key) DO NOTHING`, c.Key, c.ID, s.now()); err != nil {
				return err
			}
		}
		audit.Target = fmt.Sprintf("registry.case:%d", c.ID)
		return s.appendAudit(ctx, tx, &audit)
	})
}

// RegistrationCounts implements store.RegistryStore.
func (s *Store) RegistrationCounts(ctx context.Context) ([]store.RegistrationCount, error) {
	return queryAll(ctx, s.R, `SELECT authority_code, first_month, COUNT(*) FROM registrations WHERE status <> '删除'
		GROUP BY authority_code, first_month ORDER BY authority_code, first_month`,
		func(r scanner) (store.RegistrationCount, error) {
			var c store.RegistrationCount
			return c, r.Scan(&c.Authority, &c.Month, &c.N)
		})
}

// RefreshRegistryStats implements store.RegistryStore.
func (s *Store) RefreshRegistryStats(ctx context.Context) error {
	if s.Positional { // SQLite
		return nil
	}
	_, err := s.W.ExecContext(ctx, `ANALYZE registrations, registration_names`)
	return err
}
