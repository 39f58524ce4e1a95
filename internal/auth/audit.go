package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Audit actions: what the trail records. Reads of public data are not
// recorded (the portal's anonymous traffic); everything else that touches
// non-public data or changes anything is.
const (
	AuditSignIn        = "signin"         // a sign-in (Outcome ok, failed, locked, totp_failed)
	AuditSignOut       = "signout"        //
	AuditRecordRead    = "record.read"    // a read of non-public record data
	AuditSubjectRead   = "subject.read"   // a read of a subject's whole file
	AuditRecordSubmit  = "record.submit"  // an intake batch
	AuditRecordChange  = "record.change"  // revoke, restore, correct
	AuditCheck         = "check"          // a credit check
	AuditCheckFeedback = "check.feedback" // a department's report on a check's measures
	AuditWatch         = "watch.read"     // a page of the change feed of watched subjects read (target changes:FROM-TO)
	AuditOrgChange     = "org.change"     // an organisation created or disabled
	AuditUserChange    = "user.change"    // an account created, changed, disabled
	AuditClientChange  = "client.change"  // an API client created, rotated, revoked
	AuditKeyRotate     = "key.rotate"     // the data key rotated
	AuditDenied        = "access.denied"  // a refused attempt on non-public data
	AuditAuditRead     = "audit.read"     // the trail itself read
	AuditQueryLogRead  = "querylog.read"  //
	AuditObjection     = "objection"      // an objection filed or acted on (target objection:ID, Outcome the action)
	AuditRepair        = "repair"         // a credit repair application filed or acted on (target repair:ID, Outcome the action)
	AuditCommitment    = "commitment"     // a credit commitment made, registered or assessed (target commitment:ID, Outcome the action)
	AuditReturn        = "return"         // a return (退回) withdrawn, or a department's returned rows read in clear (target return:ID or batch:ID)
	AuditLedger        = "ledger"         // a reporting-ledger plan or decision register changed (target ledger:DEPT:KIND)
	AuditIntegrity     = "integrity"      // government-integrity monitoring: a run, the scope, a body's feedback (Outcome the action)
	AuditComplaint     = "complaint"      // a complaint (投诉举报) filed, routed or answered (target complaint:ID, Outcome the action)
	AuditArticle       = "article"        // an article or campaign of the public columns written or changed (target article:ID)
	AuditInspection    = "inspection"     // graded supervision and 双随机: measures, matters, the inspector pool, a task created or drawn, a result entered (target inspection:ID, inspector:ID, supervision:ORG; Outcome the action)
	AuditMarket        = "market"         // the intermediary-service marketplace: an item, an agency or a project created or acted on (target market_item:ID, market_agency:ID, market_project:ID; Outcome the action)
)

// AuditEntry is one line of the audit trail: who (principal and
// organisation), when, what (action, target, the subject concerned), why
// (the stated purpose or case number) and what came of it. Entries are
// chained: Hash covers the entry and the previous entry's hash, keyed with
// the audit key, so that editing, removing or reordering a row breaks the
// chain from there on, and nobody without the key can forge a new chain.
type AuditEntry struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`      // Principal.String()
	OrgID     int64     `json:"org_id"`     // the actor's organisation
	Action    string    `json:"action"`     //
	Target    string    `json:"target"`     // what was acted on: "record:123", "user:7", "batch:55"
	SubjectID int64     `json:"subject_id"` // the credit subject concerned, for its query history
	Purpose   string    `json:"purpose"`    // the stated purpose or case number (查询事由/办件编号)
	Outcome   string    `json:"outcome"`    // ok, denied, failed, …
	Detail    string    `json:"detail"`     // what was returned or changed, in a few words; never personal identifiers
	Prev      []byte    `json:"-"`
	Hash      []byte    `json:"-"`
}

// Canonical is the byte string the chain hash covers: the entry's fields
// in a fixed order, times in UTC with microseconds (what every database
// keeps).
func (e AuditEntry) Canonical() []byte {
	type canon struct {
		Seq       int64  `json:"seq"`
		At        string `json:"at"`
		Actor     string `json:"actor"`
		OrgID     int64  `json:"org_id"`
		Action    string `json:"action"`
		Target    string `json:"target"`
		SubjectID int64  `json:"subject_id"`
		Purpose   string `json:"purpose"`
		Outcome   string `json:"outcome"`
		Detail    string `json:"detail"`
	}
	b, _ := json.Marshal(canon{e.Seq, e.At.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z"),
		e.Actor, e.OrgID, e.Action, e.Target, e.SubjectID, e.Purpose, e.Outcome, e.Detail})
	return b
}

// Seal sets e.Prev and e.Hash, given the previous entry's hash (nil for
// the first) and the keyed MAC (pii.Keyring.ChainMAC).
func (e *AuditEntry) Seal(prev []byte, mac func(prev, entry []byte) []byte) {
	e.Prev = append([]byte(nil), prev...)
	e.Hash = mac(prev, e.Canonical())
}

// ChainVerifier checks entries one by one, in sequence order.
type ChainVerifier struct {
	MAC   func(prev, entry []byte) []byte
	prev  []byte
	seq   int64
	Count int64
}

// Next checks the next entry: its sequence follows the last one, it
// points at the last one's hash, and its own hash is right.
func (v *ChainVerifier) Next(e AuditEntry) error {
	if v.Count > 0 && e.Seq != v.seq+1 {
		return fmt.Errorf("audit entry %d follows %d: entries are missing", e.Seq, v.seq)
	}
	if !bytes.Equal(e.Prev, v.prev) {
		return fmt.Errorf("audit entry %d does not point at entry %d's hash: the chain was cut or reordered", e.Seq, v.seq)
	}
	if !hmac.Equal(v.MAC(e.Prev, e.Canonical()), e.Hash) {
		return fmt.Errorf("audit entry %d does not match its hash: it was changed after it was written", e.Seq)
	}
	v.prev, v.seq = e.Hash, e.Seq
	v.Count++
	return nil
}

// TOTP: RFC 6238 codes, 6 digits, 30-second steps, one step of skew.

// NewTOTP returns a new secret (base32) and its otpauth:// URL for an
// authenticator app.
func NewTOTP(issuer, account string) (secret, url string, err error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account})
	if err != nil {
		return "", "", err
	}
	return k.Secret(), k.URL(), nil
}

// CheckTOTP reports whether code is valid for secret at now.
func CheckTOTP(secret, code string, now time.Time) bool {
	_, ok := TOTPStep(secret, code, now)
	return ok
}

// TOTPPeriod is the length of a TOTP step.
const TOTPPeriod = 30 * time.Second

// TOTPStep returns the step (Unix time / 30 s) whose code code is, among
// the step of now and one either side, and whether there is one. A code
// is good once: the caller records the step as the account's last used
// (store.AccessStore.UseTOTPStep) and refuses a code whose step is not
// after it, so that a code seen over a shoulder or in a proxy's log
// cannot sign in again within its window.
func TOTPStep(secret, code string, now time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	step := now.Unix() / int64(TOTPPeriod/time.Second)
	for _, s := range []int64{step, step - 1, step + 1} {
		want, err := TOTPCode(secret, time.Unix(s*int64(TOTPPeriod/time.Second), 0))
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// TOTPCode is the code for secret at t (for tests and tools).
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}
