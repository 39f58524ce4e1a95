package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/objection"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// objectionEnv is the access environment with objections served, a
// public penalty of 西安市市场监管局 about a shop, the shop's account and
// reviewers of the department, of 西安市 (the level above) and of the
// platform operator.
type objectionEnv struct {
	accessEnv
	base, ref string
	recordID  int64
	penalty   map[string]string
}

func newObjectionEnv(t *testing.T) objectionEnv {
	t.Helper()
	ctx := context.Background()
	env := objectionEnv{accessEnv: newAccessEnv(t)}
	recent := calendar.Today().AddMonths(-1)
	env.penalty = shopPenalty("西市监罚〔2026〕异1号", recent, storetest.RIC("610103", "19750505", 8))
	for _, k := range []string{"authority_uscc", "source_dept_uscc"} {
		env.penalty[k] = penaltyDept
	}
	env.penalty["authority"], env.penalty["source_dept"] = "西安市市场监督管理局", "西安市市场监督管理局"
	fileCF(t, env.s, recent.AddDays(2), env.penalty)
	col, err := env.opts.Portal.Latest(ctx, store.RecordFilter{Kind: "cf"}, 10)
	if err != nil || len(col.Records) == 0 {
		t.Fatalf("the penalty is not public: %v", err)
	}
	v := col.Records[0]
	env.ref, env.recordID = v.Ref, v.ID
	for _, u := range []auth.User{
		{Login: "shop", Name: "碑林区老王面馆", Roles: []string{"subject"}, SubjectID: v.SubjectID},
		{Login: "reviewer.dept", Name: "市场监管审核员", OrgID: env.deptXian.ID, Roles: []string{"reviewer"}},
		{Login: "reviewer.xian", Name: "西安审核员", OrgID: env.xian.ID, Roles: []string{"reviewer"}},
		{Login: "reviewer.root", Name: "平台审核员", OrgID: env.root.ID, Roles: []string{"reviewer"}},
	} {
		u.PasswordHash = testPasswordHash()
		if _, err := env.s.CreateUser(ctx, u, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
			t.Fatal(err)
		}
	}
	env.opts.Objections = &objection.Service{Store: env.s, Auth: env.opts.Authorizer, Keys: storetest.Keys(), Public: env.opts.Portal.IsPublic}
	h, err := New(env.opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env.base = srv.URL
	return env
}

// fileCorrection files the shop's penalty again with the fine corrected
// to 1万元, through intake as a department's system would (更正原因 异议更正).
func (env objectionEnv) fileCorrection(t *testing.T) {
	t.Helper()
	corrected := maps.Clone(env.penalty)
	corrected["fine_amount"], corrected["decision_content"] = "1", "罚款1万元"
	k, _ := catalog.Default().Kind("cf")
	var header, row []string
	for _, f := range k.Fields {
		header, row = append(header, f.Name), append(row, corrected[f.Key])
	}
	im := &ingest.Importer{Store: env.s, Catalog: catalog.Default(), Calendar: calendar.Default(), Hash: storetest.Keys().Hash}
	res, err := im.Import(context.Background(), ingest.NewRowsTable(header, [][]string{row}), ingest.Options{Kind: "cf", Channel: "test", Reason: "异议更正"})
	if err != nil || res.Updated != 1 {
		t.Fatalf("correction: %+v %v", res, err)
	}
}

func (env objectionEnv) as(t *testing.T, login string) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: env.base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if login != "" {
		b.signIn(login)
	}
	return b
}

var revRe = regexp.MustCompile(`name="rev" value="(\d+)"`)

// act posts an action on case path with the revision shown on its page.
func act(t *testing.T, b *browser, path, action, outcome, note string) (int, string) {
	t.Helper()
	_, page := b.get(path)
	m := revRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("%s: no form on the case page:\n%s", action, page)
	}
	code, body, _ := b.post(path, url.Values{"csrf": {b.csrf(path)}, "rev": {m[1]}, "action": {action}, "outcome": {outcome}, "note": {note}})
	return code, body
}

// TestObjectionWorkflow: the shop objects to its penalty, the record is
// marked at once; the department cannot decide 更正 before filing the
// correction, files it through intake and decides; the portal shows the
// corrected version and its history; the shop asks for a re-review, which
// only the level above decides. Nobody else sees or acts on the case.
func TestObjectionWorkflow(t *testing.T) {
	t.Parallel()
	env := newObjectionEnv(t)
	ctx := context.Background()
	shop := env.as(t, "shop")
	recPath := "/records/" + env.ref
	if _, page := shop.get(recPath); !strings.Contains(page, `id="objection-form"`) {
		t.Fatal("the shop's own record offers no objection form")
	}
	firm := env.as(t, "firm") // another subject
	if _, page := firm.get(recPath); strings.Contains(page, `id="objection-form"`) {
		t.Error("another subject is offered the objection form")
	}
	if code, body, _ := firm.post(recPath+"/objections", url.Values{"csrf": {firm.csrf("/my")}, "reasons": {"不是我"}}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "其他人提出异议，请填写异议申请人的姓名或名称") {
		t.Errorf("another subject files without evidence: %d", code)
	}
	if code, body, _ := shop.post(recPath+"/objections", url.Values{"csrf": {shop.csrf(recPath)}, "reasons": {"  "}}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "请填写异议理由") {
		t.Errorf("empty reasons: %d", code)
	}
	if code, body, _ := postFiles(shop, recPath+"/objections", "evidence", url.Values{"csrf": {shop.csrf(recPath)}, "reasons": {"有误"}},
		upload{"说明.gif", []byte("GIF89a......")}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "不是PDF、JPG或PNG格式") {
		t.Errorf("evidence of a wrong type: %d", code)
	}
	code, _, h := postFiles(shop, recPath+"/objections", "evidence", url.Values{"csrf": {shop.csrf(recPath)}, "reasons": {"罚款金额应为1万元，不是2万元"},
		"contact": {"13900000000"}}, upload{"缴款凭证.html", pngProof})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/objections/") {
		t.Fatalf("file: %d %v", code, h)
	}
	casePath := h.Get("Location")
	if _, page := shop.get(casePath); !strings.Contains(page, "核查中") || !strings.Contains(page, "13900000000") || !strings.Contains(page, "罚款金额应为1万元") {
		t.Errorf("the shop's case page:\n%s", page)
	}
	// The evidence: listed on the case page under the name of its type
	// (uploaded as .html), sent to the department (and the reading
	// audited), refused to others.
	m := regexp.MustCompile(`href="(/objections/\d+/files/\d+)"[^>]*>缴款凭证.png<`).FindStringSubmatch(func() string { _, p := shop.get(casePath); return p }())
	if m == nil {
		t.Fatal("the case page does not list the evidence")
	}
	if code, body := env.as(t, "reviewer.dept").get(m[1]); code != http.StatusOK || body != string(pngProof) {
		t.Errorf("the department reads the evidence: %d", code)
	}
	if code, _ := env.as(t, "firm").get(m[1]); code != http.StatusNotFound {
		t.Errorf("another subject reads the evidence: %d", code)
	}
	// Marked at once on the public record page.
	public := env.as(t, "")
	if _, page := public.get(recPath); !strings.Contains(page, "异议处理中") {
		t.Error("the record is not marked 异议处理中")
	}
	if code, _ := public.get(casePath); code != http.StatusSeeOther {
		t.Errorf("anonymous case page: %d", code)
	}
	if code, _ := firm.get(casePath); code != http.StatusNotFound {
		t.Errorf("another subject reads the case: %d", code)
	}
	// The department's queue has it; the contact is shown to it.
	dept := env.as(t, "reviewer.dept")
	if _, q := dept.get("/objections"); !strings.Contains(q, casePath) || !strings.Contains(q, "即将到期") && !strings.Contains(q, "办理中") {
		t.Errorf("department queue:\n%s", q)
	}
	if code, body := act(t, dept, casePath, "decide", "correct", "金额录入错误"); code != http.StatusForbidden || !strings.Contains(body, "请先报送更正后的信息") {
		t.Errorf("更正 before the correction is filed: %d", code)
	}
	// The level above cannot decide the first time.
	xian := env.as(t, "reviewer.xian")
	if _, page := xian.get(casePath); strings.Contains(page, `id="form-decide"`) {
		t.Error("the level above is offered the first decision")
	}
	// The correction goes through intake, then the decision.
	env.fileCorrection(t)
	if code, body := act(t, dept, casePath, "decide", "correct", "金额录入错误，已更正为1万元"); code != http.StatusSeeOther {
		t.Fatalf("decide: %d %s", code, body)
	}
	if _, page := shop.get(casePath); !strings.Contains(page, "已办结") || !strings.Contains(page, "更正：金额录入错误") || !strings.Contains(page, "按期办结") {
		t.Errorf("decided case page:\n%s", page)
	}
	if _, page := public.get(recPath); strings.Contains(page, "异议处理中") || !strings.Contains(page, "罚款1万元") || !strings.Contains(page, "（更正）") {
		t.Errorf("public record after the correction:\n%s", page)
	}
	// Re-review, once, by the level above.
	if code, body := act(t, shop, casePath, "request_review", "", "更正后的日期也不对"); code != http.StatusSeeOther {
		t.Fatalf("request review: %d %s", code, body)
	}
	if _, page := public.get(recPath); !strings.Contains(page, "异议处理中") {
		t.Error("not marked again during the re-review")
	}
	if _, page := dept.get(casePath); strings.Contains(page, `id="form-decide_review"`) {
		t.Error("the department is offered the re-review")
	}
	if code, body := act(t, xian, casePath, "decide_review", "uphold", "日期无误"); code != http.StatusSeeOther {
		t.Fatalf("decide review: %d %s", code, body)
	}
	if _, page := shop.get(casePath); !strings.Contains(page, "复核办结") || !strings.Contains(page, "维持：日期无误") || strings.Contains(page, `id="form-`) {
		t.Errorf("closed case page:\n%s", page)
	}
	if _, page := public.get(recPath); strings.Contains(page, "异议处理中") {
		t.Error("still marked after the re-review")
	}
	// A stale form is refused with 409.
	code, _, _ = dept.post(casePath, url.Values{"csrf": {dept.csrf(casePath)}, "rev": {"1"}, "action": {"decide"}, "outcome": {"uphold"}, "note": {"x"}})
	if code != http.StatusConflict {
		t.Errorf("stale revision: %d", code)
	}
	// The API: the case and its history for the applicant, nothing for others.
	apiPath := "/api/v1/objections/" + strings.TrimPrefix(casePath, "/objections/")
	code, body := shop.get(apiPath)
	var c ObjectionCase
	if err := json.Unmarshal([]byte(body), &c); code != http.StatusOK || err != nil {
		t.Fatalf("API case: %d %v %s", code, err, body)
	}
	if c.State != "closed" || c.Outcome != "uphold" || len(c.History) != 4 || len(c.Steps) != 6 || c.Marked || c.Contact != "13900000000" {
		t.Errorf("API case %+v", c)
	}
	if code, _ := firm.get(apiPath); code != http.StatusNotFound {
		t.Errorf("API case for another subject: %d", code)
	}
	if code, _ := public.get(apiPath); code != http.StatusUnauthorized {
		t.Errorf("API case for the public: %d", code)
	}
	// Filing through the API.
	req, _ := http.NewRequest("POST", env.base+"/api/v1/objections", strings.NewReader(`{"record":"`+env.ref+`","reasons":"日期有误"}`))
	req.Header.Set("Content-Type", "application/json")
	code, body, _ = shop.do(req)
	if err := json.Unmarshal([]byte(body), &c); code != http.StatusCreated || err != nil || c.State != "pending" || !c.Marked || c.Record != env.ref {
		t.Errorf("API file: %d %s", code, body)
	}
	req, _ = http.NewRequest("POST", env.base+"/api/v1/objections", strings.NewReader(`{"record":"`+env.ref+`","reasons":"不是我"}`))
	req.Header.Set("Content-Type", "application/json")
	if code, body, _ := firm.do(req); code != http.StatusUnprocessableEntity || !strings.Contains(body, "其他人提出异议") {
		t.Errorf("API file by another subject without evidence: %d %s", code, body)
	}
	// The public column counts them, without names.
	if code, page := public.get("/rights"); code != http.StatusOK || !regexp.MustCompile(`受理异议</th><td class="num">2<`).MatchString(page) ||
		!regexp.MustCompile(`更正</th><td class="num">1<`).MatchString(page) || !strings.Contains(page, "异议核查处理") || strings.Contains(page, "老王面馆") {
		t.Errorf("public column: %d\n%s", code, page)
	}
	// Every step is in the audit trail.
	entries, err := env.s.ListAudit(ctx, store.AuditFilter{Actions: []string{auth.AuditObjection}})
	if err != nil || len(entries) != 6 { // five actions and the evidence read
		t.Errorf("audit entries %d, %v", len(entries), err)
	}
}

// TestObjectionByThirdParty: someone without the subject's account objects
// to a public record with evidence; the record is marked at once; the
// 查询码 shown once lets them follow the case and ask for a re-review;
// nothing is taken without a name, a contact and evidence, or about a
// record that is not public.
func TestObjectionByThirdParty(t *testing.T) {
	t.Parallel()
	env := newObjectionEnv(t)
	ctx := context.Background()
	public, shop, dept := env.as(t, ""), env.as(t, "shop"), env.as(t, "reviewer.dept")
	recPath := "/records/" + env.ref
	if _, page := public.get(recPath); !strings.Contains(page, `id="public-objection-form"`) || strings.Contains(page, `id="objection-form"`) {
		t.Fatalf("the public is not offered the evidence form:\n%s", page)
	}
	if _, page := shop.get(recPath); strings.Contains(page, `id="public-objection-form"`) || !strings.Contains(page, `id="objection-form"`) {
		t.Error("the subject is offered the third-party form")
	}
	full := url.Values{"applicant": {"李四"}, "reasons": {"该处罚已由复议决定撤销"}, "contact": {"13800000000"}}
	for _, c := range []struct {
		name  string
		drop  string
		files []upload
		want  string
		set   url.Values
	}{
		{"a reversed name", "", []upload{{"复议决定书.png", pngProof}}, "申请人姓名或名称含有改变文字显示方向的控制字符（U&#43;202E）",
			url.Values{"applicant": {"李\u202E四"}}},
		{"a reversed contact", "", []upload{{"复议决定书.png", pngProof}}, "联系方式含有改变文字显示方向的控制字符（U&#43;2067）",
			url.Values{"contact": {"\u2067138\u2069"}}},
		{"reversed reasons", "", []upload{{"复议决定书.png", pngProof}}, "异议理由含有改变文字显示方向的控制字符（U&#43;202E）",
			url.Values{"reasons": {"已撤销\u202E议复"}}},
		{"no evidence", "", nil, "须上传证明该信息有误的证据材料", nil},
		{"no name", "applicant", []upload{{"复议决定书.png", pngProof}}, "请填写异议申请人的姓名或名称", nil},
		{"no name, no evidence", "applicant", nil, "请填写异议申请人的姓名或名称", nil},
		{"no contact", "contact", []upload{{"复议决定书.png", pngProof}}, "请填写联系方式", nil},
		{"a text file", "", []upload{{"说明.txt", []byte("复议撤销")}}, "不是PDF、JPG或PNG格式", nil},
	} {
		form := url.Values{}
		for k, v := range full {
			if k != c.drop {
				form[k] = v
			}
		}
		for k, v := range c.set {
			form[k] = v
		}
		if code, body, _ := postFiles(public, recPath+"/objections", "evidence", form, c.files...); code != http.StatusUnprocessableEntity ||
			!strings.Contains(body, c.want) {
			t.Errorf("%s: %d, want 422 with %q\n%s", c.name, code, c.want, body)
		}
	}
	if rows, _ := env.s.ListObjections(ctx, store.CaseFilter{}); len(rows) != 0 {
		t.Fatalf("a refused objection was stored: %d", len(rows))
	}
	code, body, _ := postFiles(public, recPath+"/objections", "evidence", full, upload{"复议决定书.png", pngProof})
	m := regexp.MustCompile(`查询码 <strong class="code">([A-Z2-7]{16})</strong>`).FindStringSubmatch(body)
	if code != http.StatusCreated || m == nil {
		t.Fatalf("file: %d\n%s", code, body)
	}
	accessCode := m[1]
	casePath := regexp.MustCompile(`href="(/objections/\d+)\?code=`).FindStringSubmatch(body)[1]
	if _, page := public.get(recPath); !strings.Contains(page, "异议处理中") {
		t.Error("the record is not marked")
	}
	if code, _ := public.get(casePath); code != http.StatusSeeOther {
		t.Errorf("the case without a code: %d", code)
	}
	if code, _ := public.get(casePath + "?code=AAAAAAAAAAAAAAAA"); code != http.StatusNotFound {
		t.Errorf("the case with a wrong code: %d", code)
	}
	if code, page := public.get(casePath + "?code=" + strings.ToLower(accessCode[:8]) + "-" + strings.ToLower(accessCode[8:])); code != http.StatusOK ||
		!strings.Contains(page, "李四") || !strings.Contains(page, `id="form-withdraw"`) || strings.Contains(page, "查询码只显示这一次") {
		t.Errorf("the case with the code: %d\n%s", code, page)
	}
	// The department decides 维持; the applicant asks for a re-review with the code.
	if _, q := dept.get("/objections"); !strings.Contains(q, casePath+`"`) {
		t.Errorf("department queue:\n%s", q)
	}
	if code, body := act(t, dept, casePath, "decide", "uphold", "复议决定书与本案无关"); code != http.StatusSeeOther {
		t.Fatalf("decide: %d %s", code, body)
	}
	withCode := casePath + "?code=" + accessCode
	_, page := public.get(withCode)
	rev := revRe.FindStringSubmatch(page)
	if rev == nil || !strings.Contains(page, `id="form-request_review"`) {
		t.Fatalf("no re-review form for the code holder:\n%s", page)
	}
	code, body, h := public.post(casePath, url.Values{"code": {accessCode}, "rev": {rev[1]}, "action": {"request_review"}, "note": {"复议决定书编号与处罚决定书一致"}})
	if code != http.StatusSeeOther || h.Get("Location") != withCode {
		t.Fatalf("request review: %d %s %s", code, h.Get("Location"), body)
	}
	if _, page := public.get(withCode); !strings.Contains(page, "复核中") {
		t.Errorf("after the request:\n%s", page)
	}
	// The API: a third party files with evidence and gets its code.
	req, _ := http.NewRequest("POST", env.base+"/api/v1/objections", strings.NewReader(`{"record":"`+env.ref+`","reasons":"金额有误",
		"applicant":"王五","contact":"wang@example.cn","evidence":[{"name":"a.png","data":"`+base64.StdEncoding.EncodeToString(pngProof)+`"}]}`))
	req.Header.Set("Content-Type", "application/json")
	code, body, _ = public.do(req)
	var c ObjectionCase
	if err := json.Unmarshal([]byte(body), &c); code != http.StatusCreated || err != nil || len(c.AccessCode) != 16 || c.Applicant != "王五" {
		t.Fatalf("API file: %d %s", code, body)
	}
	if code, body := public.get(fmt.Sprintf("/api/v1/objections/%d?code=%s", c.ID, c.AccessCode)); code != http.StatusOK || strings.Contains(body, "access_code") {
		t.Errorf("API case with the code: %d %s", code, body)
	}
	// Not about a record that is not public.
	if err := env.s.SetRecordState(ctx, env.recordID, store.StateRevoked, "测试"); err != nil {
		t.Fatal(err)
	}
	if code, body, _ := postFiles(public, recPath+"/objections", "evidence", full, upload{"复议决定书.png", pngProof}); code != http.StatusForbidden ||
		!strings.Contains(body, "不在公示中") {
		t.Errorf("objection to a revoked record: %d", code)
	}
}

// TestObjectionQueueReminders: a case past its due day is shown overdue,
// escalated, with who must act, counted in the reminder atop the queue and
// listed alone with ?overdue=1; the level above sees it too.
func TestObjectionQueueReminders(t *testing.T) {
	t.Parallel()
	env := newObjectionEnv(t)
	shop, dept, xian := env.as(t, "shop"), env.as(t, "reviewer.dept"), env.as(t, "reviewer.xian")
	recPath := "/records/" + env.ref
	env.opts.Objections.Now = func() time.Time { return time.Now().AddDate(0, 0, -20) }
	code, _, h := postFiles(shop, recPath+"/objections", "evidence", url.Values{"csrf": {shop.csrf(recPath)}, "reasons": {"金额有误"}})
	env.opts.Objections.Now = nil
	if code != http.StatusSeeOther {
		t.Fatalf("file: %d", code)
	}
	casePath := h.Get("Location")
	_, q := dept.get("/objections")
	for _, want := range []string{`id="due-reminder"`, "1件已逾期", "逐级督办", "西安市市场监督管理局", "已逾期", "督办上"} {
		if !strings.Contains(q, want) {
			t.Errorf("the department's queue lacks %q:\n%s", want, q)
		}
	}
	if _, q := dept.get("/objections?overdue=1"); !strings.Contains(q, casePath+`"`) || !strings.Contains(q, "只显示已逾期的") {
		t.Errorf("overdue only:\n%s", q)
	}
	if _, q := xian.get("/objections"); !strings.Contains(q, casePath+`"`) || !strings.Contains(q, "1件已逾期") {
		t.Errorf("the level above does not see the overdue case:\n%s", q)
	}
	// The metrics count it for alerting, and export every step.
	_, metrics := env.as(t, "").get("/metrics")
	for _, want := range []string{`xinyong_case_steps{state="overdue",step="objection.decide"} 1`, `xinyong_case_steps{state="due_soon",step="repair.decide"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// A fresh case is neither reminded nor listed as overdue.
	code, _, h = postFiles(shop, recPath+"/objections", "evidence", url.Values{"csrf": {shop.csrf(recPath)}, "reasons": {"日期有误"}})
	if code != http.StatusSeeOther {
		t.Fatalf("file: %d", code)
	}
	if _, q := dept.get("/objections?overdue=1"); strings.Contains(q, h.Get("Location")+`"`) {
		t.Error("a fresh case is listed as overdue")
	}
}
