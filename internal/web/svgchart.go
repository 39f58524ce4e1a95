package web

import (
	"fmt"
	"html/template"
	"strings"
)

// Charts are drawn on the server as inline SVG: no script, no network,
// nothing the content security policy refuses (presentation attributes,
// no style attributes), readable without colour (each series has its own
// dash pattern and a legend).

// chartSeries is one line: a value in [0, 1] per label, or a gap (nil).
type chartSeries struct {
	Name   string
	Values []*float64
}

// chartStyles are the series' strokes, by position.
var chartStyles = []struct{ color, dash string }{
	{"#1f5fa8", ""}, {"#c0392b", "6 3"}, {"#2e8b57", "2 3"}, {"#7d3c98", "8 3 2 3"},
}

// lineChart draws percentages over labels (months): a 0–100 % axis with
// grid lines, a polyline per series (broken where a value is missing),
// a dot and its value at each point, and a legend. title is the chart's
// accessible name.
func lineChart(title string, labels []string, series []chartSeries) template.HTML {
	const (
		w, h                     = 720, 280
		left, right, top, bottom = 48, 16, 16, 64
	)
	pw, ph := float64(w-left-right), float64(h-top-bottom)
	x := func(i int) float64 {
		if len(labels) == 1 {
			return float64(left) + pw/2
		}
		return float64(left) + pw*float64(i)/float64(len(labels)-1)
	}
	y := func(v float64) float64 { return float64(top) + ph*(1-v) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		w, h, w, h, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, template.HTMLEscapeString(title))
	for _, g := range []float64{0, 0.25, 0.5, 0.75, 1} {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd" stroke-width="1"/>`, left, y(g), w-right, y(g))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#555">%d%%</text>`, left-6, y(g)+4, int(g*100))
	}
	for i, l := range labels {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#555">%s</text>`, x(i), h-bottom+16, template.HTMLEscapeString(l))
	}
	for si, s := range series {
		st := chartStyles[si%len(chartStyles)]
		var seg []string
		flush := func() {
			if len(seg) > 1 {
				dash := ""
				if st.dash != "" {
					dash = ` stroke-dasharray="` + st.dash + `"`
				}
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`, st.color, dash, strings.Join(seg, " "))
			}
			seg = nil
		}
		for i, v := range s.Values {
			if v == nil {
				flush()
				continue
			}
			seg = append(seg, fmt.Sprintf("%.1f,%.1f", x(i), y(*v)))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s：%.1f%%</title></circle>`, x(i), y(*v), st.color,
				template.HTMLEscapeString(s.Name), template.HTMLEscapeString(labels[i]), 100**v)
		}
		flush()
		lx := left + 150*si
		dash := ""
		if st.dash != "" {
			dash = ` stroke-dasharray="` + st.dash + `"`
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`, lx, h-18, lx+24, h-18, st.color, dash)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#222">%s</text>`, lx+30, h-14, template.HTMLEscapeString(s.Name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
