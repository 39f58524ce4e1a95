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
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/integrity"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// integrityEnv: the operator with the credit office (monitor); 陕西省 with
// 陕西省财政厅 (a monitored body) and 陕西省发展和改革委员会 (a reporting
// department); 西安市 with 西安市人民政府. Accounts: office (monitor at the
// operator), clerk.fin, clerk.ndrc, clerk.xian (clerks of those).
type integrityEnv struct {
	base             string
	s                store.Store
	svc              *integrity.Service
	fin, ndrc, xian  auth.Org
	opts             Options
	month            integrity.Month // the current month (China)
	finUSCC, xianGov string
}

func newIntegrityEnv(t *testing.T) integrityEnv {
	t.Helper()
	ctx := context.Background()
	s := openTestStore(t)
	env := integrityEnv{s: s, finUSCC: storetest.USCC("11", "610000", 4101), xianGov: storetest.USCC("11", "610100", 4102)}
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
	env.fin = mk(prov, auth.Org{Kind: auth.Dept, Name: "陕西省财政厅", USCC: env.finUSCC})
	env.ndrc = mk(prov, auth.Org{Kind: auth.Dept, Name: "陕西省发展和改革委员会", USCC: storetest.USCC("11", "610000", 4103)})
	env.xian = mk(xian, auth.Org{Kind: auth.Dept, Name: "西安市人民政府", USCC: env.xianGov})
	for _, u := range []auth.User{
		{Login: "office", Name: "省信用办", OrgID: root.ID, Roles: []string{auth.RoleMonitor}},
		{Login: "office.xian", Name: "西安市信用办", OrgID: xian.ID, Roles: []string{auth.RoleMonitor}},
		{Login: "clerk.fin", Name: "财政厅报送员", OrgID: env.fin.ID, Roles: []string{auth.RoleClerk}},
		{Login: "clerk.ndrc", Name: "发改委报送员", OrgID: env.ndrc.ID, Roles: []string{auth.RoleClerk}},
		{Login: "clerk.xian", Name: "西安市政府报送员", OrgID: env.xian.ID, Roles: []string{auth.RoleClerk}},
	} {
		u.PasswordHash = testPasswordHash()
		if _, err := s.CreateUser(ctx, u, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
			t.Fatal(err)
		}
	}
	cat := catalog.Default()
	m, err := integrity.Builtin(cat)
	if err != nil {
		t.Fatal(err)
	}
	im := &ingest.Importer{Store: s, Catalog: cat, Calendar: calendar.Default(), Hash: storetest.Keys().Hash,
		Rules: map[string]ingest.RowRule{integrity.EventKind: m.Rule}}
	authz := &auth.Authorizer{Roles: auth.DefaultRoles()}
	env.svc = &integrity.Service{Store: s, Model: m, Catalog: cat, Calendar: calendar.Default(), Auth: authz}
	env.month = integrity.MonthOf(env.svc.Today())
	env.opts = Options{Store: s, SiteName: "测试", Portal: &portal.Service{Store: s, Catalog: cat, Keys: storetest.Keys()}, Importer: im,
		Keys: storetest.Keys(), InsecureCookies: true, Authorizer: authz, Integrity: env.svc}
	h, err := New(env.opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env.base = srv.URL
	// 西安市人民政府 is known to the platform (a good event a while ago).
	if res := env.report(t, "ndrc", env.xianGov, "西安市人民政府", "政务服务好差评情况", "良好", env.svc.Today().AddDays(-20).String()); len(res.Rejected) > 0 {
		t.Fatalf("%+v", res.Rejected)
	}
	return env
}

// report files an integrity event through the importer as department from
// would.
func (env integrityEnv) report(t *testing.T, from, body, name, item, nature, date string) ingest.Result {
	t.Helper()
	o := map[string]auth.Org{"fin": env.fin, "ndrc": env.ndrc, "xian": env.xian}[from]
	tab, err := ingest.ObjectsTable([]map[string]any{{"监测对象名称": name, "监测对象统一社会信用代码": body, "监测事项": item,
		"信息性质": nature, "发生日期": date, "情况描述": "测试情况", "信息来源渠道": "信息共享", "报送单位": o.Name, "报送单位统一社会信用代码": o.USCC}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := env.opts.Importer.Import(context.Background(), tab, ingest.Options{Kind: integrity.EventKind, Dept: o.USCC, Channel: "api", Outcomes: true})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (env integrityEnv) browser(t *testing.T) *browser {
	b := accessEnv{srv: &httptest.Server{URL: env.base}}.browser(t)
	return b
}

// TestIntegrityPages walks the pages as the departments, the body and the
// credit office use them, with what each may not do.
func TestIntegrityPages(t *testing.T) {
	t.Parallel()
	env := newIntegrityEnv(t)
	today := env.svc.Today().String()

	anon := env.browser(t)
	if code, _ := anon.get("/integrity"); code != http.StatusSeeOther {
		t.Errorf("anonymous dashboard: %d", code)
	}
	// The reporting department files an event with the form.
	ndrc := env.browser(t)
	ndrc.signIn("clerk.ndrc")
	csrf := ndrc.csrf("/integrity/events/new")
	form := url.Values{"csrf": {csrf}, "subject_name": {"陕西省财政厅"}, "subject_uscc": {env.finUSCC}, "item": {"拖欠民营企业账款、农民工工资"},
		"nature": {"不良"}, "event_date": {today}, "description": {"拖欠某建筑公司工程款"}, "channel": {"信息共享"}, "reported_on": {today}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("nature", "良好")
	bad.Set("item", "被列入失信被执行人")
	if code, body, _ := ndrc.post("/integrity/events/new", bad); code != http.StatusUnprocessableEntity || !strings.Contains(body, "只有不良信息") {
		t.Fatalf("a good 失信被执行人: %d %s", code, body)
	}
	if code, body, _ := ndrc.post("/integrity/events/new", form); code != http.StatusOK || !strings.Contains(body, `id="event-done"`) {
		t.Fatalf("report: %d %s", code, body)
	}
	if code, _ := ndrc.get("/integrity"); code != http.StatusForbidden {
		t.Errorf("a department that is not a monitored body on the dashboard: %d", code)
	}

	office := env.browser(t)
	office.signIn("office")
	code, body := office.get("/integrity")
	if code != http.StatusOK || !strings.Contains(body, `id="no-run"`) || !strings.Contains(body, `id="nav-integrity"`) || !strings.Contains(body, "被列入失信被执行人") {
		t.Fatalf("dashboard before a run: %d %s", code, body)
	}
	code, _, h := office.post("/integrity/run", url.Values{"csrf": {office.csrf("/integrity")}, "month": {env.month.String()}})
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "month="+env.month.String()) {
		t.Fatalf("run: %d %v", code, h)
	}
	code, body = office.get("/integrity?month=" + env.month.String())
	for _, want := range []string{`id="ranking-province_dept"`, "陕西省财政厅", `id="ranking-city_gov"`, "西安市人民政府", `id="open-problems"`,
		`id="alert-list"`, "<svg", "暂定", "待反馈"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard after the run lacks %q", want)
		}
	}
	if code != http.StatusOK {
		t.Fatalf("dashboard %d", code)
	}

	// A city's credit office sees its city's bodies, and does not run the
	// province's scoring.
	city := env.browser(t)
	city.signIn("office.xian")
	code, body = city.get("/integrity?month=" + env.month.String())
	if code != http.StatusOK || !strings.Contains(body, "西安市人民政府") || strings.Contains(body, "陕西省财政厅") || strings.Contains(body, `id="run-form"`) {
		t.Errorf("a city's dashboard: %d", code)
	}
	if code, _, _ := city.post("/integrity/run", url.Values{"csrf": {city.csrf("/integrity")}, "month": {env.month.String()}}); code != http.StatusForbidden {
		t.Errorf("a city's office ran the province's scoring: %d", code)
	}
	if code, _ := city.get("/integrity/bodies/" + env.finUSCC); code != http.StatusForbidden {
		t.Errorf("a city's office read a provincial department: %d", code)
	}

	// The body: its own page, its report, its feedback.
	fin := env.browser(t)
	fin.signIn("clerk.fin")
	code, _, h = fin.post("/integrity/run", url.Values{"csrf": {fin.csrf("/integrity/bodies/" + env.finUSCC)}, "month": {env.month.String()}})
	if code != http.StatusForbidden {
		t.Errorf("a body's clerk ran the scoring: %d", code)
	}
	req, _ := http.NewRequest("GET", env.base+"/integrity", nil)
	if code, _, h := fin.do(req); code != http.StatusSeeOther || h.Get("Location") != "/integrity/bodies/"+env.finUSCC {
		t.Errorf("the body's dashboard link: %d %s", code, h.Get("Location"))
	}
	code, body = fin.get("/integrity/bodies/" + env.finUSCC)
	if code != http.StatusOK || !strings.Contains(body, "拖欠民营企业账款、农民工工资") || !strings.Contains(body, "feedback-form") ||
		!strings.Contains(body, `id="body-total"`) || !strings.Contains(body, "严重事项") {
		t.Fatalf("the body's page: %d %s", code, body)
	}
	code, body = fin.get("/integrity/bodies/" + env.finUSCC + "/report?month=" + env.month.String())
	if code != http.StatusOK || !strings.Contains(body, "政务诚信监测报告") || !strings.Contains(body, `id="report-open"`) || !strings.Contains(body, "本月新计入") {
		t.Fatalf("report: %d %s", code, body)
	}
	evs, _ := env.s.IntegrityAlerts(context.Background(), 0, 10)
	if len(evs) != 1 {
		t.Fatalf("alerts %+v", evs)
	}
	id := itoa(evs[0].RecordID)
	if code, _, _ := fin.post("/integrity/events/"+id+"/feedback", url.Values{"csrf": {fin.csrf("/integrity/bodies/" + env.finUSCC)}, "result": {"无所谓"}, "text": {"x"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("an unknown result: %d", code)
	}
	code, _, h = fin.post("/integrity/events/"+id+"/feedback", url.Values{"csrf": {fin.csrf("/integrity/bodies/" + env.finUSCC)},
		"result": {"正在整改"}, "text": {"已与施工单位确定还款计划"}})
	if code != http.StatusSeeOther {
		t.Fatalf("feedback: %d", code)
	}
	if _, body := fin.get(h.Get("Location")); !strings.Contains(body, "正在整改：已与施工单位确定还款计划") {
		t.Errorf("feedback not shown")
	}
	// Another body's clerk may neither read nor answer.
	xian := env.browser(t)
	xian.signIn("clerk.xian")
	if code, _ := xian.get("/integrity/bodies/" + env.finUSCC); code != http.StatusForbidden {
		t.Errorf("another body's page: %d", code)
	}
	if code, _, _ := xian.post("/integrity/events/"+id+"/feedback", url.Values{"csrf": {xian.csrf("/integrity/bodies/" + env.xianGov)},
		"result": {"已整改"}, "text": {"代为反馈"}}); code != http.StatusForbidden {
		t.Errorf("another body's feedback: %d", code)
	}
	// The credit file: the archive for the office, a note for the public.
	if _, body := anon.get("/subjects/" + env.finUSCC); !strings.Contains(body, `id="integrity-restricted"`) || strings.Contains(body, "拖欠某建筑公司") {
		t.Errorf("public credit file of a government body")
	}
	if _, body := office.get("/subjects/" + env.finUSCC); !strings.Contains(body, `id="integrity-events"`) || !strings.Contains(body, "正在整改") {
		t.Errorf("the office's view of the credit file")
	}
	if code, body := office.get("/integrity/annual?year=" + itoa(int64(env.month.Year))); code != http.StatusOK || !strings.Contains(body, "政务诚信监测评价综合报告") ||
		!strings.Contains(body, "陕西省财政厅") {
		t.Errorf("annual report: %d", code)
	}
	// The scope: the first year's setting on the province's departments.
	csrf = office.csrf("/integrity")
	orgs, _ := env.s.ListOrgs(context.Background(), "")
	var prov auth.Org
	for _, o := range orgs {
		if o.Name == "陕西省" {
			prov = o
		}
	}
	if code, _, _ := office.post("/integrity/scope", url.Values{"csrf": {csrf}, "org": {itoa(prov.ID)}, "cover": {"departments"}, "depth": {"level"}}); code != http.StatusSeeOther {
		t.Fatalf("scope: %d", code)
	}
	if _, body := office.get("/integrity"); !strings.Contains(body, "陕西省本级的部门") {
		t.Errorf("scope not listed")
	}
	// Of the two bodies the platform knows (reporters are no subjects),
	// the scope keeps the province's department.
	sum, err := env.svc.Run(context.Background(), env.month, integrity.RunOptions{})
	if err != nil || sum.Bodies != 1 {
		t.Fatalf("run with the scope: %+v %v", sum, err)
	}
	scores, _ := env.svc.Scores(context.Background(), env.month)
	for _, sc := range scores {
		if sc.USCC == env.xianGov {
			t.Errorf("西安市人民政府 scored outside the scope")
		}
	}
}

// TestIntegrityAPI: a month's scores, a body's history and events, and
// feedback through the API, each limited to what the caller may read.
func TestIntegrityAPI(t *testing.T) {
	t.Parallel()
	env := newIntegrityEnv(t)
	env.report(t, "ndrc", env.finUSCC, "陕西省财政厅", "在政务或经济活动中弄虚作假", "不良", env.svc.Today().String())
	if _, err := env.svc.Run(context.Background(), env.month, integrity.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	office := env.browser(t)
	office.signIn("office")
	code, body := office.get("/api/v1/integrity/scores")
	var scores IntegrityScoresOutput
	if err := json.Unmarshal([]byte(body), &scores.Body); err != nil || code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if scores.Body.Month != env.month.String() || scores.Body.Final || len(scores.Body.Scores) != 2 || scores.Body.Model == "" {
		t.Fatalf("scores %+v", scores.Body)
	}
	xian := env.browser(t)
	xian.signIn("clerk.xian")
	_, body = xian.get("/api/v1/integrity/scores")
	if err := json.Unmarshal([]byte(body), &scores.Body); err != nil || len(scores.Body.Scores) != 1 || scores.Body.Scores[0].USCC != env.xianGov {
		t.Errorf("a body's own scores only: %s", body)
	}
	if code, _ := xian.get("/api/v1/integrity/bodies/" + env.finUSCC + "/events"); code != http.StatusForbidden {
		t.Errorf("another body's events: %d", code)
	}
	code, body = office.get("/api/v1/integrity/bodies/" + env.finUSCC + "/scores")
	var hist IntegrityHistoryOutput
	if err := json.Unmarshal([]byte(body), &hist.Body); err != nil || code != 200 || len(hist.Body.Scores) != 1 || !hist.Body.InScope ||
		hist.Body.Scores[0].Total != 83 || len(hist.Body.Scores[0].Events) != 1 || hist.Body.Scores[0].Events[0].Rule == "" {
		t.Fatalf("history %d %s", code, body)
	}
	code, body = office.get("/api/v1/integrity/bodies/" + env.finUSCC + "/events")
	var evs IntegrityEventsOutput
	if err := json.Unmarshal([]byte(body), &evs.Body); err != nil || code != 200 || len(evs.Body.Events) != 1 || !evs.Body.Events[0].Serious ||
		evs.Body.Events[0].ReporterName != "陕西省发展和改革委员会" {
		t.Fatalf("events %d %s", code, body)
	}
	// The body's feedback through the API.
	fin := env.browser(t)
	fin.signIn("clerk.fin")
	post := func(b *browser, id int64, body string) (int, string) {
		req, _ := http.NewRequest("POST", env.base+"/api/v1/integrity/events/"+itoa(id)+"/feedback", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		code, out, _ := b.do(req)
		return code, out
	}
	id := evs.Body.Events[0].RecordID
	if code, out := post(xian, id, `{"result":"已整改","text":"代为反馈"}`); code != http.StatusForbidden {
		t.Errorf("another body's feedback: %d %s", code, out)
	}
	if code, out := post(fin, id, `{"result":"整改完了","text":"x"}`); code != http.StatusUnprocessableEntity {
		t.Errorf("an unknown result: %d %s", code, out)
	}
	if code, out := post(fin, id, `{"result":"情况说明","text":"系统录入错误，已申请撤销"}`); code != http.StatusCreated || !strings.Contains(out, "情况说明") {
		t.Fatalf("feedback: %d %s", code, out)
	}
	if _, body := office.get("/api/v1/integrity/bodies/" + env.finUSCC + "/events"); !strings.Contains(body, "系统录入错误") {
		t.Errorf("feedback not in the events: %s", body)
	}
	// A department's system sends events through the one intake API, and
	// an API key with integrity:read reads the scores.
	ctx := context.Background()
	newKey := func(org auth.Org, scopes ...string) string {
		prefix, secret, key := auth.NewAPIKey()
		if _, err := env.s.CreateClient(ctx, auth.APIClient{OrgID: org.ID, Name: org.Name, Scopes: scopes, Prefix: prefix,
			SecretSum: auth.TokenHash(secret)}, auth.AuditEntry{Actor: "system:test", Action: auth.AuditClientChange}); err != nil {
			t.Fatal(err)
		}
		return key
	}
	api := func(method, path, key, body string) (int, string) {
		req, _ := http.NewRequest(method, env.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		code, out, _ := env.browser(t).do(req)
		return code, out
	}
	submit := newKey(env.ndrc, "records:submit:zwcx")
	event := func(item, nature string) string {
		return `{"监测对象名称":"西安市人民政府","监测对象统一社会信用代码":"` + env.xianGov + `","监测事项":"` + item + `","信息性质":"` + nature +
			`","发生日期":"` + env.svc.Today().String() + `","情况描述":"接口报送","信息来源渠道":"信息共享","报送单位":"陕西省发展和改革委员会","报送单位统一社会信用代码":"` +
			env.ndrc.USCC + `"}`
	}
	code, out := api("POST", "/api/v1/records", submit, `{"kind":"zwcx","records":[`+event("年度目标责任考核结果", "良好")+`,`+event("被列入失信被执行人", "良好")+`]}`)
	if code != http.StatusOK || !strings.Contains(out, `"accepted":1`) || !strings.Contains(out, "只有不良信息") {
		t.Fatalf("intake API: %d %s", code, out)
	}
	roots, _ := env.s.ListOrgs(ctx, "")
	reader := newKey(roots[0], "integrity:read")
	if code, out := api("GET", "/api/v1/integrity/scores", reader, ""); code != http.StatusOK || !strings.Contains(out, env.finUSCC) {
		t.Errorf("scores with an API key: %d %s", code, out)
	}
	if code, _ := api("GET", "/api/v1/integrity/scores", submit, ""); code != http.StatusForbidden {
		t.Errorf("scores with a key without integrity:read: %d", code)
	}
	if code, _ := env.browser(t).get("/api/v1/integrity/scores"); code != http.StatusUnauthorized {
		t.Errorf("anonymous scores: %d", code)
	}
	if code, _ := office.get("/api/v1/integrity/scores?month=2001-01"); code != http.StatusNotFound {
		t.Errorf("a month never scored: %d", code)
	}
}
