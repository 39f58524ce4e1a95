package deadline

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Limits of the configuration file.
const (
	MaxWorkingDays = 365     // largest working_days (and escalate_every)
	maxKeyLen      = 64      // bytes of a step key
	maxNameLen     = 64      // characters of a step name
	maxFileSize    = 1 << 20 // bytes of a file given to Parse
)

// Step is the time limit of one workflow step.
type Step struct {
	// Key names the step: lowercase ASCII words joined by dots, the first
	// word being the workflow ("objection.mark", "repair.decide").
	Key string `json:"key"`
	// Name is the step in Chinese, as shown to users ("异议标注").
	Name string `json:"name"`
	// WorkingDays is the limit: the step is due on the WorkingDays-th
	// working day after the day it started (China time), that day not
	// counted. 1..365.
	WorkingDays int `json:"working_days"`
	// RemindDays: the assignee is reminded (State DueSoon) while this many
	// working days or fewer are left; 0 = only on the due day.
	// 0..WorkingDays.
	RemindDays int `json:"remind_days"`
	// EscalateEvery: once overdue, the case goes one level up the
	// organisation tree at once, and one more level for every further
	// EscalateEvery working days overdue; 0 = one level only. 0..365.
	EscalateEvery int `json:"escalate_every"`
	// Basis is the source of the limit in Chinese: the legal text, or
	// "平台默认" and why.
	Basis string `json:"basis"`
	// PublicBasis is what the public is told of the basis (the rights
	// page): official wording only, a reference named as such; no working
	// notes. Empty: "本平台规定".
	PublicBasis string `json:"public_basis,omitempty"`
}

// Rules is a validated set of steps, in file order, with unique keys.
// Rules are immutable and safe for concurrent use; Merge returns a new
// value. The nil *Rules is an empty set.
type Rules struct {
	steps []Step
	index map[string]int // key → position in steps
}

//go:embed steps.json
var stepsJSON []byte

// Default returns the built-in steps (steps.json, embedded), with their
// sources in Basis. It is parsed once; the same *Rules is returned on every
// call.
func Default() *Rules { return defaultRules() }

var defaultRules = sync.OnceValue(func() *Rules {
	r, err := Parse(bytes.NewReader(stepsJSON))
	if err != nil {
		// The embedded data is checked by the tests.
		panic("deadline: embedded steps.json is invalid: " + err.Error())
	}
	return r
})

// Step returns the step with the given key.
func (r *Rules) Step(key string) (Step, bool) {
	if r == nil {
		return Step{}, false
	}
	i, ok := r.index[key]
	if !ok {
		return Step{}, false
	}
	return r.steps[i], true
}

// Steps returns the steps in file order (a copy).
func (r *Rules) Steps() []Step {
	if r == nil {
		return []Step{}
	}
	return slices.Clone(r.steps)
}

// Merge returns the steps of r with those of o applied on top: a step of o
// replaces the step of r with the same key, in r's position; steps of o
// that r does not have are appended in o's order. Use it to apply an
// operator's file to Default:
//
//	local, err := deadline.Parse(f)
//	...
//	rules := deadline.Default().Merge(local)
//
// Either may be nil. Neither is modified.
func (r *Rules) Merge(o *Rules) *Rules {
	m := &Rules{}
	if r != nil {
		m.steps = slices.Clone(r.steps)
	}
	if o != nil {
		m.steps = slices.Grow(m.steps, len(o.steps))
	}
	m.index = make(map[string]int, len(m.steps))
	for i, s := range m.steps {
		m.index[s.Key] = i
	}
	if o != nil {
		for _, s := range o.steps {
			if i, ok := m.index[s.Key]; ok {
				m.steps[i] = s
				continue
			}
			m.index[s.Key] = len(m.steps)
			m.steps = append(m.steps, s)
		}
	}
	return m
}

// StepError is one problem with one step of a file given to Parse.
type StepError struct {
	Index   int    // position of the step in the "steps" list, from 0
	Key     string // the step's key when it is well formed, else ""
	Field   string // the JSON field concerned ("working_days"), or "" for the whole step and unknown fields
	Value   string // the offending value as written, or "" when there is none (missing field)
	Problem string // what is wrong, in English
}

// Error returns, for example,
// `deadline: step "repair.decide": working_days 0: must be 1..365`, or
// `deadline: steps[3]: key "Repair": must be ...` when the step has no
// usable key.
func (e *StepError) Error() string {
	var b strings.Builder
	b.WriteString("deadline: ")
	if e.Key != "" {
		b.WriteString("step " + strconv.Quote(e.Key))
	} else {
		b.WriteString("steps[" + strconv.Itoa(e.Index) + "]")
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
		if e.Value != "" {
			b.WriteString(" " + e.Value)
		}
	}
	b.WriteString(": " + e.Problem)
	return b.String()
}

// fieldNames are the fields of a step in the file, in canonical order.
var fieldNames = []string{"key", "name", "working_days", "remind_days", "escalate_every", "basis", "public_basis"}

// Parse reads steps in the JSON format described in the package
// documentation (the format of the embedded steps.json), typically an
// operator's file to Merge over Default.
//
// It reports every problem it finds at once, joined with errors.Join: a
// syntax error of the file (with its line), or for each step each unknown,
// duplicate, missing, mistyped or out-of-range field and duplicate keys.
// Problems of a step are *StepError values naming the step by its key or,
// when the key is unusable, its index: errors.As finds the first.
func Parse(r io.Reader) (*Rules, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("deadline: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("deadline: file larger than %d bytes", maxFileSize)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))

	dec := json.NewDecoder(bytes.NewReader(data))
	var top json.RawMessage
	if err := dec.Decode(&top); err != nil {
		return nil, jsonError(data, err)
	}
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF {
		if err == nil {
			err = fmt.Errorf("deadline: line %d: data after the top-level object", lineAt(data, dec.InputOffset()))
		} else {
			err = jsonError(data, err)
		}
		return nil, err
	}

	fields, ok := objectFields(top)
	if !ok {
		return nil, errors.New(`deadline: the file must be a JSON object {"note": ..., "steps": [...]}`)
	}
	var errs []error
	var rawSteps json.RawMessage
	seen := map[string]bool{}
	for _, f := range fields {
		switch {
		case seen[f.name]:
			errs = append(errs, fmt.Errorf("deadline: field %q given twice at the top level", f.name))
		case f.name == "note":
			var s string
			if json.Unmarshal(f.value, &s) != nil {
				errs = append(errs, errors.New("deadline: note: must be a string"))
			}
		case f.name == "steps":
			rawSteps = f.value
		default:
			errs = append(errs, fmt.Errorf("deadline: unknown top-level field %q (known: note, steps)", f.name))
		}
		seen[f.name] = true
	}
	var list []json.RawMessage
	if rawSteps != nil && json.Unmarshal(rawSteps, &list) != nil {
		errs = append(errs, errors.New("deadline: steps: must be a list of step objects"))
	} else if len(list) == 0 {
		errs = append(errs, errors.New("deadline: steps: missing or empty: a file defines at least one step"))
	}

	rules := &Rules{index: make(map[string]int, len(list))}
	for i, raw := range list {
		s, serrs := parseStep(i, raw)
		if s.Key != "" {
			if j, dup := rules.index[s.Key]; dup {
				serrs = append(serrs, &StepError{Index: i, Key: s.Key, Field: "key",
					Problem: fmt.Sprintf("duplicate key: steps[%d] and steps[%d] both define it", j, i)})
			} else {
				rules.index[s.Key] = i
			}
		}
		for _, e := range serrs {
			errs = append(errs, e)
		}
		rules.steps = append(rules.steps, s)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rules, nil
}

// parseStep decodes and checks one step. The returned step's Key is set
// only when the key is well formed; its other fields may be unusable when
// problems are reported.
func parseStep(i int, raw json.RawMessage) (Step, []*StepError) {
	var s Step
	fields, ok := objectFields(raw)
	if !ok {
		return s, []*StepError{{Index: i, Problem: "must be a JSON object with the fields " + strings.Join(fieldNames, ", ")}}
	}
	values := map[string]json.RawMessage{}
	var structural []*StepError // unknown and duplicate fields, wrong types
	for _, f := range fields {
		switch {
		case !slices.Contains(fieldNames, f.name):
			structural = append(structural, &StepError{Index: i,
				Problem: fmt.Sprintf("unknown field %q (known: %s)", f.name, strings.Join(fieldNames, ", "))})
		case values[f.name] != nil:
			structural = append(structural, &StepError{Index: i, Field: f.name, Problem: "given twice"})
		default:
			values[f.name] = f.value
		}
	}

	var errs []*StepError
	report := func(field, value, problem string) {
		errs = append(errs, &StepError{Index: i, Field: field, Value: value, Problem: problem})
	}
	// str and num decode a field; they report it missing or mistyped and
	// return ok == false then.
	str := func(field string) (string, bool) {
		v, present := values[field]
		if !present {
			report(field, "", "missing")
			return "", false
		}
		var x string
		if bytes.Equal(v, []byte("null")) || json.Unmarshal(v, &x) != nil {
			report(field, clip(string(v)), "must be a string")
			return "", false
		}
		return x, true
	}
	num := func(field string) (int, bool) {
		v, present := values[field]
		if !present {
			report(field, "", "missing")
			return 0, false
		}
		var x int
		if bytes.Equal(v, []byte("null")) || json.Unmarshal(v, &x) != nil {
			report(field, clip(string(v)), "must be a whole number")
			return 0, false
		}
		return x, true
	}

	if key, ok := str("key"); ok {
		if problem := checkKey(key); problem != "" {
			report("key", strconv.Quote(key), problem)
		} else {
			s.Key = key
		}
	}
	if name, ok := str("name"); ok {
		s.Name = strings.TrimSpace(name)
		switch {
		case s.Name == "":
			report("name", strconv.Quote(name), "must not be empty")
		case utf8.RuneCountInString(s.Name) > maxNameLen:
			report("name", clip(strconv.Quote(name)), fmt.Sprintf("longer than %d characters", maxNameLen))
		case strings.ContainsFunc(s.Name, unicode.IsControl):
			report("name", strconv.Quote(name), "contains a control character")
		}
	}
	wdOK := false
	if n, ok := num("working_days"); ok {
		s.WorkingDays = n
		if n < 1 || n > MaxWorkingDays {
			report("working_days", strconv.Itoa(n), fmt.Sprintf("must be 1..%d", MaxWorkingDays))
		} else {
			wdOK = true
		}
	}
	if n, ok := num("remind_days"); ok {
		s.RemindDays = n
		switch {
		case wdOK && (n < 0 || n > s.WorkingDays):
			report("remind_days", strconv.Itoa(n), fmt.Sprintf("must be 0..working_days (%d)", s.WorkingDays))
		case !wdOK && (n < 0 || n > MaxWorkingDays):
			report("remind_days", strconv.Itoa(n), fmt.Sprintf("must be 0..%d", MaxWorkingDays))
		}
	}
	if n, ok := num("escalate_every"); ok {
		s.EscalateEvery = n
		if n < 0 || n > MaxWorkingDays {
			report("escalate_every", strconv.Itoa(n), fmt.Sprintf("must be 0..%d (0 = escalate one level only)", MaxWorkingDays))
		}
	}
	if basis, ok := str("basis"); ok {
		s.Basis = strings.TrimSpace(basis)
		if s.Basis == "" {
			report("basis", strconv.Quote(basis), `must not be empty: cite the legal source, or write "平台默认" and why`)
		}
	}

	if _, present := values["public_basis"]; present {
		if pb, ok := str("public_basis"); ok {
			s.PublicBasis = strings.TrimSpace(pb)
			if strings.ContainsFunc(s.PublicBasis, unicode.IsControl) || utf8.RuneCountInString(s.PublicBasis) > 200 {
				report("public_basis", clip(strconv.Quote(pb)), "must be at most 200 characters without control characters")
			}
		}
	}

	errs = append(structural, errs...)
	for _, e := range errs {
		e.Key = s.Key
	}
	return s, errs
}

// checkKey returns what is wrong with a step key, or "".
func checkKey(key string) string {
	const want = `must be lowercase words (a-z, 0-9, _; each starting with a letter) joined by dots, workflow first, such as "objection.mark"`
	if key == "" {
		return "must not be empty"
	}
	if len(key) > maxKeyLen {
		return fmt.Sprintf("longer than %d bytes", maxKeyLen)
	}
	words := strings.Split(key, ".")
	if len(words) < 2 {
		return want
	}
	for _, w := range words {
		if w == "" || w[0] < 'a' || w[0] > 'z' {
			return want
		}
		for j := 1; j < len(w); j++ {
			c := w[j]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
				return want
			}
		}
	}
	return ""
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

// field is a member of a JSON object, in file order.
type field struct {
	name  string
	value json.RawMessage
}

// objectFields returns the members of the JSON object raw, which must be
// valid JSON, in order (duplicates included); ok is false when raw is not
// an object.
func objectFields(raw json.RawMessage) (fields []field, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		fields = append(fields, field{name, v})
	}
	return fields, true
}

// jsonError turns an error of the JSON decoder into one with a line number.
func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("deadline: line %d: invalid JSON: %s", lineAt(data, syn.Offset), syn.Error())
	case err == io.EOF:
		return errors.New("deadline: the file is empty")
	case err == io.ErrUnexpectedEOF:
		return errors.New("deadline: invalid JSON: unexpected end of file")
	}
	return fmt.Errorf("deadline: invalid JSON: %w", err)
}

// lineAt returns the 1-based line of byte offset off in data.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return 1 + bytes.Count(data[:off], []byte("\n"))
}
