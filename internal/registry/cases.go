package registry

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

// Evidence is what a case shows: the registrations involved and why.
type Evidence struct {
	Reasons       []string          `json:"reasons"`
	Registrations []EvidenceEntry   `json:"registrations"`
	Centre        bool              `json:"centre,omitempty"` // two provinces' authorities: the code centre's
	Assigned      string            `json:"assigned"`         // why this authority corrects
	Extra         map[string]string `json:"extra,omitempty"`
}

// EvidenceEntry is one registration as it stood when the case was found.
type EvidenceEntry struct {
	USCC          string   `json:"uscc"`
	Name          string   `json:"name"`
	FormerNames   []string `json:"former_names,omitempty"`
	LegalRep      string   `json:"legal_rep"`
	Status        string   `json:"status"`
	Founded       string   `json:"founded"`
	AuthorityCode string   `json:"authority_code"`
	AuthorityName string   `json:"authority_name"`
	Approval      string   `json:"approval,omitempty"`
	Address       string   `json:"address,omitempty"`
}

// province is the province of an authority: positions 3-4 of its code.
func province(authority string) string {
	if len(authority) < 8 {
		return ""
	}
	return authority[2:4]
}

// assign decides who corrects (谁赋码、谁纠错): for a 错码 the authority
// that registered it; for 一码多赋 the authority whose system and province
// the code names (else the earliest registration's); for 重复赋码 the
// authority that assigned the later code. Authorities of two provinces
// make it the code centre's.
func assign(f rawFinding, regs []store.Registration) (authority, why string, centre bool) {
	provs := map[string]bool{}
	for _, a := range f.Auths {
		provs[province(a)] = true
	}
	if len(provs) > 1 {
		return store.CodeCentre, "涉及两个省（区、市）的登记管理部门，由省代码中心报请国家代码中心处理", true
	}
	involved := slices.DeleteFunc(slices.Clone(regs), func(g store.Registration) bool {
		return !slices.Contains(f.Codes, g.USCC) || !slices.Contains(f.Auths, g.AuthorityCode) || !Holds(&g)
	})
	if len(involved) == 0 {
		return f.Auths[0], "登记该代码的登记管理部门", false
	}
	switch f.Type {
	case TypeMultiHeld:
		c := f.Codes[0]
		for _, g := range involved {
			if g.DeptCode == c[:1] && len(g.AuthorityCode) == 18 && g.AuthorityCode[2:8] == c[2:8] {
				return g.AuthorityCode, "代码的登记管理部门码和行政区划码所指的登记管理部门（谁赋码、谁纠错）", false
			}
		}
		for _, g := range involved {
			if g.DeptCode == c[:1] && province(g.AuthorityCode) == c[2:4] {
				return g.AuthorityCode, "代码的登记管理部门码和行政区划码所指的登记管理部门（谁赋码、谁纠错）", false
			}
		}
		slices.SortFunc(involved, func(a, b store.Registration) int {
			if a.Founded != b.Founded {
				return compareStr(a.Founded, b.Founded)
			}
			return a.FirstSeen.Compare(b.FirstSeen)
		})
		return involved[0].AuthorityCode, "最早登记该代码的登记管理部门（谁赋码、谁纠错）", false
	case TypeDuplicate:
		slices.SortFunc(involved, func(a, b store.Registration) int {
			if a.Founded != b.Founded {
				return compareStr(b.Founded, a.Founded)
			}
			return b.FirstSeen.Compare(a.FirstSeen)
		})
		return involved[0].AuthorityCode, "赋予较晚代码的登记管理部门（谁赋码、谁纠错）", false
	}
	return involved[0].AuthorityCode, "登记该代码的登记管理部门（谁赋码、谁纠错）", false
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// build turns raw findings into the cases' findings: evidence from regs
// (which must hold every registration of the findings' codes), the
// authority and the due date.
func (s *Service) build(_ context.Context, raw []rawFinding, regs []store.Registration) ([]store.RegistryFinding, error) {
	byCode := map[string][]store.Registration{}
	for _, g := range regs {
		byCode[g.USCC] = append(byCode[g.USCC], g)
	}
	timer, err := s.Clock.Start(Step, s.now())
	if err != nil {
		return nil, err
	}
	out := make([]store.RegistryFinding, 0, len(raw))
	for _, f := range raw {
		var mine []store.Registration
		for _, c := range f.Codes {
			mine = append(mine, byCode[c]...)
		}
		authority, why, centre := assign(f, mine)
		ev := Evidence{Reasons: f.Reasons, Centre: centre, Assigned: why}
		for _, g := range mine {
			if !slices.Contains(f.Auths, g.AuthorityCode) && f.Type != TypeMultiHeld {
				continue
			}
			ev.Registrations = append(ev.Registrations, EvidenceEntry{USCC: g.USCC, Name: g.Name, FormerNames: g.FormerNames,
				LegalRep: g.LegalRep, Status: g.Status, Founded: g.Founded, AuthorityCode: g.AuthorityCode,
				AuthorityName: g.AuthorityName, Approval: g.Approval, Address: g.Address})
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return nil, err
		}
		region := ""
		if authority != store.CodeCentre && len(authority) >= 8 {
			region = authority[2:8]
		}
		out = append(out, store.RegistryFinding{Key: f.Key, Type: f.Type, Codes: f.Codes, Authority: authority,
			Region: region, Evidence: b, Due: timer.Due.String()})
	}
	return out, nil
}

// CaseEvidence decodes a case's evidence.
func CaseEvidence(c store.RegistryCase) Evidence {
	var ev Evidence
	_ = json.Unmarshal(c.Evidence, &ev)
	return ev
}

// RequestWhitelist files the authority's request to whitelist an open
// case, with its reason and evidence (government approval documents).
func (s *Service) RequestWhitelist(ctx context.Context, id int64, p auth.Principal, text string, audit auth.AuditEntry) (store.RegistryCase, error) {
	c, err := s.Store.GetRegistryCase(ctx, id)
	if err != nil {
		return c, err
	}
	if c.State != store.CaseOpen {
		return c, fault.New(fault.Conflict, "该案件不在待纠错状态，不能申请白名单")
	}
	if len([]rune(text)) < 10 {
		return c, fault.New(fault.Invalid, "白名单申请不完整", fault.Field{Field: "request", Reason: "请写明申请理由并列出证明材料（如政府批复文件的文号），至少10个字"})
	}
	c.State, c.Request, c.Actor = store.CaseWhitelistRq, text, p.String()
	audit.Action = "registry.whitelist_request"
	return c, s.Store.UpdateRegistryCase(ctx, c, store.CaseOpen, false, audit)
}

// DecideWhitelist is the code centre's decision on a request: approved,
// the problem is whitelisted and never reported again; refused, the case
// is open again.
func (s *Service) DecideWhitelist(ctx context.Context, id int64, p auth.Principal, approve bool, note string, audit auth.AuditEntry) (store.RegistryCase, error) {
	c, err := s.Store.GetRegistryCase(ctx, id)
	if err != nil {
		return c, err
	}
	if c.State != store.CaseWhitelistRq {
		return c, fault.New(fault.Conflict, "该案件没有待审核的白名单申请")
	}
	c.Actor = p.String()
	audit.Action = "registry.whitelist_decide"
	if approve {
		c.State, c.Resolution, c.ClosedAt = store.CaseWhitelisted, "纳入白名单："+note, s.now()
		return c, s.Store.UpdateRegistryCase(ctx, c, store.CaseWhitelistRq, true, audit)
	}
	c.State, c.Resolution = store.CaseOpen, "白名单申请未通过："+note
	return c, s.Store.UpdateRegistryCase(ctx, c, store.CaseWhitelistRq, false, audit)
}

// Overdue reports whether an open case is past its due day on now.
func Overdue(c store.RegistryCase, now time.Time) bool {
	if c.State != store.CaseOpen && c.State != store.CaseWhitelistRq {
		return false
	}
	return c.Due != "" && now.In(calendar.Location()).Format("2006-01-02") > c.Due
}
