package catalog

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/calendar"
)

// FuzzMatchHeader: MatchHeader never panics; on success every field has at
// most one column, every always-required field has one, and column indexes
// are in range and distinct.
func FuzzMatchHeader(f *testing.F) {
	for _, k := range Builtin() {
		f.Add(strings.Join(names(k), "\t"))
		var codes []string
		for _, fl := range k.Fields {
			codes = append(codes, strings.ToLower(fl.Code))
		}
		f.Add(strings.Join(codes, "\t"))
	}
	f.Add("\ufeff*行政相对人名称（必填）\t行政相对人代码＿1（统一社会信用代码）\t\t序号")
	f.Add("行政相对人名称\tCF_XDR_MC")
	f.Fuzz(func(t *testing.T, s string) {
		header := strings.Split(s, "\t")
		for _, k := range Builtin() {
			cols, err := k.MatchHeader(header)
			if err != nil {
				if _, ok := err.(*HeaderError); !ok || err.Error() == "" {
					t.Fatalf("error %T %v", err, err)
				}
				continue
			}
			used := map[int]bool{}
			for i, c := range cols.col {
				if c < 0 {
					if k.Fields[i].Required == Always {
						t.Fatalf("%s: required %s without column", k.Code, k.Fields[i].Key)
					}
					continue
				}
				if c >= len(header) || used[c] {
					t.Fatalf("%s: column %d reused or out of range", k.Code, c)
				}
				used[c] = true
			}
			for _, j := range cols.Ignored {
				if used[j] {
					t.Fatalf("column %d both used and ignored", j)
				}
			}
			if len(used)+len(cols.Ignored) != len(header) {
				t.Fatalf("%d used + %d ignored != %d columns", len(used), len(cols.Ignored), len(header))
			}
		}
	})
}

// FuzzValidate: Validate never panics; a rejected row has a reason for
// each error and no reason quotes a run of six or more digits of an ID
// number; a valid record's Values re-validate to the same canonical form.
func FuzzValidate(f *testing.F) {
	cf, xk := kind(f, "cf"), kind(f, "xk")
	seed := func(k *Kind, m map[string]string) {
		idx := uint8(0)
		if k == xk {
			idx = 1
		}
		f.Add(idx, strings.Join(row(f, k, m), "\t"))
	}
	seed(cf, cfOrg())
	seed(cf, cfPerson())
	seed(cf, with(cfOrg(), "subject_class", "个体工商户", "subject_uscc", "00000000000000000X", "subject_reg_no", regNo))
	seed(cf, with(cfOrg(), "penalty_category", "其他（责令改正、没收）、罚款", "fine_amount", "1,000.5万元", "decision_date", "2019年1月2日", "valid_to", "长期"))
	seed(cf, with(cfPerson(), "subject_id_number", strings.ToLower(ricValid), "legal_rep_id_type", "护照", "legal_rep_id_number", "E123"))
	seed(cf, with(cfOrg(), "fine_amount", "2000元", "subject_org_code", "M000100Y-4"))
	seed(xk, xkOrg())
	seed(xk, with(xkOrg(), "licence_category", "其他-备案", "valid_to", "2099/12/31"))
	f.Fuzz(func(t *testing.T, which uint8, s string) {
		k := cf
		if which%2 == 1 {
			k = xk
		}
		values := strings.Split(s, "\t")
		rec, errs := k.Validate(values, k.StandardColumns(), testToday)
		if errs != nil {
			if !rec.IsZero() {
				t.Fatal("record with errors")
			}
			for _, e := range errs {
				if e.Reason == "" || e.Field == "" || e.Name == "" {
					t.Fatalf("incomplete error %+v", e)
				}
				for _, key := range []string{"subject_id_number", "legal_rep_id_number"} {
					i := k.FieldIndex(key)
					if i < len(values) {
						for _, run := range digitRuns(values[i], 6) {
							// A reason may quote its own field's value (a
							// date); it must not repeat an ID number.
							if own := k.FieldIndex(e.Field); e.Field != key && own >= 0 && own < len(values) && strings.Contains(values[own], run) {
								continue
							}
							if strings.Contains(e.Reason, run) {
								t.Fatalf("reason %q quotes %q of %s", e.Reason, run, key)
							}
						}
					}
				}
			}
			return
		}
		for _, v := range rec.Values() {
			if v != trimValue(v) || !utf8.ValidString(v) {
				t.Fatalf("value %q not normalized", v)
			}
		}
		again, errs := k.Validate(rec.Values(), k.StandardColumns(), testToday)
		if errs != nil {
			t.Fatalf("normalized values rejected:\n%s", reasons(errs))
		}
		if !bytes.Equal(again.Canonical(), rec.Canonical()) {
			t.Fatalf("canonical form changed:\n%q\n%q", rec.Canonical(), again.Canonical())
		}
		if again.IdentityKey(nil) != rec.IdentityKey(nil) {
			t.Fatal("identity changed")
		}
		_ = rec.SubjectClass()
		_ = rec.Subject()
	})
}

// digitRuns returns the runs of at least n ASCII digits in s.
func digitRuns(s string, n int) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= n {
			out = append(out, s[start:i])
		}
		start = -1
	}
	return out
}

// FuzzParseDate: ParseDate never panics; a date it accepts is a real date
// of years 0001-9999 whose canonical text (calendar.Date.String) both
// calendar.ParseDate and ParseDate read back as the same date.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2019-10-10", "2024/9/5", "2019.10.10", "2019年1月2日", "20191010",
		"2019-10-10 08:30:00.5", "2019-10-10T8:30", "2019-02-29", "0000-01-01", "长期"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseDate(s)
		if !ok {
			if !d.IsZero() {
				t.Fatalf("ParseDate(%q) = %#v with ok false", s, d)
			}
			return
		}
		if d.Year < 1 || d.Year > 9999 {
			t.Fatalf("ParseDate(%q) = %#v", s, d)
		}
		c := d.String()
		if back, err := calendar.ParseDate(c); err != nil || back != d {
			t.Fatalf("ParseDate(%q) = %#v; calendar.ParseDate(%q) = %#v, %v", s, d, c, back, err)
		}
		if again, ok := ParseDate(c); !ok || again != d {
			t.Fatalf("ParseDate(%q) = %#v; ParseDate(%q) = %#v, %v", s, d, c, again, ok)
		}
	})
}
