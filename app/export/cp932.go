package export

import (
	"bufio"
	"slices"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// cp932Table maps every rune of the Basic Multilingual Plane to its CP932
// bytes (one byte when the high byte is 0), or to 0 when CP932 lacks it.
// It is built once from x/text's encoder, so that encoding a cell is a
// table lookup per character instead of a transformer call.
var cp932Table = sync.OnceValue(func() *[0x10000]uint16 {
	var t [0x10000]uint16
	enc := japanese.ShiftJIS.NewEncoder()
	var src [4]byte
	var dst [8]byte
	for r := rune(1); r < 0x10000; r++ {
		if r >= 0xD800 && r < 0xE000 {
			continue // surrogates are not characters
		}
		n := utf8.EncodeRune(src[:], r)
		enc.Reset()
		m, _, err := enc.Transform(dst[:], src[:n], true)
		if err != nil || m == 0 || m > 2 {
			continue
		}
		if m == 1 {
			t[r] = uint16(dst[0])
		} else {
			t[r] = uint16(dst[0])<<8 | uint16(dst[1])
		}
	}
	// Characters that JIS and CP932 map to different code points: text
	// typed on a Mac or converted from JIS uses the first, Windows the
	// second. They look the same, so they are written as CP932's.
	for from, to := range map[rune]rune{
		'\u301C': '\uFF5E', // WAVE DASH → FULLWIDTH TILDE
		'\u2016': '\u2225', // DOUBLE VERTICAL LINE → PARALLEL TO
		'\u2212': '\uFF0D', // MINUS SIGN → FULLWIDTH HYPHEN-MINUS
		'\u00A2': '\uFFE0', // CENT SIGN
		'\u00A3': '\uFFE1', // POUND SIGN
		'\u00AC': '\uFFE2', // NOT SIGN
		'\u2014': '\u2015', // EM DASH → HORIZONTAL BAR
	} {
		if t[from] == 0 {
			t[from] = t[to]
		}
	}
	return &t
})

// geta is 〓 in CP932, written for a character CP932 lacks.
const geta = 0x81AC

// appendCP932 writes the UTF-8 text v to w in CP932 and returns miss with
// the characters CP932 lacks appended (each once per call).
func appendCP932(w *bufio.Writer, v []byte, miss []rune) []rune {
	t := cp932Table()
	for len(v) > 0 {
		if b := v[0]; b < utf8.RuneSelf {
			w.WriteByte(b)
			v = v[1:]
			continue
		}
		r, n := utf8.DecodeRune(v)
		v = v[n:]
		code := cp932Code(t, r)
		if code == 0 {
			if !slices.Contains(miss, r) {
				miss = append(miss, r)
			}
			code = geta
		}
		if code > 0xFF {
			w.WriteByte(byte(code >> 8))
		}
		w.WriteByte(byte(code))
	}
	return miss
}

// cp932Code is r's CP932 code in table t, 0 when CP932 lacks it.
func cp932Code(t *[0x10000]uint16, r rune) uint16 {
	if r < 0 || r >= 0x10000 {
		return 0 // CP932 holds nothing beyond the Basic Multilingual Plane
	}
	return t[r]
}

// CP932Lacks returns the characters of s that CP932 cannot hold, each once,
// so a page can warn before a CP932 file replaces them with 〓.
func CP932Lacks(s string) string {
	t := cp932Table()
	var miss []rune
	for _, r := range s {
		if r >= utf8.RuneSelf && cp932Code(t, r) == 0 && !slices.Contains(miss, r) {
			miss = append(miss, r)
		}
	}
	return string(miss)
}
