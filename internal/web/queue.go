package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/xinyong/xinyong/internal/fault"
)

// DefaultQueueTimeout is how long a read waits in line before it is
// answered 503.
const DefaultQueueTimeout = 10 * time.Second

// readQueue lets a fixed number of reads be worked on at once and makes
// the others wait in line, first come first served.
//
// Without it every request runs at once: under load the processors are
// shared among all of them, the database pool hands free connections to
// waiters at random (database/sql), and a request's latency depends on
// luck. Measured at 1,000,000 subjects with 50 clients on two cores, the
// subject page's p99 was 43 ms with everything at once and 19 ms with two
// at a time, at a higher throughput (docs/decisions.md).
//
// Go keeps the goroutines blocked on a channel send in arrival order, so
// a buffered channel is the line.
type readQueue struct {
	slots   chan struct{}
	timeout time.Duration
	waiting prometheus.Gauge
	wait    prometheus.Histogram
	refused prometheus.Counter
}

func newReadQueue(n int, timeout time.Duration) *readQueue {
	if n <= 0 {
		return nil
	}
	if timeout <= 0 {
		timeout = DefaultQueueTimeout
	}
	return &readQueue{
		slots:   make(chan struct{}, n),
		timeout: timeout,
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "xinyong_read_queue_waiting", Help: "Reads waiting in line for one of the --concurrency slots.",
		}),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "xinyong_read_queue_wait_seconds", Help: "How long reads waited in line before they were worked on.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "xinyong_read_queue_timeouts_total", Help: "Reads answered 503 after waiting --queue-timeout in line.",
		}),
	}
}

func (q *readQueue) collectors() []prometheus.Collector {
	return []prometheus.Collector{q.waiting, q.wait, q.refused}
}

// queued reports whether a request waits in line: reads (GET and HEAD),
// which are short, except health, metrics and static files, which must
// answer even when the line is long, and single sign-on, which waits on
// the provider. Writes (uploads, checks, sign-in) are not held back behind
// the portal's readers.
func queued(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	return p != "/healthz" && p != "/metrics" && !strings.HasPrefix(p, "/static/") && !strings.HasPrefix(p, "/login/oidc")
}

// acquire waits for a slot; false when the request was cancelled or waited
// the timeout.
func (q *readQueue) acquire(ctx context.Context) (bool, error) {
	select {
	case q.slots <- struct{}{}:
		return true, nil // free at once: no timer, no metrics
	default:
	}
	start := time.Now()
	q.waiting.Inc()
	defer q.waiting.Dec()
	t := time.NewTimer(q.timeout)
	defer t.Stop()
	select {
	case q.slots <- struct{}{}:
		q.wait.Observe(time.Since(start).Seconds())
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	case <-t.C:
		q.refused.Inc()
		return false, nil
	}
}

func (q *readQueue) release() { <-q.slots }

// queue holds reads in line (see readQueue); nil q: no line.
func (s *Server) queue(next http.Handler) http.Handler {
	q := s.readQueue
	if q == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !queued(r) {
			next.ServeHTTP(w, r)
			return
		}
		ok, err := q.acquire(r.Context())
		if err != nil {
			return // the client went away
		}
		if !ok {
			w.Header().Set("Retry-After", "1")
			if strings.HasPrefix(r.URL.Path, "/api/") {
				writeProblem(w, fault.New(fault.Unavailable, "服务繁忙，请稍后再试"))
				return
			}
			s.render(w, r, http.StatusServiceUnavailable, "error", "服务繁忙", "访问人数较多，请稍后再试。")
			return
		}
		defer q.release()
		next.ServeHTTP(w, r)
	})
}
