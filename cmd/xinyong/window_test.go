package main

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xinyong/xinyong/internal/web/browsertest"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/division"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

var (
	hrefRe    = regexp.MustCompile(`href="([^"#]*)"`)
	tagRe     = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<datalist.*?</datalist>|<[^>]*>`)
	codeRe    = regexp.MustCompile(`(^|[^0-9A-Za-z])([1-8][0-9]{5})([^0-9A-Za-z]|$)`)
	utcRe     = regexp.MustCompile(`UTC|GMT|\d{2}:\d{2}(:\d{2})?(\.\d+)?Z|[+-]00:00`)
	notesRe   = regexp.MustCompile(`未核实|未经核对|二手资料|据新闻报道|平台默认：`)
	suffixRe  = regexp.MustCompile(`\p{Han}_[0-9]+`)
	dateTimRe = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}`)
	// routeKey collapses a path to its route: one page per route and
	// query shape is enough.
	refRe = regexp.MustCompile(`/[^/]*[0-9][^/]*`)
)

// publicPages walks the public pages of a demo site from the home page,
// one page per route and query shape, and returns their visible text by
// address.
func publicPages(t *testing.T, base string) map[string]string {
	t.Helper()
	seen := map[string]bool{}
	routes := map[string]bool{}
	pages := map[string]string{}
	// A complaint, followed by its 查询码: the informant's page is public.
	resp, err := http.Post(base+"/api/v1/complaints", "application/json",
		strings.NewReader(`{"subject_name":"演示公司","what":"无证经营","name":"张三","contact":"13800000000"}`))
	if err != nil {
		t.Fatal(err)
	}
	var filed struct {
		ID         int64  `json:"id"`
		AccessCode string `json:"access_code"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&filed); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("complaint: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	queue := []string{fmt.Sprintf("/complaints/%d?code=%s", filed.ID, filed.AccessCode), "/", "/search?q=" + url.QueryEscape("有限公司"), "/tools/code?code=91610113MA6TXXXX00"}
	for len(queue) > 0 && len(pages) < 400 {
		u := queue[0]
		queue = queue[1:]
		code, body, err := httpGet(base + u)
		if err != nil {
			t.Fatal(err)
		}
		if code != 200 {
			t.Errorf("GET %s: %d", u, code)
			continue
		}
		if !strings.Contains(body, "<html") {
			continue
		}
		pages[u] = html.UnescapeString(tagRe.ReplaceAllString(body, " "))
		for _, m := range hrefRe.FindAllStringSubmatch(body, -1) {
			l, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil || l.Host != "" || !strings.HasPrefix(l.Path, "/") || seen[l.String()] {
				continue
			}
			seen[l.String()] = true
			if p := l.Path; strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/static/") || p == "/login" || p == "/metrics" ||
				strings.HasSuffix(p, ".pdf") || strings.HasSuffix(p, ".csv") || strings.HasSuffix(p, "/download") {
				continue
			}
			keys := make([]string, 0)
			for k := range l.Query() {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			route := refRe.ReplaceAllString(l.Path, "/*") + "?" + strings.Join(keys, "&")
			if l.Path == "/sgs" { // every column
				route += l.Query().Get("kind")
			}
			if routes[route] {
				continue
			}
			routes[route] = true
			queue = append(queue, l.String())
		}
	}
	return pages
}

// TestPublicPagesNameAndTime walks every public route of the demo site
// through the real binary: no page shows a bare region code where the
// national table has a name, and no time to a person in UTC; a page that
// shows a time says once that it is Beijing time.
func TestPublicPagesNameAndTime(t *testing.T) {
	t.Parallel()
	icon := filepath.Join(t.TempDir(), "icon.svg")
	if err := os.WriteFile(icon, []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>`), 0o644); err != nil {
		t.Fatal(err)
	}
	base, _, _ := startServe(t, "--demo", "--subjects", "300", "--data", t.TempDir(), "--site-owner", "陕西省发展和改革委员会",
		"--site-contact", "029-00000000", "--site-icp", "陕ICP备00000000号", "--favicon", icon)
	// The footer's settings, the icon and the installable app.
	if _, home, _ := httpGet(base + "/"); !strings.Contains(home, "主办单位：陕西省发展和改革委员会") || !strings.Contains(home, "联系方式：029-00000000") ||
		!strings.Contains(home, "陕ICP备00000000号") || !strings.Contains(home, `rel="manifest"`) {
		t.Errorf("footer without the site's settings")
	}
	if code, body, _ := httpGet(base + "/favicon.ico"); code != 200 || !strings.Contains(body, `viewBox="0 0 1 1"`) {
		t.Errorf("favicon %d %q", code, body)
	}
	if code, body, _ := httpGet(base + "/manifest.webmanifest"); code != 200 || !strings.Contains(body, `"start_url":"/"`) {
		t.Errorf("manifest %d %q", code, body)
	}
	if code, body, _ := httpGet(base + "/sw.js"); code != 200 || !strings.Contains(body, "/offline") {
		t.Errorf("service worker %d", code)
	}
	pages := publicPages(t, base)
	if len(pages) < 15 {
		t.Fatalf("walked only %d pages: %v", len(pages), pages)
	}
	for u, text := range pages {
		for _, m := range codeRe.FindAllStringSubmatchIndex(text, -1) {
			c := text[m[4]:m[5]]
			if !division.Known(c) {
				continue
			}
			name := division.Name(c)
			before := text[max(0, m[4]-3*len(name)-30):m[4]]
			if !strings.Contains(before, name) && !strings.Contains(text[m[5]:min(len(text), m[5]+3*len(name)+10)], name) {
				t.Errorf("%s shows the region code %s without its name %s: …%s…", u, c, name, text[max(0, m[4]-60):min(len(text), m[5]+30)])
			}
		}
		if m := utcRe.FindString(text); m != "" {
			i := strings.Index(text, m)
			t.Errorf("%s shows a time in UTC (%q): …%s…", u, m, text[max(0, i-60):min(len(text), i+30)])
		}
		if m := suffixRe.FindString(text); m != "" {
			t.Errorf("%s shows a field label with the exchange suffix: %s", u, m)
		}
		if m := notesRe.FindString(text); m != "" {
			t.Errorf("%s shows a working note to the public: %q", u, m)
		}
		if dateTimRe.MatchString(text) && !strings.Contains(text, "北京时间") {
			t.Errorf("%s shows a time without saying it is Beijing time", u)
		}
	}
	t.Logf("walked %d public pages: %v", len(pages), keysOf(pages))
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// narrowCheck measures a page at the phone's width: how far it scrolls
// sideways, and the codes (class code, USCC-like runs) broken over lines.
const narrowCheck = `(() => {
  const over = document.documentElement.scrollWidth - window.innerWidth;
  const broken = [];
  for (const el of document.querySelectorAll(".code")) {
    const r = document.createRange(); r.selectNodeContents(el);
    const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
    if (lines.size > 1) broken.push(el.textContent.trim());
  }
  return JSON.stringify({over, broken});
})()`

// TestPublicPagesAt360 opens every public route of the demo site, served
// by the real binary, in Chromium at 360 px: no page scrolls sideways and
// no code is broken over two lines.
func TestPublicPagesAt360(t *testing.T) {
	t.Parallel()
	base, serve, _ := startServe(t, "--demo", "--subjects", "300", "--data", t.TempDir())
	pages := publicPages(t, base)
	ctx := browsertest.New(t, 5*time.Minute)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2))); err != nil {
		t.Fatal(err)
	}
	for _, u := range append(keysOf(pages), "/offline", "/commitments?column=1") {
		var got string
		if err := chromedp.Do(ctx, chromedp.Navigate(base+u)); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](narrowCheck))
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		var m struct {
			Over   int
			Broken []string
		}
		if err := json.Unmarshal([]byte(got), &m); err != nil {
			t.Fatal(err)
		}
		if m.Over > 0 {
			t.Errorf("%s scrolls sideways by %d px at 360 px", u, m.Over)
		}
		if len(m.Broken) > 0 {
			t.Errorf("%s breaks codes over lines at 360 px: %v", u, m.Broken)
		}
	}
	// The installed app without a network: the service worker answers
	// with the offline page when the site cannot be reached.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`navigator.serviceWorker.ready.then(() => caches.has("xinyong-offline-v1"))`, chromedp.EvalAwaitPromise)); err != nil || !ok {
		t.Fatalf("service worker not ready: %v %v", ok, err)
	}
	serve.Process.Kill()
	serve.Wait()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/search?q="+url.QueryEscape("信用"))); err != nil {
		t.Fatalf("offline navigation: %v", err)
	}
	if s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main"))); err != nil || !strings.Contains(s, "网络不可用") {
		t.Errorf("offline page: %q %v", s, err)
	}
}

// TestHelpToStdout: asking a command for its help prints it on standard
// output, starting with the command's usage line, and succeeds.
func TestHelpToStdout(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"--help"}, {"serve", "-h"}, {"migrate", "--help"}, {"import", "-h"}, {"demo", "-h"}, {"stats", "intake", "-h"}} {
		code, out, errs := runCmd(t, "", nil, args...)
		if code != 0 || errs != "" || !strings.Contains(out, "Usage: xinyong") {
			t.Errorf("xinyong %v: %d, stdout %q, stderr %q", args, code, out, errs)
		}
		if len(args) > 1 && !strings.HasPrefix(out, "Usage: xinyong "+args[0]) {
			t.Errorf("xinyong %v: the usage line is not the command's: %q", args, strings.SplitN(out, "\n", 2)[0])
		}
	}
}

// TestComplaintThroughBinary runs the complaint window on the real binary
// in Chromium: someone files an anonymous complaint from the main menu;
// the credit office's handler routes it to the market regulator, whose
// handler answers it (不属实) on time; the informant follows it with the
// 查询码; the public statistics count it.
func TestComplaintThroughBinary(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(binary, append(args, "--data", data)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("migrate")
	deptUSCC := storetest.USCC("11", "610100", 77)
	out := run("org", "add", "--parent", "1", "--kind", "dept", "--name", "西安市市场监督管理局", "--uscc", deptUSCC)
	dept := regexp.MustCompile(`created organisation (\d+)`).FindStringSubmatch(out)[1]
	pw := filepath.Join(t.TempDir(), "pw")
	const password = "投诉举报办理员登录用的密码"
	if err := os.WriteFile(pw, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run("user", "add", "--login", "office", "--role", "handler", "--org", "1", "--password-file", pw)
	run("user", "add", "--login", "market", "--role", "handler", "--org", dept, "--password-file", pw)
	base, _, _ := startServe(t, "--demo", "--subjects", "200", "--data", data)

	ctx := browsertest.New(t, 2*time.Minute)
	signIn := func(login string) {
		t.Helper()
		if err := chromedp.Do(ctx,
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible(chromedp.CSS("#login")),
			chromedp.SendKeys(chromedp.CSS("#login"), login),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Submit(chromedp.CSS("#password")),
			chromedp.WaitVisible(chromedp.CSS("#logout")),
		); err != nil {
			t.Fatalf("sign in %s: %v", login, err)
		}
	}
	signOut := func() {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS(`nav a[href="/login"]`))); err != nil {
			t.Fatalf("sign out: %v", err)
		}
	}
	textOf := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.CSS("#nav-complaints")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-new")),
		chromedp.Click(chromedp.CSS("#complaint-new")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-form")),
		chromedp.SendKeys(chromedp.CSS("#subject_name"), "西安某某餐饮有限公司"),
		chromedp.SendKeys(chromedp.CSS("#what"), "后厨使用过期食材"),
		chromedp.Click(chromedp.CSS("#anonymous")),
		chromedp.Submit(chromedp.CSS("#what")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-code")),
	); err != nil {
		t.Fatalf("file: %v", err)
	}
	id, access := textOf("#complaint-id"), textOf("#complaint-access")

	signIn("office")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/complaints/"+id),
		chromedp.WaitVisible(chromedp.CSS("#form-route")),
		chromedp.SendKeys(chromedp.CSS("#route-dept"), "西安市市场监督管理局（"+deptUSCC+"）"),
		chromedp.Submit(chromedp.CSS("#route-dept")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-dept")),
	); err != nil {
		t.Fatalf("route: %v", err)
	}
	signOut()
	signIn("market")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-complaints")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-queue")),
		chromedp.Click(chromedp.CSS(`#complaint-queue a[href="/complaints/`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#form-answer")),
		chromedp.Click(chromedp.CSS("#outcome-unfounded")),
		chromedp.SendKeys(chromedp.CSS("#answer-finding"), "经现场检查，未发现过期食材"),
		chromedp.Submit(chromedp.CSS("#answer-finding")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-outcome")),
	); err != nil {
		t.Fatalf("answer: %v", err)
	}
	signOut()
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#nav-complaints")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-track")),
		chromedp.SendKeys(chromedp.CSS("#track-id"), id),
		chromedp.SendKeys(chromedp.CSS("#track-code"), access),
		chromedp.Submit(chromedp.CSS("#track-code")),
		chromedp.WaitVisible(chromedp.CSS("#complaint-outcome")),
	); err != nil {
		t.Fatalf("follow: %v", err)
	}
	if s := textOf("#complaint-outcome"); !strings.Contains(s, "不属实") {
		t.Errorf("outcome %q", s)
	}
	if s := textOf("#complaint-timely"); s != "按期办结" {
		t.Errorf("timeliness %q", s)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#nav-complaints")), chromedp.WaitVisible(chromedp.CSS("#complaint-stats"))); err != nil {
		t.Fatal(err)
	}
	if s := textOf("#stat-unfounded") + " " + textOf("#stat-ontime"); s != "1 100.0%" {
		t.Errorf("statistics %q", s)
	}
}

// TestColumnsThroughBinary opens the window's columns on the real binary
// in Chromium from the main menu: the public commitments (filter, total),
// the red and black lists, the demo's policy, news and campaign articles;
// an editor (added with the CLI) publishes a 信用动态 item the public then
// finds by its title.
func TestColumnsThroughBinary(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(binary, append(args, "--data", data)...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	run("migrate")
	run("org", "list") // creates the operator, the root
	pw := filepath.Join(t.TempDir(), "pw")
	const password = "栏目编辑每次登录时所用的密码"
	if err := os.WriteFile(pw, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run("user", "add", "--login", "editor", "--role", "editor", "--org", "1", "--password-file", pw)
	base, _, _ := startServe(t, "--demo", "--subjects", "300", "--data", data)
	ctx := browsertest.New(t, 2*time.Minute)
	textOf := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	open := func(nav, ready string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.Click(chromedp.CSS(nav)), chromedp.WaitVisible(chromedp.CSS(ready))); err != nil {
			t.Fatalf("%s: %v", nav, err)
		}
	}
	open("#nav-commitment-column", "#commitment-column")
	if s := textOf("#total"); !strings.Contains(s, "共 8 条") {
		t.Errorf("commitments: %q", s)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#ck"), "主动型"), chromedp.Submit(chromedp.CSS("#cq"))); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(textOf("#total"), "共 0 条"); {
		if time.Now().After(deadline) {
			t.Fatalf("filtered commitments: %q", textOf("#total"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for nav, h1 := range map[string]string{"#nav-red": "守信激励名单信息公示", "#nav-black": "失信名单信息公示",
		"#nav-policies": "政策法规", "#nav-news": "信用动态", "#nav-campaigns": "专项治理"} {
		open(nav, "h1")
		if s := textOf("h1"); s != h1 {
			t.Errorf("%s: %q", nav, s)
		}
	}
	open("#nav-campaigns", "#article-list")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#article-list a")), chromedp.WaitVisible(chromedp.CSS("#campaign-subjects"))); err != nil {
		t.Fatalf("campaign: %v", err)
	}

	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#login"), "editor"),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#logout")),
		chromedp.Click(chromedp.CSS("#nav-news")),
		chromedp.WaitVisible(chromedp.CSS("#article-new")),
		chromedp.Click(chromedp.CSS("#article-new")),
		chromedp.WaitVisible(chromedp.CSS("#article-form")),
		chromedp.SendKeys(chromedp.CSS("#title"), "信用修复培训班开班"),
		chromedp.SendKeys(chromedp.CSS("#body"), "培训内容包括信用修复流程。"),
		chromedp.Submit(chromedp.CSS("#title")),
		chromedp.WaitVisible(chromedp.CSS("#article-body")),
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS(`nav a[href="/login"]`)),
	); err != nil {
		t.Fatalf("publish: %v", err)
	}
	open("#nav-news", "#article-filters")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#aq"), "培训班"), chromedp.Submit(chromedp.CSS("#aq"))); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(textOf("#total"), "共 1 篇"); {
		if time.Now().After(deadline) {
			t.Fatalf("news by title: %q", textOf("#total"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if s := textOf("#article-list"); !strings.Contains(s, "信用修复培训班开班") {
		t.Errorf("news: %q", s)
	}
}
