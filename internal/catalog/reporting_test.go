package catalog

import (
	"testing"

	"github.com/xinyong/xinyong/internal/calendar"
)

func TestTimeliness(t *testing.T) {
	cal := calendar.Default()
	d := calendar.MustParseDate
	cases := []struct {
		kind               string
		decision, received string
		wd                 int
		late               bool
	}{
		// 2026-09-30 (Wed) is the last working day before 国庆
		// (10-01..10-07); 10-10 (Sat) is a make-up working day.
		{"cf", "2026-09-29", "2026-10-09", 3, false},
		{"cf", "2026-09-21", cal.AddWorkingDays(d("2026-09-21"), 7).String(), 7, false},
		{"cf", "2026-09-21", cal.AddWorkingDays(d("2026-09-21"), 8).String(), 8, true},
		{"xk", "2026-06-01", "2026-06-01", 0, false},
		// Monthly kinds: on time through the last day of the next month.
		{"qz", "2026-03-31", "2026-04-30", 21, false},
		{"qz", "2026-03-01", "2026-05-01", 0, true},
		{"jc", "2026-01-15", "2026-02-28", 0, false},
		{"jc", "2025-12-31", "2026-01-31", 0, false},
		{"jc", "2025-12-31", "2026-02-01", 0, true},
	}
	for _, c := range cases {
		k := kind(t, c.kind)
		wd, late := k.Timeliness(d(c.decision), d(c.received), cal)
		if late != c.late || (c.wd > 0 && wd != c.wd) {
			t.Errorf("%s %s→%s: %d working days, late %v; want %d, %v", c.kind, c.decision, c.received, wd, late, c.wd, c.late)
		}
		if got := k.Overdue(d(c.decision), d(c.received), cal); got != c.late {
			t.Errorf("%s %s overdue on %s: %v", c.kind, c.decision, c.received, got)
		}
	}
	if _, late := kind(t, "cf").Timeliness(calendar.Date{}, d("2026-01-01"), cal); late {
		t.Error("no decision date: late")
	}
	for code, monthly := range map[string]bool{"cf": false, "xk": false, "sx": false, "qz": true, "qr": true, "jl": true, "gf": true, "jc": true} {
		if kind(t, code).Monthly() != monthly {
			t.Errorf("%s monthly %v", code, !monthly)
		}
	}
}

func TestMonthlyDue(t *testing.T) {
	for in, want := range map[string]string{"2026-01-31": "2026-02-28", "2024-01-01": "2024-02-29", "2026-11-30": "2026-12-31", "2026-12-01": "2027-01-31"} {
		if got := MonthlyDue(calendar.MustParseDate(in)).String(); got != want {
			t.Errorf("MonthlyDue(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestAuthorityKey(t *testing.T) {
	for code, want := range map[string]string{"cf": "authority_uscc", "xk": "authority_uscc", "qz": "authority_uscc", "jc": "authority_uscc", "wn": ""} {
		if got := kind(t, code).AuthorityKey(); got != want {
			t.Errorf("%s: %q", code, got)
		}
	}
}

// TestRowIdentity: a rejected row has the identity its corrected version
// will have, unless an identity field itself is wrong.
func TestRowIdentity(t *testing.T) {
	k := kind(t, "cf")
	cols := k.StandardColumns()
	good := cfOrg()
	rec, errs := k.Validate(row(t, k, good), cols, testToday)
	if errs != nil {
		t.Fatal(errs)
	}
	want := rec.IdentityKey(nil)
	person := cfPerson()
	precord, errs := k.Validate(row(t, k, person), cols, testToday)
	if errs != nil {
		t.Fatal(errs)
	}
	cases := []struct {
		name string
		m    map[string]string
		want string
		ok   bool
	}{
		{"valid row", good, want, true},
		{"content missing", with(good, "decision_content", "", "fine_amount", "abc"), want, true},
		{"spaces and full width", with(good, "decision_no", " 榕市监处罚〔2019〕123号　", "decision_date", "2019-13-01"), want, true},
		{"bad subject code", with(good, "subject_uscc", "91350100M000100Y4Z"), "", false},
		{"bad department code", with(good, "source_dept_uscc", "11350100MB2958391"), "", false},
		{"no decision number", with(good, "decision_no", ""), "cf|decision_no=|source_dept_uscc=" + deptUSCC + "|subject_uscc=" + orgUSCC, true},
		{"person, bad penalty date", with(person, "decision_date", "昨天"), precord.IdentityKey(nil), true},
		{"person, bad ID number", with(person, "subject_id_number", "110105194912310021"), "", false},
	}
	for _, c := range cases {
		got, ok := k.RowIdentity(row(t, k, c.m), cols, testToday, nil)
		if ok != c.ok || got != c.want {
			t.Errorf("%s: %q %v, want %q %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestFieldAt(t *testing.T) {
	k := kind(t, "cf")
	cols, err := k.MatchHeader([]string{"备注", "错误原因", "证件号码", "行政相对人名称"})
	if err == nil {
		t.Fatal("a header without required columns matched")
	}
	cols = k.StandardColumns()
	if f := cols.FieldAt(k.FieldIndex("subject_id_number")); f == nil || f.Type != TypeIDNumber {
		t.Errorf("FieldAt: %+v", f)
	}
	if f := cols.FieldAt(len(k.Fields) + 3); f != nil {
		t.Errorf("an extra column maps to %s", f.Key)
	}
}
