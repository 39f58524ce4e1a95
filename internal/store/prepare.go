package store

import (
	"time"

	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
)

// SubjectRow is a subject as the drivers store it: personal identifiers
// encrypted and hashed, the natural key computed. Drivers only move these
// columns; every rule about them is here.
type SubjectRow struct {
	Key      string
	Class    credit.Class
	USCC     string // "" when none
	RegNo    string
	IDHash   []byte // keyed hash of the ID number (persons)
	IDEnc    []byte // encrypted ID number (persons)
	MaskedID string
	Name     string
	Region   string
	// FormerNames are earlier names given by the sender, to be added to the
	// history when not there yet.
	FormerNames []credit.NameSpan
}

// PrepareSubjects validates a batch and turns it into rows. Subjects with
// the same natural key are folded into one row in order: an earlier name
// becomes a former name of the later one, so that every driver applies a
// batch exactly as if it were applied one subject at a time.
func PrepareSubjects(k *pii.Keyring, subjects []credit.Subject, now time.Time) ([]SubjectRow, error) {
	rows := make([]SubjectRow, 0, len(subjects))
	index := make(map[string]int, len(subjects))
	for i, s := range subjects {
		if code.IsUSCCPlaceholder(s.USCC) && s.Class == credit.ClassSole {
			s.USCC = ""
		}
		if err := s.Validate(); err != nil {
			return nil, &BatchError{Index: i, Err: err}
		}
		if s.Class == credit.ClassPerson && k == nil {
			return nil, &BatchError{Index: i, Err: ErrNotConfigured}
		}
		var hash func(string) []byte
		if k != nil {
			hash = k.Hash
		}
		r := SubjectRow{
			Key:         s.NaturalKey(hash),
			Class:       s.Class,
			USCC:        s.USCC,
			RegNo:       s.RegNo,
			Name:        s.Name,
			Region:      s.Region,
			FormerNames: s.FormerNames,
		}
		if s.Class == credit.ClassPerson {
			r.IDHash = k.Hash(s.IDNumber)
			r.IDEnc = k.Encrypt(s.IDNumber)
			r.MaskedID = credit.MaskID(s.IDNumber)
		}
		if j, ok := index[r.Key]; ok {
			prev := rows[j]
			if prev.Name != r.Name {
				r.FormerNames = append(append(append([]credit.NameSpan(nil), prev.FormerNames...),
					credit.NameSpan{Name: prev.Name, To: now}), r.FormerNames...)
			} else {
				r.FormerNames = append(append([]credit.NameSpan(nil), prev.FormerNames...), r.FormerNames...)
			}
			rows[j] = r
			continue
		}
		index[r.Key] = len(rows)
		rows = append(rows, r)
	}
	return rows, nil
}

// CodeLookup says how to find a subject by a code the user typed: by USCC,
// registration number or the keyed hash of an ID number. A driver tries
// USCC first, then IDHash (an 18-digit code can be valid as both), then
// RegNo; ok is false when the input can be none of these.
type CodeLookup struct {
	USCC   string
	RegNo  string
	IDHash []byte
}

// LookupFor classifies a code for FindSubjectByCode.
func LookupFor(k *pii.Keyring, c string) (CodeLookup, bool) {
	switch len(c) {
	case 18:
		if r := code.Check(code.KindRIC, c); r.Status == code.StatusValid && k != nil {
			return CodeLookup{USCC: c, IDHash: k.Hash(c)}, true
		}
		return CodeLookup{USCC: c}, true
	case 15:
		return CodeLookup{RegNo: c}, true
	}
	return CodeLookup{}, false
}
