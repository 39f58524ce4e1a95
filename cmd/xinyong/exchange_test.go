package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// platform is one xinyong of the exchange test: its storage flags, its
// fixed address (so that peers find it again after a restart) and its
// serving process.
type platform struct {
	name  string
	flags []string
	serve []string // serve's own flags
	port  int
	mu    sync.Mutex
	cmd   *exec.Cmd
	logs  *syncBuffer
	kills int
}

func (p *platform) url() string { return fmt.Sprintf("http://127.0.0.1:%d", p.port) }

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// start runs serve and waits for /healthz.
func (p *platform) start(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", fmt.Sprintf("127.0.0.1:%d", p.port), "--exchange-every", "200ms",
		"--exchange-page", "150"}, append(p.serve, p.flags...)...)...)
	if p.logs == nil {
		p.logs = newSyncBuffer()
	}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.cmd = cmd
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		if code, _, err := httpGet(p.url() + "/healthz"); err == nil && code == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no /healthz in time; logs:\n%s", p.name, p.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to end.
func (p *platform) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cmd.Process.Kill()
	p.cmd.Wait()
	p.kills++
}

func (p *platform) run(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runCmd(t, "", nil, append(args, p.flags...)...)
	if code != 0 {
		t.Fatalf("%s: %v: exit %d: %s", p.name, args, code, errs)
	}
	return out
}

var peerKeyRe = regexp.MustCompile(`xyk_\S+`)

// dump is a platform's records of every kind the test sends, with their
// state, version and repair day, one sorted line each.
func (p *platform) dump(t *testing.T) []string {
	var lines []string
	for _, k := range []string{"cf"} {
		out := p.run(t, "export", "--kind", k, "--meta", "--revoked")
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if l != "" {
				lines = append(lines, l)
			}
		}
	}
	sort.Strings(lines)
	return lines
}

// exchangeFiles writes the test's penalties: a.csv, city A's own (subjects
// in 西安 6101), and p.csv, what the province receives from national and
// vertical systems: subjects in 宝鸡 (6103) first, then the rest of the
// province. It returns how many rows each region has.
func exchangeFiles(t *testing.T, dir string, n int) (a, b, rest int) {
	all := filepath.Join(dir, "all.csv")
	writePenalties(t, all, n, false, nil)
	data, err := os.ReadFile(all)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	k, _ := catalog.Default().Kind("cf")
	u, reg := k.FieldIndex("subject_uscc"), k.FieldIndex("subject_reg_no")
	var rowsA, rowsB, rowsRest [][]string
	for _, r := range recs[1:] {
		switch region := subjectRegion(r[u], r[reg]); {
		case strings.HasPrefix(region, "6101"):
			rowsA = append(rowsA, r)
		case strings.HasPrefix(region, "6103"):
			rowsB = append(rowsB, r)
		default:
			rowsRest = append(rowsRest, r)
		}
	}
	write := func(name string, rows [][]string) {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write(recs[0])
		w.WriteAll(rows)
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.csv", rowsA)
	write("p.csv", append(slices.Clone(rowsB), rowsRest...))
	// The corrections: the first row of each file sent again, changed.
	fix := func(rows [][]string) [][]string {
		c := slices.Clone(rows)
		c[0] = slices.Clone(c[0])
		c[0][k.FieldIndex("decision_content")] = "罚款五千元（更正）"
		return c
	}
	write("a2.csv", fix(rowsA))
	write("p2.csv", append(fix(rowsB), rowsRest...))
	return len(rowsA), len(rowsB), len(rowsRest)
}

// subjectRegion is the region the platform gives a subject with these
// codes (catalog.Record.Subject): the USCC's registering authority, else
// the registration number's.
func subjectRegion(uscc, regNo string) string {
	switch {
	case len(uscc) == 18 && uscc != "00000000000000000X":
		return uscc[2:8]
	case len(regNo) == 15:
		return regNo[:6]
	}
	return ""
}

// exchangeRun runs the three platforms through the scenario and returns
// each one's records (dump) once they have all caught up; with chaos, each
// server is killed (SIGKILL) at random moments while records travel and
// started again.
func exchangeRun(t *testing.T, flags func(t *testing.T) []string, chaos bool) map[string][]string {
	dir := t.TempDir()
	nA, nB, nRest := exchangeFiles(t, dir, 1200)
	if nA < 100 || nB < 20 {
		t.Fatalf("test data: %d rows in 6101, %d in 6103", nA, nB)
	}
	// Each platform's own territory: the deciding departments at home there.
	prov := &platform{name: "province", flags: flags(t), port: freePort(t), serve: []string{"--exchange-region", "610000"}}
	cityA := &platform{name: "city-a", flags: flags(t), port: freePort(t), serve: []string{"--exchange-region", "610100"}}
	cityB := &platform{name: "city-b", flags: flags(t), port: freePort(t), serve: []string{"--exchange-region", "610300"}}
	plats := []*platform{prov, cityA, cityB}
	// Each platform's own records, before anyone serves.
	cityA.run(t, "import", "--kind", "cf", "--file", filepath.Join(dir, "a.csv"))
	prov.run(t, "import", "--kind", "cf", "--file", filepath.Join(dir, "p.csv"))
	cityB.run(t, "migrate")
	// City A's department that registers commitments (信用承诺): a
	// promisor new to the registry is a subject without any record, which
	// travels as a subject entry.
	out := cityA.run(t, "org", "add", "--kind", "region", "--name", "西安市", "--region", "610100")
	region := regexp.MustCompile(`created organisation (\d+)`).FindStringSubmatch(out)[1]
	out = cityA.run(t, "org", "add", "--parent", region, "--kind", "dept", "--name", "西安市市场监督管理局", "--uscc", storetest.USCC("11", "610100", 51))
	dept := regexp.MustCompile(`created organisation (\d+)`).FindStringSubmatch(out)[1]
	out = cityA.run(t, "client", "add", "--org", dept, "--name", "告知承诺系统", "--scopes", "commitments:manage")
	commitKey := regexp.MustCompile(`key \(shown once\): (xyk_\S+)`).FindStringSubmatch(out)[1]
	// A repair (信用修复) at city A: the penalised firm applies, the
	// platform's reviewer accepts, the deciding department approves.
	rep := repairCandidates(t, filepath.Join(dir, "a.csv"))
	passwordRe := regexp.MustCompile(`password \(shown once\): (\S+)`)
	out = cityA.run(t, "org", "add", "--parent", region, "--kind", "dept", "--name", rep.authority, "--uscc", rep.authorityUSCC)
	decider := regexp.MustCompile(`created organisation (\d+)`).FindStringSubmatch(out)[1]
	deptPw := passwordRe.FindStringSubmatch(cityA.run(t, "user", "add", "--login", "dept", "--name", "审核员", "--role", "reviewer", "--org", decider))[1]
	rootPw := passwordRe.FindStringSubmatch(cityA.run(t, "user", "add", "--login", "root", "--name", "平台审核员", "--role", "reviewer"))[1]
	shopPw := passwordRe.FindStringSubmatch(cityA.run(t, "user", "add", "--login", "shop", "--name", "企业", "--role", "subject", "--subject", rep.subjectUSCC))[1]
	// The peers: each side gives the other a key to read its feed.
	key := func(out string) string {
		k := peerKeyRe.FindString(out)
		if k == "" {
			t.Fatalf("no key in %q", out)
		}
		return k
	}
	ka := key(cityA.run(t, "peer", "add", "--name", "province", "--role", "upper", "--region", "61", "--personal"))
	kb := key(cityB.run(t, "peer", "add", "--name", "province", "--role", "upper", "--region", "61", "--personal"))
	kpa := key(prov.run(t, "peer", "add", "--name", "city-a", "--role", "lower", "--region", "6101", "--url", cityA.url(), "--key", ka, "--personal"))
	kpb := key(prov.run(t, "peer", "add", "--name", "city-b", "--role", "lower", "--region", "6103", "--url", cityB.url(), "--key", kb, "--personal"))
	cityA.run(t, "peer", "add", "--name", "province", "--role", "upper", "--region", "61", "--url", prov.url(), "--key", kpa, "--personal")
	cityB.run(t, "peer", "add", "--name", "province", "--role", "upper", "--region", "61", "--url", prov.url(), "--key", kpb, "--personal")
	for _, p := range plats {
		p.start(t)
	}
	promisor := storetest.USCC("91", "610113", 5151)
	body, _ := json.Marshal(map[string]any{"kind": "审批替代型", "matter": "申请食品经营许可", "content": "符合许可条件",
		"liability": "撤销许可", "disclosure": "可向社会公开",
		"promisor": map[string]any{"class": "法人及非法人组织", "code": promisor, "name": "只有承诺的西安某餐饮有限公司"}})
	req, _ := http.NewRequest(http.MethodPost, cityA.url()+"/api/v1/commitments", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+commitKey)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("register a commitment at city A: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	repairAt(t, cityA.url(), rep, shopPw, rootPw, deptPw)
	stop := make(chan struct{})
	var chaosDone sync.WaitGroup
	if chaos {
		chaosDone.Add(1)
		go func() {
			defer chaosDone.Done()
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 22))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(time.Duration(100+rng.IntN(700)) * time.Millisecond):
				}
				p := plats[i%len(plats)]
				p.kill()
				p.start(t)
			}
		}()
	}
	// While records travel: a correction at city A, a correction and a
	// revocation at the province of records of 宝鸡's territory.
	time.Sleep(300 * time.Millisecond)
	cityA.run(t, "import", "--kind", "cf", "--file", filepath.Join(dir, "a2.csv"), "--reason", "处罚内容录入错误")
	prov.run(t, "import", "--kind", "cf", "--file", filepath.Join(dir, "p2.csv"), "--reason", "处罚内容录入错误")
	prov.run(t, "record", "revoke", "2", "--reason", "行政复议决定撤销")
	if chaos {
		// Let the killing go on for a while, then stop it.
		time.Sleep(4 * time.Second)
		close(stop)
		chaosDone.Wait()
		for _, p := range plats {
			if p.kills == 0 {
				t.Errorf("%s was never killed", p.name)
			}
		}
	}
	// Wait until every platform holds what it should and nothing moves.
	want := map[string]int{"province": nA + nB + nRest, "city-a": nA, "city-b": nB}
	deadline := time.Now().Add(3 * time.Minute)
	var last map[string][]string
	for {
		cur := map[string][]string{}
		ok := true
		for _, p := range plats {
			cur[p.name] = p.dump(t)
			if len(cur[p.name]) != want[p.name] {
				ok = false
			}
		}
		if ok && last != nil && equalDumps(last, cur) && caughtUp(t, plats) {
			// The promisor, a subject without records, reached the
			// province and not city B.
			if code, file, err := httpGet(prov.url() + "/api/v1/subjects/" + promisor); err != nil || code != 200 ||
				!strings.Contains(file, "只有承诺的西安某餐饮有限公司") {
				t.Errorf("the promisor at the province: %d %v %.300s", code, err, file)
			}
			if code, _, err := httpGet(cityB.url() + "/api/v1/subjects/" + promisor); err != nil || code != 404 {
				t.Errorf("the promisor at city B: %d %v", code, err)
			}
			return cur
		}
		last = cur
		if time.Now().After(deadline) {
			for _, p := range plats {
				t.Logf("%s: %d records (want %d); peers:\n%s", p.name, len(cur[p.name]), want[p.name], p.run(t, "peer", "list"))
			}
			t.Fatalf("platforms did not catch up; province logs:\n%s", prov.logs)
		}
		time.Sleep(time.Second)
	}
}

// caughtUp reports whether every puller's cursor is at its peer's head.
func caughtUp(t *testing.T, plats []*platform) bool {
	for _, p := range plats {
		out := p.run(t, "peer", "list")
		for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			f := strings.Fields(l)
			if len(f) > 5 && f[3] != "" && strings.HasPrefix(f[3], "http") && f[5] != "0" {
				return false
			}
		}
	}
	return true
}

func equalDumps(a, b map[string][]string) bool {
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return len(a) == len(b)
}

// TestExchangeThreePlatforms runs a province and two cities (real
// binaries on loopback, each with its own --exchange-region) on each
// backend: city A's records reach the province; what the province
// receives for 宝鸡's territory reaches city B and not city A; a
// correction, a revocation and a repair (applied for, accepted and
// approved through city A's pages) travel the same way, and so does a
// commitment's new promisor, a subject without records; and
// with every process killed at random moments during the transfer and
// restarted, each platform ends with exactly the records of a clean run.
func TestExchangeThreePlatforms(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clean := exchangeRun(t, flags, false)
			inRegion := func(lines []string, prefix string) []string {
				var out []string
				for _, l := range lines {
					var m map[string]string
					if err := json.Unmarshal([]byte(l), &m); err != nil {
						t.Fatal(err)
					}
					if strings.HasPrefix(subjectRegion(m["CF_XDR_SHXYM"], m["CF_XDR_GSZC"]), prefix) {
						out = append(out, l)
					}
				}
				return out
			}
			p, a, b := clean["province"], clean["city-a"], clean["city-b"]
			if got := inRegion(p, "6101"); !slices.Equal(got, a) {
				t.Errorf("province's records of 西安 (%d) are not city A's (%d)", len(got), len(a))
			}
			if got := inRegion(p, "6103"); !slices.Equal(got, b) {
				t.Errorf("province's records of 宝鸡 (%d) are not city B's (%d)", len(got), len(b))
			}
			if len(inRegion(a, "6103")) != 0 || len(inRegion(b, "6101")) != 0 {
				t.Errorf("a city holds records of the other's territory")
			}
			for name, lines := range map[string][]string{"province": p, "city-a": a, "city-b": b} {
				corrected, revoked, repaired := 0, 0, 0
				for _, l := range lines {
					if strings.Contains(l, "罚款五千元（更正）") && strings.Contains(l, `"_version":"2"`) {
						corrected++
					}
					if strings.Contains(l, `"_state":"revoked"`) {
						revoked++
					}
					if strings.Contains(l, `"_repaired_on":"`+calendar.Today().String()+`"`) {
						repaired++
					}
				}
				want := map[string][3]int{"province": {2, 1, 1}, "city-a": {1, 0, 1}, "city-b": {1, 1, 0}}[name]
				if corrected != want[0] || revoked != want[1] || repaired != want[2] {
					t.Errorf("%s: %d corrected, %d revoked, %d repaired records; want %v", name, corrected, revoked, repaired, want)
				}
			}
			killed := exchangeRun(t, flags, true)
			for _, name := range []string{"province", "city-a", "city-b"} {
				if !slices.Equal(clean[name], killed[name]) {
					t.Errorf("%s after kills differs from the clean run (%d vs %d records)", name, len(killed[name]), len(clean[name]))
				}
			}
		})
	}
}

// TestExportRoundTrip exports every kind the demo fills in the national
// layout, as JSON lines and as CSV, and imports the files into an empty
// platform: it then holds identical records.
func TestExportRoundTrip(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := &platform{name: "source", flags: flags(t)}
			src.run(t, "demo", "--subjects", "300")
			dir := t.TempDir()
			for i, format := range []string{"jsonl", "csv"} {
				dst := &platform{name: "target-" + format, flags: flags(t)}
				dst.run(t, "migrate")
				for _, kind := range []string{"cf", "xk", "sx", "hm"} {
					file := filepath.Join(dir, fmt.Sprintf("%s-%d.%s", kind, i, format))
					src.run(t, "export", "--kind", kind, "--format", format, "--out", file)
					out := dst.run(t, "import", "--kind", kind, "--file", file, "--json")
					if r := decodeImport(t, out); len(r.Rejected) != 0 || r.Accepted == 0 {
						t.Fatalf("%s %s: %+v", format, kind, r)
					}
					want, got := src.run(t, "export", "--kind", kind), dst.run(t, "export", "--kind", kind)
					wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
					sort.Strings(wl)
					sort.Strings(gl)
					if !slices.Equal(wl, gl) {
						t.Fatalf("%s %s: %d records exported, %d after the round trip differ", format, kind, len(wl), len(gl))
					}
					if kind == "cf" && format == "jsonl" && !strings.Contains(want, `"CF_WSH":`) {
						t.Fatalf("export not keyed by exchange codes: %.300s", want)
					}
				}
			}
		})
	}
}

// TestPublicSnapshots takes a day's public snapshot, changes the records
// (a revocation, a correction, new records), takes the next day's, and
// shows that the first day's snapshot plus the delta, as downloaded from
// /api/v1/snapshots and checked against their checksums, is exactly the
// later day's public view.
func TestPublicSnapshots(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p := &platform{name: "platform", flags: flags(t), port: freePort(t)}
			exchangeFiles(t, dir, 300)
			p.run(t, "import", "--kind", "cf", "--file", filepath.Join(dir, "p.csv"))
			d1, d2 := calendar.Today().String(), calendar.Today().AddDays(1).String()
			out := p.run(t, "snapshot", "--day", d1)
			if !strings.Contains(out, "snapshot "+d1+": ") || strings.Contains(out, "snapshot "+d1+": 0 records") || strings.Contains(out, "delta") {
				t.Fatalf("first snapshot: %s", out)
			}
			p.run(t, "import", "--kind", "cf", "--file", filepath.Join(dir, "a.csv"))
			p.run(t, "import", "--kind", "cf", "--file", filepath.Join(dir, "p2.csv"), "--reason", "处罚内容录入错误")
			p.run(t, "record", "revoke", "3", "--reason", "行政复议决定撤销")
			out = p.run(t, "snapshot", "--day", d2)
			if !strings.Contains(out, "delta from "+d1+": ") {
				t.Fatalf("second snapshot: %s", out)
			}
			p.start(t)
			code, body, _ := httpGet(p.url() + "/api/v1/snapshots")
			var list struct {
				Snapshots []struct {
					Day, SHA256, URL string
					Records          int
					Delta            *struct {
						Base, SHA256, URL string
						Added, Removed    int
					}
				}
			}
			if code != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list.Snapshots) != 2 || list.Snapshots[0].Delta == nil {
				t.Fatalf("list %d %s", code, body)
			}
			later, first := list.Snapshots[0], list.Snapshots[1]
			if later.Delta.Added == 0 || later.Delta.Base != first.Day {
				t.Fatalf("delta %+v", later.Delta)
			}
			download := func(url, sha string) []string {
				resp, err := http.Get(p.url() + url)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				raw, _ := io.ReadAll(resp.Body)
				plain, err := exchange.Gunzip(raw)
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("%s: %d %v", url, resp.StatusCode, err)
				}
				h := sha256.Sum256(plain)
				if hex.EncodeToString(h[:]) != sha || resp.Header.Get("X-Checksum-Sha256") != sha {
					t.Fatalf("%s: checksum does not match", url)
				}
				return exchange.SplitLines(plain)
			}
			base := download(first.URL, first.SHA256)
			delta := download(later.Delta.URL, later.Delta.SHA256)
			want := download(later.URL, later.SHA256)
			if got := exchange.Apply(base, delta); !slices.Equal(got, want) || len(want) != later.Records {
				t.Fatalf("snapshot + delta: %d lines, the later snapshot %d", len(got), len(want))
			}
			// Only organisations; the revoked record is gone.
			for _, l := range want {
				if strings.Contains(l, `"kind":"cf"`) && (strings.Contains(l, "个体工商户") || strings.Contains(l, "自然人")) {
					t.Fatalf("snapshot has a record of a person or sole trader: %s", l)
				}
			}
			if code, _, _ := httpGet(p.url() + "/api/v1/snapshots/2020-11-30"); code != 404 {
				t.Errorf("missing snapshot: %d", code)
			}
		})
	}
}

// TestBenchExchange runs the benchmark small: it prints its figures and
// both instances end with the same records.
func TestBenchExchange(t *testing.T) {
	t.Parallel()
	code, out, errs := runCmd(t, "", nil, "bench", "exchange", "--rows", "600", "--lag-seconds", "1", "--rate", "100", "--page", "250", "--json")
	var r benchExchangeReport
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	if !r.Identical || r.RecordsPerSec <= 0 || r.LagRecords != 100 || r.LagMaxSeconds <= 0 || r.Projected1M <= 0 {
		t.Fatalf("report %+v", r)
	}
}

// repairCase is the penalty of city A's file the test repairs.
type repairCase struct {
	subjectUSCC, authority, authorityUSCC string
	decisionNos                           []string // candidates, oldest first: the first that may be repaired is
}

// repairCandidates are city A's penalties of one organisation by one
// deciding department that are 一般 by cf's severity rules (only a fine,
// of 1 to 20 万元, outside the safety domains: repairable after 3 months)
// decided 4 to 10 months ago, so still public; not the first row
// (corrected later in the test).
func repairCandidates(t *testing.T, path string) repairCase {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	k, _ := catalog.Default().Kind("cf")
	col := func(key string) int { return k.FieldIndex(key) }
	from, to := calendar.Today().AddMonths(-10).String(), calendar.Today().AddMonths(-4).String()
	var rc repairCase
	for _, r := range recs[2:] {
		u, a, d := r[col("subject_uscc")], r[col("authority_uscc")], r[col("decision_date")]
		fine, err := strconv.ParseFloat(r[col("fine_amount")], 64)
		domain := r[col("authority")] + r[col("violation_type")]
		if r[col("subject_class")] != "法人及非法人组织" || len(u) != 18 || d < from || d > to || err != nil || fine < 1 || fine > 20 ||
			r[col("penalty_category")] != "罚款" || strings.Contains(domain, "消防") || strings.Contains(domain, "安全生产") ||
			strings.Contains(domain, "应急管理") || strings.Contains(domain, "特种设备") {
			continue
		}
		if rc.authorityUSCC == "" {
			rc.subjectUSCC, rc.authority, rc.authorityUSCC = u, r[col("authority")], a
		}
		if u == rc.subjectUSCC && a == rc.authorityUSCC {
			rc.decisionNos = append(rc.decisionNos, r[col("decision_no")])
		}
	}
	if len(rc.decisionNos) == 0 {
		t.Fatal("no penalty of city A to repair")
	}
	return rc
}

// repairAt repairs the first of the candidates that may be repaired,
// through city A's pages: the firm applies with a proof and the
// commitment, the platform's reviewer accepts, the department approves.
func repairAt(t *testing.T, base string, rc repairCase, shopPw, rootPw, deptPw string) {
	t.Helper()
	var file struct {
		Sections []struct {
			Records []struct {
				Ref        string `json:"ref"`
				DecisionNo string `json:"decision_no"`
			} `json:"records"`
		} `json:"sections"`
	}
	code, body, err := httpGet(base + "/api/v1/subjects/" + rc.subjectUSCC)
	if err != nil || code != 200 || json.Unmarshal([]byte(body), &file) != nil {
		t.Fatalf("the firm's file: %d %v %.300s", code, err, body)
	}
	refs := map[string]string{}
	for _, sec := range file.Sections {
		for _, r := range sec.Records {
			refs[r.DecisionNo] = r.Ref
		}
	}
	shop := signIn(t, base, "shop", shopPw)
	var proof bytes.Buffer
	png.Encode(&proof, image.NewGray(image.Rect(0, 0, 8, 8)))
	for _, no := range rc.decisionNos {
		ref := refs[no]
		if ref == "" {
			continue
		}
		page := "/records/" + ref
		if _, body := shop.get(page); !strings.Contains(body, `id="repair-form"`) {
			continue
		}
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("csrf", shop.csrf(page))
		mw.WriteField("commitment", "accepted")
		fw, _ := mw.CreateFormFile("proofs", "收据.png")
		fw.Write(proof.Bytes())
		mw.Close()
		req, _ := http.NewRequest("POST", base+page+"/repairs", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		code, body, h := shop.do(req)
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/repairs/") {
			t.Fatalf("apply for repair of %s: %d %.500s", no, code, body)
		}
		casePath := h.Get("Location")
		for i, act := range []struct {
			s      *session
			action string
		}{{signIn(t, base, "root", rootPw), "accept"}, {signIn(t, base, "dept", deptPw), "approve"}} {
			code, body := act.s.post(casePath, casePath, url.Values{"rev": {strconv.Itoa(i + 1)}, "action": {act.action}, "note": {"罚款已缴清"}})
			if code != http.StatusSeeOther {
				t.Fatalf("%s the repair: %d %.500s", act.action, code, body)
			}
		}
		return
	}
	t.Fatalf("none of %v may be repaired (refs %v)", rc.decisionNos, refs)
}
