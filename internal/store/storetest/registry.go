package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

func registryTests() []namedTest {
	return []namedTest{
		{"RegistryApplyOnceInOrder", testRegistryApply},
		{"RegistryCases", testRegistryCases},
	}
}

// testRegistryApply: a batch applies once; an older registration changes
// nothing; a rename keeps the former name; a 注销 keeps what it does not
// carry; related registrations are found by code, name, former name and
// org-code body.
func testRegistryApply(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	code, other := USCC("91", "610100", 1), USCC("51", "610100", 2)
	auth1, auth2 := USCC("11", "610100", 3), USCC("11", "610000", 4)
	g := store.Registration{USCC: code, AuthorityCode: auth1, AuthorityName: "市场监管局", DeptCode: "9", Name: "甲公司",
		LegalRep: "张三", Address: "一路1号", Founded: "2020-01-02", Status: "存续", Business: "设立", Day: "2020-01-02", RecordID: 10,
		Approval: "市场监管局"}
	ok, err := s.ApplyRegistryBatch(ctx, 1, []store.Registration{g, {USCC: other, AuthorityCode: auth2, AuthorityName: "民政厅",
		Name: "乙协会", Status: "存续", Business: "设立", Day: "2021-01-01", RecordID: 11}})
	if err != nil || !ok {
		t.Fatalf("apply: %v %v", ok, err)
	}
	again, err := s.ApplyRegistryBatch(ctx, 1, []store.Registration{{USCC: code, AuthorityCode: auth1, Name: "错", Status: "注销", Day: "2030-01-01", RecordID: 99}})
	if err != nil || again {
		t.Fatalf("the same batch applied twice: %v %v", again, err)
	}
	renamed := g
	renamed.Name, renamed.Business, renamed.Day, renamed.RecordID = "甲科技公司", "变更", "2022-05-06", 12
	older := g
	older.Name, older.Day, older.RecordID = "更早的名称", "2019-01-01", 13
	if _, err := s.ApplyRegistryBatch(ctx, 2, []store.Registration{renamed, older}); err != nil {
		t.Fatal(err)
	}
	cancel := store.Registration{USCC: code, AuthorityCode: auth1, AuthorityName: "市场监管局", Name: "甲科技公司", Status: "注销",
		Business: "注销", Day: "2023-01-01", RecordID: 14}
	if _, err := s.ApplyRegistryBatch(ctx, 3, []store.Registration{cancel}); err != nil {
		t.Fatal(err)
	}
	regs, err := s.RegistrationsOf(ctx, []string{code})
	if err != nil || len(regs) != 1 {
		t.Fatalf("%v %v", regs, err)
	}
	r := regs[0]
	if r.Name != "甲科技公司" || !slices.Equal(r.FormerNames, []string{"甲公司"}) || r.Status != "注销" || r.LegalRep != "张三" ||
		r.Founded != "2020-01-02" || r.Approval != "市场监管局" || r.RecordID != 14 || r.FirstSeen.IsZero() {
		t.Fatalf("registration: %+v", r)
	}
	rel, err := s.RegistrationsRelated(ctx, nil, []string{"甲公司"}, []string{other[8:16]})
	if err != nil || len(rel) != 2 {
		t.Fatalf("related: %+v %v", rel, err)
	}
	n := 0
	if err := s.Registrations(ctx, func(g *store.Registration) error { n++; return nil }); err != nil || n != 2 {
		t.Fatalf("registrations: %d %v", n, err)
	}
	counts, err := s.RegistrationCounts(ctx)
	if err != nil || len(counts) != 2 {
		t.Fatalf("counts: %+v %v", counts, err)
	}
	pending, err := s.PendingRegistryBatches(ctx, "dj")
	if err != nil || len(pending) != 0 {
		t.Fatalf("pending: %v %v", pending, err)
	}
}

// testRegistryCases: findings open cases once per key; a case not found
// again in scope closes; a whitelisted key is never opened again; an
// update from a stale state conflicts.
func testRegistryCases(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	f1 := store.RegistryFinding{Key: "错码|A", Type: "错码", Codes: []string{"A"}, Authority: "X", Evidence: []byte(`{}`), Due: "2026-12-01"}
	f2 := store.RegistryFinding{Key: "重复赋码|B,C", Type: "重复赋码", Codes: []string{"B", "C"}, Authority: "Y", Evidence: []byte(`{}`)}
	res, err := s.SyncRegistryCases(ctx, []store.RegistryFinding{f1, f2}, nil)
	if err != nil || res.Opened != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	res, err = s.SyncRegistryCases(ctx, []store.RegistryFinding{f1, f2}, nil)
	if err != nil || res.Opened != 0 || res.Open != 2 {
		t.Fatalf("again: %+v %v", res, err)
	}
	// Out of scope: B,C stays open although not found.
	res, err = s.SyncRegistryCases(ctx, []store.RegistryFinding{f1}, []string{"A", "B"})
	if err != nil || res.Closed != 0 {
		t.Fatalf("scope: %+v %v", res, err)
	}
	cases, err := s.RegistryCases(ctx, store.RegistryCaseFilter{Authority: "Y"})
	if err != nil || len(cases) != 1 || !slices.Equal(cases[0].Codes, []string{"B", "C"}) || cases[0].State != store.CaseOpen {
		t.Fatalf("cases: %+v %v", cases, err)
	}
	c := cases[0]
	c.State, c.Actor = store.CaseWhitelisted, "user:20"
	a := auth.AuditEntry{Actor: "user:20", Action: "registry.whitelist_decide", Outcome: "ok"}
	if err := s.UpdateRegistryCase(ctx, c, store.CaseWhitelistRq, true, a); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale update: %v", err)
	}
	if err := s.UpdateRegistryCase(ctx, c, store.CaseOpen, true, a); err != nil {
		t.Fatal(err)
	}
	res, err = s.SyncRegistryCases(ctx, []store.RegistryFinding{f1, f2}, nil)
	if err != nil || res.Opened != 0 {
		t.Fatalf("whitelisted reopened: %+v %v", res, err)
	}
	res, err = s.SyncRegistryCases(ctx, nil, nil)
	if err != nil || res.Closed != 1 || res.Open != 0 {
		t.Fatalf("close: %+v %v", res, err)
	}
	got, err := s.GetRegistryCase(ctx, cases[0].ID)
	if err != nil || got.State != store.CaseWhitelisted {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := s.GetRegistryCase(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing case: %v", err)
	}
}
