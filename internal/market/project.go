package market

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/attach"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/commitment"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/store"
)

// EnrolDays is the shortest enrolment: from the notice to the deadline at
// least 3 working days (第二十三条（二）).
const EnrolDays = 3

// ParseYuan reads an amount in yuan with at most two decimals into fen.
func ParseYuan(s string) (int64, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "元"))
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" || len(whole) > 12 {
		return 0, false
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
	return w*100 + f, true
}

// Yuan shows fen as yuan.
func Yuan(fen int64) string { return yuan(fen) }

// The 第二十四条 flags: conditions that may exclude agencies, told to the
// owner to correct. Each is a pattern over the conditions and its article.
var exclusive = []struct {
	re  *regexp.Regexp
	why string
}{
	{regexp.MustCompile(`(本省|本市|本县|本区|省内|市内|县内|区内|本地|当地|陕西省内|西安市内).{0,12}(业绩|奖项|获奖|项目经验)|(业绩|奖项|获奖).{0,12}(本省|本市|本地|省内|市内|当地)`),
		"第二十四条（三）：以特定行政区域的业绩、奖项作为选取条件"},
	{regexp.MustCompile(`(注册资本|注册资金|营业收入|营业额|成立年限|成立满|资产总额|纳税额)`),
		"第二十四条（一）（四）：以注册资本、营业收入、成立年限等规模条件限制中介机构，可能与项目实际需要不相适应"},
	{regexp.MustCompile(`(指定|唯一|仅限|只限|特定品牌|原厂)`),
		"第二十四条（二）：要求可能指向特定中介机构"},
	{regexp.MustCompile(`(本地注册|在本市注册|在本省注册|设立分支机构|本地分公司|驻场常设机构)`),
		"第二十四条（四）：以注册地、分支机构等不合理条件限制或者排斥其他中介机构"},
}

// Exclusive returns the 第二十四条 flags of a project's conditions.
func Exclusive(in ProjectInfo) []string {
	text := in.Conditions + "\n" + in.QualClass + "\n" + in.QualLevel + "\n" + in.Special
	var out []string
	for _, x := range exclusive {
		if m := x.re.FindString(text); m != "" {
			out = append(out, x.why+"（“"+m+"”）")
		}
	}
	return out
}

// ProjectInput is a project as its owner files it.
type ProjectInput struct {
	OperatorID                                             int64
	Name, Content, Duration, Budget, Method, Count         string
	ItemID                                                 int64
	EnrolUntil, BidUntil                                   string
	QualClass, QualLevel, CreditGrade, Conditions, Special string
	Avoidance, OwnerRep, OwnerLead, Rerun                  string
	Fiscal                                                 bool
}

// projectInfo checks a project's information; today is when it is filed.
func (s *Service) projectInfo(ctx context.Context, in ProjectInput) (ProjectInfo, error) {
	var e errs
	inf := ProjectInfo{Name: e.text("项目名称", in.Name, true, 200), Content: e.text("服务内容", in.Content, true, 2000),
		Duration: e.text("服务时限", in.Duration, true, 100), QualClass: e.text("资质类别", in.QualClass, false, 100),
		QualLevel: e.text("资质等级", in.QualLevel, false, 50), Conditions: e.text("其他报名条件", in.Conditions, false, 2000),
		Special: e.text("特殊情形说明", in.Special, false, 2000), Avoidance: e.text("回避情形", in.Avoidance, false, 1000),
		OwnerRep: e.text("业主单位法定代表人", in.OwnerRep, true, 50), OwnerLead: e.text("项目负责人", in.OwnerLead, true, 50),
		Rerun: e.text("补选原因", in.Rerun, false, 500), Fiscal: in.Fiscal, CreditGrade: strings.TrimSpace(in.CreditGrade)}
	it, err := s.Store.GetMarketItem(ctx, in.ItemID)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && !it.Active:
		e.add("中介服务事项", "请选择中介服务事项清单中的事项")
	case err != nil:
		return inf, err
	default:
		inf.ItemID, inf.ItemName, inf.Industry = it.ID, it.Name, it.Industry
	}
	if b, ok := ParseYuan(in.Budget); !ok || b <= 0 {
		e.add("服务费用预算", "应为金额（元，最多两位小数）：%s", in.Budget)
	} else {
		inf.Budget = b
	}
	m, ok := ParseMethod(in.Method)
	if !ok || m == Negotiated {
		e.add("选取方式", "应为直接选取、择优选取、竞价选取、均价比选、随机选取之一")
	}
	inf.Method = m
	if m == Random {
		n, err := strconv.Atoi(strings.TrimSpace(in.Count))
		if err != nil || n < 1 || n > 20 {
			e.add("选取数量", "随机选取应填写1至20家")
		}
		inf.Count = n
	}
	if inf.CreditGrade != "" && GradePoints[inf.CreditGrade] == 0 || inf.CreditGrade == "" && in.CreditGrade != "" {
		e.add("信用状况要求", "应为A、B、C、D之一或不限")
	}
	today := s.today()
	earliest := s.cal().AddWorkingDays(today, EnrolDays)
	enrol, err := calendar.ParseDate(strings.TrimSpace(in.EnrolUntil))
	switch {
	case err != nil:
		e.add("报名截止日期", "应为日期（如2026-01-05）")
	case enrol.Before(earliest):
		e.add("报名截止日期", "自公告发布至报名截止不得少于%d个工作日，最早为%s", EnrolDays, earliest)
	default:
		inf.EnrolUntil = enrol.String()
	}
	if m.Bids() {
		bid, err := calendar.ParseDate(strings.TrimSpace(in.BidUntil))
		switch {
		case strings.TrimSpace(in.BidUntil) == "":
			inf.BidUntil = inf.EnrolUntil
		case err != nil:
			e.add("竞价截止日期", "应为日期（如2026-01-05）")
		case inf.EnrolUntil != "" && bid.Before(enrol):
			e.add("竞价截止日期", "不得早于报名截止日期")
		default:
			inf.BidUntil = bid.String()
		}
	}
	return inf, e.err()
}

// owns reports whether p is the owner of project sp: the firm's own
// account for a firm's project, staff with market.buy over the owner
// organisation for a government one.
func (s *Service) owns(ctx context.Context, p auth.Principal, sp store.MarketProject) bool {
	if sp.OwnerSubjectID != 0 {
		return p.Kind == auth.UserKind && p.SubjectID == sp.OwnerSubjectID
	}
	if !p.Staff() {
		return false
	}
	o, err := s.org(ctx, sp.OwnerOrgID)
	if err != nil || o.ID == 0 {
		return false
	}
	return s.Auth.Can(p, auth.MarketBuy, auth.Resource{OrgPath: o.Path})
}

// ProjectView is a project as a principal sees it.
type ProjectView struct {
	P    store.MarketProject
	Body Project
	Code string
	// Owner: the viewer files it; Operator: runs its marketplace; Agency:
	// the viewer's agency file (nil: not an agency); Enrolled: its
	// enrolment.
	Owner, Operator bool
	Agency          *AgencyView
	Mine            *Enrolment
	Winner          *Enrolment
	// Public: the notice is published (anyone sees it).
	Public bool
}

// Step is the running step's name, its due day and status.
func (v ProjectView) Step() string {
	if v.Body.Timer.Step == "" || !v.Body.Timer.Done.IsZero() {
		return ""
	}
	return StepName(v.Body.Timer.Step)
}

// Method is the project's method.
func (v ProjectView) Method() Method { return v.Body.Info.Method }

// LastDraw is the draw in force (nil: none).
func (v ProjectView) LastDraw() *Draw {
	for i := len(v.Body.Draws) - 1; i >= 0; i-- {
		if v.Body.Draws[i].Void == "" {
			return &v.Body.Draws[i]
		}
	}
	return nil
}

func (s *Service) projectView(ctx context.Context, p auth.Principal, sp store.MarketProject) (ProjectView, error) {
	v := ProjectView{P: sp, Code: Code(sp.ID)}
	if err := json.Unmarshal(sp.Body, &v.Body); err != nil {
		return v, err
	}
	v.Owner = s.owns(ctx, p, sp)
	v.Operator = s.operates(ctx, p, v.Body.OperatorID)
	v.Public = !v.Body.PublishedAt.IsZero()
	if p.Kind == auth.UserKind && p.SubjectID != 0 {
		if a, err := s.Store.MarketAgencyOf(ctx, p.SubjectID); err == nil {
			av := AgencyView{A: a, Own: true}
			if err := json.Unmarshal(a.Body, &av.Body); err != nil {
				return v, err
			}
			v.Agency = &av
		} else if !errors.Is(err, store.ErrNotFound) {
			return v, err
		}
	}
	for i, e := range v.Body.Enrolments {
		if v.Agency != nil && e.AgencyID == v.Agency.A.ID && (v.Mine == nil || e.Accepted) {
			v.Mine = &v.Body.Enrolments[i]
		}
		if e.Accepted && len(v.Body.Winners) > 0 && e.Code == v.Body.Winners[0] {
			v.Winner = &v.Body.Enrolments[i]
		}
	}
	if !v.Owner && !v.Operator && !v.Public {
		return v, fault.New(fault.NotFound, "未找到该项目")
	}
	sealed := (sp.State == ProjectOpen || sp.State == ProjectCancelled) && len(v.Body.Draws) == 0
	if !v.Owner && !v.Operator || sealed {
		// The seed stays secret until the draw; bids until bidding closes;
		// other agencies' enrolments are not the public's business before
		// the selection.
		v.Body.Seed = ""
	}
	if sealed {
		for i := range v.Body.Enrolments {
			if v.Mine == nil || v.Body.Enrolments[i].AgencyID != v.Mine.AgencyID {
				v.Body.Enrolments[i].Bid = 0
			}
		}
		if !v.Owner && !v.Operator {
			var mine []Enrolment
			for _, e := range v.Body.Enrolments {
				if v.Mine != nil && e.AgencyID == v.Mine.AgencyID {
					mine = append(mine, e)
				}
			}
			v.Body.Enrolments = mine
		}
	}
	if v.Owner || v.Operator {
		return v, nil
	}
	for i := range v.Body.Enrolments {
		v.Body.Enrolments[i].LegalRepHash, v.Body.Enrolments[i].ControllerHash = "", ""
	}
	return v, nil
}

// Project returns a project, its automatic steps applied first.
func (s *Service) Project(ctx context.Context, p auth.Principal, id int64) (ProjectView, error) {
	sp, err := s.settle(ctx, id)
	if err != nil {
		return ProjectView{}, err
	}
	return s.projectView(ctx, p, sp)
}

// ProjectList selects projects for Projects.
type ProjectList struct {
	Mine   bool // p's own projects (owner) or those it enrolled in (agency)
	Review bool // the operator's queue
}

// Projects lists the projects p may see: published notices, and p's own.
func (s *Service) Projects(ctx context.Context, p auth.Principal) ([]ProjectView, error) {
	all, err := s.Store.ListMarketProjects(ctx, store.MarketProjectFilter{})
	if err != nil {
		return nil, err
	}
	var out []ProjectView
	for _, sp := range all {
		v, err := s.projectView(ctx, p, sp)
		if fault.KindOf(err) == fault.NotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// updateProject loads a project, lets fn change it and stores it,
// retrying on a concurrent update.
func (s *Service) updateProject(ctx context.Context, p auth.Principal, id int64, outcome string, fn func(sp *store.MarketProject, b *Project) error) (ProjectView, error) {
	sp, err := retry(func() (store.MarketProject, error) {
		sp, err := s.Store.GetMarketProject(ctx, id)
		if err != nil {
			return sp, err
		}
		var b Project
		if err := json.Unmarshal(sp.Body, &b); err != nil {
			return sp, err
		}
		if err := fn(&sp, &b); err != nil {
			return sp, err
		}
		if sp.Body, err = json.Marshal(b); err != nil {
			return sp, err
		}
		return s.Store.UpdateMarketProject(ctx, sp, s.audit(p, outcome, sp.WinnerSubjectID))
	})
	if err != nil {
		return ProjectView{}, err
	}
	return s.projectView(ctx, p, sp)
}

// FileProject files a project for p's organisation (第二十三条（一）); the
// operator's review of 2 working days starts. Conditions that may exclude
// agencies (第二十四条) are flagged.
func (s *Service) FileProject(ctx context.Context, p auth.Principal, in ProjectInput) (ProjectView, error) {
	// The owner: a government owner's staff (market.buy), or a firm
	// registered as an owner (its own account).
	owner := store.MarketProject{OwnerOrgID: p.Org.ID}
	ownerName, ownerUSCC := p.Org.Name, p.Org.USCC
	filter := store.MarketProjectFilter{OwnerOrgID: p.Org.ID, States: []string{ProjectFailed}}
	switch {
	case p.Staff() && s.Auth.Can(p, auth.MarketBuy, auth.Resource{OrgPath: p.Org.Path}):
	case p.Kind == auth.UserKind && p.SubjectID != 0:
		o, err := s.MyOwner(ctx, p)
		if fault.KindOf(err) == fault.NotFound {
			return ProjectView{}, refuse("本单位尚未登记为项目业主：请先在“登记为项目业主”中登记（第二十条）")
		}
		if err != nil {
			return ProjectView{}, err
		}
		owner = store.MarketProject{OwnerSubjectID: p.SubjectID}
		ownerName, ownerUSCC = o.Name, o.Code
		filter = store.MarketProjectFilter{OwnerSubjectID: p.SubjectID, States: []string{ProjectFailed}}
	default:
		return ProjectView{}, refuse("只有项目业主（有选取中介机构权限的人员，或已登记为项目业主的单位）可以提交采购项目")
	}
	op, err := s.operatorOrg(ctx, in.OperatorID)
	if err != nil {
		return ProjectView{}, err
	}
	inf, err := s.projectInfo(ctx, in)
	if err != nil {
		return ProjectView{}, err
	}
	now := s.now()
	b := Project{Owner: ownerName, OwnerUSCC: ownerUSCC, OperatorID: op.ID, OperatorName: op.Name, Info: inf, Exclusive: Exclusive(inf),
		Timer: s.start("market.project_review", now), Enrolments: []Enrolment{}, History: []Event{event(now, "提交采购信息", byName(p), "")}}
	// Notices without bidders so far: the owner's previous projects of
	// the same name that failed (第二十三条（四）).
	prev, err := s.Store.ListMarketProjects(ctx, filter)
	if err != nil {
		return ProjectView{}, err
	}
	for _, sp := range prev {
		var old Project
		if json.Unmarshal(sp.Body, &old) == nil && old.Info.Name == inf.Name {
			b.Notices = max(b.Notices, old.Notices)
		}
	}
	body, err := json.Marshal(b)
	if err != nil {
		return ProjectView{}, err
	}
	owner.State, owner.Body = ProjectReview, body
	sp, err := s.Store.AddMarketProject(ctx, owner, s.audit(p, "file", owner.OwnerSubjectID))
	if err != nil {
		return ProjectView{}, err
	}
	return s.projectView(ctx, p, sp)
}

// ReviewProject is the operator's form review (第二十三条（二）): publish
// (the notice goes out, eligible agencies are told, the seed's hash is
// published), or ask for corrections all at once.
func (s *Service) ReviewProject(ctx context.Context, p auth.Principal, id int64, publish bool, missing []string) (ProjectView, error) {
	return s.updateProject(ctx, p, id, "review", func(sp *store.MarketProject, b *Project) error {
		if !s.operates(ctx, p, b.OperatorID) {
			return refuse("只有该中介超市的运维人员可以审查采购信息")
		}
		if sp.State != ProjectReview {
			return fault.Newf(fault.Conflict, "该项目当前为“%s”，不能审查", ProjectStateLabel(sp.State))
		}
		now := s.now()
		if !publish {
			var items []string
			for _, m := range missing {
				if m = strings.TrimSpace(m); m != "" {
					items = append(items, m)
				}
			}
			if len(items) == 0 {
				return fault.New(fault.Invalid, "需补正的内容：请一次性列出", fault.Field{Field: "需补正的内容", Reason: "必填"})
			}
			s.done(&b.Timer, now, nil)
			sp.State, b.Missing = ProjectIncomplete, items
			b.History = append(b.History, event(now, "一次性告知补正", byName(p), strings.Join(items, "；")))
			return nil
		}
		enrol, _ := calendar.ParseDate(b.Info.EnrolUntil)
		if earliest := s.cal().AddWorkingDays(s.today(), EnrolDays); enrol.Before(earliest) {
			return fault.Newf(fault.Invalid, "报名截止日期%s距今不足%d个工作日（最早%s），请告知业主补正后再发布", enrol, EnrolDays, earliest)
		}
		seed, hash, err := s.seed()
		if err != nil {
			return err
		}
		s.done(&b.Timer, now, nil)
		sp.State, b.Missing, b.PublishedAt, b.Seed, b.SeedHash = ProjectOpen, nil, now, seed, hash
		eligible, err := s.eligibleCount(ctx, *b)
		if err != nil {
			return err
		}
		b.History = append(b.History, event(now, "发布采购公告", byName(p),
			fmt.Sprintf("已推送至%d家符合条件的中介机构；选取种子的SHA-256：%s", eligible, hash)))
		return nil
	})
}

// eligibleCount counts the active agencies offering the project's item
// (the notice is pushed to them: they see it in their marketplace page).
func (s *Service) eligibleCount(ctx context.Context, b Project) (int, error) {
	as, err := s.Store.ListMarketAgencies(ctx, AgencyActive)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range as {
		var ab Agency
		if err := json.Unmarshal(a.Body, &ab); err != nil {
			return 0, err
		}
		if slices.Contains(ab.Info.Items, b.Info.ItemID) {
			n++
		}
	}
	return n, nil
}

// CorrectProject is the owner's corrected information; the review's clock
// restarts.
func (s *Service) CorrectProject(ctx context.Context, p auth.Principal, id int64, in ProjectInput) (ProjectView, error) {
	inf, err := s.projectInfo(ctx, in)
	if err != nil {
		return ProjectView{}, err
	}
	return s.updateProject(ctx, p, id, "correct", func(sp *store.MarketProject, b *Project) error {
		if !s.owns(ctx, p, *sp) {
			return refuse("只有项目业主可以补正采购信息")
		}
		if sp.State != ProjectIncomplete {
			return fault.Newf(fault.Conflict, "该项目当前为“%s”，无需补正", ProjectStateLabel(sp.State))
		}
		now := s.now()
		sp.State, b.Info, b.Missing, b.Exclusive = ProjectReview, inf, nil, Exclusive(inf)
		b.Timer = s.start("market.project_review", now)
		b.History = append(b.History, event(now, "补正采购信息，重新计算审查时间", byName(p), ""))
		return nil
	})
}

// CancelProject cancels a published notice with a reason, until 1 working
// day before the enrolment deadline (第二十三条（二）).
func (s *Service) CancelProject(ctx context.Context, p auth.Principal, id int64, reason string) (ProjectView, error) {
	return s.updateProject(ctx, p, id, "cancel", func(sp *store.MarketProject, b *Project) error {
		if !s.owns(ctx, p, *sp) {
			return refuse("只有项目业主可以取消采购公告")
		}
		if reason = strings.TrimSpace(reason); reason == "" {
			return fault.New(fault.Invalid, "取消原因：必填", fault.Field{Field: "取消原因", Reason: "必填"})
		}
		switch sp.State {
		case ProjectReview, ProjectIncomplete:
		case ProjectOpen:
			enrol, _ := calendar.ParseDate(b.Info.EnrolUntil)
			if s.cal().WorkingDaysBetween(s.today(), enrol) < 1 {
				return fault.Newf(fault.Conflict, "报名截止（%s）前1个工作日起不能再取消采购公告", enrol)
			}
		default:
			return fault.Newf(fault.Conflict, "该项目当前为“%s”，不能取消", ProjectStateLabel(sp.State))
		}
		now := s.now()
		s.done(&b.Timer, now, nil)
		sp.State, b.Cancel = ProjectCancelled, reason
		b.History = append(b.History, event(now, "取消采购公告", byName(p), reason))
		return nil
	})
}

// EnrolInput is an agency's enrolment.
type EnrolInput struct {
	Bid string // yuan, for the bid methods
	// Kinship: its legal representative or controller is kin of the
	// owner's legal representative or the project's lead (第二十五条（二）).
	Kinship bool
	// Declared: it meets every condition and no 回避 case applies.
	Declared bool
}

// Refusal is an enrolment refused (回避, conditions, interception): the
// attempt is kept on the project with its reason.
type Refusal struct {
	Rule   string
	Reason string
}

func (e *Refusal) Error() string { return e.Reason }

// Enrol enrols p's agency in a published project (第二十三条（三）): only
// an active agency that meets every condition, with no 回避 case and no
// dishonesty. A refused attempt is kept with its reason.
func (s *Service) Enrol(ctx context.Context, p auth.Principal, id int64, in EnrolInput) (ProjectView, error) {
	my, err := s.MyAgency(ctx, p)
	if err != nil {
		return ProjectView{}, refuse("只有已入驻中介超市的中介机构可以报名")
	}
	hits, err := s.Intercept(ctx, my.A.SubjectID)
	if err != nil {
		return ProjectView{}, err
	}
	grade, _, err := s.grade(ctx, my.Subject)
	if err != nil {
		return ProjectView{}, err
	}
	if _, err := s.settle(ctx, id); err != nil {
		return ProjectView{}, err
	}
	var refusal *Refusal
	v, err := s.updateProject(ctx, p, id, "enrol", func(sp *store.MarketProject, b *Project) error {
		refusal = nil
		if sp.State != ProjectOpen {
			return fault.Newf(fault.Conflict, "该项目当前为“%s”，不接受报名", ProjectStateLabel(sp.State))
		}
		for _, e := range b.Enrolments {
			if e.AgencyID == my.A.ID && e.Accepted {
				return fault.New(fault.Exists, "本机构已报名该项目")
			}
		}
		now := s.now()
		e := Enrolment{AgencyID: my.A.ID, SubjectID: my.A.SubjectID, Code: my.Body.Code, Name: my.Body.Name, At: now, Kinship: in.Kinship,
			LegalRepHash: my.Body.Info.LegalRepHash, ControllerHash: my.Body.Info.ControllerHash}
		refuseWith := func(rule, reason string) {
			e.Rule, e.Reason = rule, reason
			refusal = &Refusal{Rule: rule, Reason: reason}
		}
		switch {
		case my.A.State != AgencyActive:
			refuseWith("条件", "本机构未入驻或已被清退（当前为“"+AgencyStateLabel(my.A.State)+"”）")
		case len(hits) > 0:
			e.Hits = hits
			refuseWith("拦截", "存在失信行为，已被自动拦截（第三十条）："+hitsText(hits))
		case sp.OwnerSubjectID != 0 && sp.OwnerSubjectID == my.A.SubjectID:
			refuseWith("回避", "第二十五条（三）：本机构是该项目的项目业主，应当回避")
		case !in.Declared:
			refuseWith("条件", "须确认满足采购公告的全部报名条件且不存在回避情形（第二十三条（三））")
		case in.Kinship:
			refuseWith("回避", fmt.Sprintf("第二十五条（二）：本机构声明其法定代表人或实际控制人与项目业主单位法定代表人（%s）或项目负责人（%s）有亲属关系，应当回避", b.Info.OwnerRep, b.Info.OwnerLead))
		}
		if refusal == nil {
			for _, o := range b.Enrolments {
				if !o.Accepted || o.AgencyID == my.A.ID {
					continue
				}
				same := o.LegalRepHash != "" && (o.LegalRepHash == e.LegalRepHash || o.LegalRepHash == e.ControllerHash) ||
					o.ControllerHash != "" && (o.ControllerHash == e.LegalRepHash || o.ControllerHash == e.ControllerHash)
				if same {
					refuseWith("回避", "第二十五条（一）：与已报名的"+o.Name+"的法定代表人或实际控制人为同一人，应当回避")
					break
				}
			}
		}
		if refusal == nil {
			if r := conditionsUnmet(*b, my.Body, grade); r != "" {
				refuseWith("条件", r)
			}
		}
		if refusal == nil && b.Info.Method.Bids() && strings.TrimSpace(in.Bid) != "" {
			bid, ok := ParseYuan(in.Bid)
			switch {
			case !ok || bid <= 0:
				return fault.Newf(fault.Invalid, "报价：应为金额（元，最多两位小数）：%s", in.Bid)
			case bid > b.Info.Budget:
				return fault.Newf(fault.Invalid, "报价：不得高于服务费用预算%s", yuan(b.Info.Budget))
			}
			e.Bid, e.BidAt = bid, now
		}
		e.Accepted = refusal == nil
		b.Enrolments = append(b.Enrolments, e)
		if refusal != nil {
			b.History = append(b.History, event(now, "报名被拒绝", System, e.Name+"："+refusal.Reason))
		} else {
			b.History = append(b.History, event(now, "报名", byName(p), e.Name))
		}
		return nil
	})
	if err != nil {
		return v, err
	}
	if refusal != nil {
		return v, &fault.Error{Kind: fault.Refused, Msg: refusal.Reason, Err: refusal}
	}
	return v, nil
}

// conditionsUnmet says which of the notice's conditions the agency does
// not meet ("" when it meets them all).
func conditionsUnmet(b Project, a Agency, grade string) string {
	if !slices.Contains(a.Info.Items, b.Info.ItemID) {
		return "本机构的服务事项不包括" + b.Info.ItemName
	}
	if b.Info.QualClass != "" {
		ok := false
		for _, q := range a.Info.Qualifications {
			if q.Class == b.Info.QualClass && (b.Info.QualLevel == "" || q.Level == b.Info.QualLevel) {
				ok = true
			}
		}
		if !ok {
			return "不具备公告要求的资质：" + strings.TrimSpace(b.Info.QualClass+" "+b.Info.QualLevel)
		}
	}
	if b.Info.CreditGrade != "" && (grade == "" || GradePoints[grade] < GradePoints[b.Info.CreditGrade]) {
		return fmt.Sprintf("信用状况不满足要求：公告要求公共信用综合评价%s级及以上，本机构为%s", b.Info.CreditGrade, gradeOr(grade))
	}
	return ""
}

// Bid enters or changes p's bid until bidding closes.
func (s *Service) Bid(ctx context.Context, p auth.Principal, id int64, amount string) (ProjectView, error) {
	my, err := s.MyAgency(ctx, p)
	if err != nil {
		return ProjectView{}, refuse("只有已报名的中介机构可以报价")
	}
	if _, err := s.settle(ctx, id); err != nil {
		return ProjectView{}, err
	}
	return s.updateProject(ctx, p, id, "bid", func(sp *store.MarketProject, b *Project) error {
		if sp.State != ProjectOpen || !b.Info.Method.Bids() {
			return fault.New(fault.Conflict, "该项目当前不接受报价")
		}
		bid, ok := ParseYuan(amount)
		switch {
		case !ok || bid <= 0:
			return fault.Newf(fault.Invalid, "报价：应为金额（元，最多两位小数）：%s", amount)
		case bid > b.Info.Budget:
			return fault.Newf(fault.Invalid, "报价：不得高于服务费用预算%s", yuan(b.Info.Budget))
		}
		for i, e := range b.Enrolments {
			if e.AgencyID == my.A.ID && e.Accepted {
				b.Enrolments[i].Bid, b.Enrolments[i].BidAt = bid, s.now()
				return nil
			}
		}
		return refuse("本机构未报名该项目")
	})
}

// closesAfter is the last day of the enrolment or bidding.
func closesAfter(b Project) calendar.Date {
	d, _ := calendar.ParseDate(b.Info.EnrolUntil)
	if b.Info.Method.Bids() && b.Info.BidUntil != "" {
		d, _ = calendar.ParseDate(b.Info.BidUntil)
	}
	return d
}

// settle applies a project's automatic steps that are due: enrolment
// closes after its last day (no enrolment: 无人报名); the system selects
// for every method but 直接选取; the system confirms a selection the owner
// left unconfirmed past its working day (第二十三条（五）).
func (s *Service) settle(ctx context.Context, id int64) (store.MarketProject, error) {
	for range 5 {
		sp, err := s.Store.GetMarketProject(ctx, id)
		if err != nil {
			return sp, err
		}
		var b Project
		if err := json.Unmarshal(sp.Body, &b); err != nil {
			return sp, err
		}
		changed, err := s.step(ctx, &sp, &b)
		if err != nil || !changed {
			return sp, err
		}
		if sp.Body, err = json.Marshal(b); err != nil {
			return sp, err
		}
		sp, err = s.Store.UpdateMarketProject(ctx, sp, s.audit(auth.Principal{Kind: auth.System, Name: "market"}, "auto:"+sp.State, sp.WinnerSubjectID))
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return sp, err
		}
	}
	return s.Store.GetMarketProject(ctx, id)
}

// step makes the due automatic steps on a loaded project.
func (s *Service) step(ctx context.Context, sp *store.MarketProject, b *Project) (bool, error) {
	now, today := s.now(), s.today()
	changed := false
	if sp.State == ProjectOpen && today.After(closesAfter(*b)) {
		changed = true
		if len(b.Accepted()) == 0 {
			sp.State = ProjectFailed
			b.Notices++
			note := fmt.Sprintf("第%d次发布公告无中介机构报名", b.Notices)
			if b.Notices >= 2 && b.Info.Fiscal {
				note += "；本项目使用财政性资金，连续2次无人报名，可在中介超市中议价选取中介机构（第二十三条（四））"
			}
			b.History = append(b.History, event(now, "报名截止", System, note))
		} else {
			sp.State = ProjectClosed
			b.History = append(b.History, event(now, "报名截止", System, fmt.Sprintf("%d家中介机构报名", len(b.Accepted()))))
		}
	}
	if sp.State == ProjectClosed && b.Info.Method != Direct {
		changed = true
		if err := s.draw(ctx, sp, b, "", System); err != nil {
			var f *fault.Error
			if !errors.As(err, &f) {
				return false, err
			}
			b.History = append(b.History, event(now, "选取未能完成", System, fault.Message(err)))
			sp.State = ProjectFailed
		}
	}
	if sp.State == ProjectSelected && b.Timer.Step == "market.confirm" && b.Timer.Done.IsZero() {
		if st := s.Clock.Status(b.Timer, now); today.After(b.Timer.Due) && !st.State.Finished() {
			changed = true
			s.confirm(sp, b, now, System, true)
		}
	}
	return changed, nil
}

// draw runs the selection on the accepted enrolments, intercepting
// agencies with dishonesty first (第三十条).
func (s *Service) draw(ctx context.Context, sp *store.MarketProject, b *Project, chosen, by string) error {
	now := s.now()
	in := Input{Method: b.Info.Method, Project: Code(sp.ID), Seed: b.Seed, Count: b.Info.Count, Chosen: chosen}
	d := Draw{At: now, SeedHash: b.SeedHash}
	for _, e := range b.Accepted() {
		hits, err := s.Intercept(ctx, e.SubjectID)
		if err != nil {
			return err
		}
		if len(hits) > 0 {
			e.Hits, e.Rule, e.Reason = hits, "拦截", "选取时存在失信行为，已被自动拦截（第三十条）："+hitsText(hits)
			d.Excluded = append(d.Excluded, e)
			continue
		}
		c := Candidate{Code: e.Code, Name: e.Name, Bid: e.Bid}
		if in.Method == Merit {
			sub, err := s.Store.GetSubject(ctx, e.SubjectID)
			if err != nil {
				return err
			}
			sc, err := s.AgencyScore(ctx, sub)
			if err != nil {
				return err
			}
			c.Score, c.EvalScore, c.Grade = sc.Composite, sc.EvalScore, sc.Grade
		}
		if in.Method.Bids() && c.Bid <= 0 {
			e.Rule, e.Reason = "条件", "竞价时间内未报价"
			d.Excluded = append(d.Excluded, e)
			continue
		}
		in.Candidates = append(in.Candidates, c)
	}
	slices.SortFunc(in.Candidates, func(a, b Candidate) int { return strings.Compare(a.Code, b.Code) })
	res, err := Select(in)
	if err != nil {
		return err
	}
	d.Input, d.Result = in, res
	b.Draws = append(b.Draws, d)
	b.Winners = res.Winners
	for _, e := range b.Enrolments {
		if e.Accepted && len(res.Winners) > 0 && e.Code == res.Winners[0] {
			sp.WinnerSubjectID = e.SubjectID
		}
	}
	note := in.Method.Label() + "：" + strings.Join(res.Steps, "；")
	for _, x := range d.Excluded {
		note += "；" + x.Name + "未参与选取：" + x.Reason
	}
	b.History = append(b.History, event(now, "产生选取结果", by, note))
	if in.Method.Confirmed() {
		s.confirm(sp, b, now, by, false)
		return nil
	}
	sp.State = ProjectSelected
	b.Timer = s.start("market.confirm", now)
	return nil
}

// confirm confirms the selection: the notice and the 《选取确认书》 are
// issued, and the agency's 1 working day to contact the owner starts.
func (s *Service) confirm(sp *store.MarketProject, b *Project, at time.Time, by string, auto bool) {
	s.done(&b.Timer, at, &b.Late)
	sp.State, b.ConfirmedAt, b.ConfirmedBy, b.Auto = ProjectConfirmed, at, by, auto
	action := "确认选取结果"
	if auto {
		action = "逾期未确认，系统自行确认"
	}
	b.History = append(b.History, event(at, action, by, "发布中选公告，出具《选取确认书》"+ConfirmationNo(sp.ID)))
	b.Timer = s.start("market.contact", at)
	// The owner checks the selected agency before signing (第二十六条).
	b.Check = &OwnerCheck{Timer: s.start("market.owner_check", at)}
}

// Select is the owner's pick under 直接选取, or under 议价选取 after two
// notices without bidders (第二十三条（四）).
func (s *Service) Select(ctx context.Context, p auth.Principal, id int64, code string) (ProjectView, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	var negotiated *store.MarketAgency
	if _, err := s.settle(ctx, id); err != nil {
		return ProjectView{}, err
	}
	return s.updateProject(ctx, p, id, "select", func(sp *store.MarketProject, b *Project) error {
		if !s.owns(ctx, p, *sp) {
			return refuse("只有项目业主可以选取中介机构")
		}
		switch {
		case sp.State == ProjectClosed && b.Info.Method == Direct:
			return s.draw(ctx, sp, b, code, byName(p))
		case sp.State == ProjectFailed && b.Info.Fiscal && b.Notices >= 2:
			sub, err := s.Store.FindSubjectByCode(ctx, code)
			if err != nil {
				return fault.Newf(fault.Invalid, "未找到统一社会信用代码为%s的中介机构", code)
			}
			if negotiated == nil {
				a, err := s.Store.MarketAgencyOf(ctx, sub.ID)
				if err != nil || a.State != AgencyActive {
					return fault.Newf(fault.Invalid, "%s不是已入驻中介超市的中介机构", code)
				}
				negotiated = &a
			}
			var ab Agency
			if err := json.Unmarshal(negotiated.Body, &ab); err != nil {
				return err
			}
			b.Enrolments = append(b.Enrolments, Enrolment{AgencyID: negotiated.ID, SubjectID: sub.ID, Code: ab.Code, Name: ab.Name, At: s.now(), Accepted: true})
			b.Info.Method = Negotiated
			return s.draw(ctx, sp, b, code, byName(p))
		}
		return fault.Newf(fault.Conflict, "该项目当前为“%s”，不能由业主选取", ProjectStateLabel(sp.State))
	})
}

// Confirm is the owner's confirmation of a selection within 1 working day.
func (s *Service) Confirm(ctx context.Context, p auth.Principal, id int64) (ProjectView, error) {
	if _, err := s.settle(ctx, id); err != nil {
		return ProjectView{}, err
	}
	return s.updateProject(ctx, p, id, "confirm", func(sp *store.MarketProject, b *Project) error {
		if !s.owns(ctx, p, *sp) {
			return refuse("只有项目业主可以确认选取结果")
		}
		if sp.State != ProjectSelected {
			return fault.Newf(fault.Conflict, "该项目当前为“%s”，无需确认", ProjectStateLabel(sp.State))
		}
		s.confirm(sp, b, s.now(), byName(p), false)
		return nil
	})
}

// Rerun voids the draw after a technical failure and runs the selection
// again with a new seed committed now (第二十七条).
func (s *Service) Rerun(ctx context.Context, p auth.Principal, id int64, reason string) (ProjectView, error) {
	return s.updateProject(ctx, p, id, "rerun", func(sp *store.MarketProject, b *Project) error {
		if !s.operates(ctx, p, b.OperatorID) {
			return refuse("只有该中介超市的运维人员可以重新组织选取")
		}
		if reason = strings.TrimSpace(reason); reason == "" {
			return fault.New(fault.Invalid, "原因：必填（断电、通信中断、网络故障等）", fault.Field{Field: "原因", Reason: "必填"})
		}
		if sp.State != ProjectSelected || len(b.Draws) == 0 {
			return fault.Newf(fault.Conflict, "只有待确认的选取结果可以因技术故障重新选取（当前为“%s”）", ProjectStateLabel(sp.State))
		}
		now := s.now()
		b.Draws[len(b.Draws)-1].Void = reason
		// The void draw's seed was published with it: a fresh one is
		// committed before the new draw.
		seed, hash, err := s.seed()
		if err != nil {
			return err
		}
		b.Seed, b.SeedHash, b.Winners, sp.WinnerSubjectID = seed, hash, nil, 0
		s.done(&b.Timer, now, nil)
		b.History = append(b.History, event(now, "因技术故障重新组织选取", byName(p), reason+"；新种子的SHA-256："+hash))
		sp.State = ProjectClosed
		return s.draw(ctx, sp, b, "", System)
	})
}

// Contact is the selected agency's report that it contacted the owner.
func (s *Service) Contact(ctx context.Context, p auth.Principal, id int64) (ProjectView, error) {
	return s.winnerAct(ctx, p, id, "contact", func(sp *store.MarketProject, b *Project) error {
		if sp.State != ProjectConfirmed || !b.ContactedAt.IsZero() {
			return fault.New(fault.Conflict, "当前无需报告联系情况")
		}
		now := s.now()
		s.done(&b.Timer, now, &b.Late)
		b.ContactedAt = now
		b.History = append(b.History, event(now, "与项目业主取得联系", byName(p), ""))
		return nil
	})
}

// winnerAct runs fn for the selected agency's own account.
func (s *Service) winnerAct(ctx context.Context, p auth.Principal, id int64, outcome string, fn func(sp *store.MarketProject, b *Project) error) (ProjectView, error) {
	if _, err := s.settle(ctx, id); err != nil {
		return ProjectView{}, err
	}
	return s.updateProject(ctx, p, id, outcome, func(sp *store.MarketProject, b *Project) error {
		if p.Kind != auth.UserKind || p.SubjectID == 0 || p.SubjectID != sp.WinnerSubjectID {
			return refuse("只有中选中介机构可以办理")
		}
		return fn(sp, b)
	})
}

// UploadContract files the signed contract's scan (第二十三条（六）): due
// within 2 working days of signing; a contract secret by law is declared
// instead of uploaded.
func (s *Service) UploadContract(ctx context.Context, p auth.Principal, id int64, signedOn string, file *attach.File, confidential bool) (ProjectView, error) {
	signed, err := calendar.ParseDate(strings.TrimSpace(signedOn))
	if err != nil || signed.After(s.today()) {
		return ProjectView{}, fault.New(fault.Invalid, "合同签订日期：应为不晚于今天的日期", fault.Field{Field: "合同签订日期", Reason: "应为不晚于今天的日期"})
	}
	var ref *FileRef
	if !confidential {
		if file == nil {
			return ProjectView{}, fault.New(fault.Invalid, "合同扫描件：请上传合同原件的扫描件", fault.Field{Field: "合同扫描件", Reason: "必填"})
		}
		checked, err := attach.Check([]attach.File{*file}, "合同扫描件")
		if err != nil {
			return ProjectView{}, fault.Wrap(fault.Invalid, err, "合同扫描件："+err.Error())
		}
		refs, err := s.storeFiles(ctx, fmt.Sprintf("project:%d", id), checked)
		if err != nil {
			return ProjectView{}, err
		}
		ref = &refs[0]
	}
	return s.winnerAct(ctx, p, id, "contract", func(sp *store.MarketProject, b *Project) error {
		if sp.State != ProjectConfirmed {
			return fault.Newf(fault.Conflict, "该项目当前为“%s”，不能上传合同", ProjectStateLabel(sp.State))
		}
		now := s.now()
		if b.ContactedAt.IsZero() {
			s.done(&b.Timer, now, &b.Late)
			b.ContactedAt = now
		}
		// The 2 working days run from the signing day.
		t := s.start("market.contract", signed.Time())
		s.done(&t, now, &b.Late)
		b.Timer = t
		if b.Check != nil && b.Check.At.IsZero() {
			// Signed without the owner's check: its step ends, late or not.
			s.done(&b.Check.Timer, now, &b.Late)
		}
		sp.State, b.SignedOn, b.Contract, b.ContractAt, b.Confidential = ProjectContracted, signed.String(), ref, now, confidential
		note := "合同签订日期" + signed.String()
		if confidential {
			note += "；依法应当保密，不上传"
		}
		b.History = append(b.History, event(now, "合同备案", byName(p), note))
		return nil
	})
}

// Deliver is the agency's report that the service is done, with its
// result; the owner's 3 working days to rate start.
func (s *Service) Deliver(ctx context.Context, p auth.Principal, id int64, file *attach.File) (ProjectView, error) {
	var ref *FileRef
	if file != nil {
		checked, err := attach.Check([]attach.File{*file}, "结果材料")
		if err != nil {
			return ProjectView{}, fault.Wrap(fault.Invalid, err, "结果材料："+err.Error())
		}
		refs, err := s.storeFiles(ctx, fmt.Sprintf("project:%d", id), checked)
		if err != nil {
			return ProjectView{}, err
		}
		ref = &refs[0]
	}
	return s.winnerAct(ctx, p, id, "deliver", func(sp *store.MarketProject, b *Project) error {
		if sp.State != ProjectContracted {
			return fault.Newf(fault.Conflict, "该项目当前为“%s”，不能提交服务结果", ProjectStateLabel(sp.State))
		}
		if ref == nil {
			return fault.New(fault.Invalid, "结果材料：请上传服务结果材料", fault.Field{Field: "结果材料", Reason: "必填"})
		}
		now := s.now()
		sp.State, b.Result, b.DeliveredAt = ProjectDelivered, ref, now
		b.Timer = s.start("market.rate", now)
		b.History = append(b.History, event(now, "完成服务并上传结果材料", byName(p), ""))
		return nil
	})
}

// RatingInput is the owner's rating.
type RatingInput struct {
	Quality, Timeliness, Attitude, Fee, Conduct, Comment string
}

// Rate files the owner's rating (第二十三条（七）、第二十八条): public and
// in the agency's credit file, as a 中介服务评价 (zj) record filed through
// intake by the marketplace's operator.
func (s *Service) Rate(ctx context.Context, p auth.Principal, id int64, in RatingInput) (ProjectView, error) {
	var e errs
	r := Rating{Quality: in.Quality, Timeliness: in.Timeliness, Attitude: in.Attitude, Fee: in.Fee, Conduct: in.Conduct,
		Comment: e.text("评价说明", in.Comment, false, 1000)}
	for _, f := range []struct{ name, v string }{{"服务质量", r.Quality}, {"服务时效", r.Timeliness}, {"服务态度", r.Attitude}, {"服务收费", r.Fee}, {"服务规范", r.Conduct}} {
		pts, ok := Points(f.v)
		if !ok {
			e.add(f.name, "请选择满意程度")
		}
		r.Total += pts
	}
	if err := e.err(); err != nil {
		return ProjectView{}, err
	}
	sp, err := s.Store.GetMarketProject(ctx, id)
	if err != nil {
		return ProjectView{}, err
	}
	if !s.owns(ctx, p, sp) {
		return ProjectView{}, refuse("只有项目业主可以评价")
	}
	if sp.State != ProjectDelivered {
		return ProjectView{}, fault.Newf(fault.Conflict, "该项目当前为“%s”，不能评价", ProjectStateLabel(sp.State))
	}
	var b Project
	if err := json.Unmarshal(sp.Body, &b); err != nil {
		return ProjectView{}, err
	}
	r.At = s.now()
	// The record first: intake is idempotent by its identity (the
	// project's rating number), so a retry after a stop files it once.
	if r.RecordID, err = s.fileRating(ctx, sp, b, r); err != nil {
		return ProjectView{}, err
	}
	return s.updateProject(ctx, p, id, "rate", func(sp *store.MarketProject, b *Project) error {
		if sp.State != ProjectDelivered {
			return fault.Newf(fault.Conflict, "该项目当前为“%s”，不能评价", ProjectStateLabel(sp.State))
		}
		s.done(&b.Timer, r.At, &b.Late)
		sp.State, b.Rating = ProjectRated, &r
		b.History = append(b.History, event(r.At, "服务评价", byName(p), fmt.Sprintf("综合评分%d分，记入信用档案", r.Total)))
		return nil
	})
}

// RatingRow is the zj record of a project's rating.
func RatingRow(id int64, b Project, sub credit.Subject, r Rating, op auth.Org) map[string]any {
	row := map[string]any{
		"subject_name": sub.Name, "subject_class": commitment.ClassLabel(sub.Class), "decision_no": RatingNo(id),
		"project_name": b.Info.Name, "service_item": b.Info.ItemName, "project_owner": b.Owner,
		"rating_quality": r.Quality, "rating_timeliness": r.Timeliness, "rating_attitude": r.Attitude, "rating_fee": r.Fee,
		"rating_conduct": r.Conduct, "rating_total": strconv.Itoa(r.Total), "decision_date": calendar.FromTime(r.At).String(),
		"source_dept": op.Name, "source_dept_uscc": op.USCC,
	}
	if b.OwnerUSCC != "" {
		row["project_owner_uscc"] = b.OwnerUSCC
	}
	if r.Comment != "" {
		row["rating_comment"] = r.Comment
	}
	if sub.USCC != "" {
		row["subject_uscc"] = sub.USCC
	} else {
		row["subject_uscc"], row["subject_reg_no"] = commitment.PlaceholderUSCC, sub.RegNo
	}
	return row
}

func (s *Service) fileRating(ctx context.Context, sp store.MarketProject, b Project, r Rating) (int64, error) {
	if s.Importer == nil {
		return 0, errors.New("market: no intake to file ratings through")
	}
	sub, err := s.Store.GetSubject(ctx, sp.WinnerSubjectID)
	if err != nil {
		return 0, err
	}
	op, err := s.org(ctx, b.OperatorID)
	if err != nil {
		return 0, err
	}
	return s.Importer.ImportOne(ctx, RatingRow(sp.ID, b, sub, r, op), ingest.Options{Kind: RatingKind, Dept: op.USCC, Channel: "market", ReceivedAt: r.At},
		"生成中介服务评价信息")
}

// Sweep applies every open project's automatic steps and shows the
// dishonesty found on active agencies (第三十条: within 2 working days;
// an agency on a serious list is exited, 第三十二条). The server runs it
// periodically; pages settle a project when they show it.
func (s *Service) Sweep(ctx context.Context) (projects, agencies int, err error) {
	ps, err := s.Store.ListMarketProjects(ctx, store.MarketProjectFilter{States: []string{ProjectOpen, ProjectClosed, ProjectSelected}, Limit: 100000})
	if err != nil {
		return 0, 0, err
	}
	for _, sp := range ps {
		after, err := s.settle(ctx, sp.ID)
		if err != nil {
			return projects, agencies, err
		}
		if after.Rev != sp.Rev {
			projects++
		}
	}
	as, err := s.Store.ListMarketAgencies(ctx, AgencyActive)
	if err != nil {
		return projects, agencies, err
	}
	sys := auth.Principal{Kind: auth.System, Name: "market"}
	for _, a := range as {
		hits, err := s.Intercept(ctx, a.SubjectID)
		if err != nil || len(hits) == 0 {
			if err != nil {
				return projects, agencies, err
			}
			continue
		}
		_, err = s.updateAgency(ctx, sys, a.ID, "dishonesty", func(a *store.MarketAgency, b *Agency) error {
			now := s.now()
			for _, h := range hits {
				if slices.ContainsFunc(b.Dishonesty, func(d Dishonesty) bool { return d.RecordID == h.RecordID && d.Rule == h.Rule }) {
					continue
				}
				d := Dishonesty{Hit: h, Timer: s.start("market.dishonesty", now)}
				d.Timer.Done = now
				b.Dishonesty = append(b.Dishonesty, d)
			}
			a.State, b.Reasons, b.Hits = AgencyExited, "列入严重失信主体名单，予以清退（第三十二条）："+hitsText(hits), hits
			b.History = append(b.History, event(now, "公示失信信息并清退", System, hitsText(hits)))
			return nil
		})
		if err != nil && fault.KindOf(err) != fault.NotFound {
			return projects, agencies, err
		}
		agencies++
	}
	return projects, agencies, nil
}
