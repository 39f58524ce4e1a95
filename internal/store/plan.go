package store

import (
	"maps"
	"slices"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// ExistingSubject is what a driver reads back about a stored subject so
// that the subject plans (PlanPutSubjects, PlanPeerSubjects,
// PlanNewSubjects) can decide what a put changes.
type ExistingSubject struct {
	ID     int64
	Class  credit.Class
	USCC   string
	RegNo  string
	Name   string
	Region string
	Names  map[string]bool // every name in the history, the current one included
	// NamedAt is when the subject took its current name (its creation
	// unless it was renamed since).
	NamedAt time.Time
	// XAt is the subject's exchange stamp (subjects.x_at): when its
	// identity was last set by a put, here or at the peer it came from;
	// zero when only filing records created it.
	XAt time.Time
}

// NameRow is a former name of a subject (subject_names holds only former
// names; the current one is the subject's own). Subject is the stored id,
// or, for a subject created by the same put, -1-i where i indexes
// SubjectPlan.Insert.
type NameRow struct {
	Subject int64
	Name    string
	From    time.Time
	To      time.Time
}

// SubjectUpdate sets the fields of a stored subject.
type SubjectUpdate struct {
	ID     int64
	Class  credit.Class
	USCC   string
	RegNo  string
	Name   string
	Region string
	// NamedAt, when not zero, is when the subject took the name: set by a
	// rename (the old name then becomes a former name in AddNames).
	NamedAt time.Time
}

// SubjectPlan is what a put does, decided once for all drivers. A driver
// executes it in one transaction, in this order: insert subjects, apply
// updates, insert former names, append the renamed and created subjects
// to the name-change log (Index).
type SubjectPlan struct {
	Insert   []SubjectRow
	Update   []SubjectUpdate
	AddNames []NameRow // former names
	// Index are the subjects whose names changed, with all their names:
	// created and renamed subjects other than persons (persons are never
	// found by name). Subject is as in NameRow. Drivers append them to the
	// name-change log, which the full-text index (SyncSearch) and the
	// in-memory name index follow.
	Index []IndexDoc
	Stats PutStats
	// Stamp, when not zero, is the exchange stamp the inserted and updated
	// subjects carry (subjects.x_at), and Origin the peer they came from
	// ("" this platform): a put of subjects sets them, so that the subjects
	// enter the exchange log (migration 00117) and travel to peer
	// platforms; filing records leaves them zero, since the records carry
	// their subjects.
	Stamp  time.Time
	Origin string
}

// IndexDoc is a subject's entry in the name-search index.
type IndexDoc struct {
	Subject int64
	Names   []string
}

// NewSubjectID is the placeholder NameRow.Subject of the i-th inserted subject.
func NewSubjectID(i int) int64 { return int64(-1 - i) }

// InsertIndex reverses NewSubjectID; ok is false for a stored id.
func InsertIndex(id int64) (int, bool) { return int(-1 - id), id < 0 }

// PlanPutSubjects decides what putting rows here at now changes, given
// the stored subjects that share their keys (existing, by key), stamped
// for the exchange.
func PlanPutSubjects(rows []SubjectRow, existing map[string]ExistingSubject, now time.Time) SubjectPlan {
	p := planSubjects(rows, existing, now, true)
	p.Stamp = now.UTC().Truncate(time.Microsecond) // as both databases keep it
	return p
}

// PlanPeerSubjects plans subjects received from peer origin as they were
// made there at at: a subject whose stamp here is not earlier than at is
// left as it is (a repeat, or an older identity than the one held), so
// that applying the same entries twice changes nothing and the latest
// identity wins.
func PlanPeerSubjects(rows []SubjectRow, existing map[string]ExistingSubject, at time.Time, origin string) SubjectPlan {
	keep := make([]SubjectRow, 0, len(rows))
	skipped := 0
	for _, r := range rows {
		if e, ok := existing[r.Key]; ok && !e.XAt.IsZero() && !at.After(e.XAt) {
			skipped++
			continue
		}
		keep = append(keep, r)
	}
	p := planSubjects(keep, existing, at, true)
	p.Stats.Unchanged += skipped
	p.Stamp, p.Origin = at, origin
	return p
}

// PlanNewSubjects plans only the creation of subjects not stored yet:
// filing a record never renames its subject, since a record may carry a
// name the subject no longer has.
func PlanNewSubjects(rows []SubjectRow, existing map[string]ExistingSubject, now time.Time) SubjectPlan {
	return planSubjects(rows, existing, now, false)
}

func planSubjects(rows []SubjectRow, existing map[string]ExistingSubject, now time.Time, update bool) SubjectPlan {
	var p SubjectPlan
	for _, r := range rows {
		e, ok := existing[r.Key]
		if ok && !update {
			p.Stats.Unchanged++
			continue
		}
		if !ok {
			id := NewSubjectID(len(p.Insert))
			p.Insert = append(p.Insert, r)
			seen := map[string]bool{r.Name: true}
			for _, f := range r.FormerNames {
				if !seen[f.Name] {
					seen[f.Name] = true
					p.AddNames = append(p.AddNames, NameRow{id, f.Name, f.From, closedAt(f.To, now)})
				}
			}
			p.Stats.Created++
			if r.Class != credit.ClassPerson {
				p.Index = append(p.Index, IndexDoc{id, slices.Sorted(maps.Keys(seen))})
			}
			continue
		}
		named := len(p.AddNames)
		for _, f := range r.FormerNames {
			if !e.Names[f.Name] && f.Name != r.Name {
				e.Names[f.Name] = true
				p.AddNames = append(p.AddNames, NameRow{e.ID, f.Name, f.From, closedAt(f.To, now)})
			}
		}
		u := SubjectUpdate{ID: e.ID, Class: r.Class, USCC: r.USCC, RegNo: r.RegNo, Name: r.Name, Region: e.Region}
		if r.Region != "" {
			u.Region = r.Region
		}
		switch {
		case r.Name != e.Name:
			from := e.NamedAt
			if from.IsZero() || from.After(now) {
				from = now
			}
			p.AddNames = append(p.AddNames, NameRow{Subject: e.ID, Name: e.Name, From: from, To: now})
			u.NamedAt = now
			p.Update = append(p.Update, u)
			p.Stats.Renamed++
		case u.Class != e.Class || u.USCC != e.USCC || u.RegNo != e.RegNo || u.Region != e.Region:
			p.Update = append(p.Update, u)
			p.Stats.Updated++
		default:
			p.Stats.Unchanged++
		}
		if len(p.AddNames) > named && r.Class != credit.ClassPerson {
			e.Names[r.Name] = true
			p.Index = append(p.Index, IndexDoc{e.ID, slices.Sorted(maps.Keys(e.Names))})
		}
	}
	return p
}

func closedAt(to, now time.Time) time.Time {
	if to.IsZero() {
		return now
	}
	return to
}

// Keys returns the natural keys of rows.
func Keys(rows []SubjectRow) []string {
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = r.Key
	}
	return keys
}
