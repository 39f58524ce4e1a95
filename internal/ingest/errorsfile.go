package ingest

import (
	"bufio"
	"encoding/csv"
	"io"
	"strings"
)

// ReasonHeader is the reason column's header in an errors file.
const ReasonHeader = "错误原因"

// ErrorsWriter writes rejected rows as CSV: a header and the rows, each
// with a last column of its reasons, ready to fix and send again (the
// extra column is ignored on import). UTF-8 with a byte order mark, for
// spreadsheet programs. The command line's --errors file and the errors
// file of a web upload are written by it.
type ErrorsWriter struct {
	buf    *bufio.Writer
	w      *csv.Writer
	header bool
}

// NewErrorsWriter starts an errors file on w.
func NewErrorsWriter(w io.Writer) *ErrorsWriter {
	b := bufio.NewWriter(w)
	b.WriteString("\ufeff")
	return &ErrorsWriter{buf: b, w: csv.NewWriter(b)}
}

// Reasons joins a row's reasons as the reason column shows them.
func Reasons(errs []RowError) string {
	reasons := make([]string, len(errs))
	for i, e := range errs {
		if e.Field != "" {
			reasons[i] = e.Field + "：" + e.Reason
		} else {
			reasons[i] = e.Reason
		}
	}
	return strings.Join(reasons, "；")
}

// Write writes one rejected row, after the header the first time; it has
// the signature of Options.Rejected.
func (e *ErrorsWriter) Write(header []string, _ int, values []string, errs []RowError) error {
	if !e.header {
		e.header = true
		if err := e.w.Write(append(append([]string(nil), header...), ReasonHeader)); err != nil {
			return err
		}
	}
	return e.w.Write(append(append([]string(nil), values...), Reasons(errs)))
}

// Close flushes the file.
func (e *ErrorsWriter) Close() error {
	e.w.Flush()
	if err := e.w.Error(); err != nil {
		return err
	}
	return e.buf.Flush()
}
