package market

import (
	"fmt"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/deadline"
)

// Agency states (中介机构库).
const (
	AgencyApplied     = "applied"     // 待核查: the form check runs (2 working days)
	AgencyIncomplete  = "incomplete"  // 待补正: asked for everything missing at once; the clock stopped
	AgencyActive      = "active"      // 已入驻
	AgencyRefused     = "refused"     // 核查不通过, with reasons
	AgencyIntercepted = "intercepted" // 已拦截: dishonesty found by the credit check at registration
	AgencyExited      = "exited"      // 已清退
)

// AgencyStateLabel names an agency state.
func AgencyStateLabel(s string) string {
	switch s {
	case AgencyApplied:
		return "待核查"
	case AgencyIncomplete:
		return "待补正"
	case AgencyActive:
		return "已入驻"
	case AgencyRefused:
		return "核查不通过"
	case AgencyIntercepted:
		return "已拦截"
	case AgencyExited:
		return "已清退"
	}
	return s
}

// Project states.
const (
	ProjectReview     = "review"     // 待审查: the operator's form review (2 working days)
	ProjectIncomplete = "incomplete" // 待补正
	ProjectOpen       = "open"       // 报名中: the notice is published
	ProjectClosed     = "closed"     // 待选取: enrolment (and bidding) closed
	ProjectFailed     = "failed"     // 无人报名: no agency enrolled; the owner files again
	ProjectSelected   = "selected"   // 待确认: the owner confirms within 1 working day, else the system does
	ProjectConfirmed  = "confirmed"  // 已确认: notice and 《选取确认书》 issued; contact and contract
	ProjectContracted = "contracted" // 合同已备案: the agency works
	ProjectDelivered  = "delivered"  // 待评价: results uploaded; the owner rates within 3 working days
	ProjectRated      = "rated"      // 已评价
	ProjectCancelled  = "cancelled"  // 已取消
	// ProjectReported: the owner's substantive check before signing found
	// the selected agency unfit and told the operator (第二十六条), who
	// cancels its selection (market.disqualify).
	ProjectReported = "reported" // 待取消中选资格
	// ProjectDisqualified: the selection was cancelled; the owner may
	// publish a new notice naming the 补选 reason (第二十三条（四）).
	ProjectDisqualified = "disqualified" // 中选资格已取消
)

// ProjectStateLabel names a project state.
func ProjectStateLabel(s string) string {
	switch s {
	case ProjectReview:
		return "待审查"
	case ProjectIncomplete:
		return "待补正"
	case ProjectOpen:
		return "报名中"
	case ProjectClosed:
		return "待选取"
	case ProjectFailed:
		return "无人报名"
	case ProjectSelected:
		return "待确认"
	case ProjectConfirmed:
		return "已确认"
	case ProjectContracted:
		return "合同已备案"
	case ProjectDelivered:
		return "待评价"
	case ProjectRated:
		return "已评价"
	case ProjectCancelled:
		return "已取消"
	case ProjectReported:
		return "待取消中选资格"
	case ProjectDisqualified:
		return "中选资格已取消"
	}
	return s
}

// Event is one step of an agency's or a project's history.
type Event struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"` // in Chinese: 提交入驻申请, 核查通过 …
	By     string    `json:"by"`     // who (a name, or 系统)
	Note   string    `json:"note,omitempty"`
}

// Qualification is an agency's qualification (资质).
type Qualification struct {
	Industry string `json:"industry"`        // 行业
	Class    string `json:"class"`           // 资质类别
	Level    string `json:"level,omitempty"` // 等级
	CertNo   string `json:"cert_no"`         // 证书编号
}

// String is the qualification in one phrase.
func (q Qualification) String() string {
	s := q.Industry + " " + q.Class
	if q.Level != "" {
		s += "（" + q.Level + "）"
	}
	return s
}

// FileRef is an uploaded file.
type FileRef struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// Hit is an interception: the rule applied and the record behind it.
type Hit struct {
	Rule       string `json:"rule"`        // the measure and its basis
	List       string `json:"list"`        // the list's name
	Authority  string `json:"authority"`   // 认定单位
	DecisionNo string `json:"decision_no"` // 认定文书号
	Date       string `json:"date"`        // 认定日期
	RecordID   int64  `json:"record_id"`
}

// Text is the hit in one sentence.
func (h Hit) Text() string {
	return fmt.Sprintf("列入%s（%s %s，%s起，信息编号%d），依据%s", h.List, h.Authority, h.DecisionNo, h.Date, h.RecordID, h.Rule)
}

// AgencyInfo is what an agency applies with and may change.
type AgencyInfo struct {
	Region   string `json:"region"`   // 注册地 (division code)
	Address  string `json:"address"`  // 办公地址
	Contact  string `json:"contact"`  // 联系人 (not public)
	Phone    string `json:"phone"`    // 联系电话 (not public)
	Staff    int    `json:"staff"`    // 执业人员数
	Services string `json:"services"` // 服务范围
	// Items are the catalogue items the agency offers.
	Items          []int64         `json:"items"`
	Qualifications []Qualification `json:"qualifications"`
	// The legal representative's and the actual controller's names are
	// kept; their ID numbers only as keyed hashes (for 回避) and masked.
	LegalRep       string    `json:"legal_rep"`
	LegalRepHash   string    `json:"legal_rep_hash"`
	LegalRepMasked string    `json:"legal_rep_masked"`
	Controller     string    `json:"controller"`
	ControllerHash string    `json:"controller_hash"`
	Scans          []FileRef `json:"scans"`
}

// Change is a change of an agency's information waiting for review.
type Change struct {
	Info   AgencyInfo     `json:"info"`
	Reason string         `json:"reason"`
	Timer  deadline.Timer `json:"timer"`
}

// Agency is the body of an agency's file.
type Agency struct {
	Name         string     `json:"name"`
	Code         string     `json:"code"`     // USCC
	OperatorID   int64      `json:"operator"` // the operator's organisation (运维机构)
	OperatorName string     `json:"operator_name"`
	Info         AgencyInfo `json:"info"`
	CommitmentID int64      `json:"commitment"` // the integrity commitment (守信承诺)
	// Attempt counts the applications (1 the first; a refused, intercepted
	// or exited agency applies again with the next): the commitment's
	// idempotency key names it (KeyOf).
	Attempt int `json:"attempt,omitempty"`
	// Timer is the running form check (market.agency_check).
	Timer   deadline.Timer `json:"timer"`
	Missing []string       `json:"missing,omitempty"` // 补正 items, asked at once
	Reasons string         `json:"reasons,omitempty"` // why refused or exited
	Hits    []Hit          `json:"hits,omitempty"`    // interception at registration, or exit
	Change  *Change        `json:"change,omitempty"`
	// Dishonesty is what the marketplace shows of the agency's
	// dishonesty (第三十条), with when it was found and shown.
	Dishonesty []Dishonesty `json:"dishonesty,omitempty"`
	History    []Event      `json:"history"`
}

// Dishonesty is a dishonesty record shown on the marketplace.
type Dishonesty struct {
	Hit
	Timer deadline.Timer `json:"timer"` // market.dishonesty: found → shown
}

// Enrolment is an agency's enrolment in a project, accepted or refused.
type Enrolment struct {
	AgencyID  int64     `json:"agency"`
	SubjectID int64     `json:"subject"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	At        time.Time `json:"at"`
	Bid       int64     `json:"bid,omitempty"` // fen
	BidAt     time.Time `json:"bid_at,omitzero"`
	// Kinship: the agency declared kinship of its legal representative or
	// controller with the owner's (第二十五条（二）).
	Kinship  bool   `json:"kinship"`
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason,omitempty"` // why refused: the rule, the record
	Rule     string `json:"rule,omitempty"`   // 回避, 拦截, 条件
	Hits     []Hit  `json:"hits,omitempty"`
	// legal rep and controller hashes at enrolment (for 回避 among bidders)
	LegalRepHash   string `json:"legal_rep_hash,omitempty"`
	ControllerHash string `json:"controller_hash,omitempty"`
}

// Draw is one run of the selection, with everything needed to run it
// again.
type Draw struct {
	At       time.Time `json:"at"`
	SeedHash string    `json:"seed_hash"`
	Input    Input     `json:"input"`
	Result   Result    `json:"result"`
	// Excluded are enrolled agencies left out at selection (intercepted).
	Excluded []Enrolment `json:"excluded,omitempty"`
	// Void: the draw was voided for a technical failure (第二十七条).
	Void string `json:"void,omitempty"`
}

// Rating is the owner's rating of the service (第二十八条).
type Rating struct {
	Quality    string    `json:"quality"`
	Timeliness string    `json:"timeliness"`
	Attitude   string    `json:"attitude"`
	Fee        string    `json:"fee"`
	Conduct    string    `json:"conduct"`
	Comment    string    `json:"comment,omitempty"`
	Total      int       `json:"total"` // 0..100
	At         time.Time `json:"at"`
	RecordID   int64     `json:"record"` // the zj record filed through intake
}

// Levels are the satisfaction levels of a rating, best first, with their
// points (5 dimensions × 20 = 100).
var Levels = []struct {
	Name   string
	Points int
}{{"非常满意", 20}, {"满意", 16}, {"基本满意", 12}, {"不满意", 8}, {"非常不满意", 4}}

// Points is a level's points (0, false when unknown).
func Points(level string) (int, bool) {
	for _, l := range Levels {
		if l.Name == level {
			return l.Points, true
		}
	}
	return 0, false
}

// ProjectInfo is what an owner files (第二十三条（一）).
type ProjectInfo struct {
	Name     string `json:"name"` // 项目名称
	ItemID   int64  `json:"item"` // 中介服务事项
	ItemName string `json:"item_name"`
	Industry string `json:"industry"`
	Content  string `json:"content"`         // 服务内容
	Duration string `json:"duration"`        // 服务时限
	Budget   int64  `json:"budget"`          // 服务费用预算, fen
	Method   Method `json:"method"`          // 选取方式
	Count    int    `json:"count,omitempty"` // 随机选取的数量
	// EnrolUntil is the last day of enrolment; BidUntil the last day of
	// bidding (bid methods; not before EnrolUntil). YYYY-MM-DD, China.
	EnrolUntil string `json:"enrol_until"`
	BidUntil   string `json:"bid_until,omitempty"`
	// Qualification: the class the agency must hold (资质类别), its
	// industry and level; CreditGrade: the lowest public credit grade
	// accepted ("" none); Conditions: other conditions in words.
	QualClass   string `json:"qual_class,omitempty"`
	QualLevel   string `json:"qual_level,omitempty"`
	CreditGrade string `json:"credit_grade,omitempty"`
	Conditions  string `json:"conditions,omitempty"`
	Special     string `json:"special,omitempty"`   // 特殊情形说明
	Avoidance   string `json:"avoidance,omitempty"` // 回避情形
	Fiscal      bool   `json:"fiscal"`              // 使用财政性资金
	// OwnerRep and OwnerLead are the owner's legal representative and the
	// project's lead, named for the kinship declaration.
	OwnerRep  string `json:"owner_rep,omitempty"`
	OwnerLead string `json:"owner_lead,omitempty"`
	// Rerun is the reason of a 补选 (a new notice after a failed one).
	Rerun string `json:"rerun,omitempty"`
}

// Project is the body of a project.
type Project struct {
	Owner        string      `json:"owner"` // the owner's organisation name
	OwnerUSCC    string      `json:"owner_uscc"`
	OperatorID   int64       `json:"operator"` // the operator's organisation
	OperatorName string      `json:"operator_name"`
	Info         ProjectInfo `json:"info"`
	// Exclusive are 第二十四条 flags of the conditions, shown to the owner.
	Exclusive []string       `json:"exclusive,omitempty"`
	Timer     deadline.Timer `json:"timer"` // the running review, confirmation, contact … step
	Missing   []string       `json:"missing,omitempty"`
	// Notices counts the notices published without a bidder before this
	// one (after two, a fiscal project may negotiate).
	Notices     int       `json:"notices"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	// Seed is secret until the draw; SeedHash is published with the notice.
	Seed       string      `json:"seed,omitempty"`
	SeedHash   string      `json:"seed_hash,omitempty"`
	Enrolments []Enrolment `json:"enrolments"`
	Draws      []Draw      `json:"draws,omitempty"`
	Winners    []string    `json:"winners,omitempty"`
	// Confirmation: who confirmed and when; Auto when the system did.
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
	ConfirmedBy string    `json:"confirmed_by,omitempty"`
	Auto        bool      `json:"auto,omitempty"`
	ContactedAt time.Time `json:"contacted_at,omitzero"`
	SignedOn    string    `json:"signed_on,omitempty"`
	Contract    *FileRef  `json:"contract,omitempty"`
	ContractAt  time.Time `json:"contract_at,omitzero"`
	// Confidential: the contract is kept secret by law (not uploaded).
	Confidential bool      `json:"confidential,omitempty"`
	Result       *FileRef  `json:"result,omitempty"`
	DeliveredAt  time.Time `json:"delivered_at,omitzero"`
	Rating       *Rating   `json:"rating,omitempty"`
	Late         []string  `json:"late,omitempty"` // steps done late, by name
	Cancel       string    `json:"cancel,omitempty"`
	// Check is the owner's substantive check of the selected agency
	// before signing (第二十六条); nil before the confirmation.
	Check *OwnerCheck `json:"check,omitempty"`
	// Reselect is the 补选 project filed after the selection was
	// cancelled; ReselectOf the project a 补选 replaces.
	Reselect   int64   `json:"reselect,omitempty"`
	ReselectOf int64   `json:"reselect_of,omitempty"`
	History    []Event `json:"history"`
}

// OwnerCheck is the owner's substantive check of the selected agency
// before the contract is signed (第二十六条), and the operator's decision
// when it failed.
type OwnerCheck struct {
	Timer  deadline.Timer `json:"timer"` // market.owner_check, from the confirmation
	At     time.Time      `json:"at,omitzero"`
	By     string         `json:"by,omitempty"`
	Passed bool           `json:"passed"`
	// Rule is 条件 (a condition of the notice not met) or 回避 (a 第二十五条
	// case); Findings says what the owner found.
	Rule     string `json:"rule,omitempty"`
	Findings string `json:"findings,omitempty"`
	// The agency whose selection is in question.
	Agency string `json:"agency,omitempty"`
	Code   string `json:"code,omitempty"`
	// The operator's decision (market.disqualify): Cancelled, or the
	// report rejected with Note.
	OpTimer   deadline.Timer `json:"op_timer,omitzero"`
	DecidedAt time.Time      `json:"decided_at,omitzero"`
	Cancelled bool           `json:"cancelled,omitempty"`
	Note      string         `json:"note,omitempty"`
}

// Accepted are the enrolments accepted, in order.
func (p *Project) Accepted() []Enrolment {
	var out []Enrolment
	for _, e := range p.Enrolments {
		if e.Accepted {
			out = append(out, e)
		}
	}
	return out
}

// Code is a project's code (项目编号).
func Code(id int64) string { return fmt.Sprintf("ZJ%08d", id) }

// ConfirmationNo is the number of a project's 《选取确认书》.
func ConfirmationNo(id int64) string { return Code(id) + "-QR" }

// RatingNo is the decision number of a project's rating record.
func RatingNo(id int64) string { return Code(id) + "-PJ" }

// ParseCode reads a project code or id.
func ParseCode(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "ZJ")
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil || id <= 0 {
		return 0, false
	}
	return id, true
}
