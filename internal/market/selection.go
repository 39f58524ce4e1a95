// Package market is the online intermediary-service marketplace (网上中介服务
// 超市, 《陕西省网上中介服务超市管理办法》 chapters 3 to 5): project owners
// buy intermediary services from registered agencies through five selection
// methods, on working-day deadlines, with every agency's dishonesty
// intercepted by the credit check and every job rated into the agency's
// credit file.
//
// This file is the selection core: the five methods of 第二十二条 as pure
// functions of their published inputs, and the verifiable lottery. It does
// no I/O.
package market

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/xinyong/xinyong/internal/fault"
)

// Method is a selection method (选取方式, 第二十二条).
type Method string

const (
	Direct  Method = "direct"  // 直接选取: the owner picks among the enrolled; no confirmation
	Merit   Method = "merit"   // 择优选取: composite score, evaluation ranking, credit grade
	Lowest  Method = "lowest"  // 竞价选取: the lowest bid; ties by lottery
	Average Method = "average" // 均价比选: closest to the average; equal distance: the lower; then lottery
	Random  Method = "random"  // 随机选取: the requested number by lottery
	// Negotiated is 议价选取: after two notices without bidders a fiscally
	// funded project picks an agency of the marketplace by negotiation
	// (第二十三条（四）). No lottery.
	Negotiated Method = "negotiated"
)

// Methods are the five methods of 第二十二条 in its order.
var Methods = []Method{Direct, Merit, Lowest, Average, Random}

// Label is the method's name.
func (m Method) Label() string {
	switch m {
	case Direct:
		return "直接选取"
	case Merit:
		return "择优选取"
	case Lowest:
		return "竞价选取"
	case Average:
		return "均价比选"
	case Random:
		return "随机选取"
	case Negotiated:
		return "议价选取"
	}
	return string(m)
}

// Bids reports whether the method selects by price.
func (m Method) Bids() bool { return m == Lowest || m == Average }

// Confirmed reports whether the method's result stands without the
// owner's confirmation (直接选取无需确认).
func (m Method) Confirmed() bool { return m == Direct || m == Negotiated }

// ParseMethod reads a method by code or by name.
func ParseMethod(s string) (Method, bool) {
	s = strings.TrimSpace(s)
	for _, m := range append(slices.Clone(Methods), Negotiated) {
		if s == string(m) || s == m.Label() {
			return m, true
		}
	}
	return "", false
}

// Candidate is an enrolled agency as the selection sees it.
type Candidate struct {
	// Code identifies the agency (its USCC); unique among the candidates.
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
	// Bid is the agency's price in fen (分), for 竞价选取 and 均价比选.
	Bid int64 `json:"bid,omitempty"`
	// Score is the marketplace's composite score (综合评分, 第二十九条),
	// in hundredths of a point, for 择优选取.
	Score int64 `json:"score,omitempty"`
	// EvalScore is the public credit evaluation score (公共信用综合评价
	// 分值); the evaluation ranking orders it, highest first.
	EvalScore int `json:"eval_score,omitempty"`
	// Grade is the credit grade (信用等级, A best); "" when not graded.
	Grade string `json:"grade,omitempty"`
}

// Input is everything a selection is made from. With the seed it is
// published with the result, so anyone can run it again (Select).
type Input struct {
	Method  Method `json:"method"`
	Project string `json:"project" doc:"The project's code: part of every lottery key."`
	// Seed is 32 random bytes, hex; its SHA-256 (SeedHash) was published
	// when the notice was, before any agency enrolled.
	Seed       string      `json:"seed"`
	Candidates []Candidate `json:"candidates"`
	// Count is how many 随机选取 selects (default 1).
	Count int `json:"count,omitempty"`
	// Chosen is the code the owner picked (直接选取, 议价选取).
	Chosen string `json:"chosen,omitempty"`
	// Grades orders credit grades best first (default A, B, C, D).
	Grades []string `json:"grades,omitempty"`
}

// Result is a selection's outcome, explained.
type Result struct {
	Winners []string `json:"winners" doc:"The selected agencies' codes, in order."`
	// Average is the average of all bids (均价比选), in fen, as an exact
	// fraction "sum/n" and rounded to the fen.
	Average    string   `json:"average,omitempty"`
	AverageFen int64    `json:"average_fen,omitempty"`
	Steps      []string `json:"steps" doc:"How the winners were found, step by step, in Chinese."`
	Lottery    *Lottery `json:"lottery,omitempty" doc:"The lottery, when one decided."`
}

// Lottery is a draw among tied candidates: each one's key is
// SHA-256(seed hex "|" project "|" code), and the smallest keys win.
type Lottery struct {
	Among []string `json:"among" doc:"The codes in the draw."`
	Keys  []string `json:"keys" doc:"Their keys (hex), in the order of among."`
	Take  int      `json:"take"`
}

// SeedHash is the published commitment to a seed: hex SHA-256 of its bytes.
func SeedHash(seedHex string) (string, error) {
	b, err := hex.DecodeString(seedHex)
	if err != nil || len(b) != 32 {
		return "", fault.New(fault.Invalid, "种子应为64位十六进制数（32字节）")
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// LotteryKey is a candidate's key in a project's lottery.
func LotteryKey(seedHex, project, code string) string {
	h := sha256.Sum256([]byte(strings.ToLower(seedHex) + "|" + project + "|" + code))
	return hex.EncodeToString(h[:])
}

// draw takes n of codes by lottery: the n smallest keys (keys are unique
// in practice; equal keys fall back to the code).
func draw(in Input, codes []string, n int) ([]string, *Lottery) {
	type kc struct{ key, code string }
	ks := make([]kc, len(codes))
	l := &Lottery{Take: n}
	for i, c := range codes {
		ks[i] = kc{LotteryKey(in.Seed, in.Project, c), c}
		l.Among = append(l.Among, c)
		l.Keys = append(l.Keys, ks[i].key)
	}
	slices.SortFunc(ks, func(a, b kc) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.code, b.code)
	})
	out := make([]string, 0, n)
	for _, k := range ks[:min(n, len(ks))] {
		out = append(out, k.code)
	}
	return out, l
}

func yuan(fen int64) string {
	s := fmt.Sprintf("%d.%02d", fen/100, fen%100)
	if fen < 0 {
		s = fmt.Sprintf("-%d.%02d", -fen/100, -fen%100)
	}
	return s + "元"
}

// Select runs the selection in. It is a pure function: the same input
// gives the same result, which is how a published selection is verified.
func Select(in Input) (Result, error) {
	if len(in.Candidates) == 0 {
		return Result{}, fault.New(fault.Invalid, "没有可参与选取的中介机构")
	}
	seen := map[string]bool{}
	for _, c := range in.Candidates {
		if c.Code == "" || seen[c.Code] {
			return Result{}, fault.Newf(fault.Invalid, "候选中介机构代码为空或重复：%q", c.Code)
		}
		seen[c.Code] = true
		if in.Method.Bids() && c.Bid <= 0 {
			return Result{}, fault.Newf(fault.Invalid, "中介机构%s没有有效报价", c.Code)
		}
	}
	needSeed := in.Method == Merit || in.Method == Lowest || in.Method == Average || in.Method == Random
	if needSeed {
		if _, err := SeedHash(in.Seed); err != nil {
			return Result{}, err
		}
	}
	res := Result{Winners: []string{}}
	codes := func(cs []Candidate) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = c.Code
		}
		return out
	}
	// tie settles a set of tied candidates: one wins outright, or a
	// lottery draws one.
	tie := func(cs []Candidate, what string) {
		if len(cs) == 1 {
			res.Winners = append(res.Winners, cs[0].Code)
			return
		}
		w, l := draw(in, codes(cs), 1)
		res.Lottery = l
		res.Winners = append(res.Winners, w...)
		res.Steps = append(res.Steps, fmt.Sprintf("%d家%s，通过摇号随机选择1家：%s", len(cs), what, w[0]))
	}
	switch in.Method {
	case Direct, Negotiated:
		if !seen[in.Chosen] {
			return Result{}, fault.Newf(fault.Invalid, "%s：所选中介机构%q不在可选范围内", in.Method.Label(), in.Chosen)
		}
		res.Winners = append(res.Winners, in.Chosen)
		res.Steps = append(res.Steps, "项目业主自主选取"+in.Chosen)
	case Lowest:
		low := in.Candidates[0].Bid
		for _, c := range in.Candidates {
			low = min(low, c.Bid)
		}
		var at []Candidate
		for _, c := range in.Candidates {
			if c.Bid == low {
				at = append(at, c)
			}
		}
		res.Steps = append(res.Steps, fmt.Sprintf("最低报价%s", yuan(low)))
		tie(at, "相同最低报价的中介机构")
	case Average:
		var sum int64
		for _, c := range in.Candidates {
			sum += c.Bid
		}
		n := int64(len(in.Candidates))
		res.Average = fmt.Sprintf("%d/%d", sum, n)
		avg := roundHalfUp(sum, n)
		res.AverageFen = avg
		res.Steps = append(res.Steps, fmt.Sprintf("%d家报价的平均价格为%s（%s分）", n, yuan(avg), res.Average))
		// Distances compared exactly: |n×bid − sum| is n times the distance.
		dist := func(c Candidate) int64 {
			d := n*c.Bid - sum
			if d < 0 {
				return -d
			}
			return d
		}
		best := dist(in.Candidates[0])
		for _, c := range in.Candidates {
			best = min(best, dist(c))
		}
		var below, above, at []Candidate
		for _, c := range in.Candidates {
			if dist(c) != best {
				continue
			}
			switch d := n*c.Bid - sum; {
			case d < 0:
				below = append(below, c)
			case d > 0:
				above = append(above, c)
			default:
				at = append(at, c)
			}
		}
		closest := at
		switch {
		case len(at) > 0:
			res.Steps = append(res.Steps, "报价等于平均价格的中介机构最接近平均价格")
		case len(below) > 0 && len(above) > 0:
			closest = below
			res.Steps = append(res.Steps, fmt.Sprintf("高于和低于平均价且差值相同（%s与%s），低于平均价的中介机构中选", yuan(below[0].Bid), yuan(above[0].Bid)))
		case len(below) > 0:
			closest = below
		default:
			closest = above
		}
		res.Steps = append(res.Steps, fmt.Sprintf("最接近平均价格的报价为%s", yuan(closest[0].Bid)))
		tie(closest, "相同最低差报价的中介机构")
	case Merit:
		order := in.Grades
		if len(order) == 0 {
			order = []string{"A", "B", "C", "D"}
		}
		gradeRank := func(g string) int {
			if i := slices.Index(order, g); i >= 0 {
				return i
			}
			return len(order)
		}
		cmp := func(a, b Candidate) int {
			switch {
			case a.Score != b.Score:
				if a.Score > b.Score {
					return -1
				}
				return 1
			case a.EvalScore != b.EvalScore:
				if a.EvalScore > b.EvalScore {
					return -1
				}
				return 1
			}
			return gradeRank(a.Grade) - gradeRank(b.Grade)
		}
		cs := slices.Clone(in.Candidates)
		slices.SortStableFunc(cs, cmp)
		var top []Candidate
		for _, c := range cs {
			if cmp(c, cs[0]) == 0 {
				top = append(top, c)
			}
		}
		res.Steps = append(res.Steps, fmt.Sprintf("依次比较综合评分、评价排名（公共信用综合评价分值）、信用等级：最优为综合评分%.2f、评价分值%d、信用等级%s",
			float64(cs[0].Score)/100, cs[0].EvalScore, gradeOr(cs[0].Grade)))
		tie(top, "综合评分、评价排名和信用等级均相同的中介机构")
	case Random:
		count := in.Count
		if count <= 0 {
			count = 1
		}
		if count > len(in.Candidates) {
			return Result{}, fault.Newf(fault.Invalid, "随机选取%d家，但只有%d家中介机构报名", count, len(in.Candidates))
		}
		w, l := draw(in, codes(in.Candidates), count)
		res.Lottery = l
		res.Winners = w
		res.Steps = append(res.Steps, fmt.Sprintf("在%d家报名的中介机构中通过摇号随机选择%d家", len(in.Candidates), count))
	default:
		return Result{}, fault.Newf(fault.Invalid, "未知的选取方式%q", in.Method)
	}
	return res, nil
}

func gradeOr(g string) string {
	if g == "" {
		return "未评价"
	}
	return g
}

// roundHalfUp is sum/n rounded to the nearest integer, halves up (n > 0,
// sum >= 0).
func roundHalfUp(sum, n int64) int64 { return (2*sum + n) / (2 * n) }

// Verify runs a published selection again and reports whether the seed
// matches the hash published before the draw and the winners are the same.
func Verify(in Input, seedHash string, winners []string) error {
	h, err := SeedHash(in.Seed)
	if in.Method == Direct || in.Method == Negotiated {
		err, h = nil, seedHash
	}
	if err != nil {
		return err
	}
	if !strings.EqualFold(h, seedHash) {
		return fault.Newf(fault.Invalid, "种子的SHA-256为%s，与选取前公布的%s不符", h, seedHash)
	}
	res, err := Select(in)
	if err != nil {
		return err
	}
	if !slices.Equal(res.Winners, winners) {
		return fault.Newf(fault.Invalid, "重新计算的中选机构为%v，与公布的%v不符", res.Winners, winners)
	}
	return nil
}
