package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBenchPortal runs a small bench portal with the real binary (it
// starts itself as the server) on each backend. It asserts that every
// scenario ran and got only 2xx responses, never how fast.
func TestBenchPortal(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			args := append([]string{"bench", "portal", "--subjects", "3000", "--records", "2000", "--duration", "1s", "--warmup", "0s",
				"--clients", "4", "--json"}, flags(t)...)
			cmd := exec.CommandContext(ctx, binary, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v\nstdout %s\nstderr %s", err, stdout.String(), stderr.String())
			}
			var r portalReport
			if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
				t.Fatalf("%v in %q", err, stdout.String())
			}
			if r.Driver != name || r.Subjects != 3000 || r.Records != 2540 /* 2,000 records, 140 list entries, 200 integrity events and 200 registrations */ || !r.Loaded || r.DBBytes <= 0 || r.Failed {
				t.Errorf("report: %+v", r)
			}
			if r.Inputs.Subjects == 0 || r.Inputs.Queries2 == 0 || r.Inputs.Queries4 == 0 {
				t.Errorf("inputs: %+v", r.Inputs)
			}
			want := []string{"subject_page", "subject_api", "search_2", "search_4", "search_api_2"}
			if len(r.Scenarios) != len(want) {
				t.Fatalf("%d scenarios, want %d: %+v", len(r.Scenarios), len(want), r.Scenarios)
			}
			for i, s := range r.Scenarios {
				if s.Name != want[i] {
					t.Errorf("scenario %d is %q, want %q", i, s.Name, want[i])
				}
				if s.Requests == 0 || s.Errors != 0 || s.Non2xx != 0 || s.Failed || s.Bytes == 0 || s.P99Ms <= 0 {
					t.Errorf("%s: %d requests, %d errors (%s), %d non-2xx (%s), failed %v, %d bytes, p99 %v ms", s.Name, s.Requests,
						s.Errors, s.FirstError, s.Non2xx, s.FirstNon2xx, s.Failed, s.Bytes, s.P99Ms)
				}
			}
			if strings.Contains(stderr.String(), "level=ERROR") {
				t.Errorf("errors logged:\n%s", stderr.String())
			}
		})
	}
}

func TestBenchPortalUsage(t *testing.T) {
	for _, args := range [][]string{{"bench", "portal", "--clients", "0"}, {"bench", "portal", "--duration", "0s"},
		{"bench", "portal", "--subjects", "0"}, {"bench", "portal", "extra"}} {
		if code, _, errs := runCmd(t, "", nil, args...); code != 2 {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
	}
	code, _, errs := runCmd(t, "", nil, "bench")
	if code != 2 || !strings.Contains(errs, "bench import") || !strings.Contains(errs, "bench portal") {
		t.Errorf("bench: exit %d, %q", code, errs)
	}
	code, out, _ := runCmd(t, "", nil, "bench", "portal", "--help")
	if code != 0 || !strings.Contains(out, "Usage: xinyong bench portal") {
		t.Errorf("--help: exit %d, %q", code, out)
	}
}

// TestBenchPortalOpenLoop runs bench portal --rate with the check
// scenarios and profiles: every scenario chosen ran at the rate with only
// 2xx answers, the server's RSS and CPU per request were read, and a
// profile per scenario was saved. Never how fast.
func TestBenchPortalOpenLoop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	prof := t.TempDir()
	cmd := exec.CommandContext(ctx, binary, "bench", "portal", "--subjects", "2000", "--records", "1000", "--duration", "1s", "--warmup", "0s",
		"--rate", "50,check_code=20", "--checks", "--scenarios", "subject_page,check_code,check_batch,mixed", "--sample-every", "500ms",
		"--cache-size", "8MiB", "--profile", prof, "--json", "--data", t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\nstdout %s\nstderr %s", err, stdout.String(), stderr.String())
	}
	var r portalReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("%v in %q", err, stdout.String())
	}
	want := map[string]float64{"subject_page": 50, "check_code": 20, "mixed": 50}
	var names []string
	for _, s := range r.Scenarios {
		names = append(names, s.Name)
		if s.Name == "check_batch" {
			if s.Requests == 0 || s.Failed {
				t.Errorf("check_batch: %+v", s.LoadResult)
			}
			continue
		}
		o := s.Open
		if o == nil || o.Offered != want[s.Name] || o.Requests < int(want[s.Name])/2 || o.Errors+o.Non2xx != 0 || s.Failed || o.P99Ms <= 0 {
			t.Errorf("%s: %+v, failed %v", s.Name, o, s.Failed)
			continue
		}
		if len(s.ServerRSS) < 2 || s.ServerRSS[0].RSS == 0 || s.CPUPerRequestMs <= 0 {
			t.Errorf("%s: RSS samples %+v, CPU per request %v ms", s.Name, s.ServerRSS, s.CPUPerRequestMs)
		}
		if _, err := os.Stat(filepath.Join(prof, s.Name+".cpu.pprof")); err != nil {
			t.Errorf("%s: no CPU profile: %v", s.Name, err)
		}
	}
	if strings.Join(names, ",") != "subject_page,check_code,check_batch,mixed" {
		t.Errorf("scenarios run: %v", names)
	}
}

func TestBenchPortalOpenLoopUsage(t *testing.T) {
	for _, args := range [][]string{{"bench", "portal", "--rate", "fast"}, {"bench", "portal", "--rate", "10,check_code=-1"},
		{"bench", "portal", "--rate", "10", "--scenarios", "nope", "--subjects", "1"}, {"bench", "portal", "--sample-every", "0s"}} {
		if code, _, errs := runCmd(t, "", nil, append(args, "--data", t.TempDir())...); code != 2 {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
	}
}

// TestPortalScenarioNames keeps --scenarios' list equal to the scenarios
// built.
func TestPortalScenarioNames(t *testing.T) {
	in := portalInputs{usccs: []string{"x"}, queries2: []string{"xx"}, queries4: []string{"xxxx"}}
	all := append(portalScenarios(in), checkScenarios(checkInputs{key: "k", codes: []string{"x"}, names: []string{"n"}})...)
	all = append(all, mixedScenario(all))
	var names []string
	for _, sc := range all {
		names = append(names, sc.Name)
	}
	if strings.Join(names, ",") != strings.Join(portalScenarioNames, ",") {
		t.Errorf("scenarios built %v, --scenarios knows %v", names, portalScenarioNames)
	}
	if m := all[len(all)-1]; len(m.mix) != 5 {
		t.Errorf("mixed takes %d scenarios in turn, want 5", len(m.mix))
	}
}
