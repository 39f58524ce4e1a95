package report

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/store"
)

// memLog is a store.ReportStore in memory, whose rows a test may rewrite
// as someone with the database could.
type memLog struct {
	mu      sync.Mutex
	reports []store.IssuedReport
	hashes  map[int64][]byte
	appends int
}

func newMemLog() *memLog { return &memLog{hashes: map[int64][]byte{}} }

func (m *memLog) AppendReports(ctx context.Context, reps []store.IssuedReport, plan store.ReportHashes, audits []auth.AuditEntry) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	size := int64(len(m.reports))
	for _, r := range reps {
		for _, have := range m.reports {
			if have.Number == r.Number {
				return 0, store.ErrExists
			}
		}
	}
	idx, hs, err := plan(size, func(ix []int64) ([][]byte, error) { return m.read(ix) })
	if err != nil {
		return 0, err
	}
	for i := range reps {
		reps[i].Index = size + int64(i)
		m.reports = append(m.reports, reps[i])
	}
	for i, ix := range idx {
		m.hashes[ix] = hs[i]
	}
	m.appends++
	return int64(len(m.reports)), nil
}

func (m *memLog) read(ix []int64) ([][]byte, error) {
	out := make([][]byte, len(ix))
	for i, x := range ix {
		h, ok := m.hashes[x]
		if !ok {
			return nil, fmt.Errorf("hash %d: %w", x, store.ErrNotFound)
		}
		out[i] = h
	}
	return out, nil
}

func (m *memLog) ReportLogSize(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(len(m.reports)), nil
}

func (m *memLog) ReportLogHashes(_ context.Context, ix []int64) ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.read(ix)
}

func (m *memLog) GetReport(_ context.Context, number string) (store.IssuedReport, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.reports {
		if r.Number == number {
			return r, nil
		}
	}
	return store.IssuedReport{}, store.ErrNotFound
}

func (m *memLog) ReportsFrom(_ context.Context, from int64, limit int) ([]store.IssuedReport, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if from >= int64(len(m.reports)) {
		return nil, nil
	}
	return append([]store.IssuedReport(nil), m.reports[from:min(int(from)+limit, len(m.reports))]...), nil
}

func (m *memLog) AddReportGrant(context.Context, store.ReportGrant, auth.AuditEntry) (store.ReportGrant, error) {
	return store.ReportGrant{}, errors.ErrUnsupported
}

func (m *memLog) GetReportGrant(context.Context, int64) (store.ReportGrant, error) {
	return store.ReportGrant{}, store.ErrNotFound
}

func testSigner(t testing.TB, seed byte) *Signer {
	t.Helper()
	s, err := NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func verifierOf(t testing.TB, s *Signer) note.Verifier {
	t.Helper()
	v, err := ParseVerifierKey(s.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func testEntry(i int, body []byte) Entry {
	return Entry{Number: fmt.Sprintf("XY20261205%04d", i), Kind: store.ReportOrg, Subject: "91610113MA6U12345X", Name: "西安测试有限公司",
		AsOf: calendar.MustParseDate("2026-12-05"), Issued: time.Date(2026, 12, 5, 2, 0, i%60, 0, time.UTC), SHA256: sha256.Sum256(body)}
}

// issue appends an entry for body and seals a fake PDF with it.
func issue(t testing.TB, l *Log, i int) []byte {
	t.Helper()
	body := fakePDF(i)
	e := testEntry(i, body)
	signed, err := l.Signer.signNote(e.Text())
	if err != nil {
		t.Fatal(err)
	}
	rec, err := l.Append(context.Background(), store.IssuedReport{Number: e.Number, Kind: e.Kind, AsOf: e.AsOf.String(), IssuedAt: e.Issued,
		Entry: []byte(e.Text()), Records: []byte("[]")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := AddSeal(body, newSeal("法人和非法人组织公共信用信息报告", signed, rec))
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

// fakePDF is a minimal PDF with a classic cross-reference table, as gopdf
// writes.
func fakePDF(i int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	o1 := b.Len()
	b.WriteString("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	o2 := b.Len()
	b.WriteString("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n")
	o3 := b.Len()
	fmt.Fprintf(&b, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n%% report %d\n", i)
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 4\n0000000000 65535 f \n%010d 00000 n \n%010d 00000 n \n%010d 00000 n \ntrailer\n<<\n/Size 4\n/Root 1 0 R\n>>\nstartxref\n%d\n%%%%EOF\n", o1, o2, o3, x)
	return b.Bytes()
}

func TestEntryText(t *testing.T) {
	e := testEntry(7, []byte("x"))
	back, err := ParseEntry(e.Text())
	if err != nil {
		t.Fatal(err)
	}
	if back.Text() != e.Text() {
		t.Fatalf("round trip:\n%s\n%s", back.Text(), e.Text())
	}
	person := e
	person.Kind, person.Subject, person.Name = store.ReportPerson, "610103********0012", ""
	if back, err := ParseEntry(person.Text()); err != nil || back.Text() != person.Text() {
		t.Fatalf("person entry: %v", err)
	}
	for _, bad := range []string{"", "xinyong credit report v1\n", strings.Replace(e.Text(), "kind org", "kind x", 1),
		strings.TrimSuffix(e.Text(), "\n"), e.Text() + "extra 1\n", strings.Replace(e.Text(), "sha256 ", "sha256 zz", 1)} {
		if _, err := ParseEntry(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// TestVerifyIssued: every report of a run verifies; one byte changed
// anywhere, a proof for another entry, another entry's seal, a checkpoint
// or entry signed by another key, or a truncated file do not.
func TestVerifyIssued(t *testing.T) {
	l := &Log{Store: newMemLog(), Signer: testSigner(t, 1)}
	v := verifierOf(t, l.Signer)
	const n = 1000
	pdfs := make([][]byte, n)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				pdfs[i] = issue(t, l, i)
			}
		}()
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i, pdf := range pdfs {
		got, err := Verify(pdf, v)
		if err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
		if got.Entry.Number != testEntry(i, nil).Number || seen[got.Index] {
			t.Fatalf("report %d verified as %s at %d", i, got.Entry.Number, got.Index)
		}
		seen[got.Index] = true
	}
	if m := l.Store.(*memLog); m.appends >= n {
		t.Errorf("%d reports in %d appends: never grouped", n, m.appends)
	}

	pdf := pdfs[10]
	// One byte changed anywhere: in the content, in the verification data,
	// in the update's structure.
	for _, at := range []int{0, 20, len(pdf) / 3, len(pdf) - 300, len(pdf) - 40, len(pdf) - 2} {
		bad := bytes.Clone(pdf)
		bad[at] ^= 0x01
		if _, err := Verify(bad, v); err == nil {
			t.Errorf("byte %d of %d changed: accepted", at, len(pdf))
		}
	}
	if _, err := Verify(pdf[:len(pdf)-10], v); err == nil {
		t.Error("truncated file accepted")
	}
	orig, seal, err := SplitSeal(pdf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(orig, v); err == nil {
		t.Error("the PDF without its seal accepted")
	}
	_, other, _ := SplitSeal(pdfs[11])
	reseal := func(s Seal) []byte {
		b, err := AddSeal(orig, s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// A proof for another entry (its proof and index, or its proof at ours).
	for _, s := range []Seal{
		{Version: 1, Title: seal.Title, Entry: seal.Entry, Index: other.Index, Checkpoint: other.Checkpoint, Proof: other.Proof},
		{Version: 1, Title: seal.Title, Entry: seal.Entry, Index: seal.Index, Checkpoint: seal.Checkpoint, Proof: other.Proof},
	} {
		if _, err := Verify(reseal(s), v); err == nil || !strings.Contains(err.Error(), "包含证明") {
			t.Errorf("proof of another entry: %v", err)
		}
	}
	// Another report's signed entry on this PDF.
	if _, err := Verify(reseal(Seal{Version: 1, Title: seal.Title, Entry: other.Entry, Index: other.Index, Checkpoint: other.Checkpoint,
		Proof: other.Proof}), v); err == nil || !strings.Contains(err.Error(), "摘要不一致") {
		t.Errorf("another report's entry: %v", err)
	}
	// A checkpoint signed by another key, and the whole log re-signed by it.
	forger := &Log{Store: l.Store, Signer: testSigner(t, 2)}
	cp, _, err := forger.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s2 := seal
	s2.Checkpoint = string(cp)
	if _, err := Verify(reseal(s2), v); err == nil || !strings.Contains(err.Error(), "检查点的签名无效") {
		t.Errorf("checkpoint of another key: %v", err)
	}
	forged := issue(t, forger, 5000)
	if _, err := Verify(forged, v); err == nil || !strings.Contains(err.Error(), "签名无效") {
		t.Errorf("report signed by another key: %v", err)
	}
	if _, err := Verify(forged, verifierOf(t, forger.Signer)); err != nil {
		t.Errorf("with its own key: %v", err)
	}
}

// TestLogConsistency: a later checkpoint proves consistency with every
// earlier one; rewriting an old entry is found, whether or not the
// rewriter recomputed the stored hashes.
func TestLogConsistency(t *testing.T) {
	ctx := context.Background()
	m := newMemLog()
	l := &Log{Store: m, Signer: testSigner(t, 1)}
	v := verifierOf(t, l.Signer)
	var checkpoints [][]byte
	for i := range 40 {
		issue(t, l, i)
		if i%7 == 0 {
			cp, _, err := l.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			checkpoints = append(checkpoints, cp)
		}
	}
	latest, tree, err := l.Checkpoint(ctx)
	if err != nil || tree.N != 40 {
		t.Fatalf("checkpoint %d %v", tree.N, err)
	}
	for _, cp := range checkpoints {
		old, err := OpenCheckpoint(cp, v)
		if err != nil {
			t.Fatal(err)
		}
		proof, err := l.Consistency(ctx, tree.N, old.Tree.N)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckTree(proof, tree.N, tree.Hash, old.Tree.N, old.Tree.Hash); err != nil {
			t.Fatalf("size %d → 40: %v", old.Tree.N, err)
		}
		if n, err := l.Check(ctx, cp); err != nil || n != 40 {
			t.Fatalf("Check against size %d: %d %v", old.Tree.N, n, err)
		}
	}
	if _, err := OpenCheckpoint(latest, v); err != nil {
		t.Fatal(err)
	}

	// Rewrite entry 3 (its as-of day) without touching the hashes.
	m.reports[3].Entry = bytes.Replace(m.reports[3].Entry, []byte("as-of 2026-12-05"), []byte("as-of 2026-11-05"), 1)
	if _, err := l.Check(ctx, nil); err == nil || !strings.Contains(err.Error(), "第 3 条") {
		t.Fatalf("rewritten entry, hashes as they were: %v", err)
	}
	// Now recompute every stored hash from the entries, as a rewriter with
	// the database would: the log is self-consistent again, but no longer
	// extends any checkpoint given out before.
	rebuilt := newMemLog()
	for _, r := range m.reports {
		r := r
		if _, err := rebuilt.AppendReports(ctx, []store.IssuedReport{r}, plan([]store.IssuedReport{r}), nil); err != nil {
			t.Fatal(err)
		}
	}
	l2 := &Log{Store: rebuilt, Signer: l.Signer}
	if _, err := l2.Check(ctx, nil); err != nil {
		t.Fatalf("rebuilt log: %v", err)
	}
	for _, cp := range checkpoints {
		old, _ := OpenCheckpoint(cp, v)
		if old.Tree.N <= 3 {
			if _, err := l2.Check(ctx, cp); err != nil {
				t.Errorf("checkpoint of size %d, before the entry: %v", old.Tree.N, err)
			}
			continue
		}
		if _, err := l2.Check(ctx, cp); err == nil || !strings.Contains(err.Error(), "不一致") {
			t.Errorf("checkpoint of size %d: rewrite not found: %v", old.Tree.N, err)
		}
	}
	// Entries deleted from the end: fewer than the checkpoint names.
	short := &memLog{reports: rebuilt.reports[:20], hashes: rebuilt.hashes}
	if _, err := (&Log{Store: short, Signer: l.Signer}).Check(ctx, latest); err == nil || !strings.Contains(err.Error(), "少于") {
		t.Errorf("truncated log: %v", err)
	}
}
