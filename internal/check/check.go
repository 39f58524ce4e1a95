// Package check answers a credit check (信用核查): for a subject and a
// scenario (政府采购, 行政审批, …) on a day, the lists it is on, the
// measures the law attaches to them in that scenario, its public bad
// records by class, and a plain verdict for the clerk with the reasons.
// It decides from records handed to it and does no I/O; the web layer
// finds the subjects and their records, archives the answer and writes
// the audit trail.
package check

import (
	"fmt"
	"strconv"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/publicity"
	"github.com/xinyong/xinyong/internal/store"
)

// Verdict is the answer in one phrase.
type Verdict string

const (
	None     Verdict = "无限制"
	Punish   Verdict = "有惩戒措施"
	Reward   Verdict = "有激励措施"
	NotFound Verdict = "未找到主体"
)

// ListHit is a list entry in force.
type ListHit struct {
	Type         string `json:"type" doc:"List type code (lists.json)."`
	Name         string `json:"name" doc:"List name, e.g. 失信被执行人."`
	Class        string `json:"class" enum:"serious,abnormal,watch,red"`
	Authority    string `json:"authority" doc:"认定单位."`
	DecisionNo   string `json:"decision_no" doc:"认定文书号."`
	DecisionDate string `json:"decision_date" doc:"认定日期."`
	ValidTo      string `json:"valid_to,omitempty" doc:"有效期至; empty: until removed."`
	Facts        string `json:"facts" doc:"主要失信事实 or the merit."`
	Basis        string `json:"basis" doc:"The list's legal basis."`
	RecordID     int64  `json:"record_id"`
}

// MeasureHit is a measure that applies.
type MeasureHit struct {
	Code        string   `json:"code"`
	Name        string   `json:"name"`
	Class       string   `json:"class" enum:"restrict,manage,reward"`
	Basis       string   `json:"basis" doc:"Legal basis of the measure."`
	Departments []string `json:"departments" doc:"Who implements it."`
	By          []string `json:"by" doc:"The list types (codes) that trigger it."`
}

// Result is the answer for one subject.
type Result struct {
	Verdict  Verdict        `json:"verdict" enum:"无限制,有惩戒措施,有激励措施,未找到主体"`
	Reasons  []string       `json:"reasons" doc:"Why, in words for the clerk."`
	Lists    []ListHit      `json:"lists" doc:"List entries in force on the day."`
	Measures []MeasureHit   `json:"measures" doc:"Measures that apply in the scenario: punishments and incentives."`
	Bad      map[string]int `json:"bad_records" doc:"Public bad records (行政处罚) by class: serious, general, minor."`
	// Evaluation is the subject's public credit grade, when it has one.
	Evaluation *evaluation.Brief `json:"evaluation,omitempty" doc:"The subject's public credit evaluation (公共信用综合评价): grade, score, model and the contributions in words; absent for persons and subjects not yet evaluated. Informative: it decides no measure."`
}

// Checker evaluates subjects against the lists catalogue.
type Checker struct {
	Catalog *catalog.Catalog
	Lists   *lists.Catalog
}

// Evaluate answers for one subject's records (current versions) in
// scenario on day. Records of other kinds than lists and bad kinds are
// ignored; revoked list entries and records not public that day do not
// count.
func (c *Checker) Evaluate(scenario string, day calendar.Date, recs []store.Record) (Result, error) {
	sc, ok := c.Lists.Scenario(scenario)
	if !ok {
		return Result{}, fault.Newf(fault.Invalid, "未知的核查场景 %q", scenario)
	}
	res := Result{Bad: map[string]int{"serious": 0, "general": 0, "minor": 0}, Lists: []ListHit{}, Measures: []MeasureHit{}}
	var types []string
	for _, r := range recs {
		k, ok := c.Catalog.Kind(r.Kind)
		if !ok {
			continue
		}
		fields, err := store.DecodeFields(r.Fields)
		if err != nil {
			return Result{}, fmt.Errorf("record %d: %w", r.ID, err)
		}
		if e, ok := c.Lists.EntryOf(r.Kind, r.ID, fields, r.State == store.StateRevoked); ok {
			if st, _ := e.On(day); st == lists.InForce {
				res.Lists = append(res.Lists, ListHit{Type: e.Type.Code, Name: e.Type.Name, Class: string(e.Type.Class), Authority: e.Authority,
					DecisionNo: e.DecisionNo, DecisionDate: e.DecisionDate.String(), ValidTo: dateString(e.ValidTo), Facts: e.Facts,
					Basis: e.Type.Basis, RecordID: r.ID})
				types = append(types, e.Type.Code)
			}
			continue
		}
		if k.Nature != catalog.NatureBad {
			continue
		}
		first := r.FirstReceived
		if first.IsZero() {
			first = r.ReceivedAt
		}
		d := publicity.Decide(publicity.Input{Kind: k, Fields: fields, Received: calendar.FromTime(first), Revoked: r.State == store.StateRevoked}, day)
		if d.Public && d.Severity != "" {
			res.Bad[d.Severity]++
		}
	}
	var punish, reward []string
	for _, a := range c.Lists.MeasuresFor(scenario, types) {
		res.Measures = append(res.Measures, MeasureHit{Code: a.Code, Name: a.Name, Class: string(a.Class), Basis: a.Basis, Departments: a.Departments, By: a.By})
		if a.Class == lists.Reward {
			reward = append(reward, a.Name)
		} else {
			punish = append(punish, a.Name)
		}
	}
	for _, l := range res.Lists {
		res.Reasons = append(res.Reasons, "列入"+l.Name+"（"+l.Authority+" "+l.DecisionNo+"，"+l.DecisionDate+"起）")
	}
	switch {
	case len(punish) > 0:
		res.Verdict = Punish
		res.Reasons = append(res.Reasons, sc.Name+"中应当适用："+join(punish))
		if len(reward) > 0 {
			res.Reasons = append(res.Reasons, "同时符合激励措施："+join(reward))
		}
	case len(reward) > 0:
		res.Verdict = Reward
		res.Reasons = append(res.Reasons, sc.Name+"中可以适用："+join(reward))
	default:
		res.Verdict = None
		if len(res.Lists) > 0 {
			res.Reasons = append(res.Reasons, "所列名单在"+sc.Name+"中没有对应的奖惩措施")
		} else {
			res.Reasons = append(res.Reasons, "未列入任何名单")
		}
	}
	if n := res.Bad["serious"] + res.Bad["general"] + res.Bad["minor"]; n > 0 {
		res.Reasons = append(res.Reasons, "公示中的行政处罚"+strconv.Itoa(n)+"条（严重"+strconv.Itoa(res.Bad["serious"])+"、一般"+
			strconv.Itoa(res.Bad["general"])+"、轻微"+strconv.Itoa(res.Bad["minor"])+"），仅供参考，不单独构成惩戒依据")
	}
	return res, nil
}

func dateString(d calendar.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += "；"
		}
		out += v
	}
	return out
}
