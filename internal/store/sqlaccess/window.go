package sqlaccess

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.WindowStore = (*Store)(nil)

const complaintColumns = `id, COALESCE(subject_id, 0), subject_name, subject_code, dept, state, outcome, timeliness, anonymous, informant,
	filed_at, updated_at, COALESCE(due_on, ''), body, rev`

func scanComplaint(row scanner) (store.ComplaintRow, error) {
	var c store.ComplaintRow
	var body string
	err := row.Scan(&c.ID, &c.SubjectID, &c.SubjectName, &c.SubjectCode, &c.Dept, &c.State, &c.Outcome, &c.Timeliness, &c.Anonymous,
		&c.Informant, &c.FiledAt, &c.UpdatedAt, &c.DueOn, &body, &c.Rev)
	c.Body = []byte(body)
	c.FiledAt, c.UpdatedAt = c.FiledAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

// AddComplaint implements store.WindowStore.
func (s *Store) AddComplaint(ctx context.Context, c store.ComplaintRow, files []store.CaseFile, audit auth.AuditEntry) (store.ComplaintRow, error) {
	now := s.now()
	if c.FiledAt.IsZero() {
		c.FiledAt = now
	}
	c.FiledAt, c.UpdatedAt, c.Rev = c.FiledAt.UTC(), now, 1
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO complaints (subject_id, subject_name, subject_code, dept, state, outcome, timeliness,
				anonymous, informant, filed_at, updated_at, due_on, body, rev)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			nullInt(c.SubjectID), c.SubjectName, c.SubjectCode, c.Dept, c.State, c.Outcome, c.Timeliness, c.Anonymous, c.Informant,
			c.FiledAt, c.UpdatedAt, nullString(c.DueOn), string(c.Body), c.Rev).Scan(&c.ID); err != nil {
			return fmt.Errorf("add complaint: %w", err)
		}
		var err error
		if c.Files, err = addCaseFiles(ctx, tx, "complaint_files", "complaint_id", c.ID, files); err != nil {
			return err
		}
		audit.Target = fmt.Sprintf("complaint:%d", c.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.ComplaintRow{}, err
	}
	return c, nil
}

// UpdateComplaint implements store.WindowStore.
func (s *Store) UpdateComplaint(ctx context.Context, c store.ComplaintRow, audit auth.AuditEntry) (store.ComplaintRow, error) {
	c.UpdatedAt = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE complaints SET dept = $1, state = $2, outcome = $3, timeliness = $4, updated_at = $5,
			due_on = $6, body = $7, subject_id = $8, rev = rev + 1 WHERE id = $9 AND rev = $10`,
			c.Dept, c.State, c.Outcome, c.Timeliness, c.UpdatedAt, nullString(c.DueOn), string(c.Body), nullInt(c.SubjectID), c.ID, c.Rev)
		if err != nil {
			return fmt.Errorf("update complaint %d: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var rev int
			if err := tx.QueryRowContext(ctx, `SELECT rev FROM complaints WHERE id = $1`, c.ID).Scan(&rev); err != nil {
				return notFound(err, fmt.Sprintf("complaint %d", c.ID))
			}
			return fmt.Errorf("complaint %d: %w", c.ID, store.ErrConflict)
		}
		audit.Target = fmt.Sprintf("complaint:%d", c.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.ComplaintRow{}, err
	}
	c.Rev++
	return c, nil
}

// GetComplaint implements store.WindowStore.
func (s *Store) GetComplaint(ctx context.Context, id int64) (store.ComplaintRow, error) {
	c, err := scanComplaint(s.R.QueryRowContext(ctx, `SELECT `+complaintColumns+` FROM complaints WHERE id = $1`, id))
	if err != nil {
		return store.ComplaintRow{}, notFound(err, fmt.Sprintf("complaint %d", id))
	}
	c.Files, err = s.caseFiles(ctx, "complaint_files", "complaint_id", id)
	return c, err
}

// ComplaintFile implements store.WindowStore.
func (s *Store) ComplaintFile(ctx context.Context, id int64) (store.CaseFile, error) {
	return s.caseFile(ctx, "complaint_files", "complaint_id", id)
}

// ListComplaints implements store.WindowStore.
func (s *Store) ListComplaints(ctx context.Context, f store.ComplaintFilter) ([]store.ComplaintRow, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Dept != "" {
		where = append(where, "dept = "+arg(f.Dept))
	}
	if len(f.States) > 0 {
		marks := make([]string, len(f.States))
		for i, st := range f.States {
			marks[i] = arg(st)
		}
		where = append(where, "state IN ("+strings.Join(marks, ", ")+")")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	q := `SELECT ` + complaintColumns + ` FROM complaints`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY CASE WHEN due_on IS NULL THEN 1 ELSE 0 END, due_on, id LIMIT ` + arg(limit)
	return queryAll(ctx, s.R, q, scanComplaint, args...)
}

// ComplaintCounts implements store.WindowStore.
func (s *Store) ComplaintCounts(ctx context.Context) ([]store.ComplaintCount, error) {
	return queryAll(ctx, s.R, `SELECT state, outcome, timeliness, COUNT(*) FROM complaints GROUP BY state, outcome, timeliness
		ORDER BY state, outcome, timeliness`, func(sc scanner) (store.ComplaintCount, error) {
		var c store.ComplaintCount
		return c, sc.Scan(&c.State, &c.Outcome, &c.Timeliness, &c.Count)
	})
}

const articleColumns = `id, col, title, body, source, published_on, author, created_at, updated_at, rev`

func scanArticle(sc scanner) (store.Article, error) {
	var a store.Article
	err := sc.Scan(&a.ID, &a.Column, &a.Title, &a.Body, &a.Source, &a.PublishedOn, &a.Author, &a.CreatedAt, &a.UpdatedAt, &a.Rev)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a, err
}

// AddArticle implements store.WindowStore.
func (s *Store) AddArticle(ctx context.Context, a store.Article, files []store.CaseFile, audit auth.AuditEntry) (store.Article, error) {
	now := s.now()
	a.CreatedAt, a.UpdatedAt, a.Rev = now, now, 1
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO articles (col, title, body, source, published_on, author, created_at, updated_at, rev)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			a.Column, a.Title, a.Body, a.Source, a.PublishedOn, a.Author, a.CreatedAt, a.UpdatedAt, a.Rev).Scan(&a.ID); err != nil {
			return fmt.Errorf("add article: %w", err)
		}
		var err error
		if a.Files, err = addCaseFiles(ctx, tx, "article_files", "article_id", a.ID, files); err != nil {
			return err
		}
		audit.Target = fmt.Sprintf("article:%d", a.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.Article{}, err
	}
	return a, nil
}

// UpdateArticle implements store.WindowStore.
func (s *Store) UpdateArticle(ctx context.Context, a store.Article, files []store.CaseFile, audit auth.AuditEntry) (store.Article, error) {
	a.UpdatedAt = s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE articles SET title = $1, body = $2, source = $3, published_on = $4, updated_at = $5, rev = rev + 1
			WHERE id = $6 AND rev = $7`, a.Title, a.Body, a.Source, a.PublishedOn, a.UpdatedAt, a.ID, a.Rev)
		if err != nil {
			return fmt.Errorf("update article %d: %w", a.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var rev int
			if err := tx.QueryRowContext(ctx, `SELECT rev FROM articles WHERE id = $1`, a.ID).Scan(&rev); err != nil {
				return notFound(err, fmt.Sprintf("article %d", a.ID))
			}
			return fmt.Errorf("article %d: %w", a.ID, store.ErrConflict)
		}
		if _, err := addCaseFiles(ctx, tx, "article_files", "article_id", a.ID, files); err != nil {
			return err
		}
		audit.Target = fmt.Sprintf("article:%d", a.ID)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
	if err != nil {
		return store.Article{}, err
	}
	a.Rev++
	return a, nil
}

// GetArticle implements store.WindowStore.
func (s *Store) GetArticle(ctx context.Context, id int64) (store.Article, error) {
	a, err := scanArticle(s.R.QueryRowContext(ctx, `SELECT `+articleColumns+` FROM articles WHERE id = $1`, id))
	if err != nil {
		return store.Article{}, notFound(err, fmt.Sprintf("article %d", id))
	}
	if a.Files, err = s.caseFiles(ctx, "article_files", "article_id", id); err != nil {
		return store.Article{}, err
	}
	a.Subjects, err = queryAll(ctx, s.R, `SELECT c.subject_id, s.name, COALESCE(s.uscc, ''), c.note FROM campaign_subjects c
		JOIN subjects s ON s.id = c.subject_id WHERE c.article_id = $1 ORDER BY s.name, c.subject_id`,
		func(sc scanner) (store.CampaignSubject, error) {
			var cs store.CampaignSubject
			return cs, sc.Scan(&cs.SubjectID, &cs.Name, &cs.Code, &cs.Note)
		}, id)
	return a, err
}

// ListArticles implements store.WindowStore.
func (s *Store) ListArticles(ctx context.Context, f store.ArticleFilter) ([]store.Article, int, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where = append(where, "col = "+arg(f.Column))
	if f.Query != "" {
		esc := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(f.Query)
		where = append(where, "title LIKE "+arg("%"+esc+"%")+` ESCAPE '\'`)
	}
	if f.From != "" {
		where = append(where, "published_on >= "+arg(f.From))
	}
	if f.To != "" {
		where = append(where, "published_on <= "+arg(f.To))
	}
	w := ` WHERE ` + strings.Join(where, " AND ")
	var total int
	if err := s.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM articles`+w, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 20
	}
	q := `SELECT ` + articleColumns + ` FROM articles` + w + ` ORDER BY published_on DESC, id DESC LIMIT ` + arg(limit) + ` OFFSET ` + arg(max(f.Offset, 0))
	out, err := queryAll(ctx, s.R, q, scanArticle, args...)
	return out, total, err
}

// ArticleFile implements store.WindowStore.
func (s *Store) ArticleFile(ctx context.Context, id int64) (store.CaseFile, error) {
	return s.caseFile(ctx, "article_files", "article_id", id)
}

// SetCampaignSubject implements store.WindowStore.
func (s *Store) SetCampaignSubject(ctx context.Context, id, subjectID int64, note string, audit auth.AuditEntry) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM campaign_subjects WHERE article_id = $1 AND subject_id = $2`, id, subjectID); err != nil {
			return err
		}
		if note != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_subjects (article_id, subject_id, note) VALUES ($1, $2, $3)`,
				id, subjectID, note); err != nil {
				return fmt.Errorf("campaign %d subject %d: %w", id, subjectID, err)
			}
		}
		audit.Target = fmt.Sprintf("article:%d", id)
		return s.appendAudits(ctx, tx, []auth.AuditEntry{audit})
	})
}
