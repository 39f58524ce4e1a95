package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// countingBody is a request body of size bytes (a JSON prefix, then
// filler) that counts what the server read of it.
type countingBody struct {
	mu     sync.Mutex
	prefix string
	size   int
	read   int
}

func (b *countingBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.read >= b.size {
		return 0, io.EOF
	}
	n := min(len(p), b.size-b.read)
	for i := range n {
		if j := b.read + i; j < len(b.prefix) {
			p[i] = b.prefix[j]
		} else {
			p[i] = 'x'
		}
	}
	b.read += n
	return n, nil
}

func (b *countingBody) bytesRead() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.read
}

// operations lists the document's operations by method.
func operations(item *huma.PathItem) map[string]*huma.Operation {
	out := map[string]*huma.Operation{}
	for m, op := range map[string]*huma.Operation{"GET": item.Get, "PUT": item.Put, "POST": item.Post, "DELETE": item.Delete,
		"PATCH": item.Patch, "HEAD": item.Head, "OPTIONS": item.Options} {
		if op != nil {
			out[m] = op
		}
	}
	return out
}

// anonymousAllowed reports whether a security declaration lets anyone in.
func anonymousAllowed(sec []map[string][]string) bool {
	for _, req := range sec {
		if len(req) == 0 {
			return true
		}
	}
	return false
}

var pathParamRe = regexp.MustCompile(`\{[^}]+\}`)

// problem decodes a problem document, checking its type.
func problem(t *testing.T, what string, h http.Header, body []byte) Problem {
	t.Helper()
	var p Problem
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("%s: content type %q, want application/problem+json", what, ct)
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Errorf("%s: not a problem document: %v: %s", what, err, body)
	}
	if !hasCJK(p.Detail) {
		t.Errorf("%s: detail %q is not Chinese", what, p.Detail)
	}
	for _, f := range p.Errors {
		if !hasCJK(f.Reason) {
			t.Errorf("%s: reason %q of %s is not Chinese", what, f.Reason, f.Field)
		}
	}
	return p
}

// TestAnonymousCallsToProtectedOperations: every operation of the OpenAPI
// document declares who may call it and an error response; an anonymous
// call to every one that is not public gets 401, a problem in Chinese,
// before a byte of its (malformed, large) body is read. New operations are
// covered by being in the document.
func TestAnonymousCallsToProtectedOperations(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	s, err := New(env.opts)
	if err != nil {
		t.Fatal(err)
	}
	protected := 0
	for path, item := range s.API().OpenAPI().Paths {
		for method, op := range operations(item) {
			name := method + " " + path
			if op.Security == nil {
				t.Errorf("%s declares no security", name)
			}
			has4xx := false
			for code := range op.Responses {
				has4xx = has4xx || strings.HasPrefix(code, "4")
			}
			if !has4xx {
				t.Errorf("%s declares no 4xx response", name)
			}
			if op.Security == nil || anonymousAllowed(op.Security) {
				continue
			}
			protected++
			if op.Responses["401"] == nil {
				t.Errorf("%s is protected but declares no 401", name)
			}
			body := &countingBody{prefix: `{"records":[{"x":"`, size: 4 << 20}
			req := httptest.NewRequest(method, pathParamRe.ReplaceAllString(path, "1"), body)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s anonymous: %d, want 401: %s", name, rec.Code, rec.Body)
				continue
			}
			p := problem(t, name, rec.Header(), rec.Body.Bytes())
			if p.Kind != "unauthenticated" || rec.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("%s anonymous: kind %q, WWW-Authenticate %q", name, p.Kind, rec.Header().Get("WWW-Authenticate"))
			}
			if n := body.bytesRead(); n > 0 {
				t.Errorf("%s anonymous: %d bytes of the body read", name, n)
			}
		}
	}
	if protected < 12 {
		t.Errorf("only %d protected operations in the document", protected)
	}
}

// accessKey gives org an API key with scopes.
func (env accessEnv) accessKey(t *testing.T, org auth.Org, scopes ...string) string {
	t.Helper()
	prefix, secret, key := auth.NewAPIKey()
	if _, err := env.s.CreateClient(context.Background(), auth.APIClient{OrgID: org.ID, Name: org.Name + "系统", Scopes: scopes,
		Prefix: prefix, SecretSum: auth.TokenHash(secret)}, auth.AuditEntry{Actor: "system:test", Action: auth.AuditClientChange}); err != nil {
		t.Fatal(err)
	}
	return key
}

// TestCredentialOfAnotherKind: an operation for API keys refuses a
// session, and one for sessions refuses a key, with 403 before the body.
func TestCredentialOfAnotherKind(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	key := env.accessKey(t, env.deptXian, "records:submit")
	firm := env.browser(t)
	firm.signIn("firm")
	cases := []struct {
		name, path string
		b          *browser
		key        string
	}{
		{"a session submits records", "/api/v1/records", firm, ""},
		{"an API key applies for repair", "/api/v1/repairs", env.browser(t), key},
	}
	for _, c := range cases {
		req, _ := http.NewRequest("POST", env.srv.URL+c.path, strings.NewReader(`{"records": [`))
		req.Header.Set("Content-Type", "application/json")
		if c.key != "" {
			req.Header.Set("Authorization", "Bearer "+c.key)
		}
		code, body, h := c.b.do(req)
		if p := problem(t, c.name, h, []byte(body)); code != http.StatusForbidden || p.Kind != "refused" {
			t.Errorf("%s: %d %s", c.name, code, body)
		}
	}
}

// TestProblemsInChineseWithoutTheInput: huma's own errors (an unreadable
// body, a schema violation, a bad parameter) are problems in Chinese that
// never copy back what was sent.
func TestProblemsInChineseWithoutTheInput(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	key := env.accessKey(t, env.deptXian, "records:submit", "checks:run")
	const marker = "QQZZ-秘密-4711"
	longKey := strings.Repeat("k", 1000) // a field's name is input too: not copied back whole
	cases := []struct {
		name, method, path, body string
		status                   int
		reason                   string // one of the errors' reasons
	}{
		{"malformed JSON", "POST", "/api/v1/records", `{"kind": "cf", "records": [{"名称": "` + marker, 400, "请求体不是合法的 JSON"},
		{"wrong types", "POST", "/api/v1/records", `{"kind": 12345, "records": "` + marker + `"}`, 422, "应为数组"},
		{"unknown field", "POST", "/api/v1/records", `{"kind": "cf", "records": [{"名称": "x"}], "` + longKey + `": "` + marker + `"}`, 422, "不应有该字段"},
		{"missing field", "POST", "/api/v1/checks", `{"scenario": "` + marker + `", "subjects": [{"code": "` + marker + `"}]}`, 422, "缺少必填字段 case_no"},
		{"enum", "GET", "/api/v1/codes/123?kind=" + url.QueryEscape(marker), "", 422, "应为以下之一"},
		{"integer in the path", "GET", "/api/v1/checks/" + url.PathEscape(marker), "", 422, "应为整数"},
		{"too long", "GET", "/api/v1/subjects?q=" + url.QueryEscape(strings.Repeat(marker, 30)), "", 422, "最多 200 个字符"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, env.srv.URL+c.path, strings.NewReader(c.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+key)
			code, body, h := env.browser(t).do(req)
			p := problem(t, c.name, h, []byte(body))
			if code != c.status || p.Status != c.status {
				t.Errorf("status %d (%d in the document), want %d: %s", code, p.Status, c.status, body)
			}
			if strings.Contains(body, marker) || strings.Contains(body, "QQZZ") || strings.Contains(body, longKey[:200]) {
				t.Errorf("the answer copies the input back: %s", body)
			}
			found := false
			for _, f := range p.Errors {
				found = found || strings.Contains(f.Reason, c.reason)
			}
			if !found {
				t.Errorf("no reason %q in %s", c.reason, body)
			}
		})
	}
}

// TestBodyLimits: a body over its operation's limit is refused at the
// limit (413, in Chinese), and a page's form over its limit too, unread
// when it says its length.
func TestBodyLimits(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	key := env.accessKey(t, env.deptXian, "records:submit")
	s, err := New(env.opts)
	if err != nil {
		t.Fatal(err)
	}
	body := &countingBody{prefix: `{"kind":"cf","records":[{"名称":"`, size: MaxRecordsBytes + 4<<20}
	req := httptest.NewRequest("POST", "/api/v1/records", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if p := problem(t, "records over the limit", rec.Header(), rec.Body.Bytes()); rec.Code != http.StatusRequestEntityTooLarge ||
		!strings.Contains(p.Detail, "请求体过大") || body.bytesRead() > MaxRecordsBytes+64<<10 {
		t.Errorf("records over the limit: %d, %d bytes read: %s", rec.Code, body.bytesRead(), rec.Body)
	}

	for _, declared := range []bool{false, true} {
		form := &countingBody{prefix: "login=admin&password=", size: 1 << 20}
		req := httptest.NewRequest("POST", "/login", form)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if declared {
			req.ContentLength = int64(form.size)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "提交的内容过大") ||
			form.bytesRead() > maxForm+64<<10 || declared && form.bytesRead() > 0 {
			t.Errorf("a 1 MiB sign-in form (length declared: %v): %d, %d bytes read", declared, rec.Code, form.bytesRead())
		}
	}
}

// limitedServer serves newTestServer's store with the given limits.
func limitedServer(t *testing.T, o Options) *httptest.Server {
	t.Helper()
	_, s := newTestServer(t)
	o.Store, o.SiteName, o.Version = s, "测试", "test"
	o.Portal = &portal.Service{Store: s, Catalog: catalog.Default(), Keys: storetest.Keys()}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func head(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Head(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestHEADCountsAsGET: Go answers HEAD with the GET handler, so a HEAD
// search takes from the same budget.
func TestHEADCountsAsGET(t *testing.T) {
	t.Parallel()
	srv := limitedServer(t, Options{SearchRate: 0.01, SearchBurst: 2})
	for i, p := range []string{"/search?q=华信", "/api/v1/subjects?q=华信", "/search?q=秦川", "/api/v1/subjects?q=秦川"} {
		want := http.StatusOK
		if i >= 2 {
			want = http.StatusTooManyRequests
		}
		if code := head(t, srv.URL+p); code != want {
			t.Errorf("HEAD %s (request %d): %d, want %d", p, i+1, code, want)
		}
	}
}

// TestIDNumberLookupBudget: lookups by ID number (search, credit file, code
// check; GET or HEAD) have their own, stricter budget per address; other
// lookups do not take from it.
func TestIDNumberLookupBudget(t *testing.T) {
	t.Parallel()
	srv := limitedServer(t, Options{SearchRate: 100, SearchBurst: 100, IDLookupRate: 3})
	id := storetest.RIC("610102", "19800101", 5)
	fullWidth := strings.Map(func(r rune) rune { return r - '0' + '０' }, id[:17]) + id[17:]
	lookups := []string{"/search?q=" + id, "/subjects/" + id, "/api/v1/subjects?q=" + url.QueryEscape(fullWidth)}
	for i, p := range lookups {
		if code := head(t, srv.URL+p); code == http.StatusTooManyRequests {
			t.Errorf("lookup %d (%s) within the budget: 429", i+1, p)
		}
	}
	for _, p := range []string{"/api/v1/subjects/" + id, "/api/v1/codes/" + id, "/tools/code?c=" + id} {
		resp, body := get(t, srv.URL+p)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "按身份证号码查询过于频繁") {
			t.Errorf("%s over the budget: %d %s", p, resp.StatusCode, body)
		}
	}
	uscc := storetest.USCC("91", "610100", 1)
	for _, p := range []string{"/search?q=华信", "/subjects/" + uscc, "/api/v1/codes/" + uscc} {
		if resp, _ := get(t, srv.URL+p); resp.StatusCode != http.StatusOK {
			t.Errorf("%s, not an ID number: %d", p, resp.StatusCode)
		}
	}
}

// TestMetricsRouteOfSignedInRequests: requests of a session or an API key
// are counted under their route, not as unmatched.
func TestMetricsRouteOfSignedInRequests(t *testing.T) {
	t.Parallel()
	env := newAccessEnv(t)
	key := env.accessKey(t, env.deptXian, "records:submit")
	b := env.browser(t)
	b.signIn("admin")
	if code, _ := b.get("/account"); code != http.StatusOK {
		t.Fatalf("account page: %d", code)
	}
	req, _ := http.NewRequest("GET", env.srv.URL+"/api/v1/stats", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	if code, _, _ := b.do(req); code != http.StatusOK {
		t.Fatalf("stats with a key: %d", code)
	}
	_, metrics := b.get("/metrics")
	for _, want := range []string{`xinyong_http_requests_total{code="200",method="GET",route="GET /account"} 1`,
		`xinyong_http_requests_total{code="200",method="GET",route="GET /api/v1/stats"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// brokenPipe is a response writer whose client has gone.
type brokenPipe struct{ h http.Header }

func (b *brokenPipe) Header() http.Header { return b.h }
func (b *brokenPipe) WriteHeader(int)     {}
func (b *brokenPipe) Write([]byte) (int, error) {
	return 0, &os.SyscallError{Syscall: "write", Err: syscall.EPIPE}
}

// TestClientGoneIsNotAnError: a client that disconnects (its request
// cancelled, or the answer's write failing) is logged at debug level,
// never as an error; a real failure still is.
func TestClientGoneIsNotAnError(t *testing.T) {
	t.Parallel()
	_, st := newTestServer(t)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(Options{Store: st, Log: log, SiteName: "测试", Portal: &portal.Service{Store: st, Catalog: catalog.Default(), Keys: storetest.Keys()}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, p := range []string{"/search?q=华信", "/api/v1/subjects?q=华信", "/api/v1/stats"} {
		s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil).WithContext(ctx))
		s.ServeHTTP(&brokenPipe{h: http.Header{}}, httptest.NewRequest("GET", p, nil))
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a client that went away was logged as an error:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "client went away") {
		t.Errorf("no debug entry for the clients that went away:\n%s", logs.String())
	}
	// The database failing is an error.
	logs.Reset()
	st.Close()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/subjects?q=华信", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(logs.String(), "level=ERROR") ||
		!strings.Contains(logs.String(), `route="GET /api/v1/subjects"`) {
		t.Errorf("a failing database: %d, logs:\n%s", rec.Code, logs.String())
	}
}

// TestProblemKinds: the problem document's kind enumerates fault's kinds,
// and every kind has a status and a page title.
func TestProblemKinds(t *testing.T) {
	t.Parallel()
	f, _ := reflect.TypeOf(Problem{}).FieldByName("Kind")
	var names []string
	for _, k := range fault.Kinds() {
		names = append(names, k.String())
		if st := statusOf(k); st < 400 || pageTitles[k] == "" && k != fault.NotFound && k != fault.Unauthenticated {
			t.Errorf("kind %v: status %d, page title %q", k, st, pageTitles[k])
		}
	}
	if got := f.Tag.Get("enum"); got != strings.Join(names, ",") {
		t.Errorf("Problem.Kind enum %q, want %q", got, strings.Join(names, ","))
	}
}

// redoclyCLI is the pinned Redocly CLI; .ci/run fetches the same version.
const redoclyCLI = "@redocly/cli@2.77.0"

// TestOpenAPILint lints the generated document with Redocly CLI's
// recommended rules: no error, no warning. It needs npx (Node.js), which
// .ci/run provides; without it the test skips, except under CI=true.
func TestOpenAPILint(t *testing.T) {
	t.Parallel()
	ci, _ := os.ReadFile("../../.ci/run")
	if !strings.Contains(string(ci), redoclyCLI) {
		t.Errorf(".ci/run does not fetch %s", redoclyCLI)
	}
	npx, err := exec.LookPath("npx")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("npx not found (install Node.js; .ci/run does)")
		}
		t.Skip("npx not found")
	}
	srv, _ := newTestServer(t)
	_, doc := get(t, srv.URL+"/api/v1/openapi.json")
	file := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npx, "--yes", redoclyCLI, "lint", "--format=summary", "--max-problems=100", file)
	cmd.Env = append(os.Environ(), "NO_UPDATE_NOTIFIER=1", "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
	out, err := cmd.CombinedOutput()
	if err != nil || regexp.MustCompile(`(?m)^(error|warning)\s`).Match(out) {
		t.Errorf("redocly lint: %v\n%s", err, out)
	}
}
