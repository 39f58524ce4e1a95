package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/web/browsertest"
)

// TestBrowserHiringCheck walks a hiring check in headless Chromium on the
// test clock: 中共西安市委组织部 asks about three candidates for
// 公务员录用 (answered by the province); the first is a 失信被执行人. The
// check finds the hit, which waits for a second officer's review before
// the reply may be sent; the reply says of each candidate only whether he
// or she is a 失信联合惩戒对象 and on which list. The candidate sees the
// query in the query history and objects; the unit is late to forward it
// (the case says so), then the chain runs through the provincial office,
// the national centre's result and back to the candidate, each step due
// 3 working days after the last on the deadline engine.
func TestBrowserHiringCheck(t *testing.T) {
	t.Parallel()
	env := newHiringEnv(t)
	ctx := browsertest.New(t, 150*time.Second)
	at := func(day, hour int) { // November 2026, China time
		env.clock.Set(time.Date(2026, 11, day, hour, 0, 0, 0, calendar.Location()))
	}
	get := func(sel string) string { return text(t, ctx, chromedp.Text(chromedp.CSS(sel))) }
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 45*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("%s: %v at %s:\n%s", what, err, loc, html)
		}
	}
	page := func() string { return get("main") }

	// Monday 2 November: the unit files the request with its list typed.
	browserSignIn(t, ctx, env.base, "hirer", testPassword)
	do("file",
		chromedp.Click(chromedp.CSS("#nav-hiring")),
		chromedp.WaitVisible(chromedp.CSS("#new-hiring")),
		chromedp.Click(chromedp.CSS("#new-hiring")),
		chromedp.WaitVisible(chromedp.CSS("#hiring-form")),
		chromedp.SetValue(chromedp.CSS("#kind"), "公务员录用"),
		chromedp.SendKeys(chromedp.CSS("#doc_no"), "西组函〔2026〕12号"),
		chromedp.SendKeys(chromedp.CSS("#title"), "关于商请查询2026年度公务员录用人选社会信用记录的函"),
		chromedp.SendKeys(chromedp.CSS("#contact"), "王老师"),
		chromedp.SendKeys(chromedp.CSS("#phone"), "029-86780000"),
		chromedp.SetValue(chromedp.CSS("#list"), env.list()),
		chromedp.Submit(chromedp.CSS("#doc_no")),
		chromedp.WaitVisible(chromedp.CSS("#hiring-state")),
	)
	caseURL := text(t, ctx, chromedp.Location())
	if s := get("#hiring-state"); s != "待核查" {
		t.Errorf("state: %q", s)
	}
	if s := get("#hiring-responder"); !strings.Contains(s, "陕西省") || !strings.Contains(s, "国家公务员录用、调任人选社会信用记录查询系统") {
		t.Errorf("responder: %q", s)
	}
	if s := get("#hiring-due"); s != "2026-11-05" {
		t.Errorf("answer due %q, want Thursday 2026-11-05 (3 working days)", s)
	}
	browserSignOut(t, ctx)

	// The first officer checks: one hit, waiting for the second review;
	// he may not review it himself nor send the reply.
	browserSignIn(t, ctx, env.base, "office1", testPassword)
	do("check", chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS("#form-check")), chromedp.Submit(chromedp.CSS("#form-check button")),
		chromedp.WaitNotPresent(chromedp.CSS("#form-check")))
	if s := get("#hiring-state"); !strings.HasPrefix(s, "待复审") {
		t.Errorf("state after the check: %q", s)
	}
	if p := page(); strings.Contains(p, "复审通过") || strings.Contains(p, "发送答复公文") {
		t.Errorf("the checker may review or send:\n%s", p)
	}
	browserSignOut(t, ctx)

	// Tuesday: the second officer reviews and sends.
	at(3, 10)
	browserSignIn(t, ctx, env.base, "office2", testPassword)
	do("review", chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS("#form-review")),
		chromedp.Click(chromedp.CSS(`#form-review input[value="复审"]`)),
		chromedp.Click(chromedp.CSS(`#form-review input[value="复核"]`)),
		chromedp.Click(chromedp.CSS(`#form-review input[value="复查"]`)),
		chromedp.SendKeys(chromedp.CSS("#review-note"), "经与法院公布信息核对无误"),
		chromedp.Submit(chromedp.CSS("#review-note")),
		chromedp.WaitVisible(chromedp.CSS("#form-send")),
		chromedp.Submit(chromedp.CSS("#form-send button")),
		chromedp.WaitVisible(chromedp.CSS("#hiring-reply-link")),
	)
	if s := get("#hiring-state"); s != "已答复" {
		t.Errorf("state after sending: %q", s)
	}
	do("reply", chromedp.Click(chromedp.CSS("#hiring-reply-link")), chromedp.WaitVisible(chromedp.CSS("#hiring-reply")))
	reply := get("#hiring-reply")
	if get("#reply-no") != "信用查复〔2026〕1号" || get("#reply-date") != "2026-11-03" {
		t.Errorf("reply number and date:\n%s", reply)
	}
	targets := text(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#reply-lines .reply-target")].map(e => e.textContent)`))
	lists := text(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#reply-lines .reply-lists")].map(e => e.textContent.trim())`))
	if strings.Join(targets, ",") != "是,否,否" || strings.Join(lists, ",") != "失信被执行人,—,—" {
		t.Errorf("reply lines: %v %v", targets, lists)
	}
	for _, other := range []string{"执777号", "五十万元", "雁塔区人民法院", "2026-09-01", "法释"} {
		if strings.Contains(reply, other) {
			t.Errorf("the reply holds other credit information (%s):\n%s", other, reply)
		}
	}
	browserSignOut(t, ctx)

	// Wednesday: the candidate sees the query in the history and objects.
	at(4, 9)
	browserSignIn(t, ctx, env.base, "cand", testPassword)
	do("history", chromedp.Navigate(env.base+"/my"), chromedp.WaitVisible(chromedp.CSS("main")))
	if p := page(); !strings.Contains(p, "招录人选信用记录查询") || !strings.Contains(p, "中共西安市委组织部") {
		t.Errorf("the query is not in the candidate's history:\n%s", p)
	}
	do("object", chromedp.Click(chromedp.CSS("#nav-hiring")), chromedp.WaitVisible(chromedp.CSS("#hiring-list a")),
		chromedp.Click(chromedp.CSS("#hiring-list a")), chromedp.WaitVisible(chromedp.CSS("#form-object")),
		chromedp.SendKeys(chromedp.CSS("#object-note"), "该案已于2026年10月履行完毕，法院应已移出名单"),
		chromedp.Submit(chromedp.CSS("#object-note")), chromedp.WaitNotPresent(chromedp.CSS("#form-object")))
	if p := page(); strings.Contains(p, "李清白") || strings.Contains(p, env.debtorID) {
		t.Errorf("the candidate sees another candidate or the full ID number:\n%s", p)
	}
	browserSignOut(t, ctx)

	// The unit should forward by Monday 9 November; on Wednesday 11th it
	// has not: the case says the unit is late.
	at(11, 9)
	browserSignIn(t, ctx, env.base, "hirer", testPassword)
	do("open", chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS("#hiring-track")))
	if tr := get("#hiring-track"); !strings.Contains(tr, "申请单位转报异议") || !strings.Contains(tr, "2026-11-09") || !strings.Contains(tr, "中共西安市委组织部逾期") {
		t.Errorf("the late forward is not shown:\n%s", tr)
	}
	do("list", chromedp.Navigate(env.base+"/hiring-checks"), chromedp.WaitVisible(chromedp.CSS("#hiring-list")))
	if l := get("#hiring-list"); !strings.Contains(l, "申请单位转报异议（中共西安市委组织部，2026-11-09到期）") {
		t.Errorf("the list does not say who is late:\n%s", l)
	}
	step := func(who, form string, outcome bool) {
		t.Helper()
		browserSignIn(t, ctx, env.base, who, testPassword)
		acts := []chromedp.Action[chromedp.Void]{chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS(form))}
		if outcome {
			acts = append(acts, chromedp.Click(chromedp.CSS(form+` input[value="更正查询结果"]`)))
		}
		acts = append(acts, chromedp.Submit(chromedp.CSS(form+" button")), chromedp.WaitNotPresent(chromedp.CSS(form)))
		do(form, acts...)
		browserSignOut(t, ctx)
	}
	browserSignOut(t, ctx)
	step("hirer", "#form-forward-1", false) // Wed 11th: the office's step due Mon 16th
	at(12, 9)
	step("office1", "#form-apply-1", false) // to the national centre, its result due Tue 17th
	at(16, 9)
	step("office1", "#form-national-1", true) // the centre's result entered; telling the unit due Thu 19th
	at(17, 9)
	step("office2", "#form-result-1", false) // the unit tells the candidate by Fri 20th
	at(18, 9)
	browserSignIn(t, ctx, env.base, "hirer", testPassword)
	do("before notify", chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS("#hiring-track")))
	tr := get("#hiring-track")
	for _, want := range []string{"申请国家异议复核", "国家中心异议复核", "书面告知申请单位复核结果", "申请单位告知被查询人", "2026-11-16", "2026-11-17", "2026-11-19", "2026-11-20", "逾期办结"} {
		if !strings.Contains(tr, want) {
			t.Errorf("track lacks %q:\n%s", want, tr)
		}
	}
	browserSignOut(t, ctx)
	step("hirer", "#form-notify-1", false)
	browserSignIn(t, ctx, env.base, "cand", testPassword)
	do("outcome", chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS(".objection-outcome")))
	if s := get(".hiring-objection"); !strings.Contains(s, "更正查询结果") || !strings.Contains(s, "已办结") {
		t.Errorf("the candidate's outcome: %q", s)
	}
}
