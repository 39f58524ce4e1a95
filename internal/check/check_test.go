package check

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/store"
)

func rec(id int64, kind string, fields map[string]string) store.Record {
	b, _ := json.Marshal(fields)
	return store.Record{ID: id, Kind: kind, Fields: b, State: store.StateActive, ReceivedAt: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)}
}

func checker(t *testing.T) *Checker {
	cat := catalog.Default()
	l, err := lists.Default(cat)
	if err != nil {
		t.Fatal(err)
	}
	return &Checker{Catalog: cat, Lists: l}
}

func day(s string) calendar.Date { d, _ := calendar.ParseDate(s); return d }

func TestEvaluate(t *testing.T) {
	c := checker(t)
	debtor := rec(1, "sx", map[string]string{"list_type": "失信被执行人", "decision_no": "（2025）陕0113执123号", "decision_date": "2025-03-01",
		"valid_to": "2027-02-28", "authority": "西安市雁塔区人民法院", "facts": "有履行能力而拒不履行生效法律文书确定的义务"})
	taxA := rec(2, "hm", map[string]string{"list_type": "纳税信用A级纳税人", "decision_no": "陕税A2025-17", "decision_date": "2025-04-01",
		"valid_to": "2026-03-31", "authority": "国家税务总局陕西省税务局", "facts": "2024年度纳税信用评价A级"})
	penalty := rec(3, "cf", map[string]string{"decision_date": "2025-06-01", "penalty_category": "罚款", "fine_amount": "2", "decision_no": "x"})

	r, err := c.Evaluate("procurement", day("2025-12-01"), []store.Record{debtor, taxA, penalty})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != Punish || len(r.Lists) != 2 || r.Bad["general"] != 1 {
		t.Fatalf("%+v", r)
	}
	var codes []string
	for _, m := range r.Measures {
		codes = append(codes, m.Code)
	}
	if strings.Join(codes, ",") != "M01,R04" || !strings.Contains(r.Measures[0].Basis, "政府采购法") {
		t.Errorf("measures %v", r.Measures)
	}
	if !strings.Contains(strings.Join(r.Reasons, "\n"), "依法限制参加政府采购活动") {
		t.Errorf("reasons %v", r.Reasons)
	}
	// The same subject in an approval: the A-level incentive, and the
	// debtor's list has a punishment there too (M05).
	r, _ = c.Evaluate("approval", day("2025-12-01"), []store.Record{debtor, taxA})
	if r.Verdict != Punish {
		t.Errorf("approval: %s", r.Verdict)
	}
	// After the exit: no list, no measure.
	exited := rec(1, "sx", map[string]string{"list_type": "失信被执行人", "decision_no": "（2025）陕0113执123号", "decision_date": "2025-03-01",
		"valid_to": "2027-02-28", "exit_date": "2025-11-20", "exit_reason": "履行完毕", "authority": "西安市雁塔区人民法院", "facts": "…"})
	r, _ = c.Evaluate("procurement", day("2025-12-01"), []store.Record{exited, taxA})
	if r.Verdict != Reward || len(r.Lists) != 1 || r.Lists[0].Type != "tax_a" {
		t.Errorf("after exit: %+v", r)
	}
	// Expired A-level rating and nothing else: no restriction.
	r, _ = c.Evaluate("honour", day("2026-04-01"), []store.Record{taxA})
	if r.Verdict != None || len(r.Lists) != 0 || r.Reasons[0] != "未列入任何名单" {
		t.Errorf("expired: %+v", r)
	}
	// A revoked entry does not count.
	debtor.State = store.StateRevoked
	r, _ = c.Evaluate("procurement", day("2025-12-01"), []store.Record{debtor})
	if r.Verdict != None {
		t.Errorf("revoked entry: %+v", r)
	}
	if _, err := c.Evaluate("lottery", day("2025-12-01"), nil); err == nil {
		t.Error("unknown scenario accepted")
	}
}

// TestDecodeBeforeBands: a check archived before the possible band reads
// back with its candidates in the match band.
func TestDecodeBeforeBands(t *testing.T) {
	old := `{"items":[{"index":1,"query":{"name":"西安老赖商贸有限公司"},"match":"name","candidates":[{"subject":{"id":7,"name":"西安老赖商贸有限公司","class":"org"},"score":1,"features":[],"result":{"verdict":"有惩戒措施"}}]}]}`
	res, err := Decode(store.CheckRecord{ID: 3, Result: []byte(old)})
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != 3 || len(res.Items) != 1 || res.Items[0].Candidates[0].Band != BandMatch || res.Items[0].Possible != nil {
		t.Errorf("decoded %+v", res)
	}
}
