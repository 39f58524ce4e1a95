package catalog

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
)

// FieldError says why one field of a row was rejected.
type FieldError struct {
	Field  string `json:"field"`  // the field's key, e.g. subject_uscc
	Code   string `json:"code"`   // its exchange code, e.g. CF_XDR_SHXYM
	Name   string `json:"name"`   // its Chinese name
	Column int    `json:"column"` // 0-based column index; -1 when the file has no such column
	Reason string `json:"reason"` // simplified Chinese; never quotes an ID number
}

func (e FieldError) Error() string { return e.Name + "：" + e.Reason }

// Validate checks one row: values[j] is the cell of column j as cols
// describes it (a short row is padded with empty cells; cells of ignored
// columns are not looked at). today is the day of validation, for the
// not-in-the-future rule; the zero calendar.Date turns that rule off.
//
// Every value is trimmed (white space including U+3000 and NBSP, BOM and
// zero-width characters); a value empty after trimming is missing. On
// success the Record holds the normalized values and errs is nil. When any
// field fails the row is rejected as a whole: the Record is zero and errs
// lists every failing field, in validation order (fields another field's
// rules depend on come first; otherwise the standard's order).
//
// Validate allocates one slice per row for the values, plus what the
// identifier checks allocate; the Kind and Columns may be shared by any
// number of goroutines.
func (k *Kind) Validate(values []string, cols Columns, today calendar.Date) (Record, []FieldError) {
	if cols.kind != k {
		panic("catalog: Validate called with Columns of another kind")
	}
	v, errs := k.run(values, cols, today)
	if errs != nil {
		return Record{}, errs
	}
	return Record{kind: k, vals: v.vals}, nil
}

// run validates a row field by field: v.vals holds the normalized value of
// every valid field, whatever the others.
func (k *Kind) run(values []string, cols Columns, today calendar.Date) (validator, []FieldError) {
	v := validator{k: k, values: values, col: cols.col, today: today, vals: make([]string, len(k.Fields))}
	var errs []FieldError
	for _, i := range k.c.order {
		s := trimValue(v.raw(i))
		r := &k.c.rules[i]
		if s == "" {
			s = k.Fields[i].Default
		}
		if s == "" {
			if k.Fields[i].Required == Always || k.Fields[i].Required == Conditional && v.eval(r.when) {
				reason := r.reqReason
				if v.col[i] < 0 {
					reason += "（文件中没有此列）"
				}
				errs = append(errs, v.fieldError(i, reason))
			}
			continue
		}
		norm, reason := v.check(i, s)
		if reason != "" {
			errs = append(errs, v.fieldError(i, reason))
			continue
		}
		v.vals[i] = norm
	}
	return v, errs
}

// IsBlankRow reports whether every value is empty after trimming; importers
// skip such rows instead of rejecting them.
func IsBlankRow(values []string) bool {
	for _, s := range values {
		if trimValue(s) != "" {
			return false
		}
	}
	return true
}

type validator struct {
	k      *Kind
	values []string
	col    []int // field index → column index, or -1
	today  calendar.Date
	vals   []string // normalized values by field index; "" when missing or invalid
}

func (v *validator) raw(i int) string {
	if j := v.col[i]; j >= 0 && j < len(v.values) {
		return v.values[j]
	}
	return ""
}

func (v *validator) fieldError(i int, reason string) FieldError {
	f := &v.k.Fields[i]
	return FieldError{Field: f.Key, Code: f.Code, Name: f.Name, Column: v.col[i], Reason: reason}
}

// eval evaluates a compiled condition on the row.
func (v *validator) eval(c *cond) bool {
	switch c.op {
	case opPresent:
		return (trimValue(v.raw(c.field)) != "") == c.present
	case opIn, opNotIn:
		val := v.vals[c.field]
		if val == "" {
			return false
		}
		hit := v.k.Fields[c.field].Type == TypeMultiEnum && anyItemIn(val, c.values) ||
			containsString(c.values, val)
		return hit == (c.op == opIn)
	case opAll:
		for _, s := range c.sub {
			if !v.eval(s) {
				return false
			}
		}
		return true
	case opAny:
		for _, s := range c.sub {
			if v.eval(s) {
				return true
			}
		}
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// anyItemIn reports whether one of the items of a normalized multi_enum
// value is in list.
func anyItemIn(val string, list []string) bool {
	for val != "" {
		item, rest := cutItem(val)
		if containsString(list, item) {
			return true
		}
		val = rest
	}
	return false
}

// cutItem splits the first item off a normalized multi_enum value: up to
// the first itemSep outside brackets (an item 其他（…；…） is one item).
func cutItem(val string) (item, rest string) {
	depth := 0
	for i, r := range val {
		switch {
		case r == '(' || r == '（':
			depth++
		case (r == ')' || r == '）') && depth > 0:
			depth--
		case r == '；' && depth == 0:
			return val[:i], val[i+len(itemSep):]
		}
	}
	return val, ""
}

// itemSep joins the items of a normalized multi_enum value.
const itemSep = "；"

// check checks a trimmed, non-empty value of field i and returns its
// normalized form, or a reason.
func (v *validator) check(i int, s string) (string, string) {
	f := &v.k.Fields[i]
	r := &v.k.c.rules[i]
	if len(s) > r.maxLen {
		if n := runeLen(s); n > r.maxLen {
			return "", fmt.Sprintf("长度不能超过%d个字符（实为%d个）", r.maxLen, n)
		}
	}
	switch f.Type {
	case TypeText:
		if reason := checkChars(s); reason != "" {
			return "", reason
		}
		return s, ""
	case TypeEnum, TypeIDType:
		return r.checkEnum(s)
	case TypeMultiEnum:
		return r.checkMulti(s)
	case TypeDate, TypeDateOrLongTerm:
		return v.checkDate(i, s)
	case TypeDecimal:
		return checkDecimal(s, r.scale, f.Unit)
	case TypeUSCC:
		if r.memo != nil && r.categories == nil && r.memo.has(s) {
			return s, ""
		}
		res := code.Check(code.KindUSCC, s)
		switch res.Status {
		case code.StatusValid:
			if r.categories != nil {
				if !slices.Contains(r.categories, s[:2]) {
					return "", r.categoryReason
				}
				return s, ""
			}
			if r.memo != nil {
				r.memo.add(s)
			}
			return s, ""
		case code.StatusPlaceholder:
			if r.placeholderWhen != nil && v.eval(r.placeholderWhen) {
				return s, ""
			}
			return "", r.placeholderReason
		}
		return "", "不是有效的统一社会信用代码：" + res.DetailZH
	case TypeOrgCode:
		res := code.Check(code.KindOrg, s)
		if res.Status != code.StatusValid {
			return "", "不是有效的组织机构代码：" + res.DetailZH
		}
		if len(s) == 10 { // XXXXXXXX-X
			return s[:8] + s[9:], ""
		}
		return s, ""
	case TypeGS15:
		res := code.Check(code.KindGS15, s)
		if res.Status != code.StatusValid {
			return "", "不是有效的工商注册号：" + res.DetailZH
		}
		return s, ""
	case TypeIDNumber:
		if r.idType >= 0 && v.vals[r.idType] != IDTypeRIC {
			// Another document: free text within max_len.
			if reason := checkChars(s); reason != "" {
				return "", reason
			}
			return s, ""
		}
		if len(s) == 18 && s[17] == 'x' {
			s = s[:17] + "X"
		}
		res := code.Check(code.KindRIC, s)
		if res.Status != code.StatusValid {
			return "", res.PrivateReasonZH()
		}
		return s, ""
	}
	return "", "未知的字段类型"
}

// checkChars rejects bytes that are not UTF-8 (a file read in the wrong
// encoding), control characters other than tab and line breaks, and the
// bidirectional controls credit.BidiReason refuses in every typed text.
// Only free-text values need it: the other types accept nothing but their
// own characters.
func checkChars(s string) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
				return "含有控制字符"
			}
			i++
			continue
		}
		// Fast path for the 3-byte sequences of CJK text: lead bytes
		// E1-EC and EE-EF take any two continuation bytes (but E2 80 and
		// E2 81, where the bidirectional controls are).
		if (c >= 0xE1 && c <= 0xEC || c >= 0xEE) && c <= 0xEF && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 &&
			!(c == 0xE2 && s[i+1] <= 0x81) {
			i += 3
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return "含有无法识别的字符（文件编码可能不是UTF-8或GBK）"
		}
		if credit.IsBidiControl(r) {
			return credit.BidiReason(s[i:])
		}
		i += n
	}
	return ""
}

// trimValue trims white space (Unicode, incl. U+3000 and NBSP), the BOM and
// zero-width characters at both ends.
func trimValue(s string) string {
	i, j := 0, len(s)
	for i < j {
		c := s[i]
		if c < utf8.RuneSelf {
			if !asciiSpace(c) {
				break
			}
			i++
			continue
		}
		// Every trimmed non-ASCII rune starts with one of these bytes.
		if c != 0xC2 && c != 0xE1 && c != 0xE2 && c != 0xE3 && c != 0xEF {
			break
		}
		r, n := utf8.DecodeRuneInString(s[i:j])
		if !isTrimRune(r) {
			break
		}
		i += n
	}
	for j > i {
		c := s[j-1]
		if c < utf8.RuneSelf {
			if !asciiSpace(c) {
				break
			}
			j--
			continue
		}
		// Every trimmed non-ASCII rune ends with one of these bytes.
		if !(c <= 0x8D || c == 0x9F || c == 0xA0 || c == 0xA8 || c == 0xA9 || c == 0xAF || c == 0xBF) {
			break
		}
		r, n := utf8.DecodeLastRuneInString(s[i:j])
		if !isTrimRune(r) {
			break
		}
		j -= n
	}
	return s[i:j]
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// isTrimRune reports whether a non-ASCII rune is trimmed: Unicode white
// space (U+0085, U+00A0, U+1680, U+2000-200A, U+2028, U+2029, U+202F,
// U+205F, U+3000), the BOM and zero-width characters.
func isTrimRune(r rune) bool {
	switch {
	case r < 0x85 || r > 0xFEFF:
		return false
	case r == 0x85 || r == 0xA0 || r == 0x1680 || r == 0x3000 || r == 0xFEFF:
		return true
	case r >= 0x2000 && r <= 0x200D || r == 0x2028 || r == 0x2029 || r == 0x202F || r == 0x205F || r == 0x2060:
		return true
	}
	return false
}

// quote renders a value for a reason, or "" when it must not be repeated:
// values with six or more digits may be a personal ID number typed into
// the wrong column.
func quote(s string) string {
	digits := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits++
		}
	}
	if digits >= 6 {
		return ""
	}
	return "“" + clip(strings.ToValidUTF8(s, "\uFFFD"), 20) + "”"
}

func (r *rule) checkEnum(s string) (string, string) {
	if v, ok := r.enum[s]; ok {
		return v, ""
	}
	if r.otherSpec && isOtherSpec(s) {
		if reason := checkChars(s); reason != "" {
			return "", reason
		}
		return s, ""
	}
	return "", r.enumReason(s)
}

func (r *rule) enumReason(s string) string {
	if r.otherSpec && s == otherWord {
		return "填写“其他”时须注明具体类别，如“其他-备案”"
	}
	what := "填写的值"
	if q := quote(s); q != "" {
		what = q
	}
	hint := "应为" + r.enumHint + "之一"
	if r.otherSpec {
		hint += "，或以“其他-”开头注明具体类别"
	}
	return what + "不是可选的值，" + hint
}

const otherWord = "其他"

// isOtherSpec reports whether s is 其他 followed by a specification:
// 其他-备案, 其他—…, 其他：…, 其他（…）, 其他(…).
func isOtherSpec(s string) bool {
	rest, ok := strings.CutPrefix(s, otherWord)
	if !ok {
		return false
	}
	for _, sep := range []string{"-", "－", "—", "–", ":", "：", "_"} {
		if after, ok := strings.CutPrefix(rest, sep); ok {
			return trimValue(strings.TrimLeft(after, "-－—–")) != ""
		}
	}
	for _, open := range []string{"(", "（"} {
		if after, ok := strings.CutPrefix(rest, open); ok {
			after = strings.TrimSuffix(strings.TrimSuffix(after, ")"), "）")
			return trimValue(after) != ""
		}
	}
	return false
}

// checkMulti parses a multi_enum value: known values (longest first, so
// that 法律、行政法规规定的其他行政处罚 is one item) or 其他-… items,
// separated by ；;、,， (white space around items is ignored). The
// normalized value lists the distinct items in the order given, joined by
// "；".
func (r *rule) checkMulti(s string) (string, string) {
	if v, ok := r.enum[s]; ok && v == s {
		return s, "" // one known item, as it should be written
	}
	var items [maxEnumItems]string
	n := 0
	rest := s
	for {
		rest = skipSeps(rest)
		if rest == "" {
			break
		}
		tok, item := "", ""
		for _, v := range r.enumByLen {
			if strings.HasPrefix(rest, v) && atItemEnd(rest[len(v):]) {
				tok, item = rest[:len(v)], r.enum[v]
				break
			}
		}
		if tok == "" {
			tok = nextItem(rest)
			item = trimValue(tok)
			if !r.otherSpec || !isOtherSpec(item) {
				return "", r.enumReason(item)
			}
			if reason := checkChars(item); reason != "" {
				return "", reason
			}
		}
		rest = rest[len(tok):]
		if containsString(items[:n], item) {
			continue
		}
		if n == len(items) {
			return "", fmt.Sprintf("最多填写%d项", len(items))
		}
		items[n] = item
		n++
	}
	switch {
	case n == 0:
		return "", "没有填写有效的值"
	case n == 1 && items[0] == s:
		return s, ""
	}
	return strings.Join(items[:n], itemSep), ""
}

// isItemSep reports whether r separates items of a multi_enum value.
func isItemSep(r rune) bool {
	return r == '；' || r == ';' || r == '、' || r == ',' || r == '，'
}

func skipSeps(s string) string {
	for s != "" {
		r, n := utf8.DecodeRuneInString(s)
		if !isItemSep(r) && !isTrimRune(r) && !(r < utf8.RuneSelf && asciiSpace(byte(r))) {
			return s
		}
		s = s[n:]
	}
	return s
}

// atItemEnd reports whether a known value ends an item: the rest is empty
// or starts with a separator or white space.
func atItemEnd(rest string) bool {
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return isItemSep(r) || unicode.IsSpace(r)
}

// nextItem returns the text up to the next separator outside brackets.
func nextItem(s string) string {
	depth := 0
	for i, r := range s {
		switch {
		case r == '(' || r == '（':
			depth++
		case (r == ')' || r == '）') && depth > 0:
			depth--
		case depth == 0 && isItemSep(r):
			return s[:i]
		}
	}
	return s
}

func (v *validator) checkDate(i int, s string) (string, string) {
	f := &v.k.Fields[i]
	r := &v.k.c.rules[i]
	d, st := parseDate(s)
	if f.Type == TypeDateOrLongTerm && s == "长期" {
		d, st = LongTerm, dateOK
	}
	switch st {
	case dateFormat:
		return "", "日期格式不正确，应为YYYY-MM-DD或YYYY/MM/DD（如2019-10-10）"
	case dateNoSuchD:
		return "", "“" + clip(s, 20) + "”不是真实存在的日期"
	}
	switch {
	case d.Before(r.minDate):
		return "", "日期早于" + r.minDate.String() + "，不合理"
	case d.After(maxAnyDate):
		return "", "日期晚于2099-12-31（长期请填2099-12-31）"
	case r.notFuture && !v.today.IsZero() && d.After(v.today):
		return "", "不能晚于今天（" + v.today.String() + "）"
	}
	for _, j := range r.notBefore {
		if other := v.vals[j]; other != "" && d.Before(dateValue(other)) {
			return "", "不能早于" + v.k.Fields[j].Name + "（" + other + "）"
		}
	}
	if isCanonicalDate(s) {
		return s, ""
	}
	return d.String(), ""
}

// checkDecimal parses a non-negative decimal: digits, optionally grouped
// by commas in threes (1,234.5), and at most scale decimal places. A
// trailing unit as declared (0.2万元) is tolerated; for 万元 amounts a
// trailing 元 is refused with the converted value as a hint. The
// normalized form has no commas, no leading zeros and no trailing
// fractional zeros ("0,020.50" → "20.5", "5.000" → "5").
func checkDecimal(s string, scale int, unit string) (string, string) {
	t := s
	if unit != "" {
		if x, ok := strings.CutSuffix(t, unit); ok {
			t = trimValue(x)
		}
	}
	bad := func() string {
		if unit == "" {
			return "应为非负数字"
		}
		if unit == "万元" {
			return "应为以万元为单位的非负数字，如0.2（即2000元）"
		}
		return "应为以" + unit + "为单位的非负数字"
	}
	if unit == "万元" {
		if x, ok := strings.CutSuffix(t, "元"); ok {
			if ip, fp, ok := splitDecimal(trimValue(x)); ok {
				return "", "单位是万元，只填数字：" + ip + dotFrac(fp) + "元应填为" + shiftDecimal(ip, fp, 4)
			}
			return "", bad()
		}
	}
	if strings.HasPrefix(t, "-") {
		if _, _, ok := splitDecimal(t[1:]); ok {
			return "", "金额不能为负数"
		}
		return "", bad()
	}
	ip, fp, ok := splitDecimal(t)
	if !ok {
		return "", bad()
	}
	if len(fp) > scale {
		// Trailing zeros do not count as decimal places.
		if len(strings.TrimRight(fp, "0")) > scale {
			if scale == 0 {
				return "", "应为整数"
			}
			return "", fmt.Sprintf("最多保留%d位小数", scale)
		}
	}
	if len(ip) > 12 {
		return "", "数值过大"
	}
	fp = strings.TrimRight(fp, "0")
	// The normal form only ever drops characters of s (a unit, commas,
	// leading or trailing zeros) or adds the 0 of ".5": s is already
	// normal when the lengths agree.
	n := len(ip)
	if fp != "" {
		n += 1 + len(fp)
	}
	if t == s && n == len(s) {
		return s, ""
	}
	return ip + dotFrac(fp), ""
}

// splitDecimal splits an unsigned decimal into its integer digits (without
// grouping commas or leading zeros, "0" at least) and fraction digits.
func splitDecimal(s string) (ip, fp string, ok bool) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if hasDot && (frac == "" || !allDigits(frac)) || whole == "" && !hasDot {
		return "", "", false
	}
	if whole == "" {
		whole = "0"
	}
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		for gi, g := range groups {
			if !allDigits(g) || len(g) > 3 || gi > 0 && len(g) != 3 {
				return "", "", false
			}
		}
		whole = strings.Join(groups, "")
	}
	if !allDigits(whole) {
		return "", "", false
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	return whole, frac, true
}

func dotFrac(fp string) string {
	if fp == "" {
		return ""
	}
	return "." + fp
}

// shiftDecimal divides ip.fp by 10^k and normalizes.
func shiftDecimal(ip, fp string, k int) string {
	for len(ip) <= k {
		ip = "0" + ip
	}
	cut := len(ip) - k
	ip, fp = strings.TrimLeft(ip[:cut], "0"), strings.TrimRight(ip[cut:]+fp, "0")
	if ip == "" {
		ip = "0"
	}
	return ip + dotFrac(fp)
}
