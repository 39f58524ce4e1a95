package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/registry"
	"github.com/xinyong/xinyong/internal/store"
)

const registryUsage = `Usage:
  xinyong registry sync                          apply the registration batches (kind dj) not applied yet, and scan what they touched
  xinyong registry scan [--json] [--dry-run]     find 错码, 一码多赋 and 重复赋码 over the whole registry; open and close cases
  xinyong registry cases [--authority USCC|centre] [--json]   list the cases
  xinyong registry notice [--out FILE]           the 督促通报 (progress notice) of open cases per authority
  xinyong registry returns --authority USCC [--out FILE]      the authority's 回传 file (CSV) for the code centre
(all take [--data DIR | --db DSN]; --deadlines FILE, --calendar FILE)`

func runRegistry(ctx context.Context, env *environ, args []string) error {
	sub, rest, err := subcommand(env, "registry", registryUsage, args, "sync", "scan", "cases", "notice", "returns")
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	fs := newFlagSet(env, "registry "+sub, "registry "+sub+" [flags]")
	asJSON := fs.Bool("json", false, "print JSON")
	dry := fs.Bool("dry-run", false, "scan: report only, open or close no case")
	authority := fs.String("authority", "", "the authority's USCC, or centre for the code centre")
	out := fs.String("out", "", "write to this file instead of standard output")
	c, log, err := setup(env, fs, rest, append(append([]string{}, config.Intake...), "deadlines"))
	if err != nil {
		return err
	}
	s, _, err := app.Open(ctx, c, log, true)
	if err != nil {
		return err
	}
	defer s.Close()
	reg, err := app.Registry(c, s)
	if err != nil {
		return err
	}
	w := env.stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	switch sub {
	case "sync":
		res, err := reg.Sync(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return enc.Encode(res)
		}
		fmt.Fprintf(w, "应用登记批次%d个、登记%d条；新立案%d件，结案%d件\n", res.Batches, res.Registrations, res.Cases.Opened, res.Cases.Closed)
	case "scan":
		res, err := reg.Scan(ctx, !*dry)
		if err != nil {
			return err
		}
		if *asJSON {
			type out struct {
				Registrations int                `json:"registrations"`
				Findings      []registry.Finding `json:"findings"`
				Opened        int                `json:"opened"`
				Closed        int                `json:"closed"`
				Open          int                `json:"open"`
				Seconds       float64            `json:"seconds"`
			}
			f := res.Findings
			if f == nil {
				f = []registry.Finding{}
			}
			return enc.Encode(out{res.Registrations, f, res.Cases.Opened, res.Cases.Closed, res.Cases.Open, res.Took.Seconds()})
		}
		fmt.Fprintf(w, "登记%d条，发现问题%d个（新立案%d件，结案%d件，未结%d件），用时%.1f秒\n", res.Registrations, len(res.Findings),
			res.Cases.Opened, res.Cases.Closed, res.Cases.Open, res.Took.Seconds())
		for _, f := range res.Findings {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", f.Type, strings.Join(f.Codes, ","), f.Authority, strings.Join(f.Reasons, "；"))
		}
	case "cases":
		cases, err := s.RegistryCases(ctx, store.RegistryCaseFilter{Authority: *authority})
		if err != nil {
			return err
		}
		if *asJSON {
			type item struct {
				ID        int64    `json:"id"`
				Type      string   `json:"type"`
				Codes     []string `json:"codes"`
				Authority string   `json:"authority"`
				State     string   `json:"state"`
				Due       string   `json:"due"`
			}
			list := []item{}
			for _, c := range cases {
				list = append(list, item{c.ID, c.Type, c.Codes, c.Authority, c.State, c.Due})
			}
			return enc.Encode(list)
		}
		for _, c := range cases {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Type, strings.Join(c.Codes, ","), registry.AuthorityName(c),
				registry.StateLabel(c.State), c.Due)
		}
	case "notice":
		return reg.Notice(ctx, w)
	case "returns":
		if *authority == "" {
			return usageError("--authority is required")
		}
		n, err := reg.ReturnFile(ctx, *authority, w)
		if err != nil {
			return err
		}
		log.Info("回传文件", "rows", n)
	}
	return nil
}
