package store

import (
	"context"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/match"
	"github.com/xinyong/xinyong/internal/search"
)

// Matcher finds the subjects a name given without a code may mean, for
// match.Rank to score.
type Matcher interface {
	// MatchCandidates returns up to limit organisations, sole traders and
	// government bodies (never persons) whose current or former names
	// share a bigram with the core of name (match.Normalize; only its
	// rarer bigrams when it has some, see MatchGrams.Required), those
	// sharing the most bigrams of the core and the place first (on SQLite
	// weighted by rarity, BM25), with FormerNames filled. A name whose
	// core is shorter than MinQueryRunes is ErrInvalid; limit <= 0
	// returns nothing.
	MatchCandidates(ctx context.Context, name string, limit int) ([]credit.Subject, error)
	// NearCandidates returns up to limit organisations, sole traders and
	// government bodies (never persons) one of whose current or former
	// names holds a string one edit from the core of name (a character
	// changed, added or dropped, or two neighbours swapped: the possible
	// matches of match.BandPossible), those sharing the most bigrams of
	// the core and the place first, with FormerNames filled. It is asked
	// when MatchCandidates finds nothing in the match band. A core shorter
	// than search.MinNearRunes finds nothing; one shorter than
	// MinQueryRunes is ErrInvalid.
	//
	// The in-memory index (Indexed) checks the characters around the
	// slip; a database's full-text index cannot, and returns names
	// holding the bigrams the slip leaves whole, for match.Rank to sort
	// out: among many such names (a slip next to only common words) it
	// may miss the one meant.
	NearCandidates(ctx context.Context, name string, limit int) ([]credit.Subject, error)
}

// MaxMatchGrams bounds the bigrams of a candidate query: a longer name is
// looked up by the first MaxMatchGrams distinct ones.
const MaxMatchGrams = 32

// CommonGram is the number of index entries above which a bigram is
// common: a candidate query does not require it when the core has rarer
// ones (see MatchGrams.Required).
const CommonGram = 2000

// MatchGrams are the terms of a candidate query.
type MatchGrams struct {
	// Text is the name's core (match.Parse), folded.
	Text string
	// Core are the distinct bigrams of the name's core (match.Parse): a
	// candidate that can match shares all of them, by its current or a
	// former name.
	Core []string
	// All are Core and then the bigrams of the name's place: the ranking
	// uses them all, since the place is what tells apart the many
	// subjects whose core is generic (就业服务中心 of every county, 老王面馆).
	// The organisational forms are left out (有限公司: most names share
	// their bigrams).
	All []string
}

// NewMatchGrams takes the bigrams of a name; ErrInvalid when its core is
// shorter than MinQueryRunes.
func NewMatchGrams(name string) (MatchGrams, error) {
	p := match.Parse(name)
	if utf8.RuneCountInString(p.Core) < MinQueryRunes {
		return MatchGrams{}, fault.Newf(fault.Invalid, "名称至少输入%d个字", MinQueryRunes)
	}
	m := MatchGrams{Text: p.Core}
	seen := map[string]bool{}
	add := func(grams []string) {
		for _, g := range grams {
			if !seen[g] && len(m.All) < MaxMatchGrams {
				seen[g] = true
				m.All = append(m.All, g)
			}
		}
	}
	add(search.Grams(p.Core))
	m.Core = m.All[:len(m.All):len(m.All)]
	add(search.Grams(p.Place + p.Core))
	return m, nil
}

// Required returns the core bigrams a candidate query must match (any of
// them): those in at most CommonGram entries, or all of them when every
// one is common. count returns the number of entries holding a bigram,
// or any number above CommonGram when there are more (it may stop
// counting there).
//
// Leaving out the common bigrams (科技, 服务, 管理) loses no candidate that
// can reach match.DefaultMinScore: that takes the same core, so such a
// candidate holds every bigram of the core, the rare ones too. It keeps
// the query from ranking every entry that holds 科技.
func (m MatchGrams) Required(count func(gram string) (int, error)) ([]string, error) {
	var rare []string
	for _, g := range m.Core {
		n, err := count(g)
		if err != nil {
			return nil, err
		}
		if n <= CommonGram {
			rare = append(rare, g)
		}
	}
	if len(rare) == 0 {
		return m.Core, nil
	}
	return rare, nil
}

// MaxNearGrams bounds the bigrams of a query for the names near a core
// (MatchGrams.Near), all lists together.
const MaxNearGrams = 4 * MaxMatchGrams

// Near returns the lists of bigrams of a query for the names one edit
// from the core (search.NearGrams): a name near the core holds every
// bigram of one of them. Lists beyond MaxNearGrams bigrams in all are
// left out.
func (m MatchGrams) Near() [][]string {
	var out [][]string
	n := 0
	for _, g := range search.NearGrams(m.Text) {
		if n+len(g) > MaxNearGrams {
			break
		}
		n += len(g)
		out = append(out, g)
	}
	return out
}
