package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/objection"
	"github.com/xinyong/xinyong/internal/store"
)

// Objection pages: a subject user files an objection from the record's
// page and follows it; reviewers work through their queue and decide on
// the case page. Every form is CSRF-protected and carries the revision the
// user saw, so that two reviewers cannot both decide.

func (s *Server) registerObjections(mux *http.ServeMux) {
	if s.opts.Objections == nil {
		return
	}
	mux.HandleFunc("POST /records/{ref}/objections", s.fileObjection)
	mux.HandleFunc("GET /objections", s.objectionQueue)
	mux.HandleFunc("GET /objections/{id}", s.objectionPage)
	mux.HandleFunc("POST /objections/{id}", s.actOnObjection)
}

// objectionRow is a case as the pages show it.
type objectionRow struct {
	objection.View
	Timers  []timerRow
	Waiting *timerRow // the step the case waits on, if any
	Outcome objection.Outcome
	Reason  string
}

type timerRow struct {
	Name        string
	Due         string
	Provisional bool
	Status      deadline.Status
}

func (s *Server) objectionRow(v objection.View, now time.Time) objectionRow {
	clock := s.opts.Objections.Clock
	row := objectionRow{View: v}
	row.Outcome, row.Reason = v.Case.Final()
	for _, t := range v.Case.Timers {
		name := t.Step
		if st, ok := deadlineRules(clock).Step(t.Step); ok {
			name = st.Name
		}
		tr := timerRow{Name: name, Due: t.Due.String(), Provisional: t.Provisional, Status: clock.Status(t, now)}
		row.Timers = append(row.Timers, tr)
		if t.Done.IsZero() {
			row.Waiting = &row.Timers[len(row.Timers)-1]
		}
	}
	return row
}

func deadlineRules(c deadline.Clock) *deadline.Rules {
	if c.Rules != nil {
		return c.Rules
	}
	return deadline.Default()
}

func (s *Server) fileObjection(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
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
	v, err := s.opts.Objections.File(r.Context(), p, id, r.PostFormValue("reasons"), r.PostFormValue("contact"))
	if err != nil {
		s.objectionError(w, r, err)
		return
	}
	http.Redirect(w, r, "/objections/"+strconv.FormatInt(v.Row.ID, 10), http.StatusSeeOther)
}

// objectionError renders a refusal (422, saying why) or another error.
func (s *Server) objectionError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, objection.ErrRefused):
		s.render(w, r, http.StatusUnprocessableEntity, "error", "未能办理", err.Error())
	case errors.Is(err, store.ErrConflict):
		s.render(w, r, http.StatusConflict, "error", "异议已被他人处理", "该异议在您打开页面后已有变化，请刷新页面查看最新状态后再操作。")
	default:
		s.portalError(w, r, err)
	}
}

func (s *Server) objectionPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	v, err := s.opts.Objections.Get(r.Context(), p, id)
	if err != nil {
		s.objectionError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "objection", "异议 "+r.PathValue("id"), map[string]any{
		"O": s.objectionRow(v, time.Now()), "RecordRef": s.opts.Portal.RecordRef(v.Record.ID),
		"Outcomes": []objection.Outcome{objection.Correct, objection.Revoke, objection.Uphold},
	})
}

func (s *Server) actOnObjection(w http.ResponseWriter, r *http.Request) {
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
		s.render(w, r, http.StatusBadRequest, "error", "请求有误", "表单缺少版本号，请刷新页面后重试。")
		return
	}
	_, err = s.opts.Objections.Act(r.Context(), p, id, rev, objection.Action(r.PostFormValue("action")),
		objection.Outcome(r.PostFormValue("outcome")), r.PostFormValue("note"))
	if err != nil {
		s.objectionError(w, r, err)
		return
	}
	http.Redirect(w, r, "/objections/"+r.PathValue("id"), http.StatusSeeOther)
}

func (s *Server) objectionQueue(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	var states []objection.State
	if r.URL.Query().Get("all") == "" {
		states = []objection.State{objection.Pending, objection.Reviewing}
	}
	vs, err := s.opts.Objections.Queue(r.Context(), p, states)
	if err != nil {
		s.objectionError(w, r, err)
		return
	}
	now := time.Now()
	rows := make([]objectionRow, len(vs))
	for i, v := range vs {
		rows[i] = s.objectionRow(v, now)
	}
	s.render(w, r, http.StatusOK, "objections", "异议办理", map[string]any{"Rows": rows, "All": len(states) == 0, "Staff": p.Staff()})
}
