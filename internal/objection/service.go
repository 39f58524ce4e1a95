package objection

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/accesscode"
	"github.com/xinyong/xinyong/internal/attach"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store"
)

// Service files objections and takes actions on them for principals: it
// decides which role a principal holds for a case, runs the state machine,
// applies a revocation to the record, and stores the case with its audit
// entry.
//
// Roles: the subject user whose subject the record is about files and
// follows its objections (Applicant); reviewers (objection.review) of the
// department that supplied the record decide (Department); reviewers of an
// organisation above it decide re-reviews (Superior); reviewers of the
// platform operator (the root organisation) reject objections out of
// scope and enter paper ones (Platform). A department that is not in the
// organisation tree (records imported at the command line for a USCC no
// organisation has) is answered for by the operator's reviewers.
type Service struct {
	Store store.Store
	Auth  *auth.Authorizer
	Keys  *pii.Keyring
	Clock deadline.Clock
	Now   func() time.Time
	// Public says whether a record is public today (portal.Service.IsPublic):
	// objections of others than the record's subject are taken only to
	// public records (nil: only the subject objects).
	Public func(ctx context.Context, recordID int64) (bool, error)
}

// View is a case as a principal sees it.
type View struct {
	Row    store.ObjectionRow
	Case   Case
	Record store.Record
	// Contact is the applicant's contact, decrypted for the staff who
	// handle the case and the applicant; "" for others.
	Contact string
	// Roles are the roles the viewer holds for the case; Can lists the
	// actions it may take now.
	Roles []Role
	Can   []Action
}

// MaxContactRunes bounds the applicant's contact.
const MaxContactRunes = 100

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// File files an objection to record recordID by p, who must be the subject
// user of the record's subject, with reasons and a contact (phone or
// e-mail; optional). The record is marked 异议处理中 at once.
func (s *Service) File(ctx context.Context, p auth.Principal, recordID int64, reasons, contact string, evidence []attach.File) (View, error) {
	r, err := s.Store.GetRecord(ctx, recordID)
	if err != nil {
		return View{}, err
	}
	if !s.subjectUser(p, r) {
		s.Auth.Decide(p, auth.SubjectFile, auth.Resource{SubjectID: r.SubjectID}) // logs the denial
		return View{}, refuse("只有该信息所涉主体的账户才能在线提出异议")
	}
	sub, err := s.Store.GetSubject(ctx, r.SubjectID)
	if err != nil {
		return View{}, err
	}
	v, _, err := s.file(ctx, p, r, sub.Name, reasons, contact, evidence, false)
	return v, err
}

// subjectUser reports whether p is the signed-in user of r's subject.
func (s *Service) subjectUser(p auth.Principal, r store.Record) bool {
	return p.Kind == auth.UserKind && s.Auth.Can(p, auth.SubjectFile, auth.Resource{SubjectID: r.SubjectID})
}

// Limits of an objection by someone other than the record's subject.
const (
	MaxNameRunes = 100
)

// FileWithEvidence files an objection to a public record by p, anyone
// (signed in or not) who is not the record's subject (the subject's own
// account uses File): the applicant's name, a contact and at least one
// piece of evidence are required, and the record must be public today.
// The record is marked 异议处理中 at once, as for the subject's own
// objections. It returns the case and its 查询码, shown to the applicant
// once: whoever holds it follows the case (GetWithCode, ActWithCode).
func (s *Service) FileWithEvidence(ctx context.Context, p auth.Principal, recordID int64, name, reasons, contact string,
	evidence []attach.File) (View, string, error) {
	r, err := s.Store.GetRecord(ctx, recordID)
	if err != nil {
		return View{}, "", err
	}
	if s.subjectUser(p, r) {
		v, err := s.File(ctx, p, recordID, reasons, contact, evidence)
		return v, "", err
	}
	if s.Public == nil {
		return View{}, "", refuse("只有该信息所涉主体的账户才能在线提出异议")
	}
	switch public, err := s.Public(ctx, r.ID); {
	case err != nil:
		return View{}, "", err
	case !public:
		return View{}, "", refuse("该信息不在公示中，只有该信息所涉主体可以提出异议")
	}
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return View{}, "", invalid("您不是该信息所涉主体的账户：其他人提出异议，请填写异议申请人的姓名或名称、联系方式，并上传证据材料")
	case n > MaxNameRunes:
		return View{}, "", invalid("申请人姓名或名称最多%d字，现有%d字", MaxNameRunes, n)
	}
	if reason := credit.BidiReason(name); reason != "" {
		return View{}, "", invalid("申请人姓名或名称%s", reason)
	}
	if strings.TrimSpace(contact) == "" {
		return View{}, "", invalid("请填写联系方式，以便信息提供单位联系核实")
	}
	if len(evidence) == 0 {
		return View{}, "", invalid("非信息所涉主体提出异议，须上传证明该信息有误的证据材料")
	}
	return s.file(ctx, p, r, name, reasons, contact, evidence, true)
}

// codeMatches reports whether code is the case's 查询码.
func codeMatches(c Case, code string) bool { return accesscode.Matches(c.Access, code) }

// file stores a new case about r by applicant name; withCode gives it a
// 查询码, returned.
func (s *Service) file(ctx context.Context, p auth.Principal, r store.Record, name, reasons, contact string, evidence []attach.File,
	withCode bool) (View, string, error) {
	contact = strings.TrimSpace(contact)
	if n := utf8.RuneCountInString(contact); n > MaxContactRunes {
		return View{}, "", invalid("联系方式最多%d字，现有%d字", MaxContactRunes, n)
	}
	if reason := credit.BidiReason(contact); reason != "" {
		return View{}, "", invalid("联系方式%s", reason)
	}
	checked, err := attach.Check(evidence, "证据材料")
	if err != nil {
		return View{}, "", invalid("%s", err.Error())
	}
	files := make([]store.CaseFile, len(checked))
	for i, f := range checked {
		files[i] = store.CaseFile{Name: f.Name, ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256, Data: s.Keys.Encrypt(string(f.Data))}
	}
	now := s.now()
	c, err := NewCase(s.Clock, now, now, Applicant, reasons)
	if err != nil {
		return View{}, "", err
	}
	var code string
	if withCode {
		if code, c.Access, err = accesscode.New(); err != nil {
			return View{}, "", err
		}
	}
	row := store.ObjectionRow{RecordID: r.ID, RecordVersion: r.Version, SubjectID: r.SubjectID, Dept: r.SourceDept,
		ApplicantName: name, FiledAt: now}
	if p.Kind == auth.UserKind {
		row.ApplicantUser = p.ID
	}
	if contact != "" {
		row.Contact = s.Keys.Encrypt(contact)
	}
	if err := s.fill(&row, c); err != nil {
		return View{}, "", err
	}
	row, err = s.Store.AddObjection(ctx, row, files, s.audit(p, r.SubjectID, File))
	if err != nil {
		return View{}, "", err
	}
	v, err := s.view(ctx, p, row, code)
	return v, code, err
}

// Evidence returns file fileID of objection id for p, who must hold a
// role for the case (ErrNotFound otherwise), with its data opened.
func (s *Service) Evidence(ctx context.Context, p auth.Principal, id, fileID int64) (store.CaseFile, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return store.CaseFile{}, err
	}
	f, err := s.Store.ObjectionFile(ctx, fileID)
	if err != nil {
		return store.CaseFile{}, err
	}
	if f.CaseID != id {
		return store.CaseFile{}, fmt.Errorf("objection %d file %d: %w", id, fileID, store.ErrNotFound)
	}
	pt, err := s.Keys.Decrypt(f.Data)
	if err != nil {
		return store.CaseFile{}, fmt.Errorf("objection %d file %d: %w", id, fileID, err)
	}
	f.Data = []byte(pt)
	return f, nil
}

// fill writes the case into the row's searched columns and body.
func (s *Service) fill(row *store.ObjectionRow, c Case) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	row.State, row.Marks, row.Body, row.DueOn = string(c.State), c.Marks(), body, ""
	if t, ok := c.Open(); ok {
		row.DueOn = t.Due.String()
	}
	return nil
}

func (s *Service) audit(p auth.Principal, subject int64, a Action) auth.AuditEntry {
	return auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: auth.AuditObjection, Outcome: string(a), SubjectID: subject}
}

// Decode reads a stored case.
func Decode(row store.ObjectionRow) (Case, error) {
	var c Case
	if err := json.Unmarshal(row.Body, &c); err != nil {
		return Case{}, fmt.Errorf("objection %d: %w", row.ID, err)
	}
	return c, nil
}

// Get returns case id as p sees it; ErrNotFound when p holds no role for
// it (a case is not public).
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (View, error) {
	return s.GetWithCode(ctx, p, id, "")
}

// GetWithCode is Get for p holding the case's 查询码 code: with the right
// code, p is its applicant.
func (s *Service) GetWithCode(ctx context.Context, p auth.Principal, id int64, code string) (View, error) {
	row, err := s.Store.GetObjection(ctx, id)
	if err != nil {
		return View{}, err
	}
	v, err := s.view(ctx, p, row, code)
	if err != nil {
		return View{}, err
	}
	if len(v.Roles) == 0 {
		return View{}, fmt.Errorf("objection %d: %w", id, store.ErrNotFound)
	}
	return v, nil
}

func (s *Service) view(ctx context.Context, p auth.Principal, row store.ObjectionRow, code string) (View, error) {
	c, err := Decode(row)
	if err != nil {
		return View{}, err
	}
	r, err := s.Store.GetRecord(ctx, row.RecordID)
	if err != nil {
		return View{}, err
	}
	roles, err := s.roles(ctx, p, row, c, code)
	if err != nil {
		return View{}, err
	}
	v := View{Row: row, Case: c, Record: r, Roles: roles}
	if len(roles) > 0 && row.Contact != nil {
		if v.Contact, err = s.Keys.Decrypt(row.Contact); err != nil {
			return View{}, err
		}
	}
	for _, a := range Actions {
		tr, ok := transitions[a]
		if ok && slices.Contains(tr.from, c.State) && slices.ContainsFunc(tr.roles, func(r Role) bool { return slices.Contains(roles, r) }) {
			v.Can = append(v.Can, a)
		}
	}
	return v, nil
}

// roles returns the roles p, holding the 查询码 code ("" for none), holds
// for the case.
func (s *Service) roles(ctx context.Context, p auth.Principal, row store.ObjectionRow, c Case, code string) ([]Role, error) {
	var out []Role
	if p.Kind == auth.UserKind && p.ID == row.ApplicantUser && row.ApplicantUser != 0 || codeMatches(c, code) {
		out = append(out, Applicant)
	}
	if !p.Staff() {
		return out, nil
	}
	dept, err := store.DeptOrg(ctx, s.Store, row.Dept)
	if err != nil {
		return nil, err
	}
	reach := s.Auth.Reach(p, auth.ObjectionReview, dept, row.SubjectID)
	if reach.Department {
		out = append(out, Department)
	}
	if reach.Above {
		out = append(out, Superior)
	}
	if reach.Platform {
		out = append(out, Platform)
	}
	return out, nil
}

// Act takes an action on case id for p, who must hold the role the action
// needs; rev is the revision p saw (a case changed meanwhile is refused
// with store.ErrConflict). A decision to revoke revokes the record; a
// decision to correct needs the corrected version filed first, through
// intake.
func (s *Service) Act(ctx context.Context, p auth.Principal, id int64, rev int, a Action, outcome Outcome, note string) (View, error) {
	return s.ActWithCode(ctx, p, id, "", rev, a, outcome, note)
}

// ActWithCode is Act for p holding the case's 查询码 code.
func (s *Service) ActWithCode(ctx context.Context, p auth.Principal, id int64, code string, rev int, a Action, outcome Outcome, note string) (View, error) {
	v, err := s.GetWithCode(ctx, p, id, code)
	if err != nil {
		return View{}, err
	}
	if v.Row.Rev != rev {
		return View{}, fmt.Errorf("objection %d: %w", id, store.ErrConflict)
	}
	tr, ok := transitions[a]
	if !ok {
		return View{}, invalid("不支持的操作：%s", a.Label())
	}
	i := slices.IndexFunc(tr.roles, func(r Role) bool { return slices.Contains(v.Roles, r) })
	if i < 0 {
		s.Auth.Decide(p, auth.ObjectionReview, auth.Resource{SubjectID: v.Row.SubjectID}) // logs the denial
		return View{}, refuse("您不能对该异议%s", a.Label())
	}
	c, err := v.Case.Apply(s.Clock, Input{Action: a, Role: tr.roles[i], At: s.now(), Outcome: outcome, Note: note})
	if err != nil {
		return View{}, err
	}
	if a == Decide || a == DecideReview {
		if err := s.applyOutcome(ctx, v.Record, v.Row, outcome, note); err != nil {
			return View{}, err
		}
	}
	row := v.Row
	if err := s.fill(&row, c); err != nil {
		return View{}, err
	}
	row, err = s.Store.UpdateObjection(ctx, row, s.audit(p, row.SubjectID, a))
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, row, code)
}

// applyOutcome makes the record agree with a decision.
func (s *Service) applyOutcome(ctx context.Context, r store.Record, row store.ObjectionRow, o Outcome, note string) error {
	switch o {
	case Revoke:
		if r.State == store.StateRevoked {
			return nil
		}
		return s.Store.SetRecordState(ctx, r.ID, store.StateRevoked, "异议核查撤销："+note)
	case Correct:
		if r.Version <= row.RecordVersion || r.State == store.StateRevoked {
			return refuse("请先报送更正后的信息（与原信息相同的决定文书号，更正原因写明异议更正），再作出更正决定")
		}
	}
	return nil
}

// Queue returns the cases p handles (as department, superior or
// platform) or filed (as applicant), the ones waiting longest first.
func (s *Service) Queue(ctx context.Context, p auth.Principal, states []State) ([]View, error) {
	f := store.CaseFilter{Limit: 500}
	for _, st := range states {
		f.States = append(f.States, string(st))
	}
	if !p.Staff() {
		if p.Kind != auth.UserKind {
			return nil, nil
		}
		f.ApplicantUser = p.ID
	}
	rows, err := s.Store.ListObjections(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []View
	for _, row := range rows {
		v, err := s.view(ctx, p, row, "")
		if err != nil {
			return nil, err
		}
		if len(v.Roles) > 0 {
			out = append(out, v)
		}
	}
	return out, nil
}

// MarkedAt returns which of the records were marked 异议处理中 at the
// instant t (only records flagged Objected are looked up).
func MarkedAt(ctx context.Context, st store.ObjectionStore, recs []store.Record, t time.Time) (map[int64]bool, error) {
	var ids []int64
	for _, r := range recs {
		if r.Objected {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := st.ObjectionsOfRecords(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for _, row := range rows {
		if row.FiledAt.After(t) {
			continue
		}
		c, err := Decode(row)
		if err != nil {
			return nil, err
		}
		if c.MarkedAt(t) {
			out[row.RecordID] = true
		}
	}
	return out, nil
}
