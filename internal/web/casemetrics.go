package web

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/objection"
	"github.com/xinyong/xinyong/internal/repair"
	"github.com/xinyong/xinyong/internal/store"
)

// caseSteps exports, for alerting, how many workflow steps wait on
// someone, by workflow step and deadline state:
// xinyong_case_steps{step="objection.decide",state="overdue"} 3. Every
// step of the deadline rules is exported in every open state (open,
// due_soon, overdue), 0 when none, so that an alert on "overdue > 0" has a
// series to watch. The counts are computed at most every 30 seconds from
// the cases that have a due day.
type caseSteps struct {
	s    *Server
	desc *prometheus.Desc

	mu     sync.Mutex
	at     time.Time
	counts map[[2]string]int
	err    error
}

// caseStepsEvery is how long the counts are reused.
const caseStepsEvery = 30 * time.Second

func newCaseSteps(s *Server) *caseSteps {
	return &caseSteps{s: s, desc: prometheus.NewDesc("xinyong_case_steps",
		"Workflow steps (objections, credit repair, the intermediary-service marketplace) waiting on someone, by step and deadline state (open, due_soon, overdue).",
		[]string{"step", "state"}, nil)}
}

func (c *caseSteps) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *caseSteps) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); now.Sub(c.at) >= caseStepsEvery || c.counts == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		counts, err := c.count(ctx, now)
		cancel()
		if err != nil {
			c.s.opts.Log.Error("case step metrics", "err", err)
			ch <- prometheus.NewInvalidMetric(c.desc, err)
			return
		}
		c.at, c.counts = now, counts
	}
	for k, n := range c.counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
}

// count counts the waiting steps of every case with a due day at now.
func (c *caseSteps) count(ctx context.Context, now time.Time) (map[[2]string]int, error) {
	counts := map[[2]string]int{}
	add := func(clock deadline.Clock, t deadline.Timer) {
		counts[[2]string{t.Step, string(clock.Status(t, now).State)}]++
	}
	var rules []*deadline.Rules
	f := store.CaseFilter{Waiting: true, Limit: 1000000}
	if o := c.s.opts.Objections; o != nil {
		rules = append(rules, deadlineRules(o.Clock))
		rows, err := c.s.opts.Store.ListObjections(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			cs, err := objection.Decode(row)
			if err != nil {
				return nil, err
			}
			if t, ok := cs.Open(); ok {
				add(o.Clock, t)
			}
		}
	}
	if rp := c.s.opts.Repairs; rp != nil {
		rules = append(rules, deadlineRules(rp.Clock))
		rows, err := c.s.opts.Store.ListRepairs(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			app, err := repair.Decode(row)
			if err != nil {
				return nil, err
			}
			if t, ok := app.OpenTimer(); ok {
				add(rp.Clock, t)
			}
		}
	}
	if m := c.s.opts.Market; m != nil {
		rules = append(rules, deadlineRules(m.Clock))
		ts, err := m.Timers(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			add(m.Clock, t)
		}
	}
	for _, r := range rules {
		for _, st := range r.Steps() {
			for _, state := range []deadline.State{deadline.Open, deadline.DueSoon, deadline.Overdue} {
				k := [2]string{st.Key, string(state)}
				counts[k] += 0
			}
		}
	}
	return counts, nil
}
