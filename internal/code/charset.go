package code

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// alphabet is an ordered character set: the value of a character is its
// index in chars. All check-character algorithms in this package work on
// values taken from one of the alphabets below.
type alphabet struct {
	chars string
	value [256]int8 // -1 for bytes outside the set
}

func newAlphabet(chars string) *alphabet {
	a := &alphabet{chars: chars}
	for i := range a.value {
		a.value[i] = -1
	}
	for i := range len(chars) {
		a.value[chars[i]] = int8(i)
	}
	return a
}

// has reports whether r belongs to the alphabet.
func (a *alphabet) has(r rune) bool {
	return r >= 0 && r < utf8.RuneSelf && a.value[r] >= 0
}

var (
	// usccAlphabet is the GB 32100-2015 code character set: 31 characters,
	// no I, O, S, V or Z, valued 0..30 in this order.
	usccAlphabet = newAlphabet("0123456789ABCDEFGHJKLMNPQRTUWXY")
	// orgAlphabet is the GB 11714-1997 (附录A) body character set: digits and
	// all 26 upper-case letters, A=10 … Z=35.
	orgAlphabet = newAlphabet("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	// orgCheckAlphabet holds the possible GB 11714 check characters ('X' = 10).
	orgCheckAlphabet = newAlphabet("0123456789X")
	// ricCheckAlphabet holds the possible GB 11643 check characters ('X' = 10).
	ricCheckAlphabet = newAlphabet("0123456789X")
	digitAlphabet    = newAlphabet("0123456789")
	hyphenAlphabet   = newAlphabet("-")
)

// weightedSum returns Σ value(b[i])·w[i]. The bytes must already have been
// validated against a (see scan); len(b) must equal len(w).
func weightedSum(b []byte, a *alphabet, w []int) int {
	sum := 0
	for i, c := range b {
		sum += int(a.value[c]) * w[i]
	}
	return sum
}

// Error explains why a code, or a fragment passed to a check-character
// function, is not acceptable. It is the error type returned by the
// functions of this package.
type Error struct {
	Detail   string // English
	DetailZH string // simplified Chinese
	Position int    // 1-based rune position of the offending character, or 0
	Want     string // expected check character, or ""
}

func (e *Error) Error() string { return e.Detail }

func lengthError(got int, want, wantZH string) *Error {
	return &Error{
		Detail:   fmt.Sprintf("wrong length %d, want %s", got, want),
		DetailZH: fmt.Sprintf("长度应为%s位，实为%d位", wantZH, got),
	}
}

// charError reports the character at the 1-based rune position pos.
// invalid is true when the position holds a byte that is not valid UTF-8.
func charError(r rune, invalid bool, b byte, pos int) *Error {
	var en, zh string
	switch {
	case invalid:
		en = fmt.Sprintf("invalid UTF-8 byte 0x%02X", b)
		zh = fmt.Sprintf("非法UTF-8字节0x%02X", b)
	case unicode.IsGraphic(r) && !unicode.IsSpace(r):
		en = fmt.Sprintf("bad character '%c'", r)
		zh = fmt.Sprintf("字符“%c”不合法", r)
	default:
		en = fmt.Sprintf("bad character %U", r)
		zh = fmt.Sprintf("字符%U不合法", r)
	}
	return &Error{
		Detail:   fmt.Sprintf("%s at position %d", en, pos),
		DetailZH: fmt.Sprintf("第%d位%s", pos, zh),
		Position: pos,
	}
}

func checkCharError(pos int, want byte) *Error {
	return &Error{
		Detail:   fmt.Sprintf("check character should be %c", want),
		DetailZH: fmt.Sprintf("校验码应为%c", want),
		Position: pos,
		Want:     string(want),
	}
}

// withWant adds the expected check character to a bad-character error at
// the check position.
func withWant(e *Error, want byte) *Error {
	e.Detail += fmt.Sprintf("; check character should be %c", want)
	e.DetailZH += fmt.Sprintf("，校验码应为%c", want)
	e.Want = string(want)
	return e
}

// scan checks that s consists of exactly n runes and that the rune at each
// 0-based position i belongs to set(i). It returns the (then pure ASCII)
// bytes of s. Lengths and positions count runes; an invalid UTF-8 byte
// counts as one rune. The length is checked before the characters, and the
// first offending position is reported.
func scan(s string, n int, set func(i int) *alphabet, want, wantZH string) ([]byte, *Error) {
	if got := utf8.RuneCountInString(s); got != n {
		return nil, lengthError(got, want, wantZH)
	}
	pos := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !set(pos).has(r) {
			return nil, charError(r, r == utf8.RuneError && size == 1, s[i], pos+1)
		}
		i += size
		pos++
	}
	return []byte(s), nil
}

// all returns a set function that allows a everywhere.
func all(a *alphabet) func(int) *alphabet {
	return func(int) *alphabet { return a }
}
