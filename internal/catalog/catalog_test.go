package catalog

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/calendar"
)

func TestBuiltinKinds(t *testing.T) {
	c := Default()
	var codes []string
	for _, k := range c.Kinds() {
		codes = append(codes, k.Code)
	}
	if !slices.Equal(codes, []string{"cf", "dj", "gf", "gj", "hm", "jc", "jl", "ns", "qr", "qz", "sb", "sd", "sj", "sx", "wn", "xk", "zj", "zwcx"}) {
		t.Fatalf("kinds %v", codes)
	}
	cf, xk := kind(t, "cf"), kind(t, "xk")
	if cf.Name != "行政处罚" || cf.Nature != NatureBad || cf.Disclosure != DisclosurePublic {
		t.Errorf("cf: %s %s %s", cf.Name, cf.Nature, cf.Disclosure)
	}
	if xk.Name != "行政许可" || xk.Nature != NatureBasic || xk.Disclosure != DisclosurePublic {
		t.Errorf("xk: %s %s %s", xk.Name, xk.Nature, xk.Disclosure)
	}
	// The standard's fields, in the standard's order (domain facts 1.2, 1.3).
	wantCF := []string{"CF_XDR_MC", "CF_XDR_LB", "CF_XDR_SHXYM", "CF_XDR_GSZC", "CF_XDR_ZZJG", "CF_XDR_SWDJ", "CF_XDR_SYDW",
		"CF_XDR_SHZZ", "CF_FRDB", "CF_FR_ZJLX", "CF_FR_ZJHM", "CF_XDR_ZJLX", "CF_XDR_ZJHM", "CF_WSH", "CF_WFXW", "CF_SY", "CF_YJ",
		"CF_CFLB", "CF_NR", "CF_NR_FK", "CF_NR_WFFF", "CF_NR_ZKDX", "CF_JDRQ", "CF_YXQ", "CF_GSJZQ", "CF_CFJG", "CF_CFJGDM",
		"CF_SJLY", "CF_SJLYDM", "BZ"}
	wantXK := []string{"XK_XDR_MC", "XK_XDR_LB", "XK_XDR_SHXYM", "XK_XDR_GSZC", "XK_XDR_ZZJG", "XK_XDR_SWDJ", "XK_XDR_SYDW",
		"XK_XDR_SHZZ", "XK_FRDB", "XK_FR_ZJLX", "XK_FR_ZJHM", "XK_XDR_ZJLX", "XK_XDR_ZJHM", "XK_XKWS", "XK_WSH", "XK_XKLB",
		"XK_XKZS", "XK_XKBH", "XK_NR", "XK_JDRQ", "XK_YXQZ", "XK_YXQZI", "XK_XKJG", "XK_XKJGDM", "XK_ZT", "XK_LYDW",
		"XK_LYDWDM", "BZ"}
	for _, tc := range []struct {
		k    *Kind
		want []string
	}{{cf, wantCF}, {xk, wantXK}} {
		var got []string
		for _, f := range tc.k.Fields {
			got = append(got, f.Code)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s codes\n got %v\nwant %v", tc.k.Code, got, tc.want)
		}
	}
	// The same concept has the same key in both kinds.
	sameKey := map[string][2]string{
		"行政相对人名称": {"CF_XDR_MC", "XK_XDR_MC"}, "统一社会信用代码": {"CF_XDR_SHXYM", "XK_XDR_SHXYM"},
		"证件号码": {"CF_XDR_ZJHM", "XK_XDR_ZJHM"}, "文书号": {"CF_WSH", "XK_WSH"}, "决定日期": {"CF_JDRQ", "XK_JDRQ"},
		"有效期至": {"CF_YXQ", "XK_YXQZI"}, "机关": {"CF_CFJG", "XK_XKJG"}, "机关代码": {"CF_CFJGDM", "XK_XKJGDM"},
		"来源": {"CF_SJLY", "XK_LYDW"}, "来源代码": {"CF_SJLYDM", "XK_LYDWDM"}, "内容": {"CF_NR", "XK_NR"}, "备注": {"BZ", "BZ"},
	}
	byCode := func(k *Kind, code string) Field {
		for _, f := range k.Fields {
			if f.Code == code {
				return f
			}
		}
		t.Fatalf("%s has no %s", k.Code, code)
		return Field{}
	}
	for what, codes := range sameKey {
		if a, b := byCode(cf, codes[0]), byCode(xk, codes[1]); a.Key != b.Key {
			t.Errorf("%s: cf key %s, xk key %s", what, a.Key, b.Key)
		}
	}
	for i := 0; i < 13; i++ {
		if cf.Fields[i].Key != xk.Fields[i].Key || cf.Fields[i].Name != xk.Fields[i].Name {
			t.Errorf("subject field %d differs: %s/%s", i, cf.Fields[i].Key, xk.Fields[i].Key)
		}
	}
	for _, k := range []*Kind{cf, xk} {
		if k.DecisionDate != "decision_date" || k.DecisionNo != "decision_no" || k.SourceDept != (SourceDept{"source_dept", "source_dept_uscc"}) {
			t.Errorf("%s: references %s %s %v", k.Code, k.DecisionDate, k.DecisionNo, k.SourceDept)
		}
		if !slices.Equal(k.Identity, []string{"decision_no", "source_dept_uscc", "subject_uscc|subject_id_number|subject_reg_no|subject_name"}) {
			t.Errorf("%s identity %v", k.Code, k.Identity)
		}
		if k.Publicity.DeadlineWorkingDays != 7 {
			t.Errorf("%s deadline %d", k.Code, k.Publicity.DeadlineWorkingDays)
		}
	}
	if w, ok := cf.Publicity.Window("serious"); !ok || w != (Window{"serious", 12, 36}) {
		t.Errorf("cf serious window %+v", w)
	}
	if w, ok := cf.Publicity.Window("general"); !ok || w != (Window{"general", 3, 12}) {
		t.Errorf("cf general window %+v", w)
	}
	if _, ok := xk.Publicity.Window("general"); ok {
		t.Error("xk has a window")
	}
	if cf.Publicity.Until != "publicity_end" {
		t.Errorf("cf until %q", cf.Publicity.Until)
	}
}

// TestBuiltinKindsRoundTrip: a kind marshals to JSON that loads back to the
// same definition (the portal can serve the catalogue as is).
func TestBuiltinKindsRoundTrip(t *testing.T) {
	for _, k := range Builtin() {
		b, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		k2, err := LoadKind(strings.NewReader(string(b)))
		if err != nil {
			t.Fatalf("%s: %v", k.Code, err)
		}
		b2, _ := json.Marshal(k2)
		if string(b) != string(b2) {
			t.Errorf("%s: round trip differs", k.Code)
		}
	}
}

func TestCatalogAdd(t *testing.T) {
	c := Default()
	if err := c.Add(kind(t, "cf")); err == nil || !strings.Contains(err.Error(), "已存在") {
		t.Errorf("duplicate: %v", err)
	}
	if err := c.Add(&Kind{Code: "zz"}); err == nil {
		t.Error("unloaded kind accepted")
	}
	if err := c.Add(nil); err == nil {
		t.Error("nil accepted")
	}
	if _, ok := c.Kind("tq"); ok {
		t.Error("tq before adding")
	}
	if _, ok := New().Kind("cf"); ok {
		t.Error("New is not empty")
	}
}

// TestThirdKindFromData adds 行政强制 from a data file and validates rows
// with it: no Go code knows this kind.
func TestThirdKindFromData(t *testing.T) {
	f, err := os.Open("testdata/qz.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	qz, err := LoadKind(f)
	if err != nil {
		t.Fatal(err)
	}
	c := Default()
	if err := c.Add(qz); err != nil {
		t.Fatal(err)
	}
	if got, ok := c.Kind("tq"); !ok || got != qz || len(c.Kinds()) != len(Builtin())+1 {
		t.Fatal("qz not in catalogue")
	}
	if _, ok := Default().Kind("tq"); ok {
		t.Error("adding to one catalogue changed another")
	}
	cols, err := qz.MatchHeader([]string{"*行政相对人名称", "qz_xdr_lb", "统一社会信用代码", "证件类型", "证件号码",
		"行政强制决定书文号", "措施类别", "涉及金额(万元)", "决定日期", "强制措施截止日期", "数据来源单位", "数据来源单位统一社会信用代码", "备注"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cols.Warnings) != 1 || !strings.Contains(cols.Warnings[0], "“备注”不是行政强制（测试定义）的字段") {
		t.Errorf("warnings %q", cols.Warnings)
	}
	good := []string{"福州某某贸易有限公司", "法人及非法人组织", orgUSCC, "", "", "榕市监强〔2024〕5号",
		"查封场所、设施或者财物、扣押财物", "", "2024/5/6", "2024-06-05", "福州市市场监督管理局", deptUSCC, "无"}
	rec, errs := qz.Validate(good, cols, testToday)
	if errs != nil {
		t.Fatal(reasons(errs))
	}
	if got := rec.Get("measure"); got != "查封场所、设施或者财物；扣押财物" {
		t.Errorf("measure %q", got)
	}
	if rec.DecisionDate() != calendar.MustParseDate("2024-05-06") || rec.DecisionNo() != "榕市监强〔2024〕5号" || rec.SourceDeptUSCC() != deptUSCC {
		t.Errorf("accessors %v %q %q", rec.DecisionDate(), rec.DecisionNo(), rec.SourceDeptUSCC())
	}
	if got := rec.IdentityKey(nil); got != "tq|decision_no=榕市监强〔2024〕5号|source_dept_uscc="+deptUSCC+"|subject_uscc="+orgUSCC {
		t.Errorf("IdentityKey %q", got)
	}
	// A conditional rule from the data: freezing needs the amount.
	bad := slices.Clone(good)
	bad[6] = "冻结存款、汇款"
	bad[9] = "2024-05-01"
	_, errs = qz.Validate(bad, cols, testToday)
	if len(errs) != 2 || errs[0].Field != "amount" || errs[0].Reason != "当强制措施类别为冻结存款、汇款时必填" ||
		errs[1].Field != "valid_to" || errs[1].Reason != "不能早于决定日期（2024-05-06）" {
		t.Errorf("errors:\n%s", reasons(errs))
	}
	bad[7] = "12.5"
	bad[9] = "长期"
	if rec, errs = qz.Validate(bad, cols, testToday); errs != nil || rec.Get("valid_to") != "2099-12-31" {
		t.Errorf("errors:\n%s", reasons(errs))
	}
}

// minimalKind is a small valid definition that the definition tests break
// in one place each.
const minimalKind = `{
  "code": "tt", "name": "测试", "nature": "bad", "disclosure": "shared",
  "identity": ["decision_no", "source_dept_uscc"],
  "decision_no": "decision_no", "decision_date": "decision_date",
  "source_dept": {"name": "source_dept", "uscc": "source_dept_uscc"},
  "fields": [
    {"key": "subject_name", "code": "T_MC", "name": "名称", "type": "text", "required": "always", "max_len": 10},
    {"key": "subject_class", "code": "T_LB", "name": "类别", "type": "enum", "required": "always", "enum": ["法人及非法人组织", "自然人"]},
    {"key": "decision_no", "code": "T_WSH", "name": "文号", "type": "text", "required": "always", "max_len": 10},
    {"key": "decision_date", "code": "T_RQ", "name": "日期", "type": "date", "required": "always"},
    {"key": "source_dept", "code": "T_LY", "name": "来源", "type": "text", "required": "always", "max_len": 10},
    {"key": "source_dept_uscc", "code": "T_LYDM", "name": "来源代码", "type": "uscc", "required": "always"}
  ]
}`

func TestLoadKindMinimal(t *testing.T) {
	k, err := LoadKind(strings.NewReader(minimalKind))
	if err != nil {
		t.Fatal(err)
	}
	rec, errs := k.Validate([]string{"甲", "自然人", "1号", "2020-01-01", "乙", deptUSCC}, k.StandardColumns(), testToday)
	if errs != nil {
		t.Fatal(reasons(errs))
	}
	if rec.SubjectClass() != "person" || rec.SubjectUSCC() != "" || rec.SubjectIDNumber() != "" {
		t.Errorf("accessors on a kind without the optional subject fields")
	}
}

func TestLoadKindErrors(t *testing.T) {
	type edit func(m map[string]any)
	field := func(m map[string]any, i int) map[string]any { return m["fields"].([]any)[i].(map[string]any) }
	addField := func(m map[string]any, f string) {
		var v map[string]any
		if err := json.Unmarshal([]byte(f), &v); err != nil {
			panic(err)
		}
		m["fields"] = append(m["fields"].([]any), v)
	}
	for _, tc := range []struct {
		name string
		edit edit
		want []string
	}{
		{"bad code", func(m map[string]any) { m["code"] = "CF" }, []string{"code“CF”应为小写字母开头"}},
		{"no name", func(m map[string]any) { m["name"] = " " }, []string{"name（中文名称）不能为空"}},
		{"nature", func(m map[string]any) { m["nature"] = "neutral" }, []string{"nature“neutral”不合法"}},
		{"disclosure", func(m map[string]any) { m["disclosure"] = "secret" }, []string{"disclosure“secret”不合法"}},
		{"no fields", func(m map[string]any) { m["fields"] = []any{} }, []string{"fields不能为空"}},
		{"unknown type", func(m map[string]any) { field(m, 0)["type"] = "usc" }, []string{"第1个字段（subject_name）：未知的类型“usc”"}},
		{"bad key", func(m map[string]any) { field(m, 0)["key"] = "SubjectName" }, []string{"key“SubjectName”应为snake_case"}},
		{"duplicate key", func(m map[string]any) { field(m, 2)["key"] = "subject_name" }, []string{"第3个字段（subject_name）：key与第1个字段重复"}},
		{"duplicate code", func(m map[string]any) { field(m, 2)["code"] = "t_mc" }, []string{"code“t_mc”与第1个字段重复"}},
		{"header clash", func(m map[string]any) { field(m, 2)["aliases"] = []any{"名称"} }, []string{"表头写法“名称”与第1个字段（subject_name）冲突"}},
		{"required value", func(m map[string]any) { field(m, 0)["required"] = "yes" }, []string{"required“yes”不合法"}},
		{"conditional without when", func(m map[string]any) { field(m, 0)["required"] = "conditional" }, []string{"required为conditional时必须写when条件"}},
		{"when without conditional", func(m map[string]any) {
			field(m, 0)["when"] = map[string]any{"field": "subject_class", "in": []any{"自然人"}}
		}, []string{"只有required为conditional时才能写when"}},
		{"text without max_len", func(m map[string]any) { delete(field(m, 0), "max_len") }, []string{"text类型必须写max_len"}},
		{"enum without values", func(m map[string]any) { delete(field(m, 1), "enum") }, []string{"enum类型必须列出enum取值"}},
		{"enum on text", func(m map[string]any) { field(m, 0)["enum"] = []any{"a"} }, []string{"enum、enum_aliases和other_spec只用于enum和multi_enum类型"}},
		{"alias to unknown value", func(m map[string]any) { field(m, 1)["enum_aliases"] = map[string]any{"法人": "法人组织"} }, []string{"enum_aliases中“法人”对应的“法人组织”不是enum取值"}},
		{"class value", func(m map[string]any) { field(m, 1)["enum"] = []any{"法人及非法人组织", "企业"} }, []string{"subject_class的取值只能是"}},
		{"when field unknown", func(m map[string]any) {
			addField(m, `{"key":"x","code":"T_X","name":"X","type":"text","max_len":5,"required":"conditional","when":{"field":"nope","in":["a"]}}`)
		}, []string{"第7个字段（x）的when：引用了不存在的字段“nope”"}},
		{"when value not in enum", func(m map[string]any) {
			addField(m, `{"key":"x","code":"T_X","name":"X","type":"text","max_len":5,"required":"conditional","when":{"field":"subject_class","in":["个体户"]}}`)
		}, []string{"“个体户”不是字段subject_class的取值"}},
		{"condition with two forms", func(m map[string]any) {
			addField(m, `{"key":"x","code":"T_X","name":"X","type":"text","max_len":5,"required":"conditional","when":{"field":"subject_class","in":["自然人"],"any":[]}}`)
		}, []string{"条件必须且只能是field测试、all或any之一"}},
		{"condition with two tests", func(m map[string]any) {
			addField(m, `{"key":"x","code":"T_X","name":"X","type":"text","max_len":5,"required":"conditional","when":{"field":"subject_class","in":["自然人"],"present":true}}`)
		}, []string{"必须且只能写in、not_in或present之一"}},
		{"cycle", func(m map[string]any) {
			addField(m, `{"key":"a","code":"T_A","name":"A","type":"enum","enum":["1"],"required":"conditional","when":{"field":"b","in":["1"]}}`)
			addField(m, `{"key":"b","code":"T_B","name":"B","type":"enum","enum":["1"],"required":"conditional","when":{"field":"a","in":["1"]}}`)
		}, []string{"字段之间的依赖有循环"}},
		{"not_before on text", func(m map[string]any) { field(m, 0)["not_before"] = []any{"decision_date"} }, []string{"not_before、not_future和min_date只用于日期类型"}},
		{"not_before unknown", func(m map[string]any) { field(m, 3)["not_before"] = []any{"start"} }, []string{"not_before引用了不存在的字段“start”"}},
		{"min_date", func(m map[string]any) { field(m, 3)["min_date"] = "1990/01/01" }, []string{"min_date“1990/01/01”应为"}},
		{"id_type_field wrong", func(m map[string]any) {
			addField(m, `{"key":"subject_id_number","code":"T_ZJHM","name":"证件号码","type":"id_number","max_len":20,"required":"optional","id_type_field":"subject_class"}`)
		}, []string{"id_type_field“subject_class”应为本类别中id_type类型字段的key"}},
		{"row nature field", func(m map[string]any) {
			m["row_nature"] = map[string]any{"field": "subject_class", "good": []any{"自然人"}, "bad": []any{"企业", "自然人"}}
		}, []string{"row_nature中的“企业”不是字段subject_class的取值", "row_nature中的“自然人”既是good又是bad"}},
		{"row nature on text", func(m map[string]any) { m["row_nature"] = map[string]any{"field": "decision_no"} },
			[]string{"row_nature.field引用的字段“decision_no”类型应为enum"}},
		{"categories on text", func(m map[string]any) { field(m, 0)["categories"] = []any{"11"} }, []string{"categories只用于uscc类型"}},
		{"unknown category", func(m map[string]any) { field(m, 5)["categories"] = []any{"1Z"} }, []string{"categories中的“1Z”不是登记管理部门码和机构类别码"}},
		{"default on a required field", func(m map[string]any) { field(m, 0)["default"] = "甲" }, []string{"只有选填字段（required为optional）才能写default"}},
		{"default not in enum", func(m map[string]any) {
			addField(m, `{"key":"x","code":"T_X","name":"X","type":"enum","enum":["a"],"required":"optional","default":"b"}`)
		}, []string{"default“b”不是enum取值"}},
		{"default on a date", func(m map[string]any) {
			addField(m, `{"key":"x","code":"T_X","name":"X","type":"date","required":"optional","default":"2020-01-01"}`)
		}, []string{"default只用于text和enum类型"}},
		{"placeholder on text", func(m map[string]any) {
			field(m, 0)["placeholder_when"] = map[string]any{"field": "subject_class", "in": []any{"自然人"}}
		}, []string{"placeholder_when只用于uscc类型"}},
		{"identity", func(m map[string]any) { m["identity"] = []any{"decision_no|nope"} }, []string{"identity引用了不存在的字段“nope”"}},
		{"no identity", func(m map[string]any) { delete(m, "identity") }, []string{"identity不能为空"}},
		{"decision date type", func(m map[string]any) { m["decision_date"] = "decision_no" }, []string{"decision_date引用的字段“decision_no”类型应为date"}},
		{"source dept", func(m map[string]any) { m["source_dept"] = map[string]any{"name": "source_dept", "uscc": "x"} }, []string{"source_dept.uscc引用了不存在的字段“x”"}},
		{"no subject name", func(m map[string]any) { field(m, 0)["key"] = "name" }, []string{"缺少subject_name（行政相对人名称）字段"}},
		{"windows", func(m map[string]any) {
			m["publicity"] = map[string]any{"from": "decision_date", "windows": []any{
				map[string]any{"severity": "grave", "min_months": 1, "max_months": 2},
				map[string]any{"severity": "minor", "min_months": 3, "max_months": 2},
			}}
		}, []string{"severity“grave”应为minor、general或serious", "“minor”的月数应满足"}},
		{"severity rules", func(m map[string]any) {
			m["publicity"] = map[string]any{"from": "decision_date", "windows": []any{
				map[string]any{"severity": "minor", "min_months": 0, "max_months": 3},
				map[string]any{"severity": "general", "min_months": 3, "max_months": 12},
			}, "severity_rules": []any{
				map[string]any{"severity": "serious", "field": "subject_class", "any_of": []any{"自然人"}, "basis": "x"},
				map[string]any{"severity": "minor", "field": "subject_name", "only_of": []any{"a"}},
				map[string]any{"severity": "minor", "amounts": []any{"decision_no"}},
				map[string]any{"severity": "minor", "domains": []any{"消防"}, "basis": "y"},
				map[string]any{"severity": "minor", "basis": "z"},
			}}
		}, []string{"必须写default_severity", "第1条的severity“serious”在windows中没有对应的公示期限",
			"第2条.field引用的字段“subject_name”类型应为enum或multi_enum", "第2条须写basis",
			"第3条：amount_at_least/amount_at_most与amounts须同时写", "第3条.amounts引用的字段“decision_no”类型应为decimal",
			"第4条：domains与domain_fields须同时写", "第5条没有任何条件"}},
		{"several problems", func(m map[string]any) { m["code"] = ""; field(m, 0)["type"] = "x"; field(m, 1)["required"] = "" },
			[]string{"code“”", "未知的类型“x”", "第2个字段（subject_class）：required“”不合法"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal([]byte(minimalKind), &m); err != nil {
				t.Fatal(err)
			}
			tc.edit(m)
			b, _ := json.Marshal(m)
			_, err := LoadKind(strings.NewReader(string(b)))
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

// TestLoadKindNoEarlyRepair checks publicity.no_early_repair: one valid
// definition, then each problem alone, the rule named by its index.
func TestLoadKindNoEarlyRepair(t *testing.T) {
	// load builds minimalKind with windows, a multi_enum field "category"
	// and the given no_early_repair rules.
	load := func(t *testing.T, windows bool, rules ...map[string]any) (*Kind, error) {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(minimalKind), &m); err != nil {
			t.Fatal(err)
		}
		var cat map[string]any
		if err := json.Unmarshal([]byte(`{"key":"category","code":"T_LB2","name":"处罚类别","type":"multi_enum","required":"optional",
			"enum":["警告","吊销许可证件","责令停产停业"],"enum_aliases":{"吊销许可证":"吊销许可证件"}}`), &cat); err != nil {
			t.Fatal(err)
		}
		m["fields"] = append(m["fields"].([]any), cat)
		pub := map[string]any{"from": "decision_date"}
		if windows {
			pub["windows"] = []any{map[string]any{"severity": "serious", "min_months": 12, "max_months": 36}}
		}
		if rules != nil {
			list := make([]any, len(rules))
			for i, r := range rules {
				list[i] = r
			}
			pub["no_early_repair"] = list
		}
		m["publicity"] = pub
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return LoadKind(strings.NewReader(string(b)))
	}
	good := func() map[string]any {
		return map[string]any{"field": "category", "any_of": []any{"吊销许可证件", "责令停产停业"}, "basis": "总局令第45号"}
	}

	t.Run("valid", func(t *testing.T) {
		enumRule := map[string]any{"field": "subject_class", "any_of": []any{"自然人"}, "basis": "x"}
		k, err := load(t, true, good(), enumRule)
		if err != nil {
			t.Fatal(err)
		}
		rules := k.Publicity.NoEarlyRepair
		if len(rules) != 2 || rules[0].Field != "category" || !slices.Equal(rules[0].AnyOf, []string{"吊销许可证件", "责令停产停业"}) || rules[0].Basis != "总局令第45号" {
			t.Fatalf("rules = %+v", rules)
		}
		for _, c := range []struct {
			value string
			want  bool
		}{
			{"警告；吊销许可证件", true}, {"责令停产停业", true}, {"警告", false}, {"", false},
		} {
			if got := rules[0].Matches(map[string]string{"category": c.value}); got != c.want {
				t.Errorf("Matches(%q) = %v, want %v", c.value, got, c.want)
			}
		}
	})

	for _, tc := range []struct {
		name    string
		windows bool
		rule    func(r map[string]any)
		want    string
	}{
		{"no windows", false, func(r map[string]any) {}, "publicity写了no_early_repair时必须写windows"},
		{"no field", true, func(r map[string]any) { delete(r, "field") }, "publicity.no_early_repair第2条须写field"},
		{"unknown field", true, func(r map[string]any) { r["field"] = "nope" }, "publicity.no_early_repair第2条.field引用了不存在的字段“nope”"},
		{"text field", true, func(r map[string]any) { r["field"] = "subject_name"; r["any_of"] = []any{"甲"} },
			"publicity.no_early_repair第2条.field引用的字段“subject_name”类型应为enum或multi_enum"},
		{"date field", true, func(r map[string]any) { r["field"] = "decision_date"; r["any_of"] = []any{"2026-01-01"} },
			"publicity.no_early_repair第2条.field引用的字段“decision_date”类型应为enum或multi_enum"},
		{"empty any_of", true, func(r map[string]any) { r["any_of"] = []any{} }, "publicity.no_early_repair第2条的any_of不能为空"},
		{"missing any_of", true, func(r map[string]any) { delete(r, "any_of") }, "publicity.no_early_repair第2条的any_of不能为空"},
		{"value not in enum", true, func(r map[string]any) { r["any_of"] = []any{"吊销许可证件", "吊销营业执照"} },
			"publicity.no_early_repair第2条的any_of中“吊销营业执照”不是字段category的取值"},
		{"alias instead of value", true, func(r map[string]any) { r["any_of"] = []any{"吊销许可证"} },
			"publicity.no_early_repair第2条的any_of中“吊销许可证”是字段category的别名，应写其取值“吊销许可证件”"},
		{"no basis", true, func(r map[string]any) { r["basis"] = "" }, "publicity.no_early_repair第2条须写basis"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.rule(r)
			_, err := load(t, tc.windows, good(), r)
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v", err)
			}
			if len(de.Problems) != 1 || !strings.Contains(de.Problems[0], tc.want) {
				t.Errorf("problems %q\nwant one containing %q", de.Problems, tc.want)
			}
		})
	}
}

// TestBuiltinNoEarlyRepair: 行政处罚 records never repaired early are those
// of 市场监督管理总局令第45号 (domain facts 3.1), in both vocabularies.
func TestBuiltinNoEarlyRepair(t *testing.T) {
	cf := kind(t, "cf")
	rules := cf.Publicity.NoEarlyRepair
	if len(rules) != 1 || rules[0].Field != "penalty_category" {
		t.Fatalf("rules = %+v", rules)
	}
	want := []string{"责令停产停业", "限制开展生产经营活动", "限制从业", "降低资质等级", "吊销许可证件", "吊销许可证", "吊销执照"}
	if !slices.Equal(rules[0].AnyOf, want) {
		t.Errorf("any_of = %q, want %q", rules[0].AnyOf, want)
	}
	for _, w := range []string{"市场监督管理总局令第45号", "平台默认", "各省可在本省目录中调整"} {
		if !strings.Contains(rules[0].Basis, w) {
			t.Errorf("basis lacks %q: %s", w, rules[0].Basis)
		}
	}
	for _, c := range []struct {
		category string
		want     bool
	}{
		{"罚款；吊销许可证件", true}, {"吊销执照", true}, {"限制从业", true},
		{"罚款", false}, {"暂扣许可证件", false}, {"责令关闭", false}, {"暂扣或者吊销执照", false},
	} {
		if got := rules[0].Matches(map[string]string{"penalty_category": c.category}); got != c.want {
			t.Errorf("%s: Matches = %v, want %v", c.category, got, c.want)
		}
	}
}

func TestLoadKindSyntax(t *testing.T) {
	for _, in := range []string{`{`, `{"code":"x","unknown":1}`, minimalKind + `{}`, `[]`} {
		_, err := LoadKind(strings.NewReader(in))
		var de *DefinitionError
		if err == nil || errors.As(err, &de) {
			t.Errorf("%.20q: err = %v", in, err)
		}
	}
}
