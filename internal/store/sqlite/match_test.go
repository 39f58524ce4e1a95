package sqlite

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/match"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// demoStore is a migrated store holding n demo subjects, and one of its
// organisations and a sample of its other subjects (not persons).
func demoStore(tb testing.TB, n int) (*Store, credit.Subject, []credit.Subject) {
	tb.Helper()
	ctx := context.Background()
	s, err := Open(ctx, tb.TempDir(), storetest.Keys())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, _, err := s.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	var all, sample []credit.Subject
	var org credit.Subject
	demo.Generate(demo.Options{Seed: 7, Subjects: n}, func(sub credit.Subject) error {
		all = append(all, sub)
		if sub.Class == credit.ClassOrg && len(all) > n/2 && org.Name == "" {
			org = sub
		}
		if sub.Class != credit.ClassPerson && len(all)%97 == 0 && len(sample) < 50 {
			sample = append(sample, sub)
		}
		return nil
	})
	for start := 0; start < len(all); start += 5000 {
		if _, err := s.PutSubjects(ctx, all[start:min(start+5000, len(all))]); err != nil {
			tb.Fatal(err)
		}
	}
	return s, org, sample
}

// TestMatchUsesIndex checks the plan of the candidate query over 10,000
// subjects: the FTS index finds the entries, the primary key the subjects;
// no table is scanned.
func TestMatchUsesIndex(t *testing.T) {
	ctx := context.Background()
	s, org, _ := demoStore(t, 10000)
	grams, err := store.NewMatchGrams(org.Name)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := s.r.QueryContext(ctx, `EXPLAIN QUERY PLAN `+matchSQL, matchQuery(grams.Core[:1], grams.All), 20)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rs.Next() {
		var id, parent, unused int
		var detail string
		if err := rs.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	rs.Close()
	all := strings.Join(plan, "\n")
	if !strings.Contains(all, "subject_search VIRTUAL TABLE INDEX") || !strings.Contains(all, "SEARCH subjects USING INTEGER PRIMARY KEY") ||
		strings.Contains(all, "SCAN subjects") {
		t.Errorf("plan:\n%s", all)
	}
	got, err := s.MatchCandidates(ctx, org.Name, 20)
	if err != nil || len(got) == 0 || got[0].Name != org.Name {
		t.Errorf("MatchCandidates(%s) = %v, %v", org.Name, got, err)
	}
}

// BenchmarkMatchCandidates looks up a sample of demo subjects (firms,
// sole traders, public bodies) among 100,000 demo subjects, and ranks the
// candidates; each subject must come out at the top.
func BenchmarkMatchCandidates(b *testing.B) {
	ctx := context.Background()
	s, _, sample := demoStore(b, 100000)
	i := 0
	for b.Loop() {
		sub := sample[i%len(sample)]
		i++
		got, err := s.MatchCandidates(ctx, sub.Name, 50)
		if err != nil {
			b.Fatal(err)
		}
		cands := make([]match.Candidate, len(got))
		for i, g := range got {
			cands[i] = match.CandidateOf(g)
		}
		if r := match.Rank(match.Query{Name: sub.Name, Region: sub.Region}, cands, match.DefaultMinScore, 5); len(r) == 0 {
			b.Fatalf("%s: no candidate among %d", sub.Name, len(got))
		}
	}
}

// BenchmarkNearCandidates looks up a sample of demo subjects among
// 100,000, each name with one character of its core changed, through the
// full-text index (without the in-memory one), and ranks the candidates.
func BenchmarkNearCandidates(b *testing.B) {
	ctx := context.Background()
	s, _, sample := demoStore(b, 100000)
	var names, want []string
	for _, sub := range sample {
		core := []rune(match.Parse(sub.Name).Core)
		if len(core) < 4 || !strings.Contains(sub.Name, string(core)) {
			continue
		}
		slip := slices.Clone(core)
		slip[1] = '鬯' // in no name
		names = append(names, strings.Replace(sub.Name, string(core), string(slip), 1))
		want = append(want, sub.Name)
	}
	found := 0
	i := 0
	for b.Loop() {
		name, sub := names[i%len(names)], want[i%len(names)]
		i++
		got, err := s.NearCandidates(ctx, name, 100)
		if err != nil {
			b.Fatal(err)
		}
		cands := make([]match.Candidate, len(got))
		for i, g := range got {
			cands[i] = match.CandidateOf(g)
		}
		if r := match.RankBands(match.Query{Name: name}, cands, match.DefaultMinScore, 5); len(r.Possible) > 0 && r.Possible[0].Name == sub {
			found++
		}
	}
	// The share of lookups whose subject comes first among the possible
	// matches.
	b.ReportMetric(float64(found)/float64(i), "first/op")
}
