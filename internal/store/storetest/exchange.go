package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
)

func exchangeTests() []namedTest {
	return []namedTest{{"ExchangeLog", testExchangeLog}, {"ExchangeSubjects", testExchangeSubjects}, {"ExchangePeers", testExchangePeers}, {"PublicSnapshots", testPublicSnapshots}}
}

// testExchangeLog: every record write is in the exchange log, in commit
// order, with the content of its version and its stamp.
func testExchangeLog(t *testing.T, h Harness) {
	ctx := context.Background()
	b := startBatch(t, h.Store, "")
	out := put(t, h.Store, b.ID, badPenalty(1, "610100", "罚款1万元"), badPenalty(2, "610300", "罚款2万元"), listEntry(1, "610113", ""))
	put(t, h.Store, b.ID, badPenalty(1, "610100", "罚款1万元（更正）"))
	if err := h.Store.SetRecordState(ctx, out[1].ID, store.StateRevoked, "撤销"); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Add(time.Hour).Truncate(time.Microsecond)
	if err := h.Store.ApplyRecordState(ctx, out[2].ID, store.StateRevoked, "上级平台撤销", at, "prov"); err != nil {
		t.Fatal(err)
	}
	at2 := at.Add(time.Minute)
	if err := h.Store.ApplyRepair(ctx, out[0].ID, "2026-11-20", at2, "prov"); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.ApplyRepair(ctx, 987654, "2026-11-20", at2, "prov"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("repair of a missing record: %v", err)
	}
	es, next, head, err := h.Store.Feed(ctx, store.FeedQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, e := range es {
		got = append(got, fmt.Sprintf("%s:%d:%d", e.Op, e.RecordID, e.Version))
		if i > 0 && e.Seq != es[i-1].Seq+1 {
			t.Errorf("gap before entry %d", e.Seq)
		}
	}
	r0, r1, r2 := out[0].ID, out[1].ID, out[2].ID
	want := []string{fmt.Sprintf("version:%d:1", r0), fmt.Sprintf("version:%d:1", r1), fmt.Sprintf("version:%d:1", r2),
		fmt.Sprintf("version:%d:2", r0), fmt.Sprintf("state:%d:2", r1), fmt.Sprintf("state:%d:2", r2), fmt.Sprintf("repair:%d:2", r0)}
	if strings.Join(got, " ") != strings.Join(want, " ") || next != head || head != es[len(es)-1].Seq {
		t.Fatalf("log %v (next %d head %d), want %v", got, next, head, want)
	}
	// Each entry carries its version's content and state.
	if !strings.Contains(string(es[0].Fields), "罚款1万元") || strings.Contains(string(es[0].Fields), "更正") || es[0].State != store.StateActive ||
		!strings.Contains(string(es[3].Fields), "更正") || es[3].State != store.StateCorrected || es[4].State != store.StateRevoked {
		t.Errorf("entries' contents: %+v", es)
	}
	if !es[5].At.Equal(at) || es[5].Origin != "prov" || es[5].StateReason != "上级平台撤销" || es[4].Origin != "" ||
		!es[6].At.Equal(at2) || es[6].RepairedOn != "2026-11-20" || es[0].Region != "610100" || es[1].Region != "610300" {
		t.Errorf("stamps and origins: %+v", es[4:])
	}
	if es[0].At.IsZero() || !es[0].At.Equal(es[0].ReceivedAt) {
		t.Errorf("a version's stamp is its receipt: %v %v", es[0].At, es[0].ReceivedAt)
	}
	// Filters and paging.
	count := func(q store.FeedQuery) int {
		es, _, _, err := h.Store.Feed(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	if n := count(store.FeedQuery{Region: "6103"}); n != 2 {
		t.Errorf("region 6103: %d entries", n)
	}
	if n := count(store.FeedQuery{Kinds: []string{"sx"}}); n != 2 {
		t.Errorf("kind sx: %d entries", n)
	}
	if n := count(store.FeedQuery{NotOrigin: "prov"}); n != 5 {
		t.Errorf("not from prov: %d entries", n)
	}
	page, next, _, err := h.Store.Feed(ctx, store.FeedQuery{Limit: 3})
	if err != nil || len(page) != 3 || next != page[2].Seq {
		t.Fatalf("first page %d next %d %v", len(page), next, err)
	}
	if rest, _, _, _ := h.Store.Feed(ctx, store.FeedQuery{Since: next, Limit: 100}); len(rest) != 4 || rest[0].Seq != next+1 {
		t.Errorf("second page %d", len(rest))
	}
	// Stamps: the latest of a record's entries, by identity.
	st, err := h.Store.RecordStamps(ctx, "cf", []string{badPenalty(1, "610100", "").Identity, "cf|nothing"})
	if err != nil || len(st) != 1 || st[badPenalty(1, "610100", "").Identity].RecordID != r0 || !st[badPenalty(1, "610100", "").Identity].At.Equal(at2) {
		t.Errorf("stamps %+v %v", st, err)
	}
	// and its version entries (two, made here), for the conflict rule.
	if vs := st[badPenalty(1, "610100", "").Identity].Versions; len(vs) != 2 || vs[0].Origin != "" || vs[1].Origin != "" ||
		!vs[0].At.Equal(es[0].At) && !vs[1].At.Equal(es[0].At) {
		t.Errorf("version stamps %+v", vs)
	}
	if ok, err := h.Store.HasStamp(ctx, r2, at); !ok || err != nil {
		t.Errorf("HasStamp %v %v", ok, err)
	}
	if ok, _ := h.Store.HasStamp(ctx, r2, at.Add(time.Second)); ok {
		t.Error("HasStamp of a stamp never held")
	}
	// The export reads current versions.
	ex, err := h.Store.ExportRecords(ctx, "cf", 0, 10)
	if err != nil || len(ex) != 2 || ex[0].ID != r0 || ex[0].Version != 2 || ex[0].RepairedOn != "2026-11-20" || ex[1].State != store.StateRevoked {
		t.Errorf("export %+v %v", ex, err)
	}
	// Conflicts are logged once.
	c := store.Conflict{Peer: "city", RecordID: r0, Kind: "cf", Op: store.OpVersion, At: at, HeldAt: at2}
	for range 2 {
		if err := h.Store.AddConflict(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if cs, err := h.Store.ListConflicts(ctx, 10); err != nil || len(cs) != 1 || !cs[0].At.Equal(at) || cs[0].Peer != "city" {
		t.Errorf("conflicts %+v %v", cs, err)
	}
}

func testExchangePeers(t *testing.T, h Harness) {
	ctx := context.Background()
	p, err := h.Store.PutPeer(ctx, store.Peer{Name: "xian", Title: "西安市平台", Role: store.PeerLower, Region: "6101", URL: "https://xian.example",
		Key: "xyk_secret", ClientID: 7, Personal: true})
	if err != nil || p.ID == 0 || p.Key != "xyk_secret" || p.ClientID != 7 || !p.Personal || p.Created.IsZero() {
		t.Fatalf("put %+v %v", p, err)
	}
	texts, err := h.Texts(ctx, "peers")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range texts {
		if strings.Contains(s, "xyk_secret") {
			t.Fatal("a peer's key is stored in clear")
		}
	}
	// Updating keeps the URL and key not given.
	p, err = h.Store.PutPeer(ctx, store.Peer{Name: "xian", Role: store.PeerLower, Region: "610113"})
	if err != nil || p.URL != "https://xian.example" || p.Key != "xyk_secret" || p.Region != "610113" || p.Title != "西安市平台" || p.ClientID != 7 {
		t.Fatalf("update %+v %v", p, err)
	}
	if q, err := h.Store.PeerByClient(ctx, 7); err != nil || q.Name != "xian" {
		t.Errorf("by client %+v %v", q, err)
	}
	if _, err := h.Store.PeerByClient(ctx, 8); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("by unknown client: %v", err)
	}
	// A client certificate's fingerprint: set, kept when not given, found.
	fp := strings.Repeat("ab", 32)
	if p, err = h.Store.PutPeer(ctx, store.Peer{Name: "xian", Role: store.PeerLower, Region: "610113", CertSHA256: fp}); err != nil || p.CertSHA256 != fp {
		t.Fatalf("put cert %+v %v", p, err)
	}
	if p, err = h.Store.PutPeer(ctx, store.Peer{Name: "xian", Role: store.PeerLower, Region: "610113"}); err != nil || p.CertSHA256 != fp || p.ClientID != 7 {
		t.Fatalf("update keeps cert %+v %v", p, err)
	}
	if q, err := h.Store.PeerByCert(ctx, fp); err != nil || q.Name != "xian" || q.CertSHA256 != fp {
		t.Errorf("by cert %+v %v", q, err)
	}
	for _, other := range []string{"", strings.Repeat("cd", 32)} {
		if _, err := h.Store.PeerByCert(ctx, other); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("by unknown cert %q: %v", other, err)
		}
	}
	if _, err := h.Store.PutPeer(ctx, store.Peer{Name: "other", Role: store.PeerUpper, CertSHA256: fp}); err == nil {
		t.Error("two peers with one certificate")
	}
	if err := h.Store.SavePeerProgress(ctx, p.ID, store.PeerProgress{Cursor: 50, RemoteHead: 80, Received: 50, Applied: 40, Conflicts: 1}); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.SavePeerProgress(ctx, p.ID, store.PeerProgress{Cursor: 30, RemoteHead: 80, Received: 5}); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.SavePeerProgress(ctx, p.ID, store.PeerProgress{Error: "对端平台答复 503"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.NoteSent(ctx, p.ID, 12); err != nil {
		t.Fatal(err)
	}
	p, _ = h.Store.GetPeer(ctx, "xian")
	if p.Cursor != 50 || p.Lag() != 30 || p.Received != 55 || p.Applied != 40 || p.Conflicts != 1 || p.Sent != 12 || p.LastError != "对端平台答复 503" ||
		p.ErrorAt.IsZero() || p.LastPull.IsZero() || p.LastSent.IsZero() {
		t.Errorf("progress %+v", p)
	}
	if _, err := h.Store.PutPeer(ctx, store.Peer{Name: "prov", Role: store.PeerUpper}); err != nil {
		t.Fatal(err)
	}
	if ps, err := h.Store.ListPeers(ctx); err != nil || len(ps) != 2 || ps[0].Name != "prov" {
		t.Errorf("list %+v %v", ps, err)
	}
	if err := h.Store.RemovePeer(ctx, "xian"); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.RemovePeer(ctx, "xian"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("remove again: %v", err)
	}
	if _, err := h.Store.GetPeer(ctx, "xian"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("get removed: %v", err)
	}
}

func testPublicSnapshots(t *testing.T, h Harness) {
	ctx := context.Background()
	for _, s := range []store.PublicSnapshot{
		{Day: "2026-12-01", Records: 2, SHA256: "aa", Body: []byte{1, 2}},
		{Day: "2026-12-02", Records: 3, SHA256: "bb", Body: []byte{3}, BaseDay: "2026-12-01", Added: 1, DeltaSHA256: "cc", Delta: []byte{4}},
		{Day: "2026-12-02", Records: 4, SHA256: "dd", Body: []byte{5}, BaseDay: "2026-12-01", Added: 2, DeltaSHA256: "ee", Delta: []byte{6}},
	} {
		if err := h.Store.PutSnapshot(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	list, err := h.Store.ListSnapshots(ctx)
	if err != nil || len(list) != 2 || list[0].Day != "2026-12-02" || list[0].Records != 4 || list[0].Body != nil || list[0].Created.IsZero() {
		t.Fatalf("list %+v %v", list, err)
	}
	s, err := h.Store.GetSnapshot(ctx, "2026-12-02")
	if err != nil || string(s.Body) != "\x05" || string(s.Delta) != "\x06" || s.DeltaSHA256 != "ee" || s.Added != 2 || s.BaseDay != "2026-12-01" {
		t.Errorf("get %+v %v", s, err)
	}
	if _, err := h.Store.GetSnapshot(ctx, "2026-11-30"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
}

// testExchangeSubjects: a put of subjects (not filing records) logs each
// subject created or changed, with its identity as it is when read;
// subjects applied from a peer carry the peer's stamp and origin, and a
// stamp not later than the one held changes nothing.
func testExchangeSubjects(t *testing.T, h Harness) {
	ctx := context.Background()
	// Filing a record creates its subject without a subject entry.
	b := startBatch(t, h.Store, "")
	put(t, h.Store, b.ID, badPenalty(41, "610100", "罚款1万元"))
	_, _, head, err := h.Store.Feed(ctx, store.FeedQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	subjects := func(since int64) []store.FeedEntry {
		t.Helper()
		es, _, _, err := h.Store.Feed(ctx, store.FeedQuery{Since: since, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var out []store.FeedEntry
		for _, e := range es {
			if e.Op == store.OpSubject {
				out = append(out, e)
			}
		}
		return out
	}
	if es := subjects(0); len(es) != 0 {
		t.Fatalf("filing a record logged its subject: %+v", es[0])
	}
	org := credit.Subject{Class: credit.ClassOrg, USCC: USCC("91", "610113", 4101), Name: "交换主体甲有限公司", Region: "610113"}
	person := credit.Subject{Class: credit.ClassPerson, IDNumber: RIC("610113", "19900101", 41), Name: "交换甲", Region: "610113"}
	if _, err := h.Store.PutSubjects(ctx, []credit.Subject{org, person}); err != nil {
		t.Fatal(err)
	}
	org.Name = "交换主体甲科技有限公司"
	if st, err := h.Store.PutSubjects(ctx, []credit.Subject{org, person}); err != nil || st.Renamed != 1 || st.Unchanged != 1 {
		t.Fatalf("rename: %+v %v", st, err)
	}
	es := subjects(head)
	if len(es) != 3 || es[0].SubjectID == 0 || es[0].SubjectID != es[2].SubjectID || es[1].SubjectID == es[0].SubjectID {
		t.Fatalf("subject entries %+v", es)
	}
	subs, err := h.Store.SubjectsByID(ctx, []int64{es[2].SubjectID, es[1].SubjectID})
	if err != nil || len(subs) != 2 {
		t.Fatalf("subjects by id: %+v %v", subs, err)
	}
	got := subs[0]
	if got.Name != org.Name || got.USCC != org.USCC || got.Region != "610113" || es[2].Region != "610113" || len(got.FormerNames) != 1 ||
		got.FormerNames[0].Name != "交换主体甲有限公司" || es[2].Origin != "" || !es[2].At.After(es[0].At) || len(es[0].Private) != 0 {
		t.Errorf("the renamed subject's entries: %+v %+v", es[0], got)
	}
	if p := subs[1]; p.Class != credit.ClassPerson || p.MaskedID == "" || string(es[1].Private) != `{"id_number":"`+person.IDNumber+`"}` {
		t.Errorf("the person's entry: %+v %s", p, es[1].Private)
	}
	if n := len(subjects(0)); n != 3 {
		t.Errorf("%d subject entries in all", n)
	}

	// From a peer: a newer identity is applied with the peer's stamp and
	// origin; the same stamp again, or an older one, changes nothing.
	at := time.Now().UTC().Add(time.Hour).Truncate(time.Microsecond)
	renamed := org
	renamed.Name = "交换主体甲集团有限公司"
	_, _, head, _ = h.Store.Feed(ctx, store.FeedQuery{Limit: 1})
	st, err := h.Store.ApplySubjects(ctx, []credit.Subject{renamed}, at, "prov")
	if err != nil || st.Renamed != 1 {
		t.Fatalf("apply: %+v %v", st, err)
	}
	for _, again := range []time.Time{at, at.Add(-time.Minute)} {
		older := org
		older.Name = "交换主体甲旧名有限公司"
		if st, err := h.Store.ApplySubjects(ctx, []credit.Subject{older}, again, "city"); err != nil || st.Unchanged != 1 || st.Renamed != 0 {
			t.Fatalf("apply at %v: %+v %v", again, st, err)
		}
	}
	es = subjects(head)
	if len(es) != 1 || !es[0].At.Equal(at) || es[0].Origin != "prov" || es[0].SubjectID != subs[0].ID {
		t.Fatalf("applied subject's entries: %+v", es)
	}
	if only, _, _, err := h.Store.Feed(ctx, store.FeedQuery{Since: head, Limit: 10, NotOrigin: "prov"}); err != nil || len(only) != 0 {
		t.Fatalf("what a peer sent is sent back: %+v %v", only, err)
	}
	sub, err := h.Store.FindSubjectByCode(ctx, org.USCC)
	if err != nil || sub.Name != renamed.Name || len(sub.FormerNames) != 2 {
		t.Fatalf("subject after apply: %+v %v", sub, err)
	}
	// A later put here is newer than the peer's stamp only if it is made
	// later: the platform's own put always logs.
	if n := len(subjects(0)); n != 4 {
		t.Errorf("%d subject entries in all", n)
	}
}
