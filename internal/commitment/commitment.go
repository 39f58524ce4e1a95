// Package commitment is the credit commitment registry (信用承诺, domain
// facts §8): the rules on a commitment's fields, who may see it (its 公开类型)
// and who may record whether it was kept (履行状态), and the path from a
// breached commitment to a bad record (违背信用承诺, catalogue kind wn)
// through the platform's one intake path.
//
// A commitment is made in one of two ways:
//
//   - Sign: a subject user signs it online, naming the department it is
//     made to (承诺受理单位), which must be in the organisation tree;
//   - Register: a member of staff or an API client of the accepting
//     department (commitment.manage) registers one the promisor made to it
//     (an approval system's 告知承诺), naming the promisor by its code.
//
// The 信用修复型 commitment signed with a repair application is made by
// package repair and lives in the same registry.
//
// Its life is short: made (or registered), then assessed once by the
// accepting department: 全部履行, 部分履行 or 全部未履行. An assessment
// other than 全部履行 is a breach: the platform files a 违背信用承诺 record
// for the promisor through intake (as the accepting department, with the
// 承诺编码 as its document number) before it stores the assessment, so the
// breach is published, shared and checked like any bad record. Filing the
// same breach again finds the same record (its identity is the 承诺编码,
// the department and the subject), so a retry after a crash between the
// two steps neither loses nor duplicates it.
package commitment

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

// 承诺履行状态.
const (
	Fulfilled    = "全部履行"
	Partly       = "部分履行"
	NotFulfilled = "全部未履行"
)

// 公开类型.
const (
	Public  = store.CommitmentPublic // 可向社会公开: everyone
	Limited = "特定范围内公开"              // government staff and the promisor
	Secret  = "不可公开"                 // the promisor, the accepting department and the platform
)

// KindOther is the 承诺类型 that needs KindOther said.
const KindOther = "其他"

var (
	// Kinds are the 承诺类型 (domain facts §8).
	Kinds = []string{"审批替代型", "容缺受理型", "证明事项型", store.CommitmentRepair, "行业自律型", "主动型", KindOther}
	// Statuses are the 承诺履行状态.
	Statuses = []string{Fulfilled, Partly, NotFulfilled}
	// Disclosures are the 公开类型.
	Disclosures = []string{Public, Limited, Secret}
)

// Limits on the fields, in characters (domain facts §8).
const (
	MaxMatter    = 512
	MaxText      = 4000 // 承诺内容, 违诺责任, 未履行的承诺内容, 违诺责任追究内容
	MaxNote      = 512
	MaxKindOther = 50
	MaxName      = 200
)

// ErrInvalid is matched by every *Invalid.
var ErrInvalid = errors.New("commitment: invalid")

// ErrRefused is a request the principal may not make (not the promisor,
// not the accepting department, already assessed).
var ErrRefused = errors.New("commitment: refused")

// FieldError says what is wrong with one field.
type FieldError struct {
	Field  string `json:"field"` // the field's Chinese name
	Reason string `json:"reason"`
}

// Invalid lists everything wrong with a request; nothing was stored.
type Invalid struct{ Errs []FieldError }

func (e *Invalid) Error() string {
	parts := make([]string, len(e.Errs))
	for i, f := range e.Errs {
		parts[i] = f.Field + "：" + f.Reason
	}
	return strings.Join(parts, "；")
}

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *Invalid) Is(target error) bool { return target == ErrInvalid }

// Unwrap gives the error as a *fault.Error of kind Invalid with each field
// at fault.
func (e *Invalid) Unwrap() error {
	fields := make([]fault.Field, len(e.Errs))
	for i, f := range e.Errs {
		fields[i] = fault.Field{Field: f.Field, Reason: f.Reason}
	}
	return &fault.Error{Kind: fault.Invalid, Msg: "信用承诺有误：" + e.Error(), Fields: fields}
}

// refuse is a request the principal may not make: a *fault.Error of kind
// Refused that matches ErrRefused.
func refuse(format string, args ...any) error {
	return &fault.Error{Kind: fault.Refused, Msg: fmt.Sprintf(format, args...), Err: ErrRefused}
}

// Terms are what the promisor commits to.
type Terms struct {
	Kind       string // 承诺类型
	KindOther  string // what kind, when Kind is 其他
	Matter     string // 承诺事由
	Content    string // 承诺内容
	Liability  string // 违诺责任
	MadeOn     string // 承诺作出日期 (default today)
	ValidUntil string // 承诺有效期 (optional)
	Disclosure string // 公开类型
	Note       string // 备注
	// Key, when set, makes signing idempotent: a second Sign with the
	// same key returns the commitment the first one made (an application
	// that signs as one of its steps names itself in it).
	Key string
}

// errs collects field errors.
type errs []FieldError

func (e *errs) add(field, format string, args ...any) {
	*e = append(*e, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// text checks a text field: required when req, at most max characters.
func (e *errs) text(field, v string, req bool, max int) {
	switch n := utf8.RuneCountInString(v); {
	case v == "" && req:
		e.add(field, "必填")
	case n > max:
		e.add(field, "不能超过%d个字（现有%d个）", max, n)
	default:
		if reason := credit.BidiReason(v); reason != "" {
			e.add(field, "%s", reason)
		}
	}
}

// date checks a date field and returns it (zero when empty or invalid).
func (e *errs) date(field, v string, req bool) calendar.Date {
	if v == "" {
		if req {
			e.add(field, "必填")
		}
		return calendar.Date{}
	}
	d, err := calendar.ParseDate(v)
	if err != nil {
		e.add(field, "不是有效日期（应为YYYY-MM-DD）：%s", v)
		return calendar.Date{}
	}
	return d
}

func (e errs) err() error {
	if len(e) == 0 {
		return nil
	}
	return &Invalid{Errs: e}
}

// Normalize trims every field and fills the defaults (made today).
func (t Terms) Normalize(today calendar.Date) Terms {
	for _, f := range []*string{&t.Kind, &t.KindOther, &t.Matter, &t.Content, &t.Liability, &t.MadeOn, &t.ValidUntil, &t.Disclosure, &t.Note} {
		*f = strings.TrimSpace(*f)
	}
	if t.MadeOn == "" {
		t.MadeOn = today.String()
	}
	if t.Kind != KindOther {
		t.KindOther = ""
	}
	return t
}

// Check validates normalized terms made on or before today. A 信用修复型
// commitment is refused unless repair is true: it is signed with a repair
// application, not on its own.
func (t Terms) Check(today calendar.Date, repair bool) error {
	var e errs
	switch {
	case t.Kind == "":
		e.add("承诺类型", "必填")
	case !slices.Contains(Kinds, t.Kind):
		e.add("承诺类型", "应为%s之一：%s", strings.Join(Kinds, "、"), t.Kind)
	case t.Kind == store.CommitmentRepair && !repair:
		e.add("承诺类型", "信用修复承诺随信用修复申请一并签署，请在需要修复的信息页面申请信用修复")
	}
	e.text("具体承诺类型", t.KindOther, t.Kind == KindOther, MaxKindOther)
	e.text("承诺事由", t.Matter, true, MaxMatter)
	e.text("承诺内容", t.Content, true, MaxText)
	e.text("违诺责任", t.Liability, true, MaxText)
	e.text("备注", t.Note, false, MaxNote)
	made := e.date("承诺作出日期", t.MadeOn, true)
	if !made.IsZero() && made.After(today) {
		e.add("承诺作出日期", "不能晚于今天（%s）", today)
	}
	if until := e.date("承诺有效期", t.ValidUntil, false); !until.IsZero() && !made.IsZero() && until.Before(made) {
		e.add("承诺有效期", "不能早于承诺作出日期（%s）", made)
	}
	switch {
	case t.Disclosure == "":
		e.add("公开类型", "必填")
	case !slices.Contains(Disclosures, t.Disclosure):
		e.add("公开类型", "应为%s之一：%s", strings.Join(Disclosures, "、"), t.Disclosure)
	}
	return e.err()
}

// Assessment is the accepting department's finding on whether a
// commitment was kept (承诺履行状态认定).
type Assessment struct {
	Status      string // 承诺履行状态
	Unfulfilled string // 未履行的承诺内容: required unless 全部履行
	Pursued     string // 违诺责任追究内容: required unless 全部履行
	AssessedOn  string // 认定日期 (default today)
	// PromisorID is the promisor's 证件号码 when it is a person and the
	// commitment was breached: the platform keeps no ID number in clear,
	// and the 违背信用承诺 record needs it.
	PromisorID string
	Note       string // a remark kept in the history
}

// Breach reports whether the assessment finds the commitment breached.
func (a Assessment) Breach() bool { return a.Status != Fulfilled }

// Normalize trims every field and fills the defaults (assessed today).
func (a Assessment) Normalize(today calendar.Date) Assessment {
	for _, f := range []*string{&a.Status, &a.Unfulfilled, &a.Pursued, &a.AssessedOn, &a.PromisorID, &a.Note} {
		*f = strings.TrimSpace(*f)
	}
	if a.AssessedOn == "" {
		a.AssessedOn = today.String()
	}
	if a.Status == Fulfilled {
		a.Unfulfilled, a.Pursued = "", ""
	}
	return a
}

// Check validates a normalized assessment of c made on or before today.
func (a Assessment) Check(c store.Commitment, today calendar.Date) error {
	var e errs
	switch {
	case a.Status == "":
		e.add("承诺履行状态", "必填")
	case !slices.Contains(Statuses, a.Status):
		e.add("承诺履行状态", "应为%s之一：%s", strings.Join(Statuses, "、"), a.Status)
	}
	breach := a.Status != "" && a.Breach()
	e.text("未履行的承诺内容", a.Unfulfilled, breach, MaxText)
	e.text("违诺责任追究内容", a.Pursued, breach, MaxText)
	e.text("备注", a.Note, false, MaxNote)
	on := e.date("认定日期", a.AssessedOn, true)
	made, _ := calendar.ParseDate(c.MadeOn)
	switch {
	case on.IsZero():
	case on.After(today):
		e.add("认定日期", "不能晚于今天（%s）", today)
	case on.Before(made):
		e.add("认定日期", "不能早于承诺作出日期（%s）", made)
	}
	return e.err()
}

// Action is an event in a commitment's history.
type Action string

const (
	Sign     Action = "sign"     // signed online by the promisor
	Register Action = "register" // registered by the accepting department
	Assess   Action = "assess"   // fulfilment assessed
)

// Label is the action in Chinese.
func (a Action) Label() string {
	switch a {
	case Sign:
		return "承诺人在线签署"
	case Register:
		return "受理单位登记"
	case Assess:
		return "认定履行状态"
	}
	return string(a)
}

// Event is one entry of a commitment's history.
type Event struct {
	At     time.Time `json:"at"`
	Action Action    `json:"action"`
	By     string    `json:"by"` // who, as shown: the promisor's or the department's name
	Note   string    `json:"note,omitempty"`
}

// History decodes a commitment's stored history.
func History(c store.Commitment) ([]Event, error) {
	var h []Event
	if len(c.History) == 0 {
		return h, nil
	}
	if err := json.Unmarshal(c.History, &h); err != nil {
		return nil, fmt.Errorf("commitment %d history: %w", c.ID, err)
	}
	return h, nil
}

// KindLabel is the 承诺类型 as shown: "其他（…）" when Kind is 其他.
func KindLabel(c store.Commitment) string {
	if c.Kind == KindOther && c.KindOther != "" {
		return KindOther + "（" + c.KindOther + "）"
	}
	return c.Kind
}

// StatusLabel is the 履行状态 as shown: 待认定 before the assessment.
func StatusLabel(c store.Commitment) string {
	if c.Status == "" {
		return "待认定"
	}
	return c.Status
}
