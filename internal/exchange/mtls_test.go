package exchange

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/testpki"
)

// TestPullOverMutualTLS pulls a feed over mutual TLS without an API key:
// the feed finds the peer by its client certificate and seals personal
// fields under the connection's exported keying material; the puller,
// with its certificate alone, opens them and ends with the source's
// records (ID numbers included). Each way it can fail is named: no
// certificate configured, a certificate the peer has not registered, one
// it does not ask for, a server certificate not trusted, and sealed
// fields opened with another connection's secret.
func TestPullOverMutualTLS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := open(t, 1), open(t, 2)
	importInto(t, a, penalties(t, 300, nil), ingest.Options{})

	ca := testpki.NewCA(t, "交换测试 CA")
	mine, stranger := ca.Client(t, "prov"), ca.Client(t, "stranger")
	foreign := testpki.NewCA(t, "其他 CA")
	up, err := a.s.PutPeer(ctx, store.Peer{Name: "prov", Role: store.PeerUpper, Personal: true, CertSHA256: CertFingerprint(mine.Leaf.Raw)})
	if err != nil || up.CertSHA256 == "" {
		t.Fatalf("peer %+v %v", up, err)
	}
	// The source's feed as web.Server serves it to a certificate.
	f := &Feed{Store: a.s}
	var lastSecret []byte
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := PeerCert(r.TLS)
		if c == nil {
			http.Error(w, "未认证", http.StatusUnauthorized)
			return
		}
		p, err := a.s.PeerByCert(r.Context(), CertFingerprint(c.Raw))
		if err != nil {
			http.Error(w, "此客户端证书不属于已登记的对端平台", http.StatusForbidden)
			return
		}
		secret, err := ConnSecret(r.TLS)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		lastSecret = secret
		since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		page, err := f.Page(r.Context(), p, secret, Query{Since: since, Limit: limit})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(page)
	}))
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{ca.Server(t, "source").TLS},
		ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: ca.Pool()}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)

	down, err := b.s.PutPeer(ctx, store.Peer{Name: "city", Role: store.PeerLower, Region: "61", URL: srv.URL, Personal: true})
	if err != nil {
		t.Fatal(err)
	}
	puller := func(cfg *tls.Config) *Puller {
		return &Puller{Store: b.s, Importer: b.im, Log: slog.New(slog.DiscardHandler), Limit: 70, TLS: cfg}
	}
	with := func(c *testpki.Cert, roots *testpki.CA) *tls.Config {
		cfg := &tls.Config{RootCAs: roots.Pool()}
		if c != nil {
			cfg.Certificates = []tls.Certificate{c.TLS}
		}
		return cfg
	}
	for _, bad := range []struct {
		name string
		pl   *Puller
		want string
	}{
		{"no certificate configured", puller(nil), "未配置交换证书"},
		{"roots but no certificate", puller(with(nil, ca)), "未配置交换证书"},
		{"a certificate of another CA", puller(with(&testpki.Cert{TLS: foreign.Client(t, "prov").TLS}, ca)), "没有收到或未验证本平台的证书"},
		{"a certificate not registered", puller(with(&stranger, ca)), "对端未登记此证书"},
		{"a server not trusted", puller(with(&mine, foreign)), "证书不受信任"},
	} {
		if _, err := bad.pl.CatchUp(ctx, down); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want %q", bad.name, err, bad.want)
		}
	}
	if got := export(t, b); len(got) != 0 {
		t.Fatalf("%d records applied by failed pulls", len(got))
	}

	pl := puller(with(&mine, ca))
	if _, err := pl.CatchUp(ctx, down); err != nil {
		t.Fatal(err)
	}
	want := export(t, a)
	persons := 0
	for _, l := range want {
		if strings.Contains(l, "subject_id_number") {
			persons++
		}
	}
	if got := export(t, b); !slices.Equal(got, want) || persons == 0 {
		t.Fatalf("after the pull over mutual TLS: %d records, the source's %d (%d of persons)", len(got), len(want), persons)
	}

	// Sealed under one connection's secret, a page does not open with
	// another's (nor with a key's).
	page, err := f.Page(ctx, up, lastSecret, Query{Limit: 300})
	if err != nil {
		t.Fatal(err)
	}
	other := append([]byte(nil), lastSecret...)
	other[0] ^= 1
	sealed := 0
	for _, e := range page.Entries {
		if e.Sealed == "" {
			continue
		}
		sealed++
		if _, err := Unseal(lastSecret, e.Seq, e.Sealed); err != nil {
			t.Fatalf("entry %d: %v", e.Seq, err)
		}
		if _, err := Unseal(other, e.Seq, e.Sealed); err == nil {
			t.Fatalf("entry %d opens under another secret", e.Seq)
		}
	}
	if sealed == 0 {
		t.Fatal("no sealed entries")
	}
}
