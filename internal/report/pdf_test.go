package report

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
)

// tool returns the path of a command the test needs (poppler-utils,
// qpdf): missing, the test skips, but not under CI=true.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed (Debian packages poppler-utils and qpdf)", name)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// sampleReport is a report with every kind of content, long values and
// enough entries for several pages.
func sampleReport() Report {
	r := Report{Number: "XY20261205ABCD2345", Kind: store.ReportOrg, Title: TitleOrg, Site: "陕西省公共信用信息平台",
		Subject: credit.Subject{Name: "西安华信电子科技有限公司", USCC: "91610113MA6U12345X", Class: credit.ClassOrg},
		AsOf:    calendar.MustParseDate("2026-12-05"), Issued: time.Date(2026, 12, 5, 2, 3, 4, 0, time.UTC),
		VerifyURL: "https://credit.example.gov.cn/verify?number=XY20261205ABCD2345"}
	r.Header = []Field{{"报告编号", r.Number}, {"主体名称", r.Subject.Name}, {"统一社会信用代码", r.Subject.USCC},
		{"报告时间", BeijingTime(r.Issued)}, {"信息截止日期", "2026-12-05"}, {"出具机构", r.Site}}
	var penalties []Item
	for i := range 14 {
		penalties = append(penalties, Item{Title: "行政处罚　西市监罚〔2026〕" + string(rune('0'+i%10)) + "号", Fields: []Field{
			{"行政处罚决定书文号", "西市监罚〔2026〕12号"}, {"违法行为类型", "违反《中华人民共和国食品安全法》第三十四条"},
			{"违法事实", strings.Repeat("当事人经营超过保质期的食品，货值金额1,234.56元，违法所得0元。", 4)},
			{"处罚内容", "罚款 5,000 元"}, {"公示状态", "公示中（公示期至2027-06-01）"}, {"数据来源", "西安市市场监督管理局"}}})
	}
	r.Sections = []Section{
		{No: "一", ID: "basic", Title: "登记注册基础信息", Items: []Item{{Fields: []Field{{"主体类别", "法人及非法人组织"}, {"所在地区", "陕西省西安市雁塔区"}}}}},
		{No: "二", ID: "admin", Title: "行政管理信息", Items: penalties, Counted: true},
		{No: "三", ID: "honours", Title: "诚实守信相关荣誉信息", Counted: true},
		{No: "七", ID: "evaluation", Title: "信用评价信息", Note: "本平台的公共信用综合评价尚未开通，本报告暂不提供信用评价结果。"},
	}
	r.Summary = []SummaryRow{{"二、行政管理信息", 14}, {"三、诚实守信相关荣誉信息", 0}}
	r.Notes = []string{"本报告由陕西省公共信用信息平台出具。", "对报告文件的任何改动都会使核验失败。"}
	return r
}

// TestRenderPDF: an A4 PDF that qpdf finds sound, whose text pdftotext
// gives back in Chinese (fonts embedded with their Unicode maps), with the
// page numbers, the watermark and the number on every page.
func TestRenderPDF(t *testing.T) {
	t.Parallel()
	pdf, err := RenderPDF(sampleReport())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool(t, "qpdf"), "--check", file).CombinedOutput(); err != nil || !bytes.Contains(out, []byte("No syntax or stream encoding errors")) {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	info, err := exec.Command(tool(t, "pdfinfo"), file).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, info)
	}
	for _, want := range []string{"pts (A4)", "Title:           法人和非法人组织公共信用信息报告 XY20261205ABCD2345"} {
		if !bytes.Contains(info, []byte(want)) {
			t.Errorf("pdfinfo lacks %q:\n%s", want, info)
		}
	}
	// Both fonts embedded (emb), TrueType, with Unicode maps (uni).
	fonts, _ := exec.Command(tool(t, "pdffonts"), file).CombinedOutput()
	embedded := 0
	for _, l := range strings.Split(string(fonts), "\n") {
		if f := strings.Fields(l); len(f) >= 7 && f[1] == "CID" && f[2] == "TrueType" && f[4] == "yes" && f[6] == "yes" {
			embedded++
		}
	}
	if embedded != 2 {
		t.Errorf("fonts not embedded TrueType with Unicode maps:\n%s", fonts)
	}
	// -raw: in the order written (the watermark first on each page).
	text, err := exec.Command(tool(t, "pdftotext"), "-raw", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	pages := bytes.Count(text, []byte("\f"))
	if pages < 2 {
		t.Fatalf("%d pages: the sample should need several", pages)
	}
	// Spacing between runs of the two fonts is the extractor's guess.
	got := strings.Join(strings.Fields(string(text)), "")
	for _, want := range []string{"法人和非法人组织公共信用信息报告", "西安华信电子科技有限公司", "91610113MA6U12345X", "信用信息概要",
		"二、行政管理信息", "西市监罚〔2026〕12号", "罚款5,000元", "七、信用评价信息", "尚未开通", "报告说明",
		"2026年12月05日10:03:04（北京时间）", "第1页共" + strconv.Itoa(pages) + "页", "第" + strconv.Itoa(pages) + "页共" + strconv.Itoa(pages) + "页"} {
		if !strings.Contains(got, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if n := strings.Count(got, "报告编号：XY20261205ABCD2345"); n < pages {
		t.Errorf("number in %d footers of %d pages", n, pages)
	}
	if n := strings.Count(got, "XY20261205ABCD2345"); n < pages*8 {
		t.Errorf("the number appears %d times on %d pages: watermark missing", n, pages)
	}
}
