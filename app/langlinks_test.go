package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

func TestWithLang(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/events":                             "/events?lang=en",
		"/events?after=5":                     "/events?after=5&lang=en",
		"/board/3#reply-4":                    "/board/3?lang=en#reply-4",
		"/?lang=ja":                           "/?lang=ja",
		"/static/app.123.css":                 "/static/app.123.css",
		"/files/1/a.pdf":                      "/files/1/a.pdf",
		"/events/4.ics":                       "/events/4.ics",
		"/events/4/participants.csv?enc=utf8": "/events/4/participants.csv?enc=utf8",
		"https://www.example.jp/":             "https://www.example.jp/",
		"//evil.example/":                     "//evil.example/",
		"#main":                               "#main",
		"mailto:ku@example.jp":                "mailto:ku@example.jp",
	} {
		if got := withLang(in, "en"); got != want {
			t.Errorf("withLang(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"/?lang=en": "/", "/events?lang=en&after=3": "/events?after=3", "/board#x": "/board#x"} {
		if got := dropLang(in); got != want {
			t.Errorf("dropLang(%q) = %q, want %q", in, got, want)
		}
	}
	var b bytes.Buffer
	addLangToLinks(&b, []byte(`<a href="/x" class="c">x</a><form method="get" action="/events"><input name="q"></form>`+
		`<form method="post" action="/reading"></form><button hx-post="/board/1/replies">b</button><a href="/?lang=ja">日本語</a>`), "en")
	for _, want := range []string{`<a href="/x?lang=en" class="c">x</a>`, `<form method="get" action="/events"><input type="hidden" name="lang" value="en"><input name="q">`,
		`<form method="post" action="/reading?lang=en">`, `<button hx-post="/board/1/replies?lang=en">`, `<a href="/?lang=ja">`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("%s\nlacks %s", b.String(), want)
		}
	}
}

// TestLanguageInTheAddress: an English page's every link, form and
// redirect keeps ?lang=en, so a copied address opens in English; Japanese
// content in the English interface is marked lang="ja"; and mail goes out
// in the language the member uses.
func TestLanguageInTheAddress(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	_, grp := e.groupAccount(dbtest.GroupOptions{Login: "G71001", Name: "四谷ことばの会", Category: "文化", Published: true})
	dbtest.Event(t, e.db, db.Event{GroupID: &grp.ID, Title: "英語で話そう会"})

	v := e.client()
	page := v.get("/events?lang=en")
	page.wantStatus(t, http.StatusOK)
	checkLinks := func(res *response) {
		t.Helper()
		res.Doc.Find("a[href^='/'], form[action^='/']").Each(func(_ int, s *goquery.Selection) {
			u := s.AttrOr("href", s.AttrOr("action", ""))
			if strings.HasPrefix(u, "/static/") || strings.HasSuffix(strings.SplitN(u, "?", 2)[0], ".ics") {
				return
			}
			if goquery.NodeName(s) == "form" && strings.EqualFold(s.AttrOr("method", "get"), "get") {
				if s.Find(`input[type="hidden"][name="lang"][value="en"]`).Length() != 1 {
					t.Errorf("%s: GET form to %s does not keep the language", res.Request.URL, u)
				}
				return
			}
			if p, err := url.Parse(u); err != nil || p.Query().Get("lang") == "" {
				t.Errorf("%s: %s does not keep the language", res.Request.URL, u)
			}
		})
	}
	checkLinks(page)
	if page.Doc.Find(`main a.title[lang="ja"]`).Length() == 0 {
		t.Error("Japanese titles in the English list are not marked lang=ja")
	}
	ev := page.Doc.Find(`main a.title[href^="/events/"]`).First().AttrOr("href", "")
	detail := e.client().get(ev) // a fresh visitor opening the shared address
	detail.wantStatus(t, http.StatusOK)
	if l := detail.Doc.Find("html").AttrOr("lang", ""); l != "en" {
		t.Errorf("the shared address %s opens in %q", ev, l)
	}
	if detail.Doc.Find(`main h1[lang="ja"]`).Length() != 1 {
		t.Error("the Japanese title of the event is not marked lang=ja")
	}
	checkLinks(detail)

	// A form's redirect keeps the language. The list is a visitor's page
	// shared between visitors (pagecache.go: no CSRF token, the languages
	// as links); its link to the reading settings opens their form, in
	// English, with the visitor's token.
	if page.Doc.Find(`input[name="_csrf"]`).Length() != 0 {
		t.Error("a page shared between visitors carries a CSRF token")
	}
	settings := v.get(page.Doc.Find(`.reading-bar a.reading-link`).AttrOr("href", ""))
	settings.wantStatus(t, http.StatusOK)
	if l := settings.Doc.Find("html").AttrOr("lang", ""); l != "en" {
		t.Errorf("the reading settings open in %q", l)
	}
	checkLinks(settings)
	res := v.post("/reading?lang=en", url.Values{"_csrf": {settings.csrfToken(t)}, "size": {"large"}, "background": {"standard"},
		"furigana": {"off"}, "next": {"/notices"}})
	res.wantStatus(t, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/notices?lang=en" {
		t.Errorf("redirect to %q, want /notices?lang=en", loc)
	}
	// Switching language says the new one in the address, whatever the old.
	res = v.post("/lang", url.Values{"_csrf": {settings.csrfToken(t)}, "lang": {"ja"}, "next": {"/events?lang=en&after=2"}})
	res.wantStatus(t, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/events?after=2&lang=ja" {
		t.Errorf("switch to ja: redirect to %q", loc)
	}
	ja := v.get("/events")
	if _, ok := ja.Doc.Find(`main a[href^="/events/"]`).First().Attr("href"); !ok || strings.Contains(ja.Body, "lang=en") {
		t.Error("after switching back, Japanese links still carry lang=en")
	}

	// Mail in the member's language: registered on the English pages.
	r := e.client()
	reg := r.get("/register?lang=en")
	res = r.post("/register?lang=en", withValues(validRegistration, "_csrf", reg.csrfToken(t), "email", "en@example.jp", "handle", "englishreader"))
	res.wantStatus(t, http.StatusOK)
	var acc db.Account
	if err := e.db.Bun.NewSelect().Model(&acc).Where("display_name = ?", "englishreader").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if acc.Lang != "en" {
		t.Errorf("account language %q, want en", acc.Lang)
	}
	for i, side := range []string{"operator", "ward"} {
		staff := e.client()
		login := fmt.Sprintf("lang-staff-%d", i)
		staff.staffAccount(login, db.RoleModerator, db.RoleWardStaff)
		staff.signIn(login, "staff-password-1").wantStatus(t, http.StatusSeeOther)
		tok := staff.get("/staff/registrations?side=" + side).csrfToken(t)
		staff.post(fmt.Sprintf("/staff/registrations/%d", acc.ID), url.Values{"decision": {"confirm"}, "side": {side}, "_csrf": {tok}}).
			wantStatus(t, http.StatusSeeOther)
	}
	var subjects []string
	if err := e.db.Bun.NewSelect().Table("mail_outbox").Column("subject").Where("to_addr = ?", "en@example.jp").OrderExpr("id").Scan(ctx, &subjects); err != nil {
		t.Fatal(err)
	}
	site := e.app.catalog.T("en", "site.name")
	want := []string{
		e.app.catalog.T("en", "mail.registered.subject", map[string]any{"SiteName": site}),
		e.app.catalog.T("en", "mail.confirmed.subject", map[string]any{"SiteName": site}),
	}
	if strings.Join(subjects, "|") != strings.Join(want, "|") {
		t.Errorf("mail subjects %q, want %q", subjects, want)
	}

	// A member who switches to Japanese gets Japanese mail from then on.
	m := e.client()
	e.memberAccount("M7100009", "にほんごのひと")
	m.signIn("M7100009", "member-password-1").wantStatus(t, http.StatusSeeOther)
	m.post("/lang", url.Values{"_csrf": {m.token()}, "lang": {"en"}, "next": {"/"}}).wantStatus(t, http.StatusSeeOther)
	var lang string
	if err := e.db.Bun.NewSelect().Table("accounts").Column("lang").Where("login_id = ?", "M7100009").Scan(ctx, &lang); err != nil || lang != "en" {
		t.Errorf("language after switching: %q, %v", lang, err)
	}
}
