package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/attach"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/complaint"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/fault"
)

// Complaint pages (投诉举报, issue 21): anyone files a complaint and follows
// it with its 查询码; the credit office routes it and the competent
// department answers it from the case page; the statistics are public.

func (s *Server) registerComplaints(mux *http.ServeMux) {
	s.registerComplaintAPI()
	if s.opts.Complaints == nil {
		return
	}
	mux.HandleFunc("GET /complaints", s.complaintsPage)
	mux.HandleFunc("GET /complaints/new", s.complaintForm)
	mux.HandleFunc("POST /complaints", s.fileComplaint)
	mux.HandleFunc("GET /complaints/track", s.trackComplaint)
	mux.HandleFunc("GET /complaints/{id}", s.complaintPage)
	mux.HandleFunc("POST /complaints/{id}", s.actOnComplaint)
	mux.HandleFunc("GET /complaints/{id}/files/{file}", s.complaintEvidence)
}

// complaintRow is a complaint as the pages show it.
type complaintRow struct {
	complaint.View
	Timers  []timerRow
	Waiting *timerRow
}

func (s *Server) complaintRow(v complaint.View, now time.Time) complaintRow {
	timers := []deadline.Timer{v.Case.Route}
	if v.Case.Answer != nil {
		timers = append(timers, *v.Case.Answer)
	}
	open, ok := deadline.Timer{}, false
	switch {
	case v.Case.State == complaint.Routing:
		open, ok = v.Case.Route, true
	case v.Case.State == complaint.Handling && v.Case.Answer != nil:
		open, ok = *v.Case.Answer, true
	}
	row := complaintRow{View: v}
	row.Timers, row.Waiting = timerRows(s.opts.Complaints.Clock, timers, open, ok, now)
	return row
}

// complaintsPage is the column: how to complain, how to follow a
// complaint, the public statistics, and the queue of the handling staff.
func (s *Server) complaintsPage(w http.ResponseWriter, r *http.Request) {
	st, err := s.opts.Complaints.Statistics(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	data := map[string]any{"Stats": st, "Outcomes": complaint.Outcomes}
	if p := who(r); p.Kind == auth.UserKind {
		vs, err := s.opts.Complaints.Queue(r.Context(), p)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		rows := make([]complaintRow, len(vs))
		now := time.Now()
		for i, v := range vs {
			rows[i] = s.complaintRow(v, now)
		}
		data["Queue"], data["Handler"] = rows, len(vs) > 0 || s.opts.Authorizer.Can(p, auth.ComplaintHandle, auth.Resource{OrgPath: p.Org.Path})
	}
	s.render(w, r, http.StatusOK, "complaints", "投诉举报", data)
}

func (s *Server) complaintForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "complaintform", "我要投诉举报", map[string]any{"F": complaint.Filing{}})
}

func (s *Server) fileComplaint(w http.ResponseWriter, r *http.Request) {
	evidence, ok := s.readUploads(w, r, "evidence")
	if !ok {
		return
	}
	if sessionOf(r) != nil && !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	f := r.PostFormValue
	in := complaint.Filing{SubjectName: f("subject_name"), SubjectCode: f("subject_code"), What: f("what"), When: f("when"),
		Name: f("name"), Contact: f("contact"), Anonymous: f("anonymous") != "", Evidence: evidence}
	v, accessCode, err := s.opts.Complaints.File(r.Context(), who(r), in)
	if err != nil {
		if fault.KindOf(err) == fault.Invalid {
			in.Evidence = nil
			s.render(w, r, statusOf(fault.Invalid), "complaintform", "我要投诉举报", map[string]any{"F": in, "Error": fault.Message(err)})
			return
		}
		s.pageError(w, r, err)
		return
	}
	// The 查询码 is shown once, on this page.
	s.renderComplaint(w, r, http.StatusCreated, v, accessCode, true)
}

// trackComplaint opens a complaint from the column's form (number and
// 查询码).
func (s *Server) trackComplaint(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, err := strconv.ParseInt(q.Get("id"), 10, 64)
	if err != nil || id <= 0 || q.Get("code") == "" {
		s.pageError(w, r, fault.New(fault.Invalid, "请填写投诉举报编号和查询码"))
		return
	}
	http.Redirect(w, r, "/complaints/"+strconv.FormatInt(id, 10)+"?code="+url.QueryEscape(q.Get("code")), http.StatusSeeOther)
}

func (s *Server) complaintPage(w http.ResponseWriter, r *http.Request) {
	p, code, ok := s.codeOrSignIn(w, r, r.URL.Query().Get("code"))
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	v, err := s.opts.Complaints.Get(r.Context(), p, id, code)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderComplaint(w, r, http.StatusOK, v, code, false)
}

func (s *Server) renderComplaint(w http.ResponseWriter, r *http.Request, status int, v complaint.View, code string, fresh bool) {
	data := map[string]any{"C": s.complaintRow(v, time.Now()), "Code": code, "NewCode": fresh, "Outcomes": complaint.Outcomes}
	if v.CanRoute() {
		data["Depts"] = s.deptOptions(r.Context())
	}
	if v.Case.Record != 0 {
		data["RecordRef"] = s.opts.Portal.RecordRef(v.Case.Record)
	}
	s.render(w, r, status, "complaint", "投诉举报 "+strconv.FormatInt(v.Row.ID, 10), data)
}

func (s *Server) actOnComplaint(w http.ResponseWriter, r *http.Request) {
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
	rev, err := strconv.Atoi(r.PostFormValue("rev"))
	if err != nil {
		s.pageError(w, r, fault.New(fault.Invalid, "表单缺少版本号，请刷新页面后重试。"))
		return
	}
	f := r.PostFormValue
	switch f("action") {
	case "route":
		_, err = s.opts.Complaints.Route(r.Context(), p, id, rev, deptParam(f("dept")), f("note"))
	case "answer":
		_, err = s.opts.Complaints.Answer(r.Context(), p, id, rev, complaint.Answer{Outcome: complaint.Outcome(f("outcome")),
			Finding: f("finding"), Reply: f("reply"), RecordRef: f("record"), TransferTo: f("transfer_to")})
	default:
		err = fault.New(fault.Invalid, "未知的操作")
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/complaints/"+r.PathValue("id"), http.StatusSeeOther)
}

func (s *Server) complaintEvidence(w http.ResponseWriter, r *http.Request) {
	s.caseFile(w, r, auth.AuditComplaint, "complaint:", s.pageError,
		func(ctx context.Context, p auth.Principal, id, fid int64) (string, string, []byte, error) {
			f, err := s.opts.Complaints.Evidence(ctx, p, id, fid)
			return f.Name, f.ContentType, f.Data, err
		})
}

// ComplaintInput is a new complaint.
type ComplaintInput struct {
	Body struct {
		SubjectName string        `json:"subject_name" doc:"the subject complained about (被投诉举报对象)" minLength:"1" maxLength:"800"`
		SubjectCode string        `json:"subject_code,omitempty" doc:"its unified social credit code, when known" maxLength:"18"`
		What        string        `json:"what" doc:"what happened (投诉举报内容), at most 2,000 characters" minLength:"1" maxLength:"8000"`
		When        string        `json:"when,omitempty" doc:"when it happened" format:"date"`
		Anonymous   bool          `json:"anonymous,omitempty" doc:"file anonymously: no name or contact is kept and no reply is given; the 查询码 still shows the progress and outcome"`
		Name        string        `json:"name,omitempty" doc:"the informant's name (named complaints)" maxLength:"400"`
		Contact     string        `json:"contact,omitempty" doc:"the informant's contact, required unless anonymous; seen only by the handling staff" maxLength:"400"`
		Evidence    []RepairProof `json:"evidence,omitempty" doc:"evidence (PDF, JPEG or PNG, base64, at most 5 of 5 MiB)" maxItems:"5"`
	}
}

// ComplaintIDInput names a complaint.
type ComplaintIDInput struct {
	ID   int64  `path:"id" minimum:"1"`
	Code string `query:"code" maxLength:"64" doc:"the 查询码 given at filing, instead of signing in"`
}

// ComplaintCase is a complaint as its reader may see it.
type ComplaintCase struct {
	ID           int64           `json:"id"`
	State        string          `json:"state" enum:"routing,handling,closed"`
	StateLabel   string          `json:"state_label"`
	SubjectName  string          `json:"subject_name"`
	SubjectCode  string          `json:"subject_code,omitempty"`
	What         string          `json:"what"`
	When         string          `json:"when,omitempty"`
	FiledAt      time.Time       `json:"filed_at"`
	Anonymous    bool            `json:"anonymous"`
	Informant    string          `json:"informant,omitempty" doc:"the informant's name (handling staff only)"`
	Contact      string          `json:"contact,omitempty" doc:"the informant's contact (handling staff only)"`
	Dept         string          `json:"dept,omitempty" doc:"USCC of the competent department, once routed"`
	DeptName     string          `json:"dept_name,omitempty"`
	Outcome      string          `json:"outcome,omitempty" enum:"substantiated,unfounded,transferred"`
	OutcomeLabel string          `json:"outcome_label,omitempty"`
	Finding      string          `json:"finding,omitempty"`
	Reply        string          `json:"reply,omitempty" doc:"the reply to a named informant"`
	Record       string          `json:"record,omitempty" doc:"查实: the reference of the record filed through intake"`
	TransferTo   string          `json:"transfer_to,omitempty"`
	Timely       string          `json:"timely,omitempty" enum:"on_time,late"`
	Steps        []ObjectionStep `json:"steps"`
	Rev          int             `json:"rev"`
	AccessCode   string          `json:"access_code,omitempty" doc:"the 查询码, given once at filing: GET /api/v1/complaints/{id}?code=… follows the case"`
}

// ComplaintOutput is a complaint.
type ComplaintOutput struct{ Body ComplaintCase }

// ComplaintStatsOutput are the public statistics.
type ComplaintStatsOutput struct {
	Body struct {
		Received      int    `json:"received"`
		Routing       int    `json:"routing"`
		Handling      int    `json:"handling"`
		Closed        int    `json:"closed"`
		Substantiated int    `json:"substantiated"`
		Unfounded     int    `json:"unfounded"`
		Transferred   int    `json:"transferred"`
		OnTime        int    `json:"on_time" doc:"answers given within the deadline"`
		Late          int    `json:"late"`
		OnTimeRate    string `json:"on_time_rate" doc:"on_time over all answers, in percent (— before any)"`
	}
}

func (s *Server) complaintCase(v complaint.View) ComplaintCase {
	c := ComplaintCase{ID: v.Row.ID, State: string(v.Case.State), StateLabel: v.Case.State.Label(), SubjectName: v.Row.SubjectName,
		SubjectCode: v.Row.SubjectCode, What: v.Case.What, When: v.Case.When, FiledAt: v.Row.FiledAt.In(calendar.Location()),
		Anonymous: v.Row.Anonymous, Dept: v.Row.Dept, DeptName: v.Case.DeptName, Outcome: string(v.Case.Outcome),
		Finding: v.Case.Finding, Reply: v.Case.Reply, TransferTo: v.Case.Transfer, Timely: v.Row.Timeliness, Rev: v.Row.Rev,
		Steps: []ObjectionStep{}}
	if v.Case.Outcome != "" {
		c.OutcomeLabel = v.Case.Outcome.Label()
	}
	if v.Informant != nil {
		c.Informant, c.Contact = v.Informant.Name, v.Informant.Contact
	}
	if v.Case.Record != 0 {
		c.Record = s.opts.Portal.RecordRef(v.Case.Record)
	}
	for _, t := range s.complaintRow(v, time.Now()).Timers {
		c.Steps = append(c.Steps, ObjectionStep{Step: t.Step, Name: t.Name, Due: t.Due, Provisional: t.Provisional,
			State: string(t.Status.State), StateLabel: t.Status.State.Label(), Took: t.Status.Took, Level: t.Status.Level})
	}
	return c
}

func (s *Server) registerComplaintAPI() {
	huma.Register(s.api, huma.Operation{
		OperationID: "post-complaint",
		Method:      "POST",
		Path:        "/api/v1/complaints",
		Summary:     "File a complaint or report of dishonesty (投诉举报)",
		Description: "Anyone files a complaint about a subject: what happened, when, evidence, and a name and contact, or " +
			"anonymously (then no reply is given). Returns the case with its 查询码 (access_code), shown once. The credit office " +
			"routes it to the competent department within 3 working days, which answers within 15 (查实, 不属实 or 转办).",
		Tags:          []string{"complaints"},
		Security:      secOptional,
		Errors:        errsBody,
		MaxBodyBytes:  maxUploadJSON,
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *ComplaintInput) (*ComplaintOutput, error) {
		if s.opts.Complaints == nil {
			return nil, errNotServed
		}
		evidence := make([]attach.File, len(in.Body.Evidence))
		for i, f := range in.Body.Evidence {
			evidence[i] = attach.File{Name: f.Name, Data: f.Data}
		}
		b := in.Body
		v, code, err := s.opts.Complaints.File(ctx, principalFrom(ctx), complaint.Filing{SubjectName: b.SubjectName, SubjectCode: b.SubjectCode,
			What: b.What, When: b.When, Anonymous: b.Anonymous, Name: b.Name, Contact: b.Contact, Evidence: evidence})
		if err != nil {
			return nil, err
		}
		out := &ComplaintOutput{Body: s.complaintCase(v)}
		out.Body.AccessCode = code
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-complaint",
		Method:      "GET",
		Path:        "/api/v1/complaints/{id}",
		Summary:     "A complaint, its deadlines and answer",
		Description: "Readable by the handling staff (the credit office, the competent department), who also see the informant; " +
			"without an account, by whoever holds the complaint's 查询码 (code).",
		Tags:     []string{"complaints"},
		Security: secOptional,
		Errors:   with(errsGuarded, http.StatusNotFound),
	}, func(ctx context.Context, in *ComplaintIDInput) (*ComplaintOutput, error) {
		if s.opts.Complaints == nil {
			return nil, errNotServed
		}
		p := principalFrom(ctx)
		if in.Code == "" && p.Kind == auth.Anonymous {
			return nil, fault.New(fault.Unauthenticated, "请先登录，或提供投诉举报的查询码（code）")
		}
		v, err := s.opts.Complaints.Get(ctx, p, in.ID, in.Code)
		if err != nil {
			return nil, err
		}
		return &ComplaintOutput{Body: s.complaintCase(v)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-complaint-stats",
		Method:      "GET",
		Path:        "/api/v1/complaints/stats",
		Summary:     "Public statistics of complaints",
		Description: "How many complaints were received, are being routed or handled, were answered (by outcome) and answered on time.",
		Tags:        []string{"complaints"},
		Security:    secPublic,
		Errors:      errsRead,
	}, func(ctx context.Context, _ *struct{}) (*ComplaintStatsOutput, error) {
		if s.opts.Complaints == nil {
			return nil, errNotServed
		}
		st, err := s.opts.Complaints.Statistics(ctx)
		if err != nil {
			return nil, err
		}
		out := &ComplaintStatsOutput{}
		b := &out.Body
		b.Received, b.Routing, b.Handling, b.Closed = st.Received, st.Routing, st.Handling, st.Closed
		b.Substantiated, b.Unfounded, b.Transferred = st.ByOutcome[complaint.Substantiated], st.ByOutcome[complaint.Unfounded], st.ByOutcome[complaint.Transferred]
		b.OnTime, b.Late, b.OnTimeRate = st.OnTime, st.Late, st.OnTimeRate()
		return out, nil
	})
}
