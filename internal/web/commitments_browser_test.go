package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/web/browsertest"
)

// TestBrowserCommitment walks a commitment in headless Chromium: the shop
// signs a public 容缺受理 commitment to the department from the menu (a
// first attempt without its matter is refused and keeps what was typed);
// the public sees it on the shop's file; the department's reviewer finds
// it in the queue and records the breach; the public then sees the
// commitment's fulfilment and the 违背信用承诺 record it produced.
func TestBrowserCommitment(t *testing.T) {
	t.Parallel()
	env := newCommitmentEnv(t)
	ctx := browsertest.New(t, 90*time.Second)

	browserSignIn(t, ctx, env.base, "shop", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-commitments")),
		chromedp.WaitVisible(chromedp.CSS("#new-commitment")),
		chromedp.Click(chromedp.CSS("#new-commitment")),
		chromedp.WaitVisible(chromedp.CSS("#commitment-form")),
		chromedp.SetValue(chromedp.CSS("#acceptor"), penaltyDept),
		chromedp.SetValue(chromedp.CSS("#kind"), "容缺受理型"),
		chromedp.SendKeys(chromedp.CSS("#content"), "本店承诺在30日内补交从业人员健康证明"),
		chromedp.SendKeys(chromedp.CSS("#liability"), "逾期未补交的，撤销许可并记入信用记录"),
		// The matter is left empty on purpose: the browser's own check is
		// switched off to see the platform's answer.
	); err != nil {
		t.Fatalf("fill: %v", err)
	}
	text(t, ctx, chromedp.Evaluate[bool](`document.getElementById("commitment-form").noValidate = true`))
	if err := chromedp.Do(ctx,
		chromedp.Submit(chromedp.CSS("#content")),
		chromedp.WaitVisible(chromedp.CSS("#commitment-errors")),
	); err != nil {
		t.Fatalf("sign without a matter: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#commitment-errors"))); !strings.Contains(s, "承诺事由：必填") {
		t.Errorf("errors: %q", s)
	}
	kept := text(t, ctx, chromedp.Value(chromedp.CSS("#content")))
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#matter"), "申请办理食品经营许可证"),
		chromedp.Submit(chromedp.CSS("#matter")),
	); err != nil {
		t.Fatalf("sign: %v", err)
	}
	if kept != "本店承诺在30日内补交从业人员健康证明" {
		t.Errorf("the refused form lost what was typed: %q", kept)
	}
	waitLocation(t, ctx, "/commitments/")
	code := text(t, ctx, chromedp.Text(chromedp.CSS("#commitment-code")))
	if len(code) != 20 || !strings.HasPrefix(code, "610100") {
		t.Errorf("承诺编码 %q", code)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#commitment-status"))); s != "待认定" {
		t.Errorf("status after signing: %q", s)
	}
	commitmentURL := text(t, ctx, chromedp.Location())
	browserSignOut(t, ctx)
	subjectURL := env.base + "/subjects/" + env.opts.Portal.SubjectRef(mustSubject(t, env.s, env.recordID))
	if err := chromedp.Do(ctx, chromedp.Navigate(subjectURL), chromedp.WaitVisible(chromedp.CSS("#subject-commitments"))); err != nil {
		t.Fatalf("the shop's file: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#subject-commitments"))); !strings.Contains(s, code) || !strings.Contains(s, "待认定") {
		t.Errorf("the public's view of the commitments: %q", s)
	}

	browserSignIn(t, ctx, env.base, "reviewer.dept", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-commitments")),
		chromedp.WaitVisible(chromedp.CSS("#commitment-list")),
		chromedp.Click(chromedp.CSS("#commitment-list a")),
		chromedp.WaitVisible(chromedp.CSS("#assess-form")),
		chromedp.Click(chromedp.CSS(`#assess-form input[name="status"][value="全部未履行"]`)),
		chromedp.SendKeys(chromedp.CSS("#unfulfilled"), "未在30日内补交健康证明"),
		chromedp.SendKeys(chromedp.CSS("#pursued"), "撤销食品经营许可"),
		chromedp.Submit(chromedp.CSS("#pursued")),
		chromedp.WaitNotPresent(chromedp.CSS("#assess-form")),
	); err != nil {
		t.Fatalf("assess: %v", err)
	}
	browserSignOut(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(commitmentURL), chromedp.WaitVisible(chromedp.CSS("#commitment-breach"))); err != nil {
		t.Fatalf("the assessed commitment: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#commitment-fulfilment"))); s != "全部未履行" {
		t.Errorf("fulfilment: %q", s)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#commitment-breach")), chromedp.WaitVisible(chromedp.CSS("#status"))); err != nil {
		t.Fatalf("the breach record: %v", err)
	}
	page := text(t, ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(page, "违背信用承诺") || !strings.Contains(page, code) || !strings.Contains(page, "撤销食品经营许可") {
		t.Errorf("the breach record's page:\n%s", page)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#status"))); s != "公示中" {
		t.Errorf("the breach record's status: %q", s)
	}
}
