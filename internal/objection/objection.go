// Package objection is the state machine of an objection (异议) to a credit
// record: who may do what in which state, what each step's deadline is
// (package deadline) and what the record shows meanwhile. It holds no
// storage and serves no HTTP; the store keeps a Case and its history, and
// the service applies the outcome to the record (a correction is a new
// version through the intake path, a revocation the record's state).
//
// # States and actions
//
//	state        action         who                          next       timers
//	(none)       File           applicant (or staff for a    pending    mark and forward done at filing
//	                            paper objection)                         (late when entered late), decide started
//	pending      Reject         platform staff, with reason  rejected   decide done
//	pending      Decide         the supplying department     decided    decide done; notify started and done
//	                            (更正/撤销/维持, with reason)
//	pending      Withdraw       applicant                    withdrawn  decide done
//	decided      RequestReview  applicant, once, with reason reviewing  review started
//	reviewing    DecideReview   the level above the          closed     review done; notify started and done
//	                            department (更正/撤销/维持)
//	reviewing    Withdraw       applicant                    withdrawn  review done
//	rejected, closed, withdrawn: final; nothing more.
//
// While a case is pending or reviewing, the record is shown marked 异议处理中
// (Case.Marks): from the moment the objection is filed, since the platform
// marks it as it files it.
//
// The deadlines are the deadline engine's steps objection.mark (1 working
// day), objection.forward (2), objection.decide (5), objection.notify (3)
// and objection.review (5); see internal/deadline/steps.json for their
// sources and how an operator changes them.
package objection

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/fault"
)

// State is where a case stands.
type State string

const (
	Pending   State = "pending"   // 核查中: with the supplying department; the record is marked
	Decided   State = "decided"   // 已办结: the department decided and the applicant was told
	Reviewing State = "reviewing" // 复核中: the applicant asked for a re-review; the record is marked again
	Closed    State = "closed"    // 复核办结: final
	Rejected  State = "rejected"  // 不予受理: final
	Withdrawn State = "withdrawn" // 已撤回: final
)

// States lists every state, in the order of the table above.
var States = []State{Pending, Decided, Reviewing, Closed, Rejected, Withdrawn}

// Label is the state in Chinese.
func (s State) Label() string {
	switch s {
	case Pending:
		return "核查中"
	case Decided:
		return "已办结"
	case Reviewing:
		return "复核中"
	case Closed:
		return "复核办结"
	case Rejected:
		return "不予受理"
	case Withdrawn:
		return "已撤回"
	}
	return string(s)
}

// Final reports whether nothing more can happen to a case in s.
func (s State) Final() bool { return s == Closed || s == Rejected || s == Withdrawn }

// Outcome is what a decision does to the record.
type Outcome string

const (
	Correct Outcome = "correct" // 更正: the record is replaced by a corrected version
	Revoke  Outcome = "revoke"  // 撤销: the record is revoked
	Uphold  Outcome = "uphold"  // 维持: the record stays as it is
)

// Label is the outcome in Chinese.
func (o Outcome) Label() string {
	switch o {
	case Correct:
		return "更正"
	case Revoke:
		return "撤销"
	case Uphold:
		return "维持"
	}
	return string(o)
}

// Role is who acts on a case. Which accounts hold which role for a case
// (the applicant's account, the supplying department's reviewers, the
// reviewers of an organisation above it, the platform operator's staff) is
// the caller's decision, through the authorisation rules.
type Role string

const (
	Applicant  Role = "applicant"  // who filed the objection
	Department Role = "department" // a reviewer of the department that supplied the record
	Superior   Role = "superior"   // a reviewer of an organisation above that department
	Platform   Role = "platform"   // the platform operator's staff
)

// Label is the role in Chinese.
func (r Role) Label() string {
	switch r {
	case Applicant:
		return "申请人"
	case Department:
		return "信息提供单位"
	case Superior:
		return "上级单位"
	case Platform:
		return "平台"
	}
	return string(r)
}

// Action is a transition.
type Action string

const (
	File          Action = "file"           // 提出异议
	Reject        Action = "reject"         // 不予受理
	Decide        Action = "decide"         // 核查处理
	RequestReview Action = "request_review" // 申请复核
	DecideReview  Action = "decide_review"  // 复核处理
	Withdraw      Action = "withdraw"       // 撤回
)

// Actions lists every action.
var Actions = []Action{File, Reject, Decide, RequestReview, DecideReview, Withdraw}

// Label is the action in Chinese.
func (a Action) Label() string {
	switch a {
	case File:
		return "提出异议"
	case Reject:
		return "不予受理"
	case Decide:
		return "核查处理"
	case RequestReview:
		return "申请复核"
	case DecideReview:
		return "复核处理"
	case Withdraw:
		return "撤回"
	}
	return string(a)
}

// Steps of the deadline engine.
const (
	StepMark    = "objection.mark"
	StepForward = "objection.forward"
	StepDecide  = "objection.decide"
	StepNotify  = "objection.notify"
	StepReview  = "objection.review"
)

// MaxReasonRunes bounds every free text of a case.
const MaxReasonRunes = 2000

// Event is one entry of a case's history.
type Event struct {
	At      time.Time
	Role    Role
	Action  Action
	From    State // "" for File
	To      State
	Outcome Outcome // Decide and DecideReview
	Note    string  // reasons given
}

// Case is an objection's state, deadlines and history.
type Case struct {
	State State
	// Received is when the objection reached the platform (for a paper
	// objection entered by staff, the day it arrived, which can be before
	// it was filed here).
	Received time.Time
	Reasons  string
	// Decision: the department's outcome and reasons; Review: the level
	// above's, after a re-review.
	Outcome, ReviewOutcome Outcome
	Reason, ReviewReason   string
	// Timers of the steps run so far, in order.
	Timers  []deadline.Timer
	History []Event
	// Access is the SHA-256 (hex) of the 查询码 given to an applicant
	// without an account of the record's subject (a third party with
	// evidence): whoever holds the code follows the case as its applicant.
	Access string `json:",omitempty"`
}

// Input is one action on a case.
type Input struct {
	Action  Action
	Role    Role
	At      time.Time
	Outcome Outcome // Decide, DecideReview
	Note    string  // reasons: required for every action but Withdraw
}

// ErrRefused matches, with errors.Is, every error of the rules of this
// package: each is a *fault.Error with a Chinese message for the user, of
// kind fault.Refused (the action is not allowed: the case's state, the
// caller's role) or fault.Invalid (what was sent is wrong).
var ErrRefused = errors.New("objection: refused")

// refuse is an action that the rules do not allow.
func refuse(format string, args ...any) error {
	return &fault.Error{Kind: fault.Refused, Msg: fmt.Sprintf(format, args...), Err: ErrRefused}
}

// invalid is a request with a missing or wrong value.
func invalid(format string, args ...any) error {
	return &fault.Error{Kind: fault.Invalid, Msg: fmt.Sprintf(format, args...), Err: ErrRefused}
}

// NewCase files an objection received at received and filed on the
// platform at filed (the same instant for one filed online), with the
// applicant's reasons. The record is marked at filing and the case goes to
// the supplying department at once, so the mark and forward steps are done
// at filed: on time unless a paper objection was entered late.
func NewCase(clock deadline.Clock, received, filed time.Time, role Role, reasons string) (Case, error) {
	if role != Applicant && role != Platform {
		return Case{}, refuse("异议只能由申请人提出，或由平台工作人员录入书面异议")
	}
	if received.IsZero() || filed.Before(received) {
		return Case{}, refuse("收到异议的时间不能晚于录入时间")
	}
	reasons, err := note(reasons, "异议理由")
	if err != nil {
		return Case{}, err
	}
	c := Case{State: Pending, Received: received, Reasons: reasons}
	for _, step := range []string{StepMark, StepForward} {
		t, err := clock.Start(step, received)
		if err != nil {
			return Case{}, err
		}
		t.Done = filed
		c.Timers = append(c.Timers, t)
	}
	if err := c.start(clock, StepDecide, filed); err != nil {
		return Case{}, err
	}
	c.History = append(c.History, Event{At: filed, Role: role, Action: File, To: Pending, Note: reasons})
	return c, nil
}

// Marks reports whether the record is shown marked 异议处理中 because of
// this case.
func (c Case) Marks() bool { return c.State == Pending || c.State == Reviewing }

// MarkedAt reports whether the case had the record marked 异议处理中 at
// the instant t, from its history: from filing until a decision, a
// rejection or a withdrawal, and again from a re-review request until its
// decision or a withdrawal.
func (c Case) MarkedAt(t time.Time) bool {
	marked := false
	for _, e := range c.History {
		if e.At.After(t) {
			break
		}
		marked = e.To == Pending || e.To == Reviewing
	}
	return marked
}

// Open returns the timer of the step the case waits on, if any.
func (c Case) Open() (deadline.Timer, bool) {
	for i := len(c.Timers) - 1; i >= 0; i-- {
		if c.Timers[i].Done.IsZero() {
			return c.Timers[i], true
		}
	}
	return deadline.Timer{}, false
}

// Assignee is who must act on the step the case waits on: the supplying
// department while pending, the level above while a re-review is asked;
// "" when the case waits on nobody.
func (c Case) Assignee() Role {
	if _, ok := c.Open(); !ok {
		return ""
	}
	switch c.State {
	case Pending:
		return Department
	case Reviewing:
		return Superior
	}
	return ""
}

// Due tells where the step the case waits on stands at now (for the
// reviewers' queue, ordered by due date); ok is false for a case that
// waits on nobody (decided or final).
func (c Case) Due(clock deadline.Clock, now time.Time) (t deadline.Timer, st deadline.Status, ok bool) {
	t, ok = c.Open()
	if !ok {
		return t, st, false
	}
	return t, clock.Status(t, now), true
}

// transitions says, per action, who may take it, from which states, and
// where it leads.
var transitions = map[Action]struct {
	roles []Role
	from  []State
	to    State
}{
	Reject:        {[]Role{Platform}, []State{Pending}, Rejected},
	Decide:        {[]Role{Department}, []State{Pending}, Decided},
	RequestReview: {[]Role{Applicant}, []State{Decided}, Reviewing},
	DecideReview:  {[]Role{Superior}, []State{Reviewing}, Closed},
	Withdraw:      {[]Role{Applicant}, []State{Pending, Reviewing}, Withdrawn},
}

// Apply takes an action and returns the case after it; a refused action
// returns a *fault.Error (errors.Is ErrRefused) and leaves c as it was.
func (c Case) Apply(clock deadline.Clock, in Input) (Case, error) {
	tr, ok := transitions[in.Action]
	if !ok {
		return c, invalid("不支持的操作：%s", in.Action.Label())
	}
	if c.State.Final() {
		if in.Action == RequestReview && c.ReviewOutcome != "" {
			return c, refuse("每件异议只能申请一次复核，复核结果为最终结果")
		}
		return c, refuse("异议已%s，不能再%s", c.State.Label(), in.Action.Label())
	}
	if !slices.Contains(tr.from, c.State) {
		return c, refuse("异议%s时不能%s", c.State.Label(), in.Action.Label())
	}
	if !slices.Contains(tr.roles, in.Role) {
		return c, refuse("%s不能%s", in.Role.Label(), in.Action.Label())
	}
	if in.At.IsZero() || (len(c.History) > 0 && in.At.Before(c.History[len(c.History)-1].At)) {
		return c, refuse("操作时间早于上一步")
	}
	var text string
	if in.Action != Withdraw || in.Note != "" {
		var err error
		if text, err = note(in.Note, reasonName(in.Action)); err != nil {
			return c, err
		}
	}
	decides := in.Action == Decide || in.Action == DecideReview
	if decides && in.Outcome != Correct && in.Outcome != Revoke && in.Outcome != Uphold {
		return c, invalid("请选择处理结果：更正、撤销或维持")
	}
	if !decides && in.Outcome != "" {
		return c, invalid("%s不带处理结果", in.Action.Label())
	}
	// The case is changed on a copy of its slices: c stays valid.
	n := c
	n.Timers = append([]deadline.Timer(nil), c.Timers...)
	n.History = append([]Event(nil), c.History...)
	n.finishOpen(in.At)
	switch in.Action {
	case Decide:
		n.Outcome, n.Reason = in.Outcome, text
	case DecideReview:
		n.ReviewOutcome, n.ReviewReason = in.Outcome, text
	case RequestReview:
		if err := n.start(clock, StepReview, in.At); err != nil {
			return c, err
		}
	}
	if decides {
		// The platform tells the applicant in the same step (the case page
		// and the message it sends), so the notify step is done at once.
		if err := n.start(clock, StepNotify, in.At); err != nil {
			return c, err
		}
		n.finishOpen(in.At)
	}
	n.State = tr.to
	n.History = append(n.History, Event{At: in.At, Role: in.Role, Action: in.Action, From: c.State, To: tr.to, Outcome: in.Outcome, Note: text})
	return n, nil
}

// Final returns the outcome in force: the re-review's when there was one.
func (c Case) Final() (Outcome, string) {
	if c.ReviewOutcome != "" {
		return c.ReviewOutcome, c.ReviewReason
	}
	return c.Outcome, c.Reason
}

func (c *Case) start(clock deadline.Clock, step string, at time.Time) error {
	t, err := clock.Start(step, at)
	if err != nil {
		return err
	}
	c.Timers = append(c.Timers, t)
	return nil
}

// finishOpen marks the open timer done at at.
func (c *Case) finishOpen(at time.Time) {
	for i := len(c.Timers) - 1; i >= 0; i-- {
		if c.Timers[i].Done.IsZero() {
			c.Timers[i].Done = at
			return
		}
	}
}

func reasonName(a Action) string {
	switch a {
	case Reject:
		return "不予受理的理由"
	case Decide, DecideReview:
		return "处理理由"
	case RequestReview:
		return "复核理由"
	}
	return "说明"
}

// note checks a free text: required, bounded, no control characters but
// line breaks and tabs.
func note(s, what string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalid("请填写%s", what)
	}
	if n := utf8.RuneCountInString(s); n > MaxReasonRunes {
		return "", invalid("%s最多%d字，现有%d字", what, MaxReasonRunes, n)
	}
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' && r != '\r' || r == 0x7f }) {
		return "", invalid("%s含有无法显示的字符", what)
	}
	if reason := credit.BidiReason(s); reason != "" {
		return "", invalid("%s%s", what, reason)
	}
	return s, nil
}

// Summary is the anonymised account of objections the public column
// shows: how many were filed, how they ended, and how long deciding took.
type Summary struct {
	Filed, Open, Rejected, Withdrawn int
	Outcomes                         map[Outcome]int // first decisions by outcome
	Reviews                          int             // re-reviews asked
	Decided                          int             // first decisions made
	OnTime                           int             // of those, made within the limit
	AvgWorkingDays                   float64         // average working days from filing to the first decision
}

// Summarize counts cases (as of the history they carry).
func Summarize(clock deadline.Clock, cases []Case) Summary {
	s := Summary{Outcomes: map[Outcome]int{}}
	took := 0
	for _, c := range cases {
		s.Filed++
		switch {
		case c.State == Rejected:
			s.Rejected++
		case c.State == Withdrawn:
			s.Withdrawn++
		case !c.State.Final() && c.State != Decided:
			s.Open++
		}
		for _, e := range c.History {
			if e.Action == RequestReview {
				s.Reviews++
			}
		}
		if c.Outcome == "" {
			continue
		}
		s.Outcomes[c.Outcome]++
		for _, t := range c.Timers {
			if t.Step == StepDecide && !t.Done.IsZero() {
				st := clock.Status(t, t.Done)
				s.Decided++
				took += st.Took
				if st.State == deadline.DoneOnTime {
					s.OnTime++
				}
			}
		}
	}
	if s.Decided > 0 {
		s.AvgWorkingDays = float64(took) / float64(s.Decided)
	}
	return s
}
