package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/inspection"
	"github.com/xinyong/xinyong/internal/store"
)

// maxInspectionBytes bounds the body of the inspection operations.
const maxInspectionBytes = 64 << 10

// InspectionTaskOut is a 双随机 task in the API.
type InspectionTaskOut struct {
	ID         int64    `json:"id"`
	Code       string   `json:"code" doc:"任务编号."`
	Name       string   `json:"name"`
	Item       string   `json:"item" doc:"抽查事项."`
	Dept       string   `json:"dept" doc:"The department carrying it out."`
	DeptUSCC   string   `json:"dept_uscc"`
	Region     string   `json:"region" doc:"Prefix of the division codes of the population."`
	RegionName string   `json:"region_name"`
	Keywords   []string `json:"keywords" doc:"Industry words: the population's names hold one of them (none: all)."`
	Classes    []string `json:"classes"`
	Licensed   bool     `json:"licensed" doc:"The population holds a 行政许可 of the department."`
	From       string   `json:"from"`
	To         string   `json:"to"`
	PerTarget  int      `json:"per_target" doc:"Inspectors drawn per target."`
	State      string   `json:"state" enum:"open,drawn"`
	SeedHash   string   `json:"seed_hash" doc:"SHA-256 (hex) of the seed, published when the task was created."`
	// The draw's inputs and counts, once drawn.
	Seed           string           `json:"seed,omitempty" doc:"The seed (hex), revealed by the draw: SHA-256 of its bytes is seed_hash."`
	PopulationHash string           `json:"population_hash,omitempty" doc:"SHA-256 of the population snapshot (GET …/population)."`
	PopulationSize int              `json:"population_size,omitempty"`
	PoolHash       string           `json:"pool_hash,omitempty" doc:"SHA-256 of the inspector pool's snapshot (kept by the platform: it names conflicts of interest)."`
	Excluded       int              `json:"excluded,omitempty" doc:"Subjects left out for having been drawn by the department as often as their grade allows in the year before."`
	Model          string           `json:"model,omitempty" doc:"The evaluation model whose grades were drawn on."`
	Strata         []StratumOut     `json:"strata,omitempty"`
	Targets        []TargetOut      `json:"targets,omitempty"`
	CreatedAt      time.Time        `json:"created_at"`
	DrawnAt        *time.Time       `json:"drawn_at,omitempty"`
	Rule           string           `json:"rule,omitempty" doc:"How to run the draw again."`
	Population     *PopulationLinks `json:"links,omitempty"`
}

// PopulationLinks points to the draw's published inputs.
type PopulationLinks struct {
	Population string `json:"population" doc:"The population snapshot: one line CODE<TAB>GRADE per subject, ordered by code."`
}

// StratumOut is one grade of a draw.
type StratumOut struct {
	Grade      string  `json:"grade" doc:"The grade, - for subjects not evaluated."`
	PerMille   int     `json:"per_mille" doc:"Share drawn, in thousandths (the department's graded supervision measures)."`
	Population int     `json:"population"`
	Drawn      int     `json:"drawn" doc:"population × per_mille / 1000 rounded half up."`
	Exact      float64 `json:"exact"`
}

// TargetOut is a drawn subject.
type TargetOut struct {
	Seq         int            `json:"seq"`
	SubjectRef  string         `json:"subject_ref"`
	Name        string         `json:"name"`
	Code        string         `json:"code" doc:"USCC, or registration number: as in the snapshot."`
	Grade       string         `json:"grade"`
	Inspectors  []InspectorOut `json:"inspectors"`
	Result      string         `json:"result,omitempty" doc:"检查结果, once entered."`
	Findings    string         `json:"findings,omitempty"`
	InspectedOn string         `json:"inspected_on,omitempty"`
	RecordRef   string         `json:"record_ref,omitempty" doc:"The 双随机抽查结果 record filed for the result (GET /api/v1/records/{ref})."`
	CanEnter    bool           `json:"can_enter,omitempty" doc:"The caller may enter this target's result."`
}

// InspectorOut is an inspector as a task shows it.
type InspectorOut struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Badge string `json:"badge" doc:"执法证号."`
}

func (s *Server) taskOut(v inspection.TaskView) InspectionTaskOut {
	t := v.T
	out := InspectionTaskOut{ID: t.ID, Code: t.Code, Name: t.Name, Item: t.ItemName, Dept: t.OrgName, DeptUSCC: t.OrgUSCC, Region: t.Region,
		RegionName: placeName(t.Region), Keywords: nonNilStrings(t.Keywords), Licensed: t.Licensed, From: t.From, To: t.To, PerTarget: t.PerTarget,
		State: t.State, SeedHash: t.SeedHash, CreatedAt: t.CreatedAt, Classes: []string{}}
	for _, c := range t.Classes {
		out.Classes = append(out.Classes, string(c))
	}
	if t.State != store.TaskDrawn {
		return out
	}
	drawn := t.DrawnAt
	out.DrawnAt, out.Seed, out.PopulationHash, out.PopulationSize, out.PoolHash, out.Excluded, out.Model =
		&drawn, t.Seed, t.PopulationHash, t.PopulationSize, t.PoolHash, t.Excluded, t.Model
	out.Population = &PopulationLinks{Population: "/api/v1/inspections/" + itoa64(t.ID) + "/population"}
	out.Rule = "key(subject) = SHA-256(seed_hex \"|\" code \"|\" subject code); in each grade the round(population × per_mille / 1000) " +
		"subjects with the smallest keys are drawn (half up); targets are numbered grade by grade in the order of strata, by key"
	for _, st := range v.Strata {
		out.Strata = append(out.Strata, StratumOut{Grade: st.Grade, PerMille: st.PerMille, Population: st.Population, Drawn: st.Drawn, Exact: st.Exact})
	}
	out.Targets = []TargetOut{}
	for _, g := range v.Targets {
		to := TargetOut{Seq: g.Seq, SubjectRef: s.opts.Portal.SubjectRef(credit.Subject{ID: g.SubjectID, USCC: uscc(g.Code)}), Name: g.Name,
			Code: g.Code, Grade: g.Grade, Result: g.Result, Findings: g.Findings, InspectedOn: g.InspectedOn, CanEnter: g.CanEnter,
			Inspectors: []InspectorOut{}}
		if g.RecordID != 0 {
			to.RecordRef = s.opts.Portal.RecordRef(g.RecordID)
		}
		for _, in := range g.Inspectors {
			to.Inspectors = append(to.Inspectors, InspectorOut{ID: in.ID, Name: in.Name, Badge: in.Badge})
		}
		out.Targets = append(out.Targets, to)
	}
	return out
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// InspectionIDInput names a task.
type InspectionIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

// InspectionOutput is a task.
type InspectionOutput struct {
	Body InspectionTaskOut
}

// InspectionListOutput lists tasks.
type InspectionListOutput struct {
	Body struct {
		Tasks []InspectionTaskOut `json:"tasks" doc:"Drawn tasks of every department, newest first, and the open ones of the caller's (without targets)."`
	}
}

// InspectionCreateInput is the body of POST /api/v1/inspections.
type InspectionCreateInput struct {
	Body struct {
		ItemID    int64    `json:"item_id" minimum:"1" doc:"A matter of the department's list (GET /api/v1/inspections/items)."`
		Name      string   `json:"name" maxLength:"200"`
		Region    string   `json:"region,omitempty" pattern:"^[0-9]{2,6}$" doc:"Prefix of the division codes of the population, within the department's (default its own)."`
		Keywords  []string `json:"keywords,omitempty" maxItems:"10" doc:"Industry words the names hold (the platform holds no industry code)."`
		Classes   []string `json:"classes,omitempty" maxItems:"3" doc:"org, sole, gov (default org and sole)."`
		Licensed  bool     `json:"licensed,omitempty" doc:"Only subjects holding a 行政许可 of the department."`
		From      string   `json:"from" format:"date" doc:"Inspection period."`
		To        string   `json:"to" format:"date"`
		PerTarget int      `json:"per_target,omitempty" minimum:"0" maximum:"5" doc:"Inspectors per target (default 2)."`
	}
}

// ResultBodyInput is the body of PUT /api/v1/inspections/{id}/targets/{seq}.
type ResultBodyInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Seq  int   `path:"seq" minimum:"1"`
	Body struct {
		Result      string `json:"result" doc:"检查结果: 合格, 责令整改, 不合格, 不配合检查, 无法联系, 未开展相关经营活动, 已关闭停业."`
		Findings    string `json:"findings,omitempty" maxLength:"2000" doc:"检查发现的问题及处理 (required unless 合格)."`
		InspectedOn string `json:"inspected_on" format:"date" doc:"检查完成日期: from the draw's day to today."`
	}
}

// TargetOutput is a target after its result was entered.
type TargetOutput struct {
	Body TargetOut
}

// PopulationOutput is a draw's population snapshot.
type PopulationOutput struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}

// ItemsOutput is a department's list of matters.
type ItemsOutput struct {
	Body struct {
		Items []ItemOut `json:"items"`
	}
}

// ItemOut is a matter.
type ItemOut struct {
	ID    int64  `json:"id"`
	Code  string `json:"code"`
	Name  string `json:"name"`
	Basis string `json:"basis"`
}

// ItemInput is the body of POST /api/v1/inspections/items.
type ItemInput struct {
	Body struct {
		Code  string `json:"code" maxLength:"40"`
		Name  string `json:"name" maxLength:"200"`
		Basis string `json:"basis" maxLength:"1000" doc:"检查依据."`
	}
}

// ItemOutput is a matter added.
type ItemOutput struct {
	Body ItemOut
}

// PoolOutput is a department's inspector pool.
type PoolOutput struct {
	Body struct {
		Inspectors []PoolInspectorOut `json:"inspectors"`
	}
}

// PoolInspectorOut is an inspector of the pool, with conflicts.
type PoolInspectorOut struct {
	ID        int64         `json:"id"`
	Name      string        `json:"name"`
	Badge     string        `json:"badge"`
	Active    bool          `json:"active"`
	Linked    bool          `json:"linked" doc:"An account enters results as this inspector."`
	Conflicts []ConflictOut `json:"conflicts"`
}

// ConflictOut is a subject an inspector must not inspect (回避).
type ConflictOut struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// InspectorInput is the body of POST /api/v1/inspections/inspectors.
type InspectorInput struct {
	Body struct {
		Name  string `json:"name" maxLength:"50"`
		Badge string `json:"badge" maxLength:"40" doc:"执法证号."`
		Login string `json:"login,omitempty" maxLength:"64" doc:"The login of the department's account that enters results as this inspector."`
	}
}

// InspectorOutput is an inspector added.
type InspectorOutput struct {
	Body PoolInspectorOut
}

// ConflictInput is the body of POST /api/v1/inspections/inspectors/{id}/conflicts.
type ConflictInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Code   string `json:"code" maxLength:"64" doc:"The subject's USCC or registration number."`
		Reason string `json:"reason,omitempty" maxLength:"200" doc:"回避事由 (required unless remove)."`
		Remove bool   `json:"remove,omitempty" doc:"Withdraw the conflict."`
	}
}

// SupervisionInput is the query of GET /api/v1/supervision.
type SupervisionInput struct {
	Grade  string `query:"grade" maxLength:"4" doc:"List the subjects of this grade (default all)."`
	Offset int    `query:"offset" minimum:"0"`
}

// SupervisionOutput is a department's graded supervision.
type SupervisionOutput struct {
	Body struct {
		Plan     inspection.Plan `json:"plan"`
		Custom   bool            `json:"custom" doc:"The department set its own measures (else the platform's defaults)."`
		Region   string          `json:"region"`
		Counts   map[string]int  `json:"counts" doc:"Subjects of the department's region by grade."`
		Subjects []GradedOut     `json:"subjects" doc:"A page of the subjects (of grade), by id."`
		More     bool            `json:"more"`
		Grades   []GradeBandOut  `json:"grades" doc:"The evaluation model's grades."`
	}
}

// GradedOut is a subject with its grade.
type GradedOut struct {
	Ref   string `json:"ref"`
	Name  string `json:"name"`
	Code  string `json:"code"`
	Grade string `json:"grade"`
	Score int    `json:"score"`
	Day   string `json:"day"`
}

// PlanInput is the body of PUT /api/v1/supervision.
type PlanInput struct {
	Body inspection.Plan
}

// Empty is an answer without a body.
type Empty struct{}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func (s *Server) registerInspectionAPI() {
	on := func() error {
		if s.opts.Inspections == nil {
			return errNotServed
		}
		return nil
	}
	svc := func() *inspection.Service { return s.opts.Inspections }
	tags := []string{"inspections"}
	huma.Register(s.api, huma.Operation{
		OperationID: "list-inspections", Method: "GET", Path: "/api/v1/inspections",
		Summary:     "双随机 inspection tasks",
		Description: "The drawn tasks of every department (with their published inputs), and for a department's staff or API key its open ones.",
		Tags:        tags, Security: secOptional, Errors: errsRead,
	}, func(ctx context.Context, _ *struct{}) (*InspectionListOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		ts, err := svc().Tasks(ctx, principalFrom(ctx))
		if err != nil {
			return nil, err
		}
		out := &InspectionListOutput{}
		out.Body.Tasks = []InspectionTaskOut{}
		for _, t := range ts {
			o := s.taskOut(inspection.TaskView{T: t})
			o.Strata, o.Targets = nil, nil
			out.Body.Tasks = append(out.Body.Tasks, o)
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "post-inspection", Method: "POST", Path: "/api/v1/inspections",
		Summary: "Create a 双随机 inspection task",
		Description: "A department's supervisor (or API key with inspections:manage) creates a task: a matter of its list, the population " +
			"(region within the department's, classes, industry words, licence holders) and the period. The platform makes a random " +
			"seed and publishes its SHA-256 (seed_hash) at once; the seed itself is revealed by the draw.",
		Tags: tags, Security: secSignedIn, Errors: errsBody, MaxBodyBytes: maxInspectionBytes, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *InspectionCreateInput) (*InspectionOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		b := in.Body
		ti := inspection.TaskInput{ItemID: b.ItemID, Name: b.Name, Region: b.Region, Licensed: b.Licensed, From: b.From, To: b.To, PerTarget: b.PerTarget}
		for _, k := range b.Keywords {
			ti.Keywords += k + ","
		}
		for _, c := range b.Classes {
			ti.Classes = append(ti.Classes, credit.Class(c))
		}
		t, err := svc().CreateTask(ctx, principalFrom(ctx), ti)
		if err != nil {
			return nil, err
		}
		return &InspectionOutput{Body: s.taskOut(inspection.TaskView{T: t})}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-inspection", Method: "GET", Path: "/api/v1/inspections/{id}",
		Summary: "A 双随机 inspection task: its draw and results",
		Description: "Anyone reads a drawn task: the draw's inputs (seed and its committed hash, the population snapshot's hash, " +
			"the shares by grade), the strata, the targets with their inspectors and results. An open task is its department's.",
		Tags: tags, Security: secOptional, Errors: with(errsRead, http.StatusNotFound),
	}, func(ctx context.Context, in *InspectionIDInput) (*InspectionOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		v, err := svc().Task(ctx, principalFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &InspectionOutput{Body: s.taskOut(v)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-inspection-population", Method: "GET", Path: "/api/v1/inspections/{id}/population",
		Summary: "A draw's population snapshot",
		Description: "One line per subject, CODE<TAB>GRADE (grade - when not evaluated), ordered by code: its SHA-256 is the task's " +
			"population_hash. With the seed and the shares it is all it takes to run the draw again.",
		Tags: tags, Security: secPublic, Errors: with(errsRead, http.StatusNotFound),
		Responses: map[string]*huma.Response{"200": {Description: "The snapshot.", Content: map[string]*huma.MediaType{
			"text/tab-separated-values": {Schema: &huma.Schema{Type: "string"}}}}},
	}, func(ctx context.Context, in *InspectionIDInput) (*PopulationOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		b, err := svc().Population(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &PopulationOutput{ContentType: "text/tab-separated-values; charset=utf-8", Body: b}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "post-inspection-draw", Method: "POST", Path: "/api/v1/inspections/{id}/draw",
		Summary: "Draw a task's targets and inspectors",
		Description: "Once per task, by its department: the population is the task's subjects with their current grades, less those " +
			"the department drew as often as their grade allows in the year before; in each grade the share of the department's " +
			"graded supervision measures is drawn with the committed seed, and inspectors from the pool without a conflict (回避).",
		Tags: tags, Security: secSignedIn, Errors: with(errsGuarded, http.StatusNotFound, http.StatusConflict),
	}, func(ctx context.Context, in *InspectionIDInput) (*InspectionOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		p := principalFrom(ctx)
		if _, err := svc().Draw(ctx, p, in.ID); err != nil {
			return nil, err
		}
		v, err := svc().Task(ctx, p, in.ID)
		if err != nil {
			return nil, err
		}
		return &InspectionOutput{Body: s.taskOut(v)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "put-inspection-result", Method: "PUT", Path: "/api/v1/inspections/{id}/targets/{seq}",
		Summary: "Enter a target's result",
		Description: "By an inspector drawn for it, a supervisor of the department or its API key (inspections:record). The result is " +
			"filed as a 双随机抽查结果 record (kind sj) of the department through intake: public in the subject's credit file and the " +
			"双随机 column, and counted by the next evaluation. Entered again, the record gets a new version.",
		Tags: tags, Security: secSignedIn, Errors: errsCase, MaxBodyBytes: maxInspectionBytes,
	}, func(ctx context.Context, in *ResultBodyInput) (*TargetOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		p := principalFrom(ctx)
		g, err := svc().EnterResult(ctx, p, in.ID, in.Seq, inspection.ResultInput{Result: in.Body.Result, Findings: in.Body.Findings, InspectedOn: in.Body.InspectedOn})
		if err != nil {
			return nil, err
		}
		v, err := svc().Task(ctx, p, in.ID)
		if err != nil {
			return nil, err
		}
		out := s.taskOut(v)
		for _, t := range out.Targets {
			if t.Seq == g.Seq {
				return &TargetOutput{Body: t}, nil
			}
		}
		return nil, store.ErrNotFound
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "list-inspection-items", Method: "GET", Path: "/api/v1/inspections/items",
		Summary: "The department's list of inspection matters", Tags: tags, Security: secSignedIn, Errors: errsGuarded,
	}, func(ctx context.Context, _ *struct{}) (*ItemsOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		items, err := svc().Items(ctx, principalFrom(ctx))
		if err != nil {
			return nil, err
		}
		out := &ItemsOutput{}
		out.Body.Items = []ItemOut{}
		for _, it := range items {
			out.Body.Items = append(out.Body.Items, ItemOut{ID: it.ID, Code: it.Code, Name: it.Name, Basis: it.Basis})
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "post-inspection-item", Method: "POST", Path: "/api/v1/inspections/items",
		Summary: "Add a matter to the department's list", Tags: tags, Security: secSignedIn,
		Errors: with(errsBody, http.StatusConflict), MaxBodyBytes: maxInspectionBytes, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *ItemInput) (*ItemOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		it, err := svc().AddItem(ctx, principalFrom(ctx), in.Body.Code, in.Body.Name, in.Body.Basis)
		if err != nil {
			return nil, err
		}
		return &ItemOutput{Body: ItemOut{ID: it.ID, Code: it.Code, Name: it.Name, Basis: it.Basis}}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "list-inspectors", Method: "GET", Path: "/api/v1/inspections/inspectors",
		Summary: "The department's inspector pool, with conflicts of interest", Tags: tags, Security: secSignedIn, Errors: errsGuarded,
	}, func(ctx context.Context, _ *struct{}) (*PoolOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		pool, err := svc().Inspectors(ctx, principalFrom(ctx))
		if err != nil {
			return nil, err
		}
		out := &PoolOutput{}
		out.Body.Inspectors = []PoolInspectorOut{}
		for _, in := range pool {
			out.Body.Inspectors = append(out.Body.Inspectors, poolOut(in))
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "post-inspector", Method: "POST", Path: "/api/v1/inspections/inspectors",
		Summary: "Add an inspector to the department's pool", Tags: tags, Security: secSignedIn,
		Errors: with(errsBody, http.StatusConflict), MaxBodyBytes: maxInspectionBytes, DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *InspectorInput) (*InspectorOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		got, err := svc().AddInspector(ctx, principalFrom(ctx), in.Body.Name, in.Body.Badge, in.Body.Login)
		if err != nil {
			return nil, err
		}
		return &InspectorOutput{Body: poolOut(got)}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "post-inspector-conflict", Method: "POST", Path: "/api/v1/inspections/inspectors/{id}/conflicts",
		Summary: "Record (or withdraw) a subject an inspector must not inspect (回避)", Tags: tags, Security: secSignedIn,
		Errors: errsCase, MaxBodyBytes: maxInspectionBytes, DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *ConflictInput) (*Empty, error) {
		if err := on(); err != nil {
			return nil, err
		}
		return &Empty{}, svc().SetConflict(ctx, principalFrom(ctx), in.ID, in.Body.Code, in.Body.Reason, in.Body.Remove)
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-supervision", Method: "GET", Path: "/api/v1/supervision",
		Summary: "The department's graded supervision: measures per grade and subjects by grade",
		Description: "For a department's supervisor (or API key with inspections:manage): its measures for each grade of the public " +
			"credit evaluation (share drawn by 双随机 inspections, yearly limit, frequency, measures), how many subjects of its region " +
			"have each grade, and a page of them.",
		Tags: []string{"inspections"}, Security: secSignedIn, Errors: errsGuarded,
	}, func(ctx context.Context, in *SupervisionInput) (*SupervisionOutput, error) {
		if err := on(); err != nil {
			return nil, err
		}
		p := principalFrom(ctx)
		plan, custom, err := svc().Plan(ctx, p)
		if err != nil {
			return nil, err
		}
		sup, err := svc().Supervised(ctx, p, in.Grade, in.Offset)
		if err != nil {
			return nil, err
		}
		out := &SupervisionOutput{}
		out.Body.Plan, out.Body.Custom, out.Body.Region, out.Body.Counts, out.Body.More = plan, custom, sup.Region, sup.Counts, sup.More
		out.Body.Subjects, out.Body.Grades = []GradedOut{}, []GradeBandOut{}
		for _, g := range sup.Subjects {
			code := g.Subject.USCC
			if code == "" {
				code = g.Subject.RegNo
			}
			out.Body.Subjects = append(out.Body.Subjects, GradedOut{Ref: s.opts.Portal.SubjectRef(g.Subject), Name: g.Subject.Name, Code: code,
				Grade: g.Grade, Score: g.Score, Day: g.Day})
		}
		if s.opts.Evaluation != nil {
			for _, b := range s.opts.Evaluation.Model.Grades {
				out.Body.Grades = append(out.Body.Grades, GradeBandOut{Grade: b.Grade, Label: b.Label, Min: b.Min, About: b.About})
			}
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "put-supervision", Method: "PUT", Path: "/api/v1/supervision",
		Summary: "Set the department's graded supervision measures",
		Description: "Every grade of the evaluation model in its order and the ungraded (-): ranges, the share drawn within its " +
			"range, the yearly limit (0: none), frequency and measures in words.",
		Tags: []string{"inspections"}, Security: secSignedIn, Errors: errsBody, MaxBodyBytes: maxInspectionBytes, DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *PlanInput) (*Empty, error) {
		if err := on(); err != nil {
			return nil, err
		}
		return &Empty{}, svc().SetPlan(ctx, principalFrom(ctx), in.Body)
	})
}

func poolOut(in store.Inspector) PoolInspectorOut {
	o := PoolInspectorOut{ID: in.ID, Name: in.Name, Badge: in.Badge, Active: in.Active, Linked: in.UserID != 0, Conflicts: []ConflictOut{}}
	for _, c := range in.Conflicts {
		o.Conflicts = append(o.Conflicts, ConflictOut{Code: c.Code, Name: c.Name, Reason: c.Reason})
	}
	return o
}
