package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// User is an account.
type User struct {
	ID           int64
	Login        string
	Name         string
	OrgID        int64
	Roles        []string
	SubjectID    int64  // subject users: the subject the account belongs to
	PasswordHash string // argon2id, PHC string format; empty: no password (OIDC only)
	TOTPEnc      []byte // the TOTP secret, encrypted with the data key; nil: no second factor
	OIDCSubject  string // "issuer|sub" of a single sign-on identity
	Failed       int    // consecutive failed sign-ins
	LockedUntil  time.Time
	Disabled     bool
	Created      time.Time
	PasswordSet  time.Time
}

// HasRole reports whether the user holds role.
func (u User) HasRole(role string) bool {
	for _, r := range u.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Staff reports whether the account works for an organisation (every role
// but the subject's).
func (u User) Staff() bool {
	for _, r := range u.Roles {
		if r != RoleSubject {
			return true
		}
	}
	return false
}

// ValidateLogin checks a login name: 3 to 64 characters of letters,
// digits and . _ - @.
func ValidateLogin(s string) error {
	if n := len(s); n < 3 || n > 64 {
		return errors.New("登录名应为 3 到 64 个字符")
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-@", c)) {
			return fmt.Errorf("登录名只能包含字母、数字和 . _ - @，不能包含 %q", c)
		}
	}
	return nil
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 12

// ValidatePassword checks a new password: at least MinPasswordLength
// characters, not the login, not a single repeated character.
func ValidatePassword(login, pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLength {
		return fmt.Errorf("密码至少 %d 个字符", MinPasswordLength)
	}
	if n > 256 {
		return errors.New("密码不能超过 256 个字符")
	}
	if strings.EqualFold(pw, login) {
		return errors.New("密码不能与登录名相同")
	}
	first, _ := utf8.DecodeRuneInString(pw)
	if strings.Count(pw, string(first)) == n {
		return errors.New("密码不能由同一个字符重复组成")
	}
	return nil
}

// Argon2id parameters (RFC 9106 second recommendation, reduced in memory
// as OWASP suggests for servers: 19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns the argon2id hash of pw in the PHC string format,
// with a fresh salt.
func HashPassword(pw string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	sum := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(sum))
}

// VerifyPassword reports whether pw matches a hash made by HashPassword
// (with whatever parameters it was made).
func VerifyPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<21 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when a login does not exist, so that an
// unknown login takes as long as a wrong password.
var dummyHash = HashPassword("xinyong: no such account")

// BurnPasswordTime spends the time a password check takes.
func BurnPasswordTime(pw string) { VerifyPassword(dummyHash, pw) }

// Lockout is the sign-in lock-out policy: after MaxFailures consecutive
// failures an account is locked for LockFor. A success resets the count.
type Lockout struct {
	MaxFailures int
	LockFor     time.Duration
}

// DefaultLockout locks an account for 15 minutes after 5 failures.
var DefaultLockout = Lockout{MaxFailures: 5, LockFor: 15 * time.Minute}

// Locked reports whether u is locked at now.
func (l Lockout) Locked(u User, now time.Time) bool {
	return !u.LockedUntil.IsZero() && now.Before(u.LockedUntil)
}

// Fail returns u after one more failed sign-in at now: the count grows,
// and reaching MaxFailures locks the account and restarts the count.
func (l Lockout) Fail(u User, now time.Time) User {
	u.Failed++
	if u.Failed >= l.MaxFailures {
		u.LockedUntil = now.Add(l.LockFor)
		u.Failed = 0
	}
	return u
}

// NewToken returns a random token of n bytes, URL-safe base64.
func NewToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TokenHash is how a session token or an API key's secret is stored: a
// SHA-256 digest. Both are 256-bit random values, so a fast hash suffices;
// a stolen table gives nothing to sign in with.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Session is a signed-in browser.
type Session struct {
	TokenHash []byte
	UserID    int64
	CSRF      string // the token every form of this session must carry
	Pending   bool   // password given, second factor still to come
	Created   time.Time
	LastSeen  time.Time
	Expires   time.Time // absolute end
}

// Session lifetimes: a session ends after IdleTimeout without a request
// or SessionLifetime after sign-in, whichever comes first.
const (
	IdleTimeout     = 30 * time.Minute
	SessionLifetime = 12 * time.Hour
	PendingTimeout  = 5 * time.Minute
)

// Live reports whether s may still be used at now.
func (s Session) Live(now time.Time) bool {
	if !now.Before(s.Expires) {
		return false
	}
	idle := IdleTimeout
	if s.Pending {
		idle = PendingTimeout
	}
	return now.Sub(s.LastSeen) < idle
}

// APIClient is a department system's key.
type APIClient struct {
	ID        int64
	OrgID     int64
	Name      string
	Scopes    []string
	Prefix    string // the key's public part, unique; shown in lists
	SecretSum []byte // TokenHash of the secret part
	Created   time.Time
	Rotated   time.Time
	Revoked   bool
	LastUsed  time.Time
}

// keyPrefix starts every API key so that leaked keys are easy to find.
const keyPrefix = "xyk_"

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewAPIKey returns a new key's public prefix, its secret and the whole
// key to show once: xyk_<prefix>_<secret>.
func NewAPIKey() (prefix, secret, key string) {
	p := make([]byte, 5)
	rand.Read(p)
	prefix = strings.ToLower(keyEncoding.EncodeToString(p))
	secret = NewToken(32)
	return prefix, secret, keyPrefix + prefix + "_" + secret
}

// ParseAPIKey splits a key into prefix and secret.
func ParseAPIKey(key string) (prefix, secret string, ok bool) {
	rest, found := strings.CutPrefix(key, keyPrefix)
	if !found {
		return "", "", false
	}
	prefix, secret, ok = strings.Cut(rest, "_")
	if !ok || len(prefix) != 8 || len(secret) < 40 {
		return "", "", false
	}
	return prefix, secret, true
}

// Matches reports whether secret is this client's, in constant time.
func (c APIClient) Matches(secret string) bool {
	return subtle.ConstantTimeCompare(TokenHash(secret), c.SecretSum) == 1
}
