package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/store"
)

var requirementLabel = map[catalog.Requirement]string{catalog.Always: "必填", catalog.Optional: "选填", catalog.Conditional: "条件必填"}

func runCatalog(_ context.Context, env *environ, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.stderr, "Usage: xinyong catalog list | catalog show [--json] KIND")
		if len(args) == 0 {
			return &exitError{code: 2}
		}
		return nil
	}
	switch args[0] {
	case "list":
		fs := newFlagSet(env, "catalog list", "catalog list [--catalog DIR]")
		cat, err := parseCatalogFlags(env, fs, args[1:])
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "KIND\tNAME\tNATURE\tDISCLOSURE\tFIELDS")
		for _, k := range cat.Kinds() {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\n", k.Code, k.Name, k.Nature, k.Disclosure, len(k.Fields))
		}
		return w.Flush()
	case "show":
		fs := newFlagSet(env, "catalog show", "catalog show [--json] [--catalog DIR] KIND")
		asJSON := fs.Bool("json", false, "print the definition as JSON")
		cat, err := parseCatalogFlags(env, fs, args[1:])
		if err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usageError("catalog show takes one KIND")
		}
		k, ok := cat.Kind(fs.Arg(0))
		if !ok {
			return usageError("unknown kind %q (see xinyong catalog list)", fs.Arg(0))
		}
		if *asJSON {
			enc := json.NewEncoder(env.stdout)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			return enc.Encode(k)
		}
		fmt.Fprintf(env.stdout, "%s %s (nature %s, disclosure %s)\n", k.Code, k.Name, k.Nature, k.Disclosure)
		if k.Basis != "" {
			fmt.Fprintf(env.stdout, "依据：%s\n", k.Basis)
		}
		w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "#\tCODE\tKEY\tTYPE\tREQUIRED\tNAME")
		for i, f := range k.Fields {
			extra := ""
			if len(f.Enum) > 0 {
				extra = "  [" + strings.Join(f.Enum, "/") + "]"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s%s\n", i+1, f.Code, f.Key, f.Type, requirementLabel[f.Required], f.Name, extra)
		}
		return w.Flush()
	}
	return usageError("unknown catalog subcommand %q (want list or show)", args[0])
}

// parseCatalogFlags parses args with the --catalog option and returns the
// catalogue it names.
func parseCatalogFlags(env *environ, fs *flag.FlagSet, args []string) (*catalog.Catalog, error) {
	var c config.Config
	if err := config.Bind(fs, &c, env.getenv, "catalog"); err != nil {
		return nil, usageError("%v", err)
	}
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	return app.Catalog(c)
}

func runStats(ctx context.Context, env *environ, args []string) error {
	if len(args) == 0 || args[0] != "intake" {
		fmt.Fprintln(env.stderr, "Usage: xinyong stats intake [--kind K] [--dept USCC] [--month YYYY-MM] [--json]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return &exitError{code: 2}
	}
	fs := newFlagSet(env, "stats intake", "stats intake [--kind K] [--dept USCC] [--month YYYY-MM] [--json] [--data DIR | --db DSN]")
	var f store.IntakeFilter
	fs.StringVar(&f.Kind, "kind", "", "only this record kind")
	fs.StringVar(&f.Dept, "dept", "", "only this department (USCC)")
	fs.StringVar(&f.Month, "month", "", "only this month of receipt (YYYY-MM, China time)")
	asJSON := fs.Bool("json", false, "print JSON")
	c, log, err := setup(env, fs, args[1:], config.Storage)
	if err != nil {
		return err
	}
	s, _, err := app.Open(ctx, c, log, false)
	if err != nil {
		return err
	}
	defer s.Close()
	rows, err := s.IntakeStats(ctx, f)
	if err != nil {
		return err
	}
	if *asJSON {
		if rows == nil {
			rows = []store.IntakeRow{}
		}
		return json.NewEncoder(env.stdout).Encode(rows)
	}
	w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "MONTH\tKIND\tDEPT\tDEPT NAME\tRECEIVED\tLATE\tREJECTED")
	names := map[string]string{}
	for _, r := range rows {
		name, ok := names[r.Dept]
		if !ok {
			name = "-" // not in the organisation tree
			if o, err := store.DeptOrg(ctx, s, r.Dept); err != nil {
				return err
			} else if o != nil {
				name = o.Name
			}
			names[r.Dept] = name
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\t%d\n", r.Month, r.Kind, r.Dept, name, r.Received, r.Late, r.Rejected)
	}
	return w.Flush()
}
