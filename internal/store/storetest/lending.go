package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

func lendingTests() []namedTest {
	return []namedTest{{"Lending", testLending}}
}

func testLending(t *testing.T, h Harness) {
	ctx := context.Background()
	root, err := h.Store.RootOrg(ctx, "平台运营")
	if err != nil {
		t.Fatal(err)
	}
	bank, err := h.Store.CreateOrg(ctx, auth.Org{ParentID: root.ID, Kind: auth.Dept, Name: "某银行西安分行", USCC: USCC("91", "610100", 71)},
		auth.AuditEntry{Action: auth.AuditOrgChange})
	if err != nil {
		t.Fatal(err)
	}
	a := auth.AuditEntry{Actor: "system:test", Action: "lending"}
	if _, err := h.Store.AddLender(ctx, store.Lender{OrgID: bank.ID, Kind: "银行", CreatedBy: "system:test"}, a); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.AddLender(ctx, store.Lender{OrgID: bank.ID, Kind: "银行"}, a); !errors.Is(err, fault.Exists) {
		t.Errorf("lender twice: %v", err)
	}
	if ls, err := h.Store.ListLenders(ctx); err != nil || len(ls) != 1 || ls[0].OrgID != bank.ID || ls[0].Kind != "银行" {
		t.Errorf("lenders %+v %v", ls, err)
	}
	g, err := h.Store.AddGrant(ctx, store.LendingGrant{SubjectID: 42, LenderID: bank.ID, Groups: []string{"tax", "utility"}, Purpose: "流动资金贷款",
		ValidFrom: "2026-11-01", ValidTo: "2027-10-31", CreatedBy: "user:9:firm"}, a)
	if err != nil || g.ID == 0 {
		t.Fatalf("grant %+v %v", g, err)
	}
	got, err := h.Store.GetGrant(ctx, g.ID)
	if err != nil || !slices.Equal(got.Groups, []string{"tax", "utility"}) || got.ValidTo != "2027-10-31" || !got.RevokedAt.IsZero() {
		t.Errorf("get %+v %v", got, err)
	}
	for _, f := range []store.GrantFilter{{SubjectID: 42}, {LenderID: bank.ID}, {}} {
		if l, err := h.Store.ListGrants(ctx, f); err != nil || len(l) != 1 {
			t.Errorf("list %+v: %d %v", f, len(l), err)
		}
	}
	if l, _ := h.Store.ListGrants(ctx, store.GrantFilter{SubjectID: 43}); len(l) != 0 {
		t.Error("another firm's grants")
	}
	at := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)
	r, err := h.Store.RevokeGrant(ctx, g.ID, "user:9:firm", at, a)
	if err != nil || !r.RevokedAt.Equal(at) || r.RevokedBy != "user:9:firm" {
		t.Errorf("revoke %+v %v", r, err)
	}
	if _, err := h.Store.RevokeGrant(ctx, g.ID, "x", at, a); !errors.Is(err, store.ErrConflict) {
		t.Errorf("revoke twice: %v", err)
	}
	if _, err := h.Store.RevokeGrant(ctx, 9999, "x", at, a); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke none: %v", err)
	}
	o := store.LendingOutcome{LenderID: bank.ID, SubjectID: 42, GrantID: g.ID, Month: "2026-11", Outcome: "declined", ReportedBy: "user:52"}
	if _, err := h.Store.AddOutcome(ctx, o, a); err != nil {
		t.Fatal(err)
	}
	o.Outcome, o.AmountBand = "granted", "100万-500万元"
	if _, err := h.Store.AddOutcome(ctx, o, a); err != nil {
		t.Fatal(err)
	}
	if os, err := h.Store.ListOutcomes(ctx, 0, "2026-11"); err != nil || len(os) != 1 || os[0].Outcome != "granted" || os[0].AmountBand != "100万-500万元" {
		t.Errorf("outcomes %+v %v", os, err)
	}
	if os, _ := h.Store.ListOutcomes(ctx, bank.ID, "2026-12"); len(os) != 0 {
		t.Error("outcomes of another month")
	}
}
