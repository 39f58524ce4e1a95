package web

import (
	"context"
	"errors"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/integrity"
	"github.com/xinyong/xinyong/internal/store"
)

// Government-integrity monitoring pages (政务诚信监测): the credit office's
// dashboard (rankings by peer group, trends, open problems, alerts, the
// monthly run and the scope), each body's own page (scores, history,
// events, feedback), the monthly report that prints, the annual summary
// and the form a department reports an event with (through intake).

func (s *Server) registerIntegrity(mux *http.ServeMux) {
	s.registerIntegrityAPI()
	if s.opts.Integrity == nil {
		return
	}
	mux.HandleFunc("GET /integrity", s.integrityHome)
	mux.HandleFunc("POST /integrity/run", s.integrityRun)
	mux.HandleFunc("POST /integrity/scope", s.integrityScopeAdd)
	mux.HandleFunc("POST /integrity/scope/{id}/remove", s.integrityScopeRemove)
	mux.HandleFunc("GET /integrity/annual", s.integrityAnnual)
	mux.HandleFunc("GET /integrity/bodies/{uscc}", s.integrityBody)
	mux.HandleFunc("GET /integrity/bodies/{uscc}/report", s.integrityReport)
	mux.HandleFunc("POST /integrity/events/{id}/feedback", s.integrityFeedback)
	mux.HandleFunc("GET /integrity/events/new", s.integrityEventForm)
	mux.HandleFunc("POST /integrity/events/new", s.integrityEventSubmit)
}

func (s *Server) integ() *integrity.Service { return s.opts.Integrity }

// ownBody is the government body a principal acts for: a body's own
// account (subject user), or the department of the tree whose USCC is a
// government body's.
func (s *Server) ownBody(ctx context.Context, p auth.Principal) (integrity.Body, bool) {
	var sub credit.Subject
	var err error
	switch {
	case p.SubjectID != 0:
		sub, err = s.opts.Store.GetSubject(ctx, p.SubjectID)
	case p.Org.Kind == auth.Dept && p.Org.USCC != "":
		sub, err = s.opts.Store.FindSubjectByCode(ctx, p.Org.USCC)
	default:
		return integrity.Body{}, false
	}
	if err != nil || sub.Class != credit.ClassGov {
		return integrity.Body{}, false
	}
	return s.integ().Model.BodyOf(sub), true
}

// canManageIntegrity reports whether p is the credit office (may run the
// scoring and set the scope over its organisation).
func (s *Server) canManageIntegrity(p auth.Principal) bool {
	return p.Kind == auth.UserKind && s.opts.Authorizer != nil && s.opts.Authorizer.Can(p, auth.IntegrityManage, auth.Resource{OrgPath: p.Org.Path})
}

// dashRow is a body's line in a ranking.
type dashRow struct {
	integrity.Scored
	Change    integrity.Points
	HasChange bool
	Open      int
}

// dashGroup is a peer group's ranking.
type dashGroup struct {
	Code, Label string
	Rows        []dashRow
	Average     integrity.Points
}

// openProblem is a bad event that counts and has no feedback.
type openProblem struct {
	USCC, Name string
	Line       integrity.Contribution
}

// alertRow is a risk alert with its body.
type alertRow struct {
	store.IntegrityAlert
	USCC, Name string
	Answered   bool
}

// scopeRow is a scope entry as the dashboard lists it.
type scopeRow struct {
	ID   int64
	Desc string
}

type integrityDash struct {
	Month     integrity.Month
	Run       store.IntegrityRun
	HasRun    bool
	Months    []string // finished months, latest first
	Groups    []dashGroup
	Trend     template.HTML
	TrendRows []trendRow
	Open      []openProblem
	Alerts    []alertRow
	Scope     []scopeRow
	Orgs      []auth.Org
	RunMonth  string // default of the run form
	Model     *integrity.Model
	Done      string
	AsOf      string
	CanRun    bool
}

// trendRow is a month of the trend table (the chart's figures).
type trendRow struct {
	Month  string
	Values []string
}

func (s *Server) integrityHome(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !s.canManageIntegrity(p) {
		if b, ok := s.ownBody(r.Context(), p); ok {
			http.Redirect(w, r, "/integrity/bodies/"+b.USCC, http.StatusSeeOther)
			return
		}
		s.forbidden(w, r, s.decide(p, auth.IntegrityManage, auth.Resource{OrgPath: p.Org.Path}))
		return
	}
	ctx := r.Context()
	svc := s.integ()
	d := integrityDash{Model: svc.Model, RunMonth: integrity.MonthOf(svc.Today()).Add(-1).String(), Done: r.URL.Query().Get("done")}
	runs, err := s.opts.Store.IntegrityRuns(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	for _, run := range runs {
		if run.State == store.RunDone {
			d.Months = append(d.Months, run.Month)
		}
	}
	if q := r.URL.Query().Get("month"); q != "" {
		m, err := integrity.ParseMonth(q)
		if err != nil {
			s.pageError(w, r, fault.New(fault.Invalid, err.Error()))
			return
		}
		d.Month = m
	} else if len(d.Months) > 0 {
		d.Month, _ = integrity.ParseMonth(d.Months[0])
	}
	for _, run := range runs {
		if run.Month == d.Month.String() && run.State == store.RunDone {
			d.Run, d.HasRun = run, true
			d.AsOf = beijing(run.AsOf)
		}
	}
	if d.HasRun {
		if err := s.fillDash(ctx, p, &d); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	if err := s.fillScope(ctx, p, &d); err != nil {
		s.pageError(w, r, err)
		return
	}
	if s.opts.Authorizer != nil {
		root, err := s.opts.Store.RootOrg(ctx, auth.Operator.Label())
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		d.CanRun = s.opts.Authorizer.Can(p, auth.IntegrityManage, auth.Resource{OrgPath: root.Path})
	}
	s.render(w, r, http.StatusOK, "integrity", "政务诚信监测", d)
}

// visible keeps the scores p may read (a city's office sees its city's
// bodies); resources are looked up once per body.
func (s *Server) visible(ctx context.Context, p auth.Principal, scores []integrity.Scored) ([]integrity.Scored, error) {
	of, err := s.integ().Resources(ctx)
	if err != nil {
		return nil, err
	}
	var out []integrity.Scored
	for _, sc := range scores {
		b := integrity.Body{ID: sc.SubjectID, USCC: sc.USCC, Name: sc.Name, Region: sc.Region}
		if s.opts.Authorizer.Can(p, auth.IntegrityRead, of(b)) {
			out = append(out, sc)
		}
	}
	return out, nil
}

func (s *Server) fillDash(ctx context.Context, p auth.Principal, d *integrityDash) error {
	svc := s.integ()
	scores, err := svc.Scores(ctx, d.Month)
	if err != nil {
		return err
	}
	if scores, err = s.visible(ctx, p, scores); err != nil {
		return err
	}
	prev, err := s.opts.Store.IntegrityScores(ctx, d.Month.Add(-1).String())
	if err != nil {
		return err
	}
	before := map[int64]int64{}
	for _, sc := range prev {
		before[sc.SubjectID] = sc.Total
	}
	var bad []int64
	for _, sc := range scores {
		for _, c := range sc.Result.Events {
			if c.Counted && !c.Bonus && c.Nature == integrity.Bad {
				bad = append(bad, c.RecordID)
			}
		}
	}
	fbs, err := s.opts.Store.IntegrityFeedbackOf(ctx, bad)
	if err != nil {
		return err
	}
	answered := map[int64]bool{}
	for _, f := range fbs {
		answered[f.RecordID] = true
	}
	groups := map[string]*dashGroup{}
	for _, sc := range scores {
		g := groups[sc.Group]
		if g == nil {
			g = &dashGroup{Code: sc.Group, Label: sc.GroupLabel}
			groups[sc.Group] = g
		}
		row := dashRow{Scored: sc}
		if t, ok := before[sc.SubjectID]; ok {
			row.Change, row.HasChange = integrity.Points(sc.Total-t), true
		}
		for _, c := range sc.Result.Events {
			if c.Counted && !c.Bonus && c.Nature == integrity.Bad && !answered[c.RecordID] {
				row.Open++
				d.Open = append(d.Open, openProblem{USCC: sc.USCC, Name: sc.Name, Line: c})
			}
		}
		g.Rows = append(g.Rows, row)
		g.Average += sc.TotalPoints()
	}
	for _, code := range integrity.GroupOrder {
		if g := groups[code]; g != nil {
			g.Average /= integrity.Points(len(g.Rows))
			d.Groups = append(d.Groups, *g)
		}
	}
	slices.SortStableFunc(d.Open, func(a, b openProblem) int { return strings.Compare(b.Line.Date, a.Line.Date) })
	// Trends: the average of each group over the 12 months up to this one.
	from := d.Month.Add(-11)
	trends, err := s.opts.Store.IntegrityTrends(ctx, from.String(), d.Month.String())
	if err != nil {
		return err
	}
	var labels []string
	for m := from; !d.Month.Before(m); m = m.Add(1) {
		labels = append(labels, m.String())
	}
	var series []chartSeries
	for _, g := range d.Groups {
		vals := make([]float64, len(labels))
		for i := range vals {
			vals[i] = math.NaN()
		}
		for _, t := range trends {
			if t.Group == g.Code && t.Bodies > 0 {
				vals[slices.Index(labels, t.Month)] = float64(t.Sum) / float64(t.Bodies) / 100
			}
		}
		series = append(series, chartSeries{Name: g.Label + "平均分", Values: vals})
	}
	lo := 100.0
	for _, sr := range series {
		for _, v := range sr.Values {
			if !math.IsNaN(v) {
				lo = min(lo, v)
			}
		}
	}
	full := svc.Model.Full().Float()
	d.Trend = lineChart("各类监测对象月度平均分趋势（"+from.Label()+"至"+d.Month.Label()+"）", labels, series, math.Floor(min(lo, full)/10)*10-10, full, nil)
	for i, l := range labels {
		row := trendRow{Month: l}
		for _, sr := range series {
			v := "—"
			if !math.IsNaN(sr.Values[i]) {
				v = trimFloat(sr.Values[i])
			}
			row.Values = append(row.Values, v)
		}
		d.TrendRows = append(d.TrendRows, row)
	}
	alerts, err := s.opts.Store.IntegrityAlerts(ctx, 0, 50)
	if err != nil {
		return err
	}
	var ids []int64
	for _, a := range alerts {
		ids = append(ids, a.RecordID)
	}
	afb, err := s.opts.Store.IntegrityFeedbackOf(ctx, ids)
	if err != nil {
		return err
	}
	for _, f := range afb {
		answered[f.RecordID] = true
	}
	of, err := svc.Resources(ctx)
	if err != nil {
		return err
	}
	for _, a := range alerts {
		sub, err := s.opts.Store.GetSubject(ctx, a.SubjectID)
		if err != nil {
			continue
		}
		b := svc.Model.BodyOf(sub)
		if s.opts.Authorizer.Can(p, auth.IntegrityRead, of(b)) {
			d.Alerts = append(d.Alerts, alertRow{IntegrityAlert: a, USCC: b.USCC, Name: b.Name, Answered: answered[a.RecordID]})
		}
	}
	// The queue: alerts still waiting for the body's answer first.
	slices.SortStableFunc(d.Alerts, func(a, b alertRow) int {
		switch {
		case a.Answered == b.Answered:
			return 0
		case !a.Answered:
			return -1
		}
		return 1
	})
	return nil
}

func (s *Server) fillScope(ctx context.Context, p auth.Principal, d *integrityDash) error {
	sc, err := s.integ().Scope(ctx)
	if err != nil {
		return err
	}
	for _, e := range sc.Entries {
		d.Scope = append(d.Scope, scopeRow{ID: e.ID, Desc: e.Describe(sc.Orgs[e.OrgID])})
	}
	orgs, err := s.opts.Store.ListOrgs(ctx, p.Org.Path)
	if err != nil {
		return err
	}
	for _, o := range orgs {
		if !o.Disabled {
			d.Orgs = append(d.Orgs, o)
		}
	}
	return nil
}

// beijing formats a time in Beijing time, to the minute.
func beijing(t time.Time) string { return t.In(calendar.Location()).Format("2006-01-02 15:04") }

// integrityPost checks a signed-in form of the credit office.
func (s *Server) integrityPost(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return p, false
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return p, false
	}
	if d := s.decide(p, auth.IntegrityManage, auth.Resource{OrgPath: p.Org.Path}); !d.Allow {
		s.forbidden(w, r, d)
		return p, false
	}
	return p, true
}

func (s *Server) integrityRun(w http.ResponseWriter, r *http.Request) {
	p, ok := s.integrityPost(w, r)
	if !ok {
		return
	}
	m, err := integrity.ParseMonth(strings.TrimSpace(r.PostFormValue("month")))
	if err != nil {
		s.pageError(w, r, fault.New(fault.Invalid, err.Error()))
		return
	}
	sum, err := s.integ().StartRun(r.Context(), p, m)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	done := m.Label() + "评分完成：" + strconv.Itoa(sum.Bodies) + "个监测对象"
	http.Redirect(w, r, "/integrity?month="+m.String()+"&done="+url.QueryEscape(done), http.StatusSeeOther)
}

func (s *Server) integrityScopeAdd(w http.ResponseWriter, r *http.Request) {
	p, ok := s.integrityPost(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PostFormValue("org"), 10, 64)
	if err != nil {
		s.pageError(w, r, fault.New(fault.Invalid, "请选择机构"))
		return
	}
	o, err := s.opts.Store.GetOrg(ctx, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if !p.Org.Contains(o) {
		s.forbidden(w, r, auth.Decision{Reason: "只能在本机构及下级机构上设置监测范围"})
		return
	}
	e := integrity.ScopeEntry{OrgID: o.ID, Cover: r.PostFormValue("cover"), Depth: r.PostFormValue("depth")}
	if err := e.Validate(o); err != nil {
		s.pageError(w, r, fault.New(fault.Invalid, err.Error()))
		return
	}
	_, err = s.opts.Store.AddIntegrityScope(ctx, store.IntegrityScopeEntry{OrgID: o.ID, Cover: e.Cover, Depth: e.Depth},
		auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: auth.AuditIntegrity, Outcome: "scope", Detail: "监测范围：" + e.Describe(o)})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/integrity?done="+url.QueryEscape("已加入监测范围："+e.Describe(o))+"#scope", http.StatusSeeOther)
}

func (s *Server) integrityScopeRemove(w http.ResponseWriter, r *http.Request) {
	p, ok := s.integrityPost(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	sc, err := s.integ().Scope(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	i := slices.IndexFunc(sc.Entries, func(e integrity.ScopeEntry) bool { return e.ID == id })
	if i < 0 {
		s.notFound(w, r)
		return
	}
	if o := sc.Orgs[sc.Entries[i].OrgID]; !p.Org.Contains(o) {
		s.forbidden(w, r, auth.Decision{Reason: "只能移除本机构及下级机构上的监测范围设置"})
		return
	}
	if err := s.opts.Store.RemoveIntegrityScope(r.Context(), id, auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID,
		Action: auth.AuditIntegrity, Outcome: "scope", Detail: "移出监测范围：" + sc.Entries[i].Describe(sc.Orgs[sc.Entries[i].OrgID])}); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/integrity?done="+url.QueryEscape("已移除监测范围设置")+"#scope", http.StatusSeeOther)
}

// readableBody finds the body of the path and checks that p may read its
// monitoring.
func (s *Server) readableBody(w http.ResponseWriter, r *http.Request) (auth.Principal, integrity.Body, bool) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return p, integrity.Body{}, false
	}
	b, err := s.integ().Body(r.Context(), r.PathValue("uscc"))
	if err == nil {
		err = s.integ().Authorize(r.Context(), p, auth.IntegrityRead, b)
	}
	if err != nil {
		s.pageError(w, r, err)
		return p, b, false
	}
	return p, b, true
}

// bodyPage is a body's own page.
type bodyPage struct {
	integrity.File
	Chart       template.HTML
	CanFeedback bool
	Results     []string
	Done        string
	Ref         string // the credit file's reference
	Dims        []integrity.Dimension
	Change      integrity.Points
	HasChange   bool
}

func (s *Server) integrityBody(w http.ResponseWriter, r *http.Request) {
	p, b, ok := s.readableBody(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	svc := s.integ()
	f, err := svc.BodyFile(ctx, b)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := bodyPage{File: f, CanFeedback: svc.Can(ctx, p, auth.IntegrityFeedback, b), Results: integrity.FeedbackResults,
		Done: r.URL.Query().Get("done"), Dims: svc.Model.Dimensions, Ref: b.USCC}
	if f.Latest != nil && f.Previous != nil {
		d.Change, d.HasChange = f.Latest.TotalPoints()-f.Previous.TotalPoints(), true
	}
	d.Chart = historyChart(svc.Model, f.History)
	s.render(w, r, http.StatusOK, "integritybody", b.Name+" - 政务诚信", d)
}

// historyChart draws a body's last 12 scored months: the total and each
// dimension's score.
func historyChart(m *integrity.Model, hist []integrity.Scored) template.HTML {
	if len(hist) == 0 {
		return ""
	}
	last, _ := integrity.ParseMonth(hist[len(hist)-1].Month)
	from := last.Add(-11)
	var labels []string
	for mo := from; !last.Before(mo); mo = mo.Add(1) {
		labels = append(labels, mo.String())
	}
	total := chartSeries{Name: "总分", Values: make([]float64, len(labels))}
	for i := range total.Values {
		total.Values[i] = math.NaN()
	}
	for _, h := range hist {
		if i := slices.Index(labels, h.Month); i >= 0 {
			total.Values[i] = h.TotalPoints().Float()
		}
	}
	lo := m.Full().Float()
	for _, v := range total.Values {
		if !math.IsNaN(v) {
			lo = min(lo, v)
		}
	}
	return lineChart("月度总分（"+from.Label()+"至"+last.Label()+"）", labels, []chartSeries{total}, math.Floor(lo/10)*10-10, m.Full().Float(), nil)
}

func (s *Server) integrityReport(w http.ResponseWriter, r *http.Request) {
	_, b, ok := s.readableBody(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	var m integrity.Month
	if q := r.URL.Query().Get("month"); q != "" {
		var err error
		if m, err = integrity.ParseMonth(q); err != nil {
			s.pageError(w, r, fault.New(fault.Invalid, err.Error()))
			return
		}
	} else {
		run, ok, err := s.integ().LatestRun(ctx)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		if !ok {
			s.pageError(w, r, fault.New(fault.NotFound, "尚未进行政务诚信监测评分"))
			return
		}
		m, _ = integrity.ParseMonth(run.Month)
	}
	rep, err := s.integ().MonthReport(ctx, b, m)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "integrityreport", b.Name+m.Label()+"政务诚信监测报告", reportPage{Report: rep, AsOf: beijing(rep.Run.AsOf),
		Issued: beijing(time.Now())})
}

type reportPage struct {
	integrity.Report
	AsOf, Issued string
}

func (s *Server) integrityFeedback(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	f, err := s.integ().AddFeedback(r.Context(), p, id, r.PostFormValue("result"), r.PostFormValue("text"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	sub, err := s.opts.Store.GetSubject(r.Context(), f.SubjectID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	next := localPath(r.PostFormValue("next"), "/integrity/bodies/"+sub.USCC)
	sep := "?"
	if strings.Contains(next, "?") {
		sep = "&"
	}
	http.Redirect(w, r, next+sep+"done="+url.QueryEscape("已提交处理结果："+f.Result)+"#event-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (s *Server) integrityAnnual(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if d := s.decide(p, auth.IntegrityManage, auth.Resource{OrgPath: p.Org.Path}); !d.Allow {
		s.forbidden(w, r, d)
		return
	}
	year := s.integ().Today().Year
	if q := r.URL.Query().Get("year"); q != "" {
		y, err := strconv.Atoi(q)
		if err != nil || y < 2000 || y > 2099 {
			s.pageError(w, r, fault.New(fault.Invalid, "年份应为2000至2099之间的四位数字"))
			return
		}
		year = y
	}
	a, err := s.integ().AnnualReport(r.Context(), year)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "integrityannual", strconv.Itoa(year)+"年政务诚信监测评价综合报告", annualPage{Annual: a, Issued: beijing(time.Now())})
}

type annualPage struct {
	integrity.Annual
	Issued string
}

// eventFormData is the form a department reports an integrity event with.
type eventFormData struct {
	Kind    fieldsOf
	Items   []integrity.Item
	Values  map[string]string
	Errors  []ingest.RowError
	Done    string // the body's USCC after a report was filed
	Sender  auth.Org
	Natures []string
}

// fieldsOf gives the form the catalogue's field names and options.
type fieldsOf map[string]fieldInfo

type fieldInfo struct {
	Name     string
	Required bool
	Enum     []string
}

// eventFormFields are the form's inputs, by field key.
var eventFormFields = []string{"subject_name", "subject_uscc", "item", "nature", "event_date", "description", "channel",
	"rectified_on", "honour_level", "decision_no", "evidence", "reported_on"}

// eventSender checks a signed-in member of a department who may submit
// its records.
func (s *Server) eventSender(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return p, false
	}
	if s.opts.Importer == nil {
		s.pageError(w, r, errNotServed)
		return p, false
	}
	if p.Org.Kind != auth.Dept || p.Org.USCC == "" {
		s.forbidden(w, r, auth.Decision{Reason: "政务诚信信息由部门报送：请使用部门的账户"})
		return p, false
	}
	if d := s.decide(p, auth.RecordSubmit, auth.Resource{OrgPath: p.Org.Path, Kind: integrity.EventKind}); !d.Allow {
		s.forbidden(w, r, d)
		return p, false
	}
	return p, true
}

func (s *Server) eventForm(p auth.Principal, values map[string]string) eventFormData {
	d := eventFormData{Kind: fieldsOf{}, Items: s.integ().Model.Items, Values: values, Sender: p.Org}
	if k, ok := s.opts.Importer.Catalog.Kind(integrity.EventKind); ok {
		for _, f := range k.Fields {
			d.Kind[f.Key] = fieldInfo{Name: f.Name, Required: f.Required == "always", Enum: f.Enum}
		}
	}
	return d
}

func (s *Server) integrityEventForm(w http.ResponseWriter, r *http.Request) {
	p, ok := s.eventSender(w, r)
	if !ok {
		return
	}
	today := s.integ().Today().String()
	values := map[string]string{"event_date": today, "reported_on": today, "channel": "信息共享", "nature": "不良"}
	if b, ok := s.ownBody(r.Context(), p); ok && r.URL.Query().Get("own") != "" {
		values["subject_name"], values["subject_uscc"], values["channel"] = b.Name, b.USCC, "主动提供"
	}
	s.render(w, r, http.StatusOK, "integrityform", "报送政务诚信信息", s.eventForm(p, values))
}

func (s *Server) integrityEventSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.eventSender(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	values := map[string]string{}
	for _, key := range eventFormFields {
		values[key] = strings.TrimSpace(r.PostFormValue(key))
	}
	values["source_dept"], values["source_dept_uscc"] = p.Org.Name, p.Org.USCC
	obj := map[string]any{}
	for k, v := range values {
		if v != "" {
			obj[k] = v
		}
	}
	t, err := ingest.ObjectsTable([]map[string]any{obj})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	res, err := s.opts.Importer.Import(r.Context(), t, ingest.Options{Kind: integrity.EventKind, Dept: p.Org.USCC, Channel: "form", Outcomes: true})
	var he *ingest.HeaderError
	d := s.eventForm(p, values)
	switch {
	case errors.As(err, &he):
		d.Errors = []ingest.RowError{{Row: 1, Reason: he.Error()}}
	case err != nil:
		s.serviceError(w, r, "integrity event form", err)
		return
	case len(res.Rejected) > 0:
		d.Errors = res.Rejected
	}
	if d.Errors != nil {
		s.render(w, r, statusOf(fault.Invalid), "integrityform", "报送政务诚信信息", d)
		return
	}
	s.audit(r.Context(), p, auth.AuditEntry{Action: auth.AuditRecordSubmit, Target: "batch:" + strconv.FormatInt(res.Batch, 10), Outcome: "ok",
		Detail: integrity.EventKind + " 表单报送：" + values["item"]})
	// Alerts of a serious event are raised at once, not a minute later.
	if err := s.integ().RaiseAlerts(r.Context()); err != nil {
		s.opts.Log.Error("integrity alerts", "err", err)
	}
	today := s.integ().Today().String()
	d = s.eventForm(p, map[string]string{"event_date": today, "reported_on": today, "channel": values["channel"], "nature": values["nature"]})
	d.Done = values["subject_uscc"]
	s.render(w, r, http.StatusOK, "integrityform", "报送政务诚信信息", d)
}
