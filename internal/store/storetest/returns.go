package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
)

func returnTests() []namedTest {
	return []namedTest{
		{"ReturnsFixedAndWithdrawn", testReturns},
		{"ReturnsFixedBySameBatch", testReturnsSameBatch},
		{"LedgerPlansAndRegister", testLedgerPlans},
		{"LedgerCounts", testLedgerCounts},
	}
}

// returnOf is the return of a rejected row meant as penalty(n): same
// identity, the ID number of a person in its original row.
func returnOf(n, row int, withIdentity bool) store.ReturnInput {
	p := penalty(n, "x")
	r := store.ReturnInput{Row: row, Kind: "cf", Dept: p.SourceDept, DecisionNo: p.DecisionNo,
		Header:   []string{"行政相对人名称", "证件号码", "处罚决定日期"},
		Original: []string{p.Subject.Name, RIC("610102", "19800101", row), "2026-13-01"},
		Masked:   []string{p.Subject.Name, credit.MaskID(RIC("610102", "19800101", row)), "2026-13-01"},
		Reasons:  []store.ReturnReason{{Field: "处罚决定日期", Code: "CF_JDRQ", Reason: "不是有效日期"}}}
	if withIdentity {
		r.Identity = p.Identity
	}
	return r
}

func testReturns(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	b := startBatch(t, s, "returns")
	rows := []store.ReturnInput{returnOf(1, 1, true), returnOf(2, 2, false), returnOf(3, 3, true)}
	if err := s.AddReturns(ctx, b.ID, rows); err != nil {
		t.Fatal(err)
	}
	// A resumed import returns the same rows again: nothing doubles.
	if err := s.AddReturns(ctx, b.ID, rows[:2]); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListReturns(ctx, store.ReturnFilter{Batch: b.ID})
	if err != nil || len(list) != 3 {
		t.Fatalf("returns %+v %v", list, err)
	}
	first := list[0]
	if first.State != store.ReturnOpen || !first.Matched || list[1].Matched || first.Row != 1 || first.Kind != "cf" ||
		first.DecisionNo != rows[0].DecisionNo || first.Original != nil || !slices.Equal(first.Masked, rows[0].Masked) ||
		len(first.Reasons) != 1 || first.Reasons[0].Code != "CF_JDRQ" || !first.CreatedAt.Equal(b.ReceivedAt) {
		t.Fatalf("return %+v", first)
	}
	got, err := s.GetReturn(ctx, first.ID)
	if err != nil || !slices.Equal(got.Original, rows[0].Original) {
		t.Fatalf("GetReturn %+v %v", got, err)
	}
	for _, table := range []string{"returns"} {
		texts, err := h.Texts(ctx, table)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range texts {
			if strings.Contains(v, rows[0].Original[1]) {
				t.Fatalf("%s holds an ID number in clear: %q", table, v)
			}
		}
	}

	// A later intake files penalties 1 and 2: the return with penalty 1's
	// identity closes, and the one without an identity closes by its
	// decision number.
	b2 := startBatch(t, s, "")
	out := put(t, s, b2.ID, penalty(1, "x"), penalty(2, "x"))
	list, _ = s.ListReturns(ctx, store.ReturnFilter{Batch: b.ID})
	for i, want := range []store.ReturnState{store.ReturnFixed, store.ReturnFixed, store.ReturnOpen} {
		if list[i].State != want {
			t.Errorf("return of row %d: %s, want %s", list[i].Row, list[i].State, want)
		}
	}
	if list[0].FixedRecord != out[0].ID || list[0].FixedBatch != b2.ID || list[1].FixedRecord != out[1].ID || list[0].ClosedAt.IsZero() {
		t.Errorf("fixed by %d/%d in %d, want %d/%d in %d", list[0].FixedRecord, list[1].FixedRecord, list[0].FixedBatch, out[0].ID, out[1].ID, b2.ID)
	}
	open, _ := s.ListReturns(ctx, store.ReturnFilter{Depts: []string{rows[0].Dept}, States: []store.ReturnState{store.ReturnOpen}})
	if len(open) != 1 || open[0].Row != 3 {
		t.Fatalf("open returns %+v", open)
	}
	if none, _ := s.ListReturns(ctx, store.ReturnFilter{Depts: []string{USCC("11", "610100", 901)}}); len(none) != 0 {
		t.Fatalf("another department's returns: %+v", none)
	}
	audit := auth.AuditEntry{Actor: "user:7", Action: auth.AuditReturn, Outcome: "withdraw"}
	w, err := s.WithdrawReturn(ctx, open[0].ID, "重复报送，已作废", "user:7", audit)
	if err != nil || w.State != store.ReturnWithdrawn || w.Note != "重复报送，已作废" || w.ClosedBy != "user:7" {
		t.Fatalf("withdraw %+v %v", w, err)
	}
	if _, err := s.WithdrawReturn(ctx, open[0].ID, "again", "user:7", audit); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("withdraw twice: %v", err)
	}
	if _, err := s.WithdrawReturn(ctx, 999999, "x", "user:7", audit); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("withdraw unknown: %v", err)
	}
	if _, err := s.GetReturn(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get unknown: %v", err)
	}
	entries, _ := s.ListAudit(ctx, store.AuditFilter{Limit: 10})
	if len(entries) == 0 || entries[0].Target != fmt.Sprintf("return:%d", open[0].ID) {
		t.Errorf("audit %+v", entries)
	}
	month := b.ReceivedAt.In(time.FixedZone("CST", 8*3600)).Format("2006-01")
	next := b.ReceivedAt.In(time.FixedZone("CST", 8*3600)).AddDate(0, 1, 0).Format("2006-01")
	counts, err := s.ReturnCounts(ctx, month, next)
	if err != nil || len(counts) != 1 || counts[0] != (store.ReturnCount{Dept: rows[0].Dept, Kind: "cf", Month: month, Returned: 3, Fixed: 2, Withdrawn: 1}) {
		t.Fatalf("counts %+v %v", counts, err)
	}
	info, err := s.IntakeBatch(ctx, b.ID)
	if err != nil || info.FileHash != "returns" {
		t.Fatalf("batch %+v %v", info, err)
	}
	if bs, err := s.IntakeBatches(ctx, "", 10); err != nil || len(bs) != 2 || bs[0].ID != b2.ID {
		t.Fatalf("batches %+v %v", bs, err)
	}
}

// testReturnsSameBatch: a bad row of a file followed by a good row of the
// same record: the return closes when the file ends.
func testReturnsSameBatch(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	b := startBatch(t, s, "same")
	out := put(t, s, b.ID, penalty(5, "x"))
	if err := s.AddReturns(ctx, b.ID, []store.ReturnInput{returnOf(5, 1, true), returnOf(6, 2, true)}); err != nil {
		t.Fatal(err)
	}
	list, _ := s.ListReturns(ctx, store.ReturnFilter{Batch: b.ID})
	if len(list) != 2 || list[0].State != store.ReturnFixed || list[0].FixedRecord != out[0].ID || list[1].State != store.ReturnOpen {
		t.Fatalf("returns %+v", list)
	}
}

func testLedgerPlans(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	dept, other := USCC("11", "610100", 900), USCC("11", "610300", 901)
	audit := auth.AuditEntry{Actor: "user:7", Action: auth.AuditLedger, Outcome: "plan"}
	for _, p := range []store.LedgerPlan{
		{Dept: dept, Kind: "cf", Mode: store.PlanRegister, FromMonth: "2026-01", UpdatedBy: "user:7"},
		{Dept: dept, Kind: "qz", Mode: store.PlanVolume, Volume: 10, FromMonth: "2026-01", Source: "业务系统统计", UpdatedBy: "user:7"},
		{Dept: other, Kind: "cf", Mode: store.PlanVolume, Volume: 3, FromMonth: "2026-06", UpdatedBy: "user:8"},
		{Dept: dept, Kind: "qz", Mode: store.PlanVolume, Volume: 12, FromMonth: "2026-02", Source: "业务系统统计", UpdatedBy: "user:7"},
	} {
		if err := s.PutLedgerPlan(ctx, p, audit); err != nil {
			t.Fatal(err)
		}
	}
	plans, err := s.LedgerPlans(ctx, []string{dept})
	if err != nil || len(plans) != 2 || plans[1].Volume != 12 || plans[1].FromMonth != "2026-02" || plans[0].Mode != store.PlanRegister {
		t.Fatalf("plans %+v %v", plans, err)
	}
	if all, _ := s.LedgerPlans(ctx, nil); len(all) != 3 {
		t.Fatalf("all plans %+v", all)
	}
	if err := s.DeleteLedgerPlan(ctx, other, "cf", audit); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteLedgerPlan(ctx, other, "cf", audit); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	entries := []store.RegisterEntry{
		{DecisionNo: "西市监罚〔2026〕1号", DecisionDate: "2026-11-02"},
		{DecisionNo: "西市监罚〔2026〕2号", DecisionDate: "2026-11-03"},
		{DecisionNo: "西市监罚〔2026〕77号", DecisionDate: "2026-11-04"},
	}
	if n, err := s.PutRegister(ctx, dept, "cf", entries, audit); err != nil || n != 3 {
		t.Fatalf("register %d %v", n, err)
	}
	entries[2].DecisionDate = "2026-11-05"
	if n, err := s.PutRegister(ctx, dept, "cf", entries, audit); err != nil || n != 0 {
		t.Fatalf("register again %d %v", n, err)
	}
	b := startBatch(t, s, "")
	out := put(t, s, b.ID, penalty(1, "x"), penalty(2, "x"))
	got, err := s.RegisterEntries(ctx, dept, "cf", "2026-11-01", "2026-11-30")
	if err != nil || len(got) != 3 {
		t.Fatalf("entries %+v %v", got, err)
	}
	if got[0].Reported != out[0].ID || got[1].Reported != out[1].ID || got[2].Reported != 0 || got[2].DecisionDate != "2026-11-05" {
		t.Errorf("entries %+v", got)
	}
	// penalty(n) is late when n%10 > 7: 1 and 2 are on time.
	if !got[0].OnTime || !got[1].OnTime {
		t.Errorf("on time %+v", got)
	}
	if none, _ := s.RegisterEntries(ctx, dept, "cf", "2026-10-01", "2026-10-31"); len(none) != 0 {
		t.Errorf("October %+v", none)
	}
}

func testLedgerCounts(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	dept := USCC("11", "610100", 900)
	decider := USCC("11", "610100", 950)
	b := startBatch(t, s, "")
	var recs []store.RecordInput
	for i := range 10 {
		recs = append(recs, penalty(i, "x"))
	}
	// Two penalties decided by another body and supplied by dept (a
	// platform passing them on); the decider reported one itself.
	foreign := []store.RecordInput{penalty(20, "x"), penalty(21, "x")}
	for i := range foreign {
		foreign[i].Decider = decider
	}
	own := penalty(20, "x")
	own.SourceDept, own.Decider = decider, decider
	own.Identity = "cf|" + decider + "|" + own.DecisionNo + "|" + own.Subject.USCC
	put(t, s, b.ID, append(append(recs, foreign...), own)...)
	counts, err := s.DecisionCounts(ctx, []string{"cf", "xk"}, "2026-11-01", "2026-11-30")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.DecisionCount{}
	for _, c := range counts {
		got[c.Dept] = c
	}
	if c := got[dept]; c.Records != 12 || c.Late != 2 || c.Month != "2026-11" || c.Kind != "cf" {
		t.Errorf("dept counts %+v", c)
	}
	if c := got[decider]; c.Records != 1 {
		t.Errorf("decider counts %+v", c)
	}
	fr, err := s.ForeignRecords(ctx, "2026-11-01", "2026-11-30", nil)
	if err != nil || len(fr) != 2 {
		t.Fatalf("foreign %+v %v", fr, err)
	}
	for _, f := range fr {
		switch f.DecisionNo {
		case foreign[0].DecisionNo:
			if f.Own == 0 {
				t.Errorf("decider's own record not found: %+v", f)
			}
		case foreign[1].DecisionNo:
			if f.Own != 0 || f.Decider != decider || f.SourceDept != dept {
				t.Errorf("concealed %+v", f)
			}
		}
	}
	if none, _ := s.ForeignRecords(ctx, "2026-11-01", "2026-11-30", []string{dept}); len(none) != 0 {
		t.Errorf("foreign of dept %+v", none)
	}
	// A new version that the decider supplies itself leaves record_deciders.
	b2 := startBatch(t, s, "")
	fixed := penalty(21, "changed")
	fixed.Decider = dept
	put(t, s, b2.ID, fixed)
	if fr, _ := s.ForeignRecords(ctx, "2026-11-01", "2026-11-30", nil); len(fr) != 1 {
		t.Errorf("after the new version %+v", fr)
	}
	rows, err := s.IntakeStats(ctx, store.IntakeFilter{Kind: "cf", Dept: dept})
	if err != nil || len(rows) != 1 || rows[0].Received != 12 || rows[0].Updated != 1 {
		t.Fatalf("intake stats %+v %v", rows, err)
	}
	month := rows[0].Month
	if r, _ := s.IntakeStats(ctx, store.IntakeFilter{From: month, To: month}); len(r) != 2 {
		t.Errorf("from-to %+v", r)
	}
	if r, _ := s.IntakeStats(ctx, store.IntakeFilter{From: "2099-01"}); len(r) != 0 {
		t.Errorf("from 2099 %+v", r)
	}
}
