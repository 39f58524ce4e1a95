package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

func commitmentTests() []namedTest {
	return []namedTest{
		{"Commitments", testCommitments},
	}
}

func commitmentIDs(cs []store.Commitment) []int64 {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func testCommitments(t *testing.T, h Harness) {
	ctx := context.Background()
	b := startBatch(t, h.Store, "")
	out := put(t, h.Store, b.ID, penalty(1, "内容"), penalty(2, "内容"))
	r1, err := h.Store.GetRecord(ctx, out[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := h.Store.GetRecord(ctx, out[1].ID)
	sub, err := h.Store.GetSubject(ctx, r1.SubjectID)
	if err != nil {
		t.Fatal(err)
	}
	audit := auth.AuditEntry{Actor: "user:7", Action: auth.AuditCommitment, Outcome: "make", SubjectID: r1.SubjectID}
	dept := USCC("11", "610100", 901)
	make1 := func(subject int64, region, madeOn, disclosure string, by int64) (store.Commitment, error) {
		return h.Store.AddCommitment(ctx, store.Commitment{Kind: "审批替代型", SubjectID: subject, Matter: "申请办理食品经营许可证",
			Content: "符合许可条件", Liability: "撤销许可", MadeOn: madeOn, ValidUntil: "2027-11-30", AcceptorName: "西安市市场监督管理局",
			AcceptorCode: dept, Disclosure: disclosure, MadeBy: by, History: []byte(`[{"action":"make"}]`)}, region, audit)
	}
	a, err := make1(r1.SubjectID, "610113", "2026-11-02", "可向社会公开", 7)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || a.Code != "61011320261102000001" || a.Rev != 1 || a.CreatedAt.IsZero() || a.UpdatedAt.IsZero() ||
		a.PromisorName != sub.Name {
		t.Fatalf("added %+v", a)
	}
	// The sequence runs per region and day, shared with the commitments
	// signed with repair applications; a bad region counts as 000000.
	b2, err := make1(r1.SubjectID, "610113", "2026-11-02", "不可公开", 0)
	if err != nil || b2.Code != "61011320261102000002" {
		t.Errorf("second of the region and day: %q %v", b2.Code, err)
	}
	c, err := make1(r2.SubjectID, "61x113", "2026-11-02", "特定范围内公开", 0)
	if err != nil || c.Code != "00000020261102000001" {
		t.Errorf("unknown region: %q %v", c.Code, err)
	}
	today, err := make1(r2.SubjectID, "610113", "", "可向社会公开", 0)
	if err != nil || len(today.Code) != 20 || today.MadeOn == "" {
		t.Errorf("made today: %+v %v", today, err)
	}
	if _, err := make1(987654, "610113", "2026-11-02", "可向社会公开", 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("commitment of a missing subject: %v", err)
	}
	if _, err := make1(r1.SubjectID, "610113", "2026-02-30", "可向社会公开", 0); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("made on no date: %v", err)
	}
	// A subject read alone says how many commitments it has.
	if got, err := h.Store.GetSubject(ctx, r1.SubjectID); err != nil || got.Commitments != 2 {
		t.Errorf("GetSubject commitments = %d, %v", got.Commitments, err)
	}
	if got, err := h.Store.FindSubjectByCode(ctx, sub.USCC); err != nil || got.Commitments != 2 {
		t.Errorf("FindSubjectByCode commitments = %d, %v", got.Commitments, err)
	}
	// Reads back as written.
	got, err := h.Store.GetCommitment(ctx, a.ID)
	if err != nil || got.Code != a.Code || got.Kind != "审批替代型" || got.SubjectID != r1.SubjectID || got.PromisorName != sub.Name ||
		got.Matter != "申请办理食品经营许可证" || got.Content != "符合许可条件" || got.Liability != "撤销许可" || got.MadeOn != "2026-11-02" ||
		got.ValidUntil != "2027-11-30" || got.AcceptorName != "西安市市场监督管理局" || got.AcceptorCode != dept || got.Disclosure != "可向社会公开" ||
		got.Status != "" || got.MadeBy != 7 || got.BreachRecordID != 0 || string(got.History) != `[{"action":"make"}]` || got.Rev != 1 ||
		!got.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("GetCommitment = %+v, %v", got, err)
	}
	if _, err := h.Store.GetCommitment(ctx, 987654); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing commitment: %v", err)
	}
	// The assessment; rev must match.
	got.Status, got.Unfulfilled, got.Pursued, got.AssessedOn = "全部未履行", "未按期补交材料", "撤销许可", "2026-12-01"
	got.AssessorName, got.AssessorCode, got.BreachRecordID = "西安市市场监督管理局", dept, r2.ID
	got.History, got.Note = []byte(`[{"action":"make"},{"action":"assess"}]`), "备注"
	upd, err := h.Store.UpdateCommitment(ctx, got, audit)
	if err != nil || upd.Rev != 2 || upd.Status != "全部未履行" || upd.Unfulfilled != "未按期补交材料" || upd.Pursued != "撤销许可" ||
		upd.AssessedOn != "2026-12-01" || upd.AssessorCode != dept || upd.AssessorName != "西安市市场监督管理局" || upd.BreachRecordID != r2.ID ||
		string(upd.History) != `[{"action":"make"},{"action":"assess"}]` || upd.Note != "备注" || upd.Code != a.Code || upd.Matter != got.Matter {
		t.Fatalf("update: %+v, %v", upd, err)
	}
	stale := got // rev 1
	stale.Status = "全部履行"
	if _, err := h.Store.UpdateCommitment(ctx, stale, audit); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale update: %v", err)
	}
	if now, _ := h.Store.GetCommitment(ctx, a.ID); now.Status != "全部未履行" || now.Rev != 2 {
		t.Errorf("after a stale update: %+v", now)
	}
	if _, err := h.Store.UpdateCommitment(ctx, store.Commitment{ID: 987654, Rev: 1}, audit); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of a missing commitment: %v", err)
	}
	// Lists, newest first.
	all, err := h.Store.ListCommitments(ctx, store.CommitmentFilter{})
	if ids := commitmentIDs(all); err != nil || !slices.Equal(ids, []int64{today.ID, c.ID, b2.ID, a.ID}) {
		t.Errorf("all = %v, %v", ids, err)
	}
	for _, c := range []struct {
		name string
		f    store.CommitmentFilter
		want []int64
	}{
		{"subject", store.CommitmentFilter{SubjectID: r1.SubjectID}, []int64{b2.ID, a.ID}},
		{"public of the subject", store.CommitmentFilter{SubjectID: r1.SubjectID, Disclosures: []string{"可向社会公开"}}, []int64{a.ID}},
		{"not secret", store.CommitmentFilter{Disclosures: []string{"可向社会公开", "特定范围内公开"}}, []int64{today.ID, c.ID, a.ID}},
		{"acceptor, unassessed", store.CommitmentFilter{AcceptorCode: dept, Unassessed: true}, []int64{today.ID, c.ID, b2.ID}},
		{"another acceptor", store.CommitmentFilter{AcceptorCode: "X"}, []int64{}},
		{"made by", store.CommitmentFilter{MadeBy: 7}, []int64{a.ID}},
		{"limit", store.CommitmentFilter{Limit: 2}, []int64{today.ID, c.ID}},
	} {
		got, err := h.Store.ListCommitments(ctx, c.f)
		if ids := commitmentIDs(got); err != nil || !slices.Equal(ids, c.want) {
			t.Errorf("%s: %v, %v; want %v", c.name, ids, err, c.want)
		}
	}
	entries, err := h.Store.ListAudit(ctx, store.AuditFilter{Actions: []string{auth.AuditCommitment}})
	if err != nil || len(entries) != 5 || entries[0].Target == "" {
		t.Errorf("audit entries %+v, %v", entries, err)
	}
}
