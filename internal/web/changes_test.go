package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// call sends a JSON request with an API key ("" for none) and returns the
// status and body.
func (env checkEnv) call(t *testing.T, method, path, key string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, env.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

type feedPage struct {
	Changes []ChangeItem `json:"changes"`
	Next    int64        `json:"next"`
}

func (env checkEnv) changes(t *testing.T, key string, since int64, limit int) feedPage {
	t.Helper()
	code, raw := env.call(t, "GET", fmt.Sprintf("/api/v1/changes?since=%d&limit=%d", since, limit), key, nil)
	if code != 200 {
		t.Fatalf("changes since %d: %d %s", since, code, raw)
	}
	var p feedPage
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// apiKey makes an API key of org with scopes.
func (env checkEnv) apiKey(t *testing.T, org auth.Org, scopes ...string) string {
	t.Helper()
	prefix, secret, key := auth.NewAPIKey()
	if _, err := env.s.CreateClient(context.Background(), auth.APIClient{OrgID: org.ID, Name: "审批系统", Scopes: scopes, Prefix: prefix,
		SecretSum: auth.TokenHash(secret)}, auth.AuditEntry{Actor: "system:test", Action: auth.AuditClientChange}); err != nil {
		t.Fatal(err)
	}
	return key
}

func TestChangeFeed(t *testing.T) {
	t.Parallel()
	env := newCheckEnv(t)
	ctx := context.Background()
	baojiKey := env.apiKey(t, env.deptBaoji, "checks:run")

	// Refusals.
	for _, c := range []struct {
		method, path, key string
		body              any
		status            int
	}{
		{"GET", "/api/v1/changes", "", nil, 401},
		{"GET", "/api/v1/watchlist", "", nil, 401},
		{"POST", "/api/v1/watchlist", "", map[string]any{"region": "6101"}, 401},
		{"DELETE", "/api/v1/watchlist/1", "", nil, 401},
		{"GET", "/api/v1/changes", env.clerkKey, nil, 403},
		{"POST", "/api/v1/watchlist", env.clerkKey, map[string]any{"region": "6101"}, 403},
		{"POST", "/api/v1/watchlist", env.key, map[string]any{}, 422},
		{"POST", "/api/v1/watchlist", env.key, map[string]any{"region": "6101", "subjects": []string{env.debtor}}, 422},
		{"POST", "/api/v1/watchlist", env.key, map[string]any{"region": "6"}, 422},
		{"GET", "/api/v1/changes?limit=1001", env.key, nil, 422},
	} {
		if code, raw := env.call(t, c.method, c.path, c.key, c.body); code != c.status {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, code, raw, c.status)
		}
	}

	// Subscribe to the debtor by code (in lower case, and twice), with
	// codes that name nobody, and to 宝鸡 by region.
	unknown := storetest.USCC("91", "610113", 999)
	code, raw := env.call(t, "POST", "/api/v1/watchlist", env.key, map[string]any{"subjects": []string{strings.ToLower(env.debtor), env.debtor, unknown, "123"}})
	var added struct {
		Added   int           `json:"added"`
		Unknown []UnknownCode `json:"unknown"`
	}
	json.Unmarshal(raw, &added)
	if code != 200 || added.Added != 1 || len(added.Unknown) != 2 || added.Unknown[0].Code != "123" || added.Unknown[1].Code != unknown ||
		added.Unknown[1].Reason != "平台未收录该主体" {
		t.Fatalf("subscribe by codes: %d %s", code, raw)
	}
	for i, want := range []int{1, 0} {
		code, raw := env.call(t, "POST", "/api/v1/watchlist", env.key, map[string]any{"region": "6103"})
		json.Unmarshal(raw, &added)
		if code != 200 || added.Added != want {
			t.Errorf("subscribe by region (%d): %d %s", i, code, raw)
		}
	}
	code, raw = env.call(t, "GET", "/api/v1/watchlist", env.key, nil)
	var wl struct {
		Watches []WatchItem `json:"watches"`
	}
	json.Unmarshal(raw, &wl)
	if code != 200 || len(wl.Watches) != 2 || wl.Watches[0].Subject == nil || wl.Watches[0].Subject.Name != "西安老赖商贸有限公司" ||
		wl.Watches[0].Subject.USCC != env.debtor || wl.Watches[1].Region != "6103" || wl.Watches[1].Subject != nil {
		t.Fatalf("watchlist: %d %s", code, raw)
	}

	// A new entry in 宝鸡, an entry in 西安 nobody watches, and the
	// court removes the debtor.
	debtor2 := storetest.USCC("91", "610302", 601)
	fileEntries(t, env.im, "sx", penaltyDept, debtorEntry(debtor2, "宝鸡欠款实业有限公司", ""))
	other := debtorEntry(storetest.USCC("91", "610113", 602), "西安无关商贸有限公司", "")
	other["decision_no"] = "（2025）陕0113执999号"
	fileEntries(t, env.im, "sx", penaltyDept, other)
	fileEntries(t, env.im, "sx", penaltyDept, debtorEntry(env.debtor, "西安老赖商贸有限公司", calendar.Today().String()))

	p := env.changes(t, env.key, 0, 100)
	var got []string
	for _, c := range p.Changes {
		got = append(got, c.Type+":"+c.Subject.Name)
	}
	want := []string{"list_entry:西安老赖商贸有限公司", "list_entry:宝鸡欠款实业有限公司", "list_exit:西安老赖商贸有限公司"}
	if !slices.Equal(got, want) {
		t.Fatalf("feed %v, want %v", got, want)
	}
	c := p.Changes[0]
	if c.Kind != "sx" || c.ListType != "失信被执行人" || c.Subject.USCC != env.debtor || c.Subject.Region != "610113" || c.RecordID == 0 ||
		c.At.IsZero() || !strings.Contains(c.Summary, "列入“失信被执行人”") || !strings.Contains(c.Summary, "（2025）陕0113执123号") {
		t.Errorf("entry event %+v", c)
	}
	if c := p.Changes[2]; c.RecordID != p.Changes[0].RecordID || !strings.Contains(c.Summary, "不再列入") || c.Seq != p.Next {
		t.Errorf("exit event %+v, next %d", c, p.Next)
	}
	// Resuming from next: nothing repeated; limit 1 walks the same events.
	if again := env.changes(t, env.key, p.Next, 100); len(again.Changes) != 0 || again.Next != p.Next {
		t.Errorf("resumed: %+v", again)
	}
	var walked []ChangeItem
	var cursor int64
	pages := 0
	for range 20 {
		page := env.changes(t, env.key, cursor, 1)
		walked = append(walked, page.Changes...)
		if len(page.Changes) > 0 {
			pages++
		}
		if page.Next == cursor {
			break
		}
		cursor = page.Next
	}
	if len(walked) != 3 || walked[0].Seq != p.Changes[0].Seq || walked[1].Seq != p.Changes[1].Seq || walked[2].Seq != p.Changes[2].Seq {
		t.Errorf("walked %+v", walked)
	}

	// Another organisation sees none of these watches, cannot remove them,
	// and its empty feed still advances.
	code, raw = env.call(t, "GET", "/api/v1/watchlist", baojiKey, nil)
	if code != 200 || !strings.Contains(string(raw), `"watches":[]`) {
		t.Errorf("other organisation's watchlist: %d %s", code, raw)
	}
	if code, _ := env.call(t, "DELETE", fmt.Sprintf("/api/v1/watchlist/%d", wl.Watches[0].ID), baojiKey, nil); code != 404 {
		t.Errorf("other organisation removes a watch: %d", code)
	}
	if bp := env.changes(t, baojiKey, 0, 100); len(bp.Changes) != 0 || bp.Next < p.Next {
		t.Errorf("other organisation's feed: %+v", bp)
	}

	// One audit entry per page that returned events, none for empty ones.
	entries, err := env.s.ListAudit(ctx, store.AuditFilter{Actions: []string{auth.AuditWatch}})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1+pages {
		t.Fatalf("%d audit entries, want %d", len(entries), 1+pages)
	}
	first := entries[len(entries)-1] // newest first
	if first.Target != fmt.Sprintf("changes:%d-%d", p.Changes[0].Seq, p.Changes[2].Seq) || first.OrgID != env.deptXian.ID ||
		first.SubjectID != 0 || !strings.HasPrefix(first.Actor, "client:") {
		t.Errorf("audit entry %+v", first)
	}
	if actionLabels[auth.AuditWatch] == "" {
		t.Error("no label for the audit action")
	}

	// A signed-in checker of the department shares its watchlist.
	if _, err := env.s.CreateUser(ctx, auth.User{Login: "checker.xian", OrgID: env.deptXian.ID, Roles: []string{"checker"},
		PasswordHash: testPasswordHash()}, auth.AuditEntry{Actor: "system:test", Action: auth.AuditUserChange}); err != nil {
		t.Fatal(err)
	}
	ch := env.browser(t)
	ch.base = env.srv.URL
	ch.signIn("checker.xian")
	if code, page := ch.get("/api/v1/watchlist"); code != 200 || !strings.Contains(page, "西安老赖商贸有限公司") {
		t.Errorf("checker's watchlist: %d %s", code, page)
	}

	// Unsubscribe from the region.
	if code, raw := env.call(t, "DELETE", fmt.Sprintf("/api/v1/watchlist/%d", wl.Watches[1].ID), env.key, nil); code != 204 {
		t.Fatalf("delete: %d %s", code, raw)
	}
	code, raw = env.call(t, "GET", "/api/v1/watchlist", env.key, nil)
	json.Unmarshal(raw, &wl)
	if code != 200 || len(wl.Watches) != 1 {
		t.Errorf("after delete: %s", raw)
	}
	if code, _ := env.call(t, "DELETE", fmt.Sprintf("/api/v1/watchlist/%d", wl.Watches[0].ID+100), env.key, nil); code != 404 {
		t.Errorf("delete unknown: %d", code)
	}
}

// TestListKindsInStep keeps store.ListKinds (which records raise list
// events) equal to the kinds the lists catalogue files entries as.
func TestListKindsInStep(t *testing.T) {
	t.Parallel()
	l, err := lists.Default(catalog.Default())
	if err != nil {
		t.Fatal(err)
	}
	got := l.Kinds()
	slices.Sort(got)
	want := slices.Clone(store.ListKinds)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("lists are filed as kinds %v, store.ListKinds is %v", got, want)
	}
}
