// Package exchange moves records between platforms (平台间信用信息交换):
// a platform's feed of every accepted record version, state change and
// repair, in commit order (Feed, served at /api/v1/feed), and the puller
// that applies a peer's feed here through the one intake path (Puller).
// Applying is idempotent by stamps: every log entry carries the time its
// version, state change or repair was made where it was first accepted;
// an entry no later than what is held here for the record is not applied
// again (and, when it is older and was never held, logged as a conflict:
// the deciding department's latest version wins).
package exchange

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
)

// Entry is one entry of the feed as sent.
type Entry struct {
	Seq         int64         `json:"seq" doc:"The entry's place in the feed: gap-free and in commit order."`
	Op          string        `json:"op" enum:"version,state,repair,subject" doc:"version: a record's new version (new, or corrected: 更正); state: revoked (撤销) or restored; repair: the repair day set (信用修复) or cleared; subject: a subject created or changed other than by filing a record (a rename, a commitment's promisor): its identity is in subject."`
	Kind        string        `json:"kind" doc:"The record's catalogue kind: cf, xk, sx, …"`
	Region      string        `json:"region" doc:"The subject's 6-digit administrative division code."`
	At          time.Time     `json:"at" doc:"The stamp: when this version, state change or repair was made where it was first accepted."`
	ReceivedAt  time.Time     `json:"received_at" doc:"When the version was first received (its intake time)."`
	State       string        `json:"state" enum:"active,corrected,revoked"`
	StateReason string        `json:"state_reason,omitempty"`
	RepairedOn  string        `json:"repaired_on,omitempty" doc:"The day (YYYY-MM-DD, China) the record was repaired; empty when not."`
	Values      []string      `json:"values,omitempty" doc:"The record's fields, in the order of the page's columns for its kind; personal identifiers are left out here."`
	Sealed      string        `json:"sealed,omitempty" doc:"The personal fields (JSON object), sealed with AES-256-GCM under a key derived from the peer's API key, or, for a peer authenticated by its client certificate alone, from the TLS connection's exported keying material; only for peers allowed personal data."`
	Subject     *SubjectEntry `json:"subject,omitempty" doc:"The subject of a subject entry, as it is when the page is read. A person's ID number is sealed (sealed: {\"id_number\": …})."`
	Home        bool          `json:"home,omitempty" doc:"The version is the deciding department's: made at the platform that is its home (by the region in its unified social credit code), or relayed from there. A version that is not never overrides one that is."`

	cols     map[string]int // the positions of Values by key (Page.Index)
	prepared *row           // the entry as a row of its kind here (Puller.prepare)
}

// Field is the value of the field key of a version entry ("" when none);
// the page must have been indexed (Page.Index).
func (e *Entry) Field(key string) string {
	if i, ok := e.cols[key]; ok && i < len(e.Values) {
		return e.Values[i]
	}
	return ""
}

// SubjectEntry is a subject as a subject entry carries it.
type SubjectEntry struct {
	Class       string       `json:"class" enum:"org,sole,person,gov" doc:"The subject's class: org 法人及非法人组织, sole 个体工商户, person 自然人, gov 政府机构."`
	USCC        string       `json:"uscc,omitempty" doc:"统一社会信用代码."`
	RegNo       string       `json:"reg_no,omitempty" doc:"工商注册号 of a sole trader without a USCC."`
	Name        string       `json:"name" doc:"The current name."`
	FormerNames []FormerName `json:"former_names,omitempty" doc:"Earlier names, oldest first."`
}

// FormerName is an earlier name of a subject.
type FormerName struct {
	Name string    `json:"name"`
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to"`
}

// Page is a page of the feed. Records' fields are arrays in the order of
// Columns (not objects), which makes a page about half as costly to
// encode and decode.
type Page struct {
	Columns map[string][]string `json:"columns" doc:"Per kind, the catalogue keys of its entries' values, in order."`
	Entries []Entry             `json:"entries"`
	Next    int64               `json:"next" doc:"The cursor to resume from (since=next); it advances past entries examined that were not for this peer."`
	Head    int64               `json:"head" doc:"The last entry of the feed: head - next is the peer's lag."`
	Skipped int                 `json:"skipped" doc:"Entries left out of this page because they carry personal data the peer may not receive."`
}

// Index gives each entry the positions of its kind's columns, for
// Entry.Field.
func (p *Page) Index() {
	idx := make(map[string]map[string]int, len(p.Columns))
	for kind, cols := range p.Columns {
		m := make(map[string]int, len(cols))
		for i, k := range cols {
			m[k] = i
		}
		idx[kind] = m
	}
	for i := range p.Entries {
		p.Entries[i].cols = idx[p.Entries[i].Kind]
	}
}

// sealKey derives the AES-256 key of sealed fields from an API client's
// secret hash (auth.TokenHash of its secret): the server holds the hash,
// the peer computes it from its key.
func sealKey(secretSum []byte) []byte {
	h := sha256.New()
	h.Write([]byte("xinyong exchange seal v1\x00"))
	h.Write(secretSum)
	return h.Sum(nil)
}

func gcm(secretSum []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(sealKey(secretSum))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// seal encrypts the personal fields of entry seq.
func seal(secretSum []byte, seq int64, private map[string]string) (string, error) {
	a, err := gcm(secretSum)
	if err != nil {
		return "", err
	}
	plain, err := json.Marshal(private)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, a.NonceSize())
	rand.Read(nonce)
	out := a.Seal(nonce, nonce, plain, []byte(strconv.FormatInt(seq, 10)))
	return base64.StdEncoding.EncodeToString(out), nil
}

// unseal opens sealed personal fields of entry seq.
func unseal(secretSum []byte, seq int64, sealed string) (map[string]string, error) {
	if sealed == "" {
		return nil, nil
	}
	a, err := gcm(secretSum)
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < a.NonceSize() {
		return nil, errors.New("个人信息密文格式不正确")
	}
	plain, err := a.Open(nil, b[:a.NonceSize()], b[a.NonceSize():], []byte(strconv.FormatInt(seq, 10)))
	if err != nil {
		return nil, errors.New("个人信息密文无法解开（密钥不符或被篡改）")
	}
	var m map[string]string
	if err := jsonv2.Unmarshal(plain, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// stamp is a time as the feed carries it: microseconds, UTC (what both
// databases keep).
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
