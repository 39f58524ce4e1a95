package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/fault"
)

func (s *Server) registerAdmin(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin", s.adminPage)
	mux.HandleFunc("POST /admin/orgs", s.adminAddOrg)
	mux.HandleFunc("POST /admin/orgs/{id}/{op}", s.adminOrgOp)
	mux.HandleFunc("POST /admin/users", s.adminAddUser)
	mux.HandleFunc("POST /admin/users/{id}/{op}", s.adminUserOp)
	mux.HandleFunc("POST /admin/clients", s.adminAddClient)
	mux.HandleFunc("POST /admin/clients/{id}/{op}", s.adminClientOp)
}

// adminView is the administration page's data.
type adminView struct {
	Orgs      []auth.Org
	OrgName   map[int64]string
	Users     []auth.User
	Clients   []auth.APIClient
	Roles     []auth.Role
	Scopes    []auth.ClientScope
	Message   string
	Error     string
	Secret    string // a password or API key shown once
	SecretFor string
}

// adminPrincipal checks that the signed-in user administers something.
func (s *Server) adminPrincipal(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return p, false
	}
	if d := s.decide(p, auth.UserManage, auth.Resource{OrgPath: p.Org.Path}); !d.Allow {
		s.forbidden(w, r, d)
		return p, false
	}
	return p, true
}

func (s *Server) adminData(r *http.Request, p auth.Principal) (adminView, error) {
	ctx := r.Context()
	v := adminView{OrgName: map[int64]string{}, Scopes: s.opts.Authorizer.Roles.ClientScopes()}
	var err error
	if v.Orgs, err = s.opts.Store.ListOrgs(ctx, p.Org.Path); err != nil {
		return v, err
	}
	for _, o := range v.Orgs {
		v.OrgName[o.ID] = o.Name
	}
	if v.Users, err = s.opts.Store.ListUsers(ctx, p.Org.Path); err != nil {
		return v, err
	}
	if v.Clients, err = s.opts.Store.ListClients(ctx, p.Org.Path); err != nil {
		return v, err
	}
	for _, role := range s.opts.Authorizer.Roles.List() {
		if role.Name != auth.Public {
			v.Roles = append(v.Roles, role)
		}
	}
	return v, nil
}

func (s *Server) adminPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.adminPrincipal(w, r)
	if !ok {
		return
	}
	s.renderAdmin(w, r, p, http.StatusOK, adminView{Message: r.URL.Query().Get("msg")})
}

// renderAdmin renders the page with v's message, error or secret.
func (s *Server) renderAdmin(w http.ResponseWriter, r *http.Request, p auth.Principal, status int, v adminView) {
	data, err := s.adminData(r, p)
	if err != nil {
		s.serviceError(w, r, "admin page", err)
		return
	}
	data.Message, data.Error, data.Secret, data.SecretFor = v.Message, v.Error, v.Secret, v.SecretFor
	s.render(w, r, status, "admin", "系统管理", data)
}

// adminForm checks a signed-in administrator and the CSRF token.
func (s *Server) adminForm(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, ok := s.adminPrincipal(w, r)
	if !ok {
		return p, false
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return p, false
	}
	return p, true
}

// adminFail renders the page with an error: bad input (422) and a taken
// name (409) change nothing; a denial is 403; the rest is pageError's.
func (s *Server) adminFail(w http.ResponseWriter, r *http.Request, p auth.Principal, err error) {
	switch k := fault.KindOf(err); k {
	case fault.Invalid, fault.Exists, fault.NotFound, fault.Refused:
		msg := fault.Message(err)
		if k == fault.NotFound {
			msg = "对象不存在"
		}
		s.renderAdmin(w, r, p, statusOf(k), adminView{Error: msg})
	default:
		s.pageError(w, r, err)
	}
}

// formErr is a form's invalid value.
func formErr(format string, args ...any) error { return fault.Newf(fault.Invalid, format, args...) }

// denied is an administrator's action outside their scope.
func denied(reason string) error { return fault.New(fault.Refused, "无权操作："+reason) }

// orgIn reads an organisation id from the form and checks that p may act
// on it with action a.
func (s *Server) orgIn(r *http.Request, p auth.Principal, field string, a auth.Action) (auth.Org, error) {
	id, err := strconv.ParseInt(r.PostFormValue(field), 10, 64)
	if err != nil {
		return auth.Org{}, formErr("请选择单位")
	}
	o, err := s.opts.Store.GetOrg(r.Context(), id)
	if err != nil {
		return o, err
	}
	if d := s.decide(p, a, auth.Resource{OrgPath: o.Path}); !d.Allow {
		return o, denied(d.Reason)
	}
	return o, nil
}

func (s *Server) entry(p auth.Principal, action, detail string) auth.AuditEntry {
	return auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: action, Outcome: "ok", Detail: detail}
}

func (s *Server) adminAddOrg(w http.ResponseWriter, r *http.Request) {
	p, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	parent, err := s.orgIn(r, p, "parent", auth.OrgManage)
	if err != nil {
		s.adminFail(w, r, p, err)
		return
	}
	o := auth.Org{ParentID: parent.ID, Kind: auth.OrgKind(r.PostFormValue("kind")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Region: strings.TrimSpace(r.PostFormValue("region")), USCC: strings.ToUpper(strings.TrimSpace(r.PostFormValue("uscc")))}
	if o.Kind == auth.Region {
		o.USCC = ""
	}
	o, err = s.opts.Store.CreateOrg(r.Context(), o, s.entry(p, auth.AuditOrgChange, "新建"+o.Kind.Label()+"："+o.Name))
	if err != nil {
		s.adminFail(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/admin?msg="+url.QueryEscape("已新建 "+o.Name), http.StatusSeeOther)
}

func (s *Server) adminOrgOp(w http.ResponseWriter, r *http.Request) {
	p, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	o, err := s.opts.Store.GetOrg(r.Context(), id)
	if err == nil {
		if d := s.decide(p, auth.OrgManage, auth.Resource{OrgPath: o.Path}); !d.Allow || o.ID == p.Org.ID {
			err = denied("不能停用本单位或上级单位")
		}
	}
	if err != nil {
		s.adminFail(w, r, p, err)
		return
	}
	disable := r.PathValue("op") == "disable"
	if !disable && r.PathValue("op") != "enable" {
		s.notFound(w, r)
		return
	}
	what := map[bool]string{true: "停用", false: "启用"}[disable]
	if err := s.opts.Store.SetOrgDisabled(r.Context(), o.ID, disable, s.entry(p, auth.AuditOrgChange, what+"："+o.Name)); err != nil {
		s.adminFail(w, r, p, err)
		return
	}
	http.Redirect(w, r, "/admin?msg="+url.QueryEscape("已"+what+" "+o.Name), http.StatusSeeOther)
}

// tempPassword is a password an administrator hands over once.
func tempPassword() string { return auth.NewToken(12) }

func (s *Server) adminAddUser(w http.ResponseWriter, r *http.Request) {
	p, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	u := auth.User{Login: strings.TrimSpace(r.PostFormValue("login")), Name: strings.TrimSpace(r.PostFormValue("name")), Roles: r.PostForm["role"]}
	if err := auth.ValidateLogin(u.Login); err != nil {
		s.adminFail(w, r, p, formErr("%s", err))
		return
	}
	if err := s.opts.Authorizer.Roles.CheckRoles(u.Roles); err != nil {
		s.adminFail(w, r, p, formErr("%s", err))
		return
	}
	if u.HasRole(auth.RoleSubject) {
		if len(u.Roles) > 1 {
			s.adminFail(w, r, p, formErr("信用主体用户不能兼任工作人员角色"))
			return
		}
		// A subject's account belongs to no organisation: only an
		// administrator of the whole platform creates one.
		if d := s.decide(p, auth.UserManage, auth.Resource{OrgPath: p.Org.Path}); !d.Allow || p.Org.Kind != auth.Operator {
			s.adminFail(w, r, p, denied("只有平台级管理员可以开通信用主体账户"))
			return
		}
		sub, err := s.opts.Store.FindSubjectByCode(ctx, strings.ToUpper(strings.TrimSpace(r.PostFormValue("subject"))))
		if err != nil {
			s.adminFail(w, r, p, formErr("找不到该统一社会信用代码或身份证号对应的信用主体"))
			return
		}
		u.SubjectID = sub.ID
	} else {
		org, err := s.orgIn(r, p, "org", auth.UserManage)
		if err != nil {
			s.adminFail(w, r, p, err)
			return
		}
		u.OrgID = org.ID
	}
	pw := tempPassword()
	u.PasswordHash, u.PasswordSet = auth.HashPassword(pw), time.Now().UTC()
	u, err := s.opts.Store.CreateUser(ctx, u, s.entry(p, auth.AuditUserChange, "新建账户，角色 "+strings.Join(u.Roles, ",")))
	if err != nil {
		s.adminFail(w, r, p, err)
		return
	}
	s.renderAdmin(w, r, p, http.StatusOK, adminView{Message: "已新建账户 " + u.Login, Secret: pw, SecretFor: "账户 " + u.Login + " 的初始密码"})
}

func (s *Server) adminUserOp(w http.ResponseWriter, r *http.Request) {
	p, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	u, err := s.opts.Store.GetUser(ctx, id)
	if err != nil {
		s.adminFail(w, r, p, err)
		return
	}
	res := auth.Resource{} // subject users: only the platform's administrators
	if p.Org.Kind == auth.Operator {
		res.OrgPath = p.Org.Path
	}
	if u.OrgID != 0 {
		o, err := s.opts.Store.GetOrg(ctx, u.OrgID)
		if err != nil {
			s.adminFail(w, r, p, err)
			return
		}
		res.OrgPath = o.Path
	}
	if d := s.decide(p, auth.UserManage, res); !d.Allow {
		s.adminFail(w, r, p, denied("超出本单位管理范围"))
		return
	}
	if u.ID == p.ID && r.PathValue("op") == "disable" {
		s.adminFail(w, r, p, formErr("不能停用自己的账户"))
		return
	}
	var detail, secret string
	switch r.PathValue("op") {
	case "disable":
		u.Disabled, detail = true, "停用账户"
	case "enable":
		u.Disabled, u.Failed, u.LockedUntil, detail = false, 0, time.Time{}, "启用账户"
	case "reset":
		secret = tempPassword()
		u.PasswordHash, u.PasswordSet, u.Failed, u.LockedUntil, detail = auth.HashPassword(secret), time.Now().UTC(), 0, time.Time{}, "重置密码"
	case "totp-off":
		u.TOTPEnc, detail = nil, "解除动态验证码"
	default:
		s.notFound(w, r)
		return
	}
	e := s.entry(p, auth.AuditUserChange, detail)
	if err := s.opts.Store.UpdateUser(ctx, u, &e); err != nil {
		s.adminFail(w, r, p, err)
		return
	}
	if u.Disabled || secret != "" {
		s.opts.Store.DeleteUserSessions(ctx, u.ID)
	}
	if secret != "" {
		s.renderAdmin(w, r, p, http.StatusOK, adminView{Message: "已重置 " + u.Login + " 的密码", Secret: secret, SecretFor: "账户 " + u.Login + " 的新密码"})
		return
	}
	http.Redirect(w, r, "/admin?msg="+url.QueryEscape(u.Login+"："+detail), http.StatusSeeOther)
}

func (s *Server) kindExists(k string) bool {
	if s.opts.Importer == nil {
		return false
	}
	_, ok := s.opts.Importer.Catalog.Kind(k)
	return ok
}

func (s *Server) adminAddClient(w http.ResponseWriter, r *http.Request) {
	p, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	org, err := s.orgIn(r, p, "org", auth.ClientManage)
	if err != nil {
		s.adminFail(w, r, p, err)
		return
	}
	if org.Kind != auth.Dept {
		s.adminFail(w, r, p, formErr("接口密钥只能发给部门"))
		return
	}
	scopes := strings.Fields(strings.ReplaceAll(r.PostFormValue("scopes"), ",", " "))
	if err := s.opts.Authorizer.Roles.CheckClientScopes(scopes, s.kindExists); err != nil {
		s.adminFail(w, r, p, formErr("%s", err))
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" {
		s.adminFail(w, r, p, formErr("请填写接入系统名称"))
		return
	}
	prefix, secret, key := auth.NewAPIKey()
	c, err := s.opts.Store.CreateClient(r.Context(), auth.APIClient{OrgID: org.ID, Name: name, Scopes: scopes, Prefix: prefix, SecretSum: auth.TokenHash(secret)},
		s.entry(p, auth.AuditClientChange, "新建接口密钥："+name+"，权限 "+strings.Join(scopes, " ")))
	if err != nil {
		s.adminFail(w, r, p, err)
		return
	}
	s.renderAdmin(w, r, p, http.StatusOK, adminView{Message: "已新建接口密钥 " + c.Name, Secret: key, SecretFor: "接入系统“" + c.Name + "”的接口密钥"})
}

func (s *Server) adminClientOp(w http.ResponseWriter, r *http.Request) {
	p, ok := s.adminForm(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	c, err := s.opts.Store.GetClient(ctx, id)
	if err == nil {
		var o auth.Org
		if o, err = s.opts.Store.GetOrg(ctx, c.OrgID); err == nil {
			if d := s.decide(p, auth.ClientManage, auth.Resource{OrgPath: o.Path}); !d.Allow {
				err = denied(d.Reason)
			}
		}
	}
	if err != nil {
		s.adminFail(w, r, p, err)
		return
	}
	var key, detail string
	switch r.PathValue("op") {
	case "rotate":
		if c.Revoked {
			s.adminFail(w, r, p, formErr("已吊销的密钥不能轮换"))
			return
		}
		var prefix, secret string
		prefix, secret, key = auth.NewAPIKey()
		c.Prefix, c.SecretSum, c.Rotated, detail = prefix, auth.TokenHash(secret), time.Now().UTC(), "轮换接口密钥"
	case "revoke":
		c.Revoked, detail = true, "吊销接口密钥"
	default:
		s.notFound(w, r)
		return
	}
	if err := s.opts.Store.UpdateClient(ctx, c, s.entry(p, auth.AuditClientChange, detail+"："+c.Name)); err != nil {
		s.adminFail(w, r, p, err)
		return
	}
	if key != "" {
		s.renderAdmin(w, r, p, http.StatusOK, adminView{Message: "已轮换 " + c.Name + " 的密钥，旧密钥立即失效", Secret: key, SecretFor: "接入系统“" + c.Name + "”的新接口密钥"})
		return
	}
	http.Redirect(w, r, "/admin?msg="+url.QueryEscape("已吊销 "+c.Name+" 的密钥"), http.StatusSeeOther)
}
