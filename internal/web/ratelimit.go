package web

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/search"
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

// limitSearch answers 429 with Retry-After to a client over its budget
// (limited): lookups by ID number take from the stricter idLimiter;
// searches, sign-ins and objections (which anyone may file against a
// public record) share the limiter's budget.
func (s *Server) limitSearch(next http.Handler) http.Handler {
	if s.limiter == nil && s.idLimiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := s.limited(r)
		if l == nil {
			next.ServeHTTP(w, r)
			return
		}
		ok, wait := l.allow(r, time.Now())
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		secs := strconv.Itoa(max(int(math.Ceil(wait.Seconds())), 1))
		w.Header().Set("Retry-After", secs)
		s.rateLimited.Inc()
		msg := "查询过于频繁，请" + secs + "秒后再试"
		if l == s.idLimiter {
			msg = "按身份证号码查询过于频繁，请" + secs + "秒后再试"
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			writeProblem(w, fault.New(fault.TooMany, msg))
			return
		}
		s.render(w, r, http.StatusTooManyRequests, "error", "查询过于频繁", msg+"。")
	})
}

// limited is the budget r takes from, if any. HEAD is GET without the
// body (Go routes it to the GET handler), so it counts the same.
func (s *Server) limited(r *http.Request) *limiter {
	p := r.URL.Path
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if s.idLimiter != nil && idLookup(r) {
			return s.idLimiter
		}
		if p == "/search" || p == "/api/v1/subjects" || isReport(p) || p == "/verify" && r.URL.Query().Get("number") != "" ||
			isComplaint(p) && r.URL.Query().Get("code") != "" {
			return s.limiter
		}
	case http.MethodPost:
		if p == "/login" || p == "/verify" || p == "/api/v1/objections" || strings.HasPrefix(p, "/records/") && strings.HasSuffix(p, "/objections") ||
			p == "/complaints" || p == "/api/v1/complaints" {
			return s.limiter
		}
	}
	return nil
}

// isComplaint reports whether a path is a complaint's (followed with its
// 查询码, which anonymous callers could otherwise guess at leisure).
func isComplaint(p string) bool {
	return strings.HasPrefix(p, "/complaints/") || strings.HasPrefix(p, "/api/v1/complaints/")
}

// isReport reports whether a path asks for a credit report: issued at
// each request, so counted like a search.
func isReport(p string) bool {
	return (strings.HasPrefix(p, "/api/v1/subjects/") || strings.HasPrefix(p, "/subjects/")) &&
		(strings.HasSuffix(p, "/report") || strings.HasSuffix(p, "/report.pdf"))
}

// idLookup reports whether a read asks about an ID number (公民身份号码):
// a search for one (which finds the person's file), a credit file or a
// code check of one. Whether a person has a file, or whether a guessed
// number is valid, is what an enumeration would ask.
func idLookup(r *http.Request) bool {
	p := r.URL.Path
	var v string
	switch {
	case p == "/search" || p == "/api/v1/subjects":
		v = r.URL.Query().Get("q")
	case p == "/tools/code":
		v = r.URL.Query().Get("c")
	case strings.HasPrefix(p, "/subjects/"):
		v = strings.TrimPrefix(p, "/subjects/")
	case strings.HasPrefix(p, "/api/v1/subjects/"):
		v = strings.TrimPrefix(p, "/api/v1/subjects/")
	case strings.HasPrefix(p, "/api/v1/codes/"):
		v = strings.TrimPrefix(p, "/api/v1/codes/")
	default:
		return false
	}
	return isIDNumber(v)
}

// isIDNumber reports whether v, typed in any width or case, is an ID
// number or one with a wrong check character.
func isIDNumber(v string) bool {
	if len(v) < 18 || len(v) > 18*4 {
		return false
	}
	c := search.Code(strings.TrimSpace(v))
	return len(c) == 18 && code.Check(code.KindAuto, c).Kind == code.KindRIC
}
