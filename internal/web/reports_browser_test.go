package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/web/browsertest"
)

// TestBrowserReport: in headless Chromium, open the shop's credit file,
// download its credit report with 下载信用报告, then upload the downloaded
// file on /verify and read that it is genuine; a copy with one byte
// changed is refused there.
func TestBrowserReport(t *testing.T) {
	t.Parallel()
	env := newReportEnv(t, 0)
	ctx := browsertest.New(t, 90*time.Second)
	dir := t.TempDir()
	done := make(chan string, 1)
	if err := chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && e.State == cdpbrowser.DownloadProgressStateCompleted {
			select {
			case done <- e.GUID:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	events := true
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &events}); err != nil {
		t.Fatalf("downloads: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(env.base+"/subjects/"+env.shopRef),
		chromedp.WaitVisible(chromedp.CSS("#download-report")),
	); err != nil {
		t.Fatalf("credit file: %v", err)
	}
	if s := text(t, ctx, chromedp.Text(chromedp.CSS("#download-report"))); s != "下载信用报告" {
		t.Errorf("button: %q", s)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#download-report"))); err != nil {
		t.Fatalf("click: %v", err)
	}
	var file string
	select {
	case guid := <-done:
		file = filepath.Join(dir, guid)
	case <-ctx.Done():
		t.Fatal("the report was not downloaded")
	}
	pdf, err := os.ReadFile(file)
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("downloaded %d bytes: %v", len(pdf), err)
	}
	v, err := report.ParseVerifierKey(env.verifier)
	if err != nil {
		t.Fatal(err)
	}
	got, err := report.Verify(pdf, v)
	if err != nil {
		t.Fatalf("the downloaded file: %v", err)
	}
	number := got.Entry.Number
	if !numberRe.MatchString(number) {
		t.Fatalf("number %q", number)
	}
	upload := filepath.Join(dir, "信用报告.pdf")
	if err := os.WriteFile(upload, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	verify := func(path string) string {
		t.Helper()
		if err := chromedp.Do(ctx,
			chromedp.Navigate(env.base+"/verify"),
			chromedp.WaitVisible(chromedp.CSS("#file")),
			chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{path}),
			chromedp.Click(chromedp.CSS("#verify-upload")),
			chromedp.WaitVisible(chromedp.CSS("#verify-verdict")),
		); err != nil {
			t.Fatalf("verify %s: %v", path, err)
		}
		return text(t, ctx, chromedp.Text(chromedp.CSS("#verify-result")))
	}
	res := verify(upload)
	if !strings.Contains(res, "报告真实有效") || !strings.Contains(res, number) || !strings.Contains(res, "碑林区老王面馆") ||
		!strings.Contains(res, "均未变化") {
		t.Errorf("verification of the downloaded report: %q (number %s)", res, number)
	}
	changed := append([]byte(nil), pdf...)
	changed[len(changed)/3] ^= 0x20
	tampered := filepath.Join(dir, "改动.pdf")
	if err := os.WriteFile(tampered, changed, 0o600); err != nil {
		t.Fatal(err)
	}
	if res := verify(tampered); !strings.Contains(res, "未通过核验") {
		t.Errorf("a changed copy: %q", res)
	}
}
