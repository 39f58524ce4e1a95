package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/inspection"
	"github.com/xinyong/xinyong/internal/store"
)

const inspectUsage = `Usage: xinyong inspect redraw TASK [--json] [--data DIR | --db DSN]
       xinyong inspect list [--json]

redraw runs a 双随机 task's draw again from its stored inputs (TASK is its code, SJ…, or its id): it checks the
seed against the hash published when the task was created and the population and pool snapshots against theirs,
draws again and compares the targets and their inspectors with those stored. It prints the list; exit 0 when it
is the same, 1 when anything differs.`

// redrawJSON is what inspect redraw --json prints.
type redrawJSON struct {
	Task           string          `json:"task"`
	Same           bool            `json:"same"`
	Problems       []string        `json:"problems"`
	SeedHash       string          `json:"seed_hash"`
	Seed           string          `json:"seed"`
	PopulationHash string          `json:"population_hash"`
	PopulationSize int             `json:"population_size"`
	Strata         json.RawMessage `json:"strata"`
	Targets        []redrawTarget  `json:"targets"`
}

type redrawTarget struct {
	Seq        int      `json:"seq"`
	Code       string   `json:"code"`
	Grade      string   `json:"grade"`
	Inspectors []string `json:"inspectors"`
}

func runInspect(ctx context.Context, env *environ, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.stderr, inspectUsage)
		if len(args) > 0 {
			return nil
		}
		return &exitError{code: 2}
	}
	switch args[0] {
	case "redraw":
		return runRedraw(ctx, env, args[1:])
	case "list":
		return runInspectList(ctx, env, args[1:])
	}
	return usageError("unknown inspect subcommand %q\n\n%s", args[0], inspectUsage)
}

func runRedraw(ctx context.Context, env *environ, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(env.stderr, inspectUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return &exitError{code: 2}
	}
	ref := args[0]
	fs := newFlagSet(env, "inspect redraw", "inspect redraw TASK [--json]")
	asJSON := fs.Bool("json", false, "print as JSON")
	c, log, err := setup(env, fs, args[1:], config.Storage)
	if err != nil {
		return err
	}
	s, _, err := app.Open(ctx, c, log, false)
	if err != nil {
		return err
	}
	defer s.Close()
	id, err := taskID(ctx, s, ref)
	if err != nil {
		return err
	}
	svc := &inspection.Service{Store: s}
	v, err := svc.Verify(ctx, id)
	if err != nil {
		return err
	}
	out := redrawJSON{Task: v.Task.Code, Same: v.Same, Problems: v.Problems, SeedHash: v.Task.SeedHash, Seed: v.Task.Seed,
		PopulationHash: v.Outcome.PopulationHash, PopulationSize: v.Task.PopulationSize, Targets: []redrawTarget{}}
	if out.Problems == nil {
		out.Problems = []string{}
	}
	out.Strata, _ = json.Marshal(v.Outcome.Strata)
	for _, t := range v.Outcome.Targets {
		rt := redrawTarget{Seq: t.Seq, Code: t.Code, Grade: t.Grade, Inspectors: []string{}}
		for _, in := range t.Inspectors {
			rt.Inspectors = append(rt.Inspectors, in.Badge)
		}
		out.Targets = append(out.Targets, rt)
	}
	if *asJSON {
		if err := json.NewEncoder(env.stdout).Encode(out); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.stdout, "task %s  seed %s  population %d (SHA-256 %s)\n", out.Task, out.Seed, out.PopulationSize, out.PopulationHash)
		for _, st := range v.Outcome.Strata {
			fmt.Fprintf(env.stdout, "grade %-2s %8d subjects × %4d‰ = %d drawn\n", st.Grade, st.Population, st.PerMille, st.Drawn)
		}
		for _, t := range out.Targets {
			fmt.Fprintf(env.stdout, "%4d\t%s\t%s\t%s\n", t.Seq, t.Code, t.Grade, strings.Join(t.Inspectors, ","))
		}
		for _, p := range out.Problems {
			fmt.Fprintln(env.stdout, "DIFFERS: "+p)
		}
		if out.Same {
			fmt.Fprintf(env.stdout, "the draw again gives the stored list (%d targets)\n", len(out.Targets))
		}
	}
	if !out.Same {
		return &exitError{code: 1}
	}
	return nil
}

// taskID finds a task by code or id.
func taskID(ctx context.Context, s store.Store, ref string) (int64, error) {
	if id, ok := inspection.ParseID(ref); ok {
		return id, nil
	}
	ts, err := s.ListInspectionTasks(ctx, store.TaskFilter{Limit: 500})
	if err != nil {
		return 0, err
	}
	for _, t := range ts {
		if t.Code == ref {
			return t.ID, nil
		}
	}
	return 0, fmt.Errorf("no task %s: %w", ref, store.ErrNotFound)
}

func runInspectList(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "inspect list", "inspect list [--json]")
	asJSON := fs.Bool("json", false, "print as JSON")
	c, log, err := setup(env, fs, args, config.Storage)
	if err != nil {
		return err
	}
	s, _, err := app.Open(ctx, c, log, false)
	if err != nil {
		return err
	}
	defer s.Close()
	ts, err := s.ListInspectionTasks(ctx, store.TaskFilter{Limit: 500})
	if err != nil {
		return err
	}
	if *asJSON {
		type row struct {
			ID     int64  `json:"id"`
			Code   string `json:"code"`
			Name   string `json:"name"`
			State  string `json:"state"`
			Dept   string `json:"dept"`
			Drawn  int    `json:"population_size"`
			Region string `json:"region"`
		}
		rows := []row{}
		for _, t := range ts {
			rows = append(rows, row{t.ID, t.Code, t.Name, t.State, t.OrgName, t.PopulationSize, t.Region})
		}
		return json.NewEncoder(env.stdout).Encode(rows)
	}
	for _, t := range ts {
		fmt.Fprintf(env.stdout, "%d\t%s\t%s\t%s\t%s\n", t.ID, t.Code, t.State, t.OrgName, t.Name)
	}
	return nil
}
