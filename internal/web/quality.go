package web

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/ledger"
	"github.com/xinyong/xinyong/internal/store"
)

// The reporting ledger (报送台账) and the quality of what departments
// report (双公示 quality): a department declares what it is expected to
// report, or uploads its decision register; the credit office of a
// region, and each department, read 上报率, 合格率, 及时率, 迟报, 漏报, 瞒报
// and the returns per department, region and month, as charts and the
// monthly progress table, and drill down to the records behind a number.

// maxRegisterUpload bounds an uploaded decision register.
const maxRegisterUpload = 16 << 20

func (s *Server) registerQuality(mux *http.ServeMux) {
	mux.HandleFunc("GET /quality", s.qualityPage)
	mux.HandleFunc("GET /quality/detail", s.qualityDetail)
	mux.HandleFunc("GET /quality/table.xlsx", s.qualityTable)
	mux.HandleFunc("GET /quality/table.csv", s.qualityTable)
	mux.HandleFunc("GET /ledger", s.ledgerPage)
	mux.HandleFunc("POST /ledger/plan", s.ledgerPlan)
	mux.HandleFunc("POST /ledger/register", s.ledgerRegister)
	s.registerQualityAPI()
}

// qualityScope returns the organisation whose figures p asks for (query
// org, default p's own) after checking quality.read over it.
func (s *Server) qualityScope(ctx context.Context, p auth.Principal, orgID string) (auth.Org, error) {
	org := p.Org
	if orgID != "" {
		id, err := strconv.ParseInt(orgID, 10, 64)
		if err != nil {
			return org, fault.New(fault.Invalid, "机构编号无效", fault.Field{Field: "org", Reason: "应为数字"})
		}
		if org, err = s.opts.Store.GetOrg(ctx, id); err != nil {
			return org, err
		}
	}
	if org.ID == 0 {
		return org, fault.New(fault.Refused, "只有机构的工作人员可以查看报送质量")
	}
	if d := s.decide(p, auth.QualityRead, auth.Resource{OrgPath: org.Path}); !d.Allow {
		return org, fault.New(fault.Refused, "无权查看“"+org.Name+"”的报送质量："+d.Reason)
	}
	return org, nil
}

// monthParam is the month asked for, by default the current one (China).
func (s *Server) monthParam(v string) (string, error) {
	if v == "" {
		return calendar.FromTime(s.ledgerNow()).String()[:7], nil
	}
	if _, err := ledger.ParseMonth(v); err != nil {
		return "", err
	}
	return v, nil
}

func (s *Server) ledgerNow() time.Time {
	if s.opts.Ledger != nil && s.opts.Ledger.Now != nil {
		return s.opts.Ledger.Now()
	}
	return time.Now()
}

// rateValue is a rate for the API: nil when not defined.
func rateValue(r ledger.Rate) *float64 {
	if !r.Defined() {
		return nil
	}
	v := r.Value()
	return &v
}

// chartRate is a rate for a chart: NaN (a gap) when not defined.
func chartRate(r ledger.Rate) float64 {
	if !r.Defined() {
		return math.NaN()
	}
	return r.Value()
}

// ranked is a department's place in the month's ranking.
type ranked struct {
	Place                int
	Name                 string
	Report, Timely, Pass ledger.Rate
	Missing, Concealed   int
}

// ranking orders the departments of a report by 上报率, then 及时率, then
// 合格率 (undefined rates last), fewer 漏报 and 瞒报 first at equal rates.
func ranking(rep ledger.Report) []ranked {
	by := map[string]*ledger.Row{}
	var order []string
	for _, r := range rep.Rows {
		t, ok := by[r.Dept]
		if !ok {
			c := r
			by[r.Dept] = &c
			order = append(order, r.Dept)
			continue
		}
		t.Expected += r.Expected
		t.Reported += r.Reported
		t.OnTime += r.OnTime
		t.Late += r.Late
		t.Received += r.Received
		t.Rejected += r.Rejected
		t.Missing += r.Missing
		t.Concealed += r.Concealed
	}
	out := make([]ranked, 0, len(order))
	for _, d := range order {
		r := by[d]
		out = append(out, ranked{Name: r.DeptName, Report: ledger.Rate{Num: r.Reported, Den: r.Expected}, Timely: r.TimelyRate(),
			Pass: r.PassRate(), Missing: r.Missing, Concealed: r.Concealed})
	}
	less := func(a, b ledger.Rate) int {
		switch {
		case a.Defined() && !b.Defined():
			return -1
		case !a.Defined() && b.Defined():
			return 1
		case a.Value() > b.Value():
			return -1
		case a.Value() < b.Value():
			return 1
		}
		return 0
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		for _, c := range []int{less(a.Report, b.Report), less(a.Timely, b.Timely), less(a.Pass, b.Pass)} {
			if c != 0 {
				return c < 0
			}
		}
		return a.Missing+a.Concealed < b.Missing+b.Concealed
	})
	for i := range out {
		out[i].Place = i + 1
	}
	return out
}

// tableLine is a line of the monthly table on the page, with the links
// of the numbers a department's line drills down to.
type tableLine struct {
	Cells []string
	Links map[int]string // column index → the detail page
}

// drillColumns are the table's columns that drill down, by what they list.
var drillColumns = map[int]string{6: "reported", 8: "on_time", 9: "late", 11: "missing", 12: "concealed", 14: "returned", 17: "open"}

func (s *Server) tableLines(rep ledger.Report, org auth.Org) []tableLine {
	var out []tableLine
	for _, l := range rep.Lines() {
		tl := tableLine{Cells: l.Cells}
		if l.Row != nil {
			tl.Links = map[int]string{}
			for col, what := range drillColumns {
				if l.Cells[col] != "0" && l.Cells[col] != "" {
					q := url.Values{"month": {rep.Month}, "dept": {l.Row.Dept}, "kind": {l.Row.Kind}, "what": {what},
						"org": {strconv.FormatInt(org.ID, 10)}}
					tl.Links[col] = "/quality/detail?" + q.Encode()
				}
			}
		}
		out = append(out, tl)
	}
	return out
}

func (s *Server) qualityPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if s.opts.Ledger == nil {
		s.render(w, r, http.StatusServiceUnavailable, "error", "报送质量", "报送质量统计未配置。")
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	org, err := s.qualityScope(ctx, p, q.Get("org"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	month, err := s.monthParam(q.Get("month"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	months, _ := ledger.Months(month, 12)
	reps, err := s.opts.Ledger.Range(ctx, org, months[0], month)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	rep := reps[len(reps)-1]
	labels := make([]string, len(reps))
	rates := []chartSeries{{Name: "上报率"}, {Name: "及时率"}, {Name: "合格率"}}
	for i, m := range reps {
		labels[i] = m.Month[2:4] + "/" + m.Month[5:]
		rates[0].Values = append(rates[0].Values, chartRate(m.Total.ReportRate()))
		rates[1].Values = append(rates[1].Values, chartRate(m.Total.TimelyRate()))
		rates[2].Values = append(rates[2].Values, chartRate(m.Total.PassRate()))
	}
	prev, _ := ledger.Months(month, 2)
	next := ""
	if n, _ := ledger.ParseMonth(month); n.AddMonths(1).String()[:7] <= calendar.FromTime(s.ledgerNow()).String()[:7] {
		next = n.AddMonths(1).String()[:7]
	}
	// The regions and departments right below the scope, to look into.
	children, err := s.opts.Store.ListOrgs(ctx, org.Path)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var below []auth.Org
	for _, o := range children {
		if o.ParentID == org.ID && !o.Disabled {
			below = append(below, o)
		}
	}
	var escalated int
	open, err := s.opts.Ledger.OpenReturns(ctx, org, time.Time{}, time.Time{})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	for _, o := range open {
		if o.EscalatedTo != nil && o.EscalatedTo.ID == org.ID {
			escalated++
		}
	}
	orgQ := url.Values{"month": {month}, "org": {strconv.FormatInt(org.ID, 10)}}.Encode()
	s.render(w, r, http.StatusOK, "quality", "报送质量", map[string]any{
		"Org": org, "Month": month, "MonthLabel": ledger.MonthLabel(month), "Prev": prev[0], "Next": next, "Rep": rep,
		"Chart":   lineChart(org.Name+"近12个月上报率、及时率、合格率", labels, rates, 0, 1, percent),
		"Ranking": ranking(rep), "Lines": s.tableLines(rep, org), "Header": ledger.TableHeader, "Title": ledger.TableTitle,
		"Caption": rep.Caption(), "Below": below, "Query": orgQ, "Escalated": escalated, "Open": len(open),
		"LedgerLink": s.decide(p, auth.LedgerManage, auth.Resource{OrgPath: org.Path}).Allow,
	})
}

// qualityTable serves the monthly progress table as XLSX or CSV.
func (s *Server) qualityTable(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if s.opts.Ledger == nil {
		s.notFound(w, r)
		return
	}
	q := r.URL.Query()
	org, err := s.qualityScope(r.Context(), p, q.Get("org"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	month, err := s.monthParam(q.Get("month"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	rep, err := s.opts.Ledger.Month(r.Context(), org, month)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	xlsx := strings.HasSuffix(r.URL.Path, ".xlsx")
	name := org.Name + ledger.MonthLabel(month) + ledger.TableTitle
	var write func(io.Writer) error
	if xlsx {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		name += ".xlsx"
		write = rep.WriteXLSX
	} else {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		name += ".csv"
		write = rep.WriteCSV
	}
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	if err := write(w); err != nil {
		noteError(r.Context(), err)
	}
}

// detailItem is a line of a drill-down: a record, a register entry or a
// return.
type detailItem struct {
	Ref, DecisionNo, DecisionDate, Subject, Note string
	Link                                         string
}

// qualityDetail lists what one number of a department's line counts.
func (s *Server) qualityDetail(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if s.opts.Ledger == nil || s.opts.Portal == nil {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	org, err := s.qualityScope(ctx, p, q.Get("org"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	month, err := s.monthParam(q.Get("month"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	dept, kindCode, what := q.Get("dept"), q.Get("kind"), q.Get("what")
	k, ok := s.opts.Ledger.Catalog.Kind(kindCode)
	if !ok {
		s.notFound(w, r)
		return
	}
	res, err := s.deptResource(ctx, dept)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if !strings.HasPrefix(res.OrgPath, org.Path) {
		s.notFound(w, r)
		return
	}
	first, _ := ledger.ParseMonth(month)
	last := first.AddMonths(1).AddDays(-1)
	var items []detailItem
	title := ""
	switch what {
	case "reported", "on_time", "late":
		title = map[string]string{"reported": "已报送", "on_time": "及时报送", "late": "迟报"}[what]
		recs, err := s.opts.Store.LatestRecords(ctx, store.RecordFilter{Kind: kindCode, Dept: dept, From: first.String(), To: last.String(),
			OnlyLate: what == "late", Persons: true, Limit: 1000})
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		for _, rec := range recs {
			if what == "on_time" && rec.Late {
				continue
			}
			it := detailItem{DecisionNo: rec.DecisionNo, DecisionDate: rec.DecisionDate, Subject: rec.Subject.Name,
				Note: "接收于 " + rec.FirstReceived.In(calendar.Location()).Format("2006-01-02") + "，" + strconv.Itoa(rec.WorkingDays) + "个工作日"}
			if rec.Subject.Class == "person" {
				it.Subject = "（自然人）"
			}
			it.Link = "/records/" + s.opts.Portal.RecordRef(rec.ID)
			items = append(items, it)
		}
	case "missing", "pending":
		title = map[string]string{"missing": "漏报（决定台账中逾期未报送）", "pending": "待报送（未到期）"}[what]
		entries, err := s.opts.Store.RegisterEntries(ctx, dept, kindCode, first.String(), last.String())
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		today := calendar.FromTime(s.ledgerNow())
		for _, e := range entries {
			d, _ := calendar.ParseDate(e.DecisionDate)
			if e.Reported != 0 || k.Overdue(d, today, s.opts.Ledger.Calendar) != (what == "missing") {
				continue
			}
			items = append(items, detailItem{DecisionNo: e.DecisionNo, DecisionDate: e.DecisionDate, Note: "决定台账中有、平台未收到"})
		}
	case "concealed":
		title = "瞒报（他人报送、本单位未报送的本单位决定）"
		fr, err := s.opts.Store.ForeignRecords(ctx, first.String(), last.String(), []string{dept})
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		names := s.orgNames(ctx)
		for _, f := range fr {
			if f.Own != 0 || f.Kind != kindCode {
				continue
			}
			items = append(items, detailItem{DecisionNo: f.DecisionNo, DecisionDate: f.DecisionDate, Note: "由" + names.of(f.SourceDept) + "报送",
				Link: "/records/" + s.opts.Portal.RecordRef(f.RecordID)})
		}
	case "returned", "open":
		title = map[string]string{"returned": "退回", "open": "退回待补正"}[what]
		f := store.ReturnFilter{Depts: []string{dept}, Kind: kindCode, From: first.Time(), To: last.AddDays(1).Time(), Limit: 1000}
		if what == "open" {
			f.States = []store.ReturnState{store.ReturnOpen}
		}
		list, err := s.opts.Store.ListReturns(ctx, f)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		for _, rt := range list {
			var reasons []string
			for _, e := range rt.Reasons {
				reasons = append(reasons, e.Field+"："+e.Reason)
			}
			items = append(items, detailItem{DecisionNo: rt.DecisionNo, Note: rt.State.Label() + "；" + strings.Join(reasons, "；"),
				Link: "/returns/" + strconv.FormatInt(rt.ID, 10)})
		}
	default:
		s.notFound(w, r)
		return
	}
	s.render(w, r, http.StatusOK, "qualitydetail", "报送质量明细", map[string]any{"Items": items, "What": title, "Kind": k,
		"Dept": s.orgNames(ctx).of(dept), "MonthLabel": ledger.MonthLabel(month),
		"Back": "/quality?" + url.Values{"month": {month}, "org": {strconv.FormatInt(org.ID, 10)}}.Encode()})
}

// ---- the ledger's plans and registers

// ledgerDepts are the departments p keeps the ledger of: its own, or
// those below its organisation.
func (s *Server) ledgerDepts(ctx context.Context, p auth.Principal) ([]auth.Org, error) {
	if d := s.decide(p, auth.LedgerManage, auth.Resource{OrgPath: p.Org.Path}); !d.Allow {
		return nil, fault.New(fault.Refused, "无权维护报送台账："+d.Reason)
	}
	orgs, err := s.opts.Store.ListOrgs(ctx, p.Org.Path)
	if err != nil {
		return nil, err
	}
	var out []auth.Org
	for _, o := range orgs {
		if o.Kind == auth.Dept && o.USCC != "" {
			out = append(out, o)
		}
	}
	return out, nil
}

func (s *Server) ledgerPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	s.renderLedger(w, r, p, http.StatusOK, "", "")
}

func (s *Server) renderLedger(w http.ResponseWriter, r *http.Request, p auth.Principal, status int, msg, done string) {
	if s.opts.Ledger == nil {
		s.render(w, r, http.StatusServiceUnavailable, "error", "报送台账", "报送台账未配置。")
		return
	}
	ctx := r.Context()
	depts, err := s.ledgerDepts(ctx, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	usccs := make([]string, len(depts))
	for i, d := range depts {
		usccs[i] = d.USCC
	}
	plans, err := s.opts.Store.LedgerPlans(ctx, usccs)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	names := s.orgNames(ctx)
	type planRow struct {
		store.LedgerPlan
		DeptName, KindName string
	}
	var rows []planRow
	for _, pl := range plans {
		kn := pl.Kind
		if k, ok := s.opts.Ledger.Catalog.Kind(pl.Kind); ok {
			kn = k.Name
		}
		rows = append(rows, planRow{LedgerPlan: pl, DeptName: names.of(pl.Dept), KindName: kn})
	}
	s.render(w, r, status, "ledger", "报送台账", map[string]any{"Depts": depts, "Plans": rows, "Kinds": s.opts.Ledger.Catalog.Kinds(),
		"Error": msg, "Done": done, "Month": calendar.FromTime(s.ledgerNow()).String()[:7]})
}

// ledgerDept finds the department a ledger form names (by USCC), which
// must be one p keeps the ledger of.
func (s *Server) ledgerDept(ctx context.Context, p auth.Principal, uscc string) (auth.Org, error) {
	depts, err := s.ledgerDepts(ctx, p)
	if err != nil {
		return auth.Org{}, err
	}
	for _, d := range depts {
		if d.USCC == uscc {
			return d, nil
		}
	}
	return auth.Org{}, fault.New(fault.Invalid, "请选择本单位或下级的部门", fault.Field{Field: "dept", Reason: "不在本单位范围内"})
}

func (s *Server) ledgerPlan(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	if s.opts.Ledger == nil {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	fail := func(err error) {
		if fault.KindOf(err) == fault.Invalid {
			s.renderLedger(w, r, p, statusOf(fault.Invalid), fault.Message(err), "")
			return
		}
		s.pageError(w, r, err)
	}
	dept, err := s.ledgerDept(ctx, p, r.PostFormValue("dept"))
	if err != nil {
		fail(err)
		return
	}
	k, ok := s.opts.Ledger.Catalog.Kind(r.PostFormValue("kind"))
	if !ok {
		fail(fault.New(fault.Invalid, "请选择信息类别"))
		return
	}
	e := auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: auth.AuditLedger}
	if r.PostFormValue("delete") != "" {
		e.Outcome, e.Detail = "delete", "删除"+dept.Name+k.Name+"台账"
		if err := s.opts.Store.DeleteLedgerPlan(ctx, dept.USCC, k.Code, e); err != nil {
			fail(err)
			return
		}
		s.renderLedger(w, r, p, http.StatusOK, "", "已删除"+dept.Name+"的"+k.Name+"台账。")
		return
	}
	plan, err := planOf(dept, k, r.PostFormValue("mode"), r.PostFormValue("volume"), r.PostFormValue("from"), r.PostFormValue("source"))
	if err != nil {
		fail(err)
		return
	}
	plan.UpdatedBy = p.String()
	e.Outcome, e.Detail = "plan", dept.Name+k.Name+"："+map[store.PlanMode]string{store.PlanVolume: "每月" + strconv.Itoa(plan.Volume) + "件", store.PlanRegister: "按决定台账"}[plan.Mode]+"，自"+plan.FromMonth
	if err := s.opts.Store.PutLedgerPlan(ctx, plan, e); err != nil {
		fail(err)
		return
	}
	s.renderLedger(w, r, p, http.StatusOK, "", "已保存"+dept.Name+"的"+k.Name+"台账。")
}

// planOf checks a plan as a form or the API gives it.
func planOf(dept auth.Org, k *catalog.Kind, mode, volume, from, source string) (store.LedgerPlan, error) {
	pl := store.LedgerPlan{Dept: dept.USCC, Kind: k.Code, Mode: store.PlanMode(mode), FromMonth: strings.TrimSpace(from), Source: strings.TrimSpace(source)}
	switch pl.Mode {
	case store.PlanVolume:
		n, err := strconv.Atoi(strings.TrimSpace(volume))
		if err != nil || n < 1 || n > 1000000 {
			return pl, fault.New(fault.Invalid, "每月应报数量应为1至1000000的整数", fault.Field{Field: "volume", Reason: "应为正整数"})
		}
		pl.Volume = n
	case store.PlanRegister:
	default:
		return pl, fault.New(fault.Invalid, "请选择台账方式：申报每月数量，或按决定台账", fault.Field{Field: "mode", Reason: "应为volume或register"})
	}
	if _, err := ledger.ParseMonth(pl.FromMonth); err != nil {
		return pl, fault.New(fault.Invalid, "起始月份应为YYYY-MM", fault.Field{Field: "from", Reason: "应为YYYY-MM"})
	}
	if n := len([]rune(pl.Source)); n > 200 {
		return pl, fault.Newf(fault.Invalid, "数据来源说明最多200字，现有%d字", n)
	}
	return pl, nil
}

// registerColumns are the decision register's columns, by the names a
// department's export may give them.
var registerColumns = map[string][]string{
	"decision_no":   {"决定文书号", "决定书文号", "行政处罚决定书文号", "行政许可决定文书号", "文书号", "文号", "decision_no"},
	"decision_date": {"决定日期", "处罚决定日期", "许可决定日期", "作出决定日期", "decision_date"},
}

// readRegister reads a decision register: a CSV (UTF-8 or GBK) or XLSX
// with a 决定文书号 and a 决定日期 column; every bad row is reported.
func readRegister(rd io.Reader) ([]store.RegisterEntry, []string, error) {
	t, err := ingest.NewTable(rd)
	if err != nil {
		return nil, nil, err
	}
	defer t.Close()
	col := map[string]int{}
	for j, h := range t.Header() {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		for key, names := range registerColumns {
			for _, n := range names {
				if h == n {
					if _, dup := col[key]; !dup {
						col[key] = j
					}
				}
			}
		}
	}
	if _, ok := col["decision_no"]; !ok {
		return nil, nil, fault.New(fault.Invalid, "决定台账缺少“决定文书号”列")
	}
	if _, ok := col["decision_date"]; !ok {
		return nil, nil, fault.New(fault.Invalid, "决定台账缺少“决定日期”列")
	}
	var out []store.RegisterEntry
	var problems []string
	seen := map[string]bool{}
	for {
		row, n, err := t.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			problems = append(problems, "第"+strconv.Itoa(n)+"行："+err.Error())
			continue
		}
		cell := func(key string) string {
			if j := col[key]; j < len(row) {
				return strings.TrimSpace(row[j])
			}
			return ""
		}
		if catalog.IsBlankRow(row) {
			continue
		}
		no, date := cell("decision_no"), cell("decision_date")
		d, dateOK := catalog.ParseDate(date)
		switch {
		case no == "":
			problems = append(problems, "第"+strconv.Itoa(n)+"行：决定文书号为空")
		case len([]rune(no)) > 128:
			problems = append(problems, "第"+strconv.Itoa(n)+"行：决定文书号超过128个字符")
		case !dateOK:
			problems = append(problems, "第"+strconv.Itoa(n)+"行：决定日期“"+date+"”无效")
		case seen[no]:
			problems = append(problems, "第"+strconv.Itoa(n)+"行：决定文书号“"+no+"”重复")
		default:
			seen[no] = true
			out = append(out, store.RegisterEntry{DecisionNo: no, DecisionDate: d.String()})
		}
		if len(problems) > 100 {
			break
		}
	}
	return out, problems, nil
}

func (s *Server) ledgerRegister(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if s.opts.Ledger == nil {
		s.notFound(w, r)
		return
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			s.tooLarge(w, r, mbe.Limit)
			return
		}
		s.renderLedger(w, r, p, http.StatusBadRequest, "未能读取上传的文件，请重试。", "")
		return
	}
	defer r.MultipartForm.RemoveAll()
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	ctx := r.Context()
	dept, err := s.ledgerDept(ctx, p, r.FormValue("dept"))
	if err != nil {
		s.renderLedger(w, r, p, statusOf(fault.KindOf(err)), fault.Message(err), "")
		return
	}
	k, ok := s.opts.Ledger.Catalog.Kind(r.FormValue("kind"))
	if !ok {
		s.renderLedger(w, r, p, statusOf(fault.Invalid), "请选择信息类别", "")
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		s.renderLedger(w, r, p, statusOf(fault.Invalid), "请选择决定台账文件（CSV或XLSX）", "")
		return
	}
	defer f.Close()
	entries, problems, err := readRegister(f)
	if err == nil && len(problems) > 0 {
		err = fault.New(fault.Invalid, "决定台账有误，未导入："+strings.Join(problems, "；"))
	}
	if err == nil && len(entries) == 0 {
		err = fault.New(fault.Invalid, "决定台账中没有决定")
	}
	if err != nil {
		s.renderLedger(w, r, p, statusOf(fault.Invalid), fault.Message(err), "")
		return
	}
	added, err := s.opts.Store.PutRegister(ctx, dept.USCC, k.Code, entries, auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID,
		Action: auth.AuditLedger, Outcome: "register", Detail: dept.Name + k.Name + "决定台账：" + strconv.Itoa(len(entries)) + "条"})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderLedger(w, r, p, http.StatusOK, "", "已导入"+dept.Name+"的"+k.Name+"决定台账："+strconv.Itoa(len(entries))+"条（新增"+strconv.Itoa(added)+"条）。")
}

// ---- API

// QualityInput filters GET /api/v1/stats/quality.
type QualityInput struct {
	Month  string `query:"month" pattern:"^([0-9]{4}-[0-9]{2})?$" doc:"The month (YYYY-MM, China); default the current one."`
	Months int    `query:"months" minimum:"1" maximum:"36" default:"1" doc:"How many months, ending with month."`
	Org    int64  `query:"org" minimum:"0" doc:"The organisation (default the caller's): its departments and those below it."`
}

// QualityRate is an exact rate.
type QualityRate struct {
	Num   int      `json:"num"`
	Den   int      `json:"den"`
	Value *float64 `json:"value" doc:"num/den; null when den is 0 (nothing to count)."`
}

func qualityRate(r ledger.Rate) QualityRate {
	return QualityRate{Num: r.Num, Den: r.Den, Value: rateValue(r)}
}

// QualityFigures are the figures of a department's kind, a region or a
// total.
type QualityFigures struct {
	Expected   int         `json:"expected" doc:"应报: decisions of the register, or the declared volume."`
	Reported   int         `json:"reported" doc:"已报: of those, reported."`
	OnTime     int         `json:"on_time" doc:"Records of the month's decisions received on time."`
	Late       int         `json:"late" doc:"迟报: received late."`
	Missing    int         `json:"missing" doc:"漏报: register decisions past their deadline and never reported."`
	Pending    int         `json:"pending" doc:"Register decisions not reported, not yet due."`
	Concealed  int         `json:"concealed" doc:"瞒报: decisions of the department reported by someone else, never by it."`
	Received   int         `json:"received" doc:"Records first received that month."`
	Rejected   int         `json:"rejected" doc:"Rows returned that month."`
	Fixed      int         `json:"fixed" doc:"Of those, fixed since by a valid version."`
	Open       int         `json:"open" doc:"Of those, still open."`
	Overdue    int         `json:"overdue" doc:"Of those, open past their due day."`
	ReportRate QualityRate `json:"report_rate" doc:"上报率 = reported / expected."`
	TimelyRate QualityRate `json:"timely_rate" doc:"及时率 = on_time / (on_time + late)."`
	PassRate   QualityRate `json:"pass_rate" doc:"合格率 = received / (received + rejected)."`
}

func figures(r ledger.Row) QualityFigures {
	return QualityFigures{Expected: r.Expected, Reported: r.Reported, OnTime: r.OnTime, Late: r.Late, Missing: r.Missing, Pending: r.Pending,
		Concealed: r.Concealed, Received: r.Received, Rejected: r.Rejected, Fixed: r.Fixed, Open: r.Open, Overdue: r.Overdue,
		ReportRate: qualityRate(r.ReportRate()), TimelyRate: qualityRate(r.TimelyRate()), PassRate: qualityRate(r.PassRate())}
}

// QualityRow is a department's figures for a kind.
type QualityRow struct {
	Dept     string `json:"dept"`
	DeptName string `json:"dept_name"`
	Region   string `json:"region"`
	Kind     string `json:"kind"`
	Mode     string `json:"mode" enum:"volume,register,none"`
	NoUpdate bool   `json:"no_update" doc:"A monthly kind with a plan and no record received or changed that month."`
	QualityFigures
}

// QualityRegion is a region's total.
type QualityRegion struct {
	Name string `json:"name"`
	QualityFigures
}

// QualityMonth is one month's figures.
type QualityMonth struct {
	Month   string          `json:"month"`
	Rows    []QualityRow    `json:"rows"`
	Regions []QualityRegion `json:"regions"`
	Total   QualityFigures  `json:"total"`
}

// QualityOutput is the answer to GET /api/v1/stats/quality.
type QualityOutput struct {
	Body struct {
		Org    string         `json:"org"`
		Months []QualityMonth `json:"months"`
	}
}

func (s *Server) registerQualityAPI() {
	huma.Register(s.api, huma.Operation{
		OperationID: "get-quality-stats",
		Method:      "GET",
		Path:        "/api/v1/stats/quality",
		Summary:     "Reporting quality per department, region and month (双公示 quality)",
		Description: "The reporting ledger's figures: per department and kind, 上报率 (reported of expected, by month of decision, from the department's declared volume or decision register), 及时率 (on time within 7 working days for 行政许可/行政处罚, by the end of the next month for monthly kinds), 迟报, 漏报 (in the register, never reported), 瞒报 (reported by another, never by the department), 合格率 (records first filed of the rows received, by month of receipt), the returns and their fixes, and no update this month; with region and overall totals. Rates are exact fractions. Requires an API key with the quality:read scope or a signed-in clerk or credit office member; the figures are those of the caller's organisation and below.",
		Tags:        []string{"intake"},
		Security:    secSignedIn,
		Errors:      with(errsQuery, http.StatusForbidden, http.StatusNotFound),
	}, func(ctx context.Context, in *QualityInput) (*QualityOutput, error) {
		if s.opts.Ledger == nil {
			return nil, fault.New(fault.Unavailable, "报送质量统计未配置")
		}
		p := principalFrom(ctx)
		org := ""
		if in.Org != 0 {
			org = strconv.FormatInt(in.Org, 10)
		}
		scope, err := s.qualityScope(ctx, p, org)
		if err != nil {
			return nil, err
		}
		month, err := s.monthParam(in.Month)
		if err != nil {
			return nil, err
		}
		months, _ := ledger.Months(month, max(in.Months, 1))
		reps, err := s.opts.Ledger.Range(ctx, scope, months[0], month)
		if err != nil {
			return nil, err
		}
		out := &QualityOutput{}
		out.Body.Org = scope.Name
		for _, rep := range reps {
			m := QualityMonth{Month: rep.Month, Rows: []QualityRow{}, Regions: []QualityRegion{}, Total: figures(rep.Total.Row)}
			for _, r := range rep.Rows {
				mode := string(r.Mode)
				if mode == "" {
					mode = "none"
				}
				m.Rows = append(m.Rows, QualityRow{Dept: r.Dept, DeptName: r.DeptName, Region: r.Region, Kind: r.Kind, Mode: mode,
					NoUpdate: r.NoUpdate, QualityFigures: figures(r)})
			}
			for _, t := range rep.Regions {
				m.Regions = append(m.Regions, QualityRegion{Name: t.Name, QualityFigures: figures(t.Row)})
			}
			out.Body.Months = append(out.Body.Months, m)
		}
		return out, nil
	})
}
