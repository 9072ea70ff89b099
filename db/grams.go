package db

import (
	"slices"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Board search without a PostgreSQL extension: every post stores the
// distinct characters (unigrams) and adjacent character pairs (bigrams) of
// its normalised title and body in board_posts.search_grams, indexed with
// GIN, and a query asks for the posts that hold all of the query's grams.
//
// A gram is an int32. A unigram is the character's code point (0 to
// 0xFFFF); a bigram is the first character in the high 16 bits and the
// second in the low 16 (r1<<16 | r2). Text never holds U+0000, so a bigram
// is at least 0x10000 as a uint32 and the two spaces never collide. Runes
// outside the Basic Multilingual Plane (emoji, rare kanji such as 𠮷) are
// folded into the Private Use Area U+E000–U+F8FF first: runes 0x1900 apart
// (and a real private-use character) share a gram, which only costs
// precision — a search may find a post holding a different rare character.

// SearchGrams returns what a board post is found by: the distinct unigrams
// and bigrams of its normalised title and body, sorted. Store it in
// board_posts.search_grams whenever a post is written. It never returns nil,
// so the result fits the NOT NULL column as is.
func SearchGrams(title, body string) []int32 {
	g := make([]int32, 0, 2*(len(title)+len(body))/3)
	for _, t := range []string{title, body} {
		g = eachRun(t, g, func(g []int32, run []rune) []int32 {
			for i, r := range run {
				g = append(g, unigram(r))
				if i > 0 {
					g = append(g, bigram(run[i-1], r))
				}
			}
			return g
		})
	}
	slices.Sort(g)
	return slices.Compact(g)
}

// QueryGrams returns the grams a post must hold to match q: the bigrams of
// every word (the unigram of a one-character word), all words ANDed. ok is
// false when q has nothing to search for (empty, or punctuation only).
//
// Bigrams are exact, so a one- or two-character word matches exactly. A
// longer word matches the posts that hold all of its bigrams, not
// necessarily side by side: 防災訓練 also finds a post with 防災, 災訓 and
// 訓練 in different places. pg_bigm answers the same before its recheck;
// in real text such false hits are rare, and a recheck would need the
// normalised text, which we do not store.
func QueryGrams(q string) (grams []int32, ok bool) {
	g := eachRun(q, nil, func(g []int32, run []rune) []int32 {
		if len(run) == 1 {
			return append(g, unigram(run[0]))
		}
		for i := 1; i < len(run); i++ {
			g = append(g, bigram(run[i-1], run[i]))
		}
		return g
	})
	slices.Sort(g)
	g = slices.Compact(g)
	return g, len(g) > 0
}

func unigram(r rune) int32 { return int32(bmp(r)) }

func bigram(r1, r2 rune) int32 { return int32(bmp(r1)<<16 | bmp(r2)) }

// Astral runes fold into the Private Use Area, U+E000 to U+F8FF.
const (
	privateUse     = 0xE000
	privateUseSize = 0xF900 - privateUse
)

func bmp(r rune) uint32 {
	if r <= 0xFFFF {
		return uint32(r)
	}
	return privateUse + uint32(r-0x10000)%privateUseSize
}

// eachRun normalises s and calls fn with each run of searchable characters,
// threading acc through. Indexing and querying both go through here, so they
// always agree:
//   - NFKC: full-width Latin and digits become ASCII, half-width katakana
//     full-width (ｶﾞ becomes ガ), ① becomes 1;
//   - lower case;
//   - hiragana become katakana, so まつり finds マツリ;
//   - a dash or tilde right after kana is a long-vowel mark typed another
//     way (サ-バ, ｻｰﾊﾞ and サ〜バ all become サーバ); anywhere else it splits;
//   - whitespace, punctuation and symbols other than So (emoji, ★) split the
//     text into runs; variation selectors are dropped, so ❤️ finds ❤.
//
// The run passed to fn is reused after fn returns.
func eachRun(s string, acc []int32, fn func([]int32, []rune) []int32) []int32 {
	if !nfkcStable(s) {
		s = norm.NFKC.String(s)
	}
	run := make([]rune, 0, 64)
	for _, r := range s {
		switch {
		case isCommon(r):
			// Kana and kanji, most of the text: searchable, no case.
		case r >= 'ぁ' && r <= 'ゖ', r == 'ゝ', r == 'ゞ':
			r += 'ァ' - 'ぁ'
		case isDash(r) && len(run) > 0 && isKana(run[len(run)-1]):
			r = 'ー'
		case unicode.Is(unicode.Variation_Selector, r):
			continue
		default:
			r = unicode.ToLower(r)
			if !searchable(r) {
				if len(run) > 0 {
					acc = fn(acc, run)
					run = run[:0]
				}
				continue
			}
		}
		run = append(run, r)
	}
	if len(run) > 0 {
		acc = fn(acc, run)
	}
	return acc
}

// nfkcStable reports cheaply whether NFKC leaves s as it is, judging by the
// characters Japanese text is mostly made of: ASCII, kana, kanji and the
// usual punctuation. It saves norm.NFKC's table look-ups for most posts.
func nfkcStable(s string) bool {
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf, isCommon(r), r >= 'ぁ' && r <= 'ゖ':
		case r == '、', r == '。', r == '「', r == '」', r == '・':
		default:
			return false
		}
	}
	return true
}

// isCommon reports whether r is katakana, the long-vowel mark or a kanji of
// the CJK Unified Ideographs block.
func isCommon(r rune) bool { return isKana(r) || r >= 0x4E00 && r <= 0x9FFF }

func searchable(r rune) bool {
	return r != utf8.RuneError &&
		(unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) || unicode.Is(unicode.So, r))
}

// isKana reports whether r is katakana or the long-vowel mark (hiragana is
// folded to katakana before it is looked at).
func isKana(r rune) bool { return r >= 'ァ' && r <= 'ヺ' || r == 'ー' }

// isDash reports whether r is a hyphen, dash, minus or wave dash: what
// people type for ー when their keyboard does not offer it.
func isDash(r rune) bool {
	switch r {
	case '-', '~', '‐', '‑', '‒', '–', '—', '―', '−', '〜', '〰':
		return true
	}
	return false
}
