package lending

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/check"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store"
)

// Audit actions.
const (
	AuditLender  = "lending.lender"  // an organisation registered as a lender
	AuditGrant   = "lending.grant"   // a grant made or revoked (Outcome grant or revoke), with the firm as subject
	AuditRead    = "lending.read"    // a lender read a firm within its grants: in the firm's query history
	AuditOutcome = "lending.outcome" // a lender reported an outcome
)

// Service runs 信易贷.
type Service struct {
	Store      store.Store
	Auth       *auth.Authorizer
	Catalog    *catalog.Catalog
	Config     *Config
	Checker    *check.Checker      // bad records and lists, for the monthly list
	Portal     *portal.Service     // the public file
	Evaluation *evaluation.Service // the grade (nil: none)
	Now        func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) today() calendar.Date { return calendar.FromTime(s.now()) }

func refused(msg string) error { return fault.New(fault.Refused, msg) }

func invalid(field, reason string) error {
	return fault.New(fault.Invalid, reason, fault.Field{Field: "body." + field, Reason: reason})
}

// AddLender registers org as a lender of kind (the platform's side of
// 双授权). Only the operator's staff managing organisations, or the
// command line, may.
func (s *Service) AddLender(ctx context.Context, p auth.Principal, orgID int64, kind string) (store.Lender, error) {
	o, err := s.Store.GetOrg(ctx, orgID)
	if err != nil {
		return store.Lender{}, err
	}
	if d := s.Auth.Decide(p, auth.OrgManage, auth.Resource{OrgPath: o.Path}); !d.Allow {
		return store.Lender{}, refused(d.Reason)
	}
	if o.Kind != auth.Dept || o.USCC == "" || o.Disabled {
		return store.Lender{}, fault.Newf(fault.Invalid, "机构“%s”不是有统一社会信用代码的在用单位，不能登记为金融机构", o.Name)
	}
	if !slices.Contains(s.Config.LenderKinds, kind) {
		return store.Lender{}, fault.Newf(fault.Invalid, "金融机构类别应为%s之一", strings.Join(s.Config.LenderKinds, "、"))
	}
	return s.Store.AddLender(ctx, store.Lender{OrgID: o.ID, Kind: kind, CreatedBy: p.String()},
		auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: AuditLender, Outcome: "add", Detail: o.Name + "（" + kind + "）"})
}

// LenderView is a lender with its organisation.
type LenderView struct {
	Org  auth.Org
	Kind string
}

// Lenders lists the registered lenders that are in use.
func (s *Service) Lenders(ctx context.Context) ([]LenderView, error) {
	ls, err := s.Store.ListLenders(ctx)
	if err != nil {
		return nil, err
	}
	var out []LenderView
	for _, l := range ls {
		o, err := s.Store.GetOrg(ctx, l.OrgID)
		if err != nil {
			return nil, err
		}
		if !o.Disabled {
			out = append(out, LenderView{Org: o, Kind: l.Kind})
		}
	}
	return out, nil
}

// firm is the firm p's account is, if p may grant for it.
func (s *Service) firm(ctx context.Context, p auth.Principal) (credit.Subject, error) {
	if p.Kind != auth.UserKind || p.SubjectID == 0 {
		return credit.Subject{}, refused("仅企业本身的账户可授权金融机构查询")
	}
	if d := s.Auth.Decide(p, auth.GrantManage, auth.Resource{SubjectID: p.SubjectID}); !d.Allow {
		return credit.Subject{}, refused(d.Reason)
	}
	sub, err := s.Store.GetSubject(ctx, p.SubjectID)
	if err != nil {
		return credit.Subject{}, err
	}
	if sub.Class != credit.ClassOrg && sub.Class != credit.ClassSole {
		return credit.Subject{}, refused("信易贷授权只适用于企业和个体工商户")
	}
	return sub, nil
}

// MayGrant reports whether p is the account of a firm (an organisation or
// sole trader) that may authorise lenders: the menu shows 信易贷 to it, and
// not to a person's account, which the grants page refuses.
func (s *Service) MayGrant(ctx context.Context, p auth.Principal) bool {
	_, err := s.firm(ctx, p)
	return err == nil
}

// lender is the lender p works for.
func (s *Service) lender(ctx context.Context, p auth.Principal) (store.Lender, error) {
	if !p.Staff() {
		return store.Lender{}, refused("仅金融机构的账户或接口密钥可查询")
	}
	if d := s.Auth.Decide(p, auth.LenderRead, auth.Resource{OrgPath: p.Org.Path}); !d.Allow {
		return store.Lender{}, refused(d.Reason)
	}
	ls, err := s.Store.ListLenders(ctx)
	if err != nil {
		return store.Lender{}, err
	}
	for _, l := range ls {
		if l.OrgID == p.Org.ID {
			return l, nil
		}
	}
	return store.Lender{}, refused("本机构未经平台登记为金融机构")
}

// LendingGrantIn is a firm's grant.
type LendingGrantIn struct {
	Lender    int64    `json:"lender" doc:"The lender's organisation ID (GET /api/v1/lenders)."`
	Groups    []string `json:"groups" doc:"Data groups: tax, social, fund, utility." minItems:"1"`
	Purpose   string   `json:"purpose" doc:"What for (e.g. 流动资金贷款申请)." maxLength:"200"`
	ValidFrom string   `json:"valid_from,omitempty" format:"date" doc:"First day (default today)."`
	ValidTo   string   `json:"valid_to" format:"date" doc:"Last day, at most max_months (12) after the first."`
}

// GrantView is a grant with names.
type GrantView struct {
	G          store.LendingGrant
	Lender     auth.Org
	LenderKind string
	Firm       credit.Subject
	Groups     []Group
	Live       bool
}

// Live reports whether g allows a read on day.
func Live(g store.LendingGrant, day calendar.Date) bool {
	from, err1 := calendar.ParseDate(g.ValidFrom)
	to, err2 := calendar.ParseDate(g.ValidTo)
	return g.RevokedAt.IsZero() && err1 == nil && err2 == nil && !day.Before(from) && !day.After(to)
}

func (s *Service) grantView(ctx context.Context, g store.LendingGrant, lenders map[int64]string) (GrantView, error) {
	v := GrantView{G: g, LenderKind: lenders[g.LenderID], Live: Live(g, s.today())}
	var err error
	if v.Lender, err = s.Store.GetOrg(ctx, g.LenderID); err != nil {
		return v, err
	}
	if v.Firm, err = s.Store.GetSubject(ctx, g.SubjectID); err != nil {
		return v, err
	}
	for _, c := range g.Groups {
		if gr, ok := s.Config.Group(c); ok {
			v.Groups = append(v.Groups, gr)
		}
	}
	return v, nil
}

func (s *Service) lenderKinds(ctx context.Context) (map[int64]string, error) {
	ls, err := s.Store.ListLenders(ctx)
	m := map[int64]string{}
	for _, l := range ls {
		m[l.OrgID] = l.Kind
	}
	return m, err
}

// Grant records a firm's grant.
func (s *Service) Grant(ctx context.Context, p auth.Principal, in LendingGrantIn) (GrantView, error) {
	sub, err := s.firm(ctx, p)
	if err != nil {
		return GrantView{}, err
	}
	kinds, err := s.lenderKinds(ctx)
	if err != nil {
		return GrantView{}, err
	}
	if _, ok := kinds[in.Lender]; !ok {
		return GrantView{}, invalid("lender", "请选择经平台登记的金融机构")
	}
	lo, err := s.Store.GetOrg(ctx, in.Lender)
	if err != nil || lo.Disabled {
		return GrantView{}, invalid("lender", "该金融机构已停用")
	}
	var groups []string
	for _, c := range in.Groups {
		if _, ok := s.Config.Group(c); !ok {
			return GrantView{}, invalid("groups", "未知的数据组“"+c+"”")
		}
		if !slices.Contains(groups, c) {
			groups = append(groups, c)
		}
	}
	if len(groups) == 0 {
		return GrantView{}, invalid("groups", "请至少选择一个授权查询的数据组")
	}
	in.Purpose = strings.TrimSpace(in.Purpose)
	if in.Purpose == "" || utf8.RuneCountInString(in.Purpose) > 200 {
		return GrantView{}, invalid("purpose", "请填写授权用途（不超过200字）")
	}
	today := s.today()
	from := today
	if in.ValidFrom != "" {
		if from, err = calendar.ParseDate(in.ValidFrom); err != nil {
			return GrantView{}, invalid("valid_from", "授权起始日期格式应为YYYY-MM-DD")
		}
		if from.Before(today) {
			return GrantView{}, invalid("valid_from", "授权起始日期不能早于今天")
		}
	}
	to, err := calendar.ParseDate(in.ValidTo)
	if err != nil {
		return GrantView{}, invalid("valid_to", "请填写授权截止日期（YYYY-MM-DD）")
	}
	if to.Before(from) {
		return GrantView{}, invalid("valid_to", "授权截止日期不能早于起始日期")
	}
	if to.After(from.AddMonths(s.Config.MaxMonths)) {
		return GrantView{}, invalid("valid_to", fmt.Sprintf("授权期限不能超过%d个月", s.Config.MaxMonths))
	}
	names := make([]string, len(groups))
	for i, c := range groups {
		g, _ := s.Config.Group(c)
		names[i] = g.Name
	}
	g, err := s.Store.AddGrant(ctx, store.LendingGrant{SubjectID: sub.ID, LenderID: lo.ID, Groups: groups, Purpose: in.Purpose,
		ValidFrom: from.String(), ValidTo: to.String(), CreatedBy: p.String()},
		auth.AuditEntry{Actor: p.String(), Action: AuditGrant, SubjectID: sub.ID, Purpose: in.Purpose, Outcome: "grant",
			Detail: lo.Name + "：" + strings.Join(names, "、") + "，" + from.String() + "至" + to.String()})
	if err != nil {
		return GrantView{}, err
	}
	return s.grantView(ctx, g, kinds)
}

// Revoke revokes one of the firm's grants.
func (s *Service) Revoke(ctx context.Context, p auth.Principal, id int64) (GrantView, error) {
	sub, err := s.firm(ctx, p)
	if err != nil {
		return GrantView{}, err
	}
	g, err := s.Store.GetGrant(ctx, id)
	if err != nil || g.SubjectID != sub.ID {
		return GrantView{}, fault.New(fault.NotFound, "没有这项授权")
	}
	g, err = s.Store.RevokeGrant(ctx, id, p.String(), s.now(), auth.AuditEntry{Actor: p.String(), Action: AuditGrant, SubjectID: sub.ID,
		Purpose: g.Purpose, Outcome: "revoke", Detail: "撤销授权"})
	if errors.Is(err, store.ErrConflict) {
		return GrantView{}, fault.New(fault.Conflict, "该授权已撤销")
	}
	if err != nil {
		return GrantView{}, err
	}
	kinds, err := s.lenderKinds(ctx)
	if err != nil {
		return GrantView{}, err
	}
	return s.grantView(ctx, g, kinds)
}

// Grants lists the grants p may see: a firm's own, or those made to p's
// lender.
func (s *Service) Grants(ctx context.Context, p auth.Principal) ([]GrantView, error) {
	var f store.GrantFilter
	if p.SubjectID != 0 && p.Kind == auth.UserKind {
		sub, err := s.firm(ctx, p)
		if err != nil {
			return nil, err
		}
		f.SubjectID = sub.ID
	} else {
		l, err := s.lender(ctx, p)
		if err != nil {
			return nil, err
		}
		f.LenderID = l.OrgID
	}
	gs, err := s.Store.ListGrants(ctx, f)
	if err != nil {
		return nil, err
	}
	kinds, err := s.lenderKinds(ctx)
	if err != nil {
		return nil, err
	}
	var out []GrantView
	for _, g := range gs {
		v, err := s.grantView(ctx, g, kinds)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Reads lists the lenders' reads of the firm p is (its query history of
// 信易贷), newest first.
func (s *Service) Reads(ctx context.Context, p auth.Principal) ([]auth.AuditEntry, error) {
	sub, err := s.firm(ctx, p)
	if err != nil {
		return nil, err
	}
	return s.Store.ListAudit(ctx, store.AuditFilter{SubjectID: sub.ID, Actions: []string{AuditRead}, Limit: 500})
}

// LendingDataField is a field of a record as the lender sees it.
type LendingDataField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// LendingDataRow is one record of a granted group.
type LendingDataRow struct {
	Kind     string             `json:"kind"`
	KindName string             `json:"kind_name"`
	Period   string             `json:"period" doc:"所属期止."`
	Fields   []LendingDataField `json:"fields"`
}

// LendingDataGroup is a granted group and its records.
type LendingDataGroup struct {
	Code string           `json:"code"`
	Name string           `json:"name"`
	Rows []LendingDataRow `json:"rows"`
}

// LendingPublicSection is a section of the public credit file.
type LendingPublicSection struct {
	Title  string   `json:"title"`
	Count  int      `json:"count"`
	Titles []string `json:"titles" doc:"Each public record's kind and document number."`
}

// FirmView is what a lender reads of a firm.
type FirmView struct {
	Subject    credit.Subject
	Grants     []store.LendingGrant // the live grants the read is within
	Groups     []LendingDataGroup   // exactly the groups granted
	Public     []LendingPublicSection
	Evaluation *evaluation.Brief
}

// Read is a lender's read of the firm with code, within its live grants:
// refused (and recorded as refused) when there is none.
func (s *Service) Read(ctx context.Context, p auth.Principal, code string) (FirmView, error) {
	l, err := s.lender(ctx, p)
	if err != nil {
		return FirmView{}, err
	}
	noGrant := refused("该企业未授权本机构查询，或授权已撤销、已过期")
	sub, err := s.Store.FindSubjectByCode(ctx, strings.ToUpper(strings.TrimSpace(code)))
	if errors.Is(err, store.ErrNotFound) {
		return FirmView{}, noGrant
	}
	if err != nil {
		return FirmView{}, err
	}
	gs, err := s.Store.ListGrants(ctx, store.GrantFilter{SubjectID: sub.ID, LenderID: l.OrgID})
	if err != nil {
		return FirmView{}, err
	}
	today := s.today()
	v := FirmView{Subject: sub}
	var groups, targets []string
	purposes := map[string]bool{}
	for _, g := range gs {
		if !Live(g, today) {
			continue
		}
		v.Grants = append(v.Grants, g)
		targets = append(targets, "grant:"+strconv.FormatInt(g.ID, 10))
		purposes[g.Purpose] = true
		for _, c := range g.Groups {
			if !slices.Contains(groups, c) {
				groups = append(groups, c)
			}
		}
	}
	if len(v.Grants) == 0 {
		_, _ = s.Store.Audit(ctx, auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: auth.AuditDenied, Target: "subject:" + strconv.FormatInt(sub.ID, 10),
			Outcome: "denied", Detail: "信易贷：无有效授权"})
		return FirmView{}, noGrant
	}
	var kinds []string
	var names []string
	for _, c := range s.Config.Groups { // catalogue order of groups
		if slices.Contains(groups, c.Code) {
			kinds = append(kinds, c.Kinds...)
			names = append(names, c.Name)
		}
	}
	recs, err := s.Store.SubjectsRecords(ctx, []int64{sub.ID}, kinds)
	if err != nil {
		return FirmView{}, err
	}
	for _, c := range s.Config.Groups {
		if !slices.Contains(groups, c.Code) {
			continue
		}
		gd := LendingDataGroup{Code: c.Code, Name: c.Name, Rows: []LendingDataRow{}}
		for _, r := range recs {
			if !slices.Contains(c.Kinds, r.Kind) || r.State == store.StateRevoked {
				continue
			}
			k, ok := s.Catalog.Kind(r.Kind)
			if !ok {
				continue
			}
			fields, err := store.DecodeFields(r.Fields)
			if err != nil {
				return FirmView{}, err
			}
			row := LendingDataRow{Kind: k.Code, KindName: k.Name, Period: fields["period_end"], Fields: []LendingDataField{}}
			for _, f := range k.Fields {
				if val := fields[f.Key]; val != "" && !strings.HasPrefix(f.Key, "source_dept") {
					row.Fields = append(row.Fields, LendingDataField{Name: f.Name, Value: val})
				}
			}
			gd.Rows = append(gd.Rows, row)
		}
		sort.SliceStable(gd.Rows, func(i, j int) bool { return gd.Rows[i].Period > gd.Rows[j].Period })
		v.Groups = append(v.Groups, gd)
	}
	if s.Portal != nil {
		f, err := s.Portal.File(ctx, s.Portal.SubjectRef(sub), today, false)
		if err != nil {
			return FirmView{}, err
		}
		for _, sec := range f.Sections {
			if sec.Pending {
				continue
			}
			ps := LendingPublicSection{Title: sec.Title, Count: sec.Count(), Titles: []string{}}
			for _, r := range sec.Records {
				ps.Titles = append(ps.Titles, r.Title())
			}
			v.Public = append(v.Public, ps)
		}
	}
	if s.Evaluation != nil {
		briefs, err := s.Evaluation.Briefs(ctx, []int64{sub.ID}, nil, today)
		if err != nil {
			return FirmView{}, err
		}
		if b, ok := briefs[sub.ID]; ok {
			v.Evaluation = &b
		}
	}
	var ps []string
	for p := range purposes {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	// The read is recorded before anything is returned.
	if _, err := s.Store.Audit(ctx, auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: AuditRead, Target: strings.Join(targets, ","),
		SubjectID: sub.ID, Purpose: "信易贷：" + strings.Join(ps, "；"), Outcome: "ok", Detail: "读取" + strings.Join(names, "、")}); err != nil {
		return FirmView{}, err
	}
	return v, nil
}

// Listed is a firm on a lender's monthly list.
type Listed struct {
	Subject    credit.Subject
	Grant      store.LendingGrant
	Evaluation *evaluation.Brief
}

// MonthDay is the day a month's list is drawn up for: its last day, or
// today for the current month.
func (s *Service) MonthDay(month string) (calendar.Date, error) {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return calendar.Date{}, invalid("month", "月份格式应为YYYY-MM")
	}
	first := calendar.Date{Year: t.Year(), Month: t.Month(), Day: 1}
	last := first.AddMonths(1).AddDays(-1)
	today := s.today()
	if today.Before(first) {
		return calendar.Date{}, invalid("month", "不能查询将来的月份")
	}
	if today.Before(last) {
		return today, nil
	}
	return last, nil
}

// Creditworthy is the monthly list (守信企业名单) for p's lender: the firms
// whose grant to it is live on the month's day and that have, that day,
// no bad record in publicity and no entry in force on a list of failings
// (严重失信主体名单, 经营异常名录, 重点关注名单).
func (s *Service) Creditworthy(ctx context.Context, p auth.Principal, month string) ([]Listed, error) {
	l, err := s.lender(ctx, p)
	if err != nil {
		return nil, err
	}
	day, err := s.MonthDay(month)
	if err != nil {
		return nil, err
	}
	gs, err := s.Store.ListGrants(ctx, store.GrantFilter{LenderID: l.OrgID})
	if err != nil {
		return nil, err
	}
	byFirm := map[int64]store.LendingGrant{}
	var ids []int64
	for _, g := range gs {
		if !Live(g, day) {
			continue
		}
		if _, ok := byFirm[g.SubjectID]; !ok {
			ids = append(ids, g.SubjectID)
		}
		byFirm[g.SubjectID] = g
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var kinds []string
	for _, k := range s.Catalog.Kinds() {
		if k.Nature == catalog.NatureBad || slices.Contains(s.Checker.Lists.Kinds(), k.Code) {
			kinds = append(kinds, k.Code)
		}
	}
	recs, err := s.Store.SubjectsRecords(ctx, ids, kinds)
	if err != nil {
		return nil, err
	}
	bySubject := map[int64][]store.Record{}
	for _, r := range recs {
		bySubject[r.SubjectID] = append(bySubject[r.SubjectID], r)
	}
	var briefs map[int64]evaluation.Brief
	if s.Evaluation != nil {
		if briefs, err = s.Evaluation.Briefs(ctx, ids, nil, day); err != nil {
			return nil, err
		}
	}
	var out []Listed
	for _, id := range ids {
		res, err := s.Checker.Evaluate("credit", day, bySubject[id])
		if err != nil {
			return nil, err
		}
		if res.Bad["serious"]+res.Bad["general"]+res.Bad["minor"] > 0 || slices.ContainsFunc(res.Lists, func(h check.ListHit) bool { return lists.Class(h.Class).Bad() }) {
			continue
		}
		sub, err := s.Store.GetSubject(ctx, id)
		if err != nil {
			return nil, err
		}
		ls := Listed{Subject: sub, Grant: byFirm[id]}
		if b, ok := briefs[id]; ok {
			ls.Evaluation = &b
		}
		out = append(out, ls)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Subject.USCC < out[j].Subject.USCC })
	return out, nil
}

// LendingOutcomeIn is a lender's report of an application.
type LendingOutcomeIn struct {
	Grant      int64  `json:"grant" doc:"The grant the application was made under."`
	Month      string `json:"month" doc:"YYYY-MM the decision was made in." pattern:"^[0-9]{4}-[0-9]{2}$"`
	Outcome    string `json:"outcome" enum:"granted,declined"`
	AmountBand string `json:"amount_band,omitempty" doc:"For a loan granted: 100万元以下, 100万-500万元, 500万-1000万元, 1000万元以上."`
}

// Report stores a lender's outcome (a second one for the same grant and
// month corrects the first).
func (s *Service) Report(ctx context.Context, p auth.Principal, in LendingOutcomeIn) (store.LendingOutcome, error) {
	l, err := s.lender(ctx, p)
	if err != nil {
		return store.LendingOutcome{}, err
	}
	g, err := s.Store.GetGrant(ctx, in.Grant)
	if err != nil || g.LenderID != l.OrgID {
		return store.LendingOutcome{}, fault.New(fault.NotFound, "没有这项对本机构的授权")
	}
	if _, err := s.MonthDay(in.Month); err != nil {
		return store.LendingOutcome{}, err
	}
	switch in.Outcome {
	case Granted:
		if !slices.Contains(s.Config.AmountBands, in.AmountBand) {
			return store.LendingOutcome{}, invalid("amount_band", "已放款的请选择金额区间："+strings.Join(s.Config.AmountBands, "、"))
		}
	case Declined:
		in.AmountBand = ""
	default:
		return store.LendingOutcome{}, invalid("outcome", "结果应为granted（已放款）或declined（未放款）")
	}
	return s.Store.AddOutcome(ctx, store.LendingOutcome{LenderID: l.OrgID, SubjectID: g.SubjectID, GrantID: g.ID, Month: in.Month,
		Outcome: in.Outcome, AmountBand: in.AmountBand, ReportedBy: p.String()},
		auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: AuditOutcome, Outcome: in.Outcome, Detail: in.Month + " " + in.AmountBand})
}

// LendingStats are a month's outcomes over every lender.
type LendingStats struct {
	Month    string         `json:"month"`
	Reported int            `json:"reported"`
	Granted  int            `json:"granted"`
	Declined int            `json:"declined"`
	ByBand   map[string]int `json:"by_band" doc:"Loans granted per amount band."`
	ByKind   map[string]int `json:"by_lender_kind" doc:"Loans granted per kind of lender."`
	Own      int            `json:"own" doc:"Of them reported by the reader's lender."`
	Grants   int            `json:"live_grants" doc:"Grants live on the month's day, every lender."`
}

// Statistics counts a month's outcomes (for a lender).
func (s *Service) Statistics(ctx context.Context, p auth.Principal, month string) (LendingStats, error) {
	l, err := s.lender(ctx, p)
	if err != nil {
		return LendingStats{}, err
	}
	day, err := s.MonthDay(month)
	if err != nil {
		return LendingStats{}, err
	}
	os, err := s.Store.ListOutcomes(ctx, 0, month)
	if err != nil {
		return LendingStats{}, err
	}
	kinds, err := s.lenderKinds(ctx)
	if err != nil {
		return LendingStats{}, err
	}
	st := LendingStats{Month: month, Reported: len(os), ByBand: map[string]int{}, ByKind: map[string]int{}}
	for _, o := range os {
		if o.LenderID == l.OrgID {
			st.Own++
		}
		if o.Outcome == Granted {
			st.Granted++
			st.ByBand[o.AmountBand]++
			st.ByKind[kinds[o.LenderID]]++
		} else {
			st.Declined++
		}
	}
	gs, err := s.Store.ListGrants(ctx, store.GrantFilter{})
	if err != nil {
		return LendingStats{}, err
	}
	for _, g := range gs {
		if Live(g, day) {
			st.Grants++
		}
	}
	return st, nil
}
