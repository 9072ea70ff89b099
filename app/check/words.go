package check

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Words returns a checker that reports the listed words (the board's
// staff-kept dictionary) as Warnings, matched as db.CheckText matches them:
// whatever the width, case or kana (ネズミ講 finds ねずみ講 and ﾈｽﾞﾐ講), as a
// substring of a run of letters, never across punctuation or space. Unlike
// CheckText it reports every occurrence, at its position; Args["Word"] is
// the listed word, so a caller wanting one flag per word keeps the first.
func Words(words ...string) Checker {
	type entry struct{ word, key string }
	var list []entry
	for _, w := range words {
		if k := strings.TrimSpace(searchFold(w).s); k != "" {
			list = append(list, entry{w, k})
		}
	}
	return func(d *Doc) []Problem {
		if len(list) == 0 {
			return nil
		}
		var out []Problem
		for _, t := range d.prose() {
			f := searchFold(t.src)
			for _, e := range list {
				for off := 0; ; {
					i := strings.Index(f.s[off:], e.key)
					if i < 0 {
						break
					}
					s, end := off+i, off+i+len(e.key)
					out = append(out, t.problem(idWord, Warning, int(f.from[s]), int(f.to[end-1]), map[string]any{"Word": e.word}))
					_, size := utf8.DecodeRuneInString(f.s[s:])
					off = s + size
				}
			}
		}
		return out
	}
}

// folding is text as the board's search sees it, with each byte's origin:
// from[b] and to[b] are the rune offsets in the original of the character
// that became byte b of s.
type folding struct {
	s        string
	from, to []int32
}

// searchFold mirrors db.foldText (db/grams.go eachRun) and keeps positions:
// NFKC, lower case, hiragana as katakana, a dash after kana as ー, and
// every run of space, punctuation and symbols (but So) as one space, with
// one space in front.
func searchFold(src string) folding {
	var f folding
	var b []byte
	add := func(r rune, from, to int) {
		n := len(b)
		b = utf8.AppendRune(b, r)
		for range len(b) - n {
			f.from = append(f.from, int32(from))
			f.to = append(f.to, int32(to))
		}
	}
	add(' ', 0, 0)
	var it norm.Iter
	it.InitString(norm.NFKC, src)
	runeAt := 0 // rune offset of it.Pos() in src
	lastKana, inRun := false, false
	for !it.Done() {
		pos := it.Pos()
		seg := it.Next()
		from := runeAt
		runeAt += utf8.RuneCountInString(src[pos:it.Pos()])
		for _, r := range string(seg) {
			switch {
			case isKana(r) || r >= 0x4E00 && r <= 0x9FFF:
			case r >= 'ぁ' && r <= 'ゖ', r == 'ゝ', r == 'ゞ':
				r += 'ァ' - 'ぁ'
			case isDash(r) && inRun && lastKana:
				r = 'ー'
			case unicode.Is(unicode.Variation_Selector, r):
				continue
			default:
				r = unicode.ToLower(r)
				if !searchable(r) {
					if inRun {
						add(' ', from, runeAt)
					}
					inRun, lastKana = false, false
					continue
				}
			}
			add(r, from, runeAt)
			inRun, lastKana = true, isKana(r)
		}
	}
	if inRun {
		add(' ', runeAt, runeAt)
	}
	f.s = string(b)
	return f
}

func isKana(r rune) bool { return r >= 'ァ' && r <= 'ヺ' || r == 'ー' }

func searchable(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) || unicode.Is(unicode.So, r))
}

func isDash(r rune) bool {
	switch r {
	case '-', '~', '‐', '‑', '‒', '–', '—', '―', '−', '〜', '〰':
		return true
	}
	return false
}
