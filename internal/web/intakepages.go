package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/store"
)

// The department's side of intake (归集) on the web: a clerk uploads a
// file in the standard template, follows a large one on a progress page,
// reads the row-by-row result and downloads the errors file; fills one
// record in a form made from the catalogue; corrects or revokes a record
// of the department. Everything goes through ingest.Importer, the one
// intake path, and a clerk acts only for the department of its account.

// maxIntakeUpload bounds an uploaded file: about 100,000 rows of the 790
// standard.
const maxIntakeUpload = 64 << 20

// intakeWait is how long an upload's request waits for its import before
// it answers with the progress page: a small file goes straight to its
// result.
const intakeWait = 3 * time.Second

func (s *Server) registerIntakePages(mux *http.ServeMux) {
	mux.HandleFunc("GET /intake", s.intakePage)
	mux.HandleFunc("POST /intake", s.intakeUpload)
	mux.HandleFunc("GET /intake/jobs/{id}", s.intakeJobPage)
	mux.HandleFunc("GET /intake/batches/{id}", s.intakeBatchPage)
	mux.HandleFunc("GET /intake/batches/{id}/errors.csv", s.intakeErrorsFile)
	mux.HandleFunc("GET /intake/templates/{file}", s.intakeTemplate)
	mux.HandleFunc("GET /intake/form/{kind}", s.intakeForm)
	mux.HandleFunc("POST /intake/form/{kind}", s.submitIntakeForm)
	mux.HandleFunc("GET /intake/records", s.deptRecordsPage)
	mux.HandleFunc("GET /records/{ref}/correct", s.correctForm)
	mux.HandleFunc("POST /records/{ref}/correct", s.submitCorrection)
	mux.HandleFunc("POST /records/{ref}/revoke", s.revokeRecord)
}

// clerkOf checks a signed-in member of a department who may submit its
// records (数据报送员), for the intake pages.
func (s *Server) clerkOf(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return p, false
	}
	if s.opts.Importer == nil {
		s.render(w, r, http.StatusServiceUnavailable, "error", "数据报送", "数据报送未配置。")
		return p, false
	}
	if p.Org.Kind != auth.Dept {
		s.forbidden(w, r, auth.Decision{Reason: "只有部门的数据报送员可以报送信息"})
		return p, false
	}
	if d := s.decide(p, auth.RecordSubmit, auth.Resource{OrgPath: p.Org.Path}); !d.Allow {
		s.forbidden(w, r, d)
		return p, false
	}
	return p, true
}

// deptResource is the resource of what a department (by USCC) owns; a
// USCC no organisation has belongs to the operator.
func (s *Server) deptResource(ctx context.Context, uscc string) (auth.Resource, error) {
	if uscc != "" {
		o, err := store.DeptOrg(ctx, s.opts.Store, uscc)
		if err != nil {
			return auth.Resource{}, err
		}
		if o != nil {
			return auth.Resource{OrgPath: o.Path}, nil
		}
	}
	orgs, err := s.opts.Store.ListOrgs(ctx, "")
	if err != nil || len(orgs) == 0 {
		return auth.Resource{}, err
	}
	return auth.Resource{OrgPath: orgs[0].Path}, nil
}

// intakeJob is an upload being imported in the background.
type intakeJob struct {
	id, kind, fileName string
	dept               string
	user               int64
	size               int64
	started            time.Time
	read               atomic.Int64 // bytes of the file read
	rows               atomic.Int64 // rows read
	done               chan struct{}
	// Set before done is closed:
	res ingest.Result
	err error
}

// intakeJobs are the server's running and recent uploads.
type intakeJobs struct {
	mu sync.Mutex
	m  map[string]*intakeJob
}

// jobKeep is how long a finished upload's progress page stays.
const jobKeep = time.Hour

func (j *intakeJobs) add(job *intakeJob) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.m == nil {
		j.m = map[string]*intakeJob{}
	}
	for id, old := range j.m {
		select {
		case <-old.done:
			if time.Since(old.started) > jobKeep {
				delete(j.m, id)
			}
		default:
		}
	}
	j.m[job.id] = job
}

func (j *intakeJobs) get(id string) *intakeJob {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.m[id]
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// intakeKinds are the kinds a department's clerk may report, for the
// upload page.
func (s *Server) intakeKinds(p auth.Principal) []*catalog.Kind {
	var out []*catalog.Kind
	for _, k := range s.opts.Importer.Catalog.Kinds() {
		if s.decide(p, auth.RecordSubmit, auth.Resource{OrgPath: p.Org.Path, Kind: k.Code}).Allow {
			out = append(out, k)
		}
	}
	return out
}

func (s *Server) intakePage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.clerkOf(w, r)
	if !ok {
		return
	}
	s.renderIntake(w, r, p, http.StatusOK, "")
}

func (s *Server) renderIntake(w http.ResponseWriter, r *http.Request, p auth.Principal, status int, msg string) {
	batches, err := s.opts.Store.IntakeBatches(r.Context(), p.Org.USCC, 20)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var open int
	if s.opts.Ledger != nil {
		rs, err := s.opts.Store.ListReturns(r.Context(), store.ReturnFilter{Depts: []string{p.Org.USCC}, States: []store.ReturnState{store.ReturnOpen}, Limit: 1000})
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		open = len(rs)
	}
	s.render(w, r, status, "intake", "数据报送", map[string]any{"Kinds": s.intakeKinds(p), "Batches": batches, "Error": msg,
		"OpenReturns": open, "Kind": r.FormValue("kind")})
}

// intakeUpload takes an uploaded file and imports it in the background:
// the request waits a little (a small file answers with its result), then
// answers with the progress page.
func (s *Server) intakeUpload(w http.ResponseWriter, r *http.Request) {
	p, ok := s.clerkOf(w, r) // before the upload is read
	if !ok {
		return
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			s.tooLarge(w, r, mbe.Limit)
			return
		}
		s.renderIntake(w, r, p, http.StatusBadRequest, "未能读取上传的文件，请重试。")
		return
	}
	defer r.MultipartForm.RemoveAll()
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	kind := r.FormValue("kind")
	if _, ok := s.opts.Importer.Catalog.Kind(kind); !ok {
		s.renderIntake(w, r, p, statusOf(fault.Invalid), "请选择信息类别。")
		return
	}
	if d := s.decide(p, auth.RecordSubmit, auth.Resource{OrgPath: p.Org.Path, Kind: kind}); !d.Allow {
		s.forbidden(w, r, d)
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.renderIntake(w, r, p, statusOf(fault.Invalid), "请选择要上传的文件（CSV或XLSX）。")
		return
	}
	defer f.Close()
	// The upload is kept in a file of its own while it is imported: the
	// request's form is gone when the request ends.
	tmp, err := os.CreateTemp("", "xinyong-upload-*")
	if err != nil {
		s.serviceError(w, r, "intake upload", err)
		return
	}
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), f)
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		s.serviceError(w, r, "intake upload", err)
		return
	}
	if size == 0 {
		tmp.Close()
		os.Remove(tmp.Name())
		s.renderIntake(w, r, p, statusOf(fault.Invalid), "上传的文件是空的。")
		return
	}
	id := make([]byte, 12)
	rand.Read(id)
	job := &intakeJob{id: hex.EncodeToString(id), kind: kind, fileName: filepath.Base(hdr.Filename), dept: p.Org.USCC, user: p.ID,
		size: size, started: time.Now(), done: make(chan struct{})}
	s.jobs.add(job)
	go s.runIntakeJob(context.WithoutCancel(r.Context()), p, job, tmp, hex.EncodeToString(h.Sum(nil)))
	select {
	case <-job.done:
	case <-time.After(intakeWait):
	case <-r.Context().Done():
	}
	http.Redirect(w, r, "/intake/jobs/"+job.id, http.StatusSeeOther)
}

// runIntakeJob imports an uploaded file as p's department's, writes its
// audit entry and removes the file.
func (s *Server) runIntakeJob(ctx context.Context, p auth.Principal, job *intakeJob, f *os.File, hash string) {
	defer close(job.done)
	defer os.Remove(f.Name())
	defer f.Close()
	t, err := ingest.NewTable(countingReader{r: f, n: &job.read})
	if err != nil {
		job.err = err
		return
	}
	defer t.Close()
	job.res, job.err = s.opts.Importer.Import(ctx, t, ingest.Options{Kind: job.kind, Dept: p.Org.USCC, Channel: "file",
		FileName: job.fileName, FileHash: hash, Progress: func(n int) { job.rows.Store(int64(n)) }})
	if job.err != nil {
		return
	}
	res := job.res
	s.audit(ctx, p, auth.AuditEntry{Action: auth.AuditRecordSubmit, Target: "batch:" + strconv.FormatInt(res.Batch, 10), Outcome: "ok",
		Detail: fmt.Sprintf("%s 网页上传 %s：%d 行，新增 %d，更新 %d，未变 %d，退回 %d", job.kind, job.fileName, res.Rows, res.Accepted,
			res.Updated, res.Unchanged, len(res.Rejected))})
}

func (s *Server) intakeJobPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.clerkOf(w, r)
	if !ok {
		return
	}
	job := s.jobs.get(r.PathValue("id"))
	if job == nil || job.dept != p.Org.USCC {
		s.notFound(w, r)
		return
	}
	select {
	case <-job.done:
		if job.err == nil {
			http.Redirect(w, r, "/intake/batches/"+strconv.FormatInt(job.res.Batch, 10), http.StatusSeeOther)
			return
		}
		msg := job.err.Error()
		var he *ingest.HeaderError
		if !errors.As(job.err, &he) && !errors.Is(job.err, ingest.ErrEmpty) {
			s.opts.Log.Error("intake upload", "file", job.fileName, "err", job.err)
			msg = "导入中断：" + msg + "。重新上传同一文件即可从中断处继续。"
		}
		s.render(w, r, statusOf(fault.Invalid), "intakejob", "上传结果", map[string]any{"Job": jobView(job), "Error": msg})
	default:
		s.render(w, r, http.StatusOK, "intakejob", "正在导入", map[string]any{"Job": jobView(job), "Refresh": true})
	}
}

// jobView is what the progress page shows of a job.
type jobProgress struct {
	FileName string
	Kind     string
	Rows     int64
	Percent  int64 // of the file's bytes read
	Elapsed  string
}

func jobView(j *intakeJob) jobProgress {
	pct := int64(0)
	if j.size > 0 {
		pct = min(100, j.read.Load()*100/j.size)
	}
	return jobProgress{FileName: j.fileName, Kind: j.kind, Rows: j.rows.Load(), Percent: pct,
		Elapsed: time.Since(j.started).Truncate(time.Second).String()}
}

// batchAccess loads an intake batch for p, who must be entitled to act
// on the department's returns (a clerk of it, or quality.read above it).
func (s *Server) batchAccess(w http.ResponseWriter, r *http.Request, a auth.Action) (auth.Principal, store.IntakeBatchInfo, bool) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return p, store.IntakeBatchInfo{}, false
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return p, store.IntakeBatchInfo{}, false
	}
	b, err := s.opts.Store.IntakeBatch(r.Context(), id)
	if err != nil {
		s.pageError(w, r, err)
		return p, b, false
	}
	res, err := s.deptResource(r.Context(), b.Dept)
	if err != nil {
		s.pageError(w, r, err)
		return p, b, false
	}
	res.Kind = b.Kind
	d := s.decide(p, a, res)
	if !d.Allow && a == auth.ReturnManage {
		d = s.decide(p, auth.QualityRead, res)
	}
	if !d.Allow {
		s.notFound(w, r) // a batch of another department does not exist for p
		return p, b, false
	}
	return p, b, true
}

func (s *Server) intakeBatchPage(w http.ResponseWriter, r *http.Request) {
	p, b, ok := s.batchAccess(w, r, auth.ReturnManage)
	if !ok {
		return
	}
	returns, err := s.opts.Store.ListReturns(r.Context(), store.ReturnFilter{Batch: b.ID, Limit: 1000})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	res, _ := s.deptResource(r.Context(), b.Dept)
	k, _ := s.opts.Importer.Catalog.Kind(b.Kind)
	d := map[string]any{"B": b, "Kind": k, "Returns": returns,
		"More": len(returns) == 1000, "CanErrors": s.decide(p, auth.ReturnManage, res).Allow,
		"Received": b.ReceivedAt.In(calendar.Location()).Format("2006-01-02 15:04")}
	// The header's warnings and the records whose subject name disagrees
	// with the registered holder of their code, kept with the batch.
	d["Warnings"], d["NameWarnings"] = b.Warnings, b.NameWarnings
	d["MoreNames"] = len(b.NameWarnings) >= ingest.MaxNameWarnings
	s.render(w, r, http.StatusOK, "intakebatch", "导入结果", d)
}

// intakeErrorsFile writes a batch's returned rows as sent, with their
// reasons, for the department to fix and send again (ingest.ErrorsWriter,
// the command line's format). The rows hold personal identifiers in
// clear: the download is written to the audit trail.
func (s *Server) intakeErrorsFile(w http.ResponseWriter, r *http.Request) {
	p, b, ok := s.batchAccess(w, r, auth.ReturnManage)
	if !ok {
		return
	}
	res, err := s.deptResource(r.Context(), b.Dept)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if d := s.decide(p, auth.ReturnManage, res); !d.Allow {
		s.forbidden(w, r, d)
		return
	}
	if _, err := s.mustAudit(r.Context(), p, auth.AuditEntry{Action: auth.AuditReturn, Target: "batch:" + strconv.FormatInt(b.ID, 10),
		Outcome: "errors_file", Detail: "下载退回行（错误文件）"}); err != nil {
		s.serviceError(w, r, "audit errors file", err)
		return
	}
	name := strings.TrimSuffix(b.FileName, filepath.Ext(b.FileName))
	if name == "" {
		name = b.Kind
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name+"-错误行.csv"))
	ew := ingest.NewErrorsWriter(w)
	f := store.ReturnFilter{Batch: b.ID, Original: true, Limit: 1000}
	for {
		page, err := s.opts.Store.ListReturns(r.Context(), f)
		if err != nil {
			noteError(r.Context(), err)
			return
		}
		for _, rt := range page {
			if err := ew.Write(rt.Header, rt.Row, rt.Original, rowErrors(rt)); err != nil {
				return
			}
		}
		if len(page) < f.Limit {
			break
		}
		f.AfterID = page[len(page)-1].ID
	}
	ew.Close()
}

func rowErrors(rt store.Return) []ingest.RowError {
	out := make([]ingest.RowError, len(rt.Reasons))
	for i, e := range rt.Reasons {
		out[i] = ingest.RowError{Row: rt.Row, Field: e.Field, Code: e.Code, Reason: e.Reason}
	}
	return out
}
