package market_test

import (
	"context"
	"errors"
	"testing"

	"github.com/xinyong/xinyong/internal/market"
	"github.com/xinyong/xinyong/internal/store"
)

// TestApplyExactlyOnce kills an application between signing the integrity
// commitment and storing it on the application (the Crash hook), twice,
// then lets it finish: the agency has exactly one commitment, the one its
// application names. A refused agency that applies again signs a new one.
func TestApplyExactlyOnce(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			env := newEnv(t, b.open(t))
			svc := env.Svc
			a := env.Firm(t, 3, "西安丙工程咨询有限公司")
			killed := errors.New("killed")
			crashes := 2
			svc.Crash = func(point string) error {
				if point == "apply:signed" && crashes > 0 {
					crashes--
					return killed
				}
				return nil
			}
			for i := 0; i < 2; i++ {
				if _, err := svc.Apply(ctx, a, env.Application(repA)); !errors.Is(err, killed) {
					t.Fatalf("apply %d: %v, want the crash", i, err)
				}
				sa, err := env.S.MarketAgencyOf(ctx, a.SubjectID)
				if err != nil || sa.State != market.AgencyApplied {
					t.Fatalf("after the crash: %+v %v", sa, err)
				}
				// The operator cannot pass an application without its commitment.
				if _, err := svc.Review(ctx, env.Operator, sa.ID, "accept", nil, ""); err == nil {
					t.Fatal("an application without its commitment was accepted")
				}
			}
			v, err := svc.Apply(ctx, a, env.Application(repA))
			if err != nil {
				t.Fatal(err)
			}
			cs, err := env.S.ListCommitments(ctx, store.CommitmentFilter{SubjectID: a.SubjectID})
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != 1 || cs[0].ID != v.Body.CommitmentID || v.Body.Attempt != 1 {
				t.Fatalf("commitments %d (want 1, id %d, attempt %d): %+v", len(cs), v.Body.CommitmentID, v.Body.Attempt, cs)
			}
			if v.Body.Timer.Step != "market.agency_check" {
				t.Fatalf("the form check did not start: %+v", v.Body.Timer)
			}
			n := 0
			for _, e := range v.Body.History {
				if e.Action == "提交入驻申请" || e.Action == "签署守信承诺" {
					n++
				}
			}
			if n != 2 {
				t.Fatalf("history %+v", v.Body.History)
			}
			// Applying again while the application runs is refused.
			if _, err := svc.Apply(ctx, a, env.Application(repA)); err == nil {
				t.Fatal("a second application was accepted")
			}
			// Refused, the agency applies again: a new attempt, a new commitment.
			if _, err := svc.Review(ctx, env.Operator, v.A.ID, "refuse", nil, "资质证书不清晰"); err != nil {
				t.Fatal(err)
			}
			v2, err := svc.Apply(ctx, a, env.Application(repA))
			if err != nil {
				t.Fatal(err)
			}
			cs, _ = env.S.ListCommitments(ctx, store.CommitmentFilter{SubjectID: a.SubjectID})
			if len(cs) != 2 || v2.Body.Attempt != 2 || v2.Body.CommitmentID == v.Body.CommitmentID {
				t.Fatalf("second application: attempt %d, commitments %d", v2.Body.Attempt, len(cs))
			}
		})
	}
}
