// Package repair is credit repair (信用修复): ending the publicity and
// sharing of a bad record early once the subject has corrected its
// conduct. It says whether and from when a subject may apply (Check) and
// runs an application through its states (Apply), with the deadlines of
// package deadline. Check and Apply are pure; Service (service.go) runs
// them for principals: it decides who holds which role, stores the
// application with its proofs (sealed with the data key) and the signed
// 信用修复型 commitment, sets the record's repair day on approval and
// appends the change-feed event.
//
// # Eligibility
//
// Check reads the record's kind in the catalogue, its fields and
// publicity.Decide's decision for the day asked.
//
//   - Only bad records (nature "bad") of kinds with publicity windows are
//     repaired this way: repair ends their publicity before the window
//     does. A list entry (失信名单, kind sx) has no window: it leaves its
//     list when the deciding authority removes it (移出), under the list's
//     own rules. A 行政许可 is a neutral record, an honour a good one:
//     nothing to repair.
//   - A record that is not being publicised on the day has nothing to
//     repair: revoked (撤销), its window over (公示期满), already repaired,
//     not yet published, or of a class that is not published at all.
//     A record under objection (异议处理中) is still public and may be
//     repaired.
//   - 轻微 (minor, no minimum publicity, Decision.MinUntil zero): an
//     application is accepted at once, once the legal duty is fulfilled;
//     the application must prove it (国办发〔2025〕22号: 轻微失信信息 are not
//     publicised or at most 3 months, and repairable once the legal duty
//     is fulfilled).
//   - 一般 and 严重: from the day after Decision.MinUntil, when the shortest
//     publicity has been reached: 一般 at least 3 months, 严重 at least 1
//     year, counted from the decision date
//     (国家发展改革委令第36号《信用修复管理办法》, adopted 2025-11-19, in force
//     from 2026-04-01, replacing 令第58号; 国办发〔2025〕22号). The minimums are catalogue data
//     (windows[].min_months of the kind), so a province may change them.
//     When the record's publicity ends before that day (a department's
//     公示截止期 earlier than the minimum), there is never a day to apply:
//     publicity stops by itself after Decision.Until.
//   - Never early: a record matching one of the kind's no_early_repair
//     rules (catalogue) is shown until its window ends, then stops by
//     itself. For 行政处罚 the built-in catalogue lists the penalties that
//     《市场监督管理行政处罚信息公示规定》(市场监督管理总局令第45号, from
//     2021-09-01) never stops early: 责令停产停业, 限制开展生产经营活动,
//     限制从业, 降低资质等级, 吊销许可证件 and 吊销营业执照 (in the 1996
//     vocabulary 吊销许可证, 吊销执照). That is the market-regulation rule,
//     applied platform-wide as a default a province may change in its own
//     catalogue.
//
// The other conditions of 令第36号 are checked by people, not here: the
// conduct corrected and the duties of the penalty (or listing) fully
// fulfilled, proved by attachments; a public commitment (信用承诺: the
// materials are true, the subject accepts liability for breach), which
// Submit requires by reference; any other condition of laws, 行政法规 and
// 部门规章. Applications go through the platform (信用中国 is the 总窗口) to
// the department that decided the record: 谁认定、谁修复.
//
// Not verified (domain facts §3): the article numbers of
// 令第36号 (its text was read only in part, the application conditions from
// secondary reports); the deadlines of 令第36号 (its 受理/核查/反馈 days could
// not be read; the deadline steps use the 10 and 3 working days news
// summaries report for 国办发〔2025〕22号); the per-domain classification
// thresholds set by 行业主管部门; whether domains other than market
// regulation forbid early repair. Check applies the catalogue's windows
// whatever the date: before 2026-04-01 令第58号 (and before 2023-05-01
// 发改办财金〔2019〕527号, 严重 at least 6 months) applied; records of that
// time asked about now are judged by the current rules.
//
// # Applications
//
// An Application is a value; Apply returns the next one or a *Refusal
// whose message, in Chinese, says what was refused and why
// ("申请已办结（已修复），不能再撤回"). Its history is append-only. Each waiting state has
// one open deadline timer (package deadline); Due gives its status for the
// reviewers' queue (order with CompareDue).
//
// States: submitted 待受理, accepted 已受理（待认定部门决定）, approved 已修复,
// denied 不予修复, rejected 不予受理, withdrawn 已撤回; the last four are closed
// (办结) and allow no action.
//
//	from       action    by                                      to         timer
//	(new)      Submit    the subject                             submitted  start repair.accept (10 working days)
//	submitted  Accept    a platform reviewer                     accepted   finish repair.accept; start repair.decide (3)
//	submitted  Reject    a platform reviewer, with a reason      rejected   finish repair.accept
//	submitted  Withdraw  the subject who applied                 withdrawn  stop repair.accept
//	accepted   Approve   a reviewer of the deciding department   approved   finish repair.decide; start and finish repair.sync (3); set Approved
//	accepted   Deny      the same, with a reason                 denied     finish repair.decide
//	accepted   Withdraw  the subject who applied                 withdrawn  stop repair.decide
//
// Submit needs at least one reference to an attachment proving the legal
// duty fulfilled, the id of the subject's signed 信用修复型 commitment
// (信用修复承诺书), the deciding department's USCC and the Eligibility of the
// record on the submission day, which must be Open. A closed application is
// never reopened: the subject files a new one. Applying is free of charge;
// an application has no field for a fee.
//
// # Effect of approval
//
// Approve sets Approved, the day (China) of the approval. The caller
// stores it as publicity.Input.Repaired of the record and raises the
// change-feed event (Service does both, in one transaction with the
// application). From that day publicity.Decide
// reports the record as Repaired: 信用中国 and the platform stop showing it
// and stop sharing it with departments, local governments and credit
// service agencies (令第36号 Art. 3: 终止公示, 停止共享和使用). The platform
// stops publicity in the same step, so repair.sync is finished when it
// starts. The record is not deleted: it stays in the subject's own file
// (the subject sees its history, repair included) and in the store for
// auditors, as every version does.
package repair
