package report

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// KeyName is the name of the platform's report signing key in signed notes
// (entries and checkpoints) and in its verifier key.
const KeyName = "xinyong-reports"

// Signer signs report entries and log checkpoints with the platform's
// Ed25519 key (pii.Keyring.SigningKey) as golang.org/x/mod/sumdb/note
// signatures, and gives its verifier key.
type Signer struct {
	priv ed25519.PrivateKey
	vkey string
	hash uint32
}

// NewSigner wraps an Ed25519 private key.
func NewSigner(priv ed25519.PrivateKey) (*Signer, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, errors.New("report: no report signing key")
	}
	vkey, err := note.NewEd25519VerifierKey(KeyName, priv.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &Signer{priv: priv, vkey: vkey, hash: v.KeyHash()}, nil
}

// Name implements note.Signer.
func (s *Signer) Name() string { return KeyName }

// KeyHash implements note.Signer.
func (s *Signer) KeyHash() uint32 { return s.hash }

// Sign implements note.Signer.
func (s *Signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.priv, msg), nil }

// VerifierKey is the verifier key anyone checks reports with
// (xinyong-reports+<hash>+<base64 of the Ed25519 public key>): what
// `xinyong report key` prints and GET /api/v1/reports/key serves.
func (s *Signer) VerifierKey() string { return s.vkey }

// signNote signs text (which must end in a newline) as a note.
func (s *Signer) signNote(text string) ([]byte, error) {
	return note.Sign(&note.Note{Text: text}, s)
}

// ParseVerifierKey reads a verifier key as printed by VerifierKey (spaces
// around it ignored).
func ParseVerifierKey(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("验证公钥格式不正确（应为 %s+…+… 形式）：%w", KeyName, err)
	}
	return v, nil
}
