package catalog

import (
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/credit"
)

func TestValidRows(t *testing.T) {
	cf, xk := kind(t, "cf"), kind(t, "xk")
	sole := with(cfOrg(), "subject_name", "福州市鼓楼区某某小吃店", "subject_class", "个体工商户",
		"subject_uscc", soleUSCC, "legal_rep", "")
	solePlaceholder := with(sole, "subject_uscc", "00000000000000000X", "subject_reg_no", regNo)
	for _, tc := range []struct {
		name  string
		k     *Kind
		row   map[string]string
		check map[string]string // expected normalized values
		class credit.Class
	}{
		{"cf org, 2019 sample", cf, cfOrg(), map[string]string{"fine_amount": "0.2", "decision_date": "2019-10-10"}, credit.ClassOrg},
		{"cf person with 身份证", cf, cfPerson(), map[string]string{"penalty_category": "警告；罚款"}, credit.ClassPerson},
		{"cf person, lower-case x", cf, with(cfPerson(), "subject_id_number", strings.ToLower(ricValid)),
			map[string]string{"subject_id_number": ricValid}, credit.ClassPerson},
		{"cf person with passport", cf, with(cfPerson(), "subject_id_type", "护照号", "subject_id_number", "E12345678"), nil, credit.ClassPerson},
		{"cf person, id type alias", cf, with(cfPerson(), "subject_id_type", "居民身份证"), map[string]string{"subject_id_type": "身份证"}, credit.ClassPerson},
		{"cf person, 其他- id type", cf, with(cfPerson(), "subject_id_type", "其他-军官证", "subject_id_number", "军字第0012号"), nil, credit.ClassPerson},
		{"cf sole with USCC", cf, sole, nil, credit.ClassSole},
		{"cf sole with placeholder and reg no", cf, solePlaceholder, nil, credit.ClassSole},
		{"cf government body", cf, with(cfOrg(), "subject_name", "某某县人民政府", "subject_uscc", deptUSCC2), nil, credit.ClassGov},
		{"cf class alias", cf, with(cfOrg(), "subject_class", "法人及其他组织"), map[string]string{"subject_class": "法人及非法人组织"}, credit.ClassOrg},
		{"cf optional codes", cf, with(cfOrg(), "subject_org_code", "M000100Y-4", "subject_reg_no", "310230001716146"),
			map[string]string{"subject_org_code": "M000100Y4"}, credit.ClassOrg},
		{"cf legal rep with ID", cf, with(cfOrg(), "legal_rep_id_type", "身份证", "legal_rep_id_number", "440524188001010014"), nil, credit.ClassOrg},
		{"cf trimmed values", cf, with(cfOrg(), "subject_name", "\u3000 福州某某科技有限公司\u00a0", "decision_no", "\ufeff榕市监处罚〔2019〕123号\t"),
			map[string]string{"subject_name": "福州某某科技有限公司", "decision_no": "榕市监处罚〔2019〕123号"}, credit.ClassOrg},
		{"cf dates with slashes", cf, with(cfOrg(), "decision_date", "2019/10/10", "valid_to", "2019/10/17", "publicity_end", "2020/10/17"),
			map[string]string{"decision_date": "2019-10-10", "valid_to": "2019-10-17", "publicity_end": "2020-10-17"}, credit.ClassOrg},
		{"cf tolerated date forms", cf, with(cfOrg(), "decision_date", "2019.10.10", "valid_to", "20191017", "publicity_end", "2020年10月17日"),
			map[string]string{"decision_date": "2019-10-10", "valid_to": "2019-10-17", "publicity_end": "2020-10-17"}, credit.ClassOrg},
		{"cf single-digit month and time of day", cf, with(cfOrg(), "decision_date", "2019/9/5", "valid_to", "2019-09-05 00:00:00"),
			map[string]string{"decision_date": "2019-09-05", "valid_to": "2019-09-05"}, credit.ClassOrg},
		{"cf long-term", cf, with(cfOrg(), "valid_to", "2099/12/31", "publicity_end", "长期"),
			map[string]string{"valid_to": "2099-12-31", "publicity_end": "2099-12-31"}, credit.ClassOrg},
		{"cf decision today", cf, with(cfOrg(), "decision_date", "2026-06-15", "valid_to", "2026-06-15", "publicity_end", ""), nil, credit.ClassOrg},
		{"cf several categories, old and 2021 words", cf, with(cfOrg(), "penalty_category", "没收违法所得、没收非法财物,罚款;责令停产停业"),
			map[string]string{"penalty_category": "没收违法所得；没收非法财物；罚款；责令停产停业"}, credit.ClassOrg},
		{"cf category long phrase with 、", cf, with(cfOrg(), "penalty_category", "法律、行政法规规定的其他行政处罚"), nil, credit.ClassOrg},
		{"cf category old combined wording", cf, with(cfOrg(), "penalty_category", "暂扣或者吊销许可证、暂扣或者吊销执照"),
			map[string]string{"penalty_category": "暂扣或者吊销许可证；暂扣或者吊销执照"}, credit.ClassOrg},
		{"cf category 2021 words", cf, with(cfOrg(), "penalty_category", "通报批评、降低资质等级、限制从业"), nil, credit.ClassOrg},
		{"cf category 其他 and 其他-spec", cf, with(cfOrg(), "penalty_category", "罚款；其他-责令改正"), nil, credit.ClassOrg},
		{"cf category 其他（…、…）", cf, with(cfOrg(), "penalty_category", "其他（责令改正、限期整改）；警告"), nil, credit.ClassOrg},
		{"cf category duplicate dropped", cf, with(cfOrg(), "penalty_category", "罚款；罚款"), map[string]string{"penalty_category": "罚款"}, credit.ClassOrg},
		{"cf amounts", cf, with(cfOrg(), "fine_amount", "1,234.500", "confiscation_amount", "0.5万元"),
			map[string]string{"fine_amount": "1234.5", "confiscation_amount": "0.5"}, credit.ClassOrg},
		{"cf amount zero, leading zeros", cf, with(cfOrg(), "fine_amount", "000", "confiscation_amount", "00.000001"),
			map[string]string{"fine_amount": "0", "confiscation_amount": "0.000001"}, credit.ClassOrg},
		{"xk org, 2019 sample", xk, xkOrg(), map[string]string{"licence_category": "普通", "status": "1"}, credit.ClassOrg},
		{"xk long-term", xk, with(xkOrg(), "valid_to", "2099/12/31"), map[string]string{"valid_to": "2099-12-31"}, credit.ClassOrg},
		{"xk 其他-备案", xk, with(xkOrg(), "licence_category", "其他-备案"), nil, credit.ClassOrg},
		{"xk 其他（…）", xk, with(xkOrg(), "licence_category", "其他（备案）"), nil, credit.ClassOrg},
		{"xk person", xk, with(xkOrg(), "subject_name", "赵六", "subject_class", "自然人", "subject_uscc", "", "legal_rep", "",
			"subject_id_type", "身份证", "subject_id_number", "34052419800101001X"), nil, credit.ClassPerson},
		{"xk valid_to equals valid_from", xk, with(xkOrg(), "valid_to", "2019-09-05"), nil, credit.ClassOrg},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := mustValid(t, tc.k, tc.row)
			for key, want := range tc.check {
				if got := rec.Get(key); got != want {
					t.Errorf("%s = %q, want %q", key, got, want)
				}
			}
			if got := rec.SubjectClass(); got != tc.class {
				t.Errorf("SubjectClass = %q, want %q", got, tc.class)
			}
		})
	}
}

// TestRejections has one or more failing cases per rule, each asserting
// the field and (part of) the reason.
func TestRejections(t *testing.T) {
	cf, xk := kind(t, "cf"), kind(t, "xk")
	sole := with(cfOrg(), "subject_class", "个体工商户", "legal_rep", "")
	badRIC := ricValid[:17] + "1"                  // wrong check character
	badBirth := makeRIC(t, "11010519491331002")    // month 13
	futureBirth := makeRIC(t, "11010520990101002") // born in 2099
	for _, tc := range []struct {
		name   string
		k      *Kind
		row    map[string]string
		field  string
		reason string
	}{
		// required
		{"missing decision no", cf, with(cfOrg(), "decision_no", ""), "decision_no", "必填项不能为空"},
		{"blank after trim", cf, with(cfOrg(), "subject_name", "\u3000\u00a0 "), "subject_name", "必填项不能为空"},
		{"missing category", cf, with(cfOrg(), "penalty_category", ""), "penalty_category", "必填项不能为空"},
		{"missing valid_to", cf, with(cfOrg(), "valid_to", ""), "valid_to", "必填项不能为空"},
		{"xk missing decision title", xk, with(xkOrg(), "decision_title", ""), "decision_title", "必填项不能为空"},
		{"xk missing source dept code", xk, with(xkOrg(), "source_dept_uscc", ""), "source_dept_uscc", "必填项不能为空"},
		// subject class
		{"unknown class", cf, with(cfOrg(), "subject_class", "企业"), "subject_class", "“企业”不是可选的值，应为法人及非法人组织、自然人、个体工商户之一"},
		// conditional USCC
		{"org without USCC", cf, with(cfOrg(), "subject_uscc", ""), "subject_uscc", "当行政相对人类别为法人及非法人组织或个体工商户时必填"},
		{"sole without USCC", cf, with(sole, "subject_uscc", ""), "subject_uscc", "当行政相对人类别为法人及非法人组织或个体工商户时必填"},
		{"org with placeholder", cf, with(cfOrg(), "subject_uscc", "00000000000000000X"), "subject_uscc", "占位代码00000000000000000X只在行政相对人类别为个体工商户时可用"},
		{"sole placeholder without reg no", cf, with(sole, "subject_uscc", "00000000000000000X"), "subject_reg_no",
			"当行政相对人类别为个体工商户且行政相对人代码_1(统一社会信用代码)为00000000000000000X时必填"},
		{"invalid USCC", cf, with(cfOrg(), "subject_uscc", "91350100M000100Y4Z"), "subject_uscc", "不是有效的统一社会信用代码：第18位字符“Z”不合法，校验码应为3"},
		{"USCC wrong length", cf, with(cfOrg(), "subject_uscc", "91350100M000100Y4"), "subject_uscc", "不是有效的统一社会信用代码：长度应为18位"},
		{"legal rep missing for org", cf, with(cfOrg(), "legal_rep", ""), "legal_rep", "当行政相对人类别为法人及非法人组织时必填"},
		// persons
		{"person without ID type", cf, with(cfPerson(), "subject_id_type", ""), "subject_id_type", "当行政相对人类别为自然人或填写了证件号码时必填"},
		{"person without ID number", cf, with(cfPerson(), "subject_id_number", ""), "subject_id_number", "时必填"},
		{"ID check character", cf, with(cfPerson(), "subject_id_number", badRIC), "subject_id_number", "身份证号码校验码错误"},
		{"ID birth date", cf, with(cfPerson(), "subject_id_number", badBirth), "subject_id_number", "身份证号码中的出生日期不合法"},
		{"ID birth in future", cf, with(cfPerson(), "subject_id_number", futureBirth), "subject_id_number", "身份证号码中的出生日期不合法"},
		{"ID 15 digits", cf, with(cfPerson(), "subject_id_number", "110105491231002"), "subject_id_number", "身份证号码应为18位"},
		{"ID bad char", cf, with(cfPerson(), "subject_id_number", "1101051949123100AX"), "subject_id_number", "身份证号码第17位字符不合法"},
		{"unknown ID type", cf, with(cfPerson(), "subject_id_type", "驾驶证"), "subject_id_type", "以“其他-”开头注明"},
		{"bare 其他 ID type", cf, with(cfPerson(), "subject_id_type", "其他", "subject_id_number", "X1"), "subject_id_type", "填写“其他”时须注明具体类别"},
		{"other ID too long", cf, with(cfPerson(), "subject_id_type", "护照号", "subject_id_number", strings.Repeat("A", 65)), "subject_id_number", "长度不能超过64个字符（实为65个）"},
		{"legal rep ID without type", cf, with(cfOrg(), "legal_rep_id_number", "440524188001010014"), "legal_rep_id_type", "当填写了法定代表人证件号码时必填"},
		{"legal rep bad ID", cf, with(cfOrg(), "legal_rep_id_type", "身份证", "legal_rep_id_number", "440524188001010015"), "legal_rep_id_number", "身份证号码校验码错误"},
		// optional codes
		{"bad reg no", cf, with(cfOrg(), "subject_reg_no", "110108000000017"), "subject_reg_no", "不是有效的工商注册号：校验码应为6"},
		{"bad org code", cf, with(cfOrg(), "subject_org_code", "M000100Y5"), "subject_org_code", "不是有效的组织机构代码"},
		// department codes
		{"department placeholder (2019 sample)", xk, with(xkOrg(), "authority_uscc", "00000000000000000X"), "authority_uscc", "不能使用占位代码00000000000000000X"},
		{"source placeholder", cf, with(cfOrg(), "source_dept_uscc", "00000000000000000X"), "source_dept_uscc", "不能使用占位代码"},
		{"department code invalid", cf, with(cfOrg(), "authority_uscc", "11610000MB2958396X"), "authority_uscc", "不是有效的统一社会信用代码"},
		// enumerations
		{"unknown penalty category", cf, with(cfOrg(), "penalty_category", "罚金"), "penalty_category", "“罚金”不是可选的值"},
		{"one unknown among several", cf, with(cfOrg(), "penalty_category", "罚款；拘役"), "penalty_category", "“拘役”不是可选的值"},
		{"categories run together", cf, with(cfOrg(), "penalty_category", "罚款警告"), "penalty_category", "不是可选的值"},
		{"only separators", cf, with(cfOrg(), "penalty_category", "；、"), "penalty_category", "没有填写有效的值"},
		{"licence category", xk, with(xkOrg(), "licence_category", "许可"), "licence_category", "应为普通、特许、认可、核准、登记之一，或以“其他-”开头注明具体类别"},
		{"bare 其他 licence category", xk, with(xkOrg(), "licence_category", "其他"), "licence_category", "填写“其他”时须注明具体类别，如“其他-备案”"},
		{"empty 其他- spec", xk, with(xkOrg(), "licence_category", "其他-"), "licence_category", "不是可选的值"},
		// dates
		{"no such date", cf, with(cfOrg(), "decision_date", "2019-02-30"), "decision_date", "“2019-02-30”不是真实存在的日期"},
		{"not a leap year", cf, with(cfOrg(), "decision_date", "2019/2/29"), "decision_date", "不是真实存在的日期"},
		{"date format", cf, with(cfOrg(), "decision_date", "10/10/2019"), "decision_date", "日期格式不正确，应为YYYY-MM-DD或YYYY/MM/DD"},
		{"date with text", cf, with(cfOrg(), "decision_date", "2019-10-10号"), "decision_date", "日期格式不正确"},
		{"decision date in the future", cf, with(cfOrg(), "decision_date", "2026-06-16", "valid_to", "2026-06-20", "publicity_end", ""), "decision_date", "不能晚于今天（2026-06-15）"},
		{"decision date too old", cf, with(cfOrg(), "decision_date", "1989-12-31"), "decision_date", "日期早于1990-01-01，不合理"},
		{"year 2100", cf, with(cfOrg(), "valid_to", "2100-01-01"), "valid_to", "日期晚于2099-12-31"},
		{"valid_to before decision", cf, with(cfOrg(), "valid_to", "2019-10-09"), "valid_to", "不能早于处罚决定日期（2019-10-10）"},
		{"publicity end before decision", cf, with(cfOrg(), "publicity_end", "2019/10/1"), "publicity_end", "不能早于处罚决定日期（2019-10-10）"},
		{"xk valid_to before valid_from", xk, with(xkOrg(), "valid_to", "2019-09-04"), "valid_to", "不能早于有效期自（2019-09-05）"},
		{"xk 长期 only for end dates", xk, with(xkOrg(), "valid_from", "长期"), "valid_from", "日期格式不正确"},
		// amounts
		{"amount in yuan", cf, with(cfOrg(), "fine_amount", "2000元"), "fine_amount", "单位是万元，只填数字：2000元应填为0.2"},
		{"amount in yuan with commas", cf, with(cfOrg(), "fine_amount", "12,500 元"), "fine_amount", "12500元应填为1.25"},
		{"negative amount", cf, with(cfOrg(), "fine_amount", "-0.2"), "fine_amount", "金额不能为负数"},
		{"too many decimals", cf, with(cfOrg(), "confiscation_amount", "0.1234567"), "confiscation_amount", "最多保留6位小数"},
		{"amount text", cf, with(cfOrg(), "fine_amount", "贰仟元整"), "fine_amount", "应为以万元为单位的非负数字，如0.2（即2000元）"},
		{"bad grouping", cf, with(cfOrg(), "fine_amount", "1,23"), "fine_amount", "应为以万元为单位的非负数字"},
		{"exponent", cf, with(cfOrg(), "fine_amount", "2e-1"), "fine_amount", "应为以万元为单位的非负数字"},
		// lengths and characters
		{"name too long", cf, with(cfOrg(), "subject_name", strings.Repeat("某", 201)), "subject_name", "长度不能超过200个字符（实为201个）"},
		{"decision no too long", cf, with(cfOrg(), "decision_no", strings.Repeat("号", 129)), "decision_no", "长度不能超过128个字符"},
		{"invalid UTF-8", cf, with(cfOrg(), "subject_name", "福州\xb8\xa3\xd6\xdd"), "subject_name", "含有无法识别的字符"},
		{"control character", cf, with(cfOrg(), "decision_no", "榕\x00123"), "decision_no", "含有控制字符"},
		{"right-to-left override in a name", cf, with(cfOrg(), "subject_name", "西安\u202E司公限有"), "subject_name", "含有改变文字显示方向的控制字符（U+202E）"},
		{"isolate in a decision number", cf, with(cfOrg(), "decision_no", "榕\u2067123\u2069"), "decision_no", "（U+2067）"},
		{"right-to-left mark", cf, with(cfOrg(), "subject_name", "某\u200F公司"), "subject_name", "（U+200F）"},
		{"Arabic letter mark", cf, with(cfOrg(), "subject_name", "某\u061C公司"), "subject_name", "（U+061C）"},
		{"override in another ID document", cf, with(cfPerson(), "subject_id_type", "护照号", "subject_id_number", "E\u202E1234"), "subject_id_number", "（U+202E）"},
		{"override in a 其他- category", xk, with(xkOrg(), "licence_category", "其他-\u202E案备"), "licence_category", "（U+202E）"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, errs := tc.k.Validate(row(t, tc.k, tc.row), tc.k.StandardColumns(), testToday)
			if !rec.IsZero() {
				t.Errorf("rejected row returned a record")
			}
			var found bool
			for _, e := range errs {
				if e.Field == tc.field && strings.Contains(e.Reason, tc.reason) {
					found = true
					f, _ := tc.k.Field(tc.field)
					if e.Code != f.Code || e.Name != f.Name || e.Column != tc.k.FieldIndex(tc.field) {
						t.Errorf("error names %s/%s/col %d, want %s/%s/col %d", e.Code, e.Name, e.Column, f.Code, f.Name, tc.k.FieldIndex(tc.field))
					}
				}
			}
			if !found {
				t.Errorf("want %s: …%s…; got\n%s", tc.field, tc.reason, reasons(errs))
			}
		})
	}
}

// TestIDReasonsArePrivate checks that no reason for an ID number quotes the
// number or its birth date, whatever is wrong with it.
func TestIDReasonsArePrivate(t *testing.T) {
	cf := kind(t, "cf")
	ids := []string{
		ricValid[:17] + "1", makeRIC(t, "11010519491331002"), makeRIC(t, "11010520990101002"),
		"1101051949123100", "110105194912310021X", "11010519491231002Y", "110105491231002",
		makeRIC(t, "11010517990101002"),
	}
	for _, id := range ids {
		for _, field := range []string{"subject_id_number", "legal_rep_id_number"} {
			m := cfPerson()
			if field == "legal_rep_id_number" {
				m = with(cfOrg(), "legal_rep_id_type", "身份证", "legal_rep_id_number", id)
			} else {
				m[field] = id
			}
			_, errs := cf.Validate(row(t, cf, m), cf.StandardColumns(), testToday)
			if len(errs) == 0 {
				t.Fatalf("%s accepted", id)
			}
			for _, e := range errs {
				for _, leak := range []string{id, id[6:14], id[6:12], id[:6]} {
					if strings.Contains(e.Reason, leak) || strings.Contains(e.Error(), leak) {
						t.Errorf("reason %q quotes %q", e.Reason, leak)
					}
				}
			}
		}
	}
	// An ID number typed into an enum column is not quoted either.
	_, errs := cf.Validate(row(t, cf, with(cfPerson(), "subject_id_type", ricValid)), cf.StandardColumns(), testToday)
	for _, e := range errs {
		if strings.Contains(e.Reason, ricValid) {
			t.Errorf("reason %q quotes the number", e.Reason)
		}
	}
}

// TestAllErrorsReported: a row with several faults reports each of them.
func TestAllErrorsReported(t *testing.T) {
	cf := kind(t, "cf")
	m := with(cfOrg(), "subject_uscc", "", "penalty_category", "罚金", "fine_amount", "2000元",
		"decision_date", "2019-02-30", "source_dept_uscc", "00000000000000000X", "decision_no", "")
	_, errs := cf.Validate(row(t, cf, m), cf.StandardColumns(), testToday)
	want := []string{"subject_uscc", "decision_no", "penalty_category", "fine_amount", "decision_date", "source_dept_uscc"}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(errs), len(want), reasons(errs))
	}
	for i, e := range errs {
		if e.Field != want[i] {
			t.Errorf("error %d is for %s, want %s", i, e.Field, want[i])
		}
	}
	// valid_to cannot be compared with an invalid decision date: no
	// spurious second error.
}

func TestMissingColumnReason(t *testing.T) {
	cf := kind(t, "cf")
	header := []string{}
	var vals []string
	for _, f := range cf.Fields {
		if f.Required == Always {
			header = append(header, f.Name)
			vals = append(vals, cfPerson()[f.Key])
		}
	}
	cols, err := cf.MatchHeader(header)
	if err != nil {
		t.Fatal(err)
	}
	_, errs := cf.Validate(vals, cols, testToday)
	if len(errs) != 2 {
		t.Fatalf("want errors for id type and number, got\n%s", reasons(errs))
	}
	for _, e := range errs {
		if e.Column != -1 || !strings.HasSuffix(e.Reason, "（文件中没有此列）") {
			t.Errorf("%+v", e)
		}
	}
}

func TestShortRowAndIgnoredColumns(t *testing.T) {
	cf := kind(t, "cf")
	header := append([]string{"序号"}, names(cf)...)
	cols, err := cf.MatchHeader(header)
	if err != nil {
		t.Fatal(err)
	}
	vals := append([]string{"1"}, row(t, cf, cfOrg())...)
	// Trailing empty optional cells may be cut off (ragged CSV).
	vals = vals[:len(vals)-1]
	if _, errs := cf.Validate(vals, cols, testToday); errs != nil {
		t.Fatal(reasons(errs))
	}
}

func TestNoFutureCheckWithZeroToday(t *testing.T) {
	cf := kind(t, "cf")
	m := with(cfOrg(), "decision_date", "2098-01-01", "valid_to", "2098-01-01", "publicity_end", "")
	if _, errs := cf.Validate(row(t, cf, m), cf.StandardColumns(), calendar.Date{}); errs != nil {
		t.Fatal(reasons(errs))
	}
}

func TestValidatePanicsOnForeignColumns(t *testing.T) {
	cf, xk := kind(t, "cf"), kind(t, "xk")
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	cf.Validate(nil, xk.StandardColumns(), testToday)
}

func TestIsBlankRow(t *testing.T) {
	if !IsBlankRow([]string{"", " ", "\u3000", "\ufeff"}) || IsBlankRow([]string{"", "x"}) {
		t.Error("IsBlankRow")
	}
}

func names(k *Kind) []string {
	out := make([]string, len(k.Fields))
	for i, f := range k.Fields {
		out[i] = f.Name
	}
	return out
}

// TestConcurrentValidate validates from several goroutines at once (the
// department-code memo is shared); run with -race.
func TestConcurrentValidate(t *testing.T) {
	cf := kind(t, "cf")
	rows := [][]string{
		row(t, cf, cfOrg()),
		row(t, cf, with(cfOrg(), "authority_uscc", deptUSCC2, "source_dept_uscc", deptUSCC2)),
		row(t, cf, with(cfOrg(), "source_dept_uscc", "91350100M000100Y4Z")),
	}
	cols := cf.StandardColumns()
	done := make(chan bool)
	for g := range 4 {
		go func() {
			ok := true
			for i := range 200 {
				_, errs := cf.Validate(rows[(g+i)%3], cols, testToday)
				if (errs == nil) != ((g+i)%3 != 2) {
					ok = false
				}
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("wrong result under concurrency")
		}
	}
}

// TestBidiInEveryTextField: a bidirectional control is refused in every
// free-text field of the built-in kinds, naming the field.
func TestBidiInEveryTextField(t *testing.T) {
	for _, c := range []struct {
		code string
		row  map[string]string
	}{{"cf", cfOrg()}, {"xk", xkOrg()}} {
		k := kind(t, c.code)
		n := 0
		for _, f := range k.Fields {
			if f.Type != TypeText {
				continue
			}
			n++
			_, errs := k.Validate(row(t, k, with(c.row, f.Key, "甲\u202E乙")), k.StandardColumns(), testToday)
			found := false
			for _, e := range errs {
				found = found || e.Field == f.Key && e.Name == f.Name && strings.Contains(e.Reason, "U+202E")
			}
			if !found {
				t.Errorf("%s.%s (%s) with U+202E: got\n%s", c.code, f.Key, f.Name, reasons(errs))
			}
		}
		if n < 5 {
			t.Errorf("%s: only %d text fields", c.code, n)
		}
	}
}
