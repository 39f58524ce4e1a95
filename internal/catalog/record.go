package catalog

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
)

// Record is a validated row: the normalized values of a kind's fields.
// Values are normalized as follows: trimmed; enum aliases replaced by the
// value they stand for; multi_enum items joined by "；"; dates as
// YYYY-MM-DD (长期 as 2099-12-31); decimals without grouping commas, leading
// zeros or trailing fractional zeros; org codes without the hyphen; a
// trailing lower-case x of an ID number in upper case. Missing values are
// "".
//
// ID numbers (id_number fields) are personal data: never log a Record, its
// Values or its Canonical form; use IdentityKey with the store's keyed
// hash for anything persisted as a key.
type Record struct {
	kind *Kind
	vals []string
}

// IsZero reports whether r is the zero Record (a rejected row).
func (r Record) IsZero() bool { return r.kind == nil }

// Kind returns the record's kind.
func (r Record) Kind() *Kind { return r.kind }

// Get returns the normalized value of the field with the given key, or ""
// when it is missing or the key is unknown.
func (r Record) Get(key string) string {
	if r.kind == nil {
		return ""
	}
	if i, ok := r.kind.c.index[key]; ok {
		return r.vals[i]
	}
	return ""
}

// Values returns a copy of the normalized values in field order; with the
// kind's StandardColumns they validate again to the same record.
func (r Record) Values() []string { return slices.Clone(r.vals) }

// Date returns the value of a date field, or the zero calendar.Date when it
// is missing (or key is not a date field).
func (r Record) Date(key string) calendar.Date { return dateValue(r.Get(key)) }

// dateValue reads a normalized date value: YYYY-MM-DD, or "" for the zero
// Date.
func dateValue(s string) calendar.Date {
	if s == "" {
		return calendar.Date{}
	}
	d, _ := calendar.ParseDate(s)
	return d
}

// Items returns the items of a multi_enum field (nil when missing).
func (r Record) Items(key string) []string {
	var items []string
	for v := r.Get(key); v != ""; {
		var item string
		item, v = cutItem(v)
		items = append(items, item)
	}
	return items
}

func (r Record) at(i int) string {
	if r.kind == nil || i < 0 {
		return ""
	}
	return r.vals[i]
}

// Nature is the record's nature: its kind's, or, for a kind with
// row_nature, the one its field's value gives (the kind's when the value
// is neither listed as good nor as bad).
func (r Record) Nature() Nature {
	if r.kind == nil {
		return ""
	}
	if rn := r.kind.RowNature; rn != nil {
		v := r.Get(rn.Field)
		switch {
		case slices.Contains(rn.Good, v):
			return NatureGood
		case slices.Contains(rn.Bad, v):
			return NatureBad
		}
	}
	return r.kind.Nature
}

// SubjectName is the 行政相对人名称.
func (r Record) SubjectName() string { return r.at(r.c().subjectName) }

// SubjectClassLabel is the 行政相对人类别 as sent (法人及非法人组织,
// 自然人 or 个体工商户).
func (r Record) SubjectClassLabel() string { return r.at(r.c().subjectClass) }

// SubjectClass maps 行政相对人类别 to the subject class: 个体工商户 → sole,
// 自然人 → person, 法人及非法人组织 → org, or gov when its USCC has the
// 机构类别 11 (机关).
func (r Record) SubjectClass() credit.Class {
	switch r.SubjectClassLabel() {
	case classSole:
		return credit.ClassSole
	case classPerson:
		return credit.ClassPerson
	case classOrg:
		if u := r.SubjectUSCC(); u != "" {
			if p, err := code.ParseUSCC(u); err == nil && p.Category == "11" {
				return credit.ClassGov
			}
		}
		return credit.ClassOrg
	}
	return ""
}

// SubjectUSCC is the subject's 统一社会信用代码, "" when missing or the
// placeholder 00000000000000000X.
func (r Record) SubjectUSCC() string {
	u := r.at(r.c().subjectUSCC)
	if code.IsUSCCPlaceholder(u) {
		return ""
	}
	return u
}

// SubjectRegNo is the subject's 工商注册号 (GS 15), or "".
func (r Record) SubjectRegNo() string { return r.at(r.c().subjectRegNo) }

// SubjectIDType is the subject's 证件类型, or "".
func (r Record) SubjectIDType() string { return r.at(r.c().subjectIDType) }

// SubjectIDNumber is the subject's 证件号码 in clear (personal data: never
// log it), or "".
func (r Record) SubjectIDNumber() string { return r.at(r.c().subjectIDNumber) }

// Subject returns the record's subject as the registry keeps it: class and
// name; the USCC for organisations, government bodies and sole traders
// (sole traders without one get the registration number instead); the ID
// number for a person whose 证件类型 is 身份证. A person identified by
// another document gets no IDNumber, which the registry does not accept
// yet (credit.Subject.Validate requires a 公民身份号码).
func (r Record) Subject() credit.Subject {
	s := credit.Subject{Class: r.SubjectClass(), Name: r.SubjectName()}
	switch s.Class {
	case credit.ClassOrg, credit.ClassGov:
		s.USCC = r.SubjectUSCC()
	case credit.ClassSole:
		s.USCC = r.SubjectUSCC()
		if s.USCC == "" {
			s.RegNo = r.SubjectRegNo()
		}
	case credit.ClassPerson:
		if r.c().subjectIDType < 0 || r.SubjectIDType() == IDTypeRIC {
			s.IDNumber = r.SubjectIDNumber()
		}
	}
	// The division of the registering authority (USCC positions 3-8) is
	// where an organisation is, until a registry says better; a
	// registration number's first six digits likewise.
	switch {
	case len(s.USCC) == 18:
		s.Region = s.USCC[2:8]
	case len(s.RegNo) == 15:
		s.Region = s.RegNo[:6]
	}
	return s
}

// DecisionNo is the decision document number (决定书文号), or "" when the
// kind has none.
func (r Record) DecisionNo() string { return r.at(r.c().decisionNo) }

// DecisionDate is the decision date; the zero calendar.Date when the kind
// lets it be missing and it is.
func (r Record) DecisionDate() calendar.Date { return dateValue(r.at(r.c().decisionDate)) }

// SourceDept is the 数据来源单位.
func (r Record) SourceDept() string { return r.at(r.c().sourceName) }

// SourceDeptUSCC is the 数据来源单位统一社会信用代码.
func (r Record) SourceDeptUSCC() string { return r.at(r.c().sourceUSCC) }

func (r Record) c() *compiled {
	if r.kind == nil {
		return &zeroCompiled
	}
	return r.kind.c
}

var zeroCompiled = compiled{
	subjectName: -1, subjectClass: -1, subjectUSCC: -1, subjectRegNo: -1, subjectIDType: -1,
	subjectIDNumber: -1, decisionNo: -1, decisionDate: -1, sourceName: -1, sourceUSCC: -1,
}

// canonicalMagic starts every canonical encoding; a new version of the
// encoding must change it.
const canonicalMagic = "xinyong.catalog.record.v1\x00"

// Canonical is a deterministic encoding of the record's content: the kind
// code, then each filled field as key, NUL, the value's length as a
// uvarint, and the value, in order of key. Two rows have the same
// Canonical form exactly when they have the same normalized values,
// whatever their column order, header spellings, white space or date
// format; adding an optional field to a kind leaves the encoding of rows
// without it unchanged. It contains ID numbers in clear: compare it or
// hash it, never log it.
func (r Record) Canonical() []byte {
	if r.kind == nil {
		return nil
	}
	n := len(canonicalMagic) + len(r.kind.Code) + 1
	for i, v := range r.vals {
		if v != "" {
			n += len(r.kind.Fields[i].Key) + 1 + binary.MaxVarintLen64 + len(v)
		}
	}
	b := make([]byte, 0, n)
	b = append(b, canonicalMagic...)
	b = append(b, r.kind.Code...)
	b = append(b, 0)
	for _, i := range r.kind.c.canon {
		v := r.vals[i]
		if v == "" {
			continue
		}
		b = append(b, r.kind.Fields[i].Key...)
		b = append(b, 0)
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}

// Digest is the SHA-256 of Canonical: equal digests mean an unchanged
// re-send, different ones a new version. For a person's record it is a
// hash over the whole row including the ID number; treat it as personal
// data where the row is short enough to be guessed.
func (r Record) Digest() [32]byte { return sha256.Sum256(r.Canonical()) }

// IdentityKey is the key that recognises the same record across sends:
// the kind code and, for each of the kind's identity entries, key=value of
// the first filled alternative (a uscc holding the placeholder does not
// count), separated by '|' ("cf|decision_no=…|source_dept_uscc=…|
// subject_uscc=…"); '|' and '\' in values are escaped with '\'. ID numbers
// are replaced by "#" and the hex of hash(number), so the key never holds
// one in clear: pass the store's keyed hash. A nil hash uses plain
// SHA-256, which is guessable for ID numbers; use it only in tests.
func (r Record) IdentityKey(hash func(string) []byte) string {
	if r.kind == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(r.kind.Code)
	for _, alts := range r.kind.c.identity {
		b.WriteByte('|')
		j := -1
		for _, a := range alts {
			v := r.vals[a]
			if v != "" && !(r.kind.Fields[a].Type == TypeUSCC && code.IsUSCCPlaceholder(v)) {
				j = a
				break
			}
		}
		if j < 0 {
			// None filled: name the alternatives.
			for n, a := range alts {
				if n > 0 {
					b.WriteByte('/')
				}
				b.WriteString(r.kind.Fields[a].Key)
			}
			b.WriteByte('=')
			continue
		}
		f := &r.kind.Fields[j]
		b.WriteString(f.Key)
		b.WriteByte('=')
		if f.Type == TypeIDNumber {
			var h []byte
			if hash != nil {
				h = hash(r.vals[j])
			} else {
				s := sha256.Sum256([]byte(r.vals[j]))
				h = s[:]
			}
			b.WriteByte('#')
			b.WriteString(hex.EncodeToString(h))
			continue
		}
		for _, c := range []byte(r.vals[j]) {
			if c == '|' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}
