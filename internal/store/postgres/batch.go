package postgres

import (
	"context"
	"slices"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.BatchStore = (*Store)(nil)

// FindSubjectsByCodes implements store.BatchStore.
func (s *Store) FindSubjectsByCodes(ctx context.Context, codes []string) (map[string]credit.Subject, error) {
	l := store.LookupCodes(s.keys, codes)
	byKey, byReg := map[string]credit.Subject{}, map[string]credit.Subject{}
	read := func(column string, values []string, into map[string]credit.Subject) error {
		rows, err := store.ReadChunks(ctx, values, func(ctx context.Context, chunk []string) ([]store.KeyedSubject, error) {
			rs, err := s.reads.Query(ctx, `SELECT `+subjectColumns+`, `+column+` FROM subjects WHERE `+column+` = ANY($1) ORDER BY id`, chunk)
			if err != nil {
				return nil, err
			}
			defer rs.Close()
			var out []store.KeyedSubject
			for rs.Next() {
				var k store.KeyedSubject
				if k.Subject, err = scanSubject(rs, &k.Key); err != nil {
					return nil, err
				}
				out = append(out, k)
			}
			rs.Close()
			return out, rs.Err()
		})
		store.FirstByKey(rows, into)
		return err
	}
	if err := read("key", l.Keys, byKey); err != nil {
		return nil, err
	}
	if err := read("reg_no", l.RegNos, byReg); err != nil {
		return nil, err
	}
	return l.Resolve(byKey, byReg), nil
}

// checkColumns are what a check reads of a record: no personal fields
// (nothing to decrypt) and no first receipt (the received time stands for
// it: a check judges today, after every receipt).
const checkColumns = `r.id, r.kind, r.subject_id, r.source_dept, r.decision_no, r.decision_date, r.version, r.state, r.fields, r.received_at`

// SubjectsRecords implements store.BatchStore; Private is not filled.
func (s *Store) SubjectsRecords(ctx context.Context, ids []int64, kinds []string) ([]store.Record, error) {
	return store.ReadChunks(ctx, ids, func(ctx context.Context, chunk []int64) ([]store.Record, error) {
		// Kinds are filtered here, not in SQL, so that the plan is always
		// the subject index (see the SQLite driver).
		rs, err := s.reads.Query(ctx, `SELECT `+checkColumns+` FROM records r WHERE r.subject_id = ANY($1) ORDER BY r.subject_id, r.id`, chunk)
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var out []store.Record
		for rs.Next() {
			var r store.Record
			var state string
			var fields []byte
			if err := rs.Scan(&r.ID, &r.Kind, &r.SubjectID, &r.SourceDept, &r.DecisionNo, &r.DecisionDate, &r.Version, &state, &fields, &r.ReceivedAt); err != nil {
				return nil, err
			}
			if len(kinds) > 0 && !slices.Contains(kinds, r.Kind) {
				continue
			}
			r.State, r.Fields, r.ReceivedAt = store.RecordState(state), fields, r.ReceivedAt.UTC()
			r.FirstReceived = r.ReceivedAt
			out = append(out, r)
		}
		rs.Close()
		return out, rs.Err()
	})
}
