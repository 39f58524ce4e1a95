package sqlaccess

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.EvaluationStore = (*Store)(nil)

// PutEvaluationModel implements store.EvaluationStore.
func (s *Store) PutEvaluationModel(ctx context.Context, m store.EvaluationModelRow) error {
	_, err := s.W.ExecContext(ctx, `INSERT INTO evaluation_models (key, version, name, body, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (key) DO NOTHING`, m.Key, m.Version, m.Name, string(m.Body), s.now())
	if err != nil {
		return fmt.Errorf("store evaluation model %s: %w", m.Key, err)
	}
	return nil
}

// GetEvaluationModel implements store.EvaluationStore.
func (s *Store) GetEvaluationModel(ctx context.Context, key string) (store.EvaluationModelRow, error) {
	m := store.EvaluationModelRow{Key: key}
	var body string
	err := s.R.QueryRowContext(ctx, `SELECT version, name, body, created_at FROM evaluation_models WHERE key = $1`, key).
		Scan(&m.Version, &m.Name, &body, &m.Created)
	if err != nil {
		return m, notFound(err, "evaluation model "+key)
	}
	m.Body, m.Created = []byte(body), m.Created.UTC()
	return m, nil
}

const runColumns = `id, day, model, cause, state, owner, started_at, finished_at, heartbeat_at, cursor, subjects, changed, regraded`

func scanRun(row scanner) (store.EvaluationRun, error) {
	var r store.EvaluationRun
	var finished sql.NullTime
	err := row.Scan(&r.ID, &r.Day, &r.Model, &r.Cause, &r.State, &r.Owner, &r.StartedAt, &finished, &r.Heartbeat, &r.Cursor,
		&r.Subjects, &r.Changed, &r.Regraded)
	r.StartedAt, r.FinishedAt, r.Heartbeat = r.StartedAt.UTC(), timeOf(finished), r.Heartbeat.UTC()
	return r, err
}

// StartEvaluationRun implements store.EvaluationStore.
func (s *Store) StartEvaluationRun(ctx context.Context, r store.EvaluationRun, gone func(owner string) bool) (store.EvaluationRun, bool, error) {
	var out store.EvaluationRun
	resumed := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		rows, err := tx.QueryContext(ctx, `SELECT `+runColumns+` FROM evaluation_runs WHERE state = 'running' ORDER BY id`)
		if err != nil {
			return err
		}
		var open []store.EvaluationRun
		for rows.Next() {
			o, err := scanRun(rows)
			if err != nil {
				rows.Close()
				return err
			}
			open = append(open, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, o := range open {
			live := o.Owner != r.Owner && now.Sub(o.Heartbeat) < store.EvaluationLease && (gone == nil || !gone(o.Owner))
			if o.Day == r.Day && o.Model == r.Model && !resumed {
				if live {
					return fault.Newf(fault.Conflict, "%s 的评价（%s）正由 %s 进行中（最近心跳 %s）", o.Day, o.Model, o.Owner,
						o.Heartbeat.Format(time.RFC3339))
				}
				if _, err := tx.ExecContext(ctx, `UPDATE evaluation_runs SET owner = $1, heartbeat_at = $2 WHERE id = $3`, r.Owner, now, o.ID); err != nil {
					return err
				}
				o.Owner, o.Heartbeat, o.Resumed = r.Owner, now, true
				out, resumed = o, true
				continue
			}
			if live {
				continue // another day's or model's run, alive: left alone
			}
			if _, err := tx.ExecContext(ctx, `UPDATE evaluation_runs SET state = 'abandoned', finished_at = $1 WHERE id = $2`, now, o.ID); err != nil {
				return err
			}
		}
		if resumed {
			return nil
		}
		r.State, r.StartedAt, r.Heartbeat = store.RunRunning, now, now
		err = tx.QueryRowContext(ctx, `INSERT INTO evaluation_runs (day, model, cause, state, owner, started_at, heartbeat_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, r.Day, r.Model, r.Cause, r.State, r.Owner, now, now).Scan(&r.ID)
		out = r
		return err
	})
	return out, resumed, err
}

// FinishEvaluationRun implements store.EvaluationStore.
func (s *Store) FinishEvaluationRun(ctx context.Context, r store.EvaluationRun) error {
	res, err := s.W.ExecContext(ctx, `UPDATE evaluation_runs SET state = 'done', finished_at = $1, heartbeat_at = $1 WHERE id = $2 AND state = 'running'`,
		s.now(), r.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fault.Newf(fault.Conflict, "评价批次 %d 已不在进行中", r.ID)
	}
	return nil
}

// EvaluationRuns implements store.EvaluationStore.
func (s *Store) EvaluationRuns(ctx context.Context, limit int) ([]store.EvaluationRun, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := s.R.QueryContext(ctx, `SELECT `+runColumns+` FROM evaluation_runs ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.EvaluationRun
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// evalRecordColumns are what the evaluation reads of a record: what a
// check reads, and the repair day.
const evalRecordColumns = `r.id, r.kind, r.subject_id, r.source_dept, r.decision_no, r.decision_date, r.version, r.state, r.fields, r.received_at,
	COALESCE(r.repaired_on, '')`

// EvaluationSubjects implements store.EvaluationStore. Class and region
// strings are interned: a run holds every subject.
func (s *Store) EvaluationSubjects(ctx context.Context, after int64, limit int, classes []credit.Class) ([]store.EvalSubject, int64, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT id, class, region FROM subjects WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("evaluation subjects: %w", err)
	}
	defer rows.Close()
	var out []store.EvalSubject
	var last int64
	regions := map[string]string{}
	var class, region []byte
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id, &class, &region); err != nil {
			return nil, 0, err
		}
		last = id
		c := credit.Class(class)
		i := slices.Index(classes, c)
		if i < 0 || c == credit.ClassPerson {
			continue
		}
		r, ok := regions[string(region)]
		if !ok {
			r = string(region)
			regions[r] = r
		}
		out = append(out, store.EvalSubject{ID: id, Class: classes[i], Region: r})
	}
	return out, last, rows.Err()
}

// EvaluationRecords implements store.EvaluationStore.
func (s *Store) EvaluationRecords(ctx context.Context, after, upTo int64, kinds []string, fn func(r *store.Record) error) error {
	rows, err := s.R.QueryContext(ctx, `SELECT `+evalRecordColumns+` FROM records r WHERE r.id > $1 AND r.id <= $2`, after, upTo)
	if err != nil {
		return fmt.Errorf("evaluation records: %w", err)
	}
	defer rows.Close()
	var r store.Record
	var kind, decisionNo, decisionDate, state, repaired []byte
	var fields sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&r.ID, &kind, &r.SubjectID, &r.SourceDept, &decisionNo, &decisionDate, &r.Version, &state,
			&fields, &r.ReceivedAt, &repaired); err != nil {
			return err
		}
		i := slices.Index(kinds, string(kind))
		if kinds != nil && i < 0 {
			continue
		}
		if i >= 0 {
			r.Kind = kinds[i]
		} else {
			r.Kind = string(kind)
		}
		r.DecisionNo, r.DecisionDate, r.State, r.RepairedOn = string(decisionNo), string(decisionDate), store.RecordState(state), string(repaired)
		r.Fields, r.ReceivedAt = fields, r.ReceivedAt.UTC()
		r.FirstReceived = r.ReceivedAt
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EvaluationExtras implements store.EvaluationStore.
func (s *Store) EvaluationExtras(ctx context.Context, w store.EvalWants) (store.EvalInput, error) {
	var in store.EvalInput
	err := s.evalFacts(ctx, &in, nil, store.EvalWants{Kinds: []string{}, Commitments: w.Commitments, Objections: w.Objections},
		func(col string) (string, []any) { return "1 = 1", nil })
	return in, err
}

// EvaluationInputOf implements store.EvaluationStore.
func (s *Store) EvaluationInputOf(ctx context.Context, ids []int64, w store.EvalWants) (store.EvalInput, error) {
	var in store.EvalInput
	subs, err := store.ReadChunks(ctx, ids, func(ctx context.Context, chunk []int64) ([]store.EvalSubject, error) {
		q, args := inInts("id", chunk)
		rows, err := s.R.QueryContext(ctx, `SELECT id, class, region FROM subjects WHERE `+q+` ORDER BY id`, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []store.EvalSubject
		for rows.Next() {
			var sub store.EvalSubject
			if err := rows.Scan(&sub.ID, &sub.Class, &sub.Region); err != nil {
				return nil, err
			}
			if slices.Contains(w.Classes, sub.Class) && sub.Class != credit.ClassPerson {
				out = append(out, sub)
			}
		}
		return out, rows.Err()
	})
	if err != nil {
		return in, fmt.Errorf("evaluation subjects: %w", err)
	}
	slices.SortFunc(subs, func(a, b store.EvalSubject) int { return int(a.ID - b.ID) })
	in.Subjects = slices.CompactFunc(subs, func(a, b store.EvalSubject) bool { return a.ID == b.ID })
	if len(in.Subjects) == 0 {
		return in, nil
	}
	keep := make(map[int64]bool, len(in.Subjects))
	var wanted []int64
	for _, sub := range in.Subjects {
		keep[sub.ID] = true
		wanted = append(wanted, sub.ID)
	}
	// The facts by IN lists of the subjects, up to one list per CPU at once.
	parts, err := store.ReadChunks(ctx, wanted, func(ctx context.Context, chunk []int64) ([]store.EvalInput, error) {
		var part store.EvalInput
		err := s.evalFacts(ctx, &part, keep, w, func(col string) (string, []any) { return inInts(col, chunk) })
		return []store.EvalInput{part}, err
	})
	if err != nil {
		return in, err
	}
	for _, p := range parts {
		in.Records = append(in.Records, p.Records...)
		in.Commitments = append(in.Commitments, p.Commitments...)
		in.Objections = append(in.Objections, p.Objections...)
	}
	return in, nil
}

// inInts is "col IN ($1, …)" with its arguments.
func inInts(col string, ids []int64) (string, []any) {
	var b strings.Builder
	b.WriteString(col + " IN (")
	args := make([]any, len(ids))
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i+1))
		args[i] = id
	}
	b.WriteString(")")
	return b.String(), args
}

// evalFacts reads the records, commitments and objections of the subjects
// selected by where (a condition on a subject id column) into in, keeping
// those of subjects in keep and records of the wanted kinds.
func (s *Store) evalFacts(ctx context.Context, in *store.EvalInput, keep map[int64]bool, w store.EvalWants,
	where func(col string) (string, []any)) error {
	if w.Kinds != nil && len(w.Kinds) == 0 {
		return s.evalExtras(ctx, in, keep, w, where)
	}
	cond, args := where("r.subject_id")
	rows, err := s.R.QueryContext(ctx, `SELECT `+evalRecordColumns+` FROM records r WHERE `+cond, args...)
	if err != nil {
		return fmt.Errorf("evaluation records: %w", err)
	}
	for rows.Next() {
		var r store.Record
		if err := rows.Scan(&r.ID, &r.Kind, &r.SubjectID, &r.SourceDept, &r.DecisionNo, &r.DecisionDate, &r.Version, &r.State,
			&r.Fields, &r.ReceivedAt, &r.RepairedOn); err != nil {
			rows.Close()
			return err
		}
		if (keep != nil && !keep[r.SubjectID]) || (w.Kinds != nil && !slices.Contains(w.Kinds, r.Kind)) {
			continue
		}
		r.ReceivedAt = r.ReceivedAt.UTC()
		r.FirstReceived = r.ReceivedAt
		in.Records = append(in.Records, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return s.evalExtras(ctx, in, keep, w, where)
}

// evalExtras reads the commitments and objections w asks for.
func (s *Store) evalExtras(ctx context.Context, in *store.EvalInput, keep map[int64]bool, w store.EvalWants,
	where func(col string) (string, []any)) error {
	if w.Commitments {
		cond, args := where("subject_id")
		rows, err := s.R.QueryContext(ctx, `SELECT id, subject_id, code, status, assessed_on, disclosure FROM commitments
			WHERE `+cond+` AND status <> ''`, args...)
		if err != nil {
			return fmt.Errorf("evaluation commitments: %w", err)
		}
		for rows.Next() {
			var c store.EvalCommitment
			var disclosure string
			if err := rows.Scan(&c.ID, &c.SubjectID, &c.Code, &c.Status, &c.AssessedOn, &disclosure); err != nil {
				rows.Close()
				return err
			}
			if keep == nil || keep[c.SubjectID] {
				c.Public = disclosure == store.CommitmentPublic
				in.Commitments = append(in.Commitments, c)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	if w.Objections {
		cond, args := where("subject_id")
		rows, err := s.R.QueryContext(ctx, `SELECT id, subject_id, record_id, updated_at, body FROM objections
			WHERE `+cond+` AND state IN ('decided', 'closed')`, args...)
		if err != nil {
			return fmt.Errorf("evaluation objections: %w", err)
		}
		for rows.Next() {
			var o store.EvalObjection
			var at time.Time
			var body string
			if err := rows.Scan(&o.ID, &o.SubjectID, &o.RecordID, &at, &body); err != nil {
				rows.Close()
				return err
			}
			if keep == nil || keep[o.SubjectID] {
				o.DecidedOn, o.Body = at.In(chinaTime).Format(time.DateOnly), []byte(body)
				in.Objections = append(in.Objections, o)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

const evaluationColumns = `subject_id, class, region, day, model, score, grade, contributions, due, run_id, at`

func scanEvaluation(row scanner) (store.Evaluation, error) {
	var e store.Evaluation
	var contrib string
	err := row.Scan(&e.SubjectID, &e.Class, &e.Region, &e.Day, &e.Model, &e.Score, &e.Grade, &contrib, &e.Due, &e.RunID, &e.At)
	e.Contributions, e.At = []byte(contrib), e.At.UTC()
	return e, err
}

// SaveEvaluations implements store.EvaluationStore.
func (s *Store) SaveEvaluations(ctx context.Context, w store.EvaluationWrite) (store.EvaluationSaved, error) {
	var saved store.EvaluationSaved
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		current, err := s.currentIn(ctx, tx, w.Results)
		if err != nil {
			return err
		}
		p := store.PlanEvaluations(current, w.Results, now)
		saved = p.Saved
		if err := s.insertRows(ctx, tx, `INSERT INTO evaluation_history (subject_id, day, until, model, score, grade, contributions, run_id, at) VALUES `,
			9, len(p.History), func(i int) []any {
				e := p.History[i]
				return []any{e.SubjectID, e.Day, e.Until, e.Model, e.Score, e.Grade, string(e.Contributions), e.RunID, e.At}
			}); err != nil {
			return fmt.Errorf("evaluation history: %w", err)
		}
		runID := int64(0)
		if w.Run != nil {
			runID = w.Run.ID
		}
		if err := s.insertRowsThen(ctx, tx, `INSERT INTO evaluations (`+evaluationColumns+`) VALUES `,
			` ON CONFLICT (subject_id) DO UPDATE SET class = excluded.class, region = excluded.region, day = excluded.day,
			model = excluded.model, score = excluded.score, grade = excluded.grade, contributions = excluded.contributions,
			due = excluded.due, run_id = excluded.run_id, at = excluded.at`,
			11, len(p.Upsert), func(i int) []any {
				e := p.Upsert[i]
				return []any{e.SubjectID, string(e.Class), e.Region, e.Day, e.Model, e.Score, e.Grade, string(e.Contributions), e.Due, runID, e.At}
			}); err != nil {
			return fmt.Errorf("evaluations: %w", err)
		}
		for _, e := range p.Due {
			if _, err := s.txExec(ctx, tx, `UPDATE evaluations SET due = $1 WHERE subject_id = $2`, e.Due, e.SubjectID); err != nil {
				return err
			}
		}
		if err := s.appendGradeEvents(ctx, tx, p.Events); err != nil {
			return err
		}
		if w.Run != nil {
			res, err := s.txExec(ctx, tx, `UPDATE evaluation_runs SET cursor = $1, subjects = subjects + $2, changed = changed + $3,
				regraded = regraded + $4, heartbeat_at = $5 WHERE id = $6 AND state = 'running' AND owner = $7`,
				w.Cursor, len(w.Results), p.Saved.New+p.Saved.Changed, p.Saved.Regraded, now, w.Run.ID, w.Run.Owner)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fault.Newf(fault.Conflict, "评价批次 %d 已由其他进程接手或结束", w.Run.ID)
			}
		}
		return nil
	})
	if err == nil {
		s.prepareWrites(ctx)
	}
	return saved, err
}

// currentIn reads, in tx, the current results of the subjects of results:
// by their id range when dense (a run's chunk), else by IN lists.
func (s *Store) currentIn(ctx context.Context, tx *sql.Tx, results []store.Evaluation) (map[int64]store.Evaluation, error) {
	current := make(map[int64]store.Evaluation, len(results))
	if len(results) == 0 {
		return current, nil
	}
	lo, hi := results[0].SubjectID, results[0].SubjectID
	ids := make([]int64, len(results))
	for i, r := range results {
		lo, hi, ids[i] = min(lo, r.SubjectID), max(hi, r.SubjectID), r.SubjectID
	}
	read := func(q string, args ...any) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+evaluationColumns+` FROM evaluations WHERE `+q, args...)
		if err != nil {
			return fmt.Errorf("current evaluations: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEvaluation(rows)
			if err != nil {
				return err
			}
			current[e.SubjectID] = e
		}
		return rows.Err()
	}
	if hi-lo < int64(4*len(results)) {
		return current, read(`subject_id >= $1 AND subject_id <= $2`, lo, hi)
	}
	for _, c := range store.Chunks(ids) {
		q, args := inInts("subject_id", c)
		if err := read(q, args...); err != nil {
			return nil, err
		}
	}
	return current, nil
}

// appendGradeEvents appends grade change events in tx, numbered after the
// feed's last (under the feed's lock).
func (s *Store) appendGradeEvents(ctx context.Context, tx *sql.Tx, evs []store.ChangeEvent) error {
	if len(evs) == 0 {
		return nil
	}
	if s.LockChanges != nil {
		if err := s.LockChanges(ctx, tx); err != nil {
			return fmt.Errorf("lock change feed: %w", err)
		}
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&last); err != nil {
		return fmt.Errorf("read change sequence: %w", err)
	}
	return s.insertRows(ctx, tx, `INSERT INTO changes (seq, at, type, record_id, kind, subject_id, region, list_type, grade_from, grade_to) VALUES `,
		10, len(evs), func(i int) []any {
			e := evs[i]
			return []any{last + 1 + int64(i), e.At, string(e.Type), e.RecordID, e.Kind, e.SubjectID, e.Region, e.ListType, e.GradeFrom, e.GradeTo}
		})
}

// GetEvaluation implements store.EvaluationStore.
func (s *Store) GetEvaluation(ctx context.Context, subjectID int64, day string) (store.Evaluation, error) {
	e, err := scanEvaluation(s.R.QueryRowContext(ctx, `SELECT `+evaluationColumns+` FROM evaluations WHERE subject_id = $1 AND day <= $2`, subjectID, day))
	if err == nil {
		return e, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return e, err
	}
	e, err = scanHistory(s.R.QueryRowContext(ctx, `SELECT `+historyColumns+`
		WHERE h.subject_id = $1 AND h.day <= $2 AND h.until > $2 ORDER BY h.day DESC, h.id DESC LIMIT 1`, subjectID, day))
	return e, notFound(err, fmt.Sprintf("evaluation of subject %d on %s", subjectID, day))
}

const historyColumns = `h.subject_id, COALESCE(e.class, ''), COALESCE(e.region, ''), h.day, h.model, h.score, h.grade, h.contributions, h.run_id, h.at, h.until
	FROM evaluation_history h LEFT JOIN evaluations e ON e.subject_id = h.subject_id`

func scanHistory(row scanner) (store.Evaluation, error) {
	var e store.Evaluation
	var contrib string
	err := row.Scan(&e.SubjectID, &e.Class, &e.Region, &e.Day, &e.Model, &e.Score, &e.Grade, &contrib, &e.RunID, &e.At, &e.Until)
	e.Contributions, e.At = []byte(contrib), e.At.UTC()
	return e, err
}

// EvaluationHistory implements store.EvaluationStore.
func (s *Store) EvaluationHistory(ctx context.Context, subjectID int64) ([]store.Evaluation, error) {
	var out []store.Evaluation
	e, err := scanEvaluation(s.R.QueryRowContext(ctx, `SELECT `+evaluationColumns+` FROM evaluations WHERE subject_id = $1`, subjectID))
	switch {
	case err == nil:
		out = append(out, e)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	rows, err := s.R.QueryContext(ctx, `SELECT `+historyColumns+` WHERE h.subject_id = $1 ORDER BY h.day DESC, h.id DESC`, subjectID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanHistory(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EvaluationsOf implements store.EvaluationStore.
func (s *Store) EvaluationsOf(ctx context.Context, ids []int64) (map[int64]store.Evaluation, error) {
	list, err := store.ReadChunks(ctx, ids, func(ctx context.Context, chunk []int64) ([]store.Evaluation, error) {
		q, args := inInts("subject_id", chunk)
		rows, err := s.R.QueryContext(ctx, `SELECT `+evaluationColumns+` FROM evaluations WHERE `+q, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []store.Evaluation
		for rows.Next() {
			e, err := scanEvaluation(rows)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, rows.Err()
	})
	if err != nil {
		return nil, err
	}
	m := make(map[int64]store.Evaluation, len(list))
	for _, e := range list {
		m[e.SubjectID] = e
	}
	return m, nil
}

// regionRange is the condition "region starts with prefix" as a range
// (which an index serves on both engines, unlike LIKE), with its
// arguments numbered from n.
func regionRange(col, prefix string, n int) (string, []any) {
	if prefix == "" {
		return "1 = 1", nil
	}
	hi := prefix[:len(prefix)-1] + string(prefix[len(prefix)-1]+1)
	return fmt.Sprintf("%s >= $%d AND %s < $%d", col, n, col, n+1), []any{prefix, hi}
}

// GradeCounts implements store.EvaluationStore.
func (s *Store) GradeCounts(ctx context.Context, f store.GradeFilter) (map[string]int, error) {
	cond, args := regionRange("region", f.Region, 1)
	rows, err := s.R.QueryContext(ctx, `SELECT grade, COUNT(*) FROM evaluations WHERE `+cond+` GROUP BY grade`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var g string
		var n int
		if err := rows.Scan(&g, &n); err != nil {
			return nil, err
		}
		out[g] = n
	}
	return out, rows.Err()
}

// ListEvaluations implements store.EvaluationStore.
func (s *Store) ListEvaluations(ctx context.Context, f store.GradeFilter) ([]store.GradedSubject, error) {
	cond, args := regionRange("e.region", f.Region, 1)
	if f.Grade != "" {
		args = append(args, f.Grade)
		cond += fmt.Sprintf(" AND e.grade = $%d", len(args))
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	args = append(args, limit, max(f.Offset, 0))
	rows, err := s.R.QueryContext(ctx, `SELECT e.subject_id, e.class, e.region, e.day, e.model, e.score, e.grade, e.due, e.run_id, e.at,
		s.name, COALESCE(s.uscc, ''), COALESCE(s.reg_no, '')
		FROM evaluations e JOIN subjects s ON s.id = e.subject_id WHERE `+cond+
		fmt.Sprintf(` ORDER BY e.subject_id LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.GradedSubject
	for rows.Next() {
		var g store.GradedSubject
		e := &g.Evaluation
		if err := rows.Scan(&e.SubjectID, &e.Class, &e.Region, &e.Day, &e.Model, &e.Score, &e.Grade, &e.Due, &e.RunID, &e.At,
			&g.Subject.Name, &g.Subject.USCC, &g.Subject.RegNo); err != nil {
			return nil, err
		}
		e.At = e.At.UTC()
		g.Subject.ID, g.Subject.Class, g.Subject.Region = e.SubjectID, e.Class, e.Region
		out = append(out, g)
	}
	return out, rows.Err()
}

// EvaluationChanges implements store.EvaluationStore.
func (s *Store) EvaluationChanges(ctx context.Context, cur store.EvalCursor, limit int) ([]int64, store.EvalCursor, error) {
	next := cur
	var ids []int64
	read := func(q string, arg any, advance func(v any)) error {
		rows, err := s.R.QueryContext(ctx, q, arg, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var at time.Time
			var seq int64
			var v any
			switch arg.(type) {
			case time.Time:
				if err := rows.Scan(&at, &id); err != nil {
					return err
				}
				v = at.UTC()
			default:
				if err := rows.Scan(&seq, &id); err != nil {
					return err
				}
				v = seq
			}
			ids = append(ids, id)
			advance(v)
		}
		return rows.Err()
	}
	steps := []struct {
		q   string
		arg any
		adv func(v any)
	}{
		{`SELECT id, subject_id FROM records WHERE id > $1 ORDER BY id LIMIT $2`, cur.Record, func(v any) { next.Record = v.(int64) }},
		{`SELECT v.replaced_at, r.subject_id FROM record_versions v JOIN records r ON r.id = v.record_id
			WHERE v.replaced_at > $1 ORDER BY v.replaced_at LIMIT $2`, cur.Version, func(v any) { next.Version = v.(time.Time) }},
		{`SELECT seq, subject_id FROM changes WHERE seq > $1 AND type <> 'grade' ORDER BY seq LIMIT $2`, cur.Change, func(v any) { next.Change = v.(int64) }},
		{`SELECT updated_at, subject_id FROM commitments WHERE updated_at > $1 ORDER BY updated_at LIMIT $2`, cur.Commitment,
			func(v any) { next.Commitment = v.(time.Time) }},
		{`SELECT updated_at, subject_id FROM objections WHERE updated_at > $1 ORDER BY updated_at LIMIT $2`, cur.Objection,
			func(v any) { next.Objection = v.(time.Time) }},
	}
	for _, st := range steps {
		if err := read(st.q, st.arg, st.adv); err != nil {
			return nil, cur, fmt.Errorf("evaluation changes: %w", err)
		}
	}
	return ids, next, nil
}

// EvaluationsDue implements store.EvaluationStore.
func (s *Store) EvaluationsDue(ctx context.Context, day string, limit int) ([]int64, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT subject_id FROM evaluations WHERE due <> '' AND due <= $1 ORDER BY due LIMIT $2`, day, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// evaluationCursorSetting names the follower's cursor in settings.
const evaluationCursorSetting = "evaluation.cursor"

// EvaluationCursor implements store.EvaluationStore.
func (s *Store) EvaluationCursor(ctx context.Context) (store.EvalCursor, bool, error) {
	var c store.EvalCursor
	var v string
	err := s.R.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = $1`, evaluationCursorSetting).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, err
	}
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		return c, false, fmt.Errorf("setting %s: %w", evaluationCursorSetting, err)
	}
	return c, true, nil
}

// SetEvaluationCursor implements store.EvaluationStore.
func (s *Store) SetEvaluationCursor(ctx context.Context, c store.EvalCursor) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = s.W.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
		evaluationCursorSetting, string(b))
	return err
}

// EvaluationHeads implements store.EvaluationStore. Times are read as
// columns (ORDER BY … DESC LIMIT 1), not as MAX(): SQLite gives an
// aggregate no column type, so the driver would not read it as a time.
func (s *Store) EvaluationHeads(ctx context.Context) (store.EvalCursor, error) {
	var c store.EvalCursor
	if err := s.R.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM records`).Scan(&c.Record); err != nil {
		return c, err
	}
	if err := s.R.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&c.Change); err != nil {
		return c, err
	}
	for _, t := range []struct {
		q  string
		to *time.Time
	}{
		{`SELECT replaced_at FROM record_versions ORDER BY replaced_at DESC LIMIT 1`, &c.Version},
		{`SELECT updated_at FROM commitments ORDER BY updated_at DESC LIMIT 1`, &c.Commitment},
		{`SELECT updated_at FROM objections ORDER BY updated_at DESC LIMIT 1`, &c.Objection},
	} {
		var v time.Time
		switch err := s.R.QueryRowContext(ctx, t.q).Scan(&v); {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return c, err
		default:
			*t.to = v.UTC()
		}
	}
	return c, nil
}
