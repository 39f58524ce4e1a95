package code

import (
	"fmt"
	"unicode/utf8"
)

// Result is the outcome of Check.
type Result struct {
	Code     string // as given
	Kind     Kind   // the kind checked; for KindAuto the detected kind, or KindUnknown
	Status   Status
	Detail   string // why it is invalid (English); "" when valid
	DetailZH string // the same in simplified Chinese
	Position int    // 1-based rune position of the offending character, else 0
	Want     string // expected check character when a check fails, else ""
	// USCC holds the parts when Kind is KindUSCC and the structure could be
	// parsed (also when a check character is wrong, and for the placeholder).
	USCC *USCCParts
	// RIC holds the parts when Kind is KindRIC and the birth date is a real
	// calendar date (also when the date is out of range or the check
	// character is wrong).
	RIC *RICParts
}

// fail marks r invalid for the reason e.
func (r Result) fail(e *Error) Result {
	r.Status = StatusInvalid
	r.Detail, r.DetailZH = e.Detail, e.DetailZH
	r.Position, r.Want = e.Position, e.Want
	return r
}

// Check checks s as a code of the given kind, exactly as written: nothing is
// trimmed or case-folded, so a lower-case letter, a space or a full-width
// digit is a bad character. Lengths and positions count runes (an invalid
// UTF-8 byte counts as one), and the length is checked before the
// characters: " 91350100M000100Y43" has the wrong length 19, while
// " 1350100M000100Y43" has a bad character at position 1.
//
// With KindAuto the kind is chosen by the length in runes:
//   - 18: USCCPlaceholder is a placeholder USCC. Otherwise, if s is a valid
//     RIC, it is a RIC; else if it is a valid USCC, a USCC. If it is
//     neither, it is reported as a RIC when it looks like one (17 digits,
//     then a digit or 'X', with a plausible birth date at positions 7-14, so
//     that only the check character is wrong) and as a USCC otherwise. An
//     all-digit USCC such as 121200004013590816 fails the RIC rules and is
//     detected as a USCC.
//   - 15: GS 15 registration number (15-digit first-generation ID numbers
//     are not recognized).
//   - 9 or 10: organization code (10 for the form XXXXXXXX-X).
//   - anything else: invalid with Kind KindUnknown.
func Check(kind Kind, s string) Result {
	switch kind {
	case KindUSCC:
		return checkUSCC(s)
	case KindOrg:
		return checkOrg(s)
	case KindRIC:
		return checkRIC(s)
	case KindGS15:
		return checkGS15(s)
	case KindAuto:
		return detect(s)
	}
	return Result{Code: s, Kind: kind}.fail(&Error{
		Detail:   fmt.Sprintf("unknown code kind %q", string(kind)),
		DetailZH: fmt.Sprintf("未知的代码类型“%s”", string(kind)),
	})
}

func detect(s string) Result {
	switch n := runeCount(s); n {
	case 18:
		if IsUSCCPlaceholder(s) {
			return checkUSCC(s)
		}
		ric := checkRIC(s)
		if ric.Status == StatusValid {
			return ric
		}
		uscc := checkUSCC(s)
		if uscc.Status == StatusValid || !looksLikeRIC(s) {
			return uscc
		}
		return ric
	case 15:
		return checkGS15(s)
	case 9, 10:
		return checkOrg(s)
	default:
		return Result{Code: s, Kind: KindUnknown}.fail(lengthError(n, "9, 10, 15 or 18", "9、10、15或18"))
	}
}

// looksLikeRIC reports whether s would be a valid RIC with another check
// character: 17 ASCII digits with a real birth date, then anything.
func looksLikeRIC(s string) bool {
	if len(s) < 17 || !isDigits(s[:17]) {
		return false
	}
	c, err := RICCheckChar(s[:17])
	return err == nil && checkRIC(s[:17]+string(c)).Status == StatusValid
}

func runeCount(s string) int { return utf8.RuneCountInString(s) }

// isDigits reports whether s is non-empty and consists of ASCII digits only.
func isDigits(s string) bool {
	for i := range len(s) {
		if !digitAlphabet.has(rune(s[i])) {
			return false
		}
	}
	return s != ""
}
