// Package pii protects personal identifiers at rest: it encrypts them with
// AES-256-GCM and derives a keyed hash (HMAC-SHA-256) through which a store
// finds a subject without ever holding the identifier in clear.
//
// The master key is 32 bytes, given base64- or hex-encoded in
// XINYONG_DATA_KEY, or in the file named by XINYONG_DATA_KEY_FILE. Two
// sub-keys are derived from it with HKDF: one for encryption, one for the
// lookup hash.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
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
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// KeySize is the size of a master key in bytes.
const KeySize = 32

// version prefixes every ciphertext so that the format can change.
const version byte = 1

// Keyring encrypts, decrypts and hashes personal identifiers.
type Keyring struct {
	aead    cipher.AEAD
	hashKey []byte
	macs    sync.Pool // of HMAC-SHA-256 states keyed with hashKey
}

// New derives a keyring from a 32-byte master key.
func New(master []byte) (*Keyring, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("data key must be %d bytes, got %d", KeySize, len(master))
	}
	encKey, err := hkdf.Key(sha256.New, master, nil, "xinyong pii encryption v1", 32)
	if err != nil {
		return nil, err
	}
	hashKey, err := hkdf.Key(sha256.New, master, nil, "xinyong pii lookup v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &Keyring{aead: aead, hashKey: hashKey}
	k.macs.New = func() any { return hmac.New(sha256.New, hashKey) }
	return k, nil
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
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.StdEncoding.EncodeToString(b)
}

// LoadOrCreateKeyFile reads the key in path, or, when the file does not
// exist, writes a new random key there (mode 0600) and reports created.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, false, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("create data key file: %w", err)
		}
		s := NewKey()
		if _, err := f.WriteString(s + "\n"); err != nil {
			f.Close()
			return nil, false, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, false, err
		}
		if err := f.Close(); err != nil {
			return nil, false, err
		}
		k, err := ParseKey(s)
		return k, true, err
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

// Encrypt seals plaintext. Every call uses a fresh nonce, so equal inputs
// give different ciphertexts; use Hash to look a value up.
func (k *Keyring) Encrypt(plaintext string) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	out := make([]byte, 0, 1+len(nonce)+len(plaintext)+k.aead.Overhead())
	out = append(out, version)
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, []byte(plaintext), []byte{version})
}

// Decrypt opens a value sealed by Encrypt with the same master key.
func (k *Keyring) Decrypt(ciphertext []byte) (string, error) {
	ns := k.aead.NonceSize()
	if len(ciphertext) < 1+ns+k.aead.Overhead() || ciphertext[0] != version {
		return "", errors.New("pii: malformed ciphertext")
	}
	pt, err := k.aead.Open(nil, ciphertext[1:1+ns], ciphertext[1+ns:], ciphertext[:1])
	if err != nil {
		return "", errors.New("pii: cannot decrypt (wrong data key?)")
	}
	return string(pt), nil
}

// Hash is the keyed lookup hash of a value: equal values give equal hashes
// under one master key, and nobody without the key can test a guess.
func (k *Keyring) Hash(value string) []byte {
	m := k.macs.Get().(hash.Hash)
	m.Reset()
	io.WriteString(m, value)
	sum := m.Sum(make([]byte, 0, sha256.Size))
	k.macs.Put(m)
	return sum
}

// Fingerprint identifies the master key without revealing it, so that a
// database can refuse a different key than the one it was written with.
func (k *Keyring) Fingerprint() string {
	return hex.EncodeToString(k.Hash("xinyong data key fingerprint")[:16])
}
