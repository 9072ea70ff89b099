package furigana

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

var shared = New(100)

func annotate(t *testing.T, src string) string {
	t.Helper()
	var b bytes.Buffer
	shared.HTML(&b, []byte(src))
	return b.String()
}

func TestWords(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"申し込む", "<ruby>申<rp>(</rp><rt>もう</rt><rp>)</rp></ruby>し<ruby>込<rp>(</rp><rt>こ</rt><rp>)</rp></ruby>む"},
		{"今日", "<ruby>今日<rp>(</rp><rt>きょう</rt><rp>)</rp></ruby>"},
		{"ひらがな", "ひらがな"},
		{"a < b", "a &lt; b"},
	}
	for _, c := range cases {
		if got := shared.Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestOkuriganaStayOutside(t *testing.T) {
	t.Parallel()
	got := shared.Text("新宿区の地域活動")
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	// The base text read without the readings is the text given.
	doc.Find("rt, rp").Remove()
	if text := doc.Text(); text != "新宿区の地域活動" {
		t.Errorf("base text %q", text)
	}
	if strings.Contains(got, "<ruby>の") || !strings.Contains(got, "<rt>しんじゅく") {
		t.Errorf("Text = %q", got)
	}
}

func TestMarkupIsKept(t *testing.T) {
	t.Parallel()
	src := `<!DOCTYPE html><html lang="ja"><head><title>区役所</title><meta name="description" content="区役所"></head>` +
		`<body><a href="/区" title="区役所">区役所</a><p class="x" data-v="住所">住所 &amp; 電話</p>` +
		`<script>var s = "区役所";</script><style>p::before{content:"区"}</style>` +
		`<code>区役所</code><pre>東京</pre><textarea name="t">本文</textarea><select><option>東京</option></select>` +
		`<ruby>漢字<rt>かんじ</rt></ruby><input value="東京"></body></html>`
	got := annotate(t, src)
	for _, keep := range []string{
		`<title>区役所</title>`, `content="区役所"`, `href="/区"`, `title="区役所"`, `data-v="住所"`,
		`<script>var s = "区役所";</script>`, `<style>p::before{content:"区"}</style>`,
		`<code>区役所</code>`, `<pre>東京</pre>`, `<textarea name="t">本文</textarea>`, `<option>東京</option>`,
		`<ruby>漢字<rt>かんじ</rt></ruby>`, `<input value="東京">`,
	} {
		if !strings.Contains(got, keep) {
			t.Errorf("lost %q in\n%s", keep, got)
		}
	}
	if !strings.Contains(got, `<ruby>区役所<rp>(</rp><rt>くやくしょ</rt><rp>)</rp></ruby></a>`) &&
		!strings.Contains(got, `<rt>く</rt>`) {
		t.Errorf("link text not annotated:\n%s", got)
	}
	if !strings.Contains(got, `&amp;`) || !strings.Contains(got, `<rt>じゅうしょ</rt>`) {
		t.Errorf("paragraph:\n%s", got)
	}
	// Everything outside the text nodes is byte for byte the same: removing
	// the ruby gives the source back.
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	if n := doc.Find("p ruby").Length(); n == 0 {
		t.Error("no ruby in the paragraph")
	}
}

// stripRuby removes what HTML adds, giving its input back.
var rubyRe = regexp.MustCompile(`<ruby>|</ruby>|<rp>\(</rp><rt>[^<]*</rt><rp>\)</rp>`)

func TestOnlyRubyIsAdded(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		`<a href="x`, `東京</p></div>`, `<!-- 東京 -->`, `<p title='東京'>東京&lt;大阪&gt;</p>`,
		`<div><span>区役所へ</span><b>申し込む</b></div>`,
	} {
		got := annotate(t, src)
		if back := rubyRe.ReplaceAllString(got, ""); back != src {
			t.Errorf("%q → %q: without the ruby %q", src, got, back)
		}
	}
}

func TestCacheKeepsBounds(t *testing.T) {
	t.Parallel()
	a := New(2)
	a.tok = shared.tokenizer()
	a.once.Do(func() {})
	for _, s := range []string{"東京", "大阪", "京都", "東京"} {
		var b bytes.Buffer
		a.HTML(&b, []byte(s))
		if !strings.Contains(b.String(), "<ruby>") {
			t.Errorf("%s: %s", s, b.String())
		}
	}
	if n := len(a.cache); n > 2 {
		t.Errorf("cache holds %d entries, bound 2", n)
	}
}

func BenchmarkNotice(b *testing.B) {
	text := strings.Repeat("新宿区では、地域の防災訓練を毎年九月に実施しています。参加を希望する方は、区役所の窓口で申し込んでください。", 200)
	a := New(0)
	a.Warm()
	b.ResetTimer()
	for b.Loop() {
		a.Text(text)
	}
}
