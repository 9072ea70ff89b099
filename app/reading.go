package app

import (
	"bytes"
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/components"
)

// Reading your way (PRODUCT.md §11): text size, background colour and
// furigana, chosen by any visitor and kept in a cookie. Size and colour are
// classes on <html> that the stylesheet acts on; furigana are added to the
// rendered HTML by the server (app/furigana), so they need no JavaScript
// and no plug-in. 読み上げ (read aloud) is static/js/speech.js.

const readingCookie = "portal_reading"

// furiganaKeep is how many annotated text nodes are remembered.
const furiganaKeep = 20000

// readingOf is the request's reading settings: the cookie, or the standard.
func readingOf(r *http.Request) form.Reading {
	ck, err := r.Cookie(readingCookie)
	if err != nil {
		return form.ReadingStandard
	}
	return form.ParseReading(ck.Value)
}

// readingPage shows the settings form on a page of its own: where a page
// shared between visitors (no CSRF token) sends the settings link, and
// what the form comes back to with an error.
func (a *App) readingPage(c echo.Context) error {
	v := components.ReadingView{Reading: a.viewRequest(c).Reading, Next: localPath(c.QueryParam("next")), Errs: form.Errors{}}
	return a.page(c, a.t(c, "reading.title"), components.ReadingPage(v))
}

// setReading keeps the chosen settings and returns to the page the form was
// sent from, which is drawn the new way at once.
func (a *App) setReading(c echo.Context) error {
	f := form.Reading{Size: c.FormValue("size"), Background: c.FormValue("background"), Furigana: c.FormValue("furigana")}
	f.Normalize()
	next := localPath(c.FormValue("next"))
	if errs := f.Validate(); errs.Any() {
		v := components.ReadingView{Reading: f, Next: next, Errs: errs}
		return a.render(c, http.StatusUnprocessableEntity, a.t(c, "reading.title"), components.ReadingPage(v))
	}
	ck := &http.Cookie{Name: readingCookie, Value: f.Cookie(), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: a.cfg.Secure(), SameSite: http.SameSiteLaxMode}
	if f.Standard() {
		ck.Value, ck.MaxAge = "", -1
	}
	c.SetCookie(ck)
	a.flash(c, "success", "reading.saved")
	return c.Redirect(http.StatusSeeOther, next)
}

// renderBody renders comp and passes the result through what the visitor
// asked for: furigana (app/furigana), and the language kept on every
// link when it is not the default (langlinks.go).
func (a *App) renderBody(c echo.Context, comp templ.Component) (*bytes.Buffer, error) {
	buf := templ.GetBuffer()
	if err := comp.Render(c.Request().Context(), buf); err != nil {
		templ.ReleaseBuffer(buf)
		return nil, err
	}
	vr, ok := c.Get("view").(*components.Request)
	if !ok {
		return buf, nil
	}
	if vr.Reading.Ruby() {
		out := templ.GetBuffer()
		out.Grow(buf.Len() + buf.Len()/2)
		a.furigana.HTML(out, buf.Bytes())
		templ.ReleaseBuffer(buf)
		buf = out
	}
	if vr.Lang != i18n.Default {
		out := templ.GetBuffer()
		out.Grow(buf.Len() + buf.Len()/8)
		addLangToLinks(out, buf.Bytes(), vr.Lang)
		templ.ReleaseBuffer(buf)
		buf = out
	}
	return buf, nil
}
