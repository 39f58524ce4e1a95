package attach

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// checkPDF checks that b is structurally a PDF a reader can open, without
// interpreting its content: the header (%PDF-x.y at the start), %%EOF in
// the last 1024 bytes, startxref pointing at a cross-reference section —
// a classic table followed by its trailer, or a cross-reference stream
// (PDF 1.5) that decompresses — the chain of earlier sections (/Prev),
// and the document catalogue (the trailer's /Root) found where the
// cross-reference puts it. Every in-use entry must lie inside the file.
// A file with a PDF header and anything else after it (an HTML page, a
// script, a truncated upload) fails here.
//
// The error is English, for logs and tests; Check gives the user a
// Chinese message.
func checkPDF(b []byte) error {
	if len(b) < 8 || !bytes.HasPrefix(b, []byte("%PDF-")) || !isDigit(b[5]) || b[6] != '.' || !isDigit(b[7]) {
		return errors.New("no %PDF-x.y header")
	}
	tail := max(0, len(b)-1024)
	eof := bytes.LastIndex(b[tail:], []byte("%%EOF"))
	if eof < 0 {
		return errors.New("no %%EOF in the last 1024 bytes")
	}
	eof += tail
	sx := bytes.LastIndex(b[max(0, eof-1024):eof], []byte("startxref"))
	if sx < 0 {
		return errors.New("no startxref before %%EOF")
	}
	p := &pdfParser{b: b, i: max(0, eof-1024) + sx + len("startxref")}
	off, ok := p.integer()
	if !ok || off <= 0 || off >= int64(len(b)) {
		return errors.New("startxref offset missing or outside the file")
	}
	x := xrefTable{entries: map[int64]xrefEntry{}}
	var root pdfValue
	seen := map[int64]bool{}
	for n := 0; off != 0; n++ {
		if n == maxSections || seen[off] {
			return errors.New("cross-reference sections loop or are too many")
		}
		seen[off] = true
		trailer, err := x.readSection(b, off)
		if err != nil {
			return fmt.Errorf("cross-reference section at %d: %w", off, err)
		}
		if n == 0 {
			root = trailer.dict["Root"]
			if root.kind != kindRef {
				return errors.New("the trailer has no /Root reference")
			}
		}
		off = 0
		if prev, ok := trailer.dict["Prev"]; ok {
			if prev.kind != kindInt || prev.num <= 0 || prev.num >= int64(len(b)) {
				return errors.New("/Prev outside the file")
			}
			off = prev.num
		}
	}
	for num, e := range x.entries {
		if e.kind == 1 && (e.off <= 0 || e.off >= int64(len(b))) {
			return fmt.Errorf("object %d at offset %d, outside the file", num, e.off)
		}
	}
	return x.checkRoot(b, root.num, root.gen)
}

// maxSections bounds the /Prev chain (incremental updates).
const maxSections = 256

// maxXRefBytes bounds a decompressed cross-reference stream, and
// maxObjects the entries of all sections: a 5 MiB document has tens of
// thousands of objects, and a file that claims more is refused before it
// costs more than a few megabytes to check.
const (
	maxXRefBytes = 8 << 20
	maxObjects   = 250_000
)

var errTooMany = errors.New("more cross-reference entries than a document of this size can have")

type xrefEntry struct {
	kind int   // 0 free, 1 at an offset, 2 in an object stream
	off  int64 // kind 1: byte offset; kind 2: the object stream's number
	gen  int64 // kind 1: generation
}

// xrefTable collects the entries of every section, the newest first: an
// object already known keeps its newest entry.
type xrefTable struct{ entries map[int64]xrefEntry }

func (x *xrefTable) add(num int64, e xrefEntry) error {
	if _, ok := x.entries[num]; !ok {
		if len(x.entries) == maxObjects {
			return errTooMany
		}
		x.entries[num] = e
	}
	return nil
}

// readSection reads the cross-reference section at off and returns its
// trailer (a classic table's, or the stream's dictionary).
func (x *xrefTable) readSection(b []byte, off int64) (pdfValue, error) {
	p := &pdfParser{b: b, i: int(off)}
	p.skipSpace()
	if p.keyword("xref") {
		return x.readTable(p)
	}
	return x.readStream(p)
}

// readTable reads a classic table: subsections "first count" of entries
// "offset generation n|f", then "trailer" and its dictionary. A hybrid
// file's /XRefStm is read as part of the section.
func (x *xrefTable) readTable(p *pdfParser) (pdfValue, error) {
	for {
		p.skipSpace()
		if p.keyword("trailer") {
			break
		}
		first, ok1 := p.integer()
		count, ok2 := p.integer()
		if !ok1 || !ok2 || first < 0 || count < 0 || count > int64(len(p.b)/18) {
			return pdfValue{}, errors.New("bad subsection header")
		}
		for k := int64(0); k < count; k++ {
			o, ok1 := p.integer()
			g, ok2 := p.integer()
			p.skipSpace()
			if !ok1 || !ok2 || p.i >= len(p.b) || p.b[p.i] != 'n' && p.b[p.i] != 'f' {
				return pdfValue{}, fmt.Errorf("bad entry for object %d", first+k)
			}
			e := xrefEntry{off: o, gen: g}
			if p.b[p.i] == 'n' {
				e.kind = 1
			}
			p.i++
			if err := x.add(first+k, e); err != nil {
				return pdfValue{}, err
			}
		}
	}
	trailer, err := p.object(0)
	if err != nil || trailer.kind != kindDict {
		return pdfValue{}, errors.New("the trailer is not a dictionary")
	}
	if stm, ok := trailer.dict["XRefStm"]; ok {
		if stm.kind != kindInt || stm.num <= 0 || stm.num >= int64(len(p.b)) {
			return pdfValue{}, errors.New("/XRefStm outside the file")
		}
		if _, err := x.readStream(&pdfParser{b: p.b, i: int(stm.num)}); err != nil {
			return pdfValue{}, fmt.Errorf("/XRefStm: %w", err)
		}
	}
	return trailer, nil
}

// readStream reads a cross-reference stream object: "n g obj", its
// dictionary (/Type /XRef, /Size, /W, optional /Index), the stream
// decompressed (FlateDecode, with or without a PNG predictor) and its
// entries.
func (x *xrefTable) readStream(p *pdfParser) (pdfValue, error) {
	d, data, err := p.streamObject()
	if err != nil {
		return pdfValue{}, err
	}
	if t := d.dict["Type"]; t.kind != kindName || t.name != "XRef" {
		return pdfValue{}, errors.New("not a cross-reference table or stream")
	}
	size := d.dict["Size"]
	w := d.dict["W"]
	if size.kind != kindInt || size.num < 0 || w.kind != kindArray || len(w.arr) != 3 {
		return pdfValue{}, errors.New("cross-reference stream without /Size or /W")
	}
	var widths [3]int
	row := 0
	for k, v := range w.arr {
		if v.kind != kindInt || v.num < 0 || v.num > 8 {
			return pdfValue{}, errors.New("bad /W")
		}
		widths[k] = int(v.num)
		row += widths[k]
	}
	if row == 0 {
		return pdfValue{}, errors.New("bad /W")
	}
	index := []int64{0, size.num}
	if ix, ok := d.dict["Index"]; ok {
		if ix.kind != kindArray || len(ix.arr)%2 != 0 {
			return pdfValue{}, errors.New("bad /Index")
		}
		index = index[:0]
		for _, v := range ix.arr {
			if v.kind != kindInt || v.num < 0 {
				return pdfValue{}, errors.New("bad /Index")
			}
			index = append(index, v.num)
		}
	}
	data, err = decodeStream(d, data, row)
	if err != nil {
		return pdfValue{}, err
	}
	for k := 0; k < len(index); k += 2 {
		for n := int64(0); n < index[k+1]; n++ {
			if len(data) < row {
				return pdfValue{}, errors.New("cross-reference stream shorter than its /Index")
			}
			f := [3]int64{1, 0, 0} // the type defaults to 1 when its width is 0
			at := 0
			for j, wd := range widths {
				if wd == 0 {
					continue
				}
				var v int64
				for _, c := range data[at : at+wd] {
					v = v<<8 | int64(c)
				}
				f[j] = v
				at += wd
			}
			data = data[row:]
			var err error
			switch f[0] {
			case 0:
				err = x.add(index[k]+n, xrefEntry{kind: 0})
			case 1:
				err = x.add(index[k]+n, xrefEntry{kind: 1, off: f[1], gen: f[2]})
			case 2:
				err = x.add(index[k]+n, xrefEntry{kind: 2, off: f[1]})
			}
			// Other types are to be ignored (PDF 32000-1 7.5.8.3).
			if err != nil {
				return pdfValue{}, err
			}
		}
	}
	return d, nil
}

// decodeStream undoes a stream's filter: none or FlateDecode, with a PNG
// predictor (/Predictor 10-15) over rows of columns bytes.
func decodeStream(d pdfValue, data []byte, columns int) ([]byte, error) {
	filter := d.dict["Filter"]
	if filter.kind == kindArray && len(filter.arr) == 1 {
		filter = filter.arr[0]
	}
	switch {
	case filter.kind == kindNone:
		return data, nil
	case filter.kind != kindName || filter.name != "FlateDecode":
		return nil, errors.New("cross-reference stream with an unsupported filter")
	}
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("cross-reference stream: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxXRefBytes+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) || len(out) > maxXRefBytes {
		return nil, errors.New("cross-reference stream does not decompress")
	}
	parms := d.dict["DecodeParms"]
	if parms.kind == kindArray && len(parms.arr) == 1 {
		parms = parms.arr[0]
	}
	pred := parms.dict["Predictor"]
	if parms.kind != kindDict || pred.kind != kindInt || pred.num == 1 {
		return out, nil
	}
	if pred.num < 10 {
		return nil, errors.New("cross-reference stream with an unsupported predictor")
	}
	if c := parms.dict["Columns"]; c.kind == kindInt {
		columns = int(c.num)
	}
	if columns <= 0 || columns > 64 {
		return nil, errors.New("bad predictor /Columns")
	}
	return unpredictPNG(out, columns)
}

// unpredictPNG reverses the PNG row filters of one-byte samples: each row
// is a filter type byte and columns bytes.
func unpredictPNG(in []byte, columns int) ([]byte, error) {
	stride := columns + 1
	if len(in)%stride != 0 {
		return nil, errors.New("predicted rows of the wrong length")
	}
	out := make([]byte, 0, len(in)/stride*columns)
	prev := make([]byte, columns)
	for r := 0; r < len(in); r += stride {
		cur := in[r+1 : r+stride]
		row := make([]byte, columns)
		for i, c := range cur {
			var left, up, upLeft byte
			if i > 0 {
				left, upLeft = row[i-1], prev[i-1]
			}
			up = prev[i]
			switch in[r] {
			case 0:
				row[i] = c
			case 1:
				row[i] = c + left
			case 2:
				row[i] = c + up
			case 3:
				row[i] = c + byte((int(left)+int(up))/2)
			case 4:
				row[i] = c + paeth(left, up, upLeft)
			default:
				return nil, errors.New("unknown PNG row filter")
			}
		}
		out = append(out, row...)
		prev = row
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// checkRoot checks that the catalogue, object num, is where the
// cross-reference puts it: a dictionary of /Type /Catalog at its offset,
// or inside an object stream that is itself at its offset.
func (x *xrefTable) checkRoot(b []byte, num, gen int64) error {
	e, ok := x.entries[num]
	switch {
	case !ok || e.kind == 0:
		return fmt.Errorf("the catalogue (object %d) is not in the cross-reference", num)
	case e.kind == 2:
		stm, ok := x.entries[e.off]
		if !ok || stm.kind != 1 {
			return fmt.Errorf("the object stream %d of the catalogue is not in the cross-reference", e.off)
		}
		d, err := objectAt(b, stm.off, e.off, stm.gen)
		if err != nil {
			return err
		}
		if t := d.dict["Type"]; t.kind != kindName || t.name != "ObjStm" {
			return fmt.Errorf("object %d is not an object stream", e.off)
		}
		return nil
	}
	d, err := objectAt(b, e.off, num, gen)
	if err != nil {
		return err
	}
	if t, ok := d.dict["Type"]; ok && (t.kind != kindName || t.name != "Catalog") {
		return fmt.Errorf("object %d is not the catalogue", num)
	}
	return nil
}

// objectAt reads "num gen obj" and a dictionary at off.
func objectAt(b []byte, off, num, gen int64) (pdfValue, error) {
	p := &pdfParser{b: b, i: int(off)}
	n, ok1 := p.integer()
	g, ok2 := p.integer()
	p.skipSpace()
	if !ok1 || !ok2 || n != num || g != gen || !p.keyword("obj") {
		return pdfValue{}, fmt.Errorf("object %d is not at offset %d", num, off)
	}
	d, err := p.object(0)
	if err != nil || d.kind != kindDict {
		return pdfValue{}, fmt.Errorf("object %d is not a dictionary", num)
	}
	return d, nil
}

// ---- a small PDF object parser (PDF 32000-1 7.2, 7.3): enough for
// dictionaries, arrays, numbers, names, strings and references.

type valueKind int

const (
	kindNone valueKind = iota
	kindInt
	kindReal
	kindName
	kindString
	kindDict
	kindArray
	kindRef
	kindKeyword
)

type pdfValue struct {
	kind     valueKind
	num, gen int64  // kindInt (num), kindRef
	name     string // kindName, kindKeyword
	dict     map[string]pdfValue
	arr      []pdfValue
}

type pdfParser struct {
	b []byte
	i int
}

// maxDepth bounds nested arrays and dictionaries.
const maxDepth = 32

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSpace(c byte) bool {
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func isDelim(c byte) bool { return bytes.IndexByte([]byte("()<>[]{}/%"), c) >= 0 }

func isRegular(c byte) bool { return !isSpace(c) && !isDelim(c) }

// skipSpace skips white space and comments.
func (p *pdfParser) skipSpace() {
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case isSpace(c):
			p.i++
		case c == '%':
			for p.i < len(p.b) && p.b[p.i] != '\n' && p.b[p.i] != '\r' {
				p.i++
			}
		default:
			return
		}
	}
}

// keyword consumes the keyword kw when it is next (followed by a
// delimiter, white space or the end).
func (p *pdfParser) keyword(kw string) bool {
	if !bytes.HasPrefix(p.b[p.i:], []byte(kw)) {
		return false
	}
	if j := p.i + len(kw); j < len(p.b) && isRegular(p.b[j]) {
		return false
	}
	p.i += len(kw)
	return true
}

// integer reads a non-negative integer after white space.
func (p *pdfParser) integer() (int64, bool) {
	p.skipSpace()
	j := p.i
	for j < len(p.b) && isDigit(p.b[j]) && j-p.i < 18 {
		j++
	}
	if j == p.i || j < len(p.b) && isRegular(p.b[j]) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(p.b[p.i:j]), 10, 64)
	if err != nil {
		return 0, false
	}
	p.i = j
	return n, true
}

var errSyntax = errors.New("PDF syntax error")

// object reads one object; "n g R" is a reference.
func (p *pdfParser) object(depth int) (pdfValue, error) {
	if depth > maxDepth {
		return pdfValue{}, errSyntax
	}
	p.skipSpace()
	if p.i >= len(p.b) {
		return pdfValue{}, errSyntax
	}
	switch c := p.b[p.i]; {
	case c == '/':
		p.i++
		j := p.i
		for p.i < len(p.b) && isRegular(p.b[p.i]) {
			p.i++
		}
		return pdfValue{kind: kindName, name: string(p.b[j:p.i])}, nil
	case c == '<' && p.i+1 < len(p.b) && p.b[p.i+1] == '<':
		p.i += 2
		d := pdfValue{kind: kindDict, dict: map[string]pdfValue{}}
		for {
			p.skipSpace()
			if bytes.HasPrefix(p.b[p.i:], []byte(">>")) {
				p.i += 2
				return d, nil
			}
			k, err := p.object(depth + 1)
			if err != nil || k.kind != kindName {
				return pdfValue{}, errSyntax
			}
			v, err := p.object(depth + 1)
			if err != nil {
				return pdfValue{}, err
			}
			d.dict[k.name] = v
		}
	case c == '<':
		j := bytes.IndexByte(p.b[p.i:], '>')
		if j < 0 {
			return pdfValue{}, errSyntax
		}
		p.i += j + 1
		return pdfValue{kind: kindString}, nil
	case c == '(':
		depthStr := 0
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case '\\':
				p.i++
			case '(':
				depthStr++
			case ')':
				depthStr--
				if depthStr == 0 {
					p.i++
					return pdfValue{kind: kindString}, nil
				}
			}
			p.i++
		}
		return pdfValue{}, errSyntax
	case c == '[':
		p.i++
		a := pdfValue{kind: kindArray}
		for {
			p.skipSpace()
			if p.i < len(p.b) && p.b[p.i] == ']' {
				p.i++
				return a, nil
			}
			v, err := p.object(depth + 1)
			if err != nil {
				return pdfValue{}, err
			}
			a.arr = append(a.arr, v)
		}
	case isDigit(c) || c == '+' || c == '-' || c == '.':
		j := p.i
		p.i++
		for p.i < len(p.b) && (isDigit(p.b[p.i]) || p.b[p.i] == '.') {
			p.i++
		}
		n, err := strconv.ParseInt(string(p.b[j:p.i]), 10, 64)
		if err != nil {
			return pdfValue{kind: kindReal}, nil
		}
		// n g R?
		save := p.i
		if g, ok := p.integer(); ok {
			p.skipSpace()
			if p.keyword("R") {
				return pdfValue{kind: kindRef, num: n, gen: g}, nil
			}
		}
		p.i = save
		return pdfValue{kind: kindInt, num: n}, nil
	case isRegular(c):
		j := p.i
		for p.i < len(p.b) && isRegular(p.b[p.i]) {
			p.i++
		}
		return pdfValue{kind: kindKeyword, name: string(p.b[j:p.i])}, nil
	}
	return pdfValue{}, errSyntax
}

// streamObject reads "n g obj", a stream's dictionary and its data:
// "stream", an end of line, /Length bytes (a direct integer, as a
// cross-reference stream's must be), then "endstream".
func (p *pdfParser) streamObject() (pdfValue, []byte, error) {
	_, ok1 := p.integer()
	_, ok2 := p.integer()
	p.skipSpace()
	if !ok1 || !ok2 || !p.keyword("obj") {
		return pdfValue{}, nil, errors.New("not a cross-reference table or stream")
	}
	d, err := p.object(0)
	if err != nil || d.kind != kindDict {
		return pdfValue{}, nil, errors.New("the stream's dictionary does not parse")
	}
	p.skipSpace()
	if !p.keyword("stream") {
		return pdfValue{}, nil, errors.New("no stream after the dictionary")
	}
	switch {
	case bytes.HasPrefix(p.b[p.i:], []byte("\r\n")):
		p.i += 2
	case p.i < len(p.b) && (p.b[p.i] == '\n' || p.b[p.i] == '\r'):
		p.i++
	}
	length := d.dict["Length"]
	if length.kind != kindInt || length.num < 0 || length.num > int64(len(p.b)-p.i) {
		return pdfValue{}, nil, errors.New("the stream's /Length is missing or too long")
	}
	data := p.b[p.i : p.i+int(length.num)]
	p.i += int(length.num)
	p.skipSpace()
	if !p.keyword("endstream") {
		return pdfValue{}, nil, errors.New("no endstream after /Length bytes")
	}
	return d, data, nil
}
