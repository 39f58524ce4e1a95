package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xinyong/xinyong/internal/store"
)

// StartIntake implements store.RecordStore.
func (s *Store) StartIntake(ctx context.Context, b store.IntakeBatch) (store.IntakeBatch, bool, error) {
	if b.FileHash != "" {
		var at time.Time
		err := s.reads.QueryRow(ctx, `SELECT id, received_at FROM intake_batches
			WHERE kind = $1 AND dept = $2 AND file_hash = $3 AND finished_at IS NULL ORDER BY id DESC LIMIT 1`,
			b.Kind, b.Dept, b.FileHash).Scan(&b.ID, &at)
		if err == nil {
			b.ReceivedAt = at.UTC()
			return b, true, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return b, false, err
		}
	}
	if b.ReceivedAt.IsZero() {
		b.ReceivedAt = s.now()
	}
	b.ReceivedAt = b.ReceivedAt.UTC()
	err := s.pool.QueryRow(ctx, `INSERT INTO intake_batches (kind, dept, channel, file_name, file_hash, received_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, b.Kind, b.Dept, b.Channel, b.FileName, b.FileHash, b.ReceivedAt).Scan(&b.ID)
	return b, false, err
}

// FinishIntake implements store.RecordStore.
func (s *Store) FinishIntake(ctx context.Context, id int64, st store.IntakeStats, rejected []store.Rejection) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM intake_rejections WHERE batch_id = $1`, id); err != nil {
			return err
		}
		if len(rejected) > 0 {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"intake_rejections"}, []string{"batch_id", "row", "field", "reason"},
				pgx.CopyFromSlice(len(rejected), func(i int) ([]any, error) {
					r := rejected[i]
					return []any{id, r.Row, r.Field, r.Reason}, nil
				})); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `UPDATE intake_batches SET finished_at = $1, rows = $2, accepted = $3, updated = $4, unchanged = $5, rejected = $6,
			header_warnings = $7, name_warnings = $8 WHERE id = $9`, s.now(), st.Rows, st.Accepted, st.Updated, st.Unchanged, st.Rejected,
			store.WarningsJSON(st.Warnings), store.WarningsJSON(st.NameWarnings), id)
		return err
	})
}

// PrepareRecords implements store.RecordStore.
func (s *Store) PrepareRecords(recs []store.RecordInput) (store.PreparedRecords, error) {
	return store.PrepareRecordBatch(s.keys, recs, s.now())
}

// PutPreparedRecords implements store.RecordStore. New records are
// written with COPY; puts are serialised with a lock on records, as
// subjects are.
func (s *Store) PutPreparedRecords(ctx context.Context, batch int64, p store.PreparedRecords) ([]store.RecordOutcome, error) {
	now := s.now()
	rows, srows := p.Rows, p.Subjects
	var err error
	var out []store.RecordOutcome
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE subjects, records IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var receivedAt time.Time
		if err := tx.QueryRow(ctx, `SELECT received_at FROM intake_batches WHERE id = $1`, batch).Scan(&receivedAt); err != nil {
			return fmt.Errorf("intake batch %d: %w", batch, err)
		}
		subjectIDs := make(map[string]int64, len(srows))
		regions := make(map[string]string, len(srows)) // for change events
		created := map[string]bool{}
		for start := 0; start < len(srows); start += chunk {
			part := srows[start:min(start+chunk, len(srows))]
			existing, err := readSubjectIDs(ctx, tx, store.Keys(part))
			if err != nil {
				return err
			}
			plan := store.PlanNewSubjects(part, existing, now)
			ids, err := apply(ctx, tx, plan, now)
			if err != nil {
				return err
			}
			for k, e := range existing {
				subjectIDs[k], regions[k] = e.ID, e.Region
			}
			for i, r := range plan.Insert {
				subjectIDs[r.Key], regions[r.Key] = ids[i], r.Region
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
		// The fields of list entries too, to tell whether they are in
		// force (change events).
		rs, err := tx.Query(ctx, `SELECT identity, id, version, content_hash, kind, state,
			CASE WHEN kind IN `+store.ListKindsSQL()+` THEN fields ELSE ''::bytea END FROM records WHERE identity = ANY($1)`, hashes)
		if err != nil {
			return fmt.Errorf("read records: %w", err)
		}
		for rs.Next() {
			var ident []byte
			var e store.ExistingRecord
			var kind, state string
			var fields []byte
			if err := rs.Scan(&ident, &e.ID, &e.Version, &e.Hash, &kind, &state, &fields); err != nil {
				rs.Close()
				return err
			}
			e.Listed = store.Listed(kind, store.RecordState(state), fields)
			existing[string(ident)] = e
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
		plan := store.PlanRecords(rows, existing)
		ids, err := reserveIDs(ctx, tx, "records", len(plan.Insert))
		if err != nil {
			return err
		}
		if len(plan.Insert) > 0 {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"records"}, []string{"id", "kind", "identity", "subject_id", "source_dept",
				"decision_no", "decision_date", "version", "content_hash", "fields", "private", "batch_id", "received_at", "first_batch",
				"working_days", "late"}, pgx.CopyFromSlice(len(plan.Insert), func(i int) ([]any, error) {
				r := rows[plan.Insert[i]]
				return []any{ids[i], r.Kind, r.IdentityHash, subjectIDs[r.SubjectKey], r.SourceDept, r.DecisionNo, r.DecisionDate,
					1, r.ContentHash, r.Fields, r.PrivateEnc, batch, receivedAt, batch, r.WorkingDays, r.Late}, nil
			})); err != nil {
				return fmt.Errorf("insert records: %w", err)
			}
		}
		for _, v := range plan.NewVersion {
			id := v.ID
			if id == 0 {
				id = ids[plan.InsertAt[v.Row]]
			}
			r := rows[v.Row]
			if _, err := tx.Exec(ctx, `INSERT INTO record_versions
				(record_id, version, state, state_reason, content_hash, fields, private, batch_id, received_at, replaced_at)
				SELECT id, version, state, state_reason, content_hash, fields, private, batch_id, received_at, $1 FROM records WHERE id = $2`,
				receivedAt, id); err != nil {
				return fmt.Errorf("keep version of record %d: %w", id, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE records SET version = $1, content_hash = $2, fields = $3, private = $4, batch_id = $5,
				received_at = $6, decision_date = $7, state = 'corrected', state_reason = $8 WHERE id = $9`,
				v.Version, r.ContentHash, r.Fields, r.PrivateEnc, batch, receivedAt, r.DecisionDate, store.CorrectionReason(r.Reason), id); err != nil {
				return fmt.Errorf("update record %d: %w", id, err)
			}
		}
		if err := addIntakeCounts(ctx, tx, batch, plan.Counts()); err != nil {
			return err
		}
		newID := func(j int) int64 { return ids[j] }
		if err := writeDeciders(ctx, tx, plan, newID); err != nil {
			return err
		}
		events := plan.Events(now, newID, func(key string) (int64, string) { return subjectIDs[key], regions[key] })
		if err := appendChanges(ctx, tx, events); err != nil {
			return err
		}
		out = plan.Outcomes
		for i := range out {
			if out[i].ID == 0 {
				out[i].ID = ids[plan.InsertAt[i]]
			}
		}
		return closeReturns(ctx, tx, rows, out, batch, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// recordColumns are the columns scanRecord reads, from records r.
const recordColumns = `r.id, r.kind, r.subject_id, r.source_dept, r.decision_no, r.decision_date, r.version, r.state, r.state_reason,
	r.fields, r.private, r.received_at, r.working_days, r.late, (SELECT b.received_at FROM intake_batches b WHERE b.id = r.first_batch),
	r.objected, COALESCE(r.repaired_on, '')`

// scanRecord reads recordColumns and then the extra columns into extra.
func (s *Store) scanRecord(row pgx.Row, extra ...any) (store.Record, error) {
	var r store.Record
	var state string
	var fields, priv []byte
	var first *time.Time
	dest := append([]any{&r.ID, &r.Kind, &r.SubjectID, &r.SourceDept, &r.DecisionNo, &r.DecisionDate, &r.Version, &state,
		&r.StateReason, &fields, &priv, &r.ReceivedAt, &r.WorkingDays, &r.Late, &first, &r.Objected, &r.RepairedOn}, extra...)
	if err := row.Scan(dest...); err != nil {
		return r, err
	}
	r.State = store.RecordState(state)
	r.Fields = fields
	r.ReceivedAt = r.ReceivedAt.UTC()
	if first != nil {
		r.FirstReceived = first.UTC()
	}
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
	r, err := s.scanRecord(s.reads.QueryRow(ctx, `SELECT `+recordColumns+` FROM records r WHERE r.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	rs, err := s.reads.Query(ctx, `SELECT v.record_id, r.kind, r.subject_id, r.source_dept, r.decision_no, r.decision_date, v.version,
		v.state, v.state_reason, v.fields, v.private, v.received_at, r.working_days, r.late,
		(SELECT b.received_at FROM intake_batches b WHERE b.id = r.first_batch), r.objected, COALESCE(r.repaired_on, ''), v.replaced_at
		FROM record_versions v JOIN records r ON r.id = v.record_id WHERE v.record_id = $1 ORDER BY v.version`, id)
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
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The lock the UPDATE below takes anyway, taken first: a put of
		// records (SHARE ROW EXCLUSIVE) then runs wholly before or after
		// this change, never interleaved with it into a deadlock over the
		// record's row or its kept version.
		if _, err := tx.Exec(ctx, `LOCK TABLE records IN ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		now := s.now()
		old, err := storedRecord(ctx, tx, id)
		if errors.Is(err, store.ErrNotFound) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO record_versions
			(record_id, version, state, state_reason, content_hash, fields, private, batch_id, received_at, replaced_at)
			SELECT id, version, state, state_reason, content_hash, fields, private, batch_id, received_at, $1 FROM records WHERE id = $2`, now, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		if _, err = tx.Exec(ctx, `UPDATE records SET version = version + 1, state = $1, state_reason = $2 WHERE id = $3`, string(state), reason, id); err != nil {
			return err
		}
		// A list entry revoked or restored: its change event, in the same
		// transaction.
		if e, ok := old.StateChange(state, now); ok {
			return appendChanges(ctx, tx, []store.ChangeEvent{e})
		}
		return nil
	})
}

// IntakeStats implements store.RecordStore. Months are in China time.
func (s *Store) IntakeStats(ctx context.Context, f store.IntakeFilter) ([]store.IntakeRow, error) {
	const month = `to_char(b.received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')`
	rs, err := s.reads.Query(ctx, `SELECT kind, dept, month, sum(received)::int, sum(late)::int, sum(rejected)::int, sum(updated)::int FROM (
			SELECT c.kind AS kind, c.dept AS dept, `+month+` AS month, c.received AS received, c.late AS late, 0 AS rejected,
				c.updated AS updated
			FROM intake_counts c JOIN intake_batches b ON b.id = c.batch_id
			UNION ALL
			SELECT b.kind, b.dept, `+month+`, 0, 0, count(DISTINCT j.row), 0
			FROM intake_batches b JOIN intake_rejections j ON j.batch_id = b.id GROUP BY b.id
		) t WHERE ($1 = '' OR kind = $1) AND ($2 = '' OR dept = $2) AND ($3 = '' OR month = $3) AND ($4 = '' OR month >= $4)
			AND ($5 = '' OR month <= $5)
		GROUP BY 1, 2, 3 HAVING sum(received) > 0 OR sum(rejected) > 0 OR sum(updated) > 0 ORDER BY 3, 1, 2`,
		f.Kind, f.Dept, f.Month, f.From, f.To)
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
func addIntakeCounts(ctx context.Context, tx pgx.Tx, batch int64, counts []store.IntakeCount) error {
	for _, c := range counts {
		if _, err := tx.Exec(ctx, `INSERT INTO intake_counts (batch_id, kind, dept, received, late, updated) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (batch_id, kind, dept) DO UPDATE SET received = intake_counts.received + excluded.received,
			late = intake_counts.late + excluded.late, updated = intake_counts.updated + excluded.updated`,
			batch, c.Kind, c.Dept, c.Received, c.Late, c.Updated); err != nil {
			return fmt.Errorf("intake counts: %w", err)
		}
	}
	return nil
}

// readSubjectIDs finds the ids of stored subjects by natural key: all a
// record needs of its subject (and the region, for change events).
func readSubjectIDs(ctx context.Context, tx pgx.Tx, keys []string) (map[string]store.ExistingSubject, error) {
	out := make(map[string]store.ExistingSubject, len(keys))
	rs, err := tx.Query(ctx, `SELECT key, id, region FROM subjects WHERE key = ANY($1)`, keys)
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
func writeDeciders(ctx context.Context, tx pgx.Tx, plan store.RecordPlan, id func(j int) int64) error {
	rows, versioned := plan.Deciders(id)
	if len(versioned) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM record_deciders WHERE record_id = ANY($1)`, versioned); err != nil {
			return fmt.Errorf("record deciders: %w", err)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"record_deciders"}, []string{"record_id", "kind", "decider", "source_dept", "decision_no", "decision_date"},
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := rows[i]
			return []any{r.RecordID, r.Kind, r.Decider, r.SourceDept, r.DecisionNo, r.DecisionDate}, nil
		}))
	if err != nil {
		return fmt.Errorf("record deciders: %w", err)
	}
	return nil
}

// closeReturns closes the open returns the put's rows fix, in its
// transaction. Without any open return (the usual case) it costs one
// look-up of the partial index.
func closeReturns(ctx context.Context, tx pgx.Tx, rows []store.RecordRow, out []store.RecordOutcome, batch int64, now time.Time) error {
	var some bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM returns WHERE state = 'open')`).Scan(&some); err != nil {
		return fmt.Errorf("open returns: %w", err)
	}
	if !some {
		return nil
	}
	identities, nos := store.ReturnLookup(rows)
	rs, err := tx.Query(ctx, `SELECT id, identity, kind, dept, decision_no FROM returns WHERE state = 'open' AND identity = ANY($1)
		UNION ALL
		SELECT id, identity, kind, dept, decision_no FROM returns WHERE state = 'open' AND identity IS NULL AND decision_no = ANY($2)`,
		identities, nos)
	if err != nil {
		return fmt.Errorf("open returns: %w", err)
	}
	var open []store.OpenReturn
	for rs.Next() {
		var o store.OpenReturn
		if err := rs.Scan(&o.ID, &o.Identity, &o.Kind, &o.Dept, &o.DecisionNo); err != nil {
			rs.Close()
			return err
		}
		open = append(open, o)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	for _, f := range store.MatchReturns(open, rows, out) {
		if _, err := tx.Exec(ctx, `UPDATE returns SET state = 'fixed', closed_at = $1, fixed_record = $2, fixed_batch = $3
			WHERE id = $4 AND state = 'open'`, now, f.Record, batch, f.Return); err != nil {
			return fmt.Errorf("close return %d: %w", f.Return, err)
		}
	}
	return nil
}
