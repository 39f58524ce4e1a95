// Package ingest reads the files departments send — CSV in UTF-8 (with or
// without BOM) or GBK/GB18030, and XLSX — as rows of strings, streaming, so
// that a million-row file never sits in memory.
package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Table is a stream of rows. Row 0 is the header; data rows count from 1.
type Table interface {
	// Header returns the header row.
	Header() []string
	// Next returns the next data row and its 1-based number, or io.EOF.
	// The slice is reused by the next call.
	Next() (row []string, n int, err error)
	// Encoding names how the file was read ("UTF-8", "GB18030", "XLSX").
	Encoding() string
	Close() error
}

// ErrEmpty is returned for a file with no header row.
var ErrEmpty = errors.New("文件为空：没有表头行")

// Open opens path as a table: XLSX when it is a ZIP file, CSV otherwise.
func Open(path string) (Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	t, err := NewTable(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &closer{Table: t, c: f}, nil
}

type closer struct {
	Table
	c io.Closer
}

func (c *closer) Close() error { return errors.Join(c.Table.Close(), c.c.Close()) }

// NewTable reads r as XLSX (ZIP magic), JSON lines (one object per line,
// keyed by exchange code, field name or key: what xinyong export writes)
// or CSV (encoding detected).
func NewTable(r io.Reader) (Table, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic, _ := br.Peek(4)
	if bytes.Equal(magic, []byte("PK\x03\x04")) {
		return newXLSX(br)
	}
	if len(magic) > 0 && magic[0] == '{' {
		return newJSONLines(br)
	}
	return newCSV(br)
}

// sniffLimit bounds how far the CSV encoding sniffer looks for the first
// non-ASCII byte.
const sniffLimit = 1 << 20

// detectEncoding decides between UTF-8 and GB18030 from the bytes before
// the first non-ASCII character: a UTF-8 BOM, or valid UTF-8 around the
// first non-ASCII bytes, means UTF-8; anything else GB18030 (a superset of
// GBK and GB2312). A file whose first megabyte is ASCII is read as UTF-8.
func detectEncoding(br *bufio.Reader) (string, error) {
	if b, _ := br.Peek(3); bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
		return "UTF-8", nil
	}
	buf, err := br.Peek(sniffLimit)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", err
	}
	i := 0
	for i < len(buf) && buf[i] < utf8.RuneSelf {
		i++
	}
	if i == len(buf) {
		return "UTF-8", nil
	}
	// Judge a window of up to 256 bytes from the first non-ASCII byte,
	// ignoring a character cut at the window's end.
	w := buf[i:min(len(buf), i+256)]
	for len(w) > 0 {
		r, size := utf8.DecodeRune(w)
		if r == utf8.RuneError && size <= 1 {
			if len(w) < utf8.UTFMax && !utf8.FullRune(w) {
				break
			}
			return "GB18030", nil
		}
		w = w[size:]
	}
	return "UTF-8", nil
}

type csvTable struct {
	r        *csv.Reader
	header   []string
	n        int
	encoding string
}

func newCSV(br *bufio.Reader) (Table, error) {
	enc, err := detectEncoding(br)
	if err != nil {
		return nil, err
	}
	var src io.Reader = br
	if enc == "GB18030" {
		src = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	r := csv.NewReader(src)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	t := &csvTable{r: r, encoding: enc}
	h, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, ErrEmpty
	}
	if err != nil {
		return nil, fmt.Errorf("读取表头失败：%w", err)
	}
	t.header = append([]string(nil), h...)
	return t, nil
}

func (t *csvTable) Header() []string { return t.header }
func (t *csvTable) Encoding() string { return t.encoding }
func (t *csvTable) Close() error     { return nil }

func (t *csvTable) Next() ([]string, int, error) {
	row, err := t.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, 0, io.EOF
		}
		t.n++
		return nil, t.n, fmt.Errorf("第%d行无法解析：%w", t.n, err)
	}
	t.n++
	for i, v := range row {
		if !utf8.ValidString(v) {
			return row, t.n, fmt.Errorf("第%d行第%d列不是有效的UTF-8文本（文件编码不一致？）", t.n, i+1)
		}
	}
	return row, t.n, nil
}

// MaxXLSXUnzipped bounds what an XLSX file may unpack to, so that a
// crafted file cannot exhaust memory or disk.
const MaxXLSXUnzipped = 4 << 30

type xlsxTable struct {
	f      *excelize.File
	rows   *excelize.Rows
	header []string
	n      int
}

func newXLSX(r io.Reader) (Table, error) {
	f, err := excelize.OpenReader(r, excelize.Options{CultureInfo: excelize.CultureNameZhCN,
		UnzipSizeLimit: MaxXLSXUnzipped, UnzipXMLSizeLimit: 64 << 20})
	if err != nil {
		return nil, fmt.Errorf("无法打开XLSX文件：%w", err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, ErrEmpty
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("无法读取工作表“%s”：%w", sheets[0], err)
	}
	t := &xlsxTable{f: f, rows: rows}
	if !rows.Next() {
		t.Close()
		return nil, ErrEmpty
	}
	h, err := rows.Columns()
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("读取表头失败：%w", err)
	}
	t.header = h
	return t, nil
}

func (t *xlsxTable) Header() []string { return t.header }
func (t *xlsxTable) Encoding() string { return "XLSX" }
func (t *xlsxTable) Close() error     { return errors.Join(t.rows.Close(), t.f.Close()) }

func (t *xlsxTable) Next() ([]string, int, error) {
	if !t.rows.Next() {
		if err := t.rows.Error(); err != nil {
			return nil, 0, err
		}
		return nil, 0, io.EOF
	}
	t.n++
	row, err := t.rows.Columns()
	if err != nil {
		return nil, t.n, fmt.Errorf("第%d行无法读取：%w", t.n, err)
	}
	return row, t.n, nil
}

// rowsTable is a table over rows already in memory (an API batch).
type rowsTable struct {
	header []string
	rows   [][]string
	n      int
}

// NewRowsTable serves header and rows as a Table.
func NewRowsTable(header []string, rows [][]string) Table {
	return &rowsTable{header: header, rows: rows}
}

func (t *rowsTable) Header() []string { return t.header }
func (t *rowsTable) Encoding() string { return "JSON" }
func (t *rowsTable) Close() error     { return nil }

func (t *rowsTable) Next() ([]string, int, error) {
	if t.n == len(t.rows) {
		return nil, 0, io.EOF
	}
	t.n++
	return t.rows[t.n-1], t.n, nil
}
