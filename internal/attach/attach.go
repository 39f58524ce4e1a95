// Package attach checks files uploaded as evidence (证明材料) to an
// objection or a credit repair application: how many, how large, which
// types (by their content, not their name or declared type), and a safe
// name to show and to offer for download.
package attach

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits.
const (
	MaxFiles     = 5       // per case
	MaxBytes     = 5 << 20 // per file (5 MiB)
	MaxNameRunes = 200     // of a file's name
)

// Types are the content types accepted, by sniffing the content.
var Types = []string{"application/pdf", "image/jpeg", "image/png"}

// File is an uploaded file.
type File struct {
	Name string
	Data []byte
}

// Checked is a file that passed: its safe name, sniffed type, size and
// SHA-256 (hex).
type Checked struct {
	Name        string
	ContentType string
	Size        int64
	SHA256      string
	Data        []byte
}

// Error is a refused upload; its message is Chinese, for the user.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Check checks files (at most MaxFiles; none is fine, callers that need
// one say so): each not empty, at most MaxBytes, and PDF, JPEG or PNG.
// what names a file in messages when it has no name ("证明材料").
func Check(files []File, what string) ([]Checked, error) {
	if len(files) > MaxFiles {
		return nil, &Error{fmt.Sprintf("%s最多%d个文件，现有%d个", what, MaxFiles, len(files))}
	}
	out := make([]Checked, len(files))
	for i, f := range files {
		name := Name(f.Name, i, what)
		switch {
		case len(f.Data) == 0:
			return nil, &Error{fmt.Sprintf("文件“%s”是空文件，请重新选择", name)}
		case len(f.Data) > MaxBytes:
			return nil, &Error{fmt.Sprintf("文件“%s”大小为%s，超过了每个文件5MB的上限", name, mib(len(f.Data)))}
		}
		ct, _, _ := strings.Cut(http.DetectContentType(f.Data), ";")
		if !slices.Contains(Types, ct) {
			return nil, &Error{fmt.Sprintf("文件“%s”不是PDF、JPG或PNG格式（识别为%s），请转换后重新上传", name, ct)}
		}
		sum := sha256.Sum256(f.Data)
		out[i] = Checked{Name: name, ContentType: ct, Size: int64(len(f.Data)), SHA256: hex.EncodeToString(sum[:]), Data: f.Data}
	}
	return out, nil
}

// Name is a file's name as uploaded, without a path or control
// characters and bounded (what and its number when empty).
func Name(name string, i int, what string) string {
	if j := strings.LastIndexAny(name, `/\`); j >= 0 {
		name = name[j+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	name = strings.TrimSpace(name)
	if r := []rune(name); len(r) > MaxNameRunes {
		name = string(r[:MaxNameRunes])
	}
	if name == "" {
		name = what + strconv.Itoa(i+1)
	}
	return name
}

func mib(n int) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + "MB" }
