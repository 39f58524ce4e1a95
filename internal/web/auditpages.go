package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/hiring"
	"github.com/xinyong/xinyong/internal/lending"
	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/store"
)

func (s *Server) registerAuditPages(mux *http.ServeMux) {
	mux.HandleFunc("GET /audit", s.auditPage)
	mux.HandleFunc("GET /my", s.myPage)
}

// queryActions are the audit actions that are queries about a subject,
// shown to the subject as its query history (知情权).
var queryActions = []string{auth.AuditRecordRead, auth.AuditSubjectRead, auth.AuditCheck, report.AuditIssue, report.AuditGrant,
	hiring.AuditQuery, lending.AuditRead}

// actionLabels name audit actions for people.
var actionLabels = map[string]string{
	auth.AuditSignIn: "登录", auth.AuditSignOut: "退出", auth.AuditRecordRead: "查阅非公开信息", auth.AuditSubjectRead: "查阅信用档案",
	auth.AuditRecordSubmit: "报送信息", auth.AuditRecordChange: "变更信息", auth.AuditCheck: "信用核查", auth.AuditCheckFeedback: "核查结果反馈", auth.AuditWatch: "读取关注主体变动", auth.AuditOrgChange: "机构变更",
	auth.AuditUserChange: "账户变更", auth.AuditClientChange: "接口密钥变更", auth.AuditKeyRotate: "密钥轮换", auth.AuditDenied: "拒绝访问",
	auth.AuditAuditRead: "查阅审计日志", auth.AuditQueryLogRead: "查阅查询记录",
	report.AuditIssue: "出具个人信用报告", report.AuditGrant: "登记书面授权",
	hiring.AuditQuery: "招录人选信用记录查询", hiring.AuditCase: "招录信用记录查询办理",
	lending.AuditRead: "金融机构授权查询（信易贷）", lending.AuditGrant: "信易贷授权", lending.AuditOutcome: "信易贷融资结果反馈", lending.AuditLender: "登记金融机构",
}

// auditRow is an audit entry with names for people.
type auditRow struct {
	auth.AuditEntry
	Label   string
	OrgName string
}

func (s *Server) auditRows(ctx context.Context, entries []auth.AuditEntry) []auditRow {
	names := map[int64]string{}
	rows := make([]auditRow, 0, len(entries))
	for _, e := range entries {
		name, ok := names[e.OrgID]
		if !ok && e.OrgID != 0 {
			if o, err := s.opts.Store.GetOrg(ctx, e.OrgID); err == nil {
				name = o.Name
			}
			names[e.OrgID] = name
		}
		label := actionLabels[e.Action]
		if label == "" {
			label = e.Action
		}
		rows = append(rows, auditRow{e, label, name})
	}
	return rows
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if d := s.decide(p, auth.AuditRead, auth.Resource{OrgPath: p.Org.Path}); !d.Allow {
		s.forbidden(w, r, d)
		return
	}
	ctx := r.Context()
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	f := store.AuditFilter{OrgPath: p.Org.Path, Before: before, Limit: 50}
	if a := r.URL.Query().Get("action"); a != "" {
		f.Actions = []string{a}
	}
	// The root's auditors see entries of no organisation too (anonymous
	// sign-in failures, the operator's commands).
	if p.Org.Kind == auth.Operator {
		f.OrgPath = ""
	}
	entries, err := s.opts.Store.ListAudit(ctx, f)
	if err != nil {
		s.serviceError(w, r, "read audit trail", err)
		return
	}
	s.audit(ctx, p, auth.AuditEntry{Action: auth.AuditAuditRead, Target: "audit", Outcome: "ok", Detail: strconv.Itoa(len(entries)) + " 条"})
	data := map[string]any{"Rows": s.auditRows(ctx, entries), "Action": r.URL.Query().Get("action"), "Labels": actionLabels}
	if len(entries) == f.Limit {
		data["Next"] = entries[len(entries)-1].Seq
	}
	s.render(w, r, http.StatusOK, "audit", "审计日志", data)
}

// myPage is a subject user's own page: its credit file and who looked it
// up, when and why.
func (s *Server) myPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	res := auth.Resource{SubjectID: p.SubjectID}
	if d := s.decide(p, auth.QueryLogRead, res); !d.Allow || p.SubjectID == 0 {
		s.forbidden(w, r, auth.Decision{Reason: "仅信用主体本人账户可查看"})
		return
	}
	ctx := r.Context()
	sub, err := s.opts.Store.GetSubject(ctx, p.SubjectID)
	if err != nil {
		s.serviceError(w, r, "read subject", err)
		return
	}
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	entries, err := s.opts.Store.ListAudit(ctx, store.AuditFilter{SubjectID: p.SubjectID, Actions: queryActions, Before: before, Limit: 50})
	if err != nil {
		s.serviceError(w, r, "read query history", err)
		return
	}
	others := entries[:0:0]
	for _, e := range entries {
		// The subject's own reads are not queries about it; every issue of
		// its report is listed, its own too.
		if e.Actor != p.String() || e.Action == report.AuditIssue {
			others = append(others, e)
		}
	}
	data := map[string]any{"Subject": sub, "Rows": s.auditRows(ctx, others), "Reports": s.opts.Reports != nil}
	if s.opts.Portal != nil {
		data["Ref"] = s.opts.Portal.SubjectRef(sub)
		own, err := s.opts.Portal.OwnRecords(ctx, sub.ID)
		if err != nil {
			s.serviceError(w, r, "read own records", err)
			return
		}
		data["Records"] = own
		s.audit(ctx, p, auth.AuditEntry{Action: auth.AuditSubjectRead, Target: "subject:" + strconv.FormatInt(sub.ID, 10), SubjectID: sub.ID,
			Purpose: "本人查阅", Outcome: "ok", Detail: strconv.Itoa(len(own)) + " 条记录"})
	}
	if len(entries) == 50 {
		data["Next"] = entries[len(entries)-1].Seq
	}
	s.render(w, r, http.StatusOK, "my", "我的信用", data)
}

// maxPurpose bounds a stated purpose.
const maxPurpose = 200

// purposeOf reads the stated purpose or case number of a non-public read.
func purposeOf(r *http.Request) string {
	p := strings.TrimSpace(r.URL.Query().Get("purpose"))
	if utf8.RuneCountInString(p) > maxPurpose {
		return ""
	}
	return p
}

// internalRecord answers a record page that is not public to a signed-in
// member of staff entitled to read it (record.read over the supplying
// department), after they state why: the read is recorded first, and
// with the subject, so that it shows in the subject's query history. It
// reports whether it answered.
func (s *Server) internalRecord(w http.ResponseWriter, r *http.Request) bool {
	p := who(r)
	if p.Kind != auth.UserKind || s.opts.Authorizer == nil {
		return false
	}
	on, hist, ok := s.asOf(w, r)
	if !ok {
		return true
	}
	ctx := r.Context()
	v, err := s.opts.Portal.RecordInternal(ctx, r.PathValue("ref"), on)
	if err != nil {
		return false
	}
	res := auth.Resource{SubjectID: v.SubjectID, Kind: v.Kind.Code}
	if o, err := s.opts.Store.FindOrgByUSCC(ctx, v.SourceDept); err == nil {
		res.OrgPath = o.Path
	}
	own := p.SubjectID != 0 && s.opts.Authorizer.Can(p, auth.SubjectFile, res)
	d := auth.Decision{Allow: true}
	if !own {
		d = s.decide(p, auth.RecordRead, res)
	}
	if !d.Allow {
		s.audit(ctx, p, auth.AuditEntry{Action: auth.AuditDenied, Target: "record:" + strconv.FormatInt(v.ID, 10), SubjectID: v.SubjectID, Outcome: "denied", Detail: d.Reason})
		return false
	}
	purpose := purposeOf(r)
	if own {
		purpose = "本人查阅"
	}
	if purpose == "" {
		s.render(w, r, http.StatusOK, "purpose", "查阅非公开信息", map[string]any{"R": v, "AsOf": r.URL.Query().Get("as_of")})
		return true
	}
	if _, err := s.mustAudit(ctx, p, auth.AuditEntry{Action: auth.AuditRecordRead, Target: "record:" + strconv.FormatInt(v.ID, 10),
		SubjectID: v.SubjectID, Purpose: purpose, Outcome: "ok", Detail: v.Kind.Name + " " + v.DecisionNo + "（" + v.Decision.Status.Label() + "）"}); err != nil {
		s.serviceError(w, r, "audit non-public read", err)
		return true
	}
	data := map[string]any{"R": v, "AsOf": on, "Historical": hist, "Internal": true, "Purpose": purpose,
		"CanExit": !hist && s.canExit(r, r.PathValue("ref")), "CanChange": !hist && s.canChange(r, r.PathValue("ref"))}
	s.withRepair(r, data)
	s.render(w, r, http.StatusOK, "record", v.Title(), data)
	return true
}
