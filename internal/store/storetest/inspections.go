package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

func inspectionTests() []namedTest {
	return []namedTest{
		{"InspectionSetup", testInspectionSetup},
		{"InspectionTasks", testInspectionTasks},
	}
}

var inspectAudit = auth.AuditEntry{Actor: "user:1:test", Action: auth.AuditInspection, Outcome: "test"}

func testInspectionSetup(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	tr := buildTree(t, s)
	ids := evalSubjects(t, s, 2)
	// Plans.
	if _, err := s.GetSupervisionPlan(ctx, tr.deptA.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("plan before any: %v", err)
	}
	for _, body := range []string{`{"grades":[]}`, `{"grades":[{"grade":"A"}]}`} {
		if err := s.PutSupervisionPlan(ctx, store.SupervisionPlan{OrgID: tr.deptA.ID, Body: []byte(body), UpdatedBy: "user:1:test"}, inspectAudit); err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.GetSupervisionPlan(ctx, tr.deptA.ID)
	if err != nil || string(p.Body) != `{"grades":[{"grade":"A"}]}` || p.UpdatedBy != "user:1:test" || p.UpdatedAt.IsZero() {
		t.Fatalf("plan %+v %v", p, err)
	}
	// Items: codes unique per department.
	it, err := s.AddInspectionItem(ctx, store.InspectionItem{OrgID: tr.deptA.ID, Code: "SX-01", Name: "食品经营许可事项检查", Basis: "《食品安全法》"}, inspectAudit)
	if err != nil || it.ID == 0 {
		t.Fatalf("item %+v %v", it, err)
	}
	if _, err := s.AddInspectionItem(ctx, store.InspectionItem{OrgID: tr.deptA.ID, Code: "SX-01", Name: "x", Basis: "y"}, inspectAudit); !errors.Is(err, fault.Exists) {
		t.Errorf("same code again: %v", err)
	}
	if _, err := s.AddInspectionItem(ctx, store.InspectionItem{OrgID: tr.deptB.ID, Code: "SX-01", Name: "x", Basis: "y"}, inspectAudit); err != nil {
		t.Errorf("same code in another department: %v", err)
	}
	if items, err := s.InspectionItems(ctx, tr.deptA.ID); err != nil || len(items) != 1 || items[0].Name != it.Name {
		t.Errorf("items %+v %v", items, err)
	}
	// Inspectors and conflicts.
	a, err := s.AddInspector(ctx, store.Inspector{OrgID: tr.deptA.ID, Name: "王检查", Badge: "61010001", UserID: 9, Active: true}, inspectAudit)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.AddInspector(ctx, store.Inspector{OrgID: tr.deptA.ID, Name: "李检查", Badge: "61010002", Active: true}, inspectAudit)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddInspector(ctx, store.Inspector{OrgID: tr.deptA.ID, Name: "重复", Badge: "61010002", Active: true}, inspectAudit); !errors.Is(err, fault.Exists) {
		t.Errorf("same badge: %v", err)
	}
	if err := s.SetInspectorConflict(ctx, b.ID, store.InspectorConflict{SubjectID: ids[0], Reason: "近亲属任职"}, false, inspectAudit); err != nil {
		t.Fatal(err)
	}
	if err := s.SetInspectorConflict(ctx, b.ID, store.InspectorConflict{SubjectID: ids[1], Reason: "曾任职"}, false, inspectAudit); err != nil {
		t.Fatal(err)
	}
	if err := s.SetInspectorConflict(ctx, b.ID, store.InspectorConflict{SubjectID: ids[1]}, true, inspectAudit); err != nil {
		t.Fatal(err)
	}
	b.Active = false
	if err := s.UpdateInspector(ctx, b, inspectAudit); err != nil {
		t.Fatal(err)
	}
	pool, err := s.Inspectors(ctx, tr.deptA.ID)
	if err != nil || len(pool) != 2 || pool[0].ID != a.ID || pool[0].UserID != 9 || !pool[0].Active || pool[1].Active ||
		len(pool[1].Conflicts) != 1 || pool[1].Conflicts[0].SubjectID != ids[0] || pool[1].Conflicts[0].Reason != "近亲属任职" ||
		!strings.HasPrefix(pool[1].Conflicts[0].Code, "91610113") || pool[1].Conflicts[0].Name == "" {
		t.Fatalf("pool %+v %v", pool, err)
	}
	got, err := s.GetInspector(ctx, b.ID)
	if err != nil || len(got.Conflicts) != 1 || got.Badge != "61010002" {
		t.Errorf("inspector %+v %v", got, err)
	}
	if _, err := s.GetInspector(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing inspector: %v", err)
	}
	// Every change is in the audit trail.
	entries, err := s.ListAudit(ctx, store.AuditFilter{Actions: []string{auth.AuditInspection}})
	if err != nil || len(entries) < 9 {
		t.Errorf("%d audit entries, %v", len(entries), err)
	}
}

func testInspectionTasks(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	tr := buildTree(t, s)
	ids := evalSubjects(t, s, 4)
	// Grades for two of the subjects.
	if _, err := s.SaveEvaluations(ctx, store.EvaluationWrite{Results: []store.Evaluation{result(ids[0], "2026-12-01", 1000, "A"), result(ids[1], "2026-12-01", 550, "D")}}); err != nil {
		t.Fatal(err)
	}
	pop, err := s.InspectionPopulation(ctx, store.PopulationFilter{Region: "6101", Classes: []credit.Class{credit.ClassOrg}})
	if err != nil || len(pop) != 4 {
		t.Fatalf("population %+v %v", pop, err)
	}
	if !slices.IsSortedFunc(pop, func(a, b store.PopulationMember) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("population not ordered by code")
	}
	grade := map[int64]string{}
	for _, m := range pop {
		grade[m.SubjectID] = m.Grade
	}
	if grade[ids[0]] != "A" || grade[ids[1]] != "D" || grade[ids[2]] != "" {
		t.Errorf("grades %v", grade)
	}
	for _, f := range []store.PopulationFilter{
		{Region: "6103", Classes: []credit.Class{credit.ClassOrg}},
		{Region: "6101", Classes: []credit.Class{credit.ClassSole}},
		{Region: "6101", Classes: []credit.Class{credit.ClassOrg}, Keywords: []string{"不存在的行业"}},
		{Region: "6101", Classes: []credit.Class{credit.ClassOrg}, LicensedBy: tr.deptA.USCC},
	} {
		if got, err := s.InspectionPopulation(ctx, f); err != nil || len(got) != 0 {
			t.Errorf("%+v: %d %v", f, len(got), err)
		}
	}
	if got, _ := s.InspectionPopulation(ctx, store.PopulationFilter{Region: "610113", Classes: []credit.Class{credit.ClassOrg}, Keywords: []string{"测试"}}); len(got) != 4 {
		t.Errorf("keyword 测试: %d", len(got))
	}
	// Tasks: codes numbered per prefix.
	task := store.InspectionTask{OrgID: tr.deptA.ID, Code: "SJ610100-20261206-", ItemID: 1, Name: "食品经营抽查", Region: "6101", Keywords: []string{"食品"},
		Classes: []credit.Class{credit.ClassOrg, credit.ClassSole}, From: "2026-12-06", To: "2026-12-31", PerTarget: 2,
		SeedHash: strings.Repeat("ab", 32), Seed: strings.Repeat("cd", 32), CreatedBy: "user:1:test"}
	t1, err := s.AddInspectionTask(ctx, task, inspectAudit)
	if err != nil || t1.Code != "SJ610100-20261206-001" || t1.State != store.TaskOpen {
		t.Fatalf("task %+v %v", t1, err)
	}
	t2, err := s.AddInspectionTask(ctx, task, inspectAudit)
	if err != nil || t2.Code != "SJ610100-20261206-002" {
		t.Fatalf("second task %+v %v", t2, err)
	}
	got, err := s.GetInspectionTask(ctx, t1.ID)
	if err != nil || got.Name != task.Name || !slices.Equal(got.Keywords, task.Keywords) || len(got.Classes) != 2 || got.OrgName != tr.deptA.Name ||
		got.OrgUSCC != tr.deptA.USCC || got.Seed != task.Seed || !got.DrawnAt.IsZero() {
		t.Fatalf("get %+v %v", got, err)
	}
	// The draw.
	got.Seed, got.PopulationHash, got.PopulationSize, got.Population = task.Seed, strings.Repeat("01", 32), 4, []byte{1, 2, 3}
	got.PoolHash, got.Pool, got.Strata, got.Excluded, got.Model, got.DrawnBy = strings.Repeat("02", 32), []byte{4}, []byte(`[{"grade":"A"}]`), 1, "2026.1/x", "user:1:test"
	targets := []store.InspectionTarget{{TaskID: t1.ID, Seq: 1, SubjectID: ids[1], Code: pop[0].Code, Name: "甲", Grade: "D", Inspectors: []int64{3, 4}},
		{TaskID: t1.ID, Seq: 2, SubjectID: ids[2], Code: pop[1].Code, Name: "乙", Grade: "-", Inspectors: []int64{4, 5}}}
	if err := s.SaveInspectionDraw(ctx, got, targets, inspectAudit); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveInspectionDraw(ctx, got, targets, inspectAudit); !errors.Is(err, fault.Conflict) {
		t.Errorf("drawn twice: %v", err)
	}
	drawn, err := s.GetInspectionTask(ctx, t1.ID)
	if err != nil || drawn.State != store.TaskDrawn || drawn.DrawnAt.IsZero() || string(drawn.Population) != "\x01\x02\x03" || drawn.Excluded != 1 ||
		drawn.Model != "2026.1/x" || string(drawn.Strata) != `[{"grade":"A"}]` {
		t.Fatalf("drawn %+v %v", drawn, err)
	}
	gs, err := s.InspectionTargets(ctx, t1.ID)
	if err != nil || len(gs) != 2 || !slices.Equal(gs[1].Inspectors, []int64{4, 5}) || gs[0].Grade != "D" || gs[0].Result != "" {
		t.Fatalf("targets %+v %v", gs, err)
	}
	gs[0].Result, gs[0].Findings, gs[0].InspectedOn, gs[0].RecordID, gs[0].EnteredBy = "不合格", "未按规定公示", "2026-12-10", 77, "user:2:x"
	if err := s.SaveInspectionResult(ctx, gs[0], inspectAudit); err != nil {
		t.Fatal(err)
	}
	gs2, _ := s.InspectionTargets(ctx, t1.ID)
	if gs2[0].Result != "不合格" || gs2[0].RecordID != 77 || gs2[0].EnteredAt.IsZero() || gs2[1].Result != "" {
		t.Errorf("after the result %+v", gs2)
	}
	if err := s.SaveInspectionResult(ctx, store.InspectionTarget{TaskID: t1.ID, Seq: 9}, inspectAudit); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing target: %v", err)
	}
	// Lists and counts.
	all, err := s.ListInspectionTasks(ctx, store.TaskFilter{})
	if err != nil || len(all) != 2 || all[0].ID != t2.ID || all[0].Population != nil {
		t.Errorf("list %+v %v", all, err)
	}
	if open, _ := s.ListInspectionTasks(ctx, store.TaskFilter{State: store.TaskOpen, OrgPath: tr.cityA.Path}); len(open) != 1 || open[0].ID != t2.ID {
		t.Errorf("open under the city %+v", open)
	}
	if none, _ := s.ListInspectionTasks(ctx, store.TaskFilter{OrgPath: tr.cityB.Path}); len(none) != 0 {
		t.Errorf("another city %+v", none)
	}
	counts, err := s.InspectedSince(ctx, tr.deptA.ID, time.Now().Add(-time.Hour))
	if err != nil || counts[ids[1]] != 1 || counts[ids[2]] != 1 || len(counts) != 2 {
		t.Errorf("inspected since %v %v", counts, err)
	}
	if counts, _ := s.InspectedSince(ctx, tr.deptA.ID, time.Now().Add(time.Hour)); len(counts) != 0 {
		t.Errorf("inspected since later: %v", counts)
	}
}
