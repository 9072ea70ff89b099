package components

import (
	"math"
	"strconv"
	"strings"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/db"
)

// fileKinds names each accepted type as Japanese municipal sites label their
// links; the same words serve English readers.
var fileKinds = map[string]string{
	"application/pdf": "PDF",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   "Word",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         "Excel",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
	"text/csv":   "CSV",
	"text/plain": "TXT",
	"image/jpeg": "JPEG",
	"image/png":  "PNG",
	"image/gif":  "GIF",
	"image/webp": "WebP",
}

// FileLabel is what a link to a file says after its text, as Japanese
// municipal sites do: the kind and the size, 「PDF 245KB」「Word 1.2MB」
// 「Excel 38KB」. Sizes count 1024 bytes a kilobyte, as Windows shows them:
// whole kilobytes rounded up below 1,000 KB, then megabytes with one
// decimal, whole ones from 10 MB.
func FileLabel(contentType string, size int64) string {
	ct, _, _ := strings.Cut(contentType, ";")
	kind := fileKinds[strings.TrimSpace(ct)]
	s := FileSize(size)
	if kind == "" {
		return s
	}
	return kind + " " + s
}

// FileSize is size as FileLabel writes it.
func FileSize(size int64) string {
	kb := max(1, (size+1023)/1024)
	if kb < 1000 {
		return strconv.FormatInt(kb, 10) + "KB"
	}
	mb := float64(size) / (1 << 20)
	if r := math.Round(mb*10) / 10; r < 10 {
		return strconv.FormatFloat(r, 'f', 1, 64) + "MB"
	}
	return strconv.FormatFloat(math.Round(mb), 'f', 0, 64) + "MB"
}

// FilesState is a page's files in the back office: the list, the upload
// form and, after a refusal, what was typed and why.
type FilesState struct {
	PageID     int64
	Title      string // the page's latest title
	Files      []db.Attachment
	MaxSize    string // the upload limit as the form states it: 10MB
	Upload     form.Upload
	UploadErrs form.Errors
	ItemID     int64       // the file whose alt-text or delete form failed
	ItemAlt    string      // the alt text typed there
	ItemErrs   form.Errors // "alt" or "delete"
}

// itemAlt is the alt text an image's form shows: as typed when that form
// failed, else as stored.
func (s FilesState) itemAlt(f db.Attachment) (string, form.Errors) {
	if f.ID == s.ItemID && s.ItemErrs.Any() {
		if s.ItemErrs["alt"] != "" {
			return s.ItemAlt, s.ItemErrs
		}
		return f.Alt, s.ItemErrs
	}
	return f.Alt, nil
}

// MarkdownSnippet is what an editor pastes into a page's body for f: the
// image with its alt text, or a link whose text ends with the file's kind
// and size.
func MarkdownSnippet(f db.Attachment) string {
	if f.IsImage() {
		return "![" + markdownText(f.Alt) + "](" + f.Path() + ")"
	}
	return "[" + markdownText(f.Filename) + "（" + FileLabel(f.ContentType, f.Size) + "）](" + f.Path() + ")"
}

// markdownText escapes what would end or change a link's text.
func markdownText(s string) string {
	return strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, "*", `\*`, "`", "\\`").Replace(s)
}

// filesPath is the files page of page id.
func filesPath(id int64) string { return "/staff/pages/" + itoa(id) + "/files" }

// fileItemPath is the address of one of a page's files in the back office.
func fileItemPath(pageID, id int64, action string) string {
	return filesPath(pageID) + "/" + itoa(id) + "/" + action
}

// thumbSize is the width and height an image's thumbnail is drawn at in the
// list (at most 160 px wide), so the list does not jump as images load.
func thumbSize(f db.Attachment) (string, string) {
	if f.Width == nil || f.Height == nil || *f.Width == 0 {
		return "", ""
	}
	w, h := *f.Width, *f.Height
	if w > 160 {
		h, w = max(1, h*160/w), 160
	}
	return strconv.Itoa(w), strconv.Itoa(h)
}
