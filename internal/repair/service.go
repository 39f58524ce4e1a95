package repair

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/attach"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/commitment"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store"
)

// Service files credit repair applications and takes actions on them for
// principals: it decides which role a principal holds for an application,
// checks eligibility and the proofs, runs the state machine (Apply) and
// stores the application, its proofs and its commitment with an audit
// entry.
//
// Roles: the subject user whose subject the record is about applies and
// follows its applications (Applicant); reviewers (repair.review) of the
// platform operator, the root organisation, accept or reject them
// (Platform); reviewers of the department that supplied the record,
// belonging to it, approve or deny (Department). A department that is not
// in the organisation tree (records imported at the command line for a
// USCC no organisation has) is answered for by the operator's reviewers.
//
// On approval the store sets the record's repair day and appends the
// change-feed event in the transaction that stores the application. The
// portal stops showing the record from
// that day; the subject still sees it in its own file, marked 已信用修复.
// There is no fee.
type Service struct {
	Store store.Store
	Auth  *auth.Authorizer
	// Portal decides a record's publicity on a day, as the public window
	// does (eligibility is judged on today's decision).
	Portal *portal.Service
	// Keys seals the proof files (they often name persons: receipts,
	// ID cards of representatives).
	Keys  *pii.Keyring
	Clock deadline.Clock
	Now   func() time.Time
}

// Role is in what capacity a principal holds an application.
type Role string

const (
	Applicant  Role = "applicant"  // the subject user who applied
	Platform   Role = "platform"   // a reviewer of the platform operator: accepts or rejects
	Department Role = "department" // a reviewer of the supplying department: approves or denies
)

// Label is the role in Chinese.
func (r Role) Label() string {
	switch r {
	case Applicant:
		return "申请人"
	case Platform:
		return "平台"
	case Department:
		return "认定部门"
	}
	return string(r)
}

// Label is the actor's capacity in Chinese, for the history.
func (k ActorKind) Label() string {
	switch k {
	case ActorSubject:
		return "申请人"
	case ActorPlatform:
		return "平台"
	case ActorDepartment:
		return "认定部门"
	}
	return string(k)
}

// roleOf is the role each action needs.
var roleOf = map[ActionKind]Role{Accept: Platform, Reject: Platform, Approve: Department, Deny: Department, Withdraw: Applicant,
	Sample: Platform, RecheckPass: Platform, RecheckFail: Platform}

// allowed lists the actions of each waiting state.
var allowed = map[State][]ActionKind{Submitted: {Accept, Reject, Withdraw}, Accepted: {Approve, Deny, Withdraw}}

// Limits of an application.
const (
	MaxProofs      = attach.MaxFiles // files per application
	MaxProofBytes  = attach.MaxBytes // per file (5 MiB)
	MaxNoteRunes   = 2000            // a reason or remark
	CommitmentOpen = "可向社会公开"
)

// ProofTypes are the content types accepted for proofs (by sniffing the
// content, not by the name or the declared type).
var ProofTypes = attach.Types

// File is an uploaded proof.
type File struct {
	Name string
	Data []byte
}

// View is an application as a principal sees it.
type View struct {
	Row    store.RepairRow
	App    Application
	Record store.Record
	// Roles are the roles the viewer holds for the application; Can lists
	// the actions it may take now.
	Roles []Role
	Can   []ActionKind
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// refuse is a refusal of action a on an application in state st.
func refuse(a ActionKind, st State, format string, args ...any) error {
	return &Refusal{Action: a, State: st, Msg: fmt.Sprintf(format, args...)}
}

// invalid is a request for action a with a missing or wrong value.
func invalid(a ActionKind, st State, format string, args ...any) error {
	return &Refusal{Action: a, State: st, Msg: fmt.Sprintf(format, args...), Kind: fault.Invalid}
}

// subjectUser reports whether p is a user account of the record's subject.
func (s *Service) subjectUser(p auth.Principal, r store.Record) bool {
	return p.Kind == auth.UserKind && p.SubjectID != 0 && s.Auth.Can(p, auth.SubjectFile, auth.Resource{SubjectID: r.SubjectID})
}

// CommitmentFor is the 信用修复型 commitment a subject signs to apply for
// the repair of record r (its kind's name, e.g. 行政处罚): the text shown
// in full before the subject applies and stored with the application.
func CommitmentFor(kindName, decisionNo string) store.Commitment {
	return store.Commitment{
		Kind:       store.CommitmentRepair,
		Matter:     "申请对" + kindName + "决定书" + decisionNo + "信用修复",
		Content:    "本主体已纠正失信行为、履行法定义务，所提交材料真实有效。",
		Liability:  "如有虚假，自愿撤销修复、按最长公示期重新公示并承担法律责任。",
		Disclosure: CommitmentOpen,
	}
}

// Eligibility says whether and from when p, who must be a user of the
// record's subject, may apply for the repair of record recordID today
// (Check on today's publicity decision). While an application for the
// record is being handled, Open is false and Reason says so.
func (s *Service) Eligibility(ctx context.Context, p auth.Principal, recordID int64) (Eligibility, error) {
	_, e, _, _, err := s.eligibility(ctx, p, recordID)
	return e, err
}

// eligibility returns the record, its eligibility today, the commitment
// a subject would sign for it and the department that decides the repair.
func (s *Service) eligibility(ctx context.Context, p auth.Principal, recordID int64) (store.Record, Eligibility, store.Commitment, string, error) {
	r, err := s.Store.GetRecord(ctx, recordID)
	if err != nil {
		return r, Eligibility{}, store.Commitment{}, "", err
	}
	if !s.subjectUser(p, r) {
		s.Auth.Decide(p, auth.SubjectFile, auth.Resource{SubjectID: r.SubjectID}) // logs the denial
		return r, Eligibility{}, store.Commitment{}, "", refuse(Submit, "", "只有该信息所涉主体的账户才能在线申请信用修复")
	}
	today := calendar.FromTime(s.now())
	v, err := s.Portal.RecordInternal(ctx, s.Portal.RecordRef(r.ID), today)
	if err != nil {
		return r, Eligibility{}, store.Commitment{}, "", err
	}
	fields := make(map[string]string, len(v.Fields))
	for _, f := range v.Fields {
		fields[f.Key] = f.Value
	}
	e := Check(v.Kind, fields, v.Decision, today)
	if e.Open {
		rows, err := s.Store.RepairsOfRecords(ctx, []int64{r.ID})
		if err != nil {
			return r, Eligibility{}, store.Commitment{}, "", err
		}
		for _, row := range rows {
			if st := State(row.State); !st.Terminal() {
				e.Open = false
				e.Reason = fmt.Sprintf("该信息已有正在办理的信用修复申请（编号%d，%s），请等待办理结果；如需重新申请，请先撤回该申请", row.ID, st.Label())
				break
			}
		}
	}
	decider, err := s.decider(ctx, r, fields)
	if err != nil {
		return r, Eligibility{}, store.Commitment{}, "", err
	}
	return r, e, CommitmentFor(v.Kind.Name, r.DecisionNo), decider, nil
}

// decider is the department that decides a repair of r (谁认定、谁修复):
// the authority that made the decision (its authority_uscc field, as in
// 行政处罚) when the organisation tree has it or has not the supplying
// department either, else the department that supplied the record (which
// then answers for the authority).
func (s *Service) decider(ctx context.Context, r store.Record, fields map[string]string) (string, error) {
	authority := strings.TrimSpace(fields["authority_uscc"])
	if authority == "" || authority == r.SourceDept {
		return r.SourceDept, nil
	}
	if o, err := store.DeptOrg(ctx, s.Store, authority); err != nil || o != nil {
		return authority, err
	}
	if o, err := store.DeptOrg(ctx, s.Store, r.SourceDept); err != nil || o != nil {
		return r.SourceDept, err
	}
	return authority, nil
}

// Commitment returns the commitment p would sign to apply for the repair
// of record recordID, and its eligibility today.
func (s *Service) Commitment(ctx context.Context, p auth.Principal, recordID int64) (store.Commitment, Eligibility, error) {
	_, e, c, _, err := s.eligibility(ctx, p, recordID)
	return c, e, err
}

// checkProofs checks the uploaded proofs (package attach): 1 to MaxProofs
// files of at most MaxProofBytes each, PDF, JPEG or PNG by their content.
// It returns them as stored files.
func checkProofs(proofs []File) ([]store.CaseFile, error) {
	if len(proofs) == 0 {
		return nil, invalid(Submit, "", "请上传至少一份已履行法定义务、纠正失信行为的证明材料（PDF、JPG或PNG格式）")
	}
	in := make([]attach.File, len(proofs))
	for i, f := range proofs {
		in[i] = attach.File{Name: f.Name, Data: f.Data}
	}
	checked, err := attach.Check(in, "证明材料")
	if err != nil {
		return nil, invalid(Submit, "", "%s", err.Error())
	}
	out := make([]store.CaseFile, len(checked))
	for i, c := range checked {
		out[i] = store.CaseFile{Name: c.Name, ContentType: c.ContentType, Size: c.Size, SHA256: c.SHA256, Data: c.Data}
	}
	return out, nil
}

// Apply files an application for the repair of record recordID by p, who
// must be a user of the record's subject, with its proofs and the
// 信用修复型 commitment, which p must have accepted. The commitment is
// stored with the application (its 承诺编码 computed by the store).
func (s *Service) Apply(ctx context.Context, p auth.Principal, recordID int64, proofs []File, commitmentAccepted bool) (View, error) {
	r, e, c, decider, err := s.eligibility(ctx, p, recordID)
	if err != nil {
		return View{}, err
	}
	if !e.Open {
		msg := "当前不能申请信用修复：" + e.Reason
		if !e.From.IsZero() && calendar.FromTime(s.now()).Before(e.From) {
			msg = "当前不能申请信用修复，自" + e.From.String() + "起才可以申请：" + e.Reason
		}
		return View{}, refuse(Submit, "", "%s", msg)
	}
	files, err := checkProofs(proofs)
	if err != nil {
		return View{}, err
	}
	if !commitmentAccepted {
		return View{}, invalid(Submit, "", "请阅读信用修复承诺书并勾选“我已阅读并作出上述承诺”：申请信用修复须作出信用承诺")
	}
	sub, err := s.Store.GetSubject(ctx, r.SubjectID)
	if err != nil {
		return View{}, err
	}
	key := sub.USCC
	if key == "" {
		key = strconv.FormatInt(sub.ID, 10)
	}
	refs := make([]string, len(files))
	for i, f := range files {
		refs[i] = "sha256:" + f.SHA256
	}
	now := s.now()
	// The commitment's code is known only when it is stored: the
	// application names it once it is (Body below).
	app, err := Apply(Application{}, s.Clock, Action{Kind: Submit, Actor: Actor{Kind: ActorSubject, ID: key}, RecordID: r.ID,
		Department: decider, Proofs: refs, Commitment: "（承诺编码待生成）", Eligible: e}, now)
	if err != nil {
		return View{}, err
	}
	c.MadeOn = calendar.FromTime(now).String()
	row := store.RepairRow{RecordID: r.ID, RecordVersion: r.Version, SubjectID: r.SubjectID, Dept: decider,
		ApplicantUser: p.ID, ApplicantName: sub.Name, FiledAt: now}
	if err := fill(&row, app); err != nil {
		return View{}, err
	}
	for i := range files {
		files[i].Data = s.Keys.Encrypt(string(files[i].Data))
	}
	row, err = s.Store.AddRepair(ctx, store.NewRepair{Row: row, Files: files, Commitment: c,
		Body: func(code string) ([]byte, error) {
			app.Commitment = code
			return json.Marshal(app)
		},
		OpenStates: []string{string(Submitted), string(Accepted)}, // refused in the transaction too: a double click files one
	}, s.audit(p, r.SubjectID, Submit))
	if errors.Is(err, store.ErrExists) {
		return View{}, refuse(Submit, "", "该信息已有正在办理的信用修复申请，请等待办理结果；如需重新申请，请先撤回该申请")
	}
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, row)
}

// fill writes the application into the row's searched columns and body.
func fill(row *store.RepairRow, app Application) error {
	body, err := json.Marshal(app)
	if err != nil {
		return err
	}
	row.State, row.Body, row.DueOn, row.ApprovedOn = string(app.State), body, "", ""
	if t, ok := app.OpenTimer(); ok {
		row.DueOn = t.Due.String()
	}
	if !app.Approved.IsZero() {
		row.ApprovedOn = app.Approved.String()
	}
	return nil
}

func (s *Service) audit(p auth.Principal, subject int64, a ActionKind) auth.AuditEntry {
	return auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: auth.AuditRepair, Outcome: string(a), SubjectID: subject}
}

// Decode reads a stored application.
func Decode(row store.RepairRow) (Application, error) {
	var app Application
	if err := json.Unmarshal(row.Body, &app); err != nil {
		return Application{}, fmt.Errorf("repair %d: %w", row.ID, err)
	}
	return app, nil
}

// Get returns application id as p sees it, with its proofs and
// commitment; ErrNotFound when p holds no role for it (an application is
// not public).
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (View, error) {
	row, err := s.Store.GetRepair(ctx, id)
	if err != nil {
		return View{}, err
	}
	v, err := s.view(ctx, p, row)
	if err != nil {
		return View{}, err
	}
	if len(v.Roles) == 0 {
		return View{}, fmt.Errorf("repair %d: %w", id, store.ErrNotFound)
	}
	return v, nil
}

func (s *Service) view(ctx context.Context, p auth.Principal, row store.RepairRow) (View, error) {
	app, err := Decode(row)
	if err != nil {
		return View{}, err
	}
	r, err := s.Store.GetRecord(ctx, row.RecordID)
	if err != nil {
		return View{}, err
	}
	roles, err := s.roles(ctx, p, row)
	if err != nil {
		return View{}, err
	}
	v := View{Row: row, App: app, Record: r, Roles: roles}
	acts := allowed[app.State]
	if app.RecheckPending() {
		acts = []ActionKind{RecheckPass, RecheckFail}
	}
	for _, a := range acts {
		if slices.Contains(roles, roleOf[a]) {
			v.Can = append(v.Can, a)
		}
	}
	return v, nil
}

// roles returns the roles p holds for the application.
func (s *Service) roles(ctx context.Context, p auth.Principal, row store.RepairRow) ([]Role, error) {
	var out []Role
	if p.Kind == auth.UserKind && p.ID == row.ApplicantUser && row.ApplicantUser != 0 {
		out = append(out, Applicant)
	}
	if !p.Staff() {
		return out, nil
	}
	dept, err := store.DeptOrg(ctx, s.Store, row.Dept)
	if err != nil {
		return nil, err
	}
	reach := s.Auth.Reach(p, auth.RepairReview, dept, row.SubjectID)
	if reach.Platform {
		out = append(out, Platform)
	}
	if reach.Department {
		out = append(out, Department)
	}
	return out, nil
}

// Act takes action a on application id for p, who must hold the role the
// action needs; rev is the revision p saw (an application changed
// meanwhile is refused with store.ErrConflict). note is the reason of a
// rejection or denial (required), a remark otherwise.
//
// An approval sets the record's repair day and appends the change-feed
// event in the same transaction as the application.
func (s *Service) Act(ctx context.Context, p auth.Principal, id int64, rev int, a ActionKind, note string) (View, error) {
	v, err := s.Get(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	if v.Row.Rev != rev {
		return View{}, fmt.Errorf("repair %d: %w", id, store.ErrConflict)
	}
	role, ok := roleOf[a]
	if !ok {
		return View{}, invalid(a, v.App.State, "不支持的操作：%s", a.Label())
	}
	if !slices.Contains(v.Roles, role) {
		s.Auth.Decide(p, auth.RepairReview, auth.Resource{SubjectID: v.Row.SubjectID}) // logs the denial
		return View{}, refuse(a, v.App.State, "您不能对该信用修复申请%s", a.Label())
	}
	note = strings.TrimSpace(note)
	if n := utf8.RuneCountInString(note); n > MaxNoteRunes {
		return View{}, invalid(a, v.App.State, "理由或说明最多%d字，现有%d字", MaxNoteRunes, n)
	}
	if strings.ContainsFunc(note, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' && r != '\r' || r == 0x7f }) {
		return View{}, invalid(a, v.App.State, "理由或说明含有无法显示的字符")
	}
	if reason := credit.BidiReason(note); reason != "" {
		return View{}, invalid(a, v.App.State, "理由或说明%s", reason)
	}
	actor := Actor{ID: p.String(), Org: p.Org.USCC}
	switch role {
	case Applicant:
		actor = Actor{Kind: ActorSubject, ID: v.App.Subject}
	case Platform:
		actor.Kind = ActorPlatform
	case Department:
		actor.Kind, actor.Org = ActorDepartment, v.Row.Dept
	}
	app, err := Apply(v.App, s.Clock, Action{Kind: a, Actor: actor, Note: note}, s.now())
	if err != nil {
		return View{}, err
	}
	row := v.Row
	if err := fill(&row, app); err != nil {
		return View{}, err
	}
	row.Unrepair = app.State == Revoked // a failed re-check: publicity resumes
	if c := v.Row.Commitment; (a == RecheckPass || a == RecheckFail) && c.ID != 0 && c.Status == "" {
		// The re-check is the assessment of the 信用修复承诺, stored with it.
		c, err := commitment.Rechecked(c, a == RecheckFail, app.Recheck.Done, p.Org.Name, p.Org.USCC, note)
		if err != nil {
			return View{}, err
		}
		row.Assess = &c
	}
	row, err = s.Store.UpdateRepair(ctx, row, s.audit(p, row.SubjectID, a))
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, p, row.ID)
}

// File returns proof fileID of application repairID for p, who must hold
// a role for the application (ErrNotFound otherwise).
func (s *Service) File(ctx context.Context, p auth.Principal, repairID, fileID int64) (store.CaseFile, error) {
	if _, err := s.Get(ctx, p, repairID); err != nil {
		return store.CaseFile{}, err
	}
	f, err := s.Store.RepairFile(ctx, fileID)
	if err != nil {
		return store.CaseFile{}, err
	}
	if f.CaseID != repairID {
		return store.CaseFile{}, fmt.Errorf("repair %d file %d: %w", repairID, fileID, store.ErrNotFound)
	}
	pt, err := s.Keys.Decrypt(f.Data)
	if err != nil {
		return store.CaseFile{}, fmt.Errorf("repair %d file %d: %w", repairID, fileID, err)
	}
	f.Data = []byte(pt)
	return f, nil
}

// Queue returns the applications p handles (as platform or department)
// or filed (as applicant), the ones due first first.
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
	rows, err := s.Store.ListRepairs(ctx, f)
	if err != nil {
		return nil, err
	}
	return s.visible(ctx, p, rows)
}

// OfRecord returns the applications for record recordID that p holds a
// role for, oldest first.
func (s *Service) OfRecord(ctx context.Context, p auth.Principal, recordID int64) ([]View, error) {
	rows, err := s.Store.RepairsOfRecords(ctx, []int64{recordID})
	if err != nil {
		return nil, err
	}
	return s.visible(ctx, p, rows)
}

func (s *Service) visible(ctx context.Context, p auth.Principal, rows []store.RepairRow) ([]View, error) {
	var out []View
	for _, row := range rows {
		v, err := s.view(ctx, p, row)
		if err != nil {
			return nil, err
		}
		if len(v.Roles) > 0 {
			out = append(out, v)
		}
	}
	return out, nil
}

// MaxSample is the most applications one Sample call lists.
const MaxSample = 100000

// SampleResult is a drawn re-check sample.
type SampleResult struct {
	Name       string // the sample's name, kept in each drawn application's history
	Population int    // approved repairs of the period not sampled before
	Drawn      []View
}

// Sample draws a random re-check sample (抽查复核) for p, a reviewer of
// the platform operator: percent (1 to 100) of the repairs approved from
// from to to (YYYY-MM-DD, inclusive; "" unbounded) that were never sampled,
// at least one when there is any. Each drawn application records the
// sample (action Sample) and waits for its re-check.
func (s *Service) Sample(ctx context.Context, p auth.Principal, from, to string, percent int) (SampleResult, error) {
	if !p.Staff() || p.Org.Kind != auth.Operator || !s.Auth.Can(p, auth.RepairReview, auth.Resource{OrgPath: p.Org.Path}) {
		if p.Staff() {
			s.Auth.Decide(p, auth.RepairReview, auth.Resource{}) // logs the denial
		}
		return SampleResult{}, refuse(Sample, Approved, "只有平台（信用网站）的审核人员才能抽取复核")
	}
	for _, d := range []string{from, to} {
		if d == "" {
			continue
		}
		if _, err := calendar.ParseDate(d); err != nil {
			return SampleResult{}, invalid(Sample, Approved, "日期应为YYYY-MM-DD：%s", d)
		}
	}
	if from != "" && to != "" && from > to {
		return SampleResult{}, invalid(Sample, Approved, "开始日期%s晚于结束日期%s", from, to)
	}
	if percent < 1 || percent > 100 {
		return SampleResult{}, invalid(Sample, Approved, "抽查比例应为1至100（%%）")
	}
	rows, err := s.Store.ListRepairs(ctx, store.CaseFilter{States: []string{string(Approved)}, ApprovedFrom: from, ApprovedTo: to, Limit: MaxSample})
	if err != nil {
		return SampleResult{}, err
	}
	var pool []store.RepairRow
	for _, row := range rows {
		app, err := Decode(row)
		if err != nil {
			return SampleResult{}, err
		}
		if app.Recheck.Sampled.IsZero() {
			pool = append(pool, row)
		}
	}
	now := s.now()
	period := "全部"
	if from != "" || to != "" {
		period = strings.TrimSpace(from + "至" + to)
	}
	res := SampleResult{Population: len(pool)}
	k := (len(pool)*percent + 99) / 100
	res.Name = fmt.Sprintf("抽查批次%s：%s准予修复的%d件中随机抽取%d件（%d%%）",
		now.In(calendar.Location()).Format("20060102-150405"), period, len(pool), k, percent)
	rand.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	for _, row := range pool[:k] {
		app, err := Decode(row)
		if err != nil {
			return res, err
		}
		app, err = Apply(app, s.Clock, Action{Kind: Sample, Actor: Actor{Kind: ActorPlatform, ID: p.String(), Org: p.Org.USCC}, Note: res.Name}, now)
		if err != nil {
			return res, err
		}
		if err := fill(&row, app); err != nil {
			return res, err
		}
		if row, err = s.Store.UpdateRepair(ctx, row, s.audit(p, row.SubjectID, Sample)); err != nil {
			return res, err
		}
		v, err := s.view(ctx, p, row)
		if err != nil {
			return res, err
		}
		res.Drawn = append(res.Drawn, v)
	}
	return res, nil
}
