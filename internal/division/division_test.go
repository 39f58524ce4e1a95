package division

import "testing"

func TestName(t *testing.T) {
	for _, c := range []struct{ code, want string }{
		{"610113", "陕西省西安市雁塔区"},
		{"6101", "陕西省西安市"},
		{"61", "陕西省"},
		{"610000", "陕西省"},
		{"110101", "北京市东城区"},
		{"500101", "重庆市万州区"},
		{"419001", "河南省济源市"},
		{"440305", "广东省深圳市南山区"},
		{"810000", "香港特别行政区"},
		{"999999", "999999"},
		{"61011", "61011"},
		{"", ""},
	} {
		if got := Name(c.code); got != c.want {
			t.Errorf("Name(%q) = %q, want %q", c.code, got, c.want)
		}
	}
}

func TestCode(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"陕西省西安市雁塔区", "610113"},
		{"雁塔区", "610113"},
		{"陕西省西安市雁塔区（610113）", "610113"},
		{"6101", "6101"},
		{"陕西省", "610000"},
	} {
		if got, ok := Code(c.in); !ok || got != c.want {
			t.Errorf("Code(%q) = %q %v, want %q", c.in, got, ok, c.want)
		}
	}
	// 朝阳区 is in Beijing and in Changchun: not unique.
	if c, ok := Code("朝阳区"); ok {
		t.Errorf("Code(朝阳区) = %q, want no match", c)
	}
	if n := len(Under("61")); n < 100 {
		t.Errorf("Under(61) = %d divisions", n)
	}
	if n := len(Under("")); n < 3000 {
		t.Errorf("the national table has %d divisions", n)
	}
}
