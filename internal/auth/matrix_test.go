package auth

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/access.md's matrix from roles.json")

const (
	matrixStart = "<!-- matrix: generated from internal/auth/roles.json by go test ./internal/auth -update -->\n"
	matrixEnd   = "<!-- end of matrix -->"
)

// TestMatrixDocumented keeps the role matrix in docs/access.md equal to
// roles.json.
func TestMatrixDocumented(t *testing.T) {
	path := "../../docs/access.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, matrixStart), strings.Index(doc, matrixEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no matrix markers", path)
	}
	want := doc[:i] + matrixStart + DefaultRoles().Matrix() + doc[j:]
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != doc {
		t.Errorf("%s is stale: run go test ./internal/auth -update", path)
	}
}
