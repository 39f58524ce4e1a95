package code

// orgWeights are the GB 11714-1997 weights for the 8 body characters.
var orgWeights = []int{3, 7, 9, 10, 5, 8, 4, 2}

// OrgCheckChar returns the GB 11714-1997 check character for the 8-character
// body of an organization code (digits or upper-case letters A-Z, valued
// A=10 … Z=35): C9 = 11 − (Σ C_i·W_i mod 11), where 10 is 'X' and 11 is '0'.
func OrgCheckChar(first8 string) (byte, error) {
	b, err := scan(first8, 8, all(orgAlphabet), "8", "8")
	if err != nil {
		return 0, err
	}
	return orgCheck(b), nil
}

// orgCheck computes the check character for a validated 8-byte body. The
// bytes may come from either the USCC or the GB 11714 set: the former is a
// subset of the latter.
func orgCheck(body []byte) byte {
	c := 11 - weightedSum(body, orgAlphabet, orgWeights)%11
	return orgCheckAlphabet.chars[c%11]
}

// checkOrg accepts the machine form XXXXXXXXX (9 characters) and the
// human-readable form XXXXXXXX-X (10 characters, hyphen at position 9).
// Positions in messages refer to the string as given.
func checkOrg(s string) Result {
	r := Result{Code: s, Kind: KindOrg}
	n := 9
	if runeCount(s) == 10 {
		n = 10
	}
	set := func(i int) *alphabet {
		switch {
		case i < 8:
			return orgAlphabet
		case i == n-1:
			return orgCheckAlphabet
		default:
			return hyphenAlphabet
		}
	}
	b, err := scan(s, n, set, "9 (or 10 as XXXXXXXX-X)", "9（或XXXXXXXX-X形式的10）")
	if err != nil {
		return r.fail(err)
	}
	if want := orgCheck(b[:8]); b[n-1] != want {
		return r.fail(checkCharError(n, want))
	}
	r.Status = StatusValid
	return r
}
