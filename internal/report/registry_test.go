package report

import (
	"slices"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store"
)

// TestBasicRegistration: the basic section shows the registry's facts:
// the registered name when the subject is known by another, every former
// name once, status, legal representative, founding date, address and
// authority.
func TestBasicRegistration(t *testing.T) {
	f := portal.File{Subject: credit.Subject{Class: credit.ClassOrg, Name: "西安甲科技有限公司", USCC: "91610100MA6T01040X",
		FormerNames: []credit.NameSpan{{Name: "西安甲公司"}}},
		Registrations: []store.Registration{{Name: "西安甲智能科技有限公司", FormerNames: []string{"西安甲公司", "西安甲科技有限公司"},
			Status: "存续", LegalRep: "孙三", Founded: "2020-03-04", Address: "西安市某路2号", AuthorityName: "西安市市场监督管理局"}}}
	got := map[string]string{}
	var order []string
	for _, fl := range (&Builder{}).basic(f) {
		got[fl.Label] = fl.Value
		order = append(order, fl.Label)
	}
	want := map[string]string{"登记名称": "西安甲智能科技有限公司", "曾用名": "西安甲公司", "登记状态": "存续", "法定代表人或负责人": "孙三",
		"成立日期": "2020-03-04", "注册地址": "西安市某路2号", "登记机关": "西安市市场监督管理局"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (fields %v)", k, got[k], v, order)
		}
	}
	if !slices.Contains(order, "名称") {
		t.Errorf("fields %v", order)
	}
}
