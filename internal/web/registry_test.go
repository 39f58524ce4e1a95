package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/registry"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

type registryEnv struct {
	s                       store.Store
	base                    string
	svc                     *registry.Service
	im                      *ingest.Importer
	mz, samr, centre        auth.Org
	badCode, dupA, dupB     string
	multi                   string
	badCase, dupCase, mCase int64
}

// newRegistryEnv: 西安市民政局 registered an enterprise code (错码) and
// one association under two codes (重复赋码); 西安市 and 陕西省 market
// regulators hold one code for two companies (一码多赋, the city's). Users:
// the registrars of 民政 and 西安市市场监管局, the code centre.
func newRegistryEnv(t *testing.T) registryEnv {
	t.Helper()
	ctx := context.Background()
	s := openTestStore(t)
	env := registryEnv{s: s, badCode: registry.MakeCode("91610100MA6T0101"), dupA: registry.MakeCode("51610100MJ000102"),
		dupB: registry.MakeCode("51610100MJ000103"), multi: registry.MakeCode("91610100MA6T0104")}
	e := auth.AuditEntry{Actor: "system:test", Action: auth.AuditOrgChange}
	mk := func(parent auth.Org, o auth.Org) auth.Org {
		o.ParentID = parent.ID
		got, err := s.CreateOrg(ctx, o, e)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	root, _ := s.RootOrg(ctx, "平台运营")
	prov := mk(root, auth.Org{Kind: auth.Region, Name: "陕西省", Region: "610000"})
	xian := mk(prov, auth.Org{Kind: auth.Region, Name: "西安市", Region: "610100"})
	env.mz = mk(xian, auth.Org{Kind: auth.Dept, Name: "西安市民政局", USCC: registry.MakeCode("11610100MB000201")})
	env.samr = mk(xian, auth.Org{Kind: auth.Dept, Name: "西安市市场监督管理局", USCC: registry.MakeCode("11610100MB000202")})
	provSAMR := mk(prov, auth.Org{Kind: auth.Dept, Name: "陕西省市场监督管理局", USCC: registry.MakeCode("11610000MB000203")})
	env.centre = mk(prov, auth.Org{Kind: auth.Dept, Name: "陕西省组织机构统一社会信用代码数据服务中心", USCC: registry.MakeCode("12610000MB000204")})
	for _, u := range []auth.User{
		{Login: "registrar.mz", Name: "民政局纠错员", OrgID: env.mz.ID, Roles: []string{auth.RoleRegistrar}},
		{Login: "registrar.samr", Name: "市场监管局纠错员", OrgID: env.samr.ID, Roles: []string{auth.RoleRegistrar}},
		{Login: "centre", Name: "省代码中心", OrgID: env.centre.ID, Roles: []string{auth.RoleCodeCentre}},
	} {
		u.PasswordHash = testPasswordHash()
		if _, err := s.CreateUser(ctx, u, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
			t.Fatal(err)
		}
	}
	cat := catalog.Default()
	env.im = &ingest.Importer{Store: s, Catalog: cat, Calendar: calendar.Default(), Hash: storetest.Keys().Hash,
		Rules: map[string]ingest.RowRule{registry.Kind: registry.Rule(s)}}
	env.svc = &registry.Service{Store: s, Clock: deadline.Clock{Calendar: calendar.Default()}, Calendar: calendar.Default()}
	authz := &auth.Authorizer{Roles: auth.DefaultRoles()}
	opts := Options{Store: s, SiteName: "测试", Portal: &portal.Service{Store: s, Catalog: cat, Keys: storetest.Keys()}, Importer: env.im,
		Keys: storetest.Keys(), InsecureCookies: true, Authorizer: authz, Registry: env.svc}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env.base = srv.URL
	row := func(o auth.Org, code, name, rep string) map[string]any {
		return map[string]any{"统一社会信用代码": code, "机构名称": name, "法定代表人或负责人姓名": rep, "成立日期": "2020-03-04",
			"注册地址": "西安市某路1号", "登记管理部门名称": o.Name, "登记管理部门代码": o.USCC, "登记审批机关": o.Name, "登记状态": "存续",
			"登记业务类型": "设立", "登记业务日期": "2020-03-04", "数据来源单位": o.Name, "数据来源单位统一社会信用代码": o.USCC}
	}
	for _, batch := range []struct {
		o    auth.Org
		rows []map[string]any
	}{
		{env.mz, []map[string]any{row(env.mz, env.badCode, "西安市某某贸易有限公司", "赵一"), row(env.mz, env.dupA, "西安市某行业协会", "钱二"),
			row(env.mz, env.dupB, "西安市某行业协会", "钱二")}},
		{env.samr, []map[string]any{row(env.samr, env.multi, "西安甲科技有限公司", "孙三")}},
		{provSAMR, []map[string]any{row(provSAMR, env.multi, "陕西乙商贸有限公司", "李四")}},
	} {
		tab, err := ingest.ObjectsTable(batch.rows)
		if err != nil {
			t.Fatal(err)
		}
		res, err := env.im.Import(ctx, tab, ingest.Options{Kind: registry.Kind, Dept: batch.o.USCC, Channel: "api"})
		if err != nil || len(res.Rejected) > 0 {
			t.Fatalf("%v %+v", err, res.Rejected)
		}
	}
	if _, err := env.svc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	cases, err := s.RegistryCases(ctx, store.RegistryCaseFilter{})
	if err != nil || len(cases) != 3 {
		t.Fatalf("cases: %+v %v", cases, err)
	}
	for _, c := range cases {
		switch c.Type {
		case registry.TypeBadCode:
			env.badCase = c.ID
		case registry.TypeDuplicate:
			env.dupCase = c.ID
		case registry.TypeMultiHeld:
			env.mCase = c.ID
		}
	}
	return env
}

func (env registryEnv) browser(t *testing.T) *browser {
	return accessEnv{srv: &httptest.Server{URL: env.base}}.browser(t)
}

// TestRegistryPages: each authority sees its own cases; 民政 deletes the
// wrong code through the case page's form (the 回传 rule refuses another
// name) and the case closes; 民政 asks to whitelist the duplicate and the
// code centre approves; the figures and the notice are the centre's.
func TestRegistryPages(t *testing.T) {
	t.Parallel()
	env := newRegistryEnv(t)
	anon := env.browser(t)
	if code, _ := anon.get("/registry"); code != http.StatusSeeOther {
		t.Fatalf("anonymous: %d", code)
	}
	mz := env.browser(t)
	mz.signIn("registrar.mz")
	code, body := mz.get("/registry")
	if code != http.StatusOK || !strings.Contains(body, env.badCode) || !strings.Contains(body, env.dupA) || strings.Contains(body, env.multi) ||
		!strings.Contains(body, `id="nav-registry"`) {
		t.Fatalf("民政's list: %d\n%s", code, body)
	}
	if code, _ := mz.get("/registry/cases/" + itoa(env.mCase)); code != http.StatusForbidden {
		t.Fatalf("another authority's case: %d", code)
	}
	page := "/registry/cases/" + itoa(env.badCase)
	code, body = mz.get(page)
	if code != http.StatusOK || !strings.Contains(body, "登记管理部门码") || !strings.Contains(body, `id="correct-form-0"`) {
		t.Fatalf("case page: %d\n%s", code, body)
	}
	tok := mz.csrf(page)
	form := url.Values{"csrf": {tok}, "uscc": {env.badCode}, "business": {"-1"}, "subject_name": {"西安市某某贸易公司"},
		"decision_date": {calendar.Today().String()}}
	code, body, _ = mz.post(page+"/correct", form)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "删除代码数据的回传规则") {
		t.Fatalf("delete with another name: %d\n%s", code, body)
	}
	form.Set("subject_name", "西安市某某贸易有限公司")
	code, _, h := mz.post(page+"/correct", form)
	if code != http.StatusSeeOther {
		t.Fatalf("delete: %d", code)
	}
	code, body = mz.get(h.Get("Location"))
	if code != http.StatusOK || !strings.Contains(body, `id="case-state">已纠正`) {
		t.Fatalf("after the deletion: %d\n%s", code, body)
	}
	// Whitelisting.
	dup := "/registry/cases/" + itoa(env.dupCase)
	code, _, _ = mz.post(dup+"/whitelist", url.Values{"csrf": {tok}, "request": {"经市政府批复（市政函〔2019〕8号）依法登记两次"}})
	if code != http.StatusSeeOther {
		t.Fatalf("whitelist request: %d", code)
	}
	if code, _, _ := mz.post(dup+"/decide", url.Values{"csrf": {tok}, "decision": {"approve"}}); code != http.StatusForbidden {
		t.Fatalf("the authority decided its own request: %d", code)
	}
	if code, _ := mz.get("/registry/notice"); code != http.StatusForbidden {
		t.Fatalf("notice for an authority: %d", code)
	}
	centre := env.browser(t)
	centre.signIn("centre")
	ctok := centre.csrf(dup)
	code, _, _ = centre.post(dup+"/decide", url.Values{"csrf": {ctok}, "decision": {"approve"}, "note": {"已报国家代码中心"}})
	if code != http.StatusSeeOther {
		t.Fatalf("decide: %d", code)
	}
	if c, _ := env.s.GetRegistryCase(context.Background(), env.dupCase); c.State != store.CaseWhitelisted {
		t.Fatalf("after approval: %+v", c)
	}
	code, _, h = centre.post("/registry/scan", url.Values{"csrf": {ctok}})
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=") {
		t.Fatalf("scan: %d", code)
	}
	if code, body = centre.get(h.Get("Location")); !strings.Contains(body, "全量校核完成：登记5条，发现问题1个") {
		t.Fatalf("after the scan: %d\n%s", code, body)
	}
	if code, _, _ := mz.post("/registry/scan", url.Values{"csrf": {tok}}); code != http.StatusForbidden {
		t.Fatalf("scan by an authority: %d", code)
	}
	code, body = centre.get("/registry/figures")
	if code != http.StatusOK || !strings.Contains(body, "<svg") || !strings.Contains(body, "西安市民政局") || !strings.Contains(body, "66.7%") {
		t.Fatalf("figures: %d\n%s", code, body)
	}
	code, body = centre.get("/registry/notice")
	if code != http.StatusOK || !strings.Contains(body, "西安市市场监督管理局：未纠正1件") {
		t.Fatalf("notice: %d\n%s", code, body)
	}
	code, body = mz.get("/registry/returns")
	if code != http.StatusOK || !strings.Contains(body, env.badCode+",西安市某某贸易有限公司") {
		t.Fatalf("回传 file: %d\n%s", code, body)
	}
	// The credit file and the report show the registered name with the
	// former names once the city's regulator renames its company.
	tab, _ := ingest.ObjectsTable([]map[string]any{{"统一社会信用代码": env.multi, "机构名称": "西安甲智能科技有限公司",
		"法定代表人或负责人姓名": "孙三", "成立日期": "2020-03-04", "注册地址": "西安市某路2号", "登记管理部门名称": env.samr.Name,
		"登记管理部门代码": env.samr.USCC, "登记状态": "存续", "登记业务类型": "变更", "登记业务日期": calendar.Today().String(),
		"数据来源单位": env.samr.Name, "数据来源单位统一社会信用代码": env.samr.USCC}})
	if res, err := env.im.Import(context.Background(), tab, ingest.Options{Kind: registry.Kind, Dept: env.samr.USCC, Channel: "api"}); err != nil || len(res.Rejected) > 0 {
		t.Fatalf("rename: %v %+v", err, res.Rejected)
	}
	if _, err := env.svc.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, body = anon.get("/subjects/" + env.multi)
	if code != http.StatusOK || !strings.Contains(body, "登记注册基础信息") || !strings.Contains(body, `<dd class="registered-name">西安甲智能科技有限公司</dd>`) ||
		!strings.Contains(body, "<li>西安甲科技有限公司</li>") || !strings.Contains(body, "陕西乙商贸有限公司") {
		t.Fatalf("credit file: %d\n%s", code, body)
	}
	code, body = anon.get("/subjects/" + env.multi + "/report")
	if code == http.StatusOK && (!strings.Contains(body, "登记状态") || !strings.Contains(body, "西安甲科技有限公司")) {
		t.Fatalf("report's basic section:\n%s", body)
	}
	// The API: the authority's own cases; the figures are the centre's.
	key := apiKey(t, env.s, env.samr.ID, "registry:read")
	req, _ := http.NewRequest("GET", env.base+"/api/v1/registry/cases?state=open", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Cases []RegistryCaseItem `json:"cases"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(out.Cases) != 1 || out.Cases[0].Type != "一码多赋" || out.Cases[0].Authority != env.samr.USCC {
		t.Fatalf("API cases: %d %+v", resp.StatusCode, out)
	}
	req, _ = http.NewRequest("GET", env.base+"/api/v1/registry/figures", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("figures for an authority's key: %d", resp.StatusCode)
	}
}
