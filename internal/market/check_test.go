package market_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/attach"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/market"
)

// TestOwnerCheck: 第二十六条. After the confirmation the owner checks the
// selected agency before signing (market.owner_check, 1 working day,
// overdue after it); a failed check goes to the operator
// (market.disqualify), the contract cannot be filed meanwhile; the
// operator rejects one report and cancels the selection on another; the
// owner then files the 补选 once, naming its reason, reviewed again.
func TestOwnerCheck(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			env := newEnv(t, b.open(t))
			svc := env.Svc
			env.Clock.Set(PastWorkingDays(25).Time().Add(9 * time.Hour))
			a, c := env.Firm(t, 1, "西安甲审图咨询有限公司"), env.Firm(t, 3, "西安丙审图咨询有限公司")
			env.Enter(t, a, repA)
			env.Enter(t, c, repC)
			direct := func(name string, pick auth.Principal) int64 {
				t.Helper()
				in := env.ProjectInputNamed(name)
				in.Method = "直接选取"
				v, err := svc.FileProject(ctx, env.Owner, in)
				if err != nil {
					t.Fatal(err)
				}
				v, _ = svc.ReviewProject(ctx, env.Operator, v.P.ID, true, nil)
				for _, p := range []auth.Principal{a, c} {
					if _, err := svc.Enrol(ctx, p, v.P.ID, market.EnrolInput{Declared: true}); err != nil {
						t.Fatal(err)
					}
				}
				env.After(market.EnrolDays + 1)
				if v, err = svc.Select(ctx, env.Owner, v.P.ID, mustAgency(t, svc, pick).Body.Code); err != nil || v.P.State != market.ProjectConfirmed {
					t.Fatalf("pick: %v", err)
				}
				if v.Body.Check == nil || v.Body.Check.Timer.Step != "market.owner_check" {
					t.Fatalf("no check step: %+v", v.Body.Check)
				}
				return v.P.ID
			}

			// The check not done within its working day is overdue; a passed
			// check is recorded late.
			id := direct("办公楼消防检测", a)
			steps := func(p auth.Principal) []string {
				t.Helper()
				ts, err := svc.Tasks(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, x := range ts {
					out = append(out, x.Timer.Step)
				}
				return out
			}
			// Reminders: the owner's check and the agency's contact wait.
			if got := steps(env.Owner); len(got) != 1 || got[0] != "market.owner_check" {
				t.Fatalf("the owner's tasks: %v", got)
			}
			if got := steps(a); len(got) != 1 || got[0] != "market.contact" {
				t.Fatalf("the agency's tasks: %v", got)
			}
			if got := steps(c); len(got) != 0 {
				t.Fatalf("another agency's tasks: %v", got)
			}
			env.After(2)
			v, _ := svc.Project(ctx, env.Owner, id)
			if st := svc.Status(v.Body.Check.Timer); st.State != deadline.Overdue {
				t.Fatalf("the check's state after 2 working days: %v", st.State)
			}
			if _, err := svc.CheckWinner(ctx, env.Operator, id, market.CheckInput{Passed: true}); !errors.Is(err, fault.Refused) {
				t.Fatalf("the operator checked for the owner: %v", err)
			}
			if v, err := svc.CheckWinner(ctx, env.Owner, id, market.CheckInput{Passed: true}); err != nil || !v.Body.Check.Passed || !strings.Contains(strings.Join(v.Body.Late, ","), "业主实质性核对中选机构") {
				t.Fatalf("passed check: %v %+v", err, v.Body.Late)
			}
			if _, err := svc.CheckWinner(ctx, env.Owner, id, market.CheckInput{Passed: true}); fault.KindOf(err) != fault.Conflict {
				t.Fatalf("checked twice: %v", err)
			}

			// A failed check: rejected by the operator, then (another project)
			// accepted: the selection is cancelled, 补选.
			id = direct("车库结构检测", a)
			if _, err := svc.CheckWinner(ctx, env.Owner, id, market.CheckInput{Rule: "回避"}); fault.KindOf(err) != fault.Invalid {
				t.Fatalf("a failed check without findings: %v", err)
			}
			v, err := svc.CheckWinner(ctx, env.Owner, id, market.CheckInput{Rule: "回避", Findings: "该机构实际控制人与项目负责人周工系兄弟关系"})
			if err != nil || v.P.State != market.ProjectReported || v.Body.Check.OpTimer.Step != "market.disqualify" {
				t.Fatalf("failed check: %v %v", v.P.State, err)
			}
			if got := steps(env.Operator); !slices.Contains(got, "market.disqualify") {
				t.Fatalf("the operator's tasks: %v", got)
			}
			today := calendar.FromTime(env.Clock.Now()).String()
			if _, err := svc.UploadContract(ctx, a, id, today, &attach.File{Name: "合同.pdf", Data: pdf}, false); fault.KindOf(err) != fault.Conflict {
				t.Fatalf("a contract filed while the selection is in question: %v", err)
			}
			if _, err := svc.Disqualify(ctx, env.Owner, id, true, ""); !errors.Is(err, fault.Refused) {
				t.Fatalf("the owner cancelled the selection itself: %v", err)
			}
			if _, err := svc.Disqualify(ctx, env.Operator, id, false, ""); fault.KindOf(err) != fault.Invalid {
				t.Fatalf("rejected without a reason: %v", err)
			}
			if v, err = svc.Disqualify(ctx, env.Operator, id, false, "经核实，二人无亲属关系"); err != nil || v.P.State != market.ProjectConfirmed {
				t.Fatalf("reject: %v %v", v.P.State, err)
			}

			id = direct("档案馆节能评估", a)
			if _, err = svc.CheckWinner(ctx, env.Owner, id, market.CheckInput{Rule: "条件", Findings: "施工图审查机构资质证书已过期"}); err != nil {
				t.Fatal(err)
			}
			if v, err = svc.Disqualify(ctx, env.Operator, id, true, "核实属实"); err != nil || v.P.State != market.ProjectDisqualified || v.P.WinnerSubjectID != 0 {
				t.Fatalf("cancel: %v %v", v.P.State, err)
			}
			if _, err := svc.Reselect(ctx, env.Operator, id); !errors.Is(err, fault.Refused) {
				t.Fatalf("the operator filed the 补选: %v", err)
			}
			n, err := svc.Reselect(ctx, env.Owner, id)
			if err != nil || n.P.State != market.ProjectReview || n.Body.ReselectOf != id || !strings.Contains(n.Body.Info.Rerun, "补选") ||
				!strings.Contains(n.Body.Info.Rerun, "资质证书已过期") {
				t.Fatalf("补选: %v %+v", err, n.Body.Info)
			}
			again, err := svc.Reselect(ctx, env.Owner, id)
			if err != nil || again.P.ID != n.P.ID {
				t.Fatalf("补选 again: %v %d %d", err, again.P.ID, n.P.ID)
			}
			if v, _ = svc.Project(ctx, env.Owner, id); v.Body.Reselect != n.P.ID {
				t.Fatalf("the old project does not name its 补选: %d", v.Body.Reselect)
			}
			if n, err = svc.ReviewProject(ctx, env.Operator, n.P.ID, true, nil); err != nil || n.P.State != market.ProjectOpen {
				t.Fatalf("publish the 补选: %v", err)
			}
		})
	}
}
