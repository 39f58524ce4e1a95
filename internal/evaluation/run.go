package evaluation

import (
	"context"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/store"
)

// RecordWindow is how many record ids one read of a run covers: a run
// reads every record in windows of the records' key, several at once.
const RecordWindow = 50000

// subjectPage is how many subjects one read of a run's subject list takes.
const subjectPage = 100000

// flat is an item of a run: an indicator's item of a subject.
type flat struct {
	subject int64
	id      int64 // a record's id, or minus a commitment's
	points  int32
	pos     int16
}

// Run evaluates every subject the model grades on day and stores the
// results that changed, resuming the unfinished run of the same day and
// model when there is one (a run killed midway goes on after the last
// subject it wrote). It reads every record once, in windows of the
// records' key, several at once, scoring each record as it comes (the
// subject's items are gathered, sorted by subject, and totalled in
// subject order): a run costs a scan of the records, not a lookup per
// subject.
func (s *Service) Run(ctx context.Context, day calendar.Date, cause string, progress Progress) (store.EvaluationRun, error) {
	s.init()
	s.run.Lock()
	defer s.run.Unlock()
	if err := s.saveModel(ctx); err != nil {
		return store.EvaluationRun{}, err
	}
	run, resumed, err := s.Store.StartEvaluationRun(ctx, store.EvaluationRun{Day: day.String(), Model: s.Model.Key, Cause: cause, Owner: s.Owner}, ownerGone)
	if err != nil {
		return run, err
	}
	s.Log.Info("evaluation run", "id", run.ID, "day", run.Day, "model", run.Model, "resumed", resumed, "after_subject", run.Cursor)
	started := time.Now()

	subs, err := s.allSubjects(ctx)
	if err != nil {
		return run, err
	}
	var maxID int64
	if n := len(subs); n > 0 {
		maxID = subs[n-1].ID
	}
	graded := make([]bool, maxID+1)
	for _, sub := range subs {
		graded[sub.ID] = true
	}
	parts, due, err := s.scanAll(ctx, day, graded)
	if err != nil {
		return run, err
	}
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	s.Log.Debug("evaluation run read", "subjects", len(subs), "items", n, "took", time.Since(started))

	// Totals in subject order, written in chunks while the next is made.
	type chunk struct {
		rows []store.Evaluation
		last int64
	}
	chunks := make(chan chunk, 1)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(chunks)
		at := make([]int, len(parts)) // each part's next item
		var rows []store.Evaluation
		var pis []posItem
		for k, sub := range subs {
			pis = pis[:0]
			for p, part := range parts {
				j := at[p]
				for j < len(part) && part[j].subject < sub.ID {
					j++
				}
				for ; j < len(part) && part[j].subject == sub.ID; j++ {
					it := part[j]
					pi := posItem{pos: int(it.pos), Item: Item{Points: int(it.points)}}
					if it.id < 0 {
						pi.Commitment = -it.id
					} else {
						pi.Record = it.id
					}
					pis = append(pis, pi)
				}
				at[p] = j
			}
			if sub.ID <= run.Cursor {
				continue
			}
			var d calendar.Date
			if n := due[sub.ID]; n != 0 {
				d = dayOf(n)
			}
			res := s.scorer.total(sub.ID, day, slices.Clone(pis), d)
			rows = append(rows, res.Row(sub))
			if len(rows) == s.Chunk || k == len(subs)-1 {
				select {
				case chunks <- chunk{rows, sub.ID}:
				case <-gctx.Done():
					return gctx.Err()
				}
				rows = nil
			}
		}
		return nil
	})
	g.Go(func() error {
		for c := range chunks {
			saved, err := s.Store.SaveEvaluations(gctx, store.EvaluationWrite{Run: &run, Cursor: c.last, Results: c.rows})
			if err != nil {
				return err
			}
			run.Cursor = c.last
			run.Subjects += len(c.rows)
			run.Changed += saved.New + saved.Changed
			run.Regraded += saved.Regraded
			if progress != nil {
				progress(run)
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return run, fmt.Errorf("evaluation run %d: %w", run.ID, err)
	}
	if err := s.Store.FinishEvaluationRun(ctx, run); err != nil {
		return run, err
	}
	run.State = store.RunDone
	s.Log.Info("evaluation run done", "id", run.ID, "subjects", run.Subjects, "changed", run.Changed, "regraded", run.Regraded,
		"took", time.Since(started).Round(time.Millisecond))
	return run, nil
}

// allSubjects reads every subject the model grades, in id order.
func (s *Service) allSubjects(ctx context.Context) ([]store.EvalSubject, error) {
	var out []store.EvalSubject
	var after int64
	for {
		page, last, err := s.Store.EvaluationSubjects(ctx, after, subjectPage, s.Model.Classes)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if last == 0 {
			return out, nil
		}
		after = last
	}
}

// scanAll reads every record (and commitment, objection) and scores it,
// among the workers, each reading windows of record ids. It returns each
// worker's items of the subjects graded says, ordered by subject, and
// every subject's due day (yyyymmdd, 0 none) by id.
func (s *Service) scanAll(ctx context.Context, day calendar.Date, graded []bool) ([][]flat, []int32, error) {
	heads, err := s.Store.EvaluationHeads(ctx)
	if err != nil {
		return nil, nil, err
	}
	w := s.wants()
	extras, err := s.Store.EvaluationExtras(ctx, w)
	if err != nil {
		return nil, nil, err
	}
	isGraded := func(id int64) bool { return id > 0 && id < int64(len(graded)) && graded[id] }
	var objections map[int64][]store.EvalObjection
	if w.Objections {
		var objs []store.EvalObjection
		for _, o := range extras.Objections {
			if isGraded(o.SubjectID) {
				o.Upheld = upheld(o.Body)
				o.Body = nil
				objs = append(objs, o)
			}
		}
		objections = s.scorer.objectionsByRecord(objs)
	}
	// later keeps the earliest due day of a subject in a worker's dense
	// table (4 bytes a subject id, rather than an item per record).
	later := func(due []int32, sub int64, d calendar.Date) {
		if n := dayNumber(d); !d.IsZero() && (due[sub] == 0 || n < due[sub]) {
			due[sub] = n
		}
	}
	windows := make(chan int64)
	parts := make([][]flat, s.Workers+1) // the last: commitments
	dues := make([][]int32, s.Workers+1)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(windows)
		for after := int64(0); after < heads.Record; after += RecordWindow {
			select {
			case windows <- after:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	sortBySubject := func(p []flat) {
		slices.SortFunc(p, func(a, b flat) int { return compare(a.subject, b.subject) })
	}
	for p := range s.Workers {
		g.Go(func() error {
			var out []flat
			due := make([]int32, len(graded))
			var sub int64
			t := &tally{day: day}
			t.emit = func(pos int, it Item) {
				out = append(out, flat{subject: sub, id: it.Record, points: int32(it.Points), pos: int16(pos)})
			}
			for after := range windows {
				err := s.Store.EvaluationRecords(gctx, after, after+RecordWindow, w.Kinds, func(r *store.Record) error {
					if !isGraded(r.SubjectID) {
						return nil
					}
					sub, t.due = r.SubjectID, calendar.Date{}
					if err := s.scorer.record(t, r, objections[r.ID]); err != nil {
						return err
					}
					later(due, sub, t.due)
					return nil
				})
				if err != nil {
					return err
				}
			}
			sortBySubject(out)
			parts[p], dues[p] = out, due
			return nil
		})
	}
	g.Go(func() error {
		var out []flat
		due := make([]int32, len(graded))
		var sub int64
		t := &tally{day: day}
		t.emit = func(pos int, it Item) {
			out = append(out, flat{subject: sub, id: -it.Commitment, points: int32(it.Points), pos: int16(pos)})
		}
		for _, c := range extras.Commitments {
			if !isGraded(c.SubjectID) {
				continue
			}
			sub, t.due = c.SubjectID, calendar.Date{}
			s.scorer.commitment(t, c)
			later(due, sub, t.due)
		}
		sortBySubject(out)
		parts[s.Workers], dues[s.Workers] = out, due
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	due := dues[0]
	for _, d := range dues[1:] {
		for i, n := range d {
			if n != 0 && (due[i] == 0 || n < due[i]) {
				due[i] = n
			}
		}
	}
	return parts, due, nil
}

// dayNumber is a day as yyyymmdd; dayOf reads it back.
func dayNumber(d calendar.Date) int32 { return int32(d.Year*10000 + int(d.Month)*100 + d.Day) }

func dayOf(n int32) calendar.Date {
	return calendar.NewDate(int(n/10000), time.Month(n/100%100), int(n%100))
}
