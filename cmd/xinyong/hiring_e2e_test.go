package main

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// TestHiringEndToEnd runs a hiring check (789号) through the real binary
// on each backend: a 失信被执行人 entry comes in through intake; the
// requesting unit's account files a request for two candidates; the
// province's credit office checks it, a second officer confirms the hit
// (复审、复核、复查) and sends the reply, which names the list and only
// that (API and PDF); the personal data of a request just closed is kept,
// and no ID number is in the audit trail.
func TestHiringEndToEnd(t *testing.T) {
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
			unit := created.FindStringSubmatch(cmd("org", "add", "--parent", xian, "--kind", "dept", "--name", "中共西安市委组织部",
				"--uscc", storetest.USCC("11", "610100", 731)))[1]
			hirerPw := passwordRe.FindStringSubmatch(cmd("user", "add", "--login", "hirer", "--name", "组织部干部", "--role", "hirer", "--org", unit))[1]
			off1Pw := passwordRe.FindStringSubmatch(cmd("user", "add", "--login", "office1", "--name", "省信用办专员甲", "--role", "hiringoffice", "--org", prov))[1]
			off2Pw := passwordRe.FindStringSubmatch(cmd("user", "add", "--login", "office2", "--name", "省信用办专员乙", "--role", "hiringoffice", "--org", prov))[1]

			// The 失信被执行人 entry, through intake.
			debtor, plain := storetest.RIC("610113", "19900101", 751), storetest.RIC("610103", "19920202", 752)
			court := storetest.USCC("11", "610113", 781)
			k, _ := catalog.Default().Kind("sx")
			m := map[string]string{"list_type": "失信被执行人", "subject_name": "张失信", "subject_class": "自然人", "subject_id_type": "身份证",
				"subject_id_number": debtor, "decision_no": "（2026）陕0113执7777号", "facts": "拒不履行生效判决确定的给付义务五十万元",
				"legal_basis": "法释〔2017〕7号第一条", "decision_date": calendar.Today().AddDays(-30).String(),
				"valid_to": calendar.Today().AddMonths(24).String(), "authority": "西安市雁塔区人民法院", "authority_uscc": court,
				"source_dept": "西安市雁塔区人民法院", "source_dept_uscc": court}
			path := filepath.Join(t.TempDir(), "sx.csv")
			fh, _ := os.Create(path)
			w := csv.NewWriter(fh)
			var header, row []string
			for _, fl := range k.Fields {
				header, row = append(header, fl.Name), append(row, m[fl.Key])
			}
			w.Write(header)
			w.Write(row)
			w.Flush()
			fh.Close()
			if out := cmd("import", "--kind", "sx", "--file", path); !strings.Contains(out, "1") {
				t.Fatalf("import: %s", out)
			}
			base, _, _ := startServe(t, f...)
			api := func(s *session, path, body string) (int, map[string]any) {
				t.Helper()
				req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				code, out, _ := s.do(req)
				var m map[string]any
				json.Unmarshal([]byte(out), &m)
				return code, m
			}
			hirer, off1, off2 := signIn(t, base, "hirer", hirerPw), signIn(t, base, "office1", off1Pw), signIn(t, base, "office2", off2Pw)
			code, req := api(hirer, "/api/v1/hiring-checks", `{"kind":"公务员录用","doc_no":"西组函〔2026〕8号","title":"关于商请查询的函",`+
				`"matter":"2026年度公务员录用","contact":"王","phone":"029","candidates":[`+
				`{"name":"张失信","id_number":"`+debtor+`","post":"综合管理岗"},{"name":"李清白","id_number":"`+plain+`","post":"科员"}]}`)
			if code != http.StatusCreated || req["responder"] != "陕西省" {
				t.Fatalf("submit: %d %v", code, req)
			}
			id := strconv.FormatInt(int64(req["id"].(float64)), 10)
			acts := "/api/v1/hiring-checks/" + id + "/actions"
			for _, a := range []struct {
				s     *session
				body  string
				state string
			}{
				{off1, `{"action":"check","rev":1}`, "review"},
				{off2, `{"action":"review","rev":2,"items":["复审","复核","复查"]}`, "ready"},
				{off2, `{"action":"send","rev":3}`, "replied"},
			} {
				code, m := api(a.s, acts, a.body)
				if code != http.StatusOK || m["state"] != a.state {
					t.Fatalf("%s: %d %v", a.body, code, m)
				}
				req = m
			}
			reply, _ := json.Marshal(req["reply"])
			if !strings.Contains(string(reply), `"lists":["失信被执行人"]`) || !strings.Contains(string(reply), `"lists":[]`) ||
				strings.Contains(string(reply), "执7777号") || strings.Contains(string(reply), "五十万元") {
				t.Errorf("reply: %s", reply)
			}
			code, pdf := hirer.get("/hiring-checks/" + id + "/reply.pdf")
			if code != http.StatusOK || !strings.HasPrefix(pdf, "%PDF-") {
				t.Fatalf("reply PDF: %d %.40q", code, pdf)
			}
			pdftotext, err := exec.LookPath("pdftotext")
			if err != nil {
				if os.Getenv("CI") == "true" {
					t.Fatal("pdftotext not installed")
				}
				t.Skip("pdftotext not installed")
			}
			file := filepath.Join(t.TempDir(), "reply.pdf")
			os.WriteFile(file, []byte(pdf), 0o600)
			out, err := exec.Command(pdftotext, "-raw", file, "-").Output()
			text := strings.Join(strings.Fields(string(out)), "")
			if err != nil || !strings.Contains(text, "信用查复〔"+strconv.Itoa(calendar.Today().Year)+"〕1号") || !strings.Contains(text, "失信被执行人") ||
				!strings.Contains(text, "李清白") || strings.Contains(text, "执7777号") {
				t.Errorf("reply PDF text (%v):\n%s", err, out)
			}
			// Just closed: nothing to erase yet; no ID number in the trail.
			if out := cmd("hiring", "erase", "--keep-days", "1"); !strings.Contains(out, "erased the personal data of 0 hiring check(s)") {
				t.Errorf("hiring erase: %s", out)
			}
			if trail := cmd("audit", "list", "--limit", "1000"); strings.Contains(trail, debtor) || strings.Contains(trail, plain) {
				t.Errorf("an ID number in the audit trail:\n%s", trail)
			}
		})
	}
}
