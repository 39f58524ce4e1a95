package evaluation_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"testing"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/pgtest"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/postgres/postgrestest"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var backends = map[string]func(t *testing.T) store.Store{
	"sqlite": func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), t.TempDir(), storetest.Keys())
		if err != nil {
			t.Fatal(err)
		}
		return migrated(t, s)
	},
	"postgres": func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), postgrestest.NewDatabase(t), storetest.Keys())
		if err != nil {
			t.Fatal(err)
		}
		return migrated(t, s)
	},
}

func migrated(t *testing.T, s store.Store) store.Store {
	t.Cleanup(func() { s.Close() })
	if _, _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// demoStore is a store of each backend with demo subjects and records.
func demoStore(t *testing.T, open func(t *testing.T) store.Store) (store.Store, *catalog.Catalog, *lists.Catalog) {
	t.Helper()
	s := open(t)
	cat := catalog.Default()
	ls, err := lists.Default(cat)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := app.Calendar(config.Config{})
	if err != nil {
		t.Fatal(err)
	}
	im := &ingest.Importer{Store: s, Catalog: cat, Calendar: cal, Hash: storetest.Keys().Hash}
	if _, _, err := app.LoadDemo(context.Background(), s, 600, 3, nil, im, 2400); err != nil {
		t.Fatal(err)
	}
	return s, cat, ls
}

func service(t *testing.T, s store.Store, cat *catalog.Catalog, ls *lists.Catalog, day calendar.Date) *evaluation.Service {
	m, err := evaluation.Default(cat, ls)
	if err != nil {
		t.Fatal(err)
	}
	return &evaluation.Service{Store: s, Catalog: cat, Lists: ls, Model: m, Log: slog.New(slog.DiscardHandler), Chunk: 50,
		Today: func() calendar.Date { return day }, Owner: "test:" + t.Name()}
}

// TestRunResumesAndAgrees: a run killed after a few chunks resumes where it
// stopped; its results are those of scoring each subject alone (what the
// follower and a live answer do).
func TestRunResumesAndAgrees(t *testing.T) {
	t.Parallel()
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, cat, ls := demoStore(t, open)
			day := calendar.Today()
			ev := service(t, s, cat, ls, day)

			killed, cancel := context.WithCancel(ctx)
			chunks := 0
			_, err := ev.Run(killed, day, "test", func(store.EvaluationRun) {
				if chunks++; chunks == 3 {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("killed run: %v", err)
			}
			runs, _ := s.EvaluationRuns(ctx, 5)
			if len(runs) != 1 || runs[0].State != store.RunRunning || runs[0].Subjects != 150 {
				t.Fatalf("after the kill: %+v", runs)
			}
			run, err := ev.Run(ctx, day, "test", nil)
			if err != nil {
				t.Fatal(err)
			}
			counts, _ := s.CountSubjects(ctx)
			graded := int(counts["org"] + counts["sole"])
			if run.ID != runs[0].ID || run.State != store.RunDone || run.Subjects != graded || run.Changed != graded {
				t.Fatalf("resumed run %+v, want run %d with %d subjects", run, runs[0].ID, graded)
			}
			// Every stored result is the one scoring the subject alone gives.
			var ids []int64
			subs, last, err := s.EvaluationSubjects(ctx, 0, 100000, ev.Model.Classes)
			if err != nil || last == 0 {
				t.Fatal(err)
			}
			for _, sub := range subs {
				ids = append(ids, sub.ID)
			}
			stored, err := s.EvaluationsOf(ctx, ids)
			if err != nil || len(stored) != graded {
				t.Fatalf("%d stored results, want %d (%v)", len(stored), graded, err)
			}
			in, err := s.EvaluationInputOf(ctx, ids, store.EvalWants{Classes: ev.Model.Classes, Kinds: ev.Scorer().Kinds()})
			if err != nil {
				t.Fatal(err)
			}
			grades := map[string]int{}
			for _, f := range evaluation.Group(in) {
				r, err := ev.Scorer().Score(f, day)
				if err != nil {
					t.Fatal(err)
				}
				row := r.Row(f.Subject)
				got := stored[f.Subject.ID]
				if !got.Same(row) || got.Due != row.Due || got.Day != day.String() {
					t.Errorf("subject %d: run stored %+v\nscored alone %+v", f.Subject.ID, got, row)
				}
				grades[r.Grade]++
			}
			if len(grades) < 3 {
				t.Errorf("grades %v: demo data should give several", grades)
			}
			// Nothing changed: a second run writes nothing.
			again, err := ev.Run(ctx, day, "test", nil)
			if err != nil || again.ID == run.ID || again.Changed != 0 || again.Subjects != graded {
				t.Errorf("second run %+v %v", again, err)
			}
		})
	}
}
