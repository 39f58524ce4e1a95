package code

import (
	"testing"
	"unicode/utf8"
)

var allKinds = []Kind{KindUSCC, KindOrg, KindRIC, KindGS15, KindAuto}

// FuzzCheck checks invariants of Check on arbitrary input, and uses the
// input bytes to drive the generators:
//   - Check never panics; Status is one of the three; details, position and
//     Want are consistent with the status;
//   - a valid code re-validates, and any single substitution of a valid USCC
//     or RIC by another allowed character is not valid;
//   - any 17 characters over the USCC set completed with USCCCheckChar pass
//     the USCC checksum, and codes built with the generators are valid.
func FuzzCheck(f *testing.F) {
	seeds := append(append(append(append([]string{}, validUSCC...), validRIC...), validOrg...), validGS15...)
	seeds = append(seeds, USCCPlaceholder, "91350100M000100Y4Z", "91350203M0001QAY9B", "60003734-1", "",
		"11010519990230002X", "110105491231002", "９1350100M000100Y43", "91\xff50100M000100Y43", " 1350100M000100Y43",
		"11010519491231002x", "Y1110000M000100Y4?", "000000000000000000")
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, k uint8, s string) {
		pinNow(t, testToday)
		kind := allKinds[int(k)%len(allKinds)]
		r := Check(kind, s)
		assertConsistent(t, kind, s, r)
		if r.Status == StatusValid {
			if again := Check(r.Kind, s); again.Status != StatusValid || again.Kind != r.Kind {
				t.Fatalf("valid %s %q does not re-validate: %+v", r.Kind, s, again)
			}
			if r.Kind == KindUSCC || r.Kind == KindRIC {
				assertSubstitutionsDetected(t, r.Kind, s)
			}
		}

		// Generators driven by the input bytes.
		in := []byte(s)
		pick := func(i int, a *alphabet) byte {
			if i < len(in) {
				return a.chars[int(in[i])%len(a.chars)]
			}
			return a.chars[i%len(a.chars)]
		}
		var first17 []byte
		for i := range 17 {
			first17 = append(first17, pick(i, usccAlphabet))
		}
		c, err := USCCCheckChar(string(first17))
		if err != nil {
			t.Fatalf("USCCCheckChar(%q): %v", first17, err)
		}
		if !usccChecksumOK(string(first17) + string(c)) {
			t.Fatalf("USCCCheckChar(%q) = %q fails the checksum", first17, c)
		}
		// Make it a full USCC: digits at 3-8, org check at 17.
		for i := 2; i < 8; i++ {
			first17[i] = pick(i, digitAlphabet)
		}
		uscc := makeUSCC(t, string(first17[:16]))
		if ru := Check(KindUSCC, uscc); ru.Status != StatusValid {
			t.Fatalf("generated USCC %s: %+v", uscc, ru)
		}
		assertSubstitutionsDetected(t, KindUSCC, uscc)

		var ric []byte
		for i := range 17 {
			ric = append(ric, pick(i, digitAlphabet))
		}
		// A plausible birth date from the input: up to 45,000 days
		// (about 123 years) before the pinned today.
		n := 0
		for _, b := range in {
			n = (n*31 + int(b)) % 45000
		}
		copy(ric[6:14], testToday.AddDate(0, 0, -n).Format("20060102"))
		code := makeRIC(t, string(ric))
		if rr := Check(KindRIC, code); rr.Status != StatusValid {
			t.Fatalf("generated RIC %s: %+v", code, rr)
		}
		assertSubstitutionsDetected(t, KindRIC, code)
	})
}

// usccChecksumOK verifies Σ C_i·3^(i-1) + C18 ≡ 0 (mod 31) with weights
// computed here, independently of usccWeights.
func usccChecksumOK(code string) bool {
	sum, w := 0, 1
	for i := range 17 {
		sum += int(usccAlphabet.value[code[i]]) * w
		w = w * 3 % 31
	}
	return (sum+int(usccAlphabet.value[code[17]]))%31 == 0
}

func assertConsistent(t *testing.T, kind Kind, s string, r Result) {
	t.Helper()
	if r.Code != s {
		t.Fatalf("Code %q != input %q", r.Code, s)
	}
	switch r.Status {
	case StatusValid:
		if r.Detail != "" || r.DetailZH != "" || r.Position != 0 || r.Want != "" {
			t.Fatalf("valid result with details: %+v", r)
		}
	case StatusInvalid:
		if r.Detail == "" || r.DetailZH == "" {
			t.Fatalf("invalid result without details: %+v", r)
		}
		if !utf8.ValidString(r.Detail) || !utf8.ValidString(r.DetailZH) {
			t.Fatalf("details not valid UTF-8: %+v", r)
		}
	case StatusPlaceholder:
		if s != USCCPlaceholder || r.Kind != KindUSCC {
			t.Fatalf("placeholder for %q: %+v", s, r)
		}
	default:
		t.Fatalf("status %q for %q", r.Status, s)
	}
	if r.Position < 0 || r.Position > utf8.RuneCountInString(s) {
		t.Fatalf("position %d out of range for %q", r.Position, s)
	}
	if len(r.Want) > 1 {
		t.Fatalf("Want %q", r.Want)
	}
	if kind != KindAuto && r.Kind != kind {
		t.Fatalf("Check(%s) reported kind %s", kind, r.Kind)
	}
	if (r.USCC != nil && r.Kind != KindUSCC) || (r.RIC != nil && r.Kind != KindRIC) {
		t.Fatalf("parts for the wrong kind: %+v", r)
	}
}
