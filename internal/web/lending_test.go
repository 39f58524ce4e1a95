package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/check"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/lending"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// TestLendingPages walks 信易贷 through the pages: the firm grants the
// bank its utility data from its page, the bank sees the grant, reads the
// firm (exactly the utility group) and finds it on its monthly list,
// reports an outcome; the firm sees the read and revokes; the bank's read
// is then refused.
func TestLendingPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := newAccessEnv(t)
	bank, err := env.s.CreateOrg(ctx, auth.Org{ParentID: env.root.ID, Kind: auth.Dept, Name: "某农商银行", USCC: storetest.USCC("91", "610100", 601), Region: "610100"},
		auth.AuditEntry{Actor: "system:test", Action: auth.AuditOrgChange})
	if err != nil {
		t.Fatal(err)
	}
	u := auth.User{Login: "banker", Name: "客户经理", OrgID: bank.ID, Roles: []string{"lender"}, PasswordHash: testPasswordHash()}
	if _, err := env.s.CreateUser(ctx, u, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
		t.Fatal(err)
	}
	// A person's account: 信易贷 is for firms, so its menu has no link.
	person := credit.Subject{Class: credit.ClassPerson, IDNumber: storetest.RIC("610102", "19800101", 61), Name: "李四", Region: "610102"}
	if _, err := env.s.PutSubjects(ctx, []credit.Subject{person}); err != nil {
		t.Fatal(err)
	}
	if person, err = env.s.FindSubjectByCode(ctx, person.IDNumber); err != nil {
		t.Fatal(err)
	}
	u = auth.User{Login: "lisi", Name: "李四", Roles: []string{"subject"}, SubjectID: person.ID, PasswordHash: testPasswordHash()}
	if _, err := env.s.CreateUser(ctx, u, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
		t.Fatal(err)
	}
	cat := catalog.Default()
	l, _ := lists.Default(cat)
	conf, err := lending.DefaultConfig(cat)
	if err != nil {
		t.Fatal(err)
	}
	svc := &lending.Service{Store: env.s, Auth: env.opts.Authorizer, Catalog: cat, Config: conf, Checker: &check.Checker{Catalog: cat, Lists: l}, Portal: env.opts.Portal}
	sub, _ := env.s.GetSubject(ctx, env.subjectID)
	fileEntries(t, env.opts.Importer, "sd", storetest.USCC("11", "610100", 602), map[string]string{"subject_name": sub.Name, "subject_class": "法人及非法人组织",
		"subject_uscc": sub.USCC, "utility": "水费", "period_end": calendar.Today().AddDays(-1).String(), "amount_due": "1.2", "amount_paid": "1.2"})
	opts := env.opts
	opts.Lending = svc
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	as := func(login string) *browser {
		b := env.browser(t)
		b.base = srv.URL
		b.signIn(login)
		return b
	}
	// The platform's administrator registers the bank; a city's may not.
	if code, _ := as("admin.xian").get("/lenders"); code != http.StatusForbidden {
		t.Errorf("a city's administrator opens the lender page: %d", code)
	}
	admin := as("admin")
	if _, page := admin.get("/admin"); !strings.Contains(page, `href="/lenders"`) {
		t.Error("the admin page does not link the lender page")
	}
	if code, page, _ := admin.post("/lenders", url.Values{"csrf": {admin.csrf("/lenders")}, "org": {itoa(bank.ID)}, "kind": {"当铺"}}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(page, "金融机构类别应为") {
		t.Errorf("an unknown kind: %d", code)
	}
	if code, _, _ := admin.post("/lenders", url.Values{"csrf": {admin.csrf("/lenders")}, "org": {itoa(bank.ID)}, "kind": {"银行"}}); code != http.StatusSeeOther {
		t.Fatalf("register: %d", code)
	}
	if _, page := admin.get("/lenders"); !strings.Contains(page, `id="lender-list"`) || !strings.Contains(page, "某农商银行") {
		t.Errorf("lenders page:\n%s", page)
	}
	if code, page := as("lisi").get("/"); code != 200 || strings.Contains(page, `id="nav-lending"`) {
		t.Errorf("a person's menu links 信易贷: %d", code)
	}
	firm, banker := as("firm"), as("banker")
	if code, page := firm.get("/grants"); code != 200 || !strings.Contains(page, "某农商银行（银行）") || !strings.Contains(page, `id="nav-lending"`) {
		t.Fatalf("grants page: %d\n%s", code, page)
	}
	form := url.Values{"csrf": {firm.csrf("/grants")}, "lender": {itoa(bank.ID)}, "purpose": {"经营贷"}, "valid_to": {calendar.Today().AddMonths(2).String()}}
	if code, page, _ := firm.post("/grants", form); code != http.StatusUnprocessableEntity || !strings.Contains(page, "请至少选择一个授权查询的数据组") {
		t.Errorf("a grant of nothing: %d", code)
	}
	form.Set("groups", "utility")
	if code, _, _ := firm.post("/grants", form); code != http.StatusSeeOther {
		t.Fatalf("grant: %d", code)
	}
	code, page := banker.get("/lending")
	if code != 200 || !strings.Contains(page, sub.Name) || !strings.Contains(page, `id="lending-list"`) {
		t.Fatalf("the bank's page: %d\n%s", code, page)
	}
	code, page = banker.get("/lending/firms/" + sub.USCC)
	if code != 200 || !strings.Contains(page, "水电气缴费信息") || !strings.Contains(page, "1.2") || strings.Contains(page, "纳税信息") {
		t.Errorf("the firm's view: %d\n%s", code, page)
	}
	grant := regexp.MustCompile(`name="grant" value="(\d+)"`).FindStringSubmatch(page + func() string { _, p := banker.get("/lending"); return p }())
	if code, _, _ := banker.post("/lending/outcomes", url.Values{"csrf": {banker.csrf("/lending")}, "grant": {grant[1]}, "month": {calendar.Today().String()[:7]},
		"outcome": {"granted"}, "amount_band": {"100万元以下"}}); code != http.StatusSeeOther {
		t.Errorf("outcome: %d", code)
	}
	if _, page := banker.get("/lending"); !strings.Contains(page, "<dt>100万元以下</dt><dd>1</dd>") {
		t.Errorf("statistics:\n%s", page)
	}
	_, page = firm.get("/grants")
	if !strings.Contains(page, `id="grant-reads"`) || !strings.Contains(page, "读取水电气缴费信息") {
		t.Errorf("the firm does not see the read:\n%s", page)
	}
	id := regexp.MustCompile(`/grants/(\d+)/revoke`).FindStringSubmatch(page)[1]
	if code, _, _ := firm.post("/grants/"+id+"/revoke", url.Values{"csrf": {firm.csrf("/grants")}}); code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", code)
	}
	if code, _ := banker.get("/lending/firms/" + sub.USCC); code != http.StatusForbidden {
		t.Errorf("read after revocation: %d", code)
	}
	// Another account of the platform is no lender.
	if code, _ := as("clerk.xian").get("/lending/firms/" + sub.USCC); code != http.StatusForbidden {
		t.Errorf("a clerk reads: %d", code)
	}
}
