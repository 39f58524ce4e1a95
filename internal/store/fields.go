package store

import (
	"encoding/binary"
	"errors"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// A record's public fields (Record.Fields, RecordInput.Fields) are stored
// in a compact encoding: the byte fieldsFormat, then per field its key and
// its value. A key of the built-in catalogue is one byte, its position in
// fieldKeys plus one; any other key is a zero byte and the key's length
// (uvarint) and bytes. A value is its length (uvarint) and its UTF-8
// bytes. A record of the 790 standard thus stores about half the bytes of
// its JSON object (every key spelled out in every row), which is what an
// intake writes and a credit file reads. Records stored before (and
// fields a caller gives as JSON) are a JSON object of strings: every
// reader goes through DecodeFields, which takes both.

// fieldsFormat is the first byte of the compact encoding ('{' or space
// begins JSON).
const fieldsFormat = 0x01

// fieldKeys are the keys of the built-in catalogue's fields, one byte each
// in the encoding. APPEND ONLY: a key's position is stored in every record
// written with it, so keys are never removed or reordered (a test holds the
// order); a new built-in key is added at the end.
var fieldKeys = [...]string{
	"subject_name", "subject_class", "subject_uscc", "subject_reg_no", "subject_org_code", "subject_tax_no",
	"subject_institution_no", "subject_social_org_no", "legal_rep", "legal_rep_id_type", "legal_rep_id_number",
	"subject_id_type", "subject_id_number", "decision_no", "violation_type", "violation_facts", "legal_basis",
	"penalty_category", "decision_content", "fine_amount", "confiscation_amount", "suspended_licence", "decision_date",
	"valid_to", "publicity_end", "authority", "authority_uscc", "source_dept", "source_dept_uscc", "remarks",
	"list_type", "facts", "exit_date", "exit_reason", "commitment_kind", "matter", "content", "liability", "made_on",
	"fulfilment", "unfulfilled", "pursued", "acceptor", "acceptor_uscc", "decision_title", "licence_category",
	"licence_name", "licence_no", "valid_from", "status", "enforcement_category", "enforcement_kind", "amount",
	"confirmation_category", "reward_name", "reward_kind", "reward_level", "benefit_category", "inspection_kind",
	"inspection_item", "inspection_result",
	"item", "nature", "event_date", "description", "channel", "rectified_on", "honour_level", "evidence", "reported_on",
	"inspection_task_no", "inspection_task", "inspection_findings", "inspectors",
	"project_name", "project_owner", "project_owner_uscc", "service_item", "rating_quality", "rating_timeliness",
	"rating_attitude", "rating_fee", "rating_conduct", "rating_total", "rating_comment",
	"founded_on", "reg_address", "reg_address_region", "reg_dept_code", "approval_authority", "reg_business",
	"period_end", "tax_paid", "arrears", "tax_grade", "insured_count", "contribution", "utility", "amount_due", "amount_paid",
	"overdue_months",
}

// fieldKeyIndex maps a key to its byte in the encoding.
var fieldKeyIndex = func() map[string]byte {
	m := make(map[string]byte, len(fieldKeys))
	for i, k := range fieldKeys {
		m[k] = byte(i + 1)
	}
	return m
}()

// Fields encodes a record's public fields, in the order given.
type Fields struct{ b []byte }

// NewFields starts an encoding with room for n bytes.
func NewFields(n int) *Fields {
	b := make([]byte, 1, max(n, 1))
	b[0] = fieldsFormat
	return &Fields{b: b}
}

// Add appends a field (value is valid UTF-8).
func (f *Fields) Add(key, value string) {
	if i, ok := fieldKeyIndex[key]; ok {
		f.b = append(f.b, i)
	} else {
		f.b = append(f.b, 0)
		f.b = binary.AppendUvarint(f.b, uint64(len(key)))
		f.b = append(f.b, key...)
	}
	f.b = binary.AppendUvarint(f.b, uint64(len(value)))
	f.b = append(f.b, value...)
}

// Bytes returns the encoding.
func (f *Fields) Bytes() []byte { return f.b }

// EncodeFields encodes the fields of m in the order of keys, leaving out
// keys m lacks and empty values.
func EncodeFields(keys []string, m map[string]string) []byte {
	f := NewFields(256)
	for _, k := range keys {
		if v := m[k]; v != "" {
			f.Add(k, v)
		}
	}
	return f.Bytes()
}

var errFields = errors.New("record fields: malformed encoding")

// eachField calls fn with every field of a compact encoding, in order.
func eachField(b []byte, fn func(key, value []byte, known string)) error {
	for i := 1; i < len(b); {
		var key []byte
		known := ""
		if c := b[i]; c != 0 {
			if int(c) > len(fieldKeys) {
				return errFields
			}
			known = fieldKeys[c-1]
			i++
		} else {
			n, w := binary.Uvarint(b[i+1:])
			if w <= 0 || uint64(len(b)-i-1-w) < n {
				return errFields
			}
			i += 1 + w
			key = b[i : i+int(n)]
			i += int(n)
		}
		n, w := binary.Uvarint(b[i:])
		if w <= 0 || uint64(len(b)-i-w) < n {
			return errFields
		}
		i += w
		fn(key, b[i:i+int(n)], known)
		i += int(n)
	}
	return nil
}

// DecodeFields reads a record's public fields: the compact encoding, or a
// JSON object of strings (records stored before it, or given as JSON). It
// is on the hot path of every credit file and check (a 10,000-subject
// check decodes some 50,000), so JSON goes through the JSON v2 decoder,
// twice as fast as encoding/json on these objects.
func DecodeFields(b []byte) (map[string]string, error) {
	if len(b) == 0 || b[0] != fieldsFormat {
		var m map[string]string
		if err := jsonv2.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		return m, nil
	}
	m := make(map[string]string, 24)
	err := eachField(b, func(key, value []byte, known string) {
		if known == "" {
			known = string(key)
		}
		m[known] = string(value)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// FieldValue returns one field of a record's public fields ("" when
// absent or malformed), without decoding the others.
func FieldValue(b []byte, key string) string {
	if len(b) == 0 || b[0] != fieldsFormat {
		m, _ := DecodeFields(b)
		return m[key]
	}
	var out string
	_ = eachField(b, func(k, value []byte, known string) {
		if known == key || (known == "" && string(k) == key) {
			out = string(value)
		}
	})
	return out
}

// FieldsJSON returns a record's public fields as a JSON object in their
// stored order (for people and programs that read the raw record).
func FieldsJSON(b []byte) ([]byte, error) {
	if len(b) == 0 || b[0] != fieldsFormat {
		if _, err := DecodeFields(b); err != nil {
			return nil, err
		}
		return b, nil
	}
	out := []byte{'{'}
	var qerr error
	err := eachField(b, func(key, value []byte, known string) {
		if len(out) > 1 {
			out = append(out, ',')
		}
		if known == "" {
			known = string(key)
		}
		var err1, err2 error
		out, err1 = jsontext.AppendQuote(out, known)
		out = append(out, ':')
		out, err2 = jsontext.AppendQuote(out, value)
		qerr = errors.Join(qerr, err1, err2)
	})
	if err = errors.Join(err, qerr); err != nil {
		return nil, err
	}
	return append(out, '}'), nil
}

// FieldKeys returns the keys that have one byte in the encoding, in order.
func FieldKeys() []string { return fieldKeys[:] }

// DecodeFieldsOf decodes into m, cleared first, only the fields whose keys
// are in keys: what a reader of millions of records that needs a few of
// their fields uses (the evaluation), instead of DecodeFields.
func DecodeFieldsOf(b []byte, keys map[string]bool, m map[string]string) error {
	clear(m)
	if len(b) == 0 || b[0] != fieldsFormat {
		all, err := DecodeFields(b)
		if err != nil {
			return err
		}
		for k, v := range all {
			if keys[k] {
				m[k] = v
			}
		}
		return nil
	}
	return eachField(b, func(key, value []byte, known string) {
		if known == "" {
			if !keys[string(key)] {
				return
			}
			known = string(key)
		} else if !keys[known] {
			return
		}
		m[known] = string(value)
	})
}
