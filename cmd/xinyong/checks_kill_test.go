package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/check"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// TestCheckArchiveSurvivesKill sends credit checks from many clients at
// once to the real server, kills it (SIGKILL) while checks are in flight,
// and opens the database again: every check that was answered is in the
// archive with its audit entries, and the audit chain verifies. Checks are
// archived in groups (one transaction for the archives waiting), so this
// is what "answered only after committed" has to keep.
func TestCheckArchiveSurvivesKill(t *testing.T) {
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			f := flags(t)
			cmd := func(args ...string) string {
				t.Helper()
				code, out, errs := runCmd(t, "", nil, append(args, f...)...)
				if code != 0 {
					t.Fatalf("%v: exit %d\n%s%s", args, code, out, errs)
				}
				return out
			}
			const subjects = 300
			cmd("demo", "--subjects", fmt.Sprint(subjects), "--records", "200")
			out := cmd("org", "add", "--kind", "region", "--name", "陕西省", "--region", "610000")
			region := regexp.MustCompile(`created organisation (\d+)`).FindStringSubmatch(out)[1]
			out = cmd("org", "add", "--parent", region, "--kind", "dept", "--name", "陕西省财政厅", "--uscc", storetest.USCC("11", "610000", 42))
			dept := regexp.MustCompile(`created organisation (\d+)`).FindStringSubmatch(out)[1]
			out = cmd("client", "add", "--org", dept, "--name", "采购系统", "--scopes", "checks:run")
			key := regexp.MustCompile(`key \(shown once\): (xyk_\S+)`).FindStringSubmatch(out)[1]
			codes, _ := demoCodes(1, subjects, 100)

			base, srv, logs := startServe(t, append([]string{"--api-rate", "0"}, f...)...)
			const clients = 12
			var mu sync.Mutex
			answered := map[int64]int{} // id → subjects asked
			stop := make(chan struct{})
			var wg sync.WaitGroup
			client := &http.Client{Timeout: 30 * time.Second}
			for c := range clients {
				wg.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						var qs []check.Query
						for j := range 1 + i%3 {
							qs = append(qs, check.Query{Code: codes[(c*31+i*7+j)%len(codes)]})
						}
						body, _ := json.Marshal(check.Request{Scenario: "procurement", CaseNo: fmt.Sprintf("K-%d-%d", c, i), Subjects: qs})
						req, _ := http.NewRequest("POST", base+"/api/v1/checks", bytes.NewReader(body))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Authorization", "Bearer "+key)
						resp, err := client.Do(req)
						if err != nil {
							return // the server is gone
						}
						b, err := io.ReadAll(resp.Body)
						resp.Body.Close()
						if err != nil || resp.StatusCode != 200 {
							if err == nil {
								t.Errorf("check: %d %s", resp.StatusCode, b)
							}
							return
						}
						var res check.Response
						if err := json.Unmarshal(b, &res); err != nil || res.ID == 0 {
							t.Errorf("answer without an id: %v %s", err, b)
							return
						}
						mu.Lock()
						answered[res.ID] = len(qs)
						mu.Unlock()
					}
				})
			}
			// Kill once enough checks were answered, with the clients
			// still sending.
			deadline := time.Now().Add(60 * time.Second)
			for {
				mu.Lock()
				n := len(answered)
				mu.Unlock()
				if n >= 200 || time.Now().After(deadline) {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			srv.Process.Signal(syscall.SIGKILL)
			srv.Wait()
			close(stop)
			wg.Wait()
			if len(answered) < 200 {
				t.Fatalf("only %d checks answered in 60 s; logs:\n%s", len(answered), logs)
			}

			c := config.Config{Data: f[len(f)-1]}
			if f[0] == "--db" {
				c.DB = f[1]
			}
			s, _, err := app.Open(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), false)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			entries := map[string]int{}
			if err := s.ScanAudit(context.Background(), func(e auth.AuditEntry) error {
				if strings.HasPrefix(e.Target, "check:") {
					entries[e.Target]++
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			for id, n := range answered {
				if _, err := s.GetCheck(context.Background(), id); err != nil {
					t.Errorf("answered check %d missing after the kill: %v", id, err)
				}
				if got := entries[fmt.Sprintf("check:%d", id)]; got < 1 || got > n {
					t.Errorf("answered check %d: %d audit entries, want 1 to %d", id, got, n)
				}
			}
			if out := cmd("audit", "verify"); !strings.Contains(out, "audit trail intact") {
				t.Errorf("audit verify after the kill:\n%s", out)
			}
			t.Logf("%d answered checks found after SIGKILL", len(answered))
		})
	}
}
