package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/registry"
	"github.com/xinyong/xinyong/internal/store"
)

// The code-correction API: the cases a caller may read (registry.read:
// an authority its own, the code centre every case), a whitelist request
// by the authority, and the figures 重错码率 and 纠正率.

// RegistryCaseItem is a code case.
type RegistryCaseItem struct {
	ID            int64           `json:"id"`
	Type          string          `json:"type" enum:"错码,一码多赋,重复赋码"`
	Codes         []string        `json:"codes" doc:"the unified social credit codes involved"`
	Authority     string          `json:"authority" doc:"USCC of the registration authority that corrects (谁赋码、谁纠错), or centre: the provincial code centre (two provinces' authorities)"`
	AuthorityName string          `json:"authority_name"`
	State         string          `json:"state" enum:"open,whitelist,closed,whitelisted" doc:"open 待纠错, whitelist 白名单待审核, closed 已纠正, whitelisted 已纳入白名单"`
	OpenedAt      time.Time       `json:"opened_at"`
	Due           string          `json:"due" doc:"last day of the correction (YYYY-MM-DD, working days of the deadline engine's step registry.fix)"`
	Overdue       bool            `json:"overdue"`
	ClosedAt      *time.Time      `json:"closed_at,omitempty"`
	Resolution    string          `json:"resolution,omitempty"`
	Evidence      json.RawMessage `json:"evidence" doc:"the registrations involved as they stood, the reasons and why this authority corrects"`
}

func (s *Server) apiCase(c store.RegistryCase) RegistryCaseItem {
	it := RegistryCaseItem{ID: c.ID, Type: c.Type, Codes: c.Codes, Authority: c.Authority, AuthorityName: registry.AuthorityName(c),
		State: c.State, OpenedAt: c.OpenedAt.In(calendar.Location()), Due: c.Due, Overdue: registry.Overdue(c, s.opts.Registry.At()),
		Resolution: c.Resolution, Evidence: c.Evidence}
	if !c.ClosedAt.IsZero() {
		t := c.ClosedAt.In(calendar.Location())
		it.ClosedAt = &t
	}
	return it
}

// RegistryCasesInput filters the cases.
type RegistryCasesInput struct {
	State     string `query:"state" enum:"open,whitelist,closed,whitelisted" doc:"default: every state"`
	Authority string `query:"authority" maxLength:"18" doc:"an authority's USCC, or centre"`
}

// RegistryCasesOutput lists cases.
type RegistryCasesOutput struct {
	Body struct {
		Cases []RegistryCaseItem `json:"cases"`
	}
}

// RegistryWhitelistInput is a whitelist request.
type RegistryWhitelistInput struct {
	ID   int64 `path:"id"`
	Body struct {
		Request string `json:"request" minLength:"1" maxLength:"2000" doc:"the reason and the evidence (government approval documents), at least 10 characters"`
	}
}

// RegistryCaseOutput is one case.
type RegistryCaseOutput struct {
	Body RegistryCaseItem
}

// RegistryFiguresInput chooses the months.
type RegistryFiguresInput struct {
	Months int `query:"months" minimum:"1" maximum:"60" default:"12" doc:"how many months up to this one"`
}

// RegistryFiguresOutput is the figures.
type RegistryFiguresOutput struct {
	Body registry.Figures
}

func (s *Server) registerRegistryAPI() {
	on := func() error {
		if s.opts.Registry == nil {
			return errNotServed
		}
		return nil
	}
	huma.Register(s.api, huma.Operation{
		OperationID: "list-registry-cases",
		Method:      http.MethodGet,
		Path:        "/api/v1/registry/cases",
		Summary:     "Code cases (统一社会信用代码重错码案件)",
		Description: "The 错码, 一码多赋 and 重复赋码 cases the caller may read, newest first: a registration authority's own " +
			"(registry.read), every case for the code centre. Cases open when a registration batch or a whole scan finds the problem " +
			"and close when a corrected registration comes back through intake.",
		Tags:     []string{"registry"},
		Security: secSignedIn,
		Errors:   with(errsGuarded, http.StatusNotFound),
	}, func(ctx context.Context, in *RegistryCasesInput) (*RegistryCasesOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		p := principalFrom(ctx)
		if d := s.decide(p, auth.RegistryRead, auth.Resource{OrgPath: p.Org.Path}); !d.Allow {
			return nil, fault.New(fault.Refused, d.Reason)
		}
		f := store.RegistryCaseFilter{Authority: in.Authority}
		if in.State != "" {
			f.States = []string{in.State}
		}
		cases, err := s.visibleCases(ctx, p, f)
		if err != nil {
			return nil, err
		}
		out := &RegistryCasesOutput{}
		out.Body.Cases = []RegistryCaseItem{}
		for _, c := range cases {
			out.Body.Cases = append(out.Body.Cases, s.apiCase(c))
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "request-registry-whitelist",
		Method:      http.MethodPost,
		Path:        "/api/v1/registry/cases/{id}/whitelist",
		Summary:     "Ask to whitelist a code case (申请纳入白名单)",
		Description: "The authority of an open case asks the code centre to whitelist it, with its reason and evidence " +
			"(government approval documents of a legitimate cross-department registration). The centre decides on the case page.",
		Tags:         []string{"registry"},
		Security:     secSignedIn,
		MaxBodyBytes: 16 << 10,
		Errors:       errsCase,
	}, func(ctx context.Context, in *RegistryWhitelistInput) (*RegistryCaseOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		p := principalFrom(ctx)
		c, err := s.opts.Store.GetRegistryCase(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		res := s.caseResources(ctx).of(c.Authority)
		if d := s.decide(p, auth.RegistryRead, res); !d.Allow {
			return nil, store.ErrNotFound
		}
		if d := s.decide(p, auth.RegistryCorrect, res); !d.Allow {
			return nil, fault.New(fault.Refused, d.Reason)
		}
		c, err = s.opts.Registry.RequestWhitelist(ctx, c.ID, p, in.Body.Request,
			auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Outcome: "ok", Detail: "申请纳入白名单"})
		if err != nil {
			return nil, err
		}
		return &RegistryCaseOutput{Body: s.apiCase(c)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-registry-figures",
		Method:      http.MethodGet,
		Path:        "/api/v1/registry/figures",
		Summary:     "重错码率 and 纠正率 per authority and region, by month",
		Description: "The city-monitoring indicators of 统一社会信用代码情况: 重错码率 = problems open at the end of the month / " +
			"registrations known by then; 纠正率 = problems corrected or whitelisted by then / problems found by then; as exact " +
			"fractions (den 0: undefined). Requires registry.read over every authority (the code centre).",
		Tags:     []string{"registry"},
		Security: secSignedIn,
		Errors:   with(errsGuarded, http.StatusNotFound),
	}, func(ctx context.Context, in *RegistryFiguresInput) (*RegistryFiguresOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		p := principalFrom(ctx)
		if d := s.decide(p, auth.RegistryRead, auth.Resource{}); !d.Allow {
			return nil, fault.New(fault.Refused, d.Reason)
		}
		f, err := s.opts.Registry.Figures(ctx, in.Months)
		if err != nil {
			return nil, err
		}
		return &RegistryFiguresOutput{Body: f}, nil
	})
}
