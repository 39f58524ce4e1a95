package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store"
)

const benchReportSynopsis = "bench report [--subjects N] [--records N] [--clients 20] [--reports N] [--appends N] [--memory-reports N] [--json] [--data DIR | --db DSN]\n\n" +
	"Measures credit reports in this process, on a database of --subjects demo subjects (loaded first when the\n" +
	"database holds fewer; default: a temporary embedded database): organisation reports built, rendered, signed and\n" +
	"logged by --clients goroutines at once (latency percentiles; the issue's targets are a median under 50 ms and a\n" +
	"p99 under 150 ms at 20 clients), the log's appends per second with many appenders (target 2,000), and memory\n" +
	"over --memory-reports reports (it should stay flat). Reports and appends go into the database's report log,\n" +
	"which is append-only: run it on a database of its own."

// reportBench is what bench report prints with --json.
type reportBench struct {
	Driver         string       `json:"driver"`
	Database       string       `json:"database"`
	Subjects       int64        `json:"subjects"`
	Loaded         bool         `json:"loaded"`
	LoadSeconds    float64      `json:"load_seconds,omitempty"`
	CPUs           int          `json:"cpus"`
	Clients        int          `json:"clients"`
	Reports        int          `json:"reports"`
	PerSecond      float64      `json:"reports_per_second"`
	Latency        benchLatency `json:"latency_ms"`
	MeanBytes      int          `json:"mean_pdf_bytes"`
	Appends        int          `json:"appends"`
	AppendsPerSec  float64      `json:"appends_per_second"`
	AppendSeconds  float64      `json:"append_seconds"`
	Memory         []memorySnap `json:"memory"`
	MemoryGrowth   float64      `json:"memory_growth" doc:"last heap sample over the first, after GC"`
	LogSize        int64        `json:"log_size"`
	LogCheckSecond float64      `json:"log_check_seconds"`
	Notes          []string     `json:"notes"`
}

type benchLatency struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

type memorySnap struct {
	Reports   int    `json:"reports"`
	HeapInuse uint64 `json:"heap_inuse_bytes"`
	RSS       uint64 `json:"rss_bytes"`
}

func runBenchReport(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "bench report", benchReportSynopsis)
	subjects := fs.Int("subjects", 100000, "how many subjects the database should hold; fewer: demo data is loaded first")
	records := fs.Int("records", 0, "how many demo records to load with them (0: 5 per subject)")
	clients := fs.Int("clients", 20, "reports issued at once")
	reports := fs.Int("reports", 2000, "reports issued for the latency figures (after 100 to warm up)")
	appends := fs.Int("appends", 20000, "log appends for the append rate")
	memReports := fs.Int("memory-reports", 10000, "reports issued while memory is sampled (0: skip)")
	seed := fs.Int64("seed", 1, "random seed of the demo data and of the subjects drawn")
	asJSON := fs.Bool("json", false, "print the figures as one JSON object")
	c, log, err := setup(env, fs, args, config.Intake)
	if err != nil {
		return err
	}
	if *subjects < 1 || *clients < 1 || *reports < 1 || *appends < 0 || *memReports < 0 {
		return usageError("--subjects, --clients and --reports must be at least 1, --appends and --memory-reports not negative")
	}
	if *records == 0 {
		*records = 5 * *subjects
	}
	rep := &reportBench{Driver: "sqlite", CPUs: runtime.NumCPU(), Clients: *clients, Notes: []string{}}
	dataGiven := env.getenv("XINYONG_DATA") != ""
	fs.Visit(func(f *flag.Flag) { dataGiven = dataGiven || f.Name == "data" })
	switch {
	case c.DB != "":
		rep.Driver, rep.Database = "postgres", redactDSN(c.DB)
	case dataGiven:
		rep.Database = c.Data
	default:
		work, err := os.MkdirTemp("", "xinyong-bench-report-")
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
	pr := &portalReport{Notes: []string{}}
	if _, err := portalPrepare(ctx, env, log, c, pr, *subjects, *records, *seed); err != nil {
		return err
	}
	rep.Loaded, rep.LoadSeconds, rep.Subjects = pr.Loaded, pr.LoadSeconds, pr.Subjects
	s, keys, err := app.Open(ctx, c, log, false)
	if err != nil {
		return err
	}
	defer s.Close()
	if rep.Subjects == 0 {
		if rep.Subjects, err = countSubjects(ctx, s); err != nil {
			return err
		}
	}
	cat, err := app.Catalog(c)
	if err != nil {
		return err
	}
	checks, err := app.Checks(c, s, cat)
	if err != nil {
		return err
	}
	ev, err := evaluationService(c, s)
	if err != nil {
		return err
	}
	ps := &portal.Service{Store: s, Catalog: cat, Keys: keys}
	rs, err := app.Reports(c, s, ps, checks, ev, &auth.Authorizer{Roles: auth.DefaultRoles()}, keys)
	if err != nil {
		return err
	}
	orgs, err := drawOrgs(ctx, s, rep.Subjects, 2000, *seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "driver %s  database %s  subjects %s  organisations drawn %d  cpus %d\n", rep.Driver, rep.Database,
		thousands(float64(rep.Subjects)), len(orgs), rep.CPUs)
	today := calendar.Today()
	issue := func(i int) (int, error) {
		is, err := rs.IssueFor(ctx, orgs[i%len(orgs)], today, "https://xinyong.example/verify")
		return len(is.PDF), err
	}

	// Latency of organisation reports at --clients at once.
	if _, err := runClients(*clients, 100, issue); err != nil {
		return err
	}
	start := time.Now()
	lat, err := runClients(*clients, *reports, issue)
	if err != nil {
		return err
	}
	took := time.Since(start)
	rep.Reports, rep.PerSecond = *reports, round(float64(*reports)/took.Seconds(), 1)
	rep.Latency = summarizeLatency(lat.durations)
	rep.MeanBytes = int(lat.bytes / int64(*reports))
	fmt.Fprintf(out, "reports: %d at %d clients in %s: %.1f/s  p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  max %.1f ms  mean PDF %s bytes\n",
		*reports, *clients, took.Round(time.Millisecond), rep.PerSecond, rep.Latency.P50, rep.Latency.P95, rep.Latency.P99, rep.Latency.Max,
		thousands(float64(rep.MeanBytes)))

	// The log's append rate, with many appenders (grouped commits).
	if *appends > 0 {
		const appenders = 256
		var next atomic.Int64
		prefix := "XB" + strconv.FormatInt(time.Now().UnixNano()%1e8, 10) + "-"
		start = time.Now()
		var wg sync.WaitGroup
		var firstErr atomic.Value
		for range appenders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1)
					if i > int64(*appends) {
						return
					}
					e := "xinyong bench entry " + prefix + strconv.FormatInt(i, 10) + "\n"
					if _, err := rs.Log.Append(ctx, store.IssuedReport{Number: prefix + strconv.FormatInt(i, 10), SubjectID: orgs[0].ID,
						Kind: store.ReportOrg, AsOf: today.String(), IssuedAt: time.Now(), Entry: []byte(e), Records: []byte("[]")}, nil); err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if err, _ := firstErr.Load().(error); err != nil {
			return fmt.Errorf("append: %w", err)
		}
		d := time.Since(start)
		rep.Appends, rep.AppendSeconds, rep.AppendsPerSec = *appends, round(d.Seconds(), 2), round(float64(*appends)/d.Seconds(), 0)
		fmt.Fprintf(out, "log appends: %d by %d appenders in %s: %s/s\n", *appends, appenders, d.Round(time.Millisecond), thousands(rep.AppendsPerSec))
		rep.Notes = append(rep.Notes, "bench entries (numbers "+prefix+"…) stay in this database's append-only report log")
	}

	// Memory over many reports.
	if *memReports > 0 {
		step := max(*memReports/10, 1)
		snap := func(n int) {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			m := memorySnap{Reports: n, HeapInuse: ms.HeapInuse, RSS: currentRSS()}
			rep.Memory = append(rep.Memory, m)
			fmt.Fprintf(out, "memory after %6d reports: heap in use %s MiB  RSS %s MiB\n", n, mibOf(m.HeapInuse), mibOf(m.RSS))
		}
		snap(0)
		for done := 0; done < *memReports; done += step {
			if _, err := runClients(*clients, min(step, *memReports-done), issue); err != nil {
				return err
			}
			snap(done + min(step, *memReports-done))
		}
		if first := rep.Memory[1].HeapInuse; first > 0 {
			rep.MemoryGrowth = round(float64(rep.Memory[len(rep.Memory)-1].HeapInuse)/float64(first), 2)
		}
		fmt.Fprintf(out, "heap after the last step / after the first: %.2f\n", rep.MemoryGrowth)
	}

	// The whole log checked from its entries.
	start = time.Now()
	if rep.LogSize, err = rs.Log.Check(ctx, nil); err != nil {
		return fmt.Errorf("log check: %w", err)
	}
	rep.LogCheckSecond = round(time.Since(start).Seconds(), 2)
	fmt.Fprintf(out, "log check: %s entries recomputed in %s\n", thousands(float64(rep.LogSize)), fmtSeconds(rep.LogCheckSecond))
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return nil
}

func mibOf(b uint64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) }

// currentRSS is this process's resident set size (Linux; 0 elsewhere).
func currentRSS() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

type clientRun struct {
	durations []time.Duration
	bytes     int64
}

// runClients runs fn n times on clients goroutines and returns each call's
// duration.
func runClients(clients, n int, fn func(i int) (int, error)) (clientRun, error) {
	var next atomic.Int64
	var mu sync.Mutex
	var run clientRun
	var firstErr error
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ds []time.Duration
			var bytes int64
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					break
				}
				t := time.Now()
				size, err := fn(i)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				ds = append(ds, time.Since(t))
				bytes += int64(size)
			}
			mu.Lock()
			run.durations = append(run.durations, ds...)
			run.bytes += bytes
			mu.Unlock()
		}()
	}
	wg.Wait()
	return run, firstErr
}

func summarizeLatency(ds []time.Duration) benchLatency {
	if len(ds) == 0 {
		return benchLatency{}
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 1) }
	at := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return benchLatency{P50: ms(at(0.50)), P95: ms(at(0.95)), P99: ms(at(0.99)), Max: ms(ds[len(ds)-1]), Mean: ms(sum / time.Duration(len(ds)))}
}

// drawOrgs draws up to n subjects that are not persons, by random ids.
func drawOrgs(ctx context.Context, s store.Store, subjects int64, n int, seed int64) ([]credit.Subject, error) {
	r := rand.New(rand.NewPCG(uint64(seed), 17))
	var out []credit.Subject
	seen := map[int64]bool{}
	for probes := 0; len(out) < n && probes < 20*n; probes++ {
		id := r.Int64N(subjects+subjects/10+1) + 1
		if seen[id] {
			continue
		}
		seen[id] = true
		sub, err := s.GetSubject(ctx, id)
		if err != nil {
			continue
		}
		if sub.Class != credit.ClassPerson {
			out = append(out, sub)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no organisation found among %d subjects", subjects)
	}
	return out, nil
}
