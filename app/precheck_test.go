package app

import (
	"fmt"
	"strings"
	"testing"
)

func TestPrecheckFlags(t *testing.T) {
	t.Parallel()
	words := []string{"ネズミ講"}
	for _, c := range []struct{ text, want string }{
		{"日曜の朝に公園を清掃します。", "[]"},
		{"連絡は03-1234-5678へ", "[{phone 03-1234-5678}]"},
		{"taro@example.jp まで", "[{email taro@example.jp}]"},
		{"詳しくは https://www.example.jp/a/0312345678 を", "[{link https://www.example.jp/a/0312345678}]"},
		{"ねずみこうではなくねずみ講の話", "[{word ネズミ講}]"},
		{"当日は山田太郎さんが受付をします。", "[{name 山田太郎さん}]"},
	} {
		if got := fmt.Sprint(precheck(c.text, words)); got != c.want {
			t.Errorf("precheck(%q) = %s, want %s", c.text, got, c.want)
		}
	}
}

// A resident's post naming a person and giving an e-mail address reaches
// the queue (flags never block) with both flags for the moderator.
func TestPrecheckFlagsInModerationQueue(t *testing.T) {
	t.Parallel()
	b := newBoardEnv(t)
	id := b.postTopic(b.alice, "落とし物", "山田太郎さんの財布を預かっています。hanako@example.jp まで")
	itemID, _ := b.item(b.mod1, id)
	flags := b.mod1.get("/moderation").Doc.Find(fmt.Sprintf("#item-%d .flags", itemID))
	text := flags.Text()
	for _, want := range []string{"人名", "山田太郎", "メールアドレス", "hanako@example.jp"} {
		if !strings.Contains(text, want) {
			t.Errorf("the queue's flags %q lack %q", text, want)
		}
	}
}
