package market

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

// Owner is a firm's registration as a project owner (项目业主库). The
// owners are 各级国家机关、事业单位、社会组织和企业 (第二条): government
// bodies are organisations of the platform whose staff hold market.buy; a
// firm (or any body with a USCC that has its own account) registers here
// and then files, cancels, picks, confirms and rates its projects exactly
// as a government owner does, under the same review by the operator.
//
// The text asks no credit check of owners (第三十条、第三十二条 name the
// 中介机构 only), so an owner is not intercepted.
type Owner struct {
	Name     string `json:"name"`
	Code     string `json:"code"`      // USCC
	LegalRep string `json:"legal_rep"` // 法定代表人 (named for 回避, 第二十五条（二）)
	Contact  string `json:"contact"`   // 联系人 (not public)
	Phone    string `json:"phone"`     // 联系电话 (not public)
	// Declared: the 第二十条 undertaking (the information true, accurate
	// and lawful; the marketplace's rules accepted).
	Declared bool      `json:"declared"`
	At       time.Time `json:"at"`
}

// OwnerInput is a firm's registration as an owner.
type OwnerInput struct {
	LegalRep, Contact, Phone string
	Declared                 bool
}

// OwnerDeclaration is what a firm undertakes on registering (第二十条).
const OwnerDeclaration = "本单位对所提供信息和材料的真实性、准确性、合法性负责，并同意遵守中介超市的监督管理规定（第二十条）。"

// RegisterOwner registers p's firm as a project owner. p is the firm's
// own account (a subject with a USCC).
func (s *Service) RegisterOwner(ctx context.Context, p auth.Principal, in OwnerInput) (Owner, error) {
	if p.Kind != auth.UserKind || p.SubjectID == 0 {
		return Owner{}, refuse("只有企业等单位本单位的账户可以登记为项目业主（政府部门由其工作人员直接提交采购项目）")
	}
	sub, err := s.Store.GetSubject(ctx, p.SubjectID)
	if err != nil {
		return Owner{}, err
	}
	if sub.Class == credit.ClassPerson || sub.USCC == "" {
		return Owner{}, refuse("项目业主应为有统一社会信用代码的单位（第二条）")
	}
	var e errs
	o := Owner{Name: sub.Name, Code: sub.USCC, LegalRep: e.text("法定代表人", in.LegalRep, true, 50),
		Contact: e.text("联系人", in.Contact, true, 50), Phone: e.text("联系电话", in.Phone, true, 30), Declared: in.Declared, At: s.now()}
	if !in.Declared {
		e.add("承诺", "须确认："+OwnerDeclaration)
	}
	if err := e.err(); err != nil {
		return Owner{}, err
	}
	b, err := json.Marshal(o)
	if err != nil {
		return Owner{}, err
	}
	if _, err := s.Store.AddMarketOwner(ctx, store.MarketOwner{SubjectID: sub.ID, Body: b}, s.audit(p, "owner", sub.ID)); err != nil {
		if fault.KindOf(err) == fault.Exists {
			return Owner{}, fault.New(fault.Exists, "本单位已登记为项目业主")
		}
		return Owner{}, err
	}
	return o, nil
}

// MyOwner is the owner registration of p's firm (fault.NotFound: none).
func (s *Service) MyOwner(ctx context.Context, p auth.Principal) (Owner, error) {
	if p.Kind != auth.UserKind || p.SubjectID == 0 {
		return Owner{}, fault.New(fault.NotFound, "本单位未登记为项目业主")
	}
	so, err := s.Store.MarketOwnerOf(ctx, p.SubjectID)
	if errors.Is(err, store.ErrNotFound) {
		return Owner{}, fault.New(fault.NotFound, "本单位未登记为项目业主")
	}
	if err != nil {
		return Owner{}, err
	}
	var o Owner
	return o, json.Unmarshal(so.Body, &o)
}

// CanFile reports whether p may file projects: staff with market.buy, or
// a firm registered as an owner.
func (s *Service) CanFile(ctx context.Context, p auth.Principal) bool {
	if p.Staff() {
		return s.Auth.Can(p, auth.MarketBuy, auth.Resource{OrgPath: p.Org.Path})
	}
	_, err := s.MyOwner(ctx, p)
	return err == nil
}
