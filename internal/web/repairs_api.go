package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/repair"
)

// RepairInput is a credit repair application.
type RepairInput struct {
	Body struct {
		Record     string        `json:"record" doc:"the record's reference, as in /records/{ref}" minLength:"1" maxLength:"100"`
		Proofs     []RepairProof `json:"proofs" doc:"proof that the legal duty is fulfilled (罚款缴纳凭证, 履行证明, 整改说明): 1 to 5 files" minItems:"1" maxItems:"5"`
		Commitment bool          `json:"commitment" doc:"true: the applicant makes the 信用修复承诺 shown on the record's page (required)"`
	}
}

// RepairProof is one proof file of an application.
type RepairProof struct {
	Name string `json:"name" doc:"file name" minLength:"1" maxLength:"200"`
	Data []byte `json:"data" doc:"the file, base64: PDF, JPEG or PNG, at most 5 MiB"`
}

// RepairIDInput names an application.
type RepairIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

// RepairOutput is an application as its reader may see it.
type RepairOutput struct {
	Body RepairCase
}

// RepairCase is the API's view of a credit repair application.
type RepairCase struct {
	ID         int64           `json:"id"`
	Record     string          `json:"record" doc:"the record's reference"`
	State      string          `json:"state" enum:"submitted,accepted,approved,denied,rejected,withdrawn,revoked"`
	StateLabel string          `json:"state_label"`
	Applicant  string          `json:"applicant"`
	Dept       string          `json:"dept" doc:"USCC of the department that decides"`
	Commitment string          `json:"commitment" doc:"承诺编码 of the signed 信用修复型 commitment"`
	Approved   string          `json:"approved,omitempty" format:"date" doc:"the day publicity and sharing stopped"`
	Reason     string          `json:"reason,omitempty" doc:"why it was rejected or denied"`
	Proofs     int             `json:"proofs"`
	Steps      []ObjectionStep `json:"steps"`
	History    []RepairItem    `json:"history"`
	Can        []string        `json:"can" doc:"the actions the reader may take now"`
	Rev        int             `json:"rev"`
}

// RepairItem is one entry of an application's history.
type RepairItem struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor" enum:"subject,platform,department"`
	Action string    `json:"action" enum:"submit,accept,reject,approve,deny,withdraw,sample,recheck_pass,recheck_fail"`
	Note   string    `json:"note,omitempty"`
}

func (s *Server) repairCase(v repair.View) RepairCase {
	row := s.repairRow(v, time.Now())
	c := RepairCase{ID: v.Row.ID, Record: s.opts.Portal.RecordRef(v.Record.ID), State: string(v.App.State), StateLabel: v.App.State.Label(),
		Applicant: v.Row.ApplicantName, Dept: v.Row.Dept, Commitment: v.App.Commitment, Reason: row.Reason, Proofs: len(v.App.Proofs),
		Rev: v.Row.Rev, Steps: []ObjectionStep{}, History: []RepairItem{}, Can: []string{}}
	if !v.App.Approved.IsZero() {
		c.Approved = v.App.Approved.String()
	}
	for _, tr := range row.Timers {
		c.Steps = append(c.Steps, ObjectionStep{Step: tr.Step, Name: tr.Name, Due: tr.Due, Provisional: tr.Provisional,
			State: string(tr.Status.State), StateLabel: tr.Status.State.Label(), Took: tr.Status.Took, Level: tr.Status.Level})
	}
	for _, e := range v.App.History {
		c.History = append(c.History, RepairItem{At: e.At, Actor: string(e.Actor.Kind), Action: string(e.Action), Note: e.Note})
	}
	for _, a := range v.Can {
		c.Can = append(c.Can, string(a))
	}
	return c
}

func (s *Server) registerRepairAPI() {
	huma.Register(s.api, huma.Operation{
		OperationID: "post-repair",
		Method:      "POST",
		Path:        "/api/v1/repairs",
		Summary:     "Apply for credit repair of a record (信用修复申请)",
		Description: "The subject user of the record's subject (signed in) applies once the record may be repaired (see the record's " +
			"page: the shortest publicity reached; some penalties may never be repaired early), with proof that the legal duty is " +
			"fulfilled and the 信用修复承诺. The platform answers within 10 working days and the deciding department decides within 3; " +
			"approval stops publicity and sharing. Free of charge.",
		Tags:          []string{"repairs"},
		Security:      secSession,
		Errors:        errsCase,
		MaxBodyBytes:  maxUploadJSON,
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *RepairInput) (*RepairOutput, error) {
		p, id, err := s.subjectRecordCall(ctx, s.opts.Repairs != nil, in.Body.Record)
		if err != nil {
			return nil, err
		}
		files := make([]repair.File, len(in.Body.Proofs))
		for i, f := range in.Body.Proofs {
			files[i] = repair.File{Name: f.Name, Data: f.Data}
		}
		v, err := s.opts.Repairs.Apply(ctx, p, id, files, in.Body.Commitment)
		if err != nil {
			return nil, err
		}
		return &RepairOutput{Body: s.repairCase(v)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-repair",
		Method:      "GET",
		Path:        "/api/v1/repairs/{id}",
		Summary:     "A credit repair application and its history",
		Description: "The application with each step's due date and whether it was met, and its history. Readable by the " +
			"applicant, the platform's reviewers and the deciding department's.",
		Tags:     []string{"repairs"},
		Security: secSignedIn,
		Errors:   with(errsGuarded, http.StatusNotFound),
	}, func(ctx context.Context, in *RepairIDInput) (*RepairOutput, error) {
		if s.opts.Repairs == nil {
			return nil, errNotServed
		}
		v, err := s.opts.Repairs.Get(ctx, principalFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &RepairOutput{Body: s.repairCase(v)}, nil
	})
}
