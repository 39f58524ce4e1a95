package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/integrity"
	"github.com/xinyong/xinyong/internal/store"
)

// The integrity monitoring API: a month's scores, a body's history and its
// events, and a body's feedback on an event. Readers see the bodies their
// integrity.read reaches (the credit office its organisation and below, a
// department or a body's account itself, an API key with integrity:read
// its organisation and below).

// IntegrityDimension is a body's score in one dimension.
type IntegrityDimension struct {
	Code  string  `json:"code" doc:"law 依法行政, efficiency 勤政高效, promise 守信践诺, credit 信用建设 (the model's codes)"`
	Name  string  `json:"name"`
	Score float64 `json:"score" doc:"base + good + bad + bonus, within 0 and full"`
	Full  float64 `json:"full"`
	Base  float64 `json:"base" doc:"what a body with no information scores"`
	Good  float64 `json:"good" doc:"points added by good information"`
	Bad   float64 `json:"bad" doc:"points taken by bad information (negative)"`
	Bonus float64 `json:"bonus" doc:"points for reporting promise-keeping information on time"`
}

// IntegrityLine is what one event did to a score.
type IntegrityLine struct {
	RecordID  int64   `json:"record_id"`
	Kind      string  `json:"kind" doc:"zwcx (a reported integrity event) or the kind of the platform record it comes from (sx, wn)"`
	Item      string  `json:"item" doc:"监测事项"`
	Dimension string  `json:"dimension"`
	Nature    string  `json:"nature" enum:"good,bad"`
	Date      string  `json:"date" doc:"发生日期, YYYY-MM-DD"`
	Points    float64 `json:"points"`
	Counted   bool    `json:"counted" doc:"false: a rule excluded it (rectified, a cap reached, reported late for the bonus)"`
	Bonus     bool    `json:"bonus,omitempty" doc:"the bonus for timely reporting, a line of its own"`
	Rule      string  `json:"rule" doc:"why, in Chinese"`
}

// IntegrityScoreItem is a body's score of a month.
type IntegrityScoreItem struct {
	Month      string               `json:"month"`
	USCC       string               `json:"uscc"`
	Name       string               `json:"name"`
	Group      string               `json:"group" doc:"peer group: province_gov, province_dept, city_gov, city_dept, county_gov, county_dept"`
	GroupLabel string               `json:"group_label"`
	Total      float64              `json:"total"`
	Rank       int                  `json:"rank" doc:"within the group, 1 best; equal totals share a rank"`
	Peers      int                  `json:"peers"`
	Change     *float64             `json:"change,omitempty" doc:"total minus the month before's (absent when the body was not scored then)"`
	Dimensions []IntegrityDimension `json:"dimensions"`
	Events     []IntegrityLine      `json:"events,omitempty" doc:"every event in the window with what it did"`
}

func apiDims(ds []integrity.DimensionScore) []IntegrityDimension {
	out := make([]IntegrityDimension, len(ds))
	for i, d := range ds {
		out[i] = IntegrityDimension{Code: d.Code, Name: d.Name, Score: d.Score.Float(), Full: d.Full.Float(), Base: d.Base.Float(),
			Good: d.Good.Float(), Bad: d.Bad.Float(), Bonus: d.Bonus.Float()}
	}
	return out
}

func apiLines(cs []integrity.Contribution) []IntegrityLine {
	out := make([]IntegrityLine, len(cs))
	for i, c := range cs {
		out[i] = IntegrityLine{RecordID: c.RecordID, Kind: c.Kind, Item: c.Item, Dimension: c.Dimension, Nature: c.Nature, Date: c.Date,
			Points: c.Points.Float(), Counted: c.Counted, Bonus: c.Bonus, Rule: c.Rule}
	}
	return out
}

func apiScore(sc integrity.Scored, withEvents bool) IntegrityScoreItem {
	it := IntegrityScoreItem{Month: sc.Month, USCC: sc.USCC, Name: sc.Name, Group: sc.Group, GroupLabel: sc.GroupLabel,
		Total: sc.TotalPoints().Float(), Rank: sc.Rank, Peers: sc.Peers, Dimensions: apiDims(sc.Result.Dimensions)}
	if withEvents {
		it.Events = apiLines(sc.Result.Events)
	}
	return it
}

// IntegrityScoresInput selects a month.
type IntegrityScoresInput struct {
	Month string `query:"month" pattern:"^[0-9]{4}-[0-9]{2}$" doc:"YYYY-MM; default: the latest month whose run is done"`
}

// IntegrityScoresOutput is a month's scores.
type IntegrityScoresOutput struct {
	Body struct {
		Month  string               `json:"month"`
		Final  bool                 `json:"final" doc:"false: the month had not ended when it was scored (暂定)"`
		AsOf   time.Time            `json:"as_of" doc:"the records were taken as the platform knew them at this moment"`
		Model  string               `json:"model" doc:"version of the scoring model"`
		Scores []IntegrityScoreItem `json:"scores"`
	}
}

// IntegrityBodyInput names a body.
type IntegrityBodyInput struct {
	USCC string `path:"uscc" minLength:"18" maxLength:"18" doc:"the government body's 统一社会信用代码"`
}

// IntegrityHistoryOutput is a body's history.
type IntegrityHistoryOutput struct {
	Body struct {
		USCC       string               `json:"uscc"`
		Name       string               `json:"name"`
		Group      string               `json:"group"`
		GroupLabel string               `json:"group_label"`
		InScope    bool                 `json:"in_scope" doc:"whether the monitoring scope covers it now"`
		Scores     []IntegrityScoreItem `json:"scores" doc:"oldest month first"`
	}
}

// IntegrityFeedbackItem is a body's feedback (处理结果) on an event.
type IntegrityFeedbackItem struct {
	ID     int64     `json:"id"`
	Result string    `json:"result" enum:"已整改,正在整改,情况说明"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

// IntegrityEventItem is an event of a body's 政务诚信档案.
type IntegrityEventItem struct {
	RecordID     int64                   `json:"record_id"`
	Kind         string                  `json:"kind"`
	Item         string                  `json:"item" doc:"监测事项"`
	Dimension    string                  `json:"dimension"`
	Nature       string                  `json:"nature" enum:"good,bad"`
	Date         string                  `json:"date" doc:"发生日期"`
	RectifiedOn  string                  `json:"rectified_on,omitempty" doc:"整改或修复日期"`
	HonourLevel  string                  `json:"honour_level,omitempty" doc:"表彰奖励级别"`
	Channel      string                  `json:"channel,omitempty" doc:"信息来源渠道"`
	Description  string                  `json:"description,omitempty" doc:"情况描述"`
	DecisionNo   string                  `json:"decision_no,omitempty" doc:"依据文书号"`
	Reporter     string                  `json:"reporter" doc:"报送单位统一社会信用代码"`
	ReporterName string                  `json:"reporter_name" doc:"报送单位"`
	Received     string                  `json:"received" doc:"the day the platform first received it (Beijing time)"`
	Serious      bool                    `json:"serious" doc:"a serious bad event: a risk alert was raised"`
	Lines        []IntegrityLine         `json:"lines" doc:"what it did in the latest finished month (none: outside that month's window)"`
	Feedback     []IntegrityFeedbackItem `json:"feedback" doc:"the body's 处理结果, oldest first; the last is in force"`
}

// IntegrityEventsOutput is a body's events.
type IntegrityEventsOutput struct {
	Body struct {
		USCC   string               `json:"uscc"`
		Name   string               `json:"name"`
		Month  string               `json:"month,omitempty" doc:"the latest finished month, whose lines are shown"`
		Events []IntegrityEventItem `json:"events" doc:"newest first"`
	}
}

// IntegrityFeedbackInput is a body's feedback on an event.
type IntegrityFeedbackInput struct {
	ID   int64 `path:"id" doc:"the event's record id"`
	Body struct {
		Result string `json:"result" enum:"已整改,正在整改,情况说明" doc:"处理结果"`
		Text   string `json:"text" maxLength:"2000" doc:"处理情况"`
	}
}

// IntegrityFeedbackOutput is the feedback filed.
type IntegrityFeedbackOutput struct {
	Body IntegrityFeedbackItem
}

// maxIntegrityFeedbackBytes bounds a feedback's body.
const maxIntegrityFeedbackBytes = 64 << 10

func (s *Server) registerIntegrityAPI() {
	on := func() error {
		if s.opts.Integrity == nil {
			return errNotServed
		}
		return nil
	}
	huma.Register(s.api, huma.Operation{
		OperationID: "get-integrity-scores",
		Method:      http.MethodGet,
		Path:        "/api/v1/integrity/scores",
		Summary:     "Government-integrity scores of a month (政务诚信监测评分)",
		Description: "Every monitored government body the caller may read, with its total, rank in its peer group, change from the " +
			"month before and the score of each dimension. Scores come from the monthly run (automatic on the first working day " +
			"of a month, or xinyong integrity score).",
		Tags:     []string{"integrity"},
		Security: secSignedIn,
		Errors:   with(errsGuarded, http.StatusNotFound),
	}, func(ctx context.Context, in *IntegrityScoresInput) (*IntegrityScoresOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		p := principalFrom(ctx)
		if d := s.decide(p, auth.IntegrityRead, auth.Resource{OrgPath: p.Org.Path, SubjectID: p.SubjectID}); !d.Allow {
			return nil, fault.New(fault.Refused, d.Reason)
		}
		svc := s.integ()
		var run store.IntegrityRun
		var err error
		if in.Month == "" {
			var ok bool
			if run, ok, err = svc.LatestRun(ctx); err == nil && !ok {
				err = fault.New(fault.NotFound, "尚未进行政务诚信监测评分")
			}
		} else {
			if _, err = integrity.ParseMonth(in.Month); err != nil {
				return nil, fault.New(fault.Invalid, err.Error(), fault.Field{Field: "query.month", Reason: err.Error()})
			}
			run, err = s.opts.Store.GetIntegrityRun(ctx, in.Month)
			if err == nil && run.State != store.RunDone {
				err = fault.Newf(fault.NotFound, "%s尚未完成评分", in.Month)
			}
		}
		if err != nil {
			return nil, err
		}
		m, _ := integrity.ParseMonth(run.Month)
		scores, err := svc.Scores(ctx, m)
		if err != nil {
			return nil, err
		}
		prev, err := s.opts.Store.IntegrityScores(ctx, m.Add(-1).String())
		if err != nil {
			return nil, err
		}
		before := map[int64]int64{}
		for _, sc := range prev {
			before[sc.SubjectID] = sc.Total
		}
		out := &IntegrityScoresOutput{}
		out.Body.Month, out.Body.Final, out.Body.AsOf, out.Body.Model = run.Month, run.Final, run.AsOf, run.Model
		out.Body.Scores = []IntegrityScoreItem{}
		visible, err := s.visible(ctx, p, scores)
		if err != nil {
			return nil, err
		}
		for _, sc := range visible {
			it := apiScore(sc, false)
			if t, ok := before[sc.SubjectID]; ok {
				c := integrity.Points(sc.Total - t).Float()
				it.Change = &c
			}
			out.Body.Scores = append(out.Body.Scores, it)
		}
		return out, nil
	})
	body := func(ctx context.Context, uscc string) (integrity.Body, error) {
		if err := on(); err != nil {
			return integrity.Body{}, err
		}
		b, err := s.integ().Body(ctx, uscc)
		if err != nil {
			return b, err
		}
		return b, s.integ().Authorize(ctx, principalFrom(ctx), auth.IntegrityRead, b)
	}
	huma.Register(s.api, huma.Operation{
		OperationID: "get-integrity-history",
		Method:      http.MethodGet,
		Path:        "/api/v1/integrity/bodies/{uscc}/scores",
		Summary:     "A government body's integrity scores, month by month",
		Description: "Every month the body was scored, oldest first, each with its dimensions and every event's contribution.",
		Tags:        []string{"integrity"},
		Security:    secSignedIn,
		Errors:      with(errsGuarded, http.StatusNotFound),
	}, func(ctx context.Context, in *IntegrityBodyInput) (*IntegrityHistoryOutput, error) {
		b, err := body(ctx, in.USCC)
		if err != nil {
			return nil, err
		}
		hist, err := s.integ().History(ctx, b.ID)
		if err != nil {
			return nil, err
		}
		sc, err := s.integ().Scope(ctx)
		if err != nil {
			return nil, err
		}
		out := &IntegrityHistoryOutput{}
		out.Body.USCC, out.Body.Name, out.Body.Group, out.Body.GroupLabel = b.USCC, b.Name, b.Group.Code, b.Group.Label
		out.Body.InScope = sc.Covers(s.integ().Model, b)
		out.Body.Scores = []IntegrityScoreItem{}
		for i, h := range hist {
			it := apiScore(h, true)
			if i > 0 {
				if p, _ := integrity.ParseMonth(h.Month); hist[i-1].Month == p.Add(-1).String() {
					c := (h.TotalPoints() - hist[i-1].TotalPoints()).Float()
					it.Change = &c
				}
			}
			out.Body.Scores = append(out.Body.Scores, it)
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-integrity-events",
		Method:      http.MethodGet,
		Path:        "/api/v1/integrity/bodies/{uscc}/events",
		Summary:     "A government body's integrity events (政务诚信档案)",
		Description: "Every event the platform holds about the body: reported integrity events and the platform's own records " +
			"that are events (a 失信被执行人 entry, a broken commitment, arrears), with what each did in the latest finished " +
			"month and the body's feedback.",
		Tags:     []string{"integrity"},
		Security: secSignedIn,
		Errors:   with(errsGuarded, http.StatusNotFound),
	}, func(ctx context.Context, in *IntegrityBodyInput) (*IntegrityEventsOutput, error) {
		b, err := body(ctx, in.USCC)
		if err != nil {
			return nil, err
		}
		f, err := s.integ().BodyFile(ctx, b)
		if err != nil {
			return nil, err
		}
		out := &IntegrityEventsOutput{}
		out.Body.USCC, out.Body.Name = b.USCC, b.Name
		if f.Latest != nil {
			out.Body.Month = f.Latest.Month
		}
		out.Body.Events = []IntegrityEventItem{}
		for _, e := range f.Events {
			it := IntegrityEventItem{RecordID: e.RecordID, Kind: e.Kind, Item: e.Item, Dimension: e.Dimension, Nature: e.Nature,
				Date: e.DateString(), RectifiedOn: e.RectifiedString(), HonourLevel: e.HonourLevel, Channel: e.Channel,
				Description: e.Description, DecisionNo: e.DecisionNo, Reporter: e.Reporter, ReporterName: e.ReporterName,
				Received: e.Received.String(), Serious: e.Serious, Lines: apiLines(e.Lines), Feedback: []IntegrityFeedbackItem{}}
			for _, fb := range e.Feedback {
				it.Feedback = append(it.Feedback, IntegrityFeedbackItem{ID: fb.ID, Result: fb.Result, Text: fb.Text, At: fb.At})
			}
			out.Body.Events = append(out.Body.Events, it)
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "post-integrity-feedback",
		Method:      http.MethodPost,
		Path:        "/api/v1/integrity/events/{id}/feedback",
		Summary:     "A government body's feedback on one of its integrity events (处理结果)",
		Description: "The body itself (its department's staff or its own account) says how it handled a problem: 已整改, 正在整改 " +
			"or 情况说明, with what it did. Feedback is appended, the last in force; a problem without feedback is open on the " +
			"credit office's dashboard and in the monthly report. A rectification that ends a bad event's effect on the score " +
			"is reported through intake (整改或修复日期), not here.",
		Tags:          []string{"integrity"},
		Security:      secSignedIn,
		Errors:        errsCase,
		MaxBodyBytes:  maxIntegrityFeedbackBytes,
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *IntegrityFeedbackInput) (*IntegrityFeedbackOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		f, err := s.integ().AddFeedback(ctx, principalFrom(ctx), in.ID, in.Body.Result, in.Body.Text)
		if err != nil {
			return nil, err
		}
		return &IntegrityFeedbackOutput{Body: IntegrityFeedbackItem{ID: f.ID, Result: f.Result, Text: f.Text, At: f.At}}, nil
	})
}
