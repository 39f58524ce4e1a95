package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

func evaluationTests() []namedTest {
	return []namedTest{
		{"EvaluationInput", testEvaluationInput},
		{"EvaluationResults", testEvaluationResults},
		{"EvaluationRuns", testEvaluationRuns},
		{"EvaluationFollower", testEvaluationFollower},
	}
}

var orgsAndSole = store.EvalWants{Classes: []credit.Class{credit.ClassOrg, credit.ClassSole}}

// evalSubjects files n penalties about n organisations of region 610113
// and one about a person, and returns the organisations' ids in order.
func evalSubjects(t *testing.T, s store.Store, n int) []int64 {
	t.Helper()
	b := startBatch(t, s, "")
	var recs []store.RecordInput
	for i := range n {
		recs = append(recs, badPenalty(i, "610113", "罚款"))
	}
	person := penalty(90, "罚款")
	person.Subject = credit.Subject{Class: credit.ClassPerson, IDNumber: RIC("610113", "19900101", 123), Name: "张三"}
	person.Identity += "|p"
	recs = append(recs, person)
	out := put(t, s, b.ID, recs...)
	var ids []int64
	for _, o := range out[:n] {
		r, err := s.GetRecord(context.Background(), o.ID)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.SubjectID)
	}
	return ids
}

func testEvaluationInput(t *testing.T, h Harness) {
	ctx := context.Background()
	ids := evalSubjects(t, h.Store, 5)
	subs, last, err := h.Store.EvaluationSubjects(ctx, 0, 100, orgsAndSole.Classes)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, s := range subs {
		got = append(got, s.ID)
		if s.Region != "610113" || s.Class != credit.ClassOrg {
			t.Errorf("subject %+v", s)
		}
	}
	if !slices.Equal(got, ids) || last <= ids[4] {
		t.Fatalf("subjects %v (want %v), last %d: the person is read, not returned", got, ids, last)
	}
	// In pages: two subjects, then the rest.
	subs, last, err = h.Store.EvaluationSubjects(ctx, 0, 2, orgsAndSole.Classes)
	if err != nil || len(subs) != 2 || last != ids[1] {
		t.Fatalf("first page: %+v %d %v", subs, last, err)
	}
	subs, _, err = h.Store.EvaluationSubjects(ctx, last, 100, orgsAndSole.Classes)
	if err != nil || len(subs) != 3 || subs[0].ID != ids[2] {
		t.Fatalf("second page: %+v %v", subs, err)
	}
	if subs, last, err := h.Store.EvaluationSubjects(ctx, 1<<40, 100, orgsAndSole.Classes); err != nil || len(subs) != 0 || last != 0 {
		t.Fatalf("past the end: %+v %d %v", subs, last, err)
	}
	// Records by id windows: all six, then none of kind xk.
	heads, err := h.Store.EvaluationHeads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	read := func(after, upTo int64, kinds []string) []store.Record {
		t.Helper()
		var out []store.Record
		err := h.Store.EvaluationRecords(ctx, after, upTo, kinds, func(r *store.Record) error {
			c := *r
			c.Fields = slices.Clone(r.Fields)
			out = append(out, c)
			return nil
		})
		if err != nil {
			t.Fatalf("EvaluationRecords: %v", err)
		}
		return out
	}
	recs := read(0, heads.Record, nil)
	if len(recs) != 6 {
		t.Fatalf("records: %d", len(recs))
	}
	for _, r := range recs {
		if r.Kind != "cf" || string(r.Fields) == "" || r.Fields[0] != '{' || r.DecisionNo == "" || r.ReceivedAt.IsZero() || r.SubjectID == 0 ||
			r.State != store.StateActive {
			t.Errorf("record %+v", r)
		}
	}
	if part := read(recs[0].ID, recs[2].ID, []string{"cf"}); len(part) != 2 || part[0].ID != recs[1].ID {
		t.Errorf("window: %+v", part)
	}
	if none := read(0, heads.Record, []string{"xk"}); len(none) != 0 {
		t.Errorf("kind xk: %d", len(none))
	}
	stop := errors.New("stop")
	if err := h.Store.EvaluationRecords(ctx, 0, heads.Record, nil, func(*store.Record) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("fn's error: %v", err)
	}
	if ex, err := h.Store.EvaluationExtras(ctx, store.EvalWants{Commitments: true, Objections: true}); err != nil || len(ex.Records) != 0 ||
		len(ex.Commitments) != 0 || len(ex.Objections) != 0 {
		t.Errorf("extras %+v %v", ex, err)
	}
	var in store.EvalInput
	// By ids, kinds filtered.
	in, err = h.Store.EvaluationInputOf(ctx, []int64{ids[3], ids[1], 999999}, orgsAndSole)
	if err != nil || len(in.Subjects) != 2 || in.Subjects[0].ID != ids[1] || len(in.Records) != 2 {
		t.Fatalf("by ids: %+v %v", in, err)
	}
	in, err = h.Store.EvaluationInputOf(ctx, ids, store.EvalWants{Classes: orgsAndSole.Classes, Kinds: []string{"xk"}})
	if err != nil || len(in.Subjects) != 5 || len(in.Records) != 0 {
		t.Fatalf("kinds: %d subjects, %d records, %v", len(in.Subjects), len(in.Records), err)
	}
}

func result(id int64, day string, score int, grade string) store.Evaluation {
	return store.Evaluation{SubjectID: id, Class: credit.ClassOrg, Region: "610113", Day: day, Model: "2026.1/abc", Score: score, Grade: grade,
		Contributions: []byte(fmt.Sprintf(`[{"i":"x","p":%d,"r":[]}]`, score-1000))}
}

func testEvaluationResults(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	ids := evalSubjects(t, s, 3)
	const org = 1
	mustWatch(t, s, store.Watch{OrgID: org, Region: "6101"})
	_, since := feed(t, s, org, 0)

	saved, err := s.SaveEvaluations(ctx, store.EvaluationWrite{Results: []store.Evaluation{
		result(ids[0], "2026-11-01", 1000, "A"), result(ids[1], "2026-11-01", 960, "B"), result(ids[2], "2026-11-01", 550, "D")}})
	if err != nil || saved != (store.EvaluationSaved{New: 3}) {
		t.Fatalf("first save: %+v %v", saved, err)
	}
	// The same results a month later change nothing but the due day; the
	// result keeps the day it was made.
	same := result(ids[1], "2026-12-01", 960, "B")
	same.Due = "2027-01-05"
	saved, err = s.SaveEvaluations(ctx, store.EvaluationWrite{Results: []store.Evaluation{result(ids[0], "2026-12-01", 1000, "A"), same}})
	if err != nil || saved != (store.EvaluationSaved{Unchanged: 2}) {
		t.Fatalf("same again: %+v %v", saved, err)
	}
	e, err := s.GetEvaluation(ctx, ids[1], "2026-12-15")
	if err != nil || e.Day != "2026-11-01" || e.Due != "2027-01-05" || e.Grade != "B" || e.Model != "2026.1/abc" {
		t.Fatalf("after the same result: %+v %v", e, err)
	}
	// D becomes A on 2026-12-10; C→C with another score is changed, not
	// regraded.
	saved, err = s.SaveEvaluations(ctx, store.EvaluationWrite{Results: []store.Evaluation{
		result(ids[2], "2026-12-10", 1000, "A"), result(ids[1], "2026-12-10", 950, "B")}})
	if err != nil || saved != (store.EvaluationSaved{Changed: 2, Regraded: 1}) {
		t.Fatalf("changes: %+v %v", saved, err)
	}
	for _, c := range []struct {
		day, grade string
		score      int
		found      bool
	}{
		{"2026-10-31", "", 0, false},
		{"2026-11-01", "D", 550, true},
		{"2026-12-09", "D", 550, true},
		{"2026-12-10", "A", 1000, true},
		{"2027-06-01", "A", 1000, true},
	} {
		e, err := s.GetEvaluation(ctx, ids[2], c.day)
		switch {
		case !c.found && !errors.Is(err, store.ErrNotFound):
			t.Errorf("%s: %+v %v, want not found", c.day, e, err)
		case c.found && (err != nil || e.Grade != c.grade || e.Score != c.score):
			t.Errorf("%s: %+v %v, want %s %d", c.day, e, err, c.grade, c.score)
		}
	}
	hist, err := s.EvaluationHistory(ctx, ids[2])
	if err != nil || len(hist) != 2 || hist[0].Grade != "A" || hist[0].Until != "" || hist[1].Grade != "D" || hist[1].Until != "2026-12-10" ||
		string(hist[1].Contributions) != `[{"i":"x","p":-450,"r":[]}]` {
		t.Fatalf("history %+v %v", hist, err)
	}
	// The grade change is in the feed, with the grades.
	evs, _ := feed(t, s, org, since)
	if len(evs) != 1 || evs[0].Type != store.ChangeGrade || evs[0].SubjectID != ids[2] || evs[0].GradeFrom != "D" || evs[0].GradeTo != "A" ||
		evs[0].Region != "610113" || evs[0].Subject.Name == "" {
		t.Fatalf("feed %+v", evs)
	}
	// Lists by grade and region.
	counts, err := s.GradeCounts(ctx, store.GradeFilter{Region: "6101"})
	if err != nil || counts["A"] != 2 || counts["B"] != 1 || len(counts) != 2 {
		t.Errorf("counts %v %v", counts, err)
	}
	if counts, _ := s.GradeCounts(ctx, store.GradeFilter{Region: "6103"}); len(counts) != 0 {
		t.Errorf("another region: %v", counts)
	}
	list, err := s.ListEvaluations(ctx, store.GradeFilter{Region: "610113", Grade: "A"})
	if err != nil || len(list) != 2 || list[0].SubjectID != ids[0] || list[1].Subject.Name == "" || list[1].Subject.USCC == "" {
		t.Errorf("list %+v %v", list, err)
	}
	cur, err := s.EvaluationsOf(ctx, ids)
	if err != nil || len(cur) != 3 || cur[ids[1]].Score != 950 {
		t.Errorf("current %+v %v", cur, err)
	}
	due, err := s.EvaluationsDue(ctx, "2027-01-05", 10)
	if err != nil || len(due) != 0 {
		// ids[1]'s due day went with the result that replaced it.
		t.Errorf("due %v %v", due, err)
	}
	d := result(ids[0], "2026-12-20", 1000, "A")
	d.Due = "2027-01-01"
	if _, err := s.SaveEvaluations(ctx, store.EvaluationWrite{Results: []store.Evaluation{d}}); err != nil {
		t.Fatal(err)
	}
	if due, err := s.EvaluationsDue(ctx, "2027-01-01", 10); err != nil || !slices.Equal(due, []int64{ids[0]}) {
		t.Errorf("due on 2027-01-01: %v %v", due, err)
	}
	if due, _ := s.EvaluationsDue(ctx, "2026-12-31", 10); len(due) != 0 {
		t.Errorf("due before: %v", due)
	}
	// Models.
	m := store.EvaluationModelRow{Key: "2026.1/abc", Version: "2026.1", Name: "测试模型", Body: []byte(`{"version":"2026.1"}`)}
	for range 2 {
		if err := s.PutEvaluationModel(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetEvaluationModel(ctx, m.Key)
	if err != nil || string(got.Body) != string(m.Body) || got.Name != m.Name || got.Created.IsZero() {
		t.Errorf("model %+v %v", got, err)
	}
	if _, err := s.GetEvaluationModel(ctx, "none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing model: %v", err)
	}
}

func testEvaluationRuns(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	ids := evalSubjects(t, s, 2)
	r, resumed, err := s.StartEvaluationRun(ctx, store.EvaluationRun{Day: "2026-12-01", Model: "m/1", Cause: "cli", Owner: "a:1"}, nil)
	if err != nil || resumed || r.ID == 0 || r.State != store.RunRunning {
		t.Fatalf("start: %+v %v %v", r, resumed, err)
	}
	saved, err := s.SaveEvaluations(ctx, store.EvaluationWrite{Run: &r, Cursor: ids[0], Results: []store.Evaluation{result(ids[0], "2026-12-01", 1000, "A")}})
	if err != nil || saved.New != 1 {
		t.Fatalf("save in run: %+v %v", saved, err)
	}
	// Another process while the owner is alive: refused.
	if _, _, err := s.StartEvaluationRun(ctx, store.EvaluationRun{Day: "2026-12-01", Model: "m/1", Cause: "cli", Owner: "b:2"}, nil); !errors.Is(err, fault.Conflict) {
		t.Fatalf("a second owner: %v", err)
	}
	// An owner known to be gone (its process died on the caller's host):
	// taken over at once.
	gone, resumed, err := s.StartEvaluationRun(ctx, store.EvaluationRun{Day: "2026-12-01", Model: "m/1", Cause: "cli", Owner: "a:2"},
		func(owner string) bool { return owner == "a:1" })
	if err != nil || !resumed || gone.ID != r.ID || gone.Owner != "a:2" {
		t.Fatalf("gone owner: %+v %v %v", gone, resumed, err)
	}
	// The owner again (killed and re-run): resumed after its cursor.
	again, resumed, err := s.StartEvaluationRun(ctx, store.EvaluationRun{Day: "2026-12-01", Model: "m/1", Cause: "cli", Owner: "a:2"}, nil)
	if err != nil || !resumed || again.ID != r.ID || again.Cursor != ids[0] || again.Subjects != 1 {
		t.Fatalf("resume: %+v %v %v", again, resumed, err)
	}
	// A silent owner's run is taken over; a write of the old owner then
	// fails.
	if err := h.Exec(ctx, fmt.Sprintf(`UPDATE evaluation_runs SET heartbeat_at = '2000-01-01 00:00:00+00:00' WHERE id = %d`, r.ID)); err != nil {
		t.Fatal(err)
	}
	taken, resumed, err := s.StartEvaluationRun(ctx, store.EvaluationRun{Day: "2026-12-01", Model: "m/1", Cause: "monthly", Owner: "b:2"}, nil)
	if err != nil || !resumed || taken.ID != r.ID || taken.Owner != "b:2" {
		t.Fatalf("take over: %+v %v %v", taken, resumed, err)
	}
	if _, err := s.SaveEvaluations(ctx, store.EvaluationWrite{Run: &again, Cursor: ids[1], Results: []store.Evaluation{result(ids[1], "2026-12-01", 1000, "A")}}); !errors.Is(err, fault.Conflict) {
		t.Errorf("the old owner wrote on: %v", err)
	}
	if err := s.FinishEvaluationRun(ctx, taken); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishEvaluationRun(ctx, taken); !errors.Is(err, fault.Conflict) {
		t.Errorf("finished twice: %v", err)
	}
	// Another day's run abandons nothing alive but starts anew.
	next, resumed, err := s.StartEvaluationRun(ctx, store.EvaluationRun{Day: "2027-01-01", Model: "m/1", Cause: "monthly", Owner: "b:2"}, nil)
	if err != nil || resumed || next.ID == r.ID {
		t.Fatalf("next month: %+v %v %v", next, resumed, err)
	}
	runs, err := s.EvaluationRuns(ctx, 10)
	if err != nil || len(runs) != 2 || runs[0].ID != next.ID || runs[1].State != store.RunDone || runs[1].Subjects != 1 || runs[1].Cursor != ids[0] ||
		runs[1].FinishedAt.IsZero() {
		t.Errorf("runs %+v %v", runs, err)
	}
}

func testEvaluationFollower(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	if _, ok, err := s.EvaluationCursor(ctx); err != nil || ok {
		t.Fatalf("cursor before any: %v %v", ok, err)
	}
	ids := evalSubjects(t, s, 3)
	heads, err := s.EvaluationHeads(ctx)
	if err != nil || heads.Record == 0 {
		t.Fatalf("heads %+v %v", heads, err)
	}
	if err := s.SetEvaluationCursor(ctx, heads); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.EvaluationCursor(ctx)
	if err != nil || !ok || got.Record != heads.Record || got.Change != heads.Change {
		t.Fatalf("cursor %+v %v %v", got, ok, err)
	}
	if changed, next, err := s.EvaluationChanges(ctx, heads, 100); err != nil || len(changed) != 0 || next.Record != heads.Record {
		t.Fatalf("nothing new: %v %+v %v", changed, next, err)
	}
	// A new record of subject 0, a revoked record of subject 1.
	b := startBatch(t, s, "")
	lic := badPenalty(0, "610113", "罚款")
	lic.Kind, lic.Identity, lic.Bad = "xk", "xk|"+lic.Identity, false
	put(t, s, b.ID, lic)
	in, _ := s.EvaluationInputOf(ctx, ids[1:2], orgsAndSole)
	time.Sleep(2 * time.Millisecond)
	if err := s.SetRecordState(ctx, in.Records[0].ID, store.StateRevoked, "撤销"); err != nil {
		t.Fatal(err)
	}
	changed, next, err := s.EvaluationChanges(ctx, heads, 100)
	if err != nil || !slices.Contains(changed, ids[0]) || !slices.Contains(changed, ids[1]) || slices.Contains(changed, ids[2]) ||
		next.Record <= heads.Record || !next.Version.After(heads.Version) {
		t.Fatalf("changed %v (subjects %v), next %+v, %v", changed, ids, next, err)
	}
	if again, _, _ := s.EvaluationChanges(ctx, next, 100); len(again) != 0 {
		t.Errorf("read again after the cursor: %v", again)
	}
}
