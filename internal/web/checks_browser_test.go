package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/store/storetest"
	"github.com/xinyong/xinyong/internal/web/browsertest"
)

func addChecker(t *testing.T, env checkEnv) {
	t.Helper()
	if _, err := env.s.CreateUser(context.Background(), auth.User{Login: "checker.xian", Name: "核查员", OrgID: env.deptXian.ID, Roles: []string{"checker"},
		PasswordHash: testPasswordHash()}, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserCheckPage: a checker pastes codes and a mistyped name into
// the check page in Chromium and reads the certificate: the name's
// possible match is listed apart, to be checked by hand, and decides
// nothing.
func TestBrowserCheckPage(t *testing.T) {
	t.Parallel()
	env := newCheckEnv(t)
	addChecker(t, env)
	ctx := browsertest.New(t, 60*time.Second)
	list := env.debtor + "\n" + env.honest + "\n" + storetest.USCC("91", "610113", 999) + "\n西安老懒商贸有限公司"
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
	row := text(t, ctx, chromedp.Text(chromedp.CSS("#check-items tbody tr:nth-child(4)")))
	for _, want := range []string{"西安老懒商贸有限公司", "未找到", "可能的匹配，请人工核对", "西安老赖商贸有限公司", "查询“老懒商贸”与“老赖商贸”相差一字：懒→赖",
		"不作为核查结论", "若确为该主体，核查结果为：有惩戒措施"} {
		if !strings.Contains(row, want) {
			t.Errorf("the mistyped name's row lacks %q:\n%s", want, row)
		}
	}
	if n := text(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#possible-4 li").length`)); n != 1 {
		t.Errorf("%d possible matches listed", n)
	}
	// One punished (by code), none by the possible match.
	summary := text(t, ctx, chromedp.Text(chromedp.CSS("#check-certificate table.fields")))
	if !strings.Contains(summary, "有惩戒措施 1，") || !strings.Contains(summary, "未找到 2（其中 1 个有可能的匹配，请人工核对）") {
		t.Errorf("summary:\n%s", summary)
	}
	if dir := os.Getenv("XINYONG_SCREENSHOTS"); dir != "" {
		shot := text(t, ctx, chromedp.FullScreenshot(100))
		os.WriteFile(filepath.Join(dir, "check-possible.png"), shot, 0o644)
	}
}

// TestCheckPageUpload sends a CSV file with a header to the check page and
// downloads the answers as CSV.
func TestCheckPageUpload(t *testing.T) {
	t.Parallel()
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
	fw.Write([]byte("序号,单位名称,统一社会信用代码\n1,西安老赖商贸有限公司," + env.debtor + "\n2,某公司," + strings.ToLower(env.honest) + "\n3,西安老懒商贸有限公司,\n"))
	mw.Close()
	req, _ := http.NewRequest("POST", env.srv.URL+"/check", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	code, page, h := b.do(req)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/checks/") {
		t.Fatalf("upload: %d %s", code, page)
	}
	code, csv := b.get(h.Get("Location") + "/csv")
	if code != 200 || !strings.Contains(csv, "西安老赖商贸有限公司") || !strings.Contains(csv, "有惩戒措施") || !strings.Contains(csv, "M01 依法限制参加政府采购活动") ||
		!strings.Contains(csv, "可能的匹配（请人工核对）") || !strings.Contains(csv, "西安老赖商贸有限公司（"+env.debtor+"）查询“老懒商贸”与“老赖商贸”相差一字：懒→赖") ||
		strings.Count(csv, "\n") != 4 {
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

// TestBrowserListFormAndAudit: in Chromium a department's reviewer enters
// a subject on a list with the form and removes it from the record page;
// the platform's auditor then reads both in the audit trail, and a checker
// reads the month's statistics.
func TestBrowserListFormAndAudit(t *testing.T) {
	t.Parallel()
	env := newCheckEnv(t)
	addChecker(t, env)
	if _, err := env.s.CreateUser(context.Background(), auth.User{Login: "reviewer.xian", Name: "审核员", OrgID: env.deptXian.ID, Roles: []string{"reviewer"},
		PasswordHash: testPasswordHash()}, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t, 90*time.Second)
	browserSignIn(t, ctx, env.srv.URL, "reviewer.xian", testPassword)
	decided := calendar.Today().AddDays(-3).String()
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`nav a[href="/lists/new"]`)),
		chromedp.WaitVisible(chromedp.CSS("#list-form")),
		chromedp.SetValue(chromedp.CSS("#f-list_type"), "经营异常名录"),
		chromedp.SendKeys(chromedp.CSS("#f-subject_name"), "西安异常贸易有限公司"),
		chromedp.SendKeys(chromedp.CSS("#f-subject_uscc"), storetest.USCC("91", "610113", 888)),
		chromedp.SendKeys(chromedp.CSS("#f-legal_rep"), "周九"),
		chromedp.SendKeys(chromedp.CSS("#f-decision_no"), "西市监异〔2026〕8号"),
		chromedp.SendKeys(chromedp.CSS("#f-facts"), "通过登记的住所无法联系"),
		chromedp.SendKeys(chromedp.CSS("#f-legal_basis"), "《企业经营异常名录管理暂行办法》第十条"),
		chromedp.SetValue(chromedp.CSS("#f-decision_date"), decided),
		chromedp.Submit(chromedp.CSS("#f-decision_no")),
		chromedp.WaitVisible(chromedp.CSS("#list-done")),
		chromedp.Click(chromedp.CSS("#list-done a")),
		chromedp.WaitVisible(chromedp.CSS("#exit-form")),
		chromedp.SetValue(chromedp.CSS("#exit_date"), calendar.Today().String()),
		chromedp.SendKeys(chromedp.CSS("#exit_reason"), "已恢复联系"),
		chromedp.Submit(chromedp.CSS("#exit_reason")),
	); err != nil {
		t.Fatal(err)
	}
	// The form's page has a #status too: wait for the page after the
	// removal to say 已移出 (or give up after a few seconds).
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	chromedp.Run(wait, chromedp.Poll[bool](`(document.querySelector("#status") || {}).textContent === "已移出"`))
	cancel()
	if st := text(t, ctx, chromedp.Text(chromedp.CSS("#status"))); st != "已移出" {
		t.Errorf("status after removal %q", st)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS(`nav a[href="/login"]`))); err != nil {
		t.Fatal(err)
	}
	browserSignIn(t, ctx, env.srv.URL, "auditor", testPassword)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`nav a[href="/audit"]`)), chromedp.WaitVisible(chromedp.CSS("#audit"))); err != nil {
		t.Fatal(err)
	}
	trail := text(t, ctx, chromedp.Text(chromedp.CSS("#audit")))
	if strings.Count(trail, "表单录入") != 2 || !strings.Contains(trail, "西市监异〔2026〕8号") {
		t.Errorf("audit trail:\n%s", trail)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS(`nav a[href="/login"]`))); err != nil {
		t.Fatal(err)
	}
	browserSignIn(t, ctx, env.srv.URL, "checker.xian", testPassword)
	if err := chromedp.Do(ctx, chromedp.Navigate(env.srv.URL+"/stats/checks"), chromedp.WaitVisible(chromedp.CSS("#stats-csv"))); err != nil {
		t.Fatal(err)
	}
}
