package inspection

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/xinyong/xinyong/internal/fault"
)

var grades = []string{"A", "B", "C", "D", Ungraded}

func population(n int) []Member {
	ms := make([]Member, n)
	for i := range ms {
		g := grades[i*7%len(grades)]
		if i%3 == 0 {
			g = "A"
		}
		ms[i] = Member{SubjectID: int64(i + 1), Code: fmt.Sprintf("91610100%09dX", i), Grade: g}
	}
	return ms
}

func pool(n int, conflicts map[int][]string) []PoolMember {
	ps := make([]PoolMember, n)
	for i := range ps {
		ps[i] = PoolMember{ID: int64(i + 1), Badge: fmt.Sprintf("61010%04d", i), Conflicts: conflicts[i]}
		slices.Sort(ps[i].Conflicts)
	}
	return ps
}

func seed(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

var ratios = map[string]int{"A": 30, "B": 100, "C": 400, "D": 800, Ungraded: 100}

func TestDrawReproducibleAndRatios(t *testing.T) {
	pop := population(5003)
	in := Input{Task: "SJ610100-20261206-001", Seed: seed(7), Population: pop, Pool: pool(12, nil), Grades: grades, PerMille: ratios, PerTarget: 2}
	a, err := Run(in)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Run(in)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("the same inputs drew differently")
	}
	if a.PopulationHash != Hash(PopulationListing(pop)) || len(a.PopulationHash) != 64 {
		t.Errorf("population hash %s", a.PopulationHash)
	}
	total := 0
	for _, st := range a.Strata {
		if math.Abs(float64(st.Drawn)-st.Exact) > 0.5 || st.PerMille != ratios[st.Grade] {
			t.Errorf("stratum %+v: drawn not the exact count rounded", st)
		}
		total += st.Drawn
	}
	if total != len(a.Targets) || total == 0 {
		t.Fatalf("%d targets, strata say %d", len(a.Targets), total)
	}
	seen := map[string]bool{}
	for i, tg := range a.Targets {
		if tg.Seq != i+1 || seen[tg.Code] || len(tg.Inspectors) != 2 || tg.Inspectors[0].Badge == tg.Inspectors[1].Badge {
			t.Fatalf("target %+v", tg)
		}
		seen[tg.Code] = true
	}
	// Another seed, another draw; another task code too.
	c, _ := Run(Input{Task: in.Task, Seed: seed(8), Population: pop, Pool: in.Pool, Grades: grades, PerMille: ratios, PerTarget: 2})
	d, _ := Run(Input{Task: "SJ610100-20261206-002", Seed: seed(7), Population: pop, Pool: in.Pool, Grades: grades, PerMille: ratios, PerTarget: 2})
	if fmt.Sprint(c.Targets) == fmt.Sprint(a.Targets) || fmt.Sprint(d.Targets) == fmt.Sprint(a.Targets) {
		t.Error("the seed or the task did not change the draw")
	}
	// The draw is what the published rule says: recomputed by hand for
	// grade D.
	var want []string
	type kc struct {
		key  [32]byte
		code string
	}
	var ks []kc
	for _, m := range pop {
		if m.Grade == "D" {
			ks = append(ks, kc{sha256.Sum256([]byte(fmt.Sprintf("%x|%s|%s", in.Seed, in.Task, m.Code))), m.Code})
		}
	}
	slices.SortFunc(ks, func(x, y kc) int { return bytes.Compare(x.key[:], y.key[:]) })
	for _, k := range ks[:(len(ks)*800+500)/1000] {
		want = append(want, k.code)
	}
	var got []string
	for _, tg := range a.Targets {
		if tg.Grade == "D" {
			got = append(got, tg.Code)
		}
	}
	if !slices.Equal(got, want) {
		t.Error("grade D's targets are not the smallest keys of the published rule")
	}
}

func TestDrawConflicts(t *testing.T) {
	pop := population(400)
	// Inspector 0 must not inspect any subject; inspector 1 half of them.
	var all, half []string
	for i, m := range pop {
		all = append(all, m.Code)
		if i%2 == 0 {
			half = append(half, m.Code)
		}
	}
	ps := pool(4, map[int][]string{0: all, 1: half})
	out, err := Run(Input{Task: "T", Seed: seed(1), Population: pop, Pool: ps, Grades: grades, PerMille: map[string]int{"A": 1000, "B": 1000, "C": 1000, "D": 1000, Ungraded: 1000}, PerTarget: 2})
	if err != nil {
		t.Fatal(err)
	}
	conflicted := map[string]map[string]bool{}
	for _, p := range ps {
		conflicted[p.Badge] = map[string]bool{}
		for _, c := range p.Conflicts {
			conflicted[p.Badge][c] = true
		}
	}
	used := map[string]int{}
	for _, tg := range out.Targets {
		for _, in := range tg.Inspectors {
			if conflicted[in.Badge][tg.Code] {
				t.Fatalf("%s drawn for %s, a conflict", in.Badge, tg.Code)
			}
			used[in.Badge]++
		}
	}
	if used[ps[0].Badge] != 0 || used[ps[1].Badge] == 0 || len(out.Targets) != 400 {
		t.Errorf("inspectors used %v over %d targets", used, len(out.Targets))
	}
	// Three inspectors per target: the ones where only two are free fail,
	// naming the target.
	_, err = Run(Input{Task: "T", Seed: seed(1), Population: pop, Pool: ps, Grades: grades, PerMille: ratios, PerTarget: 3})
	if !errors.Is(err, fault.Invalid) {
		t.Errorf("too few inspectors: %v", err)
	}
}

func TestListings(t *testing.T) {
	pop := population(10)
	back, err := ParsePopulation(PopulationListing(pop))
	if err != nil || len(back) != 10 || back[3].Code != pop[3].Code || back[3].Grade != pop[3].Grade {
		t.Fatalf("population back %+v %v", back, err)
	}
	ps := pool(3, map[int][]string{1: {"b", "a"}})
	pb, err := ParsePool(PoolListing(ps))
	if err != nil || len(pb) != 3 || !slices.Equal(pb[1].Conflicts, []string{"a", "b"}) || pb[0].Conflicts != nil {
		t.Fatalf("pool back %+v %v", pb, err)
	}
	z, err := Gunzip(Gzip(PopulationListing(pop)))
	if err != nil || !bytes.Equal(z, PopulationListing(pop)) {
		t.Error("gzip round trip")
	}
	unordered := []Member{{Code: "2", Grade: "A"}, {Code: "1", Grade: "A"}}
	if _, err := Run(Input{Task: "T", Seed: seed(1), Population: unordered, Grades: grades, PerMille: ratios}); err == nil {
		t.Error("an unordered population was drawn from")
	}
	if _, err := Run(Input{Task: "T", Seed: seed(1), Population: []Member{{Code: "1", Grade: "E"}}, Grades: grades, PerMille: ratios}); err == nil {
		t.Error("a grade outside the plan was drawn from")
	}
}

// BenchmarkDraw500k is a draw from a population of 500,000 with a pool of
// 200 inspectors, two per target.
func BenchmarkDraw500k(b *testing.B) {
	pop := population(500000)
	in := Input{Task: "SJ610100-20261206-001", Seed: seed(3), Population: pop, Pool: pool(200, nil), Grades: grades, PerMille: ratios, PerTarget: 2}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Run(in); err != nil {
			b.Fatal(err)
		}
	}
}
