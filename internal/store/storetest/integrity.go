package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
)

func integrityTests() []namedTest {
	return []namedTest{
		{"IntegrityRuns", testIntegrityRuns},
		{"IntegrityScopeFeedbackAlerts", testIntegrityScopeFeedbackAlerts},
	}
}

// integrityEvent is an integrity event (kind zwcx) about government body
// n, bad or good.
func integrityEvent(n int, bad bool) store.RecordInput {
	dept := USCC("11", "610000", 77)
	sub := credit.Subject{Class: credit.ClassGov, USCC: USCC("11", "610100", 500+n), Name: fmt.Sprintf("西安市测试%03d局", n), Region: "610100"}
	nature := "良好"
	if bad {
		nature = "不良"
	}
	f := map[string]string{"item": "拖欠民营企业账款、农民工工资", "nature": nature, "event_date": "2026-03-01", "subject_name": sub.Name}
	fields, _ := json.Marshal(f)
	return store.RecordInput{Kind: "zwcx", Identity: fmt.Sprintf("zwcx|%s|%s|%d", dept, sub.USCC, n), Subject: sub, SourceDept: dept,
		DecisionDate: "2026-03-01", Fields: fields, Content: fields, Bad: bad}
}

func testIntegrityRuns(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	out := put(t, s, startBatch(t, s, "").ID, integrityEvent(1, true), integrityEvent(2, false), penalty(3, "非政府机构"))
	bodies, err := s.GovernmentBodies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 2 || bodies[0].Class != credit.ClassGov || bodies[0].USCC == "" || bodies[0].Name == "" || bodies[0].ID == 0 ||
		bodies[0].CreatedAt.IsZero() {
		t.Fatalf("government bodies %+v", bodies)
	}
	r1, _ := s.GetRecord(ctx, out[0].ID)
	if r1.SubjectID != bodies[0].ID {
		t.Fatalf("record subject %d, bodies %+v", r1.SubjectID, bodies)
	}
	asOf := time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC)
	run := store.IntegrityRun{Month: "2026-10", Final: true, AsOf: asOf, Model: "m1", StartedBy: "cli"}
	got, resumed, err := s.StartIntegrityRun(ctx, run)
	if err != nil || resumed || got.State != store.RunRunning || !got.AsOf.Equal(asOf) || !got.Final || got.StartedAt.IsZero() {
		t.Fatalf("start %+v %v %v", got, resumed, err)
	}
	score := func(b credit.Subject, total int64, rank int) store.IntegrityScore {
		return store.IntegrityScore{Month: "2026-10", SubjectID: b.ID, USCC: b.USCC, Name: b.Name, Region: b.Region, Group: "city_dept",
			Total: total, Rank: rank, Peers: 2, Detail: []byte(`{"total":` + fmt.Sprint(total) + `}`)}
	}
	if err := s.PutIntegrityScores(ctx, []store.IntegrityScore{score(bodies[0], 8500, 2)}); err != nil {
		t.Fatal(err)
	}
	// Interrupted here: started again with the same model, the run resumes
	// with its own as-of time and the score written.
	again, resumed, err := s.StartIntegrityRun(ctx, store.IntegrityRun{Month: "2026-10", Final: true, AsOf: asOf.Add(time.Hour), Model: "m1", StartedBy: "serve"})
	if err != nil || !resumed || !again.AsOf.Equal(asOf) || again.StartedBy != "cli" {
		t.Fatalf("resume %+v %v %v", again, resumed, err)
	}
	if ids, err := s.IntegrityScored(ctx, "2026-10"); err != nil || !slices.Equal(ids, []int64{bodies[0].ID}) {
		t.Fatalf("scored %v %v", ids, err)
	}
	// A score written again replaces the first; a body no longer kept is
	// dropped when the run finishes.
	if err := s.PutIntegrityScores(ctx, []store.IntegrityScore{score(bodies[0], 8600, 1), score(bodies[1], 8000, 2)}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishIntegrityRun(ctx, "2026-10", []int64{bodies[0].ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishIntegrityRun(ctx, "2026-10", nil); !errors.Is(err, store.ErrConflict) {
		t.Errorf("finishing a finished run: %v", err)
	}
	done, err := s.GetIntegrityRun(ctx, "2026-10")
	if err != nil || done.State != store.RunDone || done.Bodies != 1 || done.FinishedAt.IsZero() {
		t.Fatalf("done %+v %v", done, err)
	}
	scores, err := s.IntegrityScores(ctx, "2026-10")
	if err != nil || len(scores) != 1 || scores[0].Total != 8600 || scores[0].Rank != 1 || string(scores[0].Detail) != `{"total":8600}` {
		t.Fatalf("scores %+v %v", scores, err)
	}
	// A later month, then the history of a body, oldest first.
	if _, _, err := s.StartIntegrityRun(ctx, store.IntegrityRun{Month: "2026-11", AsOf: asOf, Model: "m1", StartedBy: "cli"}); err != nil {
		t.Fatal(err)
	}
	nov := score(bodies[0], 9000, 1)
	nov.Month = "2026-11"
	if err := s.PutIntegrityScores(ctx, []store.IntegrityScore{nov}); err != nil {
		t.Fatal(err)
	}
	trends, err := s.IntegrityTrends(ctx, "2026-10", "2026-11")
	if err != nil || len(trends) != 2 || trends[0].Month != "2026-10" || trends[0].Bodies != 1 || trends[0].Sum != 8600 ||
		trends[1].Month != "2026-11" || trends[1].Min != 9000 || trends[1].Max != 9000 || trends[1].Group != "city_dept" {
		t.Fatalf("trends %+v %v", trends, err)
	}
	hist, err := s.IntegrityHistory(ctx, bodies[0].ID)
	if err != nil || len(hist) != 2 || hist[0].Month != "2026-10" || hist[1].Total != 9000 {
		t.Fatalf("history %+v %v", hist, err)
	}
	runs, err := s.IntegrityRuns(ctx)
	if err != nil || len(runs) != 2 || runs[0].Month != "2026-11" || runs[0].State != store.RunRunning || runs[0].Final {
		t.Fatalf("runs %+v %v", runs, err)
	}
	// A finished month run again starts afresh: its scores go until
	// written again. Another model restarts an unfinished run likewise.
	rerun, resumed, err := s.StartIntegrityRun(ctx, store.IntegrityRun{Month: "2026-10", Final: true, AsOf: asOf, Model: "m1", StartedBy: "cli"})
	if err != nil || resumed || rerun.State != store.RunRunning || !rerun.FinishedAt.IsZero() {
		t.Fatalf("rerun %+v %v %v", rerun, resumed, err)
	}
	if ids, _ := s.IntegrityScored(ctx, "2026-10"); len(ids) != 0 {
		t.Errorf("a re-run kept scores %v", ids)
	}
	if _, resumed, err := s.StartIntegrityRun(ctx, store.IntegrityRun{Month: "2026-11", AsOf: asOf, Model: "m2", StartedBy: "cli"}); err != nil || resumed {
		t.Fatalf("another model resumed: %v %v", resumed, err)
	}
	if ids, _ := s.IntegrityScored(ctx, "2026-11"); len(ids) != 0 {
		t.Errorf("another model kept scores %v", ids)
	}
	if _, err := s.GetIntegrityRun(ctx, "2020-01"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing run: %v", err)
	}
}

func testIntegrityScopeFeedbackAlerts(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	root, err := s.RootOrg(ctx, "平台")
	if err != nil {
		t.Fatal(err)
	}
	audit := auth.AuditEntry{Actor: "system:test", Action: auth.AuditIntegrity, Outcome: "scope"}
	prov, err := s.CreateOrg(ctx, auth.Org{ParentID: root.ID, Kind: auth.Region, Name: "陕西省", Region: "610000"}, audit)
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.AddIntegrityScope(ctx, store.IntegrityScopeEntry{OrgID: prov.ID, Cover: "departments", Depth: "level"}, audit)
	if err != nil || e.ID == 0 || e.Created.IsZero() {
		t.Fatalf("add scope %+v %v", e, err)
	}
	if _, err := s.AddIntegrityScope(ctx, store.IntegrityScopeEntry{OrgID: prov.ID, Cover: "departments", Depth: "level"}, audit); !errors.Is(err, store.ErrExists) {
		t.Errorf("the same entry twice: %v", err)
	}
	if _, err := s.AddIntegrityScope(ctx, store.IntegrityScopeEntry{OrgID: prov.ID, Cover: "everything", Depth: "level"}, audit); err == nil {
		t.Error("an unknown cover stored")
	}
	entries, err := s.IntegrityScope(ctx)
	if err != nil || len(entries) != 1 || entries[0].OrgID != prov.ID || entries[0].Cover != "departments" || entries[0].Depth != "level" {
		t.Fatalf("scope %+v %v", entries, err)
	}
	if err := s.RemoveIntegrityScope(ctx, e.ID, audit); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveIntegrityScope(ctx, e.ID, audit); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removed twice: %v", err)
	}
	trail, err := s.ListAudit(ctx, store.AuditFilter{})
	n := 0
	for _, a := range trail {
		if a.Action == auth.AuditIntegrity && a.Target == fmt.Sprintf("integrity.scope:%d", e.ID) {
			n++
		}
	}
	if err != nil || n != 2 {
		t.Errorf("audit entries of the scope: %d %v", n, err)
	}

	// Feedback on events, oldest first.
	out := put(t, s, startBatch(t, s, "").ID, integrityEvent(1, true), integrityEvent(2, true), integrityEvent(3, false))
	r1, _ := s.GetRecord(ctx, out[0].ID)
	fb := store.IntegrityFeedback{RecordID: out[0].ID, SubjectID: r1.SubjectID, Result: "正在整改", Text: "已制定还款计划", Actor: "user:3:zhang", OrgID: prov.ID}
	f1, err := s.AddIntegrityFeedback(ctx, fb, auth.AuditEntry{Actor: "user:3:zhang", Action: auth.AuditIntegrity, Outcome: "feedback", SubjectID: r1.SubjectID})
	if err != nil || f1.ID == 0 || f1.At.IsZero() {
		t.Fatalf("feedback %+v %v", f1, err)
	}
	fb.Result, fb.Text = "已整改", "已全部偿还"
	if _, err := s.AddIntegrityFeedback(ctx, fb, auth.AuditEntry{Actor: "user:3:zhang", Action: auth.AuditIntegrity, Outcome: "feedback"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.IntegrityFeedbackOf(ctx, []int64{out[0].ID, out[1].ID})
	if err != nil || len(got) != 2 || got[0].Result != "正在整改" || got[1].Text != "已全部偿还" || got[1].OrgID != prov.ID {
		t.Fatalf("feedback of records %+v %v", got, err)
	}

	// The change feed by kind: the two bad events, not the good one.
	evs, next, err := s.KindChanges(ctx, 0, []string{"zwcx"}, 100)
	if err != nil || len(evs) != 2 || evs[0].RecordID != out[0].ID || evs[1].RecordID != out[1].ID || evs[0].Type != store.ChangeBadRecord ||
		evs[0].Subject.Class != credit.ClassGov {
		t.Fatalf("kind changes %+v %d %v", evs, next, err)
	}
	if more, again, err := s.KindChanges(ctx, next, []string{"zwcx"}, 100); err != nil || len(more) != 0 || again != next {
		t.Errorf("after the cursor: %+v %d %v", more, again, err)
	}
	if evs, _, _ := s.KindChanges(ctx, 0, []string{"cf"}, 100); len(evs) != 0 {
		t.Errorf("another kind: %+v", evs)
	}
	// Alerts: once per record.
	alerts := []store.IntegrityAlert{{RecordID: out[0].ID, SubjectID: r1.SubjectID, Item: "拖欠民营企业账款、农民工工资", EventDate: "2026-03-01"}}
	if n, err := s.AddIntegrityAlerts(ctx, alerts); err != nil || n != 1 {
		t.Fatalf("alerts %d %v", n, err)
	}
	r2, _ := s.GetRecord(ctx, out[1].ID)
	alerts = append(alerts, store.IntegrityAlert{RecordID: out[1].ID, SubjectID: r2.SubjectID, Item: "拖欠民营企业账款、农民工工资", EventDate: "2026-03-01"})
	if n, err := s.AddIntegrityAlerts(ctx, alerts); err != nil || n != 1 {
		t.Fatalf("alerts again %d %v", n, err)
	}
	all, err := s.IntegrityAlerts(ctx, 0, 10)
	if err != nil || len(all) != 2 || all[0].RecordID != out[1].ID || all[1].At.IsZero() {
		t.Fatalf("all alerts %+v %v", all, err)
	}
	mine, err := s.IntegrityAlerts(ctx, r1.SubjectID, 10)
	if err != nil || len(mine) != 1 || mine[0].RecordID != out[0].ID || mine[0].Item == "" || mine[0].EventDate != "2026-03-01" {
		t.Fatalf("a body's alerts %+v %v", mine, err)
	}
}
