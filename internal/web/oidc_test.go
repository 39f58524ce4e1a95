package web

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

// fakeIdP is a minimal OpenID Connect provider: discovery, a key set, an
// authorization endpoint that approves at once (asserting sub) and a token
// endpoint that checks the client, the code, the redirect URL and the PKCE
// verifier before returning an ID token with the nonce it was given.
type fakeIdP struct {
	t        *testing.T
	srv      *httptest.Server
	key      *rsa.PrivateKey // published in the key set
	other    *rsa.PrivateKey // not published
	clientID string
	secret   string
	redirect string

	mu         sync.Mutex
	sub        string // the identity the next sign-in asserts
	deny       bool   // answer the authorization request with error=access_denied
	wrongNonce bool   // put another nonce in the ID token
	wrongKey   bool   // sign the ID token with the unpublished key
	codes      map[string]fakeGrant
	issued     []string // every ID token issued
}

type fakeGrant struct{ nonce, challenge, sub string }

// idpKeys are the fake identity provider's signing key and another one,
// made once for all tests: generating RSA keys is slow.
var idpKeys = sync.OnceValues(func() (*rsa.PrivateKey, *rsa.PrivateKey) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return key, other
})

func newFakeIdP(t *testing.T) *fakeIdP {
	t.Helper()
	key, other := idpKeys()
	p := &fakeIdP{t: t, key: key, other: other, clientID: "xinyong-test", secret: "client-secret", codes: map[string]fakeGrant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *fakeIdP) issuer() string { return p.srv.URL }

func (p *fakeIdP) set(f func(p *fakeIdP)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

func (p *fakeIdP) discovery(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                p.issuer(),
		"authorization_endpoint":                p.issuer() + "/authorize",
		"token_endpoint":                        p.issuer() + "/token",
		"jwks_uri":                              p.issuer() + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

func (p *fakeIdP) jwks(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &p.key.PublicKey, KeyID: "k1", Algorithm: string(jose.RS256), Use: "sig"},
	}})
}

func (p *fakeIdP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("client_id") != p.clientID, q.Get("redirect_uri") != p.redirect, q.Get("response_type") != "code",
		!strings.Contains(" "+q.Get("scope")+" ", " openid "), q.Get("state") == "", q.Get("nonce") == "",
		q.Get("code_challenge_method") != "S256", q.Get("code_challenge") == "":
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	back := url.Values{"state": {q.Get("state")}}
	if p.deny {
		back.Set("error", "access_denied")
	} else {
		code := auth.NewToken(16)
		p.codes[code] = fakeGrant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), sub: p.sub}
		back.Set("code", code)
	}
	http.Redirect(w, r, p.redirect+"?"+back.Encode(), http.StatusFound)
}

func (p *fakeIdP) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if id != p.clientID || secret != p.secret {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	g, ok := p.codes[r.PostFormValue("code")]
	delete(p.codes, r.PostFormValue("code")) // single use
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if !ok || r.PostFormValue("grant_type") != "authorization_code" || r.PostFormValue("redirect_uri") != p.redirect ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	nonce, key := g.nonce, p.key
	if p.wrongNonce {
		nonce = "another-nonce"
	}
	if p.wrongKey {
		key = p.other
	}
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{"iss": p.issuer(), "sub": g.sub, "aud": p.clientID,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": nonce})
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		p.t.Error(err)
		return
	}
	jws, err := signer.Sign(claims)
	if err != nil {
		p.t.Error(err)
		return
	}
	idToken, _ := jws.CompactSerialize()
	p.issued = append(p.issued, idToken)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": auth.NewToken(16), "token_type": "Bearer", "expires_in": 300, "id_token": idToken})
}

func tokenError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code})
}

// newOIDCEnv is newAccessEnv with single sign-on through a fake provider.
func newOIDCEnv(t *testing.T) (accessEnv, *fakeIdP) {
	t.Helper()
	env := newAccessEnv(t)
	idp := newFakeIdP(t)
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	idp.redirect = "http://" + srv.Listener.Addr().String() + "/login/oidc/callback"
	opts := env.opts
	opts.OIDC = &OIDCConfig{Issuer: idp.issuer(), ClientID: idp.clientID, ClientSecret: idp.secret, RedirectURL: idp.redirect}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	env.srv = srv
	return env, idp
}

// link gives the account login the provider's identity sub, changing it
// with change first.
func (env accessEnv) link(t *testing.T, idp *fakeIdP, login, sub string, change func(*auth.User)) {
	t.Helper()
	ctx := context.Background()
	u, err := env.s.GetUserByLogin(ctx, login)
	if err != nil {
		t.Fatal(err)
	}
	u.OIDCSubject = idp.issuer() + "|" + sub
	if change != nil {
		change(&u)
	}
	if err := env.s.UpdateUser(ctx, u, nil); err != nil {
		t.Fatal(err)
	}
}

// oidcRoundTrip starts a sign-on at start and follows the provider's
// redirect. It returns the callback URL (not yet visited) and the flow
// cookie set at the start.
func (b *browser) oidcRoundTrip(start string) (callback string, flow *http.Cookie) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+start, nil)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		b.t.Fatalf("start of sign-on: %d", resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == oidcFlowCookie {
			flow = c
		}
	}
	// At the provider (which has no cookie of ours), and back.
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = plain.Get(resp.Header.Get("Location"))
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		b.t.Fatalf("the provider refused the authorization request: %d", resp.StatusCode)
	}
	return resp.Header.Get("Location"), flow
}

// visit gets an absolute URL.
func (b *browser) visit(u string) (int, string, http.Header) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	return b.do(req)
}

// signInAudit returns the sign-in entries, newest first.
func (env accessEnv) signInAudit(t *testing.T) []auth.AuditEntry {
	t.Helper()
	entries, err := env.s.ListAudit(context.Background(), store.AuditFilter{Actions: []string{auth.AuditSignIn}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// assertNoTokens fails when an ID token the provider issued is in the
// audit trail.
func (env accessEnv) assertNoTokens(t *testing.T, idp *fakeIdP) {
	t.Helper()
	idp.mu.Lock()
	defer idp.mu.Unlock()
	for _, e := range env.signInAudit(t) {
		for _, tok := range idp.issued {
			if strings.Contains(e.Target+e.Detail, tok) || strings.Contains(e.Target+e.Detail, strings.Split(tok, ".")[2]) {
				t.Fatalf("an ID token in the audit trail: %+v", e)
			}
		}
	}
}

func TestOIDCNotConfigured(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	b := env.browser(t)
	if _, body := b.get("/login"); strings.Contains(body, "/login/oidc") {
		t.Error("the sign-in page offers single sign-on without it configured")
	}
	if code, _ := b.get("/login/oidc"); code != http.StatusNotFound {
		t.Errorf("/login/oidc without single sign-on: %d", code)
	}
}

// TestOIDCSignIn: a linked account signs in through the provider, lands on
// the page it asked for and has a session; the flow cookie is HttpOnly,
// SameSite=Lax and scoped to the sign-on paths; the callback cannot be
// replayed.
func TestOIDCSignIn(t *testing.T) {
	t.Parallel()
	env, idp := newOIDCEnv(t)
	env.link(t, idp, "clerk.xian", "u-1001", nil)
	idp.set(func(p *fakeIdP) { p.sub = "u-1001" })
	b := env.browser(t)
	if _, body := b.get("/login?next=/account"); !strings.Contains(body, `href="/login/oidc?next=`) {
		t.Fatalf("no single sign-on link on the sign-in page: %s", body)
	}
	callback, flow := b.oidcRoundTrip("/login/oidc?next=" + url.QueryEscape("/account?from=sso"))
	if flow == nil || !flow.HttpOnly || flow.SameSite != http.SameSiteLaxMode || flow.Path != "/login/oidc" || flow.MaxAge <= 0 {
		t.Fatalf("flow cookie: %+v", flow)
	}
	if strings.Contains(flow.Value, "u-1001") || len(flow.Value) < 40 {
		t.Errorf("flow cookie value looks wrong: %q", flow.Value)
	}
	code, body, h := b.visit(callback)
	if code != http.StatusSeeOther || h.Get("Location") != "/account?from=sso" {
		t.Fatalf("callback: %d %s %s", code, h.Get("Location"), body)
	}
	code, body = b.get("/account")
	if code != http.StatusOK || !strings.Contains(body, "西安市市场监督管理局") {
		t.Fatalf("account page after single sign-on: %d", code)
	}
	e := env.signInAudit(t)[0]
	if e.Outcome != "ok" || e.Detail != "oidc" || e.Target != "login:clerk.xian" {
		t.Errorf("audit entry: %+v", e)
	}
	// The same callback again: the flow cookie is gone, so is the code.
	other := env.browser(t)
	if code, _, _ := other.visit(callback); code != http.StatusBadRequest {
		t.Errorf("a replayed callback in another browser: %d", code)
	}
	if code, _, _ := b.visit(callback); code != http.StatusBadRequest {
		t.Errorf("a replayed callback in the same browser: %d", code)
	}
	env.assertNoTokens(t, idp)

	// An off-site next is dropped.
	c := env.browser(t)
	callback, _ = c.oidcRoundTrip("/login/oidc?next=" + url.QueryEscape("//evil.example/"))
	if code, _, h := c.visit(callback); code != http.StatusSeeOther || h.Get("Location") != "/account" {
		t.Errorf("off-site next: %d %s", code, h.Get("Location"))
	}
}

// TestOIDCUnknownIdentity: an identity linked to no account is refused
// with a message and recorded; no session starts.
func TestOIDCUnknownIdentity(t *testing.T) {
	t.Parallel()
	env, idp := newOIDCEnv(t)
	idp.set(func(p *fakeIdP) { p.sub = "stranger-7" })
	b := env.browser(t)
	callback, _ := b.oidcRoundTrip("/login/oidc")
	code, body, _ := b.visit(callback)
	if code != http.StatusForbidden || !strings.Contains(body, "未开通账户，请联系管理员") {
		t.Fatalf("unknown identity: %d %s", code, body)
	}
	if code, _ := b.get("/account"); code != http.StatusSeeOther {
		t.Errorf("signed in with an unknown identity: %d", code)
	}
	e := env.signInAudit(t)[0]
	if e.Outcome != "failed" || e.Target != "oidc:"+idp.issuer()+"|stranger-7" || e.Detail == "" {
		t.Errorf("audit entry: %+v", e)
	}
	env.assertNoTokens(t, idp)
}

// TestOIDCWrongState: a callback whose state is not the one in the flow
// cookie, or that comes without the cookie, is refused before the code is
// used.
func TestOIDCWrongState(t *testing.T) {
	t.Parallel()
	env, idp := newOIDCEnv(t)
	env.link(t, idp, "clerk.xian", "u-1001", nil)
	idp.set(func(p *fakeIdP) { p.sub = "u-1001" })
	b := env.browser(t)
	callback, _ := b.oidcRoundTrip("/login/oidc")
	u, _ := url.Parse(callback)
	q := u.Query()
	q.Set("state", "forged-state")
	u.RawQuery = q.Encode()
	code, body, _ := b.visit(u.String())
	if code != http.StatusBadRequest || !strings.Contains(body, "登录请求已过期或无效") {
		t.Fatalf("wrong state: %d", code)
	}
	if code, _ := b.get("/account"); code != http.StatusSeeOther {
		t.Errorf("signed in with a wrong state: %d", code)
	}
	// Somebody else's callback (login CSRF): no flow cookie here.
	victim := env.browser(t)
	callback, _ = env.browser(t).oidcRoundTrip("/login/oidc")
	if code, _, _ := victim.visit(callback); code != http.StatusBadRequest {
		t.Errorf("a callback without the flow cookie: %d", code)
	}
	// A forged flow cookie does not open.
	forger := env.browser(t)
	callback, _ = forger.oidcRoundTrip("/login/oidc")
	cb, _ := url.Parse(callback)
	forged, _ := json.Marshal(oidcFlow{State: cb.Query().Get("state"), Nonce: "n", Verifier: "v", Expires: time.Now().Add(time.Hour).Unix()})
	forger.c.Jar.SetCookies(cb, []*http.Cookie{{Name: oidcFlowCookie, Value: base64.RawURLEncoding.EncodeToString(forged), Path: "/login/oidc"}})
	if code, _, _ := forger.visit(callback); code != http.StatusBadRequest {
		t.Errorf("a forged flow cookie: %d", code)
	}
	n := 0
	for _, e := range env.signInAudit(t) {
		if e.Outcome == "failed" && strings.Contains(e.Detail, "state") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d state failures in the audit trail, want 3", n)
	}
}

// TestOIDCAccountRefused: a disabled or locked account linked to the
// identity is refused.
func TestOIDCAccountRefused(t *testing.T) {
	t.Parallel()
	env, idp := newOIDCEnv(t)
	env.link(t, idp, "clerk.baoji", "u-2002", func(u *auth.User) { u.Disabled = true })
	env.link(t, idp, "clerk.xian", "u-1001", func(u *auth.User) { u.LockedUntil = time.Now().Add(10 * time.Minute) })
	for _, c := range []struct {
		sub, outcome, msg string
		code              int
	}{
		{"u-2002", "disabled", "该账户已停用", http.StatusForbidden},
		{"u-1001", "locked", "锁定", http.StatusTooManyRequests},
	} {
		idp.set(func(p *fakeIdP) { p.sub = c.sub })
		b := env.browser(t)
		callback, _ := b.oidcRoundTrip("/login/oidc")
		code, body, _ := b.visit(callback)
		if code != c.code || !strings.Contains(body, c.msg) {
			t.Errorf("%s: %d", c.outcome, code)
		}
		if code, _ := b.get("/account"); code != http.StatusSeeOther {
			t.Errorf("%s: signed in: %d", c.outcome, code)
		}
		if e := env.signInAudit(t)[0]; e.Outcome != c.outcome || e.Detail != "oidc" {
			t.Errorf("%s: audit entry %+v", c.outcome, e)
		}
	}
}

// TestOIDCBadIDToken: an ID token with another nonce, or signed by a key
// the provider does not publish, is refused; so is the provider's own
// refusal.
func TestOIDCBadIDToken(t *testing.T) {
	t.Parallel()
	env, idp := newOIDCEnv(t)
	env.link(t, idp, "clerk.xian", "u-1001", nil)
	for name, bad := range map[string]func(p *fakeIdP){
		"wrong nonce":    func(p *fakeIdP) { p.wrongNonce = true },
		"other key":      func(p *fakeIdP) { p.wrongKey = true },
		"provider error": func(p *fakeIdP) { p.deny = true },
	} {
		idp.set(func(p *fakeIdP) {
			p.sub, p.wrongNonce, p.wrongKey, p.deny = "u-1001", false, false, false
			bad(p)
		})
		b := env.browser(t)
		callback, _ := b.oidcRoundTrip("/login/oidc")
		code, body, _ := b.visit(callback)
		if code != http.StatusUnauthorized || !strings.Contains(body, "统一身份认证登录未完成") {
			t.Errorf("%s: %d", name, code)
		}
		if code, _ := b.get("/account"); code != http.StatusSeeOther {
			t.Errorf("%s: signed in: %d", name, code)
		}
		if e := env.signInAudit(t)[0]; e.Outcome != "failed" || e.Target != "oidc" || e.Detail == "" {
			t.Errorf("%s: audit entry %+v", name, e)
		}
	}
	// The same provider, well behaved, still works.
	idp.set(func(p *fakeIdP) { p.wrongNonce, p.wrongKey, p.deny = false, false, false })
	b := env.browser(t)
	callback, _ := b.oidcRoundTrip("/login/oidc")
	if code, _, _ := b.visit(callback); code != http.StatusSeeOther {
		t.Fatalf("a good token after bad ones: %d", code)
	}
	env.assertNoTokens(t, idp)
}

func TestOIDCConfigIncomplete(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	opts := env.opts
	opts.OIDC = &OIDCConfig{Issuer: "https://sso.example.gov.cn", ClientID: "x"}
	if _, err := New(opts); err == nil {
		t.Error("New accepts single sign-on without a secret and a redirect URL")
	}
}

// TestOIDCCookieSecureAndProviderDown: with production cookie settings the
// flow cookie is Secure; an unreachable provider gives a message, not a
// hang or a crash.
func TestOIDCCookieSecureAndProviderDown(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	idp := newFakeIdP(t)
	opts := env.opts
	opts.InsecureCookies = false
	opts.OIDC = &OIDCConfig{Issuer: idp.issuer(), ClientID: idp.clientID, ClientSecret: idp.secret, RedirectURL: "https://xinyong.example/login/oidc/callback"}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/login/oidc", nil))
	res := rec.Result()
	if res.StatusCode != http.StatusFound || len(res.Cookies()) != 1 || !res.Cookies()[0].Secure || !res.Cookies()[0].HttpOnly {
		t.Fatalf("start with secure cookies: %d %+v", res.StatusCode, res.Cookies())
	}

	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	opts.OIDC = &OIDCConfig{Issuer: down.URL, ClientID: "x", ClientSecret: "y", RedirectURL: "https://xinyong.example/login/oidc/callback"}
	h, err = New(opts)
	if err != nil {
		t.Fatalf("New must not need the provider: %v", err)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/login/oidc", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "暂时无法连接") {
		t.Fatalf("provider down: %d", rec.Code)
	}
}
