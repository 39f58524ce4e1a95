package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store/storetest"
	"github.com/xinyong/xinyong/internal/web/browsertest"
)

func addChecker(t *testing.T, env checkEnv) {
	t.Helper()
	if _, err := env.s.CreateUser(context.Background(), auth.User{Login: "checker.xian", Name: "核查员", OrgID: env.deptXian.ID, Roles: []string{"checker"},
		PasswordHash: auth.HashPassword(testPassword)}, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserCheckPage: a checker pastes codes into the check page in
// Chromium and reads the certificate.
func TestBrowserCheckPage(t *testing.T) {
	env := newCheckEnv(t)
	addChecker(t, env)
	ctx := browsertest.New(t, 60*time.Second)
	list := env.debtor + "\n" + env.honest + "\n" + storetest.USCC("91", "610113", 999)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(env.srv.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#login"), "checker.xian"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(`nav a[href="/check"]`)),
		chromedp.Click(chromedp.CSS(`nav a[href="/check"]`)),
		chromedp.WaitVisible(chromedp.CSS("#check-form")),
		chromedp.SetValue(chromedp.CSS("#scenario"), "bidding"),
		chromedp.SendKeys(chromedp.CSS("#case_no"), "ZB-2026-088"),
		chromedp.SetValue(chromedp.CSS("#list"), list),
		chromedp.Submit(chromedp.CSS("#case_no")),
		chromedp.WaitVisible(chromedp.CSS("#check-certificate")),
	); err != nil {
		t.Fatal(err)
	}
	table := text(t, ctx, chromedp.Text(chromedp.CSS("#check-items")))
	for _, want := range []string{"西安老赖商贸有限公司", "有惩戒措施", "依法限制参与招标投标", "西安诚信科技有限公司", "无限制", "未找到"} {
		if !strings.Contains(table, want) {
			t.Errorf("certificate lacks %q:\n%s", want, table)
		}
	}
	if c := text(t, ctx, chromedp.Text(chromedp.CSS("#check-case"))); c != "ZB-2026-088" {
		t.Errorf("case %q", c)
	}
}

// TestCheckPageUpload sends a CSV file with a header to the check page and
// downloads the answers as CSV.
func TestCheckPageUpload(t *testing.T) {
	env := newCheckEnv(t)
	addChecker(t, env)
	b := env.browser(t)
	b.base = env.srv.URL
	b.signIn("checker.xian")
	csrf := b.csrf("/check")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"csrf": csrf, "scenario": "procurement", "case_no": "CG-UP-1"} {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "名单.csv")
	fw.Write([]byte("序号,单位名称,统一社会信用代码\n1,西安老赖商贸有限公司," + env.debtor + "\n2,某公司," + strings.ToLower(env.honest) + "\n"))
	mw.Close()
	req, _ := http.NewRequest("POST", env.srv.URL+"/check", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	code, page, h := b.do(req)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/checks/") {
		t.Fatalf("upload: %d %s", code, page)
	}
	code, csv := b.get(h.Get("Location") + "/csv")
	if code != 200 || !strings.Contains(csv, "西安老赖商贸有限公司") || !strings.Contains(csv, "有惩戒措施") || !strings.Contains(csv, "M01 依法限制参加政府采购活动") ||
		strings.Count(csv, "\n") != 3 {
		t.Errorf("CSV: %d\n%s", code, csv)
	}
	// Without the form token nothing is checked.
	code, _, _ = b.post("/check", url.Values{"scenario": {"procurement"}, "case_no": {"X"}, "list": {env.debtor}})
	if code != http.StatusForbidden {
		t.Errorf("without CSRF token: %d", code)
	}
	// A clerk is no checker.
	c := env.browser(t)
	c.base = env.srv.URL
	c.signIn("clerk.xian")
	if code, _ := c.get("/check"); code != http.StatusForbidden {
		t.Errorf("a clerk opens the check page: %d", code)
	}
}
