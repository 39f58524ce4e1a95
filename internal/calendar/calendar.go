package calendar

import (
	_ "embed"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Kind is the official status of a date in a holiday arrangement.
type Kind uint8

const (
	// Ordinary: the arrangement says nothing about the date; it is a working
	// day unless it is a Saturday or a Sunday.
	Ordinary Kind = iota
	// Holiday: 放假日, a day off (a public holiday or a day moved by 调休),
	// also when it falls on a weekend.
	Holiday
	// Workday: 调休上班日, a Saturday or Sunday declared a working day.
	Workday
)

// String returns "ordinary", "holiday" or "workday".
func (k Kind) String() string {
	switch k {
	case Ordinary:
		return "ordinary"
	case Holiday:
		return "holiday"
	case Workday:
		return "workday"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Calendar knows the official holiday arrangements (放假调休安排) of some
// years and answers working-day questions for any date.
//
// A working day (工作日) is a day that is a make-up working day (Workday), or
// that is neither a Holiday nor a Saturday or Sunday. For dates about which
// the calendar has no data (years that are not covered) only weekends are
// days off; callers that care should check Covered and warn.
//
// The data is organized by arrangement year: the State Council notice for
// year Y (国务院办公厅关于Y年部分节假日安排的通知) may also concern the last
// days of December of Y-1 (the 2019 notice made 2018-12-29 a working
// Saturday and 2018-12-30/31 days off). Such dates belong to year Y's
// arrangement; where two years' arrangements mention the same date, the
// later year's wins. Consequently a late-December date of a covered year Y
// may still be changed by the notice for Y+1, usually published in
// November or December of Y.
//
// A Calendar is immutable: it is safe for concurrent use, and Merge returns a
// new one. The zero value and the nil *Calendar are valid calendars without
// any holiday data (weekends only).
//
// Cost: IsWorkingDay, Lookup and WorkingDaysBetween are O(1) for calendars
// whose years form one contiguous run, such as Default (in general O(log k)
// for k separate runs of years); AddWorkingDays is O(log n) in the number of
// days spanned. For each run of years the calendar keeps, per day, the
// running total of (working day − weekday) since the start of its data; the
// number of working days up to any day z is then the closed-form number of
// weekdays up to z plus that correction (constant between and after runs),
// and WorkingDaysBetween is a difference of two such counts. Memory is 5
// bytes a day of data, under 15 kB for 2019–2026.
type Calendar struct {
	years map[int]*yearData // by arrangement year

	// The index, built by build from years.
	segs  []segment        // ascending, disjoint, not adjacent
	names map[int64]string // names of the non-ordinary days, e.g. "国庆节"
}

// segment indexes a run of consecutive days that contains data.
type segment struct {
	first int64   // day number of kinds[0] and corr[0]
	kinds []Kind  // kinds[i]: the kind of day first+i
	corr  []int32 // corr[i]: Σ (working − weekday) over all indexed days up to first+i
	base  int32   // the correction before first: corr of the previous segment's last day
}

// yearData is one year's arrangement.
type yearData struct {
	year    int
	source  string  // the rest of the "year" line: document title and number
	days    []entry // one per date, in file order
	line    int     // line of the "year" directive in its file
	entries int     // number of lines read for this year
}

// entry is the status of one date in a year's arrangement.
type entry struct {
	day  int64
	kind Kind
	name string
}

// build computes the index of c from c.years. Years are applied in
// ascending order so that, for a date mentioned by two arrangements, the
// later arrangement wins.
func (c *Calendar) build() {
	c.segs, c.names = nil, nil
	if len(c.years) == 0 {
		return
	}
	years := slices.Sorted(maps.Keys(c.years))

	// The span of each year (its calendar year and any dates outside it),
	// merged into runs.
	type span struct{ lo, hi int64 }
	var spans []span
	size := 0
	for _, y := range years {
		lo, hi := Date{y, time.January, 1}.days(), Date{y, time.December, 31}.days()
		for _, e := range c.years[y].days {
			lo, hi = min(lo, e.day), max(hi, e.day)
		}
		size += len(c.years[y].days)
		if n := len(spans); n > 0 && lo <= spans[n-1].hi+1 {
			spans[n-1].hi = max(spans[n-1].hi, hi)
		} else {
			spans = append(spans, span{lo, hi})
		}
	}
	c.segs = make([]segment, len(spans))
	for i, sp := range spans {
		n := sp.hi - sp.lo + 1
		c.segs[i] = segment{first: sp.lo, kinds: make([]Kind, n), corr: make([]int32, n)}
	}
	c.names = make(map[int64]string, size)
	for _, y := range years {
		for _, e := range c.years[y].days {
			s := &c.segs[c.segment(e.day)]
			s.kinds[e.day-s.first] = e.kind
			if e.name != "" {
				c.names[e.day] = e.name
			} else {
				delete(c.names, e.day)
			}
		}
	}
	var sum int32
	for i := range c.segs {
		s := &c.segs[i]
		s.base = sum
		for j, k := range s.kinds {
			weekday := !isWeekendDay(s.first + int64(j))
			switch {
			case k == Holiday && weekday:
				sum--
			case k == Workday && !weekday:
				sum++
			}
			s.corr[j] = sum
		}
	}
}

// segment returns the index of the last segment starting at or before day
// z, or -1.
func (c *Calendar) segment(z int64) int {
	lo, hi := 0, len(c.segs) // segs[:lo] start <= z, segs[hi:] start > z
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.segs[m].first <= z {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo - 1
}

// count returns the number of working days up to and including day z,
// relative to an arbitrary fixed origin: count(b) - count(a) is the number of
// working days in (a, b].
func (c *Calendar) count(z int64) int64 {
	n := weekdaysThrough(z)
	if c == nil {
		return n
	}
	i := c.segment(z)
	if i < 0 {
		return n
	}
	s := &c.segs[i]
	if j := z - s.first; j < int64(len(s.corr)) {
		return n + int64(s.corr[j])
	}
	return n + int64(s.corr[len(s.corr)-1])
}

// kindOf returns the kind of day number z.
func (c *Calendar) kindOf(z int64) Kind {
	if c == nil {
		return Ordinary
	}
	i := c.segment(z)
	if i < 0 {
		return Ordinary
	}
	if j := z - c.segs[i].first; j < int64(len(c.segs[i].kinds)) {
		return c.segs[i].kinds[j]
	}
	return Ordinary
}

func (c *Calendar) isWorking(z int64) bool {
	switch c.kindOf(z) {
	case Holiday:
		return false
	case Workday:
		return true
	}
	return !isWeekendDay(z)
}

// IsWorkingDay reports whether d is a working day (工作日): a make-up
// working day, or a Monday to Friday that is not a holiday.
func (c *Calendar) IsWorkingDay(d Date) bool { return c.isWorking(d.days()) }

// Lookup returns what the arrangements say about d: Holiday or Workday with
// the name given in the data (such as "国庆节" or "春节调休"), or Ordinary and
// "" when they say nothing.
func (c *Calendar) Lookup(d Date) (Kind, string) {
	z := d.days()
	k := c.kindOf(z)
	if k == Ordinary {
		return Ordinary, ""
	}
	return k, c.names[z]
}

// maxSpan bounds |n| in AddWorkingDays so that day arithmetic cannot
// overflow (2^40 working days is about 4 billion years).
const maxSpan = 1 << 40

// AddWorkingDays returns the n-th working day after d, d itself not counted:
// the last day of a time limit of "n working days from d" (自d之日起n个工作日内).
// A record decided on D must be published within 7 working days, so
// AddWorkingDays(D, 7) is the last day on which publication is on time.
//
// For n >= 1 the result is always a working day and
// WorkingDaysBetween(d, AddWorkingDays(d, n)) == n. Whether d itself is a
// working day does not matter: from Saturday 2024-09-28 (an ordinary
// weekend), the first working day is Sunday 2024-09-29, a make-up working
// day.
//
// n == 0 returns d unchanged. For n < 0 the result is the |n|-th working day
// before d (d not counted): the working day x before d such that exactly |n|
// working days lie in [x, d); if d is a working day,
// AddWorkingDays(AddWorkingDays(d, n), -n) == d.
//
// It panics if |n| >= 2^40. Cost: O(log |n|).
func (c *Calendar) AddWorkingDays(d Date, n int) Date {
	if n == 0 {
		return d
	}
	if n >= maxSpan || n <= -maxSpan {
		panic("calendar: AddWorkingDays: n out of range")
	}
	z := d.days()
	if n > 0 {
		// The smallest x > z with count(x) >= count(z)+n. At most n
		// working days fit in n days, so start there and double.
		target := c.count(z) + int64(n)
		lo, hi := z, z+int64(n)
		for c.count(hi) < target {
			lo, hi = hi, z+2*(hi-z)
		}
		return fromDays(c.search(lo, hi, target))
	}
	// The smallest x with count(x) >= count(z-1)-m+1, that is the working
	// day x with m working days in [x, z).
	m := -int64(n)
	target := c.count(z-1) - m + 1
	lo, hi := z-1-m, z-1
	for c.count(lo) >= target {
		lo, hi = z-1-2*(z-1-lo), lo
	}
	return fromDays(c.search(lo, hi, target))
}

// search returns the smallest x in (lo, hi] with count(x) >= target, given
// count(lo) < target <= count(hi). count is non-decreasing and grows by one
// exactly on working days, so x is a working day.
func (c *Calendar) search(lo, hi, target int64) int64 {
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if c.count(mid) >= target {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// WorkingDaysBetween returns the number of working days in (from, to]:
// after from, up to and including to. It is 0 when to is not after from.
//
// A record decided on D and received on R is late under a 7-working-day
// limit when WorkingDaysBetween(D, R) > 7; equivalently when R is after
// AddWorkingDays(D, 7). O(1): two table look-ups and some arithmetic; safe
// to call once per imported record.
func (c *Calendar) WorkingDaysBetween(from, to Date) int {
	a, b := from.days(), to.days()
	if b <= a {
		return 0
	}
	return int(c.count(b) - c.count(a))
}

// Covered reports whether c has the official arrangement for year.
// Outside covered years only weekends are days off, which is wrong for the
// public holidays of that year: callers should warn (for example "未载入Y年
// 节假日安排，仅按周末计算").
func (c *Calendar) Covered(year int) bool {
	if c == nil {
		return false
	}
	_, ok := c.years[year]
	return ok
}

// Years returns the covered years in ascending order.
func (c *Calendar) Years() []int {
	if c == nil {
		return []int{}
	}
	return slices.Sorted(maps.Keys(c.years))
}

// Source returns the text given after the year on the "year" line of a
// covered year: by convention the title and number of the notice, such as
// "国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号）".
func (c *Calendar) Source(year int) (string, bool) {
	if c == nil {
		return "", false
	}
	y, ok := c.years[year]
	if !ok {
		return "", false
	}
	return y.source, true
}

// Merge returns a new calendar with the years of c and those of other; a
// year present in both is taken entirely from other (it replaces c's
// arrangement for that year, it is not combined with it). Use it to apply
// an administrator's file on top of Default:
//
//	local, err := calendar.Parse(f)
//	...
//	cal := calendar.Default().Merge(local)
//
// Either calendar may be nil. Neither is modified.
func (c *Calendar) Merge(other *Calendar) *Calendar {
	m := &Calendar{years: make(map[int]*yearData)}
	if c != nil {
		maps.Copy(m.years, c.years)
	}
	if other != nil {
		maps.Copy(m.years, other.years)
	}
	m.build()
	return m
}

//go:embed holidays.txt
var defaultData string

// Default returns the calendar of the embedded holiday data (holidays.txt:
// the State Council arrangements for 2019 through 2026). It is parsed once;
// the same *Calendar is returned on every call.
func Default() *Calendar { return defaultCalendar() }

var defaultCalendar = sync.OnceValue(func() *Calendar {
	c, err := ParseString(defaultData)
	if err != nil {
		// The embedded data is checked by the tests.
		panic("calendar: embedded holidays.txt is invalid: " + err.Error())
	}
	return c
})
