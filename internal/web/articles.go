package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/attach"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

// The columns of articles written by the credit office's editors (issue
// 21): 政策法规, 信用动态 and the 专项治理 campaigns, whose pages also list
// the subjects under the campaign. Bodies are plain text, shown escaped in
// paragraphs: no markup from users reaches a page.

// articleColumn is one column of articles.
type articleColumn struct {
	Key, Path, Name, About string
}

var articleColumns = []articleColumn{
	{"policy", "/policies", "政策法规", "社会信用体系建设的法律法规、规章和规范性文件。"},
	{"news", "/news", "信用动态", "信用工作的新闻、通知和工作动态。"},
	{"campaign", "/campaigns", "专项治理", "失信问题专项治理：各项治理的内容和纳入治理的主体。"},
}

func columnOf(key string) (articleColumn, bool) {
	for _, c := range articleColumns {
		if c.Key == key {
			return c, true
		}
	}
	return articleColumn{}, false
}

// Limits of an article.
const (
	maxTitleRunes  = 200
	maxBodyRunes   = 50000
	maxSourceRunes = 200
)

func (s *Server) registerArticles(mux *http.ServeMux) {
	for _, c := range articleColumns {
		mux.HandleFunc("GET "+c.Path, func(w http.ResponseWriter, r *http.Request) { s.articleList(w, r, c) })
	}
	mux.HandleFunc("GET /articles/new", s.articleForm)
	mux.HandleFunc("POST /articles", s.saveArticle)
	mux.HandleFunc("GET /articles/{id}", s.articlePage)
	mux.HandleFunc("GET /articles/{id}/edit", s.articleForm)
	mux.HandleFunc("POST /articles/{id}", s.saveArticle)
	mux.HandleFunc("POST /articles/{id}/subjects", s.campaignSubject)
	mux.HandleFunc("GET /articles/{id}/files/{file}", s.articleFile)
}

// canEdit reports whether the request's principal edits articles.
func (s *Server) canEdit(r *http.Request) bool {
	p := who(r)
	return p.Staff() && s.opts.Authorizer != nil && s.opts.Authorizer.Can(p, auth.ArticleEdit, auth.Resource{OrgPath: p.Org.Path})
}

func (s *Server) articleList(w http.ResponseWriter, r *http.Request, c articleColumn) {
	q := r.URL.Query()
	f := store.ArticleFilter{Column: c.Key, Query: strings.TrimSpace(q.Get("q")), From: q.Get("from"), To: q.Get("to"), Limit: columnSize}
	for _, d := range []string{f.From, f.To} {
		if d != "" {
			if _, err := calendar.ParseDate(d); err != nil {
				s.pageError(w, r, fault.New(fault.Invalid, "日期应为YYYY-MM-DD格式："+d))
				return
			}
		}
	}
	if utf8.RuneCountInString(f.Query) > 100 {
		s.pageError(w, r, fault.New(fault.Invalid, "标题关键词最多100个字"))
		return
	}
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	f.Offset = max(f.Offset, 0)
	list, total, err := s.opts.Store.ListArticles(r.Context(), f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	prev, next := pageLinks(r, f.Offset, columnSize, total)
	s.render(w, r, http.StatusOK, "articles", c.Name, map[string]any{"Col": c, "List": list, "Total": total, "F": f,
		"Prev": prev, "Next": next, "From": min(f.Offset+1, total), "To": f.Offset + len(list), "CanEdit": s.canEdit(r)})
}

func (s *Server) articleID(w http.ResponseWriter, r *http.Request) (store.Article, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return store.Article{}, false
	}
	a, err := s.opts.Store.GetArticle(r.Context(), id)
	if err != nil {
		s.pageError(w, r, err)
		return store.Article{}, false
	}
	return a, true
}

func (s *Server) articlePage(w http.ResponseWriter, r *http.Request) {
	a, ok := s.articleID(w, r)
	if !ok {
		return
	}
	c, _ := columnOf(a.Column)
	refs := make([]string, len(a.Subjects))
	for i, cs := range a.Subjects {
		refs[i] = s.opts.Portal.SubjectRef(credit.Subject{ID: cs.SubjectID, USCC: cs.Code})
	}
	s.render(w, r, http.StatusOK, "article", a.Title, map[string]any{"A": a, "Col": c, "Paras": paragraphs(a.Body),
		"Refs": refs, "CanEdit": s.canEdit(r)})
}

// paragraphs splits a plain-text body into paragraphs at blank lines;
// single line breaks stay inside a paragraph.
func paragraphs(body string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (s *Server) articleForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireSignIn(w, r); !ok {
		return
	}
	if !s.canEdit(r) {
		s.pageError(w, r, fault.New(fault.Refused, "只有栏目编辑可以发布和修改文章"))
		return
	}
	a := store.Article{Column: r.URL.Query().Get("col"), PublishedOn: calendar.Today().String()}
	if r.PathValue("id") != "" {
		var ok bool
		if a, ok = s.articleID(w, r); !ok {
			return
		}
	}
	if _, ok := columnOf(a.Column); !ok {
		a.Column = "policy"
	}
	s.render(w, r, http.StatusOK, "articleform", "编辑文章", map[string]any{"A": a, "Cols": articleColumns})
}

// articleInput checks an article's text; the error names the field.
func articleInput(a *store.Article, title, body, source, on string) error {
	check := func(what, v string, limit int, required bool) (string, error) {
		v = strings.TrimSpace(v)
		n := utf8.RuneCountInString(v)
		switch {
		case required && n == 0:
			return "", fault.New(fault.Invalid, what+"：必填")
		case n > limit:
			return "", fault.New(fault.Invalid, what+"：最多"+strconv.Itoa(limit)+"字，现有"+strconv.Itoa(n)+"字")
		}
		if reason := credit.BidiReason(v); reason != "" {
			return "", fault.New(fault.Invalid, what+"："+reason)
		}
		return v, nil
	}
	var err error
	if a.Title, err = check("标题", title, maxTitleRunes, true); err != nil {
		return err
	}
	if a.Body, err = check("正文", body, maxBodyRunes, true); err != nil {
		return err
	}
	if a.Source, err = check("来源", source, maxSourceRunes, false); err != nil {
		return err
	}
	d, err := calendar.ParseDate(strings.TrimSpace(on))
	if err != nil {
		return fault.New(fault.Invalid, "发布日期：应为YYYY-MM-DD格式的日期："+on)
	}
	a.PublishedOn = d.String()
	return nil
}

func (s *Server) saveArticle(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	files, ok := s.readUploads(w, r, "files")
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	if !s.canEdit(r) {
		s.pageError(w, r, fault.New(fault.Refused, "只有栏目编辑可以发布和修改文章"))
		return
	}
	f := r.PostFormValue
	a := store.Article{Column: f("col"), Author: p.String()}
	if r.PathValue("id") != "" {
		var ok bool
		if a, ok = s.articleID(w, r); !ok {
			return
		}
		a.Rev, _ = strconv.Atoi(f("rev"))
	}
	if _, ok := columnOf(a.Column); !ok {
		s.pageError(w, r, fault.New(fault.Invalid, "栏目：应为政策法规、信用动态或专项治理"))
		return
	}
	if err := articleInput(&a, f("title"), f("body"), f("source"), f("published_on")); err != nil {
		s.render(w, r, statusOf(fault.Invalid), "articleform", "编辑文章", map[string]any{"A": a, "Cols": articleColumns, "Error": fault.Message(err)})
		return
	}
	audit := auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: auth.AuditArticle}
	// Files are added, on a new article and on an edit alike, up to
	// attach.MaxFiles in all.
	checked, cerr := attach.Check(files, "附件")
	if cerr == nil && len(a.Files)+len(checked) > attach.MaxFiles {
		cerr = fmt.Errorf("附件最多%d个文件，本文已有%d个，又选择了%d个", attach.MaxFiles, len(a.Files), len(checked))
	}
	if cerr != nil {
		s.render(w, r, statusOf(fault.Invalid), "articleform", "编辑文章", map[string]any{"A": a, "Cols": articleColumns, "Error": cerr.Error()})
		return
	}
	cf := make([]store.CaseFile, len(checked))
	for i, c := range checked {
		cf[i] = store.CaseFile{Name: c.Name, ContentType: c.ContentType, Size: c.Size, SHA256: c.SHA256, Data: c.Data}
	}
	var err error
	if a.ID == 0 {
		audit.Outcome = "add"
		a, err = s.opts.Store.AddArticle(r.Context(), a, cf, audit)
	} else {
		audit.Outcome = "update"
		a, err = s.opts.Store.UpdateArticle(r.Context(), a, cf, audit)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/articles/"+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
}

// campaignSubject lists a subject, by its code, under a campaign (or
// removes it: an empty note).
func (s *Server) campaignSubject(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	if !s.canEdit(r) {
		s.pageError(w, r, fault.New(fault.Refused, "只有栏目编辑可以维护专项治理名单"))
		return
	}
	a, ok := s.articleID(w, r)
	if !ok {
		return
	}
	if a.Column != "campaign" {
		s.pageError(w, r, fault.New(fault.Invalid, "只有专项治理栏目的文章有治理主体名单"))
		return
	}
	code := strings.ToUpper(strings.TrimSpace(r.PostFormValue("code")))
	sub, err := s.opts.Store.FindSubjectByCode(r.Context(), code)
	if errors.Is(err, store.ErrNotFound) {
		s.pageError(w, r, fault.New(fault.Invalid, "统一社会信用代码：平台没有该代码的主体："+code))
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if sub.Class == credit.ClassPerson {
		s.pageError(w, r, fault.New(fault.Invalid, "专项治理名单只公示法人和非法人组织、个体工商户，不列自然人"))
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if r.PostFormValue("remove") == "" && note == "" {
		s.pageError(w, r, fault.New(fault.Invalid, "治理事由：必填"))
		return
	}
	if r.PostFormValue("remove") != "" {
		note = ""
	}
	if utf8.RuneCountInString(note) > 500 {
		s.pageError(w, r, fault.New(fault.Invalid, "治理事由：最多500字"))
		return
	}
	if err := s.opts.Store.SetCampaignSubject(r.Context(), a.ID, sub.ID, note,
		auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: auth.AuditArticle, Outcome: "campaign.subject", SubjectID: sub.ID}); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/articles/"+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
}

// articleFile sends an attachment of an article (public).
func (s *Server) articleFile(w http.ResponseWriter, r *http.Request) {
	id, err1 := strconv.ParseInt(r.PathValue("id"), 10, 64)
	fid, err2 := strconv.ParseInt(r.PathValue("file"), 10, 64)
	if err1 != nil || err2 != nil {
		s.notFound(w, r)
		return
	}
	f, err := s.opts.Store.ArticleFile(r.Context(), fid)
	if err == nil && f.CaseID != id {
		err = store.ErrNotFound
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	sendFile(w, f.Name, f.ContentType, f.Data)
}
