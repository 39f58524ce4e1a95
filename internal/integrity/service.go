package integrity

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

// Service runs government-integrity monitoring over the store.
type Service struct {
	Store    store.Store
	Model    *Model
	Catalog  *catalog.Catalog
	Calendar *calendar.Calendar
	Auth     *auth.Authorizer
	Log      *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Chunk is how many scores a transaction of a run writes (0:
	// RunChunk).
	Chunk int
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// RunChunk is how many bodies' scores one transaction of a run writes: a
// run killed half way keeps what it wrote, and the next run resumes.
const RunChunk = 200

// Scope reads the monitoring scope and the organisations it is set on.
func (s *Service) Scope(ctx context.Context) (Scope, error) {
	entries, err := s.Store.IntegrityScope(ctx)
	if err != nil {
		return Scope{}, err
	}
	sc := Scope{Orgs: map[int64]auth.Org{}}
	for _, e := range entries {
		sc.Entries = append(sc.Entries, ScopeEntry{ID: e.ID, OrgID: e.OrgID, Cover: e.Cover, Depth: e.Depth, Created: e.Created})
		if _, ok := sc.Orgs[e.OrgID]; !ok {
			o, err := s.Store.GetOrg(ctx, e.OrgID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return Scope{}, err
			}
			if err == nil {
				sc.Orgs[e.OrgID] = o
			}
		}
	}
	return sc, nil
}

// Bodies returns the government bodies in the monitoring scope, in id
// order.
func (s *Service) Bodies(ctx context.Context) ([]Body, error) {
	sc, err := s.Scope(ctx)
	if err != nil {
		return nil, err
	}
	subs, err := s.Store.GovernmentBodies(ctx)
	if err != nil {
		return nil, err
	}
	var out []Body
	for _, sub := range subs {
		b := s.Model.BodyOf(sub)
		if sc.Covers(s.Model, b) {
			out = append(out, b)
		}
	}
	return out, nil
}

// Events reads the events of the bodies as the platform knew them at
// asOf: each record of the event kind or a source kind in the version in
// force then (received by then, not revoked), by body id. A reported
// event and a source's record of the same item and date are one event:
// the report is kept.
func (s *Service) Events(ctx context.Context, bodies []Body, asOf time.Time) (map[int64][]Event, error) {
	ids := make([]int64, len(bodies))
	for i, b := range bodies {
		ids[i] = b.ID
	}
	recs, err := s.Store.SubjectsRecords(ctx, ids, s.Model.Kinds())
	if err != nil {
		return nil, err
	}
	out := map[int64][]Event{}
	for _, r := range recs {
		if r.Kind != EventKind || r.Version > 1 || r.ReceivedAt.After(asOf) {
			// Sources, and records changed since: the version in force at
			// asOf, with the first receipt and the repair day.
			vs, err := s.Store.RecordVersions(ctx, r.ID)
			if err != nil {
				return nil, fmt.Errorf("record %d: %w", r.ID, err)
			}
			v, ok := store.VersionAt(vs, asOf)
			if !ok {
				continue
			}
			r = v
		}
		if r.State == store.StateRevoked {
			continue
		}
		e, ok, err := s.eventOf(r)
		if err != nil {
			return nil, err
		}
		if ok {
			out[r.SubjectID] = append(out[r.SubjectID], e)
		}
	}
	for id, evs := range out {
		out[id] = dedupe(evs)
	}
	return out, nil
}

// dedupe drops a source's event when an event of the same item and date
// was reported.
func dedupe(evs []Event) []Event {
	type key struct {
		item string
		date calendar.Date
	}
	reported := map[key]bool{}
	for _, e := range evs {
		if e.Kind == EventKind {
			reported[key{e.Item, e.Date}] = true
		}
	}
	return slices.DeleteFunc(evs, func(e Event) bool { return e.Kind != EventKind && reported[key{e.Item, e.Date}] })
}

// eventOf reads a record as an event; ok is false for a record of a
// source kind that no source takes.
func (s *Service) eventOf(r store.Record) (Event, bool, error) {
	f, err := store.DecodeFields(r.Fields)
	if err != nil {
		return Event{}, false, fmt.Errorf("record %d: %w", r.ID, err)
	}
	first := r.FirstReceived
	if first.IsZero() {
		first = r.ReceivedAt
	}
	e := Event{RecordID: r.ID, Kind: r.Kind, Reporter: r.SourceDept, ReporterName: f["source_dept"], Received: calendar.FromTime(first),
		DecisionNo: r.DecisionNo}
	date := func(s string) calendar.Date {
		d, _ := calendar.ParseDate(s)
		return d
	}
	if r.Kind == EventKind {
		e.Item, e.HonourLevel, e.Channel, e.Description = f["item"], f["honour_level"], f["channel"], f["description"]
		e.Nature = Bad
		if k, ok := s.Catalog.Kind(EventKind); ok && k.RowNature != nil && slices.Contains(k.RowNature.Good, f[k.RowNature.Field]) {
			e.Nature = Good
		}
		e.Date, e.Rectified = date(f["event_date"]), date(f["rectified_on"])
		return e, !e.Date.IsZero(), nil
	}
	for _, src := range s.Model.Sources {
		if src.Kind != r.Kind || !src.Matches(f) {
			continue
		}
		e.Item, e.Nature, e.Channel, e.Description = src.Item, Bad, "信息共享", f[src.Description]
		e.Date = date(r.DecisionDate)
		if src.Rectified != "" {
			e.Rectified = date(f[src.Rectified])
		}
		if rep := date(r.RepairedOn); !rep.IsZero() && (e.Rectified.IsZero() || rep.Before(e.Rectified)) {
			e.Rectified = rep
		}
		return e, !e.Date.IsZero(), nil
	}
	return Event{}, false, nil
}

// RunOptions describe a monthly run.
type RunOptions struct {
	StartedBy string // serve, cli, or the principal who started it on a page
	// Progress, when set, is told after each transaction how many bodies
	// are scored of how many.
	Progress func(done, total int)
}

// RunSummary says what a run did.
type RunSummary struct {
	Run     store.IntegrityRun
	Resumed bool
	Bodies  int // monitored bodies
	Written int // scores written by this call (the others were kept)
}

// Run scores every monitored body for a month and stores the results. A
// month that has ended is scored as the platform knew it at its end, so a
// run again gives the same result; the current month is scored as of now
// (provisional, 暂定). A run of a month interrupted (killed) is resumed by
// the next: the scores written are kept, the rest written, so the result
// is that of one clean run. A run of a finished month, or with another
// model, starts afresh.
func (s *Service) Run(ctx context.Context, month Month, opt RunOptions) (RunSummary, error) {
	now := s.now()
	cur := MonthOf(calendar.FromTime(now))
	if cur.Before(month) {
		return RunSummary{}, fault.Newf(fault.Invalid, "%s尚未开始，不能评分", month.Label())
	}
	final := !now.Before(month.End())
	asOf := now
	if final {
		asOf = month.End()
	}
	run, resumed, err := s.Store.StartIntegrityRun(ctx, store.IntegrityRun{Month: month.String(), Final: final, AsOf: asOf,
		Model: s.Model.Version, StartedBy: opt.StartedBy})
	if err != nil {
		return RunSummary{}, err
	}
	asOf = run.AsOf
	all, err := s.Bodies(ctx)
	if err != nil {
		return RunSummary{}, err
	}
	events, err := s.Events(ctx, all, asOf)
	if err != nil {
		return RunSummary{}, err
	}
	// The bodies the platform knew at asOf: filed by then, or with an
	// event known then (records loaded with an earlier receipt), so that a
	// body filed later does not change a past month run again.
	var bodies []Body
	for _, b := range all {
		if !b.Created.After(asOf) || len(events[b.ID]) > 0 {
			bodies = append(bodies, b)
		}
	}
	scores := s.scoreAll(bodies, events, month)
	written, err := s.Store.IntegrityScored(ctx, month.String())
	if err != nil {
		return RunSummary{}, err
	}
	var todo []store.IntegrityScore
	for _, sc := range scores {
		if _, ok := slices.BinarySearch(written, sc.SubjectID); !ok {
			todo = append(todo, sc)
		}
	}
	sum := RunSummary{Resumed: resumed, Bodies: len(bodies)}
	chunk := cmp.Or(s.Chunk, RunChunk)
	for start := 0; start < len(todo); start += chunk {
		part := todo[start:min(start+chunk, len(todo))]
		if err := s.Store.PutIntegrityScores(ctx, part); err != nil {
			return sum, err
		}
		sum.Written += len(part)
		if opt.Progress != nil {
			opt.Progress(len(scores)-len(todo)+sum.Written, len(scores))
		}
	}
	keep := make([]int64, len(bodies))
	for i, b := range bodies {
		keep[i] = b.ID
	}
	if err := s.Store.FinishIntegrityRun(ctx, month.String(), keep); err != nil {
		// Another process (serve's scheduled run, a second command)
		// finished the same run meanwhile: its result is this one's.
		if run, gerr := s.Store.GetIntegrityRun(ctx, month.String()); !errors.Is(err, store.ErrConflict) || gerr != nil || run.State != store.RunDone {
			return sum, err
		}
	}
	if sum.Run, err = s.Store.GetIntegrityRun(ctx, month.String()); err != nil {
		return sum, err
	}
	return sum, nil
}

// scoreAll scores every body and ranks each peer group: by total, best
// first; equal totals share a rank (1, 1, 3).
func (s *Service) scoreAll(bodies []Body, events map[int64][]Event, month Month) []store.IntegrityScore {
	out := make([]store.IntegrityScore, len(bodies))
	groups := map[string][]int{}
	for i, b := range bodies {
		r := s.Model.Score(b, events[b.ID], month)
		detail, _ := json.Marshal(r)
		out[i] = store.IntegrityScore{Month: month.String(), SubjectID: b.ID, USCC: b.USCC, Name: b.Name, Region: b.Region,
			Group: b.Group.Code, Total: int64(r.Total), Detail: detail}
		groups[b.Group.Code] = append(groups[b.Group.Code], i)
	}
	for _, idx := range groups {
		slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(out[b].Total, out[a].Total) })
		for n, i := range idx {
			out[i].Peers = len(idx)
			if n > 0 && out[idx[n-1]].Total == out[i].Total {
				out[i].Rank = out[idx[n-1]].Rank
			} else {
				out[i].Rank = n + 1
			}
		}
	}
	return out // in body id order, as the bodies came
}

// FirstWorkingDay is the first working day of a month on the calendar.
func (s *Service) FirstWorkingDay(m Month) calendar.Date {
	d := m.First()
	for i := 0; i < 31 && s.Calendar != nil && !s.Calendar.IsWorkingDay(d); i++ {
		d = d.AddDays(1)
	}
	return d
}

// Due returns the month a scheduled run should score on day today: the
// month before, from the first working day of today's month on, until its
// run is done with its month ended.
func (s *Service) Due(ctx context.Context, today calendar.Date) (Month, bool, error) {
	cur := MonthOf(today)
	if today.Before(s.FirstWorkingDay(cur)) {
		return Month{}, false, nil
	}
	prev := cur.Add(-1)
	run, err := s.Store.GetIntegrityRun(ctx, prev.String())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return prev, true, nil
	case err != nil:
		return Month{}, false, err
	}
	return prev, run.State != store.RunDone || !run.Final, nil
}

// RunDue runs the month Due names, if any.
func (s *Service) RunDue(ctx context.Context) error {
	m, due, err := s.Due(ctx, calendar.FromTime(s.now()))
	if err != nil || !due {
		return err
	}
	start := time.Now()
	sum, err := s.Run(ctx, m, RunOptions{StartedBy: "serve"})
	if err != nil {
		return fmt.Errorf("integrity run %s: %w", m, err)
	}
	s.log().Info("integrity monthly run", "month", m.String(), "bodies", sum.Bodies, "written", sum.Written, "resumed", sum.Resumed,
		"took", time.Since(start).Round(time.Millisecond))
	s.audit(ctx, auth.Principal{Kind: auth.System, Name: "serve"}, "run", "integrity.run:"+m.String(), 0, "每月自动评分："+strconv.Itoa(sum.Bodies)+"个监测对象")
	return nil
}

// audit appends an audit entry, logging a failure (the change it records
// is done).
func (s *Service) audit(ctx context.Context, p auth.Principal, outcome, target string, subject int64, detail string) {
	e := auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: auth.AuditIntegrity, Target: target, SubjectID: subject,
		Outcome: outcome, Detail: detail}
	if _, err := s.Store.Audit(ctx, e); err != nil {
		s.log().Error("audit integrity", "target", target, "err", err)
	}
}

// Follow raises alerts every interval and runs the monthly run when due,
// until ctx ends (serve).
func (s *Service) Follow(ctx context.Context, every time.Duration) {
	tick := func() {
		if err := s.RaiseAlerts(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("integrity alerts", "err", err)
		}
		if err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("integrity scheduled run", "err", err)
		}
	}
	tick()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			tick()
		}
	}
}

// alertsCursor is the setting holding the change feed's sequence number up
// to which alerts were raised (store.IntegrityStore.SwapIntegrityCursor).
const alertsCursor = "integrity.alerts_seq"

// RaiseAlerts reads the change feed after the cursor and raises an alert
// for every new serious bad event about a government body (a reported
// event of a serious item, or a source's record such as a 失信被执行人
// entry), once per record.
func (s *Service) RaiseAlerts(ctx context.Context) error {
	cur, err := s.Store.InitSetting(ctx, alertsCursor, "0")
	if err != nil {
		return err
	}
	since, _ := strconv.ParseInt(cur, 10, 64)
	for {
		evs, next, err := s.Store.KindChanges(ctx, since, s.Model.Kinds(), store.MaxChangesLimit)
		if err != nil {
			return err
		}
		var alerts []store.IntegrityAlert
		for _, ev := range evs {
			if ev.Subject.Class != credit.ClassGov || ev.Type == store.ChangeListExit || ev.Type == store.ChangeRepair {
				continue
			}
			r, err := s.Store.GetRecord(ctx, ev.RecordID)
			if err != nil {
				return err
			}
			e, ok, err := s.eventOf(r)
			if err != nil {
				return err
			}
			if it, found := s.Model.Item(e.Item); ok && found && it.Serious && e.Nature == Bad {
				alerts = append(alerts, store.IntegrityAlert{RecordID: r.ID, SubjectID: r.SubjectID, Item: e.Item, EventDate: e.Date.String()})
			}
		}
		if len(alerts) > 0 {
			n, err := s.Store.AddIntegrityAlerts(ctx, alerts)
			if err != nil {
				return err
			}
			if n > 0 {
				s.log().Info("integrity alerts raised", "alerts", n)
			}
		}
		if next == since {
			return nil
		}
		if ok, err := s.Store.SwapIntegrityCursor(ctx, since, next); err != nil || !ok {
			return err // !ok: another process moved it; the next round reads from there
		}
		since = next
		if len(evs) < store.MaxChangesLimit {
			return nil
		}
	}
}
