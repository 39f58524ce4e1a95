package store

import (
	"errors"
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

// FindByCode is the lookup rule behind FindSubjectByCode, for every
// driver: an 18-character code is tried as a USCC and then, when it is a
// valid ID number, as a person's (an 18-digit code can be both); a
// 15-character code is a registration number. by reads the subject whose
// column equals value (the first by id), or returns ErrNotFound. USCCs and
// ID numbers are found through the natural key, the one index on them.
func FindByCode(k *pii.Keyring, c string, by func(column string, value any) (credit.Subject, error)) (credit.Subject, error) {
	switch len(c) {
	case 18:
		sub, err := by("key", credit.Subject{Class: credit.ClassOrg, USCC: c}.NaturalKey(nil))
		if !errors.Is(err, ErrNotFound) || k == nil || code.Check(code.KindRIC, c).Status != code.StatusValid {
			return sub, err
		}
		return by("key", credit.Subject{Class: credit.ClassPerson, IDNumber: c}.NaturalKey(k.Hash))
	case 15:
		return by("reg_no", c)
	}
	return credit.Subject{}, ErrNotFound
}
