package match

import (
	"strings"
	"unicode/utf8"
)

// EditKind is how two cores one edit apart differ.
type EditKind string

const (
	// Substitute: one character of the query's core is another in the
	// candidate's (华新 / 华信).
	Substitute EditKind = "substitute"
	// Insert: the candidate's core has one character more (华电子 / 华信电子).
	Insert EditKind = "insert"
	// Delete: the query's core has one character more (华信信电子 / 华信电子).
	Delete EditKind = "delete"
	// Transpose: two neighbouring characters are swapped (信华 / 华信).
	Transpose EditKind = "transpose"
)

// Diff is how a candidate's core differs from the query's by one edit: a
// possible match (BandPossible).
type Diff struct {
	Kind      EditKind
	Pos       int    // index, in characters, of the edit in the query's core
	From      string // the query's character(s) there: "" for Insert
	To        string // the candidate's: "" for Delete
	Query     string // the query's core
	Candidate string // the candidate's core
}

// Change is the edit in a few characters: 新→信, 少“信”, 多“信”, 新华→华新.
func (d Diff) Change() string {
	switch d.Kind {
	case Insert:
		return "少“" + d.To + "”"
	case Delete:
		return "多“" + d.From + "”"
	}
	return d.From + "→" + d.To
}

// Undo says how the query's core becomes the candidate's, for the
// features scored as if it had: 将“新”改为“信”, 补上“信”, 去掉“信”.
func (d Diff) Undo() string {
	switch d.Kind {
	case Insert:
		return "补上“" + d.To + "”"
	case Delete:
		return "去掉“" + d.From + "”"
	}
	return "将“" + d.From + "”改为“" + d.To + "”"
}

// String explains the difference for the clerk:
// 查询“华新电子科技”与“华信电子科技”相差一字：新→信.
func (d Diff) String() string {
	what := "相差一字："
	if d.Kind == Transpose {
		what = "相邻两字颠倒："
	}
	return "查询“" + d.Query + "”与“" + d.Candidate + "”" + what + d.Change()
}

// MinSlipRunes is the shortest core (of the query and of the candidate)
// for which a one-character difference makes a possible match: in a core
// of two characters (华信 / 华新) one of two is changed, and nothing is
// left to say the names mean the same firm.
const MinSlipRunes = 3

// maxCoreRunes bounds the cores oneEdit compares on the stack; longer ones
// are compared on the heap (names are short).
const maxCoreRunes = 32

// oneEdit tells whether the core c is one edit from the query's core q
// (a character changed, added or dropped, or two neighbours swapped) and
// how. Equal cores, cores shorter than MinSlipRunes and edits of a number
// (第一中学 / 第二中学: numbered bodies are told apart by their number)
// are not.
func oneEdit(qr []rune, q, c string) (Diff, bool) {
	nq := len(qr)
	nc := utf8.RuneCountInString(c)
	if q == c || nq < MinSlipRunes || nc < MinSlipRunes || nc-nq > 1 || nq-nc > 1 {
		return Diff{}, false
	}
	var buf [maxCoreRunes]rune
	cr := buf[:0]
	if nc > maxCoreRunes {
		cr = make([]rune, 0, nc)
	}
	for _, r := range c {
		cr = append(cr, r)
	}
	i := 0
	for i < nq && i < nc && qr[i] == cr[i] {
		i++
	}
	d := Diff{Pos: i, Query: q, Candidate: c}
	switch {
	case nq == nc:
		if equalRunes(qr[i+1:], cr[i+1:]) {
			if isNumeral(qr[i]) && isNumeral(cr[i]) {
				return Diff{}, false
			}
			d.Kind, d.From, d.To = Substitute, string(qr[i]), string(cr[i])
			return d, true
		}
		if i+1 < nq && qr[i] == cr[i+1] && qr[i+1] == cr[i] && equalRunes(qr[i+2:], cr[i+2:]) {
			if isNumeral(qr[i]) && isNumeral(qr[i+1]) {
				return Diff{}, false
			}
			d.Kind, d.From, d.To = Transpose, string(qr[i:i+2]), string(cr[i:i+2])
			return d, true
		}
	case nc == nq+1:
		if equalRunes(qr[i:], cr[i+1:]) && !numberEdit(cr, i) {
			d.Kind, d.To = Insert, string(cr[i])
			return d, true
		}
	default:
		if equalRunes(qr[i+1:], cr[i:]) && !numberEdit(qr, i) {
			d.Kind, d.From = Delete, string(qr[i])
			return d, true
		}
	}
	return Diff{}, false
}

func equalRunes(a, b []rune) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// numberEdit: the character at i of s, added or dropped, is part of a
// number (第十一 / 第一).
func numberEdit(s []rune, i int) bool {
	return isNumeral(s[i]) && (i > 0 && (isNumeral(s[i-1]) || s[i-1] == '第') || i+1 < len(s) && isNumeral(s[i+1]))
}

// isNumeral: a digit or a Chinese numeral of an ordinal (第一, 十二).
// 千 and 万 are left out: they start many trade names (万达, 千禧).
func isNumeral(r rune) bool {
	return r >= '0' && r <= '9' || r < 0x10000 && strings.ContainsRune("〇零一二三四五六七八九十百两", r)
}
