// Package app wires the binary's parts from its configuration: the logger,
// the data key, the store. The subcommands in cmd/xinyong call it.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/check"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/integrity"
	"github.com/xinyong/xinyong/internal/lists"
	"github.com/xinyong/xinyong/internal/match"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/registry"
	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/store"
	"github.com/xinyong/xinyong/internal/store/postgres"
	"github.com/xinyong/xinyong/internal/store/sqlite"
)

// NewLogger builds the structured logger the configuration asks for.
func NewLogger(c config.Config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
}

// KeyFileName is the generated data key's name in the data directory.
const KeyFileName = "data.key"

// Keyring returns the personal-data keyring holding the master key: from
// --data-key, or from the key file in the data directory, created on first
// use. Its sub-keys are loaded from the database by Open.
func Keyring(c config.Config, log *slog.Logger) (*pii.Keyring, error) {
	var master []byte
	if c.DataKey != "" {
		k, err := pii.ParseKey(c.DataKey)
		if err != nil {
			return nil, fmt.Errorf("XINYONG_DATA_KEY: %w", err)
		}
		master = k
	} else {
		path := filepath.Join(c.Data, KeyFileName)
		k, created, err := pii.LoadOrCreateKeyFile(path)
		if err != nil {
			return nil, err
		}
		if created {
			log.Warn("generated a new data key; back it up, personal data cannot be read without it", "file", path)
		}
		master = k
	}
	return pii.NewMaster(master)
}

// errWrongKey is what a master key that does not open the database gives.
var errWrongKey = errors.New("the data key is not the one this database was written with: set XINYONG_DATA_KEY (or --data-key) to the original key, or restore DATA/data.key")

// Open opens the configured store. With migrate it applies pending
// migrations; without, it refuses a schema that is not the binary's.
// It then loads the data keys with the master key, and refuses a master
// key other than the database's.
func Open(ctx context.Context, c config.Config, log *slog.Logger, migrate bool) (store.Store, *pii.Keyring, error) {
	keys, err := Keyring(c, log)
	if err != nil {
		return nil, nil, err
	}
	s, err := openDriver(ctx, c, keys)
	if err != nil {
		return nil, nil, err
	}
	if err := prepare(ctx, s, keys, log, migrate); err != nil {
		s.Close()
		if errors.Is(err, errWrongKey) && c.DataKey == "" {
			if _, serr := os.Stat(filepath.Join(c.Data, KeyFileName+pendingSuffix)); serr == nil {
				err = fmt.Errorf("%w (DATA/%s%s exists: a key rotation was interrupted; run xinyong key rotate again to finish it)", err, KeyFileName, pendingSuffix)
			}
		}
		return nil, nil, err
	}
	return s, keys, nil
}

// PostgresConns is the PostgreSQL pool's size unless the DSN sets
// pool_max_conns: the server's default read line (four reads per CPU) and
// two more, so that reads in line never wait for a connection and writes
// are not held behind them.
func PostgresConns() int { return 4*runtime.GOMAXPROCS(0) + 2 }

// PostgresStatementCache bounds the prepared statements each PostgreSQL
// connection keeps (pgx's default is 512): batches' IN lists of every
// length would otherwise fill it with large statements, each also held by
// the database server's backend.
const PostgresStatementCache = 256

// openDriver opens the configured driver's store with keys.
func openDriver(ctx context.Context, c config.Config, keys *pii.Keyring) (store.Store, error) {
	if c.DB != "" {
		if !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") && !strings.Contains(c.DB, "=") {
			return nil, fmt.Errorf("--db: want a PostgreSQL DSN such as postgres://user@host:5432/xinyong")
		}
		return postgres.OpenWith(ctx, c.DB, keys, postgres.Options{Conns: PostgresConns(), StatementCache: PostgresStatementCache})
	}
	return sqlite.OpenWith(ctx, c.Data, keys, sqlite.Options{CacheSize: int64(c.CacheSize)})
}

func prepare(ctx context.Context, s store.Store, keys *pii.Keyring, log *slog.Logger, migrate bool) error {
	if err := checkSchema(ctx, s, log, migrate); err != nil {
		return err
	}
	return loadKeys(ctx, s, keys)
}

// checkSchema migrates the database, or refuses a schema that is not the
// binary's.
func checkSchema(ctx context.Context, s store.Store, log *slog.Logger, migrate bool) error {
	if migrate {
		from, to, err := s.Migrate(ctx)
		if err != nil {
			return err
		}
		if from != to {
			log.Info("migrated database", "driver", s.Dialect(), "from", from, "to", to)
		}
	} else {
		db, bin, err := s.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		if err := store.CompareVersions(db, bin); err != nil {
			return err
		}
	}
	return nil
}

// loadKeys loads the database's data keys into keys (store.LoadKeys).
func loadKeys(ctx context.Context, s store.Store, keys *pii.Keyring) error {
	ks, ok := s.(store.KeyStore)
	if !ok {
		return fmt.Errorf("the %s driver cannot keep data keys", s.Dialect())
	}
	if err := store.LoadKeys(ctx, ks, keys); err != nil {
		if errors.Is(err, pii.ErrWrongKey) {
			return errWrongKey
		}
		return fmt.Errorf("load data keys: %w", err)
	}
	return nil
}

// Calendar is the built-in working-day calendar with the administrator's
// file (--calendar) merged over it: a year in the file replaces that year.
func Calendar(c config.Config) (*calendar.Calendar, error) {
	cal := calendar.Default()
	if c.Calendar == "" {
		return cal, nil
	}
	f, err := os.Open(c.Calendar)
	if err != nil {
		return nil, fmt.Errorf("--calendar: %w", err)
	}
	defer f.Close()
	own, err := calendar.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("--calendar %s: %w", c.Calendar, err)
	}
	return cal.Merge(own), nil
}

// Deadlines is the workflows' deadline clock: the built-in step limits with
// the administrator's file (--deadlines) merged over them, on the working-day
// calendar (--calendar).
func Deadlines(c config.Config) (deadline.Clock, error) {
	cal, err := Calendar(c)
	if err != nil {
		return deadline.Clock{}, err
	}
	rules := deadline.Default()
	if c.Deadlines != "" {
		f, err := os.Open(c.Deadlines)
		if err != nil {
			return deadline.Clock{}, fmt.Errorf("--deadlines: %w", err)
		}
		defer f.Close()
		own, err := deadline.Parse(f)
		if err != nil {
			return deadline.Clock{}, fmt.Errorf("--deadlines %s: %w", c.Deadlines, err)
		}
		rules = rules.Merge(own)
	}
	return deadline.Clock{Rules: rules, Calendar: cal}, nil
}

// Catalog is the built-in catalogue plus the kinds in --catalog DIR
// (every *.json file), so that adding a kind is a matter of data.
func Catalog(c config.Config) (*catalog.Catalog, error) {
	cat := catalog.Default()
	if c.Catalog == "" {
		return cat, nil
	}
	files, err := filepath.Glob(filepath.Join(c.Catalog, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("--catalog %s: no *.json kind files", c.Catalog)
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		k, err := catalog.LoadKind(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("--catalog %s: %w", name, err)
		}
		if err := cat.Add(k); err != nil {
			return nil, fmt.Errorf("--catalog %s: %w", name, err)
		}
	}
	return cat, nil
}

// Importer builds the intake path for a store: the configured catalogue
// and calendar, and the store's keyed hash.
func Importer(c config.Config, s store.Store, keys *pii.Keyring) (*ingest.Importer, error) {
	cal, err := Calendar(c)
	if err != nil {
		return nil, err
	}
	cat, err := Catalog(c)
	if err != nil {
		return nil, err
	}
	m, err := IntegrityModel(c, cat)
	if err != nil {
		return nil, err
	}
	return &ingest.Importer{Store: s, Catalog: cat, Calendar: cal, Hash: keys.Hash,
		Rules: map[string]ingest.RowRule{integrity.EventKind: m.Rule, registry.Kind: registry.Rule(s)},
		NameCheck: func(ctx context.Context, rows []int, codes, names []string) ([]string, error) {
			return registry.NameWarnings(ctx, s, rows, codes, names)
		},
		NameCheckSkip: []string{registry.Kind}}, nil
}

// Registry builds the registration database's service over the store.
func Registry(c config.Config, s store.Store) (*registry.Service, error) {
	clock, err := Deadlines(c)
	if err != nil {
		return nil, err
	}
	return &registry.Service{Store: s, Clock: clock, Calendar: clock.Calendar}, nil
}

// IntegrityModel is the government-integrity monitoring model: built in,
// or the operator's --integrity-model file, checked against the
// catalogue.
func IntegrityModel(c config.Config, cat *catalog.Catalog) (*integrity.Model, error) {
	if c.IntegrityModel == "" {
		return integrity.Builtin(cat)
	}
	f, err := os.Open(c.IntegrityModel)
	if err != nil {
		return nil, fmt.Errorf("--integrity-model: %w", err)
	}
	defer f.Close()
	m, err := integrity.Load(f, cat)
	if err != nil {
		return nil, fmt.Errorf("--integrity-model %s: %w", c.IntegrityModel, err)
	}
	return m, nil
}

// Integrity builds the government-integrity monitoring service over the
// store.
func Integrity(c config.Config, s store.Store, authz *auth.Authorizer, log *slog.Logger) (*integrity.Service, error) {
	cat, err := Catalog(c)
	if err != nil {
		return nil, err
	}
	cal, err := Calendar(c)
	if err != nil {
		return nil, err
	}
	m, err := IntegrityModel(c, cat)
	if err != nil {
		return nil, err
	}
	return &integrity.Service{Store: s, Model: m, Catalog: cat, Calendar: cal, Auth: authz, Log: log}, nil
}

// Checks builds the credit-check service: the lists catalogue (built in,
// or the operator's --lists file) checked against the record catalogue,
// over the store.
func Checks(c config.Config, s store.Store, cat *catalog.Catalog) (*check.Service, error) {
	l, err := Lists(c, cat)
	if err != nil {
		return nil, err
	}
	svc := &check.Service{Store: s, Checker: &check.Checker{Catalog: cat, Lists: l}, Today: calendar.Today, MinScore: match.DefaultMinScore}
	if m, ok := s.(store.Matcher); ok {
		svc.Match = check.NameMatcher(m)
	}
	return svc, nil
}

// Reports is the credit report service over s: the builder reads through
// ps, takes 信用评价信息 from ev (nil: the section says the evaluation is
// not offered), the log signs with the data keys' report signing key.
func Reports(c config.Config, s store.Store, ps *portal.Service, checks *check.Service, ev *evaluation.Service, authz *auth.Authorizer, keys *pii.Keyring) (*report.Service, error) {
	priv, ok := keys.SigningKey()
	if !ok {
		return nil, errors.New("the data keys hold no report signing key")
	}
	signer, err := report.NewSigner(priv)
	if err != nil {
		return nil, err
	}
	site := c.SiteName
	if site == "" {
		site = "公共信用信息平台"
	}
	b := &report.Builder{Portal: ps, Store: s, Catalog: ps.Catalog, Site: site}
	if checks != nil && checks.Checker != nil {
		b.Lists = checks.Checker.Lists
	}
	if ev != nil {
		b.Evaluation = ev
	}
	return &report.Service{Builder: b, Log: &report.Log{Store: s, Signer: signer}, Store: s, Auth: authz, Keys: keys}, nil
}

// Lists is the lists catalogue: the built-in one, or the --lists file,
// checked against the catalogue.
func Lists(c config.Config, cat *catalog.Catalog) (*lists.Catalog, error) {
	if c.Lists == "" {
		return lists.Default(cat)
	}
	b, err := os.ReadFile(c.Lists)
	if err != nil {
		return nil, fmt.Errorf("--lists: %w", err)
	}
	l, err := lists.Load(b, cat)
	if err != nil {
		return nil, fmt.Errorf("--lists %s: %w", c.Lists, err)
	}
	return l, nil
}

// Evaluation is the public credit evaluation service with the model of
// --model, or the built-in one, checked against the catalogue and lists.
func Evaluation(c config.Config, s store.Store, cat *catalog.Catalog, l *lists.Catalog, log *slog.Logger) (*evaluation.Service, error) {
	var m *evaluation.Model
	var err error
	if c.Model == "" {
		m, err = evaluation.Default(cat, l)
	} else {
		b, rerr := os.ReadFile(c.Model)
		if rerr != nil {
			return nil, fmt.Errorf("--model: %w", rerr)
		}
		if m, err = evaluation.Load(b, cat, l); err != nil {
			err = fmt.Errorf("--model %s: %w", c.Model, err)
		}
	}
	if err != nil {
		return nil, err
	}
	return &evaluation.Service{Store: s, Catalog: cat, Lists: l, Model: m, Log: log}, nil
}
