package catalog

import "testing"

func benchValidate(b *testing.B, k *Kind, m map[string]string) {
	var header []string
	for _, f := range k.Fields {
		header = append(header, f.Name)
	}
	cols, err := k.MatchHeader(header)
	if err != nil {
		b.Fatal(err)
	}
	vals := row(b, k, m)
	if _, errs := k.Validate(vals, cols, testToday); errs != nil {
		b.Fatal(reasons(errs))
	}
	b.ReportAllocs()
	for b.Loop() {
		k.Validate(vals, cols, testToday)
	}
}

// BenchmarkValidateCF validates one 行政处罚 row of an organisation: three
// USCCs (subject, 处罚机关, 数据来源单位), three dates, an amount.
func BenchmarkValidateCF(b *testing.B) { benchValidate(b, kind(b, "cf"), cfOrg()) }

// BenchmarkValidateCFSlashDates: the same with YYYY/MM/DD dates, which are
// rewritten.
func BenchmarkValidateCFSlashDates(b *testing.B) {
	benchValidate(b, kind(b, "cf"), with(cfOrg(), "decision_date", "2019/10/10", "valid_to", "2019/10/17", "publicity_end", "2020/10/17"))
}

// BenchmarkValidateCFPerson validates a person's penalty (ID number check,
// two categories).
func BenchmarkValidateCFPerson(b *testing.B) { benchValidate(b, kind(b, "cf"), cfPerson()) }

func BenchmarkValidateXK(b *testing.B) { benchValidate(b, kind(b, "xk"), xkOrg()) }

// BenchmarkValidateCFRejected: a row with three errors.
func BenchmarkValidateCFRejected(b *testing.B) {
	cf := kind(b, "cf")
	m := with(cfOrg(), "subject_uscc", "91350100M000100Y4Z", "fine_amount", "2000元", "decision_date", "2019-02-30")
	cols := cf.StandardColumns()
	vals := row(b, cf, m)
	b.ReportAllocs()
	for b.Loop() {
		cf.Validate(vals, cols, testToday)
	}
}

func BenchmarkCanonical(b *testing.B) {
	rec := mustValid(b, kind(b, "cf"), cfOrg())
	b.ReportAllocs()
	for b.Loop() {
		rec.Digest()
	}
}

func BenchmarkMatchHeader(b *testing.B) {
	cf := kind(b, "cf")
	h := names(cf)
	b.ReportAllocs()
	for b.Loop() {
		cf.MatchHeader(h)
	}
}
