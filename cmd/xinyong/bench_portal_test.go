package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
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
			if r.Driver != name || r.Subjects != 3000 || r.Records != 2140 /* 2,000 records and 140 list entries */ || !r.Loaded || r.DBBytes <= 0 || r.Failed {
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
	code, _, errs = runCmd(t, "", nil, "bench", "portal", "--help")
	if code != 0 || !strings.Contains(errs, "Usage: xinyong bench portal") {
		t.Errorf("--help: exit %d, %q", code, errs)
	}
}
