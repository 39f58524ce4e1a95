package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// queueServer is a server with a line of one slot and the given timeout,
// whose handler (behind the line) is h.
func queueServer(t *testing.T, timeout time.Duration, h http.HandlerFunc) (*Server, *httptest.Server) {
	t.Helper()
	st := openTestStore(t)
	s, err := New(Options{Store: st, SiteName: "测试", Version: "test", Concurrency: 1, QueueTimeout: timeout,
		Portal: &portal.Service{Store: st, Catalog: catalog.Default(), Keys: storetest.Keys()}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.queue(h))
	t.Cleanup(srv.Close)
	return s, srv
}

// waitFor polls until cond holds (at most 5 s).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestReadQueueOrder: reads that find the slot taken are worked on in the
// order they arrived; a write and health checks pass the line.
func TestReadQueueOrder(t *testing.T) {
	t.Parallel()
	hold := make(chan struct{})
	var mu sync.Mutex
	var order []string
	s, srv := queueServer(t, time.Minute, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("hold") != "" {
			<-hold
		}
		mu.Lock()
		order = append(order, r.URL.Query().Get("n"))
		mu.Unlock()
	})
	q := s.readQueue
	var wg sync.WaitGroup
	fetch := func(method, path string) {
		defer wg.Done()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s %s: %d", method, path, resp.StatusCode)
		}
	}
	wg.Add(1)
	go fetch("GET", "/subjects/x?hold=1&n=first")
	waitFor(t, "the first read to take the slot", func() bool { return len(q.slots) == 1 })
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for i, n := range names {
		wg.Add(1)
		go fetch("GET", "/subjects/x?n="+n)
		waitFor(t, "read "+n+" to wait", func() bool { return testutil.ToFloat64(q.waiting) == float64(i+1) })
	}
	// Not held back: a write, the health check, metrics and static files.
	for _, p := range []string{"/healthz?n=healthz", "/metrics?n=metrics", "/static/x.css?n=static"} {
		wg.Add(1)
		fetch("GET", p)
	}
	wg.Add(1)
	fetch("POST", "/api/v1/checks?n=post")
	mu.Lock()
	if got := strings.Join(order, " "); got != "healthz metrics static post" {
		t.Errorf("while the slot was held, worked on %q", got)
	}
	order = nil
	mu.Unlock()
	close(hold)
	wg.Wait()
	if got, want := strings.Join(order, " "), "first "+strings.Join(names, " "); got != want {
		t.Errorf("order %q, want %q", got, want)
	}
	if n := testutil.CollectAndCount(q.wait); n != 1 || testutil.ToFloat64(q.waiting) != 0 {
		t.Errorf("wait histogram %d, waiting %v", n, testutil.ToFloat64(q.waiting))
	}
}

// TestReadQueueTimeout: a read that waits too long gets 503 with
// Retry-After (a problem document on the API, a page elsewhere), and a
// cancelled read leaves the line without taking a slot.
func TestReadQueueTimeout(t *testing.T) {
	t.Parallel()
	hold := make(chan struct{})
	s, srv := queueServer(t, 100*time.Millisecond, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("hold") != "" {
			<-hold
		}
		w.Write([]byte("ok"))
	})
	q := s.readQueue
	done := make(chan struct{})
	go func() {
		defer close(done)
		get(t, srv.URL+"/?hold=1")
	}()
	waitFor(t, "the slot to be taken", func() bool { return len(q.slots) == 1 })
	resp, body := get(t, srv.URL+"/api/v1/subjects/x")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" ||
		resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, "服务繁忙") {
		t.Errorf("API read after the timeout: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, body = get(t, srv.URL+"/subjects/x")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "访问人数较多") {
		t.Errorf("page after the timeout: %d %s", resp.StatusCode, body)
	}
	if n := testutil.ToFloat64(q.refused); n != 2 {
		t.Errorf("refused %v, want 2", n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/subjects/y", nil)
	errc := make(chan error, 1)
	go func() {
		_, err := http.DefaultClient.Do(req)
		errc <- err
	}()
	waitFor(t, "a read to wait", func() bool { return testutil.ToFloat64(q.waiting) == 1 })
	cancel()
	if err := <-errc; err == nil {
		t.Error("cancelled request answered")
	}
	waitFor(t, "the cancelled read to leave", func() bool { return testutil.ToFloat64(q.waiting) == 0 })
	close(hold)
	<-done
	if resp, body := get(t, srv.URL+"/subjects/z"); resp.StatusCode != 200 || body != "ok" || len(q.slots) != 0 {
		t.Errorf("after the holder finished: %d %s, %d slots taken", resp.StatusCode, body, len(q.slots))
	}
}
