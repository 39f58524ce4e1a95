package report

import "testing"

// BenchmarkRenderPDF renders the sample report (several pages).
func BenchmarkRenderPDF(b *testing.B) {
	r := sampleReport()
	if _, err := RenderPDF(r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RenderPDF(r); err != nil {
			b.Fatal(err)
		}
	}
}
