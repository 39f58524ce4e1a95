package web

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/web/browsertest"
)

// TestBrowserRepair walks a credit repair in headless Chromium: the shop
// opens its penalty of four months ago, sees that it may apply, uploads
// a receipt and signs the commitment; the platform's reviewer accepts and
// the department's reviewer approves from their queues; the public then
// no longer sees the penalty, and the shop sees it as 已信用修复.
func TestBrowserRepair(t *testing.T) {
	t.Parallel()
	env := newRepairEnv(t)
	ctx := browsertest.New(t, 90*time.Second)
	receipt := filepath.Join(t.TempDir(), "罚款收据.png")
	if err := os.WriteFile(receipt, pngProof, 0o644); err != nil {
		t.Fatal(err)
	}
	recURL := env.base + "/records/" + env.oldRef

	browserSignIn(t, ctx, env.base, "shop", testPassword)
	if err := chromedp.Do(ctx, chromedp.Navigate(recURL), chromedp.WaitVisible(chromedp.CSS("#repair-form"))); err != nil {
		t.Fatalf("record page: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#repair-eligibility"))); !strings.HasPrefix(s, "可以申请信用修复") {
		t.Errorf("eligibility: %q", s)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.CSS("#proofs"), []string{receipt}),
		chromedp.Click(chromedp.CSS(`#repair-commitment input[name="commitment"]`)),
		chromedp.Submit(chromedp.CSS("#proofs")),
	); err != nil {
		t.Fatalf("apply: %v", err)
	}
	waitLocation(t, ctx, "/repairs/")
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#repair-state"))); s != "待受理" {
		t.Errorf("state after applying: %q", s)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#repair-files"))); !strings.Contains(s, "罚款收据.png") {
		t.Errorf("proofs listed: %q", s)
	}
	browserSignOut(t, ctx)

	decide := func(login, action, next string) {
		t.Helper()
		browserSignIn(t, ctx, env.base, login, testPassword)
		if err := chromedp.Do(ctx,
			chromedp.Navigate(env.base+"/repairs"),
			chromedp.Click(chromedp.CSS(`main a[href^="/repairs/"]`)),
			chromedp.WaitVisible(chromedp.CSS("#form-"+action)),
			chromedp.Submit(chromedp.CSS("#note-"+action)),
			chromedp.WaitNotPresent(chromedp.CSS("#form-"+action)),
		); err != nil {
			t.Fatalf("%s by %s: %v", action, login, err)
		}
		if s := text(t, ctx, chromedp.Text(chromedp.CSS("#repair-state"))); s != next {
			t.Errorf("state after %s: %q, want %q", action, s, next)
		}
		browserSignOut(t, ctx)
	}
	decide("reviewer.root", "accept", "已受理（待认定部门决定）")
	decide("reviewer.dept", "approve", "已修复")

	if err := chromedp.Do(ctx, chromedp.Navigate(recURL), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(s, "已于") || !strings.Contains(s, "完成信用修复") {
		t.Errorf("the public still sees the repaired penalty:\n%s", s)
	}
	browserSignIn(t, ctx, env.base, "shop", testPassword)
	if err := chromedp.Do(ctx, chromedp.Navigate(env.base+"/my"), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(s, env.oldNo) || !strings.Contains(s, "已信用修复") {
		t.Errorf("the shop's own file:\n%s", s)
	}
}

// TestBrowserRepairRecheck: an approved repair (filed and decided over
// HTTP) is drawn into a re-check sample by the platform's reviewer in
// Chromium, found unsound from the queue, and the public sees the penalty
// again.
func TestBrowserRepairRecheck(t *testing.T) {
	t.Parallel()
	env := newRepairEnv(t)
	shop, root, dept := env.as(t, "shop"), env.as(t, "reviewer.root"), env.as(t, "reviewer.dept")
	oldPath := "/records/" + env.oldRef
	code, body, h := postMultipart(shop, oldPath+"/repairs", url.Values{"csrf": {shop.csrf(oldPath)}, "commitment": {"accepted"}},
		upload{"罚款收据.png", pngProof})
	if code != http.StatusSeeOther {
		t.Fatalf("apply: %d %s", code, body)
	}
	casePath := h.Get("Location")
	if code, body := act(t, root, casePath, "accept", "", ""); code != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", code, body)
	}
	if code, body := act(t, dept, casePath, "approve", "", ""); code != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", code, body)
	}

	ctx := browsertest.New(t, 90*time.Second)
	browserSignIn(t, ctx, env.base, "reviewer.root", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-repairs")),
		chromedp.Click(chromedp.CSS("#sample summary")),
		chromedp.WaitVisible(chromedp.CSS("#sample-form")),
		chromedp.SetValue(chromedp.CSS("#sample-percent"), "100"),
		chromedp.Submit(chromedp.CSS("#sample-percent")),
		chromedp.WaitVisible(chromedp.CSS("#sample-result")),
	); err != nil {
		t.Fatalf("sample: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#sample-result"))); !strings.Contains(s, "随机抽取1件（100%）") {
		t.Errorf("sample result: %q", s)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#sample-result a")),
		chromedp.WaitVisible(chromedp.CSS("#form-recheck_fail")),
		chromedp.SendKeys(chromedp.CSS("#note-recheck_fail"), "缴款凭证与银行记录不符"),
		chromedp.Submit(chromedp.CSS("#note-recheck_fail")),
		chromedp.WaitNotPresent(chromedp.CSS("#form-recheck_fail")),
	); err != nil {
		t.Fatalf("re-check: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#repair-state"))); s != "修复已撤销（复核不通过）" {
		t.Errorf("state after the re-check: %q", s)
	}
	browserSignOut(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(env.base+oldPath)); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#status"))); s != "公示中" {
		t.Errorf("the penalty's status for the public: %q", s)
	}
}
