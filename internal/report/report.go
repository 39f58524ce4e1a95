// Package report issues the standard public credit reports (公共信用信息报告)
// of the 2021 national report standard: 法人和非法人组织公共信用信息报告
// (also for sole traders and government bodies) and 个人公共信用信息报告.
// A report is computed from what the platform holds on its day (Build:
// records only as public through package portal, commitments of the
// registry, repair eligibility of package repair, list exits of package
// lists), rendered as a PDF (pdf.go), signed with the platform's Ed25519
// key and appended to an append-only Merkle log (log.go); the PDF carries
// its signature, a signed checkpoint and its inclusion proof (seal.go), so
// that anyone verifies it offline with the platform's verifier key
// (Verify). Service (service.go) decides who may get which report and
// audits persons' reports.
package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/commitment"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/match"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/repair"
	"github.com/xinyong/xinyong/internal/store"
)

// Report is an issued report's content: what the PDF and the HTML view
// both show.
type Report struct {
	Number     string
	Kind       string // store.ReportOrg or store.ReportPerson
	Title      string
	Site       string // the issuing platform's name
	Subject    credit.Subject
	Ref        string // the subject's reference in the portal's URLs
	AsOf       calendar.Date
	Historical bool      // AsOf is a day before the issue day
	Issued     time.Time // UTC; shown in Beijing time
	// Header is the report head: subject, code, issue time, data as of.
	Header []Field
	// Summary is 信用信息概要: the sections and how many entries each holds.
	Summary  []SummaryRow
	Sections []Section
	// Notes is 报告说明, paragraph by paragraph.
	Notes []string
	// Records are the records the report shows, for telling later whether
	// they changed.
	Records []RecordRef
	// VerifyURL is the verification page the QR code points to.
	VerifyURL string
}

// Field is a label and its value.
type Field struct{ Label, Value string }

// SummaryRow is one line of 信用信息概要.
type SummaryRow struct {
	Section string
	Count   int
}

// Section is a numbered part of the report.
type Section struct {
	No    string // 一, 二, …
	ID    string // stable key: basic, admin, honours, serious, abnormal, commitments, evaluation, judicial, qualifications, other, advice
	Title string
	Items []Item
	// Note is a sentence shown under the title (e.g. why a part is empty).
	Note string
	// Counted: the section's entries count in 信用信息概要.
	Counted bool
}

// Heading is the numbered title (一、登记注册基础信息).
func (s Section) Heading() string { return s.No + "、" + s.Title }

// Item is one entry of a section: a record, a commitment, a piece of
// advice or the basic facts.
type Item struct {
	Title  string
	Fields []Field
	Source string // 数据来源 (the supplying department), when a record
}

// RecordRef is a record as the report showed it.
type RecordRef struct {
	ID         int64  `json:"id"`
	Version    int    `json:"version"`
	Kind       string `json:"kind"`
	DecisionNo string `json:"decision_no"`
}

// Titles of the two kinds.
const (
	TitleOrg    = "法人和非法人组织公共信用信息报告"
	TitlePerson = "个人公共信用信息报告"
)

// KindOf is the report kind of a subject.
func KindOf(sub credit.Subject) string {
	if sub.Class == credit.ClassPerson {
		return store.ReportPerson
	}
	return store.ReportOrg
}

// Builder computes reports from what the platform holds.
type Builder struct {
	Portal  *portal.Service
	Store   store.Store
	Catalog *catalog.Catalog
	Lists   *lists.Catalog
	Site    string
	// Evaluation fills 信用评价信息; nil leaves the section with a note.
	Evaluation Evaluator
}

// section ids in the standard's order, per kind.
var (
	orgOrder    = []string{"basic", "admin", "honours", "serious", "abnormal", "commitments", "evaluation", "judicial", "other", "advice"}
	personOrder = []string{"basic", "admin", "honours", "serious", "commitments", "evaluation", "judicial", "qualifications", "other", "advice"}
	numerals    = []string{"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}
	titles      = map[string]string{
		"admin": "行政管理信息", "honours": "诚实守信相关荣誉信息", "serious": "严重失信主体名单信息",
		"abnormal": "经营（活动）异常名录信息", "commitments": "信用承诺信息", "evaluation": "信用评价信息",
		"judicial": "司法判决及执行信息", "qualifications": "职称和职业资格信息", "other": "其他信息", "advice": "信用状况提升建议",
	}
)

// BeijingTime formats t as people read it: Beijing time to the second.
func BeijingTime(t time.Time) string {
	return t.In(calendar.Location()).Format("2006年01月02日 15:04:05") + "（北京时间）"
}

// Build computes the report of sub as public on day on (historical: on is
// before the issue day) with the given number and issue time.
func (b *Builder) Build(ctx context.Context, sub credit.Subject, on calendar.Date, historical bool, number string, issued time.Time) (Report, error) {
	kind := KindOf(sub)
	r := Report{Number: number, Kind: kind, Title: TitleOrg, Site: b.Site, Subject: sub, Ref: b.Portal.SubjectRef(sub),
		AsOf: on, Historical: historical, Issued: issued.UTC()}
	order := orgOrder
	if kind == store.ReportPerson {
		r.Title, order = TitlePerson, personOrder
	}
	f, err := b.Portal.File(ctx, r.Ref, on, historical)
	if err != nil {
		return Report{}, err
	}
	lc := b.Lists
	if lc == nil {
		if lc, err = lists.Default(b.Catalog); err != nil {
			return Report{}, err
		}
	}
	r.Header = b.header(r, f)
	items := map[string][]Item{}
	var bad []portal.RecordView // records that advice is about
	for _, sec := range f.Sections {
		for _, v := range sec.Records {
			id := sectionOf(kind, v, lc)
			items[id] = append(items[id], recordItem(v, lc, on))
			r.Records = append(r.Records, RecordRef{ID: v.ID, Version: v.Version, Kind: v.Kind.Code, DecisionNo: v.DecisionNo})
			bad = append(bad, v)
		}
	}
	cms, err := b.commitments(ctx, sub, on)
	if err != nil {
		return Report{}, err
	}
	for _, c := range cms {
		items["commitments"] = append(items["commitments"], commitmentItem(c, on))
	}
	items["basic"] = []Item{{Fields: b.basic(f)}}
	for i, id := range order {
		s := Section{No: numerals[i], ID: id, Title: titles[id], Items: items[id], Counted: true}
		switch id {
		case "basic":
			s.Title, s.Counted = "登记注册基础信息", false
			if kind == store.ReportPerson {
				s.Title = "基本信息"
			}
		case "evaluation":
			if s, err = b.evaluation(ctx, sub, on, s); err != nil {
				return Report{}, err
			}
		case "judicial":
			s.Note = "本平台未归集司法判决及执行信息；失信被执行人名单见严重失信主体名单信息。"
		case "qualifications":
			s.Note = "本平台未归集职称和职业资格信息。"
		case "advice":
			s.Counted = false
			s.Items = advice(bad, cms, lc, on)
		}
		r.Sections = append(r.Sections, s)
		if s.Counted {
			r.Summary = append(r.Summary, SummaryRow{Section: s.Heading(), Count: len(s.Items)})
		}
	}
	r.Notes = b.notes(r)
	return r, nil
}

// Evaluator gives a subject's public credit evaluation on a day, explained
// (evaluation.Service).
type Evaluator interface {
	SubjectEvaluation(ctx context.Context, sub credit.Subject, day calendar.Date) (evaluation.Explained, error)
}

// evaluation is the 信用评价 section: the platform's public credit
// evaluation of sub in force on day on, with its grade, score, model and
// every scored contribution, or a note saying why there is none (persons
// and classes the model does not grade, a past day before the first
// result, a platform run without the evaluation).
func (b *Builder) evaluation(ctx context.Context, sub credit.Subject, on calendar.Date, s Section) (Section, error) {
	s.Counted = false
	if b.Evaluation == nil {
		s.Note = "本平台的公共信用综合评价尚未开通，本报告暂不提供信用评价结果。"
		return s, nil
	}
	ex, err := b.Evaluation.SubjectEvaluation(ctx, sub, on)
	switch {
	case errors.Is(err, evaluation.ErrNotGraded) || errors.Is(err, evaluation.ErrNoEvaluation):
		s.Note = fault.Message(err) + "，本报告不提供信用评价结果。"
		return s, nil
	case err != nil:
		return s, err
	}
	f := []Field{
		{"评价等级", ex.Grade.Grade + " 级（" + ex.Grade.Label + "）"},
		{"评价得分", fmt.Sprintf("%d 分（基础分 %d 分）", ex.Score, ex.Base)},
		{"评价日期", ex.Day.String()},
		{"评价模型", ex.Model.Name + "（" + ex.Model.Key + "）"},
		{"评价机构", b.Site},
	}
	if ex.CappedBy != "" {
		f = append(f, Field{"等级限制", "因“" + ex.CappedBy + "”，等级不高于 " + ex.Grade.Grade + " 级"})
	}
	for _, c := range ex.Contributions {
		f = append(f, Field{"计分（" + c.Dimension + "）", c.Text()})
	}
	if len(ex.Contributions) == 0 {
		f = append(f, Field{"计分", "没有计分的信息，按基础分评价"})
	}
	s.Items = []Item{{Title: "公共信用综合评价", Fields: f, Source: b.Site}}
	s.Counted = true
	s.Note = "评价结果依据本平台归集的公共信用信息按公开的评价模型计算，反映信息截止日期的状况，仅供参考。"
	if ex.Live {
		s.Note += "该主体尚无入库的评价结果，本结果为出具报告时即时计算。"
	}
	return s, nil
}

// header is the report head.
func (b *Builder) header(r Report, f portal.File) []Field {
	sub := r.Subject
	h := []Field{{"报告编号", r.Number}}
	if r.Kind == store.ReportPerson {
		h = append(h, Field{"姓名", sub.Name}, Field{"公民身份号码", sub.MaskedID})
	} else {
		h = append(h, Field{"主体名称", sub.Name})
		switch {
		case sub.USCC != "":
			h = append(h, Field{"统一社会信用代码", sub.USCC})
		case sub.RegNo != "":
			h = append(h, Field{"工商注册号", sub.RegNo})
		}
	}
	h = append(h, Field{"报告时间", BeijingTime(r.Issued)}, Field{"信息截止日期", r.AsOf.String()})
	if r.Historical {
		h[len(h)-1].Value += "（历史查询：报告所列为该日公示的信息）"
	}
	h = append(h, Field{"出具机构", r.Site})
	return h
}

// basic is 登记注册基础信息 / 基本信息.
func (b *Builder) basic(f portal.File) []Field {
	sub := f.Subject
	out := []Field{{"主体类别", sub.Class.Label()}}
	if sub.Class == credit.ClassPerson {
		out = append(out, Field{"姓名", sub.Name}, Field{"公民身份号码", sub.MaskedID})
	} else {
		out = append(out, Field{"名称", sub.Name})
		if sub.USCC != "" {
			out = append(out, Field{"统一社会信用代码", sub.USCC})
		}
		if sub.RegNo != "" {
			out = append(out, Field{"工商注册号", sub.RegNo})
		}
		if p := f.USCC; p != nil {
			if p.DepartmentName != "" {
				out = append(out, Field{"登记管理部门", p.DepartmentName})
			}
			if p.CategoryName != "" {
				out = append(out, Field{"机构类别", p.CategoryName})
			}
			out = append(out, Field{"组织机构代码", p.OrgCode})
		}
	}
	if sub.Region != "" {
		name := match.PlaceName(sub.Region)
		if name == sub.Region { // not in the table: the code alone says little
			name = f.Province
		}
		if name != "" {
			out = append(out, Field{"所在地区", name})
		}
	}
	var names []string
	for _, n := range sub.FormerNames {
		names = append(names, n.Name)
	}
	// The registry's facts (登记注册基础信息 from the registration
	// authorities): the registered name when it differs, its former names,
	// status, legal representative, founding date, address and authority.
	for _, g := range f.Registrations {
		if g.Name != sub.Name {
			out = append(out, Field{"登记名称", g.Name})
		}
		for _, n := range g.FormerNames {
			if !slices.Contains(names, n) && n != sub.Name {
				names = append(names, n)
			}
		}
		out = append(out, Field{"登记状态", g.Status})
		if g.LegalRep != "" {
			out = append(out, Field{"法定代表人或负责人", g.LegalRep})
		}
		if g.Founded != "" {
			out = append(out, Field{"成立日期", g.Founded})
		}
		if g.Address != "" {
			out = append(out, Field{"注册地址", g.Address})
		}
		out = append(out, Field{"登记机关", g.AuthorityName})
	}
	if len(names) > 0 {
		out = append(out, Field{"曾用名", strings.Join(names, "；")})
	}
	return out
}

// sectionOf says which section a record goes to.
func sectionOf(kind string, v portal.RecordView, lc *lists.Catalog) string {
	switch v.Kind.Code {
	case "xk", "cf":
		return "admin"
	case "hm":
		return "honours"
	case commitment.BreachKind:
		return "commitments"
	}
	if t, ok := lc.TypeOf(v.Kind.Code, v.Field("list_type")); ok {
		switch t.Class {
		case lists.Serious:
			return "serious"
		case lists.Abnormal:
			if kind == store.ReportOrg {
				return "abnormal"
			}
		case lists.Red:
			return "honours"
		}
	}
	return "other"
}

// skipField: fields a report leaves out of an entry (the subject's own
// identifiers, which the head shows, and codes of departments).
func skipField(key string) bool {
	return strings.HasPrefix(key, "subject_") || strings.HasPrefix(key, "legal_rep_id") || strings.HasSuffix(key, "_uscc") ||
		key == "source_dept" || key == "decision_no"
}

// recordItem is a record as an entry of its section.
func recordItem(v portal.RecordView, lc *lists.Catalog, on calendar.Date) Item {
	it := Item{Title: v.Kind.Name + "　" + v.DecisionNo, Source: v.Field("source_dept")}
	if no, ok := v.Kind.Field("decision_no"); ok {
		it.Fields = append(it.Fields, Field{no.Name, v.DecisionNo})
	}
	for _, f := range v.Fields {
		if !skipField(f.Key) {
			it.Fields = append(it.Fields, Field{f.Name, f.Value})
		}
	}
	status := v.Decision.Status.Label()
	if e, ok := lc.EntryOf(v.Kind.Code, v.ID, fieldMap(v), v.State == store.StateRevoked); ok {
		_, why := e.On(on)
		status += "（" + why + "）"
	} else if !v.Decision.Until.IsZero() {
		status += "（公示期至" + v.Decision.Until.String() + "）"
	}
	it.Fields = append(it.Fields, Field{"公示状态", status})
	if it.Source != "" {
		it.Fields = append(it.Fields, Field{"数据来源", it.Source})
	}
	return it
}

func fieldMap(v portal.RecordView) map[string]string {
	m := make(map[string]string, len(v.Fields))
	for _, f := range v.Fields {
		m[f.Key] = f.Value
	}
	return m
}

// commitments are the subject's public commitments made by day on and
// filed with the platform by then.
func (b *Builder) commitments(ctx context.Context, sub credit.Subject, on calendar.Date) ([]store.Commitment, error) {
	if sub.Commitments == 0 {
		return nil, nil
	}
	cs, err := b.Store.ListCommitments(ctx, store.CommitmentFilter{SubjectID: sub.ID, Disclosures: []string{commitment.Public}, Limit: 200})
	if err != nil {
		return nil, err
	}
	end := on.AddDays(1).Time()
	var out []store.Commitment
	for _, c := range cs {
		if c.MadeOn > on.String() || !c.CreatedAt.Before(end) {
			continue
		}
		if c.AssessedOn > on.String() { // assessed after the report's day
			c.Status, c.Unfulfilled, c.Pursued, c.AssessedOn, c.AssessorName = "", "", "", "", ""
		}
		out = append(out, c)
	}
	return out, nil
}

func commitmentItem(c store.Commitment, on calendar.Date) Item {
	acceptor := c.AcceptorName
	if acceptor == "" {
		acceptor = "本平台"
	}
	it := Item{Title: "信用承诺　" + c.Code, Source: acceptor, Fields: []Field{
		{"承诺编码", c.Code}, {"承诺类型", commitment.KindLabel(c)}, {"承诺事由", c.Matter}, {"承诺内容", c.Content},
		{"承诺作出日期", c.MadeOn}, {"承诺受理单位", acceptor}, {"履行状态", commitment.StatusLabel(c)}}}
	if c.ValidUntil != "" {
		it.Fields = append(it.Fields, Field{"承诺有效期至", c.ValidUntil})
	}
	if c.AssessedOn != "" {
		it.Fields = append(it.Fields, Field{"认定日期", c.AssessedOn})
	}
	return it
}

// advice is 信用状况提升建议 for the subject on day on: which records may
// be repaired and from which day, which list entries end or may be
// removed, which commitments are open.
func advice(recs []portal.RecordView, cms []store.Commitment, lc *lists.Catalog, on calendar.Date) []Item {
	var out []Item
	for _, v := range recs {
		if e, ok := lc.EntryOf(v.Kind.Code, v.ID, fieldMap(v), v.State == store.StateRevoked); ok {
			if st, _ := e.On(on); st != lists.InForce || !e.Type.Class.Bad() {
				continue
			}
			text := "列入" + e.Type.Name + "（认定单位：" + e.Authority + "）。"
			switch {
			case e.ValidTo.IsZero():
				text += "未设有效期，直至认定单位决定移出。"
			case !on.Before(e.ValidTo.AddDays(-30)):
				text += "有效期至" + e.ValidTo.String() + "，即将届满，届满后停止公示。"
			default:
				text += "有效期至" + e.ValidTo.String() + "，届满后停止公示。"
			}
			text += "移出条件：" + e.Type.Exit + "。"
			out = append(out, Item{Title: "名单移出：" + v.Kind.Name + "　" + v.DecisionNo, Fields: []Field{{"建议", text}}})
			continue
		}
		if v.Kind.Nature != catalog.NatureBad {
			continue
		}
		el := repair.Check(v.Kind, fieldMap(v), v.Decision, on)
		if !el.Repairable {
			continue
		}
		var text string
		switch {
		case el.NeverEarly:
			text = "不能提前修复：" + el.Reason
		case el.Open:
			text = "现在可以申请信用修复。" + el.Reason
		case !el.From.IsZero():
			text = "自" + el.From.String() + "起可以申请信用修复。" + el.Reason
		default:
			text = el.Reason
		}
		out = append(out, Item{Title: "信用修复：" + v.Kind.Name + "　" + v.DecisionNo, Fields: []Field{{"建议", text}}})
	}
	for _, c := range cms {
		if c.Status != "" || (c.ValidUntil != "" && c.ValidUntil < on.String()) {
			continue
		}
		text := "承诺事由：" + c.Matter + "。请按承诺履行"
		if c.ValidUntil != "" {
			text += "，承诺有效期至" + c.ValidUntil
		}
		text += "；违背承诺的将记入失信信息（违诺责任：" + c.Liability + "）。"
		out = append(out, Item{Title: "履行信用承诺：" + c.Code, Fields: []Field{{"建议", text}}})
	}
	if len(out) == 0 {
		out = append(out, Item{Fields: []Field{{"建议", "截至" + on.String() + "，没有需要修复的失信信息、需要移出的名单或待履行的信用承诺。请继续保持良好信用。"}}})
	}
	return out
}

// notes is 报告说明.
func (b *Builder) notes(r Report) []string {
	return []string{
		"本报告由" + r.Site + "依据国家发展改革委办公厅《公共信用信息报告标准（2021版）》出具，内容为截至" + r.AsOf.String() +
			"本平台依法归集并向社会公示的公共信用信息；已过公示期、已撤销、已信用修复或不予公开的信息不在报告中。",
		"报告所列信息由数据来源单位提供，本平台按照“谁提供、谁负责”的原则归集和公示。信息主体对报告内容有异议的，可以通过本平台或数据来源单位提出异议申请；符合条件的，可以申请信用修复。",
		"本报告使用平台的数字签名，并记入只能追加的报告签发日志。使用者可扫描二维码或访问" + r.VerifyURL +
			"，以报告编号或上传报告文件核验报告的真伪及其所列信息此后是否发生变化；也可使用平台公布的验证公钥离线核验（xinyong report verify）。对报告文件的任何改动都会使核验失败。",
		"本报告仅供参考，不作为信息主体信用状况的唯一判断依据。报告使用者应依法使用报告，不得用于非法目的；个人公共信用信息报告仅向本人或经本人书面授权的查询者出具。",
	}
}

// count formats a number of entries.
func count(n int) string {
	if n == 0 {
		return "无"
	}
	return strconv.Itoa(n) + " 条"
}
