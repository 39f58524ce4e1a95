package objection

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/deadline"
)

var clock = deadline.Clock{}

// at is an instant in China time.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Location())
	if err != nil {
		panic(err)
	}
	return t
}

// mustCase returns a function taking what NewCase and Apply return.
func mustCase(t *testing.T) func(Case, error) Case {
	return func(c Case, err error) Case {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}

// inState builds a case in each state by the shortest path.
func inState(t *testing.T, s State) Case {
	t.Helper()
	c := mustCase(t)(NewCase(clock, at("2026-11-02 09:00"), at("2026-11-02 09:00"), Applicant, "处罚决定书号有误"))
	step := func(a Action, r Role, o Outcome, when string) {
		t.Helper()
		c = mustCase(t)(c.Apply(clock, Input{Action: a, Role: r, Outcome: o, At: at(when), Note: "理由"}))
	}
	switch s {
	case Pending:
	case Decided:
		step(Decide, Department, Uphold, "2026-11-04 10:00")
	case Reviewing:
		step(Decide, Department, Uphold, "2026-11-04 10:00")
		step(RequestReview, Applicant, "", "2026-11-05 10:00")
	case Closed:
		step(Decide, Department, Uphold, "2026-11-04 10:00")
		step(RequestReview, Applicant, "", "2026-11-05 10:00")
		step(DecideReview, Superior, Correct, "2026-11-09 10:00")
	case Rejected:
		step(Reject, Platform, "", "2026-11-03 10:00")
	case Withdrawn:
		step(Withdraw, Applicant, "", "2026-11-03 10:00")
	}
	if c.State != s {
		t.Fatalf("built %s, want %s", c.State, s)
	}
	return c
}

// TestTransitions tries every action by every role from every state: the
// allowed ones (and only those) lead to the expected state.
func TestTransitions(t *testing.T) {
	type key struct {
		from   State
		action Action
		role   Role
	}
	allowed := map[key]State{
		{Pending, Reject, Platform}:         Rejected,
		{Pending, Decide, Department}:       Decided,
		{Pending, Withdraw, Applicant}:      Withdrawn,
		{Decided, RequestReview, Applicant}: Reviewing,
		{Reviewing, DecideReview, Superior}: Closed,
		{Reviewing, Withdraw, Applicant}:    Withdrawn,
	}
	roles := []Role{Applicant, Department, Superior, Platform}
	n := 0
	for _, from := range States {
		for _, a := range Actions {
			for _, r := range roles {
				c := inState(t, from)
				in := Input{Action: a, Role: r, At: at("2026-11-20 10:00"), Note: "理由"}
				if a == Decide || a == DecideReview {
					in.Outcome = Revoke
				}
				got, err := c.Apply(clock, in)
				want, ok := allowed[key{from, a, r}]
				switch {
				case ok && err != nil:
					t.Errorf("%s %s by %s: refused: %v", from, a, r, err)
				case ok && got.State != want:
					t.Errorf("%s %s by %s: %s, want %s", from, a, r, got.State, want)
				case !ok && err == nil:
					t.Errorf("%s %s by %s: allowed (to %s)", from, a, r, got.State)
				case !ok && !errors.Is(err, ErrRefused):
					t.Errorf("%s %s by %s: %v is not a refusal", from, a, r, err)
				case !ok && got.State != from:
					t.Errorf("%s %s by %s: refused but state changed to %s", from, a, r, got.State)
				}
				if ok && err == nil {
					n++
					if last := got.History[len(got.History)-1]; last.From != from || last.To != want || last.Action != a || last.Role != r {
						t.Errorf("%s %s by %s: history %+v", from, a, r, last)
					}
					if len(got.History) != len(c.History)+1 {
						t.Errorf("%s %s: history %d → %d entries", from, a, len(c.History), len(got.History))
					}
					if got.Marks() != (want == Pending || want == Reviewing) {
						t.Errorf("%s: Marks = %v", want, got.Marks())
					}
				}
			}
		}
	}
	if n != len(allowed) {
		t.Errorf("%d transitions allowed, want %d", n, len(allowed))
	}
}

func TestRefusalsSayWhy(t *testing.T) {
	pending := inState(t, Pending)
	closed := inState(t, Closed)
	cases := []struct {
		name string
		c    Case
		in   Input
		want string
	}{
		{"no outcome", pending, Input{Action: Decide, Role: Department, At: at("2026-11-03 10:00"), Note: "核实"}, "请选择处理结果"},
		{"no reasons", pending, Input{Action: Decide, Role: Department, Outcome: Uphold, At: at("2026-11-03 10:00")}, "请填写处理理由"},
		{"blank reasons", pending, Input{Action: Reject, Role: Platform, At: at("2026-11-03 10:00"), Note: " \n "}, "请填写不予受理的理由"},
		{"long reasons", pending, Input{Action: Reject, Role: Platform, At: at("2026-11-03 10:00"), Note: strings.Repeat("长", MaxReasonRunes+1)}, "最多2000字，现有2001字"},
		{"control character", pending, Input{Action: Reject, Role: Platform, At: at("2026-11-03 10:00"), Note: "a\x00b"}, "无法显示的字符"},
		{"direction override", pending, Input{Action: Reject, Role: Platform, At: at("2026-11-03 10:00"), Note: "理由\u202E理受不"}, "不予受理的理由含有改变文字显示方向的控制字符（U+202E）"},
		{"direction isolate", pending, Input{Action: Decide, Role: Department, Outcome: Uphold, At: at("2026-11-03 10:00"), Note: "\u2068核实\u2069"}, "处理理由含有改变文字显示方向的控制字符（U+2068）"},
		{"wrong role", pending, Input{Action: Decide, Role: Superior, Outcome: Uphold, At: at("2026-11-03 10:00"), Note: "x"}, "上级单位不能核查处理"},
		{"wrong state", pending, Input{Action: RequestReview, Role: Applicant, At: at("2026-11-03 10:00"), Note: "x"}, "异议核查中时不能申请复核"},
		{"second review", closed, Input{Action: RequestReview, Role: Applicant, At: at("2026-11-20 10:00"), Note: "x"}, "只能申请一次复核"},
		{"final", closed, Input{Action: Withdraw, Role: Applicant, At: at("2026-11-20 10:00")}, "异议已复核办结，不能再撤回"},
		{"back in time", pending, Input{Action: Withdraw, Role: Applicant, At: at("2026-11-01 10:00")}, "操作时间早于上一步"},
		{"outcome on withdraw", pending, Input{Action: Withdraw, Role: Applicant, Outcome: Revoke, At: at("2026-11-03 10:00")}, "撤回不带处理结果"},
	}
	for _, c := range cases {
		before := len(c.c.History)
		got, err := c.c.Apply(clock, c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if len(got.History) != before || got.State != c.c.State {
			t.Errorf("%s: a refusal changed the case", c.name)
		}
	}
	for _, bad := range []struct {
		role              Role
		received, entered string
		reasons, want     string
	}{
		{Department, "2026-11-02 09:00", "2026-11-02 09:00", "x", "异议只能由申请人提出"},
		{Applicant, "2026-11-02 09:00", "2026-11-01 09:00", "x", "不能晚于录入时间"},
		{Applicant, "2026-11-02 09:00", "2026-11-02 09:00", "", "请填写异议理由"},
		{Applicant, "2026-11-02 09:00", "2026-11-02 09:00", "金额\u202E元万05", "异议理由含有改变文字显示方向的控制字符（U+202E）"},
	} {
		if _, err := NewCase(clock, at(bad.received), at(bad.entered), bad.role, bad.reasons); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("NewCase(%s, %q): %v, want %q", bad.role, bad.reasons, err, bad.want)
		}
	}
}

// TestDeadlinesOverHoliday runs cases across 国庆 2026 (10-01..10-07 off,
// Saturday 10-10 a make-up working day).
func TestDeadlinesOverHoliday(t *testing.T) {
	// Filed online on the last working day before the holiday: decided
	// within 5 working days, 10-08, 10-09, 10-10 (make-up), 10-12, 10-13.
	c := mustCase(t)(NewCase(clock, at("2026-09-30 16:30"), at("2026-09-30 16:30"), Applicant, "罚款金额有误"))
	timer, st, ok := c.Due(clock, at("2026-10-12 09:00"))
	if !ok || timer.Step != StepDecide || timer.Due.String() != "2026-10-13" || st.State != deadline.DueSoon || st.Left != 1 {
		t.Fatalf("decide timer %+v, status %+v", timer, st)
	}
	if _, st, _ := c.Due(clock, at("2026-10-14 09:00")); st.State != deadline.Overdue || st.Level != 1 {
		t.Errorf("the day after: %+v", st)
	}
	for _, step := range []string{StepMark, StepForward} {
		if tm := timerOf(t, c, step); clock.Status(tm, time.Time{}).State != deadline.DoneOnTime {
			t.Errorf("%s of an online objection: %+v", step, clock.Status(tm, time.Time{}))
		}
	}
	// Decided on the make-up Saturday: on time; the applicant is told at once.
	d := mustCase(t)(c.Apply(clock, Input{Action: Decide, Role: Department, Outcome: Correct, At: at("2026-10-10 11:00"), Note: "金额录入错误，已更正"}))
	if st := clock.Status(timerOf(t, d, StepDecide), time.Time{}); st.State != deadline.DoneOnTime || st.Took != 3 {
		t.Errorf("decided on the make-up Saturday: %+v", st)
	}
	if st := clock.Status(timerOf(t, d, StepNotify), time.Time{}); st.State != deadline.DoneOnTime {
		t.Errorf("notify: %+v", st)
	}
	if _, _, ok := d.Due(clock, at("2026-10-10 12:00")); ok {
		t.Error("a decided case still waits on someone")
	}
	// A re-review asked on Friday 10-16 is due five working days later, 10-23.
	r := mustCase(t)(d.Apply(clock, Input{Action: RequestReview, Role: Applicant, At: at("2026-10-16 17:00"), Note: "更正后仍有误"}))
	if tm, _, _ := r.Due(clock, at("2026-10-16 17:00")); tm.Step != StepReview || tm.Due.String() != "2026-10-23" {
		t.Errorf("review timer %+v", tm)
	}
	// Decided late, on Monday 10-26.
	f := mustCase(t)(r.Apply(clock, Input{Action: DecideReview, Role: Superior, Outcome: Uphold, At: at("2026-10-26 10:00"), Note: "更正无误"}))
	if st := clock.Status(timerOf(t, f, StepReview), time.Time{}); st.State != deadline.DoneLate || st.Left != -1 {
		t.Errorf("late review: %+v", st)
	}
	if o, why := f.Final(); o != Uphold || why != "更正无误" {
		t.Errorf("final outcome %s %q", o, why)
	}
	if o, _ := d.Final(); o != Correct {
		t.Errorf("outcome before review %s", o)
	}

	// A paper objection received on 09-29 and entered after the holiday:
	// marking (due 09-30) and forwarding (due 10-08) were late.
	p := mustCase(t)(NewCase(clock, at("2026-09-29 10:00"), at("2026-10-09 09:00"), Platform, "书面异议：非本企业"))
	want := map[string]string{StepMark: "2026-09-30", StepForward: "2026-10-08"}
	for step, due := range want {
		tm := timerOf(t, p, step)
		if tm.Due.String() != due || clock.Status(tm, time.Time{}).State != deadline.DoneLate {
			t.Errorf("%s: due %s, %+v", step, tm.Due, clock.Status(tm, time.Time{}))
		}
	}
	// Its decision is due 5 working days after it was entered (Friday
	// 10-09): 10-10 (make-up Saturday), 10-12, 10-13, 10-14, 10-15.
	if tm := timerOf(t, p, StepDecide); tm.Due.String() != "2026-10-15" {
		t.Errorf("paper objection decide due %s, want 2026-10-15", tm.Due)
	}
}

func timerOf(t *testing.T, c Case, step string) deadline.Timer {
	t.Helper()
	for _, tm := range c.Timers {
		if tm.Step == step {
			return tm
		}
	}
	t.Fatalf("no %s timer in %+v", step, c.Timers)
	return deadline.Timer{}
}

// TestApplyKeepsTheOriginal: Apply returns a new case; the one it was
// given is unchanged (a failed store write can retry from it).
func TestApplyKeepsTheOriginal(t *testing.T) {
	c := inState(t, Pending)
	timers, history := len(c.Timers), len(c.History)
	open, _ := c.Open()
	if _, err := c.Apply(clock, Input{Action: Decide, Role: Department, Outcome: Revoke, At: at("2026-11-03 10:00"), Note: "不属实"}); err != nil {
		t.Fatal(err)
	}
	if len(c.Timers) != timers || len(c.History) != history || c.State != Pending {
		t.Error("Apply changed its receiver")
	}
	if now, _ := c.Open(); now != open {
		t.Error("Apply finished the receiver's timer")
	}
}

func TestLabels(t *testing.T) {
	for _, s := range States {
		if s.Label() == string(s) {
			t.Errorf("state %s has no label", s)
		}
	}
	for _, a := range Actions {
		if a.Label() == string(a) {
			t.Errorf("action %s has no label", a)
		}
	}
	for _, o := range []Outcome{Correct, Revoke, Uphold} {
		if o.Label() == string(o) {
			t.Errorf("outcome %s has no label", o)
		}
	}
}

func TestMarkedAt(t *testing.T) {
	c := inState(t, Closed) // filed 11-02 09:00, decided 11-04, review asked 11-05, decided 11-09
	for when, want := range map[string]bool{
		"2026-11-02 08:59": false, "2026-11-02 09:00": true, "2026-11-04 09:59": true, "2026-11-04 10:00": false,
		"2026-11-05 09:00": false, "2026-11-05 10:00": true, "2026-11-09 09:59": true, "2026-11-09 10:00": false,
	} {
		if got := c.MarkedAt(at(when)); got != want {
			t.Errorf("MarkedAt(%s) = %v, want %v", when, got, want)
		}
	}
}

func TestSummarize(t *testing.T) {
	closed := inState(t, Closed)     // decided in 2 working days (11-02 → 11-04), reviewed
	rejected := inState(t, Rejected) //
	pending := inState(t, Pending)
	late := mustCase(t)(NewCase(clock, at("2026-09-30 16:30"), at("2026-09-30 16:30"), Applicant, "有误"))
	late = mustCase(t)(late.Apply(clock, Input{Action: Decide, Role: Department, Outcome: Revoke, At: at("2026-10-16 10:00"), Note: "不属实"}))
	s := Summarize(clock, []Case{closed, rejected, pending, late})
	if s.Filed != 4 || s.Open != 1 || s.Rejected != 1 || s.Withdrawn != 0 || s.Reviews != 1 || s.Decided != 2 || s.OnTime != 1 ||
		s.Outcomes[Uphold] != 1 || s.Outcomes[Revoke] != 1 {
		t.Errorf("summary %+v", s)
	}
	// 2 working days and 8 (10-08, 09, 10 make-up, 12, 13, 14, 15, 16): 5 on average.
	if s.AvgWorkingDays != 5 {
		t.Errorf("average %v working days, want 5", s.AvgWorkingDays)
	}
}
