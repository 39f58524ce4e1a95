package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/lists"
)

// The list-entry form: a department's reviewer or clerk enters a subject
// on a list (or removes it) by hand, through the same intake path as a
// file: the same validation, versions and audit entry.

func (s *Server) registerListForm(mux *http.ServeMux) {
	mux.HandleFunc("GET /lists/new", s.listForm)
	mux.HandleFunc("POST /lists/new", s.submitListForm)
	mux.HandleFunc("POST /records/{ref}/exit", s.exitListEntry)
}

// listFormFields are the form's inputs, by field key, in order.
var listFormFields = []string{"list_type", "subject_class", "subject_name", "subject_uscc", "legal_rep", "decision_no", "facts",
	"legal_basis", "decision_date", "valid_to", "authority", "authority_uscc"}

// listFormData is the form page's data.
type listFormData struct {
	Kind   *catalog.Kind
	Fields []catalog.Field
	Values map[string]string
	Types  []lists.Type
	Errors []ingest.RowError
	Done   string // a reference of the filed entry
}

// listPost is listPrincipal for a form sent, with its CSRF token checked.
func (s *Server) listPost(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, ok := s.listPrincipal(w, r)
	if ok && !checkCSRF(r) {
		s.staleForm(w, r)
		return p, false
	}
	return p, ok
}

// listPrincipal checks a signed-in member of a department who may submit
// or change its records.
func (s *Server) listPrincipal(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return p, false
	}
	if s.opts.Importer == nil || s.opts.Checks == nil {
		s.render(w, r, http.StatusServiceUnavailable, "error", "名单录入", "名单录入未配置。")
		return p, false
	}
	own := auth.Resource{OrgPath: p.Org.Path}
	if p.Org.Kind != auth.Dept || !s.decide(p, auth.RecordSubmit, own).Allow && !s.decide(p, auth.RecordChange, own).Allow {
		s.forbidden(w, r, auth.Decision{Reason: "只有部门的报送员或审核员可以录入名单"})
		return p, false
	}
	return p, true
}

func (s *Server) listFormData(kindCode string, values map[string]string) (listFormData, bool) {
	k, ok := s.opts.Importer.Catalog.Kind(kindCode)
	if !ok {
		return listFormData{}, false
	}
	d := listFormData{Kind: k, Values: values}
	for _, key := range listFormFields {
		if f, ok := k.Field(key); ok {
			d.Fields = append(d.Fields, *f)
		}
	}
	for _, t := range s.opts.Checks.Checker.Lists.Types {
		if t.Kind == k.Code {
			d.Types = append(d.Types, t)
		}
	}
	return d, len(d.Types) > 0
}

func (s *Server) listForm(w http.ResponseWriter, r *http.Request) {
	p, ok := s.listPrincipal(w, r)
	if !ok {
		return
	}
	kind := r.URL.Query().Get("kind")
	if kind == "" {
		kind = "sx"
	}
	today := calendar.Today()
	d, ok := s.listFormData(kind, map[string]string{"decision_date": today.String(), "authority": p.Org.Name, "authority_uscc": p.Org.USCC,
		"subject_class": "法人及非法人组织"})
	if !ok {
		s.notFound(w, r)
		return
	}
	s.render(w, r, http.StatusOK, "listform", "录入"+d.Kind.Name, d)
}

func (s *Server) submitListForm(w http.ResponseWriter, r *http.Request) {
	p, ok := s.listPost(w, r)
	if !ok {
		return
	}
	values := map[string]string{}
	for _, key := range listFormFields {
		values[key] = strings.TrimSpace(r.PostFormValue(key))
	}
	d, ok := s.listFormData(r.PostFormValue("kind"), values)
	if !ok {
		s.notFound(w, r)
		return
	}
	// An entry without 有效期至 gets the list type's default period, which
	// the clerk sees and may change before sending.
	if t, ok := s.opts.Checks.Checker.Lists.TypeOf(d.Kind.Code, values["list_type"]); ok && values["valid_to"] == "" && t.Months > 0 {
		if from, err := calendar.ParseDate(values["decision_date"]); err == nil {
			values["valid_to"] = from.AddMonths(t.Months).AddDays(-1).String()
		}
	}
	res, errs, err := s.fileEntry(r, p, d.Kind.Code, values)
	if err != nil {
		s.serviceError(w, r, "list form", err)
		return
	}
	if len(errs) > 0 {
		d.Errors = errs
		s.render(w, r, statusOf(fault.Invalid), "listform", "录入"+d.Kind.Name, d)
		return
	}
	d.Done = s.opts.Portal.RecordRef(res)
	d.Values = map[string]string{"decision_date": values["decision_date"], "authority": values["authority"], "authority_uscc": values["authority_uscc"],
		"subject_class": values["subject_class"]}
	s.render(w, r, http.StatusOK, "listform", "录入"+d.Kind.Name, d)
}

// fileEntry files one list entry of p's department through the importer,
// with its audit entry, and returns the record id or the row's errors.
func (s *Server) fileEntry(r *http.Request, p auth.Principal, kind string, values map[string]string) (int64, []ingest.RowError, error) {
	values["source_dept"], values["source_dept_uscc"] = p.Org.Name, p.Org.USCC
	k, ok := s.opts.Importer.Catalog.Kind(kind)
	if !ok {
		return 0, nil, fault.New(fault.NotFound, "未知的信息类别："+kind)
	}
	// Checked first: a mistake stays on the form and is not returned.
	res, errs, err := s.checkThenFile(r, p, k, values, "")
	if err != nil || len(errs) > 0 {
		return 0, errs, err
	}
	s.audit(r.Context(), p, auth.AuditEntry{Action: auth.AuditRecordSubmit, Target: "batch:" + strconv.FormatInt(res.Batch, 10), Outcome: "ok",
		Detail: kind + " 表单录入：" + values["list_type"] + " " + values["decision_no"]})
	return res.Outcomes[0].ID, nil, nil
}

// exitListEntry removes a list entry of p's department: the entry is sent
// again with 移出日期 and 移出原因, a new version; the history is kept.
func (s *Server) exitListEntry(w http.ResponseWriter, r *http.Request) {
	p, ok := s.listPost(w, r)
	if !ok {
		return
	}
	v, err := s.opts.Portal.RecordInternal(r.Context(), r.PathValue("ref"), calendar.Today())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if v.SourceDept != p.Org.USCC {
		s.forbidden(w, r, auth.Decision{Reason: "只能移出本部门报送的名单"})
		return
	}
	if v.Field("list_type") == "" {
		s.pageError(w, r, fault.New(fault.Invalid, "该信息不是名单记录。"))
		return
	}
	values := map[string]string{}
	for _, f := range append(v.Fields, v.Private...) {
		values[f.Key] = f.Value
	}
	values["exit_date"], values["exit_reason"] = strings.TrimSpace(r.PostFormValue("exit_date")), strings.TrimSpace(r.PostFormValue("exit_reason"))
	_, errs, err := s.fileEntry(r, p, v.Kind.Code, values)
	if err != nil {
		s.serviceError(w, r, "exit list entry", err)
		return
	}
	if len(errs) > 0 {
		var msgs []string
		for _, e := range errs {
			msgs = append(msgs, e.Field+"："+e.Reason)
		}
		s.pageError(w, r, fault.New(fault.Invalid, "未能移出："+strings.Join(msgs, "；")))
		return
	}
	http.Redirect(w, r, "/records/"+r.PathValue("ref")+"?purpose="+url.QueryEscape("移出名单"), http.StatusSeeOther)
}

// canExit reports whether p may remove the list entry v from the list:
// a list entry still without 移出日期, supplied by p's department.
func (s *Server) canExit(r *http.Request, ref string) bool {
	p := who(r)
	if p.Kind != auth.UserKind || p.Org.Kind != auth.Dept || s.opts.Checks == nil || s.opts.Importer == nil {
		return false
	}
	own := auth.Resource{OrgPath: p.Org.Path}
	if !s.opts.Authorizer.Can(p, auth.RecordSubmit, own) && !s.opts.Authorizer.Can(p, auth.RecordChange, own) {
		return false
	}
	v, err := s.opts.Portal.RecordInternal(r.Context(), ref, calendar.Today())
	return err == nil && v.SourceDept == p.Org.USCC && v.Field("list_type") != "" && v.Field("exit_date") == ""
}
