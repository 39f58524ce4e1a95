package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/integrity"
	"github.com/xinyong/xinyong/internal/store"
)

const integrityUsage = `Usage:
  xinyong integrity score [--month YYYY-MM] [--json] [--batch N]   score every monitored government body for a month (default: last month)
  xinyong integrity model [--json]                     the monitoring catalogue: items, dimensions, points, validity, sources
  xinyong integrity scope list
  xinyong integrity scope add --org ID --cover all|governments|departments --depth level|subtree
  xinyong integrity scope remove ID
(all take [--data DIR | --db DSN]; score also --integrity-model FILE, --calendar FILE, --catalog DIR)`

func runIntegrity(ctx context.Context, env *environ, args []string) error {
	sub, rest, err := subcommand(env, "integrity", integrityUsage, args, "score", "model", "scope")
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	switch sub {
	case "model":
		return integrityModel(env, rest)
	case "scope":
		return integrityScope(ctx, env, rest)
	}
	return integrityScore(ctx, env, rest)
}

// scoreJSON is one body's line of integrity score --json.
type scoreJSON struct {
	Month      string                     `json:"month"`
	Final      bool                       `json:"final"`
	USCC       string                     `json:"uscc"`
	Name       string                     `json:"name"`
	Group      string                     `json:"group"`
	GroupLabel string                     `json:"group_label"`
	Total      integrity.Points           `json:"total"`
	Rank       int                        `json:"rank"`
	Peers      int                        `json:"peers"`
	Model      string                     `json:"model"`
	Dimensions []integrity.DimensionScore `json:"dimensions"`
	Events     []integrity.Contribution   `json:"events"`
}

func integrityScore(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "integrity score", "integrity score [--month YYYY-MM] [--json] [--batch N] [--data DIR | --db DSN]")
	monthFlag := fs.String("month", "", "the month to score, YYYY-MM (default: the month before this one, in China)")
	asJSON := fs.Bool("json", false, "print one JSON object per body (an array)")
	batch := fs.Int("batch", integrity.RunChunk, "scores written per transaction: a run killed half way keeps the transactions done, and the next run resumes")
	c, log, err := setup(env, fs, args, config.Intake)
	if err != nil {
		return err
	}
	month := integrity.MonthOf(calendar.Today()).Add(-1)
	if *monthFlag != "" {
		if month, err = integrity.ParseMonth(*monthFlag); err != nil {
			return usageError("--month: %v", err)
		}
	}
	s, keys, err := app.Open(ctx, c, log, false)
	if err != nil {
		return err
	}
	defer s.Close()
	svc, err := app.Integrity(c, s, &auth.Authorizer{Roles: auth.DefaultRoles(), Log: log}, log)
	if err != nil {
		return err
	}
	if *batch < 1 {
		return usageError("--batch must be at least 1")
	}
	svc.Chunk = *batch
	start := time.Now()
	sum, err := svc.Run(ctx, month, integrity.RunOptions{StartedBy: cliPrincipal.String(), Progress: func(done, total int) {
		log.Info("integrity run progress", "month", month.String(), "scored", done, "bodies", total)
	}})
	if err != nil {
		return err
	}
	log.Info("integrity run done", "month", month.String(), "bodies", sum.Bodies, "written", sum.Written, "resumed", sum.Resumed,
		"final", sum.Run.Final, "took", time.Since(start).Round(time.Millisecond))
	if _, err := s.Audit(ctx, cliEntry(auth.AuditIntegrity, fmt.Sprintf("评分%s：%d个监测对象", month.Label(), sum.Bodies))); err != nil {
		log.Error("audit integrity run", "err", err)
	} else {
		app.AnchorAudit(ctx, c.Data, s, keys, log)
	}
	scores, err := svc.Scores(ctx, month)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]scoreJSON, len(scores))
		for i, sc := range scores {
			out[i] = scoreJSON{Month: sc.Month, Final: sum.Run.Final, USCC: sc.USCC, Name: sc.Name, Group: sc.Group, GroupLabel: sc.GroupLabel,
				Total: sc.TotalPoints(), Rank: sc.Rank, Peers: sc.Peers, Model: sum.Run.Model, Dimensions: sc.Result.Dimensions, Events: sc.Result.Events}
		}
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	state := "final"
	if !sum.Run.Final {
		state = "provisional (暂定), as of " + sum.Run.AsOf.In(calendar.Location()).Format("2006-01-02 15:04") + " Beijing time"
	}
	fmt.Fprintf(env.stdout, "%s: %d bodies scored, %s, model %s\n", month, len(scores), state, sum.Run.Model)
	w := tabwriter.NewWriter(env.stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(w, "GROUP\tRANK\tUSCC\tNAME\tTOTAL\tDIMENSIONS\tEVENTS")
	for _, sc := range scores {
		var dims []string
		for _, d := range sc.Result.Dimensions {
			dims = append(dims, d.Name+" "+d.Score.String())
		}
		fmt.Fprintf(w, "%s\t%d/%d\t%s\t%s\t%s\t%s\t%d\n", sc.GroupLabel, sc.Rank, sc.Peers, sc.USCC, sc.Name, sc.TotalPoints(),
			strings.Join(dims, " "), len(sc.Result.Events))
	}
	return w.Flush()
}

func integrityModel(env *environ, args []string) error {
	fs := newFlagSet(env, "integrity model", "integrity model [--json] [--integrity-model FILE] [--catalog DIR]")
	asJSON := fs.Bool("json", false, "print the model as JSON (the format --integrity-model takes)")
	var c config.Config
	if err := config.Bind(fs, &c, env.getenv, "catalog", "integrity-model"); err != nil {
		return usageError("%v", err)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cat, err := app.Catalog(c)
	if err != nil {
		return err
	}
	m, err := app.IntegrityModel(c, cat)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}
	fmt.Fprintf(env.stdout, "model %s: window %d months (+%d for honours of %s); %s\n", m.Version, m.WindowMonths, m.Honour.ExtraMonths,
		strings.Join(m.Honour.Levels, "、"), m.Note)
	w := tabwriter.NewWriter(env.stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(w, "DIMENSION\tITEM\tNATURE\tCLASS\tGOOD\tBAD\tSERIOUS\tSOURCE")
	for i := range m.Items {
		it := &m.Items[i]
		var src []string
		for _, s := range m.Sources {
			if s.Item == it.Name {
				src = append(src, s.Kind+":"+strings.Join(s.In, "/"))
			}
		}
		good := ""
		if it.Nature != integrity.Bad {
			good = "+" + it.Good.String() + " (≤" + it.GoodCap.String() + ")"
			if it.Class == integrity.ClassHonour {
				good = "by level (≤" + it.GoodCap.String() + ")"
			}
		}
		bad := ""
		if it.Nature != integrity.Good {
			bad = "-" + it.Bad.String() + " (≤" + it.BadCap.String() + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%v\t%s\n", m.DimensionOf(it).Name, it.Name, it.Nature, it.Class, good, bad, it.Serious, strings.Join(src, ", "))
	}
	return w.Flush()
}

func integrityScope(ctx context.Context, env *environ, args []string) error {
	sub, rest, err := subcommand(env, "integrity scope", integrityUsage, args, "list", "add", "remove")
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var id int64
	if sub == "remove" {
		var arg string
		if arg, rest, err = positional(rest, "scope entry ID"); err != nil {
			return err
		}
		if id, err = strconv.ParseInt(arg, 10, 64); err != nil {
			return usageError("scope entry ID must be a number, got %q", arg)
		}
	}
	fs := newFlagSet(env, "integrity scope "+sub, integrityUsage)
	org := fs.Int64("org", 0, "add: the organisation (region, department, or the operator) the setting is made on")
	cover := fs.String("cover", integrity.CoverAll, "add: all (governments and departments), governments or departments")
	depth := fs.String("depth", integrity.DepthLevel, "add: level (the organisation's own division) or subtree (and every division below)")
	s, done, err := openAccess(ctx, env, fs, rest)
	if err != nil {
		return err
	}
	defer done()
	switch sub {
	case "add":
		o, err := s.GetOrg(ctx, *org)
		if err != nil {
			return fmt.Errorf("--org %d: %w", *org, err)
		}
		e := integrity.ScopeEntry{OrgID: o.ID, Cover: *cover, Depth: *depth}
		if err := e.Validate(o); err != nil {
			return usageError("%v", err)
		}
		added, err := s.AddIntegrityScope(ctx, store.IntegrityScopeEntry{OrgID: o.ID, Cover: e.Cover, Depth: e.Depth},
			cliEntry(auth.AuditIntegrity, "监测范围："+e.Describe(o)))
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "scope entry %d: %s\n", added.ID, e.Describe(o))
		return nil
	case "remove":
		return s.RemoveIntegrityScope(ctx, id, cliEntry(auth.AuditIntegrity, fmt.Sprintf("移出监测范围设置%d", id)))
	}
	entries, err := s.IntegrityScope(ctx)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		fmt.Fprintln(env.stdout, "no scope entries: every government body (政府机构) is monitored")
		return nil
	}
	w := tabwriter.NewWriter(env.stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tORG\tCOVER\tDEPTH\tMEANING")
	for _, e := range entries {
		o, err := s.GetOrg(ctx, e.OrgID)
		if err != nil {
			return err
		}
		se := integrity.ScopeEntry{ID: e.ID, OrgID: e.OrgID, Cover: e.Cover, Depth: e.Depth}
		fmt.Fprintf(w, "%d\t%d\t%s\t%s\t%s\n", e.ID, e.OrgID, e.Cover, e.Depth, se.Describe(o))
	}
	return w.Flush()
}
