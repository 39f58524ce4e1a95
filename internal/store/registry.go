package store

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
)

// The storage of the registration database (主体登记库) and of the
// correction of bad unified social credit codes (统一社会信用代码重错码纠错).
// The rules (what a registration record means, what a problem is, who
// corrects it) are package registry's; the store keeps the registrations
// as applied from intake batches of kind dj, the cases and the whitelist.

// Registration is what one registration authority registered under one
// code: the registry's row keyed by (USCC, AuthorityCode).
type Registration struct {
	USCC          string
	AuthorityCode string // the registration authority's USCC (登记管理部门代码)
	AuthorityName string
	DeptCode      string // 登记管理部门码 of the authority's system (1 机构编制, 5 民政, 9 市场监管 …), "" unknown
	Name          string
	OrgCode       string // 组织机构代码 as sent, "" when not sent
	LegalRep      string
	Address       string
	Region        string // 注册地址行政区划代码, "" when not sent
	Founded       string // YYYY-MM-DD
	Status        string // 存续, 注销, 吊销, 删除
	Approval      string // 登记审批机关
	Business      string // the last 登记业务类型 applied
	Day           string // the last applied record's 登记业务日期
	RecordID      int64  // the last applied record
	FirstSeen     time.Time
	UpdatedAt     time.Time
	// FormerNames are the names the registration held before (name-change
	// chain), oldest first; filled by the readers.
	FormerNames []string
}

// RegistryStatusDeleted is the status of a registration deleted by a
// 登记业务类型 -1 record: it no longer counts anywhere but stays for the
// history.
const RegistryStatusDeleted = "删除"

// Registry case states.
const (
	CaseOpen        = "open"        // 待纠错
	CaseWhitelistRq = "whitelist"   // 白名单申请待审核
	CaseClosed      = "closed"      // 已纠正
	CaseWhitelisted = "whitelisted" // 已纳入白名单
)

// CodeCentre is the authority of cases assigned to the provincial code
// centre (省代码中心): the authorities of two provinces are involved.
const CodeCentre = "centre"

// RegistryCase is a problem found in the registry (错码, 一码多赋, 重复赋码)
// and its correction.
type RegistryCase struct {
	ID        int64
	Key       string   // type and codes (and authorities): the same problem has the same key
	Type      string   // 错码, 一码多赋, 重复赋码
	Codes     []string // the codes involved
	Authority string   // USCC of the authority that corrects (谁赋码、谁纠错), or CodeCentre
	Region    string   // the region (6 digits) of that authority, "" for the centre
	Evidence  []byte   // JSON: the registrations involved and the reasons
	State     string
	OpenedAt  time.Time
	Due       string // YYYY-MM-DD: the correction's deadline (deadline engine)
	ClosedAt  time.Time
	// Resolution says how it ended (已纠正, 纳入白名单, 白名单申请未通过 …).
	Resolution string
	// Request is the whitelist request: the authority's reason and its
	// evidence (government approval documents), as text.
	Request string
	Actor   string // who acted last
}

// RegistryCaseFilter selects cases.
type RegistryCaseFilter struct {
	Authority string // "" any
	States    []string
	Type      string
	Limit     int
}

// RegistryFinding is a problem a scan found: a case to open unless one is
// open under the same key.
type RegistryFinding struct {
	Key       string
	Type      string
	Codes     []string
	Authority string
	Region    string
	Evidence  []byte
	Due       string
}

// RegistrySync is the outcome of reconciling findings with the cases.
type RegistrySync struct {
	Opened, Closed, Open int
}

// RegistryStore keeps the registration database and the code cases.
type RegistryStore interface {
	// PendingRegistryBatches returns the finished intake batches of kind
	// kind that were not applied to the registry, in id order.
	PendingRegistryBatches(ctx context.Context, kind string) ([]int64, error)
	// RegistryBatchRecords returns the current records of kind filed by a
	// batch (their Fields to decode), in id order.
	RegistryBatchRecords(ctx context.Context, kind string, batch int64) ([]Record, error)
	// ApplyRegistryBatch stores the registrations a batch makes, in one
	// transaction with the batch's mark: a batch already marked applies
	// nothing (applied false). A registration replaces the stored one of
	// its (USCC, authority) only when it is not older (day, then record
	// id); a changed name keeps the old one as a former name.
	ApplyRegistryBatch(ctx context.Context, batch int64, regs []Registration) (applied bool, err error)
	// Registrations calls fn with every registration, in no particular
	// order, with the fields a scan needs only (USCC, authority code and
	// name, department, name, former names, legal representative,
	// status). fn may not keep r.
	Registrations(ctx context.Context, fn func(r *Registration) error) error
	// RegistrationsOf returns the registrations of the codes, with former
	// names.
	RegistrationsOf(ctx context.Context, codes []string) ([]Registration, error)
	// RegistrationsRelated returns the registrations holding one of the
	// codes, one of the names or one of the org-code bodies (positions
	// 9–16 of the code): what a batch's scan compares.
	RegistrationsRelated(ctx context.Context, codes, names, bodies []string) ([]Registration, error)
	// RegistryWhitelist returns the whitelisted case keys.
	RegistryWhitelist(ctx context.Context) (map[string]bool, error)
	// SyncRegistryCases opens a case for each finding without an open one
	// (by key; a whitelisted key is left out) and closes as corrected
	// (已纠正) every open case not found whose codes are all in scope (nil:
	// every open case), in one transaction.
	SyncRegistryCases(ctx context.Context, found []RegistryFinding, scope []string) (RegistrySync, error)
	// RegistryCases lists cases, newest first.
	RegistryCases(ctx context.Context, f RegistryCaseFilter) ([]RegistryCase, error)
	// GetRegistryCase returns a case (ErrNotFound).
	GetRegistryCase(ctx context.Context, id int64) (RegistryCase, error)
	// UpdateRegistryCase stores c's state, resolution, request, actor and
	// closing time when the stored state is from (ErrConflict otherwise),
	// with the audit entry; whitelist also stores c.Key in the whitelist.
	UpdateRegistryCase(ctx context.Context, c RegistryCase, from string, whitelist bool, audit auth.AuditEntry) error
	// RefreshRegistryStats updates the planner's statistics of the
	// registry after a large batch (PostgreSQL: ANALYZE, so that the
	// batch scan's lookups use the indexes before autovacuum would have
	// run; SQLite plans them by index anyway).
	RefreshRegistryStats(ctx context.Context) error
	// RegistrationCounts returns, per authority and month (YYYY-MM, China
	// time) of first appearance, how many registrations appeared.
	RegistrationCounts(ctx context.Context) ([]RegistrationCount, error)
}

// RegistrationCount counts the registrations an authority made known in a
// month.
type RegistrationCount struct {
	Authority, Month string
	N                int
}
