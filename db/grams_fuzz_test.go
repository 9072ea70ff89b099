package db

import (
	"slices"
	"testing"
)

// FuzzGrams: a post is always found by a query for any text it holds — the
// whole title, or a word of it set off by spaces in the body — and its grams
// are sorted, distinct and never nil (the column is NOT NULL). The seeds run
// in every `go test`.
func FuzzGrams(f *testing.F) {
	for _, s := range []string{
		"", "防災訓練", "まつり", "ｻｰﾊﾞ", "サ〜バ", "ＡＢＣ１２３", "❤️", "①", "𠮷野家", "a", "ー", "-", "ゝ", "\xff\xfe",
		"か\u3099", "ﾞ", "東京都新宿区", "e\u0301", "Ǆ", "İ", "ß", "ﬁ", "\u00a0", "㍻", "ヷ", "わ\u3099",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		for _, g := range [][]int32{SearchGrams(q, ""), SearchGrams("", "前置き "+q+" 後書き")} {
			if g == nil || !slices.IsSorted(g) || len(slices.Compact(slices.Clone(g))) != len(g) {
				t.Fatalf("grams of %q: %v", q, g)
			}
			want, ok := QueryGrams(q)
			if !ok {
				continue
			}
			for _, w := range want {
				if _, found := slices.BinarySearch(g, w); !found {
					t.Fatalf("a post holding %q is not found by it: gram %08x missing", q, w)
				}
			}
		}
	})
}
