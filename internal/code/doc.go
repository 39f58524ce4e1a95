// Package code checks Chinese national identifier codes. Its functions are
// pure: no I/O; the only data is an embedded table.
//
// Kinds and rules:
//
//   - 统一社会信用代码 (KindUSCC), GB 32100-2015: 18 characters over the
//     31-character set 0-9 A-H J-N P Q R T U W X Y (no I, O, S, V, Z), valued
//     0..30. Positions 1-2 are the 登记管理部门码 and 机构类别码 (letters such
//     as A, G, J, N, Q, Y occur, so they are not required to be digits);
//     positions 3-8 the region code, which must be digits (not checked
//     against GB/T 2260); positions 9-17 the embedded 组织机构代码, whose
//     check character (position 17) must pass GB 11714 with the GB 11714
//     letter values A=10 … Z=35; position 18 the check character
//     31 − (Σ C_i·3^(i-1) mod 31) mod 31. USCCPlaceholder
//     ("00000000000000000X", sole traders without a code) has
//     StatusPlaceholder. Errors are reported in this order: length,
//     characters (first bad position), region digits, embedded org-code
//     check (position 17), USCC check (position 18). The org-code check is
//     reported first because a wrong position 17 breaks both checks and
//     fixing it as the message suggests repairs both. A character outside
//     the set at position 18 is a bad character whose message and Want
//     also give the expected check character (91350100M000100Y4Z: "bad
//     character 'Z' at position 18; check character should be 3"); the
//     same holds for the RIC check position ('x' → should be X).
//     "000000000000000000" passes every rule and is valid: department
//     codes outside the table are not rejected.
//   - 组织机构代码 (KindOrg), GB 11714-1997: 8 body characters (digits or
//     upper-case A-Z) and a check character 11 − (Σ C_i·W_i mod 11) with
//     W = 3 7 9 10 5 8 4 2, 10 written 'X' and 11 written '0'. The
//     human-readable form XXXXXXXX-X is accepted as well.
//   - 公民身份号码 (KindRIC), GB 11643-1999: 6-digit region (not checked
//     against GB/T 2260), birth date YYYYMMDD, 3-digit sequence (odd for
//     men), check character by ISO 7064 MOD 11-2 ("10X98765432"[Σ mod 11],
//     upper-case 'X' only). The birth date must exist, must not be before
//     1800-01-01 (the published vector 440524188001010014 is born in 1880,
//     so 1900 would be too strict) and must not be after today in China
//     (UTC+8). 15-digit first-generation numbers are rejected.
//     Errors: length, characters, date, check character.
//   - 工商注册号 (KindGS15), GS 15-2006: 15 digits, the last an ISO 7064
//     MOD 11,10 check digit.
//
// Codes are checked exactly as written (no trimming or case folding); see
// Check for auto-detection. The table of department and category codes is
// data, embedded from categories.tsv and exposed by Categories.
//
// Sources: GB 32100-2015 《法人和其他组织统一社会信用代码编码规则》,
// GB 11714-1997 《全国组织机构代码编制规则》, GB 11643-1999 《公民身份号码》,
// GS 15-2006 《工商行政管理市场主体注册号编制规则》; rules and test vectors as
// collected in the project's domain facts (section 2, identifier algorithms).
package code
