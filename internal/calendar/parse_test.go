package calendar

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	long := "year 2024\n2024-01-01 holiday " + strings.Repeat("元", maxLineSize/3+1) + "\n"
	tests := []struct {
		name  string
		input string
		line  int
		zh    string // substring of DetailZH
		en    string // substring of Detail
	}{
		{"no year", "# c\n2024-01-01 holiday 元旦\n", 2, "日期条目之前缺少“year YYYY”年份行", "needs a \"year YYYY\" line"},
		{"bad year", "year 24\n", 1, "年份行格式应为：year YYYY [来源文件]", "year YYYY"},
		{"bad year letters", "year 二〇二四\n", 1, "年份行格式应为", "year YYYY"},
		{"year range", "year 1800\n1800-01-01 holiday\n", 1, "年份应在1900至2999之间", "between 1900 and 2999"},
		{"dup year", "year 2024\n2024-01-01 holiday\nyear 2024 again\n2024-01-02 holiday\n", 3, "2024年已在第1行出现过", "already given on line 1"},
		{"empty year", "year 2024\nyear 2025\n2025-01-01 holiday\n", 1, "2024年没有任何日期条目", "no date lines"},
		{"empty last year", "year 2025\n2025-01-01 holiday\n\nyear 2026 x\n# nothing\n", 4, "2026年没有任何日期条目", "no date lines"},
		{"date format", "year 2024\n\n# c\n2024/01/01 holiday\n", 4, "日期格式应为YYYY-MM-DD", "YYYY-MM-DD"},
		{"date short", "year 2024\n2024-1-1 holiday\n", 2, "日期格式应为YYYY-MM-DD", "YYYY-MM-DD"},
		{"range format", "year 2024\n2024-10-01...2024-10-07 holiday\n", 2, "日期格式应为YYYY-MM-DD", "YYYY-MM-DD"},
		{"no such date", "year 2023\n2023-02-29 holiday\n", 2, "日期不存在：2023-02-29", "no such date"},
		{"no such date in range", "year 2024\n2024-04-30..2024-04-31 holiday\n", 2, "日期不存在", "no such date"},
		{"reversed", "year 2024\n2024-10-07..2024-10-01 holiday\n", 2, "日期范围的终点早于起点", "ends before it starts"},
		{"too long", "year 2024\n2024-01-01..2024-03-01 holiday\n", 2, "日期范围超过31天", "longer than 31 days"},
		{"missing kind", "year 2024\n2024-01-01\n", 2, "日期后缺少类型", "missing kind"},
		{"bad kind", "year 2024\n2024-01-01 vacation 元旦\n", 2, "类型应为 holiday（放假）或 workday（上班），而不是“vacation”", "not \"vacation\""},
		{"before window", "year 2024\n2023-11-30 holiday\n", 2, "日期不在2024年安排的范围内（2023-12-01至2024-12-31）", "outside the arrangement of year 2024"},
		{"after window", "year 2024\n2024-12-31..2025-01-01 holiday\n", 2, "日期不在2024年安排的范围内", "outside"},
		{"workday on weekday", "year 2024\n2024-10-08 workday\n", 2, "2024-10-08是星期二，调休上班日（workday）只能是星期六或星期日", "2024-10-08 is a Tuesday"},
		{"workday range", "year 2024\n2024-10-12..2024-10-14 上班\n", 2, "2024-10-14是星期一", "Monday"},
		{"contradiction", "year 2024\n2024-10-01..2024-10-07 holiday 国庆节\n2024-10-05 workday\n", 3, "2024-10-05既是放假日又是上班日（与第2行矛盾）", "both a holiday and a workday (see line 2)"},
		{"contradiction reversed", "year 2024\n2024-10-12 workday\n\n2024-10-10..2024-10-12 holiday\n", 4, "2024-10-12既是放假日又是上班日（与第2行矛盾）", "see line 2"},
		{"contradiction across years", "year 2019\n2018-12-29 workday\nyear 2018\n2018-12-29 holiday\n", 4, "2018-12-29既是放假日又是上班日（与第2行矛盾）", "both"},
		{"invalid utf-8", "year 2024\n2024-01-01 holiday \xff\xfe\n", 2, "不是有效的UTF-8文本", "UTF-8"},
		{"gbk", "year 2024\n2024-01-01 holiday \xd4\xaa\xb5\xa9\n", 2, "请将文件保存为UTF-8编码", "UTF-8"},
		{"line too long", long, 2, "该行超过65536字节", "longer than 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseString(tt.input)
			if err == nil {
				t.Fatalf("Parse succeeded: %v", c.Years())
			}
			if c != nil {
				t.Error("Parse returned a calendar with an error")
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			if pe.Line != tt.line || !strings.Contains(pe.DetailZH, tt.zh) || !strings.Contains(pe.Detail, tt.en) {
				t.Errorf("first error = line %d, %q / %q; want line %d, %q / %q", pe.Line, pe.DetailZH, pe.Detail, tt.line, tt.zh, tt.en)
			}
			var pes ParseErrors
			if !errors.As(err, &pes) || len(pes) != 1 {
				t.Errorf("want exactly one error, got %v", err)
			}
		})
	}
}

func TestParseErrorFormat(t *testing.T) {
	_, err := ParseString("year 2024\n2024-01-01 holiday 元旦\n\n\n\n\n\n\n\n\n\n2024.10.01 holiday\n")
	want := "第12行：日期格式应为YYYY-MM-DD（或YYYY-MM-DD..YYYY-MM-DD） (line 12: date must be in the form YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
	e := &ParseError{Detail: "read error", DetailZH: "读取失败"}
	if e.Error() != "读取失败 (read error)" {
		t.Errorf("line-less error = %q", e.Error())
	}
}

func TestParseManyErrors(t *testing.T) {
	// All problems are reported, in line order, each with its line.
	in := "year 2024\n2024-13-01 holiday\n2024-01-01 holiday 元旦\n2024-01-02 workday\nyear 20x5\n2025-01-01 holiday\nyear 2026\n"
	_, err := ParseString(in)
	var pes ParseErrors
	if !errors.As(err, &pes) {
		t.Fatalf("error %v", err)
	}
	var lines []int
	for _, e := range pes {
		lines = append(lines, e.Line)
	}
	// Line 6 follows the invalid year line 5 and is not reported again.
	if want := []int{2, 4, 5, 7}; !equalInts(lines, want) {
		t.Errorf("error lines = %v; want %v\n%v", lines, want, err)
	}
	if n := strings.Count(err.Error(), "\n"); n != 3 {
		t.Errorf("Error() has %d newlines:\n%v", n, err)
	}

	// More than 50 problems: 50 are listed, then a note.
	var b strings.Builder
	b.WriteString("year 2024\n")
	for range 200 {
		b.WriteString("bad line\n")
	}
	_, err = ParseString(b.String())
	if !errors.As(err, &pes) || len(pes) != maxErrors+1 || pes[maxErrors].DetailZH != "错误过多，其余未列出" || pes[maxErrors-1].Line != maxErrors+1 {
		t.Errorf("many errors: %d reported, last %v", len(pes), pes[len(pes)-1])
	}
}

func equalInts(a, b []int) bool {
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

func TestParseAccepts(t *testing.T) {
	in := "\uFEFF# 管理员文件\r\n" +
		"  YEAR 2027\t国务院办公厅关于2027年部分节假日安排的通知（示例）  \r\n" +
		"\t2027-01-01 放假 元旦\r\n" +
		"2027-02-05..2027-02-11　holiday　春节 （全角空格）\r\n" + // U+3000 separators
		"2027-02-07 holiday 春节\r\n" + // same date, same kind: accepted, first name kept
		"2027-02-13..2027-02-14 上班 春节调休\r\n" +
		"   # indented comment\r\n" +
		"2026-12-31 holiday 元旦\r\n" + // December of the year before
		"2027-10-01 holiday\r\n" // no name
	c, err := ParseString(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Years(); len(got) != 1 || got[0] != 2027 {
		t.Fatalf("Years() = %v", got)
	}
	if src, _ := c.Source(2027); src != "国务院办公厅关于2027年部分节假日安排的通知（示例）" {
		t.Errorf("Source = %q", src)
	}
	tests := []struct {
		date string
		kind Kind
		name string
	}{
		{"2027-01-01", Holiday, "元旦"},
		{"2027-02-07", Holiday, "春节 （全角空格）"},
		{"2027-02-13", Workday, "春节调休"},
		{"2027-02-14", Workday, "春节调休"},
		{"2026-12-31", Holiday, "元旦"},
		{"2027-10-01", Holiday, ""},
		{"2027-10-02", Ordinary, ""},
	}
	for _, tt := range tests {
		if k, name := c.Lookup(MustParseDate(tt.date)); k != tt.kind || name != tt.name {
			t.Errorf("Lookup(%s) = %v, %q; want %v, %q", tt.date, k, name, tt.kind, tt.name)
		}
	}
	if !c.IsWorkingDay(MustParseDate("2027-02-13")) || c.IsWorkingDay(MustParseDate("2027-02-08")) {
		t.Error("IsWorkingDay wrong")
	}

	for _, empty := range []string{"", "\n\n# only comments\n", "\uFEFF"} {
		c, err := ParseString(empty)
		if err != nil || len(c.Years()) != 0 || !c.IsWorkingDay(MustParseDate("2024-10-01")) {
			t.Errorf("ParseString(%q) = %v, %v", empty, c, err)
		}
	}
}

// TestEmbeddedData checks that the embedded file parses and round-trips.
func TestEmbeddedData(t *testing.T) {
	c, err := ParseString(defaultData)
	if err != nil {
		t.Fatalf("holidays.txt: %v", err)
	}
	assertRoundTrip(t, c)
}

// assertRoundTrip checks that WriteTo's output parses back to the same
// calendar.
func assertRoundTrip(t *testing.T, c *Calendar) {
	t.Helper()
	var b strings.Builder
	n, err := c.WriteTo(&b)
	if err != nil || n != int64(b.Len()) {
		t.Fatalf("WriteTo = %d, %v", n, err)
	}
	d, err := ParseString(b.String())
	if err != nil {
		t.Fatalf("WriteTo output does not parse: %v\n%s", err, b.String())
	}
	if !equalInts(c.Years(), d.Years()) {
		t.Fatalf("round trip years %v -> %v", c.Years(), d.Years())
	}
	for _, y := range c.Years() {
		s1, _ := c.Source(y)
		s2, _ := d.Source(y)
		if s1 != s2 {
			t.Errorf("round trip source %q -> %q", s1, s2)
		}
	}
	if len(c.segs) != len(d.segs) {
		t.Fatalf("round trip: %d segments -> %d", len(c.segs), len(d.segs))
	}
	for i, s := range c.segs {
		e := d.segs[i]
		if s.first != e.first || s.base != e.base || !slices.Equal(s.kinds, e.kinds) || !slices.Equal(s.corr, e.corr) {
			t.Fatalf("round trip: segment %d differs", i)
		}
	}
	if !maps.Equal(c.names, d.names) {
		t.Fatalf("round trip: names differ")
	}
	var b2 strings.Builder
	d.WriteTo(&b2)
	if b2.String() != b.String() {
		t.Errorf("WriteTo is not stable:\n%s\n---\n%s", b.String(), b2.String())
	}
}

func TestWriteTo(t *testing.T) {
	c, err := ParseString("year 2024 src\n2024-10-03 holiday 国庆节\n2024-10-01..2024-10-02 holiday 国庆节\n2024-10-04 holiday 其他\n2024-09-29 workday\n" +
		"2024-01-01..2024-01-31 holiday a\n2024-02-01 holiday a\nyear 2019\n2018-12-29 workday 元旦调休\n")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	c.WriteTo(&b)
	want := "year 2019\n2018-12-29 workday 元旦调休\n\n" +
		"year 2024 src\n2024-01-01..2024-01-31 holiday a\n2024-02-01 holiday a\n2024-09-29 workday\n2024-10-01..2024-10-03 holiday 国庆节\n2024-10-04 holiday 其他\n"
	if b.String() != want {
		t.Errorf("WriteTo:\n%s\nwant:\n%s", b.String(), want)
	}
	assertRoundTrip(t, c)
	var nilCal *Calendar
	if n, err := nilCal.WriteTo(&b); n != 0 || err != nil {
		t.Error("nil WriteTo wrote something")
	}
}
