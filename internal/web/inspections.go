package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/inspection"
	"github.com/xinyong/xinyong/internal/match"
	"github.com/xinyong/xinyong/internal/store"
)

// Pages of graded supervision (分级分类监管: /supervision) and 双随机、一公开
// inspections (/inspections): a department's staff keep the measures per
// grade, the list of matters and the inspector pool, create tasks and draw
// them; inspectors enter results; everyone sees drawn tasks, their inputs
// and results. Forms are CSRF-protected; a refused form shows the page
// again with the reason.

func (s *Server) registerInspections(mux *http.ServeMux) {
	s.registerInspectionAPI()
	if s.opts.Inspections == nil {
		return
	}
	mux.HandleFunc("GET /supervision", s.supervisionPage)
	mux.HandleFunc("POST /supervision", s.savePlan)
	mux.HandleFunc("GET /inspections", s.inspectionsPage)
	mux.HandleFunc("GET /inspections/new", s.inspectionForm)
	mux.HandleFunc("POST /inspections", s.createInspection)
	mux.HandleFunc("GET /inspections/setup", s.inspectionSetup)
	mux.HandleFunc("POST /inspections/setup/items", s.addInspectionItem)
	mux.HandleFunc("POST /inspections/setup/inspectors", s.addInspector)
	mux.HandleFunc("POST /inspections/setup/inspectors/{id}", s.changeInspector)
	mux.HandleFunc("GET /inspections/{id}", s.inspectionPage)
	mux.HandleFunc("POST /inspections/{id}/draw", s.drawInspection)
	mux.HandleFunc("POST /inspections/{id}/targets/{seq}", s.enterInspectionResult)
}

// placeName names a region code for people (陕西省西安市).
func placeName(code string) string { return match.PlaceName(code) }

// gradeRow is a grade's line on the supervision page.
type gradeRow struct {
	inspection.GradeMeasure
	Label string
	Count int
}

func (s *Server) supervisionData(r *http.Request, p auth.Principal) (map[string]any, error) {
	ins := s.opts.Inspections
	plan, custom, err := ins.Plan(r.Context(), p)
	if err != nil {
		return nil, err
	}
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	grade := r.URL.Query().Get("grade")
	sup, err := ins.Supervised(r.Context(), p, grade, offset)
	if err != nil {
		return nil, err
	}
	var rows []gradeRow
	for _, g := range plan.All() {
		row := gradeRow{GradeMeasure: g, Count: sup.Counts[g.Grade], Label: "未评价"}
		if s.opts.Evaluation != nil {
			if b, ok := s.opts.Evaluation.Model.Band(g.Grade); ok {
				row.Label = b.Label
			}
		}
		rows = append(rows, row)
	}
	var refs []string
	for _, g := range sup.Subjects {
		refs = append(refs, s.opts.Portal.SubjectRef(g.Subject))
	}
	next := ""
	if sup.More {
		q := url.Values{"offset": {strconv.Itoa(sup.Offset + inspection.SupervisedPage)}}
		if grade != "" {
			q.Set("grade", grade)
		}
		next = "/supervision?" + q.Encode()
	}
	return map[string]any{"Plan": plan, "Custom": custom, "Rows": rows, "S": sup, "Refs": refs, "Next": next,
		"Place": placeName(sup.Region), "Dept": p.Org.Name}, nil
}

func (s *Server) supervisionPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	d, err := s.supervisionData(r, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "supervision", "分级分类监管", d)
}

// savePlan stores the measures typed on the supervision page: per grade
// the share drawn (percent), the yearly limit, the frequency and the
// measures; the ranges stay those of the plan.
func (s *Server) savePlan(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	plan, _, err := s.opts.Inspections.Plan(r.Context(), p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	set := func(g *inspection.GradeMeasure) error {
		f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k + "_" + g.Grade)) }
		pct, err := strconv.ParseFloat(f("percent"), 64)
		if err != nil {
			return fault.Newf(fault.Invalid, "%s级的抽查比例应为数字", g.Grade)
		}
		n, err := strconv.Atoi(f("max_per_year"))
		if err != nil {
			return fault.Newf(fault.Invalid, "%s级的每年抽查次数上限应为整数", g.Grade)
		}
		g.Percent, g.MaxPerYear, g.Frequency, g.Measures = pct, n, f("frequency"), f("measures")
		return nil
	}
	for i := range plan.Grades {
		err = errors.Join(err, set(&plan.Grades[i]))
	}
	err = errors.Join(err, set(&plan.Ungraded))
	if err == nil {
		err = s.opts.Inspections.SetPlan(r.Context(), p, plan)
	}
	if errors.Is(err, fault.Invalid) {
		d, derr := s.supervisionData(r, p)
		if derr != nil {
			s.pageError(w, r, derr)
			return
		}
		d["Error"] = fault.Message(err)
		s.render(w, r, http.StatusUnprocessableEntity, "supervision", "分级分类监管", d)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/supervision?saved=1", http.StatusSeeOther)
}

// taskRow is a task in the list.
type taskRow struct {
	T     store.InspectionTask
	Place string
}

func (s *Server) inspectionsPage(w http.ResponseWriter, r *http.Request) {
	p := who(r)
	tasks, err := s.opts.Inspections.Tasks(r.Context(), p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	rows := make([]taskRow, len(tasks))
	for i, t := range tasks {
		rows[i] = taskRow{T: t, Place: placeName(t.Region)}
	}
	own := auth.Resource{OrgPath: p.Org.Path}
	manage := p.Staff() && p.Org.Kind == auth.Dept && s.opts.Authorizer != nil && s.opts.Authorizer.Can(p, auth.SupervisionManage, own)
	s.render(w, r, http.StatusOK, "inspections", "双随机抽查", map[string]any{"Rows": rows, "Manage": manage})
}

func (s *Server) inspectionFormData(r *http.Request, p auth.Principal) (map[string]any, error) {
	d, err := s.opts.Inspections.Dept(r.Context(), p)
	if err != nil {
		return nil, err
	}
	items, err := s.opts.Inspections.Items(r.Context(), p)
	if err != nil {
		return nil, err
	}
	region := credit.RegionPrefix(d.Region)
	return map[string]any{"Items": items, "Region": region, "Place": placeName(region), "Places": placeOptions(),
		"PerTarget": inspection.DefaultPerTarget, "Classes": []credit.Class{credit.ClassOrg, credit.ClassSole, credit.ClassGov}}, nil
}

func (s *Server) inspectionForm(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	d, err := s.inspectionFormData(r, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "inspectionform", "新建双随机抽查任务", d)
}

func (s *Server) createInspection(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	f := r.PostFormValue
	itemID, _ := strconv.ParseInt(f("item"), 10, 64)
	per, _ := strconv.Atoi(f("per_target"))
	region := f("region")
	if c, ok := regionParam(region); ok { // a place name from the pick-list, or a code
		region = c
	}
	in := inspection.TaskInput{ItemID: itemID, Name: f("name"), Region: region, Keywords: f("keywords"), Licensed: f("licensed") != "",
		From: f("from"), To: f("to"), PerTarget: per}
	for _, c := range r.PostForm["class"] {
		in.Classes = append(in.Classes, credit.Class(c))
	}
	t, err := s.opts.Inspections.CreateTask(r.Context(), p, in)
	if errors.Is(err, fault.Invalid) {
		d, derr := s.inspectionFormData(r, p)
		if derr != nil {
			s.pageError(w, r, derr)
			return
		}
		d["Error"], d["In"] = fault.Message(err), in
		s.render(w, r, http.StatusUnprocessableEntity, "inspectionform", "新建双随机抽查任务", d)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/inspections/"+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
}

// targetRow is a target on the task page.
type targetRow struct {
	inspection.TargetView
	SubjectRef, RecordRef string
}

func (s *Server) inspectionPageData(r *http.Request, id int64) (map[string]any, inspection.TaskView, error) {
	v, err := s.opts.Inspections.Task(r.Context(), who(r), id)
	if err != nil {
		return nil, v, err
	}
	rows := make([]targetRow, len(v.Targets))
	canEnter := false
	for i, g := range v.Targets {
		rows[i] = targetRow{TargetView: g, SubjectRef: s.opts.Portal.SubjectRef(credit.Subject{ID: g.SubjectID, USCC: uscc(g.Code)})}
		if g.RecordID != 0 {
			rows[i].RecordRef = s.opts.Portal.RecordRef(g.RecordID)
		}
		canEnter = canEnter || g.CanEnter
	}
	return map[string]any{"V": v, "Targets": rows, "Place": placeName(v.T.Region), "Results": s.opts.Inspections.Results(), "CanEnter": canEnter,
		"Classes": classLabels(v.T.Classes), "Today": calendar.Today().String()}, v, nil
}

// uscc is code when it is a USCC (18 characters), else "".
func uscc(code string) string {
	if len(code) == 18 {
		return code
	}
	return ""
}

func classLabels(cs []credit.Class) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Label())
	}
	return strings.Join(out, "、")
}

func (s *Server) inspectionPage(w http.ResponseWriter, r *http.Request) {
	id, ok := inspection.ParseID(r.PathValue("id"))
	if !ok {
		s.notFound(w, r)
		return
	}
	d, v, err := s.inspectionPageData(r, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "inspection", "双随机抽查任务 "+v.T.Code, d)
}

func (s *Server) drawInspection(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	id, ok := inspection.ParseID(r.PathValue("id"))
	if !ok {
		s.notFound(w, r)
		return
	}
	_, err := s.opts.Inspections.Draw(r.Context(), p, id)
	if errors.Is(err, fault.Invalid) || errors.Is(err, fault.Conflict) {
		s.inspectionAgain(w, r, id, err)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/inspections/"+r.PathValue("id"), http.StatusSeeOther)
}

// inspectionAgain shows the task page again with the reason an action was
// refused.
func (s *Server) inspectionAgain(w http.ResponseWriter, r *http.Request, id int64, err error) {
	d, v, derr := s.inspectionPageData(r, id)
	if derr != nil {
		s.pageError(w, r, derr)
		return
	}
	d["Error"] = fault.Message(err)
	s.render(w, r, statusOf(fault.KindOf(err)), "inspection", "双随机抽查任务 "+v.T.Code, d)
}

func (s *Server) enterInspectionResult(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	id, ok1 := inspection.ParseID(r.PathValue("id"))
	seq, err := strconv.Atoi(r.PathValue("seq"))
	if !ok1 || err != nil {
		s.notFound(w, r)
		return
	}
	f := r.PostFormValue
	_, err = s.opts.Inspections.EnterResult(r.Context(), p, id, seq, inspection.ResultInput{Result: f("result"), Findings: f("findings"), InspectedOn: f("inspected_on")})
	if errors.Is(err, fault.Invalid) || errors.Is(err, fault.Refused) {
		s.inspectionAgain(w, r, id, err)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/inspections/"+r.PathValue("id")+"#target-"+r.PathValue("seq"), http.StatusSeeOther)
}

func (s *Server) setupData(r *http.Request, p auth.Principal) (map[string]any, error) {
	items, err := s.opts.Inspections.Items(r.Context(), p)
	if err != nil {
		return nil, err
	}
	pool, err := s.opts.Inspections.Inspectors(r.Context(), p)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Items": items, "Pool": pool, "Dept": p.Org.Name}, nil
}

func (s *Server) inspectionSetup(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	d, err := s.setupData(r, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "inspectionsetup", "抽查事项和检查人员", d)
}

// setupAction runs a change of the setup page and shows the page again,
// with the reason when it was refused.
func (s *Server) setupAction(w http.ResponseWriter, r *http.Request, do func(p auth.Principal) error) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	err := do(p)
	if errors.Is(err, fault.Invalid) || errors.Is(err, fault.Exists) || errors.Is(err, fault.NotFound) {
		d, derr := s.setupData(r, p)
		if derr != nil {
			s.pageError(w, r, derr)
			return
		}
		d["Error"] = fault.Message(err)
		s.render(w, r, statusOf(fault.KindOf(err)), "inspectionsetup", "抽查事项和检查人员", d)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/inspections/setup", http.StatusSeeOther)
}

func (s *Server) addInspectionItem(w http.ResponseWriter, r *http.Request) {
	s.setupAction(w, r, func(p auth.Principal) error {
		_, err := s.opts.Inspections.AddItem(r.Context(), p, r.PostFormValue("code"), r.PostFormValue("name"), r.PostFormValue("basis"))
		return err
	})
}

func (s *Server) addInspector(w http.ResponseWriter, r *http.Request) {
	s.setupAction(w, r, func(p auth.Principal) error {
		_, err := s.opts.Inspections.AddInspector(r.Context(), p, r.PostFormValue("name"), r.PostFormValue("badge"), r.PostFormValue("login"))
		return err
	})
}

// changeInspector takes an inspector out of the pool or back (action
// active/inactive), or records or withdraws a conflict (action conflict,
// unconflict with code and reason).
func (s *Server) changeInspector(w http.ResponseWriter, r *http.Request) {
	s.setupAction(w, r, func(p auth.Principal) error {
		id, ok := inspection.ParseID(r.PathValue("id"))
		if !ok {
			return fault.New(fault.NotFound, "没有该检查人员")
		}
		f := r.PostFormValue
		switch f("action") {
		case "active", "inactive":
			return s.opts.Inspections.SetInspectorActive(r.Context(), p, id, f("action") == "active")
		case "conflict", "unconflict":
			return s.opts.Inspections.SetConflict(r.Context(), p, id, f("code"), f("reason"), f("action") == "unconflict")
		}
		return fault.New(fault.Invalid, "未知的操作")
	})
}
