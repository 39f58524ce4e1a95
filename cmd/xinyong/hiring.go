package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/hiring"
)

const hiringUsage = `Usage:
  xinyong hiring erase [--keep-days N] [--data DIR | --db DSN]

erase deletes the personal data (candidates' names and ID numbers, the link to their subjects, the contact) of
every hiring check (789号) closed more than N days ago (default 730: the platform's retention period, see
docs/hiring.md); the request, its document number, the reply's number and the per-candidate result stay, without
anybody's name. Each erasure is in the audit trail. serve does it at start and daily (--hiring-keep-days); run this on demand.`

func runHiring(ctx context.Context, env *environ, args []string) error {
	sub, rest, err := subcommand(env, "hiring", hiringUsage, args, "erase")
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	fs := newFlagSet(env, "hiring "+sub, hiringUsage)
	days := fs.Int("keep-days", int(hiring.DefaultRetention/(24*time.Hour)), "erase: keep closed requests' personal data this many days")
	s, done, err := openAccess(ctx, env, fs, rest)
	if err != nil {
		return err
	}
	defer done()
	if *days < 1 {
		return usageError("--keep-days must be at least 1")
	}
	svc := &hiring.Service{Store: s, Auth: &auth.Authorizer{Roles: auth.DefaultRoles()}}
	n, err := svc.Erase(ctx, time.Duration(*days)*24*time.Hour)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "erased the personal data of %d hiring check(s) closed before %d days ago\n", n, *days)
	return nil
}

// eraser erases hiring checks' personal data (hiring.Service).
type eraser interface {
	Erase(ctx context.Context, keep time.Duration) (int, error)
}

// followHiringErase erases, at start and then every period, the personal
// data of hiring checks closed longer than keep ago (789号 sets no period:
// --hiring-keep-days, two years by default).
func followHiringErase(ctx context.Context, e eraser, keep, every time.Duration, log *slog.Logger) {
	for {
		n, err := e.Erase(ctx, keep)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("hiring erase", "err", err)
		case n > 0:
			log.Info("hiring erase: personal data of closed checks erased", "checks", n, "keep_days", int(keep/(24*time.Hour)))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
