package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/market"
)

// TestMarketServe runs the real binary on each backend: the marketplace's
// page and API answer, and the sweep of its automatic steps runs at start
// without error.
func TestMarketServe(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			base, cmd, logs := startServe(t, flags(t)...)
			if code, body, _ := httpGet(base + "/market"); code != 200 || !strings.Contains(body, "网上中介服务超市") {
				t.Errorf("/market %d", code)
			}
			if code, body, _ := httpGet(base + "/api/v1/market/agencies"); code != 200 || !strings.Contains(body, `"agencies":[]`) {
				t.Errorf("/api/v1/market/agencies %d %s", code, body)
			}
			if code, _, _ := httpGet(base + "/api/v1/market/projects/1"); code != 404 {
				t.Errorf("an unknown project: %d", code)
			}
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("no exit after SIGTERM")
			}
			if strings.Contains(logs.String(), "market sweep") && strings.Contains(logs.String(), "level=ERROR") {
				t.Errorf("the sweep failed:\n%s", logs)
			}
		})
	}
}

// TestVerifyDraw: the real binary re-runs a published 均价比选 with a
// lottery among tied bids and confirms it; a forged winner is refused.
func TestVerifyDraw(t *testing.T) {
	t.Parallel()
	seed := strings.Repeat("ab", 32)
	hash, _ := market.SeedHash(seed)
	in := market.Input{Method: market.Average, Project: "ZJ00000007", Seed: seed, Candidates: []market.Candidate{
		{Code: "91610113MA6TEST01X", Bid: 900000}, {Code: "91610113MA6TEST02X", Bid: 900000}, {Code: "91610113MA6TEST03X", Bid: 1100000}}}
	res, err := market.Select(in)
	if err != nil || res.Lottery == nil {
		t.Fatalf("%+v %v", res, err)
	}
	write := func(winners []string) string {
		b, _ := json.Marshal(map[string]any{"project": in.Project, "seed_hash": hash, "winners": winners,
			"draws": []market.Draw{{SeedHash: hash, Input: in, Result: market.Result{Winners: winners, Steps: res.Steps}}}})
		p := filepath.Join(t.TempDir(), "draw.json")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out, err := exec.Command(binary, "market", "verify-draw", write(res.Winners)).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "verified: winners "+res.Winners[0]) {
		t.Errorf("verify-draw: %v\n%s", err, out)
	}
	other := "91610113MA6TEST01X"
	if res.Winners[0] == other {
		other = "91610113MA6TEST02X"
	}
	out, err = exec.Command(binary, "market", "verify-draw", write([]string{other})).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "DIFFERS") {
		t.Errorf("a forged draw: %v\n%s", err, out)
	}
}
