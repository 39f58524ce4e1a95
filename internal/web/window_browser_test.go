package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/web/browsertest"
)

// TestBrowserCommitmentColumn: the public reaches the 信用承诺 column from
// the main menu without signing in, sees the total, filters by kind and
// promisor, and pages forward and back; commitments not open to the public
// never appear. The red and black lists are in the main menu too.
func TestBrowserCommitmentColumn(t *testing.T) {
	t.Parallel()
	env := newCommitmentEnv(t)
	sub := mustSubject(t, env.s, env.recordID)
	audit := auth.AuditEntry{Actor: "user:31", Action: auth.AuditCommitment, Outcome: "make", SubjectID: sub.ID}
	add := func(kind, promisor, disclosure string) {
		if _, err := env.s.AddCommitment(context.Background(), store.Commitment{Kind: kind, SubjectID: sub.ID, PromisorName: promisor,
			Matter: "申请办理食品经营许可证", Content: "按期补交材料", Liability: "撤销许可", MadeOn: "2026-11-02",
			AcceptorName: "西安市市场监督管理局", AcceptorCode: penaltyDept, Disclosure: disclosure, History: []byte(`[]`)}, "610113", audit); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 22 {
		add("审批替代型", fmt.Sprintf("公开承诺人%02d", i), "可向社会公开")
	}
	add("主动型", "主动承诺单位", "可向社会公开")
	add("主动型", "不公开的承诺人", "不可公开")

	ctx := browsertest.New(t, 90*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(env.base+"/"),
		chromedp.Click(chromedp.CSS("#nav-commitment-column")),
		chromedp.WaitVisible(chromedp.CSS("#commitment-column")),
	); err != nil {
		t.Fatalf("open the column: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#total"))); !strings.Contains(s, "共 23 条") || !strings.Contains(s, "第 1–20 条") {
		t.Errorf("total: %q", s)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("main"))); strings.Contains(s, "不公开的承诺人") || strings.Contains(s, "登录") && strings.Contains(s, "密码") {
		t.Errorf("the column shows what it should not: %q", s)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[rel="next"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[rel="prev"]`)),
	); err != nil {
		t.Fatalf("next page: %v", err)
	}
	waitLocation(t, ctx, "offset=20")
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#total"))); !strings.Contains(s, "第 21–23 条") {
		t.Errorf("second page: %q", s)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[rel="prev"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[rel="next"]`)),
		chromedp.SetValue(chromedp.CSS("#ck"), "主动型"),
		chromedp.Submit(chromedp.CSS("#cq")),
		chromedp.WaitVisible(chromedp.CSS("#commitment-column")),
	); err != nil {
		t.Fatalf("filter by kind: %v", err)
	}
	waitLocation(t, ctx, "kind=%E4%B8%BB")
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(s, "共 1 条") || !strings.Contains(s, "主动承诺单位") {
		t.Errorf("by kind: %q", s)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#ck"), ""),
		chromedp.SendKeys(chromedp.CSS("#cq"), "承诺人07"),
		chromedp.Submit(chromedp.CSS("#cq")),
		chromedp.WaitVisible(chromedp.CSS("#commitment-column")),
	); err != nil {
		t.Fatalf("filter by promisor: %v", err)
	}
	waitLocation(t, ctx, "07")
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(s, "共 1 条") || !strings.Contains(s, "公开承诺人07") {
		t.Errorf("by promisor: %q", s)
	}
	for _, c := range []struct{ nav, h1 string }{{"#nav-red", "守信激励名单信息公示"}, {"#nav-black", "失信名单信息公示"}} {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(c.nav)), chromedp.WaitVisible(chromedp.CSS("form.filters"))); err != nil {
			t.Fatalf("%s: %v", c.nav, err)
		}
		if s := text(t, ctx, chromedp.Text(chromedp.CSS("h1"))); s != c.h1 {
			t.Errorf("%s: %q", c.nav, s)
		}
	}
}

// TestBrowserComplaint: someone files an anonymous complaint from the
// main menu and keeps its 查询码; the credit office routes it to the
// market regulator, whose handler answers it (不属实) within the deadline;
// the informant follows it by number and 查询码 and sees the outcome but no
// reply; the public statistics count it as answered on time.
func TestBrowserComplaint(t *testing.T) {
	t.Parallel()
	env := newComplaintEnv(t)
	ctx := browsertest.New(t, 90*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(env.base+"/"),
		chromedp.Click(chromedp.CSS("#nav-complaints")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-stats")),
		chromedp.Click(chromedp.CSS("#complaint-new")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-form")),
		chromedp.SendKeys(chromedp.CSS("#subject_name"), "碑林区老王面馆"),
		chromedp.SendKeys(chromedp.CSS("#what"), "门店长期无证经营"),
		chromedp.Click(chromedp.CSS("#anonymous")),
		chromedp.Submit(chromedp.CSS("#what")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-code")),
	); err != nil {
		t.Fatalf("file: %v", err)
	}
	id := text(t, ctx, chromedp.Text(chromedp.CSS("#complaint-id")))
	access := text(t, ctx, chromedp.Text(chromedp.CSS("#complaint-access")))
	if len(access) != 16 {
		t.Fatalf("查询码 %q", access)
	}

	browserSignIn(t, ctx, env.base, "handler.root", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-complaints")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-queue")),
		chromedp.Click(chromedp.CSS(`#complaint-queue a[href="/complaints/`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#form-route")),
	); err != nil {
		t.Fatalf("the office opens it: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#complaint-informant"))); s != "匿名" {
		t.Errorf("informant: %q", s)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#route-dept"), "西安市市场监督管理局（"+penaltyDept+"）"),
		chromedp.Submit(chromedp.CSS("#route-dept")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-dept")),
	); err != nil {
		t.Fatalf("route: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#complaint-state"))); s != "办理中" {
		t.Errorf("state after routing: %q", s)
	}
	browserSignOut(t, ctx)

	browserSignIn(t, ctx, env.base, "handler.dept", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-complaints")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-queue")),
		chromedp.Click(chromedp.CSS(`#complaint-queue a[href="/complaints/`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#form-answer")),
		chromedp.Click(chromedp.CSS("#outcome-unfounded")),
		chromedp.SendKeys(chromedp.CSS("#answer-finding"), "经现场核查，该店持有有效食品经营许可证"),
		chromedp.Submit(chromedp.CSS("#answer-finding")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-outcome")),
	); err != nil {
		t.Fatalf("answer: %v", err)
	}
	browserSignOut(t, ctx)

	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-complaints")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-track")),
		chromedp.SendKeys(chromedp.CSS("#track-id"), id),
		chromedp.SendKeys(chromedp.CSS("#track-code"), access),
		chromedp.Submit(chromedp.CSS("#track-code")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-outcome")),
	); err != nil {
		t.Fatalf("follow: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#complaint-outcome"))); !strings.Contains(s, "不属实") {
		t.Errorf("outcome: %q", s)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#complaint-timely"))); s != "按期办结" {
		t.Errorf("timeliness: %q", s)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("main"))); strings.Contains(s, "答复") && strings.Contains(s, "办理记录") {
		t.Errorf("the anonymous informant sees the handling record: %q", s)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#nav-complaints")), chromedp.WaitVisible(chromedp.CSS("#complaint-stats"))); err != nil {
		t.Fatal(err)
	}
	for sel, want := range map[string]string{"#stat-received": "1", "#stat-closed": "1", "#stat-unfounded": "1", "#stat-ontime": "100.0%"} {
		if s := text(t, ctx, chromedp.Text(chromedp.CSS(sel))); s != want {
			t.Errorf("%s = %q, want %q", sel, s, want)
		}
	}
}

// TestBrowserArticles: an editor publishes a 政策法规 article whose body
// carries markup (shown as text, never run) and a 专项治理 campaign with a
// subject under it; the public finds them from the main menu, filters by
// title and opens them.
func TestBrowserArticles(t *testing.T) {
	t.Parallel()
	env := newObjectionEnv(t)
	u := auth.User{Login: "editor", Name: "栏目编辑", OrgID: env.root.ID, Roles: []string{"editor"}, PasswordHash: testPasswordHash()}
	if _, err := env.s.CreateUser(context.Background(), u, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
		t.Fatal(err)
	}
	shop := mustSubject(t, env.s, env.recordID)
	ctx := browsertest.New(t, 90*time.Second)
	browserSignIn(t, ctx, env.base, "editor", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-policies")),
		chromedp.WaitVisible(chromedp.CSS("#article-new")),
		chromedp.Click(chromedp.CSS("#article-new")),
		chromedp.WaitVisible(chromedp.CSS("#article-form")),
		chromedp.SendKeys(chromedp.CSS("#title"), "陕西省社会信用条例"),
		chromedp.SendKeys(chromedp.CSS("#source"), "陕西省人大常委会"),
		chromedp.SendKeys(chromedp.CSS("#body"), "第一条 为了推进社会信用体系建设。\n\n<script>alert(1)</script>第二条"),
		chromedp.Submit(chromedp.CSS("#title")),
		chromedp.WaitVisible(chromedp.CSS("#article-body")),
	); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if n := text(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#article-body p").length`)); n != 2 {
		t.Errorf("paragraphs: %d", n)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#article-body"))); !strings.Contains(s, "<script>alert(1)</script>第二条") {
		t.Errorf("the markup is not shown as text: %q", s)
	}
	if n := text(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#article-body script").length`)); n != 0 {
		t.Error("a user's script reached the page")
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-campaigns")),
		chromedp.WaitVisible(chromedp.CSS("#article-new")),
		chromedp.Click(chromedp.CSS("#article-new")),
		chromedp.WaitVisible(chromedp.CSS("#article-form")),
		chromedp.SetValue(chromedp.CSS("#col"), "campaign"),
		chromedp.SendKeys(chromedp.CSS("#title"), "食品安全领域失信问题专项治理"),
		chromedp.SendKeys(chromedp.CSS("#body"), "对食品经营领域的严重失信行为开展专项治理。"),
		chromedp.Submit(chromedp.CSS("#title")),
		chromedp.WaitVisible(chromedp.CSS("#campaign-form")),
		chromedp.SendKeys(chromedp.CSS("#campaign-code"), shop.USCC),
		chromedp.SendKeys(chromedp.CSS("#campaign-note"), "使用过期食材被行政处罚"),
		chromedp.Submit(chromedp.CSS("#campaign-code")),
		chromedp.WaitVisible(chromedp.CSS("#campaign-subjects")),
	); err != nil {
		t.Fatalf("campaign: %v", err)
	}
	browserSignOut(t, ctx)

	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-campaigns")),
		chromedp.WaitVisible(chromedp.CSS("#article-list")),
	); err != nil {
		t.Fatalf("the public's campaigns: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#total"))); !strings.Contains(s, "共 1 篇") {
		t.Errorf("campaigns total: %q", s)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#article-list a")),
		chromedp.WaitVisible(chromedp.CSS("#campaign-subjects")),
	); err != nil {
		t.Fatalf("open the campaign: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#campaign-subjects"))); !strings.Contains(s, shop.Name) || !strings.Contains(s, "使用过期食材被行政处罚") {
		t.Errorf("campaign subjects: %q", s)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-policies")),
		chromedp.WaitVisible(chromedp.CSS("#article-list")),
		chromedp.SendKeys(chromedp.CSS("#aq"), "不存在的标题"),
		chromedp.Submit(chromedp.CSS("#aq")),
	); err != nil {
		t.Fatal(err)
	}
	waitLocation(t, ctx, "q=")
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#total"))); !strings.Contains(s, "共 0 篇") {
		t.Errorf("filtered: %q", s)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#nav-news")), chromedp.WaitVisible(chromedp.CSS("#article-filters"))); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("h1"))); s != "信用动态" {
		t.Errorf("news: %q", s)
	}
}
