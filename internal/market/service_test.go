package market_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"slices"
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
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/market"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/pgtest"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/postgres/postgrestest"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func migrated(t *testing.T, s store.Store) store.Store {
	t.Cleanup(func() { s.Close() })
	if _, _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

var backends = []struct {
	name string
	open func(t *testing.T) store.Store
}{
	{"sqlite", func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), t.TempDir(), storetest.Keys())
		if err != nil {
			t.Fatal(err)
		}
		return migrated(t, s)
	}},
	{"postgres", func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), postgrestest.NewDatabase(t), storetest.Keys())
		if err != nil {
			t.Fatal(err)
		}
		return migrated(t, s)
	}},
}

// Clock is a test clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *Clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// Env is a marketplace with its organisations, people and services.
type Env struct {
	S        store.Store
	Svc      *market.Service
	Im       *ingest.Importer
	Clock    *Clock
	Operator auth.Principal // 西安市行政审批服务局's operator
	Owner    auth.Principal // 西安市住房和城乡建设局's buyer
	Dept     auth.Principal // the same department as industry department
	OpOrg    auth.Org
	OwnerOrg auth.Org
	Item     store.MarketItem
}

var pdf = func() []byte {
	b, err := os.ReadFile("../attach/testdata/chromium.pdf")
	if err != nil {
		panic(err)
	}
	return b
}()

func newEnv(t *testing.T, s store.Store) *Env {
	ctx := context.Background()
	cat := catalog.Default()
	ls, err := lists.Default(cat)
	if err != nil {
		t.Fatal(err)
	}
	im := &ingest.Importer{Store: s, Catalog: cat, Calendar: calendar.Default(), Hash: storetest.Keys().Hash}
	e := auth.AuditEntry{Actor: "system:test", Action: auth.AuditOrgChange}
	root, _ := s.RootOrg(ctx, "平台运营")
	xian, err := s.CreateOrg(ctx, auth.Org{ParentID: root.ID, Kind: auth.Region, Name: "西安市", Region: "610100"}, e)
	if err != nil {
		t.Fatal(err)
	}
	op, err := s.CreateOrg(ctx, auth.Org{ParentID: xian.ID, Kind: auth.Dept, Name: "西安市行政审批服务局", USCC: storetest.USCC("11", "610100", 301)}, e)
	if err != nil {
		t.Fatal(err)
	}
	own, err := s.CreateOrg(ctx, auth.Org{ParentID: xian.ID, Kind: auth.Dept, Name: "西安市住房和城乡建设局", USCC: storetest.USCC("11", "610100", 302)}, e)
	if err != nil {
		t.Fatal(err)
	}
	model, err := evaluation.Default(cat, ls)
	if err != nil {
		t.Fatal(err)
	}
	clock := &Clock{t: time.Now().UTC()}
	today := func() calendar.Date { return calendar.FromTime(clock.Now()) }
	ev := &evaluation.Service{Store: s, Catalog: cat, Lists: ls, Model: model, Log: slog.New(slog.DiscardHandler), Today: today}
	z := &auth.Authorizer{Roles: auth.DefaultRoles(), Log: slog.New(slog.DiscardHandler)}
	env := &Env{S: s, Im: im, Clock: clock, OpOrg: op, OwnerOrg: own,
		Operator: auth.Principal{Kind: auth.UserKind, ID: 60, Name: "运维", Org: op, Roles: []string{"market_operator"}},
		Owner:    auth.Principal{Kind: auth.UserKind, ID: 61, Name: "业主", Org: own, Roles: []string{"market_owner"}},
		Dept:     auth.Principal{Kind: auth.UserKind, ID: 62, Name: "主管", Org: own, Roles: []string{"market_dept"}}}
	env.Svc = &market.Service{Store: s, Auth: z, Importer: im, Keys: storetest.Keys(), Now: clock.Now, Evaluation: ev,
		Checker:     &check.Checker{Catalog: cat, Lists: ls},
		Commitments: &commitment.Service{Store: s, Auth: z, Importer: im, Now: clock.Now}}
	env.Item, err = env.Svc.PutItem(ctx, env.Dept, 0, market.ItemInput{Industry: "住房城乡建设", Name: "房屋建筑工程施工图设计文件审查",
		Type: "技术审查", Basis: "《建设工程勘察设计管理条例》", Qualification: "施工图审查机构认定", TimeLimit: "15个工作日", Fee: "市场调节价", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// Agency makes a firm with an account and returns its principal.
func (env *Env) Firm(t *testing.T, n int, name string) auth.Principal {
	ctx := context.Background()
	uscc := storetest.USCC("91", "610113", 500+n)
	if _, err := env.S.PutSubjects(ctx, []credit.Subject{{Class: credit.ClassOrg, Name: name, USCC: uscc, Region: "610113"}}); err != nil {
		t.Fatal(err)
	}
	sub, err := env.S.FindSubjectByCode(ctx, uscc)
	if err != nil {
		t.Fatal(err)
	}
	return auth.Principal{Kind: auth.UserKind, ID: int64(63 + n%7), Name: name, Roles: []string{"subject"}, SubjectID: sub.ID}
}

// Application is a valid application whose legal representative has ID
// number rep.
func (env *Env) Application(rep string) market.AgencyInput {
	return market.AgencyInput{OperatorID: env.OpOrg.ID, Region: "610113", Address: "西安市雁塔区科技路1号", Contact: "王经理", Phone: "029-88880000",
		Staff: 12, Services: "施工图审查", Items: []int64{env.Item.ID},
		Qualifications: []market.Qualification{{Industry: "住房城乡建设", Class: "施工图审查机构", Level: "一类", CertNo: "SCT-001"}},
		LegalRep:       "张三", LegalRepID: rep, Scans: []attach.File{{Name: "营业执照.pdf", Data: pdf}}}
}

// Enter registers the firm as an active agency.
func (env *Env) Enter(t *testing.T, p auth.Principal, rep string) market.AgencyView {
	ctx := context.Background()
	v, err := env.Svc.Apply(ctx, p, env.Application(rep))
	if err != nil {
		t.Fatalf("apply %s: %v", p.Name, err)
	}
	if v, err = env.Svc.Review(ctx, env.Operator, v.A.ID, "accept", nil, ""); err != nil || v.A.State != market.AgencyActive {
		t.Fatalf("accept %s: %v %v", p.Name, v.A.State, err)
	}
	return v
}

// Debtor files a 失信被执行人 entry about the firm.
func (env *Env) Debtor(t *testing.T, p auth.Principal) {
	ctx := context.Background()
	sub, _ := env.S.GetSubject(ctx, p.SubjectID)
	row := map[string]any{"list_type": "失信被执行人", "subject_name": sub.Name, "subject_class": "法人及非法人组织", "subject_uscc": sub.USCC,
		"legal_rep": "赵六", "decision_no": "（2026）陕0113执" + sub.USCC[10:14] + "号", "facts": "有履行能力而拒不履行生效法律文书确定的义务",
		"legal_basis": "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条", "decision_date": calendar.Today().AddMonths(-2).String(),
		"valid_to": calendar.Today().AddMonths(22).String(), "authority": "西安市雁塔区人民法院", "authority_uscc": storetest.USCC("11", "610113", 81),
		"source_dept": "西安市雁塔区人民法院", "source_dept_uscc": storetest.USCC("11", "610113", 81)}
	tb, _ := ingest.ObjectsTable([]map[string]any{row})
	res, err := env.Im.Import(ctx, tb, ingest.Options{Kind: "sx", Channel: "test"})
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("debtor: %v %+v", err, res.Rejected)
	}
}

// ProjectInput is a 均价比选 project enrolling until 3 working days from
// today.
func (env *Env) ProjectInput() market.ProjectInput {
	cal := calendar.Default()
	until := cal.AddWorkingDays(calendar.FromTime(env.Clock.Now()), market.EnrolDays)
	return market.ProjectInput{OperatorID: env.OpOrg.ID, Name: "雁塔区第三小学教学楼施工图审查", ItemID: env.Item.ID, Content: "教学楼施工图设计文件审查",
		Duration: "15个工作日", Budget: "12000", Method: "均价比选", EnrolUntil: until.String(), QualClass: "施工图审查机构",
		Conditions: "近三年具有本市同类项目业绩", OwnerRep: "李局长", OwnerLead: "周工", Fiscal: true}
}

// After moves the clock to 10:00 China time on the n-th working day after
// the current day.
func (env *Env) After(n int) calendar.Date {
	d := calendar.Default().AddWorkingDays(calendar.FromTime(env.Clock.Now()), n)
	env.Clock.Set(d.Time().Add(10 * time.Hour))
	return d
}

// PastWorkingDays is the day n working days before today.
func PastWorkingDays(n int) calendar.Date {
	cal, d := calendar.Default(), calendar.Today()
	for cal.WorkingDaysBetween(d, calendar.Today()) < n {
		d = d.AddDays(-1)
	}
	return d
}

func TestWorkflowOnBothDatabases(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { t.Parallel(); workflow(t, newEnv(t, b.open(t))) })
	}
}

var (
	repA = storetest.RIC("610113", "19800101", 1)
	repC = storetest.RIC("610113", "19850202", 2)
	repD = storetest.RIC("610113", "19900303", 3)
	repF = storetest.RIC("610113", "19750404", 4)
	repX = storetest.RIC("610113", "19600606", 5)
)

func workflow(t *testing.T, env *Env) {
	ctx := context.Background()
	svc := env.Svc
	// The clock starts 15 working days ago, so that every step is in the
	// past for intake (which refuses future dates).
	env.Clock.Set(PastWorkingDays(15).Time().Add(9 * time.Hour))

	// Registration: a form without scans is refused field by field; the
	// operator asks for everything missing at once, the clock restarts.
	a := env.Firm(t, 1, "西安甲审图咨询有限公司")
	bad := env.Application(repA)
	bad.Scans, bad.Address = nil, ""
	_, err := svc.Apply(ctx, a, bad)
	if fs := fault.Fields(err); len(fs) != 2 || fs[0].Field != "办公地址" || fs[1].Field != "材料扫描件" {
		t.Fatalf("a bad application: %v %+v", err, fs)
	}
	// An application stopped after its file was added and before its
	// information was stored is taken up again by the next one.
	if _, err := env.S.AddMarketAgency(ctx, store.MarketAgency{SubjectID: a.SubjectID, State: market.AgencyApplied, Body: []byte(`{"history":[]}`)},
		auth.AuditEntry{Actor: "system:test", Action: auth.AuditMarket}); err != nil {
		t.Fatal(err)
	}
	va, err := svc.Apply(ctx, a, env.Application(repA))
	if err != nil || va.A.State != market.AgencyApplied || va.Body.CommitmentID == 0 || va.Body.Timer.Step != "market.agency_check" {
		t.Fatalf("apply: %+v %v", va.A, err)
	}
	c, err := env.S.GetCommitment(ctx, va.Body.CommitmentID)
	if err != nil || c.SubjectID != a.SubjectID || c.AcceptorCode != env.OpOrg.USCC {
		t.Errorf("the integrity commitment: %+v %v", c, err)
	}
	if _, err := svc.Review(ctx, env.Owner, va.A.ID, "accept", nil, ""); !errors.Is(err, fault.Refused) {
		t.Errorf("the owner reviewed an application: %v", err)
	}
	env.After(1)
	va, err = svc.Review(ctx, env.Operator, va.A.ID, "missing", []string{"资质证书副本扫描件", "", "执业人员名单"}, "")
	if err != nil || va.A.State != market.AgencyIncomplete || len(va.Body.Missing) != 2 {
		t.Fatalf("ask for missing items: %+v %v", va.Body.Missing, err)
	}
	env.After(3)
	if va, err = svc.Complete(ctx, a, env.Application(repA)); err != nil || va.A.State != market.AgencyApplied ||
		va.Body.Timer.Due != calendar.Default().AddWorkingDays(calendar.FromTime(env.Clock.Now()), 2) {
		t.Fatalf("complete: %+v %v", va.Body.Timer, err)
	}
	if va, err = svc.Review(ctx, env.Operator, va.A.ID, "accept", nil, ""); err != nil || va.A.State != market.AgencyActive {
		t.Fatalf("accept: %v %v", va.A.State, err)
	}
	// The public sees no personal data.
	pub, err := svc.Agency(ctx, auth.Anyone, va.A.ID)
	if err != nil || pub.Body.Info.Phone != "" || pub.Body.Info.LegalRepHash != "" || len(pub.Body.Info.Scans) != 0 {
		t.Errorf("the public view: %+v %v", pub.Body.Info, err)
	}
	// A refused application, with reasons.
	r := env.Firm(t, 9, "西安不合格咨询有限公司")
	vr, _ := svc.Apply(ctx, r, env.Application(repF))
	if vr, err = svc.Review(ctx, env.Operator, vr.A.ID, "refuse", nil, "资质证书已过期"); err != nil || vr.A.State != market.AgencyRefused {
		t.Errorf("refuse: %v %v", vr.A.State, err)
	}

	b := env.Firm(t, 2, "西安乙审图咨询有限公司") // the same legal representative as 甲
	env.Enter(t, b, repA)
	cc := env.Firm(t, 3, "西安丙审图咨询有限公司")
	env.Enter(t, cc, repC)
	d := env.Firm(t, 4, "西安丁审图咨询有限公司")
	env.Enter(t, d, repD)
	f := env.Firm(t, 5, "西安戊审图咨询有限公司")
	env.Enter(t, f, repF)
	// A firm on a black list is intercepted at registration.
	x := env.Firm(t, 6, "西安失信咨询有限公司")
	env.Debtor(t, x)
	_, err = svc.Apply(ctx, x, env.Application(repX))
	var ic *market.Intercepted
	if !errors.As(err, &ic) || len(ic.Hits) != 1 || ic.Hits[0].List != "失信被执行人" || !strings.Contains(ic.Hits[0].Rule, "M10") || ic.Hits[0].RecordID == 0 {
		t.Fatalf("registration of a debtor: %v", err)
	}

	// Changes are reviewed.
	ch := env.Application(repC)
	ch.Phone, ch.Reason, ch.Scans = "029-66660000", "联系电话变更", nil
	if v, err := svc.RequestChange(ctx, cc, ch); err != nil || v.Body.Change == nil {
		t.Fatalf("change: %v", err)
	}
	if v, err := svc.ReviewChange(ctx, env.Operator, mustAgency(t, svc, cc).A.ID, true, ""); err != nil || v.Body.Info.Phone != "029-66660000" || v.Body.Change != nil {
		t.Errorf("approve the change: %v", err)
	}

	// The project: 第二十四条 flags; review and publication.
	in := env.ProjectInput()
	in.EnrolUntil = calendar.FromTime(env.Clock.Now()).String()
	if _, err := svc.FileProject(ctx, env.Owner, in); !strings.Contains(fault.Message(err), "不得少于3个工作日") {
		t.Errorf("a 1-day enrolment: %v", err)
	}
	pv, err := svc.FileProject(ctx, env.Owner, env.ProjectInput())
	if err != nil || pv.P.State != market.ProjectReview || len(pv.Body.Exclusive) != 1 || !strings.Contains(pv.Body.Exclusive[0], "第二十四条（三）") {
		t.Fatalf("file: %+v %v", pv.Body.Exclusive, err)
	}
	id := pv.P.ID
	if _, err := svc.Project(ctx, auth.Anyone, id); fault.KindOf(err) != fault.NotFound {
		t.Errorf("an unpublished project is public: %v", err)
	}
	if pv, err = svc.ReviewProject(ctx, env.Operator, id, true, nil); err != nil || pv.P.State != market.ProjectOpen || len(pv.Body.SeedHash) != 64 {
		t.Fatalf("publish: %v %v", pv.P.State, err)
	}
	if pub, err := svc.Project(ctx, auth.Anyone, id); err != nil || pub.Body.Seed != "" || pub.Body.SeedHash == "" {
		t.Errorf("the public sees the seed before the draw: %v", err)
	}

	// Enrolment: 甲 bids 9000; 乙 has 甲's legal representative (回避);
	// 丙 bids 11000; 丁 is black-listed after entering (intercepted); 戊
	// declares kinship with the owner's lead (回避).
	enrol := func(p auth.Principal, bid string, kin bool) error {
		_, err := svc.Enrol(ctx, p, id, market.EnrolInput{Bid: bid, Declared: true, Kinship: kin})
		return err
	}
	if err := enrol(a, "9000", false); err != nil {
		t.Fatal(err)
	}
	var ref *market.Refusal
	if err := enrol(b, "8000", false); !errors.As(err, &ref) || ref.Rule != "回避" || !strings.Contains(ref.Reason, "第二十五条（一）") {
		t.Errorf("乙: %v", err)
	}
	if err := enrol(cc, "11000", false); err != nil {
		t.Fatal(err)
	}
	env.Debtor(t, d)
	if err := enrol(d, "10000", false); !errors.As(err, &ref) || ref.Rule != "拦截" || !strings.Contains(ref.Reason, "失信被执行人") {
		t.Errorf("丁: %v", err)
	}
	if err := enrol(f, "10000", true); !errors.As(err, &ref) || ref.Rule != "回避" || !strings.Contains(ref.Reason, "第二十五条（二）") {
		t.Errorf("戊: %v", err)
	}
	if err := enrol(cc, "11000", false); !errors.Is(err, fault.Exists) {
		t.Errorf("enrolled twice: %v", err)
	}
	// Bids are sealed: 丙 sees its own bid, not 甲's.
	if v, _ := svc.Project(ctx, cc, id); len(v.Body.Enrolments) != 1 || v.Body.Enrolments[0].Bid != 1100000 {
		t.Errorf("丙 sees %+v", v.Body.Enrolments)
	}
	// The owner may cancel until 1 working day before the deadline, not
	// on the deadline's day.
	env.After(3)
	if _, err := svc.CancelProject(ctx, env.Owner, id, "需求变化"); fault.KindOf(err) != fault.Conflict {
		t.Errorf("cancelled on the deadline's day: %v", err)
	}

	// Bidding closes; the system selects: average 10000, 甲 and 丙 at equal
	// distance, the lower bid wins.
	if v, _ := svc.Project(ctx, env.Owner, id); v.P.State != market.ProjectOpen {
		t.Fatalf("closed on its last day: %s", v.P.State)
	}
	env.After(1)
	selDay := calendar.FromTime(env.Clock.Now())
	pv, err = svc.Project(ctx, auth.Anyone, id)
	if err != nil || pv.P.State != market.ProjectSelected || !slices.Equal(pv.Body.Winners, []string{mustAgency(t, svc, a).Body.Code}) {
		t.Fatalf("selection: %v %v %v", pv.P.State, pv.Body.Winners, err)
	}
	dr := pv.LastDraw()
	if dr.Result.AverageFen != 1000000 || !strings.Contains(strings.Join(dr.Result.Steps, ""), "低于平均价的中介机构中选") {
		t.Errorf("draw: %+v", dr.Result)
	}
	if err := market.Verify(dr.Input, dr.SeedHash, dr.Result.Winners); err != nil || dr.Input.Seed == "" {
		t.Errorf("the published draw does not verify: %v", err)
	}
	// The owner does not confirm: on the due day it is still open, the
	// day after the system confirms.
	env.After(1)
	if v, _ := svc.Project(ctx, env.Owner, id); v.P.State != market.ProjectSelected {
		t.Fatalf("confirmed early: %s", v.P.State)
	}
	if v, _ := svc.Project(ctx, env.Owner, id); v.Body.Timer.Due != calendar.Default().AddWorkingDays(selDay, 1) {
		t.Errorf("confirmation due %v", v.Body.Timer.Due)
	}
	env.After(1)
	// The sweep confirms, and exits 丁, now black-listed (第三十二条).
	if n, m, err := svc.Sweep(ctx); err != nil || n != 1 || m != 1 {
		t.Errorf("sweep: %d %d %v", n, m, err)
	}
	pv, _ = svc.Project(ctx, env.Owner, id)
	if pv.P.State != market.ProjectConfirmed || !pv.Body.Auto || pv.Body.ConfirmedBy != market.System {
		t.Fatalf("auto-confirm: %s %+v", pv.P.State, pv.Body.ConfirmedBy)
	}
	// Only the winner contracts; the contract after 2 working days is late.
	if _, err := svc.Contact(ctx, cc, id); !errors.Is(err, fault.Refused) {
		t.Errorf("丙 contacted: %v", err)
	}
	if _, err := svc.Contact(ctx, a, id); err != nil {
		t.Fatal(err)
	}
	signed := calendar.FromTime(env.Clock.Now())
	env.After(3)
	pv, err = svc.UploadContract(ctx, a, id, signed.String(), &attach.File{Name: "合同.pdf", Data: pdf}, false)
	if err != nil || pv.P.State != market.ProjectContracted || pv.Body.Contract == nil || !slices.Contains(pv.Body.Late, "服务合同上传备案") {
		t.Fatalf("contract: %v %+v %v", pv.P.State, pv.Body.Late, err)
	}
	if _, err := svc.Deliver(ctx, a, id, &attach.File{Name: "审查报告.pdf", Data: pdf}); err != nil {
		t.Fatal(err)
	}
	before, _ := svc.AgencyScore(ctx, mustSubject(t, env, a))
	if _, err := svc.Rate(ctx, env.Owner, id, market.RatingInput{Quality: "非常满意", Timeliness: "满意", Attitude: "非常满意", Fee: "基本满意", Conduct: "满意"}); err != nil {
		t.Fatal(err)
	}
	pv, _ = svc.Project(ctx, env.Owner, id)
	if pv.P.State != market.ProjectRated || pv.Body.Rating.Total != 84 || pv.Body.Rating.RecordID == 0 {
		t.Fatalf("rated: %v %+v", pv.P.State, pv.Body.Rating)
	}
	rec, err := env.S.GetRecord(ctx, pv.Body.Rating.RecordID)
	if err != nil || rec.Kind != "zj" || rec.SubjectID != a.SubjectID {
		t.Errorf("the rating record: %+v %v", rec, err)
	}
	after, _ := svc.AgencyScore(ctx, mustSubject(t, env, a))
	if before.Ratings != 0 || after.Ratings != 1 || after.Mean != 8400 || after.Composite == before.Composite {
		t.Errorf("composite score %+v → %+v", before, after)
	}

	if n, m, err := svc.Sweep(ctx); err != nil || n != 0 || m != 0 {
		t.Errorf("a second sweep: %d %d %v", n, m, err)
	}

	// The operator finds 丙's integrity commitment breached: a 违背信用承诺
	// record in 丙's file, through the commitment registry.
	cv := mustAgency(t, svc, cc)
	com, err := env.S.GetCommitment(ctx, cv.Body.CommitmentID)
	if err != nil {
		t.Fatal(err)
	}
	done, err := svc.Commitments.Assess(ctx, env.Operator, com.ID, com.Rev, commitment.Assessment{Status: "全部未履行",
		Unfulfilled: "转包中介服务", Pursued: "予以清退并记入信用记录", AssessedOn: calendar.FromTime(env.Clock.Now()).String()})
	if err != nil || done.C.BreachRecordID == 0 {
		t.Fatalf("assess the commitment: %v", err)
	}
	if rec, err := env.S.GetRecord(ctx, done.C.BreachRecordID); err != nil || rec.Kind != "wn" || rec.SubjectID != cc.SubjectID {
		t.Errorf("the breach record: %+v %v", rec, err)
	}
	if v := mustAgency(t, svc, d); v.A.State != market.AgencyExited || len(v.Body.Dishonesty) != 1 {
		t.Errorf("丁 after the sweep: %s %+v", v.A.State, v.Body.Dishonesty)
	}
}

func mustAgency(t *testing.T, svc *market.Service, p auth.Principal) market.AgencyView {
	t.Helper()
	v, err := svc.MyAgency(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustSubject(t *testing.T, env *Env, p auth.Principal) credit.Subject {
	s, err := env.S.GetSubject(context.Background(), p.SubjectID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRerunNegotiationDirect: a 随机选取 voided for a technical failure is
// drawn again with a new committed seed and confirmed by the owner; a
// fiscal project whose notices failed twice negotiates; 直接选取 needs no
// confirmation.
func TestRerunNegotiationDirect(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { t.Parallel(); rerunNegotiationDirect(t, newEnv(t, b.open(t))) })
	}
}

func rerunNegotiationDirect(t *testing.T, env *Env) {
	ctx := context.Background()
	svc := env.Svc
	env.Clock.Set(PastWorkingDays(30).Time().Add(9 * time.Hour))
	a, c := env.Firm(t, 1, "西安甲审图咨询有限公司"), env.Firm(t, 3, "西安丙审图咨询有限公司")
	env.Enter(t, a, repA)
	env.Enter(t, c, repC)
	publish := func(in market.ProjectInput) int64 {
		t.Helper()
		v, err := svc.FileProject(ctx, env.Owner, in)
		if err != nil {
			t.Fatal(err)
		}
		if v, err = svc.ReviewProject(ctx, env.Operator, v.P.ID, true, nil); err != nil {
			t.Fatal(err)
		}
		return v.P.ID
	}
	enrol := func(p auth.Principal, id int64) {
		t.Helper()
		if _, err := svc.Enrol(ctx, p, id, market.EnrolInput{Declared: true}); err != nil {
			t.Fatal(err)
		}
	}

	// 随机选取 of 1, re-run.
	in := env.ProjectInput()
	in.Method, in.Count = "随机选取", "1"
	rid := publish(in)
	enrol(a, rid)
	enrol(c, rid)
	env.After(market.EnrolDays + 1)
	v, err := svc.Project(ctx, env.Owner, rid)
	if err != nil || v.P.State != market.ProjectSelected || v.LastDraw().Result.Lottery == nil {
		t.Fatalf("random: %v %v", v.P.State, err)
	}
	first := v.Body.SeedHash
	if _, err := svc.Rerun(ctx, env.Owner, rid, "网络故障"); !errors.Is(err, fault.Refused) {
		t.Errorf("the owner re-ran: %v", err)
	}
	v, err = svc.Rerun(ctx, env.Operator, rid, "网络故障导致选取中断")
	if err != nil || len(v.Body.Draws) != 2 || v.Body.Draws[0].Void == "" || v.Body.SeedHash == first || v.P.State != market.ProjectSelected {
		t.Fatalf("rerun: %v %+v", err, v.Body.Draws)
	}
	if d := v.LastDraw(); market.Verify(d.Input, d.SeedHash, d.Result.Winners) != nil || d.SeedHash != v.Body.SeedHash {
		t.Error("the new draw does not verify")
	}
	if v, err = svc.Confirm(ctx, env.Owner, rid); err != nil || v.P.State != market.ProjectConfirmed || v.Body.Auto {
		t.Errorf("confirm: %v %v", v.P.State, err)
	}

	// A fiscal project without bidders, twice: negotiation.
	in = env.ProjectInput()
	in.Name = "档案馆节能评估"
	nid := publish(in)
	env.After(market.EnrolDays + 1)
	if v, _ := svc.Project(ctx, env.Owner, nid); v.P.State != market.ProjectFailed || v.Body.Notices != 1 {
		t.Fatalf("first notice: %v %d", v.P.State, v.Body.Notices)
	}
	if _, err := svc.Select(ctx, env.Owner, nid, mustAgency(t, svc, a).Body.Code); fault.KindOf(err) != fault.Conflict {
		t.Errorf("negotiated after one notice: %v", err)
	}
	nid2 := publish(env.ProjectInputNamed("档案馆节能评估"))
	env.After(market.EnrolDays + 1)
	v, _ = svc.Project(ctx, env.Owner, nid2)
	if v.P.State != market.ProjectFailed || v.Body.Notices != 2 || !strings.Contains(v.Body.History[len(v.Body.History)-1].Note, "议价选取") {
		t.Fatalf("second notice: %v %d", v.P.State, v.Body.Notices)
	}
	if v, err = svc.Select(ctx, env.Owner, nid2, mustAgency(t, svc, a).Body.Code); err != nil || v.P.State != market.ProjectConfirmed ||
		v.Body.Info.Method != market.Negotiated || v.P.WinnerSubjectID != a.SubjectID {
		t.Fatalf("negotiate: %v %v", v.P.State, err)
	}

	// 直接选取: the owner picks; no confirmation.
	in = env.ProjectInputNamed("办公楼消防检测")
	in.Method = "直接选取"
	did := publish(in)
	enrol(a, did)
	enrol(c, did)
	env.After(market.EnrolDays + 1)
	if v, _ := svc.Project(ctx, env.Owner, did); v.P.State != market.ProjectClosed {
		t.Fatalf("direct closed: %v", v.P.State)
	}
	if v, err = svc.Select(ctx, env.Owner, did, mustAgency(t, svc, c).Body.Code); err != nil || v.P.State != market.ProjectConfirmed ||
		v.P.WinnerSubjectID != c.SubjectID || v.Body.Auto {
		t.Fatalf("direct: %v %v", v.P.State, err)
	}
}

// ProjectInputNamed is ProjectInput with another name.
func (env *Env) ProjectInputNamed(name string) market.ProjectInput {
	in := env.ProjectInput()
	in.Name = name
	return in
}
