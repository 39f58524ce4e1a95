package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// TestWriteCheckpoint: nothing is written for an empty trail or when
// nothing was appended; the checkpoint follows the head; a file that is
// not a checkpoint, or one signed with another key, is never overwritten.
func TestWriteCheckpoint(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keys := storetest.Keys()
	s, err := sqlite.Open(ctx, dir, keys)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	path := CheckpointPath(dir)
	if _, err := WriteCheckpoint(ctx, dir, s, keys, log); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a checkpoint of an empty trail: %v", err)
	}
	appendEntry := func() auth.AuditEntry {
		e, err := s.Audit(ctx, auth.AuditEntry{Actor: "system:test", Action: auth.AuditOrgChange, Outcome: "ok"})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	appendEntry()
	head := appendEntry()
	cp, err := WriteCheckpoint(ctx, dir, s, keys, log)
	if err != nil || cp.Seq != head.Seq || !cp.Signed(keys.CheckpointMAC) {
		t.Fatalf("checkpoint %+v, %v; head %d", cp, err, head.Seq)
	}
	written, _ := os.ReadFile(path)
	if again, err := WriteCheckpoint(ctx, dir, s, keys, log); err != nil || again != cp {
		t.Errorf("nothing appended: %+v, %v", again, err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, written) {
		t.Error("rewritten with nothing appended")
	}
	head = appendEntry()
	if cp, err := WriteCheckpoint(ctx, dir, s, keys, log); err != nil || cp.Seq != head.Seq {
		t.Errorf("after an append: %+v, %v", cp, err)
	}
	if err := CompareCheckpoint(ctx, s, keys, cp); err != nil {
		t.Errorf("an older checkpoint of the same chain: %v", err)
	}
	for name, content := range map[string][]byte{
		"garbage":     []byte("<html>not a checkpoint</html>"),
		"another key": []byte(`{"seq": 1, "hash": "00", "at": "2026-12-05T00:00:00Z", "mac": "00"}`),
	} {
		os.WriteFile(path, content, 0o644)
		appendEntry()
		_, err := WriteCheckpoint(ctx, dir, s, keys, log)
		if b, _ := os.ReadFile(path); err == nil || !strings.Contains(err.Error(), "not overwritten") || !bytes.Equal(b, content) {
			t.Errorf("%s: %v; file now %q", name, err, b)
		}
	}
}
