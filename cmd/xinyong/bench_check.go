package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/check"
	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/store"
)

// Targets of the credit check API (issue 6).
const (
	checkCodeTarget  = 10 * time.Millisecond  // one subject by code, p99 at 50 clients
	checkBatchTarget = time.Second            // 10,000 codes in one request
	checkNameTarget  = 100 * time.Millisecond // one name-only query, p95
	checkBatchSize   = check.MaxSubjects
	checkBatchRuns   = 3
)

// checkInputs are the check scenarios' parameters.
type checkInputs struct {
	key   string   // an API key with checks:run
	codes []string // up to checkBatchSize USCCs of demo subjects
	names []string // their names, for name-only queries
}

// benchCheckKey makes the department and the API key the check scenarios
// use (idempotent: a new key each run, in one department).
func benchCheckKey(ctx context.Context, s store.Store) (string, error) {
	root, err := s.RootOrg(ctx, auth.Operator.Label())
	if err != nil {
		return "", err
	}
	body := "99999999"
	oc, _ := code.OrgCheckChar(body)
	first := "11610000" + body + string(oc)
	cc, _ := code.USCCCheckChar(first)
	uscc := first + string(cc)
	e := auth.AuditEntry{Actor: "system:bench", Action: auth.AuditOrgChange, Outcome: "ok", Detail: "bench"}
	dept, err := s.FindOrgByUSCC(ctx, uscc)
	if err != nil {
		dept, err = s.CreateOrg(ctx, auth.Org{ParentID: root.ID, Kind: auth.Dept, Name: "性能测试部门", Region: "610000", USCC: uscc}, e)
		if err != nil {
			return "", err
		}
	}
	prefix, secret, key := auth.NewAPIKey()
	e.Action = auth.AuditClientChange
	_, err = s.CreateClient(ctx, auth.APIClient{OrgID: dept.ID, Name: "bench", Scopes: []string{"checks:run"}, Prefix: prefix, SecretSum: auth.TokenHash(secret)}, e)
	return key, err
}

// demoCodes regenerates the demo subjects of seed and returns the codes
// and names of up to n organisations with a USCC among the first of them:
// the same subjects the demo load filed.
func demoCodes(seed int64, subjects, n int) (codes, names []string) {
	demo.Generate(demo.Options{Seed: seed, Subjects: subjects}, func(s credit.Subject) error {
		if len(codes) < n && s.Class == credit.ClassOrg && s.USCC != "" {
			codes, names = append(codes, s.USCC), append(names, s.Name)
		}
		return nil
	})
	return codes, names
}

// checkScenarios are the credit-check scenarios of bench portal --checks.
func checkScenarios(in checkInputs) []*portalScenario {
	h := http.Header{"Authorization": {"Bearer " + in.key}}
	body := func(subjects []check.Query, c, i int) []byte {
		b, _ := json.Marshal(check.Request{Scenario: "procurement", CaseNo: fmt.Sprintf("BENCH-%d-%d", c, i), Subjects: subjects})
		return b
	}
	one := func(c, i int) []byte {
		return body([]check.Query{{Code: in.codes[(c*7919+i)%len(in.codes)]}}, c, i)
	}
	batch := make([]check.Query, 0, checkBatchSize)
	for i := 0; i < checkBatchSize; i++ {
		batch = append(batch, check.Query{Code: in.codes[i%len(in.codes)]})
	}
	many := func(c, i int) []byte { return body(batch, c, i) }
	byName := func(c, i int) []byte {
		return body([]check.Query{{Name: in.names[(c*7919+i)%len(in.names)]}}, c, i)
	}
	path := func(int, int) string { return "/api/v1/checks" }
	mk := func(name, label, request string, target time.Duration, b func(c, i int) []byte) *portalScenario {
		return &portalScenario{portalScenarioResult: portalScenarioResult{Name: name, Label: label, Request: request,
			TargetP99Ms: float64(target) / float64(time.Millisecond)}, target: target, next: path, body: b, header: h}
	}
	code := mk("check_code", "check by code", "POST /api/v1/checks {1 code}", checkCodeTarget, one)
	big := mk("check_batch", "check 10k codes", fmt.Sprintf("POST /api/v1/checks {%d codes}, one client, %d requests", checkBatchSize, checkBatchRuns),
		checkBatchTarget, many)
	big.clients, big.requests = 1, checkBatchRuns
	name := mk("check_name", "check by name", "POST /api/v1/checks {1 name}, 8 clients", checkNameTarget, byName)
	name.clients, name.p95 = 8, true
	return []*portalScenario{code, big, name}
}

// prepareChecks makes the API key and the inputs of the check scenarios.
func prepareChecks(ctx context.Context, c config.Config, log *slog.Logger, seed int64, subjects int) (checkInputs, error) {
	s, _, err := app.Open(ctx, c, log, false)
	if err != nil {
		return checkInputs{}, err
	}
	defer s.Close()
	var in checkInputs
	if in.key, err = benchCheckKey(ctx, s); err != nil {
		return in, err
	}
	in.codes, in.names = demoCodes(seed, subjects, checkBatchSize)
	if len(in.codes) == 0 {
		return in, fmt.Errorf("no demo organisations with a USCC to check")
	}
	return in, nil
}
