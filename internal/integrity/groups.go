package integrity

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/credit"
)

// Levels of government (行政层级).
const (
	LevelProvince = "province"
	LevelCity     = "city"
	LevelCounty   = "county"
)

// Body is a monitored government body.
type Body struct {
	ID     int64  // subject id
	USCC   string // 统一社会信用代码
	Name   string
	Region string // 6-digit division of its registering authority (USCC positions 3-8)
	Group  Group
	// Created is when the platform filed the body.
	Created time.Time
}

// Group is a body's peers for rankings: its level and whether it is a
// government or a department.
type Group struct {
	Code  string // "city_gov": level_gov or level_dept
	Label string // 设区市政府
}

var groupLabels = map[string]string{
	"province_gov": "省政府", "province_dept": "省级部门",
	"city_gov": "设区市政府（含杨凌示范区）", "city_dept": "市级部门",
	"county_gov": "县（市、区）政府", "county_dept": "县级部门",
}

// GroupOrder lists the group codes in the order pages show them.
var GroupOrder = []string{"city_gov", "province_dept", "county_gov", "city_dept", "county_dept", "province_gov"}

// GroupLabel names a group code.
func GroupLabel(code string) string {
	if l, ok := groupLabels[code]; ok {
		return l
	}
	return code
}

// Level is the level of government of a division code: the model's
// override, else xx0000 province, xxxx00 city, anything else county.
func (m *Model) Level(region string) string {
	if l, ok := m.Groups.RegionLevels[region]; ok {
		return l
	}
	switch {
	case len(region) == 6 && strings.HasSuffix(region, "0000"):
		return LevelProvince
	case len(region) == 6 && strings.HasSuffix(region, "00"):
		return LevelCity
	}
	return LevelCounty
}

// IsGovernment reports whether a body's name is a government's (人民政府,
// 示范区管理委员会 …) rather than a department's.
func (m *Model) IsGovernment(name string) bool {
	return slices.ContainsFunc(m.Groups.GovernmentSuffixes, func(s string) bool { return strings.HasSuffix(name, s) })
}

// GroupOf is a body's peer group.
func (m *Model) GroupOf(name, region string) Group {
	code := m.Level(region) + "_dept"
	if m.IsGovernment(name) {
		code = m.Level(region) + "_gov"
	}
	return Group{Code: code, Label: GroupLabel(code)}
}

// BodyOf makes a Body of a government subject.
func (m *Model) BodyOf(s credit.Subject) Body {
	region := s.Region
	if region == "" && len(s.USCC) == 18 {
		region = s.USCC[2:8]
	}
	return Body{ID: s.ID, USCC: s.USCC, Name: s.Name, Region: region, Group: m.GroupOf(s.Name, region), Created: s.CreatedAt}
}

// What a scope entry covers.
const (
	CoverAll         = "all"         // governments and departments
	CoverGovernments = "governments" // governments only
	CoverDepartments = "departments" // departments only
	DepthLevel       = "level"       // bodies of the organisation's own division only
	DepthSubtree     = "subtree"     // and of every division below it
)

// ScopeEntry is one setting of the monitoring scope on a node of the
// organisation tree: on a region (or the operator, meaning the whole
// platform), the government bodies it covers; on a department, that
// department's own government body (found by its USCC).
type ScopeEntry struct {
	ID      int64
	OrgID   int64
	Cover   string // CoverAll, CoverGovernments, CoverDepartments
	Depth   string // DepthLevel, DepthSubtree
	Created time.Time
}

// Validate checks an entry against the organisation it is set on.
func (e ScopeEntry) Validate(o auth.Org) error {
	if o.ID == 0 || o.ID != e.OrgID {
		return fmt.Errorf("监测范围须设在一个机构上")
	}
	if !slices.Contains([]string{CoverAll, CoverGovernments, CoverDepartments}, e.Cover) {
		return fmt.Errorf("监测对象应为all（政府和部门）、governments（政府）或departments（部门）")
	}
	if !slices.Contains([]string{DepthLevel, DepthSubtree}, e.Depth) {
		return fmt.Errorf("范围应为level（本级）或subtree（本级及以下）")
	}
	if o.Kind == auth.Dept && o.USCC == "" {
		return fmt.Errorf("部门“%s”没有统一社会信用代码", o.Name)
	}
	return nil
}

// Describe says in Chinese what the entry covers.
func (e ScopeEntry) Describe(o auth.Org) string {
	if o.Kind == auth.Dept {
		return o.Name + "（本部门）"
	}
	what := map[string]string{CoverAll: "政府和部门", CoverGovernments: "政府", CoverDepartments: "部门"}[e.Cover]
	where := o.Name
	if o.Kind == auth.Operator {
		where = "全平台"
	}
	if e.Depth == DepthSubtree {
		return where + "本级及以下的" + what
	}
	return where + "本级的" + what
}

// Scope is the monitoring scope: which government bodies are scored.
// Empty (no entry) is the default: every government body.
type Scope struct {
	Entries []ScopeEntry
	Orgs    map[int64]auth.Org // the organisations the entries are set on
}

// Covers reports whether the scope covers a body.
func (sc Scope) Covers(m *Model, b Body) bool {
	if len(sc.Entries) == 0 {
		return true
	}
	gov := m.IsGovernment(b.Name)
	for _, e := range sc.Entries {
		o, ok := sc.Orgs[e.OrgID]
		if !ok || o.Disabled {
			continue
		}
		if o.Kind == auth.Dept {
			if o.USCC == b.USCC {
				return true
			}
			continue
		}
		switch e.Cover {
		case CoverGovernments:
			if !gov {
				continue
			}
		case CoverDepartments:
			if gov {
				continue
			}
		}
		if o.Kind == auth.Operator {
			if e.Depth == DepthSubtree {
				return true
			}
			continue // the operator has no level of its own
		}
		if b.Region == o.Region || e.Depth == DepthSubtree && auth.WithinRegion(o.Region, b.Region) {
			return true
		}
	}
	return false
}

// Month is a calendar month.
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth reads YYYY-MM.
func ParseMonth(s string) (Month, error) {
	d, err := calendar.ParseDate(s + "-01")
	if err != nil || len(s) != 7 {
		return Month{}, fmt.Errorf("月份“%s”应为YYYY-MM", s)
	}
	return Month{d.Year, d.Month}, nil
}

// MonthOf is the month of a day.
func MonthOf(d calendar.Date) Month { return Month{d.Year, d.Month} }

func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// First is the month's first day.
func (m Month) First() calendar.Date { return calendar.NewDate(m.Year, m.Month, 1) }

// Last is the month's last day.
func (m Month) Last() calendar.Date { return m.Add(1).First().AddDays(-1) }

// Add is the month n months later (earlier when n < 0).
func (m Month) Add(n int) Month {
	d := m.First().AddMonths(n)
	return Month{d.Year, d.Month}
}

// End is the instant the month ends in China (the next month's first
// day, 00:00 Beijing time).
func (m Month) End() time.Time { return m.Add(1).First().Time() }

// Before reports whether m is before o.
func (m Month) Before(o Month) bool {
	return m.Year < o.Year || m.Year == o.Year && m.Month < o.Month
}

// Label is the month in Chinese: 2026年11月.
func (m Month) Label() string { return fmt.Sprintf("%d年%d月", m.Year, int(m.Month)) }
