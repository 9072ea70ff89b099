package app

import (
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/htmx"
	"github.com/wardportal/portal/components"
)

// render is the one place that decides page or fragment: htmx requests that
// are neither boosted nor history restores get body alone, everything else
// gets the whole layout. Rendering into a buffer first means a template error
// becomes a clean 500 instead of half a page.
func (a *App) render(c echo.Context, status int, title string, body templ.Component) error {
	vr := a.viewRequest(c) // make sure the view state exists (error pages, unmatched routes)
	comp := body
	if !htmx.IsPartial(c.Request()) {
		vr.Waiting = a.approvalBadge(c, vr.User)
		comp = components.Layout(title, body)
	}
	return a.write(c, status, comp)
}

// write renders comp, a fragment or a whole document, as the answer.
func (a *App) write(c echo.Context, status int, comp templ.Component) error {
	buf, err := a.renderBody(c, comp)
	if err != nil {
		return err
	}
	defer templ.ReleaseBuffer(buf)
	h := c.Response().Header()
	h.Add("Vary", "HX-Request")
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set("Cache-Control", "no-store") // pages carry a CSRF token and may carry personal data
	h.Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	c.Response().WriteHeader(status)
	_, err = c.Response().Write(buf.Bytes())
	return err
}

// page renders a 200 page.
func (a *App) page(c echo.Context, title string, body templ.Component) error {
	return a.render(c, http.StatusOK, title, body)
}

// t translates id in the request's language.
func (a *App) t(c echo.Context, id string) string {
	return a.catalog.T(a.viewRequest(c).Lang, id)
}
