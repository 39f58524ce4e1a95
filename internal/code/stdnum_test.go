package code

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// The cross-check runs Debian's python3-stdnum (stdnum.cn.uscc and
// stdnum.cn.ric, version 1.18) as an independent implementation. Reading its
// source (/usr/lib/python3/dist-packages/stdnum/cn/{uscc,ric}.py) shows
// these differences from this package, each a named category below:
//
// uscc.py
//   - validate() requires positions 1-8 to be digits; we allow the letter
//     department codes of GB 32100 (A, G, J, N, Q, Y …) at positions 1-2.
//   - it never checks the embedded GB 11714 org code (positions 9-17).
//   - compact() normalizes before checking: util.clean maps look-alikes such
//     as full-width digits to ASCII, spaces and hyphens are removed and the
//     code is upper-cased. We check codes exactly as written.
//   - it does not know the placeholder 00000000000000000X; its check
//     character is wrong, so stdnum rejects it, which agrees with "not
//     valid".
//
// ric.py
//   - validate() also requires the region (positions 1-6) to be in its copy
//     of GB/T 2260 (cn/loc.dat, including abolished divisions); we do not
//     check regions (e.g. the published vector 440524188001010014 has a
//     region unknown to it).
//   - the birth date only has to exist as a Python date (years 1-9999); we
//     reject dates before 1800-01-01 and after today.
//   - compact() maps look-alikes, upper-cases ('x' → 'X') and strips
//     surrounding white space.

const stdnumScript = `
import sys
try:
    import stdnum
    from stdnum.cn import ric, uscc
    from stdnum.exceptions import ValidationError
except ImportError as e:
    print("IMPORT-ERROR", e)
    sys.exit(3)
print("stdnum", stdnum.__version__, flush=True)
for line in sys.stdin:
    kind, code = line.rstrip("\n").split("\t", 1)
    mod = uscc if kind == "u" else ric
    valid = mod.is_valid(code)
    reason, region = "OK", "-"
    if not valid:
        try:
            mod.validate(code)
        except ValidationError as e:
            reason = type(e).__name__
        if kind == "r" and reason == "InvalidComponent":
            try:
                region = "known" if ric.get_birth_place(code) else "unknown"
            except Exception:
                region = "unknown"
    print(valid, reason, region, sep="\t")
`

// stdnumVerdict is stdnum's answer for one code.
type stdnumVerdict struct {
	valid  bool   // is_valid(code)
	reason string // when invalid: the ValidationError class raised by validate, else "OK"
	region string // invalid ric with InvalidComponent: "known"/"unknown" per get_birth_place, else "-"
}

// runStdnum feeds all codes to one Python process and returns its verdicts.
func runStdnum(t *testing.T, kinds []Kind, codes []string) (version string, out []stdnumVerdict) {
	t.Helper()
	const python = "/usr/bin/python3"
	unavailable := func(msg string) {
		t.Helper()
		msg = "cross-check needs Debian's python3-stdnum run by " + python + " (apt-get install python3-stdnum): " + msg
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if _, err := os.Stat(python); err != nil {
		unavailable(err.Error())
	}
	var in bytes.Buffer
	for i, c := range codes {
		k := "u"
		if kinds[i] == KindRIC {
			k = "r"
		}
		fmt.Fprintf(&in, "%s\t%s\n", k, c)
	}
	// -I: ignore PYTHON* variables and the user site; -X utf8: UTF-8 I/O.
	cmd := exec.Command(python, "-I", "-X", "utf8", "-c", stdnumScript)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 {
		unavailable(strings.TrimSpace(string(stdout)))
	}
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Scan()
	version = sc.Text()
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 {
			t.Fatalf("bad python output line %q", sc.Text())
		}
		out = append(out, stdnumVerdict{valid: f[0] == "True", reason: f[1], region: f[2]})
	}
	if len(out) != len(codes) {
		t.Fatalf("python answered %d of %d codes", len(out), len(codes))
	}
	return version, out
}

// Disagreement categories (see the comment at the top of the file).
const (
	catLetterDept    = "uscc: letter department code (stdnum wants digits at positions 1-8)"
	catEmbeddedOrg   = "uscc: embedded org code check fails (stdnum does not check it)"
	catNormalizeUSCC = "uscc: not written exactly (stdnum normalizes case, look-alikes, spaces, hyphens)"
	catRegion        = "ric: region not in stdnum's GB/T 2260 table (we do not check regions)"
	catBefore1800    = "ric: birth date before 1800-01-01 (stdnum accepts any Python date)"
	catFuture        = "ric: birth date in the future (stdnum has no upper bound)"
	catNormalizeRIC  = "ric: not written exactly (stdnum normalizes case, look-alikes, surrounding space)"
)

// normalize emulates stdnum's compact() for the inputs this test generates:
// full-width digits to ASCII, upper case, surrounding white space stripped,
// and (uscc only) spaces and hyphens removed.
func normalize(kind Kind, s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return '0' + r - '０'
		}
		if kind == KindUSCC && (r == ' ' || r == '-') {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
	return strings.TrimSpace(s)
}

// classify explains a disagreement between our result r and stdnum's
// verdict v, or returns "" when no category fits.
func classify(kind Kind, code string, r Result, v stdnumVerdict) string {
	ours := r.Status == StatusValid
	switch {
	case kind == KindUSCC && ours && !v.valid:
		if !isDigits(code[:2]) && isDigits(code[2:8]) && v.reason == "InvalidFormat" {
			return catLetterDept
		}
	case kind == KindUSCC && !ours && v.valid:
		if r.Position == 17 && strings.HasPrefix(r.Detail, "embedded org code") && usccChecksumOK(code) {
			return catEmbeddedOrg
		}
		if n := normalize(kind, code); n != code {
			if rn := Check(kind, n); rn.Status == StatusValid {
				return catNormalizeUSCC
			}
		}
	case kind == KindRIC && ours && !v.valid:
		if v.region == "unknown" && v.reason == "InvalidComponent" {
			return catRegion
		}
	case kind == KindRIC && !ours && v.valid:
		if r.RIC != nil && r.RIC.Birth.Before(minBirth) {
			return catBefore1800
		}
		if r.Detail == "birth date in the future" {
			return catFuture
		}
		if n := normalize(kind, code); n != code {
			if rn := Check(kind, n); rn.Status == StatusValid {
				return catNormalizeRIC
			}
		}
	}
	return ""
}

// knownRegions are county codes present in stdnum's cn/loc.dat.
var knownRegions = []string{"110101", "110105", "120101", "130102", "140105", "150102", "210102", "220102",
	"230102", "310101", "320102", "330106", "350102", "360426", "370101", "410102", "420102", "430102",
	"440305", "450102", "460105", "500103", "510104", "520102", "530102", "610113", "620102", "650102"}

type crossGen struct {
	t   *testing.T
	rng *rand.Rand
}

func (g crossGen) from(chars string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[g.rng.IntN(len(chars))]
	}
	return string(b)
}

func (g crossGen) digits(n int) string { return g.from(digitAlphabet.chars, n) }

// validUSCC returns a valid USCC whose category comes from the table.
func (g crossGen) validUSCC() string {
	cats := Categories()
	c := cats[g.rng.IntN(len(cats))].Code
	return makeUSCC(g.t, c+g.digits(6)+g.from(usccAlphabet.chars, 8))
}

// validRIC returns a valid RIC born between 1900 and the pinned today.
func (g crossGen) validRIC(region string) string {
	days := g.rng.IntN(int(testToday.Sub(minBirth.AddDate(100, 0, 0)).Hours() / 24))
	birth := testToday.AddDate(0, 0, -days).Format("20060102")
	return makeRIC(g.t, region+birth+g.digits(3))
}

func (g crossGen) region() string { return knownRegions[g.rng.IntN(len(knownRegions))] }

// substitute replaces one character by another from chars.
func (g crossGen) substitute(s, chars string) string {
	i := g.rng.IntN(len(s))
	for {
		c := chars[g.rng.IntN(len(chars))]
		if c != s[i] {
			return s[:i] + string(c) + s[i+1:]
		}
	}
}

// transpose swaps two different adjacent characters.
func (g crossGen) transpose(s string) string {
	for range 100 {
		i := g.rng.IntN(len(s) - 1)
		if s[i] != s[i+1] {
			b := []byte(s)
			b[i], b[i+1] = b[i+1], b[i]
			return string(b)
		}
	}
	return s
}

// fullWidth replaces one ASCII digit by its full-width form.
func (g crossGen) fullWidth(s string) string {
	for range 100 {
		i := g.rng.IntN(len(s))
		if s[i] >= '0' && s[i] <= '9' {
			return s[:i] + string(rune('０'+rune(s[i]-'0'))) + s[i+1:]
		}
	}
	return s
}

func (g crossGen) usccCase(i int) (label, code string) {
	switch i % 20 {
	case 0, 1, 2, 3, 4, 5, 6:
		return "valid", g.validUSCC()
	case 7, 8, 9:
		return "substitution", g.substitute(g.validUSCC(), usccAlphabet.chars)
	case 10, 11:
		return "transposition", g.transpose(g.validUSCC())
	case 12:
		return "random", g.from(usccAlphabet.chars, 2) + g.digits(6) + g.from(usccAlphabet.chars, 10)
	case 13:
		return "random, wider set", g.from(usccAlphabet.chars+"IOSVZ", 18)
	case 14, 15:
		// Valid USCC check character over a wrong embedded org check.
		v := g.validUSCC()
		const checks = "0123456789X"
		first17 := v[:16] + string(checks[(strings.IndexByte(checks, v[16])+1+g.rng.IntN(10))%11])
		c, _ := USCCCheckChar(first17)
		return "org check broken", first17 + string(c)
	case 16:
		return "lower-case", strings.ToLower(g.validUSCC())
	case 17:
		return "full-width digit", g.fullWidth(g.validUSCC())
	case 18:
		v := g.validUSCC()
		return "spaced", v[:8] + " " + v[8:17] + "-" + v[17:]
	default:
		if i%40 == 19 {
			return "placeholder", USCCPlaceholder
		}
		return "lower-case", strings.ToLower(g.validUSCC())
	}
}

func (g crossGen) ricCase(i int) (label, code string) {
	switch i % 20 {
	case 0, 1, 2, 3, 4, 5, 6:
		return "valid", g.validRIC(g.region())
	case 7, 8:
		return "valid, random region", g.validRIC(g.digits(6))
	case 9:
		y := 1000 + g.rng.IntN(800)
		if g.rng.IntN(10) == 0 {
			y = 0
		}
		return "before 1800", makeRIC(g.t, fmt.Sprintf("%s%04d0%d1%d%s", g.region(), y, 1+g.rng.IntN(9), g.rng.IntN(3), g.digits(3)))
	case 10:
		d := testToday.AddDate(0, 0, 1+g.rng.IntN(20000)).Format("20060102")
		return "future", makeRIC(g.t, g.region()+d+g.digits(3))
	case 11:
		bad := []string{"19990230", "19000229", "20230229", "19991301", "19990100", "20000431", "19990000"}
		return "no such date", makeRIC(g.t, g.region()+bad[g.rng.IntN(len(bad))]+g.digits(3))
	case 12, 13, 14:
		return "substitution", g.substitute(g.validRIC(g.region()), digitAlphabet.chars)
	case 15:
		return "transposition", g.transpose(g.validRIC(g.region()))
	case 16:
		return "random", g.digits(17) + g.from("0123456789X", 1)
	case 17:
		for {
			if v := g.validRIC(g.region()); v[17] == 'X' {
				return "lower-case x", v[:17] + "x"
			}
		}
	case 18:
		return "full-width digit", g.fullWidth(g.validRIC(g.region()))
	default:
		return "surrounding space", " " + g.validRIC(g.region()) + " "
	}
}

func TestCrossCheckStdnum(t *testing.T) {
	pinNow(t, testToday)
	g := crossGen{t: t, rng: rand.New(rand.NewPCG(2015, 1999))}
	const perKind = 5000
	var kinds []Kind
	var codes, labels []string
	// The published vectors first.
	for _, c := range validUSCC {
		kinds, codes, labels = append(kinds, KindUSCC), append(codes, c), append(labels, "uscc vector")
	}
	for _, c := range validRIC {
		kinds, codes, labels = append(kinds, KindRIC), append(codes, c), append(labels, "ric vector")
	}
	for i := range 2 * perKind {
		kind, gen := KindUSCC, g.usccCase
		if i >= perKind {
			kind, gen = KindRIC, g.ricCase
		}
		label, c := gen(i)
		kinds, codes, labels = append(kinds, kind), append(codes, c), append(labels, string(kind)+" "+label)
	}
	version, verdicts := runStdnum(t, kinds, codes)
	t.Logf("%s; %d codes", version, len(codes))

	generated := map[string]int{}
	validCount := map[Kind][2]int{} // [ours valid, stdnum valid]
	agree := 0
	categories := map[string]int{}
	unexplained := 0
	for i, c := range codes {
		generated[labels[i]]++
		r := Check(kinds[i], c)
		ours := r.Status == StatusValid
		vc := validCount[kinds[i]]
		if ours {
			vc[0]++
		}
		if verdicts[i].valid {
			vc[1]++
		}
		validCount[kinds[i]] = vc
		if ours == verdicts[i].valid {
			agree++
			continue
		}
		cat := classify(kinds[i], c, r, verdicts[i])
		if cat == "" {
			unexplained++
			if unexplained <= 20 {
				t.Errorf("unexplained disagreement (%s) on %q: ours %s %q, stdnum valid=%v %s region=%s",
					labels[i], c, r.Status, r.Detail, verdicts[i].valid, verdicts[i].reason, verdicts[i].region)
			}
			continue
		}
		categories[cat]++
	}
	for _, l := range slices.Sorted(maps.Keys(generated)) {
		t.Logf("generated %5d  %s", generated[l], l)
	}
	for _, k := range []Kind{KindUSCC, KindRIC} {
		t.Logf("%s: valid to us %d, valid to stdnum %d", k, validCount[k][0], validCount[k][1])
	}
	t.Logf("agree on %d of %d codes", agree, len(codes))
	for _, cat := range []string{catLetterDept, catEmbeddedOrg, catNormalizeUSCC, catRegion, catBefore1800, catFuture, catNormalizeRIC} {
		t.Logf("disagree %5d  %s", categories[cat], cat)
		// Every category is exercised by the generated cases; a zero
		// count means the generator or stdnum changed.
		if categories[cat] == 0 {
			t.Errorf("category never seen: %s", cat)
		}
	}
	if unexplained > 0 {
		t.Errorf("%d unexplained disagreements", unexplained)
	}
}
