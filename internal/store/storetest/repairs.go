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

func repairTests() []namedTest {
	return []namedTest{
		{"Repairs", testRepairs},
	}
}

func testRepairs(t *testing.T, h Harness) {
	ctx := context.Background()
	b := startBatch(t, h.Store, "")
	out := put(t, h.Store, b.ID, penalty(1, "内容"), penalty(2, "内容"), penalty(3, "内容"))
	recs := make([]store.Record, len(out))
	for i, o := range out {
		r, err := h.Store.GetRecord(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.RepairedOn != "" {
			t.Fatalf("record %d repaired before any repair: %q", r.ID, r.RepairedOn)
		}
		recs[i] = r
	}
	sub, err := h.Store.GetSubject(ctx, recs[0].SubjectID)
	if err != nil {
		t.Fatal(err)
	}
	region := sub.Region
	if len(region) != 6 {
		region = "000000"
	}
	png := []byte("\x89PNG\r\n\x1a\n\x00\xff proof")
	audit := auth.AuditEntry{Actor: "user:7", Action: auth.AuditRepair, Outcome: "submit", SubjectID: recs[0].SubjectID}
	var openStates []string // AddRepair's OpenStates
	add := func(r store.Record, dept, due, madeOn string, files ...store.CaseFile) (store.RepairRow, error) {
		return h.Store.AddRepair(ctx, store.NewRepair{OpenStates: openStates,
			Row: store.RepairRow{RecordID: r.ID, RecordVersion: r.Version, SubjectID: r.SubjectID, Dept: dept, State: "submitted",
				ApplicantUser: 7, ApplicantName: "西安处罚测试公司", DueOn: due, FiledAt: time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)},
			Files: files,
			Commitment: store.Commitment{Kind: store.CommitmentRepair, Matter: "申请对行政处罚决定书" + r.DecisionNo + "信用修复",
				Content: "已纠正失信行为", Liability: "自愿撤销修复", MadeOn: madeOn, Disclosure: "可向社会公开"},
			Body: func(code string) ([]byte, error) { return []byte(`{"Commitment":"` + code + `"}`), nil },
		}, audit)
	}
	a, err := add(recs[0], "D1", "2026-11-16", "2026-11-02",
		store.CaseFile{Name: "罚款收据.png", ContentType: "image/png", Size: int64(len(png)), SHA256: "aa", Data: png},
		store.CaseFile{Name: "整改报告.pdf", ContentType: "application/pdf", Size: 8, SHA256: "bb", Data: []byte("%PDF-1.4")})
	if err != nil {
		t.Fatal(err)
	}
	code1 := region + "20261102" + "000001"
	if a.ID == 0 || a.Rev != 1 || a.UpdatedAt.IsZero() || a.CommitmentID == 0 || a.Commitment.Code != code1 ||
		string(a.Body) != `{"Commitment":"`+code1+`"}` || len(a.Files) != 2 || a.Files[0].ID == 0 || a.Files[0].Size != int64(len(png)) ||
		a.Files[0].Data != nil || a.Files[1].CaseID != a.ID {
		t.Fatalf("added %+v", a)
	}
	// The sequence runs per region and day; a failed application takes no number.
	if _, err := add(store.Record{ID: 987654, SubjectID: recs[0].SubjectID}, "D1", "", "2026-11-02"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("repair of a missing record: %v", err)
	}
	b2, err := add(recs[1], "D1", "2026-11-05", "2026-11-02")
	if err != nil || b2.Commitment.Code != region+"20261102000002" {
		t.Errorf("second code of the day: %q %v", b2.Commitment.Code, err)
	}
	c, err := add(recs[2], "D2", "", "2026-11-03")
	if err != nil || c.Commitment.Code != region+"20261103000001" {
		t.Errorf("first code of the next day: %q %v", c.Commitment.Code, err)
	}
	second, _ := add(recs[0], "D1", "2026-11-20", "")
	if len(second.Commitment.Code) != 20 || second.Commitment.MadeOn == "" {
		t.Errorf("code of today: %+v", second.Commitment)
	}
	// Reads back as written.
	got, err := h.Store.GetRepair(ctx, a.ID)
	if err != nil || got.RecordID != recs[0].ID || got.Dept != "D1" || got.ApplicantUser != 7 || got.DueOn != "2026-11-16" || got.ApprovedOn != "" ||
		got.State != "submitted" || string(got.Body) != string(a.Body) || got.Rev != 1 || !got.FiledAt.Equal(a.FiledAt) || got.CommitmentID != a.CommitmentID {
		t.Fatalf("GetRepair = %+v, %v", got, err)
	}
	cm := got.Commitment
	if cm.Code != code1 || cm.Kind != store.CommitmentRepair || cm.SubjectID != recs[0].SubjectID || cm.MadeOn != "2026-11-02" ||
		cm.Status != "" || cm.Disclosure != "可向社会公开" || cm.Matter != "申请对行政处罚决定书"+recs[0].DecisionNo+"信用修复" || cm.CreatedAt.IsZero() {
		t.Errorf("commitment %+v", cm)
	}
	if len(got.Files) != 2 || got.Files[0].Name != "罚款收据.png" || got.Files[0].ContentType != "image/png" || got.Files[0].SHA256 != "aa" ||
		got.Files[0].Data != nil || got.Files[1].Name != "整改报告.pdf" {
		t.Errorf("files %+v", got.Files)
	}
	f, err := h.Store.RepairFile(ctx, got.Files[0].ID)
	if err != nil || !slices.Equal(f.Data, png) || f.CaseID != a.ID || f.Size != int64(len(png)) {
		t.Errorf("RepairFile = %+v, %v", f, err)
	}
	if _, err := h.Store.RepairFile(ctx, 987654); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := h.Store.GetRepair(ctx, 987654); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing repair: %v", err)
	}
	// Updates: rev must match; a stale rev is a conflict and changes nothing.
	got.State, got.DueOn, got.Body = "accepted", "2026-11-19", []byte(`{"State":"accepted"}`)
	upd, err := h.Store.UpdateRepair(ctx, got, audit)
	if err != nil || upd.Rev != 2 {
		t.Fatalf("update: %+v, %v", upd, err)
	}
	stale := got
	stale.State, stale.ApprovedOn = "approved", "2026-11-04"
	if _, err := h.Store.UpdateRepair(ctx, stale, audit); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale update: %v", err)
	}
	if r, _ := h.Store.GetRecord(ctx, recs[0].ID); r.RepairedOn != "" {
		t.Errorf("a refused approval repaired the record: %q", r.RepairedOn)
	}
	// The approval sets the record's repair day in the same transaction.
	upd.State, upd.DueOn, upd.ApprovedOn, upd.Body = "approved", "", "2026-11-04", []byte(`{"State":"approved"}`)
	if upd, err = h.Store.UpdateRepair(ctx, upd, audit); err != nil || upd.Rev != 3 {
		t.Fatalf("approve: %+v, %v", upd, err)
	}
	if now, _ := h.Store.GetRepair(ctx, a.ID); now.State != "approved" || now.DueOn != "" || now.ApprovedOn != "2026-11-04" || now.Rev != 3 {
		t.Errorf("after approval %+v", now)
	}
	if r, _ := h.Store.GetRecord(ctx, recs[0].ID); r.RepairedOn != "2026-11-04" {
		t.Errorf("record repaired on %q", r.RepairedOn)
	}
	// Its change-feed event came with it, and only once (the refused
	// approval above appended none).
	if _, err := h.Store.AddWatches(ctx, []store.Watch{{OrgID: 99, SubjectID: recs[0].SubjectID}}); err != nil {
		t.Fatal(err)
	}
	evs, _, err := h.Store.ChangesFor(ctx, 99, 0, 100)
	var repairs []store.ChangeEvent
	for _, e := range evs {
		if e.Type == store.ChangeRepair {
			repairs = append(repairs, e)
		}
	}
	if err != nil || len(repairs) != 1 || repairs[0].RecordID != recs[0].ID || repairs[0].Kind != "cf" {
		t.Errorf("repair events %+v, %v", repairs, err)
	}
	vs, err := h.Store.RecordVersions(ctx, recs[0].ID)
	if err != nil || len(vs) == 0 || vs[len(vs)-1].RepairedOn != "2026-11-04" {
		t.Errorf("versions of the repaired record: %+v %v", vs, err)
	}
	subRecs, err := h.Store.SubjectRecords(ctx, recs[0].SubjectID)
	if err != nil || len(subRecs) != 1 || subRecs[0].RepairedOn != "2026-11-04" {
		t.Errorf("subject's records: %+v %v", subRecs, err)
	}
	if r, _ := h.Store.GetRecord(ctx, recs[1].ID); r.RepairedOn != "" {
		t.Errorf("another record repaired: %q", r.RepairedOn)
	}
	// A later update of the approved application (its re-check) sets
	// nothing again; revoking it clears the repair day, with its event.
	upd.Body = []byte(`{"State":"approved","Recheck":{}}`)
	if upd, err = h.Store.UpdateRepair(ctx, upd, audit); err != nil || upd.Rev != 4 {
		t.Fatalf("re-check update: %+v, %v", upd, err)
	}
	countEvents := func(typ store.ChangeType) int {
		evs, _, err := h.Store.ChangesFor(ctx, 99, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Type == typ && e.RecordID == recs[0].ID {
				n++
			}
		}
		return n
	}
	if n := countEvents(store.ChangeRepair); n != 1 {
		t.Errorf("repair events after a later update: %d", n)
	}
	revoked := upd
	revoked.State, revoked.Unrepair, revoked.Body = "revoked", true, []byte(`{"State":"revoked"}`)
	// The commitment's assessment goes with it, or nothing does.
	cm, err = h.Store.GetCommitment(ctx, a.CommitmentID)
	if err != nil {
		t.Fatal(err)
	}
	staleCm := cm
	staleCm.Rev, staleCm.Status = cm.Rev+1, "全部未履行"
	revoked.Assess = &staleCm
	if _, err := h.Store.UpdateRepair(ctx, revoked, audit); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("revoke with a stale commitment: %v", err)
	}
	if r, _ := h.Store.GetRecord(ctx, recs[0].ID); r.RepairedOn == "" {
		t.Fatal("a refused revocation unrepaired the record")
	}
	cm.Status, cm.Pursued, cm.AssessedOn = "全部未履行", "撤销信用修复", "2026-12-01"
	revoked.Assess = &cm
	if revoked, err = h.Store.UpdateRepair(ctx, revoked, audit); err != nil || revoked.Rev != 5 {
		t.Fatalf("revoke: %+v, %v", revoked, err)
	}
	if got, _ := h.Store.GetCommitment(ctx, a.CommitmentID); got.Status != "全部未履行" || got.Pursued != "撤销信用修复" || got.Rev != cm.Rev+1 {
		t.Errorf("the commitment after the revocation: %+v", got)
	}
	if r, _ := h.Store.GetRecord(ctx, recs[0].ID); r.RepairedOn != "" {
		t.Errorf("record still repaired after the revocation: %q", r.RepairedOn)
	}
	if n, m := countEvents(store.ChangeRepair), countEvents(store.ChangeRepairRevoked); n != 1 || m != 1 {
		t.Errorf("events after the revocation: %d repair, %d revoked", n, m)
	}
	if got, _ := h.Store.GetRepair(ctx, a.ID); got.State != "revoked" || got.ApprovedOn != "2026-11-04" {
		t.Errorf("revoked application %+v", got)
	}
	// Waiting: only those with a due day.
	if w, err := h.Store.ListRepairs(ctx, store.CaseFilter{Waiting: true}); err != nil || len(w) == 0 || slices.ContainsFunc(w, func(r store.RepairRow) bool { return r.DueOn == "" }) {
		t.Errorf("waiting repairs %+v %v", repairIDs(w), err)
	}
	// By approval period.
	for _, c := range []struct {
		from, to string
		want     int
	}{{"2026-11-04", "2026-11-04", 1}, {"2026-11-05", "", 0}, {"", "2026-11-03", 0}, {"2026-11-01", "", 1}} {
		if got, err := h.Store.ListRepairs(ctx, store.CaseFilter{ApprovedFrom: c.from, ApprovedTo: c.to}); err != nil || len(got) != c.want {
			t.Errorf("approved %s..%s: %d, %v", c.from, c.to, len(got), err)
		}
	}
	upd = revoked
	bad := upd
	bad.ApprovedOn = "2026-13-01"
	if _, err := h.Store.UpdateRepair(ctx, bad, audit); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("approval day not a date: %v", err)
	}
	if _, err := h.Store.UpdateRepair(ctx, store.RepairRow{ID: 987654, Rev: 1}, audit); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of a missing repair: %v", err)
	}
	// By record; listed by due day (none last), then id.
	byRec, err := h.Store.RepairsOfRecords(ctx, []int64{recs[0].ID, recs[2].ID})
	if ids := repairIDs(byRec); err != nil || !slices.Equal(ids, []int64{a.ID, c.ID, second.ID}) {
		t.Errorf("RepairsOfRecords = %v, %v", ids, err)
	}
	if len(byRec) > 0 && (byRec[0].Files != nil || byRec[0].Commitment.ID != 0) {
		t.Errorf("RepairsOfRecords reads files or commitments: %+v", byRec[0])
	}
	all, err := h.Store.ListRepairs(ctx, store.CaseFilter{})
	if ids := repairIDs(all); err != nil || !slices.Equal(ids, []int64{b2.ID, second.ID, a.ID, c.ID}) {
		t.Errorf("ListRepairs = %v, %v", ids, err)
	}
	d1, _ := h.Store.ListRepairs(ctx, store.CaseFilter{Depts: []string{"D1"}, States: []string{"submitted"}})
	if ids := repairIDs(d1); !slices.Equal(ids, []int64{b2.ID, second.ID}) {
		t.Errorf("D1 submitted = %v", ids)
	}
	if mine, _ := h.Store.ListRepairs(ctx, store.CaseFilter{ApplicantUser: 7, Limit: 2}); len(mine) != 2 {
		t.Errorf("applicant's, limit 2: %d", len(mine))
	}
	if none, _ := h.Store.ListRepairs(ctx, store.CaseFilter{ApplicantUser: 8}); len(none) != 0 {
		t.Errorf("another applicant's: %d", len(none))
	}
	// Every change went to the audit trail.
	entries, err := h.Store.ListAudit(ctx, store.AuditFilter{Actions: []string{auth.AuditRepair}})
	if err != nil || len(entries) != 8 {
		t.Errorf("audit entries %d, %v", len(entries), err)
	}
	if len(entries) > 0 && entries[0].Target == "" {
		t.Errorf("audit entry without target: %+v", entries[0])
	}
	// With OpenStates, a record with an open application takes no other.
	openStates = []string{"submitted", "accepted"}
	if _, err := add(recs[0], "D1", "", "2026-11-03"); !errors.Is(err, store.ErrExists) {
		t.Errorf("a second open application: %v", err)
	}
	if _, err := add(recs[1], "D1", "", "2026-11-03"); !errors.Is(err, store.ErrExists) {
		t.Errorf("a second open application: %v", err)
	}
	openStates = []string{"accepted"}
	if d, err := add(recs[2], "D2", "", "2026-11-03"); err != nil || d.Commitment.Code != region+"20261103000002" {
		t.Errorf("an application besides a submitted one, when only accepted ones count: %+v %v", d.Commitment, err)
	}
}

func repairIDs(rows []store.RepairRow) []int64 {
	var out []int64
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}
