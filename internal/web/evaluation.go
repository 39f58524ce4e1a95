package web

import (
	"context"
	"errors"

	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/portal"
)

// The credit file's 信用评价 section: the subject's public credit
// evaluation (公共信用综合评价) on the day, explained, from
// evaluation.Service.SubjectEvaluation; the page and the read API show the
// same.

// EvaluationOut is a subject's evaluation in the read API.
type EvaluationOut struct {
	Grade      string `json:"grade" doc:"The grade (A best … D)."`
	GradeLabel string `json:"grade_label" doc:"The grade's name, e.g. 诚信守法."`
	Score      int    `json:"score"`
	Base       int    `json:"base" doc:"The model's base score: a subject with nothing counted scores it."`
	Day        string `json:"day" doc:"The day the result was made for (it stays in force until the next result)."`
	Live       bool   `json:"live,omitempty" doc:"No result was stored yet: this one was made now from the subject's records."`
	Model      struct {
		Key     string `json:"key" doc:"version/hash of the model file: names the model every result was made under."`
		Version string `json:"version"`
		Name    string `json:"name"`
		Active  bool   `json:"active" doc:"Whether the platform evaluates with this model now."`
	} `json:"model"`
	CappedBy      string            `json:"capped_by,omitempty" doc:"The indicator that holds the grade below its score's band (e.g. a serious list entry)."`
	ScoreGrade    string            `json:"score_grade,omitempty" doc:"With capped_by: the grade the score alone would give, once the indicator's items end."`
	Next          *EvaluationNext   `json:"next,omitempty" doc:"The grade above and the points the score lacks (absent at the best grade)."`
	Contributions []ContributionOut `json:"contributions" doc:"What each indicator brought, with the records behind it."`
	Bands         []GradeBandOut    `json:"bands" doc:"The model's grades, best first."`
	History       []GradeHistoryOut `json:"history" doc:"The subject's results, newest first (the current one first)."`
}

// EvaluationNext is the grade above.
type EvaluationNext struct {
	Grade  string `json:"grade"`
	Label  string `json:"label"`
	Points int    `json:"points" doc:"Points the score lacks to reach it."`
}

// ContributionOut is one indicator's contribution.
type ContributionOut struct {
	Dimension string                  `json:"dimension"`
	Indicator string                  `json:"indicator" doc:"The indicator's code in the model."`
	Name      string                  `json:"name"`
	Points    int                     `json:"points"`
	Capped    bool                    `json:"capped,omitempty" doc:"The indicator's items sum beyond its cap: the cap counts."`
	Cap       int                     `json:"cap,omitempty"`
	Basis     string                  `json:"basis,omitempty" doc:"Where the indicator's numbers come from (or that they are platform defaults)."`
	Records   []ContributionRecordOut `json:"records"`
}

// ContributionRecordOut is a record (or commitment) behind a contribution.
type ContributionRecordOut struct {
	Ref          string `json:"ref,omitempty" doc:"The record's reference (GET /api/v1/records/{ref}); absent for a commitment or a record no longer public."`
	Kind         string `json:"kind,omitempty"`
	KindName     string `json:"kind_name,omitempty"`
	DecisionNo   string `json:"decision_no,omitempty" doc:"文书号 (承诺编码 for a commitment); absent when no longer public."`
	DecisionDate string `json:"decision_date,omitempty"`
	Points       int    `json:"points"`
	Note         string `json:"note,omitempty" doc:"How it was counted (decay by age)."`
	Until        string `json:"until,omitempty" doc:"The last day it counts, as far as the record says."`
	Hidden       bool   `json:"hidden,omitempty" doc:"No longer public on the day asked: counted, not named."`
}

// GradeBandOut is a grade of the model.
type GradeBandOut struct {
	Grade string `json:"grade"`
	Label string `json:"label"`
	Min   int    `json:"min" doc:"Lowest score of the grade."`
	About string `json:"about,omitempty"`
}

// GradeHistoryOut is one of a subject's results.
type GradeHistoryOut struct {
	Day   string `json:"day"`
	Until string `json:"until,omitempty" doc:"The day the next result replaced it (absent: in force)."`
	Grade string `json:"grade"`
	Score int    `json:"score"`
	Model string `json:"model"`
}

// evaluationView is the 信用评价 section: the evaluation, or why there is
// none.
type evaluationView struct {
	X       *EvaluationOut
	Missing string // why there is no evaluation to show
}

// fileEvaluation is the evaluation a credit file shows (nil without an
// evaluation service).
func (s *Server) fileEvaluation(ctx context.Context, f portal.File) (*evaluationView, error) {
	ev := s.opts.Evaluation
	if ev == nil {
		return nil, nil
	}
	// The file holds the subject's records public that day: the
	// explanation names them from there.
	views := map[int64]portal.RecordView{}
	for _, sec := range f.Sections {
		for _, v := range sec.Records {
			views[v.ID] = v
		}
	}
	x, err := ev.SubjectEvaluationWith(ctx, f.Subject, f.AsOf, func(id int64) (evaluation.RecordInfo, bool) {
		v, ok := views[id]
		if !ok {
			return evaluation.RecordInfo{}, false
		}
		info := evaluation.RecordInfo{Kind: v.Kind.Code, KindName: v.Kind.Name, DecisionNo: v.DecisionNo, DecisionDate: v.DecisionDate}
		if u := v.Decision.Until; !u.IsZero() && u.Year < 2099 {
			info.Until = u.String()
		}
		return info, true
	})
	if errors.Is(err, evaluation.ErrNotGraded) || errors.Is(err, evaluation.ErrNoEvaluation) {
		return &evaluationView{Missing: fault.Message(err)}, nil
	}
	if err != nil {
		return nil, err
	}
	out := evaluationOut(s.opts.Portal, x)
	hist, err := ev.History(ctx, f.Subject.ID)
	if err != nil {
		return nil, err
	}
	for _, h := range hist {
		out.History = append(out.History, GradeHistoryOut{Day: h.Day, Until: h.Until, Grade: h.Grade, Score: h.Score, Model: h.Model})
	}
	return &evaluationView{X: &out}, nil
}

func evaluationOut(p *portal.Service, x evaluation.Explained) EvaluationOut {
	out := EvaluationOut{Grade: x.Grade.Grade, GradeLabel: x.Grade.Label, Score: x.Score, Base: x.Base, Day: x.Day.String(), Live: x.Live,
		CappedBy: x.CappedBy, Contributions: []ContributionOut{}, Bands: []GradeBandOut{}, History: []GradeHistoryOut{}}
	out.Model.Key, out.Model.Version, out.Model.Name, out.Model.Active = x.Model.Key, x.Model.Version, x.Model.Name, x.Model.Active
	if x.ScoreGrade != nil {
		out.ScoreGrade = x.ScoreGrade.Grade
	}
	if x.Next != nil {
		out.Next = &EvaluationNext{Grade: x.Next.Grade, Label: x.Next.Label, Points: x.Next.Points}
	}
	for _, b := range x.Bands {
		out.Bands = append(out.Bands, GradeBandOut{Grade: b.Grade, Label: b.Label, Min: b.Min, About: b.About})
	}
	for _, c := range x.Contributions {
		co := ContributionOut{Dimension: c.Dimension, Indicator: c.Indicator, Name: c.Name, Points: c.Points, Capped: c.Capped, Basis: c.Basis,
			Records: []ContributionRecordOut{}}
		if c.Capped {
			co.Cap = c.Cap
		}
		for _, it := range c.Items {
			ro := ContributionRecordOut{Kind: it.Kind, KindName: it.KindName, DecisionNo: it.DecisionNo, DecisionDate: it.DecisionDate,
				Points: it.Points, Note: it.Note, Until: it.Until, Hidden: it.Hidden}
			if it.RecordID != 0 && !it.Hidden {
				ro.Ref = p.RecordRef(it.RecordID)
			}
			co.Records = append(co.Records, ro)
		}
		out.Contributions = append(out.Contributions, co)
	}
	return out
}
