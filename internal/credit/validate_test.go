package credit

import (
	"errors"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/code"
)

func uscc(first17 string) string {
	c, err := code.USCCCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

func TestValidate(t *testing.T) {
	org := uscc("91610100" + "60003734" + "1")
	gov := uscc("11610000" + "60003734" + "1")
	cases := []struct {
		s     Subject
		field string // "" when valid
	}{
		{Subject{Class: ClassOrg, USCC: "91350100M000100Y43", Name: "福州某公司"}, ""},
		{Subject{Class: ClassOrg, USCC: org, Name: "西安某公司", Region: "610100"}, ""},
		{Subject{Class: ClassGov, USCC: gov, Name: "陕西省某厅"}, ""},
		{Subject{Class: ClassGov, USCC: org, Name: "不是机关"}, "uscc"},
		{Subject{Class: ClassOrg, USCC: "91350100M000100Y4Z", Name: "坏代码"}, "uscc"},
		{Subject{Class: ClassOrg, USCC: code.USCCPlaceholder, Name: "占位"}, "uscc"},
		{Subject{Class: ClassOrg, Name: "无代码"}, "uscc"},
		{Subject{Class: ClassOrg, USCC: org, Name: " 前导空格"}, "name"},
		{Subject{Class: ClassOrg, USCC: org, Name: ""}, "name"},
		{Subject{Class: ClassOrg, USCC: org, Name: strings.Repeat("长", MaxNameLen+1)}, "name"},
		{Subject{Class: ClassOrg, USCC: org, Name: "区划错", Region: "61010"}, "region"},
		{Subject{Class: ClassOrg, USCC: org, Name: "带身份证", IDNumber: "11010519491231002X"}, "id_number"},
		{Subject{Class: ClassSole, USCC: code.USCCPlaceholder, RegNo: "110108000000016", Name: "个体"}, ""},
		{Subject{Class: ClassSole, RegNo: "110108000000016", Name: "个体"}, ""},
		{Subject{Class: ClassSole, RegNo: "110108000000017", Name: "个体"}, "reg_no"},
		{Subject{Class: ClassSole, Name: "个体"}, "reg_no"},
		{Subject{Class: ClassPerson, IDNumber: "11010519491231002X", Name: "某人"}, ""},
		{Subject{Class: ClassPerson, IDNumber: "11010519491231002Y", Name: "某人"}, "id_number"},
		{Subject{Class: ClassPerson, IDNumber: "110105194902300021", Name: "某人"}, "id_number"},
		{Subject{Class: ClassPerson, IDNumber: "11010519491231002X", USCC: org, Name: "某人"}, "uscc"},
		{Subject{Class: "x", Name: "某"}, "class"},
		{Subject{Class: ClassOrg, USCC: org, Name: "西安\u202E司公限有\u202C"}, "name"},
		{Subject{Class: ClassOrg, USCC: org, Name: "西安\u2067某公司\u2069"}, "name"},
		{Subject{Class: ClassPerson, IDNumber: "11010519491231002X", Name: "某\u200F人"}, "name"},
	}
	for i, c := range cases {
		err := c.s.Validate()
		var fe *FieldError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%d %s: %v", i, c.s.Name, err)
		case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
			t.Errorf("%d %s: err %v, want field %s", i, c.s.Name, err, c.field)
		}
		if err != nil && c.s.IDNumber != "" && strings.Contains(err.Error(), c.s.IDNumber[6:14]) {
			t.Errorf("%d: error %q quotes the ID number", i, err)
		}
	}
}

func TestMaskID(t *testing.T) {
	for in, want := range map[string]string{
		"61010219800101123X": "6101**********123X",
		"110108000000016":    "1101*******0016",
		"12345678":           "*******8",
		"":                   "",
	} {
		if got := MaskID(in); got != want {
			t.Errorf("MaskID(%q) = %q, want %q", in, got, want)
		}
	}
	s := Subject{Class: ClassPerson, IDNumber: "61010219800101123X", Name: "张三"}
	if strings.Contains(s.String(), "19800101") || s.DisplayCode() != "6101**********123X" {
		t.Errorf("String %q DisplayCode %q", s.String(), s.DisplayCode())
	}
}

func TestNaturalKey(t *testing.T) {
	hash := func(s string) []byte { return []byte("h(" + s + ")") }
	p := Subject{Class: ClassPerson, IDNumber: "11010519491231002X"}
	if k := p.NaturalKey(hash); strings.Contains(k, "11010519491231002X") || !strings.HasPrefix(k, "P:") {
		t.Errorf("person key %q", k)
	}
	if k := (Subject{Class: ClassOrg, USCC: "91350100M000100Y43"}).NaturalKey(hash); k != "U:91350100M000100Y43" {
		t.Errorf("org key %q", k)
	}
	if k := (Subject{Class: ClassSole, USCC: code.USCCPlaceholder, RegNo: "110108000000016", Name: "店"}).NaturalKey(hash); k != "R:110108000000016|店" {
		t.Errorf("sole key %q", k)
	}
}

func TestBidiReason(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // "" when accepted, else the code point named
	}{
		{"西安某某有限公司", ""},
		{"شركة", ""},     // right-to-left letters themselves are fine
		{"a\u200Db", ""}, // zero-width joiner is not a direction control
		{"\u202A", "U+202A"}, {"\u202B", "U+202B"}, {"\u202C", "U+202C"}, {"\u202D", "U+202D"}, {"\u202E", "U+202E"},
		{"\u2066", "U+2066"}, {"\u2067", "U+2067"}, {"\u2068", "U+2068"}, {"\u2069", "U+2069"},
		{"\u200E", "U+200E"}, {"\u200F", "U+200F"}, {"\u061C", "U+061C"},
		{"罚款\u202E元万05", "U+202E"},
		{"\u2029\u2066x", "U+2066"},
	} {
		got := BidiReason(c.in)
		switch {
		case c.want == "" && got != "":
			t.Errorf("BidiReason(%+q) = %q, want accepted", c.in, got)
		case c.want != "" && !strings.Contains(got, c.want):
			t.Errorf("BidiReason(%+q) = %q, want a reason naming %s", c.in, got, c.want)
		}
	}
}

func TestMaskIDsIn(t *testing.T) {
	for in, want := range map[string]string{
		"": "",
		"备注：身份证610102198001010011号": "备注：身份证6101**********0011号",
		"61010219800101001X":        "6101**********001X",
		"电话13900000000":             "电话13900000000",
		"罚款2000元":                   "罚款2000元",
		"1234567890123456789":       "1234567890123456789",
		"a610102800101001b":         "a6101*******1001b",
	} {
		if got := MaskIDsIn(in); got != want {
			t.Errorf("MaskIDsIn(%q) = %q, want %q", in, got, want)
		}
	}
}
