package main

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
)

type fakeEraser struct {
	mu    sync.Mutex
	keeps []time.Duration
	calls chan struct{}
}

func (f *fakeEraser) Erase(ctx context.Context, keep time.Duration) (int, error) {
	f.mu.Lock()
	f.keeps = append(f.keeps, keep)
	f.mu.Unlock()
	f.calls <- struct{}{}
	return 1, nil
}

// TestFollowHiringErase: serve's job erases at start and then every
// period, with the kept days it was given.
func TestFollowHiringErase(t *testing.T) {
	f := &fakeEraser{calls: make(chan struct{}, 10)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		followHiringErase(ctx, f, 730*24*time.Hour, 20*time.Millisecond, slog.New(slog.DiscardHandler))
	}()
	for range 2 {
		select {
		case <-f.calls:
		case <-time.After(5 * time.Second):
			t.Fatal("the job did not erase")
		}
	}
	cancel()
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keeps[0] != 730*24*time.Hour || f.keeps[1] != f.keeps[0] {
		t.Fatalf("kept %v", f.keeps)
	}
}
