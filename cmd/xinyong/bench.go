package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/bench"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

const benchSynopsis = "bench import [--rows N] [--kind cf|xk] [--format csv|xlsx|both] [--subjects N] [--seed N] [--keep DIR] [--json] [--data DIR | --db DSN]\n\n" +
	"Generates a file of valid records and imports it the way xinyong import does (full validation), reporting\n" +
	"rows/s and peak memory, next to the engine's own bulk loader on the same file in the same run (the reference:\n" +
	"sqlite3 .import into a new database file, or psql \\copy into a scratch table; the ratio import/reference is\n" +
	"the figure to watch) and a raw bulk insert of the same rows from this process into a scratch table.\n\n" +
	"The database must be empty: without --data or --db (or their XINYONG_* variables) a new SQLite database in a\n" +
	"temporary directory, removed afterwards (the --data default below does not apply);\n" +
	"--data DIR must not hold a database with tables yet; --db must name an empty PostgreSQL database. The\n" +
	"imported records stay in a database you name (drop it afterwards). With --format both the XLSX file goes\n" +
	"into another fresh database: a temporary SQLite database, or with --db a new schema " + benchXLSXSchema + "\n" +
	"of the same PostgreSQL database, dropped afterwards. Unless --data-key is given a throwaway data key is used.\n" +
	"Memory: peak heap is the largest runtime HeapInuse sampled every 20 ms; max RSS is getrusage's ru_maxrss,\n" +
	"reset when each import starts (Linux), so it is that import's peak."

// benchXLSXSchema is the PostgreSQL schema the XLSX import of --format
// both uses when --db is given.
const benchXLSXSchema = "xinyong_bench_xlsx"

func runBench(ctx context.Context, env *environ, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "import":
			return runBenchImport(ctx, env, args[1:])
		case "portal":
			return runBenchPortal(ctx, env, args[1:])
		case "report":
			return runBenchReport(ctx, env, args[1:])
		case "evaluate":
			return runBenchEvaluate(ctx, env, args[1:])
		case "registry":
			return runBenchRegistry(ctx, env, args[1:])
		case "draw":
			return runBenchDraw(ctx, env, args[1:])
		case "exchange":
			return runBenchExchange(ctx, env, args[1:])
		}
	}
	fmt.Fprintln(env.stderr, "Usage: xinyong bench import [flags]   (xinyong bench import --help for the flags)")
	fmt.Fprintln(env.stderr, "       xinyong bench portal [flags]   (xinyong bench portal --help for the flags)")
	fmt.Fprintln(env.stderr, "       xinyong bench report [flags]   (xinyong bench report --help for the flags)")
	fmt.Fprintln(env.stderr, "       xinyong bench evaluate [flags] (xinyong bench evaluate --help for the flags)")
	fmt.Fprintln(env.stderr, "       xinyong bench draw [flags]     (xinyong bench draw --help for the flags)")
	fmt.Fprintln(env.stderr, "       xinyong bench exchange [flags] (xinyong bench exchange --help for the flags)")
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		return nil
	}
	return &exitError{code: 2}
}

// benchFile is a generated file's figures.
type benchFile struct {
	Path    string  `json:"path,omitempty"` // only when kept
	Rows    int     `json:"rows"`
	Seconds float64 `json:"seconds"`
	Bytes   int64   `json:"bytes"`
}

// benchImportFigures are one import's figures.
type benchImportFigures struct {
	Database    string  `json:"database"`
	Seconds     float64 `json:"seconds"`      // hash + read + validate + file, as xinyong import does
	HashSeconds float64 `json:"hash_seconds"` // of which the file's SHA-256
	Rows        int     `json:"rows"`
	Accepted    int     `json:"accepted"`
	Rejected    int     `json:"rejected"`
	RowsPerSec  float64 `json:"rows_per_sec"`
	bench.Memory
}

// benchRawFigures are the raw bulk insert's figures.
type benchRawFigures struct {
	Method     string  `json:"method"`
	Seconds    float64 `json:"seconds"`
	Rows       int     `json:"rows"`
	RowsPerSec float64 `json:"rows_per_sec"`
}

// benchReport is the whole run, as --json prints it.
type benchReport struct {
	Rows           int                 `json:"rows"`
	Kind           string              `json:"kind"`
	Driver         string              `json:"driver"`
	CPUs           int                 `json:"cpus"`
	GOMAXPROCS     int                 `json:"gomaxprocs"`
	GoVersion      string              `json:"go_version"`
	GenerateCSV    *benchFile          `json:"generate_csv,omitempty"`
	ImportCSV      *benchImportFigures `json:"import_csv,omitempty"`
	Reference      *benchRawFigures    `json:"reference,omitempty"`              // sqlite3 .import or psql \copy of the same file
	ImportRefRatio float64             `json:"import_reference_ratio,omitempty"` // import rows/s ÷ reference rows/s
	Raw            *benchRawFigures    `json:"raw_bulk_insert,omitempty"`
	ImportRawRatio float64             `json:"import_raw_ratio,omitempty"` // import rows/s ÷ raw rows/s
	GenerateXLSX   *benchFile          `json:"generate_xlsx,omitempty"`
	ImportXLSX     *benchImportFigures `json:"import_xlsx,omitempty"`
	Notes          []string            `json:"notes"`
}

func runBenchImport(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "bench import", benchSynopsis)
	rows := fs.Int("rows", 1000000, "how many rows to generate")
	kindCode := fs.String("kind", "cf", "record kind to generate: cf (行政处罚) or xk (行政许可)")
	format := fs.String("format", "csv", "file format to generate and import: csv, xlsx or both")
	subjects := fs.Int("subjects", 0, "how many distinct subjects the rows name (0: rows/2)")
	seed := fs.Int64("seed", 1, "random seed of the generated rows")
	keep := fs.String("keep", "", "write the generated files to this directory and keep them (default: a temporary directory)")
	asJSON := fs.Bool("json", false, "print the figures as one JSON object")
	var prof benchProfiles
	fs.StringVar(&prof.cpu, "cpuprofile", "", "write a CPU profile of the first import to this file")
	fs.StringVar(&prof.mem, "memprofile", "", "write a heap profile taken when the first import ends to this file")
	hideFlags(env, fs, benchSynopsis, "cpuprofile", "memprofile")
	c, log, err := setup(env, fs, args, config.Storage)
	if err != nil {
		return err
	}
	kind, ok := catalog.Default().Kind(*kindCode)
	if !ok {
		return usageError("unknown --kind %q (see xinyong catalog list)", *kindCode)
	}
	if *rows < 1 {
		return usageError("--rows must be at least 1")
	}
	if *subjects < 0 {
		return usageError("--subjects must not be negative")
	}
	doCSV, doXLSX := *format == "csv" || *format == "both", *format == "xlsx" || *format == "both"
	if !doCSV && !doXLSX {
		return usageError("--format %q: want csv, xlsx or both", *format)
	}
	dataGiven := env.getenv("XINYONG_DATA") != ""
	fs.Visit(func(f *flag.Flag) { dataGiven = dataGiven || f.Name == "data" })

	work, err := os.MkdirTemp("", "xinyong-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	files := work
	if *keep != "" {
		if err := os.MkdirAll(*keep, 0o750); err != nil {
			return err
		}
		files = *keep
	}
	if c.DataKey == "" {
		k := make([]byte, 32)
		rand.Read(k)
		c.DataKey = hex.EncodeToString(k)
	}

	rep := &benchReport{Rows: *rows, Kind: kind.Code, Driver: "sqlite", CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion: runtime.Version(), Notes: []string{}}
	// The database the first import goes to must be empty.
	switch {
	case c.DB != "":
		rep.Driver = "postgres"
		n, err := bench.PostgresTables(ctx, c.DB)
		if err != nil {
			return fmt.Errorf("--db: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("--db: the database has %d tables; bench import needs an empty database (CREATE DATABASE … TEMPLATE template0)", n)
		}
	case dataGiven:
		path := filepath.Join(c.Data, sqlite.FileName)
		n, err := bench.SQLiteTables(ctx, path)
		if err != nil {
			return fmt.Errorf("--data: %s: %w", path, err)
		}
		if n > 0 {
			return fmt.Errorf("--data: %s has %d tables; bench import needs a directory without a database", path, n)
		}
	default:
		c.Data = filepath.Join(work, "data")
	}
	mainDB := func() string {
		switch {
		case c.DB != "":
			return "postgres"
		case dataGiven:
			return "sqlite " + c.Data
		}
		return "sqlite (temporary)"
	}()

	out := env.stdout
	if *asJSON {
		out = io.Discard
	}
	fmt.Fprintf(out, "rows %d  kind %s  driver %s  cpus %d  GOMAXPROCS %d  %s\n", rep.Rows, rep.Kind, rep.Driver, rep.CPUs, rep.GOMAXPROCS, rep.GoVersion)
	// Decisions up to yesterday (UTC): none is after the importer's today
	// in any time zone.
	ropt := demo.RecordOptions{Seed: *seed, Rows: *rows, Subjects: *subjects, Today: time.Now().UTC().AddDate(0, 0, -1)}
	name := fmt.Sprintf("bench-%s-%d", kind.Code, *rows)
	profile := prof

	if doCSV {
		log.Info("generating CSV", "rows", *rows)
		f, err := bench.WriteCSV(filepath.Join(files, name+".csv"), kind, ropt)
		if err != nil {
			return fmt.Errorf("generate CSV: %w", err)
		}
		rep.GenerateCSV = fileFigures(f, *keep != "")
		fmt.Fprintf(out, "%-16s %8.1f s  %10s MiB\n", "generate csv", rep.GenerateCSV.Seconds, mib(f.Bytes))

		log.Info("importing CSV", "database", mainDB)
		fig, err := benchImport(ctx, env, log, c, kind.Code, f.Path, profile)
		if err != nil {
			return fmt.Errorf("import CSV: %w", err)
		}
		profile = benchProfiles{}
		fig.Database = mainDB
		rep.ImportCSV = fig
		printImport(out, "import csv", fig)

		log.Info("reference bulk load")
		var ref bench.Raw
		if c.DB != "" {
			ref, err = bench.PsqlCopy(ctx, c.DB, f.Path)
			rep.Reference = &benchRawFigures{Method: `psql \copy (COPY FROM STDIN, CSV) into a table of TEXT columns`}
		} else {
			ref, err = bench.SQLiteImport(ctx, work, f.Path)
			rep.Reference = &benchRawFigures{Method: "sqlite3 .import (CSV) into a table of TEXT columns of a new database file"}
		}
		switch {
		case errors.Is(err, bench.ErrNoTool):
			rep.Notes = append(rep.Notes, "no reference: "+err.Error()+" (install sqlite3 or postgresql-client)")
			rep.Reference = nil
		case err != nil:
			return fmt.Errorf("reference bulk load: %w", err)
		default:
			rep.Reference.Rows, rep.Reference.Seconds, rep.Reference.RowsPerSec = ref.Rows, ref.Elapsed.Seconds(), perSec(ref.Rows, ref.Elapsed.Seconds())
			if rep.Reference.RowsPerSec > 0 {
				rep.ImportRefRatio = round(fig.RowsPerSec/rep.Reference.RowsPerSec, 3)
			}
			label := "sqlite3 .import"
			if c.DB != "" {
				label = `psql \copy`
			}
			fmt.Fprintf(out, "%-16s %8.1f s  %10s rows/s   import/reference %.2f\n", label, rep.Reference.Seconds, thousands(rep.Reference.RowsPerSec), rep.ImportRefRatio)
		}

		log.Info("raw bulk insert")
		var raw bench.Raw
		if c.DB != "" {
			raw, err = bench.RawPostgres(ctx, c.DB, f.Path)
			rep.Raw = &benchRawFigures{Method: "pgx CopyFrom into a TEXT scratch table"}
		} else {
			raw, err = bench.RawSQLite(ctx, filepath.Join(c.Data, sqlite.FileName), f.Path)
			rep.Raw = &benchRawFigures{Method: fmt.Sprintf("one transaction of %d-row INSERTs into a TEXT scratch table", bench.RawBatch)}
		}
		if err != nil {
			return fmt.Errorf("raw bulk insert: %w", err)
		}
		rep.Raw.Rows, rep.Raw.Seconds, rep.Raw.RowsPerSec = raw.Rows, raw.Elapsed.Seconds(), perSec(raw.Rows, raw.Elapsed.Seconds())
		if rep.Raw.RowsPerSec > 0 {
			rep.ImportRawRatio = round(fig.RowsPerSec/rep.Raw.RowsPerSec, 3)
		}
		fmt.Fprintf(out, "%-16s %8.1f s  %10s rows/s   import/raw %.2f\n", "raw bulk insert", rep.Raw.Seconds, thousands(rep.Raw.RowsPerSec), rep.ImportRawRatio)
		if *keep == "" {
			os.Remove(f.Path)
		}
	}

	if doXLSX {
		log.Info("generating XLSX", "rows", *rows)
		f, err := bench.WriteXLSX(filepath.Join(files, name+".xlsx"), kind, ropt)
		if err != nil {
			return fmt.Errorf("generate XLSX: %w", err)
		}
		rep.GenerateXLSX = fileFigures(f, *keep != "")
		fmt.Fprintf(out, "%-16s %8.1f s  %10s MiB\n", "generate xlsx", rep.GenerateXLSX.Seconds, mib(f.Bytes))

		xc, db := c, mainDB
		if doCSV {
			// The first database holds the CSV's records: another fresh one.
			if c.DB != "" {
				dsn, drop, err := bench.PostgresSchema(ctx, c.DB, benchXLSXSchema)
				if err != nil {
					return err
				}
				defer func() {
					if err := drop(context.WithoutCancel(ctx)); err != nil {
						log.Warn("drop scratch schema", "schema", benchXLSXSchema, "err", err)
					}
				}()
				xc.DB, db = dsn, "postgres schema "+benchXLSXSchema
				rep.Notes = append(rep.Notes, "xlsx imported into a new schema "+benchXLSXSchema+" of the same database, dropped afterwards")
			} else {
				xc.Data, db = filepath.Join(work, "data-xlsx"), "sqlite (temporary)"
				rep.Notes = append(rep.Notes, "xlsx imported into a new temporary SQLite database")
			}
		}
		log.Info("importing XLSX", "database", db)
		fig, err := benchImport(ctx, env, log, xc, kind.Code, f.Path, profile)
		if err != nil {
			return fmt.Errorf("import XLSX: %w", err)
		}
		fig.Database = db
		rep.ImportXLSX = fig
		printImport(out, "import xlsx", fig)
	}

	if (rep.ImportCSV != nil && !rep.ImportCSV.PhaseRSS) || (rep.ImportXLSX != nil && !rep.ImportXLSX.PhaseRSS) {
		rep.Notes = append(rep.Notes, "max RSS is the process's peak so far: it could not be reset per phase on this system")
	}
	if *keep != "" {
		rep.Notes = append(rep.Notes, "generated files kept in "+*keep)
	}
	if prof.cpu != "" {
		rep.Notes = append(rep.Notes, "CPU profile of the first import written to "+prof.cpu)
	}
	if prof.mem != "" {
		rep.Notes = append(rep.Notes, "heap profile at the end of the first import written to "+prof.mem)
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(out, "note:", n)
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	return nil
}

// benchProfiles name the profiles to write of the first import.
type benchProfiles struct{ cpu, mem string }

// benchImport imports the file at path into the database c names, as
// runImport does, timing the file's hash and the import and sampling
// memory meanwhile; it writes the profiles asked for.
func benchImport(ctx context.Context, env *environ, log *slog.Logger, c config.Config, kind, path string, prof benchProfiles) (*benchImportFigures, error) {
	s, keys, err := app.Open(ctx, c, log, true)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if prof.cpu != "" {
		pf, err := os.Create(prof.cpu)
		if err != nil {
			return nil, err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	m := bench.StartMeter()
	start := time.Now()
	hash, err := fileHash(path)
	if err != nil {
		m.Stop()
		return nil, err
	}
	hashed := time.Since(start)
	res, err := func() (ingest.Result, error) {
		t, err := ingest.Open(path)
		if err != nil {
			return ingest.Result{}, err
		}
		defer t.Close()
		im, err := app.Importer(config.Config{}, s, keys)
		if err != nil {
			return ingest.Result{}, err
		}
		return im.Import(ctx, t, ingest.Options{Kind: kind, Channel: "file", FileName: filepath.Base(path), FileHash: hash,
			Progress: importProgress(env, log)})
	}()
	elapsed := time.Since(start)
	mem := m.Stop()
	if err != nil {
		return nil, err
	}
	if prof.mem != "" {
		// The result (with its per-row outcomes) is still live here.
		runtime.GC()
		if err := writeHeapProfile(prof.mem); err != nil {
			return nil, err
		}
		runtime.KeepAlive(res)
	}
	rejected := map[int]bool{}
	for _, r := range res.Rejected {
		rejected[r.Row] = true
	}
	return &benchImportFigures{Seconds: elapsed.Seconds(), HashSeconds: hashed.Seconds(), Rows: res.Rows, Accepted: res.Accepted,
		Rejected: len(rejected), RowsPerSec: perSec(res.Rows, elapsed.Seconds()), Memory: mem}, nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func printImport(w io.Writer, label string, f *benchImportFigures) {
	fmt.Fprintf(w, "%-16s %8.1f s  %10s rows/s   peak heap %s MiB   max RSS %s MiB", label, f.Seconds, thousands(f.RowsPerSec),
		mib(int64(f.PeakHeapInuse)), mib(int64(f.MaxRSS)))
	if f.Rejected > 0 {
		fmt.Fprintf(w, "   REJECTED %d rows", f.Rejected)
	}
	fmt.Fprintln(w)
}

func fileFigures(f bench.File, kept bool) *benchFile {
	b := &benchFile{Rows: f.Rows, Seconds: f.Elapsed.Seconds(), Bytes: f.Bytes}
	if kept {
		b.Path = f.Path
	}
	return b
}

func perSec(n int, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return round(float64(n)/seconds, 1)
}

func round(v float64, places int) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', places, 64), 64)
	return r
}

func mib(b int64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) }

// thousands formats v rounded to a whole number with comma separators.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// hideFlags makes fs's help leave out the named flags.
func hideFlags(env *environ, fs *flag.FlagSet, synopsis string, hidden ...string) {
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: xinyong %s\n\n", synopsis)
		shown := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
		shown.SetOutput(env.stderr)
		fs.VisitAll(func(f *flag.Flag) {
			for _, h := range hidden {
				if f.Name == h {
					return
				}
			}
			shown.Var(f.Value, f.Name, f.Usage)
			shown.Lookup(f.Name).DefValue = f.DefValue
		})
		shown.PrintDefaults()
	}
}
