package sqlaccess

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

// Group commit of check archives.
//
// A check is answered only once its archive (the check, its measures and
// one audit entry per subject concerned) has committed. One transaction
// per check made every check pay a commit (and, on SQLite, made every
// reader connection drop its page cache at its next read). Instead the
// callers of SaveCheck queue their archives and one writer goroutine
// commits all that are waiting in one transaction, then answers each:
// while it commits, the next archives gather, so the batch grows with the
// load and no caller waits for a timer. The audit entries of a batch are
// sealed in queue order after the chain's head, under the audit lock, so
// the chain stays one sequence.

// Limits of one batch: at most this many checks, and no more audit
// entries than this (a 10,000-subject check goes alone or nearly so).
const (
	archiveMaxChecks = 256
	archiveMaxAudits = 20000
)

// pendingCheck is an archive waiting in the queue.
type pendingCheck struct {
	c        store.CheckRecord
	measures []store.CheckMeasure
	audits   []auth.AuditEntry
	// abandoned is set by a caller that stopped waiting before the writer
	// took the archive: it is then not written.
	abandoned atomic.Bool
	taken     atomic.Bool
	done      chan struct{} // closed when err and c.ID are set
	err       error
}

// archiver is the queue and its writer goroutine, which runs only while
// there is something to write (so a closed store leaves none behind).
type archiver struct {
	s       *Store
	mu      sync.Mutex
	queue   []*pendingCheck
	running bool
	checks  atomic.Int64 // archives committed
	batches atomic.Int64 // transactions that committed them
}

// ArchiveStats returns how many check archives this store committed and in
// how many transactions (for tests and metrics).
func (s *Store) ArchiveStats() (checks, transactions int64) {
	a := s.archiverOf()
	return a.checks.Load(), a.batches.Load()
}

func (s *Store) archiverOf() *archiver {
	s.archiveOnce.Do(func() { s.archive = &archiver{s: s} })
	return s.archive
}

// save queues p and waits until it has committed or failed, or ctx ends.
// When ctx ends first, an archive the writer had not yet taken is dropped;
// one it had taken commits all the same, and the caller gets ctx's error
// (it answers nobody, so an extra archive is harmless; a missing one is
// not).
func (a *archiver) save(ctx context.Context, p *pendingCheck) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.done = make(chan struct{})
	a.mu.Lock()
	a.queue = append(a.queue, p)
	if !a.running {
		a.running = true
		go a.run()
	}
	a.mu.Unlock()
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		p.abandoned.Store(true)
		if p.taken.Load() {
			// Being written: wait for the outcome, so that what the
			// caller reports is true of the database.
			<-p.done
			if p.err != nil {
				return p.err
			}
		}
		return ctx.Err()
	}
}

// run writes batches until the queue is empty.
func (a *archiver) run() {
	for {
		batch := a.next()
		if batch == nil {
			return
		}
		a.write(batch)
	}
}

// next takes the archives waiting, up to one batch's limits, skipping the
// abandoned ones; nil (and the writer stops) when none wait.
func (a *archiver) next() []*pendingCheck {
	a.mu.Lock()
	defer a.mu.Unlock()
	var batch []*pendingCheck
	audits, i := 0, 0
	for ; i < len(a.queue); i++ {
		p := a.queue[i]
		if len(batch) > 0 && (len(batch) >= archiveMaxChecks || audits+len(p.audits) > archiveMaxAudits) {
			break
		}
		p.taken.Store(true)
		if p.abandoned.Load() {
			p.err = context.Canceled
			close(p.done)
			continue
		}
		batch = append(batch, p)
		audits += len(p.audits)
	}
	// A fresh slice: the old array would keep the taken archives (and
	// their audit entries) alive.
	a.queue = append([]*pendingCheck(nil), a.queue[i:]...)
	if len(batch) == 0 && len(a.queue) == 0 {
		a.queue = nil
		a.running = false
		return nil
	}
	return batch
}

// write commits batch in one transaction. When that fails, each archive
// is tried in a transaction of its own, so that one bad archive fails only
// its caller.
func (a *archiver) write(batch []*pendingCheck) {
	// The callers' contexts do not bound the write: one caller giving up
	// must not roll back the others' archives.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a.s.prepareWrites(ctx)
	err := a.s.inTx(ctx, func(tx *sql.Tx) error { return a.s.writeChecks(ctx, tx, batch) })
	if err != nil && len(batch) > 1 {
		for _, p := range batch {
			p.err = a.s.inTx(ctx, func(tx *sql.Tx) error { return a.s.writeChecks(ctx, tx, []*pendingCheck{p}) })
			if p.err == nil {
				a.checks.Add(1)
				a.batches.Add(1)
			}
			close(p.done)
		}
		return
	}
	if err == nil {
		a.checks.Add(int64(len(batch)))
		a.batches.Add(1)
	}
	for _, p := range batch {
		p.err = err
		close(p.done)
	}
}

// writeChecks inserts the checks of batch, then all their measures, then
// all their audit entries, in queue order, inside tx. The ids are set on
// the archives (and lost again if tx does not commit: the caller then gets
// the error, not the id).
func (s *Store) writeChecks(ctx context.Context, tx *sql.Tx, batch []*pendingCheck) error {
	type measureRow struct {
		p *pendingCheck
		m store.CheckMeasure
	}
	var measures []measureRow
	var audits []auth.AuditEntry
	for _, p := range batch {
		c := &p.c
		if c.At.IsZero() {
			c.At = s.now()
		}
		if err := s.txQueryRow(ctx, tx, `INSERT INTO checks (at, actor, org_id, scenario, case_no, subjects, punished, rewarded, not_found, data_as_of, request, result)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			c.At, c.Actor, c.OrgID, c.Scenario, c.CaseNo, c.Subjects, c.Punished, c.Rewarded, c.NotFound, c.DataAsOf, string(c.Request), string(c.Result)).Scan(&c.ID); err != nil {
			return fmt.Errorf("archive check (case %q): %w", c.CaseNo, err)
		}
		for _, m := range p.measures {
			measures = append(measures, measureRow{p, m})
		}
		for _, e := range p.audits {
			e.Target = fmt.Sprintf("check:%d", c.ID)
			e.At = c.At
			audits = append(audits, e)
		}
	}
	err := s.insertRows(ctx, tx, `INSERT INTO check_measures (check_id, item, subject_id, org_id, month, measure) VALUES `, 6, len(measures),
		func(i int) []any {
			r := measures[i]
			return []any{r.p.c.ID, r.m.Item, r.m.SubjectID, r.p.c.OrgID, r.p.c.At.In(chinaTime).Format("2006-01"), r.m.Measure}
		})
	if err != nil {
		return fmt.Errorf("archive check measures: %w", err)
	}
	if err := s.appendAudits(ctx, tx, audits); err != nil {
		return fmt.Errorf("archive check audit entries: %w", err)
	}
	// Hand the sealed entries back to their archives.
	n := 0
	for _, p := range batch {
		copy(p.audits, audits[n:n+len(p.audits)])
		n += len(p.audits)
	}
	return nil
}
