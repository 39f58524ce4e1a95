package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/attach"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/repair"
	"github.com/xinyong/xinyong/internal/store"
)

// Credit repair pages: a subject user applies from its record's page
// (proofs and the commitment, one multipart form) and follows its
// applications; platform reviewers accept or reject, the supplying
// department's reviewers approve or deny, on the application's page.
// Every form is CSRF-protected and carries the revision the user saw.

func (s *Server) registerRepairs(mux *http.ServeMux) {
	s.registerRepairAPI()
	if s.opts.Repairs == nil {
		return
	}
	mux.HandleFunc("POST /records/{ref}/repairs", s.applyRepair)
	mux.HandleFunc("GET /repairs", s.repairQueue)
	mux.HandleFunc("POST /repairs/sample", s.sampleRepairs)
	mux.HandleFunc("GET /repairs/{id}", s.repairPage)
	mux.HandleFunc("POST /repairs/{id}", s.actOnRepair)
	mux.HandleFunc("GET /repairs/{id}/files/{file}", s.repairFile)
}

// maxRepairUpload bounds an application's request: every proof at its
// largest, and room for the form's fields.
const maxUpload = attach.MaxFiles*attach.MaxBytes + 1<<20

// repairRow is an application as the pages show it.
type repairRow struct {
	repair.View
	Timers   []timerRow
	Waiting  *timerRow // the step the application waits on, if any
	Assignee string    // who must act on it (queues)
	Reason   string    // the reason of a rejection or denial
}

func (s *Server) repairRow(v repair.View, now time.Time) repairRow {
	row := repairRow{View: v}
	open, ok := v.App.OpenTimer()
	row.Timers, row.Waiting = timerRows(s.opts.Repairs.Clock,
		[]deadline.Timer{v.App.Timers.Accept, v.App.Timers.Decide, v.App.Timers.Sync, v.App.Timers.Recheck}, open, ok, now)
	if n := len(v.App.History); n > 0 && (v.App.State == repair.Rejected || v.App.State == repair.Denied || v.App.State == repair.Revoked) {
		row.Reason = v.App.History[n-1].Note
	}
	return row
}

// repairSection is the 信用修复 part of a record's page, for the signed-in
// user of the record's subject.
type repairSection struct {
	E          repair.Eligibility
	Commitment store.Commitment
	Apps       []repair.View
}

// withRepair adds the 信用修复 section to the data of a record page when
// the reader is a user of the record's subject and the page shows today.
func (s *Server) withRepair(r *http.Request, data any) {
	m, ok := data.(map[string]any)
	if !ok || s.opts.Repairs == nil {
		return
	}
	v, ok := m["R"].(portal.RecordView)
	if hist, _ := m["Historical"].(bool); !ok || hist {
		return
	}
	p := who(r)
	if p.Kind != auth.UserKind || p.SubjectID == 0 || p.SubjectID != v.SubjectID {
		return
	}
	c, e, err := s.opts.Repairs.Commitment(r.Context(), p, v.ID)
	if err != nil {
		if !errors.Is(err, repair.ErrRefused) && !clientGone(r, err) {
			s.opts.Log.Error("repair eligibility", "record", v.ID, "err", err)
		}
		return
	}
	apps, err := s.opts.Repairs.OfRecord(r.Context(), p, v.ID)
	if err != nil {
		if !clientGone(r, err) {
			s.opts.Log.Error("repairs of record", "record", v.ID, "err", err)
		}
		return
	}
	m["Repair"] = repairSection{E: e, Commitment: c, Apps: apps}
}

func (s *Server) applyRepair(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	uploads, ok := s.readUploads(w, r, "proofs")
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	id, ok := s.opts.Portal.RecordID(r.PathValue("ref"))
	if !ok {
		s.notFound(w, r)
		return
	}
	proofs := make([]repair.File, len(uploads))
	for i, u := range uploads {
		proofs[i] = repair.File{Name: u.Name, Data: u.Data}
	}
	v, err := s.opts.Repairs.Apply(r.Context(), p, id, proofs, r.PostFormValue("commitment") == "accepted")
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/repairs/"+strconv.FormatInt(v.Row.ID, 10), http.StatusSeeOther)
}

func (s *Server) repairPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	v, err := s.opts.Repairs.Get(r.Context(), p, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "repair", "信用修复申请 "+r.PathValue("id"), map[string]any{
		"A": s.repairRow(v, time.Now()), "RecordRef": s.opts.Portal.RecordRef(v.Record.ID),
	})
}

func (s *Server) actOnRepair(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	rev, err := strconv.Atoi(r.PostFormValue("rev"))
	if err != nil {
		s.pageError(w, r, fault.New(fault.Invalid, "表单缺少版本号，请刷新页面后重试。"))
		return
	}
	_, err = s.opts.Repairs.Act(r.Context(), p, id, rev, repair.ActionKind(r.PostFormValue("action")), r.PostFormValue("note"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/repairs/"+r.PathValue("id"), http.StatusSeeOther)
}

// repairFile sends a proof to a reader holding a role for the application.
func (s *Server) repairFile(w http.ResponseWriter, r *http.Request) {
	s.caseFile(w, r, auth.AuditRepair, "repair:", s.pageError,
		func(ctx context.Context, p auth.Principal, id, fid int64) (string, string, []byte, error) {
			f, err := s.opts.Repairs.File(ctx, p, id, fid)
			return f.Name, f.ContentType, f.Data, err
		})
}

// caseFile sends file {file} of case {id} to a signed-in reader holding a
// role for the case (get checks that and opens the file), as an
// attachment. The file can hold personal data: its reading goes to the
// audit trail first, with the case as target (prefix and the id).
func (s *Server) caseFile(w http.ResponseWriter, r *http.Request, action, prefix string, fail func(http.ResponseWriter, *http.Request, error),
	get func(ctx context.Context, p auth.Principal, id, fid int64) (name, contentType string, data []byte, err error)) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	id, err1 := strconv.ParseInt(r.PathValue("id"), 10, 64)
	fid, err2 := strconv.ParseInt(r.PathValue("file"), 10, 64)
	if err1 != nil || err2 != nil {
		s.notFound(w, r)
		return
	}
	name, ct, data, err := get(r.Context(), p, id, fid)
	if err != nil {
		fail(w, r, err)
		return
	}
	if _, err := s.mustAudit(r.Context(), p, auth.AuditEntry{Action: action, Outcome: "file.read",
		Target: prefix + strconv.FormatInt(id, 10), Detail: name}); err != nil {
		s.serviceError(w, r, "audit file read", err)
		return
	}
	sendFile(w, name, ct, data)
}

// sendFile sends an uploaded file for download (never shown inline: its
// type was sniffed, not trusted, and it stays out of caches).
func sendFile(w http.ResponseWriter, name, contentType string, data []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	cd := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if cd == "" {
		cd = "attachment"
	}
	h.Set("Content-Disposition", cd)
	h.Set("Cache-Control", "no-store")
	w.Write(data)
}

func (s *Server) repairQueue(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	s.renderRepairQueue(w, r, p, http.StatusOK, nil)
}

// renderRepairQueue renders the queue of p: by default what waits (open
// applications and sampled repairs waiting for their re-check), with all=1
// everything; sample is a sample just drawn.
func (s *Server) renderRepairQueue(w http.ResponseWriter, r *http.Request, p auth.Principal, status int, sample *repair.SampleResult) {
	all := r.URL.Query().Get("all") != ""
	var states []repair.State
	if !all {
		states = []repair.State{repair.Submitted, repair.Accepted, repair.Approved}
	}
	vs, err := s.opts.Repairs.Queue(r.Context(), p, states)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	now := time.Now()
	overdue := r.URL.Query().Get("overdue") != ""
	names := s.orgNames(r.Context())
	rows := make([]repairRow, 0, len(vs))
	var waiting []*timerRow
	for _, v := range vs {
		if !all && v.App.State == repair.Approved && !v.App.RecheckPending() {
			continue
		}
		row := s.repairRow(v, now)
		if overdue && (row.Waiting == nil || row.Waiting.Status.State != deadline.Overdue) {
			continue
		}
		switch v.App.Assignee() {
		case repair.ActorPlatform:
			row.Assignee = "平台"
		case repair.ActorDepartment:
			row.Assignee = names.of(v.Row.Dept)
		}
		rows = append(rows, row)
		waiting = append(waiting, row.Waiting)
	}
	data := map[string]any{"Rows": rows, "All": all, "Staff": p.Staff(), "CanSample": s.canSample(p), "Sample": sample,
		"Today": calendar.Today().String(), "Due": summarizeDue(waiting), "Overdue": overdue}
	if sample != nil {
		drawn := make([]repairRow, len(sample.Drawn))
		for i, v := range sample.Drawn {
			drawn[i] = s.repairRow(v, now)
		}
		data["Drawn"] = drawn
	}
	s.render(w, r, status, "repairs", "信用修复", data)
}

// canSample reports whether p draws re-check samples: a reviewer of the
// platform operator.
func (s *Server) canSample(p auth.Principal) bool {
	return p.Staff() && p.Org.Kind == auth.Operator && s.opts.Authorizer.Can(p, auth.RepairReview, auth.Resource{OrgPath: p.Org.Path})
}

// sampleRepairs draws a re-check sample (抽查复核) of approved repairs.
func (s *Server) sampleRepairs(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	percent, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("percent")))
	if err != nil {
		percent = 0 // refused by Sample with the allowed range
	}
	res, err := s.opts.Repairs.Sample(r.Context(), p, strings.TrimSpace(r.PostFormValue("from")), strings.TrimSpace(r.PostFormValue("to")), percent)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderRepairQueue(w, r, p, http.StatusOK, &res)
}

// readUploads reads a form that may carry files in field (multipart, at
// most attach.MaxFiles of attach.MaxBytes and the rest of the form: the
// route's limit in formLimits), or a
// plain form (no files). It renders the error and reports false when the
// body cannot be read. The temporary files are removed when the request
// ends.
func (s *Server) readUploads(w http.ResponseWriter, r *http.Request, field string) ([]attach.File, bool) {
	if err := r.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			s.pageError(w, r, fault.New(fault.TooLarge, "上传的材料合计超过上限：最多5个文件，每个不超过5MB。请压缩或减少文件后重试。"))
			return nil, false
		}
		s.render(w, r, http.StatusBadRequest, "error", "请求有误", "未能读取上传的文件，请重试。")
		return nil, false
	}
	if r.MultipartForm == nil {
		return nil, true
	}
	context.AfterFunc(r.Context(), func() { r.MultipartForm.RemoveAll() })
	var out []attach.File
	for _, fh := range r.MultipartForm.File[field] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // no file chosen
		}
		f, err := fh.Open()
		if err != nil {
			s.serviceError(w, r, "read upload", err)
			return nil, false
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			s.serviceError(w, r, "read upload", err)
			return nil, false
		}
		out = append(out, attach.File{Name: fh.Filename, Data: data})
	}
	return out, true
}
