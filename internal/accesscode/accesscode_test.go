package accesscode

import (
	"strings"
	"testing"
)

func TestCode(t *testing.T) {
	code, hash, err := New()
	if err != nil || len(code) != 16 || len(hash) != 64 {
		t.Fatalf("New: %q %q %v", code, hash, err)
	}
	typed := strings.ToLower(code[:4] + "-" + code[4:8] + " " + code[8:])
	if !Matches(hash, code) || !Matches(hash, typed) {
		t.Error("the code does not match")
	}
	if Matches(hash, "") || Matches("", code) || Matches(hash, code[:15]+"A") && code[15] != 'A' {
		t.Error("a wrong code matches")
	}
}
