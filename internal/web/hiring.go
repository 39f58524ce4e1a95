package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/hiring"
	"github.com/xinyong/xinyong/internal/report"
)

// Hiring-check pages and API (陕发改财金〔2021〕789号, package hiring): the
// requesting unit files a request with its candidate list; the credit
// office checks, a second officer reviews a hit, the office sends the
// reply (a printable document); a candidate objects and the chain runs
// to its end, every step with its owner and deadline.

func (s *Server) registerHiring(mux *http.ServeMux) {
	s.registerHiringAPI()
	if s.opts.Hiring == nil {
		return
	}
	mux.HandleFunc("GET /hiring-checks", s.hiringList)
	mux.HandleFunc("GET /hiring-checks/new", s.hiringForm)
	mux.HandleFunc("POST /hiring-checks", s.hiringSubmit)
	mux.HandleFunc("GET /hiring-checks/{id}", s.hiringPage)
	mux.HandleFunc("POST /hiring-checks/{id}", s.hiringAct)
	mux.HandleFunc("GET /hiring-checks/{id}/reply", s.hiringReply)
	mux.HandleFunc("GET /hiring-checks/{id}/reply.pdf", s.hiringReplyPDF)
}

// hiringRow is a request in a list.
type hiringRow struct {
	V     hiring.View
	State string
	Track []hiring.TimerView
	Late  []hiring.TimerView
}

func (s *Server) hiringNow() time.Time {
	if s.opts.Hiring.Now != nil {
		return s.opts.Hiring.Now()
	}
	return time.Now()
}

func (s *Server) hiringList(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	vs, err := s.opts.Hiring.List(r.Context(), p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	now := s.hiringNow()
	var rows []hiringRow
	for _, v := range vs {
		row := hiringRow{V: v, State: hiring.StateLabel(v.C.State), Track: s.opts.Hiring.Track(v, now)}
		for _, t := range row.Track {
			if t.Open && t.Late {
				row.Late = append(row.Late, t)
			}
		}
		rows = append(rows, row)
	}
	canAsk := p.Staff() && s.opts.Authorizer.Can(p, auth.HiringRequest, auth.Resource{OrgPath: p.Org.Path})
	s.render(w, r, http.StatusOK, "hiring", "招录人选信用记录查询", map[string]any{"Rows": rows, "CanAsk": canAsk, "Subject": p.SubjectID != 0})
}

type hiringFormData struct {
	In    hiring.HiringApplication
	List  string
	Kinds []string
	Errs  []hiring.FieldError
	Rules []hiring.Rule
}

func (s *Server) hiringForm(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if d := s.decide(p, auth.HiringRequest, auth.Resource{OrgPath: p.Org.Path}); !d.Allow || !p.Staff() {
		s.forbidden(w, r, d)
		return
	}
	s.render(w, r, http.StatusOK, "hiringform", "提出查询申请", hiringFormData{Kinds: s.opts.Hiring.Routing.Kinds, Rules: s.opts.Hiring.Routing.Rules})
}

// maxHiringUpload bounds a request form with its candidate file.
const maxHiringUpload = 8 << 20

func (s *Server) hiringSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxHiringUpload)
	if err := r.ParseMultipartForm(maxHiringUpload); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		s.pageError(w, r, fault.New(fault.Invalid, "表单或名单文件无法读取（不超过8MB）"))
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	f := r.PostFormValue
	in := hiring.HiringApplication{Kind: f("kind"), DocNo: f("doc_no"), Title: f("title"), Matter: f("matter"), Contact: f("contact"), Phone: f("phone")}
	d := hiringFormData{In: in, List: f("list"), Kinds: s.opts.Hiring.Routing.Kinds, Rules: s.opts.Hiring.Routing.Rules}
	var err error
	if file, _, ferr := r.FormFile("file"); ferr == nil {
		in.Candidates, err = hiring.ParseList(file)
		file.Close()
	} else {
		in.Candidates, err = hiring.ParseList(strings.NewReader(f("list")))
	}
	if err == nil {
		var v hiring.View
		v, err = s.opts.Hiring.Submit(r.Context(), p, in)
		if err == nil {
			http.Redirect(w, r, "/hiring-checks/"+strconv.FormatInt(v.C.ID, 10), http.StatusSeeOther)
			return
		}
	}
	var inv *hiring.Invalid
	if errors.As(err, &inv) {
		d.Errs = inv.Errs
	} else if fault.KindOf(err) == fault.Invalid || fault.KindOf(err) == fault.Exists {
		d.Errs = []hiring.FieldError{{Field: "申请", Reason: fault.Message(err)}}
	} else {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusUnprocessableEntity, "hiringform", "提出查询申请", d)
}

func (s *Server) hiringView(w http.ResponseWriter, r *http.Request) (hiring.View, bool) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return hiring.View{}, false
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return hiring.View{}, false
	}
	v, err := s.opts.Hiring.Get(r.Context(), p, id)
	if err != nil {
		s.pageError(w, r, err)
		return hiring.View{}, false
	}
	return v, true
}

// hiringPageData is what a request's page shows.
type hiringPageData struct {
	V           hiring.View
	State       string
	Track       []hiring.TimerView
	Can         []string
	Steps       []hiringStepForm // objection steps the reader may do now
	Events      []hiring.Event
	Outcomes    []string
	ReviewItems []string
	Chain       []hiringChainStep
}

type hiringStepForm struct {
	Candidate int
	Action    string
	Label     string
	Outcome   bool
}

type hiringChainStep struct{ Name, Owner string }

func (s *Server) hiringData(v hiring.View, p auth.Principal) hiringPageData {
	d := hiringPageData{V: v, State: hiring.StateLabel(v.C.State), Track: s.opts.Hiring.Track(v, s.hiringNow()),
		Can: hiringCan(v, p), Outcomes: hiring.Outcomes, ReviewItems: hiring.ReviewItems}
	if v.Has(hiring.RoleUnit) || v.Has(hiring.RoleOffice) {
		d.Events = v.Flow.Events
	}
	for _, o := range v.Flow.Objections {
		si, ok := o.Open()
		if !ok {
			continue
		}
		st := o.Steps[si]
		owner := st.Owner == hiring.OwnerUnit && v.Has(hiring.RoleUnit) || st.Owner != hiring.OwnerUnit && st.Owner != hiring.OwnerCandidate && v.Has(hiring.RoleOffice)
		if !owner {
			continue
		}
		act := hiringStepAction[st.Key]
		decides := st.Key == "hiring.national" || st.Key == "hiring.result" && o.Level == hiring.City
		d.Steps = append(d.Steps, hiringStepForm{Candidate: o.Candidate, Action: act, Label: hiring.ActionLabel(act), Outcome: decides})
	}
	if c, ok := s.opts.Hiring.Routing.Chain(v.C.Level); ok {
		for _, st := range c.Steps {
			d.Chain = append(d.Chain, hiringChainStep{Name: s.opts.Hiring.StepName(st.Key), Owner: hiring.OwnerLabel(st.Owner)})
		}
	}
	return d
}

// hiringCan lists the request-level actions p may do now.
func hiringCan(v hiring.View, p auth.Principal) []string {
	var out []string
	if v.Erased {
		return out
	}
	if v.Has(hiring.RoleOffice) {
		switch v.C.State {
		case hiring.StateReceived:
			out = append(out, hiring.ActCheck, hiring.ActExtend)
		case hiring.StateReview:
			if p.String() != v.Flow.CheckedBy {
				out = append(out, hiring.ActReview)
			}
			out = append(out, hiring.ActExtend)
		case hiring.StateReady:
			out = append(out, hiring.ActSend, hiring.ActExtend)
		}
	}
	if v.Has(hiring.RoleUnit) && v.C.State == hiring.StateReplied && !v.Erased {
		out = append(out, "register")
	}
	if v.Has(hiring.RoleCandidate) && v.C.State == hiring.StateReplied {
		open := false
		for _, o := range v.Flow.Objections {
			for _, l := range v.Lines {
				if o.Candidate == l.Index && !o.Closed {
					open = true
				}
			}
		}
		if !open {
			out = append(out, hiring.ActObject)
		}
	}
	return out
}

func (s *Server) hiringPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.hiringView(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "hiringcase", "查询申请 "+v.C.DocNo, s.hiringData(v, who(r)))
}

func (s *Server) hiringAct(w http.ResponseWriter, r *http.Request) {
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
	f := r.PostFormValue
	rev, _ := strconv.Atoi(f("rev"))
	days, _ := strconv.Atoi(f("days"))
	cand, _ := strconv.Atoi(f("candidate"))
	a := hiring.HiringAction{Name: f("action"), Rev: rev, Note: f("note"), Days: days, Items: r.PostForm["items"], Outcome: f("outcome"), Candidate: cand}
	if _, err := s.opts.Hiring.Act(r.Context(), p, id, a); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/hiring-checks/"+r.PathValue("id"), http.StatusSeeOther)
}

// hiringReply is the reply document, printable (the browser prints it to
// PDF); only once sent.
func (s *Server) hiringReply(w http.ResponseWriter, r *http.Request) {
	v, ok := s.hiringView(w, r)
	if !ok {
		return
	}
	if v.Reply == nil {
		s.pageError(w, r, fault.New(fault.NotFound, "尚未答复"))
		return
	}
	s.render(w, r, http.StatusOK, "hiringreply", v.Reply.No, v.Reply)
}

// replyLetter lays the reply out as a letter: from the reply alone, so
// that the PDF can hold nothing the reply cannot.
func replyLetter(r hiring.Reply, site string, issued time.Time) report.Letter {
	l := report.Letter{Number: r.No, Title: "关于" + r.Kind + "人选社会信用记录查询核实结果的函", Site: site, Issued: issued, To: r.Unit,
		Paragraphs: []string{"你单位《" + r.RequestNo + "》收悉。经查询，现将" + strconv.Itoa(len(r.Lines)) +
			"名人选的查询核实结果反馈如下（仅反馈是否为失信联合惩戒对象及所在名单，不含其他信用信息）："},
		After: []string{"被查询对象对查询结果有异议的，可自获知结果之日起3个工作日内向你单位提出异议申请。"},
		From:  r.Office, Date: r.Date}
	for _, line := range r.Lines {
		target, names := "否", "—"
		if line.Target {
			target = "是"
			var ns []string
			for _, n := range line.Lists {
				ns = append(ns, n.String())
			}
			names = strings.Join(ns, "、")
		}
		l.Items = append(l.Items, report.Item{Title: line.Name, Fields: []report.Field{{Label: "身份证号", Value: line.IDNumber},
			{Label: "岗位", Value: line.Post}, {Label: "是否为失信联合惩戒对象", Value: target}, {Label: "所在名单", Value: names}}})
	}
	return l
}

func (s *Server) hiringReplyPDF(w http.ResponseWriter, r *http.Request) {
	v, ok := s.hiringView(w, r)
	if !ok {
		return
	}
	if v.Reply == nil {
		s.pageError(w, r, fault.New(fault.NotFound, "尚未答复"))
		return
	}
	b, err := report.RenderLetter(replyLetter(*v.Reply, s.pages.siteName, v.Flow.SentAt))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="reply-`+strconv.FormatInt(v.C.ID, 10)+`.pdf"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// API.

// HiringCheckCase is a request as its reader may see it.
type HiringCheckCase struct {
	ID         int64             `json:"id"`
	Kind       string            `json:"kind"`
	DocNo      string            `json:"doc_no"`
	Title      string            `json:"title"`
	Matter     string            `json:"matter"`
	Unit       string            `json:"unit" doc:"The requesting unit."`
	Responder  string            `json:"responder" doc:"The credit office that answers."`
	Level      string            `json:"level" enum:"province,city" doc:"The level that answers (routing rules)."`
	System     string            `json:"system" doc:"The system the answer comes from."`
	State      string            `json:"state" enum:"received,review,ready,replied"`
	StateLabel string            `json:"state_label"`
	Due        string            `json:"due" format:"date" doc:"The answer's deadline (3 working days, plus extensions)."`
	Candidates []HiringLine      `json:"candidates" doc:"Per candidate only: is a 失信联合惩戒对象, and on which lists (after the check). A candidate reading sees his or her own line, the ID number masked."`
	Reply      *HiringReply      `json:"reply,omitempty" doc:"The reply document once sent."`
	Track      []HiringTimer     `json:"track" doc:"Every deadline: the answer's and each objection step's, with who must act."`
	Extensions []HiringExtension `json:"extensions"`
	Objections []HiringObjection `json:"objections"`
	Can        []string          `json:"can" doc:"What the reader may do now; an objection step as action:candidate."`
	Rev        int               `json:"rev"`
	Erased     bool              `json:"erased" doc:"Personal data erased after the retention period."`
}

// HiringLine is a reply's line (hiring.Line): nothing but the fact.
type HiringLine struct {
	Index    int      `json:"index"`
	Name     string   `json:"name"`
	IDNumber string   `json:"id_number"`
	Post     string   `json:"post"`
	Target   bool     `json:"target" doc:"Is a 失信联合惩戒对象."`
	Lists    []string `json:"lists" doc:"The lists (严重失信主体名单) he or she is on."`
}

// HiringReply is the reply document.
type HiringReply struct {
	No        string       `json:"no" doc:"答复文号."`
	Date      string       `json:"date" format:"date"`
	Office    string       `json:"office"`
	Unit      string       `json:"unit"`
	RequestNo string       `json:"request_no"`
	Kind      string       `json:"kind"`
	Lines     []HiringLine `json:"lines"`
}

// HiringExtension is an extension of the answer's deadline.
type HiringExtension struct {
	At     time.Time `json:"at"`
	Days   int       `json:"days"`
	Reason string    `json:"reason"`
	From   string    `json:"from" format:"date"`
	To     string    `json:"to" format:"date"`
}

// HiringObjection is a candidate's objection and its chain.
type HiringObjection struct {
	Candidate int           `json:"candidate"`
	Reason    string        `json:"reason"`
	Outcome   string        `json:"outcome,omitempty"`
	Closed    bool          `json:"closed"`
	Steps     []HiringTimer `json:"steps" doc:"The steps started so far."`
}

// HiringTimer is a deadline of a request.
type HiringTimer struct {
	What      string    `json:"what"`
	Candidate int       `json:"candidate,omitempty"`
	Owner     string    `json:"owner"`
	Due       string    `json:"due" format:"date"`
	State     string    `json:"state" enum:"open,due_soon,overdue,done_on_time,done_late"`
	Started   time.Time `json:"started"`
	Done      time.Time `json:"done,omitzero"`
}

func hiringLines(ls []hiring.Line) []HiringLine {
	out := []HiringLine{}
	for _, l := range ls {
		h := HiringLine{Index: l.Index, Name: l.Name, IDNumber: l.IDNumber, Post: l.Post, Target: l.Target, Lists: []string{}}
		for _, n := range l.Lists {
			h.Lists = append(h.Lists, n.String())
		}
		out = append(out, h)
	}
	return out
}

func (s *Server) hiringCase(v hiring.View, p auth.Principal) HiringCheckCase {
	c := v.C
	out := HiringCheckCase{ID: c.ID, Kind: c.Kind, DocNo: c.DocNo, Title: c.Title, Matter: c.Matter, Unit: v.Unit.Name, Responder: v.Responder.Name,
		Level: c.Level, System: v.Rule.System, State: c.State, StateLabel: hiring.StateLabel(c.State), Due: v.Flow.Answer.Due.String(),
		Candidates: hiringLines(v.Lines), Track: []HiringTimer{}, Extensions: []HiringExtension{}, Objections: []HiringObjection{},
		Can: append([]string{}, hiringCan(v, p)...), Rev: c.Rev, Erased: v.Erased}
	if r := v.Reply; r != nil {
		out.Reply = &HiringReply{No: r.No, Date: r.Date, Office: r.Office, Unit: r.Unit, RequestNo: r.RequestNo, Kind: r.Kind, Lines: hiringLines(r.Lines)}
	}
	for _, e := range v.Flow.Extensions {
		out.Extensions = append(out.Extensions, HiringExtension{At: e.At, Days: e.Days, Reason: e.Reason, From: e.From.String(), To: e.To.String()})
	}
	now := s.hiringNow()
	timer := func(t hiring.TimerView) HiringTimer {
		return HiringTimer{What: t.What, Candidate: t.Candidate, Owner: t.Owner, Due: t.Due.String(), State: string(t.State), Started: t.Started, Done: t.Done}
	}
	for _, t := range s.opts.Hiring.Track(v, now) {
		out.Track = append(out.Track, timer(t))
	}
	staff := v.Has(hiring.RoleUnit) || v.Has(hiring.RoleOffice)
	for _, o := range v.Flow.Objections {
		own := staff
		for _, l := range v.Lines {
			own = own || l.Index == o.Candidate
		}
		if !own {
			continue
		}
		ho := HiringObjection{Candidate: o.Candidate, Reason: o.Reason, Outcome: o.Outcome, Closed: o.Closed, Steps: []HiringTimer{}}
		for _, t := range s.opts.Hiring.Track(v, now) {
			if t.Candidate == o.Candidate {
				ho.Steps = append(ho.Steps, timer(t))
			}
		}
		out.Objections = append(out.Objections, ho)
		if si, ok := o.Open(); ok {
			st := o.Steps[si]
			if st.Owner == hiring.OwnerUnit && v.Has(hiring.RoleUnit) || (st.Owner == hiring.OwnerOffice || st.Owner == hiring.OwnerNational) && v.Has(hiring.RoleOffice) {
				out.Can = append(out.Can, hiringStepAction[st.Key]+":"+strconv.Itoa(o.Candidate))
			}
		}
	}
	return out
}

var hiringStepAction = map[string]string{"hiring.forward": hiring.ActForward, "hiring.apply": hiring.ActApply,
	"hiring.national": hiring.ActNational, "hiring.result": hiring.ActResult, "hiring.notify": hiring.ActNotify}

// HiringInput files a request.
type HiringInput struct {
	Body hiring.HiringApplication
}

// HiringOutput is a request.
type HiringOutput struct {
	Body HiringCheckCase
}

// HiringIDInput names a request.
type HiringIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

// HiringActInput is an action on a request.
type HiringActInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body hiring.HiringAction
}

// HiringListOutput lists requests.
type HiringListOutput struct {
	Body struct {
		Items []HiringCheckCase `json:"items"`
	}
}

const maxHiringBytes = 2 << 20

func (s *Server) registerHiringAPI() {
	on := func() error {
		if s.opts.Hiring == nil {
			return errNotServed
		}
		return nil
	}
	huma.Register(s.api, huma.Operation{
		OperationID: "post-hiring-check",
		Method:      "POST",
		Path:        "/api/v1/hiring-checks",
		Summary:     "Ask for the credit records of hiring candidates (陕发改财金〔2021〕789号)",
		Description: "A requesting unit (staff with the hirer role, or an API key with scope hiring:request) files its formal request: " +
			"the document's fields and the candidate list. The hiring kind and the unit's level decide which credit office answers " +
			"(the routing rules, docs/hiring.md); it must answer within 3 working days, saying of each candidate only whether he or " +
			"she is a 失信联合惩戒对象 and on which list.",
		Tags:          []string{"hiring-checks"},
		Security:      secSignedIn,
		Errors:        with(errsBody, http.StatusConflict),
		MaxBodyBytes:  maxHiringBytes,
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *HiringInput) (*HiringOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		p := principalFrom(ctx)
		v, err := s.opts.Hiring.Submit(ctx, p, in.Body)
		if err != nil {
			return nil, err
		}
		return &HiringOutput{Body: s.hiringCase(v, p)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "list-hiring-checks",
		Method:      "GET",
		Path:        "/api/v1/hiring-checks",
		Summary:     "Hiring checks the caller may see",
		Description: "Those the caller's unit asked, those its credit office answers, and for a person those about him or her.",
		Tags:        []string{"hiring-checks"},
		Security:    secSignedIn,
		Errors:      errsGuarded,
	}, func(ctx context.Context, _ *struct{}) (*HiringListOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		p := principalFrom(ctx)
		vs, err := s.opts.Hiring.List(ctx, p)
		if err != nil {
			return nil, err
		}
		out := &HiringListOutput{}
		out.Body.Items = []HiringCheckCase{}
		for _, v := range vs {
			out.Body.Items = append(out.Body.Items, s.hiringCase(v, p))
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-hiring-check",
		Method:      "GET",
		Path:        "/api/v1/hiring-checks/{id}",
		Summary:     "A hiring check, where it stands and who must act",
		Description: "Readable by the requesting unit, the credit office that answers (or one above it) and, for his or her own line, a candidate.",
		Tags:        []string{"hiring-checks"},
		Security:    secSignedIn,
		Errors:      with(errsGuarded, http.StatusNotFound),
	}, func(ctx context.Context, in *HiringIDInput) (*HiringOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		p := principalFrom(ctx)
		v, err := s.opts.Hiring.Get(ctx, p, in.ID)
		if err != nil {
			return nil, err
		}
		return &HiringOutput{Body: s.hiringCase(v, p)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "post-hiring-check-action",
		Method:      "POST",
		Path:        "/api/v1/hiring-checks/{id}/actions",
		Summary:     "Act on a hiring check: check, review, send, extend, object, and the objection chain's steps",
		Description: "The office checks; a hit waits for the second review (复审、复核、复查) by another officer; the office sends the " +
			"reply, or extends the deadline with a reason (the unit sees it). A candidate objects; the unit forwards; the provincial " +
			"office applies to the national centre and enters its result (a city office decides itself); the office tells the unit; " +
			"the unit tells the candidate. Each step has 3 working days.",
		Tags:         []string{"hiring-checks"},
		Security:     secSignedIn,
		Errors:       errsCase,
		MaxBodyBytes: 64 << 10,
	}, func(ctx context.Context, in *HiringActInput) (*HiringOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		p := principalFrom(ctx)
		v, err := s.opts.Hiring.Act(ctx, p, in.ID, in.Body)
		if err != nil {
			return nil, err
		}
		return &HiringOutput{Body: s.hiringCase(v, p)}, nil
	})
}
