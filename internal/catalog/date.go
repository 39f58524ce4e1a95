package catalog

import (
	"strconv"
	"time"
)

// Date is a calendar date with no time of day and no time zone, held as the
// integer YYYYMMDD (2019-10-10 is 20191010), so that dates compare with <
// and == and cost nothing to copy. The zero Date means "no date".
//
// Date knows nothing of working days or holidays; it is what a record's
// date fields hold and what Validate compares them with.
type Date int32

// LongTerm is 2099-12-31, which the 790 standard defines as 长期
// (long-term) in end-date fields such as 有效期至.
const LongTerm Date = 20991231

// Bounds of any date in a record. Dates outside them are typing errors
// (0019-10-10, 2109-10-10); a field may set a later lower bound
// (min_date), e.g. 1990-01-01 for decision dates.
const (
	minAnyDate Date = 19000101
	maxAnyDate Date = LongTerm
)

// MakeDate returns the date y-m-d; ok is false when there is no such
// calendar date (2019-02-29) or the year is outside 1..9999.
func MakeDate(y int, m time.Month, d int) (Date, bool) {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return Date(y*10000 + int(m)*100 + d), true
}

// DateOf returns the date of t in t's own location. For "today" at the
// platform use Today, which takes the date in China.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date(y*10000 + int(m)*100 + d)
}

// chinaTime is China Standard Time (UTC+8, no daylight saving).
var chinaTime = time.FixedZone("CST", 8*60*60)

// Today returns the current date in China (UTC+8).
func Today() Date { return DateOf(time.Now().In(chinaTime)) }

// Year, Month and Day return the parts of d.
func (d Date) Year() int          { return int(d) / 10000 }
func (d Date) Month() time.Month  { return time.Month(int(d) / 100 % 100) }
func (d Date) Day() int           { return int(d) % 100 }
func (d Date) IsZero() bool       { return d == 0 }
func (d Date) IsLongTerm() bool   { return d == LongTerm }
func (d Date) Before(e Date) bool { return d < e }

// Time returns midnight UTC of d; the zero Date gives the zero time.
func (d Date) Time() time.Time {
	if d == 0 {
		return time.Time{}
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

// String formats d as YYYY-MM-DD; the zero Date is "".
func (d Date) String() string {
	if d == 0 {
		return ""
	}
	var b [10]byte
	return string(d.appendTo(b[:0]))
}

func (d Date) appendTo(b []byte) []byte {
	y, m, dd := d.Year(), int(d.Month()), d.Day()
	b = append(b, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+dd/10), byte('0'+dd%10))
	return b
}

// ParseDate parses s (already trimmed) in one of the formats Validate
// accepts: YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or YYYY年MM月DD日, where the
// month and day may have one digit (2024/9/5); YYYYMMDD; any of them
// followed by a time of day after a space or 'T' (2019-10-10 00:00:00, as
// spreadsheets export dates), which is ignored. ok is false for anything
// else and for dates that do not exist (2019-02-30).
func ParseDate(s string) (Date, bool) {
	d, st := parseDate(s)
	return d, st == dateOK
}

type dateStatus uint8

const (
	dateOK      dateStatus = iota
	dateFormat             // not in an accepted format
	dateNoSuchD            // right format, but no such calendar date
)

func parseDate(s string) (Date, dateStatus) {
	s = cutTimeOfDay(s)
	if len(s) == 8 && allDigits(s) {
		return makeDateStatus(atoi(s[:4]), atoi(s[4:6]), atoi(s[6:]))
	}
	if len(s) < 8 || !allDigits(s[:4]) {
		return 0, dateFormat
	}
	y := atoi(s[:4])
	rest := s[4:]
	var sep1, sep2 string
	switch rest[0] {
	case '-', '/', '.':
		sep1 = rest[:1]
		sep2 = sep1
	default:
		if len(rest) >= 3 && rest[:3] == "年" {
			sep1, sep2 = "年", "月"
		} else {
			return 0, dateFormat
		}
	}
	rest = rest[len(sep1):]
	m, n := leadingNumber(rest)
	if n == 0 || n > 2 || len(rest) < n+len(sep2) || rest[n:n+len(sep2)] != sep2 {
		return 0, dateFormat
	}
	rest = rest[n+len(sep2):]
	d, n := leadingNumber(rest)
	if n == 0 || n > 2 {
		return 0, dateFormat
	}
	rest = rest[n:]
	if sep1 == "年" && rest == "日" {
		rest = ""
	}
	if rest != "" {
		return 0, dateFormat
	}
	return makeDateStatus(y, m, d)
}

func makeDateStatus(y, m, d int) (Date, dateStatus) {
	if dd, ok := MakeDate(y, time.Month(m), d); ok {
		return dd, dateOK
	}
	return 0, dateNoSuchD
}

// cutTimeOfDay drops a trailing " HH:MM[:SS[.fff]]" or "THH:MM:SS".
func cutTimeOfDay(s string) string {
	for i := 8; i < len(s); i++ {
		if s[i] != ' ' && s[i] != 'T' {
			continue
		}
		t := s[i+1:]
		for len(t) > 0 && t[0] == ' ' {
			t = t[1:]
		}
		if isTimeOfDay(t) {
			return s[:i]
		}
		return s
	}
	return s
}

// isTimeOfDay accepts H:MM, HH:MM, HH:MM:SS and HH:MM:SS.fff with hours
// 0-23 and minutes and seconds 0-59.
func isTimeOfDay(t string) bool {
	h, n := leadingNumber(t)
	if n == 0 || n > 2 || h > 23 || len(t) < n+3 || t[n] != ':' {
		return false
	}
	t = t[n+1:]
	if mi, n := leadingNumber(t); n != 2 || mi > 59 {
		return false
	}
	t = t[2:]
	if t == "" {
		return true
	}
	if t[0] != ':' {
		return false
	}
	t = t[1:]
	if sec, n := leadingNumber(t); n != 2 || sec > 59 {
		return false
	}
	t = t[2:]
	if t == "" {
		return true
	}
	if t[0] != '.' || len(t) == 1 || len(t) > 10 {
		return false
	}
	return allDigits(t[1:])
}

// parseCanonicalDate parses a normalized YYYY-MM-DD value.
func parseCanonicalDate(s string) Date {
	if len(s) != 10 {
		return 0
	}
	return Date(atoi(s[:4])*10000 + atoi(s[5:7])*100 + atoi(s[8:]))
}

func isCanonicalDate(s string) bool {
	return len(s) == 10 && s[4] == '-' && s[7] == '-' && allDigits(s[:4]) && allDigits(s[5:7]) && allDigits(s[8:])
}

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// atoi converts ASCII digits (validated by the caller) to an int.
func atoi(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		v = 10*v + int(s[i]-'0')
	}
	return v
}

// leadingNumber returns the value and length of the run of ASCII digits
// at the start of s (at most 9 digits are read).
func leadingNumber(s string) (int, int) {
	n := 0
	for n < len(s) && n < 9 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return atoi(s[:n]), n
}

// MarshalText formats d as YYYY-MM-DD (empty for the zero Date).
func (d Date) MarshalText() ([]byte, error) {
	if d == 0 {
		return []byte{}, nil
	}
	return d.appendTo(make([]byte, 0, 10)), nil
}

// UnmarshalText parses the formats of ParseDate; empty text is the zero
// Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = 0
		return nil
	}
	v, ok := ParseDate(string(b))
	if !ok {
		return &strconv.NumError{Func: "catalog.ParseDate", Num: string(b), Err: strconv.ErrSyntax}
	}
	*d = v
	return nil
}
