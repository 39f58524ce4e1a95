package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// The organisation tree of the matrix test:
//
//	operator /1/
//	  陕西省 /1/2/ (610000)
//	    西安市 /1/2/3/ (610100)
//	      新城区 /1/2/3/4/ (610102)
//	        区市场监管局 /1/2/3/4/6/
//	      市市场监管局 /1/2/3/5/
//	    宝鸡市 /1/2/7/ (610300)
//	      宝鸡市税务局 /1/2/7/8/
var (
	opOrg     = Org{ID: 1, Kind: Operator, Path: "/1/"}
	cityA     = Org{ID: 3, Kind: Region, Region: "610100", Path: "/1/2/3/"}
	deptA     = Org{ID: 5, Kind: Dept, Path: "/1/2/3/5/"}
	deptB     = Org{ID: 8, Kind: Dept, Path: "/1/2/7/8/"}
	deptBDown = Org{ID: 8, Kind: Dept, Path: "/1/2/7/8/", Disabled: true}
)

var principals = map[string]Principal{
	"anonymous":       Anyone,
	"adminOp":         {Kind: UserKind, ID: 1, Org: opOrg, Roles: []string{RoleAdmin}},
	"adminCityA":      {Kind: UserKind, ID: 2, Org: cityA, Roles: []string{RoleAdmin}},
	"clerkA":          {Kind: UserKind, ID: 3, Org: deptA, Roles: []string{RoleClerk}},
	"reviewerA":       {Kind: UserKind, ID: 4, Org: deptA, Roles: []string{RoleReviewer}},
	"checkerA":        {Kind: UserKind, ID: 5, Org: deptA, Roles: []string{RoleChecker}},
	"clerkCityA":      {Kind: UserKind, ID: 6, Org: cityA, Roles: []string{RoleClerk}},
	"auditorOp":       {Kind: UserKind, ID: 7, Org: opOrg, Roles: []string{RoleAuditor}},
	"auditorCityA":    {Kind: UserKind, ID: 8, Org: cityA, Roles: []string{RoleAuditor}},
	"subject42":       {Kind: UserKind, ID: 9, Roles: []string{RoleSubject}, SubjectID: 42},
	"clientCF":        {Kind: Client, ID: 1, Org: deptA, Scopes: []string{"records:submit:cf"}},
	"clientCheck":     {Kind: Client, ID: 2, Org: deptA, Scopes: []string{"checks:run"}},
	"clerkBDown":      {Kind: UserKind, ID: 10, Org: deptBDown, Roles: []string{RoleClerk}},
	"noRoles":         {Kind: UserKind, ID: 11, Org: deptA},
	"officeCityA":     {Kind: UserKind, ID: 12, Org: cityA, Roles: []string{RoleOffice}},
	"clientReturns":   {Kind: Client, ID: 3, Org: deptA, Scopes: []string{"returns:manage", "quality:read"}},
	"monitorOp":       {Kind: UserKind, ID: 14, Org: opOrg, Roles: []string{RoleMonitor}},
	"monitorCityA":    {Kind: UserKind, ID: 15, Org: cityA, Roles: []string{RoleMonitor}},
	"clientInteg":     {Kind: Client, ID: 4, Org: cityA, Scopes: []string{"integrity:read"}},
	"supervisorA":     {Kind: UserKind, ID: 16, Org: deptA, Roles: []string{RoleSupervisor}},
	"inspectorA":      {Kind: UserKind, ID: 17, Org: deptA, Roles: []string{RoleInspector}},
	"supervisorCityA": {Kind: UserKind, ID: 18, Org: cityA, Roles: []string{RoleSupervisor}},
	"clientInspect":   {Kind: Client, ID: 5, Org: deptA, Scopes: []string{"inspections:manage", "inspections:record"}},
	"marketOpCityA":   {Kind: UserKind, ID: 60, Org: cityA, Roles: []string{"market_operator"}},
	"marketOwnerA":    {Kind: UserKind, ID: 61, Org: deptA, Roles: []string{"market_owner"}},
	"marketDeptA":     {Kind: UserKind, ID: 62, Org: deptA, Roles: []string{"market_dept"}},
	"clientMarket":    {Kind: Client, ID: 60, Org: deptA, Scopes: []string{"market:buy"}},
	"registrarA":      {Kind: UserKind, ID: 20, Org: deptA, Roles: []string{RoleRegistrar}},
	"codeCentre":      {Kind: UserKind, ID: 21, Org: cityA, Roles: []string{RoleCodeCentre}},
	"clientRegistry":  {Kind: Client, ID: 20, Org: deptA, Scopes: []string{"registry:read"}},
	"hirerA":          {Kind: UserKind, ID: 50, Org: deptA, Roles: []string{"hirer"}},
	"hiringOffCityA":  {Kind: UserKind, ID: 51, Org: cityA, Roles: []string{"hiringoffice"}},
	"lenderA":         {Kind: UserKind, ID: 52, Org: deptA, Roles: []string{"lender"}},
	"clientLender":    {Kind: Client, ID: 53, Org: deptA, Scopes: []string{"lenders:read", "hiring:request"}},
}

var resources = map[string]Resource{
	"rA":      {OrgPath: "/1/2/3/5/", SubjectID: 42, Kind: "cf"},   // 市市场监管局's penalty about subject 42
	"rAxk":    {OrgPath: "/1/2/3/5/", SubjectID: 42, Kind: "xk"},   // its licence
	"rCounty": {OrgPath: "/1/2/3/4/6/", SubjectID: 43, Kind: "cf"}, // a county department's record
	"rB":      {OrgPath: "/1/2/7/8/", SubjectID: 44, Kind: "cf"},   // another city's department's record
	"rCityA":  {OrgPath: "/1/2/3/"},                                // the city itself (its users, its audit trail)
	"rOp":     {OrgPath: "/1/"},                                    // the operator
	"rNone":   {},                                                  // no owner: public data
}

// allowed lists, by hand, every cell of the matrix that is allowed; the
// test walks every principal × action × resource and expects the rest to
// be denied.
var allowed = func() map[string]bool {
	m := map[string]bool{}
	add := func(p string, actions []Action, res ...string) {
		for _, a := range actions {
			for _, r := range res {
				m[p+" "+string(a)+" "+r] = true
			}
		}
	}
	all := []string{"rA", "rAxk", "rCounty", "rB", "rCityA", "rOp", "rNone"}
	for p := range principals {
		add(p, []Action{PublicRead}, all...) // everyone, even a disabled organisation's member
	}
	manage := []Action{OrgManage, UserManage, ClientManage}
	add("adminOp", manage, "rA", "rAxk", "rCounty", "rB", "rCityA", "rOp")
	add("adminCityA", manage, "rA", "rAxk", "rCounty", "rCityA") // its city and its counties, not 宝鸡, not above
	// The exchange status page: the web layer shows it to the operator's
	// admins only.
	add("adminOp", []Action{ExchangeRead}, "rA", "rAxk", "rCounty", "rB", "rCityA", "rOp")
	add("adminCityA", []Action{ExchangeRead}, "rA", "rAxk", "rCounty", "rCityA")
	add("clerkA", []Action{RecordSubmit, RecordChange, RecordRead, CommitmentManage, ReturnManage, LedgerManage, QualityRead, IntegrityRead, IntegrityFeedback}, "rA", "rAxk")
	add("clerkA", []Action{SharedRead}, all...)
	add("reviewerA", []Action{ObjectionReview, RepairReview, CommitmentManage, RecordRead, RecordChange, IntegrityRead, IntegrityFeedback}, "rA", "rAxk")
	add("reviewerA", []Action{SharedRead}, all...)
	add("checkerA", []Action{CheckRun, CheckRead}, "rA", "rAxk")
	add("checkerA", []Action{SharedRead}, all...)
	add("clerkCityA", []Action{RecordSubmit, RecordChange, RecordRead, CommitmentManage, ReturnManage, LedgerManage, QualityRead, IntegrityRead, IntegrityFeedback},
		"rA", "rAxk", "rCounty", "rCityA")
	add("clerkCityA", []Action{SharedRead}, all...)
	add("auditorOp", []Action{AuditRead}, "rA", "rAxk", "rCounty", "rB", "rCityA", "rOp")
	add("auditorOp", []Action{QueryLogRead}, all...)
	add("auditorCityA", []Action{AuditRead}, "rA", "rAxk", "rCounty", "rCityA")
	add("auditorCityA", []Action{QueryLogRead}, all...)
	add("subject42", []Action{SubjectFile, QueryLogRead, IntegrityRead, IntegrityFeedback}, "rA", "rAxk") // its own, nobody else's
	// The credit office: every body of its organisation and below, the
	// run and the scope; a city's office not another city's nor above.
	add("monitorOp", []Action{IntegrityRead, IntegrityManage}, "rA", "rAxk", "rCounty", "rB", "rCityA", "rOp")
	add("monitorCityA", []Action{IntegrityRead, IntegrityManage}, "rA", "rAxk", "rCounty", "rCityA")
	add("clientInteg", []Action{IntegrityRead}, "rA", "rAxk", "rCounty", "rCityA")
	add("clientCF", []Action{RecordSubmit}, "rA") // only cf, only its department
	add("clientCheck", []Action{CheckRun}, "rA", "rAxk")
	// The credit office of a city: the quality of its departments and
	// counties, their ledgers; no record, no returned row in clear.
	add("officeCityA", []Action{QualityRead, LedgerManage}, "rA", "rAxk", "rCounty", "rCityA")
	add("clientReturns", []Action{ReturnManage, QualityRead}, "rA", "rAxk")
	add("supervisorA", []Action{SupervisionManage, InspectionRecord}, "rA", "rAxk") // its department only
	add("supervisorA", []Action{SharedRead}, all...)
	add("inspectorA", []Action{InspectionRecord}, "rA", "rAxk")
	add("inspectorA", []Action{SharedRead}, all...)
	add("supervisorCityA", []Action{SupervisionManage, InspectionRecord}, "rA", "rAxk", "rCounty", "rCityA") // its city and counties, not 宝鸡
	add("supervisorCityA", []Action{SharedRead}, all...)
	add("clientInspect", []Action{SupervisionManage, InspectionRecord}, "rA", "rAxk")
	// The marketplace: a city's operator its city and counties; an owner
	// and an industry department their own department only.
	add("marketOpCityA", []Action{MarketOperate, CommitmentManage}, "rA", "rAxk", "rCounty", "rCityA")
	add("marketOwnerA", []Action{MarketBuy}, "rA", "rAxk")
	add("marketDeptA", []Action{MarketCatalog}, "rA", "rAxk")
	add("clientMarket", []Action{MarketBuy}, "rA", "rAxk")
	// A registration authority corrects its own code cases (谁赋码、谁纠错);
	// the code centre reads and decides every case, wherever it sits.
	add("registrarA", []Action{RegistryRead, RegistryCorrect, RecordSubmit}, "rA", "rAxk")
	add("codeCentre", []Action{RegistryRead, RegistryCorrect, RegistryDecide}, all...)
	add("clientRegistry", []Action{RegistryRead}, "rA", "rAxk")
	// Hiring checks: the unit asks for its own; the city's credit office
	// answers for its city and counties. A firm grants lenders (its own
	// subject only); a lender reads within its organisation (the grant is
	// checked by package lending).
	add("subject42", []Action{GrantManage}, "rA", "rAxk")
	add("hirerA", []Action{HiringRequest}, "rA", "rAxk")
	add("hiringOffCityA", []Action{HiringAnswer}, "rA", "rAxk", "rCounty", "rCityA")
	add("lenderA", []Action{LenderRead}, "rA", "rAxk")
	add("clientLender", []Action{LenderRead, HiringRequest}, "rA", "rAxk")
	return m
}()

func TestDecideMatrix(t *testing.T) {
	var logged bytes.Buffer
	z := &Authorizer{Roles: DefaultRoles(), Log: slog.New(slog.NewTextHandler(&logged, nil))}
	cells, allows := 0, 0
	for pn, p := range principals {
		for _, a := range Actions {
			for rn, r := range resources {
				key := pn + " " + string(a) + " " + rn
				d := z.Decide(p, a, r)
				cells++
				if d.Allow {
					allows++
				}
				if d.Allow != allowed[key] {
					t.Errorf("%s: allow = %v (by %q, reason %q), want %v", key, d.Allow, d.By, d.Reason, allowed[key])
				}
				if !d.Allow && d.Reason == "" {
					t.Errorf("%s: denied without a reason", key)
				}
			}
		}
	}
	if want := len(principals) * len(Actions) * len(resources); cells != want {
		t.Fatalf("walked %d cells, want %d", cells, want)
	}
	if allows != len(allowed) {
		t.Errorf("%d cells allowed, the table lists %d", allows, len(allowed))
	}
	if n := strings.Count(logged.String(), "access denied"); n != cells-allows {
		t.Errorf("logged %d denials, want %d", n, cells-allows)
	}
	t.Logf("%d cells, %d allowed", cells, allows)
}

func TestDecideReasons(t *testing.T) {
	z := &Authorizer{Roles: DefaultRoles()}
	cases := []struct {
		p    string
		a    Action
		r    string
		want string
	}{
		{"anonymous", RecordRead, "rA", "请先登录"},
		{"clerkA", RecordRead, "rB", "超出本单位数据范围"},
		{"clerkA", AuditRead, "rA", "当前账户无此权限"},
		{"clerkBDown", RecordRead, "rB", "所属单位已停用"},
		{"clientCF", RecordSubmit, "rAxk", "接口密钥无此权限或超出本单位数据范围"},
	}
	for _, c := range cases {
		if d := z.Decide(principals[c.p], c.a, resources[c.r]); d.Allow || d.Reason != c.want {
			t.Errorf("%s %s %s = %+v, want denied with %q", c.p, c.a, c.r, d, c.want)
		}
	}
	if d := z.Decide(Principal{Kind: System, Name: "cli"}, AuditRead, resources["rOp"]); !d.Allow {
		t.Errorf("the operator's own commands are refused: %+v", d)
	}
}

func TestLoadRoles(t *testing.T) {
	bad := map[string]string{
		"unknown action": `{"roles":[{"name":"public","label":"公众","grants":[{"action":"x.y","scope":"any"}]}]}`,
		"unknown scope":  `{"roles":[{"name":"public","label":"公众","grants":[{"action":"public.read","scope":"all"}]}]}`,
		"no public":      `{"roles":[{"name":"admin","label":"管理员","grants":[]}]}`,
		"duplicate":      `{"roles":[{"name":"public","label":"a","grants":[]},{"name":"public","label":"b","grants":[]}]}`,
		"unknown field":  `{"roles":[{"name":"public","label":"a","grant":[]}]}`,
		"client self":    `{"roles":[{"name":"public","label":"a","grants":[]}],"client_scopes":[{"scope":"x","label":"x","action":"check.run","grant_scope":"self"}]}`,
	}
	for name, doc := range bad {
		if _, err := LoadRoles([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	r := DefaultRoles()
	if err := r.CheckRoles([]string{"clerk", "reviewer"}); err != nil {
		t.Error(err)
	}
	for _, bad := range [][]string{nil, {"public"}, {"root"}} {
		if err := r.CheckRoles(bad); err == nil {
			t.Errorf("roles %v accepted", bad)
		}
	}
	kinds := func(k string) bool { return k == "cf" || k == "xk" }
	if err := r.CheckClientScopes([]string{"records:submit", "records:submit:cf", "checks:run", "shared:read"}, kinds); err != nil {
		t.Error(err)
	}
	for _, bad := range [][]string{nil, {"records:submit:zz"}, {"checks:run:cf"}, {"admin"}} {
		if err := r.CheckClientScopes(bad, kinds); err == nil {
			t.Errorf("scopes %v accepted", bad)
		}
	}
}

func TestPassword(t *testing.T) {
	h := HashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if !VerifyPassword(h, "correct horse battery") {
		t.Error("right password refused")
	}
	if VerifyPassword(h, "correct horse batterY") {
		t.Error("wrong password accepted")
	}
	if h == HashPassword("correct horse battery") {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", h[:len(h)-3] + "!!!", strings.Replace(h, "m=19456", "m=99999999", 1)} {
		if VerifyPassword(bad, "correct horse battery") {
			t.Errorf("malformed hash %q verified", bad)
		}
	}
	for pw, ok := range map[string]bool{"short": false, "aaaaaaaaaaaaaa": false, "adminadminadmin": true, "Admin.User.01": false, "信用平台的安全密码一二三": true} {
		err := ValidatePassword("admin.user.01", pw)
		if (err == nil) != ok {
			t.Errorf("ValidatePassword(%q) = %v", pw, err)
		}
	}
	for login, ok := range map[string]bool{"ab": false, "zhang.san@sx": true, "张三": false, "a b c": false} {
		if (ValidateLogin(login) == nil) != ok {
			t.Errorf("ValidateLogin(%q) wrong", login)
		}
	}
}

func TestLockout(t *testing.T) {
	l := Lockout{MaxFailures: 3, LockFor: 10 * time.Minute}
	now := time.Date(2026, 11, 20, 17, 0, 0, 0, time.UTC)
	u := User{}
	for i := 1; i <= 2; i++ {
		u = l.Fail(u, now)
		if l.Locked(u, now) {
			t.Fatalf("locked after %d failures", i)
		}
	}
	u = l.Fail(u, now)
	if !l.Locked(u, now) || !l.Locked(u, now.Add(10*time.Minute-time.Second)) {
		t.Fatal("not locked after 3 failures")
	}
	if l.Locked(u, now.Add(10*time.Minute)) {
		t.Error("still locked when the lock ends")
	}
	if u.Failed != 0 {
		t.Errorf("count after locking = %d, want 0 (a fresh allowance once the lock ends)", u.Failed)
	}
}

func TestSession(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	s := Session{Created: now, LastSeen: now, Expires: now.Add(SessionLifetime)}
	if !s.Live(now.Add(IdleTimeout - time.Second)) {
		t.Error("dead before the idle timeout")
	}
	if s.Live(now.Add(IdleTimeout)) {
		t.Error("alive after the idle timeout")
	}
	s.LastSeen = now.Add(SessionLifetime - time.Minute)
	if s.Live(now.Add(SessionLifetime)) {
		t.Error("alive after its lifetime, though busy")
	}
	s = Session{Pending: true, LastSeen: now, Expires: now.Add(SessionLifetime)}
	if s.Live(now.Add(PendingTimeout)) {
		t.Error("a half-finished sign-in lives past its timeout")
	}
}

func TestAPIKey(t *testing.T) {
	prefix, secret, key := NewAPIKey()
	p, s, ok := ParseAPIKey(key)
	if !ok || p != prefix || s != secret {
		t.Fatalf("ParseAPIKey(%q) = %q %q %v", key, p, s, ok)
	}
	c := APIClient{Prefix: prefix, SecretSum: TokenHash(secret)}
	if !c.Matches(secret) || c.Matches(secret+"x") {
		t.Error("Matches wrong")
	}
	for _, bad := range []string{"", "xyk_", "xyk_abc_def", "Bearer " + key, strings.Replace(key, "xyk_", "xyz_", 1)} {
		if _, _, ok := ParseAPIKey(bad); ok {
			t.Errorf("ParseAPIKey(%q) accepted", bad)
		}
	}
}

func TestTOTP(t *testing.T) {
	secret, url, err := NewTOTP("公共信用信息平台", "clerk01")
	if err != nil || !strings.HasPrefix(url, "otpauth://totp/") {
		t.Fatal(url, err)
	}
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	code, err := TOTPCode(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	if !CheckTOTP(secret, code, now) || !CheckTOTP(secret, code, now.Add(30*time.Second)) {
		t.Error("valid code refused")
	}
	if CheckTOTP(secret, code, now.Add(2*time.Minute)) {
		t.Error("stale code accepted")
	}
	if CheckTOTP(secret, "", now) || CheckTOTP(secret, "12345", now) {
		t.Error("malformed code accepted")
	}
	// The step a code belongs to, whichever of the three it is checked in.
	step := now.Unix() / 30
	for _, at := range []time.Duration{-30 * time.Second, 0, 29 * time.Second, 30 * time.Second} {
		if got, ok := TOTPStep(secret, " "+code+" ", now.Add(at)); !ok || got != step {
			t.Errorf("TOTPStep at %v = %d, %v; want %d", at, got, ok, step)
		}
	}
	next, _ := TOTPCode(secret, now.Add(30*time.Second))
	if got, ok := TOTPStep(secret, next, now); !ok || got != step+1 {
		t.Errorf("the next step's code: %d, %v", got, ok)
	}
	if _, ok := TOTPStep(secret, code, now.Add(61*time.Second)); ok {
		t.Error("a code two steps old accepted")
	}
}

func testMAC(prev, entry []byte) []byte {
	m := hmac.New(sha256.New, []byte("test audit key"))
	m.Write(prev)
	m.Write(entry)
	return m.Sum(nil)
}

func TestAuditChain(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 123456789, time.UTC)
	var chain []AuditEntry
	var prev []byte
	for i := int64(1); i <= 5; i++ {
		e := AuditEntry{Seq: i, At: at.Add(time.Duration(i) * time.Second), Actor: "user:3:clerk01", OrgID: 5,
			Action: AuditRecordRead, Target: fmt.Sprintf("record:%d", i), SubjectID: 42, Purpose: "办件 2026-001", Outcome: "ok"}
		e.Seal(prev, testMAC)
		prev = e.Hash
		chain = append(chain, e)
	}
	verify := func(entries []AuditEntry) error {
		v := &ChainVerifier{MAC: testMAC}
		for _, e := range entries {
			if err := v.Next(e); err != nil {
				return err
			}
		}
		return nil
	}
	if err := verify(chain); err != nil {
		t.Fatal(err)
	}
	// Sub-microsecond parts are not kept by databases and must not matter.
	rounded := append([]AuditEntry(nil), chain...)
	rounded[0].At = rounded[0].At.Truncate(time.Microsecond)
	if err := verify(rounded); err != nil {
		t.Errorf("microsecond rounding breaks the chain: %v", err)
	}
	tampered := map[string]func([]AuditEntry) []AuditEntry{
		"edited purpose": func(c []AuditEntry) []AuditEntry { c[2].Purpose = "无"; return c },
		"edited time":    func(c []AuditEntry) []AuditEntry { c[1].At = c[1].At.Add(time.Hour); return c },
		"removed":        func(c []AuditEntry) []AuditEntry { return append(c[:2], c[3:]...) },
		"reordered":      func(c []AuditEntry) []AuditEntry { c[1], c[2] = c[2], c[1]; return c },
		"forged hash": func(c []AuditEntry) []AuditEntry {
			c[4].Outcome = "denied"
			c[4].Hash = sha256.New().Sum(append(c[4].Prev, c[4].Canonical()...))
			return c
		},
	}
	for name, f := range tampered {
		if err := verify(f(append([]AuditEntry(nil), chain...))); err == nil {
			t.Errorf("%s: not detected", name)
		}
	}
}

func TestOrgRules(t *testing.T) {
	prov := Org{ID: 2, Kind: Region, Region: "610000", Path: "/1/2/"}
	if err := ValidateChild(prov, Org{Kind: Region, Name: "西安市", Region: "610100"}); err != nil {
		t.Error(err)
	}
	if err := ValidateChild(prov, Org{Kind: Region, Name: "成都市", Region: "510100"}); err == nil {
		t.Error("a city of another province accepted")
	}
	if err := ValidateChild(cityA, Org{Kind: Region, Name: "宝鸡市渭滨区", Region: "610302"}); err == nil {
		t.Error("a county of another city accepted")
	}
	if err := ValidateChild(deptA, Org{Kind: Dept, Name: "科室", USCC: "11610100MB0000000X"}); err == nil {
		t.Error("an organisation below a department accepted")
	}
	if err := ValidateChild(cityA, Org{Kind: Dept, Name: "市场监管局", USCC: "123"}); err == nil {
		t.Error("a department with a bad USCC accepted")
	}
	if err := ValidateChild(cityA, Org{Kind: Dept, Name: "市场\u202E局管监", USCC: "11610100MB0000000X"}); err == nil || !strings.Contains(err.Error(), "U+202E") {
		t.Errorf("a name with a direction override: %v", err)
	}
	if got := prov.ChildPath(3); got != "/1/2/3/" {
		t.Errorf("ChildPath = %q", got)
	}
	if !prov.Contains(cityA) || cityA.Contains(prov) || cityA.Contains(deptB) {
		t.Error("Contains wrong")
	}
}

func TestReach(t *testing.T) {
	z := &Authorizer{Roles: DefaultRoles()}
	reviewer := func(o Org) Principal { return Principal{Kind: UserKind, ID: 9, Org: o, Roles: []string{RoleReviewer}} }
	clerk := Principal{Kind: UserKind, ID: 9, Org: deptA, Roles: []string{RoleClerk}}
	subject := Principal{Kind: UserKind, ID: 9, SubjectID: 42, Roles: []string{RoleSubject}}
	cases := []struct {
		name string
		p    Principal
		dept *Org
		want Reach
	}{
		{"the department's reviewer", reviewer(deptA), &deptA, Reach{Department: true}},
		{"a reviewer of the city above", reviewer(cityA), &deptA, Reach{Above: true}},
		{"the operator's reviewer", reviewer(opOrg), &deptA, Reach{Above: true, Platform: true}},
		{"another department's reviewer", reviewer(deptB), &deptA, Reach{}},
		{"a reviewer of a disabled department", reviewer(deptBDown), &deptBDown, Reach{}},
		{"a clerk", clerk, &deptA, Reach{}},
		{"a subject user", subject, &deptA, Reach{}},
		{"not in the tree: the operator answers", reviewer(opOrg), nil, Reach{Department: true, Platform: true}},
		{"not in the tree: a city does not", reviewer(cityA), nil, Reach{}},
	}
	for _, c := range cases {
		if got := z.Reach(c.p, ObjectionReview, c.dept, 42); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestCheckpoint(t *testing.T) {
	mac := func(msg []byte) []byte { return testMAC([]byte("checkpoint"), msg) }
	other := func(msg []byte) []byte { return testMAC([]byte("another key"), msg) }
	at := time.Date(2026, 12, 5, 1, 2, 3, 0, time.UTC)
	e := func(seq int64, hash string) AuditEntry { return AuditEntry{Seq: seq, Hash: []byte(hash)} }
	cp := NewCheckpoint(e(10, "h10"), at, mac)
	if cp.Seq != 10 || cp.Hash != "683130" || !cp.At.Equal(at) || !cp.Signed(mac) || cp.Signed(other) {
		t.Fatalf("checkpoint %+v", cp)
	}
	for _, edit := range []func(*Checkpoint){
		func(c *Checkpoint) { c.Seq = 9 },
		func(c *Checkpoint) { c.Hash = "683139" },
		func(c *Checkpoint) { c.At = c.At.Add(time.Second) },
		func(c *Checkpoint) { c.MAC = "zz" },
	} {
		c := cp
		edit(&c)
		if c.Signed(mac) {
			t.Errorf("an edited checkpoint %+v is signed", c)
		}
	}
	for _, c := range []struct {
		name   string
		head   AuditEntry
		at     AuditEntry
		found  bool
		want   string // "" when it matches
		wantZH string
	}{
		{"same head", e(10, "h10"), e(10, "h10"), true, "", ""},
		{"gone on", e(15, "h15"), e(10, "h10"), true, "", ""},
		{"newest deleted", e(7, "h7"), AuditEntry{}, false, "audit entries 8 to 10 are missing", "审计日志缺少第 8 至第 10 条"},
		{"all deleted", AuditEntry{}, AuditEntry{}, false, "audit entries 1 to 10 are missing", "数据库中最新的是第 0 条"},
		{"rewritten", e(12, "x12"), e(10, "x10"), true, "audit entry 10 differs", "审计日志第 10 条与检查点"},
		{"hole at the anchor", e(12, "h12"), AuditEntry{}, false, "audit entry 10 is missing", "审计日志缺少第 10 条"},
	} {
		err := cp.Check(c.head, c.at, c.found)
		var ce *CheckpointError
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (!errors.Is(err, ErrCheckpoint) || !errors.As(err, &ce) || !strings.Contains(ce.EN, c.want) || !strings.Contains(ce.ZH, c.wantZH)):
			t.Errorf("%s: %v, want %q / %q", c.name, err, c.want, c.wantZH)
		}
	}
}
