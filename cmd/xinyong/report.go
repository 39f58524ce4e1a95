package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/store"
)

const reportUsage = `Usage: xinyong report key                              print the platform's report verifier key
       xinyong report verify --key KEY FILE.pdf…       verify reports offline (exit 0: all genuine; 1: any not)
       xinyong report issue --subject CODE [--as-of D] [--out F.pdf] [--public-url U]
                                                      issue an organisation's report
       xinyong report log [--checkpoint FILE]          check the report log (and that it extends a checkpoint kept earlier)`

func runReport(ctx context.Context, env *environ, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.stderr, reportUsage)
		if len(args) > 0 {
			return nil
		}
		return &exitError{code: 2}
	}
	switch args[0] {
	case "key":
		return runReportKey(ctx, env, args[1:])
	case "verify":
		return runReportVerify(env, args[1:])
	case "issue":
		return runReportIssue(ctx, env, args[1:])
	case "log":
		return runReportLog(ctx, env, args[1:])
	}
	return usageError("unknown report subcommand %q (want key, verify, issue or log)", args[0])
}

// openReports opens the store and the report service over it.
func openReports(ctx context.Context, c config.Config, env *environ) (store.Store, *report.Service, error) {
	log, err := app.NewLogger(c, env.stderr)
	if err != nil {
		return nil, nil, usageError("%v", err)
	}
	s, keys, err := app.Open(ctx, c, log, false)
	if err != nil {
		return nil, nil, err
	}
	cat, err := app.Catalog(c)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	checks, err := app.Checks(c, s, cat)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	ev, err := evaluationService(c, s)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	ps := &portal.Service{Store: s, Catalog: cat, Keys: keys}
	rs, err := app.Reports(c, s, ps, checks, ev, &auth.Authorizer{Roles: auth.DefaultRoles(), Log: log}, keys)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, rs, nil
}

func runReportKey(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "report key", "report key [--data DIR | --db DSN]\n\n"+
		"Prints the verifier key of the platform's report signing key (an Ed25519 key wrapped with the data keys):\n"+
		"what xinyong report verify --key takes and GET /api/v1/reports/key serves. Publish it; keep a copy.")
	c, _, err := setup(env, fs, args, config.Intake)
	if err != nil {
		return err
	}
	s, rs, err := openReports(ctx, c, env)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintln(env.stdout, rs.Log.Signer.VerifierKey())
	return nil
}

// readKey reads --key: the key itself, or a file holding it.
func readKey(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", usageError("--key is required: the platform's verifier key (xinyong report key, GET /api/v1/reports/key) or a file holding it")
	}
	if !strings.HasPrefix(v, report.KeyName+"+") {
		b, err := os.ReadFile(v)
		if err != nil {
			return "", usageError("--key %q is neither a verifier key (%s+…) nor a readable file: %v", v, report.KeyName, err)
		}
		v = strings.TrimSpace(string(b))
	}
	return v, nil
}

func runReportVerify(env *environ, args []string) error {
	fs := newFlagSet(env, "report verify", "report verify --key KEY FILE.pdf…\n\n"+
		"Verifies credit reports completely offline against the platform's verifier key: the file is the one issued,\n"+
		"byte for byte; its entry is signed by the key and names the file's SHA-256; the log checkpoint it carries is\n"+
		"signed by the key; and its inclusion proof puts the entry in that log. Exit 0 when every file is genuine, 1\n"+
		"otherwise (each failure says what failed), 2 on a usage error.")
	var c config.Config
	if err := config.Bind(fs, &c, env.getenv, "key"); err != nil {
		return usageError("%v", err)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("name at least one report file (PDF)")
	}
	key, err := readKey(c.ReportKey)
	if err != nil {
		return err
	}
	v, err := report.ParseVerifierKey(key)
	if err != nil {
		return usageError("--key: %v", err)
	}
	failed := 0
	for _, name := range fs.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(env.stdout, "%s：无法读取：%v\n", name, err)
			failed++
			continue
		}
		got, err := report.Verify(b, v)
		if err != nil {
			fmt.Fprintf(env.stdout, "%s：未通过核验：%v\n", name, err)
			failed++
			continue
		}
		e := got.Entry
		kind := report.TitleOrg
		if e.Kind == store.ReportPerson {
			kind = report.TitlePerson
		}
		who := e.Subject
		if e.Name != "" {
			who = e.Name + "（" + e.Subject + "）"
		}
		fmt.Fprintf(env.stdout, "%s：报告真实有效。%s，编号 %s，信息主体 %s，信息截止 %s，签发于 %s；已记入签发日志第 %d 份（检查点时日志共 %d 份），签名与包含证明均已核对。\n",
			name, kind, e.Number, who, e.AsOf, report.BeijingTime(e.Issued), got.Index+1, got.Tree.N)
	}
	if failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d files failed verification", failed, fs.NArg())}
	}
	return nil
}

func runReportIssue(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "report issue", "report issue --subject CODE [--as-of YYYY-MM-DD] [--out FILE.pdf] [--public-url URL]\n\n"+
		"Issues an organisation's credit report (signed and logged like one downloaded from the portal) and writes\n"+
		"its PDF (default: NUMBER.pdf in the current directory). A person's report is issued only through the portal,\n"+
		"to the person signed in or to a holder of the person's written authorisation.")
	subject := fs.String("subject", "", "the organisation's USCC or registration number")
	asOf := fs.String("as-of", "", "the day whose public data the report shows (default today)")
	out := fs.String("out", "", "the file to write")
	c, _, err := setup(env, fs, args, append(append([]string{}, config.Intake...), "site-name", "public-url", "lists"))
	if err != nil {
		return err
	}
	if *subject == "" {
		return usageError("--subject is required")
	}
	s, rs, err := openReports(ctx, c, env)
	if err != nil {
		return err
	}
	defer s.Close()
	sub, err := s.FindSubjectByCode(ctx, strings.ToUpper(strings.TrimSpace(*subject)))
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("平台未收录代码为 %s 的信用主体", *subject)
	}
	if err != nil {
		return err
	}
	on, _, err := rs.Builder.Portal.AsOf(*asOf)
	if err != nil {
		return usageError("--as-of: %v", err)
	}
	verify := ""
	if c.PublicURL != "" {
		verify = strings.TrimSuffix(c.PublicURL, "/") + "/verify"
	}
	is, err := rs.IssueFor(ctx, sub, on, verify)
	if err != nil {
		return err
	}
	name := *out
	if name == "" {
		name = is.Report.Number + ".pdf"
	}
	if err := os.WriteFile(name, is.PDF, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s\t%s\t%s\n", is.Report.Number, sub.Name, name)
	return nil
}

func runReportLog(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "report log", "report log [--checkpoint FILE] [--data DIR | --db DSN]\n\n"+
		"Checks the report log: every stored hash is recomputed from the entries (a rewritten entry or hash is found),\n"+
		"and, given a checkpoint saved earlier (GET /api/v1/reports/checkpoint, its \"checkpoint\" text), that the log\n"+
		"still extends it. Prints the log's size and a checkpoint signed now; exit 1 on any mismatch.")
	cp := fs.String("checkpoint", "", "a signed checkpoint kept earlier")
	c, _, err := setup(env, fs, args, config.Intake)
	if err != nil {
		return err
	}
	var earlier []byte
	if *cp != "" {
		if earlier, err = os.ReadFile(*cp); err != nil {
			return usageError("--checkpoint: %v", err)
		}
	}
	s, rs, err := openReports(ctx, c, env)
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := rs.Log.Check(ctx, earlier)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	signed, _, err := rs.Log.Checkpoint(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "报告签发日志完整：共 %d 份报告\n%s", n, signed)
	return nil
}
