package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/attach"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/market"
	"github.com/xinyong/xinyong/internal/store"
)

// Pages of the intermediary-service marketplace (网上中介服务超市, /market):
// the public sees published notices, selections, agencies with their
// ratings and dishonesty and the items catalogue; an agency (its own
// account) applies, completes, changes, enrols, bids, contracts and
// delivers; an owner files projects, picks or confirms, rates; the
// operator checks applications and changes, reviews and publishes
// projects, exits agencies, re-runs a failed selection; an industry
// department keeps its items. Forms are CSRF-protected; a refused action
// shows the page again with the reason.

// maxMarketUpload bounds a form with files: five scans of 5 MiB.
const maxMarketUpload = attach.MaxFiles*attach.MaxBytes + 1<<20

func init() {
	for _, p := range []string{"POST /market/apply", "POST /market/projects/{id}/contract", "POST /market/projects/{id}/deliver"} {
		formLimits[p] = maxMarketUpload
	}
}

func (s *Server) registerMarket(mux *http.ServeMux) {
	s.registerMarketAPI()
	if s.opts.Market == nil {
		return
	}
	mux.HandleFunc("GET /market", s.marketPage)
	mux.HandleFunc("GET /market/items", s.marketItems)
	mux.HandleFunc("POST /market/items", s.putMarketItem)
	mux.HandleFunc("GET /market/apply", s.marketApplyForm)
	mux.HandleFunc("POST /market/apply", s.marketApply)
	mux.HandleFunc("GET /market/my", s.marketMine)
	mux.HandleFunc("GET /market/agencies/{id}", s.marketAgencyPage)
	mux.HandleFunc("POST /market/agencies/{id}/{action}", s.marketAgencyAction)
	mux.HandleFunc("GET /market/projects/new", s.marketProjectForm)
	mux.HandleFunc("POST /market/projects", s.marketFileProject)
	mux.HandleFunc("GET /market/projects/{id}", s.marketProjectPage)
	mux.HandleFunc("GET /market/projects/{id}/confirmation", s.marketConfirmation)
	mux.HandleFunc("GET /market/projects/{id}/draw.json", s.marketDrawJSON)
	mux.HandleFunc("POST /market/projects/{id}/{action}", s.marketProjectAction)
	mux.HandleFunc("GET /market/files/{id}", s.marketFile)
	mux.HandleFunc("GET /market/owner", s.marketOwner)
	mux.HandleFunc("POST /market/owner", s.marketRegisterOwner)
}

// marketFmt are helpers the marketplace's templates call.
type marketFmt struct {
	clock deadline.Clock
	now   func() time.Time
}

func (marketFmt) Yuan(fen int64) string         { return market.Yuan(fen) }
func (marketFmt) Score(h int64) string          { return strconv.FormatFloat(float64(h)/100, 'f', 2, 64) }
func (marketFmt) AgencyState(st string) string  { return market.AgencyStateLabel(st) }
func (marketFmt) ProjectState(st string) string { return market.ProjectStateLabel(st) }
func (marketFmt) Method(m market.Method) string { return m.Label() }
func (marketFmt) Step(key string) string        { return market.StepName(key) }
func (marketFmt) Code(id int64) string          { return market.Code(id) }
func (marketFmt) Confirmation(id int64) string  { return market.ConfirmationNo(id) }
func (marketFmt) Time(t time.Time) string {
	return t.In(calendar.Location()).Format("2006-01-02 15:04")
}
func (m marketFmt) Timer(t deadline.Timer) string {
	if t.Step == "" {
		return ""
	}
	st := m.clock.Status(t, m.now())
	out := market.StepName(t.Step) + "：" + t.Due.String() + "前"
	if t.Provisional {
		out += "（暂定）"
	}
	return out + "，" + st.State.Label()
}

// mfmt are the helpers, with the marketplace's clock for the deadlines'
// states.
func (s *Server) mfmt() marketFmt {
	now := s.opts.Market.Now
	if now == nil {
		now = time.Now
	}
	return marketFmt{clock: s.opts.Market.Clock, now: now}
}

// marketTask is a step waiting on the viewer, with its deadline state.
type marketTask struct {
	market.Task
	Row *timerRow
}

// marketPage is the marketplace's front page.
func (s *Server) marketPage(w http.ResponseWriter, r *http.Request) {
	p := who(r)
	ctx := r.Context()
	m := s.opts.Market
	ps, err := m.Projects(ctx, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	as, err := m.Agencies(ctx, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	tasks, err := m.Tasks(ctx, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	invitations, err := m.Invitations(ctx, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	// The reminders: the steps waiting on the viewer, with their deadline
	// states, summarised as the objections' and repairs' queues are.
	f := s.mfmt()
	var rows []*timerRow
	var todo []marketTask
	for _, t := range tasks {
		row := &timerRow{Step: t.Timer.Step, Name: market.StepName(t.Timer.Step), Due: t.Timer.Due.String(), Provisional: t.Timer.Provisional,
			Status: f.clock.Status(t.Timer, f.now())}
		if r.URL.Query().Get("overdue") != "" && row.Status.State != deadline.Overdue {
			continue
		}
		rows = append(rows, row)
		todo = append(todo, marketTask{Task: t, Row: row})
	}
	own := auth.Resource{OrgPath: p.Org.Path}
	d := map[string]any{"Projects": ps, "Agencies": as, "F": f, "Tasks": todo, "Due": summarizeDue(rows),
		"Overdue": r.URL.Query().Get("overdue") != "", "Invitations": invitations,
		"Agency": p.Kind == auth.UserKind && p.SubjectID != 0,
		"Owner":  m.CanFile(ctx, p),
		"Dept":   p.Staff() && s.opts.Authorizer != nil && s.opts.Authorizer.Can(p, auth.MarketCatalog, own)}
	s.render(w, r, http.StatusOK, "market", "网上中介服务超市", d)
}

func (s *Server) marketItems(w http.ResponseWriter, r *http.Request) {
	s.renderMarketItems(w, r, http.StatusOK, nil, market.ItemInput{Active: true})
}

func (s *Server) renderMarketItems(w http.ResponseWriter, r *http.Request, status int, ferr error, in market.ItemInput) {
	p := who(r)
	items, err := s.opts.Store.ListMarketItems(r.Context(), false)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := map[string]any{"Items": items, "In": in,
		"Dept": p.Staff() && s.opts.Authorizer != nil && s.opts.Authorizer.Can(p, auth.MarketCatalog, auth.Resource{OrgPath: p.Org.Path})}
	if ferr != nil {
		d["Error"] = fault.Message(ferr)
	}
	s.render(w, r, status, "marketitems", "中介服务事项清单", d)
}

func (s *Server) putMarketItem(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	f := r.PostFormValue
	in := market.ItemInput{Industry: f("industry"), Name: f("name"), Type: f("type"), Basis: f("basis"), Qualification: f("qualification"),
		Approvals: f("approvals"), TimeLimit: f("time_limit"), Fee: f("fee"), Active: f("active") != "no"}
	id, _ := strconv.ParseInt(f("id"), 10, 64)
	if _, err := s.opts.Market.PutItem(r.Context(), p, id, in); err != nil {
		if k := fault.KindOf(err); k == fault.Invalid || k == fault.Exists || k == fault.Refused {
			s.renderMarketItems(w, r, statusOf(k), err, in)
			return
		}
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/market/items", http.StatusSeeOther)
}

// marketApplyData is the application form.
type marketApplyData struct {
	Mode      string // apply, complete, change
	In        market.AgencyInput
	Quals     []market.Qualification
	Items     []store.MarketItem
	Operators []auth.Org
	Missing   []string
	Error     string
	Fields    []fault.Field
}

func (s *Server) marketApplyData(r *http.Request, p auth.Principal, mode string) (marketApplyData, error) {
	d := marketApplyData{Mode: mode}
	var err error
	if d.Items, err = s.opts.Store.ListMarketItems(r.Context(), true); err != nil {
		return d, err
	}
	if d.Operators, err = s.opts.Market.Operators(r.Context()); err != nil {
		return d, err
	}
	if mode != "apply" {
		v, err := s.opts.Market.MyAgency(r.Context(), p)
		if err != nil {
			return d, err
		}
		i := v.Body.Info
		d.In = market.AgencyInput{OperatorID: v.Body.OperatorID, Region: i.Region, Address: i.Address, Contact: i.Contact, Phone: i.Phone,
			Staff: i.Staff, Services: i.Services, Items: i.Items, Qualifications: i.Qualifications, LegalRep: i.LegalRep, Controller: i.Controller}
		d.Missing = v.Body.Missing
	}
	return d, nil
}

// Offers reports whether the form offers item id.
func (d marketApplyData) Offers(id int64) bool { return slices.Contains(d.In.Items, id) }

func (d *marketApplyData) pad() {
	d.Quals = append([]market.Qualification(nil), d.In.Qualifications...)
	for len(d.Quals) < 3 {
		d.Quals = append(d.Quals, market.Qualification{})
	}
}

func (s *Server) marketApplyForm(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	mode := r.URL.Query().Get("mode")
	if mode != "complete" && mode != "change" {
		mode = "apply"
	}
	d, err := s.marketApplyData(r, p, mode)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d.pad()
	s.render(w, r, http.StatusOK, "marketapply", "中介机构入驻", d)
}

// agencyInput reads the application form.
func agencyInput(r *http.Request) (market.AgencyInput, error) {
	f := r.FormValue
	staff, _ := strconv.Atoi(strings.TrimSpace(f("staff")))
	op, _ := strconv.ParseInt(f("operator"), 10, 64)
	in := market.AgencyInput{OperatorID: op, Region: f("region"), Address: f("address"), Contact: f("contact"), Phone: f("phone"),
		Staff: staff, Services: f("services"), LegalRep: f("legal_rep"), LegalRepID: f("legal_rep_id"), Controller: f("controller"),
		ControllerID: f("controller_id"), Reason: f("reason")}
	for _, v := range r.Form["items"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.Items = append(in.Items, id)
		}
	}
	for i := range 3 {
		n := strconv.Itoa(i)
		in.Qualifications = append(in.Qualifications, market.Qualification{Industry: f("q_industry_" + n), Class: f("q_class_" + n),
			Level: f("q_level_" + n), CertNo: f("q_cert_" + n)})
	}
	if r.MultipartForm != nil {
		for _, h := range r.MultipartForm.File["scans"] {
			if h.Size == 0 && h.Filename == "" {
				continue
			}
			fh, err := h.Open()
			if err != nil {
				return in, err
			}
			data, err := io.ReadAll(io.LimitReader(fh, attach.MaxBytes+1))
			fh.Close()
			if err != nil {
				return in, err
			}
			in.Scans = append(in.Scans, attach.File{Name: h.Filename, Data: data})
		}
	}
	return in, nil
}

// parseUpload reads a multipart form; false when it answered.
func (s *Server) parseUpload(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseMultipartForm(maxMarketUpload); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			s.tooLarge(w, r, mbe.Limit)
			return false
		}
		s.pageError(w, r, fault.New(fault.Invalid, "未能读取上传的文件，请重试。"))
		return false
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return false
	}
	return true
}

func (s *Server) marketApply(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !s.parseUpload(w, r) {
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	in, err := agencyInput(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	mode := r.FormValue("mode")
	var v market.AgencyView
	switch mode {
	case "complete":
		v, err = s.opts.Market.Complete(r.Context(), p, in)
	case "change":
		v, err = s.opts.Market.RequestChange(r.Context(), p, in)
	default:
		mode = "apply"
		v, err = s.opts.Market.Apply(r.Context(), p, in)
	}
	var ic *market.Intercepted
	if errors.As(err, &ic) {
		http.Redirect(w, r, "/market/agencies/"+strconv.FormatInt(ic.AgencyID, 10), http.StatusSeeOther)
		return
	}
	if k := fault.KindOf(err); err != nil && (k == fault.Invalid || k == fault.Exists || k == fault.Conflict) {
		d, derr := s.marketApplyData(r, p, mode)
		if derr != nil && mode == "apply" {
			s.pageError(w, r, derr)
			return
		}
		in.LegalRepID, in.ControllerID, in.Scans = "", "", nil // never echoed back
		d.In, d.Error, d.Fields = in, fault.Message(err), fault.Fields(err)
		d.pad()
		s.render(w, r, statusOf(k), "marketapply", "中介机构入驻", d)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/market/agencies/"+strconv.FormatInt(v.A.ID, 10), http.StatusSeeOther)
}

func (s *Server) marketMine(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	v, err := s.opts.Market.MyAgency(r.Context(), p)
	if errors.Is(err, store.ErrNotFound) || fault.KindOf(err) == fault.NotFound {
		http.Redirect(w, r, "/market/apply", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/market/agencies/"+strconv.FormatInt(v.A.ID, 10), http.StatusSeeOther)
}

// ratedProject is a rated project on an agency's page.
type ratedProject struct {
	ID        int64
	Name      string
	Owner     string
	Rating    market.Rating
	RecordRef string
}

func (s *Server) renderMarketAgency(w http.ResponseWriter, r *http.Request, status int, id int64, ferr error) {
	ctx := r.Context()
	v, err := s.opts.Market.Agency(ctx, who(r), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	ps, err := s.opts.Store.ListMarketProjects(ctx, store.MarketProjectFilter{WinnerSubjectID: v.A.SubjectID, States: []string{market.ProjectRated}})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var rated []ratedProject
	for _, sp := range ps {
		var b market.Project
		if err := json.Unmarshal(sp.Body, &b); err != nil || b.Rating == nil {
			continue
		}
		rated = append(rated, ratedProject{ID: sp.ID, Name: b.Info.Name, Owner: b.Owner, Rating: *b.Rating, RecordRef: s.opts.Portal.RecordRef(b.Rating.RecordID)})
	}
	items, err := s.opts.Store.ListMarketItems(ctx, false)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	names := map[int64]string{}
	for _, it := range items {
		names[it.ID] = it.Industry + " · " + it.Name
	}
	var offered []string
	for _, id := range v.Body.Info.Items {
		offered = append(offered, names[id])
	}
	d := map[string]any{"V": v, "F": s.mfmt(), "Rated": rated, "Offered": offered, "Place": placeName(v.Body.Info.Region),
		"SubjectRef": s.opts.Portal.SubjectRef(v.Subject)}
	if v.Own && v.A.State == market.AgencyActive {
		// The notices pushed to the agency: open projects of its items.
		ps, err := s.opts.Market.Projects(ctx, who(r))
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		var pushed []market.ProjectView
		for _, p := range ps {
			if p.P.State == market.ProjectOpen && slices.Contains(v.Body.Info.Items, p.Body.Info.ItemID) {
				pushed = append(pushed, p)
			}
		}
		d["Pushed"] = pushed
	}
	if ferr != nil {
		d["Error"] = fault.Message(ferr)
	}
	s.render(w, r, status, "marketagency", v.Body.Name+" - 中介机构", d)
}

func (s *Server) marketAgencyPage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	s.renderMarketAgency(w, r, http.StatusOK, id, nil)
}

func (s *Server) marketAgencyAction(w http.ResponseWriter, r *http.Request) {
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
	m, ctx, f := s.opts.Market, r.Context(), r.PostFormValue
	switch r.PathValue("action") {
	case "review":
		_, err = m.Review(ctx, p, id, f("decision"), strings.Split(f("missing"), "\n"), f("reasons"))
	case "change":
		_, err = m.ReviewChange(ctx, p, id, f("decision") == "approve", f("note"))
	case "exit":
		_, err = m.Exit(ctx, p, id, f("reason"))
	default:
		s.notFound(w, r)
		return
	}
	if err != nil {
		if k := fault.KindOf(err); k == fault.Invalid || k == fault.Conflict || k == fault.Refused {
			s.renderMarketAgency(w, r, statusOf(k), id, err)
			return
		}
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/market/agencies/"+r.PathValue("id"), http.StatusSeeOther)
}

// projectFormData is the new-project form.
type projectFormData struct {
	In        market.ProjectInput
	Items     []store.MarketItem
	Operators []auth.Org
	Methods   []market.Method
	Error     string
	Fields    []fault.Field
	Earliest  string
}

func (s *Server) projectFormData(r *http.Request) (projectFormData, error) {
	d := projectFormData{Methods: market.Methods}
	var err error
	if d.Items, err = s.opts.Store.ListMarketItems(r.Context(), true); err != nil {
		return d, err
	}
	if d.Operators, err = s.opts.Market.Operators(r.Context()); err != nil {
		return d, err
	}
	now := time.Now()
	if s.opts.Market.Now != nil {
		now = s.opts.Market.Now()
	}
	cal := s.opts.Market.Clock.Calendar
	if cal == nil {
		cal = calendar.Default()
	}
	d.Earliest = cal.AddWorkingDays(calendar.FromTime(now), market.EnrolDays).String()
	return d, nil
}

func (s *Server) marketProjectForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireSignIn(w, r); !ok {
		return
	}
	d, err := s.projectFormData(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d.In.Method, d.In.EnrolUntil, d.In.Fiscal = string(market.Average), d.Earliest, true
	s.render(w, r, http.StatusOK, "marketprojectform", "提交采购项目", d)
}

func projectInput(r *http.Request) market.ProjectInput {
	f := r.PostFormValue
	op, _ := strconv.ParseInt(f("operator"), 10, 64)
	item, _ := strconv.ParseInt(f("item"), 10, 64)
	return market.ProjectInput{OperatorID: op, ItemID: item, Name: f("name"), Content: f("content"), Duration: f("duration"), Budget: f("budget"),
		Method: f("method"), Count: f("count"), EnrolUntil: f("enrol_until"), BidUntil: f("bid_until"), QualClass: f("qual_class"),
		QualLevel: f("qual_level"), CreditGrade: f("credit_grade"), Conditions: f("conditions"), Special: f("special"),
		Avoidance: f("avoidance"), OwnerRep: f("owner_rep"), OwnerLead: f("owner_lead"), Rerun: f("rerun"), Fiscal: f("fiscal") == "yes"}
}

func (s *Server) marketFileProject(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	in := projectInput(r)
	v, err := s.opts.Market.FileProject(r.Context(), p, in)
	if k := fault.KindOf(err); err != nil && (k == fault.Invalid || k == fault.Refused) {
		d, derr := s.projectFormData(r)
		if derr != nil {
			s.pageError(w, r, derr)
			return
		}
		d.In, d.Error, d.Fields = in, fault.Message(err), fault.Fields(err)
		s.render(w, r, statusOf(k), "marketprojectform", "提交采购项目", d)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/market/projects/"+strconv.FormatInt(v.P.ID, 10), http.StatusSeeOther)
}

// projectPageData is a project's page.
type projectPageData struct {
	V      market.ProjectView
	F      marketFmt
	Draw   *market.Draw
	Levels []string
	Error  string
	Today  string
	// CanEnrol: the viewer is an active agency that may try to enrol.
	CanEnrol, CanBid, CanCancel bool
	RatingRef                   string
}

func (s *Server) renderMarketProject(w http.ResponseWriter, r *http.Request, status int, id int64, ferr error) {
	v, err := s.opts.Market.Project(r.Context(), who(r), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := projectPageData{V: v, F: s.mfmt(), Draw: v.LastDraw(), Today: calendar.Today().String()}
	if s.opts.Market.Now != nil {
		d.Today = calendar.FromTime(s.opts.Market.Now()).String()
	}
	for _, l := range market.Levels {
		d.Levels = append(d.Levels, l.Name)
	}
	open := v.P.State == market.ProjectOpen
	d.CanEnrol = open && v.Agency != nil && v.Agency.A.State == market.AgencyActive && (v.Mine == nil || !v.Mine.Accepted)
	d.CanBid = open && v.Mine != nil && v.Mine.Accepted && v.Body.Info.Method.Bids()
	d.CanCancel = v.Owner && (open || v.P.State == market.ProjectReview || v.P.State == market.ProjectIncomplete)
	if v.Body.Rating != nil {
		d.RatingRef = s.opts.Portal.RecordRef(v.Body.Rating.RecordID)
	}
	if ferr != nil {
		d.Error = fault.Message(ferr)
	}
	s.render(w, r, status, "marketproject", v.Body.Info.Name+" - 中介服务项目", d)
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil
}

func (s *Server) marketProjectPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.notFound(w, r)
		return
	}
	s.renderMarketProject(w, r, http.StatusOK, id, nil)
}

// uploaded reads the one file of field name (nil: none).
func uploaded(r *http.Request, name string) (*attach.File, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File[name]) == 0 {
		return nil, nil
	}
	h := r.MultipartForm.File[name][0]
	if h.Filename == "" && h.Size == 0 {
		return nil, nil
	}
	fh, err := h.Open()
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, attach.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	return &attach.File{Name: h.Filename, Data: data}, nil
}

func (s *Server) marketProjectAction(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	action := r.PathValue("action")
	if !s.parseUpload(w, r) {
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	id, ok := pathID(r)
	if !ok {
		s.notFound(w, r)
		return
	}
	m, ctx, f := s.opts.Market, r.Context(), r.FormValue
	var err error
	switch action {
	case "review":
		_, err = m.ReviewProject(ctx, p, id, f("decision") == "publish", strings.Split(f("missing"), "\n"))
	case "correct":
		_, err = m.CorrectProject(ctx, p, id, projectInput(r))
	case "cancel":
		_, err = m.CancelProject(ctx, p, id, f("reason"))
	case "enrol":
		_, err = m.Enrol(ctx, p, id, market.EnrolInput{Bid: f("bid"), Kinship: f("kinship") == "yes", Declared: f("declared") == "yes"})
	case "bid":
		_, err = m.Bid(ctx, p, id, f("bid"))
	case "select":
		_, err = m.Select(ctx, p, id, f("code"))
	case "confirm":
		_, err = m.Confirm(ctx, p, id)
	case "rerun":
		_, err = m.Rerun(ctx, p, id, f("reason"))
	case "check":
		_, err = m.CheckWinner(ctx, p, id, market.CheckInput{Passed: f("result") == "passed", Rule: f("result"), Findings: f("findings")})
	case "disqualify":
		_, err = m.Disqualify(ctx, p, id, f("decision") == "cancel", f("note"))
	case "reselect":
		var nv market.ProjectView
		if nv, err = m.Reselect(ctx, p, id); err == nil {
			http.Redirect(w, r, "/market/projects/"+strconv.FormatInt(nv.P.ID, 10), http.StatusSeeOther)
			return
		}
	case "contact":
		_, err = m.Contact(ctx, p, id)
	case "contract":
		var file *attach.File
		if file, err = uploaded(r, "contract"); err == nil {
			_, err = m.UploadContract(ctx, p, id, f("signed_on"), file, f("confidential") == "yes")
		}
	case "deliver":
		var file *attach.File
		if file, err = uploaded(r, "result"); err == nil {
			_, err = m.Deliver(ctx, p, id, file)
		}
	case "rate":
		_, err = m.Rate(ctx, p, id, market.RatingInput{Quality: f("quality"), Timeliness: f("timeliness"), Attitude: f("attitude"),
			Fee: f("fee"), Conduct: f("conduct"), Comment: f("comment")})
	default:
		s.notFound(w, r)
		return
	}
	if err != nil {
		if k := fault.KindOf(err); k == fault.Invalid || k == fault.Conflict || k == fault.Refused || k == fault.Exists {
			s.renderMarketProject(w, r, statusOf(k), id, err)
			return
		}
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/market/projects/"+r.PathValue("id"), http.StatusSeeOther)
}

// marketConfirmation is the 《选取确认书》 of a confirmed project.
func (s *Server) marketConfirmation(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.notFound(w, r)
		return
	}
	v, err := s.opts.Market.Project(r.Context(), who(r), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if v.Body.ConfirmedAt.IsZero() || v.Winner == nil {
		s.pageError(w, r, fault.New(fault.NotFound, "该项目尚未确认选取结果"))
		return
	}
	s.render(w, r, http.StatusOK, "marketconfirmation", "选取确认书 "+market.ConfirmationNo(id), map[string]any{"V": v, "F": s.mfmt(), "Draw": v.LastDraw()})
}

// DrawPublished is a project's published selection: every draw with its
// inputs, for `xinyong market verify-draw` (the fields are those of
// market.Draw, which reads it back).
type DrawPublished struct {
	Project  string          `json:"project" doc:"项目编号."`
	Method   string          `json:"method"`
	SeedHash string          `json:"seed_hash" doc:"SHA-256 of the seed in force, published with the notice."`
	Draws    []MarketDrawOut `json:"draws" doc:"Every draw, a void one with its reason; each with its input (seed included) and result."`
	Winners  []string        `json:"winners"`
}

// MarketDrawOut is one run of a selection.
type MarketDrawOut struct {
	At       time.Time           `json:"at"`
	SeedHash string              `json:"seed_hash" doc:"SHA-256 of the seed, published before the draw."`
	Input    MarketDrawInputOut  `json:"input"`
	Result   MarketDrawResultOut `json:"result"`
	Excluded []MarketExcludedOut `json:"excluded,omitempty" doc:"Enrolled agencies left out at selection, and why."`
	Void     string              `json:"void,omitempty" doc:"Why the draw was voided (technical failure, 第二十七条)."`
}

// MarketExcludedOut is an agency left out of a draw.
type MarketExcludedOut struct {
	Name   string `json:"name"`
	Code   string `json:"code"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// MarketDrawInputOut is what a draw is made from.
type MarketDrawInputOut struct {
	Method     string               `json:"method" enum:"direct,merit,lowest,average,random,negotiated"`
	Project    string               `json:"project" doc:"The project's code: part of every lottery key."`
	Seed       string               `json:"seed" doc:"32 bytes, hex."`
	Candidates []MarketCandidateOut `json:"candidates"`
	Count      int                  `json:"count,omitempty"`
	Chosen     string               `json:"chosen,omitempty"`
	Grades     []string             `json:"grades,omitempty"`
}

// MarketCandidateOut is a candidate of a draw.
type MarketCandidateOut struct {
	Code      string `json:"code"`
	Name      string `json:"name,omitempty"`
	Bid       int64  `json:"bid,omitempty" doc:"Fen (分)."`
	Score     int64  `json:"score,omitempty" doc:"Composite score, hundredths."`
	EvalScore int    `json:"eval_score,omitempty"`
	Grade     string `json:"grade,omitempty"`
}

// MarketDrawResultOut is a draw's outcome.
type MarketDrawResultOut struct {
	Winners    []string          `json:"winners"`
	Average    string            `json:"average,omitempty" doc:"均价比选: the average in fen as the exact fraction sum/n."`
	AverageFen int64             `json:"average_fen,omitempty"`
	Steps      []string          `json:"steps"`
	Lottery    *MarketLotteryOut `json:"lottery,omitempty"`
}

// MarketLotteryOut is a lottery among tied candidates.
type MarketLotteryOut struct {
	Among []string `json:"among"`
	Keys  []string `json:"keys" doc:"SHA-256(seed|project|code), hex, in the order of among."`
	Take  int      `json:"take"`
}

func (s *Server) drawPublished(v market.ProjectView) DrawPublished {
	out := DrawPublished{Project: v.Code, Method: v.Body.Info.Method.Label(), SeedHash: v.Body.SeedHash, Draws: []MarketDrawOut{}, Winners: []string{}}
	out.Winners = append(out.Winners, v.Body.Winners...)
	for _, d := range v.Body.Draws {
		o := MarketDrawOut{At: d.At, SeedHash: d.SeedHash, Void: d.Void,
			Input: MarketDrawInputOut{Method: string(d.Input.Method), Project: d.Input.Project, Seed: d.Input.Seed, Candidates: []MarketCandidateOut{},
				Count: d.Input.Count, Chosen: d.Input.Chosen, Grades: d.Input.Grades},
			Result: MarketDrawResultOut{Winners: d.Result.Winners, Average: d.Result.Average, AverageFen: d.Result.AverageFen, Steps: d.Result.Steps}}
		for _, c := range d.Input.Candidates {
			o.Input.Candidates = append(o.Input.Candidates, MarketCandidateOut(c))
		}
		if l := d.Result.Lottery; l != nil {
			o.Result.Lottery = &MarketLotteryOut{Among: l.Among, Keys: l.Keys, Take: l.Take}
		}
		for _, e := range d.Excluded {
			o.Excluded = append(o.Excluded, MarketExcludedOut{Name: e.Name, Code: e.Code, Rule: e.Rule, Reason: e.Reason})
		}
		out.Draws = append(out.Draws, o)
	}
	return out
}

func (s *Server) marketDrawJSON(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.notFound(w, r)
		return
	}
	v, err := s.opts.Market.Project(r.Context(), who(r), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+v.Code+`-draw.json"`)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(s.drawPublished(v))
}

// marketFile serves an uploaded file to who may see it: the agency's
// scans to itself and its operator; a project's contract and result to
// its owner, operator and selected agency.
func (s *Server) marketFile(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	id, ok := pathID(r)
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	f, err := s.opts.Store.GetMarketFile(ctx, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	kind, owner, _ := strings.Cut(f.Owner, ":")
	oid, _ := strconv.ParseInt(owner, 10, 64)
	allowed := false
	switch kind {
	case "agency":
		v, err := s.opts.Market.Agency(ctx, p, oid)
		allowed = err == nil && (v.Own || v.Operator)
	case "project":
		v, err := s.opts.Market.Project(ctx, p, oid)
		allowed = err == nil && (v.Owner || v.Operator || v.Mine != nil && v.Winner != nil && v.Mine.AgencyID == v.Winner.AgencyID)
	}
	if !allowed {
		s.pageError(w, r, fault.New(fault.Refused, "无权查看该文件"))
		return
	}
	w.Header().Set("Content-Type", f.Type)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(f.Name))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(f.Data)
}
