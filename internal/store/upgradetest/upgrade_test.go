// The upgrade test: databases written by an earlier release
// keep everything through the migrations of this one: the fixtures in
// testdata were made by the binary of release 12 (testdata/README.md). The
// facts are read from the old layout with plain SQL before migrating and
// compared with what the store's API returns after.
package upgradetest

import (
	"bufio"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/pgtest"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// version is a record version as release 12 stored it.
type version struct {
	Version     int
	State       string
	StateReason string
	Fields      map[string]string
}

// record is what release 12 held of a record.
type record struct {
	ID                                     int64
	Kind, SourceDept, DecisionNo, Decision string
	SubjectID                              int64
	Versions                               []version // oldest first, the current last
}

// subject is what release 12 held of a subject.
type subject struct {
	ID     int64
	Class  string
	Name   string
	Former []string // in the order valid_to, id
}

// event is a change event as release 12 stored it.
type event struct {
	Seq       int64
	Type      string
	RecordID  int64
	Kind      string
	SubjectID int64
	Region    string
	ListType  string
}

// facts is everything compared across the upgrade.
type facts struct {
	Records  map[int64]*record
	Subjects map[int64]subject
	Events   []event
	Stats    []store.IntakeRow
}

// readFacts reads the facts from a release-12 database. ph makes the
// placeholder of the n-th argument.
func readFacts(t *testing.T, db *sql.DB, dialect string) facts {
	t.Helper()
	ctx := context.Background()
	f := facts{Records: map[int64]*record{}, Subjects: map[int64]subject{}}
	q := func(query string, args ...any) *sql.Rows {
		t.Helper()
		rs, err := db.QueryContext(ctx, query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return rs
	}
	decode := func(s string) map[string]string {
		var m map[string]string
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("fields %q: %v", s, err)
		}
		return m
	}
	rs := q(`SELECT v.record_id, v.version, v.state, v.state_reason, v.fields FROM record_versions v ORDER BY v.record_id, v.version`)
	old := map[int64][]version{}
	for rs.Next() {
		var id int64
		var v version
		var fields string
		if err := rs.Scan(&id, &v.Version, &v.State, &v.StateReason, &fields); err != nil {
			t.Fatal(err)
		}
		v.Fields = decode(fields)
		old[id] = append(old[id], v)
	}
	rs.Close()
	rs = q(`SELECT id, kind, subject_id, source_dept, decision_no, decision_date, version, state, state_reason, fields FROM records ORDER BY id`)
	for rs.Next() {
		var r record
		var v version
		var fields string
		if err := rs.Scan(&r.ID, &r.Kind, &r.SubjectID, &r.SourceDept, &r.DecisionNo, &r.Decision, &v.Version, &v.State, &v.StateReason, &fields); err != nil {
			t.Fatal(err)
		}
		v.Fields = decode(fields)
		r.Versions = append(old[r.ID], v)
		f.Records[r.ID] = &r
	}
	rs.Close()
	rs = q(`SELECT id, class, name FROM subjects ORDER BY id`)
	for rs.Next() {
		var s subject
		if err := rs.Scan(&s.ID, &s.Class, &s.Name); err != nil {
			t.Fatal(err)
		}
		f.Subjects[s.ID] = s
	}
	rs.Close()
	rs = q(`SELECT subject_id, name FROM subject_names WHERE valid_to IS NOT NULL ORDER BY subject_id, valid_to, id`)
	for rs.Next() {
		var id int64
		var name string
		if err := rs.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		s := f.Subjects[id]
		s.Former = append(s.Former, name)
		f.Subjects[id] = s
	}
	rs.Close()
	rs = q(`SELECT seq, type, record_id, kind, subject_id, region, list_type FROM changes ORDER BY seq`)
	for rs.Next() {
		var e event
		if err := rs.Scan(&e.Seq, &e.Type, &e.RecordID, &e.Kind, &e.SubjectID, &e.Region, &e.ListType); err != nil {
			t.Fatal(err)
		}
		f.Events = append(f.Events, e)
	}
	rs.Close()
	// Release 12's intake statistics, with its own query.
	stats := `SELECT kind, dept, month, sum(received), sum(late), sum(rejected) FROM (
			SELECT r.kind AS kind, r.source_dept AS dept, ` + month(dialect) + ` AS month, count(*) AS received, ` + lateSum(dialect) + ` AS late, 0 AS rejected
			FROM records r JOIN intake_batches b ON b.id = r.first_batch GROUP BY 1, 2, 3
			UNION ALL
			SELECT b.kind, b.dept, ` + month(dialect) + `, 0, 0, count(DISTINCT j.row)
			FROM intake_batches b JOIN intake_rejections j ON j.batch_id = b.id GROUP BY b.id
		) t GROUP BY 1, 2, 3 ORDER BY 3, 1, 2`
	rs = q(stats)
	for rs.Next() {
		var r store.IntakeRow
		if err := rs.Scan(&r.Kind, &r.Dept, &r.Month, &r.Received, &r.Late, &r.Rejected); err != nil {
			t.Fatal(err)
		}
		f.Stats = append(f.Stats, r)
	}
	rs.Close()
	if len(f.Records) < 300 || len(f.Subjects) < 400 || len(f.Events) < 100 || len(f.Stats) == 0 {
		t.Fatalf("the fixture is too small: %d records, %d subjects, %d events, %d stats rows", len(f.Records), len(f.Subjects), len(f.Events), len(f.Stats))
	}
	return f
}

func month(dialect string) string {
	if dialect == "postgres" {
		return `to_char(b.received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')`
	}
	return `strftime('%Y-%m', datetime(substr(b.received_at, 1, 19), '+8 hours'))`
}

func lateSum(dialect string) string {
	if dialect == "postgres" {
		return `count(*) FILTER (WHERE r.late)`
	}
	return `sum(r.late)`
}

// compare checks the migrated store against the facts read before.
func compare(t *testing.T, s store.Store, want facts) {
	t.Helper()
	ctx := context.Background()
	versions, corrected, revoked := 0, 0, 0
	for _, id := range slices.Sorted(maps.Keys(want.Records)) {
		w := want.Records[id]
		got, err := s.RecordVersions(ctx, id)
		if err != nil {
			t.Fatalf("record %d: %v", id, err)
		}
		if len(got) != len(w.Versions) {
			t.Errorf("record %d: %d versions, want %d", id, len(got), len(w.Versions))
			continue
		}
		for i, g := range got {
			wv := w.Versions[i]
			fields, err := store.DecodeFields(g.Fields)
			if err != nil {
				t.Fatalf("record %d version %d: %v", id, g.Version, err)
			}
			if g.ID != id || g.Kind != w.Kind || g.SubjectID != w.SubjectID || g.SourceDept != w.SourceDept || g.DecisionNo != w.DecisionNo ||
				g.Version != wv.Version || string(g.State) != wv.State || g.StateReason != wv.StateReason || !maps.Equal(fields, wv.Fields) {
				t.Errorf("record %d version %d:\n got %d %s %s %q %v\nwant %s %s %q %v", id, wv.Version, g.Version, g.Kind, g.State, g.StateReason, fields,
					w.Kind, wv.State, wv.StateReason, wv.Fields)
			}
			if g.FirstReceived.IsZero() || g.ReceivedAt.IsZero() {
				t.Errorf("record %d version %d: received %v, first received %v", id, g.Version, g.ReceivedAt, g.FirstReceived)
			}
			versions++
			switch g.State {
			case store.StateCorrected:
				corrected++
			case store.StateRevoked:
				revoked++
			}
		}
		if got[len(got)-1].DecisionDate != w.Decision {
			t.Errorf("record %d: decision date %s, want %s", id, got[len(got)-1].DecisionDate, w.Decision)
		}
	}
	if corrected == 0 || revoked == 0 || versions <= len(want.Records) {
		t.Errorf("the fixture should hold corrections and revocations: %d versions, %d corrected, %d revoked", versions, corrected, revoked)
	}
	renamed := 0
	for _, id := range slices.Sorted(maps.Keys(want.Subjects)) {
		w := want.Subjects[id]
		got, err := s.GetSubject(ctx, id)
		if err != nil {
			t.Fatalf("subject %d: %v", id, err)
		}
		var former []string
		for _, n := range got.FormerNames {
			former = append(former, n.Name)
			if n.To.IsZero() {
				t.Errorf("subject %d: former name %s without end", id, n.Name)
			}
		}
		if string(got.Class) != w.Class || got.Name != w.Name || !slices.Equal(former, w.Former) {
			t.Errorf("subject %d: %s %s %q, want %s %s %q", id, got.Class, got.Name, former, w.Class, w.Name, w.Former)
		}
		if len(w.Former) > 0 {
			renamed++
		}
	}
	if renamed == 0 {
		t.Error("the fixture should hold renamed subjects")
	}
	// Every subject other than persons is found by its name, and by a
	// former name.
	searched := 0
	for _, w := range want.Subjects {
		if w.Class == "person" || searched >= 20 {
			continue
		}
		for _, name := range append([]string{w.Name}, w.Former...) {
			res, err := s.SearchSubjects(ctx, name, 0, 50)
			if err != nil || !slices.ContainsFunc(res, func(r credit.Subject) bool { return r.ID == w.ID }) {
				t.Errorf("search %s: subject %d not found (%d results, %v)", name, w.ID, len(res), err)
			}
		}
		searched++
	}
	stats, err := s.IntakeStats(ctx, store.IntakeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stats, want.Stats) {
		t.Errorf("intake statistics:\n got %+v\nwant %+v", stats, want.Stats)
	}
	// The change feed: every event, in order, through a province-wide
	// region watch.
	org, err := s.RootOrg(ctx, "运营机构")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddWatches(ctx, []store.Watch{{OrgID: org.ID, Region: "61"}}); err != nil {
		t.Fatal(err)
	}
	var got []event
	for since := int64(0); ; {
		evs, next, err := s.ChangesFor(ctx, org.ID, since, store.MaxChangesLimit)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			got = append(got, event{e.Seq, string(e.Type), e.RecordID, e.Kind, e.SubjectID, e.Region, e.ListType})
		}
		if next == since {
			break
		}
		since = next
	}
	var wantEvents []event
	for _, e := range want.Events {
		if strings.HasPrefix(e.Region, "61") {
			wantEvents = append(wantEvents, e)
		}
	}
	if !slices.Equal(got, wantEvents) {
		t.Errorf("change feed: %d events, want %d\n got %+v\nwant %+v", len(got), len(wantEvents), head(got), head(wantEvents))
	}
}

// migrate migrates s from release 12 and loads its data keys (wrapped under
// the master key, as the binary does).
func migrate(t *testing.T, s store.Store, keys *pii.Keyring) {
	t.Helper()
	ctx := context.Background()
	if from, to, err := s.Migrate(ctx); err != nil || from != 12 || to <= 12 {
		t.Fatalf("migrate: %d → %d, %v", from, to, err)
	}
	if err := store.LoadKeys(ctx, s.(store.KeyStore), keys); err != nil {
		t.Fatal(err)
	}
}

func head(evs []event) []event { return evs[:min(len(evs), 5)] }

func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUpgradeSQLite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, sqlite.FileName), gunzip(t, "testdata/release12-sqlite.db.gz"), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	want := readFacts(t, db, "sqlite")
	db.Close()
	keys := storetest.Keys()
	s, err := sqlite.Open(ctx, dir, keys)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	migrate(t, s, keys)
	compare(t, s, want)
}

func TestUpgradePostgres(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	// The dump, statement by statement as psql would send it: its
	// statements end with ";" at the end of a line, except inside the
	// function bodies quoted with $$.
	sc := bufio.NewScanner(strings.NewReader(string(gunzip(t, "testdata/release12-postgres.sql.gz"))))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var stmt strings.Builder
	inBody := false
	for sc.Scan() {
		line := sc.Text()
		if stmt.Len() == 0 && (strings.HasPrefix(line, "--") || strings.TrimSpace(line) == "") {
			continue
		}
		stmt.WriteString(line + "\n")
		if strings.Count(line, "$$")%2 == 1 {
			inBody = !inBody
		}
		if !inBody && strings.HasSuffix(line, ";") {
			if _, err := conn.Exec(ctx, stmt.String()); err != nil {
				t.Fatalf("restore: %v\n%s", err, stmt.String())
			}
			stmt.Reset()
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	want := readFacts(t, db, "postgres")
	db.Close()
	keys := storetest.Keys()
	s, err := postgres.Open(ctx, dsn, keys)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	migrate(t, s, keys)
	compare(t, s, want)
}
