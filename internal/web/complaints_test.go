package web

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/complaint"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// complaintEnv is the objection environment with complaints served and
// complaint handlers at the operator (the credit office), at 西安市市场监管局
// and at 宝鸡 (another department).
type complaintEnv struct{ objectionEnv }

func newComplaintEnv(t *testing.T) complaintEnv {
	t.Helper()
	env := complaintEnv{newObjectionEnv(t)}
	for _, u := range []auth.User{
		{Login: "handler.root", Name: "信用办办理员", OrgID: env.root.ID, Roles: []string{"handler"}},
		{Login: "handler.dept", Name: "市场监管办理员", OrgID: env.deptXian.ID, Roles: []string{"handler"}},
		{Login: "handler.baoji", Name: "宝鸡办理员", OrgID: env.deptBaoji.ID, Roles: []string{"handler"}},
	} {
		u.PasswordHash = testPasswordHash()
		if _, err := env.s.CreateUser(context.Background(), u, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
			t.Fatal(err)
		}
	}
	env.opts.Complaints = &complaint.Service{Store: env.s, Auth: env.opts.Authorizer, Keys: storetest.Keys(), RecordID: env.opts.Portal.RecordID}
	h, err := New(env.opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env.base = srv.URL
	return env
}

// fileComplaintForm posts the public form with one evidence file.
func fileComplaintForm(t *testing.T, b *browser, fields map[string]string, evidence []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if evidence != nil {
		fw, _ := mw.CreateFormFile("evidence", "照片.png")
		fw.Write(evidence)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.base+"/complaints", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	code, page, _ := b.do(req)
	return code, page
}

var (
	complaintIDRe   = regexp.MustCompile(`id="complaint-id">(\d+)<`)
	complaintCodeRe = regexp.MustCompile(`id="complaint-access">([A-Z0-9]+)<`)
)

// TestComplaintNamed: a named complaint with evidence; its informant is
// seen by the credit office and the competent department only, never by
// another department or by the holder of the 查询码 page; wrong input is
// answered field by field and keeps what was typed; 查实 needs a record of
// the department about the subject; the reply reaches the informant.
func TestComplaintNamed(t *testing.T) {
	t.Parallel()
	env := newComplaintEnv(t)
	anon := env.as(t, "")
	code, page := fileComplaintForm(t, anon, map[string]string{"subject_name": "碑林区老王面馆", "what": ""}, nil)
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "投诉举报内容：必填") || !strings.Contains(page, "碑林区老王面馆") {
		t.Fatalf("empty what: %d %s", code, page)
	}
	code, page = fileComplaintForm(t, anon, map[string]string{"subject_name": "碑林区老王面馆", "what": "后厨卫生差"}, nil)
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "联系方式：实名投诉举报须填写联系方式") {
		t.Fatalf("named without contact: %d", code)
	}
	code, page = fileComplaintForm(t, anon, map[string]string{"subject_name": "碑林区老王面馆", "subject_code": "91350100M000100Y4A", "what": "x", "contact": "1"}, nil)
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "统一社会信用代码") {
		t.Fatalf("bad code: %d", code)
	}
	code, page = fileComplaintForm(t, anon, map[string]string{"subject_name": "碑林区老王面馆", "what": "后厨卫生差，使用过期食材",
		"when": "2026-11-01", "name": "张三", "contact": "13800000000"}, pngProof)
	if code != http.StatusCreated {
		t.Fatalf("file: %d %s", code, page)
	}
	id, access := complaintIDRe.FindStringSubmatch(page)[1], complaintCodeRe.FindStringSubmatch(page)[1]
	if strings.Contains(page, "13800000000") {
		t.Error("the informant's contact is shown on the public page")
	}
	path := "/complaints/" + id
	office, dept, other := env.as(t, "handler.root"), env.as(t, "handler.dept"), env.as(t, "handler.baoji")
	if _, page := office.get(path); !strings.Contains(page, "张三（13800000000）") || !strings.Contains(page, "照片.png") {
		t.Errorf("the office does not see the informant or evidence: %s", page)
	}
	if code, _ := other.get(path); code != http.StatusNotFound {
		t.Errorf("another department reads an unrouted complaint: %d", code)
	}
	if code, _ := anon.get(path + "?code=WRONG"); code != http.StatusNotFound {
		t.Errorf("wrong 查询码: %d", code)
	}
	// Route to 西安市市场监管局.
	_, page = office.get(path)
	rev := revRe.FindStringSubmatch(page)[1]
	code, body, _ := office.post(path, url.Values{"csrf": {office.csrf(path)}, "rev": {rev}, "action": {"route"},
		"dept": {"西安市市场监督管理局（" + penaltyDept + "）"}})
	if code != http.StatusSeeOther {
		t.Fatalf("route: %d %s", code, body)
	}
	if code, _ := other.get(path); code != http.StatusNotFound {
		t.Errorf("another department reads a complaint routed elsewhere: %d", code)
	}
	_, page = dept.get(path)
	if !strings.Contains(page, "张三（13800000000）") || !strings.Contains(page, `id="form-answer"`) {
		t.Fatalf("the department cannot answer: %s", page)
	}
	rev = revRe.FindStringSubmatch(page)[1]
	answer := url.Values{"csrf": {dept.csrf(path)}, "rev": {rev}, "action": {"answer"}, "outcome": {"substantiated"},
		"finding": {"经查属实，已依法处罚"}, "reply": {"感谢您的举报，已依法处理"}, "record": {"no-such-record"}}
	if code, body, _ := dept.post(path, answer); code != http.StatusUnprocessableEntity || !strings.Contains(body, "先通过数据报送录入") {
		t.Errorf("查实 without a record: %d", code)
	}
	answer.Set("record", env.ref)
	if code, body, _ := dept.post(path, answer); code != http.StatusSeeOther {
		t.Fatalf("查实: %d %s", code, body)
	}
	_, page = anon.get(path + "?code=" + access)
	for _, want := range []string{"已办结", "查实：经查属实，已依法处罚", "感谢您的举报，已依法处理", "按期办结", "/records/" + env.ref} {
		if !strings.Contains(page, want) {
			t.Errorf("the informant's page lacks %q", want)
		}
	}
	if strings.Contains(page, "13800000000") || strings.Contains(page, "照片.png") {
		t.Error("the 查询码 page shows the contact or the evidence")
	}
	// The API: the statistics, and the case by its code.
	resp, err := http.Get(env.base + "/api/v1/complaints/stats")
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st["received"] != 1.0 || st["substantiated"] != 1.0 || st["on_time_rate"] != "100.0%" {
		t.Errorf("stats: %v", st)
	}
	resp, err = http.Get(env.base + "/api/v1/complaints/" + id + "?code=" + access)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	json.NewDecoder(resp.Body).Decode(&c)
	resp.Body.Close()
	if c["state"] != "closed" || c["contact"] != nil || !strings.HasSuffix(c["filed_at"].(string), "+08:00") {
		t.Errorf("API case: %v", c)
	}
}

// TestComplaintAPIAnonymous: an anonymous complaint through the API gets
// a 查询码 and keeps no informant.
func TestComplaintAPIAnonymous(t *testing.T) {
	t.Parallel()
	env := newComplaintEnv(t)
	body := `{"subject_name":"碑林区老王面馆","what":"无证经营","anonymous":true,"name":"不应保存","contact":"不应保存"}`
	resp, err := http.Post(env.base+"/api/v1/complaints", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	json.NewDecoder(resp.Body).Decode(&c)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || c["access_code"] == nil || c["anonymous"] != true || c["state"] != "routing" {
		t.Fatalf("anonymous complaint: %d %v", resp.StatusCode, c)
	}
	row, err := env.s.GetComplaint(context.Background(), int64(c["id"].(float64)))
	if err != nil || row.Informant != nil {
		t.Errorf("an anonymous complaint keeps an informant: %v %v", row.Informant, err)
	}
	if resp, _ := http.Get(env.base + "/api/v1/complaints/1"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous read without code: %d", resp.StatusCode)
	}
}

// TestComplaintRateLimited: filing complaints and following them by
// 查询码 take from the anonymous budget.
func TestComplaintRateLimited(t *testing.T) {
	s := &Server{limiter: newLimiter(1, 1, "")}
	for _, c := range []struct {
		method, target string
		limited        bool
	}{
		{"POST", "/complaints", true},
		{"POST", "/api/v1/complaints", true},
		{"GET", "/complaints/3?code=ABC", true},
		{"GET", "/api/v1/complaints/3?code=ABC", true},
		{"GET", "/complaints/3", false},
		{"GET", "/complaints", false},
		{"GET", "/api/v1/complaints/stats", false},
	} {
		if got := s.limited(httptest.NewRequest(c.method, c.target, nil)) != nil; got != c.limited {
			t.Errorf("%s %s limited = %v", c.method, c.target, got)
		}
	}
}
