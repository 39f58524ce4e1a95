package auth

import (
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Checkpoint anchors the head of the audit chain outside the database:
// the sequence number and chain hash of the newest entry when it was
// written, signed with a key derived from the data key. The chain alone
// finds an entry edited or removed in the middle; it cannot show that the
// newest entries were deleted (with the triggers dropped), since what is
// left is still a good chain. A checkpoint kept elsewhere can: the
// database must still hold entry Seq with this Hash.
type Checkpoint struct {
	Seq  int64     `json:"seq"`  // the newest entry's sequence number
	Hash string    `json:"hash"` // its chain hash, hex
	At   time.Time `json:"at"`   // when the checkpoint was made
	MAC  string    `json:"mac"`  // hex HMAC over the above (pii.Keyring.CheckpointMAC)
}

// message is what MAC covers.
func (c Checkpoint) message() []byte {
	return []byte("xinyong audit checkpoint v1\n" + strconv.FormatInt(c.Seq, 10) + "\n" + c.Hash + "\n" +
		c.At.UTC().Format(time.RFC3339Nano) + "\n")
}

// NewCheckpoint makes the checkpoint of head, the newest entry, at at,
// signed with mac.
func NewCheckpoint(head AuditEntry, at time.Time, mac func([]byte) []byte) Checkpoint {
	c := Checkpoint{Seq: head.Seq, Hash: hex.EncodeToString(head.Hash), At: at.UTC().Truncate(time.Second)}
	c.MAC = hex.EncodeToString(mac(c.message()))
	return c
}

// Signed reports whether c's MAC is right under mac: false for a
// checkpoint edited by hand or made with another data key.
func (c Checkpoint) Signed(mac func([]byte) []byte) bool {
	sum, err := hex.DecodeString(c.MAC)
	return err == nil && hmac.Equal(sum, mac(c.message()))
}

// ErrCheckpoint is what Check's errors are (errors.Is): the database does
// not hold what the checkpoint anchored.
var ErrCheckpoint = errors.New("the audit trail does not match its checkpoint")

// CheckpointError says how the database differs from a checkpoint, in
// Chinese (ZH, for the operator's report) and English (Error, for logs).
type CheckpointError struct {
	ZH, EN string
}

func (e *CheckpointError) Error() string        { return e.EN }
func (e *CheckpointError) Is(target error) bool { return target == ErrCheckpoint }

// Check compares c with the database: head is its newest entry (Seq 0
// when the trail is empty), at its entry with c's sequence number when
// found. The database may have gone on past the checkpoint; it must not
// end before it, nor hold another entry at its place.
func (c Checkpoint) Check(head AuditEntry, at AuditEntry, found bool) error {
	when := c.At.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05")
	switch {
	case head.Seq < c.Seq:
		from := head.Seq + 1
		return &CheckpointError{
			ZH: fmt.Sprintf("审计日志缺少第 %d 至第 %d 条：检查点（%s 写入）记录到第 %d 条，数据库中最新的是第 %d 条。这些记录在检查点写入后被删除，或数据库被换成了较早的备份。",
				from, c.Seq, when, c.Seq, head.Seq),
			EN: fmt.Sprintf("audit entries %d to %d are missing: the checkpoint written at %s anchors entry %d, the database ends at entry %d (entries were deleted after the checkpoint, or the database was replaced by an older backup)",
				from, c.Seq, c.At.UTC().Format(time.RFC3339), c.Seq, head.Seq),
		}
	case !found:
		return &CheckpointError{
			ZH: fmt.Sprintf("审计日志缺少第 %d 条：检查点（%s 写入）记录了该条，数据库中没有。", c.Seq, when),
			EN: fmt.Sprintf("audit entry %d is missing: the checkpoint written at %s anchors it", c.Seq, c.At.UTC().Format(time.RFC3339)),
		}
	case hex.EncodeToString(at.Hash) != c.Hash:
		return &CheckpointError{
			ZH: fmt.Sprintf("审计日志第 %d 条与检查点（%s 写入）不一致：该条之前的记录被改写或整条链被替换。", c.Seq, when),
			EN: fmt.Sprintf("audit entry %d differs from the checkpoint written at %s: the chain up to it was rewritten or replaced", c.Seq, c.At.UTC().Format(time.RFC3339)),
		}
	}
	return nil
}
