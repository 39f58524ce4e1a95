package deadline

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func keysOf(r *Rules) []string {
	var out []string
	for _, s := range r.Steps() {
		out = append(out, s.Key)
	}
	return out
}

func TestDefault(t *testing.T) {
	r := Default()
	if r != Default() {
		t.Error("Default parses again")
	}
	want := []struct {
		key      string
		name     string
		days     int
		inBasis  string // a substring the basis must contain
		platform bool   // the limit itself is a platform default
	}{
		{"objection.mark", "异议标注", 1, "《上海市社会信用条例》第三十六条", false},
		{"objection.forward", "异议转送信息提供单位", 2, "《上海市社会信用条例》第三十六条", false},
		{"objection.decide", "异议核查处理", 5, "《上海市社会信用条例》第三十六条", false},
		{"objection.notify", "告知申请人", 3, "陕发改财金〔2021〕789号", true},
		{"objection.review", "异议复核", 5, "平台默认", true},
		{"repair.accept", "信用修复受理答复", 10, "国办发〔2025〕22号", false},
		{"repair.decide", "认定部门修复决定", 3, "国办发〔2025〕22号", false},
		{"repair.sync", "修复结果同步", 3, "第58号", false},
		{"repair.recheck", "信用修复抽查复核", 10, "平台默认", true},
		{"return.fix", "退回信息补正", 5, "平台默认", true},
		{"market.agency_check", "中介机构入驻形式核查", 2, "第十七条", false},
		{"market.agency_change", "中介机构变更审核", 2, "第十八条", false},
		{"market.project_review", "采购信息形式审查", 2, "第二十三条（二）", false},
		{"market.confirm", "业主确认选取结果", 1, "第二十三条（五）", false},
		{"market.contact", "中选机构联系业主", 1, "第二十三条（六）", false},
		{"market.contract", "服务合同上传备案", 2, "第二十三条（六）", false},
		{"market.rate", "业主服务评价", 3, "第二十三条（七）", false},
		{"market.dishonesty", "中介机构失信信息公示", 2, "第三十条", false},
		{"registry.fix", "重错码纠错", 10, "平台默认", true},
		{"hiring.answer", "招录人选信用记录查询答复", 3, "789号", false},
		{"hiring.object", "被查询人提出异议", 3, "789号", false},
		{"hiring.forward", "申请单位转报异议", 3, "789号", false},
		{"hiring.apply", "申请国家异议复核", 3, "789号", false},
		{"hiring.national", "国家中心异议复核", 3, "平台默认", true},
		{"hiring.result", "书面告知申请单位复核结果", 3, "789号", false},
		{"hiring.notify", "申请单位告知被查询人", 3, "789号", false},
		{"complaint.route", "投诉举报分办", 3, "平台默认", true},
		{"complaint.answer", "投诉举报办理答复", 15, "平台默认", true},
	}
	steps := r.Steps()
	if len(steps) != len(want) {
		t.Fatalf("%d steps: %v", len(steps), keysOf(r))
	}
	for i, w := range want {
		s := steps[i]
		if s.Key != w.key || s.Name != w.name || s.WorkingDays != w.days || s.RemindDays != 1 || s.EscalateEvery != 2 {
			t.Errorf("step %d = %+v, want %s %s %d days, remind 1, escalate every 2", i, s, w.key, w.name, w.days)
		}
		if !strings.Contains(s.Basis, w.inBasis) {
			t.Errorf("%s: basis %q does not cite %s", s.Key, s.Basis, w.inBasis)
		}
		if w.platform != strings.HasPrefix(s.Basis, "平台默认") {
			t.Errorf("%s: basis %q: platform default %v expected", s.Key, s.Basis, w.platform)
		}
		// Reminders and escalation are platform defaults everywhere.
		if !strings.Contains(s.Basis, "提醒天数和督办间隔为平台默认") {
			t.Errorf("%s: basis does not say reminders and escalation are platform defaults", s.Key)
		}
		if got, ok := r.Step(w.key); !ok || got != s {
			t.Errorf("Step(%s) = %+v, %v", w.key, got, ok)
		}
	}
	// Unverified numbers say so.
	for _, k := range []string{"repair.accept", "repair.decide"} {
		if s, _ := r.Step(k); !strings.Contains(s.Basis, "未经核对") {
			t.Errorf("%s: basis does not say the number is unverified", k)
		}
	}
	if _, ok := r.Step("objection"); ok {
		t.Error(`Step("objection") found`)
	}
	// Steps returns a copy.
	steps[0].WorkingDays = 99
	if s, _ := r.Step("objection.mark"); s.WorkingDays != 1 {
		t.Error("Steps exposes the rules' storage")
	}
}

func TestParseValid(t *testing.T) {
	const file = "\uFEFF" + `{
	  "note": "运营方覆盖",
	  "steps": [
	    {"key": "repair.decide", "name": " 认定部门修复决定 ", "working_days": 5, "remind_days": 2, "escalate_every": 0,
	     "basis": "令第36号（核实后）"},
	    {"basis": "平台默认", "escalate_every": 3, "remind_days": 0, "working_days": 15, "name": "整改复查", "key": "rectify.recheck_2"}
	  ]
	}`
	r, err := Parse(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{
		{Key: "repair.decide", Name: "认定部门修复决定", WorkingDays: 5, RemindDays: 2, EscalateEvery: 0, Basis: "令第36号（核实后）"},
		{Key: "rectify.recheck_2", Name: "整改复查", WorkingDays: 15, RemindDays: 0, EscalateEvery: 3, Basis: "平台默认"},
	}
	if got := r.Steps(); !slices.Equal(got, want) {
		t.Errorf("Steps() = %+v\nwant %+v", got, want)
	}

	// Merge: the operator's repair.decide replaces the default in place,
	// rectify.recheck_2 is added at the end, Default is unchanged.
	m := Default().Merge(r)
	wantKeys := []string{"objection.mark", "objection.forward", "objection.decide", "objection.notify",
		"objection.review", "repair.accept", "repair.decide", "repair.sync", "repair.recheck", "return.fix", "market.agency_check", "market.agency_change", "market.project_review", "market.confirm", "market.contact",
		"market.contract", "market.rate", "market.dishonesty", "registry.fix",
		"hiring.answer", "hiring.object", "hiring.forward", "hiring.apply", "hiring.national", "hiring.result", "hiring.notify",
		"complaint.route", "complaint.answer", "rectify.recheck_2"}
	if got := keysOf(m); !slices.Equal(got, wantKeys) {
		t.Errorf("merged keys %v", got)
	}
	if s, _ := m.Step("repair.decide"); s != want[0] {
		t.Errorf("merged repair.decide = %+v", s)
	}
	if s, _ := m.Step("rectify.recheck_2"); s != want[1] {
		t.Errorf("merged rectify.recheck_2 = %+v", s)
	}
	if s, _ := Default().Step("repair.decide"); s.WorkingDays != 3 || s.RemindDays != 1 {
		t.Errorf("Default changed by Merge: %+v", s)
	}
	if got := keysOf(r); !slices.Equal(got, []string{"repair.decide", "rectify.recheck_2"}) {
		t.Errorf("argument changed by Merge: %v", got)
	}
	// Nil operands.
	var none *Rules
	if got := keysOf(none.Merge(r)); !slices.Equal(got, keysOf(r)) {
		t.Errorf("nil.Merge = %v", got)
	}
	if got := keysOf(Default().Merge(nil)); !slices.Equal(got, wantKeys[:len(wantKeys)-1]) {
		t.Errorf("Merge(nil) = %v", got)
	}
	if _, ok := none.Step("repair.decide"); ok || len(none.Steps()) != 0 {
		t.Error("nil rules have steps")
	}

	// The embedded file parses to Default, and a merged clock uses the
	// new limit.
	again, err := Parse(bytes.NewReader(stepsJSON))
	if err != nil || !slices.Equal(again.Steps(), Default().Steps()) {
		t.Errorf("steps.json: %v", err)
	}
	tm, err := Clock{Rules: m}.Start("repair.decide", at(t, "2026-03-02 09:00"))
	if err != nil || tm.Due.String() != "2026-03-09" {
		t.Errorf("merged clock: %+v %v", tm, err)
	}
}

// step returns a step object with the given fields replacing valid ones;
// a value "-" removes the field.
func step(over map[string]string) string {
	f := map[string]string{
		"key": `"repair.decide"`, "name": `"认定部门修复决定"`, "working_days": "3",
		"remind_days": "1", "escalate_every": "2", "basis": `"测试"`, "public_basis": "-",
	}
	var extra []string
	for k, v := range over {
		if _, ok := f[k]; !ok {
			extra = append(extra, k)
		}
		f[k] = v
	}
	slices.Sort(extra)
	var parts []string
	for _, k := range append(slices.Clone(fieldNames), extra...) {
		if v := f[k]; v != "-" {
			parts = append(parts, fmt.Sprintf("%q: %s", k, v))
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func TestParseInvalid(t *testing.T) {
	file := func(steps ...string) string { return `{"steps": [` + strings.Join(steps, ",\n") + `]}` }
	tests := []struct {
		name string
		file string
		want []string // substrings, one per problem, in order
	}{
		{"unknown field", file(step(map[string]string{"wrking_days": "5"})),
			[]string{`deadline: step "repair.decide": unknown field "wrking_days" (known: key, name, working_days, remind_days, escalate_every, basis, public_basis)`}},
		{"duplicate key", file(step(nil), step(map[string]string{"name": `"另一个"`})),
			[]string{`step "repair.decide": key: duplicate key: steps[0] and steps[1] both define it`}},
		{"working_days 0", file(step(map[string]string{"working_days": "0"})),
			[]string{`step "repair.decide": working_days 0: must be 1..365`}},
		{"working_days 400", file(step(map[string]string{"working_days": "400"})),
			[]string{`step "repair.decide": working_days 400: must be 1..365`}},
		{"negative working_days", file(step(map[string]string{"working_days": "-2"})),
			[]string{`step "repair.decide": working_days -2: must be 1..365`}},
		{"empty name", file(step(map[string]string{"name": `""`})),
			[]string{`step "repair.decide": name "": must not be empty`}},
		{"blank name", file(step(map[string]string{"name": `"   "`})),
			[]string{`step "repair.decide": name "   ": must not be empty`}},
		{"control character in name", file(step(map[string]string{"name": `"异议\n标注"`})),
			[]string{`name "异议\n标注": contains a control character`}},
		{"long name", file(step(map[string]string{"name": `"` + strings.Repeat("长", 65) + `"`})),
			[]string{`…: longer than 64 characters`}},
		{"key without workflow", file(step(map[string]string{"key": `"decide"`})),
			[]string{`steps[0]: key "decide": must be lowercase words`}},
		{"key with capitals", file(step(map[string]string{"key": `"Repair.Decide"`})),
			[]string{`steps[0]: key "Repair.Decide": must be lowercase words`}},
		{"key with a space", file(step(map[string]string{"key": `"repair. decide"`})),
			[]string{`steps[0]: key "repair. decide": must be lowercase words`}},
		{"key with an empty word", file(step(map[string]string{"key": `"repair..decide"`})),
			[]string{`steps[0]: key "repair..decide": must be lowercase words`}},
		{"key with a leading digit", file(step(map[string]string{"key": `"repair.2nd"`})),
			[]string{`steps[0]: key "repair.2nd": must be lowercase words`}},
		{"empty key", file(step(map[string]string{"key": `""`})),
			[]string{`steps[0]: key "": must not be empty`}},
		{"long key", file(step(map[string]string{"key": `"repair.` + strings.Repeat("x", 60) + `"`})),
			[]string{`steps[0]: key "repair.` + strings.Repeat("x", 60) + `": longer than 64 bytes`}},
		{"missing fields", file(step(map[string]string{"working_days": "-", "basis": "-"})),
			[]string{`step "repair.decide": working_days: missing`, `step "repair.decide": basis: missing`}},
		{"missing key", file(step(nil), step(map[string]string{"key": "-"})),
			[]string{`steps[1]: key: missing`}},
		{"wrong types", file(step(map[string]string{"working_days": `"3"`, "remind_days": "1.5", "name": "null", "basis": "7"})),
			[]string{`name null: must be a string`, `working_days "3": must be a whole number`,
				`remind_days 1.5: must be a whole number`, `basis 7: must be a string`}},
		{"remind_days above working_days", file(step(map[string]string{"remind_days": "4"})),
			[]string{`step "repair.decide": remind_days 4: must be 0..working_days (3)`}},
		{"negative remind_days", file(step(map[string]string{"remind_days": "-1"})),
			[]string{`remind_days -1: must be 0..working_days (3)`}},
		{"remind_days with bad working_days", file(step(map[string]string{"working_days": "0", "remind_days": "400"})),
			[]string{`working_days 0: must be 1..365`, `remind_days 400: must be 0..365`}},
		{"negative escalate_every", file(step(map[string]string{"escalate_every": "-1"})),
			[]string{`step "repair.decide": escalate_every -1: must be 0..365`}},
		{"empty basis", file(step(map[string]string{"basis": `" "`})),
			[]string{`step "repair.decide": basis " ": must not be empty`}},
		{"field given twice", file(`{"key": "repair.decide", "name": "认定部门修复决定", "working_days": 3, "working_days": 4, "remind_days": 1, "escalate_every": 2, "basis": "测试"}`),
			[]string{`step "repair.decide": working_days: given twice`}},
		{"step not an object", file(`[1, 2]`),
			[]string{`steps[0]: must be a JSON object`}},
		{"no steps", `{"note": "空"}`,
			[]string{`steps: missing or empty`}},
		{"empty steps", `{"steps": []}`,
			[]string{`steps: missing or empty`}},
		{"steps not a list", `{"steps": {"key": "repair.decide"}}`,
			[]string{`steps: must be a list of step objects`}},
		{"unknown top-level field", `{"step": [], "steps": [` + step(nil) + `]}`,
			[]string{`unknown top-level field "step" (known: note, steps)`}},
		{"note not a string", `{"note": 1, "steps": [` + step(nil) + `]}`,
			[]string{`note: must be a string`}},
		{"top level not an object", `[` + step(nil) + `]`,
			[]string{`the file must be a JSON object`}},
		{"empty file", ``,
			[]string{`deadline: the file is empty`}},
		{"syntax error", "{\"steps\": [\n" + step(nil) + ",\n{\"key\": \"a.b\",, }\n]}",
			[]string{`deadline: line 3: invalid JSON: invalid character ','`}},
		{"truncated", `{"steps": [` + step(nil),
			[]string{`unexpected end of file`}},
		{"trailing data", `{"steps": [` + step(nil) + `]}` + "\n{}",
			[]string{`line 2: data after the top-level object`}},
		{"all problems at once", file(
			step(map[string]string{"working_days": "0"}),
			step(map[string]string{"key": `"objection.mark"`, "name": `""`, "surprise": "1"}),
			step(map[string]string{"key": `"Bad"`, "basis": `""`}),
			step(map[string]string{"key": `"objection.mark"`}),
		), []string{
			`step "repair.decide": working_days 0: must be 1..365`,
			`step "objection.mark": unknown field "surprise"`,
			`step "objection.mark": name "": must not be empty`,
			`steps[2]: key "Bad": must be lowercase words`,
			`steps[2]: basis "": must not be empty`,
			`step "objection.mark": key: duplicate key: steps[1] and steps[3] both define it`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(strings.NewReader(tt.file))
			if err == nil {
				t.Fatalf("no error; steps %v", keysOf(r))
			}
			if r != nil {
				t.Error("rules returned with an error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if i < len(lines) && !strings.Contains(lines[i], w) {
					t.Errorf("problem %d = %q\nwant it to contain %q", i, lines[i], w)
				}
			}
			for _, l := range lines {
				if !strings.HasPrefix(l, "deadline: ") {
					t.Errorf("problem %q lacks the package prefix", l)
				}
			}
		})
	}
}

func TestStepError(t *testing.T) {
	_, err := Parse(strings.NewReader(`{"steps": [` + step(nil) + `, ` + step(map[string]string{"key": `"repair.sync"`, "working_days": "0"}) + `]}`))
	var se *StepError
	if !errors.As(err, &se) {
		t.Fatalf("%v is not a *StepError", err)
	}
	want := StepError{Index: 1, Key: "repair.sync", Field: "working_days", Value: "0", Problem: "must be 1..365"}
	if *se != want {
		t.Errorf("StepError = %+v, want %+v", *se, want)
	}
	if se.Error() != `deadline: step "repair.sync": working_days 0: must be 1..365` {
		t.Errorf("Error() = %s", se.Error())
	}
}

func TestParseTooLarge(t *testing.T) {
	big := `{"note": "` + strings.Repeat("x", maxFileSize) + `", "steps": [` + step(nil) + `]}`
	if _, err := Parse(strings.NewReader(big)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("large file: %v", err)
	}
}
