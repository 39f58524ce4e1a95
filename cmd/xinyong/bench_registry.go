package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/bench"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/registry"
	"github.com/xinyong/xinyong/internal/store"
)

const benchRegistrySynopsis = "bench registry [--registrations N] [--intake-rows N] [--seed N] [--json] [--data DIR | --db DSN]\n\n" +
	"1. Intake: writes --intake-rows registration rows (kind dj) as a CSV file and imports them the way xinyong import\n" +
	"   does, then lets the registry follow the batch; imports the same number of 行政处罚 rows (kind cf, the bench\n" +
	"   import file) into the same database for reference: the ratio dj/cf rows per second is the figure to watch.\n" +
	"2. Scan: fills the registry with --registrations generated registrations (one in 10,000 of each problem planted)\n" +
	"   through the follower's write (ApplyRegistryBatch, 50,000 a transaction), then times a whole scan (registry\n" +
	"   scan: read, detect 错码/一码多赋/重复赋码, evidence, cases) against the 60 s target, and checks that it found\n" +
	"   exactly the planted problems.\n" +
	"Without --data or --db a temporary SQLite database is used and removed afterwards; a named database must be empty."

type benchRegistryReport struct {
	Driver           string  `json:"driver"`
	CPUs             int     `json:"cpus"`
	IntakeRows       int     `json:"intake_rows"`
	IntakeSeconds    float64 `json:"intake_seconds"`
	IntakeRowsPerSec float64 `json:"intake_rows_per_second"`
	FollowSeconds    float64 `json:"follow_seconds"`
	RefRowsPerSec    float64 `json:"reference_cf_rows_per_second"`
	Ratio            float64 `json:"ratio"`
	Registrations    int     `json:"registrations"`
	LoadSeconds      float64 `json:"load_seconds"`
	ScanSeconds      float64 `json:"scan_seconds"`
	TargetSeconds    float64 `json:"target_seconds"`
	Findings         int     `json:"findings"`
	Planted          int     `json:"planted"`
	Exact            bool    `json:"exact"`
	Cases            int     `json:"cases_opened"`
}

func runBenchRegistry(ctx context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "bench registry", benchRegistrySynopsis)
	n := fs.Int("registrations", 5_000_000, "registrations in the registry for the scan")
	rows := fs.Int("intake-rows", 100_000, "registration rows imported through intake")
	seed := fs.Int64("seed", 1, "seed of the generated data")
	asJSON := fs.Bool("json", false, "print the figures as JSON")
	c, log, err := setup(env, fs, args, config.Intake)
	if err != nil {
		return err
	}
	rep := benchRegistryReport{Driver: "sqlite", CPUs: runtime.NumCPU(), TargetSeconds: 60}
	dataGiven := env.getenv("XINYONG_DATA") != ""
	fs.Visit(func(f *flag.Flag) { dataGiven = dataGiven || f.Name == "data" })
	work, err := os.MkdirTemp("", "xinyong-bench-registry-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	switch {
	case c.DB != "":
		rep.Driver = "postgres"
	case !dataGiven:
		c.Data = filepath.Join(work, "data")
	}
	s, keys, err := app.Open(ctx, c, log, true)
	if err != nil {
		return err
	}
	defer s.Close()
	im, err := app.Importer(c, s, keys)
	if err != nil {
		return err
	}
	reg, err := app.Registry(c, s)
	if err != nil {
		return err
	}
	say := func(format string, a ...any) {
		if !*asJSON {
			fmt.Fprintf(env.stdout, format, a...)
		}
	}

	var intakePlanted registry.Generated
	// 1. Intake of registration rows, and of cf rows for reference.
	if *rows > 0 {
		path := filepath.Join(work, "dj.csv")
		planted, err := writeRegistrationCSV(path, *rows, *seed)
		if err != nil {
			return err
		}
		intakePlanted = planted
		t, err := ingest.Open(path)
		if err != nil {
			return err
		}
		start := time.Now()
		res, err := im.Import(ctx, t, ingest.Options{Kind: registry.Kind, Channel: "file", FileName: "dj.csv", FileHash: "bench-dj"})
		t.Close()
		if err != nil {
			return err
		}
		rep.IntakeSeconds = time.Since(start).Seconds()
		rep.IntakeRows = res.Accepted
		rep.IntakeRowsPerSec = float64(res.Accepted) / rep.IntakeSeconds
		if len(res.Rejected) > 0 {
			return fmt.Errorf("generated registration rows rejected: %+v", res.Rejected[0])
		}
		start = time.Now()
		if _, err := reg.Sync(ctx); err != nil {
			return err
		}
		rep.FollowSeconds = time.Since(start).Seconds()
		say("登记信息归集：%d行，%.1f秒，%.0f行/秒；登记库跟随（应用批次并校核）%.1f秒\n", res.Accepted, rep.IntakeSeconds, rep.IntakeRowsPerSec, rep.FollowSeconds)
		kind, _ := im.Catalog.Kind("cf")
		cfPath := filepath.Join(work, "cf.csv")
		if _, err := bench.WriteCSV(cfPath, kind, demo.RecordOptions{Seed: *seed, Rows: *rows}); err != nil {
			return err
		}
		t, err = ingest.Open(cfPath)
		if err != nil {
			return err
		}
		start = time.Now()
		cres, err := im.Import(ctx, t, ingest.Options{Kind: "cf", Channel: "file", FileName: "cf.csv", FileHash: "bench-cf"})
		t.Close()
		if err != nil {
			return err
		}
		rep.RefRowsPerSec = float64(cres.Accepted) / time.Since(start).Seconds()
		rep.Ratio = rep.IntakeRowsPerSec / rep.RefRowsPerSec
		say("参照（行政处罚cf，同一数据库）：%d行，%.0f行/秒；登记/参照 = %.2f\n", cres.Accepted, rep.RefRowsPerSec, rep.Ratio)
	}

	// 2. The whole scan over n registrations.
	start := time.Now()
	var chunk []store.Registration
	batch := int64(-1) // marks of generated batches: negative ids, never an intake batch's
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		_, err := s.ApplyRegistryBatch(ctx, batch, chunk)
		batch--
		chunk = chunk[:0]
		return err
	}
	gen, err := registry.Generate(0, *n, *seed, func(g store.Registration) error {
		chunk = append(chunk, g)
		if len(chunk) == 50_000 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	rep.LoadSeconds = time.Since(start).Seconds()
	say("生成并写入登记库：%d条，%.1f秒\n", gen.Registrations, rep.LoadSeconds)
	res, err := reg.Scan(ctx, true)
	if err != nil {
		return err
	}
	rep.Registrations = res.Registrations
	rep.ScanSeconds = res.Took.Seconds()
	rep.Findings = len(res.Findings)
	gen.BadCodes += intakePlanted.BadCodes
	gen.MultiHeld += intakePlanted.MultiHeld
	gen.Duplicates += intakePlanted.Duplicates
	rep.Planted = gen.BadCodes + gen.MultiHeld + gen.Duplicates
	rep.Cases = res.Cases.Opened
	byType := map[string]int{}
	for _, f := range res.Findings {
		byType[f.Type]++
	}
	rep.Exact = byType[registry.TypeBadCode] == gen.BadCodes && byType[registry.TypeMultiHeld] == gen.MultiHeld &&
		byType[registry.TypeDuplicate] == gen.Duplicates
	say("全量校核：登记%d条，%.1f秒（目标%.0f秒以内，%.2f倍）；发现错码%d、一码多赋%d、重复赋码%d（埋入%d、%d、%d，%s），立案%d件\n",
		res.Registrations, rep.ScanSeconds, rep.TargetSeconds, rep.ScanSeconds/rep.TargetSeconds,
		byType[registry.TypeBadCode], byType[registry.TypeMultiHeld], byType[registry.TypeDuplicate],
		gen.BadCodes, gen.MultiHeld, gen.Duplicates, map[bool]string{true: "完全一致", false: "不一致"}[rep.Exact], rep.Cases)
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	return nil
}

// writeRegistrationCSV writes n generated registration rows (the
// authority sends its own) as a dj file.
func writeRegistrationCSV(path string, n int, seed int64) (registry.Generated, error) {
	f, err := os.Create(path)
	if err != nil {
		return registry.Generated{}, err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	_ = w.Write([]string{"统一社会信用代码", "机构名称", "法定代表人或负责人姓名", "成立日期", "注册地址", "登记管理部门名称",
		"登记管理部门代码", "登记状态", "登记业务类型", "登记业务日期", "数据来源单位", "数据来源单位统一社会信用代码"})
	gen, err := registry.Generate(90_000_000, n, seed+1, func(g store.Registration) error {
		return w.Write([]string{g.USCC, g.Name, g.LegalRep, g.Founded, g.Address, g.AuthorityName, g.AuthorityCode, g.Status,
			g.Business, g.Day, g.AuthorityName, g.AuthorityCode})
	})
	if err != nil {
		return gen, err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return gen, err
	}
	return gen, f.Close()
}
