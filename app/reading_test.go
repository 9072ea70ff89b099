package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestReadingSettings: a visitor without JavaScript chooses text size,
// background and furigana with the plain form in the page shell; the
// choice comes back on every page as classes on <html> and ruby over the
// kanji of the text, never inside attributes, <title> or scripts.
func TestReadingSettings(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	v := e.client()

	home := v.get("/")
	home.wantStatus(t, http.StatusOK)
	if cls, ok := home.Doc.Find("html").Attr("class"); ok {
		t.Errorf("standard settings: html class=%q", cls)
	}
	if n := home.Doc.Find("ruby").Length(); n != 0 {
		t.Errorf("ruby without asking: %d", n)
	}
	// A visitor's home page is shared between visitors (pagecache.go) and
	// carries no CSRF token, so its shell links to the settings page, whose
	// plain form returns to this page.
	if home.Doc.Find(`.reading-tools form`).Length() != 0 {
		t.Error("a shared page carries the settings form (it has no token for it)")
	}
	link := home.Doc.Find(`.reading-bar a.reading-link`).AttrOr("href", "")
	if link != "/reading?next=%2F" {
		t.Fatalf("no link to the reading settings in the page shell: %q", link)
	}
	if home.Doc.Find(`#read-aloud[hidden]`).Length() != 1 {
		t.Error("the read-aloud button is not there hidden (speech.js shows it)")
	}
	settings := v.get(link)
	settings.wantStatus(t, http.StatusOK)
	form := settings.Doc.Find(`main form[action="/reading"][method="post"]`)
	if form.Length() != 1 {
		t.Fatal("no reading settings form on the settings page")
	}
	for _, name := range []string{"size", "background", "furigana"} {
		if form.Find(`input[type="radio"][name="`+name+`"][checked]`).Length() != 1 {
			t.Errorf("%s: not exactly one choice checked", name)
		}
	}
	if got := form.Find(`input[name="next"]`).AttrOr("value", ""); got != "/" {
		t.Errorf("next=%q, want /", got)
	}
	// Without the token the settings are refused.
	v.post("/reading", url.Values{"size": {"larger"}, "background": {"black"}, "furigana": {"on"}, "next": {"/"}}).
		wantStatus(t, http.StatusForbidden)

	res := v.post("/reading", url.Values{"_csrf": {settings.csrfToken(t)}, "size": {"larger"}, "background": {"black"},
		"furigana": {"on"}, "next": {"/register"}})
	res.wantStatus(t, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/register" {
		t.Errorf("back to %q, want /register", loc)
	}

	page := v.get("/register")
	page.wantStatus(t, http.StatusOK)
	if cls := page.Doc.Find("html").AttrOr("class", ""); cls != "text-larger bg-black" {
		t.Errorf("html class=%q", cls)
	}
	if strings.TrimSpace(page.Doc.Find(".flash").Text()) == "" {
		t.Error("no confirmation")
	}
	if page.Doc.Find("main ruby rt").Length() == 0 {
		t.Error("no ruby in the page's text")
	}
	if strings.Contains(page.Doc.Find("title").Text(), "<") || page.Doc.Find("title ruby").Length() > 0 {
		t.Errorf("ruby in <title>: %q", page.Doc.Find("title").Text())
	}
	// Attributes are untouched: every label's for= still names its input,
	// and the values of inputs have no markup in them.
	page.Doc.Find("label[for]").Each(func(_ int, s *goquery.Selection) {
		if id := s.AttrOr("for", ""); page.Doc.Find("#"+id).Length() == 0 {
			t.Errorf("label for=%q names nothing", id)
		}
	})
	page.Doc.Find("[value], [aria-label], [content]").Each(func(_ int, s *goquery.Selection) {
		for _, a := range []string{"value", "aria-label", "content"} {
			if strings.Contains(s.AttrOr(a, ""), "<rt>") {
				t.Errorf("ruby inside %s=%q", a, s.AttrOr(a, ""))
			}
		}
	})
	// The base text without the readings reads as before: the heading of
	// the page is its title.
	h1 := page.Doc.Find("main h1").First().Clone()
	h1.Find("rt, rp").Remove()
	if title := page.Doc.Find("title").Text(); !strings.HasPrefix(title, strings.TrimSpace(h1.Text())) {
		t.Errorf("heading %q does not read as the title %q", h1.Text(), title)
	}
	// The form shows the settings as chosen.
	for name, want := range map[string]string{"size": "larger", "background": "black", "furigana": "on"} {
		if got := page.Doc.Find(`.reading-tools input[name="`+name+`"][checked]`).AttrOr("value", ""); got != want {
			t.Errorf("%s: %q checked, want %q", name, got, want)
		}
	}

	// A choice not offered: 422, the message beside the field, the other
	// choices as sent.
	bad := v.post("/reading", url.Values{"_csrf": {page.csrfToken(t)}, "size": {"huge"}, "background": {"blue"},
		"furigana": {"off"}, "next": {"/events"}})
	bad.wantStatus(t, http.StatusUnprocessableEntity)
	if msg := baseText(bad.Doc.Find("#f-size-error")); msg != e.app.catalog.T("ja", "reading.err.choice") {
		t.Errorf("size error %q", msg)
	}
	if got := bad.Doc.Find(`main input[name="background"][checked]`).AttrOr("value", ""); got != "blue" {
		t.Errorf("background as sent: %q", got)
	}
	if got := bad.Doc.Find(`main input[name="next"]`).AttrOr("value", ""); got != "/events" {
		t.Errorf("next kept: %q", got)
	}

	// Back to the standard: the cookie goes.
	std := v.post("/reading", url.Values{"_csrf": {page.csrfToken(t)}, "size": {"standard"}, "background": {"standard"},
		"furigana": {"off"}, "next": {"https://evil.example/"}})
	std.wantStatus(t, http.StatusSeeOther)
	if loc := std.Header.Get("Location"); loc != "/" {
		t.Errorf("next to another site: back to %q", loc)
	}
	after := v.get("/")
	if _, ok := after.Doc.Find("html").Attr("class"); ok || after.Doc.Find("ruby").Length() > 0 {
		t.Error("standard settings still show")
	}

	// The settings page of its own, for a page without a token.
	sp := v.get("/reading?next=%2Fboard")
	sp.wantStatus(t, http.StatusOK)
	if sp.Doc.Find(".reading-tools").Length() != 0 {
		t.Error("the settings page repeats the settings in its shell")
	}
	if got := sp.Doc.Find(`main input[name="next"]`).AttrOr("value", ""); got != "/board" {
		t.Errorf("next=%q", got)
	}
}

// TestFooterPages: every page links the privacy policy, the accessibility
// policy, the terms, the site map and contact, and each is a real page in
// both languages.
func TestFooterPages(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	home := e.get("/")
	var links []string
	home.Doc.Find("footer nav .footer-links a").Each(func(_ int, s *goquery.Selection) {
		links = append(links, s.AttrOr("href", ""))
	})
	if got := strings.Join(links, " "); got != "/privacy /accessibility /terms /sitemap /inquiry" {
		t.Errorf("footer links %q", got)
	}
	for _, tc := range []struct {
		lang, path string
		want       []string
	}{
		// What the seed says the site collects, and why; what is public.
		{"ja", "/privacy", []string{"氏名", "住所", "電話番号", "FAX番号", "メールアドレス", "ハンドルネーム", "アクセス履歴", "ハンドルネーム（団体は団体名）と投稿の内容だけ"}},
		{"en", "/privacy?lang=en", []string{"Handle name", "Access history", "handle name (or a group's name) and the content you post"}},
		{"ja", "/accessibility", []string{"JIS X 8341-3:2016", "適合レベルAA"}},
		{"en", "/accessibility?lang=en", []string{"JIS X 8341-3:2016", "level AA"}},
		{"ja", "/terms", []string{"プライバシーの侵害", "政治活動・宗教活動", "退会"}},
		{"en", "/terms?lang=en", []string{"Political or religious campaigning", "Withdrawal"}},
		{"ja", "/sitemap", []string{"情報を探す", "個人情報の取扱い"}},
	} {
		res := e.client().get(tc.path)
		res.wantStatus(t, http.StatusOK)
		if l := res.Doc.Find("html").AttrOr("lang", ""); l != tc.lang {
			t.Errorf("%s: lang %q", tc.path, l)
		}
		text := res.Doc.Find("main").Text()
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s does not say %q", tc.path, w)
			}
		}
		if res.Doc.Find("main h1").Length() != 1 {
			t.Errorf("%s: not one h1", tc.path)
		}
	}
	priv := e.get("/privacy")
	if priv.Doc.Find("main table tbody tr").Length() < 8 {
		t.Error("the privacy policy's table of what is collected is missing rows")
	}
	// The site map links every public list and every footer page.
	sm := e.get("/sitemap")
	for _, href := range []string{"/notices", "/subsidies", "/articles", "/events", "/groups", "/facilities", "/board", "/register", "/privacy", "/accessibility", "/terms", "/inquiry", "/reading"} {
		if sm.Doc.Find(`main a[href="`+href+`"]`).Length() == 0 {
			t.Errorf("the site map does not link %s", href)
		}
	}
}

// baseText is the text of s without the readings of its ruby.
func baseText(s *goquery.Selection) string {
	c := s.Clone()
	c.Find("rt, rp").Remove()
	return strings.TrimSpace(c.Text())
}
