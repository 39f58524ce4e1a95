package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchReport runs bench report small: every phase reports its
// figures, and its usage errors are usage errors.
func TestBenchReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errs := runCmd(t, "", nil, "bench", "report", "--data", dir, "--subjects", "300", "--records", "300", "--clients", "4",
		"--reports", "12", "--appends", "300", "--memory-reports", "20", "--json", "--log-level", "warn")
	if code != 0 {
		t.Fatalf("bench report: %d %s", code, errs)
	}
	var r reportBench
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if r.Reports != 12 || r.Latency.P50 <= 0 || r.Latency.P99 < r.Latency.P50 || r.PerSecond <= 0 || r.MeanBytes < 10000 ||
		r.Appends != 300 || r.AppendsPerSec <= 0 || len(r.Memory) != 11 || r.LogSize != 100+12+300+20 {
		t.Errorf("figures: %+v", r)
	}
	for _, args := range [][]string{{"--clients", "0"}, {"--reports", "0"}, {"--appends", "-1"}, {"--nope"}} {
		if code, _, _ := runCmd(t, "", nil, append([]string{"bench", "report", "--data", dir}, args...)...); code != 2 {
			t.Errorf("%s: exit %d, want 2", strings.Join(args, " "), code)
		}
	}
}
