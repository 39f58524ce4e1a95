package web

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

// OIDCConfig configures sign-in through a province's single sign-on (an
// OpenID Connect provider). Accounts are not created by it: an
// administrator links an account to an identity ("ISSUER|SUB") first.
type OIDCConfig struct {
	Issuer       string // the provider's issuer URL, as its discovery document states it
	ClientID     string
	ClientSecret string
	RedirectURL  string // https://HOST/login/oidc/callback, registered at the provider
}

// validate reports a missing field.
func (c OIDCConfig) validate() error {
	switch {
	case c.Issuer == "":
		return errors.New("OIDC: the issuer is missing")
	case c.ClientID == "":
		return errors.New("OIDC: the client id is missing")
	case c.ClientSecret == "":
		return errors.New("OIDC: the client secret is missing")
	case c.RedirectURL == "":
		return errors.New("OIDC: the redirect URL is missing")
	}
	return nil
}

// oidcFlowCookie holds one sign-in attempt's state, nonce and PKCE
// verifier between the redirect to the provider and its callback.
const (
	oidcFlowCookie = "xy_oidc"
	oidcFlowPath   = "/login/oidc"
	oidcFlowTTL    = 10 * time.Minute
)

// oidcTimeout bounds each call to the provider (discovery, keys, token).
const oidcTimeout = 10 * time.Second

// oidcRetry is how long a failed discovery is remembered before the
// provider is asked again, so that an unreachable provider does not make
// every click wait for the timeout.
const oidcRetry = 5 * time.Second

// oidcClient discovers the provider on first use and keeps what it found.
type oidcClient struct {
	cfg  OIDCConfig
	http *http.Client

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
	err      error // the last discovery's failure
	failedAt time.Time
}

func newOIDCClient(cfg OIDCConfig) *oidcClient {
	return &oidcClient{cfg: cfg, http: &http.Client{Timeout: oidcTimeout}}
}

// clientContext makes go-oidc and oauth2 use c's HTTP client.
func (c *oidcClient) clientContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, c.http)
}

// ready returns the OAuth 2 configuration and the ID token verifier,
// discovering the provider when that has not succeeded yet.
func (c *oidcClient) ready(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.oauth != nil {
		return c.oauth, c.verifier, nil
	}
	if c.err != nil && time.Since(c.failedAt) < oidcRetry {
		return nil, nil, c.err
	}
	dctx, cancel := context.WithTimeout(c.clientContext(ctx), oidcTimeout)
	defer cancel()
	p, err := oidc.NewProvider(dctx, c.cfg.Issuer)
	if err != nil {
		c.err, c.failedAt = err, time.Now()
		return nil, nil, err
	}
	c.oauth = &oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, RedirectURL: c.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID}}
	// The key set lives as long as the server; its fetches use c's client.
	c.verifier = p.VerifierContext(c.clientContext(context.Background()), &oidc.Config{ClientID: c.cfg.ClientID})
	c.err = nil
	return c.oauth, c.verifier, nil
}

// registerOIDC adds single sign-on when it is configured.
func (s *Server) registerOIDC(mux *http.ServeMux) {
	if s.oidc == nil {
		return
	}
	mux.HandleFunc("GET /login/oidc", s.oidcStart)
	mux.HandleFunc("GET /login/oidc/callback", s.oidcCallback)
}

// oidcFlow is what the flow cookie carries.
type oidcFlow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next,omitempty"`
	Expires  int64  `json:"exp"` // Unix seconds; the cookie's Max-Age is only the browser's promise
}

// flowPurpose prefixes the sealed cookie's plaintext so that it cannot be
// mistaken for any other value sealed with the same keys.
const flowPurpose = "xinyong oidc flow\x00"

// sealFlow encodes f for the cookie: encrypted and authenticated with the
// data keys when the server has them (the PKCE verifier stays secret and
// the cookie cannot be forged), else plain.
func (s *Server) sealFlow(f oidcFlow) string {
	b, _ := json.Marshal(f)
	if k := s.opts.Keys; k != nil && k.Loaded() {
		b = k.Encrypt(flowPurpose + string(b))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) openFlow(v string) (oidcFlow, bool) {
	var f oidcFlow
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return f, false
	}
	if k := s.opts.Keys; k != nil && k.Loaded() {
		pt, err := k.Decrypt(b)
		if err != nil || len(pt) < len(flowPurpose) || pt[:len(flowPurpose)] != flowPurpose {
			return f, false
		}
		b = []byte(pt[len(flowPurpose):])
	}
	if json.Unmarshal(b, &f) != nil || f.State == "" || f.Nonce == "" || f.Verifier == "" || time.Now().Unix() > f.Expires {
		return f, false
	}
	return f, true
}

func (s *Server) setFlowCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: oidcFlowCookie, Value: value, Path: oidcFlowPath, HttpOnly: true,
		Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode, MaxAge: maxAge})
}

// oidcStart sends the browser to the provider, remembering the attempt.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"), "")
	if who(r).Kind == auth.UserKind {
		http.Redirect(w, r, localPath(next, "/account"), http.StatusSeeOther)
		return
	}
	oc, _, err := s.oidc.ready(r.Context())
	if err != nil {
		s.opts.Log.Error("OIDC discovery", "issuer", s.oidc.cfg.Issuer, "err", err)
		s.oidcFailed(w, r, http.StatusServiceUnavailable, next, "oidc", "无法连接统一身份认证服务",
			"统一身份认证服务暂时无法连接，请稍后再试或使用密码登录")
		return
	}
	f := oidcFlow{State: auth.NewToken(24), Nonce: auth.NewToken(24), Verifier: oauth2.GenerateVerifier(), Next: next,
		Expires: time.Now().Add(oidcFlowTTL).Unix()}
	s.setFlowCookie(w, r, s.sealFlow(f), int(oidcFlowTTL/time.Second))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, oc.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusFound)
}

// oidcCallback finishes the attempt: the state must match the cookie's,
// the code is exchanged (with the PKCE verifier), the ID token verified
// (signature, issuer, audience, expiry) and its nonce matched; then the
// linked account, if any and usable, is signed in.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	// The attempt is used up whatever happens.
	s.setFlowCookie(w, r, "", -1)
	w.Header().Set("Cache-Control", "no-store")
	var f oidcFlow
	c, err := r.Cookie(oidcFlowCookie)
	ok := err == nil
	if ok {
		f, ok = s.openFlow(c.Value)
	}
	const retry = "统一身份认证登录未完成，请重新登录"
	if !ok || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		s.oidcFailed(w, r, http.StatusBadRequest, f.Next, "oidc", "state 不符或登录请求已过期", "登录请求已过期或无效，请重新登录")
		return
	}
	if e := q.Get("error"); e != "" {
		s.oidcFailed(w, r, http.StatusUnauthorized, f.Next, "oidc", "身份认证服务返回错误："+clip(e, 64), retry)
		return
	}
	code := q.Get("code")
	if code == "" {
		s.oidcFailed(w, r, http.StatusBadRequest, f.Next, "oidc", "回调缺少授权码", retry)
		return
	}
	oc, verifier, err := s.oidc.ready(ctx)
	if err != nil {
		s.opts.Log.Error("OIDC discovery", "issuer", s.oidc.cfg.Issuer, "err", err)
		s.oidcFailed(w, r, http.StatusServiceUnavailable, f.Next, "oidc", "无法连接统一身份认证服务",
			"统一身份认证服务暂时无法连接，请稍后再试或使用密码登录")
		return
	}
	pctx, cancel := context.WithTimeout(s.oidc.clientContext(ctx), oidcTimeout)
	defer cancel()
	tok, err := oc.Exchange(pctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		s.opts.Log.Warn("OIDC code exchange", "err", err)
		s.oidcFailed(w, r, http.StatusBadGateway, f.Next, "oidc", "授权码换取令牌失败", retry)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		s.oidcFailed(w, r, http.StatusBadGateway, f.Next, "oidc", "令牌响应中没有 ID 令牌", retry)
		return
	}
	idt, err := verifier.Verify(pctx, raw)
	if err != nil {
		s.opts.Log.Warn("OIDC ID token rejected", "err", err)
		s.oidcFailed(w, r, http.StatusUnauthorized, f.Next, "oidc", "ID 令牌校验失败", retry)
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		s.oidcFailed(w, r, http.StatusUnauthorized, f.Next, "oidc", "ID 令牌的 nonce 不符", retry)
		return
	}
	identity := s.oidc.cfg.Issuer + "|" + idt.Subject
	target := "oidc:" + identity
	u, err := s.opts.Store.GetUserByOIDC(ctx, identity)
	if errors.Is(err, store.ErrNotFound) {
		s.oidcFailed(w, r, http.StatusForbidden, f.Next, target, "身份未关联任何账户", "未开通账户，请联系管理员")
		return
	}
	if err != nil {
		s.serviceError(w, r, "read user by OIDC identity", err)
		return
	}
	anon := auth.Anyone
	if u.Disabled {
		s.audit(ctx, anon, auth.AuditEntry{Action: auth.AuditSignIn, Target: "login:" + u.Login, Outcome: "disabled", Detail: "oidc"})
		s.oidcRefused(w, r, http.StatusForbidden, f.Next, "该账户已停用，请联系管理员")
		return
	}
	if lockout.Locked(u, time.Now()) {
		s.audit(ctx, anon, auth.AuditEntry{Action: auth.AuditSignIn, Target: "login:" + u.Login, Outcome: "locked", Detail: "oidc"})
		s.oidcRefused(w, r, http.StatusTooManyRequests, f.Next, lockedMessage(u))
		return
	}
	// completeSignIn takes the destination from the query: put the one
	// remembered at the start there, in place of the code and state.
	r = r.Clone(ctx)
	r.URL.RawQuery = url.Values{"next": {f.Next}}.Encode()
	s.completeSignIn(w, r, u, "oidc")
}

// oidcFailed records a failed single sign-on attempt and answers with the
// sign-in page. detail says why, for the audit trail; msg is for the user.
func (s *Server) oidcFailed(w http.ResponseWriter, r *http.Request, status int, next, target, detail, msg string) {
	s.audit(r.Context(), auth.Anyone, auth.AuditEntry{Action: auth.AuditSignIn, Target: target, Outcome: "failed", Detail: detail})
	s.oidcRefused(w, r, status, next, msg)
}

// oidcRefused renders the sign-in page with msg.
func (s *Server) oidcRefused(w http.ResponseWriter, r *http.Request, status int, next, msg string) {
	s.render(w, r, status, "login", "登录", map[string]any{"Next": next, "Error": msg, "OIDC": true})
}

// clip shortens s to at most n runes (text from outside going into the
// audit trail).
func clip(s string, n int) string {
	rs := []rune(s)
	if len(rs) > n {
		return string(rs[:n])
	}
	return s
}
