package lists

import (
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
)

func TestDefault(t *testing.T) {
	c, err := Default(catalog.Default())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Types) < 8 || len(c.Measures) < 10 || len(c.Scenarios) != 9 {
		t.Fatalf("%d types, %d measures, %d scenarios", len(c.Types), len(c.Measures), len(c.Scenarios))
	}
	if got := strings.Join(c.Kinds(), ","); got != "sx,hm" {
		t.Errorf("kinds %s", got)
	}
	ty, ok := c.TypeOf("sx", "失信被执行人")
	if !ok || ty.Code != "court_debtor" || ty.Class != Serious {
		t.Fatalf("TypeOf = %+v %v", ty, ok)
	}
	got := c.MeasuresFor("procurement", []string{"court_debtor", "tax_a"})
	var codes []string
	for _, a := range got {
		codes = append(codes, a.Code+":"+strings.Join(a.By, "+"))
	}
	if strings.Join(codes, " ") != "M01:court_debtor R04:tax_a" {
		t.Errorf("procurement measures %v", codes)
	}
	if len(c.MeasuresFor("hiring", []string{"abnormal"})) != 0 {
		t.Error("经营异常名录 restricts hiring")
	}
}

func TestLoadRefuses(t *testing.T) {
	cat := catalog.Default()
	base := string(listsJSON)
	cases := map[string][2]string{
		"unknown scenario":     {`"scenarios": ["procurement"], "lists": ["samr_serious"`, `"scenarios": ["lottery"], "lists": ["samr_serious"`},
		"reward from bad list": {`"scenarios": ["approval"], "lists": ["tax_a", "customs_aeo"]`, `"scenarios": ["approval"], "lists": ["abnormal"]`},
		"name not in the kind": {`"name": "重点关注名单"`, `"name": "关注名单"`},
		"unknown kind":         {`"kind": "hm", "name": "海关高级认证企业"`, `"kind": "zz", "name": "海关高级认证企业"`},
		"unknown field":        {`"note":`, `"notes":`},
	}
	for name, c := range cases {
		if !strings.Contains(base, c[0]) {
			t.Fatalf("%s: fixture text not found", name)
		}
		if _, err := Load([]byte(strings.Replace(base, c[0], c[1], 1)), cat); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestEntryOn(t *testing.T) {
	d := func(s string) calendar.Date { v, _ := calendar.ParseDate(s); return v }
	e := Entry{DecisionDate: d("2025-03-01"), ValidTo: d("2026-02-28")}
	for _, c := range []struct {
		day  string
		want Status
	}{
		{"2025-02-28", NotYet}, {"2025-03-01", InForce}, {"2026-02-28", InForce}, {"2026-03-01", Expired},
	} {
		if got, why := e.On(d(c.day)); got != c.want || why == "" {
			t.Errorf("%s: %s (%s), want %s", c.day, got, why, c.want)
		}
	}
	e.ExitDate, e.ExitReason = d("2025-10-10"), "履行完毕"
	if got, why := e.On(d("2025-10-09")); got != InForce {
		t.Errorf("the day before the exit: %s %s", got, why)
	}
	if got, why := e.On(d("2025-10-10")); got != Exited || !strings.Contains(why, "履行完毕") {
		t.Errorf("the exit day: %s %s", got, why)
	}
	open := Entry{DecisionDate: d("2020-01-01")}
	if got, _ := open.On(d("2030-01-01")); got != InForce {
		t.Errorf("an entry without end: %s", got)
	}
	open.Revoked = true
	if got, _ := open.On(d("2021-01-01")); got != Canceled {
		t.Errorf("a revoked entry: %s", got)
	}
}
