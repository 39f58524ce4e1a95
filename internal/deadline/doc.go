// Package deadline is the deadline engine of the platform's workflows
// (异议 objections, 信用修复 credit repair, and later others): it knows the
// time limit of each workflow step, counted in working days (工作日),
// computes due dates on the official working-day calendar (package
// calendar), and tells whether a running or finished step is on time, due
// soon (remind the assignee), overdue, and how far up the organisation tree
// an overdue case must be escalated.
//
// It has no storage and no HTTP: callers store the instants a step started
// and was done, and ask.
//
//	clock := deadline.Clock{} // Default rules, calendar.Default()
//	t, err := clock.Start("objection.mark", receivedAt)
//	... store t (Step, Started, Due, Provisional); later t.Done = doneAt
//	st := clock.Status(t, time.Now())
//	st.State.Label() // "即将到期"; st.Left working days left; st.Level escalation
//
// # Counting
//
// Days are civil dates in China (UTC+8, calendar.FromTime), whatever the
// zone of the instants given. A step that started at any time of day D is
// due on the n-th working day after D, D not counted, where n is the step's
// WorkingDays:
//
//	Due = Calendar.AddWorkingDays(D, n)
//
// This is the last day of "within n working days of D" (自D之日起n个工作日内),
// whether D is a working day, a weekend day, a holiday or a make-up working
// day (调休上班日). An objection received on Wednesday 2026-09-30, the last
// working day before 国庆 (10-01..10-07), must be marked within 1 working
// day: by Thursday 2026-10-08. One received on Saturday 2026-10-10, a
// make-up working day, is due on Monday 10-12 (the Saturday itself is not
// counted).
//
// A step is done on time when it is done on or before the due day (China
// time), and overdue while it is not done and the current day is after the
// due day. Status.Left counts the working days from the current day (or the
// done day) to the due day: WorkingDaysBetween(today, Due), the working days
// in (today, Due], when today is not after Due (0 on the due day itself);
// -WorkingDaysBetween(Due, today) when it is (-1 on the first working day
// after the due day; 0 on the non-working days just after it, which are
// nevertheless overdue).
//
// # Reminders and escalation
//
// An open step is DueSoon (即将到期: remind the assignee) while Left <=
// RemindDays: with RemindDays 1, on the working day before the due day, the
// non-working days between, and the due day; with 0, on the due day only.
//
// Once overdue (已逾期) the case goes up the organisation tree: Level 1 (the
// level above the assignee's organisation) at once, on the first day after
// the due day, and one more level for every further EscalateEvery working
// days overdue: Level = 1 + (k-1)/EscalateEvery for k >= 1 working days
// overdue (k = -Left), Level 1 when k = 0 or EscalateEvery = 0. With
// EscalateEvery 2: one or two working days overdue, level 1; three or four,
// level 2; five, level 3. Which organisation that is, and who is notified,
// is the caller's business. Done steps and steps not overdue have Level 0.
//
// # Provisional dates
//
// Outside the years whose official holiday arrangement it has
// (calendar.Calendar.Covered) the calendar counts weekends only, which is
// wrong for the public holidays of those years. Timer.Provisional is set
// when some day in (start day, Due] is not settled: it lies in a year that
// is not covered, or in December of a year whose next year is not covered
// (the notice for year Y may move days of December of Y-1; the 2019 notice
// made 2018-12-29 a working day and 2018-12-30/31 days off). A step started
// on 2026-12-28 with 5 working days runs into 2027, which the built-in
// calendar does not cover yet: its due date is provisional. Callers must
// then show the due date as provisional (暂定), and may start the timer
// again with the same instant once the year is loaded to get the final date.
// Status.Provisional says the same of the counts of a Status.
//
// # Configuration
//
// The limits are data: Default returns the built-in steps (steps.json,
// embedded in the package), each with the source of its limit; an operator
// can load a file in the same format with Parse and apply it with Merge,
// where a step of the file replaces the built-in step with the same key and
// new keys are added:
//
//	f, err := os.Open(path)
//	...
//	local, err := deadline.Parse(f) // every problem at once, e.g.
//	                                // `deadline: step "repair.decide": working_days 0: must be 1..365`
//	...
//	clock := deadline.Clock{Rules: deadline.Default().Merge(local), Calendar: cal}
//
// The file is UTF-8 JSON (a leading byte order mark is ignored), at most
// 1 MiB:
//
//	{
//	  "note": "free text about the file (optional, ignored)",
//	  "steps": [
//	    {
//	      "key": "objection.mark",
//	      "name": "异议标注",
//	      "working_days": 1,
//	      "remind_days": 1,
//	      "escalate_every": 2,
//	      "basis": "《上海市社会信用条例》第三十六条：……"
//	    }
//	  ]
//	}
//
// Rules, each reported by Parse naming the step by its key (or by its
// position steps[i], from 0, when the key is unusable) and the field:
//   - the top level has only "note" (a string) and "steps" (a non-empty
//     list); a step has exactly the six fields above, each once;
//   - key: lowercase ASCII words (a-z, 0-9 and _, each word starting with a
//     letter) joined by dots, at least two words, the workflow first
//     ("objection.mark", "repair.decide"); at most 64 bytes; unique in the
//     file;
//   - name: the step in Chinese, as shown to users; not empty, at most 64
//     characters, no control characters;
//   - working_days: 1..365;
//   - remind_days: 0..working_days;
//   - escalate_every: 0..365 (0 = escalate one level only);
//   - basis: not empty: the legal source of the limit, or "平台默认" and why.
//
// # Built-in steps
//
//   - objection.mark 异议标注: 1 working day, 《上海市社会信用条例》第三十六条;
//   - objection.forward 异议转送信息提供单位: 2, the same article;
//   - objection.decide 异议核查处理: 5, the same article;
//   - objection.notify 告知申请人: 3, 平台默认 after 陕发改财金〔2021〕789号
//     (each step of an objection to a check result at most 3 working days);
//   - objection.review 异议复核: 5, 平台默认 (as objection.decide);
//   - repair.accept 信用修复受理答复: 10, 国办发〔2025〕22号 as reported in news
//     summaries (not verified against the official text) and the practice
//     of 信用中国（江西）;
//   - repair.decide 认定部门修复决定: 3, 国办发〔2025〕22号 as reported (not
//     verified);
//   - repair.sync 修复结果同步: 3, practice under 国家发展改革委令第58号
//     (secondary source);
//   - repair.recheck 信用修复抽查复核: 10, 平台默认;
//   - return.fix 退回信息补正: 5, 平台默认 (a department corrects and sends
//     again a row intake returned to it; no text names a number of days);
//   - market.agency_check 2, market.agency_change 2, market.project_review
//     2, market.confirm 1 (the system confirms when it passes),
//     market.contact 1, market.contract 2, market.rate 3, market.dishonesty
//     2: the intermediary-service marketplace, 《陕西省网上中介服务超市管理办法》
//     第十七、十八、二十三、三十条;
//   - hiring.answer, hiring.object, hiring.forward, hiring.apply,
//     hiring.result, hiring.notify: 3 each, 陕发改财金〔2021〕789号 (the
//     answer to a hiring check and each step of an objection to it);
//     hiring.national 国家中心异议复核: 3, 平台默认 (the text gives the
//     national centre no limit).
//
// All have RemindDays 1 and EscalateEvery 2, platform defaults. Shanghai's
// regulation is the only provincial rule with exact objection deadlines the
// project has; the credit repair numbers of 国办发〔2025〕22号 and of
// 国家发展改革委令第36号 (in force from 2026-04-01) are still to be checked
// against the official texts. steps.json says so in each basis.
package deadline
