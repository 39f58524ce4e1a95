package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/web/browsertest"
)

// text runs a text-valued action or fails the test.
func text[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// waitLocation waits until the page's address contains sub: after a form
// submission the old document can still match the next selector while
// the new one loads.
func waitLocation(t *testing.T, ctx context.Context, sub string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil && strings.Contains(loc, sub) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page never reached an address with %q", sub)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBrowserHomeAndCodeTool opens the home page in headless Chromium,
// reads the counts, then types a code into the home page's form, submits
// it with the Enter key and reads the verdict on the page it lands on.
func TestBrowserHomeAndCodeTool(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t)
	ctx := browsertest.New(t, 60*time.Second)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	if title := text(t, ctx, chromedp.Title()); title != "首页 - 测试信用平台" {
		t.Errorf("title %q", title)
	}
	if lang := text(t, ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang")); lang.Value != "zh-CN" {
		t.Errorf("lang %q", lang.Value)
	}
	if total := text(t, ctx, chromedp.Text(chromedp.CSS("#total"))); total != "5" {
		t.Errorf("total %q", total)
	}
	if org := text(t, ctx, chromedp.Text(chromedp.CSS(`tr[data-class="org"] td`))); strings.TrimSpace(org) != "2" {
		t.Errorf("org count %q", org)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#c"), "91350100M000100Y4Z"),
		chromedp.SendKeys(chromedp.CSS("#c"), "\r"),
		chromedp.WaitVisible(chromedp.CSS("#result-title")),
	); err != nil {
		t.Fatal(err)
	}
	if loc := text(t, ctx, chromedp.Location()); !strings.Contains(loc, "/tools/code?c=91350100M000100Y4Z") {
		t.Errorf("location %q", loc)
	}
	if v := text(t, ctx, chromedp.Text(chromedp.CSS("#result-title"))); v != "校验结果：无效" {
		t.Errorf("verdict %q", v)
	}
	if d := text(t, ctx, chromedp.Text(chromedp.CSS("#detail"))); !strings.Contains(d, "校验码应为3") {
		t.Errorf("detail %q", d)
	}
	if dir := os.Getenv("XINYONG_SCREENSHOTS"); dir != "" {
		shot := text(t, ctx, chromedp.FullScreenshot(100))
		os.WriteFile(filepath.Join(dir, "code-tool.png"), shot, 0o644)
	}
}

// TestBrowserPhoneWidth checks the home page fits a phone screen: nothing
// scrolls sideways at 360 px.
func TestBrowserPhoneWidth(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t)
	ctx := browsertest.New(t, 60*time.Second)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740), chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	scroll := text(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	client := text(t, ctx, chromedp.Evaluate[int](`document.documentElement.clientWidth`))
	if scroll > client || client != 360 {
		t.Errorf("page is %d px wide on a %d px screen", scroll, client)
	}
	if dir := os.Getenv("XINYONG_SCREENSHOTS"); dir != "" {
		shot := text(t, ctx, chromedp.FullScreenshot(100))
		os.WriteFile(filepath.Join(dir, "home-phone.png"), shot, 0o644)
	}
}

// browserSignIn signs login in through the sign-in form of the site at
// base.
func browserSignIn(t *testing.T, ctx context.Context, base, login, password string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#login"), login),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#logout")),
	); err != nil {
		t.Fatalf("sign in %s: %v", login, err)
	}
}

// browserSignOut signs out with the navigation's button.
func browserSignOut(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS(`nav a[href="/login"]`))); err != nil {
		t.Fatalf("sign out: %v", err)
	}
}
