package web

import (
	"context"
	"net/http"
	"time"

	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/objection"
	"github.com/xinyong/xinyong/internal/repair"
	"github.com/xinyong/xinyong/internal/store"
)

// The public column on objections and credit repair (信用修复与异议专栏):
// how each works, what to provide, the time limits in force and anonymised
// statistics, as the city monitoring indicators measure them.

// rightsScan bounds how many cases of each kind the statistics read.
const rightsScan = 100000

type rightsData struct {
	Objections   objection.Summary
	Repairs      repair.Summary
	ObjectionPct int // decided on time, percent
	RepairPct    int
	Steps        []deadline.Step
	Truncated    bool
	ObjectionsOn bool
	RepairsOn    bool
}

// rightsTTL is how long the column's statistics are kept: they read every
// case, and the page is public.
const rightsTTL = time.Minute

func (s *Server) rightsPage(w http.ResponseWriter, r *http.Request) {
	s.rightsMu.Lock()
	if s.rights == nil || time.Since(s.rightsAt) > rightsTTL {
		d, err := s.rightsStats(r.Context())
		if err != nil {
			s.rightsMu.Unlock()
			s.pageError(w, r, err)
			return
		}
		s.rights, s.rightsAt = &d, time.Now()
	}
	d := *s.rights
	s.rightsMu.Unlock()
	s.render(w, r, http.StatusOK, "rights", "信用修复与异议", d)
}

// rightsStats counts the cases for the column.
func (s *Server) rightsStats(ctx context.Context) (rightsData, error) {
	d := rightsData{ObjectionsOn: s.opts.Objections != nil, RepairsOn: s.opts.Repairs != nil}
	var clock deadline.Clock
	if s.opts.Objections != nil {
		clock = s.opts.Objections.Clock
		rows, err := s.opts.Store.ListObjections(ctx, store.CaseFilter{Limit: rightsScan})
		if err != nil {
			return d, err
		}
		cases := make([]objection.Case, 0, len(rows))
		for _, row := range rows {
			c, err := objection.Decode(row)
			if err != nil {
				return d, err
			}
			cases = append(cases, c)
		}
		d.Objections = objection.Summarize(clock, cases)
		d.Truncated = len(rows) == rightsScan
	}
	if s.opts.Repairs != nil {
		clock = s.opts.Repairs.Clock
		rows, err := s.opts.Store.ListRepairs(ctx, store.CaseFilter{Limit: rightsScan})
		if err != nil {
			return d, err
		}
		apps := make([]repair.Application, 0, len(rows))
		for _, row := range rows {
			a, err := repair.Decode(row)
			if err != nil {
				return d, err
			}
			apps = append(apps, a)
		}
		d.Repairs = repair.Summarize(clock, apps)
		d.Truncated = d.Truncated || len(rows) == rightsScan
	}
	if d.Objections.Decided > 0 {
		d.ObjectionPct = 100 * d.Objections.OnTime / d.Objections.Decided
	}
	if d.Repairs.Decided > 0 {
		d.RepairPct = 100 * d.Repairs.OnTime / d.Repairs.Decided
	}
	d.Steps = deadlineRules(clock).Steps()
	return d, nil
}
