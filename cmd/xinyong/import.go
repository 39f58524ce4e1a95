package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/registry"
)

func runImport(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "import", "import --kind xk|cf|… --file FILE [--dept USCC] [--json] [--errors OUT.csv] [--data DIR | --db DSN]\n\n"+
		"Imports a CSV (UTF-8 or GBK) or XLSX file of credit records. Bad rows are rejected with their reasons;\n"+
		"the others are filed. Running the same file again changes nothing; an interrupted import resumes.\n"+
		"Exit status: 0 when the file was processed (even with rejected rows), 1 when it could not be, 2 usage.")
	kind := fs.String("kind", "", "record kind from the catalogue (xinyong catalog list)")
	file := fs.String("file", "", "the CSV or XLSX file")
	dept := fs.String("dept", "", "USCC of the sending department: rows of other departments are rejected")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	errorsOut := fs.String("errors", "", "write the rejected rows, with a reason column, to this CSV file")
	reason := fs.String("reason", "", "why changed rows are sent again (更正原因), kept with their new versions")
	c, log, err := setup(env, fs, args, config.Intake)
	if err != nil {
		return err
	}
	if *kind == "" || *file == "" {
		return usageError("--kind and --file are required")
	}
	cat, err := app.Catalog(c)
	if err != nil {
		return err
	}
	if _, ok := cat.Kind(*kind); !ok {
		return usageError("unknown --kind %q (see xinyong catalog list)", *kind)
	}
	hash, err := fileHash(*file)
	if err != nil {
		return err
	}
	t, err := ingest.Open(*file)
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	defer t.Close()
	s, keys, err := app.Open(ctx, c, log, true)
	if err != nil {
		return err
	}
	defer s.Close()

	opt := ingest.Options{Kind: *kind, Dept: *dept, Channel: "file", FileName: filepath.Base(*file), FileHash: hash, Reason: *reason}
	var errw *ingest.ErrorsWriter
	if *errorsOut != "" {
		f, err := os.Create(*errorsOut)
		if err != nil {
			return err
		}
		defer f.Close()
		errw = ingest.NewErrorsWriter(f)
		opt.Rejected = errw.Write
	}
	opt.Progress = importProgress(env, log)
	im, err := app.Importer(c, s, keys)
	if err != nil {
		return err
	}
	res, err := im.Import(ctx, t, opt)
	if errw != nil {
		if ferr := errw.Close(); err == nil && ferr != nil {
			err = ferr
		}
	}
	if err != nil {
		return err
	}
	e := cliEntry(auth.AuditRecordSubmit, fmt.Sprintf("%s 文件 %s：%d 行，新增 %d，更新 %d，未变 %d，退回 %d",
		opt.Kind, filepath.Base(*file), res.Rows, res.Accepted, res.Updated, res.Unchanged, len(res.Rejected)))
	e.Target = "batch:" + strconv.FormatInt(res.Batch, 10)
	if _, err := s.Audit(ctx, e); err != nil {
		return fmt.Errorf("the file was imported, but the audit trail could not be written: %w", err)
	}
	app.AnchorAudit(ctx, c.Data, s, keys, log)
	if *kind == registry.Kind {
		// The registry follows the batch now rather than at the server's
		// next poll (both apply a batch once).
		reg, err := app.Registry(c, s)
		if err != nil {
			return err
		}
		if _, err := reg.Sync(ctx); err != nil {
			return fmt.Errorf("the file was imported, but the registry could not follow it (xinyong registry sync retries): %w", err)
		}
	}
	for _, w := range res.Warnings {
		log.Warn("header", "warning", w)
	}
	if res.Resumed {
		log.Info("resumed an interrupted import of the same file", "batch", res.Batch)
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(res)
	}
	rows := map[int]bool{}
	for _, r := range res.Rejected {
		rows[r.Row] = true
	}
	fmt.Fprintf(env.stdout, "%s（%s）：共%d行，新增%d，更新%d，未变%d，退回%d行\n", *file, t.Encoding(), res.Rows, res.Accepted, res.Updated, res.Unchanged, len(rows))
	for _, w := range res.NameWarnings {
		fmt.Fprintf(env.stdout, "警告：%s\n", w)
	}
	for i, r := range res.Rejected {
		if i == maxListedReasons {
			fmt.Fprintf(env.stdout, "……另有%d条退回原因未列出：用 --errors 文件或 --json 查看全部\n", len(res.Rejected)-i)
			break
		}
		fmt.Fprintf(env.stdout, "第%d行\t%s\t%s\n", r.Row, r.Field, r.Reason)
	}
	return nil
}

// maxListedReasons bounds the reasons the text summary lists; --json and
// --errors carry all of them.
const maxListedReasons = 100

func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func importProgress(env *environ, log *slog.Logger) func(int) {
	if f, ok := env.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription("导入"),
			progressbar.OptionShowCount(), progressbar.OptionSpinnerType(14))
		return func(n int) { bar.Set(n) }
	}
	next := 0
	return func(n int) {
		if n >= next {
			log.Info("import progress", "rows", n)
			next = n + 100000
		}
	}
}
