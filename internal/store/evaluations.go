package store

import (
	"bytes"
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// ChangeGrade: a subject's public credit grade (公共信用综合评价) changed;
// appended by SaveEvaluations with the grade before and after. A first
// grade raises none.
const ChangeGrade ChangeType = "grade"

// EvalSubject is a subject as the evaluation reads it.
type EvalSubject struct {
	ID     int64
	Class  credit.Class
	Region string
}

// EvalCommitment is a commitment of the registry as the evaluation counts
// it.
type EvalCommitment struct {
	ID         int64
	SubjectID  int64
	Code       string // 承诺编码
	Status     string // 承诺履行状态 ("" until assessed)
	AssessedOn string // YYYY-MM-DD
	Public     bool   // 公开类型 allows showing it to everyone
}

// EvalObjection is a subject's own objection as the evaluation counts it.
type EvalObjection struct {
	ID        int64
	SubjectID int64
	RecordID  int64
	// Upheld: decided 维持 (the record stays), finally.
	Upheld    bool
	DecidedOn string // YYYY-MM-DD (China) of the last update
	Body      []byte `json:"-"` // the case as stored, for the evaluation to read the outcome
}

// EvalWants says what an evaluation input holds besides subjects.
type EvalWants struct {
	Classes     []credit.Class // subjects of these classes (never persons)
	Kinds       []string       // records of these kinds (nil: all)
	Commitments bool
	Objections  bool
}

// EvalInput is what the evaluation of some subjects reads: the subjects in
// id order and their current records (as SubjectsRecords returns them,
// with RepairedOn), commitments and objections.
type EvalInput struct {
	Subjects    []EvalSubject
	Records     []Record
	Commitments []EvalCommitment
	Objections  []EvalObjection
}

// Evaluation is a stored evaluation result.
type Evaluation struct {
	SubjectID     int64
	Class         credit.Class
	Region        string
	Day           string // YYYY-MM-DD: the day it was made for
	Model         string // the model's key
	Score         int
	Grade         string
	Contributions []byte // the evaluation package's encoding
	Due           string // first day it may change with time alone ("" none)
	RunID         int64  // 0 when made by the follower of changed records
	At            time.Time
	// Until is set on results of the history: the day the next result
	// replaced it.
	Until string
}

// Same reports whether two results say the same (score, grade, model and
// contributions); the day and due day do not count.
func (e Evaluation) Same(o Evaluation) bool {
	return e.Score == o.Score && e.Grade == o.Grade && e.Model == o.Model && bytes.Equal(e.Contributions, o.Contributions)
}

// Run states, of evaluation runs and of integrity runs (which are running
// or done, never abandoned).
const (
	RunRunning   = "running"
	RunDone      = "done"
	RunAbandoned = "abandoned"
)

// EvaluationLease is how long an unfinished run's heartbeat holds it for
// its owner: a run silent for longer is taken over (its process died).
const EvaluationLease = 2 * time.Minute

// EvaluationRun is one evaluation of every subject on a day, under a
// model. Cursor is the last subject id done: a run killed midway resumes
// after it.
type EvaluationRun struct {
	ID         int64
	Day        string
	Model      string
	Cause      string // why it was started: cli, monthly, model
	State      string
	Owner      string // host:pid of the process running it
	StartedAt  time.Time
	FinishedAt time.Time
	Heartbeat  time.Time
	Cursor     int64
	Subjects   int // evaluated so far
	Changed    int // results that differ from the subject's previous one
	Regraded   int // grade changes (events appended)
	// Resumed is set by StartEvaluationRun when it resumed an unfinished
	// run (not stored).
	Resumed bool
}

// EvaluationModelRow is a model as stored: every result names one.
type EvaluationModelRow struct {
	Key     string
	Version string
	Name    string
	Body    []byte
	Created time.Time
}

// EvaluationWrite is one transaction of results: the results, and for a
// run its id and the cursor to record (the last subject id covered).
type EvaluationWrite struct {
	Run     *EvaluationRun // nil: results of the follower
	Cursor  int64
	Results []Evaluation
}

// EvaluationSaved counts what SaveEvaluations did.
type EvaluationSaved struct {
	New       int // first result of a subject
	Changed   int // the previous result kept in the history, the new one current
	Regraded  int // of which the grade changed (a change event each)
	Unchanged int // same result: only its due day updated
}

// PlanEvaluations decides, for results in subject order and the current
// results of the same subjects, which rows to write: a new current row, a
// current row moved to the history (ending on the new result's day) with
// the new one current, and grade change events; an unchanged result
// updates only the due day, so that a result keeps the day it was first
// made (as_of lookups depend on it).
func PlanEvaluations(current map[int64]Evaluation, results []Evaluation, now time.Time) EvaluationPlan {
	var p EvaluationPlan
	for _, r := range results {
		r.At = now
		cur, ok := current[r.SubjectID]
		switch {
		case !ok:
			p.Upsert = append(p.Upsert, r)
			p.Saved.New++
		case cur.Same(r):
			if cur.Due != r.Due {
				p.Due = append(p.Due, r)
			}
			p.Saved.Unchanged++
		default:
			cur.Until = r.Day
			p.History = append(p.History, cur)
			p.Upsert = append(p.Upsert, r)
			p.Saved.Changed++
			if cur.Grade != r.Grade {
				p.Events = append(p.Events, ChangeEvent{At: now, Type: ChangeGrade, SubjectID: r.SubjectID, Region: r.Region,
					GradeFrom: cur.Grade, GradeTo: r.Grade})
				p.Saved.Regraded++
			}
		}
		current[r.SubjectID] = r
	}
	return p
}

// EvaluationPlan is what a write of results does, decided once for both
// drivers.
type EvaluationPlan struct {
	Upsert  []Evaluation // new current rows
	History []Evaluation // replaced current rows, with Until
	Due     []Evaluation // unchanged: only the due day
	Events  []ChangeEvent
	Saved   EvaluationSaved
}

// EvalCursor is how far the follower of changes has read: the last
// record id, version replacement time, change-feed sequence (repairs),
// commitment and objection update time.
type EvalCursor struct {
	Record     int64     `json:"record"`
	Version    time.Time `json:"version"`
	Change     int64     `json:"change"`
	Commitment time.Time `json:"commitment"`
	Objection  time.Time `json:"objection"`
}

// GradeFilter narrows GradeCounts and ListEvaluations.
type GradeFilter struct {
	Region string // prefix of the subject's region code ("" all)
	Grade  string // "" all
	Offset int
	Limit  int
}

// GradedSubject is a subject with its current evaluation (without
// contributions).
type GradedSubject struct {
	Evaluation
	Subject credit.Subject
}

// EvaluationStore keeps evaluation models, runs and results.
type EvaluationStore interface {
	// PutEvaluationModel stores a model unless one with its key is
	// stored.
	PutEvaluationModel(ctx context.Context, m EvaluationModelRow) error
	// GetEvaluationModel returns a stored model by key.
	GetEvaluationModel(ctx context.Context, key string) (EvaluationModelRow, error)
	// StartEvaluationRun resumes the unfinished run of the same day and
	// model (true) when its owner is r.Owner, is gone (gone(owner), nil
	// for none: the caller knows a process of its own host that died) or
	// its heartbeat is older than EvaluationLease, or starts one;
	// unfinished runs of another day or model whose owner is not alive are
	// abandoned. A run of the same day and model held by a live owner is a
	// conflict.
	StartEvaluationRun(ctx context.Context, r EvaluationRun, gone func(owner string) bool) (EvaluationRun, bool, error)
	// FinishEvaluationRun marks a run done with its counts.
	FinishEvaluationRun(ctx context.Context, r EvaluationRun) error
	// EvaluationRuns lists runs, newest first.
	EvaluationRuns(ctx context.Context, limit int) ([]EvaluationRun, error)
	// EvaluationSubjects reads up to limit subjects with ids after
	// after, in id order, and returns those of the classes and the
	// highest id read (of any class; 0 when none was left).
	EvaluationSubjects(ctx context.Context, after int64, limit int, classes []credit.Class) ([]EvalSubject, int64, error)
	// EvaluationRecords calls fn with each current record with an id in
	// (after, upTo] of the kinds (nil: all), read by one range scan of the
	// records' key: a run of every subject reads all records in windows,
	// several at once. The record is reused for the next one and its
	// Fields are valid only until fn returns (they are the driver's
	// buffer): fn keeps nothing of it.
	EvaluationRecords(ctx context.Context, after, upTo int64, kinds []string, fn func(r *Record) error) error
	// EvaluationExtras reads every assessed commitment and decided
	// objection, as w asks.
	EvaluationExtras(ctx context.Context, w EvalWants) (EvalInput, error)
	// EvaluationInputOf reads the given subjects (of w.Classes: others
	// are left out) and their facts: what re-evaluating a few needs.
	EvaluationInputOf(ctx context.Context, ids []int64, w EvalWants) (EvalInput, error)
	// SaveEvaluations writes results in one transaction (PlanEvaluations
	// against the current rows read in it), their grade change events,
	// and for a run its cursor, counts and heartbeat.
	SaveEvaluations(ctx context.Context, w EvaluationWrite) (EvaluationSaved, error)
	// GetEvaluation returns the subject's result in force on day
	// (YYYY-MM-DD): the current one when made on or before day, else the
	// history's; ErrNotFound when none.
	GetEvaluation(ctx context.Context, subjectID int64, day string) (Evaluation, error)
	// EvaluationHistory returns every result of a subject, newest first.
	EvaluationHistory(ctx context.Context, subjectID int64) ([]Evaluation, error)
	// EvaluationsOf returns the current results of subjects.
	EvaluationsOf(ctx context.Context, ids []int64) (map[int64]Evaluation, error)
	// GradeCounts counts current results by grade.
	GradeCounts(ctx context.Context, f GradeFilter) (map[string]int, error)
	// ListEvaluations lists current results with their subjects, by
	// subject id.
	ListEvaluations(ctx context.Context, f GradeFilter) ([]GradedSubject, error)
	// EvaluationChanges returns the subjects whose facts changed after
	// cur (new records, new versions, repairs and their revocation,
	// assessed commitments, objections), up to about limit, and the
	// cursor to read on from.
	EvaluationChanges(ctx context.Context, cur EvalCursor, limit int) ([]int64, EvalCursor, error)
	// EvaluationHeads is the cursor past every fact stored now (where a
	// follower starts when a full run covers what came before).
	EvaluationHeads(ctx context.Context) (EvalCursor, error)
	// EvaluationsDue returns up to limit subjects whose current result is
	// due on or before day.
	EvaluationsDue(ctx context.Context, day string, limit int) ([]int64, error)
	// EvaluationCursor and SetEvaluationCursor keep the follower's cursor.
	EvaluationCursor(ctx context.Context) (EvalCursor, bool, error)
	SetEvaluationCursor(ctx context.Context, c EvalCursor) error
}
