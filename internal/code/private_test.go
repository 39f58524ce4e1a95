package code

import (
	"strings"
	"testing"
)

func TestPrivateReasonZH(t *testing.T) {
	cases := map[string]string{
		"11010519491231002X": "",
		"11010519491231002Y": "身份证号码校验码错误",
		"110105194912310021": "身份证号码校验码错误",
		"110105194902300021": "身份证号码中的出生日期不合法",
		"1101051949123100":   "身份证号码应为18位",
		"11010519491231A02X": "身份证号码第15位字符不合法",
	}
	for id, want := range cases {
		r := Check(KindRIC, id)
		got := r.PrivateReasonZH()
		if got != want {
			t.Errorf("%s: %q, want %q (detail %q)", id, got, want, r.DetailZH)
		}
		if strings.Contains(got, "1949") {
			t.Errorf("%s: reason quotes the birth date", id)
		}
	}
}
