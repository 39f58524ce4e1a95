package registry

import (
	"fmt"
	"math/rand/v2"

	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/match"
	"github.com/xinyong/xinyong/internal/store"
)

// MakeCode completes the first 16 characters of a unified social credit
// code (department, category, region, org-code body) with the embedded
// org code's check character and the code's own: for tests and generated
// data. It panics on characters outside the code sets.
func MakeCode(first16 string) string {
	o, err := code.OrgCheckChar(first16[8:16])
	if err != nil {
		panic(err)
	}
	c, err := code.USCCCheckChar(first16 + string(o))
	if err != nil {
		panic(err)
	}
	return first16 + string(o) + string(c)
}

// Generated is what Generate made: the registrations and the problems
// planted among them.
type Generated struct {
	Registrations                   int
	BadCodes, MultiHeld, Duplicates int
}

// GenerateAuthorities are the authorities of generated registrations: a
// market regulator, a civil-affairs bureau and an establishment office per
// city of Shaanxi.
func GenerateAuthorities() []store.Registration {
	var out []store.Registration
	for i, city := range []string{"610100", "610200", "610300", "610400", "610500"} {
		for j, d := range []struct{ dept, name string }{{"9", "市场监督管理局"}, {"5", "民政局"}, {"1", "机构编制委员会办公室"}} {
			out = append(out, store.Registration{AuthorityCode: MakeCode(fmt.Sprintf("11%sMB%06d", city, i*10+j+1)),
				AuthorityName: match.PlaceName(city) + d.name, DeptCode: d.dept})
		}
	}
	return out
}

// Generate calls fn with n registrations numbered from from (the
// org-code bodies are the numbers: ranges that do not overlap make
// distinct organisations) (and the planted problems' extra
// registrations), deterministic for a seed: one in every 10,000 a 错码
// (an enterprise code registered by civil affairs), one a 一码多赋 (its code
// also registered by another city's regulator to another name) and one a
// 重复赋码 (the same name and legal representative under a second code).
func Generate(from, n int, seed int64, fn func(g store.Registration) error) (Generated, error) {
	auths := GenerateAuthorities()
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	var res Generated
	cat := map[string]string{"9": "91", "5": "51", "1": "12"}
	emit := func(g store.Registration) error {
		res.Registrations++
		return fn(g)
	}
	for i := from; i < from+n; i++ {
		a := auths[r.IntN(len(auths))]
		region := a.AuthorityCode[2:8]
		plant := i % 10000
		code := MakeCode(cat[a.DeptCode] + region + fmt.Sprintf("%08d", i))
		g := store.Registration{USCC: code, AuthorityCode: a.AuthorityCode, AuthorityName: a.AuthorityName, DeptCode: a.DeptCode,
			Name: fmt.Sprintf("%s某某%08d单位", match.PlaceName(region), i), LegalRep: fmt.Sprintf("负责人%d", r.IntN(1_000_000)),
			Address: "某路1号", Founded: fmt.Sprintf("20%02d-%02d-%02d", 10+r.IntN(15), 1+r.IntN(12), 1+r.IntN(28)),
			Status: StatusActive, Business: BusinessCreate, RecordID: int64(i + 1)}
		g.Day = g.Founded
		if plant == 1 && a.DeptCode != "5" {
			// 错码: the code says one system, the authority is another.
			for _, b := range auths {
				if b.DeptCode == "5" && b.AuthorityCode[2:8] == region {
					g.AuthorityCode, g.AuthorityName, g.DeptCode = b.AuthorityCode, b.AuthorityName, b.DeptCode
				}
			}
			g.USCC = MakeCode("91" + region + fmt.Sprintf("%08d", i))
			res.BadCodes++
		}
		if err := emit(g); err != nil {
			return res, err
		}
		switch {
		case plant == 2:
			h := g
			for _, b := range auths {
				if b.DeptCode == g.DeptCode && b.AuthorityCode != g.AuthorityCode {
					h.AuthorityCode, h.AuthorityName = b.AuthorityCode, b.AuthorityName
					break
				}
			}
			h.Name, h.LegalRep = "另一"+g.Name, "另一负责人"
			res.MultiHeld++
			if err := emit(h); err != nil {
				return res, err
			}
		case plant == 3:
			h := g
			h.USCC = MakeCode(cat[g.DeptCode] + region + fmt.Sprintf("D%07d", i/10000))
			res.Duplicates++
			if err := emit(h); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}
