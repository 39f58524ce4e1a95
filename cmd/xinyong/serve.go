package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/commitment"
	"github.com/xinyong/xinyong/internal/complaint"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/inspection"
	"github.com/xinyong/xinyong/internal/ledger"
	"github.com/xinyong/xinyong/internal/objection"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/repair"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/web"
)

func runServe(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "serve", "serve [--addr HOST:PORT] [--demo] [--data DIR | --db DSN]")
	ex := exchangeFlags(env, fs)
	tf := tlsFlags(env, fs)
	c, log, err := setup(env, fs, args, config.Serve)
	if err != nil {
		return err
	}
	serverTLS, err := tf.server()
	if err != nil {
		return err
	}
	pullTLS, err := tf.exchange()
	if err != nil {
		return err
	}
	sso, err := oidcOptions(c)
	if err != nil {
		return err
	}
	if c.DebugAddr != "" {
		if err := startDebug(ctx, c.DebugAddr, log); err != nil {
			return err
		}
	}
	s, keys, err := app.Open(ctx, c, log, true)
	if err != nil {
		return err
	}
	defer s.Close()
	var replicas store.ReplicaStats
	if len(*ex.replicas) > 0 {
		pg, ok := s.(*postgres.Store)
		if !ok {
			return usageError("--db-replica needs --db (PostgreSQL)")
		}
		if err := pg.AddReplicas(ctx, *ex.replicas); err != nil {
			return err
		}
		replicas = pg
		log.Info("read replicas", "replicas", len(*ex.replicas), "window", *ex.window)
	}
	if c.NameRefresh <= 0 {
		return fmt.Errorf("--name-refresh %s: must be positive", c.NameRefresh)
	}
	go store.FollowSearch(ctx, s, c.NameRefresh, log)
	// The audit trail's head is anchored in the data directory at start
	// (which also compares the database with the last checkpoint), every
	// app.CheckpointEvery and at shutdown.
	access := s
	app.AnchorAudit(ctx, c.Data, access, keys, log)
	anchored := make(chan struct{})
	go func() {
		defer close(anchored)
		t := time.NewTicker(app.CheckpointEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				app.AnchorAudit(ctx, c.Data, access, keys, log)
			}
		}
	}()
	if c.NameIndex {
		x, err := store.NewIndexed(ctx, s, log)
		if err != nil {
			return err
		}
		go x.Follow(ctx, c.NameRefresh)
		s = x
	}
	im, err := app.Importer(c, s, keys)
	if err != nil {
		return err
	}
	// Pull the feeds of the peer platforms (xinyong peer add).
	if *ex.every <= 0 {
		return usageError("--exchange-every %s: must be positive", *ex.every)
	}
	go (&exchange.Puller{Store: s, Importer: im, Log: log, Every: *ex.every, Limit: *ex.page, Region: *ex.region, TLS: pullTLS}).Run(ctx)
	if c.Demo {
		counts, err := s.CountSubjects(ctx)
		if err != nil {
			return err
		}
		var total int64
		for _, n := range counts {
			total += n
		}
		if total == 0 {
			if err := loadDemo(ctx, env, s, im, c, log); err != nil {
				return err
			}
		} else {
			log.Info("database holds subjects; demo data not loaded", "subjects", total)
		}
	}
	if _, err := s.RootOrg(ctx, auth.Operator.Label()); err != nil {
		return err
	}
	cat, err := app.Catalog(c)
	if err != nil {
		return err
	}
	checks, err := app.Checks(c, s, cat)
	if err != nil {
		return err
	}
	ev, err := serveEvaluation(ctx, c, s, cat, log)
	if err != nil {
		return err
	}
	checks.Grades = ev.Briefs
	clock, err := app.Deadlines(c)
	if err != nil {
		return err
	}
	authz := &auth.Authorizer{Roles: auth.DefaultRoles(), Log: log}
	ps := &portal.Service{Store: s, Catalog: cat, Keys: keys}
	if *ex.snapshots {
		go followSnapshots(ctx, &exchange.Snapshots{Store: s, Catalog: cat, Portal: ps}, log)
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return usageError("--public-url %q: want the site's absolute address, https://HOST", c.PublicURL)
		}
	}
	reports, err := app.Reports(c, s, ps, checks, ev, authz, keys)
	if err != nil {
		return err
	}
	integ, err := app.Integrity(c, s, authz, log)
	if err != nil {
		return err
	}
	if c.IntegrityEvery <= 0 {
		return fmt.Errorf("--integrity-every %s: must be positive", c.IntegrityEvery)
	}
	// Risk alerts of new serious integrity events, and the monthly run on
	// the first working day of a month.
	go integ.Follow(ctx, c.IntegrityEvery)
	// The registry follows registration batches however they came in
	// (uploads, the API, command-line imports).
	reg, err := app.Registry(c, s)
	if err != nil {
		return err
	}
	go reg.Follow(ctx, c.NameRefresh, log)
	hire, err := app.Hiring(c, s, cat, authz, keys, clock)
	if err != nil {
		return err
	}
	if c.HiringKeepDays < 1 {
		return usageError("--hiring-keep-days %d: must be at least 1", c.HiringKeepDays)
	}
	go followHiringErase(ctx, hire, time.Duration(c.HiringKeepDays)*24*time.Hour, 24*time.Hour, log)
	lend, err := app.Lending(s, cat, authz, checks.Checker, ps, ev)
	if err != nil {
		return err
	}
	site, err := siteInfo(c)
	if err != nil {
		return err
	}
	h, err := web.New(web.Options{Store: s, Log: log, SiteName: c.SiteName, Site: site, Version: versionString(), Importer: im,
		Authorizer: authz, Keys: keys, InsecureCookies: c.InsecureCookies,
		Objections:  &objection.Service{Store: s, Auth: authz, Keys: keys, Clock: clock, Public: ps.IsPublic},
		Repairs:     &repair.Service{Store: s, Auth: authz, Portal: ps, Keys: keys, Clock: clock},
		Commitments: &commitment.Service{Store: s, Auth: authz, Importer: im},
		Complaints:  &complaint.Service{Store: s, Auth: authz, Keys: keys, Clock: clock, RecordID: ps.RecordID},
		Reports:     reports, PublicURL: c.PublicURL,
		Ledger:      &ledger.Service{Store: s, Catalog: cat, Calendar: im.Calendar, Clock: clock},
		Integrity:   integ,
		Registry:    reg,
		Evaluation:  ev,
		Inspections: &inspection.Service{Store: s, Auth: authz, Importer: im, Grades: ev.Model.GradeCodes(), Model: ev.Model.Key},
		Market:      serveMarket(ctx, s, authz, im, checks, ev, clock, keys, log),
		Hiring:      hire,
		Lending:     lend,
		APIRate:     c.APIRate, APIBurst: c.APIBurst, Checks: checks,
		Portal:     ps,
		SearchRate: c.SearchRate, SearchBurst: c.SearchBurst, RealIPHeader: c.RealIPHeader, OIDC: sso,
		IDLookupRate: c.IDLookupRate, Replicas: replicas, ReplicaWindow: *ex.window, ExchangeRegion: *ex.region,
		Concurrency: concurrency(c.Concurrency, s.Dialect()), QueueTimeout: c.QueueTimeout})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		TLSConfig:         serverTLS,
	}
	errc := make(chan error, 1)
	scheme := "http"
	if serverTLS != nil {
		scheme = "https"
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	log.Info("serving", "url", scheme+"://"+ln.Addr().String()+"/", "driver", s.Dialect(), "version", versionString(),
		"client_certificates", serverTLS != nil && serverTLS.ClientCAs != nil)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", c.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	serr := srv.Shutdown(sctx)
	<-anchored
	actx, acancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer acancel()
	app.AnchorAudit(actx, c.Data, access, keys, log)
	if serr != nil {
		return fmt.Errorf("shutdown: %w", serr)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// oidcOptions returns the single sign-on configuration: nil without an
// issuer; with one, every other OIDC option is required.
func oidcOptions(c config.Config) (*web.OIDCConfig, error) {
	if c.OIDCIssuer == "" {
		return nil, nil
	}
	var missing []string
	for _, o := range []struct{ v, flag string }{
		{c.OIDCClientID, "--oidc-client-id (XINYONG_OIDC_CLIENT_ID)"},
		{c.OIDCSecret, "--oidc-client-secret (XINYONG_OIDC_CLIENT_SECRET or XINYONG_OIDC_CLIENT_SECRET_FILE)"},
		{c.OIDCRedirectURL, "--oidc-redirect-url (XINYONG_OIDC_REDIRECT_URL)"},
	} {
		if o.v == "" {
			missing = append(missing, o.flag)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("--oidc-issuer is set, so single sign-on also needs %s", strings.Join(missing, ", "))
	}
	for _, o := range []struct{ v, flag string }{{c.OIDCIssuer, "--oidc-issuer"}, {c.OIDCRedirectURL, "--oidc-redirect-url"}} {
		u, err := url.Parse(o.v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("%s %q: want an absolute http(s) URL", o.flag, o.v)
		}
	}
	return &web.OIDCConfig{Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, ClientSecret: c.OIDCSecret, RedirectURL: c.OIDCRedirectURL}, nil
}

// concurrency is the number of reads worked on at once (--concurrency):
// given, or by default the number of CPUs on the embedded database, whose
// work is all in this process, and four per CPU on PostgreSQL, where a
// read mostly waits for the database server; -1 means no line (0 to the
// server).
func concurrency(given int, dialect string) int {
	switch {
	case given > 0:
		return given
	case given < 0:
		return 0
	case dialect == "postgres":
		return 4 * runtime.GOMAXPROCS(0)
	}
	return runtime.GOMAXPROCS(0)
}

// serveEvaluation is the public credit evaluation of serve: the --model
// model, a run of every subject each month (or when the model changed),
// and the follower that re-evaluates subjects whose records changed every
// --evaluation-refresh.
func serveEvaluation(ctx context.Context, c config.Config, s store.Store, cat *catalog.Catalog, log *slog.Logger) (*evaluation.Service, error) {
	if c.EvalRefresh <= 0 {
		return nil, fmt.Errorf("--evaluation-refresh %s: must be positive", c.EvalRefresh)
	}
	l, err := app.Lists(c, cat)
	if err != nil {
		return nil, err
	}
	ev, err := app.Evaluation(c, s, cat, l, log)
	if err != nil {
		return nil, err
	}
	log.Info("evaluation model", "key", ev.Model.Key, "name", ev.Model.Name, "refresh", c.EvalRefresh)
	go ev.Schedule(ctx, c.EvalRefresh)
	return ev, nil
}
