package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The timing assertions below separate orders of magnitude (a fast handler
// against one that sleeps), so that a loaded machine does not fail them.

func TestPercentileNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		perMille int
		want     time.Duration
	}{{500, 50 * time.Millisecond}, {900, 90 * time.Millisecond}, {950, 95 * time.Millisecond}, {990, 99 * time.Millisecond}, {1000, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := percentile(d, c.perMille); got != c.want {
			t.Errorf("percentile(1..100ms, %d‰) = %v, want %v", c.perMille, got, c.want)
		}
	}
	// Nearest rank of 3 values: p50 is the 2nd, p90 and up the 3rd.
	three := []time.Duration{1, 2, 3}
	if got := percentile(three, 500); got != 2 {
		t.Errorf("p50 of 1,2,3 = %v", got)
	}
	if got := percentile(three, 900); got != 3 {
		t.Errorf("p90 of 1,2,3 = %v", got)
	}
	if got := percentile([]time.Duration{7}, 990); got != 7 {
		t.Errorf("p99 of one value = %v", got)
	}
}

func TestLoadPercentiles(t *testing.T) {
	const slow = 50 * time.Millisecond
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%10 == 0 { // exactly 1 in 10
			time.Sleep(slow)
		}
		fmt.Fprint(w, "hello")
	}))
	defer srv.Close()

	res, err := Load(t.Context(), LoadOptions{BaseURL: srv.URL, Clients: 4, Requests: 200, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if res.Requests != 200 || res.Errors != 0 || res.Non2xx != 0 || res.Bytes != 200*5 {
		t.Fatalf("got %+v", res)
	}
	// 20 of the 200 latencies are at least 50ms: p95 and above are.
	if res.P95 < slow || res.P99 < slow || res.Max < slow {
		t.Errorf("p95 %v p99 %v max %v: want ≥ %v", res.P95, res.P99, res.Max, slow)
	}
	if res.P50 >= slow*4/5 {
		t.Errorf("p50 %v: want well below %v", res.P50, slow)
	}
	if !(res.P50 <= res.P90 && res.P90 <= res.P95 && res.P95 <= res.P99 && res.P99 <= res.Max) {
		t.Errorf("percentiles out of order: %+v", res)
	}
	// The mean is at least a tenth of the slow latency.
	if res.Mean < slow/10 || res.Mean > res.Max {
		t.Errorf("mean %v", res.Mean)
	}
	if res.Elapsed <= 0 || res.Throughput <= 0 {
		t.Errorf("elapsed %v throughput %v", res.Elapsed, res.Throughput)
	}
	if res.P99Ms != float64(res.P99)/1e6 || res.Seconds != res.Elapsed.Seconds() {
		t.Errorf("JSON fields do not mirror the durations: %+v", res)
	}
}

func TestLoadRequestsCapExact(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()

	for _, clients := range []int{1, 7, 50} {
		hits.Store(0)
		res, err := Load(t.Context(), LoadOptions{BaseURL: srv.URL + "/", Clients: clients, Requests: 137})
		if err != nil {
			t.Fatal(err)
		}
		if res.Requests != 137 || hits.Load() != 137 {
			t.Errorf("%d clients: %d requests measured, %d served, want 137", clients, res.Requests, hits.Load())
		}
	}
}

func TestLoadWarmupNotRecorded(t *testing.T) {
	// Each client's first request starts during the 200ms warmup and takes
	// 500ms; the measured ones are fast.
	const clients = 3
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("i") == "0" {
			time.Sleep(500 * time.Millisecond)
		}
	}))
	defer srv.Close()

	var issued atomic.Int64
	res, err := Load(t.Context(), LoadOptions{
		BaseURL: srv.URL, Clients: clients, Requests: 30, Warmup: 200 * time.Millisecond,
		Next: func(c, i int) string { issued.Add(1); return fmt.Sprintf("/?i=%d", i) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 30 || issued.Load() != 30+clients {
		t.Errorf("%d measured, %d issued: want 30 and %d", res.Requests, issued.Load(), 30+clients)
	}
	if res.Max >= 400*time.Millisecond {
		t.Errorf("max %v: a warmup request was recorded", res.Max)
	}
}

func TestLoadDuration(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()

	start := time.Now()
	res, err := Load(t.Context(), LoadOptions{BaseURL: srv.URL, Clients: 2, Duration: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); res.Elapsed < 200*time.Millisecond || took > 3*time.Second {
		t.Errorf("elapsed %v, Load took %v", res.Elapsed, took)
	}
	if res.Requests == 0 || res.Errors != 0 {
		t.Fatalf("got %+v", res)
	}
	if want := float64(res.Requests) / res.Elapsed.Seconds(); res.Throughput != want {
		t.Errorf("throughput %v, want %v", res.Throughput, want)
	}
}

func TestLoadNon2xx(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad" {
			http.Error(w, "boom", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()

	res, err := Load(t.Context(), LoadOptions{
		BaseURL: srv.URL, Clients: 1, Requests: 40,
		Next: func(c, i int) string {
			if i%4 == 3 {
				return "/bad?i=" + fmt.Sprint(i)
			}
			return "ok" // a missing slash is added
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 40 || res.Non2xx != 10 || res.Errors != 0 {
		t.Errorf("got %+v, want 40 requests, 10 non-2xx, 0 errors", res)
	}
	if want := "GET /bad?i=3: 500 Internal Server Error"; res.FirstNon2xx != want {
		t.Errorf("first non-2xx %q, want %q", res.FirstNon2xx, want)
	}
	if res.FirstError != "" {
		t.Errorf("first error %q", res.FirstError)
	}
}

func TestLoadRedirectIsNon2xx(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/login" {
			http.Redirect(w, r, "/login", http.StatusFound)
		}
	}))
	defer srv.Close()
	res, err := Load(t.Context(), LoadOptions{BaseURL: srv.URL, Requests: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Non2xx != 5 || !strings.Contains(res.FirstNon2xx, "302") {
		t.Errorf("got %+v, want 5 non-2xx (302)", res)
	}
}

func TestLoadTransportErrors(t *testing.T) {
	t.Run("server gone", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		base := srv.URL
		srv.Close()
		res, err := Load(t.Context(), LoadOptions{BaseURL: base, Clients: 2, Requests: 20})
		if err != nil {
			t.Fatal(err)
		}
		if res.Requests != 20 || res.Errors != 20 || res.Non2xx != 0 || res.FirstError == "" {
			t.Errorf("got %+v, want 20 errors", res)
		}
		if res.P50 != 0 || res.Max != 0 {
			t.Errorf("latencies of failed requests recorded: %+v", res)
		}
	})
	t.Run("connection dropped", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/drop" {
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.Close()
				}
			}
		}))
		defer srv.Close()
		res, err := Load(t.Context(), LoadOptions{
			BaseURL: srv.URL, Clients: 1, Requests: 20,
			Next: func(c, i int) string {
				if i%5 == 4 {
					return "/drop"
				}
				return "/"
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Requests != 20 || res.Errors != 4 || res.Non2xx != 0 || !strings.Contains(res.FirstError, "/drop") {
			t.Errorf("got %+v, want 4 errors on /drop", res)
		}
	})
	t.Run("body cut short", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			fmt.Fprint(w, "short")
		}))
		defer srv.Close()
		res, err := Load(t.Context(), LoadOptions{BaseURL: srv.URL, Requests: 3})
		if err != nil {
			t.Fatal(err)
		}
		if res.Errors != 3 || !strings.Contains(res.FirstError, "reading the body") {
			t.Errorf("got %+v, want 3 body errors", res)
		}
	})
}

func TestLoadBadOptions(t *testing.T) {
	for _, o := range []LoadOptions{
		{BaseURL: "://nope", Requests: 1},
		{BaseURL: "127.0.0.1:8080", Requests: 1},
		{BaseURL: "ftp://127.0.0.1", Requests: 1},
		{BaseURL: "http://127.0.0.1:1"}, // no stop condition
		{BaseURL: "http://127.0.0.1:1", Requests: -1},
	} {
		if _, err := Load(t.Context(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestLoadNextDistinctPerClient(t *testing.T) {
	const clients, total = 4, 100
	var mu sync.Mutex
	served := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if served[r.URL.RequestURI()] {
			t.Errorf("%s served twice", r.URL.RequestURI())
		}
		served[r.URL.RequestURI()] = true
	}))
	defer srv.Close()

	seen := make([][]int, clients) // each client's i, in order
	res, err := Load(t.Context(), LoadOptions{
		BaseURL: srv.URL, Clients: clients, Requests: total,
		Header: http.Header{"X-Bench": {"1"}},
		Next: func(c, i int) string {
			if c < 0 || c >= clients {
				t.Errorf("client %d", c)
				return "/"
			}
			seen[c] = append(seen[c], i) // one goroutine per client
			return fmt.Sprintf("/p?c=%d&i=%d", c, i)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != total || len(served) != total {
		t.Fatalf("%d measured, %d served, want %d", res.Requests, len(served), total)
	}
	n := 0
	for c, is := range seen {
		for k, i := range is {
			if i != k {
				t.Fatalf("client %d: i's %v, want 0, 1, 2, ...", c, is)
			}
		}
		n += len(is)
	}
	if n != total {
		t.Errorf("Next called %d times, want %d", n, total)
	}
}

func TestLoadHeader(t *testing.T) {
	var bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Cookie") != "s=1" || r.Host != "portal.example" {
			bad.Add(1)
		}
	}))
	defer srv.Close()
	_, err := Load(t.Context(), LoadOptions{BaseURL: srv.URL, Clients: 2, Requests: 10,
		Header: http.Header{"Cookie": {"s=1"}, "Host": {"portal.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	if bad.Load() != 0 {
		t.Errorf("%d requests without the header or host", bad.Load())
	}
}

func TestLoadCancel(t *testing.T) {
	// The handler never answers before the client gives up: cancelling
	// must abandon the requests in flight without counting them.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	res, err := Load(ctx, LoadOptions{BaseURL: srv.URL, Clients: 3, Duration: time.Minute})
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Load took %v after a cancel at 100ms", took)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if res.Requests != 0 || res.Errors != 0 {
		t.Errorf("abandoned requests counted: %+v", res)
	}
}

func TestLoadCancelKeepsResults(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(150*time.Millisecond, cancel)
	res, err := Load(ctx, LoadOptions{BaseURL: srv.URL, Clients: 2, Duration: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if res.Requests == 0 || res.Errors != 0 || res.Elapsed > 3*time.Second {
		t.Errorf("got %+v: want some requests, no errors", res)
	}
}

func TestLoadResultString(t *testing.T) {
	r := LoadResult{Requests: 12345, Elapsed: 20 * time.Second, Throughput: 617.25,
		P50: 1200 * time.Microsecond, P95: 3400 * time.Microsecond, P99: 8900 * time.Microsecond, Max: 20100 * time.Microsecond}
	if got, want := r.String(), "12345 req in 20.0s, 617.2 req/s, p50 1.2ms p95 3.4ms p99 8.9ms max 20.1ms, 0 errors, 0 non-2xx"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	r = LoadResult{Requests: 3, Errors: 1, Non2xx: 2, Elapsed: 1500 * time.Millisecond, Throughput: 2, P50: 250 * time.Microsecond}
	if got, want := r.String(), "3 req in 1.5s, 2.0 req/s, p50 0.25ms p95 0.00ms p99 0.00ms max 0.00ms, 1 errors, 2 non-2xx"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestLoadResultJSON(t *testing.T) {
	r := summarize([]clientStats{{lat: []time.Duration{time.Millisecond, 3 * time.Millisecond}, requests: 3, errors: 1, firstErr: "x"}}, 2*time.Second)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"requests": 3.0, "errors": 1.0, "non_2xx": 0.0, "bytes": 0.0, "seconds": 2.0, "requests_per_sec": 1.5,
		"p50_ms": 1.0, "p90_ms": 3.0, "p95_ms": 3.0, "p99_ms": 3.0, "max_ms": 3.0, "mean_ms": 2.0, "first_error": "x"}
	if len(m) != len(want) {
		t.Errorf("keys %v, want %v", slices.Sorted(maps.Keys(m)), slices.Sorted(maps.Keys(want)))
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v (%s)", k, m[k], v, b)
		}
	}
}

func TestParseVmHWM(t *testing.T) {
	status := "Name:\tx\nVmPeak:\t    3060 kB\nVmHWM:\t    1764 kB\nVmRSS:\t    1700 kB\n"
	if n, err := parseVmHWM([]byte(status)); err != nil || n != 1764*1024 {
		t.Errorf("got %d, %v", n, err)
	}
	for _, bad := range []string{"Name:\tx\nState:\tZ (zombie)\n", "VmHWM:\t 12 MB\n", "VmHWM:\n"} {
		if _, err := parseVmHWM([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestPeakRSS(t *testing.T) {
	pid := os.Getpid()
	n, err := PeakRSS(pid)
	if runtime.GOOS != "linux" {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("PeakRSS on %s: %v, want ErrUnsupported", runtime.GOOS, err)
		}
		if err := ResetPeakRSS(pid); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("ResetPeakRSS on %s: %v, want ErrUnsupported", runtime.GOOS, err)
		}
		return
	}
	if err != nil || n < 1<<20 {
		t.Fatalf("PeakRSS(self) = %d, %v: want at least 1 MiB", n, err)
	}
	if err := ResetPeakRSS(pid); err != nil {
		t.Logf("ResetPeakRSS: %v (clear_refs not supported here?)", err)
	} else if n2, err := PeakRSS(pid); err != nil || n2 == 0 {
		t.Errorf("PeakRSS after reset = %d, %v", n2, err)
	}
	if _, err := PeakRSS(0); err == nil {
		t.Error("PeakRSS(0): no error")
	}
	if err := ResetPeakRSS(-1); err == nil {
		t.Error("ResetPeakRSS(-1): no error")
	}
	if _, err := PeakRSS(1 << 30); err == nil { // above pid_max
		t.Error("PeakRSS of a missing process: no error")
	}
}

// TestLoadPost: with Body set every request is a JSON POST of that body.
func TestLoadPost(t *testing.T) {
	var got sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v struct{ N int }
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&v) != nil {
			w.WriteHeader(400)
			return
		}
		got.Store(v.N, true)
	}))
	defer srv.Close()
	res, err := Load(context.Background(), LoadOptions{BaseURL: srv.URL, Clients: 2, Requests: 10,
		Next: func(c, i int) string { return "/checks" },
		Body: func(c, i int) []byte { return []byte(fmt.Sprintf(`{"N":%d}`, c*100+i)) }})
	if err != nil || res.Requests != 10 || res.Non2xx != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	n := 0
	got.Range(func(any, any) bool { n++; return true })
	if n < 10 {
		t.Errorf("%d distinct bodies seen", n)
	}
}
