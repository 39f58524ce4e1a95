package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
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

	"github.com/jackc/pgx/v5"

	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// queryOne runs a query on the database flags name and returns the first
// column of its first row.
func queryOne(t *testing.T, flags []string, q string) string {
	t.Helper()
	var v string
	if i := indexOf(flags, "--db"); i >= 0 {
		conn, err := pgx.Connect(context.Background(), flags[i+1])
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if err := conn.QueryRow(context.Background(), q).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return v
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(flags[indexOf(flags, "--data")+1], sqlite.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(q).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// TestEvaluateEndToEnd runs the real binary on each backend: evaluate
// scores every subject, killed midway it resumes, a model file with
// another weight changes the scores without a rebuild while the earlier
// results keep their model; serve then draws a 双随机 task through the API
// and inspect redraw gives the same list.
func TestEvaluateEndToEnd(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := flags(t)
			if code, out, errs := runCmd(t, "", nil, append([]string{"demo", "--subjects", "4000", "--records", "8000"}, f...)...); code != 0 {
				t.Fatalf("demo: %s %s", out, errs)
			}
			graded := queryOne(t, f, `SELECT CAST(COUNT(*) AS TEXT) FROM subjects WHERE class IN ('org', 'sole')`)

			// Killed after its first chunk (one subject per transaction),
			// then run again: resumed, every subject evaluated once.
			cmd := exec.Command(binary, append([]string{"evaluate", "--chunk", "1", "--log-level", "debug", "--log-format", "json"}, f...)...)
			logs := newSyncBuffer()
			cmd.Stdout, cmd.Stderr = logs, logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second)
			for !strings.Contains(logs.String(), "evaluation chunk written") && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			if strings.Contains(logs.String(), "evaluation run done") {
				t.Skip("the run finished before it could be killed")
			}
			var run evaluateJSON
			out := mustRun(t, exec.Command(binary, append([]string{"evaluate", "--json"}, f...)...))
			if err := json.Unmarshal(out, &run); err != nil {
				t.Fatalf("evaluate: %v %s", err, out)
			}
			if !run.Resumed || itoa(run.Subjects) != graded || run.Changed != run.Subjects {
				t.Fatalf("resumed run %+v, want every one of %s subjects", run, graded)
			}
			if n := queryOne(t, f, `SELECT CAST(COUNT(*) AS TEXT) FROM evaluations`); n != graded {
				t.Errorf("%s results stored, want %s", n, graded)
			}
			// A subject with a penalty counted.
			code := queryOne(t, f, `SELECT s.uscc FROM evaluations e JOIN subjects s ON s.id = e.subject_id
				WHERE e.contributions LIKE '%penalty_general%' AND s.uscc IS NOT NULL ORDER BY e.subject_id LIMIT 1`)
			var first explainedJSON
			if err := json.Unmarshal(mustRun(t, exec.Command(binary, append([]string{"evaluate", "show", code, "--json"}, f...)...)), &first); err != nil {
				t.Fatal(err)
			}

			// The law dimension weighs twice in a model file: another
			// version of the file, scores change on the next run.
			model := bytes.Replace(evaluation.DefaultModelJSON(), []byte(`"code": "law", "name": "遵纪守法", "weight": 1`),
				[]byte(`"code": "law", "name": "遵纪守法", "weight": 2`), 1)
			path := filepath.Join(t.TempDir(), "model.json")
			if err := os.WriteFile(path, model, 0o600); err != nil {
				t.Fatal(err)
			}
			var second evaluateJSON
			if err := json.Unmarshal(mustRun(t, exec.Command(binary, append([]string{"evaluate", "--json", "--model", path}, f...)...)), &second); err != nil {
				t.Fatal(err)
			}
			if second.Model == run.Model || second.Changed == 0 {
				t.Fatalf("run under the changed model: %+v (first %s)", second, run.Model)
			}
			var after explainedJSON
			if err := json.Unmarshal(mustRun(t, exec.Command(binary, append([]string{"evaluate", "show", code, "--json", "--model", path}, f...)...)), &after); err != nil {
				t.Fatal(err)
			}
			if after.Model != second.Model || after.Score >= first.Score || len(after.History) != 2 || after.History[1].Model != run.Model ||
				after.History[1].Score != first.Score || after.History[0].Model != second.Model {
				t.Errorf("after the model change: %+v\nbefore: %+v", after, first)
			}

			// serve: a department draws a task through the API.
			out = mustRunIn(t, append([]string{"org", "add", "--kind", "region", "--name", "西安市", "--region", "610100"}, f...)...)
			region := regexp.MustCompile(`created organisation (\d+)`).FindStringSubmatch(string(out))[1]
			out = mustRunIn(t, append([]string{"org", "add", "--parent", region, "--kind", "dept", "--name", "西安市市场监督管理局",
				"--uscc", storetest.USCC("11", "610100", 42)}, f...)...)
			dept := regexp.MustCompile(`created organisation (\d+)`).FindStringSubmatch(string(out))[1]
			out = mustRunIn(t, append([]string{"client", "add", "--org", dept, "--name", "监管系统", "--scopes", "inspections:manage,inspections:record"}, f...)...)
			key := regexp.MustCompile(`key \(shown once\): (xyk_\S+)`).FindStringSubmatch(string(out))[1]
			base, _, _ := startServe(t, append([]string{"--model", path}, f...)...)
			call := func(method, p string, body any) map[string]any {
				t.Helper()
				var r io.Reader
				if body != nil {
					b, _ := json.Marshal(body)
					r = bytes.NewReader(b)
				}
				req, _ := http.NewRequest(method, base+p, r)
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var m map[string]any
				raw, _ := io.ReadAll(resp.Body)
				json.Unmarshal(raw, &m)
				if resp.StatusCode >= 300 {
					t.Fatalf("%s %s: %d %s", method, p, resp.StatusCode, raw)
				}
				return m
			}
			item := call("POST", "/api/v1/inspections/items", map[string]string{"code": "SC-01", "name": "食品经营者检查", "basis": "《食品安全法》"})
			for _, b := range []string{"61010001", "61010002", "61010003"} {
				call("POST", "/api/v1/inspections/inspectors", map[string]string{"name": "检查员" + b, "badge": b})
			}
			task := call("POST", "/api/v1/inspections", map[string]any{"item_id": item["id"], "name": "食品经营者抽查", "from": "2026-01-01", "to": "2026-12-31"})
			id := itoa(int(task["id"].(float64)))
			drawn := call("POST", "/api/v1/inspections/"+id+"/draw", nil)
			var api []string
			for _, g := range drawn["targets"].([]any) {
				api = append(api, g.(map[string]any)["code"].(string))
			}
			var redraw redrawJSON
			if err := json.Unmarshal(mustRun(t, exec.Command(binary, append([]string{"inspect", "redraw", drawn["code"].(string), "--json"}, f...)...)), &redraw); err != nil {
				t.Fatal(err)
			}
			var again []string
			for _, g := range redraw.Targets {
				again = append(again, g.Code)
			}
			if !redraw.Same || len(api) == 0 || strings.Join(api, ",") != strings.Join(again, ",") || redraw.Seed != drawn["seed"] {
				t.Errorf("redraw %+v\nAPI %v", redraw, api)
			}
			if drawn["model"] != second.Model {
				t.Errorf("the draw used grades of model %v, want %s", drawn["model"], second.Model)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// mustRun runs a command of the real binary and returns its standard
// output, failing the test on a non-zero exit.
func mustRun(t *testing.T, cmd *exec.Cmd) []byte {
	t.Helper()
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s%s", cmd.Args, err, out, errb.String())
	}
	return out
}

// mustRunIn runs a command in-process.
func mustRunIn(t *testing.T, args ...string) []byte {
	t.Helper()
	code, out, errs := runCmd(t, "", nil, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d\n%s%s", args, code, out, errs)
	}
	return []byte(out)
}
