package complaint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/accesscode"
	"github.com/xinyong/xinyong/internal/attach"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store"
)

// Service files, routes and answers complaints.
type Service struct {
	Store store.Store
	Auth  *auth.Authorizer
	Keys  *pii.Keyring
	Clock deadline.Clock
	Now   func() time.Time
	// RecordID reads a record's public reference (portal.Service.RecordID),
	// for the record a 查实 answer links.
	RecordID func(ref string) (int64, bool)
}

// Limits of a complaint.
const (
	MaxWhatRunes    = 2000
	MaxNameRunes    = 100
	MaxContactRunes = 100
	MaxNoteRunes    = 2000
)

// Filing is a new complaint.
type Filing struct {
	SubjectName, SubjectCode string // the subject complained about
	What, When               string // what happened, and when (YYYY-MM-DD, optional)
	Name, Contact            string // the informant (both ignored when Anonymous)
	Anonymous                bool
	Evidence                 []attach.File
}

// Informant is who filed a named complaint.
type Informant struct {
	Name    string `json:"name"`
	Contact string `json:"contact"`
}

// View is a complaint as a principal sees it.
type View struct {
	Row  store.ComplaintRow
	Case Case
	// Informant is decrypted for the handling staff only.
	Informant *Informant
	// Office: p routes complaints (the credit office); Department: p
	// answers this one; Holder: p holds its 查询码.
	Office, Department, Holder bool
}

// Handler reports whether the viewer handles the complaint.
func (v View) Handler() bool { return v.Office || v.Department }

// CanRoute and CanAnswer say what the viewer may do now.
func (v View) CanRoute() bool  { return v.Office && v.Case.State != Closed }
func (v View) CanAnswer() bool { return v.Department && v.Case.State == Handling }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) audit(p auth.Principal, subject int64, action string) auth.AuditEntry {
	return auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: auth.AuditComplaint, Outcome: action, SubjectID: subject}
}

func runes(what, v string, limit int, required bool) (string, error) {
	v = strings.TrimSpace(v)
	n := utf8.RuneCountInString(v)
	switch {
	case n == 0 && required:
		return "", invalid("%s：必填", what)
	case n > limit:
		return "", invalid("%s：最多%d字，现有%d字", what, limit, n)
	}
	if reason := credit.BidiReason(v); reason != "" {
		return "", invalid("%s：%s", what, reason)
	}
	return v, nil
}

// File files a complaint by p (anyone) and returns it with its 查询码,
// shown to the informant once.
func (s *Service) File(ctx context.Context, p auth.Principal, f Filing) (View, string, error) {
	var err error
	row := store.ComplaintRow{State: string(Routing), Anonymous: f.Anonymous}
	if row.SubjectName, err = runes("被投诉举报对象名称", f.SubjectName, 200, true); err != nil {
		return View{}, "", err
	}
	if c := strings.ToUpper(strings.TrimSpace(f.SubjectCode)); c != "" {
		res := code.Check(code.KindAuto, c)
		if res.Status != code.StatusValid {
			return View{}, "", invalid("被投诉举报对象的统一社会信用代码：%s", res.DetailZH)
		}
		row.SubjectCode = c
		if sub, err := s.Store.FindSubjectByCode(ctx, c); err == nil {
			row.SubjectID = sub.ID
		} else if !errors.Is(err, store.ErrNotFound) {
			return View{}, "", err
		}
	}
	var cs Case
	cs.State = Routing
	if cs.What, err = runes("投诉举报内容", f.What, MaxWhatRunes, true); err != nil {
		return View{}, "", err
	}
	if w := strings.TrimSpace(f.When); w != "" {
		d, err := calendar.ParseDate(w)
		if err != nil {
			return View{}, "", invalid("发生时间：应为YYYY-MM-DD格式的日期：%s", w)
		}
		if d.After(calendar.FromTime(s.now())) {
			return View{}, "", invalid("发生时间：不能晚于今天：%s", w)
		}
		cs.When = d.String()
	}
	if !f.Anonymous {
		var in Informant
		if in.Name, err = runes("投诉举报人姓名或名称", f.Name, MaxNameRunes, false); err != nil {
			return View{}, "", err
		}
		if in.Contact, err = runes("联系方式", f.Contact, MaxContactRunes, false); err != nil {
			return View{}, "", err
		}
		if in.Contact == "" {
			return View{}, "", invalid("联系方式：实名投诉举报须填写联系方式以便答复；不愿留下联系方式的，请选择匿名（匿名投诉举报不予答复）")
		}
		b, _ := json.Marshal(in)
		row.Informant = s.Keys.Encrypt(string(b))
	}
	checked, err := attach.Check(f.Evidence, "证据材料")
	if err != nil {
		return View{}, "", invalid("%s", err.Error())
	}
	files := make([]store.CaseFile, len(checked))
	for i, c := range checked {
		files[i] = store.CaseFile{Name: c.Name, ContentType: c.ContentType, Size: c.Size, SHA256: c.SHA256, Data: s.Keys.Encrypt(string(c.Data))}
	}
	now := s.now()
	if cs.Route, err = s.Clock.Start("complaint.route", now); err != nil {
		return View{}, "", err
	}
	accessCode, access, err := accesscode.New()
	if err != nil {
		return View{}, "", err
	}
	cs.Access = access
	cs.History = []Event{{At: now, Action: "file", Actor: "informant"}}
	row.FiledAt = now
	if err := fill(&row, cs); err != nil {
		return View{}, "", err
	}
	row, err = s.Store.AddComplaint(ctx, row, files, s.audit(p, row.SubjectID, "file"))
	if err != nil {
		return View{}, "", err
	}
	v, err := s.view(ctx, p, row, accessCode)
	return v, accessCode, err
}

// fill writes the case into the row's searched columns and body.
func fill(row *store.ComplaintRow, c Case) error {
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	row.Body, row.State, row.Outcome, row.DueOn = body, string(c.State), string(c.Outcome), ""
	switch {
	case c.State == Routing:
		row.DueOn = c.Route.Due.String()
	case c.State == Handling && c.Answer != nil:
		row.DueOn = c.Answer.Due.String()
	}
	return nil
}

// Decode reads a stored case.
func Decode(row store.ComplaintRow) (Case, error) {
	var c Case
	if err := json.Unmarshal(row.Body, &c); err != nil {
		return Case{}, fmt.Errorf("complaint %d: %w", row.ID, err)
	}
	return c, nil
}

// office reports whether p is the credit office: staff of the operator
// with complaint.handle.
func (s *Service) office(p auth.Principal) bool {
	return p.Staff() && p.Org.Kind == auth.Operator && s.Auth.Can(p, auth.ComplaintHandle, auth.Resource{OrgPath: p.Org.Path})
}

func (s *Service) view(ctx context.Context, p auth.Principal, row store.ComplaintRow, accessCode string) (View, error) {
	c, err := Decode(row)
	if err != nil {
		return View{}, err
	}
	v := View{Row: row, Case: c, Holder: accesscode.Matches(c.Access, accessCode), Office: s.office(p)}
	if row.Dept != "" && p.Staff() {
		dept, err := store.DeptOrg(ctx, s.Store, row.Dept)
		if err != nil {
			return View{}, err
		}
		if dept != nil {
			reach := s.Auth.Reach(p, auth.ComplaintHandle, dept, row.SubjectID)
			v.Department = reach.Department || reach.Above
		}
	}
	if v.Handler() && row.Informant != nil {
		pt, err := s.Keys.Decrypt(row.Informant)
		if err != nil {
			return View{}, fmt.Errorf("complaint %d informant: %w", row.ID, err)
		}
		var in Informant
		if err := json.Unmarshal([]byte(pt), &in); err != nil {
			return View{}, err
		}
		v.Informant = &in
	}
	if !v.Handler() {
		// The reply is for the named informant; the informant's identity
		// for the handling staff.
		if row.Anonymous {
			v.Case.Reply = ""
		}
	}
	return v, nil
}

// Get returns complaint id for p, who must handle it or hold its 查询码
// (ErrNotFound otherwise: a complaint is not public).
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64, accessCode string) (View, error) {
	row, err := s.Store.GetComplaint(ctx, id)
	if err != nil {
		return View{}, err
	}
	v, err := s.view(ctx, p, row, accessCode)
	if err != nil {
		return View{}, err
	}
	if !v.Handler() && !v.Holder {
		if p.Staff() {
			s.Auth.Decide(p, auth.ComplaintHandle, auth.Resource{SubjectID: row.SubjectID}) // logs the denial
		}
		return View{}, fmt.Errorf("complaint %d: %w", id, store.ErrNotFound)
	}
	return v, nil
}

// Route sends complaint id to the competent department (its USCC) for p,
// the credit office; rev is the revision p saw. A complaint being handled
// may be routed again (the answer's deadline restarts).
func (s *Service) Route(ctx context.Context, p auth.Principal, id int64, rev int, deptUSCC, note string) (View, error) {
	v, err := s.Get(ctx, p, id, "")
	if err != nil {
		return View{}, err
	}
	if !v.CanRoute() {
		return View{}, refuse("只有信用工作主管部门（平台运营单位）的投诉举报办理员可以分办未办结的投诉举报")
	}
	if v.Row.Rev != rev {
		return View{}, fmt.Errorf("complaint %d: %w", id, store.ErrConflict)
	}
	dept, err := store.DeptOrg(ctx, s.Store, strings.TrimSpace(deptUSCC))
	if err != nil {
		return View{}, err
	}
	if dept == nil || dept.Kind != auth.Dept || dept.Disabled {
		return View{}, invalid("承办部门：请从列表中选择一个部门：%s", deptUSCC)
	}
	if note, err = runes("分办意见", note, MaxNoteRunes, false); err != nil {
		return View{}, err
	}
	now := s.now()
	c := v.Case
	if c.State == Routing {
		c.Route.Done = now
	}
	t, err := s.Clock.Start("complaint.answer", now)
	if err != nil {
		return View{}, err
	}
	c.Answer, c.State, c.DeptName = &t, Handling, dept.Name
	c.History = append(c.History, Event{At: now, Action: "route", Actor: p.String(), Note: dept.Name + noteSep(note)})
	row := v.Row
	row.Dept = dept.USCC
	if err := fill(&row, c); err != nil {
		return View{}, err
	}
	row, err = s.Store.UpdateComplaint(ctx, row, s.audit(p, row.SubjectID, "route"))
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, row, "")
}

func noteSep(note string) string {
	if note == "" {
		return ""
	}
	return "：" + note
}

// Answer is a department's answer.
type Answer struct {
	Outcome    Outcome
	Finding    string // 办理结果, required
	Reply      string // to a named informant (ignored for an anonymous one)
	RecordRef  string // 查实: the record filed through intake
	TransferTo string // 转办: the body it was passed to
}

// Answer closes complaint id with the competent department's answer for
// p; rev is the revision p saw.
func (s *Service) Answer(ctx context.Context, p auth.Principal, id int64, rev int, a Answer) (View, error) {
	v, err := s.Get(ctx, p, id, "")
	if err != nil {
		return View{}, err
	}
	if !v.CanAnswer() {
		return View{}, refuse("只有承办部门的投诉举报办理员可以答复办理中的投诉举报")
	}
	if v.Row.Rev != rev {
		return View{}, fmt.Errorf("complaint %d: %w", id, store.ErrConflict)
	}
	c, row := v.Case, v.Row
	if !slices.Contains(Outcomes, a.Outcome) {
		return View{}, invalid("办理结果：应为查实、不属实或转办之一")
	}
	if c.Finding, err = runes("办理结果说明", a.Finding, MaxNoteRunes, true); err != nil {
		return View{}, err
	}
	if !row.Anonymous {
		if c.Reply, err = runes("答复投诉举报人", a.Reply, MaxNoteRunes, false); err != nil {
			return View{}, err
		}
	}
	switch a.Outcome {
	case Substantiated:
		id, ok := int64(0), false
		if s.RecordID != nil {
			id, ok = s.RecordID(strings.TrimSpace(a.RecordRef))
		}
		if !ok {
			return View{}, invalid("查实的，请先通过数据报送录入认定的失信信息（如行政处罚），再填写该信息的编号：%s", a.RecordRef)
		}
		r, err := s.Store.GetRecord(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return View{}, invalid("信息编号：平台没有该信息：%s", a.RecordRef)
		}
		if err != nil {
			return View{}, err
		}
		if r.SourceDept != row.Dept {
			return View{}, invalid("信息编号：该信息不是本部门报送的：%s", a.RecordRef)
		}
		if row.SubjectID != 0 && r.SubjectID != row.SubjectID {
			return View{}, invalid("信息编号：该信息的主体不是被投诉举报对象：%s", a.RecordRef)
		}
		row.SubjectID, c.Record = r.SubjectID, r.ID
	case Transferred:
		if c.Transfer, err = runes("转办单位", a.TransferTo, 200, true); err != nil {
			return View{}, err
		}
	}
	now := s.now()
	c.Answer.Done = now
	c.State, c.Outcome = Closed, a.Outcome
	row.Timeliness = OnTime
	if s.Clock.Status(*c.Answer, now).State == deadline.DoneLate {
		row.Timeliness = Late
	}
	c.History = append(c.History, Event{At: now, Action: "answer", Actor: p.String(), Note: a.Outcome.Label() + "：" + c.Finding})
	if err := fill(&row, c); err != nil {
		return View{}, err
	}
	row, err = s.Store.UpdateComplaint(ctx, row, s.audit(p, row.SubjectID, "answer"))
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, row, "")
}

// Queue returns the complaints p handles: for the credit office, those
// not closed; for a department's handler, those routed to it and still
// open.
func (s *Service) Queue(ctx context.Context, p auth.Principal) ([]View, error) {
	var f store.ComplaintFilter
	switch {
	case s.office(p):
		f.States = []string{string(Routing), string(Handling)}
	case p.Staff() && p.Org.Kind == auth.Dept && p.Org.USCC != "" && s.Auth.Can(p, auth.ComplaintHandle, auth.Resource{OrgPath: p.Org.Path}):
		f.Dept, f.States = p.Org.USCC, []string{string(Handling)}
	default:
		return nil, nil
	}
	rows, err := s.Store.ListComplaints(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(rows))
	for _, r := range rows {
		v, err := s.view(ctx, p, r, "")
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Evidence returns file fileID of complaint id, opened, for its handling
// staff (ErrNotFound otherwise).
func (s *Service) Evidence(ctx context.Context, p auth.Principal, id, fileID int64) (store.CaseFile, error) {
	v, err := s.Get(ctx, p, id, "")
	if err != nil {
		return store.CaseFile{}, err
	}
	if !v.Handler() {
		return store.CaseFile{}, fmt.Errorf("complaint %d: %w", id, store.ErrNotFound)
	}
	f, err := s.Store.ComplaintFile(ctx, fileID)
	if err != nil {
		return store.CaseFile{}, err
	}
	if f.CaseID != id {
		return store.CaseFile{}, fmt.Errorf("complaint %d file %d: %w", id, fileID, store.ErrNotFound)
	}
	pt, err := s.Keys.Decrypt(f.Data)
	if err != nil {
		return store.CaseFile{}, err
	}
	f.Data = []byte(pt)
	return f, nil
}

// Stats are the public statistics of complaints.
type Stats struct {
	Received, Routing, Handling, Closed int
	ByOutcome                           map[Outcome]int
	OnTime, Late                        int
}

// OnTimeRate is the share of answers given on time, in percent with one
// decimal ("—" before any answer).
func (st Stats) OnTimeRate() string {
	if st.OnTime+st.Late == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", float64(st.OnTime)*100/float64(st.OnTime+st.Late))
}

// Statistics counts the complaints for the public.
func (s *Service) Statistics(ctx context.Context) (Stats, error) {
	counts, err := s.Store.ComplaintCounts(ctx)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{ByOutcome: map[Outcome]int{}}
	for _, c := range counts {
		st.Received += c.Count
		switch State(c.State) {
		case Routing:
			st.Routing += c.Count
		case Handling:
			st.Handling += c.Count
		case Closed:
			st.Closed += c.Count
			st.ByOutcome[Outcome(c.Outcome)] += c.Count
		}
		switch c.Timeliness {
		case OnTime:
			st.OnTime += c.Count
		case Late:
			st.Late += c.Count
		}
	}
	return st, nil
}
