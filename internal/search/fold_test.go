package search

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"華為技術有限公司", "华为技术有限公司"},
		{"陝西", "陕西"},
		{"廣東", "广东"},
		{"ＡＢＣ１２３有限公司", "abc123有限公司"},
		{"华为（西安）科技 有限公司", "华为西安科技有限公司"},
		{"乾县", "乾县"},
		{"陝西省乾縣", "陕西省乾县"},
		{"著名", "著名"},
		{"開發區", "开发区"},
		{"Huawei Technologies Co., Ltd.", "huaweitechnologiescoltd"},
		{"西安·曲江　文化－产业、集团，有限公司.", "西安曲江文化产业集团有限公司"},
		{"ＸＩ’ＡＮ", "xian"},
		{"3M中国", "3m中国"},
		{"华为技术有限公司", "华为技术有限公司"},
		{"", ""},
		{"（）", ""},
		{"a\xffb", "ab"},
		{"\x00a\x00", "a"},
		{"\ufffd", ""},
		{"薴", "苎"}, // a chain in Unihan: 薴 → 苧 → 苎
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFoldNoAllocWhenFolded(t *testing.T) {
	for _, s := range []string{"华为技术有限公司", "abc123有限公司", ""} {
		if n := testing.AllocsPerRun(100, func() { Fold(s) }); n != 0 {
			t.Errorf("Fold(%q) allocates %v times", s, n)
		}
	}
}

func TestGrams(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"华为技术", []string{"华为", "为技", "技术"}},
		{"华为", []string{"华为"}},
		{"华", []string{"华"}},
		{"a", []string{"a"}},
		{"", nil},
		{"ab华", []string{"ab", "b华"}},
		{"𫝈𫝈x", []string{"𫝈𫝈", "𫝈x"}},
	}
	for _, tt := range tests {
		got := Grams(tt.in)
		if !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("Grams(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"９１６１０１３１ｍａ６ｕ１２３４５ｘ", "91610131MA6U12345X"},
		{"12345678-9", "123456789"},
		{"91610131MA6U12345X", "91610131MA6U12345X"},
		{" 9161 0131 ma6u 1234 5x ", "91610131MA6U12345X"},
		{"610102199001011234\u3000", "610102199001011234"},
		{"61010219900101123x", "61010219900101123X"},
		{"", ""},
		{"--", ""},
	}
	for _, tt := range tests {
		if got := Code(tt.in); got != tt.want {
			t.Errorf("Code(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestT2STable checks the embedded table: big enough, closed (no target
// is itself a source), Han to Han, and free of the characters the
// generator must leave alone.
func TestT2STable(t *testing.T) {
	loadOnce.Do(load)
	if len(t2s) <= 2000 {
		t.Fatalf("t2s has %d entries, want more than 2000", len(t2s))
	}
	for from, to := range t2s {
		if from == to {
			t.Errorf("%c maps to itself", from)
		}
		if next, ok := t2s[to]; ok {
			t.Errorf("table not closed: %c → %c → %c", from, to, next)
		}
		if !unicode.Is(unicode.Han, from) || !unicode.Is(unicode.Han, to) {
			t.Errorf("%U → %U is not Han to Han", from, to)
		}
	}
	for _, r := range "乾著覆瞭藉徵后面只干里台" {
		if to, ok := t2s[r]; ok {
			t.Errorf("%c, also a simplified character, maps to %c", r, to)
		}
	}
	// The file itself: one header line, then pairs sorted by code point.
	lines := strings.Split(strings.TrimSuffix(t2sData, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "# ") || !strings.Contains(lines[0], "Unicode") {
		t.Errorf("header %q does not name the source", lines[0])
	}
	prev := rune(-1)
	for _, l := range lines[1:] {
		r, _ := utf8.DecodeRuneInString(l)
		if r <= prev {
			t.Fatalf("t2s.txt not sorted at %q", l)
		}
		prev = r
	}
	if len(lines)-1 != len(t2s) {
		t.Errorf("t2s.txt has %d lines of data, %d distinct sources", len(lines)-1, len(t2s))
	}
}

// TestFoldEveryRune checks the per-rune rules over the whole code space.
// Fold works rune by rune, so this proves it idempotent for every input,
// and that it keeps only letters and numbers.
func TestFoldEveryRune(t *testing.T) {
	loadOnce.Do(load)
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // surrogates cannot appear in valid UTF-8
		}
		f := foldRune(r)
		if s := foldSlow(r); s != f {
			t.Fatalf("%U: fast fold %U, slow fold %U", r, f, s)
		}
		if f < 0 {
			continue
		}
		if g := foldRune(f); g != f {
			t.Fatalf("%U folds to %U, which folds again to %U", r, f, g)
		}
		if !unicode.IsLetter(f) && !unicode.IsNumber(f) {
			t.Fatalf("%U folds to %U, neither letter nor number", r, f)
		}
	}
}

// TestT2SUpToDate regenerates the table from the installed Unihan data,
// when it is installed and of the same Unicode version, and compares.
func TestT2SUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	var in string
	for _, c := range []string{"/usr/share/unicode/Unihan_Variants.txt", "/usr/share/unicode/Unihan_Variants.txt.bz2"} {
		if _, err := os.Stat(c); err == nil {
			in = c
			break
		}
	}
	if in == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("unicode-data is not installed (.ci/run installs it)")
		}
		t.Skip("unicode-data is not installed")
	}
	out := filepath.Join(t.TempDir(), "t2s.txt")
	cmd := exec.Command("go", "run", "gen_t2s.go", "-in", in, "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen_t2s: %v\n%s", err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	header := func(s string) string { h, _, _ := strings.Cut(s, "\n"); return h }
	if header(string(got)) != header(t2sData) {
		t.Skipf("installed Unihan differs from the embedded one: %q", header(string(got)))
	}
	if string(got) != t2sData {
		t.Error("t2s.txt differs from what gen_t2s.go makes of the same Unihan: run go generate")
	}
}

// refFold is Fold written plainly from its specification.
func refFold(s string) string {
	loadOnce.Do(load)
	var b strings.Builder
	for _, r := range width.Fold.String(s) {
		if to, ok := t2s[r]; ok {
			r = to
		}
		r = unicode.ToLower(r)
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{
		"華為技術有限公司", "华为（西安）科技 有限公司", "ＡＢＣ１２３有限公司", "乾县",
		"Huawei Technologies Co., Ltd.", "ｱｲｳ", "İstanbul", "ǅ", "a\xffb\xe4\xb8", "\u3000\ufffd",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Fold(s)
		if again := Fold(got); again != got {
			t.Fatalf("Fold(%q) = %q, but Fold of that = %q", s, got, again)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Fold(%q) = %q, not valid UTF-8", s, got)
		}
		for _, r := range got {
			if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
				t.Fatalf("Fold(%q) = %q keeps %U", s, got, r)
			}
		}
		if want := refFold(s); got != want {
			t.Fatalf("Fold(%q) = %q, the plain rules give %q", s, got, want)
		}
		grams := Grams(got)
		if n := utf8.RuneCountInString(got); n > 1 && len(grams) != n-1 || n == 1 && len(grams) != 1 || n == 0 && grams != nil {
			t.Fatalf("Grams(%q) = %q", got, grams)
		}
		c := Code(s)
		if Code(c) != c {
			t.Fatalf("Code(%q) = %q, but Code of that = %q", s, c, Code(c))
		}
	})
}

var sink string

func BenchmarkFold(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"folded", "陕西华为技术有限公司"},
		{"traditional", "陝西華為技術有限公司"},
		{"punctuated", "华为技术（西安）有限公司 ABC"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink = Fold(bc.in)
			}
		})
	}
}
