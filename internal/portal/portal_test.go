package portal

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/publicity"
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
	shop   = storetest.USCC("92", "610104", 2)
	person = storetest.RIC("610102", "19800101", 7)
	rep    = storetest.RIC("610103", "19750505", 8)
)

// penalty is a 行政处罚 row by field key.
func penalty(no, name, uscc string, decided calendar.Date, category, fine string) map[string]string {
	m := map[string]string{
		"subject_name": name, "subject_class": "法人及非法人组织", "subject_uscc": uscc, "legal_rep": "李四",
		"decision_no": no, "violation_type": "虚假宣传", "violation_facts": "对商品作虚假宣传<script>alert(1)</script>",
		"legal_basis": "《反不正当竞争法》第二十条", "penalty_category": category, "fine_amount": fine, "decision_content": "罚款",
		"decision_date": decided.String(), "valid_to": decided.AddMonths(6).String(), "authority": "西安市市场监督管理局", "authority_uscc": dept,
		"source_dept": "西安市市场监督管理局", "source_dept_uscc": dept,
	}
	if fine == "" {
		delete(m, "fine_amount")
	}
	return m
}

// file imports rows received on day recv.
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
	res, err := im.Import(context.Background(), ingest.NewRowsTable(header, table), ingest.Options{Kind: "cf", Channel: "test", ReceivedAt: recv.Time().Add(10 * 3600e9)})
	if err != nil || len(res.Rejected) > 0 {
		t.Fatalf("import: %v %+v", err, res.Rejected)
	}
}

func section(f File, id string) []string {
	var out []string
	for _, s := range f.Sections {
		if s.ID == id {
			for _, r := range s.Records {
				out = append(out, r.DecisionNo)
			}
		}
	}
	return out
}

func TestPortal(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) { testPortal(t, open(t)) })
	}
}

func testPortal(t *testing.T, s store.Store) {
	ctx := context.Background()
	today := calendar.Today()
	p := &Service{Store: s, Catalog: catalog.Default(), Keys: storetest.Keys()}
	old := today.AddMonths(-18) // 一般: its year ended six months ago
	recent := today.AddMonths(-1)
	shopRow := penalty("西市监罚〔2026〕2号", "莲湖区兴旺便利店", shop, recent, "警告", "")
	shopRow["subject_class"], shopRow["legal_rep"] = "个体工商户", "王五"
	shopRow["legal_rep_id_type"], shopRow["legal_rep_id_number"] = "身份证", rep
	personRow := penalty("西市监罚〔2026〕3号", "张伟", "", recent, "罚款", "0.1")
	personRow["subject_class"], personRow["subject_id_type"], personRow["subject_id_number"] = "自然人", "身份证", person
	delete(personRow, "legal_rep")
	file(t, s, old.AddDays(2), penalty("西市监罚〔旧〕1号", "西安华信电子科技有限公司", firm, old, "罚款", "5"))
	file(t, s, recent.AddDays(2), penalty("西市监罚〔2026〕1号", "西安华信电子科技有限公司", firm, recent, "罚款；吊销许可证件", "5"), shopRow, personRow)

	// Today: the expired penalty is gone, the recent one shown as 严重.
	f, err := p.File(ctx, firm, today, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := section(f, "cf"); len(got) != 1 || got[0] != "西市监罚〔2026〕1号" {
		t.Fatalf("today's penalties %q", got)
	}
	// The sections in the order of the national credit report standard.
	// Kinds added later (other information) come after these.
	var ids []string
	for _, sec := range f.Sections {
		ids = append(ids, sec.ID)
	}
	if got := strings.Join(ids, " "); !strings.HasPrefix(got, "xk cf jc sj hm jl sx commitments wn evaluation") {
		t.Errorf("section order: %s", got)
	}
	cur := sectionByID(f, "cf").Records[0]
	if cur.Decision.Severity != "serious" || cur.Decision.Status != publicity.Shown {
		t.Errorf("decision %+v", cur.Decision)
	}
	// As of a day in its window, the old one was shown; as of the day
	// before the platform received it, it was not.
	f, _ = p.File(ctx, firm, old.AddMonths(6), true)
	if got := section(f, "cf"); len(got) != 1 || got[0] != "西市监罚〔旧〕1号" {
		t.Fatalf("penalties as of %s: %q", old.AddMonths(6), got)
	}
	f, _ = p.File(ctx, firm, old.AddDays(1), true)
	if got := section(f, "cf"); len(got) != 0 {
		t.Fatalf("penalties before receipt: %q", got)
	}
	// The record page: not public today (410 with the reason), public then.
	recs, _ := s.SubjectRecords(ctx, f.Subject.ID)
	var oldID int64
	for _, r := range recs {
		if r.DecisionNo == "西市监罚〔旧〕1号" {
			oldID = r.ID
		}
	}
	ref := p.RecordRef(oldID)
	var np ErrNotPublic
	if _, err := p.Record(ctx, ref, today); !errors.As(err, &np) || np.Decision.Status != publicity.Expired || !errors.Is(err, ErrNotFound) {
		t.Errorf("expired record today: %v", err)
	}
	if v, err := p.Record(ctx, ref, old.AddMonths(11)); err != nil || v.Decision.Severity != "general" || v.Field("violation_facts") == "" {
		t.Errorf("record as of its window: %+v %v", v, err)
	}
	// References cannot be guessed.
	for _, bad := range []string{"1", strings.Replace(ref, "-", "-0", 1), "999-" + ref[strings.Index(ref, "-")+1:]} {
		if _, err := p.Record(ctx, bad, today); !errors.Is(err, ErrNotFound) {
			t.Errorf("record %q: %v", bad, err)
		}
	}
	// A sole trader's record shows the operator's ID number masked.
	f, err = p.File(ctx, shop, today, false)
	if err != nil || len(section(f, "cf")) != 1 {
		t.Fatalf("shop file %v %q", err, section(f, "cf"))
	}
	v := sectionByID(f, "cf").Records[0]
	if got := v.Field("legal_rep_id_number"); got != "6101**********"+rep[14:] || v.Decision.Severity != "minor" {
		t.Errorf("masked ID %q severity %s", got, v.Decision.Severity)
	}
	// Persons: not found by name, found by ID number, never listed.
	if res, err := p.Search(ctx, "张伟", 1); err != nil || len(res.Subjects) != 0 {
		t.Errorf("search a person by name: %+v %v", res, err)
	}
	sub, isCode, err := p.FindByCode(ctx, strings.ToLower(person))
	if !isCode || err != nil || sub.MaskedID == "" || !strings.HasPrefix(p.SubjectRef(sub), "s") {
		t.Errorf("find person by ID: %+v %v %v", sub, isCode, err)
	}
	if pf, err := p.File(ctx, p.SubjectRef(sub), today, false); err != nil || len(section(pf, "cf")) != 1 {
		t.Errorf("person file: %v", err)
	}
	if _, err := p.File(ctx, person, today, false); !errors.Is(err, ErrNotFound) {
		t.Errorf("an ID number is not a reference: %v", err)
	}
	col, err := p.Latest(ctx, store.RecordFilter{Kind: "cf"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, r := range col.Records {
		listed = append(listed, r.DecisionNo)
	}
	if strings.Join(listed, ",") != "西市监罚〔2026〕2号,西市监罚〔2026〕1号" {
		t.Errorf("column %q (persons and expired records are not listed)", listed)
	}
	if col, _ := p.Latest(ctx, store.RecordFilter{Kind: "cf", Region: "6101", Offset: 1}, 1); len(col.Records) != 1 || col.Records[0].DecisionNo != "西市监罚〔2026〕1号" {
		t.Errorf("column page 2 %+v", col.Records)
	}
	if col, _ := p.Latest(ctx, store.RecordFilter{Kind: "cf", Region: "6102"}, 10); len(col.Records) != 0 {
		t.Errorf("another region: %+v", col.Records)
	}
	// A full-width, lower-case code finds the firm; a name fragment too.
	if sub, ok, err := p.FindByCode(ctx, toFullWidth(strings.ToLower(firm))); !ok || err != nil || sub.USCC != firm {
		t.Errorf("full-width code: %+v %v %v", sub, ok, err)
	}
	if res, err := p.Search(ctx, "華信", 1); err != nil || len(res.Subjects) != 1 {
		t.Errorf("search 華信: %+v %v", res, err)
	}
	// Revocation removes the record at once.
	if err := s.SetRecordState(ctx, cur.ID, store.StateRevoked, "复议撤销"); err != nil {
		t.Fatal(err)
	}
	f, _ = p.File(ctx, firm, today, false)
	if got := section(f, "cf"); len(got) != 0 {
		t.Errorf("revoked record still shown: %q", got)
	}
	if _, _, err := p.AsOf(today.AddDays(1).String()); !errors.Is(err, ErrInvalid) {
		t.Errorf("as_of tomorrow: %v", err)
	}
}

func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r - 0x21 + 0xFF01)
	}
	return b.String()
}

// sectionByID returns the file's section id.
func sectionByID(f File, id string) Section {
	for _, s := range f.Sections {
		if s.ID == id {
			return s
		}
	}
	return Section{}
}
