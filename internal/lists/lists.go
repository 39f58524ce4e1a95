// Package lists is the data behind joint rewards and punishments (联合奖惩):
// the list types (严重失信主体名单 by domain, 经营异常名录, 重点关注名单,
// 守信激励对象), the measures the law attaches to them (失信惩戒措施清单 and
// 守信激励措施) and the scenarios where they apply, all in lists.json; and
// the rule for whether a list entry is in force on a day. Entries are
// records of the catalogue kinds sx (失信名单) and hm (守信激励名单), taken
// in through the same intake path as every record.
package lists

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
)

// Class is what a list is about.
type Class string

const (
	Serious  Class = "serious"  // 严重失信主体名单
	Abnormal Class = "abnormal" // 经营异常名录
	Watch    Class = "watch"    // 重点关注名单
	Red      Class = "red"      // 守信激励对象（红名单）
)

// Label is the class in Chinese.
func (c Class) Label() string {
	switch c {
	case Serious:
		return "严重失信主体名单"
	case Abnormal:
		return "经营异常名录"
	case Watch:
		return "重点关注名单"
	case Red:
		return "守信激励对象"
	}
	return string(c)
}

// Bad reports whether the class is a list of failings.
func (c Class) Bad() bool { return c != Red }

// Type is a list type.
type Type struct {
	Code      string `json:"code"`
	Kind      string `json:"kind"` // the catalogue kind its entries are records of
	Name      string `json:"name"` // the value of the entries' list_type field
	Class     Class  `json:"class"`
	Domain    string `json:"domain"`
	Basis     string `json:"basis"`
	Authority string `json:"authority"` // who decides entries (认定单位)
	Entry     string `json:"entry"`     // entry rule, in words
	Exit      string `json:"exit"`      // exit rule, in words
	Months    int    `json:"months"`    // default period; 0: until removed
}

// Scenario is a decision a check is made for (政府采购, 行政审批, …).
type Scenario struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// MeasureClass says what a measure does.
type MeasureClass string

const (
	Restrict MeasureClass = "restrict" // 减损权益或增加义务的惩戒措施
	Manage   MeasureClass = "manage"   // 管理措施（重点监管等）
	Reward   MeasureClass = "reward"   // 守信激励措施
)

// Label is the class in Chinese.
func (c MeasureClass) Label() string {
	switch c {
	case Restrict:
		return "惩戒措施（减损权益或增加义务）"
	case Manage:
		return "惩戒措施（管理措施）"
	case Reward:
		return "激励措施"
	}
	return string(c)
}

// Measure is a reward or punishment measure.
type Measure struct {
	Code        string       `json:"code"`
	Name        string       `json:"name"`
	Class       MeasureClass `json:"class"`
	Basis       string       `json:"basis"`
	Departments []string     `json:"departments"` // who implements it
	Scenarios   []string     `json:"scenarios"`   // scenario codes where it applies
	Lists       []string     `json:"lists"`       // list type codes that trigger it
}

// Catalog is the lists, measures and scenarios.
type Catalog struct {
	Note      string     `json:"note"`
	Scenarios []Scenario `json:"scenarios"`
	Types     []Type     `json:"list_types"`
	Measures  []Measure  `json:"measures"`

	byName map[string]*Type // by kind + "\x00" + name
	byCode map[string]*Type
}

//go:embed lists.json
var listsJSON []byte

// Default is the built-in catalogue, checked against the record kinds of
// cat (normally catalog.Default()).
func Default(cat *catalog.Catalog) (*Catalog, error) { return Load(listsJSON, cat) }

// Load reads and validates a lists catalogue: codes unique; every list
// type's kind exists and its list_type field offers exactly the names of
// the types of that kind; every measure names known scenarios and list
// types, and rewards are triggered only by good lists and punishments
// only by bad ones.
func Load(b []byte, cat *catalog.Catalog) (*Catalog, error) {
	var c Catalog
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("lists: %w", err)
	}
	c.byName, c.byCode = map[string]*Type{}, map[string]*Type{}
	scen := map[string]bool{}
	for _, s := range c.Scenarios {
		if s.Code == "" || s.Name == "" || scen[s.Code] {
			return nil, fmt.Errorf("lists: scenario %q: needs a unique code and a name", s.Code)
		}
		scen[s.Code] = true
	}
	names := map[string][]string{} // kind → names
	for i := range c.Types {
		t := &c.Types[i]
		if t.Code == "" || t.Name == "" || c.byCode[t.Code] != nil {
			return nil, fmt.Errorf("lists: list type %q: needs a unique code and a name", t.Code)
		}
		switch t.Class {
		case Serious, Abnormal, Watch, Red:
		default:
			return nil, fmt.Errorf("lists: list type %s: unknown class %q", t.Code, t.Class)
		}
		k, ok := cat.Kind(t.Kind)
		if !ok {
			return nil, fmt.Errorf("lists: list type %s: no record kind %q", t.Code, t.Kind)
		}
		if (k.Nature == catalog.NatureGood) != (t.Class == Red) {
			return nil, fmt.Errorf("lists: list type %s (%s) is filed as kind %s of nature %s", t.Code, t.Class, t.Kind, k.Nature)
		}
		if t.Months < 0 || t.Basis == "" || t.Authority == "" {
			return nil, fmt.Errorf("lists: list type %s: needs a basis, an authority and a period of 0 or more months", t.Code)
		}
		c.byCode[t.Code] = t
		c.byName[t.Kind+"\x00"+t.Name] = t
		names[t.Kind] = append(names[t.Kind], t.Name)
	}
	for kind, ns := range names {
		k, _ := cat.Kind(kind)
		f, ok := k.Field("list_type")
		if !ok {
			return nil, fmt.Errorf("lists: kind %s has no list_type field", kind)
		}
		if !slices.Equal(sorted(f.Enum), sorted(ns)) {
			return nil, fmt.Errorf("lists: kind %s offers list types %v, lists.json defines %v", kind, f.Enum, ns)
		}
	}
	for _, m := range c.Measures {
		if m.Code == "" || m.Name == "" || m.Basis == "" || len(m.Scenarios) == 0 || len(m.Lists) == 0 {
			return nil, fmt.Errorf("lists: measure %q: needs a code, a name, a basis, scenarios and lists", m.Code)
		}
		for _, s := range m.Scenarios {
			if !scen[s] {
				return nil, fmt.Errorf("lists: measure %s: unknown scenario %q", m.Code, s)
			}
		}
		for _, l := range m.Lists {
			t, ok := c.byCode[l]
			if !ok {
				return nil, fmt.Errorf("lists: measure %s: unknown list type %q", m.Code, l)
			}
			if (m.Class == Reward) == t.Class.Bad() {
				return nil, fmt.Errorf("lists: measure %s (%s) is triggered by list type %s (%s)", m.Code, m.Class, l, t.Class)
			}
		}
		switch m.Class {
		case Restrict, Manage, Reward:
		default:
			return nil, fmt.Errorf("lists: measure %s: unknown class %q", m.Code, m.Class)
		}
	}
	return &c, nil
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// Kinds are the record kinds list entries are filed as.
func (c *Catalog) Kinds() []string {
	var out []string
	for _, t := range c.Types {
		if !slices.Contains(out, t.Kind) {
			out = append(out, t.Kind)
		}
	}
	return out
}

// TypeOf returns the list type of an entry of kind with list_type name.
func (c *Catalog) TypeOf(kind, name string) (*Type, bool) {
	t, ok := c.byName[kind+"\x00"+name]
	return t, ok
}

// Type returns a list type by code.
func (c *Catalog) Type(code string) (*Type, bool) {
	t, ok := c.byCode[code]
	return t, ok
}

// Scenario returns a scenario by code.
func (c *Catalog) Scenario(code string) (Scenario, bool) {
	for _, s := range c.Scenarios {
		if s.Code == code {
			return s, true
		}
	}
	return Scenario{}, false
}

// MeasuresFor returns the measures that apply in scenario to a subject on
// the list types given (codes), in catalogue order, each with the list
// types that triggered it.
func (c *Catalog) MeasuresFor(scenario string, types []string) []Applied {
	var out []Applied
	for _, m := range c.Measures {
		if !slices.Contains(m.Scenarios, scenario) {
			continue
		}
		var by []string
		for _, l := range m.Lists {
			if slices.Contains(types, l) {
				by = append(by, l)
			}
		}
		if len(by) > 0 {
			out = append(out, Applied{Measure: m, By: by})
		}
	}
	return out
}

// Applied is a measure that applies, and the list types that trigger it.
type Applied struct {
	Measure
	By []string
}

// Entry is a list entry as the check sees it.
type Entry struct {
	Type         *Type
	RecordID     int64
	DecisionNo   string // 认定文书号
	DecisionDate calendar.Date
	ValidTo      calendar.Date // zero: no end given
	ExitDate     calendar.Date // zero: not removed
	ExitReason   string
	Facts        string
	Authority    string
	Revoked      bool // the entry itself was revoked (撤销)
}

// EntryOf reads a list entry from a record's fields; ok is false when the
// record is not of a list kind or names an unknown list type.
func (c *Catalog) EntryOf(kind string, id int64, fields map[string]string, revoked bool) (Entry, bool) {
	t, ok := c.TypeOf(kind, fields["list_type"])
	if !ok {
		return Entry{}, false
	}
	date := func(k string) calendar.Date {
		d, _ := calendar.ParseDate(fields[k])
		return d
	}
	return Entry{Type: t, RecordID: id, DecisionNo: fields["decision_no"], DecisionDate: date("decision_date"),
		ValidTo: date("valid_to"), ExitDate: date("exit_date"), ExitReason: fields["exit_reason"],
		Facts: fields["facts"], Authority: fields["authority"], Revoked: revoked}, true
}

// Status says whether an entry is in force on a day, and why not.
type Status string

const (
	InForce  Status = "in_force"
	NotYet   Status = "not_yet"
	Expired  Status = "expired"
	Exited   Status = "exited"
	Canceled Status = "revoked"
)

// On decides whether e is in force on day: from its decision date through
// its valid-to date (when given), until the day it is removed, unless the
// entry itself was revoked. An entry without a valid-to date stays until
// it is removed; the list type's default period is what a reviewer's form
// proposes, not a rule applied behind the sender's back.
func (e Entry) On(day calendar.Date) (Status, string) {
	switch {
	case e.Revoked:
		return Canceled, "列入决定已撤销"
	case day.Before(e.DecisionDate):
		return NotYet, "自" + e.DecisionDate.String() + "起列入"
	case !e.ExitDate.IsZero() && !day.Before(e.ExitDate):
		reason := "已于" + e.ExitDate.String() + "移出"
		if e.ExitReason != "" {
			reason += "（" + e.ExitReason + "）"
		}
		return Exited, reason
	case !e.ValidTo.IsZero() && day.After(e.ValidTo):
		return Expired, "有效期已于" + e.ValidTo.String() + "届满"
	}
	if e.ValidTo.IsZero() {
		return InForce, "自" + e.DecisionDate.String() + "起列入，直至移出"
	}
	return InForce, "列入期" + e.DecisionDate.String() + "至" + e.ValidTo.String()
}
