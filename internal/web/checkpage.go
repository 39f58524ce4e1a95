package web

import (
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/check"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/search"
)

// maxCheckUpload bounds an uploaded list of subjects.
const maxCheckUpload = 8 << 20

func (s *Server) registerCheckPage(mux *http.ServeMux) {
	mux.HandleFunc("GET /check", s.checkForm)
	mux.HandleFunc("POST /check", s.runCheckForm)
	mux.HandleFunc("GET /checks/{id}/csv", s.checkCSV)
}

// checkFormData is the staff check page's data.
type checkFormData struct {
	Scenarios []struct{ Code, Name string }
	Scenario  string
	CaseNo    string
	List      string
	Error     string
	Max       int
}

func (s *Server) checkFormView(scenario, caseNo, list, errMsg string) checkFormData {
	d := checkFormData{Scenario: scenario, CaseNo: caseNo, List: list, Error: errMsg, Max: check.MaxSubjects}
	for _, sc := range s.opts.Checks.Checker.Lists.Scenarios {
		d.Scenarios = append(d.Scenarios, struct{ Code, Name string }{sc.Code, sc.Name})
	}
	return d
}

// checkPrincipal checks that the signed-in user may run checks.
func (s *Server) checkPrincipal(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return p, false
	}
	if s.opts.Checks == nil {
		s.render(w, r, http.StatusServiceUnavailable, "error", "信用核查", "信用核查未配置。")
		return p, false
	}
	if d := s.decide(p, auth.CheckRun, auth.Resource{OrgPath: p.Org.Path}); !d.Allow {
		s.forbidden(w, r, d)
		return p, false
	}
	return p, true
}

func (s *Server) checkForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.checkPrincipal(w, r); !ok {
		return
	}
	s.render(w, r, http.StatusOK, "checkform", "信用核查", s.checkFormView("", "", "", ""))
}

// parseSubjectLines reads one subject per line: a code, or a name
// optionally followed by a comma or tab and a region code.
func parseSubjectLines(text string) []check.Query {
	var out []check.Query
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(line, "\uFEFF"))
		if line == "" {
			continue
		}
		parts := strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == '\t' || r == '，' })
		out = append(out, queryOf(parts))
	}
	return out
}

// queryOf makes a query of a row: a first cell that is a code is a code;
// otherwise it is a name, with a region in the second cell.
func queryOf(cells []string) check.Query {
	if len(cells) == 0 {
		return check.Query{}
	}
	first := strings.TrimSpace(cells[0])
	if c := search.Code(first); (len(c) == 18 || len(c) == 15) && c == strings.ToUpper(strings.ReplaceAll(first, " ", "")) {
		return check.Query{Code: c}
	}
	q := check.Query{Name: first}
	if len(cells) > 1 {
		q.Region = strings.TrimSpace(cells[1])
	}
	return q
}

// readUpload reads a CSV or XLSX list: a column whose header names a code
// (代码) or a name (名称) and optionally a region (区划); without such
// headers, the first column.
func readUpload(r io.Reader) ([]check.Query, error) {
	t, err := ingest.NewTable(r)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	codeCol, nameCol, regionCol := -1, -1, -1
	for i, h := range t.Header() {
		switch {
		case strings.Contains(h, "代码") || strings.Contains(h, "证件号"):
			if codeCol < 0 {
				codeCol = i
			}
		case strings.Contains(h, "名称") || strings.Contains(h, "姓名"):
			nameCol = i
		case strings.Contains(h, "区划"):
			regionCol = i
		}
	}
	var out []check.Query
	if codeCol < 0 && nameCol < 0 {
		out = append(out, queryOf(t.Header()))
	}
	for {
		row, _, err := t.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		cell := func(i int) string {
			if i >= 0 && i < len(row) {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		switch {
		case codeCol < 0 && nameCol < 0:
			out = append(out, queryOf(row))
		case cell(codeCol) != "":
			out = append(out, check.Query{Code: search.Code(cell(codeCol))})
		default:
			out = append(out, check.Query{Name: cell(nameCol), Region: cell(regionCol)})
		}
		if len(out) > check.MaxSubjects {
			return out, nil
		}
	}
}

func (s *Server) runCheckForm(w http.ResponseWriter, r *http.Request) {
	p, ok := s.checkPrincipal(w, r) // before the upload is read
	if !ok {
		return
	}
	if err := r.ParseMultipartForm(maxCheckUpload); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			s.tooLarge(w, r, mbe.Limit)
			return
		}
		s.render(w, r, http.StatusBadRequest, "error", "信用核查", "未能读取上传的文件，请重试。")
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	scenario, caseNo, list := r.FormValue("scenario"), r.FormValue("case_no"), r.FormValue("list")
	fail := func(msg string) {
		s.render(w, r, statusOf(fault.Invalid), "checkform", "信用核查", s.checkFormView(scenario, caseNo, list, msg))
	}
	queries := parseSubjectLines(list)
	if f, _, err := r.FormFile("file"); err == nil {
		defer f.Close()
		up, err := readUpload(f)
		if err != nil {
			fail("无法读取上传的文件：" + err.Error())
			return
		}
		queries = append(queries, up...)
	}
	if len(queries) == 0 {
		fail("请粘贴或上传要核查的主体（每行一个统一社会信用代码、注册号、身份证号或名称）")
		return
	}
	if len(queries) > check.MaxSubjects {
		fail("每次最多核查" + strconv.Itoa(check.MaxSubjects) + "个主体")
		return
	}
	res, err := s.opts.Checks.Run(r.Context(), p, check.Request{Scenario: scenario, CaseNo: caseNo, Subjects: queries})
	if errors.Is(err, fault.Invalid) {
		fail(fault.Message(err))
		return
	}
	if err != nil {
		s.serviceError(w, r, "check", err)
		return
	}
	http.Redirect(w, r, "/checks/"+strconv.FormatInt(res.ID, 10), http.StatusSeeOther)
}

// possibleText lists an item's possible matches for the CSV: name, code
// and how the name differs.
func possibleText(ps []check.Candidate) string {
	var out []string
	for _, c := range ps {
		s := c.Subject.Name + "（" + c.Subject.USCC + c.Subject.RegNo + "）"
		if c.Diff != nil {
			s += c.Diff.Text
		}
		out = append(out, s)
	}
	return strings.Join(out, "；")
}

// checkCSV downloads a check's answers as CSV.
func (s *Server) checkCSV(w http.ResponseWriter, r *http.Request) {
	res, ok := s.pageCheck(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="check-`+strconv.FormatInt(res.ID, 10)+`.csv"`)
	w.Write([]byte("\uFEFF"))
	cw := csv.NewWriter(w)
	cw.Write([]string{"序号", "查询", "匹配方式", "主体名称", "代码", "结论", "名单", "措施", "理由", "可能的匹配（请人工核对）"})
	for _, it := range res.Items {
		query := it.Query.Code
		if query == "" {
			query = it.Query.Name
		}
		var sub *check.Subject
		var result *check.Result
		switch {
		case it.Subject != nil:
			sub, result = it.Subject, it.Result
		case len(it.Candidates) > 0:
			sub, result = &it.Candidates[0].Subject, &it.Candidates[0].Result
		}
		row := []string{strconv.Itoa(it.Index), query, it.Match, "", "", "未找到", "", "", it.Error, possibleText(it.Possible)}
		if sub != nil {
			row[3], row[4], row[5] = sub.Name, sub.USCC+sub.RegNo+sub.MaskedID, string(result.Verdict)
			var ls, ms []string
			for _, l := range result.Lists {
				ls = append(ls, l.Name+"（"+l.DecisionNo+"）")
			}
			for _, m := range result.Measures {
				ms = append(ms, m.Code+" "+m.Name)
			}
			row[6], row[7], row[8] = strings.Join(ls, "；"), strings.Join(ms, "；"), strings.Join(result.Reasons, "；")
		}
		cw.Write(row)
	}
	cw.Flush()
}
