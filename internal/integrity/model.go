// Package integrity is government-integrity monitoring (政务诚信监测,
// 陕发改财金〔2021〕1072号): the monitoring catalogue as data (model.json:
// four dimensions, 18 items, their scoring rules and validity, which items
// the platform's own records supply), which government bodies are
// monitored (the scope, an organisation-tree setting) and their peer
// groups, the monthly score of each body over the rolling 12 months with
// every point traced to its event, the monthly run (resumable, the same
// result when run again), feedback (处理结果) and risk alerts.
//
// The scoring itself (Score) is a pure function of the model, a body's
// events and a month; the Service reads the events, runs it for every
// monitored body and keeps the results through the store.
package integrity

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/catalog"
)

// EventKind is the catalogue kind of integrity events (政务诚信信息).
const EventKind = "zwcx"

// Points are score points in hundredths (2.5 points is 250), so that sums
// are exact; JSON shows them as decimal numbers.
type Points int64

// String formats p as a decimal number: "27", "-2.5", "0.25".
func (p Points) String() string {
	return strconv.FormatFloat(float64(p)/100, 'f', -1, 64)
}

// Signed formats p with its sign: "+2", "-3.5", "0".
func (p Points) Signed() string {
	if p > 0 {
		return "+" + p.String()
	}
	return p.String()
}

// Float is p as a number of points.
func (p Points) Float() float64 { return float64(p) / 100 }

// MarshalJSON writes p as a JSON number.
func (p Points) MarshalJSON() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalJSON reads a JSON number with at most two decimals.
func (p *Points) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("分值“%s”不是数字", s)
	}
	v := math.Round(f * 100)
	if math.Abs(f*100-v) > 1e-6 || math.Abs(v) > 1e12 {
		return fmt.Errorf("分值“%s”最多两位小数", s)
	}
	*p = Points(v)
	return nil
}

// Dimension is one of the four aspects (依法行政, 勤政高效, 守信践诺,
// 信用建设): its full marks and the base a body with no information gets.
type Dimension struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Full Points `json:"full"`
	Base Points `json:"base"`
}

// Item natures.
const (
	Good = "good" // 良好信息 only
	Bad  = "bad"  // 不良信息 only
	Both = "both" // either, as each event says
)

// Item classes: the rules that apply to some items only.
const (
	ClassHonour   = "honour"   // honours: longer validity at the higher levels
	ClassContract = "contract" // 履约
	ClassPromise  = "promise"  // 践诺
	ClassArrears  = "arrears"  // 拖欠
)

// Item is one of the 18 monitoring items (监测事项).
type Item struct {
	Name      string `json:"name"`      // as the catalogue's item field lists it
	Dimension string `json:"dimension"` // code of its dimension
	Nature    string `json:"nature"`    // good, bad or both
	Class     string `json:"class,omitempty"`
	// Good and Bad are the points one good event adds and one bad event
	// takes; GoodCap and BadCap bound their sums over the window.
	Good    Points `json:"good,omitempty"`
	GoodCap Points `json:"good_cap,omitempty"`
	Bad     Points `json:"bad,omitempty"`
	BadCap  Points `json:"bad_cap,omitempty"`
	// Levels (honours) are the points by 表彰奖励级别, instead of Good.
	Levels map[string]Points `json:"levels,omitempty"`
	// Serious: a new bad event of the item raises a risk alert to the
	// body and the credit office (严重政务失信行为和风险事件).
	Serious bool   `json:"serious,omitempty"`
	Note    string `json:"note,omitempty"`

	dim int // index of its dimension
}

// Source takes events of an item from records the platform holds (a
// government body on a list, a broken commitment), so that nobody has to
// report them again.
type Source struct {
	Item string `json:"item"`
	Kind string `json:"kind"` // catalogue kind of the records
	// Field and In select the kind's records by the value of a field
	// (list_type in 失信被执行人); empty: every record of the kind.
	Field string   `json:"field,omitempty"`
	In    []string `json:"in,omitempty"`
	// Rectified is the key of a date field from which the event no longer
	// counts (a list entry's exit date); a credit repair of the record
	// counts too.
	Rectified   string `json:"rectified,omitempty"`
	Description string `json:"description,omitempty"` // key of the field shown as 情况描述
	Basis       string `json:"basis"`
}

// Matches reports whether a record of the source's kind with these public
// fields is one of the source's.
func (s Source) Matches(fields map[string]string) bool {
	return s.Field == "" || slices.Contains(s.In, fields[s.Field])
}

// Model is the monitoring catalogue and its scoring rules (model.json).
type Model struct {
	Version      string `json:"version"`
	Basis        string `json:"basis"`
	Note         string `json:"note"`
	WindowMonths int    `json:"window_months"`
	Honour       struct {
		ExtraMonths int      `json:"extra_months"`
		Levels      []string `json:"levels"`
		Basis       string   `json:"basis"`
	} `json:"honour"`
	Rectify struct {
		Classes []string `json:"classes"`
		Basis   string   `json:"basis"`
	} `json:"rectify"`
	Timely struct {
		Classes     []string `json:"classes"`
		MonthsAfter int      `json:"months_after"`
		Points      Points   `json:"points"`
		Cap         Points   `json:"cap"`
		Basis       string   `json:"basis"`
	} `json:"timely"`
	Dimensions []Dimension `json:"dimensions"`
	Items      []Item      `json:"items"`
	Sources    []Source    `json:"sources"`
	Groups     struct {
		GovernmentSuffixes []string          `json:"government_suffixes"`
		RegionLevels       map[string]string `json:"region_levels"`
		Basis              string            `json:"basis"`
	} `json:"groups"`

	byName map[string]int
}

//go:embed model.json
var builtinModel []byte

// Builtin returns the built-in model (model.json) checked against cat.
func Builtin(cat *catalog.Catalog) (*Model, error) {
	return Load(bytes.NewReader(builtinModel), cat)
}

// BuiltinJSON is the built-in model as written.
func BuiltinJSON() []byte { return slices.Clone(builtinModel) }

// Load reads a model and checks it against the catalogue: the items must
// be exactly the values the integrity event kind's 监测事项 lists (the
// interface departments report under), the sources must name kinds,
// fields and values the catalogue has. The error lists every problem, in
// Chinese.
func Load(r io.Reader, cat *catalog.Catalog) (*Model, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("政务诚信监测模型不是合法的JSON：%w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("政务诚信监测模型在JSON对象之后还有多余内容")
	}
	if err := m.check(cat); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Model) check(cat *catalog.Catalog) error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if strings.TrimSpace(m.Version) == "" {
		add("version不能为空：每个评分结果记录所用模型的版本")
	}
	if m.WindowMonths < 1 || m.WindowMonths > 60 {
		add("window_months应在1到60之间")
	}
	if m.Honour.ExtraMonths < 0 || m.Honour.ExtraMonths > 60 {
		add("honour.extra_months应在0到60之间")
	}
	if m.Timely.MonthsAfter < 0 || m.Timely.MonthsAfter > 12 || m.Timely.Points < 0 || m.Timely.Cap < 0 {
		add("timely的months_after应在0到12之间，points和cap不能为负")
	}
	dims := map[string]int{}
	for i, d := range m.Dimensions {
		if d.Code == "" || d.Name == "" {
			add("第%d个维度缺少code或name", i+1)
		}
		if _, dup := dims[d.Code]; dup {
			add("维度“%s”重复", d.Code)
		}
		dims[d.Code] = i
		if d.Full <= 0 || d.Base < 0 || d.Base > d.Full {
			add("维度“%s”应满足0≤base≤full且full>0", d.Name)
		}
	}
	if len(m.Dimensions) == 0 {
		add("dimensions不能为空")
	}
	classes := []string{"", ClassHonour, ClassContract, ClassPromise, ClassArrears}
	for _, list := range [][]string{m.Rectify.Classes, m.Timely.Classes} {
		for _, c := range list {
			if c == "" || !slices.Contains(classes, c) {
				add("事项类别“%s”不合法，应为contract、promise、arrears或honour", c)
			}
		}
	}
	k, ok := cat.Kind(EventKind)
	var levels []string
	if !ok {
		add("信息目录中没有政务诚信信息类别（%s）", EventKind)
	} else {
		f, ok := k.Field("item")
		if !ok || f.Type != catalog.TypeEnum {
			add("政务诚信信息类别没有枚举字段item（监测事项）")
		} else {
			var names []string
			for _, it := range m.Items {
				names = append(names, it.Name)
			}
			for _, v := range f.Enum {
				if !slices.Contains(names, v) {
					add("监测事项“%s”（信息目录中列出）在模型中没有评分规则", v)
				}
			}
			for _, n := range names {
				if !slices.Contains(f.Enum, n) {
					add("模型中的监测事项“%s”不在信息目录的监测事项取值中", n)
				}
			}
		}
		if f, ok := k.Field("honour_level"); ok {
			levels = f.Enum
		}
	}
	for _, l := range m.Honour.Levels {
		if !slices.Contains(levels, l) {
			add("honour.levels中的“%s”不是表彰奖励级别的取值", l)
		}
	}
	m.byName = map[string]int{}
	for i := range m.Items {
		it := &m.Items[i]
		at := fmt.Sprintf("监测事项“%s”", it.Name)
		if _, dup := m.byName[it.Name]; dup {
			add("%s重复", at)
		}
		m.byName[it.Name] = i
		d, ok := dims[it.Dimension]
		if !ok {
			add("%s的维度“%s”不存在", at, it.Dimension)
		}
		it.dim = d
		if !slices.Contains(classes, it.Class) {
			add("%s的class“%s”不合法", at, it.Class)
		}
		switch it.Nature {
		case Good, Bad, Both:
		default:
			add("%s的nature“%s”应为good、bad或both", at, it.Nature)
		}
		if it.Good < 0 || it.Bad < 0 || it.GoodCap < 0 || it.BadCap < 0 {
			add("%s的分值和上限应写为非负数（不良信息扣分）", at)
		}
		if it.Nature != Bad {
			if it.Class == ClassHonour {
				if len(it.Levels) == 0 {
					add("%s是表彰类事项，须按级别写levels", at)
				}
				for l := range it.Levels {
					if !slices.Contains(levels, l) {
						add("%s的levels中“%s”不是表彰奖励级别的取值", at, l)
					}
				}
			} else if it.Good == 0 {
				add("%s可有良好信息，须写good（加分）", at)
			}
			if it.GoodCap == 0 {
				add("%s须写good_cap（加分上限）", at)
			}
		}
		if it.Nature != Good && (it.Bad == 0 || it.BadCap == 0) {
			add("%s可有不良信息，须写bad（扣分）和bad_cap（扣分上限）", at)
		}
		if it.Class == ClassHonour && it.Nature != Good {
			add("%s是表彰类事项，nature应为good", at)
		}
		if it.Serious && it.Nature == Good {
			add("%s只有良好信息，不能是严重事项", at)
		}
	}
	for i, s := range m.Sources {
		at := fmt.Sprintf("第%d个平台数据来源", i+1)
		j, ok := m.byName[s.Item]
		if !ok {
			add("%s的监测事项“%s”不存在", at, s.Item)
		} else if m.Items[j].Nature == Good {
			add("%s：平台数据只提供不良信息，监测事项“%s”只有良好信息", at, s.Item)
		}
		k, ok := cat.Kind(s.Kind)
		if !ok {
			add("%s的信息类别“%s”不存在", at, s.Kind)
			continue
		}
		if s.Kind == EventKind {
			add("%s不能是政务诚信信息类别本身", at)
		}
		if s.Field != "" {
			f, ok := k.Field(s.Field)
			if !ok || f.Type != catalog.TypeEnum {
				add("%s的字段“%s”不是%s的枚举字段", at, s.Field, k.Name)
			} else {
				for _, v := range s.In {
					if !slices.Contains(f.Enum, v) {
						add("%s：“%s”不是%s字段%s的取值", at, v, k.Name, s.Field)
					}
				}
			}
			if len(s.In) == 0 {
				add("%s写了field时须写in", at)
			}
		}
		for _, key := range []string{s.Rectified, s.Description} {
			if key != "" {
				if _, ok := k.Field(key); !ok {
					add("%s的字段“%s”不是%s的字段", at, key, k.Name)
				}
			}
		}
		if f, ok := k.Field(s.Rectified); ok && f.Type != catalog.TypeDate {
			add("%s的rectified应为日期字段", at)
		}
	}
	for code, level := range m.Groups.RegionLevels {
		if len(code) != 6 || strings.Trim(code, "0123456789") != "" || !slices.Contains([]string{LevelProvince, LevelCity, LevelCounty}, level) {
			add("groups.region_levels中“%s”: “%s”应为6位行政区划代码和province、city或county", code, level)
		}
	}
	if len(m.Groups.GovernmentSuffixes) == 0 {
		add("groups.government_suffixes不能为空")
	}
	if len(p) > 0 {
		return fmt.Errorf("政务诚信监测模型有误：%s", strings.Join(p, "；"))
	}
	return nil
}

// Item returns the item with the given name.
func (m *Model) Item(name string) (*Item, bool) {
	i, ok := m.byName[name]
	if !ok {
		return nil, false
	}
	return &m.Items[i], true
}

// DimensionOf returns the dimension of an item.
func (m *Model) DimensionOf(it *Item) Dimension { return m.Dimensions[it.dim] }

// DimensionName is the name of an item's dimension ("" for an unknown
// item).
func (m *Model) DimensionName(item string) string {
	if it, ok := m.Item(item); ok {
		return m.DimensionOf(it).Name
	}
	return ""
}

// NatureLabel names an item's or an event's nature in Chinese.
func NatureLabel(n string) string {
	switch n {
	case Good:
		return "良好"
	case Bad:
		return "不良"
	case Both:
		return "良好或不良"
	}
	return n
}

// Dimension returns the dimension with a code.
func (m *Model) Dimension(code string) (Dimension, bool) {
	for _, d := range m.Dimensions {
		if d.Code == code {
			return d, true
		}
	}
	return Dimension{}, false
}

// Full is the sum of the dimensions' full marks (100 in the built-in
// model).
func (m *Model) Full() Points {
	var t Points
	for _, d := range m.Dimensions {
		t += d.Full
	}
	return t
}

// Kinds are the catalogue kinds whose records may be events: the event
// kind and the sources' kinds.
func (m *Model) Kinds() []string {
	out := []string{EventKind}
	for _, s := range m.Sources {
		if !slices.Contains(out, s.Kind) {
			out = append(out, s.Kind)
		}
	}
	return out
}

// Rule is the intake rule of integrity events that the catalogue cannot
// state (ingest.RowRule): the 信息性质 must be one the 监测事项 can have,
// only honours carry a 表彰奖励级别 and only bad information an
// 整改或修复日期.
func (m *Model) Rule(rec catalog.Record) []catalog.FieldError {
	it, ok := m.Item(rec.Get("item"))
	if !ok {
		return nil // the catalogue's enum refuses it already
	}
	k := rec.Kind()
	fieldErr := func(key, reason string) catalog.FieldError {
		e := catalog.FieldError{Field: key, Reason: reason, Column: -1}
		if f, ok := k.Field(key); ok {
			e.Code, e.Name = f.Code, f.Name
		}
		return e
	}
	var errs []catalog.FieldError
	switch n := rec.Nature(); {
	case it.Nature == Good && n != catalog.NatureGood:
		errs = append(errs, fieldErr("nature", "监测事项“"+it.Name+"”只有良好信息"))
	case it.Nature == Bad && n != catalog.NatureBad:
		errs = append(errs, fieldErr("nature", "监测事项“"+it.Name+"”只有不良信息"))
	}
	if it.Class != ClassHonour && rec.Get("honour_level") != "" {
		errs = append(errs, fieldErr("honour_level", "只有获得荣誉表彰奖励的事项填写表彰奖励级别"))
	}
	if rec.Get("rectified_on") != "" && rec.Nature() != catalog.NatureBad {
		errs = append(errs, fieldErr("rectified_on", "只有不良信息填写整改或修复日期"))
	}
	return errs
}
