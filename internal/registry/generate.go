package registry

import "github.com/xinyong/xinyong/internal/code"

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
