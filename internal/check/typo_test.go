package check

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/match"
	"github.com/xinyong/xinyong/internal/match/typoset"
	"github.com/xinyong/xinyong/internal/store"
)

// memNames is a name source over subjects held in memory (ids 1 to n in
// order), so that the in-memory name index and NameMatcher run as in the
// server, without a database.
type memNames struct {
	store.Store // nil: only the name source is used
	subs        []credit.Subject
}

func (m memNames) NameEntries(_ context.Context, fn func(int64, string) error) (int64, error) {
	for _, s := range m.subs {
		if err := fn(s.ID, s.Name); err != nil {
			return 0, err
		}
		for _, f := range s.FormerNames {
			if err := fn(s.ID, f.Name); err != nil {
				return 0, err
			}
		}
	}
	return 0, nil
}

func (m memNames) NameChanges(_ context.Context, after int64, _ int) ([]store.IndexDoc, int64, error) {
	return nil, after, nil
}

func (m memNames) SubjectsByID(_ context.Context, ids []int64) ([]credit.Subject, error) {
	out := make([]credit.Subject, 0, len(ids))
	for _, id := range ids {
		if id >= 1 && int(id) <= len(m.subs) {
			out = append(out, m.subs[id-1])
		}
	}
	return out, nil
}

// typoMatcher builds the name index over a set's list and the matcher
// over it.
func typoMatcher(t testing.TB, set typoset.Set) Matcher {
	t.Helper()
	x, err := store.NewIndexed(context.Background(), memNames{subs: set.List}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return NameMatcher(x)
}

// typoFigures are what the labelled set measures.
type typoFigures struct {
	Typos, TypoFirst, TypoFound   int // typo queries; the company first among matches and possible matches; anywhere
	TypoMatchBand                 int // typo queries with a match-band candidate (another firm: the slip's core is unlisted)
	Near, NearMatch, NearPossible int // near misses; in the match band (must be 0); with possible matches
	byEdit                        map[match.EditKind][2]int
	byKind                        map[typoset.Kind][2]int
	misses                        []string
}

func (f typoFigures) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "typo queries: the company first %d of %d (found among the first %d: %d; a match-band candidate: %d)\n",
		f.TypoFirst, f.Typos, MaxCandidates, f.TypoFound, f.TypoMatchBand)
	fmt.Fprintf(&b, "near misses: in the match band %d of %d; with possible matches %d\n", f.NearMatch, f.Near, f.NearPossible)
	for _, k := range []match.EditKind{match.Substitute, match.Insert, match.Delete, match.Transpose} {
		fmt.Fprintf(&b, "  %-10s first %d of %d\n", k, f.byEdit[k][0], f.byEdit[k][1])
	}
	for _, k := range []typoset.Kind{typoset.Registered, typoset.NoPlace, typoset.NoForm} {
		fmt.Fprintf(&b, "  %-10s first %d of %d\n", k, f.byKind[k][0], f.byKind[k][1])
	}
	return b.String()
}

// measureTypos runs every query of the set through m, as a check with the
// default minimum score does.
func measureTypos(t testing.TB, set typoset.Set, m Matcher) typoFigures {
	t.Helper()
	ctx := context.Background()
	f := typoFigures{byEdit: map[match.EditKind][2]int{}, byKind: map[typoset.Kind][2]int{}}
	for _, q := range set.Typos {
		got, err := m(ctx, q.Name, q.Region, match.DefaultMinScore, MaxCandidates)
		if err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		f.Typos++
		e, k := f.byEdit[q.Edit], f.byKind[q.Kind]
		e[1]++
		k[1]++
		if len(got) > 0 && got[0].Subject.ID == q.Want {
			f.TypoFirst++
			e[0]++
			k[0]++
		} else {
			var names []string
			for _, g := range got {
				names = append(names, fmt.Sprintf("%s %s %.2f", g.Subject.Name, g.Band, g.Score))
			}
			f.misses = append(f.misses, fmt.Sprintf("%s (%s, %s) for %s: %q", q.Name, q.Edit, q.Kind, set.List[q.Want-1].Name, names))
		}
		f.byEdit[q.Edit], f.byKind[q.Kind] = e, k
		if slices.ContainsFunc(got, func(s MatchedSubject) bool { return s.Subject.ID == q.Want }) {
			f.TypoFound++
		}
		if len(got) > 0 && got[0].Band == BandMatch {
			f.TypoMatchBand++
		}
	}
	for _, q := range set.NearMisses {
		got, err := m(ctx, q.Name, q.Region, match.DefaultMinScore, MaxCandidates)
		if err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		f.Near++
		for _, g := range got {
			if g.Band == BandMatch || g.Score >= match.DefaultMinScore {
				f.NearMatch++
				t.Errorf("near miss %s (of %s) reaches the match band: %s %.2f", q.Name, set.List[q.Of-1].Name, g.Subject.Name, g.Score)
				break
			}
		}
		if len(got) > 0 && got[0].Band == BandPossible {
			f.NearPossible++
		}
	}
	return f
}

// TestTypoSet measures the possible band on a labelled set (typoset) of
// 20,000 companies: a name with one character of its core mistyped finds
// its company first, and a made-up name one character off a listed one
// never reaches the match band. The full 200,000-name list is
// BenchmarkTypoSet.
func TestTypoSet(t *testing.T) {
	set := typoset.Generate(typoset.Options{Seed: 15, Names: 20000, Typos: 250, NearMisses: 250})
	f := measureTypos(t, set, typoMatcher(t, set))
	t.Logf("%d companies; %d slips landed on a listed core and were drawn again\n%s", len(set.List), set.Landed, f)
	for _, m := range f.misses {
		t.Logf("missed: %s", m)
	}
	// The bar: moov-io/watchman found 168 of 250 on 200,000 names.
	if f.TypoFirst < 168 || f.NearMatch != 0 {
		t.Errorf("typos first %d of 250 (want ≥ 168), near misses in the match band %d (want 0)", f.TypoFirst, f.NearMatch)
	}
}

var typoNames = flag.Int("typo.names", 200000, "companies listed by BenchmarkTypoSet")

var typoSetFull = sync.OnceValue(func() typoset.Set {
	return typoset.Generate(typoset.Options{Seed: 15, Names: *typoNames, Typos: 250, NearMisses: 250})
})

// BenchmarkTypoSet measures the labelled set on 200,000 companies
// (-typo.names) and times one name-only lookup (retrieval, near retrieval
// when nothing matches, ranking) over its queries, all of which match
// nothing. Run with -benchtime=500x (one pass) and -v for the figures.
func BenchmarkTypoSet(b *testing.B) {
	set := typoSetFull()
	m := typoMatcher(b, set)
	f := measureTypos(b, set, m)
	b.Logf("%d companies; %d slips landed on a listed core and were drawn again\n%s", len(set.List), set.Landed, f)
	for _, m := range f.misses {
		b.Logf("missed: %s", m)
	}
	b.ReportMetric(float64(f.TypoFirst), "typos-first/250")
	b.ReportMetric(float64(f.NearMatch), "near-misses-matched/250")
	queries := append(slices.Clone(set.Typos), set.NearMisses...)
	ctx := context.Background()
	i := 0
	b.ResetTimer()
	for b.Loop() {
		q := queries[i%len(queries)]
		i++
		if _, err := m(ctx, q.Name, q.Region, match.DefaultMinScore, MaxCandidates); err != nil {
			b.Fatal(err)
		}
	}
}

// countingMatcher counts the near lookups of a store.Matcher.
type countingMatcher struct {
	store.Matcher
	near int
}

func (c *countingMatcher) NearCandidates(ctx context.Context, name string, limit int) ([]credit.Subject, error) {
	c.near++
	return c.Matcher.NearCandidates(ctx, name, limit)
}

// TestNameMatcherBands: matches first, possible matches only when nothing
// is in the match band, and only then a near lookup.
func TestNameMatcherBands(t *testing.T) {
	subs := []credit.Subject{
		{ID: 1, Class: credit.ClassOrg, Name: "西安华信电子科技有限公司", Region: "610113"},
		{ID: 2, Class: credit.ClassOrg, Name: "西安华鑫电子科技有限公司", Region: "610113"},
		{ID: 3, Class: credit.ClassOrg, Name: "西安华信电子科技有限公司雁塔分公司", Region: "610113"},
		{ID: 4, Class: credit.ClassOrg, Name: "陕西华信电子科技集团有限公司", Region: "610000"},
	}
	x, err := store.NewIndexed(context.Background(), memNames{subs: subs}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	cm := &countingMatcher{Matcher: x}
	m := NameMatcher(cm)
	type want struct {
		id   int64
		band string
	}
	tests := []struct {
		name string
		min  float64
		want []want
		near bool // a near lookup was made
	}{
		{"西安华信电子科技有限公司", match.DefaultMinScore, []want{{1, BandMatch}}, false},
		// The match scores 0.95 without a place: above a minimum of 0.97
		// it is left out, and still no possible match is looked for.
		{"华信电子科技有限公司", 0.97, nil, false},
		// A lower minimum lets in the group and the branch (0.55, 0.5):
		// the caller asked for them.
		{"华信电子科技有限公司", 0.5, []want{{1, BandMatch}, {4, BandMatch}, {3, BandMatch}}, false},
		{"西安华新电子科技有限公司", match.DefaultMinScore, []want{{1, BandPossible}, {2, BandPossible}}, true},
		{"西安华新电子科技有限公司", 0.01, []want{{3, BandMatch}, {1, BandPossible}, {2, BandPossible}}, true},
		{"宝鸡秦岭建材有限公司", match.DefaultMinScore, nil, true},
	}
	for _, tt := range tests {
		cm.near = 0
		got, err := m(context.Background(), tt.name, "", tt.min, MaxCandidates)
		if err != nil {
			t.Fatal(err)
		}
		var g []want
		for _, s := range got {
			g = append(g, want{s.Subject.ID, s.Band})
			if (s.Band == BandPossible) != (s.Diff != nil) || s.Band == BandMatch && s.Score < tt.min {
				t.Errorf("%s: %+v", tt.name, s)
			}
		}
		if !slices.Equal(g, tt.want) || (cm.near > 0) != tt.near {
			t.Errorf("%s at %.2f: %v (near lookups %d), want %v (near %v)", tt.name, tt.min, g, cm.near, tt.want, tt.near)
		}
	}
}
