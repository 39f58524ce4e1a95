package ingest

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/pgtest"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/postgres/postgrestest"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// backends opens a fresh migrated store of each kind.
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

func importer(s store.Store) *Importer {
	return &Importer{Store: s, Catalog: catalog.Default(), Calendar: calendar.Default(), Hash: storetest.Keys().Hash}
}

func kind(t *testing.T, code string) *catalog.Kind {
	k, ok := catalog.Default().Kind(code)
	if !ok {
		t.Fatalf("no kind %s", code)
	}
	return k
}

// sampleRows returns a header of Chinese names and n valid rows.
func sampleRows(t *testing.T, k *catalog.Kind, n int, seed int64) (header []string, rows [][]string) {
	for _, f := range k.Fields {
		header = append(header, f.Name)
	}
	err := demo.Records(k, demo.RecordOptions{Seed: seed, Rows: n}, func(r []string) error {
		rows = append(rows, slices.Clone(r))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return header, rows
}

func csvBytes(header []string, rows [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(header)
	w.WriteAll(rows)
	return b.Bytes()
}

func gbk(t *testing.T, b []byte) []byte {
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runImport(t *testing.T, s store.Store, data []byte, opt Options) Result {
	t.Helper()
	tbl, err := NewTable(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Close()
	res, err := importer(s).Import(context.Background(), tbl, opt)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

func set(k *catalog.Kind, row []string, key, v string) {
	row[k.FieldIndex(key)] = v
}

// TestImportGBKWithBadRows is the clerk's case: a GBK CSV exported by a
// department system, a few bad rows among good ones, imported twice.
func TestImportGBKWithBadRows(t *testing.T) {
	t.Parallel()
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			k := kind(t, "cf")
			header, rows := sampleRows(t, k, 120, 3)
			bad := map[int]string{ // 1-based row -> the field name the reason must name
				5:  "行政相对人代码_1(统一社会信用代码)",
				17: "处罚决定日期",
				30: "行政处罚决定书文号",
				44: "罚款金额（万元）",
				80: "行政相对人类别",
			}
			set(k, rows[4], "subject_uscc", "91350100M000100Y4Z")
			set(k, rows[16], "decision_date", "2026-02-30")
			set(k, rows[29], "decision_no", "")
			set(k, rows[43], "fine_amount", "2000元")
			set(k, rows[79], "subject_class", "外星人")
			data := gbk(t, csvBytes(header, rows))
			res := runImport(t, s, data, Options{Kind: "cf", Channel: "file", FileHash: "f1"})
			// Repeated rows of one subject and decision are possible in
			// generated data only by accident; count distinct identities.
			if res.Rows != 120 || res.Accepted+res.Unchanged != 115 || res.Updated != 0 {
				t.Fatalf("result %+v", res)
			}
			got := map[int]string{}
			for _, r := range res.Rejected {
				got[r.Row] = r.Field
				if r.Reason == "" {
					t.Errorf("row %d: no reason", r.Row)
				}
			}
			if len(got) != len(bad) {
				t.Fatalf("rejected rows %v, want %v", got, bad)
			}
			for row, field := range bad {
				if got[row] != field {
					t.Errorf("row %d rejected on %q, want %q (%+v)", row, got[row], field, res.Rejected)
				}
			}
			// The same file again adds nothing.
			res2 := runImport(t, s, data, Options{Kind: "cf", Channel: "file", FileHash: "f1"})
			if res2.Accepted != 0 || res2.Updated != 0 || res2.Unchanged != 115 || len(res2.Rejected) != len(res.Rejected) {
				t.Fatalf("second import %+v", res2)
			}
			// One corrected row is a new version.
			set(k, rows[0], "decision_content", "罚款（更正）")
			res3 := runImport(t, s, gbk(t, csvBytes(header, rows[:1])), Options{Kind: "cf", Channel: "file", Outcomes: true})
			if res3.Updated != 1 {
				t.Fatalf("corrected row: %+v", res3)
			}
			vs, err := s.RecordVersions(context.Background(), res3.Outcomes[0].ID)
			if err != nil || len(vs) != 2 {
				t.Fatalf("versions %d %v", len(vs), err)
			}
			stats, err := s.IntakeStats(context.Background(), store.IntakeFilter{Kind: "cf"})
			if err != nil {
				t.Fatal(err)
			}
			var received, rejected int
			for _, r := range stats {
				received += r.Received
				rejected += r.Rejected
			}
			if received != res.Accepted || rejected != 10 {
				t.Fatalf("stats %+v", stats)
			}
		})
	}
}

// TestImportHeadersAndFormats: exchange-code headers in another order, a
// UTF-8 BOM, XLSX, and a header that lacks a required column.
func TestImportHeadersAndFormats(t *testing.T) {
	s := backends["sqlite"](t)
	k := kind(t, "xk")
	_, rows := sampleRows(t, k, 30, 5)
	var header []string
	for _, f := range k.Fields {
		header = append(header, strings.ToLower(f.Code))
	}
	// Reverse the columns.
	slices.Reverse(header)
	for _, r := range rows {
		slices.Reverse(r)
	}
	data := append([]byte("\ufeff"), csvBytes(header, rows)...)
	res := runImport(t, s, data, Options{Kind: "xk", Channel: "file"})
	if res.Rows != 30 || len(res.Rejected) != 0 {
		t.Fatalf("exchange codes: %+v", res)
	}

	// XLSX with the same rows in standard order: all unchanged.
	for _, r := range rows {
		slices.Reverse(r)
	}
	f := excelize.NewFile()
	sw, _ := f.NewStreamWriter("Sheet1")
	var hdr []any
	for _, fl := range k.Fields {
		hdr = append(hdr, fl.Name)
	}
	sw.SetRow("A1", hdr)
	for i, r := range rows {
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		sw.SetRow(cell, vals)
	}
	sw.Flush()
	var xb bytes.Buffer
	f.WriteTo(&xb)
	res = runImport(t, s, xb.Bytes(), Options{Kind: "xk", Channel: "file"})
	if res.Rows != 30 || res.Unchanged != 30 {
		t.Fatalf("xlsx: %+v", res)
	}

	// A missing required column rejects the file and files nothing.
	tbl, _ := NewTable(bytes.NewReader([]byte("行政相对人名称,许可类别\n某公司,普通\n")))
	_, err := importer(s).Import(context.Background(), tbl, Options{Kind: "xk", Channel: "file"})
	var he *HeaderError
	if err == nil || !strings.Contains(err.Error(), "缺少必填列") || !errorsAs(err, &he) {
		t.Fatalf("missing columns: %v", err)
	}
}

// TestImportInterruptedAndResumed cancels an import after some batches
// (as a crash would) and runs it again: the end state equals a clean run.
func TestImportInterruptedAndResumed(t *testing.T) {
	t.Parallel()
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			k := kind(t, "cf")
			header, rows := sampleRows(t, k, BatchSize+2345, 9)
			data := csvBytes(header, rows)

			clean := open(t)
			runImport(t, clean, data, Options{Kind: "cf", Channel: "file", FileHash: "h"})

			s := open(t)
			ctx, cancel := context.WithCancel(context.Background())
			tbl, _ := NewTable(bytes.NewReader(data))
			// The import dies right after its first batch is committed.
			crashing := &crashAfter{Store: s, cancel: cancel}
			im := importer(s)
			im.Store = crashing
			_, err := im.Import(ctx, tbl, Options{Kind: "cf", Channel: "file", FileHash: "h"})
			if err == nil || crashing.puts != 1 {
				t.Fatalf("cancelled import: err %v after %d puts", err, crashing.puts)
			}
			res := runImport(t, s, data, Options{Kind: "cf", Channel: "file", FileHash: "h"})
			if !res.Resumed || res.Unchanged == 0 {
				t.Fatalf("re-run did not resume: %+v", res)
			}
			if a, b := dump(t, clean), dump(t, s); a != b {
				t.Fatalf("state after resume differs from a clean run:\n%s\nvs\n%s", a[:min(len(a), 500)], b[:min(len(b), 500)])
			}
		})
	}
}

// dump lists the records of a store by id with what defines them.
func dump(t *testing.T, s store.Store) string {
	var b strings.Builder
	for id := int64(1); ; id++ {
		r, err := s.GetRecord(context.Background(), id)
		if err != nil {
			break
		}
		fmt.Fprintf(&b, "%d %s %s %s v%d %s wd=%d late=%v %s\n", r.ID, r.Kind, r.DecisionNo, r.DecisionDate, r.Version, r.State, r.WorkingDays, r.Late, r.Fields)
	}
	if b.Len() == 0 {
		t.Fatal("no records")
	}
	return b.String()
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// crashAfter cancels the import's context once its first batch is stored,
// and refuses later batches, as a process killed at that moment would.
type crashAfter struct {
	store.Store
	cancel context.CancelFunc
	puts   int
}

func (c *crashAfter) PutPreparedRecords(ctx context.Context, batch int64, p store.PreparedRecords) ([]store.RecordOutcome, error) {
	if c.puts > 0 {
		return nil, context.Canceled
	}
	out, err := c.Store.PutPreparedRecords(ctx, batch, p)
	c.puts++
	c.cancel()
	return out, err
}

// TestImportTitleRows: exported templates often carry a title and a blank
// row above the header; rows are still numbered from the header.
func TestImportTitleRows(t *testing.T) {
	s := backends["sqlite"](t)
	k := kind(t, "cf")
	header, rows := sampleRows(t, k, 6, 4)
	set(k, rows[2], "decision_no", "")
	body := csvBytes(header, rows)
	data := append([]byte("陕西省行政处罚信息表（2026年11月）,,,\n,,,\n"), body...)
	var gotHeader []string
	res := runImport(t, s, gbk(t, data), Options{Kind: "cf", Channel: "file", Rejected: func(h []string, n int, _ []string, _ []RowError) error {
		gotHeader = h
		return nil
	}})
	if res.Rows != 6 || res.Accepted != 5 || len(res.Rejected) != 1 || res.Rejected[0].Row != 3 {
		t.Fatalf("%+v", res)
	}
	if !slices.Equal(gotHeader, header) {
		t.Fatalf("errors file header %q", gotHeader)
	}
	// Without any matching header within the first rows, the file is refused.
	tbl, _ := NewTable(bytes.NewReader([]byte("标题\n" + strings.Repeat(",,,\n", 5) + string(body))))
	if _, err := importer(s).Import(context.Background(), tbl, Options{Kind: "cf", Channel: "file"}); err == nil {
		t.Fatal("a header below the title limit was accepted")
	}
}

// TestImportDept: a department may only send its own records.
func TestImportDept(t *testing.T) {
	s := backends["sqlite"](t)
	k := kind(t, "cf")
	header, rows := sampleRows(t, k, 300, 8)
	own := rows[0][k.FieldIndex("source_dept_uscc")]
	mine := 0
	for _, r := range rows {
		if r[k.FieldIndex("source_dept_uscc")] == own {
			mine++
		}
	}
	if mine == len(rows) {
		t.Fatal("all rows from one department: the test proves nothing")
	}
	res := runImport(t, s, csvBytes(header, rows), Options{Kind: "cf", Channel: "file", Dept: own})
	if res.Accepted != mine || len(res.Rejected) != len(rows)-mine {
		t.Fatalf("%+v (own rows %d)", res, mine)
	}
	for _, r := range res.Rejected {
		if r.Field != "数据来源单位统一社会信用代码" || !strings.Contains(r.Reason, "本单位") {
			t.Fatalf("%+v", r)
		}
	}
}

// TestImportReturns: every rejected row becomes a return to its
// department, with the row masked for display and kept whole, encrypted,
// for the errors file; sending the corrected rows closes them, and a row
// whose identity fields were wrong stays open.
func TestImportReturns(t *testing.T) {
	t.Parallel()
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := open(t)
			k := kind(t, "cf")
			header, rows := sampleRows(t, k, 20, 11)
			ric := storetest.RIC("610102", "19800101", 7)
			date := rows[2][k.FieldIndex("decision_date")]
			// Row 3: a person's penalty with a bad date; row 8: content
			// missing; row 12: a wrong subject code (identity invalid).
			for key, v := range map[string]string{"subject_class": "自然人", "subject_uscc": "", "subject_id_type": "身份证",
				"subject_id_number": ric, "subject_name": "王某", "legal_rep": "", "decision_date": "2026-02-30"} {
				set(k, rows[2], key, v)
			}
			set(k, rows[7], "decision_content", "")
			set(k, rows[11], "subject_uscc", "91350100M000100Y4Z")
			res := runImport(t, s, gbk(t, csvBytes(header, rows)), Options{Kind: "cf", Channel: "file", FileHash: "r1"})
			if len(res.Rejected) != 3 {
				t.Fatalf("rejected %+v", res.Rejected)
			}
			list, err := s.ListReturns(ctx, store.ReturnFilter{Batch: res.Batch})
			if err != nil || len(list) != 3 {
				t.Fatalf("returns %+v %v", list, err)
			}
			dept := rows[2][k.FieldIndex("source_dept_uscc")]
			idCol := k.FieldIndex("subject_id_number")
			for i, want := range []int{3, 8, 12} {
				r := list[i]
				if r.Row != want || r.State != store.ReturnOpen || r.Dept != rows[want-1][k.FieldIndex("source_dept_uscc")] ||
					r.DecisionNo != rows[want-1][k.FieldIndex("decision_no")] || len(r.Reasons) == 0 || !slices.Equal(r.Header, header) {
					t.Errorf("return %d: %+v", want, r)
				}
				if r.Matched != (want != 12) {
					t.Errorf("return of row %d matched by identity: %v", want, r.Matched)
				}
			}
			if m := list[0].Masked[idCol]; strings.Contains(m, ric) || m != "6101**********"+ric[14:] || list[0].Dept != dept {
				t.Errorf("masked ID number %q", m)
			}
			full, err := s.GetReturn(ctx, list[0].ID)
			if err != nil || full.Original[idCol] != ric {
				t.Errorf("original row %v %v", full.Original, err)
			}
			// The clerk corrects the rows and sends them again; row 12,
			// whose identity was unknown, closes by its decision number.
			set(k, rows[2], "decision_date", date)
			set(k, rows[7], "decision_content", "罚款1000元")
			set(k, rows[11], "subject_uscc", "91350100M000100Y43")
			res2 := runImport(t, s, gbk(t, csvBytes(header, [][]string{rows[2], rows[7], rows[11]})), Options{Kind: "cf", Channel: "file", FileHash: "r2"})
			if len(res2.Rejected) != 0 || res2.Accepted != 3 {
				t.Fatalf("second file %+v", res2)
			}
			list, _ = s.ListReturns(ctx, store.ReturnFilter{Batch: res.Batch})
			for i, want := range []store.ReturnState{store.ReturnFixed, store.ReturnFixed, store.ReturnFixed} {
				if list[i].State != want || (want == store.ReturnFixed && list[i].FixedBatch != res2.Batch) {
					t.Errorf("row %d: %s (batch %d)", list[i].Row, list[i].State, list[i].FixedBatch)
				}
			}
			// An API batch of the department returns its rows to it.
			bad := slices.Clone(rows[0])
			set(k, bad, "decision_no", "")
			res3 := runImport(t, s, csvBytes(header, [][]string{bad}), Options{Kind: "cf", Channel: "api", Dept: "11610000MB0000000X"})
			if got, _ := s.ListReturns(ctx, store.ReturnFilter{Batch: res3.Batch}); len(got) != 1 || got[0].Dept != "11610000MB0000000X" {
				t.Errorf("API batch returns %+v", got)
			}
		})
	}
}

// TestCheck: the dry run of a form finds what Import would reject and
// files nothing.
func TestCheck(t *testing.T) {
	t.Parallel()
	s := backends["sqlite"](t)
	k := kind(t, "cf")
	header, rows := sampleRows(t, k, 2, 4)
	set(k, rows[1], "fine_amount", "两千元")
	tbl, _ := NewTable(bytes.NewReader(csvBytes(header, rows)))
	res, err := importer(s).Check(tbl, Options{Kind: "cf"})
	if err != nil || res.Rows != 2 || res.Accepted != 1 || len(res.Rejected) != 1 || res.Rejected[0].Row != 2 || res.Rejected[0].Field != "罚款金额（万元）" {
		t.Fatalf("check %+v %v", res, err)
	}
	if st, _ := s.IntakeStats(context.Background(), store.IntakeFilter{}); len(st) != 0 {
		t.Fatalf("a check filed something: %+v", st)
	}
	if bs, _ := s.IntakeBatches(context.Background(), "", 5); len(bs) != 0 {
		t.Fatalf("a check opened a batch: %+v", bs)
	}
}
