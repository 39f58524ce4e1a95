//go:build ignore

// gen_t2s writes t2s.txt, the traditional to simplified table that Fold
// uses, from the kSimplifiedVariant field of the Unicode Han database
// (Unihan_Variants.txt, shipped by Debian's unicode-data package).
//
// Usage, from this directory (go generate does it):
//
//	go run gen_t2s.go [-in PATH] [-out t2s.txt]
//
// PATH may be Unihan_Variants.txt, Unihan_Variants.txt.bz2 or Unihan.zip;
// without -in the usual places under /usr/share/unicode are tried.
//
// Rules:
//   - Only kSimplifiedVariant entries whose value differs from the source
//     are kept; an entry that names only the source itself (后 → 后) says
//     the character is already simplified.
//   - A multi-valued entry that includes the source itself (乾 → 乾 干) says
//     the character is also a valid simplified character in some words
//     (乾县, 乾坤); it is skipped so that such names are not folded into
//     another word. These characters are listed in alsoSimplified below,
//     with the reason; the generator fails when the data and the list
//     disagree, so that a new Unicode version is reviewed by a person.
//   - A multi-valued entry without the source (開 → 开 𫔭) maps to its first
//     value, the one Unihan lists first (the lowest code point, in practice
//     the common form in the basic block).
//   - The table is closed: when a target is itself a source (A → B → C),
//     A maps to C, so that folding once is the same as folding twice.
package main

import (
	"archive/zip"
	"bufio"
	"compress/bzip2"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// alsoSimplified lists the characters whose kSimplifiedVariant includes the
// character itself besides another one: they are traditional forms in some
// words and standard simplified characters in others, so they are left as
// they are.
var alsoSimplified = map[rune]string{
	'乾': "乾 qián (乾坤, 乾县 in Shaanxi) vs 干 gān (dry)",
	'夥': "夥 huǒ (many, 夥颐) vs 伙 (partner)",
	'復': "復 kept in some words vs 复",
	'徵': "徵 zhǐ (the note in 宫商角徵羽) vs 征",
	'戠': "戠 (ancient character) vs 只",
	'摺': "摺 (folding, 摺扇) vs 折",
	'瞭': "瞭 liào (瞭望, to watch from afar) vs 了",
	'臤': "臤 (radical component) vs its variant",
	'著': "著 zhù (著名, 著作, famous) vs 着 zhe/zháo",
	'藉': "藉 jí (狼藉) vs 借",
	'裡': "裡 vs 里",
	'覆': "覆 fù (覆盖, to cover) vs 复",
}

var candidates = []string{
	"/usr/share/unicode/Unihan_Variants.txt",
	"/usr/share/unicode/Unihan_Variants.txt.bz2",
	"/usr/share/unicode/Unihan.zip",
	"/usr/share/unicode-data/Unihan_Variants.txt",
	"/usr/share/unicode-data/Unihan.zip",
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("gen_t2s: ")
	in := flag.String("in", "", "Unihan_Variants.txt, .txt.bz2 or Unihan.zip (default: search /usr/share/unicode)")
	out := flag.String("out", "t2s.txt", "output file")
	flag.Parse()

	path := *in
	if path == "" {
		for _, c := range candidates {
			if _, err := os.Stat(c); err == nil {
				path = c
				break
			}
		}
		if path == "" {
			log.Fatal("no Unihan_Variants.txt found; apt-get install unicode-data, or pass -in")
		}
	}
	r, closeFn, err := open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer closeFn()

	raw, version, err := parse(r)
	if err != nil {
		log.Fatalf("%s: %v", path, err)
	}
	if version == "" {
		log.Fatalf("%s: no \"# Unicode version:\" header", path)
	}
	table, err := build(raw)
	if err != nil {
		log.Fatal(err)
	}
	if err := write(*out, filepath.Base(path), version, table); err != nil {
		log.Fatal(err)
	}
	log.Printf("%d mappings from %s (Unicode %s) written to %s", len(table), path, version, *out)
}

// open returns a reader of Unihan_Variants.txt inside path.
func open(path string) (io.Reader, func(), error) {
	switch {
	case strings.HasSuffix(path, ".zip"):
		z, err := zip.OpenReader(path)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range z.File {
			if filepath.Base(f.Name) == "Unihan_Variants.txt" {
				rc, err := f.Open()
				if err != nil {
					z.Close()
					return nil, nil, err
				}
				return rc, func() { rc.Close(); z.Close() }, nil
			}
		}
		z.Close()
		return nil, nil, fmt.Errorf("%s: no Unihan_Variants.txt inside", path)
	default:
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		var r io.Reader = f
		if strings.HasSuffix(path, ".bz2") {
			r = bzip2.NewReader(f)
		}
		return r, func() { f.Close() }, nil
	}
}

// parse reads the kSimplifiedVariant lines: source → values, and the
// Unicode version from the header.
func parse(r io.Reader) (map[rune][]rune, string, error) {
	raw := map[rune][]rune{}
	version := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "# Unicode version:"); ok {
			version = strings.TrimSpace(v)
			continue
		}
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 || f[1] != "kSimplifiedVariant" {
			continue
		}
		src, err := codePoint(f[0])
		if err != nil {
			return nil, "", fmt.Errorf("line %d: %v", n, err)
		}
		var vals []rune
		for _, v := range strings.Fields(f[2]) {
			// Values may carry a source tag ("U+4E0A<kFoo"); drop it.
			v, _, _ = strings.Cut(v, "<")
			t, err := codePoint(v)
			if err != nil {
				return nil, "", fmt.Errorf("line %d: %v", n, err)
			}
			vals = append(vals, t)
		}
		if len(vals) == 0 {
			return nil, "", fmt.Errorf("line %d: no value", n)
		}
		raw[src] = vals
	}
	return raw, version, sc.Err()
}

func codePoint(s string) (rune, error) {
	h, ok := strings.CutPrefix(s, "U+")
	if !ok {
		return 0, fmt.Errorf("bad code point %q", s)
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil || v > 0x10FFFF {
		return 0, fmt.Errorf("bad code point %q", s)
	}
	return rune(v), nil
}

// build applies the rules in the file comment and returns the closed table.
func build(raw map[rune][]rune) (map[rune]rune, error) {
	table := map[rune]rune{}
	seenSelf := map[rune]bool{}
	for src, vals := range raw {
		if slices.Contains(vals, src) {
			if len(vals) > 1 {
				seenSelf[src] = true
			}
			continue // already simplified, or also simplified
		}
		table[src] = vals[0]
	}

	// The exclusion list must match the data exactly.
	var errs []error
	for r := range seenSelf {
		if _, ok := alsoSimplified[r]; !ok {
			errs = append(errs, fmt.Errorf("%c (U+%04X) is both traditional and simplified in this Unihan: review it and add it to alsoSimplified", r, r))
		}
	}
	for r := range alsoSimplified {
		if !seenSelf[r] {
			errs = append(errs, fmt.Errorf("%c (U+%04X) in alsoSimplified is no longer both traditional and simplified: review it and remove it", r, r))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	// Close the table: follow chains to their end.
	closed := make(map[rune]rune, len(table))
	for src := range table {
		t, steps := table[src], 0
		for {
			next, ok := table[t]
			if !ok {
				break
			}
			if steps++; steps > len(table) || next == src {
				return nil, fmt.Errorf("cycle in kSimplifiedVariant from %c (U+%04X)", src, src)
			}
			t = next
		}
		if t != src {
			closed[src] = t
		}
	}
	return closed, nil
}

func write(path, source, version string, table map[rune]rune) error {
	keys := make([]rune, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "# Traditional to simplified, from %s kSimplifiedVariant, Unicode %s; generated by gen_t2s.go, DO NOT EDIT.\n", source, version)
	for _, k := range keys {
		fmt.Fprintf(&b, "%c %c\n", k, table[k])
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
