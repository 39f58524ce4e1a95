package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

func objectionTests() []namedTest {
	return []namedTest{
		{"Objections", testObjections},
	}
}

func testObjections(t *testing.T, h Harness) {
	ctx := context.Background()
	b := startBatch(t, h.Store, "")
	out := put(t, h.Store, b.ID, penalty(1, "内容"), penalty(2, "内容"), penalty(3, "内容"))
	recs := make([]store.Record, len(out))
	for i, o := range out {
		r, err := h.Store.GetRecord(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Objected {
			t.Fatalf("record %d objected before any objection", r.ID)
		}
		recs[i] = r
	}
	contact := []byte{1, 2, 3, 0, 255} // opaque to the store: the service seals it
	row := func(r store.Record, dept, due string) store.ObjectionRow {
		return store.ObjectionRow{RecordID: r.ID, RecordVersion: r.Version, SubjectID: r.SubjectID, Dept: dept, State: "pending",
			Marks: true, ApplicantUser: 7, ApplicantName: "西安处罚测试公司", Contact: contact, DueOn: due, Body: []byte(`{"State":"pending"}`),
			FiledAt: time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)}
	}
	audit := auth.AuditEntry{Actor: "user:7", Action: auth.AuditObjection, Outcome: "file", SubjectID: recs[0].SubjectID}
	a, err := h.Store.AddObjection(ctx, row(recs[0], "D1", "2026-11-09"), []store.CaseFile{{Name: "收据.png", ContentType: "image/png", Size: 3, SHA256: "abc", Data: []byte{9, 8, 7}}}, audit)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || a.Rev != 1 || a.UpdatedAt.IsZero() {
		t.Fatalf("added %+v", a)
	}
	b2, _ := h.Store.AddObjection(ctx, row(recs[1], "D1", "2026-11-05"), nil, audit)
	c, _ := h.Store.AddObjection(ctx, row(recs[2], "D2", ""), nil, audit)
	second, _ := h.Store.AddObjection(ctx, row(recs[0], "D1", "2026-11-20"), nil, audit)
	if _, err := h.Store.AddObjection(ctx, row(store.Record{ID: 987654}, "D1", ""), nil, audit); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("objection to a missing record: %v", err)
	}
	// The record is flagged, the row reads back as written.
	if r, _ := h.Store.GetRecord(ctx, recs[0].ID); !r.Objected {
		t.Error("record not flagged as objected")
	}
	got, err := h.Store.GetObjection(ctx, a.ID)
	if err != nil || got.RecordID != recs[0].ID || got.Dept != "D1" || !got.Marks || got.ApplicantUser != 7 || got.DueOn != "2026-11-09" ||
		string(got.Body) != `{"State":"pending"}` || got.Rev != 1 || !got.FiledAt.Equal(a.FiledAt) {
		t.Fatalf("GetObjection = %+v, %v", got, err)
	}
	if len(got.Files) != 1 || got.Files[0].Name != "收据.png" || got.Files[0].Data != nil || len(a.Files) != 1 || a.Files[0].ID != got.Files[0].ID {
		t.Errorf("files %+v", got.Files)
	} else if f, err := h.Store.ObjectionFile(ctx, got.Files[0].ID); err != nil || !slices.Equal(f.Data, []byte{9, 8, 7}) || f.CaseID != a.ID {
		t.Errorf("file %+v, %v", f, err)
	}
	if _, err := h.Store.ObjectionFile(ctx, 987654); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing file: %v", err)
	}
	if !slices.Equal(got.Contact, contact) {
		t.Errorf("contact %v", got.Contact)
	}
	if _, err := h.Store.GetObjection(ctx, 987654); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing objection: %v", err)
	}
	// Updates: rev must match; a stale rev is a conflict and changes nothing.
	got.State, got.Marks, got.DueOn, got.Body = "decided", false, "", []byte(`{"State":"decided"}`)
	upd, err := h.Store.UpdateObjection(ctx, got, audit)
	if err != nil || upd.Rev != 2 {
		t.Fatalf("update: %+v, %v", upd, err)
	}
	stale := got
	stale.State = "rejected"
	if _, err := h.Store.UpdateObjection(ctx, stale, audit); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale update: %v", err)
	}
	if now, _ := h.Store.GetObjection(ctx, a.ID); now.State != "decided" || now.Marks || now.DueOn != "" || now.Rev != 2 {
		t.Errorf("after update %+v", now)
	}
	if _, err := h.Store.UpdateObjection(ctx, store.ObjectionRow{ID: 987654, Rev: 1}, audit); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of a missing objection: %v", err)
	}
	// By record; listed by due day (none last), then id.
	byRec, err := h.Store.ObjectionsOfRecords(ctx, []int64{recs[0].ID, recs[2].ID})
	if ids := objectionIDs(byRec); err != nil || !slices.Equal(ids, []int64{a.ID, c.ID, second.ID}) {
		t.Errorf("ObjectionsOfRecords = %v, %v", ids, err)
	}
	all, err := h.Store.ListObjections(ctx, store.CaseFilter{})
	if ids := objectionIDs(all); err != nil || !slices.Equal(ids, []int64{b2.ID, second.ID, a.ID, c.ID}) {
		t.Errorf("ListObjections = %v, %v", ids, err)
	}
	if w, err := h.Store.ListObjections(ctx, store.CaseFilter{Waiting: true}); err != nil || len(w) == 0 || len(w) >= len(all) ||
		slices.ContainsFunc(w, func(r store.ObjectionRow) bool { return r.DueOn == "" }) {
		t.Errorf("waiting objections %v %v", objectionIDs(w), err)
	}
	d1, _ := h.Store.ListObjections(ctx, store.CaseFilter{Depts: []string{"D1"}, States: []string{"pending"}})
	if ids := objectionIDs(d1); !slices.Equal(ids, []int64{b2.ID, second.ID}) {
		t.Errorf("D1 pending = %v", ids)
	}
	if mine, _ := h.Store.ListObjections(ctx, store.CaseFilter{ApplicantUser: 7, Limit: 2}); len(mine) != 2 {
		t.Errorf("applicant's, limit 2: %d", len(mine))
	}
	// Every change went to the audit trail.
	entries, err := h.Store.ListAudit(ctx, store.AuditFilter{Actions: []string{auth.AuditObjection}})
	if err != nil || len(entries) != 5 {
		t.Errorf("audit entries %d, %v", len(entries), err)
	}
}

func objectionIDs(rows []store.ObjectionRow) []int64 {
	var out []int64
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}
