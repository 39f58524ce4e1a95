package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/store/pgtest"
)

// binary is the real xinyong binary, built once for the end-to-end tests.
var binary string

func mainWithBinary(m *testing.M) int {
	dir, err := os.MkdirTemp("", "xinyong-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "xinyong")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build xinyong (CGO_ENABLED=0): %v\n%s", err, out)
		return 1
	}
	return pgtest.Main(m)
}

// syncBuffer is a bytes.Buffer safe for a process writing and a test reading.
type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{mu: make(chan struct{}, 1)} }
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}
func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

func httpGet(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestServeEndToEnd runs the real binary as the README says, on each
// backend: serve --demo, answer /healthz, show the counts, stop on SIGTERM.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			base, cmd, logs := startServe(t, append([]string{"--demo", "--subjects", "1000"}, flags(t)...)...)
			code, body, _ := httpGet(base + "/")
			if code != 200 || !strings.Contains(body, `<strong id="total">1000</strong>`) {
				t.Fatalf("home page %d:\n%s", code, body)
			}
			for _, label := range []string{"法人及非法人组织", "个体工商户", "政府机构", "自然人"} {
				if !regexp.MustCompile(label + `</th><td class="num">[1-9]`).MatchString(body) {
					t.Errorf("home page shows no %s", label)
				}
			}
			if code, body, _ := httpGet(base + "/metrics"); code != 200 || !strings.Contains(body, "xinyong_subjects{class=\"person\"}") {
				t.Errorf("metrics %d", code)
			}
			if code, body, _ := httpGet(base + "/api/v1/openapi.json"); code != 200 || !strings.Contains(body, `"openapi"`) {
				t.Errorf("openapi %d", code)
			}
			if code, body, _ := httpGet(base + "/api/v1/stats/intake"); code != 200 || !strings.Contains(body, `"kind":"cf"`) || !strings.Contains(body, `"kind":"xk"`) {
				t.Errorf("demo records missing from intake statistics: %d %s", code, body)
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("exit after SIGTERM: %v\n%s", err, logs)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("no exit after SIGTERM:\n%s", logs)
			}
			if !strings.Contains(logs.String(), "msg=stopped") {
				t.Errorf("no graceful stop in logs:\n%s", logs)
			}
		})
	}
}

// servingRe finds the server's address in its "serving" log line, text or
// JSON.
var servingRe = regexp.MustCompile(`"?url"?[=:]"?(http://127\.0\.0\.1:[0-9]+)/`)

// startServe starts the real binary's serve with args on a free address
// and waits for /healthz; the process is killed when the test ends.

func startServe(t *testing.T, args ...string) (base string, cmd *exec.Cmd, logs *syncBuffer) {
	t.Helper()
	// The server picks its port and logs it: a port found free here could
	// be taken by a test running in parallel before the server binds it.
	cmd = exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	logs = newSyncBuffer()
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := servingRe.FindStringSubmatch(logs.String()); m != nil {
			base = m[1]
			if code, _, err := httpGet(base + "/healthz"); err == nil && code == 200 {
				return base, cmd, logs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /healthz in time; logs:\n%s", logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDemoKilledAndRerun kills demo half way (SIGKILL) and runs it again:
// every subject is there exactly once.
func TestDemoKilledAndRerun(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := flags(t)
			const n = 60000
			args := append([]string{"demo", "--subjects", fmt.Sprint(n), "--log-format", "json"}, f...)
			cmd := exec.Command(binary, args...)
			logs := newSyncBuffer()
			cmd.Stdout, cmd.Stderr = logs, logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait until some batches are filed, then kill.
			deadline := time.Now().Add(60 * time.Second)
			for !regexp.MustCompile(`"filed":[1-9][0-9]{3,}`).MatchString(logs.String()) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			if strings.Contains(logs.String(), "demo data loaded") {
				t.Skip("demo finished before it could be killed; nothing to prove on this machine")
			}
			out, err := exec.CommandContext(context.Background(), binary, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("rerun: %v\n%s", err, out)
			}
			m := regexp.MustCompile(`"created":(\d+),"renamed":(\d+),"unchanged":(\d+)`).FindStringSubmatch(string(out))
			if m == nil {
				t.Fatalf("no stats in %s", out)
			}
			var created, unchanged int
			fmt.Sscan(m[1], &created)
			fmt.Sscan(m[3], &unchanged)
			if created == 0 || unchanged == 0 || created+unchanged != n {
				t.Fatalf("rerun created %d and found %d unchanged; want both > 0 and a sum of %d", created, unchanged, n)
			}
			code, stdout, errs := runCmd(t, "", nil, append([]string{"demo", "--subjects", fmt.Sprint(n)}, f...)...)
			if code != 0 || !strings.Contains(errs, fmt.Sprintf("unchanged=%d", n)) {
				t.Fatalf("third run: %d %s %s", code, stdout, errs)
			}
		})
	}
}

// TestNameIndexFollowsImport serves an empty database with the in-memory
// name index and imports penalties with the import command (another
// process's writes): the subjects they name become searchable, on the
// portal and the API, within the index's refresh interval.
func TestNameIndexFollowsImport(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := flags(t)
			base, _, logs := startServe(t, append([]string{"--search-rate", "0", "--name-refresh", "100ms"}, f...)...)
			if !strings.Contains(logs.String(), "name index loaded") {
				t.Fatalf("no name index in the logs:\n%s", logs)
			}
			dir := t.TempDir()
			file := filepath.Join(dir, "处罚.csv")
			const firm = "西安启明星辰测试科技有限公司"
			writePenalties(t, file, 5, false, func(k *catalog.Kind, i int, row []string) {
				if i == 3 {
					row[k.FieldIndex("subject_name")] = firm
				}
			})
			search := func() string {
				code, body, err := httpGet(base + "/api/v1/subjects?q=" + url.QueryEscape("星辰测试"))
				if err != nil || code != 200 {
					t.Fatalf("search: %d %v %s", code, err, body)
				}
				return body
			}
			if body := search(); strings.Contains(body, firm) {
				t.Fatalf("found before the import: %s", body)
			}
			if code, _, errs := runCmd(t, "", nil, append([]string{"import", "--kind", "cf", "--file", file}, f...)...); code != 0 {
				t.Fatalf("import: %d %s", code, errs)
			}
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(search(), firm) {
				if time.Now().After(deadline) {
					t.Fatalf("not found 10 s after the import; logs:\n%s", logs)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if code, body, _ := httpGet(base + "/search?q=" + url.QueryEscape("啟明星辰")); code != 200 || !strings.Contains(body, firm) {
				t.Errorf("portal search (traditional 啟): %d", code)
			}
			_, metrics, _ := httpGet(base + "/metrics")
			for _, re := range []string{`(?m)^xinyong_name_index_subjects [1-9]`, `(?m)^xinyong_name_index_seq [1-9]`,
				`(?m)^xinyong_name_index_refresh_failures_total 0$`, `(?m)^xinyong_name_index_broken 0$`} {
				if !regexp.MustCompile(re).MatchString(metrics) {
					t.Errorf("metrics lack %s", re)
				}
			}
		})
	}
}
