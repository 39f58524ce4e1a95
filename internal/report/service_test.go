package report

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/attach"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/pgtest"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/postgres/postgrestest"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var backends = map[string]func(t *testing.T) store.Store{
	"sqlite": func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), t.TempDir(), storetest.Keys())
		if err != nil {
			t.Fatal(err)
		}
		return migrated(t, s)
	},
	"postgres": func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), postgrestest.NewDatabase(t), storetest.Keys())
		if err != nil {
			t.Fatal(err)
		}
		return migrated(t, s)
	},
}

func migrated(t *testing.T, s store.Store) store.Store {
	t.Cleanup(func() { s.Close() })
	if _, _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	dept   = storetest.USCC("11", "610000", 90)
	firm   = storetest.USCC("91", "610113", 1)
	person = storetest.RIC("610102", "19800101", 7)
)

// penalty is a 行政处罚 row by field key.
func penalty(no, name, uscc string, decided calendar.Date, category, fine string) map[string]string {
	m := map[string]string{
		"subject_name": name, "subject_class": "法人及非法人组织", "subject_uscc": uscc, "legal_rep": "李四",
		"decision_no": no, "violation_type": "虚假宣传", "violation_facts": "对商品作虚假宣传",
		"legal_basis": "《反不正当竞争法》第二十条", "penalty_category": category, "fine_amount": fine, "decision_content": "罚款",
		"decision_date": decided.String(), "valid_to": decided.AddMonths(6).String(), "authority": "西安市市场监督管理局", "authority_uscc": dept,
		"source_dept": "西安市市场监督管理局", "source_dept_uscc": dept,
	}
	if uscc == "" {
		m["subject_class"], m["subject_id_type"], m["subject_id_number"] = "自然人", "身份证", person
		delete(m, "legal_rep")
	}
	return m
}

// file imports rows received on day recv through intake.
func file(t *testing.T, s store.Store, recv calendar.Date, rows ...map[string]string) {
	t.Helper()
	k, _ := catalog.Default().Kind("cf")
	var header []string
	for _, f := range k.Fields {
		header = append(header, f.Name)
	}
	var table [][]string
	for _, m := range rows {
		var r []string
		for _, f := range k.Fields {
			r = append(r, m[f.Key])
		}
		table = append(table, r)
	}
	im := &ingest.Importer{Store: s, Catalog: catalog.Default(), Calendar: calendar.Default(), Hash: storetest.Keys().Hash}
	res, err := im.Import(context.Background(), ingest.NewRowsTable(header, table), ingest.Options{Kind: "cf", Channel: "test", ReceivedAt: recv.Time().Add(10 * time.Hour)})
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("import: %v %+v", err, res.Rejected)
	}
}

func newService(t *testing.T, s store.Store) *Service {
	t.Helper()
	keys := storetest.Keys()
	p := &portal.Service{Store: s, Catalog: catalog.Default(), Keys: keys}
	signer, err := NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{5}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	ls, err := lists.Default(catalog.Default())
	if err != nil {
		t.Fatal(err)
	}
	m, err := evaluation.Default(catalog.Default(), ls)
	if err != nil {
		t.Fatal(err)
	}
	ev := &evaluation.Service{Store: s, Catalog: catalog.Default(), Lists: ls, Model: m}
	return &Service{Builder: &Builder{Portal: p, Store: s, Catalog: catalog.Default(), Site: "测试公共信用信息平台", Evaluation: ev},
		Log: &Log{Store: s, Signer: signer}, Store: s, Auth: &auth.Authorizer{Roles: auth.DefaultRoles()}, Keys: keys}
}

// extract is what pdftotext gives of a PDF, whitespace removed.
func extract(t *testing.T, pdf []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool(t, "pdftotext"), "-raw", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(out)), "")
}

func TestService(t *testing.T) {
	t.Parallel()
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testService(t, open(t))
		})
	}
}

func testService(t *testing.T, s store.Store) {
	ctx := context.Background()
	svc := newService(t, s)
	v := verifierOf(t, svc.Log.Signer)
	today := calendar.Today()
	old := today.AddMonths(-18) // 一般, one year: ended six months ago
	recent := today.AddMonths(-1)
	file(t, s, old.AddDays(2), penalty("西市监罚〔旧〕1号", "西安华信电子科技有限公司", firm, old, "罚款", "5"))
	file(t, s, recent.AddDays(2), penalty("西市监罚〔2026〕1号", "西安华信电子科技有限公司", firm, recent, "罚款", "5"),
		penalty("西市监罚〔2026〕3号", "张伟", "", recent, "罚款", "0.1"))

	// Today: the recent penalty, not the expired one; genuine offline.
	is, err := svc.Issue(ctx, Request{Principal: auth.Anyone, Ref: firm, Verify: "https://example.gov.cn/verify"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(is.PDF, v)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.Entry.Number != is.Report.Number || got.Entry.Subject != firm || !got.Entry.AsOf.Equal(today) {
		t.Fatalf("entry %+v", got.Entry)
	}
	text := extract(t, is.PDF)
	// 信用评价信息 carries the evaluation with the penalty that cost points.
	for _, want := range []string{"西市监罚〔2026〕1号", "西安华信电子科技有限公司", "信用状况提升建议", "信用修复",
		"评价等级", "评价模型", "计分（", "西市监罚〔2026〕1号）"} {
		if !strings.Contains(text, want) {
			t.Errorf("today's report lacks %s", want)
		}
	}
	if strings.Contains(text, "西市监罚〔旧〕1号") {
		t.Error("today's report shows the penalty past its window")
	}
	// As of a day inside the old penalty's window: it is there.
	inside := old.AddMonths(6)
	hist, err := svc.Issue(ctx, Request{Principal: auth.Anyone, Ref: firm, AsOf: inside.String()})
	if err != nil {
		t.Fatal(err)
	}
	text = extract(t, hist.PDF)
	if !strings.Contains(text, "西市监罚〔旧〕1号") || strings.Contains(text, "西市监罚〔2026〕1号") || !strings.Contains(text, "历史查询") {
		t.Errorf("as_of %s: %s", inside, text)
	}
	if _, err := Verify(hist.PDF, v); err != nil {
		t.Errorf("historical report: %v", err)
	}

	// A person's report: refused to the public and to others, given to
	// the person and to a holder of a written authorisation.
	sub, err := s.FindSubjectByCode(ctx, person)
	if err != nil {
		t.Fatal(err)
	}
	ref := svc.Builder.Portal.SubjectRef(sub)
	other := auth.Principal{Kind: auth.UserKind, ID: 9, Name: "other", SubjectID: sub.ID + 1000}
	checker := auth.Principal{Kind: auth.UserKind, ID: 10, Name: "hr", Org: auth.Org{ID: 7, Path: "/1/7/", Kind: auth.Dept}, Roles: []string{"checker"}}
	for _, c := range []struct {
		p    auth.Principal
		ref  string
		want fault.Kind
	}{
		{auth.Anyone, ref, fault.Unauthenticated},
		{auth.Anyone, person, fault.Unauthenticated},
		{auth.Anyone, storetest.RIC("610102", "19800101", 8), fault.Unauthenticated},
		{other, ref, fault.Refused},
		{checker, ref, fault.Refused},
		{other, storetest.RIC("610102", "19800101", 8), fault.Refused}, // not on file: the same answer
	} {
		if _, err := svc.Issue(ctx, Request{Principal: c.p, Ref: c.ref}); !errors.Is(err, c.want) {
			t.Errorf("%s asking for %s: %v, want %v", c.p, c.ref, err, c.want)
		}
	}
	self := auth.Principal{Kind: auth.UserKind, ID: 11, Name: "zhangwei", SubjectID: sub.ID}
	own, err := svc.Issue(ctx, Request{Principal: self, Ref: ref})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Verify(own.PDF, v); err != nil || got.Entry.Subject != sub.MaskedID || got.Entry.Name != "" || strings.Contains(got.EntryText, person) {
		t.Fatalf("person's entry %+v %v", got.Entry, err)
	}
	if text := extract(t, own.PDF); !strings.Contains(text, "个人公共信用信息报告") || !strings.Contains(text, "西市监罚〔2026〕3号") || strings.Contains(text, person) ||
		!strings.Contains(text, "自然人不作公开的公共信用综合评价") || strings.Contains(text, "评价等级") {
		t.Errorf("person's report: %s", text)
	}
	// A written authorisation for the checker's organisation.
	pdfDoc := fakePDF(1)
	grant, err := svc.AddGrant(ctx, checker, GrantInput{IDNumber: person, Name: "张伟", Purpose: "招聘录用背景核查", ValidUntil: today.AddDays(30).String(),
		Document: attach.File{Name: "授权书.pdf", Data: pdfDoc}})
	if err != nil {
		t.Fatalf("AddGrant: %v", err)
	}
	for _, bad := range []GrantInput{
		{IDNumber: person, Name: "李四", Purpose: "招聘", ValidUntil: today.String(), Document: attach.File{Name: "a.pdf", Data: pdfDoc}},
		{IDNumber: person, Name: "张伟", Purpose: "招聘", ValidUntil: today.AddDays(-1).String(), Document: attach.File{Name: "a.pdf", Data: pdfDoc}},
		{IDNumber: person, Name: "张伟", Purpose: "招聘", ValidUntil: today.String()},
		{IDNumber: "123", Name: "张伟", Purpose: "招聘", ValidUntil: today.String(), Document: attach.File{Name: "a.pdf", Data: pdfDoc}},
	} {
		if _, err := svc.AddGrant(ctx, checker, bad); !errors.Is(err, fault.Invalid) {
			t.Errorf("grant %+v: %v", bad, err)
		}
	}
	if _, err := svc.AddGrant(ctx, other, GrantInput{IDNumber: person, Name: "张伟", Purpose: "招聘", ValidUntil: today.String(),
		Document: attach.File{Name: "a.pdf", Data: pdfDoc}}); !errors.Is(err, fault.Refused) {
		t.Errorf("grant by a non-checker: %v", err)
	}
	byGrant, err := svc.Issue(ctx, Request{Principal: checker, Ref: ref, Grant: grant.ID})
	if err != nil {
		t.Fatalf("with the authorisation: %v", err)
	}
	if _, err := Verify(byGrant.PDF, v); err != nil {
		t.Fatal(err)
	}
	elsewhere := checker
	elsewhere.Org = auth.Org{ID: 8, Path: "/1/8/", Kind: auth.Dept}
	if _, err := svc.Issue(ctx, Request{Principal: elsewhere, Ref: ref, Grant: grant.ID}); !errors.Is(err, fault.Refused) {
		t.Errorf("another organisation with the grant: %v", err)
	}
	// Every issue of the person's report is in the person's history.
	entries, err := s.ListAudit(ctx, store.AuditFilter{SubjectID: sub.ID})
	if err != nil {
		t.Fatal(err)
	}
	var issues, grants int
	for _, e := range entries {
		switch e.Action {
		case AuditIssue:
			issues++
			if e.Target != "report:"+own.Report.Number && e.Target != "report:"+byGrant.Report.Number {
				t.Errorf("audit target %s", e.Target)
			}
		case AuditGrant:
			grants++
		}
	}
	if issues != 2 || grants != 1 {
		t.Errorf("audit: %d issues, %d grants: %+v", issues, grants, entries)
	}

	// Find: what the report covered and what changed since.
	l, err := svc.Find(ctx, strings.ToLower(is.Report.Number))
	if err != nil {
		t.Fatal(err)
	}
	if l.Entry.Number != is.Report.Number || len(l.Changes) != 1 || l.Changed != 0 || l.Changes[0].Label != "未变化" {
		t.Fatalf("Find: %+v", l)
	}
	rec := is.Report.Records[0]
	if err := s.SetRecordState(ctx, rec.ID, store.StateRevoked, "决定被撤销"); err != nil {
		t.Fatal(err)
	}
	if l, err = svc.Find(ctx, is.Report.Number); err != nil || l.Changed != 1 || l.Changes[0].Status != "revoked" ||
		l.Changes[0].DecisionNo != "西市监罚〔2026〕1号" {
		t.Fatalf("after revocation: %+v %v", l, err)
	}
	if _, err := svc.Find(ctx, "XY20261205AAAAAAAA"); !errors.Is(err, fault.NotFound) {
		t.Errorf("unknown number: %v", err)
	}
	if _, err := svc.Find(ctx, "nonsense"); !errors.Is(err, fault.Invalid) {
		t.Errorf("bad number: %v", err)
	}
	// The log holds every report, consistently.
	if n, err := svc.Log.Check(ctx, nil); err != nil || n != 4 {
		t.Errorf("log check: %d %v", n, err)
	}
	_ = credit.ClassPerson
}
