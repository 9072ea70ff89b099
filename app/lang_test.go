package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wardportal/portal/db"
)

func TestLocalPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		// Paths of this site come back as they were.
		{"/", "/"},
		{"/events", "/events"},
		{"/events?month=2026-05&town=%E5%9B%9B%E8%B0%B7", "/events?month=2026-05&town=%E5%9B%9B%E8%B0%B7"},
		{"/board?q=%E6%B8%85%E6%8E%83+%E7%A5%AD", "/board?q=%E6%B8%85%E6%8E%83+%E7%A5%AD"},
		{"/board?q=清掃", "/board?q=清掃"},
		{"/staff/members/12#history", "/staff/members/12#history"},
		{"/a/b/../c", "/a/b/../c"},
		// Not a path at all.
		{"", "/"},
		{"events", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{" /events", "/"},
		// Another host, spelled the ways browsers accept.
		{"//evil.example", "/"},
		{"///evil.example", "/"},
		{"/\t/evil.example", "/"},
		{"/%09/evil.example", "/"},
		{"/\r/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/%0D%0A/evil.example", "/"},
		{"/%250909/evil.example", "/"}, // %2509 decodes to %09, which decodes to TAB
		{"/\x00/evil.example", "/"},
		{"/%00/evil.example", "/"},
		{"/\x7f/evil.example", "/"},
		{"/\\evil.example", "/"},
		{"\\/evil.example", "/"},
		{"/%5Cevil.example", "/"},
		{"/%5cevil.example", "/"},
		{"/%2Fevil.example", "/"},
		{"/%2fevil.example", "/"},
		{"/%252Fevil.example", "/"},
		{"/events\\..\\..\\evil", "/"},
		// Look-alikes of / and \.
		{"/\uFF0Fevil.example", "/"}, // FULLWIDTH SOLIDUS
		{"/%EF%BC%8Fevil.example", "/"},
		{"/\u2215evil.example", "/"}, // DIVISION SLASH
		{"/\u29F8evil.example", "/"}, // BIG SOLIDUS
		{"/\u2044evil.example", "/"}, // FRACTION SLASH
		{"/\uFE68evil.example", "/"}, // SMALL REVERSE SOLIDUS
		{"/\uFF3Cevil.example", "/"}, // FULLWIDTH REVERSE SOLIDUS
		{"/%EF%BC%BCevil.example", "/"},
		// Invisible characters that hide what a path says.
		{"/\u200B/evil.example", "/"}, // ZERO WIDTH SPACE
		{"/\u202E/elpmaxe.live", "/"}, // RIGHT-TO-LEFT OVERRIDE
		{"/\u2028/evil.example", "/"}, // LINE SEPARATOR
		{"/%E2%80%8B/evil.example", "/"},
		// Broken encodings.
		{"/%ZZ", "/"},
		{"/%FF", "/"},
		{"/\xff", "/"},
		{"/" + strings.Repeat("a", 3000), "/"},
	} {
		if got := localPath(tc.in); got != tc.want {
			t.Errorf("localPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRedirectsStayOnSite sends hostile "next" values through every place a
// redirect target comes from the request: the sign-in page and form, and the
// language switch on a 404 page whose address carries the attack.
func TestRedirectsStayOnSite(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.cheapHasher()
	e.account(db.KindStaff, "redir1", "")
	hostile := []string{"/\t/evil.example", "/%09/evil.example", "//evil.example", "/\\evil.example", "\\/evil.example",
		"/%2F/evil.example", "/\uFF0Fevil.example", "/\u2215evil.example", "/\u29F8evil.example", "/\uFE68evil.example", "/\uFF3Cevil.example"}
	for _, next := range hostile {
		page := e.get("/login?next=" + url.QueryEscape(next))
		page.wantStatus(t, http.StatusOK)
		if got := page.Doc.Find(`#login-form input[name="next"]`).AttrOr("value", "?"); got != "/" {
			t.Errorf("/login?next=%q carries next %q", next, got)
		}
	}
	for _, next := range hostile {
		c := e.client()
		tok := c.get("/login").csrfToken(t)
		res := c.post("/login", url.Values{"login_id": {"redir1"}, "password": {rightPassword}, "next": {next}, "_csrf": {tok}})
		res.wantStatus(t, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != "/staff" {
			t.Errorf("sign-in with next %q went to %q, want /staff", next, loc)
		}
	}
	// A local next is still honoured.
	c := e.client()
	tok := c.get("/login").csrfToken(t)
	res := c.post("/login", url.Values{"login_id": {"redir1"}, "password": {rightPassword}, "next": {"/moderation"}, "_csrf": {tok}})
	if loc := res.Header.Get("Location"); loc != "/moderation" {
		t.Errorf("sign-in with next /moderation went to %q", loc)
	}

	// The language switch returns to the page it was on; on a 404 page
	// that page's address is the attacker's.
	for _, path := range []string{"/%09/evil.example", "/%5Cevil.example", "/%EF%BC%8Fevil.example", "/%E2%88%95evil.example"} {
		v := e.client()
		page := v.get(path)
		page.wantStatus(t, http.StatusNotFound)
		next, ok := page.Doc.Find(`form.lang-switch input[name="next"]`).Attr("value")
		if !ok {
			t.Fatalf("404 page of %s has no language switch", path)
		}
		res := v.post("/lang", url.Values{"lang": {"en"}, "next": {next}, "_csrf": {page.csrfToken(t)}})
		res.wantStatus(t, http.StatusSeeOther)
		// The page comes back in the new language, which its address says.
		if loc := res.Header.Get("Location"); loc != "/?lang=en" {
			t.Errorf("language switch on the 404 page of %s went to %q, want /?lang=en", path, loc)
		}
	}
	for _, next := range hostile {
		res := e.post("/lang", url.Values{"lang": {"ja"}, "next": {next}, "_csrf": {e.token()}})
		if loc := res.Header.Get("Location"); loc != "/?lang=ja" {
			t.Errorf("language switch with next %q went to %q", next, loc)
		}
	}
	// The trailing-slash redirect takes its target from the request too.
	for path, want := range map[string]string{"/%09/evil.example/": "/", "/%5C/evil.example/": "/", "/events/?month=2026-05": "/events?month=2026-05"} {
		res := e.get(path)
		res.wantStatus(t, http.StatusMovedPermanently)
		if loc := res.Header.Get("Location"); loc != want {
			t.Errorf("GET %s redirected to %q, want %q", path, loc, want)
		}
	}
}
