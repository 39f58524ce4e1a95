package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/match"
	"github.com/xinyong/xinyong/internal/store"
)

func matchTests() []namedTest {
	return []namedTest{
		{"MatchCandidates", testMatchCandidates},
		{"MatchCandidatesLimits", testMatchLimits},
		{"MatchCandidatesMany", testMatchMany},
		{"NearCandidates", testNearCandidates},
	}
}

func matcher(t *testing.T, s store.Store) store.Matcher {
	t.Helper()
	m, ok := s.(store.Matcher)
	if !ok {
		t.Fatalf("%T does not implement store.Matcher", s)
	}
	return m
}

// matchSubjects are sampleSubjects with namesakes around them, a renamed
// firm, and a person whose name is also a trade name.
func matchSubjects() []credit.Subject {
	return append(sampleSubjects(),
		credit.Subject{Class: credit.ClassOrg, USCC: USCC("91", "610100", 31), Name: "西安华信物流有限公司", Region: "610113",
			FormerNames: []credit.NameSpan{{Name: "西安秦信电子科技有限公司"}}},
		credit.Subject{Class: credit.ClassOrg, USCC: USCC("91", "610400", 32), Name: "咸阳华信建材有限公司", Region: "610402"},
		credit.Subject{Class: credit.ClassOrg, USCC: USCC("91", "610100", 33), Name: "西安华信电子科技有限公司雁塔分公司", Region: "610113"},
		credit.Subject{Class: credit.ClassOrg, USCC: USCC("91", "610100", 34), Name: "西安华为技术有限公司", Region: "610113"},
		credit.Subject{Class: credit.ClassPerson, IDNumber: RIC("610113", "19850505", 7), Name: "华信", Region: "610113"},
	)
}

func names(subs []credit.Subject) []string {
	out := make([]string, len(subs))
	for i, s := range subs {
		out[i] = s.Name
	}
	return out
}

func testMatchCandidates(t *testing.T, h Harness) {
	ctx := context.Background()
	m := matcher(t, h.Store)
	mustPut(t, h.Store, matchSubjects())

	cases := []struct {
		q     string
		first string // the best candidate by match.Rank, "" for none at DefaultMinScore
		found []string
	}{
		// Traditional, full width, punctuation: the subject itself.
		{"西安華信電子科技有限公司", "西安华信电子科技有限公司", []string{"西安华信电子科技有限公司"}},
		{"华信（西安）电子科技　有限公司", "西安华信电子科技有限公司", nil},
		{"西安　華信電子科技（有限公司）", "西安华信电子科技有限公司", nil},
		// A former name finds the renamed subject.
		{"西安秦信电子科技有限公司", "西安华信物流有限公司", []string{"西安华信物流有限公司"}},
		// A two-character core.
		{"鑫源", "", []string{"莲湖区鑫源五金店"}},
		{"老王面馆", "碑林区老王面馆", []string{"碑林区老王面馆"}},
		{"陕西省市场监督管理局", "陕西省市场监督管理局", []string{"陕西省市场监督管理局"}},
		{"不存在的名字", "", nil},
	}
	for _, c := range cases {
		got, err := m.MatchCandidates(ctx, c.q, 20)
		if err != nil {
			t.Fatalf("MatchCandidates(%q): %v", c.q, err)
		}
		for _, s := range got {
			if s.Class == credit.ClassPerson {
				t.Errorf("MatchCandidates(%q) returned a person", c.q)
			}
		}
		for _, want := range c.found {
			if !slices.Contains(names(got), want) {
				t.Errorf("MatchCandidates(%q) = %q, want %s among them", c.q, names(got), want)
			}
		}
		var cands []match.Candidate
		for _, s := range got {
			cands = append(cands, match.CandidateOf(s))
		}
		ranked := match.Rank(match.Query{Name: c.q}, cands, match.DefaultMinScore, 0)
		switch {
		case c.first == "" && len(ranked) > 0:
			t.Errorf("%q: %s scores %.2f, want no candidate at the minimum", c.q, ranked[0].Name, ranked[0].Score)
		case c.first != "" && (len(ranked) == 0 || ranked[0].ID != idOf(got, c.first)):
			t.Errorf("%q: ranked %+v, want %s first", c.q, ranked, c.first)
		}
	}

	// Candidates sharing more of the core come first; former names are
	// filled.
	got, err := m.MatchCandidates(ctx, "西安华信电子科技有限公司", 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 4 || got[0].Name != "西安华信电子科技有限公司" && got[0].Name != "西安华信电子科技有限公司雁塔分公司" {
		t.Errorf("order %q", names(got))
	}
	for _, s := range got {
		if s.Name == "西安华信物流有限公司" && (len(s.FormerNames) != 1 || s.FormerNames[0].Name != "西安秦信电子科技有限公司") {
			t.Errorf("former names %+v", s.FormerNames)
		}
	}
	if i, j := slices.Index(names(got), "西安华信电子科技有限公司"), slices.Index(names(got), "咸阳华信建材有限公司"); i < 0 || j >= 0 && j < i {
		t.Errorf("%q: the namesake sharing one bigram comes before the subject", names(got))
	}

	// Persons are never candidates, even by a name that is theirs alone.
	for _, q := range []string{"张伟", "华信"} {
		got, err := m.MatchCandidates(ctx, q, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range got {
			if s.Class == credit.ClassPerson {
				t.Errorf("MatchCandidates(%q) returned the person %s", q, s.Name)
			}
		}
		if q == "张伟" && len(got) != 0 {
			t.Errorf("MatchCandidates(张伟) = %q", names(got))
		}
	}
}

func idOf(subs []credit.Subject, name string) int64 {
	for _, s := range subs {
		if s.Name == name {
			return s.ID
		}
	}
	return -1
}

func testMatchLimits(t *testing.T, h Harness) {
	ctx := context.Background()
	m := matcher(t, h.Store)
	mustPut(t, h.Store, matchSubjects())
	for _, q := range []string{"", "   ", "华", "（华）", "%", "_"} {
		if got, err := m.MatchCandidates(ctx, q, 10); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("MatchCandidates(%q) = %q, %v; want ErrInvalid", q, names(got), err)
		}
	}
	for _, limit := range []int{0, -1, 1, 2, 3} {
		got, err := m.MatchCandidates(ctx, "西安华信电子科技有限公司", limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != max(limit, 0) {
			t.Errorf("limit %d: %d candidates %q", limit, len(got), names(got))
		}
	}
	// A core of many bigrams is cut to MaxMatchGrams; it still works.
	long := "西安"
	for i := range 40 {
		long += string(rune('甲' + i))
	}
	if _, err := m.MatchCandidates(ctx, long+"华信有限公司", 5); err != nil {
		t.Errorf("long name: %v", err)
	}
}

// testMatchMany looks up a name among 10,000 subjects. It asserts no
// time (the drivers' own tests check that the query uses the index); it
// logs it.
func testMatchMany(t *testing.T, h Harness) {
	ctx := context.Background()
	m := matcher(t, h.Store)
	first := []rune("华秦长兴盛鑫博恒宏德润金瑞嘉荣天宇中正明光诚汇通泰新科创众联和丰永昌百隆祥达")
	second := []rune("信川源达泰远通盛兴华科瑞祥丰成创宇腾峰辉程业邦恒诚茂德")
	lines := []string{"电子科技", "信息技术", "商贸", "物流", "建设工程", "餐饮管理", "农业科技", "医药", "新材料", "文化传媒"}
	var batch []credit.Subject
	for i := range 10000 {
		name := fmt.Sprintf("西安%c%c%s有限公司", first[i%len(first)], second[(i/len(first))%len(second)], lines[(i/(len(first)*len(second)))%len(lines)])
		if i >= len(first)*len(second)*len(lines) {
			name = fmt.Sprintf("西安%c%c%s%d号有限公司", first[i%len(first)], second[(i/len(first))%len(second)], lines[i%len(lines)], i)
		}
		batch = append(batch, credit.Subject{Class: credit.ClassOrg, USCC: USCC("91", "610100", 50000+i), Name: name, Region: "610113"})
	}
	mustPut(t, h.Store, batch)
	target := batch[4321].Name
	start := time.Now()
	got, err := m.MatchCandidates(ctx, "陝西"+target, 20)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 20 || !slices.Contains(names(got), target) {
		t.Fatalf("MatchCandidates(%s) among 10,000 = %q", target, names(got))
	}
	var cands []match.Candidate
	for _, s := range got {
		cands = append(cands, match.CandidateOf(s))
	}
	if r := match.Rank(match.Query{Name: "陝西" + target}, cands, 0, 1); len(r) != 1 || r[0].Name != target {
		t.Errorf("best of the candidates: %+v, want %s", r, target)
	}
	t.Logf("MatchCandidates among 10,000 subjects: %v", elapsed)
}

// testNearCandidates: the names one character off a query's core are
// found, the query's own core and persons are not, and match.RankBands
// puts the subject first in the possible band.
func testNearCandidates(t *testing.T, h Harness) {
	ctx := context.Background()
	m := matcher(t, h.Store)
	mustPut(t, h.Store, matchSubjects())
	mustPut(t, h.Store, []credit.Subject{
		{Class: credit.ClassOrg, USCC: USCC("91", "610100", 41), Name: "西安华鑫电子科技有限公司", Region: "610113"},
		{Class: credit.ClassOrg, USCC: USCC("91", "610100", 42), Name: "西安华电子科技有限公司", Region: "610113"},
		{Class: credit.ClassOrg, USCC: USCC("91", "610100", 43), Name: "西安秦川实业有限公司", Region: "610113",
			FormerNames: []credit.NameSpan{{Name: "西安华新电子科枝有限公司"}}},
		{Class: credit.ClassPerson, IDNumber: RIC("610113", "19900101", 8), Name: "华新电子科技", Region: "610113"},
	})
	cases := []struct {
		q     string
		found []string // among the candidates
		not   []string // never
		first string   // first possible match, "" for none
	}{
		{"西安华新电子科技有限公司", []string{"西安华信电子科技有限公司", "西安华鑫电子科技有限公司", "西安华电子科技有限公司"},
			[]string{"西安华为技术有限公司", "华新电子科技"}, "西安华信电子科技有限公司"},
		// A former name one character off.
		{"西安华新电子科技有限公司", []string{"西安秦川实业有限公司"}, nil, ""},
		// Two characters swapped; one dropped; one added.
		{"西安信华电子科技有限公司", []string{"西安华信电子科技有限公司"}, nil, "西安华信电子科技有限公司"},
		{"西安华信电科技有限公司", []string{"西安华信电子科技有限公司"}, nil, "西安华信电子科技有限公司"},
		{"西安华信电子子科技有限公司", []string{"西安华信电子科技有限公司"}, nil, "西安华信电子科技有限公司"},
		// The line of business mistyped.
		{"陕西省市场监督管里局", []string{"陕西省市场监督管理局"}, nil, "陕西省市场监督管理局"},
		// Two characters: nothing to look up by.
		{"鑫园", nil, nil, ""},
	}
	for _, c := range cases {
		got, err := m.NearCandidates(ctx, c.q, 50)
		if err != nil {
			t.Fatalf("NearCandidates(%q): %v", c.q, err)
		}
		for _, want := range c.found {
			if !slices.Contains(names(got), want) {
				t.Errorf("NearCandidates(%q) = %q, want %s among them", c.q, names(got), want)
			}
		}
		for _, s := range got {
			if slices.Contains(c.not, s.Name) || s.Class == credit.ClassPerson {
				t.Errorf("NearCandidates(%q) returned %s", c.q, s.Name)
			}
		}
		var cands []match.Candidate
		for _, s := range got {
			cands = append(cands, match.CandidateOf(s))
		}
		r := match.RankBands(match.Query{Name: c.q}, cands, match.DefaultMinScore, 0)
		if len(r.Match) != 0 {
			t.Errorf("%q: %s in the match band", c.q, r.Match[0].Name)
		}
		if c.first != "" && (len(r.Possible) == 0 || r.Possible[0].ID != idOf(got, c.first)) {
			t.Errorf("%q: possible %+v, want %s first", c.q, r.Possible, c.first)
		}
	}
	for _, q := range []string{"", "华"} {
		if _, err := m.NearCandidates(ctx, q, 10); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("NearCandidates(%q): %v, want ErrInvalid", q, err)
		}
	}
	if got, err := m.NearCandidates(ctx, "西安华新电子科技有限公司", 0); err != nil || len(got) != 0 {
		t.Errorf("limit 0: %q %v", names(got), err)
	}
}
