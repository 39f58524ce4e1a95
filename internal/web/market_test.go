package web

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/attach"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/check"
	"github.com/xinyong/xinyong/internal/commitment"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/market"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// testClock is the marketplace's clock in tests.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// after moves the clock to 10:00 China time on the n-th working day after
// its day.
func (c *testClock) after(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = calendar.Default().AddWorkingDays(calendar.FromTime(c.t), n).Time().Add(10 * time.Hour)
}

// pastWorkingDays is the day n working days before today.
func pastWorkingDays(n int) calendar.Date {
	cal, d := calendar.Default(), calendar.Today()
	for cal.WorkingDaysBetween(d, calendar.Today()) < n {
		d = d.AddDays(-1)
	}
	return d
}

// marketEnv is a marketplace: 西安市行政审批服务局 runs it, 西安市住房和城乡
// 建设局 buys (and keeps its industry's items), five agencies with accounts
// entered it: 甲, 乙 (甲's legal representative), 丙, 丁 (black-listed
// after entering) and 戊.
type marketEnv struct {
	accessEnv
	base   string
	clock  *testClock
	m      *market.Service
	im     *ingest.Importer
	item   int64
	op     int64 // the operator's organisation
	firms  map[string]auth.Principal
	agency map[string]int64
}

var marketPDF = func() []byte {
	b, err := os.ReadFile("../attach/testdata/chromium.pdf")
	if err != nil {
		panic(err)
	}
	return b
}()

func newMarketEnv(t *testing.T) *marketEnv {
	t.Helper()
	ctx := context.Background()
	env := &marketEnv{accessEnv: newAccessEnv(t), firms: map[string]auth.Principal{}, agency: map[string]int64{}}
	s := env.s
	e := auth.AuditEntry{Actor: "system:test", Action: auth.AuditOrgChange}
	op, err := s.CreateOrg(ctx, auth.Org{ParentID: env.xian.ID, Kind: auth.Dept, Name: "西安市行政审批服务局", USCC: storetest.USCC("11", "610100", 301)}, e)
	if err != nil {
		t.Fatal(err)
	}
	own, err := s.CreateOrg(ctx, auth.Org{ParentID: env.xian.ID, Kind: auth.Dept, Name: "西安市住房和城乡建设局", USCC: storetest.USCC("11", "610100", 302)}, e)
	if err != nil {
		t.Fatal(err)
	}
	env.op = op.ID
	cat := catalog.Default()
	ls, err := lists.Default(cat)
	if err != nil {
		t.Fatal(err)
	}
	env.im = env.opts.Importer
	env.clock = &testClock{t: pastWorkingDays(12).Time().Add(9 * time.Hour)}
	z := env.opts.Authorizer
	env.m = &market.Service{Store: s, Auth: z, Importer: env.im, Keys: storetest.Keys(), Now: env.clock.Now,
		Checker:     &check.Checker{Catalog: cat, Lists: ls},
		Commitments: &commitment.Service{Store: s, Auth: z, Importer: env.im}}
	users := []auth.User{
		{Login: "market.op", Name: "超市运维", OrgID: op.ID, Roles: []string{"market_operator"}},
		{Login: "market.owner", Name: "业主经办", OrgID: own.ID, Roles: []string{"market_owner"}},
		{Login: "market.dept", Name: "行业主管", OrgID: own.ID, Roles: []string{"market_dept"}},
	}
	dept := auth.Principal{Kind: auth.UserKind, ID: 62, Name: "行业主管", Org: own, Roles: []string{"market_dept"}}
	it, err := env.m.PutItem(ctx, dept, 0, market.ItemInput{Industry: "住房城乡建设", Name: "房屋建筑工程施工图设计文件审查",
		Type: "技术审查", Basis: "《建设工程勘察设计管理条例》第三十三条", Qualification: "施工图审查机构认定", TimeLimit: "15个工作日", Fee: "市场调节价", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	env.item = it.ID
	operator := auth.Principal{Kind: auth.UserKind, ID: 60, Name: "超市运维", Org: op, Roles: []string{"market_operator"}}
	reps := map[string]string{"甲": storetest.RIC("610113", "19800101", 1), "乙": storetest.RIC("610113", "19800101", 1),
		"丙": storetest.RIC("610113", "19850202", 2), "丁": storetest.RIC("610113", "19900303", 3), "戊": storetest.RIC("610113", "19750404", 4)}
	for i, n := range []string{"甲", "乙", "丙", "丁", "戊"} {
		uscc := storetest.USCC("91", "610113", 600+i)
		name := "西安" + n + "审图咨询有限公司"
		if _, err := s.PutSubjects(ctx, []credit.Subject{{Class: credit.ClassOrg, Name: name, USCC: uscc, Region: "610113"}}); err != nil {
			t.Fatal(err)
		}
		sub, err := s.FindSubjectByCode(ctx, uscc)
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, auth.User{Login: "agency." + n, Name: name, Roles: []string{"subject"}, SubjectID: sub.ID})
		p := auth.Principal{Kind: auth.UserKind, ID: int64(63 + i), Name: name, Roles: []string{"subject"}, SubjectID: sub.ID}
		env.firms[n] = p
		v, err := env.m.Apply(ctx, p, market.AgencyInput{OperatorID: op.ID, Region: "610113", Address: "西安市雁塔区科技路" + n + "号",
			Contact: "王经理", Phone: "029-8888000" + string(rune('0'+i)), Staff: 10, Services: "施工图审查", Items: []int64{it.ID},
			Qualifications: []market.Qualification{{Industry: "住房城乡建设", Class: "施工图审查机构", Level: "一类", CertNo: "SCT-00" + n}},
			LegalRep:       "法人" + n, LegalRepID: reps[n], Scans: []attach.File{{Name: "营业执照.pdf", Data: marketPDF}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.m.Review(ctx, operator, v.A.ID, "accept", nil, ""); err != nil {
			t.Fatal(err)
		}
		env.agency[n] = v.A.ID
	}
	for _, u := range users {
		u.PasswordHash = testPasswordHash()
		if _, err := s.CreateUser(ctx, u, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
			t.Fatal(err)
		}
	}
	env.opts.Market = env.m
	h, err := New(env.opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env.base = srv.URL
	return env
}

// blacklist files a 失信被执行人 entry about the firm.
func (env *marketEnv) blacklist(t *testing.T, firm string) {
	sub, _ := env.s.GetSubject(context.Background(), env.firms[firm].SubjectID)
	fileEntries(t, env.im, "sx", penaltyDept, debtorEntry(sub.USCC, sub.Name, ""))
}

func (env *marketEnv) as(t *testing.T, login string) *browser {
	return objectionEnv{accessEnv: env.accessEnv, base: env.base}.as(t, login)
}

// TestMarketPagesAndAPI: the public sees the marketplace from the menu,
// agencies without personal data; only the operator reviews; an agency's
// scans are not the public's; the API lists agencies with their
// dishonesty and a project's selection verifies.
func TestMarketPagesAndAPI(t *testing.T) {
	t.Parallel()
	env := newMarketEnv(t)
	ctx := context.Background()
	public, owner := env.as(t, ""), env.as(t, "market.owner")
	if _, page := public.get("/"); !strings.Contains(page, `href="/market" id="nav-market"`) {
		t.Fatal("the menu has no link to the marketplace")
	}
	_, page := public.get("/market")
	if !strings.Contains(page, "西安甲审图咨询有限公司") || strings.Contains(page, "提交采购项目") {
		t.Errorf("the public's marketplace:\n%s", page)
	}
	_, page = public.get("/market/agencies/" + itoa64(env.agency["甲"]))
	if !strings.Contains(page, "已入驻") || strings.Contains(page, "029-88880000") || strings.Contains(page, "营业执照.pdf") || strings.Contains(page, "agency-review") {
		t.Errorf("the public's agency page shows personal data or forms:\n%s", page)
	}
	if code, _, _ := owner.post("/market/agencies/"+itoa64(env.agency["甲"])+"/exit", map[string][]string{"csrf": {owner.csrf("/market")}, "reason": {"x"}}); code != http.StatusForbidden {
		t.Errorf("the owner exited an agency: %d", code)
	}
	// A bad project form says what and where, keeping what was typed.
	form := map[string][]string{"csrf": {owner.csrf("/market/projects/new")}, "operator": {itoa64(env.op)}, "item": {itoa64(env.item)},
		"name": {"教学楼施工图审查"}, "content": {"审查"}, "duration": {"15个工作日"}, "budget": {"一万"}, "method": {"average"},
		"enrol_until": {calendar.FromTime(env.clock.Now()).String()}, "owner_rep": {"李局长"}, "owner_lead": {"周工"}}
	code, page, _ := owner.post("/market/projects", form)
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "服务费用预算：应为金额") || !strings.Contains(page, "报名截止日期：自公告发布至报名截止不得少于3个工作日") ||
		!strings.Contains(page, "教学楼施工图审查") {
		t.Errorf("a bad project: %d\n%s", code, page)
	}
	env.blacklist(t, "丁")
	var out struct {
		Agencies []MarketAgencyOut `json:"agencies"`
	}
	resp, err := http.Get(env.base + "/api/v1/market/agencies")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	found := false
	for _, a := range out.Agencies {
		if strings.Contains(a.Name, "丁") {
			found = len(a.Dishonesty) == 1 && a.Dishonesty[0].List == "失信被执行人" && a.Dishonesty[0].RecordRef != ""
		}
	}
	if len(out.Agencies) != 5 || !found {
		t.Errorf("API agencies: %+v", out.Agencies)
	}
	_ = ctx
}

// multipartPost posts fields and files (field name → file name, data) as b.
func multipartPost(b *browser, path string, fields map[string][]string, files map[string][2]string) (int, string, http.Header) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for k, f := range files {
		fw, _ := mw.CreateFormFile(k, f[0])
		fw.Write([]byte(f[1]))
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// TestMarketRegistrationPages: a firm applies through the form (a bad
// form names every field and echoes no ID number), the operator asks for
// the missing items at once, the firm completes them, the operator
// accepts; a black-listed firm is intercepted with the list named.
func TestMarketRegistrationPages(t *testing.T) {
	t.Parallel()
	env := newMarketEnv(t)
	ctx := context.Background()
	users := []auth.User{}
	for i, n := range []string{"己", "庚"} {
		uscc := storetest.USCC("91", "610113", 700+i)
		name := "西安" + n + "评估咨询有限公司"
		if _, err := env.s.PutSubjects(ctx, []credit.Subject{{Class: credit.ClassOrg, Name: name, USCC: uscc, Region: "610113"}}); err != nil {
			t.Fatal(err)
		}
		sub, _ := env.s.FindSubjectByCode(ctx, uscc)
		users = append(users, auth.User{Login: "agency." + n, Name: name, Roles: []string{"subject"}, SubjectID: sub.ID, PasswordHash: testPasswordHash()})
		if n == "庚" {
			fileEntries(t, env.im, "sx", penaltyDept, debtorEntry(uscc, name, ""))
		}
	}
	for _, u := range users {
		if _, err := env.s.CreateUser(ctx, u, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
			t.Fatal(err)
		}
	}
	ji, geng, op := env.as(t, "agency.己"), env.as(t, "agency.庚"), env.as(t, "market.op")
	rep := storetest.RIC("610113", "19880808", 8)
	form := func(b *browser) map[string][]string {
		return map[string][]string{"csrf": {b.csrf("/market/apply")}, "mode": {"apply"}, "operator": {itoa64(env.op)}, "region": {"610113"},
			"address": {"西安市雁塔区"}, "contact": {"赵"}, "phone": {"029-1"}, "staff": {"5"}, "services": {"评估"}, "items": {itoa64(env.item)},
			"q_industry_0": {"住房城乡建设"}, "q_class_0": {"施工图审查机构"}, "q_cert_0": {"X-1"}, "legal_rep": {"赵一"}, "legal_rep_id": {rep}}
	}
	bad := form(ji)
	bad["staff"], bad["region"] = []string{"0"}, []string{"999999"}
	code, page, _ := multipartPost(ji, "/market/apply", bad, nil)
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "执业人员数：应为正整数") || !strings.Contains(page, "注册地：应为6位行政区划代码") ||
		!strings.Contains(page, "材料扫描件：请上传") || strings.Contains(page, rep) || !strings.Contains(page, "西安市雁塔区") {
		t.Fatalf("a bad application: %d\n%s", code, page)
	}
	code, _, h := multipartPost(ji, "/market/apply", form(ji), map[string][2]string{"scans": {"营业执照.pdf", string(marketPDF)}})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/market/agencies/") {
		t.Fatalf("apply: %d %v", code, h)
	}
	agency := h.Get("Location")
	if _, page := op.get(agency); !strings.Contains(page, `id="agency-review"`) || !strings.Contains(page, "中介机构入驻形式核查") {
		t.Fatalf("the operator's review form:\n%s", page)
	}
	if code, _, _ := op.post(agency+"/review", map[string][]string{"csrf": {op.csrf(agency)}, "decision": {"missing"}, "missing": {"资质证书副本\n执业人员名单"}}); code != http.StatusSeeOther {
		t.Fatalf("missing: %d", code)
	}
	if _, page := ji.get(agency); !strings.Contains(page, "资质证书副本") || !strings.Contains(page, "执业人员名单") || !strings.Contains(page, `id="agency-complete"`) {
		t.Fatalf("the firm's page after the request:\n%s", page)
	}
	done := form(ji)
	done["mode"] = []string{"complete"}
	if code, _, _ := multipartPost(ji, "/market/apply", done, map[string][2]string{"scans": {"资质证书.pdf", string(marketPDF)}}); code != http.StatusSeeOther {
		t.Fatalf("complete: %d", code)
	}
	if code, _, _ := op.post(agency+"/review", map[string][]string{"csrf": {op.csrf(agency)}, "decision": {"accept"}}); code != http.StatusSeeOther {
		t.Fatalf("accept: %d", code)
	}
	if _, page := env.as(t, "").get(agency); !strings.Contains(page, "已入驻") || strings.Contains(page, "资质证书.pdf") {
		t.Errorf("the public's page of the new agency:\n%s", page)
	}
	code, _, h = multipartPost(geng, "/market/apply", form(geng), map[string][2]string{"scans": {"营业执照.pdf", string(marketPDF)}})
	if code != http.StatusSeeOther {
		t.Fatalf("the debtor's application: %d", code)
	}
	if _, page := geng.get(h.Get("Location")); !strings.Contains(page, "已拦截") || !strings.Contains(page, "失信被执行人") || !strings.Contains(page, "M10") {
		t.Errorf("the debtor's page:\n%s", page)
	}
}
