package catalog

import (
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
)

// Dates in records are calendar.Date values: Record.Date and
// Record.DecisionDate return them, Validate takes the day of validation as
// one, and their canonical text YYYY-MM-DD is calendar.Date.String. What is
// specific to the catalogue is here: the long-term sentinel, the bounds of
// record dates and the lenient parsing of dates as users write them.

// LongTerm is 2099-12-31, which the 790 standard defines as 长期
// (long-term) in end-date fields such as 有效期至.
var LongTerm = calendar.Date{Year: 2099, Month: time.December, Day: 31}

// Bounds of any date in a record. Dates outside them are typing errors
// (0019-10-10, 2109-10-10); a field may set a later lower bound
// (min_date), e.g. 1990-01-01 for decision dates.
var (
	minAnyDate = calendar.Date{Year: 1900, Month: time.January, Day: 1}
	maxAnyDate = LongTerm
)

// ParseDate parses s (already trimmed) as users write dates, in one of the
// formats Validate accepts: YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or
// YYYY年MM月DD日, where the month and day may have one digit (2024/9/5);
// YYYYMMDD; any of them followed by a time of day after a space or 'T'
// (2019-10-10 00:00:00, as spreadsheets export dates), which is ignored. ok
// is false for anything else and for dates that do not exist (2019-02-30,
// 0000-01-01). It does not know 长期 (see LongTerm). For the canonical form
// YYYY-MM-DD alone, use calendar.ParseDate.
func ParseDate(s string) (calendar.Date, bool) {
	d, st := parseDate(s)
	return d, st == dateOK
}

// dateStatus is the outcome of parseDate; Validate words its reasons by it.
type dateStatus uint8

const (
	dateOK      dateStatus = iota
	dateFormat             // not in an accepted format
	dateNoSuchD            // right format, but no such calendar date
)

func parseDate(s string) (calendar.Date, dateStatus) {
	s = cutTimeOfDay(s)
	if len(s) == 8 && allDigits(s) {
		return makeDateStatus(atoi(s[:4]), atoi(s[4:6]), atoi(s[6:]))
	}
	if len(s) < 8 || !allDigits(s[:4]) {
		return calendar.Date{}, dateFormat
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
			return calendar.Date{}, dateFormat
		}
	}
	rest = rest[len(sep1):]
	m, n := leadingNumber(rest)
	if n == 0 || n > 2 || len(rest) < n+len(sep2) || rest[n:n+len(sep2)] != sep2 {
		return calendar.Date{}, dateFormat
	}
	rest = rest[n+len(sep2):]
	d, n := leadingNumber(rest)
	if n == 0 || n > 2 {
		return calendar.Date{}, dateFormat
	}
	rest = rest[n:]
	if sep1 == "年" && rest == "日" {
		rest = ""
	}
	if rest != "" {
		return calendar.Date{}, dateFormat
	}
	return makeDateStatus(y, m, d)
}

// makeDateStatus checks the parts read by parseDate. Years have four
// digits; 0000 is refused as no such date, since civil years have no year 0
// (1 BC is followed by AD 1).
func makeDateStatus(y, m, d int) (calendar.Date, dateStatus) {
	if dd, ok := calendar.MakeDate(y, time.Month(m), d); ok && y > 0 {
		return dd, dateOK
	}
	return calendar.Date{}, dateNoSuchD
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

// isCanonicalDate reports whether s is in the form YYYY-MM-DD.
func isCanonicalDate(s string) bool {
	return len(s) == 10 && s[4] == '-' && s[7] == '-' && allDigits(s[:4]) && allDigits(s[5:7]) && allDigits(s[8:])
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
