package db

import (
	"fmt"
	"testing"
)

func TestCheckText(t *testing.T) {
	t.Parallel()
	words := []string{"ばか", "ＮＧワード", "ねずみこう"}
	cases := []struct {
		text string
		want string
	}{
		{"日曜に公園を清掃します。", "[]"},
		{"連絡は03-1234-5678まで", "[{phone 03-1234-5678}]"},
		{"携帯０９０（１２３４）５６７８へ", "[{phone 090(1234)5678}]"},
		{"090ー1234ー5678", "[{phone 090ー1234ー5678}]"},
		{"参加者20名、2026年11月23日10時", "[]"},
		{"taro@example.jp へ", "[{email taro@example.jp}]"},
		{"新宿区西新宿二丁目8番1号です", "[{address 二丁目8番1号}]"},
		{"歌舞伎町1-2-3に集合", "[{address 町1-2-3}]"},
		{"大字上野123番地", "[{address 123番地}]"},
		{"詳しくは https://example.com/a?b=1 を", "[{link https://example.com/a?b=1}]"},
		{"www.example.org/03-1234-5678 参照", "[{link www.example.org/03-1234-5678}]"},
		{"このバカ、ばかだ。ng ワード", "[{word ばか}]"},
		{"ngワードです", "[{word ＮＧワード}]"},
		{"これはﾈｽﾞﾐこうです", "[{word ねずみこう}]"},
	}
	for _, c := range cases {
		if got := fmt.Sprint(CheckText(c.text, words)); got != c.want {
			t.Errorf("CheckText(%q) = %s, want %s", c.text, got, c.want)
		}
	}
}
