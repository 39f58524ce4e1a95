// Package match scores how well a credit subject's name matches a name
// given without a code (名称匹配), for the credit check: a deciding
// department that has only a firm's name, and perhaps its region, gets
// the subjects that name may mean, each with a score and the reasons.
// An exact code always wins; this package only handles names. It does no
// I/O: the store finds the candidates (store.Matcher), Rank orders them.
//
// # How a pair is scored
//
// Both names are taken apart (Parse): folded by search.Fold (width, case,
// traditional → simplified, punctuation), then stripped of a leading place
// (陕西省, 西安, 碑林区), organisational forms at the end (有限公司, 店,
// 合作社) and bracketed annotations (（有限合伙）), leaving the core
// (华信电子科技). The score is the sum of the features' Weight × Value,
// clipped to [0, 1] and rounded to four decimals:
//
//	feature      value                                        weight
//	name         core similarity of the current name (Dice)   0.30; 0 when a former name is used
//	former_name  best core similarity of a former name        0.29; 0 when the current name is used
//	core_exact   1 when the cores are equal                   0.40
//	full_exact   1 when the folded full names are equal       0.10
//	form         1 forms alike (有限公司/有限责任公司), 0.5     0.20; a conflict (集团/有限公司,
//	             one side without or compatible (有限/股份)    厂/公司) counts 1 × −0.15
//	branch       1 when one side is a branch (分公司, 支行)     −0.40
//	             or both are different branches
//	place        1 when the names' places differ (西安/咸阳)   −0.30
//	region       1 when both are known                        +0.05 agree, −0.30 disagree
//	                                                          (−0.04 when the full names are equal)
//
// Region compares the query's code, or else the place in its name, with
// the candidate's code, or else the place in its current name; a code
// and the codes below it agree (61, 6101, 610113). The evidence weights
// (name or former_name, core_exact, full_exact, form) sum to 1; the others
// are conflicts, which a matching name does not have. The candidate's
// current name and each former name are scored and the best is used.
//
// So the score takes few values: an identical full name 1 (0.99 for a
// former name), at least 0.95 whatever the codes; the same core under
// another spelling of the place or the form, or without them, 0.79 to
// 0.95; a core that differs at most 0.55, and any conflict at most 0.65.
// Every threshold in (0.65, 0.79] decides alike; DefaultMinScore is 0.75.
//
// The policy behind the weights: a one-character difference in a core is
// treated as another subject, not as a typo. In a two-character trade
// name (华信/华新) a slip makes another plausible firm, and the matcher
// cannot tell a slip from a neighbour; a wrong match puts another firm's
// penalties on a subject, a missed one only sends the clerk back for the
// code. Likewise a branch is never its head office, a group (集团) never
// its namesake company, and the same core under two places or in two
// regions two subjects.
//
// # The possible band
//
// A slip is still worth showing, apart. A candidate whose core is one
// edit from the query's (a character changed, added or dropped, or two
// neighbours swapped; both cores of at least MinSlipRunes characters, the
// edit not in a number: 第一中学 / 第二中学) and that would be in the
// match band with the edit undone is a possible match (BandPossible, 可能的
// 匹配): its features are those it would have corrected (name similarity
// 1, equal cores, …, each explanation saying so) plus slip, 1 × −0.40
// (WeightSlip), whose explanation shows the difference (查询“华新电子科技”与
// “华信电子科技”相差一字：新→信). The corrected score is 0.79 to 1.05 before
// clipping, so a possible match scores 0.39 to 0.65, never in the match
// band: a slip is for a person to confirm, never a verdict. A slip with a
// conflict besides (another place, a branch) is no possible match. Rank
// leaves possible matches out; RankBands lists them apart, ordered by
// score, then a changed character before two swapped before one dropped
// or added.
package match

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/search"
)

// DefaultMinScore is the score from which a candidate is offered as the
// subject a name means. Scores fall at most 0.65 or at least 0.79 (see
// the package comment); on the labelled set (testdata/pairs.tsv) every
// non-matching pair scores at most 0.65 and every match found at least
// 0.80, so no pair is decided by where in that gap the line is. 0.75 keeps
// the wider margin on the side of the non-matches: a false match costs
// more than a missed one.
const DefaultMinScore = 0.75

// Weights of the features; see the package comment.
const (
	WeightName         = 0.30
	WeightFormerName   = 0.29
	WeightCoreExact    = 0.40
	WeightFullExact    = 0.10
	WeightForm         = 0.20
	WeightFormConflict = -0.15
	WeightBranch       = -0.40
	WeightPlace        = -0.30
	WeightRegionAgree  = 0.05
	WeightRegionDiffer = -0.30
	// WeightRegionDifferExact replaces WeightRegionDiffer when the full
	// names are equal: an identical registered name outweighs a division
	// code that may be the department's own or out of date.
	WeightRegionDifferExact = -0.04
	// WeightSlip is the cost of a core one character off in the possible
	// band, where the other features are those the candidate would have
	// with the character corrected: as much as equal cores earn
	// (WeightCoreExact), so that a possible match is never a match.
	WeightSlip = -0.40
)

// Query is a name to match, with an optional region: a division code
// prefix of 2 to 6 digits (61, 6101, 610113) or "".
type Query struct {
	Name   string
	Region string
}

// Candidate is a subject that may be the one meant.
type Candidate struct {
	ID          int64
	Name        string
	FormerNames []string
	Region      string // 6-digit division code, or ""
}

// CandidateOf makes the candidate of a stored subject.
func CandidateOf(s credit.Subject) Candidate {
	c := Candidate{ID: s.ID, Name: s.Name, Region: s.Region}
	for _, f := range s.FormerNames {
		c.FormerNames = append(c.FormerNames, f.Name)
	}
	return c
}

// Feature is one reason in a score: Score is the sum of Weight × Value.
type Feature struct {
	Name    string  // stable identifier: name, former_name, core_exact, full_exact, form, branch, place, region
	Value   float64 // the measurement, in [0, 1]
	Weight  float64 // signed: negative for a conflict; 0 when the feature does not count
	Explain string  // simplified Chinese, for the clerk
}

// Band is what a score says about a candidate.
type Band string

const (
	// BandMatch: the score is at least DefaultMinScore; the candidate is
	// the subject the name means.
	BandMatch Band = "match"
	// BandPossible (可能的匹配): the candidate's core is one character
	// away from the query's (see Diff) and the candidate would be in the
	// match band were it not; the score is the one it would have, less
	// 0.40 (WeightSlip), so between PossibleMinScore and PossibleMaxScore,
	// never in the match band. A slip or another firm: a person decides.
	BandPossible Band = "possible"
	// BandNone: neither; another subject.
	BandNone Band = ""
)

// The scores of the possible band: a match-band score (0.79 to 1.05
// before clipping, see the package comment) plus WeightSlip.
const (
	PossibleMinScore = 0.39
	PossibleMaxScore = 0.65
)

// Result is the score of one candidate.
type Result struct {
	ID       int64
	Name     string // the candidate's name the score rests on: the current one or a former one
	Former   bool   // Name is a former name
	Score    float64
	Band     Band
	Diff     *Diff // for BandPossible: how the cores differ
	Features []Feature
}

// Score scores a candidate for a query. Work grows linearly with the
// length of the names; callers taking names from outside should bound
// them (a registered name has at most a few dozen characters).
func Score(q Query, c Candidate) Result {
	pq := parseQuery(q)
	return score(&pq, c, true)
}

// Rank scores the candidates and returns those scoring at least min that
// are not in the possible band, best first (equal scores by id), at most
// limit of them (all when limit <= 0). RankBands gives the possible band
// too.
func Rank(q Query, cands []Candidate, min float64, limit int) []Result {
	return RankBands(q, cands, min, limit).Match
}

// Ranking is the candidates of a query by band.
type Ranking struct {
	// Match are the candidates scoring at least min, but for the possible
	// band: with the default minimum, the match band.
	Match []Result
	// Possible are the candidates of the possible band.
	Possible []Result
}

// RankBands scores the candidates and returns, best first and each list
// at most limit long (all when limit <= 0), those scoring at least min
// that are not in the possible band, and those in the possible band.
// Matches are ordered by score, then id; possible matches by score, then
// by the kind of slip (a changed character, then two swapped, then one
// dropped or added), then id.
func RankBands(q Query, cands []Candidate, min float64, limit int) Ranking {
	pq := parseQuery(q)
	type kept struct {
		r Result
		c int // index in cands
	}
	var match, possible []kept
	for i, c := range cands {
		switch r := score(&pq, c, false); {
		case r.Band == BandPossible:
			possible = append(possible, kept{r, i})
		case r.Score >= min:
			match = append(match, kept{r, i})
		}
	}
	order := func(a, b kept) int {
		if c := cmpResults(&a.r, &b.r); c != 0 {
			return c
		}
		return a.c - b.c
	}
	finish := func(ks []kept) []Result {
		slices.SortFunc(ks, order)
		if limit > 0 && len(ks) > limit {
			ks = ks[:limit]
		}
		res := make([]Result, len(ks))
		for i, k := range ks {
			res[i] = score(&pq, cands[k.c], true)
		}
		return res
	}
	return Ranking{Match: finish(match), Possible: finish(possible)}
}

// cmpResults orders two results of one band, best first.
func cmpResults(a, b *Result) int {
	switch {
	case a.Score > b.Score:
		return -1
	case a.Score < b.Score:
		return 1
	}
	if a.Diff != nil && b.Diff != nil {
		if c := slipRank(a.Diff.Kind) - slipRank(b.Diff.Kind); c != 0 {
			return c
		}
	}
	switch {
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

// slipRank orders the kinds of slip from the likeliest.
func slipRank(k EditKind) int {
	switch k {
	case Substitute:
		return 0
	case Transpose:
		return 1
	}
	return 2
}

type parsedQuery struct {
	Parts
	coreRunes []rune // Core
	region    string // the code prefix the query gives or its name implies
	fromName  bool   // region comes from the name's place
}

func parseQuery(q Query) parsedQuery {
	pq := parsedQuery{Parts: Parse(q.Name)}
	pq.coreRunes = []rune(pq.Core)
	if r := strings.TrimSpace(search.Code(q.Region)); isDigits(r) && len(r) >= 2 && len(r) <= 6 {
		pq.region = credit.RegionPrefix(r)
	} else if pq.PlaceCode != "" {
		pq.region, pq.fromName = pq.PlaceCode, true
	}
	return pq
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// nameEval is the comparison of the query with one of a candidate's names.
type nameEval struct {
	name    string
	parts   Parts
	former  bool
	sim     float64
	core    bool
	full    bool
	form    float64
	formW   float64
	formWhy string
	branch  bool // branches conflict
	place   bool // places conflict
	total   float64

	// A core one edit away: the edit, and whether the full names would
	// be equal with it undone.
	slip     *Diff
	slipFull bool
	// fixed: this is the comparison with the slip undone (corrected).
	fixed bool
}

func evalName(q *parsedQuery, name string, former bool) nameEval {
	p := Parse(name)
	e := nameEval{name: name, parts: p, former: former}
	e.sim = dice(q.Core, p.Core)
	e.core = q.Core != "" && q.Core == p.Core
	e.full = q.Folded != "" && q.Folded == p.Folded
	e.form, e.formWhy = compareForms(q.Parts, p)
	e.formW = WeightForm
	if e.form < 0 {
		e.form, e.formW = 1, WeightFormConflict
	}
	e.branch = q.Branch != p.Branch
	e.place = q.PlaceCode != "" && p.PlaceCode != "" && q.PlaceCode != p.PlaceCode
	e.total = e.weight()*e.sim + e.formW*e.form + e.conflicts()
	if e.core {
		e.total += WeightCoreExact
	}
	if e.full {
		e.total += WeightFullExact
	}
	if !e.core {
		if d, ok := oneEdit(q.coreRunes, q.Core, p.Core); ok {
			slip := d // allocated only here
			e.slip = &slip
			// The full name with the query's core corrected (the core is
			// where Parse found it, unless brackets split it).
			e.slipFull = strings.Replace(q.Folded, q.Core, p.Core, 1) == p.Folded
		}
	}
	return e
}

func (e *nameEval) weight() float64 {
	if e.former {
		return WeightFormerName
	}
	return WeightName
}

// conflicts sums the branch and place conflicts.
func (e *nameEval) conflicts() float64 {
	t := 0.0
	if e.branch {
		t += WeightBranch
	}
	if e.place {
		t += WeightPlace
	}
	return t
}

// corrected is the comparison of a name with a slip as if the query's
// core were the candidate's.
func (e nameEval) corrected() nameEval {
	e.fixed, e.sim, e.core, e.full = true, 1, true, e.slipFull
	e.total = e.weight() + WeightCoreExact + e.formW*e.form + e.conflicts()
	if e.full {
		e.total += WeightFullExact
	}
	return e
}

// compareForms returns 1 when the forms agree, 0.5 when one side lacks
// some or they are compatible, and -1 when they conflict; with the reason.
func compareForms(a, b Parts) (float64, string) {
	for _, x := range a.Notes {
		for _, y := range b.Notes {
			if x != y && slices.Contains(partnershipNotes, x) && slices.Contains(partnershipNotes, y) {
				return -1, fmt.Sprintf("合伙类型不同（%s / %s）", x, y)
			}
		}
	}
	ca, cb := classes(a.Forms), classes(b.Forms)
	fa, fb := strings.Join(a.Forms, ""), strings.Join(b.Forms, "")
	switch {
	case slices.Equal(ca, cb):
		if len(ca) == 0 {
			return 1, "均未写组织形式"
		}
		if fa == fb {
			return 1, "组织形式一致（" + fa + "）"
		}
		return 1, "组织形式相同（" + fa + " / " + fb + "）"
	case len(ca) == 0 || len(cb) == 0:
		return 0.5, "一方未写组织形式（" + fa + fb + "）"
	case isPrefix(ca, cb) || isPrefix(cb, ca):
		return 0.5, "一方组织形式不全（" + fa + " / " + fb + "）"
	case len(ca) == len(cb) && slices.Equal(ca[:len(ca)-1], cb[:len(cb)-1]) && compatibleForms(ca[len(ca)-1], cb[len(cb)-1]):
		return 0.5, "组织形式相近，可能为改制（" + fa + " / " + fb + "）"
	}
	return -1, "组织形式不同（" + fa + " / " + fb + "）"
}

func classes(forms []string) []formClass {
	out := make([]formClass, len(forms))
	for i, f := range forms {
		out[i] = classOf(f)
	}
	return out
}

func isPrefix(a, b []formClass) bool { return len(a) < len(b) && slices.Equal(a, b[:len(a)]) }

// score scores a candidate; explain says whether to write the features'
// explanations (Rank skips them for the candidates it drops).
//
// The best of the current and former names counts. When that is below
// the match band, a name whose core is one edit from the query's is
// scored as if the edit were undone; if that reaches the match band, the
// candidate is a possible match, with that score plus WeightSlip.
func score(q *parsedQuery, c Candidate, explain bool) Result {
	cur := evalName(q, c.Name, false)
	best := cur
	var bestFormer, slipFormer *nameEval
	for _, f := range c.FormerNames {
		e := evalName(q, f, true)
		if bestFormer == nil || e.total > bestFormer.total || e.total == bestFormer.total && e.sim > bestFormer.sim {
			bestFormer = &e
		}
		if e.slip != nil && (slipFormer == nil || e.corrected().total > slipFormer.corrected().total) {
			slipFormer = &e
		}
	}
	if bestFormer != nil && bestFormer.total > best.total {
		best = *bestFormer
	}
	r := result(q, c, cur, bestFormer, best, explain)
	if r.Score >= DefaultMinScore {
		r.Band = BandMatch
		return r
	}
	// The possible band: the name with a slip that scores best corrected.
	var slip nameEval
	switch {
	case cur.slip != nil && (slipFormer == nil || cur.corrected().total >= slipFormer.corrected().total):
		slip = cur.corrected()
		cur = slip
	case slipFormer != nil:
		slip = slipFormer.corrected()
		bestFormer = &slip
	default:
		return r
	}
	p := result(q, c, cur, bestFormer, slip, explain)
	if p.Score < DefaultMinScore {
		return r
	}
	f := Feature{Name: "slip", Value: 1, Weight: WeightSlip}
	if explain {
		f.Explain = slip.slip.String() + "；可能是笔误，也可能是另一主体，请人工核对"
	}
	p.Features = append(p.Features, f)
	total := 0.0
	for _, f := range p.Features {
		total += f.Weight * f.Value
	}
	p.Score, p.Band, p.Diff = round(min(max(total, 0), 1)), BandPossible, slip.slip
	return p
}

// result is the score of a candidate resting on best, one of its names
// (cur, or bestFormer, the best of its former names).
func result(q *parsedQuery, c Candidate, cur nameEval, bestFormer *nameEval, best nameEval, explain bool) Result {
	r := Result{ID: c.ID, Name: best.name, Former: best.former, Features: make([]Feature, 0, 8)}
	add := func(name string, value, weight float64, why func() string) {
		f := Feature{Name: name, Value: value, Weight: weight}
		if explain {
			f.Explain = why()
		}
		r.Features = append(r.Features, f)
	}
	corrected := ""
	if best.fixed {
		corrected = best.slip.Undo() + "后"
	}

	// Similarity of the current name and of the best former name: the one
	// used counts.
	w := WeightName
	if best.former {
		w = 0
	}
	add("name", round(cur.sim), w, func() string { return similarityText("名称", q.Parts, cur) })
	switch {
	case bestFormer == nil:
		add("former_name", 0, 0, func() string { return "无曾用名" })
	default:
		w := 0.0
		if best.former {
			w = WeightFormerName
		}
		add("former_name", round(bestFormer.sim), w, func() string { return similarityText("曾用名“"+bestFormer.name+"”", q.Parts, *bestFormer) })
	}
	if best.core {
		add("core_exact", 1, WeightCoreExact, func() string {
			if best.fixed {
				return best.slip.Undo() + "，去除地名和组织形式后一致（" + best.parts.Core + "）"
			}
			return "去除地名和组织形式后一致（" + best.parts.Core + "）"
		})
	} else {
		add("core_exact", 0, WeightCoreExact, func() string {
			return "去除地名和组织形式后不一致（" + q.Core + " / " + best.parts.Core + "）"
		})
	}
	if best.full {
		add("full_exact", 1, WeightFullExact, func() string { return corrected + "名称全称一致" })
	} else {
		add("full_exact", 0, WeightFullExact, func() string { return "名称全称不一致" })
	}
	add("form", best.form, best.formW, func() string { return best.formWhy })
	switch {
	case best.branch && q.Branch != "" && best.parts.Branch != "":
		add("branch", 1, WeightBranch, func() string {
			return "分支机构不同（" + q.Branch + " / " + best.parts.Branch + "），不同分支机构是不同主体"
		})
	case best.branch:
		add("branch", 1, WeightBranch, func() string {
			return "一方为分支机构（" + q.Branch + best.parts.Branch + "），分支机构与总机构是不同主体"
		})
	case q.Branch != "":
		add("branch", 0, 0, func() string { return "同一分支机构（" + q.Branch + "）" })
	}
	switch {
	case best.place:
		add("place", 1, WeightPlace, func() string { return "名称中的地名不同（" + q.Place + " / " + best.parts.Place + "）" })
	case q.PlaceCode != "" && best.parts.PlaceCode != "":
		add("place", 0, 0, func() string { return "名称中的地名一致（" + q.Place + "）" })
	}

	// Region: the query's code (or the place in its name) against the
	// candidate's (or the place in its current name).
	cr, crWhy := credit.RegionPrefix(c.Region), c.Region
	if cr == "" && cur.parts.PlaceCode != "" {
		cr, crWhy = cur.parts.PlaceCode, "名称中的“"+cur.parts.Place+"”"
	}
	qrWhy := q.region
	if q.fromName {
		qrWhy = "名称中的“" + q.Place + "”"
	}
	switch {
	case q.region == "" || cr == "":
		add("region", 0, 0, func() string { return "行政区划未知，不计" })
	case strings.HasPrefix(cr, q.region) || strings.HasPrefix(q.region, cr):
		add("region", 1, WeightRegionAgree, func() string { return "行政区划一致（" + crWhy + "）" })
	case best.full:
		add("region", 1, WeightRegionDifferExact, func() string {
			return "行政区划不一致（查询 " + qrWhy + "，候选 " + crWhy + "）；" + corrected + "名称全称一致，只扣 0.04"
		})
	default:
		add("region", 1, WeightRegionDiffer, func() string { return "行政区划不一致（查询 " + qrWhy + "，候选 " + crWhy + "）" })
	}

	total := 0.0
	for _, f := range r.Features {
		total += f.Weight * f.Value
	}
	r.Score = round(min(max(total, 0), 1))
	return r
}

// similarityText explains a similarity: what was stripped, and the value.
func similarityText(what string, q Parts, e nameEval) string {
	fixed := ""
	if e.fixed {
		fixed = e.slip.Undo() + "后"
	}
	if e.full {
		if fixed != "" {
			return what + "（" + fixed + "）完全一致"
		}
		return what + "完全一致"
	}
	var stripped []string
	for _, s := range append(q.Stripped(), e.parts.Stripped()...) {
		if !slices.Contains(stripped, s) {
			stripped = append(stripped, s)
		}
	}
	switch {
	case len(stripped) == 0 && fixed == "":
		return fmt.Sprintf("%s相似度 %.2f", what, e.sim)
	case len(stripped) == 0:
		return fmt.Sprintf("%s（%s）相似度 %.2f", what, fixed, e.sim)
	case fixed != "":
		return fmt.Sprintf("%s（%s，去除“%s”后）相似度 %.2f", what, strings.TrimSuffix(fixed, "后"), strings.Join(stripped, "”“"), e.sim)
	}
	return fmt.Sprintf("%s（去除“%s”后）相似度 %.2f", what, strings.Join(stripped, "”“"), e.sim)
}

func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// dice is the Sørensen–Dice coefficient of the character bigrams of two
// cores (as multisets): 2 × shared / (bigrams of a + bigrams of b).
//
// Why bigram Dice rather than Jaro–Winkler: bigrams are the unit of the
// name index, so the candidates the store retrieves by shared bigrams are
// ranked here by the same measure; and Dice punishes a changed character
// inside a short trade name (华信电子 / 华新电子: one bigram in three
// shared) where Jaro–Winkler rewards the long common prefix and the equal
// length (≈ 0.85). Chinese firm names share prefixes and lines of
// business all the time (西安华信电子科技 / 西安华为电子科技), so a
// prefix bonus favours exactly the false friends a credit check must not
// confuse.
func dice(a, b string) float64 {
	if a == "" || b == "" {
		return 0
	}
	if a == b {
		return 1
	}
	var bufA, bufB [32]string
	ga, gb := appendGrams(bufA[:0], a), appendGrams(bufB[:0], b)
	shared := 0
	if len(ga) > len(bufA) || len(gb) > len(bufB) {
		// Long input (names are short): count in a map, in linear time.
		count := make(map[string]int, len(gb))
		for _, y := range gb {
			count[y]++
		}
		for _, x := range ga {
			if count[x] > 0 {
				count[x]--
				shared++
			}
		}
	} else {
		var used [32]bool
		for _, x := range ga {
			for j, y := range gb {
				if !used[j] && x == y {
					used[j] = true
					shared++
					break
				}
			}
		}
	}
	return 2 * float64(shared) / float64(len(ga)+len(gb))
}

// appendGrams is search.Grams appending to dst.
func appendGrams(dst []string, s string) []string {
	_, first := utf8.DecodeRuneInString(s)
	if first == len(s) {
		return append(dst, s)
	}
	prev, i := 0, first
	for i < len(s) {
		_, n := utf8.DecodeRuneInString(s[i:])
		dst = append(dst, s[prev:i+n])
		prev, i = i, i+n
	}
	return dst
}
