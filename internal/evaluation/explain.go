package evaluation

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/publicity"
	"github.com/xinyong/xinyong/internal/store"
)

// Explained is a subject's evaluation on a day as a person reads it: the
// grade and score, the model that made it, and every contribution with
// the records behind it (their decision numbers) and their points, so
// that a firm sees why it has its grade and what would change it.
type Explained struct {
	SubjectID int64
	AsOf      calendar.Date // the day asked
	Day       calendar.Date // the day the result was made for
	// Live: no result was stored for the subject yet; this one was made
	// now from its records (not stored).
	Live  bool
	Model ModelRef
	Base  int
	Score int
	Grade Band
	// CappedBy names the indicator that holds the grade below its score's
	// band (max_grade), "" when none does; ScoreGrade is then the band of
	// the score alone.
	CappedBy   string
	ScoreGrade *Band
	Bands      []Band
	// Next is the band above and the points the score lacks to reach it
	// (nil at the best grade).
	Next          *NextBand
	Contributions []ExplainedContribution
	// Disabled lists the model's indicators not in use, and why.
	Disabled []string
}

// ModelRef names the model a result was made under.
type ModelRef struct {
	Key     string
	Version string
	Name    string
	// Active: the platform evaluates with this model now.
	Active bool
}

// NextBand is the grade above and what it takes.
type NextBand struct {
	Band
	Points int // points the score lacks
}

// ExplainedContribution is what one indicator brought.
type ExplainedContribution struct {
	Dimension string
	Indicator string // code
	Name      string
	Points    int
	Capped    bool
	Cap       int
	Basis     string
	Items     []ExplainedItem
}

// ExplainedItem is a record (or commitment) behind a contribution.
type ExplainedItem struct {
	RecordID     int64
	CommitmentID int64
	Kind         string
	KindName     string
	DecisionNo   string // 文书号 / 承诺编码; "" when Hidden
	DecisionDate string
	Points       int
	// Note says how the points were counted (decay by age).
	Note string
	// Until is the last day the item counts as far as the record says
	// (its publicity window, validity or list period); "" when open.
	Until string
	// Hidden: the record is no longer public on the day asked, so its
	// number is not shown.
	Hidden bool
}

// Text is the contribution in one line: 严重失信行政处罚 −150（陕市监罚〔2026〕1号）.
func (c ExplainedContribution) Text() string {
	s := c.Name + " " + signed(c.Points)
	var nos []string
	for _, it := range c.Items {
		if it.DecisionNo != "" && !it.Hidden {
			nos = append(nos, it.DecisionNo)
		}
	}
	switch {
	case len(nos) > 0 && len(nos) <= 5:
		s += "（" + joinCN(nos) + "）"
	case len(c.Items) > 0:
		s += "（" + strconv.Itoa(len(c.Items)) + "条）"
	}
	if c.Capped {
		s += "，已达封顶" + signed(c.Cap)
	}
	return s
}

// signed writes points with their sign: +5, −150, 0.
func signed(n int) string {
	switch {
	case n > 0:
		return "+" + strconv.Itoa(n)
	case n < 0:
		return "−" + strconv.Itoa(-n)
	}
	return "0"
}

// Signed is signed for templates.
func Signed(n int) string { return signed(n) }

func joinCN(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += "、"
		}
		out += v
	}
	return out
}

// ErrNoEvaluation: no result was made for the subject by the day asked.
var ErrNoEvaluation = fault.New(fault.NotFound, "该日尚无公共信用综合评价结果")

// notGraded is the error for a subject the model does not grade.
func notGraded(sub credit.Subject) error {
	if sub.Class == credit.ClassPerson {
		return fmt.Errorf("%w: %w", ErrNotGraded, fault.New(fault.NotFound, "自然人不作公开的公共信用综合评价"))
	}
	return fmt.Errorf("%w: %w", ErrNotGraded, fault.New(fault.NotFound, sub.Class.Label()+"不在公共信用综合评价范围内"))
}

// SubjectEvaluation is a subject's public credit evaluation on day,
// explained: the result in force that day (the one made on or before it);
// for today, when none was stored yet, one made now from its records.
// Persons and classes the model leaves out are ErrNotGraded (a
// fault.NotFound); a past day without a result is ErrNoEvaluation.
// This is what the credit file, the read API and the credit report show.
func (s *Service) SubjectEvaluation(ctx context.Context, sub credit.Subject, day calendar.Date) (Explained, error) {
	return s.SubjectEvaluationWith(ctx, sub, day, nil)
}

// RecordInfo is what an explanation shows of a record: a caller that has
// the subject's records as public on the day (the credit file) gives them
// to SubjectEvaluationWith instead of their being read again.
type RecordInfo struct {
	Kind, KindName, DecisionNo, DecisionDate string
	// Until is the last day of the record's publicity ("" open).
	Until string
}

// SubjectEvaluationWith is SubjectEvaluation with the subject's records
// public on day given by public (nil: read from the store): a record not
// found there is counted and not named.
func (s *Service) SubjectEvaluationWith(ctx context.Context, sub credit.Subject, day calendar.Date, public func(id int64) (RecordInfo, bool)) (Explained, error) {
	s.init()
	if !s.Model.Evaluates(sub.Class) {
		return Explained{}, notGraded(sub)
	}
	var res Result
	live := false
	e, err := s.Store.GetEvaluation(ctx, sub.ID, day.String())
	switch {
	case err == nil:
		if res, err = ResultOf(e); err != nil {
			return Explained{}, err
		}
	case errors.Is(err, store.ErrNotFound) && !day.Before(s.Today()):
		in, err := s.Store.EvaluationInputOf(ctx, []int64{sub.ID}, s.wants())
		if err != nil {
			return Explained{}, err
		}
		facts := Group(in)
		if len(facts) != 1 {
			return Explained{}, notGraded(sub)
		}
		if res, err = s.scorer.Score(facts[0], day); err != nil {
			return Explained{}, err
		}
		live = true
	case errors.Is(err, store.ErrNotFound):
		return Explained{}, ErrNoEvaluation
	default:
		return Explained{}, err
	}
	if public == nil {
		public = func(int64) (RecordInfo, bool) { return RecordInfo{}, false }
		if names(res) {
			recs, err := s.Store.SubjectRecords(ctx, sub.ID)
			if err != nil {
				return Explained{}, err
			}
			byID := make(map[int64]store.Record, len(recs))
			for _, r := range recs {
				byID[r.ID] = r
			}
			public = func(id int64) (RecordInfo, bool) {
				var ei ExplainedItem
				s.describeRecord(&ei, byID[id], day)
				return RecordInfo{Kind: ei.Kind, KindName: ei.KindName, DecisionNo: ei.DecisionNo, DecisionDate: ei.DecisionDate, Until: ei.Until}, !ei.Hidden
			}
		}
	}
	x, err := s.explain(ctx, res, day, public)
	x.Live = live
	return x, err
}

// names reports whether a result has records behind it.
func names(res Result) bool {
	for _, c := range res.Contributions {
		for _, it := range c.Items {
			if it.Record != 0 {
				return true
			}
		}
	}
	return false
}

// explain turns a result into its explanation, the records behind it
// from public (those public on the day asked) and the commitments from the
// store.
func (s *Service) explain(ctx context.Context, res Result, asOf calendar.Date, public func(id int64) (RecordInfo, bool)) (Explained, error) {
	m, err := s.ModelOf(ctx, res.Model)
	if err != nil {
		return Explained{}, err
	}
	x := Explained{SubjectID: res.SubjectID, AsOf: asOf, Day: res.Day, Base: m.Base, Score: res.Score, Bands: m.Grades,
		Model: ModelRef{Key: m.Key, Version: m.Version, Name: m.Name, Active: m.Key == s.Model.Key}}
	x.Grade, _ = m.Band(res.Grade)
	for i, b := range m.Grades {
		if b.Grade == res.Grade && i > 0 {
			up := m.Grades[i-1]
			x.Next = &NextBand{Band: up, Points: max(up.Min-res.Score, 0)}
		}
	}
	for _, d := range m.Dimensions {
		for _, in := range d.Indicators {
			if in.Disabled != "" {
				x.Disabled = append(x.Disabled, in.Name+"："+in.Disabled)
			}
		}
	}
	defer func() {
		// Held below its score's band: what it takes is the indicator's
		// item ending (an exit from the list), not points.
		if x.CappedBy != "" {
			b := bandOf(m, res.Score)
			x.ScoreGrade, x.Next = &b, nil
		}
	}()
	for _, c := range res.Contributions {
		in, dim, ok := m.Indicator(c.Indicator)
		if !ok {
			return x, fmt.Errorf("model %s has no indicator %s", m.Key, c.Indicator)
		}
		ec := ExplainedContribution{Dimension: dim.Name, Indicator: in.Code, Name: in.Name, Points: c.Points, Capped: c.Capped,
			Cap: int(math.Round(in.Cap * dim.Weight)), Basis: in.Basis}
		if in.MaxGrade != "" && m.rank(in.MaxGrade) >= m.rank(res.Grade) && x.CappedBy == "" {
			if b := bandOf(m, res.Score); m.rank(b.Grade) < m.rank(res.Grade) {
				x.CappedBy = in.Name
			}
		}
		full := in.Points * dim.Weight
		for _, it := range c.Items {
			ei := ExplainedItem{RecordID: it.Record, CommitmentID: it.Commitment, Points: it.Points}
			if full != 0 && float64(it.Points) != math.Round(full) {
				ei.Note = "按" + strconv.FormatFloat(math.Round(float64(it.Points)/full*100), 'f', -1, 64) + "%计（" + decayText(in) + "）"
			}
			switch {
			case it.Record != 0:
				if info, ok := public(it.Record); ok {
					ei.Kind, ei.KindName, ei.DecisionNo, ei.DecisionDate, ei.Until = info.Kind, info.KindName, info.DecisionNo, info.DecisionDate, info.Until
				} else {
					ei.Hidden = true
				}
			case it.Commitment != 0:
				cm, err := s.Store.GetCommitment(ctx, it.Commitment)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return x, err
				}
				ei.Kind, ei.KindName, ei.DecisionNo, ei.DecisionDate = "commitment", "信用承诺", cm.Code, cm.AssessedOn
				ei.Hidden = cm.Disclosure != store.CommitmentPublic
				if ei.Hidden {
					ei.DecisionNo = ""
				}
			}
			ec.Items = append(ec.Items, ei)
		}
		x.Contributions = append(x.Contributions, ec)
	}
	return x, nil
}

// describeRecord fills an item from its record: kind, number, date, and
// until when it counts; a record not public on the day asked keeps its
// number to itself.
func (s *Service) describeRecord(ei *ExplainedItem, r store.Record, asOf calendar.Date) {
	if r.ID == 0 {
		ei.Hidden = true
		return
	}
	ei.Kind, ei.DecisionNo, ei.DecisionDate = r.Kind, r.DecisionNo, r.DecisionDate
	k, ok := s.Catalog.Kind(r.Kind)
	if !ok {
		return
	}
	ei.KindName = k.Name
	fields, err := store.DecodeFields(r.Fields)
	if err != nil {
		ei.Hidden, ei.DecisionNo = true, ""
		return
	}
	first := r.FirstReceived
	if first.IsZero() {
		first = r.ReceivedAt
	}
	var repaired calendar.Date
	if r.RepairedOn != "" {
		repaired, _ = calendar.ParseDate(r.RepairedOn)
	}
	d := publicity.Decide(publicity.Input{Kind: k, Fields: fields, Received: calendar.FromTime(first), Revoked: r.State == store.StateRevoked,
		Repaired: repaired}, asOf)
	if !d.Public {
		ei.Hidden, ei.DecisionNo = true, ""
		return
	}
	if !d.Until.IsZero() && d.Until.Year < 2099 {
		ei.Until = d.Until.String()
	}
	if e, ok := s.Lists.EntryOf(r.Kind, r.ID, fields, false); ok && !e.ValidTo.IsZero() && e.ValidTo.Year < 2099 {
		if ei.Until == "" || e.ValidTo.String() < ei.Until {
			ei.Until = e.ValidTo.String()
		}
	}
}

// bandOf is the band of a score alone.
func bandOf(m *Model, score int) Band {
	for _, b := range m.Grades {
		if score >= b.Min {
			return b
		}
	}
	return m.Grades[len(m.Grades)-1]
}

// decayText describes an indicator's decay: 决定满12个月后按50%计，满36个月后不再计分.
func decayText(in *Indicator) string {
	out := ""
	for i, st := range in.Decay {
		if i == 0 {
			continue
		}
		out += "决定满" + strconv.Itoa(in.Decay[i-1].Months) + "个月后按" + strconv.FormatFloat(st.Factor*100, 'f', -1, 64) + "%计，"
	}
	if n := len(in.Decay); n > 0 {
		out += "满" + strconv.Itoa(in.Decay[n-1].Months) + "个月后不再计分"
	}
	return out
}

// Brief is a subject's grade in a few words: what a credit check answer
// carries.
type Brief struct {
	Grade   string   `json:"grade" doc:"公共信用综合评价等级 (A best)."`
	Label   string   `json:"label" doc:"The grade's name, e.g. 诚信守法."`
	Score   int      `json:"score"`
	Model   string   `json:"model" doc:"The model (version/hash) the result was made under."`
	Day     string   `json:"day" doc:"The day the result was made for."`
	Reasons []string `json:"reasons" doc:"Each contribution in one line, with the decision numbers of the records behind it."`
}

// Briefs returns the current grades of subjects with their reasons; recs
// are records the caller holds of them (by subject), used for decision
// numbers: items whose record is not among them are counted, not named.
// Subjects without a result are left out.
func (s *Service) Briefs(ctx context.Context, ids []int64, recs map[int64][]store.Record, day calendar.Date) (map[int64]Brief, error) {
	s.init()
	rows, err := s.Store.EvaluationsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]Brief, len(rows))
	for id, e := range rows {
		res, err := ResultOf(e)
		if err != nil {
			return nil, err
		}
		m, err := s.ModelOf(ctx, res.Model)
		if err != nil {
			return nil, err
		}
		byID := map[int64]store.Record{}
		for _, r := range recs[id] {
			byID[r.ID] = r
		}
		b := Brief{Grade: res.Grade, Score: res.Score, Model: res.Model, Day: res.Day.String(), Reasons: []string{}}
		if band, ok := m.Band(res.Grade); ok {
			b.Label = band.Label
		}
		for _, c := range res.Contributions {
			in, dim, ok := m.Indicator(c.Indicator)
			if !ok {
				continue
			}
			ec := ExplainedContribution{Name: in.Name, Points: c.Points, Capped: c.Capped, Cap: int(math.Round(in.Cap * dim.Weight))}
			for _, it := range c.Items {
				ei := ExplainedItem{Points: it.Points}
				if r, ok := byID[it.Record]; ok && it.Record != 0 {
					s.describeRecord(&ei, r, day)
				}
				ec.Items = append(ec.Items, ei)
			}
			b.Reasons = append(b.Reasons, ec.Text())
		}
		out[id] = b
	}
	return out, nil
}

// History returns a subject's results, newest first (the current one
// first), without their contributions.
func (s *Service) History(ctx context.Context, subjectID int64) ([]store.Evaluation, error) {
	hist, err := s.Store.EvaluationHistory(ctx, subjectID)
	for i := range hist {
		hist[i].Contributions = nil
	}
	return hist, err
}
