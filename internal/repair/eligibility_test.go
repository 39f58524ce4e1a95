package repair

import (
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/publicity"
)

func kind(t testing.TB, code string) *catalog.Kind {
	t.Helper()
	k, ok := catalog.Default().Kind(code)
	if !ok {
		t.Fatalf("no kind %s", code)
	}
	return k
}

func day(s string) calendar.Date {
	if s == "" {
		return calendar.Date{}
	}
	return calendar.MustParseDate(s)
}

// penalty returns the fields of a 行政处罚 decided on 2026-04-15 (a
// Wednesday, under 令第36号) with the given category and fine (万元),
// changed by key=value pairs.
func penalty(category, fine string, kv ...string) map[string]string {
	f := map[string]string{
		"penalty_category": category, "fine_amount": fine, "decision_date": "2026-04-15",
		"authority": "西安市市场监督管理局", "violation_type": "虚假宣传",
	}
	for _, p := range kv {
		k, v, _ := strings.Cut(p, "=")
		f[k] = v
	}
	return f
}

// testKind is a bad kind whose 轻微 records are not published at all
// (max_months 0) and one whose records are not public; publicity.Decide
// reports NotPublished and NotPublic for them.
const testKindJSON = `{
  "code": "tt", "name": "测试处罚", "nature": "bad", "disclosure": "%s",
  "publicity": {"from": "decision_date",
    "windows": [{"severity": "minor", "min_months": 0, "max_months": 0}, {"severity": "general", "min_months": 3, "max_months": 12}],
    "severity_rules": [{"severity": "minor", "field": "category", "only_of": ["警告"], "basis": "仅警告"}],
    "default_severity": "general"},
  "identity": ["decision_no", "source_dept_uscc"],
  "decision_no": "decision_no", "decision_date": "decision_date",
  "source_dept": {"name": "source_dept", "uscc": "source_dept_uscc"},
  "fields": [
    {"key": "subject_name", "code": "T_MC", "name": "名称", "type": "text", "required": "always", "max_len": 10},
    {"key": "subject_class", "code": "T_LB", "name": "类别", "type": "enum", "required": "always", "enum": ["法人及非法人组织", "自然人"]},
    {"key": "decision_no", "code": "T_WSH", "name": "文号", "type": "text", "required": "always", "max_len": 10},
    {"key": "decision_date", "code": "T_RQ", "name": "日期", "type": "date", "required": "always"},
    {"key": "category", "code": "T_CFLB", "name": "处罚类别", "type": "multi_enum", "required": "always", "enum": ["警告", "罚款"]},
    {"key": "source_dept", "code": "T_LY", "name": "来源", "type": "text", "required": "always", "max_len": 10},
    {"key": "source_dept_uscc", "code": "T_LYDM", "name": "来源代码", "type": "uscc", "required": "always"}
  ]
}`

func testKind(t testing.TB, disclosure string) *catalog.Kind {
	t.Helper()
	k, err := catalog.LoadKind(strings.NewReader(strings.Replace(testKindJSON, "%s", disclosure, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestCheck(t *testing.T) {
	type want struct {
		repairable, neverEarly, open bool
		from                         string
		reason                       []string // substrings of Reason
	}
	cf := kind(t, "cf")
	general := penalty("罚款", "5") // MinUntil 2026-07-15, Until 2027-04-15
	serious := penalty("罚款", "100")
	minor := penalty("警告", "")
	in := func(k *catalog.Kind, f map[string]string) publicity.Input {
		return publicity.Input{Kind: k, Fields: f, Received: day("2026-04-15")}
	}
	for _, c := range []struct {
		name string
		in   publicity.Input
		on   string
		want want
	}{
		// 一般: minimum 3 months, 2026-04-15..2026-07-15.
		{"general, last day of the minimum", in(cf, general), "2026-07-15",
			want{repairable: true, from: "2026-07-16", reason: []string{"一般失信信息最短公示3个月，至2026-07-15届满", "自2026-07-16起可以申请信用修复", "国家发展改革委令第36号"}}},
		{"general, first day after the minimum", in(cf, general), "2026-07-16",
			want{repairable: true, open: true, from: "2026-07-16", reason: []string{"一般失信信息最短公示3个月，已于2026-07-15届满，可以申请信用修复", "国家发展改革委令第36号"}}},
		{"general, first day of publicity", in(cf, general), "2026-04-15",
			want{repairable: true, from: "2026-07-16", reason: []string{"自2026-07-16起"}}},
		{"general, last day of publicity", in(cf, general), "2027-04-15",
			want{repairable: true, open: true, from: "2026-07-16"}},
		{"general, under objection", func() publicity.Input { i := in(cf, general); i.Objection = true; return i }(), "2026-07-16",
			want{repairable: true, open: true, from: "2026-07-16"}},
		// 严重: minimum 1 year.
		{"serious, last day of the minimum", in(cf, serious), "2027-04-15",
			want{repairable: true, from: "2027-04-16", reason: []string{"严重失信信息最短公示1年，至2027-04-15届满", "自2027-04-16起可以申请信用修复"}}},
		{"serious, first day after the minimum", in(cf, serious), "2027-04-16",
			want{repairable: true, open: true, from: "2027-04-16", reason: []string{"严重失信信息最短公示1年"}}},
		{"serious by domain, before the minimum", in(cf, penalty("罚款", "2", "authority=西安市应急管理局")), "2026-12-31",
			want{repairable: true, from: "2027-04-16"}},
		// 轻微: no minimum.
		{"minor, decision day", in(cf, minor), "2026-04-15",
			want{repairable: true, open: true, from: "2026-04-15", reason: []string{"轻微失信信息没有最短公示期限", "履行法定义务", "证明", "国办发〔2025〕22号"}}},
		{"minor, last day of publicity", in(cf, minor), "2026-07-15",
			want{repairable: true, open: true, from: "2026-04-15"}},
		{"minor, after publicity", in(cf, minor), "2026-07-16",
			want{repairable: true, reason: []string{"2026-07-15届满", "没有需要修复的信息"}}},
		// Never early (总局令第45号).
		{"never early, after the minimum", in(cf, penalty("罚款；吊销许可证件", "1")), "2027-05-01",
			want{repairable: true, neverEarly: true, reason: []string{"处罚类别含“吊销许可证件”", "不得提前停止公示", "市场监督管理总局令第45号", "公示期至2029-04-15", "自动停止"}}},
		{"never early, old vocabulary", in(cf, penalty("吊销执照；责令停产停业", "")), "2026-05-01",
			want{repairable: true, neverEarly: true, reason: []string{"“吊销执照”“责令停产停业”", "2029-04-15"}}},
		{"never early, department's end date", in(cf, penalty("限制从业", "", "publicity_end=2028-01-31")), "2027-05-01",
			want{repairable: true, neverEarly: true, reason: []string{"公示期至2028-01-31"}}},
		{"never early but revoked", func() publicity.Input {
			i := in(cf, penalty("吊销许可证件", ""))
			i.Revoked = true
			return i
		}(), "2027-05-01",
			want{repairable: true, neverEarly: true, reason: []string{"已被撤销"}}},
		// Nothing to repair.
		{"revoked", func() publicity.Input { i := in(cf, general); i.Revoked = true; return i }(), "2026-08-01",
			want{repairable: true, reason: []string{"已被撤销", "没有需要修复的信息"}}},
		{"expired", in(cf, general), "2027-04-16",
			want{repairable: true, reason: []string{"公示期已于2027-04-15届满", "没有需要修复的信息"}}},
		{"repaired", func() publicity.Input { i := in(cf, general); i.Repaired = day("2026-08-01"); return i }(), "2026-08-01",
			want{repairable: true, reason: []string{"已完成信用修复", "无需再次申请", "2026-08-01"}}},
		{"not yet received", func() publicity.Input { i := in(cf, general); i.Received = day("2026-04-20"); return i }(), "2026-04-18",
			want{repairable: true, reason: []string{"尚未公示", "2026-04-20"}}},
		{"minor not published", in(testKind(t, "public"), map[string]string{"category": "警告", "decision_date": "2026-04-15"}), "2026-05-01",
			want{repairable: true, reason: []string{"不予公示", "没有需要修复的信息"}}},
		{"not public", in(testKind(t, "shared"), map[string]string{"category": "罚款", "decision_date": "2026-04-15"}), "2026-08-01",
			want{repairable: true, reason: []string{"不向社会公示", "政务共享"}}},
		// A department's 公示截止期 before repair would open.
		{"department end before the minimum", in(cf, penalty("罚款", "5", "publicity_end=2026-06-30")), "2026-06-01",
			want{repairable: true, reason: []string{"报送单位确定的公示截止期为2026-06-30", "公示于2026-06-30届满后自动停止", "无需申请信用修复"}}},
		{"department end on the last day of the minimum", in(cf, penalty("罚款", "5", "publicity_end=2026-07-15")), "2026-07-15",
			want{repairable: true, reason: []string{"公示于2026-07-15届满后自动停止"}}},
		{"department end on the first day repair opens", in(cf, penalty("罚款", "5", "publicity_end=2026-07-16")), "2026-07-16",
			want{repairable: true, open: true, from: "2026-07-16"}},
		// Kinds repair does not apply to.
		{"licence", in(kind(t, "xk"), map[string]string{"decision_date": "2026-04-15"}), "2026-08-01",
			want{reason: []string{"行政许可信息属于基础信息，不是失信信息"}}},
		{"list entry", in(kind(t, "sx"), map[string]string{"decision_date": "2026-04-15", "list_type": "经营异常名录"}), "2026-08-01",
			want{reason: []string{"失信名单信息没有按严重程度确定的公示期限", "认定单位", "移出"}}},
		{"honour list", in(kind(t, "hm"), map[string]string{"decision_date": "2026-04-15"}), "2026-08-01",
			want{reason: []string{"良好信息"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			on := day(c.on)
			d := publicity.Decide(c.in, on)
			e := Check(c.in.Kind, c.in.Fields, d, on)
			if e.Repairable != c.want.repairable || e.NeverEarly != c.want.neverEarly || e.Open != c.want.open || !e.From.Equal(day(c.want.from)) {
				t.Errorf("got repairable %v never %v open %v from %q, want %v %v %v %q (decision %s: %s)\nreason: %s",
					e.Repairable, e.NeverEarly, e.Open, e.From, c.want.repairable, c.want.neverEarly, c.want.open, c.want.from, d, d.Reason, e.Reason)
			}
			if e.Reason == "" {
				t.Error("no reason")
			}
			for _, w := range c.want.reason {
				if !strings.Contains(e.Reason, w) {
					t.Errorf("reason %q\nlacks %q", e.Reason, w)
				}
			}
			checkInvariants(t, e, on)
		})
	}
}

func checkInvariants(t *testing.T, e Eligibility, on calendar.Date) {
	t.Helper()
	if !e.Repairable && (e.NeverEarly || e.Open || !e.From.IsZero()) {
		t.Errorf("not repairable but %+v", e)
	}
	if e.NeverEarly && (e.Open || !e.From.IsZero()) {
		t.Errorf("never early but %+v", e)
	}
	if e.Open && (e.From.IsZero() || on.Before(e.From)) {
		t.Errorf("open but %+v on %s", e, on)
	}
}

// TestCheckEveryDay walks every day around the publicity of a 一般 and a
// 严重 penalty: an application is open exactly from the day after the
// minimum to the last day of publicity.
func TestCheckEveryDay(t *testing.T) {
	cf := kind(t, "cf")
	for _, c := range []struct {
		fields      map[string]string
		from, until string
	}{
		{penalty("罚款", "5"), "2026-07-16", "2027-04-15"},
		{penalty("罚款", "100"), "2027-04-16", "2029-04-15"},
		{penalty("警告", ""), "2026-04-15", "2026-07-15"},
		{penalty("罚款", "5", "publicity_end=2026-12-31"), "2026-07-16", "2026-12-31"},
		// Decided on 2026-01-31: the minimum ends on the last day of April.
		{penalty("罚款", "5", "decision_date=2026-01-31"), "2026-05-01", "2027-01-31"},
	} {
		in := publicity.Input{Kind: cf, Fields: c.fields}
		from, until := day(c.from), day(c.until)
		for on := day(c.fields["decision_date"]).AddDays(-1); !on.After(until.AddDays(1)); on = on.AddDays(1) {
			e := Check(cf, c.fields, publicity.Decide(in, on), on)
			want := !on.Before(from) && !on.After(until)
			if e.Open != want {
				t.Fatalf("%v on %s: open %v, want %v: %s", c.fields, on, e.Open, want, e.Reason)
			}
			checkInvariants(t, e, on)
		}
	}
}
