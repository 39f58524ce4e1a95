package code

import (
	"fmt"
	"strings"
)

// Kind names a kind of national identifier code.
type Kind string

const (
	KindUSCC Kind = "uscc" // 统一社会信用代码, GB 32100-2015
	KindOrg  Kind = "org"  // 组织机构代码, GB 11714-1997
	KindRIC  Kind = "ric"  // 公民身份号码, GB 11643-1999
	KindGS15 Kind = "gs15" // 工商注册号, GS 15-2006
	// KindAuto asks Check to detect the kind (see Check).
	KindAuto Kind = "auto"
	// KindUnknown is reported by auto-detection when the length fits no
	// kind. It cannot be passed to Check.
	KindUnknown Kind = "unknown"
)

// ParseKind parses a kind name ("uscc", "org", "ric", "gs15" or "auto"),
// ignoring case.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(strings.ToLower(s)); k {
	case KindUSCC, KindOrg, KindRIC, KindGS15, KindAuto:
		return k, nil
	}
	return "", fmt.Errorf("code: unknown kind %q (want uscc, org, ric, gs15 or auto)", s)
}

// Status is the outcome of a check.
type Status string

const (
	StatusValid   Status = "valid"
	StatusInvalid Status = "invalid"
	// StatusPlaceholder marks USCCPlaceholder: neither valid nor invalid.
	StatusPlaceholder Status = "placeholder"
)
