package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/xinyong/xinyong/internal/code"

	"github.com/xinyong/xinyong/internal/store/pgtest"
	"github.com/xinyong/xinyong/internal/store/postgres/postgrestest"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

// newestSchema is the newest schema version the binary knows, read from a
// scratch database, so that the tests need no edit when a migration is
// added.
func newestSchema(t *testing.T) int64 {
	t.Helper()
	s, err := sqlite.Open(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, v, err := s.SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMain(m *testing.M) { os.Exit(mainWithBinary(m)) }

// runCmd runs the binary's commands in-process.
func runCmd(t *testing.T, stdin string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &environ{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	code = run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func TestCodeCheck(t *testing.T) {
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		out   string
	}{
		{"valid", "", []string{"code", "check", "91350100M000100Y43"}, 0, "91350100M000100Y43\tvalid\tuscc\t\n"},
		{"invalid says what it should be", "", []string{"code", "check", "91350100M000100Y4Z"}, 1, "91350100M000100Y4Z\tinvalid\tuscc\tbad character 'Z' at position 18; check character should be 3\n"},
		{"placeholder is not valid", "", []string{"code", "check", "00000000000000000X"}, 1, "00000000000000000X\tplaceholder\tuscc\tplaceholder for a sole trader without a code\n"},
		{"several, one bad", "", []string{"code", "check", "91110000600037341L", "11010519491231002X", "110108000000016", "600037341", "91110000600037341M"}, 1,
			"91110000600037341L\tvalid\tuscc\t\n11010519491231002X\tvalid\tric\t\n110108000000016\tvalid\tgs15\t\n600037341\tvalid\torg\t\n91110000600037341M\tinvalid\tuscc\tcheck character should be L\n"},
		{"stdin, one per line, CRLF", "91350100M000100Y43\r\n121200004013590816\n", []string{"code", "check"}, 0, "91350100M000100Y43\tvalid\tuscc\t\n121200004013590816\tvalid\tuscc\t\n"},
		{"no trimming", "", []string{"code", "check", " 91350100M000100Y43"}, 1, " 91350100M000100Y43\tinvalid\tunknown\twrong length 19, want 9, 10, 15 or 18\n"},
		{"no case folding", "", []string{"code", "check", "--kind", "ric", "11010519491231002x"}, 1, "11010519491231002x\tinvalid\tric\tbad character 'x' at position 18; check character should be X\n"},
		{"kind forced", "", []string{"code", "check", "--kind", "uscc", "11010519491231002X"}, 1, ""},
		{"bad kind is a usage error", "", []string{"code", "check", "--kind", "passport", "x"}, 2, ""},
		{"bad flag is a usage error", "", []string{"code", "check", "--nope"}, 2, ""},
		{"no subcommand", "", []string{"code"}, 2, ""},
		{"unknown subcommand", "", []string{"code", "fix"}, 2, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runCmd(t, c.stdin, nil, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, c.code, errs)
			}
			if c.out != "" && out != c.out {
				t.Errorf("stdout\n%q\nwant\n%q", out, c.out)
			}
		})
	}
}

func TestCodeCheckJSON(t *testing.T) {
	code, out, _ := runCmd(t, "", nil, "code", "check", "--json", "91350100M000100Y4Z", "91350100M000100Y43")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	var r struct {
		Code, Status, Kind, Want string
		Position                 int
		USCC                     struct{ Category, Region string }
	}
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
		t.Fatal(err)
	}
	if r.Status != "invalid" || r.Want != "3" || r.Position != 18 {
		t.Errorf("%+v", r)
	}
	json.Unmarshal([]byte(lines[1]), &r)
	if r.Status != "valid" || r.USCC.Category != "91" || r.USCC.Region != "350100" {
		t.Errorf("%+v", r)
	}
}

func TestHelpAndUsage(t *testing.T) {
	for _, c := range []string{"serve", "migrate", "demo", "version", "code", "evaluate", "inspect"} {
		code, out, errs := runCmd(t, "", nil, c, "--help")
		if code != 0 || errs != "" || !strings.Contains(out, "Usage: xinyong "+c) {
			t.Errorf("%s --help: exit %d, output %q", c, code, out+errs)
		}
	}
	if code, _, errs := runCmd(t, "", nil, "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errs)
	}
	if code, out, _ := runCmd(t, "", nil, "help"); code != 0 || !strings.Contains(out, "code") {
		t.Errorf("help: %d %q", code, out)
	}
	if code, out, _ := runCmd(t, "", nil, "version"); code != 0 || !strings.HasPrefix(out, "xinyong ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, errs := runCmd(t, "", map[string]string{"XINYONG_DEMO_SUBJECTS": "lots"}, "demo"); code != 2 || !strings.Contains(errs, "XINYONG_DEMO_SUBJECTS") {
		t.Errorf("bad env: %d %q", code, errs)
	}
}

// backends gives the storage flags for each backend: SQLite in a fresh
// directory, PostgreSQL in a fresh database at the newest schema (a copy
// of pgtest's template database).
func backends(t *testing.T) map[string]func(t *testing.T) []string {
	return map[string]func(t *testing.T) []string{
		"sqlite": func(t *testing.T) []string { return []string{"--data", t.TempDir()} },
		"postgres": func(t *testing.T) []string {
			return []string{"--db", postgrestest.NewDatabase(t), "--data", t.TempDir()}
		},
	}
}

// emptyBackends is backends with an empty PostgreSQL database, for the
// tests of migrating one.
func emptyBackends(t *testing.T) map[string]func(t *testing.T) []string {
	b := backends(t)
	b["postgres"] = func(t *testing.T) []string { return []string{"--db", pgtest.NewDatabase(t), "--data", t.TempDir()} }
	return b
}

func TestMigrateAndDemo(t *testing.T) {
	t.Parallel()
	for name, flags := range emptyBackends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := flags(t)
			code, out, errs := runCmd(t, "", nil, append([]string{"migrate"}, f...)...)
			if code != 0 || !strings.Contains(out, fmt.Sprintf("schema version %d", newestSchema(t))) {
				t.Fatalf("migrate: %d %q %q", code, out, errs)
			}
			if !strings.Contains(errs, "generated a new data key") {
				t.Errorf("no warning about the generated key: %q", errs)
			}
			code, _, errs = runCmd(t, "", nil, append([]string{"demo", "--subjects", "300", "--seed", "7"}, f...)...)
			if code != 0 || !strings.Contains(errs, " created=300") || !strings.Contains(errs, "records_created=2540") || !strings.Contains(errs, "records_rejected=0") {
				t.Fatalf("demo: %d %q", code, errs)
			}
			// Again: the same data is recognised, nothing is duplicated.
			code, _, errs = runCmd(t, "", nil, append([]string{"demo", "--subjects", "300", "--seed", "7"}, f...)...)
			if code != 0 || !strings.Contains(errs, " created=0") || !strings.Contains(errs, " unchanged=300") || !strings.Contains(errs, "records_unchanged=2540") {
				t.Fatalf("second demo: %d %q", code, errs)
			}
		})
	}
}

func TestRefusesWrongDataKey(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := flags(t)
			env := map[string]string{"XINYONG_DATA_KEY": strings.Repeat("ab", 32)}
			if code, _, errs := runCmd(t, "", env, append([]string{"migrate"}, f...)...); code != 0 {
				t.Fatalf("migrate: %s", errs)
			}
			env["XINYONG_DATA_KEY"] = strings.Repeat("cd", 32)
			code, _, errs := runCmd(t, "", env, append([]string{"demo", "--subjects", "10"}, f...)...)
			if code != 1 || !strings.Contains(errs, "data key is not the one") {
				t.Fatalf("other key: exit %d, %q", code, errs)
			}
			env["XINYONG_DATA_KEY"] = "short"
			if code, _, errs := runCmd(t, "", env, append([]string{"migrate"}, f...)...); code != 1 || !strings.Contains(errs, "XINYONG_DATA_KEY") {
				t.Fatalf("bad key: exit %d, %q", code, errs)
			}
		})
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runCmd(t, "", nil, "migrate", "--data", dir); code != 0 {
		t.Fatal(errs)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "xinyong.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, cmd := range []string{"migrate", "demo", "serve"} {
		args := []string{cmd, "--data", dir}
		if cmd == "serve" {
			args = append(args, "--addr", "127.0.0.1:0")
		}
		code, _, errs := runCmd(t, "", nil, args...)
		if code != 1 || !strings.Contains(errs, "newer than this binary") || !strings.Contains(errs, "999") {
			t.Errorf("%s on a newer schema: exit %d, %q", cmd, code, errs)
		}
	}
}

// codeUSCC builds a valid USCC from its first 8 characters and the 8-char
// org-code body.
func codeUSCC(prefix, body string) (string, error) {
	oc, err := code.OrgCheckChar(body)
	if err != nil {
		return "", err
	}
	s := prefix + body + string(oc)
	c, err := code.USCCCheckChar(s)
	return s + string(c), err
}

// TestServeListsFile: an operator's lists file replaces the built-in one and
// is checked against the catalogue before the server starts.
func TestServeListsFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "lists.json")
	os.WriteFile(bad, []byte(`{"scenarios": [], "list_types": [{"code": "x", "kind": "zz", "name": "无此名单", "class": "serious", "basis": "b", "authority": "a"}], "measures": []}`), 0o644)
	code, _, errs := runCmd(t, "", nil, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--lists", bad)
	if code != 1 || !strings.Contains(errs, "--lists") || !strings.Contains(errs, "zz") {
		t.Errorf("a bad lists file: exit %d %q", code, errs)
	}
	code, _, errs = runCmd(t, "", nil, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--lists", filepath.Join(dir, "missing.json"))
	if code != 1 || !strings.Contains(errs, "--lists") {
		t.Errorf("a missing lists file: exit %d %q", code, errs)
	}
}
