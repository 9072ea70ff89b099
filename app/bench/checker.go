package bench

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/wardportal/portal/app/check"
)

// checkerPageRunes is the size of the page the checker scenario checks.
const checkerPageRunes = 20000

// checkerSections are the parts a long ward page is made of: headings,
// prose with dates, places and contact details, lists, a table, links
// (some with vague text), an attachment, a staff contact block. Each
// carries some of what the checks look for, as real drafts do.
var checkerSections = []string{
	"## %d. 事業の概要\n\n中野区では、令和7年度も地域の子育て支援事業を実施します。対象は区内在住の未就学児とその保護者で、" +
		"各地域の区民活動センターを会場に、年間を通じて親子の交流や育児相談の場を設けます。参加費は無料です。" +
		"詳しくは[こちら](https://www.example.jp/kosodate/%d)をご覧ください。\n\n",
	"### 申込方法\n\n1. 申込書に必要事項を記入してください。\n2. 窓口または郵送で子ども家庭支援課へ提出してください。\n" +
		"3. 受付後、10日以内に結果を通知します。\n\n申込期間は4月1日から5月31日まで（土日祝日を除く）です。" +
		"締切を過ぎた申込は受け付けません。ご不明な点は03-3228-%04dまでお問い合わせください。\n\n",
	"| 会場 | 日時 | 定員 |\n|---|---|---|\n| 野方区民活動センター | 毎月第2水曜 10時〜12時 | 20組 |\n" +
		"| 江古田区民活動センター | 毎月第4金曜 14時〜16時 | 15組 |\n| 上高田区民活動センター | 毎月第1月曜 10時〜11時30分 | 10組 |\n\n",
	"昨年度の参加者からは「子どもの成長について気軽に相談できた」「地域に知り合いが増えた」などの声が寄せられました。" +
		"当日は山田花子さん（子育てサポーター）が受付をします。連絡先は kosodate%d@example.jp です。" +
		"会場へは中野駅北口からバスで約10分、「野方一丁目2番3号」付近で下車してください。赤字の項目は必ず記入してください。\n\n",
	"![会場の地図](/files/map-%d.png)\n\n申込書は[申込書（PDF）](/files/apply-%d.pdf)からダウンロードできます。" +
		"ｶﾀｶﾅの表記や①②のような丸数字、㈱などの機種依存文字は使わないでください。氏　名の欄は楷書で記入します。\n\n",
	"#### お問い合わせ\n\n子ども家庭支援課 子育て支援係\n電話：03-3228-5521　ファクス：03-3228-5659\n" +
		"メール：kosodate@city.example.lg.jp\n受付時間：平日8時30分から17時まで（1/2は休み）\n\n",
}

// checkerPage is a realistic Japanese ward page of at least
// checkerPageRunes characters in Markdown, as an editor writes one.
func checkerPage() string {
	var b strings.Builder
	b.WriteString("# 令和7年度 子育て支援事業のご案内\n\n")
	for i := 0; utf8.RuneCountInString(b.String()) < checkerPageRunes; i++ {
		s := checkerSections[i%len(checkerSections)]
		n := strings.Count(s, "%")
		args := make([]any, n)
		for j := range args {
			args[j] = i + 1
		}
		fmt.Fprintf(&b, s, args...)
	}
	return b.String()
}

// checkerInput is the page with what an approver's screen passes along:
// the division's contact block and an approved domain.
func checkerInput() check.Input {
	return check.Input{
		Title: "令和7年度 子育て支援事業のご案内",
		Body:  checkerPage(),
		Kind:  "notice",
		Allowed: check.Allowances{
			Phones:  []string{"03-3228-5521", "03-3228-5659"},
			Emails:  []string{"kosodate@city.example.lg.jp"},
			Domains: []string{".example.jp"},
		},
	}
}

// runChecker measures check.Run with every default check plus the board's
// dictionary on a 20,000-character page, one run at a time, as the live
// check in the editor runs it. The goal is a p99 under 50 ms.
func runChecker(_ context.Context, env *Env) ([]Figure, error) {
	in := checkerInput()
	checks := append(check.All(), check.Words("ネズミ講", "マルチ商法", "必ず儲かる"))
	check.Warm()
	var problems int
	lat, err := env.oneAtATime(func(int) error {
		problems = len(check.Run(in, checks...))
		if problems == 0 {
			return fmt.Errorf("the checks found nothing on a page made to hold problems")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	st := Summarize(lat)
	env.Logf("checker: %d runs over %d characters (%d problems each), p50 %s, p99 %s, max %s (goal: p99 < 50 ms)",
		st.N, utf8.RuneCountInString(in.Body), problems, st.P50, st.P99, st.Max)
	return []Figure{
		Millis("checker_p99", st.P99),
		Millis("checker_p50", st.P50),
	}, nil
}
