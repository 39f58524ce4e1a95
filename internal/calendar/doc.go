// Package calendar computes working-day (工作日) time limits under the
// official holiday arrangements of mainland China.
//
// Many legal deadlines of the credit platform are counted in working days:
// 双公示 records are published within 7 working days of the decision,
// objections are marked within 1 working day, forwarded within 2 and decided
// within 5, credit repairs answered within 10, and so on. A working day is a
// day that is neither a Saturday or Sunday nor a public holiday (放假日), or
// that is a make-up working day (调休上班日: a weekend day declared a working
// day). The holidays and make-up days are published each year by the General
// Office of the State Council (国务院办公厅关于YYYY年部分节假日安排的通知).
//
// # Dates
//
// Date is a civil date in China (UTC+8; China has no daylight saving time
// since 1991), and the one date type of the project (records' dates in
// package catalog are Dates too): ParseDate("2024-10-01"), MakeDate (a
// checked date from its parts), FromTime (which converts an instant to
// UTC+8 first), Today, AddDays, Weekday, Compare/Before/After/Equal, and
// String, the canonical YYYY-MM-DD text. The zero Date{} means "no date"
// (IsZero; its String is "").
//
// # Counting
//
// Calendar.AddWorkingDays(d, n) is the n-th working day after d, d not
// counted: the last day of "within n working days of d". A decision of Friday
// 2024-09-27 must be published by 2024-10-12: the 7 working days are Sunday
// 09-29 (make-up), Monday 09-30, 10-08 to 10-11 (after the 国庆 holiday
// 10-01 to 10-07) and Saturday 10-12 (make-up).
//
// Calendar.WorkingDaysBetween(from, to) counts the working days in
// (from, to]; WorkingDaysBetween(d, AddWorkingDays(d, n)) == n for n >= 1,
// and a record decided on D and received on R is late under a 7-day limit
// when WorkingDaysBetween(D, R) > 7. It is O(1) per call (see Calendar).
//
// # Data
//
// Default returns the arrangements embedded in holidays.txt, for 2019
// through 2026, each year citing the notice it encodes. An administrator can
// load a file in the same format with Parse and apply it with Merge; each
// year present in the loaded file replaces that year entirely:
//
//	f, err := os.Open(path)
//	...
//	local, err := calendar.Parse(f) // errors name the line: "第12行：日期格式应为YYYY-MM-DD (line 12: ...)"
//	...
//	cal := calendar.Default().Merge(local)
//
// For dates of years that are not covered (Calendar.Covered) only weekends
// are days off; callers should warn that the result may be wrong.
//
// # File format
//
// UTF-8 text (a leading byte order mark is ignored), one item per line;
// fields are separated by white space:
//
//	# a comment: lines whose first non-blank character is '#'; blank lines are ignored
//	year 2024 国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号）
//	2024-01-01 holiday 元旦
//	2024-02-10..2024-02-17 holiday 春节
//	2024-02-04 workday 春节调休
//
// A "year YYYY" line starts the arrangement of a year; the rest of the line
// is free text naming its source (see Calendar.Source). Each following line
// until the next year line is a date (YYYY-MM-DD) or an inclusive range
// (YYYY-MM-DD..YYYY-MM-DD, at most 31 days), a kind and an optional name
// (free text, up to the end of the line). The kind is holiday (or 放假): a
// day off, which may fall on a weekend; or workday (or 上班): a make-up
// working day, which must be a Saturday or a Sunday.
//
// Rules, each reported by Parse with the line number:
//   - years are 1900..2999 and appear at most once; a year has at least one
//     date line; date lines come after a year line;
//   - a date of year Y's arrangement lies between Y-1-12-01 and Y-12-31
//     (a New Year holiday may start in December of the previous year, as
//     2018-12-29..31 in the 2019 notice);
//   - no date is both holiday and workday, in the same year or across years
//     of one file; the same date given twice with the same kind is accepted
//     (the first name is kept);
//   - a workday is a Saturday or a Sunday.
package calendar
