package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

func marketTests() []namedTest {
	return []namedTest{{"Market", testMarket}}
}

// testMarket: items are added and replaced (a second item of the same
// industry and name is refused); an agency's file is one per subject,
// versioned (a stale update conflicts and changes nothing); projects are
// listed by owner, state and winner; files come back whole; every change
// leaves an audit entry.
func testMarket(t *testing.T, h Harness) {
	ctx := context.Background()
	b := startBatch(t, h.Store, "")
	out := put(t, h.Store, b.ID, penalty(1, "内容"), penalty(2, "内容"))
	r1, _ := h.Store.GetRecord(ctx, out[0].ID)
	r2, _ := h.Store.GetRecord(ctx, out[1].ID)
	audit := auth.AuditEntry{Actor: "user:61", Action: auth.AuditMarket, Outcome: "test"}

	it, err := h.Store.PutMarketItem(ctx, store.MarketItem{Industry: "住房城乡建设", Name: "房屋建筑工程施工图审查", Type: "技术审查", Fee: "市场调节价", Active: true}, audit)
	if err != nil || it.ID == 0 || it.Fee != "市场调节价" || !it.Active {
		t.Fatalf("PutMarketItem = %+v, %v", it, err)
	}
	if _, err := h.Store.PutMarketItem(ctx, store.MarketItem{Industry: "住房城乡建设", Name: "房屋建筑工程施工图审查"}, audit); !errors.Is(err, fault.Exists) {
		t.Errorf("a duplicate item: %v", err)
	}
	it.Active, it.TimeLimit = false, "20个工作日"
	if it, err = h.Store.PutMarketItem(ctx, it, audit); err != nil || it.Active || it.TimeLimit != "20个工作日" {
		t.Errorf("replace item = %+v, %v", it, err)
	}
	if all, _ := h.Store.ListMarketItems(ctx, false); len(all) != 1 {
		t.Errorf("items = %d", len(all))
	}
	if act, _ := h.Store.ListMarketItems(ctx, true); len(act) != 0 {
		t.Errorf("active items = %d", len(act))
	}

	a, err := h.Store.AddMarketAgency(ctx, store.MarketAgency{SubjectID: r1.SubjectID, State: "applied", Body: []byte(`{"x":1}`)}, audit)
	if err != nil || a.Rev != 1 || string(a.Body) != `{"x":1}` {
		t.Fatalf("AddMarketAgency = %+v, %v", a, err)
	}
	if _, err := h.Store.AddMarketAgency(ctx, store.MarketAgency{SubjectID: r1.SubjectID, State: "applied", Body: []byte(`{}`)}, audit); !errors.Is(err, fault.Exists) {
		t.Errorf("a second file of the subject: %v", err)
	}
	if _, err := h.Store.AddMarketAgency(ctx, store.MarketAgency{SubjectID: 999999, State: "applied", Body: []byte(`{}`)}, audit); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown subject: %v", err)
	}
	a.State, a.Body = "active", []byte(`{"x":2}`)
	a2, err := h.Store.UpdateMarketAgency(ctx, a, audit)
	if err != nil || a2.Rev != 2 || a2.State != "active" {
		t.Fatalf("UpdateMarketAgency = %+v, %v", a2, err)
	}
	a.Body = []byte(`{"stale":true}`)
	if _, err := h.Store.UpdateMarketAgency(ctx, a, audit); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a stale update: %v", err)
	}
	if got, _ := h.Store.MarketAgencyOf(ctx, r1.SubjectID); string(got.Body) != `{"x":2}` {
		t.Errorf("after a stale update: %s", got.Body)
	}
	if _, err := h.Store.MarketAgencyOf(ctx, r2.SubjectID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarketAgencyOf without a file: %v", err)
	}
	if l, _ := h.Store.ListMarketAgencies(ctx, "applied"); len(l) != 0 {
		t.Errorf("applied agencies: %d", len(l))
	}
	if l, _ := h.Store.ListMarketAgencies(ctx, "active", "exited"); len(l) != 1 {
		t.Errorf("active agencies: %d", len(l))
	}

	p1, err := h.Store.AddMarketProject(ctx, store.MarketProject{OwnerOrgID: 5, State: "review", Body: []byte(`{}`)}, audit)
	if err != nil || p1.Rev != 1 {
		t.Fatalf("AddMarketProject = %+v, %v", p1, err)
	}
	p2, _ := h.Store.AddMarketProject(ctx, store.MarketProject{OwnerOrgID: 6, State: "open", Body: []byte(`{}`)}, audit)
	p2.State, p2.WinnerSubjectID = "selected", r2.SubjectID
	if p2, err = h.Store.UpdateMarketProject(ctx, p2, audit); err != nil || p2.Rev != 2 || p2.WinnerSubjectID != r2.SubjectID {
		t.Fatalf("UpdateMarketProject = %+v, %v", p2, err)
	}
	p2.Rev = 1
	if _, err := h.Store.UpdateMarketProject(ctx, p2, audit); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a stale project update: %v", err)
	}
	for _, c := range []struct {
		f    store.MarketProjectFilter
		want int
	}{
		{store.MarketProjectFilter{}, 2},
		{store.MarketProjectFilter{OwnerOrgID: 5}, 1},
		{store.MarketProjectFilter{WinnerSubjectID: r2.SubjectID}, 1},
		{store.MarketProjectFilter{States: []string{"selected", "review"}}, 2},
		{store.MarketProjectFilter{States: []string{"open"}}, 0},
		{store.MarketProjectFilter{Limit: 1}, 1},
	} {
		if l, err := h.Store.ListMarketProjects(ctx, c.f); err != nil || len(l) != c.want {
			t.Errorf("ListMarketProjects(%+v) = %d, %v", c.f, len(l), err)
		}
	}

	data := []byte("%PDF-1.4 合同")
	id, err := h.Store.AddMarketFile(ctx, store.MarketFile{Owner: "project:1", Name: "合同.pdf", Type: "application/pdf", SHA256: "x", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if f, err := h.Store.GetMarketFile(ctx, id); err != nil || string(f.Data) != string(data) || f.Name != "合同.pdf" {
		t.Errorf("GetMarketFile = %+v, %v", f, err)
	}
	entries, err := h.Store.ListAudit(ctx, store.AuditFilter{Actions: []string{auth.AuditMarket}})
	if err != nil || len(entries) != 7 {
		t.Errorf("audit entries = %d, %v", len(entries), err)
	}
}
