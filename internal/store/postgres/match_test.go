package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/match"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// TestMatchUsesIndex checks that the candidate query can use the GIN
// index, over 10,000 demo subjects, and finds a sample of them by name. At
// this size the planner rightly prefers to scan the few hundred pages of
// subject_search for all but the rarest bigrams, so the plan is taken with
// sequential scans disabled: what is checked is that the predicate is one
// the index serves (a literal tsquery cast, no function around grams).
func TestMatchUsesIndex(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, newDatabase(t), storetest.Keys())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var all, sample []credit.Subject
	demo.Generate(demo.Options{Seed: 7, Subjects: 10000}, func(sub credit.Subject) error {
		all = append(all, sub)
		if sub.Class != credit.ClassPerson && len(all)%197 == 0 {
			sample = append(sample, sub)
		}
		return nil
	})
	if _, err := s.PutSubjects(ctx, all); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE subject_search`); err != nil {
		t.Fatal(err)
	}
	for _, sub := range sample {
		grams, err := store.NewMatchGrams(sub.Name)
		if err != nil {
			t.Fatal(err)
		}
		required, err := grams.Required(func(g string) (n int, err error) {
			err = s.pool.QueryRow(ctx, gramCountSQL, anyOf([]string{g})).Scan(&n)
			return n, err
		})
		if err != nil {
			t.Fatal(err)
		}
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
			t.Fatal(err)
		}
		rs, err := tx.Query(ctx, `EXPLAIN `+matchSQL, anyOf(required), anyOf(grams.All), 20)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rs.Next() {
			var line string
			if err := rs.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rs.Close()
		tx.Rollback(ctx)
		if p := strings.Join(plan, "\n"); !strings.Contains(p, "Bitmap Index Scan on subject_search_grams") || strings.Contains(p, "Seq Scan") {
			t.Errorf("%s (required %q): plan\n%s", sub.Name, required, p)
		}

		got, err := s.MatchCandidates(ctx, sub.Name, 50)
		if err != nil {
			t.Fatal(err)
		}
		cands := make([]match.Candidate, len(got))
		for i, g := range got {
			cands[i] = match.CandidateOf(g)
		}
		if r := match.Rank(match.Query{Name: sub.Name, Region: sub.Region}, cands, match.DefaultMinScore, 1); len(r) == 0 {
			t.Errorf("%s: not found among %d candidates", sub.Name, len(got))
		}
	}
}
