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

// appendNameChanges appends the subjects of a plan whose names changed to
// the name-change log (migration 14), numbered after the highest: the
// caller holds a lock on subjects that excludes every other writer until
// it commits, so the numbers commit in order. ids are the ids of the
// plan's inserted subjects. The full-text index is not written here:
// SyncSearch applies the log to it afterwards, off the intake transaction.
func appendNameChanges(ctx context.Context, tx pgx.Tx, docs []store.IndexDoc, ids []int64) error {
	if len(docs) == 0 {
		return nil
	}
	sids := make([]int64, len(docs))
	for i, d := range docs {
		sids[i] = d.Subject
		if j, ok := store.InsertIndex(d.Subject); ok {
			sids[i] = ids[j]
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO name_changes (seq, subject_id)
		SELECT (SELECT coalesce(max(seq), 0) FROM name_changes) + n, id FROM unnest($1::bigint[]) WITH ORDINALITY AS t(id, n)`, sids)
	if err != nil {
		return fmt.Errorf("name changes: %w", err)
	}
	return nil
}

// nameDocs reads the names of the subjects ids (persons left out) and
// returns their search entries in the order of ids.
func nameDocs(ctx context.Context, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, ids []int64) ([]store.IndexDoc, error) {
	current := make(map[int64]string, len(ids))
	former := map[int64][]string{}
	rs, err := q.Query(ctx, `SELECT id, name, false FROM subjects WHERE id = ANY($1) AND class <> 'person'
		UNION ALL SELECT subject_id, name, true FROM (SELECT subject_id, name, id FROM subject_names WHERE subject_id = ANY($1) ORDER BY id) n`, ids)
	if err != nil {
		return nil, err
	}
	var id int64
	var name string
	var old bool
	_, err = pgx.ForEachRow(rs, []any{&id, &name, &old}, func() error {
		if old {
			former[id] = append(former[id], name)
		} else {
			current[id] = name
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return store.NameDocs(ids, current, former), nil
}

// NameEntries implements store.NameSource. Every statement reads one
// snapshot (a repeatable-read transaction): the former names first
// (subject_names holds only those, a small table), then every subject in
// id order.
func (s *Store) NameEntries(ctx context.Context, fn func(subject int64, name string) error) (int64, error) {
	var seq int64
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM name_changes`).Scan(&seq); err != nil {
			return err
		}
		former, err := allFormerNames(ctx, tx)
		if err != nil {
			return err
		}
		rs, err := tx.Query(ctx, `SELECT id, name FROM subjects WHERE class <> 'person' ORDER BY id`)
		if err != nil {
			return err
		}
		var id int64
		var name string
		_, err = pgx.ForEachRow(rs, []any{&id, &name}, func() error {
			if err := fn(id, name); err != nil {
				return err
			}
			for _, f := range former[id] {
				if err := fn(id, f); err != nil {
					return err
				}
			}
			return nil
		})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("name entries: %w", err)
	}
	return seq, nil
}

// allFormerNames reads every former name of subjects other than persons.
func allFormerNames(ctx context.Context, tx pgx.Tx) (map[int64][]string, error) {
	rs, err := tx.Query(ctx, `SELECT n.subject_id, n.name FROM subject_names n JOIN subjects s ON s.id = n.subject_id
		WHERE s.class <> 'person' ORDER BY n.subject_id, n.id`)
	if err != nil {
		return nil, err
	}
	out := map[int64][]string{}
	var id int64
	var name string
	_, err = pgx.ForEachRow(rs, []any{&id, &name}, func() error {
		out[id] = append(out[id], name)
		return nil
	})
	return out, err
}

// NameChanges implements store.NameSource.
func (s *Store) NameChanges(ctx context.Context, after int64, limit int) ([]store.IndexDoc, int64, error) {
	var docs []store.IndexDoc
	last := after
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		ids, l, err := changedNames(ctx, tx, after, limit)
		if err != nil || len(ids) == 0 {
			return err
		}
		if docs, err = nameDocs(ctx, tx, ids); err != nil {
			return err
		}
		last = l
		return nil
	})
	if err != nil {
		return nil, after, fmt.Errorf("name changes: %w", err)
	}
	return docs, last, nil
}

// changedNames reads the subjects of the name-change log after after, at
// most limit entries, and the number of the last entry read.
func changedNames(ctx context.Context, tx pgx.Tx, after int64, limit int) ([]int64, int64, error) {
	rs, err := tx.Query(ctx, `SELECT seq, subject_id FROM name_changes WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, after, err
	}
	var ids []int64
	var seq, id int64
	last := after
	_, err = pgx.ForEachRow(rs, []any{&seq, &id}, func() error {
		ids, last = append(ids, id), seq
		return nil
	})
	if err != nil {
		return nil, after, err
	}
	return ids, last, nil
}

// SubjectsByID implements store.NameSource.
func (s *Store) SubjectsByID(ctx context.Context, ids []int64) ([]credit.Subject, error) {
	out, err := s.querySubjects(ctx, `SELECT `+subjectColumns+` FROM subjects WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("subjects by id: %w", err)
	}
	return store.InOrder(out, ids), nil
}

// searchSynced is the setting holding the number of the last name change
// applied to the full-text index.
const searchSynced = "search_synced"

// SyncSearch implements store.SubjectStore: it applies the name-change log
// to the full-text index, a transaction per store.SearchSyncBatch changes,
// until it is caught up.
func (s *Store) SyncSearch(ctx context.Context) error {
	return store.SyncSearchBatches(ctx, s.syncSearch)
}

// catchUpSearch runs before a search of the full-text index
// (store.CatchUpSearch).
func (s *Store) catchUpSearch(ctx context.Context) error {
	return store.CatchUpSearch(ctx, s.SyncSearch)
}

// searchSyncLock is the advisory lock key that serialises SyncSearch.
const searchSyncLock = 0x78797373 // "xyss"

func (s *Store) syncSearch(ctx context.Context) (int, error) {
	var synced, head int64
	if err := s.reads.QueryRow(ctx, `SELECT coalesce((SELECT value::bigint FROM settings WHERE name = '`+searchSynced+`'), 0),
		coalesce((SELECT max(seq) FROM name_changes), 0)`).Scan(&synced, &head); err != nil {
		return 0, err
	}
	if head <= synced {
		return 0, nil
	}
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, searchSyncLock); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce((SELECT value::bigint FROM settings WHERE name = '`+searchSynced+`'), 0)`).Scan(&synced); err != nil {
			return err
		}
		ids, last, err := changedNames(ctx, tx, synced, store.SearchSyncBatch)
		if err != nil || len(ids) == 0 {
			return err
		}
		docs, err := nameDocs(ctx, tx, ids)
		if err != nil {
			return err
		}
		if err := writeSearch(ctx, tx, docs); err != nil {
			return err
		}
		n = len(ids)
		return setSetting(ctx, tx, searchSynced, strconv.FormatInt(last, 10))
	})
	return n, err
}

// writeSearch writes (or replaces) the full-text entries of docs.
func writeSearch(ctx context.Context, tx pgx.Tx, docs []store.IndexDoc) error {
	sids, vecs := make([]int64, len(docs)), make([]string, len(docs))
	for i, d := range docs {
		sids[i], vecs[i] = d.Subject, searchVector(d.Names)
	}
	_, err := tx.Exec(ctx, `INSERT INTO subject_search (subject_id, grams)
		SELECT id, v::tsvector FROM unnest($1::bigint[], $2::text[]) AS t(id, v)
		ON CONFLICT (subject_id) DO UPDATE SET grams = excluded.grams`, sids, vecs)
	return err
}

func setSetting(ctx context.Context, tx pgx.Tx, name, value string) error {
	_, err := tx.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return err
}

// ensureSearchIndex rebuilds the full-text index when it was built another
// way (or not at all, in a database migrated from before it existed), and
// then applies the name changes written since it was last synced.
func (s *Store) ensureSearchIndex(ctx context.Context) error {
	var v string
	err := s.reads.QueryRow(ctx, `SELECT value FROM settings WHERE name = 'search_index'`).Scan(&v)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if v != store.SearchIndexVersion {
		if err := s.rebuildSearch(ctx); err != nil {
			return fmt.Errorf("rebuild search index: %w", err)
		}
	}
	return s.SyncSearch(ctx)
}

// rebuildSearch writes every subject's full-text entry afresh, in one
// transaction, and marks the name-change log applied up to its end.
func (s *Store) rebuildSearch(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Writers of names wait (they hold SHARE ROW EXCLUSIVE), so the
		// log's head stays put until this commits.
		if _, err := tx.Exec(ctx, `LOCK TABLE subjects IN SHARE MODE`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, searchSyncLock); err != nil {
			return err
		}
		var head int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM name_changes`).Scan(&head); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM subject_search`); err != nil {
			return err
		}
		former, err := allFormerNames(ctx, tx)
		if err != nil {
			return err
		}
		rs, err := tx.Query(ctx, `SELECT id, name FROM subjects WHERE class <> 'person' ORDER BY id`)
		if err != nil {
			return err
		}
		var docs []store.IndexDoc
		var id int64
		var name string
		if _, err := pgx.ForEachRow(rs, []any{&id, &name}, func() error {
			docs = append(docs, store.IndexDoc{Subject: id, Names: append([]string{name}, former[id]...)})
			return nil
		}); err != nil {
			return err
		}
		for start := 0; start < len(docs); start += 10000 {
			if err := writeSearch(ctx, tx, docs[start:min(start+10000, len(docs))]); err != nil {
				return err
			}
		}
		if err := setSetting(ctx, tx, searchSynced, strconv.FormatInt(head, 10)); err != nil {
			return err
		}
		return setSetting(ctx, tx, "search_index", store.SearchIndexVersion)
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
	if err := s.catchUpSearch(ctx); err != nil {
		return nil, fmt.Errorf("search subjects: %w", err)
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
	if f.DecisionNo != "" {
		add("r.decision_no = ?", f.DecisionNo)
	}
	if f.OnlyLate {
		where = append(where, "r.late = TRUE")
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
	q += fmt.Sprintf(" ORDER BY r.decision_date DESC, r.source_dept DESC, r.id DESC LIMIT $%d OFFSET $%d", len(args)-1, len(args))
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
