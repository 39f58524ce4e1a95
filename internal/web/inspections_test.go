package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/inspection"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// inspectionEnv is the objection environment (the shop, 西安市市场监管局
// without a region of its own: 西安市's) with 40 firms of 西安市, graded;
// a supervisor and an inspector of the department; the department's
// measures drawing 5% of A, 20% of B and of the ungraded, 60% of C and all
// of D; and the 双随机 pages and API served.
type inspectionEnv struct {
	objectionEnv
	svc *inspection.Service
}

func newInspectionEnv(t *testing.T) inspectionEnv {
	t.Helper()
	ctx := context.Background()
	env := inspectionEnv{objectionEnv: newObjectionEnv(t)}
	var firms []credit.Subject
	for i := range 40 {
		firms = append(firms, credit.Subject{Class: credit.ClassOrg, USCC: storetest.USCC("91", "610113", 600+i), Name: fmt.Sprintf("西安抽查测试%02d食品有限公司", i), Region: "610113"})
	}
	if _, err := env.s.PutSubjects(ctx, firms); err != nil {
		t.Fatal(err)
	}
	for _, u := range []auth.User{
		{Login: "supervisor", Name: "监管科", OrgID: env.deptXian.ID, Roles: []string{auth.RoleSupervisor}},
		{Login: "inspector", Name: "执法员甲", OrgID: env.deptXian.ID, Roles: []string{auth.RoleInspector}},
		{Login: "inspector2", Name: "执法员乙", OrgID: env.deptXian.ID, Roles: []string{auth.RoleInspector}},
	} {
		u.PasswordHash = testPasswordHash()
		if _, err := env.s.CreateUser(ctx, u, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
			t.Fatal(err)
		}
	}
	ev := evaluationService(t, env.s)
	if _, err := ev.Run(ctx, calendar.Today(), "test", nil); err != nil {
		t.Fatal(err)
	}
	im := &ingest.Importer{Store: env.s, Catalog: catalog.Default(), Calendar: calendar.Default(), Hash: storetest.Keys().Hash}
	env.svc = &inspection.Service{Store: env.s, Auth: env.opts.Authorizer, Importer: im, Grades: ev.Model.GradeCodes(), Model: ev.Model.Key}
	dept, _ := env.s.GetOrg(ctx, env.deptXian.ID)
	sup := auth.Principal{Kind: auth.UserKind, ID: 99, Org: dept, Roles: []string{auth.RoleSupervisor}}
	plan, _, err := env.svc.Plan(ctx, sup)
	if err != nil {
		t.Fatal(err)
	}
	for i, pct := range []float64{5, 20, 60, 100} {
		plan.Grades[i].Percent = pct
	}
	plan.Ungraded.Percent = 20
	if err := env.svc.SetPlan(ctx, sup, plan); err != nil {
		t.Fatal(err)
	}
	opts := env.opts
	opts.Importer, opts.Evaluation, opts.Inspections = im, ev, env.svc
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env.base = srv.URL
	return env
}

var taskPathRe = regexp.MustCompile(`^/inspections/(\d+)$`)

// TestInspectionPages: who may do what on the 双随机 pages; a department
// keeps its measures, matters and pool (with 回避), creates and draws a
// task; the inspector drawn enters a result, another is refused; the public
// reads the drawn task and its published inputs.
func TestInspectionPages(t *testing.T) {
	t.Parallel()
	env := newInspectionEnv(t)
	public := env.as(t, "")
	if code, _ := public.get("/supervision"); code != http.StatusSeeOther {
		t.Errorf("anonymous /supervision: %d", code)
	}
	clerk := env.as(t, "clerk.xian")
	if code, page := clerk.get("/supervision"); code != http.StatusForbidden || !strings.Contains(page, "无权开展分级分类监管") {
		t.Errorf("a clerk's /supervision: %d", code)
	}
	sup := env.as(t, "supervisor")
	_, page := sup.get("/supervision")
	for _, want := range []string{"大庆市林甸县", `name="percent_A" value="5"`, "陕西省西安市", "诚信守法", `id="supervised"`, "西安抽查测试00食品有限公司", `id="nav-supervision"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the supervision page lacks %q", want)
		}
	}
	form := url.Values{"csrf": {sup.csrf("/supervision")}}
	for _, g := range []string{"A", "B", "C", "D", "-"} {
		form.Set("percent_"+g, "10")
		form.Set("max_per_year_"+g, "1")
		form.Set("frequency_"+g, "每年1次")
		form.Set("measures_"+g, "常规")
	}
	if code, body, _ := sup.post("/supervision", form); code != http.StatusUnprocessableEntity || !strings.Contains(body, "抽取比例10%不在区间0%至5%内") {
		t.Errorf("A at 10%%: %d", code)
	}

	// Matters and the pool: the inspector's account linked; 执法员乙 must
	// not inspect the first firm.
	setup := func(path string, v url.Values) (int, string) {
		v.Set("csrf", sup.csrf("/inspections/setup"))
		code, body, _ := sup.post(path, v)
		return code, body
	}
	if code, body := setup("/inspections/setup/items", url.Values{"code": {"SC-01"}, "name": {"食品经营者检查"}, "basis": {"《食品安全法》第一百一十条"}}); code != http.StatusSeeOther {
		t.Fatalf("item: %d %s", code, body)
	}
	if code, body := setup("/inspections/setup/items", url.Values{"code": {"SC-01"}, "name": {"重复"}, "basis": {"x"}}); code != http.StatusConflict || !strings.Contains(body, "已存在") {
		t.Errorf("the same code again: %d", code)
	}
	for _, in := range [][3]string{{"执法员甲", "61010001", "inspector"}, {"执法员乙", "61010002", ""}, {"执法员丙", "61010003", ""}} {
		if code, body := setup("/inspections/setup/inspectors", url.Values{"name": {in[0]}, "badge": {in[1]}, "login": {in[2]}}); code != http.StatusSeeOther {
			t.Fatalf("inspector %v: %d %s", in, code, body)
		}
	}
	if code, body := setup("/inspections/setup/inspectors", url.Values{"name": {"外单位"}, "badge": {"61010009"}, "login": {"clerk.baoji"}}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "本部门没有登录名为") {
		t.Errorf("another department's account: %d", code)
	}
	ctx := context.Background()
	dept, _ := env.s.GetOrg(ctx, env.deptXian.ID)
	pool, _ := env.s.Inspectors(ctx, dept.ID)
	firstFirm := storetest.USCC("91", "610113", 600)
	if code, body := setup(fmt.Sprintf("/inspections/setup/inspectors/%d", pool[1].ID), url.Values{"action": {"conflict"}, "code": {firstFirm}, "reason": {"近亲属任职"}}); code != http.StatusSeeOther {
		t.Fatalf("conflict: %d %s", code, body)
	}
	if _, page := sup.get("/inspections/setup"); !strings.Contains(page, "近亲属任职") || !strings.Contains(page, "（已关联账户）") {
		t.Errorf("the setup page:\n%s", page)
	}
	if code, _ := env.as(t, "inspector").get("/inspections/setup"); code != http.StatusForbidden {
		t.Errorf("an inspector's setup page: %d", code)
	}

	// A task, drawn; the public sees it only once drawn.
	items, _ := env.s.InspectionItems(ctx, dept.ID)
	today := calendar.Today()
	code, body, h := sup.post("/inspections", url.Values{"csrf": {sup.csrf("/inspections/new")}, "item": {fmt.Sprint(items[0].ID)}, "name": {"食品经营者双随机抽查"},
		"region": {"6101"}, "class": {"org", "sole"}, "from": {today.String()}, "to": {today.AddDays(30).String()}, "per_target": {"2"}})
	if code != http.StatusSeeOther || !taskPathRe.MatchString(h.Get("Location")) {
		t.Fatalf("create: %d %s", code, body)
	}
	taskPath := h.Get("Location")
	if code, _ := public.get(taskPath); code != http.StatusNotFound {
		t.Errorf("the public reads an open task: %d", code)
	}
	_, page = sup.get(taskPath)
	if !strings.Contains(page, `id="draw"`) || !strings.Contains(page, `id="seed-hash"`) || strings.Contains(page, `id="seed"`) {
		t.Errorf("the open task's page:\n%s", page)
	}
	if code, _, _ := env.as(t, "inspector").post(taskPath+"/draw", url.Values{"csrf": {sup.csrf(taskPath)}}); code != http.StatusForbidden {
		t.Errorf("an inspector draws: %d", code)
	}
	if code, body, _ := sup.post(taskPath+"/draw", url.Values{"csrf": {sup.csrf(taskPath)}}); code != http.StatusSeeOther {
		t.Fatalf("draw: %d %s", code, body)
	}
	id := taskPathRe.FindStringSubmatch(taskPath)[1]
	v, err := env.svc.Task(ctx, auth.Anyone, taskIDOf(id))
	if err != nil || len(v.Targets) == 0 {
		t.Fatalf("drawn task: %+v %v", v, err)
	}
	for _, g := range v.Targets {
		for _, in := range g.Inspectors {
			if in.Badge == "61010002" && g.Code == firstFirm {
				t.Errorf("执法员乙 drawn for the firm they must not inspect")
			}
		}
	}
	code, page = public.get(taskPath)
	for _, want := range []string{`id="seed"`, `id="population-hash">` + v.T.PopulationHash, `id="strata"`, `id="targets"`, "xinyong inspect redraw " + v.T.Code} {
		if !strings.Contains(page, want) {
			t.Errorf("the public's task page lacks %q", want)
		}
	}
	if strings.Contains(page, "result-form") || strings.Contains(page, "近亲属任职") {
		t.Error("the public sees forms or conflicts")
	}
	if _, list := public.get("/inspections"); !strings.Contains(list, v.T.Code) || !strings.Contains(list, "已抽取") {
		t.Errorf("the public list:\n%s", list)
	}
	code, listing := public.get("/api/v1/inspections/" + id + "/population")
	if code != http.StatusOK || inspection.Hash([]byte(listing)) != v.T.PopulationHash {
		t.Errorf("published snapshot: %d", code)
	}

	// Results: the linked inspector on a target of theirs; refused on
	// another's. The account is linked to the first target's first
	// inspector (the draw is random).
	drawnFor := v.Targets[0].Inspectors[0]
	var insp *browser
	if drawnFor.Badge == "61010001" {
		insp = env.as(t, "inspector")
	} else {
		users, _ := env.s.ListUsers(ctx, "")
		for _, usr := range users {
			if usr.Login == "inspector2" {
				drawnFor.UserID = usr.ID
			}
		}
		if err := env.s.UpdateInspector(ctx, drawnFor, auth.AuditEntry{Actor: "system:test", Action: auth.AuditInspection}); err != nil {
			t.Fatal(err)
		}
		insp = env.as(t, "inspector2")
	}
	mine, theirs := 0, -1
	for i, g := range v.Targets {
		ours := false
		for _, in := range g.Inspectors {
			ours = ours || in.ID == drawnFor.ID
		}
		if !ours && theirs < 0 {
			theirs = i
		}
	}
	result := func(b *browser, i int, res, findings string) (int, string) {
		p := fmt.Sprintf("%s/targets/%d", taskPath, v.Targets[i].Seq)
		code, body, _ := b.post(p, url.Values{"csrf": {b.csrf(taskPath)}, "result": {res}, "findings": {findings}, "inspected_on": {today.String()}})
		return code, body
	}
	if theirs >= 0 {
		if code, body := result(insp, theirs, "合格", ""); code != http.StatusForbidden || !strings.Contains(body, "只有抽中的检查人员") {
			t.Errorf("another's target: %d", code)
		}
	}
	if code, body := result(insp, mine, "不合格", ""); code != http.StatusUnprocessableEntity || !strings.Contains(body, "请填写检查发现的问题及处理") {
		t.Errorf("不合格 without findings: %d", code)
	}
	if code, body := result(insp, mine, "不合格", "未按规定公示即时信息"); code != http.StatusSeeOther {
		t.Fatalf("result: %d %s", code, body)
	}
	_, page = public.get(taskPath)
	if !strings.Contains(page, "<strong>不合格</strong>") || !strings.Contains(page, "未按规定公示即时信息") {
		t.Errorf("the result on the public task page")
	}
	// Filed as a 双随机抽查结果 record of the department, in the column.
	if _, col := public.get("/sgs?kind=sj"); !strings.Contains(col, inspection.ResultNo(v.T.Code, v.Targets[mine].Seq)) || !strings.Contains(col, `id="sj-intro"`) {
		t.Errorf("the 双随机 column:\n%s", col)
	}
	// The API: the task with its draw.
	code, body = public.get("/api/v1/inspections/" + id)
	var out InspectionTaskOut
	if err := json.Unmarshal([]byte(body), &out); code != http.StatusOK || err != nil || out.Seed != v.T.Seed || len(out.Targets) != len(v.Targets) ||
		out.Targets[mine].Result != "不合格" || out.Targets[mine].RecordRef == "" || out.RegionName != "陕西省西安市" {
		t.Errorf("API task: %d %v %+v", code, err, out)
	}
	if code, _ := public.get("/api/v1/supervision"); code != http.StatusUnauthorized {
		t.Errorf("anonymous supervision API: %d", code)
	}
}

func taskIDOf(s string) int64 {
	id, _ := inspection.ParseID(s)
	return id
}

// TestInspectionAPI: a department's system (API key) keeps the pool and
// draws; a key of another department is refused its task.
func TestInspectionAPI(t *testing.T) {
	t.Parallel()
	env := newInspectionEnv(t)
	key := apiKey(t, env.s, env.deptXian.ID, "inspections:manage", "inspections:record")
	other := apiKey(t, env.s, env.deptBaoji.ID, "inspections:manage", "inspections:record")
	checkOnly := apiKey(t, env.s, env.deptXian.ID, "checks:run")
	u := env.base + "/api/v1"
	if code, body := apiPost(t, u+"/inspections/items", checkOnly, map[string]string{"code": "X", "name": "x", "basis": "y"}); code != http.StatusForbidden {
		t.Errorf("a key without the scope: %d %s", code, body)
	}
	code, body := apiPost(t, u+"/inspections/items", key, map[string]string{"code": "SC-01", "name": "食品经营者检查", "basis": "《食品安全法》"})
	if code != http.StatusCreated {
		t.Fatalf("item: %d %s", code, body)
	}
	var item ItemOut
	json.Unmarshal([]byte(body), &item)
	for _, b := range []string{"61010001", "61010002"} {
		if code, body := apiPost(t, u+"/inspections/inspectors", key, map[string]string{"name": "检查员", "badge": b}); code != http.StatusCreated {
			t.Fatalf("inspector: %d %s", code, body)
		}
	}
	if code, body := apiPost(t, u+"/inspections", key, map[string]any{"item_id": item.ID, "name": "抽查", "region": "6103", "from": "2026-01-01", "to": "2026-12-31"}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "本部门辖区") {
		t.Errorf("a region outside the department's: %d %s", code, body)
	}
	code, body = apiPost(t, u+"/inspections", key, map[string]any{"item_id": item.ID, "name": "抽查", "keywords": []string{"食品"}, "from": "2026-01-01", "to": "2026-12-31"})
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	var task InspectionTaskOut
	json.Unmarshal([]byte(body), &task)
	if task.Seed != "" || len(task.SeedHash) != 64 || task.Dept != "西安市市场监督管理局" {
		t.Errorf("created %+v", task)
	}
	if code, _ := apiPost(t, fmt.Sprintf("%s/inspections/%d/draw", u, task.ID), other, nil); code != http.StatusForbidden {
		t.Errorf("another department draws: %d", code)
	}
	code, body = apiPost(t, fmt.Sprintf("%s/inspections/%d/draw", u, task.ID), key, nil)
	if code != http.StatusOK {
		t.Fatalf("draw: %d %s", code, body)
	}
	json.Unmarshal([]byte(body), &task)
	for _, g := range task.Targets {
		if !strings.Contains(g.Name, "食品") {
			t.Errorf("a target outside the keyword: %s", g.Name)
		}
	}
	if len(task.Targets) == 0 || task.PopulationSize != 40 || len(task.Strata) != 5 {
		t.Fatalf("drawn %+v", task)
	}
	if code, _ := apiPost(t, fmt.Sprintf("%s/inspections/%d/draw", u, task.ID), key, nil); code != http.StatusConflict {
		t.Errorf("drawn twice: %d", code)
	}
	code, body = apiCall(t, "PUT", fmt.Sprintf("%s/inspections/%d/targets/%d", u, task.ID, task.Targets[0].Seq), key,
		map[string]string{"result": "合格", "inspected_on": calendar.Today().String()})
	if code != http.StatusOK || !strings.Contains(body, `"record_ref"`) {
		t.Errorf("result: %d %s", code, body)
	}
	if code, _ := apiCall(t, "PUT", fmt.Sprintf("%s/inspections/%d/targets/%d", u, task.ID, task.Targets[0].Seq), other,
		map[string]string{"result": "合格", "inspected_on": calendar.Today().String()}); code != http.StatusForbidden {
		t.Errorf("another department's result: %d", code)
	}
	code, body = apiCall(t, "GET", u+"/supervision?grade=A", key, nil)
	if code != http.StatusOK || !strings.Contains(body, `"custom":true`) || !strings.Contains(body, `"counts"`) {
		t.Errorf("supervision: %d %s", code, body)
	}
	rec, _ := env.s.LatestRecords(context.Background(), store.RecordFilter{Kind: "sj", Limit: 5})
	if len(rec) != 1 || rec[0].SourceDept != penaltyDept {
		t.Errorf("sj records %+v", rec)
	}
}
