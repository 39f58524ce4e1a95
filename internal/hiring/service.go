package hiring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store"
)

// Audit actions.
const (
	// AuditCase: a request filed or acted on (target hiring:ID, Outcome
	// the action). Never with a name or ID number.
	AuditCase = "hiring"
	// AuditQuery: a candidate's records looked up for a request, one entry
	// per candidate the platform knows, in his or her query history.
	AuditQuery = "hiring.query"
)

// MaxCandidates bounds one request.
const MaxCandidates = 2000

// DefaultRetention is how long a closed request's personal data is kept
// (platform default: 789号 gives no period; see docs/hiring.md).
const DefaultRetention = 2 * 365 * 24 * time.Hour

// Service files and handles hiring checks.
type Service struct {
	Store   store.Store
	Auth    *auth.Authorizer
	Keys    *pii.Keyring
	Lists   *lists.Catalog
	Routing *Routing
	Clock   deadline.Clock
	Now     func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

// HiringNominee is a candidate as the unit gives him or her.
type HiringNominee struct {
	Name     string `json:"name" doc:"姓名." maxLength:"50"`
	IDNumber string `json:"id_number" doc:"公民身份号码 (18 digits)." maxLength:"18"`
	Post     string `json:"post" doc:"拟录用（聘用）岗位." maxLength:"100"`
}

// HiringApplication is a unit's formal request (附件1 的查询需求公文).
type HiringApplication struct {
	Kind       string          `json:"kind" enum:"公务员录用,公务员调任,事业单位统一招聘,自主招聘" doc:"招录类别: decides which level answers."`
	DocNo      string          `json:"doc_no" doc:"The request's 文号, unique per unit." maxLength:"60"`
	Title      string          `json:"title" doc:"The request's title (关于商请查询……社会信用记录的函)." maxLength:"200"`
	Matter     string          `json:"matter" doc:"The hiring matter (招录/招聘事项)." maxLength:"500"`
	Contact    string          `json:"contact" doc:"Contact person." maxLength:"50"`
	Phone      string          `json:"phone" doc:"Contact phone." maxLength:"30"`
	Candidates []HiringNominee `json:"candidates" doc:"The candidate list (名单)."`
}

// FieldError is one problem of a request: where (a field, or a row of the
// candidate list) and why.
type FieldError struct {
	Field  string `json:"field"`
	Row    int    `json:"row,omitempty"`
	Reason string `json:"reason"`
}

// maxListed bounds the problems an error message lists (the page and
// Errs have them all).
const maxListed = 20

// Invalid is a request with problems.
type Invalid struct{ Errs []FieldError }

func (e *Invalid) Error() string {
	var b []string
	for i, f := range e.Errs {
		if i == maxListed {
			b = append(b, fmt.Sprintf("等，共%d处问题", len(e.Errs)))
			break
		}
		if f.Row > 0 {
			b = append(b, fmt.Sprintf("名单第%d行%s：%s", f.Row, f.Field, f.Reason))
		} else {
			b = append(b, f.Field+"："+f.Reason)
		}
	}
	return strings.Join(b, "；")
}

// Unwrap makes an Invalid a fault of kind Invalid with its fields.
func (e *Invalid) Unwrap() error { return e.Fault() }

// Fault is the problem as the API reports it.
func (e *Invalid) Fault() error {
	var fields []fault.Field
	for _, f := range e.Errs {
		loc := "body." + f.Field
		if f.Row > 0 {
			loc = fmt.Sprintf("body.candidates[%d]", f.Row-1)
		}
		fields = append(fields, fault.Field{Field: loc, Reason: f.Reason})
	}
	return fault.New(fault.Invalid, e.Error(), fields...)
}

// Columns of a candidate list file, in order; a header row naming them is
// expected.
var Columns = []string{"姓名", "身份证号", "岗位"}

// ParseList reads a candidate list: a CSV or XLSX file (ingest.NewTable)
// or typed text (one candidate a line, fields separated by commas, tabs
// or spaces), with or without the header row 姓名,身份证号,岗位.
func ParseList(r io.Reader) ([]HiringNominee, error) {
	t, err := ingest.NewTable(r)
	if errors.Is(err, ingest.ErrEmpty) {
		return nil, nil
	}
	if err != nil {
		return nil, fault.Newf(fault.Invalid, "名单文件无法读取：%v", err)
	}
	defer t.Close()
	var out []HiringNominee
	add := func(row []string) {
		var f []string
		for _, c := range row {
			if c = strings.TrimSpace(c); c != "" {
				f = append(f, c)
			}
		}
		if len(f) == 1 { // a typed line: split on spaces and tabs
			f = strings.Fields(strings.NewReplacer("，", " ", "、", " ").Replace(f[0]))
		}
		if len(f) == 0 || (len(f) >= 2 && f[0] == Columns[0] && f[1] == Columns[1]) {
			return
		}
		c := HiringNominee{Name: f[0]}
		if len(f) > 1 {
			c.IDNumber = f[1]
		}
		if len(f) > 2 {
			c.Post = strings.Join(f[2:], " ")
		}
		out = append(out, c)
	}
	add(t.Header())
	for {
		row, _, err := t.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fault.Newf(fault.Invalid, "名单文件第%d行无法读取：%v", len(out)+2, err)
		}
		add(row)
	}
	return out, nil
}

func (s *Service) validate(in *HiringApplication) *Invalid {
	var errs []FieldError
	bad := func(field, reason string) { errs = append(errs, FieldError{Field: field, Reason: reason}) }
	trim := func(p *string) { *p = strings.TrimSpace(*p) }
	trim(&in.Kind)
	trim(&in.DocNo)
	trim(&in.Title)
	trim(&in.Matter)
	trim(&in.Contact)
	trim(&in.Phone)
	if !slices.Contains(s.Routing.Kinds, in.Kind) {
		bad("kind", "招录类别应为"+strings.Join(s.Routing.Kinds, "、")+"之一")
	}
	req := func(field, label, v string, max int) {
		switch n := utf8.RuneCountInString(v); {
		case n == 0:
			bad(field, "请填写"+label)
		case n > max:
			bad(field, fmt.Sprintf("%s不能超过%d字", label, max))
		}
	}
	req("doc_no", "申请公文文号", in.DocNo, 60)
	req("title", "公文标题", in.Title, 200)
	req("contact", "联系人", in.Contact, 50)
	req("phone", "联系电话", in.Phone, 30)
	if utf8.RuneCountInString(in.Matter) > 500 {
		bad("matter", "招录事项不能超过500字")
	}
	switch n := len(in.Candidates); {
	case n == 0:
		bad("candidates", "请填写或上传人选名单（姓名、身份证号、岗位）")
	case n > MaxCandidates:
		bad("candidates", fmt.Sprintf("每份申请最多%d名人选", MaxCandidates))
	}
	seen := map[string]int{}
	for i := range in.Candidates {
		c := &in.Candidates[i]
		trim(&c.Name)
		trim(&c.Post)
		c.IDNumber = strings.ToUpper(strings.TrimSpace(c.IDNumber))
		row := func(field, reason string) { errs = append(errs, FieldError{Field: field, Row: i + 1, Reason: reason}) }
		if c.Name == "" || utf8.RuneCountInString(c.Name) > 50 {
			row("姓名", "应为1至50字")
		}
		if c.Post == "" || utf8.RuneCountInString(c.Post) > 100 {
			row("岗位", "应为1至100字")
		}
		if r := code.Check(code.KindRIC, c.IDNumber); r.Status != code.StatusValid {
			reason := r.DetailZH
			if reason == "" {
				reason = "不是有效的18位公民身份号码"
			}
			row("身份证号", reason)
		} else if j, dup := seen[c.IDNumber]; dup {
			row("身份证号", fmt.Sprintf("与第%d行重复", j))
		} else {
			seen[c.IDNumber] = i + 1
		}
	}
	if len(errs) > 0 {
		return &Invalid{Errs: errs}
	}
	return nil
}

// ancestors returns the organisations on o's path, root first, o last.
func (s *Service) ancestors(ctx context.Context, o auth.Org) ([]auth.Org, error) {
	var out []auth.Org
	for _, part := range strings.Split(strings.Trim(o.Path, "/"), "/") {
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("org path %q", o.Path)
		}
		a, err := s.Store.GetOrg(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func provincial(o auth.Org) bool { return o.Kind == auth.Region && strings.HasSuffix(o.Region, "0000") }
func municipal(o auth.Org) bool {
	return o.Kind == auth.Region && strings.HasSuffix(o.Region, "00") && !strings.HasSuffix(o.Region, "0000")
}

// Route decides a unit's level and the organisation whose credit office
// answers a request of kind: a unit under no city (under the province or
// the operator) is provincial; any other is 市级及以下. The province's
// office is the province's region (the root when there is none); a city's,
// the city's region.
func (s *Service) Route(ctx context.Context, unit auth.Org, kind string) (Rule, auth.Org, error) {
	chain, err := s.ancestors(ctx, unit)
	if err != nil {
		return Rule{}, auth.Org{}, err
	}
	level := Province
	var prov, city auth.Org
	for _, a := range chain {
		switch {
		case provincial(a):
			prov = a
		case a.Kind == auth.Region && a.ID != chain[0].ID:
			level = City
			if municipal(a) {
				city = a
			} else if city.ID == 0 {
				city = a
			}
		}
	}
	rule, ok := s.Routing.Rule(kind, level)
	if !ok {
		return Rule{}, auth.Org{}, fault.Newf(fault.Invalid, "未知的招录类别“%s”", kind)
	}
	responder := chain[0]
	if prov.ID != 0 {
		responder = prov
	}
	if rule.Answer == City && city.ID != 0 {
		responder = city
	}
	return rule, responder, nil
}

// Submit files a unit's request: checked, routed, its candidates'
// names and ID numbers encrypted; the answer's timer starts now.
func (s *Service) Submit(ctx context.Context, p auth.Principal, in HiringApplication) (View, error) {
	if !p.Staff() {
		return View{}, fault.New(fault.Refused, "仅查询申请单位的账户可提出查询申请")
	}
	if d := s.Auth.Decide(p, auth.HiringRequest, auth.Resource{OrgPath: p.Org.Path}); !d.Allow {
		return View{}, fault.New(fault.Refused, d.Reason)
	}
	if inv := s.validate(&in); inv != nil {
		return View{}, inv
	}
	rule, responder, err := s.Route(ctx, p.Org, in.Kind)
	if err != nil {
		return View{}, err
	}
	now := s.now()
	t, err := s.Clock.Start("hiring.answer", now)
	if err != nil {
		return View{}, err
	}
	f := Flow{Answer: t, Events: []Event{{At: now, Actor: p.String(), What: "提出查询申请（" + strconv.Itoa(len(in.Candidates)) + "名人选），由" + responder.Name + "答复"}}}
	c := store.HiringCheck{OrgID: p.Org.ID, OrgPath: p.Org.Path, ResponderID: responder.ID, ResponderPath: responder.Path,
		Kind: in.Kind, Level: rule.Answer, State: StateReceived, DocNo: in.DocNo, Title: in.Title, Matter: in.Matter,
		Contact: in.Contact, Phone: in.Phone}
	c.Flow, _ = json.Marshal(f)
	for i, k := range in.Candidates {
		c.Candidates = append(c.Candidates, store.HiringCandidate{Index: i + 1, NameEnc: s.Keys.Encrypt(k.Name),
			IDEnc: s.Keys.Encrypt(k.IDNumber), Post: k.Post})
	}
	c, err = s.Store.AddHiringCheck(ctx, c, []auth.AuditEntry{{Actor: p.String(), OrgID: p.Org.ID, Action: AuditCase,
		Purpose: in.Kind + " " + in.DocNo, Outcome: "submit", Detail: strconv.Itoa(len(in.Candidates)) + "名人选"}})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, p, c.ID)
}

// Roles of a principal in a request.
const (
	RoleUnit      = "unit"
	RoleOffice    = "office"
	RoleCandidate = "candidate"
)

// View is a request as one principal may see it.
type View struct {
	C         store.HiringCheck
	Flow      Flow
	Rule      Rule
	Unit      auth.Org
	Responder auth.Org
	Roles     []string // the principal's roles in the request
	// Lines are the candidates the principal may see: all of them for the
	// unit and the office (ID numbers in full), the candidate's own line
	// for a candidate (masked).
	Lines []Line
	// Reply is the reply document once sent (for the candidate, with the
	// candidate's own line only).
	Reply  *Reply
	Erased bool
}

// Has reports whether the principal has role r in the request.
func (v View) Has(r string) bool { return slices.Contains(v.Roles, r) }

// Get returns a request for p: the unit that asked, the office that
// answers (or one above it), or a candidate (own line only).
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (View, error) {
	c, err := s.Store.GetHiringCheck(ctx, id)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, c)
}

func (s *Service) roles(p auth.Principal, c store.HiringCheck) []string {
	var out []string
	if p.Staff() && s.Auth.Can(p, auth.HiringRequest, auth.Resource{OrgPath: c.OrgPath}) {
		out = append(out, RoleUnit)
	}
	if p.Staff() && s.Auth.Can(p, auth.HiringAnswer, auth.Resource{OrgPath: c.ResponderPath}) {
		out = append(out, RoleOffice)
	}
	if p.SubjectID != 0 && p.Kind == auth.UserKind {
		for _, k := range c.Candidates {
			if k.SubjectID == p.SubjectID {
				out = append(out, RoleCandidate)
				break
			}
		}
	}
	return out
}

func (s *Service) view(ctx context.Context, p auth.Principal, c store.HiringCheck) (View, error) {
	v := View{C: c, Roles: s.roles(p, c), Erased: !c.ErasedAt.IsZero()}
	if len(v.Roles) == 0 {
		return View{}, fault.New(fault.NotFound, "没有这份查询申请，或无权查看")
	}
	if err := json.Unmarshal(c.Flow, &v.Flow); err != nil {
		return View{}, fmt.Errorf("hiring check %d flow: %w", c.ID, err)
	}
	var err error
	if v.Unit, err = s.Store.GetOrg(ctx, c.OrgID); err != nil {
		return View{}, err
	}
	if v.Responder, err = s.Store.GetOrg(ctx, c.ResponderID); err != nil {
		return View{}, err
	}
	chain, _ := s.ancestors(ctx, v.Unit)
	level := Province
	for _, a := range chain[:len(chain)-1] {
		if a.Kind == auth.Region && !provincial(a) {
			level = City
		}
	}
	v.Rule, _ = s.Routing.Rule(c.Kind, level)
	staff := v.Has(RoleUnit) || v.Has(RoleOffice)
	for _, k := range c.Candidates {
		if !staff && k.SubjectID != p.SubjectID {
			continue
		}
		l := Line{Index: k.Index, Post: k.Post, Target: k.Target, Lists: DecodeLists(k.Lists, s.Lists)}
		if k.NameEnc != nil {
			if l.Name, err = s.Keys.Decrypt(k.NameEnc); err != nil {
				return View{}, err
			}
			if l.IDNumber, err = s.Keys.Decrypt(k.IDEnc); err != nil {
				return View{}, err
			}
		} else {
			l.Name, l.IDNumber = "（已删除）", "（已删除）"
		}
		if !staff {
			l.IDNumber = credit.MaskID(l.IDNumber)
		}
		v.Lines = append(v.Lines, l)
	}
	if v.Flow.ReplyNo != "" {
		v.Reply = &Reply{No: v.Flow.ReplyNo, Date: v.Flow.ReplyDate, Office: v.Responder.Name, Unit: v.Unit.Name,
			RequestNo: c.DocNo, Kind: c.Kind, Lines: v.Lines}
	}
	return v, nil
}

// List returns the requests p may see: those its organisation asked, those
// its office answers, and, for a person, those about him or her.
func (s *Service) List(ctx context.Context, p auth.Principal) ([]View, error) {
	var all []store.HiringCheck
	seen := map[int64]bool{}
	add := func(f store.HiringFilter) error {
		cs, err := s.Store.ListHiringChecks(ctx, f)
		for _, c := range cs {
			if !seen[c.ID] {
				seen[c.ID] = true
				all = append(all, c)
			}
		}
		return err
	}
	if p.Staff() && s.Auth.Can(p, auth.HiringRequest, auth.Resource{OrgPath: p.Org.Path}) {
		if err := add(store.HiringFilter{OrgPath: p.Org.Path}); err != nil {
			return nil, err
		}
	}
	if p.Staff() && s.Auth.Can(p, auth.HiringAnswer, auth.Resource{OrgPath: p.Org.Path}) {
		if err := add(store.HiringFilter{ResponderPath: p.Org.Path}); err != nil {
			return nil, err
		}
	}
	if p.SubjectID != 0 {
		if err := add(store.HiringFilter{SubjectID: p.SubjectID}); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(all, func(a, b store.HiringCheck) int { return int(b.ID - a.ID) })
	var out []View
	for _, c := range all {
		full, err := s.Store.GetHiringCheck(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		v, err := s.view(ctx, p, full)
		if err != nil {
			continue
		}
		out = append(out, v)
	}
	return out, nil
}
