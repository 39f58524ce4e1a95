package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xinyong/xinyong/internal/store/pgtest"
)

// startReplica makes a streaming replica of the server at primary (a
// pg_basebackup of it, -R: a standby) and starts it on a free loopback
// port; it returns its base DSN (without a database).
func startReplica(t *testing.T, primaryPort int) string {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_basebackup")
	if len(bins) == 0 {
		t.Skip("no pg_basebackup")
	}
	bin := filepath.Dir(bins[len(bins)-1])
	// Not t.TempDir: its parent is root's alone, and the server runs as
	// postgres.
	dir, err := os.MkdirTemp("", "xinyong-replica-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root without a postgres user")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		os.Chown(dir, uid, gid)
	}
	data := filepath.Join(dir, "data")
	bb := exec.Command(filepath.Join(bin, "pg_basebackup"), "-D", data, "-R", "-X", "stream", "-c", "fast", "-h", "127.0.0.1", "-p", strconv.Itoa(primaryPort), "-U", "postgres")
	bb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := bb.CombinedOutput(); err != nil {
		t.Fatalf("pg_basebackup: %v: %s", err, out)
	}
	port := freePort(t)
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-k", dir, "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-c", "hot_standby=on",
		"-c", "fsync=off")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	logs := newSyncBuffer()
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGINT); cmd.Wait() })
	base := fmt.Sprintf("postgres://postgres@127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := pgx.Connect(context.Background(), base+"/postgres?sslmode=disable")
		if err == nil {
			conn.Close(context.Background())
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica did not start: %v\n%s", err, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var readsRe = regexp.MustCompile(`xinyong_db_reads_total\{target="(primary|replica)"\} (\d+)`)

func dbReads(t *testing.T, base string) map[string]int {
	_, body, err := httpGet(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, m := range readsRe.FindAllStringSubmatch(body, -1) {
		out[m[1]], _ = strconv.Atoi(m[2])
	}
	return out
}

// TestReadReplica starts a primary and a streaming replica on loopback
// (initdb, pg_basebackup) and serve with --db-replica: the portal answers
// from the replica, a record filed on the primary is shown within the
// refresh interval, and a browser that wrote reads from the primary.
func TestReadReplica(t *testing.T) {
	t.Parallel()
	primary, err := pgtest.Start()
	if err != nil {
		t.Skipf("no PostgreSQL to start: %v", err)
	}
	t.Cleanup(primary.Stop)
	port, _ := strconv.Atoi(regexp.MustCompile(`:(\d+)/`).FindStringSubmatch(primary.DSN)[1])
	conn, err := pgx.Connect(context.Background(), primary.DSN)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(context.Background(), `CREATE DATABASE xy TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`); err != nil {
		t.Fatal(err)
	}
	conn.Close(context.Background())
	dsn := strings.Replace(primary.DSN, "/postgres?", "/xy?", 1)
	flags := []string{"--db", dsn, "--data", t.TempDir()}
	dir := t.TempDir()
	file := filepath.Join(dir, "cf.csv")
	writePenalties(t, file, 40, false, nil)
	p := &platform{name: "primary", flags: flags, port: freePort(t)}
	p.run(t, "import", "--kind", "cf", "--file", file)

	replica := startReplica(t, port) + "/xy?sslmode=disable"
	p.serve = []string{"--db-replica", replica, "--replica-window", "3s"}
	p.start(t)
	before := dbReads(t, p.url())
	if code, _, _ := httpGet(p.url() + "/sgs?kind=cf"); code != 200 {
		t.Fatalf("column page %d", code)
	}
	after := dbReads(t, p.url())
	if after["replica"] <= before["replica"] {
		t.Fatalf("the portal did not read from the replica: %v → %v\n%s", before, after, p.logs)
	}
	// A record filed on the primary shows on the portal (read from the
	// replica) within the refresh interval.
	received := func() int {
		_, body, _ := httpGet(p.url() + "/api/v1/stats/intake")
		var out struct{ Rows []struct{ Received int } }
		json.Unmarshal([]byte(body), &out)
		n := 0
		for _, r := range out.Rows {
			n += r.Received
		}
		return n
	}
	if n := received(); n != 40 {
		_, body, _ := httpGet(p.url() + "/api/v1/stats/intake")
		t.Fatalf("intake statistics read from the replica: %d records, want 40: %s", n, body)
	}
	writePenalties(t, file, 41, false, nil)
	p.run(t, "import", "--kind", "cf", "--file", file)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if received() == 41 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a record filed on the primary is not in the public statistics after 5 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// A browser that wrote reads from the primary for the window.
	resp, err := http.Post(p.url()+"/login", "application/x-www-form-urlencoded", strings.NewReader("login=nobody&password=x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "xinyong_primary" {
			cookie = c
		}
	}
	if cookie == nil || cookie.MaxAge != 3 {
		t.Fatalf("no read-your-writes cookie after a POST: %v", resp.Cookies())
	}
	before = dbReads(t, p.url())
	req, _ := http.NewRequest("GET", p.url()+"/sgs?kind=cf", nil)
	req.AddCookie(cookie)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("page with the cookie: %v", err)
	} else {
		resp.Body.Close()
	}
	after = dbReads(t, p.url())
	if after["replica"] != before["replica"] || after["primary"] <= before["primary"] {
		t.Errorf("a browser that wrote read from the replica: %v → %v", before, after)
	}
}
