package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
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

// appendNameChanges appends the subjects of a plan whose names changed to
// the name-change log (migration 14), numbered after the highest: SQLite's
// single writer makes the numbers commit in order, so a follower that has
// read up to n never later finds a number below n. first is the id of the
// plan's first inserted subject. The full-text index is not written here:
// SyncSearch applies the log to it afterwards, off the intake transaction.
func appendNameChanges(ctx context.Context, tx *sql.Tx, docs []store.IndexDoc, first int64) error {
	if len(docs) == 0 {
		return nil
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM name_changes`).Scan(&last); err != nil {
		return fmt.Errorf("name changes: %w", err)
	}
	return bulkInsert(ctx, tx, "name_changes", []string{"seq", "subject_id"}, len(docs), func(i int, a []any) []any {
		id := docs[i].Subject
		if j, ok := store.InsertIndex(id); ok {
			id = first + int64(j)
		}
		return append(a, last+1+int64(i), id)
	})
}

// queryer is what reads need of a connection, a pool or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// nameDocs reads the names of the subjects ids (persons left out) and
// returns their search entries in the order of ids.
func nameDocs(ctx context.Context, q queryer, ids []int64) ([]store.IndexDoc, error) {
	current := make(map[int64]string, len(ids))
	former := map[int64][]string{}
	for start := 0; start < len(ids); start += chunk {
		in, args := inList(ids[start:min(start+chunk, len(ids))])
		rs, err := q.QueryContext(ctx, `SELECT id, name, 0 FROM subjects WHERE id IN `+in+` AND class <> 'person'
			UNION ALL SELECT subject_id, name, 1 FROM subject_names WHERE subject_id IN `+in+` ORDER BY 1, 3`, append(args, args...)...)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var id int64
			var name string
			var old bool
			if err := rs.Scan(&id, &name, &old); err != nil {
				rs.Close()
				return nil, err
			}
			if old {
				former[id] = append(former[id], name)
			} else {
				current[id] = name
			}
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, err
		}
	}
	return store.NameDocs(ids, current, former), nil
}

// NameEntries implements store.NameSource. Every statement reads one
// snapshot (a read transaction): the former names first (subject_names
// holds only those, a small table), then every subject in id order.
func (s *Store) NameEntries(ctx context.Context, fn func(subject int64, name string) error) (int64, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("name entries: %w", err)
	}
	defer tx.Rollback()
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM name_changes`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("name entries: %w", err)
	}
	former, err := allFormerNames(ctx, tx)
	if err != nil {
		return 0, fmt.Errorf("name entries: %w", err)
	}
	rs, err := tx.QueryContext(ctx, `SELECT id, name FROM subjects WHERE class <> 'person' ORDER BY id`)
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
		for _, f := range former[id] {
			if err := fn(id, f); err != nil {
				return 0, err
			}
		}
	}
	if err := rs.Err(); err != nil {
		return 0, fmt.Errorf("name entries: %w", err)
	}
	return seq, nil
}

// allFormerNames reads every former name of subjects other than persons.
func allFormerNames(ctx context.Context, q queryer) (map[int64][]string, error) {
	rs, err := q.QueryContext(ctx, `SELECT n.subject_id, n.name FROM subject_names n JOIN subjects s ON s.id = n.subject_id
		WHERE s.class <> 'person' ORDER BY n.subject_id, n.id`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := map[int64][]string{}
	for rs.Next() {
		var id int64
		var name string
		if err := rs.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = append(out[id], name)
	}
	return out, rs.Err()
}

// NameChanges implements store.NameSource.
func (s *Store) NameChanges(ctx context.Context, after int64, limit int) ([]store.IndexDoc, int64, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, after, fmt.Errorf("name changes: %w", err)
	}
	defer tx.Rollback()
	ids, last, err := changedNames(ctx, tx, after, limit)
	if err != nil || len(ids) == 0 {
		return nil, last, err
	}
	docs, err := nameDocs(ctx, tx, ids)
	if err != nil {
		return nil, after, fmt.Errorf("name changes: %w", err)
	}
	return docs, last, nil
}

// changedNames reads the subjects of the name-change log after after, at
// most limit entries, and the number of the last entry read.
func changedNames(ctx context.Context, q queryer, after int64, limit int) ([]int64, int64, error) {
	rs, err := q.QueryContext(ctx, `SELECT seq, subject_id FROM name_changes WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, after, fmt.Errorf("name changes: %w", err)
	}
	defer rs.Close()
	var ids []int64
	last := after
	for rs.Next() {
		var id int64
		if err := rs.Scan(&last, &id); err != nil {
			return nil, after, fmt.Errorf("name changes: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rs.Err(); err != nil {
		return nil, after, fmt.Errorf("name changes: %w", err)
	}
	return ids, last, nil
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

func (s *Store) syncSearch(ctx context.Context) (int, error) {
	// Nothing to do is the common case: decide it without the writer.
	var synced, head int64
	if err := s.r.QueryRowContext(ctx, `SELECT coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE name = '`+searchSynced+`'), 0),
		coalesce((SELECT max(seq) FROM name_changes), 0)`).Scan(&synced, &head); err != nil {
		return 0, err
	}
	if head <= synced {
		return 0, nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE name = '`+searchSynced+`'), 0)`).Scan(&synced); err != nil {
		return 0, err
	}
	ids, last, err := changedNames(ctx, tx, synced, store.SearchSyncBatch)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	docs, err := nameDocs(ctx, tx, ids)
	if err != nil {
		return 0, err
	}
	if err := writeSearch(ctx, tx, ids, docs); err != nil {
		return 0, err
	}
	if err := setSetting(ctx, tx, searchSynced, strconv.FormatInt(last, 10)); err != nil {
		return 0, err
	}
	return len(ids), tx.Commit()
}

// writeSearch replaces the full-text entries of the subjects ids by docs.
func writeSearch(ctx context.Context, tx *sql.Tx, ids []int64, docs []store.IndexDoc) error {
	for start := 0; start < len(ids); start += chunk {
		in, args := inList(ids[start:min(start+chunk, len(ids))])
		if _, err := tx.ExecContext(ctx, `DELETE FROM subject_search WHERE rowid IN `+in, args...); err != nil {
			return err
		}
	}
	return bulkInsert(ctx, tx, "subject_search", []string{"rowid", "grams"}, len(docs), func(i int, a []any) []any {
		return append(a, docs[i].Subject, searchDoc(docs[i].Names))
	})
}

func setSetting(ctx context.Context, tx *sql.Tx, name, value string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return err
}

// ensureSearchIndex rebuilds the full-text index when it was built another
// way (or not at all, in a database migrated from before it existed), and
// then applies the name changes written since it was last synced.
func (s *Store) ensureSearchIndex(ctx context.Context) error {
	var v string
	err := s.w.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = 'search_index'`).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
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
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var head int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM name_changes`).Scan(&head); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM subject_search`); err != nil {
		return err
	}
	former, err := allFormerNames(ctx, tx)
	if err != nil {
		return err
	}
	rs, err := tx.QueryContext(ctx, `SELECT id, name FROM subjects WHERE class <> 'person' ORDER BY id`)
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
		docs = append(docs, store.IndexDoc{Subject: id, Names: append([]string{name}, former[id]...)})
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
	if err := setSetting(ctx, tx, searchSynced, strconv.FormatInt(head, 10)); err != nil {
		return err
	}
	if err := setSetting(ctx, tx, "search_index", store.SearchIndexVersion); err != nil {
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
	if err := s.catchUpSearch(ctx); err != nil {
		return nil, fmt.Errorf("search subjects: %w", err)
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
