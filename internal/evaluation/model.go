// Package evaluation is the public credit evaluation (公共信用综合评价): a
// model as data (dimensions, indicators computed from what the platform
// holds, weights, caps, decay by age and grade bands), the scoring of one
// subject's records on a day with the contributions that explain the
// score, and the service that runs it for every subject, follows the
// records that change and answers a subject's evaluation for a day.
//
// A grade is shown to everyone, so it is made only of what everyone may
// see: a record counts while publicity.Decide shows it that day (a
// repaired, revoked or expired record no longer counts), and persons are
// never graded.
package evaluation

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/lists"
)

//go:embed model.json
var defaultModel []byte

// DefaultModelJSON is the built-in model's file.
func DefaultModelJSON() []byte { return slices.Clone(defaultModel) }

// Source says what an indicator counts.
type Source string

const (
	// SourceRecords counts records of some kinds (行政处罚, 行政许可,
	// 违背信用承诺, 双随机抽查结果 …) public on the day.
	SourceRecords Source = "records"
	// SourceLists counts list entries in force on the day (失信名单,
	// 守信激励名单), by list class or type.
	SourceLists Source = "lists"
	// SourceCommitments counts the subject's public commitments in the
	// registry with an assessed fulfilment status (信用承诺).
	SourceCommitments Source = "commitments"
	// SourceObjections counts the subject's own objections decided 维持
	// (the record upheld), about records public on the day.
	SourceObjections Source = "objections"
)

// Step is one step of decay by age: an item decided less than Months
// months before the day counts at Factor; past the last step it counts no
// more.
type Step struct {
	Months int     `json:"months"`
	Factor float64 `json:"factor"`
}

// Indicator is one line of the model.
type Indicator struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// Source and the filters of that source.
	Source      Source   `json:"source"`
	Kinds       []string `json:"kinds,omitempty"`        // records: catalogue kinds
	Severity    []string `json:"severity,omitempty"`     // records: publicity severity (minor, general, serious)
	Field       string   `json:"field,omitempty"`        // records: a field whose value must be one of AnyOf
	AnyOf       []string `json:"any_of,omitempty"`       //
	ValidField  string   `json:"valid_field,omitempty"`  // records: a date field after which the record no longer counts (a licence's 有效期至)
	ListClasses []string `json:"list_classes,omitempty"` // lists: serious, abnormal, watch, red
	ListTypes   []string `json:"list_types,omitempty"`   // lists: list type codes (lists.json)
	Statuses    []string `json:"statuses,omitempty"`     // commitments: 承诺履行状态
	// Points per item (negative: deducted); Cap bounds the indicator's
	// total (same sign as Points; 0: no bound).
	Points float64 `json:"points"`
	Cap    float64 `json:"cap,omitempty"`
	// Decay by age from the item's date; empty: no decay.
	Decay []Step `json:"decay,omitempty"`
	// MaxGrade: while the indicator counts any item, the grade is at most
	// this one (一票否决).
	MaxGrade string `json:"max_grade,omitempty"`
	// Optional: the indicator is left out (with a note) when the catalogue
	// has none of its kinds, instead of failing the model.
	Optional bool   `json:"optional,omitempty"`
	Basis    string `json:"basis,omitempty"`

	// Disabled says why an optional indicator is not used ("" when used);
	// set by Load.
	Disabled string `json:"-"`
}

// Dimension groups indicators; Weight multiplies their points.
type Dimension struct {
	Code       string      `json:"code"`
	Name       string      `json:"name"`
	Weight     float64     `json:"weight"`
	Indicators []Indicator `json:"indicators"`
}

// Band is a grade: scores from Min up (to the next band's Min).
type Band struct {
	Grade string `json:"grade"`
	Label string `json:"label"`
	Min   int    `json:"min"`
	About string `json:"about,omitempty"`
}

// Reference is a source the model was built from.
type Reference struct {
	Title   string `json:"title"`
	URL     string `json:"url"`
	UsedFor string `json:"used_for"`
}

// Model is an evaluation model.
type Model struct {
	Version    string         `json:"version"`
	Name       string         `json:"name"`
	About      string         `json:"about"`
	Sources    []Reference    `json:"sources"`
	Classes    []credit.Class `json:"classes"`
	Base       int            `json:"base"`
	Min        int            `json:"min"`
	Max        int            `json:"max"`
	Grades     []Band         `json:"grades"` // best first
	Dimensions []Dimension    `json:"dimensions"`

	// Key names this model in every result: its version and the first
	// 12 hex digits of the SHA-256 of its file, so that a file changed
	// without a new version still makes another key.
	Key string `json:"-"`
	// Body is the model's file as loaded.
	Body []byte `json:"-"`
}

// ModelError is what is wrong with a model file, and where.
type ModelError struct {
	Where  string // "dimensions[1].indicators[2] (licence).points"
	Reason string
}

func (e *ModelError) Error() string { return "评价模型 " + e.Where + "：" + e.Reason }

// Parse reads a model file and checks its shape (codes, bands, points,
// caps, decay), without the catalogue: what displaying a stored model
// needs.
func Parse(b []byte) (*Model, error) {
	var m Model
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, &ModelError{Where: "文件", Reason: "不是有效的模型JSON：" + err.Error()}
	}
	if dec.More() {
		return nil, &ModelError{Where: "文件", Reason: "模型之后还有多余内容"}
	}
	sum := sha256.Sum256(b)
	m.Body = slices.Clone(b)
	m.Key = m.Version + "/" + hex.EncodeToString(sum[:])[:12]
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Load reads a model file and checks it against the catalogue and the
// lists: every kind, field, list class and type it names must exist
// (an optional indicator whose kinds are all missing is disabled).
func Load(b []byte, cat *catalog.Catalog, ls *lists.Catalog) (*Model, error) {
	m, err := Parse(b)
	if err != nil {
		return nil, err
	}
	for di := range m.Dimensions {
		for ii := range m.Dimensions[di].Indicators {
			in := &m.Dimensions[di].Indicators[ii]
			where := fmt.Sprintf("dimensions[%d].indicators[%d] (%s)", di, ii, in.Code)
			if err := in.resolve(where, cat, ls); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// Default is the built-in model, checked against the catalogue and lists.
func Default(cat *catalog.Catalog, ls *lists.Catalog) (*Model, error) {
	return Load(defaultModel, cat, ls)
}

var severities = []string{"minor", "general", "serious"}

func (m *Model) check() error {
	bad := func(where, format string, a ...any) error {
		return &ModelError{Where: where, Reason: fmt.Sprintf(format, a...)}
	}
	if strings.TrimSpace(m.Version) == "" || len(m.Version) > 40 || strings.ContainsAny(m.Version, "/ \t\n") {
		return bad("version", "须填写版本号（不超过40个字符，不含空白和“/”）")
	}
	if strings.TrimSpace(m.Name) == "" {
		return bad("name", "须填写模型名称")
	}
	if len(m.Classes) == 0 {
		return bad("classes", "须列出评价的主体类别（org、sole、gov）")
	}
	for i, c := range m.Classes {
		switch {
		case c == credit.ClassPerson:
			return bad(fmt.Sprintf("classes[%d]", i), "自然人不作公开评价")
		case !c.Valid():
			return bad(fmt.Sprintf("classes[%d]", i), "未知的主体类别“%s”", c)
		}
	}
	if m.Min >= m.Max || m.Base < m.Min || m.Base > m.Max {
		return bad("base", "应满足 min ≤ base ≤ max 且 min < max")
	}
	if len(m.Grades) < 2 {
		return bad("grades", "至少两个等级")
	}
	seen := map[string]bool{}
	for i, g := range m.Grades {
		where := fmt.Sprintf("grades[%d]", i)
		if g.Grade == "" || len(g.Grade) > 4 || strings.TrimSpace(g.Label) == "" {
			return bad(where, "等级须有代号（不超过4个字符）和名称")
		}
		if seen[g.Grade] {
			return bad(where, "等级“%s”重复", g.Grade)
		}
		seen[g.Grade] = true
		if i > 0 && g.Min >= m.Grades[i-1].Min {
			return bad(where+".min", "等级从高到低排列，下限应递减")
		}
	}
	if last := m.Grades[len(m.Grades)-1]; last.Min > m.Min {
		return bad(fmt.Sprintf("grades[%d].min", len(m.Grades)-1), "最低等级的下限应不高于 min（%d），否则有的分数没有等级", m.Min)
	}
	if len(m.Dimensions) == 0 {
		return bad("dimensions", "至少一个维度")
	}
	codes := map[string]bool{}
	for di, d := range m.Dimensions {
		dw := fmt.Sprintf("dimensions[%d]", di)
		if d.Code == "" || d.Name == "" {
			return bad(dw, "维度须有代号和名称")
		}
		if d.Weight <= 0 || d.Weight > 10 || math.IsNaN(d.Weight) {
			return bad(dw+".weight", "权重应大于0且不超过10")
		}
		for ii, in := range d.Indicators {
			w := fmt.Sprintf("%s.indicators[%d] (%s)", dw, ii, in.Code)
			if in.Code == "" || in.Name == "" {
				return bad(w, "指标须有代号和名称")
			}
			if codes[in.Code] {
				return bad(w, "指标代号重复")
			}
			codes[in.Code] = true
			switch in.Source {
			case SourceRecords:
				if len(in.Kinds) == 0 {
					return bad(w+".kinds", "须列出信息类别")
				}
				for _, s := range in.Severity {
					if !slices.Contains(severities, s) {
						return bad(w+".severity", "严重程度应为 minor、general 或 serious")
					}
				}
				if (in.Field == "") != (len(in.AnyOf) == 0) {
					return bad(w+".field", "field 与 any_of 须同时填写")
				}
			case SourceLists:
				if len(in.ListClasses) == 0 && len(in.ListTypes) == 0 {
					return bad(w, "须列出名单类别（list_classes）或名单类型（list_types）")
				}
			case SourceCommitments:
				if len(in.Statuses) == 0 {
					return bad(w+".statuses", "须列出计分的承诺履行状态")
				}
			case SourceObjections:
			default:
				return bad(w+".source", "未知的来源“%s”（records、lists、commitments、objections）", in.Source)
			}
			if math.IsNaN(in.Points) || math.Abs(in.Points) > 10000 {
				return bad(w+".points", "分值超出范围")
			}
			if in.Cap != 0 && (in.Points == 0 || (in.Cap > 0) != (in.Points > 0) || math.Abs(in.Cap) < math.Abs(in.Points)) {
				return bad(w+".cap", "封顶值应与分值同号且不小于单项分值")
			}
			for si, s := range in.Decay {
				if s.Months <= 0 || s.Factor < 0 || s.Factor > 1 || (si > 0 && s.Months <= in.Decay[si-1].Months) {
					return bad(fmt.Sprintf("%s.decay[%d]", w, si), "月数应为正数并递增，系数在0到1之间")
				}
			}
			if in.MaxGrade != "" && !seen[in.MaxGrade] {
				return bad(w+".max_grade", "未知的等级“%s”", in.MaxGrade)
			}
		}
	}
	return nil
}

// resolve checks an indicator's references to the catalogue and lists.
func (in *Indicator) resolve(where string, cat *catalog.Catalog, ls *lists.Catalog) error {
	bad := func(field, format string, a ...any) error {
		return &ModelError{Where: where + field, Reason: fmt.Sprintf(format, a...)}
	}
	switch in.Source {
	case SourceRecords:
		var known []*catalog.Kind
		for _, code := range in.Kinds {
			if k, ok := cat.Kind(code); ok {
				known = append(known, k)
			} else if !in.Optional {
				return bad(".kinds", "信息目录中没有类别“%s”", code)
			}
		}
		if len(known) == 0 {
			in.Disabled = "平台的信息目录中没有" + strings.Join(in.Kinds, "、") + "类信息"
			return nil
		}
		for _, k := range known {
			for _, f := range []string{in.Field, in.ValidField} {
				if f == "" {
					continue
				}
				if _, ok := k.Field(f); !ok {
					return bad(".field", "类别“%s”没有字段“%s”", k.Code, f)
				}
			}
			if len(in.Severity) > 0 && len(k.Publicity.Windows) == 0 {
				return bad(".severity", "类别“%s”没有按严重程度划分的公示期，不能按严重程度计分", k.Code)
			}
		}
	case SourceLists:
		for _, c := range in.ListClasses {
			if !slices.Contains([]string{string(lists.Serious), string(lists.Abnormal), string(lists.Watch), string(lists.Red)}, c) {
				return bad(".list_classes", "未知的名单类别“%s”", c)
			}
		}
		for _, t := range in.ListTypes {
			if _, ok := ls.Type(t); !ok {
				return bad(".list_types", "名单目录中没有类型“%s”", t)
			}
		}
	}
	return nil
}

// Band returns the grade band of a grade code.
func (m *Model) Band(grade string) (Band, bool) {
	for _, b := range m.Grades {
		if b.Grade == grade {
			return b, true
		}
	}
	return Band{}, false
}

// rank is a grade's position, best first (len(Grades) when unknown).
func (m *Model) rank(grade string) int {
	for i, b := range m.Grades {
		if b.Grade == grade {
			return i
		}
	}
	return len(m.Grades)
}

// Indicator returns an indicator by code, with its dimension.
func (m *Model) Indicator(code string) (*Indicator, *Dimension, bool) {
	for di := range m.Dimensions {
		d := &m.Dimensions[di]
		for ii := range d.Indicators {
			if d.Indicators[ii].Code == code {
				return &d.Indicators[ii], d, true
			}
		}
	}
	return nil, nil, false
}

// Grades lists the grade codes, best first.
func (m *Model) GradeCodes() []string {
	out := make([]string, len(m.Grades))
	for i, b := range m.Grades {
		out[i] = b.Grade
	}
	return out
}

// Evaluates reports whether subjects of class c are graded by the model.
func (m *Model) Evaluates(c credit.Class) bool {
	return c != credit.ClassPerson && slices.Contains(m.Classes, c)
}

// uses reports whether the model counts anything from source s.
func (m *Model) uses(s Source) bool {
	for _, d := range m.Dimensions {
		for _, in := range d.Indicators {
			if in.Source == s && in.Disabled == "" && in.Points != 0 {
				return true
			}
		}
	}
	return false
}

// Needs says which facts beyond records scoring needs.
type Needs struct {
	Commitments bool
	Objections  bool
}

// Needs returns the facts the model counts besides records.
func (m *Model) Needs() Needs {
	return Needs{Commitments: m.uses(SourceCommitments), Objections: m.uses(SourceObjections)}
}
