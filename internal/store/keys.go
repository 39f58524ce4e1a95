package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/xinyong/xinyong/internal/pii"
)

// Settings rows of the data keys.
const (
	// SettingDataKeys holds the sub-keys wrapped under the master key
	// (pii.Keyring.Wrap).
	SettingDataKeys = "data_keys"
	// SettingFingerprint is where releases before envelope encryption kept
	// the master key's fingerprint. Once data_keys exists it holds
	// envelopeMarker, which no fingerprint equals, so that such a release
	// refuses the database instead of writing with keys it derives itself.
	SettingFingerprint = "data_key_fingerprint"
	envelopeMarker     = "envelope: see data_keys"
)

// EncryptedColumn is a column holding pii ciphertexts, with the key that
// identifies its rows.
type EncryptedColumn struct {
	Table  string
	Key    []string // the primary key's columns
	Column string
}

func (c EncryptedColumn) String() string { return c.Table + "." + c.Column }

// EncryptedColumns lists every column holding ciphertexts: key rotation
// re-encrypts exactly these. A table with personal data in a new column
// adds its line here.
var EncryptedColumns = []EncryptedColumn{
	{Table: "subjects", Key: []string{"id"}, Column: "id_enc"},
	{Table: "records", Key: []string{"id"}, Column: "private"},
	{Table: "record_versions", Key: []string{"record_id", "version"}, Column: "private"},
	{Table: "users", Key: []string{"id"}, Column: "totp_enc"},
	{Table: "objections", Key: []string{"id"}, Column: "contact"},
	{Table: "repair_files", Key: []string{"id"}, Column: "data"},
	{Table: "objection_files", Key: []string{"id"}, Column: "data"},
	{Table: "report_grants", Key: []string{"id"}, Column: "document"},
	{Table: "hiring_candidates", Key: []string{"check_id", "idx"}, Column: "name_enc"},
	{Table: "hiring_candidates", Key: []string{"check_id", "idx"}, Column: "id_enc"},
	{Table: "complaints", Key: []string{"id"}, Column: "informant"},
	{Table: "complaint_files", Key: []string{"id"}, Column: "data"},
}

// KeyStore is what data-key management needs of a driver besides Store.
// Both drivers implement it; assert it where it is used.
type KeyStore interface {
	// Setting returns the value stored under name, or ErrNotFound.
	Setting(ctx context.Context, name string) (string, error)
	// SwapSetting stores value under name if the stored value is still old
	// (old "": if none is stored), in one statement, and reports whether
	// it did.
	SwapSetting(ctx context.Context, name, old, value string) (bool, error)
	// ReencryptBatch reads, in one transaction, up to limit non-null
	// values of column c in key order after the key after (nil: from the
	// first row), replaces each value for which rewrite returns non-nil,
	// and commits. It returns the key of the last row read (nil when none)
	// and how many rows it read and rewrote.
	ReencryptBatch(ctx context.Context, c EncryptedColumn, after []any, limit int, rewrite func([]byte) ([]byte, error)) (last []any, read, rewritten int, err error)
}

// LoadKeys loads the database's sub-keys into k, which holds only the
// master key, creating them on first use: random ones for a new database,
// or, for one written before envelope encryption (a data_key_fingerprint
// but no data_keys), the ones derived from the master key as then, so
// that its ciphertexts and hashes stay valid. Processes starting together
// agree on one set: the first stored wins. A master key that does not
// open the sub-keys, or is not the one a fingerprint names, fails with an
// error wrapping pii.ErrWrongKey.
func LoadKeys(ctx context.Context, ks KeyStore, k *pii.Keyring) error {
	for range 2 {
		wrapped, err := ks.Setting(ctx, SettingDataKeys)
		if err == nil {
			if err := k.Unlock(wrapped); err != nil {
				return err
			}
			return ensureSigningKey(ctx, ks, k, wrapped)
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		fp, err := ks.Setting(ctx, SettingFingerprint)
		var candidate string
		switch {
		case errors.Is(err, ErrNotFound):
			fp = ""
			candidate, err = k.NewWrapped()
		case err != nil:
		case fp == envelopeMarker:
			continue // another process stored data_keys since we looked
		case fp != k.LegacyFingerprint():
			return fmt.Errorf("%w (fingerprint differs)", pii.ErrWrongKey)
		default:
			candidate, err = k.LegacyWrapped()
		}
		if err != nil {
			return err
		}
		if _, err := ks.SwapSetting(ctx, SettingDataKeys, "", candidate); err != nil {
			return err
		}
		wrapped, err = ks.Setting(ctx, SettingDataKeys)
		if err != nil {
			return err
		}
		if err := k.Unlock(wrapped); err != nil {
			return err
		}
		// Lose nothing if another process did this first.
		if _, err := ks.SwapSetting(ctx, SettingFingerprint, fp, envelopeMarker); err != nil {
			return err
		}
		return ensureSigningKey(ctx, ks, k, wrapped)
	}
	return fmt.Errorf("settings mark the data keys as stored (%s) but hold no %s: restore the settings table from a backup", SettingFingerprint, SettingDataKeys)
}

// ensureSigningKey gives the stored sub-keys a report signing key when they
// have none (a database from before credit reports, or one whose keys were
// derived the legacy way): a random Ed25519 key, wrapped under the master
// key with the others, so that key rotation keeps it. wrapped is what k
// was loaded from. Processes doing this at once agree on the first stored.
func ensureSigningKey(ctx context.Context, ks KeyStore, k *pii.Keyring, wrapped string) error {
	for range 3 {
		if _, ok := k.SigningKey(); ok {
			return nil
		}
		nk, err := k.WithMaster(nil)
		if err != nil {
			return err
		}
		if err := nk.AddSigningKey(); err != nil {
			return err
		}
		next, err := nk.Wrap()
		if err != nil {
			return err
		}
		if _, err := ks.SwapSetting(ctx, SettingDataKeys, wrapped, next); err != nil {
			return err
		}
		if wrapped, err = ks.Setting(ctx, SettingDataKeys); err != nil {
			return err
		}
		if err := k.Unlock(wrapped); err != nil {
			return err
		}
	}
	if _, ok := k.SigningKey(); !ok {
		return errors.New("the stored data keys keep changing: could not add the report signing key")
	}
	return nil
}

// ErrKeysChanged is returned when the stored sub-keys changed during a key
// operation (another rotation running at once).
var ErrKeysChanged = errors.New("the stored data keys changed meanwhile (another key rotation?): run again")

// RotateKeys re-wraps the database's sub-keys under newMaster (nil: the
// same master) in one settings update, and returns the keyring holding
// them under it. With newEncKey it also adds an encryption key and makes
// it primary, unless the keys already hold several (an unfinished
// re-encryption, whose primary key is kept). k must have been loaded by
// LoadKeys from the same database.
func RotateKeys(ctx context.Context, ks KeyStore, k *pii.Keyring, newMaster []byte, newEncKey bool) (*pii.Keyring, error) {
	cur, err := ks.Setting(ctx, SettingDataKeys)
	if err != nil {
		return nil, fmt.Errorf("read data keys: %w", err)
	}
	if err := k.Unlock(cur); err != nil {
		return nil, err
	}
	nk := k
	if newMaster != nil {
		if nk, err = k.WithMaster(newMaster); err != nil {
			return nil, err
		}
	}
	if ids, _ := nk.EncryptionKeys(); newEncKey && len(ids) == 1 {
		if nk == k { // do not change the caller's keyring before the store does
			if nk, err = k.WithMaster(nil); err != nil {
				return nil, err
			}
		}
		if _, err := nk.AddEncryptionKey(); err != nil {
			return nil, err
		}
	}
	next, err := nk.Wrap()
	if err != nil {
		return nil, err
	}
	ok, err := ks.SwapSetting(ctx, SettingDataKeys, cur, next)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrKeysChanged
	}
	return nk, nil
}

// ReencryptOptions tune Reencrypt.
type ReencryptOptions struct {
	// BatchSize is how many rows one transaction reads (default 1000).
	BatchSize int
	// AfterBatch, when set, is called after each committed batch; an error
	// stops the re-encryption there, leaving it to be finished by another
	// run (tests simulate a crash with it; the command logs progress).
	AfterBatch func(c EncryptedColumn, read, rewritten int) error
}

// ColumnCount is what Reencrypt did to one column.
type ColumnCount struct {
	Column      EncryptedColumn
	Rows        int // ciphertexts in the column
	Reencrypted int // of which re-encrypted (the others were already under the primary key)
}

// maxPasses bounds the passes of Reencrypt: the first re-encrypts, the
// second proves that none is left; a third is needed only when something
// writes ciphertexts under an old key meanwhile.
const maxPasses = 3

// Reencrypt seals every ciphertext of EncryptedColumns anew under k's
// primary encryption key, in batches of one transaction each, and then,
// only after a full pass found none left under another key, removes the
// other encryption keys from the stored data keys. Until then they stay,
// so an interrupted run leaves every value readable and running it again
// finishes the job. Nothing else may write ciphertexts meanwhile (stop
// serve and imports): a process that loaded the keys before the rotation
// still encrypts under the old key.
func Reencrypt(ctx context.Context, ks KeyStore, k *pii.Keyring, opt ReencryptOptions) ([]ColumnCount, error) {
	size := opt.BatchSize
	if size <= 0 {
		size = 1000
	}
	counts := make([]ColumnCount, len(EncryptedColumns))
	for pass := 1; ; pass++ {
		left := 0
		for i, c := range EncryptedColumns {
			counts[i].Column = c
			var after []any
			rows := 0
			for {
				last, read, rewritten, err := ks.ReencryptBatch(ctx, c, after, size, func(ct []byte) ([]byte, error) {
					if len(ct) == 0 {
						return nil, nil
					}
					return k.Reencrypt(ct)
				})
				if err != nil {
					return counts, fmt.Errorf("re-encrypt %s: %w", c, err)
				}
				rows += read
				counts[i].Reencrypted += rewritten
				left += rewritten
				if opt.AfterBatch != nil {
					if err := opt.AfterBatch(c, read, rewritten); err != nil {
						return counts, err
					}
				}
				if read < size {
					break
				}
				after = last
			}
			counts[i].Rows = rows
		}
		if left == 0 {
			break
		}
		if pass == maxPasses {
			return counts, errors.New("ciphertexts under an old key keep appearing: stop every other xinyong process (serve, import) and run again")
		}
	}
	// Every ciphertext is under the primary key: drop the others.
	cur, err := ks.Setting(ctx, SettingDataKeys)
	if err != nil {
		return counts, err
	}
	_, primary := k.EncryptionKeys()
	if err := k.Unlock(cur); err != nil {
		return counts, err
	}
	ids, stored := k.EncryptionKeys()
	if stored != primary {
		return counts, ErrKeysChanged
	}
	if len(ids) == 1 {
		return counts, nil
	}
	if err := k.DropOldEncryptionKeys(); err != nil {
		return counts, err
	}
	next, err := k.Wrap()
	if err != nil {
		return counts, err
	}
	if ok, err := ks.SwapSetting(ctx, SettingDataKeys, cur, next); err != nil || !ok {
		if err == nil {
			err = ErrKeysChanged
		}
		return counts, err
	}
	return counts, nil
}
