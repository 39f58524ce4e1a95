package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// reportEnv is the objection environment (the shop's penalty of a month
// ago, reviewers) with credit reports, a person with an account and a
// checker of 西安市市场监管局.
type reportEnv struct {
	objectionEnv
	reports    *report.Service
	person     credit.Subject
	personRef  string
	shopRef    string
	verifier   string
	reportBase string
}

func newReportService(t *testing.T, opts Options) *report.Service {
	t.Helper()
	signer, err := report.NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	return &report.Service{Builder: &report.Builder{Portal: opts.Portal, Store: opts.Store, Catalog: catalog.Default(), Site: "测试公共信用信息平台"},
		Log: &report.Log{Store: opts.Store, Signer: signer}, Store: opts.Store, Auth: opts.Authorizer, Keys: storetest.Keys()}
}

func newReportEnv(t *testing.T, searchRate float64) reportEnv {
	t.Helper()
	ctx := context.Background()
	env := reportEnv{objectionEnv: newObjectionEnv(t)}
	s := env.s
	if _, err := s.PutSubjects(ctx, []credit.Subject{{Class: credit.ClassPerson, IDNumber: storetest.RIC("610102", "19800101", 5), Name: "张伟"}}); err != nil {
		t.Fatal(err)
	}
	var err error
	if env.person, err = s.FindSubjectByCode(ctx, storetest.RIC("610102", "19800101", 5)); err != nil {
		t.Fatal(err)
	}
	for _, u := range []auth.User{
		{Login: "zhangwei", Name: "张伟", Roles: []string{"subject"}, SubjectID: env.person.ID},
		{Login: "checker.xian", Name: "西安核查员", OrgID: env.deptXian.ID, Roles: []string{"checker"}},
	} {
		u.PasswordHash = testPasswordHash()
		if _, err := s.CreateUser(ctx, u, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
			t.Fatal(err)
		}
	}
	opts := env.opts
	opts.SearchRate, opts.SearchBurst = searchRate, 2
	env.reports = newReportService(t, opts)
	opts.Reports = env.reports
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env.base = srv.URL
	env.personRef = opts.Portal.SubjectRef(env.person)
	env.shopRef = storetest.USCC("92", "610103", 6)
	env.verifier = env.reports.Log.Signer.VerifierKey()
	return env
}

var numberRe = regexp.MustCompile(`XY\d{8}[0-9A-Z]{8}`)

// TestReports: the shop's report from the API and the page is a PDF
// that verifies against the key the API serves and shows its penalty;
// a person's report is the person's own; /verify answers by number and
// by upload, refuses a changed byte, and tells a revoked record; the
// log's endpoints prove inclusion and consistency.
func TestReports(t *testing.T) {
	t.Parallel()
	env := newReportEnv(t, 0)
	anon := env.as(t, "")

	// The verifier key.
	code, body := anon.get("/api/v1/reports/key")
	var key struct{ Key, Name, Algorithm string }
	if code != 200 || json.Unmarshal([]byte(body), &key) != nil || key.Key != env.verifier || key.Algorithm != "Ed25519" {
		t.Fatalf("key: %d %s", code, body)
	}
	v, err := report.ParseVerifierKey(key.Key)
	if err != nil {
		t.Fatal(err)
	}

	// The organisation's report, anonymously, from the API and the page.
	req, _ := http.NewRequest("GET", env.base+"/api/v1/subjects/"+env.shopRef+"/report", nil)
	code, pdf, h := anon.do(req)
	if code != 200 || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("API report: %d %v %.300s", code, h, pdf)
	}
	got, err := report.Verify([]byte(pdf), v)
	if err != nil {
		t.Fatalf("verify the API's report: %v", err)
	}
	if got.Entry.Number != h.Get("X-Report-Number") || got.Entry.Subject != env.shopRef || got.Entry.Name != "碑林区老王面馆" {
		t.Fatalf("entry %+v", got.Entry)
	}
	req, _ = http.NewRequest("GET", env.base+"/subjects/"+env.shopRef+"/report.pdf", nil)
	code, pagePDF, h := anon.do(req)
	if code != 200 || h.Get("Content-Type") != "application/pdf" {
		t.Fatalf("page report: %d", code)
	}
	if _, err := report.Verify([]byte(pagePDF), v); err != nil {
		t.Fatalf("verify the page's report: %v", err)
	}
	// The credit file offers it; the HTML view shows the same sections.
	if _, body := anon.get("/subjects/" + env.shopRef); !strings.Contains(body, `href="/subjects/`+env.shopRef+`/report.pdf"`) || !strings.Contains(body, "下载信用报告") {
		t.Error("the credit file offers no report")
	}
	code, body = anon.get("/subjects/" + env.shopRef + "/report")
	for _, want := range []string{"法人和非法人组织公共信用信息报告", "信用信息概要", "二、行政管理信息", "西市监罚〔2026〕异1号", "七、信用评价信息", "十、信用状况提升建议", "报告说明"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("HTML view lacks %s (%d)", want, code)
		}
	}

	// A person's report: not to the public, not to others, to the person.
	for _, c := range []struct {
		who  string
		path string
		want int
	}{
		{"", "/api/v1/subjects/" + env.personRef + "/report", 401},
		{"", "/api/v1/subjects/" + storetest.RIC("610102", "19800101", 5) + "/report", 401},
		{"shop", "/api/v1/subjects/" + env.personRef + "/report", 403},
		{"checker.xian", "/api/v1/subjects/" + env.personRef + "/report", 403},
		{"shop", "/subjects/" + env.personRef + "/report.pdf", 403},
		{"", "/subjects/" + env.personRef + "/report", 303},
	} {
		if code, body := env.as(t, c.who).get(c.path); code != c.want {
			t.Errorf("%q GET %s: %d, want %d: %.200s", c.who, c.path, code, c.want, body)
		}
	}
	self := env.as(t, "zhangwei")
	if _, body := self.get("/my"); !strings.Contains(body, `href="/subjects/`+env.personRef+`/report.pdf"`) {
		t.Error("/my offers no report")
	}
	req, _ = http.NewRequest("GET", env.base+"/subjects/"+env.personRef+"/report.pdf", nil)
	code, own, _ := self.do(req)
	if code != 200 {
		t.Fatalf("own report: %d %.200s", code, own)
	}
	if got, err := report.Verify([]byte(own), v); err != nil || got.Entry.Kind != "person" || got.Entry.Subject != env.person.MaskedID {
		t.Fatalf("own report: %+v %v", got.Entry, err)
	}
	// With a written authorisation recorded by the checker's organisation.
	checker := env.as(t, "checker.xian")
	grant := map[string]any{"id_number": storetest.RIC("610102", "19800101", 5), "name": "张伟", "purpose": "招聘录用背景核查",
		"valid_until": "2099-01-01", "document": map[string]any{"name": "授权书.png", "data": pngProof}}
	grant["valid_until"] = calendar.Today().AddDays(30).String()
	b, _ := json.Marshal(grant)
	req, _ = http.NewRequest("POST", env.base+"/api/v1/reports/authorisations", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	code, body, _ = checker.do(req)
	var g struct {
		ID int64 `json:"id"`
	}
	if code != 201 || json.Unmarshal([]byte(body), &g) != nil || g.ID == 0 {
		t.Fatalf("authorisation: %d %s", code, body)
	}
	req, _ = http.NewRequest("GET", env.base+"/api/v1/subjects/"+env.personRef+"/report?authorisation="+strconv.FormatInt(g.ID, 10), nil)
	if code, body, _ := checker.do(req); code != 200 {
		t.Fatalf("report with the authorisation: %d %.300s", code, body)
	}
	req, _ = http.NewRequest("GET", env.base+"/api/v1/subjects/"+env.personRef+"/report?authorisation="+strconv.FormatInt(g.ID, 10), nil)
	if code, _, _ := env.as(t, "reviewer.dept").do(req); code != 403 {
		t.Errorf("a reviewer with the checker's authorisation: %d", code)
	}
	// The person sees each issue in the query history.
	_, my := self.get("/my")
	if strings.Count(my, "出具个人信用报告") != 2 || !strings.Contains(my, "登记书面授权") || !strings.Contains(my, "招聘录用背景核查") {
		t.Errorf("query history: %s", my)
	}

	// /verify by number, by upload; a changed byte refused.
	number := got.Entry.Number
	code, body = anon.get("/verify?number=" + number)
	if code != 200 || !strings.Contains(body, "本平台签发过该编号的报告") || !strings.Contains(body, "均未变化") {
		t.Errorf("verify by number: %d %s", code, body)
	}
	code, body, _ = postFiles(anon, "/verify", "file", nil, upload{"报告.pdf", []byte(pdf)})
	if code != 200 || !strings.Contains(body, "报告真实有效") || !strings.Contains(body, number) {
		t.Errorf("verify upload: %d %s", code, body)
	}
	bad := []byte(pdf)
	bad[len(bad)/2] ^= 1
	code, body, _ = postFiles(anon, "/verify", "file", nil, upload{"报告.pdf", bad})
	if code != 200 || !strings.Contains(body, "未通过核验") || strings.Contains(body, "报告真实有效") {
		t.Errorf("verify a changed file: %d %s", code, body)
	}
	if code, body = anon.get("/verify?number=XY20200101AAAAAAAA"); !strings.Contains(body, "没有签发编号为") {
		t.Errorf("unknown number: %d %s", code, body)
	}
	// The record revoked since: the number says so, and nothing else.
	if err := env.s.SetRecordState(context.Background(), env.recordID, "revoked", "复议撤销"); err != nil {
		t.Fatal(err)
	}
	if _, body = anon.get("/verify?number=" + number); !strings.Contains(body, "已撤销") || strings.Contains(body, "复议撤销") {
		t.Errorf("after revocation: %s", body)
	}

	// The log: an entry with its inclusion proof against a checkpoint
	// signed now; a consistency proof from an earlier size.
	code, body = anon.get("/api/v1/reports/" + number)
	var e ReportEntry
	if code != 200 || json.Unmarshal([]byte(body), &e) != nil {
		t.Fatalf("entry: %d %s", code, body)
	}
	c, err := report.OpenCheckpoint([]byte(e.Checkpoint), v)
	if err != nil {
		t.Fatal(err)
	}
	proof := decodeProof(t, e.Inclusion)
	if err := tlog.CheckRecord(proof, c.Tree.N, c.Tree.Hash, e.Index, tlog.RecordHash([]byte(e.Entry))); err != nil {
		t.Errorf("inclusion proof: %v", err)
	}
	if e.Changed != 1 || len(e.Changes) != 1 || e.Changes[0].Status != "revoked" {
		t.Errorf("changes: %+v", e.Changes)
	}
	_, body = anon.get("/api/v1/reports/checkpoint?from=1")
	var cp struct {
		Checkpoint  string
		Size        int64
		Consistency []string
	}
	if err := json.Unmarshal([]byte(body), &cp); err != nil {
		t.Fatal(err)
	}
	first, err := env.reports.Log.Inclusion(context.Background(), 1, 0) // the tree of size 1 is its leaf
	if err != nil || len(first) != 0 {
		t.Fatalf("size 1: %v", err)
	}
	now, err := report.OpenCheckpoint([]byte(cp.Checkpoint), v)
	if err != nil {
		t.Fatal(err)
	}
	leaf := tlog.RecordHash(mustEntry(t, env, 0))
	if err := tlog.CheckTree(decodeProof(t, cp.Consistency), now.Tree.N, now.Tree.Hash, 1, leaf); err != nil {
		t.Errorf("consistency from size 1: %v", err)
	}
	if code, _ := anon.get("/api/v1/reports/checkpoint?from=999"); code != 422 {
		t.Errorf("from past the end: %d", code)
	}
}

func decodeProof(t *testing.T, ss []string) []tlog.Hash {
	t.Helper()
	out := make([]tlog.Hash, len(ss))
	for i, s := range ss {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != tlog.HashSize {
			t.Fatalf("proof hash %q", s)
		}
		copy(out[i][:], b)
	}
	return out
}

// mustEntry is the log's entry at index n.
func mustEntry(t *testing.T, env reportEnv, n int64) []byte {
	t.Helper()
	rs, err := env.s.ReportsFrom(context.Background(), n, 1)
	if err != nil || len(rs) != 1 {
		t.Fatalf("entry %d: %v", n, err)
	}
	return rs[0].Entry
}

// TestReportRateLimit: reports count against the address's search budget.
func TestReportRateLimit(t *testing.T) {
	t.Parallel()
	env := newReportEnv(t, 0.01)
	anon := env.as(t, "")
	for i, p := range []string{"/api/v1/subjects/" + env.shopRef + "/report", "/subjects/" + env.shopRef + "/report.pdf"} {
		if code, _ := anon.get(p); code != 200 {
			t.Fatalf("report %d: %d", i, code)
		}
	}
	for _, p := range []string{"/api/v1/subjects/" + env.shopRef + "/report", "/subjects/" + env.shopRef + "/report"} {
		req, _ := http.NewRequest("GET", env.base+p, nil)
		code, _, h := anon.do(req)
		if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
			t.Errorf("%s over the budget: %d", p, code)
		}
	}
}
