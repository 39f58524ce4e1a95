package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/integrity"
	"github.com/xinyong/xinyong/internal/store"
)

// demoBatch is how many subjects one transaction files. A run killed half
// way keeps every finished batch; running it again files the rest, since
// the data is deterministic and puts are idempotent.
const demoBatch = 5000

// Progress is told how many of total subjects are filed, after each batch.
type Progress func(done, total int)

// BarProgress draws a progress bar on a terminal.
func BarProgress(w io.Writer, total int) Progress {
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("生成演示数据"),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	return func(done, _ int) { bar.Set(done) }
}

// LogProgress logs a line at every tenth of the work, for logs that are
// not a terminal.
func LogProgress(log *slog.Logger) Progress {
	next := 0
	return func(done, total int) {
		if done >= next || done == total {
			log.Info("demo progress", "filed", done, "total", total)
			next = done + max(total/10, demoBatch)
		}
	}
}

// demoPool is how many of the generated subjects demo records are about,
// at least: with many records, one subject in five records (so that a
// subject has a handful, as in life), up to maxDemoPool.
const (
	demoPool    = 4000
	maxDemoPool = 1000000
)

// LoadDemo generates n demo subjects with seed and files them, telling
// progress (nil for none) after each batch. With an importer and records
// > 0 it then imports that many 行政许可 and 行政处罚 rows (half each) about
// those subjects through the intake path, as a department would, and list
// entries (失信名单 records/20, 守信激励名单 records/50), integrity events
// (records/10) and registrations (登记注册, records/10).
func LoadDemo(ctx context.Context, s store.Store, n int, seed int64, progress Progress, im *ingest.Importer, records int) (store.PutStats, ingest.Result, error) {
	var total store.PutStats
	done := 0
	batch := make([]credit.Subject, 0, demoBatch)
	var pool []credit.Subject
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		st, err := s.PutSubjects(ctx, batch)
		if err != nil {
			return err
		}
		total = total.Add(st)
		done += len(batch)
		if progress != nil {
			progress(done, n)
		}
		batch = batch[:0]
		return ctx.Err()
	}
	err := demo.Generate(demo.Options{Seed: seed, Subjects: n}, func(sub credit.Subject) error {
		if len(pool) < min(max(demoPool, records/5), maxDemoPool) {
			pool = append(pool, sub)
		}
		batch = append(batch, sub)
		if len(batch) == demoBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil || im == nil || records <= 0 {
		return total, ingest.Result{}, err
	}
	var sum ingest.Result
	now := time.Now()
	// 行政许可 and 行政处罚, half each; then list entries, one for every 20
	// records (失信名单) and one for every 50 (守信激励名单).
	// Integrity events about the government bodies, one for every 10
	// records, over the last 15 months.
	// Registrations (登记注册, kind dj) of the pool's organisations and
	// sole traders with a code, one for every 10 records.
	counts := map[string]int{"xk": (records + 1) / 2, "cf": records / 2, "sx": records / 20, "hm": records / 50, integrity.EventKind: records / 10,
		"dj": records / 10}
	for i, code := range []string{"xk", "cf", "sx", "hm", integrity.EventKind, "dj"} {
		kind, ok := im.Catalog.Kind(code)
		if !ok {
			continue
		}
		var header []string
		for _, f := range kind.Fields {
			header = append(header, f.Name)
		}
		dateCol := slices.IndexFunc(kind.Fields, func(f catalog.Field) bool { return f.Key == kind.DecisionDate })
		// The rows come in date order; each month's rows are one intake
		// batch received early the next month, as a department would have
		// sent them, so that publicity windows and as-of views have a past.
		var rows [][]string
		month := ""
		file := func() error {
			if len(rows) == 0 {
				return nil
			}
			d, err := calendar.ParseDate(month + "-01")
			if err != nil {
				return err
			}
			received := d.AddMonths(1).Time().Add(9 * time.Hour)
			if received.After(now) {
				received = now
			}
			res, err := im.Import(ctx, ingest.NewRowsTable(header, rows), ingest.Options{Kind: code, Channel: "demo", ReceivedAt: received})
			if err != nil {
				return err
			}
			sum.Rows += res.Rows
			sum.Accepted += res.Accepted
			sum.Unchanged += res.Unchanged
			sum.Updated += res.Updated
			sum.Rejected = append(sum.Rejected, res.Rejected...)
			rows = rows[:0]
			return ctx.Err()
		}
		if counts[code] == 0 {
			continue
		}
		emit := func(r []string) error {
			if m := r[dateCol][:7]; m != month {
				if err := file(); err != nil {
					return err
				}
				month = m
			}
			rows = append(rows, slices.Clone(r))
			return nil
		}
		var err error
		if code == integrity.EventKind {
			err = demoIntegrity(kind, im.Catalog, seed+int64(i), counts[code], pool, now.AddDate(0, 0, -2), emit)
		} else {
			opts := demo.RecordOptions{Seed: seed + int64(i), Rows: counts[code], Pool: pool, Today: now.AddDate(0, 0, -2)}
			err = demo.Records(kind, opts, emit)
		}
		if err == nil {
			err = file()
		}
		if err != nil {
			return total, sum, fmt.Errorf("demo %s records: %w", code, err)
		}
	}
	return total, sum, nil
}

// demoIntegrity generates the demo's integrity events about the pool's
// government bodies, with the natures the built-in model allows.
func demoIntegrity(kind *catalog.Kind, cat *catalog.Catalog, seed int64, rows int, pool []credit.Subject, today time.Time, emit func([]string) error) error {
	m, err := integrity.Builtin(cat)
	if err != nil {
		return err
	}
	return demo.IntegrityEvents(kind, demo.IntegrityOptions{Seed: seed, Rows: rows, Bodies: pool, Today: today, Natures: func(item string) []string {
		if it, ok := m.Item(item); ok {
			switch it.Nature {
			case integrity.Good:
				return []string{"良好"}
			case integrity.Bad:
				return []string{"不良"}
			}
		}
		return []string{"良好", "不良"}
	}}, emit)
}
