package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xinyong/xinyong/internal/ingest"
)

// The references an import is measured against are the engines' own bulk
// loaders, run as their command-line tools do it, on the same file in the
// same run: sqlite3's .import (CSV into a table of TEXT columns, one
// transaction, in a new database file) and psql's \copy (COPY FROM STDIN
// into a table of TEXT columns). Both parse CSV in C and validate nothing:
// what the platform's intake costs beyond them is validation, hashing,
// encryption, its indexes and its guarantees.

// ErrNoTool means the reference's command-line tool is not installed.
var ErrNoTool = errors.New("not installed")

// SQLiteImport runs `sqlite3 DB -cmd '.mode csv' '.import FILE t'` into a
// new database file in dir and returns the rows imported (the file's data
// rows) and the time the command took.
func SQLiteImport(ctx context.Context, dir, csvPath string) (Raw, error) {
	bin, err := exec.LookPath("sqlite3")
	if err != nil {
		return Raw{}, fmt.Errorf("sqlite3: %w", ErrNoTool)
	}
	rows, err := dataRows(csvPath)
	if err != nil {
		return Raw{}, err
	}
	db := filepath.Join(dir, "reference.db")
	os.Remove(db)
	defer os.Remove(db)
	start := time.Now()
	if err := run(ctx, bin, db, "-cmd", ".mode csv", ".import "+csvPath+" "+RawTable); err != nil {
		return Raw{}, err
	}
	elapsed := time.Since(start)
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, db, "SELECT count(*) FROM "+RawTable)
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return Raw{}, fmt.Errorf("sqlite3: count the rows imported: %w", err)
	}
	if n, _ := strconv.Atoi(strings.TrimSpace(out.String())); n != rows {
		return Raw{}, fmt.Errorf("sqlite3 .import took %d rows of %d", n, rows)
	}
	return Raw{Rows: rows, Elapsed: elapsed}, nil
}

// PsqlCopy runs `psql DSN -c '\copy t FROM FILE csv header'` into a
// scratch table of TEXT columns in the database dsn names (created before
// and dropped after, outside the time).
func PsqlCopy(ctx context.Context, dsn, csvPath string) (Raw, error) {
	bin, err := exec.LookPath("psql")
	if err != nil {
		return Raw{}, fmt.Errorf("psql: %w", ErrNoTool)
	}
	t, err := ingest.Open(csvPath)
	if err != nil {
		return Raw{}, err
	}
	ncol := len(t.Header())
	t.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return Raw{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, createRaw(ncol)); err != nil {
		return Raw{}, err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+RawTable)
	start := time.Now()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", `\copy `+RawTable+` FROM '`+
		strings.ReplaceAll(csvPath, "'", "''")+`' WITH (FORMAT csv, HEADER true)`)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return Raw{}, fmt.Errorf("psql \\copy: %w: %s", err, strings.TrimSpace(out.String()))
	}
	elapsed := time.Since(start)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+RawTable).Scan(&n); err != nil {
		return Raw{}, err
	}
	return Raw{Rows: n, Elapsed: elapsed}, nil
}

func run(ctx context.Context, bin string, args ...string) error {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(bin), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// dataRows counts the data rows of a CSV file (the rows after the header).
func dataRows(path string) (int, error) {
	t, err := ingest.Open(path)
	if err != nil {
		return 0, err
	}
	defer t.Close()
	n := 0
	for {
		_, _, err := t.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, err
		}
		n++
	}
}
