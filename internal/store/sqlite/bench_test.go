package sqlite

import (
	"context"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// BenchmarkPutSubjects files demo subjects in batches of 5,000 into one
// database; b.N counts subjects.
func BenchmarkPutSubjects(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir(), storetest.Keys())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var all []credit.Subject
	demo.Generate(demo.Options{Seed: 1, Subjects: b.N}, func(sub credit.Subject) error { all = append(all, sub); return nil })
	b.ResetTimer()
	for start := 0; start < len(all); start += 5000 {
		if _, err := s.PutSubjects(ctx, all[start:min(start+5000, len(all))]); err != nil {
			b.Fatal(err)
		}
	}
}
