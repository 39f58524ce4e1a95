package sqlite

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/store"
)

// TestArchivesWaitingCommitTogether: archives queued while the writer is
// busy are committed in one transaction once it is free (group commit),
// whatever the scheduler does.
func TestArchivesWaitingCommitTogether(t *testing.T) {
	ctx := context.Background()
	h := harness(t, false)
	s := h.Store.(*Store)
	if _, _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Hold the one writer connection: the archiver's transaction waits.
	conn, err := s.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, txs0 := s.ArchiveStats()
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			c := store.CheckRecord{Actor: "client:1:k", OrgID: 1, Scenario: "procurement", CaseNo: fmt.Sprintf("W-%d", i),
				Request: []byte(`{}`), Result: []byte(`{}`)}
			if _, err := s.SaveCheck(ctx, c, nil, nil); err != nil {
				errs <- err
			}
		})
	}
	time.Sleep(300 * time.Millisecond) // every caller queued behind the first
	conn.Close()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checks, txs := s.ArchiveStats()
	// The first archive taken waits alone for the connection; the other 15
	// were queued meanwhile and go in one transaction.
	if checks != n || txs-txs0 > 2 {
		t.Errorf("%d archives in %d transactions, want them committed together (at most 2)", checks, txs-txs0)
	}
}
