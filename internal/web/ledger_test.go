package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/ledger"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// ledgerEnv is accessEnv with the returns and the reporting ledger, a
// credit office member of 西安市 (office.xian) and a test clock: the
// ledger's now is the real time plus skip.
type ledgerEnv struct {
	accessEnv
	base string
	skip *atomic.Int64 // nanoseconds added to the clock
}

func newLedgerEnv(t *testing.T) ledgerEnv {
	t.Helper()
	env := ledgerEnv{accessEnv: newAccessEnv(t), skip: new(atomic.Int64)}
	u := auth.User{Login: "office.xian", Name: "西安市信用办", OrgID: env.xian.ID, Roles: []string{"office"}, PasswordHash: testPasswordHash()}
	if _, err := env.s.CreateUser(context.Background(), u, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
		t.Fatal(err)
	}
	skip := env.skip
	env.opts.Ledger = &ledger.Service{Store: env.s, Catalog: catalog.Default(), Calendar: calendar.Default(), Clock: deadline.Clock{},
		Now: func() time.Time { return time.Now().Add(time.Duration(skip.Load())) }}
	h, err := New(env.opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httpServer(t, h)
	env.base = srv
	return env
}

// httpServer serves h for the test.
func httpServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func (env ledgerEnv) as(t *testing.T, login string) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: env.base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if login != "" {
		b.signIn(login)
	}
	return b
}

// clerkPenalties are 5 penalties of 西安市市场监管局 (penaltyDept) decided
// three days ago; rows 2, 3 and 5 are bad: a date that does not exist, a
// fine in words and a subject code with a wrong check digit.
func clerkPenalties() (header []string, rows [][]string, fixes map[int][2]string) {
	k, _ := catalog.Default().Kind("cf")
	decided := calendar.Today().AddDays(-3).String()
	for _, f := range k.Fields {
		header = append(header, f.Name)
	}
	for n := 1; n <= 5; n++ {
		m := map[string]string{
			"subject_name": fmt.Sprintf("西安退回测试%d有限公司", n), "subject_class": "法人及非法人组织",
			"subject_uscc": storetest.USCC("91", "610100", 800+n), "legal_rep": "赵六",
			"decision_no": fmt.Sprintf("西市监罚〔2026〕退%d号", n), "violation_type": "违反广告管理", "violation_facts": "发布虚假广告",
			"legal_basis": "《中华人民共和国广告法》第五十五条", "penalty_category": "罚款", "decision_content": "罚款2000元", "fine_amount": "0.2",
			"decision_date": decided, "valid_to": decided, "authority": "西安市市场监督管理局", "authority_uscc": penaltyDept,
			"source_dept": "西安市市场监督管理局", "source_dept_uscc": penaltyDept,
		}
		switch n {
		case 2:
			m["decision_date"], m["valid_to"] = "2026-02-30", "2026-02-30"
		case 3:
			m["fine_amount"] = "两千元"
		case 5:
			m["subject_uscc"] = "91350100M000100Y4Z"
		}
		row := make([]string, len(k.Fields))
		for i, f := range k.Fields {
			row[i] = m[f.Key]
		}
		rows = append(rows, row)
	}
	return header, rows, map[int][2]string{2: {"处罚决定日期", decided}, 3: {"罚款金额（万元）", "0.2"}}
}

func gbkCSV(t *testing.T, header []string, rows [][]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(header)
	w.WriteAll(rows)
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// upload posts a file to /intake as the signed-in clerk and follows the
// redirects to the result; it returns the last page.
func (b *browser) upload(kind, name string, data []byte) (int, string, string) {
	b.t.Helper()
	token := b.csrf("/intake")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", token)
	mw.WriteField("kind", kind)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", b.base+"/intake", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	code, page, h := b.do(req)
	for i := 0; code == http.StatusSeeOther && i < 20; i++ {
		loc := h.Get("Location")
		req, _ := http.NewRequest("GET", b.base+loc, nil)
		code, page, h = b.do(req)
		if code == 200 && strings.Contains(loc, "/intake/jobs/") && strings.Contains(page, "正在导入") {
			time.Sleep(200 * time.Millisecond)
			code, h = http.StatusSeeOther, http.Header{"Location": {loc}}
		}
		if code != http.StatusSeeOther {
			return code, page, loc
		}
	}
	return code, page, ""
}

var batchRe = regexp.MustCompile(`/intake/batches/(\d+)`)

// TestIntakeReturnsAndQuality: a clerk uploads a GBK file with bad rows,
// reads them, downloads the errors file, fixes two rows and uploads again;
// two returns close, the third stays and is escalated after its deadline
// (test clock) to 西安市, whose credit office sees it; another city's
// clerk sees none of it; the API says the same.
func TestIntakeReturnsAndQuality(t *testing.T) {
	t.Parallel()
	env := newLedgerEnv(t)
	clerk := env.as(t, "clerk.xian")
	header, rows, fixes := clerkPenalties()
	code, page, loc := clerk.upload("cf", "处罚.csv", gbkCSV(t, header, rows))
	if code != 200 || !strings.Contains(page, `id="batch-rejected">3<`) || !strings.Contains(page, `id="batch-accepted">2<`) {
		t.Fatalf("upload %d %s:\n%s", code, loc, page)
	}
	for _, want := range []string{"处罚决定日期", "罚款金额（万元）", "行政相对人代码_1(统一社会信用代码)"} {
		if !strings.Contains(page, want) {
			t.Errorf("result page does not name %s", want)
		}
	}
	m := batchRe.FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("result at %s", loc)
	}
	batch := m[1]
	// The errors file: the rows as sent, with their reasons.
	code, errFile := clerk.get("/intake/batches/" + batch + "/errors.csv")
	if code != 200 || !strings.HasPrefix(errFile, "\ufeff") {
		t.Fatalf("errors file %d", code)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(errFile, "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 4 || recs[0][len(recs[0])-1] != "错误原因" || recs[1][0] != rows[1][0] {
		t.Fatalf("errors file %q %v", recs, err)
	}
	// Another city's clerk finds nothing of it.
	other := env.as(t, "clerk.baoji")
	if code, _ := other.get("/intake/batches/" + batch); code != http.StatusNotFound {
		t.Errorf("another department's batch: %d", code)
	}
	if code, _ := other.get("/intake/batches/" + batch + "/errors.csv"); code != http.StatusNotFound {
		t.Errorf("another department's errors file: %d", code)
	}
	// The clerk fixes rows 2 and 3 (5 stays wrong) and sends them again.
	col := func(name string) int { return slices.Index(recs[0], name) }
	fixed := [][]string{recs[1][:len(recs[1])-1], recs[2][:len(recs[2])-1]}
	fixed[0][col(fixes[2][0])], fixed[0][col("处罚有效期")] = fixes[2][1], fixes[2][1]
	fixed[1][col(fixes[3][0])] = fixes[3][1]
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(recs[0][:len(recs[0])-1])
	w.WriteAll(fixed)
	code, page, _ = clerk.upload("cf", "处罚-改正.csv", b.Bytes())
	if code != 200 || !strings.Contains(page, `id="batch-accepted">2<`) || !strings.Contains(page, `id="batch-rejected">0<`) {
		t.Fatalf("second upload %d:\n%s", code, page)
	}
	list, _ := env.s.ListReturns(context.Background(), store.ReturnFilter{})
	states := map[int]store.ReturnState{}
	for _, r := range list {
		states[r.Row] = r.State
	}
	if states[2] != store.ReturnFixed || states[3] != store.ReturnFixed || states[5] != store.ReturnOpen || len(list) != 3 {
		t.Fatalf("returns %v", states)
	}
	// Open: the queue lists the third, not yet due.
	_, page = clerk.get("/returns")
	if strings.Count(page, `class="return-row"`) != 1 || strings.Contains(page, "已督办") {
		t.Errorf("queue before the deadline:\n%s", page)
	}
	// One working day past the due day: overdue, escalated one level up,
	// to 西安市.
	now := time.Now()
	due := calendar.Default().AddWorkingDays(calendar.FromTime(now), 5)
	at := calendar.Default().AddWorkingDays(due, 1).Time().Add(12 * time.Hour)
	env.skip.Store(int64(at.Sub(now)))
	_, page = clerk.get("/returns")
	if !strings.Contains(page, "已督办至西安市") || !strings.Contains(page, `id="due-reminder"`) {
		t.Errorf("queue after the deadline:\n%s", page)
	}
	office := env.as(t, "office.xian")
	_, page = office.get("/returns")
	if !strings.Contains(page, "已督办至西安市") || !strings.Contains(page, "督办至上级") {
		t.Errorf("the office's queue:\n%s", page)
	}
	// The office reads the row masked, never the errors file.
	if code, _ := office.get("/intake/batches/" + batch + "/errors.csv"); code != http.StatusForbidden {
		t.Errorf("office downloads the errors file: %d", code)
	}
	// The API, with the clerk's session.
	code, body := clerk.get("/api/v1/returns?state=all")
	var out struct {
		Returns []ReturnItem `json:"returns"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &out) != nil || len(out.Returns) != 3 {
		t.Fatalf("API returns %d %s", code, body)
	}
	for _, r := range out.Returns {
		if r.Row == 5 && (r.State != "open" || r.Deadline != "overdue" || r.EscalatedTo != "西安市" || r.Matched) {
			t.Errorf("API open return %+v", r)
		}
		if r.Row == 2 && (r.State != "fixed" || r.FixedRecord == "") {
			t.Errorf("API fixed return %+v", r)
		}
	}
	if code, body := other.get("/api/v1/returns?state=all"); code != 200 || strings.Contains(body, `"row"`) {
		t.Errorf("another department's API view %d %s", code, body)
	}
	// Withdrawn with a reason, by the clerk.
	var open int64
	for _, r := range out.Returns {
		if r.State == "open" {
			open = r.ID
		}
	}
	path := fmt.Sprintf("/returns/%d", open)
	if code, body, _ := clerk.post(path+"/withdraw", url.Values{"csrf": {clerk.csrf(path)}, "reason": {""}}); code != 422 || !strings.Contains(body, "撤回原因") {
		t.Errorf("withdraw without a reason: %d", code)
	}
	if code, _, _ := office.post(path+"/withdraw", url.Values{"csrf": {office.csrf(path)}, "reason": {"重复"}}); code != http.StatusForbidden {
		t.Errorf("the office withdraws: %d", code)
	}
	if code, _, _ := clerk.post(path+"/withdraw", url.Values{"csrf": {clerk.csrf(path)}, "reason": {"该企业代码待核实后另行报送"}}); code != http.StatusSeeOther {
		t.Errorf("withdraw: %d", code)
	}
	if _, page := clerk.get(path); !strings.Contains(page, "已撤回") {
		t.Errorf("withdrawn return page")
	}
	// The quality page of the city: this month's table, the returns.
	code, page = office.get("/quality")
	if code != 200 || !strings.Contains(page, "<svg") || !strings.Contains(page, "西安市市场监督管理局") || !strings.Contains(page, `id="progress-table"`) {
		t.Fatalf("quality page %d:\n%s", code, page)
	}
	if code, _ := other.get("/quality?org=" + fmt.Sprint(env.xian.ID)); code != http.StatusForbidden {
		t.Errorf("宝鸡's clerk reads 西安市's quality: %d", code)
	}
}

var cellRe = regexp.MustCompile(`<td>(?:<a href="[^"]*">)?([^<]*)(?:</a>)?</td>`)

// TestQualityTableMatchesPage: on a ledger with a register, a 漏报 is
// found on the page and drilled down to, and the XLSX download reads back
// (excelize) with the cells of the page; the API's figures are the
// exact fractions.
func TestQualityTableMatchesPage(t *testing.T) {
	t.Parallel()
	env := newLedgerEnv(t)
	ctx := context.Background()
	clerk := env.as(t, "clerk.xian")
	month := calendar.Today().String()[:7]
	// The clerk keeps a register: decisions 1-5 of this month, and 9 of
	// the first day of last month, never reported: 漏报.
	first, _ := ledger.ParseMonth(month)
	old := first.AddMonths(-1)
	code, body, _ := clerk.post("/ledger/plan", url.Values{"csrf": {clerk.csrf("/ledger")}, "dept": {penaltyDept}, "kind": {"cf"},
		"mode": {"register"}, "from": {old.String()[:7]}, "source": {"业务系统"}})
	if code != 200 || !strings.Contains(body, "已保存") {
		t.Fatalf("plan %d:\n%s", code, body)
	}
	_, rows, _ := clerkPenalties()
	var reg bytes.Buffer
	reg.WriteString("决定文书号,决定日期\n")
	for i := range rows {
		fmt.Fprintf(&reg, "西市监罚〔2026〕退%d号,%s\n", i+1, calendar.Today().AddDays(-3))
	}
	fmt.Fprintf(&reg, "西市监罚〔2026〕退9号,%s\n", old)
	if code, body := clerk.postFile("/ledger/register", "/ledger", map[string]string{"dept": penaltyDept, "kind": "cf"}, "台账.csv", reg.Bytes()); code != 200 || !strings.Contains(body, "新增6条") {
		t.Fatalf("register %d:\n%s", code, body)
	}
	header, rows, _ := clerkPenalties()
	clerk.upload("cf", "处罚.csv", gbkCSV(t, header, rows))

	office := env.as(t, "office.xian")
	_, page := office.get("/quality?month=" + month)
	var cells []string
	if i := strings.Index(page, `id="progress-table"`); i >= 0 {
		for _, m := range cellRe.FindAllStringSubmatch(page[i:], -1) {
			cells = append(cells, html.UnescapeString(m[1]))
		}
	}
	code, x := office.get("/quality/table.xlsx?month=" + month)
	if code != 200 {
		t.Fatalf("table.xlsx %d", code)
	}
	f, err := excelize.OpenReader(strings.NewReader(x))
	if err != nil {
		t.Fatal(err)
	}
	sheet, _ := f.GetRows(ledger.SheetName)
	var xcells []string
	for _, row := range sheet[3:] {
		full := make([]string, len(ledger.TableHeader))
		copy(full, row)
		xcells = append(xcells, full...)
	}
	if len(cells) == 0 || !slices.Equal(cells, xcells) {
		t.Fatalf("page cells %q\nxlsx cells %q", cells, xcells)
	}
	rep, err := env.opts.Ledger.Month(ctx, env.xian, month)
	if err != nil {
		t.Fatal(err)
	}
	var row ledger.Row
	for _, r := range rep.Rows {
		if r.Dept == penaltyDept && r.Kind == "cf" {
			row = r
		}
	}
	// The month's register: 5 decisions, 2 reported; the accessEnv's
	// revoked penalty was first received this month too (3 received, 3
	// returned).
	if row.Expected != 5 || row.Reported != 2 || row.ReportRate() != (ledger.Rate{Num: 2, Den: 5}) || row.PassRate() != (ledger.Rate{Num: 3, Den: 6}) ||
		row.Missing != 0 || row.Pending != 3 {
		t.Errorf("row %+v", row)
	}
	last, err := env.opts.Ledger.Month(ctx, env.xian, old.String()[:7])
	if err != nil || len(last.Rows) != 1 || last.Rows[0].Missing != 1 || last.Rows[0].ReportRate() != (ledger.Rate{Num: 0, Den: 1}) {
		t.Fatalf("last month %+v %v", last.Rows, err)
	}
	q := url.Values{"month": {old.String()[:7]}, "dept": {penaltyDept}, "kind": {"cf"}, "what": {"missing"}, "org": {fmt.Sprint(env.xian.ID)}}
	if _, page := office.get("/quality/detail?" + q.Encode()); !strings.Contains(page, "西市监罚〔2026〕退9号") || !strings.Contains(page, "共1条") {
		t.Errorf("漏报 detail:\n%s", page)
	}
	if _, page := office.get("/quality?month=" + old.String()[:7]); !strings.Contains(page, "退9号") && !strings.Contains(page, "what=missing") {
		t.Errorf("the 漏报 does not drill down from last month's table")
	}
	code, body = office.get("/api/v1/stats/quality?month=" + month)
	var out struct {
		Months []QualityMonth `json:"months"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &out) != nil || len(out.Months) != 1 {
		t.Fatalf("API %d %s", code, body)
	}
	for _, r := range out.Months[0].Rows {
		if r.Dept == penaltyDept && r.Kind == "cf" && (r.ReportRate.Num != 2 || r.ReportRate.Den != 5 || r.PassRate.Den != 6 || r.Mode != "register") {
			t.Errorf("API row %+v", r)
		}
	}
}

// postFile posts a multipart form with one file named file, with the
// CSRF token of page.
func (b *browser) postFile(path, page string, fields map[string]string, name string, data []byte) (int, string) {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", b.csrf(page))
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", b.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	code, page2, _ := b.do(req)
	return code, page2
}

// TestIntakeFormAndCorrection: a record filled in a form is checked like a
// file row (the same message, nothing returned); a record of the
// department is corrected from its form, a new version with the reason,
// and revoked; another department cannot.
func TestIntakeFormAndCorrection(t *testing.T) {
	t.Parallel()
	env := newLedgerEnv(t)
	clerk := env.as(t, "clerk.xian")
	header, rows, _ := clerkPenalties()
	form := url.Values{"csrf": {clerk.csrf("/intake/form/cf")}}
	k, _ := catalog.Default().Kind("cf")
	for i, h := range header {
		form.Set(k.Fields[i].Key, rows[2][i]) // fine_amount 两千元
		_ = h
	}
	code, page, _ := clerk.post("/intake/form/cf", form)
	if code != 422 || !strings.Contains(page, `id="err-fine_amount"`) {
		t.Fatalf("bad form %d:\n%s", code, page)
	}
	if list, _ := env.s.ListReturns(context.Background(), store.ReturnFilter{}); len(list) != 0 {
		t.Fatalf("a form's mistake became a return: %+v", list)
	}
	form.Set("fine_amount", "0.2")
	code, page, _ = clerk.post("/intake/form/cf", form)
	m := regexp.MustCompile(`href="/records/([^"]+)">查看该条信息`).FindStringSubmatch(page)
	if code != 200 || m == nil {
		t.Fatalf("good form %d:\n%s", code, page)
	}
	ref := m[1]
	// The correction form keeps the identity and needs a reason.
	_, page = clerk.get("/records/" + ref + "/correct")
	if !strings.Contains(page, `id="f-decision_no" name="decision_no" value="西市监罚〔2026〕退3号" readonly`) {
		t.Fatalf("correction form:\n%s", page)
	}
	form.Set("csrf", clerk.csrf("/records/"+ref+"/correct"))
	form.Set("decision_content", "罚款2000元，没收违法广告物品")
	form.Set("decision_no", "西市监罚〔2026〕改") // ignored: the identity is the record's
	code, page, _ = clerk.post("/records/"+ref+"/correct", form)
	if code != 422 || !strings.Contains(page, "请填写更正原因") {
		t.Fatalf("correction without a reason %d", code)
	}
	form.Set("reason", "补录没收内容")
	code, _, h := clerk.post("/records/"+ref+"/correct", form)
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "/records/"+ref) {
		t.Fatalf("correction %d %v", code, h)
	}
	other := env.as(t, "clerk.baoji")
	if code, _ := other.get("/records/" + ref + "/correct"); code != http.StatusNotFound {
		t.Errorf("another department's clerk opens the correction form: %d", code)
	}
	code, _, _ = clerk.post("/records/"+ref+"/revoke", url.Values{"csrf": {clerk.csrf("/records/" + ref + "/correct")}, "reason": {"决定已被复议撤销"}})
	if code != http.StatusSeeOther {
		t.Fatalf("revoke %d", code)
	}
	id, _ := env.opts.Portal.RecordID(ref)
	vs, err := env.s.RecordVersions(context.Background(), id)
	if err != nil || len(vs) != 3 || vs[1].State != store.StateCorrected || vs[1].StateReason != "补录没收内容" || vs[2].State != store.StateRevoked ||
		vs[1].DecisionNo != "西市监罚〔2026〕退3号" {
		t.Fatalf("versions %+v %v", vs, err)
	}
	// Templates of every kind.
	for _, kind := range catalog.Default().Kinds() {
		code, body := clerk.get("/intake/templates/" + kind.Code + ".xlsx")
		f, err := excelize.OpenReader(strings.NewReader(body))
		if code != 200 || err != nil {
			t.Fatalf("%s template %d %v", kind.Code, code, err)
		}
		hdr, _ := f.GetRows("数据")
		if len(hdr) != 1 || len(hdr[0]) != len(kind.Fields) || hdr[0][0] != kind.Fields[0].Name {
			t.Errorf("%s template header %q", kind.Code, hdr)
		}
		code, body = clerk.get("/intake/templates/" + kind.Code + ".csv")
		if code != 200 || !strings.HasPrefix(body, "\ufeff"+kind.Fields[0].Name) {
			t.Errorf("%s CSV template %d", kind.Code, code)
		}
	}
	_ = io.Discard
}

// TestUploadShowsWarnings: the batch page of an upload lists the rows
// whose subject name disagrees with the registered holder of their code
// (what the importer's registry check said), then and later; another
// department does not see the batch.
func TestUploadShowsWarnings(t *testing.T) {
	t.Parallel()
	env := ledgerEnv{accessEnv: newAccessEnv(t), skip: new(atomic.Int64)}
	im := *env.opts.Importer
	im.NameCheck = func(ctx context.Context, rows []int, codes, names []string) ([]string, error) {
		return []string{fmt.Sprintf("第%d行：主体名称“%s”与统一社会信用代码 %s 的登记名称“西安登记名称有限公司”不一致", rows[0], names[0], codes[0])}, nil
	}
	env.opts.Importer = &im
	h, err := New(env.opts)
	if err != nil {
		t.Fatal(err)
	}
	env.base = httpServer(t, h)
	header, rows, _ := clerkPenalties()
	code, page, loc := env.as(t, "clerk.xian").upload("cf", "处罚.csv", gbkCSV(t, header, rows))
	if code != 200 || !strings.Contains(page, `id="name-warnings"`) || !strings.Contains(page, "西安登记名称有限公司") ||
		!strings.Contains(page, "第1行：主体名称“西安退回测试1有限公司”") {
		t.Fatalf("batch page after the upload %d %s:\n%s", code, loc, page)
	}
	// They are kept with the batch: a later visit shows them too.
	if code, page := env.as(t, "clerk.xian").get(loc); code != 200 || !strings.Contains(page, `id="name-warnings"`) {
		t.Errorf("a later visit to the batch page: %d", code)
	}
	// Another city's clerk opening the batch sees no page (nor warnings).
	if code, page := env.as(t, "clerk.baoji").get(loc); code == 200 || strings.Contains(page, `id="name-warnings"`) {
		t.Errorf("another department opens the batch: %d", code)
	}
}
