package web

import (
	"bytes"
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store"
)

// formField is one input of a form made from the catalogue.
type formField struct {
	catalog.Field
	Value    string
	Error    string // the reason the value was refused, as intake says it
	Locked   bool   // shown, not editable (the department, a corrected record's identity)
	Textarea bool
}

// recordForm is the page of a one-record form: a new record, or the
// correction of a stored one.
type recordForm struct {
	Kind     *catalog.Kind
	Fields   []formField
	Errors   []ingest.RowError
	Action   string
	Correct  bool   // correcting a stored record
	Ref      string // its reference
	Reason   string
	Done     string // reference of the record filed
	Title    string
	Revoked  bool
	Objected string // the objection a correction answers
}

// formFields lays out the kind's fields with values and the errors of a
// check; locked keys are shown read-only.
func formFields(k *catalog.Kind, values map[string]string, errs []ingest.RowError, locked map[string]bool) []formField {
	byName := map[string]string{}
	for _, e := range errs {
		byName[e.Field] = e.Reason
	}
	out := make([]formField, 0, len(k.Fields))
	for _, f := range k.Fields {
		if f.Type == catalog.TypeIDType {
			// The built-in document types, offered; "其他-…" may be typed.
			f.Enum, f.OtherSpec = catalog.IDTypes(), true
		}
		out = append(out, formField{Field: f, Value: values[f.Key], Error: byName[f.Name], Locked: locked[f.Key],
			Textarea: f.Type == catalog.TypeText && f.MaxLen > 200})
	}
	return out
}

// formValues reads a kind's fields from a posted form.
func formValues(r *http.Request, k *catalog.Kind) map[string]string {
	v := map[string]string{}
	for _, f := range k.Fields {
		v[f.Key] = strings.TrimSpace(r.PostFormValue(f.Key))
	}
	return v
}

// oneRow makes the table of one record: Chinese names as the header.
func oneRow(k *catalog.Kind, values map[string]string) ingest.Table {
	header := make([]string, len(k.Fields))
	row := make([]string, len(k.Fields))
	for i, f := range k.Fields {
		header[i], row[i] = f.Name, values[f.Key]
	}
	return ingest.NewRowsTable(header, [][]string{row})
}

// checkThenFile checks one record as intake would and, when it is valid,
// files it as p's department's: a mistake is shown on the form and filed
// nowhere (it does not become a return). reason is the 更正原因 of a
// changed record.
func (s *Server) checkThenFile(r *http.Request, p auth.Principal, k *catalog.Kind, values map[string]string, reason string) (ingest.Result, []ingest.RowError, error) {
	opt := ingest.Options{Kind: k.Code, Dept: p.Org.USCC, Channel: "form", Reason: reason, Outcomes: true}
	chk, err := s.opts.Importer.Check(oneRow(k, values), opt)
	if err != nil {
		return chk, nil, err
	}
	if len(chk.Rejected) > 0 {
		return chk, chk.Rejected, nil
	}
	res, err := s.opts.Importer.Import(r.Context(), oneRow(k, values), opt)
	if err != nil {
		return res, nil, err
	}
	if len(res.Rejected) > 0 { // changed meanwhile (the calendar day turned)
		return res, res.Rejected, nil
	}
	return res, nil, nil
}

func (s *Server) intakeForm(w http.ResponseWriter, r *http.Request) {
	p, ok := s.clerkOf(w, r)
	if !ok {
		return
	}
	k, ok := s.opts.Importer.Catalog.Kind(r.PathValue("kind"))
	if !ok {
		s.notFound(w, r)
		return
	}
	values := map[string]string{k.SourceDept.Name: p.Org.Name, k.SourceDept.USCC: p.Org.USCC, k.DecisionDate: calendar.Today().String()}
	if a := k.AuthorityKey(); a != "" {
		values[a] = p.Org.USCC
		values["authority"] = p.Org.Name
	}
	s.renderRecordForm(w, r, http.StatusOK, recordForm{Kind: k, Action: "/intake/form/" + k.Code, Title: "填报" + k.Name,
		Fields: formFields(k, values, nil, map[string]bool{k.SourceDept.Name: true, k.SourceDept.USCC: true})})
}

func (s *Server) renderRecordForm(w http.ResponseWriter, r *http.Request, status int, f recordForm) {
	s.render(w, r, status, "intakeform", f.Title, f)
}

func (s *Server) submitIntakeForm(w http.ResponseWriter, r *http.Request) {
	p, ok := s.clerkOf(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	k, ok := s.opts.Importer.Catalog.Kind(r.PathValue("kind"))
	if !ok {
		s.notFound(w, r)
		return
	}
	if d := s.decide(p, auth.RecordSubmit, auth.Resource{OrgPath: p.Org.Path, Kind: k.Code}); !d.Allow {
		s.forbidden(w, r, d)
		return
	}
	values := formValues(r, k)
	values[k.SourceDept.Name], values[k.SourceDept.USCC] = p.Org.Name, p.Org.USCC
	locked := map[string]bool{k.SourceDept.Name: true, k.SourceDept.USCC: true}
	form := recordForm{Kind: k, Action: "/intake/form/" + k.Code, Title: "填报" + k.Name}
	res, errs, err := s.checkThenFile(r, p, k, values, "")
	if err != nil {
		s.serviceError(w, r, "intake form", err)
		return
	}
	if len(errs) > 0 {
		form.Errors, form.Fields = errs, formFields(k, values, errs, locked)
		s.renderRecordForm(w, r, statusOf(fault.Invalid), form)
		return
	}
	s.audit(r.Context(), p, auth.AuditEntry{Action: auth.AuditRecordSubmit, Target: "batch:" + strconv.FormatInt(res.Batch, 10), Outcome: "ok",
		Detail: k.Code + " 表单填报：" + values[k.DecisionNo]})
	form.Done = s.opts.Portal.RecordRef(res.Outcomes[0].ID)
	// A fresh form for the next record, the department kept.
	form.Fields = formFields(k, map[string]string{k.SourceDept.Name: p.Org.Name, k.SourceDept.USCC: p.Org.USCC,
		k.DecisionDate: values[k.DecisionDate]}, nil, locked)
	s.renderRecordForm(w, r, http.StatusOK, form)
}

// changeAccess loads record ref for p, who must be allowed to correct
// or revoke the records of its department (record.change).
func (s *Server) changeAccess(w http.ResponseWriter, r *http.Request) (auth.Principal, portal.RecordView, bool) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return p, portal.RecordView{}, false
	}
	if s.opts.Importer == nil || s.opts.Portal == nil {
		s.render(w, r, http.StatusServiceUnavailable, "error", "更正信息", "数据报送未配置。")
		return p, portal.RecordView{}, false
	}
	v, err := s.opts.Portal.RecordInternal(r.Context(), r.PathValue("ref"), calendar.Today())
	if err != nil {
		s.pageError(w, r, err)
		return p, v, false
	}
	res, err := s.deptResource(r.Context(), v.SourceDept)
	if err != nil {
		s.pageError(w, r, err)
		return p, v, false
	}
	res.SubjectID, res.Kind = v.SubjectID, v.Kind.Code
	if d := s.decide(p, auth.RecordChange, res); !d.Allow {
		s.audit(r.Context(), p, auth.AuditEntry{Action: auth.AuditDenied, Target: "record:" + strconv.FormatInt(v.ID, 10), SubjectID: v.SubjectID,
			Outcome: "denied", Detail: "更正、撤销：" + d.Reason})
		s.notFound(w, r)
		return p, v, false
	}
	// A correction is filed as the department's: only its own members.
	if p.Org.Kind != auth.Dept || p.Org.USCC != v.SourceDept {
		s.forbidden(w, r, auth.Decision{Reason: "只能由报送该信息的部门更正或撤销"})
		return p, v, false
	}
	return p, v, true
}

// identityKeys are the keys of the kind's identity fields: a correction
// keeps them, or it would be another record.
func identityKeys(k *catalog.Kind) map[string]bool {
	out := map[string]bool{k.SourceDept.Name: true}
	for _, part := range k.Identity {
		for _, key := range strings.Split(part, "|") {
			out[key] = true
		}
	}
	return out
}

// recordValues are a stored record's values by key, personal fields in
// clear.
func recordValues(v portal.RecordView) map[string]string {
	out := map[string]string{}
	for _, f := range append(append([]portal.FieldValue(nil), v.Fields...), v.Private...) {
		out[f.Key] = f.Value
	}
	return out
}

func (s *Server) correctForm(w http.ResponseWriter, r *http.Request) {
	p, v, ok := s.changeAccess(w, r)
	if !ok {
		return
	}
	s.audit(r.Context(), p, auth.AuditEntry{Action: auth.AuditRecordRead, Target: "record:" + strconv.FormatInt(v.ID, 10), SubjectID: v.SubjectID,
		Purpose: "更正信息", Outcome: "ok", Detail: v.Kind.Name + " " + v.DecisionNo})
	form := recordForm{Kind: v.Kind, Correct: true, Ref: r.PathValue("ref"), Action: "/records/" + r.PathValue("ref") + "/correct",
		Title: "更正" + v.Title(), Revoked: v.State == store.StateRevoked,
		Fields: formFields(v.Kind, recordValues(v), nil, identityKeys(v.Kind))}
	if id := r.URL.Query().Get("objection"); id != "" {
		if _, err := strconv.ParseInt(id, 10, 64); err == nil {
			form.Objected, form.Reason = id, "异议更正（异议编号"+id+"）"
		}
	}
	s.renderRecordForm(w, r, http.StatusOK, form)
}

// submitCorrection files the corrected record as a new version through
// intake, with the clerk's reason; its identity is the stored record's.
func (s *Server) submitCorrection(w http.ResponseWriter, r *http.Request) {
	p, v, ok := s.changeAccess(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	k := v.Kind
	values := formValues(r, k)
	stored := recordValues(v)
	locked := identityKeys(k)
	for key := range locked {
		values[key] = stored[key]
	}
	values[k.SourceDept.USCC] = v.SourceDept
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	form := recordForm{Kind: k, Correct: true, Ref: r.PathValue("ref"), Action: "/records/" + r.PathValue("ref") + "/correct",
		Title: "更正" + v.Title(), Reason: reason, Objected: r.PostFormValue("objection")}
	fail := func(errs []ingest.RowError) {
		form.Errors, form.Fields = errs, formFields(k, values, errs, locked)
		s.renderRecordForm(w, r, statusOf(fault.Invalid), form)
	}
	if reason == "" {
		fail([]ingest.RowError{{Row: 1, Field: "更正原因", Reason: "请填写更正原因"}})
		return
	}
	if n := len([]rune(reason)); n > 500 {
		fail([]ingest.RowError{{Row: 1, Field: "更正原因", Reason: "最多500字"}})
		return
	}
	res, errs, err := s.checkThenFile(r, p, k, values, reason)
	if err != nil {
		s.serviceError(w, r, "correct record", err)
		return
	}
	if len(errs) > 0 {
		fail(errs)
		return
	}
	o := res.Outcomes[0]
	if o.ID != v.ID {
		// The identity is the stored record's: this cannot happen unless
		// the catalogue changed its identity meanwhile.
		s.serviceError(w, r, "correct record", errors.New("the corrected record was filed as another record"))
		return
	}
	if o.Change == store.Unchanged {
		fail([]ingest.RowError{{Row: 1, Field: "", Reason: "内容与现有版本相同，没有更正"}})
		return
	}
	s.audit(r.Context(), p, auth.AuditEntry{Action: auth.AuditRecordChange, Target: "record:" + strconv.FormatInt(v.ID, 10), SubjectID: v.SubjectID,
		Outcome: "correct", Detail: k.Name + " " + v.DecisionNo + " 更正：" + reason})
	http.Redirect(w, r, "/records/"+r.PathValue("ref")+"?purpose="+url.QueryEscape("更正信息"), http.StatusSeeOther)
}

// revokeRecord revokes (撤销) a record of p's department with a reason.
func (s *Server) revokeRecord(w http.ResponseWriter, r *http.Request) {
	p, v, ok := s.changeAccess(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" || len([]rune(reason)) > 500 {
		form := recordForm{Kind: v.Kind, Correct: true, Ref: r.PathValue("ref"), Action: "/records/" + r.PathValue("ref") + "/correct",
			Title: "更正" + v.Title(), Fields: formFields(v.Kind, recordValues(v), nil, identityKeys(v.Kind)),
			Errors: []ingest.RowError{{Row: 1, Field: "撤销原因", Reason: "请填写撤销原因（最多500字）"}}}
		s.renderRecordForm(w, r, statusOf(fault.Invalid), form)
		return
	}
	if v.State == store.StateRevoked {
		s.pageError(w, r, fault.New(fault.Conflict, "该信息已撤销。"))
		return
	}
	if err := s.opts.Store.SetRecordState(r.Context(), v.ID, store.StateRevoked, "报送单位撤销："+reason); err != nil {
		s.serviceError(w, r, "revoke record", err)
		return
	}
	s.audit(r.Context(), p, auth.AuditEntry{Action: auth.AuditRecordChange, Target: "record:" + strconv.FormatInt(v.ID, 10), SubjectID: v.SubjectID,
		Outcome: "revoke", Detail: v.Kind.Name + " " + v.DecisionNo + " 撤销：" + reason})
	http.Redirect(w, r, "/records/"+r.PathValue("ref")+"?purpose="+url.QueryEscape("撤销信息"), http.StatusSeeOther)
}

// canChange reports whether the signed-in p may correct or revoke the
// record: a member of its department with record.change (links only).
func (s *Server) canChange(r *http.Request, ref string) bool {
	p := who(r)
	if p.Kind != auth.UserKind || p.Org.Kind != auth.Dept || s.opts.Importer == nil || s.opts.Authorizer == nil || s.opts.Portal == nil {
		return false
	}
	if !s.opts.Authorizer.Can(p, auth.RecordChange, auth.Resource{OrgPath: p.Org.Path}) {
		return false
	}
	v, err := s.opts.Portal.RecordInternal(r.Context(), ref, calendar.Today())
	return err == nil && v.SourceDept == p.Org.USCC
}

// deptRecordsPage lists the department's records, newest decision first,
// found by kind and decision number: where a clerk finds the record to
// correct.
func (s *Server) deptRecordsPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.clerkOf(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := store.RecordFilter{Dept: p.Org.USCC, Kind: q.Get("kind"), DecisionNo: strings.TrimSpace(q.Get("no")), Persons: true, Limit: 50}
	if f.Kind != "" {
		if _, ok := s.opts.Importer.Catalog.Kind(f.Kind); !ok {
			f.Kind = ""
		}
	}
	recs, err := s.opts.Store.LatestRecords(r.Context(), f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	type item struct {
		Ref, Kind, DecisionNo, DecisionDate, Subject, State string
		Late                                                bool
	}
	var items []item
	for _, rec := range recs {
		k, _ := s.opts.Importer.Catalog.Kind(rec.Kind)
		name := rec.Kind
		if k != nil {
			name = k.Name
		}
		items = append(items, item{Ref: s.opts.Portal.RecordRef(rec.ID), Kind: name, DecisionNo: rec.DecisionNo, DecisionDate: rec.DecisionDate,
			Subject: rec.Subject.Name, State: stateLabel(rec.State), Late: rec.Late})
	}
	s.render(w, r, http.StatusOK, "deptrecords", "本单位已报送信息", map[string]any{"Items": items, "Kinds": s.opts.Importer.Catalog.Kinds(),
		"Kind": f.Kind, "No": f.DecisionNo})
}

func stateLabel(st store.RecordState) string {
	switch st {
	case store.StateCorrected:
		return "已更正"
	case store.StateRevoked:
		return "已撤销"
	}
	return "正常"
}

// intakeTemplate serves the standard template of a kind: {kind}.csv (the
// header row, UTF-8 with a byte order mark) or {kind}.xlsx (the header
// row and a sheet of what each field takes).
func (s *Server) intakeTemplate(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	code, ext, _ := strings.Cut(file, ".")
	if s.opts.Importer == nil {
		s.notFound(w, r)
		return
	}
	k, ok := s.opts.Importer.Catalog.Kind(code)
	if !ok || (ext != "csv" && ext != "xlsx") {
		s.notFound(w, r)
		return
	}
	header := make([]string, len(k.Fields))
	for i, f := range k.Fields {
		header[i] = f.Name
	}
	name := url.PathEscape(k.Name + "信息报送模板." + ext)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+name)
	if ext == "csv" {
		var b bytes.Buffer
		b.WriteString("\ufeff")
		c := csv.NewWriter(&b)
		c.Write(header)
		c.Flush()
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Write(b.Bytes())
		return
	}
	x, err := templateXLSX(k, header)
	if err != nil {
		s.serviceError(w, r, "template", err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Write(x)
}

// templateXLSX is a kind's XLSX template: the header row on sheet 数据,
// and on sheet 填写说明 each field's exchange code, whether it is required,
// its values and note.
func templateXLSX(k *catalog.Kind, header []string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "数据"); err != nil {
		return nil, err
	}
	if err := f.SetSheetRow("数据", "A1", &header); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	last, _ := excelize.ColumnNumberToName(len(header))
	f.SetCellStyle("数据", "A1", last+"1", bold)
	if _, err := f.NewSheet("填写说明"); err != nil {
		return nil, err
	}
	f.SetSheetRow("填写说明", "A1", &[]string{"字段", "交换代码", "是否必填", "取值", "说明"})
	for i, fl := range k.Fields {
		req := map[catalog.Requirement]string{catalog.Always: "必填", catalog.Optional: "选填", catalog.Conditional: "条件必填"}[fl.Required]
		values := strings.Join(fl.Enum, "、")
		if fl.OtherSpec {
			values += "，或“其他-…”注明"
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		f.SetSheetRow("填写说明", cell, &[]string{fl.Name, fl.Code, req, values, fl.Note})
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
