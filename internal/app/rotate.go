package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store"
)

// pendingSuffix names the new key file a rotation stages next to
// DATA/data.key until the database is under the new key.
const pendingSuffix = ".new"

// ErrNeedNewKey refuses to generate a new master key when the current one
// is given in XINYONG_DATA_KEY: the binary could not store it anywhere the
// operator's configuration reads.
var ErrNeedNewKey = errors.New("XINYONG_DATA_KEY is set, so the new key cannot be generated into DATA/data.key: " +
	"write a new key to a file (head -c 32 /dev/urandom | base64 > FILE) and pass --new-key-file FILE, " +
	"then set XINYONG_DATA_KEY to it")

// RotateOptions say what RotateKey does.
type RotateOptions struct {
	// NewKey is the new master key; nil: generate one into DATA/data.key,
	// allowed only when that file holds the current key.
	NewKey []byte
	// Reencrypt also makes a new encryption sub-key primary, re-encrypts
	// every ciphertext with it and then forgets the old ones.
	Reencrypt bool
	// BatchSize is how many rows one re-encryption transaction reads
	// (default 1000).
	BatchSize int
}

// RotateResult says what RotateKey did.
type RotateResult struct {
	Dialect string
	// Rotated: the sub-keys were re-wrapped under a new master key by this
	// run. Resumed: the database was already under the new master key (an
	// earlier run was interrupted), and this run finished its work.
	Rotated, Resumed bool
	// KeyFile is DATA/data.key when it now holds the new key, and
	// OldKeyFile the copy of the old key kept next to it.
	KeyFile, OldKeyFile string
	// EncryptionKeys are the ids of the encryption sub-keys after the run,
	// and Primary the one new data is encrypted with.
	EncryptionKeys []byte
	Primary        byte
	// Counts is what re-encryption did, per column (nil without it).
	Counts []store.ColumnCount
}

// RotateKey rotates the master data key of the configured database: the
// sub-keys are re-wrapped under the new key in one settings update. With
// opt.Reencrypt a new encryption sub-key is made primary at the same time
// and every ciphertext re-encrypted with it (store.Reencrypt). Running it
// again after an interruption finishes the job: the new key (from
// opt.NewKey, or the staged DATA/data.key.new) is tried when the current
// one no longer opens the database.
func RotateKey(ctx context.Context, c config.Config, log *slog.Logger, opt RotateOptions) (RotateResult, error) {
	var res RotateResult
	keyFile := c.DataKey == ""
	path := filepath.Join(c.Data, KeyFileName)
	pendingPath := path + pendingSuffix
	var current, pending []byte
	if keyFile {
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return res, fmt.Errorf("no data key to rotate: %s does not exist and XINYONG_DATA_KEY is not set", path)
		}
		if err != nil {
			return res, err
		}
		if current, err = pii.ParseKey(string(b)); err != nil {
			return res, fmt.Errorf("data key file %s: %w", path, err)
		}
		if b, err := os.ReadFile(pendingPath); err == nil {
			if pending, err = pii.ParseKey(string(b)); err != nil {
				return res, fmt.Errorf("%s, left by an interrupted rotation, is not a key (%v): remove it and run again", pendingPath, err)
			}
		}
	} else {
		var err error
		if current, err = pii.ParseKey(c.DataKey); err != nil {
			return res, fmt.Errorf("XINYONG_DATA_KEY: %w", err)
		}
		if opt.NewKey == nil {
			return res, ErrNeedNewKey
		}
	}
	if opt.NewKey != nil && bytes.Equal(opt.NewKey, current) && !opt.Reencrypt {
		return res, errors.New("the new key is the current key: pass another one (with --reencrypt, the same key rotates only the encryption sub-key)")
	}

	keys, err := pii.NewMaster(current)
	if err != nil {
		return res, err
	}
	s, err := openDriver(ctx, c, keys)
	if err != nil {
		return res, err
	}
	opened := keys // the keyring the store holds, for the audit entry
	defer s.Close()
	res.Dialect = s.Dialect()
	if err := checkSchema(ctx, s, log, false); err != nil {
		return res, err
	}
	ks, ok := s.(store.KeyStore)
	if !ok {
		return res, fmt.Errorf("the %s driver cannot keep data keys", s.Dialect())
	}

	// Open the database's keys with the current master key or, when an
	// earlier run already switched the database, with the new one.
	var switched []byte // the new key, when it is the one that opened them
	err = store.LoadKeys(ctx, ks, keys)
	if errors.Is(err, pii.ErrWrongKey) {
		for _, cand := range [][]byte{pending, opt.NewKey} {
			if cand == nil || bytes.Equal(cand, current) {
				continue
			}
			k, kerr := pii.NewMaster(cand)
			if kerr != nil {
				return res, kerr
			}
			if store.LoadKeys(ctx, ks, k) == nil {
				keys, switched, err = k, cand, nil
				break
			}
		}
	}
	if errors.Is(err, pii.ErrWrongKey) {
		return res, errWrongKey
	}
	if err != nil {
		return res, fmt.Errorf("load data keys: %w", err)
	}

	if switched == nil {
		if pending != nil {
			// Staged by a run that stopped before the database used it.
			if err := os.Remove(pendingPath); err != nil {
				return res, err
			}
			pending = nil
		}
		next := opt.NewKey
		if next == nil {
			next = randomMaster()
		}
		same := bytes.Equal(next, current)
		if keyFile && !same {
			// Stage the new key durably before the database depends on it.
			if err := pii.WriteKeyFile(pendingPath, next); err != nil {
				return res, err
			}
			syncDir(c.Data)
			pending = next
		}
		var newMaster []byte
		if !same {
			newMaster = next
		}
		if ids, primary := keys.EncryptionKeys(); opt.Reencrypt && len(ids) > 1 {
			log.Info("an earlier re-encryption is unfinished: continuing it", "primary_key", primary)
		}
		if keys, err = store.RotateKeys(ctx, ks, keys, newMaster, opt.Reencrypt); err != nil {
			return res, fmt.Errorf("rotate data keys: %w", err)
		}
		res.Rotated = !same
		log.Info("data keys re-wrapped", "driver", s.Dialect(), "new_master", res.Rotated)
	} else {
		res.Resumed = true
		log.Info("the database is already under the new key: finishing the interrupted rotation")
	}
	if keyFile && pending != nil {
		old, err := installKeyFile(c.Data, current)
		if err != nil {
			return res, fmt.Errorf("the database is under the new key, kept in %s, but installing it as %s failed: %w", pendingPath, path, err)
		}
		res.KeyFile, res.OldKeyFile = path, old
	}

	if ids, _ := keys.EncryptionKeys(); opt.Reencrypt && (!res.Resumed || len(ids) > 1) {
		batches := 0
		res.Counts, err = store.Reencrypt(ctx, ks, keys, store.ReencryptOptions{
			BatchSize: opt.BatchSize,
			AfterBatch: func(col store.EncryptedColumn, read, rewritten int) error {
				batches++
				log.Debug("re-encryption batch", "column", col.String(), "read", read, "reencrypted", rewritten)
				if batches%100 == 0 {
					log.Info("re-encrypting", "column", col.String(), "batches", batches)
				}
				return nil
			},
		})
		if err != nil {
			return res, err
		}
	}
	res.EncryptionKeys, res.Primary = keys.EncryptionKeys()
	// The audit key never changes, so the store's keyring can seal the
	// entry, provided it opened the keys (a resumed run opened them with
	// the new master in another keyring; the first run's entry is lost
	// with its crash, and the log says so).
	if opened.Loaded() {
		e := auth.AuditEntry{Actor: auth.Principal{Kind: auth.System, Name: "cli"}.String(), Action: auth.AuditKeyRotate, Outcome: "ok",
			Detail: fmt.Sprintf("new master key: %v; re-encrypted: %v; encryption keys %v, primary %d", res.Rotated, opt.Reencrypt, res.EncryptionKeys, res.Primary)}
		if _, err := s.Audit(ctx, e); err != nil {
			return res, fmt.Errorf("the keys are rotated, but the audit trail could not be written: %w", err)
		}
		AnchorAudit(ctx, c.Data, s, opened, log)
	} else {
		log.Warn("finished an interrupted rotation; it is not in the audit trail")
	}
	return res, nil
}

func randomMaster() []byte {
	k, err := pii.ParseKey(pii.NewKey())
	if err != nil {
		panic(err)
	}
	return k
}

// installKeyFile makes the staged DATA/data.key.new the key file, first
// keeping the old key (old) as DATA/data.key.old-<UTC time> (mode 0600).
// The key file exists throughout: the rename replaces it atomically.
func installKeyFile(dir string, old []byte) (string, error) {
	path := filepath.Join(dir, KeyFileName)
	stamp := time.Now().UTC().Format("20060102T150405Z")
	oldPath := path + ".old-" + stamp
	for i := 2; ; i++ {
		err := pii.WriteKeyFile(oldPath, old)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) {
			return "", err
		}
		oldPath = fmt.Sprintf("%s.old-%s-%d", path, stamp, i)
	}
	if err := os.Rename(path+pendingSuffix, path); err != nil {
		return "", err
	}
	syncDir(dir)
	return oldPath, nil
}

// syncDir makes renames and new files in dir durable, where the platform
// allows it (best effort).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
