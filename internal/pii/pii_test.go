package pii

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
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
