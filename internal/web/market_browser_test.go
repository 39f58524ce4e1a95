package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/market"
	"github.com/xinyong/xinyong/internal/web/browsertest"
)

// TestBrowserMarketProject walks a whole project in headless Chromium: the
// owner files a 均价比选 project from the menu (the page flags its
// 本市业绩 condition, 第二十四条) and the operator publishes it; 甲 bids
// 9,000 yuan; 乙, whose legal representative is 甲's, is refused for 回避;
// 丙 bids 11,000; 丁, black-listed after entering, is intercepted with the
// list and the record named. After the deadline the system selects: the
// average is 10,000, 甲 and 丙 are as far from it, the lower bid (甲)
// wins. The owner does not confirm: on the next working day it is still
// open, the day after the system has confirmed and issued the 《选取确认书》.
// 甲 uploads the contract and its result; the owner rates; the rating is a
// 中介服务评价 record in 甲's credit file.
func TestBrowserMarketProject(t *testing.T) {
	t.Parallel()
	env := newMarketEnv(t)
	ctx := browsertest.New(t, 120*time.Second)
	env.blacklist(t, "丁")
	pdfPath := filepath.Join(t.TempDir(), "合同.pdf")
	if err := os.WriteFile(pdfPath, marketPDF, 0o600); err != nil {
		t.Fatal(err)
	}

	browserSignIn(t, ctx, env.base, "market.owner", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-market")),
		chromedp.WaitVisible(chromedp.CSS("#market-new-project")),
		chromedp.Click(chromedp.CSS("#market-new-project")),
		chromedp.WaitVisible(chromedp.CSS("#project-form")),
		chromedp.SetValue(chromedp.CSS("#operator"), itoa64(env.op)),
		chromedp.SendKeys(chromedp.CSS("#name"), "雁塔区第三小学教学楼施工图审查"),
		chromedp.SendKeys(chromedp.CSS("#content"), "教学楼施工图设计文件技术审查"),
		chromedp.SendKeys(chromedp.CSS("#duration"), "15个工作日"),
		chromedp.SendKeys(chromedp.CSS("#budget"), "12000"),
		chromedp.SendKeys(chromedp.CSS("#qual_class"), "施工图审查机构"),
		chromedp.SendKeys(chromedp.CSS("#conditions"), "近三年具有本市同类项目业绩"),
		chromedp.SendKeys(chromedp.CSS("#owner_rep"), "李局长"),
		chromedp.SendKeys(chromedp.CSS("#owner_lead"), "周工"),
		chromedp.Click(chromedp.CSS("#project-submit")),
		chromedp.WaitVisible(chromedp.CSS("#project-state")),
	); err != nil {
		t.Fatalf("file the project: %v", err)
	}
	projectURL := text(t, ctx, chromedp.Location())
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#project-exclusive"))); !strings.Contains(s, "第二十四条（三）") {
		t.Errorf("the 第二十四条 flag: %q", s)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#project-method"))); s != "均价比选" {
		t.Errorf("method %q", s)
	}
	browserSignOut(t, ctx)

	browserSignIn(t, ctx, env.base, "market.op", testPassword)
	if err := chromedp.Do(ctx, chromedp.Navigate(projectURL), chromedp.WaitVisible(chromedp.CSS("#project-review")),
		chromedp.Click(chromedp.CSS("#publish")), chromedp.WaitVisible(chromedp.CSS("#seed-hash"))); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#project-state"))); s != "报名中" {
		t.Errorf("state after publishing: %q", s)
	}
	seedHash := text(t, ctx, chromedp.Text(chromedp.CSS("#seed-hash")))
	browserSignOut(t, ctx)

	// enrol signs in as the firm and enrols; it returns the page's error
	// ("" when accepted).
	enrol := func(firm, bid string) string {
		t.Helper()
		browserSignIn(t, ctx, env.base, "agency."+firm, testPassword)
		defer browserSignOut(t, ctx)
		// The notice was pushed to the agency: it is on its page.
		if err := chromedp.Do(ctx, chromedp.Navigate(env.base+"/market"), chromedp.Click(chromedp.CSS("#market-my")),
			chromedp.WaitVisible(chromedp.CSS("#agency-pushed a"))); err != nil {
			t.Fatalf("the notice pushed to %s: %v", firm, err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#agency-pushed a")), chromedp.WaitVisible(chromedp.CSS("#enrol-form")),
			chromedp.SendKeys(chromedp.CSS("#bid"), bid),
			chromedp.Click(chromedp.CSS("#declared")),
			chromedp.Click(chromedp.CSS("#enrol")),
			chromedp.WaitVisible(chromedp.CSS("#enrolments")),
		); err != nil {
			t.Fatalf("enrol %s: %v", firm, err)
		}
		var errText string
		if n := text(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#project-error").length`)); n > 0 {
			errText = text(t, ctx, chromedp.Text(chromedp.CSS("#project-error")))
		}
		return errText
	}
	if e := enrol("甲", "9000"); e != "" {
		t.Fatalf("甲 refused: %s", e)
	}
	if e := enrol("乙", "8000"); !strings.Contains(e, "第二十五条（一）") || !strings.Contains(e, "西安甲审图咨询有限公司") {
		t.Errorf("乙 not refused for 回避: %q", e)
	}
	if e := enrol("丙", "11000"); e != "" {
		t.Fatalf("丙 refused: %s", e)
	}
	if e := enrol("丁", "10000"); !strings.Contains(e, "自动拦截") || !strings.Contains(e, "失信被执行人") || !strings.Contains(e, "M10") {
		t.Errorf("丁 not intercepted: %q", e)
	}

	// The deadline passes (3 working days); the next working day the
	// system selects.
	env.clock.after(market.EnrolDays + 1)
	browserSignIn(t, ctx, env.base, "market.owner", testPassword)
	if err := chromedp.Do(ctx, chromedp.Navigate(projectURL), chromedp.WaitVisible(chromedp.CSS("#selection-result"))); err != nil {
		t.Fatalf("selection: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#winner"))); s != "西安甲审图咨询有限公司" {
		t.Errorf("winner %q", s)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#selection-result"))); !strings.Contains(s, "平均价格为10000.00元") ||
		!strings.Contains(s, "低于平均价的中介机构中选") {
		t.Errorf("selection: %q", s)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#enrolments"))); !strings.Contains(s, "回避") || !strings.Contains(s, "拦截") {
		t.Errorf("the enrolments after the draw: %q", s)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#project-state"))); s != "待确认" {
		t.Errorf("state after the draw: %q", s)
	}
	// The owner does not confirm. The next working day is the due day.
	env.clock.after(1)
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#confirm-form"))); err != nil {
		t.Fatalf("on the due day the confirmation is still the owner's: %v", err)
	}
	env.clock.after(1)
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#confirmation"))); err != nil {
		t.Fatalf("auto-confirm: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#confirmation"))); !strings.Contains(s, "逾期未确认，系统") || !strings.Contains(s, "选取确认书") {
		t.Errorf("confirmation: %q", s)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#confirmation-link")), chromedp.WaitVisible(chromedp.CSS("#confirmation-letter"))); err != nil {
		t.Fatalf("the 选取确认书: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#confirmation-letter"))); !strings.Contains(s, "西安甲审图咨询有限公司") || !strings.Contains(s, "系统") {
		t.Errorf("选取确认书: %q", s)
	}
	browserSignOut(t, ctx)

	// 甲 contacts the owner, uploads the contract, then its result.
	browserSignIn(t, ctx, env.base, "agency.甲", testPassword)
	if err := chromedp.Do(ctx, chromedp.Navigate(projectURL), chromedp.WaitVisible(chromedp.CSS("#contact-form")),
		chromedp.Click(chromedp.CSS("#contact")), chromedp.WaitNotPresent(chromedp.CSS("#contact-form")),
		chromedp.SetUploadFiles(chromedp.CSS("#contract-file"), []string{pdfPath}),
		chromedp.Click(chromedp.CSS("#upload-contract")),
		chromedp.WaitVisible(chromedp.CSS("#deliver-form")),
	); err != nil {
		t.Fatalf("contract: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#contract"))); !strings.Contains(s, "合同已备案") || !strings.Contains(s, "合同.pdf") {
		t.Errorf("contract: %q", s)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.CSS("#result-file"), []string{pdfPath}),
		chromedp.Click(chromedp.CSS("#deliver")),
		chromedp.WaitNotPresent(chromedp.CSS("#deliver-form")),
	); err != nil {
		t.Fatalf("deliver: %v", err)
	}
	browserSignOut(t, ctx)

	browserSignIn(t, ctx, env.base, "market.owner", testPassword)
	if err := chromedp.Do(ctx, chromedp.Navigate(projectURL), chromedp.WaitVisible(chromedp.CSS("#rate-form")),
		chromedp.SetValue(chromedp.CSS("#quality"), "非常满意"),
		chromedp.SetValue(chromedp.CSS("#timeliness"), "满意"),
		chromedp.SetValue(chromedp.CSS("#attitude"), "非常满意"),
		chromedp.SetValue(chromedp.CSS("#fee"), "基本满意"),
		chromedp.SetValue(chromedp.CSS("#conduct"), "满意"),
		chromedp.Click(chromedp.CSS("#rate")),
		chromedp.WaitVisible(chromedp.CSS("#rating")),
	); err != nil {
		t.Fatalf("rate: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#rating"))); !strings.Contains(s, "综合评分 84 分") {
		t.Errorf("rating: %q", s)
	}
	browserSignOut(t, ctx)

	// The public: the rating in 甲's credit file, as a record.
	if err := chromedp.Do(ctx, chromedp.Navigate(projectURL), chromedp.WaitVisible(chromedp.CSS("#rating-record")),
		chromedp.Click(chromedp.CSS("#rating-record")), chromedp.WaitVisible(chromedp.CSS("#status"))); err != nil {
		t.Fatalf("the rating record: %v", err)
	}
	page := text(t, ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(page, "中介服务评价") || !strings.Contains(page, "西安甲审图咨询有限公司") || !strings.Contains(page, "雁塔区第三小学教学楼施工图审查") {
		t.Errorf("the rating record's page:\n%s", page)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(env.base+"/market/agencies/"+itoa64(env.agency["甲"])), chromedp.WaitVisible(chromedp.CSS("#agency-ratings")),
		chromedp.Click(chromedp.CSS("#agency-credit-file")), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
		t.Fatalf("甲's credit file: %v", err)
	}
	if page := text(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(page, "中介服务评价") || !strings.Contains(page, market.RatingNo(projectID(t, projectURL))) {
		t.Errorf("甲's credit file has no rating:\n%s", page)
	}
	// The published selection verifies, its seed the one published first.
	if err := chromedp.Do(ctx, chromedp.Navigate(env.base+"/api/v1/market/projects/"+itoa64(projectID(t, projectURL))+"/selection")); err != nil {
		t.Fatal(err)
	}
	body := text(t, ctx, chromedp.Text(chromedp.CSS("body")))
	if !strings.Contains(body, `"verified":true`) || !strings.Contains(body, seedHash) {
		t.Errorf("selection API: %s", body)
	}
}

func projectID(t *testing.T, u string) int64 {
	t.Helper()
	i := strings.LastIndex(u, "/")
	id, ok := market.ParseCode(u[i+1:])
	if !ok {
		t.Fatalf("project URL %q", u)
	}
	return id
}
