// Package config is the one table of the binary's options: each has a flag,
// an XINYONG_* environment variable and a default. A flag given on the
// command line wins over the variable, which wins over the default. Secrets
// can also be read from a file named by the variable with a _FILE suffix.
package config

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config holds every option's value.
type Config struct {
	Data            string
	DB              string
	DataKey         string
	Addr            string
	LogLevel        string
	LogFormat       string
	SiteName        string
	SiteOwner       string
	SiteContact     string
	SiteICP         string
	Favicon         string
	Demo            bool
	DemoSubjects    int
	DemoSeed        int64
	DemoRecords     int
	ShutdownTimeout time.Duration
	InsecureCookies bool
	APIRate         float64
	APIBurst        int
	Calendar        string
	Catalog         string
	Lists           string
	SearchRate      float64
	SearchBurst     int
	IDLookupRate    float64
	RealIPHeader    string
	Concurrency     int
	QueueTimeout    time.Duration
	NameIndex       bool
	Deadlines       string
	Model           string
	EvalRefresh     time.Duration
	NameRefresh     time.Duration
	CacheSize       Size
	DebugAddr       string
	NewKeyFile      string
	OIDCIssuer      string
	OIDCClientID    string
	OIDCSecret      string
	OIDCRedirectURL string
	PublicURL       string
	ReportKey       string
	IntegrityModel  string
	IntegrityEvery  time.Duration
	HiringKeepDays  int
}

// Option describes one option.
type Option struct {
	Flag    string
	Env     string
	Default string
	Usage   string
	Secret  bool // may be given as a file with Env+"_FILE"; never logged
	bind    func(fs *flag.FlagSet, c *Config, def string, usage string)
}

// Options is the table, in the order the README shows it.
var Options = []Option{
	{Flag: "data", Env: "XINYONG_DATA", Default: "./xinyong-data", Usage: "data directory: the embedded database and, when no key is given, the generated data key",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.Data, "data", d, u) }},
	{Flag: "db", Env: "XINYONG_DB", Secret: true, Usage: "PostgreSQL DSN (postgres://user:pass@host:5432/db); empty: the embedded SQLite database in --data",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.DB, "db", d, u) }},
	{Flag: "data-key", Env: "XINYONG_DATA_KEY", Secret: true, Usage: "32-byte key (base64 or hex) that encrypts personal identifiers; empty: read or create DATA/data.key",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.DataKey, "data-key", d, u) }},
	{Flag: "new-key-file", Env: "XINYONG_NEW_KEY_FILE", Usage: "key rotate: file holding the new 32-byte data key (base64 or hex); empty: generate one into DATA/data.key (only when that file is the current key)",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.NewKeyFile, "new-key-file", d, u) }},
	{Flag: "addr", Env: "XINYONG_ADDR", Default: "127.0.0.1:8080", Usage: "serve: HTTP listen address",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.Addr, "addr", d, u) }},
	{Flag: "site-name", Env: "XINYONG_SITE_NAME", Default: "公共信用信息平台", Usage: "serve: the platform's name shown on pages",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.SiteName, "site-name", d, u) }},
	{Flag: "site-owner", Env: "XINYONG_SITE_OWNER", Usage: "serve: who runs the site (主办单位), shown in the footer",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.SiteOwner, "site-owner", d, u) }},
	{Flag: "site-contact", Env: "XINYONG_SITE_CONTACT", Usage: "serve: the site's contact (联系方式: phone, address or e-mail), shown in the footer",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.SiteContact, "site-contact", d, u) }},
	{Flag: "site-icp", Env: "XINYONG_SITE_ICP", Usage: "serve: the site's ICP filing number (ICP备案号), shown in the footer with a link to beian.miit.gov.cn",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.SiteICP, "site-icp", d, u) }},
	{Flag: "favicon", Env: "XINYONG_FAVICON", Usage: "serve: file of the site's icon (PNG, ICO or SVG, at most 256 KiB); empty: the built-in icon",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.Favicon, "favicon", d, u) }},
	{Flag: "demo", Env: "XINYONG_DEMO", Default: "false", Usage: "serve: load demo data first when the database holds no subjects",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.BoolVar(&c.Demo, "demo", d == "true", u) }},
	{Flag: "subjects", Env: "XINYONG_DEMO_SUBJECTS", Default: "3000", Usage: "demo: how many subjects to generate",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			n, _ := strconv.Atoi(d)
			fs.IntVar(&c.DemoSubjects, "subjects", n, u)
		}},
	{Flag: "records", Env: "XINYONG_DEMO_RECORDS", Default: "2000", Usage: "demo: how many 行政许可 and 行政处罚 records (half each) to import about the demo subjects",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			n, _ := strconv.Atoi(d)
			fs.IntVar(&c.DemoRecords, "records", n, u)
		}},
	{Flag: "seed", Env: "XINYONG_DEMO_SEED", Default: "1", Usage: "demo: random seed (same seed, same data)",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			n, _ := strconv.ParseInt(d, 10, 64)
			fs.Int64Var(&c.DemoSeed, "seed", n, u)
		}},
	{Flag: "calendar", Env: "XINYONG_CALENDAR", Usage: "file of holidays and make-up working days (see docs/operations.md) merged over the built-in 2019-2026 calendar",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.Calendar, "calendar", d, u) }},
	{Flag: "lists", Env: "XINYONG_LISTS", Usage: "serve: file replacing the built-in list types, measures and scenarios (the format of internal/lists/lists.json), checked against the catalogue at start",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.Lists, "lists", d, u) }},
	{Flag: "catalog", Env: "XINYONG_CATALOG", Usage: "directory of extra record kinds (*.json, the format of xinyong catalog show --json) added to the built-in catalogue",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.Catalog, "catalog", d, u) }},
	{Flag: "integrity-model", Env: "XINYONG_INTEGRITY_MODEL", Usage: "file replacing the built-in government-integrity monitoring model (政务诚信监测: items, points, caps, validity, sources; the format of internal/integrity/model.json), checked against the catalogue at start",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			fs.StringVar(&c.IntegrityModel, "integrity-model", d, u)
		}},
	{Flag: "hiring-keep-days", Env: "XINYONG_HIRING_KEEP_DAYS", Default: "730", Usage: "serve: how many days a closed hiring check (789号) keeps its candidates' names and ID numbers; serve erases the older ones at start and daily (hiring erase --keep-days does it on demand)",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			v, _ := strconv.Atoi(d)
			fs.IntVar(&c.HiringKeepDays, "hiring-keep-days", v, u)
		}},
	{Flag: "integrity-every", Env: "XINYONG_INTEGRITY_EVERY", Default: "1m", Usage: "serve: how often risk alerts of new serious integrity events are raised and the monthly integrity run is started when due (the first working day of a month)",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			v, _ := time.ParseDuration(d)
			fs.DurationVar(&c.IntegrityEvery, "integrity-every", v, u)
		}},
	{Flag: "insecure-cookies", Env: "XINYONG_INSECURE_COOKIES", Default: "false", Usage: "serve: send the session cookie without the Secure attribute, for plain HTTP on a host other than localhost (development only)",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			fs.BoolVar(&c.InsecureCookies, "insecure-cookies", d == "true", u)
		}},
	{Flag: "api-rate", Env: "XINYONG_API_RATE", Default: "20", Usage: "serve: requests per second allowed per API key, on average (0: no limit)",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			v, _ := strconv.ParseFloat(d, 64)
			fs.Float64Var(&c.APIRate, "api-rate", v, u)
		}},
	{Flag: "api-burst", Env: "XINYONG_API_BURST", Default: "100", Usage: "serve: requests an API key may make at once before --api-rate applies",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			v, _ := strconv.Atoi(d)
			fs.IntVar(&c.APIBurst, "api-burst", v, u)
		}},
	{Flag: "search-rate", Env: "XINYONG_SEARCH_RATE", Default: "1", Usage: "serve: anonymous searches per second allowed per client address, on average (0: no limit)",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			v, _ := strconv.ParseFloat(d, 64)
			fs.Float64Var(&c.SearchRate, "search-rate", v, u)
		}},
	{Flag: "search-burst", Env: "XINYONG_SEARCH_BURST", Default: "20", Usage: "serve: anonymous searches a client address may make at once before --search-rate applies",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			v, _ := strconv.Atoi(d)
			fs.IntVar(&c.SearchBurst, "search-burst", v, u)
		}},
	{Flag: "id-lookup-rate", Env: "XINYONG_ID_LOOKUP_RATE", Default: "6", Usage: "serve: lookups by ID number (公民身份号码: search, credit file, code check) per minute allowed per client address, as many at once (0: they count as searches)",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			v, _ := strconv.ParseFloat(d, 64)
			fs.Float64Var(&c.IDLookupRate, "id-lookup-rate", v, u)
		}},
	{Flag: "concurrency", Env: "XINYONG_CONCURRENCY", Default: "0", Usage: "serve: reads (GET requests) worked on at once, the others waiting in line in arrival order; 0: the number of CPUs on the embedded database, 4 per CPU on PostgreSQL; -1: no line",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			v, _ := strconv.Atoi(d)
			fs.IntVar(&c.Concurrency, "concurrency", v, u)
		}},
	{Flag: "queue-timeout", Env: "XINYONG_QUEUE_TIMEOUT", Default: "10s", Usage: "serve: how long a read waits in line before it is answered 503 (服务繁忙)",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			v, _ := time.ParseDuration(d)
			fs.DurationVar(&c.QueueTimeout, "queue-timeout", v, u)
		}},
	{Flag: "name-index", Env: "XINYONG_NAME_INDEX", Default: "true", Usage: "serve: answer name searches and name-only checks from an in-memory index of every subject's names, loaded at start (about 150 MiB and a few seconds per million subjects); false: from the database's full-text index",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			v, _ := strconv.ParseBool(d)
			fs.BoolVar(&c.NameIndex, "name-index", v, u)
		}},
	{Flag: "name-refresh", Env: "XINYONG_NAME_REFRESH", Default: "1s", Usage: "serve: how often the in-memory name index reads the names other processes wrote (this server's own writes are searchable at once), and the database's full-text name index catches up with new and renamed subjects",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			v, _ := time.ParseDuration(d)
			fs.DurationVar(&c.NameRefresh, "name-refresh", v, u)
		}},
	{Flag: "cache-size", Env: "XINYONG_CACHE_SIZE", Default: "64MiB", Usage: "serve: total memory of the database page caches (KiB, MiB, GiB or bytes): on the embedded database the writer gets half (at most 64 MiB) and the readers share the rest; on PostgreSQL, whose pages are cached by the database server, it does not apply",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			c.CacheSize, _ = ParseSize(d)
			fs.Var(&c.CacheSize, "cache-size", u)
		}},
	{Flag: "deadlines", Env: "XINYONG_DEADLINES", Usage: "serve: file of workflow time limits in working days (objections, repairs; the format of internal/deadline/steps.json) whose steps replace the built-in ones",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.Deadlines, "deadlines", d, u) }},
	{Flag: "model", Env: "XINYONG_MODEL", Usage: "serve, evaluate: file replacing the built-in public credit evaluation model (the format of internal/evaluation/model.json), checked against the catalogue and lists at start",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.Model, "model", d, u) }},
	{Flag: "evaluation-refresh", Env: "XINYONG_EVALUATION_REFRESH", Default: "30s", Usage: "serve: how often subjects whose records changed (or whose result is due to change with time) are evaluated again: a credit file's grade is never older than this",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			v, _ := time.ParseDuration(d)
			fs.DurationVar(&c.EvalRefresh, "evaluation-refresh", v, u)
		}},
	{Flag: "real-ip-header", Env: "XINYONG_REAL_IP_HEADER", Usage: "serve: header holding the client address set by a trusted reverse proxy (e.g. X-Real-IP); empty: the connection's address",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.RealIPHeader, "real-ip-header", d, u) }},
	{Flag: "oidc-issuer", Env: "XINYONG_OIDC_ISSUER", Usage: "serve: issuer URL of the single sign-on (OpenID Connect) provider; empty: no single sign-on",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.OIDCIssuer, "oidc-issuer", d, u) }},
	{Flag: "oidc-client-id", Env: "XINYONG_OIDC_CLIENT_ID", Usage: "serve: client id registered at the single sign-on provider",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.OIDCClientID, "oidc-client-id", d, u) }},
	{Flag: "oidc-client-secret", Env: "XINYONG_OIDC_CLIENT_SECRET", Secret: true, Usage: "serve: client secret registered at the single sign-on provider",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			fs.StringVar(&c.OIDCSecret, "oidc-client-secret", d, u)
		}},
	{Flag: "oidc-redirect-url", Env: "XINYONG_OIDC_REDIRECT_URL", Usage: "serve: this site's callback registered at the provider, https://HOST/login/oidc/callback",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			fs.StringVar(&c.OIDCRedirectURL, "oidc-redirect-url", d, u)
		}},
	{Flag: "public-url", Env: "XINYONG_PUBLIC_URL", Usage: "serve: the site's address as users reach it (https://host), for the verification links and QR codes of credit reports; empty: the address each request came to",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.PublicURL, "public-url", d, u) }},
	{Flag: "key", Env: "XINYONG_REPORT_KEY", Usage: "report verify: the platform's verifier key (xinyong report key, GET /api/v1/reports/key), or a file holding it",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.ReportKey, "key", d, u) }},
	{Flag: "debug-addr", Env: "XINYONG_DEBUG_ADDR", Usage: "serve: loopback address (127.0.0.1:PORT) for Go's profiling endpoints /debug/pprof/; empty: off",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.DebugAddr, "debug-addr", d, u) }},
	{Flag: "log-level", Env: "XINYONG_LOG_LEVEL", Default: "info", Usage: "log level: debug, info, warn or error",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.LogLevel, "log-level", d, u) }},
	{Flag: "log-format", Env: "XINYONG_LOG_FORMAT", Default: "text", Usage: "log format: text or json",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) { fs.StringVar(&c.LogFormat, "log-format", d, u) }},
	{Flag: "shutdown-timeout", Env: "XINYONG_SHUTDOWN_TIMEOUT", Default: "15s", Usage: "serve: how long to let requests finish on SIGTERM",
		bind: func(fs *flag.FlagSet, c *Config, d, u string) {
			v, _ := time.ParseDuration(d)
			fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", v, u)
		}},
}

// Groups of options each subcommand takes.
var (
	Storage   = []string{"data", "db", "data-key", "log-level", "log-format"}
	Intake    = append(append([]string{}, Storage...), "calendar", "catalog", "integrity-model")
	Serve     = append(append([]string{}, Intake...), "integrity-every", "hiring-keep-days", "addr", "site-name", "site-owner", "site-contact", "site-icp", "favicon", "demo", "subjects", "records", "seed", "shutdown-timeout", "lists", "insecure-cookies", "api-rate", "api-burst", "search-rate", "search-burst", "id-lookup-rate", "concurrency", "queue-timeout", "cache-size", "name-index", "name-refresh", "deadlines", "real-ip-header", "oidc-issuer", "oidc-client-id", "oidc-client-secret", "oidc-redirect-url", "debug-addr", "public-url", "model", "evaluation-refresh")
	Demo      = append(append([]string{}, Intake...), "subjects", "records", "seed")
	KeyRotate = append(append([]string{}, Storage...), "new-key-file")
	Evaluate  = append(append([]string{}, Intake...), "lists", "model")
)

// Bind registers the named options on fs, with defaults taken from the
// environment (env lookups by getenv, normally os.Getenv). It fails when an
// environment value does not parse, naming the variable.
func Bind(fs *flag.FlagSet, c *Config, getenv func(string) string, names ...string) error {
	for _, name := range names {
		o, ok := lookup(name)
		if !ok {
			return fmt.Errorf("config: unknown option %q", name)
		}
		def := o.Default
		v, err := envValue(o, getenv)
		if err != nil {
			return err
		}
		if v != "" {
			if err := validate(o, v); err != nil {
				return fmt.Errorf("%s=%q: %w", o.Env, v, err)
			}
			def = v
		}
		usage := o.Usage + " [" + o.Env + "]"
		o.bind(fs, c, def, usage)
	}
	return nil
}

func lookup(name string) (Option, bool) {
	for _, o := range Options {
		if o.Flag == name {
			return o, true
		}
	}
	return Option{}, false
}

func envValue(o Option, getenv func(string) string) (string, error) {
	v := getenv(o.Env)
	if o.Secret {
		if f := getenv(o.Env + "_FILE"); f != "" {
			if v != "" {
				return "", fmt.Errorf("both %s and %s_FILE are set: set one", o.Env, o.Env)
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return "", fmt.Errorf("%s_FILE: %w", o.Env, err)
			}
			v = strings.TrimSpace(string(b))
		}
	}
	return v, nil
}

func validate(o Option, v string) error {
	switch o.Default {
	case "true", "false":
		_, err := strconv.ParseBool(v)
		return err
	}
	switch o.Flag {
	case "subjects", "seed", "records", "search-burst", "api-burst":
		_, err := strconv.ParseInt(v, 10, 64)
		return err
	case "concurrency":
		n, err := strconv.Atoi(v)
		if err == nil && n < -1 {
			err = fmt.Errorf("must be -1, 0 or a positive number")
		}
		return err
	case "search-rate", "api-rate", "id-lookup-rate":
		f, err := strconv.ParseFloat(v, 64)
		if err == nil && f < 0 {
			err = fmt.Errorf("must not be negative")
		}
		return err
	case "cache-size":
		_, err := ParseSize(v)
		return err
	case "shutdown-timeout", "queue-timeout", "name-refresh", "evaluation-refresh":
		d, err := time.ParseDuration(v)
		if err == nil && d <= 0 && o.Flag != "shutdown-timeout" {
			err = fmt.Errorf("must be positive")
		}
		return err
	}
	return nil
}

// Size is a number of bytes, written with a binary unit (KiB, MiB, GiB;
// K, M, G mean the same) or none.
type Size int64

// ParseSize reads a Size: "128MiB", "1G", "65536".
func ParseSize(v string) (Size, error) {
	t := strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if n, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("%q is not a size: write e.g. 128MiB, 1GiB or a number of bytes", v)
	}
	return Size(n * mult), nil
}

// String writes s with the largest binary unit that divides it.
func (s Size) String() string {
	switch {
	case s != 0 && s%(1<<30) == 0:
		return strconv.FormatInt(int64(s>>30), 10) + "GiB"
	case s != 0 && s%(1<<20) == 0:
		return strconv.FormatInt(int64(s>>20), 10) + "MiB"
	case s != 0 && s%(1<<10) == 0:
		return strconv.FormatInt(int64(s>>10), 10) + "KiB"
	}
	return strconv.FormatInt(int64(s), 10)
}

// Set implements flag.Value.
func (s *Size) Set(v string) error {
	n, err := ParseSize(v)
	if err != nil {
		return err
	}
	*s = n
	return nil
}
