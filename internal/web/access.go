package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "xy_session"

// touchEvery is how stale a session's last-seen time may get before a
// request writes it again: one write a minute, not one per request.
const touchEvery = time.Minute

type ctxKey int

const (
	principalKey ctxKey = iota
	sessionKey
	peerConnKey // a connection with a verified client certificate (peerConnFrom)
)

// who is the principal a request acts as.
func who(r *http.Request) auth.Principal {
	if p, ok := r.Context().Value(principalKey).(auth.Principal); ok {
		return p
	}
	return auth.Anyone
}

// principalFrom is who for handlers that get only a context (the API).
func principalFrom(ctx context.Context) auth.Principal {
	if p, ok := ctx.Value(principalKey).(auth.Principal); ok {
		return p
	}
	return auth.Anyone
}

// sessionOf is the request's live session, if signed in.
func sessionOf(r *http.Request) *auth.Session {
	s, _ := r.Context().Value(sessionKey).(*auth.Session)
	return s
}

// identify resolves the caller: an API key in Authorization: Bearer, or a
// session cookie. Anonymous requests (the portal's public traffic) touch
// no table. A key that is wrong, revoked or of a disabled organisation is
// refused at once with 401; a stale cookie is dropped. A verified client
// certificate (mutual TLS) without a key is noted for the operations that
// accept one (peerConnFrom), rate limited as a key is.
func (s *Server) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if c := exchange.PeerCert(r.TLS); c != nil && r.Header.Get("Authorization") == "" {
			if ok, wait := s.clientLimiter.allowKey("cert:"+exchange.CertFingerprint(c.Raw), time.Now()); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(max(int(math.Ceil(wait.Seconds())), 1)))
				writeProblem(w, fault.New(fault.TooMany, "接口调用过于频繁，请稍后再试"))
				return
			}
			ctx = context.WithValue(ctx, peerConnKey, r.TLS)
			r = r.WithContext(ctx)
		}
		if h := r.Header.Get("Authorization"); h != "" {
			p, err := s.clientPrincipal(ctx, h)
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="xinyong"`)
				writeProblem(w, err)
				return
			}
			if ok, wait := s.clientLimiter.allowKey(p.Name, time.Now()); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(max(int(math.Ceil(wait.Seconds())), 1)))
				writeProblem(w, fault.New(fault.TooMany, "接口调用过于频繁，请稍后再试"))
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, principalKey, p)))
			return
		}
		c, err := r.Cookie(SessionCookie)
		if err != nil || c.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		sess, p, err := s.sessionPrincipal(ctx, c.Value)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) && !clientGone(r, err) {
				s.opts.Log.Error("read session", "err", err)
			}
			s.clearCookie(w, r)
			next.ServeHTTP(w, r)
			return
		}
		ctx = context.WithValue(ctx, sessionKey, sess)
		if !sess.Pending {
			ctx = context.WithValue(ctx, principalKey, p)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

var errBadKey = fault.New(fault.Unauthenticated, "接口密钥无效、已轮换或已吊销")

func (s *Server) clientPrincipal(ctx context.Context, header string) (auth.Principal, error) {
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return auth.Principal{}, fault.New(fault.Unauthenticated, "Authorization 应为 Bearer 接口密钥")
	}
	prefix, secret, ok := auth.ParseAPIKey(strings.TrimSpace(token))
	if !ok {
		return auth.Principal{}, errBadKey
	}
	c, err := s.opts.Store.GetClientByPrefix(ctx, prefix)
	if err != nil || c.Revoked || !c.Matches(secret) {
		return auth.Principal{}, errBadKey
	}
	org, err := s.opts.Store.GetOrg(ctx, c.OrgID)
	if err != nil {
		return auth.Principal{}, errBadKey
	}
	if org.Disabled {
		return auth.Principal{}, fault.New(fault.Unauthenticated, "接口密钥所属单位已停用")
	}
	if time.Since(c.LastUsed) > touchEvery {
		if err := s.opts.Store.TouchClient(ctx, c.ID); err != nil {
			s.opts.Log.Warn("record API client use", "err", err)
		}
	}
	return auth.Principal{Kind: auth.Client, ID: c.ID, Name: c.Prefix, Org: org, Scopes: c.Scopes}, nil
}

func (s *Server) sessionPrincipal(ctx context.Context, token string) (*auth.Session, auth.Principal, error) {
	sess, err := s.opts.Store.GetSession(ctx, auth.TokenHash(token))
	if err != nil {
		return nil, auth.Principal{}, err
	}
	now := time.Now().UTC()
	if !sess.Live(now) {
		s.opts.Store.DeleteSession(ctx, sess.TokenHash)
		return nil, auth.Principal{}, store.ErrNotFound
	}
	u, err := s.opts.Store.GetUser(ctx, sess.UserID)
	if err != nil {
		return nil, auth.Principal{}, err
	}
	if u.Disabled {
		s.opts.Store.DeleteUserSessions(ctx, u.ID)
		return nil, auth.Principal{}, store.ErrNotFound
	}
	p, err := s.userPrincipal(ctx, u)
	if err != nil {
		return nil, auth.Principal{}, err
	}
	if now.Sub(sess.LastSeen) > touchEvery {
		sess.LastSeen = now
		if err := s.opts.Store.UpdateSession(ctx, sess); err != nil {
			s.opts.Log.Warn("touch session", "err", err)
		}
	}
	return &sess, p, nil
}

func (s *Server) userPrincipal(ctx context.Context, u auth.User) (auth.Principal, error) {
	p := auth.Principal{Kind: auth.UserKind, ID: u.ID, Name: u.Login, Roles: u.Roles, SubjectID: u.SubjectID}
	if u.OrgID != 0 {
		org, err := s.opts.Store.GetOrg(ctx, u.OrgID)
		if err != nil {
			return p, err
		}
		p.Org = org
	}
	return p, nil
}

// secureCookies reports whether cookies get the Secure attribute.
func (s *Server) secureCookies(r *http.Request) bool {
	return !s.opts.InsecureCookies || r.TLS != nil
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.secureCookies(r),
		SameSite: http.SameSiteLaxMode, MaxAge: int(auth.SessionLifetime / time.Second)})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.secureCookies(r),
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// startSession signs u in (or half in, pending a second factor): a new
// token every time, so that a token seen before sign-in is worthless.
func (s *Server) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, u auth.User, pending bool) error {
	if old := sessionOf(r); old != nil {
		s.opts.Store.DeleteSession(ctx, old.TokenHash)
	}
	now := time.Now().UTC()
	token := auth.NewToken(32)
	sess := auth.Session{TokenHash: auth.TokenHash(token), UserID: u.ID, CSRF: auth.NewToken(24), Pending: pending,
		Created: now, LastSeen: now, Expires: now.Add(auth.SessionLifetime)}
	if err := s.opts.Store.CreateSession(ctx, sess); err != nil {
		return err
	}
	s.setSessionCookie(w, r, token)
	return nil
}

// checkCSRF guards every state-changing form of a signed-in session: the
// form must carry the session's token. (Cross-origin requests are refused
// before this by http.CrossOriginProtection; the token also covers old
// browsers that send neither Sec-Fetch-Site nor Origin.)
func checkCSRF(r *http.Request) bool {
	sess := sessionOf(r)
	return sess != nil && r.PostFormValue("csrf") != "" && r.PostFormValue("csrf") == sess.CSRF
}

// staleForm answers a form whose CSRF token is missing or not the
// session's: nothing is changed.
func (s *Server) staleForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusForbidden, "error", "请求无效", "表单已过期，请刷新页面后重试。")
}

// localPath returns next when it is a path on this site, else fallback,
// so that a sign-in cannot be turned into an open redirect.
func localPath(next, fallback string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return fallback
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return fallback
	}
	return next
}

// audit appends an entry for principal p, logging (never failing the
// request on) a write error: the caller decides whether a missing entry
// must stop what it does (reads of non-public data use mustAudit).
func (s *Server) audit(ctx context.Context, p auth.Principal, e auth.AuditEntry) {
	if _, err := s.mustAudit(ctx, p, e); err != nil {
		s.opts.Log.Error("audit trail", "action", e.Action, "err", err)
	}
}

// mustAudit appends an entry for principal p and returns the error.
func (s *Server) mustAudit(ctx context.Context, p auth.Principal, e auth.AuditEntry) (auth.AuditEntry, error) {
	e.Actor, e.OrgID = p.String(), p.Org.ID
	return s.opts.Store.Audit(ctx, e)
}

// decide asks the authorizer; with none configured (tests of the public
// portal alone) only public reads are allowed.
func (s *Server) decide(p auth.Principal, a auth.Action, res auth.Resource) auth.Decision {
	if s.opts.Authorizer == nil {
		return auth.Decision{Allow: a == auth.PublicRead, Reason: "未配置权限"}
	}
	return s.opts.Authorizer.Decide(p, a, res)
}

// requireSignIn sends an anonymous visitor to the sign-in page and
// reports whether the request may go on.
func (s *Server) requireSignIn(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p := who(r)
	if p.Kind != auth.UserKind {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return p, false
	}
	return p, true
}

// forbidden renders the denial's reason.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, d auth.Decision) {
	s.pageError(w, r, fault.New(fault.Refused, "无权访问："+d.Reason))
}
