package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/store"
)

// The log of issued reports is a Merkle tree over their entries, kept with
// golang.org/x/mod/sumdb/tlog (the Go checksum database's log: RFC 6962
// hashing, stored hashes by tlog storage index, record and tree proofs);
// this file only formats entries and checkpoints and stores hashes.

// entryHeader is the first line of every entry: it names the format, and
// keeps an entry from ever reading as a checkpoint signed by the same key.
const entryHeader = "xinyong credit report v1"

// Entry is what the log records of an issued report and the platform
// signs: enough to tell a copy of the PDF from any other file, and what it
// covered. For a person it holds the masked ID number only: entries are
// public (GET /api/v1/reports/{number}).
type Entry struct {
	Number  string
	Kind    string // store.ReportOrg or store.ReportPerson
	Subject string // USCC, registration number, or a person's masked ID number
	Name    string // an organisation's name ("" for a person)
	AsOf    calendar.Date
	Issued  time.Time
	SHA256  [sha256.Size]byte // of the PDF before its verification data was added
}

// Text is the entry as the log hashes and the platform signs it.
func (e Entry) Text() string {
	var b strings.Builder
	b.WriteString(entryHeader + "\n")
	line := func(k, v string) { b.WriteString(k + " " + v + "\n") }
	line("number", e.Number)
	line("kind", e.Kind)
	line("subject", e.Subject)
	if e.Name != "" {
		line("name", e.Name)
	}
	line("as-of", e.AsOf.String())
	line("issued", e.Issued.UTC().Format(time.RFC3339))
	line("sha256", hex.EncodeToString(e.SHA256[:]))
	return b.String()
}

// ParseEntry reads an entry's text.
func ParseEntry(text string) (Entry, error) {
	bad := func(why string) (Entry, error) { return Entry{}, fmt.Errorf("日志条目格式不正确：%s", why) }
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 7 || lines[0] != entryHeader || !strings.HasSuffix(text, "\n") {
		return bad("不是本平台的报告条目")
	}
	var e Entry
	keys := []string{"number", "kind", "subject", "name", "as-of", "issued", "sha256"}
	i := 1
	for _, k := range keys {
		if i >= len(lines) {
			return bad("缺少 " + k)
		}
		key, v, _ := strings.Cut(lines[i], " ")
		if key != k {
			if k == "name" {
				continue
			}
			return bad("缺少 " + k)
		}
		i++
		switch k {
		case "number":
			e.Number = v
		case "kind":
			e.Kind = v
		case "subject":
			e.Subject = v
		case "name":
			e.Name = v
		case "as-of":
			d, err := calendar.ParseDate(v)
			if err != nil {
				return bad("as-of")
			}
			e.AsOf = d
		case "issued":
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return bad("issued")
			}
			e.Issued = t
		case "sha256":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return bad("sha256")
			}
			copy(e.SHA256[:], b)
		}
	}
	if i != len(lines) || e.Number == "" || (e.Kind != store.ReportOrg && e.Kind != store.ReportPerson) {
		return bad("多余或缺少的行")
	}
	return e, nil
}

// Checkpoint is a signed statement of the log's size and root hash, in the
// C2SP tlog-checkpoint layout: origin, size, base64 root hash.
type Checkpoint struct {
	Origin string
	Tree   tlog.Tree
}

// Origin is the first line of the platform's checkpoints.
const Origin = "xinyong-reports"

// Text is the checkpoint's body as signed.
func (c Checkpoint) Text() string {
	return c.Origin + "\n" + strconv.FormatInt(c.Tree.N, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Tree.Hash[:]) + "\n"
}

// OpenCheckpoint checks a signed checkpoint against the verifier and reads
// it.
func OpenCheckpoint(signed []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("日志检查点的签名无效（不是该验证公钥签发的）：%w", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != Origin {
		return Checkpoint{}, errors.New("日志检查点格式不正确")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	h, herr := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || size < 0 || herr != nil || len(h) != tlog.HashSize {
		return Checkpoint{}, errors.New("日志检查点格式不正确")
	}
	c := Checkpoint{Origin: lines[0], Tree: tlog.Tree{N: size}}
	copy(c.Tree.Hash[:], h)
	return c, nil
}

// OpenEntry checks a signed entry against the verifier and reads it.
func OpenEntry(signed []byte, v note.Verifier) (Entry, string, error) {
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Entry{}, "", fmt.Errorf("报告签名无效（不是该验证公钥签发的，或签名内容被改动）：%w", err)
	}
	e, err := ParseEntry(n.Text)
	return e, n.Text, err
}

// Log appends issued reports to the Merkle log and proves what it holds.
// Appends are committed in groups: callers queue, one writer takes every
// report waiting (at most maxGroup), stores them in one transaction and
// signs one checkpoint for the group; each caller gets its index, that
// checkpoint and its inclusion proof. Safe for concurrent use.
type Log struct {
	Store  store.ReportStore
	Signer *Signer

	mu      sync.Mutex
	queue   []*pending
	running bool
}

// maxGroup bounds how many reports one transaction appends.
const maxGroup = 256

type pending struct {
	rep    store.IssuedReport
	audits []auth.AuditEntry
	done   chan struct{}
	res    Receipt
	err    error
}

// Receipt is what an append gives back: where the report is in the log
// and the proof of it, against a checkpoint of the log signed after it.
type Receipt struct {
	Index      int64
	Checkpoint []byte // signed
	Tree       tlog.Tree
	Proof      tlog.RecordProof
}

// reader reads stored hashes from the store.
func (l *Log) reader(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		bs, err := l.Store.ReportLogHashes(ctx, indexes)
		if err != nil {
			return nil, err
		}
		return toHashes(bs)
	})
}

func toHashes(bs [][]byte) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(bs))
	for i, b := range bs {
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("report log: stored hash of %d bytes", len(b))
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// Append appends a report (its Entry set, Index left to the log) with the
// audit entries to write with it, and returns its receipt once committed.
// A caller whose ctx ends first gets its error; the report may then still
// be appended.
func (l *Log) Append(ctx context.Context, rep store.IssuedReport, audits []auth.AuditEntry) (Receipt, error) {
	p := &pending{rep: rep, audits: audits, done: make(chan struct{})}
	l.mu.Lock()
	l.queue = append(l.queue, p)
	start := !l.running
	l.running = true
	l.mu.Unlock()
	if start {
		go l.run()
	}
	select {
	case <-p.done:
		return p.res, p.err
	case <-ctx.Done():
		return Receipt{}, ctx.Err()
	}
}

// run commits groups until the queue is empty.
func (l *Log) run() {
	for {
		l.mu.Lock()
		n := min(len(l.queue), maxGroup)
		if n == 0 {
			l.running = false
			l.mu.Unlock()
			return
		}
		group := l.queue[:n:n]
		l.queue = l.queue[n:]
		l.mu.Unlock()
		l.commit(group)
	}
}

// groupTimeout bounds one group's transaction and proofs.
const groupTimeout = 30 * time.Second

func (l *Log) commit(group []*pending) {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	fail := func(err error) {
		for _, p := range group {
			p.err = err
			close(p.done)
		}
	}
	reps := make([]store.IssuedReport, len(group))
	var audits []auth.AuditEntry
	for i, p := range group {
		reps[i] = p.rep
		audits = append(audits, p.audits...)
	}
	size, err := l.Store.AppendReports(ctx, reps, plan(reps), audits)
	if err != nil && len(group) > 1 {
		// One bad report (a number taken) fails only its caller.
		for _, p := range group {
			l.commit([]*pending{p})
		}
		return
	}
	if err != nil {
		fail(err)
		return
	}
	r := l.reader(ctx)
	th, err := tlog.TreeHash(size, r)
	if err != nil {
		fail(fmt.Errorf("report log: tree hash: %w", err))
		return
	}
	tree := tlog.Tree{N: size, Hash: th}
	signed, err := l.Signer.signNote(Checkpoint{Origin: Origin, Tree: tree}.Text())
	if err != nil {
		fail(err)
		return
	}
	for i, p := range group {
		proof, err := tlog.ProveRecord(size, reps[i].Index, r)
		p.res, p.err = Receipt{Index: reps[i].Index, Checkpoint: signed, Tree: tree, Proof: proof}, err
		close(p.done)
	}
}

// plan computes the tree hashes to store for reps, appended in order after
// size entries: tlog's stored hashes of each, reading earlier ones through
// read and those of the group from memory.
func plan(reps []store.IssuedReport) store.ReportHashes {
	return func(size int64, read func([]int64) ([][]byte, error)) ([]int64, [][]byte, error) {
		fresh := map[int64]tlog.Hash{}
		r := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(indexes))
			var missing []int64
			for _, ix := range indexes {
				if _, ok := fresh[ix]; !ok {
					missing = append(missing, ix)
				}
			}
			got := map[int64]tlog.Hash{}
			if len(missing) > 0 {
				bs, err := read(missing)
				if err != nil {
					return nil, err
				}
				hs, err := toHashes(bs)
				if err != nil {
					return nil, err
				}
				for i, ix := range missing {
					got[ix] = hs[i]
				}
			}
			for i, ix := range indexes {
				if h, ok := fresh[ix]; ok {
					out[i] = h
				} else {
					out[i] = got[ix]
				}
			}
			return out, nil
		})
		var idx []int64
		var hs [][]byte
		for i, rep := range reps {
			n := size + int64(i)
			stored, err := tlog.StoredHashesForRecordHash(n, tlog.RecordHash(rep.Entry), r)
			if err != nil {
				return nil, nil, fmt.Errorf("report log: hashes of entry %d: %w", n, err)
			}
			at := tlog.StoredHashIndex(0, n)
			for j, h := range stored {
				fresh[at+int64(j)] = h
				idx = append(idx, at+int64(j))
				hs = append(hs, bytes.Clone(h[:]))
			}
		}
		return idx, hs, nil
	}
}

// Checkpoint signs the log's current size and root hash.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, tlog.Tree, error) {
	size, err := l.Store.ReportLogSize(ctx)
	if err != nil {
		return nil, tlog.Tree{}, err
	}
	var th tlog.Hash
	if size > 0 {
		if th, err = tlog.TreeHash(size, l.reader(ctx)); err != nil {
			return nil, tlog.Tree{}, err
		}
	}
	tree := tlog.Tree{N: size, Hash: th}
	signed, err := l.Signer.signNote(Checkpoint{Origin: Origin, Tree: tree}.Text())
	return signed, tree, err
}

// Consistency proves that the log of size n is a prefix of the log of
// size t (n ≤ t ≤ the current size).
func (l *Log) Consistency(ctx context.Context, t, n int64) (tlog.TreeProof, error) {
	return tlog.ProveTree(t, n, l.reader(ctx))
}

// Inclusion proves that entry n is in the log of size t.
func (l *Log) Inclusion(ctx context.Context, t, n int64) (tlog.RecordProof, error) {
	return tlog.ProveRecord(t, n, l.reader(ctx))
}

// Check recomputes the log from its entries: every stored hash must be
// what tlog derives from the entries before it (so a rewritten entry, or a
// stored hash changed, is found), and, given a checkpoint signed earlier
// (nil: none), the log must still extend the tree it names. It returns the
// log's size.
func (l *Log) Check(ctx context.Context, earlier []byte) (int64, error) {
	r := l.reader(ctx)
	var n int64
	for {
		reps, err := l.Store.ReportsFrom(ctx, n, 1000)
		if err != nil {
			return n, err
		}
		for _, rep := range reps {
			if rep.Index != n {
				return n, fmt.Errorf("日志第 %d 条缺失（下一条为第 %d 条）", n, rep.Index)
			}
			want, err := tlog.StoredHashesForRecordHash(n, tlog.RecordHash(rep.Entry), r)
			if err != nil {
				return n, fmt.Errorf("日志第 %d 条：%w", n, err)
			}
			at := tlog.StoredHashIndex(0, n)
			idx := make([]int64, len(want))
			for j := range want {
				idx[j] = at + int64(j)
			}
			got, err := r.ReadHashes(idx)
			if err != nil {
				return n, fmt.Errorf("日志第 %d 条的哈希：%w", n, err)
			}
			for j := range want {
				if got[j] != want[j] {
					return n, fmt.Errorf("日志第 %d 条（报告 %s）与日志中保存的哈希不符：条目或哈希在写入后被改动", n, rep.Number)
				}
			}
			n++
		}
		if len(reps) < 1000 {
			break
		}
	}
	if len(earlier) > 0 {
		c, err := OpenCheckpoint(earlier, l.verifier())
		if err != nil {
			return n, err
		}
		if c.Tree.N > n {
			return n, fmt.Errorf("日志只有 %d 条，少于检查点记录的 %d 条：条目被删除", n, c.Tree.N)
		}
		th, err := tlog.TreeHash(n, r)
		if err != nil {
			return n, err
		}
		proof, err := tlog.ProveTree(n, c.Tree.N, r)
		if err == nil {
			err = tlog.CheckTree(proof, n, th, c.Tree.N, c.Tree.Hash)
		}
		if err != nil {
			return n, fmt.Errorf("当前日志与 %d 条时的检查点不一致：已签发的条目被改写：%w", c.Tree.N, err)
		}
	}
	return n, nil
}

// verifier is the signer's own verifier.
func (l *Log) verifier() note.Verifier {
	v, err := note.NewVerifier(l.Signer.VerifierKey())
	if err != nil {
		panic(err) // made from the key itself
	}
	return v
}
