package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"golang.org/x/term"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/bench"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

const benchEvaluateSynopsis = "bench evaluate [--subjects N] [--records N] [--seed N] [--day YYYY-MM-DD] [--json] [--data DIR | --db DSN]\n\n" +
	"Evaluates every subject of the database twice as xinyong evaluate does, timing each run and sampling memory:\n" +
	"first with no stored results (every result written), then again (nothing changed: read, scored, compared).\n" +
	"When the database holds fewer than --subjects subjects, demo data is loaded first (--records 行政许可 and\n" +
	"行政处罚 records, as bench portal does); without --data or --db a temporary SQLite database is used and\n" +
	"removed afterwards. Stored evaluation results, runs and grade events of the database are deleted first.\n" +
	"Loading 1,000,000 subjects and 5,000,000 records takes some 13 minutes: keep the data directory (--data)\n" +
	"to measure again, and delete it afterwards."

// benchEvaluateRun is one run's figures.
type benchEvaluateRun struct {
	Name           string  `json:"name"`
	Seconds        float64 `json:"seconds"`
	Subjects       int     `json:"subjects"`
	Changed        int     `json:"changed"`
	SubjectsPerSec float64 `json:"subjects_per_sec"`
	SubjectsPerMin float64 `json:"subjects_per_min"`
	bench.Memory
}

// benchEvaluateReport is what bench evaluate --json prints.
type benchEvaluateReport struct {
	Driver      string             `json:"driver"`
	Database    string             `json:"database"`
	Subjects    int64              `json:"subjects"`
	Records     int                `json:"records"`
	Loaded      bool               `json:"loaded"`
	LoadSeconds float64            `json:"load_seconds,omitempty"`
	Day         string             `json:"day"`
	Model       string             `json:"model"`
	CPUs        int                `json:"cpus"`
	GOMAXPROCS  int                `json:"gomaxprocs"`
	GoVersion   string             `json:"go_version"`
	Runs        []benchEvaluateRun `json:"runs"`
	Notes       []string           `json:"notes"`
}

func runBenchEvaluate(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "bench evaluate", benchEvaluateSynopsis)
	subjects := fs.Int("subjects", 1000000, "how many subjects the database should hold; fewer: demo data is loaded first")
	records := fs.Int("records", 5000000, "how many 行政许可 and 行政处罚 records the demo data loaded has")
	seed := fs.Int64("seed", 1, "random seed of the demo data")
	dayFlag := fs.String("day", "", "the day to evaluate on (default today)")
	asJSON := fs.Bool("json", false, "print the figures as one JSON object")
	var prof benchProfiles
	fs.StringVar(&prof.cpu, "cpuprofile", "", "write a CPU profile of the first run to this file")
	fs.StringVar(&prof.mem, "memprofile", "", "write a heap profile taken at the end of the first run to this file")
	hideFlags(env, fs, benchEvaluateSynopsis, "cpuprofile", "memprofile")
	c, log, err := setup(env, fs, args, config.Evaluate)
	if err != nil {
		return err
	}
	if *subjects < 1 || *records < 0 {
		return usageError("--subjects must be at least 1 and --records not negative")
	}
	day, err := dayOf(*dayFlag)
	if err != nil {
		return err
	}
	rep := &benchEvaluateReport{Driver: "sqlite", Day: day.String(), CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion: runtime.Version(), Notes: []string{}}
	dataGiven := env.getenv("XINYONG_DATA") != ""
	fs.Visit(func(f *flag.Flag) { dataGiven = dataGiven || f.Name == "data" })
	switch {
	case c.DB != "":
		rep.Driver, rep.Database = "postgres", redactDSN(c.DB)
	case dataGiven:
		rep.Database = c.Data
	default:
		work, err := os.MkdirTemp("", "xinyong-bench-evaluate-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(work)
		c.Data = filepath.Join(work, "data")
		rep.Database = "(temporary)"
	}
	out := env.stdout
	if *asJSON {
		out = io.Discard
	}
	if err := benchEvaluateData(ctx, env, log, c, rep, *subjects, *records, *seed); err != nil {
		return err
	}
	if err := clearEvaluations(ctx, c); err != nil {
		return fmt.Errorf("clear stored evaluations: %w", err)
	}
	s, _, err := app.Open(ctx, c, log, true)
	if err != nil {
		return err
	}
	defer s.Close()
	ev, err := evaluationService(c, s)
	if err != nil {
		return err
	}
	ev.Log = slog.New(slog.DiscardHandler)
	rep.Model = ev.Model.Key
	fmt.Fprintf(out, "driver %s  database %s  subjects %s  records %s  cpus %d  GOMAXPROCS %d  %s\n", rep.Driver, rep.Database,
		thousands(float64(rep.Subjects)), thousands(float64(rep.Records)), rep.CPUs, rep.GOMAXPROCS, rep.GoVersion)
	for i, name := range []string{"first (every result new)", "again (nothing changed)"} {
		if i == 0 && prof.cpu != "" {
			f, err := os.Create(prof.cpu)
			if err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
		}
		m := bench.StartMeter()
		start := time.Now()
		run, err := ev.Run(ctx, day, "bench", nil)
		took := time.Since(start)
		mem := m.Stop()
		if i == 0 && prof.cpu != "" {
			pprof.StopCPUProfile()
		}
		if i == 0 && prof.mem != "" {
			if err := writeHeapProfile(prof.mem); err != nil {
				return err
			}
		}
		if err != nil {
			return err
		}
		r := benchEvaluateRun{Name: name, Seconds: round(took.Seconds(), 2), Subjects: run.Subjects, Changed: run.Changed,
			SubjectsPerSec: round(float64(run.Subjects)/took.Seconds(), 0), SubjectsPerMin: round(60*float64(run.Subjects)/took.Seconds(), 0), Memory: mem}
		rep.Runs = append(rep.Runs, r)
		fmt.Fprintf(out, "%-26s %8s subjects in %7.2f s  %9s subjects/s  %10s/min  changed %s  peak heap %s  max RSS %s\n", r.Name,
			thousands(float64(r.Subjects)), r.Seconds, thousands(r.SubjectsPerSec), thousands(r.SubjectsPerMin), thousands(float64(r.Changed)),
			mib(int64(mem.PeakHeapInuse))+" MiB", mib(int64(mem.MaxRSS))+" MiB")
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(rep)
	}
	return nil
}

// benchEvaluateData loads demo data when the database holds fewer
// subjects than asked, and counts what it holds.
func benchEvaluateData(ctx context.Context, env *environ, log *slog.Logger, c config.Config, rep *benchEvaluateReport, subjects, records int, seed int64) error {
	s, keys, err := app.Open(ctx, c, log, true)
	if err != nil {
		return err
	}
	defer s.Close()
	have, err := countSubjects(ctx, s)
	if err != nil {
		return err
	}
	if have < int64(subjects) {
		log.Info("loading demo data", "driver", s.Dialect(), "have", have, "subjects", subjects, "records", records, "seed", seed)
		im, err := app.Importer(c, s, keys)
		if err != nil {
			return err
		}
		ps := &progressStore{Store: s, total: records, progress: recordProgress(env, log, records)}
		im.Store = ps
		subjProgress := app.LogProgress(log)
		if f, ok := env.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			subjProgress = app.BarProgress(f, subjects)
		}
		start := time.Now()
		if _, _, err := app.LoadDemo(ctx, s, subjects, seed, subjProgress, im, records); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		rep.Loaded, rep.LoadSeconds = true, round(time.Since(start).Seconds(), 1)
		if c.DB != "" {
			if err := postgresExec(ctx, c.DB, "ANALYZE"); err != nil {
				return fmt.Errorf("analyze: %w", err)
			}
			rep.Notes = append(rep.Notes, "ANALYZE run after loading (not in the load time)")
		}
		if have, err = countSubjects(ctx, s); err != nil {
			return err
		}
	}
	rep.Subjects = have
	stats, err := s.IntakeStats(ctx, store.IntakeFilter{})
	if err != nil {
		return err
	}
	for _, r := range stats {
		rep.Records += r.Received
	}
	return nil
}

// clearEvaluations deletes the stored results, runs and grade events, so
// that the first run writes every result.
func clearEvaluations(ctx context.Context, c config.Config) error {
	const stmts = `DELETE FROM evaluations; DELETE FROM evaluation_history; DELETE FROM evaluation_runs; DELETE FROM changes WHERE type = 'grade'`
	if c.DB != "" {
		return postgresExec(ctx, c.DB, stmts)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(c.Data, sqlite.FileName)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmts)
	return err
}
