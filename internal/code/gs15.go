package code

// GS15CheckDigit returns the GS 15-2006 check digit for the first 14 digits
// of a 工商注册号, by ISO 7064 MOD 11,10: p = 10; for each digit d,
// s = (p + d) mod 10 (0 → 10), p = 2s mod 11; check = (11 − p) mod 10.
func GS15CheckDigit(first14 string) (byte, error) {
	b, err := scan(first14, 14, all(digitAlphabet), "14", "14")
	if err != nil {
		return 0, err
	}
	return gs15Check(b), nil
}

func gs15Check(b []byte) byte {
	p := 10
	for _, c := range b {
		s := (p + int(c-'0')) % 10
		if s == 0 {
			s = 10
		}
		p = 2 * s % 11
	}
	return byte('0' + (11-p)%10)
}

func checkGS15(s string) Result {
	r := Result{Code: s, Kind: KindGS15}
	b, err := scan(s, 15, all(digitAlphabet), "15", "15")
	if err != nil {
		return r.fail(err)
	}
	if want := gs15Check(b[:14]); b[14] != want {
		return r.fail(checkCharError(15, want))
	}
	r.Status = StatusValid
	return r
}
