package registry

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/ingest"
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

// Authorities of the seeded world.
var (
	xianSAMR  = MakeCode("11610100MB00001A") // 西安市市场监督管理局
	provSAMR  = MakeCode("11610000MB00002A") // 陕西省市场监督管理局
	xianMZ    = MakeCode("11610100MB00003A") // 西安市民政局
	yantaMZ   = MakeCode("11610113MB00004A") // 西安市雁塔区民政局
	xianBB    = MakeCode("11610100MB00005A") // 中共西安市委机构编制委员会办公室
	gansuSAMR = MakeCode("11620100MB00006A") // 兰州市市场监督管理局
)

var authorityNames = map[string]string{
	xianSAMR: "西安市市场监督管理局", provSAMR: "陕西省市场监督管理局", xianMZ: "西安市民政局", yantaMZ: "西安市雁塔区民政局",
	xianBB: "中共西安市委机构编制委员会办公室", gansuSAMR: "兰州市市场监督管理局",
}

// Codes of the seeded organisations.
var (
	badDept    = MakeCode("91610100MA6T0001") // 错码: an enterprise code registered by 民政
	okMZ       = MakeCode("52610100MJ000001") // near miss: a 民办非企业单位 code of 民政
	multi      = MakeCode("91610100MA6T0002") // 一码多赋: two organisations
	renamed    = MakeCode("91610100MA6T0003") // near miss: renamed, the old name held elsewhere
	dupA       = MakeCode("51610100MJ000002") // 重复赋码: one association, two codes
	dupB       = MakeCode("51610113MJ000003")
	headOffice = MakeCode("91610100MA6T0004") // near miss: a branch with the same legal representative
	branch     = MakeCode("91610100MA6T0005")
	whiteA     = MakeCode("12610100MB000006") // 重复赋码 to be whitelisted
	whiteB     = MakeCode("51610100MJ000007")
	crossProv  = MakeCode("91610100MA6T0008") // 一码多赋 across provinces
)

var header = []string{"统一社会信用代码", "机构名称", "法定代表人或负责人姓名", "成立日期", "注册地址", "登记管理部门名称", "登记管理部门代码",
	"登记审批机关", "登记状态", "登记业务类型", "登记业务日期", "数据来源单位", "数据来源单位统一社会信用代码"}

type reg struct{ code, name, rep, founded, auth, business, status, day string }

func (r reg) row() []string {
	status := r.status
	if status == "" {
		status = "存续"
	}
	business := r.business
	if business == "" {
		business = "设立"
	}
	day := r.day
	if day == "" {
		day = r.founded
	}
	return []string{r.code, r.name, r.rep, r.founded, "西安市某路1号", authorityNames[r.auth], r.auth, authorityNames[r.auth],
		status, business, day, authorityNames[r.auth], r.auth}
}

type world struct {
	t   *testing.T
	s   store.Store
	im  *ingest.Importer
	svc *Service
	now time.Time
}

func newWorld(t *testing.T, s store.Store) *world {
	w := &world{t: t, s: s, now: time.Now()}
	w.im = &ingest.Importer{Store: s, Catalog: catalog.Default(), Calendar: calendar.Default(), Hash: storetest.Keys().Hash,
		Rules: map[string]ingest.RowRule{Kind: Rule(s)}}
	w.svc = &Service{Store: s, Calendar: calendar.Default(), Now: func() time.Time { return w.now }}
	return w
}

// file sends registrations through intake as an authority would and
// lets the registry follow.
func (w *world) file(regs ...reg) ingest.Result {
	w.t.Helper()
	var rows [][]string
	for _, r := range regs {
		rows = append(rows, r.row())
	}
	res, err := w.im.Import(context.Background(), ingest.NewRowsTable(header, rows), ingest.Options{Kind: Kind, Channel: "api",
		ReceivedAt: w.now})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.svc.Sync(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	return res
}

func (w *world) seed() {
	w.file(
		reg{badDept, "西安市某某商贸有限公司", "赵一", "2020-01-02", xianMZ, "", "", ""},
		reg{okMZ, "西安市某某培训学校", "钱二", "2020-01-03", xianMZ, "", "", ""},
		reg{multi, "西安甲科技有限公司", "孙三", "2019-05-06", xianSAMR, "", "", ""},
		reg{multi, "陕西乙商贸有限公司", "李四", "2021-05-06", provSAMR, "", "", ""},
		reg{renamed, "西安丙餐饮有限公司", "周五", "2018-03-04", xianSAMR, "", "", ""},
		reg{renamed, "西安丙餐饮有限公司", "周五", "2018-03-04", provSAMR, "", "", ""},
		reg{dupA, "西安市丁行业协会", "吴六", "2015-07-08", xianMZ, "", "", ""},
		reg{dupB, "西安市丁行业协会", "吴六", "2017-07-08", yantaMZ, "", "", ""},
		reg{headOffice, "西安戊实业有限公司", "郑七", "2016-01-01", xianSAMR, "", "", ""},
		reg{branch, "西安戊实业有限公司雁塔分公司", "郑七", "2017-01-01", xianSAMR, "", "", ""},
		reg{whiteA, "西安市庚研究会", "王八", "2012-02-02", xianBB, "", "", ""},
		reg{whiteB, "西安市庚研究会", "王八", "2013-02-02", xianMZ, "", "", ""},
		reg{crossProv, "西安辛电子有限公司", "冯九", "2019-09-09", xianSAMR, "", "", ""},
		reg{crossProv, "兰州壬机械有限公司", "陈十", "2022-09-09", gansuSAMR, "", "", ""},
	)
	// The rename: 丙餐饮 becomes 丙科技 at the city's authority; the
	// province's copy still has the old name.
	w.file(reg{renamed, "西安丙科技有限公司", "周五", "2018-03-04", xianSAMR, "变更", "", "2026-11-19"})
}

type want struct {
	typ   string
	codes []string
	auth  string
}

func (w *world) openCases() []want {
	w.t.Helper()
	cases, err := w.s.RegistryCases(context.Background(), store.RegistryCaseFilter{States: []string{store.CaseOpen, store.CaseWhitelistRq}})
	if err != nil {
		w.t.Fatal(err)
	}
	var out []want
	for _, c := range cases {
		out = append(out, want{c.Type, c.Codes, c.Authority})
	}
	slices.SortFunc(out, func(a, b want) int { return strings.Compare(a.typ+a.codes[0], b.typ+b.codes[0]) })
	return out
}

func sorted(s ...string) []string { slices.Sort(s); return s }

// TestScanFindsExactlyTheProblems: on seeded data with each problem and a
// near miss of each, the batches' scans and the whole scan find exactly
// the problems, each assigned to the authority that corrects it; the
// corrections filed through intake close the cases and the rates fall.
func TestScanFindsExactlyTheProblems(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			w := newWorld(t, open(t))
			w.seed()
			expected := []want{
				{TypeMultiHeld, []string{crossProv}, store.CodeCentre},
				{TypeMultiHeld, []string{multi}, xianSAMR},
				{TypeDuplicate, sorted(dupA, dupB), yantaMZ},
				{TypeDuplicate, sorted(whiteA, whiteB), xianMZ},
				{TypeBadCode, []string{badDept}, xianMZ},
			}
			slices.SortFunc(expected, func(a, b want) int { return strings.Compare(a.typ+a.codes[0], b.typ+b.codes[0]) })
			if got := w.openCases(); !slices.EqualFunc(got, expected, eqWant) {
				t.Fatalf("cases after intake:\n got %v\nwant %v", got, expected)
			}
			// The whole scan agrees and opens nothing more.
			res, err := w.svc.Scan(ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Findings) != len(expected) || res.Cases.Opened != 0 || res.Cases.Closed != 0 {
				t.Fatalf("scan: %d findings, %+v", len(res.Findings), res.Cases)
			}
			before, err := w.svc.Figures(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if p := before.Total.Points[0]; p.Open != 5 || p.Found != 5 || p.Registered != 14 {
				t.Fatalf("figures before: %+v", p)
			}

			// The whitelisted pair: the authority asks with its evidence,
			// the code centre approves; never reported again.
			cases, _ := w.s.RegistryCases(ctx, store.RegistryCaseFilter{Authority: xianMZ, Type: TypeDuplicate})
			p := auth.Principal{Kind: auth.UserKind, ID: 20, Name: "民政"}
			a := auth.AuditEntry{Actor: p.String(), Outcome: "ok"}
			if _, err := w.svc.RequestWhitelist(ctx, cases[0].ID, p, "短", a); err == nil {
				t.Fatal("a request without evidence was accepted")
			}
			if _, err := w.svc.RequestWhitelist(ctx, cases[0].ID, p, "经市政府批复（市政函〔2013〕12号）同时登记为事业单位和社会团体", a); err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.DecideWhitelist(ctx, cases[0].ID, p, true, "国家代码中心已纳入白名单", a); err != nil {
				t.Fatal(err)
			}

			// Corrections through intake: 民政 deletes the wrong code, the
			// province cancels its copy of the multiply held code, 雁塔
			// cancels the later code, 兰州 deletes its registration.
			bad := w.file(
				reg{multi, "陕西乙商贸公司", "", "", provSAMR, "注销", "注销", "2026-11-20"},
				reg{badDept, "西安市某某商贸有限公司", "", "", xianMZ, "删除", "注销", "2026-11-20"},
			)
			if len(bad.Rejected) != 2 || !strings.Contains(bad.Rejected[0].Reason, "注销代码数据的回传规则") ||
				!strings.Contains(bad.Rejected[1].Reason, "删除代码数据的回传规则") {
				t.Fatalf("rows breaking the 回传 rules: %+v", bad.Rejected)
			}
			res2 := w.file(
				reg{multi, "陕西乙商贸有限公司", "", "", provSAMR, "注销", "注销", "2026-11-20"},
				reg{badDept, "西安市某某商贸有限公司", "", "", xianMZ, "-1", "注销", "2026-11-20"},
				reg{dupB, "西安市丁行业协会", "", "", yantaMZ, "注销", "注销", "2026-11-20"},
				reg{crossProv, "兰州壬机械有限公司", "", "", gansuSAMR, "-1", "注销", "2026-11-20"},
			)
			if len(res2.Rejected) != 0 {
				t.Fatalf("corrections rejected: %+v", res2.Rejected)
			}
			if got := w.openCases(); len(got) != 0 {
				t.Fatalf("open after corrections: %v", got)
			}
			res, err = w.svc.Scan(ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Findings) != 0 {
				t.Fatalf("scan after corrections: %+v", res.Findings)
			}
			after, err := w.svc.Figures(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			pa, pb := after.Total.Points[0], before.Total.Points[0]
			if pa.Open != 0 || pa.FixRate != (Rate{5, 5}) || pa.ErrorRate.Value() >= pb.ErrorRate.Value() {
				t.Fatalf("figures after: %+v (before %+v)", pa, pb)
			}
			// The registry keeps the name history and the status.
			regs, err := w.s.RegistrationsOf(ctx, []string{renamed, multi})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range regs {
				switch {
				case g.USCC == renamed && g.AuthorityCode == xianSAMR:
					if g.Name != "西安丙科技有限公司" || !slices.Equal(g.FormerNames, []string{"西安丙餐饮有限公司"}) || g.LegalRep != "周五" {
						t.Errorf("renamed: %+v", g)
					}
				case g.USCC == multi && g.AuthorityCode == provSAMR:
					if g.Status != StatusCanceled || g.Approval != "陕西省市场监督管理局" {
						t.Errorf("cancelled: %+v", g)
					}
				}
			}
			// A department's record naming a code's holder wrongly is
			// flagged; the registered or a former name is not.
			ws, err := NameWarnings(ctx, w.s, []int{1, 2, 3}, []string{renamed, renamed, headOffice},
				[]string{"西安丙餐饮有限公司", "西安某某无关公司", "西安戊实业有限公司"})
			if err != nil {
				t.Fatal(err)
			}
			if len(ws) != 1 || !strings.HasPrefix(ws[0], "第2行") {
				t.Fatalf("name warnings: %v", ws)
			}
			// Through intake: the Importer's name check warns and files the
			// row under the code as always.
			im := *w.im
			im.NameCheck = func(ctx context.Context, rows []int, codes, names []string) ([]string, error) {
				return NameWarnings(ctx, w.s, rows, codes, names)
			}
			rec := reg{headOffice, "西安某某无关公司", "郑七", "2016-01-01", provSAMR, "", "", ""}
			res3, err := im.Import(ctx, ingest.NewRowsTable(header, [][]string{rec.row()}), ingest.Options{Kind: Kind, Channel: "api"})
			if err != nil || res3.Accepted != 1 || len(res3.NameWarnings) != 1 || !strings.Contains(res3.NameWarnings[0], "西安戊实业有限公司") {
				t.Fatalf("intake name warning: %v %+v", err, res3)
			}
			// The 回传 file of 民政 lists its corrected registrations.
			var b strings.Builder
			if _, err := w.svc.ReturnFile(ctx, xianMZ, &b); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), badDept+",西安市某某商贸有限公司") || !strings.Contains(b.String(), ",-1,") {
				t.Errorf("回传 file:\n%s", b.String())
			}
			var n strings.Builder
			if err := w.svc.Notice(ctx, &n); err != nil || !strings.Contains(n.String(), "没有未纠正") {
				t.Errorf("notice: %v\n%s", err, n.String())
			}
		})
	}
}

func eqWant(a, b want) bool {
	return a.typ == b.typ && slices.Equal(a.codes, b.codes) && a.auth == b.auth
}

// TestRenameClosesDuplicate: a duplicate whose later registration is
// renamed (a correction of the name) closes, although the renamed
// registration no longer meets the other by name.
func TestRenameClosesDuplicate(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			w.file(reg{dupA, "西安市丁行业协会", "吴六", "2015-07-08", xianMZ, "", "", ""},
				reg{dupB, "西安市丁行业协会", "吴六", "2017-07-08", yantaMZ, "", "", ""})
			if got := w.openCases(); len(got) != 1 || got[0].typ != TypeDuplicate {
				t.Fatalf("cases: %v", got)
			}
			w.file(reg{dupB, "西安市雁塔区丁行业协会", "吴六", "2017-07-08", yantaMZ, "变更", "", "2026-11-20"})
			if got := w.openCases(); len(got) != 0 {
				t.Fatalf("after the rename: %v", got)
			}
		})
	}
}

// TestDemoRegistrations: the demo's registrations (what serve --demo
// loads) are all accepted by intake, and the registry finds no problem in
// them: a demo registry with cases would be noise.
func TestDemoRegistrations(t *testing.T) {
	s, err := sqlite.Open(context.Background(), t.TempDir(), storetest.Keys())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, s)
	k, _ := catalog.Default().Kind(Kind)
	var pool []credit.Subject
	demo.Generate(demo.Options{Seed: 9, Subjects: 600}, func(sub credit.Subject) error { pool = append(pool, sub); return nil })
	var rows [][]string
	if err := demo.Records(k, demo.RecordOptions{Seed: 9, Rows: 200, Pool: pool}, func(r []string) error {
		rows = append(rows, slices.Clone(r))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var hdr []string
	for _, f := range k.Fields {
		hdr = append(hdr, f.Key)
	}
	res, err := w.im.Import(context.Background(), ingest.NewRowsTable(hdr, rows), ingest.Options{Kind: Kind, Channel: "demo", ReceivedAt: w.now})
	if err != nil || len(rows) != 200 || res.Accepted != 200 || len(res.Rejected) != 0 {
		t.Fatalf("%d demo registrations: %+v %v", len(rows), res, err)
	}
	if _, err := w.svc.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	scan, err := w.svc.Scan(context.Background(), true)
	if err != nil || scan.Registrations != 200 || len(scan.Findings) != 0 {
		t.Fatalf("scan of the demo registrations: %+v %v", scan, err)
	}
}
