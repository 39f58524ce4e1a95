package market

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/xinyong/xinyong/internal/attach"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/commitment"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/match"
	"github.com/xinyong/xinyong/internal/store"
)

// ItemInput is an item as an industry department files it.
type ItemInput struct {
	Industry, Name, Type, Basis, Qualification, Approvals, TimeLimit, Fee string
	Active                                                                bool
}

// PutItem adds (id 0) or changes an item of p's department's catalogue
// (第十一条（一）).
func (s *Service) PutItem(ctx context.Context, p auth.Principal, id int64, in ItemInput) (store.MarketItem, error) {
	if !p.Staff() || !s.Auth.Can(p, auth.MarketCatalog, auth.Resource{OrgPath: p.Org.Path}) {
		return store.MarketItem{}, refuse("只有行业主管部门（有维护中介服务事项权限的人员）可以维护中介服务事项")
	}
	var e errs
	it := store.MarketItem{ID: id, DeptOrgID: p.Org.ID, Active: in.Active,
		Industry: e.text("行业", in.Industry, true, 50), Name: e.text("事项名称", in.Name, true, 200), Type: e.text("类型", in.Type, true, 50),
		Basis: e.text("设立依据", in.Basis, true, 1000), Qualification: e.text("资质要求", in.Qualification, true, 500),
		Approvals: e.text("涉及的审批事项", in.Approvals, false, 500), TimeLimit: e.text("办理时限", in.TimeLimit, true, 100),
		Fee: e.text("收费标准", in.Fee, true, 500)}
	if err := e.err(); err != nil {
		return store.MarketItem{}, err
	}
	if id != 0 {
		old, err := s.Store.GetMarketItem(ctx, id)
		if err != nil {
			return store.MarketItem{}, err
		}
		if old.DeptOrgID != p.Org.ID {
			return store.MarketItem{}, refuse("只能修改本部门的中介服务事项")
		}
	}
	return s.Store.PutMarketItem(ctx, it, s.audit(p, "item", 0))
}

// AgencyInput is an agency's application or change.
type AgencyInput struct {
	OperatorID     int64
	Region         string
	Address        string
	Contact        string
	Phone          string
	Staff          int
	Services       string
	Items          []int64
	Qualifications []Qualification
	LegalRep       string
	LegalRepID     string // 身份证号: kept only as a keyed hash and masked
	Controller     string
	ControllerID   string // "" when the legal representative controls it
	Scans          []attach.File
	Reason         string // of a change
}

// info checks an application or change and returns the information to
// keep (scans not stored yet).
func (s *Service) info(ctx context.Context, in AgencyInput, change bool) (AgencyInfo, []attach.Checked, error) {
	var e errs
	inf := AgencyInfo{Region: strings.TrimSpace(in.Region), Address: e.text("办公地址", in.Address, true, 200),
		Contact: e.text("联系人", in.Contact, true, 50), Phone: e.text("联系电话", in.Phone, true, 30), Staff: in.Staff,
		Services: e.text("服务范围", in.Services, true, 1000), LegalRep: e.text("法定代表人", in.LegalRep, true, 50),
		Controller: e.text("实际控制人", in.Controller, false, 50)}
	if len(inf.Region) != 6 || strings.Trim(inf.Region, "0123456789") != "" || match.PlaceName(inf.Region) == inf.Region {
		e.add("注册地", "应为6位行政区划代码：%s", inf.Region)
	}
	if in.Staff <= 0 {
		e.add("执业人员数", "应为正整数")
	}
	items, err := s.Store.ListMarketItems(ctx, true)
	if err != nil {
		return inf, nil, err
	}
	for _, id := range in.Items {
		if !slices.ContainsFunc(items, func(it store.MarketItem) bool { return it.ID == id }) {
			e.add("服务事项", "不是有效的中介服务事项：%d", id)
		} else if !slices.Contains(inf.Items, id) {
			inf.Items = append(inf.Items, id)
		}
	}
	if len(inf.Items) == 0 {
		e.add("服务事项", "至少选择一项")
	}
	for i, q := range in.Qualifications {
		q.Industry, q.Class, q.Level, q.CertNo = strings.TrimSpace(q.Industry), strings.TrimSpace(q.Class), strings.TrimSpace(q.Level), strings.TrimSpace(q.CertNo)
		if q == (Qualification{}) {
			continue
		}
		if q.Industry == "" || q.Class == "" || q.CertNo == "" {
			e.add(fmt.Sprintf("资质第%d行", i+1), "行业、资质类别和证书编号必填")
			continue
		}
		inf.Qualifications = append(inf.Qualifications, q)
	}
	if len(inf.Qualifications) == 0 {
		e.add("资质", "至少填写一项资质（第十五条：具备中介服务项目对应的资质）")
	}
	person := func(field, id string) (hash, masked string) {
		id = strings.ToUpper(strings.TrimSpace(id))
		if id == "" {
			return "", ""
		}
		if r := code.Check(code.KindRIC, id); r.Status != code.StatusValid {
			e.add(field, "不是有效的身份证号码")
			return "", ""
		}
		return fmt.Sprintf("%x", s.Keys.Hash(id)), credit.MaskID(id)
	}
	inf.LegalRepHash, inf.LegalRepMasked = person("法定代表人身份证号", in.LegalRepID)
	if inf.LegalRepHash == "" && strings.TrimSpace(in.LegalRepID) == "" {
		e.add("法定代表人身份证号", "必填（仅用于回避核查，平台只保存其加密摘要）")
	}
	inf.ControllerHash, _ = person("实际控制人身份证号", in.ControllerID)
	if inf.Controller == "" {
		inf.Controller, inf.ControllerHash = inf.LegalRep, inf.LegalRepHash
	} else if inf.ControllerHash == "" && strings.TrimSpace(in.ControllerID) == "" {
		e.add("实际控制人身份证号", "填写了实际控制人的，须填写其身份证号")
	}
	if len(in.Scans) == 0 && !change {
		e.add("材料扫描件", "请上传营业执照、资质证书等材料原件的扫描件（第十六条）")
	}
	checked, err := attach.Check(in.Scans, "材料扫描件")
	if err != nil {
		var ae *attach.Error
		if errors.As(err, &ae) {
			e.add("材料扫描件", "%s", ae.Msg)
		} else {
			return inf, nil, err
		}
	}
	return inf, checked, e.err()
}

func (s *Service) storeFiles(ctx context.Context, owner string, files []attach.Checked) ([]FileRef, error) {
	var out []FileRef
	for _, f := range files {
		id, err := s.Store.AddMarketFile(ctx, store.MarketFile{Owner: owner, Name: f.Name, Type: f.ContentType, SHA256: f.SHA256, Data: f.Data})
		if err != nil {
			return nil, err
		}
		out = append(out, FileRef{ID: id, Name: f.Name, SHA256: f.SHA256})
	}
	return out, nil
}

// AgencyView is an agency's file as a principal sees it.
type AgencyView struct {
	A       store.MarketAgency
	Body    Agency
	Subject credit.Subject
	// Own: the viewer is the agency; Operator: the viewer runs its
	// operator's marketplace. Others see the public part only.
	Own, Operator bool
	Score         Score
	// Hits is the live interception (dishonesty on the platform now).
	Hits []Hit
}

// Public reports whether the file is shown to everyone.
func (v AgencyView) Public() bool {
	return v.A.State == AgencyActive || v.A.State == AgencyExited
}

func (s *Service) agencyView(ctx context.Context, p auth.Principal, a store.MarketAgency) (AgencyView, error) {
	v := AgencyView{A: a}
	if err := json.Unmarshal(a.Body, &v.Body); err != nil {
		return v, err
	}
	v.Own = p.Kind == auth.UserKind && p.SubjectID == a.SubjectID
	v.Operator = s.operates(ctx, p, v.Body.OperatorID)
	if !v.Own && !v.Operator && !v.Public() {
		return v, fault.New(fault.NotFound, "未找到该中介机构")
	}
	var err error
	if v.Subject, err = s.Store.GetSubject(ctx, a.SubjectID); err != nil {
		return v, err
	}
	if v.Score, err = s.AgencyScore(ctx, v.Subject); err != nil {
		return v, err
	}
	if v.Hits, err = s.Intercept(ctx, a.SubjectID); err != nil {
		return v, err
	}
	if !v.Own && !v.Operator {
		// No personal data and nothing secret for the public (第十七条).
		v.Body.Info.Contact, v.Body.Info.Phone = "", ""
		v.Body.Info.LegalRepHash, v.Body.Info.ControllerHash, v.Body.Info.LegalRepMasked = "", "", ""
		v.Body.Info.Controller = ""
		v.Body.Info.Scans = nil
		v.Body.Change = nil
		v.Body.Missing = nil
	}
	return v, nil
}

// Agency returns an agency's file by id.
func (s *Service) Agency(ctx context.Context, p auth.Principal, id int64) (AgencyView, error) {
	a, err := s.Store.GetMarketAgency(ctx, id)
	if err != nil {
		return AgencyView{}, err
	}
	return s.agencyView(ctx, p, a)
}

// MyAgency returns the file of p's subject (ErrNotFound when none).
func (s *Service) MyAgency(ctx context.Context, p auth.Principal) (AgencyView, error) {
	if p.Kind != auth.UserKind || p.SubjectID == 0 {
		return AgencyView{}, fault.New(fault.NotFound, "未找到本机构的入驻信息")
	}
	a, err := s.Store.MarketAgencyOf(ctx, p.SubjectID)
	if err != nil {
		return AgencyView{}, err
	}
	return s.agencyView(ctx, p, a)
}

// Agencies lists the files p may see: the public ones (入驻、清退), and
// those of the marketplaces p runs in every state.
func (s *Service) Agencies(ctx context.Context, p auth.Principal) ([]AgencyView, error) {
	all, err := s.Store.ListMarketAgencies(ctx)
	if err != nil {
		return nil, err
	}
	var out []AgencyView
	for _, a := range all {
		v := AgencyView{A: a}
		if err := json.Unmarshal(a.Body, &v.Body); err != nil {
			return nil, err
		}
		v.Operator = s.operates(ctx, p, v.Body.OperatorID)
		v.Own = p.Kind == auth.UserKind && p.SubjectID == a.SubjectID
		if v.Public() || v.Operator || v.Own {
			out = append(out, v)
		}
	}
	return out, nil
}

// CommitmentTerms is the integrity commitment every agency signs on
// applying (第十六条).
func CommitmentTerms(name string) commitment.Terms {
	return commitment.Terms{Kind: "行业自律型", Matter: "申请入驻网上中介服务超市",
		Content: name + "承诺：所提供信息和材料真实、准确、合法；诚信提供中介服务，不围标串标、不恶意低价竞争、不转包分包；" +
			"遵守中介超市的监督管理规定，按时签订合同、备案并接受评价。",
		Liability:  "违反入驻承诺的，由行业主管部门依法查处并纳入信用记录，实施失信惩戒，由中介超市运维机构予以清退；造成相关方损失的，依法承担赔偿责任（《陕西省网上中介服务超市管理办法》第十六条）。",
		Disclosure: commitment.Public}
}

// Apply files p's application to enter the marketplace (第十六条): p is the
// agency's own account. The credit check runs first: an agency with
// dishonesty is intercepted (its application kept, state intercepted,
// the rule and the record named). Otherwise the integrity commitment is
// signed and the form check's 2 working days start.
//
// Exactly once, also when the process is killed: the application is
// stored first (state applied, no commitment yet), then the commitment is
// signed with an idempotency key naming the application and its attempt
// (KeyOf), then the commitment is stored on the application. A retry
// finds the application without its commitment, takes it up (same
// attempt) and signs with the same key, which returns the commitment
// already signed instead of a second one.
func (s *Service) Apply(ctx context.Context, p auth.Principal, in AgencyInput) (AgencyView, error) {
	if p.Kind != auth.UserKind || p.SubjectID == 0 {
		return AgencyView{}, refuse("只有中介机构本机构的账户可以申请入驻")
	}
	sub, err := s.Store.GetSubject(ctx, p.SubjectID)
	if err != nil {
		return AgencyView{}, err
	}
	if sub.Class == credit.ClassPerson || sub.USCC == "" {
		return AgencyView{}, refuse("入驻中介超市的中介机构应当依法登记设立、具备独立法人资格并有统一社会信用代码（第十五条）")
	}
	old, err := s.Store.MarketAgencyOf(ctx, p.SubjectID)
	var prev Agency
	if err == nil {
		if err := json.Unmarshal(old.Body, &prev); err != nil {
			return AgencyView{}, err
		}
	}
	// An application stopped before its commitment was stored on it is
	// taken up again (the same attempt, hence the same commitment key).
	unfinished := err == nil && old.State == AgencyApplied && prev.CommitmentID == 0
	if err == nil && !unfinished && old.State != AgencyRefused && old.State != AgencyIntercepted && old.State != AgencyExited {
		return AgencyView{}, fault.New(fault.Exists, "本机构已提交入驻申请或已入驻")
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return AgencyView{}, err
	}
	op, err := s.operatorOrg(ctx, in.OperatorID)
	if err != nil {
		return AgencyView{}, err
	}
	inf, files, err := s.info(ctx, in, false)
	if err != nil {
		return AgencyView{}, err
	}
	now := s.now()
	body := Agency{Name: sub.Name, Code: sub.USCC, OperatorID: op.ID, OperatorName: op.Name, Info: inf, Attempt: prev.Attempt + 1}
	if unfinished && prev.Attempt > 0 {
		body.Attempt = prev.Attempt
	}
	if old.ID != 0 {
		body.History = prev.History
	}
	if !unfinished || prev.Code == "" {
		body.History = append(body.History, event(now, "提交入驻申请", byName(p), ""))
	}
	hits, err := s.Intercept(ctx, sub.ID)
	if err != nil {
		return AgencyView{}, err
	}
	state := AgencyApplied
	if len(hits) > 0 {
		state, body.Hits = AgencyIntercepted, hits
		body.History = append(body.History, event(now, "自动拦截", System, hitsText(hits)))
	}
	// 1. The application, stored (without its commitment).
	var a store.MarketAgency
	if old.ID != 0 {
		a = old
	} else {
		b, _ := json.Marshal(Agency{History: []Event{}})
		if a, err = s.Store.AddMarketAgency(ctx, store.MarketAgency{SubjectID: sub.ID, State: AgencyApplied, Body: b}, s.audit(p, "apply", sub.ID)); err != nil {
			return AgencyView{}, err
		}
	}
	if body.Info.Scans, err = s.storeFiles(ctx, fmt.Sprintf("agency:%d", a.ID), files); err != nil {
		return AgencyView{}, err
	}
	a.State = state
	if a.Body, err = json.Marshal(body); err != nil {
		return AgencyView{}, err
	}
	if a, err = s.Store.UpdateMarketAgency(ctx, a, s.audit(p, state, sub.ID)); err != nil {
		return AgencyView{}, err
	}
	if state == AgencyIntercepted {
		ic := &Intercepted{Hits: hits, AgencyID: a.ID}
		return AgencyView{}, &fault.Error{Kind: fault.Refused, Msg: ic.Error(), Err: ic}
	}
	// 2. The commitment, signed once per application attempt.
	terms := CommitmentTerms(sub.Name)
	terms.Key = KeyOf(a.ID, body.Attempt)
	cv, err := s.Commitments.Sign(ctx, p, terms, op.USCC)
	if err != nil {
		return AgencyView{}, err
	}
	if s.Crash != nil {
		if err := s.Crash("apply:signed"); err != nil {
			return AgencyView{}, err
		}
	}
	// 3. The commitment on the application; the form check starts.
	return s.updateAgency(ctx, p, a.ID, "commitment", func(a *store.MarketAgency, b *Agency) error {
		if a.State != AgencyApplied || b.CommitmentID != 0 {
			return fault.New(fault.Conflict, "该入驻申请已签署守信承诺")
		}
		at := s.now()
		b.CommitmentID = cv.C.ID
		b.Timer = s.start("market.agency_check", at)
		b.History = append(b.History, event(at, "签署守信承诺", byName(p), cv.C.Code))
		return nil
	})
}

// KeyOf is the idempotency key of the integrity commitment of an agency's
// application attempt.
func KeyOf(agencyID int64, attempt int) string {
	return fmt.Sprintf("market:agency:%d:%d", agencyID, attempt)
}

// Intercepted is an action refused by the credit check.
type Intercepted struct {
	Hits     []Hit
	AgencyID int64
}

func (e *Intercepted) Error() string {
	return "该中介机构存在失信行为，已被自动拦截（第三十条）：" + hitsText(e.Hits)
}

// updateAgency loads an agency's file, lets fn change it and stores it,
// retrying on a concurrent update.
func (s *Service) updateAgency(ctx context.Context, p auth.Principal, id int64, outcome string, fn func(a *store.MarketAgency, b *Agency) error) (AgencyView, error) {
	a, err := retry(func() (store.MarketAgency, error) {
		a, err := s.Store.GetMarketAgency(ctx, id)
		if err != nil {
			return a, err
		}
		var b Agency
		if err := json.Unmarshal(a.Body, &b); err != nil {
			return a, err
		}
		if err := fn(&a, &b); err != nil {
			return a, err
		}
		if a.Body, err = json.Marshal(b); err != nil {
			return a, err
		}
		return s.Store.UpdateMarketAgency(ctx, a, s.audit(p, outcome, a.SubjectID))
	})
	if err != nil {
		return AgencyView{}, err
	}
	return s.agencyView(ctx, p, a)
}

// Review is the operator's form check of an application (第十七条):
// accept (the agency enters the marketplace), ask for the missing items
// all at once (the clock stops until the agency completes them), or
// refuse with reasons.
func (s *Service) Review(ctx context.Context, p auth.Principal, id int64, decision string, missing []string, reasons string) (AgencyView, error) {
	return s.updateAgency(ctx, p, id, "review:"+decision, func(a *store.MarketAgency, b *Agency) error {
		if !s.operates(ctx, p, b.OperatorID) {
			return refuse("只有该中介超市的运维人员可以核查入驻申请")
		}
		if a.State != AgencyApplied {
			return fault.Newf(fault.Conflict, "该申请当前为“%s”，不能核查", AgencyStateLabel(a.State))
		}
		if b.CommitmentID == 0 {
			return fault.New(fault.Conflict, "该申请尚未签署守信承诺（中断的申请由中介机构重新提交后继续），暂不能核查")
		}
		now := s.now()
		switch decision {
		case "accept":
			hits, err := s.Intercept(ctx, a.SubjectID)
			if err != nil {
				return err
			}
			s.done(&b.Timer, now, nil)
			if len(hits) > 0 {
				a.State, b.Hits = AgencyIntercepted, hits
				b.History = append(b.History, event(now, "自动拦截", System, hitsText(hits)))
				return nil
			}
			a.State = AgencyActive
			b.History = append(b.History, event(now, "核查通过，自动入驻", byName(p), ""))
		case "missing":
			var items []string
			for _, m := range missing {
				if m = strings.TrimSpace(m); m != "" {
					items = append(items, m)
				}
			}
			if len(items) == 0 {
				return fault.New(fault.Invalid, "需补正的材料：请一次性列出全部需补正的内容", fault.Field{Field: "需补正的材料", Reason: "必填"})
			}
			s.done(&b.Timer, now, nil)
			a.State, b.Missing = AgencyIncomplete, items
			b.History = append(b.History, event(now, "一次性告知补正", byName(p), strings.Join(items, "；")))
		case "refuse":
			if strings.TrimSpace(reasons) == "" {
				return fault.New(fault.Invalid, "不通过的理由：必填", fault.Field{Field: "不通过的理由", Reason: "必填"})
			}
			s.done(&b.Timer, now, nil)
			a.State, b.Reasons = AgencyRefused, strings.TrimSpace(reasons)
			b.History = append(b.History, event(now, "核查不通过", byName(p), b.Reasons))
		default:
			return fault.Newf(fault.Invalid, "未知的核查结论：%s", decision)
		}
		return nil
	})
}

// Complete is the agency's answer to a request for missing items: its
// information again; the form check's clock restarts (第十七条).
func (s *Service) Complete(ctx context.Context, p auth.Principal, in AgencyInput) (AgencyView, error) {
	my, err := s.MyAgency(ctx, p)
	if err != nil {
		return AgencyView{}, err
	}
	inf, files, err := s.info(ctx, in, true)
	if err != nil {
		return AgencyView{}, err
	}
	refs, err := s.storeFiles(ctx, fmt.Sprintf("agency:%d", my.A.ID), files)
	if err != nil {
		return AgencyView{}, err
	}
	return s.updateAgency(ctx, p, my.A.ID, "complete", func(a *store.MarketAgency, b *Agency) error {
		if a.State != AgencyIncomplete {
			return fault.Newf(fault.Conflict, "该申请当前为“%s”，无需补正", AgencyStateLabel(a.State))
		}
		scans := append(b.Info.Scans, refs...)
		b.Info = inf
		b.Info.Scans = scans
		now := s.now()
		a.State, b.Missing = AgencyApplied, nil
		b.Timer = s.start("market.agency_check", now)
		b.History = append(b.History, event(now, "补正材料，重新计算核查时间", byName(p), ""))
		return nil
	})
}

// RequestChange files a change of an active agency's information, which
// the operator reviews within 2 working days (第十八条).
func (s *Service) RequestChange(ctx context.Context, p auth.Principal, in AgencyInput) (AgencyView, error) {
	my, err := s.MyAgency(ctx, p)
	if err != nil {
		return AgencyView{}, err
	}
	inf, files, err := s.info(ctx, in, true)
	if err != nil {
		return AgencyView{}, err
	}
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		return AgencyView{}, fault.New(fault.Invalid, "变更事由：必填（法定变更事项应先到相关部门变更）", fault.Field{Field: "变更事由", Reason: "必填"})
	}
	refs, err := s.storeFiles(ctx, fmt.Sprintf("agency:%d", my.A.ID), files)
	if err != nil {
		return AgencyView{}, err
	}
	return s.updateAgency(ctx, p, my.A.ID, "change", func(a *store.MarketAgency, b *Agency) error {
		if a.State != AgencyActive {
			return fault.Newf(fault.Conflict, "只有已入驻的中介机构可以申请变更（当前为“%s”）", AgencyStateLabel(a.State))
		}
		if b.Change != nil {
			return fault.New(fault.Conflict, "上一次变更尚在审核中")
		}
		inf.Scans = append(slices.Clone(b.Info.Scans), refs...)
		now := s.now()
		b.Change = &Change{Info: inf, Reason: reason, Timer: s.start("market.agency_change", now)}
		b.History = append(b.History, event(now, "提交变更", byName(p), reason))
		return nil
	})
}

// ReviewChange approves or rejects a pending change.
func (s *Service) ReviewChange(ctx context.Context, p auth.Principal, id int64, approve bool, note string) (AgencyView, error) {
	return s.updateAgency(ctx, p, id, "change-review", func(a *store.MarketAgency, b *Agency) error {
		if !s.operates(ctx, p, b.OperatorID) {
			return refuse("只有该中介超市的运维人员可以审核变更")
		}
		if b.Change == nil {
			return fault.New(fault.Conflict, "没有待审核的变更")
		}
		now := s.now()
		s.done(&b.Change.Timer, now, nil)
		if approve {
			b.Info = b.Change.Info
			b.History = append(b.History, event(now, "变更审核通过", byName(p), note))
		} else {
			if strings.TrimSpace(note) == "" {
				return fault.New(fault.Invalid, "不通过的理由：必填", fault.Field{Field: "不通过的理由", Reason: "必填"})
			}
			b.History = append(b.History, event(now, "变更审核不通过", byName(p), note))
		}
		b.Change = nil
		return nil
	})
}

// Exit exits (清退) an agency with a reason (第十九条、第三十二条).
func (s *Service) Exit(ctx context.Context, p auth.Principal, id int64, reason string) (AgencyView, error) {
	return s.updateAgency(ctx, p, id, "exit", func(a *store.MarketAgency, b *Agency) error {
		if p.Kind != auth.System && !s.operates(ctx, p, b.OperatorID) {
			return refuse("只有该中介超市的运维人员可以清退中介机构")
		}
		if a.State != AgencyActive {
			return fault.Newf(fault.Conflict, "只有已入驻的中介机构可以清退（当前为“%s”）", AgencyStateLabel(a.State))
		}
		if reason = strings.TrimSpace(reason); reason == "" {
			return fault.New(fault.Invalid, "清退理由：必填", fault.Field{Field: "清退理由", Reason: "必填"})
		}
		a.State, b.Reasons = AgencyExited, reason
		b.History = append(b.History, event(s.now(), "清退", byName(p), reason))
		return nil
	})
}
