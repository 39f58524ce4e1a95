package sqlaccess

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.MarketStore = (*Store)(nil)

const marketItemColumns = `id, industry, name, type, basis, qualification, approvals, time_limit, fee, COALESCE(dept_org_id, 0), active, created_at, updated_at`

func scanMarketItem(row scanner) (store.MarketItem, error) {
	var it store.MarketItem
	err := row.Scan(&it.ID, &it.Industry, &it.Name, &it.Type, &it.Basis, &it.Qualification, &it.Approvals, &it.TimeLimit, &it.Fee,
		&it.DeptOrgID, &it.Active, &it.CreatedAt, &it.UpdatedAt)
	it.CreatedAt, it.UpdatedAt = it.CreatedAt.UTC(), it.UpdatedAt.UTC()
	return it, err
}

// PutMarketItem implements store.MarketStore.
func (s *Store) PutMarketItem(ctx context.Context, it store.MarketItem, audit auth.AuditEntry) (store.MarketItem, error) {
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if it.ID == 0 {
			it.CreatedAt = now
			if err := tx.QueryRowContext(ctx, `INSERT INTO market_items (industry, name, type, basis, qualification, approvals, time_limit, fee,
					dept_org_id, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
				it.Industry, it.Name, it.Type, it.Basis, it.Qualification, it.Approvals, it.TimeLimit, it.Fee, nullInt(it.DeptOrgID), it.Active,
				now, now).Scan(&it.ID); err != nil {
				return s.wrapUnique(fmt.Errorf("add market item: %w", err), "中介服务事项"+it.Industry+"/"+it.Name)
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE market_items SET industry = $1, name = $2, type = $3, basis = $4, qualification = $5,
					approvals = $6, time_limit = $7, fee = $8, active = $9, updated_at = $10 WHERE id = $11`,
				it.Industry, it.Name, it.Type, it.Basis, it.Qualification, it.Approvals, it.TimeLimit, it.Fee, it.Active, now, it.ID)
			if err != nil {
				return s.wrapUnique(fmt.Errorf("update market item: %w", err), "中介服务事项"+it.Industry+"/"+it.Name)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("market item %d: %w", it.ID, store.ErrNotFound)
			}
		}
		audit.Target = fmt.Sprintf("market_item:%d", it.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.MarketItem{}, err
	}
	return s.GetMarketItem(ctx, it.ID)
}

// GetMarketItem implements store.MarketStore.
func (s *Store) GetMarketItem(ctx context.Context, id int64) (store.MarketItem, error) {
	it, err := scanMarketItem(s.R.QueryRowContext(ctx, `SELECT `+marketItemColumns+` FROM market_items WHERE id = $1`, id))
	if err != nil {
		return store.MarketItem{}, notFound(err, fmt.Sprintf("market item %d", id))
	}
	return it, nil
}

// ListMarketItems implements store.MarketStore.
func (s *Store) ListMarketItems(ctx context.Context, activeOnly bool) ([]store.MarketItem, error) {
	q := `SELECT ` + marketItemColumns + ` FROM market_items`
	if activeOnly {
		q += ` WHERE active`
	}
	return queryAll(ctx, s.R, q+` ORDER BY industry, name, id`, scanMarketItem)
}

const marketAgencyColumns = `id, subject_id, state, body, rev, created_at, updated_at`

func scanMarketAgency(row scanner) (store.MarketAgency, error) {
	var a store.MarketAgency
	var body string
	err := row.Scan(&a.ID, &a.SubjectID, &a.State, &body, &a.Rev, &a.CreatedAt, &a.UpdatedAt)
	a.Body = []byte(body)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a, err
}

// AddMarketAgency implements store.MarketStore.
func (s *Store) AddMarketAgency(ctx context.Context, a store.MarketAgency, audit auth.AuditEntry) (store.MarketAgency, error) {
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, _, err := subjectRow(ctx, tx, a.SubjectID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO market_agencies (subject_id, state, body, rev, created_at, updated_at)
				VALUES ($1, $2, $3, 1, $4, $5) RETURNING id`, a.SubjectID, a.State, string(a.Body), now, now).Scan(&a.ID); err != nil {
			return s.wrapUnique(fmt.Errorf("add market agency: %w", err), "该中介机构的入驻信息")
		}
		audit.Target, audit.SubjectID = fmt.Sprintf("market_agency:%d", a.ID), a.SubjectID
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.MarketAgency{}, err
	}
	return s.GetMarketAgency(ctx, a.ID)
}

// UpdateMarketAgency implements store.MarketStore.
func (s *Store) UpdateMarketAgency(ctx context.Context, a store.MarketAgency, audit auth.AuditEntry) (store.MarketAgency, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE market_agencies SET state = $1, body = $2, rev = rev + 1, updated_at = $3 WHERE id = $4 AND rev = $5`,
			a.State, string(a.Body), s.now(), a.ID, a.Rev)
		if err != nil {
			return fmt.Errorf("update market agency %d: %w", a.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := s.GetMarketAgency(ctx, a.ID); err != nil {
				return err
			}
			return fmt.Errorf("market agency %d: %w", a.ID, store.ErrConflict)
		}
		audit.Target, audit.SubjectID = fmt.Sprintf("market_agency:%d", a.ID), a.SubjectID
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.MarketAgency{}, err
	}
	return s.GetMarketAgency(ctx, a.ID)
}

// GetMarketAgency implements store.MarketStore.
func (s *Store) GetMarketAgency(ctx context.Context, id int64) (store.MarketAgency, error) {
	a, err := scanMarketAgency(s.R.QueryRowContext(ctx, `SELECT `+marketAgencyColumns+` FROM market_agencies WHERE id = $1`, id))
	if err != nil {
		return store.MarketAgency{}, notFound(err, fmt.Sprintf("market agency %d", id))
	}
	return a, nil
}

// MarketAgencyOf implements store.MarketStore.
func (s *Store) MarketAgencyOf(ctx context.Context, subjectID int64) (store.MarketAgency, error) {
	a, err := scanMarketAgency(s.R.QueryRowContext(ctx, `SELECT `+marketAgencyColumns+` FROM market_agencies WHERE subject_id = $1`, subjectID))
	if err != nil {
		return store.MarketAgency{}, notFound(err, fmt.Sprintf("market agency of subject %d", subjectID))
	}
	return a, nil
}

// inStates is "column IN ($n, …)" for states, its arguments appended to args.
func inStates(column string, states []string, args *[]any) string {
	marks := make([]string, len(states))
	for i, st := range states {
		*args = append(*args, st)
		marks[i] = fmt.Sprintf("$%d", len(*args))
	}
	return column + " IN (" + strings.Join(marks, ", ") + ")"
}

// ListMarketAgencies implements store.MarketStore.
func (s *Store) ListMarketAgencies(ctx context.Context, states ...string) ([]store.MarketAgency, error) {
	q := `SELECT ` + marketAgencyColumns + ` FROM market_agencies`
	var args []any
	if len(states) > 0 {
		q += ` WHERE ` + inStates("state", states, &args)
	}
	return queryAll(ctx, s.R, q+` ORDER BY id`, scanMarketAgency, args...)
}

const marketProjectColumns = `id, owner_org_id, COALESCE(owner_subject_id, 0), state, COALESCE(winner_subject_id, 0), body, rev, created_at, updated_at`

func scanMarketProject(row scanner) (store.MarketProject, error) {
	var p store.MarketProject
	var body string
	err := row.Scan(&p.ID, &p.OwnerOrgID, &p.OwnerSubjectID, &p.State, &p.WinnerSubjectID, &body, &p.Rev, &p.CreatedAt, &p.UpdatedAt)
	p.Body = []byte(body)
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, err
}

// AddMarketProject implements store.MarketStore.
func (s *Store) AddMarketProject(ctx context.Context, p store.MarketProject, audit auth.AuditEntry) (store.MarketProject, error) {
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO market_projects (owner_org_id, owner_subject_id, state, winner_subject_id, body, rev, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, 1, $6, $7) RETURNING id`, p.OwnerOrgID, nullInt(p.OwnerSubjectID), p.State, nullInt(p.WinnerSubjectID), string(p.Body), now, now).Scan(&p.ID); err != nil {
			return fmt.Errorf("add market project: %w", err)
		}
		audit.Target = fmt.Sprintf("market_project:%d", p.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.MarketProject{}, err
	}
	return s.GetMarketProject(ctx, p.ID)
}

// UpdateMarketProject implements store.MarketStore.
func (s *Store) UpdateMarketProject(ctx context.Context, p store.MarketProject, audit auth.AuditEntry) (store.MarketProject, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE market_projects SET state = $1, winner_subject_id = $2, body = $3, rev = rev + 1, updated_at = $4
				WHERE id = $5 AND rev = $6`, p.State, nullInt(p.WinnerSubjectID), string(p.Body), s.now(), p.ID, p.Rev)
		if err != nil {
			return fmt.Errorf("update market project %d: %w", p.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := s.GetMarketProject(ctx, p.ID); err != nil {
				return err
			}
			return fmt.Errorf("market project %d: %w", p.ID, store.ErrConflict)
		}
		audit.Target = fmt.Sprintf("market_project:%d", p.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.MarketProject{}, err
	}
	return s.GetMarketProject(ctx, p.ID)
}

// GetMarketProject implements store.MarketStore.
func (s *Store) GetMarketProject(ctx context.Context, id int64) (store.MarketProject, error) {
	p, err := scanMarketProject(s.R.QueryRowContext(ctx, `SELECT `+marketProjectColumns+` FROM market_projects WHERE id = $1`, id))
	if err != nil {
		return store.MarketProject{}, notFound(err, fmt.Sprintf("market project %d", id))
	}
	return p, nil
}

// ListMarketProjects implements store.MarketStore.
func (s *Store) ListMarketProjects(ctx context.Context, f store.MarketProjectFilter) ([]store.MarketProject, error) {
	var where []string
	var args []any
	if f.OwnerOrgID != 0 {
		args = append(args, f.OwnerOrgID)
		where = append(where, fmt.Sprintf("owner_org_id = $%d", len(args)))
	}
	if f.OwnerSubjectID != 0 {
		args = append(args, f.OwnerSubjectID)
		where = append(where, fmt.Sprintf("owner_subject_id = $%d", len(args)))
	}
	if f.WinnerSubjectID != 0 {
		args = append(args, f.WinnerSubjectID)
		where = append(where, fmt.Sprintf("winner_subject_id = $%d", len(args)))
	}
	if len(f.States) > 0 {
		where = append(where, inStates("state", f.States, &args))
	}
	q := `SELECT ` + marketProjectColumns + ` FROM market_projects`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	args = append(args, limit)
	return queryAll(ctx, s.R, q+fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)), scanMarketProject, args...)
}

// AddMarketFile implements store.MarketStore.
func (s *Store) AddMarketFile(ctx context.Context, f store.MarketFile) (int64, error) {
	var id int64
	err := s.W.QueryRowContext(ctx, `INSERT INTO market_files (owner, name, type, sha256, data, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		f.Owner, f.Name, f.Type, f.SHA256, f.Data, s.now()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("add market file: %w", err)
	}
	return id, nil
}

// GetMarketFile implements store.MarketStore.
func (s *Store) GetMarketFile(ctx context.Context, id int64) (store.MarketFile, error) {
	var f store.MarketFile
	err := s.R.QueryRowContext(ctx, `SELECT id, owner, name, type, sha256, data, created_at FROM market_files WHERE id = $1`, id).
		Scan(&f.ID, &f.Owner, &f.Name, &f.Type, &f.SHA256, &f.Data, &f.CreatedAt)
	if err != nil {
		return store.MarketFile{}, notFound(err, fmt.Sprintf("market file %d", id))
	}
	f.CreatedAt = f.CreatedAt.UTC()
	return f, nil
}

// AddMarketOwner implements store.MarketStore.
func (s *Store) AddMarketOwner(ctx context.Context, o store.MarketOwner, audit auth.AuditEntry) (store.MarketOwner, error) {
	o.CreatedAt = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO market_owners (subject_id, body, created_at) VALUES ($1, $2, $3)`,
			o.SubjectID, string(o.Body), o.CreatedAt); err != nil {
			return s.wrapUnique(fmt.Errorf("add market owner: %w", err), "项目业主登记")
		}
		audit.Target = fmt.Sprintf("market_owner:%d", o.SubjectID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.MarketOwner{}, err
	}
	return s.MarketOwnerOf(ctx, o.SubjectID)
}

// MarketOwnerOf implements store.MarketStore.
func (s *Store) MarketOwnerOf(ctx context.Context, subjectID int64) (store.MarketOwner, error) {
	var o store.MarketOwner
	var body string
	err := s.R.QueryRowContext(ctx, `SELECT subject_id, body, created_at FROM market_owners WHERE subject_id = $1`, subjectID).Scan(&o.SubjectID, &body, &o.CreatedAt)
	if err != nil {
		return store.MarketOwner{}, notFound(err, fmt.Sprintf("market owner %d", subjectID))
	}
	o.Body, o.CreatedAt = []byte(body), o.CreatedAt.UTC()
	return o, nil
}
