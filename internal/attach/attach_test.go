package attach

import (
	"bytes"
	"strings"
	"testing"
)

var png = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 100)...)

func TestCheck(t *testing.T) {
	pdf := []byte("%PDF-1.7\n" + strings.Repeat("x", 100))
	jpeg := append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{1}, 100)...)
	got, err := Check([]File{{"收据.pdf", pdf}, {"照片.jpg", jpeg}, {"../../etc/凭证.png", png}}, "证据材料")
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
	for _, c := range []struct {
		files []File
		want  string
	}{
		{[]File{{"a.png", png}, {"b.png", png}, {"c.png", png}, {"d.png", png}, {"e.png", png}, {"f.png", png}}, "证据材料最多5个文件，现有6个"},
		{[]File{{"空.png", nil}}, "文件“空.png”是空文件"},
		{[]File{{"大.png", append(png, make([]byte, MaxBytes)...)}}, "文件“大.png”大小为5.0MB，超过了每个文件5MB的上限"},
		{[]File{{"动图.png", []byte("GIF89a......")}}, "文件“动图.png”不是PDF、JPG或PNG格式（识别为image/gif）"},
		{[]File{{"页面.pdf", []byte("<html><script>alert(1)</script>")}}, "识别为text/html"},
	} {
		if _, err := Check(c.files, "证据材料"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Check(%s…) = %v, want %q", c.files[0].Name, err, c.want)
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
