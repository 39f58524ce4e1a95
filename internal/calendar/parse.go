package calendar

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the file format.
const (
	minYear     = 1900
	maxYear     = 2999
	maxRange    = 31 // days in one "from..to" range
	maxErrors   = 50 // problems reported by one Parse
	maxLineSize = 64 * 1024
)

// ParseError is one problem found by Parse, with the reason in English and in
// simplified Chinese.
type ParseError struct {
	Line     int    // 1-based line number; 0 for a problem of the whole input
	Detail   string // the reason, in English
	DetailZH string // the reason, in simplified Chinese
}

// Error returns, for example,
// "第12行：日期格式应为YYYY-MM-DD (line 12: date must be in the form YYYY-MM-DD)".
func (e *ParseError) Error() string {
	if e.Line <= 0 {
		return e.DetailZH + " (" + e.Detail + ")"
	}
	return fmt.Sprintf("第%d行：%s (line %d: %s)", e.Line, e.DetailZH, e.Line, e.Detail)
}

// ParseErrors is the error returned by Parse: every problem found (at most
// 50), in line order. errors.As(err, &pe) with pe a *ParseError finds the
// first.
type ParseErrors []*ParseError

// Error returns the problems, one per line.
func (es ParseErrors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap returns the problems.
func (es ParseErrors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// ParseString is Parse on a string.
func ParseString(s string) (*Calendar, error) { return Parse(strings.NewReader(s)) }

// Parse reads holiday arrangements in the text format described in the
// package documentation. It reports every problem it finds (up to 50) as a
// ParseErrors, each with its line number; the calendar is returned only when
// there is none. An input without any year is a valid, empty calendar.
func Parse(r io.Reader) (*Calendar, error) {
	p := parser{
		years: make(map[int]*yearData),
		marks: make(map[int]*[windowDays]mark),
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLineSize)
	for sc.Scan() {
		p.line++
		if p.full() {
			break
		}
		text := sc.Text()
		if p.line == 1 {
			text = strings.TrimPrefix(text, "\uFEFF") // a byte order mark, as Windows editors write
		}
		p.parseLine(text)
	}
	if err := sc.Err(); err != nil && !p.full() {
		if errors.Is(err, bufio.ErrTooLong) {
			p.noteLine()
			p.errorf(p.line+1, fmt.Sprintf("line longer than %d bytes", maxLineSize), fmt.Sprintf("该行超过%d字节", maxLineSize))
		} else {
			p.errs = append(p.errs, &ParseError{0, "read error: " + err.Error(), "读取失败：" + err.Error()})
		}
	}
	p.endYear()
	if len(p.errs) > 0 {
		slices.SortStableFunc(p.errs, func(a, b *ParseError) int { return a.Line - b.Line })
		if len(p.errs) > maxErrors {
			p.errs = append(p.errs[:maxErrors], &ParseError{0, "too many errors; the rest are not listed", "错误过多，其余未列出"})
		}
		return nil, p.errs
	}
	c := &Calendar{years: p.years}
	c.build()
	return c, nil
}

type parser struct {
	line    int
	years   map[int]*yearData
	cur     *yearData                 // the year being read; nil after an invalid year line
	sawYear bool                      // whether any year line, valid or not, was seen
	marks   map[int]*[windowDays]mark // per year, the dates given so far
	errs    ParseErrors
}

// windowDays is the number of days a year's arrangement may concern: from
// December 1 of the year before to December 31.
const windowDays = 31 + 366

func windowStart(year int) int64 { return Date{year - 1, time.December, 1}.days() }

// mark is a date given in a year's arrangement: its kind (Ordinary when the
// date was not given) and the line.
type mark struct {
	kind Kind
	line int32
}

// markOf returns the mark of day z in year's arrangement, if any.
func (p *parser) markOf(year int, z int64) mark {
	m := p.marks[year]
	if m == nil {
		return mark{}
	}
	if i := z - windowStart(year); i >= 0 && i < windowDays {
		return m[i]
	}
	return mark{}
}

func (p *parser) full() bool { return len(p.errs) > maxErrors }

func (p *parser) errorf(line int, en, zh string) {
	p.errs = append(p.errs, &ParseError{line, en, zh})
}

// noteLine counts an unreadable line as part of the year being read, so
// that the year is not also reported as empty.
func (p *parser) noteLine() {
	if p.cur != nil {
		p.cur.entries++
	}
}

// endYear checks the year being read, if any.
func (p *parser) endYear() {
	if p.cur != nil && p.cur.entries == 0 {
		p.errorf(p.cur.line, fmt.Sprintf("year %d has no date lines", p.cur.year), fmt.Sprintf("%d年没有任何日期条目", p.cur.year))
	}
}

// cut splits s at its first run of white space (including U+3000, the
// full-width space).
func cut(s string) (first, rest string) {
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

func (p *parser) parseLine(text string) {
	if !utf8.ValidString(text) {
		p.noteLine()
		p.errorf(p.line, "not valid UTF-8 text (save the file as UTF-8)", "不是有效的UTF-8文本（请将文件保存为UTF-8编码）")
		return
	}
	text = strings.TrimSpace(text)
	if text == "" || strings.HasPrefix(text, "#") {
		return
	}
	first, rest := cut(text)
	if strings.EqualFold(first, "year") {
		p.parseYear(rest)
		return
	}
	p.parseEntry(first, rest)
}

// parseYear handles "year YYYY [source]".
func (p *parser) parseYear(rest string) {
	p.endYear()
	p.cur, p.sawYear = nil, true
	ys, source := cut(rest)
	y, ok := digits(ys)
	if len(ys) != 4 || !ok {
		p.errorf(p.line, "a year line must be: year YYYY [source]", "年份行格式应为：year YYYY [来源文件]")
		return
	}
	if y < minYear || y > maxYear {
		p.errorf(p.line, fmt.Sprintf("year must be between %d and %d", minYear, maxYear), fmt.Sprintf("年份应在%d至%d之间", minYear, maxYear))
		return
	}
	if prev, dup := p.years[y]; dup {
		p.errorf(p.line, fmt.Sprintf("year %d is already given on line %d", y, prev.line), fmt.Sprintf("%d年已在第%d行出现过", y, prev.line))
		return
	}
	p.cur = &yearData{year: y, source: source, line: p.line}
	p.marks[y] = new([windowDays]mark)
	p.years[y] = p.cur
}

// parseEntry handles "DATE[..DATE] KIND [name]".
func (p *parser) parseEntry(spec, rest string) {
	if p.cur == nil {
		if !p.sawYear {
			p.errorf(p.line, `a date line needs a "year YYYY" line before it`, "日期条目之前缺少“year YYYY”年份行")
		}
		// Otherwise the year line above was invalid and has been reported.
		return
	}
	p.cur.entries++
	word, name := cut(rest)
	from, to, ok := p.parseSpec(spec)
	if !ok {
		return
	}
	var kind Kind
	switch strings.ToLower(word) {
	case "holiday", "放假":
		kind = Holiday
	case "workday", "上班":
		kind = Workday
	case "":
		p.errorf(p.line, "missing kind after the date: holiday or workday", "日期后缺少类型：holiday（放假）或 workday（上班）")
		return
	default:
		p.errorf(p.line, fmt.Sprintf("kind must be holiday or workday, not %q", word), fmt.Sprintf("类型应为 holiday（放假）或 workday（上班），而不是“%s”", word))
		return
	}
	y := p.cur.year
	lo, hi := windowStart(y), Date{y, time.December, 31}.days()
	if from < lo || to > hi {
		p.errorf(p.line,
			fmt.Sprintf("date outside the arrangement of year %d (%d-12-01 to %d-12-31)", y, y-1, y),
			fmt.Sprintf("日期不在%d年安排的范围内（%d-12-01至%d-12-31）", y, y-1, y))
		return
	}
	if kind == Workday {
		for z := from; z <= to; z++ {
			if !isWeekendDay(z) {
				d := fromDays(z)
				p.errorf(p.line,
					fmt.Sprintf("%s is a %s; a make-up workday must be a Saturday or Sunday", d, d.Weekday()),
					fmt.Sprintf("%s是%s，调休上班日（workday）只能是星期六或星期日", d, weekdayZH[d.Weekday()]))
				return
			}
		}
	}
	// A date may be given by this year and by the year before or after
	// (December dates); it must not be contradicted by any of them.
	for z := from; z <= to; z++ {
		for _, yy := range [...]int{y, y - 1, y + 1} {
			if m := p.markOf(yy, z); m.kind != Ordinary && m.kind != kind {
				d := fromDays(z)
				p.errorf(p.line,
					fmt.Sprintf("%s is both a holiday and a workday (see line %d)", d, m.line),
					fmt.Sprintf("%s既是放假日又是上班日（与第%d行矛盾）", d, m.line))
				return
			}
		}
	}
	marks := p.marks[y]
	for z := from; z <= to; z++ {
		if marks[z-lo].kind != Ordinary {
			continue // the same date twice in one year with the same kind: keep the first
		}
		marks[z-lo] = mark{kind, int32(p.line)}
		p.cur.days = append(p.cur.days, entry{day: z, kind: kind, name: name})
	}
}

// parseSpec parses "YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD" into day numbers.
func (p *parser) parseSpec(spec string) (from, to int64, ok bool) {
	a, b, isRange := strings.Cut(spec, "..")
	da, err := parseDate(a)
	if err == nil && isRange {
		var db Date
		db, err = parseDate(b)
		if err == nil {
			from, to = da.days(), db.days()
			switch {
			case to < from:
				p.errorf(p.line, "range ends before it starts", "日期范围的终点早于起点")
				return 0, 0, false
			case to-from >= maxRange:
				p.errorf(p.line, fmt.Sprintf("range longer than %d days", maxRange), fmt.Sprintf("日期范围超过%d天", maxRange))
				return 0, 0, false
			}
			return from, to, true
		}
	}
	switch {
	case err == errDateValue:
		p.errorf(p.line, "no such date: "+spec, "日期不存在："+spec)
	case err != nil:
		p.errorf(p.line, "date must be in the form YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD", "日期格式应为YYYY-MM-DD（或YYYY-MM-DD..YYYY-MM-DD）")
	default:
		return da.days(), da.days(), true
	}
	return 0, 0, false
}

var weekdayZH = [...]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}

// WriteTo writes c in the text format read by Parse (without comments),
// consecutive dates of the same kind and name written as one range. Parse
// reads the output back into an equal calendar.
func (c *Calendar) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	if c != nil {
		for i, y := range slices.Sorted(maps.Keys(c.years)) {
			yd := c.years[y]
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString("year " + itoa4(y))
			if yd.source != "" {
				b.WriteString(" " + yd.source)
			}
			b.WriteByte('\n')
			days := slices.Clone(yd.days)
			slices.SortStableFunc(days, func(a, b entry) int { return int(a.day - b.day) })
			for j := 0; j < len(days); {
				k := j + 1
				for k < len(days) && k-j < maxRange && days[k].day == days[k-1].day+1 &&
					days[k].kind == days[j].kind && days[k].name == days[j].name {
					k++
				}
				b.WriteString(fromDays(days[j].day).String())
				if k-1 > j {
					b.WriteString(".." + fromDays(days[k-1].day).String())
				}
				b.WriteString(" " + days[j].kind.String())
				if days[j].name != "" {
					b.WriteString(" " + days[j].name)
				}
				b.WriteByte('\n')
				j = k
			}
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func itoa4(y int) string { return fmt.Sprintf("%04d", y) }
