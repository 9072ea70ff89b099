package app

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/unicode/norm"

	"github.com/wardportal/portal/app/i18n"
)

// localPath returns s when it is a path on this site, and "/" otherwise:
// every redirect target taken from a request ("next") passes here, so none
// can send the browser to another origin. Browsers are lenient in ways a
// plain prefix check misses: they drop TAB, CR and LF anywhere in a URL
// (/<TAB>/evil.example is //evil.example), read \ as /, and some fold
// look-alikes such as U+FF0F FULLWIDTH SOLIDUS into /. So the path is refused
// when, as written or after percent-decoding (repeatedly, for double
// encoding), it holds a control or invisible formatting character, a
// backslash or a look-alike of / or \, or begins with two slashes.
func localPath(s string) string {
	if !strings.HasPrefix(s, "/") || len(s) > maxLocalPath {
		return "/"
	}
	for v, i := s, 0; ; i++ {
		if !safeLocal(v) {
			return "/"
		}
		dec, err := url.PathUnescape(v)
		if err != nil || i == maxUnescape {
			return "/"
		}
		if dec == v {
			break
		}
		v = dec
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return "/"
	}
	return s
}

const (
	maxLocalPath = 2048 // longer than any address of ours; a longer one is not a page to return to
	maxUnescape  = 3    // decodings tried; deeper nesting is refused rather than followed
)

// safeLocal is localPath's check of one decoding of a path.
func safeLocal(v string) bool {
	if !utf8.ValidString(v) || strings.HasPrefix(v, "//") {
		return false
	}
	for _, r := range v {
		if r == '\\' || slashLike(r) || unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return false
		}
	}
	return true
}

// slashLike reports whether r is a look-alike of / or \ that a browser or a
// normaliser on the way might turn into one: those compatibility
// normalisation maps to a slash (U+FF0F, U+FE68, U+FF3C …) and the ones it
// leaves alone but fonts draw the same.
func slashLike(r rune) bool {
	switch r {
	case '\u2044', // FRACTION SLASH
		'\u2215', // DIVISION SLASH
		'\u2216', // SET MINUS
		'\u29F5', // REVERSE SOLIDUS OPERATOR
		'\u29F8', // BIG SOLIDUS
		'\u29F9', // BIG REVERSE SOLIDUS
		'\u2571', // BOX DRAWINGS LIGHT DIAGONAL UPPER RIGHT TO LOWER LEFT
		'\u2572': // BOX DRAWINGS LIGHT DIAGONAL UPPER LEFT TO LOWER RIGHT
		return true
	}
	if r < utf8.RuneSelf {
		return false
	}
	n := norm.NFKC.String(string(r))
	return strings.ContainsAny(n, "/\\")
}

// removeTrailingSlash sends /events/ to /events. Its target is the request's
// own address, so it goes through localPath like every other.
func removeTrailingSlash(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := c.Request().URL.EscapedPath()
		if len(p) > 1 && strings.HasSuffix(p, "/") {
			target := strings.TrimRight(p, "/")
			if q := c.QueryString(); q != "" {
				target += "?" + q
			}
			return c.Redirect(http.StatusMovedPermanently, localPath(target))
		}
		return next(c)
	}
}

// setLanguage remembers the chosen language and returns to the page the
// switch was pressed on.
func (a *App) setLanguage(c echo.Context) error {
	lang := c.FormValue("lang")
	if !i18n.Supported(lang) {
		return echo.NewHTTPError(http.StatusBadRequest, "unsupported language")
	}
	a.setLangCookie(c, lang)
	a.flash(c, "success", "lang.changed")
	if u := currentUser(c); u != nil {
		// Mail to this account goes out in the language it reads the site in.
		if err := a.db.SetAccountLang(c.Request().Context(), u.ID, lang); err != nil {
			return err
		}
	}
	// The page comes back in the chosen language, and says so in its
	// address (langlinks.go): any lang the return address had is replaced.
	return c.Redirect(http.StatusSeeOther, withLang(dropLang(localPath(c.FormValue("next"))), lang))
}

// dropLang removes the lang parameter from a local address.
func dropLang(u string) string {
	path, frag, hasFrag := strings.Cut(u, "#")
	base, query, ok := strings.Cut(path, "?")
	if !ok {
		return u
	}
	q, err := url.ParseQuery(query)
	if err != nil || !q.Has("lang") {
		return u
	}
	q.Del("lang")
	out := base
	if len(q) > 0 {
		out += "?" + q.Encode()
	}
	if hasFrag {
		out += "#" + frag
	}
	return out
}
