// Package accesscode makes and checks the 查询码 of a case filed without
// an account (an objection by someone other than the record's subject, a
// complaint): 16 base32 characters shown once to whoever filed it; only
// their SHA-256 is kept.
package accesscode

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// codeBytes is the randomness of a code: 80 bits, 16 base32 characters.
const codeBytes = 10

// New returns a fresh code and the hash to keep.
func New() (code, hash string, err error) {
	b := make([]byte, codeBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	code = base32.StdEncoding.EncodeToString(b)
	return code, Hash(code), nil
}

// Hash is the kept form of a code.
func Hash(code string) string {
	sum := sha256.Sum256([]byte(normalize(code)))
	return hex.EncodeToString(sum[:])
}

// Matches reports whether code is the one whose hash was kept ("" never
// matches).
func Matches(hash, code string) bool {
	if hash == "" || code == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(Hash(code)), []byte(hash)) == 1
}

// normalize accepts a code typed with spaces, dashes or in lower case.
func normalize(code string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
}
