package inspection

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/commitment"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/store"
)

// ResultKind is the catalogue kind of the records results are filed as.
const ResultKind = "sj"

// DefaultPerTarget is how many inspectors a task draws per target unless
// told: at least two law-enforcement officers inspect together
// (《行政处罚法》第四十二条).
const DefaultPerTarget = 2

// Service runs graded supervision and 双随机 inspections for principals.
//
// A department's staff with supervision.manage keep its measures, list of
// matters and inspector pool, create tasks and draw them; those with
// inspection.record enter results: supervisors for any target, an
// inspector for the targets it was drawn for (its account linked to its
// entry in the pool), an API key for its department's. Everyone sees a
// drawn task: its inputs, its targets and their results.
type Service struct {
	Store    store.Store
	Auth     *auth.Authorizer
	Importer *ingest.Importer
	// Grades are the grade codes of the evaluation model, best first, and
	// Model its key: what plans cover and draws record.
	Grades []string
	Model  string
	Now    func() time.Time
	// Rand makes seeds (crypto/rand when nil).
	Rand io.Reader
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) today() calendar.Date { return calendar.FromTime(s.now()) }

func (s *Service) audit(p auth.Principal, outcome string) auth.AuditEntry {
	return auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: auth.AuditInspection, Outcome: outcome}
}

// dept is the department p manages supervision for: its own, a department
// with a USCC; its region is its own or that of the nearest organisation
// above it with one.
func (s *Service) dept(ctx context.Context, p auth.Principal, a auth.Action) (auth.Org, error) {
	if !p.Staff() {
		return auth.Org{}, fault.New(fault.Refused, "请以部门工作人员身份登录")
	}
	if p.Org.Kind != auth.Dept || p.Org.USCC == "" {
		return auth.Org{}, fault.New(fault.Refused, "分级分类监管和双随机抽查由部门开展：本账户所属机构不是有统一社会信用代码的部门")
	}
	if d := s.Auth.Decide(p, a, auth.Resource{OrgPath: p.Org.Path}); !d.Allow {
		return auth.Org{}, fault.New(fault.Refused, "无权开展分级分类监管和双随机抽查："+d.Reason)
	}
	d := p.Org
	for o := d; d.Region == ""; {
		if o.ParentID == 0 {
			return d, fault.New(fault.Refused, "本部门及其上级机构都没有行政区划代码，无法确定监管辖区")
		}
		var err error
		if o, err = s.Store.GetOrg(ctx, o.ParentID); err != nil {
			return d, err
		}
		d.Region = o.Region
	}
	return d, nil
}

// Dept is p's department as supervision sees it (its region filled in
// from above when it has none), if p manages its supervision.
func (s *Service) Dept(ctx context.Context, p auth.Principal) (auth.Org, error) {
	return s.dept(ctx, p, auth.SupervisionManage)
}

// PlanOf is a department's plan: its own, or the built-in one (custom
// false).
func (s *Service) PlanOf(ctx context.Context, orgID int64) (Plan, bool, error) {
	row, err := s.Store.GetSupervisionPlan(ctx, orgID)
	if errors.Is(err, store.ErrNotFound) {
		p, err := DefaultPlan(s.Grades)
		return p, false, err
	}
	if err != nil {
		return Plan{}, false, err
	}
	p, err := ParsePlan(row.Body, s.Grades)
	if err != nil {
		// A plan made for a model with other grades: the built-in one
		// applies until the department saves a new one.
		p, err := DefaultPlan(s.Grades)
		return p, false, err
	}
	return p, true, nil
}

// Plan is p's department's plan.
func (s *Service) Plan(ctx context.Context, p auth.Principal) (Plan, bool, error) {
	d, err := s.dept(ctx, p, auth.SupervisionManage)
	if err != nil {
		return Plan{}, false, err
	}
	return s.PlanOf(ctx, d.ID)
}

// SetPlan stores p's department's plan.
func (s *Service) SetPlan(ctx context.Context, p auth.Principal, plan Plan) error {
	d, err := s.dept(ctx, p, auth.SupervisionManage)
	if err != nil {
		return err
	}
	if err := plan.Check(s.Grades); err != nil {
		var pe *PlanError
		if errors.As(err, &pe) {
			return fault.New(fault.Invalid, pe.Error())
		}
		return err
	}
	return s.Store.PutSupervisionPlan(ctx, store.SupervisionPlan{OrgID: d.ID, Body: plan.JSON(), UpdatedBy: p.String()}, s.audit(p, "plan"))
}

// Supervised is a department's subjects by grade.
type Supervised struct {
	Region   string
	Counts   map[string]int
	Total    int
	Grade    string
	Offset   int
	Subjects []store.GradedSubject
	More     bool
}

// SupervisedPage is how many subjects a page of the list by grade shows.
const SupervisedPage = 50

// Supervised lists p's department's subjects (those of its region) with
// their grades: counts by grade and a page of one grade ("" all).
func (s *Service) Supervised(ctx context.Context, p auth.Principal, grade string, offset int) (Supervised, error) {
	d, err := s.dept(ctx, p, auth.SupervisionManage)
	if err != nil {
		return Supervised{}, err
	}
	if grade != "" && !slices.Contains(s.Grades, grade) {
		return Supervised{}, fault.Newf(fault.Invalid, "未知的等级“%s”", grade)
	}
	out := Supervised{Region: credit.RegionPrefix(d.Region), Grade: grade, Offset: max(offset, 0)}
	if out.Counts, err = s.Store.GradeCounts(ctx, store.GradeFilter{Region: out.Region}); err != nil {
		return out, err
	}
	for _, n := range out.Counts {
		out.Total += n
	}
	subs, err := s.Store.ListEvaluations(ctx, store.GradeFilter{Region: out.Region, Grade: grade, Offset: out.Offset, Limit: SupervisedPage + 1})
	if err != nil {
		return out, err
	}
	if len(subs) > SupervisedPage {
		subs, out.More = subs[:SupervisedPage], true
	}
	out.Subjects = subs
	return out, nil
}

// field checks a text field: required, at most n characters, no
// bidirectional controls.
func field(name, v string, n int, required bool) (string, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "" && required:
		return v, fault.Newf(fault.Invalid, "请填写%s", name)
	case utf8.RuneCountInString(v) > n:
		return v, fault.Newf(fault.Invalid, "%s不能超过%d字", name, n)
	}
	if r := credit.BidiReason(v); r != "" {
		return v, fault.Newf(fault.Invalid, "%s%s", name, r)
	}
	return v, nil
}

// AddItem adds a matter to p's department's list.
func (s *Service) AddItem(ctx context.Context, p auth.Principal, code, name, basis string) (store.InspectionItem, error) {
	d, err := s.dept(ctx, p, auth.SupervisionManage)
	if err != nil {
		return store.InspectionItem{}, err
	}
	it := store.InspectionItem{OrgID: d.ID}
	if it.Code, err = field("事项编号", code, 40, true); err != nil {
		return it, err
	}
	if it.Name, err = field("抽查事项名称", name, 200, true); err != nil {
		return it, err
	}
	if it.Basis, err = field("检查依据", basis, 1000, true); err != nil {
		return it, err
	}
	return s.Store.AddInspectionItem(ctx, it, s.audit(p, "item"))
}

// Items is p's department's list of matters.
func (s *Service) Items(ctx context.Context, p auth.Principal) ([]store.InspectionItem, error) {
	d, err := s.dept(ctx, p, auth.SupervisionManage)
	if err != nil {
		return nil, err
	}
	return s.Store.InspectionItems(ctx, d.ID)
}

// AddInspector adds an inspector to p's department's pool; login, when
// given, names the account (of the same department) that enters results
// as this inspector.
func (s *Service) AddInspector(ctx context.Context, p auth.Principal, name, badge, login string) (store.Inspector, error) {
	d, err := s.dept(ctx, p, auth.SupervisionManage)
	if err != nil {
		return store.Inspector{}, err
	}
	in := store.Inspector{OrgID: d.ID, Active: true}
	if in.Name, err = field("姓名", name, 50, true); err != nil {
		return in, err
	}
	if in.Badge, err = field("执法证号", badge, 40, true); err != nil {
		return in, err
	}
	if strings.ContainsAny(in.Badge, "\t\n,") {
		return in, fault.New(fault.Invalid, "执法证号不能含制表符、换行或逗号")
	}
	if login = strings.TrimSpace(login); login != "" {
		u, err := s.Store.GetUserByLogin(ctx, login)
		if errors.Is(err, store.ErrNotFound) || err == nil && u.OrgID != d.ID {
			return in, fault.Newf(fault.Invalid, "本部门没有登录名为“%s”的账户", login)
		}
		if err != nil {
			return in, err
		}
		in.UserID = u.ID
	}
	return s.Store.AddInspector(ctx, in, s.audit(p, "inspector"))
}

// inspectorOf reads an inspector of p's department.
func (s *Service) inspectorOf(ctx context.Context, d auth.Org, id int64) (store.Inspector, error) {
	in, err := s.Store.GetInspector(ctx, id)
	if err == nil && in.OrgID != d.ID {
		err = fmt.Errorf("inspector %d: %w", id, store.ErrNotFound)
	}
	return in, err
}

// SetInspectorActive takes an inspector out of the pool (or back).
func (s *Service) SetInspectorActive(ctx context.Context, p auth.Principal, id int64, active bool) error {
	d, err := s.dept(ctx, p, auth.SupervisionManage)
	if err != nil {
		return err
	}
	in, err := s.inspectorOf(ctx, d, id)
	if err != nil {
		return err
	}
	in.Active = active
	return s.Store.UpdateInspector(ctx, in, s.audit(p, "inspector"))
}

// SetConflict records (or with remove, withdraws) that an inspector must
// not inspect the subject with code (回避), with the reason.
func (s *Service) SetConflict(ctx context.Context, p auth.Principal, id int64, code, reason string, remove bool) error {
	d, err := s.dept(ctx, p, auth.SupervisionManage)
	if err != nil {
		return err
	}
	if _, err := s.inspectorOf(ctx, d, id); err != nil {
		return err
	}
	sub, err := s.Store.FindSubjectByCode(ctx, search.Code(code))
	if errors.Is(err, store.ErrNotFound) {
		return fault.Newf(fault.Invalid, "平台未收录代码为“%s”的主体", strings.TrimSpace(code))
	}
	if err != nil {
		return err
	}
	c := store.InspectorConflict{SubjectID: sub.ID}
	if !remove {
		if c.Reason, err = field("回避事由", reason, 200, true); err != nil {
			return err
		}
	}
	return s.Store.SetInspectorConflict(ctx, id, c, remove, s.audit(p, "conflict"))
}

// Inspectors is p's department's pool.
func (s *Service) Inspectors(ctx context.Context, p auth.Principal) ([]store.Inspector, error) {
	d, err := s.dept(ctx, p, auth.SupervisionManage)
	if err != nil {
		return nil, err
	}
	return s.Store.Inspectors(ctx, d.ID)
}

// TaskInput is what a department fills in to create a task.
type TaskInput struct {
	ItemID   int64
	Name     string
	Region   string // a prefix of the department's region (default its own)
	Keywords string // industry words of the names, separated by spaces or commas
	Classes  []credit.Class
	Licensed bool
	From, To string
	// PerTarget inspectors per target (DefaultPerTarget when 0).
	PerTarget int
}

// CreateTask creates a task of p's department and commits its seed: the
// seed's SHA-256 is published from now on, the seed itself with the draw.
func (s *Service) CreateTask(ctx context.Context, p auth.Principal, in TaskInput) (store.InspectionTask, error) {
	d, err := s.dept(ctx, p, auth.SupervisionManage)
	if err != nil {
		return store.InspectionTask{}, err
	}
	t := store.InspectionTask{OrgID: d.ID, ItemID: in.ItemID, PerTarget: in.PerTarget, Licensed: in.Licensed, CreatedBy: p.String()}
	items, err := s.Store.InspectionItems(ctx, d.ID)
	if err != nil {
		return t, err
	}
	i := slices.IndexFunc(items, func(it store.InspectionItem) bool { return it.ID == in.ItemID })
	if i < 0 {
		return t, fault.New(fault.Invalid, "请选择本部门抽查事项清单中的事项")
	}
	if t.Name, err = field("任务名称", in.Name, 200, true); err != nil {
		return t, err
	}
	own := credit.RegionPrefix(d.Region)
	t.Region = strings.TrimSpace(in.Region)
	if t.Region == "" {
		t.Region = own
	}
	if len(t.Region) < 2 || len(t.Region) > 6 || strings.Trim(t.Region, "0123456789") != "" || !strings.HasPrefix(t.Region, own) {
		return t, fault.Newf(fault.Invalid, "抽查范围应为本部门辖区（行政区划代码以%s开头）内的行政区划代码", own)
	}
	for _, k := range strings.FieldsFunc(in.Keywords, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' || r == '　' }) {
		if k, err = field("行业关键词", k, 20, false); err != nil {
			return t, err
		}
		if !slices.Contains(t.Keywords, k) {
			t.Keywords = append(t.Keywords, k)
		}
	}
	if len(t.Keywords) > 10 {
		return t, fault.New(fault.Invalid, "行业关键词不超过10个")
	}
	for _, c := range in.Classes {
		if c == credit.ClassPerson || !c.Valid() {
			return t, fault.New(fault.Invalid, "抽查对象类别应为法人及非法人组织、个体工商户或政府机构")
		}
		if !slices.Contains(t.Classes, c) {
			t.Classes = append(t.Classes, c)
		}
	}
	if len(t.Classes) == 0 {
		t.Classes = []credit.Class{credit.ClassOrg, credit.ClassSole}
	}
	from, err1 := calendar.ParseDate(strings.TrimSpace(in.From))
	to, err2 := calendar.ParseDate(strings.TrimSpace(in.To))
	if err1 != nil || err2 != nil || to.Before(from) {
		return t, fault.New(fault.Invalid, "请填写检查期限（起止日期，YYYY-MM-DD，止不早于起）")
	}
	t.From, t.To = from.String(), to.String()
	if t.PerTarget == 0 {
		t.PerTarget = DefaultPerTarget
	}
	if t.PerTarget < 1 || t.PerTarget > 5 {
		return t, fault.New(fault.Invalid, "每个抽查对象的检查人员为1至5名")
	}
	seed := make([]byte, 32)
	r := s.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, seed); err != nil {
		return t, fmt.Errorf("seed: %w", err)
	}
	sum := sha256.Sum256(seed)
	t.Seed, t.SeedHash = hex.EncodeToString(seed), hex.EncodeToString(sum[:])
	t.Code = "SJ" + d.Region + "-" + strings.ReplaceAll(s.today().String(), "-", "") + "-"
	t, err = s.Store.AddInspectionTask(ctx, t, s.audit(p, "create"))
	if err != nil {
		return t, err
	}
	t.ItemName, t.OrgName, t.OrgUSCC = items[i].Name, d.Name, d.USCC
	return t, nil
}

// Draw makes a task's draw: the population (the task's subjects, less
// those the department inspected as often as their grade allows in the
// twelve months before), the pool, the ratios of the department's plan,
// the committed seed; it stores the inputs with the targets.
func (s *Service) Draw(ctx context.Context, p auth.Principal, id int64) (store.InspectionTask, error) {
	d, err := s.dept(ctx, p, auth.SupervisionManage)
	if err != nil {
		return store.InspectionTask{}, err
	}
	t, err := s.Store.GetInspectionTask(ctx, id)
	if err != nil {
		return t, err
	}
	if t.OrgID != d.ID {
		return t, fault.New(fault.Refused, "只能抽取本部门的任务")
	}
	if t.State != store.TaskOpen {
		return t, fault.Newf(fault.Conflict, "任务 %s 已经抽取过", t.Code)
	}
	plan, _, err := s.PlanOf(ctx, d.ID)
	if err != nil {
		return t, err
	}
	f := store.PopulationFilter{Region: t.Region, Classes: t.Classes, Keywords: t.Keywords}
	if t.Licensed {
		f.LicensedBy = d.USCC
	}
	found, err := s.Store.InspectionPopulation(ctx, f)
	if err != nil {
		return t, err
	}
	recent, err := s.Store.InspectedSince(ctx, d.ID, s.now().AddDate(-1, 0, 0))
	if err != nil {
		return t, err
	}
	grades := append(slices.Clone(s.Grades), Ungraded)
	pop := make([]Member, 0, len(found))
	for _, m := range found {
		g := m.Grade
		if !slices.Contains(s.Grades, g) {
			g = Ungraded
		}
		gm, _ := plan.Measure(g)
		if gm.MaxPerYear > 0 && recent[m.SubjectID] >= gm.MaxPerYear {
			t.Excluded++
			continue
		}
		pop = append(pop, Member{SubjectID: m.SubjectID, Code: m.Code, Name: m.Name, Grade: g})
	}
	pool, err := s.pool(ctx, d.ID)
	if err != nil {
		return t, err
	}
	perMille := map[string]int{}
	for _, g := range plan.All() {
		perMille[g.Grade] = g.PerMille()
	}
	seed, err := hex.DecodeString(t.Seed)
	if err != nil {
		return t, fmt.Errorf("task %d seed: %w", t.ID, err)
	}
	out, err := Run(Input{Task: t.Code, Seed: seed, Population: pop, Pool: pool, Grades: grades, PerMille: perMille, PerTarget: t.PerTarget})
	if err != nil {
		return t, err
	}
	if len(out.Targets) == 0 {
		return t, fault.Newf(fault.Invalid, "抽查范围内没有可抽取的主体（共%d个，因本年度已抽查而排除%d个）", len(found), t.Excluded)
	}
	t.PopulationHash, t.PopulationSize, t.Population = out.PopulationHash, len(pop), Gzip(PopulationListing(pop))
	t.PoolHash, t.Pool = out.PoolHash, Gzip(PoolListing(pool))
	if t.Strata, err = json.Marshal(out.Strata); err != nil {
		return t, err
	}
	t.Model, t.DrawnBy = s.Model, p.String()
	targets := make([]store.InspectionTarget, len(out.Targets))
	for i, g := range out.Targets {
		targets[i] = store.InspectionTarget{TaskID: t.ID, Seq: g.Seq, SubjectID: g.SubjectID, Code: g.Code, Name: g.Name, Grade: g.Grade}
		for _, in := range g.Inspectors {
			targets[i].Inspectors = append(targets[i].Inspectors, in.ID)
		}
	}
	if err := s.Store.SaveInspectionDraw(ctx, t, targets, s.audit(p, "draw")); err != nil {
		return t, err
	}
	return s.Store.GetInspectionTask(ctx, t.ID)
}

// pool is a department's active inspectors as a draw takes them.
func (s *Service) pool(ctx context.Context, orgID int64) ([]PoolMember, error) {
	ins, err := s.Store.Inspectors(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var out []PoolMember
	for _, in := range ins {
		if !in.Active {
			continue
		}
		pm := PoolMember{ID: in.ID, Badge: in.Badge}
		for _, c := range in.Conflicts {
			if c.Code != "" {
				pm.Conflicts = append(pm.Conflicts, c.Code)
			}
		}
		slices.Sort(pm.Conflicts)
		out = append(out, pm)
	}
	slices.SortFunc(out, func(a, b PoolMember) int { return strings.Compare(a.Badge, b.Badge) })
	return out, nil
}

// TaskView is a task as a principal sees it.
type TaskView struct {
	T       store.InspectionTask
	Strata  []Stratum
	Targets []TargetView
	// Staff: p manages the task's department (sees the open task, draws).
	Staff   bool
	CanDraw bool
}

// TargetView is a target with its inspectors.
type TargetView struct {
	store.InspectionTarget
	Inspectors []store.Inspector
	CanEnter   bool
}

// visible reports whether p sees the task: everyone once drawn; before,
// staff with supervision.manage or inspection.record over its department.
func (s *Service) staff(p auth.Principal, dept auth.Org, a auth.Action) bool {
	return p.Staff() && s.Auth.Can(p, a, auth.Resource{OrgPath: dept.Path})
}

// Task returns a task as p sees it.
func (s *Service) Task(ctx context.Context, p auth.Principal, id int64) (TaskView, error) {
	t, err := s.Store.GetInspectionTask(ctx, id)
	if err != nil {
		return TaskView{}, err
	}
	dept, err := s.Store.GetOrg(ctx, t.OrgID)
	if err != nil {
		return TaskView{}, err
	}
	v := TaskView{T: t, Staff: s.staff(p, dept, auth.SupervisionManage)}
	recorder := s.staff(p, dept, auth.InspectionRecord)
	if t.State != store.TaskDrawn && !v.Staff && !recorder {
		return TaskView{}, fmt.Errorf("inspection task %d: %w", id, store.ErrNotFound)
	}
	v.CanDraw = v.Staff && t.State == store.TaskOpen && p.Org.ID == t.OrgID
	if t.State != store.TaskDrawn {
		v.T.Seed = "" // revealed by the draw
		return v, nil
	}
	if len(t.Strata) > 0 {
		if err := json.Unmarshal(t.Strata, &v.Strata); err != nil {
			return v, fmt.Errorf("task %d strata: %w", id, err)
		}
	}
	targets, err := s.Store.InspectionTargets(ctx, id)
	if err != nil {
		return v, err
	}
	pool, err := s.Store.Inspectors(ctx, t.OrgID)
	if err != nil {
		return v, err
	}
	byID := map[int64]store.Inspector{}
	for _, in := range pool {
		in.Conflicts = nil // conflicts of interest stay with the department
		byID[in.ID] = in
	}
	for _, g := range targets {
		tv := TargetView{InspectionTarget: g}
		for _, id := range g.Inspectors {
			tv.Inspectors = append(tv.Inspectors, byID[id])
		}
		tv.CanEnter = s.mayEnter(p, dept, tv)
		v.Targets = append(v.Targets, tv)
	}
	return v, nil
}

// mayEnter reports whether p may enter a target's result: inspection.record
// over the department and a supervisor of it, its API key, or one of the
// inspectors drawn for it.
func (s *Service) mayEnter(p auth.Principal, dept auth.Org, g TargetView) bool {
	if !s.staff(p, dept, auth.InspectionRecord) {
		return false
	}
	if p.Kind == auth.Client || s.staff(p, dept, auth.SupervisionManage) {
		return true
	}
	return p.Kind == auth.UserKind && slices.ContainsFunc(g.Inspectors, func(in store.Inspector) bool { return in.UserID == p.ID })
}

// Tasks lists the tasks p sees: drawn ones of every department, and the
// open ones of the departments p manages or inspects for.
func (s *Service) Tasks(ctx context.Context, p auth.Principal) ([]store.InspectionTask, error) {
	drawn, err := s.Store.ListInspectionTasks(ctx, store.TaskFilter{State: store.TaskDrawn, Limit: 200})
	if err != nil {
		return nil, err
	}
	if !p.Staff() || !(s.Auth.Can(p, auth.SupervisionManage, auth.Resource{OrgPath: p.Org.Path}) ||
		s.Auth.Can(p, auth.InspectionRecord, auth.Resource{OrgPath: p.Org.Path})) {
		return drawn, nil
	}
	open, err := s.Store.ListInspectionTasks(ctx, store.TaskFilter{OrgPath: p.Org.Path, State: store.TaskOpen, Limit: 200})
	if err != nil {
		return nil, err
	}
	for i := range open {
		open[i].Seed = ""
	}
	out := append(open, drawn...)
	slices.SortFunc(out, func(a, b store.InspectionTask) int { return int(b.ID - a.ID) })
	return out, nil
}

// ResultInput is a target's result as entered.
type ResultInput struct {
	Result      string
	Findings    string
	InspectedOn string
}

// Results are the results an inspection can have (the 双随机抽查结果
// kind's 检查结果 values).
func (s *Service) Results() []string {
	if s.Importer == nil {
		return nil
	}
	k, ok := s.Importer.Catalog.Kind(ResultKind)
	if !ok {
		return nil
	}
	f, ok := k.Field("inspection_result")
	if !ok {
		return nil
	}
	return f.Enum
}

// EnterResult enters a target's result and files it as a 双随机抽查结果
// record of the department through intake; entered again, the record gets
// a new version.
func (s *Service) EnterResult(ctx context.Context, p auth.Principal, id int64, seq int, in ResultInput) (TargetView, error) {
	v, err := s.Task(ctx, p, id)
	if err != nil {
		return TargetView{}, err
	}
	i := slices.IndexFunc(v.Targets, func(g TargetView) bool { return g.Seq == seq })
	if v.T.State != store.TaskDrawn || i < 0 {
		return TargetView{}, fmt.Errorf("target %d of task %d: %w", seq, id, store.ErrNotFound)
	}
	g := v.Targets[i]
	if !g.CanEnter {
		return g, fault.New(fault.Refused, "只有抽中的检查人员、本部门监管人员或本部门的接口可以录入该对象的检查结果")
	}
	if !slices.Contains(s.Results(), in.Result) {
		return g, fault.Newf(fault.Invalid, "检查结果应为%s之一", strings.Join(s.Results(), "、"))
	}
	if g.Findings, err = field("检查发现的问题及处理", in.Findings, 2000, in.Result != "合格"); err != nil {
		return g, err
	}
	on, err := calendar.ParseDate(strings.TrimSpace(in.InspectedOn))
	drawn := calendar.FromTime(v.T.DrawnAt)
	if err != nil || on.After(s.today()) || on.Before(drawn) {
		return g, fault.Newf(fault.Invalid, "检查完成日期应在抽取之日（%s）至今天之间", drawn)
	}
	dept, err := s.Store.GetOrg(ctx, v.T.OrgID)
	if err != nil {
		return g, err
	}
	sub, err := s.Store.GetSubject(ctx, g.SubjectID)
	if err != nil {
		return g, err
	}
	g.Result, g.InspectedOn, g.EnteredBy = in.Result, on.String(), p.String()
	if g.RecordID, err = s.fileResult(ctx, v.T, g, sub, dept); err != nil {
		return g, err
	}
	if err := s.Store.SaveInspectionResult(ctx, g.InspectionTarget, s.audit(p, "result")); err != nil {
		return g, err
	}
	return g, nil
}

// ResultNo is the 检查结果编号 of a target: the task's code and its number.
func ResultNo(task string, seq int) string { return task + "-" + fmt.Sprintf("%04d", seq) }

// ResultRow is the 双随机抽查结果 record of a target's result.
func ResultRow(t store.InspectionTask, g TargetView, sub credit.Subject, dept auth.Org) map[string]any {
	var badges []string
	for _, in := range g.Inspectors {
		badges = append(badges, in.Badge)
	}
	row := map[string]any{
		"subject_name": sub.Name, "subject_class": commitment.ClassLabel(sub.Class),
		"decision_no": ResultNo(t.Code, g.Seq), "inspection_task_no": t.Code, "inspection_task": t.Name, "inspection_item": t.ItemName,
		"inspection_result": g.Result, "inspectors": strings.Join(badges, "、"), "decision_date": g.InspectedOn,
		"authority": dept.Name, "authority_uscc": dept.USCC, "source_dept": dept.Name, "source_dept_uscc": dept.USCC,
	}
	if g.Findings != "" {
		row["inspection_findings"] = g.Findings
	}
	if sub.USCC != "" {
		row["subject_uscc"] = sub.USCC
	} else {
		row["subject_uscc"], row["subject_reg_no"] = commitment.PlaceholderUSCC, sub.RegNo
	}
	return row
}

// fileResult files the result through intake as the department and
// returns the record's id; a row intake refuses refuses the result, with
// intake's reasons.
func (s *Service) fileResult(ctx context.Context, t store.InspectionTask, g TargetView, sub credit.Subject, dept auth.Org) (int64, error) {
	if s.Importer == nil {
		return 0, errors.New("inspection: no intake to file results through")
	}
	return s.Importer.ImportOne(ctx, ResultRow(t, g, sub, dept), ingest.Options{Kind: ResultKind, Dept: dept.USCC, Channel: "inspection"},
		"生成双随机抽查结果信息")
}

// Population is a drawn task's population snapshot (CODE<TAB>GRADE
// lines): public, with the seed, so that anyone can run the draw again.
func (s *Service) Population(ctx context.Context, id int64) ([]byte, error) {
	t, err := s.Store.GetInspectionTask(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.State != store.TaskDrawn {
		return nil, fmt.Errorf("population of task %d: %w", id, store.ErrNotFound)
	}
	return Gunzip(t.Population)
}

// Verification is a draw run again from its published inputs.
type Verification struct {
	Task     store.InspectionTask
	Outcome  Outcome
	Same     bool
	Problems []string
}

// Verify runs a drawn task's draw again from its stored inputs (the seed
// against its committed hash, the snapshots against theirs) and compares
// the targets and inspectors with those stored.
func (s *Service) Verify(ctx context.Context, id int64) (Verification, error) {
	t, err := s.Store.GetInspectionTask(ctx, id)
	if err != nil {
		return Verification{}, err
	}
	v := Verification{Task: t}
	if t.State != store.TaskDrawn {
		return v, fault.Newf(fault.Invalid, "任务 %s 尚未抽取", t.Code)
	}
	problem := func(format string, a ...any) { v.Problems = append(v.Problems, fmt.Sprintf(format, a...)) }
	seed, err := hex.DecodeString(t.Seed)
	if sum := sha256.Sum256(seed); err != nil || hex.EncodeToString(sum[:]) != t.SeedHash {
		problem("随机种子与创建任务时公布的散列值不符")
	}
	popText, err := Gunzip(t.Population)
	if err != nil {
		return v, fmt.Errorf("task %d population: %w", id, err)
	}
	if Hash(popText) != t.PopulationHash {
		problem("抽查对象名录快照与公布的散列值不符")
	}
	pop, err := ParsePopulation(popText)
	if err != nil {
		return v, err
	}
	poolText, err := Gunzip(t.Pool)
	if err != nil {
		return v, fmt.Errorf("task %d pool: %w", id, err)
	}
	if Hash(poolText) != t.PoolHash {
		problem("检查人员名录快照与保存的散列值不符")
	}
	pool, err := ParsePool(poolText)
	if err != nil {
		return v, err
	}
	var strata []Stratum
	if err := json.Unmarshal(t.Strata, &strata); err != nil {
		return v, fmt.Errorf("task %d strata: %w", id, err)
	}
	var grades []string
	perMille := map[string]int{}
	for _, st := range strata {
		grades = append(grades, st.Grade)
		perMille[st.Grade] = st.PerMille
	}
	v.Outcome, err = Run(Input{Task: t.Code, Seed: seed, Population: pop, Pool: pool, Grades: grades, PerMille: perMille, PerTarget: t.PerTarget})
	if err != nil {
		return v, err
	}
	for i, st := range v.Outcome.Strata {
		if i >= len(strata) || st != strata[i] {
			problem("%s级的抽取数与保存的不符", st.Grade)
		}
	}
	stored, err := s.Store.InspectionTargets(ctx, id)
	if err != nil {
		return v, err
	}
	ins, err := s.Store.Inspectors(ctx, t.OrgID)
	if err != nil {
		return v, err
	}
	badge := map[int64]string{}
	for _, in := range ins {
		badge[in.ID] = in.Badge
	}
	if len(stored) != len(v.Outcome.Targets) {
		problem("重新抽取得到%d个对象，保存的是%d个", len(v.Outcome.Targets), len(stored))
	}
	for i := range min(len(stored), len(v.Outcome.Targets)) {
		a, b := v.Outcome.Targets[i], stored[i]
		var got []string
		for _, id := range b.Inspectors {
			got = append(got, badge[id])
		}
		var want []string
		for _, in := range a.Inspectors {
			want = append(want, in.Badge)
		}
		if a.Code != b.Code || a.Grade != b.Grade || !slices.Equal(got, want) {
			problem("第%d个对象不同：重新抽取为%s（%s）%v，保存的是%s（%s）%v", i+1, a.Code, a.Grade, want, b.Code, b.Grade, got)
		}
	}
	v.Same = len(v.Problems) == 0
	return v, nil
}

// ParseID reads a positive id.
func ParseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}
