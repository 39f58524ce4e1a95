package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/portal"
)

const snapshotUsage = "snapshot [--day YYYY-MM-DD] [--data DIR | --db DSN]\n\n" +
	"Takes the public snapshot of a day (default today, China): every record of an organisation the portal shows\n" +
	"that day, and its delta from the latest snapshot before; both are served at /api/v1/snapshots with their\n" +
	"SHA-256. serve takes today's by itself; taking a day again replaces it."

func runSnapshot(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "snapshot", snapshotUsage)
	day := fs.String("day", "", "the day (default today in China)")
	c, log, err := setup(env, fs, args, config.Intake)
	if err != nil {
		return err
	}
	d := calendar.Today()
	if *day != "" {
		if d, err = calendar.ParseDate(*day); err != nil {
			return usageError("--day: %v", err)
		}
	}
	s, keys, err := app.Open(ctx, c, log, false)
	if err != nil {
		return err
	}
	defer s.Close()
	cat, err := app.Catalog(c)
	if err != nil {
		return err
	}
	sn := &exchange.Snapshots{Store: s, Catalog: cat, Portal: &portal.Service{Store: s, Catalog: cat, Keys: keys}}
	p, err := sn.Take(ctx, d)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "snapshot %s: %d records, sha256 %s\n", p.Day, p.Records, p.SHA256)
	if p.BaseDay != "" {
		fmt.Fprintf(env.stdout, "delta from %s: %d added, %d removed, sha256 %s\n", p.BaseDay, p.Added, p.Removed, p.DeltaSHA256)
	}
	return nil
}

// followSnapshots takes today's public snapshot when there is none, every
// hour (a day's first check takes it).
func followSnapshots(ctx context.Context, sn *exchange.Snapshots, log *slog.Logger) {
	for {
		today := calendar.Today()
		if _, err := sn.Store.GetSnapshot(ctx, today.String()); err != nil && ctx.Err() == nil {
			start := time.Now()
			if p, err := sn.Take(ctx, today); err != nil {
				log.Error("public snapshot", "day", today.String(), "err", err)
			} else {
				log.Info("public snapshot", "day", p.Day, "records", p.Records, "added", p.Added, "removed", p.Removed, "took", time.Since(start))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}
