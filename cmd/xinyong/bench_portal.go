package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/bench"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/store"
)

const benchPortalSynopsis = "bench portal [--subjects N] [--records N] [--clients N | --rate N[,SCENARIO=N…]] [--duration D] [--warmup D] [--seed N] [--checks] [--scenarios A,B] [--concurrency N] [--cache-size S] [--name-index=false] [--profile DIR] [--server BINARY] [--json] [--data DIR | --db DSN]\n\n" +
	"Measures the public portal under load: the real server (this binary's serve, started as a child process on a\n" +
	"free loopback port with --search-rate 0) answers closed-loop clients asking for subject pages, the subject API\n" +
	"and name searches of two and four characters, with inputs sampled from the database. Prints requests, req/s,\n" +
	"latency percentiles, errors and non-2xx responses per scenario against the targets (p99 < 20 ms for a subject,\n" +
	"< 50 ms for a search), the server's peak RSS, the database's size and the time demo data took to load.\n\n" +
	"When the database holds fewer subjects than --subjects, demo data (--subjects and --records, as xinyong demo)\n" +
	"is loaded first; otherwise the data there is used as it is, so a second run measures without loading. Without\n" +
	"--data or --db (or their XINYONG_* variables) a new SQLite database in a temporary directory is used and\n" +
	"removed afterwards (the --data default below does not apply). The data key is found as by the other commands.\n" +
	"--concurrency is passed to the server (its read line; by default the server's own default), and so is\n" +
	"--name-index (false: name searches and name-only checks go to the database's full-text index).\n" +
	"--rate measures open loop instead: requests are sent at a constant rate whatever the answers' latency (vegeta's attacker),\n" +
	"as users who do not wait for each other; a default rate and per-scenario rates (--rate 500,check_code=1000). It prints\n" +
	"the rate offered, the rate sent, the 2xx answers per second, exact latency percentiles and the server's RSS (anonymous +\n" +
	"file-backed) sampled every --sample-every, and adds the scenario mixed (subject pages, the subject API, searches and,\n" +
	"with --checks, checks by code in turn) run for --mixed-duration: the server's memory under mixed load.\n" +
	"--scenarios runs only the named scenarios. --profile DIR starts the server with its profiling endpoints on loopback\n" +
	"and saves a CPU profile (warmup and measurement) and a heap profile per scenario there (go tool pprof DIR/NAME.cpu.pprof).\n" +
	"Exits 1 when a scenario has more than 1% errors or non-2xx responses: a benchmark of error pages is worthless."

// Targets of the 99th-percentile latency.
const (
	portalSubjectTarget = 20 * time.Millisecond
	portalSearchTarget  = 50 * time.Millisecond
)

// portalScenarioNames are the scenarios --scenarios may name.
var portalScenarioNames = []string{"subject_page", "subject_api", "search_2", "search_4", "search_api_2", "check_code", "check_batch", "check_name", "mixed"}

// portalSample is how many subjects the inputs are drawn from.
const portalSample = 2000

// portalMaxBad is the share of failed requests (errors and non-2xx) above
// which a scenario fails the run.
const portalMaxBad = 0.01

// portalScenarioResult is one scenario's figures.
type portalScenarioResult struct {
	Name        string  `json:"name"`
	Label       string  `json:"label"`
	Request     string  `json:"request"`
	TargetP99Ms float64 `json:"target_p99_ms"`
	TargetMet   bool    `json:"target_met"`
	bench.LoadResult
	// ServerPeakRSS is the server's peak RSS from the start of the first
	// scenario to the end of this one.
	ServerPeakRSS uint64 `json:"server_peak_rss_bytes,omitempty"`
	Failed        bool   `json:"failed"` // more than 1% errors or non-2xx
	// Open is the open-loop measurement (--rate), with the server's
	// memory sampled during it.
	Open      *bench.OpenResult `json:"open_loop,omitempty"`
	ServerRSS []rssSample       `json:"server_rss,omitempty"`
	// CPUPerRequestMs is the server's CPU time (user + system) over the
	// measured requests: what a request costs whatever else the machine
	// is doing.
	CPUPerRequestMs float64 `json:"server_cpu_per_request_ms,omitempty"`
}

// rssSample is the server's memory at a moment of a scenario.
type rssSample struct {
	Seconds float64 `json:"seconds"`
	bench.ProcMemory
}

// portalReport is the whole run, as --json prints it.
type portalReport struct {
	Driver          string  `json:"driver"`
	Database        string  `json:"database"`
	Subjects        int64   `json:"subjects"` // in the database when measured
	Records         int     `json:"records"`  // received records in the database when measured
	Loaded          bool    `json:"loaded"`   // demo data was loaded by this run
	LoadSeconds     float64 `json:"load_seconds"`
	SubjectsSeconds float64 `json:"load_subjects_seconds,omitempty"`
	RecordsSeconds  float64 `json:"load_records_seconds,omitempty"`
	DBBytes         int64   `json:"db_bytes"`
	Clients         int     `json:"clients"`
	Concurrency     int     `json:"server_concurrency"` // the server's read line (0: none)
	NameIndex       bool    `json:"server_name_index"`  // names searched in the server's memory
	DurationSeconds float64 `json:"duration_seconds"`
	WarmupSeconds   float64 `json:"warmup_seconds"`
	CPUs            int     `json:"cpus"`
	GOMAXPROCS      int     `json:"gomaxprocs"`
	GoVersion       string  `json:"go_version"`
	Inputs          struct {
		Subjects  int `json:"subjects"`
		Queries2  int `json:"queries_2"`
		Queries4  int `json:"queries_4"`
		IDsProbed int `json:"ids_probed"`
	} `json:"inputs"`
	Rate          string                 `json:"rate,omitempty"` // open loop: the --rate given
	Scenarios     []portalScenarioResult `json:"scenarios"`
	ServerPeakRSS uint64                 `json:"server_peak_rss_bytes,omitempty"`
	Failed        bool                   `json:"failed"`
	Notes         []string               `json:"notes"`
}

func runBenchPortal(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "bench portal", benchPortalSynopsis)
	subjects := fs.Int("subjects", 1000000, "how many subjects the database should hold; fewer: demo data is loaded first")
	records := fs.Int("records", 5000000, "how many 行政许可 and 行政处罚 records (half each) the demo data loaded has")
	seed := fs.Int64("seed", 1, "random seed of the demo data and of the sampled inputs")
	clients := fs.Int("clients", 50, "concurrent clients, each sending one request at a time")
	duration := fs.Duration("duration", 20*time.Second, "how long each scenario is measured")
	warmup := fs.Duration("warmup", 3*time.Second, "how long each scenario runs before it is measured")
	asJSON := fs.Bool("json", false, "print the figures as one JSON object")
	checks := fs.Bool("checks", false, "also measure the credit check API: one code at --clients, 10,000 codes at once, one name at 8 clients")
	rateFlag := fs.String("rate", "", "open loop: requests per second sent whatever the latency, N or N,SCENARIO=N,… (empty: closed loop of --clients)")
	only := fs.String("scenarios", "", "comma-separated scenario names to run (empty: all)")
	mixedDuration := fs.Duration("mixed-duration", 0, "open loop: how long the mixed scenario runs (0: --duration)")
	sampleEvery := fs.Duration("sample-every", 5*time.Second, "open loop: how often the server's RSS is read")
	profile := fs.String("profile", "", "directory to save the server's CPU and heap profiles per scenario in (empty: none)")
	serverBin := fs.String("server", "", "binary whose serve is measured, to compare builds (empty: this one)")
	c, log, err := setup(env, fs, args, append(append([]string{}, config.Intake...), "concurrency", "cache-size", "name-index"))
	if err != nil {
		return err
	}
	switch {
	case *subjects < 1:
		return usageError("--subjects must be at least 1")
	case *records < 0:
		return usageError("--records must not be negative")
	case *clients < 1:
		return usageError("--clients must be at least 1")
	case *duration <= 0:
		return usageError("--duration must be positive")
	case *warmup < 0:
		return usageError("--warmup must not be negative")
	case *sampleEvery <= 0:
		return usageError("--sample-every must be positive")
	}
	rates, err := parseRates(*rateFlag)
	if err != nil {
		return usageError("--rate: %v", err)
	}
	if *mixedDuration <= 0 {
		*mixedDuration = *duration
	}
	wanted := map[string]bool{}
	for _, n := range strings.Split(*only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			if !slices.Contains(portalScenarioNames, n) {
				return usageError("--scenarios: unknown %q (there are %s)", n, strings.Join(portalScenarioNames, ", "))
			}
			wanted[n] = true
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this binary, to start the server: %w", err)
	}
	if *serverBin != "" {
		exe = *serverBin
	}
	dataGiven := env.getenv("XINYONG_DATA") != ""
	fs.Visit(func(f *flag.Flag) { dataGiven = dataGiven || f.Name == "data" })
	// The cache budget goes to the server only when given, so that a
	// --server binary from before the option starts too.
	cacheGiven := env.getenv("XINYONG_CACHE_SIZE") != ""
	fs.Visit(func(f *flag.Flag) { cacheGiven = cacheGiven || f.Name == "cache-size" })
	if !cacheGiven {
		c.CacheSize = 0
	}

	rep := &portalReport{Driver: "sqlite", Clients: *clients, Rate: *rateFlag, DurationSeconds: duration.Seconds(), WarmupSeconds: warmup.Seconds(),
		CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(), Notes: []string{}}
	switch {
	case c.DB != "":
		rep.Driver, rep.Database = "postgres", redactDSN(c.DB)
	case dataGiven:
		rep.Database = c.Data
	default:
		work, err := os.MkdirTemp("", "xinyong-bench-portal-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(work)
		c.Data = filepath.Join(work, "data")
		rep.Database = "(temporary)"
	}
	rep.Concurrency = concurrency(c.Concurrency, rep.Driver)
	rep.NameIndex = c.NameIndex
	out := env.stdout
	if *asJSON {
		out = io.Discard
	}

	// The data, and the inputs drawn from it.
	in, err := portalPrepare(ctx, env, log, c, rep, *subjects, *records, *seed)
	if err != nil {
		return err
	}
	if rep.Driver == "sqlite" {
		rep.DBBytes, err = dirSize(c.Data)
	} else {
		rep.DBBytes, err = postgresSize(ctx, c.DB)
	}
	if err != nil {
		return fmt.Errorf("database size: %w", err)
	}
	fmt.Fprintf(out, "driver %s  database %s  subjects %s  records %s  cpus %d  GOMAXPROCS %d  %s\n", rep.Driver, rep.Database,
		thousands(float64(rep.Subjects)), thousands(float64(rep.Records)), rep.CPUs, rep.GOMAXPROCS, rep.GoVersion)
	if rep.Loaded {
		fmt.Fprintf(out, "loaded demo data in %s (subjects %s, records %s)\n", fmtSeconds(rep.LoadSeconds),
			fmtSeconds(rep.SubjectsSeconds), fmtSeconds(rep.RecordsSeconds))
	} else {
		fmt.Fprintln(out, "demo data already there: not loaded")
	}
	fmt.Fprintf(out, "inputs: %d subjects with a USCC (of %d ids probed), %d two- and %d four-character name fragments\n",
		rep.Inputs.Subjects, rep.Inputs.IDsProbed, rep.Inputs.Queries2, rep.Inputs.Queries4)

	// The server.
	log.Info("starting the server", "binary", exe)
	debugAddr := ""
	if *profile != "" {
		if err := os.MkdirAll(*profile, 0o750); err != nil {
			return err
		}
		if debugAddr, err = freeLoopbackAddr(); err != nil {
			return err
		}
	}
	srv, err := startPortalServer(ctx, exe, c, env.stderr, debugAddr)
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.stop(); err != nil {
			log.Warn("stop the server", "err", err)
		}
	}()
	rssErr := bench.ResetPeakRSS(srv.pid())
	if rssErr != nil {
		rep.Notes = append(rep.Notes, "server peak RSS not measured: "+rssErr.Error())
	}
	fmt.Fprintf(out, "server pid %d at %s (--concurrency %d, --name-index=%t); %d clients, %s measured after %s warmup per scenario\n\n", srv.pid(), srv.base,
		rep.Concurrency, rep.NameIndex, *clients, *duration, *warmup)

	scenarios := portalScenarios(in)
	if *checks {
		ci, err := prepareChecks(ctx, c, log, *seed, *subjects)
		if err != nil {
			return err
		}
		scenarios = append(scenarios, checkScenarios(ci)...)
	}
	if rates != nil {
		scenarios = append(scenarios, mixedScenario(scenarios))
	}
	if len(wanted) > 0 {
		var keep []*portalScenario
		for _, sc := range scenarios {
			if wanted[sc.Name] {
				keep = append(keep, sc)
				delete(wanted, sc.Name)
			}
		}
		if len(wanted) > 0 {
			return usageError("--scenarios: %v not run without --checks (the check scenarios) or --rate (mixed)", slices.Sorted(maps.Keys(wanted)))
		}
		scenarios = keep
	}
	if rates != nil {
		return runOpenLoop(ctx, out, env, log, rep, srv, scenarios, rates, *duration, *mixedDuration, *warmup, *sampleEvery, *profile, debugAddr, *asJSON)
	}
	fmt.Fprintf(out, "%-20s %9s %9s %9s %9s %9s %9s %7s %8s  %s\n", "scenario", "requests", "req/s", "p50", "p95", "p99", "max",
		"errors", "non-2xx", "target")
	for _, sc := range scenarios {
		log.Info("scenario", "name", sc.Label, "request", sc.Request)
		// Requests have no timeout of their own: bound the whole run.
		lctx, cancel := context.WithTimeout(ctx, *warmup+*duration+2*time.Minute)
		lo := bench.LoadOptions{BaseURL: srv.base, Clients: *clients, Duration: *duration, Warmup: *warmup, Next: sc.next, Body: sc.body, Header: sc.header}
		if sc.clients > 0 {
			lo.Clients = sc.clients
		}
		if sc.requests > 0 {
			lo.Duration, lo.Warmup, lo.Requests = 0, 0, sc.requests
		}
		res, err := bench.Load(lctx, lo)
		cancel()
		if err != nil {
			return fmt.Errorf("%s: %w", sc.Label, err)
		}
		sc.LoadResult = res
		bad := res.Errors + res.Non2xx
		sc.Failed = res.Requests == 0 || float64(bad) > portalMaxBad*float64(res.Requests)
		sc.TargetMet = !sc.Failed && res.P99 < sc.target
		if sc.p95 {
			sc.TargetMet = !sc.Failed && res.P95 < sc.target
		}
		if rssErr == nil {
			if n, err := bench.PeakRSS(srv.pid()); err == nil {
				sc.ServerPeakRSS = n
				rep.ServerPeakRSS = max(rep.ServerPeakRSS, n)
			} else {
				rep.Notes = append(rep.Notes, "server peak RSS after "+sc.Label+": "+err.Error())
			}
		}
		rep.Failed = rep.Failed || sc.Failed
		rep.Scenarios = append(rep.Scenarios, sc.portalScenarioResult)
		met := "met"
		switch {
		case sc.Failed:
			met = "FAILED: errors or non-2xx"
		case !sc.TargetMet:
			met = "MISSED"
		}
		pct := "p99"
		if sc.p95 {
			pct = "p95"
		}
		fmt.Fprintf(out, "%-20s %9d %9.1f %9s %9s %9s %9s %7d %8d  %s < %s %s\n", sc.Label, res.Requests, res.Throughput, fmtMs(res.P50),
			fmtMs(res.P95), fmtMs(res.P99), fmtMs(res.Max), res.Errors, res.Non2xx, pct, fmtMs(sc.target), met)
		if bad > 0 {
			// Shown on stderr as well: a benchmark of error pages is worthless.
			msg := fmt.Sprintf("%s: %d errors and %d non-2xx responses of %d requests (%.2f%%)", sc.Label, res.Errors, res.Non2xx,
				res.Requests, 100*float64(bad)/float64(res.Requests))
			if res.FirstError != "" {
				msg += "; first error: " + res.FirstError
			}
			if res.FirstNon2xx != "" {
				msg += "; first non-2xx: " + res.FirstNon2xx
			}
			rep.Notes = append(rep.Notes, "FAILED REQUESTS: "+msg)
			log.Error("failed requests", "scenario", sc.Label, "errors", res.Errors, "non_2xx", res.Non2xx, "requests", res.Requests,
				"first_error", res.FirstError, "first_non_2xx", res.FirstNon2xx)
		}
		if !srv.running() {
			return fmt.Errorf("the server exited during %s: %v", sc.Label, srv.exitErr())
		}
	}
	return finishPortal(env, out, rep, *asJSON)
}

// finishPortal prints the run's totals and notes (and the JSON report),
// and fails the run when a scenario had too many failed requests.
func finishPortal(env *environ, out io.Writer, rep *portalReport, asJSON bool) error {
	fmt.Fprintln(out)
	if rep.ServerPeakRSS > 0 {
		fmt.Fprintf(out, "%-20s %s MiB\n", "server peak RSS", mib(int64(rep.ServerPeakRSS)))
	}
	fmt.Fprintf(out, "%-20s %s MiB\n", "database size", mib(rep.DBBytes))
	if rep.Loaded {
		fmt.Fprintf(out, "%-20s %s\n", "load time", fmtSeconds(rep.LoadSeconds))
	} else {
		fmt.Fprintf(out, "%-20s %s\n", "load time", "0 (data already there)")
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("the clients run on the same machine as the server (%d CPUs)", rep.CPUs))
	for _, n := range rep.Notes {
		fmt.Fprintln(out, "note:", n)
	}
	if asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rep); err != nil {
			return err
		}
	}
	if rep.Failed {
		var names []string
		for _, s := range rep.Scenarios {
			if s.Failed {
				names = append(names, s.Label)
			}
		}
		return fmt.Errorf("more than %.0f%% of the requests failed (errors or non-2xx) in: %s; these figures measure error pages",
			100*portalMaxBad, strings.Join(names, ", "))
	}
	return nil
}

// portalInputs are the requests' parameters drawn from the database.
type portalInputs struct {
	usccs              []string
	queries2, queries4 []string
}

// portalScenario is a scenario to run.
type portalScenario struct {
	portalScenarioResult
	target time.Duration
	next   func(client, i int) string
	// body makes the requests POSTs of JSON; header is added to them.
	body   func(client, i int) []byte
	header http.Header
	// clients overrides --clients; requests, when set, measures that
	// many requests without warmup instead of --duration.
	clients, requests int
	// p95 compares the target with the 95th percentile, not the 99th.
	p95 bool
	// mix, when set, makes the scenario the others' requests in turn
	// (open loop only).
	mix []*portalScenario
}

func portalScenarios(in portalInputs) []*portalScenario {
	subject := func(prefix string) func(c, i int) string {
		return spread(in.usccs, func(u string) string { return prefix + url.PathEscape(u) })
	}
	query := func(prefix string, qs []string) func(c, i int) string {
		return spread(qs, func(q string) string { return prefix + url.QueryEscape(q) })
	}
	mk := func(name, label, request string, target time.Duration, next func(c, i int) string) *portalScenario {
		return &portalScenario{portalScenarioResult: portalScenarioResult{Name: name, Label: label, Request: request,
			TargetP99Ms: float64(target) / float64(time.Millisecond)}, target: target, next: next}
	}
	return []*portalScenario{
		mk("subject_page", "subject page", "GET /subjects/{uscc}", portalSubjectTarget, subject("/subjects/")),
		mk("subject_api", "subject API", "GET /api/v1/subjects/{uscc}", portalSubjectTarget, subject("/api/v1/subjects/")),
		mk("search_2", "search 2 chars", "GET /search?q={2 characters}", portalSearchTarget, query("/search?q=", in.queries2)),
		mk("search_4", "search 4 chars", "GET /search?q={4 characters}", portalSearchTarget, query("/search?q=", in.queries4)),
		mk("search_api_2", "search API 2 chars", "GET /api/v1/subjects?q={2 characters}", portalSearchTarget,
			query("/api/v1/subjects?q=", in.queries2)),
	}
}

// spread returns a Next function walking through inputs, each client
// starting at another place.
func spread(inputs []string, path func(string) string) func(c, i int) string {
	paths := make([]string, len(inputs))
	for i, s := range inputs {
		paths[i] = path(s)
	}
	return func(c, i int) string {
		return paths[(c*7919+i)%len(paths)]
	}
}

// portalPrepare opens the store, loads demo data when it holds fewer than
// subjects, counts what it holds and samples the inputs.
func portalPrepare(ctx context.Context, env *environ, log *slog.Logger, c config.Config, rep *portalReport, subjects, records int, seed int64) (portalInputs, error) {
	var in portalInputs
	s, keys, err := app.Open(ctx, c, log, true)
	if err != nil {
		return in, err
	}
	defer s.Close()
	have, err := countSubjects(ctx, s)
	if err != nil {
		return in, err
	}
	if have < int64(subjects) {
		log.Info("loading demo data", "driver", s.Dialect(), "have", have, "subjects", subjects, "records", records, "seed", seed)
		im, err := app.Importer(c, s, keys)
		if err != nil {
			return in, err
		}
		ps := &progressStore{Store: s, total: records, progress: recordProgress(env, log, records)}
		im.Store = ps
		subjProgress := app.LogProgress(log)
		if f, ok := env.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			subjProgress = app.BarProgress(f, subjects)
		}
		start := time.Now()
		ps.start = start
		st, res, err := app.LoadDemo(ctx, s, subjects, seed, subjProgress, im, records)
		if err != nil {
			return in, fmt.Errorf("demo data: %w", err)
		}
		took := time.Since(start)
		rep.Loaded, rep.LoadSeconds = true, round(took.Seconds(), 1)
		if first := ps.firstIntake(); !first.IsZero() {
			rep.SubjectsSeconds = round(first.Sub(start).Seconds(), 1)
			rep.RecordsSeconds = round(time.Since(first).Seconds(), 1)
		} else {
			rep.SubjectsSeconds = rep.LoadSeconds
		}
		log.Info("demo data loaded", "subjects_created", st.Created, "subjects_unchanged", st.Unchanged, "records", res.Rows,
			"records_created", res.Accepted, "records_unchanged", res.Unchanged, "records_rejected", len(res.Rejected),
			"took", took.Round(time.Millisecond))
		if len(res.Rejected) > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%d demo record rows were rejected", len(res.Rejected)))
		}
		if have, err = countSubjects(ctx, s); err != nil {
			return in, err
		}
		if c.DB != "" {
			// As after any bulk load (pgbench does the same): without
			// statistics the planner's estimates are defaults, and the
			// portal's queries get plans no running server would have
			// once autovacuum has analysed the tables.
			log.Info("ANALYZE after loading")
			t := time.Now()
			if err := postgresExec(ctx, c.DB, "ANALYZE"); err != nil {
				return in, fmt.Errorf("analyze: %w", err)
			}
			rep.Notes = append(rep.Notes, fmt.Sprintf("ANALYZE run after loading (%s, not in the load time)", time.Since(t).Round(100*time.Millisecond)))
		}
	} else {
		log.Info("database holds the subjects asked for; demo data not loaded", "subjects", have)
		if c.DB != "" {
			tables, err := postgresUnanalyzed(ctx, c.DB)
			if err != nil {
				return in, err
			}
			if len(tables) > 0 {
				msg := "PostgreSQL has no statistics on " + strings.Join(tables, ", ") + " (autovacuum off?): plans use default " +
					"estimates and can be far slower than a running server's; run ANALYZE first"
				log.Warn(msg)
				rep.Notes = append(rep.Notes, msg)
			}
		}
	}
	rep.Subjects = have
	stats, err := s.IntakeStats(ctx, store.IntakeFilter{})
	if err != nil {
		return in, err
	}
	for _, r := range stats {
		rep.Records += r.Received
	}
	if !rep.Loaded && rep.Records < records {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the database holds %d records, fewer than --records %d: an interrupted load? "+
			"xinyong demo with the same --subjects, --records and --seed finishes it", rep.Records, records))
	}

	log.Info("sampling inputs", "subjects", portalSample)
	in, probed, err := sampleInputs(ctx, s, have, seed)
	if err != nil {
		return in, err
	}
	rep.Inputs.Subjects, rep.Inputs.Queries2, rep.Inputs.Queries4, rep.Inputs.IDsProbed = len(in.usccs), len(in.queries2), len(in.queries4), probed
	if len(in.usccs) == 0 || len(in.queries2) == 0 || len(in.queries4) == 0 {
		return in, fmt.Errorf("found no subjects with a USCC and a name of four characters among %d ids probed", probed)
	}
	if len(in.usccs) < portalSample {
		rep.Notes = append(rep.Notes, fmt.Sprintf("only %d subjects with a USCC found among %d ids probed", len(in.usccs), probed))
	}
	return in, nil
}

func countSubjects(ctx context.Context, s store.Store) (int64, error) {
	counts, err := s.CountSubjects(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, v := range counts {
		n += v
	}
	return n, nil
}

// sampleInputs reads subjects with random ids in 1..n (ids are dense
// from 1 in a database the demo filled) until it has portalSample with a
// USCC, and cuts fragments of two and four characters from their names.
func sampleInputs(ctx context.Context, s store.Store, n int64, seed int64) (portalInputs, int, error) {
	var in portalInputs
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	seen := map[int64]bool{}
	probed := 0
	for len(in.usccs) < portalSample && probed < 20*portalSample && int64(len(seen)) < n {
		id := 1 + rng.Int64N(n)
		if seen[id] {
			continue
		}
		seen[id] = true
		probed++
		sub, err := s.GetSubject(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return in, probed, err
		}
		if sub.Class == credit.ClassPerson || sub.USCC == "" {
			continue
		}
		in.usccs = append(in.usccs, sub.USCC)
		if f, ok := nameFragment(rng, sub.Name, 2); ok {
			in.queries2 = append(in.queries2, f)
		}
		if f, ok := nameFragment(rng, sub.Name, 4); ok {
			in.queries4 = append(in.queries4, f)
		}
	}
	return in, probed, ctx.Err()
}

// nameFragment returns a random run of n characters of name that folds to
// n characters (no punctuation), as a user would type part of a name.
func nameFragment(rng *rand.Rand, name string, n int) (string, bool) {
	r := []rune(name)
	if len(r) < n {
		return "", false
	}
	for range 10 {
		i := rng.IntN(len(r) - n + 1)
		f := string(r[i : i+n])
		if utf8.RuneCountInString(search.Fold(f)) == n {
			return f, true
		}
	}
	return "", false
}

// progressStore is the store the demo records are imported through: it
// counts the records filed, for progress, and notes when they start.
type progressStore struct {
	store.Store
	start    time.Time
	total    int
	filed    atomic.Int64
	first    atomic.Int64 // UnixNano of the first intake batch
	progress func(done, total int)
}

func (p *progressStore) StartIntake(ctx context.Context, b store.IntakeBatch) (store.IntakeBatch, bool, error) {
	p.first.CompareAndSwap(0, time.Now().UnixNano())
	return p.Store.StartIntake(ctx, b)
}

func (p *progressStore) PutPreparedRecords(ctx context.Context, batch int64, pr store.PreparedRecords) ([]store.RecordOutcome, error) {
	out, err := p.Store.PutPreparedRecords(ctx, batch, pr)
	if err == nil && p.progress != nil {
		p.progress(int(p.filed.Add(int64(len(out)))), p.total)
	}
	return out, err
}

func (p *progressStore) firstIntake() time.Time {
	if n := p.first.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// recordProgress draws a bar of the records filed on a terminal, else logs
// a line at every tenth.
func recordProgress(env *environ, log *slog.Logger, total int) func(done, total int) {
	if f, ok := env.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar := progressbar.NewOptions(total,
			progressbar.OptionSetWriter(f),
			progressbar.OptionSetDescription("导入演示记录"),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(f) }),
		)
		return func(done, _ int) { bar.Set(done) }
	}
	var mu sync.Mutex
	next := 0
	return func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if done >= next || done >= total {
			log.Info("demo records progress", "filed", done, "total", total)
			next = done + max(total/10, 1)
		}
	}
}

// portalServer is the server running as a child process.
type portalServer struct {
	cmd  *exec.Cmd
	base string
	done chan struct{}
	err  error // of Wait, once done is closed
}

func (p *portalServer) pid() int { return p.cmd.Process.Pid }

func (p *portalServer) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

func (p *portalServer) exitErr() error {
	<-p.done
	if p.err == nil {
		return errors.New("exit status 0")
	}
	return p.err
}

// stop sends SIGTERM and waits for the exit, killing the server if it
// does not exit in time.
func (p *portalServer) stop() error {
	if !p.running() {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.cmd.Process.Kill()
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		return errors.New("no exit 30 s after SIGTERM: killed")
	}
}

// startPortalServer starts exe serve on a free loopback port against the
// database c names, with the search rate limit off, and waits until it
// answers /healthz.
func startPortalServer(ctx context.Context, exe string, c config.Config, stderr io.Writer, debugAddr string) (*portalServer, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--addr", addr, "--search-rate", "0", "--api-rate", "0", "--log-level", "warn", "--log-format", c.LogFormat, "--data", c.Data}
	if c.Calendar != "" {
		args = append(args, "--calendar", c.Calendar)
	}
	if c.Catalog != "" {
		args = append(args, "--catalog", c.Catalog)
	}
	if c.Concurrency != 0 {
		args = append(args, "--concurrency", strconv.Itoa(c.Concurrency))
	}
	args = append(args, "--name-index="+strconv.FormatBool(c.NameIndex))
	if c.CacheSize > 0 {
		args = append(args, "--cache-size", c.CacheSize.String())
	}
	if debugAddr != "" {
		args = append(args, "--debug-addr", debugAddr)
	}
	cmd := exec.Command(exe, args...)
	// The child's configuration is what this command resolved, whatever
	// XINYONG_* variables say; secrets go in the environment, not argv.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XINYONG_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if c.DB != "" {
		cmd.Env = append(cmd.Env, "XINYONG_DB="+c.DB)
	}
	if c.DataKey != "" {
		cmd.Env = append(cmd.Env, "XINYONG_DATA_KEY="+c.DataKey)
	}
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the server: %w", err)
	}
	p := &portalServer{cmd: cmd, base: "http://" + addr, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		resp, err := client.Get(p.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("the server exited before answering /healthz: %v", p.err)
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, errors.New("the server did not answer /healthz within 5 minutes")
		}
	}
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// dirSize is the total size of the regular files under dir.
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}

// postgresSize is pg_database_size of the database dsn names.
func postgresSize(ctx context.Context, dsn string) (int64, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int64
	err = conn.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&n)
	return n, err
}

func postgresExec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// postgresUnanalyzed names the portal's big tables that were never
// analysed.
func postgresUnanalyzed(ctx context.Context, dsn string) ([]string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rs, err := conn.Query(ctx, `SELECT relname FROM pg_stat_user_tables WHERE relname IN ('subjects', 'subject_search', 'subject_names', 'records')
		AND last_analyze IS NULL AND last_autoanalyze IS NULL ORDER BY relname`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rs, pgx.RowTo[string])
}

// redactDSN hides a DSN's password.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return "postgres"
	}
	return u.Redacted()
}

// fmtMs writes d in milliseconds: two decimals below 1 ms, one above.
func fmtMs(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if d < time.Millisecond {
		return strconv.FormatFloat(ms, 'f', 2, 64) + "ms"
	}
	return strconv.FormatFloat(ms, 'f', 1, 64) + "ms"
}

// fmtSeconds writes a duration in seconds rounded to a tenth.
func fmtSeconds(s float64) string {
	return (time.Duration(s*10) * time.Second / 10).String()
}
