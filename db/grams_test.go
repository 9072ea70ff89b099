package db_test

import (
	"slices"
	"testing"

	"github.com/wardportal/portal/db"
)

// found reports whether a post with title and body matches q, the way the
// database decides it: the post's grams contain all of the query's.
func found(title, body, q string) bool {
	want, ok := db.QueryGrams(q)
	if !ok {
		return false
	}
	have := db.SearchGrams(title, body)
	for _, g := range want {
		if _, ok := slices.BinarySearch(have, g); !ok {
			return false
		}
	}
	return true
}

func TestGramsMatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, title, body, q string
		want                 bool
	}{
		{"two characters", "", "公園の清掃活動", "清掃", true},
		{"two characters apart", "", "清らかな掃除", "清掃", false},
		{"two characters in the title", "駅前清掃", "ご参加ください", "清掃", true},
		{"not across title and body", "清", "掃", "清掃", false},
		{"one character", "", "夏祭りのお知らせ", "祭", true},
		{"one character missing", "", "お神輿の担ぎ手", "祭", false},
		{"longer word", "", "防災訓練に参加しました", "防災訓練", true},
		{"longer word, a bigram missing", "", "防災の訓練", "防災訓練", false},
		{"hiragana finds katakana", "", "マツリの準備", "まつり", true},
		{"katakana finds hiragana", "", "まつりの準備", "マツリ", true},
		{"full-width Latin finds half-width", "", "abc公園", "ＡＢＣ", true},
		{"half-width Latin finds full-width", "", "ＡＢＣ公園", "abc", true},
		{"half-width katakana", "", "ｶﾀｶﾅ表記", "カタカナ", true},
		{"half-width voiced katakana", "", "ｶﾞｲﾄﾞﾌﾞｯｸ", "がいど", true},
		{"full-width digits", "", "第２土曜日", "2土", true},
		{"case", "", "Tokyo Metro", "TOKYO", true},
		{"mixed Latin and kana", "", "LINEグループで連絡", "lineぐるーぷ", true},
		{"Latin word differs", "", "line", "lime", false},
		{"long-vowel mark typed as hyphen", "", "サーバー", "サ-バ-", true},
		{"long-vowel mark half-width", "", "ｻｰﾊﾞｰ", "さーばー", true},
		{"long-vowel mark typed as wave dash", "", "ローリングストック", "ロ〜リング", true},
		{"hyphen between digits splits", "", "03-1234-5678", "1234", true},
		{"no pair across a hyphen", "", "03-1234-5678", "31", false},
		{"no pair across punctuation", "", "環境・美化", "境美", false},
		{"punctuation in the query too", "", "環境・美化", "環境・美化", true},
		{"two words, both", "", "清掃と祭りの準備", "清掃 祭", true},
		{"two words, one missing", "", "清掃のみ", "清掃 祭", false},
		{"ideographic space", "", "清掃と祭り", "清掃\u3000祭", true},
		{"emoji", "", "今日は🎆花火", "🎆", true},
		{"other emoji", "", "今日は🎆花火", "🎇", false},
		{"emoji with a variation selector", "", "ありがとう❤️", "❤", true},
		{"astral kanji", "", "𠮷野家に行った", "𠮷野", true},
		{"astral kanji is not its BMP look-alike", "", "吉野家に行った", "𠮷野", false},
	} {
		if got := found(tc.title, tc.body, tc.q); got != tc.want {
			t.Errorf("%s: %q in %q/%q = %v, want %v", tc.name, tc.q, tc.title, tc.body, got, tc.want)
		}
	}
}

func TestQueryGramsNothingToSearch(t *testing.T) {
	t.Parallel()
	for _, q := range []string{"", " ", "\u3000\t\n", "、。！？", "・・・", "---", "「」（）"} {
		if g, ok := db.QueryGrams(q); ok || len(g) != 0 {
			t.Errorf("QueryGrams(%q) = %v, %v; want nothing", q, g, ok)
		}
	}
}

func TestGramsEncoding(t *testing.T) {
	t.Parallel()
	bi := func(a, b rune) int32 { return int32(uint32(a)<<16 | uint32(b)) }
	for _, tc := range []struct {
		q    string
		want []int32
	}{
		{"祭", []int32{'祭'}},
		{"清掃", []int32{bi('清', '掃')}},
		{"まつり", []int32{bi('ツ', 'リ'), bi('マ', 'ツ')}},
		{"a 駅前", []int32{bi('駅', '前'), 'a'}}, // 駅 >= U+8000: a negative int32
	} {
		if got, ok := db.QueryGrams(tc.q); !ok || !slices.Equal(got, tc.want) {
			t.Errorf("QueryGrams(%q) = %x, %v; want %x", tc.q, got, ok, tc.want)
		}
	}
	if got := db.SearchGrams("ab", "ab b"); !slices.Equal(got, []int32{'a', 'b', bi('a', 'b')}) {
		t.Errorf("SearchGrams(ab, ab b) = %x", got)
	}
	if g := db.SearchGrams("", "。"); g == nil || len(g) != 0 {
		t.Errorf("SearchGrams of nothing = %#v, want an empty, non-nil slice (the column is NOT NULL)", g)
	}

	// Astral runes fold into the Private Use Area: a unigram, never a bigram.
	g, _ := db.QueryGrams("🎆")
	if len(g) != 1 || g[0] < 0xE000 || g[0] > 0xF8FF {
		t.Errorf("QueryGrams(🎆) = %x, want one gram in U+E000–U+F8FF", g)
	}

	// Sorted and distinct; every unigram below 0x10000, every bigram at or
	// above it (as unsigned), so the two never collide.
	grams := db.SearchGrams("防災訓練のお知らせ", "ＡＢＣ、ａｂｃ！ まつり🎆マツリ 𠮷野家")
	if !slices.IsSorted(grams) || len(slices.Compact(slices.Clone(grams))) != len(grams) {
		t.Errorf("not sorted and distinct: %x", grams)
	}
	var uni, bis int
	for _, x := range grams {
		if uint32(x) < 0x10000 {
			uni++
		} else {
			bis++
		}
	}
	// Unigrams: 防災訓練のお知らせ 9, abc 3, マツリ🎆 4, 𠮷野家 3.
	// Bigrams: 8, 2, 4 (マツ ツリ リ🎆 🎆マ), 2.
	if uni != 19 || bis != 16 {
		t.Errorf("%d unigrams, %d bigrams in %x; want 19 and 16", uni, bis, grams)
	}
}

// Text of only kana, kanji, ASCII and common punctuation skips NFKC; adding
// a full-width "！" forces it, and must not change the grams.
func TestGramsSkipNFKCOnlyWhenStable(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"毎月第2土曜日の朝9時から、駅周辺の清掃活動をしています。",
		"ヴァイオリン・ゔぁいおりん「ヷ」ABC abc",
		"か\u3099", // か + combining dakuten composes to が
	} {
		if a, b := db.SearchGrams("", s), db.SearchGrams("", s+"！"); !slices.Equal(a, b) {
			t.Errorf("%q: %x without NFKC, %x with", s, a, b)
		}
	}
	if !found("", "が", "か\u3099") {
		t.Error("か with a combining dakuten does not find が")
	}
}

func BenchmarkSearchGrams(b *testing.B) {
	body := "西新宿の清掃ボランティアを募集しています。毎月第2土曜日の朝9時から、駅周辺の清掃活動をしています。" +
		"軍手とごみ袋はこちらで用意しますので、手ぶらでご参加いただけます。\n短時間だけの参加でも大歓迎です。"
	for b.Loop() {
		db.SearchGrams("西新宿清掃ボランティア募集", body)
	}
}
