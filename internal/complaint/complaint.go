// Package complaint handles complaints and reports of dishonesty (投诉举报,
// issue 21): anyone files one about a subject (what, when, evidence, a
// contact, or anonymously) and receives a 查询码; the credit office (staff
// of the operator with complaint.handle) routes it to the competent
// department, which answers it within the deadline: 查实 (substantiated:
// the record it filed through intake is linked), 不属实 (unfounded) or 转办
// (passed on to another body). The informant's name and contact are
// encrypted with the data key and shown only to the handling staff; an
// anonymous informant follows the case by its 查询码 but receives no reply.
//
//	state     action  who                         next      timers
//	(none)    File    anyone                      routing   complaint.route started
//	routing   Route   the credit office           handling  route done; complaint.answer started
//	handling  Route   the credit office (again)   handling  answer restarted for the new department
//	handling  Answer  the competent department    closed    answer done (on time or late)
//
// Deadlines: complaint.route (3 working days) and complaint.answer (15),
// platform defaults in internal/deadline/steps.json.
package complaint

import (
	"errors"
	"fmt"
	"time"

	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/fault"
)

// State is where a complaint stands.
type State string

const (
	Routing  State = "routing"  // 待分办
	Handling State = "handling" // 办理中
	Closed   State = "closed"   // 已办结
)

// States lists the states in order.
var States = []State{Routing, Handling, Closed}

// Label is the state in Chinese.
func (s State) Label() string {
	switch s {
	case Routing:
		return "待分办"
	case Handling:
		return "办理中"
	case Closed:
		return "已办结"
	}
	return string(s)
}

// Outcome is how a department answered.
type Outcome string

const (
	Substantiated Outcome = "substantiated" // 查实
	Unfounded     Outcome = "unfounded"     // 不属实
	Transferred   Outcome = "transferred"   // 转办
)

// Outcomes lists the outcomes in order.
var Outcomes = []Outcome{Substantiated, Unfounded, Transferred}

// Label is the outcome in Chinese.
func (o Outcome) Label() string {
	switch o {
	case Substantiated:
		return "查实"
	case Unfounded:
		return "不属实"
	case Transferred:
		return "转办"
	}
	return string(o)
}

// Timeliness of an answer, kept in the row for the statistics.
const (
	OnTime = "on_time"
	Late   = "late"
)

// Event is one line of a case's history.
type Event struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"` // file, route, answer
	Actor  string    `json:"actor"`  // the principal, or "informant"
	Note   string    `json:"note,omitempty"`
}

// Case is a complaint's content and course, kept as the row's body.
type Case struct {
	State State  `json:"state"`
	What  string `json:"what"` // 投诉举报内容
	When  string `json:"when"` // 发生时间 (YYYY-MM-DD)
	// Access is the SHA-256 (hex) of the 查询码.
	Access   string          `json:"access"`
	Route    deadline.Timer  `json:"route"`
	Answer   *deadline.Timer `json:"answer,omitempty"`
	DeptName string          `json:"dept_name,omitempty"`
	Outcome  Outcome         `json:"outcome,omitempty"`
	Finding  string          `json:"finding,omitempty"`     // 办理结果 (shown to the informant)
	Reply    string          `json:"reply,omitempty"`       // the reply to a named informant
	Record   int64           `json:"record,omitempty"`      // 查实: the record filed through intake
	Transfer string          `json:"transfer_to,omitempty"` // 转办: the body it was passed to
	History  []Event         `json:"history"`
}

// ErrRefused marks a refused action.
var ErrRefused = errors.New("complaint: refused")

func refuse(format string, args ...any) error {
	return &fault.Error{Kind: fault.Refused, Msg: fmt.Sprintf(format, args...), Err: ErrRefused}
}

func invalid(format string, args ...any) error {
	return &fault.Error{Kind: fault.Invalid, Msg: fmt.Sprintf(format, args...), Err: ErrRefused}
}
