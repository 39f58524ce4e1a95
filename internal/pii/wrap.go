package pii

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The wrapped form of a set of sub-keys, as a database stores it: the
// prefix wrapPrefix, then base64 of a nonce and the AES-256-GCM sealing,
// under the key-encryption key, of the JSON below (additional data:
// wrapAAD).
const (
	wrapPrefix = "v1:"
	wrapAAD    = "xinyong data keys v1"
)

type wrappedKeys struct {
	Primary byte     `json:"primary"`
	Enc     []encKey `json:"enc"`
	Lookup  []byte   `json:"lookup"`
	Audit   []byte   `json:"audit"`
	// Sign is the seed of the Ed25519 key that signs credit reports
	// (absent in databases from before reports).
	Sign []byte `json:"sign,omitempty"`
}

type encKey struct {
	ID  byte   `json:"id"`
	Key []byte `json:"key"`
}

// Wrap returns the loaded sub-keys wrapped under the keyring's master key.
func (k *Keyring) Wrap() (string, error) {
	sk, err := k.loaded()
	if err != nil {
		return "", err
	}
	return k.wrap(sk)
}

// NewWrapped returns fresh random sub-keys (encryption key id 1) wrapped
// under the master key, for a new database; it does not load them.
func (k *Keyring) NewWrapped() (string, error) {
	sk, err := fresh()
	if err != nil {
		return "", err
	}
	return k.wrap(sk)
}

// LegacyWrapped returns, wrapped under the master key, the sub-keys that
// releases before envelope encryption derived from it, for a database they
// wrote; it does not load them. Check LegacyFingerprint first.
func (k *Keyring) LegacyWrapped() (string, error) {
	sk, err := k.legacy()
	if err != nil {
		return "", err
	}
	return k.wrap(sk)
}

func (k *Keyring) wrap(sk *subKeys) (string, error) {
	w := wrappedKeys{Primary: sk.primary, Lookup: sk.lookup, Audit: sk.audit, Sign: sk.seed()}
	for _, id := range sk.ids() {
		w.Enc = append(w.Enc, encKey{ID: id, Key: sk.enc[id]})
	}
	plain, err := json.Marshal(w)
	if err != nil {
		return "", err
	}
	defer clear(plain)
	nonce := make([]byte, k.kek.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := k.kek.Seal(nonce, nonce, plain, []byte(wrapAAD))
	return wrapPrefix + base64.StdEncoding.EncodeToString(sealed), nil
}

// Unlock unwraps sub-keys stored by Wrap (or NewWrapped, LegacyWrapped)
// with the master key and loads them, replacing any loaded before. A
// different master key fails with ErrWrongKey.
func (k *Keyring) Unlock(wrapped string) error {
	b64, ok := strings.CutPrefix(wrapped, wrapPrefix)
	if !ok {
		return errors.New("pii: stored data keys are not in a known format")
	}
	sealed, err := base64.StdEncoding.DecodeString(b64)
	ns := k.kek.NonceSize()
	if err != nil || len(sealed) < ns+k.kek.Overhead() {
		return errors.New("pii: stored data keys are malformed")
	}
	plain, err := k.kek.Open(nil, sealed[:ns], sealed[ns:], []byte(wrapAAD))
	if err != nil {
		return ErrWrongKey
	}
	defer clear(plain)
	var w wrappedKeys
	if err := json.Unmarshal(plain, &w); err != nil {
		return fmt.Errorf("pii: stored data keys: %w", err)
	}
	enc := make(map[byte][]byte, len(w.Enc))
	for _, e := range w.Enc {
		if enc[e.ID] != nil {
			return fmt.Errorf("pii: stored data keys hold encryption key %d twice", e.ID)
		}
		enc[e.ID] = e.Key
	}
	sk, err := newSubKeys(w.Primary, enc, w.Lookup, w.Audit, w.Sign)
	if err != nil {
		return err
	}
	k.keys.Store(sk)
	return nil
}
