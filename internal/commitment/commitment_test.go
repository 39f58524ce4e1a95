package commitment

import (
	"errors"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
)

var today = calendar.MustParseDate("2026-12-04")

func goodTerms() Terms {
	return Terms{Kind: "审批替代型", Matter: "申请办理食品经营许可证", Content: "本单位符合许可条件，提交的材料真实有效",
		Liability: "违背承诺的，撤销许可并记入信用记录", MadeOn: "2026-12-01", ValidUntil: "2027-12-01", Disclosure: Public}
}

// reasons returns "field: reason" lines of an *Invalid, or the error.
func reasons(err error) string {
	var inv *Invalid
	if !errors.As(err, &inv) {
		if err == nil {
			return ""
		}
		return "not Invalid: " + err.Error()
	}
	var b strings.Builder
	for _, e := range inv.Errs {
		b.WriteString(e.Field + ": " + e.Reason + "\n")
	}
	return b.String()
}

func TestTermsCheck(t *testing.T) {
	long := strings.Repeat("字", MaxText+1)
	for _, c := range []struct {
		name   string
		edit   func(*Terms)
		repair bool
		want   string // "" valid; else a substring of the reasons
	}{
		{"good", func(*Terms) {}, false, ""},
		{"made today by default", func(t *Terms) { t.MadeOn = "" }, false, ""},
		{"no valid until", func(t *Terms) { t.ValidUntil = "" }, false, ""},
		{"other kind said", func(t *Terms) { t.Kind, t.KindOther = "其他", "信用承诺书" }, false, ""},
		{"other kind not said", func(t *Terms) { t.Kind = "其他" }, false, "具体承诺类型: 必填"},
		{"unknown kind", func(t *Terms) { t.Kind = "口头型" }, false, "承诺类型: 应为审批替代型"},
		{"no kind", func(t *Terms) { t.Kind = " " }, false, "承诺类型: 必填"},
		{"repair kind alone", func(t *Terms) { t.Kind = store.CommitmentRepair }, false, "随信用修复申请一并签署"},
		{"repair kind with repair", func(t *Terms) { t.Kind = store.CommitmentRepair }, true, ""},
		{"no matter", func(t *Terms) { t.Matter = "" }, false, "承诺事由: 必填"},
		{"long content", func(t *Terms) { t.Content = long }, false, "承诺内容: 不能超过4000个字（现有4001个）"},
		{"no liability", func(t *Terms) { t.Liability = "" }, false, "违诺责任: 必填"},
		{"made tomorrow", func(t *Terms) { t.MadeOn = "2026-12-05" }, false, "承诺作出日期: 不能晚于今天（2026-12-04）"},
		{"not a date", func(t *Terms) { t.MadeOn = "2026-02-30" }, false, "承诺作出日期: 不是有效日期"},
		{"valid before made", func(t *Terms) { t.ValidUntil = "2026-11-30" }, false, "承诺有效期: 不能早于承诺作出日期（2026-12-01）"},
		{"unknown disclosure", func(t *Terms) { t.Disclosure = "公开" }, false, "公开类型: 应为可向社会公开、特定范围内公开、不可公开之一"},
		{"no disclosure", func(t *Terms) { t.Disclosure = "" }, false, "公开类型: 必填"},
		{"long note", func(t *Terms) { t.Note = strings.Repeat("备", MaxNote+1) }, false, "备注: 不能超过512个字"},
		{"override in the content", func(t *Terms) { t.Content = "按期\u202E交补" }, false, "承诺内容: 含有改变文字显示方向的控制字符（U+202E）"},
		{"isolate in the matter", func(t *Terms) { t.Matter = "\u2066申请\u2069" }, false, "承诺事由: 含有改变文字显示方向的控制字符（U+2066）"},
		{"mark in the liability", func(t *Terms) { t.Liability = "承担\u200F责任" }, false, "违诺责任: 含有改变文字显示方向"},
		{"override in the other kind", func(t *Terms) { t.Kind, t.KindOther = "其他", "\u202D书诺承" }, false, "具体承诺类型: 含有改变文字显示方向"},
	} {
		tm := goodTerms()
		c.edit(&tm)
		tm = tm.Normalize(today)
		got := reasons(tm.Check(today, c.repair))
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("%s: reasons %q, want %q", c.name, got, c.want)
		}
	}
	if tm := (Terms{Kind: "主动型", KindOther: "x", MadeOn: " "}).Normalize(today); tm.KindOther != "" || tm.MadeOn != "2026-12-04" {
		t.Errorf("normalized %+v", tm)
	}
}

func TestAssessmentCheck(t *testing.T) {
	c := store.Commitment{MadeOn: "2026-12-01"}
	for _, tc := range []struct {
		name string
		a    Assessment
		want string
	}{
		{"kept", Assessment{Status: Fulfilled}, ""},
		{"kept, breach fields dropped", Assessment{Status: Fulfilled, Unfulfilled: "x"}, ""},
		{"breached", Assessment{Status: NotFulfilled, Unfulfilled: "未补交材料", Pursued: "撤销许可", AssessedOn: "2026-12-03"}, ""},
		{"partly, nothing said", Assessment{Status: Partly}, "未履行的承诺内容: 必填\n违诺责任追究内容: 必填"},
		{"no status", Assessment{}, "承诺履行状态: 必填"},
		{"unknown status", Assessment{Status: "已履行"}, "承诺履行状态: 应为全部履行、部分履行、全部未履行之一"},
		{"before made", Assessment{Status: Fulfilled, AssessedOn: "2026-11-30"}, "认定日期: 不能早于承诺作出日期（2026-12-01）"},
		{"tomorrow", Assessment{Status: Fulfilled, AssessedOn: "2026-12-05"}, "认定日期: 不能晚于今天"},
		{"override in a note", Assessment{Status: Fulfilled, Note: "已\u202E核"}, "备注: 含有改变文字显示方向的控制字符（U+202E）"},
		{"override in what was pursued", Assessment{Status: NotFulfilled, Unfulfilled: "未补交材料", Pursued: "\u202E可许销撤"}, "违诺责任追究内容: 含有改变文字显示方向"},
	} {
		a := tc.a.Normalize(today)
		got := reasons(a.Check(c, today))
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%s: reasons %q, want %q", tc.name, got, tc.want)
		}
	}
	if a := (Assessment{Status: Fulfilled, Pursued: "x"}).Normalize(today); a.Pursued != "" || a.AssessedOn != "2026-12-04" || a.Breach() {
		t.Errorf("normalized %+v", a)
	}
	if !(Assessment{Status: Partly}).Breach() {
		t.Error("部分履行 is not a breach")
	}
	if !errors.Is(&Invalid{}, ErrInvalid) {
		t.Error("Invalid is not ErrInvalid")
	}
}

func TestBreachRow(t *testing.T) {
	c := store.Commitment{Code: "61010020261201000001", Kind: "其他", KindOther: "信用承诺书", Matter: "m", Content: "c", Liability: "l",
		MadeOn: "2026-12-01", AcceptorName: "受理局", AcceptorCode: "A"}
	a := Assessment{Status: Partly, Unfulfilled: "u", Pursued: "p", AssessedOn: "2026-12-03", Note: "n"}
	row := BreachRow(c, subjectOrg, a, deptOrg)
	for k, want := range map[string]string{"decision_no": c.Code, "commitment_kind": "其他-信用承诺书", "subject_uscc": subjectOrg.USCC,
		"subject_class": "法人及非法人组织", "acceptor_uscc": "A", "source_dept_uscc": deptOrg.USCC, "decision_date": "2026-12-03",
		"fulfilment": Partly, "remarks": "n"} {
		if row[k] != want {
			t.Errorf("%s = %v, want %q", k, row[k], want)
		}
	}
	c.AcceptorCode, c.AcceptorName = "", "" // a repair commitment: the platform accepted it
	if row := BreachRow(c, subjectOrg, a, deptOrg); row["acceptor_uscc"] != deptOrg.USCC || row["acceptor"] != deptOrg.Name {
		t.Errorf("repair commitment's acceptor %v %v", row["acceptor"], row["acceptor_uscc"])
	}
}

var (
	subjectOrg = credit.Subject{Class: credit.ClassOrg, USCC: "91610100MA6TXXXX0X", Name: "西安某某有限公司"}
	deptOrg    = auth.Org{Name: "西安市市场监督管理局", USCC: "11610100MB0000000X"}
)
