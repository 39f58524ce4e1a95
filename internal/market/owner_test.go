package market_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/attach"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/market"
)

// TestFirmOwner: a firm registers as a project owner (第二条、第二十二条)
// and files, cancels, confirms, picks and rates its projects as a
// government owner does, under the operator's same review; nobody else
// acts as its owner; it may not enrol in its own project (回避).
func TestFirmOwner(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			env := newEnv(t, b.open(t))
			svc := env.Svc
			env.Clock.Set(PastWorkingDays(20).Time().Add(9 * time.Hour))
			a, c, f := env.Firm(t, 1, "西安甲审图咨询有限公司"), env.Firm(t, 3, "西安丙审图咨询有限公司"), env.Firm(t, 4, "陕西丁置业有限公司")
			env.Enter(t, a, repA)
			env.Enter(t, c, repC)
			env.Enter(t, f, repD) // the owner firm is an agency too

			in := env.ProjectInput()
			in.Method = "竞价选取"
			if _, err := svc.FileProject(ctx, f, in); !errors.Is(err, fault.Refused) {
				t.Fatalf("an unregistered firm filed: %v", err)
			}
			if _, err := svc.RegisterOwner(ctx, f, market.OwnerInput{LegalRep: "丁董事长", Contact: "钱经理", Phone: "029-1234"}); fault.KindOf(err) != fault.Invalid {
				t.Fatalf("registered without the 第二十条 undertaking: %v", err)
			}
			if _, err := svc.RegisterOwner(ctx, f, market.OwnerInput{LegalRep: "丁董事长", Contact: "钱经理", Phone: "029-1234", Declared: true}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.RegisterOwner(ctx, f, market.OwnerInput{LegalRep: "丁董事长", Contact: "钱经理", Phone: "029-1234", Declared: true}); fault.KindOf(err) != fault.Exists {
				t.Fatalf("registered twice: %v", err)
			}
			if !svc.CanFile(ctx, f) || svc.CanFile(ctx, a) {
				t.Fatal("CanFile")
			}

			// Filed and cancelled while under review.
			v, err := svc.FileProject(ctx, f, env.ProjectInputNamed("售楼处装修设计审查"))
			if err != nil || v.P.OwnerSubjectID != f.SubjectID || v.P.OwnerOrgID != 0 || v.Body.Owner != "陕西丁置业有限公司" || !v.Owner {
				t.Fatalf("file: %+v %v", v.P, err)
			}
			if _, err := svc.CancelProject(ctx, env.Owner, v.P.ID, "不需要了"); !errors.Is(err, fault.Refused) {
				t.Fatalf("a government owner cancelled a firm's project: %v", err)
			}
			if v, err = svc.CancelProject(ctx, f, v.P.ID, "项目调整"); err != nil || v.P.State != market.ProjectCancelled {
				t.Fatalf("cancel: %v %v", v.P.State, err)
			}

			// 竞价选取 through the operator's review, confirmed and rated.
			v, err = svc.FileProject(ctx, f, in)
			if err != nil || v.Body.Timer.Step != "market.project_review" {
				t.Fatal(err)
			}
			if v, err = svc.ReviewProject(ctx, env.Operator, v.P.ID, true, nil); err != nil || v.P.State != market.ProjectOpen {
				t.Fatalf("publish: %v", err)
			}
			id := v.P.ID
			if _, err := svc.Enrol(ctx, f, id, market.EnrolInput{Declared: true, Bid: "8000"}); !errors.As(err, new(*market.Refusal)) {
				t.Fatalf("the owner firm enrolled in its own project: %v", err)
			}
			if _, err := svc.Enrol(ctx, a, id, market.EnrolInput{Declared: true, Bid: "9000"}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Enrol(ctx, c, id, market.EnrolInput{Declared: true, Bid: "10000"}); err != nil {
				t.Fatal(err)
			}
			env.After(market.EnrolDays + 1)
			if v, err = svc.Project(ctx, f, id); err != nil || v.P.State != market.ProjectSelected || v.P.WinnerSubjectID != a.SubjectID {
				t.Fatalf("selection: %v %v", v.P.State, err)
			}
			if _, err := svc.Confirm(ctx, env.Owner, id); !errors.Is(err, fault.Refused) {
				t.Fatalf("a government owner confirmed: %v", err)
			}
			if v, err = svc.Confirm(ctx, f, id); err != nil || v.P.State != market.ProjectConfirmed || v.Body.Auto {
				t.Fatalf("confirm: %v %v", v.P.State, err)
			}
			today := calendar.FromTime(env.Clock.Now()).String()
			if _, err := svc.UploadContract(ctx, a, id, today, &attach.File{Name: "合同.pdf", Data: pdf}, false); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Deliver(ctx, a, id, &attach.File{Name: "审查意见.pdf", Data: pdf}); err != nil {
				t.Fatal(err)
			}
			good := market.RatingInput{Quality: "非常满意", Timeliness: "满意", Attitude: "非常满意", Fee: "满意", Conduct: "非常满意"}
			if _, err := svc.Rate(ctx, env.Owner, id, good); !errors.Is(err, fault.Refused) {
				t.Fatalf("a government owner rated: %v", err)
			}
			if v, err = svc.Rate(ctx, f, id, good); err != nil || v.Body.Rating == nil || v.Body.Rating.RecordID == 0 {
				t.Fatalf("rate: %v", err)
			}
			rec, err := env.S.GetRecord(ctx, v.Body.Rating.RecordID)
			if err != nil || rec.SubjectID != a.SubjectID {
				t.Fatalf("rating record: %+v %v", rec, err)
			}

			// 直接选取: the firm picks.
			in = env.ProjectInputNamed("车库结构检测")
			in.Method = "直接选取"
			v, _ = svc.FileProject(ctx, f, in)
			v, _ = svc.ReviewProject(ctx, env.Operator, v.P.ID, true, nil)
			_, _ = svc.Enrol(ctx, a, v.P.ID, market.EnrolInput{Declared: true})
			_, _ = svc.Enrol(ctx, c, v.P.ID, market.EnrolInput{Declared: true})
			env.After(market.EnrolDays + 1)
			if v, err = svc.Select(ctx, f, v.P.ID, mustAgency(t, svc, c).Body.Code); err != nil || v.P.State != market.ProjectConfirmed || v.P.WinnerSubjectID != c.SubjectID {
				t.Fatalf("pick: %v %v", v.P.State, err)
			}
		})
	}
}
