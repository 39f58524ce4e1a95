package integrity

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

// Scored is a stored score with its explanation decoded.
type Scored struct {
	store.IntegrityScore
	Result     Result
	GroupLabel string
}

// TotalPoints is the total as Points.
func (s Scored) TotalPoints() Points { return Points(s.Total) }

func decode(sc store.IntegrityScore) (Scored, error) {
	out := Scored{IntegrityScore: sc, GroupLabel: GroupLabel(sc.Group)}
	if err := json.Unmarshal(sc.Detail, &out.Result); err != nil {
		return out, fmt.Errorf("score of %d in %s: %w", sc.SubjectID, sc.Month, err)
	}
	return out, nil
}

// Dim returns the score of a dimension.
func (s Scored) Dim(code string) DimensionScore {
	for _, d := range s.Result.Dimensions {
		if d.Code == code {
			return d
		}
	}
	return DimensionScore{}
}

// Resource is what an authorisation decision about a body names: its
// organisation (the department of the tree whose USCC it has, else the
// deepest region holding its division, else the operator) and its
// subject, for a body's own account.
func (s *Service) Resource(ctx context.Context, b Body) (auth.Resource, error) {
	of, err := s.Resources(ctx)
	if err != nil {
		return auth.Resource{}, err
	}
	return of(b), nil
}

// Resources reads the organisation tree once and returns Resource for any
// number of bodies (a dashboard decides for every body of a month).
func (s *Service) Resources(ctx context.Context) (func(Body) auth.Resource, error) {
	orgs, err := s.Store.ListOrgs(ctx, "")
	if err != nil {
		return nil, err
	}
	byUSCC := map[string]string{}
	root := ""
	for _, o := range orgs {
		switch o.Kind {
		case auth.Dept:
			if o.USCC != "" {
				byUSCC[o.USCC] = o.Path
			}
		case auth.Operator:
			root = o.Path
		}
	}
	return func(b Body) auth.Resource {
		res := auth.Resource{SubjectID: b.ID, OrgPath: root}
		if p, ok := byUSCC[b.USCC]; ok {
			res.OrgPath = p
			return res
		}
		best := ""
		for _, o := range orgs {
			if o.Kind == auth.Region && (o.Region == b.Region || auth.WithinRegion(o.Region, b.Region)) && len(o.Path) > len(best) {
				best = o.Path
			}
		}
		if best != "" {
			res.OrgPath = best
		}
		return res
	}, nil
}

// Body finds a government body by its USCC (in scope or not).
func (s *Service) Body(ctx context.Context, uscc string) (Body, error) {
	sub, err := s.Store.FindSubjectByCode(ctx, uscc)
	if err != nil {
		return Body{}, err
	}
	if sub.Class != credit.ClassGov {
		return Body{}, fault.New(fault.NotFound, "该主体不是政府机构")
	}
	return s.Model.BodyOf(sub), nil
}

// decide asks the authorizer whether p may do a to the body (a denial is
// logged).
func (s *Service) decide(ctx context.Context, p auth.Principal, a auth.Action, b Body) (auth.Decision, error) {
	res, err := s.Resource(ctx, b)
	if err != nil {
		return auth.Decision{}, err
	}
	return s.Auth.Decide(p, a, res), nil
}

// Authorize returns a refusal (fault.Refused) unless p may do a to b.
func (s *Service) Authorize(ctx context.Context, p auth.Principal, a auth.Action, b Body) error {
	d, err := s.decide(ctx, p, a, b)
	if err != nil {
		return err
	}
	if !d.Allow {
		return fault.New(fault.Refused, d.Reason)
	}
	return nil
}

// Can is Authorize without logging a denial.
func (s *Service) Can(ctx context.Context, p auth.Principal, a auth.Action, b Body) bool {
	res, err := s.Resource(ctx, b)
	return err == nil && s.Auth.Can(p, a, res)
}

// LatestRun returns the latest month whose run is done (false: none).
func (s *Service) LatestRun(ctx context.Context) (store.IntegrityRun, bool, error) {
	runs, err := s.Store.IntegrityRuns(ctx)
	if err != nil {
		return store.IntegrityRun{}, false, err
	}
	for _, r := range runs {
		if r.State == store.RunDone {
			return r, true, nil
		}
	}
	return store.IntegrityRun{}, false, nil
}

// Scores returns the month's scores, decoded, in group, rank order.
func (s *Service) Scores(ctx context.Context, month Month) ([]Scored, error) {
	raw, err := s.Store.IntegrityScores(ctx, month.String())
	if err != nil {
		return nil, err
	}
	out := make([]Scored, 0, len(raw))
	for _, r := range raw {
		sc, err := decode(r)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// History returns a body's scores, oldest month first.
func (s *Service) History(ctx context.Context, bodyID int64) ([]Scored, error) {
	raw, err := s.Store.IntegrityHistory(ctx, bodyID)
	if err != nil {
		return nil, err
	}
	out := make([]Scored, 0, len(raw))
	for _, r := range raw {
		sc, err := decode(r)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// EventView is an event in a body's archive (政务诚信档案) with what the
// latest score did with it and the body's feedback.
type EventView struct {
	Event
	Dimension string // name
	Serious   bool
	Source    string // 监测对象报送 / 平台已归集的…
	// Lines are the contributions of the event in the month shown (none
	// when it is outside that month's window).
	Lines    []Contribution
	Feedback []store.IntegrityFeedback
}

// Counted reports whether the event counts in the month shown.
func (v EventView) Counted() bool {
	return slices.ContainsFunc(v.Lines, func(c Contribution) bool { return c.Counted && !c.Bonus })
}

// Open reports whether the event is a problem without feedback: a bad
// event that counts and that the body has not answered.
func (v EventView) Open() bool { return v.Nature == Bad && v.Counted() && len(v.Feedback) == 0 }

// LastFeedback is the feedback in force (nil: none).
func (v EventView) LastFeedback() *store.IntegrityFeedback {
	if len(v.Feedback) == 0 {
		return nil
	}
	return &v.Feedback[len(v.Feedback)-1]
}

// DateString is the event date as text.
func (v EventView) DateString() string { return v.Date.String() }

// RectifiedString is the rectification date as text ("" when none).
func (v EventView) RectifiedString() string {
	if v.Rectified.IsZero() {
		return ""
	}
	return v.Rectified.String()
}

// File is a body's 政务诚信档案: its scores and every event the platform
// holds about it.
type File struct {
	Body     Body
	InScope  bool
	Latest   *Scored // the latest finished run's score (nil: none)
	Previous *Scored // the month before it
	History  []Scored
	Events   []EventView // newest first
	Alerts   []store.IntegrityAlert
}

// Open lists the file's open problems.
func (f File) Open() []EventView {
	var out []EventView
	for _, e := range f.Events {
		if e.Open() {
			out = append(out, e)
		}
	}
	return out
}

// BodyFile assembles a body's archive as known now.
func (s *Service) BodyFile(ctx context.Context, b Body) (File, error) {
	f := File{Body: b}
	sc, err := s.Scope(ctx)
	if err != nil {
		return f, err
	}
	f.InScope = sc.Covers(s.Model, b)
	if f.History, err = s.History(ctx, b.ID); err != nil {
		return f, err
	}
	runs, err := s.Store.IntegrityRuns(ctx)
	if err != nil {
		return f, err
	}
	done := map[string]bool{}
	for _, r := range runs {
		done[r.Month] = r.State == store.RunDone
	}
	for i := len(f.History) - 1; i >= 0; i-- {
		if done[f.History[i].Month] {
			f.Latest = &f.History[i]
			if i > 0 {
				f.Previous = &f.History[i-1]
			}
			break
		}
	}
	var lines []Contribution
	if f.Latest != nil {
		lines = f.Latest.Result.Events
	}
	if f.Events, err = s.eventViews(ctx, b, s.now(), lines); err != nil {
		return f, err
	}
	if f.Alerts, err = s.Store.IntegrityAlerts(ctx, b.ID, 50); err != nil {
		return f, err
	}
	return f, nil
}

// eventViews reads a body's events as known at asOf, newest first, with
// their lines and feedback.
func (s *Service) eventViews(ctx context.Context, b Body, asOf time.Time, lines []Contribution) ([]EventView, error) {
	byBody, err := s.Events(ctx, []Body{b}, asOf)
	if err != nil {
		return nil, err
	}
	evs := byBody[b.ID]
	ids := make([]int64, len(evs))
	for i, e := range evs {
		ids[i] = e.RecordID
	}
	fbs, err := s.Store.IntegrityFeedbackOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]EventView, len(evs))
	for i, e := range evs {
		v := EventView{Event: e, Source: "报送单位报送"}
		if it, ok := s.Model.Item(e.Item); ok {
			v.Dimension, v.Serious = s.Model.DimensionOf(it).Name, it.Serious && e.Nature == Bad
		}
		if e.Kind != EventKind {
			v.Source = "平台已归集的" + s.kindName(e.Kind)
		} else if e.Reporter == b.USCC {
			v.Source = "监测对象主动报送"
		}
		for _, c := range lines {
			if c.RecordID == e.RecordID {
				v.Lines = append(v.Lines, c)
			}
		}
		for _, f := range fbs {
			if f.RecordID == e.RecordID {
				v.Feedback = append(v.Feedback, f)
			}
		}
		out[i] = v
	}
	slices.SortFunc(out, func(a, b EventView) int { return cmp.Or(b.Date.Compare(a.Date), cmp.Compare(b.RecordID, a.RecordID)) })
	return out, nil
}

func (s *Service) kindName(code string) string {
	if k, ok := s.Catalog.Kind(code); ok {
		return k.Name
	}
	return code
}

// Move is a line of a report's explanation of the change from the month
// before: an event whose points differ between the two months.
type Move struct {
	Contribution
	Before Points // its points the month before (0 when it was not listed)
	Change Points // Points - Before
	Why    string // 新增, 移出评价期, …
}

// Report is a body's monthly report.
type Report struct {
	Body     Body
	Month    Month
	Run      store.IntegrityRun
	Score    Scored
	Previous *Scored // the month before (nil: not scored)
	Change   Points  // total minus the month before's
	Moves    []Move  // the events that moved the score, biggest first
	Events   []EventView
	Open     []EventView // problems without feedback
	Model    *Model
}

// FeedbackOf is the feedback in force on an event of the report, as
// "结果：情况" ("" when none).
func (r Report) FeedbackOf(recordID int64) string {
	for _, e := range r.Events {
		if e.RecordID == recordID {
			if f := e.LastFeedback(); f != nil {
				return f.Result + "：" + f.Text
			}
		}
	}
	return ""
}

// DimChange is a dimension's change from the month before.
func (r Report) DimChange(code string) Points {
	if r.Previous == nil {
		return 0
	}
	return r.Score.Dim(code).Score - r.Previous.Dim(code).Score
}

// MonthReport builds a body's report of a month whose run is done.
func (s *Service) MonthReport(ctx context.Context, b Body, month Month) (Report, error) {
	rep := Report{Body: b, Month: month, Model: s.Model}
	run, err := s.Store.GetIntegrityRun(ctx, month.String())
	if errors.Is(err, store.ErrNotFound) || err == nil && run.State != store.RunDone {
		return rep, fault.Newf(fault.NotFound, "%s尚未完成评分", month.Label())
	}
	if err != nil {
		return rep, err
	}
	rep.Run = run
	hist, err := s.History(ctx, b.ID)
	if err != nil {
		return rep, err
	}
	found := false
	for i := range hist {
		switch hist[i].Month {
		case month.String():
			rep.Score, found = hist[i], true
		case month.Add(-1).String():
			rep.Previous = &hist[i]
		}
	}
	if !found {
		return rep, fault.Newf(fault.NotFound, "%s不在%s的监测范围内", b.Name, month.Label())
	}
	if rep.Previous != nil {
		rep.Change = rep.Score.TotalPoints() - rep.Previous.TotalPoints()
	}
	rep.Moves = moves(rep.Score.Result.Events, rep.Previous)
	if rep.Events, err = s.eventViews(ctx, b, run.AsOf, rep.Score.Result.Events); err != nil {
		return rep, err
	}
	for _, e := range rep.Events {
		if e.Open() {
			rep.Open = append(rep.Open, e)
		}
	}
	return rep, nil
}

// moves compares a month's lines with the month before's.
func moves(now []Contribution, prev *Scored) []Move {
	type key struct {
		id    int64
		kind  string
		bonus bool
	}
	before := map[key]Contribution{}
	if prev != nil {
		for _, c := range prev.Result.Events {
			before[key{c.RecordID, c.Kind, c.Bonus}] = c
		}
	}
	var out []Move
	seen := map[key]bool{}
	for _, c := range now {
		k := key{c.RecordID, c.Kind, c.Bonus}
		seen[k] = true
		b, had := before[k]
		m := Move{Contribution: c, Before: b.Points, Change: c.Points - b.Points}
		switch {
		case !had && c.Points != 0:
			m.Why = "本月新计入"
		case had && b.Counted && !c.Counted:
			m.Why = c.Rule
		case m.Change != 0:
			m.Why = "计分变化：" + c.Rule
		default:
			continue
		}
		out = append(out, m)
	}
	if prev != nil {
		for _, c := range prev.Result.Events {
			if k := (key{c.RecordID, c.Kind, c.Bonus}); !seen[k] && c.Points != 0 {
				out = append(out, Move{Contribution: c, Before: c.Points, Change: -c.Points, Why: "超出评价期（连续12个月），不再计入"})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Move) int { return cmp.Compare(abs(b.Change), abs(a.Change)) })
	return out
}

func abs(p Points) Points {
	if p < 0 {
		return -p
	}
	return p
}

// Feedback results (处理结果).
var FeedbackResults = []string{"已整改", "正在整改", "情况说明"}

// maxFeedback bounds the text of a feedback, in characters.
const maxFeedback = 2000

// AddFeedback files a body's feedback on one of its events.
func (s *Service) AddFeedback(ctx context.Context, p auth.Principal, recordID int64, result, text string) (store.IntegrityFeedback, error) {
	r, err := s.Store.GetRecord(ctx, recordID)
	if err != nil {
		return store.IntegrityFeedback{}, err
	}
	sub, err := s.Store.GetSubject(ctx, r.SubjectID)
	if err != nil {
		return store.IntegrityFeedback{}, err
	}
	if sub.Class != credit.ClassGov {
		return store.IntegrityFeedback{}, fault.New(fault.NotFound, "该信息不是政务诚信信息")
	}
	if _, ok, err := s.eventOf(r); err != nil || !ok {
		if err == nil {
			err = fault.New(fault.NotFound, "该信息不是政务诚信信息")
		}
		return store.IntegrityFeedback{}, err
	}
	b := s.Model.BodyOf(sub)
	if err := s.Authorize(ctx, p, auth.IntegrityFeedback, b); err != nil {
		return store.IntegrityFeedback{}, err
	}
	text = strings.TrimSpace(text)
	var details []fault.Field
	if !slices.Contains(FeedbackResults, result) {
		details = append(details, fault.Field{Field: "result", Reason: "处理结果应为" + strings.Join(FeedbackResults, "、") + "之一"})
	}
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		details = append(details, fault.Field{Field: "text", Reason: "请填写处理情况"})
	case n > maxFeedback:
		details = append(details, fault.Field{Field: "text", Reason: fmt.Sprintf("处理情况不能超过%d个字", maxFeedback)})
	default:
		if reason := credit.BidiReason(text); reason != "" {
			details = append(details, fault.Field{Field: "text", Reason: "处理情况" + reason})
		}
	}
	if len(details) > 0 {
		return store.IntegrityFeedback{}, fault.New(fault.Invalid, "反馈未能提交："+details[0].Reason, details...)
	}
	return s.Store.AddIntegrityFeedback(ctx, store.IntegrityFeedback{RecordID: r.ID, SubjectID: sub.ID, Result: result, Text: text,
		Actor: p.String(), OrgID: p.Org.ID}, auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: auth.AuditIntegrity,
		SubjectID: sub.ID, Outcome: "feedback", Detail: result})
}

// CanRun reports whether p may start a monthly run: it scores every body,
// so it takes integrity.manage over the whole tree (the province's credit
// office at the operator), not over a city.
func (s *Service) CanRun(ctx context.Context, p auth.Principal) (auth.Decision, error) {
	root, err := s.Store.RootOrg(ctx, auth.Operator.Label())
	if err != nil {
		return auth.Decision{}, err
	}
	return s.Auth.Decide(p, auth.IntegrityManage, auth.Resource{OrgPath: root.Path}), nil
}

// StartRun runs a month for a principal who may (CanRun: the credit
// office's button), with its audit entry.
func (s *Service) StartRun(ctx context.Context, p auth.Principal, month Month) (RunSummary, error) {
	d, err := s.CanRun(ctx, p)
	if err != nil {
		return RunSummary{}, err
	}
	if !d.Allow {
		return RunSummary{}, fault.New(fault.Refused, "只有全平台的政务诚信监测员可以启动月度评分："+d.Reason)
	}
	sum, err := s.Run(ctx, month, RunOptions{StartedBy: p.String()})
	if err != nil {
		return sum, err
	}
	s.audit(ctx, p, "run", "integrity.run:"+month.String(), 0, fmt.Sprintf("评分%s：%d个监测对象", month.Label(), sum.Bodies))
	return sum, nil
}

// Today is the day in China now, by the service's clock.
func (s *Service) Today() calendar.Date { return calendar.FromTime(s.now()) }

// Annual is the annual summary report of the province (综合报告, 1072号文:
// 每年形成政务诚信监测评价综合报告报省政府).
type Annual struct {
	Year   int
	Months []string // months of the year with a finished run
	Groups []AnnualGroup
	Items  []ItemCount // bad events per item over the year, most first
	Bodies int
	// Average is the mean of the bodies' yearly averages.
	Average Points
}

// AnnualGroup is a peer group's year.
type AnnualGroup struct {
	Code, Label string
	Rows        []AnnualRow // best yearly average first
	Average     Points
}

// AnnualRow is a body's year.
type AnnualRow struct {
	USCC, Name string
	SubjectID  int64
	Months     int
	Average    Points // of its monthly totals
	Last       Points // its last month's total
	Min, Max   Points
	Bad        int // bad events that counted in the year
	Good       int // good events that counted
	Rank       int // by Average within the group
}

// ItemCount counts events of an item.
type ItemCount struct {
	Item      string
	Dimension string
	Bad       int
	Good      int
}

// AnnualReport sums up a year from its finished monthly runs.
func (s *Service) AnnualReport(ctx context.Context, year int) (Annual, error) {
	a := Annual{Year: year}
	runs, err := s.Store.IntegrityRuns(ctx)
	if err != nil {
		return a, err
	}
	type acc struct {
		row      AnnualRow
		group    string
		sum      int64
		bad, gd  map[int64]bool
		lastMon  string
		lastTot  Points
		min, max Points
	}
	bodies := map[int64]*acc{}
	items := map[string]*ItemCount{}
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		if r.State != store.RunDone || !strings.HasPrefix(r.Month, fmt.Sprintf("%04d-", year)) {
			continue
		}
		m, err := ParseMonth(r.Month)
		if err != nil {
			return a, err
		}
		a.Months = append(a.Months, r.Month)
		scores, err := s.Scores(ctx, m)
		if err != nil {
			return a, err
		}
		for _, sc := range scores {
			b := bodies[sc.SubjectID]
			if b == nil {
				b = &acc{row: AnnualRow{USCC: sc.USCC, Name: sc.Name, SubjectID: sc.SubjectID}, bad: map[int64]bool{}, gd: map[int64]bool{},
					min: sc.TotalPoints(), max: sc.TotalPoints()}
				bodies[sc.SubjectID] = b
			}
			b.group, b.row.Name = sc.Group, sc.Name
			b.row.Months++
			b.sum += sc.Total
			b.lastTot = sc.TotalPoints()
			b.min, b.max = min(b.min, sc.TotalPoints()), max(b.max, sc.TotalPoints())
			for _, c := range sc.Result.Events {
				if !c.Counted || c.Bonus {
					continue
				}
				ic := items[c.Item]
				if ic == nil {
					ic = &ItemCount{Item: c.Item}
					if it, ok := s.Model.Item(c.Item); ok {
						ic.Dimension = s.Model.DimensionOf(it).Name
					}
					items[c.Item] = ic
				}
				set := b.gd
				if c.Nature == Bad {
					set = b.bad
				}
				if !set[c.RecordID] {
					set[c.RecordID] = true
					if c.Nature == Bad {
						ic.Bad++
					} else {
						ic.Good++
					}
				}
			}
		}
	}
	groups := map[string]*AnnualGroup{}
	var total Points
	for _, b := range bodies {
		row := b.row
		row.Average = Points(b.sum / int64(row.Months))
		row.Last, row.Min, row.Max, row.Bad, row.Good = b.lastTot, b.min, b.max, len(b.bad), len(b.gd)
		g := groups[b.group]
		if g == nil {
			g = &AnnualGroup{Code: b.group, Label: GroupLabel(b.group)}
			groups[b.group] = g
		}
		g.Rows = append(g.Rows, row)
		total += row.Average
	}
	a.Bodies = len(bodies)
	if a.Bodies > 0 {
		a.Average = total / Points(a.Bodies)
	}
	for _, code := range GroupOrder {
		g := groups[code]
		if g == nil {
			continue
		}
		slices.SortFunc(g.Rows, func(x, y AnnualRow) int {
			return cmp.Or(cmp.Compare(y.Average, x.Average), cmp.Compare(x.USCC, y.USCC))
		})
		var sum Points
		for i := range g.Rows {
			sum += g.Rows[i].Average
			g.Rows[i].Rank = i + 1
			if i > 0 && g.Rows[i-1].Average == g.Rows[i].Average {
				g.Rows[i].Rank = g.Rows[i-1].Rank
			}
		}
		g.Average = sum / Points(len(g.Rows))
		a.Groups = append(a.Groups, *g)
	}
	for _, ic := range items {
		a.Items = append(a.Items, *ic)
	}
	slices.SortFunc(a.Items, func(x, y ItemCount) int {
		return cmp.Or(cmp.Compare(y.Bad, x.Bad), cmp.Compare(y.Good, x.Good), cmp.Compare(x.Item, y.Item))
	})
	return a, nil
}
