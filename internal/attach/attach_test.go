package attach

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// realPNG and realJPEG are small images that decode.
var realPNG, realJPEG = func() ([]byte, []byte) {
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for x := range 16 {
		for y := range 12 {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 20), 90, 255})
		}
	}
	var p, j bytes.Buffer
	png.Encode(&p, img)
	jpeg.Encode(&j, img, nil)
	return p.Bytes(), j.Bytes()
}()

// fakePNG has a PNG signature and nothing a decoder can read after it:
// what a sniffer alone accepted.
var fakePNG = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 100)...)

// pdfObjects are a minimal document: catalogue, page tree, one page.
var pdfObjects = []string{
	"<< /Type /Catalog /Pages 2 0 R >>",
	"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>",
}

// classicPDF writes objects (numbered from 1) with a classic
// cross-reference table; trailer is added to its dictionary.
func classicPDF(objects []string, trailer string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := writeObjects(&b, 1, objects)
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, trailer, xref)
	return b.Bytes()
}

func writeObjects(b *bytes.Buffer, first int, objects []string) []int {
	var offs []int
	for i, o := range objects {
		offs = append(offs, b.Len())
		fmt.Fprintf(b, "%d 0 obj\n%s\nendobj\n", first+i, o)
	}
	return offs
}

// update appends an incremental update to a classic PDF: the objects
// given by number, a table of them and a trailer pointing at the previous
// section.
func update(base []byte, objects map[int]string, size int) []byte {
	prev := bytes.LastIndex(base, []byte("startxref\n"))
	var prevOff int
	fmt.Sscanf(string(base[prev+len("startxref\n"):]), "%d", &prevOff)
	b := bytes.NewBuffer(append([]byte(nil), base...))
	xref := map[int]int{}
	var nums []int
	for n := 1; n <= size; n++ {
		if o, ok := objects[n]; ok {
			xref[n] = b.Len()
			fmt.Fprintf(b, "%d 0 obj\n%s\nendobj\n", n, o)
			nums = append(nums, n)
		}
	}
	at := b.Len()
	b.WriteString("xref\n")
	for _, n := range nums {
		fmt.Fprintf(b, "%d 1\n%010d 00000 n \n", n, xref[n])
	}
	fmt.Fprintf(b, "trailer\n<< /Size %d /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", size+1, prevOff, at)
	return b.Bytes()
}

// streamPDF writes objects with a cross-reference stream (PDF 1.5):
// widths 1 2 1, FlateDecode with the PNG Up predictor, as pdfTeX and
// most current writers do; the catalogue is object 1.
func streamPDF(objects []string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
	offs := writeObjects(&b, 1, objects)
	self := len(objects) + 1
	offs = append(offs, b.Len())
	rows := [][]byte{{0, 0, 0, 255}}
	for _, o := range offs {
		rows = append(rows, []byte{1, byte(o >> 8), byte(o), 0})
	}
	var raw bytes.Buffer
	prev := make([]byte, 4)
	for _, r := range rows {
		raw.WriteByte(2) // Up
		for i := range r {
			raw.WriteByte(r[i] - prev[i])
		}
		prev = r
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 2 1] /Root 1 0 R /Filter /FlateDecode /DecodeParms << /Columns 4 /Predictor 12 >> /Length %d >>\nstream\n",
		self, self+1, z.Len())
	b.Write(z.Bytes())
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", offs[len(offs)-1])
	return b.Bytes()
}

// pngWithSize is a PNG signature and an IHDR chunk declaring w×h (with a
// good CRC), then nothing: DecodeConfig reads it, decoding cannot.
func pngWithSize(w, h uint32) []byte {
	chunk := make([]byte, 17)
	copy(chunk, "IHDR")
	binary.BigEndian.PutUint32(chunk[4:], w)
	binary.BigEndian.PutUint32(chunk[8:], h)
	chunk[12], chunk[13] = 8, 2 // 8-bit RGB
	out := append([]byte("\x89PNG\r\n\x1a\n"), 0, 0, 0, 13)
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}

func TestCheck(t *testing.T) {
	pdf := classicPDF(pdfObjects, "")
	got, err := Check([]File{{"收据.pdf", pdf}, {"照片.jpg", realJPEG}, {"../../etc/凭证.png", realPNG}}, "证据材料")
	if err != nil || len(got) != 3 {
		t.Fatalf("Check = %v, %v", got, err)
	}
	for i, want := range []struct{ name, ct string }{{"收据.pdf", "application/pdf"}, {"照片.jpg", "image/jpeg"}, {"凭证.png", "image/png"}} {
		if got[i].Name != want.name || got[i].ContentType != want.ct || got[i].Size == 0 || len(got[i].SHA256) != 64 {
			t.Errorf("file %d = %+v, want %+v", i, got[i], want)
		}
	}
	if got, err := Check(nil, "证据材料"); err != nil || len(got) != 0 {
		t.Errorf("no files: %v, %v", got, err)
	}
	truncated := pdf[:len(pdf)-40]
	badXref := bytes.Replace(pdf, []byte("startxref\n"), []byte("startxref\n1"), 1)
	htmlInPDF := classicPDF(append([]string{pdfObjects[0], pdfObjects[1], pdfObjects[2]},
		"<< /Length 44 >>\nstream\n<html><script>alert(1)</script></html>\nendstream"), "")
	pngText := append(append([]byte(nil), realPNG[:33]...), pngChunk("tEXt", "Comment\x00<script>alert(1)</script>")...)
	pngText = append(pngText, realPNG[33:]...)
	for _, c := range []struct {
		files []File
		want  string
	}{
		{[]File{{"a.png", realPNG}, {"b.png", realPNG}, {"c.png", realPNG}, {"d.png", realPNG}, {"e.png", realPNG}, {"f.png", realPNG}}, "证据材料最多5个文件，现有6个"},
		{[]File{{"空.png", nil}}, "文件“空.png”是空文件"},
		{[]File{{"大.png", append(realPNG, make([]byte, MaxBytes)...)}}, "文件“大.png”大小为5.0MB，超过了每个文件5MB的上限"},
		{[]File{{"动图.png", []byte("GIF89a......")}}, "文件“动图.png”不是PDF、JPG或PNG格式（识别为image/gif）"},
		{[]File{{"页面.pdf", []byte("<html><script>alert(1)</script>")}}, "识别为text/html"},
		// A PDF header followed by a web page: the page is seen …
		{[]File{{"页面.pdf", []byte("%PDF-1.7\n<html><body><script>alert(1)</script></body></html>")}}, "文件“页面.pdf”的开头含有网页或脚本内容（<html>）"},
		// … and past the first kilobyte the structure does not parse.
		{[]File{{"页面.pdf", []byte("%PDF-1.7\n" + strings.Repeat("%\n", 600) + "<html><body><script>alert(1)</script></body></html>")}}, "不是完整有效的PDF文件"},
		{[]File{{"页面.pdf", []byte("%PDF-1.7\n" + strings.Repeat("x", 100))}}, "不是完整有效的PDF文件"},
		{[]File{{"截断.pdf", truncated}}, "文件“截断.pdf”不是完整有效的PDF文件"},
		{[]File{{"错位.pdf", badXref}}, "不是完整有效的PDF文件"},
		{[]File{{"脚本.pdf", htmlInPDF}}, "含有网页或脚本内容（<html>）"},
		{[]File{{"链接.pdf", classicPDF([]string{"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /URI /URI (JavaScript:alert(1)) >> >>", pdfObjects[1], pdfObjects[2]}, "")}}, "（javascript:）"},
		{[]File{{"假图.png", fakePNG}}, "文件“假图.png”不是完整有效的PNG图片"},
		{[]File{{"截断.png", realPNG[:len(realPNG)-20]}}, "不是完整有效的PNG图片"},
		{[]File{{"假图.jpg", append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{1}, 100)...)}}, "不是完整有效的JPG图片"},
		{[]File{{"截断.jpg", realJPEG[:len(realJPEG)/2]}}, "不是完整有效的JPG图片"},
		{[]File{{"巨图.png", pngWithSize(20000, 20000)}}, "图片尺寸为20000×20000像素，超过了5000万像素的上限"},
		{[]File{{"注释.png", pngText}}, "含有网页或脚本内容（<script>）"},
	} {
		if _, err := Check(c.files, "证据材料"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Check(%s…) = %v, want %q", c.files[0].Name, err, c.want)
		}
	}
}

func pngChunk(typ, data string) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ+data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE([]byte(typ+data)))
}

// TestCheckPDF: the structures writers produce pass; each way of being
// broken fails.
func TestCheckPDF(t *testing.T) {
	classic := classicPDF(pdfObjects, "")
	stream := streamPDF(pdfObjects)
	updated := update(classic, map[int]string{1: "<< /Type /Catalog /Pages 2 0 R /Lang (zh-CN) >>"}, 3)
	good := map[string][]byte{
		"classic":             classic,
		"xref stream":         stream,
		"incremental update":  updated,
		"CRLF line ends":      bytes.ReplaceAll(classic, []byte(" \n"), []byte("\r\n")),
		"trailing bytes":      append(append([]byte(nil), classic...), "\n\n\x00\x00"...),
		"catalogue in a dict": classicPDF([]string{"<< /Type /Catalog /Pages 2 0 R /Names << /Dests << /Kids [] >> >> /Title (a \\) b (c)) >>", pdfObjects[1], pdfObjects[2]}, "/Info 3 0 R "),
	}
	// Files of real writers (testdata/README): Chromium's print to PDF,
	// and the same rewritten by qpdf with object streams (the catalogue
	// in one), and linearized.
	for _, f := range []string{"chromium.pdf", "qpdf-objstm.pdf", "qpdf-linearized-objstm.pdf"} {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		good[f] = b
		if checkPDF(b[:len(b)-len(b)/3]) == nil {
			t.Errorf("%s cut short: accepted", f)
		}
	}
	for name, b := range good {
		if err := checkPDF(b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	xrefAt := bytes.LastIndex(classic, []byte("xref\n0 "))
	bad := map[string][]byte{
		"no header":          classic[9:],
		"no %%EOF":           bytes.Replace(classic, []byte("%%EOF"), []byte("%%EOX"), 1),
		"no startxref":       bytes.Replace(classic, []byte("startxref"), []byte("startxrex"), 1),
		"startxref past end": bytes.Replace(classic, []byte(fmt.Sprintf("startxref\n%d", xrefAt)), []byte("startxref\n999999"), 1),
		"startxref elsewhere": bytes.Replace(classic, []byte(fmt.Sprintf("startxref\n%d", xrefAt)),
			[]byte(fmt.Sprintf("startxref\n%d", xrefAt-7)), 1),
		"no trailer":         bytes.Replace(classic, []byte("trailer"), []byte("trailex"), 1),
		"no root":            bytes.Replace(classic, []byte("/Root 1 0 R"), []byte("/Info 1 0 R"), 1),
		"root not in xref":   bytes.Replace(classic, []byte("/Root 1 0 R"), []byte("/Root 7 0 R"), 1),
		"root not catalogue": bytes.Replace(classic, []byte("/Root 1 0 R"), []byte("/Root 2 0 R"), 1),
		"entry outside":      bytes.Replace(classic, []byte("0000000015 00000 n"), []byte("0009999999 00000 n"), 1),
		"root misplaced":     bytes.Replace(classic, []byte("0000000015 00000 n"), []byte("0000000016 00000 n"), 1),
		"truncated":          classic[:len(classic)-len("%%EOF\n")-3],
		"stream corrupt":     bytes.Replace(stream, []byte("stream\n\x78"), []byte("stream\n\x00"), 1),
		"stream too short":   bytes.Replace(stream, []byte("/Size 5"), []byte("/Size 9"), 1),
		"stream not xref":    bytes.Replace(stream, []byte("/Type /XRef"), []byte("/Type /XObj"), 1),
		"stream bad length":  bytes.Replace(stream, []byte("/Length "), []byte("/Length 1"), 1),
		"prev loops":         bytes.Replace(updated, []byte(fmt.Sprintf("/Prev %d", xrefAt)), []byte(fmt.Sprintf("/Prev %d", bytes.LastIndex(updated, []byte("xref\n1 1")))), 1),
		"prev outside":       bytes.Replace(updated, []byte(fmt.Sprintf("/Prev %d", xrefAt)), []byte("/Prev 99999999"), 1),
		"html after header":  []byte("%PDF-1.4\n<html><body>x</body></html>\n%%EOF\n"),
		"deep nesting":       classicPDF([]string{"<< /Type /Catalog /A " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + " >>", pdfObjects[1], pdfObjects[2]}, ""),
	}
	if !bytes.Contains(classic, []byte("0000000015 00000 n")) {
		t.Fatal("the test's PDF has moved: object 1 is not at 15")
	}
	for name, b := range bad {
		if err := checkPDF(b); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func TestStoredName(t *testing.T) {
	pdf := classicPDF(pdfObjects, "")
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"页面.html", pdf, "页面.pdf"},
		{"照片", realJPEG, "照片.jpg"},
		{"scan.PNG", realJPEG, "scan.jpg"},
		{"收据.pdf", realPNG, "收据.png"},
		{"收据.pdf.exe", pdf, "收据.pdf.pdf"},
		{"报告.2024年", pdf, "报告.2024年.pdf"},
		{"  ", realPNG, "证据材料1.png"},
		{".htaccess", realPNG, ".htaccess.png"},
		{"a.", pdf, "a.pdf"},
		{strings.Repeat("长", 300) + ".pdf", pdf, strings.Repeat("长", MaxNameRunes-4) + ".pdf"},
	} {
		got, err := Check([]File{{c.name, c.data}}, "证据材料")
		if err != nil || got[0].Name != c.want {
			t.Errorf("%q: %v, %v; want %q", c.name, got, err, c.want)
		}
	}
}

func TestMarkup(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"<!DOCTYPE html><p>", "<!doctype html>"},
		{"x<HTML>", "<html>"},
		{"<body\nonload=x>", "<body>"},
		{"<svg/onload=alert(1)>", "<svg>"},
		{"<ScRiPt src=x>", "<script>"},
		{"href=javascript:alert(1)", "javascript:"},
		{"<<\n/Type /Catalog\n>>", ""},
		{"<htmlx>", ""},        // not a tag
		{"<a href=x>", ""},     // one-letter tags are left out
		{"<body", "<body>"},    // at the end
		{"\x00<b>\x7f<p ", ""}, // chance bytes in a JPEG's tables
	} {
		if got := markup([]byte(c.in)); got != c.want {
			t.Errorf("markup(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"收据.png", "收据.png"},
		{`C:\Users\张三\收据.png`, "收据.png"},
		{"a\x00b\nc.png", "abc.png"},
		{"  ", "证据材料2"},
		{strings.Repeat("长", 300), strings.Repeat("长", MaxNameRunes)},
	} {
		if got := Name(c.in, 1, "证据材料"); got != c.want {
			t.Errorf("Name(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzCheckPDF(f *testing.F) {
	f.Add(classicPDF(pdfObjects, ""))
	f.Add(streamPDF(pdfObjects))
	f.Add(update(classicPDF(pdfObjects, ""), map[int]string{1: "<< /Type /Catalog /Pages 2 0 R >>"}, 3))
	f.Add([]byte("%PDF-1.7\n<html>\n%%EOF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkPDF(b) // must not panic, loop or allocate without bound
	})
}

func BenchmarkCheckPDF(b *testing.B) {
	objects := append([]string(nil), pdfObjects...)
	for i := range 5000 {
		objects = append(objects, fmt.Sprintf("<< /Type /Annot /Subtype /Text /Rect [%d 0 10 10] /Contents (note %d) >>", i, i))
	}
	pdf := classicPDF(objects, "")
	b.SetBytes(int64(len(pdf)))
	for b.Loop() {
		if err := checkPDF(pdf); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCheckPDFBounded: a small file that claims millions of objects is
// refused without holding them.
func TestCheckPDFBounded(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("%PDF-1.5\n")
	rows := bytes.Repeat([]byte{1, 0, 20, 0}, maxObjects+10)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(rows)
	zw.Close()
	at := b.Len()
	fmt.Fprintf(&b, "1 0 obj\n<< /Type /XRef /Size %d /W [1 2 1] /Root 1 0 R /Filter /FlateDecode /Length %d >>\nstream\n", maxObjects+10, z.Len())
	b.Write(z.Bytes())
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", at)
	if err := checkPDF(b.Bytes()); err == nil || !strings.Contains(err.Error(), "more cross-reference entries") {
		t.Errorf("checkPDF = %v", err)
	}
	if b.Len() > 100_000 {
		t.Errorf("the test file is %d bytes", b.Len())
	}
}
