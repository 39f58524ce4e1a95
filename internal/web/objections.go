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
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/objection"
	"github.com/xinyong/xinyong/internal/store"
)

// Objection pages: a subject user files an objection from the record's
// page and follows it; reviewers work through their queue and decide on
// the case page. Every form is CSRF-protected and carries the revision the
// user saw, so that two reviewers cannot both decide.

func (s *Server) registerObjections(mux *http.ServeMux) {
	s.registerObjectionAPI()
	if s.opts.Objections == nil {
		return
	}
	mux.HandleFunc("POST /records/{ref}/objections", s.fileObjection)
	mux.HandleFunc("GET /objections", s.objectionQueue)
	mux.HandleFunc("GET /objections/{id}", s.objectionPage)
	mux.HandleFunc("POST /objections/{id}", s.actOnObjection)
	mux.HandleFunc("GET /objections/{id}/files/{file}", s.objectionEvidence)
}

// objectionRow is a case as the pages show it.
type objectionRow struct {
	objection.View
	Timers   []timerRow
	Waiting  *timerRow // the step the case waits on, if any
	Assignee string    // who must act on it (queues)
	Outcome  objection.Outcome
	Reason   string
}

// timerRow is a deadline as the pages and the API show it.
type timerRow struct {
	Step        string
	Name        string
	Due         string
	Provisional bool
	Status      deadline.Status
}

// timerRows shows a case's timers at now, named by the clock's rules, and
// points at the one the case waits on (open, when ok).
func timerRows(clock deadline.Clock, timers []deadline.Timer, open deadline.Timer, ok bool, now time.Time) ([]timerRow, *timerRow) {
	rows := make([]timerRow, 0, len(timers))
	var waiting *timerRow
	for _, t := range timers {
		if t.Step == "" {
			continue
		}
		name := t.Step
		if st, found := deadlineRules(clock).Step(t.Step); found {
			name = st.Name
		}
		rows = append(rows, timerRow{Step: t.Step, Name: name, Due: t.Due.String(), Provisional: t.Provisional, Status: clock.Status(t, now)})
		if ok && t.Step == open.Step && t.Started.Equal(open.Started) {
			waiting = &rows[len(rows)-1]
		}
	}
	return rows, waiting
}

func (s *Server) objectionRow(v objection.View, now time.Time) objectionRow {
	row := objectionRow{View: v}
	row.Outcome, row.Reason = v.Case.Final()
	open, ok := v.Case.Open()
	row.Timers, row.Waiting = timerRows(s.opts.Objections.Clock, v.Case.Timers, open, ok, now)
	return row
}

func deadlineRules(c deadline.Clock) *deadline.Rules {
	if c.Rules != nil {
		return c.Rules
	}
	return deadline.Default()
}

func (s *Server) fileObjection(w http.ResponseWriter, r *http.Request) {
	p := who(r)
	evidence, ok := s.readUploads(w, r, "evidence")
	if !ok {
		return
	}
	// A signed-in session's form carries its token; an anonymous one has
	// no ambient authority to abuse (cross-origin posts are refused by
	// http.CrossOriginProtection before this).
	if sessionOf(r) != nil && !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	id, ok := s.opts.Portal.RecordID(r.PathValue("ref"))
	if !ok {
		s.notFound(w, r)
		return
	}
	v, code, err := s.opts.Objections.FileWithEvidence(r.Context(), p, id, r.PostFormValue("applicant"), r.PostFormValue("reasons"),
		r.PostFormValue("contact"), evidence)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if code == "" {
		http.Redirect(w, r, "/objections/"+strconv.FormatInt(v.Row.ID, 10), http.StatusSeeOther)
		return
	}
	// The 查询码 is shown once, on this page.
	s.renderObjection(w, r, http.StatusCreated, v, code, true)
}

// codeOrSignIn is who reads or acts on a case that its 查询码 opens
// (objections, complaints): anyone holding code, else a signed-in user
// (sent to sign in when there is none; ok false then).
func (s *Server) codeOrSignIn(w http.ResponseWriter, r *http.Request, code string) (auth.Principal, string, bool) {
	if code != "" {
		return who(r), code, true
	}
	p, ok := s.requireSignIn(w, r)
	return p, "", ok
}

func (s *Server) objectionPage(w http.ResponseWriter, r *http.Request) {
	p, code, ok := s.codeOrSignIn(w, r, r.URL.Query().Get("code"))
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	v, err := s.opts.Objections.GetWithCode(r.Context(), p, id, code)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderObjection(w, r, http.StatusOK, v, code, false)
}

// renderObjection renders a case; code is the 查询码 its reader holds
// (carried by its forms and links), shown as new when fresh.
func (s *Server) renderObjection(w http.ResponseWriter, r *http.Request, status int, v objection.View, code string, fresh bool) {
	s.render(w, r, status, "objection", "异议 "+strconv.FormatInt(v.Row.ID, 10), map[string]any{
		"O": s.objectionRow(v, time.Now()), "RecordRef": s.opts.Portal.RecordRef(v.Record.ID),
		"Outcomes": []objection.Outcome{objection.Correct, objection.Revoke, objection.Uphold},
		"Code":     code, "NewCode": fresh,
		// A member of the supplying department who may correct the record
		// files the correction from a form (intake), then decides.
		"CanCorrect": v.Case.State != objection.Closed && s.canChange(r, s.opts.Portal.RecordRef(v.Record.ID)),
	})
}

func (s *Server) actOnObjection(w http.ResponseWriter, r *http.Request) {
	p, code, ok := s.codeOrSignIn(w, r, r.PostFormValue("code"))
	if !ok {
		return
	}
	if sessionOf(r) != nil && !checkCSRF(r) {
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
	_, err = s.opts.Objections.ActWithCode(r.Context(), p, id, code, rev, objection.Action(r.PostFormValue("action")),
		objection.Outcome(r.PostFormValue("outcome")), r.PostFormValue("note"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	next := "/objections/" + r.PathValue("id")
	if code != "" {
		next += "?code=" + url.QueryEscape(code)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// objectionEvidence sends an attached file to a holder of a role for the
// case.
func (s *Server) objectionEvidence(w http.ResponseWriter, r *http.Request) {
	s.caseFile(w, r, auth.AuditObjection, "objection:", s.pageError,
		func(ctx context.Context, p auth.Principal, id, fid int64) (string, string, []byte, error) {
			f, err := s.opts.Objections.Evidence(ctx, p, id, fid)
			return f.Name, f.ContentType, f.Data, err
		})
}

func (s *Server) objectionQueue(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	var states []objection.State
	if q.Get("all") == "" {
		states = []objection.State{objection.Pending, objection.Reviewing}
	}
	vs, err := s.opts.Objections.Queue(r.Context(), p, states)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	now := time.Now()
	names := s.orgNames(r.Context())
	rows := make([]objectionRow, 0, len(vs))
	var waiting []*timerRow
	for _, v := range vs {
		row := s.objectionRow(v, now)
		if q.Get("overdue") != "" && (row.Waiting == nil || row.Waiting.Status.State != deadline.Overdue) {
			continue
		}
		switch role := v.Case.Assignee(); role {
		case objection.Department:
			row.Assignee = names.of(v.Row.Dept)
		case "":
		default:
			row.Assignee = role.Label()
		}
		rows = append(rows, row)
		waiting = append(waiting, row.Waiting)
	}
	s.render(w, r, http.StatusOK, "objections", "异议办理", map[string]any{"Rows": rows, "All": len(states) == 0, "Staff": p.Staff(),
		"Due": summarizeDue(waiting), "Overdue": q.Get("overdue") != ""})
}

// dueSummary counts the steps a queue waits on that are due soon or
// overdue: the reminder shown atop the queue.
type dueSummary struct{ DueSoon, Overdue, Escalated int }

func summarizeDue(steps []*timerRow) dueSummary {
	var d dueSummary
	for _, t := range steps {
		switch {
		case t == nil:
		case t.Status.State == deadline.DueSoon:
			d.DueSoon++
		case t.Status.State == deadline.Overdue:
			d.Overdue++
			if t.Status.Level > 1 {
				d.Escalated++
			}
		}
	}
	return d
}

// orgNamer names departments by USCC for one page, reading each once.
type orgNamer struct {
	ctx context.Context
	s   *Server
	m   map[string]string
}

func (s *Server) orgNames(ctx context.Context) orgNamer {
	return orgNamer{ctx: ctx, s: s, m: map[string]string{}}
}

// of is the department's name, or its USCC when it is not in the tree.
func (n orgNamer) of(uscc string) string {
	if name, ok := n.m[uscc]; ok {
		return name
	}
	name := uscc
	if o, err := store.DeptOrg(n.ctx, n.s.opts.Store, uscc); err == nil && o != nil {
		name = o.Name
	}
	n.m[uscc] = name
	return name
}

// ObjectionInput is a new objection.
type ObjectionInput struct {
	Body struct {
		Record  string `json:"record" doc:"the record's reference, as in /records/{ref}" minLength:"1" maxLength:"100"`
		Reasons string `json:"reasons" doc:"why the record is wrong (异议理由), at most 2,000 characters" minLength:"1" maxLength:"8000"`
		Contact string `json:"contact,omitempty" doc:"phone or e-mail for the department to reach the applicant (required unless the caller is the record's subject)" maxLength:"400"`
		// Someone other than the record's subject (signed in or not)
		// names themselves and must bring evidence; the record must be
		// public.
		Applicant string        `json:"applicant,omitempty" doc:"the applicant's name, required unless the caller is the signed-in user of the record's subject; then evidence and contact are required too and the record must be public" maxLength:"400"`
		Evidence  []RepairProof `json:"evidence,omitempty" doc:"files supporting the objection (PDF, JPEG or PNG, base64, at most 5 of 5 MiB)" maxItems:"5"`
	}
}

// ObjectionIDInput names a case.
type ObjectionIDInput struct {
	ID   int64  `path:"id" minimum:"1"`
	Code string `query:"code" maxLength:"64" doc:"the 查询码 given to an applicant without an account, instead of signing in"`
}

// ObjectionOutput is a case as its reader may see it.
type ObjectionOutput struct {
	Body ObjectionCase
}

// ObjectionCase is the API's view of an objection.
type ObjectionCase struct {
	ID            int64           `json:"id"`
	Record        string          `json:"record" doc:"the record's reference"`
	RecordVersion int             `json:"record_version" doc:"the version objected to"`
	State         string          `json:"state" enum:"pending,decided,reviewing,closed,rejected,withdrawn"`
	StateLabel    string          `json:"state_label"`
	Marked        bool            `json:"marked" doc:"the record is shown marked 异议处理中 now"`
	Applicant     string          `json:"applicant"`
	Contact       string          `json:"contact,omitempty"`
	Dept          string          `json:"dept" doc:"USCC of the department that supplied the record"`
	Reasons       string          `json:"reasons"`
	Outcome       string          `json:"outcome,omitempty" enum:"correct,revoke,uphold" doc:"the outcome in force (the re-review's when there was one)"`
	OutcomeLabel  string          `json:"outcome_label,omitempty"`
	OutcomeReason string          `json:"outcome_reason,omitempty"`
	Steps         []ObjectionStep `json:"steps"`
	History       []ObjectionItem `json:"history"`
	Can           []string        `json:"can" doc:"the actions the reader may take now"`
	Rev           int             `json:"rev" doc:"the revision: an action must name it"`
	AccessCode    string          `json:"access_code,omitempty" doc:"the 查询码, given once to an applicant who is not the record's subject: GET /api/v1/objections/{id}?code=… follows the case"`
}

// ObjectionStep is one deadline of a case.
type ObjectionStep struct {
	Step        string `json:"step"`
	Name        string `json:"name"`
	Due         string `json:"due" format:"date"`
	Provisional bool   `json:"provisional,omitempty" doc:"the due date depends on a year whose holidays are not loaded yet (暂定)"`
	State       string `json:"state" enum:"open,due_soon,overdue,done_on_time,done_late"`
	StateLabel  string `json:"state_label"`
	Took        int    `json:"took,omitempty" doc:"working days taken, when done"`
	Level       int    `json:"level,omitempty" doc:"how many levels up an overdue step has been escalated"`
}

// ObjectionItem is one entry of a case's history.
type ObjectionItem struct {
	At      time.Time `json:"at"`
	Role    string    `json:"role" enum:"applicant,department,superior,platform"`
	Action  string    `json:"action" enum:"file,reject,decide,request_review,decide_review,withdraw"`
	Outcome string    `json:"outcome,omitempty"`
	Note    string    `json:"note,omitempty"`
}

func (s *Server) objectionCase(v objection.View) ObjectionCase {
	row := s.objectionRow(v, time.Now())
	o := ObjectionCase{ID: v.Row.ID, Record: s.opts.Portal.RecordRef(v.Record.ID), RecordVersion: v.Row.RecordVersion,
		State: string(v.Case.State), StateLabel: v.Case.State.Label(), Marked: v.Case.Marks(), Applicant: v.Row.ApplicantName,
		Contact: v.Contact, Dept: v.Row.Dept, Reasons: v.Case.Reasons, Rev: v.Row.Rev, Steps: []ObjectionStep{}, History: []ObjectionItem{}, Can: []string{}}
	if row.Outcome != "" {
		o.Outcome, o.OutcomeLabel, o.OutcomeReason = string(row.Outcome), row.Outcome.Label(), row.Reason
	}
	for _, tr := range row.Timers {
		o.Steps = append(o.Steps, ObjectionStep{Step: tr.Step, Name: tr.Name, Due: tr.Due, Provisional: tr.Provisional,
			State: string(tr.Status.State), StateLabel: tr.Status.State.Label(), Took: tr.Status.Took, Level: tr.Status.Level})
	}
	for _, e := range v.Case.History {
		o.History = append(o.History, ObjectionItem{At: e.At, Role: string(e.Role), Action: string(e.Action), Outcome: string(e.Outcome), Note: e.Note})
	}
	for _, a := range v.Can {
		o.Can = append(o.Can, string(a))
	}
	return o
}

// subjectRecordCall checks a call of a subject user about a record: the
// service is configured (on), the reference is a record's.
func (s *Server) subjectRecordCall(ctx context.Context, on bool, ref string) (auth.Principal, int64, error) {
	if !on {
		return auth.Principal{}, 0, errNotServed
	}
	id, ok := s.opts.Portal.RecordID(ref)
	if !ok {
		return auth.Principal{}, 0, fault.New(fault.NotFound, "没有该信息")
	}
	return principalFrom(ctx), id, nil
}

// maxUploadJSON bounds a JSON body with files: attach's limits in base64,
// and the text around them.
const maxUploadJSON = attach.MaxFiles*attach.MaxBytes/3*4 + 1<<20

func (s *Server) registerObjectionAPI() {
	huma.Register(s.api, huma.Operation{
		OperationID: "post-objection",
		Method:      "POST",
		Path:        "/api/v1/objections",
		Summary:     "File an objection to a record (提出异议)",
		Description: "The subject user of the record's subject (signed in) objects to the record with reasons; anyone else (signed " +
			"in or not) may object to a public record with their name, a contact and evidence, and receives a 查询码 (access_code) " +
			"to follow the case. The record is " +
			"marked 异议处理中 at once and the case goes to the department that supplied it, which decides within 5 working days " +
			"(更正, 撤销 or 维持). Returns the case; follow it with GET /api/v1/objections/{id}.",
		Tags:          []string{"objections"},
		Security:      secOptional,
		Errors:        errsCase,
		MaxBodyBytes:  maxUploadJSON,
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *ObjectionInput) (*ObjectionOutput, error) {
		_, id, err := s.subjectRecordCall(ctx, s.opts.Objections != nil, in.Body.Record)
		if err != nil {
			return nil, err
		}
		evidence := make([]attach.File, len(in.Body.Evidence))
		for i, f := range in.Body.Evidence {
			evidence[i] = attach.File{Name: f.Name, Data: f.Data}
		}
		v, code, err := s.opts.Objections.FileWithEvidence(ctx, principalFrom(ctx), id, in.Body.Applicant, in.Body.Reasons, in.Body.Contact, evidence)
		if err != nil {
			return nil, err
		}
		out := &ObjectionOutput{Body: s.objectionCase(v)}
		out.Body.AccessCode = code
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-objection",
		Method:      "GET",
		Path:        "/api/v1/objections/{id}",
		Summary:     "An objection and its history",
		Description: "The case with its deadlines (each step's due date and whether it was met) and its history. Readable by the " +
			"applicant, the supplying department's reviewers, the reviewers above it and the platform's; without an account, " +
			"by whoever holds the case's 查询码 (code).",
		Tags:     []string{"objections"},
		Security: secOptional,
		Errors:   with(errsGuarded, http.StatusNotFound),
	}, func(ctx context.Context, in *ObjectionIDInput) (*ObjectionOutput, error) {
		if s.opts.Objections == nil {
			return nil, errNotServed
		}
		p := principalFrom(ctx)
		if in.Code == "" && p.Kind == auth.Anonymous {
			// Anonymous callers follow a case by its 查询码 only.
			return nil, fault.New(fault.Unauthenticated, "请先登录，或提供异议的查询码（code）")
		}
		v, err := s.opts.Objections.GetWithCode(ctx, p, in.ID, in.Code)
		if err != nil {
			return nil, err
		}
		return &ObjectionOutput{Body: s.objectionCase(v)}, nil
	})
}
