package web

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/store"
)

// MaxRecordsPerRequest bounds one POST /api/v1/records batch, and
// MaxRecordsBytes its body: 10,000 records of 1.6 KB (the demo's penalties
// are 620 bytes). Reading and checking a body costs about 16 times its
// size in memory, so a full one costs about 270 MB.
const (
	MaxRecordsPerRequest = 10000
	MaxRecordsBytes      = 16 << 20
)

// RecordsInput is the body of POST /api/v1/records.
type RecordsInput struct {
	Body struct {
		Kind    string           `json:"kind" minLength:"1" doc:"Record kind from the catalogue: xk (行政许可), cf (行政处罚), …"`
		Dept    string           `json:"dept,omitempty" doc:"USCC of the sending department; optional, and when given it must be the API key's department."`
		Records []map[string]any `json:"records" minItems:"1" maxItems:"10000" doc:"Records of that kind. Keys are the standard's Chinese field names, exchange codes (CF_WSH …) or field keys; values are strings or numbers."`
	}
}

// RecordsOutput is the answer to POST /api/v1/records.
type RecordsOutput struct {
	Body RecordsResult
}

// RecordsResult counts a batch and says what happened to each record.
type RecordsResult struct {
	Rows      int               `json:"rows" doc:"Records in the batch."`
	Accepted  int               `json:"accepted" doc:"New records filed."`
	Updated   int               `json:"updated" doc:"Changed records filed as a new version."`
	Unchanged int               `json:"unchanged" doc:"Records already held with the same content."`
	Rejected  []ingest.RowError `json:"rejected" doc:"Every reason a record was rejected; row 1 is records[0]."`
	Results   []RecordResult    `json:"results" doc:"One entry per record, in order."`
	Warnings  []string          `json:"warnings,omitempty" doc:"Keys that match no field, and similar."`
	// NameWarnings: records whose subject name is neither the registered
	// name nor a former name of their code's holder (filed under the code
	// as always; the sender is told).
	NameWarnings []string `json:"name_warnings,omitempty" doc:"Records whose subject name disagrees with the registered holder of their code (filed under the code, never renamed)."`
}

// RecordResult is the fate of one record of a batch.
type RecordResult struct {
	Row    int    `json:"row" doc:"1-based position in records."`
	Status string `json:"status" enum:"created,updated,unchanged,rejected"`
	ID     int64  `json:"id,omitempty" doc:"The record's id when filed."`
}

// IntakeStatsInput filters GET /api/v1/stats/intake.
type IntakeStatsInput struct {
	Kind  string `query:"kind" doc:"Only this record kind."`
	Dept  string `query:"dept" doc:"Only this department (USCC)."`
	Month string `query:"month" pattern:"^([0-9]{4}-[0-9]{2})?$" doc:"Only this month of receipt, YYYY-MM (China time)."`
}

// IntakeStatsOutput is the answer to GET /api/v1/stats/intake.
type IntakeStatsOutput struct {
	Body struct {
		Rows []store.IntakeRow `json:"rows"`
	}
}

func (s *Server) registerIntake() {
	huma.Register(s.api, huma.Operation{
		OperationID:   "post-records",
		Method:        "POST",
		Path:          "/api/v1/records",
		Summary:       "Submit credit records (归集)",
		Description:   "Files a batch of records of one kind through the same validation as file imports. Each record is created, filed as a new version, recognised as unchanged, or rejected with its reasons; the others still go in. Requires an API key (Authorization: Bearer xyk_…) of a department with the records:submit scope (or records:submit:KIND); the records are filed as that department's, and the batch is written to the audit trail. The body is at most 16 MiB.",
		Tags:          []string{"intake"},
		Security:      secKey,
		Errors:        errsBody,
		MaxBodyBytes:  MaxRecordsBytes,
		DefaultStatus: 200,
	}, func(ctx context.Context, in *RecordsInput) (*RecordsOutput, error) {
		if s.opts.Importer == nil {
			return nil, fault.New(fault.Unavailable, "数据报送未配置")
		}
		p := principalFrom(ctx)
		if p.Org.Kind != auth.Dept {
			return nil, fault.New(fault.Refused, "只有部门可以报送信用信息")
		}
		if _, ok := s.opts.Importer.Catalog.Kind(in.Body.Kind); !ok {
			return nil, fault.New(fault.Invalid, "未知的信息类别："+in.Body.Kind, fault.Field{Field: "body.kind", Reason: "未知的信息类别"})
		}
		if d := s.decide(p, auth.RecordSubmit, auth.Resource{OrgPath: p.Org.Path, Kind: in.Body.Kind}); !d.Allow {
			return nil, fault.New(fault.Refused, "无权报送“"+in.Body.Kind+"”类信息："+d.Reason)
		}
		if in.Body.Dept != "" && in.Body.Dept != p.Org.USCC {
			return nil, fault.New(fault.Refused, "dept 应为本部门统一社会信用代码 "+p.Org.USCC+"，不能代其他部门报送")
		}
		t, err := ingest.ObjectsTable(in.Body.Records)
		if err != nil {
			return nil, fault.Wrap(fault.Invalid, err, err.Error())
		}
		res, err := s.opts.Importer.Import(ctx, t, ingest.Options{Kind: in.Body.Kind, Dept: p.Org.USCC, Channel: "api", Outcomes: true})
		var he *ingest.HeaderError
		if errors.As(err, &he) {
			return nil, fault.Wrap(fault.Invalid, err, he.Error())
		}
		if err != nil {
			return nil, fault.Wrap(fault.Unavailable, err, "写入失败，请稍后重试（重复提交不会产生重复记录）")
		}
		s.audit(ctx, p, auth.AuditEntry{Action: auth.AuditRecordSubmit, Target: "batch:" + strconv.FormatInt(res.Batch, 10), Outcome: "ok",
			Detail: fmt.Sprintf("%s：%d 行，新增 %d，更新 %d，未变 %d，退回 %d", in.Body.Kind, res.Rows, res.Accepted, res.Updated, res.Unchanged, len(res.Rejected))})
		out := &RecordsOutput{Body: RecordsResult{Rows: res.Rows, Accepted: res.Accepted, Updated: res.Updated,
			Unchanged: res.Unchanged, Rejected: res.Rejected, Warnings: res.Warnings, NameWarnings: res.NameWarnings}}
		for _, o := range res.Outcomes {
			st := string(o.Change)
			if st == "" {
				st = "rejected"
			}
			out.Body.Results = append(out.Body.Results, RecordResult{Row: o.Row, Status: st, ID: o.ID})
		}
		return out, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "get-intake-stats",
		Method:      "GET",
		Path:        "/api/v1/stats/intake",
		Summary:     "Intake statistics per department and month",
		Description: "Records received (first filed), late (more than 7 working days from decision to receipt) and rows rejected, per record kind, department and month of receipt.",
		Tags:        []string{"intake"},
		Security:    secPublic,
		Errors:      errsQuery,
	}, func(ctx context.Context, in *IntakeStatsInput) (*IntakeStatsOutput, error) {
		rows, err := s.opts.Store.IntakeStats(ctx, store.IntakeFilter{Kind: in.Kind, Dept: in.Dept, Month: in.Month})
		if err != nil {
			return nil, err
		}
		out := &IntakeStatsOutput{}
		out.Body.Rows = rows
		if out.Body.Rows == nil {
			out.Body.Rows = []store.IntakeRow{}
		}
		return out, nil
	})
}
