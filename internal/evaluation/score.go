package evaluation

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/publicity"
	"github.com/xinyong/xinyong/internal/store"
)

// Facts are what the platform holds about one subject that a model may
// count: its current records (as store.SubjectsRecords or the
// evaluation input returns them: with RepairedOn, without personal
// fields) and, when the model counts them, its commitments and its own
// objections.
type Facts struct {
	Subject     store.EvalSubject
	Records     []store.Record
	Commitments []store.EvalCommitment
	Objections  []store.EvalObjection
}

// Item is one record (or commitment) behind a contribution and the points
// it brought, after decay and the dimension's weight.
type Item struct {
	Record     int64 `json:"r,omitempty"`
	Commitment int64 `json:"m,omitempty"`
	Points     int   `json:"p"`
}

// Contribution is what one indicator brought to a score: the sum of its
// items, bounded by the indicator's cap (Capped says it was).
type Contribution struct {
	Indicator string `json:"i"`
	Points    int    `json:"p"`
	Capped    bool   `json:"c,omitempty"`
	Items     []Item `json:"r"`
}

// Result is a subject's evaluation on a day under a model.
type Result struct {
	SubjectID     int64
	Day           calendar.Date
	Model         string // the model's Key
	Score         int
	Grade         string
	Contributions []Contribution
	// Due is the first day after Day on which the result can change by
	// the passing of time alone (a record's publicity ends, a decay step
	// passes, a licence expires, an entry's period ends, a record's
	// publicity begins); zero when nothing would.
	Due calendar.Date
}

// Scorer scores subjects under a model: the model with the catalogue and
// lists it was loaded with, prepared for scoring many subjects.
type Scorer struct {
	Model   *Model
	Catalog *catalog.Catalog
	Lists   *lists.Catalog

	refs   []ref                      // every indicator, by position
	byKind map[string][]ref           // records indicators by kind
	keys   map[string]map[string]bool // the fields scoring reads, by kind
	lists  []ref                      // lists indicators
	others []ref                      // commitments and objections indicators
}

// ref is an indicator with its dimension.
type ref struct {
	in  *Indicator
	dim *Dimension
	pos int // the indicator's position in the model
}

// NewScorer prepares m for scoring.
func NewScorer(m *Model, cat *catalog.Catalog, ls *lists.Catalog) *Scorer {
	s := &Scorer{Model: m, Catalog: cat, Lists: ls, byKind: map[string][]ref{}}
	pos := 0
	for di := range m.Dimensions {
		d := &m.Dimensions[di]
		for ii := range d.Indicators {
			in := &d.Indicators[ii]
			r := ref{in: in, dim: d, pos: pos}
			s.refs = append(s.refs, r)
			pos++
			if in.Disabled != "" || in.Points == 0 {
				continue
			}
			switch in.Source {
			case SourceRecords:
				for _, k := range in.Kinds {
					s.byKind[k] = append(s.byKind[k], r)
				}
			case SourceLists:
				s.lists = append(s.lists, r)
			default:
				s.others = append(s.others, r)
			}
		}
	}
	s.keys = map[string]map[string]bool{}
	for _, k := range cat.Kinds() {
		keys := map[string]bool{"decision_date": true}
		add := func(ks ...string) {
			for _, key := range ks {
				if key != "" {
					keys[key] = true
				}
			}
		}
		add(k.Publicity.From, k.Publicity.Until, k.Publicity.Exit)
		for _, r := range k.Publicity.SeverityRules {
			add(r.Field)
			add(r.Amounts...)
			add(r.DomainFields...)
		}
		if store.IsListKind(k.Code) {
			add("list_type", "decision_no", "valid_to", "exit_date", "exit_reason", "facts", "authority")
		}
		for _, x := range s.byKind[k.Code] {
			add(x.in.Field, x.in.ValidField)
		}
		s.keys[k.Code] = keys
	}
	return s
}

// Kinds are the record kinds scoring reads: those of records indicators
// and the list kinds (nil: every kind, when objections count, whose
// records may be of any kind).
func (s *Scorer) Kinds() []string {
	for _, r := range s.others {
		if r.in.Source == SourceObjections {
			return nil
		}
	}
	var out []string
	for k := range s.byKind {
		out = append(out, k)
	}
	if len(s.lists) > 0 {
		for _, k := range s.Lists.Kinds() {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

// tally is where scoring puts what it finds: emit receives each item
// with its indicator's position in the model; due is the earliest day
// after day on which what was scored may change.
type tally struct {
	day  calendar.Date
	due  calendar.Date
	emit func(pos int, it Item)
	// fields is where a record's fields are decoded (reused).
	fields map[string]string
}

// later notes a day on which the result may change, if after the day.
func (t *tally) later(d calendar.Date) {
	if d.IsZero() || !d.After(t.day) {
		return
	}
	if t.due.IsZero() || d.Before(t.due) {
		t.due = d
	}
}

// factor is the decay factor of an item dated from on day (1 without
// decay; 0 past the last step), noting the next step's day.
func (t *tally) factor(in *Indicator, from calendar.Date) float64 {
	if len(in.Decay) == 0 {
		return 1
	}
	if from.IsZero() {
		return in.Decay[0].Factor
	}
	for _, st := range in.Decay {
		end := from.AddMonths(st.Months)
		if t.day.Before(end) {
			t.later(end)
			return st.Factor
		}
	}
	return 0
}

// points is an item's points: the indicator's, by the decay factor and the
// dimension's weight, rounded half away from zero.
func points(r ref, factor float64) int {
	return int(math.Round(r.in.Points * factor * r.dim.Weight))
}

// Score evaluates one subject's facts on day. The subject's class must be
// one the model grades (Model.Evaluates).
func (s *Scorer) Score(f Facts, day calendar.Date) (Result, error) {
	if !s.Model.Evaluates(f.Subject.Class) {
		return Result{}, fmt.Errorf("evaluation: subject %d of class %s is not graded by model %s", f.Subject.ID, f.Subject.Class, s.Model.Key)
	}
	var items []posItem
	t := &tally{day: day, emit: func(pos int, it Item) { items = append(items, posItem{pos, it}) }}
	objs := s.objectionsByRecord(f.Objections)
	for i := range f.Records {
		if err := s.record(t, &f.Records[i], objs[f.Records[i].ID]); err != nil {
			return Result{}, err
		}
	}
	for _, c := range f.Commitments {
		s.commitment(t, c)
	}
	return s.total(f.Subject.ID, day, items, t.due), nil
}

// objectionsByRecord keeps the objections a model counts (upheld), by
// record; nil when the model counts none.
func (s *Scorer) objectionsByRecord(objs []store.EvalObjection) map[int64][]store.EvalObjection {
	if !s.countsObjections() || len(objs) == 0 {
		return nil
	}
	out := map[int64][]store.EvalObjection{}
	for _, o := range objs {
		if o.Upheld {
			out[o.RecordID] = append(out[o.RecordID], o)
		}
	}
	return out
}

func (s *Scorer) countsObjections() bool {
	for _, r := range s.others {
		if r.in.Source == SourceObjections {
			return true
		}
	}
	return false
}

// record scores one record on t's day: the items of the records and lists
// indicators it meets while public that day, the items of the upheld
// objections objs about it, and the days it may change on.
func (s *Scorer) record(t *tally, r *store.Record, objs []store.EvalObjection) error {
	rs := s.byKind[r.Kind]
	isList := len(s.lists) > 0 && store.IsListKind(r.Kind)
	if len(rs) == 0 && !isList && len(objs) == 0 {
		return nil
	}
	k, ok := s.Catalog.Kind(r.Kind)
	if !ok {
		return nil
	}
	if t.fields == nil {
		t.fields = make(map[string]string, 16)
	}
	fields := t.fields
	if err := store.DecodeFieldsOf(r.Fields, s.keys[r.Kind], fields); err != nil {
		return fmt.Errorf("record %d: %w", r.ID, err)
	}
	day := t.day
	first := r.FirstReceived
	if first.IsZero() {
		first = r.ReceivedAt
	}
	var repaired calendar.Date
	if r.RepairedOn != "" {
		repaired, _ = calendar.ParseDate(r.RepairedOn)
	}
	d := publicity.Decide(publicity.Input{Kind: k, Fields: fields, Received: calendar.FromTime(first),
		Revoked: r.State == store.StateRevoked, Repaired: repaired}, day)
	if !d.Public {
		if d.Status == publicity.NotYet {
			t.later(d.From)
			t.later(calendar.FromTime(first))
		}
		return nil
	}
	if !d.Until.IsZero() {
		t.later(d.Until.AddDays(1))
	}
	if !repaired.IsZero() {
		t.later(repaired)
	}
	decided := parseDay(r.DecisionDate)
	for _, x := range rs {
		in := x.in
		if len(in.Severity) > 0 && !slices.Contains(in.Severity, d.Severity) {
			continue
		}
		if in.Field != "" && !slices.Contains(in.AnyOf, fields[in.Field]) {
			continue
		}
		if in.ValidField != "" {
			if v := parseDay(fields[in.ValidField]); !v.IsZero() {
				if day.After(v) {
					continue
				}
				t.later(v.AddDays(1))
			}
		}
		if p := points(x, t.factor(in, decided)); p != 0 {
			t.emit(x.pos, Item{Record: r.ID, Points: p})
		}
	}
	if isList {
		if e, ok := s.Lists.EntryOf(r.Kind, r.ID, fields, r.State == store.StateRevoked); ok {
			switch st, _ := e.On(day); st {
			case lists.InForce:
				if !e.ValidTo.IsZero() {
					t.later(e.ValidTo.AddDays(1))
				}
				for _, x := range s.lists {
					if !slices.Contains(x.in.ListClasses, string(e.Type.Class)) && !slices.Contains(x.in.ListTypes, e.Type.Code) {
						continue
					}
					if p := points(x, t.factor(x.in, e.DecisionDate)); p != 0 {
						t.emit(x.pos, Item{Record: r.ID, Points: p})
					}
				}
			case lists.NotYet:
				t.later(e.DecisionDate)
			}
		}
	}
	for _, x := range s.others {
		if x.in.Source != SourceObjections {
			continue
		}
		for _, o := range objs {
			on, err := calendar.ParseDate(o.DecidedOn)
			if err != nil {
				continue
			}
			if day.Before(on) {
				t.later(on)
				continue
			}
			if p := points(x, t.factor(x.in, on)); p != 0 {
				t.emit(x.pos, Item{Record: o.RecordID, Points: p})
			}
		}
	}
	return nil
}

// parseDay reads a YYYY-MM-DD day; zero when empty or not one (without the
// error's allocation: a run reads millions).
func parseDay(v string) calendar.Date {
	if len(v) != 10 {
		return calendar.Date{}
	}
	d, err := calendar.ParseDate(v)
	if err != nil {
		return calendar.Date{}
	}
	return d
}

// commitment scores one commitment of the registry on t's day.
func (s *Scorer) commitment(t *tally, c store.EvalCommitment) {
	for _, x := range s.others {
		if x.in.Source != SourceCommitments {
			continue
		}
		on, err := calendar.ParseDate(c.AssessedOn)
		if !c.Public || err != nil || !slices.Contains(x.in.Statuses, c.Status) {
			continue
		}
		if t.day.Before(on) {
			t.later(on)
			continue
		}
		if p := points(x, t.factor(x.in, on)); p != 0 {
			t.emit(x.pos, Item{Commitment: c.ID, Points: p})
		}
	}
}

// total sums the tally into a result: each indicator bounded by its cap,
// the score bounded by the model, the grade by band and by the
// indicators' max_grade.
func (s *Scorer) total(subject int64, day calendar.Date, items []posItem, due calendar.Date) Result {
	m := s.Model
	res := Result{SubjectID: subject, Day: day, Model: m.Key, Score: m.Base, Due: due}
	sortItems(items)
	worst := 0
	for i := 0; i < len(items); {
		j := i
		for j < len(items) && items[j].pos == items[i].pos {
			j++
		}
		x := s.refs[items[i].pos]
		c := Contribution{Indicator: x.in.Code, Items: make([]Item, 0, j-i)}
		for _, it := range items[i:j] {
			c.Items = append(c.Items, it.Item)
			c.Points += it.Points
		}
		i = j
		if x.in.Cap != 0 {
			limit := int(math.Round(x.in.Cap * x.dim.Weight))
			if (limit < 0 && c.Points < limit) || (limit > 0 && c.Points > limit) {
				c.Points, c.Capped = limit, true
			}
		}
		res.Score += c.Points
		res.Contributions = append(res.Contributions, c)
		if x.in.MaxGrade != "" {
			worst = max(worst, m.rank(x.in.MaxGrade))
		}
	}
	res.Score = min(max(res.Score, m.Min), m.Max)
	g := len(m.Grades) - 1
	for i, b := range m.Grades {
		if res.Score >= b.Min {
			g = i
			break
		}
	}
	res.Grade = m.Grades[max(g, worst)].Grade
	return res
}

// posItem is an item with its indicator's position in the model.
type posItem struct {
	pos int
	Item
}

// sortItems orders items as contributions list them: by the indicator's
// position in the model, then by record and commitment.
func sortItems(items []posItem) {
	slices.SortFunc(items, func(a, b posItem) int {
		switch {
		case a.pos != b.pos:
			return a.pos - b.pos
		case a.Record != b.Record:
			return compare(a.Record, b.Record)
		}
		return compare(a.Commitment, b.Commitment)
	})
}

func compare(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// EncodeContributions is the stored form of a result's contributions
// (compact JSON; "[]" for none).
func EncodeContributions(cs []Contribution) []byte {
	if len(cs) == 0 {
		return []byte("[]")
	}
	b, err := json.Marshal(cs)
	if err != nil {
		panic(err) // plain structs of numbers and strings
	}
	return b
}

// DecodeContributions reads stored contributions.
func DecodeContributions(b []byte) ([]Contribution, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var cs []Contribution
	if err := json.Unmarshal(b, &cs); err != nil {
		return nil, fmt.Errorf("evaluation contributions: %w", err)
	}
	return cs, nil
}

// Row is the stored form of a result.
func (r Result) Row(sub store.EvalSubject) store.Evaluation {
	due := ""
	if !r.Due.IsZero() {
		due = r.Due.String()
	}
	return store.Evaluation{SubjectID: r.SubjectID, Class: sub.Class, Region: sub.Region, Day: r.Day.String(), Model: r.Model,
		Score: r.Score, Grade: r.Grade, Contributions: EncodeContributions(r.Contributions), Due: due}
}

// ResultOf reads a stored evaluation back.
func ResultOf(e store.Evaluation) (Result, error) {
	day, err := calendar.ParseDate(e.Day)
	if err != nil {
		return Result{}, fmt.Errorf("evaluation of subject %d: day %q: %w", e.SubjectID, e.Day, err)
	}
	cs, err := DecodeContributions(e.Contributions)
	if err != nil {
		return Result{}, err
	}
	r := Result{SubjectID: e.SubjectID, Day: day, Model: e.Model, Score: e.Score, Grade: e.Grade, Contributions: cs}
	if e.Due != "" {
		r.Due, _ = calendar.ParseDate(e.Due)
	}
	return r, nil
}
