package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/store"
)

// registerAccess adds sign-in, the account page, administration, the audit
// trail and the subject's own page.
func (s *Server) registerAccess(mux *http.ServeMux) {
	if s.opts.Authorizer == nil {
		return
	}
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("GET /login/totp", s.totpPage)
	mux.HandleFunc("POST /login/totp", s.loginTOTP)
	mux.HandleFunc("POST /logout", s.logout)
	s.registerOIDC(mux)
	mux.HandleFunc("GET /account", s.accountPage)
	mux.HandleFunc("POST /account/password", s.changePassword)
	mux.HandleFunc("POST /account/totp", s.enableTOTP)
	mux.HandleFunc("POST /account/totp/off", s.disableTOTP)
	s.registerAdmin(mux)
	s.registerAuditPages(mux)
}

// lockout is the policy in force.
var lockout = auth.DefaultLockout

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if who(r).Kind == auth.UserKind {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next"), "/account"), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", "登录", map[string]any{"Next": r.URL.Query().Get("next"), "OIDC": s.oidc != nil})
}

// signInFailed renders the sign-in form again with a message.
func (s *Server) signInFailed(w http.ResponseWriter, r *http.Request, status int, login, msg string) {
	s.render(w, r, status, "login", "登录", map[string]any{"Next": r.PostFormValue("next"), "Login": login, "Error": msg, "OIDC": s.oidc != nil})
}

const badCredentials = "登录名或密码错误"

func lockedMessage(u auth.User) string {
	return "该账户因连续多次登录失败已被临时锁定，请于 " + u.LockedUntil.In(calendar.Location()).Format("15:04") + " 后再试，或联系管理员"
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	login, pw := r.PostFormValue("login"), r.PostFormValue("password")
	if login == "" || pw == "" {
		s.signInFailed(w, r, http.StatusBadRequest, login, "请输入登录名和密码")
		return
	}
	anon := auth.Anyone
	u, err := s.opts.Store.GetUserByLogin(ctx, login)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.PasswordHash == "" {
		auth.BurnPasswordTime(pw)
		s.audit(ctx, anon, auth.AuditEntry{Action: auth.AuditSignIn, Target: "login:" + login, Outcome: "failed", Detail: "无此账户或未设密码"})
		s.signInFailed(w, r, http.StatusUnauthorized, login, badCredentials)
		return
	}
	if err != nil {
		s.serviceError(w, r, "read user", err)
		return
	}
	now := time.Now().UTC()
	if lockout.Locked(u, now) {
		s.audit(ctx, anon, auth.AuditEntry{Action: auth.AuditSignIn, Target: "login:" + login, Outcome: "locked"})
		s.signInFailed(w, r, http.StatusTooManyRequests, login, lockedMessage(u))
		return
	}
	if !auth.VerifyPassword(u.PasswordHash, pw) {
		s.failSignIn(ctx, w, r, u, "密码错误")
		return
	}
	if u.Disabled {
		s.audit(ctx, anon, auth.AuditEntry{Action: auth.AuditSignIn, Target: "login:" + login, Outcome: "disabled"})
		s.signInFailed(w, r, http.StatusForbidden, login, "该账户已停用，请联系管理员")
		return
	}
	if len(u.TOTPEnc) > 0 {
		if err := s.startSession(ctx, w, r, u, true); err != nil {
			s.serviceError(w, r, "start session", err)
			return
		}
		http.Redirect(w, r, "/login/totp?next="+url.QueryEscape(r.PostFormValue("next")), http.StatusSeeOther)
		return
	}
	s.completeSignIn(w, r, u, "password")
}

// failSignIn counts a failure against u (locking it at the limit) and
// answers the form.
func (s *Server) failSignIn(ctx context.Context, w http.ResponseWriter, r *http.Request, u auth.User, why string) {
	u, locked, err := s.countFailure(ctx, auth.Anyone, u, "failed", why)
	if err != nil {
		s.serviceError(w, r, "count failed sign-in", err)
		return
	}
	if locked {
		s.signInFailed(w, r, http.StatusTooManyRequests, u.Login, lockedMessage(u))
		return
	}
	s.signInFailed(w, r, http.StatusUnauthorized, u.Login, badCredentials)
}

// countFailure is the one place a failed proof of identity is counted:
// a wrong password at sign-in or on an account form (changing the
// password, turning off the second factor), a wrong or used TOTP code.
// It adds one to u's consecutive failures, locking the account at the
// limit (which signs it out everywhere), and appends a sign-in entry to
// the audit trail, by p, with outcome (or "locked") and why. It returns u
// as stored and whether it is now locked.
func (s *Server) countFailure(ctx context.Context, p auth.Principal, u auth.User, outcome, why string) (auth.User, bool, error) {
	now := time.Now().UTC()
	u = lockout.Fail(u, now)
	if err := s.opts.Store.UpdateUser(ctx, u, nil); err != nil {
		return u, false, err
	}
	locked := lockout.Locked(u, now)
	if locked {
		outcome = "locked"
		s.opts.Store.DeleteUserSessions(ctx, u.ID)
	}
	s.audit(ctx, p, auth.AuditEntry{Action: auth.AuditSignIn, Target: "login:" + u.Login, Outcome: outcome, Detail: why})
	return u, locked, nil
}

// completeSignIn starts a full session for u, resets its failure count and
// records the sign-in.
func (s *Server) completeSignIn(w http.ResponseWriter, r *http.Request, u auth.User, method string) {
	ctx := r.Context()
	if u.Failed != 0 || !u.LockedUntil.IsZero() {
		u.Failed, u.LockedUntil = 0, time.Time{}
		if err := s.opts.Store.UpdateUser(ctx, u, nil); err != nil {
			s.serviceError(w, r, "reset failed sign-ins", err)
			return
		}
	}
	if err := s.startSession(ctx, w, r, u, false); err != nil {
		s.serviceError(w, r, "start session", err)
		return
	}
	p, err := s.userPrincipal(ctx, u)
	if err != nil {
		s.serviceError(w, r, "read organisation", err)
		return
	}
	s.audit(ctx, p, auth.AuditEntry{Action: auth.AuditSignIn, Target: "login:" + u.Login, Outcome: "ok", Detail: method})
	next := r.PostFormValue("next")
	if next == "" {
		next = r.URL.Query().Get("next")
	}
	http.Redirect(w, r, localPath(next, "/account"), http.StatusSeeOther)
}

func (s *Server) totpPage(w http.ResponseWriter, r *http.Request) {
	if sess := sessionOf(r); sess == nil || !sess.Pending {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "totp", "动态验证码", map[string]any{"Next": r.URL.Query().Get("next")})
}

func (s *Server) loginTOTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess := sessionOf(r)
	if sess == nil || !sess.Pending || !checkCSRF(r) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	u, err := s.opts.Store.GetUser(ctx, sess.UserID)
	if err != nil {
		s.serviceError(w, r, "read user", err)
		return
	}
	if lockout.Locked(u, time.Now()) {
		s.opts.Store.DeleteSession(ctx, sess.TokenHash)
		s.clearCookie(w, r)
		s.signInFailed(w, r, http.StatusTooManyRequests, u.Login, lockedMessage(u))
		return
	}
	secret, err := s.opts.Keys.Decrypt(u.TOTPEnc)
	if err != nil {
		s.serviceError(w, r, "decrypt second factor", err)
		return
	}
	fail := func(why, msg string) {
		u, locked, err := s.countFailure(ctx, auth.Anyone, u, "totp_failed", why)
		if err != nil {
			s.serviceError(w, r, "count failed sign-in", err)
			return
		}
		if locked {
			s.clearCookie(w, r)
			s.signInFailed(w, r, http.StatusTooManyRequests, u.Login, lockedMessage(u))
			return
		}
		s.render(w, r, http.StatusUnauthorized, "totp", "动态验证码", map[string]any{"Next": r.PostFormValue("next"), "Error": msg})
	}
	step, ok := auth.TOTPStep(secret, r.PostFormValue("code"), time.Now())
	if !ok {
		fail("动态验证码错误", "动态验证码错误或已过期")
		return
	}
	// A code is good once: its step must be after the last one used, and
	// recording it is one conditional UPDATE, so of two sign-ins racing
	// with the same code one wins.
	fresh, err := s.opts.Store.UseTOTPStep(ctx, u.ID, step)
	if err != nil {
		s.serviceError(w, r, "record second factor", err)
		return
	}
	if !fresh {
		fail("动态验证码已使用过", "该动态验证码已使用过，请等待验证器显示新的验证码后再输入")
		return
	}
	s.completeSignIn(w, r, u, "password+totp")
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	if sess == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	s.opts.Store.DeleteSession(r.Context(), sess.TokenHash)
	s.audit(r.Context(), who(r), auth.AuditEntry{Action: auth.AuditSignOut, Outcome: "ok"})
	s.clearCookie(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// accountView is the account page's data.
type accountView struct {
	User     auth.User
	Org      auth.Org
	Roles    []auth.Role
	TOTP     bool
	Setup    map[string]string // a second factor being set up: secret and URL
	Message  string
	Error    string
	MinChars int
}

func (s *Server) account(r *http.Request) (accountView, error) {
	p := who(r)
	u, err := s.opts.Store.GetUser(r.Context(), p.ID)
	if err != nil {
		return accountView{}, err
	}
	v := accountView{User: u, Org: p.Org, TOTP: len(u.TOTPEnc) > 0, MinChars: auth.MinPasswordLength}
	for _, name := range u.Roles {
		if role, ok := s.opts.Authorizer.Roles.Get(name); ok {
			v.Roles = append(v.Roles, role)
		}
	}
	return v, nil
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireSignIn(w, r); !ok {
		return
	}
	v, err := s.account(r)
	if err != nil {
		s.serviceError(w, r, "read account", err)
		return
	}
	if r.URL.Query().Get("totp") == "setup" && !v.TOTP {
		secret, url, err := auth.NewTOTP(s.pages.siteName, v.User.Login)
		if err != nil {
			s.serviceError(w, r, "new second factor", err)
			return
		}
		v.Setup = map[string]string{"Secret": secret, "URL": url}
	}
	switch r.URL.Query().Get("done") {
	case "password":
		v.Message = "密码已修改，其他设备上的登录已退出。"
	case "totp":
		v.Message = "动态验证码已启用，下次登录时需要输入。"
	case "totp-off":
		v.Message = "动态验证码已停用。"
	}
	s.render(w, r, http.StatusOK, "account", "我的账户", v)
}

// accountForm checks what every account form needs: a signed-in user and
// the session's CSRF token.
func (s *Server) accountForm(w http.ResponseWriter, r *http.Request) (accountView, bool) {
	if _, ok := s.requireSignIn(w, r); !ok {
		return accountView{}, false
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return accountView{}, false
	}
	v, err := s.account(r)
	if err != nil {
		s.serviceError(w, r, "read account", err)
		return v, false
	}
	return v, true
}

// wrongCurrentPassword answers an account form (form names it) whose
// current password is wrong: it counts as a failed sign-in (the same
// counter and lock), so that a session left open cannot be used to guess
// the password. At the limit the account is locked and every session,
// this one too, ends.
func (s *Server) wrongCurrentPassword(w http.ResponseWriter, r *http.Request, v accountView, form string) {
	u, locked, err := s.countFailure(r.Context(), who(r), v.User, "failed", form+"：当前密码错误")
	if err != nil {
		s.serviceError(w, r, "count failed sign-in", err)
		return
	}
	if locked {
		s.clearCookie(w, r)
		s.signInFailed(w, r, http.StatusTooManyRequests, u.Login, lockedMessage(u))
		return
	}
	v.User = u
	v.Error = fmt.Sprintf("当前密码不正确（再错 %d 次账户将被临时锁定）", lockout.MaxFailures-u.Failed)
	s.render(w, r, http.StatusBadRequest, "account", "我的账户", v)
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	v, ok := s.accountForm(w, r)
	if !ok {
		return
	}
	u := v.User
	cur, pw, again := r.PostFormValue("current"), r.PostFormValue("password"), r.PostFormValue("again")
	fail := func(msg string) {
		v.Error = msg
		s.render(w, r, http.StatusBadRequest, "account", "我的账户", v)
	}
	if u.PasswordHash != "" && !auth.VerifyPassword(u.PasswordHash, cur) {
		s.wrongCurrentPassword(w, r, v, "修改密码")
		return
	}
	if pw != again {
		fail("两次输入的新密码不一致")
		return
	}
	if err := auth.ValidatePassword(u.Login, pw); err != nil {
		fail(err.Error())
		return
	}
	u.PasswordHash, u.PasswordSet = auth.HashPassword(pw), time.Now().UTC()
	e := auth.AuditEntry{Action: auth.AuditUserChange, Outcome: "ok", Detail: "修改密码", Actor: who(r).String(), OrgID: who(r).Org.ID}
	if err := s.opts.Store.UpdateUser(r.Context(), u, &e); err != nil {
		s.serviceError(w, r, "change password", err)
		return
	}
	// Every other session ends; this one starts afresh.
	s.opts.Store.DeleteUserSessions(r.Context(), u.ID)
	if err := s.startSession(r.Context(), w, r, u, false); err != nil {
		s.serviceError(w, r, "start session", err)
		return
	}
	http.Redirect(w, r, "/account?done=password", http.StatusSeeOther)
}

func (s *Server) enableTOTP(w http.ResponseWriter, r *http.Request) {
	v, ok := s.accountForm(w, r)
	if !ok {
		return
	}
	secret, code := r.PostFormValue("secret"), r.PostFormValue("code")
	if v.TOTP {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	step, good := auth.TOTPStep(secret, code, time.Now())
	if secret == "" || !good {
		v.Setup = map[string]string{"Secret": secret, "URL": r.PostFormValue("url")}
		v.Error = "动态验证码错误，请核对手机上的验证器后重新输入"
		s.render(w, r, http.StatusBadRequest, "account", "我的账户", v)
		return
	}
	u := v.User
	u.TOTPEnc = s.opts.Keys.Encrypt(secret)
	e := auth.AuditEntry{Action: auth.AuditUserChange, Outcome: "ok", Detail: "启用动态验证码", Actor: who(r).String(), OrgID: who(r).Org.ID}
	if err := s.opts.Store.UpdateUser(r.Context(), u, &e); err != nil {
		s.serviceError(w, r, "enable second factor", err)
		return
	}
	// The code that proved the setup is used: it cannot sign in too.
	if _, err := s.opts.Store.UseTOTPStep(r.Context(), u.ID, step); err != nil {
		s.serviceError(w, r, "record second factor", err)
		return
	}
	http.Redirect(w, r, "/account?done=totp", http.StatusSeeOther)
}

func (s *Server) disableTOTP(w http.ResponseWriter, r *http.Request) {
	v, ok := s.accountForm(w, r)
	if !ok {
		return
	}
	u := v.User
	if !auth.VerifyPassword(u.PasswordHash, r.PostFormValue("current")) {
		s.wrongCurrentPassword(w, r, v, "停用动态验证码")
		return
	}
	u.TOTPEnc = nil
	e := auth.AuditEntry{Action: auth.AuditUserChange, Outcome: "ok", Detail: "停用动态验证码", Actor: who(r).String(), OrgID: who(r).Org.ID}
	if err := s.opts.Store.UpdateUser(r.Context(), u, &e); err != nil {
		s.serviceError(w, r, "disable second factor", err)
		return
	}
	http.Redirect(w, r, "/account?done=totp-off", http.StatusSeeOther)
}

// serviceError logs an unexpected error and renders a 503.
func (s *Server) serviceError(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.pageError(w, r, fmt.Errorf("%s: %w", what, err))
}
