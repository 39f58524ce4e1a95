package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// LoadOptions configure a closed-loop HTTP load run (see Load).
type LoadOptions struct {
	// BaseURL is the server's root, e.g. "http://127.0.0.1:8080" (a path
	// prefix is kept; a trailing slash is dropped).
	BaseURL string
	// Clients is how many clients run concurrently, each issuing one
	// request at a time (values below 1 mean 1).
	Clients int
	// Duration is how long requests are measured, after Warmup (0: no
	// time limit, Requests must then be set).
	Duration time.Duration
	// Requests, if > 0, stops the run after this many measured requests
	// in total (warmup requests do not count).
	Requests int
	// Warmup is how long requests are issued before the measurement
	// starts; their results are not recorded.
	Warmup time.Duration
	// Next returns the path and query of the i-th request (from 0,
	// warmup included) of client (from 0 to Clients-1). Calls for one
	// client are sequential, calls for different clients concurrent. Nil
	// means "/" for every request.
	Next func(client, i int) string
	// Body, when set, makes every request a POST of the returned JSON
	// body for request i of client (called right after Next).
	Body func(client, i int) []byte
	// Header is added to every request. A "Host" entry sets the request's
	// Host.
	Header http.Header
	// Client sends the requests. Nil means a client of its own with
	// keep-alive connections (at least Clients of them kept idle), no
	// proxy, no timeout and no redirects followed (a 3xx counts as a
	// non-2xx status); its idle connections are closed when Load returns.
	Client *http.Client
}

// LoadResult is what a load run measured. The durations are repeated in
// the JSON-encoded fields: seconds for Elapsed, milliseconds for the
// latencies.
type LoadResult struct {
	// Requests is how many requests were measured, failed ones included.
	Requests int `json:"requests"`
	// Errors counts requests that got no full response (transport errors:
	// connection refused or reset, timeouts, a body cut short); Non2xx
	// counts responses whose status was not 2xx.
	Errors int `json:"errors"`
	Non2xx int `json:"non_2xx"`
	// Bytes is the total size of the response bodies read (after any
	// transparent gzip decoding by the transport).
	Bytes int64 `json:"bytes"`
	// Elapsed is the measured period: from the end of the warmup until the
	// last measured request finished.
	Elapsed time.Duration `json:"-"`
	Seconds float64       `json:"seconds"`
	// Throughput is Requests per second of Elapsed.
	Throughput float64 `json:"requests_per_sec"`
	// Latencies, from sending a request until its body was read, over the
	// requests that got a response (whatever its status): exact
	// nearest-rank percentiles, the maximum and the mean. All zero when
	// no request got a response.
	P50  time.Duration `json:"-"`
	P90  time.Duration `json:"-"`
	P95  time.Duration `json:"-"`
	P99  time.Duration `json:"-"`
	Max  time.Duration `json:"-"`
	Mean time.Duration `json:"-"`
	// The latencies in milliseconds, for JSON.
	P50Ms  float64 `json:"p50_ms"`
	P90Ms  float64 `json:"p90_ms"`
	P95Ms  float64 `json:"p95_ms"`
	P99Ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
	MeanMs float64 `json:"mean_ms"`
	// FirstError is the first transport error's message, FirstNon2xx the
	// first non-2xx response, as "GET /path?query: 500 Internal Server
	// Error"; empty when there were none.
	FirstError  string `json:"first_error,omitempty"`
	FirstNon2xx string `json:"first_non_2xx,omitempty"`
}

// String returns the result on one line, e.g. "12345 req in 20.0s, 617.3
// req/s, p50 1.2ms p95 3.4ms p99 8.9ms max 20.1ms, 0 errors, 0 non-2xx".
func (r LoadResult) String() string {
	return fmt.Sprintf("%d req in %.1fs, %.1f req/s, p50 %s p95 %s p99 %s max %s, %d errors, %d non-2xx",
		r.Requests, r.Elapsed.Seconds(), r.Throughput, fmtMs(r.P50), fmtMs(r.P95), fmtMs(r.P99), fmtMs(r.Max), r.Errors, r.Non2xx)
}

// fmtMs writes d in milliseconds: two decimals below 1 ms, one above.
func fmtMs(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if d < time.Millisecond {
		return strconv.FormatFloat(ms, 'f', 2, 64) + "ms"
	}
	return strconv.FormatFloat(ms, 'f', 1, 64) + "ms"
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Load runs o.Clients clients against o.BaseURL, each sending GET requests
// one after the other (a closed loop) and reading every body in full. The
// requests of the first o.Warmup are not recorded; then the run is
// measured until o.Duration has passed, o.Requests requests were measured
// or ctx is cancelled, whichever comes first. Requests in flight when
// Duration ends are completed and recorded, so a server that does not
// answer is bounded only by ctx or o.Client's timeout.
//
// When ctx is cancelled, the requests in flight are abandoned (not counted)
// and Load returns what was measured so far together with ctx.Err(). Other
// errors are about the options; failed requests are counted in the result,
// not returned.
func Load(ctx context.Context, o LoadOptions) (LoadResult, error) {
	u, err := url.Parse(o.BaseURL)
	if err != nil {
		return LoadResult{}, fmt.Errorf("bench: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return LoadResult{}, fmt.Errorf("bench: base URL %q: want http://host[:port] or https://host[:port]", o.BaseURL)
	}
	if o.Duration < 0 || o.Requests < 0 || o.Warmup < 0 {
		return LoadResult{}, errors.New("bench: negative duration, warmup or request count")
	}
	if o.Duration == 0 && o.Requests == 0 {
		return LoadResult{}, errors.New("bench: neither a duration nor a request count to stop at")
	}
	clients := max(o.Clients, 1)
	l := &loader{
		base:   strings.TrimSuffix(o.BaseURL, "/"),
		next:   o.Next,
		body:   o.Body,
		header: o.Header,
		host:   o.Header.Get("Host"),
		client: o.Client,
		max:    int64(o.Requests),
	}
	if l.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil
		tr.MaxIdleConns = 0 // no limit
		tr.MaxIdleConnsPerHost = clients
		defer tr.CloseIdleConnections()
		l.client = &http.Client{
			Transport:     tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}

	start := time.Now()
	l.measure = start.Add(o.Warmup)
	if o.Duration > 0 {
		l.deadline = l.measure.Add(o.Duration)
	}
	stats := make([]clientStats, clients)
	var wg sync.WaitGroup
	for c := range stats {
		if o.Requests > 0 {
			stats[c].lat = make([]time.Duration, 0, o.Requests/clients+1)
		}
		wg.Go(func() { l.run(ctx, c, &stats[c]) })
	}
	wg.Wait()
	elapsed := max(time.Since(l.measure), 0)
	return summarize(stats, elapsed), ctx.Err()
}

// loader is the shared state of a run's clients.
type loader struct {
	base     string
	next     func(client, i int) string
	body     func(client, i int) []byte
	header   http.Header
	host     string
	client   *http.Client
	measure  time.Time // the end of the warmup
	deadline time.Time // the end of the measurement; zero: none
	max      int64     // the request cap; 0: none
	claimed  atomic.Int64
}

// clientStats is what one client measured.
type clientStats struct {
	lat              []time.Duration // of the requests that got a response
	requests, errors int
	non2xx           int
	bytes            int64
	firstErr         string
	firstErrAt       time.Time
	firstNon2xx      string
	firstNon2xxAt    time.Time
}

// run is client c's loop.
func (l *loader) run(ctx context.Context, c int, st *clientStats) {
	for i := 0; ; i++ {
		if ctx.Err() != nil {
			return
		}
		measured := !time.Now().Before(l.measure)
		if measured {
			if !l.deadline.IsZero() && !time.Now().Before(l.deadline) {
				return
			}
			if l.max > 0 && l.claimed.Add(1) > l.max {
				return
			}
		}
		path := "/"
		if l.next != nil {
			path = l.next(c, i)
			if !strings.HasPrefix(path, "/") {
				path = "/" + path
			}
		}
		var body []byte
		if l.body != nil {
			body = l.body(c, i)
		}
		t0 := time.Now()
		n, status, err := l.get(ctx, path, body)
		end := time.Now()
		if err != nil && ctx.Err() != nil {
			return // abandoned, not a result
		}
		if !measured {
			continue
		}
		st.requests++
		st.bytes += n
		if err != nil {
			st.errors++
			if st.firstErr == "" {
				st.firstErr, st.firstErrAt = err.Error(), end
			}
			continue
		}
		st.lat = append(st.lat, end.Sub(t0))
		if status < 200 || status > 299 {
			st.non2xx++
			if st.firstNon2xx == "" {
				method := "GET "
				if body != nil {
					method = "POST "
				}
				st.firstNon2xx, st.firstNon2xxAt = method+path+": "+strconv.Itoa(status)+" "+http.StatusText(status), end
			}
		}
	}
}

// get sends one GET request (a POST of body when it is not nil) and reads
// the answer; it returns the answer's size and the status.
func (l *loader) get(ctx context.Context, path string, body []byte) (int64, int, error) {
	method, rd := http.MethodGet, io.Reader(nil)
	if body != nil {
		method, rd = http.MethodPost, bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, l.base+path, rd)
	if err != nil {
		return 0, 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range l.header {
		req.Header[k] = v
	}
	if l.host != "" {
		req.Host = l.host
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return n, resp.StatusCode, fmt.Errorf("%s %s: reading the body: %w", method, path, err)
	}
	return n, resp.StatusCode, nil
}

// summarize merges the clients' figures.
func summarize(stats []clientStats, elapsed time.Duration) LoadResult {
	r := LoadResult{Elapsed: elapsed, Seconds: elapsed.Seconds()}
	var n int
	for i := range stats {
		n += len(stats[i].lat)
	}
	lat := make([]time.Duration, 0, n)
	var errAt, non2xxAt time.Time
	for i := range stats {
		st := &stats[i]
		lat = append(lat, st.lat...)
		r.Requests += st.requests
		r.Errors += st.errors
		r.Non2xx += st.non2xx
		r.Bytes += st.bytes
		if st.firstErr != "" && (r.FirstError == "" || st.firstErrAt.Before(errAt)) {
			r.FirstError, errAt = st.firstErr, st.firstErrAt
		}
		if st.firstNon2xx != "" && (r.FirstNon2xx == "" || st.firstNon2xxAt.Before(non2xxAt)) {
			r.FirstNon2xx, non2xxAt = st.firstNon2xx, st.firstNon2xxAt
		}
	}
	if elapsed > 0 {
		r.Throughput = float64(r.Requests) / elapsed.Seconds()
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		var sum time.Duration
		for _, d := range lat {
			sum += d
		}
		r.P50, r.P90, r.P95, r.P99 = percentile(lat, 500), percentile(lat, 900), percentile(lat, 950), percentile(lat, 990)
		r.Max = lat[len(lat)-1]
		r.Mean = sum / time.Duration(len(lat))
	}
	r.P50Ms, r.P90Ms, r.P95Ms, r.P99Ms = millis(r.P50), millis(r.P90), millis(r.P95), millis(r.P99)
	r.MaxMs, r.MeanMs = millis(r.Max), millis(r.Mean)
	return r
}

// percentile returns the nearest-rank percentile of sorted (ascending, not
// empty) given in per mille: the smallest value that at least perMille/1000
// of the values do not exceed.
func percentile(sorted []time.Duration, perMille int) time.Duration {
	rank := (perMille*len(sorted) + 999) / 1000 // ceil, exact in integers
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// errPeakRSSUnsupported is PeakRSS's and ResetPeakRSS's error where the OS
// does not give another process's peak RSS.
var errPeakRSSUnsupported = fmt.Errorf("bench: the peak RSS of a process is only read on Linux (/proc): %w", errors.ErrUnsupported)

// PeakRSS returns the peak resident set size in bytes of process pid:
// VmHWM of /proc/PID/status on Linux. Elsewhere it returns an error that
// matches errors.ErrUnsupported; there the peak of a child that has exited
// is in its (*os.ProcessState).SysUsage() (syscall.Rusage.Maxrss).
func PeakRSS(pid int) (uint64, error) {
	if pid <= 0 {
		return 0, fmt.Errorf("bench: peak RSS: bad pid %d", pid)
	}
	n, err := procPeakRSS(strconv.Itoa(pid))
	if err != nil {
		return 0, fmt.Errorf("bench: peak RSS of process %d: %w", pid, err)
	}
	return n, nil
}

// ResetPeakRSS resets the peak RSS of process pid to its current RSS, so
// that PeakRSS then gives the peak since the reset (Linux 4.0+: writing 5
// to /proc/PID/clear_refs, which needs the right to ptrace the process,
// e.g. the same user). Elsewhere it returns an error that matches
// errors.ErrUnsupported.
func ResetPeakRSS(pid int) error {
	if pid <= 0 {
		return fmt.Errorf("bench: reset peak RSS: bad pid %d", pid)
	}
	if err := clearRefs(strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("bench: reset peak RSS of process %d: %w", pid, err)
	}
	return nil
}

// parseVmHWM returns the VmHWM line of a /proc/PID/status file in bytes.
func parseVmHWM(status []byte) (uint64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("VmHWM:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmHWM line %q", bytes.TrimSpace(line))
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected VmHWM line %q", bytes.TrimSpace(line))
		}
		return kb * 1024, nil
	}
	return 0, errors.New("no VmHWM in the process status (a kernel thread or a zombie?)")
}
