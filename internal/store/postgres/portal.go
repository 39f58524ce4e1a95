package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
)

// searchVector is the tsvector literal of a subject's names: each bigram
// with its position, names one position apart so no phrase spans two. The
// bigrams hold only letters and digits (search.Fold), so quoting them needs
// no escapes.
func searchVector(names []string) string {
	var b strings.Builder
	pos := 0
	for _, grams := range store.NameGrams(names) {
		for _, g := range grams {
			pos++
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString("'" + g + "':" + strconv.Itoa(min(pos, 16383)))
		}
		pos++
	}
	return b.String()
}

// searchQuery is the tsquery of a phrase of bigrams.
func searchQuery(grams []string) string {
	parts := make([]string, len(grams))
	for i, g := range grams {
		parts[i] = "'" + g + "'"
	}
	return strings.Join(parts, " <-> ")
}

// writeIndex writes the search entries of a plan; ids are the ids of the
// plan's inserted subjects. The entries are numbered after the highest
// seq (migration 8): the caller holds a lock on subjects that excludes
// every other writer of entries until it commits.
func writeIndex(ctx context.Context, tx pgx.Tx, docs []store.IndexDoc, ids []int64) error {
	if len(docs) == 0 {
		return nil
	}
	sids, vecs := make([]int64, len(docs)), make([]string, len(docs))
	for i, d := range docs {
		sids[i], vecs[i] = d.Subject, searchVector(d.Names)
		if j, ok := store.InsertIndex(d.Subject); ok {
			sids[i] = ids[j]
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO subject_search (subject_id, grams, seq)
		SELECT id, v::tsvector, (SELECT coalesce(max(seq), 0) FROM subject_search) + n
		FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS t(id, v, n)
		ON CONFLICT (subject_id) DO UPDATE SET grams = excluded.grams, seq = excluded.seq`, sids, vecs)
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	return nil
}

// namesSQL reads the names of every subject but persons, in id order.
const namesSQL = `SELECT s.id, n.name FROM subjects s JOIN subject_names n ON n.subject_id = s.id
	WHERE s.class <> 'person' ORDER BY s.id, n.id`

// NameEntries implements store.NameSource.
func (s *Store) NameEntries(ctx context.Context, fn func(subject int64, name string) error) (int64, error) {
	var seq int64
	if err := s.reads.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM subject_search`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("name entries: %w", err)
	}
	rs, err := s.reads.Query(ctx, namesSQL)
	if err != nil {
		return 0, fmt.Errorf("name entries: %w", err)
	}
	defer rs.Close()
	var id int64
	var name string
	_, err = pgx.ForEachRow(rs, []any{&id, &name}, func() error { return fn(id, name) })
	if err != nil {
		return 0, fmt.Errorf("name entries: %w", err)
	}
	return seq, nil
}

// NameChanges implements store.NameSource.
func (s *Store) NameChanges(ctx context.Context, after int64, limit int) ([]store.IndexDoc, int64, error) {
	rs, err := s.reads.Query(ctx, `SELECT q.seq, q.subject_id, n.name FROM (
			SELECT subject_id, seq FROM subject_search WHERE seq > $1 ORDER BY seq LIMIT $2) q
		JOIN subject_names n ON n.subject_id = q.subject_id ORDER BY q.seq, n.id`, after, limit)
	if err != nil {
		return nil, after, fmt.Errorf("name changes: %w", err)
	}
	defer rs.Close()
	var seq, id int64
	var name string
	var docs []store.IndexDoc
	_, err = pgx.ForEachRow(rs, []any{&seq, &id, &name}, func() error {
		docs, after = store.AddIndexName(docs, id, name), seq
		return nil
	})
	if err != nil {
		return nil, after, fmt.Errorf("name changes: %w", err)
	}
	return docs, after, nil
}

// SubjectsByID implements store.NameSource.
func (s *Store) SubjectsByID(ctx context.Context, ids []int64) ([]credit.Subject, error) {
	out, err := s.querySubjects(ctx, `SELECT `+subjectColumns+` FROM subjects WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("subjects by id: %w", err)
	}
	return store.InOrder(out, ids), nil
}

// ensureSearchIndex rebuilds the search index when it was built another way
// (or not at all, in a database migrated from before it existed).
func (s *Store) ensureSearchIndex(ctx context.Context) error {
	var v string
	err := s.reads.QueryRow(ctx, `SELECT value FROM settings WHERE name = 'search_index'`).Scan(&v)
	if err == nil && v == store.SearchIndexVersion {
		return nil
	}
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE subjects IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		// Entries are numbered on after the old ones (a follower may have
		// read up to the highest).
		var last int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM subject_search`).Scan(&last); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM subject_search`); err != nil {
			return err
		}
		rs, err := tx.Query(ctx, namesSQL)
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
		for start := 0; start < len(docs); start += 10000 {
			if err := writeIndex(ctx, tx, docs[start:min(start+10000, len(docs))], nil); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE subject_search SET seq = seq + $1`, last); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO settings (name, value) VALUES ('search_index', $1)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, store.SearchIndexVersion)
		return err
	})
}

// searchProbe is how many index entries, in id order, a phrase search
// reads first (see SearchSubjects).
const searchProbe = 5000

// SearchSubjects implements store.SubjectStore.
//
// The planner estimates a phrase of bigrams as if its bigrams were
// independent: 西安市新 (西安, 安市, 市新) looks rare, so it intersects the
// bigrams' long GIN lists and sorts (34 ms at 1,000,000 subjects) where
// walking the entries in id order finds twenty matches in a few hundred
// rows. A phrase is therefore first looked for among the first
// searchProbe entries in id order; when that fills the page, those are the
// first matches of all, and otherwise the planner's plan answers. A
// one-bigram query's estimate is right (measured: probing first made
// two-character searches twice as slow) and goes straight to the planner.
func (s *Store) SearchSubjects(ctx context.Context, q string, offset, limit int) ([]credit.Subject, error) {
	grams, err := store.QueryGrams(q)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	offset = max(offset, 0)
	tsq := searchQuery(grams)
	if len(grams) > 1 && offset+limit <= searchProbe {
		out, err := s.querySubjects(ctx, `SELECT `+subjectColumns+` FROM subjects WHERE id IN (
				SELECT subject_id FROM (SELECT subject_id, grams FROM subject_search ORDER BY subject_id LIMIT $4) p
				WHERE grams @@ $1::tsquery ORDER BY subject_id LIMIT $2 OFFSET $3)
			AND class <> 'person' ORDER BY id`, tsq, limit, offset, searchProbe)
		if err != nil {
			return nil, fmt.Errorf("search subjects: %w", err)
		}
		if len(out) == limit {
			return out, nil
		}
	}
	out, err := s.querySubjects(ctx, `SELECT `+subjectColumns+` FROM subjects WHERE id IN (
			SELECT subject_id FROM subject_search WHERE grams @@ $1::tsquery ORDER BY subject_id LIMIT $2 OFFSET $3)
		AND class <> 'person' ORDER BY id`, tsq, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("search subjects: %w", err)
	}
	return out, nil
}

// querySubjects reads the subjects a query of subjectColumns returns, in
// its order, with their former names.
func (s *Store) querySubjects(ctx context.Context, q string, args ...any) ([]credit.Subject, error) {
	rs, err := s.reads.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []credit.Subject
	for rs.Next() {
		sub, err := scanSubject(rs)
		if err != nil {
			rs.Close()
			return nil, err
		}
		out = append(out, sub)
	}
	rs.Close()
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
	rs, err := s.reads.Query(ctx, `SELECT subject_id, name, valid_from, valid_to FROM subject_names
		WHERE subject_id = ANY($1) AND valid_to IS NOT NULL ORDER BY valid_to, id`, ids)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var id int64
		var n credit.NameSpan
		var from, to *time.Time
		if err := rs.Scan(&id, &n.Name, &from, &to); err != nil {
			return err
		}
		if from != nil {
			n.From = from.UTC()
		}
		if to != nil {
			n.To = to.UTC()
		}
		subs[at[id]].FormerNames = append(subs[at[id]].FormerNames, n)
	}
	return rs.Err()
}

// SubjectRecords implements store.RecordStore.
func (s *Store) SubjectRecords(ctx context.Context, subjectID int64) ([]store.Record, error) {
	rs, err := s.reads.Query(ctx, `SELECT `+recordColumns+` FROM records r WHERE r.subject_id = $1
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
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
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
	args = append(args, max(f.Limit, 0), max(f.Offset, 0))
	q += fmt.Sprintf(" ORDER BY r.decision_date DESC, r.id DESC LIMIT $%d OFFSET $%d", len(args)-1, len(args))
	rs, err := s.reads.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("latest records: %w", err)
	}
	defer rs.Close()
	var out []store.Record
	for rs.Next() {
		var sub store.RecordSubject
		var class string
		r, err := s.scanRecord(rs, &sub.Name, &class, &sub.Region, &sub.USCC, &sub.RegNo)
		if err != nil {
			return nil, err
		}
		sub.Class = credit.Class(class)
		r.Subject = sub
		out = append(out, r)
	}
	return out, rs.Err()
}
