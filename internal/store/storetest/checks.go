package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

func checkTests() []namedTest {
	return []namedTest{
		{"FindSubjectsByCodes", testFindSubjectsByCodes},
		{"SubjectsRecords", testSubjectsRecords},
		{"CheckArchive", testCheckArchive},
		{"CheckArchiveConcurrent", testCheckArchiveConcurrent},
		{"CheckArchiveCancelled", testCheckArchiveCancelled},
		{"CheckFeedbackAndStats", testCheckFeedback},
	}
}

func testFindSubjectsByCodes(t *testing.T, h Harness) {
	ctx := context.Background()
	subs := sampleSubjects()
	mustPut(t, h.Store, subs)
	codes := []string{subs[0].USCC, subs[2].USCC, subs[3].RegNo, subs[5].IDNumber, subs[0].USCC, USCC("91", "610100", 999), "short", GS15("610104", 77)}
	got, err := h.Store.FindSubjectsByCodes(ctx, codes)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for c, s := range got {
		found = append(found, c[:4]+"→"+s.Name)
	}
	sort.Strings(found)
	if len(got) != 4 || got[subs[5].IDNumber].Name != "张伟" || got[subs[3].RegNo].Name != "莲湖区鑫源五金店" || got[subs[0].USCC].Name != subs[0].Name {
		t.Fatalf("found %v", found)
	}
	// Each single lookup agrees.
	for c, s := range got {
		one, err := h.Store.FindSubjectByCode(ctx, c)
		if err != nil || one.ID != s.ID {
			t.Errorf("%s: batch %d, single %d %v", c, s.ID, one.ID, err)
		}
	}
	// More codes than one IN list holds.
	var many []string
	for i := 0; i < store.BatchChunk+50; i++ {
		many = append(many, USCC("91", "610100", 5000+i))
	}
	many = append(many, subs[2].USCC)
	if got, err := h.Store.FindSubjectsByCodes(ctx, many); err != nil || len(got) != 1 {
		t.Errorf("a long batch: %d found, %v", len(got), err)
	}
}

func testSubjectsRecords(t *testing.T, h Harness) {
	ctx := context.Background()
	b := startBatch(t, h.Store, "")
	var recs []store.RecordInput
	for i := 0; i < 5; i++ {
		recs = append(recs, penalty(i, "内容"))
	}
	out := put(t, h.Store, b.ID, recs...)
	vs, _ := h.Store.RecordVersions(ctx, out[0].ID)
	first := vs[0].SubjectID
	vs, _ = h.Store.RecordVersions(ctx, out[3].ID)
	fourth := vs[0].SubjectID
	got, err := h.Store.SubjectsRecords(ctx, []int64{first, fourth, 987654}, []string{"cf"})
	if err != nil || len(got) != 2 || got[0].SubjectID != first || got[1].SubjectID != fourth {
		t.Fatalf("SubjectsRecords = %d records, %v", len(got), err)
	}
	// Several IN lists, read at once: every record comes back, once.
	ids := []int64{first}
	for i := range 2 * store.BatchChunk {
		ids = append(ids, 900000+int64(i))
	}
	ids = append(ids, fourth)
	got, err = h.Store.SubjectsRecords(ctx, ids, nil)
	if err != nil || len(got) != 2 || got[0].SubjectID != first || got[1].SubjectID != fourth {
		t.Fatalf("SubjectsRecords of %d ids = %d records, %v", len(ids), len(got), err)
	}
	if got, _ := h.Store.SubjectsRecords(ctx, []int64{first}, []string{"xk"}); len(got) != 0 {
		t.Errorf("kind filter ignored: %d", len(got))
	}
	if last, err := h.Store.LastRecordID(ctx); err != nil || last != out[4].ID {
		t.Errorf("LastRecordID = %d %v, want %d", last, err, out[4].ID)
	}
}

func testCheckArchive(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	// Something in the trail before, to chain onto.
	if _, err := s.Audit(ctx, auth.AuditEntry{Actor: "system:test", Action: auth.AuditSignIn}); err != nil {
		t.Fatal(err)
	}
	// A batch larger than one INSERT: 1,234 subjects.
	var audits []auth.AuditEntry
	for i := 1; i <= 1234; i++ {
		audits = append(audits, auth.AuditEntry{Actor: "client:1:abc", OrgID: 5, Action: auth.AuditCheck, SubjectID: int64(i),
			Purpose: "政府采购 CG-2026-17", Outcome: "ok", Detail: "无限制"})
	}
	c, err := s.SaveCheck(ctx, store.CheckRecord{Actor: "client:1:abc", OrgID: 5, Scenario: "procurement", CaseNo: "CG-2026-17", Subjects: 1234,
		Punished: 3, Rewarded: 1, NotFound: 2, DataAsOf: 42, Request: []byte(`{"a":1}`), Result: []byte(`{"b":"核查"}`)},
		[]store.CheckMeasure{{Item: 1, SubjectID: 1, Measure: "M01"}, {Item: 1, SubjectID: 1, Measure: "M06"}, {Item: 2, SubjectID: 2, Measure: "M01"}}, audits)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetCheck(ctx, c.ID)
	if err != nil || got.CaseNo != "CG-2026-17" || got.Subjects != 1234 || got.Punished != 3 || string(got.Result) != `{"b":"核查"}` ||
		got.DataAsOf != 42 || !got.At.Equal(c.At.Truncate(1000)) && !got.At.Equal(c.At) {
		t.Fatalf("GetCheck = %+v, %v", got, err)
	}
	if _, err := s.GetCheck(ctx, c.ID+1); err == nil {
		t.Error("a missing check found")
	}
	n, err := verifyAudit(t, s)
	if err != nil || n != 1235 {
		t.Fatalf("chain after a check: %d entries, %v", n, err)
	}
	hist, _ := s.ListAudit(ctx, store.AuditFilter{SubjectID: 777, Actions: []string{auth.AuditCheck}})
	if len(hist) != 1 || hist[0].Target != fmt.Sprintf("check:%d", c.ID) || !strings.Contains(hist[0].Purpose, "CG-2026-17") {
		t.Errorf("subject 777's history: %+v", hist)
	}
}

func testCheckFeedback(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	tr := buildTree(t, s)
	save := func(org int64, items ...store.CheckMeasure) int64 {
		c, err := s.SaveCheck(ctx, store.CheckRecord{Actor: "client:1:x", OrgID: org, Scenario: "procurement", CaseNo: "C", Subjects: len(items),
			Request: []byte("{}"), Result: []byte("{}")}, items, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	a := save(tr.deptA.ID, store.CheckMeasure{Item: 1, SubjectID: 7, Measure: "M01"}, store.CheckMeasure{Item: 2, SubjectID: 8, Measure: "M01"},
		store.CheckMeasure{Item: 2, SubjectID: 8, Measure: "M06"})
	save(tr.deptB.ID, store.CheckMeasure{Item: 1, SubjectID: 9, Measure: "M01"})
	e := auth.AuditEntry{Actor: "client:1:x", OrgID: tr.deptA.ID, Action: auth.AuditCheckFeedback, Outcome: "ok"}
	bad := map[string][]store.Feedback{
		"a measure the check did not find": {{Item: 1, Measure: "M06", Applied: true}},
		"an item that does not exist":      {{Item: 9, Measure: "M01", Applied: true}},
		"not applied without a reason":     {{Item: 1, Measure: "M01", Applied: false}},
	}
	for name, items := range bad {
		if err := s.AddFeedback(ctx, a, items, e); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := s.AddFeedback(ctx, a+100, []store.Feedback{{Item: 1, Measure: "M01", Applied: true}}, e); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing check: %v", err)
	}
	// Item 1: first not applied, then corrected to applied; item 2's M01 not applied.
	for _, items := range [][]store.Feedback{
		{{Item: 1, Measure: "M01", Applied: false, Reason: "主体已履行"}, {Item: 2, Measure: "M01", Applied: false, Reason: "采购已完成"}},
		{{Item: 1, Measure: "M01", Applied: true}},
	} {
		if err := s.AddFeedback(ctx, a, items, e); err != nil {
			t.Fatal(err)
		}
	}
	month := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01")
	stats, err := s.CheckStats(ctx, month, tr.cityA.Path)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(stats)
	want := fmt.Sprint([]store.CheckStat{{OrgID: tr.deptA.ID, Measure: "M01", Applicable: 2, Applied: 1, NotApplied: 1},
		{OrgID: tr.deptA.ID, Measure: "M06", Applicable: 1, Unreported: 1}})
	if got != want {
		t.Errorf("stats for 西安:\n got %s\nwant %s", got, want)
	}
	if all, _ := s.CheckStats(ctx, month, tr.root.Path); len(all) != 3 {
		t.Errorf("stats for the province: %v", all)
	}
	if none, _ := s.CheckStats(ctx, "2001-01", tr.root.Path); len(none) != 0 {
		t.Errorf("stats of another month: %v", none)
	}
	if entries, _ := s.ListAudit(ctx, store.AuditFilter{Actions: []string{auth.AuditCheckFeedback}}); len(entries) != 2 {
		t.Errorf("%d feedback audit entries, want 2", len(entries))
	}
}

// archiveOne is the archive of check g.i of a concurrent test: i%3 audit
// entries (subjects g*1000+i*10+j) and a measure on every other one.
func archiveOne(g, i int) (store.CheckRecord, []store.CheckMeasure, []auth.AuditEntry) {
	caseNo := fmt.Sprintf("G%d-%d", g, i)
	c := store.CheckRecord{Actor: fmt.Sprintf("client:%d:k", g), OrgID: int64(g + 1), Scenario: "procurement", CaseNo: caseNo, Subjects: i % 3,
		Request: []byte(`{"case_no":"` + caseNo + `"}`), Result: []byte(`{}`)}
	var ms []store.CheckMeasure
	if i%2 == 0 {
		ms = append(ms, store.CheckMeasure{Item: 1, SubjectID: int64(g*1000 + i*10), Measure: "M01"})
	}
	var as []auth.AuditEntry
	for j := range i % 3 {
		as = append(as, auth.AuditEntry{Actor: c.Actor, OrgID: c.OrgID, Action: auth.AuditCheck, SubjectID: int64(g*1000 + i*10 + j),
			Purpose: "政府采购 " + caseNo, Outcome: "ok", Detail: "无限制"})
	}
	return c, ms, as
}

// auditTargets maps each check:ID target of the trail to the subjects of
// its entries, in chain order.
func auditTargets(t *testing.T, s store.Store) map[string][]int64 {
	t.Helper()
	out := map[string][]int64{}
	err := s.ScanAudit(context.Background(), func(e auth.AuditEntry) error {
		if strings.HasPrefix(e.Target, "check:") {
			out[e.Target] = append(out[e.Target], e.SubjectID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Many checks archived at once (committed together): each gets its own
// id, its measures and its audit entries, and the chain verifies.
func testCheckArchiveConcurrent(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	if _, err := s.Audit(ctx, auth.AuditEntry{Actor: "system:test", Action: auth.AuditSignIn}); err != nil {
		t.Fatal(err)
	}
	const goroutines, each = 32, 12
	stats, ok := s.(interface{ ArchiveStats() (int64, int64) })
	if !ok {
		t.Fatalf("%T has no ArchiveStats", s)
	}
	checks0, txs0 := stats.ArchiveStats()
	start := make(chan struct{})
	type saved struct {
		g, i int
		c    store.CheckRecord
	}
	var mu sync.Mutex
	var all []saved
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for i := range each {
				c, ms, as := archiveOne(g, i)
				got, err := s.SaveCheck(ctx, c, ms, as)
				if err != nil {
					errs <- err
					continue
				}
				for _, e := range as {
					if e.Target != fmt.Sprintf("check:%d", got.ID) || e.Seq == 0 || len(e.Hash) == 0 {
						errs <- fmt.Errorf("check %d: the audit entry handed back is not the one sealed: %+v", got.ID, e)
					}
				}
				mu.Lock()
				all = append(all, saved{g, i, got})
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Every check archived, never in more transactions than checks. How
	// many shared a transaction depends on how the scheduler interleaved
	// the callers (on a busy machine each may find the writer idle), so it
	// is logged, not asserted.
	checks1, txs1 := stats.ArchiveStats()
	if checks1-checks0 != goroutines*each || txs1-txs0 > goroutines*each {
		t.Errorf("%d checks archived in %d transactions", checks1-checks0, txs1-txs0)
	}
	t.Logf("%d checks archived in %d transactions", checks1-checks0, txs1-txs0)
	ids := map[int64]bool{}
	wantAudits := 1
	targets := auditTargets(t, s)
	for _, sv := range all {
		if sv.c.ID == 0 || ids[sv.c.ID] {
			t.Fatalf("check %d-%d: id %d missing or given twice", sv.g, sv.i, sv.c.ID)
		}
		ids[sv.c.ID] = true
		got, err := s.GetCheck(ctx, sv.c.ID)
		if err != nil || got.CaseNo != sv.c.CaseNo || got.OrgID != sv.c.OrgID {
			t.Fatalf("check %d: got %+v, %v; want case %s", sv.c.ID, got, err, sv.c.CaseNo)
		}
		_, _, as := archiveOne(sv.g, sv.i)
		wantAudits += len(as)
		var want []int64
		for _, e := range as {
			want = append(want, e.SubjectID)
		}
		if got := targets[fmt.Sprintf("check:%d", sv.c.ID)]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("check %d (%s): audit entries about %v, want %v", sv.c.ID, sv.c.CaseNo, got, want)
		}
	}
	if len(all) != goroutines*each {
		t.Fatalf("%d checks archived, want %d", len(all), goroutines*each)
	}
	n, err := verifyAudit(t, s)
	if err != nil || n != int64(wantAudits) {
		t.Fatalf("chain: %d entries, %v; want %d", n, err, wantAudits)
	}
	// Each check's measures are its own: feedback on M01 of item 1 is
	// taken for the even checks and refused for the odd ones.
	for _, sv := range all {
		if sv.g > 2 {
			continue
		}
		err := s.AddFeedback(ctx, sv.c.ID, []store.Feedback{{Item: 1, Measure: "M01", Applied: true}},
			auth.AuditEntry{Actor: sv.c.Actor, OrgID: sv.c.OrgID, Action: auth.AuditCheckFeedback, Outcome: "ok"})
		if sv.i%2 == 0 && err != nil || sv.i%2 == 1 && !errors.Is(err, store.ErrInvalid) {
			t.Errorf("check %d (%s): feedback on its measure: %v", sv.c.ID, sv.c.CaseNo, err)
		}
	}
}

// Callers that give up (their context cancelled at any moment) never
// leave an answered check missing: every SaveCheck that returned an id is
// in the archive with its audit entries, seen after reopening too.
func testCheckArchiveCancelled(t *testing.T, h Harness) {
	s := h.Store
	const goroutines, each = 24, 10
	var mu sync.Mutex
	answered := map[int64]string{}
	failed := 0
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration((g*each+i)%7)*300*time.Microsecond)
				c, ms, as := archiveOne(g, i)
				got, err := s.SaveCheck(ctx, c, ms, as)
				cancel()
				mu.Lock()
				if err == nil {
					answered[got.ID] = got.CaseNo
				} else {
					if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
						t.Errorf("check %d-%d: %v", g, i, err)
					}
					failed++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(answered) == 0 || failed == 0 {
		t.Logf("%d answered, %d gave up: the timing did not exercise both", len(answered), failed)
	}
	if h.Reopen != nil {
		s = h.Reopen()
	}
	targets := auditTargets(t, s)
	for id, caseNo := range answered {
		got, err := s.GetCheck(context.Background(), id)
		if err != nil || got.CaseNo != caseNo {
			t.Fatalf("answered check %d (%s) not archived: %+v, %v", id, caseNo, got, err)
		}
		var g, i int
		fmt.Sscanf(caseNo, "G%d-%d", &g, &i)
		if _, _, as := archiveOne(g, i); len(targets[fmt.Sprintf("check:%d", id)]) != len(as) {
			t.Errorf("answered check %d: %d audit entries, want %d", id, len(targets[fmt.Sprintf("check:%d", id)]), len(as))
		}
	}
	if _, err := verifyAudit(t, s); err != nil {
		t.Fatal(err)
	}
}
