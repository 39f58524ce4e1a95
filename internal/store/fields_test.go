package store_test

import (
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/store"
)

func TestFieldsRoundTrip(t *testing.T) {
	long := strings.Repeat("违法事实", 100) // a length over 127 takes two bytes
	cases := []map[string]string{
		{},
		{"subject_name": "西安华信电子科技有限公司"},
		{"subject_name": "张伟", "subject_id_number": "6101**********5319", "violation_facts": long, "fine_amount": "3.7"},
		{"not_a_catalogue_key": "x", "subject_name": "甲", "另一个键": "乙\n\"引号\"\\"},
	}
	for _, m := range cases {
		keys := slices.Sorted(maps.Keys(m))
		b := store.EncodeFields(keys, m)
		got, err := store.DecodeFields(b)
		if err != nil || !maps.Equal(got, m) {
			t.Errorf("round trip of %v: %v, %v", m, got, err)
		}
		for k, v := range m {
			if got := store.FieldValue(b, k); got != v {
				t.Errorf("FieldValue(%s) = %q, want %q", k, got, v)
			}
		}
		// FieldsJSON is the same object, in the stored order.
		j, err := store.FieldsJSON(b)
		var back map[string]string
		if err != nil || json.Unmarshal(j, &back) != nil || !maps.Equal(back, m) {
			t.Errorf("FieldsJSON of %v = %s, %v", m, j, err)
		}
		if len(keys) > 1 && strings.Index(string(j), `"`+keys[0]+`"`) > strings.Index(string(j), `"`+keys[1]+`"`) {
			t.Errorf("FieldsJSON %s: not in stored order %q", j, keys)
		}
	}
	// A 790 record is far smaller than its JSON.
	m := map[string]string{"subject_name": "崔晓涛", "subject_class": "自然人", "subject_id_type": "身份证",
		"subject_id_number": "6101**********5319", "decision_no": "陕罚决字〔2022〕第0000001号", "violation_type": "销售过期食品",
		"legal_basis": "《中华人民共和国食品安全法》第一百二十四条", "decision_date": "2022-12-06", "authority": "西安市新城区文化和旅游局",
		"authority_uscc": "11610102441555570H", "source_dept": "西安市新城区文化和旅游局", "source_dept_uscc": "11610102441555570H"}
	js, _ := json.Marshal(m)
	if b := store.EncodeFields(slices.Sorted(maps.Keys(m)), m); len(b)*10 > len(js)*7 {
		t.Errorf("compact %d bytes, JSON %d", len(b), len(js))
	}
}

// Records stored before the compact encoding, and fields given as JSON,
// read alike.
func TestFieldsJSONStored(t *testing.T) {
	b := []byte(`{"subject_name":"西安华信电子科技有限公司","fine_amount":"3.7"}`)
	m, err := store.DecodeFields(b)
	if err != nil || m["subject_name"] != "西安华信电子科技有限公司" || m["fine_amount"] != "3.7" {
		t.Fatalf("%v, %v", m, err)
	}
	if store.FieldValue(b, "fine_amount") != "3.7" {
		t.Error("FieldValue of JSON")
	}
	if j, err := store.FieldsJSON(b); err != nil || string(j) != string(b) {
		t.Errorf("FieldsJSON of JSON: %s, %v", j, err)
	}
	if lf := store.ListFieldsOf([]byte(`{"list_type":"失信被执行人","exit_date":"2026-01-05"}`)); lf.ListType != "失信被执行人" || lf.ExitDate != "2026-01-05" {
		t.Errorf("ListFieldsOf JSON: %+v", lf)
	}
	f := store.NewFields(0)
	f.Add("list_type", "失信被执行人")
	f.Add("exit_date", "2026-01-05")
	if lf := store.ListFieldsOf(f.Bytes()); lf.ListType != "失信被执行人" || lf.ExitDate != "2026-01-05" {
		t.Errorf("ListFieldsOf compact: %+v", lf)
	}
}

func TestFieldsMalformed(t *testing.T) {
	for _, b := range [][]byte{{1, 200}, {1, 1, 5, 'a'}, {1, 0, 9, 'k'}, {1, 0}, {1, 1, 0xff, 0xff, 0xff}, []byte(`{"a":1}`), []byte("{")} {
		if m, err := store.DecodeFields(b); err == nil {
			t.Errorf("DecodeFields(%q) = %v, want an error", b, m)
		}
		if _, err := store.FieldsJSON(b); err == nil {
			t.Errorf("FieldsJSON(%q): no error", b)
		}
	}
}

func FuzzDecodeFields(f *testing.F) {
	f.Add(store.EncodeFields([]string{"subject_name", "x"}, map[string]string{"subject_name": "甲", "x": "乙"}))
	f.Add([]byte(`{"a":"b"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := store.DecodeFields(b)
		if err != nil || len(b) == 0 || b[0] != 1 {
			return
		}
		// What decodes re-encodes to the same fields.
		keys := slices.Sorted(maps.Keys(m))
		if back, err := store.DecodeFields(store.EncodeFields(keys, m)); err != nil || !maps.Equal(back, nonEmpty(m)) {
			t.Fatalf("%q → %v → %v, %v", b, m, back, err)
		}
	})
}

func nonEmpty(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// The one-byte keys are stored in every record: the table may only grow
// at its end (testdata/field_keys.txt is the order records were written
// with), and every key of the built-in catalogue has one.
func TestFieldKeysAppendOnly(t *testing.T) {
	b, err := os.ReadFile("testdata/field_keys.txt")
	if err != nil {
		t.Fatal(err)
	}
	frozen := strings.Fields(string(b))
	keys := store.FieldKeys()
	if len(keys) < len(frozen) || !slices.Equal(keys[:len(frozen)], frozen) {
		t.Fatalf("the field key table was reordered or shortened: records written with it would read other keys\nwant prefix %q\n got %q", frozen, keys)
	}
	for _, k := range catalog.Default().Kinds() {
		for _, f := range k.Fields {
			if !slices.Contains(keys, f.Key) {
				t.Errorf("catalogue key %s.%s has no byte in store.fieldKeys: append it", k.Code, f.Key)
			}
		}
	}
}

func TestDecodeFieldsOf(t *testing.T) {
	keys := map[string]bool{"decision_date": true, "penalty_category": true, "unknown_key": true}
	compact := store.EncodeFields([]string{"decision_no", "decision_date", "penalty_category", "unknown_key"},
		map[string]string{"decision_no": "X1", "decision_date": "2026-01-02", "penalty_category": "罚款", "unknown_key": "v"})
	for name, b := range map[string][]byte{"compact": compact, "json": []byte(`{"decision_no":"X1","decision_date":"2026-01-02","penalty_category":"罚款","unknown_key":"v"}`)} {
		m := map[string]string{"stale": "x"}
		if err := store.DecodeFieldsOf(b, keys, m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(m) != 3 || m["decision_date"] != "2026-01-02" || m["penalty_category"] != "罚款" || m["unknown_key"] != "v" {
			t.Errorf("%s: %v", name, m)
		}
	}
	if err := store.DecodeFieldsOf([]byte{0x01, 200}, keys, map[string]string{}); err == nil {
		t.Error("malformed fields decoded")
	}
}
