package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/bench"
)

// portalRates are bench portal's --rate: a default and per-scenario rates.
type portalRates struct {
	all   int
	named map[string]int
}

func (r *portalRates) of(name string) int {
	if n, ok := r.named[name]; ok {
		return n
	}
	return r.all
}

// parseRates reads --rate: "500" or "500,check_code=1000"; nil when empty.
func parseRates(v string) (*portalRates, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	r := &portalRates{named: map[string]int{}}
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		name, num, named := strings.Cut(part, "=")
		if !named {
			num = name
		}
		n, err := strconv.Atoi(strings.TrimSpace(num))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q: want N or SCENARIO=N with N requests per second", part)
		}
		if named {
			r.named[strings.TrimSpace(name)] = n
		} else {
			r.all = n
		}
	}
	return r, nil
}

// request is request i of the scenario in an open-loop run.
func (sc *portalScenario) request(i int) bench.Request {
	if sc.mix != nil {
		part := sc.mix[i%len(sc.mix)]
		return part.request(i / len(sc.mix))
	}
	r := bench.Request{Path: "/", Header: sc.header}
	if sc.next != nil {
		r.Path = sc.next(0, i)
	}
	if sc.body != nil {
		r.Body = sc.body(0, i)
	}
	return r
}

// mixedScenario sends the subject page, the subject API, both searches
// and checks by code in turn: the server's memory under mixed load.
func mixedScenario(scenarios []*portalScenario) *portalScenario {
	m := &portalScenario{portalScenarioResult: portalScenarioResult{Name: "mixed", Label: "mixed",
		TargetP99Ms: float64(portalSearchTarget) / float64(time.Millisecond)}, target: portalSearchTarget}
	var names []string
	for _, sc := range scenarios {
		switch sc.Name {
		case "subject_page", "subject_api", "search_2", "search_4", "check_code":
			m.mix = append(m.mix, sc)
			names = append(names, sc.Name)
		}
	}
	m.Request = "in turn: " + strings.Join(names, ", ")
	return m
}

// runOpenLoop measures each scenario at its rate, open loop, and the
// server's memory while it runs.
func runOpenLoop(ctx context.Context, out io.Writer, env *environ, log *slog.Logger, rep *portalReport, srv *portalServer, scenarios []*portalScenario,
	rates *portalRates, duration, mixedDuration, warmup, sampleEvery time.Duration, profile, debugAddr string, asJSON bool) error {
	fmt.Fprintf(out, "open loop at %s requests/s; latency from sending to the last byte; RSS = anonymous + file-backed, MiB\n", rep.Rate)
	fmt.Fprintf(out, "%-16s %7s %7s %7s %8s %8s %8s %8s %6s %7s %9s %7s  %s\n", "scenario", "offered", "sent/s", "2xx/s", "p50", "p95", "p99", "max",
		"errors", "non-2xx", "RSS max", "CPU/req", "target")
	for _, sc := range scenarios {
		rate := rates.of(sc.Name)
		if rate == 0 {
			continue
		}
		if sc.requests > 0 {
			// One request at a time by design (10,000 codes): closed loop.
			var prof sync.WaitGroup
			if debugAddr != "" {
				prof.Go(func() {
					if err := saveProfile(ctx, debugAddr, "profile?seconds=10", filepath.Join(profile, sc.Name+".cpu.pprof")); err != nil {
						log.Warn("CPU profile", "scenario", sc.Name, "err", err)
					}
				})
			}
			res, err := bench.Load(ctx, bench.LoadOptions{BaseURL: srv.base, Clients: 1, Requests: sc.requests, Next: sc.next, Body: sc.body, Header: sc.header})
			prof.Wait()
			if err != nil {
				return fmt.Errorf("%s: %w", sc.Label, err)
			}
			sc.LoadResult = res
			sc.Failed = res.Requests == 0 || res.Errors+res.Non2xx > 0
			sc.TargetMet = !sc.Failed && res.Max < sc.target
			fmt.Fprintf(out, "%-16s %7s %7s %7.1f %8s %8s %8s %8s %6d %7d %9s %7s  max < %s %s\n", sc.Label, "-", "closed", res.Throughput,
				fmtMs(res.P50), fmtMs(res.P95), fmtMs(res.P99), fmtMs(res.Max), res.Errors, res.Non2xx, "", "", fmtMs(sc.target), metWord(sc))
			rep.Failed = rep.Failed || sc.Failed
			rep.Scenarios = append(rep.Scenarios, sc.portalScenarioResult)
			continue
		}
		d := duration
		if sc.Name == "mixed" {
			d = mixedDuration
		}
		log.Info("scenario", "name", sc.Label, "rate", rate, "duration", d)
		var mu sync.Mutex
		var samples []rssSample
		sampleRSS := func(at time.Duration) {
			m, err := bench.ReadMemory(srv.pid())
			if err != nil {
				return
			}
			mu.Lock()
			samples = append(samples, rssSample{Seconds: round(at.Seconds(), 1), ProcMemory: m})
			mu.Unlock()
		}
		var prof sync.WaitGroup
		if debugAddr != "" {
			prof.Go(func() {
				secs := int((warmup + d).Seconds())
				if err := saveProfile(ctx, debugAddr, "profile?seconds="+strconv.Itoa(max(secs, 1)), filepath.Join(profile, sc.Name+".cpu.pprof")); err != nil {
					log.Warn("CPU profile", "scenario", sc.Name, "err", err)
				}
			})
		}
		var cpu0 time.Duration
		var cpuErr error
		sample := func(at time.Duration) {
			if at == 0 {
				cpu0, cpuErr = bench.ProcCPU(srv.pid())
			}
			sampleRSS(at)
		}
		res, err := bench.Open(ctx, bench.OpenOptions{BaseURL: srv.base, Rate: rate, Duration: d, Warmup: warmup, Request: sc.request,
			Sample: sample, SampleEvery: sampleEvery})
		if cpu1, err := bench.ProcCPU(srv.pid()); err == nil && cpuErr == nil && res.Requests > 0 {
			sc.CPUPerRequestMs = round(float64(cpu1-cpu0)/float64(time.Millisecond)/float64(res.Requests), 3)
		}
		prof.Wait()
		if debugAddr != "" {
			if err := saveProfile(ctx, debugAddr, "heap", filepath.Join(profile, sc.Name+".heap.pprof")); err != nil {
				log.Warn("heap profile", "scenario", sc.Name, "err", err)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", sc.Label, err)
		}
		sc.Open, sc.ServerRSS = &res, samples
		bad := res.Errors + res.Non2xx
		sc.Failed = res.Requests == 0 || float64(bad) > portalMaxBad*float64(res.Requests)
		pct := res.P99
		if sc.p95 {
			pct = res.P95
		}
		sc.TargetMet = !sc.Failed && pct < sc.target && res.Sent >= 0.95*res.Offered
		var peak uint64
		for _, s := range samples {
			peak = max(peak, s.RSS)
		}
		sc.ServerPeakRSS = peak
		rep.ServerPeakRSS = max(rep.ServerPeakRSS, peak)
		rep.Failed = rep.Failed || sc.Failed
		rep.Scenarios = append(rep.Scenarios, sc.portalScenarioResult)
		name := "p99"
		if sc.p95 {
			name = "p95"
		}
		fmt.Fprintf(out, "%-16s %7.0f %7.1f %7.1f %8s %8s %8s %8s %6d %7d %9s %5.2fms  %s < %s %s\n", sc.Label, res.Offered, res.Sent, res.Throughput,
			fmtMs(res.P50), fmtMs(res.P95), fmtMs(res.P99), fmtMs(res.Max), res.Errors, res.Non2xx, mib(int64(peak)), sc.CPUPerRequestMs, name,
			fmtMs(sc.target), metWord(sc))
		if len(samples) > 0 {
			var b strings.Builder
			for i, s := range samples {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%.0fs %s+%s", s.Seconds, mib(int64(s.RSSAnon)), mib(int64(s.RSSFile)))
			}
			fmt.Fprintf(out, "    server RSS: %s\n", b.String())
		}
		if bad > 0 {
			msg := fmt.Sprintf("%s: %d errors and %d non-2xx responses of %d requests; first: %s", sc.Label, res.Errors, res.Non2xx, res.Requests, res.FirstError)
			rep.Notes = append(rep.Notes, "FAILED REQUESTS: "+msg)
			log.Error("failed requests", "scenario", sc.Label, "errors", res.Errors, "non_2xx", res.Non2xx, "first", res.FirstError)
		}
		if !srv.running() {
			return fmt.Errorf("the server exited during %s: %v", sc.Label, srv.exitErr())
		}
	}
	if profile != "" {
		rep.Notes = append(rep.Notes, "server profiles in "+profile+" (go tool pprof -top "+filepath.Join(profile, "NAME.cpu.pprof")+")")
	}
	return finishPortal(env, out, rep, asJSON)
}

func metWord(sc *portalScenario) string {
	switch {
	case sc.Failed:
		return "FAILED: errors or non-2xx"
	case !sc.TargetMet:
		return "MISSED"
	}
	return "met"
}

// saveProfile saves the server's /debug/pprof/WHAT to file.
func saveProfile(ctx context.Context, debugAddr, what, file string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+debugAddr+"/debug/pprof/"+what, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
