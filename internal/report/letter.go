package report

import (
	"bytes"
	"compress/flate"
	"fmt"
	"strconv"
	"time"

	"github.com/signintech/gopdf"
)

// Letter is a formal letter (公函) laid out like a report — the same
// fonts, page, watermark and page numbers — without a report's summary,
// notes or QR code: the reply to a hiring check (package hiring).
type Letter struct {
	Number     string // 文号, also the watermark and the foot
	Title      string
	Site       string
	Issued     time.Time
	To         string   // the addressee, followed by ：
	Paragraphs []string // before the items
	Items      []Item   // one bordered table each
	After      []string // paragraphs after the items
	From       string   // the sender, at the foot, right-aligned
	Date       string   // under the sender
}

// RenderLetter renders a letter as PDF.
func RenderLetter(l Letter) ([]byte, error) {
	if err := loadFonts(); err != nil {
		return nil, fmt.Errorf("letter fonts: %w", err)
	}
	p := &gopdf.GoPdf{}
	p.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	p.SetCompressLevel(flate.BestSpeed)
	p.SetInfo(gopdf.PdfInfo{Title: l.Title + " " + l.Number, Producer: "xinyong", Creator: l.Site, CreationDate: l.Issued})
	for _, name := range []string{fontCJK, fontLatin} {
		if err := p.AddTTFFontFromFontContainer(name, fonts); err != nil {
			return nil, err
		}
	}
	d := &doc{pdf: p, r: Report{Number: l.Number, Title: l.Title, Site: l.Site}}
	d.newPage()
	d.text((pageW-textWidth(l.Number, 10.5))/2, d.y, 10.5, l.Number)
	d.y += 22
	for _, line := range wrap(l.Title, 16, contentW) {
		d.text((pageW-textWidth(line, 16))/2, d.y, 16, line)
		d.y += 24
	}
	d.y += 8
	if l.To != "" {
		d.para(l.To+"：", 10.5)
		d.y += 4
	}
	for _, s := range l.Paragraphs {
		d.para("　　"+s, 10.5)
		d.y += 4
	}
	for i, it := range l.Items {
		d.ensure(bodyLine*3 + 2*cellPad)
		d.text(marginX, d.y, 10.5, "（"+strconv.Itoa(i+1)+"）"+it.Title)
		d.y += bodyLine + 3
		d.rows(it.Fields, marginX, contentW)
		d.y += 8
	}
	for _, s := range l.After {
		d.para("　　"+s, 10.5)
		d.y += 4
	}
	d.ensure(3 * bodyLine)
	d.y += 2 * bodyLine
	for _, s := range []string{l.From, l.Date} {
		d.text(pageW-marginX-textWidth(s, 10.5), d.y, 10.5, s)
		d.y += bodyLine + 4
	}
	total := d.pdf.GetNumberOfPages()
	for i := 1; i <= total; i++ {
		d.check(d.pdf.SetPage(i))
		d.pdf.SetTextColor(60, 60, 60)
		page := "第 " + strconv.Itoa(i) + " 页 共 " + strconv.Itoa(total) + " 页"
		d.text((pageW-textWidth(page, 9))/2, pageH-44, 9, page)
		d.text(marginX, pageH-44, 8, l.Number)
	}
	if d.err != nil {
		return nil, d.err
	}
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
