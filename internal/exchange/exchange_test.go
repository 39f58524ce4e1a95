package exchange

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

type side struct {
	s  store.Store
	im *ingest.Importer
}

func open(t *testing.T, seed byte) side {
	t.Helper()
	k, err := pii.New(bytes.Repeat([]byte{seed}, pii.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(context.Background(), t.TempDir(), k)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return side{s: s, im: &ingest.Importer{Store: s, Catalog: catalog.Default(), Calendar: calendar.Default(), Hash: k.Hash}}
}

// penalties are n generated 行政处罚 rows (organisations and persons).
func penalties(t *testing.T, n int, edit func(k *catalog.Kind, i int, row []string)) ingest.Table {
	k, _ := catalog.Default().Kind("cf")
	var header []string
	for _, f := range k.Fields {
		header = append(header, f.Key)
	}
	var rows [][]string
	demo.Records(k, demo.RecordOptions{Seed: 7, Rows: n}, func(row []string) error {
		row = slices.Clone(row)
		if edit != nil {
			edit(k, len(rows), row)
		}
		rows = append(rows, row)
		return nil
	})
	return ingest.NewRowsTable(header, rows)
}

func importInto(t *testing.T, sd side, tab ingest.Table, opt ingest.Options) ingest.Result {
	t.Helper()
	opt.Kind, opt.Channel = "cf", "file"
	res, err := sd.im.Import(context.Background(), tab, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// export is every cf record of a side as values (personal ones in clear)
// with state, version and repair day, sorted.
func export(t *testing.T, sd side) []string {
	t.Helper()
	k, _ := catalog.Default().Kind("cf")
	recs, err := sd.s.ExportRecords(context.Background(), "cf", 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		f, _ := store.DecodeFields(r.Fields)
		line := string(r.State) + "|" + r.RepairedOn + "|" + string(rune('0'+r.Version)) + "|" + string(r.Private)
		for _, fd := range k.Fields {
			line += "|" + f[fd.Key]
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}

// link registers b as a's upper platform (reading a's feed) and returns
// a's view of b and b's view of a.
func link(t *testing.T, a, b side, name string) (store.Peer, store.Peer) {
	t.Helper()
	ctx := context.Background()
	_, _, key := auth.NewAPIKey()
	up, err := a.s.PutPeer(ctx, store.Peer{Name: "prov-" + name, Role: store.PeerUpper, Personal: true, ClientID: int64(len(name))})
	if err != nil {
		t.Fatal(err)
	}
	down, err := b.s.PutPeer(ctx, store.Peer{Name: name, Role: store.PeerLower, Region: "61", URL: "http://unused", Key: key, Personal: true})
	if err != nil {
		t.Fatal(err)
	}
	return up, down
}

// transfer moves a's feed to b from b's cursor, page by page, and returns
// the progress summed.
func transfer(t *testing.T, a, b side, up, down store.Peer, since int64) store.PeerProgress {
	t.Helper()
	ctx := context.Background()
	f := &Feed{Store: a.s}
	pl := &Puller{Store: b.s, Importer: b.im, Log: slog.New(slog.DiscardHandler)}
	var sum store.PeerProgress
	cursor := since
	for {
		page, err := f.Page(ctx, up, secretSum(down.Key), Query{Since: cursor, Limit: 97})
		if err != nil {
			t.Fatal(err)
		}
		prog, err := pl.Apply(ctx, down, page)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.s.SavePeerProgress(ctx, down.ID, prog); err != nil {
			t.Fatal(err)
		}
		sum.Received += prog.Received
		sum.Applied += prog.Applied
		sum.Conflicts += prog.Conflicts
		cursor = page.Next
		if cursor >= page.Head {
			return sum
		}
	}
}

func TestTransferRepairReplayAndConflict(t *testing.T) {
	ctx := context.Background()
	a, b := open(t, 1), open(t, 2)
	importInto(t, a, penalties(t, 400, nil), ingest.Options{})
	// A correction and a revocation at the source.
	importInto(t, a, penalties(t, 400, func(k *catalog.Kind, i int, row []string) {
		if i == 3 {
			row[k.FieldIndex("decision_content")] = "罚款五千元（更正）"
		}
	}), ingest.Options{Reason: "录入错误"})
	if err := a.s.SetRecordState(ctx, 5, store.StateRevoked, "行政复议撤销"); err != nil {
		t.Fatal(err)
	}
	// A repair approved through the repair workflow's store.
	rec, err := a.s.GetRecord(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	audit := auth.AuditEntry{Actor: "user:7", Action: auth.AuditRepair, Outcome: "submit", SubjectID: rec.SubjectID}
	rep, err := a.s.AddRepair(ctx, store.NewRepair{
		Row: store.RepairRow{RecordID: rec.ID, RecordVersion: rec.Version, SubjectID: rec.SubjectID, Dept: rec.SourceDept, State: "submitted",
			ApplicantName: "申请人", FiledAt: time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)},
		Commitment: store.Commitment{Kind: store.CommitmentRepair, Matter: "信用修复", Content: "已纠正", Liability: "自愿撤销修复",
			MadeOn: "2026-11-02", Disclosure: "可向社会公开"},
		Body: func(code string) ([]byte, error) { return []byte(`{}`), nil },
	}, audit)
	if err != nil {
		t.Fatal(err)
	}
	rep.State, rep.ApprovedOn = "approved", "2026-11-20"
	if _, err := a.s.UpdateRepair(ctx, rep, audit); err != nil {
		t.Fatal(err)
	}

	up, down := link(t, a, b, "city")
	prog := transfer(t, a, b, up, down, 0)
	want := export(t, a)
	if got := export(t, b); !slices.Equal(got, want) {
		t.Fatalf("after the transfer the upper holds %d records unlike the source's %d", len(got), len(want))
	}
	repaired, persons := 0, 0
	for _, l := range want {
		if bytes.Contains([]byte(l), []byte("|2026-11-20|")) {
			repaired++
		}
		if bytes.Contains([]byte(l), []byte("subject_id_number")) {
			persons++
		}
	}
	if repaired != 1 || persons == 0 || prog.Conflicts != 0 {
		t.Fatalf("repaired %d, persons %d, progress %+v", repaired, persons, prog)
	}

	// The whole feed again (a replay after a crash, or the same records
	// sent by a second peer): nothing changes.
	again := transfer(t, a, b, up, down, 0)
	if again.Applied != 0 || again.Conflicts != 0 || !slices.Equal(export(t, b), want) {
		t.Fatalf("replay applied %+v", again)
	}
	up2, down2 := link(t, a, b, "city2")
	if second := transfer(t, a, b, up2, down2, 0); second.Applied != 0 || !slices.Equal(export(t, b), want) {
		t.Fatalf("the same records from a second peer: %+v", second)
	}

	// A conflicting version: the upper holds a later version of record 10
	// (sent to it directly); the source then sends an older one.
	importInto(t, b, penalties(t, 400, func(k *catalog.Kind, i int, row []string) {
		if i == 10 {
			row[k.FieldIndex("decision_content")] = "上级平台收到的较新版本"
		}
		if i == 3 {
			row[k.FieldIndex("decision_content")] = "罚款五千元（更正）"
		}
	}), ingest.Options{Reason: "部门重新报送"})
	headBefore := export(t, b)
	importInto(t, a, penalties(t, 400, func(k *catalog.Kind, i int, row []string) {
		if i == 10 {
			row[k.FieldIndex("decision_content")] = "来源平台的较早版本"
		}
		if i == 3 {
			row[k.FieldIndex("decision_content")] = "罚款五千元（更正）"
		}
	}), ingest.Options{Reason: "部门重新报送", ReceivedAt: time.Now().Add(-time.Hour)})
	p, err := b.s.GetPeer(ctx, down.Name)
	if err != nil {
		t.Fatal(err)
	}
	late := transfer(t, a, b, up, down, p.Cursor)
	// Whoever decides record 10 (the city, or the upper when its authority
	// is outside 61), the version sent is older than that department's
	// latest version held here: not applied, logged.
	if late.Conflicts != 1 || late.Applied != 0 || !slices.Equal(export(t, b), headBefore) {
		t.Fatalf("older version: %+v", late)
	}
	cs, err := b.s.ListConflicts(ctx, 10)
	if err != nil || len(cs) != 1 || cs[0].Peer != "city" || !cs[0].At.Before(cs[0].HeldAt) {
		t.Fatalf("conflicts %+v %v", cs, err)
	}
}

func TestScopeAndPersonal(t *testing.T) {
	ctx := context.Background()
	a := open(t, 3)
	importInto(t, a, penalties(t, 300, nil), ingest.Options{})
	f := &Feed{Store: a.s}
	lower, err := a.s.PutPeer(ctx, store.Peer{Name: "xian", Role: store.PeerLower, Region: "6101"})
	if err != nil {
		t.Fatal(err)
	}
	page, err := f.Page(ctx, lower, nil, Query{Limit: 5000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) == 0 || page.Next != page.Head {
		t.Fatalf("page %d entries, next %d head %d", len(page.Entries), page.Next, page.Head)
	}
	for _, e := range page.Entries {
		if e.Region[:4] != "6101" || e.Sealed != "" {
			t.Fatalf("lower peer of 6101 got %+v", e)
		}
		for _, k := range page.Columns[e.Kind] {
			if k == "subject_id_number" || k == "legal_rep_id_number" {
				t.Fatalf("personal field %s sent to a peer not allowed it", k)
			}
		}
		if len(e.Values) != len(page.Columns[e.Kind]) {
			t.Fatalf("entry %d: %d values for %d columns", e.Seq, len(e.Values), len(page.Columns[e.Kind]))
		}
	}
	if _, err := Scope(lower, "6103"); err == nil {
		t.Fatal("a lower peer read outside its territory")
	}
	upper, _ := a.s.PutPeer(ctx, store.Peer{Name: "prov", Role: store.PeerUpper})
	all, err := f.Page(ctx, upper, nil, Query{Limit: 5000})
	if err != nil {
		t.Fatal(err)
	}
	if all.Skipped == 0 || len(all.Entries)+all.Skipped != 300 {
		t.Fatalf("upper without personal data: %d entries, %d skipped", len(all.Entries), all.Skipped)
	}
	// Sealed personal fields open only with the right key.
	_, secret, _ := auth.NewAPIKey()
	sum := auth.TokenHash(secret)
	s, err := seal(sum, 9, map[string]string{"subject_id_number": "610102199001011234"})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := unseal(sum, 9, s); err != nil || m["subject_id_number"] != "610102199001011234" {
		t.Fatalf("unseal %v %v", m, err)
	}
	if _, err := unseal(sum, 10, s); err == nil {
		t.Fatal("sealed fields opened as another entry's")
	}
	if _, err := unseal(auth.TokenHash("other"), 9, s); err == nil {
		t.Fatal("sealed fields opened with another key")
	}
}

func TestDiffApply(t *testing.T) {
	old := []string{"a", "b", "c", "e"}
	cur := []string{"b", "c2", "d", "e"}
	delta, added, removed := Diff(old, cur)
	if added != 2 || removed != 2 || string(delta) != "-a\n-c\n+c2\n+d\n" {
		t.Fatalf("delta %q %d %d", delta, added, removed)
	}
	if got := Apply(old, SplitLines(delta)); !slices.Equal(got, cur) {
		t.Fatalf("apply %v", got)
	}
	if d, a, r := Diff(cur, cur); len(d) != 0 || a != 0 || r != 0 {
		t.Fatalf("no change: %q", d)
	}
}

// TestSubjectsTravel: subjects put without a record (a commitment's
// promisor, a rename) travel as subject entries, persons only to a peer
// allowed personal data; a replay changes nothing, and the latest stamp
// of a subject's identity wins.
func TestSubjectsTravel(t *testing.T) {
	ctx := context.Background()
	a, b := open(t, 4), open(t, 5)
	importInto(t, a, penalties(t, 50, nil), ingest.Options{})
	var filed credit.Subject
	for id := int64(1); filed.USCC == ""; id++ {
		s, err := a.s.GetSubject(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if s.Class == credit.ClassOrg && s.USCC != "" {
			filed = s
		}
	}
	org := credit.Subject{Class: credit.ClassOrg, USCC: storetest.USCC("91", "610113", 777), Name: "只有承诺的甲有限公司", Region: "610113"}
	person := credit.Subject{Class: credit.ClassPerson, IDNumber: storetest.RIC("610113", "19900101", 77), Name: "只有承诺的乙", Region: "610113"}
	if _, err := a.s.PutSubjects(ctx, []credit.Subject{org, person}); err != nil {
		t.Fatal(err)
	}
	renamed := filed
	renamed.FormerNames, renamed.Name = nil, filed.Name+"（更名）"
	if st, err := a.s.PutSubjects(ctx, []credit.Subject{renamed}); err != nil || st.Renamed != 1 {
		t.Fatalf("rename %+v %v", st, err)
	}
	up, down := link(t, a, b, "city")
	transfer(t, a, b, up, down, 0)
	code := func(s credit.Subject) string {
		if s.Class == credit.ClassPerson {
			return s.IDNumber
		}
		return s.USCC
	}
	check := func(sd side, want credit.Subject, former int) {
		t.Helper()
		got, err := sd.s.FindSubjectByCode(ctx, code(want))
		if err != nil || got.Name != want.Name || got.Region != want.Region || len(got.FormerNames) != former {
			t.Fatalf("%s: got %+v %v", want.Name, got, err)
		}
	}
	check(b, org, 0)
	check(b, person, 0)
	check(b, renamed, 1)

	// A replay applies nothing.
	if again := transfer(t, a, b, up, down, 0); again.Applied != 0 {
		t.Fatalf("replay applied %+v", again)
	}
	// The upper renames the organisation, then the source renames it
	// later: the source's (later) name wins at the upper, and the upper's
	// name stays a former name.
	upperName := org
	upperName.Name = "只有承诺的甲（上级更名）有限公司"
	if _, err := b.s.PutSubjects(ctx, []credit.Subject{upperName}); err != nil {
		t.Fatal(err)
	}
	later := org
	later.Name = "只有承诺的甲集团有限公司"
	if _, err := a.s.PutSubjects(ctx, []credit.Subject{later}); err != nil {
		t.Fatal(err)
	}
	p, _ := b.s.GetPeer(ctx, down.Name)
	transfer(t, a, b, up, down, p.Cursor)
	check(b, later, 2)

	// A peer not allowed personal data gets no person.
	plain, err := a.s.PutPeer(ctx, store.Peer{Name: "plain", Role: store.PeerUpper})
	if err != nil {
		t.Fatal(err)
	}
	page, err := (&Feed{Store: a.s}).Page(ctx, plain, nil, Query{Limit: MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	subjects := 0
	for _, e := range page.Entries {
		if e.Op == store.OpSubject {
			subjects++
			if e.Subject.Class == string(credit.ClassPerson) || e.Sealed != "" {
				t.Fatalf("a person's subject entry sent to a peer not allowed it: %+v", e)
			}
		}
	}
	if subjects != 3 {
		t.Fatalf("%d subject entries to the plain peer, want 3 (org, rename, later rename)", subjects)
	}
}
