// Package htmx reads htmx request headers and writes its response headers.
package htmx

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// IsPartial reports whether the response should be a fragment: an htmx
// request that is neither boosted (which wants a whole page) nor a history
// restore (the back button after a cache miss also sends HX-Request).
func IsPartial(r *http.Request) bool {
	h := r.Header
	return h.Get("HX-Request") == "true" &&
		h.Get("HX-Boosted") != "true" &&
		h.Get("HX-History-Restore-Request") != "true"
}

// IsRequest reports whether htmx sent the request at all.
func IsRequest(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// Redirect sends the browser to url: HX-Redirect for htmx, 303 See Other for a
// plain form POST so the browser follows with a GET.
func Redirect(c echo.Context, url string) error {
	if IsRequest(c.Request()) {
		c.Response().Header().Set("HX-Redirect", url)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// Trigger asks htmx to fire a client-side event after the swap.
func Trigger(c echo.Context, event string) {
	c.Response().Header().Add("HX-Trigger", event)
}
