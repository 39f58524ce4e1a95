package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.Matcher = (*Store)(nil)

// anyOf is the FTS5 query of any of the bigrams: "ab" OR "bc". The bigrams
// hold only letters and digits (search.Fold), so quoting them needs no
// escapes.
func anyOf(grams []string) string {
	parts := make([]string, len(grams))
	for i, g := range grams {
		parts[i] = `"` + g + `"`
	}
	return strings.Join(parts, " OR ")
}

// matchQuery is the FTS5 query of a candidate lookup: entries holding any
// of the required bigrams, ranked over all of them. BM25 sums over every
// phrase of the query, so the second half ranks without widening what
// matches.
func matchQuery(required, all []string) string {
	if len(required) == len(all) {
		return anyOf(all)
	}
	return "(" + anyOf(required) + ") AND (" + anyOf(all) + ")"
}

// matchSQL finds the candidates: the query, then the limit. FTS5's rank is
// BM25, which weighs each shared bigram by its rarity and favours short
// entries.
const matchSQL = `SELECT ` + subjectColumns + ` FROM subjects JOIN (
		SELECT rowid AS match_id, rank AS match_rank FROM subject_search
		WHERE subject_search MATCH ? ORDER BY rank, rowid LIMIT ?) ON match_id = subjects.id
	WHERE class <> 'person' ORDER BY match_rank, id`

// gramCountSQL counts the entries holding a bigram, up to one more than
// store.CommonGram.
var gramCountSQL = fmt.Sprintf(`SELECT count(*) FROM (
	SELECT 1 FROM subject_search WHERE subject_search MATCH ? LIMIT %d)`, store.CommonGram+1)

// MatchCandidates implements store.Matcher.
func (s *Store) MatchCandidates(ctx context.Context, name string, limit int) ([]credit.Subject, error) {
	grams, err := store.NewMatchGrams(name)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	if err := s.catchUpSearch(ctx); err != nil {
		return nil, fmt.Errorf("match candidates: %w", err)
	}
	required, err := grams.Required(func(g string) (n int, err error) {
		err = s.r.QueryRowContext(ctx, gramCountSQL, anyOf([]string{g})).Scan(&n)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("match candidates: %w", err)
	}
	out, err := s.querySubjects(ctx, matchSQL, matchQuery(required, grams.All), limit)
	if err != nil {
		return nil, fmt.Errorf("match candidates: %w", err)
	}
	return out, nil
}

// nearQuery is the FTS5 query of the names near a core: those holding all
// the bigrams of one of the lists, ranked over all the bigrams of the
// query.
func nearQuery(near [][]string, all []string) string {
	parts := make([]string, len(near))
	for i, g := range near {
		q := make([]string, len(g))
		for j, x := range g {
			q[j] = `"` + x + `"`
		}
		parts[i] = "(" + strings.Join(q, " AND ") + ")"
	}
	return "(" + strings.Join(parts, " OR ") + ") AND (" + anyOf(all) + ")"
}

// NearCandidates implements store.Matcher.
func (s *Store) NearCandidates(ctx context.Context, name string, limit int) ([]credit.Subject, error) {
	grams, err := store.NewMatchGrams(name)
	if err != nil {
		return nil, err
	}
	near := grams.Near()
	if limit <= 0 || len(near) == 0 {
		return nil, nil
	}
	if err := s.catchUpSearch(ctx); err != nil {
		return nil, fmt.Errorf("near candidates: %w", err)
	}
	out, err := s.querySubjects(ctx, matchSQL, nearQuery(near, grams.All), limit)
	if err != nil {
		return nil, fmt.Errorf("near candidates: %w", err)
	}
	return out, nil
}
