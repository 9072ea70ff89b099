// Package furigana puts readings (ふりがな) over the kanji of rendered HTML:
// <ruby>申<rt>もう</rt></ruby>し<ruby>込<rt>こ</rt></ruby>む. Readings come
// from kagome's morphological analysis with the IPA dictionary, so a word is
// read as a word (今日 きょう, not こん・にち), and the kana written after a
// kanji (okurigana) stay outside the ruby.
//
// Only text nodes change. Attributes, and the text of elements that must
// not or cannot hold markup (script, style, title, textarea, option, code,
// pre, and ruby already there), pass through byte for byte.
package furigana

import (
	"bytes"
	"html"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/ikawaha/kagome-dict/ipa"
	"github.com/ikawaha/kagome/v2/tokenizer"
	xhtml "golang.org/x/net/html"
)

// Annotator adds ruby to HTML. It is safe for concurrent use: the
// dictionary is read-only and each analysis takes its own lattice.
//
// The full IPA dictionary (readings are what the shrunk one that app/check
// loads leaves out) keeps about 90 MiB on the heap, so it is loaded on the
// first call that needs it, not at start: a portal nobody asks for ふりがな
// never pays for it.
type Annotator struct {
	once sync.Once
	tok  *tokenizer.Tokenizer

	// cache keeps the annotation of recent text nodes: the same headings,
	// menu entries and paragraphs come back on every page, and analysing
	// them is most of the cost of a page.
	mu      sync.Mutex
	cache   map[string]string
	maxKeep int
}

// New returns an Annotator that remembers up to keep annotated text nodes
// (0: none, every call analyses).
func New(keep int) *Annotator {
	return &Annotator{cache: map[string]string{}, maxKeep: keep}
}

func (a *Annotator) tokenizer() *tokenizer.Tokenizer {
	a.once.Do(func() {
		t, err := tokenizer.New(ipa.Dict(), tokenizer.OmitBosEos())
		if err != nil {
			// Only a nil dictionary fails, and the embedded one is not nil.
			panic("furigana: kagome tokenizer: " + err.Error())
		}
		a.tok = t
	})
	return a.tok
}

// Warm loads the dictionary now.
func (a *Annotator) Warm() { a.tokenizer() }

// skipped are the elements whose text stays as it is: raw text and
// RCDATA elements (markup inside them would be shown or run, not read),
// option (text only), code and pre (what is typed must stay exact), ruby
// already present, and foreign content.
var skipped = map[string]bool{
	"script": true, "style": true, "title": true, "textarea": true, "option": true,
	"code": true, "pre": true, "kbd": true, "samp": true,
	"ruby": true, "rt": true, "rp": true, "svg": true, "math": true, "noscript": true, "template": true,
}

// HTML writes src to dst with ruby over the kanji of its text nodes. A
// document's head is left alone. Malformed input is copied as far as the
// tokenizer reads it, then verbatim: nothing is ever dropped.
func (a *Annotator) HTML(dst *bytes.Buffer, src []byte) {
	z := xhtml.NewTokenizer(bytes.NewReader(src))
	depth := 0 // inside how many skipped elements
	head := false
	read := 0
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			dst.Write(src[read:]) // io.EOF: nothing left; else the rest, untouched
			return
		}
		raw := z.Raw()
		read += len(raw)
		switch tt {
		case xhtml.StartTagToken:
			name, _ := z.TagName()
			switch {
			case string(name) == "head":
				head = true
			case skipped[string(name)]:
				depth++
			}
		case xhtml.EndTagToken:
			name, _ := z.TagName()
			switch {
			case string(name) == "head":
				head = false
			case skipped[string(name)] && depth > 0:
				depth--
			}
		case xhtml.TextToken:
			if depth == 0 && !head && hasKanji(raw) {
				dst.WriteString(a.text(string(raw)))
				continue
			}
		}
		dst.Write(raw)
	}
}

// text annotates one text node as written in the HTML (entities escaped).
func (a *Annotator) text(raw string) string {
	if a.maxKeep > 0 {
		a.mu.Lock()
		s, ok := a.cache[raw]
		a.mu.Unlock()
		if ok {
			return s
		}
	}
	var b strings.Builder
	a.annotate(&b, html.UnescapeString(raw))
	s := b.String()
	if a.maxKeep > 0 {
		a.mu.Lock()
		if len(a.cache) >= a.maxKeep {
			// Dropping everything is crude but cheap and bounded; the
			// text of the pages being read comes back within a page.
			clear(a.cache)
		}
		a.cache[raw] = s
		a.mu.Unlock()
	}
	return s
}

// Text returns plain text as HTML with ruby over its kanji, without the
// cache: what the benchmark measures.
func (a *Annotator) Text(s string) string {
	var b strings.Builder
	a.annotate(&b, s)
	return b.String()
}

// annotate analyses s a sentence at a time: one lattice over a whole long
// notice costs more (it is cleared and grown for the whole text) and reads
// no better, as no word spans a full stop.
func (a *Annotator) annotate(b *strings.Builder, s string) {
	tk := a.tokenizer()
	for s != "" {
		end := strings.IndexAny(s, "。！？\n")
		if end < 0 {
			end = len(s)
		} else {
			_, size := utf8.DecodeRuneInString(s[end:])
			end += size
		}
		a.sentence(b, tk, s[:end])
		s = s[end:]
	}
}

func (a *Annotator) sentence(b *strings.Builder, tk *tokenizer.Tokenizer, s string) {
	for _, t := range tk.Analyze(s, tokenizer.Normal) {
		surface := t.Surface
		reading, ok := t.Reading()
		if !ok || reading == "*" || reading == "" || !hasKanji([]byte(surface)) {
			b.WriteString(html.EscapeString(surface))
			continue
		}
		writeRuby(b, surface, hiragana(reading))
	}
}

// segment is a run of a word: kanji with their reading, or kana without.
type segment struct {
	base, rt string
}

// writeRuby writes surface with ruby over its kanji runs, each with its own
// part of reading when the kana between them line up with it, or over the
// whole word when they do not.
func writeRuby(b *strings.Builder, surface, reading string) {
	runs := splitRuns(surface)
	segs, ok := align(runs, reading)
	if !ok {
		segs = []segment{{surface, reading}}
	}
	for _, s := range segs {
		if s.rt == "" {
			b.WriteString(html.EscapeString(s.base))
			continue
		}
		b.WriteString("<ruby>")
		b.WriteString(html.EscapeString(s.base))
		b.WriteString("<rp>(</rp><rt>")
		b.WriteString(html.EscapeString(s.rt))
		b.WriteString("</rt><rp>)</rp></ruby>")
	}
}

// run is a part of a word: kanji (reading to find) or not (read as written).
type run struct {
	text  string
	kanji bool
}

func splitRuns(s string) []run {
	var runs []run
	for _, r := range s {
		k := isKanji(r)
		if n := len(runs); n > 0 && runs[n-1].kanji == k {
			runs[n-1].text += string(r)
			continue
		}
		runs = append(runs, run{string(r), k})
	}
	return runs
}

// align splits reading over runs: each kana run must appear in the reading
// as written (in hiragana), each kanji run takes at least one character of
// it. The first way found, shortest kanji readings first, wins.
func align(runs []run, reading string) ([]segment, bool) {
	if len(runs) == 0 {
		return nil, reading == ""
	}
	r := runs[0]
	if !r.kanji {
		k := hiragana(r.text)
		if !strings.HasPrefix(reading, k) {
			return nil, false
		}
		rest, ok := align(runs[1:], reading[len(k):])
		if !ok {
			return nil, false
		}
		return append([]segment{{r.text, ""}}, rest...), true
	}
	if len(runs) == 1 {
		if reading == "" {
			return nil, false
		}
		return []segment{{r.text, reading}}, true
	}
	for i := 0; i < len(reading); {
		_, size := utf8.DecodeRuneInString(reading[i:])
		i += size
		if rest, ok := align(runs[1:], reading[i:]); ok {
			return append([]segment{{r.text, reading[:i]}}, rest...), true
		}
	}
	return nil, false
}

// hiragana turns katakana into hiragana; the rest is kept.
func hiragana(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'ァ' && r <= 'ヶ' {
			return r - 0x60
		}
		return r
	}, s)
}

func isKanji(r rune) bool {
	return unicode.Is(unicode.Han, r) || r == '々' || r == '〆' || r == 'ヶ'
}

func hasKanji(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r >= 0x3005 && isKanji(r) {
			return true
		}
		b = b[size:]
	}
	return false
}
