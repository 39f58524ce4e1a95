package commitment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/store"
)

// BreachKind is the catalogue kind of the record filed for a breach.
const BreachKind = "wn"

// Service makes, shows and assesses commitments for principals.
//
// Roles: the subject user of the promisor (Promisor) signs and follows its
// commitments; staff of the accepting department with commitment.manage
// (Acceptor) register and assess them; staff of organisations above it
// (Superior) and the platform operator's (Platform) see them. Who else
// sees a commitment depends on its 公开类型: everyone (可向社会公开), any
// government staff (特定范围内公开), nobody else (不可公开).
type Service struct {
	Store store.Store
	Auth  *auth.Authorizer
	// Importer files the 违背信用承诺 record of a breach through intake.
	Importer *ingest.Importer
	Now      func() time.Time
}

// Role is in what capacity a principal holds a commitment.
type Role string

const (
	Promisor Role = "promisor" // the subject user of the promisor
	Acceptor Role = "acceptor" // staff of the accepting department: assesses
	Superior Role = "superior" // staff of an organisation above it
	Platform Role = "platform" // staff of the platform operator
)

// View is a commitment as a principal sees it.
type View struct {
	C       store.Commitment
	Subject credit.Subject
	History []Event
	Roles   []Role
	// CanAssess: the viewer may record the fulfilment now.
	CanAssess bool
}

// Has reports whether the viewer holds role r.
func (v View) Has(r Role) bool {
	for _, x := range v.Roles {
		if x == r {
			return true
		}
	}
	return false
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) audit(p auth.Principal, subject int64, a Action) auth.AuditEntry {
	return auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: auth.AuditCommitment, Outcome: string(a), SubjectID: subject}
}

// regionOf is the region of a commitment's 承诺编码 (受理地): the accepting
// department's, else that of the nearest organisation above it with one,
// else the promisor's.
func (s *Service) regionOf(ctx context.Context, acceptor auth.Org, sub credit.Subject) (string, error) {
	for o := acceptor; ; {
		if o.Region != "" {
			return o.Region, nil
		}
		if o.ParentID == 0 {
			return sub.Region, nil
		}
		var err error
		if o, err = s.Store.GetOrg(ctx, o.ParentID); err != nil {
			return "", err
		}
	}
}

// add stores a new commitment with its first event.
func (s *Service) add(ctx context.Context, p auth.Principal, c store.Commitment, region string, a Action, by string) (View, error) {
	h, err := json.Marshal([]Event{{At: s.now().UTC(), Action: a, By: by}})
	if err != nil {
		return View{}, err
	}
	c.History = h
	c, err = s.Store.AddCommitment(ctx, c, region, s.audit(p, c.SubjectID, a))
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, c)
}

// terms normalizes and checks terms made on or before today.
func (s *Service) terms(t Terms) (Terms, error) {
	today := calendar.FromTime(s.now())
	t = t.Normalize(today)
	return t, t.Check(today, false)
}

// Sign makes a commitment for p, a subject user, to the department whose
// USCC is acceptor.
func (s *Service) Sign(ctx context.Context, p auth.Principal, t Terms, acceptor string) (View, error) {
	if p.Kind != auth.UserKind || p.SubjectID == 0 {
		return View{}, refuse("只有信用主体用户可以在线签署信用承诺")
	}
	t, err := s.terms(t)
	acceptor = strings.TrimSpace(acceptor)
	org, oerr := store.DeptOrg(ctx, s.Store, acceptor)
	if oerr != nil {
		return View{}, oerr
	}
	if org == nil || org.Kind != auth.Dept || org.Disabled {
		var e errs // the acceptor's error with the terms' own
		if inv := (*Invalid)(nil); errors.As(err, &inv) {
			e = inv.Errs
		}
		if acceptor == "" {
			e.add("承诺受理单位", "必填")
		} else {
			e.add("承诺受理单位", "不是本平台的部门（统一社会信用代码%s）", acceptor)
		}
		return View{}, e.err()
	}
	if err != nil {
		return View{}, err
	}
	sub, err := s.Store.GetSubject(ctx, p.SubjectID)
	if err != nil {
		return View{}, err
	}
	region, err := s.regionOf(ctx, *org, sub)
	if err != nil {
		return View{}, err
	}
	return s.add(ctx, p, store.Commitment{Kind: t.Kind, KindOther: t.KindOther, SubjectID: sub.ID, PromisorName: sub.Name,
		Matter: t.Matter, Content: t.Content, Liability: t.Liability, MadeOn: t.MadeOn, ValidUntil: t.ValidUntil,
		AcceptorName: org.Name, AcceptorCode: org.USCC, Disclosure: t.Disclosure, Note: t.Note, MadeBy: p.ID},
		region, Sign, sub.Name)
}

// PromisorRef names the subject that made a commitment registered by its
// accepting department.
type PromisorRef struct {
	Class string // 承诺人类别: 法人及非法人组织, 个体工商户 or 自然人
	Code  string // 承诺人代码: USCC, or 身份证号 for a person
	Name  string // 承诺人名称
}

// classes maps the 承诺人类别 to subject classes.
var classes = map[string]credit.Class{"法人及非法人组织": credit.ClassOrg, "个体工商户": credit.ClassSole, "自然人": credit.ClassPerson}

// ClassLabels are the 承诺人类别, in the order forms show them.
var ClassLabels = []string{"法人及非法人组织", "个体工商户", "自然人"}

// promisor finds the subject pr names; when the registry does not have it
// yet, it returns the new subject to add (found false), checked.
func (s *Service) promisor(ctx context.Context, pr PromisorRef) (sub credit.Subject, found bool, err error) {
	pr.Class, pr.Code, pr.Name = strings.TrimSpace(pr.Class), strings.ToUpper(strings.TrimSpace(pr.Code)), strings.TrimSpace(pr.Name)
	var e errs
	class, ok := classes[pr.Class]
	if !ok {
		e.add("承诺人类别", "应为%s之一：%s", strings.Join(ClassLabels, "、"), pr.Class)
	}
	e.text("承诺人代码", pr.Code, true, 18)
	e.text("承诺人名称", pr.Name, true, MaxName)
	if err := e.err(); err != nil {
		return credit.Subject{}, false, err
	}
	sub, err = s.Store.FindSubjectByCode(ctx, pr.Code)
	if err == nil {
		if sub.Class == credit.ClassPerson != (class == credit.ClassPerson) {
			e.add("承诺人类别", "与主体库中代码为该值的主体（%s）不符", sub.Class.Label())
			return credit.Subject{}, false, e.err()
		}
		return sub, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return credit.Subject{}, false, err
	}
	n := credit.Subject{Class: class, Name: pr.Name}
	if class == credit.ClassPerson {
		n.IDNumber = pr.Code
	} else {
		n.USCC = pr.Code
	}
	if err := n.Validate(); err != nil {
		e.add("承诺人代码", "%v", err)
		return credit.Subject{}, false, e.err()
	}
	return n, false, nil
}

// Register records a commitment pr made to p's department.
func (s *Service) Register(ctx context.Context, p auth.Principal, t Terms, pr PromisorRef) (View, error) {
	if !p.Staff() || p.Org.Kind != auth.Dept || p.Org.USCC == "" || !s.Auth.Can(p, auth.CommitmentManage, auth.Resource{OrgPath: p.Org.Path}) {
		if p.Staff() {
			s.Auth.Decide(p, auth.CommitmentManage, auth.Resource{OrgPath: p.Org.Path}) // logs the denial
		}
		return View{}, refuse("只有承诺受理部门（有登记信用承诺权限的人员或接口）可以登记信用承诺")
	}
	t, terr := s.terms(t)
	sub, found, err := s.promisor(ctx, pr)
	if terr != nil || err != nil {
		var all []FieldError
		for _, e := range []error{terr, err} {
			var inv *Invalid
			if errors.As(e, &inv) {
				all = append(all, inv.Errs...)
			} else if e != nil {
				return View{}, e
			}
		}
		return View{}, &Invalid{Errs: all}
	}
	if !found {
		// Only a valid registration adds its promisor to the registry (a
		// stop before the commitment is stored leaves the subject, which
		// the retry finds).
		if _, err := s.Store.PutSubjects(ctx, []credit.Subject{sub}); err != nil {
			return View{}, err
		}
		code := sub.USCC
		if sub.Class == credit.ClassPerson {
			code = sub.IDNumber
		}
		if sub, err = s.Store.FindSubjectByCode(ctx, code); err != nil {
			return View{}, err
		}
	}
	region, err := s.regionOf(ctx, p.Org, sub)
	if err != nil {
		return View{}, err
	}
	return s.add(ctx, p, store.Commitment{Kind: t.Kind, KindOther: t.KindOther, SubjectID: sub.ID, PromisorName: strings.TrimSpace(pr.Name),
		Matter: t.Matter, Content: t.Content, Liability: t.Liability, MadeOn: t.MadeOn, ValidUntil: t.ValidUntil,
		AcceptorName: p.Org.Name, AcceptorCode: p.Org.USCC, Disclosure: t.Disclosure, Note: t.Note},
		region, Register, p.Org.Name)
}

// roles returns the roles p holds for c.
func (s *Service) roles(ctx context.Context, p auth.Principal, c store.Commitment) ([]Role, error) {
	var out []Role
	if p.Kind == auth.UserKind && p.SubjectID != 0 && p.SubjectID == c.SubjectID {
		out = append(out, Promisor)
	}
	if !p.Staff() {
		return out, nil
	}
	var org *auth.Org
	if c.AcceptorCode != "" {
		var err error
		if org, err = store.DeptOrg(ctx, s.Store, c.AcceptorCode); err != nil {
			return nil, err
		}
	}
	reach := s.Auth.Reach(p, auth.CommitmentManage, org, c.SubjectID)
	if reach.Department {
		out = append(out, Acceptor)
	}
	if reach.Above {
		out = append(out, Superior)
	}
	if reach.Platform {
		out = append(out, Platform)
	}
	return out, nil
}

// visible reports whether a principal holding roles may see c.
func visible(p auth.Principal, c store.Commitment, roles []Role) bool {
	switch c.Disclosure {
	case Public:
		return true
	case Limited:
		return len(roles) > 0 || p.Staff()
	}
	return len(roles) > 0
}

// view builds p's view of c; store.ErrNotFound when p may not see it.
func (s *Service) view(ctx context.Context, p auth.Principal, c store.Commitment) (View, error) {
	return s.viewCached(ctx, p, c, nil)
}

// viewCached is view reading each subject once (subs caches them).
func (s *Service) viewCached(ctx context.Context, p auth.Principal, c store.Commitment, subs map[int64]credit.Subject) (View, error) {
	roles, err := s.roles(ctx, p, c)
	if err != nil {
		return View{}, err
	}
	if !visible(p, c, roles) {
		return View{}, fmt.Errorf("commitment %d: %w", c.ID, store.ErrNotFound)
	}
	h, err := History(c)
	if err != nil {
		return View{}, err
	}
	sub, ok := subs[c.SubjectID]
	if !ok {
		if sub, err = s.Store.GetSubject(ctx, c.SubjectID); err != nil {
			return View{}, err
		}
		if subs != nil {
			subs[c.SubjectID] = sub
		}
	}
	v := View{C: c, Subject: sub, History: h, Roles: roles}
	v.CanAssess = c.Status == "" && v.Has(Acceptor)
	return v, nil
}

// Get returns commitment id as p may see it (store.ErrNotFound when it
// does not exist or p may not see it).
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (View, error) {
	c, err := s.Store.GetCommitment(ctx, id)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, c)
}

// list returns the commitments f selects that p may see.
func (s *Service) list(ctx context.Context, p auth.Principal, f store.CommitmentFilter) ([]View, error) {
	cs, err := s.Store.ListCommitments(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []View
	subs := map[int64]credit.Subject{}
	for _, c := range cs {
		v, err := s.viewCached(ctx, p, c, subs)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// OfSubject returns the commitments of a subject p may see, newest first:
// the public ones for everyone (the 信用承诺 section of its file).
func (s *Service) OfSubject(ctx context.Context, p auth.Principal, subjectID int64) ([]View, error) {
	f := store.CommitmentFilter{SubjectID: subjectID, Limit: 200}
	if !p.Staff() && p.SubjectID != subjectID {
		f.Disclosures = []string{Public}
	}
	return s.list(ctx, p, f)
}

// Queue returns what p handles: a department's staff, the commitments
// made to it (those waiting for an assessment first when pending); a
// subject user, its own.
func (s *Service) Queue(ctx context.Context, p auth.Principal, pending bool) ([]View, error) {
	switch {
	case p.Staff() && p.Org.USCC != "":
		return s.list(ctx, p, store.CommitmentFilter{AcceptorCode: p.Org.USCC, Unassessed: pending})
	case p.Kind == auth.UserKind && p.SubjectID != 0:
		return s.list(ctx, p, store.CommitmentFilter{SubjectID: p.SubjectID})
	}
	return nil, nil
}

// Assess records the fulfilment of commitment id for p, staff of the
// accepting department; rev is the revision p saw. A breach files the
// 违背信用承诺 record through intake first.
func (s *Service) Assess(ctx context.Context, p auth.Principal, id int64, rev int, a Assessment) (View, error) {
	v, err := s.Get(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	if !v.Has(Acceptor) {
		s.Auth.Decide(p, auth.CommitmentManage, auth.Resource{SubjectID: v.C.SubjectID}) // logs the denial
		return View{}, refuse("只有承诺受理单位可以认定承诺履行状态")
	}
	if v.C.Rev != rev {
		return View{}, fmt.Errorf("commitment %d: %w", id, store.ErrConflict)
	}
	if v.C.Status != "" {
		return View{}, refuse("该承诺已于%s认定为%s", v.C.AssessedOn, v.C.Status)
	}
	if v.C.Kind == store.CommitmentRepair {
		return View{}, refuse("信用修复承诺的履行情况在信用修复抽查复核中认定：复核不通过的，撤销修复、恢复公示")
	}
	today := calendar.FromTime(s.now())
	a = a.Normalize(today)
	if err := a.Check(v.C, today); err != nil {
		return View{}, err
	}
	c := v.C
	if a.Breach() {
		if c.BreachRecordID, err = s.fileBreach(ctx, p, v, a); err != nil {
			return View{}, err
		}
	}
	c.Status, c.Unfulfilled, c.Pursued, c.AssessedOn = a.Status, a.Unfulfilled, a.Pursued, a.AssessedOn
	c.AssessorName, c.AssessorCode = p.Org.Name, p.Org.USCC
	h := append(v.History, Event{At: s.now().UTC(), Action: Assess, By: p.Org.Name, Note: strings.TrimSpace(a.Status + " " + a.Note)})
	if c.History, err = json.Marshal(h); err != nil {
		return View{}, err
	}
	c, err = s.Store.UpdateCommitment(ctx, c, s.audit(p, c.SubjectID, Assess))
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, c)
}

// ClassLabel is the 承诺人类别 of a subject class (a government body is
// a 法人).
func ClassLabel(c credit.Class) string {
	switch c {
	case credit.ClassSole:
		return "个体工商户"
	case credit.ClassPerson:
		return "自然人"
	}
	return "法人及非法人组织"
}

// PlaceholderUSCC is what a sole trader without a USCC puts in the USCC
// field (790号).
const PlaceholderUSCC = "00000000000000000X"

// BreachRow is the 违背信用承诺 record of a breach of c found by a, filed
// by dept (the accepting department, or the platform for a repair
// commitment); idNumber is the promisor's 证件号码 when it is a person.
func BreachRow(c store.Commitment, sub credit.Subject, a Assessment, dept auth.Org) map[string]any {
	kind := c.Kind
	if kind == KindOther && c.KindOther != "" {
		kind = KindOther + "-" + c.KindOther
	}
	acceptorName, acceptorCode := c.AcceptorName, c.AcceptorCode
	if acceptorCode == "" {
		acceptorName, acceptorCode = dept.Name, dept.USCC
	}
	row := map[string]any{
		"subject_name": sub.Name, "subject_class": ClassLabel(sub.Class),
		"decision_no": c.Code, "commitment_kind": kind, "matter": c.Matter, "content": c.Content, "liability": c.Liability,
		"made_on": c.MadeOn, "fulfilment": a.Status, "unfulfilled": a.Unfulfilled, "pursued": a.Pursued,
		"decision_date": a.AssessedOn, "acceptor": acceptorName, "acceptor_uscc": acceptorCode,
		"source_dept": dept.Name, "source_dept_uscc": dept.USCC,
	}
	switch {
	case sub.Class == credit.ClassPerson:
		row["subject_id_type"], row["subject_id_number"] = "身份证", a.PromisorID
	case sub.USCC != "":
		row["subject_uscc"] = sub.USCC
	default:
		row["subject_uscc"], row["subject_reg_no"] = PlaceholderUSCC, sub.RegNo
	}
	if a.Note != "" {
		row["remarks"] = a.Note
	}
	return row
}

// fileBreach files the 违背信用承诺 record of v's breach through intake as
// p's department and returns its id. A record the intake refuses refuses
// the assessment, with the intake's reasons.
func (s *Service) fileBreach(ctx context.Context, p auth.Principal, v View, a Assessment) (int64, error) {
	if s.Importer == nil {
		return 0, errors.New("commitment: no intake to file the breach through")
	}
	if v.Subject.Class == credit.ClassPerson {
		var e errs
		switch sub, err := s.Store.FindSubjectByCode(ctx, strings.ToUpper(a.PromisorID)); {
		case a.PromisorID == "":
			e.add("承诺人证件号码", "承诺人为自然人，认定违诺须填写其身份证号码（平台不保存明文证件号码）")
		case errors.Is(err, store.ErrNotFound) || err == nil && sub.ID != v.C.SubjectID:
			e.add("承诺人证件号码", "与承诺人不符")
		case err != nil:
			return 0, err
		}
		if err := e.err(); err != nil {
			return 0, err
		}
		a.PromisorID = strings.ToUpper(a.PromisorID)
	}
	t, err := ingest.ObjectsTable([]map[string]any{BreachRow(v.C, v.Subject, a, p.Org)})
	if err != nil {
		return 0, err
	}
	res, err := s.Importer.Import(ctx, t, ingest.Options{Kind: BreachKind, Dept: p.Org.USCC, Channel: "commitment", Outcomes: true})
	if err != nil {
		return 0, err
	}
	if len(res.Rejected) > 0 || len(res.Outcomes) != 1 {
		var e errs
		for _, r := range res.Rejected {
			e.add(r.Field, "生成违背信用承诺信息时被归集拒绝：%s", r.Reason)
		}
		if len(e) == 0 {
			e.add("违背信用承诺信息", "归集未返回结果")
		}
		return 0, e.err()
	}
	return res.Outcomes[0].ID, nil
}

// Rechecked returns the 信用修复型 commitment c assessed by the re-check
// (抽查复核) of the repair it was signed with, concluded at at by the
// organisation by (name, USCC) with note: kept (全部履行) when the
// re-check passed; 全部未履行 when it failed, the liability pursued being
// the revocation of the repair (the record is public again for the rest
// of its window). The caller stores it with the application.
func Rechecked(c store.Commitment, failed bool, at time.Time, by, byCode, note string) (store.Commitment, error) {
	h, err := History(c)
	if err != nil {
		return c, err
	}
	c.Status, c.AssessedOn, c.AssessorName, c.AssessorCode = Fulfilled, calendar.FromTime(at).String(), by, byCode
	if failed {
		c.Status, c.Unfulfilled, c.Pursued = NotFulfilled, note, "信用修复抽查复核不通过，撤销信用修复，该信息恢复公示"
	}
	h = append(h, Event{At: at.UTC(), Action: Assess, By: by, Note: strings.TrimSpace("信用修复抽查复核：" + c.Status + " " + note)})
	if c.History, err = json.Marshal(h); err != nil {
		return c, err
	}
	return c, nil
}

// Column returns a page of the public column (信用承诺公示): the
// commitments open to the public (可向社会公开) f selects, newest first,
// and how many there are in all.
func (s *Service) Column(ctx context.Context, p auth.Principal, f store.CommitmentFilter) ([]View, int, error) {
	f.Disclosures = []string{Public}
	f.SubjectID, f.AcceptorCode, f.MadeBy, f.Unassessed = 0, "", 0, false
	total, err := s.Store.CountCommitments(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	vs, err := s.list(ctx, p, f)
	return vs, total, err
}
