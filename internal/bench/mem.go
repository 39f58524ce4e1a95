package bench

import (
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// Memory is what a phase used at its peak.
type Memory struct {
	// PeakHeapInuse and PeakSys are the largest runtime.MemStats HeapInuse
	// and Sys seen by the sampler.
	PeakHeapInuse uint64 `json:"peak_heap_inuse_bytes"`
	PeakSys       uint64 `json:"peak_sys_bytes"`
	// MaxRSS is getrusage(RUSAGE_SELF).ru_maxrss in bytes (0 where
	// unavailable). When PhaseRSS is true the peak was reset when the phase
	// started (Linux: /proc/self/clear_refs), so it is the phase's own peak;
	// otherwise it is the process's peak so far.
	MaxRSS   uint64 `json:"max_rss_bytes"`
	PhaseRSS bool   `json:"max_rss_is_phase_peak"`
}

// SampleInterval is how often a Meter reads the runtime's memory stats.
const SampleInterval = 20 * time.Millisecond

// Meter samples memory while a phase runs.
type Meter struct {
	stop  chan struct{}
	done  sync.WaitGroup
	mem   Memory
	reset bool
}

// StartMeter collects garbage and gives freed memory back to the OS, so
// that the previous phase does not count, resets the process's peak RSS
// where the OS allows it, and starts sampling.
func StartMeter() *Meter {
	runtime.GC()
	debug.FreeOSMemory()
	m := &Meter{stop: make(chan struct{}), reset: resetPeakRSS()}
	m.sample()
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		t := time.NewTicker(SampleInterval)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				m.sample()
			}
		}
	}()
	return m
}

func (m *Meter) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.mem.PeakHeapInuse = max(m.mem.PeakHeapInuse, ms.HeapInuse)
	m.mem.PeakSys = max(m.mem.PeakSys, ms.Sys)
}

// Stop ends the sampling and returns the peaks.
func (m *Meter) Stop() Memory {
	close(m.stop)
	m.done.Wait()
	m.sample()
	m.mem.MaxRSS = maxRSS()
	m.mem.PhaseRSS = m.reset && m.mem.MaxRSS > 0
	return m.mem
}
