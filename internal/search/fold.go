package search

//go:generate go run gen_t2s.go

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// t2sData is the traditional to simplified table written by gen_t2s.go:
// a header comment line, then one "TRAD SIMP" pair of characters a line,
// sorted by code point. It is closed: no target is also a source.
//
//go:embed t2s.txt
var t2sData string

// The dense range covers CJK Extension A and the CJK Unified Ideographs
// block, where nearly all the characters of real names are. Every rune in
// it has its fold precomputed, so that folding Han text is one array load.
const (
	hanLo = 0x3400
	hanHi = 0xA000
)

var (
	loadOnce sync.Once
	// t2s maps each traditional character to its simplified form.
	t2s map[rune]rune
	// han[r-hanLo] is the fold of r for r in [hanLo, hanHi): the rune, or
	// -1 when r is dropped. Filled by load.
	han [hanHi - hanLo]rune
)

// asciiDrop marks, in asciiFold, the ASCII bytes that are dropped. It is
// not ASCII, so it never equals the byte it stands for.
const asciiDrop = 0xFF

// asciiFold[c] is the fold of ASCII byte c: lower-case letters and digits
// stay, upper-case letters are lowered, everything else is asciiDrop.
var asciiFold = func() (t [utf8.RuneSelf]byte) {
	for c := range t {
		t[c] = asciiDrop
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c
	}
	for c := byte('a'); c <= 'z'; c++ {
		t[c] = c
		t[c-'a'+'A'] = c
	}
	return t
}()

func load() {
	t2s = parseT2S(t2sData)
	for r := rune(hanLo); r < hanHi; r++ {
		han[r-hanLo] = foldSlow(r)
	}
}

// parseT2S reads the embedded table. The data is generated and tested, so
// a malformed line is a programming error.
func parseT2S(data string) map[rune]rune {
	m := make(map[rune]rune, strings.Count(data, "\n"))
	for n, line := range strings.Split(data, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		from, size := utf8.DecodeRuneInString(line)
		rest, ok := strings.CutPrefix(line[size:], " ")
		to, size2 := utf8.DecodeRuneInString(rest)
		if !ok || from == utf8.RuneError || to == utf8.RuneError || size2 != len(rest) {
			panic(fmt.Sprintf("search: t2s.txt line %d is malformed: %q", n+1, line))
		}
		m[from] = to
	}
	return m
}

// foldSlow folds one rune by the rules of Fold. It returns -1 when the
// rune is dropped.
func foldSlow(r rune) rune {
	if f := width.LookupRune(r).Folded(); f != 0 {
		r = f
	}
	if s, ok := t2s[r]; ok {
		r = s
	}
	r = unicode.ToLower(r)
	if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
		return -1
	}
	return r
}

// foldRune folds one rune: the rune to write, or -1 when it is dropped.
// load must have run.
func foldRune(r rune) rune {
	switch {
	case r < utf8.RuneSelf:
		if c := asciiFold[r]; c != asciiDrop {
			return rune(c)
		}
		return -1
	case r >= hanLo && r < hanHi:
		return han[r-hanLo]
	}
	return foldSlow(r)
}

// Fold returns the search form of a name or a query:
//
//   - full-width letters, digits and spaces become half-width (Ａ１ → A1);
//   - traditional characters become simplified (華為 → 华为), by the
//     kSimplifiedVariant table of Unihan (see gen_t2s.go);
//   - letters are lower-cased;
//   - only letters and numbers are kept: spaces and punctuation such as
//     （）()·-、，. are dropped, and so are invalid UTF-8 bytes.
//
// Fold is idempotent: Fold(Fold(s)) == Fold(s). When s is already folded
// it is returned without allocating.
func Fold(s string) string {
	loadOnce.Do(load)
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if asciiFold[c] != c {
				return foldFrom(s, i)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if foldRune(r) != r {
			return foldFrom(s, i)
		}
		i += n
	}
	return s
}

// foldFrom folds s, whose prefix s[:i] is known to be folded already.
func foldFrom(s string, i int) string {
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		if f := foldRune(r); f >= 0 {
			b.WriteRune(f)
		}
	}
	return b.String()
}

// Grams returns the overlapping rune bigrams of a folded string, as the
// stores index them: "华为技术" → ["华为", "为技", "技术"]. A one-rune
// string yields itself, an empty one nil. The grams share folded's memory.
func Grams(folded string) []string {
	if folded == "" {
		return nil
	}
	_, first := utf8.DecodeRuneInString(folded)
	if first == len(folded) {
		return []string{folded}
	}
	grams := make([]string, 0, utf8.RuneCountInString(folded)-1)
	prev, i := 0, first
	for i < len(folded) {
		_, n := utf8.DecodeRuneInString(folded[i:])
		grams = append(grams, folded[prev:i+n])
		prev, i = i, i+n
	}
	return grams
}

// Code normalises a code typed by a user — a unified social credit code,
// an organisation code, an ID card number, a registration number — for
// exact lookup: full-width characters become half-width, ASCII letters are
// upper-cased, and everything but letters and digits (spaces, hyphens,
// dots, …) is removed. "９１６１０１３１ｍａ６ｕ１２３４５ｘ" becomes
// "91610131MA6U12345X" and "12345678-9" becomes "123456789".
func Code(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r >= utf8.RuneSelf {
			if f := width.LookupRune(r).Folded(); f != 0 {
				r = f
			}
		}
		switch {
		case 'a' <= r && r <= 'z':
			b.WriteByte(byte(r - 'a' + 'A'))
		case '0' <= r && r <= '9', 'A' <= r && r <= 'Z':
			b.WriteByte(byte(r))
		case r >= utf8.RuneSelf && r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsNumber(r)):
			b.WriteRune(r)
		}
	}
	return b.String()
}
