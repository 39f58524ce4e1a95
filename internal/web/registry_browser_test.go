package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/web/browsertest"
)

// TestBrowserRegistryCorrection is issue 20's walk in headless Chromium:
// 西安市民政局's registrar finds its 错码 case from the menu, files the
// deletion of the wrong code on the case page (first with another name,
// refused with the 回传 rule named, then as registered), and the case is
// closed (已纠正); the list of open cases no longer shows it.
func TestBrowserRegistryCorrection(t *testing.T) {
	t.Parallel()
	env := newRegistryEnv(t)
	ctx := browsertest.New(t, 120*time.Second)
	browserSignIn(t, ctx, env.base, "registrar.mz", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-registry")),
		chromedp.WaitVisible(chromedp.CSS("#registry-cases")),
		chromedp.Click(chromedp.CSS(`tr.registry-case[data-id="`+itoa(env.badCase)+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS("#correct-form-0")),
		chromedp.SetValue(chromedp.CSS("#business-0"), "-1"),
		chromedp.SetValue(chromedp.CSS("#name-0"), "西安市某某贸易公司"),
		chromedp.Click(chromedp.CSS("#correct-0")),
		chromedp.WaitVisible(chromedp.CSS("#case-error")),
	); err != nil {
		t.Fatalf("correction with another name: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#case-error"))); !strings.Contains(s, "删除代码数据的回传规则") {
		t.Errorf("refusal: %q", s)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#business-0"), "-1"),
		chromedp.SetValue(chromedp.CSS("#name-0"), "西安市某某贸易有限公司"),
		chromedp.Click(chromedp.CSS("#correct-0")),
		chromedp.WaitVisible(chromedp.CSS("#case-done")),
	); err != nil {
		t.Fatalf("deletion: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#case-state"))); s != "已纠正" {
		t.Errorf("case state after the deletion: %q", s)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-registry")),
		chromedp.WaitVisible(chromedp.CSS("#registry-summary")),
	); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#registry-cases"))); strings.Contains(s, env.badCode) || !strings.Contains(s, env.dupA) {
		t.Errorf("open cases after the correction: %q", s)
	}
}
