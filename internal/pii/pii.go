// Package pii protects personal identifiers at rest: it encrypts them with
// AES-256-GCM and derives a keyed hash (HMAC-SHA-256) through which a store
// finds a subject without ever holding the identifier in clear.
//
// Keys are enveloped. The master key is 32 bytes, given base64- or
// hex-encoded in XINYONG_DATA_KEY (or the file named by
// XINYONG_DATA_KEY_FILE, or DATA/data.key). It only wraps the sub-keys,
// which the database keeps (wrap.go): one or more encryption keys, each
// with a one-byte id and one of them primary, the lookup-hash key and the
// audit-chain key. Changing the master key re-wraps the sub-keys; changing
// the encryption key means re-encrypting every ciphertext.
//
// A Keyring is made from the master key (NewMaster) before its sub-keys
// are known, handed to the stores, and loaded afterwards (Unlock). Once
// loaded it is safe for concurrent use; changes (AddEncryptionKey,
// DropOldEncryptionKeys) replace its sub-keys atomically.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// KeySize is the size of a master key, and of every sub-key, in bytes.
const KeySize = 32

// HKDF labels. The first three derive the sub-keys of a database written
// before envelope encryption (and of New); the last derives the key that
// wraps the sub-keys.
const (
	labelEncrypt = "xinyong pii encryption v1"
	labelLookup  = "xinyong pii lookup v1"
	labelAudit   = "xinyong audit chain v1"
	labelWrap    = "xinyong key wrapping v1"
)

// legacyID is the id of the encryption key derived the old way: the byte
// every ciphertext of that time starts with.
const legacyID byte = 1

// ErrWrongKey is returned (wrapped) when the master key does not open the
// stored sub-keys, or is not the key a database was written with.
var ErrWrongKey = errors.New("pii: the master key does not open the stored data keys")

// Keyring encrypts, decrypts and hashes personal identifiers.
type Keyring struct {
	master []byte
	kek    cipher.AEAD // wraps the sub-keys; derived from master
	keys   atomic.Pointer[subKeys]
}

// subKeys is one immutable generation of sub-keys.
type subKeys struct {
	primary byte
	enc     map[byte][]byte // raw encryption keys by id, for wrapping
	aead    [256]cipher.AEAD
	lookup  []byte
	audit   []byte
	// sign is the Ed25519 key that signs issued credit reports and the
	// checkpoints of their log (nil in a database that has none yet: see
	// AddSigningKey).
	sign ed25519.PrivateKey
	macs *sync.Pool // of HMAC-SHA-256 states keyed with lookup
}

// NewMaster makes a keyring from a 32-byte master key. It holds no
// sub-keys yet: load them with Unlock before use.
func NewMaster(master []byte) (*Keyring, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("data key must be %d bytes, got %d", KeySize, len(master))
	}
	kek, err := hkdf.Key(sha256.New, master, nil, labelWrap, KeySize)
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(kek)
	if err != nil {
		return nil, err
	}
	return &Keyring{master: slices.Clone(master), kek: aead}, nil
}

// New makes a ready keyring whose sub-keys are derived from master as
// before envelope encryption (encryption key id 1). Tests and tools that
// need a keyring without a database use it; the binary uses NewMaster and
// Unlock.
func New(master []byte) (*Keyring, error) {
	k, err := NewMaster(master)
	if err != nil {
		return nil, err
	}
	sk, err := k.legacy()
	if err != nil {
		return nil, err
	}
	k.keys.Store(sk)
	return k, nil
}

// WithMaster returns a keyring holding the same sub-keys under another
// master key (nil: the same one), whose changes do not touch k: what a
// master-key rotation wraps and stores.
func (k *Keyring) WithMaster(master []byte) (*Keyring, error) {
	sk, err := k.loaded()
	if err != nil {
		return nil, err
	}
	if master == nil {
		master = k.master
	}
	nk, err := NewMaster(master)
	if err != nil {
		return nil, err
	}
	nk.keys.Store(sk)
	return nk, nil
}

// Loaded reports whether the sub-keys are loaded.
func (k *Keyring) Loaded() bool { return k.keys.Load() != nil }

func (k *Keyring) loaded() (*subKeys, error) {
	sk := k.keys.Load()
	if sk == nil {
		return nil, errors.New("pii: keyring used before its data keys were loaded")
	}
	return sk, nil
}

func (k *Keyring) mustLoaded() *subKeys {
	sk, err := k.loaded()
	if err != nil {
		panic(err)
	}
	return sk
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// newSubKeys checks a set of sub-keys and builds its ciphers. sign is the
// seed of the Ed25519 signing key (nil: none).
func newSubKeys(primary byte, enc map[byte][]byte, lookup, audit, sign []byte) (*subKeys, error) {
	if len(lookup) != KeySize || len(audit) != KeySize {
		return nil, errors.New("pii: bad lookup or audit key size")
	}
	if sign != nil && len(sign) != ed25519.SeedSize {
		return nil, errors.New("pii: bad signing key size")
	}
	if _, ok := enc[primary]; !ok {
		return nil, fmt.Errorf("pii: primary encryption key %d missing", primary)
	}
	sk := &subKeys{primary: primary, enc: enc, lookup: lookup, audit: audit}
	if sign != nil {
		sk.sign = ed25519.NewKeyFromSeed(sign)
	}
	for id, key := range enc {
		if id == 0 || len(key) != KeySize {
			return nil, fmt.Errorf("pii: bad encryption key %d", id)
		}
		a, err := newAEAD(key)
		if err != nil {
			return nil, err
		}
		sk.aead[id] = a
	}
	sk.macs = &sync.Pool{New: func() any { return hmac.New(sha256.New, lookup) }}
	return sk, nil
}

// legacy derives the sub-keys the way releases before envelope encryption
// did.
func (k *Keyring) legacy() (*subKeys, error) {
	var keys [3][]byte
	for i, label := range []string{labelEncrypt, labelLookup, labelAudit} {
		b, err := hkdf.Key(sha256.New, k.master, nil, label, KeySize)
		if err != nil {
			return nil, err
		}
		keys[i] = b
	}
	return newSubKeys(legacyID, map[byte][]byte{legacyID: keys[0]}, keys[1], keys[2], nil)
}

func randomKey() []byte {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return b
}

// fresh makes random sub-keys (encryption key id 1) with a signing key.
func fresh() (*subKeys, error) {
	return newSubKeys(1, map[byte][]byte{1: randomKey()}, randomKey(), randomKey(), randomKey())
}

// seed is the signing key's seed, or nil.
func (sk *subKeys) seed() []byte {
	if sk.sign == nil {
		return nil
	}
	return sk.sign.Seed()
}

// LegacyFingerprint is the fingerprint releases before envelope encryption
// stored (setting data_key_fingerprint) to refuse another master key.
func (k *Keyring) LegacyFingerprint() string {
	sk, err := k.legacy()
	if err != nil {
		return ""
	}
	m := hmac.New(sha256.New, sk.lookup)
	io.WriteString(m, "xinyong data key fingerprint")
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// EncryptionKeys returns the ids of the encryption keys held, in order,
// and the primary one's.
func (k *Keyring) EncryptionKeys() (ids []byte, primary byte) {
	sk := k.mustLoaded()
	return sk.ids(), sk.primary
}

func (sk *subKeys) ids() []byte {
	ids := make([]byte, 0, len(sk.enc))
	for id := range sk.enc {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// AddEncryptionKey adds a random encryption key under the next free id
// (after the highest, else the lowest free of 1..255) and makes it
// primary: Encrypt uses it from now on, Decrypt still opens the others.
func (k *Keyring) AddEncryptionKey() (byte, error) {
	sk, err := k.loaded()
	if err != nil {
		return 0, err
	}
	ids := sk.ids()
	highest := int(ids[len(ids)-1])
	var id byte
	for i := 1; i <= 255 && id == 0; i++ {
		if c := byte((highest+i-1)%255 + 1); sk.enc[c] == nil {
			id = c
		}
	}
	if id == 0 {
		return 0, errors.New("pii: all 255 encryption key ids are in use")
	}
	enc := maps.Clone(sk.enc)
	enc[id] = randomKey()
	nk, err := newSubKeys(id, enc, sk.lookup, sk.audit, sk.seed())
	if err != nil {
		return 0, err
	}
	k.keys.Store(nk)
	return id, nil
}

// DropOldEncryptionKeys forgets every encryption key but the primary one:
// done once no ciphertext under them is left.
func (k *Keyring) DropOldEncryptionKeys() error {
	sk, err := k.loaded()
	if err != nil {
		return err
	}
	nk, err := newSubKeys(sk.primary, map[byte][]byte{sk.primary: sk.enc[sk.primary]}, sk.lookup, sk.audit, sk.seed())
	if err != nil {
		return err
	}
	k.keys.Store(nk)
	return nil
}

// SigningKey returns the Ed25519 key that signs issued credit reports and
// their log's checkpoints, and whether the keyring holds one (a database
// from before reports gets one from store.LoadKeys).
func (k *Keyring) SigningKey() (ed25519.PrivateKey, bool) {
	sk := k.mustLoaded()
	return sk.sign, sk.sign != nil
}

// AddSigningKey gives a keyring without a signing key a random one; one
// that holds a key keeps it (a signing key is never replaced: reports
// signed with it stay verifiable).
func (k *Keyring) AddSigningKey() error {
	sk, err := k.loaded()
	if err != nil {
		return err
	}
	if sk.sign != nil {
		return nil
	}
	nk, err := newSubKeys(sk.primary, sk.enc, sk.lookup, sk.audit, randomKey())
	if err != nil {
		return err
	}
	k.keys.Store(nk)
	return nil
}

// ParseKey decodes a master key written as base64 (standard or URL
// alphabet, padded or not) or as 64 hex digits.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("data key must decode to %d bytes, got %d", KeySize, len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("data key is neither base64 nor 64 hex digits")
}

// NewKey returns a fresh random master key, base64-encoded.
func NewKey() string {
	return base64.StdEncoding.EncodeToString(randomKey())
}

// WriteKeyFile writes key, base64-encoded, to a new file at path (mode
// 0600; an existing file is an error) and syncs it to disk.
func WriteKeyFile(path string, key []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create data key file: %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// LoadOrCreateKeyFile reads the key in path, or, when the file does not
// exist, writes a new random key there (mode 0600) and reports created.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k := randomKey()
		if err := WriteKeyFile(path, k); err != nil {
			return nil, false, err
		}
		return k, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read data key file: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, false, fmt.Errorf("data key file %s: %w", path, err)
	}
	return k, false, nil
}

// Encrypt seals plaintext under the primary encryption key. Every call
// uses a fresh nonce, so equal inputs give different ciphertexts; use Hash
// to look a value up. The ciphertext is the key's id (one byte), the nonce
// and the sealed data, authenticated with the id byte as additional data.
func (k *Keyring) Encrypt(plaintext string) []byte {
	return seal(k.mustLoaded(), []byte(plaintext))
}

func seal(sk *subKeys, plaintext []byte) []byte {
	aead := sk.aead[sk.primary]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	out := make([]byte, 0, 1+len(nonce)+len(plaintext)+aead.Overhead())
	out = append(out, sk.primary)
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plaintext, []byte{sk.primary})
}

// Decrypt opens a value sealed by Encrypt under any encryption key the
// keyring holds.
func (k *Keyring) Decrypt(ciphertext []byte) (string, error) {
	sk, err := k.loaded()
	if err != nil {
		return "", err
	}
	pt, err := open(sk, ciphertext)
	return string(pt), err
}

func open(sk *subKeys, ciphertext []byte) ([]byte, error) {
	if len(ciphertext) < 1 {
		return nil, errors.New("pii: malformed ciphertext")
	}
	id := ciphertext[0]
	aead := sk.aead[id]
	if aead == nil {
		return nil, fmt.Errorf("pii: ciphertext is under encryption key %d, which the keyring does not hold (it holds %v)", id, sk.ids())
	}
	ns := aead.NonceSize()
	if len(ciphertext) < 1+ns+aead.Overhead() {
		return nil, errors.New("pii: malformed ciphertext")
	}
	pt, err := aead.Open(nil, ciphertext[1:1+ns], ciphertext[1+ns:], ciphertext[:1])
	if err != nil {
		return nil, errors.New("pii: cannot decrypt (wrong data key?)")
	}
	return pt, nil
}

// Reencrypt returns ciphertext sealed anew under the primary encryption
// key, or nil when it already is.
func (k *Keyring) Reencrypt(ciphertext []byte) ([]byte, error) {
	sk, err := k.loaded()
	if err != nil {
		return nil, err
	}
	if len(ciphertext) > 0 && ciphertext[0] == sk.primary {
		return nil, nil
	}
	pt, err := open(sk, ciphertext)
	if err != nil {
		return nil, err
	}
	out := seal(sk, pt)
	clear(pt)
	return out, nil
}

// Hash is the keyed lookup hash of a value: equal values give equal hashes
// under one lookup key, and nobody without the key can test a guess.
func (k *Keyring) Hash(value string) []byte {
	sk := k.mustLoaded()
	m := sk.macs.Get().(hash.Hash)
	m.Reset()
	io.WriteString(m, value)
	sum := m.Sum(make([]byte, 0, sha256.Size))
	sk.macs.Put(m)
	return sum
}

// HashBytes is Hash of a value held in bytes, without copying it into a
// string first (intake hashes every record's canonical content).
func (k *Keyring) HashBytes(value []byte) []byte {
	sk := k.mustLoaded()
	m := sk.macs.Get().(hash.Hash)
	m.Reset()
	m.Write(value)
	sum := m.Sum(make([]byte, 0, sha256.Size))
	sk.macs.Put(m)
	return sum
}

// ChainMAC links an entry to its predecessor in a tamper-evident chain:
// HMAC-SHA-256 under the audit key over prev followed by entry. prev is the
// previous entry's MAC (fixed size; empty for the first entry), so the
// concatenation is unambiguous.
func (k *Keyring) ChainMAC(prev, entry []byte) []byte {
	m := hmac.New(sha256.New, k.mustLoaded().audit)
	m.Write(prev)
	m.Write(entry)
	return m.Sum(nil)
}

// labelCheckpoint derives the checkpoint key from the audit key.
const labelCheckpoint = "xinyong audit checkpoint v1"

// CheckpointMAC signs an audit checkpoint (auth.Checkpoint): HMAC-SHA-256
// over msg under a key derived from the audit key (HMAC-SHA-256 of the
// label under it), so that a checkpoint cannot be made or changed without
// the data key, and a checkpoint is never a valid chain hash. Like the
// audit key it survives a rotation of the master key.
func (k *Keyring) CheckpointMAC(msg []byte) []byte {
	d := hmac.New(sha256.New, k.mustLoaded().audit)
	d.Write([]byte(labelCheckpoint))
	m := hmac.New(sha256.New, d.Sum(nil))
	m.Write(msg)
	return m.Sum(nil)
}
