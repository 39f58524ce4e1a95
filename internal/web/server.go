// Package web is the HTTP side of the platform: the portal's pages
// (html/template, embedded assets), the JSON API (huma, OpenAPI generated
// from the Go types), health and metrics. Handlers translate HTTP into
// calls on the store and the domain packages; no rule lives here.
package web

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/check"
	"github.com/xinyong/xinyong/internal/commitment"
	"github.com/xinyong/xinyong/internal/complaint"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/hiring"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/inspection"
	"github.com/xinyong/xinyong/internal/integrity"
	"github.com/xinyong/xinyong/internal/ledger"
	"github.com/xinyong/xinyong/internal/lending"
	"github.com/xinyong/xinyong/internal/market"
	"github.com/xinyong/xinyong/internal/objection"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/registry"
	"github.com/xinyong/xinyong/internal/repair"
	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure a Server.
type Options struct {
	Store    store.Store
	Log      *slog.Logger
	SiteName string
	Site     SiteInfo // owner, contact, ICP number and icon for the footer (window.go)
	// Complaints serves 投诉举报 (complaints.go); nil: not served.
	Complaints *complaint.Service
	Version    string
	// Importer files records submitted through the API by departments'
	// API clients.
	Importer *ingest.Importer
	// Portal answers the public window (search, credit files, records).
	Portal *portal.Service
	// SearchRate and SearchBurst limit anonymous searches per client
	// address (0: no limit); RealIPHeader names a trusted proxy's header
	// with the client address.
	SearchRate   float64
	SearchBurst  int
	RealIPHeader string
	// IDLookupRate limits lookups by ID number per client address, per
	// minute (0: they count as searches).
	IDLookupRate float64
	// Replicas, when set, counts reads by where they went; ReplicaWindow
	// is how long a browser that wrote reads from the primary
	// (read-your-writes) before its reads go to the replicas again.
	Replicas      store.ReplicaStats
	ReplicaWindow time.Duration
	// ExchangeRegion is this platform's own territory for the exchange
	// feed (serve --exchange-region).
	ExchangeRegion string
	// Authorizer makes every access decision; Keys encrypts second-factor
	// secrets. Without an Authorizer only the public portal works.
	Authorizer *auth.Authorizer
	Keys       *pii.Keyring
	// InsecureCookies drops the Secure attribute of cookies on plain HTTP
	// (development behind no TLS on a host other than localhost).
	InsecureCookies bool
	// Checks runs and archives credit checks (nil: no check API).
	Checks *check.Service
	// APIRate and APIBurst limit each API client's requests per second.
	APIRate  float64
	APIBurst int
	// OIDC, when set, offers sign-in through a single sign-on provider,
	// discovered on first use.
	OIDC *OIDCConfig
	// Concurrency is how many reads are worked on at once, the others
	// waiting in line up to QueueTimeout (0: no line; see readQueue).
	Concurrency  int
	QueueTimeout time.Duration
	// Objections files and handles objections (nil: none).
	Objections *objection.Service
	// Repairs files and handles credit repair applications (nil: none).
	Repairs *repair.Service
	// Commitments keeps the commitment registry (nil: none).
	Commitments *commitment.Service
	// Reports issues and verifies credit reports (nil: none).
	Reports *report.Service
	// PublicURL is the site's address as users reach it (https://host),
	// for the verification links in reports; empty: the request's host.
	PublicURL string
	// Ledger answers the reporting ledger, the returns' deadlines and the
	// reporting quality (nil: no returns or quality pages).
	Ledger *ledger.Service
	// Integrity is government-integrity monitoring (nil: none).
	Integrity *integrity.Service
	// Evaluation answers subjects' public credit evaluations (nil: the
	// 信用评价 section stays pending).
	Evaluation *evaluation.Service
	// Inspections runs graded supervision and 双随机 inspections (nil:
	// none).
	Inspections *inspection.Service
	// Market runs the intermediary-service marketplace (nil: none).
	Market *market.Service
	// Registry is the registration database and code correction (nil: none).
	Registry *registry.Service
	// Hiring answers hiring checks (789号) (nil: none).
	Hiring *hiring.Service
	// Lending is 信易贷: firms' grants to lenders and lenders' reads (nil: none).
	Lending *lending.Service
}

// Server serves the portal, the API, health and metrics.
type Server struct {
	opts     Options
	pages    *pages
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	handler  http.Handler
	api      huma.API

	limiter       *limiter
	clientLimiter *limiter
	idLimiter     *limiter // lookups by ID number (nil: they count as searches)
	rateLimited   prometheus.Counter
	readQueue     *readQueue  // nil: every request runs at once
	oidc          *oidcClient // nil: no single sign-on

	countsMu sync.Mutex
	counts   map[credit.Class]int64
	countsAt time.Time

	rightsMu sync.Mutex // the public column's statistics (rightsTTL)
	rights   *rightsData
	rightsAt time.Time

	jobs intakeJobs // web uploads being imported

	deptNames deptNames // department names for pages (window.go)
}

// countsTTL is how long subject counts are cached: counting a million rows
// on every page view is wasteful, and a few seconds' lag is harmless.
const countsTTL = 5 * time.Second

// New builds a server.
func New(o Options) (*Server, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	p, err := newPages(o.SiteName)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: o, pages: p, registry: prometheus.NewRegistry(),
		limiter: newLimiter(o.SearchRate, o.SearchBurst, o.RealIPHeader), clientLimiter: newLimiter(o.APIRate, o.APIBurst, ""),
		idLimiter: newLimiter(o.IDLookupRate/60, int(math.Ceil(o.IDLookupRate)), o.RealIPHeader)}
	p.deptName = s.cachedDeptName
	p.site = o.Site
	if o.OIDC != nil {
		if err := o.OIDC.validate(); err != nil {
			return nil, err
		}
		s.oidc = newOIDCClient(*o.OIDC)
	}
	s.rateLimited = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "xinyong_search_rate_limited_total", Help: "Anonymous searches refused for exceeding the per-address rate.",
	})
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "xinyong_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"method", "route", "code"})
	s.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "xinyong_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: prometheus.DefBuckets,
	}, []string{"method", "route"})
	s.registry.MustRegister(s.requests, s.duration, s.rateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&subjectCollector{s: s})
	if ix, ok := o.Store.(interface{ IndexStats() store.IndexStats }); ok {
		s.registry.MustRegister(nameIndexCollectors(ix.IndexStats)...)
	}
	if o.Objections != nil || o.Repairs != nil {
		s.registry.MustRegister(newCaseSteps(s))
	}
	if s.readQueue = newReadQueue(o.Concurrency, o.QueueTimeout); s.readQueue != nil {
		s.registry.MustRegister(s.readQueue.collectors()...)
	}

	mux := http.NewServeMux()
	s.api = newAPI(mux, o.Version)
	s.api.UseMiddleware(s.authenticate, s.withBase)
	s.registerAPI()
	s.registerIntake()
	s.registerPortalAPI()
	s.registerChecks(mux)
	s.registerChanges()
	s.registerExchange(mux)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /tools/code", s.codeTool)
	mux.HandleFunc("GET /search", s.searchPage)
	mux.HandleFunc("GET /subjects/{ref}", s.subjectPage)
	mux.HandleFunc("GET /records/{ref}", s.recordPage)
	mux.HandleFunc("GET /sgs", s.columnPage)
	s.registerAccess(mux)
	s.registerObjections(mux)
	s.registerRepairs(mux)
	s.registerCommitments(mux)
	s.registerWindow(mux)
	s.registerComplaints(mux)
	s.registerArticles(mux)
	s.registerReports(mux)
	s.registerIntakePages(mux)
	s.registerReturns(mux)
	s.registerQuality(mux)
	s.registerIntegrity(mux)
	s.registerInspections(mux)
	s.registerMarket(mux)
	s.registerRegistry(mux)
	s.registerHiring(mux)
	s.registerLending(mux)
	mux.HandleFunc("GET /rights", s.rightsPage)
	mux.HandleFunc("/", s.notFound)
	s.handler = s.replicaReads(s.observe(s.recoverer(securityHeaders(http.NewCrossOriginProtection().Handler(s.identify(s.limitSearch(s.queue(recordRoute(s.limitForms(mux, mux))))))))))
	if o.Replicas != nil {
		s.registry.MustRegister(replicaCollectors(o.Replicas)...)
	}
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// API is the huma API, for generating the OpenAPI document.
func (s *Server) API() huma.API { return s.api }

// subjectCounts returns the cached counts per class.
func (s *Server) subjectCounts(ctx context.Context) (map[credit.Class]int64, error) {
	s.countsMu.Lock()
	defer s.countsMu.Unlock()
	if s.counts != nil && time.Since(s.countsAt) < countsTTL {
		return s.counts, nil
	}
	c, err := s.opts.Store.CountSubjects(ctx)
	if err != nil {
		return nil, err
	}
	s.counts, s.countsAt = c, time.Now()
	return c, nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.opts.Store.Ping(ctx); err != nil {
		s.opts.Log.Error("health check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"unavailable"}` + "\n"))
		return
	}
	w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// nameIndexCollectors export the in-memory name index's figures.
func nameIndexCollectors(stats func() store.IndexStats) []prometheus.Collector {
	gauge := func(name, help string, v func(store.IndexStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return v(stats()) })
	}
	return []prometheus.Collector{
		gauge("xinyong_name_index_subjects", "Subjects with names in the in-memory name index.",
			func(st store.IndexStats) float64 { return float64(st.Subjects) }),
		gauge("xinyong_name_index_seq", "Number of the last name-search entry the in-memory index applied.",
			func(st store.IndexStats) float64 { return float64(st.Seq) }),
		gauge("xinyong_name_index_refreshed_timestamp_seconds", "When the in-memory name index last caught up with the database (Unix time).",
			func(st store.IndexStats) float64 { return float64(st.Refreshed.UnixNano()) / 1e9 }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "xinyong_name_index_refresh_failures_total",
			Help: "Refreshes of the in-memory name index that failed (the next one retries)."},
			func() float64 { return float64(stats().Failures) }),
		gauge("xinyong_name_index_broken", "1 when the in-memory name index refused an entry and name searches went back to the database.",
			func(st store.IndexStats) float64 {
				if st.Broken {
					return 1
				}
				return 0
			}),
	}
}

// subjectCollector exports the subject counts as a gauge.
type subjectCollector struct{ s *Server }

var subjectsDesc = prometheus.NewDesc("xinyong_subjects", "Credit subjects in the registry by class.", []string{"class"}, nil)

func (c *subjectCollector) Describe(ch chan<- *prometheus.Desc) { ch <- subjectsDesc }

func (c *subjectCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.s.subjectCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(subjectsDesc, err)
		return
	}
	for _, cl := range credit.Classes {
		ch <- prometheus.MustNewConstMetric(subjectsDesc, prometheus.GaugeValue, float64(counts[cl]), string(cl))
	}
}

// statusWriter records the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe logs each request (path only: query strings may hold personal
// identifiers) and records metrics by route pattern. An unexpected error
// noted on the way (noteError) is logged here, once, at error level; a
// client that went away is not an error.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		ri := &reqInfo{}
		r = r.WithContext(context.WithValue(r.Context(), reqInfoKey, ri))
		next.ServeHTTP(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		route := ri.route
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		s.requests.WithLabelValues(r.Method, route, strconv.Itoa(sw.code)).Inc()
		s.duration.WithLabelValues(r.Method, route).Observe(d.Seconds())
		switch {
		case ri.err != nil && !clientGone(r, ri.err):
			s.opts.Log.Error("request failed", "method", r.Method, "route", route, "status", sw.code, "duration", d, "err", ri.err)
		case ri.err != nil:
			s.opts.Log.Debug("client went away", "method", r.Method, "route", route, "duration", d, "err", ri.err)
		default:
			s.opts.Log.Debug("request", "method", r.Method, "route", route, "status", sw.code, "duration", d)
		}
	})
}

// recoverer answers 500 to a request whose handler panicked, and logs it;
// a panic because the client went away (huma panics when it cannot write
// the answer) is no error and gets no answer.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				// The route, not the path: a path may hold an ID number.
				route := ""
				if ri, ok := r.Context().Value(reqInfoKey).(*reqInfo); ok {
					route = ri.route
				}
				if err, ok := v.(error); ok && clientGone(r, err) {
					s.opts.Log.Debug("client went away", "method", r.Method, "route", route, "err", err)
					return
				}
				s.opts.Log.Error("panic serving request", "method", r.Method, "route", route, "panic", v)
				http.Error(w, "服务器内部错误", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every response carries: a strict
// content security policy (no inline scripts, no framing), no sniffing.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}
