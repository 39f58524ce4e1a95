// Package credit is the domain core: credit subjects and, later, their
// records and the rules over them. It does no I/O.
package credit

import (
	"fmt"
	"strings"
	"time"
)

// Class is a subject's class (主体类别).
type Class string

const (
	ClassOrg    Class = "org"    // 法人及非法人组织
	ClassSole   Class = "sole"   // 个体工商户
	ClassPerson Class = "person" // 自然人
	ClassGov    Class = "gov"    // 政府机构
)

// Classes lists every class in display order.
var Classes = []Class{ClassOrg, ClassSole, ClassGov, ClassPerson}

// Label is the Chinese name shown to users.
func (c Class) Label() string {
	switch c {
	case ClassOrg:
		return "法人及非法人组织"
	case ClassSole:
		return "个体工商户"
	case ClassPerson:
		return "自然人"
	case ClassGov:
		return "政府机构"
	}
	return string(c)
}

// Valid reports whether c is a known class.
func (c Class) Valid() bool {
	switch c {
	case ClassOrg, ClassSole, ClassPerson, ClassGov:
		return true
	}
	return false
}

// ParseClass accepts the English class name.
func ParseClass(s string) (Class, error) {
	c := Class(strings.TrimSpace(s))
	if !c.Valid() {
		return "", fmt.Errorf("unknown subject class %q (want org, sole, person or gov)", s)
	}
	return c, nil
}

// Subject is a credit subject (信用主体).
//
// IDNumber is personal data: it is only ever held in memory in clear; the
// store keeps it encrypted and finds it through a keyed hash. Use
// MaskedID for anything shown or logged.
type Subject struct {
	ID       int64
	Class    Class
	USCC     string // 统一社会信用代码; empty for persons and for sole traders without one
	RegNo    string // 工商注册号 (GS 15) of a sole trader without a USCC
	IDNumber string // 公民身份号码 of a person, in clear (never log)
	MaskedID string // masked ID number, safe to show
	Name     string // current name
	Region   string // 6-digit administrative division code (GB/T 2260)

	// FormerNames are the subject's earlier names, oldest first. Filled by
	// the store when reading; ignored when writing (history is derived from
	// renames).
	FormerNames []NameSpan
	// Commitments counts the subject's credit commitments (信用承诺) in the
	// registry, whatever their 公开类型: filled by the store's GetSubject
	// and FindSubjectByCode (so a credit file reads the registry only when
	// there is something to show); ignored when writing.
	Commitments int

	CreatedAt time.Time
	UpdatedAt time.Time
}

// NameSpan is a name a subject carried from From until To.
type NameSpan struct {
	Name string
	From time.Time
	To   time.Time
}

// String never includes the clear ID number.
func (s Subject) String() string {
	return fmt.Sprintf("%s %s %s", s.Class, s.DisplayCode(), s.Name)
}

// DisplayCode is the identifier safe to show: the USCC, the registration
// number, or the masked ID number.
func (s Subject) DisplayCode() string {
	switch {
	case s.USCC != "":
		return s.USCC
	case s.RegNo != "":
		return s.RegNo
	case s.MaskedID != "":
		return s.MaskedID
	case s.IDNumber != "":
		return MaskID(s.IDNumber)
	}
	return ""
}

// MaskID masks a personal identifier for display: the first 4 and the last
// 4 characters stay, the rest become '*' (6101**********123X). Short values
// are masked entirely but for their last character.
func MaskID(id string) string {
	r := []rune(id)
	n := len(r)
	if n == 0 {
		return ""
	}
	if n <= 8 {
		return strings.Repeat("*", n-1) + string(r[n-1])
	}
	return string(r[:4]) + strings.Repeat("*", n-8) + string(r[n-4:])
}

// FieldError says which field of a subject is wrong and why, in Chinese for
// the user.
type FieldError struct {
	Field  string // the field's name in code (uscc, reg_no, id_number, name, class, region)
	Reason string // simplified Chinese, for users
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// RegionPrefix trims a 6-digit division code to the prefix that selects it
// and everything below it: 610000 → 61, 610100 → 6101, 610113 → 610113;
// anything else is returned as it is.
func RegionPrefix(code string) string {
	switch {
	case len(code) != 6:
		return code
	case strings.HasSuffix(code, "0000"):
		return code[:2]
	case strings.HasSuffix(code, "00"):
		return code[:4]
	}
	return code
}

// MaskIDsIn masks, in free text, every run of 15 to 18 digits (an 18th
// character may be X): a 公民身份号码 typed where none was expected (a
// remark, a misplaced column) is never shown in clear. Other text is
// kept.
func MaskIDsIn(s string) string {
	var b strings.Builder
	start := -1
	flush := func(end int) {
		run := s[start:end]
		if n := len(run); n >= 15 && n <= 18 {
			b.WriteString(MaskID(run))
		} else {
			b.WriteString(run)
		}
		start = -1
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		digit := c >= '0' && c <= '9'
		x := (c == 'X' || c == 'x') && start >= 0 && i-start == 17
		if digit || x {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			flush(i)
		}
		b.WriteByte(c)
	}
	if start >= 0 {
		flush(len(s))
	}
	return b.String()
}
