package repair

import (
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/publicity"
)

// Eligibility says whether and from when the subject of a bad record may
// apply for credit repair.
//
// Repairable is a property of the record's kind (a bad record of a kind
// with publicity windows); whether an application is accepted on the day
// asked is Open. The combinations:
//
//   - Repairable false: not a record repair applies to; everything else is
//     false or zero and Reason says what applies instead.
//   - NeverEarly: the record matches a no_early_repair rule of the
//     catalogue; From is zero, Open false, Reason gives the day publicity
//     ends by itself.
//   - nothing to repair on the day (revoked, expired, repaired, not yet or
//     not at all published): From is zero, Open false.
//   - otherwise From is the first day an application is accepted and Open
//     is whether the day asked is not before it. When publicity ends
//     before From (a department's earlier 公示截止期) From is zero and
//     Reason says publicity stops by itself.
type Eligibility struct {
	Repairable bool          // the kind has publicity windows and the record is a bad record of a repairable kind
	NeverEarly bool          // matches a no_early_repair rule: publicity ends only at Until
	From       calendar.Date // first day an application is accepted (zero when not repairable / never early)
	Open       bool          // on the day asked, an application may be filed
	Reason     string        // Chinese, for the subject: why, and from when; name the basis
}

// Basis of the eligibility rules, named in reasons.
const (
	basis36   = "国家发展改革委令第36号《信用修复管理办法》（2026-04-01起施行）"
	basis2522 = "国办发〔2025〕22号"
)

// Check says whether the subject of a record of kind k with the given
// (normalized, public) fields may apply for credit repair on day on. d is
// publicity.Decide's decision for the record on that same day.
//
// Only bad records of kinds with publicity windows are repaired this way
// (行政处罚 and the like): repair ends their publicity early. A list entry
// leaves its list by the deciding authority's exit (移出), a 行政许可 is
// not a bad record. A record that is not being publicised on the day
// (revoked, expired, already repaired, not yet or not published) has
// nothing to repair.
//
// For the others (令第36号, from 2026-04-01): a record without a minimum
// publicity (轻微, d.MinUntil zero) may be repaired at once, once the
// legal duty is fulfilled; otherwise an application is accepted from the
// day after d.MinUntil, when the shortest publicity has been reached
// (一般 3 months, 严重 1 year in the built-in catalogue). A record matching
// one of the kind's no_early_repair rules is never repaired early: its
// publicity ends by itself after d.Until.
func Check(k *catalog.Kind, fields map[string]string, d publicity.Decision, on calendar.Date) Eligibility {
	pub := k.Publicity
	if k.Nature != catalog.NatureBad {
		what := "基础信息"
		if k.Nature == catalog.NatureGood {
			what = "良好信息"
		}
		return Eligibility{Reason: k.Name + "信息属于" + what + "，不是失信信息，不适用信用修复"}
	}
	if len(pub.Windows) == 0 {
		return Eligibility{Reason: k.Name + "信息没有按严重程度确定的公示期限，不适用提前终止公示的信用修复：" +
			"名单信息由认定单位依规决定移出，移出后停止公示；符合移出条件的，请向认定单位申请移出"}
	}
	e := Eligibility{Repairable: true}
	var never *catalog.NoEarlyRepairRule
	for i, r := range pub.NoEarlyRepair {
		if r.Matches(fields) {
			never = &pub.NoEarlyRepair[i]
			break
		}
	}
	e.NeverEarly = never != nil

	switch d.Status {
	case publicity.Shown, publicity.UnderObjection:
	case publicity.Revoked:
		e.Reason = "该信息已被撤销，不再公示，没有需要修复的信息"
		return e
	case publicity.Expired:
		e.Reason = "该信息的公示期已于" + d.Until.String() + "届满，已停止公示，没有需要修复的信息"
		return e
	case publicity.Repaired:
		e.Reason = "该信息已完成信用修复，停止公示和共享，无需再次申请（" + d.Reason + "）"
		return e
	case publicity.NotYet:
		e.Reason = "该信息尚未公示（" + d.Reason + "），没有需要修复的信息"
		return e
	case publicity.NotPublished:
		e.Reason = "该信息不予公示（" + d.Reason + "），没有需要修复的信息"
		return e
	case publicity.NotPublic:
		e.Reason = "该信息不向社会公示（" + d.Reason + "），没有可以终止的公示"
		return e
	case publicity.Exited:
		e.Reason = "该信息已移出，停止公示（" + d.Reason + "），没有需要修复的信息"
		return e
	default:
		e.Reason = "该信息当前不在公示中（" + d.Status.Label() + "），没有需要修复的信息"
		return e
	}

	label := d.SeverityLabel()
	if never != nil {
		e.Reason = field(k, never.Field) + "含" + quoteItems(matched(*never, fields)) + "，不得提前停止公示，不能申请信用修复（" +
			never.Basis + "）；公示期至" + d.Until.String() + "，届满后自动停止公示"
		return e
	}
	w, _ := pub.Window(d.Severity)
	if d.MinUntil.IsZero() {
		e.From = d.From
		e.Open = !on.Before(e.From)
		e.Reason = label + "失信信息没有最短公示期限，履行法定义务、纠正失信行为后即可申请信用修复，申请时须提供已履行义务的证明" +
			"（" + basis36 + "、" + basis2522 + "：轻微失信信息履行法定义务后可修复）"
		return e
	}
	minText := label + "失信信息最短公示" + months(w.MinMonths)
	rule := "（" + basis36 + "：达到最短公示期限、纠正失信行为并履行法定义务、作出信用承诺的，可申请信用修复）"
	from := d.MinUntil.AddDays(1)
	if d.Until.Before(from) {
		by := "公示期"
		if d.UntilByDept {
			by = "报送单位确定的公示截止期"
		}
		e.Reason = minText + "，至" + d.MinUntil.String() + "届满；该信息的" + by + "为" + d.Until.String() + "，在可以申请信用修复之前，公示于" +
			d.Until.String() + "届满后自动停止，无需申请信用修复" + rule
		return e
	}
	e.From = from
	e.Open = !on.Before(from)
	if e.Open {
		e.Reason = minText + "，已于" + d.MinUntil.String() + "届满，可以申请信用修复" + rule
	} else {
		e.Reason = minText + "，至" + d.MinUntil.String() + "届满，自" + from.String() + "起可以申请信用修复" + rule
	}
	return e
}

// field is the Chinese name of a field of k (its key when unknown).
func field(k *catalog.Kind, key string) string {
	if f, ok := k.Field(key); ok {
		return f.Name
	}
	return key
}

// matched lists the record's items that the rule names.
func matched(r catalog.NoEarlyRepairRule, fields map[string]string) []string {
	var out []string
	for _, it := range catalog.SplitItems(fields[r.Field]) {
		for _, v := range r.AnyOf {
			if it == v {
				out = append(out, it)
				break
			}
		}
	}
	return out
}

func quoteItems(items []string) string {
	return "“" + strings.Join(items, "”“") + "”"
}

// months renders a number of months as publicity does: 3个月, 1年.
func months(n int) string {
	if n > 0 && n%12 == 0 {
		return strconv.Itoa(n/12) + "年"
	}
	return strconv.Itoa(n) + "个月"
}
