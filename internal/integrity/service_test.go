package integrity

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
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

// world is a store with government bodies and their events, filed through
// intake as departments would, received on given days.
type world struct {
	t   *testing.T
	s   store.Store
	svc *Service
	im  *ingest.Importer
	// bodies by short name: USCC
	uscc map[string]string
	org  map[string]auth.Org
}

// now is the clock of the tests: 5 December 2026, 10:00 in Beijing.
var now = time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)

func newWorld(t *testing.T, s store.Store) *world {
	m := testModel(t)
	cat := catalog.Default()
	im := &ingest.Importer{Store: s, Catalog: cat, Calendar: calendar.Default(), Hash: storetest.Keys().Hash,
		Rules: map[string]ingest.RowRule{EventKind: m.Rule}}
	svc := &Service{Store: s, Model: m, Catalog: cat, Calendar: calendar.Default(), Auth: &auth.Authorizer{Roles: auth.DefaultRoles()},
		Now: func() time.Time { return now }}
	w := &world{t: t, s: s, svc: svc, im: im, uscc: map[string]string{
		"finance":   makeUSCC(t, "11610000MB000012"), // 陕西省财政厅
		"education": makeUSCC(t, "11610000MB000034"), // 陕西省教育厅
		"xian":      makeUSCC(t, "11610100MB000056"), // 西安市人民政府
		"baoji":     makeUSCC(t, "11610300MB000078"), // 宝鸡市人民政府
		"court":     makeUSCC(t, "11610000MB000090"), // the reporting department
	}, org: map[string]auth.Org{}}
	ctx := context.Background()
	root, err := s.RootOrg(ctx, "平台")
	if err != nil {
		t.Fatal(err)
	}
	a := auth.AuditEntry{Actor: "system:test", Action: auth.AuditOrgChange, Outcome: "ok"}
	prov, err := s.CreateOrg(ctx, auth.Org{ParentID: root.ID, Kind: auth.Region, Name: "陕西省", Region: "610000"}, a)
	if err != nil {
		t.Fatal(err)
	}
	w.org["root"], w.org["prov"] = root, prov
	for _, d := range []struct{ key, name string }{{"finance", "陕西省财政厅"}, {"education", "陕西省教育厅"}} {
		o, err := s.CreateOrg(ctx, auth.Org{ParentID: prov.ID, Kind: auth.Dept, Name: d.name, USCC: w.uscc[d.key]}, a)
		if err != nil {
			t.Fatal(err)
		}
		w.org[d.key] = o
	}
	return w
}

var names = map[string]string{"finance": "陕西省财政厅", "education": "陕西省教育厅", "xian": "西安市人民政府", "baoji": "宝鸡市人民政府", "court": "陕西省高级人民法院"}

// report files integrity events sent by the department from, received
// at the given time.
func (w *world) report(from string, received time.Time, rows ...map[string]string) ingest.Result {
	w.t.Helper()
	header := []string{"监测对象名称", "监测对象统一社会信用代码", "监测事项", "信息性质", "发生日期", "情况描述", "信息来源渠道",
		"整改或修复日期", "表彰奖励级别", "报送单位", "报送单位统一社会信用代码"}
	var table [][]string
	for _, r := range rows {
		body := r["body"]
		table = append(table, []string{names[body], w.uscc[body], r["item"], r["nature"], r["date"], "情况", "信息共享",
			r["rectified"], r["level"], names[from], w.uscc[from]})
	}
	res, err := w.im.Import(context.Background(), ingest.NewRowsTable(header, table), ingest.Options{Kind: EventKind, Channel: "api",
		ReceivedAt: received, Outcomes: true})
	if err != nil {
		w.t.Fatal(err)
	}
	if len(res.Rejected) > 0 {
		w.t.Fatalf("rejected %+v", res.Rejected)
	}
	return res
}

// listDebtor files a 失信被执行人 entry about a body (a source of the
// model).
func (w *world) listDebtor(body, date string, received time.Time) int64 {
	w.t.Helper()
	k, _ := w.im.Catalog.Kind("sx")
	row := map[string]string{"list_type": "失信被执行人", "subject_name": names[body], "subject_class": "法人及非法人组织",
		"subject_uscc": w.uscc[body], "legal_rep": "某某", "decision_no": "（2026）陕01执1号", "facts": "未履行生效判决确定的付款义务",
		"legal_basis": "法释〔2017〕7号", "decision_date": date, "authority": names["court"], "authority_uscc": w.uscc["court"],
		"source_dept": names["court"], "source_dept_uscc": w.uscc["court"]}
	var header, values []string
	for _, f := range k.Fields {
		header = append(header, f.Key)
		values = append(values, row[f.Key])
	}
	res, err := w.im.Import(context.Background(), ingest.NewRowsTable(header, [][]string{values}), ingest.Options{Kind: "sx", Channel: "api",
		ReceivedAt: received, Outcomes: true})
	if err != nil || len(res.Rejected) > 0 {
		w.t.Fatalf("%v %+v", err, res.Rejected)
	}
	return res.Outcomes[0].ID
}

func at(s string) time.Time {
	return calendar.MustParseDate(s).Time().Add(10 * time.Hour)
}

// fill files the events the tests score November 2026 on.
func (w *world) fill() {
	w.report("court", at("2026-11-10"),
		map[string]string{"body": "finance", "item": itemArrears, "nature": "不良", "date": "2026-06-01"},
		map[string]string{"body": "education", "item": itemHonour, "nature": "良好", "date": "2025-06-15", "level": "省部级"},
	)
	// Promise-keeping information the cities reported themselves: 西安 on
	// time, 宝鸡 late.
	w.report("xian", at("2026-11-10"), map[string]string{"body": "xian", "item": itemPromise, "nature": "良好", "date": "2026-10-20"})
	w.report("baoji", at("2026-11-10"), map[string]string{"body": "baoji", "item": itemPromise, "nature": "良好", "date": "2026-08-01"})
	w.listDebtor("finance", "2026-09-01", at("2026-09-03"))
	// Received after November ended: not in November's score.
	w.report("court", at("2026-12-02"), map[string]string{"body": "education", "item": itemRevoked, "nature": "不良", "date": "2026-11-20"})
}

func scoresJSON(t *testing.T, svc *Service, m Month) string {
	t.Helper()
	scores, err := svc.Scores(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, sc := range scores {
		j, _ := json.Marshal(struct {
			USCC, Group string
			Total       int64
			Rank, Peers int
			Result      Result
		}{sc.USCC, sc.Group, sc.Total, sc.Rank, sc.Peers, sc.Result})
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

func TestRunMonth(t *testing.T) {
	t.Parallel()
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, open(t))
			w.fill()
			ctx := context.Background()
			nov := Month{2026, 11}
			sum, err := w.svc.Run(ctx, nov, RunOptions{StartedBy: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Bodies != 4 || sum.Resumed || !sum.Run.Final || sum.Run.State != store.RunDone || !sum.Run.AsOf.Equal(nov.End()) {
				t.Fatalf("summary %+v", sum)
			}
			scores, err := w.svc.Scores(ctx, nov)
			if err != nil {
				t.Fatal(err)
			}
			total := map[string]Scored{}
			for _, sc := range scores {
				total[sc.USCC] = sc
			}
			want := map[string]Points{
				"finance":   8800 - 400 - 1000, // arrears, and 失信被执行人 from the list
				"education": 8800 + 200,        // an honour at 省部级 18 months old
				"xian":      8800 + 100 + 50,   // kept promise, reported on time
				"baoji":     8800 + 100,        // kept promise, reported late: no bonus
			}
			for k, v := range want {
				if got := Points(total[w.uscc[k]].Total); got != v {
					t.Errorf("%s: %s, want %s: %+v", k, got, v, total[w.uscc[k]].Result.Events)
				}
			}
			fin := total[w.uscc["finance"]]
			if fin.Group != "province_dept" || fin.Rank != 2 || fin.Peers != 2 {
				t.Errorf("finance group %s rank %d of %d", fin.Group, fin.Rank, fin.Peers)
			}
			if x := total[w.uscc["xian"]]; x.Group != "city_gov" || x.Rank != 1 || x.Peers != 2 {
				t.Errorf("西安 group %s rank %d of %d", x.Group, x.Rank, x.Peers)
			}
			var kinds []string
			for _, c := range fin.Result.Events {
				kinds = append(kinds, c.Kind+":"+c.Item)
			}
			if strings.Join(kinds, ",") != "zwcx:"+itemArrears+",sx:"+itemDebtor {
				t.Errorf("finance's lines %v", kinds)
			}
			first := scoresJSON(t, w.svc, nov)
			// Run again, later: the same result.
			w.svc.Now = func() time.Time { return now.Add(48 * time.Hour) }
			if _, err := w.svc.Run(ctx, nov, RunOptions{StartedBy: "test"}); err != nil {
				t.Fatal(err)
			}
			if again := scoresJSON(t, w.svc, nov); again != first {
				t.Errorf("a re-run of a past month differs:\n%s\n%s", first, again)
			}
			// December, the current month, is provisional and sees the
			// event received on 2 December.
			dec, err := w.svc.Run(ctx, Month{2026, 12}, RunOptions{})
			if err != nil || dec.Run.Final {
				t.Fatalf("%+v %v", dec, err)
			}
			if _, err := w.svc.Run(ctx, Month{2027, 1}, RunOptions{}); !errors.Is(err, fault.Invalid) {
				t.Errorf("a future month: %v", err)
			}
			rep, err := w.svc.MonthReport(ctx, w.svc.Model.BodyOf(mustSubject(t, w.s, w.uscc["education"])), Month{2026, 12})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Change != -300 || len(rep.Moves) != 1 || rep.Moves[0].Item != itemRevoked || rep.Moves[0].Why != "本月新计入" || len(rep.Open) != 1 {
				t.Errorf("report: change %s, moves %+v, open %d", rep.Change, rep.Moves, len(rep.Open))
			}
		})
	}
}

func mustSubject(t *testing.T, s store.Store, uscc string) credit.Subject {
	t.Helper()
	x, err := s.FindSubjectByCode(context.Background(), uscc)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// failing fails PutIntegrityScores after n calls: a run killed half way.
type failing struct {
	store.Store
	n int
}

func (f *failing) PutIntegrityScores(ctx context.Context, scores []store.IntegrityScore) error {
	if f.n == 0 {
		return errors.New("killed")
	}
	f.n--
	return f.Store.PutIntegrityScores(ctx, scores)
}

// TestRunResumed: a run interrupted after some transactions, then run
// again, ends with the result of one clean run.
func TestRunResumed(t *testing.T) {
	t.Parallel()
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clean := newWorld(t, open(t))
			clean.fill()
			nov := Month{2026, 11}
			if _, err := clean.svc.Run(ctx, nov, RunOptions{}); err != nil {
				t.Fatal(err)
			}
			w := newWorld(t, open(t))
			w.fill()
			real := w.svc.Store
			w.svc.Store, w.svc.Chunk = &failing{Store: real, n: 2}, 1
			if _, err := w.svc.Run(ctx, nov, RunOptions{}); err == nil {
				t.Fatal("the failing run succeeded")
			}
			if run, _ := real.GetIntegrityRun(ctx, nov.String()); run.State != store.RunRunning {
				t.Fatalf("run after the failure: %+v", run)
			}
			w.svc.Store = real
			sum, err := w.svc.Run(ctx, nov, RunOptions{})
			if err != nil || !sum.Resumed || sum.Written != sum.Bodies-2 {
				t.Fatalf("resumed run %+v %v", sum, err)
			}
			if a, b := scoresJSON(t, clean.svc, nov), scoresJSON(t, w.svc, nov); a != b {
				t.Errorf("resumed run differs from a clean one:\n%s\n%s", a, b)
			}
		})
	}
}

func TestAlertsAndFeedback(t *testing.T) {
	t.Parallel()
	w := newWorld(t, backends["sqlite"](t))
	w.fill()
	ctx := context.Background()
	if err := w.svc.RaiseAlerts(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.RaiseAlerts(ctx); err != nil {
		t.Fatal(err)
	}
	alerts, err := w.s.IntegrityAlerts(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var items []string
	for _, a := range alerts {
		items = append(items, a.Item)
	}
	// The arrears (serious) and the 失信被执行人 entry; not the revoked
	// decision (not serious) nor the good news.
	if strings.Join(items, ",") != itemDebtor+","+itemArrears {
		t.Fatalf("alerts %v", items)
	}
	// A new serious event after the cursor raises one more.
	w.report("court", at("2026-12-03"), map[string]string{"body": "baoji", "item": "在政务或经济活动中弄虚作假", "nature": "不良", "date": "2026-12-01"})
	if err := w.svc.RaiseAlerts(ctx); err != nil {
		t.Fatal(err)
	}
	if alerts, _ := w.s.IntegrityAlerts(ctx, 0, 10); len(alerts) != 3 {
		t.Fatalf("after a new serious event: %+v", alerts)
	}

	// Feedback: the finance department's clerk on its own event, not on
	// another body's.
	fin := w.svc.Model.BodyOf(mustSubject(t, w.s, w.uscc["finance"]))
	file, err := w.svc.BodyFile(ctx, fin)
	if err != nil {
		t.Fatal(err)
	}
	if len(file.Events) != 2 || file.Events[0].Kind != "sx" || file.Events[1].Source != "报送单位报送" || len(file.Alerts) != 2 {
		t.Fatalf("finance's file: %+v", file.Events)
	}
	clerk := auth.Principal{Kind: auth.UserKind, ID: 1, Name: "clerk", Org: w.org["finance"], Roles: []string{auth.RoleClerk}}
	other := auth.Principal{Kind: auth.UserKind, ID: 2, Name: "other", Org: w.org["education"], Roles: []string{auth.RoleClerk}}
	ev := file.Events[1].RecordID
	if _, err := w.svc.AddFeedback(ctx, other, ev, "已整改", "与我无关"); !errors.Is(err, fault.Refused) {
		t.Errorf("another department's feedback: %v", err)
	}
	if _, err := w.svc.AddFeedback(ctx, clerk, ev, "解决了", "已付款"); !errors.Is(err, fault.Invalid) {
		t.Errorf("an unknown result: %v", err)
	}
	if _, err := w.svc.AddFeedback(ctx, clerk, ev, "已整改", " "); !errors.Is(err, fault.Invalid) {
		t.Errorf("no text: %v", err)
	}
	if _, err := w.svc.AddFeedback(ctx, clerk, ev, "正在整改", "已制定还款计划，12月底前付清"); err != nil {
		t.Fatal(err)
	}
	file, _ = w.svc.BodyFile(ctx, fin)
	if fb := file.Events[1].LastFeedback(); fb == nil || fb.Result != "正在整改" || fb.Actor != clerk.String() {
		t.Errorf("feedback %+v", fb)
	}
	// The credit office (monitor at the operator) reads every body; a
	// department's clerk only its own.
	office := auth.Principal{Kind: auth.UserKind, ID: 3, Name: "office", Org: w.org["root"], Roles: []string{auth.RoleMonitor}}
	xian := w.svc.Model.BodyOf(mustSubject(t, w.s, w.uscc["xian"]))
	if !w.svc.Can(ctx, office, auth.IntegrityRead, xian) || w.svc.Can(ctx, clerk, auth.IntegrityRead, xian) || !w.svc.Can(ctx, clerk, auth.IntegrityRead, fin) {
		t.Error("read access wrong")
	}
}

func TestDue(t *testing.T) {
	t.Parallel()
	w := newWorld(t, backends["sqlite"](t))
	ctx := context.Background()
	// December 2026 begins on a Tuesday, a working day; January 2026's
	// first working day is the 5th (New Year holiday 1-3, the 4th a
	// Sunday working day? whatever the calendar says).
	first := w.svc.FirstWorkingDay(Month{2026, 12})
	if first.String() != "2026-12-01" {
		t.Fatalf("first working day of December 2026: %s", first)
	}
	if m, due, err := w.svc.Due(ctx, calendar.MustParseDate("2026-12-01")); err != nil || !due || m != (Month{2026, 11}) {
		t.Fatalf("due on 1 December: %v %v %v", m, due, err)
	}
	oct := w.svc.FirstWorkingDay(Month{2026, 10})
	if !w.svc.Calendar.IsWorkingDay(oct) || oct.Day == 1 {
		t.Errorf("first working day of October 2026 (National Day holiday): %s", oct)
	}
	if _, due, _ := w.svc.Due(ctx, oct.AddDays(-1)); due {
		t.Error("due before the first working day")
	}
	if err := w.svc.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if _, due, _ := w.svc.Due(ctx, calendar.MustParseDate("2026-12-07")); due {
		t.Error("still due after the run")
	}
}
