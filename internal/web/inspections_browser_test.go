package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/web/browsertest"
)

// TestBrowserInspection walks a 双随机 inspection in headless Chromium: the
// department's supervisor adds a matter and two inspectors, creates a task
// from the menu, draws it and enters the result of the first target; the
// public then sees the result in that subject's credit file and in the
// 双随机 column, and the draw's published inputs on the task's page.
func TestBrowserInspection(t *testing.T) {
	t.Parallel()
	env := newInspectionEnv(t)
	ctx := browsertest.New(t, 120*time.Second)

	browserSignIn(t, ctx, env.base, "supervisor", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-inspections")),
		chromedp.WaitVisible(chromedp.CSS("#new-inspection")),
		chromedp.Navigate(env.base+"/inspections/setup"),
		chromedp.WaitVisible(chromedp.CSS("#item-form")),
		chromedp.SendKeys(chromedp.CSS("#item-code"), "SC-01"),
		chromedp.SendKeys(chromedp.CSS("#item-name"), "食品经营者检查"),
		chromedp.SendKeys(chromedp.CSS("#item-basis"), "《食品安全法》第一百一十条"),
		chromedp.Submit(chromedp.CSS("#item-basis")),
		chromedp.WaitVisible(chromedp.CSS("#item-list")),
	); err != nil {
		t.Fatalf("add a matter: %v", err)
	}
	for i, in := range [][2]string{{"执法员甲", "61010001"}, {"执法员乙", "61010002"}} {
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.CSS("#ins-name"), in[0]),
			chromedp.SendKeys(chromedp.CSS("#ins-badge"), in[1]),
			chromedp.Submit(chromedp.CSS("#ins-badge")),
			// The page comes back with one more row in the pool.
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#pool tbody tr:nth-child(%d)", i+1))),
		); err != nil {
			t.Fatalf("add %s: %v", in[0], err)
		}
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#pool"))); !strings.Contains(s, "61010001") || !strings.Contains(s, "61010002") {
		t.Fatalf("pool: %q", s)
	}
	today := calendar.Today()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(env.base+"/inspections"),
		chromedp.Click(chromedp.CSS("#new-inspection")),
		chromedp.WaitVisible(chromedp.CSS("#inspection-form")),
		chromedp.SendKeys(chromedp.CSS("#name"), "2026年食品经营者双随机抽查"),
		chromedp.SetValue(chromedp.CSS("#from"), today.String()),
		chromedp.SetValue(chromedp.CSS("#to"), today.AddDays(30).String()),
		chromedp.Submit(chromedp.CSS("#name")),
	); err != nil {
		t.Fatalf("create the task: %v", err)
	}
	waitLocation(t, ctx, "/inspections/")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#seed-hash")), chromedp.Click(chromedp.CSS("#draw")), chromedp.WaitVisible(chromedp.CSS("#targets"))); err != nil {
		t.Fatalf("draw: %v", err)
	}
	taskURL := text(t, ctx, chromedp.Location())
	code := text(t, ctx, chromedp.Text(chromedp.CSS("h1 .code")))
	first := text(t, ctx, chromedp.Text(chromedp.CSS("#target-1 td:nth-child(2) a")))
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`#target-1 select[name="result"]`), "责令整改"),
		chromedp.SendKeys(chromedp.CSS(`#target-1 input[name="findings"]`), "未在经营场所公示食品经营许可证，已责令改正"),
		chromedp.Submit(chromedp.CSS(`#target-1 input[name="findings"]`)),
		chromedp.WaitVisible(chromedp.CSS("#target-1 strong")),
	); err != nil {
		t.Fatalf("enter the result: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#target-1"))); !strings.Contains(s, "责令整改") || !strings.Contains(s, "公示信息") {
		t.Errorf("the target after its result: %q", s)
	}
	browserSignOut(t, ctx)

	// The public: the subject's file, the 双随机 column, the task's page.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(taskURL),
		chromedp.WaitVisible(chromedp.CSS("#seed")),
		chromedp.Click(chromedp.CSS("#target-1 td:nth-child(2) a")),
		chromedp.WaitVisible(chromedp.CSS("#sj")),
	); err != nil {
		t.Fatalf("the subject's file: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("h1"))); s != first {
		t.Errorf("file of %q, want %q", s, first)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#sj"))); !strings.Contains(s, code+"-0001") || !strings.Contains(s, "双随机抽查结果") {
		t.Errorf("the file's 双随机 section: %q", s)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#nav-sj")), chromedp.WaitVisible(chromedp.CSS("#sj-intro"))); err != nil {
		t.Fatalf("the 双随机 column: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(s, code+"-0001") || !strings.Contains(s, first) {
		t.Errorf("the 双随机 column:\n%s", s)
	}
	// The draw verifies from what the page publishes.
	v, err := env.svc.Verify(context.Background(), taskIDOf(strings.TrimPrefix(taskURL, env.base+"/inspections/")))
	if err != nil || !v.Same {
		t.Errorf("verify: %+v %v", v.Problems, err)
	}
}
