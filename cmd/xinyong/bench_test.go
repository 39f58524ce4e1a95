package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/store/pgtest"
)

// benchLines are the lines bench import prints, with numbers; a line ending
// where the pattern does also says no row was rejected.
func benchLines(driver string, rows string) []string {
	return []string{
		`(?m)^rows ` + rows + `  kind cf  driver ` + driver + `  cpus \d+  GOMAXPROCS \d+  go\S+$`,
		`(?m)^generate csv +\d+\.\d s +\d+\.\d MiB$`,
		`(?m)^import csv +\d+\.\d s +[\d,]+ rows/s +peak heap \d+\.\d MiB +max RSS \d+\.\d MiB$`,
		`(?m)^raw bulk insert +\d+\.\d s +[\d,]+ rows/s +import/raw \d+\.\d\d$`,
		`(?m)^generate xlsx +\d+\.\d s +\d+\.\d MiB$`,
		`(?m)^import xlsx +\d+\.\d s +[\d,]+ rows/s +peak heap \d+\.\d MiB +max RSS \d+\.\d MiB$`,
	}
}

func checkLines(t *testing.T, out string, patterns []string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(out) {
			t.Errorf("no line matching %s in\n%s", p, out)
		}
	}
}

// TestBenchImport runs a small bench on SQLite. It asserts what is
// printed, never how fast: timings are for the real runs.
func TestBenchImport(t *testing.T) {
	t.Parallel()
	keep := t.TempDir()
	code, out, errs := runCmd(t, "", nil, "bench", "import", "--rows", "2000", "--format", "both", "--keep", keep)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	checkLines(t, out, benchLines("sqlite", "2000"))
	if !strings.Contains(out, "note: xlsx imported into a new temporary SQLite database") {
		t.Errorf("no note on where the XLSX went:\n%s", out)
	}
	for _, f := range []string{"bench-cf-2000.csv", "bench-cf-2000.xlsx"} {
		if st, err := os.Stat(filepath.Join(keep, f)); err != nil || st.Size() == 0 {
			t.Errorf("--keep: %s: %v", f, err)
		}
	}
}

func TestBenchImportJSON(t *testing.T) {
	t.Parallel()
	code, out, errs := runCmd(t, "", nil, "bench", "import", "--rows", "500", "--kind", "xk", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r benchReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if r.Rows != 500 || r.Kind != "xk" || r.Driver != "sqlite" || r.GenerateCSV == nil || r.GenerateCSV.Bytes == 0 {
		t.Fatalf("%+v", r)
	}
	im := r.ImportCSV
	if im == nil || im.Rows != 500 || im.Accepted != 500 || im.Rejected != 0 || im.RowsPerSec <= 0 || im.PeakHeapInuse == 0 {
		t.Fatalf("import: %+v", im)
	}
	if r.Raw == nil || r.Raw.Rows != 500 || r.Raw.RowsPerSec <= 0 || r.ImportRawRatio <= 0 {
		t.Fatalf("raw: %+v ratio %v", r.Raw, r.ImportRawRatio)
	}
	if r.GenerateXLSX != nil || r.ImportXLSX != nil {
		t.Errorf("xlsx ran with the default --format csv")
	}
}

func TestBenchImportRefusals(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runCmd(t, "", nil, "migrate", "--data", dir); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := runCmd(t, "", nil, "bench", "import", "--rows", "10", "--data", dir); code != 1 || !strings.Contains(errs, "without a database") {
		t.Errorf("non-empty --data: exit %d, %q", code, errs)
	}
	for _, args := range [][]string{{"bench"}, {"bench", "export"}, {"bench", "import", "--format", "tsv"}, {"bench", "import", "--rows", "0"}, {"bench", "import", "--kind", "zz"}} {
		if code, _, errs := runCmd(t, "", nil, args...); code != 2 {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
	}
	code, out, _ := runCmd(t, "", nil, "bench", "import", "--help")
	if code != 0 || !strings.Contains(out, "Usage: xinyong bench import") || strings.Contains(out, "profile") {
		t.Errorf("--help: exit %d, %q", code, out)
	}
}

func TestBenchImportPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	code, out, errs := runCmd(t, "", nil, "bench", "import", "--rows", "1000", "--format", "both", "--db", dsn)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	checkLines(t, out, benchLines("postgres", "1000"))
	// The database now holds the records: a second run is refused.
	if code, _, errs := runCmd(t, "", nil, "bench", "import", "--rows", "10", "--db", dsn); code != 1 || !strings.Contains(errs, "empty database") {
		t.Errorf("non-empty --db: exit %d, %q", code, errs)
	}
}
