package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestOpenLoopKeepsTheRate: answers that take 100 ms do not slow the
// sending down (a closed loop of one client would send 10 a second), the
// latencies show the slow answers, and non-2xx answers and POST bodies
// are counted and sent.
func TestOpenLoopKeepsTheRate(t *testing.T) {
	const slow = 100 * time.Millisecond
	var hits, posts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		if r.Method == http.MethodPost && r.Header.Get("Content-Type") == "application/json" && r.Header.Get("X-Key") == "k" {
			posts.Add(1)
		}
		time.Sleep(slow)
		if n%5 == 0 {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	var samples atomic.Int64
	res, err := Open(context.Background(), OpenOptions{BaseURL: srv.URL, Rate: 100, Duration: time.Second, Warmup: 200 * time.Millisecond,
		Request: func(i int) Request {
			return Request{Path: fmt.Sprintf("/x?i=%d", i), Body: []byte(`{}`), Header: http.Header{"X-Key": {"k"}}}
		}, Sample: func(time.Duration) { samples.Add(1) }, SampleEvery: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// Open loop: far more requests than the 10 a closed loop of one
	// worker could make against a 100 ms handler, and never more than
	// offered. The lower bound is loose: on a loaded machine the pacer's
	// goroutines get less CPU (51 of 100 seen under a load average of 25).
	if res.Requests < 40 || res.Requests > 120 {
		t.Errorf("%d requests measured in 1 s at 100/s: %s", res.Requests, res)
	}
	if res.P50 < slow || res.P50 > 10*slow {
		t.Errorf("p50 %s, the handler takes %s", res.P50, slow)
	}
	if res.Non2xx < res.Requests/10 || res.Errors != 0 || res.Status["503"] != res.Non2xx {
		t.Errorf("status counts: %d non-2xx, %d errors, %v", res.Non2xx, res.Errors, res.Status)
	}
	if posts.Load() != hits.Load() {
		t.Errorf("%d of %d requests were POSTs of JSON with the header", posts.Load(), hits.Load())
	}
	if samples.Load() < 3 {
		t.Errorf("memory sampled %d times in 1 s every 200 ms", samples.Load())
	}
	if _, err := Open(context.Background(), OpenOptions{BaseURL: srv.URL, Rate: 0, Duration: time.Second}); err == nil {
		t.Error("a rate of 0 accepted")
	}
}

func TestReadMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	before, err := ProcCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the CPU time has grown by 50 ms (a busy machine may give
	// this process little of each second): it must grow, in ticks.
	after := before
	for start := time.Now(); after-before < 50*time.Millisecond && time.Since(start) < 10*time.Second; {
		for t0 := time.Now(); time.Since(t0) < 10*time.Millisecond; {
		}
		if after, err = ProcCPU(os.Getpid()); err != nil {
			t.Fatal(err)
		}
	}
	if after-before < 50*time.Millisecond || (after-before)%(10*time.Millisecond) != 0 {
		t.Errorf("CPU time %s → %s after spinning", before, after)
	}
	m, err := ReadMemory(os.Getpid())
	if err != nil || m.RSS == 0 || m.RSSAnon == 0 || m.RSSAnon+m.RSSFile > m.RSS+1<<20 {
		t.Fatalf("ReadMemory = %+v, %v", m, err)
	}
}
