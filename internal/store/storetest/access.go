package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

func accessTests() []namedTest {
	return []namedTest{
		{"OrgTree", testOrgTree},
		{"Users", testUsers},
		{"TOTPStepOnce", testTOTPStepOnce},
		{"Sessions", testSessions},
		{"APIClients", testAPIClients},
		{"AuditChain", testAuditChain},
		{"AuditAppendOnly", testAuditAppendOnly},
		{"KeyReencryptTOTP", testReencryptTOTP},
	}
}

// tree builds 陕西省 → 西安市 (→ 新城区 → a county department, and a city
// department) and 宝鸡市 → a department.
type tree struct {
	root, prov, cityA, county, deptCounty, deptA, cityB, deptB auth.Org
}

func buildTree(t *testing.T, s store.Store) tree {
	t.Helper()
	ctx := context.Background()
	var tr tree
	var err error
	if tr.root, err = s.RootOrg(ctx, "平台运营机构"); err != nil {
		t.Fatal(err)
	}
	add := func(parent auth.Org, o auth.Org) auth.Org {
		t.Helper()
		o.ParentID = parent.ID
		got, err := s.CreateOrg(ctx, o, auth.AuditEntry{Actor: "system:test", Action: auth.AuditOrgChange, Outcome: "ok"})
		if err != nil {
			t.Fatalf("create %s: %v", o.Name, err)
		}
		return got
	}
	tr.prov = add(tr.root, auth.Org{Kind: auth.Region, Name: "陕西省", Region: "610000"})
	tr.cityA = add(tr.prov, auth.Org{Kind: auth.Region, Name: "西安市", Region: "610100"})
	tr.county = add(tr.cityA, auth.Org{Kind: auth.Region, Name: "新城区", Region: "610102"})
	tr.deptCounty = add(tr.county, auth.Org{Kind: auth.Dept, Name: "新城区市场监督管理局", USCC: USCC("11", "610102", 1)})
	tr.deptA = add(tr.cityA, auth.Org{Kind: auth.Dept, Name: "西安市市场监督管理局", USCC: USCC("11", "610100", 2)})
	tr.cityB = add(tr.prov, auth.Org{Kind: auth.Region, Name: "宝鸡市", Region: "610300"})
	tr.deptB = add(tr.cityB, auth.Org{Kind: auth.Dept, Name: "宝鸡市税务局", USCC: USCC("11", "610300", 3)})
	return tr
}

func orgNames(orgs []auth.Org) []string {
	var out []string
	for _, o := range orgs {
		out = append(out, o.Name)
	}
	return out
}

func testOrgTree(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	tr := buildTree(t, s)
	again, err := s.RootOrg(ctx, "另一个名字")
	if err != nil || again.ID != tr.root.ID || again.Name != "平台运营机构" {
		t.Fatalf("RootOrg twice = %+v, %v", again, err)
	}
	if tr.deptCounty.Path != tr.county.Path+fmt.Sprint(tr.deptCounty.ID)+"/" || tr.root.Path != fmt.Sprintf("/%d/", tr.root.ID) {
		t.Errorf("paths: root %q, county %q, its department %q", tr.root.Path, tr.county.Path, tr.deptCounty.Path)
	}
	if tr.deptA.Region != "610100" {
		t.Errorf("a department takes its region's code: %q", tr.deptA.Region)
	}
	got, err := s.ListOrgs(ctx, tr.cityA.Path)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"西安市", "新城区", "新城区市场监督管理局", "西安市市场监督管理局"}; fmt.Sprint(orgNames(got)) != fmt.Sprint(want) {
		t.Errorf("ListOrgs(西安市) = %v, want %v", orgNames(got), want)
	}
	all, _ := s.ListOrgs(ctx, "")
	if len(all) != 8 {
		t.Errorf("ListOrgs(\"\") = %d organisations, want 8", len(all))
	}
	found, err := s.FindOrgByUSCC(ctx, tr.deptB.USCC)
	if err != nil || found.ID != tr.deptB.ID {
		t.Errorf("FindOrgByUSCC = %+v, %v", found, err)
	}
	_, err = s.CreateOrg(ctx, auth.Org{ParentID: tr.deptA.ID, Kind: auth.Dept, Name: "科室", USCC: USCC("11", "610100", 9)}, auth.AuditEntry{Action: auth.AuditOrgChange})
	if !errors.Is(err, store.ErrInvalid) {
		t.Errorf("an organisation below a department: %v, want ErrInvalid", err)
	}
	_, err = s.CreateOrg(ctx, auth.Org{ParentID: tr.cityB.ID, Kind: auth.Dept, Name: "同码部门", USCC: tr.deptA.USCC}, auth.AuditEntry{Action: auth.AuditOrgChange})
	if !errors.Is(err, store.ErrExists) {
		t.Errorf("a second department with one USCC: %v, want ErrExists", err)
	}
	_, err = s.CreateOrg(ctx, auth.Org{ParentID: 99999, Kind: auth.Region, Name: "无", Region: "610200"}, auth.AuditEntry{Action: auth.AuditOrgChange})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing parent: %v, want ErrNotFound", err)
	}
	if err := s.SetOrgDisabled(ctx, tr.cityA.ID, true, auth.AuditEntry{Actor: "system:test", Action: auth.AuditOrgChange}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		o    auth.Org
		want bool
	}{{tr.cityA, true}, {tr.deptCounty, true}, {tr.deptA, true}, {tr.prov, false}, {tr.deptB, false}} {
		got, err := s.GetOrg(ctx, c.o.ID)
		if err != nil || got.Disabled != c.want {
			t.Errorf("%s disabled = %v (%v), want %v", c.o.Name, got.Disabled, err, c.want)
		}
	}
	if err := s.SetOrgDisabled(ctx, tr.root.ID, true, auth.AuditEntry{Action: auth.AuditOrgChange}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("disabling the operator: %v, want refused", err)
	}
	entries, err := s.ListAudit(ctx, store.AuditFilter{Actions: []string{auth.AuditOrgChange}, Limit: 100})
	if err != nil || len(entries) != 8 || entries[0].Target != fmt.Sprintf("org:%d", tr.cityA.ID) {
		t.Errorf("audit of organisation changes: %d entries (%v), newest %+v", len(entries), err, entries)
	}
}

func testUsers(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	tr := buildTree(t, s)
	audit := auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange, Outcome: "ok"}
	now := time.Now().UTC().Truncate(time.Second)
	a, err := s.CreateUser(ctx, auth.User{Login: "clerk.a", Name: "张三", OrgID: tr.deptA.ID, Roles: []string{"clerk", "reviewer"},
		PasswordHash: auth.HashPassword("correct horse battery"), PasswordSet: now}, audit)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, auth.User{Login: "clerk.a", OrgID: tr.deptB.ID, Roles: []string{"clerk"}}, audit); !errors.Is(err, store.ErrExists) {
		t.Errorf("a taken login: %v, want ErrExists", err)
	}
	if _, err := s.CreateUser(ctx, auth.User{Login: "clerk.b", OrgID: tr.deptB.ID, Roles: []string{"clerk"}, OIDCSubject: "https://sso|b"}, audit); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, auth.User{Login: "firm.x", Roles: []string{"subject"}, SubjectID: 42}, audit); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetUserByLogin(ctx, "clerk.a")
	if err != nil || got.ID != a.ID || got.Name != "张三" || fmt.Sprint(got.Roles) != "[clerk reviewer]" || got.OrgID != tr.deptA.ID ||
		!auth.VerifyPassword(got.PasswordHash, "correct horse battery") || !got.PasswordSet.Equal(now) || got.Disabled {
		t.Fatalf("GetUserByLogin = %+v, %v", got, err)
	}
	got.Failed, got.LockedUntil, got.TOTPEnc, got.Disabled = 3, now.Add(time.Minute), []byte{1, 2, 3}, true
	if err := s.UpdateUser(ctx, got, nil); err != nil {
		t.Fatal(err)
	}
	again, _ := s.GetUser(ctx, a.ID)
	if again.Failed != 3 || !again.LockedUntil.Equal(now.Add(time.Minute)) || string(again.TOTPEnc) != "\x01\x02\x03" || !again.Disabled {
		t.Errorf("after UpdateUser: %+v", again)
	}
	if u, err := s.GetUserByOIDC(ctx, "https://sso|b"); err != nil || u.Login != "clerk.b" {
		t.Errorf("GetUserByOIDC = %+v, %v", u, err)
	}
	if _, err := s.GetUserByLogin(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing login: %v", err)
	}
	logins := func(under string) string {
		us, err := s.ListUsers(ctx, under)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range us {
			out = append(out, u.Login)
		}
		return fmt.Sprint(out)
	}
	if got := logins(tr.cityA.Path); got != "[clerk.a]" {
		t.Errorf("users under 西安市 = %s", got)
	}
	if got := logins(tr.root.Path); got != "[clerk.a clerk.b firm.x]" {
		t.Errorf("users under the operator = %s", got)
	}
	n, _ := s.ListAudit(ctx, store.AuditFilter{Actions: []string{auth.AuditUserChange}})
	if len(n) != 3 {
		t.Errorf("%d audit entries for 3 accounts created (a refused one leaves none)", len(n))
	}
}

// testTOTPStepOnce: a TOTP step is accepted once per account and only
// after the last one; of concurrent uses of one step exactly one wins.
func testTOTPStepOnce(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	tr := buildTree(t, s)
	audit := auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange, Outcome: "ok"}
	a, err := s.CreateUser(ctx, auth.User{Login: "totp.a", OrgID: tr.deptA.ID, Roles: []string{"clerk"}}, audit)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateUser(ctx, auth.User{Login: "totp.b", OrgID: tr.deptA.ID, Roles: []string{"clerk"}}, audit)
	if err != nil {
		t.Fatal(err)
	}
	step := time.Now().Unix() / 30
	for _, c := range []struct {
		user, step int64
		want       bool
	}{
		{a.ID, step, true},
		{a.ID, step, false},     // the same code again
		{a.ID, step - 1, false}, // an older code
		{b.ID, step, true},      // another account's use is its own
		{a.ID, step + 1, true},
		{a.ID, step, false},
		{a.ID + b.ID + 100, step + 5, false}, // no such account
	} {
		if got, err := s.UseTOTPStep(ctx, c.user, c.step); err != nil || got != c.want {
			t.Errorf("UseTOTPStep(user %d, step %+d) = %v, %v; want %v", c.user, c.step-step, got, err, c.want)
		}
	}
	// Concurrent sign-ins with the same code: one wins.
	const n = 8
	var wins int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.UseTOTPStep(ctx, b.ID, step+2)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d of %d concurrent uses of one step won, want 1", wins, n)
	}
	// Writing the account does not reset the step.
	u, _ := s.GetUser(ctx, b.ID)
	u.Name = "改名"
	if err := s.UpdateUser(ctx, u, nil); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.UseTOTPStep(ctx, b.ID, step+2); ok {
		t.Error("a used step accepted after UpdateUser")
	}
}

func testSessions(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	now := time.Now().UTC().Truncate(time.Microsecond)
	tok := auth.NewToken(32)
	ss := auth.Session{TokenHash: auth.TokenHash(tok), UserID: 7, CSRF: "c1", Pending: true, Created: now, LastSeen: now, Expires: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, ss); err != nil {
		t.Fatal(err)
	}
	old := auth.Session{TokenHash: auth.TokenHash("old"), UserID: 8, CSRF: "c", Created: now.Add(-2 * time.Hour), LastSeen: now.Add(-2 * time.Hour), Expires: now.Add(-time.Hour)}
	if err := s.CreateSession(ctx, old); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSession(ctx, auth.TokenHash(tok))
	if err != nil || got.UserID != 7 || got.CSRF != "c1" || !got.Pending || !got.Expires.Equal(ss.Expires) {
		t.Fatalf("GetSession = %+v, %v", got, err)
	}
	got.Pending, got.CSRF, got.LastSeen = false, "c2", now.Add(time.Minute)
	if err := s.UpdateSession(ctx, got); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetSession(ctx, auth.TokenHash(tok))
	if got.Pending || got.CSRF != "c2" || !got.LastSeen.Equal(now.Add(time.Minute)) {
		t.Errorf("after UpdateSession: %+v", got)
	}
	if err := s.DeleteSession(ctx, []byte("none")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, old.TokenHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an expired session survives a sign-out: %v", err)
	}
	if err := s.DeleteUserSessions(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, auth.TokenHash(tok)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session after DeleteUserSessions: %v", err)
	}
}

func testAPIClients(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	tr := buildTree(t, s)
	audit := auth.AuditEntry{Actor: "system:test", Action: auth.AuditClientChange, Outcome: "ok"}
	prefix, secret, _ := auth.NewAPIKey()
	c, err := s.CreateClient(ctx, auth.APIClient{OrgID: tr.deptA.ID, Name: "行政处罚系统", Scopes: []string{"records:submit:cf", "checks:run"},
		Prefix: prefix, SecretSum: auth.TokenHash(secret)}, audit)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetClientByPrefix(ctx, prefix)
	if err != nil || got.ID != c.ID || !got.Matches(secret) || fmt.Sprint(got.Scopes) != "[records:submit:cf checks:run]" || got.Revoked {
		t.Fatalf("GetClientByPrefix = %+v, %v", got, err)
	}
	p2, s2, _ := auth.NewAPIKey()
	got.Prefix, got.SecretSum, got.Rotated = p2, auth.TokenHash(s2), time.Now()
	if err := s.UpdateClient(ctx, got, audit); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetClientByPrefix(ctx, prefix); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the old key still finds the client after rotation: %v", err)
	}
	if err := s.TouchClient(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetClient(ctx, c.ID)
	if got.LastUsed.IsZero() || got.Rotated.IsZero() || !got.Matches(s2) {
		t.Errorf("after rotate and use: %+v", got)
	}
	if _, err := s.CreateClient(ctx, auth.APIClient{OrgID: tr.deptB.ID, Name: "税务系统", Scopes: []string{"shared:read"}, Prefix: p2, SecretSum: []byte{1}}, audit); !errors.Is(err, store.ErrExists) {
		t.Errorf("a taken prefix: %v, want ErrExists", err)
	}
	if list, _ := s.ListClients(ctx, tr.cityB.Path); len(list) != 0 {
		t.Errorf("宝鸡市 sees %d clients of 西安市", len(list))
	}
	if list, _ := s.ListClients(ctx, tr.cityA.Path); len(list) != 1 {
		t.Errorf("西安市 sees %d of its clients, want 1", len(list))
	}
}

// verifyAudit checks the chain through the port and returns its length.
func verifyAudit(t *testing.T, s store.Store) (int64, error) {
	t.Helper()
	v := &auth.ChainVerifier{MAC: Keys().ChainMAC}
	err := s.ScanAudit(context.Background(), v.Next)
	return v.Count, err
}

func testAuditChain(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for g := 0; g < 10; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				_, err := s.Audit(ctx, auth.AuditEntry{Actor: fmt.Sprintf("user:%d:u%d", g, g), OrgID: int64(g), Action: auth.AuditRecordRead,
					Target: fmt.Sprintf("record:%d", i), SubjectID: int64(i % 3), Purpose: "办件 " + fmt.Sprint(i), Outcome: "ok", Detail: "1 条"})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n, err := verifyAudit(t, s)
	if err != nil || n != 200 {
		t.Fatalf("verify after 200 concurrent appends: %d entries, %v", n, err)
	}
	page, err := s.ListAudit(ctx, store.AuditFilter{SubjectID: 1, Limit: 10})
	if err != nil || len(page) != 10 || page[0].Seq <= page[9].Seq {
		t.Fatalf("ListAudit by subject: %d entries, %v", len(page), err)
	}
	next, _ := s.ListAudit(ctx, store.AuditFilter{SubjectID: 1, Before: page[9].Seq, Limit: 1000})
	total := len(page) + len(next)
	for _, e := range append(page, next...) {
		if e.SubjectID != 1 {
			t.Fatalf("entry about subject %d in subject 1's history", e.SubjectID)
		}
	}
	if total != 70 {
		t.Errorf("subject 1 has %d entries, want 70", total)
	}
}

func testAuditAppendOnly(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Store
	for i := 0; i < 5; i++ {
		if _, err := s.Audit(ctx, auth.AuditEntry{Actor: "user:1:a", Action: auth.AuditCheck, Target: fmt.Sprint(i), Purpose: "采购项目 2026-17", Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Exec(ctx, `UPDATE audit_log SET purpose = '无' WHERE seq = 3`); err == nil {
		t.Error("UPDATE of the audit trail was allowed")
	}
	if err := h.Exec(ctx, `DELETE FROM audit_log WHERE seq = 3`); err == nil {
		t.Error("DELETE from the audit trail was allowed")
	}
	if n, err := verifyAudit(t, s); err != nil || n != 5 {
		t.Fatalf("intact trail: %d, %v", n, err)
	}
	// Someone with the database's owner rights drops the guard and edits.
	drop := map[string][]string{
		"sqlite":   {`DROP TRIGGER audit_log_no_update`},
		"postgres": {`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`},
	}[s.Dialect()]
	for _, q := range drop {
		if err := h.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Exec(ctx, `UPDATE audit_log SET purpose = '无' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	if _, err := verifyAudit(t, s); err == nil || !strings.Contains(err.Error(), "entry 3") {
		t.Errorf("an edited entry is not found: %v", err)
	}
}

// testReencryptTOTP: a second factor's secret is personal data under the
// data key, so a re-encryption reaches it too.
func testReencryptTOTP(t *testing.T, h Harness) {
	ctx := context.Background()
	k := mustLoadKeys(t, h.Store, legacyMaster)
	u, err := h.Store.CreateUser(ctx, auth.User{Login: "totp.user", Roles: []string{"admin"}, TOTPEnc: k.Encrypt("JBSWY3DPEHPK3PXP")},
		auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange})
	if err != nil {
		t.Fatal(err)
	}
	k2, err := store.RotateKeys(ctx, keyStore(t, h.Store), k, masterKey(3), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Reencrypt(ctx, keyStore(t, h.Store), k2, store.ReencryptOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := h.Store.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	k3 := mustLoadKeys(t, h.Store, masterKey(3))
	if secret, err := k3.Decrypt(got.TOTPEnc); err != nil || secret != "JBSWY3DPEHPK3PXP" || got.TOTPEnc[0] != 2 {
		t.Errorf("TOTP secret after re-encryption: key id %d, %q, %v", got.TOTPEnc[0], secret, err)
	}
}
