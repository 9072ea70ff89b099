// Package upload checks a file an editor attaches to a page: its type is
// read from its content (never from its name or what the browser claimed),
// its name is made safe for a path and a Markdown link, and an image gets
// its metadata removed and a phone-sized copy. It knows nothing of HTTP or
// the database.
package upload

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	"golang.org/x/text/unicode/norm"
)

// MaxSize is the largest file an editor may attach, in bytes. The upload
// route's body limit is a little above it (the form's other fields and the
// multipart framing), so a file just over it gets the form's message.
const MaxSize = 10 << 20

// MaxSizeLabel is MaxSize as the form states it.
const MaxSizeLabel = "10MB"

// Content types the portal accepts.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	GIF  = "image/gif"
	WebP = "image/webp"
	PDF  = "application/pdf"
	DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	CSV  = "text/csv"
	Text = "text/plain"
)

// exts are the extensions each type's files may carry; the first is the one
// a file gets when its name says something else.
var exts = map[string][]string{
	JPEG: {".jpg", ".jpeg"},
	PNG:  {".png"},
	GIF:  {".gif"},
	WebP: {".webp"},
	PDF:  {".pdf"},
	DOCX: {".docx"},
	XLSX: {".xlsx"},
	PPTX: {".pptx"},
	CSV:  {".csv"},
	Text: {".txt", ".csv"},
}

// IsImage reports whether files of contentType are shown as images.
func IsImage(contentType string) bool {
	return contentType == JPEG || contentType == PNG || contentType == GIF || contentType == WebP
}

// Inline reports whether a browser should show the file rather than save
// it: images and PDF. Office files and text are downloads.
func Inline(contentType string) bool { return IsImage(contentType) || contentType == PDF }

// Refusals: each has its message next to the file field.
var (
	ErrEmpty    = errors.New("upload: no file")
	ErrTooLarge = errors.New("upload: file too large")
	ErrType     = errors.New("upload: type not accepted")
	ErrNotImage = errors.New("upload: named as an image but is not one")
	ErrBadImage = errors.New("upload: image cannot be read")
	ErrHuge     = errors.New("upload: image has too many pixels")
)

// File is an accepted upload, ready to store.
type File struct {
	Name        string // safe, with the extension of its type
	ContentType string // detected from the content
	Data        []byte // as stored and served at ?size=original: an image without its metadata
	SHA256      string // of Data, hex
	// Images only.
	Width, Height int // as displayed (EXIF orientation applied)
	Small         []byte
	SmallType     string
	SmallSHA256   string
}

// Inspect decides what data is, refuses what the portal does not accept,
// and prepares an image (see Image). name is the name the browser gave.
func Inspect(name string, data []byte) (*File, error) {
	if len(data) == 0 {
		return nil, ErrEmpty
	}
	if len(data) > MaxSize {
		return nil, ErrTooLarge
	}
	ct := Detect(data)
	claimed := strings.ToLower(path.Ext(SafeName(name)))
	if !IsImage(ct) && slicesContains([]string{".jpg", ".jpeg", ".png", ".gif", ".webp"}, claimed) {
		return nil, ErrNotImage
	}
	if ct == Text && claimed == ".csv" {
		ct = CSV // CSV is text; the detector calls it so only when the columns line up
	}
	if ct == "" {
		return nil, ErrType
	}
	f := &File{Name: withExt(SafeName(name), ct), ContentType: ct, Data: data}
	if IsImage(ct) {
		img, err := Image(ct, data)
		if err != nil {
			return nil, err
		}
		f.Data, f.Width, f.Height, f.Small, f.SmallType = img.Original, img.Width, img.Height, img.Small, img.SmallType
		f.SmallSHA256 = hexSHA(f.Small)
	}
	f.SHA256 = hexSHA(f.Data)
	return f, nil
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Detect returns the accepted content type data has, or "" when the portal
// does not accept it. Office files are ZIP archives; which one is read
// from the archive's own directory, as Office does.
func Detect(data []byte) string {
	m := mimetype.Detect(data)
	for _, ct := range []string{JPEG, PNG, GIF, WebP, PDF, CSV} {
		if m.Is(ct) {
			return ct
		}
	}
	switch {
	case m.Is("image/vnd.mozilla.apng"):
		return PNG // an animated PNG is a PNG to every browser
	case m.Is("text/plain"), m.Is("text/tab-separated-values"):
		return Text
	case m.Is("application/zip"), m.Is(DOCX), m.Is(XLSX), m.Is(PPTX):
		return officeType(data)
	}
	return ""
}

// officeType reads an Office Open XML package's parts: [Content_Types].xml
// and the main part of a document, workbook or presentation.
func officeType(data []byte) string {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return ""
	}
	has := map[string]bool{}
	for _, f := range zr.File {
		has[f.Name] = true
	}
	if !has["[Content_Types].xml"] {
		return ""
	}
	switch {
	case has["word/document.xml"]:
		return DOCX
	case has["xl/workbook.xml"]:
		return XLSX
	case has["ppt/presentation.xml"]:
		return PPTX
	}
	return ""
}

// MaxNameLen is the longest name a file keeps, in characters.
const MaxNameLen = 100

// SafeName is the name a browser gave made safe to use as the last part
// of an address and inside a Markdown link: the last path element only,
// NFC, without control or formatting characters, with the characters that
// end a path, a query, a link or a link's text (/ \ ? # % < > ( ) [ ] ")
// and spaces as "_", no leading dots (a hidden file), at most MaxNameLen characters (the
// extension kept). Japanese names stay Japanese.
func SafeName(name string) string {
	name = norm.NFC.String(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Cf, r):
		case unicode.IsSpace(r), strings.ContainsRune(`/\?#%<>()[]"`+"`*", r):
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.TrimLeft(b.String(), ".")
	ext := path.Ext(name)
	if utf8.RuneCountInString(ext) > 10 {
		ext = ""
	}
	base := strings.TrimSuffix(name, ext)
	if r := []rune(base); len(r) > MaxNameLen-len([]rune(ext)) {
		base = string(r[:MaxNameLen-len([]rune(ext))])
	}
	if strings.Trim(base, "._-") == "" {
		base = "file"
	}
	return base + ext
}

// withExt gives name an extension of type ct: kept when it is one of the
// type's, replaced otherwise (a PNG named .pdf becomes .png).
func withExt(name, ct string) string {
	ext := path.Ext(name)
	if slicesContains(exts[ct], strings.ToLower(ext)) {
		return name
	}
	base := strings.TrimSuffix(name, ext)
	if base == "" {
		base = "file"
	}
	return base + exts[ct][0]
}

func slicesContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
