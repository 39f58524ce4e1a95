package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/commitment"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store"
)

// Commitment pages: a subject user signs a commitment to a department; a
// department's staff register the commitments made to them and record
// whether each was kept (a breach becomes a 违背信用承诺 record); anyone
// reads a public commitment. Forms are CSRF-protected; the assessment
// carries the revision its author saw.

func (s *Server) registerCommitments(mux *http.ServeMux) {
	s.registerCommitmentAPI()
	if s.opts.Commitments == nil {
		return
	}
	mux.HandleFunc("GET /commitments", s.commitmentQueue)
	mux.HandleFunc("GET /commitments/new", s.commitmentForm)
	mux.HandleFunc("POST /commitments", s.makeCommitment)
	mux.HandleFunc("GET /commitments/{id}", s.commitmentPage)
	mux.HandleFunc("POST /commitments/{id}", s.assessCommitment)
}

// commitmentFormData is what the new-commitment form shows: the values
// typed so far and what is wrong with them.
type commitmentFormData struct {
	Staff       bool // registering for the department (else signing as the subject)
	Terms       commitment.Terms
	Promisor    commitment.PromisorRef
	Acceptor    string
	Depts       []auth.Org
	Errs        []commitment.FieldError
	Kinds       []string
	Disclosures []string
	Classes     []string
}

func (s *Server) newCommitmentForm(ctx context.Context, p auth.Principal) (commitmentFormData, error) {
	d := commitmentFormData{Staff: p.Staff(), Disclosures: commitment.Disclosures, Classes: commitment.ClassLabels}
	for _, k := range commitment.Kinds {
		if k != store.CommitmentRepair {
			d.Kinds = append(d.Kinds, k)
		}
	}
	if !d.Staff {
		orgs, err := s.opts.Store.ListOrgs(ctx, "")
		if err != nil {
			return d, err
		}
		for _, o := range orgs {
			if o.Kind == auth.Dept && !o.Disabled && o.USCC != "" {
				d.Depts = append(d.Depts, o)
			}
		}
	}
	return d, nil
}

func (s *Server) commitmentForm(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	d, err := s.newCommitmentForm(r.Context(), p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d.Terms.Disclosure = commitment.Public
	d.Acceptor = r.URL.Query().Get("acceptor")
	s.render(w, r, http.StatusOK, "commitmentform", "信用承诺", d)
}

// termsOf reads the terms of a commitment form.
func termsOf(r *http.Request) commitment.Terms {
	f := r.PostFormValue
	return commitment.Terms{Kind: f("kind"), KindOther: f("kind_other"), Matter: f("matter"), Content: f("content"),
		Liability: f("liability"), MadeOn: f("made_on"), ValidUntil: f("valid_until"), Disclosure: f("disclosure"), Note: f("note")}
}

func (s *Server) makeCommitment(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	t := termsOf(r)
	pr := commitment.PromisorRef{Class: r.PostFormValue("promisor_class"), Code: r.PostFormValue("promisor_code"), Name: r.PostFormValue("promisor_name")}
	acceptor := r.PostFormValue("acceptor")
	var v commitment.View
	var err error
	if p.Staff() {
		v, err = s.opts.Commitments.Register(r.Context(), p, t, pr)
	} else {
		v, err = s.opts.Commitments.Sign(r.Context(), p, t, acceptor)
	}
	var inv *commitment.Invalid
	if errors.As(err, &inv) {
		d, ferr := s.newCommitmentForm(r.Context(), p)
		if ferr != nil {
			s.pageError(w, r, ferr)
			return
		}
		d.Terms, d.Promisor, d.Acceptor, d.Errs = t, pr, acceptor, inv.Errs
		s.render(w, r, http.StatusUnprocessableEntity, "commitmentform", "信用承诺", d)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/commitments/"+strconv.FormatInt(v.C.ID, 10), http.StatusSeeOther)
}

// commitmentPageData is a commitment's page.
type commitmentPageData struct {
	V          commitment.View
	Kind       string
	Status     string
	SubjectRef string
	BreachRef  string
	Statuses   []string
	Errs       []commitment.FieldError
	A          commitment.Assessment // the assessment typed so far
	Person     bool                  // the promisor is a person: the assessment of a breach needs the ID number
	// Expired: its 有效期 has passed and it is not assessed yet (the
	// acceptor is reminded).
	Expired bool
}

func (s *Server) commitmentData(v commitment.View) commitmentPageData {
	d := commitmentPageData{V: v, Kind: commitment.KindLabel(v.C), Status: commitment.StatusLabel(v.C),
		SubjectRef: s.opts.Portal.SubjectRef(v.Subject), Statuses: commitment.Statuses, Person: v.Subject.Class == "person"}
	if v.C.BreachRecordID != 0 {
		d.BreachRef = s.opts.Portal.RecordRef(v.C.BreachRecordID)
	}
	d.Expired = v.C.Status == "" && v.C.ValidUntil != "" && v.C.ValidUntil < calendar.Today().String()
	return d
}

func (s *Server) commitmentPage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	v, err := s.opts.Commitments.Get(r.Context(), who(r), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "commitment", "信用承诺 "+v.C.Code, s.commitmentData(v))
}

func (s *Server) assessCommitment(w http.ResponseWriter, r *http.Request) {
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
	a := commitment.Assessment{Status: f("status"), Unfulfilled: f("unfulfilled"), Pursued: f("pursued"), AssessedOn: f("assessed_on"),
		PromisorID: f("promisor_id"), Note: f("note")}
	_, err = s.opts.Commitments.Assess(r.Context(), p, id, rev, a)
	var inv *commitment.Invalid
	if errors.As(err, &inv) {
		v, gerr := s.opts.Commitments.Get(r.Context(), p, id)
		if gerr != nil {
			s.pageError(w, r, gerr)
			return
		}
		d := s.commitmentData(v)
		d.Errs, d.A = inv.Errs, a
		d.A.PromisorID = "" // never echoed back
		s.render(w, r, http.StatusUnprocessableEntity, "commitment", "信用承诺 "+v.C.Code, d)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/commitments/"+r.PathValue("id"), http.StatusSeeOther)
}

func (s *Server) commitmentQueue(w http.ResponseWriter, r *http.Request) {
	if who(r).Kind != auth.UserKind || r.URL.Query().Has("column") {
		s.commitmentColumn(w, r) // the public column (window.go)
		return
	}
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	pending := r.URL.Query().Get("all") == "" && p.Staff()
	vs, err := s.opts.Commitments.Queue(r.Context(), p, pending)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	rows := make([]commitmentPageData, len(vs))
	expired := 0
	for i, v := range vs {
		rows[i] = s.commitmentData(v)
		if rows[i].Expired {
			expired++
		}
	}
	s.render(w, r, http.StatusOK, "commitments", "信用承诺", map[string]any{"Rows": rows, "Pending": pending, "Staff": p.Staff(), "Expired": expired,
		"CanMake": p.SubjectID != 0 || p.Staff() && p.Org.USCC != "" && s.opts.Authorizer.Can(p, auth.CommitmentManage, auth.Resource{OrgPath: p.Org.Path})})
}

// fileCommitments returns the commitments of the subject of credit file f
// that p may see, made by the day the file shows, for its 信用承诺
// section; served is false when commitments are not served (the section
// stays pending). The registry is read only when the subject has
// commitments.
func (s *Server) fileCommitments(ctx context.Context, p auth.Principal, f portal.File) (views []commitment.View, served bool, err error) {
	if s.opts.Commitments == nil {
		return nil, false, nil
	}
	if f.Subject.Commitments == 0 {
		return nil, true, nil
	}
	vs, err := s.opts.Commitments.OfSubject(ctx, p, f.Subject.ID)
	if err != nil {
		return nil, true, err
	}
	for _, v := range vs {
		if v.C.MadeOn <= f.AsOf.String() {
			views = append(views, v)
		}
	}
	return views, true, nil
}

// CommitmentInput is a new commitment: signed by a subject user (who names
// the accepting department) or registered by the accepting department's
// staff or API client (who name the promisor).
type CommitmentInput struct {
	Body struct {
		Kind       string `json:"kind" enum:"审批替代型,容缺受理型,证明事项型,行业自律型,主动型,其他" doc:"承诺类型 (信用修复型 commitments are signed with a repair application)"`
		KindOther  string `json:"kind_other,omitempty" maxLength:"200" doc:"what kind, when kind is 其他 (at most 50 characters)"`
		Matter     string `json:"matter" maxLength:"2048" doc:"承诺事由, at most 512 characters"`
		Content    string `json:"content" maxLength:"16000" doc:"承诺内容, at most 4,000 characters"`
		Liability  string `json:"liability" maxLength:"16000" doc:"违诺责任, at most 4,000 characters"`
		MadeOn     string `json:"made_on,omitempty" maxLength:"10" doc:"承诺作出日期, YYYY-MM-DD (default today)"`
		ValidUntil string `json:"valid_until,omitempty" maxLength:"10" doc:"承诺有效期, YYYY-MM-DD"`
		Disclosure string `json:"disclosure" enum:"可向社会公开,特定范围内公开,不可公开" doc:"公开类型"`
		Note       string `json:"note,omitempty" maxLength:"2048" doc:"备注, at most 512 characters"`
		// A subject user names the department the commitment is made to.
		AcceptorUSCC string `json:"acceptor_uscc,omitempty" maxLength:"18" doc:"subject users: USCC of the accepting department (承诺受理单位代码)"`
		// The department names the promisor.
		Promisor *CommitmentPromisor `json:"promisor,omitempty" doc:"staff and API clients of the accepting department: who made the commitment"`
	}
}

// CommitmentPromisor names the subject that made a commitment.
type CommitmentPromisor struct {
	Class string `json:"class" enum:"法人及非法人组织,个体工商户,自然人" doc:"承诺人类别"`
	Code  string `json:"code" maxLength:"18" doc:"承诺人代码: USCC, or 身份证号 for a person (the subject is added to the registry when new)"`
	Name  string `json:"name" maxLength:"800" doc:"承诺人名称, at most 200 characters"`
}

// CommitmentIDInput names a commitment.
type CommitmentIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

// AssessmentInput is the accepting department's finding.
type AssessmentInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Rev         int    `json:"rev" minimum:"1" doc:"the revision read: a commitment changed meanwhile is refused with 409"`
		Status      string `json:"status" enum:"全部履行,部分履行,全部未履行" doc:"承诺履行状态"`
		Unfulfilled string `json:"unfulfilled,omitempty" maxLength:"16000" doc:"未履行的承诺内容 (required unless 全部履行)"`
		Pursued     string `json:"pursued,omitempty" maxLength:"16000" doc:"违诺责任追究内容 (required unless 全部履行)"`
		AssessedOn  string `json:"assessed_on,omitempty" maxLength:"10" doc:"认定日期, YYYY-MM-DD (default today)"`
		PromisorID  string `json:"promisor_id,omitempty" maxLength:"18" doc:"a person's 身份证号, required to record a person's breach (the platform keeps no ID number in clear)"`
		Note        string `json:"note,omitempty" maxLength:"2048" doc:"a remark, kept in the history and the breach record"`
	}
}

// CommitmentOutput is a commitment as its reader may see it.
type CommitmentOutput struct {
	Body CommitmentCase
}

// CommitmentCase is the API's view of a commitment, with the fields of
// the 信用承诺 template (domain facts §8).
type CommitmentCase struct {
	ID            int64             `json:"id"`
	Code          string            `json:"code" doc:"承诺编码: region (受理地) + date + sequence"`
	Kind          string            `json:"kind" doc:"承诺类型"`
	KindOther     string            `json:"kind_other,omitempty"`
	Subject       string            `json:"subject" doc:"the promisor's reference, as in /subjects/{ref}"`
	PromisorName  string            `json:"promisor_name" doc:"承诺人名称"`
	PromisorClass string            `json:"promisor_class" doc:"承诺人类别"`
	PromisorCode  string            `json:"promisor_code" doc:"承诺人代码 (a person's ID number masked)"`
	Matter        string            `json:"matter"`
	Content       string            `json:"content"`
	Liability     string            `json:"liability"`
	MadeOn        string            `json:"made_on" format:"date"`
	ValidUntil    string            `json:"valid_until,omitempty"`
	AcceptorName  string            `json:"acceptor_name" doc:"承诺受理单位 (empty: the platform)"`
	AcceptorUSCC  string            `json:"acceptor_uscc"`
	Disclosure    string            `json:"disclosure" doc:"公开类型"`
	Note          string            `json:"note,omitempty"`
	Status        string            `json:"status" doc:"承诺履行状态; 待认定 until assessed"`
	Unfulfilled   string            `json:"unfulfilled,omitempty"`
	Pursued       string            `json:"pursued,omitempty"`
	AssessedOn    string            `json:"assessed_on,omitempty"`
	AssessorName  string            `json:"assessor_name,omitempty"`
	AssessorUSCC  string            `json:"assessor_uscc,omitempty"`
	BreachRecord  string            `json:"breach_record,omitempty" doc:"reference of the 违背信用承诺 record filed for a breach"`
	History       []CommitmentEvent `json:"history"`
	Can           []string          `json:"can" doc:"what the reader may do now: assess"`
	Rev           int               `json:"rev"`
}

// CommitmentEvent is one entry of a commitment's history.
type CommitmentEvent struct {
	At     time.Time `json:"at"`
	Action string    `json:"action" enum:"sign,register,assess"`
	By     string    `json:"by"`
	Note   string    `json:"note,omitempty"`
}

func (s *Server) commitmentCase(v commitment.View) CommitmentCase {
	c := v.C
	out := CommitmentCase{ID: c.ID, Code: c.Code, Kind: c.Kind, KindOther: c.KindOther, Subject: s.opts.Portal.SubjectRef(v.Subject),
		PromisorName: c.PromisorName, PromisorClass: commitment.ClassLabel(v.Subject.Class), PromisorCode: v.Subject.DisplayCode(),
		Matter: c.Matter, Content: c.Content, Liability: c.Liability, MadeOn: c.MadeOn, ValidUntil: c.ValidUntil,
		AcceptorName: c.AcceptorName, AcceptorUSCC: c.AcceptorCode, Disclosure: c.Disclosure, Note: c.Note,
		Status: commitment.StatusLabel(c), Unfulfilled: c.Unfulfilled, Pursued: c.Pursued, AssessedOn: c.AssessedOn,
		AssessorName: c.AssessorName, AssessorUSCC: c.AssessorCode, History: []CommitmentEvent{}, Can: []string{}, Rev: c.Rev}
	if c.BreachRecordID != 0 {
		out.BreachRecord = s.opts.Portal.RecordRef(c.BreachRecordID)
	}
	for _, e := range v.History {
		out.History = append(out.History, CommitmentEvent{At: e.At, Action: string(e.Action), By: e.By, Note: e.Note})
	}
	if v.CanAssess {
		out.Can = append(out.Can, "assess")
	}
	return out
}

// maxCommitmentBytes bounds a commitment or an assessment: four texts of
// at most 4,000 characters, even with every character escaped in JSON.
const maxCommitmentBytes = 256 << 10

func (s *Server) registerCommitmentAPI() {
	on := func() error {
		if s.opts.Commitments == nil {
			return errNotServed
		}
		return nil
	}
	huma.Register(s.api, huma.Operation{
		OperationID: "post-commitment",
		Method:      "POST",
		Path:        "/api/v1/commitments",
		Summary:     "Make or register a credit commitment (信用承诺)",
		Description: "A subject user (signed in) signs a commitment to a department (acceptor_uscc). Staff or an API client " +
			"(scope commitments:manage) of the accepting department register one a promisor made to it (promisor). The platform " +
			"gives it its 承诺编码. It is public if its 公开类型 is 可向社会公开; 特定范围内公开 shows it to government staff; 不可公开 " +
			"to the promisor and the accepting department only.",
		Tags:          []string{"commitments"},
		Security:      secSignedIn,
		Errors:        errsCase,
		MaxBodyBytes:  maxCommitmentBytes,
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *CommitmentInput) (*CommitmentOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		p := principalFrom(ctx)
		b := in.Body
		t := commitment.Terms{Kind: b.Kind, KindOther: b.KindOther, Matter: b.Matter, Content: b.Content, Liability: b.Liability,
			MadeOn: b.MadeOn, ValidUntil: b.ValidUntil, Disclosure: b.Disclosure, Note: b.Note}
		var v commitment.View
		var err error
		if p.Staff() {
			if b.Promisor == nil {
				return nil, fault.New(fault.Invalid, "登记信用承诺须填写承诺人（promisor）", fault.Field{Field: "body.promisor", Reason: "登记信用承诺须填写承诺人"})
			}
			v, err = s.opts.Commitments.Register(ctx, p, t, commitment.PromisorRef{Class: b.Promisor.Class, Code: b.Promisor.Code, Name: b.Promisor.Name})
		} else {
			v, err = s.opts.Commitments.Sign(ctx, p, t, b.AcceptorUSCC)
		}
		if err != nil {
			return nil, err
		}
		return &CommitmentOutput{Body: s.commitmentCase(v)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-commitment",
		Method:      "GET",
		Path:        "/api/v1/commitments/{id}",
		Summary:     "A credit commitment, its fulfilment and its history",
		Description: "Readable by anyone when its 公开类型 is 可向社会公开; otherwise by the promisor, the accepting department, " +
			"the organisations above it and the platform (特定范围内公开: by any government staff).",
		Tags:     []string{"commitments"},
		Security: secOptional,
		Errors:   with(errsGuarded, http.StatusNotFound),
	}, func(ctx context.Context, in *CommitmentIDInput) (*CommitmentOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		v, err := s.opts.Commitments.Get(ctx, principalFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &CommitmentOutput{Body: s.commitmentCase(v)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "post-commitment-assessment",
		Method:      "POST",
		Path:        "/api/v1/commitments/{id}/assessment",
		Summary:     "Record whether a commitment was kept (履行状态认定)",
		Description: "The accepting department (staff or API client with commitments:manage) records 全部履行, 部分履行 or " +
			"全部未履行, once. A breach files a 违背信用承诺 record (catalogue kind wn) for the promisor through intake, as the " +
			"department, with the 承诺编码 as its document number; it is published and shared like any bad record.",
		Tags:         []string{"commitments"},
		Security:     secSignedIn,
		Errors:       errsCase,
		MaxBodyBytes: maxCommitmentBytes,
	}, func(ctx context.Context, in *AssessmentInput) (*CommitmentOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		p := principalFrom(ctx)
		b := in.Body
		v, err := s.opts.Commitments.Assess(ctx, p, in.ID, b.Rev, commitment.Assessment{Status: b.Status, Unfulfilled: b.Unfulfilled,
			Pursued: b.Pursued, AssessedOn: b.AssessedOn, PromisorID: b.PromisorID, Note: b.Note})
		if err != nil {
			return nil, err
		}
		return &CommitmentOutput{Body: s.commitmentCase(v)}, nil
	})
}
