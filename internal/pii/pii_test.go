package pii

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func testRing(t *testing.T, seed byte) *Keyring {
	t.Helper()
	k, err := New(bytes.Repeat([]byte{seed}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestEncryptDecrypt(t *testing.T) {
	k := testRing(t, 1)
	id := "11010519491231002X"
	a, b := k.Encrypt(id), k.Encrypt(id)
	if bytes.Equal(a, b) {
		t.Fatal("two encryptions of one value are equal: nonce reused")
	}
	if bytes.Contains(a, []byte(id)) || bytes.Contains(a, []byte("19491231")) {
		t.Fatal("ciphertext contains the clear value")
	}
	for _, c := range [][]byte{a, b} {
		got, err := k.Decrypt(c)
		if err != nil || got != id {
			t.Fatalf("Decrypt = %q, %v", got, err)
		}
	}
	if _, err := testRing(t, 2).Decrypt(a); err == nil {
		t.Fatal("decrypted with the wrong key")
	}
	a[len(a)-1] ^= 1
	if _, err := k.Decrypt(a); err == nil {
		t.Fatal("tampered ciphertext decrypted")
	}
	if _, err := k.Decrypt([]byte{1, 2}); err == nil {
		t.Fatal("short ciphertext decrypted")
	}
}

func TestHash(t *testing.T) {
	k1, k2 := testRing(t, 1), testRing(t, 2)
	if !bytes.Equal(k1.Hash("a"), k1.Hash("a")) {
		t.Fatal("hash not deterministic")
	}
	if bytes.Equal(k1.Hash("a"), k1.Hash("b")) || bytes.Equal(k1.Hash("a"), k2.Hash("a")) {
		t.Fatal("hash collides across values or keys")
	}
	// Stored hashes are compared whichever way they were computed.
	for _, v := range []string{"", "a", "陕罚决字〔2022〕第0000001号\x00罚款"} {
		if !bytes.Equal(k1.HashBytes([]byte(v)), k1.Hash(v)) {
			t.Errorf("HashBytes(%q) differs from Hash", v)
		}
	}
}

func TestParseKey(t *testing.T) {
	raw := bytes.Repeat([]byte{7}, KeySize)
	for _, s := range []string{
		"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",
		"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc",
		strings.Repeat("07", KeySize),
		" " + NewKey()[:0] + "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n",
	} {
		got, err := ParseKey(s)
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("ParseKey(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "short", "AAAA", strings.Repeat("zz", KeySize)} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "data.key")
	k1, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created {
		t.Fatalf("first load: created=%v err=%v", created, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", st.Mode(), err)
	}
	k2, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("second load: created=%v err=%v equal=%v", created, err, bytes.Equal(k1, k2))
	}
	os.WriteFile(path, []byte("garbage"), 0o600)
	if _, _, err := LoadOrCreateKeyFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("bad key file: err=%v, want one naming the file", err)
	}
}

// Values made by the code before envelope encryption (pii.New of that
// time with a master key of 32 bytes of 7): a database written then must
// read the same after the upgrade.
const (
	oldMasterByte  = 7
	oldHash        = "116cf4301bab92b8043f4790a57a6efe844c565417586dd70c0b68195cbfdd78" // Hash("11010519491231002X")
	oldFingerprint = "caf8c231dae00d924cee318bdf5c12a6"
	oldCiphertext  = "01a61ed8975da5fd8c87bd7a906af8a18d69983d06385cdb5c3a4df294eb6a549217ae6fa263439da4d0c021bcdf77" // Encrypt("11010519491231002X")
)

func master(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func unlocked(t *testing.T, m []byte, wrapped string) *Keyring {
	t.Helper()
	k, err := NewMaster(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Unlock(wrapped); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	return k
}

func TestLegacyKeysUnchanged(t *testing.T) {
	k, err := NewMaster(master(oldMasterByte))
	if err != nil {
		t.Fatal(err)
	}
	if got := k.LegacyFingerprint(); got != oldFingerprint {
		t.Fatalf("LegacyFingerprint = %s, want %s", got, oldFingerprint)
	}
	w, err := k.LegacyWrapped()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(w, "11010519491231002X") || k.Loaded() {
		t.Fatal("LegacyWrapped loaded the keys or leaked")
	}
	for name, ring := range map[string]*Keyring{"unwrapped": unlocked(t, master(oldMasterByte), w), "New": testRing(t, oldMasterByte)} {
		if got := hex.EncodeToString(ring.Hash("11010519491231002X")); got != oldHash {
			t.Errorf("%s: Hash = %s, want the old %s", name, got, oldHash)
		}
		ct, _ := hex.DecodeString(oldCiphertext)
		if got, err := ring.Decrypt(ct); err != nil || got != "11010519491231002X" {
			t.Errorf("%s: old ciphertext: %q, %v", name, got, err)
		}
		if ids, primary := ring.EncryptionKeys(); primary != 1 || len(ids) != 1 {
			t.Errorf("%s: keys %v primary %d, want only 1", name, ids, primary)
		}
		if c := ring.Encrypt("x"); c[0] != 1 {
			t.Errorf("%s: ciphertext id %d, want 1", name, c[0])
		}
	}
	// The audit key is derived too, and stable.
	a, b := testRing(t, oldMasterByte), unlocked(t, master(oldMasterByte), w)
	if !bytes.Equal(a.ChainMAC(nil, []byte("e")), b.ChainMAC(nil, []byte("e"))) {
		t.Error("legacy audit key differs between New and LegacyWrapped")
	}
}

func TestWrapUnwrap(t *testing.T) {
	k, err := NewMaster(master(3))
	if err != nil {
		t.Fatal(err)
	}
	if k.Loaded() {
		t.Fatal("NewMaster loaded sub-keys")
	}
	if _, err := k.Decrypt([]byte{1}); err == nil {
		t.Fatal("Decrypt before Unlock")
	}
	w, err := k.NewWrapped()
	if err != nil {
		t.Fatal(err)
	}
	if w2, _ := k.NewWrapped(); w2 == w {
		t.Fatal("two NewWrapped are equal")
	}
	a, b := unlocked(t, master(3), w), unlocked(t, master(3), w)
	ct := a.Encrypt("11010519491231002X")
	if got, err := b.Decrypt(ct); err != nil || got != "11010519491231002X" {
		t.Fatalf("round trip: %q %v", got, err)
	}
	if !bytes.Equal(a.Hash("x"), b.Hash("x")) || !bytes.Equal(a.ChainMAC(nil, []byte("x")), b.ChainMAC(nil, []byte("x"))) {
		t.Fatal("unwrapped lookup or audit keys differ")
	}
	// Fresh keys are random, not the derived ones.
	if bytes.Equal(a.Hash("x"), testRing(t, 3).Hash("x")) {
		t.Fatal("fresh lookup key equals the derived one")
	}
	// Wrap again (another nonce): same keys.
	w3, err := a.Wrap()
	if err != nil || w3 == w {
		t.Fatalf("Wrap: %v (same text: %v)", err, w3 == w)
	}
	if got, err := unlocked(t, master(3), w3).Decrypt(ct); err != nil || got != "11010519491231002X" {
		t.Fatalf("after re-wrap: %q %v", got, err)
	}
	// Tampering is refused.
	bad := w[:len(w)-4] + "AAA="
	if err := unlockErr(master(3), bad); err == nil {
		t.Fatal("tampered data keys unlocked")
	}
	if err := unlockErr(master(3), "garbage"); err == nil {
		t.Fatal("garbage unlocked")
	}
}

func unlockErr(m []byte, w string) error {
	k, err := NewMaster(m)
	if err != nil {
		return err
	}
	return k.Unlock(w)
}

func TestWrongMasterRefused(t *testing.T) {
	k, _ := NewMaster(master(3))
	w, _ := k.NewWrapped()
	other, _ := NewMaster(master(4))
	if err := other.Unlock(w); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Unlock with another master: %v, want ErrWrongKey", err)
	}
	if other.Loaded() {
		t.Fatal("failed Unlock loaded keys")
	}
}

func TestRotateMasterKeepsSubKeys(t *testing.T) {
	a := testRing(t, 5)
	ct := a.Encrypt("secret")
	b, err := a.WithMaster(master(6))
	if err != nil {
		t.Fatal(err)
	}
	w, err := b.Wrap()
	if err != nil {
		t.Fatal(err)
	}
	if err := unlockErr(master(5), w); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("old master opens the re-wrapped keys: %v", err)
	}
	c := unlocked(t, master(6), w)
	if got, err := c.Decrypt(ct); err != nil || got != "secret" || !bytes.Equal(c.Hash("h"), a.Hash("h")) {
		t.Fatalf("after master rotation: %q %v", got, err)
	}
	if _, err := (&Keyring{}).WithMaster(master(1)); err == nil {
		t.Fatal("WithMaster of an unloaded keyring")
	}
}

func TestSeveralEncryptionKeys(t *testing.T) {
	k := testRing(t, 8)
	old := k.Encrypt("one")
	hash := k.Hash("h")
	id, err := k.AddEncryptionKey()
	if err != nil || id != 2 {
		t.Fatalf("AddEncryptionKey = %d, %v; want 2", id, err)
	}
	if ids, primary := k.EncryptionKeys(); primary != 2 || !bytes.Equal(ids, []byte{1, 2}) {
		t.Fatalf("keys %v primary %d", ids, primary)
	}
	neu := k.Encrypt("two")
	if neu[0] != 2 || old[0] != 1 {
		t.Fatalf("ids %d %d", old[0], neu[0])
	}
	// Both decrypt, after a round trip through the wrapped form too.
	w, _ := k.Wrap()
	for _, ring := range []*Keyring{k, unlocked(t, master(8), w)} {
		if a, err := ring.Decrypt(old); err != nil || a != "one" {
			t.Fatalf("old ciphertext: %q %v", a, err)
		}
		if b, err := ring.Decrypt(neu); err != nil || b != "two" {
			t.Fatalf("new ciphertext: %q %v", b, err)
		}
		if !bytes.Equal(ring.Hash("h"), hash) {
			t.Fatal("lookup key changed with the encryption key")
		}
	}
	// The id byte is authenticated: relabelling a ciphertext fails.
	relabel := append([]byte{1}, neu[1:]...)
	if _, err := k.Decrypt(relabel); err == nil {
		t.Fatal("relabelled ciphertext decrypted")
	}
	// Reencrypt moves a ciphertext to the primary key, leaves others.
	re, err := k.Reencrypt(old)
	if err != nil || re[0] != 2 {
		t.Fatalf("Reencrypt: %v", err)
	}
	if s, _ := k.Decrypt(re); s != "one" {
		t.Fatalf("re-encrypted %q", s)
	}
	if again, err := k.Reencrypt(re); err != nil || again != nil {
		t.Fatalf("Reencrypt of a primary ciphertext = %x, %v; want nil", again, err)
	}
	// Dropping the old key: old ciphertexts are refused by id, clearly.
	if err := k.DropOldEncryptionKeys(); err != nil {
		t.Fatal(err)
	}
	if ids, _ := k.EncryptionKeys(); !bytes.Equal(ids, []byte{2}) {
		t.Fatalf("after drop: %v", ids)
	}
	_, err = k.Decrypt(old)
	if err == nil || !strings.Contains(err.Error(), "encryption key 1") || !strings.Contains(err.Error(), "does not hold") {
		t.Fatalf("old ciphertext after drop: %v", err)
	}
	if s, err := k.Decrypt(re); err != nil || s != "one" {
		t.Fatalf("re-encrypted after drop: %q %v", s, err)
	}
}

func TestEncryptionKeyIDsWrap(t *testing.T) {
	k := testRing(t, 9)
	for want := 2; want <= 255; want++ {
		id, err := k.AddEncryptionKey()
		if err != nil || int(id) != want {
			t.Fatalf("AddEncryptionKey = %d, %v; want %d", id, err, want)
		}
		if want == 3 {
			k.DropOldEncryptionKeys() // frees 1 and 2
		}
	}
	if id, err := k.AddEncryptionKey(); err != nil || id != 1 {
		t.Fatalf("after 255: id %d, %v; want 1 (lowest free)", id, err)
	}
	k.AddEncryptionKey() // 2: now all 255 are used
	if _, err := k.AddEncryptionKey(); err == nil {
		t.Fatal("more than 255 encryption keys")
	}
}

func TestChainMAC(t *testing.T) {
	k1, k2 := testRing(t, 1), testRing(t, 2)
	first := k1.ChainMAC(nil, []byte("entry 1"))
	if len(first) != 32 || !bytes.Equal(first, k1.ChainMAC(nil, []byte("entry 1"))) {
		t.Fatal("ChainMAC not deterministic")
	}
	second := k1.ChainMAC(first, []byte("entry 2"))
	if bytes.Equal(second, k1.ChainMAC(nil, []byte("entry 2"))) {
		t.Fatal("ChainMAC ignores prev")
	}
	if bytes.Equal(first, k2.ChainMAC(nil, []byte("entry 1"))) {
		t.Fatal("ChainMAC does not depend on the key")
	}
	if bytes.Equal(first, k1.Hash("entry 1")) {
		t.Fatal("audit key equals lookup key")
	}
	// HMAC-SHA-256 over prev||entry under the audit key, checked independently.
	ak, _ := hkdf.Key(sha256.New, master(1), nil, "xinyong audit chain v1", 32)
	m := hmac.New(sha256.New, ak)
	m.Write(first)
	m.Write([]byte("entry 2"))
	if !bytes.Equal(second, m.Sum(nil)) {
		t.Fatal("ChainMAC is not HMAC-SHA-256(audit key, prev||entry)")
	}
}

func TestCheckpointMAC(t *testing.T) {
	k1, k2 := testRing(t, 1), testRing(t, 2)
	msg := []byte("xinyong audit checkpoint v1\n42\n")
	sum := k1.CheckpointMAC(msg)
	if len(sum) != 32 || !bytes.Equal(sum, k1.CheckpointMAC(msg)) {
		t.Fatal("CheckpointMAC not deterministic")
	}
	if bytes.Equal(sum, k2.CheckpointMAC(msg)) || bytes.Equal(sum, k1.ChainMAC(nil, msg)) || bytes.Equal(sum, k1.CheckpointMAC([]byte("other"))) {
		t.Fatal("CheckpointMAC does not depend on the key and the message, or equals the chain's MAC")
	}
	// HMAC-SHA-256 under HMAC-SHA-256(audit key, label), checked independently.
	ak, _ := hkdf.Key(sha256.New, master(1), nil, "xinyong audit chain v1", 32)
	d := hmac.New(sha256.New, ak)
	d.Write([]byte("xinyong audit checkpoint v1"))
	m := hmac.New(sha256.New, d.Sum(nil))
	m.Write(msg)
	if !bytes.Equal(sum, m.Sum(nil)) {
		t.Fatal("CheckpointMAC is not HMAC-SHA-256(HMAC-SHA-256(audit key, label), msg)")
	}
}

func TestConcurrentUse(t *testing.T) {
	k := testRing(t, 4)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				c := k.Encrypt("x")
				if s, err := k.Decrypt(c); err != nil || s != "x" {
					t.Error(err)
					return
				}
				k.Hash("y")
			}
		})
	}
	k.AddEncryptionKey() // while others encrypt: every ciphertext stays readable
	wg.Wait()
}

func TestWriteKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	if err := WriteKeyFile(path, master(1)); err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyFile(path, master(2)); err == nil {
		t.Fatal("overwrote an existing key file")
	}
	b, _ := os.ReadFile(path)
	if k, err := ParseKey(string(b)); err != nil || !bytes.Equal(k, master(1)) {
		t.Fatalf("%x %v", k, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
}

func TestSigningKey(t *testing.T) {
	k, err := NewMaster(bytes.Repeat([]byte{9}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	w, err := k.NewWrapped()
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Unlock(w); err != nil {
		t.Fatal(err)
	}
	sign, ok := k.SigningKey()
	if !ok {
		t.Fatal("fresh keys hold no signing key")
	}
	if err := k.AddSigningKey(); err != nil {
		t.Fatal(err)
	}
	if again, _ := k.SigningKey(); !again.Equal(sign) {
		t.Fatal("AddSigningKey replaced an existing key")
	}
	rotated, err := k.WithMaster(bytes.Repeat([]byte{10}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rotated.AddEncryptionKey(); err != nil {
		t.Fatal(err)
	}
	w2, err := rotated.Wrap()
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := NewMaster(bytes.Repeat([]byte{10}, KeySize))
	if err := k2.Unlock(w2); err != nil {
		t.Fatal(err)
	}
	if got, ok := k2.SigningKey(); !ok || !got.Equal(sign) {
		t.Fatal("the signing key did not survive a master-key rotation and a new encryption key")
	}
	if err := k2.DropOldEncryptionKeys(); err != nil {
		t.Fatal(err)
	}
	if got, ok := k2.SigningKey(); !ok || !got.Equal(sign) {
		t.Fatal("dropping old encryption keys dropped the signing key")
	}
	// Legacy keys have none until one is added.
	l := testRing(t, 3)
	if _, ok := l.SigningKey(); ok {
		t.Fatal("legacy-derived keys hold a signing key")
	}
	if err := l.AddSigningKey(); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.SigningKey(); !ok {
		t.Fatal("AddSigningKey added none")
	}
}
