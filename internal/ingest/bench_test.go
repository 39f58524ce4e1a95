package ingest

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkImportCSV imports b.N generated 行政处罚 rows from a CSV in
// memory into a fresh SQLite database; ns/op is per row.
func BenchmarkImportCSV(b *testing.B) {
	t := &testing.T{}
	k := kind(t, "cf")
	header, rows := sampleRows(t, k, b.N, 1)
	data := csvBytes(header, rows)
	s := backends["sqlite"](&testing.T{})
	b.ResetTimer()
	tbl, err := NewTable(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	res, err := importer(s).Import(context.Background(), tbl, Options{Kind: "cf", Channel: "file"})
	if err != nil || res.Accepted != b.N {
		b.Fatalf("%+v %v", res, err)
	}
}
