package integrity

import (
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
)

func testModel(t testing.TB) *Model {
	t.Helper()
	m, err := Builtin(catalog.Default())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const (
	bodyUSCC  = "11610000MB0000127Y" // not checked by Score
	otherUSCC = "11610000MB0001011Q"
)

var testBody = Body{ID: 1, USCC: bodyUSCC, Name: "陕西省某某厅", Region: "610000"}

const (
	itemHonour     = "获得荣誉表彰奖励或获评试点示范和创新事例"
	itemPromise    = "利民便企措施、招商引资政策等承诺事项落实情况"
	itemArrears    = "拖欠民营企业账款、农民工工资"
	itemRevoked    = "政策文件或行政决定被有权机关责令撤销"
	itemDebtor     = "被列入失信被执行人"
	itemCriticised = "工作不力被通报批评、责令整改或问责"
)

func d(s string) calendar.Date { return calendar.MustParseDate(s) }

// ev is a bad event reported by another department, received the day it
// happened.
func ev(id int64, item, nature, date string) Event {
	return Event{RecordID: id, Kind: EventKind, Item: item, Nature: nature, Date: d(date), Received: d(date), Reporter: otherUSCC}
}

func with(e Event, edit func(*Event)) Event { edit(&e); return e }

// contribution finds the line of an event (the bonus line when bonus).
func contribution(r Result, id int64, bonus bool) (Contribution, bool) {
	for _, c := range r.Events {
		if c.RecordID == id && c.Bonus == bonus {
			return c, true
		}
	}
	return Contribution{}, false
}

func dim(r Result, code string) DimensionScore {
	for _, x := range r.Dimensions {
		if x.Code == code {
			return x
		}
	}
	return DimensionScore{}
}

// TestScoreRules covers each rule of 1072号文 on data built for it,
// scoring November 2026 (window 2025-12-01 … 2026-11-30).
func TestScoreRules(t *testing.T) {
	m := testModel(t)
	nov := Month{2026, 11}
	base := m.Score(testBody, nil, nov)
	if base.Total != 8800 || len(base.Events) != 0 {
		t.Fatalf("a body without information: %s points, %d events; want the bases' 88", base.Total, len(base.Events))
	}
	for _, tc := range []struct {
		name    string
		events  []Event
		id      int64
		bonus   bool
		counted bool
		points  Points // of the event's line
		rule    string // in its explanation
		total   Points
	}{
		{"a bad event this month", []Event{ev(1, itemRevoked, Bad, "2026-11-03")}, 1, false, true, -300, "不良信息扣分", 8500},
		{"a bad event 12 months back still counts", []Event{ev(1, itemRevoked, Bad, "2025-12-01")}, 1, false, true, -300, "", 8500},
		{"an event 13 months old no longer counts", []Event{ev(1, itemRevoked, Bad, "2025-11-30")}, 0, false, false, 0, "", 8800},
		{"an event after the month is not yet known to it", []Event{ev(1, itemRevoked, Bad, "2026-12-01")}, 0, false, false, 0, "", 8800},
		{"a provincial honour 18 months old still counts", []Event{with(ev(1, itemHonour, Good, "2025-05-20"), func(e *Event) { e.HonourLevel = "省部级" })},
			1, false, true, 200, "评价有效期延长一年", 9000},
		{"a national honour 24 months back counts", []Event{with(ev(1, itemHonour, Good, "2024-12-01"), func(e *Event) { e.HonourLevel = "国家级" })},
			1, false, true, 300, "", 9100},
		{"a provincial honour 25 months old does not", []Event{with(ev(1, itemHonour, Good, "2024-11-15"), func(e *Event) { e.HonourLevel = "省部级" })},
			0, false, false, 0, "", 8800},
		{"a city honour 18 months old does not", []Event{with(ev(1, itemHonour, Good, "2025-05-20"), func(e *Event) { e.HonourLevel = "市级" })},
			0, false, false, 0, "", 8800},
		{"a city honour within 12 months counts", []Event{with(ev(1, itemHonour, Good, "2026-05-20"), func(e *Event) { e.HonourLevel = "市级" })},
			1, false, true, 100, "市级表彰奖励加分", 8900},
		{"a broken promise counts until rectified", []Event{with(ev(1, itemPromise, Bad, "2026-03-01"), func(e *Event) { e.Rectified = d("2026-12-05") })},
			1, false, true, -300, "", 8500},
		{"a broken promise stops counting from its rectification", []Event{with(ev(1, itemPromise, Bad, "2026-03-01"), func(e *Event) { e.Rectified = d("2026-11-30") })},
			1, false, false, 0, "已于2026-11-30整改或修复", 8800},
		{"arrears rectified stop counting", []Event{with(ev(1, itemArrears, Bad, "2026-03-01"), func(e *Event) { e.Rectified = d("2026-06-01") })},
			1, false, false, 0, "不再作为评价依据", 8800},
		{"a court debtor removed from the list stops counting", []Event{with(ev(1, itemDebtor, Bad, "2026-03-01"), func(e *Event) { e.Rectified = d("2026-06-01") })},
			1, false, false, 0, "整改或修复", 8800},
		{"rectification does not lift other bad information", []Event{with(ev(1, itemCriticised, Bad, "2026-03-01"), func(e *Event) { e.Rectified = d("2026-06-01") })},
			1, false, true, -200, "不良信息扣分", 8600},
		{"promise information reported by the body on time earns the bonus", []Event{with(ev(1, itemPromise, Good, "2026-09-10"), func(e *Event) {
			e.Reporter, e.Received = bodyUSCC, d("2026-10-31")
		})}, 1, true, true, 50, "及时报送", 8950},
		{"reported late, no bonus", []Event{with(ev(1, itemPromise, Good, "2026-09-10"), func(e *Event) {
			e.Reporter, e.Received = bodyUSCC, d("2026-11-01")
		})}, 1, true, false, 0, "才收到（应于2026-10-31前）", 8900},
		{"reported by another department, no bonus line", []Event{with(ev(1, itemPromise, Good, "2026-09-10"), func(e *Event) { e.Received = d("2026-09-11") })},
			0, true, false, 0, "", 8900},
		{"a bad promise event self-reported on time: the deduction and the bonus", []Event{with(ev(1, itemArrears, Bad, "2026-10-10"), func(e *Event) {
			e.Reporter, e.Received = bodyUSCC, d("2026-10-12")
		})}, 1, true, true, 50, "", 8450},
		{"bad points stop at the item's cap", []Event{ev(1, itemRevoked, Bad, "2026-01-01"), ev(2, itemRevoked, Bad, "2026-02-01"),
			ev(3, itemRevoked, Bad, "2026-03-01"), ev(4, itemRevoked, Bad, "2026-04-01")}, 4, false, true, 0, "已达上限9分", 7900},
		{"a dimension cannot fall below zero", []Event{ev(1, itemDebtor, Bad, "2026-01-01"), ev(2, itemDebtor, Bad, "2026-02-01"),
			ev(3, "在政务或经济活动中弄虚作假", Bad, "2026-03-01"), ev(4, "在政务或经济活动中弄虚作假", Bad, "2026-04-01"), ev(5, "在政务或经济活动中弄虚作假", Bad, "2026-05-01")},
			5, false, true, -500, "", 6100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := m.Score(testBody, tc.events, nov)
			if r.Total != tc.total {
				t.Errorf("total %s, want %s; events %+v", r.Total, tc.total, r.Events)
			}
			c, ok := contribution(r, tc.id, tc.bonus)
			if tc.id == 0 {
				if len(r.Events) != 0 && !tc.bonus {
					t.Errorf("listed: %+v", r.Events)
				}
				if _, ok := contribution(r, 1, true); tc.bonus && ok {
					t.Errorf("a bonus line for another department's report: %+v", r.Events)
				}
				return
			}
			if !ok {
				t.Fatalf("event %d not explained: %+v", tc.id, r.Events)
			}
			if c.Counted != tc.counted || c.Points != tc.points || !strings.Contains(c.Rule, tc.rule) {
				t.Errorf("line %+v; want counted %v, points %s, rule …%s…", c, tc.counted, tc.points, tc.rule)
			}
			if c.Item == "" || c.Date == "" || c.Dimension == "" {
				t.Errorf("the line does not name its event: %+v", c)
			}
		})
	}
}

// TestScoreBonusCapAndDimensions: the timely bonus stops at its cap and
// goes to the dimension of its item; a dimension stops at its full marks.
func TestScoreBonusCapAndDimensions(t *testing.T) {
	m := testModel(t)
	var events []Event
	for i := range 6 {
		events = append(events, with(ev(int64(i+1), itemPromise, Good, "2026-0"+string(rune('1'+i))+"-10"), func(e *Event) {
			e.Reporter, e.Received = bodyUSCC, e.Date
		}))
	}
	r := m.Score(testBody, events, Month{2026, 11})
	p := dim(r, "promise")
	if p.Bonus != 200 || p.Good != 300 || p.Score != 3000 || p.Base+p.Good+p.Bonus != 3200 {
		t.Errorf("promise dimension %+v: want bonus 2 (cap), good 3 (cap), score at full 30", p)
	}
	if r.Total != 2200+2700+3000+1200 {
		t.Errorf("total %s", r.Total)
	}
	if c, _ := contribution(r, 6, true); c.Points != 0 || !strings.Contains(c.Rule, "加分已达上限") {
		t.Errorf("sixth bonus %+v", c)
	}
}

// TestScoreDeterministic: the order events arrive in changes nothing.
func TestScoreDeterministic(t *testing.T) {
	m := testModel(t)
	events := []Event{ev(3, itemRevoked, Bad, "2026-03-01"), ev(1, itemRevoked, Bad, "2026-03-01"), ev(2, itemRevoked, Bad, "2026-01-01"),
		ev(4, itemRevoked, Bad, "2026-05-01")}
	a := m.Score(testBody, events, Month{2026, 11})
	b := m.Score(testBody, []Event{events[3], events[1], events[0], events[2]}, Month{2026, 11})
	if len(a.Events) != 4 || a.Events[3].RecordID != 4 || a.Events[3].Points != 0 {
		t.Fatalf("%+v", a.Events)
	}
	for i := range a.Events {
		if a.Events[i] != b.Events[i] {
			t.Fatalf("line %d: %+v vs %+v", i, a.Events[i], b.Events[i])
		}
	}
}

func TestMonths(t *testing.T) {
	m := Month{2026, 1}
	if m.Add(-1).String() != "2025-12" || m.Last().String() != "2026-01-31" || m.Add(1).Last().String() != "2026-02-28" {
		t.Errorf("%s %s %s", m.Add(-1), m.Last(), m.Add(1).Last())
	}
	if got, err := ParseMonth("2026-11"); err != nil || got != (Month{2026, 11}) {
		t.Errorf("%v %v", got, err)
	}
	for _, bad := range []string{"2026-13", "2026-1", "26-11", "2026-11-01", ""} {
		if _, err := ParseMonth(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if m.End().UTC().Format("2006-01-02 15:04") != "2026-01-31 16:00" {
		t.Errorf("end of January 2026 in UTC: %s", m.End().UTC())
	}
}
