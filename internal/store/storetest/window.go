package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

func windowTests() []namedTest {
	return []namedTest{
		{"CommitmentColumn", testCommitmentColumn},
		{"Complaints", testComplaints},
		{"Articles", testArticles},
	}
}

// testCommitmentColumn: the public column's filters, paging and total.
func testCommitmentColumn(t *testing.T, h Harness) {
	ctx := context.Background()
	b := startBatch(t, h.Store, "")
	out := put(t, h.Store, b.ID, penalty(1, "内容"))
	r1, err := h.Store.GetRecord(ctx, out[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	audit := auth.AuditEntry{Actor: "user:31", Action: auth.AuditCommitment, Outcome: "make", SubjectID: r1.SubjectID}
	add := func(kind, promisor, disclosure string) store.Commitment {
		c, err := h.Store.AddCommitment(ctx, store.Commitment{Kind: kind, SubjectID: r1.SubjectID, PromisorName: promisor, Matter: "事由",
			Content: "内容", Liability: "责任", MadeOn: "2026-11-02", AcceptorName: "西安市市场监督管理局",
			AcceptorCode: USCC("11", "610100", 931), Disclosure: disclosure, History: []byte(`[]`)}, "610113", audit)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	add("审批替代型", "甲100%_公司", "可向社会公开")
	b2 := add("审批替代型", "乙公司", "可向社会公开")
	add("信用修复型", "丙公司", "可向社会公开")
	add("审批替代型", "丁公司", "不可公开")
	pub := []string{"可向社会公开"}
	for _, c := range []struct {
		f    store.CommitmentFilter
		want int
	}{
		{store.CommitmentFilter{Disclosures: pub}, 3},
		{store.CommitmentFilter{Disclosures: pub, Kind: "审批替代型"}, 2},
		{store.CommitmentFilter{Disclosures: pub, Promisor: "100%_"}, 1},
		{store.CommitmentFilter{Disclosures: pub, Promisor: "%"}, 1},
		{store.CommitmentFilter{Disclosures: pub, Status: "已履行"}, 0},
	} {
		n, err := h.Store.CountCommitments(ctx, c.f)
		if err != nil || n != c.want {
			t.Errorf("count %+v = %d %v, want %d", c.f, n, err, c.want)
		}
		list, err := h.Store.ListCommitments(ctx, c.f)
		if err != nil || len(list) != c.want {
			t.Errorf("list %+v = %d %v, want %d", c.f, len(list), err, c.want)
		}
	}
	page, err := h.Store.ListCommitments(ctx, store.CommitmentFilter{Disclosures: pub, Kind: "审批替代型", Limit: 1, Offset: 1})
	if err != nil || len(page) != 1 || page[0].ID == b2.ID {
		t.Errorf("second page: %+v %v", page, err)
	}
}

// testComplaints: add with files, update by revision, queue by department
// and state, counts.
func testComplaints(t *testing.T, h Harness) {
	ctx := context.Background()
	audit := auth.AuditEntry{Actor: "anonymous", Action: auth.AuditComplaint, Outcome: "file"}
	c, err := h.Store.AddComplaint(ctx, store.ComplaintRow{SubjectName: "甲公司", State: "routing", Anonymous: true, DueOn: "2026-12-08",
		Body: []byte(`{"what":"x"}`)}, []store.CaseFile{{Name: "a.png", ContentType: "image/png", Size: 3, SHA256: "ab", Data: []byte("enc")}}, audit)
	if err != nil || c.ID == 0 || c.Rev != 1 || len(c.Files) != 1 {
		t.Fatalf("add: %+v %v", c, err)
	}
	named, err := h.Store.AddComplaint(ctx, store.ComplaintRow{SubjectName: "乙公司", State: "routing", Informant: []byte("secret"),
		Body: []byte(`{}`)}, nil, audit)
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.Store.GetComplaint(ctx, c.ID)
	if err != nil || !got.Anonymous || got.Informant != nil || len(got.Files) != 1 || got.Files[0].Data != nil || got.DueOn != "2026-12-08" {
		t.Fatalf("get: %+v %v", got, err)
	}
	if f, err := h.Store.ComplaintFile(ctx, got.Files[0].ID); err != nil || string(f.Data) != "enc" || f.CaseID != c.ID {
		t.Errorf("file: %+v %v", f, err)
	}
	dept := USCC("11", "610100", 932)
	got.Dept, got.State, got.DueOn = dept, "handling", "2026-12-29"
	up, err := h.Store.UpdateComplaint(ctx, got, audit)
	if err != nil || up.Rev != 2 {
		t.Fatalf("update: %+v %v", up, err)
	}
	if _, err := h.Store.UpdateComplaint(ctx, got, audit); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale update: %v", err)
	}
	q, err := h.Store.ListComplaints(ctx, store.ComplaintFilter{Dept: dept, States: []string{"handling"}})
	if err != nil || len(q) != 1 || q[0].ID != c.ID {
		t.Errorf("queue: %+v %v", q, err)
	}
	if g, _ := h.Store.GetComplaint(ctx, named.ID); string(g.Informant) != "secret" || g.Anonymous {
		t.Errorf("named: %+v", g)
	}
	up.State, up.Outcome, up.Timeliness, up.DueOn = "closed", "unfounded", "on_time", ""
	if _, err := h.Store.UpdateComplaint(ctx, up, audit); err != nil {
		t.Fatal(err)
	}
	counts, err := h.Store.ComplaintCounts(ctx)
	if err != nil || len(counts) != 2 {
		t.Fatalf("counts: %+v %v", counts, err)
	}
	for _, n := range counts {
		if n.Count != 1 || n.State == "closed" && (n.Outcome != "unfounded" || n.Timeliness != "on_time") {
			t.Errorf("count %+v", n)
		}
	}
	if _, err := h.Store.GetComplaint(ctx, 987654); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
}

// testArticles: a column's articles by date, title and paging; files;
// a campaign's subjects.
func testArticles(t *testing.T, h Harness) {
	ctx := context.Background()
	audit := auth.AuditEntry{Actor: "user:33", Action: auth.AuditArticle, Outcome: "add"}
	var ids []int64
	for i, d := range []string{"2026-10-01", "2026-11-01", "2026-12-01"} {
		a, err := h.Store.AddArticle(ctx, store.Article{Column: "policy", Title: []string{"甲办法", "乙_办法", "丙条例"}[i], Body: "正文",
			Source: "省发改委", PublishedOn: d, Author: "user:33"}, []store.CaseFile{{Name: "f.pdf", ContentType: "application/pdf", Size: 1, SHA256: "x", Data: []byte("d")}}, audit)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	if _, err := h.Store.AddArticle(ctx, store.Article{Column: "news", Title: "动态", Body: "b", PublishedOn: "2026-12-02"}, nil, audit); err != nil {
		t.Fatal(err)
	}
	list, total, err := h.Store.ListArticles(ctx, store.ArticleFilter{Column: "policy", Limit: 2})
	if err != nil || total != 3 || len(list) != 2 || list[0].ID != ids[2] {
		t.Errorf("list: %d %+v %v", total, list, err)
	}
	list, total, _ = h.Store.ListArticles(ctx, store.ArticleFilter{Column: "policy", Limit: 2, Offset: 2})
	if total != 3 || len(list) != 1 || list[0].ID != ids[0] {
		t.Errorf("page 2: %d %+v", total, list)
	}
	if list, total, _ = h.Store.ListArticles(ctx, store.ArticleFilter{Column: "policy", Query: "_"}); total != 1 || list[0].ID != ids[1] {
		t.Errorf("by title: %d %+v", total, list)
	}
	if _, total, _ = h.Store.ListArticles(ctx, store.ArticleFilter{Column: "policy", From: "2026-10-15", To: "2026-11-30"}); total != 1 {
		t.Errorf("by date: %d", total)
	}
	a, err := h.Store.GetArticle(ctx, ids[0])
	if err != nil || len(a.Files) != 1 || a.CreatedAt.IsZero() || a.CreatedAt.Location() != time.UTC {
		t.Fatalf("get: %+v %v", a, err)
	}
	a.Title = "甲办法（修订）"
	if b, err := h.Store.UpdateArticle(ctx, a, nil, audit); err != nil || b.Rev != 2 {
		t.Errorf("update: %+v %v", b, err)
	}
	if _, err := h.Store.UpdateArticle(ctx, a, nil, audit); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale update: %v", err)
	}
	b := startBatch(t, h.Store, "")
	out := put(t, h.Store, b.ID, penalty(1, "内容"))
	r, _ := h.Store.GetRecord(ctx, out[0].ID)
	if err := h.Store.SetCampaignSubject(ctx, ids[0], r.SubjectID, "拖欠农民工工资", audit); err != nil {
		t.Fatal(err)
	}
	if a, _ := h.Store.GetArticle(ctx, ids[0]); len(a.Subjects) != 1 || a.Subjects[0].Note != "拖欠农民工工资" || a.Subjects[0].Name == "" {
		t.Errorf("campaign subjects: %+v", a.Subjects)
	}
	if err := h.Store.SetCampaignSubject(ctx, ids[0], r.SubjectID, "", audit); err != nil {
		t.Fatal(err)
	}
	if a, _ := h.Store.GetArticle(ctx, ids[0]); len(a.Subjects) != 0 {
		t.Errorf("removed subject still listed: %+v", a.Subjects)
	}
}
