package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/xinyong/xinyong/internal/code"
)

// codeJSON is one line of `code check --json`.
type codeJSON struct {
	Code     string          `json:"code"`
	Status   code.Status     `json:"status"`
	Kind     code.Kind       `json:"kind"`
	Detail   string          `json:"detail,omitempty"`
	DetailZH string          `json:"detail_zh,omitempty"`
	Position int             `json:"position,omitempty"`
	Want     string          `json:"want,omitempty"`
	USCC     *code.USCCParts `json:"uscc,omitempty"`
}

func runCode(ctx context.Context, env *environ, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(env.stderr, "Usage: xinyong code check [--kind uscc|org|ric|gs15|auto] [--json] [CODE…]")
		if len(args) == 0 {
			return &exitError{code: 2}
		}
		return nil
	}
	if args[0] != "check" {
		return usageError("unknown code subcommand %q (want: check)", args[0])
	}
	return runCodeCheck(ctx, env, args[1:])
}

func runCodeCheck(_ context.Context, env *environ, args []string) error {
	fs := newFlagSet(env, "code check", "code check [--kind uscc|org|ric|gs15|auto] [--json] [CODE…]\n\n"+
		"Checks each CODE, or one per line from standard input when none is given, exactly as written.\n"+
		"Prints CODE<TAB>STATUS<TAB>KIND<TAB>DETAIL per code. Exit status: 0 all valid, 1 any not valid, 2 usage error.")
	kindFlag := fs.String("kind", "auto", "kind of code: uscc, org, ric, gs15 or auto")
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	kind, err := code.ParseKind(*kindFlag)
	if err != nil || *kindFlag != strings.ToLower(*kindFlag) {
		return usageError("--kind %q: want uscc, org, ric, gs15 or auto", *kindFlag)
	}
	out := bufio.NewWriter(env.stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	allValid := true
	check := func(c string) error {
		r := code.Check(kind, c)
		if r.Status != code.StatusValid {
			allValid = false
		}
		if *asJSON {
			return enc.Encode(codeJSON{r.Code, r.Status, r.Kind, r.Detail, r.DetailZH, r.Position, r.Want, r.USCC})
		}
		_, err := fmt.Fprintf(out, "%s\t%s\t%s\t%s\n", r.Code, r.Status, r.Kind, r.Detail)
		return err
	}
	if fs.NArg() > 0 {
		for _, c := range fs.Args() {
			if err := check(c); err != nil {
				return err
			}
		}
	} else {
		sc := bufio.NewScanner(env.stdin)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			// Only the line terminator is removed (a CR of a CRLF file
			// too); the code itself is checked as written.
			if err := check(strings.TrimSuffix(sc.Text(), "\r")); err != nil {
				return err
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("read standard input: %w", err)
		}
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if !allValid {
		return &exitError{code: 1}
	}
	return nil
}
