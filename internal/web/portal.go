package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/integrity"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/store"
)

// homeLatest is how many entries of each 双公示 column the home page shows.
const homeLatest = 5

// columnPage is how many entries a 双公示 column page shows.
const columnPage = 20

func (s *Server) searchPage(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	data := map[string]any{"Query": q}
	if q == "" {
		s.render(w, r, http.StatusOK, "search", "查询信用主体", data)
		return
	}
	if len(q) > 200 {
		data["Error"] = "输入过长"
		s.render(w, r, statusOf(fault.Invalid), "search", "查询信用主体", data)
		return
	}
	// A code whose check character is wrong is answered as such, not
	// as a name nobody has.
	if c := search.Code(q); len(c) == 18 || len(c) == 15 {
		if res := code.Check(code.KindAuto, c); res.Want != "" {
			data["Error"] = "代码“" + c + "”校验码错误：" + res.DetailZH + "。请核对后重新输入。"
			s.render(w, r, http.StatusOK, "search", "查询信用主体", data)
			return
		}
	}
	// A code goes straight to its subject.
	sub, isCode, err := s.opts.Portal.FindByCode(r.Context(), q)
	if isCode {
		if err == nil {
			http.Redirect(w, r, "/subjects/"+url.PathEscape(s.opts.Portal.SubjectRef(sub)), http.StatusSeeOther)
			return
		}
		if !errors.Is(err, store.ErrNotFound) {
			s.pageError(w, r, err)
			return
		}
		data["Error"] = "平台未收录该代码对应的信用主体"
		s.render(w, r, http.StatusOK, "search", "查询信用主体", data)
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	res, err := s.opts.Portal.Search(r.Context(), q, page)
	if errors.Is(err, fault.Invalid) {
		data["Error"] = fault.Message(err)
		s.render(w, r, http.StatusOK, "search", "查询信用主体", data)
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	data["Result"] = res
	data["Refs"] = s.opts.Portal
	s.render(w, r, http.StatusOK, "search", q+" - 查询结果", data)
}

// asOf reads ?as_of, rendering the error itself when it is invalid.
func (s *Server) asOf(w http.ResponseWriter, r *http.Request) (calendar.Date, bool, bool) {
	d, hist, err := s.opts.Portal.AsOf(r.URL.Query().Get("as_of"))
	if err != nil {
		s.pageError(w, r, err)
		return d, false, false
	}
	return d, hist, true
}

func (s *Server) subjectPage(w http.ResponseWriter, r *http.Request) {
	on, hist, ok := s.asOf(w, r)
	if !ok {
		return
	}
	f, err := s.opts.Portal.File(r.Context(), r.PathValue("ref"), on, hist)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	cms, served, err := s.fileCommitments(r.Context(), who(r), f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	ev, err := s.fileEvaluation(r.Context(), f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p := who(r)
	d := subjectFile{File: f, Sections: make([]fileSection, 0, len(f.Sections)+1),
		Reports: s.opts.Reports != nil && (f.Subject.Class != credit.ClassPerson || p.Kind == auth.UserKind && p.SubjectID == f.Subject.ID)}
	for _, sec := range f.Sections {
		if sec.ID == "commitments" {
			// A government body's 政务诚信档案, before the parts still
			// pending.
			is, err := s.integritySection(r.Context(), p, f)
			if err != nil {
				s.pageError(w, r, err)
				return
			}
			if is != nil {
				d.Sections = append(d.Sections, *is)
			}
		}
		d.Sections = append(d.Sections, fileSection{Section: sec})
		i := len(d.Sections) - 1
		if sec.ID == "commitments" && served {
			sec.Pending = false
			d.Sections[i] = fileSection{Section: sec, IsCommitments: true}
			for _, v := range cms {
				d.Sections[i].Commitments = append(d.Sections[i].Commitments, s.commitmentData(v))
			}
		}
		if sec.ID == "evaluation" && ev != nil {
			sec.Pending = false
			d.Sections[i] = fileSection{Section: sec, Evaluation: ev}
		}
	}
	s.render(w, r, http.StatusOK, "subject", f.Subject.Name+" - 信用档案", d)
}

// subjectFile is a credit file as its page shows it.
type subjectFile struct {
	portal.File
	Sections []fileSection
	// Reports: the credit report can be downloaded (persons: their own).
	Reports bool
}

// fileSection is a part of a credit file: records of a kind, the
// subject's commitments, or a government body's 政务诚信档案.
type fileSection struct {
	portal.Section
	IsCommitments bool
	Commitments   []commitmentPageData
	IsIntegrity   bool
	// Integrity is the archive when the viewer may read it (nil: not
	// shown; Restricted says so).
	Integrity  *integrity.File
	Restricted bool
	// Evaluation fills the section evaluation (信用评价).
	Evaluation *evaluationView
}

// Count is the number of entries in the section.
func (s fileSection) Count() int {
	switch {
	case s.IsCommitments:
		return len(s.Commitments)
	case s.Integrity != nil:
		return len(s.Integrity.Events)
	}
	if s.Evaluation != nil {
		if s.Evaluation.X == nil {
			return 0
		}
		return 1
	}
	return s.Section.Count()
}

// integritySection is the 政务诚信档案 of a government body's credit file
// (nil for other subjects and historical views): the archive for viewers
// who may read the body's monitoring, a note for the others.
func (s *Server) integritySection(ctx context.Context, p auth.Principal, f portal.File) (*fileSection, error) {
	if s.opts.Integrity == nil || f.Subject.Class != credit.ClassGov || f.Historical || s.opts.Authorizer == nil {
		return nil, nil
	}
	sec := &fileSection{Section: portal.Section{ID: "integrity", Title: "政务诚信档案"}, IsIntegrity: true}
	b := s.integ().Model.BodyOf(f.Subject)
	if p.Kind == auth.Anonymous || !s.integ().Can(ctx, p, auth.IntegrityRead, b) {
		sec.Restricted = true
		return sec, nil
	}
	file, err := s.integ().BodyFile(ctx, b)
	if err != nil {
		return nil, err
	}
	sec.Integrity = &file
	return sec, nil
}

func (s *Server) recordPage(w http.ResponseWriter, r *http.Request) {
	on, hist, ok := s.asOf(w, r)
	if !ok {
		return
	}
	v, err := s.opts.Portal.Record(r.Context(), r.PathValue("ref"), on)
	if np := (portal.ErrNotPublic{}); errors.As(err, &np) && s.internalRecord(w, r) {
		return
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p := who(r)
	objections := !hist && s.opts.Objections != nil
	own := p.Kind == auth.UserKind && p.SubjectID != 0 && p.SubjectID == v.SubjectID
	data := map[string]any{"R": v, "AsOf": on, "Historical": hist, "CanExit": !hist && s.canExit(r, r.PathValue("ref")),
		"CanChange": !hist && s.canChange(r, r.PathValue("ref")),
		"CanObject": objections && own,
		// Anyone else with evidence, about a record public today.
		"CanObjectPublic": objections && !own && s.opts.Objections.Public != nil && v.Decision.Public && !p.Staff()}
	s.withRepair(r, data)
	s.render(w, r, http.StatusOK, "record", v.Title(), data)
}

// columnFilter reads a 双公示 column's filter from the query.
func columnFilter(q url.Values) (store.RecordFilter, error) {
	f := store.RecordFilter{Kind: q.Get("kind"), Dept: strings.TrimSpace(q.Get("dept")), Region: strings.TrimSpace(q.Get("region")),
		From: q.Get("from"), To: q.Get("to")}
	if f.Kind == "" {
		f.Kind = "cf"
	}
	for _, d := range []string{f.From, f.To} {
		if d != "" {
			if _, err := calendar.ParseDate(d); err != nil {
				return f, fault.New(fault.Invalid, "日期应为YYYY-MM-DD格式")
			}
		}
	}
	if f.Region != "" {
		code, ok := regionParam(f.Region)
		if !ok {
			return f, fault.New(fault.Invalid, "行政区划“"+f.Region+"”未找到：请从列表中选择地名，或填写2至6位行政区划代码")
		}
		f.Region = credit.RegionPrefix(code)
	}
	f.Dept = deptParam(f.Dept)
	if len(f.Dept) > 18 {
		return f, fault.New(fault.Invalid, "部门统一社会信用代码过长")
	}
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	return f, nil
}

func (s *Server) columnPage(w http.ResponseWriter, r *http.Request) {
	f, err := columnFilter(r.URL.Query())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	k, ok := s.opts.Portal.Catalog.Kind(f.Kind)
	if !ok {
		s.notFound(w, r)
		return
	}
	col, err := s.opts.Portal.Latest(r.Context(), f, columnPage)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	next := ""
	if col.Next > 0 {
		q := r.URL.Query()
		q.Set("offset", strconv.Itoa(col.Next))
		q.Set("back", pushBack(q.Get("back"), f.Offset))
		next = "/sgs?" + q.Encode()
	}
	// Columns of the kinds that are public (行政强制, 行政确认 and 行政给付
	// are shared between departments only).
	var kinds []*catalog.Kind
	for _, c := range s.opts.Portal.Catalog.Kinds() {
		if c.Disclosure == catalog.DisclosurePublic {
			kinds = append(kinds, c)
		}
	}
	s.render(w, r, http.StatusOK, "column", k.Name+"信息公示", map[string]any{
		"Kind": k, "Kinds": kinds, "Col": col, "Next": next,
		"Region": r.URL.Query().Get("region"), "Places": placeOptions(), "Depts": s.deptOptions(r.Context()),
		"Prev": prevLink(r),
	})
}
