package integrity

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/code"
)

// makeUSCC completes 16 characters into a valid USCC.
func makeUSCC(t testing.TB, first16 string) string {
	t.Helper()
	o, err := code.OrgCheckChar(first16[8:16])
	if err != nil {
		t.Fatal(err)
	}
	c, err := code.USCCCheckChar(first16 + string(o))
	if err != nil {
		t.Fatal(err)
	}
	return first16 + string(o) + string(c)
}

// TestBuiltinModel: the 18 items of 1072号文 in their four dimensions, the
// full marks 100, the sources the issue names.
func TestBuiltinModel(t *testing.T) {
	m := testModel(t)
	count := map[string]int{}
	for _, it := range m.Items {
		count[m.DimensionOf(&it).Name]++
	}
	want := map[string]int{"依法行政": 5, "勤政高效": 4, "守信践诺": 5, "信用建设": 4}
	for k, v := range want {
		if count[k] != v {
			t.Errorf("%s: %d items, want %d", k, count[k], v)
		}
	}
	if len(m.Items) != 18 || m.Full() != 10000 || m.WindowMonths != 12 || m.Honour.ExtraMonths != 12 {
		t.Errorf("%d items, full %s, window %d+%d", len(m.Items), m.Full(), m.WindowMonths, m.Honour.ExtraMonths)
	}
	var sourced []string
	for _, s := range m.Sources {
		sourced = append(sourced, s.Item)
	}
	for _, it := range []string{"被列入失信被执行人", "拖欠民营企业账款、农民工工资", "利民便企措施、招商引资政策等承诺事项落实情况"} {
		if !strings.Contains(strings.Join(sourced, "|"), it) {
			t.Errorf("no platform source for %s", it)
		}
	}
	if got := m.Kinds(); strings.Join(got, ",") != "zwcx,sx,wn" {
		t.Errorf("kinds %v", got)
	}
}

// TestLoadModelErrors: a province's model file is checked against the
// catalogue, every problem named.
func TestLoadModelErrors(t *testing.T) {
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(BuiltinJSON(), &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	item := func(m map[string]any, i int) map[string]any { return m["items"].([]any)[i].(map[string]any) }
	for _, tc := range []struct {
		name string
		doc  []byte
		want []string
	}{
		{"unknown field", edit(func(m map[string]any) { m["weights"] = 1 }), []string{"不是合法的JSON"}},
		{"no version", edit(func(m map[string]any) { m["version"] = "" }), []string{"version不能为空"}},
		{"an item renamed", edit(func(m map[string]any) { item(m, 0)["name"] = "文件被撤销" }),
			[]string{"监测事项“政策文件或行政决定被有权机关责令撤销”（信息目录中列出）在模型中没有评分规则", "模型中的监测事项“文件被撤销”不在信息目录"}},
		{"unknown dimension", edit(func(m map[string]any) { item(m, 0)["dimension"] = "x" }), []string{"的维度“x”不存在"}},
		{"three decimals", edit(func(m map[string]any) { item(m, 0)["bad"] = 1.125 }), []string{"最多两位小数"}},
		{"bad item without a cap", edit(func(m map[string]any) { delete(item(m, 0), "bad_cap") }), []string{"须写bad（扣分）和bad_cap"}},
		{"base above full", edit(func(m map[string]any) { m["dimensions"].([]any)[0].(map[string]any)["base"] = 31 }), []string{"0≤base≤full"}},
		{"honour level", edit(func(m map[string]any) { item(m, 7)["levels"] = map[string]any{"乡级": 1} }), []string{"“乡级”不是表彰奖励级别的取值"}},
		{"source value", edit(func(m map[string]any) { m["sources"].([]any)[0].(map[string]any)["in"] = []any{"老赖"} }), []string{"“老赖”不是失信名单字段list_type的取值"}},
		{"source kind", edit(func(m map[string]any) { m["sources"].([]any)[2].(map[string]any)["kind"] = "zz" }), []string{"信息类别“zz”不存在"}},
		{"region level", edit(func(m map[string]any) {
			m["groups"].(map[string]any)["region_levels"] = map[string]any{"6104": "city"}
		}), []string{"应为6位行政区划代码"}},
		{"serious good item", edit(func(m map[string]any) { item(m, 7)["serious"] = true }), []string{"只有良好信息，不能是严重事项"}},
	} {
		_, err := Load(bytes.NewReader(tc.doc), catalog.Default())
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\nwant …%s…", tc.name, err, w)
			}
		}
	}
	// A province's file that only changes a weight loads.
	m, err := Load(bytes.NewReader(edit(func(m map[string]any) { item(m, 0)["bad"] = 4; m["version"] = "陕西2027" })), catalog.Default())
	if err != nil || m.Items[0].Bad != 400 || m.Version != "陕西2027" {
		t.Fatalf("%v %+v", err, m)
	}
}

func TestGroups(t *testing.T) {
	m := testModel(t)
	for _, tc := range []struct{ name, region, want string }{
		{"西安市人民政府", "610100", "city_gov"},
		{"杨凌农业高新技术产业示范区管理委员会", "610403", "city_gov"},
		{"陕西省财政厅", "610000", "province_dept"},
		{"陕西省人民政府国有资产监督管理委员会", "610000", "province_dept"},
		{"陕西省人民政府", "610000", "province_gov"},
		{"西安市财政局", "610100", "city_dept"},
		{"西安市雁塔区人民政府", "610113", "county_gov"},
		{"西安市雁塔区教育局", "610113", "county_dept"},
	} {
		if g := m.GroupOf(tc.name, tc.region); g.Code != tc.want || g.Label == "" {
			t.Errorf("%s %s: %+v, want %s", tc.name, tc.region, g, tc.want)
		}
	}
}

// TestScope: the monitoring scope as settings on the organisation tree;
// the first year of 1072号文 (cities, 杨凌 and the provincial departments)
// and the default (every government body).
func TestScope(t *testing.T) {
	m := testModel(t)
	orgs := map[int64]auth.Org{
		1: {ID: 1, Kind: auth.Operator, Name: "平台"},
		2: {ID: 2, Kind: auth.Region, Name: "陕西省", Region: "610000"},
		3: {ID: 3, Kind: auth.Region, Name: "西安市", Region: "610100"},
		4: {ID: 4, Kind: auth.Region, Name: "杨凌示范区", Region: "610403"},
		5: {ID: 5, Kind: auth.Dept, Name: "西安市财政局", USCC: "11610100MB0000009X"},
		6: {ID: 6, Kind: auth.Region, Name: "宝鸡市", Region: "610300", Disabled: true},
	}
	body := func(name, region string) Body {
		return Body{Name: name, Region: region, USCC: "11" + region + "MB00000000"}
	}
	provDept, cityGov, cityDept := body("陕西省财政厅", "610000"), body("西安市人民政府", "610100"), body("西安市教育局", "610100")
	yangling, countyGov, baoji := body("杨凌农业高新技术产业示范区管理委员会", "610403"), body("西安市雁塔区人民政府", "610113"), body("宝鸡市人民政府", "610300")
	finance := Body{Name: "西安市财政局", Region: "610100", USCC: "11610100MB0000009X"}
	all := []Body{provDept, cityGov, cityDept, yangling, countyGov, baoji, finance}
	for _, tc := range []struct {
		name    string
		entries []ScopeEntry
		want    []Body
	}{
		{"default: every government body", nil, all},
		{"first year of 1072号文", []ScopeEntry{{OrgID: 2, Cover: CoverDepartments, Depth: DepthLevel},
			{OrgID: 3, Cover: CoverGovernments, Depth: DepthLevel}, {OrgID: 4, Cover: CoverGovernments, Depth: DepthLevel}},
			[]Body{provDept, cityGov, yangling}},
		{"a city and everything below", []ScopeEntry{{OrgID: 3, Cover: CoverAll, Depth: DepthSubtree}}, []Body{cityGov, cityDept, countyGov, finance}},
		{"a department by its code", []ScopeEntry{{OrgID: 5, Cover: CoverAll, Depth: DepthLevel}}, []Body{finance}},
		{"the operator's subtree", []ScopeEntry{{OrgID: 1, Cover: CoverGovernments, Depth: DepthSubtree}}, []Body{cityGov, yangling, countyGov, baoji}},
		{"a disabled organisation covers nothing", []ScopeEntry{{OrgID: 6, Cover: CoverAll, Depth: DepthSubtree}}, nil},
	} {
		sc := Scope{Entries: tc.entries, Orgs: orgs}
		var got []string
		for _, b := range all {
			if sc.Covers(m, b) {
				got = append(got, b.Name)
			}
		}
		var want []string
		for _, b := range tc.want {
			want = append(want, b.Name)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, got, want)
		}
	}
	if err := (ScopeEntry{OrgID: 2, Cover: "some", Depth: DepthLevel}).Validate(orgs[2]); err == nil {
		t.Error("unknown cover accepted")
	}
}

// TestRule: the intake rule of integrity events.
func TestRule(t *testing.T) {
	m := testModel(t)
	k, _ := catalog.Default().Kind(EventKind)
	header := []string{"监测对象名称", "监测对象统一社会信用代码", "监测事项", "信息性质", "发生日期", "情况描述", "信息来源渠道", "表彰奖励级别", "整改或修复日期", "报送单位", "报送单位统一社会信用代码"}
	cols, err := k.MatchHeader(header)
	if err != nil {
		t.Fatal(err)
	}
	uscc := makeUSCC(t, "11610000MB000012")
	for _, tc := range []struct {
		item, nature, level, rectified string
		want                           string // "" valid
	}{
		{itemDebtor, "不良", "", "", ""},
		{itemDebtor, "良好", "", "", "只有不良信息"},
		{itemHonour, "不良", "省部级", "", "只有良好信息"},
		{itemPromise, "良好", "", "", ""},
		{itemPromise, "不良", "", "2026-02-01", ""},
		{itemPromise, "良好", "", "2026-02-01", "只有不良信息填写整改或修复日期"},
		{itemRevoked, "不良", "市级", "", "只有获得荣誉表彰奖励的事项填写表彰奖励级别"},
	} {
		row := []string{"陕西省某某厅", uscc, tc.item, tc.nature, "2026-01-05", "情况", "主动提供", tc.level, tc.rectified, "陕西省某某厅", uscc}
		rec, errs := k.Validate(row, cols, d("2026-06-01"))
		if errs != nil {
			t.Fatalf("%v: %v", tc, errs)
		}
		got := m.Rule(rec)
		switch {
		case tc.want == "" && got != nil:
			t.Errorf("%v: %v", tc, got)
		case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0].Reason, tc.want) || got[0].Name == ""):
			t.Errorf("%v: %v, want …%s…", tc, got, tc.want)
		}
	}
}

// TestModelRoundTrip: the model as integrity model --json prints it loads
// back to the same rules (a province starts its file from it).
func TestModelRoundTrip(t *testing.T) {
	m := testModel(t)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Load(bytes.NewReader(b), catalog.Default())
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(again)
	if !bytes.Equal(b, b2) || again.Items[7].Levels["省部级"] != 200 || again.Timely.Points != 50 {
		t.Errorf("round trip differs:\n%s\n%s", b, b2)
	}
}
