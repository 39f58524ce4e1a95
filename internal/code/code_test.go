package code

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// pinNow fixes the package clock for the duration of the test.
func pinNow(t testing.TB, at time.Time) {
	t.Helper()
	saved := now
	now = func() time.Time { return at }
	t.Cleanup(func() { now = saved })
}

// testToday is the pinned "now" used by the tests: 2026-06-15 12:00 in China.
var testToday = time.Date(2026, time.June, 15, 12, 0, 0, 0, chinaTime)

// makeUSCC completes 16 characters into a USCC with a correct embedded
// org-code check character (position 17) and USCC check character.
func makeUSCC(t testing.TB, first16 string) string {
	t.Helper()
	o, err := OrgCheckChar(first16[8:16])
	if err != nil {
		t.Fatalf("OrgCheckChar(%q): %v", first16[8:16], err)
	}
	c, err := USCCCheckChar(first16 + string(o))
	if err != nil {
		t.Fatalf("USCCCheckChar: %v", err)
	}
	return first16 + string(o) + string(c)
}

// makeRIC completes 17 digits into a RIC.
func makeRIC(t testing.TB, first17 string) string {
	t.Helper()
	c, err := RICCheckChar(first17)
	if err != nil {
		t.Fatalf("RICCheckChar(%q): %v", first17, err)
	}
	return first17 + string(c)
}

var (
	validUSCC = []string{
		"91350100M000100Y43", "91110000600037341L", "91310115MA1K3BTP2B", "91340600MA2PBM9HXD",
		"121200004013590816", "9144030071526726XG", "92340602MA2PBMEM24", "91620105L015101280",
		"91320100748204660Q", "91230184MA1BUFLT44", "92371000MA3MXH0E3W", "91310230MA1K314J7C",
	}
	validRIC  = []string{"11010519491231002X", "440524188001010014", "34052419800101001X", "370101190102039973", "360426199101010071"}
	validOrg  = []string{"600037341", "748204660", "M000100Y4", "MA1K3BTP2"}
	validGS15 = []string{"110108000000016", "310230001716146", "310230001716154"}
)

func TestValidVectors(t *testing.T) {
	pinNow(t, testToday)
	for _, tc := range []struct {
		kind  Kind
		codes []string
	}{{KindUSCC, validUSCC}, {KindRIC, validRIC}, {KindOrg, validOrg}, {KindGS15, validGS15}} {
		for _, c := range tc.codes {
			for _, k := range []Kind{tc.kind, KindAuto} {
				r := Check(k, c)
				if r.Status != StatusValid || r.Kind != tc.kind || r.Detail != "" || r.DetailZH != "" || r.Position != 0 || r.Want != "" {
					t.Errorf("Check(%s, %q) = %+v, want valid %s", k, c, r, tc.kind)
				}
				if r.Code != c {
					t.Errorf("Check(%s, %q).Code = %q", k, c, r.Code)
				}
				if (r.USCC != nil) != (tc.kind == KindUSCC) || (r.RIC != nil) != (tc.kind == KindRIC) {
					t.Errorf("Check(%s, %q): USCC=%v RIC=%v", k, c, r.USCC, r.RIC)
				}
			}
		}
	}
	// Every embedded org code of a valid USCC is a valid org code, also in
	// the human-readable form.
	for _, c := range validUSCC {
		org := c[8:17]
		for _, s := range []string{org, org[:8] + "-" + org[8:]} {
			if r := Check(KindOrg, s); r.Status != StatusValid {
				t.Errorf("Check(org, %q) = %+v", s, r)
			}
		}
	}
}

func TestInvalidAndPlaceholder(t *testing.T) {
	pinNow(t, testToday)
	letterRegion := makeUSCC(t, "91A50100M000100Y")
	orgBad := "91350100M000100Y53" // position 17 wrong: both checks fail
	// orgOnly fails only the embedded org check: position 17 is wrong and
	// position 18 is recomputed over it.
	orgOnly := "91350100M000100Y5"
	if c, err := USCCCheckChar(orgOnly); err == nil {
		orgOnly += string(c)
	}
	tests := []struct {
		name     string
		kind     Kind
		code     string
		status   Status
		detail   string
		detailZH string
		pos      int
		want     string
		gotKind  Kind // for auto; defaults to kind
	}{
		{"uscc check", KindUSCC, "91350100M000100Y44", StatusInvalid, "check character should be 3", "校验码应为3", 18, "3", ""},
		{"uscc check not in set", KindUSCC, "91350100M000100Y4Z", StatusInvalid, "bad character 'Z' at position 18; check character should be 3", "第18位字符“Z”不合法，校验码应为3", 18, "3", ""},
		{"uscc check 2", KindUSCC, "91350203M0001QAY9B", StatusInvalid, "check character should be 9", "校验码应为9", 18, "9", ""},
		{"placeholder", KindUSCC, USCCPlaceholder, StatusPlaceholder, "placeholder for a sole trader without a code", "无统一社会信用代码的个体工商户占位代码", 0, "", ""},
		{"placeholder auto", KindAuto, USCCPlaceholder, StatusPlaceholder, "placeholder for a sole trader without a code", "无统一社会信用代码的个体工商户占位代码", 0, "", KindUSCC},
		{"placeholder as ric", KindRIC, USCCPlaceholder, StatusInvalid, "no such date 00000000", "出生日期00000000不存在", 0, "", ""},
		{"uscc short", KindUSCC, "91350100M000100Y4", StatusInvalid, "wrong length 17, want 18", "长度应为18位，实为17位", 0, "", ""},
		{"uscc I", KindUSCC, "91I50100M000100Y43", StatusInvalid, "bad character 'I' at position 3", "第3位字符“I”不合法", 3, "", ""},
		{"uscc first bad wins", KindUSCC, "9135010OM00010SY43", StatusInvalid, "bad character 'O' at position 8", "第8位字符“O”不合法", 8, "", ""},
		{"uscc lower case", KindUSCC, "91350100m000100Y43", StatusInvalid, "bad character 'm' at position 9", "第9位字符“m”不合法", 9, "", ""},
		{"uscc full-width digit", KindUSCC, "９1350100M000100Y43", StatusInvalid, "bad character '９' at position 1", "第1位字符“９”不合法", 1, "", ""},
		{"uscc multi-byte late", KindUSCC, "91350100M000100Y中3", StatusInvalid, "bad character '中' at position 17", "第17位字符“中”不合法", 17, "", ""},
		{"uscc multi-byte check", KindUSCC, "91350100M000100Y4中", StatusInvalid, "bad character '中' at position 18; check character should be 3", "第18位字符“中”不合法，校验码应为3", 18, "3", ""},
		{"uscc invalid utf8", KindUSCC, "91\xff50100M000100Y43", StatusInvalid, "invalid UTF-8 byte 0xFF at position 3", "第3位非法UTF-8字节0xFF", 3, "", ""},
		{"uscc leading space, 19 runes", KindUSCC, " 91350100M000100Y43", StatusInvalid, "wrong length 19, want 18", "长度应为18位，实为19位", 0, "", ""},
		{"uscc leading space, 18 runes", KindUSCC, " 1350100M000100Y43", StatusInvalid, "bad character U+0020 at position 1", "第1位字符U+0020不合法", 1, "", ""},
		{"uscc region letter", KindUSCC, letterRegion, StatusInvalid, "region code (positions 3-8) must be digits, found 'A' at position 3", "第3位字符“A”不合法：行政区划码（第3-8位）应为数字", 3, "", ""},
		{"uscc org and uscc check fail", KindUSCC, orgBad, StatusInvalid, "embedded org code check character (position 17) should be 4", "内嵌组织机构代码校验码（第17位）应为4", 17, "4", ""},
		{"uscc only org check fails", KindUSCC, orgOnly, StatusInvalid, "embedded org code check character (position 17) should be 4", "内嵌组织机构代码校验码（第17位）应为4", 17, "4", ""},
		{"ric Feb 30", KindRIC, makeRIC(t, "11010519990230002"), StatusInvalid, "no such date 19990230", "出生日期19990230不存在", 0, "", ""},
		{"ric Feb 29 non-leap", KindRIC, makeRIC(t, "11010519000229002"), StatusInvalid, "no such date 19000229", "出生日期19000229不存在", 0, "", ""},
		{"ric month 13", KindRIC, makeRIC(t, "11010519991301002"), StatusInvalid, "no such date 19991301", "出生日期19991301不存在", 0, "", ""},
		{"ric future", KindRIC, makeRIC(t, "11010520260616002"), StatusInvalid, "birth date in the future", "出生日期晚于今天", 0, "", ""},
		{"ric before 1800", KindRIC, makeRIC(t, "11010517991231002"), StatusInvalid, "birth date 17991231 before 1800-01-01", "出生日期17991231早于1800年1月1日", 0, "", ""},
		{"ric check", KindRIC, "110105194912310021", StatusInvalid, "check character should be X", "校验码应为X", 18, "X", ""},
		{"ric lower-case x", KindRIC, "11010519491231002x", StatusInvalid, "bad character 'x' at position 18; check character should be X", "第18位字符“x”不合法，校验码应为X", 18, "X", ""},
		{"ric X inside", KindRIC, "1101051949123100X2", StatusInvalid, "bad character 'X' at position 17", "第17位字符“X”不合法", 17, "", ""},
		{"ric 15 digits", KindRIC, "110105491231002", StatusInvalid, "15-digit first-generation ID numbers are not accepted", "不受理15位第一代身份证号码", 0, "", ""},
		{"ric 16 digits", KindRIC, "1101054912310021", StatusInvalid, "wrong length 16, want 18", "长度应为18位，实为16位", 0, "", ""},
		{"ric full-width", KindRIC, "１10105194912310021", StatusInvalid, "bad character '１' at position 1", "第1位字符“１”不合法", 1, "", ""},
		{"org check", KindOrg, "600037342", StatusInvalid, "check character should be 1", "校验码应为1", 9, "1", ""},
		{"org hyphen check", KindOrg, "60003734-2", StatusInvalid, "check character should be 1", "校验码应为1", 10, "1", ""},
		{"org hyphen missing", KindOrg, "600037341X", StatusInvalid, "bad character '1' at position 9", "第9位字符“1”不合法", 9, "", ""},
		{"org lower case", KindOrg, "ma1K3BTP2", StatusInvalid, "bad character 'm' at position 1", "第1位字符“m”不合法", 1, "", ""},
		{"org length", KindOrg, "60003734", StatusInvalid, "wrong length 8, want 9 (or 10 as XXXXXXXX-X)", "长度应为9（或XXXXXXXX-X形式的10）位，实为8位", 0, "", ""},
		{"gs15 check", KindGS15, "110108000000017", StatusInvalid, "check character should be 6", "校验码应为6", 15, "6", ""},
		{"gs15 letter", KindGS15, "11010800000001A", StatusInvalid, "bad character 'A' at position 15", "第15位字符“A”不合法", 15, "", ""},
		{"auto unknown length", KindAuto, "12345", StatusInvalid, "wrong length 5, want 9, 10, 15 or 18", "长度应为9、10、15或18位，实为5位", 0, "", KindUnknown},
		{"auto empty", KindAuto, "", StatusInvalid, "wrong length 0, want 9, 10, 15 or 18", "长度应为9、10、15或18位，实为0位", 0, "", KindUnknown},
		{"auto ric with wrong check", KindAuto, "110105194912310021", StatusInvalid, "check character should be X", "校验码应为X", 18, "X", KindRIC},
		{"auto uscc with wrong check", KindAuto, "121200004013590817", StatusInvalid, "check character should be 6", "校验码应为6", 18, "6", KindUSCC},
		{"auto ric with bad date", KindAuto, makeRIC(t, "11010519990230002"), StatusInvalid, "embedded org code check character (position 17) should be 7", "内嵌组织机构代码校验码（第17位）应为7", 17, "7", KindUSCC},
		{"auto gs15", KindAuto, "110108000000017", StatusInvalid, "check character should be 6", "校验码应为6", 15, "6", KindGS15},
		{"auto org hyphen", KindAuto, "60003734-1", StatusValid, "", "", 0, "", KindOrg},
		{"unknown kind", Kind("vat"), "600037341", StatusInvalid, `unknown code kind "vat"`, "未知的代码类型“vat”", 0, "", Kind("vat")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Check(tc.kind, tc.code)
			wantKind := tc.gotKind
			if wantKind == "" {
				wantKind = tc.kind
			}
			if r.Status != tc.status || r.Kind != wantKind || r.Position != tc.pos || r.Want != tc.want {
				t.Errorf("Check(%s, %q) = %+v\nwant status %s kind %s pos %d want %q", tc.kind, tc.code, r, tc.status, wantKind, tc.pos, tc.want)
			}
			// An empty expected detail means "any": used where only the
			// detected kind matters.
			if tc.detail != "" && (r.Detail != tc.detail || r.DetailZH != tc.detailZH) {
				t.Errorf("Check(%s, %q) details\n got %q / %q\nwant %q / %q", tc.kind, tc.code, r.Detail, r.DetailZH, tc.detail, tc.detailZH)
			}
			if r.Code != tc.code {
				t.Errorf("Code = %q, want %q", r.Code, tc.code)
			}
		})
	}

	// Sanity of the constructed cases: orgOnly passes the USCC check and
	// fails only the embedded org check; orgBad fails both.
	b := []byte(orgOnly)
	if usccCheck(b) != b[17] || orgCheck(b[8:16]) == b[16] {
		t.Errorf("%s is not a USCC-check-pass / org-check-fail code", orgOnly)
	}
	b = []byte(orgBad)
	if usccCheck(b) == b[17] || orgCheck(b[8:16]) == b[16] {
		t.Errorf("%s does not fail both checks", orgBad)
	}
}

func TestPartsAndAutoDetection(t *testing.T) {
	pinNow(t, testToday)
	r := Check(KindAuto, "121200004013590816")
	if r.Kind != KindUSCC || r.Status != StatusValid {
		t.Fatalf("121200004013590816: %+v", r)
	}
	want := USCCParts{Department: "1", DepartmentName: "机构编制", Category: "12", CategoryName: "事业单位",
		Region: "120000", OrgCode: "401359081", Check: '6'}
	if *r.USCC != want {
		t.Errorf("parts = %+v, want %+v", *r.USCC, want)
	}
	r = Check(KindAuto, "11010519491231002X")
	if r.Kind != KindRIC || r.Status != StatusValid {
		t.Fatalf("11010519491231002X: %+v", r)
	}
	if wantRIC := (RICParts{Region: "110105", Birth: time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC), Male: false}); *r.RIC != wantRIC {
		t.Errorf("RIC parts = %+v, want %+v", *r.RIC, wantRIC)
	}
	if r := Check(KindRIC, "370101190102039973"); !r.RIC.Male {
		t.Errorf("370101190102039973 should be male: %+v", r.RIC)
	}
	// Parts are kept when only a check character is wrong.
	if r := Check(KindUSCC, "91350100M000100Y44"); r.USCC == nil || r.USCC.OrgCode != "M000100Y4" || r.USCC.Check != '4' {
		t.Errorf("parts of invalid USCC: %+v", r.USCC)
	}
	// … but not when a character is outside the set.
	if r := Check(KindUSCC, "91350100M000100Y4Z"); r.USCC != nil {
		t.Errorf("parts of unparsable USCC: %+v", r.USCC)
	}
	if r := Check(KindRIC, "110105194912310021"); r.RIC == nil || r.RIC.Birth.Year() != 1949 {
		t.Errorf("parts of invalid RIC: %+v", r.RIC)
	}
	// Birth today (in China) is accepted, even while it is still yesterday in UTC.
	pinNow(t, time.Date(2026, time.June, 14, 17, 0, 0, 0, time.UTC)) // 2026-06-15 01:00 CST
	if r := Check(KindRIC, makeRIC(t, "11010520260615002")); r.Status != StatusValid {
		t.Errorf("born today: %+v", r)
	}
	if r := Check(KindRIC, makeRIC(t, "11010518000101002")); r.Status != StatusValid {
		t.Errorf("born 1800-01-01: %+v", r)
	}
	if r := Check(KindRIC, makeRIC(t, "11010520000229002")); r.Status != StatusValid {
		t.Errorf("born 2000-02-29: %+v", r)
	}
	// All zeros passes every rule (documented in doc.go).
	if r := Check(KindAuto, "000000000000000000"); r.Status != StatusValid || r.Kind != KindUSCC {
		t.Errorf("000000000000000000: %+v", r)
	}
	// Letter department codes are valid; their names come from the table.
	y := makeUSCC(t, "Y1110000M000100Y")
	r = Check(KindAuto, y)
	if r.Status != StatusValid || r.Kind != KindUSCC || r.USCC.DepartmentName != "其他" || r.USCC.CategoryName != "其他" {
		t.Errorf("%s: %+v %+v", y, r, r.USCC)
	}
	// An unknown category keeps the department name.
	p, err := ParseUSCC(makeUSCC(t, "94110000M000100Y"))
	if err != nil || p.DepartmentName != "工商/市场监管" || p.CategoryName != "" {
		t.Errorf("ParseUSCC 94…: %+v, %v", p, err)
	}
}

// TestSingleSubstitution: every single substitution of a valid USCC or RIC
// by another allowed character is detected.
func TestSingleSubstitution(t *testing.T) {
	pinNow(t, testToday)
	for _, c := range validUSCC {
		assertSubstitutionsDetected(t, KindUSCC, c)
	}
	for _, c := range validRIC {
		assertSubstitutionsDetected(t, KindRIC, c)
	}
}

// assertSubstitutionsDetected checks that no single substitution of the
// valid code c is valid. The only non-invalid outcome allowed is the
// placeholder itself.
func assertSubstitutionsDetected(t testing.TB, kind Kind, c string) {
	t.Helper()
	for i := range len(c) {
		set := usccAlphabet
		if kind == KindRIC {
			set = ricSet(i)
		}
		for j := range len(set.chars) {
			if set.chars[j] == c[i] {
				continue
			}
			m := c[:i] + set.chars[j:j+1] + c[i+1:]
			r := Check(kind, m)
			if r.Status == StatusValid || (r.Status == StatusPlaceholder && m != USCCPlaceholder) {
				t.Errorf("substitution at %d of %s gives %s: %s", i+1, c, m, r.Status)
			}
		}
	}
}

func TestCheckCharFunctions(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(string) (byte, error)
		in   string
		want byte
	}{
		{"USCC", USCCCheckChar, "91350100M000100Y4", '3'},
		{"USCC", USCCCheckChar, "91350203M0001QAY9", '9'},
		{"USCC", USCCCheckChar, "00000000000000000", '0'},
		{"Org", OrgCheckChar, "60003734", '1'},
		{"Org", OrgCheckChar, "MA1K3BTP", '2'},
		{"Org", OrgCheckChar, "74820466", '0'}, // 11 → '0'
		{"RIC", RICCheckChar, "11010519491231002", 'X'},
		{"RIC", RICCheckChar, "44052418800101001", '4'},
		{"GS15", GS15CheckDigit, "11010800000001", '6'},
		{"GS15", GS15CheckDigit, "31023000171615", '4'},
	} {
		got, err := tc.f(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("%sCheckChar(%q) = %q, %v; want %q", tc.name, tc.in, got, err, tc.want)
		}
	}
	// An org code whose check is 10 is written with 'X'.
	for _, c := range validUSCC {
		if c[16] == 'X' {
			if got, _ := OrgCheckChar(c[8:16]); got != 'X' {
				t.Errorf("OrgCheckChar(%q) = %q, want X", c[8:16], got)
			}
		}
	}
	for _, tc := range []struct {
		f      func(string) (byte, error)
		in     string
		detail string
		pos    int
	}{
		{USCCCheckChar, "91350100M000100Y", "wrong length 16, want 17", 0},
		{USCCCheckChar, "91350100M000I00Y4", "bad character 'I' at position 13", 13},
		{OrgCheckChar, "6000373", "wrong length 7, want 8", 0},
		{OrgCheckChar, "6000373a", "bad character 'a' at position 8", 8},
		{RICCheckChar, "1101051949123100X", "bad character 'X' at position 17", 17},
		{GS15CheckDigit, "1101080000000１", "bad character '１' at position 14", 14},
	} {
		_, err := tc.f(tc.in)
		var e *Error
		if !errors.As(err, &e) || e.Detail != tc.detail || e.Position != tc.pos || e.DetailZH == "" {
			t.Errorf("(%q): error %#v, want %q at %d", tc.in, err, tc.detail, tc.pos)
		}
	}
	if _, err := ParseUSCC("91350100M000100Y4"); err == nil {
		t.Error("ParseUSCC accepted 17 characters")
	}
	if !IsUSCCPlaceholder("00000000000000000X") || IsUSCCPlaceholder("00000000000000000x") {
		t.Error("IsUSCCPlaceholder")
	}
}

func TestParseKind(t *testing.T) {
	for _, s := range []string{"uscc", "org", "ric", "gs15", "auto", "USCC"} {
		k, err := ParseKind(s)
		if err != nil || string(k) != strings.ToLower(s) {
			t.Errorf("ParseKind(%q) = %q, %v", s, k, err)
		}
	}
	for _, s := range []string{"", "unknown", "id", " uscc"} {
		if _, err := ParseKind(s); err == nil {
			t.Errorf("ParseKind(%q) succeeded", s)
		}
	}
}

func TestCategories(t *testing.T) {
	cs := Categories()
	if len(cs) != 45 {
		t.Errorf("%d categories, want 45", len(cs))
	}
	if cs[0] != (Category{Code: "11", Department: "1", DepartmentName: "机构编制", Name: "机关"}) {
		t.Errorf("first row %+v", cs[0])
	}
	cs[0].Name = "changed"
	if Categories()[0].Name != "机关" {
		t.Error("Categories returns the shared slice")
	}
	depts := map[string]bool{}
	for _, c := range Categories() {
		depts[c.Department] = true
	}
	if len(depts) != 15 {
		t.Errorf("%d departments, want 15", len(depts))
	}
	for _, tc := range []struct {
		code, dept, cat string
		ok              bool
	}{
		{"91", "工商/市场监管", "企业", true},
		{"92", "工商/市场监管", "个体工商户", true},
		{"N2", "农业农村", "村级集体经济组织", true},
		{"A1", "中央军委改革和编制办公室", "军队文职人员用人单位", true},
		{"Y1", "其他", "其他", true},
		{"94", "工商/市场监管", "", false},
		{"Z1", "", "", false},
		{"", "", "", false},
	} {
		d, c, ok := LookupCategory(tc.code)
		if d != tc.dept || c != tc.cat || ok != tc.ok {
			t.Errorf("LookupCategory(%q) = %q, %q, %v", tc.code, d, c, ok)
		}
	}
	for _, bad := range []string{"91\t9\t工商\n", "91\t8\t工商\t企业\n", "9I\t9\t工商\t企业\n",
		"91\t9\t工商\t企业\n91\t9\t工商\t企业\n", "91\t9\t工商\t企业\n92\t9\t市场监管\t个体\n"} {
		if _, err := parseCategories(bad); err == nil {
			t.Errorf("parseCategories(%q) succeeded", bad)
		}
	}
}
