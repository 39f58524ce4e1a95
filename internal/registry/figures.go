package registry

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/match"
	"github.com/xinyong/xinyong/internal/store"
)

// The city-monitoring indicators 重错码率 and 纠正率 (城市信用状况监测预警指标
// 2020年版, 统一社会信用代码情况), per authority and per region, month by
// month.
//
//	重错码率(M) = problems open at the end of M / registrations holding codes known by the end of M
//	纠正率(M)   = problems ended (corrected or whitelisted) by the end of M / problems found by the end of M
//
// A problem is a case; registrations are counted from the month the
// registry first saw them.

// Rate is an exact fraction; Den 0 means undefined (shown as —).
type Rate struct {
	Num int `json:"num"`
	Den int `json:"den"`
}

// Value is the rate as a fraction (0 when undefined).
func (r Rate) Value() float64 {
	if r.Den == 0 {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

// Percent formats the rate with the given decimals, "—" when undefined.
func (r Rate) Percent(decimals int) string {
	if r.Den == 0 {
		return "—"
	}
	return fmt.Sprintf("%.*f%%", decimals, 100*r.Value())
}

// Point is one month's figures of one line (an authority, a region or the
// total).
type Point struct {
	Month      string `json:"month"`
	Registered int    `json:"registered"`
	Open       int    `json:"open"`
	Found      int    `json:"found"`
	Ended      int    `json:"ended"`
	ErrorRate  Rate   `json:"error_rate"`      // 重错码率
	FixRate    Rate   `json:"correction_rate"` // 纠正率
}

// Line is the figures of one authority or region over the months.
type Line struct {
	Key    string  `json:"key"`   // authority USCC, region code, or "" for the total
	Label  string  `json:"label"` // authority name or place name
	Points []Point `json:"points"`
}

// Figures is what the figures page and API show.
type Figures struct {
	Months      []string `json:"months"`
	Total       Line     `json:"total"`
	Authorities []Line   `json:"authorities"`
	Regions     []Line   `json:"regions"`
}

// Months returns the n months ending with the month of now (China).
func Months(now time.Time, n int) []string {
	d := calendar.FromTime(now)
	out := make([]string, n)
	for i := n - 1; i >= 0; i-- {
		out[i] = fmt.Sprintf("%04d-%02d", d.Year, int(d.Month))
		d = calendar.NewDate(d.Year, d.Month, 1).AddMonths(-1)
	}
	return out
}

// monthOf is the month (China) of an instant.
func monthOf(t time.Time) string {
	return t.In(calendar.Location()).Format("2006-01")
}

// Figures computes the figures over the months ending with now's.
func (s *Service) Figures(ctx context.Context, months int) (Figures, error) {
	f := Figures{Months: Months(s.now(), months)}
	counts, err := s.Store.RegistrationCounts(ctx)
	if err != nil {
		return f, err
	}
	cases, err := s.Store.RegistryCases(ctx, store.RegistryCaseFilter{})
	if err != nil {
		return f, err
	}
	names := map[string]string{}
	regs := map[string]bool{}
	for _, c := range counts {
		regs[c.Authority] = true
	}
	var codes []string
	for a := range regs {
		codes = append(codes, a)
	}
	slices.Sort(codes)
	// Authorities' names: from their own registrations when registered,
	// else from what their registrations say.
	if err := s.authorityNames(ctx, names); err != nil {
		return f, err
	}
	type acc struct{ reg, found, ended, open []int }
	newAcc := func() *acc {
		n := len(f.Months)
		return &acc{make([]int, n), make([]int, n), make([]int, n), make([]int, n)}
	}
	byAuth, byRegion, total := map[string]*acc{}, map[string]*acc{}, newAcc()
	get := func(m map[string]*acc, k string) *acc {
		if a, ok := m[k]; ok {
			return a
		}
		a := newAcc()
		m[k] = a
		return a
	}
	regionOf := func(auth string) string {
		if auth == store.CodeCentre || len(auth) < 8 {
			return ""
		}
		return auth[2:6] + "00"
	}
	for _, c := range counts {
		for i, m := range f.Months {
			if c.Month <= m {
				for _, a := range []*acc{get(byAuth, c.Authority), get(byRegion, regionOf(c.Authority)), total} {
					a.reg[i] += c.N
				}
			}
		}
	}
	for _, c := range cases {
		opened := monthOf(c.OpenedAt)
		closed := ""
		if !c.ClosedAt.IsZero() {
			closed = monthOf(c.ClosedAt)
		}
		for i, m := range f.Months {
			if opened > m {
				continue
			}
			ended := closed != "" && closed <= m
			for _, a := range []*acc{get(byAuth, c.Authority), get(byRegion, regionOf(c.Authority)), total} {
				a.found[i]++
				if ended {
					a.ended[i]++
				} else {
					a.open[i]++
				}
			}
		}
	}
	line := func(key, label string, a *acc) Line {
		l := Line{Key: key, Label: label}
		for i, m := range f.Months {
			l.Points = append(l.Points, Point{Month: m, Registered: a.reg[i], Open: a.open[i], Found: a.found[i], Ended: a.ended[i],
				ErrorRate: Rate{a.open[i], a.reg[i]}, FixRate: Rate{a.ended[i], a.found[i]}})
		}
		return l
	}
	f.Total = line("", "合计", total)
	for _, k := range sortedKeys(byAuth) {
		label := names[k]
		if k == store.CodeCentre {
			label = "省代码中心（跨省）"
		} else if label == "" {
			label = k
		}
		f.Authorities = append(f.Authorities, line(k, label, byAuth[k]))
	}
	for _, k := range sortedKeys(byRegion) {
		label := "跨省（省代码中心）"
		if k != "" {
			label = match.PlaceName(k)
		}
		f.Regions = append(f.Regions, line(k, label, byRegion[k]))
	}
	return f, nil
}

func sortedKeys[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// authorityNames fills the names of the authorities known from cases'
// evidence and registrations.
func (s *Service) authorityNames(ctx context.Context, names map[string]string) error {
	cases, err := s.Store.RegistryCases(ctx, store.RegistryCaseFilter{})
	if err != nil {
		return err
	}
	for _, c := range cases {
		for _, e := range CaseEvidence(c).Registrations {
			if e.AuthorityName != "" {
				names[e.AuthorityCode] = e.AuthorityName
			}
		}
	}
	return nil
}

// AuthorityName is the name of an authority as its registrations give it.
func AuthorityName(c store.RegistryCase) string {
	if c.Authority == store.CodeCentre {
		return "省代码中心"
	}
	for _, e := range CaseEvidence(c).Registrations {
		if e.AuthorityCode == c.Authority {
			return e.AuthorityName
		}
	}
	return c.Authority
}

// StateLabel names a case state in Chinese.
func StateLabel(state string) string {
	switch state {
	case store.CaseOpen:
		return "待纠错"
	case store.CaseWhitelistRq:
		return "白名单待审核"
	case store.CaseClosed:
		return "已纠正"
	case store.CaseWhitelisted:
		return "已纳入白名单"
	}
	return state
}

// Notice writes the 督促通报 (progress notice): per authority, its open
// cases with their deadlines, overdue first, and the figures of the
// month, as plain text.
func (s *Service) Notice(ctx context.Context, w io.Writer) error {
	now := s.now()
	open, err := s.Store.RegistryCases(ctx, store.RegistryCaseFilter{States: []string{store.CaseOpen, store.CaseWhitelistRq}})
	if err != nil {
		return err
	}
	fig, err := s.Figures(ctx, 1)
	if err != nil {
		return err
	}
	day := calendar.FromTime(now)
	fmt.Fprintf(w, "统一社会信用代码重错码纠错工作督促通报\n\n截至%d年%d月%d日，登记库共有赋码登记%d条，重错码案件%d件，其中尚未纠正%d件；重错码率%s，纠正率%s。\n",
		day.Year, int(day.Month), day.Day, fig.Total.Points[0].Registered, fig.Total.Points[0].Found, fig.Total.Points[0].Open,
		fig.Total.Points[0].ErrorRate.Percent(3), fig.Total.Points[0].FixRate.Percent(1))
	fmt.Fprintf(w, "按照“谁赋码、谁纠错”的原则，请下列登记管理部门在办理期限内完成纠错，并将处理后的数据及时回传；逾期未完成的，按规定报请通报批评。\n")
	by := map[string][]store.RegistryCase{}
	for _, c := range open {
		by[c.Authority] = append(by[c.Authority], c)
	}
	if len(by) == 0 {
		fmt.Fprintf(w, "\n目前没有未纠正的重错码案件。\n")
		return nil
	}
	n := 0
	for _, a := range sortedKeys(by) {
		list := by[a]
		slices.SortFunc(list, func(x, y store.RegistryCase) int { return strings.Compare(x.Due, y.Due) })
		overdue := 0
		for _, c := range list {
			if Overdue(c, now) {
				overdue++
			}
		}
		n++
		name := AuthorityName(list[0])
		fmt.Fprintf(w, "\n%d. %s：未纠正%d件，其中逾期%d件\n", n, name, len(list), overdue)
		for _, c := range list {
			mark := ""
			if Overdue(c, now) {
				mark = "（已逾期）"
			}
			fmt.Fprintf(w, "   案件%d  %s  %s  办理期限%s%s  %s\n", c.ID, c.Type, strings.Join(c.Codes, "、"), c.Due, mark, StateLabel(c.State))
		}
	}
	return nil
}

// ReturnFile writes the 回传 file of an authority for the code centre: the
// registrations it holds under the codes of its cases, in the columns of
// the registration kind (GB/T 36104 data-element names), 删除 marked -1.
func (s *Service) ReturnFile(ctx context.Context, authority string, w io.Writer) (int, error) {
	cases, err := s.Store.RegistryCases(ctx, store.RegistryCaseFilter{Authority: authority})
	if err != nil {
		return 0, err
	}
	var codes []string
	for _, c := range cases {
		codes = append(codes, c.Codes...)
	}
	regs, err := s.Store.RegistrationsOf(ctx, dedupe(codes))
	if err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"统一社会信用代码", "机构名称", "组织机构代码", "法定代表人或负责人姓名", "成立日期", "注册地址",
		"登记管理部门名称", "登记管理部门代码", "登记审批机关", "登记状态", "登记业务类型", "登记业务日期", "曾用名"})
	n := 0
	for _, g := range regs {
		if authority != store.CodeCentre && g.AuthorityCode != authority {
			continue
		}
		business := g.Business
		status := g.Status
		if status == store.RegistryStatusDeleted {
			business, status = BusinessDelete, StatusCanceled
		}
		_ = cw.Write([]string{g.USCC, g.Name, g.OrgCode, g.LegalRep, g.Founded, g.Address, g.AuthorityName, g.AuthorityCode,
			g.Approval, status, business, g.Day, strings.Join(g.FormerNames, "；")})
		n++
	}
	cw.Flush()
	return n, cw.Error()
}
