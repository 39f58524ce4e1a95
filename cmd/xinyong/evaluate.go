package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/store"
)

const evaluateUsage = `Usage: xinyong evaluate [--day YYYY-MM-DD] [--model FILE] [--json] [--data DIR | --db DSN]
       xinyong evaluate show CODE [--day YYYY-MM-DD] [--json]
       xinyong evaluate model [--model FILE]

evaluate scores every subject the model grades on the day (default today, China time) and keeps
the results that changed; a run killed midway resumes where it stopped when run again with the
same day and model. show prints a subject's result in force on the day with its contributions;
model prints the model in use (its key names every result made under it).`

// evaluateJSON is what evaluate --json prints.
type evaluateJSON struct {
	Run      int64   `json:"run"`
	Day      string  `json:"day"`
	Model    string  `json:"model"`
	Resumed  bool    `json:"resumed"`
	Subjects int     `json:"subjects"`
	Changed  int     `json:"changed"`
	Regraded int     `json:"regraded"`
	Seconds  float64 `json:"seconds"`
}

func runEvaluate(ctx context.Context, env *environ, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "show":
			return runEvaluateShow(ctx, env, args[1:])
		case "model":
			return runEvaluateModel(ctx, env, args[1:])
		case "-h", "--help":
			fmt.Fprintln(env.stderr, evaluateUsage)
			return nil
		}
	}
	fs := newFlagSet(env, "evaluate", "evaluate [--day YYYY-MM-DD] [--model FILE] [--json]")
	dayFlag := fs.String("day", "", "the day to evaluate on (YYYY-MM-DD, China); default today")
	asJSON := fs.Bool("json", false, "print the run's figures as JSON")
	chunk := fs.Int("chunk", evaluation.DefaultChunk, "subjects written per transaction")
	hideFlags(env, fs, "evaluate [--day YYYY-MM-DD] [--model FILE] [--json]", "chunk")
	c, log, err := setup(env, fs, args, config.Evaluate)
	if err != nil {
		return err
	}
	day, err := dayOf(*dayFlag)
	if err != nil {
		return err
	}
	s, _, err := app.Open(ctx, c, log, true)
	if err != nil {
		return err
	}
	defer s.Close()
	ev, err := evaluationService(c, s)
	if err != nil {
		return err
	}
	ev.Log, ev.Chunk = log, *chunk
	start := time.Now()
	last := time.Now()
	run, err := ev.Run(ctx, day, "cli", func(r store.EvaluationRun) {
		log.Debug("evaluation chunk written", "subjects", r.Subjects, "after_subject", r.Cursor)
		if time.Since(last) >= 5*time.Second {
			last = time.Now()
			log.Info("evaluating", "subjects", r.Subjects, "after_subject", r.Cursor, "changed", r.Changed)
		}
	})
	if err != nil {
		return err
	}
	out := evaluateJSON{Run: run.ID, Day: run.Day, Model: run.Model, Resumed: run.Resumed, Subjects: run.Subjects, Changed: run.Changed, Regraded: run.Regraded,
		Seconds: round(time.Since(start).Seconds(), 2)}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(out)
	}
	fmt.Fprintf(env.stdout, "evaluated %d subjects on %s under model %s in %.1f s: %d results changed, %d grades changed (run %d)\n",
		out.Subjects, out.Day, out.Model, out.Seconds, out.Changed, out.Regraded, out.Run)
	return nil
}

func dayOf(v string) (calendar.Date, error) {
	if v == "" {
		return calendar.Today(), nil
	}
	d, err := calendar.ParseDate(v)
	if err != nil {
		return d, usageError("--day %q: %v", v, err)
	}
	return d, nil
}

// evaluationService builds the evaluation service of the configured
// catalogue, lists and model.
func evaluationService(c config.Config, s store.Store) (*evaluation.Service, error) {
	cat, err := app.Catalog(c)
	if err != nil {
		return nil, err
	}
	l, err := app.Lists(c, cat)
	if err != nil {
		return nil, err
	}
	return app.Evaluation(c, s, cat, l, nil)
}

// explainedJSON is a subject's evaluation as evaluate show --json prints it.
type explainedJSON struct {
	Subject       string                     `json:"subject"`
	Day           string                     `json:"day"`
	AsOf          string                     `json:"as_of"`
	Live          bool                       `json:"live,omitempty"`
	Model         string                     `json:"model"`
	Score         int                        `json:"score"`
	Grade         string                     `json:"grade"`
	Label         string                     `json:"label"`
	CappedBy      string                     `json:"capped_by,omitempty"`
	Contributions []explainedContributionOut `json:"contributions"`
	History       []historyOut               `json:"history"`
}

type historyOut struct {
	Day   string `json:"day"`
	Until string `json:"until,omitempty"`
	Grade string `json:"grade"`
	Score int    `json:"score"`
	Model string `json:"model"`
}

type explainedContributionOut struct {
	Indicator string   `json:"indicator"`
	Name      string   `json:"name"`
	Points    int      `json:"points"`
	Records   []string `json:"records"`
}

func runEvaluateShow(ctx context.Context, env *environ, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(env.stderr, evaluateUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return &exitError{code: 2}
	}
	codeArg := search.Code(args[0])
	fs := newFlagSet(env, "evaluate show", "evaluate show CODE [--day YYYY-MM-DD] [--json]")
	dayFlag := fs.String("day", "", "the day (YYYY-MM-DD); default today")
	asJSON := fs.Bool("json", false, "print as JSON")
	c, log, err := setup(env, fs, args[1:], config.Evaluate)
	if err != nil {
		return err
	}
	day, err := dayOf(*dayFlag)
	if err != nil {
		return err
	}
	s, _, err := app.Open(ctx, c, log, false)
	if err != nil {
		return err
	}
	defer s.Close()
	ev, err := evaluationService(c, s)
	if err != nil {
		return err
	}
	sub, err := s.FindSubjectByCode(ctx, codeArg)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no subject with code %s", codeArg)
	}
	if err != nil {
		return err
	}
	x, err := ev.SubjectEvaluation(ctx, sub, day)
	if err != nil {
		if errors.Is(err, fault.NotFound) {
			return fmt.Errorf("%s: %s", sub.DisplayCode(), fault.Message(err))
		}
		return err
	}
	out := explainedJSON{Subject: sub.DisplayCode(), Day: x.Day.String(), AsOf: x.AsOf.String(), Live: x.Live, Model: x.Model.Key,
		Score: x.Score, Grade: x.Grade.Grade, Label: x.Grade.Label, CappedBy: x.CappedBy, Contributions: []explainedContributionOut{}}
	for _, ct := range x.Contributions {
		co := explainedContributionOut{Indicator: ct.Indicator, Name: ct.Name, Points: ct.Points, Records: []string{}}
		for _, it := range ct.Items {
			if it.DecisionNo != "" {
				co.Records = append(co.Records, it.DecisionNo)
			}
		}
		out.Contributions = append(out.Contributions, co)
	}
	hist, err := ev.History(ctx, sub.ID)
	if err != nil {
		return err
	}
	out.History = []historyOut{}
	for _, h := range hist {
		out.History = append(out.History, historyOut{Day: h.Day, Until: h.Until, Grade: h.Grade, Score: h.Score, Model: h.Model})
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(out)
	}
	printExplained(env.stdout, sub.Name, x)
	for _, h := range out.History {
		fmt.Fprintf(env.stdout, "  历次：%s 起 %s级 %d分 模型 %s\n", h.Day, h.Grade, h.Score, h.Model)
	}
	return nil
}

func printExplained(w io.Writer, name string, x evaluation.Explained) {
	live := ""
	if x.Live {
		live = "（即时计算，尚未入库）"
	}
	fmt.Fprintf(w, "%s  %s级 %s  %d分  评价日期 %s%s\n模型 %s（%s）\n", name, x.Grade.Grade, x.Grade.Label, x.Score, x.Day, live, x.Model.Name, x.Model.Key)
	if x.CappedBy != "" {
		fmt.Fprintf(w, "因“%s”，等级不高于%s\n", x.CappedBy, x.Grade.Grade)
	}
	fmt.Fprintf(w, "基础分 %d\n", x.Base)
	for _, c := range x.Contributions {
		fmt.Fprintf(w, "  %s  %s\n", c.Dimension, c.Text())
	}
}

func runEvaluateModel(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "evaluate model", "evaluate model [--model FILE]")
	c, _, err := setup(env, fs, args, []string{"catalog", "lists", "model", "log-level", "log-format"})
	if err != nil {
		return err
	}
	ev, err := evaluationService(c, nil)
	if err != nil {
		return err
	}
	m := ev.Model
	fmt.Fprintf(env.stdout, "%s\nkey %s\n\n", m.Name, m.Key)
	for _, d := range m.Dimensions {
		fmt.Fprintf(env.stdout, "%s（权重 %g）\n", d.Name, d.Weight)
		for _, in := range d.Indicators {
			state := ""
			if in.Disabled != "" {
				state = "  [未启用：" + in.Disabled + "]"
			}
			fmt.Fprintf(env.stdout, "  %-20s %-24s %+g 分/条 封顶 %g%s\n", in.Code, in.Name, in.Points, in.Cap, state)
		}
	}
	fmt.Fprintln(env.stdout)
	for _, b := range m.Grades {
		fmt.Fprintf(env.stdout, "%s %s  ≥ %d\n", b.Grade, b.Label, b.Min)
	}
	return nil
}
