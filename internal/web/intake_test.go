package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// intakeEnv is a server with a department, its API key and a key of
// another department.
type intakeEnv struct {
	srv           *httptest.Server
	dept          auth.Org
	key, otherKey string
	xkOnlyKey     string
	store         store.Store
}

func newIntakeServer(t *testing.T) intakeEnv {
	t.Helper()
	ctx := context.Background()
	s := openTestStore(t)
	im := &ingest.Importer{Store: s, Catalog: catalog.Default(), Calendar: calendar.Default(), Hash: storetest.Keys().Hash}
	h, err := New(Options{Store: s, SiteName: "测试", Importer: im, Authorizer: &auth.Authorizer{Roles: auth.DefaultRoles()}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env := intakeEnv{srv: srv, store: s}
	root, _ := s.RootOrg(ctx, "运营")
	e := auth.AuditEntry{Actor: "system:test", Action: auth.AuditOrgChange}
	region, err := s.CreateOrg(ctx, auth.Org{ParentID: root.ID, Kind: auth.Region, Name: "陕西省", Region: "610000"}, e)
	if err != nil {
		t.Fatal(err)
	}
	if env.dept, err = s.CreateOrg(ctx, auth.Org{ParentID: region.ID, Kind: auth.Dept, Name: "省市场监管局", USCC: penaltyDept}, e); err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateOrg(ctx, auth.Org{ParentID: region.ID, Kind: auth.Dept, Name: "省税务局", USCC: storetest.USCC("11", "610000", 77)}, e)
	if err != nil {
		t.Fatal(err)
	}
	newKey := func(org auth.Org, scopes ...string) string {
		prefix, secret, key := auth.NewAPIKey()
		if _, err := s.CreateClient(ctx, auth.APIClient{OrgID: org.ID, Name: org.Name, Scopes: scopes, Prefix: prefix, SecretSum: auth.TokenHash(secret)}, e); err != nil {
			t.Fatal(err)
		}
		return key
	}
	env.key = newKey(env.dept, "records:submit")
	env.xkOnlyKey = newKey(env.dept, "records:submit:xk")
	env.otherKey = newKey(other, "records:submit")
	return env
}

// penaltyDept is the department the test penalties come from.
var penaltyDept = storetest.USCC("11", "610000", 42)

// penaltyObjects returns n valid 行政处罚 records keyed by exchange code.
func penaltyObjects(t *testing.T, n int) []map[string]any {
	k, _ := catalog.Default().Kind("cf")
	var out []map[string]any
	demo.Records(k, demo.RecordOptions{Seed: 11, Rows: n}, func(row []string) error {
		o := map[string]any{}
		for i, f := range k.Fields {
			if row[i] != "" {
				o[f.Code] = row[i]
			}
		}
		o["CF_SJLYDM"] = penaltyDept
		out = append(out, o)
		return nil
	})
	return out
}

func post(t *testing.T, url, key string, body any) (int, RecordsResult, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r RecordsResult
	json.Unmarshal(raw, &r)
	return resp.StatusCode, r, string(raw)
}

func TestPostRecords(t *testing.T) {
	t.Parallel()
	env := newIntakeServer(t)
	srv := env.srv
	recs := penaltyObjects(t, 5)
	recs[1]["CF_XDR_SHXYM"] = "91350100M000100Y4Z"
	recs[3]["CF_NR_FK"] = 0.25 // a JSON number is accepted
	delete(recs[4], "CF_WSH")
	code, r, raw := post(t, srv.URL+"/api/v1/records", env.key, map[string]any{"kind": "cf", "records": recs})
	if code != 200 {
		t.Fatalf("status %d: %s", code, raw)
	}
	if r.Rows != 5 || r.Accepted != 3 || len(r.Results) != 5 {
		t.Fatalf("result %s", raw)
	}
	want := []string{"created", "rejected", "created", "created", "rejected"}
	for i, res := range r.Results {
		if res.Row != i+1 || res.Status != want[i] || (res.Status == "created") != (res.ID > 0) {
			t.Errorf("result %d: %+v, want %s", i, res, want[i])
		}
	}
	if len(r.Rejected) != 2 || r.Rejected[0].Row != 2 || r.Rejected[0].Code != "CF_XDR_SHXYM" || !strings.Contains(r.Rejected[0].Reason, "校验码") ||
		r.Rejected[1].Row != 5 || r.Rejected[1].Code != "CF_WSH" {
		t.Errorf("rejected %+v", r.Rejected)
	}
	// Sent again: nothing new.
	_, r2, raw2 := post(t, srv.URL+"/api/v1/records", env.key, map[string]any{"kind": "cf", "records": recs})
	if r2.Accepted != 0 || r2.Unchanged != 3 {
		t.Fatalf("second post %s", raw2)
	}
	// Statistics see the three records and the two rejected rows twice.
	resp, err := http.Get(srv.URL + "/api/v1/stats/intake?kind=cf")
	if err != nil {
		t.Fatal(err)
	}
	var stats struct {
		Rows []struct{ Received, Rejected int }
	}
	json.NewDecoder(resp.Body).Decode(&stats)
	resp.Body.Close()
	var received, rejected int
	for _, s := range stats.Rows {
		received += s.Received
		rejected += s.Rejected
	}
	if received != 3 || rejected != 4 {
		t.Fatalf("stats %+v", stats)
	}

	for _, bad := range []struct {
		body   any
		status int
		has    string
	}{
		{map[string]any{"kind": "zz", "records": recs}, 422, "未知的信息类别"},
		{map[string]any{"kind": "cf", "records": []any{}}, 422, ""},
		{map[string]any{"kind": "cf", "records": []any{map[string]any{"CF_WSH": []int{1}}}}, 422, "字符串或数字"},
		{map[string]any{"kind": "cf", "records": []any{map[string]any{"名称": "x"}}}, 422, "缺少必填列"},
	} {
		code, _, raw := post(t, srv.URL+"/api/v1/records", env.key, bad.body)
		if code != bad.status || !strings.Contains(raw, bad.has) {
			t.Errorf("%v: %d %s", bad.body, code, raw)
		}
	}
}

func TestPostRecordsNeedsKey(t *testing.T) {
	t.Parallel()
	env := newIntakeServer(t)
	url := env.srv.URL + "/api/v1/records"
	body := map[string]any{"kind": "cf", "records": penaltyObjects(t, 2)}
	for _, c := range []struct {
		name, key string
		status    int
		has       string
	}{
		{"no key", "", 401, "接口密钥"},
		{"malformed key", "xyk_nonsense", 401, "接口密钥无效"},
		{"wrong secret", env.key[:len(env.key)-4] + "AAAA", 401, "接口密钥无效"},
		{"key limited to licences", env.xkOnlyKey, 403, "无权报送"},
	} {
		code, _, raw := post(t, url, c.key, body)
		if code != c.status || !strings.Contains(raw, c.has) {
			t.Errorf("%s: %d %s", c.name, code, raw)
		}
	}
	// Another department's key files nothing of this department's: every
	// row is rejected for its source department.
	code, r, raw := post(t, url, env.otherKey, body)
	if code != 200 || r.Accepted != 0 || len(r.Rejected) != 2 || r.Rejected[0].Code != "CF_SJLYDM" {
		t.Errorf("another department's key: %d %s", code, raw)
	}
	code, _, raw = post(t, url, env.otherKey, map[string]any{"kind": "cf", "dept": penaltyDept, "records": penaltyObjects(t, 1)})
	if code != 403 || !strings.Contains(raw, "不能代其他部门报送") {
		t.Errorf("claiming another department: %d %s", code, raw)
	}
	// A revoked key stops at once.
	c, err := env.store.GetClientByPrefix(context.Background(), strings.Split(env.key, "_")[1])
	if err != nil {
		t.Fatal(err)
	}
	c.Revoked = true
	if err := env.store.UpdateClient(context.Background(), c, auth.AuditEntry{Actor: "system:test", Action: auth.AuditClientChange}); err != nil {
		t.Fatal(err)
	}
	if code, _, raw := post(t, url, env.key, body); code != 401 {
		t.Errorf("revoked key: %d %s", code, raw)
	}
	// Every batch that went in is in the audit trail, with its department.
	entries, _ := env.store.ListAudit(context.Background(), store.AuditFilter{Actions: []string{auth.AuditRecordSubmit}})
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Actor, "client:") || !strings.Contains(entries[0].Detail, "退回 2") {
		t.Errorf("audit of submissions: %+v", entries)
	}
}

// TestAPIKeyRateLimit: each key has its own bucket; over it the answer is
// 429 with Retry-After, and another key is not affected.
func TestAPIKeyRateLimit(t *testing.T) {
	t.Parallel()
	env := newIntakeServer(t)
	h, err := New(Options{Store: env.store, SiteName: "测试", Authorizer: &auth.Authorizer{Roles: auth.DefaultRoles()}, APIRate: 0.01, APIBurst: 2})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(key string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/stats/intake", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := 0; i < 2; i++ {
		if resp := get(env.key); resp.StatusCode != 200 {
			t.Fatalf("request %d within the burst: %d", i+1, resp.StatusCode)
		}
	}
	resp := get(env.key)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := get(env.otherKey); resp.StatusCode != 200 {
		t.Errorf("another key is limited too: %d", resp.StatusCode)
	}
}
