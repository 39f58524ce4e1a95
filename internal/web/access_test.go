package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// accessEnv: 陕西省 → 西安市 (→ 市场监管局) and 宝鸡市 (→ 税务局); accounts
// for each role; one penalty of 西安市市场监管局 about a firm, revoked so
// that it is not public.
type accessEnv struct {
	srv                   *httptest.Server
	s                     store.Store
	root, xian, baoji     auth.Org
	deptXian, deptBaoji   auth.Org
	recordRef, subjectRef string
	subjectID             int64
	opts                  Options // the server's options, for variants
}

const testPassword = "正确的马电池钉书针"

// testPasswordHash is testPassword hashed once for all tests' accounts:
// argon2id, made to be slow, was most of the CPU this package's tests
// spent.
var testPasswordHash = sync.OnceValue(func() string { return auth.HashPassword(testPassword) })

func newAccessEnv(t *testing.T) accessEnv {
	t.Helper()
	ctx := context.Background()
	s := openTestStore(t)
	var env accessEnv
	env.s = s
	e := auth.AuditEntry{Actor: "system:test", Action: auth.AuditOrgChange}
	mk := func(parent auth.Org, o auth.Org) auth.Org {
		o.ParentID = parent.ID
		got, err := s.CreateOrg(ctx, o, e)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	env.root, _ = s.RootOrg(ctx, "平台运营")
	prov := mk(env.root, auth.Org{Kind: auth.Region, Name: "陕西省", Region: "610000"})
	env.xian = mk(prov, auth.Org{Kind: auth.Region, Name: "西安市", Region: "610100"})
	env.baoji = mk(prov, auth.Org{Kind: auth.Region, Name: "宝鸡市", Region: "610300"})
	env.deptXian = mk(env.xian, auth.Org{Kind: auth.Dept, Name: "西安市市场监督管理局", USCC: penaltyDept})
	env.deptBaoji = mk(env.baoji, auth.Org{Kind: auth.Dept, Name: "宝鸡市税务局", USCC: storetest.USCC("11", "610300", 7)})
	users := []auth.User{
		{Login: "admin", Name: "管理员", OrgID: env.root.ID, Roles: []string{"admin"}},
		{Login: "admin.xian", Name: "西安管理员", OrgID: env.xian.ID, Roles: []string{"admin"}},
		{Login: "clerk.xian", Name: "西安报送员", OrgID: env.deptXian.ID, Roles: []string{"clerk"}},
		{Login: "clerk.baoji", Name: "宝鸡报送员", OrgID: env.deptBaoji.ID, Roles: []string{"clerk"}},
		{Login: "auditor", Name: "审计员", OrgID: env.root.ID, Roles: []string{"auditor"}},
	}
	// One penalty of 西安市市场监管局, then revoked: not public.
	cat := catalog.Default()
	im := &ingest.Importer{Store: s, Catalog: cat, Calendar: calendar.Default(), Hash: storetest.Keys().Hash}
	objs := penaltyObjects(t, 1)
	tab, err := ingest.ObjectsTable(objs)
	if err != nil {
		t.Fatal(err)
	}
	res, err := im.Import(ctx, tab, ingest.Options{Kind: "cf", Dept: penaltyDept, Channel: "api", Outcomes: true})
	if err != nil || res.Accepted != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}
	id := res.Outcomes[0].ID
	if err := s.SetRecordState(ctx, id, store.StateRevoked, "测试撤销"); err != nil {
		t.Fatal(err)
	}
	ps := &portal.Service{Store: s, Catalog: cat, Keys: storetest.Keys()}
	env.recordRef = ps.RecordRef(id)
	vs, _ := s.RecordVersions(ctx, id)
	env.subjectID = vs[0].SubjectID
	sub, _ := s.GetSubject(ctx, env.subjectID)
	env.subjectRef = ps.SubjectRef(sub)
	users = append(users, auth.User{Login: "firm", Name: sub.Name, Roles: []string{"subject"}, SubjectID: env.subjectID})
	for _, u := range users {
		u.PasswordHash = testPasswordHash()
		if _, err := s.CreateUser(ctx, u, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
			t.Fatal(err)
		}
	}
	env.opts = Options{Store: s, SiteName: "测试", Portal: ps, Importer: im, Keys: storetest.Keys(), InsecureCookies: true,
		Authorizer: &auth.Authorizer{Roles: auth.DefaultRoles()}}
	h, err := New(env.opts)
	if err != nil {
		t.Fatal(err)
	}
	env.srv = httptest.NewServer(h)
	t.Cleanup(env.srv.Close)
	return env
}

// browser is a client with its own cookies that does not follow redirects.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func (env accessEnv) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: env.srv.URL, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(req *http.Request) (int, string, http.Header) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func (b *browser) get(path string) (int, string) {
	req, _ := http.NewRequest("GET", b.base+path, nil)
	code, body, _ := b.do(req)
	return code, body
}

func (b *browser) post(path string, form url.Values) (int, string, http.Header) {
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the session's token from a page.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	_, body := b.get(path)
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

func (b *browser) signIn(login string) {
	b.t.Helper()
	code, body, h := b.post("/login", url.Values{"login": {login}, "password": {testPassword}})
	if code != http.StatusSeeOther {
		b.t.Fatalf("sign in %s: %d %s", login, code, body)
	}
	_ = h
}

func TestSignInAndLockout(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	b := env.browser(t)
	if code, _ := b.get("/account"); code != http.StatusSeeOther {
		t.Fatalf("account page without sign-in: %d", code)
	}
	code, body, _ := b.post("/login", url.Values{"login": {"clerk.xian"}, "password": {"wrong password!"}})
	if code != http.StatusUnauthorized || !strings.Contains(body, badCredentials) {
		t.Fatalf("wrong password: %d", code)
	}
	code, body, _ = b.post("/login", url.Values{"login": {"nobody"}, "password": {"wrong password!"}})
	if code != http.StatusUnauthorized || !strings.Contains(body, badCredentials) {
		t.Fatalf("unknown login answers differently: %d", code)
	}
	b.signIn("clerk.xian")
	code, body = b.get("/account")
	if code != 200 || !strings.Contains(body, "西安市市场监督管理局") || !strings.Contains(body, "数据报送员") {
		t.Fatalf("account page: %d", code)
	}
	// Sign-out needs the session's token.
	if code, _, _ := b.post("/logout", url.Values{"csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("sign-out with a forged token: %d", code)
	}
	if code, _, _ := b.post("/logout", url.Values{"csrf": {b.csrf("/account")}}); code != http.StatusSeeOther {
		t.Errorf("sign-out: %d", code)
	}
	if code, _ := b.get("/account"); code != http.StatusSeeOther {
		t.Errorf("still signed in after sign-out: %d", code)
	}

	// Five failures lock the account, even against the right password.
	for i := 0; i < lockout.MaxFailures; i++ {
		b.post("/login", url.Values{"login": {"clerk.baoji"}, "password": {"not the password"}})
	}
	code, body, _ = b.post("/login", url.Values{"login": {"clerk.baoji"}, "password": {testPassword}})
	if code != http.StatusTooManyRequests || !strings.Contains(body, "锁定") {
		t.Fatalf("locked account signs in: %d", code)
	}
	u, _ := env.s.GetUserByLogin(context.Background(), "clerk.baoji")
	if !lockout.Locked(u, time.Now()) {
		t.Fatal("not locked in the store")
	}
	entries, _ := env.s.ListAudit(context.Background(), store.AuditFilter{Actions: []string{auth.AuditSignIn}, Limit: 100})
	var ok, failed, locked int
	for _, e := range entries {
		switch e.Outcome {
		case "ok":
			ok++
		case "failed":
			failed++
		case "locked":
			locked++
		}
	}
	if ok != 1 || failed != 6 || locked != 2 {
		t.Errorf("sign-ins in the audit trail: %d ok, %d failed, %d locked", ok, failed, locked)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	b := env.browser(t)
	req, _ := http.NewRequest("POST", env.srv.URL+"/login", strings.NewReader("login=admin&password="+url.QueryEscape(testPassword)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	if code, _, _ := b.do(req); code != http.StatusForbidden {
		t.Errorf("cross-site sign-in: %d", code)
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	a, other := env.browser(t), env.browser(t)
	a.signIn("clerk.xian")
	other.signIn("clerk.xian")
	newPw := "另一个足够长的新的登录密码"
	code, body, _ := a.post("/account/password", url.Values{"csrf": {a.csrf("/account")}, "current": {testPassword}, "password": {newPw}, "again": {newPw}})
	if code != http.StatusSeeOther {
		t.Fatalf("change password: %d %s", code, body)
	}
	if code, _ := a.get("/account"); code != 200 {
		t.Errorf("the changing session was signed out: %d", code)
	}
	if code, _ := other.get("/account"); code != http.StatusSeeOther {
		t.Errorf("another session survives a password change: %d", code)
	}
	code, body, _ = a.post("/account/password", url.Values{"csrf": {a.csrf("/account")}, "current": {newPw}, "password": {"short"}, "again": {"short"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "至少") {
		t.Errorf("a short password: %d", code)
	}
}

func TestTOTP(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	b := env.browser(t)
	b.signIn("admin")
	_, body := b.get("/account?totp=setup")
	m := regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no secret on the setup page")
	}
	secret := m[1]
	csrf := csrfRe.FindStringSubmatch(body)[1]
	if code, _, _ := b.post("/account/totp", url.Values{"csrf": {csrf}, "secret": {secret}, "code": {"000000"}}); code != http.StatusBadRequest {
		t.Fatalf("a wrong code enables TOTP: %d", code)
	}
	good, _ := auth.TOTPCode(secret, time.Now())
	if code, _, _ := b.post("/account/totp", url.Values{"csrf": {csrf}, "secret": {secret}, "code": {good}}); code != http.StatusSeeOther {
		t.Fatalf("enable TOTP: %d", code)
	}
	u, _ := env.s.GetUserByLogin(context.Background(), "admin")
	if len(u.TOTPEnc) == 0 || strings.Contains(string(u.TOTPEnc), secret) {
		t.Fatal("the TOTP secret is not stored encrypted")
	}
	// A new sign-in stops half-way until the code is given.
	c := env.browser(t)
	code, _, h := c.post("/login", url.Values{"login": {"admin"}, "password": {testPassword}})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login/totp") {
		t.Fatalf("password step: %d %s", code, h.Get("Location"))
	}
	if code, _ := c.get("/admin"); code != http.StatusSeeOther {
		t.Fatalf("the admin page opens before the second factor: %d", code)
	}
	tok := c.csrf("/login/totp")
	if code, _, _ := c.post("/login/totp", url.Values{"csrf": {tok}, "code": {"123456"}}); code != http.StatusUnauthorized {
		t.Fatalf("a wrong code passes: %d", code)
	}
	// The code that enabled it was used; the next step's is good (one step
	// of skew).
	if code, body, _ := c.post("/login/totp", url.Values{"csrf": {tok}, "code": {good}}); code != http.StatusUnauthorized || !strings.Contains(body, "已使用过") {
		t.Fatalf("the code that enabled TOTP signs in: %d", code)
	}
	next, _ := auth.TOTPCode(secret, time.Now().Add(auth.TOTPPeriod))
	if code, _, _ := c.post("/login/totp", url.Values{"csrf": {tok}, "code": {next}}); code != http.StatusSeeOther {
		t.Fatalf("the right code: %d", code)
	}
	if code, _ := c.get("/admin"); code != 200 {
		t.Fatalf("admin page after the second factor: %d", code)
	}
	// The same code again, by another sign-in within its window: refused.
	d := env.browser(t)
	if code, _, _ := d.post("/login", url.Values{"login": {"admin"}, "password": {testPassword}}); code != http.StatusSeeOther {
		t.Fatalf("password step: %d", code)
	}
	code, body, _ = d.post("/login/totp", url.Values{"csrf": {d.csrf("/login/totp")}, "code": {next}})
	if code != http.StatusUnauthorized || !strings.Contains(body, "该动态验证码已使用过") {
		t.Fatalf("a used code signs in again: %d", code)
	}
	if code, _ := d.get("/admin"); code != http.StatusSeeOther {
		t.Fatalf("the admin page opens after a replayed code: %d", code)
	}
}

// TestTOTPCodeUsedOnce: two sign-ins racing with the same code, each past
// its password step: exactly one gets in; the replay counts as a failure.
func TestTOTPCodeUsedOnce(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	ctx := context.Background()
	secret, _, err := auth.NewTOTP("测试", "clerk.xian")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := env.s.GetUserByLogin(ctx, "clerk.xian")
	u.TOTPEnc = env.opts.Keys.Encrypt(secret)
	if err := env.s.UpdateUser(ctx, u, nil); err != nil {
		t.Fatal(err)
	}
	const n = 4
	var bs []*browser
	var toks []string
	for range n {
		b := env.browser(t)
		if code, _, h := b.post("/login", url.Values{"login": {"clerk.xian"}, "password": {testPassword}}); code != http.StatusSeeOther ||
			!strings.HasPrefix(h.Get("Location"), "/login/totp") {
			t.Fatalf("password step: %d", code)
		}
		bs, toks = append(bs, b), append(toks, b.csrf("/login/totp"))
	}
	good, _ := auth.TOTPCode(secret, time.Now())
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, _ = bs[i].post("/login/totp", url.Values{"csrf": {toks[i]}, "code": {good}})
		}()
	}
	wg.Wait()
	in := 0
	for i, code := range codes {
		switch code {
		case http.StatusSeeOther:
			in++
			if c, _ := bs[i].get("/account"); c != http.StatusOK {
				t.Errorf("the winner is not signed in: %d", c)
			}
		case http.StatusUnauthorized:
			if c, _ := bs[i].get("/account"); c != http.StatusSeeOther {
				t.Errorf("a refused sign-in reaches the account page: %d", c)
			}
		default:
			t.Errorf("sign-in %d: %d", i, code)
		}
	}
	if in != 1 {
		t.Fatalf("%d of %d sign-ins with one code got in (%v), want 1", in, n, codes)
	}
	entries, _ := env.s.ListAudit(ctx, store.AuditFilter{Actions: []string{auth.AuditSignIn}, Limit: 100})
	replays := 0
	for _, e := range entries {
		if e.Outcome == "totp_failed" && e.Detail == "动态验证码已使用过" {
			replays++
		}
	}
	if replays != n-1 {
		t.Errorf("%d replays in the audit trail, want %d", replays, n-1)
	}
}

// TestAccountFormsCountTowardsLockout: a wrong current password on the
// account forms counts as a failed sign-in, with the same counter as the
// sign-in form, locks the account at the limit and ends the session.
func TestAccountFormsCountTowardsLockout(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	ctx := context.Background()
	a, other := env.browser(t), env.browser(t)
	a.signIn("clerk.xian")
	// Two failures at the sign-in form …
	for range 2 {
		if code, _, _ := other.post("/login", url.Values{"login": {"clerk.xian"}, "password": {"not the password"}}); code != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", code)
		}
	}
	newPw := "另一个足够长的新的登录密码"
	wrong := func(path string) (int, string) {
		form := url.Values{"csrf": {a.csrf("/account")}, "current": {"guessing the password"}, "password": {newPw}, "again": {newPw}}
		code, body, _ := a.post(path, form)
		return code, body
	}
	// … then two on the account forms: the counter is the same.
	if code, body := wrong("/account/password"); code != http.StatusBadRequest || !strings.Contains(body, "当前密码不正确（再错 2 次") {
		t.Fatalf("wrong current password: %d", code)
	}
	if code, body := wrong("/account/totp/off"); code != http.StatusBadRequest || !strings.Contains(body, "当前密码不正确（再错 1 次") {
		t.Fatalf("wrong current password turning off TOTP: %d", code)
	}
	if u, _ := env.s.GetUserByLogin(ctx, "clerk.xian"); u.Failed != 4 {
		t.Fatalf("failures counted: %d, want 4", u.Failed)
	}
	// The fifth locks the account and ends the session.
	code, body := wrong("/account/password")
	if code != http.StatusTooManyRequests || !strings.Contains(body, "锁定") {
		t.Fatalf("fifth wrong password: %d", code)
	}
	if code, _ := a.get("/account"); code != http.StatusSeeOther {
		t.Errorf("the session survives the lock: %d", code)
	}
	if code, _, _ := other.post("/login", url.Values{"login": {"clerk.xian"}, "password": {testPassword}}); code != http.StatusTooManyRequests {
		t.Errorf("the locked account signs in: %d", code)
	}
	u, _ := env.s.GetUserByLogin(ctx, "clerk.xian")
	if !lockout.Locked(u, time.Now()) || auth.VerifyPassword(u.PasswordHash, newPw) {
		t.Errorf("not locked, or the password changed: %+v", u)
	}
	// The trail shows each failure, by the signed-in account on the forms.
	entries, _ := env.s.ListAudit(ctx, store.AuditFilter{Actions: []string{auth.AuditSignIn}, Limit: 100})
	var onForms []string
	for _, e := range entries {
		if strings.Contains(e.Detail, "当前密码错误") {
			onForms = append(onForms, e.Outcome+" "+e.Detail)
			if !strings.HasPrefix(e.Actor, fmt.Sprintf("user:%d:", u.ID)) || e.Target != "login:clerk.xian" {
				t.Errorf("entry by %s about %s", e.Actor, e.Target)
			}
		}
	}
	want := "[locked 修改密码：当前密码错误 failed 停用动态验证码：当前密码错误 failed 修改密码：当前密码错误]"
	if got := fmt.Sprint(onForms); got != want {
		t.Errorf("audit entries of the forms (newest first) = %s, want %s", got, want)
	}
}

func TestAdminScope(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	b := env.browser(t)
	b.signIn("admin.xian")
	code, body := b.get("/admin")
	if code != 200 || !strings.Contains(body, "西安市市场监督管理局") || strings.Contains(body, "宝鸡市税务局") || strings.Contains(body, "clerk.baoji") {
		t.Fatalf("西安's administrator sees: %d", code)
	}
	csrf := csrfRe.FindStringSubmatch(body)[1]
	// A user in its own department: the password is shown once.
	code, body, _ = b.post("/admin/users", url.Values{"csrf": {csrf}, "login": {"reviewer.xian"}, "name": {"审核员"},
		"org": {itoa(env.deptXian.ID)}, "role": {"reviewer"}})
	if code != 200 || !strings.Contains(body, `id="admin-secret"`) {
		t.Fatalf("create user: %d %s", code, body)
	}
	// Not in another city, not a subject account, not a bad role.
	for name, form := range map[string]url.Values{
		"宝鸡":      {"login": {"x.baoji"}, "org": {itoa(env.deptBaoji.ID)}, "role": {"clerk"}},
		"subject": {"login": {"x.firm"}, "role": {"subject"}, "subject": {"91350100M000100Y43"}},
		"role":    {"login": {"x.root"}, "org": {itoa(env.deptXian.ID)}, "role": {"root"}},
	} {
		form.Set("csrf", csrf)
		if code, _, _ := b.post("/admin/users", form); code != http.StatusForbidden && code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d", name, code)
		}
	}
	// An API key for its department: shown once, stored hashed.
	code, body, _ = b.post("/admin/clients", url.Values{"csrf": {csrf}, "org": {itoa(env.deptXian.ID)}, "name": {"处罚系统"}, "scopes": {"records:submit:cf"}})
	key := regexp.MustCompile(`id="admin-secret">(xyk_[^<]+)<`).FindStringSubmatch(body)
	if code != 200 || key == nil {
		t.Fatalf("create client: %d", code)
	}
	code, _, _ = b.post("/admin/clients", url.Values{"csrf": {csrf}, "org": {itoa(env.deptBaoji.ID)}, "name": {"x"}, "scopes": {"checks:run"}})
	if code != http.StatusForbidden {
		t.Errorf("a key for 宝鸡's department: %d", code)
	}
	// Without the token nothing changes.
	if code, _, _ := b.post("/admin/users", url.Values{"login": {"nocsrf"}, "org": {itoa(env.deptXian.ID)}, "role": {"clerk"}}); code != http.StatusForbidden {
		t.Errorf("a form without the CSRF token: %d", code)
	}
	if _, err := env.s.GetUserByLogin(context.Background(), "nocsrf"); err == nil {
		t.Error("an account was created without the CSRF token")
	}
	// A clerk is not an administrator.
	c := env.browser(t)
	c.signIn("clerk.xian")
	if code, _ := c.get("/admin"); code != http.StatusForbidden {
		t.Errorf("a clerk opens the admin page: %d", code)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestNonPublicReadAndQueryHistory(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	path := "/records/" + env.recordRef
	anon := env.browser(t)
	if code, _ := anon.get(path); code != http.StatusGone {
		t.Fatalf("the public sees a revoked record: %d", code)
	}
	// Another city's clerk is refused, and the refusal is recorded.
	baoji := env.browser(t)
	baoji.signIn("clerk.baoji")
	if code, _ := baoji.get(path + "?purpose=看看"); code != http.StatusGone {
		t.Errorf("宝鸡's clerk reads 西安's record: %d", code)
	}
	// The supplying department's clerk states a purpose and reads it.
	xian := env.browser(t)
	xian.signIn("clerk.xian")
	code, body := xian.get(path)
	if code != 200 || !strings.Contains(body, `name="purpose"`) {
		t.Fatalf("no purpose asked: %d", code)
	}
	code, body = xian.get(path + "?purpose=" + url.QueryEscape("办件 XA-2026-0042"))
	if code != 200 || !strings.Contains(body, `id="internal-banner"`) {
		t.Fatalf("internal read: %d", code)
	}
	// The firm sees who looked, when and why; not its own reads.
	firm := env.browser(t)
	firm.signIn("firm")
	firm.get(path)
	code, body = firm.get("/my")
	if code != 200 || !strings.Contains(body, "西安市市场监督管理局") || !strings.Contains(body, "办件 XA-2026-0042") || strings.Contains(body, "本人查阅") ||
		!strings.Contains(body, `id="own-records"`) || !strings.Contains(body, "已撤销") {
		t.Fatalf("query history: %d %s", code, body)
	}
	// The clerk has no query history page; the auditor sees the trail.
	if code, _ := xian.get("/my"); code != http.StatusForbidden {
		t.Errorf("a clerk opens /my: %d", code)
	}
	aud := env.browser(t)
	aud.signIn("auditor")
	code, body = aud.get("/audit?action=access.denied")
	if code != 200 || !strings.Contains(body, "record:") {
		t.Errorf("the auditor does not see the refused read: %d", code)
	}
	if code, _ := xian.get("/audit"); code != http.StatusForbidden {
		t.Errorf("a clerk reads the audit trail: %d", code)
	}
}
