package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
)

// BatchSize is how many accepted rows one transaction files. Big
// transactions write each touched index page once per batch rather than
// once per few rows; a killed import loses at most the batch in flight,
// which the re-run files. 5,000 files as fast as 10,000 did and halves
// the memory two batches in flight take (peak heap 230 → 120 MiB on the
// 200,000-row bench file).
const BatchSize = 5000

// Importer files validated rows through the one intake path shared by
// files and the API.
type Importer struct {
	Store    store.Store
	Catalog  *catalog.Catalog
	Calendar *calendar.Calendar
	// Hash is the store's keyed hash, used for the identity of a record
	// whose subject is a person.
	Hash func(string) []byte
	// Rules are rules across a row's fields that a kind's definition
	// cannot state, by kind code (an integrity event's 信息性质 must fit
	// its 监测事项: package integrity): a row they find fault with is
	// rejected like one the catalogue rejects, on every channel.
	Rules map[string]RowRule
	// NameCheck, when set, compares the accepted rows' subject names with
	// the registered holders of their codes (package registry) and returns
	// a warning per disagreement: the row is filed under the code's
	// subject as always, never renamed, and the sender is told. It is not
	// asked about the kinds in NameCheckSkip (the registrations themselves).
	NameCheck     func(ctx context.Context, rows []int, codes, names []string) ([]string, error)
	NameCheckSkip []string
}

// MaxNameWarnings is how many name warnings one intake lists.
const MaxNameWarnings = 1000

// checkNames asks NameCheck about a batch of accepted rows.
func (im *Importer) checkNames(ctx context.Context, kind string, rows []int, inputs []store.RecordInput, res *Result) error {
	if im.NameCheck == nil || slices.Contains(im.NameCheckSkip, kind) || len(res.NameWarnings) >= MaxNameWarnings {
		return nil
	}
	codes, names := make([]string, len(inputs)), make([]string, len(inputs))
	for i, in := range inputs {
		codes[i], names[i] = in.Subject.USCC, in.Subject.Name
	}
	ws, err := im.NameCheck(ctx, rows, codes, names)
	if err != nil {
		return err
	}
	for _, w := range ws {
		if len(res.NameWarnings) >= MaxNameWarnings {
			break
		}
		res.NameWarnings = append(res.NameWarnings, w)
	}
	return nil
}

// ProgressEvery is how many rows Options.Progress is told about at once.
const ProgressEvery = 1000

// RowRule checks a row the catalogue accepted and returns its field
// errors (nil: none).
type RowRule func(rec catalog.Record) []catalog.FieldError

// Options describe one intake.
type Options struct {
	Kind     string
	Dept     string // USCC of the sending department; when set, rows of other departments are rejected
	Channel  string // "file" or "api"
	FileName string
	FileHash string // hex SHA-256 of the file: an unfinished intake of the same file is resumed
	Reason   string // why changed records are sent again (更正原因), kept with their new versions
	// ReceivedAt, when set, is the receipt time of the batch instead of
	// now: for loading records another system received earlier.
	ReceivedAt time.Time
	// Rejected, when set, is told every rejected row with its reasons and
	// the header the row belongs to (for the --errors file).
	Rejected func(header []string, row int, values []string, errs []RowError) error
	// Progress, when set, is told how many rows were read so far.
	Progress func(rows int)
	// Outcomes asks for Result.Outcomes, one entry per row (the API's
	// per-record answer); a file import needs only the counts.
	Outcomes bool
}

// RowError is one reason a row was rejected.
type RowError struct {
	Row    int    `json:"row"`
	Field  string `json:"field"`          // the field's Chinese name as in the standard
	Code   string `json:"code,omitempty"` // its exchange code
	Reason string `json:"reason"`
}

// Result counts an intake. Row numbers are 1-based data rows.
type Result struct {
	Rows      int        `json:"rows"`
	Accepted  int        `json:"accepted"`
	Updated   int        `json:"updated"`
	Unchanged int        `json:"unchanged"`
	Rejected  []RowError `json:"rejected"`
	// Outcomes has, per data row in order, what happened: filed rows carry
	// the record id. Not part of the JSON summary.
	Outcomes []RowOutcome `json:"-"`
	Batch    int64        `json:"-"`
	Resumed  bool         `json:"-"`
	Warnings []string     `json:"-"`
	// NameWarnings are the rows whose subject name disagrees with the
	// registered holder of their code (at most MaxNameWarnings).
	NameWarnings []string `json:"name_warnings,omitempty"`
}

// RowOutcome is the fate of one row.
type RowOutcome struct {
	Row    int
	Change store.Change // "" when rejected
	ID     int64
	Errs   []RowError
}

// HeaderError means the file's header cannot be used: nothing is filed.
type HeaderError struct{ Err error }

func (e *HeaderError) Error() string { return "表头不符合标准：" + e.Err.Error() }
func (e *HeaderError) Unwrap() error { return e.Err }

// Import reads every row of t and files the valid ones, in batches.
func (im *Importer) Import(ctx context.Context, t Table, opt Options) (Result, error) {
	kind, ok := im.Catalog.Kind(opt.Kind)
	if !ok {
		return Result{}, fmt.Errorf("未知的信息类别：%s", opt.Kind)
	}
	cols, skipped, header, err := findHeader(kind, t)
	if err != nil {
		return Result{}, &HeaderError{err}
	}
	batch, resumed, err := im.Store.StartIntake(ctx, store.IntakeBatch{
		Kind: kind.Code, Dept: opt.Dept, Channel: opt.Channel, FileName: opt.FileName, FileHash: opt.FileHash,
		ReceivedAt: opt.ReceivedAt,
	})
	if err != nil {
		return Result{}, err
	}
	res := Result{Batch: batch.ID, Resumed: resumed, Warnings: cols.Warnings, Rejected: []RowError{}}
	received := calendar.FromTime(batch.ReceivedAt)

	// The writer files batches while the reader parses and validates the
	// next one.
	type pending struct {
		rows     []int
		inputs   []store.RecordInput
		prepared store.PreparedRecords
	}
	work := make(chan pending, 1)
	werr := make(chan error, 1)
	var outcomes []RowOutcome
	go func() {
		var err error
		for p := range work {
			if err != nil {
				continue
			}
			var out []store.RecordOutcome
			out, err = im.Store.PutPreparedRecords(ctx, batch.ID, p.prepared)
			for i, o := range out {
				switch o.Change {
				case store.Created:
					res.Accepted++
				case store.Updated:
					res.Updated++
				case store.Unchanged:
					res.Unchanged++
				}
				if opt.Outcomes {
					outcomes = append(outcomes, RowOutcome{Row: p.rows[i], Change: o.Change, ID: o.ID})
				}
			}
		}
		werr <- err
	}()

	newPending := func() pending {
		return pending{rows: make([]int, 0, BatchSize), inputs: make([]store.RecordInput, 0, BatchSize)}
	}
	cur := newPending()
	var rejected []RowOutcome
	var readErr error
	// Every rejected row is returned (退回) to the department, in chunks
	// as they come.
	var returns []store.ReturnInput
	anyReturned := false
	returnRow := func(n int, row []string, errs []RowError, parsed bool) error {
		returns = append(returns, im.returnOf(kind, cols, header, n, row, errs, received, opt.Dept, parsed))
		anyReturned = true
		if len(returns) < returnChunk {
			return nil
		}
		err := im.Store.AddReturns(ctx, batch.ID, returns)
		returns = returns[:0]
		return err
	}
	for {
		row, n, err := t.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		n -= skipped
		if err != nil {
			if n == 0 {
				readErr = err
				break
			}
			// A row that cannot be parsed is rejected like an invalid one.
			res.Rows++
			re := []RowError{{Row: n, Field: "", Reason: err.Error()}}
			rejected = appendRejected(rejected, opt, RowOutcome{Row: n, Errs: re})
			if err := im.reject(opt, header, n, row, re, &res); err != nil {
				readErr = err
				break
			}
			if err := returnRow(n, row, re, false); err != nil {
				readErr = err
				break
			}
			continue
		}
		if catalog.IsBlankRow(row) {
			continue
		}
		res.Rows++
		if opt.Progress != nil && res.Rows%ProgressEvery == 0 {
			opt.Progress(res.Rows)
		}
		in, errs := im.validate(kind, cols, row, n, received, opt.Dept)
		in.Reason = opt.Reason
		if errs != nil {
			rejected = appendRejected(rejected, opt, RowOutcome{Row: n, Errs: errs})
			if err := im.reject(opt, header, n, row, errs, &res); err != nil {
				readErr = err
				break
			}
			if err := returnRow(n, row, errs, true); err != nil {
				readErr = err
				break
			}
			continue
		}
		cur.rows = append(cur.rows, n)
		cur.inputs = append(cur.inputs, in)
		if len(cur.inputs) == BatchSize {
			if readErr = im.checkNames(ctx, kind.Code, cur.rows, cur.inputs, &res); readErr != nil {
				break
			}
			// Hashing and encryption happen here, beside the parsing,
			// while the writer files the previous batch.
			if cur.prepared, readErr = im.Store.PrepareRecords(cur.inputs); readErr != nil {
				break
			}
			cur.inputs = nil // prepared: the rows' canonical content is hashed and let go
			select {
			case work <- cur:
			case <-ctx.Done():
			}
			cur = newPending()
		}
		if ctx.Err() != nil {
			readErr = ctx.Err()
			break
		}
	}
	if readErr == nil && len(cur.inputs) > 0 {
		readErr = im.checkNames(ctx, kind.Code, cur.rows, cur.inputs, &res)
	}
	if readErr == nil && len(cur.inputs) > 0 {
		if cur.prepared, readErr = im.Store.PrepareRecords(cur.inputs); readErr == nil {
			work <- cur
		}
	}
	close(work)
	if err := <-werr; err != nil {
		return res, fmt.Errorf("写入数据库失败（已写入的批次保留，重新导入同一文件即可继续）：%w", err)
	}
	if readErr != nil {
		return res, readErr
	}
	if opt.Progress != nil {
		opt.Progress(res.Rows)
	}
	if opt.Outcomes {
		res.Outcomes = mergeOutcomes(outcomes, rejected)
	}
	if anyReturned {
		// The last chunk; the call also closes returns of this file that
		// a later row of it fixed.
		if err := im.Store.AddReturns(ctx, batch.ID, returns); err != nil {
			return res, fmt.Errorf("退回信息写入失败（重新导入同一文件即可继续）：%w", err)
		}
	}
	var rej []store.Rejection
	for _, r := range res.Rejected {
		rej = append(rej, store.Rejection{Row: r.Row, Field: r.Field, Reason: r.Reason})
	}
	st := store.IntakeStats{Rows: res.Rows, Accepted: res.Accepted, Updated: res.Updated, Unchanged: res.Unchanged, Rejected: len(rejected),
		Warnings: res.Warnings, NameWarnings: res.NameWarnings}
	if err := im.Store.FinishIntake(ctx, batch.ID, st, rej); err != nil {
		return res, err
	}
	return res, nil
}

func (im *Importer) reject(opt Options, header []string, n int, row []string, errs []RowError, res *Result) error {
	res.Rejected = append(res.Rejected, errs...)
	if opt.Rejected != nil {
		return opt.Rejected(header, n, row, errs)
	}
	return nil
}

// appendRejected keeps a rejected row's outcome when outcomes are asked
// for; the count of rejected rows is len of the result either way.
func appendRejected(list []RowOutcome, opt Options, o RowOutcome) []RowOutcome {
	if !opt.Outcomes {
		o.Errs = nil
	}
	return append(list, o)
}

// maxTitleRows is how many rows above the header a file may have: exported
// templates often start with a title row (陕西省行政处罚信息表) or a note.
const maxTitleRows = 5

// findHeader takes the first row as the header, or, when it does not match
// the kind, the first of the next rows that does (title rows above the
// header are skipped). It returns how many rows were skipped, so that data
// rows are still numbered from 1 after the header, and the header found.
func findHeader(kind *catalog.Kind, t Table) (catalog.Columns, int, []string, error) {
	header := t.Header()
	cols, first := kind.MatchHeader(header)
	if first == nil {
		return cols, 0, header, nil
	}
	for skipped := 1; skipped <= maxTitleRows; skipped++ {
		row, _, err := t.Next()
		if err != nil {
			break
		}
		if catalog.IsBlankRow(row) {
			continue
		}
		header = append([]string(nil), row...)
		if cols, err := kind.MatchHeader(header); err == nil {
			return cols, skipped, header, nil
		}
	}
	return catalog.Columns{}, 0, nil, first
}

// mergeOutcomes interleaves filed and rejected rows in row order.
func mergeOutcomes(filed, rejected []RowOutcome) []RowOutcome {
	out := make([]RowOutcome, 0, len(filed)+len(rejected))
	i, j := 0, 0
	for i < len(filed) || j < len(rejected) {
		if j == len(rejected) || (i < len(filed) && filed[i].Row < rejected[j].Row) {
			out = append(out, filed[i])
			i++
		} else {
			out = append(out, rejected[j])
			j++
		}
	}
	return out
}

// subjectField maps the registry's subject fields to the catalogue's keys,
// so that a subject the registry refuses is reported on the row's field.
var subjectField = map[string]string{
	"uscc": "subject_uscc", "reg_no": "subject_reg_no", "id_number": "subject_id_number",
	"name": "subject_name", "class": "subject_class", "region": "subject_uscc",
}

// validate checks one row and turns it into a record to file. received,
// the day the batch was received (in China), is also the day of validation.
func (im *Importer) validate(kind *catalog.Kind, cols catalog.Columns, row []string, n int, received calendar.Date, dept string) (store.RecordInput, []RowError) {
	rec, ferrs := kind.Validate(row, cols, received)
	if rule := im.Rules[kind.Code]; ferrs == nil && rule != nil {
		ferrs = rule(rec)
	}
	if ferrs != nil {
		errs := make([]RowError, len(ferrs))
		for i, e := range ferrs {
			errs[i] = RowError{Row: n, Field: e.Name, Code: e.Code, Reason: e.Reason}
		}
		return store.RecordInput{}, errs
	}
	sub := rec.Subject()
	if err := sub.Validate(); err != nil {
		var fe *credit.FieldError
		key := "subject_name"
		reason := err.Error()
		if errors.As(err, &fe) {
			if k, ok := subjectField[fe.Field]; ok {
				key = k
			}
			reason = fe.Reason
		}
		f, _ := kind.Field(key)
		e := RowError{Row: n, Field: key, Reason: reason}
		if f != nil {
			e.Field, e.Code = f.Name, f.Code
		}
		return store.RecordInput{}, []RowError{e}
	}
	if dept != "" && rec.SourceDeptUSCC() != dept {
		e := RowError{Row: n, Field: "数据来源单位统一社会信用代码", Reason: "与报送单位的统一社会信用代码不一致：只能报送本单位的数据"}
		if f, ok := kind.Field("source_dept_uscc"); ok {
			e.Field, e.Code = f.Name, f.Code
		}
		return store.RecordInput{}, []RowError{e}
	}
	dd := rec.DecisionDate()
	wd, late := kind.Timeliness(dd, received, im.Calendar)
	public, private := recordFields(kind, rec)
	var decider string
	if k := kind.AuthorityKey(); k != "" {
		decider = rec.Get(k)
	}
	return store.RecordInput{
		Kind:         kind.Code,
		Identity:     rec.IdentityKey(im.Hash),
		Subject:      sub,
		SourceDept:   rec.SourceDeptUSCC(),
		DecisionNo:   rec.DecisionNo(),
		DecisionDate: dd.String(),
		Fields:       public,
		Private:      private,
		Content:      rec.Canonical(),
		WorkingDays:  wd,
		Late:         late,
		Bad:          rec.Nature() == catalog.NatureBad,
		Decider:      decider,
	}, nil
}

// recordFields encodes a record's filled fields: the public part with ID
// numbers masked (store.Fields, the compact encoding), and the private
// part, a JSON object with the ID numbers in clear (nil when there are
// none), which the store encrypts.
func recordFields(kind *catalog.Kind, rec catalog.Record) (public, private []byte) {
	size := 1
	for _, f := range kind.Fields {
		if v := rec.Get(f.Key); v != "" {
			size += len(v) + 3
		}
	}
	pub := store.NewFields(size)
	for _, f := range kind.Fields {
		v := rec.Get(f.Key)
		if v == "" {
			continue
		}
		if f.Type == catalog.TypeIDNumber {
			if private == nil {
				private = []byte{'{'}
			} else {
				private = append(private, ',')
			}
			private = appendJSONPair(private, f.Key, v)
			v = credit.MaskID(v)
		}
		pub.Add(f.Key, v)
	}
	if private != nil {
		private = append(private, '}')
	}
	return pub.Bytes(), private
}

func appendJSONPair(b []byte, k, v string) []byte {
	b = appendJSONString(b, k)
	b = append(b, ':')
	return appendJSONString(b, v)
}

// appendJSONString quotes s as a JSON string (s is valid UTF-8).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == '\u2028' || r == '\u2029' {
				b = append(b, `\u202`...)
				b = append(b, byte('8'+r-'\u2028'))
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xF])
		default:
			b = append(b, c)
		}
		i++
	}
	return append(b, '"')
}

// returnChunk is how many returned rows an import files at once.
const returnChunk = 1000

// returnOf makes the return (退回) of a rejected row: its reasons, the row
// as sent (stored encrypted), the row with personal identifiers masked
// (shown), the department it goes back to (the sender; without one, the
// row's 数据来源单位 when that is a valid code) and the identity of the
// record it meant, so that a valid version of it closes the return. parsed
// is false for a row that could not be read (it has no identity).
func (im *Importer) returnOf(kind *catalog.Kind, cols catalog.Columns, header []string, n int, row []string, errs []RowError,
	received calendar.Date, dept string, parsed bool) store.ReturnInput {
	r := store.ReturnInput{Row: n, Kind: kind.Code, Dept: dept, Header: header,
		Original: append([]string(nil), row...), Masked: make([]string, len(row))}
	for j, v := range row {
		switch f := cols.FieldAt(j); {
		case f != nil && f.Type == catalog.TypeIDNumber:
			r.Masked[j] = credit.MaskID(strings.TrimSpace(v))
		case f != nil && (f.Type == catalog.TypeUSCC || f.Type == catalog.TypeOrgCode || f.Type == catalog.TypeGS15):
			r.Masked[j] = v
		default:
			r.Masked[j] = credit.MaskIDsIn(v)
		}
	}
	for _, e := range errs {
		r.Reasons = append(r.Reasons, store.ReturnReason{Field: e.Field, Code: e.Code, Reason: e.Reason})
	}
	if !parsed {
		return r
	}
	cell := func(key string) string {
		if j := cols.Column(key); j >= 0 && j < len(row) {
			return strings.TrimSpace(row[j])
		}
		return ""
	}
	if kind.DecisionNo != "" {
		r.DecisionNo = cell(kind.DecisionNo)
	}
	if r.Dept == "" {
		if u := cell(kind.SourceDept.USCC); code.Check(code.KindUSCC, u).Status == code.StatusValid {
			r.Dept = u
		}
	}
	if id, ok := kind.RowIdentity(row, cols, received, im.Hash); ok {
		r.Identity = id
	}
	return r
}

// Check validates every row of t as Import would, files nothing and opens
// no batch: a form checks its one row with it, so that a mistake is shown
// on the form instead of becoming a return. Result counts the rows and
// lists the reasons of the rejected ones (Rejected); Accepted counts the
// valid rows.
func (im *Importer) Check(t Table, opt Options) (Result, error) {
	kind, ok := im.Catalog.Kind(opt.Kind)
	if !ok {
		return Result{}, fmt.Errorf("未知的信息类别：%s", opt.Kind)
	}
	cols, skipped, _, err := findHeader(kind, t)
	if err != nil {
		return Result{}, &HeaderError{err}
	}
	received := calendar.Today()
	if !opt.ReceivedAt.IsZero() {
		received = calendar.FromTime(opt.ReceivedAt)
	}
	res := Result{Rejected: []RowError{}, Warnings: cols.Warnings}
	for {
		row, n, err := t.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		n -= skipped
		if err != nil {
			if n == 0 {
				return res, err
			}
			res.Rows++
			res.Rejected = append(res.Rejected, RowError{Row: n, Reason: err.Error()})
			continue
		}
		if catalog.IsBlankRow(row) {
			continue
		}
		res.Rows++
		if _, errs := im.validate(kind, cols, row, n, received, opt.Dept); errs != nil {
			res.Rejected = append(res.Rejected, errs...)
			continue
		}
		res.Accepted++
	}
	return res, nil
}
