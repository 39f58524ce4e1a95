package calendar

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and that its results are
// consistent:
//   - an error is a non-empty ParseErrors whose lines are within the input;
//   - a calendar has only weekend workdays, agrees with its own counting
//     index, round-trips through WriteTo, and merges with Default.
func FuzzParse(f *testing.F) {
	// Small seeds: the minimizer spends long on large interesting inputs,
	// and the whole embedded file is checked by TestEmbeddedData.
	for _, y := range []string{"year 2019", "year 2020", "year 2024", "year 2026"} {
		i := strings.Index(defaultData, y)
		block := defaultData[i:]
		if j := strings.Index(block, "\nyear "); j >= 0 {
			block = block[:j+1]
		}
		f.Add(block)
	}
	f.Add(localFile)
	f.Add("year 2024\n2024-10-01..2024-10-07 holiday 国庆节\n2024-10-05 workday\n")
	f.Add("year 2019\n2018-12-29 workday\nyear 2018\n2018-12-29 holiday\n")
	f.Add("\uFEFFyear 2027\r\n2027-02-13..2027-02-14 上班 春节调休\r\n2026-12-31 放假\r\n")
	f.Add("2024-01-01 holiday\nyear 2024\n2024-02-30 holiday\n2024-12-31..2025-01-01 workday\n")
	f.Add("year 2024\n2024-01-01 holiday \xff\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseString(in)
		if err != nil {
			if c != nil {
				t.Fatal("calendar returned with an error")
			}
			var pes ParseErrors
			if !errors.As(err, &pes) || len(pes) == 0 || len(pes) > maxErrors+1 {
				t.Fatalf("error %T %v", err, err)
			}
			lines := strings.Count(in, "\n") + 1
			for _, e := range pes {
				if e.Line < 0 || e.Line > lines || e.Detail == "" || e.DetailZH == "" {
					t.Fatalf("bad error %+v (input has %d lines)", e, lines)
				}
			}
			return
		}
		for _, s := range c.segs {
			// Each segment, with a margin on both sides (the gaps between
			// segments are at least one day).
			lo, hi := s.first-3, s.first+int64(len(s.kinds))+3
			prev := c.count(lo - 1)
			for z := lo; z <= hi; z++ {
				k := c.kindOf(z)
				if k == Workday && !isWeekendDay(z) {
					t.Fatalf("workday on %v, a %v", fromDays(z), fromDays(z).Weekday())
				}
				n := c.count(z)
				want := int64(0)
				if c.isWorking(z) {
					want = 1
				}
				if n-prev != want {
					t.Fatalf("count step at %v is %d", fromDays(z), n-prev)
				}
				prev = n
			}
		}
		assertRoundTrip(t, c)
		m := Default().Merge(c)
		for _, y := range c.Years() {
			if !m.Covered(y) {
				t.Fatalf("merged calendar does not cover %d", y)
			}
		}
	})
}

// FuzzWorkingDays checks AddWorkingDays and WorkingDaysBetween against
// day-by-day walks for arbitrary dates from 2015 to 2030 and |n| <= 400.
func FuzzWorkingDays(f *testing.F) {
	f.Add(uint16(3560), int16(7))
	f.Add(uint16(0), int16(-1))
	f.Add(uint16(5000), int16(400))
	f.Fuzz(func(t *testing.T, off uint16, n int16) {
		c := Default()
		d := Date{2015, 1, 1}.AddDays(int(off) % (16 * 366))
		checkProperty(t, c, d, int(n)%401)
		e := d.AddDays(int(n))
		if got, want := c.WorkingDaysBetween(d, e), naiveBetween(c, d, e); got != want {
			t.Fatalf("WorkingDaysBetween(%v, %v) = %d; naive %d", d, e, got, want)
		}
	})
}
