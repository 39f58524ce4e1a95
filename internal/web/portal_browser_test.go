package web

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
	"github.com/xinyong/xinyong/internal/web/browsertest"
)

// fileCF imports 行政处罚 rows (by field key) received on day recv.
func fileCF(t *testing.T, s store.Store, recv calendar.Date, rows ...map[string]string) {
	t.Helper()
	k, _ := catalog.Default().Kind("cf")
	var header []string
	for _, f := range k.Fields {
		header = append(header, f.Name)
	}
	var table [][]string
	for _, m := range rows {
		var r []string
		for _, f := range k.Fields {
			r = append(r, m[f.Key])
		}
		table = append(table, r)
	}
	im := &ingest.Importer{Store: s, Catalog: catalog.Default(), Calendar: calendar.Default(), Hash: storetest.Keys().Hash}
	res, err := im.Import(context.Background(), ingest.NewRowsTable(header, table),
		ingest.Options{Kind: "cf", Channel: "test", ReceivedAt: recv.Time().Add(10 * time.Hour)})
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("import: %v %+v", err, res.Rejected)
	}
}

func shopPenalty(no string, decided calendar.Date, rep string) map[string]string {
	dept := storetest.USCC("11", "610000", 4)
	return map[string]string{
		"subject_name": "碑林区老王面馆", "subject_class": "个体工商户", "subject_uscc": storetest.USCC("92", "610103", 6),
		"legal_rep": "王五", "legal_rep_id_type": "身份证", "legal_rep_id_number": rep,
		"decision_no": no, "violation_type": "销售过期食品", "violation_facts": "经营超过保质期的食品",
		"legal_basis": "《中华人民共和国食品安全法》第一百二十四条", "penalty_category": "罚款", "fine_amount": "2",
		"decision_content": "罚款2万元", "decision_date": decided.String(), "valid_to": decided.AddMonths(6).String(),
		"authority": "陕西省市场监督管理局", "authority_uscc": dept, "source_dept": "陕西省市场监督管理局", "source_dept_uscc": dept,
	}
}

// TestBrowserPortal walks the public window in headless Chromium: search a
// two-character fragment, open the subject, see a penalty and its class,
// open it and see the operator's ID number masked, then follow as_of to a
// day when a penalty that has since expired was still shown.
func TestBrowserPortal(t *testing.T) {
	t.Parallel()
	_, s := newTestServer(t)
	today := calendar.Today()
	old, recent := today.AddMonths(-18), today.AddMonths(-1)
	rep := storetest.RIC("610103", "19750505", 8)
	fileCF(t, s, old.AddDays(3), shopPenalty("碑市监罚〔旧〕7号", old, rep))
	fileCF(t, s, recent.AddDays(3), shopPenalty("碑市监罚〔新〕8号", recent, rep))
	// Searched as serve does by default: in the in-memory name index.
	x, err := store.NewIndexed(context.Background(), s, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Store: x, SiteName: "测试信用平台", Version: "test",
		Portal: &portal.Service{Store: x, Catalog: catalog.Default(), Keys: storetest.Keys()}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx := browsertest.New(t, 60*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.SendKeys(chromedp.CSS("#q"), "面馆"),
		chromedp.SendKeys(chromedp.CSS("#q"), "\r"),
		chromedp.WaitVisible(chromedp.CSS("#results-title")),
	); err != nil {
		t.Fatal(err)
	}
	if name := text(t, ctx, chromedp.Text(chromedp.CSS("li.result a.name"))); name != "碑林区老王面馆" {
		t.Fatalf("first result %q", name)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("li.result a.name")), chromedp.WaitVisible(chromedp.CSS("#cf-title"))); err != nil {
		t.Fatal(err)
	}
	if c := text(t, ctx, chromedp.Text(chromedp.CSS("#subject-class"))); c != credit.ClassSole.Label() {
		t.Errorf("class %q", c)
	}
	penalties := text(t, ctx, chromedp.Text(chromedp.CSS("#cf")))
	if !strings.Contains(penalties, "碑市监罚〔新〕8号") || !strings.Contains(penalties, "一般") || strings.Contains(penalties, "〔旧〕") {
		t.Errorf("penalties today: %q", penalties)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#cf tbody a")), chromedp.WaitVisible(chromedp.CSS("#severity"))); err != nil {
		t.Fatal(err)
	}
	if sev := text(t, ctx, chromedp.Text(chromedp.CSS("#severity"))); sev != "一般" {
		t.Errorf("severity %q", sev)
	}
	masked := text(t, ctx, chromedp.Text(chromedp.CSS(`tr[data-key="legal_rep_id_number"] td`)))
	if masked != credit.MaskID(rep) || !strings.Contains(masked, "**********") {
		t.Errorf("ID number shown as %q", masked)
	}
	if body := text(t, ctx, chromedp.Text(chromedp.CSS("body"))); strings.Contains(body, rep) {
		t.Error("the page shows the ID number in clear")
	}
	// Back to the file and look at it as of a day in the old penalty's window.
	day := old.AddMonths(6).String()
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`main p a[href^="/subjects/"]`)),
		chromedp.WaitVisible(chromedp.CSS("#as_of")),
		chromedp.SetValue(chromedp.CSS("#as_of"), day),
		chromedp.Submit(chromedp.CSS("#as_of")),
		chromedp.WaitVisible(chromedp.CSS(".asof")),
	); err != nil {
		t.Fatal(err)
	}
	if loc := text(t, ctx, chromedp.Location()); !strings.Contains(loc, "as_of="+day) {
		t.Errorf("location %q", loc)
	}
	then := text(t, ctx, chromedp.Text(chromedp.CSS("#cf")))
	if !strings.Contains(then, "碑市监罚〔旧〕7号") || strings.Contains(then, "〔新〕") {
		t.Errorf("penalties as of %s: %q", day, then)
	}
	if dir := os.Getenv("XINYONG_SCREENSHOTS"); dir != "" {
		shot := text(t, ctx, chromedp.FullScreenshot(100))
		os.WriteFile(filepath.Join(dir, "subject-as-of.png"), shot, 0o644)
	}
	// The 双公示 column from the navigation, filtered by region: the current
	// penalty is listed, the expired one is not; another region lists none.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`nav a[href="/sgs?kind=cf"]`)),
		chromedp.WaitVisible(chromedp.CSS("#region")),
		chromedp.SendKeys(chromedp.CSS("#region"), "6101"),
		chromedp.Submit(chromedp.CSS("#region")),
	); err != nil {
		t.Fatal(err)
	}
	waitLocation(t, ctx, "region=6101")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("table.records"))); err != nil {
		t.Fatal(err)
	}
	col := text(t, ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(col, "碑市监罚〔新〕8号") || strings.Contains(col, "〔旧〕") || !strings.Contains(col, "一般") {
		t.Errorf("column filtered by 6101: %q", col)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#region"), "6102"),
		chromedp.Submit(chromedp.CSS("#region")),
		chromedp.WaitVisible(chromedp.CSS("p.empty")),
	); err != nil {
		t.Fatal(err)
	}
}
