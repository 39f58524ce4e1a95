package code

import "fmt"

// USCCPlaceholder is the code that registries record for a sole trader
// (个体工商户) without a unified social credit code. It is neither valid nor
// invalid: Check reports it with StatusPlaceholder.
const USCCPlaceholder = "00000000000000000X"

// IsUSCCPlaceholder reports whether s is exactly USCCPlaceholder.
func IsUSCCPlaceholder(s string) bool { return s == USCCPlaceholder }

// usccWeights are 3^(i-1) mod 31 for i = 1..17 (GB 32100-2015).
var usccWeights = []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// USCCParts is the structure of a unified social credit code.
type USCCParts struct {
	Department     string `json:"department"`                // 登记管理部门码 (position 1)
	DepartmentName string `json:"department_name,omitempty"` // e.g. "机构编制"; "" if not in the table
	Category       string `json:"category"`                  // 机构类别码 as the 2-character code department+category (positions 1-2), e.g. "91"
	CategoryName   string `json:"category_name,omitempty"`   // e.g. "企业"; "" if not in the table
	Region         string `json:"region"`                    // 登记管理机关行政区划码 (positions 3-8)
	OrgCode        string `json:"org_code"`                  // 主体标识码, the embedded 组织机构代码 (positions 9-17)
	Check          byte   `json:"-"`                         // 校验码 (position 18)
}

// ParseUSCC splits s into its parts. It checks the structure only (length
// 18, the 31-character set, digits at positions 3-8), not the check
// characters. Department and category names are looked up in the table of
// Categories; an unknown code is not an error. The error is an *Error.
func ParseUSCC(s string) (USCCParts, error) {
	p, err := parseUSCC(s)
	if err != nil {
		return USCCParts{}, err
	}
	return p, nil
}

func parseUSCC(s string) (USCCParts, *Error) {
	b, err := scan(s, 18, all(usccAlphabet), "18", "18")
	if err != nil {
		return USCCParts{}, err
	}
	for i := 2; i < 8; i++ {
		if !digitAlphabet.has(rune(b[i])) {
			return USCCParts{}, &Error{
				Detail:   fmt.Sprintf("region code (positions 3-8) must be digits, found '%c' at position %d", b[i], i+1),
				DetailZH: fmt.Sprintf("第%d位字符“%c”不合法：行政区划码（第3-8位）应为数字", i+1, b[i]),
				Position: i + 1,
			}
		}
	}
	dept, cat, _ := LookupCategory(s[:2])
	return USCCParts{
		Department:     s[:1],
		DepartmentName: dept,
		Category:       s[:2],
		CategoryName:   cat,
		Region:         s[2:8],
		OrgCode:        s[8:17],
		Check:          s[17],
	}, nil
}

// USCCCheckChar returns the GB 32100-2015 check character (position 18) for
// the first 17 characters of a code, which must come from the 31-character
// code set. It does not look at the region or the embedded org code.
func USCCCheckChar(first17 string) (byte, error) {
	b, err := scan(first17, 17, all(usccAlphabet), "17", "17")
	if err != nil {
		return 0, err
	}
	return usccCheck(b), nil
}

// usccCheck computes C18 = 31 − (Σ C_i·W_i mod 31), 31 → 0, for validated b[:17].
func usccCheck(b []byte) byte {
	c := 31 - weightedSum(b[:17], usccAlphabet, usccWeights)%31
	return usccAlphabet.chars[c%31]
}

func checkUSCC(s string) Result {
	r := Result{Code: s, Kind: KindUSCC}
	p, err := parseUSCC(s)
	if err != nil {
		if err.Position == 18 {
			// Only the check character is not in the set: also say
			// what it should be.
			err = withWant(err, usccCheck([]byte(s)))
		}
		return r.fail(err)
	}
	r.USCC = &p
	if IsUSCCPlaceholder(s) {
		r.Status = StatusPlaceholder
		r.Detail = "placeholder for a sole trader without a code"
		r.DetailZH = "无统一社会信用代码的个体工商户占位代码"
		return r
	}
	b := []byte(s)
	// The embedded org code is checked before the USCC check character:
	// when both fail, the org-code message points at position 17, and
	// correcting a wrong position 17 repairs both checks.
	if want := orgCheck(b[8:16]); b[16] != want {
		return r.fail(&Error{
			Detail:   fmt.Sprintf("embedded org code check character (position 17) should be %c", want),
			DetailZH: fmt.Sprintf("内嵌组织机构代码校验码（第17位）应为%c", want),
			Position: 17,
			Want:     string(want),
		})
	}
	if want := usccCheck(b); b[17] != want {
		return r.fail(checkCharError(18, want))
	}
	r.Status = StatusValid
	return r
}
