package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/division"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/integrity"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store"
)

type pages struct {
	siteName string
	tmpl     map[string]*template.Template
	// deptName names a department by its USCC (set by New; the USCC
	// itself until then).
	deptName func(uscc string) string
	site     SiteInfo
}

func newPages(siteName string) (*pages, error) {
	p := &pages{siteName: siteName, tmpl: map[string]*template.Template{}, deptName: func(u string) string { return u }}
	funcs := template.FuncMap{
		// place names a region code (陕西省西安市雁塔区); placeCode adds
		// the code where people need it; dept names a department.
		"place":      division.Name,
		"placeCode":  placeWithCode,
		"dept":       func(uscc string) string { return p.deptName(uscc) },
		"classLabel": credit.Class.Label,
		"date":       func(t time.Time) string { return calendar.FromTime(t).String() },
		// beijing formats a time in Beijing time: people never read UTC.
		"beijing":     func(t time.Time, layout string) string { return t.In(calendar.Location()).Format(layout) },
		"add":         func(a, b int) int { return a + b },
		"natureLabel": integrity.NatureLabel,
		"signed":      evaluation.Signed,
	}
	for _, name := range []string{"home", "code", "error", "search", "subject", "record", "column",
		"login", "totp", "account", "admin", "audit", "my", "purpose", "check", "stats", "checkform", "listform", "objection", "objections", "repair", "repairs", "rights", "commitment", "commitments", "commitmentform", "report", "verify",
		"intake", "intakejob", "intakebatch", "intakeform", "deptrecords", "returns", "return", "quality", "qualitydetail", "ledger",
		"integrity", "integritybody", "integrityreport", "integrityannual", "integrityform",
		"supervision", "inspections", "inspectionform", "inspection", "inspectionsetup",
		"market", "marketitems", "marketapply", "marketagency", "marketprojectform", "marketproject", "marketconfirmation", "marketowner",
		"exchange", "registry", "registrycase", "registryfigures",
		"hiring", "hiringform", "hiringcase", "hiringreply", "grants", "lending", "lendingfirm", "lenders",
		"commitmentcolumn", "offline", "complaints", "complaintform", "complaint", "articles", "article", "articleform"} {
		t, err := template.New("layout.html").Funcs(funcs).
			ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		p.tmpl[name] = t
	}
	return p, nil
}

// page is what every template gets: the site, the page's title and data,
// who is signed in and the session's CSRF token for forms.
type page struct {
	SiteName string
	Site     SiteInfo
	Title    string
	Data     any
	User     auth.Principal
	Nav      nav
	CSRF     string
	// Refresh: the page reloads itself every 2 seconds (a progress page).
	Refresh bool
}

// nav says which staff links the signed-in principal sees.
type nav struct {
	SignedIn, Admin, Audit, Subject, Check, Lists, Objections, Repairs, Commitments bool
	Intake, Returns, Quality, Integrity, Supervision, Inspections                   bool
	Exchange                                                                        bool
	Registry                                                                        bool
	Hiring, Lending                                                                 bool
}

// render writes a page, or a plain 500 when the template fails before
// anything was written. Pages of a signed-in session are never cached.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	var buf bytes.Buffer
	pg := page{SiteName: s.pages.siteName, Site: s.pages.site, Title: title, Data: data}
	if m, ok := data.(map[string]any); ok {
		pg.Refresh, _ = m["Refresh"].(bool)
	}
	if r != nil {
		pg.User = who(r)
		if sess := sessionOf(r); sess != nil {
			pg.CSRF = sess.CSRF
			w.Header().Set("Cache-Control", "no-store")
		}
		if pg.User.Kind == auth.UserKind && s.opts.Authorizer != nil {
			own := auth.Resource{OrgPath: pg.User.Org.Path}
			pg.Nav = nav{SignedIn: true,
				Admin:    s.opts.Authorizer.Can(pg.User, auth.UserManage, own),
				Audit:    s.opts.Authorizer.Can(pg.User, auth.AuditRead, own),
				Exchange: pg.User.Org.Kind == auth.Operator && s.opts.Authorizer.Can(pg.User, auth.ExchangeRead, own),
				Check:    s.opts.Checks != nil && s.opts.Authorizer.Can(pg.User, auth.CheckRun, own),
				Lists: s.opts.Checks != nil && pg.User.Org.Kind == auth.Dept &&
					(s.opts.Authorizer.Can(pg.User, auth.RecordSubmit, own) || s.opts.Authorizer.Can(pg.User, auth.RecordChange, own)),
				Subject:    pg.User.SubjectID != 0,
				Objections: s.opts.Objections != nil && (pg.User.SubjectID != 0 || s.opts.Authorizer.Can(pg.User, auth.ObjectionReview, own)),
				Repairs:    s.opts.Repairs != nil && (pg.User.SubjectID != 0 || s.opts.Authorizer.Can(pg.User, auth.RepairReview, own)),
				Commitments: s.opts.Commitments != nil && (pg.User.SubjectID != 0 ||
					pg.User.Org.Kind == auth.Dept && s.opts.Authorizer.Can(pg.User, auth.CommitmentManage, own)),
				Intake: s.opts.Importer != nil && pg.User.Org.Kind == auth.Dept && s.opts.Authorizer.Can(pg.User, auth.RecordSubmit, own),
				Returns: s.opts.Ledger != nil && (s.opts.Authorizer.Can(pg.User, auth.ReturnManage, own) ||
					s.opts.Authorizer.Can(pg.User, auth.QualityRead, own)),
				Quality: s.opts.Ledger != nil && s.opts.Authorizer.Can(pg.User, auth.QualityRead, own),
				// The credit office, and the staff of a department that is
				// a government body (机构类别 11).
				Integrity: s.opts.Integrity != nil && (s.opts.Authorizer.Can(pg.User, auth.IntegrityManage, own) ||
					pg.User.Org.Kind == auth.Dept && strings.HasPrefix(pg.User.Org.USCC, "11") && s.opts.Authorizer.Can(pg.User, auth.IntegrityRead, own)),
				Supervision: s.opts.Inspections != nil && pg.User.Org.Kind == auth.Dept && s.opts.Authorizer.Can(pg.User, auth.SupervisionManage, own),
				Inspections: s.opts.Inspections != nil && pg.User.Org.Kind == auth.Dept && s.opts.Authorizer.Can(pg.User, auth.InspectionRecord, own),
				Registry:    s.opts.Registry != nil && s.opts.Authorizer.Can(pg.User, auth.RegistryRead, own)}
			pg.Nav.Lending = s.opts.Lending != nil && (pg.User.SubjectID != 0 && s.opts.Lending.MayGrant(r.Context(), pg.User) ||
				s.opts.Authorizer.Can(pg.User, auth.LenderRead, own))
			pg.Nav.Hiring = s.opts.Hiring != nil && (pg.User.SubjectID != 0 || s.opts.Authorizer.Can(pg.User, auth.HiringRequest, own) || s.opts.Authorizer.Can(pg.User, auth.HiringAnswer, own))
		}
	}
	if err := s.pages.tmpl[name].Execute(&buf, pg); err != nil {
		s.opts.Log.Error("render page", "page", name, "err", err)
		http.Error(w, "服务器内部错误", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len())) // one write, not chunks
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
		s.pageError(w, r, err)
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
	s.render(w, r, http.StatusOK, "home", "首页", data)
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
	s.render(w, r, http.StatusOK, "code", "代码校验", data)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusNotFound, "error", "页面不存在", "您访问的页面不存在。")
}

// placeWithCode is a region's name followed by its code in brackets
// (陕西省西安市雁塔区（610113）); the bare code when the table does not
// know it.
func placeWithCode(code string) string {
	if !division.Known(code) {
		return code
	}
	return division.Name(code) + "（" + code + "）"
}
