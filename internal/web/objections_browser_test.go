package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/web/browsertest"
)

// TestBrowserObjection walks an objection in headless Chromium: the shop
// signs in and objects to its penalty from the record's page; the public
// sees the record marked 异议处理中; the department files the corrected
// penalty (through intake, as its system would) and its reviewer decides
// 更正 from the queue; the public then sees the corrected version and the
// record's history.
func TestBrowserObjection(t *testing.T) {
	t.Parallel()
	env := newObjectionEnv(t)
	ctx := browsertest.New(t, 90*time.Second)
	recURL := env.base + "/records/" + env.ref

	browserSignIn(t, ctx, env.base, "shop", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(recURL),
		chromedp.WaitVisible(chromedp.CSS("#objection-form")),
		chromedp.SendKeys(chromedp.CSS("#reasons"), "罚款金额应为1万元"),
		chromedp.SendKeys(chromedp.CSS("#contact"), "13900000000"),
		chromedp.Submit(chromedp.CSS("#reasons")),
	); err != nil {
		t.Fatalf("file: %v", err)
	}
	waitLocation(t, ctx, "/objections/")
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#objection-state"))); s != "核查中" {
		t.Errorf("state after filing: %q", s)
	}
	browserSignOut(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(recURL)); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#status"))); s != "异议处理中" {
		t.Errorf("public status while pending: %q", s)
	}

	// The department files the correction through intake.
	env.fileCorrection(t)

	browserSignIn(t, ctx, env.base, "reviewer.dept", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-objections")),
		chromedp.WaitVisible(chromedp.CSS("#objection-queue")),
		chromedp.Click(chromedp.CSS("#objection-queue a")),
		chromedp.WaitVisible(chromedp.CSS("#form-decide")),
		chromedp.Click(chromedp.CSS(`#form-decide input[name="outcome"][value="correct"]`)),
		chromedp.SendKeys(chromedp.CSS("#note-decide"), "金额录入错误，已更正"),
		chromedp.Submit(chromedp.CSS("#note-decide")),
		chromedp.WaitNotPresent(chromedp.CSS("#form-decide")),
	); err != nil {
		t.Fatalf("decide: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#objection-state"))); s != "已办结" {
		t.Errorf("state after the decision: %q", s)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#objection-outcome"))); !strings.HasPrefix(s, "更正") {
		t.Errorf("outcome: %q", s)
	}
	browserSignOut(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(recURL), chromedp.WaitVisible(chromedp.CSS("#history-title"))); err != nil {
		t.Fatal(err)
	}
	page := text(t, ctx, chromedp.Text(chromedp.CSS("main")))
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#status"))); s != "公示中" {
		t.Errorf("public status after the decision: %q", s)
	}
	if !strings.Contains(page, "罚款1万元") || !strings.Contains(page, "（更正）") || !strings.Contains(page, "第2版") {
		t.Errorf("the corrected record and its history are not shown:\n%s", page)
	}
}

// TestBrowserThirdPartyObjection: someone without an account objects to
// the public penalty with evidence from the record's page in Chromium (a
// same-origin form without a session), gets the 查询码 and follows the
// case with it; the record is marked.
func TestBrowserThirdPartyObjection(t *testing.T) {
	t.Parallel()
	env := newObjectionEnv(t)
	ctx := browsertest.New(t, 90*time.Second)
	evidence := filepath.Join(t.TempDir(), "复议决定书.png")
	if err := os.WriteFile(evidence, pngProof, 0o644); err != nil {
		t.Fatal(err)
	}
	recURL := env.base + "/records/" + env.ref
	if err := chromedp.Do(ctx,
		chromedp.Navigate(recURL),
		chromedp.Click(chromedp.CSS("#public-objection summary")),
		chromedp.WaitVisible(chromedp.CSS("#public-objection-form")),
		chromedp.SendKeys(chromedp.CSS("#applicant"), "李四"),
		chromedp.SendKeys(chromedp.CSS("#reasons"), "该处罚已由复议决定撤销"),
		chromedp.SendKeys(chromedp.CSS("#contact"), "13800000000"),
		chromedp.SetUploadFiles(chromedp.CSS("#evidence"), []string{evidence}),
		chromedp.Submit(chromedp.CSS("#reasons")),
		chromedp.WaitVisible(chromedp.CSS("#objection-code")),
	); err != nil {
		t.Fatalf("file: %v", err)
	}
	code := text(t, ctx, chromedp.Text(chromedp.CSS("#objection-code strong")))
	if len(code) != 16 {
		t.Errorf("查询码 %q", code)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#objection-follow")), chromedp.WaitVisible(chromedp.CSS("#objection-state"))); err != nil {
		t.Fatalf("follow: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#objection-state"))); s != "核查中" {
		t.Errorf("state: %q", s)
	}
	if loc := text(t, ctx, chromedp.Location()); !strings.Contains(loc, "code="+code) {
		t.Errorf("followed at %s", loc)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(recURL)); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#status"))); s != "异议处理中" {
		t.Errorf("the record's status: %q", s)
	}
}
