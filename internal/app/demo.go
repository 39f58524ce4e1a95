package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/demo"
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

// LoadDemo generates n demo subjects with seed and files them, telling
// progress (nil for none) after each batch.
func LoadDemo(ctx context.Context, s store.Store, n int, seed int64, progress Progress) (store.PutStats, error) {
	var total store.PutStats
	done := 0
	batch := make([]credit.Subject, 0, demoBatch)
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
		batch = append(batch, sub)
		if len(batch) == demoBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return total, err
}
