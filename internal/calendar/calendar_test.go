package calendar

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	sat = time.Saturday
	sun = time.Sunday
	mon = time.Monday
	tue = time.Tuesday
	wed = time.Wednesday
	thu = time.Thursday
	fri = time.Friday
)

// TestKnownFacts checks dates read from each year's notice: make-up weekend
// days are working days, holiday weekdays are not, ordinary days follow the
// week. The weekday column guards against typos in this table.
func TestKnownFacts(t *testing.T) {
	c := Default()
	tests := []struct {
		date    string
		weekday time.Weekday
		working bool
		note    string
	}{
		// 2019, 国办发明电〔2018〕15号 and 〔2019〕3号.
		{"2018-12-29", sat, true, "元旦调休, in the 2019 notice"},
		{"2018-12-31", mon, false, "元旦 2018-12-30..2019-01-01"},
		{"2019-01-02", wed, true, "ordinary"},
		{"2019-02-02", sat, true, "春节调休"},
		{"2019-02-03", sun, true, "春节调休"},
		{"2019-02-04", mon, false, "除夕"},
		{"2019-02-11", mon, true, "after 春节"},
		{"2019-04-05", fri, false, "清明节"},
		{"2019-04-28", sun, true, "劳动节调休 added by 〔2019〕3号"},
		{"2019-05-02", thu, false, "劳动节 extended to 4 days by 〔2019〕3号"},
		{"2019-05-05", sun, true, "劳动节调休 added by 〔2019〕3号"},
		{"2019-06-07", fri, false, "端午节"},
		{"2019-09-13", fri, false, "中秋节"},
		{"2019-09-29", sun, true, "国庆节调休"},
		{"2019-10-07", mon, false, "国庆节"},
		{"2019-10-12", sat, true, "国庆节调休"},
		{"2019-10-13", sun, false, "ordinary Sunday"},
		// 2020, 国办发明电〔2019〕16号 and 〔2020〕1号.
		{"2020-01-01", wed, false, "元旦"},
		{"2020-01-19", sun, true, "春节调休"},
		{"2020-01-24", fri, false, "除夕"},
		{"2020-01-31", fri, false, "春节 extended by 〔2020〕1号"},
		{"2020-02-01", sat, false, "announced 调休上班, cancelled by the extension"},
		{"2020-02-03", mon, true, "2月3日起正常上班"},
		{"2020-04-06", mon, false, "清明节"},
		{"2020-04-26", sun, true, "劳动节调休"},
		{"2020-05-09", sat, true, "劳动节调休"},
		{"2020-06-26", fri, false, "端午节"},
		{"2020-06-28", sun, true, "端午节调休"},
		{"2020-09-27", sun, true, "国庆节调休"},
		{"2020-10-08", thu, false, "国庆节、中秋节"},
		{"2020-10-10", sat, true, "国庆节调休"},
		// 2021, 国办发明电〔2020〕27号.
		{"2021-02-07", sun, true, "春节调休"},
		{"2021-02-17", wed, false, "春节"},
		{"2021-02-20", sat, true, "春节调休"},
		{"2021-04-05", mon, false, "清明节"},
		{"2021-04-25", sun, true, "劳动节调休"},
		{"2021-06-14", mon, false, "端午节"},
		{"2021-09-18", sat, true, "中秋节调休"},
		{"2021-09-21", tue, false, "中秋节"},
		{"2021-09-26", sun, true, "国庆节调休"},
		{"2021-10-09", sat, true, "国庆节调休"},
		{"2021-10-11", mon, true, "ordinary"},
		// 2022, 国办发明电〔2021〕11号.
		{"2022-01-03", mon, false, "元旦"},
		{"2022-01-29", sat, true, "春节调休"},
		{"2022-01-30", sun, true, "春节调休"},
		{"2022-02-04", fri, false, "春节"},
		{"2022-04-02", sat, true, "清明节调休"},
		{"2022-04-05", tue, false, "清明节"},
		{"2022-04-24", sun, true, "劳动节调休"},
		{"2022-05-04", wed, false, "劳动节"},
		{"2022-05-07", sat, true, "劳动节调休"},
		{"2022-06-03", fri, false, "端午节"},
		{"2022-09-12", mon, false, "中秋节"},
		{"2022-10-07", fri, false, "国庆节"},
		{"2022-10-08", sat, true, "国庆节调休"},
		{"2022-10-09", sun, true, "国庆节调休"},
		// 2023, 国办发明电〔2022〕16号.
		{"2022-12-31", sat, false, "元旦, in the 2023 notice"},
		{"2023-01-02", mon, false, "元旦"},
		{"2023-01-27", fri, false, "春节"},
		{"2023-01-28", sat, true, "春节调休"},
		{"2023-01-29", sun, true, "春节调休"},
		{"2023-04-05", wed, false, "清明节"},
		{"2023-04-23", sun, true, "劳动节调休"},
		{"2023-05-03", wed, false, "劳动节"},
		{"2023-05-06", sat, true, "劳动节调休"},
		{"2023-06-23", fri, false, "端午节"},
		{"2023-06-25", sun, true, "端午节调休"},
		{"2023-09-29", fri, false, "中秋节"},
		{"2023-10-06", fri, false, "国庆节"},
		{"2023-10-07", sat, true, "国庆节调休"},
		{"2023-10-08", sun, true, "国庆节调休"},
		// 2024, 国办发明电〔2023〕7号.
		{"2024-01-01", mon, false, "元旦"},
		{"2024-02-04", sun, true, "春节调休"},
		{"2024-02-09", fri, true, "除夕: only encouraged off, not a holiday"},
		{"2024-02-16", fri, false, "春节"},
		{"2024-02-18", sun, true, "春节调休"},
		{"2024-04-05", fri, false, "清明节"},
		{"2024-04-07", sun, true, "清明节调休"},
		{"2024-04-28", sun, true, "劳动节调休"},
		{"2024-05-03", fri, false, "劳动节"},
		{"2024-05-11", sat, true, "劳动节调休"},
		{"2024-06-10", mon, false, "端午节"},
		{"2024-09-14", sat, true, "中秋节调休"},
		{"2024-09-16", mon, false, "中秋节"},
		{"2024-09-29", sun, true, "国庆节调休"},
		{"2024-09-30", mon, true, "ordinary"},
		{"2024-10-01", tue, false, "国庆节"},
		{"2024-10-05", sat, false, "国庆节 on a weekend"},
		{"2024-10-08", tue, true, "ordinary"},
		{"2024-10-12", sat, true, "国庆节调休"},
		{"2024-10-13", sun, false, "ordinary Sunday"},
		// 2025, 国办发明电〔2024〕12号 (new rules: 春节 from 除夕, 劳动节 +1).
		{"2025-01-01", wed, false, "元旦, no 调休"},
		{"2025-01-26", sun, true, "春节调休"},
		{"2025-01-27", mon, true, "ordinary"},
		{"2025-01-28", tue, false, "除夕"},
		{"2025-02-04", tue, false, "春节 (正月初七)"},
		{"2025-02-05", wed, true, "ordinary"},
		{"2025-02-08", sat, true, "春节调休"},
		{"2025-04-04", fri, false, "清明节"},
		{"2025-04-27", sun, true, "劳动节调休"},
		{"2025-05-05", mon, false, "劳动节"},
		{"2025-05-10", sat, false, "no second 劳动节调休 in 2025"},
		{"2025-06-02", mon, false, "端午节"},
		{"2025-09-28", sun, true, "国庆节调休"},
		{"2025-10-06", mon, false, "中秋节"},
		{"2025-10-08", wed, false, "国庆节、中秋节"},
		{"2025-10-09", thu, true, "ordinary"},
		{"2025-10-11", sat, true, "国庆节调休"},
		// 2026, 国办发明电〔2025〕7号.
		{"2026-01-02", fri, false, "元旦"},
		{"2026-01-04", sun, true, "元旦调休"},
		{"2026-02-13", fri, true, "ordinary"},
		{"2026-02-14", sat, true, "春节调休"},
		{"2026-02-16", mon, false, "除夕"},
		{"2026-02-23", mon, false, "春节 (正月初七)"},
		{"2026-02-24", tue, true, "ordinary"},
		{"2026-02-28", sat, true, "春节调休"},
		{"2026-04-06", mon, false, "清明节"},
		{"2026-05-05", tue, false, "劳动节"},
		{"2026-05-09", sat, true, "劳动节调休"},
		{"2026-06-19", fri, false, "端午节"},
		{"2026-09-20", sun, true, "国庆节调休"},
		{"2026-09-25", fri, false, "中秋节"},
		{"2026-10-07", wed, false, "国庆节"},
		{"2026-10-09", fri, true, "ordinary"},
		{"2026-10-10", sat, true, "国庆节调休"},
		// Not covered: weekends only.
		{"2018-10-01", mon, true, "2018 not covered"},
		{"2027-01-01", fri, true, "2027 not covered"},
		{"2027-01-02", sat, false, "2027 not covered"},
	}
	for _, tt := range tests {
		d := MustParseDate(tt.date)
		if w := d.Weekday(); w != tt.weekday {
			t.Errorf("%s is a %v, not a %v (fix the test table)", tt.date, w, tt.weekday)
		}
		if got := c.IsWorkingDay(d); got != tt.working {
			t.Errorf("IsWorkingDay(%s %v) = %v; want %v (%s)", tt.date, tt.weekday, got, tt.working, tt.note)
		}
	}
}

// TestWorkingDaysPerYear pins the number of working days of each calendar
// year, a summary of the whole data set. 2022 checked by hand: 260 weekdays,
// 18 holiday weekdays, 7 make-up days; 2025: 261 − 18 + 5.
func TestWorkingDaysPerYear(t *testing.T) {
	c := Default()
	want := map[int]int{2019: 250, 2020: 249, 2021: 250, 2022: 249, 2023: 249, 2024: 251, 2025: 248, 2026: 248}
	for y, n := range want {
		if got := c.WorkingDaysBetween(Date{y - 1, 12, 31}, Date{y, 12, 31}); got != n {
			t.Errorf("working days in %d = %d; want %d", y, got, n)
		}
	}
}

func TestDefaultYears(t *testing.T) {
	c := Default()
	if c != Default() {
		t.Error("Default() returned two calendars")
	}
	want := []int{2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026}
	if got := c.Years(); !slices.Equal(got, want) {
		t.Errorf("Years() = %v; want %v", got, want)
	}
	for _, y := range want {
		if !c.Covered(y) {
			t.Errorf("Covered(%d) = false", y)
		}
		src, ok := c.Source(y)
		if !ok || !strings.Contains(src, "国办发明电〔") || !strings.Contains(src, itoa4(y)+"年部分节假日安排") {
			t.Errorf("Source(%d) = %q, %v", y, src, ok)
		}
	}
	for _, y := range []int{2018, 2027} {
		if c.Covered(y) {
			t.Errorf("Covered(%d) = true", y)
		}
		if _, ok := c.Source(y); ok {
			t.Errorf("Source(%d) found", y)
		}
	}
	// Every workday of the data is a weekend day and every year has its
	// seven festivals.
	for _, y := range want {
		names := map[string]bool{}
		for _, e := range c.years[y].days {
			if e.kind == Workday && !isWeekendDay(e.day) {
				t.Errorf("%v: workday on a weekday", fromDays(e.day))
			}
			if e.kind == Holiday {
				for _, f := range []string{"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"} {
					if strings.Contains(e.name, f) {
						names[f] = true
					}
				}
			}
		}
		if len(names) != 7 {
			t.Errorf("%d: festivals %v", y, names)
		}
	}
}

func TestLookup(t *testing.T) {
	c := Default()
	tests := []struct {
		date string
		kind Kind
		name string
	}{
		{"2024-10-01", Holiday, "国庆节"},
		{"2024-09-29", Workday, "国庆节调休"},
		{"2024-10-08", Ordinary, ""},
		{"2018-12-29", Workday, "元旦调休"},
		{"2030-01-01", Ordinary, ""},
	}
	for _, tt := range tests {
		k, name := c.Lookup(MustParseDate(tt.date))
		if k != tt.kind || name != tt.name {
			t.Errorf("Lookup(%s) = %v, %q; want %v, %q", tt.date, k, name, tt.kind, tt.name)
		}
	}
	if Holiday.String() != "holiday" || Workday.String() != "workday" || Ordinary.String() != "ordinary" || Kind(9).String() != "Kind(9)" {
		t.Error("Kind.String wrong")
	}
}

func TestAddWorkingDays(t *testing.T) {
	c := Default()
	tests := []struct {
		from string
		n    int
		want string
		note string
	}{
		// The brief's example, checked against 国办发明电〔2023〕7号: from
		// Friday 2024-09-27 the working days are 09-29 (Sunday, 国庆节调休),
		// 09-30, then 10-08, 10-09, 10-10, 10-11 after 国庆 10-01..07, and
		// 10-12 (Saturday, 国庆节调休). The 7-working-day limit ends on
		// Saturday 2024-10-12.
		{"2024-09-27", 7, "2024-10-12", "双公示 7 working days across 国庆 2024"},
		{"2024-09-27", 1, "2024-09-29", "make-up Sunday counts"},
		{"2024-09-27", 2, "2024-09-30", ""},
		{"2024-09-27", 3, "2024-10-08", "skips 国庆"},
		{"2024-09-28", 1, "2024-09-29", "from an ordinary Saturday"},
		{"2024-10-03", 1, "2024-10-08", "from inside the holiday"},
		{"2024-10-11", 1, "2024-10-12", "make-up Saturday"},
		{"2024-10-12", 1, "2024-10-14", ""},
		{"2024-02-08", 1, "2024-02-09", "除夕 2024 is a working day"},
		{"2024-02-09", 1, "2024-02-18", "make-up Sunday after 春节"},
		{"2024-02-09", 2, "2024-02-19", ""},
		{"2025-01-24", 1, "2025-01-26", "make-up Sunday before 春节 2025"},
		{"2025-01-27", 1, "2025-02-05", "春节 2025 from 除夕, 8 days"},
		{"2025-01-27", 4, "2025-02-08", "02-05..07, then make-up Saturday 02-08"},
		{"2025-01-27", 5, "2025-02-10", ""},
		{"2026-02-13", 1, "2026-02-14", "make-up Saturday before 春节 2026"},
		{"2026-02-14", 1, "2026-02-24", "春节 2026, 9 days"},
		{"2026-02-27", 1, "2026-02-28", "make-up Saturday after 春节 2026"},
		{"2020-01-23", 1, "2020-02-03", "春节 2020 extended to 02-02"},
		{"2019-04-30", 1, "2019-05-05", "劳动节 2019 as adjusted"},
		{"2018-12-28", 1, "2018-12-29", "2018-12-29 from the 2019 notice"},
		{"2018-12-28", 2, "2019-01-02", ""},
		{"2019-12-31", 1, "2020-01-02", "across years"},
		{"2024-01-02", 10, "2024-01-16", "10 working days, repair answer"},
		{"2024-01-01", 251, "2024-12-31", "a whole year"},
		{"2026-12-31", 1, "2027-01-01", "2027 not covered: weekends only"},
		{"2027-01-01", 1, "2027-01-04", ""},
		{"2010-10-01", 1, "2010-10-04", "before the data"},
		// n == 0 and n < 0.
		{"2024-10-01", 0, "2024-10-01", "n == 0 returns d, even a holiday"},
		{"2024-10-12", -7, "2024-09-27", "inverse of the example"},
		{"2024-10-08", -1, "2024-09-30", ""},
		{"2024-10-05", -1, "2024-09-30", "from a holiday"},
		{"2024-10-05", -2, "2024-09-29", "make-up Sunday"},
		{"2025-02-05", -1, "2025-01-27", ""},
		{"2027-01-04", -2, "2026-12-31", ""},
	}
	for _, tt := range tests {
		d := MustParseDate(tt.from)
		got := c.AddWorkingDays(d, tt.n)
		if got.String() != tt.want {
			t.Errorf("AddWorkingDays(%s, %d) = %s; want %s (%s)", tt.from, tt.n, got, tt.want, tt.note)
		}
		if tt.n > 0 {
			if k := c.WorkingDaysBetween(d, got); k != tt.n {
				t.Errorf("WorkingDaysBetween(%s, %s) = %d; want %d", tt.from, got, k, tt.n)
			}
		}
	}
	for _, n := range []int{1 << 40, -(1 << 40)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("AddWorkingDays(_, %d) did not panic", n)
				}
			}()
			c.AddWorkingDays(Date{2024, 1, 1}, n)
		}()
	}
	// Large but allowed n, from a working day.
	d := Date{2024, 1, 2}
	far := c.AddWorkingDays(d, 1<<30)
	if got := c.WorkingDaysBetween(d, far); got != 1<<30 {
		t.Errorf("WorkingDaysBetween(d, AddWorkingDays(d, 2^30)) = %d", got)
	}
	if back := c.AddWorkingDays(far, -(1 << 30)); back != d {
		t.Errorf("AddWorkingDays(far, -2^30) = %v; want %v", back, d)
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	c := Default()
	tests := []struct {
		from, to string
		want     int
	}{
		{"2024-09-27", "2024-10-12", 7}, // on time under a 7-day limit
		{"2024-09-27", "2024-10-13", 7}, // Sunday: still 7
		{"2024-09-27", "2024-10-14", 8}, // late
		{"2024-09-30", "2024-10-07", 0}, // the holiday only
		{"2024-09-28", "2024-09-29", 1}, // the make-up Sunday
		{"2024-10-01", "2024-10-01", 0}, // empty interval
		{"2024-10-12", "2024-09-27", 0}, // reversed
		{"2024-10-12", "2024-10-12", 0}, // same day
		{"2018-12-28", "2019-01-02", 2}, // 12-29 and 01-02
		// 01-19 (Sunday, make-up), 01-20..23, then the extended 春节 to
		// 02-02, then 02-03.
		{"2020-01-18", "2020-02-03", 6},
		{"2023-12-31", "2024-12-31", 251}, // the year 2024
	}
	for _, tt := range tests {
		if got := c.WorkingDaysBetween(MustParseDate(tt.from), MustParseDate(tt.to)); got != tt.want {
			t.Errorf("WorkingDaysBetween(%s, %s) = %d; want %d", tt.from, tt.to, got, tt.want)
		}
	}
}

// naiveAdd and naiveBetween walk day by day with IsWorkingDay.
func naiveAdd(c *Calendar, d Date, n int) Date {
	for n > 0 {
		d = d.AddDays(1)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	for n < 0 {
		d = d.AddDays(-1)
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return d
}

func naiveBetween(c *Calendar, from, to Date) int {
	n := 0
	for d := from.AddDays(1); !d.After(to); d = d.AddDays(1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return n
}

// checkProperty checks AddWorkingDays and WorkingDaysBetween at d and n
// against the naive walks and against each other.
func checkProperty(t *testing.T, c *Calendar, d Date, n int) {
	t.Helper()
	got := c.AddWorkingDays(d, n)
	if want := naiveAdd(c, d, n); got != want {
		t.Fatalf("AddWorkingDays(%v, %d) = %v; naive %v", d, n, got, want)
	}
	switch {
	case n > 0:
		if !c.IsWorkingDay(got) {
			t.Fatalf("AddWorkingDays(%v, %d) = %v is not a working day", d, n, got)
		}
		if k := c.WorkingDaysBetween(d, got); k != n {
			t.Fatalf("WorkingDaysBetween(%v, AddWorkingDays(%v, %d) = %v) = %d", d, d, n, got, k)
		}
		if k := c.WorkingDaysBetween(d, got.AddDays(-1)); k != n-1 {
			t.Fatalf("WorkingDaysBetween(%v, %v) = %d; want %d", d, got.AddDays(-1), k, n-1)
		}
		if c.IsWorkingDay(d) {
			if back := c.AddWorkingDays(got, -n); back != d {
				t.Fatalf("AddWorkingDays(AddWorkingDays(%v, %d), %d) = %v", d, n, -n, back)
			}
		}
	case n < 0:
		if !c.IsWorkingDay(got) {
			t.Fatalf("AddWorkingDays(%v, %d) = %v is not a working day", d, n, got)
		}
		if k := naiveBetween(c, got.AddDays(-1), d.AddDays(-1)); k != -n {
			t.Fatalf("working days in [%v, %v) = %d; want %d", got, d, k, -n)
		}
	}
}

// TestPropertyRandom compares the indexed computations with day-by-day
// walks over random dates from 2017 to 2028 (deterministic seed), so across
// every year boundary, every 春节 and 国庆 of the data and the uncovered
// years on both sides.
func TestPropertyRandom(t *testing.T) {
	c := Default()
	r := rand.New(rand.NewPCG(2024, 1001))
	lo, hi := Date{2017, 1, 1}.days(), Date{2028, 12, 31}.days()
	for i := 0; i < 20000; i++ {
		d := fromDays(lo + r.Int64N(hi-lo+1))
		n := 1 + r.IntN(40)
		switch i % 10 {
		case 0:
			n = 1 + r.IntN(600)
		case 1:
			n = -n
		}
		checkProperty(t, c, d, n)

		e := fromDays(lo + r.Int64N(hi-lo+1))
		if got, want := c.WorkingDaysBetween(d, e), naiveBetween(c, d, e); got != want {
			t.Fatalf("WorkingDaysBetween(%v, %v) = %d; naive %d", d, e, got, want)
		}
	}
}

// TestPropertyHolidays checks every start date and n in 1..15 (and -1..-15)
// around each 春节 and 国庆 of the data.
func TestPropertyHolidays(t *testing.T) {
	c := Default()
	for y := 2019; y <= 2027; y++ {
		for _, window := range [][2]Date{{{y, 1, 5}, {y, 3, 5}}, {{y, 9, 5}, {y, 10, 20}}} {
			for d := window[0]; !d.After(window[1]); d = d.AddDays(1) {
				for n := 1; n <= 15; n++ {
					checkProperty(t, c, d, n)
					checkProperty(t, c, d, -n)
				}
			}
		}
	}
}

func TestNilAndZeroCalendar(t *testing.T) {
	for _, c := range []*Calendar{nil, {}} {
		if !c.IsWorkingDay(MustParseDate("2024-10-01")) || c.IsWorkingDay(MustParseDate("2024-09-29")) {
			t.Error("weekends-only calendar wrong")
		}
		if got := c.AddWorkingDays(MustParseDate("2024-09-27"), 7); got.String() != "2024-10-08" {
			t.Errorf("weekends only: AddWorkingDays = %v", got)
		}
		if got := c.WorkingDaysBetween(MustParseDate("2024-09-27"), MustParseDate("2024-10-08")); got != 7 {
			t.Errorf("weekends only: WorkingDaysBetween = %d", got)
		}
		if c.Covered(2024) || len(c.Years()) != 0 {
			t.Error("empty calendar covers years")
		}
		if k, _ := c.Lookup(MustParseDate("2024-10-01")); k != Ordinary {
			t.Error("empty calendar has a holiday")
		}
		m := c.Merge(Default())
		if !m.Covered(2024) || m.IsWorkingDay(MustParseDate("2024-10-01")) {
			t.Error("Merge into an empty calendar lost data")
		}
	}
}

const localFile = `# 本地调整（测试用，非真实安排）
year 2024 本地测试文件
2024-10-01..2024-10-03 holiday 国庆节（测试）
year 2027 国务院办公厅关于2027年部分节假日安排的通知（测试）
2027-01-01 放假 元旦
2027-01-02 上班 测试
`

func TestMerge(t *testing.T) {
	base := Default()
	local, err := ParseString(localFile)
	if err != nil {
		t.Fatal(err)
	}
	m := base.Merge(local)
	if got, want := m.Years(), []int{2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026, 2027}; !slices.Equal(got, want) {
		t.Errorf("Years() = %v; want %v", got, want)
	}
	tests := []struct {
		date          string
		merged, based bool
	}{
		{"2024-10-02", false, false}, // holiday in both
		{"2024-10-04", true, false},  // 2024 replaced: no longer a holiday
		{"2024-09-29", false, true},  // 2024 replaced: the make-up Sunday is gone
		{"2024-02-12", true, false},  // 2024 replaced: 春节 gone too
		{"2023-10-02", false, false}, // 2023 untouched
		{"2025-01-28", false, false}, // 2025 untouched
		{"2027-01-01", false, true},  // 2027 added
		{"2027-01-02", true, false},  // 2027 make-up Saturday
	}
	for _, tt := range tests {
		d := MustParseDate(tt.date)
		if got := m.IsWorkingDay(d); got != tt.merged {
			t.Errorf("merged IsWorkingDay(%s) = %v; want %v", tt.date, got, tt.merged)
		}
		if got := base.IsWorkingDay(d); got != tt.based {
			t.Errorf("Default IsWorkingDay(%s) = %v after Merge; want %v", tt.date, got, tt.based)
		}
	}
	if src, _ := m.Source(2024); src != "本地测试文件" {
		t.Errorf("Source(2024) = %q", src)
	}
	if src, _ := m.Source(2023); !strings.Contains(src, "国办发明电〔2022〕16号") {
		t.Errorf("Source(2023) = %q", src)
	}
	// 09-30, 10-04, 10-07..10-11: the make-up Sunday 09-29 is gone with 2024.
	if got := m.AddWorkingDays(MustParseDate("2024-09-27"), 7); got.String() != "2024-10-11" {
		t.Errorf("merged AddWorkingDays(2024-09-27, 7) = %v; want 2024-10-11", got)
	}
	if got := base.Merge(nil); !slices.Equal(got.Years(), base.Years()) || got.IsWorkingDay(MustParseDate("2024-10-02")) {
		t.Error("Merge(nil) changed the calendar")
	}

	// Where two years mention the same date the later year wins: a 2018
	// arrangement calling 2018-12-29 a holiday does not override the 2019
	// notice, which made it a working Saturday.
	y2018, err := ParseString("year 2018 测试\n2018-12-29 holiday 测试\n2018-10-01 holiday 国庆节\n")
	if err != nil {
		t.Fatal(err)
	}
	m = base.Merge(y2018)
	if !m.IsWorkingDay(MustParseDate("2018-12-29")) || m.IsWorkingDay(MustParseDate("2018-10-01")) {
		t.Error("later arrangement did not win over 2018")
	}
	if k, name := m.Lookup(MustParseDate("2018-12-29")); k != Workday || name != "元旦调休" {
		t.Errorf("Lookup(2018-12-29) = %v, %q", k, name)
	}
	// And replacing 2019 drops its December 2018 dates.
	y2019, err := ParseString("year 2019 测试\n2019-10-01 holiday 国庆节\n")
	if err != nil {
		t.Fatal(err)
	}
	m = base.Merge(y2019)
	if m.IsWorkingDay(MustParseDate("2018-12-29")) || !m.IsWorkingDay(MustParseDate("2018-12-31")) {
		t.Error("replaced 2019 still affects December 2018")
	}
}

// benchPairs are decision and reception dates spread over the covered years.
func benchPairs() [][2]Date {
	r := rand.New(rand.NewPCG(1, 2))
	lo, hi := Date{2019, 1, 1}.days(), Date{2026, 12, 31}.days()
	p := make([][2]Date, 1024)
	for i := range p {
		a := lo + r.Int64N(hi-lo+1)
		p[i] = [2]Date{fromDays(a), fromDays(a + r.Int64N(30))}
	}
	return p
}

func BenchmarkWorkingDaysBetween(b *testing.B) {
	c, p := Default(), benchPairs()
	s := 0
	i := 0
	for b.Loop() {
		s += c.WorkingDaysBetween(p[i&1023][0], p[i&1023][1])
		i++
	}
	_ = s
}

func BenchmarkAddWorkingDays(b *testing.B) {
	c, p := Default(), benchPairs()
	i := 0
	for b.Loop() {
		_ = c.AddWorkingDays(p[i&1023][0], 7)
		i++
	}
}

func BenchmarkIsWorkingDay(b *testing.B) {
	c, p := Default(), benchPairs()
	i := 0
	for b.Loop() {
		_ = c.IsWorkingDay(p[i&1023][0])
		i++
	}
}

func BenchmarkParseDefault(b *testing.B) {
	for b.Loop() {
		if _, err := ParseString(defaultData); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSegments checks a calendar whose years are not contiguous: the index
// has one segment per run of years and counts correctly across the gaps.
func TestSegments(t *testing.T) {
	extra, err := ParseString("year 2030 测试\n2029-12-30 workday 测试\n2030-01-01..2030-01-03 holiday 元旦\n" +
		"year 2010 测试\n2010-10-01..2010-10-07 holiday 国庆节\n2010-09-26 workday 调休\n" +
		"year 2011 测试\n2010-12-31 holiday 测试\n")
	if err != nil {
		t.Fatal(err)
	}
	c := Default().Merge(extra)
	if len(c.segs) != 3 {
		t.Fatalf("%d segments; want 3 (2010-2011, 2019-2026, 2030)", len(c.segs))
	}
	if c.IsWorkingDay(MustParseDate("2030-01-02")) || !c.IsWorkingDay(MustParseDate("2029-12-30")) ||
		c.IsWorkingDay(MustParseDate("2010-12-31")) || !c.IsWorkingDay(MustParseDate("2028-03-01")) {
		t.Error("IsWorkingDay wrong across segments")
	}
	r := rand.New(rand.NewPCG(7, 7))
	lo, hi := Date{2008, 1, 1}.days(), Date{2032, 12, 31}.days()
	for i := 0; i < 3000; i++ {
		d := fromDays(lo + r.Int64N(hi-lo+1))
		checkProperty(t, c, d, 1+r.IntN(30))
		e := fromDays(lo + r.Int64N(hi-lo+1))
		if got, want := c.WorkingDaysBetween(d, e), naiveBetween(c, d, e); got != want {
			t.Fatalf("WorkingDaysBetween(%v, %v) = %d; naive %d", d, e, got, want)
		}
	}
	for _, d := range []string{"2009-12-31", "2012-01-01", "2018-12-28", "2027-01-01", "2029-12-29", "2030-12-31"} {
		for _, n := range []int{1, 5, 300, -1, -5, -300} {
			checkProperty(t, c, MustParseDate(d), n)
		}
	}
}
