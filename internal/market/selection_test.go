package market

import (
	"slices"
	"strings"
	"testing"
)

const seed = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

// lotteryWinner is the code with the smallest key, computed here from the
// published rule, not by the code under test.
func lotteryWinner(project string, codes ...string) string {
	best, bestKey := "", ""
	for _, c := range codes {
		if k := LotteryKey(seed, project, c); best == "" || k < bestKey {
			best, bestKey = c, k
		}
	}
	return best
}

func bids(b ...int64) []Candidate {
	out := make([]Candidate, len(b))
	for i, x := range b {
		out[i] = Candidate{Code: string(rune('A' + i)), Bid: x}
	}
	return out
}

func TestSelect(t *testing.T) {
	const p = "ZJ2026000001"
	cases := []struct {
		name    string
		in      Input
		want    []string
		lottery bool
		step    string
	}{
		{"direct", Input{Method: Direct, Candidates: bids(1, 2, 3), Chosen: "B"}, []string{"B"}, false, "自主选取"},
		{"negotiated", Input{Method: Negotiated, Candidates: bids(5), Chosen: "A"}, []string{"A"}, false, ""},
		{"lowest: one lowest", Input{Method: Lowest, Candidates: bids(9000, 8000, 8500)}, []string{"B"}, false, "最低报价80.00元"},
		{"lowest: tie by lottery", Input{Method: Lowest, Candidates: bids(8000, 9000, 8000, 8000)},
			[]string{lotteryWinner(p, "A", "C", "D")}, true, "3家相同最低报价"},
		{"average: exact", Input{Method: Average, Candidates: bids(9000, 10000, 11000, 12000)},
			// average 10500: B and C at 500; lower wins
			[]string{"B"}, false, "低于平均价的中介机构中选"},
		{"average: equal distance, lower wins", Input{Method: Average, Candidates: bids(11000, 9000)}, []string{"B"}, false, "低于平均价"},
		{"average: one closest above", Input{Method: Average, Candidates: bids(9000, 10100, 10400)},
			// average 9833.33: 10100 is 266.67 away, 9000 is 833.33
			[]string{"B"}, false, "最接近平均价格的报价为101.00元"},
		{"average: bid equals average", Input{Method: Average, Candidates: bids(9000, 10000, 11000)}, []string{"B"}, false, "等于平均价格"},
		{"average: remaining tie by lottery", Input{Method: Average, Candidates: bids(9000, 9000, 11000, 11000)},
			// average 10000: all at 1000; lower side A and B, lottery
			[]string{lotteryWinner(p, "A", "B")}, true, "2家相同最低差报价"},
		{"average: exact fraction, no rounding tie", Input{Method: Average, Candidates: bids(1, 2, 2)},
			// average 5/3 = 1.667: 2 is 0.333 away, 1 is 0.667: B and C tie above
			[]string{lotteryWinner(p, "B", "C")}, true, ""},
		{"merit: score", Input{Method: Merit, Candidates: []Candidate{{Code: "A", Score: 8000}, {Code: "B", Score: 9000}, {Code: "C", Score: 8500}}}, []string{"B"}, false, ""},
		{"merit: ranking breaks score tie", Input{Method: Merit, Candidates: []Candidate{{Code: "A", Score: 9000, EvalScore: 1000}, {Code: "B", Score: 9000, EvalScore: 1010}}}, []string{"B"}, false, ""},
		{"merit: grade breaks ranking tie", Input{Method: Merit, Candidates: []Candidate{{Code: "A", Score: 9000, EvalScore: 1000, Grade: "B"}, {Code: "B", Score: 9000, EvalScore: 1000, Grade: "A"}, {Code: "C", Score: 9000, EvalScore: 1000}}}, []string{"B"}, false, ""},
		{"merit: full tie by lottery", Input{Method: Merit, Candidates: []Candidate{{Code: "A", Score: 9000, Grade: "A"}, {Code: "B", Score: 9000, Grade: "A"}, {Code: "C", Score: 100, Grade: "A"}}},
			[]string{lotteryWinner(p, "A", "B")}, true, "2家综合评分、评价排名和信用等级均相同"},
		{"random: one", Input{Method: Random, Candidates: bids(1, 1, 1)}, []string{lotteryWinner(p, "A", "B", "C")}, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.in.Project, c.in.Seed = p, seed
			res, err := Select(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Winners, c.want) {
				t.Errorf("winners %v, want %v (%v)", res.Winners, c.want, res.Steps)
			}
			if (res.Lottery != nil) != c.lottery {
				t.Errorf("lottery %+v, want %v", res.Lottery, c.lottery)
			}
			if c.step != "" && !strings.Contains(strings.Join(res.Steps, "；"), c.step) {
				t.Errorf("steps %v lack %q", res.Steps, c.step)
			}
		})
	}
}

// TestRandomCount: 随机选取 of N takes the N smallest keys, in key order.
func TestRandomCount(t *testing.T) {
	in := Input{Method: Random, Project: "P1", Seed: seed, Candidates: bids(1, 1, 1, 1, 1), Count: 3}
	res, err := Select(in)
	if err != nil || len(res.Winners) != 3 {
		t.Fatalf("%v %v", res, err)
	}
	all := []string{"A", "B", "C", "D", "E"}
	slices.SortFunc(all, func(a, b string) int { return strings.Compare(LotteryKey(seed, "P1", a), LotteryKey(seed, "P1", b)) })
	if !slices.Equal(res.Winners, all[:3]) {
		t.Errorf("winners %v, want %v", res.Winners, all[:3])
	}
	in.Count = 6
	if _, err := Select(in); err == nil {
		t.Error("6 of 5 drawn")
	}
}

// TestLotteryGolden pins the lottery: the same published inputs always
// draw the same winner, today and after any change of the code.
func TestLotteryGolden(t *testing.T) {
	// SHA-256 of "<seed>|ZJ2026000001|91610000000000000A".
	if k := LotteryKey(seed, "ZJ2026000001", "91610000000000000A"); k != "19ecbd81e9ef0dfe181d1d3ce62743b250896582fd08a2fd06d3ae1055efb6fc" {
		t.Errorf("key %s", k)
	}
	in := Input{Method: Lowest, Project: "ZJ2026000001", Seed: seed, Candidates: bids(100, 100, 100, 100)}
	a, _ := Select(in)
	if !slices.Equal(a.Winners, []string{"B"}) {
		t.Errorf("the pinned draw now selects %v, not B", a.Winners)
	}
	for range 5 {
		b, _ := Select(in)
		if !slices.Equal(a.Winners, b.Winners) {
			t.Fatalf("the lottery is not reproducible: %v %v", a.Winners, b.Winners)
		}
	}
	h, _ := SeedHash(seed)
	if err := Verify(in, h, a.Winners); err != nil {
		t.Fatal(err)
	}
	other := "B"
	if a.Winners[0] == "B" {
		other = "A"
	}
	if err := Verify(in, h, []string{other}); err == nil {
		t.Error("a forged winner verified")
	}
	if err := Verify(in, strings.Repeat("0", 64), a.Winners); err == nil {
		t.Error("a seed not matching its commitment verified")
	}
}

func TestSelectRefuses(t *testing.T) {
	for name, in := range map[string]Input{
		"no candidates":  {Method: Lowest, Seed: seed},
		"duplicate code": {Method: Lowest, Seed: seed, Candidates: []Candidate{{Code: "A", Bid: 1}, {Code: "A", Bid: 2}}},
		"no bid":         {Method: Average, Seed: seed, Candidates: []Candidate{{Code: "A"}}},
		"bad seed":       {Method: Random, Seed: "xyz", Candidates: bids(1)},
		"direct unknown": {Method: Direct, Candidates: bids(1), Chosen: "Z"},
		"unknown method": {Method: "x", Seed: seed, Candidates: bids(1)},
	} {
		if _, err := Select(in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
