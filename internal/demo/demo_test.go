package demo

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
)

func collect(t testing.TB, opts Options) []credit.Subject {
	t.Helper()
	out := make([]credit.Subject, 0, opts.Subjects)
	err := Generate(opts, func(s credit.Subject) error {
		out = append(out, s)
		return nil
	})
	if err != nil {
		t.Fatalf("Generate(%+v): %v", opts, err)
	}
	if len(out) != opts.Subjects {
		t.Fatalf("Generate(%+v) emitted %d subjects", opts, len(out))
	}
	return out
}

func countClasses(ss []credit.Subject) map[credit.Class]int {
	m := map[credit.Class]int{}
	for _, s := range ss {
		m[s.Class]++
	}
	return m
}

func TestDeterministic(t *testing.T) {
	a := collect(t, Options{Seed: 42, Subjects: 5000})
	b := collect(t, Options{Seed: 42, Subjects: 5000})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with the same options differ")
	}
	c := collect(t, Options{Seed: 43, Subjects: 5000})
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds gave the same subjects")
	}
	// A shorter run is not required to be a prefix, but must be stable too.
	d := collect(t, Options{Seed: 42, Subjects: 10})
	e := collect(t, Options{Seed: 42, Subjects: 10})
	if !reflect.DeepEqual(d, e) {
		t.Fatal("two small runs with the same options differ")
	}
}

func TestEveryClassForSmallN(t *testing.T) {
	for n := 4; n <= 40; n++ {
		for seed := int64(0); seed < 5; seed++ {
			m := countClasses(collect(t, Options{Seed: seed, Subjects: n}))
			for _, c := range credit.Classes {
				if m[c] == 0 {
					t.Errorf("n=%d seed=%d: no %s subject (%v)", n, seed, c, m)
				}
			}
		}
	}
	m := countClasses(collect(t, Options{Seed: 1, Subjects: 10}))
	if m[credit.ClassOrg] < 4 {
		t.Errorf("n=10: only %d organisations (%v)", m[credit.ClassOrg], m)
	}
	for n := 0; n < 4; n++ {
		collect(t, Options{Seed: 1, Subjects: n})
	}
}

func TestClassMix(t *testing.T) {
	const n = 10_000
	ss := collect(t, Options{Seed: 7, Subjects: n})
	m := countClasses(ss)
	want := map[credit.Class][2]int{ // per mille bounds
		credit.ClassOrg:    {660, 700},
		credit.ClassSole:   {140, 160},
		credit.ClassGov:    {25, 35},
		credit.ClassPerson: {130, 150},
	}
	for c, b := range want {
		if pm := m[c] * 1000 / n; pm < b[0] || pm > b[1] {
			t.Errorf("%s: %d‰, want %d‰…%d‰", c, pm, b[0], b[1])
		}
	}

	cats := map[string]int{}
	soleNoUSCC, xian := 0, 0
	for _, s := range ss {
		if s.USCC != "" {
			cats[s.USCC[:2]]++
		}
		if s.Class == credit.ClassSole && s.USCC == "" {
			soleNoUSCC++
		}
		if strings.HasPrefix(s.Region, "6101") {
			xian++
		}
	}
	if f := float64(soleNoUSCC) / float64(m[credit.ClassSole]); f < 0.25 || f > 0.42 {
		t.Errorf("sole traders without USCC: %.2f, want about 1/3", f)
	}
	if f := float64(cats["91"]) / float64(m[credit.ClassOrg]); f < 0.75 || f > 0.92 {
		t.Errorf("enterprises (91) among organisations: %.2f", f)
	}
	for _, c := range []string{"93", "12", "51", "52", "11", "92"} {
		if cats[c] == 0 {
			t.Errorf("no USCC with category %s", c)
		}
	}
	if f := float64(xian) / n; f < 0.35 || f > 0.75 {
		t.Errorf("share of 西安 regions: %.2f", f)
	}
}

func TestCodesValid(t *testing.T) {
	known := map[string]bool{}
	for _, r := range shaanxiRegions {
		known[r.Code] = true
	}
	orgCats := map[string]bool{"91": true, "93": true, "12": true, "51": true, "52": true}
	for i, s := range collect(t, Options{Seed: 3, Subjects: 20_000}) {
		if !strings.HasPrefix(s.Region, "61") || !known[s.Region] {
			t.Fatalf("#%d %v: region %q", i, s, s.Region)
		}
		if s.MaskedID != "" || s.ID != 0 || !s.CreatedAt.IsZero() || !s.UpdatedAt.IsZero() {
			t.Fatalf("#%d %v: store fields set", i, s)
		}
		valid := func(k code.Kind, v string) {
			t.Helper()
			if r := code.Check(k, v); r.Status != code.StatusValid {
				t.Fatalf("#%d %v: %s %q is %s: %+v", i, s, k, v, r.Status, r)
			}
		}
		checkUSCC := func(cat bool) {
			t.Helper()
			valid(code.KindUSCC, s.USCC)
			valid(code.KindOrg, s.USCC[8:17])
			if !cat {
				t.Fatalf("#%d %v: unexpected category %s", i, s, s.USCC[:2])
			}
			if s.USCC[2:8] != s.Region {
				t.Fatalf("#%d %v: USCC region %s vs %s", i, s, s.USCC[2:8], s.Region)
			}
		}
		switch s.Class {
		case credit.ClassOrg:
			checkUSCC(orgCats[s.USCC[:2]])
		case credit.ClassGov:
			checkUSCC(s.USCC[:2] == "11")
		case credit.ClassSole:
			if s.IDNumber != "" || (s.USCC == "") == (s.RegNo == "") {
				t.Fatalf("#%d %+v: want exactly one of USCC and RegNo", i, s)
			}
			if s.USCC != "" {
				checkUSCC(s.USCC[:2] == "92")
			} else {
				valid(code.KindGS15, s.RegNo)
				if s.RegNo[:6] != s.Region {
					t.Fatalf("#%d %v: RegNo region", i, s)
				}
			}
		case credit.ClassPerson:
			if s.USCC != "" || s.RegNo != "" || len(s.IDNumber) != 18 {
				t.Fatalf("#%d %v: bad person identifiers", i, s)
			}
			valid(code.KindRIC, s.IDNumber)
			if s.IDNumber[:6] != s.Region {
				t.Fatalf("#%d %v: ID region", i, s)
			}
			if y := s.IDNumber[6:10]; y < "1950" || y > "2005" {
				t.Fatalf("#%d %v: birth year %s", i, s, y)
			}
		default:
			t.Fatalf("#%d: class %q", i, s.Class)
		}
		if s.Class != credit.ClassOrg && s.FormerNames != nil {
			t.Fatalf("#%d %v: former names on a non-organisation", i, s)
		}
	}
}

func TestUnique(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const n = 200_000
	usccs := make(map[string]struct{}, n)
	bodies := make(map[string]struct{}, n)
	regNos := make(map[string]struct{}, n/10)
	ids := make(map[string]struct{}, n/5)
	dup := func(m map[string]struct{}, v, what string) {
		if _, ok := m[v]; ok {
			t.Fatalf("duplicate %s %s", what, v)
		}
		m[v] = struct{}{}
	}
	err := Generate(Options{Seed: 11, Subjects: n}, func(s credit.Subject) error {
		if s.USCC != "" {
			dup(usccs, s.USCC, "USCC")
			dup(bodies, s.USCC[8:16], "org code body")
		}
		if s.RegNo != "" {
			dup(regNos, s.RegNo, "RegNo")
		}
		if s.IDNumber != "" {
			dup(ids, s.IDNumber, "ID number")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(usccs) < n/2 || len(regNos) == 0 || len(ids) < n/10 {
		t.Fatalf("too few identifiers: %d USCC, %d RegNo, %d ID", len(usccs), len(regNos), len(ids))
	}
}

// TestPermBijective checks exhaustively, for domain sizes of every shape
// (powers of two, odd sizes needing cycle walking, the real radices), that
// perm is a bijection; the generator's uniqueness rests on it.
func TestPermBijective(t *testing.T) {
	sizes := []uint64{2, 3, 5, 16, 17, 100, 999, 1000, 1024, 1025, 31 * 31 * 31, 10_000, 65_536, 99_999, 999 * 77, 1 << 20, 31 * 31 * 31 * 31}
	for i, n := range sizes {
		p := newPerm(n, [4]uint64{uint64(i), 0xdeadbeef, 12345, ^uint64(i)})
		seen := make([]bool, n)
		moved := 0
		for x := range n {
			y := p.at(x)
			if y >= n || seen[y] {
				t.Fatalf("n=%d: perm(%d)=%d repeats or is out of range", n, x, y)
			}
			seen[y] = true
			if y != x {
				moved++
			}
		}
		if n >= 100 && moved < int(n)/2 {
			t.Errorf("n=%d: only %d of %d values moved", n, moved, n)
		}
	}
}

func isNameRune(r rune) bool {
	return unicode.Is(unicode.Han, r) || r == '（' || r == '）'
}

func TestNames(t *testing.T) {
	ss := collect(t, Options{Seed: 5, Subjects: 20_000})
	orgs, withFormer := 0, 0
	distinct := map[string]struct{}{}
	for i, s := range ss {
		checkName := func(name string) {
			t.Helper()
			if name == "" {
				t.Fatalf("#%d %v: empty name", i, s)
			}
			for _, r := range name {
				if !isNameRune(r) {
					t.Fatalf("#%d %v: rune %q in name %q", i, s, r, name)
				}
			}
		}
		checkName(s.Name)
		if s.Class == credit.ClassPerson {
			if n := len([]rune(s.Name)); n < 2 || n > 4 {
				t.Fatalf("#%d: person name %q", i, s.Name)
			}
		}
		if s.Class == credit.ClassOrg || s.Class == credit.ClassSole {
			distinct[s.Name] = struct{}{}
		}
		if s.Class != credit.ClassOrg {
			continue
		}
		orgs++
		if len(s.FormerNames) == 0 {
			continue
		}
		withFormer++
		if last := s.FormerNames[len(s.FormerNames)-1]; last.To.After(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("#%d %v: current name starts %v", i, s, last.To)
		}
		if len(s.FormerNames) > 2 {
			t.Fatalf("#%d %v: %d former names", i, s, len(s.FormerNames))
		}
		for j, f := range s.FormerNames {
			checkName(f.Name)
			if f.From.IsZero() || !f.From.Before(f.To) {
				t.Fatalf("#%d %v: former name %d spans %v … %v", i, s, j, f.From, f.To)
			}
			if j > 0 && !s.FormerNames[j-1].To.Equal(f.From) {
				t.Fatalf("#%d %v: former names not contiguous", i, s)
			}
			if f.Name == s.Name || j > 0 && f.Name == s.FormerNames[j-1].Name {
				t.Fatalf("#%d %v: former name %q repeats", i, s, f.Name)
			}
		}
	}
	if f := float64(withFormer) / float64(orgs); f < 0.03 || f > 0.07 {
		t.Errorf("organisations with former names: %.3f, want about 0.05", f)
	}
	if named := len(ss) * 83 / 100; len(distinct) < named*9/10 {
		t.Errorf("only %d distinct names among ~%d organisations and sole traders", len(distinct), named)
	}
}

func TestGovNames(t *testing.T) {
	ss := collect(t, Options{Seed: 9, Subjects: 20_000})
	suffixes := []string{"局", "厅", "委员会", "分局"}
	for _, s := range ss {
		if s.Class != credit.ClassGov {
			continue
		}
		ok := false
		for _, suf := range suffixes {
			ok = ok || strings.HasSuffix(s.Name, suf)
		}
		if !ok {
			t.Errorf("government name %q", s.Name)
		}
		if s.Region == "610000" && !strings.Contains(s.Name, "陕西省") {
			t.Errorf("provincial body %q", s.Name)
		}
	}
}

func TestPlaces(t *testing.T) {
	ps := places()
	if len(ps.counties) < 40 {
		t.Fatalf("%d county-level divisions", len(ps.counties))
	}
	seen := map[string]bool{}
	cities := 0
	for _, p := range ps.all {
		if seen[p.code] || len(p.code) != 6 || !strings.HasPrefix(p.code, "61") {
			t.Fatalf("bad or duplicate code %q", p.code)
		}
		seen[p.code] = true
		if p.level == levelCity {
			cities++
		}
		if p.level == levelCounty && p.city.code[:4] != p.code[:4] {
			t.Fatalf("%s %s: city %s", p.code, p.name, p.city.code)
		}
	}
	if cities != 10 {
		t.Fatalf("%d cities, want 10", cities)
	}
	for _, c := range []struct{ code, name, prefix string }{
		{"610113", "雁塔区", "西安市雁塔区"},
		{"610124", "周至县", "周至县"},
		{"610302", "渭滨区", "宝鸡市渭滨区"},
		{"610881", "神木市", "神木市"},
	} {
		found := false
		for _, p := range ps.all {
			if p.code == c.code {
				found = true
				if p.name != c.name || p.prefix != c.prefix {
					t.Errorf("%s: %s/%s, want %s/%s", c.code, p.name, p.prefix, c.name, c.prefix)
				}
			}
		}
		if !found {
			t.Errorf("%s missing", c.code)
		}
	}
}

func TestEmitError(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := Generate(Options{Seed: 1, Subjects: 100}, func(credit.Subject) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Fatalf("err=%v calls=%d", err, calls)
	}
	if err := Generate(Options{Subjects: -1}, func(credit.Subject) error { return nil }); err == nil {
		t.Fatal("negative count accepted")
	}
}

func TestChineseNumber(t *testing.T) {
	for n, want := range map[int]string{1: "一", 9: "九", 10: "十", 11: "十一", 20: "二十", 35: "三十五", 89: "八十九"} {
		if got := chineseNumber(n); got != want {
			t.Errorf("chineseNumber(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestSample(t *testing.T) {
	for _, s := range collect(t, Options{Seed: 1, Subjects: 15}) {
		id := s.DisplayCode()
		if s.IDNumber != "" {
			id = credit.MaskID(s.IDNumber)
		}
		t.Logf("%-6s %-18s %s %s %v", s.Class, id, s.Region, s.Name, s.FormerNames)
	}
}

func BenchmarkGenerate(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		err := Generate(Options{Seed: 1, Subjects: n}, func(credit.Subject) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/subject")
}
