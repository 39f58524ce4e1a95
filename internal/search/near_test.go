package search

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestIndexNear(t *testing.T) {
	x := NewIndex()
	must(t, x.Put(
		Doc{1, []string{"西安华信电子科技有限公司"}},
		Doc{2, []string{"西安华新电子科技有限公司"}}, // the core itself
		Doc{3, []string{"咸阳华鑫电子科技有限公司"}},
		Doc{4, []string{"西安华电子科技有限公司"}},                // one dropped
		Doc{5, []string{"西安华新电电子科技有限公司"}},              // one added
		Doc{6, []string{"西安新华电子科技有限公司"}},               // two swapped
		Doc{7, []string{"西安华新电子科枝有限公司"}},               // the last changed
		Doc{8, []string{"西安华信电子商务有限公司"}},               // two changed
		Doc{9, []string{"宝鸡秦川物流有限公司", "西安化新电子科技有限公司"}}, // a former name
		Doc{10, []string{"华新电子", "科技"}},                // the end is another name
		Doc{11, []string{"陕西省市场监督管理局"}},
	))
	core := Fold("华新电子科技")
	all := Grams("西安" + core)
	got := x.Near(core, all, 20)
	want := []int64{1, 3, 4, 5, 6, 7, 9}
	if s := slices.Sorted(slices.Values(got)); !slices.Equal(s, want) {
		t.Fatalf("Near(%s) = %v, want %v in some order", core, got, want)
	}
	// Those sharing more of the place come first (咸阳 is last).
	if got[len(got)-1] != 3 {
		t.Errorf("order %v", got)
	}
	if got := x.Near(core, all, 2); len(got) != 2 {
		t.Errorf("limit 2: %v", got)
	}
	for _, q := range []string{"华新", "", "华\n新电"} {
		if got := x.Near(q, all, 10); got != nil {
			t.Errorf("Near(%q) = %v", q, got)
		}
	}
	if got := NewIndex().Near(core, all, 10); got != nil {
		t.Errorf("empty index: %v", got)
	}
}

// TestIndexNearRandom compares Near with a scan of every entry over random
// names on a small alphabet: an entry is near when one of its names holds
// a one-edit variant of the core and none holds the core.
func TestIndexNearRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []rune("华信新西安电子科技")
	word := func(n int) []rune {
		r := make([]rune, n)
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return r
	}
	x := NewIndex()
	docs := map[int64]string{}
	for id := range int64(3000) {
		names := []string{string(word(3 + rng.IntN(8)))}
		if rng.IntN(5) == 0 {
			names = append(names, string(word(3+rng.IntN(6))))
		}
		must(t, x.Put(Doc{id, names}))
		docs[id] = strings.Join(names, "\n")
	}
	variants := func(core []rune) []string {
		var out []string
		for i := range core {
			for _, a := range alphabet {
				out = append(out, string(slices.Concat(core[:i], []rune{a}, core[i+1:])))
				if i > 0 {
					out = append(out, string(slices.Concat(core[:i], []rune{a}, core[i:])))
				}
			}
			out = append(out, string(slices.Concat(core[:i], core[i+1:])))
			if i+1 < len(core) {
				out = append(out, string(slices.Concat(core[:i], []rune{core[i+1], core[i]}, core[i+2:])))
			}
		}
		return out
	}
	for range 200 {
		core := word(4 + rng.IntN(4))
		vs := variants(core)
		var want []int64
		for id, d := range docs {
			if !strings.Contains(d, string(core)) && slices.ContainsFunc(vs, func(v string) bool { return strings.Contains(d, v) }) {
				want = append(want, id)
			}
		}
		slices.Sort(want)
		got := x.Near(string(core), Grams(string(core)), 10000)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("Near(%s) = %d entries, want %d: %v / %v", string(core), len(got), len(want), got, want)
		}
	}
}

func TestNearPatterns(t *testing.T) {
	// Three characters: the middle one changed leaves no bigram.
	var got []string
	for _, p := range nearPatterns("华信电") {
		s := p.left
		if p.gap {
			s += "_" + p.right
		}
		got = append(got, s)
	}
	want := []string{"_信电", "信电", "信华电", "华_信电", "华电", "华电信", "华信_", "华信_电", "华信"}
	if !slices.Equal(got, want) {
		t.Errorf("patterns %q, want %q", got, want)
	}
}

func TestNearGrams(t *testing.T) {
	got := NearGrams("华信电子")
	// Changed 信 keeps 电子, changed 电 keeps 华信, two swapped in the
	// middle keep none of the core's but make their own (华电信子); the
	// lists holding another (changed 华: 信电 电子) are left out.
	for _, g := range got {
		for _, h := range got {
			if len(g) < len(h) && subsetStrings(g, h) {
				t.Errorf("%q holds %q", h, g)
			}
		}
	}
	has := func(grams ...string) bool {
		return slices.ContainsFunc(got, func(g []string) bool { return slices.Equal(g, grams) })
	}
	if len(got) != 3 || !has("电子") || !has("华信") || !has("信子", "华电", "电信") {
		t.Errorf("NearGrams(华信电子) = %q", got)
	}
	// Every name near the core holds all the bigrams of one of the lists.
	for _, near := range []string{"化信电子", "华新电子", "华信店子", "华信电紫", "华电子", "华信子", "信华电子", "华电信子", "华信电子子", "华信大电子"} {
		grams := Grams(near)
		if !slices.ContainsFunc(got, func(g []string) bool { return subsetStrings(g, grams) }) {
			t.Errorf("%s holds no list of %q", near, got)
		}
	}
	if NearGrams("华信") != nil {
		t.Error("a core of two characters has near grams")
	}
}

func subsetStrings(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}
