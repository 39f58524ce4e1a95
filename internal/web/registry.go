package web

import (
	"context"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/registry"
	"github.com/xinyong/xinyong/internal/store"
)

// The code-correction pages (统一社会信用代码重错码纠错): an authority's case
// list, a case with its evidence and actions (a corrected, cancelled or
// deleted registration filed through intake, a whitelist request, the
// code centre's decision), the figures (重错码率, 纠正率) with charts, the
// 督促通报 and an authority's 回传 file.

func (s *Server) registerRegistry(mux *http.ServeMux) {
	s.registerRegistryAPI()
	if s.opts.Registry == nil {
		return
	}
	mux.HandleFunc("GET /registry", s.registryHome)
	mux.HandleFunc("GET /registry/cases/{id}", s.registryCase)
	mux.HandleFunc("POST /registry/cases/{id}/correct", s.registryCorrect)
	mux.HandleFunc("POST /registry/cases/{id}/whitelist", s.registryWhitelist)
	mux.HandleFunc("POST /registry/cases/{id}/decide", s.registryDecide)
	mux.HandleFunc("POST /registry/scan", s.registryScan)
	mux.HandleFunc("GET /registry/figures", s.registryFigures)
	mux.HandleFunc("GET /registry/notice", s.registryNotice)
	mux.HandleFunc("GET /registry/returns", s.registryReturns)
}

// caseResources maps a case's authority to the resource it is: the
// organisation whose USCC it is; none (only an "any" grant reaches it)
// for the code centre's cases and authorities outside the tree.
type caseResources struct {
	s    *Server
	ctx  context.Context
	seen map[string]auth.Resource
}

func (s *Server) caseResources(ctx context.Context) *caseResources {
	return &caseResources{s: s, ctx: ctx, seen: map[string]auth.Resource{}}
}

func (c *caseResources) of(authority string) auth.Resource {
	if r, ok := c.seen[authority]; ok {
		return r
	}
	var r auth.Resource
	if authority != store.CodeCentre {
		if o, err := c.s.opts.Store.FindOrgByUSCC(c.ctx, authority); err == nil {
			r.OrgPath = o.Path
		}
	}
	c.seen[authority] = r
	return r
}

// visibleCases lists the cases p may read, newest first.
func (s *Server) visibleCases(ctx context.Context, p auth.Principal, f store.RegistryCaseFilter) ([]store.RegistryCase, error) {
	cases, err := s.opts.Store.RegistryCases(ctx, f)
	if err != nil {
		return nil, err
	}
	res := s.caseResources(ctx)
	return slices.DeleteFunc(cases, func(c store.RegistryCase) bool {
		return !s.opts.Authorizer.Can(p, auth.RegistryRead, res.of(c.Authority))
	}), nil
}

// caseRow is a case as the lists show it.
type caseRow struct {
	store.RegistryCase
	AuthorityName string
	StateLabel    string
	Overdue       bool
}

func (s *Server) caseRow(c store.RegistryCase) caseRow {
	return caseRow{RegistryCase: c, AuthorityName: registry.AuthorityName(c), StateLabel: registry.StateLabel(c.State),
		Overdue: registry.Overdue(c, s.opts.Registry.At())}
}

// registryReader is the signed-in principal when it may read code cases
// somewhere.
func (s *Server) registryReader(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return p, false
	}
	if d := s.decide(p, auth.RegistryRead, auth.Resource{OrgPath: p.Org.Path}); !d.Allow {
		s.forbidden(w, r, d)
		return p, false
	}
	return p, true
}

type registryHomeView struct {
	Done    string
	Cases   []caseRow
	State   string
	Own     string // the principal's organisation's USCC (its 回传 file)
	Centre  bool
	Counts  map[string]int
	Overdue int
}

func (s *Server) registryHome(w http.ResponseWriter, r *http.Request) {
	p, ok := s.registryReader(w, r)
	if !ok {
		return
	}
	v := registryHomeView{State: r.URL.Query().Get("state"), Own: p.Org.USCC, Counts: map[string]int{}, Done: r.URL.Query().Get("done"),
		Centre: s.opts.Authorizer.Can(p, auth.RegistryDecide, auth.Resource{})}
	all, err := s.visibleCases(r.Context(), p, store.RegistryCaseFilter{})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	for _, c := range all {
		v.Counts[c.State]++
		row := s.caseRow(c)
		if row.Overdue {
			v.Overdue++
		}
		switch v.State {
		case "":
			if c.State != store.CaseOpen && c.State != store.CaseWhitelistRq {
				continue
			}
		case "all":
		default:
			if c.State != v.State {
				continue
			}
		}
		v.Cases = append(v.Cases, row)
	}
	s.render(w, r, http.StatusOK, "registry", "重错码纠错", v)
}

// registryScan is the code centre's whole scan on demand.
func (s *Server) registryScan(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	if d := s.decide(p, auth.RegistryDecide, auth.Resource{}); !d.Allow {
		s.forbidden(w, r, d)
		return
	}
	res, err := s.opts.Registry.Scan(r.Context(), true)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if _, err := s.mustAudit(r.Context(), p, auth.AuditEntry{Action: "registry.scan", Outcome: "ok", Target: "registry",
		Detail: fmt.Sprintf("全量校核：登记%d条，问题%d个，新立案%d件，结案%d件", res.Registrations, len(res.Findings), res.Cases.Opened, res.Cases.Closed)}); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/registry?done="+url.QueryEscape(fmt.Sprintf("全量校核完成：登记%d条，发现问题%d个，新立案%d件，结案%d件，用时%.1f秒",
		res.Registrations, len(res.Findings), res.Cases.Opened, res.Cases.Closed, res.Took.Seconds())), http.StatusSeeOther)
}

// registrationForm is the correction form of one registration the
// principal's authority holds.
type registrationForm struct {
	Entry registry.EvidenceEntry
	Today string
}

type registryCaseView struct {
	Case       caseRow
	Evidence   registry.Evidence
	Status     deadline.Status
	HasStatus  bool
	Forms      []registrationForm
	CanAsk     bool
	CanDecide  bool
	Error      string
	Rejected   []ingest.RowError
	Done       string
	Registered map[string]bool
}

func (s *Server) loadCase(w http.ResponseWriter, r *http.Request) (auth.Principal, store.RegistryCase, auth.Resource, bool) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return p, store.RegistryCase{}, auth.Resource{}, false
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return p, store.RegistryCase{}, auth.Resource{}, false
	}
	c, err := s.opts.Store.GetRegistryCase(r.Context(), id)
	if err != nil {
		s.pageError(w, r, err)
		return p, c, auth.Resource{}, false
	}
	res := s.caseResources(r.Context()).of(c.Authority)
	if d := s.decide(p, auth.RegistryRead, res); !d.Allow {
		s.forbidden(w, r, d)
		return p, c, res, false
	}
	return p, c, res, true
}

func (s *Server) registryCase(w http.ResponseWriter, r *http.Request) {
	p, c, res, ok := s.loadCase(w, r)
	if !ok {
		return
	}
	s.renderCase(w, r, p, c, res, http.StatusOK, registryCaseView{Done: r.URL.Query().Get("done")})
}

func (s *Server) renderCase(w http.ResponseWriter, r *http.Request, p auth.Principal, c store.RegistryCase, res auth.Resource, status int, v registryCaseView) {
	v.Case, v.Evidence = s.caseRow(c), registry.CaseEvidence(c)
	if due, err := calendar.ParseDate(c.Due); err == nil {
		t := deadline.Timer{Step: registry.Step, Started: c.OpenedAt, Due: due, Done: c.ClosedAt}
		v.Status, v.HasStatus = s.opts.Registry.Clock.Status(t, s.opts.Registry.At()), true
	}
	open := c.State == store.CaseOpen
	canCorrect := s.opts.Authorizer.Can(p, auth.RegistryCorrect, res)
	v.CanAsk = open && canCorrect
	v.CanDecide = c.State == store.CaseWhitelistRq && s.opts.Authorizer.Can(p, auth.RegistryDecide, res)
	// An authority files corrections of its own registrations: intake
	// takes a department's rows only as its own.
	if open && s.opts.Importer != nil && p.Org.USCC != "" && s.opts.Authorizer.Can(p, auth.RecordSubmit,
		auth.Resource{OrgPath: p.Org.Path, Kind: registry.Kind}) {
		for _, e := range v.Evidence.Registrations {
			if e.AuthorityCode == p.Org.USCC && (e.Status == registry.StatusActive || e.Status == registry.StatusRevoked) {
				v.Forms = append(v.Forms, registrationForm{Entry: e, Today: calendar.Today().String()})
			}
		}
	}
	s.render(w, r, status, "registrycase", fmt.Sprintf("重错码案件 %d", c.ID), v)
}

// casePost checks a case form's session, token and right.
func (s *Server) casePost(w http.ResponseWriter, r *http.Request, a auth.Action) (auth.Principal, store.RegistryCase, auth.Resource, bool) {
	p, c, res, ok := s.loadCase(w, r)
	if !ok {
		return p, c, res, false
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return p, c, res, false
	}
	if d := s.decide(p, a, res); !d.Allow {
		s.forbidden(w, r, d)
		return p, c, res, false
	}
	return p, c, res, true
}

func caseURL(c store.RegistryCase, done string) string {
	return fmt.Sprintf("/registry/cases/%d?done=%s", c.ID, url.QueryEscape(done))
}

// registryCorrect files the authority's corrected, cancelled or deleted
// registration through intake (the 回传 rules apply), lets the registry
// follow and shows the case again: corrected, it is closed.
func (s *Server) registryCorrect(w http.ResponseWriter, r *http.Request) {
	p, c, res, ok := s.casePost(w, r, auth.RegistryCorrect)
	if !ok {
		return
	}
	k, ok := s.opts.Importer.Catalog.Kind(registry.Kind)
	if !ok || p.Org.USCC == "" {
		s.notFound(w, r)
		return
	}
	ev := registry.CaseEvidence(c)
	code := strings.TrimSpace(r.PostFormValue("uscc"))
	i := slices.IndexFunc(ev.Registrations, func(e registry.EvidenceEntry) bool {
		return e.USCC == code && e.AuthorityCode == p.Org.USCC
	})
	if i < 0 {
		s.pageError(w, r, fault.New(fault.Invalid, "只能更正本登记管理部门在本案件中的登记数据"))
		return
	}
	e := ev.Registrations[i]
	business := r.PostFormValue("business")
	status := registry.StatusActive
	if business == registry.BusinessCancel || business == registry.BusinessDelete || business == "删除" {
		status = registry.StatusCanceled
	}
	values := map[string]string{}
	for _, f := range k.Fields {
		values[f.Key] = strings.TrimSpace(r.PostFormValue(f.Key))
	}
	values["subject_uscc"], values["authority_uscc"], values["authority"] = e.USCC, e.AuthorityCode, e.AuthorityName
	values["source_dept"], values["source_dept_uscc"] = p.Org.Name, p.Org.USCC
	values["reg_business"], values["status"] = business, status
	result, rejected, err := s.checkThenFile(r, p, k, values, "重错码纠错：案件"+strconv.FormatInt(c.ID, 10))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if len(rejected) > 0 {
		s.renderCase(w, r, p, c, res, http.StatusUnprocessableEntity, registryCaseView{Error: "登记数据未通过校验，没有报送：", Rejected: rejected})
		return
	}
	if _, err := s.mustAudit(r.Context(), p, auth.AuditEntry{Action: auth.AuditRecordSubmit, Outcome: "ok",
		Target: "batch:" + strconv.FormatInt(result.Batch, 10), Detail: fmt.Sprintf("重错码案件%d：报送%s登记 %s", c.ID, business, e.USCC)}); err != nil {
		s.pageError(w, r, err)
		return
	}
	if _, err := s.opts.Registry.Sync(r.Context()); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, caseURL(c, "已报送"+map[bool]string{true: "删除", false: business}[business == registry.BusinessDelete]+"登记数据"), http.StatusSeeOther)
}

func (s *Server) registryWhitelist(w http.ResponseWriter, r *http.Request) {
	p, c, res, ok := s.casePost(w, r, auth.RegistryCorrect)
	if !ok {
		return
	}
	_, err := s.opts.Registry.RequestWhitelist(r.Context(), c.ID, p, strings.TrimSpace(r.PostFormValue("request")),
		auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Outcome: "ok", Detail: "申请纳入白名单"})
	if fault.KindOf(err) == fault.Invalid {
		s.renderCase(w, r, p, c, res, http.StatusUnprocessableEntity, registryCaseView{Error: fault.Message(err) + "：" + fieldReasons(err)})
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, caseURL(c, "已提交白名单申请，等待省代码中心审核"), http.StatusSeeOther)
}

func fieldReasons(err error) string {
	var out []string
	for _, f := range fault.Fields(err) {
		out = append(out, f.Reason)
	}
	return strings.Join(out, "；")
}

func (s *Server) registryDecide(w http.ResponseWriter, r *http.Request) {
	p, c, _, ok := s.casePost(w, r, auth.RegistryDecide)
	if !ok {
		return
	}
	approve := r.PostFormValue("decision") == "approve"
	note := strings.TrimSpace(r.PostFormValue("note"))
	if _, err := s.opts.Registry.DecideWhitelist(r.Context(), c.ID, p, approve, note,
		auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Outcome: "ok", Detail: map[bool]string{true: "白名单申请通过", false: "白名单申请未通过"}[approve]}); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, caseURL(c, map[bool]string{true: "已纳入白名单", false: "已退回白名单申请"}[approve]), http.StatusSeeOther)
}

type figureRow struct {
	Label                     string
	Registered, Open, Found   int
	ErrorRate, FixRate, Ended string
}

type registryFiguresView struct {
	ErrorChart, FixChart template.HTML
	Months               []string
	Total                []figureRow
	Authorities, Regions []figureRow
	Latest               string
}

func toRow(label string, pt registry.Point) figureRow {
	return figureRow{Label: label, Registered: pt.Registered, Open: pt.Open, Found: pt.Found, Ended: strconv.Itoa(pt.Ended),
		ErrorRate: pt.ErrorRate.Percent(3), FixRate: pt.FixRate.Percent(1)}
}

func (s *Server) registryFigures(w http.ResponseWriter, r *http.Request) {
	p, ok := s.registryReader(w, r)
	if !ok {
		return
	}
	f, err := s.opts.Registry.Figures(r.Context(), 12)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := registryFiguresView{Months: f.Months, Latest: f.Months[len(f.Months)-1]}
	everything := s.opts.Authorizer.Can(p, auth.RegistryRead, auth.Resource{})
	res := s.caseResources(r.Context())
	series := func(lines []registry.Line, val func(registry.Point) (float64, bool)) []chartSeries {
		var out []chartSeries
		for _, l := range lines {
			vals := make([]float64, len(l.Points))
			for i, pt := range l.Points {
				if x, ok := val(pt); ok {
					vals[i] = x
				} else {
					vals[i] = math.NaN()
				}
			}
			out = append(out, chartSeries{Name: l.Label, Values: vals})
		}
		return out
	}
	lines := []registry.Line{f.Total}
	for _, l := range f.Authorities {
		if everything || s.opts.Authorizer.Can(p, auth.RegistryRead, res.of(l.Key)) {
			lines = append(lines, l)
			v.Authorities = append(v.Authorities, toRow(l.Label, l.Points[len(l.Points)-1]))
		}
	}
	if everything {
		for _, l := range f.Regions {
			v.Regions = append(v.Regions, toRow(l.Label, l.Points[len(l.Points)-1]))
		}
	} else {
		lines = lines[1:] // the total is everyone's: not for one authority
	}
	if len(lines) > 6 {
		lines = lines[:6]
	}
	errSeries := series(lines, func(pt registry.Point) (float64, bool) { return 100 * pt.ErrorRate.Value(), pt.ErrorRate.Den > 0 })
	hi := 0.0
	for _, sr := range errSeries {
		for _, x := range sr.Values {
			if !math.IsNaN(x) {
				hi = max(hi, x)
			}
		}
	}
	if hi == 0 {
		hi = 0.01 // the target: below 0.01 %
	}
	pct := func(d int) func(float64) string {
		return func(x float64) string { return strconv.FormatFloat(x, 'f', d, 64) + "%" }
	}
	// As many decimals as the scale needs, so that the labels fit the axis.
	decimals := 3
	switch {
	case hi >= 10:
		decimals = 0
	case hi >= 1:
		decimals = 1
	case hi >= 0.1:
		decimals = 2
	}
	v.ErrorChart = lineChart("重错码率（月末未纠正的问题数 ÷ 赋码登记数）", f.Months, errSeries, 0, hi*1.2, pct(decimals))
	v.FixChart = lineChart("纠正率（已纠正或纳入白名单 ÷ 发现的问题数）", f.Months,
		series(lines, func(pt registry.Point) (float64, bool) { return 100 * pt.FixRate.Value(), pt.FixRate.Den > 0 }), 0, 100, pct(0))
	if everything {
		for _, pt := range f.Total.Points {
			v.Total = append(v.Total, toRow(pt.Month, pt))
		}
	}
	s.render(w, r, http.StatusOK, "registryfigures", "重错码率和纠正率", v)
}

// registryNotice is the 督促通报 as a text document, for the code centre
// and the joint conference's office (who read every case).
func (s *Server) registryNotice(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if d := s.decide(p, auth.RegistryRead, auth.Resource{}); !d.Allow {
		s.forbidden(w, r, d)
		return
	}
	var b strings.Builder
	if err := s.opts.Registry.Notice(r.Context(), &b); err != nil {
		s.pageError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="notice.txt"; filename*=UTF-8''`+url.PathEscape("重错码纠错督促通报.txt"))
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, b.String())
}

// registryReturns is an authority's 回传 file (CSV).
func (s *Server) registryReturns(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	authority := r.URL.Query().Get("authority")
	if authority == "" {
		authority = p.Org.USCC
	}
	if d := s.decide(p, auth.RegistryRead, s.caseResources(r.Context()).of(authority)); authority == "" || !d.Allow {
		s.forbidden(w, r, d)
		return
	}
	var b strings.Builder
	b.WriteString("\ufeff") // spreadsheet programs read UTF-8 with a BOM
	if _, err := s.opts.Registry.ReturnFile(r.Context(), authority, &b); err != nil {
		s.pageError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="returns-`+authority+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, b.String())
}
