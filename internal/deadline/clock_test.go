package deadline

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
)

// at is an instant given in China time, "2006-01-02 15:04".
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Location())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func day(s string) calendar.Date { return calendar.MustParseDate(s) }

// testRules are steps with unusual reminder and escalation settings.
func testRules(t *testing.T) *Rules {
	t.Helper()
	r, err := Parse(strings.NewReader(`{"steps": [
		{"key": "test.four", "name": "四日", "working_days": 4, "remind_days": 1, "escalate_every": 2, "basis": "测试"},
		{"key": "test.quiet", "name": "无提醒", "working_days": 5, "remind_days": 0, "escalate_every": 0, "basis": "测试"},
		{"key": "test.early", "name": "提前提醒", "working_days": 5, "remind_days": 3, "escalate_every": 1, "basis": "测试"}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	return Default().Merge(r)
}

// TestDue checks due dates against the built-in 2026 arrangement
// (holidays.txt): 春节 02-15..02-23 with make-up days Sat 02-14 and Sat
// 02-28; 劳动节 05-01..05-05 with make-up Sat 05-09; 中秋 09-25..09-27 and
// 国庆 10-01..10-07 with make-up days Sun 09-20 and Sat 10-10.
func TestDue(t *testing.T) {
	clock := Clock{}
	tests := []struct {
		name  string
		step  string
		start string // China time
		due   string
	}{
		{"mark on the last working day before 国庆", "objection.mark", "2026-09-30 16:00", "2026-10-08"},
		{"mark late in the evening before 国庆", "objection.mark", "2026-09-30 23:59", "2026-10-08"},
		{"mark the day before", "objection.mark", "2026-09-29 23:59", "2026-09-30"},
		{"mark received on a holiday (国庆)", "objection.mark", "2026-10-03 10:00", "2026-10-08"},
		{"mark received on the first day of 国庆", "objection.mark", "2026-10-01 00:00", "2026-10-08"},
		{"mark received on the last day of 国庆", "objection.mark", "2026-10-07 12:00", "2026-10-08"},
		{"mark received on make-up Saturday 10-10, not counted", "objection.mark", "2026-10-10 09:00", "2026-10-12"},
		{"forward received on make-up Saturday 10-10", "objection.forward", "2026-10-10 09:00", "2026-10-13"},
		{"notify from 09-30 ends on make-up Saturday 10-10", "objection.notify", "2026-09-30 09:00", "2026-10-10"},
		{"forward counts make-up Sunday 09-20", "objection.forward", "2026-09-18 17:00", "2026-09-21"},
		{"decide across 中秋 and 国庆", "objection.decide", "2026-09-24 09:00", "2026-10-09"},
		{"decide across 春节 from Thursday", "objection.decide", "2026-02-12 09:00", "2026-02-26"},
		{"decide across 春节 from Friday", "objection.decide", "2026-02-13 09:00", "2026-02-27"},
		{"decide from make-up Saturday 02-14 ends on make-up Saturday 02-28", "objection.decide", "2026-02-14 09:00", "2026-02-28"},
		{"decide received during 春节", "objection.decide", "2026-02-18 09:00", "2026-02-28"},
		{"repair answer across 劳动节 with make-up Saturday 05-09", "repair.accept", "2026-04-28 10:00", "2026-05-14"},
		{"repair answer received on 劳动节", "repair.accept", "2026-05-02 10:00", "2026-05-18"},
		{"repair decide over an ordinary weekend", "repair.decide", "2026-03-06 10:00", "2026-03-11"},
		{"repair decide received on an ordinary Sunday", "repair.decide", "2026-03-08 10:00", "2026-03-11"},
		{"repair sync across 清明 04-04..04-06", "repair.sync", "2026-04-02 10:00", "2026-04-08"},
		{"review across 元旦 with make-up Sunday 01-04", "objection.review", "2025-12-31 10:00", "2026-01-08"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := clock.Start(tt.step, at(t, tt.start))
			if err != nil {
				t.Fatal(err)
			}
			if got := tm.Due.String(); got != tt.due {
				t.Errorf("Start(%s, %s).Due = %s %s, want %s", tt.step, tt.start, got, tm.Due.Weekday(), tt.due)
			}
			if tm.Provisional {
				t.Error("provisional within covered years")
			}
			if tm.Step != tt.step || !tm.Started.Equal(at(t, tt.start)) || !tm.Done.IsZero() {
				t.Errorf("timer %+v", tm)
			}
		})
	}
}

// TestDueZone checks that the day is the date in China, whatever the
// instant's zone.
func TestDueZone(t *testing.T) {
	clock := Clock{}
	tests := []struct {
		utc string
		due string
	}{
		{"2026-09-29T15:59:00Z", "2026-09-30"}, // 09-29 23:59 in China
		{"2026-09-29T16:00:00Z", "2026-10-08"}, // 09-30 00:00 in China
		{"2026-10-09T16:30:00Z", "2026-10-12"}, // Saturday 10-10 00:30 in China
	}
	for _, tt := range tests {
		start, err := time.Parse(time.RFC3339, tt.utc)
		if err != nil {
			t.Fatal(err)
		}
		tm, err := clock.Start("objection.mark", start)
		if err != nil {
			t.Fatal(err)
		}
		if tm.Due.String() != tt.due {
			t.Errorf("start %s: due %s, want %s", tt.utc, tm.Due, tt.due)
		}
	}
}

func TestStartErrors(t *testing.T) {
	clock := Clock{}
	if _, err := clock.Start("objection.nope", at(t, "2026-03-02 09:00")); err == nil || !strings.Contains(err.Error(), `unknown step "objection.nope"`) {
		t.Errorf("unknown step: %v", err)
	}
	if _, err := clock.Start("objection.mark", time.Time{}); err == nil || !strings.Contains(err.Error(), "zero time") {
		t.Errorf("zero start: %v", err)
	}
	// A step added by an operator's rules is known to a clock with them
	// only.
	rules := testRules(t)
	if _, err := (Clock{Rules: rules}).Start("test.four", at(t, "2026-03-02 09:00")); err != nil {
		t.Error(err)
	}
	if _, err := clock.Start("test.four", at(t, "2026-03-02 09:00")); err == nil {
		t.Error("default clock knows test.four")
	}
}

// TestStatus walks timers through their states. objection.decide (5
// working days, RemindDays 1, EscalateEvery 2) started on Monday
// 2026-03-02 is due on Monday 2026-03-09.
func TestStatus(t *testing.T) {
	clock := Clock{Rules: testRules(t)}
	type want struct {
		state State
		left  int
		level int
		took  int
	}
	tests := []struct {
		name  string
		step  string
		start string
		due   string
		done  string // "" = open
		now   string
		want  want
	}{
		// Open, reminder, due day.
		{"start day", "objection.decide", "2026-03-02 09:00", "2026-03-09", "", "2026-03-02 09:00", want{Open, 5, 0, 0}},
		{"two working days left", "objection.decide", "2026-03-02 09:00", "2026-03-09", "", "2026-03-05 18:00", want{Open, 2, 0, 0}},
		{"one working day left: remind", "objection.decide", "2026-03-02 09:00", "2026-03-09", "", "2026-03-06 09:00", want{DueSoon, 1, 0, 0}},
		{"weekend before the due day", "objection.decide", "2026-03-02 09:00", "2026-03-09", "", "2026-03-08 12:00", want{DueSoon, 1, 0, 0}},
		{"due day morning", "objection.decide", "2026-03-02 09:00", "2026-03-09", "", "2026-03-09 00:00", want{DueSoon, 0, 0, 0}},
		{"due day last minute", "objection.decide", "2026-03-02 09:00", "2026-03-09", "", "2026-03-09 23:59", want{DueSoon, 0, 0, 0}},
		// Overdue and escalation: levels 1, 1, 2, 2, 3 for 1..5 working days overdue.
		{"first day after: overdue level 1", "objection.decide", "2026-03-02 09:00", "2026-03-09", "", "2026-03-10 00:00", want{Overdue, -1, 1, 0}},
		{"2 working days overdue", "objection.decide", "2026-03-02 09:00", "2026-03-09", "", "2026-03-11 10:00", want{Overdue, -2, 1, 0}},
		{"3 working days overdue: level 2", "objection.decide", "2026-03-02 09:00", "2026-03-09", "", "2026-03-12 10:00", want{Overdue, -3, 2, 0}},
		{"4 working days overdue", "objection.decide", "2026-03-02 09:00", "2026-03-09", "", "2026-03-13 10:00", want{Overdue, -4, 2, 0}},
		{"weekend: still 4", "objection.decide", "2026-03-02 09:00", "2026-03-09", "", "2026-03-15 10:00", want{Overdue, -4, 2, 0}},
		{"5 working days overdue: level 3", "objection.decide", "2026-03-02 09:00", "2026-03-09", "", "2026-03-16 10:00", want{Overdue, -5, 3, 0}},
		{"7 working days overdue: level 4", "objection.decide", "2026-03-02 09:00", "2026-03-09", "", "2026-03-18 10:00", want{Overdue, -7, 4, 0}},
		// A Friday due day: the weekend after it is overdue with Left 0.
		{"Friday due day", "test.four", "2026-03-02 09:00", "2026-03-06", "", "2026-03-06 17:00", want{DueSoon, 0, 0, 0}},
		{"Saturday after a Friday due day", "test.four", "2026-03-02 09:00", "2026-03-06", "", "2026-03-07 09:00", want{Overdue, 0, 1, 0}},
		{"Sunday after a Friday due day", "test.four", "2026-03-02 09:00", "2026-03-06", "", "2026-03-08 23:00", want{Overdue, 0, 1, 0}},
		{"Monday after a Friday due day", "test.four", "2026-03-02 09:00", "2026-03-06", "", "2026-03-09 09:00", want{Overdue, -1, 1, 0}},
		// Overdue across a holiday: due Wednesday 09-30, 国庆 days do not count.
		{"overdue over 国庆", "objection.decide", "2026-09-22 09:00", "2026-09-30", "", "2026-10-07 09:00", want{Overdue, 0, 1, 0}},
		{"overdue after 国庆", "objection.decide", "2026-09-22 09:00", "2026-09-30", "", "2026-10-09 09:00", want{Overdue, -2, 1, 0}},
		{"overdue to make-up Saturday 10-10", "objection.decide", "2026-09-22 09:00", "2026-09-30", "", "2026-10-10 09:00", want{Overdue, -3, 2, 0}},
		// RemindDays 0: DueSoon on the due day only; EscalateEvery 0: one level.
		{"quiet: the day before", "test.quiet", "2026-03-02 09:00", "2026-03-09", "", "2026-03-06 09:00", want{Open, 1, 0, 0}},
		{"quiet: due day", "test.quiet", "2026-03-02 09:00", "2026-03-09", "", "2026-03-09 09:00", want{DueSoon, 0, 0, 0}},
		{"quiet: long overdue stays level 1", "test.quiet", "2026-03-02 09:00", "2026-03-09", "", "2026-04-30 09:00", want{Overdue, -37, 1, 0}},
		// RemindDays 3, EscalateEvery 1.
		{"early: 4 left", "test.early", "2026-03-02 09:00", "2026-03-09", "", "2026-03-03 09:00", want{Open, 4, 0, 0}},
		{"early: 3 left", "test.early", "2026-03-02 09:00", "2026-03-09", "", "2026-03-04 09:00", want{DueSoon, 3, 0, 0}},
		{"early: 1 overdue, level 1", "test.early", "2026-03-02 09:00", "2026-03-09", "", "2026-03-10 09:00", want{Overdue, -1, 1, 0}},
		{"early: 2 overdue, level 2", "test.early", "2026-03-02 09:00", "2026-03-09", "", "2026-03-11 09:00", want{Overdue, -2, 2, 0}},
		{"early: 3 overdue, level 3", "test.early", "2026-03-02 09:00", "2026-03-09", "", "2026-03-12 09:00", want{Overdue, -3, 3, 0}},
		// Done.
		{"done on the due day", "objection.decide", "2026-03-02 09:00", "2026-03-09", "2026-03-09 23:59", "2026-04-30 09:00", want{DoneOnTime, 0, 0, 5}},
		{"done early", "objection.decide", "2026-03-02 09:00", "2026-03-09", "2026-03-04 11:00", "2026-03-20 09:00", want{DoneOnTime, 3, 0, 2}},
		{"done on the start day", "objection.decide", "2026-03-02 09:00", "2026-03-09", "2026-03-02 17:00", "2026-03-02 18:00", want{DoneOnTime, 5, 0, 0}},
		{"done the next working day", "objection.decide", "2026-03-02 09:00", "2026-03-09", "2026-03-10 00:00", "2026-03-10 09:00", want{DoneLate, -1, 0, 6}},
		{"done 3 working days late", "objection.decide", "2026-03-02 09:00", "2026-03-09", "2026-03-12 10:00", "2026-03-30 09:00", want{DoneLate, -3, 0, 8}},
		{"done the Saturday after a Friday due day", "test.four", "2026-03-02 09:00", "2026-03-06", "2026-03-07 10:00", "2026-03-07 11:00", want{DoneLate, 0, 0, 4}},
		{"done on a make-up Saturday due day", "objection.decide", "2026-02-14 09:00", "2026-02-28", "2026-02-28 16:00", "2026-03-02 09:00", want{DoneOnTime, 0, 0, 5}},
		{"done during 春节, before the due day", "objection.decide", "2026-02-12 09:00", "2026-02-26", "2026-02-20 16:00", "2026-03-02 09:00", want{DoneOnTime, 3, 0, 2}},
		{"done before now: now is ignored", "objection.mark", "2026-09-30 09:00", "2026-10-08", "2026-10-08 10:00", "2027-06-01 09:00", want{DoneOnTime, 0, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := clock.Start(tt.step, at(t, tt.start))
			if err != nil {
				t.Fatal(err)
			}
			if tm.Due.String() != tt.due {
				t.Fatalf("due %s, want %s", tm.Due, tt.due)
			}
			if tt.done != "" {
				tm.Done = at(t, tt.done)
			}
			st := clock.Status(tm, at(t, tt.now))
			got := want{st.State, st.Left, st.Level, st.Took}
			if got != tt.want {
				t.Errorf("Status at %s = %+v, want %+v", tt.now, got, tt.want)
			}
			if st.Provisional {
				t.Error("provisional")
			}
		})
	}
}

// TestStatusStoredDue checks that Status uses the stored due date, computes
// a missing one, and falls back for steps the rules no longer know.
func TestStatusStoredDue(t *testing.T) {
	clock := Clock{}
	// A stored due date (say from older rules with 6 days) is kept.
	tm := Timer{Step: "objection.decide", Started: at(t, "2026-03-02 09:00"), Due: day("2026-03-10")}
	if st := clock.Status(tm, at(t, "2026-03-10 12:00")); st.State != DueSoon || st.Left != 0 {
		t.Errorf("stored due: %+v", st)
	}
	// A zero due date is computed as Start would: 2026-03-09.
	tm.Due = calendar.Date{}
	if st := clock.Status(tm, at(t, "2026-03-10 12:00")); st.State != Overdue || st.Left != -1 || st.Level != 1 {
		t.Errorf("computed due: %+v", st)
	}
	// An unknown step: remind on the due day only, one level.
	tm = Timer{Step: "old.step", Started: at(t, "2026-03-02 09:00"), Due: day("2026-03-09")}
	for _, c := range []struct {
		now   string
		state State
		level int
	}{
		{"2026-03-06 09:00", Open, 0},
		{"2026-03-09 09:00", DueSoon, 0},
		{"2026-03-20 09:00", Overdue, 1},
	} {
		if st := clock.Status(tm, at(t, c.now)); st.State != c.state || st.Level != c.level {
			t.Errorf("unknown step at %s: %+v", c.now, st)
		}
	}
}

func TestProvisional(t *testing.T) {
	clock := Clock{}
	tests := []struct {
		step  string
		start string
		due   string
		prov  bool
	}{
		{"objection.decide", "2026-12-28 09:00", "2027-01-04", true},  // runs into 2027, not covered
		{"objection.mark", "2026-12-31 09:00", "2027-01-01", true},    // 2027-01-01 counted as a working day: surely wrong
		{"objection.decide", "2026-10-20 09:00", "2026-10-27", false}, // within 2026
		{"repair.accept", "2026-11-02 09:00", "2026-11-16", false},    // within 2026, before December
		{"repair.decide", "2026-12-01 09:00", "2026-12-04", true},     // December 2026: the 2027 notice may move it
		{"repair.decide", "2025-12-01 09:00", "2025-12-04", false},    // December 2025: 2026 is covered
		{"objection.review", "2025-12-31 09:00", "2026-01-08", false}, // across a covered New Year
		{"objection.mark", "2018-12-20 09:00", "2018-12-21", true},    // 2018 is not covered
		{"objection.mark", "2018-12-30 09:00", "2019-01-02", true},    // counts 2018-12-31, of the uncovered year 2018
		{"objection.mark", "2018-12-31 09:00", "2019-01-02", false},   // only 2019 days counted
	}
	for _, tt := range tests {
		tm, err := clock.Start(tt.step, at(t, tt.start))
		if err != nil {
			t.Fatal(err)
		}
		if tm.Due.String() != tt.due || tm.Provisional != tt.prov {
			t.Errorf("Start(%s, %s) = due %s provisional %v, want %s %v", tt.step, tt.start, tm.Due, tm.Provisional, tt.due, tt.prov)
		}
		if st := clock.Status(tm, tm.Started); st.Provisional != tt.prov {
			t.Errorf("Status(%s from %s).Provisional = %v", tt.step, tt.start, st.Provisional)
		}
	}

	// Counting into an uncovered year makes a Status provisional, too.
	tm, _ := clock.Start("objection.decide", at(t, "2026-10-20 09:00"))
	if st := clock.Status(tm, at(t, "2027-01-05 09:00")); !st.Provisional || st.State != Overdue {
		t.Errorf("overdue into 2027: %+v", st)
	}
	tm.Done = at(t, "2027-01-05 09:00")
	if st := clock.Status(tm, at(t, "2027-01-05 09:00")); !st.Provisional || st.State != DoneLate {
		t.Errorf("done in 2027: %+v", st)
	}

	// With the 2027 arrangement loaded, the same start is final.
	y2027, err := calendar.ParseString("year 2027 测试安排\n2027-01-01 holiday 元旦\n")
	if err != nil {
		t.Fatal(err)
	}
	loaded := Clock{Calendar: calendar.Default().Merge(y2027)}
	tm, err = loaded.Start("objection.decide", at(t, "2026-12-28 09:00"))
	if err != nil {
		t.Fatal(err)
	}
	if tm.Provisional || tm.Due.String() != "2027-01-05" {
		t.Errorf("with 2027 loaded: due %s provisional %v", tm.Due, tm.Provisional)
	}

	// A calendar without data settles nothing.
	bare := Clock{Calendar: new(calendar.Calendar)}
	tm, _ = bare.Start("objection.mark", at(t, "2026-09-30 09:00"))
	if !tm.Provisional || tm.Due.String() != "2026-10-01" {
		t.Errorf("bare calendar: due %s provisional %v", tm.Due, tm.Provisional)
	}
}

func TestLabel(t *testing.T) {
	want := map[State]string{
		Open:       "办理中",
		DueSoon:    "即将到期",
		Overdue:    "已逾期",
		DoneOnTime: "按期办结",
		DoneLate:   "逾期办结",
	}
	for s, l := range want {
		if s.Label() != l {
			t.Errorf("%s.Label() = %s, want %s", s, s.Label(), l)
		}
		if s.Finished() != (s == DoneOnTime || s == DoneLate) {
			t.Errorf("%s.Finished() = %v", s, s.Finished())
		}
	}
	if State("x").Label() != "x" {
		t.Error("unknown state label")
	}
}

// TestRandomStarts checks the engine against a day-by-day count over many
// random start instants in the covered years 2019-2026, for every default
// step and some longer limits.
func TestRandomStarts(t *testing.T) {
	cal := calendar.Default()
	extra, err := Parse(strings.NewReader(`{"steps": [
		{"key": "test.long", "name": "长期", "working_days": 30, "remind_days": 5, "escalate_every": 3, "basis": "测试"},
		{"key": "test.year", "name": "一年", "working_days": 250, "remind_days": 0, "escalate_every": 0, "basis": "测试"}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	rules := Default().Merge(extra)
	clock := Clock{Rules: rules, Calendar: cal}
	steps := rules.Steps()

	// nextWorking is the first working day after d, by brute force.
	nextWorking := func(d calendar.Date) calendar.Date {
		for d = d.AddDays(1); !cal.IsWorkingDay(d); d = d.AddDays(1) {
		}
		return d
	}
	rng := rand.New(rand.NewPCG(2026, 1))
	lo := time.Date(2019, 1, 1, 0, 0, 0, 0, calendar.Location()).Unix()
	hi := time.Date(2027, 1, 1, 0, 0, 0, 0, calendar.Location()).Unix()
	n := 3000
	if testing.Short() {
		n = 300
	}
	for range n {
		start := time.Unix(lo+rng.Int64N(hi-lo), 0).UTC()
		s := steps[rng.IntN(len(steps))]
		tm, err := clock.Start(s.Key, start)
		if err != nil {
			t.Fatal(err)
		}
		startDay := calendar.FromTime(start)
		if startDay.Year < 2019 || startDay.Year > 2026 {
			t.Fatalf("start %v outside the test range", start)
		}

		// Due by counting working days one by one.
		want := startDay
		for range s.WorkingDays {
			want = nextWorking(want)
		}
		if !tm.Due.Equal(want) {
			t.Fatalf("%s from %s: due %s, want %s", s.Key, startDay, tm.Due, want)
		}
		if !cal.IsWorkingDay(tm.Due) {
			t.Fatalf("%s from %s: due %s is not a working day", s.Key, startDay, tm.Due)
		}
		if got := cal.WorkingDaysBetween(startDay, tm.Due); got != s.WorkingDays {
			t.Fatalf("%s from %s: %d working days to due %s", s.Key, startDay, got, tm.Due)
		}
		if wantProv := tm.Due.Year > 2026 || tm.Due.Month == time.December && tm.Due.Year == 2026; tm.Provisional != wantProv {
			t.Fatalf("%s from %s: due %s provisional %v", s.Key, startDay, tm.Due, tm.Provisional)
		}

		// On the start day, Left is the whole limit.
		if st := clock.Status(tm, start); st.Left != s.WorkingDays || st.State == Overdue || st.Level != 0 {
			t.Fatalf("%s from %s: at start %+v", s.Key, startDay, st)
		}
		// On the due day (any time): not overdue, Left 0, reminded.
		dueAt := tm.Due.Time().Add(time.Duration(rng.Int64N(int64(24 * time.Hour))))
		if st := clock.Status(tm, dueAt); st.State != DueSoon || st.Left != 0 || st.Level != 0 {
			t.Fatalf("%s from %s: on due day %s %+v", s.Key, startDay, dueAt, st)
		}
		// The next calendar day: overdue, level 1.
		after := tm.Due.AddDays(1)
		st := clock.Status(tm, after.Time())
		wantLeft := 0
		if cal.IsWorkingDay(after) {
			wantLeft = -1
		}
		if st.State != Overdue || st.Left != wantLeft || st.Level != 1 {
			t.Fatalf("%s from %s: day after due %s %+v", s.Key, startDay, after, st)
		}
		// Done then: late, Took counts the working days from start.
		tm.Done = after.Time().Add(time.Hour)
		st = clock.Status(tm, time.Time{})
		if st.State != DoneLate || st.Took != s.WorkingDays-wantLeft || st.Level != 0 {
			t.Fatalf("%s from %s: done %s %+v", s.Key, startDay, after, st)
		}
		// Done on the due day: on time.
		tm.Done = dueAt
		if st := clock.Status(tm, time.Time{}); st.State != DoneOnTime || st.Took != s.WorkingDays || st.Left != 0 {
			t.Fatalf("%s from %s: done on due day %+v", s.Key, startDay, st)
		}

		// A random instant while open: Left and State by brute force.
		now := start.Add(time.Duration(rng.Int64N(int64(60 * 24 * time.Hour))))
		today := calendar.FromTime(now)
		left := 0
		for d := today; d.Before(tm.Due); {
			d = d.AddDays(1)
			if cal.IsWorkingDay(d) {
				left++
			}
		}
		for d := tm.Due; d.Before(today); {
			d = d.AddDays(1)
			if cal.IsWorkingDay(d) {
				left--
			}
		}
		var wantState State
		wantLevel := 0
		switch {
		case today.After(tm.Due):
			wantState, wantLevel = Overdue, 1
			if s.EscalateEvery > 0 && -left > 1 {
				wantLevel += (-left - 1) / s.EscalateEvery
			}
		case left <= s.RemindDays:
			wantState = DueSoon
		default:
			wantState = Open
		}
		tm.Done = time.Time{}
		if st := clock.Status(tm, now); st.Left != left || st.State != wantState || st.Level != wantLevel {
			t.Fatalf("%s from %s due %s, at %s: %+v, want left %d %s level %d", s.Key, startDay, tm.Due, today, st, left, wantState, wantLevel)
		}
	}
}
