package exchange

import (
	"context"
	"maps"
	"slices"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/store"
)

// MaxPage is the most entries one page of the feed carries.
const MaxPage = 5000

// Query is what a peer asks of the feed.
type Query struct {
	Since  int64
	Limit  int
	Region string   // narrows the peer's territory ("" none)
	Kinds  []string // only these kinds (none: all)
}

// Feed serves this platform's feed to its peers.
type Feed struct {
	Store store.Store
	// Region is this platform's own territory ("" everything): where the
	// deciding departments it is home to are.
	Region string
}

// Scope is the region prefix a peer receives: a lower platform only its
// territory; the upper and national platforms everything (逐级全量报送).
// The query may narrow it, never widen it.
func Scope(p store.Peer, asked string) (string, error) {
	own := ""
	if p.Role == store.PeerLower {
		own = p.Region
	}
	switch {
	case asked == "" || strings.HasPrefix(asked, own):
		if asked == "" {
			return own, nil
		}
		return asked, nil
	case strings.HasPrefix(own, asked):
		return own, nil
	}
	return "", fault.New(fault.Invalid, "region：超出对端平台“"+p.Name+"”的辖区，不能读取")
}

// Page returns the entries after q.Since for peer p (not those it sent
// here), sealing personal fields under secretSum when p may receive them
// and leaving out records of persons when it may not.
func (f *Feed) Page(ctx context.Context, p store.Peer, secretSum []byte, q Query) (Page, error) {
	region, err := Scope(p, q.Region)
	if err != nil {
		return Page{}, err
	}
	limit := q.Limit
	if limit <= 0 || limit > MaxPage {
		limit = MaxPage
	}
	es, next, head, err := f.Store.Feed(ctx, store.FeedQuery{Since: q.Since, Limit: limit, Region: region, Kinds: q.Kinds, NotOrigin: p.Name})
	if err != nil {
		return Page{}, err
	}
	out := Page{Columns: map[string][]string{}, Entries: make([]Entry, 0, len(es)), Next: next, Head: head}
	peers, err := f.Store.ListPeers(ctx)
	if err != nil {
		return Page{}, err
	}
	hs := newHomes(f.Region, peers)
	subs, err := f.subjects(ctx, es)
	if err != nil {
		return Page{}, err
	}
	// Versions' fields by entry, then the columns of each kind (the keys
	// any of its entries has), then the values in that order.
	fields := make([]map[string]string, 0, len(es))
	keys := map[string]map[string]bool{}
	for _, e := range es {
		if e.Op == store.OpSubject {
			sub, found := subs[e.SubjectID]
			w, ok, err := subjectEntry(p, secretSum, e, sub)
			if err != nil {
				return Page{}, err
			}
			if !ok || !found {
				out.Skipped++
				continue
			}
			out.Entries = append(out.Entries, w)
			fields = append(fields, nil)
			continue
		}
		fs, err := store.DecodeFields(e.Fields)
		if err != nil {
			return Page{}, err
		}
		var private map[string]string
		if len(e.Private) > 0 {
			if err := jsonv2.Unmarshal(e.Private, &private); err != nil {
				return Page{}, err
			}
		}
		w := Entry{Seq: e.Seq, Op: e.Op, Kind: e.Kind, Region: e.Region, At: stamp(e.At), ReceivedAt: stamp(e.ReceivedAt),
			State: string(e.State), StateReason: e.StateReason, RepairedOn: e.RepairedOn}
		w.Home = hs.decided(deciderRegion(func(k string) string { return fs[k] }), e.Origin)
		if len(private) > 0 {
			if !p.Personal {
				if _, person := private["subject_id_number"]; person {
					out.Skipped++
					continue
				}
			}
			// The public fields hold these masked: they are sent sealed,
			// or not at all.
			for k := range private {
				delete(fs, k)
			}
			if p.Personal {
				if w.Sealed, err = seal(secretSum, e.Seq, private); err != nil {
					return Page{}, err
				}
			}
		}
		ks := keys[e.Kind]
		if ks == nil {
			ks = map[string]bool{}
			keys[e.Kind] = ks
		}
		for k := range fs {
			ks[k] = true
		}
		out.Entries = append(out.Entries, w)
		fields = append(fields, fs)
	}
	pos := make(map[string]map[string]int, len(keys))
	for kind, ks := range keys {
		cols := slices.Sorted(maps.Keys(ks))
		out.Columns[kind] = cols
		m := make(map[string]int, len(cols))
		for i, k := range cols {
			m[k] = i
		}
		pos[kind] = m
	}
	for i, fs := range fields {
		if fs == nil {
			continue
		}
		w := &out.Entries[i]
		m := pos[w.Kind]
		w.Values = make([]string, len(m))
		for k, v := range fs {
			w.Values[m[k]] = v
		}
	}
	if len(out.Entries) > 0 {
		if err := f.Store.NoteSent(ctx, p.ID, len(out.Entries)); err != nil {
			return Page{}, err
		}
	}
	return out, nil
}

// subjects are the subjects of a page's subject entries (as they are
// now), by id.
func (f *Feed) subjects(ctx context.Context, es []store.FeedEntry) (map[int64]credit.Subject, error) {
	var ids []int64
	for _, e := range es {
		if e.Op == store.OpSubject {
			ids = append(ids, e.SubjectID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	subs, err := f.Store.SubjectsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]credit.Subject, len(subs))
	for _, s := range subs {
		out[s.ID] = s
	}
	return out, nil
}

// subjectEntry is the subject entry e of sub as sent to p; ok is false
// for a person when p may not receive personal data. A person's ID number
// is in e.Private.
func subjectEntry(p store.Peer, secretSum []byte, e store.FeedEntry, sub credit.Subject) (Entry, bool, error) {
	if sub.Class == credit.ClassPerson && !p.Personal {
		return Entry{}, false, nil
	}
	w := Entry{Seq: e.Seq, Op: e.Op, Region: sub.Region, At: stamp(e.At), ReceivedAt: stamp(e.At),
		Subject: &SubjectEntry{Class: string(sub.Class), USCC: sub.USCC, RegNo: sub.RegNo, Name: sub.Name}}
	for _, n := range sub.FormerNames {
		w.Subject.FormerNames = append(w.Subject.FormerNames, FormerName{Name: n.Name, From: stamp(n.From), To: stamp(n.To)})
	}
	if len(e.Private) > 0 {
		var private map[string]string
		if err := jsonv2.Unmarshal(e.Private, &private); err != nil {
			return Entry{}, false, err
		}
		sealed, err := seal(secretSum, e.Seq, private)
		if err != nil {
			return Entry{}, false, err
		}
		w.Sealed = sealed
	}
	return w, true, nil
}
