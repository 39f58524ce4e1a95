// Package storetest is the conformance suite every storage driver must
// pass. A driver's test calls Run with a function that opens a fresh store
// (empty, or at the newest schema; see Open); the sub-tests run in
// parallel.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store"
)

// Harness is one fresh database opened by a driver.
type Harness struct {
	Store store.Store
	// Exec runs a statement directly on the database (to simulate what
	// the port cannot do, such as a schema from a newer binary).
	Exec func(ctx context.Context, sql string) error
	// Texts returns every value of the text columns of a table, so that a
	// test can prove no clear personal identifier is stored.
	Texts func(ctx context.Context, table string) ([]string, error)
	// Reopen closes the store and opens the same database again.
	Reopen func() store.Store
	// ReopenWith is Reopen with another keyring than Keys().
	ReopenWith func(keys *pii.Keyring) store.Store
}

// Keys is the keyring every harness must open its store with.
func Keys() *pii.Keyring {
	k, err := pii.New(bytes.Repeat([]byte{42}, pii.KeySize))
	if err != nil {
		panic(err)
	}
	return k
}

type namedTest struct {
	name string
	fn   func(*testing.T, Harness)
}

// Open opens a fresh store; it is called once per sub-test, and sub-tests
// run in parallel. With empty the database must have no schema yet (the
// tests of migrating); without, it may already be at the newest schema
// (PostgreSQL's harness copies a migrated template database).
type Open func(t *testing.T, empty bool) Harness

// needEmpty names the tests that open an empty database: migrating one
// from nothing is what they prove.
var needEmpty = map[string]bool{"Migrate": true, "SchemaTooNew": true}

// migrated opens the harness of test name for t and migrates it.
func (open Open) migrated(t *testing.T, name string) Harness {
	t.Helper()
	empty := needEmpty[name]
	h := open(t, empty)
	from, _, err := h.Store.Migrate(context.Background())
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if empty && from != 0 {
		t.Fatalf("asked for an empty database, got one at schema version %d", from)
	}
	return h
}

// Run runs the whole suite.
func Run(t *testing.T, open Open) {
	tests := append([]namedTest{
		{"Migrate", testMigrate},
		{"SchemaTooNew", testSchemaTooNew},
		{"PutAndGetEveryClass", testPutAndGet},
		{"PutIsIdempotent", testIdempotent},
		{"Rename", testRename},
		{"FormerNamesOnWrite", testFormerNames},
		{"SameKeyTwiceInBatch", testSameKeyTwice},
		{"BatchIsAtomic", testAtomic},
		{"PersonalDataNotInClear", testPersonalData},
		{"SoleTraderWithoutCode", testSoleWithoutCode},
		{"FindByCode", testFindByCode},
		{"Search", testSearch},
		{"NameChangeLog", testNameChangeLog},
		{"NotFound", testNotFound},
		{"ConcurrentPuts", testConcurrent},
		{"LargeBatch", testLargeBatch},
		{"Reopen", testReopen},
		{"InitSetting", testInitSetting},
	}, append(append(append(append(append(recordTests(), accessTests()...), keyTests()...), checkTests()...), changeTests()...), append(append(append(append(matchTests(), objectionTests()...), repairTests()...), append(commitmentTests(), reportTests()...)...), returnTests()...)...)...)
	tests = append(tests, integrityTests()...)
	tests = append(tests, registryTests()...)
	tests = append(tests, windowTests()...)
	tests = append(tests, append(evaluationTests(), inspectionTests()...)...)
	tests = append(tests, marketTests()...)
	tests = append(tests, exchangeTests()...)
	tests = append(tests, hiringTests()...)
	tests = append(tests, lendingTests()...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open.migrated(t, tc.name))
		})
	}
}

// USCC returns a valid USCC with the given 2-character category and region,
// its org-code body derived from n.
func USCC(category, region string, n int) string {
	body := fmt.Sprintf("%08d", n)
	oc, err := code.OrgCheckChar(body)
	if err != nil {
		panic(err)
	}
	s := category + region + body + string(oc)
	c, err := code.USCCCheckChar(s)
	if err != nil {
		panic(err)
	}
	return s + string(c)
}

// RIC returns a valid ID number for region, birth date YYYYMMDD and a
// sequence number.
func RIC(region, birth string, seq int) string {
	s := fmt.Sprintf("%s%s%03d", region, birth, seq%1000)
	c, err := code.RICCheckChar(s)
	if err != nil {
		panic(err)
	}
	return s + string(c)
}

// GS15 returns a valid 工商注册号 for region and sequence number.
func GS15(region string, seq int) string {
	s := fmt.Sprintf("%s%08d", region, seq)
	c, err := code.GS15CheckDigit(s)
	if err != nil {
		panic(err)
	}
	return s + string(c)
}

func sampleSubjects() []credit.Subject {
	return []credit.Subject{
		{Class: credit.ClassOrg, USCC: USCC("91", "610100", 1), Name: "西安华信电子科技有限公司", Region: "610113"},
		{Class: credit.ClassOrg, USCC: USCC("52", "610300", 2), Name: "宝鸡市秦川职业培训学校", Region: "610302"},
		{Class: credit.ClassSole, USCC: USCC("92", "610103", 3), Name: "碑林区老王面馆", Region: "610103"},
		{Class: credit.ClassSole, RegNo: GS15("610104", 4), Name: "莲湖区鑫源五金店", Region: "610104"},
		{Class: credit.ClassGov, USCC: USCC("11", "610000", 5), Name: "陕西省市场监督管理局", Region: "610000"},
		{Class: credit.ClassPerson, IDNumber: RIC("610102", "19800101", 123), Name: "张伟", Region: "610102"},
	}
}

func mustPut(t *testing.T, s store.Store, subjects []credit.Subject) store.PutStats {
	t.Helper()
	st, err := s.PutSubjects(context.Background(), subjects)
	if err != nil {
		t.Fatalf("PutSubjects: %v", err)
	}
	return st
}

func mustFind(t *testing.T, s store.Store, c string) credit.Subject {
	t.Helper()
	sub, err := s.FindSubjectByCode(context.Background(), c)
	if err != nil {
		t.Fatalf("FindSubjectByCode(%s): %v", credit.MaskID(c), err)
	}
	return sub
}

func testMigrate(t *testing.T, h Harness) {
	ctx := context.Background()
	db, bin, err := h.Store.SchemaVersion(ctx)
	if err != nil || db != bin || bin < 1 {
		t.Fatalf("after migrate: db=%d binary=%d err=%v", db, bin, err)
	}
	from, to, err := h.Store.Migrate(ctx)
	if err != nil || from != bin || to != bin {
		t.Fatalf("second migrate: %d→%d, %v; want a no-op at %d", from, to, err, bin)
	}
}

func testSchemaTooNew(t *testing.T, h Harness) {
	ctx := context.Background()
	_, bin, _ := h.Store.SchemaVersion(ctx)
	if err := h.Exec(ctx, fmt.Sprintf(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (%d, true)`, bin+1)); err != nil {
		t.Fatal(err)
	}
	_, _, err := h.Store.Migrate(ctx)
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("migrate on a newer schema: %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(bin+1)) {
		t.Errorf("message %q does not name the database's version", err)
	}
}

func testPutAndGet(t *testing.T, h Harness) {
	ctx := context.Background()
	in := sampleSubjects()
	st := mustPut(t, h.Store, in)
	if st != (store.PutStats{Created: len(in)}) {
		t.Fatalf("stats %+v", st)
	}
	counts, err := h.Store.CountSubjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[credit.Class]int64{credit.ClassOrg: 2, credit.ClassSole: 2, credit.ClassGov: 1, credit.ClassPerson: 1}
	for _, c := range credit.Classes {
		if counts[c] != want[c] {
			t.Errorf("count %s = %d, want %d", c, counts[c], want[c])
		}
	}
	for _, s := range in {
		key := s.USCC
		if key == "" {
			key = s.RegNo
		}
		if key == "" {
			key = s.IDNumber
		}
		got := mustFind(t, h.Store, key)
		if got.Name != s.Name || got.Class != s.Class || got.Region != s.Region || got.USCC != s.USCC || got.RegNo != s.RegNo {
			t.Errorf("got %+v, want %+v", got, s)
		}
		if got.IDNumber != "" {
			t.Errorf("%s: read back a clear ID number", got.Name)
		}
		if got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() {
			t.Errorf("%s: no timestamps", got.Name)
		}
		byID, err := h.Store.GetSubject(ctx, got.ID)
		if err != nil || byID.Name != s.Name || byID.ID != got.ID {
			t.Errorf("GetSubject(%d) = %+v, %v", got.ID, byID, err)
		}
	}
}

func testIdempotent(t *testing.T, h Harness) {
	in := sampleSubjects()
	mustPut(t, h.Store, in)
	st := mustPut(t, h.Store, in)
	if st != (store.PutStats{Unchanged: len(in)}) {
		t.Fatalf("second put: %+v, want all unchanged", st)
	}
	counts, _ := h.Store.CountSubjects(context.Background())
	var n int64
	for _, c := range counts {
		n += c
	}
	if n != int64(len(in)) {
		t.Fatalf("%d subjects after a repeated put, want %d", n, len(in))
	}
	// A changed region is an update, not a new subject.
	in[0].Region = "610116"
	if st := mustPut(t, h.Store, in[:1]); st != (store.PutStats{Updated: 1}) {
		t.Fatalf("region change: %+v", st)
	}
	if got := mustFind(t, h.Store, in[0].USCC); got.Region != "610116" {
		t.Fatalf("region %s after update", got.Region)
	}
}

func testRename(t *testing.T, h Harness) {
	ctx := context.Background()
	s := sampleSubjects()[0]
	mustPut(t, h.Store, []credit.Subject{s})
	old := s.Name
	s.Name = "陕西华信数字科技股份有限公司"
	if st := mustPut(t, h.Store, []credit.Subject{s}); st != (store.PutStats{Renamed: 1}) {
		t.Fatalf("rename stats %+v", st)
	}
	s.Name = "陕西华信数字科技集团有限公司"
	mustPut(t, h.Store, []credit.Subject{s})
	got := mustFind(t, h.Store, s.USCC)
	if got.Name != s.Name {
		t.Fatalf("name %q", got.Name)
	}
	var former []string
	for _, f := range got.FormerNames {
		former = append(former, f.Name)
		if f.To.IsZero() {
			t.Errorf("former name %s has no end", f.Name)
		}
	}
	if !slices.Equal(former, []string{old, "陕西华信数字科技股份有限公司"}) {
		t.Fatalf("former names %q", former)
	}
	for _, q := range []string{"华信电子", "数字科技股份", "集团"} {
		res, err := h.Store.SearchSubjects(ctx, q, 0, 10)
		if err != nil || len(res) != 1 || res[0].ID != got.ID {
			t.Errorf("search %q = %v, %v; want the renamed subject once", q, res, err)
		}
	}
}

func testFormerNames(t *testing.T, h Harness) {
	s := sampleSubjects()[1]
	s.FormerNames = []credit.NameSpan{{Name: "宝鸡市秦川技工学校"}}
	mustPut(t, h.Store, []credit.Subject{s})
	mustPut(t, h.Store, []credit.Subject{s}) // the same former name again is not added twice
	got := mustFind(t, h.Store, s.USCC)
	if len(got.FormerNames) != 1 || got.FormerNames[0].Name != "宝鸡市秦川技工学校" {
		t.Fatalf("former names %+v", got.FormerNames)
	}
}

func testSameKeyTwice(t *testing.T, h Harness) {
	a := sampleSubjects()[0]
	b := a
	b.Name = "西安华信新名称有限公司"
	st := mustPut(t, h.Store, []credit.Subject{a, b})
	if st.Created != 1 {
		t.Fatalf("stats %+v, want one subject created", st)
	}
	got := mustFind(t, h.Store, a.USCC)
	if got.Name != b.Name || len(got.FormerNames) != 1 || got.FormerNames[0].Name != a.Name {
		t.Fatalf("got %q with former %+v", got.Name, got.FormerNames)
	}
}

func testAtomic(t *testing.T, h Harness) {
	ctx := context.Background()
	in := sampleSubjects()
	bad := []credit.Subject{
		{Class: credit.ClassOrg, USCC: "91350100M000100Y4Z", Name: "校验码错误公司"},
		{Class: credit.ClassPerson, IDNumber: "610102198002300000", Name: "李四"},
		{Class: credit.ClassOrg, USCC: code.USCCPlaceholder, Name: "占位代码公司"},
		{Class: credit.ClassGov, USCC: USCC("91", "610100", 77), Name: "不是机关的政府机构"},
		{Class: credit.ClassOrg, USCC: USCC("91", "610100", 78), Name: ""},
		{Class: "alien", USCC: USCC("91", "610100", 79), Name: "未知类别"},
		{Class: credit.ClassSole, Name: "无代码无注册号"},
	}
	for i, b := range bad {
		batch := append(append(slices.Clone(in[:2]), b), in[2:]...)
		_, err := h.Store.PutSubjects(ctx, batch)
		var be *store.BatchError
		if !errors.As(err, &be) || be.Index != 2 || !errors.Is(err, store.ErrInvalid) {
			t.Errorf("bad[%d]: err %v, want a BatchError at index 2", i, err)
			continue
		}
		var fe *credit.FieldError
		if !errors.As(err, &fe) || fe.Field == "" || fe.Reason == "" {
			t.Errorf("bad[%d]: %v carries no field error", i, err)
		}
		if b.IDNumber != "" && strings.Contains(err.Error(), b.IDNumber[6:14]) {
			t.Errorf("bad[%d]: the error repeats the ID number", i)
		}
	}
	counts, err := h.Store.CountSubjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 0 {
		t.Fatalf("failed batches stored subjects: %v", counts)
	}
}

func testPersonalData(t *testing.T, h Harness) {
	ctx := context.Background()
	p := sampleSubjects()[5]
	mustPut(t, h.Store, []credit.Subject{p})
	got := mustFind(t, h.Store, p.IDNumber)
	if got.MaskedID != credit.MaskID(p.IDNumber) || got.MaskedID == p.IDNumber || !strings.Contains(got.MaskedID, "*") {
		t.Fatalf("masked %q", got.MaskedID)
	}
	for _, table := range []string{"subjects", "subject_names"} {
		texts, err := h.Texts(ctx, table)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range texts {
			if strings.Contains(v, p.IDNumber) || strings.Contains(v, p.IDNumber[6:14]) {
				t.Fatalf("table %s holds the ID number in clear: %q", table, v)
			}
		}
	}
	// Persons are never found by name.
	res, err := h.Store.SearchSubjects(ctx, p.Name, 0, 10)
	if err != nil || len(res) != 0 {
		t.Fatalf("search by a person's name found %v, %v", res, err)
	}
}

func testSoleWithoutCode(t *testing.T, h Harness) {
	reg := GS15("610104", 9)
	s := credit.Subject{Class: credit.ClassSole, USCC: code.USCCPlaceholder, RegNo: reg, Name: "莲湖区兴旺便利店", Region: "610104"}
	mustPut(t, h.Store, []credit.Subject{s})
	got := mustFind(t, h.Store, reg)
	if got.USCC != "" || got.RegNo != reg || got.Name != s.Name {
		t.Fatalf("got %+v", got)
	}
	// Another shop under the same registration number but another name is
	// another subject (keyed by name and number).
	s2 := s
	s2.Name = "莲湖区兴旺小吃店"
	if st := mustPut(t, h.Store, []credit.Subject{s2}); st.Created != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func testFindByCode(t *testing.T, h Harness) {
	// An 18-digit code that is a valid USCC and whose subject is an
	// organisation must be found as such even if it also parses as an ID.
	in := sampleSubjects()
	mustPut(t, h.Store, in)
	for _, c := range []string{in[0].USCC, in[3].RegNo, in[5].IDNumber} {
		mustFind(t, h.Store, c)
	}
}

func testSearch(t *testing.T, h Harness) {
	ctx := context.Background()
	in := sampleSubjects()
	in[1].FormerNames = []credit.NameSpan{{Name: "宝鸡市秦川技工学校"}}
	mustPut(t, h.Store, in)
	cases := []struct {
		q    string
		want []string
	}{
		{"华信", []string{"西安华信电子科技有限公司"}},
		{"西安华信电子科技有限公司", []string{"西安华信电子科技有限公司"}},
		{"華信電子", []string{"西安华信电子科技有限公司"}},        // traditional characters
		{"西安　華信（电子）科技", []string{"西安华信电子科技有限公司"}}, // ideographic space, punctuation
		{"有限公司", []string{"西安华信电子科技有限公司"}},
		{"技工学校", []string{"宝鸡市秦川职业培训学校"}}, // a former name
		{"学校", []string{"宝鸡市秦川职业培训学校"}},   // found once, though both names match
		{"校宝", nil}, // spans the end of one name and the start of another
		{"陕西省", []string{"陕西省市场监督管理局"}},
		{"区老", []string{"碑林区老王面馆"}},
		{"张伟", nil}, // persons are never found by name
		{"不存在的名字", nil},
	}
	for _, c := range cases {
		res, err := h.Store.SearchSubjects(ctx, c.q, 0, 10)
		var got []string
		for _, r := range res {
			got = append(got, r.Name)
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("search %q = %q, %v; want %q", c.q, got, err, c.want)
		}
	}
	for _, q := range []string{"", "   ", "区", "%", "_", "（华）"} {
		if res, err := h.Store.SearchSubjects(ctx, q, 0, 10); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("search %q = %v, %v; want ErrInvalid (too short)", q, res, err)
		}
	}
	// Paging: in id order, offset and limit.
	more := []credit.Subject{
		{Class: credit.ClassOrg, USCC: USCC("91", "610100", 11), Name: "西安华信物流有限公司", Region: "610113"},
		{Class: credit.ClassOrg, USCC: USCC("91", "610100", 12), Name: "咸阳华信建材有限公司", Region: "610400"},
	}
	mustPut(t, h.Store, more)
	// A phrase of several bigrams pages alike (PostgreSQL answers a full
	// page from the first entries in id order, and the rest otherwise).
	for _, q := range []string{"华信", "有限公司"} {
		var all []string
		for off := 0; off < 4; off++ {
			res, err := h.Store.SearchSubjects(ctx, q, off, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				all = append(all, r.Name)
			}
		}
		if want := []string{"西安华信电子科技有限公司", "西安华信物流有限公司", "咸阳华信建材有限公司"}; !slices.Equal(all, want) {
			t.Errorf("paged search %q = %q, want %q", q, all, want)
		}
		if res, err := h.Store.SearchSubjects(ctx, q, 1, 5); err != nil || len(res) != 2 {
			t.Errorf("search %q from the second: %d, %v", q, len(res), err)
		}
	}
	// A rename is searchable under both names at once.
	r := more[0]
	r.Name = "陕西秦信物流集团有限公司"
	mustPut(t, h.Store, []credit.Subject{r})
	for _, q := range []string{"秦信物流", "华信物流"} {
		res, err := h.Store.SearchSubjects(ctx, q, 0, 10)
		if err != nil || len(res) != 1 || res[0].Name != r.Name || len(res[0].FormerNames) != 1 {
			t.Errorf("search %q after rename = %+v, %v", q, res, err)
		}
	}
}

func testNotFound(t *testing.T, h Harness) {
	ctx := context.Background()
	if _, err := h.Store.GetSubject(ctx, 424242); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSubject: %v", err)
	}
	for _, c := range []string{USCC("91", "610100", 999), "nonsense", "", RIC("610102", "19900101", 1), GS15("610100", 1)} {
		if _, err := h.Store.FindSubjectByCode(ctx, c); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("FindSubjectByCode(%q): %v", c, err)
		}
	}
}

func testConcurrent(t *testing.T, h Harness) {
	var batch []credit.Subject
	for i := range 50 {
		batch = append(batch, credit.Subject{Class: credit.ClassOrg, USCC: USCC("91", "610100", 1000+i), Name: fmt.Sprintf("西安并发测试%03d有限公司", i)})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := slices.Clone(batch)
			if w%2 == 1 {
				slices.Reverse(b)
			}
			_, err := h.Store.PutSubjects(context.Background(), b)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent put: %v", err)
		}
	}
	counts, _ := h.Store.CountSubjects(context.Background())
	if counts[credit.ClassOrg] != 50 {
		t.Fatalf("%d organisations after concurrent puts, want 50", counts[credit.ClassOrg])
	}
}

func testLargeBatch(t *testing.T, h Harness) {
	var batch []credit.Subject
	for i := range 12000 {
		batch = append(batch, credit.Subject{Class: credit.ClassOrg, USCC: USCC("91", "610100", 20000+i), Name: fmt.Sprintf("西安批量%05d有限公司", i), Region: "610100"})
	}
	if st := mustPut(t, h.Store, batch); st.Created != len(batch) {
		t.Fatalf("stats %+v", st)
	}
	for i := range batch {
		if i%3 == 0 {
			batch[i].Name += "（更名）"
		}
	}
	st := mustPut(t, h.Store, batch)
	if st.Renamed != 4000 || st.Unchanged != 8000 {
		t.Fatalf("stats %+v", st)
	}
	got := mustFind(t, h.Store, batch[11997].USCC)
	if got.Name != batch[11997].Name || len(got.FormerNames) != 1 {
		t.Fatalf("got %+v", got)
	}
}

func testReopen(t *testing.T, h Harness) {
	in := sampleSubjects()
	mustPut(t, h.Store, in)
	s := h.Reopen()
	got := mustFind(t, s, in[5].IDNumber)
	if got.Name != in[5].Name {
		t.Fatalf("after reopen: %+v", got)
	}
}

func testInitSetting(t *testing.T, h Harness) {
	ctx := context.Background()
	for i, want := range []string{"first", "first"} {
		got, err := h.Store.InitSetting(ctx, "k", []string{"first", "second"}[i])
		if err != nil || got != want {
			t.Fatalf("InitSetting #%d = %q, %v; want %q", i, got, err, want)
		}
	}
	if got, _ := h.Reopen().InitSetting(ctx, "k", "third"); got != "first" {
		t.Fatalf("after reopen %q", got)
	}
}
