package hiring

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/lists"
)

// TestReplyHoldsOnlyTheFact: the reply document's type has exactly the
// fields that identify the request and the candidate and the fact
// (target, list names); a list name can only be made from a serious list.
// Adding a field to Reply or Line (a record, a penalty, a grade) fails
// here.
func TestReplyHoldsOnlyTheFact(t *testing.T) {
	want := map[string][]string{
		"Reply":    {"Date", "Kind", "Lines", "No", "Office", "RequestNo", "Unit"},
		"Line":     {"IDNumber", "Index", "Lists", "Name", "Post", "Target"},
		"ListName": {"name"},
	}
	seen := map[string]bool{}
	var walk func(tp reflect.Type)
	walk = func(tp reflect.Type) {
		for tp.Kind() == reflect.Slice || tp.Kind() == reflect.Pointer {
			tp = tp.Elem()
		}
		if tp.Kind() != reflect.Struct || seen[tp.Name()] {
			return
		}
		seen[tp.Name()] = true
		var names []string
		for i := 0; i < tp.NumField(); i++ {
			names = append(names, tp.Field(i).Name)
			walk(tp.Field(i).Type)
		}
		sort.Strings(names)
		if w, ok := want[tp.Name()]; !ok || !slices.Equal(names, w) {
			t.Errorf("type %s has fields %v, want %v", tp.Name(), names, w)
		}
	}
	walk(reflect.TypeOf(Reply{}))
	if len(seen) != len(want) {
		t.Errorf("types reached: %v", seen)
	}
	if f, _ := reflect.TypeOf(ListName{}).FieldByName("name"); f.IsExported() || f.Type.Kind() != reflect.String {
		t.Error("ListName's field must be an unexported string")
	}
}

func TestResultSeriousListsInForce(t *testing.T) {
	cat, err := lists.Default(catalog.Default())
	if err != nil {
		t.Fatal(err)
	}
	typ := func(code string) *lists.Type {
		x, ok := cat.Type(code)
		if !ok {
			t.Fatalf("no list %s", code)
		}
		return x
	}
	day := calendar.Date{Year: 2026, Month: 6, Day: 1}
	d := func(y, m, dd int) calendar.Date { return calendar.Date{Year: y, Month: timeMonth(m), Day: dd} }
	entries := []lists.Entry{
		{Type: typ("abnormal"), DecisionDate: d(2026, 1, 1), Facts: "未按期公示年度报告"},                            // not a 联合惩戒对象 list
		{Type: typ("watch"), DecisionDate: d(2026, 1, 1)},                                                   // neither
		{Type: typ("tax_a"), DecisionDate: d(2026, 1, 1)},                                                   // a red list
		{Type: typ("samr_serious"), DecisionDate: d(2020, 1, 1), ValidTo: d(2023, 1, 1)},                    // expired
		{Type: typ("safety_serious"), DecisionDate: d(2026, 1, 1), Revoked: true},                           // revoked
		{Type: typ("court_debtor"), DecisionDate: d(2026, 2, 1), DecisionNo: "（2026）陕01执1号", Facts: "拒不履行"}, // in force
		{Type: typ("court_debtor"), DecisionDate: d(2026, 3, 1)},                                            // the same list twice: once
	}
	target, names := Result(entries, day)
	if !target || len(names) != 1 || names[0].String() != "失信被执行人" {
		t.Fatalf("target %v, names %v", target, names)
	}
	b, _ := json.Marshal(Line{Index: 1, Name: "张三", IDNumber: "x", Post: "科员", Target: target, Lists: names})
	if string(b) != `{"index":1,"name":"张三","id_number":"x","post":"科员","target":true,"lists":["失信被执行人"]}` {
		t.Errorf("line JSON: %s", b)
	}
	if target, names := Result(entries[:5], day); target || len(names) != 0 {
		t.Errorf("no serious list in force: %v %v", target, names)
	}
	if _, ok := ListNameOf(typ("abnormal")); ok {
		t.Error("a list name made from 经营异常名录")
	}
	// Stored names that are not serious lists are dropped when read.
	if got := DecodeLists([]byte(`["失信被执行人","经营异常名录","罚款10万元"]`), cat); len(got) != 1 || got[0].String() != "失信被执行人" {
		t.Errorf("decoded %v", got)
	}
}

func TestDefaultRouting(t *testing.T) {
	r, err := DefaultRouting(deadline.Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ kind, level, answer string }{
		{"公务员录用", City, Province}, {"公务员调任", Province, Province},
		{"事业单位统一招聘", Province, Province}, {"事业单位统一招聘", City, City},
		{"自主招聘", Province, Province}, {"自主招聘", City, City},
	} {
		rule, ok := r.Rule(tc.kind, tc.level)
		if !ok || rule.Answer != tc.answer {
			t.Errorf("%s asked at %s: %+v %v", tc.kind, tc.level, rule, ok)
		}
	}
	p, _ := r.Chain(Province)
	c, _ := r.Chain(City)
	if len(p.Steps) != 6 || p.Steps[3].Owner != OwnerNational || len(c.Steps) != 4 {
		t.Errorf("chains: %+v %+v", p, c)
	}
	if _, err := LoadRouting([]byte(`{"kinds":["公务员录用"],"rules":[],"chains":[]}`), deadline.Default()); err == nil {
		t.Error("a kind without rules accepted")
	}
}

func timeMonth(m int) time.Month { return time.Month(m) }

func TestInvalidMessageBounded(t *testing.T) {
	var e Invalid
	for i := 1; i <= 25; i++ {
		e.Errs = append(e.Errs, FieldError{Field: "身份证号", Row: i, Reason: "不是有效的18位公民身份号码"})
	}
	msg := e.Error()
	if !strings.HasPrefix(msg, "名单第1行身份证号：") || !strings.Contains(msg, "名单第20行") || strings.Contains(msg, "名单第21行") || !strings.HasSuffix(msg, "等，共25处问题") {
		t.Errorf("message: %s", msg)
	}
}
