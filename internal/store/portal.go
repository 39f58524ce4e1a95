package store

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/search"
)

// MinQueryRunes is the shortest name query, in folded characters: one
// character would match a large part of the registry.
const MinQueryRunes = 2

// SearchIndexVersion names the way the name-search index is built (the
// folding rules and the bigram layout). A driver rebuilds the index when
// the database holds another version.
const SearchIndexVersion = "bigram-1"

// QueryGrams folds a name query and cuts it into the bigrams a phrase
// search looks for; ErrInvalid when it is shorter than MinQueryRunes.
func QueryGrams(q string) ([]string, error) {
	f := search.Fold(q)
	if utf8.RuneCountInString(f) < MinQueryRunes {
		return nil, fault.Newf(fault.Invalid, "名称至少输入%d个字", MinQueryRunes)
	}
	return search.Grams(f), nil
}

// NameGrams returns the bigrams of each distinct folded name; names that
// fold to less than MinQueryRunes characters add nothing (no query could
// find them by a phrase).
func NameGrams(names []string) [][]string {
	var out [][]string
	seen := map[string]bool{}
	for _, n := range names {
		f := search.Fold(n)
		if seen[f] || utf8.RuneCountInString(f) < MinQueryRunes {
			continue
		}
		seen[f] = true
		out = append(out, search.Grams(f))
	}
	return out
}

// AddIndexName adds a name to the index entries being built from rows
// ordered by subject id.
func AddIndexName(docs []IndexDoc, id int64, name string) []IndexDoc {
	if n := len(docs); n > 0 && docs[n-1].Subject == id {
		docs[n-1].Names = append(docs[n-1].Names, name)
		return docs
	}
	return append(docs, IndexDoc{Subject: id, Names: []string{name}})
}

// SearchSyncBatch is how many name changes one transaction of a driver's
// SyncSearch applies.
const SearchSyncBatch = 5000

// SearchCatchUp is how long a search of a driver's full-text index waits to
// apply the name changes written before it.
const SearchCatchUp = 2 * time.Second

// SyncSearchBatches runs a driver's sync step (one transaction applying up
// to SearchSyncBatch name changes) until it is caught up.
func SyncSearchBatches(ctx context.Context, step func(context.Context) (int, error)) error {
	for {
		n, err := step(ctx)
		if err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		if n < SearchSyncBatch {
			return nil
		}
	}
}

// CatchUpSearch applies pending name changes before a search of a driver's
// full-text index, so that a search finds what was written before it,
// waiting at most SearchCatchUp (an intake may hold the writer); past that
// the search answers from the index as it is, and the server's
// FollowSearch catches up.
func CatchUpSearch(ctx context.Context, sync func(context.Context) error) error {
	sctx, cancel := context.WithTimeout(ctx, SearchCatchUp)
	defer cancel()
	err := sync(sctx)
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

// NameDocs assembles the search entries of the subjects ids (each once, in
// the order of ids): the current name from current, then the former names
// from former. Subjects without a current name (persons, or gone) are left
// out. subject_names holds only former names; the current name is the
// subject's own.
func NameDocs(ids []int64, current map[int64]string, former map[int64][]string) []IndexDoc {
	docs := make([]IndexDoc, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		name, ok := current[id]
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		docs = append(docs, IndexDoc{Subject: id, Names: append([]string{name}, former[id]...)})
	}
	return docs
}

// RecordFilter narrows LatestRecords; empty fields match all.
type RecordFilter struct {
	Kind   string
	Dept   string // USCC of the supplying department
	Region string // prefix of the subject's 6-digit division code: "61", "6101", "610113"
	From   string // first decision date, YYYY-MM-DD
	To     string // last decision date, YYYY-MM-DD
	// DecisionNo, when set, selects records with this decision number;
	// OnlyLate selects those received late (the reporting ledger's 迟报).
	DecisionNo string
	OnlyLate   bool
	// Persons: also list records about natural persons (never on the
	// public portal).
	Persons bool
	Offset  int
	Limit   int
}

// LinkVersions sets ValidFrom of versions listed oldest first (as
// RecordVersions returns them): the first is valid from its receipt, each
// later one from the moment the one before it was replaced.
func LinkVersions(vs []Record) {
	for i := range vs {
		if i == 0 {
			vs[i].ValidFrom = vs[i].ReceivedAt
		} else {
			vs[i].ValidFrom = vs[i-1].ValidTo
		}
	}
}

// VersionAt returns the version in force at t among versions linked by
// LinkVersions; false when the record did not exist yet.
func VersionAt(vs []Record, t time.Time) (Record, bool) {
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		if !v.ValidFrom.After(t) && (v.ValidTo.IsZero() || t.Before(v.ValidTo)) {
			return v, true
		}
	}
	return Record{}, false
}

// RecordSubject is the subject a listed record is about.
type RecordSubject struct {
	Name   string
	Class  credit.Class
	Region string
	USCC   string
	RegNo  string
}
