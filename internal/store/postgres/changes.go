package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/xinyong/xinyong/internal/store"
)

var _ store.ChangeStore = (*Store)(nil)

// changesLockKey is the advisory lock that serialises appends to the
// change feed (any constant unique to the purpose).
const changesLockKey = 0x7879636e // "xycn"

// appendChanges appends events in tx, numbered after the last one, and
// sets their Seq.
//
// An identity column would not do: its values are taken when rows are
// inserted, not when they commit, so a transaction holding 9 can commit
// after one holding 10, and a reader that has read 10 would resume past
// 9. Instead every append takes an advisory transaction lock, held until
// commit or rollback, and numbers its events max + 1 under it: the next
// append waits for the lock and, under READ COMMITTED (PostgreSQL's
// default, which the audit trail relies on too), then sees the committed
// events. A rolled-back append leaves no gap (the next one takes the same
// numbers). So the sequence is gap-free and commits in order. The lock
// is taken last in the transaction, to hold it briefly: after the records
// are written, just before COMMIT.
func appendChanges(ctx context.Context, tx pgx.Tx, evs []store.ChangeEvent) error {
	if len(evs) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, changesLockKey); err != nil {
		return fmt.Errorf("lock change feed: %w", err)
	}
	var last int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM changes`).Scan(&last); err != nil {
		return fmt.Errorf("read change sequence: %w", err)
	}
	for i := range evs {
		evs[i].Seq = last + 1 + int64(i)
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"changes"}, []string{"seq", "at", "type", "record_id", "kind", "subject_id", "region", "list_type"},
		pgx.CopyFromSlice(len(evs), func(i int) ([]any, error) {
			e := evs[i]
			return []any{e.Seq, e.At.UTC(), string(e.Type), e.RecordID, e.Kind, e.SubjectID, e.Region, e.ListType}, nil
		}))
	if err != nil {
		return fmt.Errorf("append changes: %w", err)
	}
	return nil
}

// storedRecord reads what change events need of a record, in tx, and
// locks its row so that concurrent state changes of one record raise
// their events one after the other.
func storedRecord(ctx context.Context, tx pgx.Tx, id int64) (store.StoredRecord, error) {
	r := store.StoredRecord{ID: id}
	var state string
	var fields []byte
	err := tx.QueryRow(ctx, `SELECT r.kind, r.state, r.fields, r.subject_id, coalesce(s.region, '')
		FROM records r LEFT JOIN subjects s ON s.id = r.subject_id WHERE r.id = $1 FOR UPDATE OF r`, id).Scan(&r.Kind, &state, &fields, &r.SubjectID, &r.Region)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("record %d: %w", id, store.ErrNotFound)
	}
	r.State, r.Fields = store.RecordState(state), fields
	return r, err
}

// AppendRepair implements store.ChangeStore.
func (s *Store) AppendRepair(ctx context.Context, recordID int64) (store.ChangeEvent, error) {
	var e store.ChangeEvent
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := storedRecord(ctx, tx, recordID)
		if err != nil {
			return err
		}
		evs := []store.ChangeEvent{r.Event(store.ChangeRepair, s.now())}
		if err := appendChanges(ctx, tx, evs); err != nil {
			return err
		}
		e = evs[0]
		return nil
	})
	return e, err
}
