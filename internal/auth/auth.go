// Package auth is who may do what: the organisation tree, accounts and
// their roles, API clients and their scopes, and the one authorisation
// decision (Authorizer.Decide) every handler and command asks. Roles are
// data (roles.json); the decision is a pure function of the principal, the
// action and the resource, so that the whole matrix can be table-tested.
// The package also holds the rules for passwords (argon2id), sign-in
// lock-out, one-time codes, API keys and the audit trail's entries. It does
// no I/O beyond logging denials.
package auth

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
)

// Action is something a principal does to a resource.
type Action string

// The actions. Every grant in roles.json names one of them.
const (
	PublicRead        Action = "public.read"        // read what is public
	RecordRead        Action = "record.read"        // read a department's records, public or not, with personal fields
	RecordSubmit      Action = "record.submit"      // submit records (归集)
	RecordChange      Action = "record.change"      // correct, revoke or restore records
	SharedRead        Action = "shared.read"        // read data shared between departments (政务共享)
	ObjectionReview   Action = "objection.review"   // answer objections (异议)
	RepairReview      Action = "repair.review"      // decide credit repairs (信用修复)
	CommitmentManage  Action = "commitment.manage"  // register commitments made to the department and assess their fulfilment (信用承诺)
	CheckRun          Action = "check.run"          // run a credit check (信用核查)
	CheckRead         Action = "check.read"         // read archived checks
	AuditRead         Action = "audit.read"         // read the audit trail
	QueryLogRead      Action = "querylog.read"      // read who looked a subject up (知情权)
	SubjectFile       Action = "subject.file"       // read a subject's whole file, public or not
	OrgManage         Action = "org.manage"         // create and disable organisations
	UserManage        Action = "user.manage"        // create, change and disable accounts
	ClientManage      Action = "client.manage"      // create, rotate and revoke API clients
	ReturnManage      Action = "return.manage"      // a department's returned rows (退回): read them as sent, withdraw them
	LedgerManage      Action = "ledger.manage"      // the reporting ledger (报送台账): expected volumes and decision registers
	QualityRead       Action = "quality.read"       // reporting quality (上报率, 合格率, 及时率 …) and the returns of the organisation and below
	IntegrityRead     Action = "integrity.read"     // read a government body's integrity scores, reports and events (政务诚信监测)
	IntegrityFeedback Action = "integrity.feedback" // enter a government body's feedback (处理结果) on its integrity events
	IntegrityManage   Action = "integrity.manage"   // run the monthly scoring and set the monitoring scope
	// SupervisionManage: graded supervision of a department (its measures
	// per grade and its subjects by grade) and its 双随机 inspections (the
	// list of matters, the inspector pool, tasks and draws).
	SupervisionManage Action = "supervision.manage"
	InspectionRecord  Action = "inspection.record" // enter the results of a department's 双随机 inspections
	// MarketOperate: run the intermediary-service marketplace (中介超市运维机构):
	// review agencies' applications and changes, review and publish
	// projects, exit agencies, re-run a failed selection.
	MarketOperate Action = "market.operate"
	MarketBuy     Action = "market.buy"     // file projects as their owner (项目业主), confirm selections, rate services
	MarketCatalog Action = "market.catalog" // keep the industry's intermediary-service items (行业主管部门)
	// ExchangeRead: the exchange with other platforms (peers, their lag,
	// counts, errors and conflicts); the platform operator's only.
	ExchangeRead Action = "exchange.read"
	// RegistryRead: the code cases (重错码) of the authorities in scope and
	// the 重错码率/纠正率 figures.
	RegistryRead Action = "registry.read"
	// RegistryCorrect: act on an authority's code cases (file its
	// corrected, cancelled or deleted registrations, ask for whitelisting).
	RegistryCorrect Action = "registry.correct"
	// RegistryDecide: the code centre's decision on whitelist requests.
	RegistryDecide Action = "registry.decide"
	// HiringRequest: a unit asks for the credit records of its hiring
	// candidates (789号) and handles their objections; HiringAnswer: the
	// credit office of the level the routing rules give answers, reviews a
	// hit a second time and forwards objections.
	HiringRequest Action = "hiring.request"
	HiringAnswer  Action = "hiring.answer"
	// GrantManage: a firm authorises a lender to read named data groups
	// (信易贷 授权) and revokes it; LenderRead: a lender reads the firms
	// that authorised it, within their grants, and reports its outcomes.
	GrantManage Action = "grant.manage"
	LenderRead  Action = "lender.read"
	// ComplaintHandle: complaints and reports of dishonesty (投诉举报):
	// the operator's staff route them, a department's answer those routed
	// to it; both see the informant's identity.
	ComplaintHandle Action = "complaint.handle"
	ArticleEdit     Action = "article.edit" // write the public columns' articles (政策法规, 信用动态) and campaigns (专项治理)
)

// Actions lists every action, in the order the matrix is shown.
var Actions = []Action{PublicRead, RecordRead, RecordSubmit, RecordChange, SharedRead, ObjectionReview,
	RepairReview, CommitmentManage, CheckRun, CheckRead, SupervisionManage, InspectionRecord, AuditRead, QueryLogRead, SubjectFile, OrgManage, UserManage, ClientManage,
	ReturnManage, LedgerManage, QualityRead,
	IntegrityRead, IntegrityFeedback, IntegrityManage,
	MarketOperate, MarketBuy, MarketCatalog,
	ExchangeRead,
	RegistryRead, RegistryCorrect, RegistryDecide,
	HiringRequest, HiringAnswer, GrantManage, LenderRead,
	ComplaintHandle, ArticleEdit}

// Scope says which resources a grant reaches.
type Scope string

const (
	ScopeAny     Scope = "any"     // every resource
	ScopeSubtree Scope = "subtree" // resources of the principal's organisation and those below it
	ScopeSelf    Scope = "self"    // the principal's own subject
)

// Grant allows an action within a scope.
type Grant struct {
	Action Action `json:"action"`
	Scope  Scope  `json:"scope"`
}

// Role is a named set of grants.
type Role struct {
	Name   string  `json:"name"`
	Label  string  `json:"label"`
	About  string  `json:"about"`
	Grants []Grant `json:"grants"`
}

// ClientScope maps an API client's scope to a grant.
type ClientScope struct {
	Scope      string `json:"scope"`
	Label      string `json:"label"`
	Action     Action `json:"action"`
	GrantScope Scope  `json:"grant_scope"`
}

// Public is the role every principal has.
const Public = "public"

// The built-in role names.
const (
	RoleAdmin    = "admin"
	RoleClerk    = "clerk"
	RoleReviewer = "reviewer"
	RoleChecker  = "checker"
	RoleAuditor  = "auditor"
	RoleSubject  = "subject"
	RoleOffice   = "office"
	RoleMonitor  = "monitor"
	// RoleSupervisor manages a department's graded supervision and 双随机
	// tasks; RoleInspector enters the results of the inspections it was
	// drawn for.
	RoleSupervisor = "supervisor"
	RoleInspector  = "inspector"
	// RoleRegistrar corrects its registration authority's code cases;
	// RoleCodeCentre is the provincial code centre (白名单, cross-province).
	RoleRegistrar  = "registrar"
	RoleCodeCentre = "codecentre"
)

//go:embed roles.json
var rolesJSON []byte

// Roles is the role table.
type Roles struct {
	list    []Role
	byName  map[string]Role
	clients []ClientScope
}

// DefaultRoles is the built-in table (roles.json).
func DefaultRoles() *Roles {
	r, err := LoadRoles(rolesJSON)
	if err != nil {
		panic(err)
	}
	return r
}

// LoadRoles reads and validates a role table.
func LoadRoles(b []byte) (*Roles, error) {
	var doc struct {
		Roles   []Role        `json:"roles"`
		Clients []ClientScope `json:"client_scopes"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("roles: %w", err)
	}
	r := &Roles{list: doc.Roles, byName: map[string]Role{}, clients: doc.Clients}
	for _, role := range doc.Roles {
		if role.Name == "" || role.Label == "" {
			return nil, fmt.Errorf("roles: a role needs a name and a label")
		}
		if _, dup := r.byName[role.Name]; dup {
			return nil, fmt.Errorf("roles: %s twice", role.Name)
		}
		for _, g := range role.Grants {
			if err := checkGrant(g.Action, g.Scope); err != nil {
				return nil, fmt.Errorf("roles: %s: %w", role.Name, err)
			}
		}
		r.byName[role.Name] = role
	}
	if _, ok := r.byName[Public]; !ok {
		return nil, fmt.Errorf("roles: the %q role is missing", Public)
	}
	for _, c := range doc.Clients {
		if err := checkGrant(c.Action, c.GrantScope); err != nil {
			return nil, fmt.Errorf("roles: client scope %s: %w", c.Scope, err)
		}
		if c.GrantScope == ScopeSelf {
			return nil, fmt.Errorf("roles: client scope %s: an API client has no subject of its own", c.Scope)
		}
	}
	return r, nil
}

func checkGrant(a Action, s Scope) error {
	if !slices.Contains(Actions, a) {
		return fmt.Errorf("unknown action %q", a)
	}
	switch s {
	case ScopeAny, ScopeSubtree, ScopeSelf:
		return nil
	}
	return fmt.Errorf("action %s: unknown scope %q", a, s)
}

// List returns the roles in table order.
func (r *Roles) List() []Role { return r.list }

// Get returns a role by name.
func (r *Roles) Get(name string) (Role, bool) {
	role, ok := r.byName[name]
	return role, ok
}

// ClientScopes lists the scopes an API client can hold.
func (r *Roles) ClientScopes() []ClientScope { return r.clients }

// CheckRoles reports the first name that is not an assignable role. The
// public role is everyone's and is not assigned.
func (r *Roles) CheckRoles(names []string) error {
	if len(names) == 0 {
		return fmt.Errorf("至少指定一个角色")
	}
	for _, n := range names {
		if _, ok := r.byName[n]; !ok || n == Public {
			return fmt.Errorf("未知角色 %q", n)
		}
	}
	return nil
}

// CheckClientScopes reports the first scope an API client cannot hold. A
// records:submit scope may name a record kind (records:submit:cf); kinds
// is asked whether the kind exists.
func (r *Roles) CheckClientScopes(scopes []string, kinds func(string) bool) error {
	if len(scopes) == 0 {
		return fmt.Errorf("至少指定一个权限范围")
	}
	for _, s := range scopes {
		base, kind := splitScope(s)
		if !slices.ContainsFunc(r.clients, func(c ClientScope) bool { return c.Scope == base }) {
			return fmt.Errorf("未知权限范围 %q", s)
		}
		if kind != "" && (base != "records:submit" || kinds == nil || !kinds(kind)) {
			return fmt.Errorf("权限范围 %q 中的信息类别无效", s)
		}
	}
	return nil
}

// splitScope splits "records:submit:cf" into "records:submit" and "cf".
func splitScope(s string) (base, kind string) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) == 3 {
		return parts[0] + ":" + parts[1], parts[2]
	}
	return s, ""
}

// PrincipalKind says what kind of caller a principal is.
type PrincipalKind string

const (
	Anonymous PrincipalKind = "anonymous"
	UserKind  PrincipalKind = "user"
	Client    PrincipalKind = "client"
	System    PrincipalKind = "system" // the binary's own commands run by the operator
)

// Principal is who asks: an anonymous visitor, a signed-in user, an API
// client, or the operator at the command line.
type Principal struct {
	Kind      PrincipalKind
	ID        int64  // user or client id
	Name      string // login or client name
	Org       Org    // the organisation it belongs to (zero for anonymous)
	Roles     []string
	Scopes    []string // API clients
	SubjectID int64    // subject users: the subject they are
}

// Anyone is the anonymous public.
var Anyone = Principal{Kind: Anonymous}

// String names the principal in logs and the audit trail.
func (p Principal) String() string {
	switch p.Kind {
	case Anonymous:
		return "anonymous"
	case System:
		return "system:" + p.Name
	}
	return string(p.Kind) + ":" + strconv.FormatInt(p.ID, 10) + ":" + p.Name
}

// Staff reports whether the principal works for an organisation.
func (p Principal) Staff() bool {
	return (p.Kind == UserKind || p.Kind == Client) && p.Org.ID != 0
}

// Resource is what an action is done to.
type Resource struct {
	// OrgPath is the path of the organisation that owns the resource (a
	// record's supplying department, a user's organisation, the
	// organisation whose audit trail is read); empty when no
	// organisation owns it.
	OrgPath string
	// SubjectID is the credit subject the resource is about, if any.
	SubjectID int64
	// Kind is the record kind, for submit scopes limited to a kind.
	Kind string
}

// Decision is the answer to Decide, with the reason for logs and pages.
type Decision struct {
	Allow  bool
	Reason string // in Chinese, shown to the user when denied
	By     string // the role or client scope that allowed it
}

// Authorizer makes every authorisation decision and logs its denials.
type Authorizer struct {
	Roles *Roles
	Log   *slog.Logger
}

// Decide answers whether p may do a to res. The system principal may do
// anything; everyone has the public role; a disabled organisation's
// members may do nothing but what the public may.
func (z *Authorizer) Decide(p Principal, a Action, res Resource) Decision {
	d := z.decide(p, a, res)
	if !d.Allow && z.Log != nil {
		z.Log.Info("access denied", "principal", p.String(), "org", p.Org.ID, "action", string(a),
			"resource_org", res.OrgPath, "resource_subject", res.SubjectID, "reason", d.Reason)
	}
	return d
}

// Can answers like Decide without logging a denial: for choosing which
// links a page shows, never for enforcing.
func (z *Authorizer) Can(p Principal, a Action, res Resource) bool {
	return z.decide(p, a, res).Allow
}

func (z *Authorizer) decide(p Principal, a Action, res Resource) Decision {
	if p.Kind == System {
		return Decision{Allow: true, By: "system"}
	}
	if ok, by := z.granted(Public, a, p, res); ok {
		return Decision{Allow: true, By: by}
	}
	if p.Kind == Anonymous {
		return Decision{Reason: "请先登录"}
	}
	if p.Org.Disabled {
		return Decision{Reason: "所属单位已停用"}
	}
	if p.Kind == Client {
		for _, s := range p.Scopes {
			base, kind := splitScope(s)
			for _, c := range z.Roles.clients {
				if c.Scope != base || c.Action != a {
					continue
				}
				if kind != "" && kind != res.Kind {
					continue
				}
				if inScope(c.GrantScope, p, res) {
					return Decision{Allow: true, By: "client:" + s}
				}
			}
		}
		return Decision{Reason: "接口密钥无此权限或超出本单位数据范围"}
	}
	for _, name := range p.Roles {
		if ok, by := z.granted(name, a, p, res); ok {
			return Decision{Allow: true, By: by}
		}
	}
	if z.hasAction(p.Roles, a) {
		return Decision{Reason: "超出本单位数据范围"}
	}
	return Decision{Reason: "当前账户无此权限"}
}

func (z *Authorizer) granted(role string, a Action, p Principal, res Resource) (bool, string) {
	r, ok := z.Roles.byName[role]
	if !ok {
		return false, ""
	}
	for _, g := range r.Grants {
		if g.Action == a && inScope(g.Scope, p, res) {
			return true, role
		}
	}
	return false, ""
}

func (z *Authorizer) hasAction(roles []string, a Action) bool {
	for _, name := range roles {
		for _, g := range z.Roles.byName[name].Grants {
			if g.Action == a {
				return true
			}
		}
	}
	return false
}

func inScope(s Scope, p Principal, res Resource) bool {
	switch s {
	case ScopeAny:
		return true
	case ScopeSubtree:
		return p.Org.Path != "" && res.OrgPath != "" && strings.HasPrefix(res.OrgPath, p.Org.Path)
	case ScopeSelf:
		return p.SubjectID != 0 && res.SubjectID == p.SubjectID
	}
	return false
}

// actionLabels name the actions for the role matrix.
var actionLabels = map[Action]string{
	PublicRead: "读取公开信息", RecordRead: "读取本单位信息（含非公开、个人信息）", RecordSubmit: "报送信息",
	RecordChange: "更正、撤销信息", SharedRead: "读取共享信息", ObjectionReview: "处理异议", RepairReview: "审核信用修复", CommitmentManage: "登记信用承诺、认定履行状态",
	CheckRun: "信用核查", CheckRead: "查看核查存档", SupervisionManage: "分级分类监管、双随机抽查（事项、检查人员、任务、抽取）", InspectionRecord: "录入双随机抽查结果", AuditRead: "查阅审计日志", QueryLogRead: "查看查询记录",
	SubjectFile: "查看本主体完整档案", OrgManage: "管理机构", UserManage: "管理账户", ClientManage: "管理接口密钥",
	ReturnManage: "处理退回信息（查看原始行、撤回）", LedgerManage: "维护报送台账（应报数量、决定台账）", QualityRead: "查看报送质量统计和退回信息",
	IntegrityRead: "查看政务诚信监测结果", IntegrityFeedback: "反馈政务诚信问题处理结果", IntegrityManage: "管理政务诚信监测（评分、监测范围）",
	MarketOperate: "运维网上中介服务超市（入驻核查、采购信息审查、清退）", MarketBuy: "作为项目业主选取中介机构、确认结果、评价服务", MarketCatalog: "维护本行业中介服务事项清单",
	ExchangeRead: "查看平台间信息交换（对端平台、延迟、计数、错误）",
	RegistryRead: "查看重错码案件和重错码率、纠正率", RegistryCorrect: "重错码纠错（更正、注销、删除代码，申请白名单）", RegistryDecide: "审核白名单申请（省代码中心）",
	HiringRequest: "提出招录人选信用记录查询申请、转报异议", HiringAnswer: "办理招录人选信用记录查询（核查、复审、答复、异议复核）",
	GrantManage: "授权金融机构查询本企业信息（信易贷）", LenderRead: "在企业授权范围内查询企业信息、反馈融资结果（信易贷）",
	ComplaintHandle: "处理投诉举报（分办、办理，查看举报人身份）", ArticleEdit: "编辑政策法规、信用动态和专项治理栏目",
}

// Matrix renders the role table as a Markdown table: a row per action, a
// column per role, each cell the scope granted ("" when none).
func (r *Roles) Matrix() string {
	var b strings.Builder
	b.WriteString("| action |")
	for _, role := range r.list {
		b.WriteString(" " + role.Name + " (" + role.Label + ") |")
	}
	b.WriteString(" API client scope |\n|---|")
	for range r.list {
		b.WriteString("---|")
	}
	b.WriteString("---|\n")
	for _, a := range Actions {
		b.WriteString("| `" + string(a) + "` " + actionLabels[a] + " |")
		for _, role := range r.list {
			cell := ""
			for _, g := range role.Grants {
				if g.Action == a {
					cell = string(g.Scope)
				}
			}
			b.WriteString(" " + cell + " |")
		}
		var scopes []string
		for _, c := range r.clients {
			if c.Action == a {
				scopes = append(scopes, "`"+c.Scope+"` ("+string(c.GrantScope)+")")
			}
		}
		b.WriteString(" " + strings.Join(scopes, ", ") + " |\n")
	}
	return b.String()
}

// Reach is how a member of staff stands to a case about a record that a
// department supplied (an objection, a credit repair application): as a
// reviewer of that department, of an organisation above it, or of the
// platform operator (the root).
type Reach struct {
	Department, Above, Platform bool
}

// Reach says how p stands, with the review action a, to a case about
// subject whose record dept supplied; dept nil means the department is
// not in the organisation tree (records imported for a USCC no
// organisation has), and then the operator's reviewers answer for it.
func (z *Authorizer) Reach(p Principal, a Action, dept *Org, subject int64) Reach {
	if !p.Staff() {
		return Reach{}
	}
	root := p.Org.Kind == Operator && z.Can(p, a, Resource{OrgPath: p.Org.Path})
	if dept == nil {
		return Reach{Department: root, Platform: root}
	}
	if !z.Can(p, a, Resource{OrgPath: dept.Path, SubjectID: subject}) {
		return Reach{Platform: root}
	}
	return Reach{Department: p.Org.ID == dept.ID, Above: p.Org.ID != dept.ID, Platform: root}
}
