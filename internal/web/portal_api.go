package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store"
)

// SubjectSummary is a subject in search results and credit files.
type SubjectSummary struct {
	Ref         string          `json:"ref" doc:"The subject's reference in URLs: its USCC, or a signed id for subjects without one."`
	Name        string          `json:"name"`
	Class       string          `json:"class" enum:"org,sole,gov,person"`
	ClassLabel  string          `json:"class_label"`
	USCC        string          `json:"uscc,omitempty"`
	RegNo       string          `json:"reg_no,omitempty"`
	MaskedID    string          `json:"masked_id,omitempty" doc:"A person's ID number, masked."`
	Region      string          `json:"region,omitempty" doc:"GB/T 2260 division code."`
	FormerNames []string        `json:"former_names,omitempty"`
	USCCParts   *code.USCCParts `json:"uscc_parts,omitempty" doc:"The decoded parts of the USCC (credit file only)."`
}

// SearchInput is the query of GET /api/v1/subjects.
type SearchInput struct {
	Q    string `query:"q" required:"true" minLength:"1" maxLength:"200" doc:"A name fragment (at least two characters; traditional characters, full-width and punctuation are folded), or a USCC, registration number or ID number."`
	Page int    `query:"page" minimum:"1" maximum:"50" default:"1"`
}

// SearchOutput is the body of GET /api/v1/subjects.
type SearchOutput struct {
	Body struct {
		Query    string           `json:"query"`
		Page     int              `json:"page"`
		PerPage  int              `json:"per_page"`
		More     bool             `json:"more" doc:"Whether a next page exists."`
		Subjects []SubjectSummary `json:"subjects"`
	}
}

// Publicity is a record's publicity decision.
type Publicity struct {
	Public        bool   `json:"public"`
	Status        string `json:"status" enum:"shown,objection,not_yet,expired,revoked,repaired,not_public,not_published"`
	StatusLabel   string `json:"status_label"`
	Severity      string `json:"severity,omitempty" enum:"minor,general,serious"`
	SeverityLabel string `json:"severity_label,omitempty"`
	SeverityBasis string `json:"severity_basis,omitempty"`
	From          string `json:"from,omitempty" doc:"First day of the publicity window."`
	Until         string `json:"until,omitempty" doc:"Last day of the publicity window (absent: no end)."`
	MinUntil      string `json:"min_until,omitempty" doc:"Last day of the shortest publicity (repair cannot end it earlier)."`
	UntilByDept   bool   `json:"until_by_dept,omitempty" doc:"Until is the department's earlier 公示截止期."`
	Reason        string `json:"reason"`
}

// RecordOut is a record in the read API.
type RecordOut struct {
	Ref          string              `json:"ref" doc:"The record's reference: GET /api/v1/records/{ref}."`
	Kind         string              `json:"kind"`
	KindName     string              `json:"kind_name"`
	DecisionNo   string              `json:"decision_no"`
	DecisionDate string              `json:"decision_date"`
	Version      int                 `json:"version"`
	Publicity    Publicity           `json:"publicity"`
	Fields       []portal.FieldValue `json:"fields" doc:"Every public field, in the catalogue's order; ID numbers masked."`
	SubjectRef   string              `json:"subject_ref,omitempty"`
	SubjectName  string              `json:"subject_name,omitempty"`
	Versions     []RecordVersionOut  `json:"versions,omitempty" doc:"The record's versions up to the day asked (record endpoint only)."`
}

// RecordVersionOut is one version of a record.
type RecordVersionOut struct {
	Version   int    `json:"version"`
	State     string `json:"state" enum:"active,corrected,revoked"`
	Reason    string `json:"reason,omitempty"`
	ValidFrom string `json:"valid_from" format:"date-time"`
	ValidTo   string `json:"valid_to,omitempty" format:"date-time"`
}

// SectionOut is a part of a credit file.
type SectionOut struct {
	ID      string      `json:"id"`
	Title   string      `json:"title"`
	Count   int         `json:"count"`
	Pending bool        `json:"pending,omitempty" doc:"The platform does not keep this part yet."`
	Records []RecordOut `json:"records"`
	// Commitments fill the section commitments (信用承诺).
	Commitments []CommitmentCase `json:"commitments,omitempty" doc:"section commitments: the subject's credit commitments the caller may see (the public: those 可向社会公开)"`
	// Evaluation fills the section evaluation (信用评价).
	Evaluation *EvaluationOut `json:"evaluation,omitempty" doc:"section evaluation: the subject's public credit evaluation (公共信用综合评价) in force on as_of, with its contributions; absent for persons (not graded publicly) and when there is none (see note)."`
	Note       string         `json:"note,omitempty" doc:"Why a section has nothing to show (e.g. 自然人不作公开的公共信用综合评价)."`
}

// FileInput is the input of GET /api/v1/subjects/{code}.
type FileInput struct {
	Code string `path:"code" maxLength:"64" doc:"The subject's reference: its USCC, or the ref given by search."`
	AsOf string `query:"as_of" doc:"YYYY-MM-DD: what was public on that day (default today)."`
}

// FileOutput is the body of GET /api/v1/subjects/{code}.
type FileOutput struct {
	Body struct {
		Subject  SubjectSummary `json:"subject"`
		AsOf     string         `json:"as_of"`
		Sections []SectionOut   `json:"sections"`
	}
}

// RecordInput is the input of GET /api/v1/records/{id}.
type RecordInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The record's reference (ref) as given by a credit file."`
	AsOf string `query:"as_of" doc:"YYYY-MM-DD: the record as public on that day (default today)."`
}

// RecordOutput is the body of GET /api/v1/records/{id}.
type RecordOutput struct {
	Body RecordOut
}

func summary(p *portal.Service, sub credit.Subject) SubjectSummary {
	out := SubjectSummary{Ref: p.SubjectRef(sub), Name: sub.Name, Class: string(sub.Class), ClassLabel: sub.Class.Label(),
		USCC: sub.USCC, RegNo: sub.RegNo, MaskedID: sub.MaskedID, Region: sub.Region}
	for _, f := range sub.FormerNames {
		out.FormerNames = append(out.FormerNames, f.Name)
	}
	return out
}

func recordOut(v portal.RecordView) RecordOut {
	d := v.Decision
	out := RecordOut{Ref: v.Ref, Kind: v.Kind.Code, KindName: v.Kind.Name, DecisionNo: v.DecisionNo, DecisionDate: v.DecisionDate,
		Version: v.Version, Fields: v.Fields, SubjectRef: v.SubjectRef, SubjectName: v.SubjectName,
		Publicity: Publicity{Public: d.Public, Status: string(d.Status), StatusLabel: d.Status.Label(), Severity: d.Severity,
			SeverityLabel: d.SeverityLabel(), SeverityBasis: d.SeverityBasis, From: d.From.String(), Until: d.Until.String(),
			MinUntil: d.MinUntil.String(), UntilByDept: d.UntilByDept, Reason: d.Reason}}
	if out.Fields == nil {
		out.Fields = []portal.FieldValue{}
	}
	for _, ver := range v.Versions {
		vo := RecordVersionOut{Version: ver.Version, State: string(ver.State), Reason: ver.Reason, ValidFrom: ver.ValidFrom.UTC().Format("2006-01-02T15:04:05Z")}
		if !ver.ValidTo.IsZero() {
			vo.ValidTo = ver.ValidTo.UTC().Format("2006-01-02T15:04:05Z")
		}
		out.Versions = append(out.Versions, vo)
	}
	return out
}

func (s *Server) registerPortalAPI() {
	if s.opts.Portal == nil {
		return
	}
	p := s.opts.Portal
	huma.Register(s.api, huma.Operation{
		OperationID: "search-subjects",
		Method:      "GET",
		Path:        "/api/v1/subjects",
		Summary:     "Search credit subjects by name or code",
		Description: "Finds organisations, sole traders and government bodies whose current or former name contains q " +
			"(after folding width, case, traditional characters and punctuation), 20 per page in registry order, an exact " +
			"name first. A USCC, registration number or ID number in q finds that subject only. Natural persons are never " +
			"found by name. Clients are rate-limited per address (429 with Retry-After), lookups by ID number more strictly.",
		Tags:     []string{"portal"},
		Security: secPublic,
		Errors:   errsQuery,
	}, func(ctx context.Context, in *SearchInput) (*SearchOutput, error) {
		out := &SearchOutput{}
		out.Body.Query, out.Body.Page, out.Body.PerPage, out.Body.Subjects = in.Q, max(in.Page, 1), portal.PerPage, []SubjectSummary{}
		sub, isCode, err := p.FindByCode(ctx, in.Q)
		if isCode {
			if err == nil {
				out.Body.Subjects = append(out.Body.Subjects, summary(p, sub))
			} else if !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			return out, nil
		}
		res, err := p.Search(ctx, in.Q, in.Page)
		if err != nil {
			return nil, err
		}
		out.Body.More = res.More
		for _, sub := range res.Subjects {
			out.Body.Subjects = append(out.Body.Subjects, summary(p, sub))
		}
		return out, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "get-subject",
		Method:      "GET",
		Path:        "/api/v1/subjects/{code}",
		Summary:     "A subject's credit file",
		Description: "Basic information, former names and the public records of each kind as public on as_of (default today), " +
			"with each record's publicity decision, the credit commitments the caller may see, and the public credit evaluation " +
			"(section evaluation: grade, score, model and contributions with the records behind them). Sections later applications fill are listed as pending.",
		Tags:     []string{"portal"},
		Security: secOptional,
		Errors:   with(errsQuery, http.StatusNotFound),
	}, func(ctx context.Context, in *FileInput) (*FileOutput, error) {
		on, hist, err := p.AsOf(in.AsOf)
		if err != nil {
			return nil, err
		}
		f, err := p.File(ctx, in.Code, on, hist)
		if err != nil {
			return nil, err
		}
		out := &FileOutput{}
		out.Body.Subject = summary(p, f.Subject)
		out.Body.Subject.USCCParts = f.USCC
		out.Body.AsOf = on.String()
		cms, served, err := s.fileCommitments(ctx, principalFrom(ctx), f)
		if err != nil {
			return nil, err
		}
		ev, err := s.fileEvaluation(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, sec := range f.Sections {
			so := SectionOut{ID: sec.ID, Title: sec.Title, Count: sec.Count(), Pending: sec.Pending, Records: []RecordOut{}}
			for _, v := range sec.Records {
				so.Records = append(so.Records, recordOut(v))
			}
			if sec.ID == "commitments" && served {
				so.Pending, so.Count = false, len(cms)
				for _, v := range cms {
					so.Commitments = append(so.Commitments, s.commitmentCase(v))
				}
			}
			if sec.ID == "evaluation" && ev != nil {
				so.Pending, so.Evaluation, so.Note, so.Count = false, ev.X, ev.Missing, 0
				if ev.X != nil {
					so.Count = 1
				}
			}
			out.Body.Sections = append(out.Body.Sections, so)
		}
		return out, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "get-record",
		Method:      "GET",
		Path:        "/api/v1/records/{id}",
		Summary:     "A public record",
		Description: "Every public field of the record as in force on as_of (default today), its publicity decision and its " +
			"versions up to then. 410 when the record exists but was not public on that day, with the reason.",
		Tags:     []string{"portal"},
		Security: secPublic,
		Errors:   with(errsQuery, http.StatusNotFound, http.StatusGone),
	}, func(ctx context.Context, in *RecordInput) (*RecordOutput, error) {
		on, _, err := p.AsOf(in.AsOf)
		if err != nil {
			return nil, err
		}
		v, err := p.Record(ctx, in.ID, on)
		if err != nil {
			return nil, err
		}
		return &RecordOutput{Body: recordOut(v)}, nil
	})
}
