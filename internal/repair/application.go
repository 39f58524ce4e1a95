package repair

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/fault"
)

// State is where an application stands.
type State string

const (
	Submitted State = "submitted" // 待受理: filed, the platform has to answer
	Accepted  State = "accepted"  // 已受理（待认定部门决定）: with the deciding department
	Approved  State = "approved"  // 已修复: publicity and sharing stopped
	Denied    State = "denied"    // 不予修复: the deciding department refused
	Rejected  State = "rejected"  // 不予受理: the platform refused to accept it
	Withdrawn State = "withdrawn" // 已撤回: the subject withdrew it
	// Revoked: 修复已撤销 — a re-check (抽查复核) of the approved repair
	// failed; publicity and sharing of the record resume.
	Revoked State = "revoked"
)

// States lists the states in the order of the workflow.
var States = []State{Submitted, Accepted, Approved, Denied, Rejected, Withdrawn, Revoked}

// Label is the state in Chinese, for users.
func (s State) Label() string {
	switch s {
	case Submitted:
		return "待受理"
	case Accepted:
		return "已受理（待认定部门决定）"
	case Approved:
		return "已修复"
	case Denied:
		return "不予修复"
	case Rejected:
		return "不予受理"
	case Withdrawn:
		return "已撤回"
	case Revoked:
		return "修复已撤销（复核不通过）"
	}
	return string(s)
}

// Terminal reports whether the application is closed (办结): no action of
// the application's workflow is allowed any more. An approved repair may
// still be sampled and re-checked (Sample, RecheckPass, RecheckFail).
func (s State) Terminal() bool {
	return s == Approved || s == Denied || s == Rejected || s == Withdrawn || s == Revoked
}

// ActionKind names an action on an application.
type ActionKind string

const (
	Submit   ActionKind = "submit"   // 提交申请: the subject
	Accept   ActionKind = "accept"   // 受理: a platform reviewer
	Reject   ActionKind = "reject"   // 不予受理: a platform reviewer, with a reason
	Approve  ActionKind = "approve"  // 准予修复: a reviewer of the deciding department
	Deny     ActionKind = "deny"     // 不予修复: a reviewer of the deciding department, with a reason
	Withdraw ActionKind = "withdraw" // 撤回: the subject
	// Sample: 抽取复核 — a platform reviewer draws the approved repair
	// into a re-check sample (Note names the sample).
	Sample ActionKind = "sample"
	// RecheckPass: 复核通过 — the platform finds the sampled repair sound.
	RecheckPass ActionKind = "recheck_pass"
	// RecheckFail: 复核不通过 — the platform finds the repair unsound
	// (false proofs, a breached commitment), with a reason: the repair is
	// revoked and publicity resumes.
	RecheckFail ActionKind = "recheck_fail"
)

// Actions lists the actions in the order of the workflow.
var Actions = []ActionKind{Submit, Accept, Reject, Approve, Deny, Withdraw, Sample, RecheckPass, RecheckFail}

// rechecks are the actions allowed on an approved (terminal) application.
var rechecks = []ActionKind{Sample, RecheckPass, RecheckFail}

// Label is the action in Chinese, as a verb phrase ("撤回").
func (a ActionKind) Label() string {
	switch a {
	case Submit:
		return "提交"
	case Accept:
		return "受理"
	case Reject:
		return "作出不予受理决定"
	case Approve:
		return "作出准予修复决定"
	case Deny:
		return "作出不予修复决定"
	case Withdraw:
		return "撤回"
	case Sample:
		return "抽取复核"
	case RecheckPass:
		return "作出复核通过结论"
	case RecheckFail:
		return "作出复核不通过结论（撤销修复）"
	}
	return string(a)
}

// ActorKind says in what capacity someone acts on an application.
type ActorKind string

const (
	// ActorSubject: the subject of the record (信用主体), or someone
	// acting for it.
	ActorSubject ActorKind = "subject"
	// ActorPlatform: a reviewer of the platform that receives
	// applications (信用中国 / the provincial credit website), who accepts
	// or rejects them.
	ActorPlatform ActorKind = "platform"
	// ActorDepartment: a reviewer of the department that decided the
	// record (谁认定、谁修复), who approves or denies.
	ActorDepartment ActorKind = "department"
)

// Actor is who acts.
type Actor struct {
	Kind ActorKind
	// ID identifies the actor: the subject's key (its USCC, or the
	// platform's subject id) for ActorSubject, the user account otherwise.
	ID string
	// Org is the USCC of the reviewer's organisation: for ActorDepartment
	// it must be the application's Department.
	Org string
}

// Action is one step asked of the state machine.
type Action struct {
	Kind  ActionKind
	Actor Actor
	// Note: the reason of a Reject or Deny (required), a remark otherwise.
	Note string

	// Submit only.
	RecordID   int64       // the bad record to repair
	Department string      // USCC of the department that decided the record (its 处罚机关/认定单位)
	Proofs     []string    // references of attachments proving the legal duty is fulfilled (at least one)
	Commitment string      // id of the subject's signed 信用修复型 commitment (信用修复承诺书)
	Eligible   Eligibility // Check of the record on the submission day
}

// Timers are the deadline timers of an application, one per step; a zero
// Timer (Step "") has not started.
type Timers struct {
	Accept deadline.Timer // repair.accept: the platform answers the application
	Decide deadline.Timer // repair.decide: the deciding department decides
	Sync   deadline.Timer // repair.sync: publicity and sharing stop
	// Recheck: repair.recheck, the platform re-checks a sampled repair.
	Recheck deadline.Timer
}

// Entry is one line of an application's history.
type Entry struct {
	At     time.Time
	Actor  Actor
	Action ActionKind
	From   State // "" for the submission
	To     State
	Note   string
}

// Application is a credit repair application (信用修复申请). It is a value:
// Apply returns a new one and never changes the one given (History and
// Proofs are copied). There is no fee: applying is free of charge.
type Application struct {
	State      State
	RecordID   int64
	Subject    string // the applicant subject's key (Actor.ID of the submission)
	Department string // USCC of the deciding department
	Proofs     []string
	Commitment string
	// Approved is the day (China) the repair was approved; zero otherwise.
	// The caller stores it as publicity.Input.Repaired of the record and
	// raises the change-feed event.
	Approved calendar.Date
	Timers   Timers
	// Recheck is the re-check (抽查复核) of an approved repair, if it was
	// sampled.
	Recheck Recheck
	// History is append-only: one entry per applied action, oldest first.
	History []Entry
}

// Recheck is the re-check of a sampled repair.
type Recheck struct {
	Sampled time.Time // when it was drawn (zero: never)
	Sample  string    // the sample it was drawn in
	Done    time.Time // when the re-check concluded (zero: pending)
	Failed  bool      // the repair was found unsound and revoked
}

// RecheckPending reports whether the application waits for its re-check.
func (app Application) RecheckPending() bool {
	return app.State == Approved && !app.Recheck.Sampled.IsZero() && app.Recheck.Done.IsZero()
}

// OpenTimer returns the timer of the step the application waits for:
// repair.accept while submitted, repair.decide while accepted; false for a
// closed (or empty) application.
func (app Application) OpenTimer() (deadline.Timer, bool) {
	switch app.State {
	case Submitted:
		return app.Timers.Accept, true
	case Accepted:
		return app.Timers.Decide, true
	}
	if app.RecheckPending() {
		return app.Timers.Recheck, true
	}
	return deadline.Timer{}, false
}

// Assignee is who must act on the step the application waits on: the
// platform to accept it or to re-check it, the deciding department to
// decide; "" when it waits on nobody.
func (app Application) Assignee() ActorKind {
	switch {
	case app.State == Submitted, app.RecheckPending():
		return ActorPlatform
	case app.State == Accepted:
		return ActorDepartment
	}
	return ""
}

// Due says where the open timer of the application stands at now (on
// time, due soon, overdue, escalation level): the reviewers' queue. ok is
// false when no step is open.
func Due(app Application, clock deadline.Clock, now time.Time) (st deadline.Status, ok bool) {
	t, ok := app.OpenTimer()
	if !ok {
		return deadline.Status{}, false
	}
	return clock.Status(t, now), true
}

// CompareDue orders applications for the reviewers' queue, for
// slices.SortFunc: open ones by the due day of their open timer, earliest
// first, then by the start of that step; closed ones last.
func CompareDue(a, b Application) int {
	ta, oka := a.OpenTimer()
	tb, okb := b.OpenTimer()
	switch {
	case !oka && !okb:
		return 0
	case !oka:
		return 1
	case !okb:
		return -1
	}
	if c := ta.Due.Compare(tb.Due); c != 0 {
		return c
	}
	return ta.Started.Compare(tb.Started)
}

// Refusal is the error of an action the state machine refuses. Its message
// is Chinese, for the user: what was refused and why.
type Refusal struct {
	Action ActionKind
	State  State // the application's state ("" before submission)
	Msg    string
	// Kind is fault.Invalid when what was sent is missing or wrong;
	// otherwise (zero) the action is not allowed: fault.Refused.
	Kind fault.Kind
}

func (r *Refusal) Error() string { return r.Msg }

// ErrRefused matches every *Refusal with errors.Is.
var ErrRefused = errors.New("repair: refused")

func (r *Refusal) Is(target error) bool { return target == ErrRefused }

// Unwrap gives the refusal as a *fault.Error of its kind.
func (r *Refusal) Unwrap() error {
	k := r.Kind
	if k == fault.Internal {
		k = fault.Refused
	}
	return &fault.Error{Kind: k, Msg: r.Msg}
}

// The deadline steps of an application (package deadline).
const (
	StepAccept  = "repair.accept"  // 信用修复受理答复: 10 working days by default
	StepDecide  = "repair.decide"  // 认定部门修复决定: 3
	StepSync    = "repair.sync"    // 修复结果同步: 3
	StepRecheck = "repair.recheck" // 信用修复抽查复核: 10 (platform default)
)

// Apply applies action a, done at the instant at, to app and returns the
// new application. clock computes the deadlines (deadline.Clock{} is the
// platform default).
//
//   - Submit (the subject, on an empty Application{}): needs RecordID,
//     Department, at least one proof, the commitment and a.Eligible.Open,
//     on or after a.Eligible.From; starts repair.accept.
//   - Accept / Reject (a platform reviewer; Reject with a reason), from
//     submitted: finish repair.accept; Accept starts repair.decide.
//   - Approve / Deny (a reviewer of the deciding department; Deny with a
//     reason), from accepted: finish repair.decide; Approve starts and
//     finishes repair.sync (the platform stops publicity in the same step)
//     and sets Approved to at's day.
//   - Withdraw (the subject who applied), from submitted or accepted:
//     stops the open timer.
//
// Closed applications allow nothing. A refused action returns a *Refusal
// and app unchanged; every applied one appends an Entry to the history.
// Instants must not go back in time: at may not be before the last
// entry's.
func Apply(app Application, clock deadline.Clock, a Action, at time.Time) (Application, error) {
	refuse := func(msg string) (Application, error) {
		return app, &Refusal{Action: a.Kind, State: app.State, Msg: msg}
	}
	invalid := func(msg string) (Application, error) {
		return app, &Refusal{Action: a.Kind, State: app.State, Msg: msg, Kind: fault.Invalid}
	}
	if !slices.Contains(Actions, a.Kind) {
		return invalid("未知的操作“" + string(a.Kind) + "”")
	}
	if at.IsZero() {
		return refuse("操作时间不能为空")
	}
	if n := len(app.History); n > 0 && at.Before(app.History[n-1].At) {
		return refuse("操作时间" + chinaTime(at) + "早于该申请上一次操作的时间" +
			chinaTime(app.History[n-1].At) + "，不能" + a.Kind.Label())
	}
	if strings.TrimSpace(a.Actor.ID) == "" {
		return refuse("操作人不能为空，不能" + a.Kind.Label())
	}
	if app.State.Terminal() && !(app.State == Approved && slices.Contains(rechecks, a.Kind)) {
		msg := "申请已办结（" + app.State.Label() + "），不能再" + a.Kind.Label()
		if a.Kind == Submit {
			msg += "；如需再次申请，请提交新的申请"
		}
		return refuse(msg)
	}
	if app.State == "" && a.Kind != Submit {
		return refuse("申请尚未提交，不能" + a.Kind.Label())
	}
	if app.State != "" && !slices.Contains(States, app.State) {
		return refuse("申请的状态“" + string(app.State) + "”无效，不能" + a.Kind.Label())
	}

	next := app
	next.History = slices.Clone(app.History)
	day := calendar.FromTime(at)
	var to State
	switch a.Kind {
	case Submit:
		switch {
		case app.State != "":
			return refuse("申请已经提交（" + app.State.Label() + "），不能重复提交")
		case a.Actor.Kind != ActorSubject:
			return refuse("信用修复申请只能由信用主体本人（或其委托的人）提交")
		case a.RecordID == 0:
			return invalid("须指明申请修复的信用信息")
		case strings.TrimSpace(a.Department) == "":
			return invalid("须指明作出该信息的认定部门（谁认定、谁修复）")
		case !slices.ContainsFunc(a.Proofs, func(p string) bool { return strings.TrimSpace(p) != "" }):
			return invalid("须上传至少一份已履行法定义务、纠正失信行为的证明材料")
		case strings.TrimSpace(a.Commitment) == "":
			return invalid("须提交已签署的信用修复承诺书（信用修复型信用承诺）")
		case !a.Eligible.Open:
			reason := a.Eligible.Reason
			if reason == "" {
				reason = "未核验申请条件"
			}
			return refuse("当前不能申请信用修复：" + reason)
		case day.Before(a.Eligible.From):
			return refuse("当前不能申请信用修复：自" + a.Eligible.From.String() + "起才可以申请")
		}
		t, err := clock.Start(StepAccept, at)
		if err != nil {
			return app, startError(a.Kind, err)
		}
		next.RecordID, next.Subject, next.Department = a.RecordID, a.Actor.ID, a.Department
		next.Proofs, next.Commitment = slices.Clone(a.Proofs), a.Commitment
		next.Timers = Timers{Accept: t}
		to = Submitted

	case Accept, Reject:
		switch {
		case app.State != Submitted:
			return refuse("申请已受理，正在等待认定部门决定，不能再" + a.Kind.Label())
		case a.Actor.Kind != ActorPlatform:
			return refuse("只有平台（信用网站）的审核人员才能" + a.Kind.Label())
		case a.Kind == Reject && strings.TrimSpace(a.Note) == "":
			return invalid("不予受理须写明理由")
		}
		next.Timers.Accept.Done = at
		to = Rejected
		if a.Kind == Accept {
			t, err := clock.Start(StepDecide, at)
			if err != nil {
				return app, startError(a.Kind, err)
			}
			next.Timers.Decide = t
			to = Accepted
		}

	case Approve, Deny:
		switch {
		case app.State != Accepted:
			return refuse("申请尚未受理（" + app.State.Label() + "），认定部门还不能" + a.Kind.Label())
		case a.Actor.Kind != ActorDepartment || a.Actor.Org != app.Department:
			return refuse("只有认定该信息的部门（" + app.Department + "）的审核人员才能" + a.Kind.Label())
		case a.Kind == Deny && strings.TrimSpace(a.Note) == "":
			return invalid("不予修复须写明理由")
		}
		next.Timers.Decide.Done = at
		to = Denied
		if a.Kind == Approve {
			t, err := clock.Start(StepSync, at)
			if err != nil {
				return app, startError(a.Kind, err)
			}
			t.Done = at
			next.Timers.Sync = t
			next.Approved = day
			to = Approved
		}

	case Withdraw:
		if a.Actor.Kind != ActorSubject || a.Actor.ID != app.Subject {
			return refuse("只有提出申请的信用主体才能撤回申请")
		}
		switch app.State {
		case Submitted:
			next.Timers.Accept.Done = at
		case Accepted:
			next.Timers.Decide.Done = at
		}
		to = Withdrawn

	case Sample:
		switch {
		case app.State != Approved:
			return refuse("只有已修复的申请才能抽取复核")
		case a.Actor.Kind != ActorPlatform:
			return refuse("只有平台（信用网站）的审核人员才能" + a.Kind.Label())
		case !app.Recheck.Sampled.IsZero():
			return refuse("该申请已于" + chinaTime(app.Recheck.Sampled) + "被抽取复核，不能重复抽取")
		}
		t, err := clock.Start(StepRecheck, at)
		if err != nil {
			return app, startError(a.Kind, err)
		}
		next.Timers.Recheck = t
		next.Recheck = Recheck{Sampled: at, Sample: a.Note}
		to = Approved

	case RecheckPass, RecheckFail:
		switch {
		case a.Actor.Kind != ActorPlatform:
			return refuse("只有平台（信用网站）的审核人员才能" + a.Kind.Label())
		case app.Recheck.Sampled.IsZero():
			return refuse("该申请未被抽取复核，不能" + a.Kind.Label())
		case !app.Recheck.Done.IsZero():
			return refuse("该申请已于" + chinaTime(app.Recheck.Done) + "作出复核结论，不能重复复核")
		case a.Kind == RecheckFail && strings.TrimSpace(a.Note) == "":
			return invalid("复核不通过须写明理由")
		}
		next.Recheck.Done = at
		next.Timers.Recheck.Done = at
		to = Approved
		if a.Kind == RecheckFail {
			next.Recheck.Failed = true
			to = Revoked
		}

	default:
		return invalid("未知的操作“" + string(a.Kind) + "”")
	}
	next.State = to
	next.History = append(next.History, Entry{At: at, Actor: a.Actor, Action: a.Kind, From: app.State, To: to, Note: a.Note})
	return next, nil
}

// startError reports a deadline step the clock does not know (an
// operator's rules without it): a configuration error, not a refusal.
func startError(a ActionKind, err error) error {
	return fmt.Errorf("办理时限配置有误，暂时不能%s，请联系平台管理员：%w", a.Label(), err)
}

// chinaTime renders an instant in China time for messages.
func chinaTime(t time.Time) string {
	return t.In(calendar.Location()).Format(time.DateTime)
}

// Summary is the anonymised account of repair applications the public
// column shows.
type Summary struct {
	Applications, Open                    int
	Approved, Denied, Rejected, Withdrawn int
	Revoked                               int     // approved, then revoked by a failed re-check
	Rechecked                             int     // approved and re-checked (passed or failed)
	Decided                               int     // approved or denied (revoked ones were approved)
	OnTime                                int     // of those, decided within both limits
	AvgWorkingDays                        float64 // average working days from the application to the department's decision
}

// Summarize counts applications.
func Summarize(clock deadline.Clock, apps []Application) Summary {
	s := Summary{}
	took := 0
	for _, a := range apps {
		s.Applications++
		switch a.State {
		case Submitted, Accepted:
			s.Open++
		case Approved:
			s.Approved++
		case Denied:
			s.Denied++
		case Rejected:
			s.Rejected++
		case Withdrawn:
			s.Withdrawn++
		case Revoked:
			s.Revoked++
		}
		if !a.Recheck.Done.IsZero() {
			s.Rechecked++
		}
		if a.State != Approved && a.State != Denied && a.State != Revoked || a.Timers.Decide.Done.IsZero() {
			continue
		}
		s.Decided++
		cal := clock.Calendar
		if cal == nil {
			cal = calendar.Default()
		}
		took += cal.WorkingDaysBetween(calendar.FromTime(a.Timers.Accept.Started), calendar.FromTime(a.Timers.Decide.Done))
		if clock.Status(a.Timers.Accept, time.Time{}).State == deadline.DoneOnTime && clock.Status(a.Timers.Decide, time.Time{}).State == deadline.DoneOnTime {
			s.OnTime++
		}
	}
	if s.Decided > 0 {
		s.AvgWorkingDays = float64(took) / float64(s.Decided)
	}
	return s
}
