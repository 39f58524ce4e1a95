package match

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/search"
)

// variants are variant characters (异体字) seen in names written in
// traditional script that search.Fold leaves alone, because Unihan's
// kSimplifiedVariant does not list them: the 1955 variant table merged them
// rather than simplifying them (遊 → 游, 週 → 周), Fold keeps them on
// purpose as they are also standard characters in other words (夥, 徵,
// 復), or the table maps them to a rare form (諮 → 谘, 託 → 讬). In firm
// names they nearly always mean the common form (合夥企業, 徵信, 復興, 旅遊,
// 諮詢, 委託), so matching folds them further. The index is not changed:
// the store looks names up by the bigrams of Normalize's core, which are
// folded this way too.
var variants = strings.NewReplacer(
	"夥", "伙", "徵", "征", "復", "复", "遊", "游", "谘", "咨", "裡", "里",
	"菸", "烟", "綫", "线", "峯", "峰", "羣", "群", "衆", "众", "麪", "面",
	"牀", "床", "週", "周", "佔", "占", "讬", "托", "蹟", "迹", "甦", "苏",
)

const variantRunes = "夥徵復遊谘裡菸綫峯羣衆麪牀週佔讬蹟甦"

// fold is search.Fold followed by the variants.
func fold(s string) string {
	f := search.Fold(s)
	for _, r := range f {
		if r >= 0x4E00 && strings.ContainsRune(variantRunes, r) {
			return variants.Replace(f)
		}
	}
	return f
}

// Parts is a name taken apart for matching. All strings are folded
// (search.Fold, then the variants above).
type Parts struct {
	Folded    string   // the whole name
	Place     string   // the place the name starts with (陕西省西安市, 西安) or carries in brackets; "" when none
	PlaceCode string   // its division code prefix (61, 6101, 610113)
	Core      string   // what is left: trade name and line of business (华信电子科技)
	Forms     []string // organisational forms stripped from the end, in name order (店, 有限公司)
	Branch    string   // the branch part (雁塔分公司); "" for a head office
	Notes     []string // bracketed annotations dropped (有限合伙, 个体工商户)
}

// Suffixes lists what was stripped after the core, in name order: forms,
// then the branch, then bracketed annotations.
func (p Parts) Suffixes() []string {
	out := slices.Clone(p.Forms)
	if p.Branch != "" {
		out = append(out, p.Branch)
	}
	return append(out, p.Notes...)
}

// Stripped lists everything stripped, the place first.
func (p Parts) Stripped() []string {
	var out []string
	if p.Place != "" {
		out = append(out, p.Place)
	}
	return append(out, p.Suffixes()...)
}

// Normalize folds a name (search.Fold, and a few variant characters it
// leaves, see variants) and strips a leading place name
// (陕西省, 西安市, 西安, 碑林区 …, see places.go) and the organisational
// forms at its end (有限公司, 分公司, 店, …, and bracketed annotations such
// as （有限合伙）). It returns the core and the stripped suffixes, in name
// order; Parse gives the place as well. Stripping never leaves a core of
// fewer than two characters: "西安公司" keeps 西安 as its core.
func Normalize(name string) (core string, suffixes []string) {
	p := Parse(name)
	return p.Core, p.Suffixes()
}

// formClass groups the organisational forms that mean the same thing.
type formClass uint8

const (
	formNone    formClass = iota
	formLtd               // 有限公司, 有限责任公司
	formJoint             // 股份有限公司
	formCompany           // 公司, 总公司 (an old state or collective enterprise)
	formGroup             // 集团…: a group parent, a subject of its own
	formPartnership
	formSoleProp
	formCoop
	formCoopUnion
	formOffice
	formCenter
	formFactory
	formShop
	formTrader
	formDept
	formStudio
)

// forms are the organisational forms stripped from the end of a name,
// longest first so that 集团有限公司 wins over 有限公司.
var forms = sortLongestFirst([]formEntry{
	{"集团股份有限公司", formGroup}, {"集团有限责任公司", formGroup}, {"集团有限公司", formGroup},
	{"集团公司", formGroup}, {"集团", formGroup},
	{"股份有限公司", formJoint}, {"股份公司", formJoint},
	{"有限责任公司", formLtd}, {"有限公司", formLtd},
	{"总公司", formCompany}, {"公司", formCompany},
	{"合伙企业", formPartnership}, {"个人独资企业", formSoleProp},
	{"农民专业合作社", formCoop}, {"专业合作社", formCoop}, {"股份经济合作社", formCoop},
	{"经济合作社", formCoop}, {"合作社", formCoop}, {"联合社", formCoopUnion},
	{"事务所", formOffice}, {"中心", formCenter}, {"厂", formFactory}, {"店", formShop},
	{"商行", formTrader}, {"经营部", formDept}, {"门市部", formDept}, {"工作室", formStudio},
})

type formEntry struct {
	text  string
	class formClass
}

func sortLongestFirst(fs []formEntry) []formEntry {
	slices.SortStableFunc(fs, func(a, b formEntry) int {
		return utf8.RuneCountInString(b.text) - utf8.RuneCountInString(a.text)
	})
	return fs
}

func classOf(form string) formClass {
	for _, f := range forms {
		if f.text == form {
			return f.class
		}
	}
	return formNone
}

// compatibleForms are different forms of what may be one subject: a
// limited company converted into a joint-stock one keeps its code and
// its name but for the form.
func compatibleForms(a, b formClass) bool {
	ok := func(c formClass) bool { return c == formLtd || c == formJoint || c == formCompany }
	return a != b && ok(a) && ok(b)
}

// branchMarkers end the name of a branch (分支机构), which is a subject of
// its own: never the same subject as its head office or another branch.
var branchMarkers = []string{
	"分公司", "分中心", "分理处", "营业部", "营业所", "办事处", "代表处",
	"分店", "分厂", "分行", "支行", "分部", "分社", "分所", "分院", "分局", "分校", "分会",
}

// parentEnds are the words a head office's name ends with, so that in
// 华信电子科技有限公司雁塔分公司 the branch is 雁塔分公司.
var parentEnds = func() []string {
	out := []string{"局", "银行", "院", "校", "会", "所", "社", "行"}
	for _, f := range forms {
		out = append(out, f.text)
	}
	return out
}()

// partnershipNotes are the kinds of partnership written in brackets; two
// different ones cannot be one subject.
var partnershipNotes = []string{"有限合伙", "普通合伙", "特殊普通合伙"}

// notes are the bracketed annotations dropped from a name.
var notes = append([]string{
	"个体工商户", "个体", "个人独资", "非法人", "分支机构", "非公司私营企业",
	"集体所有制", "全民所有制", "国有独资", "外商独资", "中外合资", "中外合作",
}, partnershipNotes...)

// Parse takes a name apart; see Normalize.
func Parse(name string) Parts {
	var p Parts
	p.Folded = fold(name)
	rest, bracketPlace, bracketCode := name, "", ""
	if hasOpenBracket(name) {
		rest, bracketPlace, bracketCode, p.Notes = dropBrackets(name)
	}
	f := p.Folded
	if rest != name {
		f = fold(rest)
	}

	// The branch part, then the forms, from the end.
	for _, m := range branchMarkers {
		rem, ok := strings.CutSuffix(f, m)
		if !ok || !hasRunes(rem, 2) {
			continue
		}
		end := 0
		for _, t := range parentEnds {
			if i := strings.LastIndex(rem, t); i >= 0 && i+len(t) > end && hasRunes(rem[:i+len(t)], 2) {
				end = i + len(t)
			}
		}
		if end == 0 {
			end = len(rem)
		}
		p.Branch, f = rem[end:]+m, rem[:end]
		break
	}
	for {
		stripped := false
		for _, fe := range forms {
			rem, ok := strings.CutSuffix(f, fe.text)
			if ok && hasRunes(rem, 2) {
				p.Forms = append(p.Forms, fe.text)
				f, stripped = rem, true
				break
			}
		}
		if !stripped {
			break
		}
	}
	slices.Reverse(p.Forms)

	// Leading places, each inside the one before (陕西省西安市雁塔区); a
	// place that is not (西安永寿…) is part of the core.
	start := f
	for {
		name, code := leadingPlace(f)
		if name == "" || !hasRunes(f[len(name):], 2) ||
			p.PlaceCode != "" && !(len(code) > len(p.PlaceCode) && strings.HasPrefix(code, p.PlaceCode)) {
			break
		}
		p.PlaceCode, f = code, f[len(name):]
	}
	p.Place = start[:len(start)-len(f)]
	if bracketCode != "" && (p.PlaceCode == "" || len(bracketCode) > len(p.PlaceCode) && strings.HasPrefix(bracketCode, p.PlaceCode)) {
		if p.Place != "" {
			p.Place += "（" + bracketPlace + "）"
		} else {
			p.Place = bracketPlace
		}
		p.PlaceCode = bracketCode
	}
	p.Core = f
	return p
}

func hasOpenBracket(s string) bool {
	for _, r := range s {
		switch r {
		case '(', '（', '[', '［', '【', '〔', '〖':
			return true
		}
	}
	return false
}

// dropBrackets removes the bracketed parts of a name that are a place
// (华信（西安）电子) or an annotation (（有限合伙）); other bracketed text
// stays, without its brackets. It returns the first place and its code.
// Brackets pair innermost first; unpaired ones are left to Fold, which
// drops them. One pass, so that no input makes it slow.
func dropBrackets(name string) (rest, place, code string, dropped []string) {
	var b strings.Builder
	last, open := 0, -1 // name[:last] is handled; open is the latest unpaired open bracket
	for i, r := range name {
		switch r {
		case '(', '（', '[', '［', '【', '〔', '〖':
			open = i
		case ')', '）', ']', '］', '】', '〕', '〗':
			if open < 0 {
				continue
			}
			_, n := utf8.DecodeRuneInString(name[open:])
			inner := name[open+n : i]
			b.WriteString(name[last:open])
			switch content := fold(inner); {
			case content == "":
			case placeCode(content) != "":
				if code == "" {
					place, code = content, placeCode(content)
				}
			case slices.Contains(notes, content):
				dropped = append(dropped, content)
			default:
				b.WriteString(inner)
			}
			last, open = i+utf8.RuneLen(r), -1
		}
	}
	b.WriteString(name[last:])
	return b.String(), place, code, dropped
}

// hasRunes reports whether s has at least n runes, looking at no more.
func hasRunes(s string, n int) bool {
	for i := 0; i < n; i++ {
		if s == "" {
			return false
		}
		_, size := utf8.DecodeRuneInString(s)
		s = s[size:]
	}
	return true
}
