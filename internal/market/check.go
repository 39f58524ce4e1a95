package market

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

// CheckInput is the owner's substantive check of the selected agency.
type CheckInput struct {
	Passed bool
	// Rule: 条件 (it does not meet every condition of the notice) or 回避
	// (a 第二十五条 case applies); Findings: what the owner found.
	Rule, Findings string
}

// CheckWinner records the owner's substantive check of the selected
// agency before the contract is signed (第二十六条), within 1 working day
// of the confirmation (market.owner_check). When the agency does not meet
// every condition of the notice or a 回避 case applies, the owner tells
// the operator, who cancels its selection (Disqualify); until then the
// contract cannot be filed.
func (s *Service) CheckWinner(ctx context.Context, p auth.Principal, id int64, in CheckInput) (ProjectView, error) {
	in.Rule, in.Findings = strings.TrimSpace(in.Rule), strings.TrimSpace(in.Findings)
	if !in.Passed {
		var e errs
		if in.Rule != "条件" && in.Rule != "回避" {
			e.add("核对结论", "应为“未满足公告全部报名条件”或“存在应当回避情形”")
		}
		e.text("核对发现的问题", in.Findings, true, 1000)
		if err := e.err(); err != nil {
			return ProjectView{}, err
		}
	}
	if _, err := s.settle(ctx, id); err != nil {
		return ProjectView{}, err
	}
	return s.updateProject(ctx, p, id, "check", func(sp *store.MarketProject, b *Project) error {
		if !s.owns(ctx, p, *sp) {
			return refuse("只有项目业主可以核对中选中介机构")
		}
		if sp.State != ProjectConfirmed || b.Check == nil || !b.Check.At.IsZero() {
			return fault.Newf(fault.Conflict, "该项目当前为“%s”，不能核对中选中介机构（签订合同之前核对一次）", ProjectStateLabel(sp.State))
		}
		now := s.now()
		c := b.Check
		s.done(&c.Timer, now, &b.Late)
		c.At, c.By, c.Passed = now, byName(p), in.Passed
		for _, e := range b.Enrolments {
			if e.Accepted && len(b.Winners) > 0 && e.Code == b.Winners[0] {
				c.Agency, c.Code = e.Name, e.Code
			}
		}
		if in.Passed {
			b.History = append(b.History, event(now, "实质性核对通过", byName(p), c.Agency+"满足公告全部报名条件，不存在应当回避情形（第二十六条）"))
			return nil
		}
		c.Rule, c.Findings = in.Rule, in.Findings
		c.OpTimer = s.start("market.disqualify", now)
		sp.State = ProjectReported
		b.History = append(b.History, event(now, "实质性核对未通过，告知运维机构取消中选资格", byName(p), checkText(*c)))
		return nil
	})
}

func checkText(c OwnerCheck) string {
	what := "未满足公告全部报名条件"
	if c.Rule == "回避" {
		what = "存在应当回避情形"
	}
	return c.Agency + what + "（第二十六条）：" + c.Findings
}

// Disqualify is the operator's decision on the owner's report: cancel the
// agency's selection (第二十六条), or reject the report with a reason (the
// project goes back to the contract). After a cancellation the owner may
// publish a new notice for a 补选 (Reselect).
func (s *Service) Disqualify(ctx context.Context, p auth.Principal, id int64, cancel bool, note string) (ProjectView, error) {
	note = strings.TrimSpace(note)
	return s.updateProject(ctx, p, id, "disqualify", func(sp *store.MarketProject, b *Project) error {
		if !s.operates(ctx, p, b.OperatorID) {
			return refuse("只有该中介超市的运维人员可以取消中选资格")
		}
		if sp.State != ProjectReported || b.Check == nil {
			return fault.Newf(fault.Conflict, "该项目当前为“%s”，没有待处理的取消中选资格申请", ProjectStateLabel(sp.State))
		}
		if !cancel && note == "" {
			return fault.New(fault.Invalid, "不予取消的理由：必填", fault.Field{Field: "不予取消的理由", Reason: "必填"})
		}
		now := s.now()
		c := b.Check
		s.done(&c.OpTimer, now, &b.Late)
		c.DecidedAt, c.Cancelled, c.Note = now, cancel, note
		if !cancel {
			sp.State = ProjectConfirmed
			b.History = append(b.History, event(now, "不予取消中选资格", byName(p), note))
			return nil
		}
		s.done(&b.Timer, now, nil) // the contact step ends with the selection
		sp.State, sp.WinnerSubjectID, b.Winners = ProjectDisqualified, 0, nil
		text := checkText(*c)
		if note != "" {
			text += "；" + note
		}
		b.History = append(b.History, event(now, "取消中选资格", byName(p), text))
		return nil
	})
}

// Reselect files the 补选 of a project whose selection was cancelled: a
// new notice with the same information and the 补选 reason named
// (第二十三条（四）: 因特殊情况需要补选中介机构的，需重新发布采购公告并在采购
// 信息中注明补选原因), under the operator's review again; enrolment runs
// the shortest time (3 working days) from today. Once per project: a
// retry finds the 补选 already filed.
func (s *Service) Reselect(ctx context.Context, p auth.Principal, id int64) (ProjectView, error) {
	sp, err := s.Store.GetMarketProject(ctx, id)
	if err != nil {
		return ProjectView{}, err
	}
	if !s.owns(ctx, p, sp) {
		return ProjectView{}, refuse("只有项目业主可以补选中介机构")
	}
	var old Project
	if err := json.Unmarshal(sp.Body, &old); err != nil {
		return ProjectView{}, err
	}
	if sp.State != ProjectDisqualified || old.Check == nil {
		return ProjectView{}, fault.Newf(fault.Conflict, "该项目当前为“%s”，不需要补选", ProjectStateLabel(sp.State))
	}
	filter := store.MarketProjectFilter{OwnerOrgID: sp.OwnerOrgID, OwnerSubjectID: sp.OwnerSubjectID, Limit: 100000}
	mine, err := s.Store.ListMarketProjects(ctx, filter)
	if err != nil {
		return ProjectView{}, err
	}
	var nsp store.MarketProject
	for _, q := range mine {
		var qb Project
		if json.Unmarshal(q.Body, &qb) == nil && qb.ReselectOf == id {
			nsp = q // filed before a stop: taken up
		}
	}
	now := s.now()
	if nsp.ID == 0 {
		b := Project{Owner: old.Owner, OwnerUSCC: old.OwnerUSCC, OperatorID: old.OperatorID, OperatorName: old.OperatorName, Info: old.Info,
			ReselectOf: id, Enrolments: []Enrolment{}}
		earliest := s.cal().AddWorkingDays(s.today(), EnrolDays)
		b.Info.EnrolUntil = earliest.String()
		if b.Info.Method.Bids() {
			if bid, err := calendar.ParseDate(old.Info.BidUntil); err == nil && bid.After(earliest) {
				b.Info.BidUntil = bid.String()
			} else {
				b.Info.BidUntil = earliest.String()
			}
		}
		b.Info.Rerun = "补选：原项目" + Code(id) + "的中选中介机构被取消中选资格（第二十六条）——" + checkText(*old.Check)
		if r := []rune(b.Info.Rerun); len(r) > 500 {
			b.Info.Rerun = string(r[:500])
		}
		b.Exclusive = Exclusive(b.Info)
		b.Timer = s.start("market.project_review", now)
		b.History = []Event{event(now, "提交采购信息（补选）", byName(p), b.Info.Rerun)}
		body, err := json.Marshal(b)
		if err != nil {
			return ProjectView{}, err
		}
		nsp = store.MarketProject{OwnerOrgID: sp.OwnerOrgID, OwnerSubjectID: sp.OwnerSubjectID, State: ProjectReview, Body: body}
		if nsp, err = s.Store.AddMarketProject(ctx, nsp, s.audit(p, "reselect", sp.OwnerSubjectID)); err != nil {
			return ProjectView{}, err
		}
	}
	if _, err := s.updateProject(ctx, p, id, "reselect", func(sp *store.MarketProject, b *Project) error {
		if b.Reselect == 0 {
			b.Reselect = nsp.ID
			b.History = append(b.History, event(now, "补选", byName(p), "重新发布采购公告："+Code(nsp.ID)))
		}
		return nil
	}); err != nil {
		return ProjectView{}, err
	}
	return s.projectView(ctx, p, nsp)
}
