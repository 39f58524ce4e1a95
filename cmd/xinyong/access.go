package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/division"
	"github.com/xinyong/xinyong/internal/store"
)

// The operator at the command line acts as the system principal: every
// change is recorded in the audit trail as system:cli.
var cliPrincipal = auth.Principal{Kind: auth.System, Name: "cli"}

func cliEntry(action, detail string) auth.AuditEntry {
	return auth.AuditEntry{Actor: cliPrincipal.String(), Action: action, Outcome: "ok", Detail: detail}
}

// subcommand parses "NAME SUB [ARG] flags…" for the access commands.
func subcommand(env *environ, name, usage string, args []string, subs ...string) (string, []string, error) {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.stderr, usage)
		if len(args) > 0 {
			return "", nil, flag.ErrHelp
		}
		return "", nil, &exitError{code: 2}
	}
	for _, s := range subs {
		if args[0] == s {
			return s, args[1:], nil
		}
	}
	return "", nil, usageError("unknown %s subcommand %q (want %s)", name, args[0], strings.Join(subs, ", "))
}

// positional takes the leading argument that is not a flag.
func positional(args []string, what string) (string, []string, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "", nil, usageError("missing %s", what)
	}
	return args[0], args[1:], nil
}

// openAccess opens the store for a command on organisations or accounts;
// done anchors the audit trail's head, which the command may have
// appended to (app.AnchorAudit), and closes the store.
func openAccess(ctx context.Context, env *environ, fs *flag.FlagSet, args []string) (s store.Store, done func(), err error) {
	c, log, err := setup(env, fs, args, config.Storage)
	if err != nil {
		return nil, nil, err
	}
	s, keys, err := app.Open(ctx, c, log, false)
	if err != nil {
		return nil, nil, err
	}
	return s, func() {
		app.AnchorAudit(ctx, c.Data, s, keys, log)
		s.Close()
	}, nil
}

const orgUsage = `Usage:
  xinyong org list
  xinyong org add --parent ID --kind region|dept --name NAME [--region CODE] [--uscc USCC]
  xinyong org disable ID | org enable ID
(all take [--data DIR | --db DSN]; the operator, the root, is created on first use)`

func runOrg(ctx context.Context, env *environ, args []string) error {
	sub, rest, err := subcommand(env, "org", orgUsage, args, "list", "add", "disable", "enable")
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var id int64
	if sub == "disable" || sub == "enable" {
		var arg string
		if arg, rest, err = positional(rest, "organisation ID"); err != nil {
			return err
		}
		if id, err = strconv.ParseInt(arg, 10, 64); err != nil {
			return usageError("organisation ID must be a number, got %q", arg)
		}
	}
	fs := newFlagSet(env, "org "+sub, orgUsage)
	parent := fs.Int64("parent", 0, "add: the parent organisation's ID (default: the operator)")
	kind := fs.String("kind", "", "add: region or dept")
	name := fs.String("name", "", "add: the organisation's name")
	region := fs.String("region", "", "add: 6-digit division code (a region's; a department's defaults to its parent's)")
	uscc := fs.String("uscc", "", "add: a department's 统一社会信用代码")
	s, done, err := openAccess(ctx, env, fs, rest)
	if err != nil {
		return err
	}
	defer done()
	root, err := s.RootOrg(ctx, auth.Operator.Label())
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		orgs, err := s.ListOrgs(ctx, "")
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(env.stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tKIND\tNAME\tREGION\tPLACE\tUSCC\tSTATE")
		for _, o := range orgs {
			depth := strings.Count(o.Path, "/") - 2
			state := "active"
			if o.Disabled {
				state = "disabled"
			}
			place := "-"
			if division.Known(o.Region) {
				place = division.Name(o.Region)
			}
			fmt.Fprintf(w, "%d\t%s\t%s%s\t%s\t%s\t%s\t%s\n", o.ID, o.Kind, strings.Repeat("  ", depth), o.Name, o.Region, place, o.USCC, state)
		}
		return w.Flush()
	case "add":
		if *parent == 0 {
			*parent = root.ID
		}
		o, err := s.CreateOrg(ctx, auth.Org{ParentID: *parent, Kind: auth.OrgKind(*kind), Name: strings.TrimSpace(*name),
			Region: *region, USCC: strings.ToUpper(strings.TrimSpace(*uscc))}, cliEntry(auth.AuditOrgChange, "新建："+*name))
		if err != nil {
			return cliAccessError(err)
		}
		fmt.Fprintf(env.stdout, "created organisation %d: %s (%s)\n", o.ID, o.Name, o.Path)
	default:
		if err := s.SetOrgDisabled(ctx, id, sub == "disable", cliEntry(auth.AuditOrgChange, sub)); err != nil {
			return cliAccessError(err)
		}
		fmt.Fprintf(env.stdout, "organisation %d: %sd\n", id, sub)
	}
	return nil
}

// cliAccessError turns bad input into a usage error (exit 2) with the
// reason.
func cliAccessError(err error) error {
	switch {
	case errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrExists), errors.Is(err, store.ErrNotFound):
		return usageError("%v", err)
	}
	return err
}

var userUsage = `Usage:
  xinyong user list
  xinyong user add --login LOGIN --role ROLE[,ROLE] (--org ID | --subject CODE) [--name NAME] [--password-file FILE] [--oidc ISSUER|SUB]
  xinyong user passwd LOGIN [--password-file FILE]
  xinyong user disable LOGIN | user enable LOGIN
(all take [--data DIR | --db DSN]; without --password-file a random password is printed once)
Roles: ` + roleNames()

// roleNames lists the roles an account may hold, from the role table.
func roleNames() string {
	var names []string
	for _, r := range auth.DefaultRoles().List() {
		if r.Name != "public" {
			names = append(names, r.Name)
		}
	}
	return strings.Join(names, ", ")
}

func runUser(ctx context.Context, env *environ, args []string) error {
	sub, rest, err := subcommand(env, "user", userUsage, args, "list", "add", "passwd", "disable", "enable")
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var login string
	if sub == "passwd" || sub == "disable" || sub == "enable" {
		if login, rest, err = positional(rest, "login"); err != nil {
			return err
		}
	}
	fs := newFlagSet(env, "user "+sub, userUsage)
	fLogin := fs.String("login", "", "add: the login name")
	name := fs.String("name", "", "add: the person's name")
	roles := fs.String("role", "", "add: roles, comma-separated")
	org := fs.Int64("org", 0, "add: the organisation's ID (staff; default: the operator)")
	subject := fs.String("subject", "", "add: the USCC or ID number of the subject a subject user is")
	pwFile := fs.String("password-file", "", "add, passwd: read the password from this file instead of generating one")
	oidc := fs.String("oidc", "", "add: the single sign-on identity, issuer|sub")
	s, done, err := openAccess(ctx, env, fs, rest)
	if err != nil {
		return err
	}
	defer done()
	roleTable := auth.DefaultRoles()
	password := func(login string) (pw string, generated bool, err error) {
		if *pwFile == "" {
			return auth.NewToken(12), true, nil
		}
		b, err := os.ReadFile(*pwFile)
		if err != nil {
			return "", false, fmt.Errorf("--password-file: %w", err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
		if err := auth.ValidatePassword(login, pw); err != nil {
			return "", false, usageError("--password-file: %v", err)
		}
		return pw, false, nil
	}
	switch sub {
	case "list":
		users, err := s.ListUsers(ctx, "")
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(env.stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tLOGIN\tNAME\tORG\tROLES\tTOTP\tSTATE")
		for _, u := range users {
			state := "active"
			if u.Disabled {
				state = "disabled"
			} else if auth.DefaultLockout.Locked(u, time.Now()) {
				state = "locked"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t%v\t%s\n", u.ID, u.Login, u.Name, u.OrgID, strings.Join(u.Roles, ","), len(u.TOTPEnc) > 0, state)
		}
		return w.Flush()
	case "add":
		u := auth.User{Login: strings.TrimSpace(*fLogin), Name: strings.TrimSpace(*name), OIDCSubject: *oidc}
		if *roles != "" {
			u.Roles = strings.Split(*roles, ",")
		}
		if err := auth.ValidateLogin(u.Login); err != nil {
			return usageError("--login: %v", err)
		}
		if err := roleTable.CheckRoles(u.Roles); err != nil {
			return usageError("--role: %v", err)
		}
		if u.HasRole(auth.RoleSubject) {
			if len(u.Roles) > 1 || *org != 0 {
				return usageError("a subject user has only the subject role and no --org")
			}
			sub, err := s.FindSubjectByCode(ctx, strings.ToUpper(strings.TrimSpace(*subject)))
			if err != nil {
				return usageError("--subject: no subject with code %q", *subject)
			}
			u.SubjectID = sub.ID
		} else {
			if *subject != "" {
				return usageError("--subject is for subject users only")
			}
			if *org == 0 {
				root, err := s.RootOrg(ctx, auth.Operator.Label())
				if err != nil {
					return err
				}
				*org = root.ID
			}
			if _, err := s.GetOrg(ctx, *org); err != nil {
				return usageError("--org: no organisation %d", *org)
			}
			u.OrgID = *org
		}
		pw, generated, err := password(u.Login)
		if err != nil {
			return err
		}
		u.PasswordHash, u.PasswordSet = auth.HashPassword(pw), time.Now().UTC()
		if u, err = s.CreateUser(ctx, u, cliEntry(auth.AuditUserChange, "新建账户，角色 "+strings.Join(u.Roles, ","))); err != nil {
			return cliAccessError(err)
		}
		fmt.Fprintf(env.stdout, "created user %d: %s (%s)\n", u.ID, u.Login, strings.Join(u.Roles, ","))
		if generated {
			fmt.Fprintf(env.stdout, "password (shown once): %s\n", pw)
		}
	default:
		u, err := s.GetUserByLogin(ctx, login)
		if err != nil {
			return cliAccessError(err)
		}
		var detail, pw string
		generated := false
		switch sub {
		case "passwd":
			if pw, generated, err = password(u.Login); err != nil {
				return err
			}
			u.PasswordHash, u.PasswordSet, u.Failed, u.LockedUntil, detail = auth.HashPassword(pw), time.Now().UTC(), 0, time.Time{}, "重置密码"
		case "disable":
			u.Disabled, detail = true, "停用账户"
		case "enable":
			u.Disabled, u.Failed, u.LockedUntil, detail = false, 0, time.Time{}, "启用账户"
		}
		e := cliEntry(auth.AuditUserChange, detail)
		if err := s.UpdateUser(ctx, u, &e); err != nil {
			return err
		}
		if sub != "enable" {
			if err := s.DeleteUserSessions(ctx, u.ID); err != nil {
				return err
			}
		}
		fmt.Fprintf(env.stdout, "user %s: %s\n", u.Login, detail)
		if generated {
			fmt.Fprintf(env.stdout, "password (shown once): %s\n", pw)
		}
	}
	return nil
}

const clientUsage = `Usage:
  xinyong client list
  xinyong client add --org ID --name NAME --scopes "records:submit[:KIND] checks:run shared:read"
  xinyong client rotate ID | client revoke ID
(all take [--data DIR | --db DSN]; a new or rotated key is printed once)`

func runClient(ctx context.Context, env *environ, args []string) error {
	sub, rest, err := subcommand(env, "client", clientUsage, args, "list", "add", "rotate", "revoke")
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var id int64
	if sub == "rotate" || sub == "revoke" {
		var arg string
		if arg, rest, err = positional(rest, "client ID"); err != nil {
			return err
		}
		if id, err = strconv.ParseInt(arg, 10, 64); err != nil {
			return usageError("client ID must be a number, got %q", arg)
		}
	}
	fs := newFlagSet(env, "client "+sub, clientUsage)
	org := fs.Int64("org", 0, "add: the department's organisation ID")
	name := fs.String("name", "", "add: the calling system's name")
	scopes := fs.String("scopes", "", "add: scopes, space- or comma-separated")
	c, log, err := setup(env, fs, rest, config.Intake)
	if err != nil {
		return err
	}
	s, keys, err := app.Open(ctx, c, log, false)
	if err != nil {
		return err
	}
	defer s.Close()
	defer app.AnchorAudit(ctx, c.Data, s, keys, log)
	switch sub {
	case "list":
		list, err := s.ListClients(ctx, "")
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(env.stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tORG\tNAME\tPREFIX\tSCOPES\tLAST USED\tSTATE")
		for _, cl := range list {
			state, used := "active", ""
			if cl.Revoked {
				state = "revoked"
			}
			if !cl.LastUsed.IsZero() {
				used = cl.LastUsed.In(calendar.Location()).Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%d\t%d\t%s\t%s\t%s\t%s\t%s\n", cl.ID, cl.OrgID, cl.Name, cl.Prefix, strings.Join(cl.Scopes, " "), used, state)
		}
		return w.Flush()
	case "add":
		o, err := s.GetOrg(ctx, *org)
		if err != nil || o.Kind != auth.Dept {
			return usageError("--org: %d is not a department", *org)
		}
		sc := strings.Fields(strings.ReplaceAll(*scopes, ",", " "))
		cat, err := app.Catalog(c)
		if err != nil {
			return err
		}
		if err := auth.DefaultRoles().CheckClientScopes(sc, func(k string) bool { _, ok := cat.Kind(k); return ok }); err != nil {
			return usageError("--scopes: %v", err)
		}
		if strings.TrimSpace(*name) == "" {
			return usageError("--name is required")
		}
		prefix, secret, key := auth.NewAPIKey()
		cl, err := s.CreateClient(ctx, auth.APIClient{OrgID: o.ID, Name: strings.TrimSpace(*name), Scopes: sc, Prefix: prefix, SecretSum: auth.TokenHash(secret)},
			cliEntry(auth.AuditClientChange, "新建接口密钥："+*name))
		if err != nil {
			return cliAccessError(err)
		}
		fmt.Fprintf(env.stdout, "created client %d for %s\nkey (shown once): %s\n", cl.ID, o.Name, key)
	default:
		cl, err := s.GetClient(ctx, id)
		if err != nil {
			return cliAccessError(err)
		}
		if cl.Revoked {
			return usageError("client %d is revoked", id)
		}
		var key string
		if sub == "rotate" {
			var prefix, secret string
			prefix, secret, key = auth.NewAPIKey()
			cl.Prefix, cl.SecretSum, cl.Rotated = prefix, auth.TokenHash(secret), time.Now().UTC()
		} else {
			cl.Revoked = true
		}
		if err := s.UpdateClient(ctx, cl, cliEntry(auth.AuditClientChange, sub+"："+cl.Name)); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "client %d: %sd\n", id, strings.TrimSuffix(sub, "e"))
		if key != "" {
			fmt.Fprintf(env.stdout, "new key (shown once; the old one no longer works): %s\n", key)
		}
	}
	return nil
}

const auditUsage = `Usage:
  xinyong audit verify [--checkpoint FILE]
        check the whole hash chain, then compare the database with the audit checkpoint
        (DATA/audit.checkpoint, or FILE: a copy kept elsewhere); exit 1 at the first broken
        entry, or when entries the checkpoint anchors are missing or differ
  xinyong audit list [--subject ID] [--limit N]
(both take [--data DIR | --db DSN])`

func runAudit(ctx context.Context, env *environ, args []string) error {
	sub, rest, err := subcommand(env, "audit", auditUsage, args, "verify", "list")
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	fs := newFlagSet(env, "audit "+sub, auditUsage)
	subject := fs.Int64("subject", 0, "list: only entries about this subject")
	limit := fs.Int("limit", 50, "list: how many of the newest entries")
	checkpoint := fs.String("checkpoint", "", "verify: the checkpoint file to compare with (default DATA/audit.checkpoint)")
	c, log, err := setup(env, fs, rest, config.Storage)
	if err != nil {
		return err
	}
	s, keys, err := app.Open(ctx, c, log, false)
	if err != nil {
		return err
	}
	defer s.Close()
	if sub == "list" {
		entries, err := s.ListAudit(ctx, store.AuditFilter{SubjectID: *subject, Limit: *limit})
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(env.stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(w, "SEQ\tAT\tACTOR\tORG\tACTION\tTARGET\tSUBJECT\tPURPOSE\tOUTCOME\tDETAIL")
		for _, e := range entries {
			fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\t%s\n", e.Seq, e.At.In(calendar.Location()).Format(time.RFC3339), e.Actor, e.OrgID, e.Action, e.Target, e.SubjectID, e.Purpose, e.Outcome, e.Detail)
		}
		return w.Flush()
	}
	v := &auth.ChainVerifier{MAC: keys.ChainMAC}
	if err := s.ScanAudit(ctx, v.Next); err != nil {
		fmt.Fprintf(env.stdout, "audit trail BROKEN after %d intact entries: %v\n", v.Count, err)
		return &exitError{code: 1}
	}
	fmt.Fprintf(env.stdout, "audit trail intact: %d entries\n", v.Count)
	// The chain cannot show that its newest entries were deleted: the
	// checkpoint, kept outside the database, can.
	path := *checkpoint
	if path == "" {
		path = app.CheckpointPath(c.Data)
	}
	cp, found, err := app.ReadCheckpoint(path)
	switch {
	case err != nil:
		fmt.Fprintf(env.stdout, "审计检查点无法读取 / audit checkpoint unreadable: %v\n", err)
		return &exitError{code: 1}
	case !found && *checkpoint != "":
		fmt.Fprintf(env.stdout, "审计检查点 %s 不存在 / audit checkpoint %s does not exist\n", path, path)
		return &exitError{code: 1}
	case !found:
		fmt.Fprintf(env.stdout, "no audit checkpoint at %s: deleted newest entries cannot be detected (serve and the commands that append write one)\n", path)
		return nil
	}
	if err := app.CompareCheckpoint(ctx, s, keys, cp); err != nil {
		var ce *auth.CheckpointError
		if errors.As(err, &ce) {
			fmt.Fprintf(env.stdout, "审计日志与检查点不符：%s\naudit trail does NOT match its checkpoint (%s): %s\n", ce.ZH, path, ce.EN)
			return &exitError{code: 1}
		}
		return err
	}
	fmt.Fprintf(env.stdout, "matches the audit checkpoint %s: entry %d, written %s\n", path, cp.Seq, cp.At.In(calendar.Location()).Format(time.RFC3339))
	return nil
}
