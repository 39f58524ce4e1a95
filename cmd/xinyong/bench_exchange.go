package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/web"
)

const benchExchangeSynopsis = "bench exchange [--rows N] [--page N] [--lag-seconds S] [--rate R] [--json]\n\n" +
	"Two local instances (SQLite, in a temporary directory): a city platform that has --rows 行政处罚 records and\n" +
	"the province that has none. The province pulls the city's feed over HTTP on loopback (the real server, the real\n" +
	"puller, every record through the province's intake path) until it has caught up, and reports records/s\n" +
	"transferred and applied (target 20,000/s) and the catch-up time, projected to 1,000,000 records behind\n" +
	"(target under 2 minutes). Then the city files --rate new records a second for --lag-seconds while the province\n" +
	"follows, and the lag from a record's commit at the city to its application at the province is reported\n" +
	"(target under 5 s)."

// benchExchangeReport is what bench exchange prints.
type benchExchangeReport struct {
	Rows            int     `json:"rows"`
	Page            int     `json:"page"`
	CatchUpSeconds  float64 `json:"catch_up_seconds"`
	RecordsPerSec   float64 `json:"records_per_second"`
	TargetPerSec    float64 `json:"target_records_per_second"`
	Ratio           float64 `json:"ratio"`
	Projected1M     float64 `json:"projected_1m_seconds"`
	LagRate         int     `json:"lag_rate"`
	LagRecords      int     `json:"lag_records"`
	LagMaxSeconds   float64 `json:"lag_max_seconds"`
	LagMeanSeconds  float64 `json:"lag_mean_seconds"`
	LagP99Seconds   float64 `json:"lag_p99_seconds"`
	LagTargetSecond float64 `json:"lag_target_seconds"`
	Identical       bool    `json:"identical"`
}

func runBenchExchange(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "bench exchange", benchExchangeSynopsis)
	rows := fs.Int("rows", 200000, "records the city has when the province starts pulling")
	page := fs.Int("page", exchange.MaxPage, "entries per page of the feed")
	lagSeconds := fs.Int("lag-seconds", 10, "how long the city files new records while the province follows")
	rate := fs.Int("rate", 1000, "new records a second at the city during the lag test")
	asJSON := fs.Bool("json", false, "print the figures as one JSON object")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the catch-up to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *rows < 1 || *page < 1 || *page > exchange.MaxPage || *rate < 10 || *lagSeconds < 1 {
		return usageError("--rows ≥ 1, --page 1..%d, --rate ≥ 10, --lag-seconds ≥ 1", exchange.MaxPage)
	}
	level := slog.LevelWarn
	if env.getenv("XINYONG_LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: level}))
	work, err := os.MkdirTemp("", "xinyong-bench-exchange-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	type inst struct {
		c  config.Config
		s  store.Store
		im *ingest.Importer
	}
	open := func(name string) (inst, error) {
		k := make([]byte, 32)
		rand.Read(k)
		c := config.Config{Data: filepath.Join(work, name), DataKey: hex.EncodeToString(k)}
		if err := os.MkdirAll(c.Data, 0o750); err != nil {
			return inst{}, err
		}
		s, keys, err := app.Open(ctx, c, log, true)
		if err != nil {
			return inst{}, err
		}
		im, err := app.Importer(c, s, keys)
		if err != nil {
			return inst{}, err
		}
		return inst{c: c, s: s, im: im}, nil
	}
	city, err := open("city")
	if err != nil {
		return err
	}
	defer city.s.Close()
	prov, err := open("province")
	if err != nil {
		return err
	}
	defer prov.s.Close()

	// The city's records.
	kind, _ := catalog.Default().Kind("cf")
	header := make([]string, len(kind.Fields))
	for i, f := range kind.Fields {
		header[i] = f.Key
	}
	gen := func(seed int64, n int) ingest.Table {
		var rs [][]string
		demo.Records(kind, demo.RecordOptions{Seed: seed, Rows: n}, func(row []string) error {
			rs = append(rs, slices.Clone(row))
			return nil
		})
		return ingest.NewRowsTable(header, rs)
	}
	fmt.Fprintf(env.stderr, "filing %d records at the city…\n", *rows)
	if _, err := city.im.Import(ctx, gen(22, *rows), ingest.Options{Kind: "cf", Channel: "file"}); err != nil {
		return err
	}

	// The city serves its feed; the province is its upper peer.
	root, err := city.s.RootOrg(ctx, auth.Operator.Label())
	if err != nil {
		return err
	}
	prefix, secret, key := auth.NewAPIKey()
	cl, err := city.s.CreateClient(ctx, auth.APIClient{OrgID: root.ID, Name: "对端平台 province", Prefix: prefix, SecretSum: auth.TokenHash(secret)},
		auth.AuditEntry{Actor: "system:bench", Action: auth.AuditClientChange})
	if err != nil {
		return err
	}
	if _, err := city.s.PutPeer(ctx, store.Peer{Name: "province", Role: store.PeerUpper, ClientID: cl.ID, Personal: true}); err != nil {
		return err
	}
	h, err := web.New(web.Options{Store: city.s, Log: log, SiteName: "bench", Importer: city.im, Keys: nil,
		Authorizer: &auth.Authorizer{Roles: auth.DefaultRoles()}})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	defer srv.Close()
	peer, err := prov.s.PutPeer(ctx, store.Peer{Name: "city", Role: store.PeerLower, Region: "61", URL: "http://" + ln.Addr().String(), Key: key, Personal: true})
	if err != nil {
		return err
	}
	pl := &exchange.Puller{Store: prov.s, Importer: prov.im, Log: log, Every: 50 * time.Millisecond, Limit: *page}

	// Catch-up.
	fmt.Fprintf(env.stderr, "province catching up…\n")
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
	}
	start := time.Now()
	if _, err := pl.CatchUp(ctx, peer); err != nil {
		return err
	}
	took := time.Since(start)
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	rep := benchExchangeReport{Rows: *rows, Page: *page, CatchUpSeconds: took.Seconds(), RecordsPerSec: float64(*rows) / took.Seconds(),
		TargetPerSec: 20000, LagRate: *rate, LagTargetSecond: 5}
	rep.Ratio = rep.RecordsPerSec / rep.TargetPerSec
	rep.Projected1M = 1e6 / rep.RecordsPerSec

	// Lag at --rate new records a second.
	fmt.Fprintf(env.stderr, "lag at %d records/s for %ds…\n", *rate, *lagSeconds)
	lctx, cancel := context.WithCancel(ctx)
	go pl.Run(lctx)
	type batch struct {
		head int64
		at   time.Time
		n    int
	}
	var mu sync.Mutex
	var batches []batch
	fresh := gen(23, *rate**lagSeconds)
	tick := 100 * time.Millisecond
	per := *rate / 10
	writeErr := make(chan error, 1)
	go func() {
		var all [][]string
		for {
			r, _, err := fresh.Next()
			if err != nil {
				break
			}
			all = append(all, r)
		}
		t := time.NewTicker(tick)
		defer t.Stop()
		for i := 0; i+per <= len(all); i += per {
			<-t.C
			if _, err := city.im.Import(ctx, ingest.NewRowsTable(header, all[i:i+per]), ingest.Options{Kind: "cf", Channel: "api"}); err != nil {
				writeErr <- err
				return
			}
			_, _, head, err := city.s.Feed(ctx, store.FeedQuery{Since: 1 << 62})
			if err != nil {
				writeErr <- err
				return
			}
			mu.Lock()
			batches = append(batches, batch{head: head, at: time.Now(), n: per})
			mu.Unlock()
		}
		writeErr <- nil
	}()
	var lags []float64
	done := 0
	written := false
	deadline := time.Now().Add(time.Duration(*lagSeconds)*time.Second + 60*time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-writeErr:
			if err != nil {
				cancel()
				return err
			}
			written = true
		default:
		}
		p, err := prov.s.GetPeer(ctx, peer.Name)
		if err != nil {
			cancel()
			return err
		}
		now := time.Now()
		mu.Lock()
		for done < len(batches) && batches[done].head <= p.Cursor {
			for j := 0; j < batches[done].n; j++ {
				lags = append(lags, now.Sub(batches[done].at).Seconds())
			}
			done++
		}
		all := written && done == len(batches)
		mu.Unlock()
		if all {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if len(lags) == 0 {
		return fmt.Errorf("no record of the lag test reached the province")
	}
	slices.Sort(lags)
	var total float64
	for _, l := range lags {
		total += l
	}
	rep.LagRecords = len(lags)
	rep.LagMaxSeconds, rep.LagMeanSeconds = lags[len(lags)-1], total/float64(len(lags))
	rep.LagP99Seconds = lags[len(lags)*99/100]
	// Both platforms hold the same records.
	a, err := city.s.ExportRecords(ctx, "cf", 0, 1<<30)
	if err != nil {
		return err
	}
	b, err := prov.s.ExportRecords(ctx, "cf", 0, 1<<30)
	if err != nil {
		return err
	}
	rep.Identical = slices.Equal(benchContent(a), benchContent(b))
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(rep)
	}
	fmt.Fprintf(env.stdout, "exchange between two local instances (SQLite), page %d:\n", rep.Page)
	fmt.Fprintf(env.stdout, "  catch-up of %d records: %.1f s, %.0f records/s transferred and applied (target %.0f/s, ratio %.2f)\n",
		rep.Rows, rep.CatchUpSeconds, rep.RecordsPerSec, rep.TargetPerSec, rep.Ratio)
	fmt.Fprintf(env.stdout, "  projected catch-up of 1,000,000 records behind: %.0f s (target under 120 s)\n", rep.Projected1M)
	fmt.Fprintf(env.stdout, "  lag at %d new records/s over %d records: mean %.2f s, p99 %.2f s, max %.2f s (target under %.0f s)\n",
		rep.LagRate, rep.LagRecords, rep.LagMeanSeconds, rep.LagP99Seconds, rep.LagMaxSeconds, rep.LagTargetSecond)
	fmt.Fprintf(env.stdout, "  records at the city %d, at the province %d\n", len(a), len(b))
	return nil
}

// benchContent is each record's fields and personal fields, sorted.
func benchContent(recs []store.ExportedRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		f, _ := store.DecodeFields(r.Fields)
		b, _ := json.Marshal(f)
		out[i] = string(r.State) + string(b) + string(r.Private)
	}
	slices.Sort(out)
	return out
}
