package credit

import (
	"encoding/hex"
	"strings"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/code"
)

// MaxNameLen is the longest subject name accepted, in characters.
const MaxNameLen = 200

// Validate checks a subject against the registry's rules: a known class,
// a name, and the identifier its class is keyed by, checked with the
// national algorithms. It returns a *FieldError.
func (s Subject) Validate() error {
	if !s.Class.Valid() {
		return &FieldError{"class", "主体类别不合法：" + string(s.Class)}
	}
	name := strings.TrimSpace(s.Name)
	if name == "" {
		return &FieldError{"name", "名称不能为空"}
	}
	if name != s.Name {
		return &FieldError{"name", "名称首尾不能有空白"}
	}
	if utf8.RuneCountInString(s.Name) > MaxNameLen || !utf8.ValidString(s.Name) {
		return &FieldError{"name", "名称过长或含非法字符"}
	}
	if reason := BidiReason(s.Name); reason != "" {
		return &FieldError{"name", "名称" + reason}
	}
	if s.Region != "" && !isDigits(s.Region, 6) {
		return &FieldError{"region", "行政区划代码应为6位数字"}
	}
	switch s.Class {
	case ClassOrg, ClassGov:
		if err := checkUSCC(s.USCC); err != nil {
			return err
		}
		if s.Class == ClassGov {
			if p, _ := code.ParseUSCC(s.USCC); p.Category != "11" {
				return &FieldError{"uscc", "政府机构的统一社会信用代码机构类别应为11（机关）"}
			}
		}
		if s.IDNumber != "" || s.RegNo != "" {
			return &FieldError{"id_number", "法人及非法人组织、政府机构不应有身份证号码或注册号"}
		}
	case ClassSole:
		if s.IDNumber != "" {
			return &FieldError{"id_number", "个体工商户不应有身份证号码"}
		}
		if s.USCC == "" || code.IsUSCCPlaceholder(s.USCC) {
			if s.RegNo == "" {
				return &FieldError{"reg_no", "无统一社会信用代码的个体工商户须有工商注册号"}
			}
			if r := code.Check(code.KindGS15, s.RegNo); r.Status != code.StatusValid {
				return &FieldError{"reg_no", "工商注册号不合法：" + r.DetailZH}
			}
			return nil
		}
		return checkUSCC(s.USCC)
	case ClassPerson:
		if s.USCC != "" || s.RegNo != "" {
			return &FieldError{"uscc", "自然人不应有统一社会信用代码或注册号"}
		}
		if r := code.Check(code.KindRIC, s.IDNumber); r.Status != code.StatusValid {
			return &FieldError{"id_number", r.PrivateReasonZH()}
		}
	}
	return nil
}

func checkUSCC(uscc string) error {
	r := code.Check(code.KindUSCC, uscc)
	switch r.Status {
	case code.StatusValid:
		return nil
	case code.StatusPlaceholder:
		return &FieldError{"uscc", "占位代码00000000000000000X只适用于无代码的个体工商户"}
	}
	if uscc == "" {
		return &FieldError{"uscc", "统一社会信用代码不能为空"}
	}
	return &FieldError{"uscc", "统一社会信用代码不合法：" + r.DetailZH}
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NaturalKey is the key that identifies a subject across sends: its USCC;
// for a sole trader without one, its registration number and name; for a
// person, the keyed hash of the ID number (hash is the store's keyed hash,
// so the key never contains the number). Call it on a validated subject.
func (s Subject) NaturalKey(hash func(string) []byte) string {
	switch {
	case s.Class == ClassPerson:
		return "P:" + hex.EncodeToString(hash(s.IDNumber))
	case s.USCC != "" && !code.IsUSCCPlaceholder(s.USCC):
		return "U:" + s.USCC
	default:
		return "R:" + s.RegNo + "|" + s.Name
	}
}
