package search

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// Index is an in-memory name index: the folded names of each subject and,
// for each bigram, the ids of the subjects whose names hold it, in
// ascending order. It answers a phrase search by walking the shortest of
// the query's bigram lists in id order, skipping ahead in the others, and
// checking the phrase itself in the candidate's folded names, so a page
// costs what it returns, however common the bigrams are; and it ranks the
// candidates of a name given without a code (BM25 over its bigrams).
//
// Postings only grow: a subject that loses a name (a corrected name, not
// a rename: renames keep the old name as a former one) stays in that
// name's bigram lists, and the check against its current folded names
// drops it. Ids are those of the store, at most math.MaxUint32.
//
// An Index is safe for concurrent use; searches share a read lock and Put
// takes the write lock for one batch.
//
// The folded names live in one byte arena, addressed by offset and length
// per id, so that the garbage collector, which scans every pointer of the
// live heap at each cycle, finds a handful of objects where a string per
// subject made a million (measured: the subject page's p99 at 1,000,000
// subjects rose by a quarter with a string per subject).
type Index struct {
	mu    sync.RWMutex
	text  []byte              // folded names of every subject, each entry's names joined by docSep
	spans []uint64            // by subject id: offset<<spanLenBits | length of its entry in text; 0 when none
	dead  int                 // bytes of text no longer addressed (replaced entries)
	post  map[uint64][]uint32 // bigram key → subject ids, ascending
	count int                 // subjects with names
	grams int                 // bigrams in all docs, for BM25's average length
}

// spanLenBits bounds an entry's length (16 MiB) and leaves 40 bits of
// offset (1 TiB of names).
const spanLenBits = 24

// doc returns the entry of id ("" when none). The string shares the
// arena's bytes, which are never changed once written; it must not be
// kept past the lock that was held to get it (a compaction replaces the
// arena).
func (x *Index) doc(id uint32) string {
	if int(id) >= len(x.spans) {
		return ""
	}
	sp := x.spans[id]
	n := int(sp & (1<<spanLenBits - 1))
	if n == 0 {
		return ""
	}
	off := int(sp >> spanLenBits)
	return unsafe.String(&x.text[off], n)
}

// Doc is a subject's entry: its id and all its names (current and former),
// as given; Put folds them.
type Doc struct {
	ID    int64
	Names []string
}

// docSep separates the folded names of one subject; Fold keeps only
// letters and digits, so no name holds it and no bigram spans two names.
const docSep = '\n'

// minRunes is the shortest folded name indexed (store.MinQueryRunes: no
// query can find a shorter one by a phrase).
const minRunes = 2

// NewIndex returns an empty index.
func NewIndex() *Index { return &Index{post: map[uint64][]uint32{}} }

func gramKey(a, b rune) uint64 { return uint64(a)<<32 | uint64(b) }

// document folds names into an index entry: each distinct folded name of
// at least minRunes characters, joined by docSep.
func document(names []string) string {
	var b strings.Builder
	var seen []string
	for _, n := range names {
		f := Fold(n)
		if utf8.RuneCountInString(f) < minRunes || slices.Contains(seen, f) {
			continue
		}
		seen = append(seen, f)
		if b.Len() > 0 {
			b.WriteRune(docSep)
		}
		b.WriteString(f)
	}
	return b.String()
}

// eachGram calls fn with the key of every bigram of a document (or of a
// folded query), repeats included, never across docSep.
func eachGram(doc string, fn func(uint64)) {
	var prev rune = -1
	for _, r := range doc {
		if r == docSep {
			prev = -1
			continue
		}
		if prev >= 0 {
			fn(gramKey(prev, r))
		}
		prev = r
	}
}

func gramCount(doc string) (n int) {
	eachGram(doc, func(uint64) { n++ })
	return n
}

// Put adds or replaces the entries of subjects, in one write-locked step.
// A Doc without names of at least two folded characters clears the
// subject's entry.
func (x *Index) Put(docs ...Doc) error {
	folded := make([]string, len(docs))
	for i, d := range docs {
		if d.ID < 0 || d.ID > math.MaxUint32 {
			return fmt.Errorf("name index: subject id %d out of range", d.ID)
		}
		folded[i] = document(d.Names)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for i, d := range docs {
		x.put(uint32(d.ID), folded[i])
	}
	return nil
}

func (x *Index) put(id uint32, doc string) {
	if len(doc) >= 1<<spanLenBits {
		doc = doc[:strings.LastIndexByte(doc[:1<<spanLenBits], docSep)+1] // whole names only
		doc = strings.TrimSuffix(doc, string(docSep))
	}
	if int(id) >= len(x.spans) {
		x.spans = slices.Grow(x.spans, int(id)+1-len(x.spans))[:id+1]
	}
	old := x.doc(id)
	if old == doc {
		return
	}
	if old != "" {
		x.count--
		x.grams -= gramCount(old)
		x.dead += len(old)
		x.spans[id] = 0
	}
	if doc == "" {
		return
	}
	x.spans[id] = uint64(len(x.text))<<spanLenBits | uint64(len(doc))
	x.text = append(x.text, doc...)
	x.count++
	eachGram(doc, func(k uint64) {
		x.grams++
		p := x.post[k]
		switch n := len(p); {
		case n == 0 || p[n-1] < id:
			x.post[k] = append(p, id)
		case p[n-1] == id:
		default:
			if i, found := slices.BinarySearch(p, id); !found {
				x.post[k] = slices.Insert(p, i, id)
			}
		}
	})
	if x.dead > compactMin && x.dead > len(x.text)/2 {
		x.compactText()
	}
}

// compactMin is the garbage in the arena below which replacing entries
// never compacts it (a variable for the tests).
var compactMin = 1 << 20

// compactText copies the live entries into a new arena.
func (x *Index) compactText() {
	text := make([]byte, 0, len(x.text)-x.dead)
	for id, sp := range x.spans {
		if sp == 0 {
			continue
		}
		d := x.doc(uint32(id))
		x.spans[id] = uint64(len(text))<<spanLenBits | uint64(len(d))
		text = append(text, d...)
	}
	x.text, x.dead = text, 0
}

// Compact gives the bigram lists back the room that appending left in
// them; call it after a bulk load.
func (x *Index) Compact() {
	x.mu.Lock()
	defer x.mu.Unlock()
	for k, p := range x.post {
		if cap(p) > len(p)+len(p)/8 {
			x.post[k] = slices.Clone(p)
		}
	}
	x.spans = slices.Clip(x.spans)
	x.compactText()
}

// Stats tells the size of the index: subjects with names, distinct
// bigrams, postings, and an estimate of the bytes it holds.
func (x *Index) Stats() (subjects, grams, postings int, bytes int64) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	bytes = int64(cap(x.spans))*8 + int64(cap(x.text))
	for _, p := range x.post {
		postings += len(p)
		bytes += int64(cap(p))*4 + 24 + 8 + 8 // list, slice header, key, map slot overhead (about)
	}
	return x.count, len(x.post), postings, bytes
}

// Len returns the number of subjects with names in the index.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.count
}

// Count returns the number of subjects whose names hold the bigram g (a
// string of two characters, as Grams returns; others count 0).
func (x *Index) Count(g string) int {
	k, ok := keyOf(g)
	if !ok {
		return 0
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.post[k])
}

func keyOf(g string) (uint64, bool) {
	a, n := utf8.DecodeRuneInString(g)
	b, m := utf8.DecodeRuneInString(g[n:])
	if n == 0 || m == 0 || n+m != len(g) {
		return 0, false
	}
	return gramKey(a, b), true
}

// Search returns the ids of the subjects one of whose folded names holds
// folded (a query already folded, of at least two characters), in
// ascending order, skipping the first offset and at most limit.
func (x *Index) Search(folded string, offset, limit int) []int64 {
	if limit <= 0 || utf8.RuneCountInString(folded) < minRunes || strings.ContainsRune(folded, docSep) {
		return nil
	}
	var keys []uint64
	eachGram(folded, func(k uint64) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	})
	x.mu.RLock()
	defer x.mu.RUnlock()
	lists := make([][]uint32, len(keys))
	for i, k := range keys {
		if lists[i] = x.post[k]; len(lists[i]) == 0 {
			return nil
		}
	}
	slices.SortFunc(lists, func(a, b []uint32) int { return cmp.Compare(len(a), len(b)) })
	at := make([]int, len(lists))
	skip := max(offset, 0)
	var out []int64
next:
	for _, id := range lists[0] {
		for j := 1; j < len(lists); j++ {
			at[j] = gallop(lists[j], at[j], id)
			if at[j] == len(lists[j]) {
				break next // no later id holds this bigram
			}
			if lists[j][at[j]] != id {
				continue next
			}
		}
		if !strings.Contains(x.doc(id), folded) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if out = append(out, int64(id)); len(out) == limit {
			break
		}
	}
	return out
}

// gallop returns the first index at or after from whose id is at least
// id (len(l) when none): exponential steps, then a binary search.
func gallop(l []uint32, from int, id uint32) int {
	if from >= len(l) || l[from] >= id {
		return from
	}
	lo, step := from, 1 // l[lo] < id
	hi := lo + step
	for hi < len(l) && l[hi] < id {
		lo, step = hi, step*2
		hi = lo + step
	}
	hi = min(hi, len(l))
	i, _ := slices.BinarySearch(l[lo+1:hi], id)
	return lo + 1 + i
}

// BM25 parameters, as SQLite's FTS5 uses them.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// Rank returns up to limit subjects whose names hold any of the bigrams
// required, best first: scored by BM25 over the bigrams of all (each
// weighted by its rarity, an entry's score growing with the bigrams it
// shares and shrinking with its length), ties in id order. Bigrams are
// strings of two characters, as Grams returns.
func (x *Index) Rank(required, all []string, limit int) []int64 {
	if limit <= 0 {
		return nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.count == 0 {
		return nil
	}
	var cands []uint32
	for _, g := range required {
		if k, ok := keyOf(g); ok {
			cands = append(cands, x.post[k]...)
		}
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	return x.rank(cands, all, limit)
}

// rank orders cands (distinct ids) by BM25 over the bigrams of all (those
// holding none last) and returns the first limit; the read lock is held.
func (x *Index) rank(cands []uint32, all []string, limit int) []int64 {
	at := map[uint64]int{}
	var idf []float64
	n := float64(x.count)
	for _, g := range all {
		k, ok := keyOf(g)
		if _, dup := at[k]; !ok || dup {
			continue
		}
		df := float64(len(x.post[k]))
		w := math.Log((n - df + 0.5) / (df + 0.5))
		if w <= 0 {
			w = 1e-6
		}
		at[k] = len(idf)
		idf = append(idf, w)
	}
	avg := float64(x.grams) / n
	tf := make([]float64, len(idf))
	type scored struct {
		id    uint32
		score float64
	}
	out := make([]scored, 0, len(cands))
	for _, id := range cands {
		clear(tf)
		dl := 0
		eachGram(x.doc(id), func(k uint64) {
			dl++
			if i, ok := at[k]; ok {
				tf[i]++
			}
		})
		var s float64
		for i, f := range tf {
			if f > 0 {
				s += idf[i] * f * (bm25K1 + 1) / (f + bm25K1*(1-bm25B+bm25B*float64(dl)/avg))
			}
		}
		out = append(out, scored{id, s})
	}
	slices.SortFunc(out, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	ids := make([]int64, min(limit, len(out)))
	for i := range ids {
		ids[i] = int64(out[i].id)
	}
	return ids
}
