package search

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestIndexSearch(t *testing.T) {
	x := NewIndex()
	must(t, x.Put(
		Doc{1, []string{"西安华信电子科技有限公司"}},
		Doc{2, []string{"宝鸡市秦川职业培训学校", "宝鸡市秦川技工学校"}},
		Doc{3, []string{"陕西省市场监督管理局"}},
		Doc{5, []string{"碑林区老王面馆"}},
		Doc{7, []string{"西安华信物流有限公司"}},
		Doc{9, []string{"咸阳華信建材有限公司"}}, // traditional, folded at Put
		Doc{11, []string{"Ａ"}},         // too short: no entry
	))
	cases := []struct {
		q    string
		want []int64
	}{
		{"华信", []int64{1, 7, 9}},
		{"華信電子", []int64{1}},
		{"西安　華信（电子）科技", []int64{1}},
		{"有限公司", []int64{1, 7, 9}},
		{"技工学校", []int64{2}}, // a former name
		{"学校", []int64{2}},   // once, though both names hold it
		{"校宝", nil},          // spans two names
		{"华信科技", nil},        // its bigrams are all in 1, the phrase is not
		{"区老", []int64{5}},
		{"不存在", nil},
	}
	for _, c := range cases {
		if got := x.Search(Fold(c.q), 0, 10); !slices.Equal(got, c.want) {
			t.Errorf("Search(%q) = %v, want %v", c.q, got, c.want)
		}
	}
	// Paging.
	var all []int64
	for off := range 4 {
		all = append(all, x.Search("华信", off, 1)...)
	}
	if !slices.Equal(all, []int64{1, 7, 9}) {
		t.Errorf("paged = %v", all)
	}
	if got := x.Search("华信", 1, 5); !slices.Equal(got, []int64{7, 9}) {
		t.Errorf("from the second = %v", got)
	}
	if got := x.Search("华", 0, 5); got != nil {
		t.Errorf("one character = %v", got)
	}
	// A corrected name replaces the entry; the old bigrams no longer find it.
	must(t, x.Put(Doc{7, []string{"西安顺达物流有限公司"}}))
	if got := x.Search("华信", 0, 10); !slices.Equal(got, []int64{1, 9}) {
		t.Errorf("after correction = %v", got)
	}
	if got := x.Search("顺达", 0, 10); !slices.Equal(got, []int64{7}) {
		t.Errorf("new name = %v", got)
	}
	// An entry added below the highest id keeps the lists in order.
	must(t, x.Put(Doc{4, []string{"西安华信软件有限公司"}}))
	if got := x.Search("华信", 0, 10); !slices.Equal(got, []int64{1, 4, 9}) {
		t.Errorf("inserted in the middle = %v", got)
	}
	if n, _, _, _ := x.Stats(); n != 7 {
		t.Errorf("subjects = %d, want 7", n)
	}
	if err := x.Put(Doc{math.MaxUint32 + 1, []string{"太大的编号"}}); err == nil {
		t.Error("an id above MaxUint32 was accepted")
	}
}

// TestIndexSearchRandom compares Search with a scan of every entry on
// random names over a small alphabet (so that bigrams repeat and phrases
// of common bigrams are rare).
func TestIndexSearchRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("华信西安电子科技有限公司")
	word := func(n int) string {
		r := make([]rune, n)
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(r)
	}
	x := NewIndex()
	docs := map[int64]string{}
	ids := rng.Perm(3000) // out of order, as renames and late inserts come
	for _, id := range ids[:2000] {
		names := []string{word(2 + rng.IntN(10))}
		if rng.IntN(5) == 0 {
			names = append(names, word(2+rng.IntN(8)))
		}
		must(t, x.Put(Doc{int64(id), names}))
		docs[int64(id)] = strings.Join(names, "\n")
	}
	check := func() {
		t.Helper()
		for range 250 {
			q := word(2 + rng.IntN(4))
			var want []int64
			for id := range int64(3000) {
				if d, ok := docs[id]; ok && strings.Contains(d, q) {
					want = append(want, id)
				}
			}
			off := rng.IntN(3)
			if off < len(want) {
				want = want[off:min(len(want), off+20)]
			} else {
				want = nil
			}
			if got := x.Search(q, off, 20); !slices.Equal(got, want) {
				t.Fatalf("Search(%q, %d) = %v, want %v", q, off, got, want)
			}
		}
	}
	check()
	// Corrections replace entries: the arena is compacted on the way.
	defer func(m int) { compactMin = m }(compactMin)
	compactMin = 0
	for i := range 3000 {
		id := int64(ids[rng.IntN(2000)])
		name := word(2 + rng.IntN(10))
		if i%7 == 0 {
			name = "" // cleared
		}
		must(t, x.Put(Doc{id, []string{name}}))
		if name == "" {
			delete(docs, id)
		} else {
			docs[id] = name
		}
	}
	if n, _, _, _ := x.Stats(); n != len(docs) {
		t.Errorf("subjects = %d, want %d", n, len(docs))
	}
	check()
}

func TestGallop(t *testing.T) {
	l := []uint32{2, 4, 6, 8, 10, 12, 14, 16, 18, 20}
	for from := 0; from <= len(l); from++ {
		for id := uint32(0); id <= 22; id++ {
			want := from
			for want < len(l) && l[want] < id {
				want++
			}
			if got := gallop(l, from, id); got != want {
				t.Fatalf("gallop(from %d, %d) = %d, want %d", from, id, got, want)
			}
		}
	}
}

func TestIndexRank(t *testing.T) {
	x := NewIndex()
	must(t, x.Put(
		Doc{1, []string{"西安华信电子科技有限公司"}},
		Doc{2, []string{"西安华信电子商务有限公司"}},
		Doc{3, []string{"咸阳华信电子科技有限公司"}},
		Doc{4, []string{"西安秦川电子科技有限公司"}},
		Doc{5, []string{"宝鸡市华信职业培训学校", "宝鸡市华信技工学校"}},
	))
	all := Grams(Fold("西安华信电子科技"))
	got := x.Rank([]string{"华信"}, all, 10)
	if len(got) != 4 || got[0] != 1 {
		t.Fatalf("Rank = %v, want 4 subjects holding 华信, 1 first", got)
	}
	if slices.Contains(got, 4) {
		t.Errorf("Rank = %v holds 4, which lacks the required bigram", got)
	}
	if got := x.Rank([]string{"华信"}, all, 2); len(got) != 2 || got[0] != 1 {
		t.Errorf("limited Rank = %v", got)
	}
	if got := x.Rank([]string{"无有"}, all, 10); len(got) != 0 {
		t.Errorf("Rank of an absent bigram = %v", got)
	}
	if n := x.Count("华信"); n != 4 {
		t.Errorf("Count(华信) = %d, want 4", n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func BenchmarkIndexSearch(b *testing.B) {
	x := NewIndex()
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("华信西安电子科技有限公司秦川宝鸡咸阳职业培训学校物流商务建材")
	for id := range 200000 {
		r := make([]rune, 8+rng.IntN(8))
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		if err := x.Put(Doc{int64(id), []string{string(r)}}); err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range []string{"华信", "西安华信"} {
		b.Run(fmt.Sprint(q), func(b *testing.B) {
			for b.Loop() {
				x.Search(q, 0, 20)
			}
		})
	}
}
