package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/xinyong/xinyong/internal/store"
)

// StartIntake implements store.RecordStore.
func (s *Store) StartIntake(ctx context.Context, b store.IntakeBatch) (store.IntakeBatch, bool, error) {
	if b.FileHash != "" {
		var at time.Time
		err := s.w.QueryRowContext(ctx, `SELECT id, received_at FROM intake_batches
			WHERE kind = ? AND dept = ? AND file_hash = ? AND finished_at IS NULL ORDER BY id DESC LIMIT 1`,
			b.Kind, b.Dept, b.FileHash).Scan(&b.ID, &at)
		if err == nil {
			b.ReceivedAt = at.UTC()
			return b, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return b, false, err
		}
	}
	if b.ReceivedAt.IsZero() {
		b.ReceivedAt = s.now()
	}
	b.ReceivedAt = b.ReceivedAt.UTC()
	err := s.w.QueryRowContext(ctx, `INSERT INTO intake_batches (kind, dept, channel, file_name, file_hash, received_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, b.Kind, b.Dept, b.Channel, b.FileName, b.FileHash, b.ReceivedAt).Scan(&b.ID)
	return b, false, err
}

// FinishIntake implements store.RecordStore.
func (s *Store) FinishIntake(ctx context.Context, id int64, st store.IntakeStats, rejected []store.Rejection) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM intake_rejections WHERE batch_id = ?`, id); err != nil {
		return err
	}
	if err := bulkInsert(ctx, tx, "intake_rejections", []string{"batch_id", "row", "field", "reason"}, len(rejected),
		func(i int, a []any) []any { r := rejected[i]; return append(a, id, r.Row, r.Field, r.Reason) }); err != nil {
		return err
	}
	hw, nw := store.WarningsJSON(st.Warnings), store.WarningsJSON(st.NameWarnings)
	if _, err := tx.ExecContext(ctx, `UPDATE intake_batches SET finished_at = ?, rows = ?, accepted = ?, updated = ?, unchanged = ?, rejected = ?,
		header_warnings = ?, name_warnings = ? WHERE id = ?`, s.now(), st.Rows, st.Accepted, st.Updated, st.Unchanged, st.Rejected, hw, nw, id); err != nil {
		return err
	}
	return tx.Commit()
}

// PrepareRecords implements store.RecordStore.
func (s *Store) PrepareRecords(recs []store.RecordInput) (store.PreparedRecords, error) {
	return store.PrepareRecordBatch(s.keys, recs, s.now())
}

// PutPreparedRecords implements store.RecordStore.
func (s *Store) PutPreparedRecords(ctx context.Context, batch int64, p store.PreparedRecords) ([]store.RecordOutcome, error) {
	now := s.now()
	rows, srows := p.Rows, p.Subjects
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var receivedAt time.Time
	if err := tx.QueryRowContext(ctx, `SELECT received_at FROM intake_batches WHERE id = ?`, batch).Scan(&receivedAt); err != nil {
		return nil, fmt.Errorf("intake batch %d: %w", batch, err)
	}
	subjectIDs := make(map[string]int64, len(srows))
	regions := make(map[string]string, len(srows)) // for change events
	created := map[string]bool{}
	for start := 0; start < len(srows); start += chunk {
		part := srows[start:min(start+chunk, len(srows))]
		existing, err := readSubjectIDs(ctx, tx, store.Keys(part))
		if err != nil {
			return nil, err
		}
		plan := store.PlanNewSubjects(part, existing, now)
		first, err := apply(ctx, tx, plan, now)
		if err != nil {
			return nil, err
		}
		for k, e := range existing {
			subjectIDs[k], regions[k] = e.ID, e.Region
		}
		for i, r := range plan.Insert {
			subjectIDs[r.Key], regions[r.Key] = first+int64(i), r.Region
			created[r.Key] = true
		}
	}
	var hashes [][]byte
	for _, r := range rows {
		if r.MayExist(created) {
			hashes = append(hashes, r.IdentityHash)
		}
	}
	existing := make(map[string]store.ExistingRecord, len(hashes))
	for start := 0; start < len(hashes); start += chunk {
		in, args := inList(hashes[start:min(start+chunk, len(hashes))])
		// The fields of list entries too, to tell whether they are in
		// force (change events).
		rs, err := tx.QueryContext(ctx, `SELECT identity, id, version, content_hash, kind, state,
			CASE WHEN kind IN `+store.ListKindsSQL()+` THEN fields ELSE '' END FROM records WHERE identity IN `+in, args...)
		if err != nil {
			return nil, fmt.Errorf("read records: %w", err)
		}
		for rs.Next() {
			var ident []byte
			var e store.ExistingRecord
			var kind, fields string
			var state store.RecordState
			if err := rs.Scan(&ident, &e.ID, &e.Version, &e.Hash, &kind, &state, &fields); err != nil {
				rs.Close()
				return nil, err
			}
			e.Listed = store.Listed(kind, state, []byte(fields))
			existing[string(ident)] = e
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, err
		}
	}
	plan := store.PlanRecords(rows, existing)
	first, err := nextID(ctx, tx, "records")
	if err != nil {
		return nil, err
	}
	received := timeText(receivedAt)
	err = bulkInsert(ctx, tx, "records", []string{"id", "kind", "identity", "subject_id", "source_dept", "decision_no", "decision_date",
		"version", "content_hash", "fields", "private", "batch_id", "received_at", "first_batch", "working_days", "late"},
		len(plan.Insert), func(i int, a []any) []any {
			r := rows[plan.Insert[i]]
			return append(a, first+int64(i), r.Kind, r.IdentityHash, subjectIDs[r.SubjectKey], r.SourceDept, r.DecisionNo, r.DecisionDate,
				1, r.ContentHash, r.Fields, r.PrivateEnc, batch, received, batch, r.WorkingDays, r.Late)
		})
	if err != nil {
		return nil, err
	}
	for _, v := range plan.NewVersion {
		id := v.ID
		if id == 0 {
			id = first + int64(plan.InsertAt[v.Row])
		}
		r := rows[v.Row]
		if _, err := tx.ExecContext(ctx, `INSERT INTO record_versions
			(record_id, version, state, state_reason, content_hash, fields, private, batch_id, received_at, replaced_at)
			SELECT id, version, state, state_reason, content_hash, fields, private, batch_id, received_at, ? FROM records WHERE id = ?`,
			receivedAt, id); err != nil {
			return nil, fmt.Errorf("keep version of record %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE records SET version = ?, content_hash = ?, fields = ?, private = ?, batch_id = ?,
			received_at = ?, decision_date = ?, state = 'corrected', state_reason = ? WHERE id = ?`,
			v.Version, r.ContentHash, r.Fields, r.PrivateEnc, batch, receivedAt, r.DecisionDate, store.CorrectionReason(r.Reason), id); err != nil {
			return nil, fmt.Errorf("update record %d: %w", id, err)
		}
	}
	if err := addIntakeCounts(ctx, tx, batch, plan.Counts()); err != nil {
		return nil, err
	}
	newID := func(j int) int64 { return first + int64(j) }
	if err := writeDeciders(ctx, tx, plan, newID); err != nil {
		return nil, err
	}
	events := plan.Events(now, newID, func(key string) (int64, string) { return subjectIDs[key], regions[key] })
	if err := appendChanges(ctx, tx, events); err != nil {
		return nil, err
	}
	out := plan.Outcomes
	for i := range out {
		if out[i].ID == 0 {
			out[i].ID = first + int64(plan.InsertAt[i])
		}
	}
	if err := closeReturns(ctx, tx, rows, out, batch, now); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit records: %w", err)
	}
	return out, nil
}

// recordColumns are the columns scanRecord reads, from records r.
const recordColumns = `r.id, r.kind, r.subject_id, r.source_dept, r.decision_no, r.decision_date, r.version, r.state, r.state_reason,
	r.fields, r.private, r.received_at, r.working_days, r.late, (SELECT b.received_at FROM intake_batches b WHERE b.id = r.first_batch),
	r.objected, COALESCE(r.repaired_on, '')`

// scanRecord reads recordColumns and then the extra columns into extra.
func (s *Store) scanRecord(row interface{ Scan(...any) error }, extra ...any) (store.Record, error) {
	var r store.Record
	var fields string
	var priv []byte
	var first sql.NullTime
	dest := append([]any{&r.ID, &r.Kind, &r.SubjectID, &r.SourceDept, &r.DecisionNo, &r.DecisionDate, &r.Version, &r.State,
		&r.StateReason, &fields, &priv, &r.ReceivedAt, &r.WorkingDays, &r.Late, &first, &r.Objected, &r.RepairedOn}, extra...)
	if err := row.Scan(dest...); err != nil {
		return r, err
	}
	r.Fields = []byte(fields)
	r.ReceivedAt = r.ReceivedAt.UTC()
	r.FirstReceived = first.Time.UTC()
	if len(priv) > 0 {
		p, err := s.keys.Decrypt(priv)
		if err != nil {
			return r, err
		}
		r.Private = []byte(p)
	}
	return r, nil
}

// GetRecord implements store.RecordStore.
func (s *Store) GetRecord(ctx context.Context, id int64) (store.Record, error) {
	r, err := s.scanRecord(s.r.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM records r WHERE r.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, store.ErrNotFound
	}
	return r, err
}

// RecordVersions implements store.RecordStore.
func (s *Store) RecordVersions(ctx context.Context, id int64) ([]store.Record, error) {
	cur, err := s.GetRecord(ctx, id)
	if err != nil {
		return nil, err
	}
	rs, err := s.r.QueryContext(ctx, `SELECT v.record_id, r.kind, r.subject_id, r.source_dept, r.decision_no, r.decision_date, v.version,
		v.state, v.state_reason, v.fields, v.private, v.received_at, r.working_days, r.late,
		(SELECT b.received_at FROM intake_batches b WHERE b.id = r.first_batch), r.objected, COALESCE(r.repaired_on, ''), v.replaced_at
		FROM record_versions v JOIN records r ON r.id = v.record_id WHERE v.record_id = ? ORDER BY v.version`, id)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []store.Record
	for rs.Next() {
		var to time.Time
		r, err := s.scanRecord(rs, &to)
		if err != nil {
			return nil, err
		}
		r.ValidTo = to.UTC()
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	out = append(out, cur)
	store.LinkVersions(out)
	return out, nil
}

// SetRecordState implements store.RecordStore.
func (s *Store) SetRecordState(ctx context.Context, id int64, state store.RecordState, reason string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := s.now()
	old, err := storedRecord(ctx, tx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO record_versions
		(record_id, version, state, state_reason, content_hash, fields, private, batch_id, received_at, replaced_at)
		SELECT id, version, state, state_reason, content_hash, fields, private, batch_id, received_at, ? FROM records WHERE id = ?`, now, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `UPDATE records SET version = version + 1, state = ?, state_reason = ? WHERE id = ?`, state, reason, id); err != nil {
		return err
	}
	// A list entry revoked or restored: its change event, in the same
	// transaction.
	if e, ok := old.StateChange(state, now); ok {
		if err := appendChanges(ctx, tx, []store.ChangeEvent{e}); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// IntakeStats implements store.RecordStore. Months are in China time.
func (s *Store) IntakeStats(ctx context.Context, f store.IntakeFilter) ([]store.IntakeRow, error) {
	const month = `strftime('%Y-%m', datetime(substr(b.received_at, 1, 19), '+8 hours'))`
	rs, err := s.r.QueryContext(ctx, `SELECT kind, dept, month, sum(received), sum(late), sum(rejected), sum(updated) FROM (
			SELECT c.kind AS kind, c.dept AS dept, `+month+` AS month, c.received AS received, c.late AS late, 0 AS rejected,
				c.updated AS updated
			FROM intake_counts c JOIN intake_batches b ON b.id = c.batch_id
			UNION ALL
			SELECT b.kind, b.dept, `+month+`, 0, 0, count(DISTINCT j.row), 0
			FROM intake_batches b JOIN intake_rejections j ON j.batch_id = b.id GROUP BY b.id
		) WHERE (? = '' OR kind = ?) AND (? = '' OR dept = ?) AND (? = '' OR month = ?) AND (? = '' OR month >= ?) AND (? = '' OR month <= ?)
		GROUP BY 1, 2, 3 HAVING sum(received) > 0 OR sum(rejected) > 0 OR sum(updated) > 0 ORDER BY 3, 1, 2`,
		f.Kind, f.Kind, f.Dept, f.Dept, f.Month, f.Month, f.From, f.From, f.To, f.To)
	if err != nil {
		return nil, fmt.Errorf("intake statistics: %w", err)
	}
	defer rs.Close()
	var out []store.IntakeRow
	for rs.Next() {
		var r store.IntakeRow
		if err := rs.Scan(&r.Kind, &r.Dept, &r.Month, &r.Received, &r.Late, &r.Rejected, &r.Updated); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// addIntakeCounts adds a put's new records to its batch's counts.
func addIntakeCounts(ctx context.Context, tx *sql.Tx, batch int64, counts []store.IntakeCount) error {
	for _, c := range counts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO intake_counts (batch_id, kind, dept, received, late, updated) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (batch_id, kind, dept) DO UPDATE SET received = received + excluded.received, late = late + excluded.late,
				updated = updated + excluded.updated`,
			batch, c.Kind, c.Dept, c.Received, c.Late, c.Updated); err != nil {
			return fmt.Errorf("intake counts: %w", err)
		}
	}
	return nil
}

// readSubjectIDs finds the ids of stored subjects by natural key: all a
// record needs of its subject (and the region, for change events).
func readSubjectIDs(ctx context.Context, tx *sql.Tx, keys []string) (map[string]store.ExistingSubject, error) {
	out := make(map[string]store.ExistingSubject, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	in, args := inList(keys)
	rs, err := tx.QueryContext(ctx, `SELECT key, id, region FROM subjects WHERE key IN `+in, args...)
	if err != nil {
		return nil, fmt.Errorf("read subjects: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var key string
		var e store.ExistingSubject
		if err := rs.Scan(&key, &e.ID, &e.Region); err != nil {
			return nil, err
		}
		out[key] = e
	}
	return out, rs.Err()
}

// writeDeciders keeps the put's records whose deciding body is not their
// supplier (record_deciders), replacing the rows of records it versions.
func writeDeciders(ctx context.Context, tx *sql.Tx, plan store.RecordPlan, id func(j int) int64) error {
	rows, versioned := plan.Deciders(id)
	for start := 0; start < len(versioned); start += chunk {
		in, args := inList(versioned[start:min(start+chunk, len(versioned))])
		if _, err := tx.ExecContext(ctx, `DELETE FROM record_deciders WHERE record_id IN `+in, args...); err != nil {
			return fmt.Errorf("record deciders: %w", err)
		}
	}
	return bulkInsert(ctx, tx, "record_deciders", []string{"record_id", "kind", "decider", "source_dept", "decision_no", "decision_date"},
		len(rows), func(i int, a []any) []any {
			r := rows[i]
			return append(a, r.RecordID, r.Kind, r.Decider, r.SourceDept, r.DecisionNo, r.DecisionDate)
		})
}

// closeReturns closes the open returns the put's rows fix, in its
// transaction. Without any open return (the usual case) it costs one
// look-up of the partial index.
func closeReturns(ctx context.Context, tx *sql.Tx, rows []store.RecordRow, out []store.RecordOutcome, batch int64, now time.Time) error {
	var some int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM returns WHERE state = 'open' LIMIT 1)`).Scan(&some); err != nil {
		return fmt.Errorf("open returns: %w", err)
	}
	if some == 0 {
		return nil
	}
	identities, nos := store.ReturnLookup(rows)
	var open []store.OpenReturn
	read := func(q string, args []any) error {
		rs, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("open returns: %w", err)
		}
		defer rs.Close()
		for rs.Next() {
			var o store.OpenReturn
			if err := rs.Scan(&o.ID, &o.Identity, &o.Kind, &o.Dept, &o.DecisionNo); err != nil {
				return err
			}
			open = append(open, o)
		}
		return rs.Err()
	}
	for start := 0; start < len(identities); start += chunk {
		in, args := inList(identities[start:min(start+chunk, len(identities))])
		if err := read(`SELECT id, identity, kind, dept, decision_no FROM returns WHERE state = 'open' AND identity IN `+in, args); err != nil {
			return err
		}
	}
	for start := 0; start < len(nos); start += chunk {
		in, args := inList(nos[start:min(start+chunk, len(nos))])
		if err := read(`SELECT id, identity, kind, dept, decision_no FROM returns
			WHERE state = 'open' AND identity IS NULL AND decision_no IN `+in, args); err != nil {
			return err
		}
	}
	for _, f := range store.MatchReturns(open, rows, out) {
		if _, err := tx.ExecContext(ctx, `UPDATE returns SET state = 'fixed', closed_at = ?, fixed_record = ?, fixed_batch = ?
			WHERE id = ? AND state = 'open'`, now, f.Record, batch, f.Return); err != nil {
			return fmt.Errorf("close return %d: %w", f.Return, err)
		}
	}
	return nil
}
