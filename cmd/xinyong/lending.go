package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/lending"
)

const lenderUsage = `Usage:
  xinyong lender list
  xinyong lender add ORG --kind 银行|融资担保公司|小额贷款公司|其他金融机构
(all take [--data DIR | --db DSN])

add registers an organisation (a department-like leaf with its USCC, made with org add --kind dept) as a lender
of 信易贷: the platform's side of 双授权. Its staff then need the lender role (user add --role lender), its API keys
the lenders:read scope (client add --scopes lenders:read); firms grant it access in their account.`

func runLender(ctx context.Context, env *environ, args []string) error {
	sub, rest, err := subcommand(env, "lender", lenderUsage, args, "list", "add")
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var id int64
	if sub == "add" {
		var arg string
		if arg, rest, err = positional(rest, "organisation ID"); err != nil {
			return err
		}
		if id, err = strconv.ParseInt(arg, 10, 64); err != nil {
			return usageError("organisation ID must be a number, got %q", arg)
		}
	}
	fs := newFlagSet(env, "lender "+sub, lenderUsage)
	kind := fs.String("kind", "", "add: the kind of lender")
	c, log, err := setup(env, fs, rest, config.Storage)
	if err != nil {
		return err
	}
	s, keys, err := app.Open(ctx, c, log, false)
	if err != nil {
		return err
	}
	defer func() {
		app.AnchorAudit(ctx, c.Data, s, keys, log)
		s.Close()
	}()
	cat, err := app.Catalog(c)
	if err != nil {
		return err
	}
	conf, err := lending.DefaultConfig(cat)
	if err != nil {
		return err
	}
	svc := &lending.Service{Store: s, Auth: &auth.Authorizer{Roles: auth.DefaultRoles()}, Catalog: cat, Config: conf}
	switch sub {
	case "list":
		ls, err := svc.Lenders(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(env.stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(w, "ORG\tKIND\tNAME\tUSCC")
		for _, l := range ls {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", l.Org.ID, l.Kind, l.Org.Name, l.Org.USCC)
		}
		return w.Flush()
	case "add":
		l, err := svc.AddLender(ctx, auth.Principal{Kind: auth.System, Name: "lender-add"}, id, *kind)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "registered organisation %d as a lender (%s)\n", l.OrgID, l.Kind)
	}
	return nil
}
