package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
)

// TestAuditCheckpoint: commands that append to the audit trail and the
// server (at a graceful stop) anchor its head in DATA/audit.checkpoint;
// audit verify compares the database with it. Deleting the newest entries
// with the triggers dropped leaves a good chain, which the checkpoint
// shows to be short; the checkpoint is not moved by later appends, and a
// copy kept elsewhere, or an edited one, is checked too. On both backends.
func TestAuditCheckpoint(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := flags(t)
			data := f[len(f)-1] // --data DIR comes last
			cmd := func(args ...string) (string, string) {
				t.Helper()
				code, out, errs := runCmd(t, "", nil, append(args, f...)...)
				if code != 0 {
					t.Fatalf("%v: exit %d\n%s%s", args, code, out, errs)
				}
				return out, errs
			}
			verify := func(extra ...string) (int, string) {
				t.Helper()
				code, out, errs := runCmd(t, "", nil, append(append([]string{"audit", "verify"}, extra...), f...)...)
				return code, out + errs
			}
			checkpoint := func() auth.Checkpoint {
				t.Helper()
				cp, found, err := app.ReadCheckpoint(app.CheckpointPath(data))
				if err != nil || !found {
					t.Fatalf("checkpoint: %v, found %v", err, found)
				}
				return cp
			}
			cmd("migrate")
			if _, errs := cmd("user", "add", "--login", "admin", "--role", "admin"); !strings.Contains(errs, "audit checkpoint") {
				t.Errorf("the checkpoint is not logged: %s", errs)
			}
			cp1 := checkpoint()
			cmd("org", "add", "--kind", "region", "--name", "陕西省", "--region", "610000")
			cp2 := checkpoint()
			if cp1.Seq < 1 || cp2.Seq <= cp1.Seq {
				t.Fatalf("checkpoints %d then %d", cp1.Seq, cp2.Seq)
			}
			if code, out := verify(); code != 0 || !strings.Contains(out, fmt.Sprintf("matches the audit checkpoint %s: entry %d", app.CheckpointPath(data), cp2.Seq)) {
				t.Fatalf("audit verify: %d %s", code, out)
			}

			// The server's own appends (a failed sign-in) are anchored when
			// it stops.
			base, srv, logs := startServe(t, f...)
			resp, err := http.PostForm(base+"/login", url.Values{"login": {"admin"}, "password": {"not the password"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("sign-in with a wrong password: %d", resp.StatusCode)
			}
			srv.Process.Signal(syscall.SIGTERM)
			srv.Wait()
			cp3 := checkpoint()
			if cp3.Seq <= cp2.Seq || !strings.Contains(logs.String(), fmt.Sprintf("seq=%d", cp3.Seq)) {
				t.Fatalf("after serve: checkpoint %d (was %d); logs:\n%s", cp3.Seq, cp2.Seq, logs)
			}
			// The operator keeps a copy elsewhere.
			kept := filepath.Join(t.TempDir(), "audit.checkpoint")
			b, _ := os.ReadFile(app.CheckpointPath(data))
			os.WriteFile(kept, b, 0o644)

			// Someone with the database owner's rights deletes the two
			// newest entries around the triggers: the chain left is good.
			var db *sql.DB
			if name == "sqlite" {
				db, err = sql.Open("sqlite", filepath.Join(data, "xinyong.db"))
			} else {
				db, err = sql.Open("pgx", f[1])
			}
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			drop := `DROP TRIGGER audit_log_no_delete`
			if name != "sqlite" {
				drop = `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`
			}
			if _, err := db.Exec(drop); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`DELETE FROM audit_log WHERE seq > $1`, cp3.Seq-2); err != nil {
				t.Fatal(err)
			}
			code, out := verify()
			want := fmt.Sprintf("audit entries %d to %d are missing", cp3.Seq-1, cp3.Seq)
			wantZH := fmt.Sprintf("审计日志缺少第 %d 至第 %d 条", cp3.Seq-1, cp3.Seq)
			if code != 1 || !strings.Contains(out, "audit trail intact") || !strings.Contains(out, want) || !strings.Contains(out, wantZH) {
				t.Fatalf("audit verify after the newest entries were deleted: exit %d\n%s", code, out)
			}

			// Later appends do not move the checkpoint over the gap; once
			// the trail has grown past it again, its entry differs.
			for i, login := range []string{"clerk1", "clerk2", "clerk3"} {
				_, errs := cmd("user", "add", "--login", login, "--role", "admin")
				if !strings.Contains(errs, "audit checkpoint not written") {
					t.Errorf("append %d: the mismatch is not reported: %s", i, errs)
				}
				if cp := checkpoint(); cp != cp3 {
					t.Fatalf("append %d moved the checkpoint: %+v", i, cp)
				}
			}
			code, out = verify()
			if code != 1 || !strings.Contains(out, fmt.Sprintf("audit entry %d differs", cp3.Seq)) || !strings.Contains(out, fmt.Sprintf("审计日志第 %d 条与检查点", cp3.Seq)) {
				t.Fatalf("audit verify after the trail was re-grown: exit %d\n%s", code, out)
			}
			// The copy kept elsewhere says the same, even without the
			// data directory's file.
			os.Rename(app.CheckpointPath(data), app.CheckpointPath(data)+".old")
			if code, out := verify("--checkpoint", kept); code != 1 || !strings.Contains(out, "differs") {
				t.Errorf("audit verify --checkpoint (the copy): exit %d\n%s", code, out)
			}
			// An edited checkpoint, or a missing one that was asked for, fails.
			var edited auth.Checkpoint
			json.Unmarshal(b, &edited)
			edited.Seq--
			b, _ = json.Marshal(edited)
			os.WriteFile(kept, b, 0o644)
			if code, out := verify("--checkpoint", kept); code != 1 || !strings.Contains(out, "signature does not match") {
				t.Errorf("audit verify with an edited checkpoint: exit %d\n%s", code, out)
			}
			if code, out := verify("--checkpoint", kept+".none"); code != 1 || !strings.Contains(out, "does not exist") {
				t.Errorf("audit verify with a missing checkpoint: exit %d\n%s", code, out)
			}
		})
	}
}
