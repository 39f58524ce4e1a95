package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/check"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/objection"
	"github.com/xinyong/xinyong/internal/repair"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// evaluationService is the built-in model's service over s.
func evaluationService(t *testing.T, s store.Store) *evaluation.Service {
	t.Helper()
	cat := catalog.Default()
	ls, err := lists.Default(cat)
	if err != nil {
		t.Fatal(err)
	}
	m, err := evaluation.Default(cat, ls)
	if err != nil {
		t.Fatal(err)
	}
	return &evaluation.Service{Store: s, Catalog: cat, Lists: ls, Model: m, Log: slog.New(slog.DiscardHandler)}
}

// fileList files a 失信名单 entry about the shop, exited on exit ("" for
// none), through intake.
func fileList(t *testing.T, s store.Store, no, decided, exit string) {
	t.Helper()
	row := map[string]any{"list_type": "失信被执行人", "subject_name": "碑林区老王面馆", "subject_class": "个体工商户",
		"subject_uscc": storetest.USCC("92", "610103", 6), "decision_no": no, "facts": "有履行能力而拒不履行生效法律文书确定的义务",
		"legal_basis": "《最高人民法院关于公布失信被执行人名单信息的若干规定》", "decision_date": decided, "valid_to": "2099-12-31",
		"authority": "西安市碑林区人民法院", "authority_uscc": storetest.USCC("11", "610103", 9),
		"source_dept": "西安市碑林区人民法院", "source_dept_uscc": storetest.USCC("11", "610103", 9)}
	if exit != "" {
		row["exit_date"], row["exit_reason"] = exit, "已履行完毕"
	}
	tbl, err := ingest.ObjectsTable([]map[string]any{row})
	if err != nil {
		t.Fatal(err)
	}
	im := &ingest.Importer{Store: s, Catalog: catalog.Default(), Calendar: calendar.Default(), Hash: storetest.Keys().Hash}
	res, err := im.Import(context.Background(), tbl, ingest.Options{Kind: "sx", Channel: "test"})
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("list entry: %v %+v", err, res.Rejected)
	}
}

// TestEvaluationAcceptance: a subject with a 严重 penalty and a 失信名单
// entry grades below a clean one; the explanation names the penalty's
// decision number, on the credit file, in the read API and in a check's
// answer; after the penalty is repaired through the rights workflow and the
// entry exits, the next evaluation raises the grade and the change feed
// carries it.
func TestEvaluationAcceptance(t *testing.T) {
	t.Parallel()
	env := newRepairEnv(t)
	ctx := context.Background()
	today := calendar.Today()

	// The shop: a 严重 penalty (罚没150万元) of 西安市市场监管局 decided 13
	// months ago (repairable after 12), and a 失信被执行人 entry.
	seriousNo := "西市监罚〔2025〕严1号"
	decided := today.AddMonths(-13)
	pen := shopPenalty(seriousNo, decided, storetest.RIC("610103", "19750505", 8))
	pen["fine_amount"], pen["decision_content"], pen["valid_to"] = "150", "罚款150万元", decided.AddMonths(6).String()
	for _, k := range []string{"authority_uscc", "source_dept_uscc"} {
		pen[k] = penaltyDept
	}
	pen["authority"], pen["source_dept"] = "西安市市场监督管理局", "西安市市场监督管理局"
	fileCF(t, env.s, decided.AddDays(2), pen)
	listNo := "（2026）陕0103执88号"
	fileList(t, env.s, listNo, today.AddMonths(-2).String(), "")
	shopID := env.subjectOf(t)
	clean := credit.Subject{Class: credit.ClassOrg, USCC: storetest.USCC("91", "610103", 77), Name: "西安守信科技有限公司", Region: "610103"}
	if _, err := env.s.PutSubjects(ctx, []credit.Subject{clean}); err != nil {
		t.Fatal(err)
	}
	clean, _ = env.s.FindSubjectByCode(ctx, clean.USCC)
	shop, _ := env.s.GetSubject(ctx, shopID)

	ev := evaluationService(t, env.s)
	if _, err := ev.Run(ctx, today, "test", nil); err != nil {
		t.Fatal(err)
	}
	before, err := ev.SubjectEvaluation(ctx, shop, today)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ev.SubjectEvaluation(ctx, clean, today)
	if err != nil {
		t.Fatal(err)
	}
	if before.Grade.Grade != "D" || other.Grade.Grade != "A" || before.Score >= other.Score {
		t.Fatalf("shop %s %d (capped by %q), clean %s %d", before.Grade.Grade, before.Score, before.CappedBy, other.Grade.Grade, other.Score)
	}
	named := func(x evaluation.Explained, indicator, no string) bool {
		for _, c := range x.Contributions {
			for _, it := range c.Items {
				if c.Indicator == indicator && it.DecisionNo == no && it.Points < 0 {
					return true
				}
			}
		}
		return false
	}
	if !named(before, "penalty_serious", seriousNo) || !named(before, "list_serious", listNo) {
		t.Errorf("the explanation does not name the penalty and the entry: %+v", before.Contributions)
	}

	// A server with the evaluation: the file page, the read API, a check.
	opts := env.opts
	opts.Objections = &objection.Service{Store: env.s, Auth: opts.Authorizer, Keys: storetest.Keys(), Public: opts.Portal.IsPublic}
	opts.Repairs = &repair.Service{Store: env.s, Auth: opts.Authorizer, Portal: opts.Portal, Keys: storetest.Keys()}
	opts.Evaluation = ev
	opts.Checks = &check.Service{Store: env.s, Checker: &check.Checker{Catalog: ev.Catalog, Lists: ev.Lists}, Today: calendar.Today, Grades: ev.Briefs}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env.base = srv.URL
	public := env.as(t, "")
	shopRef := env.opts.Portal.SubjectRef(shop)
	_, page := public.get("/subjects/" + shopRef)
	for _, want := range []string{`id="evaluation-grade">D</span>`, "严重失信", seriousNo, listNo, before.Model.Key} {
		if !strings.Contains(page, want) {
			t.Errorf("the shop's file lacks %q", want)
		}
	}
	code, body := public.get("/api/v1/subjects/" + shopRef)
	var file struct {
		Sections []SectionOut `json:"sections"`
	}
	if err := json.Unmarshal([]byte(body), &file); code != http.StatusOK || err != nil {
		t.Fatalf("read API: %d %v", code, err)
	}
	var evOut *EvaluationOut
	for _, sec := range file.Sections {
		if sec.ID == "evaluation" {
			evOut = sec.Evaluation
		}
	}
	if evOut == nil || evOut.Grade != "D" || evOut.Score != before.Score || evOut.Model.Key != ev.Model.Key || len(evOut.Contributions) == 0 ||
		!strings.Contains(body, `"decision_no":"`+seriousNo+`"`) {
		t.Errorf("the API's evaluation section: %+v", evOut)
	}
	if _, p := public.get("/subjects/" + env.opts.Portal.SubjectRef(clean)); !strings.Contains(p, `id="evaluation-grade">A</span>`) ||
		!strings.Contains(p, "没有计分的信息") {
		t.Errorf("the clean firm's file:\n%s", p)
	}
	// A person is not graded publicly.
	person := credit.Subject{Class: credit.ClassPerson, IDNumber: storetest.RIC("610103", "19800101", 3), Name: "张三"}
	if _, err := env.s.PutSubjects(ctx, []credit.Subject{person}); err != nil {
		t.Fatal(err)
	}
	person, _ = env.s.FindSubjectByCode(ctx, person.IDNumber)
	if _, err := ev.SubjectEvaluation(ctx, person, today); err == nil {
		t.Error("a person was graded")
	}
	code, body = apiPost(t, srv.URL+"/api/v1/checks", apiKey(t, env.s, env.deptXian.ID, "checks:run"), map[string]any{"scenario": "procurement",
		"case_no": "采购2026-1", "subjects": []map[string]string{{"code": shop.USCC}}})
	if code != http.StatusOK || !strings.Contains(body, `"grade":"D"`) || !strings.Contains(body, seriousNo) {
		t.Errorf("check answer: %d %s", code, body)
	}

	// The department watches the shop.
	if _, err := env.s.AddWatches(ctx, []store.Watch{{OrgID: env.deptXian.ID, SubjectID: shopID}}); err != nil {
		t.Fatal(err)
	}
	_, since, err := env.s.ChangesFor(ctx, env.deptXian.ID, 0, store.MaxChangesLimit)
	if err != nil {
		t.Fatal(err)
	}

	// The repair, through the rights workflow: the shop applies, the
	// platform accepts, the department approves.
	var seriousRef string
	vs, _ := env.opts.Portal.OwnRecords(ctx, shopID)
	for _, v := range vs {
		if v.DecisionNo == seriousNo {
			seriousRef = v.Ref
		}
	}
	shopB := env.as(t, "shop")
	path := "/records/" + seriousRef
	code, body, hdr := postMultipart(shopB, path+"/repairs", url.Values{"csrf": {shopB.csrf(path)}, "commitment": {"accepted"}}, upload{"罚款收据.png", pngProof})
	if code != http.StatusSeeOther {
		t.Fatalf("apply for repair: %d %s", code, body)
	}
	casePath := hdr.Get("Location")
	if code, body := act(t, env.as(t, "reviewer.root"), casePath, "accept", "", "材料齐全"); code != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", code, body)
	}
	if code, body := act(t, env.as(t, "reviewer.dept"), casePath, "approve", "", "罚款已缴清"); code != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", code, body)
	}
	// The entry exits.
	fileList(t, env.s, listNo, today.AddMonths(-2).String(), today.String())

	// The next evaluation raises the grade; the feed says so.
	if _, err := ev.Run(ctx, today, "test", nil); err != nil {
		t.Fatal(err)
	}
	after, err := ev.SubjectEvaluation(ctx, shop, today)
	if err != nil {
		t.Fatal(err)
	}
	if after.Score <= before.Score || after.Grade.Grade == "D" || named(after, "penalty_serious", seriousNo) || named(after, "list_serious", listNo) {
		t.Errorf("after repair and exit: %s %d %+v", after.Grade.Grade, after.Score, after.Contributions)
	}
	evs, _, err := env.s.ChangesFor(ctx, env.deptXian.ID, since, store.MaxChangesLimit)
	if err != nil {
		t.Fatal(err)
	}
	var grades []string
	for _, e := range evs {
		if e.Type == store.ChangeGrade {
			grades = append(grades, e.GradeFrom+"→"+e.GradeTo)
		}
	}
	if len(grades) != 1 || grades[0] != "D→"+after.Grade.Grade {
		t.Errorf("grade events %v", grades)
	}
	_, page = public.get("/subjects/" + shopRef)
	if !strings.Contains(page, `id="evaluation-grade">`+after.Grade.Grade+`</span>`) || !strings.Contains(page, `id="evaluation-history"`) {
		t.Errorf("the file after: %s", page)
	}
	// The file as of the day before shows nothing stored then.
	if _, page := public.get("/subjects/" + shopRef + "?as_of=" + today.AddDays(-1).String()); !strings.Contains(page, "该日尚无公共信用综合评价结果") {
		t.Errorf("the file of yesterday:\n%s", page)
	}
}

// apiKey makes an API key of organisation org with scopes.
func apiKey(t *testing.T, s store.Store, org int64, scopes ...string) string {
	t.Helper()
	prefix, secret, key := auth.NewAPIKey()
	if _, err := s.CreateClient(context.Background(), auth.APIClient{OrgID: org, Name: "系统" + prefix, Scopes: scopes, Prefix: prefix,
		SecretSum: auth.TokenHash(secret)}, auth.AuditEntry{Actor: "system:test", Action: auth.AuditClientChange}); err != nil {
		t.Fatal(err)
	}
	return key
}

// apiCall sends body as JSON with an API key and returns the status and
// the answer.
func apiCall(t *testing.T, method, url, key string, body any) (int, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
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
	return resp.StatusCode, string(raw)
}

func apiPost(t *testing.T, url, key string, body any) (int, string) {
	t.Helper()
	return apiCall(t, "POST", url, key, body)
}
