package form

import (
	"errors"

	"github.com/wardportal/portal/app/upload"
)

// AltMax is the longest alternative text of an image, in characters: a
// sentence or two; what needs more belongs in the page's text.
const AltMax = 250

// Upload is the files page's upload form: the chosen file and the
// alternative text an image needs.
type Upload struct {
	Filename string // as the browser named it
	Data     []byte // nil when no file was chosen or it was too large to read
	TooLarge bool   // larger than upload.MaxSize: refused unread
	Alt      string
}

// Normalize tidies the alternative text like any one-line field.
func (u *Upload) Normalize() { u.Alt = Text(u.Alt) }

// Validate inspects the file (its type read from its content) and returns
// it ready to store, or a message id per bad field: "file" or "alt". Call
// Normalize first. It may take a while for a large image.
func (u *Upload) Validate() (*upload.File, Errors) {
	e := Errors{}
	if Len(u.Alt) > AltMax {
		e.Add("alt", "files.err.alt_long")
	}
	switch {
	case u.TooLarge:
		e.Add("file", "files.err.too_large")
		return nil, e
	case u.Data == nil:
		e.Add("file", "files.err.no_file")
		return nil, e
	}
	f, err := upload.Inspect(u.Filename, u.Data)
	switch {
	case err == nil:
	case errors.Is(err, upload.ErrEmpty):
		e.Add("file", "files.err.empty")
	case errors.Is(err, upload.ErrTooLarge):
		e.Add("file", "files.err.too_large")
	case errors.Is(err, upload.ErrNotImage):
		e.Add("file", "files.err.not_image")
	case errors.Is(err, upload.ErrBadImage):
		e.Add("file", "files.err.bad_image")
	case errors.Is(err, upload.ErrHuge):
		e.Add("file", "files.err.huge")
	default:
		e.Add("file", "files.err.type")
	}
	if f != nil && upload.IsImage(f.ContentType) && u.Alt == "" {
		e.Add("alt", "files.err.alt_required")
	}
	if e.Any() {
		return nil, e
	}
	return f, e
}

// AltText is an image's alternative text, changed on the files page.
type AltText struct {
	Alt string
}

// Normalize tidies the text like any one-line field.
func (a *AltText) Normalize() { a.Alt = Text(a.Alt) }

// Validate returns a message id for a missing or long text. Call Normalize first.
func (a *AltText) Validate() Errors {
	e := Errors{}
	switch {
	case a.Alt == "":
		e.Add("alt", "files.err.alt_required")
	case Len(a.Alt) > AltMax:
		e.Add("alt", "files.err.alt_long")
	}
	return e
}
