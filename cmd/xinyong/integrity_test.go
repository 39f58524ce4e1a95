package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/integrity"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// integrityHeader is the interface of issue 18: the column names
// departments send integrity events under.
var integrityHeader = []string{"监测对象名称", "监测对象统一社会信用代码", "监测事项", "信息性质", "发生日期", "情况描述",
	"信息来源渠道", "整改或修复日期", "表彰奖励级别", "报送日期", "报送单位", "报送单位统一社会信用代码"}

// integrityRow is one event: body n (陕西省测试n厅, a 机关), reported by
// department sender (0: the body itself).
type integrityRow struct {
	body, sender           int
	item, nature, date     string
	rectified, level, note string
}

func bodyUSCC(n int) string { return storetest.USCC("11", "610000", 700000+n) }

func writeIntegrity(t *testing.T, path string, rows []integrityRow) {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(integrityHeader)
	for _, r := range rows {
		sender, senderName := bodyUSCC(r.body), fmt.Sprintf("陕西省测试%d厅", r.body)
		if r.sender != 0 {
			sender, senderName = storetest.USCC("11", "610000", 900000+r.sender), fmt.Sprintf("陕西省报送%d委", r.sender)
		}
		desc := r.note
		if desc == "" {
			desc = "测试情况"
		}
		w.Write([]string{fmt.Sprintf("陕西省测试%d厅", r.body), bodyUSCC(r.body), r.item, r.nature, r.date, desc, "信息共享",
			r.rectified, r.level, calendar.Today().String(), senderName, sender})
	}
	w.Flush()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// scoreLine is what the test reads of integrity score --json.
type scoreLine struct {
	USCC       string  `json:"uscc"`
	Name       string  `json:"name"`
	Total      float64 `json:"total"`
	Final      bool    `json:"final"`
	Rank       int     `json:"rank"`
	Peers      int     `json:"peers"`
	Dimensions []struct {
		Code  string  `json:"code"`
		Score float64 `json:"score"`
		Bonus float64 `json:"bonus"`
	} `json:"dimensions"`
	Events []struct {
		RecordID int64   `json:"record_id"`
		Item     string  `json:"item"`
		Date     string  `json:"date"`
		Points   float64 `json:"points"`
		Counted  bool    `json:"counted"`
		Bonus    bool    `json:"bonus"`
		Rule     string  `json:"rule"`
	} `json:"events"`
}

func decodeScores(t *testing.T, out string) map[string]scoreLine {
	t.Helper()
	var lines []scoreLine
	if err := json.Unmarshal([]byte(out), &lines); err != nil {
		t.Fatalf("integrity score --json output %q: %v", out, err)
	}
	m := map[string]scoreLine{}
	for _, l := range lines {
		m[l.USCC] = l
	}
	return m
}

// TestIntegrityScoreEndToEnd imports integrity events with the issue's
// column names through the real binary and scores the month: each rule of
// 1072号文 on data built for it, every line naming its event; a run again
// gives the same result. On both databases.
func TestIntegrityScoreEndToEnd(t *testing.T) {
	t.Parallel()
	today := calendar.Today()
	month := integrity.MonthOf(today)
	ago := func(months int) string { return today.AddMonths(-months).String() }
	const (
		honour  = "获得荣誉表彰奖励或获评试点示范和创新事例"
		promise = "利民便企措施、招商引资政策等承诺事项落实情况"
	)
	rows := []integrityRow{
		{body: 1, sender: 1, item: honour, nature: "良好", date: ago(18), level: "省部级"},                                               // counts: one year longer
		{body: 2, sender: 1, item: honour, nature: "良好", date: ago(25), level: "省部级"},                                               // does not
		{body: 3, sender: 1, item: promise, nature: "不良", date: today.AddDays(-60).String(), rectified: today.AddDays(-1).String()}, // rectified
		{body: 4, sender: 1, item: "政策文件或行政决定被有权机关责令撤销", nature: "不良", date: ago(13)},                                               // 13 months old
		{body: 5, item: promise, nature: "良好", date: today.String()},                                                                // reported on time by itself
		{body: 6, item: promise, nature: "良好", date: ago(3)},                                                                        // reported late by itself
		{body: 7, sender: 1, item: "被列入失信被执行人", nature: "不良", date: today.String(), note: "未履行判决"},
	}
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := flags(t)
			file := filepath.Join(t.TempDir(), "政务诚信.csv")
			writeIntegrity(t, file, rows)
			code, out, errs := runBinary(t, nil, append([]string{"import", "--kind", "zwcx", "--file", file, "--json"}, f...)...)
			if code != 0 {
				t.Fatalf("import: %d %s %s", code, out, errs)
			}
			if imp := decodeImport(t, out); imp.Accepted != len(rows) || len(imp.Rejected) != 0 {
				t.Fatalf("import %+v", imp)
			}
			code, out, errs = runBinary(t, nil, append([]string{"integrity", "score", "--month", month.String(), "--json"}, f...)...)
			if code != 0 {
				t.Fatalf("score: %d %s", code, errs)
			}
			got := decodeScores(t, out)
			if len(got) != 7 {
				t.Fatalf("%d bodies scored: %s", len(got), out)
			}
			line := func(n int) scoreLine { return got[bodyUSCC(n)] }
			if l := line(1); l.Total != 90 || len(l.Events) != 1 || !l.Events[0].Counted || !strings.Contains(l.Events[0].Rule, "评价有效期延长一年") ||
				l.Events[0].Item != honour || l.Events[0].Date != ago(18) || l.Events[0].RecordID == 0 {
				t.Errorf("an honour 18 months old: %+v", l)
			}
			if l := line(2); l.Total != 88 || len(l.Events) != 0 {
				t.Errorf("an honour 25 months old: %+v", l)
			}
			if l := line(3); l.Total != 88 || len(l.Events) != 1 || l.Events[0].Counted || !strings.Contains(l.Events[0].Rule, "整改或修复") {
				t.Errorf("a rectified broken promise: %+v", l)
			}
			if l := line(4); l.Total != 88 || len(l.Events) != 0 {
				t.Errorf("an event 13 months old: %+v", l)
			}
			bonus := func(l scoreLine) (float64, string) {
				for _, e := range l.Events {
					if e.Bonus {
						return e.Points, e.Rule
					}
				}
				return -1, ""
			}
			if p, rule := bonus(line(5)); p != 0.5 || line(5).Total != 89.5 || !strings.Contains(rule, "及时报送") {
				t.Errorf("reported on time: %v %q %+v", p, rule, line(5))
			}
			if p, rule := bonus(line(6)); p != 0 || line(6).Total != 89 || !strings.Contains(rule, "不加分") {
				t.Errorf("reported late: %v %q %+v", p, rule, line(6))
			}
			if l := line(7); l.Total != 78 || l.Name != "陕西省测试7厅" || l.Final || l.Peers != 7 || len(l.Dimensions) != 4 {
				t.Errorf("a 失信被执行人: %+v", l)
			}
			// Run again: the same result.
			_, again, _ := runBinary(t, nil, append([]string{"integrity", "score", "--month", month.String(), "--json"}, f...)...)
			if again != out {
				t.Errorf("a second run differs:\n%s\n%s", out, again)
			}
			// The text output and the model.
			code, text, _ := runBinary(t, nil, append([]string{"integrity", "score", "--month", month.String()}, f...)...)
			if code != 0 || !strings.Contains(text, "7 bodies scored, provisional") || !strings.Contains(text, "陕西省测试7厅") {
				t.Errorf("text output: %s", text)
			}
			if code, _, errs := runBinary(t, nil, append([]string{"integrity", "score", "--month", month.Add(1).String()}, f...)...); code == 0 ||
				!strings.Contains(errs, "尚未开始") {
				t.Errorf("a future month: %d %s", code, errs)
			}
		})
	}
}

// TestIntegrityPastMonthRerun: the demo scores the last 12 months from
// records received in the past; scoring the last month again through the
// binary gives what the demo stored.
func TestIntegrityPastMonthRerun(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := flags(t)
			if code, _, errs := runBinary(t, nil, append([]string{"demo", "--subjects", "2000", "--records", "1000"}, f...)...); code != 0 {
				t.Fatalf("demo: %s", errs)
			}
			last := integrity.MonthOf(calendar.Today()).Add(-1).String()
			_, first, errs := runBinary(t, nil, append([]string{"integrity", "score", "--month", last, "--json"}, f...)...)
			lines := decodeScores(t, first)
			if len(lines) < 10 {
				t.Fatalf("%d bodies: %s", len(lines), errs)
			}
			for _, l := range lines {
				if !l.Final {
					t.Fatalf("a past month is not final: %+v", l)
				}
			}
			_, second, _ := runBinary(t, nil, append([]string{"integrity", "score", "--month", last, "--json"}, f...)...)
			if first != second {
				t.Errorf("a re-run of %s differs", last)
			}
		})
	}
}

// TestIntegrityRunKilledAndRerun kills a monthly run with SIGKILL after
// some of its transactions and runs it again: the result is exactly a
// clean run's, on both databases.
func TestIntegrityRunKilledAndRerun(t *testing.T) {
	t.Parallel()
	const n = 3000
	today := calendar.Today()
	month := integrity.MonthOf(today).String()
	var rows []integrityRow
	items := []string{"拖欠民营企业账款、农民工工资", "政务服务好差评情况", "年度目标责任考核结果", "信用惠民便企应用创新情况"}
	for i := 1; i <= n; i++ {
		nature := "良好"
		if i%3 == 0 {
			nature = "不良"
		}
		item := items[i%len(items)]
		if item == items[0] {
			nature = "不良"
		}
		rows = append(rows, integrityRow{body: i, sender: 1 + i%5, item: item, nature: nature, date: today.AddDays(-(i % 300)).String()})
	}
	file := filepath.Join(t.TempDir(), "events.csv")
	writeIntegrity(t, file, rows)
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			load := func(f []string) {
				if code, _, errs := runBinary(t, nil, append([]string{"import", "--kind", "zwcx", "--file", file}, f...)...); code != 0 {
					t.Fatalf("import: %s", errs)
				}
			}
			clean := flags(t)
			load(clean)
			code, want, errs := runBinary(t, nil, append([]string{"integrity", "score", "--month", month, "--json"}, clean...)...)
			if code != 0 {
				t.Fatal(errs)
			}
			f := flags(t)
			load(f)
			cmd := exec.Command(binary, append([]string{"integrity", "score", "--month", month, "--batch", "5", "--log-format", "json"}, f...)...)
			logs := newSyncBuffer()
			cmd.Stdout, cmd.Stderr = logs, logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Kill as soon as some transactions are written.
			progress := regexp.MustCompile(`"scored":([0-9]+)`)
			deadline := time.Now().Add(60 * time.Second)
			for time.Now().Before(deadline) {
				if m := progress.FindAllStringSubmatch(logs.String(), -1); len(m) > 0 {
					break
				}
				time.Sleep(time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			m := progress.FindAllStringSubmatch(logs.String(), -1)
			if len(m) == 0 || strings.Contains(logs.String(), "integrity run done") {
				t.Fatalf("the run was not killed half way:\n%s", logs)
			}
			t.Logf("killed after %s of %d bodies", m[len(m)-1][1], n)
			code, out, errs := runBinary(t, nil, append([]string{"integrity", "score", "--month", month, "--json", "--log-format", "json"}, f...)...)
			if code != 0 {
				t.Fatal(errs)
			}
			if !strings.Contains(errs, `"resumed":true`) {
				t.Errorf("the second run did not resume: %s", errs)
			}
			if out != want {
				t.Errorf("after a kill and a re-run the result differs from a clean run's")
			}
		})
	}
}

// TestServeRunsIntegrityMonth: serve scores the month before by itself
// from the first working day of a month (the run every --integrity-every),
// and an API key with integrity:read reads it.
func TestServeRunsIntegrityMonth(t *testing.T) {
	t.Parallel()
	cal := calendar.Default()
	today := calendar.Today()
	first := integrity.MonthOf(today).First()
	for !cal.IsWorkingDay(first) {
		first = first.AddDays(1)
	}
	prev := integrity.MonthOf(today).Add(-1).String()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := flags(t)
			file := filepath.Join(t.TempDir(), "events.csv")
			writeIntegrity(t, file, []integrityRow{{body: 1, sender: 1, item: "被列入失信被执行人", nature: "不良", date: today.String()}})
			if code, _, errs := runBinary(t, nil, append([]string{"import", "--kind", "zwcx", "--file", file}, f...)...); code != 0 {
				t.Fatal(errs)
			}
			// The credit office's system (a department of the tree: API keys
			// belong to departments).
			if code, out, errs := runBinary(t, nil, append([]string{"org", "add", "--kind", "dept", "--name", "省信用办",
				"--uscc", storetest.USCC("11", "610000", 990001)}, f...)...); code != 0 {
				t.Fatalf("org add: %s %s", out, errs)
			}
			_, out, errs := runBinary(t, nil, append([]string{"client", "add", "--org", "2", "--name", "监测系统", "--scopes", "integrity:read"}, f...)...)
			m := regexp.MustCompile(`key \(shown once\): (\S+)`).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("client add: %s %s", out, errs)
			}
			base, _, logs := startServe(t, append([]string{"--integrity-every", "100ms"}, f...)...)
			get := func(path string) (int, string) {
				req, _ := http.NewRequest("GET", base+path, nil)
				req.Header.Set("Authorization", "Bearer "+m[1])
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(logs.String(), "integrity alerts raised") {
				if time.Now().After(deadline) {
					t.Fatalf("no alert for a 失信被执行人 within 20 s:\n%s", logs)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if today.Before(first) {
				// Before the first working day of the month no run is due.
				time.Sleep(500 * time.Millisecond)
				if code, body := get("/api/v1/integrity/scores?month=" + prev); code != http.StatusNotFound {
					t.Errorf("a run before %s, the first working day: %d %s", first, code, body)
				}
				return
			}
			for !strings.Contains(logs.String(), "integrity monthly run") {
				if time.Now().After(deadline) {
					t.Fatalf("no scheduled run within 20 s:\n%s", logs)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if code, body := get("/api/v1/integrity/scores?month=" + prev); code != 200 || !strings.Contains(body, `"final":true`) {
				t.Errorf("the scheduled run's month: %d %s", code, body)
			}
		})
	}
}
