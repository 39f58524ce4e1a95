package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/store"
)

const keyDemoSubjects, keyDemoSeed = 200, 5

// runBinary runs the real binary with only the given XINYONG_* variables.
func runBinary(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XINYONG_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

// storageConfig is the configuration the storage flags of backends give.
func storageConfig(flags []string, key string) config.Config {
	c := config.Config{DataKey: key}
	for i := 0; i+1 < len(flags); i += 2 {
		switch flags[i] {
		case "--data":
			c.Data = flags[i+1]
		case "--db":
			c.DB = flags[i+1]
		}
	}
	return c
}

// personalSnapshot opens the store with key (in process) and returns
// everything personal it gives back, decrypted: every demo person found
// by ID number, every version of every record with its personal fields.
func personalSnapshot(t *testing.T, flags []string, key string) string {
	t.Helper()
	ctx := context.Background()
	s, _, err := app.Open(ctx, storageConfig(flags, key), slog.New(slog.NewTextHandler(io.Discard, nil)), false)
	if err != nil {
		t.Fatalf("open with the key: %v", err)
	}
	defer s.Close()
	var b strings.Builder
	persons := 0
	err = demo.Generate(demo.Options{Seed: keyDemoSeed, Subjects: keyDemoSubjects}, func(sub credit.Subject) error {
		if sub.IDNumber == "" {
			return nil
		}
		got, err := s.FindSubjectByCode(ctx, sub.IDNumber)
		if err != nil {
			return fmt.Errorf("person %s: %w", credit.MaskID(sub.IDNumber), err)
		}
		persons++
		fmt.Fprintf(&b, "%s %d %s\n", got.MaskedID, got.ID, got.Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := s.LatestRecords(ctx, store.RecordFilter{Persons: true, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	private := 0
	for _, r := range recs {
		vs, err := s.RecordVersions(ctx, r.ID)
		if err != nil {
			t.Fatalf("record %d: %v", r.ID, err)
		}
		for _, v := range vs {
			if len(v.Private) > 0 {
				private++
			}
			fmt.Fprintf(&b, "%d/%d %s %s\n", v.ID, v.Version, v.Private, v.Fields)
		}
	}
	if persons == 0 || private == 0 || len(recs) == 0 {
		t.Fatalf("demo data has %d persons, %d records, %d with personal fields: nothing to prove", persons, len(recs), private)
	}
	return b.String()
}

func writeKey(t *testing.T, dir, name string, key []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func repeatKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// TestKeyRotateReencrypt rotates the master key given in XINYONG_DATA_KEY
// to one from --new-key-file and re-encrypts, through the real binary, on
// each backend: the old key is refused, the new one reads the same data.
func TestKeyRotateReencrypt(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := flags(t)
			oldKey := base64.StdEncoding.EncodeToString(repeatKey(11))
			oldEnv := map[string]string{"XINYONG_DATA_KEY": oldKey}
			if code, _, errs := runBinary(t, oldEnv, append([]string{"demo", "--subjects", fmt.Sprint(keyDemoSubjects), "--records", "400", "--seed", fmt.Sprint(keyDemoSeed)}, f...)...); code != 0 {
				t.Fatalf("demo: %d %s", code, errs)
			}
			before := personalSnapshot(t, f, oldKey)
			code, statsBefore, errs := runBinary(t, oldEnv, append([]string{"stats", "intake", "--json"}, f...)...)
			if code != 0 {
				t.Fatalf("stats: %s", errs)
			}

			// No new key given: refused, saying what to pass.
			code, _, errs = runBinary(t, oldEnv, append([]string{"key", "rotate"}, f...)...)
			if code != 2 || !strings.Contains(errs, "--new-key-file") {
				t.Fatalf("rotate without a new key: exit %d, %q", code, errs)
			}

			newFile := writeKey(t, t.TempDir(), "new.key", repeatKey(12))
			newKey := base64.StdEncoding.EncodeToString(repeatKey(12))
			code, out, errs := runBinary(t, oldEnv, append([]string{"key", "rotate", "--reencrypt", "--new-key-file", newFile}, f...)...)
			if code != 0 {
				t.Fatalf("key rotate: exit %d\n%s%s", code, out, errs)
			}
			for _, re := range []string{`subjects\.id_enc:\s+[1-9]\d* re-encrypted`, `records\.private:\s+[1-9]\d* re-encrypted`, `encryption keys: 2 \(primary 2\)`, `XINYONG_DATA_KEY`} {
				if !regexp.MustCompile(re).MatchString(out) {
					t.Errorf("output lacks %s:\n%s", re, out)
				}
			}

			code, _, errs = runBinary(t, oldEnv, append([]string{"stats", "intake", "--json"}, f...)...)
			if code != 1 || !strings.Contains(errs, "data key is not the one") || !strings.Contains(errs, "XINYONG_DATA_KEY") || !strings.Contains(errs, "DATA/data.key") {
				t.Fatalf("old key after rotation: exit %d, %q", code, errs)
			}
			newEnv := map[string]string{"XINYONG_DATA_KEY": newKey}
			code, statsAfter, errs := runBinary(t, newEnv, append([]string{"stats", "intake", "--json"}, f...)...)
			if code != 0 || statsAfter != statsBefore {
				t.Fatalf("stats with the new key: exit %d %s\n%s\nwant\n%s", code, errs, statsAfter, statsBefore)
			}
			if after := personalSnapshot(t, f, newKey); after != before {
				t.Fatalf("personal data changed by the rotation:\n%s\nbefore:\n%s", after, before)
			}
			// The rotation is in the audit trail, whose chain the new key still verifies.
			if code, out, errs := runBinary(t, newEnv, append([]string{"audit", "verify"}, f...)...); code != 0 || !strings.Contains(out, "intact") {
				t.Fatalf("audit verify after rotation: exit %d %s %s", code, out, errs)
			}
			if _, out, _ := runBinary(t, newEnv, append([]string{"audit", "list"}, f...)...); !strings.Contains(out, "key.rotate") {
				t.Errorf("the rotation is not in the audit trail:\n%s", out)
			}

			// Running it again is harmless: already done.
			code, out, errs = runBinary(t, oldEnv, append([]string{"key", "rotate", "--reencrypt", "--new-key-file", newFile}, f...)...)
			if code != 0 || !strings.Contains(out, "already under the new key") || !strings.Contains(out, "encryption keys: 2 (primary 2)") {
				t.Fatalf("second run: exit %d\n%s%s", code, out, errs)
			}
		})
	}
}

// TestKeyRotateKeyFile rotates the generated DATA/data.key: the new key
// replaces it, the old one is kept beside it (0600) and no longer opens
// the database.
func TestKeyRotateKeyFile(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := flags(t)
			dir := storageConfig(f, "").Data
			if code, _, errs := runBinary(t, nil, append([]string{"demo", "--subjects", fmt.Sprint(keyDemoSubjects), "--records", "400", "--seed", fmt.Sprint(keyDemoSeed)}, f...)...); code != 0 {
				t.Fatalf("demo: %d %s", code, errs)
			}
			keyPath := filepath.Join(dir, "data.key")
			oldFile, err := os.ReadFile(keyPath)
			if err != nil {
				t.Fatal(err)
			}
			oldKey := strings.TrimSpace(string(oldFile))
			before := personalSnapshot(t, f, oldKey)

			code, out, errs := runBinary(t, nil, append([]string{"key", "rotate"}, f...)...)
			if code != 0 || !strings.Contains(out, "destroy the old file") {
				t.Fatalf("key rotate: exit %d\n%s%s", code, out, errs)
			}
			newFile, _ := os.ReadFile(keyPath)
			newKey := strings.TrimSpace(string(newFile))
			if newKey == oldKey || newKey == "" {
				t.Fatal("DATA/data.key was not replaced")
			}
			olds, _ := filepath.Glob(keyPath + ".old-*")
			if len(olds) != 1 {
				t.Fatalf("old key files: %v", olds)
			}
			if b, _ := os.ReadFile(olds[0]); strings.TrimSpace(string(b)) != oldKey {
				t.Fatal("the kept old key is not the old key")
			}
			if st, err := os.Stat(olds[0]); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("old key file mode %v %v", st.Mode(), err)
			}
			if _, err := os.Stat(keyPath + ".new"); !os.IsNotExist(err) {
				t.Fatalf("staged key file left behind: %v", err)
			}

			code, _, errs = runBinary(t, map[string]string{"XINYONG_DATA_KEY": oldKey}, append([]string{"stats", "intake"}, f...)...)
			if code != 1 || !strings.Contains(errs, "data key is not the one") {
				t.Fatalf("old key after rotation: exit %d, %q", code, errs)
			}
			if code, _, errs := runBinary(t, nil, append([]string{"stats", "intake"}, f...)...); code != 0 {
				t.Fatalf("stats with the new DATA/data.key: %s", errs)
			}
			if after := personalSnapshot(t, f, newKey); after != before {
				t.Fatalf("personal data changed by the rotation:\n%s\nbefore:\n%s", after, before)
			}
		})
	}
}

// TestKeyRotateFinishesInterrupted simulates a rotation killed after the
// database switched to the staged key but before DATA/data.key was
// replaced: commands say so, and running key rotate again finishes it.
func TestKeyRotateFinishesInterrupted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := []string{"--data", dir}
	if code, _, errs := runBinary(t, nil, append([]string{"demo", "--subjects", "50", "--records", "40"}, f...)...); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	keyPath := filepath.Join(dir, "data.key")
	oldFile, _ := os.ReadFile(keyPath)
	if code, _, errs := runBinary(t, nil, append([]string{"key", "rotate"}, f...)...); code != 0 {
		t.Fatal(errs)
	}
	// Put the files back as they were between the database update and the
	// rename: the new key staged, the old one in place.
	if err := os.Rename(keyPath, keyPath+".new"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(keyPath, oldFile, 0o600)
	code, _, errs := runBinary(t, nil, append([]string{"stats", "intake"}, f...)...)
	if code != 1 || !strings.Contains(errs, "rotation was interrupted") {
		t.Fatalf("stats during an interrupted rotation: exit %d %q", code, errs)
	}
	code, out, errs := runBinary(t, nil, append([]string{"key", "rotate"}, f...)...)
	if code != 0 || !strings.Contains(out, "finished the interrupted rotation") {
		t.Fatalf("re-run: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := runBinary(t, nil, append([]string{"stats", "intake"}, f...)...); code != 0 {
		t.Fatalf("stats after finishing: %s", errs)
	}
}
