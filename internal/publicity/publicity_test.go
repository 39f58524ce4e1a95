package publicity

import (
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
)

func kind(t testing.TB, code string) *catalog.Kind {
	t.Helper()
	k, ok := catalog.Default().Kind(code)
	if !ok {
		t.Fatalf("no kind %s", code)
	}
	return k
}

func date(t testing.TB, s string) calendar.Date {
	t.Helper()
	if s == "" {
		return calendar.Date{}
	}
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// penalty returns the fields of a 行政处罚 decided on 2026-01-15 with the
// given category and amounts, changed by key=value pairs.
func penalty(category, fine string, kv ...string) map[string]string {
	f := map[string]string{
		"penalty_category": category, "fine_amount": fine, "decision_date": "2026-01-15",
		"authority": "西安市市场监督管理局", "violation_type": "虚假宣传",
	}
	for _, p := range kv {
		k, v, _ := strings.Cut(p, "=")
		f[k] = v
	}
	return f
}

func TestClassify(t *testing.T) {
	cf := kind(t, "cf")
	for _, c := range []struct {
		name   string
		fields map[string]string
		want   string
	}{
		{"warning only", penalty("警告", ""), "minor"},
		{"criticism and warning", penalty("警告；通报批评", ""), "minor"},
		{"small fine", penalty("罚款", "0.3"), "minor"},
		{"fine just above simple procedure", penalty("罚款", "0.31"), "general"},
		{"fine and warning", penalty("警告；罚款", "0.2"), "general"},
		{"ordinary fine", penalty("罚款", "5"), "general"},
		{"confiscation", penalty("没收违法所得", ""), "general"},
		{"huge fine", penalty("罚款", "100"), "serious"},
		{"fine below huge", penalty("罚款", "99.999999"), "general"},
		{"fine plus confiscation reach huge", penalty("罚款；没收违法所得", "60", "confiscation_amount=40"), "serious"},
		{"revoked licence", penalty("罚款；吊销许可证件", "1"), "serious"},
		{"old vocabulary", penalty("吊销执照", ""), "serious"},
		{"production stopped", penalty("责令停产停业", ""), "serious"},
		{"safety domain", penalty("罚款", "2", "authority=西安市应急管理局"), "serious"},
		{"fire domain by violation type", penalty("罚款", "2", "violation_type=消防设施未保持完好有效"), "serious"},
		{"warning in safety domain stays minor", penalty("警告", "", "authority=西安市应急管理局"), "minor"},
		{"no category", penalty("", ""), "general"},
	} {
		got, basis := Classify(cf, c.fields)
		if got != c.want {
			t.Errorf("%s: severity %q (%s), want %q", c.name, got, basis, c.want)
		}
		if basis == "" {
			t.Errorf("%s: no basis", c.name)
		}
	}
}

func TestDecide(t *testing.T) {
	cf, xk := kind(t, "cf"), kind(t, "xk")
	recv := "2026-01-20"
	for _, c := range []struct {
		name     string
		kind     *catalog.Kind
		fields   map[string]string
		received string
		revoked  bool
		repaired string
		object   bool
		on       string
		want     Status
		until    string
	}{
		// 一般: 2026-01-15 + 1 year; the last day in is 2027-01-15.
		{"general, first day", cf, penalty("罚款", "5"), recv, false, "", false, "2026-01-20", Shown, "2027-01-15"},
		{"general, last day in", cf, penalty("罚款", "5"), recv, false, "", false, "2027-01-15", Shown, "2027-01-15"},
		{"general, first day out", cf, penalty("罚款", "5"), recv, false, "", false, "2027-01-16", Expired, "2027-01-15"},
		{"before receipt", cf, penalty("罚款", "5"), recv, false, "", false, "2026-01-19", NotYet, "2027-01-15"},
		{"received late, still counted from decision", cf, penalty("罚款", "5"), "2026-12-01", false, "", false, "2027-01-16", Expired, "2027-01-15"},
		// 轻微: 3 months.
		{"minor, last day in", cf, penalty("警告", ""), recv, false, "", false, "2026-04-15", Shown, "2026-04-15"},
		{"minor, first day out", cf, penalty("警告", ""), recv, false, "", false, "2026-04-16", Expired, "2026-04-15"},
		// 严重: 3 years.
		{"serious, last day in", cf, penalty("吊销许可证件", ""), recv, false, "", false, "2029-01-15", Shown, "2029-01-15"},
		{"serious, first day out", cf, penalty("吊销许可证件", ""), recv, false, "", false, "2029-01-16", Expired, "2029-01-15"},
		// Month ends: 2025-11-30 + 3 months ends on 2026-02-28.
		{"minor from month end, last day", cf, penalty("警告", "", "decision_date=2025-11-30"), "2025-12-01", false, "", false, "2026-02-28", Shown, "2026-02-28"},
		{"minor from month end, out", cf, penalty("警告", "", "decision_date=2025-11-30"), "2025-12-01", false, "", false, "2026-03-01", Expired, "2026-02-28"},
		// A department's earlier 公示截止期 wins; a later one does not.
		{"dept end earlier, last day", cf, penalty("罚款", "5", "publicity_end=2026-06-30"), recv, false, "", false, "2026-06-30", Shown, "2026-06-30"},
		{"dept end earlier, out", cf, penalty("罚款", "5", "publicity_end=2026-06-30"), recv, false, "", false, "2026-07-01", Expired, "2026-06-30"},
		{"dept end later is capped", cf, penalty("罚款", "5", "publicity_end=2028-01-01"), recv, false, "", false, "2027-01-16", Expired, "2027-01-15"},
		{"dept end 长期 is capped", cf, penalty("罚款", "5", "publicity_end=2099-12-31"), recv, false, "", false, "2027-01-16", Expired, "2027-01-15"},
		// Revocation, repair, objection.
		{"revoked", cf, penalty("罚款", "5"), recv, true, "", false, "2026-03-01", Revoked, "2027-01-15"},
		{"repaired, day before", cf, penalty("罚款", "5"), recv, false, "2026-05-01", false, "2026-04-30", Shown, "2027-01-15"},
		{"repaired, on the day", cf, penalty("罚款", "5"), recv, false, "2026-05-01", false, "2026-05-01", Repaired, "2027-01-15"},
		{"under objection is shown, marked", cf, penalty("罚款", "5"), recv, false, "", true, "2026-03-01", UnderObjection, "2027-01-15"},
		{"objection after expiry changes nothing", cf, penalty("罚款", "5"), recv, false, "", true, "2027-02-01", Expired, "2027-01-15"},
		// Licences have no window.
		{"licence years later", xk, map[string]string{"decision_date": "2020-03-01"}, "2020-03-05", false, "", false, "2026-11-22", Shown, ""},
		{"licence before receipt", xk, map[string]string{"decision_date": "2020-03-01"}, "2020-03-05", false, "", false, "2020-03-04", NotYet, ""},
	} {
		d := Decide(Input{Kind: c.kind, Fields: c.fields, Received: date(t, c.received), Revoked: c.revoked,
			Repaired: date(t, c.repaired), Objection: c.object}, date(t, c.on))
		if d.Status != c.want || d.Until.String() != c.until {
			t.Errorf("%s: %s, want %s until %s (%s)", c.name, d, c.want, c.until, d.Reason)
		}
		if d.Public != (c.want == Shown || c.want == UnderObjection) {
			t.Errorf("%s: public %v with status %s", c.name, d.Public, d.Status)
		}
		if d.Reason == "" || d.Status.Label() == string(d.Status) {
			t.Errorf("%s: reason %q, label %q", c.name, d.Reason, d.Status.Label())
		}
	}
}

func TestMinUntilAndDeptFlag(t *testing.T) {
	cf := kind(t, "cf")
	d := Decide(Input{Kind: cf, Fields: penalty("罚款", "5", "publicity_end=2026-06-30"), Received: date(t, "2026-01-20")}, date(t, "2026-02-01"))
	if d.MinUntil.String() != "2026-04-15" || !d.UntilByDept || !strings.Contains(d.Reason, "公示截止期") {
		t.Errorf("general: %+v", d)
	}
	d = Decide(Input{Kind: cf, Fields: penalty("吊销许可证件", ""), Received: date(t, "2026-01-20")}, date(t, "2026-02-01"))
	if d.MinUntil.String() != "2027-01-15" || d.UntilByDept || d.SeverityLabel() != "严重" {
		t.Errorf("serious: %+v", d)
	}
}

// A kind whose records are not public, and a class that is never
// published, come from the catalogue data.
func TestNotPublic(t *testing.T) {
	cf := *kind(t, "cf")
	shared := cf
	shared.Disclosure = catalog.DisclosureShared
	d := Decide(Input{Kind: &shared, Fields: penalty("罚款", "5"), Received: date(t, "2026-01-20")}, date(t, "2026-02-01"))
	if d.Public || d.Status != NotPublic {
		t.Errorf("shared kind: %+v", d)
	}
	hidden := cf
	hidden.Publicity.Windows = []catalog.Window{{Severity: "minor"}, {Severity: "general", MinMonths: 3, MaxMonths: 12}, {Severity: "serious", MinMonths: 12, MaxMonths: 36}}
	d = Decide(Input{Kind: &hidden, Fields: penalty("警告", ""), Received: date(t, "2026-01-20")}, date(t, "2026-02-01"))
	if d.Public || d.Status != NotPublished {
		t.Errorf("minor not published: %+v", d)
	}
}
