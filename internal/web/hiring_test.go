package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/hiring"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Set moves the test clock (testClock, market_test.go) to t.
func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

type hiringEnv struct {
	accessEnv
	base                   string
	clock                  *testClock
	unit, prov             auth.Org
	debtorID, plainID, unk string // candidates' ID numbers
	debtorSubject          int64
}

// newHiringEnv: 中共西安市委组织部 (a city-level unit, role hirer) asks
// about three candidates for 公务员录用, answered by 陕西省's credit office
// (two officers); the first candidate is a 失信被执行人 (a person with a
// list entry, signed in as "cand"), the second a person the platform
// knows with nothing, the third a person it does not know.
func newHiringEnv(t *testing.T) *hiringEnv {
	t.Helper()
	ctx := context.Background()
	env := &hiringEnv{accessEnv: newAccessEnv(t), clock: &testClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, calendar.Location())}}
	var err error
	if env.prov, err = env.s.GetOrg(ctx, env.xian.ParentID); err != nil {
		t.Fatal(err)
	}
	env.unit, err = env.s.CreateOrg(ctx, auth.Org{ParentID: env.xian.ID, Kind: auth.Dept, Name: "中共西安市委组织部", USCC: storetest.USCC("11", "610100", 31)},
		auth.AuditEntry{Actor: "system:test", Action: auth.AuditOrgChange})
	if err != nil {
		t.Fatal(err)
	}
	env.debtorID = storetest.RIC("610113", "19900101", 51)
	env.plainID = storetest.RIC("610103", "19920202", 52)
	env.unk = storetest.RIC("610104", "19930303", 53)
	fileEntries(t, env.opts.Importer, "sx", storetest.USCC("11", "610113", 81), map[string]string{"list_type": "失信被执行人",
		"subject_name": "张失信", "subject_class": "自然人", "subject_id_type": "身份证", "subject_id_number": env.debtorID,
		"decision_no": "（2026）陕0113执777号", "facts": "拒不履行生效判决确定的给付义务五十万元", "legal_basis": "法释〔2017〕7号第一条",
		"decision_date": "2026-09-01", "valid_to": "2028-09-01", "authority": "西安市雁塔区人民法院", "authority_uscc": storetest.USCC("11", "610113", 81)})
	if _, err := env.s.PutSubjects(ctx, []credit.Subject{{Class: credit.ClassPerson, IDNumber: env.plainID, Name: "李清白"}}); err != nil {
		t.Fatal(err)
	}
	sub, err := env.s.FindSubjectByCode(ctx, env.debtorID)
	if err != nil {
		t.Fatal(err)
	}
	env.debtorSubject = sub.ID
	for _, u := range []auth.User{
		{Login: "hirer", Name: "组织部干部", OrgID: env.unit.ID, Roles: []string{"hirer"}},
		{Login: "office1", Name: "省信用办专员甲", OrgID: env.prov.ID, Roles: []string{"hiringoffice"}},
		{Login: "office2", Name: "省信用办专员乙", OrgID: env.prov.ID, Roles: []string{"hiringoffice"}},
		{Login: "cand", Name: "张失信", Roles: []string{"subject"}, SubjectID: sub.ID},
	} {
		u.PasswordHash = testPasswordHash()
		if _, err := env.s.CreateUser(ctx, u, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := lists.Default(catalog.Default())
	if err != nil {
		t.Fatal(err)
	}
	routing, err := hiring.DefaultRouting(deadline.Default())
	if err != nil {
		t.Fatal(err)
	}
	env.opts.Hiring = &hiring.Service{Store: env.s, Auth: env.opts.Authorizer, Keys: storetest.Keys(), Lists: l, Routing: routing, Now: env.clock.Now}
	h, err := New(env.opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env.base = srv.URL
	return env
}

func (env *hiringEnv) list() string {
	return "张失信," + env.debtorID + ",综合管理岗\n李清白 " + env.plainID + " 科员\n王未知\t" + env.unk + "\t科员\n"
}

func (env *hiringEnv) as(t *testing.T, login string) *browser {
	b := objectionEnv{accessEnv: env.accessEnv}
	b.base = env.base
	return b.as(t, login)
}

// TestHiringAPI walks a request through the API: bad rows are named, the
// reply holds the fact only, the candidate sees his own line masked, the
// second review is by another officer, the query is in the candidate's
// history and no ID number is in the audit trail.
func TestHiringAPI(t *testing.T) {
	t.Parallel()
	env := newHiringEnv(t)
	hirer, off1, off2, cand := env.as(t, "hirer"), env.as(t, "office1"), env.as(t, "office2"), env.as(t, "cand")
	post := func(b *browser, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", env.base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		code, out, _ := b.do(req)
		var m map[string]any
		json.Unmarshal([]byte(out), &m)
		return code, m
	}
	bad := `{"kind":"公务员录用","doc_no":"西组函〔2026〕8号","title":"关于商请查询的函","matter":"","contact":"王","phone":"029",
		"candidates":[{"name":"甲","id_number":"610113199013010011","post":"科员"}]}`
	if code, m := post(hirer, "/api/v1/hiring-checks", bad); code != http.StatusUnprocessableEntity || !strings.Contains(m["detail"].(string), "名单第1行身份证号") {
		t.Fatalf("bad ID number: %d %v", code, m)
	}
	good := `{"kind":"公务员录用","doc_no":"西组函〔2026〕8号","title":"关于商请查询的函","matter":"2026年度公务员录用","contact":"王","phone":"029",
		"candidates":[{"name":"张失信","id_number":"` + env.debtorID + `","post":"综合管理岗"},{"name":"李清白","id_number":"` + env.plainID + `","post":"科员"}]}`
	code, m := post(hirer, "/api/v1/hiring-checks", good)
	if code != http.StatusCreated || m["level"] != "province" || m["responder"] != "陕西省" || m["due"] != "2026-11-05" {
		t.Fatalf("submit: %d %v", code, m)
	}
	id := int64(m["id"].(float64))
	path := "/api/v1/hiring-checks/" + itoa(id) + "/actions"
	act := func(b *browser, body string) (int, map[string]any) { return post(b, path, body) }
	if code, m = act(hirer, `{"action":"check","rev":1}`); code != http.StatusForbidden {
		t.Errorf("the unit checks: %d %v", code, m)
	}
	if code, m = act(off1, `{"action":"check","rev":1}`); code != http.StatusOK || m["state"] != "review" {
		t.Fatalf("check: %d %v", code, m)
	}
	if code, _ = act(off1, `{"action":"send","rev":2}`); code != http.StatusForbidden {
		t.Errorf("a hit sent before the second review: %d", code)
	}
	if code, m = act(off1, `{"action":"review","rev":2,"items":["复审","复核","复查"]}`); code != http.StatusForbidden {
		t.Errorf("reviewed by the checker: %d %v", code, m)
	}
	if code, m = act(off2, `{"action":"review","rev":2,"items":["复审","复核"]}`); code != http.StatusUnprocessableEntity {
		t.Errorf("review without 复查: %d %v", code, m)
	}
	if code, m = act(off2, `{"action":"review","rev":2,"items":["复审","复核","复查"]}`); code != http.StatusOK || m["state"] != "ready" {
		t.Fatalf("review: %d %v", code, m)
	}
	if code, m = act(off2, `{"action":"send","rev":3}`); code != http.StatusOK || m["state"] != "replied" {
		t.Fatalf("send: %d %v", code, m)
	}
	reply, _ := json.Marshal(m["reply"])
	want := `"lines":[{"id_number":"` + env.debtorID + `","index":1,"lists":["失信被执行人"],"name":"张失信","post":"综合管理岗","target":true},` +
		`{"id_number":"` + env.plainID + `","index":2,"lists":[],"name":"李清白","post":"科员","target":false}]`
	if !strings.Contains(string(reply), want) || strings.Contains(string(reply), "执777号") || strings.Contains(string(reply), "五十万元") {
		t.Errorf("reply: %s", reply)
	}
	// The reply as PDF: the same fact, nothing else.
	code, pdf := hirer.get("/hiring-checks/" + itoa(id) + "/reply.pdf")
	if code != http.StatusOK || !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("reply PDF: %d %.40q", code, pdf)
	}
	if pdftotext, err := exec.LookPath("pdftotext"); err == nil {
		file := filepath.Join(t.TempDir(), "reply.pdf")
		os.WriteFile(file, []byte(pdf), 0o600)
		out, err := exec.Command(pdftotext, "-raw", file, "-").Output()
		text := strings.Join(strings.Fields(string(out)), "")
		if err != nil || !strings.Contains(text, "信用查复〔2026〕1号") || !strings.Contains(text, "失信被执行人") || !strings.Contains(text, "李清白") ||
			!strings.Contains(text, env.debtorID) || strings.Contains(text, "执777号") || strings.Contains(text, "五十万元") || !strings.Contains(text, "陕西省") {
			t.Errorf("reply PDF text (%v):\n%s", err, out)
		}
	} else if os.Getenv("CI") == "true" {
		t.Fatal("pdftotext not installed")
	}
	if code, _ := cand.get("/hiring-checks/" + itoa(id) + "/reply.pdf"); code != http.StatusOK {
		t.Errorf("the candidate's reply PDF: %d", code)
	}
	// The candidate: own line only, masked; objects.
	_, body := cand.get("/api/v1/hiring-checks/" + itoa(id))
	if strings.Contains(body, env.debtorID) || strings.Contains(body, "李清白") || !strings.Contains(body, credit.MaskID(env.debtorID)) {
		t.Errorf("the candidate's view: %s", body)
	}
	if code, m = act(cand, `{"action":"object","rev":4,"note":"已履行完毕"}`); code != http.StatusOK || len(m["objections"].([]any)) != 1 {
		t.Fatalf("object: %d %v", code, m)
	}
	// The unit registers a paper objection of the second candidate; not
	// of someone who is no candidate; not twice.
	if code, m = act(hirer, `{"action":"object","rev":5,"candidate":9,"note":"书面异议"}`); code != http.StatusUnprocessableEntity {
		t.Errorf("objection of no candidate: %d %v", code, m)
	}
	if code, m = act(hirer, `{"action":"object","rev":5,"candidate":2,"note":"书面异议"}`); code != http.StatusOK || len(m["objections"].([]any)) != 2 {
		t.Fatalf("registered objection: %d %v", code, m)
	}
	if code, m = act(cand, `{"action":"object","rev":6,"note":"再次异议"}`); code != http.StatusConflict {
		t.Errorf("a second open objection: %d %v", code, m)
	}
	// Another person sees nothing.
	if code, _ := env.as(t, "firm").get("/api/v1/hiring-checks/" + itoa(id)); code != http.StatusNotFound {
		t.Errorf("another subject reads the request: %d", code)
	}
	// The query is in the candidate's history; no ID number in the trail.
	_, my := cand.get("/my")
	if !strings.Contains(my, "招录人选信用记录查询") {
		t.Error("the query is not in the candidate's history")
	}
	entries, _ := env.s.ListAudit(context.Background(), store.AuditFilter{Limit: 10000})
	for _, e := range entries {
		if b, _ := json.Marshal(e); strings.Contains(string(b), env.debtorID) || strings.Contains(string(b), env.plainID) {
			t.Errorf("an ID number in the audit trail: %+v", e)
		}
	}
	// A request without hits: no second review; the extension's reason
	// reaches the unit; closed, then erased after the retention period.
	clean := `{"kind":"自主招聘","doc_no":"西组函〔2026〕9号","title":"关于商请查询的函","matter":"","contact":"王","phone":"029",
		"candidates":[{"name":"李清白","id_number":"` + env.plainID + `","post":"科员"}]}`
	code, m = post(hirer, "/api/v1/hiring-checks", clean)
	if code != http.StatusCreated || m["level"] != "city" || m["responder"] != "西安市" {
		t.Fatalf("自主招聘 of a city unit is answered by the city: %d %v", code, m)
	}
	id2 := int64(m["id"].(float64))
	if code, _ = post(off1, "/api/v1/hiring-checks/"+itoa(id2)+"/actions", `{"action":"check","rev":1}`); code != http.StatusOK {
		t.Errorf("the province's office answers for the city: %d", code)
	}
	code, m = post(off1, "/api/v1/hiring-checks/"+itoa(id2)+"/actions", `{"action":"extend","rev":2,"days":2,"note":"系统维护"}`)
	if code != http.StatusOK || m["due"] != "2026-11-09" || m["state"] != "ready" {
		t.Fatalf("extend: %d %v", code, m)
	}
	if _, body := hirer.get("/hiring-checks/" + itoa(id2)); !strings.Contains(body, "已延期2个工作日") || !strings.Contains(body, "系统维护") {
		t.Errorf("the unit does not see the extension:\n%s", body)
	}
	if code, m = post(off1, "/api/v1/hiring-checks/"+itoa(id2)+"/actions", `{"action":"send","rev":3}`); code != http.StatusOK || m["state"] != "replied" {
		t.Fatalf("send without a hit: %d %v", code, m)
	}
	env.clock.Set(env.clock.Now().AddDate(2, 0, 1))
	if n, err := env.opts.Hiring.Erase(context.Background(), hiring.DefaultRetention); err != nil || n != 1 {
		t.Fatalf("erase: %d %v", n, err)
	}
	_, body = hirer.get("/api/v1/hiring-checks/" + itoa(id2))
	if !strings.Contains(body, `"erased":true`) || strings.Contains(body, "李清白") || strings.Contains(body, env.plainID) {
		t.Errorf("after erasure: %s", body)
	}
	if _, body := hirer.get("/api/v1/hiring-checks/" + itoa(id)); !strings.Contains(body, "李清白") {
		t.Error("the open request was erased too")
	}
}

func TestParseList(t *testing.T) {
	typed := "姓名,身份证号,岗位\n张三，610113199001010510，综合岗\n李四 610103199202020528 科员 一级\n\n"
	got, err := hiring.ParseList(strings.NewReader(typed))
	if err != nil || len(got) != 2 || got[0] != (hiring.HiringNominee{Name: "张三", IDNumber: "610113199001010510", Post: "综合岗"}) ||
		got[1].Post != "科员 一级" {
		t.Errorf("typed: %+v %v", got, err)
	}
	gbk, _ := simplifiedchinese.GB18030.NewEncoder().String("姓名,身份证号,岗位\r\n王五,610104199303030537,司机\r\n")
	if got, err := hiring.ParseList(strings.NewReader(gbk)); err != nil || len(got) != 1 || got[0].Name != "王五" || got[0].Post != "司机" {
		t.Errorf("GB18030 CSV: %+v %v", got, err)
	}
	if got, err := hiring.ParseList(strings.NewReader("")); err != nil || len(got) != 0 {
		t.Errorf("empty: %+v %v", got, err)
	}
}

// TestHiringFormUpload: the candidate list uploaded as a file; a bad row
// is named (row, field, reason) and nothing is filed; the corrected file
// is filed.
func TestHiringFormUpload(t *testing.T) {
	t.Parallel()
	env := newHiringEnv(t)
	hirer := env.as(t, "hirer")
	fields := map[string]string{"kind": "事业单位统一招聘", "doc_no": "西人社函〔2026〕3号", "title": "关于商请查询事业单位招聘人选社会信用记录的函",
		"contact": "赵", "phone": "029-1"}
	bad := "姓名,身份证号,岗位\n张失信," + env.debtorID + ",教师\n李清白,610103199202020529,教师\n"
	code, page := hirer.postFile("/hiring-checks", "/hiring-checks/new", fields, "名单.csv", []byte(bad))
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "名单第2行身份证号：") {
		t.Fatalf("bad row: %d\n%s", code, page)
	}
	if vs, _ := env.s.ListHiringChecks(context.Background(), store.HiringFilter{}); len(vs) != 0 {
		t.Errorf("a request was filed: %d", len(vs))
	}
	good := strings.Replace(bad, "610103199202020529", env.plainID, 1)
	code, page = hirer.postFile("/hiring-checks", "/hiring-checks/new", fields, "名单.csv", []byte(good))
	if code != http.StatusSeeOther {
		t.Fatalf("upload: %d\n%s", code, page)
	}
	_, page = hirer.get("/hiring-checks")
	if !strings.Contains(page, "西人社函〔2026〕3号") || !strings.Contains(page, "事业单位统一招聘") {
		t.Errorf("list:\n%s", page)
	}
}
