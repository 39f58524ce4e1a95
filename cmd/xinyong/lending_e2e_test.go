package main

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// TestLendingEndToEnd runs 信易贷 through the real binary on each backend:
// the platform registers a bank as a lender (双授权, the platform's side);
// a firm's tax and utility data come in through intake; the bank's API key
// is refused (403) before the firm grants; with a grant of the tax group
// only it sees exactly that group (and the public file); after the firm
// revokes, 403 again; the firm sees every read in its grants and in its
// query history.
func TestLendingEndToEnd(t *testing.T) {
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
			if out := cmd("hiring", "erase", "--keep-days", "1"); !strings.Contains(out, "erased the personal data of 0 hiring check(s)") {
				t.Errorf("hiring erase: %s", out)
			}
			bank := created.FindStringSubmatch(cmd("org", "add", "--kind", "dept", "--name", "某商业银行西安分行", "--uscc", storetest.USCC("91", "610100", 501), "--region", "610100"))[1]
			if out := cmd("lender", "add", bank, "--kind", "银行"); !strings.Contains(out, "registered organisation "+bank) {
				t.Fatalf("lender add: %s", out)
			}
			if code, _, errs := runCmd(t, "", nil, append([]string{"lender", "add", bank, "--kind", "当铺"}, f...)...); code == 0 || !strings.Contains(errs, "金融机构类别") {
				t.Errorf("a lender of an unknown kind: %d %s", code, errs)
			}
			key := regexp.MustCompile(`key \(shown once\): (xyk_\S+)`).FindStringSubmatch(
				cmd("client", "add", "--org", bank, "--name", "信贷系统", "--scopes", "lenders:read"))[1]

			// The firm's tax and utility data, through intake.
			firm := storetest.USCC("91", "610113", 502)
			tax := storetest.USCC("11", "610100", 503)
			period := calendar.Today().AddDays(-calendar.Today().Day).String() // last day of last month
			write := func(kind string, rows ...map[string]string) string {
				k, _ := catalog.Default().Kind(kind)
				path := filepath.Join(t.TempDir(), kind+".csv")
				fh, _ := os.Create(path)
				w := csv.NewWriter(fh)
				var header []string
				for _, fl := range k.Fields {
					header = append(header, fl.Name)
				}
				w.Write(header)
				for _, m := range rows {
					m["subject_name"], m["subject_class"], m["subject_uscc"], m["period_end"] = "西安信易贷测试有限公司", "法人及非法人组织", firm, period
					m["source_dept"], m["source_dept_uscc"] = "西安市税务局", tax
					var row []string
					for _, fl := range k.Fields {
						row = append(row, m[fl.Key])
					}
					w.Write(row)
				}
				w.Flush()
				fh.Close()
				return path
			}
			cmd("import", "--kind", "ns", "--file", write("ns", map[string]string{"tax_paid": "12.5", "tax_grade": "A"}))
			cmd("import", "--kind", "sd", "--file", write("sd", map[string]string{"utility": "电", "amount_due": "3", "amount_paid": "3"}))
			firmPw := passwordRe.FindStringSubmatch(cmd("user", "add", "--login", "firm", "--name", "财务", "--role", "subject", "--subject", firm))[1]
			base, _, _ := startServe(t, f...)

			read := func() (int, map[string]any) {
				t.Helper()
				req, _ := http.NewRequest("GET", base+"/api/v1/lending/firms/"+firm, nil)
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				var m map[string]any
				json.Unmarshal(b, &m)
				return resp.StatusCode, m
			}
			if code, m := read(); code != http.StatusForbidden {
				t.Fatalf("read without a grant: %d %v", code, m)
			}
			s := signIn(t, base, "firm", firmPw)
			api := func(method, path, body string) (int, map[string]any) {
				t.Helper()
				req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				code, out, _ := s.do(req)
				var m map[string]any
				json.Unmarshal([]byte(out), &m)
				return code, m
			}
			to := calendar.Today().AddMonths(3).String()
			if code, m := api("POST", "/api/v1/grants", `{"lender":`+bank+`,"groups":["tax"],"purpose":"流动资金贷款申请","valid_to":"`+calendar.Today().AddMonths(13).String()+`"}`); code != http.StatusUnprocessableEntity {
				t.Errorf("a grant of 13 months: %d %v", code, m)
			}
			code, g := api("POST", "/api/v1/grants", `{"lender":`+bank+`,"groups":["tax"],"purpose":"流动资金贷款申请","valid_to":"`+to+`"}`)
			if code != http.StatusCreated || g["live"] != true {
				t.Fatalf("grant: %d %v", code, g)
			}
			code, v := read()
			if code != http.StatusOK {
				t.Fatalf("read with a grant: %d %v", code, v)
			}
			groups := v["groups"].([]any)
			if len(groups) != 1 || groups[0].(map[string]any)["code"] != "tax" {
				t.Errorf("groups read: %v", groups)
			}
			body, _ := json.Marshal(v)
			if !strings.Contains(string(body), `"value":"A"`) || !strings.Contains(string(body), "12.5") || strings.Contains(string(body), "水电气") ||
				strings.Contains(string(body), `"电"`) || v["public"] == nil {
				t.Errorf("the view holds other than the tax group and the public file: %s", body)
			}
			// The firm sees the read.
			code, list := api("GET", "/api/v1/grants", "")
			reads, _ := list["reads"].([]any)
			if code != 200 || len(reads) != 1 || reads[0].(map[string]any)["lender"] != "某商业银行西安分行" {
				t.Errorf("the firm's reads: %d %v", code, list)
			}
			if _, my := s.get("/my"); !strings.Contains(my, "金融机构授权查询（信易贷）") {
				t.Error("the read is not in the firm's query history")
			}
			// Revoked: 403 again.
			id := itoa(int(g["id"].(float64)))
			if code, m := api("POST", "/api/v1/grants/"+id+"/revoke", ""); code != 200 || m["live"] != false {
				t.Fatalf("revoke: %d %v", code, m)
			}
			if code, m := read(); code != http.StatusForbidden {
				t.Errorf("read after revocation: %d %v", code, m)
			}
			if _, list = api("GET", "/api/v1/grants", ""); len(list["reads"].([]any)) != 1 {
				t.Errorf("reads after the refused read: %v", list["reads"])
			}
		})
	}
}
