package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/objection"
	"github.com/xinyong/xinyong/internal/repair"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// repairEnv is the objection environment (the shop's penalty decided a
// month ago, its account, reviewers of 西安市市场监管局, of 西安市 and of
// the platform) with a second penalty of the shop decided 4 months ago,
// and credit repair served.
type repairEnv struct {
	objectionEnv
	oldRef, oldNo string
	oldID         int64
	recent        calendar.Date // the decision day of the penalty of a month ago
}

func newRepairEnv(t *testing.T) repairEnv {
	t.Helper()
	ctx := context.Background()
	env := repairEnv{objectionEnv: newObjectionEnv(t), oldNo: "西市监罚〔2026〕修1号"}
	env.recent = calendar.MustParseDate(env.penalty["decision_date"])
	old := calendar.Today().AddMonths(-4)
	pen := shopPenalty(env.oldNo, old, storetest.RIC("610103", "19750505", 8))
	for _, k := range []string{"authority_uscc", "source_dept_uscc"} {
		pen[k] = penaltyDept
	}
	pen["authority"], pen["source_dept"] = "西安市市场监督管理局", "西安市市场监督管理局"
	fileCF(t, env.s, old.AddDays(2), pen)
	vs, err := env.opts.Portal.OwnRecords(ctx, env.subjectOf(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.DecisionNo == env.oldNo {
			env.oldRef, env.oldID = v.Ref, v.ID
		}
	}
	if env.oldID == 0 || env.oldRef == "" {
		t.Fatalf("the old penalty is not filed: %+v", vs)
	}
	opts := env.opts
	opts.Objections = &objection.Service{Store: env.s, Auth: opts.Authorizer, Keys: storetest.Keys(), Public: opts.Portal.IsPublic}
	opts.Repairs = &repair.Service{Store: env.s, Auth: opts.Authorizer, Portal: opts.Portal, Keys: storetest.Keys()}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env.base = srv.URL
	return env
}

// subjectOf returns the shop's subject id.
func (env repairEnv) subjectOf(t *testing.T) int64 {
	t.Helper()
	r, err := env.s.GetRecord(context.Background(), env.recordID)
	if err != nil {
		t.Fatal(err)
	}
	return r.SubjectID
}

type upload struct {
	name string
	data []byte
}

// postMultipart posts a multipart form with files under "proofs".
func postMultipart(b *browser, path string, fields url.Values, files ...upload) (int, string, http.Header) {
	b.t.Helper()
	return postFiles(b, path, "proofs", fields, files...)
}

// postFiles posts a multipart form with files in field.
func postFiles(b *browser, path, field string, fields url.Values, files ...upload) (int, string, http.Header) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		w, err := mw.CreateFormFile(field, f.name)
		if err != nil {
			b.t.Fatal(err)
		}
		w.Write(f.data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// pngProof is a small image that decodes (package attach refuses what
// only looks like one).
var pngProof = func() []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)))
	return b.Bytes()
}()

var commitmentCodeRe = regexp.MustCompile(`id="commitment-code"><a href="/commitments/\d+">(\d{20})<`)

// TestRepairWorkflow: the shop may apply for the repair of its penalty of
// 4 months ago but not yet for the one of a month ago; it applies with a
// PNG proof and the commitment (a text file and a missing commitment are
// refused); the platform's reviewer accepts, the department's approves;
// the record is then not public (page and read API), the change feed has
// a repair event and the shop still sees it, 已信用修复, in its own file.
// Nobody else sees the application or its proof; a stale form is 409.
func TestRepairWorkflow(t *testing.T) {
	t.Parallel()
	env := newRepairEnv(t)
	ctx := context.Background()
	shop := env.as(t, "shop")
	oldPath := "/records/" + env.oldRef

	// Eligibility on the shop's own record pages.
	_, page := shop.get(oldPath)
	for _, want := range []string{`id="repair-form"`, "可以申请信用修复", "一般失信信息最短公示3个月", "我已阅读并作出上述承诺",
		"申请对行政处罚决定书" + env.oldNo + "信用修复", "已纠正失信行为、履行法定义务，所提交材料真实有效",
		"如有虚假，自愿撤销修复、按最长公示期重新公示并承担法律责任", "不收取任何费用"} {
		if !strings.Contains(page, want) {
			t.Errorf("the old penalty's page lacks %q", want)
		}
	}
	from := env.recent.AddMonths(3).AddDays(1)
	_, page = shop.get("/records/" + env.ref)
	if !strings.Contains(page, "暂不能申请信用修复，自"+from.String()+"起可以申请") || strings.Contains(page, `id="repair-form"`) {
		t.Errorf("the recent penalty's page (from %s):\n%s", from, page)
	}
	firm := env.as(t, "firm") // another subject
	if _, page := firm.get(oldPath); strings.Contains(page, `id="repair"`) {
		t.Error("another subject is shown the repair section")
	}
	public := env.as(t, "")
	if _, page := public.get(oldPath); strings.Contains(page, `id="repair"`) {
		t.Error("the public is shown the repair section")
	}

	// Refusals, each saying why.
	form := func(b *browser, commit bool) url.Values {
		v := url.Values{"csrf": {b.csrf(oldPath)}}
		if commit {
			v.Set("commitment", "accepted")
		}
		return v
	}
	for _, c := range []struct {
		name   string
		b      *browser
		path   string
		commit bool
		files  []upload
		want   string
		status int // 0: 422, the request is wrong
	}{
		{"text file", shop, oldPath, true, []upload{{"收据.txt", []byte("已缴纳罚款2万元")}}, "文件“收据.txt”不是PDF、JPG或PNG格式", 0},
		{"gif", shop, oldPath, true, []upload{{"收据.png", []byte("GIF89a......")}}, "文件“收据.png”不是PDF、JPG或PNG格式（识别为image/gif）", 0},
		{"no commitment", shop, oldPath, false, []upload{{"收据.png", pngProof}}, "我已阅读并作出上述承诺", 0},
		{"no proof", shop, oldPath, true, nil, "请上传至少一份", 0},
		{"too many", shop, oldPath, true, []upload{{"1.png", pngProof}, {"2.png", pngProof}, {"3.png", pngProof}, {"4.png", pngProof}, {"5.png", pngProof}, {"6.png", pngProof}}, "最多5个文件", 0},
		{"too large", shop, oldPath, true, []upload{{"大.pdf", append([]byte("%PDF-1.4\n"), make([]byte, 5<<20)...)}}, "超过了每个文件5MB的上限", 0},
		{"not yet", shop, "/records/" + env.ref, true, []upload{{"收据.png", pngProof}}, "自" + from.String() + "起才可以申请", http.StatusForbidden},
		{"another subject", firm, oldPath, true, []upload{{"收据.png", pngProof}}, "只有该信息所涉主体的账户", http.StatusForbidden},
	} {
		code, body, _ := postMultipart(c.b, c.path+"/repairs", form(c.b, c.commit), c.files...)
		if c.status == 0 {
			c.status = http.StatusUnprocessableEntity
		}
		if code != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d, want %d with %q:\n%s", c.name, code, c.status, c.want, body)
		}
	}
	if code, _, _ := postMultipart(shop, oldPath+"/repairs", url.Values{"commitment": {"accepted"}}, upload{"收据.png", pngProof}); code != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d", code)
	}

	// The application.
	code, body, h := postMultipart(shop, oldPath+"/repairs", form(shop, true), upload{"罚款收据.png", pngProof})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/repairs/") {
		t.Fatalf("apply: %d %s", code, body)
	}
	casePath := h.Get("Location")
	_, page = shop.get(casePath)
	for _, want := range []string{"待受理", "罚款收据.png", "信用修复型", "可向社会公开", "信用修复受理答复", "申请人：提交"} {
		if !strings.Contains(page, want) {
			t.Errorf("the shop's case page lacks %q:\n%s", want, page)
		}
	}
	m := commitmentCodeRe.FindStringSubmatch(page)
	if m == nil || !strings.HasPrefix(m[1], "610103"+strings.ReplaceAll(calendar.Today().String(), "-", "")) {
		t.Errorf("commitment code %v", m)
	}
	fileRe := regexp.MustCompile(`href="(` + regexp.QuoteMeta(casePath) + `/files/\d+)"`)
	fm := fileRe.FindStringSubmatch(page)
	if fm == nil {
		t.Fatalf("no proof link on the case page:\n%s", page)
	}
	filePath := fm[1]
	if _, page := shop.get(oldPath); strings.Contains(page, `id="repair-form"`) || !strings.Contains(page, "已有正在办理的信用修复申请") ||
		!strings.Contains(page, casePath) {
		t.Errorf("the record page while the application is handled:\n%s", page)
	}
	if code, body, _ := postMultipart(shop, oldPath+"/repairs", form(shop, true), upload{"收据.png", pngProof}); code != http.StatusForbidden ||
		!strings.Contains(body, "已有正在办理的信用修复申请") {
		t.Errorf("a second application: %d", code)
	}
	if _, q := shop.get("/repairs"); !strings.Contains(q, casePath) || !strings.Contains(q, `id="nav-repairs"`) {
		t.Errorf("the shop's own list:\n%s", q)
	}

	// Nobody else sees it or its proof.
	for _, p := range []string{casePath, filePath} {
		if code, _ := firm.get(p); code != http.StatusNotFound {
			t.Errorf("another subject reads %s: %d", p, code)
		}
		if code, _ := public.get(p); code != http.StatusSeeOther {
			t.Errorf("anonymous %s: %d", p, code)
		}
	}
	xian := env.as(t, "reviewer.xian") // the level above the department: no role
	if code, _ := xian.get(casePath); code != http.StatusNotFound {
		t.Errorf("the level above reads the application: %d", code)
	}

	// The department cannot decide before the platform accepts.
	dept := env.as(t, "reviewer.dept")
	if _, page := dept.get(casePath); strings.Contains(page, `id="form-`) {
		t.Errorf("the department is offered an action before acceptance")
	}
	code, _, _ = dept.post(casePath, url.Values{"csrf": {dept.csrf(casePath)}, "rev": {"1"}, "action": {"approve"}})
	if code != http.StatusForbidden {
		t.Errorf("approval before acceptance: %d", code)
	}
	// The platform accepts.
	root := env.as(t, "reviewer.root")
	if _, q := root.get("/repairs"); !strings.Contains(q, casePath) {
		t.Errorf("platform queue:\n%s", q)
	}
	if _, page := root.get(casePath); !strings.Contains(page, `id="form-accept"`) || !strings.Contains(page, `id="form-reject"`) {
		t.Errorf("the platform is not offered accept and reject:\n%s", page)
	}
	if code, body := act(t, root, casePath, "reject", "", "  "); code != http.StatusUnprocessableEntity || !strings.Contains(body, "不予受理须写明理由") {
		t.Errorf("reject without a reason: %d", code)
	}
	if code, body := act(t, root, casePath, "reject", "", "材料\u202E全不"); code != http.StatusUnprocessableEntity || !strings.Contains(body, "含有改变文字显示方向的控制字符（U&#43;202E）") {
		t.Errorf("reject with a direction override: %d", code)
	}
	if code, body := act(t, root, casePath, "accept", "", "材料齐全"); code != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", code, body)
	}
	if _, page := root.get(casePath); strings.Contains(page, `id="form-approve"`) {
		t.Error("the platform is offered the department's decision")
	}
	// The department reads the proof and approves; a stale form is 409.
	if _, q := dept.get("/repairs"); !strings.Contains(q, casePath) || !strings.Contains(q, "认定部门修复决定") {
		t.Errorf("department queue:\n%s", q)
	}
	req, _ := http.NewRequest("GET", env.base+filePath, nil)
	code, body, fh := dept.do(req)
	if code != http.StatusOK || body != string(pngProof) || fh.Get("Content-Type") != "image/png" || !strings.HasPrefix(fh.Get("Content-Disposition"), "attachment") {
		t.Errorf("proof download: %d %v", code, fh)
	}
	code, _, _ = dept.post(casePath, url.Values{"csrf": {dept.csrf(casePath)}, "rev": {"1"}, "action": {"approve"}, "note": {"x"}})
	if code != http.StatusConflict {
		t.Errorf("stale revision: %d", code)
	}
	if code, body := act(t, dept, casePath, "approve", "", "罚款已缴清"); code != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", code, body)
	}
	today := calendar.Today().String()
	if _, page := shop.get(casePath); !strings.Contains(page, "已修复") || !strings.Contains(page, today+"起停止公示和共享") ||
		strings.Contains(page, `id="form-`) || !strings.Contains(page, "认定部门：作出准予修复决定") {
		t.Errorf("approved case page:\n%s", page)
	}

	// Not public any more: the record page, the read API, the subject's file.
	if code, page := public.get(oldPath); code != http.StatusGone || !strings.Contains(page, "完成信用修复") {
		t.Errorf("public record page after repair: %d\n%s", code, page)
	}
	if code, page := public.get(oldPath + "?as_of=" + calendar.Today().AddDays(-1).String()); code != http.StatusOK || !strings.Contains(page, env.oldNo) {
		t.Errorf("the record as of the day before its repair: %d", code)
	}
	code, body = public.get("/api/v1/records/" + env.oldRef)
	if code != http.StatusGone || !strings.Contains(body, "完成信用修复") {
		t.Errorf("read API after repair: %d %s", code, body)
	}
	sub, _ := env.s.GetSubject(ctx, env.subjectOf(t))
	if _, page := public.get("/subjects/" + env.opts.Portal.SubjectRef(sub)); strings.Contains(page, env.oldRef) || !strings.Contains(page, env.ref) {
		t.Errorf("the subject's public file still lists the repaired record")
	}
	// The shop still sees it, 已信用修复, in its own file and on its page.
	if _, page := shop.get("/my"); !strings.Contains(page, env.oldNo) || !strings.Contains(page, "已信用修复") {
		t.Errorf("the shop's own file:\n%s", page)
	}
	if code, page := shop.get(oldPath); code != http.StatusOK || !strings.Contains(page, "已信用修复") || !strings.Contains(page, "已完成信用修复") ||
		strings.Contains(page, `id="repair-form"`) {
		t.Errorf("the shop's page of the repaired record: %d\n%s", code, page)
	}

	// The change feed has the repair.
	prefix, secret, key := auth.NewAPIKey()
	if _, err := env.s.CreateClient(ctx, auth.APIClient{OrgID: env.deptXian.ID, Name: "监管系统", Scopes: []string{"checks:run"}, Prefix: prefix,
		SecretSum: auth.TokenHash(secret)}, auth.AuditEntry{Actor: "system:test", Action: auth.AuditClientChange}); err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, env.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		code, out, _ := public.do(req)
		return code, out
	}
	if code, out := call("POST", "/api/v1/watchlist", `{"subjects":["`+sub.USCC+`"]}`); code != http.StatusOK {
		t.Fatalf("watch: %d %s", code, out)
	}
	code, out := call("GET", "/api/v1/changes?since=0", "")
	var feed struct {
		Changes []ChangeItem `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &feed); code != http.StatusOK || err != nil {
		t.Fatalf("changes: %d %v %s", code, err, out)
	}
	var repairs []ChangeItem
	for _, c := range feed.Changes {
		if c.Type == string(store.ChangeRepair) {
			repairs = append(repairs, c)
		}
	}
	if len(repairs) != 1 || repairs[0].RecordID != env.oldID || !strings.Contains(repairs[0].Summary, "已信用修复") {
		t.Errorf("repair events %+v in %s", repairs, out)
	}

	// Closed: nothing more; every step is in the audit trail.
	code, body, _ = shop.post(casePath, url.Values{"csrf": {shop.csrf(casePath)}, "rev": {"3"}, "action": {"withdraw"}})
	if code != http.StatusForbidden || !strings.Contains(body, "申请已办结（已修复），不能再撤回") {
		t.Errorf("withdraw after approval: %d %s", code, body)
	}
	// The API: the application for its applicant, nothing for others.
	apiPath := "/api/v1/repairs/" + strings.TrimPrefix(casePath, "/repairs/")
	code, body = shop.get(apiPath)
	var rc RepairCase
	if err := json.Unmarshal([]byte(body), &rc); code != http.StatusOK || err != nil || rc.State != "approved" || rc.Approved == "" ||
		len(rc.Steps) != 3 || rc.Steps[2].Step != "repair.sync" || len(rc.History) != 3 || rc.Proofs != 1 || !strings.HasPrefix(rc.Commitment, "610103") {
		t.Errorf("API application: %d %s", code, body)
	}
	if code, _ := firm.get(apiPath); code != http.StatusNotFound {
		t.Errorf("API application for another subject: %d", code)
	}
	if code, _ := public.get(apiPath); code != http.StatusUnauthorized {
		t.Errorf("API application for the public: %d", code)
	}
	req, _ = http.NewRequest("POST", env.base+"/api/v1/repairs", strings.NewReader(`{"record":"`+env.ref+`","proofs":[{"name":"a.png","data":"iVBORw0KGgo="}],"commitment":false}`))
	req.Header.Set("Content-Type", "application/json")
	if code, body, _ := shop.do(req); code != http.StatusForbidden || !strings.Contains(body, `"kind":"refused"`) {
		t.Errorf("API application for a record not yet eligible: %d %s", code, body)
	}
	if code, page := public.get("/rights"); code != http.StatusOK || !strings.Contains(page, `id="repair-approved">1<`) {
		t.Errorf("public column: %d", code)
	}
	entries, err := env.s.ListAudit(ctx, store.AuditFilter{Actions: []string{auth.AuditRepair}})
	// Filed, accepted, approved, and the proof read by the reviewer.
	if err != nil || len(entries) != 4 || !slices.ContainsFunc(entries, func(e auth.AuditEntry) bool { return e.Outcome == "file.read" }) {
		t.Errorf("audit entries %d, %v", len(entries), err)
	}
	for _, e := range entries {
		if e.Target != fmt.Sprintf("repair:%s", strings.TrimPrefix(casePath, "/repairs/")) {
			t.Errorf("audit entry %+v", e)
		}
	}
}

// TestRepairRecheck: the platform draws a re-check sample of approved
// repairs (only its reviewers may); the drawn one waits in its queue with
// the re-check deadline; the department cannot conclude it; a failed
// re-check needs a reason, revokes the repair, makes the record public
// again and tells subscribers; the public column counts it.
func TestRepairRecheck(t *testing.T) {
	t.Parallel()
	env := newRepairEnv(t)
	ctx := context.Background()
	shop, root, dept, public := env.as(t, "shop"), env.as(t, "reviewer.root"), env.as(t, "reviewer.dept"), env.as(t, "")
	oldPath := "/records/" + env.oldRef
	code, body, h := postMultipart(shop, oldPath+"/repairs", url.Values{"csrf": {shop.csrf(oldPath)}, "commitment": {"accepted"}},
		upload{"罚款收据.png", pngProof})
	if code != http.StatusSeeOther {
		t.Fatalf("apply: %d %s", code, body)
	}
	casePath := h.Get("Location")
	if code, body := act(t, root, casePath, "accept", "", ""); code != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", code, body)
	}
	if code, body := act(t, dept, casePath, "approve", "", ""); code != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", code, body)
	}
	if code, _ := public.get(oldPath); code != http.StatusGone {
		t.Fatalf("the repaired record is public: %d", code)
	}
	if _, err := env.s.AddWatches(ctx, []store.Watch{{OrgID: env.deptBaoji.ID, SubjectID: env.subjectOf(t)}}); err != nil {
		t.Fatal(err)
	}
	// Only the platform samples; a bad form says why.
	if _, q := dept.get("/repairs"); strings.Contains(q, `id="sample-form"`) {
		t.Error("the department is offered sampling")
	}
	code, body, _ = dept.post("/repairs/sample", url.Values{"csrf": {dept.csrf("/repairs")}, "percent": {"100"}})
	if code != http.StatusForbidden || !strings.Contains(body, "只有平台") {
		t.Errorf("the department samples: %d", code)
	}
	if _, q := root.get("/repairs"); !strings.Contains(q, `id="sample-form"`) || strings.Contains(q, casePath+`"`) {
		t.Errorf("the platform's queue before sampling (no form, or the approved case listed):\n%s", q)
	}
	for _, bad := range []url.Values{{"percent": {"0"}}, {"percent": {"x"}}, {"percent": {"10"}, "from": {"2026-13-01"}}} {
		bad.Set("csrf", root.csrf("/repairs"))
		if code, body, _ := root.post("/repairs/sample", bad); code != http.StatusUnprocessableEntity {
			t.Errorf("sample %v: %d %s", bad, code, body)
		}
	}
	today := calendar.Today().String()
	code, body, _ = root.post("/repairs/sample", url.Values{"csrf": {root.csrf("/repairs")}, "from": {today}, "to": {today}, "percent": {"10"}})
	if code != http.StatusOK || !strings.Contains(body, "准予修复的1件中随机抽取1件（10%）") || !strings.Contains(body, `href="`+casePath+`"`) {
		t.Fatalf("sample: %d\n%s", code, body)
	}
	code, body, _ = root.post("/repairs/sample", url.Values{"csrf": {root.csrf("/repairs")}, "percent": {"100"}})
	if code != http.StatusOK || !strings.Contains(body, "的0件中随机抽取0件") {
		t.Errorf("a case is drawn twice: %d", code)
	}
	_, q := root.get("/repairs")
	if !strings.Contains(q, casePath+`"`) || !strings.Contains(q, "信用修复抽查复核") {
		t.Errorf("the drawn case is not in the platform's queue:\n%s", q)
	}
	if _, page := dept.get(casePath); strings.Contains(page, `id="form-recheck_fail"`) {
		t.Error("the department is offered the re-check")
	}
	if code, body := act(t, root, casePath, "recheck_fail", "", " "); code != http.StatusUnprocessableEntity || !strings.Contains(body, "复核不通过须写明理由") {
		t.Errorf("fail without a reason: %d", code)
	}
	if code, body := act(t, root, casePath, "recheck_fail", "", "缴款凭证与银行记录不符"); code != http.StatusSeeOther {
		t.Fatalf("fail: %d %s", code, body)
	}
	if _, page := shop.get(casePath); !strings.Contains(page, "修复已撤销（复核不通过）") || !strings.Contains(page, "缴款凭证与银行记录不符") {
		t.Errorf("the shop's case after the re-check:\n%s", page)
	}
	if code, page := public.get(oldPath); code != http.StatusOK || !strings.Contains(page, "公示中") {
		t.Errorf("the record after the revocation: %d", code)
	}
	// The re-check assessed the 信用修复承诺: breached, the repair revoked.
	rows, _ := env.s.ListRepairs(ctx, store.CaseFilter{})
	if len(rows) != 1 {
		t.Fatalf("%d applications", len(rows))
	}
	if got, err := env.s.GetCommitment(ctx, rows[0].CommitmentID); err != nil || got.Status != "全部未履行" || got.Unfulfilled != "缴款凭证与银行记录不符" ||
		!strings.Contains(got.Pursued, "撤销信用修复") || got.AssessorName != "平台运营" {
		t.Errorf("the repair's commitment after the re-check: %+v %v", got, err)
	}
	evs, _, err := env.s.ChangesFor(ctx, env.deptBaoji.ID, 0, 100)
	if err != nil || len(evs) == 0 || evs[len(evs)-1].Type != store.ChangeRepairRevoked || evs[len(evs)-1].RecordID != env.oldID {
		t.Errorf("change feed %+v %v", evs, err)
	}
	if _, page := public.get("/rights"); !regexp.MustCompile(`id="repair-rechecked">1<`).MatchString(page) ||
		!regexp.MustCompile(`id="repair-revoked">1<`).MatchString(page) {
		t.Errorf("public column:\n%s", page)
	}
}

// TestRepairGoesToTheDecidingAuthority: 谁认定、谁修复 — a penalty decided
// by 西安市市场监管局 but supplied by another department is decided by the
// authority's reviewers, not the supplier's.
func TestRepairGoesToTheDecidingAuthority(t *testing.T) {
	t.Parallel()
	env := newRepairEnv(t)
	ctx := context.Background()
	old := calendar.Today().AddMonths(-5)
	pen := shopPenalty("西市监罚〔2026〕修9号", old, storetest.RIC("610103", "19750505", 8))
	pen["authority"], pen["authority_uscc"] = "西安市市场监督管理局", penaltyDept
	pen["source_dept"], pen["source_dept_uscc"] = "宝鸡市税务局", env.deptBaoji.USCC
	fileCF(t, env.s, old.AddDays(2), pen)
	vs, err := env.opts.Portal.OwnRecords(ctx, env.subjectOf(t))
	if err != nil {
		t.Fatal(err)
	}
	var ref string
	for _, v := range vs {
		if v.DecisionNo == pen["decision_no"] {
			ref = v.Ref
		}
	}
	shop := env.as(t, "shop")
	path := "/records/" + ref
	code, body, h := postMultipart(shop, path+"/repairs", url.Values{"csrf": {shop.csrf(path)}, "commitment": {"accepted"}}, upload{"收据.png", pngProof})
	if code != http.StatusSeeOther {
		t.Fatalf("apply: %d %s", code, body)
	}
	rows, err := env.s.ListRepairs(ctx, store.CaseFilter{})
	if err != nil || len(rows) != 1 || rows[0].Dept != penaltyDept {
		t.Fatalf("the application's department: %+v %v", rows, err)
	}
	casePath := h.Get("Location")
	if code, body := act(t, env.as(t, "reviewer.root"), casePath, "accept", "", ""); code != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", code, body)
	}
	if _, page := env.as(t, "reviewer.dept").get(casePath); !strings.Contains(page, `id="form-approve"`) {
		t.Error("the deciding authority is not offered the decision")
	}
}
