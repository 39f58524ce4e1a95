package store

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/search"
)

// NameSource is what an in-memory name index (Indexed) loads from and
// follows. Both drivers implement it.
type NameSource interface {
	// NameEntries calls fn with every name, current or former, of every
	// subject but persons, in subject id order, and returns the sequence
	// number of the last name-search entry written before it started
	// reading: NameChanges after it gives every later change.
	NameEntries(ctx context.Context, fn func(subject int64, name string) error) (seq int64, err error)
	// NameChanges returns the subjects whose name-search entries were
	// written after the entry numbered after, in the order written, at
	// most limit of them, each with all its names, and the number of the
	// last one returned (after when none). Entries are numbered in the
	// order their transactions commit, so nothing is skipped.
	NameChanges(ctx context.Context, after int64, limit int) (docs []IndexDoc, last int64, err error)
	// SubjectsByID returns the subjects with these ids, with their former
	// names, in the order of ids; ids not found are left out.
	SubjectsByID(ctx context.Context, ids []int64) ([]credit.Subject, error)
}

// InOrder returns subs in the order of ids (each subject once; ids not in
// subs are left out).
func InOrder(subs []credit.Subject, ids []int64) []credit.Subject {
	at := make(map[int64]int, len(subs))
	for i, s := range subs {
		at[s.ID] = i
	}
	out := make([]credit.Subject, 0, len(subs))
	for _, id := range ids {
		if i, ok := at[id]; ok {
			out = append(out, subs[i])
			delete(at, id)
		}
	}
	return out
}

// nameChangesBatch is how many changed entries one read of NameChanges
// takes (and one write lock of the index applies).
const nameChangesBatch = 5000

// Indexed is a Store whose name searches (SearchSubjects) and candidate
// lookups (MatchCandidates) are answered from an in-memory index of every
// subject's names (search.Index) instead of the database's full-text
// index: a page of results costs what it returns, however common the
// bigrams of the query are, on either driver. The subjects found are then
// read from the database by id.
//
// The index is loaded by NewIndexed and follows the database: this
// process's own writes of subjects (PutSubjects, PutPreparedRecords) are
// applied before those calls return, and Follow applies what other
// processes (an import at the command line, another server) write, at
// most its interval later.
type Indexed struct {
	Store
	src NameSource
	idx *search.Index
	log *slog.Logger

	mu        sync.Mutex  // one refresh at a time
	seq       int64       // last entry applied
	refreshed time.Time   // last refresh that succeeded
	failures  int64       // refreshes that failed
	broken    atomic.Bool // the index could not take an entry: the database answers
}

// IndexStats is what an Indexed store tells monitoring.
type IndexStats struct {
	Subjects  int       // subjects with names in the index
	Seq       int64     // number of the last entry applied
	Refreshed time.Time // when the index last caught up with the database
	Failures  int64     // refreshes that failed since start
	Broken    bool      // the index refused an entry; searches go to the database
}

// IndexStats returns the index's figures.
func (x *Indexed) IndexStats() IndexStats {
	x.mu.Lock()
	defer x.mu.Unlock()
	return IndexStats{Subjects: x.idx.Len(), Seq: x.seq, Refreshed: x.refreshed, Failures: x.failures, Broken: x.broken.Load()}
}

// NewIndexed loads the names of every subject into a new index over s;
// ErrNotConfigured when the driver is no NameSource.
func NewIndexed(ctx context.Context, s Store, log *slog.Logger) (*Indexed, error) {
	src, ok := s.(NameSource)
	if !ok {
		return nil, fmt.Errorf("name index: %w: driver %s cannot feed it", ErrNotConfigured, s.Dialect())
	}
	x := &Indexed{Store: s, src: src, idx: search.NewIndex(), log: log}
	start := time.Now()
	var batch []IndexDoc
	flush := func() error {
		err := x.put(batch)
		batch = batch[:0]
		return err
	}
	seq, err := src.NameEntries(ctx, func(id int64, name string) error {
		if n := len(batch); n >= 10000 && batch[n-1].Subject != id {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = AddIndexName(batch, id, name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	x.seq = seq
	if err := x.Refresh(ctx); err != nil {
		return nil, err
	}
	x.idx.Compact()
	subjects, grams, postings, bytes := x.idx.Stats()
	log.Info("name index loaded", "subjects", subjects, "bigrams", grams, "postings", postings,
		"mib", bytes>>20, "took", time.Since(start).Round(time.Millisecond))
	return x, nil
}

func (x *Indexed) put(docs []IndexDoc) error {
	if len(docs) == 0 {
		return nil
	}
	in := make([]search.Doc, len(docs))
	for i, d := range docs {
		in[i] = search.Doc{ID: d.Subject, Names: d.Names}
	}
	if err := x.idx.Put(in...); err != nil {
		return err
	}
	return nil
}

// Refresh applies the entries written since the last one applied.
func (x *Indexed) Refresh(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	for {
		docs, last, err := x.src.NameChanges(ctx, x.seq, nameChangesBatch)
		if err != nil {
			x.failures++
			return err
		}
		if err := x.put(docs); err != nil {
			x.failures++
			x.broken.Store(true)
			return fmt.Errorf("%w (name searches now go to the database)", err)
		}
		x.seq = last
		if len(docs) < nameChangesBatch {
			x.refreshed = time.Now()
			return nil
		}
	}
}

// Follow refreshes the index every interval until ctx ends, logging
// failures (the next refresh retries).
func (x *Indexed) Follow(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := x.Refresh(ctx); err != nil && ctx.Err() == nil {
				x.log.Error("name index refresh failed", "err", err)
			}
		}
	}
}

// FollowSearch brings the database's full-text name index up to date with
// the name-change log (Store.SyncSearch) every interval until ctx ends,
// logging failures (the next round retries). A server runs it whether or
// not it searches in memory, so that the database's index is never more
// than an interval behind when it is needed (--name-index=false, or an
// in-memory index that broke).
func FollowSearch(ctx context.Context, s Store, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.SyncSearch(ctx); err != nil && ctx.Err() == nil {
				log.Error("full-text name index sync failed", "err", err)
			}
		}
	}
}

// Seq returns the number of the last entry applied.
func (x *Indexed) Seq() int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.seq
}

// afterWrite applies this process's own write at once; a failure is
// logged and left to Follow, since the write itself succeeded.
func (x *Indexed) afterWrite(ctx context.Context) {
	if err := x.Refresh(ctx); err != nil {
		x.log.Error("name index refresh after a write failed", "err", err)
	}
}

// PutSubjects implements SubjectStore.
func (x *Indexed) PutSubjects(ctx context.Context, subjects []credit.Subject) (PutStats, error) {
	st, err := x.Store.PutSubjects(ctx, subjects)
	if err == nil {
		x.afterWrite(ctx)
	}
	return st, err
}

// ApplySubjects implements SubjectStore.
func (x *Indexed) ApplySubjects(ctx context.Context, subjects []credit.Subject, at time.Time, origin string) (PutStats, error) {
	st, err := x.Store.ApplySubjects(ctx, subjects, at, origin)
	if err == nil {
		x.afterWrite(ctx)
	}
	return st, err
}

// PutPreparedRecords implements RecordStore: filing records creates the
// subjects they name.
func (x *Indexed) PutPreparedRecords(ctx context.Context, batch int64, p PreparedRecords) ([]RecordOutcome, error) {
	out, err := x.Store.PutPreparedRecords(ctx, batch, p)
	if err == nil {
		x.afterWrite(ctx)
	}
	return out, err
}

// SearchSubjects implements SubjectStore.
func (x *Indexed) SearchSubjects(ctx context.Context, q string, offset, limit int) ([]credit.Subject, error) {
	if x.broken.Load() {
		return x.Store.SearchSubjects(ctx, q, offset, limit)
	}
	if _, err := QueryGrams(q); err != nil {
		return nil, err
	}
	return x.subjects(ctx, "search subjects", x.idx.Search(search.Fold(q), offset, limit))
}

// MatchCandidates implements Matcher: the candidates hold one of the
// required bigrams (MatchGrams.Required, counted in the index) and are
// ranked by BM25 over all of them.
func (x *Indexed) MatchCandidates(ctx context.Context, name string, limit int) ([]credit.Subject, error) {
	if x.broken.Load() {
		m, ok := x.Store.(Matcher)
		if !ok {
			return nil, fmt.Errorf("match candidates: %w", ErrNotConfigured)
		}
		return m.MatchCandidates(ctx, name, limit)
	}
	grams, err := NewMatchGrams(name)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	required, _ := grams.Required(func(g string) (int, error) { return x.idx.Count(g), nil })
	return x.subjects(ctx, "match candidates", x.idx.Rank(required, grams.All, limit))
}

// NearCandidates implements Matcher: the names one edit from the core,
// checked character by character (search.Index.Near), ranked by BM25
// over the bigrams of the core and the place.
func (x *Indexed) NearCandidates(ctx context.Context, name string, limit int) ([]credit.Subject, error) {
	if x.broken.Load() {
		m, ok := x.Store.(Matcher)
		if !ok {
			return nil, fmt.Errorf("near candidates: %w", ErrNotConfigured)
		}
		return m.NearCandidates(ctx, name, limit)
	}
	grams, err := NewMatchGrams(name)
	if err != nil {
		return nil, err
	}
	return x.subjects(ctx, "near candidates", x.idx.Near(grams.Text, grams.All, limit))
}

// subjects reads the subjects the index found, in its order, leaving out
// persons: they are never indexed, but a subject's class can change after
// its entry was written.
func (x *Indexed) subjects(ctx context.Context, what string, ids []int64) ([]credit.Subject, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	subs, err := x.src.SubjectsByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out := subs[:0]
	for _, s := range subs {
		if s.Class != credit.ClassPerson {
			out = append(out, s)
		}
	}
	return out, nil
}

var _ Matcher = (*Indexed)(nil)
