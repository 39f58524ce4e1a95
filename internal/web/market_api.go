package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/market"
)

// maxMarketBytes bounds the body of the marketplace's operations.
const maxMarketBytes = 64 << 10

// MarketHitOut is an interception: the rule and the record behind it.
type MarketHitOut struct {
	Rule       string `json:"rule" doc:"The measure applied and its basis."`
	List       string `json:"list" doc:"The list the agency is on."`
	Authority  string `json:"authority" doc:"认定单位."`
	DecisionNo string `json:"decision_no" doc:"认定文书号."`
	Date       string `json:"date" doc:"认定日期."`
	RecordRef  string `json:"record_ref,omitempty" doc:"The list entry (GET /api/v1/records/{ref})."`
}

// MarketAgencyOut is an agency of the marketplace, without personal data.
type MarketAgencyOut struct {
	ID             int64                    `json:"id"`
	Name           string                   `json:"name"`
	Code           string                   `json:"code" doc:"USCC."`
	State          string                   `json:"state" enum:"applied,incomplete,active,refused,intercepted,exited"`
	StateLabel     string                   `json:"state_label"`
	Operator       string                   `json:"operator" doc:"The marketplace's operator it registered with."`
	Region         string                   `json:"region"`
	RegionName     string                   `json:"region_name"`
	Services       string                   `json:"services"`
	Qualifications []MarketQualificationOut `json:"qualifications"`
	Score          MarketScoreOut           `json:"score" doc:"The composite score (第二十九条)."`
	Dishonesty     []MarketHitOut           `json:"dishonesty" doc:"Its dishonesty on the platform now, intercepted at enrolment and selection (第三十条)."`
}

// MarketEnrolmentOut is an enrolment.
type MarketEnrolmentOut struct {
	Name     string    `json:"name"`
	Code     string    `json:"code"`
	At       time.Time `json:"at"`
	Accepted bool      `json:"accepted"`
	Rule     string    `json:"rule,omitempty" enum:"回避,拦截,条件" doc:"Why refused: 回避 (第二十五条), 拦截 (dishonesty, 第三十条) or a condition not met."`
	Reason   string    `json:"reason,omitempty"`
	Bid      string    `json:"bid,omitempty" doc:"The bid in yuan, once bidding closed (or the caller's own)."`
}

// MarketDeadlineOut is the running step.
type MarketDeadlineOut struct {
	Step  string `json:"step" doc:"The step's key (deadline engine)."`
	Name  string `json:"name"`
	Due   string `json:"due" doc:"The last day on time (China)."`
	State string `json:"state" doc:"进行中, 即将到期, 已逾期 …"`
}

// MarketProjectOut is a project.
type MarketProjectOut struct {
	ID          int64                `json:"id"`
	Code        string               `json:"code" doc:"项目编号."`
	Name        string               `json:"name"`
	Owner       string               `json:"owner" doc:"项目业主."`
	Item        string               `json:"item" doc:"中介服务事项."`
	Method      string               `json:"method" enum:"direct,merit,lowest,average,random,negotiated"`
	MethodLabel string               `json:"method_label"`
	Budget      string               `json:"budget" doc:"服务费用预算, yuan."`
	EnrolUntil  string               `json:"enrol_until"`
	BidUntil    string               `json:"bid_until,omitempty"`
	State       string               `json:"state" enum:"review,incomplete,open,closed,failed,selected,confirmed,contracted,delivered,rated,cancelled"`
	StateLabel  string               `json:"state_label"`
	Exclusive   []string             `json:"exclusive" doc:"第二十四条 flags of the conditions (shown to the owner and operator)."`
	SeedHash    string               `json:"seed_hash,omitempty" doc:"SHA-256 of the selection's seed, published with the notice."`
	PublishedAt *time.Time           `json:"published_at,omitempty"`
	Enrolments  []MarketEnrolmentOut `json:"enrolments"`
	Winners     []string             `json:"winners"`
	ConfirmedAt *time.Time           `json:"confirmed_at,omitempty"`
	Auto        bool                 `json:"auto_confirmed" doc:"The system confirmed: the owner did not within 1 working day."`
	Deadline    *MarketDeadlineOut   `json:"deadline,omitempty"`
	Rating      *MarketRatingOut     `json:"rating,omitempty"`
}

// MarketQualificationOut is an agency's qualification.
type MarketQualificationOut struct {
	Industry string `json:"industry"`
	Class    string `json:"class" doc:"资质类别."`
	Level    string `json:"level,omitempty"`
	CertNo   string `json:"cert_no" doc:"证书编号."`
}

// MarketScoreOut is an agency's composite score.
type MarketScoreOut struct {
	Ratings   int    `json:"ratings" doc:"How many ratings."`
	Mean      int64  `json:"mean" doc:"The ratings' mean, hundredths of a point (0-10000)."`
	Grade     string `json:"grade" doc:"Public credit grade (empty: not graded)."`
	EvalScore int    `json:"eval_score" doc:"Public credit evaluation score."`
	Composite int64  `json:"composite" doc:"Composite score, hundredths of a point: 60% ratings' mean (80 before any rating) + 40% grade points (A 100, B 80, C 60, D 40, ungraded 70)."`
}

// MarketRatingOut is the owner's rating of a project's service.
type MarketRatingOut struct {
	Quality    string    `json:"quality" doc:"服务质量."`
	Timeliness string    `json:"timeliness" doc:"服务时效."`
	Attitude   string    `json:"attitude" doc:"服务态度."`
	Fee        string    `json:"fee" doc:"服务收费."`
	Conduct    string    `json:"conduct" doc:"服务规范."`
	Comment    string    `json:"comment,omitempty"`
	Total      int       `json:"total" doc:"0-100: 非常满意 20, 满意 16, 基本满意 12, 不满意 8, 非常不满意 4 per item."`
	At         time.Time `json:"at"`
	RecordRef  string    `json:"record_ref" doc:"The 中介服务评价 record in the agency's credit file (GET /api/v1/records/{ref})."`
}

// MarketSelectionOut is a project's published selection, verified.
type MarketSelectionOut struct {
	DrawPublished
	Verified bool   `json:"verified" doc:"The last draw, run again from its published input, selects the same winners and its seed matches the hash published before it."`
	Problem  string `json:"problem,omitempty" doc:"Why it did not verify."`
}

func (s *Server) agencyOut(v market.AgencyView) MarketAgencyOut {
	o := MarketAgencyOut{ID: v.A.ID, Name: v.Body.Name, Code: v.Body.Code, State: v.A.State, StateLabel: market.AgencyStateLabel(v.A.State),
		Operator: v.Body.OperatorName, Region: v.Body.Info.Region, RegionName: placeName(v.Body.Info.Region), Services: v.Body.Info.Services,
		Qualifications: []MarketQualificationOut{}, Score: MarketScoreOut(v.Score), Dishonesty: []MarketHitOut{}}
	for _, q := range v.Body.Info.Qualifications {
		o.Qualifications = append(o.Qualifications, MarketQualificationOut(q))
	}
	for _, h := range v.Hits {
		o.Dishonesty = append(o.Dishonesty, MarketHitOut{Rule: h.Rule, List: h.List, Authority: h.Authority, DecisionNo: h.DecisionNo,
			Date: h.Date, RecordRef: s.opts.Portal.RecordRef(h.RecordID)})
	}
	return o
}

func (s *Server) projectOut(v market.ProjectView) MarketProjectOut {
	b := v.Body
	o := MarketProjectOut{ID: v.P.ID, Code: v.Code, Name: b.Info.Name, Owner: b.Owner, Item: b.Info.ItemName, Method: string(b.Info.Method),
		MethodLabel: b.Info.Method.Label(), Budget: market.Yuan(b.Info.Budget), EnrolUntil: b.Info.EnrolUntil, BidUntil: b.Info.BidUntil,
		State: v.P.State, StateLabel: market.ProjectStateLabel(v.P.State), Exclusive: []string{}, SeedHash: b.SeedHash,
		Enrolments: []MarketEnrolmentOut{}, Winners: []string{}, Auto: b.Auto}
	if r := b.Rating; r != nil {
		o.Rating = &MarketRatingOut{Quality: r.Quality, Timeliness: r.Timeliness, Attitude: r.Attitude, Fee: r.Fee, Conduct: r.Conduct,
			Comment: r.Comment, Total: r.Total, At: r.At, RecordRef: s.opts.Portal.RecordRef(r.RecordID)}
	}
	if v.Owner || v.Operator {
		o.Exclusive = append(o.Exclusive, b.Exclusive...)
	}
	if !b.PublishedAt.IsZero() {
		t := b.PublishedAt
		o.PublishedAt = &t
	}
	if !b.ConfirmedAt.IsZero() {
		t := b.ConfirmedAt
		o.ConfirmedAt = &t
	}
	o.Winners = append(o.Winners, b.Winners...)
	for _, e := range b.Enrolments {
		eo := MarketEnrolmentOut{Name: e.Name, Code: e.Code, At: e.At, Accepted: e.Accepted, Rule: e.Rule, Reason: e.Reason}
		if e.Bid > 0 {
			eo.Bid = market.Yuan(e.Bid)
		}
		o.Enrolments = append(o.Enrolments, eo)
	}
	if t := b.Timer; t.Step != "" && t.Done.IsZero() {
		st := s.mfmt().clock.Status(t, s.mfmt().now())
		o.Deadline = &MarketDeadlineOut{Step: t.Step, Name: market.StepName(t.Step), Due: t.Due.String(), State: st.State.Label()}
	}
	return o
}

// MarketIDInput names an agency or a project.
type MarketIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

// MarketAgencyOutput is one agency.
type MarketAgencyOutput struct{ Body MarketAgencyOut }

// MarketAgencyListOutput lists agencies.
type MarketAgencyListOutput struct {
	Body struct {
		Agencies []MarketAgencyOut `json:"agencies"`
	}
}

// MarketProjectOutput is one project.
type MarketProjectOutput struct{ Body MarketProjectOut }

// MarketProjectListOutput lists projects.
type MarketProjectListOutput struct {
	Body struct {
		Projects []MarketProjectOut `json:"projects"`
	}
}

// MarketSelectionOutput is a project's selection.
type MarketSelectionOutput struct{ Body MarketSelectionOut }

// MarketProjectInput is a project as its owner files it.
type MarketProjectInput struct {
	Body struct {
		Operator    int64  `json:"operator" doc:"The operator's organisation id (中介超市运维机构)."`
		Item        int64  `json:"item" doc:"The catalogue item's id (GET /market/items)."`
		Name        string `json:"name" maxLength:"200"`
		Content     string `json:"content" maxLength:"2000"`
		Duration    string `json:"duration" maxLength:"100" doc:"服务时限."`
		Budget      string `json:"budget" doc:"服务费用预算, yuan (at most two decimals)."`
		Method      string `json:"method" enum:"direct,merit,lowest,average,random"`
		Count       int    `json:"count,omitempty" doc:"随机选取: how many."`
		EnrolUntil  string `json:"enrol_until" format:"date" doc:"Last day of enrolment: at least 3 working days after today."`
		BidUntil    string `json:"bid_until,omitempty" doc:"Last day of bidding (lowest, average); default enrol_until."`
		QualClass   string `json:"qual_class,omitempty" maxLength:"100"`
		QualLevel   string `json:"qual_level,omitempty" maxLength:"50"`
		CreditGrade string `json:"credit_grade,omitempty" enum:"A,B,C,D," doc:"Lowest public credit grade accepted."`
		Conditions  string `json:"conditions,omitempty" maxLength:"2000"`
		Special     string `json:"special,omitempty" maxLength:"2000"`
		Avoidance   string `json:"avoidance,omitempty" maxLength:"1000"`
		OwnerRep    string `json:"owner_rep" maxLength:"50" doc:"The owner's legal representative (for the agencies' kinship declaration)."`
		OwnerLead   string `json:"owner_lead" maxLength:"50" doc:"The project's lead."`
		Fiscal      bool   `json:"fiscal" doc:"Fiscal funds (使用财政性资金)."`
	}
}

func (s *Server) registerMarketAPI() {
	on := func() error {
		if s.opts.Market == nil {
			return errNotServed
		}
		return nil
	}
	tags := []string{"market"}
	huma.Register(s.api, huma.Operation{
		OperationID: "list-market-agencies", Method: "GET", Path: "/api/v1/market/agencies",
		Summary:     "Agencies of the intermediary-service marketplace",
		Description: "The agencies that entered or were exited (中介机构库), without personal data, each with its composite score and its dishonesty now; the operator's staff also see applications.",
		Tags:        tags, Security: secOptional, Errors: errsRead,
	}, func(ctx context.Context, _ *struct{}) (*MarketAgencyListOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		p := principalFrom(ctx)
		as, err := s.opts.Market.Agencies(ctx, p)
		if err != nil {
			return nil, err
		}
		out := &MarketAgencyListOutput{}
		out.Body.Agencies = []MarketAgencyOut{}
		for _, a := range as {
			v, err := s.opts.Market.Agency(ctx, p, a.A.ID)
			if err != nil {
				return nil, err
			}
			out.Body.Agencies = append(out.Body.Agencies, s.agencyOut(v))
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-market-agency", Method: "GET", Path: "/api/v1/market/agencies/{id}",
		Summary: "An agency of the marketplace", Tags: tags, Security: secOptional, Errors: with(errsRead, http.StatusNotFound),
	}, func(ctx context.Context, in *MarketIDInput) (*MarketAgencyOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		v, err := s.opts.Market.Agency(ctx, principalFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &MarketAgencyOutput{Body: s.agencyOut(v)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "list-market-projects", Method: "GET", Path: "/api/v1/market/projects",
		Summary:     "Projects of the marketplace",
		Description: "Published notices and their selections; an owner's staff also see its projects under review, the operator those it reviews. Bids stay sealed until bidding closes.",
		Tags:        tags, Security: secOptional, Errors: errsRead,
	}, func(ctx context.Context, _ *struct{}) (*MarketProjectListOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		ps, err := s.opts.Market.Projects(ctx, principalFrom(ctx))
		if err != nil {
			return nil, err
		}
		return s.projectListOut(ps), nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "list-market-invitations", Method: "GET", Path: "/api/v1/market/invitations",
		Summary: "Notices pushed to the signed-in agency",
		Description: "The published notices naming an item the signed-in agency offers, that it has not enrolled in (第二十三条（二）: " +
			"采购信息推送至符合条件的中介服务机构); empty for anyone who is not an active agency.",
		Tags: tags, Security: secSignedIn, Errors: errsGuarded,
	}, func(ctx context.Context, _ *struct{}) (*MarketProjectListOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		ps, err := s.opts.Market.Invitations(ctx, principalFrom(ctx))
		if err != nil {
			return nil, err
		}
		return s.projectListOut(ps), nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "post-market-project", Method: "POST", Path: "/api/v1/market/projects",
		Summary: "File a project (项目业主)",
		Description: "An owner files a purchase (第二十三条（一）): a government owner's staff or API key (market:buy), or a firm registered as an owner " +
			"(项目业主库, its own account; /market/owner); the operator reviews it within 2 working days. " +
			"Conditions that may exclude agencies are flagged (第二十四条).",
		Tags: tags, Security: secSignedIn, Errors: errsBody, MaxBodyBytes: maxMarketBytes, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *MarketProjectInput) (*MarketProjectOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		b := in.Body
		pi := market.ProjectInput{OperatorID: b.Operator, ItemID: b.Item, Name: b.Name, Content: b.Content, Duration: b.Duration, Budget: b.Budget,
			Method: b.Method, EnrolUntil: b.EnrolUntil, BidUntil: b.BidUntil, QualClass: b.QualClass, QualLevel: b.QualLevel,
			CreditGrade: b.CreditGrade, Conditions: b.Conditions, Special: b.Special, Avoidance: b.Avoidance, OwnerRep: b.OwnerRep,
			OwnerLead: b.OwnerLead, Fiscal: b.Fiscal}
		if b.Count > 0 {
			pi.Count = strconv.Itoa(b.Count)
		}
		v, err := s.opts.Market.FileProject(ctx, principalFrom(ctx), pi)
		if err != nil {
			return nil, err
		}
		return &MarketProjectOutput{Body: s.projectOut(v)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-market-project", Method: "GET", Path: "/api/v1/market/projects/{id}",
		Summary: "A project of the marketplace", Tags: tags, Security: secOptional, Errors: with(errsRead, http.StatusNotFound),
	}, func(ctx context.Context, in *MarketIDInput) (*MarketProjectOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		v, err := s.opts.Market.Project(ctx, principalFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &MarketProjectOutput{Body: s.projectOut(v)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-market-selection", Method: "GET", Path: "/api/v1/market/projects/{id}/selection",
		Summary: "A project's selection, verifiable",
		Description: "Every draw with its published input (method, project code, seed, candidates and their bids or scores) and result; " +
			"the seed's SHA-256 was published with the notice before anyone enrolled. The platform runs the last draw again and says " +
			"whether it selects the same winners (xinyong market verify-draw does the same offline).",
		Tags: tags, Security: secOptional, Errors: with(errsRead, http.StatusNotFound),
	}, func(ctx context.Context, in *MarketIDInput) (*MarketSelectionOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		v, err := s.opts.Market.Project(ctx, principalFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		out := &MarketSelectionOutput{Body: MarketSelectionOut{DrawPublished: s.drawPublished(v)}}
		if d := v.LastDraw(); d != nil {
			if err := market.Verify(d.Input, d.SeedHash, d.Result.Winners); err != nil {
				out.Body.Problem = err.Error()
			} else {
				out.Body.Verified = true
			}
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "post-market-confirm", Method: "POST", Path: "/api/v1/market/projects/{id}/confirm",
		Summary:     "Confirm a selection (项目业主)",
		Description: "Within 1 working day of the selection; after that the system confirms (第二十三条（五）). The notice and the 《选取确认书》 are issued.",
		Tags:        tags, Security: secSignedIn, Errors: with(errsGuarded, http.StatusNotFound, http.StatusConflict),
	}, func(ctx context.Context, in *MarketIDInput) (*MarketProjectOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		v, err := s.opts.Market.Confirm(ctx, principalFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &MarketProjectOutput{Body: s.projectOut(v)}, nil
	})
}

// projectListOut is a list of projects as the API gives it.
func (s *Server) projectListOut(ps []market.ProjectView) *MarketProjectListOutput {
	out := &MarketProjectListOutput{}
	out.Body.Projects = make([]MarketProjectOut, 0, len(ps))
	for _, v := range ps {
		out.Body.Projects = append(out.Body.Projects, s.projectOut(v))
	}
	return out
}
