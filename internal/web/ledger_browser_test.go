package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/web/browsertest"
)

// download clicks the link sel and returns the file the browser saved.
func download(t *testing.T, ctx context.Context, sel string) []byte {
	t.Helper()
	dir := t.TempDir()
	done := make(chan string, 1)
	chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && e.State == cdpbrowser.DownloadProgressStateCompleted {
			select {
			case done <- e.GUID:
			default:
			}
		}
	})
	events := true
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &events}); err != nil {
		t.Fatalf("download behaviour: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("download %s: %v", sel, err)
	}
	select {
	case guid := <-done:
		b, err := os.ReadFile(filepath.Join(dir, guid))
		if err != nil {
			t.Fatal(err)
		}
		return b
	case <-time.After(20 * time.Second):
		t.Fatalf("the download of %s did not finish", sel)
	}
	return nil
}

// browserUpload uploads a file from the clerk's intake page and waits for
// the result page.
func browserUpload(t *testing.T, ctx context.Context, base, path string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/intake"),
		chromedp.WaitVisible(chromedp.CSS("#upload-form")),
		chromedp.SetValue(chromedp.CSS("#kind"), "cf"),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{path}),
		chromedp.Click(chromedp.CSS("#upload")),
	); err != nil {
		t.Fatalf("upload %s: %v", path, err)
	}
	waitLocation(t, ctx, "/intake/batches/")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#batch-summary"))); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserReturns is the clerk's round in headless Chromium: upload a
// GBK file with bad rows, see them on the result page, download the
// errors file, fix two rows, upload again; the two returns close, the
// third stays open and, after its deadline on the test clock, is shown
// overdue and escalated to 西安市, where the credit office sees it.
func TestBrowserReturns(t *testing.T) {
	t.Parallel()
	env := newLedgerEnv(t)
	ctx := browsertest.New(t, 120*time.Second)
	dir := t.TempDir()
	header, rows, fixes := clerkPenalties()
	file := filepath.Join(dir, "行政处罚.csv")
	if err := os.WriteFile(file, gbkCSV(t, header, rows), 0o644); err != nil {
		t.Fatal(err)
	}
	browserSignIn(t, ctx, env.base, "clerk.xian", testPassword)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#nav-intake")), chromedp.WaitVisible(chromedp.CSS("#upload-form"))); err != nil {
		t.Fatal(err)
	}
	browserUpload(t, ctx, env.base, file)
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#batch-rejected"))); s != "3" {
		t.Errorf("rejected %q", s)
	}
	table := text(t, ctx, chromedp.Text(chromedp.CSS("#rejected-rows")))
	for _, want := range []string{"处罚决定日期", "罚款金额（万元）", "统一社会信用代码"} {
		if !strings.Contains(table, want) {
			t.Errorf("the rejected rows do not name %s:\n%s", want, table)
		}
	}
	raw := download(t, ctx, "#errors-file")
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff")))).ReadAll()
	if err != nil || len(recs) != 4 || recs[0][len(recs[0])-1] != "错误原因" {
		t.Fatalf("errors file %q %v", recs, err)
	}
	// Fix rows 2 and 3 in the file; row 5 is left out.
	col := func(name string) int { return slices.Index(recs[0], name) }
	recs[1][col(fixes[2][0])], recs[1][col("处罚有效期")] = fixes[2][1], fixes[2][1]
	recs[2][col(fixes[3][0])] = fixes[3][1]
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.WriteAll(recs[:3]) // the reason column stays: it is ignored
	fixed := filepath.Join(dir, "行政处罚-改正.csv")
	if err := os.WriteFile(fixed, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	browserUpload(t, ctx, env.base, fixed)
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#batch-accepted"))); s != "2" {
		t.Errorf("accepted on the second upload %q", s)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#nav-returns")), chromedp.WaitVisible(chromedp.CSS("#return-queue"))); err != nil {
		t.Fatal(err)
	}
	open := text(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#return-queue .return-row")].map(r => r.innerText)`))
	if len(open) != 1 || !strings.Contains(open[0], "退5号") || strings.Contains(open[0], "已督办") {
		t.Fatalf("open returns %q", open)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(env.base+"/returns?state=all"), chromedp.WaitVisible(chromedp.CSS("#return-queue"))); err != nil {
		t.Fatal(err)
	}
	all := text(t, ctx, chromedp.Text(chromedp.CSS("#return-queue")))
	if strings.Count(all, "已补正") != 2 || strings.Count(all, "待补正") != 1 {
		t.Errorf("all returns:\n%s", all)
	}
	// The test clock moves one working day past the due day.
	now := time.Now()
	due := calendar.Default().AddWorkingDays(calendar.FromTime(now), 5)
	env.skip.Store(int64(calendar.Default().AddWorkingDays(due, 1).Time().Add(12 * time.Hour).Sub(now)))
	if err := chromedp.Do(ctx, chromedp.Navigate(env.base+"/returns"), chromedp.WaitVisible(chromedp.CSS("#due-reminder"))); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS(".return-status"))); !strings.Contains(s, "已逾期") || !strings.Contains(s, "已督办至西安市") {
		t.Errorf("the third return after its deadline: %q", s)
	}
	browserSignOut(t, ctx)
	browserSignIn(t, ctx, env.base, "office.xian", testPassword)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#nav-returns")), chromedp.WaitVisible(chromedp.CSS("#due-reminder"))); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#due-reminder"))); !strings.Contains(s, "督办至上级") {
		t.Errorf("the office's reminder %q", s)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#nav-quality")), chromedp.WaitVisible(chromedp.CSS("#progress-table"))); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(s, "1条督办至本级") {
		t.Errorf("the quality page does not count the escalated return:\n%s", s)
	}
}

// TestBrowserObjectionCorrectedFromForm: the shop objects to its penalty;
// the department's clerk corrects the record in the web form (no file, no
// command line); the reviewer then decides 更正 from the queue.
func TestBrowserObjectionCorrectedFromForm(t *testing.T) {
	t.Parallel()
	env := newObjectionEnv(t)
	ctx := browsertest.New(t, 120*time.Second)
	recURL := env.base + "/records/" + env.ref
	browserSignIn(t, ctx, env.base, "shop", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(recURL),
		chromedp.WaitVisible(chromedp.CSS("#objection-form")),
		chromedp.SendKeys(chromedp.CSS("#reasons"), "罚款金额应为1万元"),
		chromedp.Submit(chromedp.CSS("#reasons")),
	); err != nil {
		t.Fatalf("file: %v", err)
	}
	waitLocation(t, ctx, "/objections/")
	browserSignOut(t, ctx)

	// The clerk of the supplying department corrects it from the record.
	browserSignIn(t, ctx, env.base, "clerk.xian", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(recURL),
		chromedp.WaitVisible(chromedp.CSS("#correct-link")),
		chromedp.Click(chromedp.CSS("#correct-link")),
		chromedp.WaitVisible(chromedp.CSS("#record-form")),
		chromedp.SetValue(chromedp.CSS("#f-fine_amount"), "1"),
		chromedp.SetValue(chromedp.CSS("#f-decision_content"), "罚款1万元"),
		chromedp.SendKeys(chromedp.CSS("#reason"), "异议更正：罚款金额录入错误"),
		chromedp.Click(chromedp.CSS("#submit-correct")),
	); err != nil {
		t.Fatalf("correct: %v", err)
	}
	waitLocation(t, ctx, "purpose=")
	browserSignOut(t, ctx)

	browserSignIn(t, ctx, env.base, "reviewer.dept", testPassword)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-objections")),
		chromedp.WaitVisible(chromedp.CSS("#objection-queue")),
		chromedp.Click(chromedp.CSS("#objection-queue a")),
		chromedp.WaitVisible(chromedp.CSS("#form-decide")),
		chromedp.Click(chromedp.CSS(`#form-decide input[name="outcome"][value="correct"]`)),
		chromedp.SendKeys(chromedp.CSS("#note-decide"), "金额录入错误，已更正"),
		chromedp.Submit(chromedp.CSS("#note-decide")),
		chromedp.WaitNotPresent(chromedp.CSS("#form-decide")),
	); err != nil {
		t.Fatalf("decide: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#objection-outcome"))); !strings.HasPrefix(s, "更正") {
		t.Errorf("outcome: %q", s)
	}
	browserSignOut(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(recURL), chromedp.WaitVisible(chromedp.CSS("#history-title"))); err != nil {
		t.Fatal(err)
	}
	page := text(t, ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(page, "罚款1万元") || !strings.Contains(page, "异议更正：罚款金额录入错误") || !strings.Contains(page, "第2版") {
		t.Errorf("the corrected record and its reason are not shown:\n%s", page)
	}
}
