package match

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// labelledPair is one line of testdata/pairs.tsv.
type labelledPair struct {
	line     int
	query    Query
	cand     Candidate
	match    bool
	category string
}

func readPairs(t testing.TB) []labelledPair {
	t.Helper()
	f, err := os.Open("testdata/pairs.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelledPair
	sc := bufio.NewScanner(f)
	header := true
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if header {
			header = false
			continue
		}
		col := strings.Split(line, "\t")
		if len(col) != 7 {
			t.Fatalf("pairs.tsv:%d: %d columns, want 7", n, len(col))
		}
		p := labelledPair{line: n, query: Query{Name: col[0], Region: col[1]},
			cand: Candidate{ID: int64(n), Name: col[2], Region: col[4]}, category: col[6]}
		if col[3] != "" {
			p.cand.FormerNames = strings.Split(col[3], "|")
		}
		switch col[5] {
		case "match":
			p.match = true
		case "nonmatch":
		default:
			t.Fatalf("pairs.tsv:%d: label %q", n, col[5])
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLabelledSet measures precision and recall at DefaultMinScore over
// testdata/pairs.tsv. The thresholds are what the set shows, not targets:
// the set and the scorer were written by the same hand, so the figures
// measure how consistently the scorer applies the policy the labels state,
// not accuracy on real registrations.
//
// The possible band (one character off the core) must not change them: a
// possible match is never in the match band. The pairs of the
// one-character slips (slip_*) are where it shows.
func TestLabelledSet(t *testing.T) {
	const minPrecision, minRecall = 1.0, 0.987
	pairs := readPairs(t)
	if len(pairs) < 300 {
		t.Fatalf("%d pairs, want at least 300", len(pairs))
	}
	var tp, fp, fn, tn int
	lowestMatch, highestNon := 1.0, 0.0
	type miss struct {
		p labelledPair
		r Result
	}
	var misses []miss
	cats := map[string][2]int{}  // category → errors, total
	possible := map[string]int{} // category → pairs in the possible band
	for _, p := range pairs {
		r := Score(p.query, p.cand)
		if r.Band == BandPossible {
			possible[p.category]++
		}
		got := r.Score >= DefaultMinScore
		c := cats[p.category]
		c[1]++
		switch {
		case p.match && got:
			tp++
		case p.match:
			fn++
		case got:
			fp++
		default:
			tn++
		}
		if got != p.match {
			c[0]++
			misses = append(misses, miss{p, r})
		}
		cats[p.category] = c
		if p.match && got {
			lowestMatch = min(lowestMatch, r.Score)
		}
		if !p.match && !got {
			highestNon = max(highestNon, r.Score)
		}
	}
	precision := float64(tp) / float64(tp+fp)
	recall := float64(tp) / float64(tp+fn)
	t.Logf("%d pairs (%d match, %d nonmatch) at DefaultMinScore %.2f: precision %.4f, recall %.4f (tp %d, fp %d, fn %d, tn %d)",
		len(pairs), tp+fn, fp+tn, DefaultMinScore, precision, recall, tp, fp, fn, tn)
	t.Logf("lowest score of a match found: %.4f; highest score of a nonmatch rejected: %.4f", lowestMatch, highestNon)
	names := make([]string, 0, len(cats))
	for k := range cats {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if c := cats[k]; c[0] > 0 {
			t.Logf("category %s: %d of %d wrong", k, c[0], c[1])
		}
	}
	var inPossible []string
	for _, k := range names {
		if possible[k] > 0 {
			inPossible = append(inPossible, fmt.Sprintf("%s %d of %d", k, possible[k], cats[k][1]))
		}
	}
	t.Logf("in the possible band: %s", strings.Join(inPossible, ", "))
	// Every slip in the trade name or the line of business that keeps the
	// place and form is a possible match.
	if c := cats["slip_trade_name"]; possible["slip_trade_name"] != c[1] || c[1] == 0 {
		t.Errorf("slip_trade_name: %d of %d in the possible band", possible["slip_trade_name"], c[1])
	}
	for _, m := range misses {
		t.Logf("pairs.tsv:%d %s: %q (%s) / %q %q (%s): score %.4f, labelled match=%v",
			m.p.line, m.p.category, m.p.query.Name, m.p.query.Region, m.p.cand.Name, m.p.cand.FormerNames, m.p.cand.Region, m.r.Score, m.p.match)
		for _, f := range m.r.Features {
			t.Logf("    %-11s %.2f × %+.2f %s", f.Name, f.Value, f.Weight, f.Explain)
		}
	}
	if precision < minPrecision || recall < minRecall {
		t.Errorf("precision %.4f, recall %.4f; want at least %.2f and %.2f", precision, recall, minPrecision, minRecall)
	}
}
