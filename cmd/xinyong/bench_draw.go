package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/inspection"
	"github.com/xinyong/xinyong/internal/store"
)

const benchDrawSynopsis = "bench draw [--population N] [--inspectors N] [--region PREFIX] [--json] [--data DIR | --db DSN]\n\n" +
	"Times a 双随机 draw as a task's draw makes it: the population snapshot (listing, SHA-256, gzip) and the draw\n" +
	"(keys, ratios by grade, two inspectors per target) from --population synthetic subjects graded like the\n" +
	"demo's, and --inspectors inspectors. With --data or --db it also times reading the population of --region\n" +
	"from that database (subjects of the region with their current grades: run xinyong evaluate first) and draws\n" +
	"from it. Nothing is written."

// benchDrawFigures are a draw's figures.
type benchDrawFigures struct {
	Source      string  `json:"source"`
	Population  int     `json:"population"`
	Targets     int     `json:"targets"`
	ReadSeconds float64 `json:"read_seconds,omitempty"`
	SnapSeconds float64 `json:"snapshot_seconds"`
	DrawSeconds float64 `json:"draw_seconds"`
}

func runBenchDraw(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "bench draw", benchDrawSynopsis)
	n := fs.Int("population", 500000, "synthetic subjects to draw from")
	inspectors := fs.Int("inspectors", 200, "inspectors in the pool")
	region := fs.String("region", "61", "region prefix of the population read from the database")
	asJSON := fs.Bool("json", false, "print the figures as JSON")
	c, log, err := setup(env, fs, args, config.Storage)
	if err != nil {
		return err
	}
	if *n < 1 || *inspectors < 2 {
		return usageError("--population must be at least 1 and --inspectors at least 2")
	}
	grades := []string{"A", "B", "C", "D", inspection.Ungraded}
	plan, err := inspection.DefaultPlan(grades[:4])
	if err != nil {
		return err
	}
	perMille := map[string]int{}
	for _, g := range plan.All() {
		perMille[g.Grade] = g.PerMille()
	}
	pool := make([]inspection.PoolMember, *inspectors)
	for i := range pool {
		pool[i] = inspection.PoolMember{ID: int64(i + 1), Badge: fmt.Sprintf("61010%05d", i)}
	}
	// The demo's shares of grades: mostly A, some B, few C and D.
	synthetic := make([]inspection.Member, *n)
	for i := range synthetic {
		g := "A"
		switch i % 100 {
		case 0, 1, 2, 3, 4, 5, 6:
			g = "B"
		case 7, 8:
			g = "C"
		case 9:
			g = "D"
		}
		synthetic[i] = inspection.Member{SubjectID: int64(i + 1), Code: fmt.Sprintf("91610100%09dX", i), Grade: g}
	}
	var out []benchDrawFigures
	draw := func(source string, pop []inspection.Member, read time.Duration) error {
		seed := make([]byte, 32)
		rand.Read(seed)
		start := time.Now()
		listing := inspection.PopulationListing(pop)
		inspection.Hash(listing)
		inspection.Gzip(listing)
		snap := time.Since(start)
		start = time.Now()
		res, err := inspection.Run(inspection.Input{Task: "SJ610100-20261206-001", Seed: seed, Population: pop, Pool: pool, Grades: grades,
			PerMille: perMille, PerTarget: 2})
		if err != nil {
			return err
		}
		out = append(out, benchDrawFigures{Source: source, Population: len(pop), Targets: len(res.Targets), ReadSeconds: round(read.Seconds(), 3),
			SnapSeconds: round(snap.Seconds(), 3), DrawSeconds: round(time.Since(start).Seconds(), 3)})
		return nil
	}
	if err := draw("synthetic", synthetic, 0); err != nil {
		return err
	}
	dataGiven := env.getenv("XINYONG_DATA") != "" || c.DB != ""
	fs.Visit(func(f *flag.Flag) { dataGiven = dataGiven || f.Name == "data" })
	if dataGiven {
		s, _, err := app.Open(ctx, c, log, false)
		if err != nil {
			return err
		}
		defer s.Close()
		start := time.Now()
		found, err := s.InspectionPopulation(ctx, store.PopulationFilter{Region: *region, Classes: []credit.Class{credit.ClassOrg, credit.ClassSole}})
		if err != nil {
			return err
		}
		read := time.Since(start)
		pop := make([]inspection.Member, len(found))
		for i, m := range found {
			g := m.Grade
			if g == "" {
				g = inspection.Ungraded
			}
			pop[i] = inspection.Member{SubjectID: m.SubjectID, Code: m.Code, Grade: g}
		}
		if err := draw(s.Dialect()+" region "+*region, pop, read); err != nil {
			return err
		}
	}
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(map[string]any{"cpus": runtime.NumCPU(), "draws": out})
	}
	w := env.stdout
	if w == nil {
		w = io.Discard
	}
	for _, f := range out {
		fmt.Fprintf(w, "%-22s population %9s  targets %7s  read %6.3f s  snapshot %6.3f s  draw %6.3f s\n", f.Source, thousands(float64(f.Population)),
			thousands(float64(f.Targets)), f.ReadSeconds, f.SnapSeconds, f.DrawSeconds)
	}
	return nil
}
