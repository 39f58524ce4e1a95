package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

func hiringTests() []namedTest {
	return []namedTest{{"HiringChecks", testHiringChecks}}
}

func testHiringChecks(t *testing.T, h Harness) {
	ctx := context.Background()
	k := Keys()
	id1 := RIC("610103", "19950505", 1)
	cands := []store.HiringCandidate{
		{Index: 1, NameEnc: k.Encrypt("张三"), IDEnc: k.Encrypt(id1), Post: "科员"},
		{Index: 2, NameEnc: k.Encrypt("李四"), IDEnc: k.Encrypt(RIC("610103", "19960606", 2)), Post: "科员"},
	}
	audit := []auth.AuditEntry{{Actor: "user:50:hirer", Action: "hiring", Outcome: "submit"}}
	c, err := h.Store.AddHiringCheck(ctx, store.HiringCheck{OrgID: 5, OrgPath: "/1/2/3/5/", ResponderID: 2, ResponderPath: "/1/2/",
		Kind: "公务员录用", Level: "province", State: "received", DocNo: "西组函〔2026〕1号", Title: "关于商请查询的函",
		Contact: "王老师", Phone: "029-1", Flow: []byte(`{"events":[]}`), Candidates: cands}, audit)
	if err != nil || c.ID == 0 || c.Rev != 1 {
		t.Fatalf("add: %+v %v", c, err)
	}
	// The same unit's document number again: refused, nothing stored.
	if _, err := h.Store.AddHiringCheck(ctx, store.HiringCheck{OrgID: 5, OrgPath: "/1/2/3/5/", ResponderID: 2, ResponderPath: "/1/2/",
		Kind: "公务员录用", Level: "province", State: "received", DocNo: "西组函〔2026〕1号", Title: "t", Candidates: cands}, audit); !errors.Is(err, fault.Exists) {
		t.Errorf("same document number: %v", err)
	}
	got, err := h.Store.GetHiringCheck(ctx, c.ID)
	if err != nil || len(got.Candidates) != 2 || got.DocNo != c.DocNo || string(got.Flow) != `{"events":[]}` {
		t.Fatalf("get: %+v %v", got, err)
	}
	if n, _ := k.Decrypt(got.Candidates[0].IDEnc); n != id1 {
		t.Errorf("ID number read back %q", n)
	}
	// No ID number or name in clear in either table.
	for _, table := range []string{"hiring_checks", "hiring_candidates"} {
		texts, err := h.Texts(ctx, table)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range texts {
			if strings.Contains(s, id1) || strings.Contains(s, "张三") {
				t.Errorf("%s holds personal data in clear: %q", table, s)
			}
		}
	}
	// Update: state, flow, candidates' results; a stale rev conflicts.
	got.State, got.Flow = "replied", []byte(`{"reply_no":"x"}`)
	got.Candidates[0].SubjectID, got.Candidates[0].Target, got.Candidates[0].Lists = 77, true, []byte(`["失信被执行人"]`)
	closed := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	got.ClosedAt = closed
	up, err := h.Store.UpdateHiringCheck(ctx, got, []auth.AuditEntry{{Actor: "user:51:office", Action: "hiring.query", SubjectID: 77, Outcome: "ok"}})
	if err != nil || up.Rev != 2 || up.State != "replied" || !up.Candidates[0].Target || up.Candidates[0].SubjectID != 77 ||
		string(up.Candidates[0].Lists) != `["失信被执行人"]` || !up.ClosedAt.Equal(closed) {
		t.Fatalf("update: %+v %v", up, err)
	}
	if _, err := h.Store.UpdateHiringCheck(ctx, got, nil); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale update: %v", err)
	}
	// Lists by requester, responder and candidate.
	for _, f := range []store.HiringFilter{{OrgPath: "/1/2/3/"}, {ResponderPath: "/1/2/"}, {SubjectID: 77}, {}} {
		if l, err := h.Store.ListHiringChecks(ctx, f); err != nil || len(l) != 1 || l[0].ID != c.ID {
			t.Errorf("list %+v: %d %v", f, len(l), err)
		}
	}
	for _, f := range []store.HiringFilter{{OrgPath: "/1/2/7/"}, {ResponderPath: "/1/2/3/"}, {SubjectID: 78}} {
		if l, err := h.Store.ListHiringChecks(ctx, f); err != nil || len(l) != 0 {
			t.Errorf("list %+v: %d %v", f, len(l), err)
		}
	}
	// Key rotation re-encrypts the candidates' names and ID numbers.
	for _, col := range store.EncryptedColumns {
		if col.Table != "hiring_candidates" {
			continue
		}
		ks, ok := h.Store.(store.KeyStore)
		if !ok {
			t.Fatal("the driver is no KeyStore")
		}
		_, read, rewritten, err := ks.ReencryptBatch(ctx, col, nil, 10, func(b []byte) ([]byte, error) { return k.Reencrypt(b) })
		if err != nil || read != 2 {
			t.Errorf("re-encrypt %s: %d read, %d rewritten, %v", col.Column, read, rewritten, err)
		}
	}
	if again, _ := h.Store.GetHiringCheck(ctx, c.ID); len(again.Candidates) == 2 {
		if n, err := k.Decrypt(again.Candidates[0].IDEnc); err != nil || n != id1 {
			t.Errorf("after re-encryption: %q %v", n, err)
		}
	}
	// Erasure: nothing closed before the day before; then the request.
	if n, err := h.Store.EraseHiringData(ctx, closed, auth.AuditEntry{Actor: "system:test", Action: "hiring", Outcome: "erase"}); err != nil || n != 0 {
		t.Errorf("erase before closing: %d %v", n, err)
	}
	n, err := h.Store.EraseHiringData(ctx, closed.Add(time.Hour), auth.AuditEntry{Actor: "system:test", Action: "hiring", Outcome: "erase"})
	if err != nil || n != 1 {
		t.Fatalf("erase: %d %v", n, err)
	}
	e, _ := h.Store.GetHiringCheck(ctx, c.ID)
	if e.ErasedAt.IsZero() || e.Candidates[0].NameEnc != nil || e.Candidates[0].IDEnc != nil || e.Candidates[0].SubjectID != 0 || e.Contact != "" ||
		!e.Candidates[0].Target {
		t.Errorf("erased: %+v", e)
	}
	if l, _ := h.Store.ListHiringChecks(ctx, store.HiringFilter{SubjectID: 77}); len(l) != 0 {
		t.Error("an erased request is still found by its candidate")
	}
	if n, _ := h.Store.EraseHiringData(ctx, time.Now(), auth.AuditEntry{Actor: "system:test", Action: "hiring"}); n != 0 {
		t.Errorf("erased twice: %d", n)
	}
	e.State = "x"
	if _, err := h.Store.UpdateHiringCheck(ctx, e, nil); err == nil {
		t.Error("an erased request updated")
	}
}
