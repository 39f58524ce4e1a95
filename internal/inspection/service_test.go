package inspection_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/inspection"
	"github.com/xinyong/xinyong/internal/lists"
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

// drawn is what a draw gave, to compare across the databases.
type drawn struct {
	populationHash string
	targets        []string // seq code grade badges
}

// The day of the draw: a fixed moment, so that both databases make the
// same task code and evaluate on the same day.
var drawTime = time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)

// TestDrawOnBothDatabases: the same data, task and seed give the same draw
// on SQLite and PostgreSQL; the ratios by grade hold within rounding; an
// inspector with a conflict of interest is never drawn for that subject;
// the draw is re-computed from what is published (the population snapshot,
// the seed and the shares) and by Verify; a result entered is filed as a
// 双随机抽查结果 record.
func TestDrawOnBothDatabases(t *testing.T) {
	t.Parallel()
	got := map[string]drawn{}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { got[b.name] = drawOn(t, b.open(t)) })
	}
	if a, b := got["sqlite"], got["postgres"]; len(a.targets) == 0 || a.populationHash != b.populationHash || !slices.Equal(a.targets, b.targets) {
		t.Errorf("the draws differ:\nsqlite   %s %v\npostgres %s %v", a.populationHash, a.targets, b.populationHash, b.targets)
	}
}

func drawOn(t *testing.T, s store.Store) drawn {
	ctx := context.Background()
	cat := catalog.Default()
	ls, err := lists.Default(cat)
	if err != nil {
		t.Fatal(err)
	}
	cal, _ := app.Calendar(config.Config{})
	im := &ingest.Importer{Store: s, Catalog: cat, Calendar: cal, Hash: storetest.Keys().Hash}
	if _, _, err := app.LoadDemo(ctx, s, 1500, 5, nil, im, 6000); err != nil {
		t.Fatal(err)
	}
	day := calendar.FromTime(drawTime)
	model, err := evaluation.Default(cat, ls)
	if err != nil {
		t.Fatal(err)
	}
	ev := &evaluation.Service{Store: s, Catalog: cat, Lists: ls, Model: model, Log: slog.New(slog.DiscardHandler), Today: func() calendar.Date { return day }}
	if _, err := ev.Run(ctx, day, "test", nil); err != nil {
		t.Fatal(err)
	}

	// 西安市市场监督管理局, without a region of its own: 西安市's.
	e := auth.AuditEntry{Actor: "system:test", Action: auth.AuditOrgChange}
	root, _ := s.RootOrg(ctx, "平台运营")
	xian, err := s.CreateOrg(ctx, auth.Org{ParentID: root.ID, Kind: auth.Region, Name: "西安市", Region: "610100"}, e)
	if err != nil {
		t.Fatal(err)
	}
	dept, err := s.CreateOrg(ctx, auth.Org{ParentID: xian.ID, Kind: auth.Dept, Name: "西安市市场监督管理局", USCC: storetest.USCC("11", "610100", 5)}, e)
	if err != nil {
		t.Fatal(err)
	}
	sup := auth.Principal{Kind: auth.UserKind, ID: 1, Name: "sup", Org: dept, Roles: []string{auth.RoleSupervisor}}
	az := &auth.Authorizer{Roles: auth.DefaultRoles()}
	svc := &inspection.Service{Store: s, Auth: az, Importer: im, Grades: model.GradeCodes(), Model: model.Key,
		Now: func() time.Time { return drawTime }, Rand: bytes.NewReader(bytes.Repeat([]byte{0x5a}, 32))}

	// The pool: 检查员1 must not inspect anyone of the city, 检查员2 every
	// other subject.
	all, err := s.InspectionPopulation(ctx, store.PopulationFilter{Region: "6101", Classes: []credit.Class{credit.ClassOrg, credit.ClassSole}})
	if err != nil || len(all) < 200 {
		t.Fatalf("population of 西安市: %d %v", len(all), err)
	}
	var pool []store.Inspector
	for i := 1; i <= 6; i++ {
		in, err := svc.AddInspector(ctx, sup, fmt.Sprintf("检查员%d", i), fmt.Sprintf("610100%02d", i), "")
		if err != nil {
			t.Fatal(err)
		}
		pool = append(pool, in)
	}
	for i, m := range all {
		if i < 150 {
			if err := svc.SetConflict(ctx, sup, pool[0].ID, m.Code, "曾在该单位任职", false); err != nil {
				t.Fatal(err)
			}
		}
		if i%2 == 0 && i < 150 {
			if err := svc.SetConflict(ctx, sup, pool[1].ID, m.Code, "近亲属在该单位任职", false); err != nil {
				t.Fatal(err)
			}
		}
	}
	item, err := svc.AddItem(ctx, sup, "SC-01", "食品经营者检查", "《中华人民共和国食品安全法》第一百一十条")
	if err != nil {
		t.Fatal(err)
	}
	task, err := svc.CreateTask(ctx, sup, inspection.TaskInput{ItemID: item.ID, Name: "2026年食品经营者双随机抽查", From: "2026-12-06", To: "2026-12-31"})
	if err != nil {
		t.Fatal(err)
	}
	if task.Code != "SJ610100-20261206-001" || len(task.SeedHash) != 64 || task.Region != "6101" {
		t.Fatalf("task %+v", task)
	}
	// Before the draw the public sees nothing, staff no seed.
	if _, err := svc.Task(ctx, auth.Anyone, task.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the public reads an open task: %v", err)
	}
	if v, err := svc.Task(ctx, sup, task.ID); err != nil || v.T.Seed != "" || !v.CanDraw {
		t.Errorf("staff's view of the open task: %+v %v", v.T.Seed, err)
	}
	inspector := auth.Principal{Kind: auth.UserKind, ID: 2, Org: dept, Roles: []string{auth.RoleInspector}}
	if _, err := svc.Draw(ctx, inspector, task.ID); !errors.Is(err, fault.Refused) {
		t.Errorf("an inspector draws: %v", err)
	}
	if _, err := svc.Draw(ctx, sup, task.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Draw(ctx, sup, task.ID); !errors.Is(err, fault.Conflict) {
		t.Errorf("drawn twice: %v", err)
	}
	v, err := svc.Task(ctx, auth.Anyone, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The seed is the one whose hash was published.
	if seed, _ := hex.DecodeString(v.T.Seed); !bytes.Equal(seed, bytes.Repeat([]byte{0x5a}, 32)) {
		t.Errorf("seed %s", v.T.Seed)
	}
	// Ratios by grade within rounding; every subject of the population once.
	total := 0
	plan, _ := inspection.DefaultPlan(model.GradeCodes())
	for _, st := range v.Strata {
		g, _ := plan.Measure(st.Grade)
		if math.Abs(float64(st.Drawn)-float64(st.Population)*g.Percent/100) > 0.5 || st.PerMille != g.PerMille() {
			t.Errorf("stratum %+v against %+v", st, g)
		}
		total += st.Population
	}
	if total != len(all) || v.T.PopulationSize != len(all) {
		t.Errorf("population %d (strata %d), want %d", v.T.PopulationSize, total, len(all))
	}
	conflicted := map[string]bool{}
	for _, in := range []int{0, 1} {
		full, _ := s.GetInspector(ctx, pool[in].ID)
		for _, c := range full.Conflicts {
			conflicted[full.Badge+" "+c.Code] = true
		}
	}
	var out drawn
	out.populationHash = v.T.PopulationHash
	for _, g := range v.Targets {
		var badges []string
		for _, in := range g.Inspectors {
			if conflicted[in.Badge+" "+g.Code] {
				t.Errorf("%s drawn for %s despite a conflict of interest", in.Badge, g.Code)
			}
			badges = append(badges, in.Badge)
		}
		if len(badges) != 2 {
			t.Errorf("target %d: %v", g.Seq, badges)
		}
		out.targets = append(out.targets, fmt.Sprintf("%d %s %s %s", g.Seq, g.Code, g.Grade, strings.Join(badges, ",")))
	}
	if len(out.targets) < 20 {
		t.Errorf("only %d targets", len(out.targets))
	}
	// Re-computed from what is published: the snapshot, the seed, the shares.
	listing, err := svc.Population(ctx, task.ID)
	if err != nil || inspection.Hash(listing) != v.T.PopulationHash {
		t.Fatalf("published snapshot: %v", err)
	}
	pop, _ := inspection.ParsePopulation(listing)
	seed, _ := hex.DecodeString(v.T.Seed)
	var grades []string
	shares := map[string]int{}
	for _, st := range v.Strata {
		grades = append(grades, st.Grade)
		shares[st.Grade] = st.PerMille
	}
	again, err := inspection.Run(inspection.Input{Task: v.T.Code, Seed: seed, Population: pop, Grades: grades, PerMille: shares})
	if err != nil || len(again.Targets) != len(v.Targets) {
		t.Fatalf("re-computed %d targets, %v", len(again.Targets), err)
	}
	for i, g := range again.Targets {
		if g.Code != v.Targets[i].Code {
			t.Fatalf("target %d re-computed %s, published %s", i+1, g.Code, v.Targets[i].Code)
		}
	}
	if ver, err := svc.Verify(ctx, task.ID); err != nil || !ver.Same {
		t.Errorf("verify: %+v %v", ver.Problems, err)
	}

	// A result: refused to another inspector and to a wrong date; filed.
	g := v.Targets[0]
	if _, err := svc.EnterResult(ctx, inspector, task.ID, g.Seq, inspection.ResultInput{Result: "合格", InspectedOn: "2026-12-06"}); !errors.Is(err, fault.Refused) {
		t.Errorf("an inspector not drawn enters a result: %v", err)
	}
	if _, err := svc.EnterResult(ctx, sup, task.ID, g.Seq, inspection.ResultInput{Result: "不合格", InspectedOn: "2026-12-06"}); !errors.Is(err, fault.Invalid) {
		t.Errorf("不合格 without findings: %v", err)
	}
	if _, err := svc.EnterResult(ctx, sup, task.ID, g.Seq, inspection.ResultInput{Result: "合格", InspectedOn: "2026-11-01"}); !errors.Is(err, fault.Invalid) {
		t.Errorf("a day before the draw: %v", err)
	}
	res, err := svc.EnterResult(ctx, sup, task.ID, g.Seq, inspection.ResultInput{Result: "责令整改", Findings: "未公示食品经营许可证", InspectedOn: "2026-12-06"})
	if err != nil || res.RecordID == 0 {
		t.Fatalf("result: %+v %v", res, err)
	}
	rec, err := s.GetRecord(ctx, res.RecordID)
	if err != nil || rec.Kind != "sj" || rec.DecisionNo != inspection.ResultNo(task.Code, g.Seq) || rec.SubjectID != g.SubjectID || rec.SourceDept != dept.USCC ||
		store.FieldValue(rec.Fields, "inspection_result") != "责令整改" {
		t.Errorf("the result's record %+v %v", rec, err)
	}
	return out
}
