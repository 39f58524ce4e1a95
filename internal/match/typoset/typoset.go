// Package typoset builds the labelled set the name matcher's possible
// band (match.BandPossible) is measured on: a dense list of synthetic
// company names, queries that are a listed company's name with one
// character of its core mistyped (labelled: that company), and made-up
// near misses, names one character off a listed company that name
// another, unlisted firm (labelled: nobody).
//
// The list is internal/demo's companies (企业: trade name + line of
// business + form, behind a place), so it is dense the way a province's
// register is: a trade name is two characters out of a few thousand
// pairs and lines of business repeat, so a changed character often makes
// the core of another listed firm (华信电子科技 / 华新电子科技), in another
// place or the same one. A slip is one edit of the core: a character
// changed (most often), one added, one dropped, or two neighbours
// swapped; changed and added characters are drawn from the characters of
// the listed cores, as often as they occur there, so slips make plausible
// names. A slip whose core is the core of a listed name (current or
// former) is drawn again: the query would then name that firm, and no
// matcher could tell. The queries are written as clerks write names: the
// registered name (most), without its place, or without its form.
//
// Typo queries and near misses are made the same way; only the label
// differs. No matcher can tell them apart by the name alone, which is the
// point: a near miss must never reach the match band, and a typo should
// find its firm first in the possible band, for a person to confirm.
//
// Labels come from the construction, never from running the matcher. The
// set is deterministic for a seed (for a given Go release, as
// internal/demo).
package typoset

import (
	"errors"
	"math/rand/v2"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/match"
)

// Options size a set.
type Options struct {
	Seed       int64
	Names      int // listed companies
	Typos      int // queries with a slip, labelled with their company
	NearMisses int // queries with a slip, labelled nobody
}

// Kind is how a query writes the name.
type Kind string

const (
	Registered Kind = "registered" // the registered name
	NoPlace    Kind = "no_place"   // without the leading place
	NoForm     Kind = "no_form"    // without the organisational form
)

// Query is a name given without a code.
type Query struct {
	Name   string
	Region string         // always "": the name alone
	Of     int64          // the listed company whose name was mistyped
	Want   int64          // the labelled answer: Of for a typo, 0 for a near miss
	Edit   match.EditKind // the slip
	Kind   Kind
}

// Set is a list and its queries.
type Set struct {
	// List are the companies, with ids 1 to Names in order.
	List       []credit.Subject
	Typos      []Query
	NearMisses []Query
	// Landed counts the slips drawn again because they made the core of
	// a listed name.
	Landed int
}

var errEnough = errors.New("enough")

// Generate builds a set.
func Generate(opts Options) Set {
	var set Set
	// About 57 % of demo subjects are companies; ask for more and stop.
	_ = demo.Generate(demo.Options{Seed: opts.Seed, Subjects: opts.Names*2 + 100}, func(s credit.Subject) error {
		if s.Class != credit.ClassOrg || !isCompany(s.Name) {
			return nil
		}
		s.ID = int64(len(set.List) + 1)
		set.List = append(set.List, s)
		if len(set.List) == opts.Names {
			return errEnough
		}
		return nil
	})

	listed := map[string]bool{}
	var companies []int // indexes of names whose core is written in one piece
	for i, s := range set.List {
		core, _ := match.Normalize(s.Name)
		listed[core] = true
		for _, f := range s.FormerNames {
			c, _ := match.Normalize(f.Name)
			listed[c] = true
		}
		if len([]rune(core)) >= match.MinSlipRunes && strings.Contains(s.Name, core) {
			companies = append(companies, i)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 15))
	g := &gen{rng: rng, listed: listed}
	for _, i := range companies {
		g.alphabet = append(g.alphabet, []rune(match.Parse(set.List[i].Name).Core)...)
	}
	used := map[int]bool{}
	draw := func(want bool) Query {
		for {
			i := companies[rng.IntN(len(companies))]
			if used[i] {
				continue
			}
			q, ok := g.slip(set.List[i])
			if !ok {
				if q.Name != "" {
					set.Landed++
				}
				continue
			}
			used[i] = true
			if want {
				q.Want = q.Of
			}
			return q
		}
	}
	for range opts.Typos {
		set.Typos = append(set.Typos, draw(true))
	}
	for range opts.NearMisses {
		set.NearMisses = append(set.NearMisses, draw(false))
	}
	return set
}

// isCompany: an enterprise name (公司, 合伙企业), not a cooperative,
// institution or association.
func isCompany(name string) bool {
	return strings.Contains(name, "公司") || strings.Contains(name, "合伙企业")
}

type gen struct {
	rng      *rand.Rand
	listed   map[string]bool
	alphabet []rune // the characters of the listed cores, with repeats
}

// slip mistypes one character of s's core; ok is false when the slip
// cannot be used (q.Name is set when it made a listed core).
func (g *gen) slip(s credit.Subject) (q Query, ok bool) {
	p := match.Parse(s.Name)
	core := []rune(p.Core)
	i := g.rng.IntN(len(core))
	var out []rune
	var kind match.EditKind
	switch x := g.rng.IntN(100); {
	case x < 70:
		kind = match.Substitute
		out = append(append(append(out, core[:i]...), g.char(core[i])), core[i+1:]...)
	case x < 80:
		kind = match.Insert // the query has one more
		out = append(append(append(out, core[:i]...), g.char(0)), core[i:]...)
	case x < 90:
		kind = match.Delete // the query lacks one
		out = append(append(out, core[:i]...), core[i+1:]...)
	default:
		if i == len(core)-1 {
			i--
		}
		kind = match.Transpose
		out = append(append(append(out, core[:i]...), core[i+1], core[i]), core[i+2:]...)
		if core[i] == core[i+1] {
			return Query{}, false
		}
	}
	slipped := string(out)
	name := strings.Replace(s.Name, p.Core, slipped, 1)
	k := Registered
	switch x := g.rng.IntN(100); {
	case x < 15 && p.Place != "" && strings.HasPrefix(name, p.Place):
		name, k = strings.TrimPrefix(name, p.Place), NoPlace
	case x >= 85 && len(p.Forms) > 0 && p.Branch == "" && len(p.Notes) == 0 && strings.HasSuffix(name, strings.Join(p.Forms, "")):
		name, k = strings.TrimSuffix(name, strings.Join(p.Forms, "")), NoForm
	}
	q = Query{Name: name, Of: s.ID, Edit: kind, Kind: k}
	// The query must read as intended: the slip is in its core, and that
	// core is no listed firm's.
	if match.Parse(name).Core != slipped {
		return Query{}, false
	}
	if g.listed[slipped] {
		return q, false
	}
	return q, true
}

// char draws a character of the listed cores other than not.
func (g *gen) char(not rune) rune {
	for {
		if r := g.alphabet[g.rng.IntN(len(g.alphabet))]; r != not {
			return r
		}
	}
}
