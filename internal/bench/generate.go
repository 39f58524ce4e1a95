// Package bench measures the intake path: it writes generated record files
// (CSV and XLSX), bulk-inserts their rows raw as a baseline, and samples
// memory while a phase runs. The bench import command drives it.
package bench

import (
	"bufio"
	"encoding/csv"
	"errors"
	"os"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/demo"
)

// File is a generated file.
type File struct {
	Path    string
	Rows    int
	Bytes   int64
	Elapsed time.Duration
}

// Header returns the kind's header: the fields' Chinese names in the
// standard's order.
func Header(kind *catalog.Kind) []string {
	h := make([]string, len(kind.Fields))
	for i, f := range kind.Fields {
		h[i] = f.Name
	}
	return h
}

// WriteCSV writes a UTF-8 CSV file (no BOM) of opt.Rows valid rows of kind
// with the Chinese header, as demo.Records generates them.
func WriteCSV(path string, kind *catalog.Kind, opt demo.RecordOptions) (File, error) {
	start := time.Now()
	f, err := os.Create(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	b := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(b)
	if err := w.Write(Header(kind)); err != nil {
		return File{}, err
	}
	n := 0
	err = demo.Records(kind, opt, func(row []string) error {
		n++
		return w.Write(row)
	})
	if err != nil {
		return File{}, err
	}
	w.Flush()
	if err := errors.Join(w.Error(), b.Flush(), f.Sync()); err != nil {
		return File{}, err
	}
	st, err := f.Stat()
	if err != nil {
		return File{}, err
	}
	return File{Path: path, Rows: n, Bytes: st.Size(), Elapsed: time.Since(start)}, f.Close()
}

// WriteXLSX writes the same rows as WriteCSV to the first sheet of an XLSX
// file with excelize's stream writer. Empty values are left out, as a
// spreadsheet program would.
func WriteXLSX(path string, kind *catalog.Kind, opt demo.RecordOptions) (File, error) {
	start := time.Now()
	x := excelize.NewFile()
	defer x.Close()
	sheet := x.GetSheetList()[0]
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return File{}, err
	}
	vals := make([]any, len(kind.Fields))
	for i, h := range Header(kind) {
		vals[i] = h
	}
	if err := sw.SetRow("A1", vals); err != nil {
		return File{}, err
	}
	n := 0
	err = demo.Records(kind, opt, func(row []string) error {
		n++
		for i, v := range row {
			if v == "" {
				vals[i] = nil
			} else {
				vals[i] = v
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, n+1)
		if err != nil {
			return err
		}
		return sw.SetRow(cell, vals)
	})
	if err != nil {
		return File{}, err
	}
	if err := sw.Flush(); err != nil {
		return File{}, err
	}
	if err := x.SaveAs(path); err != nil {
		return File{}, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return File{}, err
	}
	return File{Path: path, Rows: n, Bytes: st.Size(), Elapsed: time.Since(start)}, nil
}
