package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf16"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// A report's PDF carries what verifies it: the signed entry, its index in
// the log, a signed checkpoint of the log after it and the inclusion proof
// against that checkpoint. They are added to the finished PDF as an
// incremental update (PDF 1.7 §7.5.6), so that the bytes the entry's
// SHA-256 covers stay exactly as they were: a comment line marking the
// update, a new document information dictionary holding the verification
// data, its cross-reference section and a trailer pointing back at the
// original's. The update is a function of the original and the
// verification data alone, so a verifier rebuilds it and compares: any
// byte changed anywhere in the file is found.

// marker starts the incremental update.
const marker = "%xinyong-report-verification v1\n"

// Seal is the verification data a PDF carries.
type Seal struct {
	Version    int      `json:"v"`
	Title      string   `json:"title"`
	Entry      string   `json:"entry"`      // the signed entry (a note)
	Index      int64    `json:"index"`      // the entry's position in the log
	Checkpoint string   `json:"checkpoint"` // a signed checkpoint of the log including it
	Proof      []string `json:"proof"`      // base64 hashes: tlog.RecordProof
}

var (
	reStartxref = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	reSize      = regexp.MustCompile(`/Size\s+(\d+)`)
	reRoot      = regexp.MustCompile(`/Root\s+(\d+\s+\d+\s+R)`)
	reID        = regexp.MustCompile(`/ID\s*\[[^\]]*\]`)
)

// trailerOf reads what an update needs of the original's last trailer.
func trailerOf(pdf []byte) (size int, root, id string, prev int, err error) {
	m := reStartxref.FindSubmatch(pdf)
	t := bytes.LastIndex(pdf, []byte("trailer"))
	if m == nil || t < 0 {
		return 0, "", "", 0, errors.New("PDF 文件结构不完整（没有 trailer 或 startxref）")
	}
	tr := pdf[t:]
	sm, rm := reSize.FindSubmatch(tr), reRoot.FindSubmatch(tr)
	if sm == nil || rm == nil {
		return 0, "", "", 0, errors.New("PDF 文件的 trailer 缺少 /Size 或 /Root")
	}
	size, _ = strconv.Atoi(string(sm[1]))
	prev, _ = strconv.Atoi(string(m[1]))
	return size, string(rm[1]), string(reID.Find(tr)), prev, nil
}

// pdfText is s as a PDF text string (UTF-16BE with a byte-order mark, hex).
func pdfText(s string) string {
	var b bytes.Buffer
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}

// update builds the incremental update that adds seal to the original.
func update(original []byte, seal Seal) ([]byte, error) {
	size, root, id, prev, err := trailerOf(original)
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(seal)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(marker)
	objAt := len(original) + b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n<< /Title %s /Producer (xinyong) /XinyongVerification (%s) >>\nendobj\n",
		size, pdfText(seal.Title), base64.StdEncoding.EncodeToString(js))
	xrefAt := len(original) + b.Len()
	fmt.Fprintf(&b, "xref\n%d 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root %s /Info %d 0 R /Prev %d", size, objAt, size+1, root, size, prev)
	if id != "" {
		b.WriteString(" " + id)
	}
	fmt.Fprintf(&b, " >>\nstartxref\n%d\n%%%%EOF\n", xrefAt)
	return b.Bytes(), nil
}

// AddSeal returns the original PDF with seal added.
func AddSeal(original []byte, seal Seal) ([]byte, error) {
	u, err := update(original, seal)
	if err != nil {
		return nil, err
	}
	return append(append(make([]byte, 0, len(original)+len(u)), original...), u...), nil
}

var reSeal = regexp.MustCompile(`/XinyongVerification \(([A-Za-z0-9+/=]*)\)`)

// SplitSeal finds the verification data in a PDF and returns the original
// it was added to.
func SplitSeal(pdf []byte) (original []byte, seal Seal, err error) {
	i := bytes.LastIndex(pdf, []byte("\n"+marker))
	if i < 0 {
		return nil, Seal{}, errors.New("文件中没有本平台信用报告的验证信息（不是本平台签发的报告，或已被其他软件另存）")
	}
	original, tail := pdf[:i+1], pdf[i+1:]
	m := reSeal.FindSubmatch(tail)
	if m == nil {
		return nil, Seal{}, errors.New("验证信息不完整（文件被截断或改动）")
	}
	js, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err == nil {
		err = json.Unmarshal(js, &seal)
	}
	if err != nil || seal.Version != 1 {
		return nil, Seal{}, errors.New("验证信息格式不正确（文件被改动）")
	}
	want, err := update(original, seal)
	if err != nil {
		return nil, Seal{}, err
	}
	if !bytes.Equal(want, tail) {
		return nil, Seal{}, errors.New("验证信息部分与签发时不一致（文件末尾被改动）")
	}
	return original, seal, nil
}

// Verified is what a genuine report's verification established.
type Verified struct {
	Entry      Entry
	EntryText  string
	Index      int64
	Tree       tlog.Tree
	Checkpoint []byte
}

// Verify checks a report's PDF completely offline against the platform's
// verifier key: the file is whole (the update rebuilt byte for byte), the
// entry is signed by the key and names the SHA-256 of the PDF as issued,
// the checkpoint is signed by the key, and the proof shows the entry at
// its index in the log that checkpoint names. Each failure says in Chinese
// what failed.
func Verify(pdf []byte, v note.Verifier) (Verified, error) {
	original, seal, err := SplitSeal(pdf)
	if err != nil {
		return Verified{}, err
	}
	e, text, err := OpenEntry([]byte(seal.Entry), v)
	if err != nil {
		return Verified{}, err
	}
	if sha256.Sum256(original) != e.SHA256 {
		return Verified{}, fmt.Errorf("报告内容与签名记录的摘要不一致：文件在签发后被改动（报告编号 %s）", e.Number)
	}
	c, err := OpenCheckpoint([]byte(seal.Checkpoint), v)
	if err != nil {
		return Verified{}, err
	}
	proof := make(tlog.RecordProof, len(seal.Proof))
	for i, p := range seal.Proof {
		b, err := base64.StdEncoding.DecodeString(p)
		if err != nil || len(b) != tlog.HashSize {
			return Verified{}, errors.New("日志包含证明格式不正确")
		}
		copy(proof[i][:], b)
	}
	if seal.Index < 0 || seal.Index >= c.Tree.N {
		return Verified{}, fmt.Errorf("日志包含证明不成立：第 %d 条不在大小为 %d 的日志中", seal.Index, c.Tree.N)
	}
	if err := tlog.CheckRecord(proof, c.Tree.N, c.Tree.Hash, seal.Index, tlog.RecordHash([]byte(text))); err != nil {
		return Verified{}, fmt.Errorf("日志包含证明不成立：该报告的条目不在检查点所记录的日志第 %d 条（%v）", seal.Index, err)
	}
	return Verified{Entry: e, EntryText: text, Index: seal.Index, Tree: c.Tree, Checkpoint: []byte(seal.Checkpoint)}, nil
}

// newSeal makes the verification data of a report from its receipt.
func newSeal(title string, signedEntry []byte, r Receipt) Seal {
	s := Seal{Version: 1, Title: title, Entry: string(signedEntry), Index: r.Index, Checkpoint: string(r.Checkpoint),
		Proof: make([]string, len(r.Proof))}
	for i, h := range r.Proof {
		s.Proof[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return s
}
