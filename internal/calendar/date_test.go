package calendar

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want Date
		err  string // substring of the error; "" when valid
	}{
		{"2024-10-01", Date{2024, time.October, 1}, ""},
		{"2024-02-29", Date{2024, time.February, 29}, ""},
		{"2000-02-29", Date{2000, time.February, 29}, ""},
		{"0001-01-01", Date{1, time.January, 1}, ""},
		{"9999-12-31", Date{9999, time.December, 31}, ""},
		{"2023-02-29", Date{}, "该日期不存在"},
		{"1900-02-29", Date{}, "no such date"},
		{"2024-04-31", Date{}, "该日期不存在"},
		{"2024-13-01", Date{}, "该日期不存在"},
		{"2024-00-10", Date{}, "该日期不存在"},
		{"2024-01-00", Date{}, "该日期不存在"},
		{"2024-1-01", Date{}, "日期格式应为YYYY-MM-DD"},
		{"2024/01/01", Date{}, "日期格式应为YYYY-MM-DD"},
		{"20240101", Date{}, "日期格式应为YYYY-MM-DD"},
		{"2024-10-01 ", Date{}, "日期格式应为YYYY-MM-DD"},
		{" 2024-10-01", Date{}, "日期格式应为YYYY-MM-DD"},
		{"+024-10-01", Date{}, "日期格式应为YYYY-MM-DD"},
		{"２０２４-10-01", Date{}, "日期格式应为YYYY-MM-DD"},
		{"", Date{}, "日期格式应为YYYY-MM-DD"},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if tt.err == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseDate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if s := got.String(); err == nil && s != tt.in {
				t.Errorf("ParseDate(%q).String() = %q", tt.in, s)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ParseDate(%q) error = %v; want it to contain %q", tt.in, err, tt.err)
		}
	}
}

func TestMustParseDatePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParseDate(\"2024-02-30\") did not panic")
		}
	}()
	MustParseDate("2024-02-30")
}

func TestDateString(t *testing.T) {
	tests := []struct {
		d    Date
		want string
	}{
		{Date{2024, 10, 1}, "2024-10-01"},
		{Date{2024, 2, 30}, "2024-03-01"}, // normalized
		{Date{2024, 13, 1}, "2025-01-01"},
		{Date{2024, 0, 1}, "2023-12-01"},
		{Date{2025, 3, 0}, "2025-02-28"},
		{Date{2024, 2, 29}, "2024-02-29"},
		{Date{2023, 2, 29}, "2023-03-01"},
		{Date{2024, 4, 31}, "2024-05-01"},
		{Date{2024, 12, 31}, "2024-12-31"},
		{Date{0, 1, 1}, "0000-01-01"},
		{Date{9999, 12, 31}, "9999-12-31"},
		{Date{9999, 12, 32}, "+10000-01-01"},
		{Date{12345, 1, 1}, "+12345-01-01"},
		{Date{-1, 1, 1}, "-1-01-01"},
		{Date{}, ""}, // no date
		{Date{0, 0, 1}, "-1-12-01"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("%#v.String() = %q; want %q", tt.d, got, tt.want)
		}
	}
	// Every day of 1600..2400 against package time.
	for tm := time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC); tm.Year() <= 2400; tm = tm.AddDate(0, 0, 1) {
		d := Date{tm.Year(), tm.Month(), tm.Day()}
		if got, want := d.String(), tm.Format(time.DateOnly); got != want {
			t.Fatalf("%#v.String() = %q; want %q", d, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = Date{2024, 10, 1}.String() }); n > 1 {
		t.Errorf("String allocates %v times; want at most 1", n)
	}
}

func TestMakeDate(t *testing.T) {
	for _, tt := range []struct {
		y, m, d int
		ok      bool
	}{
		{2024, 2, 29, true}, {2023, 2, 29, false}, {2000, 2, 29, true}, {1900, 2, 29, false},
		{2024, 1, 31, true}, {2024, 4, 31, false}, {2024, 12, 31, true}, {2024, 13, 1, false},
		{2024, 0, 1, false}, {2024, 1, 0, false}, {2024, 1, -1, false}, {0, 1, 1, true}, {-5, 6, 30, true},
	} {
		got, ok := MakeDate(tt.y, time.Month(tt.m), tt.d)
		want := Date{}
		if tt.ok {
			want = Date{tt.y, time.Month(tt.m), tt.d}
		}
		if ok != tt.ok || got != want {
			t.Errorf("MakeDate(%d, %d, %d) = %#v, %v; want %#v, %v", tt.y, tt.m, tt.d, got, ok, want, tt.ok)
		}
		if ok && NewDate(tt.y, time.Month(tt.m), tt.d) != got {
			t.Errorf("MakeDate(%d, %d, %d) is not normalized", tt.y, tt.m, tt.d)
		}
	}
}

// TestDaysAgainstTime checks the day arithmetic against package time over
// ±250 years around 2000, and normalization like time.Date.
func TestDaysAgainstTime(t *testing.T) {
	start := time.Date(1750, 1, 1, 0, 0, 0, 0, time.UTC)
	epoch := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 500*366; i++ {
		tm := start.AddDate(0, 0, i)
		d := Date{tm.Year(), tm.Month(), tm.Day()}
		z := int64(tm.Sub(epoch).Hours() / 24)
		if got := d.days(); got != z {
			t.Fatalf("%v.days() = %d; want %d", d, got, z)
		}
		if got := fromDays(z); got != d {
			t.Fatalf("fromDays(%d) = %v; want %v", z, got, d)
		}
		if got := d.Weekday(); got != tm.Weekday() {
			t.Fatalf("%v.Weekday() = %v; want %v", d, got, tm.Weekday())
		}
		if got, want := d.IsWeekend(), tm.Weekday() == time.Saturday || tm.Weekday() == time.Sunday; got != want {
			t.Fatalf("%v.IsWeekend() = %v", d, got)
		}
	}
	for _, in := range []Date{{2024, 2, 30}, {2024, 14, 1}, {2024, -1, 31}, {2023, 12, 400}, {2023, 1, -5}} {
		tm := time.Date(in.Year, in.Month, in.Day, 0, 0, 0, 0, time.UTC)
		want := Date{tm.Year(), tm.Month(), tm.Day()}
		if got := NewDate(in.Year, in.Month, in.Day); got != want {
			t.Errorf("NewDate(%d, %d, %d) = %v; want %v", in.Year, in.Month, in.Day, got, want)
		}
		if !in.Equal(want) || in.Compare(want) != 0 {
			t.Errorf("%#v does not equal %v", in, want)
		}
	}
}

func TestWeekdaysThrough(t *testing.T) {
	// Around the origin and far from it, the difference of consecutive
	// values is 1 exactly on Monday to Friday.
	for _, base := range []int64{-800000, -10, 0, 19000, 700000} {
		for z := base; z < base+30; z++ {
			got := weekdaysThrough(z) - weekdaysThrough(z-1)
			want := int64(0)
			if !isWeekendDay(z) {
				want = 1
			}
			if got != want {
				t.Fatalf("weekdaysThrough(%d)-weekdaysThrough(%d) = %d; want %d (%v)", z, z-1, got, want, fromDays(z))
			}
		}
	}
}

func TestFromTime(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2024, 9, 30, 15, 59, 59, 0, time.UTC), "2024-09-30"},
		{time.Date(2024, 9, 30, 16, 0, 0, 0, time.UTC), "2024-10-01"}, // midnight in Beijing
		{time.Date(2024, 10, 1, 0, 30, 0, 0, time.FixedZone("UTC+9", 9*3600)), "2024-09-30"},
		{time.Date(2024, 12, 31, 23, 0, 0, 0, time.FixedZone("UTC-5", -5*3600)), "2025-01-01"},
	}
	for _, tt := range tests {
		if got := FromTime(tt.t).String(); got != tt.want {
			t.Errorf("FromTime(%v) = %s; want %s", tt.t, got, tt.want)
		}
	}
	d := MustParseDate("2024-10-01")
	if got := FromTime(d.Time()); got != d {
		t.Errorf("FromTime(%v.Time()) = %v", d, got)
	}
	if got := d.Time().Format(time.RFC3339); got != "2024-10-01T00:00:00+08:00" {
		t.Errorf("Time() = %s", got)
	}
	if Location().String() != "UTC+8" {
		t.Errorf("Location() = %v", Location())
	}
	if Today().IsZero() {
		t.Error("Today() is zero")
	}
}

func TestDateArithmetic(t *testing.T) {
	d := MustParseDate("2024-02-28")
	for _, tt := range []struct {
		n    int
		want string
	}{{0, "2024-02-28"}, {1, "2024-02-29"}, {2, "2024-03-01"}, {-59, "2023-12-31"}, {366, "2025-02-28"}} {
		got := d.AddDays(tt.n)
		if got.String() != tt.want {
			t.Errorf("%v.AddDays(%d) = %v; want %s", d, tt.n, got, tt.want)
		}
		if got.DaysSince(d) != tt.n {
			t.Errorf("%v.DaysSince(%v) = %d; want %d", got, d, got.DaysSince(d), tt.n)
		}
	}
	a, b := MustParseDate("2024-09-30"), MustParseDate("2024-10-01")
	if !a.Before(b) || a.After(b) || !b.After(a) || b.Before(a) || a.Before(a) || a.After(a) {
		t.Error("Before/After wrong")
	}
	if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Error("Compare wrong")
	}
	if !(Date{}).IsZero() || a.IsZero() {
		t.Error("IsZero wrong")
	}
	if w := MustParseDate("2024-10-01").Weekday(); w != time.Tuesday {
		t.Errorf("2024-10-01 is a %v", w)
	}
}

// TestCompare checks Compare, Before, After and Equal, whose fast path for
// normalized dates must agree with day numbers, also when only one of the
// dates is normalized.
func TestCompare(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := func() Date {
		if r.IntN(4) == 0 { // not normalized
			return Date{1999 + r.IntN(3), time.Month(r.IntN(16) - 1), r.IntN(36) - 2}
		}
		return Date{1999, time.December, 1}.AddDays(r.IntN(3 * 366))
	}
	for range 200000 {
		d, e := random(), random()
		if r.IntN(8) == 0 {
			e = d
		}
		want := 0
		if d.days() < e.days() {
			want = -1
		} else if d.days() > e.days() {
			want = 1
		}
		if got := d.Compare(e); got != want {
			t.Fatalf("%#v.Compare(%#v) = %d; want %d", d, e, got, want)
		}
		if d.Before(e) != (want < 0) || d.After(e) != (want > 0) || d.Equal(e) != (want == 0) {
			t.Fatalf("Before/After/Equal of %#v and %#v disagree with Compare", d, e)
		}
	}
}

func BenchmarkBefore(b *testing.B) {
	d, e := MustParseDate("2019-10-10"), MustParseDate("2019-10-17")
	n := 0
	for b.Loop() {
		if d.Before(e) {
			n++
		}
	}
	if n == 0 {
		b.Fatal("wrong")
	}
}

func BenchmarkParseDate(b *testing.B) {
	for b.Loop() {
		if _, err := ParseDate("2019-10-10"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAddMonths(t *testing.T) {
	for _, c := range []struct {
		d    string
		n    int
		want string
	}{
		{"2026-01-15", 3, "2026-04-15"},
		{"2026-11-30", 3, "2027-02-28"},
		{"2027-11-30", 3, "2028-02-29"},
		{"2026-01-31", 1, "2026-02-28"},
		{"2026-03-31", 1, "2026-04-30"},
		{"2026-12-31", 12, "2027-12-31"},
		{"2024-02-29", 12, "2025-02-28"},
		{"2026-05-10", 36, "2029-05-10"},
		{"2026-05-10", 0, "2026-05-10"},
		{"2026-05-10", -5, "2025-12-10"},
		{"2026-01-10", -13, "2024-12-10"},
	} {
		d, err := ParseDate(c.d)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.AddMonths(c.n).String(); got != c.want {
			t.Errorf("%s + %d months = %s, want %s", c.d, c.n, got, c.want)
		}
	}
}
