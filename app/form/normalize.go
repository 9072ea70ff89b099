// Package form holds typed form inputs, their normalisation and validation.
// It knows nothing of HTML or echo: handlers bind into these structs, call
// Validate, and hand the errors (message ids per field) to the components.
package form

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Text tidies a free one-line field — a title, a name, a venue, a purpose —
// and otherwise keeps it as the resident typed it: NFC (so a decomposed が
// and a composed が are one character), spaces trimmed, runs of spaces (the
// ideographic space included) as one space, control and invisible
// characters dropped. It never folds widths: 「！（）：」 and ＡＢＣ are the
// resident's choice and stay. Identifiers go through Fold instead.
func Text(s string) string { return oneLine(norm.NFC.String(visible(s))) }

// Fold is Text for identifiers and machine-read values (login IDs, e-mail
// addresses, phone numbers, postal codes, kana names, dates, numbers):
// full-width ASCII letters and digits become half-width, half-width
// katakana full-width, so what a Japanese phone keyboard types is read and
// stored the way the ward's Excel sheets and lookups expect.
func Fold(s string) string { return oneLine(fold(visible(s))) }

// visible drops control and invisible characters (keeping the white-space
// ones, which oneLine and Multiline deal with) before composing: a mark
// that followed a dropped character must compose with what is then before
// it, or the value would change again when it is next normalised.
func visible(s string) string {
	return strings.Map(func(r rune) rune {
		if (unicode.IsControl(r) && !unicode.IsSpace(r)) || r == '\uFEFF' || r == '\u200B' {
			return -1
		}
		return r
	}, s)
}

// oneLine trims s, shrinks each run of spaces to one ASCII space and drops
// control and invisible characters.
func oneLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == '\u3000' || unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r) || r == '\uFEFF' || r == '\u200B':
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// Multiline is Text for free text of several lines (a body, a description,
// a message): it keeps the characters as typed (NFC only), line breaks
// (normalised to \n), an indent of ideographic spaces and single blank
// lines between paragraphs; it drops control characters and trims trailing
// spaces of each line.
func Multiline(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	s = norm.NFC.String(strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && (unicode.IsControl(r) || r == '\uFEFF' || r == '\u200B') {
			return -1
		}
		return r
	}, s))
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, " \t\u3000")
		if l == "" && len(out) > 0 && out[len(out)-1] == "" {
			continue
		}
		out = append(out, l)
	}
	return strings.Trim(strings.Join(out, "\n"), "\n")
}

// voicing turns the spacing (han)dakuten that half-width ﾞ and ﾟ fold to
// into the combining marks, so NFC composes ﾀﾞ into ダ rather than タ゛.
var voicing = strings.NewReplacer("\u309B", "\u3099", "\u309C", "\u309A")

func fold(s string) string {
	return norm.NFC.String(voicing.Replace(width.Fold.String(s)))
}

// hyphens are the dashes people type between digits of phone numbers and
// postal codes: the katakana prolonged sound mark, minus signs, en and em
// dashes, the horizontal bar and full-width hyphen-minus.
const hyphens = "ー－−‐‑‒–—―ｰ"

// Digits normalises a phone number or postal code: half-width digits with
// ASCII hyphens, spaces removed.
func Digits(s string) string {
	s = Fold(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case strings.ContainsRune(hyphens, r):
			b.WriteByte('-')
		case r == ' ' || r == '(' || r == ')':
			if r != ' ' {
				b.WriteByte('-')
			}
		default:
			b.WriteRune(r)
		}
	}
	// Removing spaces may bring a mark next to a letter: compose again.
	return norm.NFC.String(strings.Trim(b.String(), "-"))
}

// Katakana converts hiragana to katakana, so 「やまだ はなこ」 and
// 「ヤマダ ハナコ」 are stored alike.
func Katakana(s string) string {
	s = Fold(s)
	// Composed again: わ゙ has no hiragana form, ヷ is one character.
	return norm.NFC.String(strings.Map(func(r rune) rune {
		if r >= 'ぁ' && r <= 'ゖ' {
			return r + ('ァ' - 'ぁ')
		}
		return r
	}, s))
}

// IsKatakana reports whether s holds only katakana, the prolonged sound
// mark, the middle dot and spaces.
func IsKatakana(s string) bool {
	for _, r := range s {
		if !(r >= 'ァ' && r <= 'ヺ') && r != 'ー' && r != '・' && r != ' ' && r != 'ヽ' && r != 'ヾ' {
			return false
		}
	}
	return s != ""
}

// Len counts characters, not bytes: a limit of 20 means 20 kanji.
func Len(s string) int { return utf8.RuneCountInString(s) }
