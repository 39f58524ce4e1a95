package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/lending"
)

// 信易贷 pages and API (package lending): a firm grants and revokes, and
// sees every read; a lender reads a firm within its grants, sees its
// monthly list and reports outcomes.

func (s *Server) registerLending(mux *http.ServeMux) {
	s.registerLendingAPI()
	if s.opts.Lending == nil {
		return
	}
	mux.HandleFunc("GET /grants", s.grantsPage)
	mux.HandleFunc("POST /grants", s.grantSubmit)
	mux.HandleFunc("POST /grants/{id}/revoke", s.grantRevoke)
	mux.HandleFunc("GET /lending", s.lendingPage)
	mux.HandleFunc("GET /lending/firms/{code}", s.lendingFirmPage)
	mux.HandleFunc("POST /lending/outcomes", s.lendingOutcome)
	mux.HandleFunc("GET /lenders", s.lendersPage)
	mux.HandleFunc("POST /lenders", s.lenderAdd)
}

// lendersPage is the platform's side of 双授权: the operator's staff who
// manage organisations register a department-like organisation as a
// lender (linked from the admin page).
func (s *Server) lendersPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	s.renderLenders(w, r, p, http.StatusOK, "")
}

func (s *Server) renderLenders(w http.ResponseWriter, r *http.Request, p auth.Principal, status int, msg string) {
	if d := s.decide(p, auth.OrgManage, auth.Resource{OrgPath: p.Org.Path}); !d.Allow || p.Org.Kind != auth.Operator {
		s.forbidden(w, r, auth.Decision{Reason: "仅平台运营机构的管理员可登记金融机构"})
		return
	}
	ctx := r.Context()
	lenders, err := s.opts.Lending.Lenders(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	orgs, err := s.opts.Store.ListOrgs(ctx, "")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var candidates []auth.Org
	for _, o := range orgs {
		registered := false
		for _, l := range lenders {
			registered = registered || l.Org.ID == o.ID
		}
		if o.Kind == auth.Dept && o.USCC != "" && !o.Disabled && !registered {
			candidates = append(candidates, o)
		}
	}
	s.render(w, r, status, "lenders", "信易贷金融机构登记", map[string]any{"Lenders": lenders, "Orgs": candidates,
		"Kinds": s.opts.Lending.Config.LenderKinds, "Message": msg})
}

func (s *Server) lenderAdd(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	id, _ := strconv.ParseInt(r.PostFormValue("org"), 10, 64)
	if _, err := s.opts.Lending.AddLender(r.Context(), p, id, r.PostFormValue("kind")); err != nil {
		if k := fault.KindOf(err); k == fault.Invalid || k == fault.Exists {
			s.renderLenders(w, r, p, http.StatusUnprocessableEntity, fault.Message(err))
			return
		}
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/lenders", http.StatusSeeOther)
}

func (s *Server) grantsPageData(r *http.Request, p auth.Principal) (map[string]any, error) {
	ctx := r.Context()
	gs, err := s.opts.Lending.Grants(ctx, p)
	if err != nil {
		return nil, err
	}
	reads, err := s.opts.Lending.Reads(ctx, p)
	if err != nil {
		return nil, err
	}
	lenders, err := s.opts.Lending.Lenders(ctx)
	if err != nil {
		return nil, err
	}
	today := calendar.FromTime(time.Now())
	return map[string]any{"Grants": gs, "Reads": s.auditRows(ctx, reads), "Lenders": lenders, "Groups": s.opts.Lending.Config.Groups,
		"From": today.String(), "To": today.AddMonths(6).String()}, nil
}

func (s *Server) grantsPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	d, err := s.grantsPageData(r, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "grants", "信易贷授权", d)
}

func (s *Server) grantSubmit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	lender, _ := strconv.ParseInt(r.PostFormValue("lender"), 10, 64)
	in := lending.LendingGrantIn{Lender: lender, Groups: r.PostForm["groups"], Purpose: r.PostFormValue("purpose"),
		ValidFrom: r.PostFormValue("valid_from"), ValidTo: r.PostFormValue("valid_to")}
	if _, err := s.opts.Lending.Grant(r.Context(), p, in); err != nil {
		if fault.KindOf(err) != fault.Invalid {
			s.pageError(w, r, err)
			return
		}
		d, derr := s.grantsPageData(r, p)
		if derr != nil {
			s.pageError(w, r, derr)
			return
		}
		d["Error"] = fault.Message(err)
		s.render(w, r, http.StatusUnprocessableEntity, "grants", "信易贷授权", d)
		return
	}
	http.Redirect(w, r, "/grants", http.StatusSeeOther)
}

func (s *Server) grantRevoke(w http.ResponseWriter, r *http.Request) {
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
	if _, err := s.opts.Lending.Revoke(r.Context(), p, id); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/grants", http.StatusSeeOther)
}

func (s *Server) lendingPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	gs, err := s.opts.Lending.Grants(ctx, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	month := r.URL.Query().Get("month")
	if month == "" {
		month = calendar.FromTime(time.Now()).String()[:7]
	}
	listed, err := s.opts.Lending.Creditworthy(ctx, p, month)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	st, err := s.opts.Lending.Statistics(ctx, p, month)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "lending", "信易贷", map[string]any{"Grants": gs, "Listed": listed, "Month": month, "Stats": st,
		"Bands": s.opts.Lending.Config.AmountBands})
}

func (s *Server) lendingFirmPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	v, err := s.opts.Lending.Read(r.Context(), p, r.PathValue("code"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "lendingfirm", v.Subject.Name, v)
}

func (s *Server) lendingOutcome(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	g, _ := strconv.ParseInt(r.PostFormValue("grant"), 10, 64)
	in := lending.LendingOutcomeIn{Grant: g, Month: r.PostFormValue("month"), Outcome: r.PostFormValue("outcome"), AmountBand: r.PostFormValue("amount_band")}
	if _, err := s.opts.Lending.Report(r.Context(), p, in); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/lending?month="+in.Month, http.StatusSeeOther)
}

// API.

// LendingGrantOut is a grant.
type LendingGrantOut struct {
	ID         int64     `json:"id"`
	Firm       string    `json:"firm" doc:"The firm's name."`
	FirmUSCC   string    `json:"firm_uscc"`
	Lender     string    `json:"lender"`
	LenderID   int64     `json:"lender_id"`
	LenderKind string    `json:"lender_kind"`
	Groups     []string  `json:"groups"`
	Purpose    string    `json:"purpose"`
	ValidFrom  string    `json:"valid_from" format:"date"`
	ValidTo    string    `json:"valid_to" format:"date"`
	Live       bool      `json:"live" doc:"A lender may read within it today."`
	CreatedAt  time.Time `json:"created_at"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

func grantOut(v lending.GrantView) LendingGrantOut {
	return LendingGrantOut{ID: v.G.ID, Firm: v.Firm.Name, FirmUSCC: v.Firm.USCC, Lender: v.Lender.Name, LenderID: v.Lender.ID, LenderKind: v.LenderKind,
		Groups: v.G.Groups, Purpose: v.G.Purpose, ValidFrom: v.G.ValidFrom, ValidTo: v.G.ValidTo, Live: v.Live, CreatedAt: v.G.CreatedAt, RevokedAt: v.G.RevokedAt}
}

// LendingGrantInput makes a grant.
type LendingGrantInput struct {
	Body lending.LendingGrantIn
}

// LendingGrantOutput is a grant.
type LendingGrantOutput struct {
	Body LendingGrantOut
}

// LendingGrantsOutput lists grants and, for a firm, the reads.
type LendingGrantsOutput struct {
	Body struct {
		Grants []LendingGrantOut `json:"grants"`
		Reads  []LendingReadOut  `json:"reads" doc:"For a firm: every read of its data by a lender (its query history)."`
	}
}

// LendingReadOut is a lender's read of the firm.
type LendingReadOut struct {
	At      time.Time `json:"at"`
	Lender  string    `json:"lender"`
	Purpose string    `json:"purpose"`
	Detail  string    `json:"detail"`
	Grants  string    `json:"grants"`
}

// LendingIDInput names a grant.
type LendingIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

// LenderOut is a registered lender.
type LenderOut struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	USCC string `json:"uscc"`
	Kind string `json:"kind"`
}

// LendersOutput lists the lenders.
type LendersOutput struct {
	Body struct {
		Lenders []LenderOut `json:"lenders"`
	}
}

// LendingFirmInput names a firm.
type LendingFirmInput struct {
	Code string `path:"code" maxLength:"18" doc:"The firm's USCC."`
}

// LendingFirmOutput is a lender's view of a firm.
type LendingFirmOutput struct {
	Body struct {
		Name       string                         `json:"name"`
		USCC       string                         `json:"uscc"`
		Grants     []int64                        `json:"grants" doc:"The live grants the read was within."`
		Groups     []lending.LendingDataGroup     `json:"groups" doc:"Exactly the data groups granted, with their records."`
		Public     []lending.LendingPublicSection `json:"public" doc:"The public credit file, by section."`
		Evaluation *evaluation.Brief              `json:"evaluation,omitempty" doc:"The public credit evaluation grade, when there is one."`
	}
}

// LendingMonthInput names a month.
type LendingMonthInput struct {
	Month string `query:"month" pattern:"^[0-9]{4}-[0-9]{2}$" doc:"YYYY-MM; default the current month."`
}

// LendingListOutput is the monthly list.
type LendingListOutput struct {
	Body struct {
		Month string             `json:"month"`
		Firms []LendingListedOut `json:"firms"`
	}
}

// LendingListedOut is a firm on the monthly list.
type LendingListedOut struct {
	Name  string `json:"name"`
	USCC  string `json:"uscc"`
	Grant int64  `json:"grant"`
	Grade string `json:"grade,omitempty"`
}

// LendingOutcomeInput reports an outcome.
type LendingOutcomeInput struct {
	Body lending.LendingOutcomeIn
}

// LendingOutcomeOutput is the stored outcome.
type LendingOutcomeOutput struct {
	Body struct {
		ID         int64     `json:"id"`
		Grant      int64     `json:"grant"`
		Month      string    `json:"month"`
		Outcome    string    `json:"outcome"`
		AmountBand string    `json:"amount_band,omitempty"`
		ReportedAt time.Time `json:"reported_at"`
	}
}

// LendingStatsOutput is a month's statistics.
type LendingStatsOutput struct {
	Body lending.LendingStats
}

func (s *Server) monthOr(m string) string {
	if m == "" {
		return calendar.FromTime(time.Now()).String()[:7]
	}
	return m
}

func (s *Server) registerLendingAPI() {
	on := func() error {
		if s.opts.Lending == nil {
			return errNotServed
		}
		return nil
	}
	tags := []string{"lending"}
	huma.Register(s.api, huma.Operation{OperationID: "list-lenders", Method: "GET", Path: "/api/v1/lenders",
		Summary: "Lenders registered by the platform (信易贷)", Description: "The banks and guarantee firms a firm may grant.",
		Tags: tags, Security: secSignedIn, Errors: errsGuarded,
	}, func(ctx context.Context, _ *struct{}) (*LendersOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		ls, err := s.opts.Lending.Lenders(ctx)
		if err != nil {
			return nil, err
		}
		out := &LendersOutput{}
		out.Body.Lenders = []LenderOut{}
		for _, l := range ls {
			out.Body.Lenders = append(out.Body.Lenders, LenderOut{ID: l.Org.ID, Name: l.Org.Name, USCC: l.Org.USCC, Kind: l.Kind})
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{OperationID: "post-grant", Method: "POST", Path: "/api/v1/grants",
		Summary: "Grant a lender access to named data groups (信易贷 授权)",
		Description: "A firm's own account grants a registered lender access to named data groups (tax, social, fund, utility) for a " +
			"period (at most 12 months) and a purpose. The lender may then read the firm within it; every read is in the firm's query history.",
		Tags: tags, Security: secSession, Errors: errsBody, MaxBodyBytes: 16 << 10, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *LendingGrantInput) (*LendingGrantOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		v, err := s.opts.Lending.Grant(ctx, principalFrom(ctx), in.Body)
		if err != nil {
			return nil, err
		}
		return &LendingGrantOutput{Body: grantOut(v)}, nil
	})
	huma.Register(s.api, huma.Operation{OperationID: "list-grants", Method: "GET", Path: "/api/v1/grants",
		Summary:     "Grants: a firm's own (with every read of its data), or those made to the caller's lender",
		Description: "A firm's account sees its grants and every lender read; a lender's account or API key (lenders:read) the grants made to it.",
		Tags:        tags, Security: secSignedIn, Errors: errsGuarded,
	}, func(ctx context.Context, _ *struct{}) (*LendingGrantsOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		p := principalFrom(ctx)
		gs, err := s.opts.Lending.Grants(ctx, p)
		if err != nil {
			return nil, err
		}
		out := &LendingGrantsOutput{}
		out.Body.Grants, out.Body.Reads = []LendingGrantOut{}, []LendingReadOut{}
		for _, g := range gs {
			out.Body.Grants = append(out.Body.Grants, grantOut(g))
		}
		if p.SubjectID != 0 && p.Kind == auth.UserKind {
			reads, err := s.opts.Lending.Reads(ctx, p)
			if err != nil {
				return nil, err
			}
			for _, row := range s.auditRows(ctx, reads) {
				out.Body.Reads = append(out.Body.Reads, LendingReadOut{At: row.At, Lender: row.OrgName, Purpose: row.Purpose, Detail: row.Detail, Grants: row.Target})
			}
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{OperationID: "revoke-grant", Method: "POST", Path: "/api/v1/grants/{id}/revoke",
		Summary: "Revoke a grant", Description: "The firm revokes one of its grants at once; the lender's next read is refused (403).",
		Tags: tags, Security: secSession, Errors: with(errsGuarded, http.StatusNotFound, http.StatusConflict),
	}, func(ctx context.Context, in *LendingIDInput) (*LendingGrantOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		v, err := s.opts.Lending.Revoke(ctx, principalFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &LendingGrantOutput{Body: grantOut(v)}, nil
	})
	huma.Register(s.api, huma.Operation{OperationID: "get-lending-firm", Method: "GET", Path: "/api/v1/lending/firms/{code}",
		Summary: "A lender reads a firm within its live grants",
		Description: "Exactly the data groups the firm granted to the caller's lender (live grants only), with the public credit file and the " +
			"evaluation grade. 403 without a live grant. Every read is recorded in the audit trail and the firm's query history.",
		Tags: tags, Security: secSignedIn, Errors: errsGuarded,
	}, func(ctx context.Context, in *LendingFirmInput) (*LendingFirmOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		v, err := s.opts.Lending.Read(ctx, principalFrom(ctx), in.Code)
		if err != nil {
			return nil, err
		}
		out := &LendingFirmOutput{}
		out.Body.Name, out.Body.USCC, out.Body.Groups, out.Body.Public, out.Body.Evaluation = v.Subject.Name, v.Subject.USCC, v.Groups, v.Public, v.Evaluation
		out.Body.Grants = []int64{}
		for _, g := range v.Grants {
			out.Body.Grants = append(out.Body.Grants, g.ID)
		}
		if out.Body.Public == nil {
			out.Body.Public = []lending.LendingPublicSection{}
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{OperationID: "get-lending-creditworthy", Method: "GET", Path: "/api/v1/lending/creditworthy",
		Summary:     "The monthly list of creditworthy firms for the caller's lender",
		Description: "Firms whose grant to the lender is live on the month's day (its last day, or today) with no bad record in publicity and no entry on a list of failings.",
		Tags:        tags, Security: secSignedIn, Errors: errsGuarded,
	}, func(ctx context.Context, in *LendingMonthInput) (*LendingListOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		month := s.monthOr(in.Month)
		ls, err := s.opts.Lending.Creditworthy(ctx, principalFrom(ctx), month)
		if err != nil {
			return nil, err
		}
		out := &LendingListOutput{}
		out.Body.Month, out.Body.Firms = month, []LendingListedOut{}
		for _, l := range ls {
			f := LendingListedOut{Name: l.Subject.Name, USCC: l.Subject.USCC, Grant: l.Grant.ID}
			if l.Evaluation != nil {
				f.Grade = l.Evaluation.Grade
			}
			out.Body.Firms = append(out.Body.Firms, f)
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{OperationID: "post-lending-outcome", Method: "POST", Path: "/api/v1/lending/outcomes",
		Summary: "Report the outcome of a firm's application (loan granted, amount band)", Description: "Per grant and month; a second report corrects the first.",
		Tags: tags, Security: secSignedIn, Errors: with(errsBody, http.StatusNotFound), MaxBodyBytes: 4 << 10, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *LendingOutcomeInput) (*LendingOutcomeOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		o, err := s.opts.Lending.Report(ctx, principalFrom(ctx), in.Body)
		if err != nil {
			return nil, err
		}
		out := &LendingOutcomeOutput{}
		out.Body.ID, out.Body.Grant, out.Body.Month, out.Body.Outcome, out.Body.AmountBand, out.Body.ReportedAt = o.ID, o.GrantID, o.Month, o.Outcome, o.AmountBand, o.ReportedAt
		return out, nil
	})
	huma.Register(s.api, huma.Operation{OperationID: "get-lending-stats", Method: "GET", Path: "/api/v1/lending/stats",
		Summary: "A month's outcomes over every lender", Description: "Loans granted and declined, per amount band and kind of lender; live grants.",
		Tags: tags, Security: secSignedIn, Errors: errsGuarded,
	}, func(ctx context.Context, in *LendingMonthInput) (*LendingStatsOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		st, err := s.opts.Lending.Statistics(ctx, principalFrom(ctx), s.monthOr(in.Month))
		if err != nil {
			return nil, err
		}
		return &LendingStatsOutput{Body: st}, nil
	})
}
