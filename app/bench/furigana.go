package bench

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/wardportal/portal/app/furigana"
)

// furiganaRunes is the length of the notice the furigana scenario reads.
const furiganaRunes = 10000

// furiganaNotice is a ward notice of furiganaRunes characters of prose,
// the text a resident asks ふりがな for.
func furiganaNotice() string {
	var b strings.Builder
	for i := 0; utf8.RuneCountInString(b.String()) < furiganaRunes; i++ {
		fmt.Fprintf(&b, "第%d回 地域防災訓練のお知らせ。区では、震災に備えて各地域の避難所で防災訓練を実施します。"+
			"当日は消火器の使い方や応急手当、避難所の開設手順を体験できます。参加を希望する方は、区民活動センターの窓口で申し込んでください。"+
			"雨天の場合は中止し、区のホームページでお知らせします。\n", i+1)
	}
	return string([]rune(b.String())[:furiganaRunes])
}

// runFurigana measures the ふりがな rendering of a 10,000-character notice
// with nothing cached, one run at a time; furigana_ms is its median (goal:
// under 20 ms).
func runFurigana(_ context.Context, env *Env) ([]Figure, error) {
	text := furiganaNotice()
	a := furigana.New(0) // no cache: every run analyses the whole notice
	a.Warm()
	var out string
	lat, err := env.oneAtATime(func(int) error {
		out = a.Text(text)
		if !strings.Contains(out, "<rt>") {
			return fmt.Errorf("furigana: no ruby in the annotated notice")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	st := Summarize(lat)
	env.Logf("furigana: %d runs over %d characters (%d readings each), p50 %s, p99 %s (goal: < 20 ms)",
		st.N, utf8.RuneCountInString(text), strings.Count(out, "<rt>"), st.P50, st.P99)
	return []Figure{
		Millis("furigana_ms", st.P50),
		Millis("furigana_p99_ms", st.P99),
	}, nil
}
