package catalog

import (
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/code"
)

// testToday is the day of validation in the tests.
var testToday = calendar.MustParseDate("2026-06-15")

// makeRIC completes 17 digits into a valid ID number.
func makeRIC(t testing.TB, first17 string) string {
	t.Helper()
	c, err := code.RICCheckChar(first17)
	if err != nil {
		t.Fatalf("RICCheckChar(%q): %v", first17, err)
	}
	return first17 + string(c)
}

const (
	orgUSCC  = "91350100M000100Y43"
	orgUSCC2 = "91110000600037341L"
	soleUSCC = "92340602MA2PBMEM24"
	ricValid = "11010519491231002X"
	regNo    = "110108000000016"
)

// Department codes: 机构类别 11 (机关), computed so that they are valid.
var (
	deptUSCC  = mustUSCC("11350100MB295839")
	deptUSCC2 = mustUSCC("11610000MB000012")
)

func mustUSCC(first16 string) string {
	o, err := code.OrgCheckChar(first16[8:16])
	if err != nil {
		panic(err)
	}
	c, err := code.USCCCheckChar(first16 + string(o))
	if err != nil {
		panic(err)
	}
	return first16 + string(o) + string(c)
}

func kind(t testing.TB, code string) *Kind {
	t.Helper()
	k, ok := Default().Kind(code)
	if !ok {
		t.Fatalf("no kind %q", code)
	}
	return k
}

// row lays out values given by key in the kind's standard order; unknown
// keys fail the test.
func row(t testing.TB, k *Kind, m map[string]string) []string {
	t.Helper()
	out := make([]string, len(k.Fields))
	for key, v := range m {
		i := k.FieldIndex(key)
		if i < 0 {
			t.Fatalf("kind %s has no field %q", k.Code, key)
		}
		out[i] = v
	}
	return out
}

// with returns a copy of base with the changes applied ("" clears).
func with(base map[string]string, changes ...string) map[string]string {
	m := make(map[string]string, len(base))
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(changes); i += 2 {
		m[changes[i]] = changes[i+1]
	}
	return m
}

// cfOrg is a penalty of an organisation built like the real 2019 sample
// quoted in the domain facts (罚款2000元 → 0.2万元).
func cfOrg() map[string]string {
	return map[string]string{
		"subject_name":     "福州某某科技有限公司",
		"subject_class":    "法人及非法人组织",
		"subject_uscc":     orgUSCC,
		"legal_rep":        "张三",
		"decision_no":      "榕市监处罚〔2019〕123号",
		"violation_type":   "违反广告管理",
		"violation_facts":  "当事人在其网站发布含有“最佳”用语的广告。",
		"legal_basis":      "《中华人民共和国广告法》第五十七条",
		"penalty_category": "罚款",
		"decision_content": "罚款2000元",
		"fine_amount":      "0.2",
		"decision_date":    "2019-10-10",
		"valid_to":         "2019-10-17",
		"publicity_end":    "2020-10-17",
		"authority":        "福州市市场监督管理局",
		"authority_uscc":   deptUSCC,
		"source_dept":      "福州市市场监督管理局",
		"source_dept_uscc": deptUSCC,
	}
}

// cfPerson is a penalty of a natural person.
func cfPerson() map[string]string {
	return with(cfOrg(),
		"subject_name", "李四", "subject_class", "自然人", "subject_uscc", "", "legal_rep", "",
		"subject_id_type", "身份证", "subject_id_number", ricValid,
		"decision_no", "榕公（交）行罚决字〔2024〕0001号", "penalty_category", "警告；罚款",
		"decision_date", "2024-03-01", "valid_to", "2024-03-01", "publicity_end", "2024-06-01")
}

// xkOrg is a licence built like the real 2019 sample (but with a valid
// department code: the sample's XK_XKJGDM was the placeholder).
func xkOrg() map[string]string {
	return map[string]string{
		"subject_name":     "福建某某食品有限公司",
		"subject_class":    "法人及非法人组织",
		"subject_uscc":     orgUSCC2,
		"legal_rep":        "王五",
		"decision_title":   "食品经营许可证准予许可决定书",
		"decision_no":      "JY13501000012345",
		"licence_category": "普通",
		"licence_name":     "食品经营许可证",
		"licence_no":       "JY13501000012345",
		"decision_content": "准予食品经营许可：预包装食品销售",
		"decision_date":    "2019-09-01",
		"valid_from":       "2019-09-05",
		"valid_to":         "2020-09-22",
		"authority":        "福州市市场监督管理局",
		"authority_uscc":   deptUSCC,
		"status":           "1",
		"source_dept":      "福州市市场监督管理局",
		"source_dept_uscc": deptUSCC,
	}
}

// mustValid validates and fails the test on any error.
func mustValid(t testing.TB, k *Kind, m map[string]string) Record {
	t.Helper()
	rec, errs := k.Validate(row(t, k, m), k.StandardColumns(), testToday)
	if errs != nil {
		t.Fatalf("unexpected errors: %v", errs)
	}
	return rec
}

func reasons(errs []FieldError) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Field + ": " + e.Reason + "\n")
	}
	return b.String()
}
