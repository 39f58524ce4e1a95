package credit

import (
	"fmt"
	"strings"
)

// IsBidiControl reports whether r is a bidirectional formatting character:
// the embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069,
// the marks U+200E and U+200F (LRM, RLM) and U+061C (ALM). Typed into a
// name or a reason they make it display in another order than it is
// stored ("Trojan Source"), so that what a reader sees is not what was
// filed, searched or signed.
func IsBidiControl(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	}
	return false
}

// BidiReason is the one rule for every text a person types into the
// platform (subject names, the text fields of intake, objections, repairs,
// commitments): it returns "" when s has no bidirectional control
// character, else why it is refused, in Chinese, naming the first one.
func BidiReason(s string) string {
	i := strings.IndexFunc(s, IsBidiControl)
	if i < 0 {
		return ""
	}
	r := []rune(s[i:])[0]
	return fmt.Sprintf("含有改变文字显示方向的控制字符（U+%04X），显示的内容会与实际内容不一致，请删除后重新填写", r)
}
