package repair

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/deadline"
)

var (
	clock    = deadline.Clock{} // default steps, built-in calendar (covers 2026)
	china    = calendar.Location()
	subject  = Actor{Kind: ActorSubject, ID: "91350100M000100Y43"}
	platform = Actor{Kind: ActorPlatform, ID: "reviewer-platform-1", Org: "11610000MB0000000X"}
	dept     = Actor{Kind: ActorDepartment, ID: "reviewer-dept-1", Org: deptUSCC}
	eligible = Eligibility{Repairable: true, From: calendar.MustParseDate("2026-07-16"), Open: true, Reason: "可以申请"}
)

const deptUSCC = "11610100MB1234567X"

// at is an instant in China time: "2026-09-28 10:00".
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, china)
	if err != nil {
		panic(err)
	}
	return t
}

func submission() Action {
	return Action{Kind: Submit, Actor: subject, RecordID: 42, Department: deptUSCC,
		Proofs: []string{"att-fine-receipt-1"}, Commitment: "commitment-7", Eligible: eligible}
}

// action returns a valid action of kind k by the right actor.
func action(k ActionKind) Action {
	switch k {
	case Submit:
		return submission()
	case Accept:
		return Action{Kind: Accept, Actor: platform}
	case Reject:
		return Action{Kind: Reject, Actor: platform, Note: "证明材料不是本案罚款的缴纳凭证"}
	case Approve:
		return Action{Kind: Approve, Actor: dept, Note: "罚款已缴清，整改到位"}
	case Deny:
		return Action{Kind: Deny, Actor: dept, Note: "尚未完成整改"}
	case Withdraw:
		return Action{Kind: Withdraw, Actor: subject}
	case Sample:
		return Action{Kind: Sample, Actor: platform, Note: "2026年第三季度抽查"}
	case RecheckPass:
		return Action{Kind: RecheckPass, Actor: platform, Note: "材料属实"}
	case RecheckFail:
		return Action{Kind: RecheckFail, Actor: platform, Note: "缴款凭证系伪造"}
	}
	panic(k)
}

func mustApply(t *testing.T, app Application, a Action, when time.Time) Application {
	t.Helper()
	next, err := Apply(app, clock, a, when)
	if err != nil {
		t.Fatalf("%s: %v", a.Kind, err)
	}
	return next
}

// inState returns an application brought into state s by valid actions
// starting on 2026-07-20 ("" is the empty application).
func inState(t *testing.T, s State) Application {
	t.Helper()
	paths := map[State][]ActionKind{
		"":        nil,
		Submitted: {Submit},
		Accepted:  {Submit, Accept},
		Approved:  {Submit, Accept, Approve},
		Denied:    {Submit, Accept, Deny},
		Rejected:  {Submit, Reject},
		Withdrawn: {Submit, Withdraw},
		Revoked:   {Submit, Accept, Approve, Sample, RecheckFail},
	}
	path, ok := paths[s]
	if !ok {
		t.Fatalf("no path to %q", s)
	}
	var app Application
	when := at("2026-07-20 09:00")
	for _, k := range path {
		app = mustApply(t, app, action(k), when)
		when = when.Add(24 * time.Hour)
	}
	if app.State != s {
		t.Fatalf("state %q, want %q", app.State, s)
	}
	return app
}

// TestTransitions applies every action, by its right actor, in every state:
// the table is the state machine.
func TestTransitions(t *testing.T) {
	const (
		notSubmitted = "申请尚未提交，不能"
		again        = "申请已经提交"
		waiting      = "申请已受理，正在等待认定部门决定，不能再"
		notAccepted  = "申请尚未受理（待受理），认定部门还不能"
	)
	closed := func(s State) string { return "申请已办结（" + s.Label() + "），不能再" }
	table := map[State]map[ActionKind]string{ // next state, or "!" + part of the refusal
		"":        {Submit: "submitted", Accept: "!" + notSubmitted, Reject: "!" + notSubmitted, Approve: "!" + notSubmitted, Deny: "!" + notSubmitted, Withdraw: "!" + notSubmitted},
		Submitted: {Submit: "!" + again, Accept: "accepted", Reject: "rejected", Approve: "!" + notAccepted, Deny: "!" + notAccepted, Withdraw: "withdrawn"},
		Accepted:  {Submit: "!" + again, Accept: "!" + waiting, Reject: "!" + waiting, Approve: "approved", Deny: "denied", Withdraw: "withdrawn"},
	}
	for _, s := range []State{Approved, Denied, Rejected, Withdrawn, Revoked} {
		table[s] = map[ActionKind]string{}
		for _, a := range Actions {
			table[s][a] = "!" + closed(s) + a.Label()
		}
	}
	// An approved repair may be sampled, then re-checked once (see
	// TestRecheck for the sampled one).
	table[Approved][Sample] = "approved"
	table[Approved][RecheckPass] = "!该申请未被抽取复核"
	table[Approved][RecheckFail] = "!该申请未被抽取复核"
	for _, s := range []State{"", Submitted, Accepted} {
		if s == "" {
			table[s][Sample], table[s][RecheckPass], table[s][RecheckFail] = "!"+notSubmitted, "!"+notSubmitted, "!"+notSubmitted
			continue
		}
		table[s][Sample], table[s][RecheckPass], table[s][RecheckFail] = "!只有已修复的申请才能抽取复核", "!该申请未被抽取复核", "!该申请未被抽取复核"
	}
	for _, s := range append([]State{""}, States...) {
		for _, k := range Actions {
			want := table[s][k]
			name := string(s) + "/" + string(k)
			if s == "" {
				name = "new/" + string(k)
			}
			t.Run(name, func(t *testing.T) {
				app := inState(t, s)
				before := len(app.History)
				hist := slices.Clone(app.History)
				when := at("2026-08-31 10:00")
				next, err := Apply(app, clock, action(k), when)
				if !reflect.DeepEqual(app.History, hist) {
					t.Fatal("the application given was changed")
				}
				if msg, refused := strings.CutPrefix(want, "!"); refused {
					var r *Refusal
					if !errors.As(err, &r) {
						t.Fatalf("err = %v, want a refusal containing %q", err, msg)
					}
					if !strings.Contains(r.Msg, msg) || r.Action != k || r.State != s {
						t.Errorf("refusal %+v, want %q", r, msg)
					}
					if !reflect.DeepEqual(next, app) {
						t.Errorf("refused action changed the application")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if next.State != State(want) {
					t.Fatalf("state %q, want %q", next.State, want)
				}
				if len(next.History) != before+1 {
					t.Fatalf("history has %d entries, want %d", len(next.History), before+1)
				}
				e := next.History[before]
				if e.From != s || e.To != next.State || e.Action != k || !e.At.Equal(when) || e.Actor != action(k).Actor || e.Note != action(k).Note {
					t.Errorf("entry %+v", e)
				}
				checkTimers(t, next)
			})
		}
	}
}

// checkTimers: a waiting application has exactly its step's timer open; a
// closed one none; only an approved one has an approval day.
func checkTimers(t *testing.T, app Application) {
	t.Helper()
	open := func(tm deadline.Timer) bool { return tm.Step != "" && tm.Done.IsZero() }
	var got []string
	for _, tm := range []deadline.Timer{app.Timers.Accept, app.Timers.Decide, app.Timers.Sync, app.Timers.Recheck} {
		if open(tm) {
			got = append(got, tm.Step)
		}
	}
	var want []string
	switch app.State {
	case Submitted:
		want = []string{"repair.accept"}
	case Accepted:
		want = []string{"repair.decide"}
	}
	if app.RecheckPending() {
		want = []string{"repair.recheck"}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: open timers %q, want %q", app.State, got, want)
	}
	if tm, ok := app.OpenTimer(); ok != (len(want) == 1) || ok && tm.Step != want[0] {
		t.Errorf("%s: OpenTimer = %+v, %v", app.State, tm, ok)
	}
	approved := app.State == Approved || app.State == Revoked
	if approved != !app.Approved.IsZero() {
		t.Errorf("%s: approved day %q", app.State, app.Approved)
	}
	if approved != (app.Timers.Sync.Step == "repair.sync") {
		t.Errorf("%s: sync timer %+v", app.State, app.Timers.Sync)
	}
}

// TestRecheck: a sampled repair is re-checked once, by the platform; a
// failed re-check (with its reason) revokes it.
func TestRecheck(t *testing.T) {
	sampled := mustApply(t, inState(t, Approved), action(Sample), at("2026-08-31 10:00"))
	if !sampled.RecheckPending() || sampled.Recheck.Sample != "2026年第三季度抽查" || sampled.State != Approved {
		t.Fatalf("sampled %+v", sampled.Recheck)
	}
	if _, err := Apply(sampled, clock, action(Sample), at("2026-09-01 10:00")); err == nil || !strings.Contains(err.Error(), "不能重复抽取") {
		t.Errorf("sampled twice: %v", err)
	}
	for _, a := range []Action{{Kind: RecheckPass, Actor: dept}, {Kind: RecheckFail, Actor: subject, Note: "x"}} {
		if _, err := Apply(sampled, clock, a, at("2026-09-01 10:00")); err == nil || !strings.Contains(err.Error(), "只有平台") {
			t.Errorf("%s by %s: %v", a.Kind, a.Actor.Kind, err)
		}
	}
	if _, err := Apply(sampled, clock, Action{Kind: RecheckFail, Actor: platform, Note: " "}, at("2026-09-01 10:00")); err == nil ||
		!strings.Contains(err.Error(), "须写明理由") {
		t.Errorf("failed without a reason: %v", err)
	}
	passed := mustApply(t, sampled, action(RecheckPass), at("2026-09-01 10:00"))
	if passed.State != Approved || passed.RecheckPending() || passed.Recheck.Failed || passed.Approved.IsZero() {
		t.Errorf("passed %+v", passed)
	}
	if _, err := Apply(passed, clock, action(RecheckFail), at("2026-09-02 10:00")); err == nil || !strings.Contains(err.Error(), "不能重复复核") {
		t.Errorf("re-checked twice: %v", err)
	}
	failed := mustApply(t, sampled, action(RecheckFail), at("2026-09-01 10:00"))
	if failed.State != Revoked || !failed.Recheck.Failed || failed.History[len(failed.History)-1].To != Revoked {
		t.Errorf("failed %+v", failed)
	}
	checkTimers(t, failed)
	if !failed.State.Terminal() {
		t.Error("a revoked repair is not closed")
	}
}

// TestRefusals: actions refused in a state that allows them, for who does
// them or what they lack.
func TestRefusals(t *testing.T) {
	mod := func(k ActionKind, f func(a *Action)) Action {
		a := action(k)
		f(&a)
		return a
	}
	other := Actor{Kind: ActorDepartment, ID: "reviewer-dept-2", Org: "11610100MB7654321X"}
	for _, c := range []struct {
		name  string
		state State
		a     Action
		when  string
		want  string
	}{
		{"submit by a platform reviewer", "", mod(Submit, func(a *Action) { a.Actor = platform }), "", "信用修复申请只能由信用主体本人"},
		{"submit without record", "", mod(Submit, func(a *Action) { a.RecordID = 0 }), "", "须指明申请修复的信用信息"},
		{"submit without department", "", mod(Submit, func(a *Action) { a.Department = " " }), "", "须指明作出该信息的认定部门"},
		{"submit without proof", "", mod(Submit, func(a *Action) { a.Proofs = nil }), "", "须上传至少一份已履行法定义务、纠正失信行为的证明材料"},
		{"submit with a blank proof", "", mod(Submit, func(a *Action) { a.Proofs = []string{" "} }), "", "须上传至少一份"},
		{"submit without commitment", "", mod(Submit, func(a *Action) { a.Commitment = "" }), "", "须提交已签署的信用修复承诺书"},
		{"submit when not eligible", "", mod(Submit, func(a *Action) {
			a.Eligible = Eligibility{Repairable: true, From: calendar.MustParseDate("2026-09-01"), Reason: "一般失信信息最短公示3个月，至2026-08-31届满，自2026-09-01起可以申请信用修复"}
		}), "", "当前不能申请信用修复：一般失信信息最短公示3个月"},
		{"submit never early", "", mod(Submit, func(a *Action) {
			a.Eligible = Eligibility{Repairable: true, NeverEarly: true, Reason: "不得提前停止公示"}
		}), "", "当前不能申请信用修复：不得提前停止公示"},
		{"submit without eligibility", "", mod(Submit, func(a *Action) { a.Eligible = Eligibility{} }), "", "当前不能申请信用修复：未核验申请条件"},
		{"submit before From", "", submission(), "2026-07-15 23:59", "当前不能申请信用修复：自2026-07-16起才可以申请"},
		{"submit without actor id", "", mod(Submit, func(a *Action) { a.Actor.ID = "" }), "", "操作人不能为空，不能提交"},
		{"accept by the subject", Submitted, mod(Accept, func(a *Action) { a.Actor = subject }), "", "只有平台（信用网站）的审核人员才能受理"},
		{"accept by the department", Submitted, mod(Accept, func(a *Action) { a.Actor = dept }), "", "只有平台（信用网站）的审核人员才能受理"},
		{"reject without reason", Submitted, mod(Reject, func(a *Action) { a.Note = "  " }), "", "不予受理须写明理由"},
		{"approve by the platform", Accepted, mod(Approve, func(a *Action) { a.Actor = platform }), "", "只有认定该信息的部门（" + deptUSCC + "）的审核人员才能作出准予修复决定"},
		{"approve by another department", Accepted, mod(Approve, func(a *Action) { a.Actor = other }), "", "只有认定该信息的部门"},
		{"deny by another department", Accepted, mod(Deny, func(a *Action) { a.Actor = other }), "", "只有认定该信息的部门"},
		{"deny without reason", Accepted, mod(Deny, func(a *Action) { a.Note = "" }), "", "不予修复须写明理由"},
		{"withdraw by another subject", Submitted, mod(Withdraw, func(a *Action) { a.Actor.ID = "91110000600037341L" }), "", "只有提出申请的信用主体才能撤回申请"},
		{"withdraw by the platform", Accepted, mod(Withdraw, func(a *Action) { a.Actor = platform }), "", "只有提出申请的信用主体才能撤回申请"},
		{"withdraw approved", Approved, action(Withdraw), "", "申请已办结（已修复），不能再撤回"},
		{"submit again after rejection", Rejected, submission(), "", "申请已办结（不予受理），不能再提交；如需再次申请，请提交新的申请"},
		{"unknown action", Submitted, Action{Kind: "pay", Actor: subject}, "", "未知的操作“pay”"},
		{"zero time", Submitted, action(Accept), "zero", "操作时间不能为空"},
		{"time going back", Accepted, action(Approve), "2026-07-20 08:00", "操作时间2026-07-20 08:00:00早于该申请上一次操作的时间2026-07-21 09:00:00，不能作出准予修复决定"},
	} {
		t.Run(c.name, func(t *testing.T) {
			app := inState(t, c.state)
			when := at("2026-08-31 10:00")
			switch c.when {
			case "":
			case "zero":
				when = time.Time{}
			default:
				when = at(c.when)
			}
			next, err := Apply(app, clock, c.a, when)
			var r *Refusal
			if !errors.As(err, &r) {
				t.Fatalf("err = %v", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("refusal %q\nwant %q", err, c.want)
			}
			if !errors.Is(err, ErrRefused) {
				t.Error("not ErrRefused")
			}
			if !reflect.DeepEqual(next, app) {
				t.Error("refused action changed the application")
			}
		})
	}
}

// TestAcceptDeadlineOverHolidays: 10 working days from Monday 2026-09-28
// skip 国庆 (10-01..10-07) and count the make-up Saturday 10-10.
func TestAcceptDeadlineOverHolidays(t *testing.T) {
	for _, c := range []struct {
		submitted, due string
	}{
		// 09-29, 09-30, 10-08, 10-09, 10-10 (make-up), 10-12 .. 10-16.
		{"2026-09-28 10:00", "2026-10-16"},
		// From Friday 09-18: 09-20 (make-up Sunday), 09-21..09-24, not 中秋
		// (09-25..09-27), 09-28..09-30, 10-08, 10-09.
		{"2026-09-18 16:30", "2026-10-09"},
		// Submitted at 23:30 on 09-30 in China (15:30 UTC): counted from 09-30.
		{"2026-09-30 23:30", "2026-10-20"},
	} {
		app := mustApply(t, Application{}, submission(), at(c.submitted))
		if got := app.Timers.Accept; got.Step != "repair.accept" || got.Due.String() != c.due || got.Provisional || !got.Started.Equal(at(c.submitted)) {
			t.Errorf("submitted %s: accept timer %+v, due want %s", c.submitted, got, c.due)
		}
	}

	app := mustApply(t, Application{}, submission(), at("2026-09-28 10:00").UTC())
	for _, c := range []struct {
		now   string
		state deadline.State
		left  int
		level int
	}{
		{"2026-09-30 12:00", deadline.Open, 8, 0},
		{"2026-10-07 12:00", deadline.Open, 8, 0}, // a holiday: nothing counted since 09-30
		{"2026-10-15 12:00", deadline.DueSoon, 1, 0},
		{"2026-10-16 23:59", deadline.DueSoon, 0, 0},
		{"2026-10-17 08:00", deadline.Overdue, 0, 1}, // Saturday after the due Friday
		{"2026-10-19 08:00", deadline.Overdue, -1, 1},
		{"2026-10-21 08:00", deadline.Overdue, -3, 2},
	} {
		st, ok := Due(app, clock, at(c.now))
		if !ok || st.State != c.state || st.Left != c.left || st.Level != c.level {
			t.Errorf("at %s: %+v %v, want %s left %d level %d", c.now, st, ok, c.state, c.left, c.level)
		}
	}
}

// TestApprovedLate: accepted on the last working day before 国庆, the
// department's 3 working days end on the make-up Saturday 2026-10-10; an
// approval on Monday 10-12 is late; publicity stops the same day.
func TestApprovedLate(t *testing.T) {
	app := mustApply(t, Application{}, submission(), at("2026-09-28 10:00"))
	app = mustApply(t, app, action(Accept), at("2026-09-30 15:00"))
	if app.Timers.Decide.Due.String() != "2026-10-10" {
		t.Fatalf("decide due %s, want 2026-10-10", app.Timers.Decide.Due)
	}
	if st, ok := Due(app, clock, at("2026-10-09 09:00")); !ok || st.State != deadline.DueSoon || st.Left != 1 {
		t.Errorf("queue on 10-09: %+v %v", st, ok)
	}
	if st := clock.Status(app.Timers.Accept, time.Time{}); st.State != deadline.DoneOnTime || st.Took != 2 {
		t.Errorf("accept step: %+v", st)
	}
	app = mustApply(t, app, action(Approve), at("2026-10-12 11:00"))
	if st := clock.Status(app.Timers.Decide, time.Time{}); st.State != deadline.DoneLate || st.Left != -1 || st.Took != 4 {
		t.Errorf("decide step: %+v, want done late", st)
	}
	sync := app.Timers.Sync
	if sync.Step != "repair.sync" || !sync.Started.Equal(at("2026-10-12 11:00")) || !sync.Done.Equal(sync.Started) || sync.Due.String() != "2026-10-15" {
		t.Errorf("sync timer %+v", sync)
	}
	if st := clock.Status(sync, time.Time{}); st.State != deadline.DoneOnTime || st.Took != 0 {
		t.Errorf("sync step: %+v", st)
	}
	if app.Approved.String() != "2026-10-12" {
		t.Errorf("approved %s", app.Approved)
	}
	if _, ok := Due(app, clock, at("2026-10-20 09:00")); ok {
		t.Error("an approved application is in the queue")
	}
}

// TestApprovalDayInChina: an approval at 17:00 UTC is the next day in
// China, and that is the day publicity stops.
func TestApprovalDayInChina(t *testing.T) {
	app := inState(t, Accepted)
	app = mustApply(t, app, action(Approve), time.Date(2026, 8, 3, 17, 0, 0, 0, time.UTC))
	if app.Approved.String() != "2026-08-04" {
		t.Errorf("approved %s, want 2026-08-04", app.Approved)
	}
}

// TestHistory follows one application through and checks that the history
// is append-only and not shared between the values Apply returns.
func TestHistory(t *testing.T) {
	s := submission()
	submitted := mustApply(t, Application{}, s, at("2026-07-20 09:00"))
	s.Proofs[0] = "changed"
	if submitted.Proofs[0] != "att-fine-receipt-1" || submitted.RecordID != 42 || submitted.Subject != subject.ID ||
		submitted.Department != deptUSCC || submitted.Commitment != "commitment-7" {
		t.Errorf("submitted %+v", submitted)
	}
	accepted := mustApply(t, submitted, action(Accept), at("2026-07-21 09:00"))
	approved := mustApply(t, accepted, action(Approve), at("2026-07-22 09:00"))
	denied := mustApply(t, accepted, action(Deny), at("2026-07-22 10:00"))

	want := []Entry{
		{At: at("2026-07-20 09:00"), Actor: subject, Action: Submit, From: "", To: Submitted},
		{At: at("2026-07-21 09:00"), Actor: platform, Action: Accept, From: Submitted, To: Accepted},
		{At: at("2026-07-22 09:00"), Actor: dept, Action: Approve, From: Accepted, To: Approved, Note: "罚款已缴清，整改到位"},
	}
	if !reflect.DeepEqual(approved.History, want) {
		t.Errorf("history\n%+v\nwant\n%+v", approved.History, want)
	}
	if len(submitted.History) != 1 || len(accepted.History) != 2 {
		t.Errorf("earlier values changed: %d, %d entries", len(submitted.History), len(accepted.History))
	}
	if d := denied.History[2]; d.Action != Deny || d.To != Denied || d.Note != "尚未完成整改" {
		t.Errorf("denied entry %+v", d)
	}
	if approved.History[2].Action != Approve {
		t.Error("the approved history was overwritten by the denial")
	}
	if !accepted.Timers.Decide.Done.IsZero() {
		t.Error("the accepted value's timer was finished by a later action")
	}
}

// TestQueueOrder: the reviewers' queue by due day, closed applications last.
func TestQueueOrder(t *testing.T) {
	a := mustApply(t, Application{}, submission(), at("2026-09-28 10:00")) // accept due 10-16
	a.RecordID = 1
	b := mustApply(t, Application{}, submission(), at("2026-09-18 10:00")) // accept due 10-09
	b.RecordID = 2
	c := mustApply(t, b, action(Accept), at("2026-09-30 10:00")) // decide due 10-10
	c.RecordID = 3
	d := mustApply(t, c, action(Approve), at("2026-10-09 10:00")) // closed
	d.RecordID = 4
	queue := []Application{d, a, c, b}
	slices.SortStableFunc(queue, CompareDue)
	var got []int64
	for _, app := range queue {
		got = append(got, app.RecordID)
	}
	if !slices.Equal(got, []int64{2, 3, 1, 4}) {
		t.Errorf("queue order %v", got)
	}
}

// TestUnknownStep: a clock whose rules lack the repair steps is a
// configuration error, not a refusal.
func TestUnknownStep(t *testing.T) {
	rules, err := deadline.Parse(strings.NewReader(`{"steps": [{"key": "objection.mark", "name": "异议标注", "working_days": 1, "remind_days": 1, "escalate_every": 2, "basis": "平台默认"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	app, err := Apply(Application{}, deadline.Clock{Rules: rules}, submission(), at("2026-07-20 09:00"))
	var r *Refusal
	if err == nil || errors.As(err, &r) || errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "办理时限配置有误") || app.State != "" {
		t.Errorf("app %+v, err %v", app, err)
	}
}

func TestLabels(t *testing.T) {
	want := map[State]string{Submitted: "待受理", Accepted: "已受理（待认定部门决定）", Approved: "已修复", Denied: "不予修复", Rejected: "不予受理", Withdrawn: "已撤回", Revoked: "修复已撤销（复核不通过）"}
	for _, s := range States {
		if s.Label() != want[s] {
			t.Errorf("%s: %s", s, s.Label())
		}
		if s.Terminal() != (s != Submitted && s != Accepted) {
			t.Errorf("%s: terminal %v", s, s.Terminal())
		}
	}
}

func TestSummarize(t *testing.T) {
	late := mustApply(t, Application{}, submission(), at("2026-09-28 10:00"))
	late = mustApply(t, late, action(Accept), at("2026-09-30 15:00"))
	late = mustApply(t, late, action(Approve), at("2026-10-12 11:00"))
	s := Summarize(clock, []Application{late, inState(t, Rejected), inState(t, Submitted), inState(t, Withdrawn)})
	if s.Applications != 4 || s.Open != 1 || s.Approved != 1 || s.Rejected != 1 || s.Withdrawn != 1 || s.Decided != 1 || s.OnTime != 0 {
		t.Errorf("summary %+v", s)
	}
	// 09-29, 09-30, 10-08, 10-09, 10-10 (make-up Saturday), 10-12.
	if s.AvgWorkingDays != 6 {
		t.Errorf("average %v working days, want 6", s.AvgWorkingDays)
	}
}
