package components

import (
	"testing"

	"github.com/wardportal/portal/db"
)

func TestFileLabel(t *testing.T) {
	t.Parallel()
	const (
		pdf  = "application/pdf"
		docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		pptx = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	)
	for _, c := range []struct {
		ct   string
		size int64
		want string
	}{
		{pdf, 245 * 1024, "PDF 245KB"},
		{pdf, 245*1024 + 1, "PDF 246KB"}, // a part of a kilobyte counts as one
		{docx, 1258291, "Word 1.2MB"},
		{xlsx, 38 * 1024, "Excel 38KB"},
		{pptx, 15 << 20, "PowerPoint 15MB"},
		{pdf, 1, "PDF 1KB"},
		{pdf, 0, "PDF 1KB"},
		{"text/csv", 999 * 1024, "CSV 999KB"},
		{"text/csv", 999*1024 + 1, "CSV 1.0MB"}, // never 1000KB
		{"text/plain; charset=utf-8", 2048, "TXT 2KB"},
		{"image/jpeg", 10443800, "JPEG 10MB"}, // 9.96 MB,
		{"image/png", 10422800, "PNG 9.9MB"},  // 9.94 MB,
		{"image/webp", 300, "WebP 1KB"},
		{"image/gif", 3 << 20, "GIF 3.0MB"},
		{"application/zip", 4096, "4KB"},
	} {
		if got := FileLabel(c.ct, c.size); got != c.want {
			t.Errorf("FileLabel(%s, %d) = %q, want %q", c.ct, c.size, got, c.want)
		}
	}
}

func TestMarkdownSnippet(t *testing.T) {
	t.Parallel()
	w, h := 800, 600
	img := db.Attachment{ID: 7, Filename: "地図.png", ContentType: "image/png", Size: 5000, Width: &w, Height: &h, Alt: "会場[本館]までの*地図*"}
	if got := MarkdownSnippet(img); got != `![会場\[本館\]までの\*地図\*](/files/7/地図.png)` {
		t.Errorf("image snippet %q", got)
	}
	doc := db.Attachment{ID: 12, Filename: "申込書_第1号.pdf", ContentType: "application/pdf", Size: 245 * 1024}
	if got := MarkdownSnippet(doc); got != "[申込書_第1号.pdf（PDF 245KB）](/files/12/申込書_第1号.pdf)" {
		t.Errorf("document snippet %q", got)
	}
}
