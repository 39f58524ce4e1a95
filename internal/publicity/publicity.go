// Package publicity decides whether a credit record is public on a given
// day, and why: its disclosure level, the publicity window of its kind and
// severity (轻微 / 一般 / 严重, classified by the catalogue's rules), a
// department's earlier 公示截止期, revocation, repair and objections. The
// portal, the read API, reports and the check API all ask Decide; no other
// code decides publicity.
package publicity

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
)

// Input is what Decide needs to know about a record on the day asked: the
// version in force that day and the events that happened by then.
type Input struct {
	Kind *catalog.Kind
	// Fields are the public fields (by key) of the version in force.
	Fields map[string]string
	// Received is the day the platform first received the record; it was
	// not public before.
	Received calendar.Date
	// Revoked: the version in force is 撤销 (revoked).
	Revoked bool
	// Repaired is the day a credit repair of the record was approved (zero:
	// never); from that day it is no longer public.
	Repaired calendar.Date
	// Objection: an objection to the record is being handled on the day.
	Objection bool
}

// Status is the outcome of a decision.
type Status string

const (
	Shown          Status = "shown"         // public
	UnderObjection Status = "objection"     // public, marked 异议处理中
	NotYet         Status = "not_yet"       // not yet received or decided on that day
	Expired        Status = "expired"       // its publicity window has ended
	Revoked        Status = "revoked"       // 撤销
	Repaired       Status = "repaired"      // 信用修复 approved
	NotPublic      Status = "not_public"    // its disclosure level is not 公开
	NotPublished   Status = "not_published" // its class is not published at all
	Exited         Status = "exited"        // a list entry removed (移出)
)

// Label is the status in Chinese.
func (s Status) Label() string {
	switch s {
	case Shown:
		return "公示中"
	case UnderObjection:
		return "异议处理中"
	case NotYet:
		return "尚未公示"
	case Expired:
		return "公示期满"
	case Revoked:
		return "已撤销"
	case Repaired:
		return "已信用修复"
	case NotPublic:
		return "不予公开"
	case NotPublished:
		return "不予公示"
	case Exited:
		return "已移出"
	}
	return string(s)
}

// Decision says whether a record is public on a day, and why.
type Decision struct {
	Public bool   `json:"public"`
	Status Status `json:"status"`
	// Severity (minor, general, serious) and the basis of the
	// classification; "" for kinds without publicity windows.
	Severity      string `json:"severity,omitempty"`
	SeverityBasis string `json:"severity_basis,omitempty"`
	// From is the first day of the publicity window; Until the last day
	// (zero: no end). MinUntil is the last day of the shortest publicity
	// (repair cannot end publicity before it; zero when there is none).
	From     calendar.Date `json:"-"`
	Until    calendar.Date `json:"-"`
	MinUntil calendar.Date `json:"-"`
	// UntilByDept: Until is the supplying department's 公示截止期, earlier
	// than the kind's maximum.
	UntilByDept bool `json:"until_by_dept,omitempty"`
	// Reason explains the decision in Chinese.
	Reason string `json:"reason"`
}

// SeverityLabel is the severity in Chinese (轻微 / 一般 / 严重).
func (d Decision) SeverityLabel() string { return catalog.SeverityLabel(d.Severity) }

// Decide answers whether the record described by in is public on day on.
func Decide(in Input, on calendar.Date) Decision {
	k := in.Kind
	if k.Disclosure != catalog.DisclosurePublic {
		return Decision{Status: NotPublic, Reason: k.Name + "信息属于" + disclosureLabel(k.Disclosure) + "信息，不向社会公开"}
	}
	d := Decision{}
	pub := k.Publicity
	if pub.From != "" {
		d.From = dateOf(in.Fields[pub.From])
	}
	if d.From.IsZero() {
		d.From = in.Received
	}
	var w catalog.Window
	hasWindow := len(pub.Windows) > 0
	if hasWindow {
		d.Severity, d.SeverityBasis = Classify(k, in.Fields)
		w, _ = pub.Window(d.Severity)
		d.Until = d.From.AddMonths(w.MaxMonths)
		if w.MinMonths > 0 {
			d.MinUntil = d.From.AddMonths(w.MinMonths)
		}
		if pub.Until != "" {
			if u := dateOf(in.Fields[pub.Until]); !u.IsZero() && u.Before(d.Until) {
				d.Until, d.UntilByDept = u, true
			}
		}
	}
	if !hasWindow && pub.Until != "" {
		// No window by class: the sender's date ends it (a list entry's
		// 有效期至; 长期 is a far date).
		d.Until = dateOf(in.Fields[pub.Until])
		d.UntilByDept = !d.Until.IsZero()
	}
	var exit calendar.Date
	if pub.Exit != "" {
		exit = dateOf(in.Fields[pub.Exit])
	}
	switch {
	case !in.Received.IsZero() && on.Before(in.Received):
		d.Status = NotYet
		d.Reason = "平台于" + in.Received.String() + "归集该信息，" + on.String() + "尚未公示"
	case in.Revoked:
		d.Status = Revoked
		d.Reason = "该信息已被撤销，不再公示"
	case !in.Repaired.IsZero() && !on.Before(in.Repaired):
		d.Status = Repaired
		d.Reason = "已于" + in.Repaired.String() + "完成信用修复，停止公示和共享"
	case hasWindow && w.MaxMonths == 0:
		d.Status = NotPublished
		d.Reason = d.SeverityLabel() + "失信信息不予公示（" + d.SeverityBasis + "）"
	case on.Before(d.From):
		d.Status = NotYet
		d.Reason = "公示期自" + d.From.String() + "开始"
	case !exit.IsZero() && !on.Before(exit):
		d.Status = Exited
		d.Reason = "已于" + exit.String() + "移出，停止公示"
	case hasWindow && on.After(d.Until):
		d.Status = Expired
		d.Reason = "公示期已于" + d.Until.String() + "届满（" + d.windowText(w) + "），停止公示"
	case !hasWindow && !d.Until.IsZero() && on.After(d.Until):
		d.Status = Expired
		d.Reason = "有效期已于" + d.Until.String() + "届满，停止公示"
	default:
		d.Public = true
		d.Status = Shown
		if in.Objection {
			d.Status = UnderObjection
		}
		switch {
		case hasWindow:
			d.Reason = "公示期" + d.From.String() + "至" + d.Until.String() + "（" + d.windowText(w) + "）"
		case !d.Until.IsZero():
			d.Reason = "自" + d.From.String() + "起公示，有效期至" + d.Until.String()
		default:
			d.Reason = "自" + d.From.String() + "起公示，" + k.Name + "信息没有公示期限"
		}
		if in.Objection {
			d.Reason += "；异议处理中"
		}
	}
	return d
}

// windowText explains how Until was set.
func (d Decision) windowText(w catalog.Window) string {
	s := d.SeverityLabel() + "，自决定日期起最长" + months(w.MaxMonths)
	if d.UntilByDept {
		s += "；报送单位确定的公示截止期更早"
	}
	return s
}

func months(n int) string {
	if n%12 == 0 {
		return strconv.Itoa(n/12) + "年"
	}
	return strconv.Itoa(n) + "个月"
}

func disclosureLabel(d catalog.Disclosure) string {
	switch d {
	case catalog.DisclosureShared:
		return "政务共享"
	case catalog.DisclosureAuthorised:
		return "授权查询"
	}
	return string(d)
}

func dateOf(s string) calendar.Date {
	d, err := calendar.ParseDate(s)
	if err != nil {
		return calendar.Date{}
	}
	return d
}

// Classify returns the severity of a record of kind k by the kind's
// severity rules (the first that matches), and the basis of the rule, or
// the default severity. Kinds without rules give their default (or the
// only window's severity).
func Classify(k *catalog.Kind, fields map[string]string) (severity, basis string) {
	pub := k.Publicity
	for _, r := range pub.SeverityRules {
		if matches(r, fields) {
			return r.Severity, r.Basis
		}
	}
	if pub.DefaultSeverity != "" {
		return pub.DefaultSeverity, "不符合轻微或严重的认定规则，按" + catalog.SeverityLabel(pub.DefaultSeverity) + "公示"
	}
	if len(pub.Windows) == 1 {
		return pub.Windows[0].Severity, ""
	}
	return "", ""
}

func matches(r catalog.SeverityRule, fields map[string]string) bool {
	if r.Field != "" {
		items := catalog.SplitItems(fields[r.Field])
		if len(r.AnyOf) > 0 && !slices.ContainsFunc(items, func(it string) bool { return slices.Contains(r.AnyOf, it) }) {
			return false
		}
		if len(r.OnlyOf) > 0 && (len(items) == 0 || !allIn(items, r.OnlyOf)) {
			return false
		}
	}
	if len(r.Amounts) > 0 {
		sum := 0.0
		for _, key := range r.Amounts {
			if v := fields[key]; v != "" {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return false
				}
				sum += f
			}
		}
		// Compare in 1/1,000,000 units so that 0.1+0.2 equals 0.3.
		s := roundMicro(sum)
		if r.AmountAtLeast != nil && s < roundMicro(*r.AmountAtLeast) {
			return false
		}
		if r.AmountAtMost != nil && s > roundMicro(*r.AmountAtMost) {
			return false
		}
	}
	if len(r.Domains) > 0 {
		found := false
		for _, key := range r.DomainFields {
			v := fields[key]
			if v != "" && slices.ContainsFunc(r.Domains, func(w string) bool { return strings.Contains(v, w) }) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func allIn(items, list []string) bool {
	for _, it := range items {
		if !slices.Contains(list, it) {
			return false
		}
	}
	return true
}

func roundMicro(f float64) int64 {
	if f < 0 {
		return -roundMicro(-f)
	}
	return int64(f*1e6 + 0.5)
}

// String is a one-line summary for logs and tests.
func (d Decision) String() string {
	return fmt.Sprintf("%s %s %s..%s", d.Status, d.Severity, d.From, d.Until)
}
