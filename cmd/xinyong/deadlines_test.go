package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeDeadlinesFile: serve refuses a deadlines file with a mistake,
// naming the option, the step and the field, and runs with a good one.
func TestServeDeadlinesFile(t *testing.T) {
	dir := t.TempDir()
	step := func(days string) string {
		return `{"steps": [{"key": "objection.decide", "name": "异议核查处理", "working_days": ` + days +
			`, "remind_days": 1, "escalate_every": 2, "basis": "本省规定"}]}`
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(step("0")), 0o644)
	code, _, errs := runCmd(t, "", nil, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--deadlines", bad)
	if code != 1 || !strings.Contains(errs, "--deadlines") || !strings.Contains(errs, "objection.decide") || !strings.Contains(errs, "working_days") {
		t.Errorf("a bad deadlines file: exit %d %q", code, errs)
	}
	code, _, errs = runCmd(t, "", nil, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--deadlines", filepath.Join(dir, "missing.json"))
	if code != 1 || !strings.Contains(errs, "--deadlines") {
		t.Errorf("a missing deadlines file: exit %d %q", code, errs)
	}
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(step("3")), 0o644)
	startServe(t, "--data", t.TempDir(), "--deadlines", good)
}
