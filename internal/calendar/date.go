package calendar

import (
	"fmt"
	"time"
)

// china is the civil time of mainland China: UTC+8 all year (no daylight
// saving time since 1991). A fixed zone is used so that the package does not
// depend on the tzdata of the host.
var china = time.FixedZone("UTC+8", 8*60*60)

// Location returns the time zone in which dates are civil dates: a fixed
// UTC+8 zone.
func Location() *time.Location { return china }

// Date is a civil date in China: no time of day, no zone.
//
// Values built by this package (ParseDate, MakeDate, FromTime, NewDate,
// AddDays, ...) are normalized: Month is 1..12 and Day is 1..the length of
// the month. A literal such as Date{2024, time.February, 30} is accepted
// everywhere and means what time.Date would make of it (2024-03-01); compare
// such values with Compare or Equal rather than ==, or normalize them with
// NewDate. The zero Date{} means "no date" (see IsZero).
//
// Dates are proleptic Gregorian; the years supported are those that fit the
// arithmetic comfortably (well beyond ±1,000,000).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date year-month-day, normalized like time.Date:
// NewDate(2024, 2, 30) is 2024-03-01 and NewDate(2024, 13, 1) is 2025-01-01.
func NewDate(year int, month time.Month, day int) Date {
	return fromDays(Date{year, month, day}.days())
}

// MakeDate returns the date year-month-day and true when that date exists:
// month is 1..12 and day is 1..the length of that month (2024-02-29 exists,
// 2023-02-29 does not). Otherwise it returns the zero Date and false. Unlike
// NewDate it does not normalize: it is the check for dates read from input.
func MakeDate(year int, month time.Month, day int) (Date, bool) {
	if month < time.January || month > time.December || day < 1 || day > daysIn(year, month) {
		return Date{}, false
	}
	return Date{year, month, day}, true
}

// ParseDate parses a date in the form YYYY-MM-DD (exactly four, two and two
// ASCII digits, the form of ISO 8601 and GB/T 7408). It rejects dates that do
// not exist, such as 2023-02-29.
func ParseDate(s string) (Date, error) {
	d, err := parseDate(s)
	if err != nil {
		return Date{}, err.errorFor(s)
	}
	return d, nil
}

// MustParseDate is ParseDate for constants; it panics on an invalid date.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// dateError is the reason a date string is invalid, in both languages.
type dateError struct{ Detail, DetailZH string }

var (
	errDateFormat = &dateError{"date must be in the form YYYY-MM-DD", "日期格式应为YYYY-MM-DD"}
	errDateValue  = &dateError{"no such date", "该日期不存在"}
)

// errorFor returns the error of ParseDate for s (out of line, so that
// ParseDate is cheap on valid dates).
func (e *dateError) errorFor(s string) error {
	return fmt.Errorf("日期“%s”无效：%s (invalid date %q: %s)", s, e.DetailZH, s, e.Detail)
}

func parseDate(s string) (Date, *dateError) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, errDateFormat
	}
	// Digit values; a byte below '0' wraps around to more than 9.
	y0, y1, y2, y3 := s[0]-'0', s[1]-'0', s[2]-'0', s[3]-'0'
	m0, m1, d0, d1 := s[5]-'0', s[6]-'0', s[8]-'0', s[9]-'0'
	if y0 > 9 || y1 > 9 || y2 > 9 || y3 > 9 || m0 > 9 || m1 > 9 || d0 > 9 || d1 > 9 {
		return Date{}, errDateFormat
	}
	y := int(y0)*1000 + int(y1)*100 + int(y2)*10 + int(y3)
	m := int(m0)*10 + int(m1)
	d := int(d0)*10 + int(d1)
	date, ok := MakeDate(y, time.Month(m), d)
	if !ok {
		return Date{}, errDateValue
	}
	return date, nil
}

// digits parses a string of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// daysIn returns the number of days of month m (1..12) of year y.
func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if isLeap(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// FromTime returns the civil date in China (UTC+8) of the instant t,
// whatever t's location: 2024-09-30T20:00:00Z is 2024-10-01 in China.
func FromTime(t time.Time) Date {
	y, m, d := t.In(china).Date()
	return Date{y, m, d}
}

// Today returns the current date in China.
func Today() Date { return FromTime(time.Now()) }

// Time returns midnight at the start of d in China (UTC+8).
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, china) }

// String returns d as YYYY-MM-DD, the canonical form of a date (years
// outside 0..9999 are written with as many digits as needed and a sign when
// negative). A non-normalized d is normalized first. The zero Date{}, which
// means "no date", gives "".
func (d Date) String() string {
	if d == (Date{}) {
		return ""
	}
	if !d.normalized() {
		d = NewDate(d.Year, d.Month, d.Day)
	}
	if d.Year < 0 || d.Year > 9999 {
		return fmt.Sprintf("%+d-%02d-%02d", d.Year, int(d.Month), d.Day)
	}
	y, m := d.Year, int(d.Month)
	b := [10]byte{
		byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-',
		byte('0' + d.Day/10), byte('0' + d.Day%10),
	}
	return string(b[:])
}

// IsZero reports whether d is the zero Date{} (which is not a real date and
// usually means "no date").
func (d Date) IsZero() bool { return d == Date{} }

// AddDays returns the date n calendar days after d (before d when n < 0).
func (d Date) AddDays(n int) Date { return fromDays(d.days() + int64(n)) }

// DaysSince returns the number of calendar days from e to d (negative when d
// is before e): d == e.AddDays(d.DaysSince(e)).
func (d Date) DaysSince(e Date) int { return int(d.days() - e.days()) }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return weekdayOf(d.days()) }

// IsWeekend reports whether d is a Saturday or a Sunday.
func (d Date) IsWeekend() bool { return isWeekendDay(d.days()) }

// Compare returns -1 if d is before e, 0 if they are the same day and +1 if d
// is after e.
//
// Compare, Before, After and Equal are cheap for normalized dates (a few
// integer comparisons: they may be called for every date field of every
// imported row); other values are normalized on the way.
func (d Date) Compare(e Date) int {
	if d.normalized() && e.normalized() {
		switch {
		case d.Year != e.Year:
			return sign(d.Year < e.Year)
		case d.Month != e.Month:
			return sign(d.Month < e.Month)
		case d.Day != e.Day:
			return sign(d.Day < e.Day)
		}
		return 0
	}
	a, b := d.days(), e.days()
	switch {
	case a < b:
		return -1
	case a > b:
		return +1
	}
	return 0
}

// sign returns -1 when less, else +1.
func sign(less bool) int {
	if less {
		return -1
	}
	return +1
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// Equal reports whether d and e are the same day (also for non-normalized
// values: Date{2024, 2, 30} equals Date{2024, 3, 1}).
func (d Date) Equal(e Date) bool { return d.Compare(e) == 0 }

// normalized reports whether d is a real date as written: Month 1..12 and
// Day 1..the length of the month. Then the order of dates is the order of
// (Year, Month, Day).
func (d Date) normalized() bool {
	return d.Month >= time.January && d.Month <= time.December && d.Day >= 1 &&
		(d.Day <= 28 || d.Day <= daysIn(d.Year, d.Month))
}

// days returns the number of days from 1970-01-01 to d (Howard Hinnant's
// days_from_civil). Out-of-range months and days are normalized as by
// time.Date.
func (d Date) days() int64 {
	y, m := int64(d.Year), int64(d.Month)-1
	y += floorDiv(m, 12)
	m -= floorDiv(m, 12) * 12 // 0..11, January = 0
	if m < 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400                     // 0..399
	mp := (m + 10) % 12                    // March = 0
	doy := (153*mp+2)/5 + int64(d.Day) - 1 // day of the year from March 1 (may overflow the year; that normalizes)
	doe := yoe*365 + yoe/4 - yoe/100 + doy // day of the era
	return era*146097 + doe - 719468
}

// fromDays is the inverse of days (civil_from_days).
func fromDays(z int64) Date {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
		y++
	}
	return Date{int(y), time.Month(m), int(d)}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// weekdayOf returns the weekday of day number z (1970-01-01 was a Thursday).
func weekdayOf(z int64) time.Weekday {
	return time.Weekday(z + 4 - floorDiv(z+4, 7)*7)
}

func isWeekendDay(z int64) bool {
	w := weekdayOf(z)
	return w == time.Saturday || w == time.Sunday
}

// weekdaysThrough is a counting function for Monday-to-Friday days: for any
// a <= b, weekdaysThrough(b) - weekdaysThrough(a) is the number of weekdays in
// (a, b]. It is the number of weekdays from Monday 1970-01-05 (day 4) through
// z, extended to earlier days so that the difference property holds
// everywhere.
func weekdaysThrough(z int64) int64 {
	k := z - 4
	w := floorDiv(k, 7)
	r := k - w*7 // 0 = Monday .. 6 = Sunday
	return 5*w + min(r+1, 5)
}

// AddMonths returns the date n months after d, counted as the law counts a
// period of months (《民法典》第二百零一条、第二百零三条): the period ends on
// the day of the last month with d's number, or on the last day of that
// month when it has no such day (2026-01-31 + 1 month = 2026-02-28).
func (d Date) AddMonths(n int) Date {
	m := int(d.Month) - 1 + n
	y := d.Year + m/12
	m %= 12
	if m < 0 {
		m += 12
		y--
	}
	month := time.Month(m + 1)
	return Date{y, month, min(d.Day, daysIn(y, month))}
}
