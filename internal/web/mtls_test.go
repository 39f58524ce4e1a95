package web

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/testpki"
)

// TestFeedMutualTLS serves the API over TLS asking for client
// certificates (verified when given): a peer registered by its
// certificate reads the feed without a key, and the personal fields it
// receives open under its connection's exported keying material and not
// under another connection's; a certificate of the same CA that is not a
// peer's gets 403, none 401, one of another CA no connection; the
// certificate is no credential for operations that do not list it.
func TestFeedMutualTLS(t *testing.T) {
	t.Parallel()
	env := newCheckEnv(t)
	ctx := context.Background()
	// Penalties of persons: their ID numbers travel sealed.
	k, _ := catalog.Default().Kind("cf")
	var header []string
	for _, f := range k.Fields {
		header = append(header, f.Key)
	}
	var rows [][]string
	demo.Records(k, demo.RecordOptions{Seed: 22, Rows: 60}, func(row []string) error {
		if row[k.FieldIndex("subject_id_number")] != "" && len(rows) < 3 {
			row = slices.Clone(row)
			row[k.FieldIndex("source_dept_uscc")] = penaltyDept
			rows = append(rows, row)
		}
		return nil
	})
	if len(rows) == 0 {
		t.Fatal("no penalty of a person in the demo rows")
	}
	if res, err := env.im.Import(ctx, ingest.NewRowsTable(header, rows), ingest.Options{Kind: "cf", Dept: penaltyDept, Channel: "api"}); err != nil ||
		res.Accepted != len(rows) {
		t.Fatalf("import %+v %v", res, err)
	}

	ca := testpki.NewCA(t, "交换测试 CA")
	peerCert, stranger := ca.Client(t, "prov"), ca.Client(t, "stranger")
	foreign := testpki.NewCA(t, "其他 CA").Client(t, "prov")
	if _, err := env.s.PutPeer(ctx, store.Peer{Name: "prov", Title: "陕西省公共信用信息平台", Role: store.PeerUpper, Personal: true,
		CertSHA256: exchange.CertFingerprint(peerCert.Leaf.Raw)}); err != nil {
		t.Fatal(err)
	}
	h, err := New(env.opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{ca.Server(t, "xinyong").TLS},
		ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: ca.Pool()}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	client := func(c *testpki.Cert) *http.Client {
		cfg := &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}
		if c != nil {
			cfg.Certificates = []tls.Certificate{c.TLS}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	}
	get := func(c *http.Client, path string) (*http.Response, string, error) {
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b), nil
	}

	if resp, body, err := get(client(nil), "/api/v1/feed"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("feed without a key or certificate: %v %v %s", resp, err, body)
	}
	if resp, body, err := get(client(&stranger), "/api/v1/feed"); err != nil || resp.StatusCode != http.StatusForbidden ||
		!strings.Contains(body, "对端平台") {
		t.Errorf("feed with a certificate not a peer's: %v %v %s", resp, err, body)
	}
	// A certificate of another CA: not offered (the server names its CA),
	// so 401; forced on the server, the handshake fails.
	if resp, _, err := get(client(&foreign), "/api/v1/feed"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("feed with a certificate of another CA: %v %v", resp, err)
	}
	forced := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(),
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &foreign.TLS, nil }}}}
	if _, _, err := get(forced, "/api/v1/feed"); err == nil || !strings.Contains(err.Error(), "tls") {
		t.Errorf("a certificate of another CA was accepted: %v", err)
	}
	// Browsers and the public need no certificate.
	if resp, _, err := get(client(nil), "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("healthz without a certificate: %v %v", resp, err)
	}
	// The certificate is a credential for the feed only.
	if resp, _, err := get(client(&peerCert), "/api/v1/changes"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("changes with the peer's certificate: %v %v", resp, err)
	}

	read := func() (exchange.Page, []byte) {
		t.Helper()
		resp, body, err := get(client(&peerCert), "/api/v1/feed?since=0&limit=100")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("feed with the peer's certificate: %v %v %s", resp, err, body)
		}
		var page exchange.Page
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatal(err)
		}
		secret, err := exchange.ConnSecret(resp.TLS)
		if err != nil {
			t.Fatal(err)
		}
		return page, secret
	}
	page, secret := read()
	var sealed []exchange.Entry
	for _, e := range page.Entries {
		if e.Sealed != "" {
			sealed = append(sealed, e)
		}
	}
	if len(page.Entries) < 4+len(rows) || len(sealed) < len(rows) {
		t.Fatalf("page: %d entries, %d sealed", len(page.Entries), len(sealed))
	}
	_, other := read()
	if slices.Equal(secret, other) {
		t.Fatal("two connections export the same keying material")
	}
	for _, e := range sealed {
		m, err := exchange.Unseal(secret, e.Seq, e.Sealed)
		if err != nil || m["subject_id_number"] == "" && len(m) == 0 {
			t.Errorf("entry %d does not open under its connection's secret: %v %v", e.Seq, m, err)
		}
		if _, err := exchange.Unseal(other, e.Seq, e.Sealed); err == nil {
			t.Errorf("entry %d opens under another connection's secret", e.Seq)
		}
		if _, err := exchange.Unseal(exchange.KeySecret(""), e.Seq, e.Sealed); err == nil {
			t.Errorf("entry %d opens without a secret", e.Seq)
		}
	}
	var persons int
	for _, e := range sealed {
		if m, _ := exchange.Unseal(secret, e.Seq, e.Sealed); m["subject_id_number"] != "" {
			persons++
		}
	}
	if persons < len(rows) {
		t.Errorf("%d sealed ID numbers of persons, want %d", persons, len(rows))
	}
	if p, _ := env.s.GetPeer(ctx, "prov"); p.Sent == 0 {
		t.Errorf("sent not counted: %+v", p)
	}

	admin := env.browser(t)
	admin.signIn("admin")
	code, body := admin.get("/exchange")
	if code != 200 || !strings.Contains(body, exchange.ShortFingerprint(exchange.CertFingerprint(peerCert.Leaf.Raw))) || !strings.Contains(body, "客户端证书") {
		t.Fatalf("status page %d:\n%s", code, body)
	}
}
