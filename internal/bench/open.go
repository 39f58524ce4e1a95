package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// OpenOptions configure an open-loop run (see Open).
type OpenOptions struct {
	// BaseURL is the server's root, e.g. "http://127.0.0.1:8080".
	BaseURL string
	// Rate is how many requests are sent per second, whatever the
	// answers' latency (a constant rate: requests do not wait for earlier
	// ones).
	Rate int
	// Duration is how long requests are measured, after Warmup at the
	// same rate.
	Duration, Warmup time.Duration
	// Request returns request i (from 0, warmup included); it is called
	// from many goroutines at once. Nil means GET / every time.
	Request func(i int) Request
	// Timeout bounds one request (0: 30 s); a request past it counts as
	// an error.
	Timeout time.Duration
	// Sample, when set, is called every SampleEvery during the measured
	// period (for the server's memory over time).
	Sample      func(at time.Duration)
	SampleEvery time.Duration
}

// Request is one request of an open-loop run: a GET of Path, or a POST
// of Body as JSON when Body is not nil, with Header added.
type Request struct {
	Path   string
	Body   []byte
	Header http.Header
}

// OpenResult is what an open-loop run measured.
type OpenResult struct {
	// Offered is the rate asked for; Sent the rate at which requests were
	// actually sent (below Offered when the client itself could not keep
	// up); Throughput the rate of 2xx answers over the run and its wait
	// for the last answers.
	Offered    float64 `json:"offered_per_sec"`
	Sent       float64 `json:"sent_per_sec"`
	Throughput float64 `json:"throughput_per_sec"`
	Requests   int     `json:"requests"`
	// Errors counts requests without an answer (transport errors,
	// timeouts); Non2xx answers whose status was not 2xx.
	Errors int `json:"errors"`
	Non2xx int `json:"non_2xx"`
	// Latencies from the moment a request was sent (when it was due: a
	// free worker takes it at its time) until its body was read, over the requests that got an answer: exact
	// nearest-rank percentiles.
	P50, P90, P95, P99, Max, Mean time.Duration `json:"-"`

	P50Ms  float64        `json:"p50_ms"`
	P90Ms  float64        `json:"p90_ms"`
	P95Ms  float64        `json:"p95_ms"`
	P99Ms  float64        `json:"p99_ms"`
	MaxMs  float64        `json:"max_ms"`
	MeanMs float64        `json:"mean_ms"`
	Status map[string]int `json:"status_codes"`
	// FirstError is the first distinct transport error or non-2xx status.
	FirstError string `json:"first_error,omitempty"`
}

// String returns the result on one line.
func (r OpenResult) String() string {
	return fmt.Sprintf("offered %.0f/s, sent %.1f/s, %d requests, p50 %s p95 %s p99 %s max %s, %d errors, %d non-2xx",
		r.Offered, r.Sent, r.Requests, fmtMs(r.P50), fmtMs(r.P95), fmtMs(r.P99), fmtMs(r.Max), r.Errors, r.Non2xx)
}

// Open sends requests to o.BaseURL at o.Rate per second for o.Warmup
// (not recorded) and then o.Duration, with vegeta's attacker: each request
// is sent when it is due, by a worker of a pool that grows when all are
// busy, so a slow answer delays no other request and the latencies are
// what a stream of independent users would see (no coordinated omission).
// The rates and status counts come from vegeta's metrics; the percentiles
// are computed exactly from every latency.
func Open(ctx context.Context, o OpenOptions) (OpenResult, error) {
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return OpenResult{}, fmt.Errorf("bench: base URL %q: want http://host[:port]", o.BaseURL)
	}
	if o.Rate <= 0 || o.Duration <= 0 || o.Warmup < 0 {
		return OpenResult{}, errors.New("bench: an open-loop run needs a positive rate and duration")
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	base := strings.TrimSuffix(o.BaseURL, "/")
	var seq atomic.Int64
	targeter := func(t *vegeta.Target) error {
		r := Request{Path: "/"}
		if o.Request != nil {
			r = o.Request(int(seq.Add(1) - 1))
		}
		t.Method, t.URL, t.Header, t.Body = http.MethodGet, base+r.Path, r.Header.Clone(), nil
		if r.Body != nil {
			t.Method, t.Body = http.MethodPost, r.Body
			if t.Header == nil {
				t.Header = http.Header{}
			}
			t.Header.Set("Content-Type", "application/json")
		}
		return nil
	}
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 10000, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	rate := vegeta.Rate{Freq: o.Rate, Per: time.Second}
	run := func(d time.Duration, name string, each func(*vegeta.Result)) error {
		atk := vegeta.NewAttacker(vegeta.Client(client), vegeta.Workers(uint64(max(o.Rate/50, 4))))
		results := atk.Attack(targeter, rate, d, name)
		for {
			select {
			case <-ctx.Done():
				atk.Stop()
				for range results {
				}
				return ctx.Err()
			case r, ok := <-results:
				if !ok {
					return nil
				}
				each(r)
			}
		}
	}
	if o.Warmup > 0 {
		if err := run(o.Warmup, "warmup", func(*vegeta.Result) {}); err != nil {
			return OpenResult{}, err
		}
	}
	var m vegeta.Metrics
	var lat []time.Duration
	res := OpenResult{Offered: float64(o.Rate), Status: map[string]int{}}
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	if o.Sample != nil && o.SampleEvery > 0 {
		start := time.Now()
		go func() {
			defer close(sampled)
			t := time.NewTicker(o.SampleEvery)
			defer t.Stop()
			o.Sample(0)
			for {
				select {
				case <-stopSampling:
					o.Sample(time.Since(start))
					return
				case <-t.C:
					o.Sample(time.Since(start))
				}
			}
		}()
	} else {
		close(sampled)
	}
	err = run(o.Duration, "measure", func(r *vegeta.Result) {
		r.Body = nil
		m.Add(r)
		switch {
		case r.Code == 0:
			res.Errors++
			if res.FirstError == "" {
				res.FirstError = r.Method + " " + r.URL + ": " + r.Error
			}
		default:
			lat = append(lat, r.Latency)
			if r.Code < 200 || r.Code > 299 {
				res.Non2xx++
				if res.FirstError == "" {
					res.FirstError = r.Method + " " + r.URL + ": " + strconv.Itoa(int(r.Code)) + " " + http.StatusText(int(r.Code))
				}
			}
		}
	})
	close(stopSampling)
	<-sampled
	m.Close()
	res.Requests, res.Sent, res.Status = int(m.Requests), m.Rate, m.StatusCodes
	if secs := (m.Duration + m.Wait).Seconds(); secs > 0 {
		res.Throughput = float64(int(m.Requests)-res.Errors-res.Non2xx) / secs
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		var sum time.Duration
		for _, d := range lat {
			sum += d
		}
		res.P50, res.P90, res.P95, res.P99 = percentile(lat, 500), percentile(lat, 900), percentile(lat, 950), percentile(lat, 990)
		res.Max, res.Mean = lat[len(lat)-1], sum/time.Duration(len(lat))
	}
	res.P50Ms, res.P90Ms, res.P95Ms, res.P99Ms = millis(res.P50), millis(res.P90), millis(res.P95), millis(res.P99)
	res.MaxMs, res.MeanMs = millis(res.Max), millis(res.Mean)
	return res, err
}

// Memory of a process at a moment, from /proc/PID/status (Linux).
type ProcMemory struct {
	RSS     uint64 `json:"rss_bytes"`      // VmRSS
	RSSAnon uint64 `json:"rss_anon_bytes"` // RssAnon: the heaps, SQLite's caches
	RSSFile uint64 `json:"rss_file_bytes"` // RssFile: mapped files (the binary, mmap'd databases)
}

// ReadMemory returns process pid's resident memory now.
func ReadMemory(pid int) (ProcMemory, error) {
	if runtime.GOOS != "linux" {
		return ProcMemory{}, errPeakRSSUnsupported
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return ProcMemory{}, fmt.Errorf("bench: memory of process %d: %w", pid, err)
	}
	var m ProcMemory
	for line := range bytes.Lines(b) {
		for _, f := range []struct {
			key string
			to  *uint64
		}{{"VmRSS:", &m.RSS}, {"RssAnon:", &m.RSSAnon}, {"RssFile:", &m.RSSFile}} {
			if rest, ok := bytes.CutPrefix(line, []byte(f.key)); ok {
				fs := strings.Fields(string(rest))
				if len(fs) == 2 && fs[1] == "kB" {
					kb, _ := strconv.ParseUint(fs[0], 10, 64)
					*f.to = kb * 1024
				}
			}
		}
	}
	return m, nil
}

// ProcCPU returns the CPU time process pid has used so far (user and
// system, /proc/PID/stat; Linux): on a shared machine, CPU time per
// request says what latency cannot.
func ProcCPU(pid int) (time.Duration, error) {
	if runtime.GOOS != "linux" {
		return 0, errPeakRSSUnsupported
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("bench: CPU time of process %d: %w", pid, err)
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("bench: CPU time of process %d: unexpected stat %q", pid, b)
	}
	f := strings.Fields(string(b[i+1:]))
	// After the name: state is field 3, utime 14 and stime 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("bench: CPU time of process %d: unexpected stat %q", pid, b)
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bench: CPU time of process %d: unexpected stat %q", pid, b)
	}
	const ticks = 100 // USER_HZ, 100 on every Linux architecture Go supports
	return time.Duration(ut+st) * time.Second / ticks, nil
}
