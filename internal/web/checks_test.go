package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/check"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/match"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// fileEntries imports list entries (by field key) of kind sx or hm from
// the department dept.
func fileEntries(t *testing.T, im *ingest.Importer, kind, dept string, rows ...map[string]string) {
	t.Helper()
	k, _ := catalog.Default().Kind(kind)
	var header []string
	for _, f := range k.Fields {
		header = append(header, f.Name)
	}
	var table [][]string
	for _, m := range rows {
		m["source_dept"], m["source_dept_uscc"] = "测试部门", dept
		var r []string
		for _, f := range k.Fields {
			r = append(r, m[f.Key])
		}
		table = append(table, r)
	}
	res, err := im.Import(context.Background(), ingest.NewRowsTable(header, table), ingest.Options{Kind: kind, Channel: "test"})
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("import %s: %v %+v", kind, err, res.Rejected)
	}
}

func debtorEntry(uscc, name, exit string) map[string]string {
	m := map[string]string{"list_type": "失信被执行人", "subject_name": name, "subject_class": "法人及非法人组织", "subject_uscc": uscc,
		"legal_rep": "赵六", "decision_no": "（2025）陕0113执123号", "facts": "有履行能力而拒不履行生效法律文书确定的义务",
		"legal_basis": "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条", "decision_date": calendar.Today().AddMonths(-2).String(),
		"valid_to": calendar.Today().AddMonths(22).String(), "authority": "西安市雁塔区人民法院", "authority_uscc": storetest.USCC("11", "610113", 81)}
	if exit != "" {
		m["exit_date"], m["exit_reason"] = exit, "已履行完毕"
	}
	return m
}

type checkEnv struct {
	accessEnv
	srv            *httptest.Server
	im             *ingest.Importer
	key, clerkKey  string
	debtor, honest string // USCCs
}

func newCheckEnv(t *testing.T) checkEnv {
	env := checkEnv{accessEnv: newAccessEnv(t)}
	cat := catalog.Default()
	l, err := lists.Default(cat)
	if err != nil {
		t.Fatal(err)
	}
	env.im = env.opts.Importer
	opts := env.opts
	opts.Checks = &check.Service{Store: env.s, Checker: &check.Checker{Catalog: cat, Lists: l}, Today: calendar.Today,
		Match: check.NameMatcher(env.s.(store.Matcher)), MinScore: match.DefaultMinScore}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	env.srv = httptest.NewServer(h)
	t.Cleanup(env.srv.Close)
	mk := func(scopes ...string) string {
		prefix, secret, key := auth.NewAPIKey()
		if _, err := env.s.CreateClient(context.Background(), auth.APIClient{OrgID: env.deptXian.ID, Name: "审批系统", Scopes: scopes, Prefix: prefix,
			SecretSum: auth.TokenHash(secret)}, auth.AuditEntry{Actor: "system:test", Action: auth.AuditClientChange}); err != nil {
			t.Fatal(err)
		}
		return key
	}
	env.key, env.clerkKey = mk("checks:run"), mk("records:submit")
	env.debtor, env.honest = storetest.USCC("91", "610113", 501), storetest.USCC("91", "610113", 502)
	fileEntries(t, env.im, "sx", penaltyDept, debtorEntry(env.debtor, "西安老赖商贸有限公司", ""))
	fileEntries(t, env.im, "hm", penaltyDept, map[string]string{"list_type": "纳税信用A级纳税人", "subject_name": "西安诚信科技有限公司",
		"subject_class": "法人及非法人组织", "subject_uscc": env.honest, "legal_rep": "钱七", "decision_no": "陕税A〔2025〕17号",
		"facts": "2024年度纳税信用评价为A级", "legal_basis": "《纳税信用管理办法（试行）》", "decision_date": calendar.Today().AddMonths(-1).String(),
		"valid_to": calendar.Today().AddMonths(11).String(), "authority": "国家税务总局陕西省税务局", "authority_uscc": storetest.USCC("11", "610000", 82)})
	return env
}

func (env checkEnv) post(t *testing.T, key string, body any) (int, check.Response, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", env.srv.URL+"/api/v1/checks", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r check.Response
	json.Unmarshal(raw, &r)
	return resp.StatusCode, r, string(raw)
}

func TestCheckByCode(t *testing.T) {
	t.Parallel()
	env := newCheckEnv(t)
	body := map[string]any{"scenario": "procurement", "case_no": "CG-2026-0017", "subjects": []map[string]string{
		{"code": env.debtor}, {"code": strings.ToLower(env.honest)}, {"code": storetest.USCC("91", "610113", 999)}, {"name": ""},
	}}
	code, r, raw := env.post(t, env.key, body)
	if code != 200 {
		t.Fatalf("%d %s", code, raw)
	}
	it := r.Items[0]
	if it.Match != "code" || it.Result.Verdict != check.Punish || len(it.Result.Lists) != 1 || it.Result.Lists[0].Type != "court_debtor" ||
		it.Result.Measures[0].Code != "M01" || !strings.Contains(it.Result.Measures[0].Basis, "政府采购法") {
		t.Fatalf("debtor: %+v", it)
	}
	if it := r.Items[1]; it.Match != "code" || it.Result.Verdict != check.Reward || it.Result.Measures[0].Code != "R04" {
		t.Errorf("A-level taxpayer (code in lower case): %+v", it)
	}
	if it := r.Items[2]; it.Match != "none" || it.Error == "" {
		t.Errorf("unknown code: %+v", it)
	}
	if it := r.Items[3]; it.Error != "缺少代码或名称" {
		t.Errorf("empty query: %+v", it)
	}
	if r.ID == 0 || r.Summary != (check.Summary{Subjects: 4, Punished: 1, Rewarded: 1, NotFound: 2}) || r.DataAsOf == 0 {
		t.Errorf("summary %+v id %d", r.Summary, r.ID)
	}
	// The same debtor in a scenario without a measure for its list.
	_, r2, _ := env.post(t, env.key, map[string]any{"scenario": "honour", "case_no": "PX-1", "subjects": []map[string]string{{"code": env.debtor}}})
	if v := r2.Items[0].Result; v.Verdict != check.Punish || v.Measures[0].Code != "M04" {
		t.Errorf("honour: %+v", v)
	}

	// The court removes the debtor: it is re-sent with its exit date.
	fileEntries(t, env.im, "sx", penaltyDept, debtorEntry(env.debtor, "西安老赖商贸有限公司", calendar.Today().String()))
	_, r3, _ := env.post(t, env.key, body)
	if v := r3.Items[0].Result; v.Verdict != check.None || len(v.Lists) != 0 {
		t.Errorf("after exit: %+v", v)
	}

	// The archive answers as it was, for the asking organisation only.
	req, _ := http.NewRequest("GET", env.srv.URL+"/api/v1/checks/"+strconv.FormatInt(r.ID, 10), nil)
	req.Header.Set("Authorization", "Bearer "+env.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got check.Response
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if resp.StatusCode != 200 || got.ID != r.ID || got.Items[0].Result.Verdict != check.Punish || got.CaseNo != "CG-2026-0017" {
		t.Errorf("archived check: %d %+v", resp.StatusCode, got.Summary)
	}
	// The debtor's query history shows the checks.
	sub, _ := env.s.FindSubjectByCode(context.Background(), env.debtor)
	if _, err := env.s.CreateUser(context.Background(), auth.User{Login: "debtor", Roles: []string{"subject"}, SubjectID: sub.ID,
		PasswordHash: testPasswordHash()}, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
		t.Fatal(err)
	}
	b := env.browser(t)
	b.base = env.srv.URL
	b.signIn("debtor")
	if code, page := b.get("/my"); code != 200 || strings.Count(page, "CG-2026-0017") != 2 || !strings.Contains(page, "信用核查") || !strings.Contains(page, "PX-1") {
		t.Errorf("query history: %d", code)
	}
	// The certificate page for the asking department's checkers; not for
	// an administrator.
	if _, err := env.s.CreateUser(context.Background(), auth.User{Login: "checker.xian", OrgID: env.deptXian.ID, Roles: []string{"checker"},
		PasswordHash: testPasswordHash()}, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
		t.Fatal(err)
	}
	ch := env.browser(t)
	ch.base = env.srv.URL
	ch.signIn("checker.xian")
	if code, page := ch.get("/checks/" + strconv.FormatInt(r.ID, 10)); code != 200 || !strings.Contains(page, "CG-2026-0017") ||
		!strings.Contains(page, "依法限制参加政府采购活动") || !strings.Contains(page, "西安老赖商贸有限公司") {
		t.Errorf("certificate page: %d", code)
	} else if at := r.At.In(calendar.Location()).Format("2006-01-02 15:04:05") + "（北京时间）"; !strings.Contains(page, at) || strings.Contains(page, "UTC") {
		t.Errorf("certificate page: the check's time should read %s, in Beijing time", at)
	}
	x := env.browser(t)
	x.base = env.srv.URL
	x.signIn("admin") // the operator's administrator is no checker
	if code, _ := x.get("/checks/" + strconv.FormatInt(r.ID, 10)); code != http.StatusNotFound {
		t.Errorf("an administrator reads a check: %d", code)
	}
}

func TestCheckRefusals(t *testing.T) {
	t.Parallel()
	env := newCheckEnv(t)
	ok := map[string]any{"scenario": "procurement", "case_no": "CG-1", "subjects": []map[string]string{{"code": env.debtor}}}
	for name, c := range map[string]struct {
		key    string
		body   any
		status int
		has    string
	}{
		"no key":           {"", ok, 401, "接口密钥"},
		"no checks scope":  {env.clerkKey, ok, 403, "无权"},
		"unknown scenario": {env.key, map[string]any{"scenario": "lottery", "case_no": "1", "subjects": []map[string]string{{"code": env.debtor}}}, 422, "未知的核查场景"},
		"no case number":   {env.key, map[string]any{"scenario": "procurement", "case_no": "", "subjects": []map[string]string{{"code": env.debtor}}}, 422, ""},
		"no subjects":      {env.key, map[string]any{"scenario": "procurement", "case_no": "1", "subjects": []any{}}, 422, ""},
	} {
		code, _, raw := env.post(t, c.key, c.body)
		if code != c.status || !strings.Contains(raw, c.has) {
			t.Errorf("%s: %d %s", name, code, raw)
		}
	}
	// Nothing was archived or audited by the refusals.
	entries, _ := env.s.ListAudit(context.Background(), storeFilterChecks())
	if len(entries) != 0 {
		t.Errorf("%d check entries after refusals", len(entries))
	}
}

func storeFilterChecks() store.AuditFilter {
	return store.AuditFilter{Actions: []string{auth.AuditCheck}}
}

func TestCheckFeedbackAndStats(t *testing.T) {
	t.Parallel()
	env := newCheckEnv(t)
	_, r, raw := env.post(t, env.key, map[string]any{"scenario": "procurement", "case_no": "CG-9", "subjects": []map[string]string{{"code": env.debtor}, {"code": env.honest}}})
	if r.ID == 0 {
		t.Fatal(raw)
	}
	send := func(key string, items any) (int, string) {
		b, _ := json.Marshal(map[string]any{"items": items})
		req, _ := http.NewRequest("POST", env.srv.URL+"/api/v1/checks/"+strconv.FormatInt(r.ID, 10)+"/feedback", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := send(env.key, []map[string]any{{"item": 1, "measure": "M09", "applied": true}}); code != 422 || !strings.Contains(body, "没有措施M09") {
		t.Errorf("a measure the check did not find: %d %s", code, body)
	}
	if code, body := send(env.key, []map[string]any{{"item": 1, "measure": "M01", "applied": false}}); code != 422 || !strings.Contains(body, "说明原因") {
		t.Errorf("not applied without a reason: %d %s", code, body)
	}
	if code, body := send(env.key, []map[string]any{{"item": 1, "measure": "M01", "applied": true}, {"item": 2, "measure": "R04", "applied": false, "reason": "项目不涉及财政资金"}}); code != 204 {
		t.Fatalf("feedback: %d %s", code, body)
	}
	month := time.Now().In(calendar.Location()).Format("2006-01")
	req, _ := http.NewRequest("GET", env.srv.URL+"/api/v1/stats/checks?month="+month, nil)
	req.Header.Set("Authorization", "Bearer "+env.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var stats struct{ Rows []check.StatRow }
	json.NewDecoder(resp.Body).Decode(&stats)
	resp.Body.Close()
	got := map[string]check.StatRow{}
	for _, row := range stats.Rows {
		got[row.Measure] = row
	}
	if m := got["M01"]; m.Applicable != 1 || m.Applied != 1 || m.Org != "西安市市场监督管理局" || m.MeasureName != "依法限制参加政府采购活动" {
		t.Errorf("M01: %+v", m)
	}
	if m := got["R04"]; m.Applicable != 1 || m.NotApplied != 1 {
		t.Errorf("R04: %+v", m)
	}
	if _, err := env.s.CreateUser(context.Background(), auth.User{Login: "checker.xian", OrgID: env.deptXian.ID, Roles: []string{"checker"},
		PasswordHash: testPasswordHash()}, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
		t.Fatal(err)
	}
	b := env.browser(t)
	b.base = env.srv.URL
	b.signIn("checker.xian")
	if code, page := b.get("/stats/checks?month=" + month); code != 200 || !strings.Contains(page, "依法限制参加政府采购活动") {
		t.Errorf("stats page: %d", code)
	}
	if code, csv := b.get("/stats/checks?format=csv&month=" + month); code != 200 || !strings.Contains(csv, "西安市市场监督管理局,M01,依法限制参加政府采购活动,1,1,0,0") {
		t.Errorf("stats CSV: %d %s", code, csv)
	}
	// Another city's department cannot report on this check.
	other, _ := env.s.FindOrgByUSCC(context.Background(), storetest.USCC("11", "610300", 7))
	prefix, secret, key := auth.NewAPIKey()
	env.s.CreateClient(context.Background(), auth.APIClient{OrgID: other.ID, Name: "宝鸡", Scopes: []string{"checks:run"}, Prefix: prefix, SecretSum: auth.TokenHash(secret)},
		auth.AuditEntry{Actor: "system:test", Action: auth.AuditClientChange})
	if code, _ := send(key, []map[string]any{{"item": 1, "measure": "M01", "applied": false, "reason": "x"}}); code != 404 {
		t.Errorf("宝鸡 reports on 西安's check: %d", code)
	}
}

func TestCheckByName(t *testing.T) {
	t.Parallel()
	env := newCheckEnv(t)
	code, r, raw := env.post(t, env.key, map[string]any{"scenario": "bidding", "case_no": "ZB-7", "subjects": []map[string]string{
		{"name": "西安老賴商貿有限公司"},             // traditional characters
		{"name": "老赖商贸", "region": "6101"}, // no place, no form
		{"name": "宝鸡市秦岭建材有限公司"},            // nobody
	}})
	if code != 200 {
		t.Fatalf("%d %s", code, raw)
	}
	for i := 0; i < 2; i++ {
		it := r.Items[i]
		if it.Match != "name" || len(it.Candidates) == 0 || it.Candidates[0].Subject.USCC != env.debtor || it.Candidates[0].Score < match.DefaultMinScore ||
			it.Candidates[0].Result.Verdict != check.Punish || len(it.Candidates[0].Features) == 0 || it.Candidates[0].Features[0].Explain == "" {
			t.Errorf("item %d: %+v", i+1, it)
		}
	}
	if it := r.Items[2]; it.Match != "none" || len(it.Candidates) != 0 || it.Error == "" {
		t.Errorf("an unknown name: %+v", it)
	}
	if r.Summary.Punished != 2 || r.Summary.NotFound != 1 || r.Summary.Possible != 0 {
		t.Errorf("summary %+v", r.Summary)
	}
	if c := r.Items[0].Candidates[0]; c.Band != check.BandMatch || c.Diff != nil || len(r.Items[0].Possible) != 0 {
		t.Errorf("a match: %+v", r.Items[0])
	}
	// One character off: a possible match, listed apart, which decides
	// nothing: the item is not found and nobody is punished.
	code, r, raw = env.post(t, env.key, map[string]any{"scenario": "bidding", "case_no": "ZB-10", "subjects": []map[string]string{
		{"name": "西安老懒商贸有限公司"},
	}})
	if code != 200 {
		t.Fatalf("%d %s", code, raw)
	}
	it := r.Items[0]
	if it.Match != "none" || len(it.Candidates) != 0 || len(it.Possible) != 1 || !strings.Contains(it.Error, "请人工核对") {
		t.Fatalf("a slip: %s", raw)
	}
	p := it.Possible[0]
	if p.Subject.USCC != env.debtor || p.Band != check.BandPossible || p.Score >= match.DefaultMinScore || p.Score < match.PossibleMinScore ||
		p.Diff == nil || p.Diff.Kind != "substitute" || p.Diff.Change != "懒→赖" || p.Diff.Text != "查询“老懒商贸”与“老赖商贸”相差一字：懒→赖" ||
		p.Result.Verdict != check.Punish {
		t.Errorf("possible match %+v", p)
	}
	if r.Summary.Punished != 0 || r.Summary.NotFound != 1 || r.Summary.Possible != 1 {
		t.Errorf("summary %+v", r.Summary)
	}
	if !strings.Contains(raw, `"band":"possible"`) || !strings.Contains(raw, `"possible":[`) {
		t.Errorf("JSON %s", raw)
	}
	// A malformed code is named with what is wrong with it.
	_, r, _ = env.post(t, env.key, map[string]any{"scenario": "bidding", "case_no": "ZB-9", "subjects": []map[string]string{{"code": "12345"}}})
	if it := r.Items[0]; it.Match != "none" || !strings.Contains(it.Error, "“12345”有5位") {
		t.Errorf("a short code: %+v", it)
	}
	// A code always wins over a name.
	_, r, _ = env.post(t, env.key, map[string]any{"scenario": "bidding", "case_no": "ZB-8", "subjects": []map[string]string{{"code": env.honest, "name": "西安老赖商贸有限公司"}}})
	if it := r.Items[0]; it.Match != "code" || it.Subject.USCC != env.honest {
		t.Errorf("code and name: %+v", it)
	}
}

// TestListForm: a department's reviewer enters a subject on a list by
// hand, a check then finds it, and the reviewer removes it again.
func TestListForm(t *testing.T) {
	t.Parallel()
	env := newCheckEnv(t)
	ctx := context.Background()
	if _, err := env.s.CreateUser(ctx, auth.User{Login: "reviewer.xian", OrgID: env.deptXian.ID, Roles: []string{"reviewer"},
		PasswordHash: testPasswordHash()}, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
		t.Fatal(err)
	}
	b := env.browser(t)
	b.base = env.srv.URL
	b.signIn("reviewer.xian")
	code, page := b.get("/lists/new?kind=sx")
	if code != 200 || !strings.Contains(page, "市场监督管理严重违法失信名单") {
		t.Fatalf("form: %d", code)
	}
	csrf := csrfRe.FindStringSubmatch(page)[1]
	target := storetest.USCC("91", "610113", 777)
	form := url.Values{"csrf": {csrf}, "kind": {"sx"}, "list_type": {"市场监督管理严重违法失信名单"}, "subject_class": {"法人及非法人组织"},
		"subject_name": {"西安失信建材有限公司"}, "subject_uscc": {target}, "legal_rep": {"孙八"}, "decision_no": {"西市监严〔2026〕3号"},
		"facts": {"因销售不合格建材受到较重行政处罚"}, "legal_basis": {"《市场监督管理严重违法失信名单管理办法》第九条"},
		"decision_date": {calendar.Today().AddDays(-5).String()}, "authority": {"西安市市场监督管理局"}, "authority_uscc": {penaltyDept}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Del("decision_no")
	if code, page, _ := b.post("/lists/new", bad); code != http.StatusUnprocessableEntity || !strings.Contains(page, "认定文书号") {
		t.Errorf("a form without 认定文书号: %d", code)
	}
	code, page, _ = b.post("/lists/new", form)
	m := regexp.MustCompile(`href="/records/([^"]+)">查看该条信息`).FindStringSubmatch(page)
	if code != 200 || m == nil {
		t.Fatalf("filed: %d %s", code, page)
	}
	ref := m[1]
	_, r, _ := env.post(t, env.key, map[string]any{"scenario": "honour", "case_no": "PX-9", "subjects": []map[string]string{{"code": target}}})
	if v := r.Items[0].Result; v == nil || v.Verdict != check.Punish || v.Lists[0].ValidTo == "" {
		t.Fatalf("check after the form: %+v", r.Items[0])
	}
	// The default period was applied: 36 months from the decision date.
	if want := calendar.Today().AddDays(-5).AddMonths(36).AddDays(-1).String(); r.Items[0].Result.Lists[0].ValidTo != want {
		t.Errorf("valid to %s, want %s", r.Items[0].Result.Lists[0].ValidTo, want)
	}
	// Removal from the record page.
	if code, page := b.get("/records/" + ref); code != 200 || !strings.Contains(page, `id="exit-form"`) {
		t.Fatalf("record page for its department: %d", code)
	}
	csrf = b.csrf("/records/" + ref)
	if code, _, _ := b.post("/records/"+ref+"/exit", url.Values{"csrf": {csrf}, "exit_date": {calendar.Today().String()}, "exit_reason": {"经复核，提前移出"}}); code != http.StatusSeeOther {
		t.Fatalf("exit: %d", code)
	}
	_, r, _ = env.post(t, env.key, map[string]any{"scenario": "honour", "case_no": "PX-10", "subjects": []map[string]string{{"code": target}}})
	if v := r.Items[0].Result; v.Verdict != check.None {
		t.Errorf("check after the exit: %+v", v)
	}
	// Another city's clerk can neither use the form for 西安 nor remove it.
	c := env.browser(t)
	c.base = env.srv.URL
	c.signIn("clerk.baoji")
	if code, _, _ := c.post("/records/"+ref+"/exit", url.Values{"csrf": {c.csrf("/lists/new")}, "exit_date": {calendar.Today().String()}, "exit_reason": {"x"}}); code != http.StatusForbidden {
		t.Errorf("宝鸡 removes 西安's entry: %d", code)
	}
}
