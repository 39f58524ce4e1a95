package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/store"
)

func TestExchangeFeedAndPage(t *testing.T) {
	t.Parallel()
	env := newCheckEnv(t)
	ctx := context.Background()
	prefix, secret, peerKey := auth.NewAPIKey()
	cl, err := env.s.CreateClient(ctx, auth.APIClient{OrgID: env.root.ID, Name: "对端平台 prov", Prefix: prefix, SecretSum: auth.TokenHash(secret)},
		auth.AuditEntry{Actor: "system:test", Action: auth.AuditClientChange})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.s.PutPeer(ctx, store.Peer{Name: "prov", Title: "陕西省公共信用信息平台", Role: store.PeerUpper, ClientID: cl.ID}); err != nil {
		t.Fatal(err)
	}
	get := func(path, key string) (int, string) {
		code, b := env.call(t, "GET", path, key, nil)
		return code, string(b)
	}
	if code, _ := get("/api/v1/feed", ""); code != http.StatusUnauthorized {
		t.Errorf("feed without a key: %d", code)
	}
	deptKey := env.accessKey(t, env.deptXian, "records:submit")
	if code, body := get("/api/v1/feed", deptKey); code != http.StatusForbidden || !strings.Contains(body, "对端平台") {
		t.Errorf("feed with a department's key: %d %s", code, body)
	}
	code, body := get("/api/v1/feed?since=0&limit=10", peerKey)
	if code != http.StatusOK {
		t.Fatalf("feed: %d %s", code, body)
	}
	var page exchange.Page
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatal(err)
	}
	page.Index()
	// The first penalty: its version, then its revocation; the lists.
	if len(page.Entries) != 4 || page.Entries[0].Op != store.OpVersion || page.Entries[1].Op != store.OpState ||
		page.Entries[1].State != "revoked" || page.Next != page.Head || page.Entries[0].Field("decision_no") == "" {
		t.Fatalf("page %+v", page)
	}
	if code, body := get("/api/v1/feed?kind=xk", peerKey); code != 200 || !strings.Contains(body, `"entries":[]`) {
		t.Errorf("feed of another kind: %d %s", code, body)
	}
	if p, _ := env.s.GetPeer(ctx, "prov"); p.Sent != 4 || p.LastSent.IsZero() {
		t.Errorf("sent counted %+v", p)
	}

	admin := env.browser(t)
	admin.signIn("admin")
	code, body = admin.get("/exchange")
	if code != 200 || !strings.Contains(body, "陕西省公共信用信息平台") || !strings.Contains(body, "上级平台") || !strings.Contains(body, `id="nav-exchange"`) {
		t.Fatalf("status page %d:\n%s", code, body)
	}
	for _, login := range []string{"admin.xian", "clerk.xian"} {
		b := env.browser(t)
		b.signIn(login)
		if code, body := b.get("/exchange"); code != http.StatusForbidden || strings.Contains(body, `id="nav-exchange"`) {
			t.Errorf("%s: status page %d", login, code)
		}
	}
	if code, _ := env.browser(t).get("/exchange"); code != http.StatusSeeOther && code != http.StatusUnauthorized {
		t.Errorf("status page without signing in: %d", code)
	}
}
