package evaluation

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/store"
)

func rec(id int64, kind, decided string, fields map[string]string) store.Record {
	fields["decision_date"] = decided
	if fields["decision_no"] == "" {
		fields["decision_no"] = "文书" + string(rune('A'+id))
	}
	b, _ := json.Marshal(fields)
	return store.Record{ID: id, Kind: kind, DecisionNo: fields["decision_no"], DecisionDate: decided, Fields: b, State: store.StateActive,
		ReceivedAt: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)}
}

func day(s string) calendar.Date { return calendar.MustParseDate(s) }

func scorer(t *testing.T, model []byte) *Scorer {
	t.Helper()
	cat := catalog.Default()
	ls, err := lists.Default(cat)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(model, cat, ls)
	if err != nil {
		t.Fatal(err)
	}
	return NewScorer(m, cat, ls)
}

func serious(id int64, decided string) store.Record {
	return rec(id, "cf", decided, map[string]string{"penalty_category": "吊销许可证件", "fine_amount": "0"})
}

func general(id int64, decided string) store.Record {
	return rec(id, "cf", decided, map[string]string{"penalty_category": "罚款", "fine_amount": "2"})
}

func debtor(id int64, decided, exit string) store.Record {
	return rec(id, "sx", decided, map[string]string{"list_type": "失信被执行人", "valid_to": "2099-12-31", "exit_date": exit,
		"exit_reason": map[bool]string{true: "履行完毕"}[exit != ""], "authority": "西安市雁塔区人民法院", "facts": "拒不履行"})
}

func licence(id int64, decided, validTo string) store.Record {
	return rec(id, "xk", decided, map[string]string{"licence_category": "普通", "valid_to": validTo})
}

func inspected(id int64, decided, result string) store.Record {
	return rec(id, "sj", decided, map[string]string{"inspection_result": result})
}

var org = store.EvalSubject{ID: 7, Class: credit.ClassOrg, Region: "610113"}

func TestScore(t *testing.T) {
	s := scorer(t, DefaultModelJSON())
	on := day("2026-12-01")
	repaired := serious(4, "2026-06-01")
	repaired.RepairedOn = "2026-11-01"
	revoked := general(5, "2026-10-01")
	revoked.State = store.StateRevoked
	cases := []struct {
		name    string
		recs    []store.Record
		score   int
		grade   string
		contrib string // indicator:points, …
		due     string
	}{
		{"clean", nil, 1000, "A", "", ""},
		{"serious penalty and debtor list", []store.Record{serious(1, "2026-06-01"), debtor(2, "2026-03-01", "")}, 550, "D",
			"penalty_serious:-150 list_serious:-300", "2027-06-01"},
		{"serious penalty alone", []store.Record{serious(1, "2026-06-01")}, 850, "C", "penalty_serious:-150", "2027-06-01"},
		{"older serious penalty counts half", []store.Record{serious(1, "2025-06-01")}, 925, "B", "penalty_serious:-75", "2028-06-01"},
		{"repaired and exited count nothing", []store.Record{repaired, debtor(2, "2026-03-01", "2026-11-20"), revoked}, 1000, "A", "", ""},
		{"general penalty decays", []store.Record{general(1, "2026-04-01")}, 980, "B", "penalty_general:-20", "2027-04-01"},
		{"general penalty past its window", []store.Record{general(1, "2025-10-01")}, 1000, "A", "", ""},
		{"licences capped", []store.Record{licence(1, "2025-01-01", "2030-01-01"), licence(2, "2025-01-01", "2030-01-01"),
			licence(3, "2025-01-01", "2030-01-01"), licence(4, "2025-01-01", "2030-01-01"), licence(5, "2025-01-01", "2030-01-01"),
			licence(6, "2025-01-01", "2026-06-30")}, 1020, "A", "licence:20", "2030-01-02"},
		{"inspection results", []store.Record{inspected(1, "2026-11-01", "不合格"), inspected(2, "2026-10-01", "合格")}, 980, "B",
			"inspection_failed:-30 inspection_passed:10", "2027-11-01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := s.Score(Facts{Subject: org, Records: c.recs}, on)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range r.Contributions {
				got = append(got, x.Indicator+":"+itoa(x.Points))
			}
			if r.Score != c.score || r.Grade != c.grade || strings.Join(got, " ") != c.contrib {
				t.Errorf("score %d grade %s %v, want %d %s %s", r.Score, r.Grade, got, c.score, c.grade, c.contrib)
			}
			due := ""
			if !r.Due.IsZero() {
				due = r.Due.String()
			}
			if due != c.due {
				t.Errorf("due %q, want %q", due, c.due)
			}
			if r.Model != s.Model.Key || !strings.HasPrefix(r.Model, "2026.1/") {
				t.Errorf("model %q", r.Model)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestScoreNamesRecords: the contributions name the records behind them,
// which the stored form keeps.
func TestScoreNamesRecords(t *testing.T) {
	s := scorer(t, DefaultModelJSON())
	r, err := s.Score(Facts{Subject: org, Records: []store.Record{serious(11, "2026-06-01"), debtor(12, "2026-03-01", "")}}, day("2026-12-01"))
	if err != nil {
		t.Fatal(err)
	}
	b := EncodeContributions(r.Contributions)
	if want := `[{"i":"penalty_serious","p":-150,"r":[{"r":11,"p":-150}]},{"i":"list_serious","p":-300,"r":[{"r":12,"p":-300}]}]`; string(b) != want {
		t.Errorf("stored %s\nwant   %s", b, want)
	}
	back, err := DecodeContributions(b)
	if err != nil || len(back) != 2 || back[1].Items[0].Record != 12 {
		t.Errorf("decoded %+v %v", back, err)
	}
}

// TestWeightChange: a model file that changes a weight changes the score
// and the model's key.
func TestWeightChange(t *testing.T) {
	doubled := bytes.Replace(DefaultModelJSON(), []byte(`"code": "law", "name": "遵纪守法", "weight": 1`), []byte(`"code": "law", "name": "遵纪守法", "weight": 2`), 1)
	if bytes.Equal(doubled, DefaultModelJSON()) {
		t.Fatal("the weight was not found in the model")
	}
	a, b := scorer(t, DefaultModelJSON()), scorer(t, doubled)
	f := Facts{Subject: org, Records: []store.Record{general(1, "2026-10-01")}}
	ra, _ := a.Score(f, day("2026-12-01"))
	rb, _ := b.Score(f, day("2026-12-01"))
	if ra.Score != 960 || rb.Score != 920 {
		t.Errorf("scores %d and %d, want 960 and 920", ra.Score, rb.Score)
	}
	if ra.Model == rb.Model || a.Model.Version != b.Model.Version {
		t.Errorf("keys %s and %s: the same version with another file must make another key", ra.Model, rb.Model)
	}
}

func TestPersonsNotGraded(t *testing.T) {
	s := scorer(t, DefaultModelJSON())
	if _, err := s.Score(Facts{Subject: store.EvalSubject{ID: 1, Class: credit.ClassPerson}}, day("2026-12-01")); err == nil {
		t.Error("a person was graded")
	}
	person := bytes.Replace(DefaultModelJSON(), []byte(`"classes": ["org", "sole"]`), []byte(`"classes": ["org", "person"]`), 1)
	var me *ModelError
	if _, err := Parse(person); !errors.As(err, &me) || !strings.Contains(me.Reason, "自然人") {
		t.Errorf("a model grading persons: %v", err)
	}
}

func TestModelErrors(t *testing.T) {
	cat := catalog.Default()
	ls, _ := lists.Default(cat)
	base := string(DefaultModelJSON())
	cases := []struct {
		name, from, to, where string
	}{
		{"unknown field", `"base": 1000`, `"base": 1000, "bogus": 1`, "文件"},
		{"no version", `"version": "2026.1"`, `"version": ""`, "version"},
		{"bands not descending", `"grade": "B", "label": "轻微失信", "min": 900`, `"grade": "B", "label": "轻微失信", "min": 1100`, "grades[1].min"},
		{"unknown kind", `"kinds": ["wn"]`, `"kinds": ["zz"]`, "dimensions[1].indicators[0] (commitment_broken).kinds"},
		{"cap of the other sign", `"points": -150, "cap": -450`, `"points": -150, "cap": 450`, "dimensions[0].indicators[0] (penalty_serious).cap"},
		{"decay not increasing", `{"months": 12, "factor": 1}, {"months": 36, "factor": 0.5}`, `{"months": 12, "factor": 1}, {"months": 6, "factor": 0.5}`,
			"dimensions[0].indicators[0] (penalty_serious).decay[1]"},
		{"unknown list class", `"list_classes": ["watch"]`, `"list_classes": ["grey"]`, "dimensions[0].indicators[5] (list_watch).list_classes"},
		{"unknown field of a kind", `"field": "inspection_result",
       "any_of": ["责令整改"]`, `"field": "result",
       "any_of": ["责令整改"]`, "dimensions[3].indicators[1] (inspection_rectify).field"},
		{"unknown max grade", `"max_grade": "D"`, `"max_grade": "E"`, "dimensions[0].indicators[3] (list_serious).max_grade"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := strings.Replace(base, c.from, c.to, 1)
			if b == base {
				t.Fatalf("%q not in the model", c.from)
			}
			_, err := Load([]byte(b), cat, ls)
			var me *ModelError
			if !errors.As(err, &me) || me.Where != c.where {
				t.Errorf("error %v, want one at %s", err, c.where)
			}
		})
	}
	m, err := Default(cat, ls)
	if err != nil {
		t.Fatal(err)
	}
	if in, _, _ := m.Indicator("annual_report"); in.Disabled == "" {
		t.Error("annual_report enabled without an nb kind")
	}
}
