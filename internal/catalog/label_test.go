package catalog

import "testing"

func TestFieldLabel(t *testing.T) {
	for name, want := range map[string]string{
		"行政相对人代码_1(统一社会信用代码)": "统一社会信用代码",
		"行政相对人代码_2(工商注册号)":    "工商注册号",
		"法定代表人证件号码_2":         "法定代表人证件号码",
		"处罚决定日期":              "处罚决定日期",
	} {
		if got := (&Field{Name: name}).Label(); got != want {
			t.Errorf("Label(%s) = %s, want %s", name, got, want)
		}
	}
	// No public field of the built-in catalogue keeps a suffix.
	for _, k := range Default().Kinds() {
		for _, f := range k.Fields {
			if exchangeSuffix.MatchString(f.Label()) {
				t.Errorf("%s %s: label %s", k.Code, f.Key, f.Label())
			}
		}
	}
}
