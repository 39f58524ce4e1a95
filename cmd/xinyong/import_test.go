package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/demo"
)

// writePenalties writes n generated 行政处罚 rows as a CSV file with the
// standard's Chinese header, in GBK when gbk is set; edit may spoil rows.
func writePenalties(t *testing.T, path string, n int, gbk bool, edit func(k *catalog.Kind, i int, row []string)) {
	t.Helper()
	k, _ := catalog.Default().Kind("cf")
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	var header []string
	for _, f := range k.Fields {
		header = append(header, f.Name)
	}
	w.Write(header)
	i := 0
	demo.Records(k, demo.RecordOptions{Seed: 21, Rows: n}, func(row []string) error {
		row = slices.Clone(row)
		if edit != nil {
			edit(k, i, row)
		}
		i++
		return w.Write(row)
	})
	w.Flush()
	data := b.Bytes()
	if gbk {
		var err error
		if data, err = simplifiedchinese.GBK.NewEncoder().Bytes(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

type importJSON struct {
	Rows      int `json:"rows"`
	Accepted  int `json:"accepted"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Rejected  []struct {
		Row    int    `json:"row"`
		Field  string `json:"field"`
		Code   string `json:"code"`
		Reason string `json:"reason"`
	} `json:"rejected"`
}

func decodeImport(t *testing.T, out string) importJSON {
	t.Helper()
	var r importJSON
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("import --json output %q: %v", out, err)
	}
	return r
}

func TestImportCommand(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := flags(t)
			dir := t.TempDir()
			file := filepath.Join(dir, "处罚.csv")
			writePenalties(t, file, 50, true, func(k *catalog.Kind, i int, row []string) {
				switch i {
				case 9:
					row[k.FieldIndex("penalty_category")] = "打板子"
				case 19:
					row[k.FieldIndex("decision_date")] = "2099-01-01"
				}
			})
			errFile := filepath.Join(dir, "退回.csv")
			code, out, errs := runCmd(t, "", nil, append([]string{"import", "--kind", "cf", "--file", file, "--json", "--errors", errFile}, f...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			r := decodeImport(t, out)
			if r.Rows != 50 || r.Accepted+r.Unchanged != 48 || len(r.Rejected) != 2 || r.Rejected[0].Row != 10 || r.Rejected[0].Field != "处罚类别" || r.Rejected[1].Row != 20 {
				t.Fatalf("result %+v", r)
			}
			// The rejected-rows file: original columns plus the reason.
			b, err := os.ReadFile(errFile)
			if err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
			if err != nil || len(recs) != 3 || recs[0][len(recs[0])-1] != "错误原因" || !strings.Contains(recs[1][len(recs[1])-1], "处罚类别：") {
				t.Fatalf("errors file %q %v", recs, err)
			}
			// Fix the two rows in the errors file and send it back.
			k, _ := catalog.Default().Kind("cf")
			recs[1][k.FieldIndex("penalty_category")] = "罚款"
			recs[2][k.FieldIndex("decision_date")] = "2026-11-02"
			recs[2][k.FieldIndex("valid_to")] = "2027-11-02"
			var fixed bytes.Buffer
			csv.NewWriter(&fixed).WriteAll(recs)
			fixedFile := filepath.Join(dir, "更正.csv")
			os.WriteFile(fixedFile, fixed.Bytes(), 0o644)
			code, out, errs = runCmd(t, "", nil, append([]string{"import", "--kind", "cf", "--file", fixedFile, "--json"}, f...)...)
			if r2 := decodeImport(t, out); code != 0 || r2.Rows != 2 || r2.Accepted != 2 || len(r2.Rejected) != 0 {
				t.Fatalf("re-submitted rows: exit %d %+v %s", code, r2, errs)
			}
			// The original file again: nothing new, the same two rejected.
			_, out, _ = runCmd(t, "", nil, append([]string{"import", "--kind", "cf", "--file", file, "--json"}, f...)...)
			if r3 := decodeImport(t, out); r3.Accepted != 0 || r3.Updated != 0 || r3.Unchanged != 48 || len(r3.Rejected) != 2 {
				t.Fatalf("second import %+v", r3)
			}
			// Every import is in the audit trail, by the operator.
			if _, out, _ := runCmd(t, "", nil, append([]string{"audit", "list"}, f...)...); strings.Count(out, "record.submit") != 3 || !strings.Contains(out, "system:cli") {
				t.Errorf("imports in the audit trail:\n%s", out)
			}
			// Text output and statistics.
			code, out, _ = runCmd(t, "", nil, append([]string{"import", "--kind", "cf", "--file", file}, f...)...)
			if code != 0 || !strings.Contains(out, "GB18030") || !strings.Contains(out, "退回2行") || !strings.Contains(out, "第10行\t处罚类别\t") {
				t.Fatalf("text output %q", out)
			}
			code, out, errs = runCmd(t, "", nil, append([]string{"stats", "intake", "--json"}, f...)...)
			var rows []struct{ Received, Rejected int }
			if code != 0 || json.Unmarshal([]byte(out), &rows) != nil {
				t.Fatalf("stats: %d %q %s", code, out, errs)
			}
			total := 0
			for _, r := range rows {
				total += r.Received
			}
			if total != 50 {
				t.Fatalf("stats received %d, want 50: %s", total, out)
			}
		})
	}
}

func TestImportUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("名称,类别\n甲,乙\n"), 0o644)
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"import", "--file", bad}, 2, "--kind and --file are required"},
		{[]string{"import", "--kind", "zz", "--file", bad}, 2, "unknown --kind"},
		{[]string{"import", "--kind", "cf", "--file", filepath.Join(dir, "missing.csv")}, 1, "no such file"},
		{[]string{"import", "--kind", "cf", "--file", bad}, 1, "缺少必填列"},
		{[]string{"catalog", "show", "zz"}, 2, "unknown kind"},
		{[]string{"stats"}, 2, "Usage"},
	}
	for _, c := range cases {
		code, _, errs := runCmd(t, "", nil, append(c.args, "--data", dir)...)
		if c.args[0] == "catalog" || c.args[0] == "stats" {
			code, _, errs = runCmd(t, "", nil, c.args...)
		}
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, %q", c.args, code, errs)
		}
	}
	code, out, _ := runCmd(t, "", nil, "catalog", "list")
	if code != 0 || !strings.Contains(out, "行政处罚") || !strings.Contains(out, "行政许可") {
		t.Errorf("catalog list: %q", out)
	}
	code, out, _ = runCmd(t, "", nil, "catalog", "show", "cf")
	if code != 0 || !strings.Contains(out, "CF_WSH") || strings.Count(out, "\n") < 32 {
		t.Errorf("catalog show: %q", out)
	}
}

// TestImportKilledAndRerun kills the real binary during an import and runs
// it again: the end state is that of a clean run.
func TestImportKilledAndRerun(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			file := filepath.Join(dir, "big.csv")
			const n = 30000
			writePenalties(t, file, n, false, nil)

			clean := flags(t)
			code, cleanOut, errs := runCmd(t, "", nil, append([]string{"import", "--kind", "cf", "--file", file, "--json"}, clean...)...)
			if code != 0 {
				t.Fatal(errs)
			}
			want := decodeImport(t, cleanOut)

			f := flags(t)
			cmd := exec.Command(binary, append([]string{"import", "--kind", "cf", "--file", file, "--log-format", "json"}, f...)...)
			logs := newSyncBuffer()
			cmd.Stdout, cmd.Stderr = logs, logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Kill as soon as the database holds part of the file.
			deadline := time.Now().Add(60 * time.Second)
			for time.Now().Before(deadline) {
				_, out, _ := runCmd(t, "", nil, append([]string{"stats", "intake", "--json"}, f...)...)
				if m := regexp.MustCompile(`"received":(\d+)`).FindStringSubmatch(out); m != nil && m[1] != "0" {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			code, out, errs := runCmd(t, "", nil, append([]string{"import", "--kind", "cf", "--file", file, "--json"}, f...)...)
			if code != 0 {
				t.Fatal(errs)
			}
			got := decodeImport(t, out)
			if got.Rows != n || got.Accepted+got.Unchanged != want.Accepted+want.Unchanged || got.Unchanged == want.Unchanged {
				t.Fatalf("re-run after kill %+v; clean run %+v", got, want)
			}
			_, a, _ := runCmd(t, "", nil, append([]string{"stats", "intake", "--json"}, clean...)...)
			_, b, _ := runCmd(t, "", nil, append([]string{"stats", "intake", "--json"}, f...)...)
			if a != b {
				t.Fatalf("statistics differ from a clean run:\n%s\n%s", a, b)
			}
		})
	}
}

func TestRecordCommand(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.csv")
	writePenalties(t, file, 3, false, nil)
	if code, _, errs := runCmd(t, "", nil, "import", "--kind", "cf", "--file", file, "--data", dir); code != 0 {
		t.Fatal(errs)
	}
	// Correct row 1 and send it again with a reason.
	writePenalties(t, file, 3, false, func(k *catalog.Kind, i int, row []string) {
		if i == 0 {
			row[k.FieldIndex("decision_content")] = "罚款五千元（更正）"
		}
	})
	code, out, errs := runCmd(t, "", nil, "import", "--kind", "cf", "--file", file, "--data", dir, "--json", "--reason", "处罚内容录入错误")
	if r := decodeImport(t, out); code != 0 || r.Updated != 1 {
		t.Fatalf("%d %+v %s", code, r, errs)
	}
	code, out, _ = runCmd(t, "", nil, "record", "show", "1", "--data", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[1], `"state":"corrected"`) || !strings.Contains(lines[1], "处罚内容录入错误") || !strings.Contains(lines[0], `"version":1`) {
		t.Fatalf("show: %d %q", code, out)
	}
	if code, _, errs := runCmd(t, "", nil, "record", "revoke", "1", "--data", dir); code != 2 || !strings.Contains(errs, "--reason") {
		t.Fatalf("revoke without reason: %d %s", code, errs)
	}
	code, out, _ = runCmd(t, "", nil, "record", "revoke", "1", "--reason", "行政复议决定撤销", "--data", dir)
	if code != 0 || !strings.Contains(out, `"state":"revoked"`) || strings.Count(out, "\n") != 3 {
		t.Fatalf("revoke: %d %q", code, out)
	}
	if code, _, errs := runCmd(t, "", nil, "record", "show", "99", "--data", dir); code != 1 || !strings.Contains(errs, "no record 99") {
		t.Fatalf("missing: %d %s", code, errs)
	}
}

// TestImportKindFromData adds a kind (a test definition of 行政强制, code
// tq: the catalogue ships its own qz) as a data file and imports records
// of it: no code for the kind.
func TestImportKindFromData(t *testing.T) {
	dir := t.TempDir()
	catDir := filepath.Join(dir, "catalog")
	os.Mkdir(catDir, 0o755)
	def, err := os.ReadFile("../../internal/catalog/testdata/qz.json")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(catDir, "tq.json"), def, 0o644)
	code, out, _ := runCmd(t, "", nil, "catalog", "list", "--catalog", catDir)
	if code != 0 || !strings.Contains(out, "行政强制（测试定义）") {
		t.Fatalf("catalog list: %q", out)
	}
	dept := "11610000MB1234567X"
	if c, err := codeUSCC("11610000", "MB123456"); err == nil {
		dept = c
	}
	file := filepath.Join(dir, "qz.csv")
	os.WriteFile(file, []byte("行政相对人名称,行政相对人类别,统一社会信用代码,行政强制决定书文号,强制措施类别,决定日期,数据来源单位,数据来源单位统一社会信用代码\n"+
		"福州某某有限公司,法人及非法人组织,91350100M000100Y43,强制〔2026〕1号,扣押财物,2026-11-02,某市市场监督管理局,"+dept+"\n"+
		"福州某某有限公司,法人及非法人组织,91350100M000100Y43,强制〔2026〕2号,没收房子,2026-11-02,某市市场监督管理局,"+dept+"\n"), 0o644)
	code, out, errs := runCmd(t, "", nil, "import", "--kind", "tq", "--file", file, "--json", "--catalog", catDir, "--data", dir)
	r := decodeImport(t, out)
	if code != 0 || r.Accepted != 1 || len(r.Rejected) != 1 || r.Rejected[0].Field != "强制措施类别" {
		t.Fatalf("%d %+v %s", code, r, errs)
	}
}

func TestImportTextSummaryIsBounded(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.csv")
	writePenalties(t, file, 150, false, func(k *catalog.Kind, i int, row []string) {
		row[k.FieldIndex("decision_no")] = ""
	})
	code, out, _ := runCmd(t, "", nil, "import", "--kind", "cf", "--file", file, "--data", dir)
	if code != 0 || strings.Count(out, "\n") != 1+maxListedReasons+1 || !strings.Contains(out, "另有50条") {
		t.Fatalf("exit %d, %d lines:\n%s", code, strings.Count(out, "\n"), out[len(out)-300:])
	}
}

// TestImportRepeatedRow: a row repeated within one file counts as
// unchanged, and a blank row is not a row.
func TestImportRepeatedRow(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "dup.csv")
	writePenalties(t, file, 3, false, nil)
	b, _ := os.ReadFile(file)
	lines := strings.SplitAfter(string(b), "\n")
	blank := strings.Repeat(",", 29) + "\n"
	os.WriteFile(file, []byte(lines[0]+lines[1]+lines[2]+blank+lines[2]+lines[3]), 0o644)
	code, out, errs := runCmd(t, "", nil, "import", "--kind", "cf", "--file", file, "--json", "--data", dir)
	if r := decodeImport(t, out); code != 0 || r.Rows != 4 || r.Accepted != 3 || r.Unchanged != 1 {
		t.Fatalf("exit %d %+v %s", code, r, errs)
	}
}
