package web

import (
	"context"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
)

// StatsOutput is the body of GET /api/v1/stats.
type StatsOutput struct {
	Body struct {
		Subjects map[string]int64 `json:"subjects" doc:"Credit subjects by class (org, sole, gov, person)."`
		Total    int64            `json:"total" doc:"All subjects."`
	}
}

// CodeCheckInput is the input of GET /api/v1/codes/{code}.
type CodeCheckInput struct {
	Code string `path:"code" maxLength:"64" doc:"The code to check, exactly as written."`
	Kind string `query:"kind" enum:"auto,uscc,org,ric,gs15" default:"auto" doc:"Which kind of code; auto detects it."`
}

// CodeCheckOutput is the body of GET /api/v1/codes/{code}.
type CodeCheckOutput struct {
	Body CodeCheck
}

// CodeCheck is the result of checking one code.
type CodeCheck struct {
	Code     string          `json:"code"`
	Kind     string          `json:"kind" doc:"uscc, org, ric, gs15 or unknown."`
	Status   string          `json:"status" enum:"valid,invalid,placeholder"`
	Detail   string          `json:"detail,omitempty" doc:"Why the code is invalid (English)."`
	DetailZH string          `json:"detail_zh,omitempty" doc:"Why the code is invalid (Chinese)."`
	Position int             `json:"position,omitempty" doc:"1-based position of the offending character."`
	Want     string          `json:"want,omitempty" doc:"The check character the code should have."`
	USCC     *code.USCCParts `json:"uscc,omitempty" doc:"Parts of a USCC."`
}

func (s *Server) registerAPI() {
	huma.Register(s.api, huma.Operation{
		OperationID: "get-stats",
		Method:      "GET",
		Path:        "/api/v1/stats",
		Summary:     "Counts of what the platform holds",
		Tags:        []string{"platform"},
		Security:    secPublic,
		Errors:      errsRead,
	}, func(ctx context.Context, _ *struct{}) (*StatsOutput, error) {
		counts, err := s.subjectCounts(ctx)
		if err != nil {
			return nil, err
		}
		out := &StatsOutput{}
		out.Body.Subjects = map[string]int64{}
		for _, c := range credit.Classes {
			out.Body.Subjects[string(c)] = counts[c]
			out.Body.Total += counts[c]
		}
		return out, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "check-code",
		Method:      "GET",
		Path:        "/api/v1/codes/{code}",
		Summary:     "Check a USCC, org code, ID number or registration number",
		Description: "Checks the code with the national algorithm (GB 32100, GB 11714, GB 11643, GS 15) exactly as written. Nothing is stored or logged.",
		Tags:        []string{"codes"},
		Security:    secPublic,
		Errors:      errsQuery,
	}, func(ctx context.Context, in *CodeCheckInput) (*CodeCheckOutput, error) {
		k, err := code.ParseKind(in.Kind)
		if err != nil {
			return nil, fault.Wrap(fault.Invalid, err, "代码类型应为 auto、uscc、org、ric 或 gs15")
		}
		r := code.Check(k, in.Code)
		return &CodeCheckOutput{Body: CodeCheck{
			Code: r.Code, Kind: string(r.Kind), Status: string(r.Status), Detail: r.Detail, DetailZH: r.DetailZH,
			Position: r.Position, Want: r.Want, USCC: r.USCC,
		}}, nil
	})
}
