package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/check"
	"github.com/xinyong/xinyong/internal/commitment"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/market"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store"
)

const marketUsage = `Usage: xinyong market verify-draw FILE|-

verify-draw runs a marketplace selection again from what the platform published (FILE is the project's
selection: /market/projects/ID/draw.json, or the body of GET /api/v1/market/projects/ID/selection; - reads
standard input): for every draw it checks the seed against the hash published with the notice before anyone
enrolled, selects again from the published candidates (bids, scores, grades) and compares the winners. It
prints each draw; exit 0 when every draw that stands gives the published winners, 1 otherwise.`

// sweepEvery is how often the server applies the marketplace's automatic
// steps (close, select, auto-confirm, dishonesty shown and exit).
const sweepEvery = time.Minute

// serveMarket is the server's marketplace, its automatic steps run every
// sweepEvery until ctx ends.
func serveMarket(ctx context.Context, s store.Store, authz *auth.Authorizer, im *ingest.Importer, checks *check.Service,
	ev *evaluation.Service, clock deadline.Clock, keys *pii.Keyring, log *slog.Logger) *market.Service {
	m := &market.Service{Store: s, Auth: authz, Importer: im, Checker: checks.Checker, Evaluation: ev, Clock: clock, Keys: keys,
		Commitments: &commitment.Service{Store: s, Auth: authz, Importer: im}}
	go func() {
		t := time.NewTicker(sweepEvery)
		defer t.Stop()
		for {
			if p, a, err := m.Sweep(ctx); err != nil && ctx.Err() == nil {
				log.Error("market sweep", "err", err)
			} else if p+a > 0 {
				log.Info("market sweep", "projects", p, "agencies", a)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return m
}

// publishedDraws is the published selection as verify-draw reads it.
type publishedDraws struct {
	Project  string        `json:"project"`
	SeedHash string        `json:"seed_hash"`
	Draws    []market.Draw `json:"draws"`
	Winners  []string      `json:"winners"`
}

func runMarket(ctx context.Context, env *environ, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.stderr, marketUsage)
		if len(args) > 0 {
			return nil
		}
		return &exitError{code: 2}
	}
	if args[0] != "verify-draw" {
		return usageError("unknown market subcommand %q\n\n%s", args[0], marketUsage)
	}
	if len(args) != 2 {
		return usageError("market verify-draw takes one FILE\n\n%s", marketUsage)
	}
	var r io.Reader = env.stdin
	if args[1] != "-" {
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	var pub publishedDraws
	if err := json.NewDecoder(io.LimitReader(r, 16<<20)).Decode(&pub); err != nil {
		return fmt.Errorf("%s: not a published selection: %w", args[1], err)
	}
	if len(pub.Draws) == 0 {
		return fmt.Errorf("%s: project %s has no draw yet", args[1], pub.Project)
	}
	bad := 0
	for i, d := range pub.Draws {
		var codes []string
		for _, c := range d.Input.Candidates {
			s := c.Code
			if c.Bid > 0 {
				s += "=" + market.Yuan(c.Bid)
			}
			codes = append(codes, s)
		}
		fmt.Fprintf(env.stdout, "draw %d  %s  %s  seed %s (SHA-256 %s)\n  candidates %s\n", i+1, d.Input.Project, d.Input.Method.Label(),
			d.Input.Seed, d.SeedHash, strings.Join(codes, " "))
		err := market.Verify(d.Input, d.SeedHash, d.Result.Winners)
		switch {
		case d.Void != "" && err == nil:
			fmt.Fprintf(env.stdout, "  voided (%s); re-run gives the same winners %s\n", d.Void, strings.Join(d.Result.Winners, " "))
		case d.Void != "":
			fmt.Fprintf(env.stdout, "  voided (%s); DIFFERS: %v\n", d.Void, err)
		case err != nil:
			bad++
			fmt.Fprintf(env.stdout, "  DIFFERS: %v\n", err)
		default:
			fmt.Fprintf(env.stdout, "  verified: winners %s\n", strings.Join(d.Result.Winners, " "))
		}
	}
	if bad > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d draw(s) do not verify", bad)}
	}
	return nil
}
