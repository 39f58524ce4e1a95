package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

func reportTests() []namedTest {
	return []namedTest{
		{"ReportLog", testReportLog},
		{"ReportLogConcurrent", testReportLogConcurrent},
		{"ReportGrants", testReportGrants},
	}
}

// leafPlan stores one hash per new entry at storage index = entry index
// (the store does not care how the index is hashed), each the entry's
// number, and checks that the hashes read back are the earlier ones.
func leafPlan(t *testing.T, numbers []string) store.ReportHashes {
	return func(size int64, read func([]int64) ([][]byte, error)) ([]int64, [][]byte, error) {
		if size > 0 {
			got, err := read([]int64{size - 1, 0, size - 1})
			if err != nil {
				return nil, nil, err
			}
			if len(got) != 3 || !bytes.Equal(got[0], got[2]) {
				return nil, nil, fmt.Errorf("read %q", got)
			}
		}
		var idx []int64
		var hs [][]byte
		for i, n := range numbers {
			idx = append(idx, size+int64(i))
			hs = append(hs, []byte("h:"+n))
		}
		return idx, hs, nil
	}
}

func issued(subject int64, numbers ...string) []store.IssuedReport {
	var out []store.IssuedReport
	for _, n := range numbers {
		out = append(out, store.IssuedReport{Number: n, SubjectID: subject, Kind: store.ReportOrg, AsOf: "2026-12-01",
			IssuedAt: time.Date(2026, 12, 5, 2, 3, 4, 567891000, time.UTC), Entry: []byte("entry " + n), Records: []byte(`[{"id":1}]`)})
	}
	return out
}

func testReportLog(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	subs := sampleSubjects()
	mustPut(t, s, subs)
	sub := mustFind(t, s, subs[0].USCC)
	if n, err := s.ReportLogSize(ctx); err != nil || n != 0 {
		t.Fatalf("empty log size %d %v", n, err)
	}
	first := issued(sub.ID, "A1", "A2", "A3")
	size, err := s.AppendReports(ctx, first, leafPlan(t, []string{"A1", "A2", "A3"}), nil)
	if err != nil || size != 3 {
		t.Fatalf("append: %d %v", size, err)
	}
	if first[0].Index != 0 || first[2].Index != 2 {
		t.Fatalf("indexes %d %d", first[0].Index, first[2].Index)
	}
	audit := auth.AuditEntry{Actor: "user:3", OrgID: 0, Action: "report.issue", Target: "report:B1", SubjectID: sub.ID, Purpose: "本人查询", Outcome: "ok"}
	second := issued(sub.ID, "B1")
	second[0].Kind, second[0].GrantID = store.ReportPerson, 9
	if size, err = s.AppendReports(ctx, second, leafPlan(t, []string{"B1"}), []auth.AuditEntry{audit}); err != nil || size != 4 {
		t.Fatalf("second append: %d %v", size, err)
	}
	got, err := s.GetReport(ctx, "B1")
	if err != nil {
		t.Fatal(err)
	}
	want := second[0]
	if got.Number != want.Number || got.Index != 3 || got.SubjectID != sub.ID || got.Kind != store.ReportPerson || got.AsOf != "2026-12-01" ||
		!got.IssuedAt.Equal(want.IssuedAt.Truncate(time.Microsecond)) || string(got.Entry) != "entry B1" || string(got.Records) != `[{"id":1}]` || got.GrantID != 9 {
		t.Fatalf("GetReport = %+v, want %+v", got, want)
	}
	if _, err := s.GetReport(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown number: %v", err)
	}
	hs, err := s.ReportLogHashes(ctx, []int64{3, 1, 1})
	if err != nil || string(hs[0]) != "h:B1" || string(hs[1]) != "h:A2" || string(hs[2]) != "h:A2" {
		t.Fatalf("hashes %q %v", hs, err)
	}
	if _, err := s.ReportLogHashes(ctx, []int64{4}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("hash past the end: %v", err)
	}
	all, err := s.ReportsFrom(ctx, 1, 10)
	if err != nil || len(all) != 3 || all[0].Number != "A2" || all[2].Number != "B1" {
		t.Fatalf("ReportsFrom: %v %v", all, err)
	}
	// The person's report is in the subject's query history.
	entries, err := s.ListAudit(ctx, store.AuditFilter{SubjectID: sub.ID})
	if err != nil || len(entries) != 1 || entries[0].Target != "report:B1" || entries[0].Purpose != "本人查询" {
		t.Fatalf("audit: %+v %v", entries, err)
	}
	// A number issued before fails the whole append; nothing of it stays.
	_, err = s.AppendReports(ctx, issued(sub.ID, "C1", "A2"), leafPlan(t, []string{"C1", "A2"}), []auth.AuditEntry{audit})
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate number: %v", err)
	}
	if n, _ := s.ReportLogSize(ctx); n != 4 {
		t.Fatalf("size after a failed append %d", n)
	}
	if _, err := s.ReportLogHashes(ctx, []int64{4}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a failed append left hashes: %v", err)
	}
	// A planner's error fails the append.
	boom := errors.New("boom")
	if _, err := s.AppendReports(ctx, issued(sub.ID, "D1"), func(int64, func([]int64) ([][]byte, error)) ([]int64, [][]byte, error) {
		return nil, nil, boom
	}, nil); !errors.Is(err, boom) {
		t.Fatalf("planner error: %v", err)
	}
	// Append-only: the database refuses changes.
	for _, q := range []string{`UPDATE reports SET as_of = '2020-01-01'`, `DELETE FROM reports`, `UPDATE report_log SET hash = hash`,
		`DELETE FROM report_log`} {
		if err := h.Exec(ctx, q); err == nil {
			t.Errorf("%s: allowed", q)
		}
	}
}

// testReportLogConcurrent: appends from many goroutines get the indexes
// 0…n-1 once each, and each append's planner sees the size its
// predecessors left.
func testReportLogConcurrent(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	subs := sampleSubjects()
	mustPut(t, s, subs)
	sub := mustFind(t, s, subs[0].USCC)
	const workers, each = 6, 5
	var wg sync.WaitGroup
	var mu sync.Mutex
	var indexes []int64
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				n := fmt.Sprintf("W%d-%d", w, i)
				rs := issued(sub.ID, n)
				plan := func(size int64, read func([]int64) ([][]byte, error)) ([]int64, [][]byte, error) {
					if size > 0 {
						if _, err := read([]int64{size - 1}); err != nil {
							return nil, nil, fmt.Errorf("size %d but entry %d unreadable: %w", size, size-1, err)
						}
					}
					return []int64{size}, [][]byte{[]byte(n)}, nil
				}
				if _, err := s.AppendReports(ctx, rs, plan, nil); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				indexes = append(indexes, rs[0].Index)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	slices.Sort(indexes)
	for i, ix := range indexes {
		if ix != int64(i) {
			t.Fatalf("indexes %v: not 0…%d once each", indexes, workers*each-1)
		}
	}
}

func testReportGrants(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	subs := sampleSubjects()
	mustPut(t, s, subs)
	sub := mustFind(t, s, subs[5].IDNumber)
	doc := Keys().Encrypt("%PDF-1.4 signed authorisation")
	g := store.ReportGrant{SubjectID: sub.ID, OrgID: 4, Purpose: "招聘录用", ValidUntil: "2027-01-31", DocName: "授权书.pdf",
		DocType: "application/pdf", DocSHA256: "ab12", Document: doc, CreatedBy: "user:8"}
	audit := auth.AuditEntry{Actor: "user:8", OrgID: 4, Action: "report.grant", SubjectID: sub.ID, Purpose: "招聘录用", Outcome: "ok"}
	got, err := s.AddReportGrant(ctx, g, audit)
	if err != nil || got.ID == 0 || got.CreatedAt.IsZero() {
		t.Fatalf("AddReportGrant: %+v %v", got, err)
	}
	back, err := s.GetReportGrant(ctx, got.ID)
	if err != nil || back.SubjectID != sub.ID || back.OrgID != 4 || back.Purpose != "招聘录用" || back.ValidUntil != "2027-01-31" ||
		back.DocName != "授权书.pdf" || back.DocType != "application/pdf" || back.DocSHA256 != "ab12" || !bytes.Equal(back.Document, doc) ||
		back.CreatedBy != "user:8" || !back.CreatedAt.Equal(got.CreatedAt) {
		t.Fatalf("GetReportGrant = %+v %v", back, err)
	}
	entries, _ := s.ListAudit(ctx, store.AuditFilter{SubjectID: sub.ID})
	if len(entries) != 1 || entries[0].Target != fmt.Sprintf("report-grant:%d", got.ID) {
		t.Fatalf("audit %+v", entries)
	}
	if _, err := s.GetReportGrant(ctx, got.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown grant: %v", err)
	}
	g.SubjectID = 999999
	if _, err := s.AddReportGrant(ctx, g, audit); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("grant for an unknown subject: %v", err)
	}
	wantCensus(t, s, "map[report_grants.document:map[1:1] subjects.id_enc:map[1:1]]")
}
