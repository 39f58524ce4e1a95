package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

// fileOut is a credit file of the read API, as far as this test reads it.
type fileOut struct {
	Sections []struct {
		ID      string `json:"id"`
		Records []struct {
			DecisionNo string `json:"decision_no"`
			Publicity  struct {
				Until string `json:"until"`
			} `json:"publicity"`
		} `json:"records"`
	} `json:"sections"`
}

func (f fileOut) penalties() map[string]string {
	out := map[string]string{}
	for _, s := range f.Sections {
		if s.ID == "cf" {
			for _, r := range s.Records {
				out[r.DecisionNo] = r.Publicity.Until
			}
		}
	}
	return out
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	code, body, err := httpGet(u)
	if err != nil || code != 200 {
		t.Fatalf("GET %s: %d %v %.300s", u, code, err, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// pdfText is what pdftotext gives of a PDF, whitespace removed.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext not installed (Debian package poppler-utils)")
		}
		t.Skip("pdftotext not installed")
	}
	f := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-raw", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(out)), "")
}

// TestReportsEndToEnd runs the real binary on each backend with demo data
// (taken in through intake month by month, so with penalties past their
// window): a penalty is in its subject's report while public, not after
// its window, and in the report as of a day inside its window; a person's
// report goes to the person only; xinyong report verify accepts every
// report issued in a run (1,000 on the embedded database) and refuses one
// byte changed, a proof for another entry and a checkpoint signed by
// another key; xinyong report log finds the log whole.
func TestReportsEndToEnd(t *testing.T) {
	t.Parallel()
	for name, flags := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			n := 1000
			if name == "postgres" {
				n = 200
			}
			testReportsEndToEnd(t, flags(t), n)
		})
	}
}

func testReportsEndToEnd(t *testing.T, f []string, issue int) {
	dir := t.TempDir()
	// A person with a penalty of last month, through the import command.
	person := storetest.RIC("610102", "19800101", 5)
	recent := calendar.Today().AddMonths(-1)
	csvFile := filepath.Join(dir, "处罚.csv")
	writePenalties(t, csvFile, 1, false, func(k *catalog.Kind, i int, row []string) {
		set := func(key, v string) { row[k.FieldIndex(key)] = v }
		for _, key := range []string{"subject_uscc", "legal_rep", "legal_rep_id_type", "legal_rep_id_number"} {
			set(key, "")
		}
		set("subject_name", "张伟")
		set("subject_class", "自然人")
		set("subject_id_type", "身份证")
		set("subject_id_number", person)
		set("decision_no", "西市监罚〔2026〕人1号")
		set("decision_date", recent.String())
		set("valid_to", recent.AddMonths(6).String())
		set("penalty_category", "罚款")
		set("fine_amount", "0.1")
	})
	if code, _, errs := runCmd(t, "", nil, append([]string{"demo", "--subjects", "400", "--records", "1500"}, f...)...); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	if code, _, errs := runCmd(t, "", nil, append([]string{"import", "--kind", "cf", "--file", csvFile}, f...)...); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	base, _, logs := startServe(t, append([]string{"--search-rate", "0"}, f...)...)
	code, keyOut, errs := runCmd(t, "", nil, append([]string{"report", "key"}, f...)...)
	if code != 0 {
		t.Fatalf("report key: %s", errs)
	}
	key := strings.TrimSpace(keyOut)
	var apiKey struct{ Key string }
	getJSON(t, base+"/api/v1/reports/key", &apiKey)
	if apiKey.Key != key || !strings.HasPrefix(key, report.KeyName+"+") {
		t.Fatalf("key %q, API %q", key, apiKey.Key)
	}
	get := func(path string) ([]byte, http.Header) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("GET %s: %d %.300s\n%s", path, resp.StatusCode, b.String(), logs)
		}
		return b.Bytes(), resp.Header
	}

	// Find a penalty public today and one past its window that was public
	// on a day the platform held it, by the read API.
	today := calendar.Today()
	then := today.AddMonths(-13)
	var subjects struct {
		Subjects []struct{ Ref string } `json:"subjects"`
	}
	var expired, expiredFirm, public, publicFirm string
	for page := 1; page <= 10 && (expired == "" || public == ""); page++ {
		getJSON(t, base+"/api/v1/subjects?q="+url.QueryEscape("有限公司")+fmt.Sprintf("&page=%d", page), &subjects)
		for _, s := range subjects.Subjects {
			var now, past fileOut
			getJSON(t, base+"/api/v1/subjects/"+s.Ref, &now)
			getJSON(t, base+"/api/v1/subjects/"+s.Ref+"?as_of="+then.String(), &past)
			for no := range now.penalties() {
				if public == "" {
					public, publicFirm = no, s.Ref
				}
			}
			for no, until := range past.penalties() {
				if _, still := now.penalties()[no]; !still && until != "" && until < today.String() && expired == "" {
					expired, expiredFirm = no, s.Ref
				}
			}
		}
	}
	if expired == "" || public == "" {
		t.Fatalf("demo data without a public penalty (%q) or one past its window (%q)", public, expired)
	}
	pdf, _ := get("/api/v1/subjects/" + publicFirm + "/report")
	if text := pdfText(t, pdf); !strings.Contains(text, public) {
		t.Errorf("%s's report lacks its public penalty %s", publicFirm, public)
	}
	pdf, _ = get("/api/v1/subjects/" + expiredFirm + "/report")
	if text := pdfText(t, pdf); strings.Contains(text, expired) {
		t.Errorf("%s's report shows %s past its window", expiredFirm, expired)
	}
	pdf, _ = get("/api/v1/subjects/" + expiredFirm + "/report?as_of=" + then.String())
	if text := pdfText(t, pdf); !strings.Contains(text, expired) || !strings.Contains(text, then.String()) {
		t.Errorf("%s's report as of %s lacks %s", expiredFirm, then, expired)
	}

	// A person's report: to the person signed in only.
	user := func(login, subject string) *http.Client {
		t.Helper()
		code, out, errs := runCmd(t, "", nil, append([]string{"user", "add", "--login", login, "--role", "subject", "--subject", subject}, f...)...)
		if code != 0 {
			t.Fatalf("user add %s: %s", login, errs)
		}
		pw := strings.TrimSpace(out[strings.Index(out, "password (shown once): ")+len("password (shown once): "):])
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.PostForm(base+"/login", url.Values{"login": {login}, "password": {pw}})
		if err != nil || resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in %s: %v %v", login, err, resp)
		}
		resp.Body.Close()
		return c
	}
	self, other := user("zhangwei", person), user("firm", expiredFirm)
	for _, c := range []struct {
		client *http.Client
		want   int
	}{{http.DefaultClient, 401}, {other, 403}, {self, 200}} {
		resp, err := c.client.Get(base + "/api/v1/subjects/" + person + "/report")
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("person's report: %d, want %d: %.200s", resp.StatusCode, c.want, b.String())
		}
		if c.want == 200 {
			if text := pdfText(t, b.Bytes()); !strings.Contains(text, "西市监罚〔2026〕人1号") || !strings.Contains(text, "个人公共信用信息报告") {
				t.Errorf("person's report: %s", text)
			}
		}
	}
	code, out, _ := runCmd(t, "", nil, append([]string{"audit", "list", "--limit", "20"}, f...)...)
	if code != 0 || !strings.Contains(out, "report.issue") {
		t.Errorf("audit trail lacks the person's report: %s", out)
	}

	// Many reports, verified offline by the binary, all at once.
	refs := []string{publicFirm, expiredFirm}
	for _, s := range subjects.Subjects {
		refs = append(refs, s.Ref)
	}
	files := make([]string, issue)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < issue; i += 4 {
				b, _ := get("/api/v1/subjects/" + refs[i%len(refs)] + "/report")
				files[i] = filepath.Join(dir, fmt.Sprintf("r%04d.pdf", i))
				if err := os.WriteFile(files[i], b, 0o600); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d reports issued in %v", issue, time.Since(start))
	verify := func(args ...string) (int, string) {
		t.Helper()
		out, err := exec.Command(binary, append([]string{"report", "verify", "--key", key}, args...)...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}
	if code, out := verify(files...); code != 0 || strings.Count(out, "报告真实有效") != issue {
		t.Fatalf("verify %d reports: exit %d, %d genuine\n%.2000s", issue, code, strings.Count(out, "报告真实有效"), out)
	}
	// One byte changed; a proof for another entry; a checkpoint signed by
	// another key (with its own tree over the same entry).
	good, _ := os.ReadFile(files[3])
	changed := bytes.Clone(good)
	changed[len(changed)/2] ^= 1
	orig, seal, err := report.SplitSeal(good)
	if err != nil {
		t.Fatal(err)
	}
	other3, _ := os.ReadFile(files[7])
	_, seal7, err := report.SplitSeal(other3)
	if err != nil {
		t.Fatal(err)
	}
	swapped := seal
	swapped.Proof, swapped.Index = seal7.Proof, seal7.Index
	forger, _ := report.NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)))
	forged := seal
	body := seal.Checkpoint[:strings.LastIndex(seal.Checkpoint, "\n\n")+1]
	resigned, err := note.Sign(&note.Note{Text: body}, forger)
	if err != nil {
		t.Fatal(err)
	}
	forged.Checkpoint = string(resigned)
	for name, b := range map[string][]byte{"changed": changed, "proof": mustSeal(t, orig, swapped), "checkpoint": mustSeal(t, orig, forged)} {
		file := filepath.Join(dir, name+".pdf")
		os.WriteFile(file, b, 0o600)
		if code, out := verify(file); code != 1 || !strings.Contains(out, "未通过核验") {
			t.Errorf("%s: exit %d: %s", name, code, out)
		}
	}
	if code, out, errs := runCmd(t, "", nil, append([]string{"report", "log"}, f...)...); code != 0 || !strings.Contains(out, "报告签发日志完整") {
		t.Errorf("report log: %d %s %s", code, out, errs)
	}
}

func mustSeal(t *testing.T, orig []byte, s report.Seal) []byte {
	t.Helper()
	b, err := report.AddSeal(orig, s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
