// Package attach checks files uploaded as evidence (证明材料) to an
// objection or a credit repair application: how many, how large, which
// types (by their content, not their name or declared type), that the
// content is what the type says (a PDF's structure parses, an image
// decodes), that no web page or script hides in the first kilobyte, and a
// safe name to show and to offer for download, whose extension is the
// detected type's.
package attach

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
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

// extensions are the file name extensions of Types: a stored file is
// named by its detected type, never by the extension it was uploaded with.
var extensions = map[string]string{"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}

// MaxPixels bounds an image's width × height (a small compressed file can
// describe a huge image, which decoding would have to hold in memory):
// 50 million pixels, more than a phone camera's full resolution.
const MaxPixels = 50_000_000

// sniffBytes is how much of a file is searched for HTML and script:
// what browsers look at when they guess a type.
const sniffBytes = 1024

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
// one say so): each not empty, at most MaxBytes, and PDF, JPEG or PNG by
// its content, which must be whole (a PDF's structure parses, an image
// decodes) and hold no HTML or script in its first kilobyte. The name of
// a file that passes is its uploaded name, made safe, with the
// extension of its type. what names a file in messages when it has no
// name ("证明材料").
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
		if tag := markup(f.Data[:min(len(f.Data), sniffBytes)]); tag != "" {
			return nil, &Error{fmt.Sprintf("文件“%s”的开头含有网页或脚本内容（%s），不能作为材料上传；请上传扫描件或从原文件重新导出的PDF、JPG、PNG文件", name, tag)}
		}
		if err := checkContent(ct, f.Data); err != nil {
			return nil, &Error{fmt.Sprintf("文件“%s”%s", name, err.Error())}
		}
		sum := sha256.Sum256(f.Data)
		out[i] = Checked{Name: withExtension(name, ct), ContentType: ct, Size: int64(len(f.Data)), SHA256: hex.EncodeToString(sum[:]), Data: f.Data}
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

// checkContent checks that data, sniffed as ct, is whole: a PDF's
// structure parses, an image decodes (within MaxPixels). The error is the
// Chinese end of a sentence that begins with the file's name.
func checkContent(ct string, data []byte) error {
	switch ct {
	case "application/pdf":
		if checkPDF(data) != nil {
			return errors.New("不是完整有效的PDF文件（文件结构无法解析，可能已损坏、不完整或只是带有PDF文件头的其他内容），请用PDF阅读器打开确认后重新导出上传")
		}
		return nil
	case "image/png", "image/jpeg":
		cfg, err := decodeConfig(ct, data)
		if err != nil {
			break
		}
		if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
			return fmt.Errorf("图片尺寸为%d×%d像素，超过了%d万像素的上限，请缩小后重新上传", cfg.Width, cfg.Height, MaxPixels/10000)
		}
		if _, err := decode(ct, data); err == nil {
			return nil
		}
	}
	label := map[string]string{"image/png": "PNG", "image/jpeg": "JPG"}[ct]
	return fmt.Errorf("不是完整有效的%s图片（无法解码，可能已损坏或不完整），请重新导出后上传", label)
}

func decodeConfig(ct string, data []byte) (image.Config, error) {
	if ct == "image/png" {
		return png.DecodeConfig(bytes.NewReader(data))
	}
	return jpeg.DecodeConfig(bytes.NewReader(data))
}

func decode(ct string, data []byte) (image.Image, error) {
	if ct == "image/png" {
		return png.Decode(bytes.NewReader(data))
	}
	return jpeg.Decode(bytes.NewReader(data))
}

// markupTags are what makes a browser, or a person opening the file
// with the wrong program, take it for a web page; each is matched without
// regard to case and must end as a tag name or a scheme does. Tags of
// one letter (<a>, <b>, <p>) are left out: three bytes such as "<a " turn
// up by chance in the tables at the start of a JPEG, where a longer tag
// does not (about one file in a million for the shortest here).
var markupTags = []string{"<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<frame", "<object", "<embed",
	"<applet", "<svg", "<style", "<title", "<meta", "<link", "<base", "<form", "<input", "<img", "<div", "<span", "<table",
	"<br", "<h1", "<?xml-stylesheet", "javascript:", "vbscript:"}

// markup returns the first HTML tag or script scheme found in b, or "".
func markup(b []byte) string {
	lower := bytes.ToLower(b)
	for i := range lower {
		if lower[i] != '<' && lower[i] != 'j' && lower[i] != 'v' {
			continue
		}
		for _, tag := range markupTags {
			if !bytes.HasPrefix(lower[i:], []byte(tag)) {
				continue
			}
			if strings.HasSuffix(tag, ":") {
				return tag
			}
			if j := i + len(tag); j == len(lower) || bytes.IndexByte([]byte(" \t\n\r\f>/"), lower[j]) >= 0 {
				return tag + ">"
			}
		}
	}
	return ""
}

// withExtension replaces the extension name was uploaded with (the last
// dot and up to 10 letters or digits after it) by the one of ct, keeping
// the name within MaxNameRunes.
func withExtension(name, ct string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 11 && len(name)-i > 1 &&
		!strings.ContainsFunc(name[i+1:], func(r rune) bool { return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))) }) {
		name = name[:i]
	}
	ext := extensions[ct]
	if r := []rune(name); len(r) > MaxNameRunes-len(ext) {
		name = string(r[:MaxNameRunes-len(ext)])
	}
	return strings.TrimRight(name, ". ") + ext
}

func mib(n int) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + "MB" }
