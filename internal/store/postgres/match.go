package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
)

var _ store.Matcher = (*Store)(nil)

// anyOf is the tsquery of any of the bigrams: 'ab' | 'bc', literal lexemes
// as searchQuery writes them (no parser or dictionary).
func anyOf(grams []string) string {
	parts := make([]string, len(grams))
	for i, g := range grams {
		parts[i] = "'" + g + "'"
	}
	return strings.Join(parts, " | ")
}

// matchSQL finds the candidates: $1 the tsquery that selects the entries
// (through the GIN index), $2 the one that ranks them, $3 the limit.
// ts_rank of an OR query grows with the share of its bigrams an entry
// holds (PostgreSQL knows no term rarity; the rare bigrams select); it is
// divided by 1 + the log of the entry's length (normalisation 1), so that
// short names come first.
const matchSQL = `SELECT ` + subjectColumns + ` FROM subjects JOIN (
		SELECT subject_id AS match_id, ts_rank(grams, CAST($2 AS tsquery), 1) AS match_rank
		FROM subject_search WHERE grams @@ CAST($1 AS tsquery)
		ORDER BY match_rank DESC, subject_id LIMIT $3) m ON m.match_id = subjects.id
	WHERE class <> 'person' ORDER BY m.match_rank DESC, id`

// gramCountSQL counts the entries holding a bigram, up to one more than
// store.CommonGram.
var gramCountSQL = fmt.Sprintf(`SELECT count(*) FROM (
	SELECT 1 FROM subject_search WHERE grams @@ CAST($1 AS tsquery) LIMIT %d) t`, store.CommonGram+1)

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
		err = s.reads.QueryRow(ctx, gramCountSQL, anyOf([]string{g})).Scan(&n)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("match candidates: %w", err)
	}
	out, err := s.querySubjects(ctx, matchSQL, anyOf(required), anyOf(grams.All), limit)
	if err != nil {
		return nil, fmt.Errorf("match candidates: %w", err)
	}
	return out, nil
}

// nearQuery is the tsquery of the names near a core: those holding all the
// bigrams of one of the lists.
func nearQuery(near [][]string) string {
	parts := make([]string, len(near))
	for i, g := range near {
		q := make([]string, len(g))
		for j, x := range g {
			q[j] = "'" + x + "'"
		}
		parts[i] = "(" + strings.Join(q, " & ") + ")"
	}
	return strings.Join(parts, " | ")
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
	out, err := s.querySubjects(ctx, matchSQL, nearQuery(near), anyOf(grams.All), limit)
	if err != nil {
		return nil, fmt.Errorf("near candidates: %w", err)
	}
	return out, nil
}
