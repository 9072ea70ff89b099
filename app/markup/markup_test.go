package markup

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"heading shifts below the page title", "# 申請方法\n\n本文", "<h2>申請方法</h2>\n<p>本文</p>\n"},
		{"raw HTML is dropped", "<script>alert(1)</script>\n\n段落<b onclick=x>太字</b>", "<p>段落太字</p>\n"},
		{"javascript link loses its href", "[押す](javascript:alert(1))", "<p>押す</p>\n"},
		{"outbound link goes through /leave", "[区の公式](https://www.city.example.jp/a?b=1)",
			`<p><a href="/leave?to=https%3A%2F%2Fwww.city.example.jp%2Fa%3Fb%3D1">区の公式</a></p>` + "\n"},
		{"site link stays", "[イベント](/events/3)", `<p><a href="/events/3">イベント</a></p>` + "\n"},
		{"tel link stays", "[電話](tel:03-1234-5678)", `<p><a href="tel:03-1234-5678">電話</a></p>` + "\n"},
		{"table", "|項目|金額|\n|---|--:|\n|上限|5万円|", "<table>\n<thead>\n<tr>\n<th>項目</th>\n<th align=\"right\">金額</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>上限</td>\n<td align=\"right\">5万円</td>\n</tr>\n</tbody>\n</table>\n"},
		{"image keeps alt and loads lazily", "![地図](/files/3/map.png)", `<p><img src="/files/3/map.png" alt="地図" loading="lazy"></p>` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Render(tc.in); got != tc.want {
				t.Errorf("Render(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRenderAutolink(t *testing.T) {
	got := Render("詳しくは https://example.org/x をご覧ください")
	if !strings.Contains(got, `href="/leave?to=https%3A%2F%2Fexample.org%2Fx"`) || !strings.Contains(got, ">https://example.org/x</a>") {
		t.Errorf("autolink: %q", got)
	}
}

func TestExternalLinks(t *testing.T) {
	got := ExternalLinks("[a](https://a.example/) [b](/local) https://b.example/p [c](https://a.example/) [d](mailto:x@y.jp)")
	if strings.Join(got, " ") != "https://a.example/ https://b.example/p" {
		t.Errorf("ExternalLinks = %v", got)
	}
}

func TestWithoutImages(t *testing.T) {
	in := Render("避難所の地図です。\n\n![地図](/files/3/map.png)\n\n[一覧](/facilities)")
	want := "<p>避難所の地図です。</p>\n<p></p>\n<p><a href=\"/facilities\">一覧</a></p>\n"
	if got := WithoutImages(in); got != want {
		t.Errorf("WithoutImages(%q)\n got %q\nwant %q", in, got, want)
	}
}
