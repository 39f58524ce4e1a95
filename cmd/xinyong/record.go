package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/store"
)

// recordJSON is a record version as `record show` prints it. Personal
// fields (the private part) are never printed.
type recordJSON struct {
	ID           int64           `json:"id"`
	Kind         string          `json:"kind"`
	SubjectID    int64           `json:"subject_id"`
	SourceDept   string          `json:"source_dept"`
	DecisionNo   string          `json:"decision_no"`
	DecisionDate string          `json:"decision_date"`
	Version      int             `json:"version"`
	State        string          `json:"state"`
	StateReason  string          `json:"state_reason,omitempty"`
	ReceivedAt   string          `json:"received_at"`
	WorkingDays  int             `json:"working_days"`
	Late         bool            `json:"late"`
	Fields       json.RawMessage `json:"fields"`
}

func runRecord(ctx context.Context, env *environ, args []string) error {
	const usage = "Usage: xinyong record show ID | record revoke ID --reason TEXT | record restore ID --reason TEXT [--data DIR | --db DSN]"
	if len(args) < 2 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.stderr, usage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return &exitError{code: 2}
	}
	sub := args[0]
	id, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil || id <= 0 {
		return usageError("record %s: ID must be a positive number, got %q", sub, args[1])
	}
	fs := newFlagSet(env, "record "+sub, "record "+sub+" ID [--reason TEXT] [--data DIR | --db DSN]")
	reason := fs.String("reason", "", "why (required for revoke and restore)")
	c, log, err := setup(env, fs, args[2:], config.Storage)
	if err != nil {
		return err
	}
	var state store.RecordState
	switch sub {
	case "show":
	case "revoke":
		state = store.StateRevoked
	case "restore":
		state = store.StateActive
	default:
		return usageError("unknown record subcommand %q", sub)
	}
	if state != "" && strings.TrimSpace(*reason) == "" {
		return usageError("record %s needs --reason", sub)
	}
	s, keys, err := app.Open(ctx, c, log, false)
	if err != nil {
		return err
	}
	defer s.Close()
	if state != "" {
		if err := s.SetRecordState(ctx, id, state, strings.TrimSpace(*reason)); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no record %d", id)
			}
			return err
		}
		log.Info("record state changed", "id", id, "state", state)
		e := cliEntry(auth.AuditRecordChange, string(state)+"："+strings.TrimSpace(*reason))
		e.Target = "record:" + strconv.FormatInt(id, 10)
		if _, err := s.Audit(ctx, e); err != nil {
			return fmt.Errorf("record %d changed, but the audit trail could not be written: %w", id, err)
		}
		app.AnchorAudit(ctx, c.Data, s, keys, log)
	}
	versions, err := s.RecordVersions(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no record %d", id)
	}
	if err != nil {
		return err
	}
	enc := json.NewEncoder(env.stdout)
	enc.SetEscapeHTML(false)
	for _, r := range versions {
		fields, err := store.FieldsJSON(r.Fields)
		if err != nil {
			return fmt.Errorf("record %d version %d: %w", r.ID, r.Version, err)
		}
		if err := enc.Encode(recordJSON{r.ID, r.Kind, r.SubjectID, r.SourceDept, r.DecisionNo, r.DecisionDate, r.Version,
			string(r.State), r.StateReason, r.ReceivedAt.In(calendar.Location()).Format(time.RFC3339), r.WorkingDays, r.Late, fields}); err != nil {
			return err
		}
	}
	return nil
}
