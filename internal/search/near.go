package search

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"
)

// NearScan bounds the work of one Near call: the number of entries it
// reads from the bigram lists that drive its patterns. A pattern whose
// shortest list would go past it is left out, the shortest first, so a
// slip next to only common words (科技, 服务) may not be found on a large
// index; the cost of a name that matches nothing stays bounded.
const NearScan = 30000

// MinNearRunes is the shortest core Near looks around: with two
// characters, a slip leaves no bigram to look it up by.
const MinNearRunes = 3

// nearPattern is a string one edit from a core: left, then one character
// (when gap), then right.
type nearPattern struct {
	left, right string
	gap         bool
	keys        []uint64 // the bigrams of left and right
}

// nearPatterns lists the strings one edit from core (folded): a character
// changed or added (a gap), one dropped, or two neighbours swapped. An
// added character at either end is left out: such a name holds core
// itself.
func nearPatterns(core string) []nearPattern {
	rs := []rune(core)
	n := len(rs)
	var out []nearPattern
	add := func(left, right []rune, gap bool) {
		p := nearPattern{left: string(left), right: string(right), gap: gap}
		for _, part := range []string{p.left, p.right} {
			eachGram(part, func(k uint64) {
				if !slices.Contains(p.keys, k) {
					p.keys = append(p.keys, k)
				}
			})
		}
		if len(p.keys) > 0 {
			out = append(out, p)
		}
	}
	for i := range n {
		add(rs[:i], rs[i+1:], true) // changed
		if i > 0 {
			add(rs[:i], rs[i:], true) // added before i
		}
		add(slices.Concat(rs[:i], rs[i+1:]), nil, false) // dropped
		if i+1 < n && rs[i] != rs[i+1] {
			add(slices.Concat(rs[:i], []rune{rs[i+1], rs[i]}, rs[i+2:]), nil, false) // swapped
		}
	}
	return out
}

// holds tells whether doc holds the pattern.
func (p *nearPattern) holds(doc string) bool {
	if !p.gap {
		return strings.Contains(doc, p.left)
	}
	if p.left == "" {
		for off := 0; ; off++ {
			k := strings.Index(doc[off:], p.right)
			if k < 0 {
				return false
			}
			off += k
			if r, _ := utf8.DecodeLastRuneInString(doc[:off]); off > 0 && r != docSep {
				return true
			}
		}
	}
	for off := 0; ; off++ {
		k := strings.Index(doc[off:], p.left)
		if k < 0 {
			return false
		}
		off += k
		after := doc[off+len(p.left):]
		if r, n := utf8.DecodeRuneInString(after); n > 0 && r != docSep && strings.HasPrefix(after[n:], p.right) {
			return true
		}
	}
}

// Near returns up to limit subjects one of whose folded names holds a
// string one edit from core (a character changed, added or dropped, or two
// neighbours swapped) and none of whose names holds core itself, best
// first by BM25 over the bigrams of all, as Rank. core is folded and of at
// least MinNearRunes characters (else Near returns nothing); a candidate
// is found through the bigrams the edit leaves whole, so an edit that
// leaves none (the middle of three characters) is not looked for, nor
// are patterns past NearScan.
func (x *Index) Near(core string, all []string, limit int) []int64 {
	if limit <= 0 || utf8.RuneCountInString(core) < MinNearRunes || strings.ContainsRune(core, docSep) {
		return nil
	}
	pats := nearPatterns(core)
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.count == 0 {
		return nil
	}
	type driven struct {
		p     *nearPattern
		lists [][]uint32
	}
	ds := make([]driven, 0, len(pats))
	for i := range pats {
		d := driven{p: &pats[i], lists: make([][]uint32, len(pats[i].keys))}
		empty := false
		for j, k := range pats[i].keys {
			d.lists[j] = x.post[k]
			empty = empty || len(d.lists[j]) == 0
		}
		if empty {
			continue
		}
		slices.SortFunc(d.lists, func(a, b []uint32) int { return cmp.Compare(len(a), len(b)) })
		ds = append(ds, d)
	}
	slices.SortStableFunc(ds, func(a, b driven) int { return cmp.Compare(len(a.lists[0]), len(b.lists[0])) })
	var found []uint32
	budget := NearScan
	for _, d := range ds {
		if len(d.lists[0]) > budget {
			break
		}
		budget -= len(d.lists[0])
		at := make([]int, len(d.lists))
	next:
		for _, id := range d.lists[0] {
			for j := 1; j < len(d.lists); j++ {
				at[j] = gallop(d.lists[j], at[j], id)
				if at[j] == len(d.lists[j]) {
					break next
				}
				if d.lists[j][at[j]] != id {
					continue next
				}
			}
			if d.p.holds(x.doc(id)) {
				found = append(found, id)
			}
		}
	}
	slices.Sort(found)
	found = slices.Compact(found)
	kept := found[:0]
	for _, id := range found {
		if !strings.Contains(x.doc(id), core) {
			kept = append(kept, id)
		}
	}
	return x.rank(kept, all, limit)
}

// NearGrams lists, for the strings one edit from core that Near looks for,
// the bigrams each holds outside the changed or added character (a list
// that holds another is left out): a database's full-text index finds the
// names near core among those holding every bigram of one of the lists,
// though it cannot check, as Near does, the character in between. core is
// folded; a core shorter than MinNearRunes has none.
func NearGrams(core string) [][]string {
	if utf8.RuneCountInString(core) < MinNearRunes {
		return nil
	}
	var sets [][]uint64
	for _, p := range nearPatterns(core) {
		k := slices.Clone(p.keys)
		slices.Sort(k)
		sets = append(sets, slices.Compact(k))
	}
	// Fewest bigrams first; a list holding an earlier one adds nothing.
	slices.SortStableFunc(sets, func(a, b []uint64) int { return cmp.Compare(len(a), len(b)) })
	var out [][]string
	var kept [][]uint64
	for _, s := range sets {
		if slices.ContainsFunc(kept, func(k []uint64) bool { return subset(k, s) }) {
			continue
		}
		kept = append(kept, s)
		grams := make([]string, len(s))
		for i, k := range s {
			grams[i] = string([]rune{rune(k >> 32), rune(uint32(k))})
		}
		out = append(out, grams)
	}
	return out
}

// subset: every key of a (sorted) is in b (sorted).
func subset(a, b []uint64) bool {
	for _, k := range a {
		if _, ok := slices.BinarySearch(b, k); !ok {
			return false
		}
	}
	return true
}
