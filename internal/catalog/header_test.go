package catalog

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestMatchHeaderSpellings(t *testing.T) {
	cf := kind(t, "cf")
	for _, tc := range []struct {
		header string
		key    string
	}{
		{"\ufeff行政相对人名称", "subject_name"},
		{"  行政相对人名称\u3000", "subject_name"},
		{"\u00a0*行政相对人名称", "subject_name"},
		{"行政相对人名称（必填）", "subject_name"},
		{"行政相对人名称(必填)", "subject_name"},
		{"＊行政相对人名称【必填】", "subject_name"},
		{"cf_xdr_mc", "subject_name"},
		{"CF_XDR_MC", "subject_name"},
		{"Cf_Xdr_Mc", "subject_name"},
		{"subject_name", "subject_name"},
		{"行政相对人代码_1(统一社会信用代码)", "subject_uscc"},
		{"行政相对人代码＿1（统一社会信用代码）", "subject_uscc"},
		{"行政相对人代码_1 ( 统一社会信用代码 )", "subject_uscc"},
		{"统一社会信用代码", "subject_uscc"},
		{"行政相对人代码_2(工商注册号)", "subject_reg_no"},
		{"罚款金额（万元）", "fine_amount"},
		{"罚款金额(万元)", "fine_amount"},
		{"罚款金额", "fine_amount"},
		{"没收违法所得、没收非法财物的金额(万元)", "confiscation_amount"},
		{"处罚机关统一社会信用代码", "authority_uscc"},
		{"数据来源单位统一社会信用代码", "source_dept_uscc"},
		{"证件类型(自然人)", "subject_id_type"},
		{"法定代表人证件号码", "legal_rep_id_number"},
		{"BZ", "remarks"},
		{"bz", "remarks"},
	} {
		h := append(requiredHeader(cf, tc.key), tc.header)
		cols, err := cf.MatchHeader(h)
		if err != nil {
			t.Errorf("%q: %v", tc.header, err)
			continue
		}
		if got := cols.Column(tc.key); got != len(h)-1 {
			t.Errorf("%q: column of %s = %d (warnings %v)", tc.header, tc.key, got, cols.Warnings)
		}
	}
	xk := kind(t, "xk")
	cols, err := xk.MatchHeader(append(requiredHeader(xk, "legal_rep_id_number"), "XK_FR_SFZH"))
	if err != nil || cols.Column("legal_rep_id_number") < 0 {
		t.Errorf("XK_FR_SFZH: %v", err)
	}
}

// requiredHeader is the header of the always-required fields except key.
func requiredHeader(k *Kind, except string) []string {
	var h []string
	for _, f := range k.Fields {
		if f.Required == Always && f.Key != except {
			h = append(h, f.Name)
		}
	}
	return h
}

func TestMatchHeaderFullStandard(t *testing.T) {
	for _, k := range Builtin() {
		for _, spell := range []func(Field) string{
			func(f Field) string { return f.Name },
			func(f Field) string { return f.Code },
			func(f Field) string { return strings.ToLower(f.Code) },
			func(f Field) string { return f.Key },
		} {
			var h []string
			for _, f := range k.Fields {
				h = append(h, spell(f))
			}
			slices.Reverse(h)
			cols, err := k.MatchHeader(h)
			if err != nil {
				t.Fatalf("%s: %v", k.Code, err)
			}
			for i := range k.Fields {
				if cols.col[i] != len(h)-1-i {
					t.Errorf("%s: field %s at column %d", k.Code, k.Fields[i].Key, cols.col[i])
				}
			}
			if len(cols.Ignored) != 0 || len(cols.Warnings) != 0 {
				t.Errorf("%s: ignored %v warnings %v", k.Code, cols.Ignored, cols.Warnings)
			}
		}
	}
}

func TestMatchHeaderUnknownColumns(t *testing.T) {
	cf := kind(t, "cf")
	h := append([]string{"序号", ""}, names(cf)...)
	h = append(h, "经办人")
	cols, err := cf.MatchHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cols.Ignored, []int{0, 1, len(h) - 1}) {
		t.Errorf("Ignored = %v", cols.Ignored)
	}
	want := []string{"第1列“序号”不是行政处罚的字段，已忽略", "第33列“经办人”不是行政处罚的字段，已忽略"}
	if !slices.Equal(cols.Warnings, want) {
		t.Errorf("Warnings = %q", cols.Warnings)
	}
	if cols.Column("subject_name") != 2 || cols.Column("nonexistent") != -1 {
		t.Error("Column")
	}
}

func TestMatchHeaderMissingRequired(t *testing.T) {
	cf := kind(t, "cf")
	var h []string
	for _, f := range cf.Fields {
		if f.Key != "decision_no" && f.Key != "penalty_category" {
			h = append(h, f.Name)
		}
	}
	_, err := cf.MatchHeader(h)
	var he *HeaderError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v", err)
	}
	if err.Error() != "缺少必填列：行政处罚决定书文号、处罚类别" {
		t.Errorf("message %q", err)
	}
	if !slices.Equal(he.Missing, []string{"decision_no", "penalty_category"}) {
		t.Errorf("Missing = %v", he.Missing)
	}
}

func TestMatchHeaderMissingConditionalWarns(t *testing.T) {
	cf := kind(t, "cf")
	cols, err := cf.MatchHeader(requiredHeader(cf, ""))
	if err != nil {
		t.Fatal(err)
	}
	if len(cols.Warnings) != 1 || !strings.HasPrefix(cols.Warnings[0], "缺少条件必填列：行政相对人代码_1(统一社会信用代码)、") {
		t.Errorf("Warnings = %q", cols.Warnings)
	}
}

func TestMatchHeaderDuplicate(t *testing.T) {
	cf := kind(t, "cf")
	h := append(names(cf), "CF_XDR_MC")
	_, err := cf.MatchHeader(h)
	var he *HeaderError
	if !errors.As(err, &he) || len(he.Duplicates) != 1 {
		t.Fatalf("err = %v", err)
	}
	d := he.Duplicates[0]
	if d.Field != "subject_name" || d.Columns != [2]int{0, 30} || d.Headers != [2]string{"行政相对人名称", "CF_XDR_MC"} {
		t.Errorf("%+v", d)
	}
	if want := "第1列“行政相对人名称”和第31列“CF_XDR_MC”都对应字段“行政相对人名称”"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	// Both problems at once.
	h = append(names(cf)[1:], "统一社会信用代码")
	_, err = cf.MatchHeader(h)
	if want := "缺少必填列：行政相对人名称；第2列“行政相对人代码_1(统一社会信用代码)”和第30列“统一社会信用代码”都对应字段“行政相对人代码_1(统一社会信用代码)”"; err == nil || err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

func TestNormHeader(t *testing.T) {
	for in, want := range map[string]string{
		"\ufeff 行政相对人代码＿１（统一社会信用代码）*": "行政相对人代码1(统一社会信用代码)",
		"cf_xdr_mc":    "CFXDRMC",
		"罚款金额（万元）（必填）": "罚款金额(万元)",
		"":             "",
		"\u200b":       "",
	} {
		if got := normHeader(in); got != want {
			t.Errorf("normHeader(%q) = %q, want %q", in, got, want)
		}
	}
}
