package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
)

func changeTests() []namedTest {
	return []namedTest{
		{"ChangesWrittenWithRecords", testChangesWithRecords},
		{"ChangesWatches", testChangesWatches},
		{"ChangesPaging", testChangesPaging},
		{"ChangesConcurrent", testChangesConcurrent},
	}
}

// listEntry is a 失信被执行人 entry about subject n of region, exited on
// exit ("" for none).
func listEntry(n int, region, exit string) store.RecordInput {
	dept := USCC("11", "610113", 81)
	sub := credit.Subject{Class: credit.ClassOrg, USCC: USCC("91", region, 300+n), Name: fmt.Sprintf("名单测试%03d有限公司", n), Region: region}
	no := fmt.Sprintf("（2025）陕0113执%d号", n)
	f := map[string]string{"list_type": "失信被执行人", "decision_no": no, "decision_date": "2025-10-01"}
	if exit != "" {
		f["exit_date"], f["exit_reason"] = exit, "已履行完毕"
	}
	fields, _ := json.Marshal(f)
	return store.RecordInput{
		Kind: "sx", Identity: "sx|失信被执行人|" + no + "|" + dept + "|" + sub.USCC, Subject: sub, SourceDept: dept,
		DecisionNo: no, DecisionDate: "2025-10-01", Fields: fields, Content: fields, Bad: true,
	}
}

// badPenalty is penalty(n, content) of a bad kind, about a subject of
// region.
func badPenalty(n int, region, content string) store.RecordInput {
	p := penalty(n, content)
	p.Subject.USCC = USCC("91", region, 100+n)
	p.Subject.Region = region
	p.Identity = "cf|" + p.SourceDept + "|" + p.DecisionNo + "|" + p.Subject.USCC
	p.Bad = true
	return p
}

// feed reads an organisation's whole feed from since.
func feed(t *testing.T, s store.Store, org, since int64) ([]store.ChangeEvent, int64) {
	t.Helper()
	evs, next, err := s.ChangesFor(context.Background(), org, since, store.MaxChangesLimit)
	if err != nil {
		t.Fatalf("ChangesFor: %v", err)
	}
	return evs, next
}

// describe is "type:record" for each event.
func describe(evs []store.ChangeEvent) string {
	var s []string
	for _, e := range evs {
		s = append(s, fmt.Sprintf("%s:%d", e.Type, e.RecordID))
	}
	return strings.Join(s, " ")
}

func mustWatch(t *testing.T, s store.Store, ws ...store.Watch) int {
	t.Helper()
	n, err := s.AddWatches(context.Background(), ws)
	if err != nil {
		t.Fatalf("AddWatches: %v", err)
	}
	return n
}

func testChangesWithRecords(t *testing.T, h Harness) {
	ctx := context.Background()
	const org = 1
	mustWatch(t, h.Store, store.Watch{OrgID: org, Region: "61"})
	b := startBatch(t, h.Store, "")
	basic := penalty(9, "准予许可") // a kind of nature basic: no event
	basic.Kind, basic.Identity = "xk", "xk|"+basic.Identity
	out := put(t, h.Store, b.ID, listEntry(1, "610113", ""), badPenalty(1, "610100", "罚款1万元"), basic)
	entry, pen := out[0].ID, out[1].ID
	want := []string{fmt.Sprintf("list_entry:%d", entry), fmt.Sprintf("bad_record:%d", pen)}

	// Unchanged re-sends, a corrected penalty: nothing.
	put(t, h.Store, b.ID, listEntry(1, "610113", ""), badPenalty(1, "610100", "罚款1万元"))
	put(t, h.Store, b.ID, badPenalty(1, "610100", "罚款1万元（更正）"))
	// The entry re-sent with an exit date, then again unchanged.
	put(t, h.Store, b.ID, listEntry(1, "610113", "2026-01-05"))
	put(t, h.Store, b.ID, listEntry(1, "610113", "2026-01-05"))
	want = append(want, fmt.Sprintf("list_exit:%d", entry))
	// Another entry, revoked, then restored.
	e2 := put(t, h.Store, b.ID, listEntry(2, "610113", ""))[0].ID
	if err := h.Store.SetRecordState(ctx, e2, store.StateRevoked, "认定决定被撤销"); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.SetRecordState(ctx, e2, store.StateActive, "复议恢复"); err != nil {
		t.Fatal(err)
	}
	want = append(want, fmt.Sprintf("list_entry:%d", e2), fmt.Sprintf("list_exit:%d", e2), fmt.Sprintf("list_entry:%d", e2))
	// Revoking an exited entry or a penalty, filing an entry already
	// exited: nothing.
	if err := h.Store.SetRecordState(ctx, entry, store.StateRevoked, "x"); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.SetRecordState(ctx, pen, store.StateRevoked, "x"); err != nil {
		t.Fatal(err)
	}
	put(t, h.Store, b.ID, listEntry(3, "610113", "2025-12-01"))
	// Filed and exited in one batch: both, in order.
	o := put(t, h.Store, b.ID, listEntry(4, "610113", ""), listEntry(4, "610113", "2026-02-01"))
	want = append(want, fmt.Sprintf("list_entry:%d", o[0].ID), fmt.Sprintf("list_exit:%d", o[0].ID))
	// A repair.
	rep, err := h.Store.AppendRepair(ctx, pen)
	if err != nil || rep.Type != store.ChangeRepair || rep.RecordID != pen || rep.Seq == 0 {
		t.Fatalf("AppendRepair: %+v %v", rep, err)
	}
	want = append(want, fmt.Sprintf("repair:%d", pen))
	if _, err := h.Store.AppendRepair(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("repair of an unknown record: %v", err)
	}

	evs, next := feed(t, h.Store, org, 0)
	if got := describe(evs); got != strings.Join(want, " ") {
		t.Fatalf("events:\n got %s\nwant %s", got, strings.Join(want, " "))
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) || e.At.IsZero() {
			t.Errorf("event %d: seq %d at %v", i, e.Seq, e.At)
		}
	}
	if next != int64(len(evs)) || rep.Seq != next {
		t.Errorf("next %d, repair seq %d, %d events", next, rep.Seq, len(evs))
	}
	e := evs[0]
	if e.Kind != "sx" || e.ListType != "失信被执行人" || e.Region != "610113" || e.Subject.Name != "名单测试001有限公司" ||
		e.Subject.USCC != USCC("91", "610113", 301) || e.SubjectID == 0 || e.Subject.ID != e.SubjectID || e.DecisionNo != "（2025）陕0113执1号" {
		t.Errorf("list entry event %+v", e)
	}
	if e := evs[1]; e.Kind != "cf" || e.ListType != "" || e.Region != "610100" || e.Subject.Region != "610100" {
		t.Errorf("penalty event %+v", e)
	}
	// The record writes and their events are one: a version of the
	// entry that was filed carries its exit.
	if r, _ := h.Store.GetRecord(ctx, entry); !strings.Contains(string(r.Fields), "2026-01-05") {
		t.Errorf("entry %s", r.Fields)
	}
	// Nothing after the head.
	if evs, n := feed(t, h.Store, org, next); len(evs) != 0 || n != next {
		t.Errorf("after the head: %d events, next %d", len(evs), n)
	}
}

func testChangesWatches(t *testing.T, h Harness) {
	ctx := context.Background()
	b := startBatch(t, h.Store, "")
	out := put(t, h.Store, b.ID, listEntry(1, "610113", ""), listEntry(2, "610300", ""), badPenalty(3, "610104", "警告"))
	subA := mustFind(t, h.Store, USCC("91", "610113", 301))
	subB := mustFind(t, h.Store, USCC("91", "610300", 302))
	const (
		bySubject = iota + 1 // watches A
		byRegion             // watches 6103 (B)
		both                 // watches 6101 (A and the penalty) and B
		none
		many // watches A and 6103 among many others
	)
	if n := mustWatch(t, h.Store, store.Watch{OrgID: bySubject, SubjectID: subA.ID}, store.Watch{OrgID: byRegion, Region: "6103"},
		store.Watch{OrgID: both, Region: "6101"}, store.Watch{OrgID: both, SubjectID: subB.ID}); n != 4 {
		t.Fatalf("%d added", n)
	}
	// Again: nothing new; one new among old ones.
	if n := mustWatch(t, h.Store, store.Watch{OrgID: bySubject, SubjectID: subA.ID}, store.Watch{OrgID: both, Region: "6101"},
		store.Watch{OrgID: bySubject, Region: "6101"}); n != 1 {
		t.Fatalf("%d added again, want 1", n)
	}
	for _, w := range []store.Watch{{OrgID: 1}, {OrgID: 1, SubjectID: subA.ID, Region: "61"}, {OrgID: 1, Region: "6"}, {OrgID: 1, Region: "6101a"},
		{OrgID: 1, Region: "6101011"}, {OrgID: 0, Region: "61"}, {OrgID: 1, SubjectID: -1}} {
		if _, err := h.Store.AddWatches(ctx, []store.Watch{w}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%+v: %v", w, err)
		}
	}
	ws, err := h.Store.ListWatches(ctx, bySubject)
	if err != nil || len(ws) != 2 || ws[0].SubjectID != subA.ID || ws[0].Subject.Name != subA.Name || ws[0].Subject.USCC != subA.USCC ||
		ws[0].Region != "" || ws[1].Region != "6101" || ws[1].SubjectID != 0 || ws[0].Created.IsZero() || ws[0].OrgID != bySubject {
		t.Fatalf("watches %+v %v", ws, err)
	}
	// Another organisation cannot remove it.
	if err := h.Store.RemoveWatch(ctx, both, ws[1].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("remove another's watch: %v", err)
	}
	if err := h.Store.RemoveWatch(ctx, bySubject, ws[1].ID); err != nil {
		t.Fatal(err)
	}
	if ws, _ := h.Store.ListWatches(ctx, bySubject); len(ws) != 1 {
		t.Errorf("after remove: %+v", ws)
	}
	if ws, err := h.Store.ListWatches(ctx, none); err != nil || len(ws) != 0 {
		t.Errorf("no watches: %+v %v", ws, err)
	}

	// More watches than a statement carries as values.
	lots := []store.Watch{{OrgID: many, SubjectID: subA.ID}, {OrgID: many, Region: "6103"}}
	for i := range 150 {
		lots = append(lots, store.Watch{OrgID: many, SubjectID: int64(1_000_000 + i)}, store.Watch{OrgID: many, Region: fmt.Sprintf("9%05d", i)},
			store.Watch{OrgID: many, Region: fmt.Sprintf("8%d", 10+i%90)})
	}
	if n := mustWatch(t, h.Store, lots...); n != 2+150+150+90 {
		t.Fatalf("%d of many added", n)
	}

	a, bb, pen := out[0].ID, out[1].ID, out[2].ID
	for org, want := range map[int64]string{
		bySubject: fmt.Sprintf("list_entry:%d", a),
		byRegion:  fmt.Sprintf("list_entry:%d", bb),
		both:      fmt.Sprintf("list_entry:%d list_entry:%d bad_record:%d", a, bb, pen),
		none:      "",
		many:      fmt.Sprintf("list_entry:%d list_entry:%d", a, bb),
	} {
		evs, next := feed(t, h.Store, org, 0)
		if got := describe(evs); got != want || next != 3 {
			t.Errorf("org %d: %q next %d, want %q next 3", org, got, next, want)
		}
	}
}

func testChangesPaging(t *testing.T, h Harness) {
	ctx := context.Background()
	const org = 7
	mustWatch(t, h.Store, store.Watch{OrgID: org, Region: "6101"})
	b := startBatch(t, h.Store, "")
	// Events in 6101 and elsewhere, interleaved, and a tail that matches
	// nothing.
	for i := range 8 {
		region := "610113"
		if i%3 == 1 {
			region = "620100"
		}
		put(t, h.Store, b.ID, listEntry(i, region, ""), badPenalty(i, region, "罚款"))
	}
	for i := range 3 {
		put(t, h.Store, b.ID, badPenalty(50+i, "530100", "罚款"))
	}
	const head = 8*2 + 3
	all, next := feed(t, h.Store, org, 0)
	if next != head || len(all) == 0 {
		t.Fatalf("%d events, next %d", len(all), next)
	}
	for _, e := range all {
		if !strings.HasPrefix(e.Region, "6101") {
			t.Errorf("event of region %s", e.Region)
		}
	}
	// Limit 1 walks every event once, in order.
	var walked []store.ChangeEvent
	cursor := int64(0)
	for range 100 {
		page, n, err := h.Store.ChangesFor(ctx, org, cursor, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 1 || n < cursor || (len(page) == 1 && page[0].Seq != n) {
			t.Fatalf("page from %d: %d events, next %d", cursor, len(page), n)
		}
		walked = append(walked, page...)
		if n == cursor {
			break
		}
		cursor = n
	}
	if describe(walked) != describe(all) {
		t.Fatalf("walked %s\n   all %s", describe(walked), describe(all))
	}
	// After the last match, a page with none advances to the head.
	last := all[len(all)-1].Seq
	if last >= head {
		t.Fatal("no trailing events")
	}
	if page, n, err := h.Store.ChangesFor(ctx, org, last, 1); err != nil || len(page) != 0 || n != head {
		t.Errorf("after the last match: %d events, next %d, %v; want none and %d", len(page), n, err, head)
	}
	// The default limit, and a limit above the maximum.
	if page, _, _ := h.Store.ChangesFor(ctx, org, 0, 0); len(page) != len(all) {
		t.Errorf("default limit: %d", len(page))
	}
	if page, _, _ := h.Store.ChangesFor(ctx, org, -5, store.MaxChangesLimit+1); len(page) != len(all) {
		t.Errorf("over the maximum: %d", len(page))
	}
}

// testChangesConcurrent writes from 4 goroutines while a reader follows
// the feed: the reader sees every event exactly once, the sequence is
// 1..n without a gap, however the writers' transactions interleave.
func testChangesConcurrent(t *testing.T, h Harness) {
	ctx := context.Background()
	const org, writers, rounds = 3, 4, 8
	mustWatch(t, h.Store, store.Watch{OrgID: org, Region: "61"})
	b := startBatch(t, h.Store, "")
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds*3)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				n := 100 + w*rounds + i
				out, err := store.PutRecords(ctx, h.Store, b.ID, []store.RecordInput{listEntry(n, "610113", ""), badPenalty(n, "610100", "罚款")})
				if err != nil {
					errs <- err
					continue
				}
				if i%2 == 0 {
					errs <- h.Store.SetRecordState(ctx, out[0].ID, store.StateRevoked, "撤销")
				}
				if i%4 == 1 {
					_, err := h.Store.AppendRepair(ctx, out[1].ID)
					errs <- err
				}
			}
		}()
	}
	const total = writers * (rounds*2 + rounds/2 + rounds/4)
	writing := make(chan struct{})
	done := make(chan struct{})
	var seen []int64
	go func() {
		defer close(done)
		cursor := int64(0)
		for {
			select {
			case <-writing:
			default:
				// The writers are still at work.
				page, next, err := h.Store.ChangesFor(ctx, org, cursor, 7)
				if err != nil {
					t.Errorf("read while writing: %v", err)
					return
				}
				for _, e := range page {
					seen = append(seen, e.Seq)
				}
				cursor = next
				continue
			}
			// The writers are done: read to the end.
			page, next, err := h.Store.ChangesFor(ctx, org, cursor, 7)
			if err != nil {
				t.Errorf("read after writing: %v", err)
				return
			}
			for _, e := range page {
				seen = append(seen, e.Seq)
			}
			if next == cursor {
				return
			}
			cursor = next
		}
	}()
	wg.Wait()
	close(writing)
	<-done
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent: %v", err)
		}
	}
	if len(seen) != total {
		t.Fatalf("reader saw %d events, want %d", len(seen), total)
	}
	for i, s := range seen {
		if s != int64(i+1) {
			t.Fatalf("reader's event %d has seq %d: %v", i, s, seen)
		}
	}
	all, next := feed(t, h.Store, org, 0)
	if len(all) != total || next != total || !slices.IsSortedFunc(all, func(a, b store.ChangeEvent) int { return int(a.Seq - b.Seq) }) {
		t.Fatalf("full walk: %d events, next %d", len(all), next)
	}
}
