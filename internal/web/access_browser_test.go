package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/web/browsertest"
)

// TestBrowserAccess walks the staff side in headless Chromium, with the
// production cookie settings (Secure, HttpOnly, SameSite=Lax on
// 127.0.0.1): the administrator signs in and creates a clerk's account;
// the clerk signs in with the password shown once, reads a revoked
// penalty after stating a purpose; the firm signs in and sees that read
// in its query history.
func TestBrowserAccess(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	opts := env.opts
	opts.InsecureCookies = false
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx := browsertest.New(t, 90*time.Second)

	browserSignIn(t, ctx, srv.URL, "admin", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`nav a[href="/admin"]`)),
		chromedp.WaitVisible(chromedp.CSS("#user-form")),
		chromedp.SendKeys(chromedp.CSS("#user-login"), "clerk2.xian"),
		chromedp.SendKeys(chromedp.CSS("#user-name"), "李四"),
		chromedp.SetValue(chromedp.CSS("#user-org"), itoa(env.deptXian.ID)),
		chromedp.Click(chromedp.CSS(`#user-form input[name="role"][value="clerk"]`)),
		chromedp.Submit(chromedp.CSS("#user-login")),
		chromedp.WaitVisible(chromedp.CSS("#admin-secret")),
	); err != nil {
		t.Fatal(err)
	}
	password := text(t, ctx, chromedp.Text(chromedp.CSS("#admin-secret")))
	if len(password) < 12 {
		t.Fatalf("initial password %q", password)
	}
	browserSignOut(t, ctx)

	browserSignIn(t, ctx, srv.URL, "clerk2.xian", password)
	if roles := text(t, ctx, chromedp.Text(chromedp.CSS("#account-roles"))); roles != "数据报送员" {
		t.Errorf("roles %q", roles)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/records/"+env.recordRef),
		chromedp.WaitVisible(chromedp.CSS("#purpose")),
		chromedp.SendKeys(chromedp.CSS("#purpose"), "复核 XA-2026-0099"),
		chromedp.Submit(chromedp.CSS("#purpose")),
		chromedp.WaitVisible(chromedp.CSS("#internal-banner")),
	); err != nil {
		t.Fatal(err)
	}
	if banner := text(t, ctx, chromedp.Text(chromedp.CSS("#internal-banner"))); !strings.Contains(banner, "复核 XA-2026-0099") {
		t.Errorf("banner %q", banner)
	}
	browserSignOut(t, ctx)

	browserSignIn(t, ctx, srv.URL, "firm", testPassword)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`nav a[href="/my"]`)), chromedp.WaitVisible(chromedp.CSS("#query-log"))); err != nil {
		t.Fatal(err)
	}
	log := text(t, ctx, chromedp.Text(chromedp.CSS("#query-log")))
	if !strings.Contains(log, "西安市市场监督管理局") || !strings.Contains(log, "复核 XA-2026-0099") {
		t.Errorf("query history %q", log)
	}
}
