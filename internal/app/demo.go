package app

import (
	"context"
	"fmt"
	"io"

	"github.com/schollz/progressbar/v3"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/store"
)

// demoBatch is how many subjects one transaction files. A run killed half
// way keeps every finished batch; running it again files the rest, since
// the data is deterministic and puts are idempotent.
const demoBatch = 5000

// LoadDemo generates n demo subjects with seed and files them, showing a
// progress bar on progress (nil for none).
func LoadDemo(ctx context.Context, s store.Store, n int, seed int64, progress io.Writer) (store.PutStats, error) {
	var bar *progressbar.ProgressBar
	if progress != nil {
		bar = progressbar.NewOptions(n,
			progressbar.OptionSetWriter(progress),
			progressbar.OptionSetDescription("生成演示数据"),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(200_000_000),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(progress) }),
		)
	}
	var total store.PutStats
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
		if bar != nil {
			bar.Add(len(batch))
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
	if bar != nil {
		bar.Finish()
	}
	return total, err
}
