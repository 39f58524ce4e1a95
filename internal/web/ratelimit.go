package web

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter keeps a token bucket per client address.
type limiter struct {
	limit  rate.Limit
	burst  int
	header string // trusted header with the client address, or ""

	mu    sync.Mutex
	m     map[string]*bucket
	calls int
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

// idleAfter is how long an address's bucket is kept without use; a full
// bucket is the same as none.
const idleAfter = 10 * time.Minute

func newLimiter(perSecond float64, burst int, header string) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{limit: rate.Limit(perSecond), burst: max(burst, 1), header: header, m: map[string]*bucket{}}
}

// clientAddr is the address a request is counted against.
func (l *limiter) clientAddr(r *http.Request) string {
	if l.header != "" {
		if v := strings.TrimSpace(strings.Split(r.Header.Get(l.header), ",")[0]); v != "" {
			return v
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// allow takes a token for the request's client, or says how long to wait.
func (l *limiter) allow(r *http.Request, now time.Time) (bool, time.Duration) {
	return l.allowKey(l.clientAddr(r), now)
}

// allowKey takes a token from key's bucket, or says how long to wait. A
// nil limiter allows everything.
func (l *limiter) allowKey(addr string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.calls++; l.calls%1024 == 0 {
		for k, b := range l.m {
			if now.Sub(b.seen) > idleAfter {
				delete(l.m, k)
			}
		}
	}
	b, ok := l.m[addr]
	if !ok {
		b = &bucket{l: rate.NewLimiter(l.limit, l.burst)}
		l.m[addr] = b
	}
	b.seen = now
	res := b.l.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// limitSearch answers 429 with Retry-After to a client that searches
// faster than allowed, on the search page and the search API; sign-ins and
// objections (which anyone may file against a public record) share the
// same per-client budget.
func (s *Server) limitSearch(next http.Handler) http.Handler {
	l := s.limiter
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limited := r.Method == http.MethodGet && (r.URL.Path == "/search" || r.URL.Path == "/api/v1/subjects") ||
			r.Method == http.MethodPost && (r.URL.Path == "/login" || r.URL.Path == "/api/v1/objections" ||
				strings.HasPrefix(r.URL.Path, "/records/") && strings.HasSuffix(r.URL.Path, "/objections"))
		if !limited {
			next.ServeHTTP(w, r)
			return
		}
		ok, wait := l.allow(r, time.Now())
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		s.rateLimited.Inc()
		if strings.HasPrefix(r.URL.Path, "/api/") {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"title":"Too Many Requests","status":429,"detail":"查询过于频繁，请` + strconv.Itoa(max(secs, 1)) + `秒后再试"}` + "\n"))
			return
		}
		s.render(w, r, http.StatusTooManyRequests, "error", "查询过于频繁", "查询过于频繁，请"+strconv.Itoa(max(secs, 1))+"秒后再试。")
	})
}
