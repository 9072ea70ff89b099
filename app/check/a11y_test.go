package check

import (
	"reflect"
	"testing"
)

// Accessibility checks on real Japanese text.

func TestImageAlt(t *testing.T) {
	runCases(t, ImageAlt, contact, []checkCase{
		{"Markdown image without alt", "地図です。\n\n![](/files/3/map.png)", []got{{"a11y.img_alt", Error, 7, 28, "![](/files/3/map.png)"}}},
		{"alt of spaces", "![ ](/files/3/map.png)", []got{{"a11y.img_alt", Error, 0, 22, "![ ](/files/3/map.png)"}}},
		{"HTML img without alt", "<img src=\"/files/3/map.png\">", []got{{"a11y.img_alt", Error, 0, 28, "<img src=\"/files/3/map.png\">"}}},
		{"HTML img with empty alt", "<img src=\"/files/3/line.png\" alt=\"\">", []got{{"a11y.img_alt", Warning, 0, 36, "<img src=\"/files/3/line.png\" alt=\"\">"}}},
		{"linked image without alt", "[![](/files/3/banner.png)](/events)", []got{{"a11y.img_alt", Error, 1, 25, "![](/files/3/banner.png)"}}},
		{"Markdown image with alt", "![会場の地図](/files/3/map.png)", nil},
		{"HTML img with alt", "<img src=\"/files/3/map.png\" alt=\"会場の地図\">", nil},
		{"image syntax in code", "`![](x.png)` と書くと画像になります", nil},
	})
}

func TestHeadings(t *testing.T) {
	runCases(t, Headings, contact, []checkCase{
		{"skipped level", "# 概要\n\n本文\n\n### 詳細\n\n本文", []got{{"a11y.heading_skip", Warning, 10, 16, "### 詳細"}}},
		{"## then ####", "# 概要\n\n## 対象\n\n#### 所得の条件", []got{{"a11y.heading_skip", Warning, 13, 23, "#### 所得の条件"}}},
		// app/markup renders # as h2 below the page title (h1), so ## as the
		// first heading renders h3 and skips h2.
		{"## as the first heading renders h3 after the title", "## 申請方法\n\n本文", []got{{"a11y.heading_skip", Warning, 0, 7, "## 申請方法"}}},
		{"setext heading", "概要\n====\n\n#### 詳細", []got{{"a11y.heading_skip", Warning, 9, 16, "#### 詳細"}}},
		{"HTML heading", "<h2>概要</h2><h4>詳細</h4>", []got{{"a11y.heading_skip", Warning, 11, 22, "<h4>詳細</h4>"}}},
		{"in order", "# 概要\n\n## 対象\n\n### 条件\n\n# 申請", nil},
		{"going back up", "# 概要\n\n## 対象\n\n### 条件\n\n## 金額\n\n# 申請", nil},
		{"a hash in code", "```\n# 概要\n### 詳細\n```", nil},
		{"no headings", "本文だけのページです。", nil},
	})
}

func TestLinkText(t *testing.T) {
	runCases(t, LinkText, contact, []checkCase{
		{"こちら", "申請書は[こちら](/files/1/form.pdf)（PDF 120KB）", []got{{"a11y.link_text", Warning, 4, 28, "[こちら](/files/1/form.pdf)"}}},
		{"ここ", "[ここ](/events/3)をクリック", []got{{"a11y.link_text", Warning, 0, 15, "[ここ](/events/3)"}}},
		{"詳しくはこちら", "[詳しくはこちら](/notices/5)", []got{{"a11y.link_text", Warning, 0, 21, "[詳しくはこちら](/notices/5)"}}},
		{"click here", "[Click here](/en/events)", []got{{"a11y.link_text", Warning, 0, 24, "[Click here](/en/events)"}}},
		{"in brackets", "[【こちら】](/notices/5)", []got{{"a11y.link_text", Warning, 0, 19, "[【こちら】](/notices/5)"}}},
		{"HTML link", "<a href=\"/notices/5\">こちら</a>", []got{{"a11y.link_text", Warning, 0, 28, "<a href=\"/notices/5\">こちら</a>"}}},
		{"reference link", "[こちら][申請]\n\n[申請]: /files/1/form.pdf", []got{{"a11y.link_text", Warning, 0, 9, "[こちら][申請]"}}},
		{"no text", "[](/notices/5)", []got{{"a11y.link_text", Error, 0, 14, "[](/notices/5)"}}},
		{"descriptive text", "[申請書の様式](/notices/5)", nil},
		{"こちら in a sentence", "[申請書のダウンロードはこちら](/notices/5)", nil},
		{"a linked image's alt is its text", "[![申請の流れ](/files/1/flow.png)](/notices/5)", nil},
		{"a bare address", "https://www.city.tokyo-nakano.lg.jp/ をご覧ください", nil},
	})
}

func TestTableHeaders(t *testing.T) {
	runCases(t, TableHeaders, contact, []checkCase{
		{"HTML table without th", "<table>\n<tr><td>上限</td><td>5万円</td></tr>\n</table>", []got{{"a11y.table_header", Error, 0, 7, "<table>"}}},
		{"HTML table with th", "<table><tr><th>項目</th><th>金額</th></tr><tr><td>上限</td><td>5万円</td></tr></table>", nil},
		{"Markdown table", "| 項目 | 金額 |\n|---|--:|\n| 上限 | 5万円 |", nil},
		{"nested: the inner table has no th", "<table><tr><th>a</th><td><table class=\"x\"><tr><td>b</td></tr></table></td></tr></table>", []got{{"a11y.table_header", Error, 25, 42, "<table class=\"x\">"}}},
	})
}

func TestHalfWidthKana(t *testing.T) {
	runCases(t, HalfWidthKana, contact, []checkCase{
		{"half-width katakana", "ﾎﾞﾗﾝﾃｨｱ募集", []got{{"a11y.halfwidth_kana", Warning, 0, 7, "ﾎﾞﾗﾝﾃｨｱ"}}},
		{"two runs", "ｲﾍﾞﾝﾄとｾﾐﾅｰ", []got{{"a11y.halfwidth_kana", Warning, 0, 5, "ｲﾍﾞﾝﾄ"}, {"a11y.halfwidth_kana", Warning, 6, 10, "ｾﾐﾅｰ"}}},
		{"full-width katakana", "ボランティア募集", nil},
	})
}

func TestMachineDependent(t *testing.T) {
	runCases(t, MachineDependent, contact, []checkCase{
		{"circled numbers", "①受付 ②説明", []got{{"a11y.machine_char", Warning, 0, 1, "①"}, {"a11y.machine_char", Warning, 4, 5, "②"}}},
		{"company mark", "㈱中野商事", []got{{"a11y.machine_char", Warning, 0, 1, "㈱"}}},
		{"era", "㍻31年", []got{{"a11y.machine_char", Warning, 0, 1, "㍻"}}},
		{"unit", "約3㌔の道のり", []got{{"a11y.machine_char", Warning, 2, 3, "㌔"}}},
		{"roman numeral", "第Ⅰ期", []got{{"a11y.machine_char", Warning, 1, 2, "Ⅰ"}}},
		{"square metres", "50㎡の会議室", []got{{"a11y.machine_char", Warning, 2, 3, "㎡"}}},
		{"a run", "手順①②③", []got{{"a11y.machine_char", Warning, 2, 5, "①②③"}}},
		{"plain text", "(1)受付 (株)中野商事 平成31年 約3キロ 第I期", nil},
	})
}

func TestSpacedWords(t *testing.T) {
	runCases(t, SpacedWords, contact, []checkCase{
		{"氏　名", "氏　名：", []got{{"a11y.spaced_word", Warning, 0, 3, "氏　名"}}},
		{"住 所 with a half-width space", "住 所 中野区", []got{{"a11y.spaced_word", Warning, 0, 3, "住 所"}}},
		{"four characters", "申　込　方　法", []got{{"a11y.spaced_word", Warning, 0, 7, "申　込　方　法"}}},
		{"two spaces", "日　　時", []got{{"a11y.spaced_word", Warning, 0, 4, "日　　時"}}},
		{"in a table", "| 氏　名 | 住　所 |\n|---|---|\n| 記入 | 記入 |", []got{{"a11y.spaced_word", Warning, 2, 5, "氏　名"}, {"a11y.spaced_word", Warning, 8, 11, "住　所"}}},
		{"words separated", "担当 佐藤", nil},
		{"a one-character surname and a given name", "林 太郎", nil},
		{"a word and a number", "第 1 回", nil},
		{"after punctuation", "以上。 次に", nil},
		{"between phrases", "区民活動推進課 地域活動係", nil},
	})
}

func TestDates(t *testing.T) {
	runCases(t, Dates, contact, []checkCase{
		{"month and day", "締切は1/20です", []got{{"a11y.date", Warning, 3, 7, "1/20"}}},
		{"full width", "１２／２８から", []got{{"a11y.date", Warning, 0, 5, "１２／２８"}}},
		{"with a weekday", "12/28（土）から1/3（金）まで", nil},
		{"with a weekday in words", "1/20 月曜日まで", nil},
		{"with a year", "2026/1/20", nil},
		{"a fraction of a page", "1/2ページ", nil},
		{"not a month", "24/7対応", nil},
		{"in an address", "[資料](/files/1/2)", nil},
	})
}

func TestColourCues(t *testing.T) {
	runCases(t, ColourCues, contact, []checkCase{
		{"赤字の項目", "赤字の項目は必ず記入してください", []got{{"a11y.colour", Warning, 0, 5, "赤字の項目"}}},
		{"赤色で示した", "赤色で示した区域が対象です", []got{{"a11y.colour", Warning, 0, 4, "赤色で示"}}},
		{"青いボタン", "青いボタンを押してください", []got{{"a11y.colour", Warning, 0, 5, "青いボタン"}}},
		{"緑色の部分", "地図の緑色の部分が公園です", []got{{"a11y.colour", Warning, 3, 8, "緑色の部分"}}},
		{"色のついた欄", "色のついた欄に記入", []got{{"a11y.colour", Warning, 0, 6, "色のついた欄"}}},
		{"a deficit", "財政の赤字が続いています", nil},
		{"a colour as a subject", "秋には紅葉で山が赤く染まります", nil},
		{"a place", "青葉公園、黒川", nil},
	})
}

func TestAttachments(t *testing.T) {
	runCases(t, Attachments, contact, []checkCase{
		{"a PDF without a label", "[申請書](/files/1/form.pdf)をご記入ください", []got{{"a11y.attachment", Warning, 0, 24, "[申請書](/files/1/form.pdf)"}}},
		{"an attachment without an extension", "[申請書](/files/1/form)", []got{{"a11y.attachment", Warning, 0, 20, "[申請書](/files/1/form)"}}},
		{"a Word file elsewhere", "[様式](https://www.city.tokyo-nakano.lg.jp/a.docx)", []got{{"a11y.attachment", Warning, 0, 48, "[様式](https://www.city.tokyo-nakano.lg.jp/a.docx)"}}},
		{"type without size", "[申請書（PDF）](/files/1/form.pdf)", []got{{"a11y.attachment", Warning, 0, 29, "[申請書（PDF）](/files/1/form.pdf)"}}},
		{"label in the link text", "[申請書（PDF 120KB）](/files/1/form.pdf)", nil},
		{"label after the link", "[申請書](/files/1/form.pdf)（PDF形式：1.2MB）", nil},
		{"Excel", "[名簿の様式（Excel 45KB）](/files/1/list.xlsx)", nil},
		{"an image is not an attachment", "[地図](/files/1/map.png)", nil},
		{"a page", "[申請の流れ](/notices/5)", nil},
	})
}

func TestSuggestions(t *testing.T) {
	for _, tc := range []struct {
		body string
		c    Checker
		want []string
	}{
		{"ﾎﾞﾗﾝﾃｨｱ ｶﾞｲﾄﾞ", HalfWidthKana, []string{"ボランティア", "ガイド"}},
		{"①②③ ㈱ ㍻ ㌔ Ⅰ ㎡ ⑴", MachineDependent, []string{"(1)(2)(3)", "(株)", "平成", "キロ", "I", "平方メートル", "(1)"}},
		{"氏　名、申 込 方 法", SpacedWords, []string{"氏名", "申込方法"}},
		{"1/2 １２／２８ 03/05", Dates, []string{"1月2日", "12月28日", "3月5日"}},
	} {
		var got []string
		for _, p := range Run(Input{Body: tc.body}, tc.c) {
			got = append(got, p.Args["Suggest"].(string))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: suggestions %q, want %q", tc.body, got, tc.want)
		}
	}
}

func TestHeadingArgs(t *testing.T) {
	ps := Run(Input{Body: "# 概要\n\n### 詳細"}, Headings)
	if len(ps) != 1 || ps[0].Args["Level"] != 4 || ps[0].Args["Previous"] != 2 || ps[0].Args["Suggest"] != 3 {
		t.Errorf("got %+v", ps)
	}
}

func TestAttachmentType(t *testing.T) {
	for dest, want := range map[string]string{"/files/1/a.pdf": "PDF", "/files/1/a.XLSX": "Excel", "/files/1/a": "",
		"/leave?to=https%3A%2F%2Fexample.jp%2Fb.docx": "Word"} {
		ps := Run(Input{Body: "[様式](" + dest + ")"}, Attachments)
		if len(ps) != 1 || ps[0].Args["Type"] != want {
			t.Errorf("%s: got %+v, want type %q", dest, ps, want)
		}
	}
}
