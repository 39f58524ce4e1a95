package catalog

import (
	"fmt"
	"strings"
	"unicode"
)

// Columns maps the columns of a file (or the keys of a JSON object, in
// the order the values will be passed) to a kind's fields. It is made by
// MatchHeader or StandardColumns and is read-only afterwards, so one
// Columns may serve many goroutines.
type Columns struct {
	kind *Kind
	col  []int // per field index: the column index, or -1
	// Ignored are the indexes of columns that match no field (their
	// values are ignored), including columns with an empty header.
	Ignored []int
	// Warnings say, in Chinese, what was ignored or is missing but not
	// fatal: unknown columns, and absent columns of conditional fields.
	Warnings []string
}

// Kind returns the kind the columns were matched for.
func (c Columns) Kind() *Kind { return c.kind }

// Column returns the column index of the field with the given key, or -1
// when the file has no such column or the key is unknown.
func (c Columns) Column(key string) int {
	if c.kind == nil {
		return -1
	}
	if i, ok := c.kind.c.index[key]; ok {
		return c.col[i]
	}
	return -1
}

// HeaderError says why a header cannot be used for a kind.
type HeaderError struct {
	Kind       string      // kind code
	Missing    []string    // keys of always-required fields without a column, in field order
	Duplicates []Duplicate // fields matched by more than one column
	msg        string
}

// Duplicate is a field matched by two columns.
type Duplicate struct {
	Field   string    // key
	Columns [2]int    // column indexes, 0-based
	Headers [2]string // the headers as written
}

func (e *HeaderError) Error() string { return e.msg }

// StandardColumns maps column i to the kind's i-th field: values given in
// the standard's order, as Record.Values returns them.
func (k *Kind) StandardColumns() Columns {
	c := Columns{kind: k, col: make([]int, len(k.Fields))}
	for i := range c.col {
		c.col[i] = i
	}
	return c
}

// MatchHeader maps each column of header to a field of k. A cell matches a
// field when, after normalization, it equals the field's Chinese name, its
// exchange code, its key or one of its aliases. Normalization drops a BOM
// and zero-width characters, all white space (also U+3000 and NBSP),
// underscores, '*' and markers such as (必填) / （选填） / 【必填】; folds
// full-width ASCII to half-width (（）→(), ＿→_); and upper-cases Latin
// letters, so that "cf_xdr_mc", "*行政相对人名称" and
// "行政相对人代码_1（统一社会信用代码）" all match.
//
// Unknown columns are ignored and listed in Ignored and Warnings. The
// error is a *HeaderError when a field required in every row has no column
// ("缺少必填列：行政处罚决定书文号、处罚类别") or a field is matched by two
// columns.
func (k *Kind) MatchHeader(header []string) (Columns, error) {
	if k.c == nil {
		return Columns{}, fmt.Errorf("信息类别“%s”未经LoadKind载入", k.Code)
	}
	c := Columns{kind: k, col: make([]int, len(k.Fields))}
	for i := range c.col {
		c.col[i] = -1
	}
	e := &HeaderError{Kind: k.Code}
	for j, h := range header {
		n := normHeader(h)
		i, ok := k.c.header[n]
		if !ok {
			c.Ignored = append(c.Ignored, j)
			if n != "" {
				c.Warnings = append(c.Warnings, fmt.Sprintf("第%d列“%s”不是%s的字段，已忽略", j+1, clip(strings.ToValidUTF8(trimValue(h), "\uFFFD"), 40), k.Name))
			}
			continue
		}
		if first := c.col[i]; first >= 0 {
			e.Duplicates = append(e.Duplicates, Duplicate{Field: k.Fields[i].Key, Columns: [2]int{first, j}, Headers: [2]string{header[first], h}})
			continue
		}
		c.col[i] = j
	}
	var missing, missingCond []string
	for i := range k.Fields {
		if c.col[i] >= 0 {
			continue
		}
		switch k.Fields[i].Required {
		case Always:
			e.Missing = append(e.Missing, k.Fields[i].Key)
			missing = append(missing, k.Fields[i].Name)
		case Conditional:
			missingCond = append(missingCond, k.Fields[i].Name)
		}
	}
	var msgs []string
	if len(missing) > 0 {
		msgs = append(msgs, "缺少必填列："+strings.Join(missing, "、"))
	}
	for _, d := range e.Duplicates {
		f, _ := k.Field(d.Field)
		msgs = append(msgs, fmt.Sprintf("第%d列“%s”和第%d列“%s”都对应字段“%s”",
			d.Columns[0]+1, clip(strings.ToValidUTF8(trimValue(d.Headers[0]), "\uFFFD"), 40),
			d.Columns[1]+1, clip(strings.ToValidUTF8(trimValue(d.Headers[1]), "\uFFFD"), 40), f.Name))
	}
	if len(msgs) > 0 {
		e.msg = strings.Join(msgs, "；")
		return Columns{}, e
	}
	if len(missingCond) > 0 {
		c.Warnings = append(c.Warnings, "缺少条件必填列："+strings.Join(missingCond, "、")+"，需要这些字段的行将被退回")
	}
	return c, nil
}

// headerMarkers are annotations templates add to a header, in normalized
// form (half-width brackets, no spaces).
var headerMarkers = []string{"(必填)", "(必填项)", "(选填)", "(选填项)", "(可选)", "(非必填)", "【必填】", "【选填】", "[必填]", "[选填]"}

// normHeader normalizes a header cell for matching (see MatchHeader).
func normHeader(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\uFEFF' || r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\u2060':
			continue
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFF01 - 0x21
		}
		if unicode.IsSpace(r) || r == '_' || r == '*' {
			continue
		}
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	h := b.String()
	if strings.ContainsAny(h, "(【[") {
		for _, m := range headerMarkers {
			h = strings.ReplaceAll(h, m, "")
		}
	}
	return h
}

// clip shortens s to at most n characters for messages.
func clip(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}
