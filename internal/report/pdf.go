package report

import (
	"bytes"
	"compress/flate"
	_ "embed"
	"fmt"
	"image/color"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/boombuler/barcode/qr"
	"github.com/signintech/gopdf"
	"github.com/signintech/gopdf/fontmaker/core"
)

// The PDF: A4, Chinese set in Droid Sans Fallback and everything else in
// DejaVu Sans (both TrueType, embedded as subsets, so text extracts), a
// watermark with the report number on every page, 第 N 页 共 M 页 at the
// foot, a QR code to the verification page on the first.

//go:embed assets/DroidSansFallbackGBK.ttf
var cjkTTF []byte

//go:embed assets/DejaVuSans.ttf
var latinTTF []byte

const (
	fontCJK   = "cjk"
	fontLatin = "latin"
)

// face is a parsed font: which runes it has and how wide they are.
type face struct {
	chars  map[int]uint
	widths []uint
	upem   float64
}

func (f *face) has(r rune) bool { _, ok := f.chars[int(r)]; return ok }

// width of r at size (points).
func (f *face) width(r rune, size float64) float64 {
	g, ok := f.chars[int(r)]
	if !ok || int(g) >= len(f.widths) {
		return size / 2
	}
	return float64(f.widths[g]) * size / f.upem
}

var (
	fontsOnce  sync.Once
	fonts      *gopdf.FontContainer
	cjk, latin *face
	fontsErr   error
)

// loadFonts parses the two fonts once per process; documents take them
// from the container without parsing again.
func loadFonts() error {
	fontsOnce.Do(func() {
		fonts = &gopdf.FontContainer{}
		for _, f := range []struct {
			name string
			data []byte
			face **face
		}{{fontCJK, cjkTTF, &cjk}, {fontLatin, latinTTF, &latin}} {
			if fontsErr = fonts.AddTTFFontData(f.name, f.data); fontsErr != nil {
				return
			}
			var p core.TTFParser
			if fontsErr = p.ParseFontData(f.data); fontsErr != nil {
				return
			}
			*f.face = &face{chars: p.Chars(), widths: p.Widths(), upem: float64(p.UnitsPerEm())}
		}
	})
	return fontsErr
}

// Page geometry, in points.
const (
	pageW, pageH   = 595.28, 841.89
	marginX        = 54.0
	marginTop      = 64.0
	marginBottom   = 70.0
	contentW       = pageW - 2*marginX
	labelW         = 112.0
	cellPad        = 4.0
	bodySize       = 9.5
	bodyLine       = 14.0
	qrSize         = 78.0
	watermarkColor = 228
)

// doc lays a report out.
type doc struct {
	pdf *gopdf.GoPdf
	r   Report
	y   float64
	err error
}

// RenderPDF renders a report as PDF.
func RenderPDF(r Report) ([]byte, error) {
	if err := loadFonts(); err != nil {
		return nil, fmt.Errorf("report fonts: %w", err)
	}
	p := &gopdf.GoPdf{}
	p.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	p.SetCompressLevel(flate.BestSpeed)
	p.SetInfo(gopdf.PdfInfo{Title: r.Title + " " + r.Number, Producer: "xinyong", Creator: r.Site, CreationDate: r.Issued})
	for _, name := range []string{fontCJK, fontLatin} {
		if err := p.AddTTFFontFromFontContainer(name, fonts); err != nil {
			return nil, err
		}
	}
	d := &doc{pdf: p, r: r}
	d.newPage()
	d.head()
	d.summary()
	for _, s := range r.Sections {
		d.section(s)
	}
	d.notes()
	d.footers()
	if d.err != nil {
		return nil, d.err
	}
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (d *doc) check(err error) {
	if err != nil && d.err == nil {
		d.err = err
	}
}

// newPage starts a page: the watermark first, under everything else.
func (d *doc) newPage() {
	d.pdf.AddPage()
	d.watermark()
	d.pdf.SetTextColor(90, 90, 90)
	d.text(marginX, 34, 8.5, d.r.Site+"　"+d.r.Title)
	d.pdf.SetStrokeColor(160, 160, 160)
	d.pdf.SetLineWidth(0.5)
	d.pdf.Line(marginX, 48, pageW-marginX, 48)
	d.pdf.SetTextColor(0, 0, 0)
	d.y = marginTop
}

// watermark writes the report number across the page, light and tilted.
func (d *doc) watermark() {
	d.pdf.SetTextColor(watermarkColor, watermarkColor, watermarkColor)
	text := d.r.Number
	for row := range 4 {
		for col := range 2 {
			x, y := 170+float64(col)*240, 190+float64(row)*190
			d.pdf.Rotate(30, x, y)
			d.text(x-60, y, 20, text)
			d.pdf.RotateReset()
		}
	}
	d.pdf.SetTextColor(0, 0, 0)
}

// runs splits s into pieces set in one font each.
func runs(s string) []struct {
	font string
	text string
} {
	var out []struct{ font, text string }
	start, cur := 0, ""
	for i, r := range s {
		f := fontLatin
		if cjk.has(r) && (r >= 0x2E80 || !latin.has(r)) {
			f = fontCJK
		}
		if f != cur && i > start {
			out = append(out, struct{ font, text string }{cur, s[start:i]})
			start = i
		}
		cur = f
	}
	if start < len(s) {
		out = append(out, struct{ font, text string }{cur, s[start:]})
	}
	return out
}

// runeWidth is the width of r as set.
func runeWidth(r rune, size float64) float64 {
	if cjk.has(r) && (r >= 0x2E80 || !latin.has(r)) {
		return cjk.width(r, size)
	}
	return latin.width(r, size)
}

func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		w += runeWidth(r, size)
	}
	return w
}

// text writes s at (x, y: top of the line) in size, switching fonts per
// run.
func (d *doc) text(x, y, size float64, s string) {
	for _, run := range runs(s) {
		d.check(d.pdf.SetFont(run.font, "", size))
		d.pdf.SetXY(x, y)
		d.check(d.pdf.Cell(nil, run.text))
		x += textWidth(run.text, size)
	}
}

// wrap breaks s into lines no wider than w.
func wrap(s string, size, w float64) []string {
	var lines []string
	for len(s) > 0 {
		width, cut := 0.0, 0
		for i, r := range s {
			if r == '\n' {
				cut = i
				break
			}
			rw := runeWidth(r, size)
			if width+rw > w && i > 0 {
				cut = i
				break
			}
			width += rw
			cut = i + utf8.RuneLen(r)
		}
		lines = append(lines, s[:cut])
		s = s[cut:]
		if len(s) > 0 && s[0] == '\n' {
			s = s[1:]
		}
	}
	if len(lines) == 0 {
		lines = []string{""}
	}
	return lines
}

// ensure starts a new page unless h more points fit on this one.
func (d *doc) ensure(h float64) {
	if d.y+h > pageH-marginBottom {
		d.newPage()
	}
}

// rows draws label/value rows as a bordered table, breaking pages
// between rows.
func (d *doc) rows(fields []Field, x, w float64) {
	for _, f := range fields {
		lines := wrap(f.Value, bodySize, w-labelW-2*cellPad)
		labels := wrap(f.Label, bodySize, labelW-2*cellPad)
		n := max(len(lines), len(labels))
		h := float64(n)*bodyLine + 2*cellPad
		if h > pageH-marginTop-marginBottom { // a very long value: split it
			avail := pageH - marginTop - marginBottom - 2*cellPad
			per := int(avail / bodyLine)
			for i := 0; i < len(lines); i += per {
				part := lines[i:min(i+per, len(lines))]
				d.row(f.Label, part, x, w)
			}
			continue
		}
		d.row(f.Label, lines, x, w)
	}
}

func (d *doc) row(label string, lines []string, x, w float64) {
	labels := wrap(label, bodySize, labelW-2*cellPad)
	n := max(len(lines), len(labels))
	h := float64(n)*bodyLine + 2*cellPad
	d.ensure(h)
	d.pdf.SetFillColor(242, 242, 242)
	d.pdf.SetStrokeColor(170, 170, 170)
	d.pdf.SetLineWidth(0.5)
	d.pdf.RectFromUpperLeftWithStyle(x, d.y, labelW, h, "FD")
	d.pdf.RectFromUpperLeftWithStyle(x+labelW, d.y, w-labelW, h, "D")
	for i, l := range labels {
		d.text(x+cellPad, d.y+cellPad+float64(i)*bodyLine+1, bodySize, l)
	}
	for i, l := range lines {
		d.text(x+labelW+cellPad, d.y+cellPad+float64(i)*bodyLine+1, bodySize, l)
	}
	d.y += h
}

// head is the title block, the report head and the QR code.
func (d *doc) head() {
	r := d.r
	d.pdf.SetTextColor(0, 0, 0)
	w := textWidth(r.Title, 18)
	d.text((pageW-w)/2, d.y, 18, r.Title)
	d.y += 34
	top := d.y
	d.rows(r.Header, marginX, contentW-qrSize-14)
	if r.VerifyURL != "" {
		d.qr(pageW-marginX-qrSize, top, r.VerifyURL)
		cap := "扫码核验报告"
		d.text(pageW-marginX-qrSize+(qrSize-textWidth(cap, 8))/2, top+qrSize+3, 8, cap)
		d.y = max(d.y, top+qrSize+16)
	}
	d.y += 14
}

// qr draws the QR code of s at (x, y), size qrSize, module by module.
func (d *doc) qr(x, y float64, s string) {
	code, err := qr.Encode(s, qr.M, qr.Auto)
	if err != nil {
		d.check(err)
		return
	}
	n := code.Bounds().Dx()
	quiet := 2
	m := qrSize / float64(n+2*quiet)
	d.pdf.SetFillColor(0, 0, 0)
	for i := range n {
		for j := range n {
			if c := color.GrayModel.Convert(code.At(i, j)).(color.Gray); c.Y < 128 {
				d.pdf.RectFromUpperLeftWithStyle(x+float64(i+quiet)*m, y+float64(j+quiet)*m, m+0.05, m+0.05, "F")
			}
		}
	}
}

// heading writes a section heading.
func (d *doc) heading(s string) {
	d.ensure(40)
	d.y += 6
	d.text(marginX, d.y, 13, s)
	d.y += 19
	d.pdf.SetStrokeColor(120, 30, 30)
	d.pdf.SetLineWidth(1)
	d.pdf.Line(marginX, d.y, pageW-marginX, d.y)
	d.y += 7
}

// para writes a paragraph.
func (d *doc) para(s string, size float64) {
	for _, l := range wrap(s, size, contentW) {
		d.ensure(bodyLine)
		d.text(marginX, d.y, size, l)
		d.y += bodyLine
	}
}

// summary is 信用信息概要.
func (d *doc) summary() {
	d.heading("信用信息概要")
	var fields []Field
	for _, s := range d.r.Summary {
		fields = append(fields, Field{s.Section, count(s.Count)})
	}
	d.rows(fields, marginX, contentW)
	d.y += 8
}

func (d *doc) section(s Section) {
	d.heading(s.Heading())
	if s.Note != "" {
		d.para(s.Note, bodySize)
		d.y += 4
	}
	if len(s.Items) == 0 {
		d.para("无", bodySize)
		d.y += 6
		return
	}
	for i, it := range s.Items {
		if it.Title != "" {
			d.ensure(bodyLine*3 + 2*cellPad)
			d.text(marginX, d.y, 10.5, "（"+strconv.Itoa(i+1)+"）"+it.Title)
			d.y += bodyLine + 3
		}
		d.rows(it.Fields, marginX, contentW)
		d.y += 8
	}
}

// notes is 报告说明.
func (d *doc) notes() {
	d.heading("报告说明")
	for i, n := range d.r.Notes {
		d.para(strconv.Itoa(i+1)+"．"+n, bodySize)
		d.y += 3
	}
}

// footers writes 第 N 页 共 M 页 and the number on every page, once the
// number of pages is known.
func (d *doc) footers() {
	total := d.pdf.GetNumberOfPages()
	for i := 1; i <= total; i++ {
		d.check(d.pdf.SetPage(i))
		d.pdf.SetTextColor(60, 60, 60)
		d.pdf.SetStrokeColor(160, 160, 160)
		d.pdf.SetLineWidth(0.5)
		d.pdf.Line(marginX, pageH-52, pageW-marginX, pageH-52)
		page := "第 " + strconv.Itoa(i) + " 页 共 " + strconv.Itoa(total) + " 页"
		d.text((pageW-textWidth(page, 9))/2, pageH-44, 9, page)
		d.text(marginX, pageH-44, 8, "报告编号："+d.r.Number)
	}
}
