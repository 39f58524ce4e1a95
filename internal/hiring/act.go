package hiring

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/store"
)

// Actions on a request.
const (
	ActCheck    = "check"    // office: look the candidates up
	ActReview   = "review"   // office, another officer: the second review of a hit
	ActSend     = "send"     // office: send the reply
	ActExtend   = "extend"   // office: extend the answer's deadline, with a reason
	ActObject   = "object"   // candidate: object to the result
	ActForward  = "forward"  // unit: forward an objection to the office
	ActApply    = "apply"    // office: apply to the national centre for review
	ActNational = "national" // office: enter the national centre's result
	ActResult   = "result"   // office: tell the unit the result in writing
	ActNotify   = "notify"   // unit: tell the candidate
)

// stepAction is the action that completes each chain step.
var stepAction = map[string]string{"hiring.object": ActObject, "hiring.forward": ActForward, "hiring.apply": ActApply,
	"hiring.national": ActNational, "hiring.result": ActResult, "hiring.notify": ActNotify}

// ActionLabel names an action for people.
func ActionLabel(a string) string {
	return map[string]string{ActCheck: "核查", ActReview: "复审、复核、复查", ActSend: "发送答复", ActExtend: "延期办理",
		ActObject: "提出异议", ActForward: "转报异议", ActApply: "申请国家异议复核", ActNational: "录入国家中心复核结果",
		ActResult: "书面告知申请单位", ActNotify: "告知被查询人"}[a]
}

// HiringAction is what a principal does to a request.
type HiringAction struct {
	Name      string   `json:"action" enum:"check,review,send,extend,object,forward,apply,national,result,notify"`
	Rev       int      `json:"rev" doc:"The request's revision as read (rev)."`
	Note      string   `json:"note,omitempty" doc:"Reason of an extension or an objection; note of a step." maxLength:"1000"`
	Days      int      `json:"days,omitempty" doc:"Working days of an extension (1-10)."`
	Items     []string `json:"items,omitempty" doc:"The second review's items: 复审, 复核, 复查 (all three)."`
	Outcome   string   `json:"outcome,omitempty" doc:"The objection review's outcome: 维持原查询结果 or 更正查询结果."`
	Candidate int      `json:"candidate,omitempty" doc:"The candidate (index) whose objection the step is of."`
}

func refused(msg string) error { return fault.New(fault.Refused, msg) }

// Act does a to request id for p, if p's role and the request's state
// allow it, and stores it with its audit entries.
func (s *Service) Act(ctx context.Context, p auth.Principal, id int64, a HiringAction) (View, error) {
	c, err := s.Store.GetHiringCheck(ctx, id)
	if err != nil {
		return View{}, err
	}
	v, err := s.view(ctx, p, c)
	if err != nil {
		return View{}, err
	}
	if v.Erased {
		return View{}, refused("该申请的个人信息已按保存期限删除，不能再办理")
	}
	if a.Rev != c.Rev {
		return View{}, fault.New(fault.Conflict, "该申请已被他人更新，请刷新后重试")
	}
	a.Note = strings.TrimSpace(a.Note)
	if utf8.RuneCountInString(a.Note) > 1000 {
		return View{}, fault.New(fault.Invalid, "说明不能超过1000字", fault.Field{Field: "body.note", Reason: "不能超过1000字"})
	}
	now := s.now()
	f := v.Flow
	event := func(what string) { f.Events = append(f.Events, Event{At: now, Actor: p.String(), What: what}) }
	audits := []auth.AuditEntry{{Actor: p.String(), OrgID: p.Org.ID, Action: AuditCase, Purpose: c.Kind + " " + c.DocNo, Outcome: a.Name}}
	office := func() error {
		if !v.Has(RoleOffice) {
			return refused("仅答复单位（" + v.Responder.Name + "）的信用记录查询专员可办理")
		}
		return nil
	}
	switch a.Name {
	case ActCheck:
		if err := office(); err != nil {
			return View{}, err
		}
		if c.State != StateReceived {
			return View{}, refused("已核查，当前状态：" + StateLabel(c.State))
		}
		q, hits, err := s.lookup(ctx, p, &c, v, now)
		if err != nil {
			return View{}, err
		}
		audits = append(audits, q...)
		f.CheckedBy, f.CheckedAt = p.String(), now
		c.State = StateReady
		if hits > 0 {
			c.State = StateReview
			event(fmt.Sprintf("核查完成：%d名人选中%d名为失信联合惩戒对象，待另一名专员复审、复核、复查", len(c.Candidates), hits))
		} else {
			event(fmt.Sprintf("核查完成：%d名人选均未发现失信联合惩戒对象信息", len(c.Candidates)))
		}
		audits[0].Detail = fmt.Sprintf("%d名，%d名为失信联合惩戒对象", len(c.Candidates), hits)
	case ActReview:
		if err := office(); err != nil {
			return View{}, err
		}
		if c.State != StateReview {
			return View{}, refused("当前状态不需要复审：" + StateLabel(c.State))
		}
		if p.String() == f.CheckedBy {
			return View{}, refused("复审须由核查人以外的另一名专员办理")
		}
		for _, it := range ReviewItems {
			if !slices.Contains(a.Items, it) {
				return View{}, fault.New(fault.Invalid, "请确认已完成复审、复核、复查（三项均须确认）", fault.Field{Field: "body.items", Reason: "缺少“" + it + "”"})
			}
		}
		f.Review = &Review{By: p.String(), At: now, Items: slices.Clone(ReviewItems), Note: a.Note}
		c.State = StateReady
		event("复审、复核、复查完成" + suffix(a.Note))
	case ActSend:
		if err := office(); err != nil {
			return View{}, err
		}
		if c.State != StateReady {
			return View{}, refused("尚不能发送答复：" + StateLabel(c.State))
		}
		day := calendar.FromTime(now)
		f.ReplyNo = fmt.Sprintf("信用查复〔%d〕%d号", day.Year, c.ID)
		f.ReplyDate = day.String()
		f.SentBy, f.SentAt = p.String(), now
		f.Answer.Done = now
		if f.ObjectBy, err = s.Clock.Start("hiring.object", now); err != nil {
			return View{}, err
		}
		c.State = StateReplied
		c.ClosedAt = now
		event("发送答复 " + f.ReplyNo)
		audits[0].Detail = f.ReplyNo
	case ActExtend:
		if err := office(); err != nil {
			return View{}, err
		}
		if c.State == StateReplied {
			return View{}, refused("已答复，不能延期")
		}
		if a.Days < 1 || a.Days > 10 {
			return View{}, fault.New(fault.Invalid, "延期天数应为1至10个工作日", fault.Field{Field: "body.days", Reason: "应为1至10"})
		}
		if a.Note == "" {
			return View{}, fault.New(fault.Invalid, "请填写延期理由", fault.Field{Field: "body.note", Reason: "请填写延期理由"})
		}
		cal := s.Clock.Calendar
		if cal == nil {
			cal = calendar.Default()
		}
		from := f.Answer.Due
		f.Answer.Due = cal.AddWorkingDays(from, a.Days)
		f.Extensions = append(f.Extensions, Extension{At: now, By: p.String(), Days: a.Days, Reason: a.Note, From: from, To: f.Answer.Due})
		event(fmt.Sprintf("延期%d个工作日至%s，理由：%s（已告知查询申请单位）", a.Days, f.Answer.Due, a.Note))
		audits[0].Detail = fmt.Sprintf("延期%d个工作日", a.Days)
	case ActObject:
		// The candidate objects; or the unit registers an objection a
		// candidate handed it (on paper), naming the candidate.
		if !v.Has(RoleCandidate) && !v.Has(RoleUnit) {
			return View{}, refused("仅被查询人本人或查询申请单位（代为登记）可提出异议")
		}
		if c.State != StateReplied {
			return View{}, refused("尚未答复，不能提出异议")
		}
		if a.Note == "" {
			return View{}, fault.New(fault.Invalid, "请填写异议理由", fault.Field{Field: "body.note", Reason: "请填写异议理由"})
		}
		idx := 0
		for _, k := range c.Candidates {
			if v.Has(RoleCandidate) && k.SubjectID == p.SubjectID || !v.Has(RoleCandidate) && k.Index == a.Candidate {
				idx = k.Index
			}
		}
		if idx == 0 {
			return View{}, fault.New(fault.Invalid, "请指明提出异议的人选（candidate）", fault.Field{Field: "body.candidate", Reason: "不是本申请的人选"})
		}
		for _, o := range f.Objections {
			if o.Candidate == idx && !o.Closed {
				return View{}, fault.New(fault.Exists, "已有一件异议正在办理")
			}
		}
		chain, _ := s.Routing.Chain(c.Level)
		o := Objection{Candidate: idx, Reason: a.Note, Level: c.Level}
		for _, st := range chain.Steps {
			o.Steps = append(o.Steps, Step{Key: st.Key, Owner: st.Owner})
		}
		o.Steps[0].Timer = f.ObjectBy
		o.Steps[0].Timer.Done, o.Steps[0].By, o.Steps[0].Note = now, p.String(), a.Note
		if o.Steps[1].Timer, err = s.Clock.Start(o.Steps[1].Key, now); err != nil {
			return View{}, err
		}
		f.Objections = append(f.Objections, o)
		c.ClosedAt = time.Time{}
		if v.Has(RoleCandidate) {
			event("第" + strconv.Itoa(idx) + "名人选提出异议")
		} else {
			event("查询申请单位代为登记第" + strconv.Itoa(idx) + "名人选的异议")
		}
		audits[0].SubjectID = c.Candidates[idx-1].SubjectID
	case ActForward, ActApply, ActNational, ActResult, ActNotify:
		oi := -1
		for i, o := range f.Objections {
			if o.Candidate == a.Candidate && !o.Closed {
				oi = i
			}
		}
		if oi < 0 {
			return View{}, fault.New(fault.NotFound, "第"+strconv.Itoa(a.Candidate)+"名人选没有办理中的异议")
		}
		o := &f.Objections[oi]
		si, _ := o.Open()
		if si < 0 || stepAction[o.Steps[si].Key] != a.Name {
			return View{}, refused("异议当前环节不是“" + ActionLabel(a.Name) + "”")
		}
		st := &o.Steps[si]
		switch st.Owner {
		case OwnerUnit:
			if !v.Has(RoleUnit) {
				return View{}, refused("此环节由查询申请单位（" + v.Unit.Name + "）办理")
			}
		default:
			if err := office(); err != nil {
				return View{}, err
			}
		}
		// The outcome is entered with the review's result: the national
		// centre's, or the city office's own.
		decides := st.Key == "hiring.national" || (st.Key == "hiring.result" && !slices.ContainsFunc(o.Steps, func(x Step) bool { return x.Key == "hiring.national" }))
		if decides {
			if !slices.Contains(Outcomes, a.Outcome) {
				return View{}, fault.New(fault.Invalid, "请选择复核结果："+strings.Join(Outcomes, "或"), fault.Field{Field: "body.outcome", Reason: "应为" + strings.Join(Outcomes, "或")})
			}
			o.Outcome = a.Outcome
		}
		st.Timer.Done, st.By, st.Note = now, p.String(), a.Note
		if si+1 < len(o.Steps) {
			if o.Steps[si+1].Timer, err = s.Clock.Start(o.Steps[si+1].Key, now); err != nil {
				return View{}, err
			}
		} else {
			o.Closed = true
		}
		event("第" + strconv.Itoa(a.Candidate) + "名人选的异议：" + ActionLabel(a.Name) + suffix(o.Outcome) + suffix(a.Note))
		if !slices.ContainsFunc(f.Objections, func(x Objection) bool { return !x.Closed }) {
			c.ClosedAt = now
		}
	default:
		return View{}, fault.Newf(fault.Invalid, "未知操作“%s”", a.Name)
	}
	c.Flow, err = json.Marshal(f)
	if err != nil {
		return View{}, err
	}
	c, err = s.Store.UpdateHiringCheck(ctx, c, audits)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, p, c)
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return "（" + s + "）"
}

// lookup looks every candidate up by ID number and sets whether he or she
// is a 失信联合惩戒对象 on the day of now and on which lists; it returns an
// audit entry per candidate the platform knows (his or her query history)
// and the number of hits.
func (s *Service) lookup(ctx context.Context, p auth.Principal, c *store.HiringCheck, v View, now time.Time) ([]auth.AuditEntry, int, error) {
	codes := make([]string, len(c.Candidates))
	for i, k := range c.Candidates {
		id, err := s.Keys.Decrypt(k.IDEnc)
		if err != nil {
			return nil, 0, err
		}
		codes[i] = id
	}
	found, err := s.Store.FindSubjectsByCodes(ctx, codes)
	if err != nil {
		return nil, 0, err
	}
	var ids []int64
	for _, sub := range found {
		ids = append(ids, sub.ID)
	}
	recs, err := s.Store.SubjectsRecords(ctx, ids, s.Lists.Kinds())
	if err != nil {
		return nil, 0, err
	}
	entries := map[int64][]lists.Entry{}
	for _, r := range recs {
		fields, err := store.DecodeFields(r.Fields)
		if err != nil {
			return nil, 0, fmt.Errorf("record %d: %w", r.ID, err)
		}
		if e, ok := s.Lists.EntryOf(r.Kind, r.ID, fields, r.State == store.StateRevoked); ok {
			entries[r.SubjectID] = append(entries[r.SubjectID], e)
		}
	}
	day := calendar.FromTime(now)
	var audits []auth.AuditEntry
	hits := 0
	for i := range c.Candidates {
		k := &c.Candidates[i]
		sub, ok := found[codes[i]]
		k.SubjectID, k.Target, k.Lists = 0, false, []byte("[]")
		if !ok {
			continue
		}
		target, names := Result(entries[sub.ID], day)
		k.SubjectID, k.Target, k.Lists = sub.ID, target, EncodeLists(names)
		detail := "未发现失信联合惩戒对象信息"
		if target {
			hits++
			detail = "失信联合惩戒对象"
		}
		audits = append(audits, auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: AuditQuery, SubjectID: sub.ID,
			Target: "hiring:" + strconv.FormatInt(c.ID, 10), Purpose: c.Kind + "人选信用记录查询（" + v.Unit.Name + " " + c.DocNo + "）",
			Outcome: "ok", Detail: detail})
	}
	return audits, hits, nil
}

// Erase erases the personal data of requests closed longer than keep ago.
func (s *Service) Erase(ctx context.Context, keep time.Duration) (int, error) {
	return s.Store.EraseHiringData(ctx, s.now().Add(-keep), auth.AuditEntry{Actor: "system:hiring-erase", Action: AuditCase,
		Outcome: "erase", Detail: "保存期限届满，删除人选姓名、身份证号"})
}

// TimerView is a timer as a case page shows it.
type TimerView struct {
	What      string // the step's name
	Candidate int    // the objection's candidate (0: the answer)
	Owner     string // who must act, by name
	Due       calendar.Date
	State     deadline.State
	Status    string // the state in Chinese
	Late      bool   // open and overdue, or done late
	Open      bool
	Started   time.Time
	Done      time.Time
}

func (s *Service) rules() *deadline.Rules {
	if s.Clock.Rules != nil {
		return s.Clock.Rules
	}
	return deadline.Default()
}

// StepName names a deadline step.
func (s *Service) StepName(key string) string {
	st, _ := s.rules().Step(key)
	return st.Name
}

// Track is where a request stands at now: the answer's timer and every
// objection step started, each with who must act and whether it is late.
func (s *Service) Track(v View, now time.Time) []TimerView {
	owner := func(o string) string {
		switch o {
		case OwnerUnit:
			return v.Unit.Name
		case OwnerOffice:
			return v.Responder.Name
		}
		return OwnerLabel(o)
	}
	mk := func(t deadline.Timer, cand int, o string) TimerView {
		st := s.Clock.Status(t, now)
		step, _ := s.rules().Step(t.Step)
		return TimerView{What: step.Name, Candidate: cand, Owner: owner(o), Due: t.Due, State: st.State, Status: st.State.Label(),
			Late: st.State == deadline.Overdue || st.State == deadline.DoneLate, Open: t.Done.IsZero(), Started: t.Started, Done: t.Done}
	}
	out := []TimerView{mk(v.Flow.Answer, 0, OwnerOffice)}
	for _, o := range v.Flow.Objections {
		if v.Has(RoleCandidate) && !v.Has(RoleUnit) && !v.Has(RoleOffice) && !slices.ContainsFunc(v.Lines, func(l Line) bool { return l.Index == o.Candidate }) {
			continue
		}
		for _, st := range o.Steps {
			if !st.Timer.Started.IsZero() {
				out = append(out, mk(st.Timer, o.Candidate, st.Owner))
			}
		}
	}
	return out
}
