package catalog

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"slices"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/credit"
)

func TestRecordAccessors(t *testing.T) {
	cf := kind(t, "cf")
	rec := mustValid(t, cf, cfOrg())
	if rec.Kind() != cf || rec.IsZero() {
		t.Fatal("Kind")
	}
	if rec.SubjectName() != "福州某某科技有限公司" || rec.SubjectUSCC() != orgUSCC || rec.SubjectClassLabel() != "法人及非法人组织" ||
		rec.DecisionNo() != "榕市监处罚〔2019〕123号" || rec.DecisionDate() != calendar.MustParseDate("2019-10-10") ||
		rec.SourceDept() != "福州市市场监督管理局" || rec.SourceDeptUSCC() != deptUSCC {
		t.Errorf("accessors: %q %q %q %q %v %q %q", rec.SubjectName(), rec.SubjectUSCC(), rec.SubjectClassLabel(),
			rec.DecisionNo(), rec.DecisionDate(), rec.SourceDept(), rec.SourceDeptUSCC())
	}
	if rec.Date("valid_to") != calendar.MustParseDate("2019-10-17") || !rec.Date("nope").IsZero() || rec.Get("fine_amount") != "0.2" || rec.Get("nope") != "" {
		t.Error("Get/Date")
	}
	if s := rec.Subject(); s.Class != credit.ClassOrg || s.Name != "福州某某科技有限公司" || s.USCC != orgUSCC || s.RegNo != "" || s.IDNumber != "" {
		t.Errorf("Subject %+v", s)
	}
	if err := rec.Subject().Validate(); err != nil {
		t.Errorf("Subject().Validate: %v", err)
	}

	p := mustValid(t, cf, cfPerson())
	if p.SubjectClass() != credit.ClassPerson || p.SubjectIDNumber() != ricValid || p.SubjectIDType() != "身份证" {
		t.Error("person accessors")
	}
	if !slices.Equal(p.Items("penalty_category"), []string{"警告", "罚款"}) || p.Items("remarks") != nil {
		t.Errorf("Items %q", p.Items("penalty_category"))
	}
	if s := p.Subject(); s.IDNumber != ricValid || s.USCC != "" || s.Validate() != nil {
		t.Errorf("person Subject %v", s.Validate())
	}
	other := mustValid(t, cf, with(cfOrg(), "penalty_category", "其他（责令改正；限期整改）,罚款"))
	if got := other.Items("penalty_category"); !slices.Equal(got, []string{"其他（责令改正；限期整改）", "罚款"}) {
		t.Errorf("Items %q", got)
	}
	pp := mustValid(t, cf, with(cfPerson(), "subject_id_type", "护照号", "subject_id_number", "E1234"))
	if pp.Subject().IDNumber != "" {
		t.Error("passport number as ID number")
	}

	sole := mustValid(t, cf, with(cfOrg(), "subject_class", "个体工商户", "subject_uscc", "00000000000000000X", "subject_reg_no", regNo, "legal_rep", ""))
	if sole.SubjectUSCC() != "" || sole.Get("subject_uscc") != "00000000000000000X" || sole.SubjectRegNo() != regNo {
		t.Error("placeholder")
	}
	if s := sole.Subject(); s.Class != credit.ClassSole || s.RegNo != regNo || s.USCC != "" || s.Validate() != nil {
		t.Errorf("sole Subject %+v", s)
	}
	gov := mustValid(t, cf, with(cfOrg(), "subject_uscc", deptUSCC2))
	if s := gov.Subject(); s.Class != credit.ClassGov || s.Validate() != nil {
		t.Errorf("gov Subject %+v %v", s, s.Validate())
	}

	var zero Record
	if !zero.IsZero() || zero.SubjectName() != "" || !zero.DecisionDate().IsZero() || zero.Canonical() != nil || zero.IdentityKey(nil) != "" || zero.SubjectClass() != "" {
		t.Error("zero Record")
	}
}

// TestCanonical: the same content sent again in another layout has the same
// canonical form; any change of content changes it.
func TestCanonical(t *testing.T) {
	cf := kind(t, "cf")
	base := mustValid(t, cf, cfOrg())

	// Another file: reversed columns, exchange codes, extra column,
	// other date format, padding, full-width spaces, alias values.
	var h, vals []string
	m := with(cfOrg(), "decision_date", "2019/10/10", "valid_to", "20191017", "fine_amount", "0.20",
		"subject_name", "\u3000福州某某科技有限公司 ", "subject_class", "法人及其他组织")
	for i := len(cf.Fields) - 1; i >= 0; i-- {
		f := cf.Fields[i]
		h = append(h, strings.ToLower(f.Code))
		vals = append(vals, m[f.Key])
	}
	h = append(h, "序号")
	vals = append(vals, "17")
	cols, err := cf.MatchHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	again, errs := cf.Validate(vals, cols, testToday)
	if errs != nil {
		t.Fatal(reasons(errs))
	}
	if !bytes.Equal(base.Canonical(), again.Canonical()) || base.Digest() != again.Digest() {
		t.Errorf("same content, different canonical form:\n%q\n%q", base.Canonical(), again.Canonical())
	}
	if base.IdentityKey(nil) != again.IdentityKey(nil) {
		t.Error("identity differs")
	}

	// Changed content: new version, same identity.
	changed := mustValid(t, cf, with(cfOrg(), "fine_amount", "0.3"))
	if bytes.Equal(base.Canonical(), changed.Canonical()) || base.Digest() == changed.Digest() {
		t.Error("changed amount, same canonical form")
	}
	if base.IdentityKey(nil) != changed.IdentityKey(nil) {
		t.Error("changed amount changed the identity")
	}
	// A value moving from one field to another is a change.
	moved := mustValid(t, cf, with(cfOrg(), "fine_amount", "", "confiscation_amount", "0.2"))
	if bytes.Equal(base.Canonical(), moved.Canonical()) {
		t.Error("moved value, same canonical form")
	}
	// Other decision number or source department: another record.
	for _, m := range []map[string]string{
		with(cfOrg(), "decision_no", "榕市监处罚〔2019〕124号"),
		with(cfOrg(), "source_dept_uscc", deptUSCC2),
		with(cfOrg(), "subject_uscc", orgUSCC2),
	} {
		if mustValid(t, cf, m).IdentityKey(nil) == base.IdentityKey(nil) {
			t.Errorf("same identity for %v", m)
		}
	}
	// Same content in another kind is not the same record.
	if strings.HasPrefix(string(base.Canonical()), canonicalMagic+"cf\x00") == false {
		t.Error("kind code missing")
	}
	// Values re-validate to the same canonical form.
	re, errs := cf.Validate(base.Values(), cf.StandardColumns(), testToday)
	if errs != nil || !bytes.Equal(re.Canonical(), base.Canonical()) {
		t.Error("Values do not re-validate")
	}
}

func TestIdentityKey(t *testing.T) {
	cf := kind(t, "cf")
	org := mustValid(t, cf, cfOrg())
	if got, want := org.IdentityKey(nil), "cf|decision_no=榕市监处罚〔2019〕123号|source_dept_uscc="+deptUSCC+"|subject_uscc="+orgUSCC; got != want {
		t.Errorf("IdentityKey = %q, want %q", got, want)
	}
	key := []byte("k")
	hash := func(s string) []byte { m := hmac.New(sha256.New, key); m.Write([]byte(s)); return m.Sum(nil) }
	p := mustValid(t, cf, cfPerson())
	got := p.IdentityKey(hash)
	if strings.Contains(got, ricValid) || strings.Contains(got, ricValid[6:14]) {
		t.Errorf("identity key holds the ID number: %q", got)
	}
	if !strings.HasSuffix(got, "|subject_id_number=#"+hexOf(hash(ricValid))) {
		t.Errorf("person key %q", got)
	}
	sole := mustValid(t, cf, with(cfOrg(), "subject_class", "个体工商户", "subject_uscc", "00000000000000000X", "subject_reg_no", regNo, "legal_rep", ""))
	if got := sole.IdentityKey(nil); !strings.HasSuffix(got, "|subject_reg_no="+regNo) {
		t.Errorf("sole key %q", got)
	}
	esc := mustValid(t, cf, with(cfOrg(), "decision_no", `A|B\C`))
	if got := esc.IdentityKey(nil); !strings.Contains(got, `decision_no=A\|B\\C|`) {
		t.Errorf("escaping: %q", got)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
