package form

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FuzzNormalize: whatever a client sends, the normalisers return valid
// UTF-8 in normal form C without control or invisible characters, one-line
// fields without line breaks or doubled spaces, and applying them again
// changes nothing (so a value saved and edited again stays as it is).
// The seeds (here and in testdata/fuzz) run in every `go test`.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"", " 山田　太郎 ", "ﾔﾏﾀﾞ ﾊﾅｺ", "０３－１２３４－５６７８", "〒１６０－０００４", "e\u0301", "e\x00\u0301",
		"a\u200b\u0301", "\xff\xfe", "a\r\nb\rc\n\n\nd", "\u3000\u3000字下げ", "ｶﾞ①㍻ ㌔", "\ufeffBOM", "ﾞﾟ", "か\u3099",
		"(03)1234-5678", "ー－−‐‑‒–—―ｰ", "\t\v\f", "やまだ　はなこ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, fn := range map[string]func(string) string{"Text": Text, "Fold": Fold, "Digits": Digits, "Katakana": Katakana, "Multiline": Multiline} {
			out := fn(s)
			if !utf8.ValidString(out) {
				t.Fatalf("%s(%q) = %q: not UTF-8", name, s, out)
			}
			if !norm.NFC.IsNormalString(out) {
				t.Errorf("%s(%q) = %q: not NFC", name, s, out)
			}
			if again := fn(out); again != out {
				t.Errorf("%s is not idempotent: %q → %q → %q", name, s, out, again)
			}
			for _, r := range out {
				if (unicode.IsControl(r) && r != '\n' && r != '\t') || r == '\ufeff' || r == '\u200b' {
					t.Errorf("%s(%q) = %q keeps %U", name, s, out, r)
				}
			}
			if name != "Multiline" {
				if strings.ContainsAny(out, "\n\t") || strings.Contains(out, "  ") || strings.TrimSpace(out) != out {
					t.Errorf("%s(%q) = %q is not one tidy line", name, s, out)
				}
			}
		}
	})
}
