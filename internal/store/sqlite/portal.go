package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
)

// nameSeparator sits between the names of one subject in its search entry,
// so that no phrase spans two names: every query token has at most two
// characters.
const nameSeparator = "sep"

// searchDoc is the FTS text of a subject's names.
func searchDoc(names []string) string {
	var b strings.Builder
	for i, grams := range store.NameGrams(names) {
		if i > 0 {
			b.WriteString(" " + nameSeparator + " ")
		}
		b.WriteString(strings.Join(grams, " "))
	}
	return b.String()
}

// writeIndex writes the search entries of a plan; first is the id of the
// plan's first inserted subject. Each entry gets the next number in
// search_seq (migration 8; the single writer makes them commit in order).
func writeIndex(ctx context.Context, tx *sql.Tx, docs []store.IndexDoc, first int64) error {
	if len(docs) == 0 {
		return nil
	}
	last, err := lastEntry(ctx, tx)
	if err != nil {
		return err
	}
	var fresh []store.IndexDoc
	for _, d := range docs {
		if j, ok := store.InsertIndex(d.Subject); ok {
			d.Subject = first + int64(j)
			fresh = append(fresh, d)
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM subject_search WHERE rowid = ?`, d.Subject); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_seq WHERE subject_id = ?`, d.Subject); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		fresh = append(fresh, d)
	}
	if err := bulkInsert(ctx, tx, "subject_search", []string{"rowid", "grams"}, len(fresh), func(i int, a []any) []any {
		return append(a, fresh[i].Subject, searchDoc(fresh[i].Names))
	}); err != nil {
		return err
	}
	return numberEntries(ctx, tx, fresh, last)
}

// lastEntry returns the highest number in search_seq. It is read before
// any entry is deleted, so that a rewritten entry that held it gets a
// higher one (a follower has read up to it already).
func lastEntry(ctx context.Context, tx *sql.Tx) (int64, error) {
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM search_seq`).Scan(&last); err != nil {
		return 0, fmt.Errorf("search index: %w", err)
	}
	return last, nil
}

// numberEntries gives the search entries just written the numbers after
// last in search_seq.
func numberEntries(ctx context.Context, tx *sql.Tx, docs []store.IndexDoc, last int64) error {
	return bulkInsert(ctx, tx, "search_seq", []string{"subject_id", "seq"}, len(docs), func(i int, a []any) []any {
		return append(a, docs[i].Subject, last+1+int64(i))
	})
}

// namesSQL reads the names of every subject but persons, in id order.
const namesSQL = `SELECT s.id, n.name FROM subjects s JOIN subject_names n ON n.subject_id = s.id
	WHERE s.class <> 'person' ORDER BY s.id, n.id`

// NameEntries implements store.NameSource. Both statements read one
// snapshot (a read transaction).
func (s *Store) NameEntries(ctx context.Context, fn func(subject int64, name string) error) (int64, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("name entries: %w", err)
	}
	defer tx.Rollback()
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM search_seq`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("name entries: %w", err)
	}
	rs, err := tx.QueryContext(ctx, namesSQL)
	if err != nil {
		return 0, fmt.Errorf("name entries: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var id int64
		var name string
		if err := rs.Scan(&id, &name); err != nil {
			return 0, fmt.Errorf("name entries: %w", err)
		}
		if err := fn(id, name); err != nil {
			return 0, err
		}
	}
	if err := rs.Err(); err != nil {
		return 0, fmt.Errorf("name entries: %w", err)
	}
	return seq, nil
}

// NameChanges implements store.NameSource.
func (s *Store) NameChanges(ctx context.Context, after int64, limit int) ([]store.IndexDoc, int64, error) {
	rs, err := s.r.QueryContext(ctx, `SELECT q.seq, q.subject_id, n.name FROM (
			SELECT subject_id, seq FROM search_seq WHERE seq > ? ORDER BY seq LIMIT ?) q
		JOIN subject_names n ON n.subject_id = q.subject_id ORDER BY q.seq, n.id`, after, limit)
	if err != nil {
		return nil, after, fmt.Errorf("name changes: %w", err)
	}
	defer rs.Close()
	var docs []store.IndexDoc
	for rs.Next() {
		var seq, id int64
		var name string
		if err := rs.Scan(&seq, &id, &name); err != nil {
			return nil, after, fmt.Errorf("name changes: %w", err)
		}
		docs, after = store.AddIndexName(docs, id, name), seq
	}
	if err := rs.Err(); err != nil {
		return nil, after, fmt.Errorf("name changes: %w", err)
	}
	return docs, after, nil
}

// SubjectsByID implements store.NameSource.
func (s *Store) SubjectsByID(ctx context.Context, ids []int64) ([]credit.Subject, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	out, err := s.querySubjects(ctx, `SELECT `+subjectColumns+` FROM subjects WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("subjects by id: %w", err)
	}
	return store.InOrder(out, ids), nil
}

// ensureSearchIndex rebuilds the search index when it was built another way
// (or not at all, in a database migrated from before it existed).
func (s *Store) ensureSearchIndex(ctx context.Context) error {
	var v string
	err := s.w.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = 'search_index'`).Scan(&v)
	if err == nil && v == store.SearchIndexVersion {
		return nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM subject_search`); err != nil {
		return err
	}
	last, err := lastEntry(ctx, tx)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_seq`); err != nil {
		return err
	}
	rs, err := tx.QueryContext(ctx, namesSQL)
	if err != nil {
		return err
	}
	var docs []store.IndexDoc
	for rs.Next() {
		var id int64
		var name string
		if err := rs.Scan(&id, &name); err != nil {
			rs.Close()
			return err
		}
		docs = store.AddIndexName(docs, id, name)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	if err := bulkInsert(ctx, tx, "subject_search", []string{"rowid", "grams"}, len(docs), func(i int, a []any) []any {
		return append(a, docs[i].Subject, searchDoc(docs[i].Names))
	}); err != nil {
		return err
	}
	if err := numberEntries(ctx, tx, docs, last); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ('search_index', ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, store.SearchIndexVersion); err != nil {
		return err
	}
	return tx.Commit()
}

// SearchSubjects implements store.SubjectStore.
func (s *Store) SearchSubjects(ctx context.Context, q string, offset, limit int) ([]credit.Subject, error) {
	grams, err := store.QueryGrams(q)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	phrase := `"` + strings.Join(grams, " ") + `"`
	out, err := s.querySubjects(ctx, `SELECT `+subjectColumns+` FROM subjects WHERE id IN (
			SELECT rowid FROM subject_search WHERE subject_search MATCH ? ORDER BY rowid LIMIT ? OFFSET ?)
		AND class <> 'person' ORDER BY id`, phrase, limit, max(offset, 0))
	if err != nil {
		return nil, fmt.Errorf("search subjects: %w", err)
	}
	return out, nil
}

// querySubjects reads the subjects a query of subjectColumns returns, in
// its order, with their former names.
func (s *Store) querySubjects(ctx context.Context, q string, args ...any) ([]credit.Subject, error) {
	rs, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []credit.Subject
	for rs.Next() {
		sub, err := scanSubject(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, sub)
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	return out, s.formerNames(ctx, out)
}

// formerNames fills the former names of subjects.
func (s *Store) formerNames(ctx context.Context, subs []credit.Subject) error {
	if len(subs) == 0 {
		return nil
	}
	at := make(map[int64]int, len(subs))
	ids := make([]int64, len(subs))
	for i, sub := range subs {
		at[sub.ID], ids[i] = i, sub.ID
	}
	in, args := inList(ids)
	rs, err := s.r.QueryContext(ctx, `SELECT subject_id, name, valid_from, valid_to FROM subject_names
		WHERE subject_id IN `+in+` AND valid_to IS NOT NULL ORDER BY valid_to, id`, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var id int64
		var n credit.NameSpan
		var from, to sql.NullTime
		if err := rs.Scan(&id, &n.Name, &from, &to); err != nil {
			return err
		}
		n.From, n.To = from.Time, to.Time
		subs[at[id]].FormerNames = append(subs[at[id]].FormerNames, n)
	}
	return rs.Err()
}

// SubjectRecords implements store.RecordStore.
func (s *Store) SubjectRecords(ctx context.Context, subjectID int64) ([]store.Record, error) {
	rs, err := s.r.QueryContext(ctx, `SELECT `+recordColumns+` FROM records r WHERE r.subject_id = ?
		ORDER BY r.decision_date DESC, r.id DESC`, subjectID)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []store.Record
	for rs.Next() {
		r, err := s.scanRecord(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// LatestRecords implements store.RecordStore.
func (s *Store) LatestRecords(ctx context.Context, f store.RecordFilter) ([]store.Record, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.Kind != "" {
		add("r.kind = ?", f.Kind)
	}
	if f.Dept != "" {
		add("r.source_dept = ?", f.Dept)
	}
	if f.From != "" {
		add("r.decision_date >= ?", f.From)
	}
	if f.To != "" {
		add("r.decision_date <= ?", f.To)
	}
	if f.Region != "" {
		add(`s.region LIKE ? ESCAPE '\'`, store.EscapeLike(f.Region)+"%")
	}
	if !f.Persons {
		where = append(where, "s.class <> 'person'")
	}
	q := `SELECT ` + recordColumns + `, s.name, s.class, s.region, coalesce(s.uscc, ''), coalesce(s.reg_no, '')
		FROM records r JOIN subjects s ON s.id = r.subject_id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY r.decision_date DESC, r.source_dept DESC, r.id DESC LIMIT ? OFFSET ?"
	args = append(args, max(f.Limit, 0), max(f.Offset, 0))
	rs, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("latest records: %w", err)
	}
	defer rs.Close()
	var out []store.Record
	for rs.Next() {
		var sub store.RecordSubject
		r, err := s.scanRecord(rs, &sub.Name, &sub.Class, &sub.Region, &sub.USCC, &sub.RegNo)
		if err != nil {
			return nil, err
		}
		r.Subject = sub
		out = append(out, r)
	}
	return out, rs.Err()
}
