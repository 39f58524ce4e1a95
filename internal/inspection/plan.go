// Package inspection is graded supervision (分级分类监管) and 双随机、一公开
// inspections weighted by credit: each department's measures per grade as
// data (the share of subjects of each grade a random inspection draws,
// how often, what else), its list of inspection matters and inspector
// pool with conflicts of interest (回避), and tasks whose draw is
// reproducible and verifiable: the population snapshot's hash, the ratios
// by grade and a seed committed before the draw are published with the
// result, and anyone can run the draw again (Run). Results are entered per
// target and filed as 双随机抽查结果 records through intake.
package inspection

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
)

//go:embed supervision.json
var defaultPlan []byte

// Ungraded is the grade of a subject with no evaluation, in plans and
// snapshots.
const Ungraded = "-"

// GradeMeasure is what a department does with subjects of one grade.
type GradeMeasure struct {
	Grade string `json:"grade"`
	// MinPercent and MaxPercent bound the share of the grade's subjects a
	// random inspection may draw; Percent is the share a draw takes.
	MinPercent float64 `json:"min_percent"`
	MaxPercent float64 `json:"max_percent"`
	Percent    float64 `json:"percent"`
	// MaxPerYear is how often the department may draw a subject of the
	// grade in twelve months (0: no limit): a subject drawn as often
	// already is left out of the population.
	MaxPerYear int    `json:"max_per_year"`
	Frequency  string `json:"frequency"`
	Measures   string `json:"measures"`
}

// PerMille is the share a draw takes, in thousandths.
func (g GradeMeasure) PerMille() int { return int(math.Round(g.Percent * 10)) }

// Plan is a department's graded supervision measures.
type Plan struct {
	Source   string         `json:"source"`
	Note     string         `json:"note"`
	Grades   []GradeMeasure `json:"grades"`
	Ungraded GradeMeasure   `json:"ungraded"`
}

// PlanError says what is wrong with a plan, and where.
type PlanError struct {
	Where  string
	Reason string
}

func (e *PlanError) Error() string { return "分级分类监管措施 " + e.Where + "：" + e.Reason }

// DefaultPlan is the built-in plan (supervision.json), for the grades of
// the evaluation model.
func DefaultPlan(grades []string) (Plan, error) { return ParsePlan(defaultPlan, grades) }

// ParsePlan reads a plan and checks it covers exactly the model's grades
// (in its order), with ratios within their ranges.
func ParsePlan(b []byte, grades []string) (Plan, error) {
	var p Plan
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, &PlanError{Where: "文件", Reason: "不是有效的JSON：" + err.Error()}
	}
	return p, p.Check(grades)
}

// Check checks the plan against the model's grades.
func (p Plan) Check(grades []string) error {
	var got []string
	for _, g := range p.Grades {
		got = append(got, g.Grade)
	}
	if !slices.Equal(got, grades) {
		return &PlanError{Where: "grades", Reason: fmt.Sprintf("应依次列出评价模型的等级 %s，而不是 %s", strings.Join(grades, "、"), strings.Join(got, "、"))}
	}
	if p.Ungraded.Grade != Ungraded {
		return &PlanError{Where: "ungraded.grade", Reason: "未评价主体的等级应写作“-”"}
	}
	for i, g := range append(slices.Clone(p.Grades), p.Ungraded) {
		where := fmt.Sprintf("grades[%d]（%s）", i, g.Grade)
		if g.Grade == Ungraded {
			where = "ungraded"
		}
		switch {
		case g.MinPercent < 0 || g.MaxPercent > 100 || g.MinPercent > g.MaxPercent:
			return &PlanError{Where: where, Reason: "比例区间应在0%至100%之间，下限不高于上限"}
		case g.Percent < g.MinPercent || g.Percent > g.MaxPercent:
			return &PlanError{Where: where + ".percent", Reason: fmt.Sprintf("抽取比例%g%%不在区间%g%%至%g%%内", g.Percent, g.MinPercent, g.MaxPercent)}
		case g.MaxPerYear < 0 || g.MaxPerYear > 366:
			return &PlanError{Where: where + ".max_per_year", Reason: "每年抽查次数上限应在0至366之间（0为不限）"}
		case len([]rune(g.Frequency)) > 200 || len([]rune(g.Measures)) > 2000:
			return &PlanError{Where: where, Reason: "频次不超过200字，措施不超过2000字"}
		}
	}
	return nil
}

// Measure returns the measures of a grade (Ungraded included).
func (p Plan) Measure(grade string) (GradeMeasure, bool) {
	if grade == Ungraded || grade == "" {
		return p.Ungraded, true
	}
	for _, g := range p.Grades {
		if g.Grade == grade {
			return g, true
		}
	}
	return GradeMeasure{}, false
}

// All is every grade's measures, the ungraded last.
func (p Plan) All() []GradeMeasure { return append(slices.Clone(p.Grades), p.Ungraded) }

// JSON is the plan's stored form.
func (p Plan) JSON() []byte {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	return b
}
