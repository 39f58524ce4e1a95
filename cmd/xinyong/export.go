package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/store"
)

const exportUsage = "export --kind cf|xk|… [--format jsonl|csv] [--out FILE] [--revoked] [--meta] [--data DIR | --db DSN]\n\n" +
	"Exports the current version of every record of a kind in the national 双公示 exchange layout (790号):\n" +
	"JSON lines keyed by the exchange codes (CF_WSH, XK_XKWS, …), or CSV with the standard's Chinese header,\n" +
	"for reporting to a system that is not xinyong. Personal identifiers are in clear: keep the file safe.\n" +
	"xinyong import takes both back. Revoked records are left out unless --revoked; --meta adds each record's\n" +
	"_state, _version and _repaired_on (for comparing platforms; import does not take them)."

// exportPage is how many records one read of the export takes.
const exportPage = 5000

func runExport(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "export", exportUsage)
	kind := fs.String("kind", "", "record kind from the catalogue (xinyong catalog list)")
	format := fs.String("format", "jsonl", "jsonl or csv")
	out := fs.String("out", "", "write to this file instead of standard output")
	revoked := fs.Bool("revoked", false, "also revoked records")
	meta := fs.Bool("meta", false, "add _state, _version and _repaired_on")
	c, log, err := setup(env, fs, args, config.Storage)
	if err != nil {
		return err
	}
	if *format != "jsonl" && *format != "csv" {
		return usageError("--format: want jsonl or csv, got %q", *format)
	}
	if *meta && *format != "jsonl" {
		return usageError("--meta goes with --format jsonl")
	}
	cat, err := app.Catalog(c)
	if err != nil {
		return err
	}
	k, ok := cat.Kind(*kind)
	if !ok {
		return usageError("unknown --kind %q (see xinyong catalog list)", *kind)
	}
	s, _, err := app.Open(ctx, c, log, false)
	if err != nil {
		return err
	}
	defer s.Close()
	var w io.Writer = env.stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var cw *csv.Writer
	if *format == "csv" {
		bw.WriteString("\ufeff") // UTF-8 with a BOM: what spreadsheet programs read as UTF-8
		cw = csv.NewWriter(bw)
		header := make([]string, len(k.Fields))
		for i, f := range k.Fields {
			header[i] = f.Name
		}
		cw.Write(header)
	}
	n := 0
	var after int64
	for {
		recs, err := s.ExportRecords(ctx, k.Code, after, exportPage)
		if err != nil {
			return err
		}
		for _, r := range recs {
			after = r.ID
			if r.State == store.StateRevoked && !*revoked {
				continue
			}
			vals, err := exportValues(k, r)
			if err != nil {
				return fmt.Errorf("record %d: %w", r.ID, err)
			}
			n++
			if cw != nil {
				cw.Write(vals)
				continue
			}
			obj := make(map[string]string, len(vals)+3)
			for i, f := range k.Fields {
				if vals[i] != "" {
					obj[exportCode(f)] = vals[i]
				}
			}
			if *meta {
				obj["_state"], obj["_version"], obj["_repaired_on"] = string(r.State), strconv.Itoa(r.Version), r.RepairedOn
			}
			b, err := json.Marshal(obj) // keys sorted: one line per record, stable
			if err != nil {
				return err
			}
			bw.Write(b)
			bw.WriteByte('\n')
		}
		if len(recs) < exportPage {
			break
		}
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "exported %d records of %s\n", n, k.Code)
	return nil
}

// exportCode is a field's exchange code (its key when it has none).
func exportCode(f catalog.Field) string {
	if f.Code != "" {
		return f.Code
	}
	return f.Key
}

// exportValues is a record's values in its kind's field order, personal
// fields in clear.
func exportValues(k *catalog.Kind, r store.ExportedRecord) ([]string, error) {
	fields, err := store.DecodeFields(r.Fields)
	if err != nil {
		return nil, err
	}
	var private map[string]string
	if len(r.Private) > 0 {
		if err := json.Unmarshal(r.Private, &private); err != nil {
			return nil, err
		}
	}
	vals := make([]string, len(k.Fields))
	for i, f := range k.Fields {
		if v, ok := private[f.Key]; ok {
			vals[i] = v
		} else {
			vals[i] = fields[f.Key]
		}
	}
	return vals, nil
}
