package web

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/commitment"
	"github.com/xinyong/xinyong/internal/division"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

// deptNames caches department names by USCC for pages (the template func
// dept): a department is renamed rarely, and a minute's lag is harmless.
type deptNames struct {
	mu sync.Mutex
	m  map[string]string
	at time.Time
	// options: the departments' pick-list, read at optionsAt.
	options   []option
	optionsAt time.Time
}

const deptNamesTTL = time.Minute

// cachedDeptName names a department by its USCC; the USCC itself when no
// department has it.
func (s *Server) cachedDeptName(uscc string) string {
	if uscc == "" || s.opts.Store == nil {
		return uscc
	}
	c := &s.deptNames
	c.mu.Lock()
	if c.m == nil || time.Since(c.at) > deptNamesTTL {
		c.m, c.at = map[string]string{}, time.Now()
	}
	name, ok := c.m[uscc]
	c.mu.Unlock()
	if ok {
		return name
	}
	name = uscc
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if o, err := store.DeptOrg(ctx, s.opts.Store, uscc); err == nil && o != nil {
		name = o.Name
	}
	c.mu.Lock()
	c.m[uscc] = name
	c.mu.Unlock()
	return name
}

// regionParam reads a region filter written as a name (陕西省西安市雁塔区,
// 雁塔区), a pick-list entry or a code; ok is false when it is none of them.
func regionParam(s string) (code string, ok bool) { return division.Code(s) }

// deptParam reads a department filter written as a pick-list entry
// (名称（USCC）) or a USCC.
func deptParam(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "（"); i >= 0 && strings.HasSuffix(s, "）") {
		return strings.TrimSuffix(s[i+len("（"):], "）")
	}
	return s
}

// option is one entry of a pick-list (datalist): what is filled in, and
// what it says.
type option struct{ Value, Label string }

// placeOptions are the places offered to filters: the provinces of the
// country and the cities and counties of the home province.
func placeOptions() []option { return placeList }

var placeList = func() []option {
	var out []option
	for _, d := range division.Under("") {
		if strings.HasSuffix(d.Code, "0000") || strings.HasPrefix(d.Code, homeRegion) {
			out = append(out, option{Value: d.Full, Label: d.Code})
		}
	}
	return out
}()

// homeRegion is the province whose divisions the pick-lists offer.
const homeRegion = "61"

// deptOptions are the departments offered to filters, as 名称（USCC）.
func (s *Server) deptOptions(ctx context.Context) []option {
	if s.opts.Store == nil {
		return nil
	}
	c := &s.deptNames
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.options != nil && time.Since(c.optionsAt) < deptNamesTTL {
		return c.options
	}
	orgs, err := s.opts.Store.ListOrgs(ctx, "")
	if err != nil {
		return nil
	}
	out := []option{}
	for _, o := range orgs {
		if o.Kind == auth.Dept && o.USCC != "" && !o.Disabled {
			out = append(out, option{Value: o.Name + "（" + o.USCC + "）", Label: o.Name})
		}
	}
	c.options, c.optionsAt = out, time.Now()
	return out
}

// pushBack adds the current page's offset to the trail of pages a
// column's "previous" link returns along (at most 50 kept).
func pushBack(trail string, offset int) string {
	parts := []string{}
	if trail != "" {
		parts = strings.Split(trail, ".")
	}
	parts = append(parts, strconv.Itoa(max(offset, 0)))
	if len(parts) > 50 {
		parts = parts[len(parts)-50:]
	}
	return strings.Join(parts, ".")
}

// prevLink is the link to the previous page of a paged column: the last
// offset of the trail; "" on the first page.
func prevLink(r *http.Request) string {
	q := r.URL.Query()
	trail := q.Get("back")
	if trail == "" {
		return ""
	}
	parts := strings.Split(trail, ".")
	last := parts[len(parts)-1]
	if _, err := strconv.Atoi(last); err != nil {
		return ""
	}
	q.Set("offset", last)
	if len(parts) == 1 {
		q.Del("back")
	} else {
		q.Set("back", strings.Join(parts[:len(parts)-1], "."))
	}
	return r.URL.Path + "?" + q.Encode()
}

// columnSize is the number of rows of a page of the window's columns.
const columnSize = 20

// commitmentColumn is the public column of credit commitments (信用承诺
// 公示): those open to the public, by kind, fulfilment and promisor, with
// their total and previous/next pages.
func (s *Server) commitmentColumn(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.CommitmentFilter{Kind: q.Get("kind"), Status: q.Get("status"), Promisor: strings.TrimSpace(q.Get("q")), Limit: columnSize}
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	f.Offset = max(f.Offset, 0)
	if f.Kind != "" && !slices.Contains(commitment.Kinds, f.Kind) {
		s.pageError(w, r, fault.New(fault.Invalid, "承诺类型应为"+strings.Join(commitment.Kinds, "、")+"之一："+f.Kind))
		return
	}
	if f.Status != "" && !slices.Contains(commitment.Statuses, f.Status) {
		s.pageError(w, r, fault.New(fault.Invalid, "履行状态应为"+strings.Join(commitment.Statuses, "、")+"之一："+f.Status))
		return
	}
	if len([]rune(f.Promisor)) > 100 {
		s.pageError(w, r, fault.New(fault.Invalid, "承诺人名称最多100个字"))
		return
	}
	vs, total, err := s.opts.Commitments.Column(r.Context(), who(r), f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	rows := make([]commitmentPageData, len(vs))
	for i, v := range vs {
		rows[i] = s.commitmentData(v)
	}
	prev, next := pageLinks(r, f.Offset, columnSize, total)
	s.render(w, r, http.StatusOK, "commitmentcolumn", "信用承诺公示", map[string]any{"Rows": rows, "Total": total,
		"Kinds": commitment.Kinds, "Statuses": commitment.Statuses, "Kind": f.Kind, "Status": f.Status, "Q": f.Promisor,
		"Prev": prev, "Next": next, "From": min(f.Offset+1, total), "To": f.Offset + len(rows)})
}

// pageLinks are the previous and next pages of a column whose rows are
// counted ("" when there is none).
func pageLinks(r *http.Request, offset, size, total int) (prev, next string) {
	q := r.URL.Query()
	if offset > 0 {
		q.Set("offset", strconv.Itoa(max(offset-size, 0)))
		prev = r.URL.Path + "?" + q.Encode()
	}
	if offset+size < total {
		q.Set("offset", strconv.Itoa(offset+size))
		next = r.URL.Path + "?" + q.Encode()
	}
	return prev, next
}

// SiteInfo is what the footer says about the site, set by configuration:
// who runs it (主办单位), how to reach them, the ICP filing number, and
// the site's icon (nil: the built-in one).
type SiteInfo struct {
	Owner, Contact, ICP string
	Favicon             []byte
	FaviconType         string
}

// registerWindow adds the public window's routes: the commitment column is
// served by /commitments (commitments.go); here the site's icon, the web
// app manifest, the service worker and the offline page.
func (s *Server) registerWindow(mux *http.ServeMux) {
	mux.HandleFunc("GET /favicon.ico", s.favicon)
	mux.HandleFunc("GET /manifest.webmanifest", s.manifest)
	mux.HandleFunc("GET /sw.js", func(w http.ResponseWriter, r *http.Request) {
		b, _ := staticFS.ReadFile("static/sw.js")
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(b)
	})
	mux.HandleFunc("GET /offline", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "offline", "网络不可用", nil)
	})
}

func (s *Server) favicon(w http.ResponseWriter, r *http.Request) {
	b, ct := s.opts.Site.Favicon, s.opts.Site.FaviconType
	if len(b) == 0 {
		b, _ = staticFS.ReadFile("static/icon.svg")
		ct = "image/svg+xml"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(b)
}

// manifest is the web app manifest: the site installs as an app (the
// 信用陕西 app of the plan) opening on the home page.
func (s *Server) manifest(w http.ResponseWriter, r *http.Request) {
	m := map[string]any{
		"name": s.opts.SiteName, "short_name": s.opts.SiteName, "lang": "zh-CN",
		"start_url": "/", "scope": "/", "display": "standalone",
		"background_color": "#ffffff", "theme_color": "#b3261e",
		"icons": []map[string]string{{"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml"}},
	}
	if len(s.opts.Site.Favicon) > 0 && s.opts.Site.FaviconType == "image/png" {
		m["icons"] = append(m["icons"].([]map[string]string), map[string]string{"src": "/favicon.ico", "sizes": "192x192", "type": "image/png"})
	}
	w.Header().Set("Content-Type", "application/manifest+json")
	json.NewEncoder(w).Encode(m)
}
