package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// TestAccessEndToEnd sets up an organisation, an administrator and a
// department's API key with the real commands, signs in and submits
// records through the real server, then proves that audit verify finds an
// entry edited behind the append-only guard. On both backends.
func TestAccessEndToEnd(t *testing.T) {
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
			cmd("migrate")
			out := cmd("org", "add", "--kind", "region", "--name", "陕西省", "--region", "610000")
			region := regexp.MustCompile(`created organisation (\d+)`).FindStringSubmatch(out)[1]
			deptUSCC := storetest.USCC("11", "610000", 42)
			out = cmd("org", "add", "--parent", region, "--kind", "dept", "--name", "陕西省市场监督管理局", "--uscc", deptUSCC)
			dept := regexp.MustCompile(`created organisation (\d+)`).FindStringSubmatch(out)[1]
			if code, _, errs := runCmd(t, "", nil, append([]string{"org", "add", "--parent", dept, "--kind", "dept", "--name", "科室", "--uscc", storetest.USCC("11", "610000", 43)}, f...)...); code != 2 || !strings.Contains(errs, "部门") {
				t.Errorf("an organisation below a department: exit %d %s", code, errs)
			}
			out = cmd("user", "add", "--login", "admin", "--name", "管理员", "--role", "admin")
			password := regexp.MustCompile(`password \(shown once\): (\S+)`).FindStringSubmatch(out)[1]
			out = cmd("client", "add", "--org", dept, "--name", "处罚系统", "--scopes", "records:submit:cf")
			key := regexp.MustCompile(`key \(shown once\): (xyk_\S+)`).FindStringSubmatch(out)[1]
			out = cmd("client", "add", "--org", dept, "--name", "审批系统", "--scopes", "checks:run")
			checkKey := regexp.MustCompile(`key \(shown once\): (xyk_\S+)`).FindStringSubmatch(out)[1]
			out = cmd("client", "add", "--org", dept, "--name", "告知承诺系统", "--scopes", "commitments:manage")
			commitKey := regexp.MustCompile(`key \(shown once\): (xyk_\S+)`).FindStringSubmatch(out)[1]
			if out := cmd("org", "list"); !strings.Contains(out, "  陕西省市场监督管理局") {
				t.Errorf("org list:\n%s", out)
			}

			base, srv, _ := startServe(t, f...)
			// Sign in: a Secure, HttpOnly, SameSite session cookie.
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.PostForm(base+"/login", url.Values{"login": {"admin"}, "password": {password}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			cookie := resp.Header.Get("Set-Cookie")
			if resp.StatusCode != http.StatusSeeOther || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "Secure") || !strings.Contains(cookie, "SameSite=Lax") {
				t.Fatalf("sign in: %d %q", resp.StatusCode, cookie)
			}
			req, _ := http.NewRequest("GET", base+"/admin", nil)
			req.Header.Set("Cookie", strings.Split(cookie, ";")[0])
			resp, err = client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), "处罚系统") {
				t.Fatalf("admin page: %d", resp.StatusCode)
			}
			// A department's system submits penalties with its key.
			k, _ := catalog.Default().Kind("cf")
			var recs []map[string]any
			demo.Records(k, demo.RecordOptions{Seed: 5, Rows: 3}, func(row []string) error {
				o := map[string]any{}
				for i, fl := range k.Fields {
					if row[i] != "" {
						o[fl.Code] = row[i]
					}
				}
				o["CF_SJLYDM"] = deptUSCC
				recs = append(recs, o)
				return nil
			})
			payload, _ := json.Marshal(map[string]any{"kind": "cf", "records": recs})
			for _, c := range []struct {
				key  string
				want int
			}{{"", 401}, {key, 200}} {
				req, _ = http.NewRequest("POST", base+"/api/v1/records", bytes.NewReader(payload))
				req.Header.Set("Content-Type", "application/json")
				if c.key != "" {
					req.Header.Set("Authorization", "Bearer "+c.key)
				}
				resp, err = client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != c.want {
					t.Fatalf("POST records with key %v: %d %s", c.key != "", resp.StatusCode, body)
				}
			}
			if !strings.Contains(string(body), `"accepted":3`) {
				t.Fatalf("records not accepted: %s", body)
			}
			// A credit check of the penalised subject through the real server.
			var penalised any
			for _, r := range recs {
				if c, ok := r["CF_XDR_SHXYM"].(string); ok && c != "" && c != "00000000000000000X" && penalised == nil {
					penalised = c
				}
			}
			checkBody, _ := json.Marshal(map[string]any{"scenario": "approval", "case_no": "SP-2026-1",
				"subjects": []map[string]any{{"code": penalised}}})
			req, _ = http.NewRequest("POST", base+"/api/v1/checks", bytes.NewReader(checkBody))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+checkKey)
			resp, err = client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"match":"code"`) || !strings.Contains(string(body), `"verdict":"无限制"`) {
				t.Fatalf("check: %d %s", resp.StatusCode, body)
			}
			// The department's system registers the penalised firm's
			// commitment and records its breach: a 违背信用承诺 record
			// through intake, public at once.
			api := func(path, key string, in any) (int, map[string]any) {
				t.Helper()
				b, _ := json.Marshal(in)
				req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var out map[string]any
				json.NewDecoder(resp.Body).Decode(&out)
				return resp.StatusCode, out
			}
			var penalisedName any
			for _, r := range recs {
				if r["CF_XDR_SHXYM"] == penalised {
					penalisedName = r["CF_XDR_MC"]
				}
			}
			code, made := api("/api/v1/commitments", commitKey, map[string]any{"kind": "审批替代型", "matter": "申请食品经营许可",
				"content": "符合许可条件", "liability": "撤销许可", "disclosure": "可向社会公开",
				"promisor": map[string]any{"class": "法人及非法人组织", "code": penalised, "name": penalisedName}})
			if code != 201 || !strings.HasPrefix(fmt.Sprint(made["code"]), "610000") {
				t.Fatalf("register a commitment: %d %v", code, made)
			}
			code, assessed := api(fmt.Sprintf("/api/v1/commitments/%v/assessment", made["id"]), commitKey, map[string]any{"rev": 1,
				"status": "全部未履行", "unfulfilled": "未按承诺补交材料", "pursued": "撤销许可"})
			if code != 200 || assessed["breach_record"] == nil {
				t.Fatalf("assess: %d %v", code, assessed)
			}
			resp, err = client.Get(fmt.Sprintf("%s/records/%v", base, assessed["breach_record"]))
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), "违背信用承诺") || !strings.Contains(string(body), fmt.Sprint(made["code"])) {
				t.Errorf("the breach record: %d", resp.StatusCode)
			}
			srv.Process.Kill()
			srv.Wait()

			out = cmd("audit", "verify")
			if !strings.Contains(out, "audit trail intact") {
				t.Fatalf("audit verify: %s", out)
			}
			if out := cmd("audit", "list"); !strings.Contains(out, "record.submit") || !strings.Contains(out, "signin") || !strings.Contains(out, "system:cli") ||
				!strings.Contains(out, "SP-2026-1") {
				t.Errorf("audit list:\n%s", out)
			}
			// Someone with the database owner's rights edits an entry.
			var db *sql.DB
			if name == "sqlite" {
				db, err = sql.Open("sqlite", filepath.Join(f[1], "xinyong.db"))
			} else {
				db, err = sql.Open("pgx", f[1])
			}
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`UPDATE audit_log SET detail = 'x' WHERE seq = 2`); err == nil {
				t.Error("the append-only guard let an UPDATE through")
			}
			drop := `DROP TRIGGER audit_log_no_update`
			if name != "sqlite" {
				drop = `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`
			}
			if _, err := db.Exec(drop); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`UPDATE audit_log SET outcome = 'ok', detail = '管理员改过' WHERE seq = 2`); err != nil {
				t.Fatal(err)
			}
			code, out, _ = runCmd(t, "", nil, append([]string{"audit", "verify"}, f...)...)
			if code != 1 || !strings.Contains(out, "BROKEN") || !strings.Contains(out, "entry 2") {
				t.Errorf("audit verify after an edit: exit %d %s", code, out)
			}
		})
	}
}
