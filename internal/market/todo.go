package market

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/store"
)

// Task is a step of the marketplace waiting on someone, with its timer:
// the reminders (即将到期, 已逾期) are its deadline status.
type Task struct {
	Link  string // the page to act on (/market/agencies/ID, /market/projects/ID)
	Title string // the agency's or project's name
	Who   string // operator, owner or agency
	Timer deadline.Timer
}

// Waiting are the running steps of every agency and project, with who
// acts on each and over which organisation or subject: the deadline
// engine's view of the marketplace (metrics, to-do lists).
type waiting struct {
	Task
	OrgID     int64 // the operator's organisation (Who operator)
	Project   store.MarketProject
	SubjectID int64 // the agency's subject (Who agency)
}

func (s *Service) waiting(ctx context.Context) ([]waiting, error) {
	var out []waiting
	as, err := s.Store.ListMarketAgencies(ctx, AgencyApplied, AgencyActive)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		var b Agency
		if err := json.Unmarshal(a.Body, &b); err != nil {
			return nil, err
		}
		link := "/market/agencies/" + itoa(a.ID)
		if a.State == AgencyApplied && b.CommitmentID != 0 && b.Timer.Step != "" && b.Timer.Done.IsZero() {
			out = append(out, waiting{Task: Task{Link: link, Title: b.Name, Who: "operator", Timer: b.Timer}, OrgID: b.OperatorID})
		}
		if a.State == AgencyActive && b.Change != nil && b.Change.Timer.Done.IsZero() {
			out = append(out, waiting{Task: Task{Link: link, Title: b.Name + "（变更）", Who: "operator", Timer: b.Change.Timer}, OrgID: b.OperatorID})
		}
	}
	ps, err := s.Store.ListMarketProjects(ctx, store.MarketProjectFilter{Limit: 100000,
		States: []string{ProjectReview, ProjectSelected, ProjectConfirmed, ProjectReported, ProjectDelivered}})
	if err != nil {
		return nil, err
	}
	for _, sp := range ps {
		var b Project
		if err := json.Unmarshal(sp.Body, &b); err != nil {
			return nil, err
		}
		t := Task{Link: "/market/projects/" + itoa(sp.ID), Title: Code(sp.ID) + " " + b.Info.Name}
		add := func(who string, timer deadline.Timer, subject int64) {
			if timer.Step == "" || !timer.Done.IsZero() {
				return
			}
			w := waiting{Task: t, OrgID: b.OperatorID, Project: sp, SubjectID: subject}
			w.Who, w.Timer = who, timer
			out = append(out, w)
		}
		switch sp.State {
		case ProjectReview:
			add("operator", b.Timer, 0)
		case ProjectSelected, ProjectDelivered:
			add("owner", b.Timer, 0)
		case ProjectConfirmed:
			if b.ContactedAt.IsZero() {
				add("agency", b.Timer, sp.WinnerSubjectID)
			}
			if b.Check != nil {
				add("owner", b.Check.Timer, 0)
			}
		case ProjectReported:
			if b.Check != nil {
				add("operator", b.Check.OpTimer, 0)
			}
		}
	}
	return out, nil
}

// Timers are the running steps of the whole marketplace (for the
// platform's case-step metrics).
func (s *Service) Timers(ctx context.Context) ([]deadline.Timer, error) {
	ws, err := s.waiting(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]deadline.Timer, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.Timer)
	}
	return out, nil
}

// Tasks are the steps waiting on p, soonest due first: the operator's
// checks and reviews, the owner's confirmation, check and rating, the
// selected agency's contact.
func (s *Service) Tasks(ctx context.Context, p auth.Principal) ([]Task, error) {
	ws, err := s.waiting(ctx)
	if err != nil {
		return nil, err
	}
	var out []Task
	for _, w := range ws {
		var mine bool
		switch w.Who {
		case "operator":
			mine = s.operates(ctx, p, w.OrgID)
		case "owner":
			mine = s.owns(ctx, p, w.Project)
		case "agency":
			mine = p.Kind == auth.UserKind && p.SubjectID != 0 && p.SubjectID == w.SubjectID
		}
		if mine {
			out = append(out, w.Task)
		}
	}
	slices.SortStableFunc(out, func(a, b Task) int { return a.Timer.Due.Compare(b.Timer.Due) })
	return out, nil
}

// Invitations are the published notices pushed to p's agency (第二十三条
// （二）: 将采购信息推送至符合条件的中介服务机构): open projects naming an
// item it offers, which it has not enrolled in, while it is active.
func (s *Service) Invitations(ctx context.Context, p auth.Principal) ([]ProjectView, error) {
	my, err := s.MyAgency(ctx, p)
	if err != nil || my.A.State != AgencyActive {
		return nil, nil
	}
	ps, err := s.Store.ListMarketProjects(ctx, store.MarketProjectFilter{States: []string{ProjectOpen}, Limit: 100000})
	if err != nil {
		return nil, err
	}
	var out []ProjectView
	for _, sp := range ps {
		sp, err := s.settle(ctx, sp.ID)
		if err != nil {
			return nil, err
		}
		if sp.State != ProjectOpen || sp.OwnerSubjectID == my.A.SubjectID {
			continue
		}
		v, err := s.projectView(ctx, p, sp)
		if err != nil {
			return nil, err
		}
		if slices.Contains(my.Body.Info.Items, v.Body.Info.ItemID) && (v.Mine == nil || !v.Mine.Accepted) {
			out = append(out, v)
		}
	}
	return out, nil
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
