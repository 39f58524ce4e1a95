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
	"strings"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/pii"
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

// Keyring returns the personal-data keyring: from --data-key, or from the
// key file in the data directory, created on first use.
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
	return pii.New(master)
}

// Open opens the configured store. With migrate it applies pending
// migrations; without, it refuses a schema that is not the binary's.
// It also refuses a data key other than the one the database was
// written with.
func Open(ctx context.Context, c config.Config, log *slog.Logger, migrate bool) (store.Store, *pii.Keyring, error) {
	keys, err := Keyring(c, log)
	if err != nil {
		return nil, nil, err
	}
	var s store.Store
	if c.DB != "" {
		if !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") && !strings.Contains(c.DB, "=") {
			return nil, nil, fmt.Errorf("--db: want a PostgreSQL DSN such as postgres://user@host:5432/xinyong")
		}
		s, err = postgres.Open(ctx, c.DB, keys)
	} else {
		s, err = sqlite.Open(ctx, c.Data, keys)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := prepare(ctx, s, keys, log, migrate); err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, keys, nil
}

func prepare(ctx context.Context, s store.Store, keys *pii.Keyring, log *slog.Logger, migrate bool) error {
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
	fp := keys.Fingerprint()
	stored, err := s.InitSetting(ctx, "data_key_fingerprint", fp)
	if err != nil {
		return err
	}
	if stored != fp {
		return errors.New("the data key is not the one this database was written with: set XINYONG_DATA_KEY (or --data-key) to the original key, or restore DATA/data.key")
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
	return &ingest.Importer{Store: s, Catalog: cat, Calendar: cal, Hash: keys.Hash}, nil
}
