package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/ledger"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// session is a signed-in browser of the real server: its cookie, sent by
// hand (the cookie is Secure, the test server plain HTTP).
type session struct {
	t      *testing.T
	base   string
	cookie string
	c      *http.Client
}

func signIn(t *testing.T, base, login, password string) *session {
	t.Helper()
	s := &session{t: t, base: base, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp, err := s.c.PostForm(base+"/login", url.Values{"login": {login}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", login, resp.StatusCode)
	}
	s.cookie = strings.Split(resp.Header.Get("Set-Cookie"), ";")[0]
	return s
}

func (s *session) do(req *http.Request) (int, string, http.Header) {
	s.t.Helper()
	req.Header.Set("Cookie", s.cookie)
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (s *session) get(path string) (int, string) {
	req, _ := http.NewRequest("GET", s.base+path, nil)
	code, body, _ := s.do(req)
	return code, body
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (s *session) csrf(page string) string {
	s.t.Helper()
	_, body := s.get(page)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		s.t.Fatalf("no CSRF token on %s", page)
	}
	return m[1]
}

func (s *session) post(path, page string, form url.Values) (int, string) {
	form.Set("csrf", s.csrf(page))
	req, _ := http.NewRequest("POST", s.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	code, body, _ := s.do(req)
	return code, body
}

// postFile posts a multipart form with a file and follows the redirects.
func (s *session) postFile(path, page string, fields map[string]string, name string, data []byte) (int, string, string) {
	s.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("csrf", s.csrf(page))
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", s.base+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	code, body, h := s.do(req)
	loc := ""
	for i := 0; code == http.StatusSeeOther && i < 50; i++ {
		loc = h.Get("Location")
		req, _ := http.NewRequest("GET", s.base+loc, nil)
		code, body, h = s.do(req)
		if code == 200 && strings.Contains(body, "正在导入") {
			code, h = http.StatusSeeOther, http.Header{"Location": {loc}}
		}
	}
	return code, body, loc
}

func apiGet(t *testing.T, base, key, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(b, out) != nil {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
}

var tableCell = regexp.MustCompile(`<td>(?:<a href="[^"]*">)?([^<]*)(?:</a>)?</td>`)

// TestLedgerEndToEnd runs the department's side of intake through the
// real binary on each backend: the organisation and accounts made with the
// commands; a clerk uploads a GBK file with bad rows, downloads the errors
// file and sends two rows fixed; the returns API shows two fixed and one
// open; the clerk keeps a register; the quality API's rates are exact and
// the monthly table's XLSX has the cells of the page.
func TestLedgerEndToEnd(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := flags(t)
			cmd := func(args ...string) string {
				t.Helper()
				code, out, errs := runCmd(t, "", nil, append(args, f...)...)
				if code != 0 {
					t.Fatalf("%v: exit %d\n%s%s", args, code, out, errs)
				}
				return out
			}
			created := regexp.MustCompile(`created organisation (\d+)`)
			passwordRe := regexp.MustCompile(`password \(shown once\): (\S+)`)
			cmd("migrate")
			prov := created.FindStringSubmatch(cmd("org", "add", "--kind", "region", "--name", "陕西省", "--region", "610000"))[1]
			xian := created.FindStringSubmatch(cmd("org", "add", "--parent", prov, "--kind", "region", "--name", "西安市", "--region", "610100"))[1]
			dept := storetest.USCC("11", "610100", 77)
			deptID := created.FindStringSubmatch(cmd("org", "add", "--parent", xian, "--kind", "dept", "--name", "西安市市场监督管理局", "--uscc", dept))[1]
			clerkPw := passwordRe.FindStringSubmatch(cmd("user", "add", "--login", "clerk", "--name", "报送员", "--role", "clerk", "--org", deptID))[1]
			officePw := passwordRe.FindStringSubmatch(cmd("user", "add", "--login", "office", "--name", "信用办", "--role", "office", "--org", xian))[1]
			key := regexp.MustCompile(`key \(shown once\): (xyk_\S+)`).FindStringSubmatch(
				cmd("client", "add", "--org", deptID, "--name", "处罚系统", "--scopes", "returns:manage,quality:read"))[1]
			base, _, _ := startServe(t, f...)

			// Five penalties decided three days ago; 2, 3 and 5 bad.
			k, _ := catalog.Default().Kind("cf")
			decided := calendar.Today().AddDays(-3).String()
			var header []string
			for _, fl := range k.Fields {
				header = append(header, fl.Name)
			}
			var rows [][]string
			for n := 1; n <= 5; n++ {
				m := map[string]string{"subject_name": fmt.Sprintf("西安端到端%d有限公司", n), "subject_class": "法人及非法人组织",
					"subject_uscc": storetest.USCC("91", "610100", 900+n), "legal_rep": "赵六", "decision_no": fmt.Sprintf("西市监罚〔2026〕端%d号", n),
					"violation_type": "违反广告管理", "violation_facts": "发布虚假广告", "legal_basis": "《中华人民共和国广告法》第五十五条",
					"penalty_category": "罚款", "decision_content": "罚款2000元", "fine_amount": "0.2", "decision_date": decided, "valid_to": decided,
					"authority": "西安市市场监督管理局", "authority_uscc": dept, "source_dept": "西安市市场监督管理局", "source_dept_uscc": dept}
				switch n {
				case 2:
					m["decision_date"], m["valid_to"] = "2026-02-30", "2026-02-30"
				case 3:
					m["fine_amount"] = "两千元"
				case 5:
					m["subject_uscc"] = "91350100M000100Y4Z"
				}
				row := make([]string, len(k.Fields))
				for i, fl := range k.Fields {
					row[i] = m[fl.Key]
				}
				rows = append(rows, row)
			}
			var b bytes.Buffer
			w := csv.NewWriter(&b)
			w.Write(header)
			w.WriteAll(rows)
			gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes(b.Bytes())

			clerk := signIn(t, base, "clerk", clerkPw)
			code, page, loc := clerk.postFile("/intake", "/intake", map[string]string{"kind": "cf"}, "处罚.csv", gbk)
			if code != 200 || !strings.Contains(page, `id="batch-rejected">3<`) || !strings.Contains(page, `id="batch-accepted">2<`) {
				t.Fatalf("upload %d %s:\n%s", code, loc, page)
			}
			code, errFile := clerk.get(loc + "/errors.csv")
			recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(errFile, "\ufeff"))).ReadAll()
			if code != 200 || err != nil || len(recs) != 4 {
				t.Fatalf("errors file %d %q %v", code, recs, err)
			}
			col := func(name string) int { return slices.Index(recs[0], name) }
			recs[1][col("处罚决定日期")], recs[1][col("处罚有效期")] = decided, decided
			recs[2][col("罚款金额（万元）")] = "0.2"
			b.Reset()
			w = csv.NewWriter(&b)
			w.WriteAll(recs[:3])
			if code, page, _ := clerk.postFile("/intake", "/intake", map[string]string{"kind": "cf"}, "改正.csv", b.Bytes()); code != 200 ||
				!strings.Contains(page, `id="batch-accepted">2<`) {
				t.Fatalf("second upload %d:\n%s", code, page)
			}
			var returns struct {
				Returns []struct {
					Row   int    `json:"row"`
					State string `json:"state"`
				} `json:"returns"`
			}
			apiGet(t, base, key, "/api/v1/returns?state=all", &returns)
			states := map[int]string{}
			for _, r := range returns.Returns {
				states[r.Row] = r.State
			}
			if len(returns.Returns) != 3 || states[2] != "fixed" || states[3] != "fixed" || states[5] != "open" {
				t.Fatalf("returns %+v", returns)
			}

			// The register: the five decisions and one more, unreported.
			month := calendar.Today().String()[:7]
			if code, page := clerk.post("/ledger/plan", "/ledger", url.Values{"dept": {dept}, "kind": {"cf"}, "mode": {"register"}, "from": {month}}); code != 200 ||
				!strings.Contains(page, "已保存") {
				t.Fatalf("plan %d", code)
			}
			var reg bytes.Buffer
			reg.WriteString("决定文书号,决定日期\n")
			for n := 1; n <= 6; n++ {
				fmt.Fprintf(&reg, "西市监罚〔2026〕端%d号,%s\n", n, decided)
			}
			if code, page, _ := clerk.postFile("/ledger/register", "/ledger", map[string]string{"dept": dept, "kind": "cf"}, "台账.csv", reg.Bytes()); code != 200 ||
				!strings.Contains(page, "新增6条") {
				t.Fatalf("register %d:\n%s", code, page)
			}
			var q struct {
				Months []struct {
					Rows []struct {
						Dept       string                 `json:"dept"`
						Kind       string                 `json:"kind"`
						Expected   int                    `json:"expected"`
						Reported   int                    `json:"reported"`
						ReportRate struct{ Num, Den int } `json:"report_rate"`
						PassRate   struct{ Num, Den int } `json:"pass_rate"`
						TimelyRate struct{ Num, Den int } `json:"timely_rate"`
					} `json:"rows"`
				} `json:"months"`
			}
			apiGet(t, base, key, "/api/v1/stats/quality?month="+month, &q)
			if len(q.Months) != 1 || len(q.Months[0].Rows) != 1 {
				t.Fatalf("quality %+v", q)
			}
			r := q.Months[0].Rows[0]
			// 4 of 6 reported, all on time; 4 filed of 7 rows received.
			if r.Dept != dept || r.ReportRate.Num != 4 || r.ReportRate.Den != 6 || r.TimelyRate.Num != 4 || r.TimelyRate.Den != 4 ||
				r.PassRate.Num != 4 || r.PassRate.Den != 7 {
				t.Errorf("quality row %+v", r)
			}

			// The office's monthly table: the XLSX has the page's cells.
			office := signIn(t, base, "office", officePw)
			_, page = office.get("/quality?month=" + month)
			i := strings.Index(page, `id="progress-table"`)
			if i < 0 {
				t.Fatalf("quality page:\n%s", page)
			}
			var cells []string
			for _, m := range tableCell.FindAllStringSubmatch(page[i:], -1) {
				cells = append(cells, html.UnescapeString(m[1]))
			}
			code, x := office.get("/quality/table.xlsx?month=" + month)
			xf, err := excelize.OpenReader(strings.NewReader(x))
			if code != 200 || err != nil {
				t.Fatalf("table.xlsx %d %v", code, err)
			}
			sheet, _ := xf.GetRows(ledger.SheetName)
			var xcells []string
			for _, row := range sheet[3:] {
				full := make([]string, len(ledger.TableHeader))
				copy(full, row)
				xcells = append(xcells, full...)
			}
			if !slices.Equal(cells, xcells) || !slices.Contains(cells, "66.7%") {
				t.Errorf("page %q\nxlsx %q", cells, xcells)
			}
		})
	}
}
