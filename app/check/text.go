package check

import (
	"regexp"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

type format int

const (
	formatPlain format = iota
	formatMarkdown
	formatHTML
)

// text is one field with what checkers need to turn a regular expression's
// byte offsets into rune offsets of the original.
type text struct {
	field  Field
	src    string
	format format
	runes  int
	// srcRune maps a byte offset of src (a rune's first byte, or len(src))
	// to its rune index; runeByte is the inverse.
	srcRune, runeByte []int32

	// fold is src with each rune replaced by exactly one rune, so rune
	// indexes stay the same: full-width ASCII and the ideographic space
	// become ASCII, dashes become '-', and link addresses are masked (NUL)
	// so that the digits of a URL are not a phone number nor its slashes a
	// date. Patterns that care about digits and punctuation run on fold.
	fold     string
	foldRune []int32

	st *structure

	// lines holds the rune index where each line starts, and utf16 the
	// UTF-16 offset of each rune index: built on first use by locate.
	lines []int
	utf16 []int32
}

func newText(f Field, src string, fm format) *text {
	t := &text{field: f, src: src, format: fm}
	t.srcRune = make([]int32, len(src)+1)
	t.runeByte = make([]int32, 0, len(src)/2+1)
	n := 0
	for i := range src {
		t.srcRune[i] = int32(n)
		t.runeByte = append(t.runeByte, int32(i))
		n++
	}
	t.srcRune[len(src)] = int32(n)
	t.runeByte = append(t.runeByte, int32(len(src)))
	t.runes = n
	return t
}

// runeAt is the rune index of byte offset b of src. An offset inside a rune
// (never produced by the package's own patterns) counts as that rune's end.
func (t *text) runeAt(b int) int {
	b = min(max(b, 0), len(t.src))
	for b < len(t.src) && !utf8.RuneStart(t.src[b]) {
		b++
	}
	return int(t.srcRune[b])
}

// foldAt is the rune index of byte offset b of fold.
func (t *text) foldAt(b int) int {
	t.folded()
	b = min(max(b, 0), len(t.fold))
	for b < len(t.fold) && !utf8.RuneStart(t.fold[b]) {
		b++
	}
	return int(t.foldRune[b])
}

// slice is the original text between rune offsets.
func (t *text) slice(start, end int) string {
	start = min(max(start, 0), t.runes)
	end = min(max(end, start), t.runes)
	return t.src[t.runeByte[start]:t.runeByte[end]]
}

// contextRunes is how many characters of its line Problem.Before and
// Problem.After show around an excerpt.
const contextRunes = 20

// locate fills p's line, column, context and UTF-16 offsets from its rune
// offsets, which Run has clamped to the text.
func (t *text) locate(p *Problem) {
	if t.utf16 == nil {
		t.utf16 = make([]int32, 0, t.runes+1)
		t.lines = []int{0}
		var u int32
		i := 0
		for _, r := range t.src {
			t.utf16 = append(t.utf16, u)
			u += int32(utf16.RuneLen(r)) // an invalid byte ranges as U+FFFD: one unit
			i++
			if r == '\n' {
				t.lines = append(t.lines, i)
			}
		}
		t.utf16 = append(t.utf16, u)
	}
	line := sort.SearchInts(t.lines, p.Start+1) - 1 // the last line starting at or before Start
	from := t.lines[line]
	to := t.runes
	if line+1 < len(t.lines) {
		to = t.lines[line+1] - 1 // before the newline
	}
	p.Line, p.Column = line+1, p.Start-from+1
	p.Before = t.slice(max(from, p.Start-contextRunes), p.Start)
	if p.End <= to {
		p.After = t.slice(p.End, min(to, p.End+contextRunes))
	}
	p.Start16, p.End16 = int(t.utf16[p.Start]), int(t.utf16[p.End])
}

// problem builds a Problem at rune offsets start to end.
func (t *text) problem(id string, sev Severity, start, end int, args map[string]any) Problem {
	return Problem{Check: id, Severity: sev, Field: t.field, Start: start, End: end,
		Excerpt: excerpt(t.slice(start, end)), Message: "check." + id, Fix: "check." + id + ".fix", Args: args}
}

// problemBytes is problem at byte offsets of src.
func (t *text) problemBytes(id string, sev Severity, start, end int, args map[string]any) Problem {
	return t.problem(id, sev, t.runeAt(start), t.runeAt(end), args)
}

// folded builds fold on first use.
func (t *text) folded() string {
	if t.foldRune != nil {
		return t.fold
	}
	masks := t.structure().masks
	rs := make([]rune, 0, t.runes)
	m := 0
	for i, r := range t.src {
		for m < len(masks) && masks[m].end <= i {
			m++
		}
		if m < len(masks) && masks[m].start <= i {
			rs = append(rs, 0)
			continue
		}
		rs = append(rs, foldRune(r))
	}
	// A long-vowel mark between digits is a dash typed on a Japanese
	// keyboard: 090ー1234ー5678.
	for i, r := range rs {
		if (r == 'ー' || r == 'ｰ') && i > 0 && i+1 < len(rs) && isDigit(rs[i-1]) && isDigit(rs[i+1]) {
			rs[i] = '-'
		}
	}
	b := make([]byte, 0, len(rs))
	t.foldRune = make([]int32, 0, len(rs)+1)
	for i, r := range rs {
		n := len(b)
		b = utf8.AppendRune(b, r)
		for range len(b) - n {
			t.foldRune = append(t.foldRune, int32(i))
		}
	}
	t.foldRune = append(t.foldRune, int32(len(rs)))
	t.fold = string(b)
	return t.fold
}

func foldRune(r rune) rune {
	switch {
	case r >= '！' && r <= '～':
		return r - '！' + '!'
	case r == '\u3000':
		return ' '
	case r == '‐', r == '‑', r == '‒', r == '–', r == '—', r == '―', r == '−', r == '﹣':
		return '-'
	case r == 0:
		return ' '
	}
	return r
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// isCJK reports whether r is a kanji, hiragana or katakana letter: the
// characters a Japanese word is made of.
func isCJK(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF || r == '々' || r == '〆' ||
		r >= 'ぁ' && r <= 'ゖ' || r >= 'ァ' && r <= 'ヺ' || r == 'ー' || r >= 0xF900 && r <= 0xFAFF
}

// span is a byte range of a text's src.
type span struct{ start, end int }

// findAt is FindAllStringSubmatchIndex for a pattern that can only begin
// at a few characters: anchored (re begins with ^), it is tried only at
// the offsets of s where start says a match may begin, on at most window
// bytes. Go's matcher would otherwise step through every byte of a 60 KB
// page for each pattern. Matches are leftmost first and do not overlap, as
// with FindAllStringSubmatchIndex.
func findAt(re *regexp.Regexp, s string, window int, start func(s string, i int) bool) [][]int {
	var out [][]int
	for i := 0; i < len(s); {
		if start(s, i) {
			end := min(len(s), i+window)
			for end < len(s) && !utf8.RuneStart(s[end]) {
				end++
			}
			if m := re.FindStringSubmatchIndex(s[i:end]); m != nil && m[1] > 0 {
				for k := range m {
					if m[k] >= 0 {
						m[k] += i
					}
				}
				out = append(out, m)
				i = m[1]
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return out
}

// atLineStart is a start function for findAt: i begins a line.
func atLineStart(s string, i int) bool { return i == 0 || s[i-1] == '\n' }

// startsWith is a start function for findAt: s at i begins with one of
// the runes of set.
func startsWith(set string) func(s string, i int) bool {
	return func(s string, i int) bool {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return strings.ContainsRune(set, r)
	}
}

// anchored compiles pattern to match only at the start of its input.
func anchored(pattern string) *regexp.Regexp { return regexp.MustCompile(`^(?:` + pattern + `)`) }
