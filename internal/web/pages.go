package web

import (
	"bytes"
	"html/template"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store"
)

type pages struct {
	siteName string
	tmpl     map[string]*template.Template
}

func newPages(siteName string) (*pages, error) {
	p := &pages{siteName: siteName, tmpl: map[string]*template.Template{}}
	funcs := template.FuncMap{
		"classLabel": credit.Class.Label,
		"date":       func(t time.Time) string { return calendar.FromTime(t).String() },
		"add":        func(a, b int) int { return a + b },
	}
	for _, name := range []string{"home", "code", "error", "search", "subject", "record", "column"} {
		t, err := template.New("layout.html").Funcs(funcs).
			ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		p.tmpl[name] = t
	}
	return p, nil
}

// page is what every template gets.
type page struct {
	SiteName string
	Title    string
	Data     any
}

// render writes a page, or a plain 500 when the template fails before
// anything was written.
func (s *Server) render(w http.ResponseWriter, status int, name, title string, data any) {
	var buf bytes.Buffer
	if err := s.pages.tmpl[name].Execute(&buf, page{SiteName: s.pages.siteName, Title: title, Data: data}); err != nil {
		s.opts.Log.Error("render page", "page", name, "err", err)
		http.Error(w, "服务器内部错误", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type classCount struct {
	Class credit.Class
	Label string
	Count int64
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	counts, err := s.subjectCounts(r.Context())
	if err != nil {
		s.opts.Log.Error("count subjects", "err", err)
		s.render(w, http.StatusServiceUnavailable, "error", "暂时无法访问", "数据库暂时无法访问，请稍后再试。")
		return
	}
	var rows []classCount
	var total int64
	for _, c := range credit.Classes {
		rows = append(rows, classCount{c, c.Label(), counts[c]})
		total += counts[c]
	}
	data := map[string]any{"Counts": rows, "Total": total}
	if s.opts.Portal != nil {
		var cols []portal.Column
		for _, k := range []string{"xk", "cf"} {
			col, err := s.opts.Portal.Latest(r.Context(), store.RecordFilter{Kind: k}, homeLatest)
			if err != nil {
				s.opts.Log.Error("latest records", "err", err)
				break
			}
			cols = append(cols, col)
		}
		data["Columns"] = cols
	}
	s.render(w, http.StatusOK, "home", "首页", data)
}

// maxCodeInput bounds what the code tool accepts.
const maxCodeInput = 64

func (s *Server) codeTool(w http.ResponseWriter, r *http.Request) {
	c := r.URL.Query().Get("c")
	kind := r.URL.Query().Get("kind")
	data := map[string]any{"Code": c, "Kind": kind}
	if c != "" {
		k, err := code.ParseKind(kind)
		if kind == "" {
			k, err = code.KindAuto, nil
		}
		switch {
		case err != nil:
			data["Error"] = "代码类型不合法"
		case utf8.RuneCountInString(c) > maxCodeInput:
			data["Error"] = "输入过长"
		default:
			data["Result"] = code.Check(k, c)
		}
	}
	s.render(w, http.StatusOK, "code", "代码校验", data)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusNotFound, "error", "页面不存在", "您访问的页面不存在。")
}
