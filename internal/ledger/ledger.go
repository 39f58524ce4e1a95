// Package ledger is the reporting ledger (报送台账) and the quality of what
// departments report (双公示 quality): what each department is expected to
// report of each kind, and from it and from what arrived, per department,
// region and month, 上报率, 合格率, 及时率, 迟报, 漏报, 瞒报, the rows
// returned and fixed, and "no update this month" for monthly kinds. The
// figures are exact fractions (Rate) and every count is a set of records,
// register entries or returns the pages drill down to. The monthly
// progress table (《信用信息共享共用重点工作进展情况统计表》) is made here too,
// once, for the page, the CSV and the XLSX.
//
// What each figure counts (docs/architecture.md, "The reporting ledger"):
//
//   - by month of decision (the records a department decided that month):
//     应报 (Expected: the register's decisions, or the declared volume),
//     已报 (Reported: register decisions with a record of the department;
//     with a declared volume, the records), 及时 and 迟报 (OnTime, Late: by
//     catalog.Kind.Timeliness at intake), 漏报 (Missing: register decisions
//     past their deadline without a record), 瞒报 (Concealed: records of a
//     decision of the department supplied by someone else, never by it);
//   - by month of receipt (rows have no trustworthy decision date until
//     they are valid): 接收 (Received: records first filed), 退回
//     (Rejected: rows rejected), the returns (Returned, Fixed, Withdrawn,
//     Open, Overdue) and 本月未更新 (NoUpdate: a monthly kind with a plan
//     and no record filed or changed).
//
// 上报率 = Reported / Expected (a declared volume caps it at 100 %);
// 合格率 = Received / (Received + Rejected); 及时率 = OnTime / (OnTime + Late).
package ledger

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

// Rate is an exact fraction: Num of Den. Den 0 means the rate is not
// defined (nothing to count).
type Rate struct {
	Num int `json:"num"`
	Den int `json:"den"`
}

// Defined reports whether the rate has a denominator.
func (r Rate) Defined() bool { return r.Den > 0 }

// Value is Num/Den, 0 when not defined.
func (r Rate) Value() float64 {
	if r.Den == 0 {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

// String is the rate as a percentage with one decimal ("97.5%"), or "—"
// when not defined.
func (r Rate) String() string {
	if r.Den == 0 {
		return "—"
	}
	return strconv.FormatFloat(100*r.Value(), 'f', 1, 64) + "%"
}

// Row is one department's figures for one kind and month.
type Row struct {
	Month    string `json:"month"`
	Dept     string `json:"dept"`      // USCC
	DeptName string `json:"dept_name"` // its organisation's name, or the USCC when it is not in the tree
	OrgPath  string `json:"-"`
	Region   string `json:"region"` // the name of the region it is in ("" none)
	Kind     string `json:"kind"`
	KindName string `json:"kind_name"`
	Monthly  bool   `json:"monthly"`
	// Mode is the plan's ("" when none was declared).
	Mode      store.PlanMode `json:"mode,omitempty"`
	Expected  int            `json:"expected"`
	Reported  int            `json:"reported"`
	OnTime    int            `json:"on_time"`
	Late      int            `json:"late"`
	Missing   int            `json:"missing"`
	Pending   int            `json:"pending"`
	Concealed int            `json:"concealed"`
	Received  int            `json:"received"`
	Rejected  int            `json:"rejected"`
	Updated   int            `json:"updated"`
	Returned  int            `json:"returned"`
	Fixed     int            `json:"fixed"`
	Withdrawn int            `json:"withdrawn"`
	Open      int            `json:"open"`
	Overdue   int            `json:"overdue"`
	NoUpdate  bool           `json:"no_update"`
	// report is 上报率, kept apart so that totals add the capped terms.
	report Rate
	// noUpdates counts, in a total, the rows with NoUpdate.
	noUpdates int
}

// ReportRate is 上报率.
func (r Row) ReportRate() Rate { return r.report }

// PassRate is 合格率: records first filed of the rows received.
func (r Row) PassRate() Rate { return Rate{r.Received, r.Received + r.Rejected} }

// TimelyRate is 及时率: records on time of those decided that month.
func (r Row) TimelyRate() Rate { return Rate{r.OnTime, r.OnTime + r.Late} }

// Records is how many records of the month's decisions the department
// supplied.
func (r Row) Records() int { return r.OnTime + r.Late }

// add sums b into r.
func (r *Row) add(b Row) {
	r.Expected += b.Expected
	r.Reported += b.Reported
	r.OnTime += b.OnTime
	r.Late += b.Late
	r.Missing += b.Missing
	r.Pending += b.Pending
	r.Concealed += b.Concealed
	r.Received += b.Received
	r.Rejected += b.Rejected
	r.Updated += b.Updated
	r.Returned += b.Returned
	r.Fixed += b.Fixed
	r.Withdrawn += b.Withdrawn
	r.Open += b.Open
	r.Overdue += b.Overdue
	r.report.Num += b.report.Num
	r.report.Den += b.report.Den
	if b.NoUpdate {
		r.noUpdates++
	}
}

// Report is the figures of one month within a scope.
type Report struct {
	Month string // YYYY-MM
	Scope auth.Org
	Rows  []Row // by region, department, kind
	// Regions are the totals per region below the scope (and the
	// scope's own departments), Total the scope's.
	Regions []Total
	Total   Total
	// Generated is when the figures were computed.
	Generated time.Time
}

// Total sums rows.
type Total struct {
	Name string
	Row
}

// NoUpdates is how many department-kinds had no update in the month.
func (t Total) NoUpdates() int { return t.noUpdates }

// Service computes the ledger's figures.
type Service struct {
	Store    store.Store
	Catalog  *catalog.Catalog
	Calendar *calendar.Calendar
	// Clock tells which returns are overdue (step return.fix).
	Clock deadline.Clock
	Now   func() time.Time
}

// ReturnStep is the deadline step of a return (退回信息补正).
const ReturnStep = "return.fix"

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) cal() *calendar.Calendar {
	if s.Calendar == nil {
		return calendar.Default()
	}
	return s.Calendar
}

// ParseMonth checks a month YYYY-MM and returns its first day.
func ParseMonth(m string) (calendar.Date, error) {
	t, err := time.Parse("2006-01", m)
	if err != nil || len(m) != 7 {
		return calendar.Date{}, fault.Newf(fault.Invalid, "月份应为YYYY-MM：%q", m)
	}
	return calendar.Date{Year: t.Year(), Month: t.Month(), Day: 1}, nil
}

// monthOf is the month (YYYY-MM) of a date.
func monthOf(d calendar.Date) string { return d.String()[:7] }

// MonthLabel writes a month as 2026年11月.
func MonthLabel(m string) string {
	d, err := ParseMonth(m)
	if err != nil {
		return m
	}
	return fmt.Sprintf("%d年%d月", d.Year, int(d.Month))
}

// Months returns the n months ending with last, oldest first.
func Months(last string, n int) ([]string, error) {
	d, err := ParseMonth(last)
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range n {
		out[n-1-i] = monthOf(d.AddMonths(-i))
	}
	return out, nil
}

// depts are the departments of a scope: organisations by USCC, with the
// name of the region each is in.
type depts struct {
	scope  auth.Org
	byUSCC map[string]auth.Org
	region map[string]auth.Org // USCC → the region it is in (zero: directly below the operator)
	// root: the scope is the operator's, so records of departments not in
	// the tree count too.
	root bool
}

func (d depts) in(uscc string) bool {
	if _, ok := d.byUSCC[uscc]; ok {
		return true
	}
	return d.root
}

func (s *Service) deptsOf(ctx context.Context, scope auth.Org) (depts, error) {
	all, err := s.Store.ListOrgs(ctx, "")
	if err != nil {
		return depts{}, err
	}
	byID := map[int64]auth.Org{}
	for _, o := range all {
		byID[o.ID] = o
	}
	d := depts{scope: scope, byUSCC: map[string]auth.Org{}, region: map[string]auth.Org{}, root: scope.Kind == auth.Operator}
	for _, o := range all {
		if o.Kind != auth.Dept || o.USCC == "" || !scope.Contains(o) {
			continue
		}
		d.byUSCC[o.USCC] = o
		for p := byID[o.ParentID]; p.ID != 0; p = byID[p.ParentID] {
			if p.Kind == auth.Region {
				d.region[o.USCC] = p
				break
			}
		}
	}
	return d, nil
}

// Range computes the reports of the months from..to (YYYY-MM, inclusive)
// within scope: the scope's departments (an operator's scope also counts
// departments that are not in the organisation tree).
func (s *Service) Range(ctx context.Context, scope auth.Org, from, to string) ([]Report, error) {
	first, err := ParseMonth(from)
	if err != nil {
		return nil, err
	}
	lastMonth, err := ParseMonth(to)
	if err != nil {
		return nil, err
	}
	if lastMonth.Before(first) {
		return nil, fault.New(fault.Invalid, "结束月份不能早于起始月份")
	}
	if lastMonth.AddMonths(-35).After(first) {
		return nil, fault.New(fault.Invalid, "一次最多统计36个月")
	}
	last := lastMonth.AddMonths(1).AddDays(-1)
	ds, err := s.deptsOf(ctx, scope)
	if err != nil {
		return nil, err
	}
	var months []string
	for m := first; !m.After(lastMonth); m = m.AddMonths(1) {
		months = append(months, monthOf(m))
	}
	type key struct{ month, dept, kind string }
	rows := map[key]*Row{}
	row := func(month, dept, kind string) *Row {
		k := key{month, dept, kind}
		if r, ok := rows[k]; ok {
			return r
		}
		r := &Row{Month: month, Dept: dept, Kind: kind}
		rows[k] = r
		return r
	}
	var kinds []string
	for _, k := range s.Catalog.Kinds() {
		kinds = append(kinds, k.Code)
	}
	today := calendar.FromTime(s.now())

	// Plans: a row for every month a plan applies to.
	plans, err := s.Store.LedgerPlans(ctx, nil)
	if err != nil {
		return nil, err
	}
	type planKey struct{ dept, kind string }
	planOf := map[planKey]store.LedgerPlan{}
	for _, p := range plans {
		if _, ok := ds.byUSCC[p.Dept]; !ok && !ds.root {
			continue
		}
		if _, ok := s.Catalog.Kind(p.Kind); !ok {
			continue
		}
		planOf[planKey{p.Dept, p.Kind}] = p
		for _, m := range months {
			if m >= p.FromMonth {
				r := row(m, p.Dept, p.Kind)
				r.Mode = p.Mode
				if p.Mode == store.PlanVolume {
					r.Expected = p.Volume
				}
			}
		}
	}
	// Records by month of decision.
	counts, err := s.Store.DecisionCounts(ctx, kinds, first.String(), last.String())
	if err != nil {
		return nil, err
	}
	for _, c := range counts {
		if !ds.in(c.Dept) {
			continue
		}
		r := row(c.Month, c.Dept, c.Kind)
		r.OnTime += c.Records - c.Late
		r.Late += c.Late
	}
	// Register entries.
	for pk, p := range planOf {
		if p.Mode != store.PlanRegister {
			continue
		}
		kind, _ := s.Catalog.Kind(p.Kind)
		entries, err := s.Store.RegisterEntries(ctx, pk.dept, pk.kind, first.String(), last.String())
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			m := e.DecisionDate[:7]
			if m < p.FromMonth {
				continue
			}
			r := row(m, pk.dept, pk.kind)
			r.Expected++
			d, _ := calendar.ParseDate(e.DecisionDate)
			switch {
			case e.Reported != 0:
				r.Reported++
			case kind.Overdue(d, today, s.cal()):
				r.Missing++
			default:
				r.Pending++
			}
		}
	}
	// 瞒报: decisions of a department of the scope supplied by another,
	// never by itself.
	foreign, err := s.Store.ForeignRecords(ctx, first.String(), last.String(), nil)
	if err != nil {
		return nil, err
	}
	for _, f := range foreign {
		if f.Own == 0 && ds.in(f.Decider) {
			row(f.DecisionDate[:7], f.Decider, f.Kind).Concealed++
		}
	}
	// Receipts.
	intake, err := s.Store.IntakeStats(ctx, store.IntakeFilter{From: from, To: to})
	if err != nil {
		return nil, err
	}
	for _, in := range intake {
		if in.Dept == "" || !ds.in(in.Dept) {
			continue
		}
		r := row(in.Month, in.Dept, in.Kind)
		r.Received += in.Received
		r.Updated += in.Updated
	}
	// Returns, and which of the open ones are overdue now.
	rc, err := s.Store.ReturnCounts(ctx, from, monthOf(lastMonth.AddMonths(1)))
	if err != nil {
		return nil, err
	}
	for _, c := range rc {
		if c.Dept == "" || !ds.in(c.Dept) {
			continue
		}
		r := row(c.Month, c.Dept, c.Kind)
		// Every rejected row is returned to its department (the batch
		// may not name one: the row's 数据来源单位 then does).
		r.Rejected += c.Returned
		r.Returned += c.Returned
		r.Fixed += c.Fixed
		r.Withdrawn += c.Withdrawn
		r.Open += c.Open
	}
	open, err := s.OpenReturns(ctx, scope, first.Time(), last.AddDays(1).Time())
	if err != nil {
		return nil, err
	}
	for _, o := range open {
		if o.Status.State == deadline.Overdue {
			row(calendar.FromTime(o.CreatedAt).String()[:7], o.Dept, o.Kind).Overdue++
		}
	}

	// Names, rates, flags; one report per month.
	byMonth := map[string][]Row{}
	for _, r := range rows {
		k, _ := s.Catalog.Kind(r.Kind)
		if k != nil {
			r.KindName, r.Monthly = k.Name, k.Monthly()
		} else {
			r.KindName = r.Kind
		}
		r.DeptName = r.Dept
		if o, ok := ds.byUSCC[r.Dept]; ok {
			r.DeptName, r.OrgPath = o.Name, o.Path
			r.Region = ds.region[r.Dept].Name
		}
		switch r.Mode {
		case store.PlanRegister:
			r.report = Rate{r.Reported, r.Expected}
		case store.PlanVolume:
			r.Reported = min(r.Records(), r.Expected)
			r.report = Rate{r.Reported, r.Expected}
		}
		r.NoUpdate = r.Monthly && r.Mode != "" && r.Received+r.Updated == 0
		byMonth[r.Month] = append(byMonth[r.Month], *r)
	}
	now := s.now()
	out := make([]Report, 0, len(months))
	for _, m := range months {
		rep := Report{Month: m, Scope: scope, Rows: byMonth[m], Generated: now, Total: Total{Name: "合计"}}
		sortRows(rep.Rows)
		regions := map[string]*Total{}
		var order []string
		for _, r := range rep.Rows {
			rep.Total.add(r)
			name := r.Region
			if name == "" {
				name = "未归属行政区"
			}
			t, ok := regions[name]
			if !ok {
				t = &Total{Name: name}
				regions[name] = t
				order = append(order, name)
			}
			t.add(r)
		}
		for _, name := range order {
			rep.Regions = append(rep.Regions, *regions[name])
		}
		rep.Total.Month = m
		out = append(out, rep)
	}
	return out, nil
}

// Month computes one month's report.
func (s *Service) Month(ctx context.Context, scope auth.Org, month string) (Report, error) {
	reps, err := s.Range(ctx, scope, month, month)
	if err != nil {
		return Report{}, err
	}
	return reps[0], nil
}

// sortRows orders rows by region, department name and the catalogue's
// kind order (by code).
func sortRows(rows []Row) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		if a.DeptName != b.DeptName {
			return a.DeptName < b.DeptName
		}
		return a.Kind < b.Kind
	})
}

// OpenReturn is an open return with where its deadline stands.
type OpenReturn struct {
	store.Return
	Status deadline.Status
	Timer  deadline.Timer
	// EscalatedTo is the organisation an overdue return has gone up to
	// (Status.Level levels above its department), when the department is
	// in the tree.
	EscalatedTo *auth.Org
}

// OpenReturns lists the open returns of the scope's departments created in
// [from, to) (zero: unbounded), with their deadline status now.
func (s *Service) OpenReturns(ctx context.Context, scope auth.Org, from, to time.Time) ([]OpenReturn, error) {
	ds, err := s.deptsOf(ctx, scope)
	if err != nil {
		return nil, err
	}
	f := store.ReturnFilter{States: []store.ReturnState{store.ReturnOpen}, From: from, To: to, Limit: 5000}
	if !ds.root {
		f.Depts = slices.Sorted(maps.Keys(ds.byUSCC))
	}
	var out []OpenReturn
	for {
		page, err := s.Store.ListReturns(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			o, err := s.status(ctx, r, ds)
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		}
		if len(page) < f.Limit {
			return out, nil
		}
		f.AfterID = page[len(page)-1].ID
	}
}

// Status tells where a return stands: its timer (step return.fix from
// its receipt) and, for an overdue one, the organisation it is escalated
// to.
func (s *Service) Status(ctx context.Context, r store.Return) (OpenReturn, error) {
	all, err := s.Store.ListOrgs(ctx, "")
	if err != nil {
		return OpenReturn{}, err
	}
	root := auth.Org{}
	for _, o := range all {
		if o.Kind == auth.Operator {
			root = o
		}
	}
	ds, err := s.deptsOf(ctx, root)
	if err != nil {
		return OpenReturn{}, err
	}
	return s.status(ctx, r, ds)
}

func (s *Service) status(ctx context.Context, r store.Return, ds depts) (OpenReturn, error) {
	t, err := s.Clock.Start(ReturnStep, r.CreatedAt)
	if err != nil {
		return OpenReturn{}, err
	}
	if r.State != store.ReturnOpen {
		t.Done = r.ClosedAt
	}
	o := OpenReturn{Return: r, Timer: t, Status: s.Clock.Status(t, s.now())}
	if o.Status.Level > 0 {
		if d, ok := ds.byUSCC[r.Dept]; ok {
			up, err := ancestor(ctx, s.Store, d, o.Status.Level)
			if err != nil {
				return OpenReturn{}, err
			}
			o.EscalatedTo = &up
		}
	}
	return o, nil
}

// ancestor is the organisation n levels above o, or the root when the
// tree is not that deep.
func ancestor(ctx context.Context, st store.Store, o auth.Org, n int) (auth.Org, error) {
	for ; n > 0 && o.ParentID != 0; n-- {
		p, err := st.GetOrg(ctx, o.ParentID)
		if err != nil {
			return auth.Org{}, err
		}
		o = p
	}
	return o, nil
}

// KindCodes lists the catalogue's kinds as "code name" for messages.
func (s *Service) KindCodes() string {
	var b []string
	for _, k := range s.Catalog.Kinds() {
		b = append(b, k.Code+" "+k.Name)
	}
	return strings.Join(b, "、")
}
