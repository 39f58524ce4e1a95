package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/ledger"
	"github.com/xinyong/xinyong/internal/store"
)

// Returns (退回): the rows intake rejected, in the queue of the department
// they go back to, with reminders and escalation on the working-day
// deadline of step return.fix; the credit office above sees those of its
// departments and the ones escalated to it.

func (s *Server) registerReturns(mux *http.ServeMux) {
	mux.HandleFunc("GET /returns", s.returnsPage)
	mux.HandleFunc("GET /returns/{id}", s.returnPage)
	mux.HandleFunc("POST /returns/{id}/withdraw", s.withdrawReturnPage)
	s.registerReturnsAPI()
}

// returnsScope checks p may see returns of its organisation and below:
// the department's clerk (return.manage) or a credit office
// (quality.read).
func (s *Server) returnsScope(p auth.Principal) (auth.Decision, bool) {
	own := auth.Resource{OrgPath: p.Org.Path}
	if d := s.decide(p, auth.ReturnManage, own); d.Allow {
		return d, true
	}
	d := s.decide(p, auth.QualityRead, own)
	return d, false
}

// returnRow is a return in a queue.
type returnRow struct {
	ledger.OpenReturn
	KindName, DeptName string
	Received           string
	Due                string
	ToHere             bool // escalated to the viewer's organisation
}

func (s *Server) returnRowOf(ctx context.Context, o ledger.OpenReturn, names orgNamer, p auth.Principal) returnRow {
	row := returnRow{OpenReturn: o, KindName: o.Kind, DeptName: o.Dept,
		Received: o.CreatedAt.In(calendar.Location()).Format("2006-01-02 15:04"), Due: o.Timer.Due.String()}
	if k, ok := s.opts.Importer.Catalog.Kind(o.Kind); ok {
		row.KindName = k.Name
	}
	if o.Dept == "" {
		row.DeptName = "（未识别的报送单位）"
	} else {
		row.DeptName = names.of(o.Dept)
	}
	if o.Timer.Provisional {
		row.Due += "（暂定）"
	}
	row.ToHere = o.EscalatedTo != nil && o.EscalatedTo.ID == p.Org.ID
	return row
}

func (s *Server) returnsPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if s.opts.Ledger == nil || s.opts.Importer == nil {
		s.render(w, r, http.StatusServiceUnavailable, "error", "退回信息", "退回信息未配置。")
		return
	}
	d, manage := s.returnsScope(p)
	if !d.Allow {
		s.forbidden(w, r, d)
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	all := q.Get("state") == "all"
	var list []ledger.OpenReturn
	var err error
	if all {
		list, err = s.closedAndOpen(ctx, p)
	} else {
		list, err = s.opts.Ledger.OpenReturns(ctx, p.Org, time.Time{}, time.Time{})
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	names := s.orgNames(ctx)
	rows := make([]returnRow, 0, len(list))
	var due dueSummary
	for _, o := range list {
		if k := q.Get("kind"); k != "" && o.Kind != k {
			continue
		}
		if q.Get("overdue") != "" && o.Status.State != deadline.Overdue {
			continue
		}
		row := s.returnRowOf(ctx, o, names, p)
		rows = append(rows, row)
		if o.State == store.ReturnOpen {
			switch o.Status.State {
			case deadline.DueSoon:
				due.DueSoon++
			case deadline.Overdue:
				due.Overdue++
				if row.ToHere || o.Status.Level > 1 {
					due.Escalated++
				}
			}
		}
	}
	s.render(w, r, http.StatusOK, "returns", "退回信息", map[string]any{"Rows": rows, "Due": due, "All": all, "Manage": manage,
		"Kinds": s.opts.Importer.Catalog.Kinds(), "Kind": q.Get("kind"), "Overdue": q.Get("overdue") != ""})
}

// closedAndOpen lists the latest returns of p's scope in every state.
func (s *Server) closedAndOpen(ctx context.Context, p auth.Principal) ([]ledger.OpenReturn, error) {
	f := store.ReturnFilter{Limit: 500, From: time.Now().AddDate(0, -3, 0)}
	if depts, root, err := s.scopeDepts(ctx, p.Org); err != nil {
		return nil, err
	} else if !root {
		f.Depts = depts
	}
	list, err := s.opts.Store.ListReturns(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]ledger.OpenReturn, 0, len(list))
	for _, rt := range list {
		o, err := s.opts.Ledger.Status(ctx, rt)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// scopeDepts lists the USCCs of the departments in org's subtree; root
// reports the operator's scope (every department, in the tree or not).
func (s *Server) scopeDepts(ctx context.Context, org auth.Org) ([]string, bool, error) {
	if org.Kind == auth.Operator {
		return nil, true, nil
	}
	orgs, err := s.opts.Store.ListOrgs(ctx, org.Path)
	if err != nil {
		return nil, false, err
	}
	out := []string{}
	for _, o := range orgs {
		if o.Kind == auth.Dept && o.USCC != "" {
			out = append(out, o.USCC)
		}
	}
	return out, false, nil
}

// returnAccess loads return id for p: the department's clerk, or a
// credit office above it; manage says whether p may act on it.
func (s *Server) returnAccess(ctx context.Context, p auth.Principal, id int64) (store.Return, bool, error) {
	rt, err := s.opts.Store.GetReturn(ctx, id)
	if err != nil {
		return rt, false, err
	}
	res, err := s.deptResource(ctx, rt.Dept)
	if err != nil {
		return rt, false, err
	}
	res.Kind = rt.Kind
	if s.decide(p, auth.ReturnManage, res).Allow {
		return rt, true, nil
	}
	if s.decide(p, auth.QualityRead, res).Allow {
		rt.Original = nil // the row as sent is the department's
		return rt, false, nil
	}
	return store.Return{}, false, fault.New(fault.NotFound, "退回信息不存在")
}

func (s *Server) returnPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if s.opts.Ledger == nil || s.opts.Importer == nil {
		s.notFound(w, r)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	s.renderReturn(w, r, p, id, http.StatusOK, "")
}

func (s *Server) renderReturn(w http.ResponseWriter, r *http.Request, p auth.Principal, id int64, status int, msg string) {
	ctx := r.Context()
	rt, manage, err := s.returnAccess(ctx, p, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	o, err := s.opts.Ledger.Status(ctx, rt)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	type cell struct{ Name, Value string }
	var cells []cell
	for i, h := range rt.Header {
		v := ""
		if i < len(rt.Masked) {
			v = rt.Masked[i]
		}
		cells = append(cells, cell{h, v})
	}
	row := s.returnRowOf(ctx, o, s.orgNames(ctx), p)
	data := map[string]any{"R": row, "Cells": cells, "Manage": manage && rt.State == store.ReturnOpen, "Error": msg,
		"State": rt.State.Label()}
	if rt.FixedRecord != 0 && s.opts.Portal != nil {
		data["FixedRef"] = s.opts.Portal.RecordRef(rt.FixedRecord)
	}
	if !rt.ClosedAt.IsZero() {
		data["Closed"] = rt.ClosedAt.In(calendar.Location()).Format("2006-01-02 15:04")
	}
	s.render(w, r, status, "return", "退回信息", data)
}

// maxWithdrawReason bounds a withdrawal's reason.
const maxWithdrawReason = 500

func (s *Server) withdrawReturnPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || s.opts.Ledger == nil {
		s.notFound(w, r)
		return
	}
	if _, err := s.withdrawReturn(r.Context(), p, id, r.PostFormValue("reason")); err != nil {
		if fault.KindOf(err) == fault.Invalid {
			s.renderReturn(w, r, p, id, statusOf(fault.Invalid), fault.Message(err))
			return
		}
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/returns/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// withdrawReturn closes return id with a reason, for p who must handle
// the department's returns (return.manage).
func (s *Server) withdrawReturn(ctx context.Context, p auth.Principal, id int64, reason string) (store.Return, error) {
	rt, manage, err := s.returnAccess(ctx, p, id)
	if err != nil {
		return rt, err
	}
	if !manage {
		return rt, fault.New(fault.Refused, "只有报送单位的数据报送员可以撤回退回信息")
	}
	reason = strings.TrimSpace(reason)
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return rt, fault.New(fault.Invalid, "请填写撤回原因（如：重复报送、已通过其他渠道补正）", fault.Field{Field: "reason", Reason: "不能为空"})
	case n > maxWithdrawReason:
		return rt, fault.Newf(fault.Invalid, "撤回原因最多%d字，现有%d字", maxWithdrawReason, n)
	}
	if why := credit.BidiReason(reason); why != "" {
		return rt, fault.New(fault.Invalid, "撤回原因"+why)
	}
	if rt.State != store.ReturnOpen {
		return rt, fault.New(fault.Conflict, "该退回信息已"+rt.State.Label()+"，不能撤回")
	}
	return s.opts.Store.WithdrawReturn(ctx, id, reason, p.String(), auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID,
		Action: auth.AuditReturn, Outcome: "withdraw", Detail: "撤回退回信息：" + reason})
}

// ---- API

// ReturnsInput filters GET /api/v1/returns.
type ReturnsInput struct {
	State string `query:"state" enum:"open,fixed,withdrawn,all" default:"open" doc:"Returns in this state (all: every state)."`
	Kind  string `query:"kind" doc:"Only this record kind."`
	Dept  string `query:"dept" maxLength:"18" doc:"Only this department (USCC), within the caller's organisation."`
	After int64  `query:"after" minimum:"0" doc:"Page on: returns with an id above this."`
	Limit int    `query:"limit" minimum:"1" maximum:"1000" default:"200" doc:"At most this many."`
}

// ReturnItem is a return as the API shows it.
type ReturnItem struct {
	ID          int64                `json:"id"`
	Batch       int64                `json:"batch" doc:"The intake batch that returned the row."`
	Row         int                  `json:"row" doc:"The row's number in its file or batch (1 = the first data row)."`
	Kind        string               `json:"kind"`
	Dept        string               `json:"dept" doc:"USCC of the department it is returned to."`
	DecisionNo  string               `json:"decision_no,omitempty"`
	State       string               `json:"state" enum:"open,fixed,withdrawn"`
	Matched     bool                 `json:"matched" doc:"Closed by the record's identity when a valid version arrives (false: by kind, department and decision number, the identity fields being wrong)."`
	Reasons     []store.ReturnReason `json:"reasons"`
	Fields      []ReturnField        `json:"fields" doc:"The row as sent, personal identifiers masked."`
	ReturnedAt  time.Time            `json:"returned_at"`
	Due         string               `json:"due" doc:"The last working day to fix it (step return.fix), YYYY-MM-DD, China."`
	Deadline    string               `json:"deadline" enum:"open,due_soon,overdue,done_on_time,done_late"`
	Level       int                  `json:"level,omitempty" doc:"How many levels up the organisation tree an overdue return is escalated."`
	EscalatedTo string               `json:"escalated_to,omitempty" doc:"The organisation it is escalated to."`
	ClosedAt    *time.Time           `json:"closed_at,omitempty"`
	FixedRecord string               `json:"fixed_record,omitempty" doc:"Reference of the record that fixed it (/records/{ref})."`
	Note        string               `json:"note,omitempty" doc:"Why it was withdrawn."`
}

// ReturnField is one cell of a returned row.
type ReturnField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ReturnsOutput is the answer to GET /api/v1/returns.
type ReturnsOutput struct {
	Body struct {
		Returns []ReturnItem `json:"returns"`
		Next    int64        `json:"next,omitempty" doc:"Pass as after for the next page (absent on the last)."`
	}
}

// WithdrawInput is POST /api/v1/returns/{id}/withdraw.
type WithdrawInput struct {
	ID   int64 `path:"id"`
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"2000" doc:"Why the row will not be sent again (at most 500 characters)."`
	}
}

// ReturnOutput is one return.
type ReturnOutput struct {
	Body ReturnItem
}

func (s *Server) returnItem(o ledger.OpenReturn) ReturnItem {
	it := ReturnItem{ID: o.ID, Batch: o.Batch, Row: o.Row, Kind: o.Kind, Dept: o.Dept, DecisionNo: o.DecisionNo, State: string(o.State),
		Matched: o.Matched, Reasons: o.Reasons, ReturnedAt: o.CreatedAt, Due: o.Timer.Due.String(), Deadline: string(o.Status.State),
		Level: o.Status.Level, Note: o.Note}
	if it.Reasons == nil {
		it.Reasons = []store.ReturnReason{}
	}
	it.Fields = []ReturnField{}
	for i, h := range o.Header {
		v := ""
		if i < len(o.Masked) {
			v = o.Masked[i]
		}
		it.Fields = append(it.Fields, ReturnField{h, v})
	}
	if o.EscalatedTo != nil {
		it.EscalatedTo = o.EscalatedTo.Name
	}
	if !o.ClosedAt.IsZero() {
		t := o.ClosedAt
		it.ClosedAt = &t
	}
	if o.FixedRecord != 0 && s.opts.Portal != nil {
		it.FixedRecord = s.opts.Portal.RecordRef(o.FixedRecord)
	}
	return it
}

func (s *Server) registerReturnsAPI() {
	huma.Register(s.api, huma.Operation{
		OperationID: "list-returns",
		Method:      "GET",
		Path:        "/api/v1/returns",
		Summary:     "Rows returned to departments (退回)",
		Description: "Every row intake rejected is returned to its department with its reasons and the row as sent (personal identifiers masked), until a valid version of the same record arrives (fixed) or the department withdraws it (withdrawn). Each open return has a due day (step return.fix, working days) and, once overdue, is escalated up the organisation tree. Requires an API key with the returns:manage or quality:read scope, or a signed-in clerk or credit office member; the returns are those of the caller's organisation and below.",
		Tags:        []string{"intake"},
		Security:    secSignedIn,
		Errors:      with(errsQuery, http.StatusForbidden),
	}, func(ctx context.Context, in *ReturnsInput) (*ReturnsOutput, error) {
		if s.opts.Ledger == nil {
			return nil, fault.New(fault.Unavailable, "退回信息未配置")
		}
		p := principalFrom(ctx)
		if d, _ := s.returnsScope(p); !d.Allow {
			return nil, fault.New(fault.Refused, "无权查看退回信息："+d.Reason)
		}
		f := store.ReturnFilter{Kind: in.Kind, AfterID: in.After, Limit: in.Limit}
		if in.State != "all" {
			f.States = []store.ReturnState{store.ReturnState(in.State)}
		}
		depts, root, err := s.scopeDepts(ctx, p.Org)
		if err != nil {
			return nil, err
		}
		switch {
		case in.Dept != "":
			if !root && !contains(depts, in.Dept) {
				return nil, fault.New(fault.Refused, "dept 不在本单位范围内", fault.Field{Field: "query.dept", Reason: "不在本单位范围内"})
			}
			f.Depts = []string{in.Dept}
		case !root:
			f.Depts = depts
		}
		list, err := s.opts.Store.ListReturns(ctx, f)
		if err != nil {
			return nil, err
		}
		out := &ReturnsOutput{}
		out.Body.Returns = []ReturnItem{}
		for _, rt := range list {
			o, err := s.opts.Ledger.Status(ctx, rt)
			if err != nil {
				return nil, err
			}
			out.Body.Returns = append(out.Body.Returns, s.returnItem(o))
		}
		if len(list) == in.Limit {
			out.Body.Next = list[len(list)-1].ID
		}
		return out, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID:  "withdraw-return",
		Method:       "POST",
		Path:         "/api/v1/returns/{id}/withdraw",
		Summary:      "Withdraw a return with a reason",
		Description:  "Closes an open return that will not be sent again (a duplicate, a row sent in error), with the reason, written to the audit trail. Requires an API key with the returns:manage scope or a signed-in clerk of the department.",
		Tags:         []string{"intake"},
		Security:     secSignedIn,
		Errors:       errsCase,
		MaxBodyBytes: 16 << 10,
	}, func(ctx context.Context, in *WithdrawInput) (*ReturnOutput, error) {
		if s.opts.Ledger == nil {
			return nil, fault.New(fault.Unavailable, "退回信息未配置")
		}
		rt, err := s.withdrawReturn(ctx, principalFrom(ctx), in.ID, in.Body.Reason)
		if err != nil {
			return nil, err
		}
		o, err := s.opts.Ledger.Status(ctx, rt)
		if err != nil {
			return nil, err
		}
		return &ReturnOutput{Body: s.returnItem(o)}, nil
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
