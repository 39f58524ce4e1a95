// Package hiring is the credit-record check of civil-service and
// public-institution hires (陕发改财金〔2021〕789号): a unit's formal
// request with its candidates, routed by hiring kind and the unit's level
// to the credit office that answers (routing.json); the answer within 3
// working days as a formal reply that says of each candidate only whether
// he or she is a 失信联合惩戒对象 and on which list (type Reply can hold
// nothing else); the second review (复审、复核、复查) of a hit by another
// officer before the reply is sent; extensions with their reason; and the
// objection chain, each step with its owner and deadline on the deadline
// engine. Candidates' names and ID numbers are encrypted at rest and
// erased when the retention period has passed (Service.Erase).
package hiring

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/lists"
)

// Levels of a unit and of the office that answers.
const (
	Province = "province"
	City     = "city"
)

// Owners of a step of the objection chain.
const (
	OwnerCandidate = "candidate" // the person checked
	OwnerUnit      = "unit"      // the requesting unit
	OwnerOffice    = "office"    // the credit office that answered
	OwnerNational  = "national"  // 国家公共信用信息中心 (its result is entered by the office)
)

// OwnerLabel names an owner for people.
func OwnerLabel(o string) string {
	switch o {
	case OwnerCandidate:
		return "被查询人"
	case OwnerUnit:
		return "查询申请单位"
	case OwnerOffice:
		return "信用办（答复单位）"
	case OwnerNational:
		return "国家公共信用信息中心"
	}
	return o
}

// Rule routes a hiring kind asked by a unit of a level.
type Rule struct {
	Kind      string `json:"kind"`
	UnitLevel string `json:"unit_level"`
	Answer    string `json:"answer"`    // the level whose credit office answers
	Requester string `json:"requester"` // who asks, in words
	System    string `json:"system"`    // the system the answer comes from
	Basis     string `json:"basis"`
}

// ChainStep is one step of an objection chain.
type ChainStep struct {
	Key   string `json:"key"` // deadline step
	Owner string `json:"owner"`
}

// Chain is the objection chain after an answer of a level.
type Chain struct {
	Answer string      `json:"answer"`
	Basis  string      `json:"basis"`
	Steps  []ChainStep `json:"steps"`
}

// Routing is the routing rules and objection chains (routing.json).
type Routing struct {
	Note   string   `json:"note"`
	Kinds  []string `json:"kinds"`
	Rules  []Rule   `json:"rules"`
	Chains []Chain  `json:"chains"`
}

//go:embed routing.json
var routingJSON []byte

// DefaultRouting is the built-in routing, checked against the deadline
// steps of rules.
func DefaultRouting(rules *deadline.Rules) (*Routing, error) { return LoadRouting(routingJSON, rules) }

// LoadRouting reads and checks routing rules: every kind has a rule for
// each unit level, answers are province or city, every answer level has a
// chain whose steps are known deadline steps, starting with the
// candidate's objection.
func LoadRouting(b []byte, rules *deadline.Rules) (*Routing, error) {
	var r Routing
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("hiring routing: %w", err)
	}
	for _, k := range r.Kinds {
		for _, lv := range []string{Province, City} {
			rule, ok := r.Rule(k, lv)
			if !ok {
				return nil, fmt.Errorf("hiring routing: no rule for %s asked at level %s", k, lv)
			}
			if rule.Answer != Province && rule.Answer != City {
				return nil, fmt.Errorf("hiring routing: %s/%s: answer %q", k, lv, rule.Answer)
			}
			if _, ok := r.Chain(rule.Answer); !ok {
				return nil, fmt.Errorf("hiring routing: no objection chain for answers at level %s", rule.Answer)
			}
		}
	}
	for _, c := range r.Chains {
		if len(c.Steps) < 3 || c.Steps[0].Owner != OwnerCandidate || c.Steps[len(c.Steps)-1].Owner != OwnerUnit {
			return nil, fmt.Errorf("hiring routing: the chain of %s must start with the candidate and end with the unit", c.Answer)
		}
		for _, s := range c.Steps {
			if _, ok := rules.Step(s.Key); !ok {
				return nil, fmt.Errorf("hiring routing: unknown deadline step %q", s.Key)
			}
			if !slices.Contains([]string{OwnerCandidate, OwnerUnit, OwnerOffice, OwnerNational}, s.Owner) {
				return nil, fmt.Errorf("hiring routing: step %s: unknown owner %q", s.Key, s.Owner)
			}
		}
	}
	return &r, nil
}

// Rule returns the rule for kind asked at unit level.
func (r *Routing) Rule(kind, level string) (Rule, bool) {
	for _, x := range r.Rules {
		if x.Kind == kind && x.UnitLevel == level {
			return x, true
		}
	}
	return Rule{}, false
}

// Chain returns the objection chain after an answer at level.
func (r *Routing) Chain(level string) (Chain, bool) {
	for _, c := range r.Chains {
		if c.Answer == level {
			return c, true
		}
	}
	return Chain{}, false
}

// States of a request.
const (
	StateReceived = "received" // 待核查
	StateReview   = "review"   // 待复审: a hit waits for the second review
	StateReady    = "ready"    // 待发送
	StateReplied  = "replied"  // 已答复
)

// StateLabel names a state for people.
func StateLabel(s string) string {
	switch s {
	case StateReceived:
		return "待核查"
	case StateReview:
		return "待复审（查询结果含失信联合惩戒对象）"
	case StateReady:
		return "待发送答复"
	case StateReplied:
		return "已答复"
	}
	return s
}

// ReviewItems are what the second review confirms, all three (789号:
// 二次复审、复核、复查).
var ReviewItems = []string{"复审", "复核", "复查"}

// Flow is a request's workflow, stored as JSON with the request.
type Flow struct {
	Answer     deadline.Timer `json:"answer"`
	Extensions []Extension    `json:"extensions,omitempty"`
	CheckedBy  string         `json:"checked_by,omitempty"` // Principal.String() of the officer who ran the check
	CheckedAt  time.Time      `json:"checked_at,omitzero"`
	Review     *Review        `json:"review,omitempty"`
	ReplyNo    string         `json:"reply_no,omitempty"`
	ReplyDate  string         `json:"reply_date,omitempty"`
	SentBy     string         `json:"sent_by,omitempty"`
	SentAt     time.Time      `json:"sent_at,omitzero"`
	// ObjectBy is the candidates' window to object (started when the
	// reply is sent).
	ObjectBy   deadline.Timer `json:"object_by,omitzero"`
	Objections []Objection    `json:"objections,omitempty"`
	Events     []Event        `json:"events"`
}

// Extension is an extension of the answer's deadline.
type Extension struct {
	At     time.Time     `json:"at"`
	By     string        `json:"by"`
	Days   int           `json:"days"`
	Reason string        `json:"reason"`
	From   calendar.Date `json:"from"`
	To     calendar.Date `json:"to"`
}

// Review is the second review of a hit.
type Review struct {
	By    string    `json:"by"`
	At    time.Time `json:"at"`
	Items []string  `json:"items"`
	Note  string    `json:"note"`
}

// Objection is a candidate's objection and its chain.
type Objection struct {
	Candidate int    `json:"candidate"` // index of the candidate
	Reason    string `json:"reason"`
	Level     string `json:"level"` // the chain followed (the answer's level)
	Steps     []Step `json:"steps"`
	Outcome   string `json:"outcome,omitempty"` // 维持原查询结果 / 更正查询结果
	Closed    bool   `json:"closed,omitempty"`
}

// Step is one step of an objection chain: its owner, its timer and what
// was noted when it was done.
type Step struct {
	Key   string         `json:"key"`
	Owner string         `json:"owner"`
	Timer deadline.Timer `json:"timer"`
	By    string         `json:"by,omitempty"`
	Note  string         `json:"note,omitempty"`
}

// Open returns the objection's open step.
func (o Objection) Open() (int, bool) {
	for i, s := range o.Steps {
		if s.Timer.Done.IsZero() && !s.Timer.Started.IsZero() {
			return i, true
		}
	}
	return -1, false
}

// Event is a line of the case's history.
type Event struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	What  string    `json:"what"`
}

// Outcomes of a review of an objection.
var Outcomes = []string{"维持原查询结果", "更正查询结果"}

// ListName is the name of a list that makes its subject a 失信联合惩戒对象
// (a serious list of the lists catalogue). Its only field is unexported:
// outside this package one is made only by ListNameOf, from a list type of
// class serious.
type ListName struct{ name string }

// ListNameOf returns the name of t when its entries are 失信联合惩戒对象.
func ListNameOf(t *lists.Type) (ListName, bool) {
	if t == nil || t.Class != lists.Serious {
		return ListName{}, false
	}
	return ListName{t.Name}, true
}

func (l ListName) String() string { return l.name }

// MarshalJSON writes the name.
func (l ListName) MarshalJSON() ([]byte, error) { return json.Marshal(l.name) }

// Line is what a reply says of one candidate: who (as the request named
// him or her, for the unit to match), whether he or she is a
// 失信联合惩戒对象, and on which lists. Nothing else can be put in it: no
// record, no decision, no penalty, no grade (789号: 不得反馈查询结果以外的
// 其他信用信息).
type Line struct {
	Index    int        `json:"index"`
	Name     string     `json:"name"`
	IDNumber string     `json:"id_number"`
	Post     string     `json:"post"`
	Target   bool       `json:"target"`
	Lists    []ListName `json:"lists"`
}

// Result says whether a candidate is a 失信联合惩戒对象 on day, from the
// list entries found for him or her: the serious lists in force.
func Result(entries []lists.Entry, day calendar.Date) (target bool, names []ListName) {
	for _, e := range entries {
		if st, _ := e.On(day); st != lists.InForce {
			continue
		}
		if n, ok := ListNameOf(e.Type); ok && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return len(names) > 0, names
}

// Reply is the formal reply document (查询核实结果反馈函).
type Reply struct {
	No        string `json:"no"`         // 答复文号
	Date      string `json:"date"`       // YYYY-MM-DD
	Office    string `json:"office"`     // who answers
	Unit      string `json:"unit"`       // to whom
	RequestNo string `json:"request_no"` // the request's 文号
	Kind      string `json:"kind"`       // hiring kind
	Lines     []Line `json:"lines"`
}

// Targets counts the candidates who are 失信联合惩戒对象.
func (r Reply) Targets() int {
	n := 0
	for _, l := range r.Lines {
		if l.Target {
			n++
		}
	}
	return n
}

// EncodeLists stores a candidate's list names (the store's lists column).
func EncodeLists(names []ListName) []byte {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n.name
	}
	b, _ := json.Marshal(out)
	return b
}

// DecodeLists reads list names stored by EncodeLists, keeping only the
// names of serious lists of cat (a name the catalogue no longer has as
// serious is dropped, never shown as something else).
func DecodeLists(b []byte, cat *lists.Catalog) []ListName {
	var names []string
	_ = json.Unmarshal(b, &names)
	var out []ListName
	for _, n := range names {
		for _, t := range cat.Types {
			if t.Name == n {
				if l, ok := ListNameOf(&t); ok {
					out = append(out, l)
				}
			}
		}
	}
	return out
}
