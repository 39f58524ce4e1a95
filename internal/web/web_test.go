package web

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite docs/openapi.json")

// newTestServer serves a SQLite store holding one subject of each class.
func newTestServer(t *testing.T) (*httptest.Server, store.Store) {
	t.Helper()
	ctx := context.Background()
	s := openTestStore(t)
	if _, err := s.PutSubjects(ctx, []credit.Subject{
		{Class: credit.ClassOrg, USCC: storetest.USCC("91", "610100", 1), Name: "西安华信电子科技有限公司"},
		{Class: credit.ClassOrg, USCC: storetest.USCC("91", "610100", 2), Name: "西安秦川机械有限公司"},
		{Class: credit.ClassSole, RegNo: storetest.GS15("610104", 3), Name: "莲湖区鑫源五金店"},
		{Class: credit.ClassGov, USCC: storetest.USCC("11", "610000", 4), Name: "陕西省市场监督管理局"},
		{Class: credit.ClassPerson, IDNumber: storetest.RIC("610102", "19800101", 5), Name: "张伟"},
	}); err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Store: s, SiteName: "测试信用平台", Version: "test",
		Portal: &portal.Service{Store: s, Catalog: catalog.Default(), Keys: storetest.Keys()}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, s
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t)
	cases := []struct {
		path   string
		status int
		ctype  string
		has    []string
		hasNot []string
	}{
		{"/", 200, "text/html", []string{`lang="zh-CN"`, "测试信用平台", `<strong id="total">5</strong>`, "法人及非法人组织</th><td class=\"num\">2<", "自然人</th><td class=\"num\">1<"}, nil},
		{"/healthz", 200, "application/json", []string{`"ok"`}, nil},
		{"/metrics", 200, "text/plain", []string{`xinyong_subjects{class="org"} 2`, `xinyong_subjects{class="person"} 1`, "xinyong_http_requests_total"}, nil},
		{"/api/v1/stats", 200, "application/json", []string{`"total":5`, `"org":2`, `"gov":1`}, nil},
		{"/api/v1/codes/91350100M000100Y4Z", 200, "application/json", []string{`"status":"invalid"`, `"want":"3"`, `"position":18`}, nil},
		{"/api/v1/codes/91350100M000100Y43", 200, "application/json", []string{`"status":"valid"`, `"category":"91"`}, nil},
		{"/api/v1/codes/00000000000000000X?kind=uscc", 200, "application/json", []string{`"status":"placeholder"`}, nil},
		{"/api/v1/codes/123?kind=bogus", 422, "application/problem+json", []string{"kind"}, nil},
		{"/api/v1/openapi.json", 200, "application/", []string{`"openapi":"3.1`, "/api/v1/stats", "/api/v1/codes/{code}"}, nil},
		{"/tools/code?c=91350100M000100Y4Z", 200, "text/html", []string{"校验结果：无效", "校验码应为3"}, nil},
		{"/tools/code?c=%3Cscript%3Ealert(1)%3C/script%3E", 200, "text/html", []string{"&lt;script&gt;"}, []string{"<script>alert"}},
		{"/tools/code?c=91350100M000100Y43&kind=nope", 200, "text/html", []string{"代码类型不合法"}, nil},
		{"/no/such/page", 404, "text/html", []string{"页面不存在"}, nil},
		{"/static/site.css", 200, "text/css", []string{"--brand"}, nil},
		{"/search?q=华信", 200, "text/html", []string{"“华信”的查询结果", "西安华信电子科技有限公司", `href="/subjects/` + storetest.USCC("91", "610100", 1)}, nil},
		{"/search?q=%E8%8F%AF%E4%BF%A1%E9%9B%BB%E5%AD%90", 200, "text/html", []string{"西安华信电子科技有限公司"}, nil}, // 華信電子
		{"/search?q=张伟", 200, "text/html", []string{"没有找到"}, nil},
		// A wrong check character is answered as such (the right one is 2).
		{"/search?q=91350100M000100Y4A", 200, "text/html", []string{"校验码错误"}, []string{"没有找到", "未收录"}},
		{"/subjects/91350100M000100Y4A", 422, "text/html", []string{"校验码错误"}, nil},
		{"/api/v1/subjects/91350100M000100Y4A", 422, "application/problem+json", []string{"校验码错误"}, nil},
		{"/search?q=华", 200, "text/html", []string{"名称至少输入2个字"}, nil},
		{"/search?q=%3Cscript%3Ealert(1)%3C/script%3E", 200, "text/html", []string{"&lt;script&gt;"}, []string{"<script>alert"}},
		{"/search?q=" + storetest.USCC("91", "610100", 1), 200, "text/html", []string{"西安华信电子科技有限公司", "登记管理部门", "行政处罚 <span class=\"count\">0 条"}, nil},
		{"/subjects/" + storetest.USCC("91", "610100", 1) + "?as_of=2020-02-30", 422, "text/html", []string{"as_of应为YYYY-MM-DD"}, nil},
		{"/subjects/" + storetest.RIC("610102", "19800101", 5), 404, "text/html", []string{"页面不存在"}, nil},
		{"/records/1-0123456789ab", 404, "text/html", []string{"页面不存在"}, nil},
		{"/sgs?kind=cf", 200, "text/html", []string{"行政处罚信息公示", "暂无公示信息"}, nil},
		{"/sgs?kind=cf&region=61x", 422, "text/html", []string{"行政区划代码"}, nil},
		{"/api/v1/subjects?q=华信", 200, "application/json", []string{`"name":"西安华信电子科技有限公司"`, `"more":false`}, nil},
		{"/api/v1/subjects?q=华", 422, "application/problem+json", []string{"名称至少输入2个字"}, nil},
		{"/api/v1/subjects/" + storetest.USCC("91", "610100", 1), 200, "application/json", []string{`"sections":[`, `"id":"cf"`, `"category_name":"企业"`}, nil},
		{"/api/v1/subjects/nope", 404, "application/problem+json", nil, nil},
		{"/api/v1/records/1-0123456789ab", 404, "application/problem+json", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			resp, body := get(t, srv.URL+c.path)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, c.ctype) {
				t.Errorf("content type %q, want %q…", ct, c.ctype)
			}
			for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"} {
				if resp.Header.Get(h) == "" {
					t.Errorf("no %s header", h)
				}
			}
			for _, s := range c.has {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			for _, s := range c.hasNot {
				if strings.Contains(body, s) {
					t.Errorf("body has %q", s)
				}
			}
		})
	}
}

func TestNoPersonalDataInPages(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t)
	id := storetest.RIC("610102", "19800101", 5)
	for _, p := range []string{"/", "/api/v1/stats", "/metrics"} {
		if _, body := get(t, srv.URL+p); strings.Contains(body, id) || strings.Contains(body, "张伟") {
			t.Errorf("%s shows a person's data", p)
		}
	}
}

func TestHealthzFailsWhenStoreIsDown(t *testing.T) {
	t.Parallel()
	srv, s := newTestServer(t)
	s.Close()
	resp, _ := get(t, srv.URL+"/healthz")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
}

// TestOpenAPIDocument keeps docs/openapi.json equal to what the code
// generates; run with -update after changing the API.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	srv, _ := newTestServer(t)
	_, body := get(t, srv.URL+"/api/v1/openapi.json")
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	got, _ := json.MarshalIndent(v, "", "  ")
	got = append(got, '\n')
	const path = "../../docs/openapi.json"
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/web -update)", err)
	}
	if string(want) != string(got) {
		t.Fatal("docs/openapi.json is stale: run go test ./internal/web -update")
	}
}

func TestSearchRateLimit(t *testing.T) {
	t.Parallel()
	_, s := newTestServer(t)
	h, err := New(Options{Store: s, SiteName: "测试", Version: "test", SearchRate: 0.5, SearchBurst: 2,
		Portal: &portal.Service{Store: s, Catalog: catalog.Default(), Keys: storetest.Keys()}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for i, p := range []string{"/search?q=华信", "/api/v1/subjects?q=华信"} {
		resp, _ := get(t, srv.URL+p)
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
	}
	for _, p := range []string{"/search?q=华信", "/api/v1/subjects?q=秦川"} {
		resp, body := get(t, srv.URL+p)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "查询过于频繁") {
			t.Errorf("%s over the limit: %d %q %s", p, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	// Other pages are not limited; another address has its own budget.
	if resp, _ := get(t, srv.URL+"/"); resp.StatusCode != 200 {
		t.Errorf("home page: %d", resp.StatusCode)
	}
	l := newLimiter(1, 1, "X-Real-IP")
	r1 := httptest.NewRequest("GET", "/search", nil)
	r1.Header.Set("X-Real-IP", "10.0.0.1")
	r2 := httptest.NewRequest("GET", "/search", nil)
	r2.Header.Set("X-Real-IP", "10.0.0.2")
	now := time.Now()
	if ok, _ := l.allow(r1, now); !ok {
		t.Fatal("first request refused")
	}
	if ok, wait := l.allow(r1, now); ok || wait <= 0 {
		t.Errorf("second request at once: %v %v", ok, wait)
	}
	if ok, _ := l.allow(r2, now); !ok {
		t.Error("another address refused")
	}
	if ok, _ := l.allow(r1, now.Add(time.Second)); !ok {
		t.Error("refused after the wait")
	}
}

// openTestStore opens a migrated SQLite store in a temporary directory.
func openTestStore(t *testing.T) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir(), storetest.Keys())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}
