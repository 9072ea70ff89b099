package markup

import (
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// allowed are the elements Render may emit.
var allowed = []string{"html", "head", "body", // added by the parser of the check, not by Render
	"p", "br", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code",
	"em", "strong", "del", "hr", "table", "thead", "tbody", "tr", "th", "td", "a", "img"}

// FuzzRender: whatever an editor (or someone who took over an editor's
// account) writes, the published HTML holds only the allowed elements, no
// event handler or style attribute, no script, data or vbscript address,
// and every link off the site goes through the /leave notice. The seeds run
// in every `go test`.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"", "# 見出し\n\n本文 **強調**", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
		"[a](javascript:alert(1))", "[a](JaVaScRiPt:alert(1))", "[a](java\tscript:alert(1))", "[a](&#106;avascript:alert(1))",
		"![x](javascript:alert(1))", "![x](data:text/html;base64,PHNjcmlwdD4=)", "[a](vbscript:msgbox)", "<a href=\"https://evil.example\">x</a>",
		"https://www.example.jp/path?q=1", "www.example.jp", "[a](https://evil.example \"t\")", "[a](//evil.example/)",
		"<div style=\"background:url(javascript:x)\">x</div>", "| a | b |\n|:-|-:|\n| <b onclick=x>1</b> | 2 |",
		"<svg onload=alert(1)>", "<iframe src=https://a.example>", "[a][r]\n\n[r]: javascript:alert(1)", "<https://a.example/x>",
		"<mailto:a@example.jp>", "[tel](tel:0312345678)", "`<script>`", "```html\n<script>alert(1)</script>\n```", "[a](\\\\evil.example)",
		"[a](https:evil.example)", "[a](/leave?to=https://evil.example)", "<!-- <script> -->", "\x00<scr\x00ipt>",
		"[a](/\t/evil.example)", "[a](<\\/evil.example>)", "[a](http:evil.example)",
	} {
		f.Add(s)
	}
	r := Renderer{Sign: func(string) string { return "signature" }}
	f.Fuzz(func(t *testing.T, source string) {
		if len(source) > MaxSource {
			return
		}
		out := r.Render(source)
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		doc.Find("*").Each(func(_ int, s *goquery.Selection) {
			node := s.Get(0)
			if !slices.Contains(allowed, node.Data) {
				t.Errorf("%q renders a <%s>: %s", source, node.Data, out)
			}
			for _, a := range node.Attr {
				key := strings.ToLower(a.Key)
				if strings.HasPrefix(key, "on") || key == "style" || key == "srcdoc" || key == "formaction" {
					t.Errorf("%q renders attribute %s: %s", source, a.Key, out)
				}
				if key != "href" && key != "src" {
					continue
				}
				v := strings.ReplaceAll(strings.ToLower(strings.Map(func(r rune) rune {
					if r <= ' ' {
						return -1
					}
					return r
				}, a.Val)), "\\", "/")
				for _, bad := range []string{"javascript:", "vbscript:", "data:"} {
					if strings.HasPrefix(v, bad) {
						t.Errorf("%q renders %s=%q: %s", source, a.Key, a.Val, out)
					}
				}
				if key == "href" && (strings.HasPrefix(v, "http:") || strings.HasPrefix(v, "https:") || strings.HasPrefix(v, "//")) {
					t.Errorf("%q links off the site without the notice: %s=%q", source, a.Key, a.Val)
				}
			}
		})
	})
}
