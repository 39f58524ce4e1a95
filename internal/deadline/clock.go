package deadline

import (
	"errors"
	"fmt"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
)

// Clock combines the step rules and the working-day calendar. It is a small
// value, safe for concurrent use (both parts are immutable).
//
// A nil Rules means Default(); a nil Calendar means calendar.Default(), so
// Clock{} is the platform's default clock. For a calendar without any
// holiday data (weekends only) pass a non-nil empty one, new(calendar.Calendar).
type Clock struct {
	Rules    *Rules
	Calendar *calendar.Calendar
}

func (c Clock) rules() *Rules {
	if c.Rules == nil {
		return Default()
	}
	return c.Rules
}

func (c Clock) cal() *calendar.Calendar {
	if c.Calendar == nil {
		return calendar.Default()
	}
	return c.Calendar
}

// Timer is one run of a step for one case. Callers store it (Step, Started,
// Due, Provisional when started; Done when the step is done) and pass it to
// Status. The zero Done means the step is still open.
type Timer struct {
	Step    string        // the step's key
	Started time.Time     // when the step started (the instant, any zone)
	Due     calendar.Date // the last day on time, in China
	Done    time.Time     // when it was done; zero while open
	// Provisional: Due depends on days whose official holiday arrangement
	// the calendar does not have yet (see Clock.Start). Show the due date
	// as provisional (暂定) then.
	Provisional bool
}

// Start starts a timer for step at the instant at. The due date is the
// step's WorkingDays-th working day after at's date in China (UTC+8), that
// date not counted, whatever the time of day and whether that date is a
// working day, a weekend, a holiday or a make-up working day:
//
//	Due = Calendar.AddWorkingDays(calendar.FromTime(at), step.WorkingDays)
//
// Provisional is set when some day in (start day, Due] is not settled by the
// calendar: it lies in a year the calendar does not cover, or in December of
// a year whose next year is not covered (the State Council notice for year
// Y may also move days of December of Y-1, as the 2019 notice did for
// 2018-12-29..31). The count may then be wrong; callers must show the due
// date as provisional (暂定). Once the missing year is loaded, starting the
// timer again with the same step and instant gives the final due date.
//
// It fails for an unknown step or a zero instant.
func (c Clock) Start(step string, at time.Time) (Timer, error) {
	s, ok := c.rules().Step(step)
	if !ok {
		return Timer{}, fmt.Errorf("deadline: unknown step %q", step)
	}
	if at.IsZero() {
		return Timer{}, errors.New("deadline: start of step " + s.Key + ": zero time")
	}
	cal := c.cal()
	day := calendar.FromTime(at)
	due := cal.AddWorkingDays(day, s.WorkingDays)
	return Timer{Step: s.Key, Started: at, Due: due, Provisional: c.unsettled(day, due)}, nil
}

// unsettled reports whether a day in (from, to] is not settled by the
// calendar: it lies in a year that is not covered, or in December of a year
// Y when Y+1 is not covered (the arrangement of Y+1 may change it).
func (c Clock) unsettled(from, to calendar.Date) bool {
	if !to.After(from) {
		return false
	}
	cal := c.cal()
	first := from.AddDays(1)
	for y := first.Year; y <= to.Year; y++ {
		if !cal.Covered(y) {
			return true
		}
	}
	// Only the last year's December can lack its next year: the Decembers
	// of earlier years are followed by years checked above.
	return to.Month == time.December && !cal.Covered(to.Year+1)
}

// State is where a timer stands.
type State string

const (
	Open       State = "open"         // running, more than RemindDays working days left
	DueSoon    State = "due_soon"     // running, RemindDays working days or fewer left: remind the assignee
	Overdue    State = "overdue"      // running, past the due day: escalate
	DoneOnTime State = "done_on_time" // done on or before the due day
	DoneLate   State = "done_late"    // done after the due day
)

// Label returns the state in Chinese, for users: 办理中, 即将到期, 已逾期,
// 按期办结 or 逾期办结.
func (s State) Label() string {
	switch s {
	case Open:
		return "办理中"
	case DueSoon:
		return "即将到期"
	case Overdue:
		return "已逾期"
	case DoneOnTime:
		return "按期办结"
	case DoneLate:
		return "逾期办结"
	}
	return string(s)
}

// Finished reports whether the state is one of a done timer.
func (s State) Finished() bool { return s == DoneOnTime || s == DoneLate }

// Status is what Clock.Status says about a timer at an instant.
type Status struct {
	State State
	// Left is the number of working days left until the due day, counted
	// from the reference day: now's date in China for an open timer, the
	// date it was done for a done one. With cal the calendar:
	//
	//	ref <= Due: Left = cal.WorkingDaysBetween(ref, Due)  (working days in (ref, Due]) >= 0
	//	ref >  Due: Left = -cal.WorkingDaysBetween(Due, ref) (working days in (Due, ref]) <= 0
	//
	// So Left is 0 on the due day, 1 on the working day before it (and on
	// the non-working days between), -1 on the first working day after it.
	// Left is also 0 on non-working days right after the due day (the
	// weekend after a Friday due day): the state, not Left, says whether
	// the timer is overdue.
	Left int
	// Level is how far up the organisation tree the case must be escalated:
	// 0 = the assignee's organisation (always, unless State is Overdue),
	// 1 = the level above, 2 = two levels up, and so on. With k = -Left the
	// working days overdue (k >= 0):
	//
	//	Level = 1 + max(k-1, 0)/EscalateEvery   when EscalateEvery > 0
	//	Level = 1                               when EscalateEvery == 0
	//
	// One level up as soon as the due day has passed (also on the weekend
	// after a Friday due day, k = 0), one more after EscalateEvery further
	// working days: with EscalateEvery 2, levels 1, 1, 2, 2, 3 for k = 1..5.
	Level int
	// Took is, for a done timer, the working days from the start day to the
	// done day, WorkingDaysBetween(start day, done day); 0 for an open one.
	// Done late does not imply Took > WorkingDays: a step done on the
	// Saturday after a Friday due day took WorkingDays working days, late.
	Took int
	// Provisional: the timer is provisional, or the days counted here (up
	// to now's date or the done date) are not settled by the calendar (see
	// Clock.Start): show the counts as provisional (暂定).
	Provisional bool
}

// Status tells where t stands at the instant now (ignored when t is done).
//
// An open timer is Overdue when now's date in China is after t.Due;
// otherwise DueSoon when Left <= the step's RemindDays, else Open. A done
// timer is DoneOnTime when its done date in China is on or before t.Due,
// else DoneLate; its Left is the Left at the moment it was done and its
// Level is 0.
//
// t.Due is taken as stored: the due date fixed when the step started, even
// if the rules changed since. When t.Due is zero it is computed from
// t.Started as Start would. RemindDays and EscalateEvery are read from the
// current rules; for a step the rules no longer know, RemindDays and
// EscalateEvery are taken as 0 (remind on the due day only, escalate one
// level).
func (c Clock) Status(t Timer, now time.Time) Status {
	cal := c.cal()
	s, known := c.rules().Step(t.Step)
	if !known {
		s = Step{Key: t.Step}
	}
	start := calendar.FromTime(t.Started)
	due := t.Due
	if due.IsZero() && known {
		due = cal.AddWorkingDays(start, s.WorkingDays)
	}

	var ref calendar.Date
	if t.Done.IsZero() {
		ref = calendar.FromTime(now)
	} else {
		ref = calendar.FromTime(t.Done)
	}
	var st Status
	if ref.After(due) {
		st.Left = -cal.WorkingDaysBetween(due, ref)
	} else {
		st.Left = cal.WorkingDaysBetween(ref, due)
	}
	last := due
	if ref.After(last) {
		last = ref
	}
	st.Provisional = t.Provisional || c.unsettled(start, last)

	switch {
	case !t.Done.IsZero():
		st.Took = cal.WorkingDaysBetween(start, ref)
		if ref.After(due) {
			st.State = DoneLate
		} else {
			st.State = DoneOnTime
		}
	case ref.After(due):
		st.State = Overdue
		st.Level = 1
		if k := -st.Left; s.EscalateEvery > 0 && k > 1 {
			st.Level += (k - 1) / s.EscalateEvery
		}
	case st.Left <= s.RemindDays:
		st.State = DueSoon
	default:
		st.State = Open
	}
	return st
}
