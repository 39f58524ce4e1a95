package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"golang.org/x/term"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/integrity"
	"github.com/xinyong/xinyong/internal/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return v
}

func runVersion(_ context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "version", "version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("version takes no arguments")
	}
	fmt.Fprintln(env.stdout, "xinyong", versionString())
	return nil
}

// setup parses the storage flags (and extra) and returns config and logger.
func setup(env *environ, fs *flag.FlagSet, args []string, names []string) (config.Config, *slog.Logger, error) {
	var c config.Config
	if err := config.Bind(fs, &c, env.getenv, names...); err != nil {
		return c, nil, usageError("%v", err)
	}
	if err := parseFlags(fs, args); err != nil {
		return c, nil, err
	}
	if fs.NArg() > 0 {
		return c, nil, usageError("unexpected arguments: %v", fs.Args())
	}
	log, err := app.NewLogger(c, env.stderr)
	if err != nil {
		return c, nil, usageError("%v", err)
	}
	return c, log, nil
}

func runMigrate(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "migrate", "migrate [--data DIR | --db DSN]")
	c, log, err := setup(env, fs, args, config.Storage)
	if err != nil {
		return err
	}
	s, _, err := app.Open(ctx, c, log, true)
	if err != nil {
		return err
	}
	defer s.Close()
	db, _, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "database (%s) at schema version %d\n", s.Dialect(), db)
	return nil
}

func runDemo(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "demo", "demo [--subjects N] [--records N] [--seed N] [--data DIR | --db DSN]")
	c, log, err := setup(env, fs, args, config.Demo)
	if err != nil {
		return err
	}
	if c.DemoSubjects < 1 {
		return usageError("--subjects must be at least 1")
	}
	if c.DemoRecords < 0 {
		return usageError("--records must not be negative")
	}
	s, keys, err := app.Open(ctx, c, log, true)
	if err != nil {
		return err
	}
	defer s.Close()
	im, err := app.Importer(c, s, keys)
	if err != nil {
		return err
	}
	return loadDemo(ctx, env, s, im, c, log)
}

func loadDemo(ctx context.Context, env *environ, s store.Store, im *ingest.Importer, c config.Config, log *slog.Logger) error {
	start := time.Now()
	progress := app.LogProgress(log)
	if f, ok := env.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		progress = app.BarProgress(f, c.DemoSubjects)
	}
	st, rec, err := app.LoadDemo(ctx, s, c.DemoSubjects, c.DemoSeed, progress, im, c.DemoRecords)
	if err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	log.Info("demo data loaded", "driver", s.Dialect(), "subjects", c.DemoSubjects, "created", st.Created,
		"renamed", st.Renamed, "unchanged", st.Unchanged, "records", rec.Rows, "records_created", rec.Accepted,
		"records_unchanged", rec.Unchanged, "records_rejected", len(rec.Rejected), "took", time.Since(start).Round(time.Millisecond))
	if c.DemoRecords > 0 {
		if err := demoWindow(ctx, s, log); err != nil {
			return err
		}
		return demoIntegrityRuns(ctx, s, c, log)
	}
	return nil
}

// demoIntegrityRuns scores the demo's government bodies for each of the
// last 12 finished months, so that the integrity pages have a history.
func demoIntegrityRuns(ctx context.Context, s store.Store, c config.Config, log *slog.Logger) error {
	svc, err := app.Integrity(c, s, &auth.Authorizer{Roles: auth.DefaultRoles(), Log: log}, log)
	if err != nil {
		return err
	}
	start := time.Now()
	last := integrity.MonthOf(calendar.Today()).Add(-1)
	bodies := 0
	for m := last.Add(-11); !last.Before(m); m = m.Add(1) {
		sum, err := svc.Run(ctx, m, integrity.RunOptions{StartedBy: "demo"})
		if err != nil {
			return fmt.Errorf("demo integrity run %s: %w", m, err)
		}
		bodies = sum.Bodies
	}
	log.Info("demo integrity scores", "months", 12, "last", last.String(), "bodies", bodies, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
