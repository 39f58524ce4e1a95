package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store"
)

// CheckpointFileName is the audit checkpoint's name in the data directory
// (auth.Checkpoint, as JSON).
const CheckpointFileName = "audit.checkpoint"

// CheckpointEvery is how often serve writes the audit checkpoint (when
// the trail has grown); it also writes one at start and at shutdown.
const CheckpointEvery = time.Minute

// CheckpointPath is the checkpoint file of the data directory dir.
func CheckpointPath(dir string) string { return filepath.Join(dir, CheckpointFileName) }

// auditHead returns the newest entry of the trail (Seq 0 when empty), and
// the entry numbered seq when seq > 0 and the trail holds it.
func auditHead(ctx context.Context, s store.AccessStore, seq int64) (head, at auth.AuditEntry, found bool, err error) {
	newest, err := s.ListAudit(ctx, store.AuditFilter{Limit: 1})
	if err != nil || len(newest) == 0 {
		return head, at, false, err
	}
	head = newest[0]
	if seq <= 0 {
		return head, at, false, nil
	}
	if head.Seq == seq {
		return head, head, true, nil
	}
	before, err := s.ListAudit(ctx, store.AuditFilter{Before: seq + 1, Limit: 1})
	if err != nil || len(before) == 0 || before[0].Seq != seq {
		return head, at, false, err
	}
	return head, before[0], true, nil
}

// ReadCheckpoint reads a checkpoint file; found is false when there is
// none.
func ReadCheckpoint(path string) (cp auth.Checkpoint, found bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cp, false, nil
	}
	if err != nil {
		return cp, false, err
	}
	if err := json.Unmarshal(b, &cp); err != nil || cp.Seq <= 0 || cp.MAC == "" {
		return cp, true, fmt.Errorf("audit checkpoint %s is not readable: %v", path, err)
	}
	return cp, true, nil
}

// CompareCheckpoint compares the trail of s with the checkpoint cp: its
// signature must be the data key's, and the database must hold the entry
// it anchors (auth.Checkpoint.Check).
func CompareCheckpoint(ctx context.Context, s store.AccessStore, keys *pii.Keyring, cp auth.Checkpoint) error {
	if !cp.Signed(keys.CheckpointMAC) {
		return &auth.CheckpointError{
			ZH: "审计检查点的签名不符：该文件被改动过，或不是用本平台的数据密钥写入的。",
			EN: "the audit checkpoint's signature does not match: it was edited, or written with another data key",
		}
	}
	head, at, found, err := auditHead(ctx, s, cp.Seq)
	if err != nil {
		return err
	}
	return cp.Check(head, at, found)
}

// WriteCheckpoint anchors the head of the audit trail of s in the data
// directory dir (CheckpointFileName), and logs it, so that a log kept
// elsewhere holds it too. The checkpoint only moves forward: when the
// file holds one the database no longer matches (entries deleted, the
// chain replaced, the file edited), nothing is written and the mismatch
// is returned: it is evidence, for xinyong audit verify and the operator.
// With nothing new since the file's checkpoint, nothing is written.
func WriteCheckpoint(ctx context.Context, dir string, s store.AccessStore, keys *pii.Keyring, log *slog.Logger) (auth.Checkpoint, error) {
	path := CheckpointPath(dir)
	old, found, err := ReadCheckpoint(path)
	if err != nil {
		return old, fmt.Errorf("%w; not overwritten", err)
	}
	if found {
		if err := CompareCheckpoint(ctx, s, keys, old); err != nil {
			return old, fmt.Errorf("%w; %s not overwritten", err, path)
		}
	}
	head, _, _, err := auditHead(ctx, s, 0)
	if err != nil || head.Seq == 0 || found && head.Seq == old.Seq {
		return old, err
	}
	cp := auth.NewCheckpoint(head, time.Now(), keys.CheckpointMAC)
	// Another process (a command beside the server) may have written a
	// later one meanwhile: never go back.
	if cur, ok, err := ReadCheckpoint(path); err == nil && ok && cur.Seq >= cp.Seq {
		return cur, nil
	}
	b, _ := json.MarshalIndent(cp, "", "  ")
	if err := writeFileAtomic(path, append(b, '\n')); err != nil {
		return old, fmt.Errorf("write audit checkpoint: %w", err)
	}
	log.Info("audit checkpoint", "seq", cp.Seq, "hash", cp.Hash, "at", cp.At.Format(time.RFC3339), "mac", cp.MAC, "file", path)
	return cp, nil
}

// writeFileAtomic replaces path with data: a temporary file in the same
// directory, synced, renamed over it, the directory synced.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// AnchorAudit writes the audit checkpoint (WriteCheckpoint) after work
// that appended to the trail: a command, or the server periodically and
// at shutdown. A failure is logged as an error, not returned: the work is
// done, and xinyong audit verify reports a mismatch.
func AnchorAudit(ctx context.Context, dir string, s store.AccessStore, keys *pii.Keyring, log *slog.Logger) {
	if _, err := WriteCheckpoint(ctx, dir, s, keys, log); err != nil {
		log.Error("audit checkpoint not written", "err", err)
	}
}
