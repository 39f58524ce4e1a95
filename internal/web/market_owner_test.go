package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/market"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// TestMarketFirmOwnerPages: a firm's own account registers as a project
// owner from the marketplace's page, files a 竞价选取 project through the
// form, the operator publishes it, two agencies enrol with bids, the
// lowest is selected after the deadline and the firm confirms; the
// 《选取确认书》 names the firm; a government owner cannot confirm it.
func TestMarketFirmOwnerPages(t *testing.T) {
	t.Parallel()
	env := newMarketEnv(t)
	ctx := context.Background()
	uscc := storetest.USCC("91", "610113", 790)
	if _, err := env.s.PutSubjects(ctx, []credit.Subject{{Class: credit.ClassOrg, Name: "陕西辛置业有限公司", USCC: uscc, Region: "610113"}}); err != nil {
		t.Fatal(err)
	}
	sub, _ := env.s.FindSubjectByCode(ctx, uscc)
	if _, err := env.s.CreateUser(ctx, auth.User{Login: "owner.辛", Name: "陕西辛置业有限公司", Roles: []string{"subject"}, SubjectID: sub.ID, PasswordHash: testPasswordHash()},
		auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
		t.Fatal(err)
	}
	firm, op, gov := env.as(t, "owner.辛"), env.as(t, "market.op"), env.as(t, "market.owner")
	if _, page := firm.get("/market"); !strings.Contains(page, `href="/market/owner" id="market-owner">登记为项目业主`) || strings.Contains(page, "market-new-project") {
		t.Fatalf("the firm's marketplace page:\n%s", page)
	}
	code, page, _ := firm.post("/market/owner", map[string][]string{"csrf": {firm.csrf("/market/owner")}, "legal_rep": {"辛董事长"}, "contact": {"孙经理"}, "phone": {"029-5555"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(page, "承诺：须确认") || !strings.Contains(page, "辛董事长") {
		t.Fatalf("registration without the undertaking: %d\n%s", code, page)
	}
	if code, _, _ := firm.post("/market/owner", map[string][]string{"csrf": {firm.csrf("/market/owner")}, "legal_rep": {"辛董事长"}, "contact": {"孙经理"},
		"phone": {"029-5555"}, "declared": {"yes"}}); code != http.StatusSeeOther {
		t.Fatalf("register: %d", code)
	}
	if _, page := firm.get("/market"); !strings.Contains(page, "market-new-project") {
		t.Fatalf("the registered firm cannot file:\n%s", page)
	}
	until := calendar.Default().AddWorkingDays(calendar.FromTime(env.clock.Now()), market.EnrolDays).String()
	form := map[string][]string{"csrf": {firm.csrf("/market/projects/new")}, "operator": {itoa64(env.op)}, "item": {itoa64(env.item)},
		"name": {"售楼处施工图审查"}, "content": {"售楼处施工图设计文件审查"}, "duration": {"10个工作日"}, "budget": {"20000"}, "method": {"lowest"},
		"enrol_until": {until}, "owner_rep": {"辛董事长"}, "owner_lead": {"孙经理"}}
	code, _, h := firm.post("/market/projects", form)
	if code != http.StatusSeeOther {
		t.Fatalf("file: %d", code)
	}
	project := h.Get("Location")
	if _, page := firm.get("/market/owner"); !strings.Contains(page, "售楼处施工图审查") || !strings.Contains(page, "待审查") {
		t.Fatalf("the firm's projects:\n%s", page)
	}
	// Reminders: the operator's to-do list names the review and its due day.
	if _, page := op.get("/market"); !strings.Contains(page, `id="market-tasks"`) || !strings.Contains(page, "采购信息形式审查") || !strings.Contains(page, "售楼处施工图审查") {
		t.Fatalf("the operator's to-do list:\n%s", page)
	}
	if code, _, _ := op.post(project+"/review", map[string][]string{"csrf": {op.csrf(project)}, "decision": {"publish"}}); code != http.StatusSeeOther {
		t.Fatalf("publish: %d", code)
	}
	// The notice is pushed to the agencies offering the item: on their
	// marketplace page and in the API.
	jia := env.as(t, "agency.甲")
	if _, page := jia.get("/market"); !strings.Contains(page, `id="invitations"`) || !strings.Contains(page, "售楼处施工图审查") {
		t.Fatalf("the agency's invitations:\n%s", page)
	}
	if code, body := jia.get("/api/v1/market/invitations"); code != http.StatusOK || !strings.Contains(body, "售楼处施工图审查") {
		t.Fatalf("API invitations: %d %s", code, body)
	}
	for n, bid := range map[string]string{"甲": "15000", "丙": "18000"} {
		b := env.as(t, "agency."+n)
		if code, page, _ := b.post(project+"/enrol", map[string][]string{"csrf": {b.csrf(project)}, "declared": {"yes"}, "bid": {bid}}); code != http.StatusSeeOther {
			t.Fatalf("enrol %s: %d\n%s", n, code, page)
		}
	}
	env.clock.after(market.EnrolDays + 1)
	if _, page := firm.get(project); !strings.Contains(page, "待确认") || !strings.Contains(page, "西安甲审图咨询有限公司") {
		t.Fatalf("the selection:\n%s", page)
	}
	if _, page := jia.get("/market"); strings.Contains(page, `id="invitations"`) {
		t.Fatalf("an enrolled agency is still invited:\n%s", page)
	}
	if _, page := firm.get("/market"); !strings.Contains(page, "业主确认选取结果") || !strings.Contains(page, `id="due-reminder"`) {
		t.Fatalf("the firm's to-do list:\n%s", page)
	}
	if code, _, _ := gov.post(project+"/confirm", map[string][]string{"csrf": {gov.csrf(project)}}); code != http.StatusForbidden {
		t.Fatalf("a government owner confirmed a firm's project: %d", code)
	}
	if code, _, _ := firm.post(project+"/confirm", map[string][]string{"csrf": {firm.csrf(project)}}); code != http.StatusSeeOther {
		t.Fatalf("confirm: %d", code)
	}
	if _, page := env.as(t, "").get(project + "/confirmation"); !strings.Contains(page, "陕西辛置业有限公司") || !strings.Contains(page, "西安甲审图咨询有限公司") {
		t.Fatalf("the confirmation:\n%s", page)
	}
	// Two working days later the check is overdue: the reminder says so.
	env.clock.after(2)
	if _, page := firm.get("/market?overdue=1"); !strings.Contains(page, "业主实质性核对中选机构") || !strings.Contains(page, "1件已逾期") {
		t.Fatalf("the overdue reminder:\n%s", page)
	}
	// 第二十六条: the firm's check before signing fails; the operator
	// cancels the selection; the firm files the 补选.
	if _, page := firm.get(project); !strings.Contains(page, `id="check-form"`) || !strings.Contains(page, "业主实质性核对中选机构") {
		t.Fatalf("no check form:\n%s", page)
	}
	if code, _, _ := firm.post(project+"/check", map[string][]string{"csrf": {firm.csrf(project)}, "result": {"条件"}, "findings": {"资质证书已被注销"}}); code != http.StatusSeeOther {
		t.Fatalf("check: %d", code)
	}
	if _, page := op.get(project); !strings.Contains(page, `id="disqualify-form"`) || !strings.Contains(page, "资质证书已被注销") {
		t.Fatalf("the operator's form:\n%s", page)
	}
	if code, _, _ := op.post(project+"/disqualify", map[string][]string{"csrf": {op.csrf(project)}, "decision": {"cancel"}}); code != http.StatusSeeOther {
		t.Fatalf("disqualify: %d", code)
	}
	code, _, h = firm.post(project+"/reselect", map[string][]string{"csrf": {firm.csrf(project)}})
	if code != http.StatusSeeOther || h.Get("Location") == project {
		t.Fatalf("reselect: %d %v", code, h)
	}
	if _, page := firm.get(h.Get("Location")); !strings.Contains(page, "待审查") || !strings.Contains(page, `id="project-rerun">补选：`) || !strings.Contains(page, "reselect-of") {
		t.Fatalf("the 补选:\n%s", page)
	}
	if _, page := env.as(t, "").get(project); !strings.Contains(page, "中选资格已取消") || !strings.Contains(page, "reselect-link") {
		t.Fatalf("the public's page of the cancelled selection:\n%s", page)
	}
}
