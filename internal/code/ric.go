package code

import (
	"fmt"
	"time"
)

// now is the clock used for the "birth date in the future" rule; tests pin it.
var now = time.Now

// chinaTime is China Standard Time (UTC+8, no daylight saving). "Today" for
// the birth-date rule is the current date in China.
var chinaTime = time.FixedZone("CST", 8*60*60)

// minBirth is the earliest birth date accepted. GB 11643-1999 sets no lower
// bound; 1800-01-01 admits the published vector 440524188001010014 (born
// 1880) while still catching garbage such as year 0000.
var minBirth = time.Date(1800, time.January, 1, 0, 0, 0, 0, time.UTC)

// ricWeights are 2^(i-1) mod 11, i counted from the right including the
// check position, for the 17 leading digits (ISO 7064 MOD 11-2).
var ricWeights = []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// RICParts is the structure of a citizen identity number.
type RICParts struct {
	Region string    // 地址码 (positions 1-6), not checked against GB/T 2260
	Birth  time.Time // 出生日期 (positions 7-14), midnight UTC
	Male   bool      // 顺序码 (positions 15-17) is odd
}

// RICCheckChar returns the GB 11643-1999 check character (ISO 7064
// MOD 11-2) for the first 17 digits: "10X98765432"[Σ C_i·W_i mod 11].
func RICCheckChar(first17 string) (byte, error) {
	b, err := scan(first17, 17, all(digitAlphabet), "17", "17")
	if err != nil {
		return 0, err
	}
	return ricCheck(b), nil
}

func ricCheck(b []byte) byte {
	return "10X98765432"[weightedSum(b[:17], digitAlphabet, ricWeights)%11]
}

func ricSet(i int) *alphabet {
	if i < 17 {
		return digitAlphabet
	}
	return ricCheckAlphabet
}

// parseDate parses 8 validated digits as YYYYMMDD; ok is false when no such
// calendar date exists.
func parseDate(b []byte) (t time.Time, ok bool) {
	n := func(b []byte) int {
		v := 0
		for _, c := range b {
			v = 10*v + int(c-'0')
		}
		return v
	}
	y, m, d := n(b[:4]), n(b[4:6]), n(b[6:8])
	t = time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return t, m >= 1 && m <= 12 && t.Day() == d && t.Month() == time.Month(m)
}

func checkRIC(s string) Result {
	r := Result{Code: s, Kind: KindRIC}
	if runeCount(s) == 15 && isDigits(s) {
		return r.fail(&Error{
			Detail:   "15-digit first-generation ID numbers are not accepted",
			DetailZH: "不受理15位第一代身份证号码",
		})
	}
	b, err := scan(s, 18, ricSet, "18", "18")
	if err != nil {
		if err.Position == 18 {
			err = withWant(err, ricCheck([]byte(s)))
		}
		return r.fail(err)
	}
	birth, ok := parseDate(b[6:14])
	if !ok {
		return r.fail(&Error{
			Detail:   fmt.Sprintf("no such date %s", b[6:14]),
			DetailZH: fmt.Sprintf("出生日期%s不存在", b[6:14]),
		})
	}
	r.RIC = &RICParts{Region: s[:6], Birth: birth, Male: (b[16]-'0')%2 == 1}
	y, m, d := now().In(chinaTime).Date()
	switch {
	case birth.Before(minBirth):
		return r.fail(&Error{
			Detail:   fmt.Sprintf("birth date %s before 1800-01-01", b[6:14]),
			DetailZH: fmt.Sprintf("出生日期%s早于1800年1月1日", b[6:14]),
		})
	case birth.After(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)):
		return r.fail(&Error{
			Detail:   "birth date in the future",
			DetailZH: "出生日期晚于今天",
		})
	}
	if want := ricCheck(b); b[17] != want {
		return r.fail(checkCharError(18, want))
	}
	r.Status = StatusValid
	return r
}

// PrivateReasonZH says in Chinese why an ID number is invalid without
// repeating any part of it (DetailZH quotes the birth date), for reasons
// that travel to reports and logs. It relies on the order in which
// checkRIC reports: length, characters, date, check character. It returns
// "" for a valid result.
func (r Result) PrivateReasonZH() string {
	switch {
	case r.Status == StatusValid:
		return ""
	case runeCount(r.Code) != 18:
		return "身份证号码应为18位"
	case r.Want != "":
		return "身份证号码校验码错误"
	case r.Position > 0:
		return fmt.Sprintf("身份证号码第%d位字符不合法", r.Position)
	}
	return "身份证号码中的出生日期不合法"
}
