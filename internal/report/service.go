package report

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/attach"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/store"
)

// Audit actions of reports.
const (
	// AuditIssue: a person's report issued (or its HTML view shown), with
	// the purpose: the person's query history shows it.
	AuditIssue = "report.issue"
	// AuditGrant: a person's written authorisation recorded.
	AuditGrant = "report.grant"
)

// Service issues reports for principals, records written authorisations
// and tells what an issued report covered and whether it changed since.
//
// Who gets which report: an organisation's (法人和非法人组织, 个体工商户,
// 政府机构) is public; a person's only to the person's own account, or to
// staff or an API client of an organisation holding the person's written
// authorisation (ReportGrant, recorded with its purpose and period) and
// entitled to credit checks (check.run) over its organisation. Every
// issue of a person's report is appended to the audit trail with the
// subject, in the transaction that logs the report.
type Service struct {
	Builder *Builder
	Log     *Log
	Store   store.Store
	Auth    *auth.Authorizer
	Keys    *pii.Keyring
	Now     func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Request asks for a report.
type Request struct {
	Principal auth.Principal
	// Ref is the subject: its USCC, or its reference from the portal; a
	// person's ID number or a registration number is looked up.
	Ref string
	// AsOf is the day whose public data the report shows ("" today).
	AsOf string
	// Grant is the written authorisation a requester of a person's report
	// holds (0: none).
	Grant int64
	// Verify is the absolute URL of the verification page (/verify) as
	// the client reaches it: what the QR code and the notes point to.
	Verify string
}

// Issued is an issued report.
type Issued struct {
	Report  Report
	PDF     []byte
	Receipt Receipt
}

// errPerson refuses a person's report to someone else.
var errPerson = fault.New(fault.Refused, "个人公共信用信息报告仅向本人，或持有本人书面授权（已在平台登记，且在有效期内）的查询单位出具")

// subject finds the subject of a request and decides whether the
// principal may have its report; purpose is what a person's report is
// audited with.
func (s *Service) subject(ctx context.Context, req Request) (sub credit.Subject, grant store.ReportGrant, purpose string, err error) {
	p := req.Principal
	ref := strings.TrimSpace(req.Ref)
	sub, err = s.Builder.Portal.Subject(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		c := search.Code(ref)
		if (len(c) == 18 || len(c) == 15) && code.Check(code.KindAuto, c).Status == code.StatusValid {
			if code.Check(code.KindAuto, c).Kind == code.KindRIC && p.Kind == auth.Anonymous {
				// Whether a person is on file is not for anonymous callers.
				return sub, grant, "", fault.New(fault.Unauthenticated, "个人公共信用信息报告须登录后由本人或经本人书面授权的查询单位获取")
			}
			sub, err = s.Store.FindSubjectByCode(ctx, c)
			if errors.Is(err, store.ErrNotFound) && code.Check(code.KindAuto, c).Kind == code.KindRIC {
				return sub, grant, "", errPerson // the same answer whether or not the person is on file
			}
		}
	}
	if err != nil {
		return sub, grant, "", err
	}
	if sub.Class != credit.ClassPerson {
		return sub, grant, "", nil
	}
	switch {
	case p.Kind == auth.UserKind && p.SubjectID == sub.ID:
		return sub, grant, "本人查询", nil
	case p.Kind == auth.Anonymous:
		return sub, grant, "", fault.New(fault.Unauthenticated, "个人公共信用信息报告须登录后由本人或经本人书面授权的查询单位获取")
	case req.Grant == 0 || !p.Staff():
		return sub, grant, "", errPerson
	}
	grant, err = s.Store.GetReportGrant(ctx, req.Grant)
	if errors.Is(err, store.ErrNotFound) {
		return sub, grant, "", errPerson
	}
	if err != nil {
		return sub, grant, "", err
	}
	today := calendar.FromTime(s.now()).String()
	if grant.SubjectID != sub.ID || grant.OrgID != p.Org.ID || grant.ValidUntil < today ||
		s.Auth == nil || !s.Auth.Decide(p, auth.CheckRun, auth.Resource{OrgPath: p.Org.Path}).Allow {
		return sub, grant, "", errPerson
	}
	return sub, grant, "书面授权：" + grant.Purpose, nil
}

// numberAlphabet is the report number's random part: digits and capitals
// without I, L, O and U (Crockford's base 32), easy to read aloud.
const numberAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newNumber is a report number: XY, the issue day (Beijing) and 8 random
// characters (40 bits), so that numbers cannot be guessed.
func newNumber(issued time.Time) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	out := []byte("XY" + strings.ReplaceAll(calendar.FromTime(issued).String(), "-", ""))
	for _, c := range b {
		out = append(out, numberAlphabet[c%32])
	}
	return string(out)
}

// ValidNumber reports whether s looks like a report number.
func ValidNumber(s string) bool {
	if len(s) != 18 || !strings.HasPrefix(s, "XY") {
		return false
	}
	for i := 2; i < 10; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	for _, c := range s[10:] {
		if !strings.ContainsRune(numberAlphabet, c) {
			return false
		}
	}
	return true
}

// VerifyLink is the verification page's address for a report number.
func VerifyLink(base, number string) string {
	if base == "" {
		base = "/verify"
	}
	return base + "?number=" + url.QueryEscape(number)
}

// Prepare finds the subject, checks access and builds the report's
// content without issuing it: the HTML view. A person's view is audited
// like an issue.
func (s *Service) Prepare(ctx context.Context, req Request) (Report, error) {
	sub, grant, purpose, err := s.subject(ctx, req)
	if err != nil {
		return Report{}, err
	}
	on, hist, err := s.Builder.Portal.AsOf(req.AsOf)
	if err != nil {
		return Report{}, err
	}
	r, err := s.Builder.Build(ctx, sub, on, hist, "（网页版，未签发）", s.now())
	if err != nil {
		return Report{}, err
	}
	r.VerifyURL = req.Verify
	if sub.Class == credit.ClassPerson {
		p := req.Principal
		if _, err := s.Store.Audit(ctx, auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: AuditIssue, Target: "report:view",
			SubjectID: sub.ID, Purpose: purpose, Outcome: "ok", Detail: "查看个人公共信用信息报告（网页版），信息截止" + on.String() + grantDetail(grant)}); err != nil {
			return Report{}, err
		}
	}
	return r, nil
}

func grantDetail(g store.ReportGrant) string {
	if g.ID == 0 {
		return ""
	}
	return "，书面授权第" + strconv.FormatInt(g.ID, 10) + "号"
}

// Issue builds, renders, signs and logs a report and returns its PDF with
// the verification data.
func (s *Service) Issue(ctx context.Context, req Request) (Issued, error) {
	sub, grant, purpose, err := s.subject(ctx, req)
	if err != nil {
		return Issued{}, err
	}
	on, hist, err := s.Builder.Portal.AsOf(req.AsOf)
	if err != nil {
		return Issued{}, err
	}
	return s.issue(ctx, req, sub, on, hist, grant, purpose)
}

func (s *Service) issue(ctx context.Context, req Request, sub credit.Subject, on calendar.Date, hist bool, grant store.ReportGrant,
	purpose string) (Issued, error) {
	issued := s.now().UTC().Truncate(time.Second)
	for attempt := 0; ; attempt++ {
		number := newNumber(issued)
		r, err := s.Builder.Build(ctx, sub, on, hist, number, issued)
		if err != nil {
			return Issued{}, err
		}
		r.VerifyURL = VerifyLink(req.Verify, number)
		r.Notes = s.Builder.notes(r)
		body, err := RenderPDF(r)
		if err != nil {
			return Issued{}, err
		}
		e := Entry{Number: number, Kind: r.Kind, Subject: subjectCode(sub), AsOf: on, Issued: issued, SHA256: sha256.Sum256(body)}
		if r.Kind == store.ReportOrg {
			e.Name = sub.Name
		}
		signed, err := s.Log.Signer.signNote(e.Text())
		if err != nil {
			return Issued{}, err
		}
		recs, err := json.Marshal(r.Records)
		if err != nil {
			return Issued{}, err
		}
		var audits []auth.AuditEntry
		if sub.Class == credit.ClassPerson {
			p := req.Principal
			audits = append(audits, auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: AuditIssue, Target: "report:" + number,
				SubjectID: sub.ID, Purpose: purpose, Outcome: "ok", Detail: "出具个人公共信用信息报告，信息截止" + on.String() + grantDetail(grant)})
		}
		rec, err := s.Log.Append(ctx, store.IssuedReport{Number: number, SubjectID: sub.ID, Kind: r.Kind, AsOf: on.String(), IssuedAt: issued,
			Entry: []byte(e.Text()), Records: recs, GrantID: grant.ID}, audits)
		if errors.Is(err, store.ErrExists) && attempt < 3 {
			continue // the random number was taken
		}
		if err != nil {
			return Issued{}, err
		}
		pdf, err := AddSeal(body, newSeal(r.Title+" "+number, signed, rec))
		if err != nil {
			return Issued{}, err
		}
		return Issued{Report: r, PDF: pdf, Receipt: rec}, nil
	}
}

// subjectCode is how an entry names the subject: its USCC or registration
// number, a person's masked ID number.
func subjectCode(sub credit.Subject) string {
	switch {
	case sub.Class == credit.ClassPerson:
		return sub.MaskedID
	case sub.USCC != "":
		return sub.USCC
	case sub.RegNo != "":
		return sub.RegNo
	}
	return "s" + strconv.FormatInt(sub.ID, 10)
}

// IssueFor issues the report of a subject the caller has already found
// and may have (the benchmark, tools): an organisation's, unaudited.
func (s *Service) IssueFor(ctx context.Context, sub credit.Subject, on calendar.Date, verify string) (Issued, error) {
	if sub.Class == credit.ClassPerson {
		return Issued{}, errPerson
	}
	return s.issue(ctx, Request{Verify: verify}, sub, on, on.Before(calendar.FromTime(s.now())), store.ReportGrant{}, "")
}

// GrantInput is a written authorisation as recorded by the requester.
type GrantInput struct {
	IDNumber   string // the person's 公民身份号码
	Name       string // the person's name, as on the authorisation
	Purpose    string // 查询用途
	ValidUntil string // last day it may be used (at most a year ahead)
	Document   attach.File
}

// maxGrantDays is how far ahead an authorisation may run.
const maxGrantDays = 366

// AddGrant records a person's written authorisation for p's organisation:
// p must be staff or an API client entitled to credit checks over its
// organisation; the person must be on file under that ID number and name;
// the signed document (PDF, JPEG or PNG) is checked and sealed with the
// data key. The person's query history shows it.
func (s *Service) AddGrant(ctx context.Context, p auth.Principal, in GrantInput) (store.ReportGrant, error) {
	if !p.Staff() || s.Auth == nil || !s.Auth.Decide(p, auth.CheckRun, auth.Resource{OrgPath: p.Org.Path}).Allow {
		return store.ReportGrant{}, fault.New(fault.Refused, "只有有信用核查权限的单位可以登记个人书面授权")
	}
	var details []fault.Field
	bad := func(field, reason string) { details = append(details, fault.Field{Field: field, Reason: reason}) }
	id := search.Code(in.IDNumber)
	if r := code.Check(code.KindRIC, id); r.Status != code.StatusValid {
		bad("id_number", "不是有效的公民身份号码")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 50 {
		bad("name", "必填，最多50个字")
	}
	purpose := strings.TrimSpace(in.Purpose)
	if n := utf8.RuneCountInString(purpose); n < 2 || n > 200 {
		bad("purpose", "必填，2至200个字")
	} else if why := credit.BidiReason(purpose); why != "" {
		bad("purpose", why)
	}
	today := calendar.FromTime(s.now())
	until, err := calendar.ParseDate(strings.TrimSpace(in.ValidUntil))
	switch {
	case err != nil:
		bad("valid_until", "应为YYYY-MM-DD格式的日期")
	case until.Before(today):
		bad("valid_until", "授权已过期")
	case until.After(today.AddDays(maxGrantDays)):
		bad("valid_until", "授权有效期最长一年")
	}
	var doc []attach.Checked
	if len(in.Document.Data) == 0 {
		bad("document", "须上传本人签字的书面授权书（PDF、JPG或PNG）")
	} else if doc, err = attach.Check([]attach.File{in.Document}, "书面授权书"); err != nil {
		bad("document", err.Error())
	}
	if len(details) > 0 {
		return store.ReportGrant{}, &fault.Error{Kind: fault.Invalid, Msg: "书面授权信息有误", Fields: details}
	}
	sub, err := s.Store.FindSubjectByCode(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && (sub.Class != credit.ClassPerson || sub.Name != name) {
		return store.ReportGrant{}, &fault.Error{Kind: fault.Invalid, Msg: "书面授权信息有误",
			Fields: []fault.Field{{Field: "id_number", Reason: "平台未收录该姓名和公民身份号码的自然人"}}}
	}
	if err != nil {
		return store.ReportGrant{}, err
	}
	g := store.ReportGrant{SubjectID: sub.ID, OrgID: p.Org.ID, Purpose: purpose, ValidUntil: until.String(), DocName: doc[0].Name,
		DocType: doc[0].ContentType, DocSHA256: doc[0].SHA256, Document: s.Keys.Encrypt(string(doc[0].Data)), CreatedBy: p.String()}
	return s.Store.AddReportGrant(ctx, g, auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: AuditGrant, SubjectID: sub.ID,
		Purpose: purpose, Outcome: "ok", Detail: "登记本人书面授权，有效期至" + until.String()})
}

// Change is what became of a record a report showed.
type Change struct {
	Kind       string `json:"kind"`
	KindName   string `json:"kind_name"`
	DecisionNo string `json:"decision_no"`
	Status     string `json:"status"` // unchanged, corrected, revoked, repaired, ended
	Label      string `json:"label"`  // in Chinese
}

// Lookup is an issued report as the log and the platform know it now.
type Lookup struct {
	Report    store.IssuedReport
	Entry     Entry
	KindTitle string
	Changes   []Change
	Changed   int // how many records changed since
}

// Find returns an issued report by number, with what became of its
// records since: corrected (a newer version), revoked, repaired, or no
// longer public (its window over). Nothing else of the records is shown.
func (s *Service) Find(ctx context.Context, number string) (Lookup, error) {
	number = strings.ToUpper(strings.TrimSpace(number))
	if !ValidNumber(number) {
		return Lookup{}, fault.New(fault.Invalid, "报告编号格式不正确（XY、8位日期和8位字母数字）")
	}
	rep, err := s.Store.GetReport(ctx, number)
	if errors.Is(err, store.ErrNotFound) {
		return Lookup{}, fault.New(fault.NotFound, "本平台没有签发编号为"+number+"的信用报告")
	}
	if err != nil {
		return Lookup{}, err
	}
	e, err := ParseEntry(string(rep.Entry))
	if err != nil {
		return Lookup{}, err
	}
	l := Lookup{Report: rep, Entry: e, KindTitle: TitleOrg}
	if rep.Kind == store.ReportPerson {
		l.KindTitle = TitlePerson
	}
	var refs []RecordRef
	if err := json.Unmarshal(rep.Records, &refs); err != nil {
		return Lookup{}, fmt.Errorf("report %s: records: %w", number, err)
	}
	for _, ref := range refs {
		c, err := s.change(ctx, ref)
		if err != nil {
			return Lookup{}, err
		}
		if c.Status != "unchanged" {
			l.Changed++
		}
		l.Changes = append(l.Changes, c)
	}
	return l, nil
}

func (s *Service) change(ctx context.Context, ref RecordRef) (Change, error) {
	c := Change{Kind: ref.Kind, KindName: ref.Kind, DecisionNo: ref.DecisionNo, Status: "unchanged", Label: "未变化"}
	if k, ok := s.Builder.Catalog.Kind(ref.Kind); ok {
		c.KindName = k.Name
	}
	vs, err := s.Store.RecordVersions(ctx, ref.ID)
	if errors.Is(err, store.ErrNotFound) || err == nil && len(vs) == 0 {
		c.Status, c.Label = "revoked", "已不存在"
		return c, nil
	}
	if err != nil {
		return c, err
	}
	cur := vs[len(vs)-1]
	switch {
	case cur.State == store.StateRevoked:
		c.Status, c.Label = "revoked", "已撤销"
	case cur.RepairedOn != "":
		c.Status, c.Label = "repaired", "已信用修复（"+cur.RepairedOn+"起停止公示）"
	case cur.Version > ref.Version:
		c.Status, c.Label = "corrected", "已更正（现为第"+strconv.Itoa(cur.Version)+"版）"
	default:
		public, err := s.Builder.Portal.IsPublic(ctx, ref.ID)
		if err != nil {
			return c, err
		}
		if !public {
			c.Status, c.Label = "ended", "已停止公示"
		}
	}
	return c, nil
}

// Ordinal is the report's place in the log counted from 1 (第 N 份).
func (l Lookup) Ordinal() int64 { return l.Report.Index + 1 }
