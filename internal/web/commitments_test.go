package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/commitment"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// commitmentEnv is the objection environment with the commitment registry
// served.
type commitmentEnv struct {
	objectionEnv
}

func newCommitmentEnv(t *testing.T) commitmentEnv {
	t.Helper()
	env := commitmentEnv{newObjectionEnv(t)}
	opts := env.opts
	im := &ingest.Importer{Store: env.s, Catalog: catalog.Default(), Calendar: calendar.Default(), Hash: storetest.Keys().Hash}
	opts.Importer = im
	opts.Commitments = &commitment.Service{Store: env.s, Auth: opts.Authorizer, Importer: im}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env.base = srv.URL
	return env
}

// signForm is a valid commitment of the shop to 西安市市场监管局.
func signForm(disclosure string) url.Values {
	return url.Values{"acceptor": {penaltyDept}, "kind": {"容缺受理型"}, "matter": {"申请办理食品经营许可证（容缺受理）"},
		"content": {"本单位承诺在30日内补交健康证明"}, "liability": {"逾期未补交的，撤销许可并记入信用记录"},
		"valid_until": {calendar.Today().AddDays(30).String()}, "disclosure": {disclosure}}
}

var commitmentPathRe = regexp.MustCompile(`^/commitments/(\d+)$`)

// sign posts form as b and returns the new commitment's path.
func sign(t *testing.T, b *browser, form url.Values) string {
	t.Helper()
	form.Set("csrf", b.csrf("/commitments/new"))
	code, body, h := b.post("/commitments", form)
	if code != http.StatusSeeOther || !commitmentPathRe.MatchString(h.Get("Location")) {
		t.Fatalf("sign: %d %s\n%s", code, h.Get("Location"), body)
	}
	return h.Get("Location")
}

// assess posts an assessment as b with the revision its page shows.
func assess(t *testing.T, b *browser, path string, form url.Values) (int, string) {
	t.Helper()
	_, page := b.get(path)
	m := revRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no assessment form on %s:\n%s", path, page)
	}
	form.Set("csrf", b.csrf(path))
	form.Set("rev", m[1])
	code, body, _ := b.post(path, form)
	return code, body
}

// TestCommitmentWorkflow: the shop signs a public and a secret commitment
// to the department (a bad one is refused field by field, nothing kept);
// the public sees the public one on the shop's file and nothing of the
// secret one; another department cannot assess; the department finds the
// public one breached, which files a 违背信用承诺 record through intake
// that the portal publishes; an assessment is made once.
func TestCommitmentWorkflow(t *testing.T) {
	t.Parallel()
	env := newCommitmentEnv(t)
	ctx := context.Background()
	shop, public, firm := env.as(t, "shop"), env.as(t, ""), env.as(t, "firm")
	dept, xian, baoji := env.as(t, "reviewer.dept"), env.as(t, "reviewer.xian"), env.as(t, "clerk.baoji")

	if _, page := shop.get("/commitments/new"); !strings.Contains(page, `<option value="`+penaltyDept+`">西安市市场监督管理局</option>`) ||
		strings.Contains(page, "信用修复型</option>") {
		t.Fatalf("the form offers no department, or offers the repair kind:\n%s", page)
	}
	// A bad form says what is wrong with each field and keeps what was typed.
	bad := signForm(commitment.Public)
	bad.Set("matter", " ")
	bad.Set("made_on", calendar.Today().AddDays(1).String())
	bad.Set("csrf", shop.csrf("/commitments/new"))
	if code, page, _ := shop.post("/commitments", bad); code != http.StatusUnprocessableEntity || !strings.Contains(page, "承诺事由：必填") ||
		!strings.Contains(page, "承诺作出日期：不能晚于今天") || !strings.Contains(page, "本单位承诺在30日内补交健康证明</textarea>") {
		t.Errorf("bad form: %d\n%s", code, page)
	}
	if cs, _ := env.s.ListCommitments(ctx, store.CommitmentFilter{}); len(cs) != 0 {
		t.Fatalf("a refused commitment was stored: %+v", cs)
	}
	pub := sign(t, shop, signForm(commitment.Public))
	secret := sign(t, shop, signForm(commitment.Secret))

	// The code: 受理地 (西安市, the department's region), today, sequence.
	code0 := "610100" + strings.ReplaceAll(calendar.Today().String(), "-", "")
	_, page := public.get(pub)
	if !strings.Contains(page, code0+"000001") || !strings.Contains(page, `id="commitment-status">待认定`) || strings.Contains(page, `id="assess-form"`) {
		t.Errorf("public commitment page:\n%s", page)
	}
	if code, _ := public.get(secret); code != http.StatusNotFound {
		t.Errorf("the public reads a secret commitment: %d", code)
	}
	if code, _ := firm.get(secret); code != http.StatusNotFound {
		t.Errorf("another subject reads a secret commitment: %d", code)
	}
	if code, page := xian.get(secret); code != http.StatusOK || !strings.Contains(page, code0+"000002") || strings.Contains(page, `id="assess-form"`) {
		t.Errorf("the level above: %d", code)
	}
	// The shop's file shows the public one to the public, both to the shop.
	subPath := "/subjects/" + env.opts.Portal.SubjectRef(mustSubject(t, env.s, env.recordID))
	if _, page := public.get(subPath); !strings.Contains(page, code0+"000001") || strings.Contains(page, code0+"000002") ||
		!strings.Contains(page, "信用承诺（1）") {
		t.Errorf("the shop's file for the public:\n%s", page)
	}
	if _, page := shop.get(subPath); !strings.Contains(page, code0+"000002") {
		t.Error("the shop's file for the shop lacks its secret commitment")
	}
	// The read API fills the same section.
	_, body := public.get("/api/v1/subjects/" + strings.TrimPrefix(subPath, "/subjects/"))
	var file struct {
		Sections []SectionOut `json:"sections"`
	}
	if err := json.Unmarshal([]byte(body), &file); err != nil {
		t.Fatal(err)
	}
	for _, sec := range file.Sections {
		if sec.ID == "commitments" && (sec.Pending || sec.Count != 1 || len(sec.Commitments) != 1 || sec.Commitments[0].Code != code0+"000001") {
			t.Errorf("the API's commitments section: %+v", sec)
		}
	}
	// Only the accepting department assesses.
	if code, body := assessAs(t, baoji, env, pub); code != http.StatusForbidden || !strings.Contains(body, "只有承诺受理单位") {
		t.Errorf("another department assesses: %d", code)
	}
	if _, page := dept.get("/commitments"); !strings.Contains(page, code0+"000001") || !strings.Contains(page, code0+"000002") {
		t.Errorf("the department's queue:\n%s", page)
	}
	if code, page := assess(t, dept, pub, url.Values{"status": {commitment.NotFulfilled}}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(page, "未履行的承诺内容：必填") || !strings.Contains(page, "违诺责任追究内容：必填") {
		t.Errorf("breach without its content: %d\n%s", code, page)
	}
	if recs, _ := env.s.SubjectRecords(ctx, mustSubject(t, env.s, env.recordID).ID); len(recs) != 1 {
		t.Fatalf("a refused assessment filed a record: %d records", len(recs))
	}
	if code, body := assess(t, dept, pub, url.Values{"status": {commitment.NotFulfilled}, "unfulfilled": {"未在30日内补交健康证明"},
		"pursued": {"撤销食品经营许可"}}); code != http.StatusSeeOther {
		t.Fatalf("assess: %d %s", code, body)
	}
	_, page = public.get(pub)
	m := regexp.MustCompile(`href="/records/([^"]+)" id="commitment-breach"`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `id="commitment-status">全部未履行`) || !strings.Contains(page, "未在30日内补交健康证明") {
		t.Fatalf("assessed commitment:\n%s", page)
	}
	if code, rec := public.get("/records/" + m[1]); code != http.StatusOK || !strings.Contains(rec, "违背信用承诺") || !strings.Contains(rec, code0+"000001") ||
		!strings.Contains(rec, "撤销食品经营许可") {
		t.Errorf("the breach record on the portal: %d\n%s", code, rec)
	}
	if _, page := public.get(subPath); !strings.Contains(page, "违背信用承诺（1）") {
		t.Error("the shop's file does not count the breach record")
	}
	// Once only; the secret one is kept.
	if code, body := assessAs(t, dept, env, pub); code != http.StatusForbidden || !strings.Contains(body, "已于") {
		t.Errorf("second assessment: %d %s", code, body)
	}
	if code, _ := assess(t, dept, secret, url.Values{"status": {commitment.Fulfilled}}); code != http.StatusSeeOther {
		t.Errorf("kept: %d", code)
	}
	if recs, _ := env.s.SubjectRecords(ctx, mustSubject(t, env.s, env.recordID).ID); len(recs) != 2 {
		t.Errorf("records after a kept commitment: %d", len(recs))
	}
	entries, err := env.s.ListAudit(ctx, store.AuditFilter{Actions: []string{auth.AuditCommitment}})
	if err != nil || len(entries) != 4 {
		t.Errorf("audit entries %d, %v", len(entries), err)
	}
}

// assessAs posts a kept assessment of path as b at revision 1 or 2 (the
// page may offer no form).
func assessAs(t *testing.T, b *browser, env commitmentEnv, path string) (int, string) {
	t.Helper()
	v, err := env.s.GetCommitment(context.Background(), mustID(t, path))
	if err != nil {
		t.Fatal(err)
	}
	code, body, _ := b.post(path, url.Values{"csrf": {b.csrf("/commitments")}, "rev": {strconv.Itoa(v.Rev)}, "status": {commitment.Fulfilled}})
	return code, body
}

func mustID(t *testing.T, path string) int64 {
	t.Helper()
	m := commitmentPathRe.FindStringSubmatch(path)
	if m == nil {
		t.Fatalf("not a commitment path: %s", path)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// mustSubject returns the subject of a record.
func mustSubject(t *testing.T, s store.Store, recordID int64) credit.Subject {
	t.Helper()
	r, err := s.GetRecord(context.Background(), recordID)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := s.GetSubject(context.Background(), r.SubjectID)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// TestCommitmentAPI: the department's approval system registers a
// person's commitment (the person enters the registry), the public cannot
// read a 特定范围内公开 one but government staff can, a bad request is
// refused field by field, and the breach of a person's commitment needs
// the person's ID number, which must be the promisor's.
func TestCommitmentAPI(t *testing.T) {
	t.Parallel()
	env := newCommitmentEnv(t)
	ctx := context.Background()
	prefix, secret, key := auth.NewAPIKey()
	if _, err := env.s.CreateClient(ctx, auth.APIClient{OrgID: env.deptXian.ID, Name: "审批系统", Scopes: []string{"commitments:manage"},
		Prefix: prefix, SecretSum: auth.TokenHash(secret)}, auth.AuditEntry{Actor: "system:test", Action: auth.AuditClientChange}); err != nil {
		t.Fatal(err)
	}
	call := func(b *browser, method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, env.base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if b == nil {
			b = env.as(t, "")
			req.Header.Set("Authorization", "Bearer "+key)
		}
		code, out, _ := b.do(req)
		return code, out
	}
	person := storetest.RIC("610113", "19900101", 21)
	reg := `{"kind":"证明事项型","matter":"申请办理个体工商户登记（证明事项告知承诺）","content":"本人无犯罪记录","liability":"承担虚假承诺责任",
		"disclosure":"特定范围内公开","promisor":{"class":"自然人","code":"` + person + `","name":"张三"}}`
	code, body := call(nil, "POST", "/api/v1/commitments", reg)
	var c CommitmentCase
	if err := json.Unmarshal([]byte(body), &c); code != http.StatusCreated || err != nil || c.Status != "待认定" || c.PromisorClass != "自然人" ||
		strings.Contains(body, person) || c.AcceptorUSCC != penaltyDept || len(c.Code) != 20 || len(c.History) != 1 || c.History[0].Action != "register" {
		t.Fatalf("register: %d %s", code, body)
	}
	sub, err := env.s.FindSubjectByCode(ctx, person)
	if err != nil || sub.Name != "张三" {
		t.Fatalf("the person is not in the registry: %+v %v", sub, err)
	}
	path := "/api/v1/commitments/" + strconv.FormatInt(c.ID, 10)
	// One whose 有效期 has passed unassessed is flagged to the department.
	old := `{"kind":"主动型","matter":"按期整改","content":"30日内整改","liability":"接受处罚","disclosure":"不可公开","made_on":"2026-01-05",
		"valid_until":"2026-02-04","promisor":{"class":"自然人","code":"` + person + `","name":"张三"}}`
	if code, body := call(nil, "POST", "/api/v1/commitments", old); code != http.StatusCreated {
		t.Fatalf("register an old commitment: %d %s", code, body)
	}
	if _, q := env.as(t, "reviewer.dept").get("/commitments"); !strings.Contains(q, "1件承诺已过有效期") || !strings.Contains(q, "有效期已届满，待认定") {
		t.Errorf("the department is not reminded of the expired commitment:\n%s", q)
	}
	if code, _ := call(env.as(t, ""), "GET", path, ""); code != http.StatusNotFound {
		t.Errorf("the public reads a 特定范围内公开 commitment: %d", code)
	}
	if code, _ := call(env.as(t, "clerk.baoji"), "GET", path, ""); code != http.StatusOK {
		t.Errorf("government staff cannot read it: %d", code)
	}
	// Refused field by field, nothing stored.
	code, body = call(nil, "POST", "/api/v1/commitments", `{"kind":"其他","matter":"x","content":"y","liability":"z","disclosure":"可向社会公开",
		"made_on":"2026-02-30","promisor":{"class":"法人及非法人组织","code":"91610000000000000X","name":"某公司"}}`)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "具体承诺类型") || !strings.Contains(body, "承诺作出日期") ||
		!strings.Contains(body, "承诺人代码") {
		t.Errorf("bad registration: %d %s", code, body)
	}
	if cs, _ := env.s.ListCommitments(ctx, store.CommitmentFilter{}); len(cs) != 2 {
		t.Errorf("commitments after a refused one: %d", len(cs))
	}
	newcomer := storetest.USCC("91", "610100", 777)
	code, body = call(nil, "POST", "/api/v1/commitments", `{"kind":"主动型","matter":"x","content":"y","liability":"","disclosure":"可向社会公开",
		"promisor":{"class":"法人及非法人组织","code":"`+newcomer+`","name":"新公司"}}`)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "违诺责任") {
		t.Errorf("bad registration of a new promisor: %d %s", code, body)
	}
	if _, err := env.s.FindSubjectByCode(ctx, newcomer); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused registration added its promisor to the registry: %v", err)
	}
	// A subject user signs for itself only, to a department it names.
	code, body = call(env.as(t, "shop"), "POST", "/api/v1/commitments", reg)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "承诺受理单位") || !strings.Contains(body, "必填") {
		t.Errorf("subject names no department: %d %s", code, body)
	}
	// A stop after the breach record was filed and before the assessment
	// was stored: the retried assessment finds the same record.
	stored, err := env.s.GetCommitment(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	early := commitment.Assessment{Status: "部分履行", Unfulfilled: "未提交无犯罪记录证明", Pursued: "撤销登记", AssessedOn: calendar.Today().String(),
		PromisorID: person}
	t0, err := ingest.ObjectsTable([]map[string]any{commitment.BreachRow(stored, sub, early, env.deptXian)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := env.opts.Importer.Import(ctx, t0, ingest.Options{Kind: commitment.BreachKind, Dept: penaltyDept, Channel: "commitment", Outcomes: true})
	if err != nil || res.Accepted != 1 {
		t.Fatalf("the breach filed before the stop: %+v %v", res, err)
	}
	// The breach of a person's commitment needs its ID number.
	breach := func(id string) (int, string) {
		return call(nil, "POST", path+"/assessment", `{"rev":1,"status":"部分履行","unfulfilled":"未提交无犯罪记录证明","pursued":"撤销登记","promisor_id":"`+id+`"}`)
	}
	if code, body := breach(""); code != http.StatusUnprocessableEntity || !strings.Contains(body, "承诺人证件号码") {
		t.Errorf("breach without the ID number: %d %s", code, body)
	}
	if code, body := breach(storetest.RIC("610113", "19900101", 22)); code != http.StatusUnprocessableEntity || !strings.Contains(body, "与承诺人不符") {
		t.Errorf("breach with another ID number: %d %s", code, body)
	}
	code, body = breach(strings.ToLower(person))
	if err := json.Unmarshal([]byte(body), &c); code != http.StatusOK || err != nil || c.Status != "部分履行" || c.BreachRecord == "" || c.Rev != 2 ||
		c.AssessorUSCC != penaltyDept || strings.Contains(body, person) {
		t.Fatalf("breach: %d %s", code, body)
	}
	recs, err := env.s.SubjectRecords(ctx, sub.ID)
	if err != nil || len(recs) != 1 || recs[0].Kind != "wn" || recs[0].DecisionNo != c.Code || recs[0].SourceDept != penaltyDept ||
		recs[0].ID != res.Outcomes[0].ID || env.opts.Portal.RecordRef(recs[0].ID) != c.BreachRecord {
		t.Errorf("breach record %+v %v (filed before the stop: %d)", recs, err, res.Outcomes[0].ID)
	}
	if code, _ := breach(person); code != http.StatusConflict {
		t.Errorf("stale second assessment: %d", code)
	}
}
