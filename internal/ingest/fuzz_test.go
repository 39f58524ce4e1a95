package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
)

// FuzzTable feeds arbitrary bytes to the table reader (CSV in any
// encoding, or XLSX when it starts like a ZIP) and validates every row
// against the 行政处罚 kind: nothing may panic, row numbers must count
// up from 1, and the reader must end.
func FuzzTable(f *testing.F) {
	k, _ := catalog.Default().Kind("cf")
	var hdr bytes.Buffer
	for i, fl := range k.Fields {
		if i > 0 {
			hdr.WriteByte(',')
		}
		hdr.WriteString(fl.Name)
	}
	f.Add([]byte(hdr.String() + "\n甲公司,法人及非法人组织,91350100M000100Y43\n"))
	f.Add([]byte("\ufeffCF_XDR_MC,CF_WSH\n\"a,b\",\"x\"\"y\"\n"))
	f.Add([]byte{0xd0, 0xd0, 0xd5, 0xfe, ',', 0xc3, 0xfb, '\n', 0xb9, 0xab, ',', 'x', '\n'})
	f.Add([]byte("a,\"unterminated\n"))
	f.Add([]byte("PK\x03\x04garbage"))
	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"行政相对人名称", "行政处罚决定书文号"})
	x.SetSheetRow("Sheet1", "A2", &[]any{"乙公司", 12345})
	var xb bytes.Buffer
	x.WriteTo(&xb)
	f.Add(xb.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		tbl, err := NewTable(bytes.NewReader(data))
		if err != nil {
			return
		}
		defer tbl.Close()
		cols, herr := k.MatchHeader(tbl.Header())
		want := 1
		for i := 0; i < 100000; i++ {
			row, n, err := tbl.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if n != want {
				t.Fatalf("row number %d, want %d", n, want)
			}
			want++
			if err != nil {
				continue
			}
			if herr == nil {
				k.Validate(row, cols, calendar.Today())
			}
		}
		t.Fatal("reader did not end")
	})
}

// FuzzObjectsTable feeds arbitrary JSON to the API's record decoding.
func FuzzObjectsTable(f *testing.F) {
	f.Add([]byte(`[{"CF_XDR_MC":"甲","CF_NR_FK":0.2},{"CF_WSH":"x"}]`))
	f.Add([]byte(`[{"a":[1]},{"b":{"c":1}},{"d":true},{"e":null}]`))
	f.Add([]byte(`[{}]`))
	k, _ := catalog.Default().Kind("cf")
	f.Fuzz(func(t *testing.T, data []byte) {
		var objs []map[string]any
		if json.Unmarshal(data, &objs) != nil {
			return
		}
		tbl, err := ObjectsTable(objs)
		if err != nil {
			return
		}
		cols, herr := k.MatchHeader(tbl.Header())
		n := 0
		for {
			row, _, err := tbl.Next()
			if err != nil {
				break
			}
			n++
			if len(row) != len(tbl.Header()) {
				t.Fatalf("row of %d values for %d columns", len(row), len(tbl.Header()))
			}
			if herr == nil {
				k.Validate(row, cols, calendar.Today())
			}
		}
		if n != len(objs) {
			t.Fatalf("%d rows for %d objects", n, len(objs))
		}
	})
}
