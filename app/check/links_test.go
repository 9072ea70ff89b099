package check

import (
	"reflect"
	"testing"
)

// contact approves www.city.tokyo-nakano.lg.jp exactly and every host under
// metro.tokyo.lg.jp; the portal itself is portal.example.jp.
func TestOutbound(t *testing.T) {
	runCases(t, Outbound, contact, []checkCase{
		{"a site without a link request", "詳しくは[防災の手引き](https://example.com/bousai)をご覧ください", []got{{"link.outbound", Error, 4, 40, "[防災の手引き](https://example.com/bousai)"}}},
		{"a bare address", "https://example.com/x をご覧ください", []got{{"link.outbound", Error, 0, 21, "https://example.com/x"}}},
		{"a bare www address", "www.example.org/a/b を参照", []got{{"link.outbound", Error, 0, 19, "www.example.org/a/b"}}},
		{"an autolink", "<https://example.net/>", []got{{"link.outbound", Error, 0, 22, "<https://example.net/>"}}},
		{"a reference definition", "[資料][ref]\n\n[ref]: https://example.org/", []got{{"link.outbound", Error, 11, 38, "[ref]: https://example.org/"}}},
		{"an HTML link", "<a href=\"https://example.com/\">例</a>", []got{{"link.outbound", Error, 0, 36, "<a href=\"https://example.com/\">例</a>"}}},
		{"a protocol-relative address", "[資料](//example.com/a)", []got{{"link.outbound", Error, 0, 21, "[資料](//example.com/a)"}}},
		{"already through /leave", "[資料](/leave?to=https%3A%2F%2Fexample.com%2F)", []got{{"link.outbound", Error, 0, 44, "[資料](/leave?to=https%3A%2F%2Fexample.com%2F)"}}},
		{"a signed /leave link names its to=", "[資料](/leave?to=https%3A%2F%2Fexample.com%2F&sig=abc)", []got{{"link.outbound", Error, 0, 52, "[資料](/leave?to=https%3A%2F%2Fexample.com%2F&sig=abc)"}}},
		{"a signed /leave link to an approved host", "[区](/leave?to=https%3A%2F%2Fwww.city.tokyo-nakano.lg.jp%2F&sig=abc)", nil},
		{"trailing punctuation is not the address", "（https://example.com/a）。", []got{{"link.outbound", Error, 1, 22, "https://example.com/a"}}},
		{"a subdomain of an exact approval", "[別サーバ](https://sub.city.tokyo-nakano.lg.jp/)", []got{{"link.outbound", Error, 0, 44, "[別サーバ](https://sub.city.tokyo-nakano.lg.jp/)"}}},
		{"an approved host in the query", "https://evil.example/?u=www.city.tokyo-nakano.lg.jp", []got{{"link.outbound", Error, 0, 51, "https://evil.example/?u=www.city.tokyo-nakano.lg.jp"}}},
		{"an approved host as a prefix", "https://www.city.tokyo-nakano.lg.jp.evil.example/", []got{{"link.outbound", Error, 0, 49, "https://www.city.tokyo-nakano.lg.jp.evil.example/"}}},
		{"approved exactly", "[区のページ](https://www.city.tokyo-nakano.lg.jp/a)", nil},
		{"approved in capitals with a port", "https://WWW.City.Tokyo-Nakano.lg.jp:443/", nil},
		{"under an approved suffix", "[都の防災](https://www.bousai.metro.tokyo.lg.jp/)", nil},
		{"the suffix's own host", "[東京都](https://metro.tokyo.lg.jp/)", nil},
		{"a path of the portal", "[イベント](/events/3)", nil},
		{"the portal's host", "[イベント](https://portal.example.jp/events/3)", nil},
		{"phone and mail links", "[電話](tel:03-3389-1111) [メール](mailto:chiiki@city.tokyo-nakano.lg.jp)", nil},
		{"an address in code", "`https://example.com` と入力します", nil},
		{"an e-mail address is not a link", "chiiki@www.city.tokyo-nakano.lg.jp", nil},
	})
}

func TestOutboundNamesTheHost(t *testing.T) {
	ps := Run(Input{Title: "https://example.com/ の案内", Body: "[a](https://Example.ORG./x)"}, Outbound)
	if len(ps) != 2 || ps[0].Field != FieldTitle || ps[0].Args["Host"] != "example.com" || ps[1].Args["Host"] != "example.org" {
		t.Errorf("got %+v", ps)
	}
}

func TestHostAllowed(t *testing.T) {
	list := []string{"example.jp", ".lg.jp", "https://www.example.com/path", " "}
	for host, want := range map[string]bool{
		"example.jp": true, "www.example.jp": false, "city.tokyo-nakano.lg.jp": true, "lg.jp": true,
		"www.example.com": true, "example.com": false, "notlg.jp": false,
	} {
		if got := hostAllowed(host, list, true); got != want {
			t.Errorf("hostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
	if hostAllowed("www.lg.jp", []string{".lg.jp"}, false) {
		t.Error("the portal's own hosts match exactly")
	}
}

// TestWords mirrors db/flags_test.go's dictionary cases: the same words
// match the same text (width, case and kana folded), now with positions.
func TestWords(t *testing.T) {
	runCases(t, Words("ばか", "ＮＧワード", "ねずみこう"), Allowances{}, []checkCase{
		{"nothing listed", "日曜に公園を清掃します。", nil},
		{"katakana and hiragana", "このバカ、ばかだ。ng ワード", []got{{"word.listed", Warning, 2, 4, "バカ"}, {"word.listed", Warning, 5, 7, "ばか"}}},
		{"full-width listed word", "ngワードです", []got{{"word.listed", Warning, 0, 5, "ngワード"}}},
		{"half-width katakana with a voiced mark", "これはﾈｽﾞﾐこうです", []got{{"word.listed", Warning, 3, 9, "ﾈｽﾞﾐこう"}}},
	})
}

func TestWordsArgsAndTitle(t *testing.T) {
	ps := Run(Input{Title: "ネズミコウのお知らせ", Body: "ねずみこう"}, Words("ねずみこう", " ", ""))
	var got []string
	for _, p := range ps {
		got = append(got, string(p.Field)+":"+p.Excerpt+":"+p.Args["Word"].(string))
	}
	if want := []string{"title:ネズミコウ:ねずみこう", "body:ねずみこう:ねずみこう"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if ps := Run(Input{Body: "本文"}, Words()); len(ps) != 0 {
		t.Errorf("no words: %v", ps)
	}
}
