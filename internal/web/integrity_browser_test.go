package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/web/browsertest"
)

// TestBrowserIntegrity is issue 18's walk in headless Chromium: a
// department reports an event about 陕西省财政厅 with the form; the credit
// office runs the month's scoring from its dashboard; the body finds the
// event in its monthly report and enters its feedback on its page; the
// credit office sees the ranking, and the alert answered.
func TestBrowserIntegrity(t *testing.T) {
	t.Parallel()
	env := newIntegrityEnv(t)
	ctx := browsertest.New(t, 120*time.Second)
	today := env.svc.Today().String()

	// 1. The department reports.
	browserSignIn(t, ctx, env.base, "clerk.ndrc", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(env.base+"/integrity/events/new"),
		chromedp.WaitVisible(chromedp.CSS("#event-form")),
		chromedp.SendKeys(chromedp.CSS("#f-subject_name"), "陕西省财政厅"),
		chromedp.SendKeys(chromedp.CSS("#f-subject_uscc"), env.finUSCC),
		chromedp.SetValue(chromedp.CSS("#f-item"), "拖欠民营企业账款、农民工工资"),
		chromedp.SetValue(chromedp.CSS("#f-nature"), "不良"),
		chromedp.SetValue(chromedp.CSS("#f-event_date"), today),
		chromedp.SendKeys(chromedp.CSS("#f-description"), "拖欠某建筑公司工程款120万元"),
		chromedp.Click(chromedp.CSS("#event-submit")),
		chromedp.WaitVisible(chromedp.CSS("#event-done")),
	); err != nil {
		t.Fatalf("report: %v", err)
	}
	browserSignOut(t, ctx)

	// 2. The credit office runs this month's scoring.
	browserSignIn(t, ctx, env.base, "office", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-integrity")),
		chromedp.WaitVisible(chromedp.CSS("#run-form")),
		chromedp.SetValue(chromedp.CSS("#run-month"), env.month.String()),
		chromedp.Click(chromedp.CSS("#run-button")),
		chromedp.WaitVisible(chromedp.CSS("#integrity-done")),
		chromedp.WaitVisible(chromedp.CSS("#ranking-province_dept")),
	); err != nil {
		t.Fatalf("run: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#ranking-province_dept"))); !strings.Contains(s, "陕西省财政厅") || !strings.Contains(s, "84") {
		t.Errorf("ranking after the run: %q", s)
	}
	browserSignOut(t, ctx)

	// 3. The body reads its report and enters its feedback.
	browserSignIn(t, ctx, env.base, "clerk.fin", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-integrity")),
		chromedp.WaitVisible(chromedp.CSS("#body-total")),
		chromedp.Click(chromedp.CSS("#report-link")),
		chromedp.WaitVisible(chromedp.CSS("#integrity-report")),
	); err != nil {
		t.Fatalf("report page: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#report-open"))); !strings.Contains(s, "拖欠民营企业账款、农民工工资") || !strings.Contains(s, "拖欠某建筑公司工程款120万元") {
		t.Errorf("open problems in the report: %q", s)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#report-moves"))); !strings.Contains(s, "本月新计入") || !strings.Contains(s, "-4") {
		t.Errorf("what moved the score: %q", s)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-integrity")),
		chromedp.WaitVisible(chromedp.CSS(".feedback-form")),
		chromedp.SetValue(chromedp.CSS(".feedback-form select"), "正在整改"),
		chromedp.SendKeys(chromedp.CSS(".feedback-form textarea"), "已与施工单位签订还款协议，年底前付清"),
		chromedp.Submit(chromedp.CSS(".feedback-form textarea")),
		chromedp.WaitVisible(chromedp.CSS("#integrity-done")),
	); err != nil {
		t.Fatalf("feedback: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#body-events"))); !strings.Contains(s, "正在整改：已与施工单位签订还款协议") {
		t.Errorf("the feedback on the body's page: %q", s)
	}
	browserSignOut(t, ctx)

	// 4. The credit office sees the ranking and the alert answered.
	browserSignIn(t, ctx, env.base, "office", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(env.base+"/integrity?month="+env.month.String()),
		chromedp.WaitVisible(chromedp.CSS("#ranking-city_gov")),
	); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#ranking-province_dept"))); !strings.Contains(s, "1/1") {
		t.Errorf("ranking: %q", s)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#alert-list"))); !strings.Contains(s, "陕西省财政厅") || !strings.Contains(s, "已反馈") {
		t.Errorf("alerts: %q", s)
	}
	if n := text(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#trend svg polyline, #trend svg circle").length`)); n == 0 {
		t.Error("no trend chart drawn")
	}
}
