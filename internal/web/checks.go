package web

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/check"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

// ChecksInput is the body of POST /api/v1/checks.
type ChecksInput struct {
	Body struct {
		Scenario string        `json:"scenario" minLength:"1" doc:"Scenario code: procurement (政府采购), bidding (招标投标), subsidy (财政资金申请), honour (评优评先), approval (行政审批), hiring (公务员录用), land (国有土地出让), credit (融资授信)."`
		CaseNo   string        `json:"case_no" minLength:"1" maxLength:"100" doc:"办件编号 of the case the check is made for; it is shown to the subjects in their query history."`
		MinScore float64       `json:"min_score,omitempty" minimum:"0" maximum:"1" doc:"Lowest score of name candidates returned; default the platform's (see the name-matching docs)."`
		Subjects []check.Query `json:"subjects" minItems:"1" maxItems:"10000" doc:"Up to 10,000 subjects, each by code or, without one, by name (and region)."`
	}
}

// CheckOutput is a check's answer.
type CheckOutput struct {
	Body check.Response
}

// CheckIDInput names an archived check.
type CheckIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

// errNoChecks answers when the server runs without the check service.
var errNoChecks = fault.New(fault.Unavailable, "信用核查未配置")

func (s *Server) registerChecks(mux *http.ServeMux) {
	huma.Register(s.api, huma.Operation{
		OperationID: "post-check",
		Method:      "POST",
		Path:        "/api/v1/checks",
		Summary:     "Credit check before a decision (信用核查)",
		Description: "For each subject: the lists it is on today, the reward and punishment measures that apply in the scenario " +
			"with their legal basis, its public penalties by class, and a verdict (无限制 / 有惩戒措施 / 有激励措施) with reasons. " +
			"A code always wins; a name-only query returns scored candidates with an explanation per feature. Every check is " +
			"archived (GET /api/v1/checks/{id}) and shown to the subjects in their query history. Requires an API key with the " +
			"checks:run scope or a signed-in checker.",
		Tags:          []string{"checks"},
		Security:      secSignedIn,
		Errors:        errsBody,
		MaxBodyBytes:  maxChecksBytes,
		DefaultStatus: 200,
	}, func(ctx context.Context, in *ChecksInput) (*CheckOutput, error) {
		if s.opts.Checks == nil {
			return nil, errNoChecks
		}
		p := principalFrom(ctx)
		if d := s.decide(p, auth.CheckRun, auth.Resource{OrgPath: p.Org.Path}); !d.Allow {
			return nil, fault.New(fault.Refused, "无权进行信用核查："+d.Reason)
		}
		res, err := s.opts.Checks.Run(ctx, p, check.Request{Scenario: in.Body.Scenario, CaseNo: in.Body.CaseNo, MinScore: in.Body.MinScore, Subjects: in.Body.Subjects})
		if err != nil {
			return nil, err
		}
		return &CheckOutput{Body: res}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-check",
		Method:      "GET",
		Path:        "/api/v1/checks/{id}",
		Summary:     "An archived credit check",
		Description: "The check as it was answered: who asked, for which case and scenario, on which data, and every answer. " +
			"Readable by the asking organisation's checkers (and those above it) and its API keys with checks:run.",
		Tags:     []string{"checks"},
		Security: secSignedIn,
		Errors:   with(errsQuery, http.StatusNotFound),
	}, func(ctx context.Context, in *CheckIDInput) (*CheckOutput, error) {
		res, err := s.readCheck(ctx, principalFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &CheckOutput{Body: res}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "post-check-feedback",
		Method:      "POST",
		Path:        "/api/v1/checks/{id}/feedback",
		Summary:     "Report which measures were applied (联合奖惩反馈)",
		Description: "The deciding department reports, per check item and measure, whether it applied the measure and, if not, why. " +
			"Reports are appended; the newest per item and measure counts in the monthly statistics.",
		Tags:         []string{"checks"},
		Security:     secSignedIn,
		Errors:       with(errsBody, http.StatusNotFound),
		MaxBodyBytes: maxFeedbackBytes,
	}, func(ctx context.Context, in *FeedbackInput) (*struct{}, error) {
		p := principalFrom(ctx)
		if _, err := s.checkRecord(ctx, p, in.ID); err != nil {
			return nil, err
		}
		return nil, s.opts.Checks.Feedback(ctx, p, in.ID, in.Body.Items)
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-check-stats",
		Method:      "GET",
		Path:        "/api/v1/stats/checks",
		Summary:     "Monthly check statistics per department and measure",
		Description: "For the asking organisation and those below it: per department and measure, the check items where the measure " +
			"applied, and how many were reported applied, not applied or not reported. Also as a page (/stats/checks) and CSV.",
		Tags:     []string{"checks"},
		Security: secSignedIn,
		Errors:   errsGuarded,
	}, func(ctx context.Context, in *CheckStatsInput) (*CheckStatsOutput, error) {
		rows, err := s.checkStats(ctx, principalFrom(ctx), in.Month)
		if err != nil {
			return nil, err
		}
		out := &CheckStatsOutput{}
		out.Body.Month, out.Body.Rows = in.Month, rows
		return out, nil
	})
	mux.HandleFunc("GET /checks/{id}", s.checkPage)
	mux.HandleFunc("GET /stats/checks", s.statsPage)
	s.registerCheckPage(mux)
	s.registerListForm(mux)
}

// Body limits of the check API: 10,000 subjects by code or name, 10,000
// feedback items.
const (
	maxChecksBytes   = 8 << 20
	maxFeedbackBytes = 4 << 20
)

// FeedbackInput is the body of POST /api/v1/checks/{id}/feedback.
type FeedbackInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Items []store.Feedback `json:"items" minItems:"1" maxItems:"10000"`
	}
}

// CheckStatsInput selects a month.
type CheckStatsInput struct {
	Month string `query:"month" required:"true" pattern:"^[0-9]{4}-[0-9]{2}$" doc:"YYYY-MM, China time."`
}

// CheckStatsOutput is the monthly statistics.
type CheckStatsOutput struct {
	Body struct {
		Month string          `json:"month"`
		Rows  []check.StatRow `json:"rows"`
	}
}

// checkStats answers the statistics for p's organisation and below.
func (s *Server) checkStats(ctx context.Context, p auth.Principal, month string) ([]check.StatRow, error) {
	if s.opts.Checks == nil {
		return nil, errNoChecks
	}
	own := auth.Resource{OrgPath: p.Org.Path}
	if !s.decide(p, auth.CheckRead, own).Allow && !s.decide(p, auth.CheckRun, own).Allow {
		return nil, fault.New(fault.Refused, "无权查看核查统计")
	}
	rows, err := s.opts.Checks.Stats(ctx, month, p.Org.Path)
	if err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []check.StatRow{}
	}
	return rows, nil
}

// statsPage shows the monthly statistics, or sends them as CSV with
// ?format=csv.
func (s *Server) statsPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	month := r.URL.Query().Get("month")
	if month == "" {
		month = time.Now().In(calendar.Location()).Format("2006-01")
	}
	rows, err := s.checkStats(r.Context(), p, month)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if r.URL.Query().Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="checks-`+month+`.csv"`)
		cw := csv.NewWriter(w)
		w.Write([]byte("\uFEFF")) // for spreadsheet programs
		cw.Write([]string{"月份", "单位", "措施编号", "措施", "适用次数", "已采取", "未采取", "未反馈"})
		for _, row := range rows {
			cw.Write([]string{month, row.Org, row.Measure, row.MeasureName, strconv.Itoa(row.Applicable), strconv.Itoa(row.Applied),
				strconv.Itoa(row.NotApplied), strconv.Itoa(row.Unreported)})
		}
		cw.Flush()
		return
	}
	s.render(w, r, http.StatusOK, "stats", "核查与奖惩统计 "+month, map[string]any{"Month": month, "Rows": rows})
}

// checkRecord returns an archived check's row if p may read it (its
// organisation's checkers and those above, and its API keys); another's
// check is not found. The answer is not decoded.
func (s *Server) checkRecord(ctx context.Context, p auth.Principal, id int64) (store.CheckRecord, error) {
	if s.opts.Checks == nil {
		return store.CheckRecord{}, errNoChecks
	}
	notFound := fault.New(fault.NotFound, "没有这次核查")
	rec, err := s.opts.Store.GetCheck(ctx, id)
	if errors.Is(err, fault.NotFound) {
		return rec, notFound
	}
	if err != nil {
		return rec, err
	}
	org, err := s.opts.Store.GetOrg(ctx, rec.OrgID)
	if err != nil {
		return rec, notFound
	}
	r := auth.Resource{OrgPath: org.Path}
	if !s.decide(p, auth.CheckRead, r).Allow && !(p.Kind == auth.Client && s.decide(p, auth.CheckRun, r).Allow) {
		return rec, notFound
	}
	return rec, nil
}

// readCheck returns an archived check's answer if p may read it.
func (s *Server) readCheck(ctx context.Context, p auth.Principal, id int64) (check.Response, error) {
	rec, err := s.checkRecord(ctx, p, id)
	if err != nil {
		return check.Response{}, err
	}
	res, err := check.Decode(rec)
	if err != nil {
		return res, fault.Wrap(fault.Unavailable, err, "核查存档无法读取")
	}
	return res, nil
}

// pageCheck reads the check of the page's {id} for a signed-in reader,
// rendering the sign-in redirect or the error itself; false then.
func (s *Server) pageCheck(w http.ResponseWriter, r *http.Request) (check.Response, bool) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return check.Response{}, false
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	res, err := s.readCheck(r.Context(), p, id)
	if err != nil {
		s.pageError(w, r, err)
		return res, false
	}
	return res, true
}

// checkPage is the printable check certificate (信用核查结果).
func (s *Server) checkPage(w http.ResponseWriter, r *http.Request) {
	if res, ok := s.pageCheck(w, r); ok {
		s.render(w, r, http.StatusOK, "check", "信用核查结果 "+res.CaseNo, res)
	}
}
