package store

import (
	"context"
	"runtime"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
)

// BatchStore answers many subjects at once, for credit checks of up to
// 10,000 subjects in one request.
type BatchStore interface {
	// FindSubjectsByCodes is FindSubjectByCode for many codes: the result
	// maps each code found to its subject (without former names).
	FindSubjectsByCodes(ctx context.Context, codes []string) (map[string]credit.Subject, error)
	// SubjectsRecords returns the current records of the subjects, of the
	// given kinds (all kinds when kinds is empty), without their personal
	// fields (Private is nil), state reasons or timeliness, and with
	// FirstReceived set to the version's receipt: what a check needs.
	SubjectsRecords(ctx context.Context, subjectIDs []int64, kinds []string) ([]Record, error)
}

// BatchChunk is how many values one IN list holds.
const BatchChunk = 1000

// CodeLookup is the lookup rule of FindByCode for many codes: the natural
// keys and registration numbers to read, and how to map what was read back
// to the codes.
type CodeLookup struct {
	Keys   []string // natural keys to read
	RegNos []string // registration numbers to read
	usc    map[string]string
	person map[string]string
	reg    map[string]bool
}

// LookupCodes plans reading codes: an 18-character code is tried as a
// USCC and, when it is a valid ID number, as a person's (the USCC wins,
// as in FindByCode); a 15-character code is a registration number.
func LookupCodes(k *pii.Keyring, codes []string) CodeLookup {
	l := CodeLookup{usc: map[string]string{}, person: map[string]string{}, reg: map[string]bool{}}
	for _, c := range codes {
		switch len(c) {
		case 18:
			if _, dup := l.usc[c]; dup {
				continue
			}
			key := credit.Subject{Class: credit.ClassOrg, USCC: c}.NaturalKey(nil)
			l.usc[c] = key
			l.Keys = append(l.Keys, key)
			if k != nil && code.Check(code.KindRIC, c).Status == code.StatusValid {
				pk := credit.Subject{Class: credit.ClassPerson, IDNumber: c}.NaturalKey(k.Hash)
				l.person[c] = pk
				l.Keys = append(l.Keys, pk)
			}
		case 15:
			if !l.reg[c] {
				l.reg[c] = true
				l.RegNos = append(l.RegNos, c)
			}
		}
	}
	return l
}

// Resolve maps what was read (by natural key and by registration number;
// for a registration number the subject with the lowest id) back to the
// codes.
func (l CodeLookup) Resolve(byKey, byRegNo map[string]credit.Subject) map[string]credit.Subject {
	out := make(map[string]credit.Subject, len(l.usc)+len(l.reg))
	for c, key := range l.usc {
		if s, ok := byKey[key]; ok {
			out[c] = s
		} else if s, ok := byKey[l.person[c]]; ok && l.person[c] != "" {
			out[c] = s
		}
	}
	for c := range l.reg {
		if s, ok := byRegNo[c]; ok {
			out[c] = s
		}
	}
	return out
}

// KeyedSubject is a subject read by one of its keys (a natural key or a
// registration number).
type KeyedSubject struct {
	Key     string
	Subject credit.Subject
}

// FirstByKey puts into m the first subject read for each key (rows ordered
// by subject id within each key: the oldest subject wins).
func FirstByKey(rows []KeyedSubject, m map[string]credit.Subject) {
	for _, r := range rows {
		if _, seen := m[r.Key]; !seen {
			m[r.Key] = r.Subject
		}
	}
}

// ReadChunks reads values by IN lists (Chunks), up to one list per CPU at
// once, and returns what read returned for each list, in the lists' order.
// A check of 10,000 subjects reads some 50,000 scattered records: one
// list after the other it waited on one page read at a time.
func ReadChunks[T, R any](ctx context.Context, values []T, read func(ctx context.Context, chunk []T) ([]R, error)) ([]R, error) {
	chunks := Chunks(values)
	if len(chunks) == 1 {
		return read(ctx, chunks[0])
	}
	parts := make([][]R, len(chunks))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(2, runtime.NumCPU()))
	for i, c := range chunks {
		g.Go(func() (err error) {
			parts[i], err = read(ctx, c)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return slices.Concat(parts...), nil
}

// Chunks splits values into IN lists of at most BatchChunk.
func Chunks[T any](values []T) [][]T {
	var out [][]T
	for len(values) > 0 {
		n := min(len(values), BatchChunk)
		out = append(out, values[:n])
		values = values[n:]
	}
	return out
}
