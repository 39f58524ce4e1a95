package web

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"golang.org/x/mod/sumdb/note"

	"github.com/xinyong/xinyong/internal/attach"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/report"
)

// Credit reports (公共信用信息报告): the PDF from a credit file or the API,
// the HTML view of the same data, the verification page, the verifier key,
// the log's checkpoints and entries, and persons' written authorisations.

// maxVerifyUpload bounds a PDF uploaded to /verify.
const maxVerifyUpload = 12 << 20

// baseKey holds the site's address as the client reached it, for the
// verification links of reports issued through the API.
type baseKey struct{}

// siteBase is where the client reached the site: --public-url, else the
// request's scheme and host.
func (s *Server) siteBase(r *http.Request) string {
	if s.opts.PublicURL != "" {
		return strings.TrimSuffix(s.opts.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// withBase is an API middleware that keeps the site's address in the
// context (huma's handlers see no request).
func (s *Server) withBase(ctx huma.Context, next func(huma.Context)) {
	base := strings.TrimSuffix(s.opts.PublicURL, "/")
	if base == "" {
		u := ctx.URL()
		scheme := "http"
		if ctx.TLS() != nil {
			scheme = "https"
		}
		host := ctx.Host()
		if host == "" {
			host = u.Host
		}
		base = scheme + "://" + host
	}
	next(huma.WithValue(ctx, baseKey{}, base))
}

func baseFrom(ctx context.Context) string {
	b, _ := ctx.Value(baseKey{}).(string)
	return b
}

// verifier is the platform's own report verifier.
func (s *Server) verifier() (note.Verifier, error) {
	return report.ParseVerifierKey(s.opts.Reports.Log.Signer.VerifierKey())
}

// reportName is the file name a report is offered under.
func reportName(number string) string {
	return "attachment; filename=\"" + number + ".pdf\"; filename*=UTF-8''" + url.PathEscape("公共信用信息报告-"+number+".pdf")
}

// SubjectReportInput asks for a subject's report.
type SubjectReportInput struct {
	Code          string `path:"code" maxLength:"64" doc:"The subject's reference: its USCC, or the ref given by search or the credit file; a person's report takes the ref or the ID number."`
	AsOf          string `query:"as_of" doc:"YYYY-MM-DD: the report of what was public on that day (default today)."`
	Authorisation int64  `query:"authorisation" minimum:"0" doc:"A person's report requested by an organisation: the id of the person's written authorisation recorded with POST /api/v1/reports/authorisations."`
}

// SubjectReportOutput is a report's PDF.
type SubjectReportOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	ReportNumber       string `header:"X-Report-Number" doc:"the report's number (报告编号)"`
	Body               []byte
}

// ReportKeyOutput is the platform's verifier key.
type ReportKeyOutput struct {
	Body struct {
		Key       string `json:"key" doc:"The verifier key, as xinyong report verify --key takes it: name+hash+base64 of the Ed25519 public key (golang.org/x/mod/sumdb/note)."`
		Name      string `json:"name"`
		Algorithm string `json:"algorithm" enum:"Ed25519"`
		Origin    string `json:"origin" doc:"The first line of the log's checkpoints."`
	}
}

// CheckpointInput asks for a checkpoint, with a consistency proof from an
// earlier size.
type CheckpointInput struct {
	From int64 `query:"from" minimum:"0" doc:"The size of a checkpoint the caller kept: the answer proves that the log of that size is a prefix of the current one (RFC 6962 consistency proof)."`
}

// CheckpointOutput is a signed checkpoint of the report log.
type CheckpointOutput struct {
	Body struct {
		Checkpoint  string   `json:"checkpoint" doc:"The signed checkpoint (a note: origin, size, base64 root hash, signature)."`
		Size        int64    `json:"size"`
		Root        string   `json:"root" doc:"base64 root hash"`
		From        int64    `json:"from,omitempty"`
		Consistency []string `json:"consistency,omitempty" doc:"base64 hashes: the consistency proof from size from to size."`
	}
}

// ReportNumberInput names an issued report.
type ReportNumberInput struct {
	Number string `path:"number" maxLength:"32" doc:"The report number (报告编号)."`
}

// ReportEntryOutput is an issued report's log entry.
type ReportEntryOutput struct {
	Body ReportEntry
}

// ReportEntry is an issued report as the log holds it, with its inclusion
// proof against the current checkpoint and what changed since.
type ReportEntry struct {
	Number     string          `json:"number"`
	Kind       string          `json:"kind" enum:"org,person"`
	KindName   string          `json:"kind_name"`
	Subject    string          `json:"subject" doc:"USCC or registration number; a person's masked ID number"`
	Name       string          `json:"name,omitempty" doc:"an organisation's name"`
	AsOf       string          `json:"as_of" format:"date"`
	IssuedAt   string          `json:"issued_at" format:"date-time"`
	SHA256     string          `json:"sha256" doc:"hex SHA-256 of the PDF as issued, before its verification data"`
	Entry      string          `json:"entry" doc:"the log entry's text (its RFC 6962 leaf covers it)"`
	Index      int64           `json:"index"`
	Checkpoint string          `json:"checkpoint" doc:"a signed checkpoint of the log now"`
	Size       int64           `json:"size"`
	Inclusion  []string        `json:"inclusion" doc:"base64 hashes: the entry's inclusion proof against the checkpoint"`
	Changed    int             `json:"changed" doc:"how many of the records the report showed changed since"`
	Changes    []report.Change `json:"changes" doc:"each record the report showed: corrected, revoked, repaired, ended (no longer public) or unchanged; nothing else of it"`
}

// GrantInputBody records a person's written authorisation.
type GrantInputBody struct {
	Body struct {
		IDNumber   string `json:"id_number" minLength:"15" maxLength:"18" doc:"the person's 公民身份号码"`
		Name       string `json:"name" minLength:"1" maxLength:"50" doc:"the person's name as signed"`
		Purpose    string `json:"purpose" minLength:"2" maxLength:"200" doc:"查询用途, as the authorisation states it"`
		ValidUntil string `json:"valid_until" format:"date" doc:"the last day it may be used (at most a year ahead)"`
		Document   struct {
			Name string `json:"name" minLength:"1" maxLength:"200"`
			Data []byte `json:"data" doc:"the signed authorisation, base64: PDF, JPEG or PNG, at most 5 MiB"`
		} `json:"document"`
	}
}

// GrantOutput is a recorded authorisation.
type GrantOutput struct {
	Body struct {
		ID         int64  `json:"id" doc:"pass as authorisation= to GET /api/v1/subjects/{code}/report"`
		Subject    string `json:"subject" doc:"the person's reference"`
		Purpose    string `json:"purpose"`
		ValidUntil string `json:"valid_until" format:"date"`
	}
}

// reports is the report service, or errNotServed without one.
func (s *Server) reports() (*report.Service, error) {
	if s.opts.Reports == nil {
		return nil, errNotServed
	}
	return s.opts.Reports, nil
}

// registerReports registers the report API (answering 503 without a
// report service, as the other applications do) and, with one, the pages.
func (s *Server) registerReports(mux *http.ServeMux) {
	op := huma.Operation{
		OperationID: "get-subject-report",
		Method:      "GET",
		Path:        "/api/v1/subjects/{code}/report",
		Summary:     "A subject's public credit report (公共信用信息报告), as PDF",
		Description: "The standard report of the 2021 national report standard, of what was public on as_of (default today): " +
			"an organisation's (法人和非法人组织, also sole traders and government bodies) to anyone, rate-limited per address like " +
			"searches; a person's to the person signed in, or to an organisation's checker or API key (checks:run) holding the " +
			"person's written authorisation (authorisation=). Each report is signed with the platform's Ed25519 key and appended " +
			"to the report log; the PDF carries its signature, a signed checkpoint and its inclusion proof (verify offline with " +
			"xinyong report verify, or at /verify). A person's report is recorded in the audit trail and the person's query history.",
		Tags:     []string{"reports"},
		Security: secOptional,
		Errors:   with(errsGuarded, http.StatusNotFound),
		Responses: map[string]*huma.Response{"200": {Description: "The report (PDF, A4).",
			Content: map[string]*huma.MediaType{"application/pdf": {Schema: &huma.Schema{Type: "string", Format: "binary"}}}}},
	}
	huma.Register(s.api, op, func(ctx context.Context, in *SubjectReportInput) (*SubjectReportOutput, error) {
		rs, err := s.reports()
		if err != nil {
			return nil, err
		}
		is, err := rs.Issue(ctx, report.Request{Principal: principalFrom(ctx), Ref: in.Code, AsOf: in.AsOf, Grant: in.Authorisation,
			Verify: baseFrom(ctx) + "/verify"})
		if err != nil {
			return nil, err
		}
		return &SubjectReportOutput{ContentType: "application/pdf", ContentDisposition: reportName(is.Report.Number),
			ReportNumber: is.Report.Number, Body: is.PDF}, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-report-key",
		Method:      "GET",
		Path:        "/api/v1/reports/key",
		Summary:     "The platform's report verifier key",
		Description: "The Ed25519 public key that signs credit reports and the report log's checkpoints, as a note verifier key " +
			"(also printed by xinyong report key). Keep a copy: reports verify offline against it.",
		Tags:     []string{"reports"},
		Security: secPublic,
		Errors:   errsRead,
	}, func(ctx context.Context, _ *struct{}) (*ReportKeyOutput, error) {
		rs, err := s.reports()
		if err != nil {
			return nil, err
		}
		out := &ReportKeyOutput{}
		out.Body.Key, out.Body.Name, out.Body.Algorithm, out.Body.Origin = rs.Log.Signer.VerifierKey(), report.KeyName, "Ed25519", report.Origin
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-report-checkpoint",
		Method:      "GET",
		Path:        "/api/v1/reports/checkpoint",
		Summary:     "A signed checkpoint of the report log",
		Description: "The log's size and root hash now, signed. With from, also the proof that the log of that size (a " +
			"checkpoint kept earlier) is a prefix of this one: the log is append-only, so a report issued is never rewritten.",
		Tags:     []string{"reports"},
		Security: secPublic,
		Errors:   errsQuery,
	}, func(ctx context.Context, in *CheckpointInput) (*CheckpointOutput, error) {
		rs, err := s.reports()
		if err != nil {
			return nil, err
		}
		signed, tree, err := rs.Log.Checkpoint(ctx)
		if err != nil {
			return nil, err
		}
		out := &CheckpointOutput{}
		out.Body.Checkpoint, out.Body.Size, out.Body.Root = string(signed), tree.N, base64.StdEncoding.EncodeToString(tree.Hash[:])
		if in.From > 0 {
			if in.From > tree.N {
				return nil, fault.Newf(fault.Invalid, "from（%d）大于日志当前的大小（%d）", in.From, tree.N)
			}
			proof, err := rs.Log.Consistency(ctx, tree.N, in.From)
			if err != nil {
				return nil, err
			}
			out.Body.From = in.From
			out.Body.Consistency = make([]string, len(proof))
			for i, h := range proof {
				out.Body.Consistency[i] = base64.StdEncoding.EncodeToString(h[:])
			}
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-report",
		Method:      "GET",
		Path:        "/api/v1/reports/{number}",
		Summary:     "An issued report's log entry",
		Description: "The entry the log holds for a report number (number, kind, subject — a person's masked —, as-of day, issue " +
			"time, SHA-256 of the PDF), its inclusion proof against a checkpoint signed now, and what became of the records the " +
			"report showed (corrected, revoked, repaired, no longer public), without anything of them that is not public.",
		Tags:     []string{"reports"},
		Security: secPublic,
		Errors:   with(errsQuery, http.StatusNotFound),
	}, func(ctx context.Context, in *ReportNumberInput) (*ReportEntryOutput, error) {
		rs, err := s.reports()
		if err != nil {
			return nil, err
		}
		l, err := rs.Find(ctx, in.Number)
		if err != nil {
			return nil, err
		}
		signed, tree, err := rs.Log.Checkpoint(ctx)
		if err != nil {
			return nil, err
		}
		proof, err := rs.Log.Inclusion(ctx, tree.N, l.Report.Index)
		if err != nil {
			return nil, err
		}
		e := l.Entry
		out := &ReportEntryOutput{Body: ReportEntry{Number: e.Number, Kind: e.Kind, KindName: l.KindTitle, Subject: e.Subject, Name: e.Name,
			AsOf: e.AsOf.String(), IssuedAt: e.Issued.UTC().Format("2006-01-02T15:04:05Z"), SHA256: hexOf(e.SHA256[:]),
			Entry: string(l.Report.Entry), Index: l.Report.Index, Checkpoint: string(signed), Size: tree.N, Changed: l.Changed,
			Changes: l.Changes}}
		out.Body.Inclusion = make([]string, len(proof))
		for i, h := range proof {
			out.Body.Inclusion[i] = base64.StdEncoding.EncodeToString(h[:])
		}
		if out.Body.Changes == nil {
			out.Body.Changes = []report.Change{}
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "post-report-authorisation",
		Method:      "POST",
		Path:        "/api/v1/reports/authorisations",
		Summary:     "Record a person's written authorisation to obtain the person's credit report",
		Description: "An organisation entitled to credit checks (a checker signed in, or an API key with checks:run) records the " +
			"written authorisation (书面授权) a person signed for it: the person's ID number and name as on file, the purpose, the " +
			"last day it may be used (at most a year) and the signed document (PDF, JPEG or PNG; sealed with the data key). The " +
			"person sees it in the query history. Its id then goes with GET /api/v1/subjects/{code}/report?authorisation=.",
		Tags:          []string{"reports"},
		Security:      secSignedIn,
		Errors:        errsBody,
		MaxBodyBytes:  maxUploadJSON,
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *GrantInputBody) (*GrantOutput, error) {
		rs, err := s.reports()
		if err != nil {
			return nil, err
		}
		b := in.Body
		g, err := rs.AddGrant(ctx, principalFrom(ctx), report.GrantInput{IDNumber: b.IDNumber, Name: b.Name, Purpose: b.Purpose,
			ValidUntil: b.ValidUntil, Document: attach.File{Name: b.Document.Name, Data: b.Document.Data}})
		if err != nil {
			return nil, err
		}
		out := &GrantOutput{}
		sub, err := s.opts.Store.GetSubject(ctx, g.SubjectID)
		if err != nil {
			return nil, err
		}
		out.Body.ID, out.Body.Subject, out.Body.Purpose, out.Body.ValidUntil = g.ID, s.opts.Portal.SubjectRef(sub), g.Purpose, g.ValidUntil
		return out, nil
	})

	if s.opts.Reports == nil {
		return
	}
	mux.HandleFunc("GET /subjects/{ref}/report", s.reportPage)
	mux.HandleFunc("GET /subjects/{ref}/report.pdf", s.reportPDF)
	mux.HandleFunc("GET /verify", s.verifyPage)
	mux.HandleFunc("POST /verify", s.verifyUpload)
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

// reportRequest reads a page's request for a report.
func (s *Server) reportRequest(r *http.Request) report.Request {
	g, _ := strconv.ParseInt(r.URL.Query().Get("authorisation"), 10, 64)
	return report.Request{Principal: who(r), Ref: r.PathValue("ref"), AsOf: r.URL.Query().Get("as_of"), Grant: g,
		Verify: s.siteBase(r) + "/verify"}
}

// reportPDF issues and downloads a report (the credit file's 下载信用报告).
func (s *Server) reportPDF(w http.ResponseWriter, r *http.Request) {
	is, err := s.opts.Reports.Issue(r.Context(), s.reportRequest(r))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", reportName(is.Report.Number))
	w.Header().Set("X-Report-Number", is.Report.Number)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(is.PDF)))
	w.Write(is.PDF)
}

// reportPage is the report's HTML view: the same sections and entries,
// for screen readers and a look before downloading.
func (s *Server) reportPage(w http.ResponseWriter, r *http.Request) {
	rep, err := s.opts.Reports.Prepare(r.Context(), s.reportRequest(r))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	q := url.Values{}
	if rep.Historical {
		q.Set("as_of", rep.AsOf.String())
	}
	if g := r.URL.Query().Get("authorisation"); g != "" {
		q.Set("authorisation", g)
	}
	pdf := "/subjects/" + url.PathEscape(rep.Ref) + "/report.pdf"
	if len(q) > 0 {
		pdf += "?" + q.Encode()
	}
	s.render(w, r, http.StatusOK, "report", rep.Title, map[string]any{"R": rep, "PDF": pdf})
}

// verifyResult is what the verification page shows.
type verifyResult struct {
	Number   string
	Uploaded bool
	Genuine  bool
	Failure  string
	Verified report.Verified
	Lookup   *report.Lookup
	Issued   string // Beijing time
	Kind     string
}

// verifyPage checks a report by number (?number=) or shows the form.
func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) {
	data := map[string]any{"Key": s.opts.Reports.Log.Signer.VerifierKey()}
	number := strings.TrimSpace(r.URL.Query().Get("number"))
	if number == "" {
		s.render(w, r, http.StatusOK, "verify", "报告核验", data)
		return
	}
	res := verifyResult{Number: number}
	l, err := s.opts.Reports.Find(r.Context(), number)
	switch {
	case errors.Is(err, fault.NotFound), errors.Is(err, fault.Invalid):
		res.Failure = fault.Message(err)
	case err != nil:
		s.pageError(w, r, err)
		return
	default:
		res.Genuine, res.Lookup = true, &l
		res.Number, res.Issued, res.Kind = l.Entry.Number, report.BeijingTime(l.Entry.Issued), l.KindTitle
	}
	data["Result"] = res
	s.render(w, r, http.StatusOK, "verify", "报告核验", data)
}

// verifyUpload checks an uploaded report's PDF offline against the
// platform's key, then says what changed since.
func (s *Server) verifyUpload(w http.ResponseWriter, r *http.Request) {
	data := map[string]any{"Key": s.opts.Reports.Log.Signer.VerifierKey()}
	f, _, err := r.FormFile("file")
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			s.pageError(w, r, fault.Newf(fault.TooLarge, "报告文件超过%dMB", maxVerifyUpload>>20))
			return
		}
		data["Error"] = "请选择要核验的报告文件（PDF）"
		s.render(w, r, http.StatusUnprocessableEntity, "verify", "报告核验", data)
		return
	}
	defer f.Close()
	pdf, err := io.ReadAll(io.LimitReader(f, maxVerifyUpload+1))
	if err != nil || len(pdf) > maxVerifyUpload {
		s.pageError(w, r, fault.Newf(fault.TooLarge, "报告文件超过%dMB", maxVerifyUpload>>20))
		return
	}
	v, err := s.verifier()
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	res := verifyResult{Uploaded: true}
	got, err := report.Verify(pdf, v)
	if err != nil {
		res.Failure = err.Error()
	} else {
		res.Genuine, res.Verified, res.Number = true, got, got.Entry.Number
		res.Issued, res.Kind = report.BeijingTime(got.Entry.Issued), report.TitleOrg
		if got.Entry.Kind == "person" {
			res.Kind = report.TitlePerson
		}
		if l, err := s.opts.Reports.Find(r.Context(), got.Entry.Number); err == nil {
			res.Lookup = &l
		} else if !errors.Is(err, fault.NotFound) {
			s.pageError(w, r, err)
			return
		}
	}
	data["Result"] = res
	s.render(w, r, http.StatusOK, "verify", "报告核验", data)
}
