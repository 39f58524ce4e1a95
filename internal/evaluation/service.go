package evaluation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/objection"
	"github.com/xinyong/xinyong/internal/store"
)

// DefaultChunk is how many subjects one transaction of a run covers.
const DefaultChunk = 5000

// FollowLimit is how many changed facts one step of the follower reads
// per source.
const FollowLimit = 50000

// followOverlap is how far back the follower re-reads facts stamped with
// a time (new versions, commitments, objections): a transaction that took
// its time before another's but committed after it is still seen.
// Re-evaluating a subject twice changes nothing.
const followOverlap = time.Minute

// Service evaluates subjects and answers their evaluations.
type Service struct {
	Store   store.Store
	Catalog *catalog.Catalog
	Lists   *lists.Catalog
	// Model is the active model: every new result is made under it.
	Model *Model
	Log   *slog.Logger
	// Today is the day (China) results are made for by the follower and
	// the monthly run (calendar.Today when nil).
	Today func() calendar.Date
	// Owner names this process in runs (host:pid by default).
	Owner string
	// Chunk is how many subjects one transaction covers (DefaultChunk).
	Chunk int
	// Workers score subjects at once (GOMAXPROCS when 0).
	Workers int

	once   sync.Once
	scorer *Scorer
	run    sync.Mutex // one run or follower step at a time in this process

	modelsMu sync.Mutex
	models   map[string]*Model // stored models by key
}

func (s *Service) init() {
	s.once.Do(func() {
		s.scorer = NewScorer(s.Model, s.Catalog, s.Lists)
		if s.Log == nil {
			s.Log = slog.Default()
		}
		if s.Today == nil {
			s.Today = calendar.Today
		}
		if s.Owner == "" {
			host, _ := os.Hostname()
			s.Owner = host + ":" + strconv.Itoa(os.Getpid())
		}
		if s.Chunk <= 0 {
			s.Chunk = DefaultChunk
		}
		if s.Workers <= 0 {
			s.Workers = runtime.GOMAXPROCS(0)
		}
		s.models = map[string]*Model{s.Model.Key: s.Model}
	})
}

// Scorer is the active model's scorer.
func (s *Service) Scorer() *Scorer { s.init(); return s.scorer }

// wants is what the active model reads.
func (s *Service) wants() store.EvalWants {
	n := s.Model.Needs()
	return store.EvalWants{Classes: s.Model.Classes, Kinds: s.scorer.Kinds(), Commitments: n.Commitments, Objections: n.Objections}
}

// saveModel stores the active model, so that its results name a model
// the platform keeps.
func (s *Service) saveModel(ctx context.Context) error {
	return s.Store.PutEvaluationModel(ctx, store.EvaluationModelRow{Key: s.Model.Key, Version: s.Model.Version, Name: s.Model.Name, Body: s.Model.Body})
}

// Progress is told how a run is going.
type Progress func(run store.EvaluationRun)

// score scores the subjects of an input among the workers, in the input's
// order.
func (s *Service) score(in store.EvalInput, day calendar.Date) ([]store.Evaluation, error) {
	facts := Group(in)
	rows := make([]store.Evaluation, len(facts))
	parts := min(s.Workers, max(1, len(facts)/64))
	var g errgroup.Group
	for p := range parts {
		g.Go(func() error {
			for i := p; i < len(facts); i += parts {
				r, err := s.scorer.Score(facts[i], day)
				if err != nil {
					return err
				}
				rows[i] = r.Row(facts[i].Subject)
			}
			return nil
		})
	}
	return rows, g.Wait()
}

// Group splits an input into each subject's facts, in the subjects' order.
// An objection's outcome is read from its case.
func Group(in store.EvalInput) []Facts {
	at := make(map[int64]int, len(in.Subjects))
	out := make([]Facts, len(in.Subjects))
	for i, sub := range in.Subjects {
		at[sub.ID] = i
		out[i].Subject = sub
	}
	for _, r := range in.Records {
		if i, ok := at[r.SubjectID]; ok {
			out[i].Records = append(out[i].Records, r)
		}
	}
	for _, c := range in.Commitments {
		if i, ok := at[c.SubjectID]; ok {
			out[i].Commitments = append(out[i].Commitments, c)
		}
	}
	for _, o := range in.Objections {
		if i, ok := at[o.SubjectID]; ok {
			o.Upheld = upheld(o.Body)
			out[i].Objections = append(out[i].Objections, o)
		}
	}
	return out
}

// upheld reports whether an objection's case ended with the record upheld
// (维持), filed by the subject itself (not a third party with a 查询码).
func upheld(body []byte) bool {
	var c objection.Case
	if err := json.Unmarshal(body, &c); err != nil || c.Access != "" {
		return false
	}
	switch c.State {
	case objection.Decided:
		return c.Outcome == objection.Uphold
	case objection.Closed:
		return c.ReviewOutcome == objection.Uphold || (c.ReviewOutcome == "" && c.Outcome == objection.Uphold)
	}
	return false
}

// Evaluate evaluates the given subjects now (today) and stores the
// results: what the follower does for subjects whose facts changed.
func (s *Service) Evaluate(ctx context.Context, ids []int64) (store.EvaluationSaved, error) {
	s.init()
	var total store.EvaluationSaved
	day := s.Today()
	w := s.wants()
	for start := 0; start < len(ids); start += s.Chunk {
		in, err := s.Store.EvaluationInputOf(ctx, ids[start:min(start+s.Chunk, len(ids))], w)
		if err != nil {
			return total, err
		}
		rows, err := s.score(in, day)
		if err != nil {
			return total, err
		}
		saved, err := s.Store.SaveEvaluations(ctx, store.EvaluationWrite{Results: rows})
		if err != nil {
			return total, err
		}
		total.New += saved.New
		total.Changed += saved.Changed
		total.Regraded += saved.Regraded
		total.Unchanged += saved.Unchanged
	}
	return total, nil
}

// Start places the follower's cursor at the facts stored now, unless it
// has one: a full run covers what came before.
func (s *Service) Start(ctx context.Context) error {
	s.init()
	if err := s.saveModel(ctx); err != nil {
		return err
	}
	if _, ok, err := s.Store.EvaluationCursor(ctx); err != nil || ok {
		return err
	}
	heads, err := s.Store.EvaluationHeads(ctx)
	if err != nil {
		return err
	}
	return s.Store.SetEvaluationCursor(ctx, heads)
}

// FollowStep re-evaluates the subjects whose facts changed after the
// follower's cursor and those due today, and moves the cursor on. It
// returns how many subjects it evaluated.
func (s *Service) FollowStep(ctx context.Context) (int, error) {
	s.init()
	s.run.Lock()
	defer s.run.Unlock()
	cur, ok, err := s.Store.EvaluationCursor(ctx)
	if err != nil {
		return 0, err
	}
	if !ok {
		if cur, err = s.Store.EvaluationHeads(ctx); err != nil {
			return 0, err
		}
	}
	from := cur
	for _, t := range []*time.Time{&from.Version, &from.Commitment, &from.Objection} {
		if !t.IsZero() {
			*t = t.Add(-followOverlap)
		}
	}
	ids, next, err := s.Store.EvaluationChanges(ctx, from, FollowLimit)
	if err != nil {
		return 0, err
	}
	for _, p := range [][2]*time.Time{{&next.Version, &cur.Version}, {&next.Commitment, &cur.Commitment}, {&next.Objection, &cur.Objection}} {
		if p[0].Before(*p[1]) {
			*p[0] = *p[1]
		}
	}
	due, err := s.Store.EvaluationsDue(ctx, s.Today().String(), FollowLimit)
	if err != nil {
		return 0, err
	}
	ids = dedupe(append(ids, due...))
	if len(ids) > 0 {
		saved, err := s.Evaluate(ctx, ids)
		if err != nil {
			return 0, err
		}
		s.Log.Debug("evaluation follower", "subjects", len(ids), "changed", saved.New+saved.Changed, "regraded", saved.Regraded)
	}
	if next != cur {
		if err := s.Store.SetEvaluationCursor(ctx, next); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

func dedupe(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Schedule is what serve runs: the follower every refresh, and a run of
// every subject when none was done this month (China time) under the
// active model, checked every hour. It returns when ctx ends.
func (s *Service) Schedule(ctx context.Context, refresh time.Duration) {
	s.init()
	if err := s.Start(ctx); err != nil {
		s.Log.Error("evaluation: start", "err", err)
	}
	retry := make(chan struct{}, 1)
	monthly := func() {
		cause, err := s.due(ctx)
		if err != nil {
			s.Log.Error("evaluation: last run", "err", err)
			return
		}
		if cause == "" {
			return
		}
		_, err = s.Run(ctx, s.Today(), cause, nil)
		switch {
		case err == nil || ctx.Err() != nil:
		case errors.Is(err, fault.Conflict):
			// Another process runs it, or ran it and died: its lease
			// ends within store.EvaluationLease.
			s.Log.Info("evaluation run held by another process; trying again after its lease", "err", err)
			time.AfterFunc(store.EvaluationLease+10*time.Second, func() {
				select {
				case retry <- struct{}{}:
				default:
				}
			})
		default:
			s.Log.Error("evaluation run failed", "cause", cause, "err", err)
		}
	}
	follow := time.NewTicker(refresh)
	defer follow.Stop()
	hourly := time.NewTicker(time.Hour)
	defer hourly.Stop()
	go monthly()
	for {
		select {
		case <-ctx.Done():
			return
		case <-follow.C:
			if _, err := s.FollowStep(ctx); err != nil && ctx.Err() == nil {
				s.Log.Error("evaluation follower", "err", err)
			}
		case <-hourly.C:
			go monthly()
		case <-retry:
			go monthly()
		}
	}
}

// due says why a run of every subject is due now ("" when not): none
// finished this month ("monthly"), or the last one was made under another
// model ("model").
func (s *Service) due(ctx context.Context) (string, error) {
	runs, err := s.Store.EvaluationRuns(ctx, 50)
	if err != nil {
		return "", err
	}
	month := s.Today().String()[:7]
	for _, r := range runs {
		if r.State != store.RunDone {
			continue
		}
		switch {
		case r.Model != s.Model.Key:
			return "model", nil
		case r.Day[:7] != month:
			return "monthly", nil
		}
		return "", nil
	}
	return "monthly", nil
}

// ModelOf returns the stored model with key (the active one, or one read
// back from the store and kept).
func (s *Service) ModelOf(ctx context.Context, key string) (*Model, error) {
	s.init()
	s.modelsMu.Lock()
	defer s.modelsMu.Unlock()
	if m, ok := s.models[key]; ok {
		return m, nil
	}
	row, err := s.Store.GetEvaluationModel(ctx, key)
	if err != nil {
		return nil, err
	}
	m, err := Parse(row.Body)
	if err != nil {
		return nil, fmt.Errorf("stored model %s: %w", key, err)
	}
	if m.Key != key {
		// The key names the file it was made from; the stored body is
		// that file.
		return nil, fmt.Errorf("stored model %s reads back as %s", key, m.Key)
	}
	s.models[key] = m
	return m, nil
}

// ErrNotGraded: the subject is not graded publicly (a person, or a class
// the model leaves out).
var ErrNotGraded = errors.New("subject not graded")
