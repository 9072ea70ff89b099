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

func TestLabelFiles(t *testing.T) {
	labels := map[int64]string{12: "PDF 245KB", 3: "Word 1.2MB", 4: "JPEG 80KB"}
	lookup := func(id int64) (string, bool) { l, ok := labels[id]; return l, ok }
	for _, tc := range []struct{ name, in, want string }{
		{"a PDF link gets its label", "[申請書](/files/12/申請書.pdf)",
			`<p><a href="/files/12/%E7%94%B3%E8%AB%8B%E6%9B%B8.pdf">申請書（PDF 245KB）</a></p>` + "\n"},
		{"the pasted snippet is not labelled twice", "[様式（Word 1.2MB）](/files/3/a.docx) と [様式](/files/3/a.docx)",
			`<p><a href="/files/3/a.docx">様式（Word 1.2MB）</a> と <a href="/files/3/a.docx">様式（Word 1.2MB）</a></p>` + "\n"},
		{"emphasis inside the link", "[**重要** 案内](/files/12/a.pdf)",
			`<p><a href="/files/12/a.pdf"><strong>重要</strong> 案内（PDF 245KB）</a></p>` + "\n"},
		{"an image is not labelled", "![写真](/files/4/a.jpg)", `<p><img src="/files/4/a.jpg" alt="写真" loading="lazy"></p>` + "\n"},
		{"a linked image alone is not labelled", "[![写真](/files/4/a.jpg)](/files/4/a.jpg)",
			`<p><a href="/files/4/a.jpg"><img src="/files/4/a.jpg" alt="写真" loading="lazy"></a></p>` + "\n"},
		{"an unknown file is left alone", "[古い](/files/99/x.pdf)", `<p><a href="/files/99/x.pdf">古い</a></p>` + "\n"},
		{"id 1 is not id 12", "[別](/files/1/x.pdf) [/files/12 ではない](/filesx/12/a)",
			`<p><a href="/files/1/x.pdf">別</a> <a href="/filesx/12/a">/files/12 ではない</a></p>` + "\n"},
		{"other links and text stay byte for byte", "# 見出し\n\n[外](https://example.org/) & <b>x</b> \"引用\"",
			Render("# 見出し\n\n[外](https://example.org/) & <b>x</b> \"引用\"")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := LabelFiles(Render(tc.in), lookup); got != tc.want {
				t.Errorf("LabelFiles(Render(%q))\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
	ids := FileIDs(Render("[a](/files/12/a.pdf) ![b](/files/4/b.png) [c](/files/12/a.pdf) [d](/files/3/d.docx) [e](/events/1)"))
	if len(ids) != 2 || ids[0] != 12 || ids[1] != 3 {
		t.Errorf("FileIDs = %v, want [12 3] (links only, each once)", ids)
	}
}

func TestWithoutImages(t *testing.T) {
	in := Render("避難所の地図です。\n\n![地図](/files/3/map.png)\n\n[一覧](/facilities)")
	want := "<p>避難所の地図です。</p>\n<p></p>\n<p><a href=\"/facilities\">一覧</a></p>\n"
	if got := WithoutImages(in); got != want {
		t.Errorf("WithoutImages(%q)\n got %q\nwant %q", in, got, want)
	}
}

func TestLeaveSigned(t *testing.T) {
	sign := func(dest string) string { return "S(" + dest + ")" }
	r := Renderer{Sign: sign}
	for _, tc := range []struct{ name, in, want string }{
		{"signed", "https://example.org/a?b=1", "/leave?to=https%3A%2F%2Fexample.org%2Fa%3Fb%3D1&sig=S%28https%3A%2F%2Fexample.org%2Fa%3Fb%3D1%29"},
		{"spaces trimmed before signing", "  https://example.org/ ", "/leave?to=https%3A%2F%2Fexample.org%2F&sig=S%28https%3A%2F%2Fexample.org%2F%29"},
		{"a path is not signed", "/events/3", "/events/3"},
		{"mailto stays", "mailto:a@example.jp", "mailto:a@example.jp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.LeaveURL(tc.in); got != tc.want {
				t.Errorf("LeaveURL(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got := LeaveTarget(r.LeaveURL(tc.in)); tc.in[0] != '/' && !strings.HasPrefix(tc.in, "mailto") && got != strings.TrimSpace(tc.in) {
				t.Errorf("LeaveTarget(LeaveURL(%q)) = %q", tc.in, got)
			}
		})
	}
	got := r.Render("[外](https://example.org/x) と https://example.org/y")
	for _, want := range []string{
		`href="/leave?to=https%3A%2F%2Fexample.org%2Fx&amp;sig=S%28https%3A%2F%2Fexample.org%2Fx%29"`,
		`href="/leave?to=https%3A%2F%2Fexample.org%2Fy&amp;sig=S%28https%3A%2F%2Fexample.org%2Fy%29"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Render: %q lacks %s", got, want)
		}
	}
	if got := Render("[外](https://example.org/x)"); strings.Contains(got, "sig=") {
		t.Errorf("the zero Renderer signed: %q", got)
	}
	if got := ExternalLinks("[再掲](/leave?to=https%3A%2F%2Fexample.org%2Fx&sig=abc)"); strings.Join(got, " ") != "https://example.org/x" {
		t.Errorf("ExternalLinks of a signed /leave link = %v", got)
	}
}
