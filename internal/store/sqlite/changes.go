package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/xinyong/xinyong/internal/store"
)

var _ store.ChangeStore = (*Store)(nil)

// changeColumns are the columns appendChanges writes.
var changeColumns = []string{"seq", "at", "type", "record_id", "kind", "subject_id", "region", "list_type"}

// appendChanges appends events in tx, numbered after the last one, and
// sets their Seq. SQLite has one writer: a write transaction holds the
// database's write lock from BEGIN IMMEDIATE to COMMIT, so appends are
// serialised, max + 1 is never taken twice, and the sequence commits in
// order without gaps.
func appendChanges(ctx context.Context, tx *sql.Tx, evs []store.ChangeEvent) error {
	if len(evs) == 0 {
		return nil
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM changes`).Scan(&last); err != nil {
		return fmt.Errorf("read change sequence: %w", err)
	}
	for i := range evs {
		evs[i].Seq = last + 1 + int64(i)
	}
	var at time.Time
	var atText string // events of a put share their time: formatted once
	return bulkInsert(ctx, tx, "changes", changeColumns, len(evs), func(i int, a []any) []any {
		e := evs[i]
		if i == 0 || !e.At.Equal(at) {
			at, atText = e.At, timeText(e.At.UTC())
		}
		return append(a, e.Seq, atText, string(e.Type), e.RecordID, e.Kind, e.SubjectID, e.Region, e.ListType)
	})
}

// storedRecord reads what change events need of a record, in tx.
func storedRecord(ctx context.Context, tx *sql.Tx, id int64) (store.StoredRecord, error) {
	r := store.StoredRecord{ID: id}
	var fields string
	err := tx.QueryRowContext(ctx, `SELECT r.kind, r.state, r.fields, r.subject_id, coalesce(s.region, '')
		FROM records r LEFT JOIN subjects s ON s.id = r.subject_id WHERE r.id = ?`, id).Scan(&r.Kind, &r.State, &fields, &r.SubjectID, &r.Region)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("record %d: %w", id, store.ErrNotFound)
	}
	r.Fields = []byte(fields)
	return r, err
}

// AppendRepair implements store.ChangeStore.
func (s *Store) AppendRepair(ctx context.Context, recordID int64) (store.ChangeEvent, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return store.ChangeEvent{}, err
	}
	defer tx.Rollback()
	r, err := storedRecord(ctx, tx, recordID)
	if err != nil {
		return store.ChangeEvent{}, err
	}
	evs := []store.ChangeEvent{r.Event(store.ChangeRepair, s.now())}
	if err := appendChanges(ctx, tx, evs); err != nil {
		return store.ChangeEvent{}, err
	}
	return evs[0], tx.Commit()
}
