package web

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Charts are drawn on the server as inline SVG: no script, no CDN, nothing
// fetched (the CSP allows none), printable, and readable without colour
// (each line has its own marker and the figures are in a table beside).

// chartSeries is one line of a chart: a value per x label, NaN for none.
type chartSeries struct {
	Name   string
	Values []float64
}

// chartPalette are the lines' colours and markers, in order.
var chartPalette = []struct{ color, marker string }{
	{"#1f5fa8", "circle"}, {"#c0392b", "square"}, {"#2e8b57", "diamond"}, {"#8e44ad", "triangle"},
	{"#d35400", "circle"}, {"#555555", "square"},
}

// lineChart draws series over x labels between yMin and yMax, with a
// title (the chart's accessible name) and a legend; axis writes a value on
// the y axis and in the points' tips (nil: the number itself).
func lineChart(title string, labels []string, series []chartSeries, yMin, yMax float64, axis func(float64) string) template.HTML {
	if axis == nil {
		axis = trimFloat
	}
	const (
		w, h                   = 720.0, 300.0
		left, right, top, bott = 48.0, 16.0, 16.0, 64.0
	)
	if yMax <= yMin {
		yMax = yMin + 1
	}
	pw, ph := w-left-right, h-top-bott
	x := func(i int) float64 {
		if len(labels) <= 1 {
			return left + pw/2
		}
		return left + pw*float64(i)/float64(len(labels)-1)
	}
	y := func(v float64) float64 { return top + ph*(1-(v-yMin)/(yMax-yMin)) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" role="img" aria-labelledby="%s">`, w, h+18*float64(len(series)), chartID(title))
	fmt.Fprintf(&b, `<title id="%s">%s</title>`, chartID(title), html.EscapeString(title))
	// Grid and y axis: five steps.
	for i := 0; i <= 4; i++ {
		v := yMin + (yMax-yMin)*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#dddddd" stroke-width="1"/>`, left, y(v), w-right, y(v))
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" font-size="12" text-anchor="end" fill="#333333">%s</text>`, left-6, y(v)+4, axis(v))
	}
	for i, l := range labels {
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" font-size="11" text-anchor="end" fill="#333333" transform="rotate(-40 %.1f %g)">%s</text>`,
			x(i), top+ph+16, x(i), top+ph+16, html.EscapeString(l))
	}
	for si, s := range series {
		p := chartPalette[si%len(chartPalette)]
		var pts []string
		flush := func() {
			if len(pts) > 1 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, p.color, strings.Join(pts, " "))
			}
			pts = pts[:0]
		}
		for i, v := range s.Values {
			if i >= len(labels) || math.IsNaN(v) {
				flush()
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
		}
		flush()
		for i, v := range s.Values {
			if i < len(labels) && !math.IsNaN(v) {
				b.WriteString(marker(p.marker, p.color, x(i), y(v), s.Name+" "+labels[i]+"："+axis(v)))
			}
		}
		ly := h + 18*float64(si)
		b.WriteString(marker(p.marker, p.color, left+6, ly-4, ""))
		fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="12" fill="#333333">%s</text>`, left+16, ly, html.EscapeString(s.Name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func marker(kind, color string, x, y float64, tip string) string {
	t := ""
	if tip != "" {
		t = "<title>" + html.EscapeString(tip) + "</title>"
	}
	switch kind {
	case "square":
		return fmt.Sprintf(`<rect x="%.1f" y="%.1f" width="7" height="7" fill="%s">%s</rect>`, x-3.5, y-3.5, color, t)
	case "diamond":
		return fmt.Sprintf(`<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s">%s</polygon>`, x, y-5, x+5, y, x, y+5, x-5, y, color, t)
	case "triangle":
		return fmt.Sprintf(`<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s">%s</polygon>`, x, y-5, x+5, y+4, x-5, y+4, color, t)
	}
	return fmt.Sprintf(`<circle cx="%.1f" cy="%.1f" r="4" fill="%s">%s</circle>`, x, y, color, t)
}

func chartID(title string) string {
	h := uint32(2166136261)
	for i := 0; i < len(title); i++ {
		h = (h ^ uint32(title[i])) * 16777619
	}
	return fmt.Sprintf("chart-%08x", h)
}

func trimFloat(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// percent writes a share in [0, 1] as a whole percentage.
func percent(v float64) string { return strconv.Itoa(int(math.Round(v*100))) + "%" }
