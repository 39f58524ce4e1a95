package ledger

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
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

// Departments of the test ledger: A (西安市市场监管局) keeps a register of
// its penalties; B (西安市公安局) declared 4 行政强制 a month; C (宝鸡市税务局)
// passes on a penalty A decided.
var (
	deptA = storetest.USCC("11", "610100", 501)
	deptB = storetest.USCC("11", "610100", 502)
	deptC = storetest.USCC("11", "610300", 503)
)

// Row builds a row of kind k from values by field key, in the standard's
// column order (Chinese names in the header).
func fileRows(k *catalog.Kind, rows ...map[string]string) ([]string, [][]string) {
	var header []string
	for _, f := range k.Fields {
		header = append(header, f.Name)
	}
	var out [][]string
	for _, m := range rows {
		r := make([]string, len(k.Fields))
		for i, f := range k.Fields {
			r[i] = m[f.Key]
		}
		out = append(out, r)
	}
	return header, out
}

func penalty(n int, date, dept, authority string) map[string]string {
	return map[string]string{
		"subject_name": fmt.Sprintf("西安台账测试%02d有限公司", n), "subject_class": "法人及非法人组织",
		"subject_uscc": storetest.USCC("91", "610100", 600+n), "legal_rep": "张三",
		"decision_no": fmt.Sprintf("西市监罚〔2026〕%d号", n), "violation_type": "违反广告管理", "violation_facts": "发布虚假广告",
		"legal_basis": "《中华人民共和国广告法》第五十五条", "penalty_category": "罚款", "decision_content": "罚款1万元", "fine_amount": "1",
		"decision_date": date, "valid_to": date, "authority": "西安市市场监督管理局", "authority_uscc": authority,
		"source_dept": "报送单位", "source_dept_uscc": dept,
	}
}

func enforcement(n int, date string) map[string]string {
	return map[string]string{
		"subject_name": fmt.Sprintf("西安强制测试%02d有限公司", n), "subject_class": "法人及非法人组织",
		"subject_uscc": storetest.USCC("91", "610100", 700+n), "legal_rep": "李四",
		"decision_no": fmt.Sprintf("西公强〔2026〕%d号", n), "enforcement_category": "行政强制措施", "enforcement_kind": "扣押财物",
		"violation_facts": "涉嫌违法", "legal_basis": "《中华人民共和国行政强制法》第九条", "decision_content": "扣押涉案车辆",
		"decision_date": date, "authority": "西安市公安局", "authority_uscc": deptB, "source_dept": "西安市公安局", "source_dept_uscc": deptB,
	}
}

// testLedger files the test ledger's data into s; the report is of
// October 2026, seen on 2026-11-04.
func testLedger(t *testing.T, s store.Store) *Service {
	t.Helper()
	ctx := context.Background()
	cat := catalog.Default()
	im := &ingest.Importer{Store: s, Catalog: cat, Calendar: calendar.Default(), Hash: storetest.Keys().Hash}
	e := auth.AuditEntry{Actor: "system:test", Action: auth.AuditOrgChange}
	root, err := s.RootOrg(ctx, "平台运营")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(parent auth.Org, o auth.Org) auth.Org {
		o.ParentID = parent.ID
		got, err := s.CreateOrg(ctx, o, e)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	prov := mk(root, auth.Org{Kind: auth.Region, Name: "陕西省", Region: "610000"})
	xian := mk(prov, auth.Org{Kind: auth.Region, Name: "西安市", Region: "610100"})
	baoji := mk(prov, auth.Org{Kind: auth.Region, Name: "宝鸡市", Region: "610300"})
	mk(xian, auth.Org{Kind: auth.Dept, Name: "西安市市场监督管理局", USCC: deptA})
	mk(xian, auth.Org{Kind: auth.Dept, Name: "西安市公安局", USCC: deptB})
	mk(baoji, auth.Org{Kind: auth.Dept, Name: "宝鸡市税务局", USCC: deptC})

	audit := auth.AuditEntry{Actor: "system:test", Action: auth.AuditLedger}
	for _, p := range []store.LedgerPlan{
		{Dept: deptA, Kind: "cf", Mode: store.PlanRegister, FromMonth: "2026-01", UpdatedBy: "test"},
		{Dept: deptB, Kind: "qz", Mode: store.PlanVolume, Volume: 4, FromMonth: "2026-10", UpdatedBy: "test"},
	} {
		if err := s.PutLedgerPlan(ctx, p, audit); err != nil {
			t.Fatal(err)
		}
	}
	var register []store.RegisterEntry
	for n, date := range map[int]string{1: "2026-10-08", 2: "2026-10-09", 3: "2026-10-09", 4: "2026-10-10", 5: "2026-10-30"} {
		register = append(register, store.RegisterEntry{DecisionNo: fmt.Sprintf("西市监罚〔2026〕%d号", n), DecisionDate: date})
	}
	if _, err := s.PutRegister(ctx, deptA, "cf", register, audit); err != nil {
		t.Fatal(err)
	}
	file := func(kind string, at string, rows ...map[string]string) ingest.Result {
		t.Helper()
		k, _ := cat.Kind(kind)
		header, data := fileRows(k, rows...)
		received, _ := time.ParseInLocation("2006-01-02 15:04", at, calendar.Location())
		res, err := im.Import(ctx, ingest.NewRowsTable(header, data), ingest.Options{Kind: kind, Channel: "test", ReceivedAt: received})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// A reports decisions 1 and 2 on time and 3 late (decided 10-09,
	// received 10-26: 10 working days); 4 and 5 never. One bad row of A
	// is returned. C passes on decision 9 of A, which A never reports.
	bad := penalty(8, "2026-10-12", deptA, deptA)
	bad["decision_content"] = ""
	if res := file("cf", "2026-10-13 10:00", penalty(1, "2026-10-08", deptA, deptA), penalty(2, "2026-10-09", deptA, deptA), bad); len(res.Rejected) != 1 {
		t.Fatalf("first file %+v", res)
	}
	file("cf", "2026-10-26 10:00", penalty(3, "2026-10-09", deptA, deptA))
	file("cf", "2026-10-15 10:00", penalty(9, "2026-10-14", deptC, deptA))
	// B reports 2 of its declared 4 行政强制 in October, none since.
	file("qz", "2026-10-31 09:00", enforcement(1, "2026-10-02"), enforcement(2, "2026-10-20"))
	now, _ := time.ParseInLocation("2006-01-02 15:04", "2026-11-04 12:00", calendar.Location())
	return &Service{Store: s, Catalog: cat, Calendar: calendar.Default(), Now: func() time.Time { return now }}
}

// TestReportExact: each rate of the test ledger is exact, the 漏报 is
// found, and the monthly table reads back from its XLSX as shown.
func TestReportExact(t *testing.T) {
	t.Parallel()
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := open(t)
			svc := testLedger(t, s)
			root, _ := s.RootOrg(ctx, "平台运营")
			rep, err := svc.Month(ctx, root, "2026-10")
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Row{}
			for _, r := range rep.Rows {
				got[r.Dept+"/"+r.Kind] = r
			}
			a := got[deptA+"/cf"]
			if a.Expected != 5 || a.Reported != 3 || a.OnTime != 2 || a.Late != 1 || a.Missing != 1 || a.Pending != 1 || a.Concealed != 1 ||
				a.Received != 3 || a.Rejected != 1 || a.Returned != 1 || a.Open != 1 || a.Region != "西安市" || a.DeptName != "西安市市场监督管理局" {
				t.Errorf("A %+v", a)
			}
			if a.ReportRate() != (Rate{3, 5}) || a.TimelyRate() != (Rate{2, 3}) || a.PassRate() != (Rate{3, 4}) {
				t.Errorf("A rates %v %v %v", a.ReportRate(), a.TimelyRate(), a.PassRate())
			}
			if a.ReportRate().String() != "60.0%" || a.TimelyRate().String() != "66.7%" || a.PassRate().String() != "75.0%" {
				t.Errorf("A rates shown %s %s %s", a.ReportRate(), a.TimelyRate(), a.PassRate())
			}
			b := got[deptB+"/qz"]
			if b.Mode != store.PlanVolume || b.Expected != 4 || b.Reported != 2 || b.ReportRate() != (Rate{2, 4}) || b.NoUpdate || !b.Monthly {
				t.Errorf("B %+v", b)
			}
			c := got[deptC+"/cf"]
			if c.Mode != "" || c.ReportRate().Defined() || c.OnTime != 1 || c.Concealed != 0 || c.Region != "宝鸡市" {
				t.Errorf("C %+v", c)
			}
			if len(rep.Rows) != 3 {
				t.Errorf("rows %+v", rep.Rows)
			}
			if tot := rep.Total; tot.ReportRate() != (Rate{5, 9}) || tot.TimelyRate() != (Rate{5, 6}) || tot.Missing != 1 || tot.Concealed != 1 {
				t.Errorf("total %+v %v %v", tot, tot.ReportRate(), tot.TimelyRate())
			}
			if len(rep.Regions) != 2 || rep.Regions[0].Name != "宝鸡市" || rep.Regions[1].ReportRate() != (Rate{5, 9}) {
				t.Errorf("regions %+v", rep.Regions)
			}
			// November: B sent nothing: no update this month.
			nov, err := svc.Month(ctx, root, "2026-11")
			if err != nil {
				t.Fatal(err)
			}
			var noUpdate []string
			for _, r := range nov.Rows {
				if r.NoUpdate {
					noUpdate = append(noUpdate, r.Dept+"/"+r.Kind)
				}
			}
			if !slices.Equal(noUpdate, []string{deptB + "/qz"}) {
				t.Errorf("no update in November: %v", noUpdate)
			}
			// A city's credit office sees its departments only.
			xian, _ := s.ListOrgs(ctx, "")
			for _, o := range xian {
				if o.Name == "宝鸡市" {
					bj, err := svc.Month(ctx, o, "2026-10")
					if err != nil || len(bj.Rows) != 1 || bj.Rows[0].Dept != deptC {
						t.Errorf("宝鸡市 %+v %v", bj.Rows, err)
					}
				}
			}

			// The table as XLSX reads back with the cells of the page.
			var buf bytes.Buffer
			if err := rep.WriteXLSX(&buf); err != nil {
				t.Fatal(err)
			}
			f, err := excelize.OpenReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			sheet, err := f.GetRows(SheetName)
			if err != nil {
				t.Fatal(err)
			}
			table := rep.Table()
			if len(sheet) != 3+len(table) || sheet[0][0] != TableTitle || !slices.Equal(sheet[2], TableHeader) {
				t.Fatalf("sheet %q", sheet)
			}
			for i, want := range table {
				if got := sheet[3+i]; !slices.Equal(got, trimTrailing(want)) {
					t.Errorf("row %d: %q, want %q", i+1, got, want)
				}
			}
			if last := table[len(table)-1]; last[2] != "合计" || last[7] != "55.6%" || last[11] != "1" {
				t.Errorf("total row %q", last)
			}
			var csvBuf bytes.Buffer
			if err := rep.WriteCSV(&csvBuf); err != nil || !bytes.HasPrefix(csvBuf.Bytes(), []byte("\ufeff"+TableTitle)) {
				t.Errorf("csv %v %q", err, csvBuf.String())
			}
		})
	}
}

// trimTrailing drops trailing empty cells, which excelize does not return.
func trimTrailing(row []string) []string {
	for len(row) > 0 && row[len(row)-1] == "" {
		row = row[:len(row)-1]
	}
	return row
}

func TestRate(t *testing.T) {
	for r, want := range map[Rate]string{{0, 0}: "—", {1, 3}: "33.3%", {2, 3}: "66.7%", {5, 5}: "100.0%", {0, 7}: "0.0%"} {
		if got := r.String(); got != want {
			t.Errorf("%v: %q, want %q", r, got, want)
		}
	}
	if m, err := Months("2026-02", 3); err != nil || !slices.Equal(m, []string{"2025-12", "2026-01", "2026-02"}) {
		t.Errorf("Months %v %v", m, err)
	}
	if _, err := ParseMonth("2026-13"); err == nil {
		t.Error("month 13 accepted")
	}
}
