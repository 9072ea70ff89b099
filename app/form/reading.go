package form

import "strings"

// Reading settings a visitor chooses (PRODUCT.md §11): text size,
// background colour and furigana. They travel in one cookie, so they hold
// for a visitor without an account too.
const (
	SizeStandard = "standard"
	SizeLarge    = "large"
	SizeLarger   = "larger"

	BackgroundStandard = "standard"
	BackgroundBlack    = "black" // white text on black, high contrast
	BackgroundBlue     = "blue"  // yellow text on dark blue, high contrast

	FuriganaOff = "off"
	FuriganaOn  = "on"
)

// The choices in the order the form offers them.
var (
	Sizes       = []string{SizeStandard, SizeLarge, SizeLarger}
	Backgrounds = []string{BackgroundStandard, BackgroundBlack, BackgroundBlue}
	Furiganas   = []string{FuriganaOff, FuriganaOn}
)

// Reading is the reading settings form, and the settings themselves.
type Reading struct {
	Size       string
	Background string
	Furigana   string
}

// Normalize trims the choices.
func (x *Reading) Normalize() {
	x.Size = strings.TrimSpace(x.Size)
	x.Background = strings.TrimSpace(x.Background)
	x.Furigana = strings.TrimSpace(x.Furigana)
}

// Validate checks each choice is one offered.
func (x *Reading) Validate() Errors {
	e := Errors{}
	if !oneOf(x.Size, Sizes) {
		e.Add("size", "reading.err.choice")
	}
	if !oneOf(x.Background, Backgrounds) {
		e.Add("background", "reading.err.choice")
	}
	if !oneOf(x.Furigana, Furiganas) {
		e.Add("furigana", "reading.err.choice")
	}
	return e
}

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

// ReadingStandard is what a visitor who chose nothing gets.
var ReadingStandard = Reading{SizeStandard, BackgroundStandard, FuriganaOff}

// Standard reports whether nothing differs from ReadingStandard.
func (x Reading) Standard() bool { return x == ReadingStandard }

// Ruby reports whether furigana are wanted.
func (x Reading) Ruby() bool { return x.Furigana == FuriganaOn }

// Cookie is the settings as a cookie value: size.background.furigana.
func (x Reading) Cookie() string { return x.Size + "." + x.Background + "." + x.Furigana }

// ParseReading reads a cookie value written by Cookie; anything else, or
// any part not offered, gives the standard setting for that part, so a
// stale or forged cookie never breaks a page.
func ParseReading(v string) Reading {
	r := ReadingStandard
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return r
	}
	if oneOf(parts[0], Sizes) {
		r.Size = parts[0]
	}
	if oneOf(parts[1], Backgrounds) {
		r.Background = parts[1]
	}
	if oneOf(parts[2], Furiganas) {
		r.Furigana = parts[2]
	}
	return r
}
