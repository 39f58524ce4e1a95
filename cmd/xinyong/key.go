package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/pii"
)

const keyUsage = "Usage: xinyong key rotate [--new-key-file FILE] [--reencrypt] [--data DIR | --db DSN]"

func runKey(ctx context.Context, env *environ, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.stderr, keyUsage)
		if len(args) > 0 {
			return nil
		}
		return &exitError{code: 2}
	}
	if args[0] != "rotate" {
		return usageError("unknown key subcommand %q (want rotate)", args[0])
	}
	fs := newFlagSet(env, "key rotate", "key rotate [--new-key-file FILE] [--reencrypt] [--data DIR | --db DSN]\n\n"+
		"Rotates the master data key: the stored sub-keys are re-wrapped under the new key in one update.\n"+
		"The new key is read from --new-key-file, or, when the current key is DATA/data.key, generated\n"+
		"into DATA/data.key (the old one is kept as DATA/data.key.old-TIME). With --reencrypt, a new\n"+
		"encryption sub-key is also made and every encrypted value re-encrypted with it, in batches;\n"+
		"stop serve and imports first. An interrupted run is finished by running the same command again.")
	reencrypt := fs.Bool("reencrypt", false, "also replace the encryption sub-key and re-encrypt all personal data with it")
	c, log, err := setup(env, fs, args[1:], config.KeyRotate)
	if err != nil {
		return err
	}
	opt := app.RotateOptions{Reencrypt: *reencrypt}
	if c.NewKeyFile != "" {
		b, err := os.ReadFile(c.NewKeyFile)
		if err != nil {
			return fmt.Errorf("--new-key-file: %w", err)
		}
		if opt.NewKey, err = pii.ParseKey(string(b)); err != nil {
			return fmt.Errorf("--new-key-file %s: %w", c.NewKeyFile, err)
		}
	}
	res, err := app.RotateKey(ctx, c, log, opt)
	if errors.Is(err, app.ErrNeedNewKey) {
		return usageError("%v", err)
	}
	if err != nil {
		return err
	}
	w := env.stdout
	switch {
	case res.Resumed:
		fmt.Fprintf(w, "the database (%s) was already under the new key: finished the interrupted rotation\n", res.Dialect)
	case res.Rotated:
		fmt.Fprintf(w, "data keys of the database (%s) re-wrapped under the new master key\n", res.Dialect)
	default:
		fmt.Fprintf(w, "master key of the database (%s) unchanged\n", res.Dialect)
	}
	for _, cc := range res.Counts {
		fmt.Fprintf(w, "%-24s %d re-encrypted, %d values\n", cc.Column.String()+":", cc.Reencrypted, cc.Rows)
	}
	ids := make([]string, len(res.EncryptionKeys))
	for i, id := range res.EncryptionKeys {
		ids[i] = fmt.Sprint(id)
	}
	fmt.Fprintf(w, "encryption keys: %s (primary %d)\n", strings.Join(ids, ", "), res.Primary)
	if len(res.EncryptionKeys) > 1 && *reencrypt {
		fmt.Fprintln(w, "re-encryption is not finished: run the same command again")
	} else if len(res.EncryptionKeys) > 1 {
		fmt.Fprintln(w, "an earlier re-encryption is unfinished: run xinyong key rotate --reencrypt to finish it")
	}
	switch {
	case res.KeyFile != "":
		fmt.Fprintf(w, "%s now holds the new key. The old key is in %s:\n"+
			"back the new key up, and destroy the old file once no backup you keep needs it\n"+
			"(a database backup taken before this rotation opens only with the old key).\n", res.KeyFile, res.OldKeyFile)
	case res.Rotated && c.DataKey != "":
		fmt.Fprintf(w, "set XINYONG_DATA_KEY (or XINYONG_DATA_KEY_FILE) to the new key in %s before xinyong runs again;\n"+
			"the old key no longer opens the database (keep it only as long as backups taken before now need it).\n", c.NewKeyFile)
	}
	return nil
}
