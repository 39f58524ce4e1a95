package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/testpki"
)

// startHTTPS runs serve with p's flags (HTTPS: p.serve has the TLS flags)
// and waits for /healthz over TLS, without a client certificate.
func startHTTPS(t *testing.T, p *platform, c *http.Client) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", fmt.Sprintf("127.0.0.1:%d", p.port), "--exchange-every", "200ms",
		"--exchange-page", "150"}, append(p.serve, p.flags...)...)...)
	p.logs = newSyncBuffer()
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.cmd = cmd
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := c.Get(httpsURL(p) + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no /healthz over https in time; logs:\n%s", p.name, p.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func httpsURL(p *platform) string { return fmt.Sprintf("https://127.0.0.1:%d", p.port) }

// TestExchangeMutualTLS runs a province and a city (real binaries on
// loopback, each serving HTTPS and asking for client certificates) that
// exchange over mutual TLS only: no API key is given to either side. The
// province's pull is first refused (the city has not registered its
// certificate: the status says so); once registered, the city's records
// reach the province and the province's records of the city's territory
// reach the city, ID numbers included (sealed under each connection's
// exported keying material); a browser without a certificate still gets
// the site.
func TestExchangeMutualTLS(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			nA, nB, nRest := exchangeFiles(t, dir, 500)
			ca := testpki.NewCA(t, "陕西省信用信息交换测试 CA")
			prov := &platform{name: "province", flags: flags(t), port: freePort(t)}
			city := &platform{name: "city", flags: flags(t), port: freePort(t)}
			clientCert := map[string]string{}
			for _, p := range []*platform{prov, city} {
				sc, sk, caFile := ca.Server(t, p.name).Files(t, dir, p.name+"-server")
				cc, ck, _ := ca.Client(t, p.name).Files(t, dir, p.name+"-client")
				clientCert[p.name] = cc
				p.serve = []string{"--tls-cert", sc, "--tls-key", sk, "--tls-client-ca", caFile,
					"--exchange-cert", cc, "--exchange-key", ck, "--exchange-ca", caFile}
			}
			city.run(t, "import", "--kind", "cf", "--file", filepath.Join(dir, "a.csv"))
			prov.run(t, "import", "--kind", "cf", "--file", filepath.Join(dir, "p.csv"))
			// The city of 宝鸡's territory (6103) holds 西安's records of a.csv
			// too: it reports them all up; the province sends it 6103's.
			out := prov.run(t, "peer", "add", "--name", "city", "--role", "lower", "--region", "6103", "--url", httpsURL(city),
				"--client-cert", clientCert["city"], "--personal")
			if !strings.Contains(out, "client certificate sha256:") {
				t.Fatalf("peer add: %s", out)
			}
			// The city registers the province without its certificate first.
			city.run(t, "peer", "add", "--name", "province", "--role", "upper", "--region", "61", "--url", httpsURL(prov), "--personal")
			browser := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
			startHTTPS(t, prov, browser)
			startHTTPS(t, city, browser)
			if resp, err := browser.Get(httpsURL(prov) + "/"); err != nil || resp.StatusCode != 200 {
				t.Fatalf("the portal over https without a certificate: %v %v", resp, err)
			} else {
				resp.Body.Close()
			}
			// A certificate the city does not know: refused, and said so.
			deadline := time.Now().Add(60 * time.Second)
			for {
				show := prov.run(t, "peer", "show", "city")
				if strings.Contains(show, "对端未登记此证书") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the province's status of the city does not say its certificate is not registered:\n%s\nlogs:\n%s", show, prov.logs)
				}
				time.Sleep(200 * time.Millisecond)
			}
			if got := len(prov.dump(t)); got != nB+nRest {
				t.Fatalf("province received %d records before the city registered its certificate", got-nB-nRest)
			}
			out = city.run(t, "peer", "add", "--name", "province", "--role", "upper", "--region", "61", "--client-cert", clientCert["province"], "--personal")
			if show := city.run(t, "peer", "show", "province"); !strings.Contains(show, "client cert: sha256:") || !strings.Contains(show, "url: "+httpsURL(prov)) {
				t.Fatalf("peer show: %s (%s)", show, out)
			}
			plats := []*platform{prov, city}
			want := map[string]int{"province": nA + nB + nRest, "city": nA + nB}
			deadline = time.Now().Add(3 * time.Minute)
			var last map[string][]string
			for {
				cur := map[string][]string{}
				ok := true
				for _, p := range plats {
					cur[p.name] = p.dump(t)
					ok = ok && len(cur[p.name]) == want[p.name]
				}
				if ok && last != nil && equalDumps(last, cur) && caughtUp(t, plats) {
					last = cur
					break
				}
				last = cur
				if time.Now().After(deadline) {
					for _, p := range plats {
						t.Logf("%s: %d records (want %d); peers:\n%s", p.name, len(cur[p.name]), want[p.name], p.run(t, "peer", "list"))
					}
					t.Fatalf("platforms did not catch up; province logs:\n%s\ncity logs:\n%s", prov.logs, city.logs)
				}
				time.Sleep(time.Second)
			}
			// Each side holds the other's records as the other does, with
			// the ID numbers (export writes them in clear).
			k, _ := catalog.Default().Kind("cf")
			var idCodes []string
			for _, f := range k.Fields {
				if f.Type == catalog.TypeIDNumber {
					idCodes = append(idCodes, f.Code)
				}
			}
			region := func(lines []string, prefix string) (out []string, ids int) {
				for _, l := range lines {
					var m map[string]string
					if err := json.Unmarshal([]byte(l), &m); err != nil {
						t.Fatal(err)
					}
					if !strings.HasPrefix(subjectRegion(m["CF_XDR_SHXYM"], m["CF_XDR_GSZC"]), prefix) {
						continue
					}
					out = append(out, l)
					for _, c := range idCodes {
						if m[c] != "" {
							ids++
							break
						}
					}
				}
				return out, ids
			}
			for _, prefix := range []string{"6101", "6103"} {
				p, ids := region(last["province"], prefix)
				c, _ := region(last["city"], prefix)
				if !slices.Equal(p, c) || len(p) == 0 || ids == 0 {
					t.Errorf("records of %s: the province holds %d, the city %d, equal %v; %d with ID numbers", prefix, len(p), len(c), slices.Equal(p, c), ids)
				}
			}
			for _, p := range plats {
				if show := p.run(t, "peer", "list"); strings.Contains(show, "对端") {
					t.Errorf("%s: an error is still shown:\n%s", p.name, show)
				}
			}
		})
	}
}
