package code_test

import (
	"fmt"

	"github.com/xinyong/xinyong/internal/code"
)

func ExampleCheck() {
	r := code.Check(code.KindUSCC, "91350100M000100Y4Z")
	fmt.Println(r.Status, r.Position, r.Want)
	fmt.Println(r.Detail)
	fmt.Println(r.DetailZH)

	r = code.Check(code.KindUSCC, "91350100M000100Y43")
	fmt.Println(r.Status, r.USCC.CategoryName, r.USCC.Region, r.USCC.OrgCode)
	// Output:
	// invalid 18 3
	// bad character 'Z' at position 18; check character should be 3
	// 第18位字符“Z”不合法，校验码应为3
	// valid 企业 350100 M000100Y4
}

func ExampleCheck_auto() {
	for _, s := range []string{
		"121200004013590816", // an all-digit USCC
		"11010519491231002X", // a citizen identity number
		"00000000000000000X", // the placeholder for sole traders
		"60003734-1",         // an organization code in human-readable form
		"110108000000016",    // a GS 15 registration number
		"1234567",
	} {
		r := code.Check(code.KindAuto, s)
		fmt.Println(s, r.Kind, r.Status)
		if r.Detail != "" {
			fmt.Println("  ", r.Detail)
		}
	}
	// Output:
	// 121200004013590816 uscc valid
	// 11010519491231002X ric valid
	// 00000000000000000X uscc placeholder
	//    placeholder for a sole trader without a code
	// 60003734-1 org valid
	// 110108000000016 gs15 valid
	// 1234567 unknown invalid
	//    wrong length 7, want 9, 10, 15 or 18
}

func ExampleCheck_embeddedOrgCode() {
	// The USCC check character is right, but the embedded organization
	// code (positions 9-17) fails its GB 11714 check.
	r := code.Check(code.KindUSCC, "91350100M000100Y5T")
	fmt.Println(r.Status, r.Position, r.Want)
	fmt.Println(r.Detail)
	// Output:
	// invalid 17 4
	// embedded org code check character (position 17) should be 4
}

func ExampleUSCCCheckChar() {
	c, err := code.USCCCheckChar("91350100M000100Y4")
	fmt.Printf("%c %v\n", c, err)
	_, err = code.USCCCheckChar("91350100M000100YO")
	fmt.Println(err)
	// Output:
	// 3 <nil>
	// bad character 'O' at position 17
}
