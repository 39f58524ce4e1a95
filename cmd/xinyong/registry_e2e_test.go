package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/registry"
)

// TestRegistryEndToEnd runs the real binary on each database: an
// authority's registration file through import (the registry follows at
// its end), registry scan --json finding each problem once, a 注销 that
// breaks the 回传 rule rejected with the rule named, the corrections
// closing the cases, a department's record under a registered code with
// another name warned about, and the 督促通报 and 回传 file.
func TestRegistryEndToEnd(t *testing.T) {
	for name, db := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base := db(t)
			dir := t.TempDir()
			xianSAMR := registry.MakeCode("11610100MB000011")
			xianMZ := registry.MakeCode("11610100MB000031")
			gansu := registry.MakeCode("11620100MB000061")
			bad := registry.MakeCode("91610100MA6T0011")
			multi := registry.MakeCode("91610100MA6T0012")
			dupA, dupB := registry.MakeCode("51610100MJ000012"), registry.MakeCode("51610100MJ000013")
			names := map[string]string{xianSAMR: "西安市市场监督管理局", xianMZ: "西安市民政局", gansu: "兰州市市场监督管理局"}
			header := []string{"统一社会信用代码", "机构名称", "法定代表人", "成立日期", "住所", "登记机关", "登记管理部门代码",
				"登记审批机关", "登记状态", "登记业务类型", "核准日期", "数据来源单位", "数据来源单位统一社会信用代码"}
			write := func(file string, rows ...[]string) string {
				p := filepath.Join(dir, file)
				f, err := os.Create(p)
				if err != nil {
					t.Fatal(err)
				}
				w := csv.NewWriter(f)
				w.Write(header)
				for _, r := range rows {
					w.Write(append(r, names[r[6]], r[6]))
				}
				w.Flush()
				f.Close()
				return p
			}
			row := func(code, name, rep, auth, business string) []string {
				status := "存续"
				if business == "注销" || business == "-1" {
					status = "注销"
				}
				return []string{code, name, rep, "2020-01-02", "西安市某路1号", names[auth], auth, names[auth], status, business, "2020-01-02"}
			}
			bin := func(args ...string) (string, string) {
				t.Helper()
				cmd := exec.Command(binary, append(args, base...)...)
				var out, errb strings.Builder
				cmd.Stdout, cmd.Stderr = &out, &errb
				if err := cmd.Run(); err != nil {
					t.Fatalf("%v: %v\n%s%s", args, err, out.String(), errb.String())
				}
				return out.String(), errb.String()
			}
			bin("migrate")
			bin("import", "--kind", "dj", "--file", write("a.csv",
				row(bad, "西安市某某商贸有限公司", "赵一", xianMZ, "设立"),
				row(multi, "西安甲科技有限公司", "孙三", xianSAMR, "设立"),
				row(multi, "兰州乙机械有限公司", "李四", gansu, "设立"),
				row(dupA, "西安市丁行业协会", "吴六", xianMZ, "设立"),
				row(dupB, "西安市丁行业协会", "吴六", xianMZ, "设立"),
			))
			out, _ := bin("registry", "scan", "--json")
			var scan struct {
				Registrations int                `json:"registrations"`
				Findings      []registry.Finding `json:"findings"`
			}
			if err := json.Unmarshal([]byte(out), &scan); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			got := map[string][]string{}
			for _, f := range scan.Findings {
				got[f.Type] = append(got[f.Type], strings.Join(f.Codes, ",")+"@"+f.Authority)
			}
			dups := []string{dupA, dupB}
			slices.Sort(dups)
			want := map[string][]string{"错码": {bad + "@" + xianMZ}, "一码多赋": {multi + "@centre"},
				"重复赋码": {strings.Join(dups, ",") + "@" + xianMZ}}
			if scan.Registrations != 5 || len(got) != 3 || !slices.Equal(got["错码"], want["错码"]) ||
				!slices.Equal(got["一码多赋"], want["一码多赋"]) || !slices.Equal(got["重复赋码"], want["重复赋码"]) {
				t.Fatalf("scan: %+v\nwant %v", scan, want)
			}
			// A 注销 with another name is rejected with the rule named.
			out, _ = bin("import", "--kind", "dj", "--file", write("b.csv", row(dupB, "西安丁协会", "", xianMZ, "注销")))
			if !strings.Contains(out, "注销代码数据的回传规则") {
				t.Fatalf("cancel with another name: %s", out)
			}
			out, _ = bin("registry", "notice")
			if !strings.Contains(out, "西安市民政局：未纠正2件") || !strings.Contains(out, "省代码中心") {
				t.Fatalf("notice:\n%s", out)
			}
			bin("import", "--kind", "dj", "--file", write("c.csv",
				row(dupB, "西安市丁行业协会", "", xianMZ, "注销"),
				row(bad, "西安市某某商贸有限公司", "", xianMZ, "-1"),
				row(multi, "兰州乙机械有限公司", "", gansu, "-1"),
			))
			out, _ = bin("registry", "cases", "--json")
			var cases []struct{ State string }
			if err := json.Unmarshal([]byte(out), &cases); err != nil || len(cases) != 3 {
				t.Fatalf("cases: %v %s", err, out)
			}
			for _, c := range cases {
				if c.State != "closed" {
					t.Fatalf("cases after corrections: %s", out)
				}
			}
			out, _ = bin("registry", "returns", "--authority", xianMZ)
			if !strings.Contains(out, bad+",西安市某某商贸有限公司") || !strings.Contains(out, "登记业务类型") {
				t.Fatalf("回传 file:\n%s", out)
			}

			// The server follows registrations sent through the API: a
			// new 重复赋码 opens a case without any command.
			out, _ = bin("org", "add", "--kind", "dept", "--name", names[xianSAMR], "--uscc", xianSAMR)
			org := regexp.MustCompile(`created organisation (\d+)`).FindStringSubmatch(out)[1]
			out, _ = bin("client", "add", "--org", org, "--name", "登记系统", "--scopes", "records:submit:dj")
			key := regexp.MustCompile(`key \(shown once\): (xyk_\S+)`).FindStringSubmatch(out)[1]
			srvBase, _, _ := startServe(t, base...)
			dupC, dupD := registry.MakeCode("91610100MA6T0021"), registry.MakeCode("91610100MA6T0022")
			var recs []map[string]any
			for _, c := range []string{dupC, dupD} {
				r := row(c, "西安己贸易有限公司", "钱七", xianSAMR, "设立")
				o := map[string]any{}
				for i, h := range header[:len(r)] {
					o[h] = r[i]
				}
				o["数据来源单位"], o["数据来源单位统一社会信用代码"] = names[xianSAMR], xianSAMR
				recs = append(recs, o)
			}
			payload, _ := json.Marshal(map[string]any{"kind": "dj", "records": recs})
			req, _ := http.NewRequest("POST", srvBase+"/api/v1/records", bytes.NewReader(payload))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"accepted":2`) {
				t.Fatalf("POST registrations: %d %s", resp.StatusCode, body)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				out, _ = bin("registry", "cases", "--authority", xianSAMR, "--json")
				if strings.Contains(out, dupC) && strings.Contains(out, dupD) && strings.Contains(out, `"open"`) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the server did not follow the registrations: %s", out)
				}
				time.Sleep(300 * time.Millisecond)
			}
		})
	}
}
