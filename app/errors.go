package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/app/htmx"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// statusOf maps an error to the HTTP status the user gets. db sentinels are
// mapped here, so handlers just return what the data layer said.
func statusOf(err error) int {
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		return he.Code
	case errors.Is(err, db.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, db.ErrNotOrganiser), errors.Is(err, db.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, errUnreadable):
		return http.StatusBadRequest
	case errors.Is(err, errSignedOut):
		return http.StatusForbidden
	case errors.Is(err, db.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, context.DeadlineExceeded), db.Unavailable(err), errors.Is(err, auth.ErrBusy):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		// The client left (nobody reads the answer) or shutdown cancelled
		// a request that had written nothing: it may be tried again.
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// retryAfter is what a 503 asks clients to wait, in seconds: about as long
// as PostgreSQL takes to restart or fail over.
const retryAfter = "30"

// errorRenderTimeout bounds rendering the error page of a request whose own
// context has ended.
const errorRenderTimeout = time.Second

// errSignedOut is a request that needs an account from a browser whose
// session has ended (expired, or signed out in another tab): its page says
// so and offers to sign in and come back.
var errSignedOut = errors.New("not signed in")

// knownStatus lists the statuses the catalogue has words for.
var knownStatus = map[int]bool{400: true, 403: true, 404: true, 405: true, 409: true, 413: true, 422: true, 429: true, 500: true, 503: true}

// handleError renders every error as a page, or as a fragment for htmx. The
// user sees a translated explanation and the request id, never internals;
// 5xx errors are logged with the request id so support can find them.
func (a *App) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := statusOf(err)
	if status >= 500 {
		a.log.LogAttrs(c.Request().Context(), slog.LevelError, "request failed",
			slog.String("request_id", requestID(c)),
			slog.String("path", c.Request().URL.Path),
			slog.Any("err", err))
	}
	if errors.Is(err, auth.ErrBusy) {
		c.Response().Header().Set("Retry-After", strconv.Itoa(hashRetryAfter))
	}
	key := status
	if !knownStatus[key] {
		if status >= 500 {
			key = 500
		} else {
			key = 400
		}
	}
	if status == http.StatusServiceUnavailable && c.Response().Header().Get("Retry-After") == "" {
		c.Response().Header().Set("Retry-After", retryAfter)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	k := "error." + strconv.Itoa(key)
	var signIn string // where to sign in and come back, for a session that ended
	switch {
	case errors.Is(err, errUnreadable):
		k = "error.unreadable"
	case errors.Is(err, db.ErrOutcomeUnknown):
		k = "error.unconfirmed"
	case errors.Is(err, errSignedOut):
		k = "error.signed_out"
		signIn = "/login?next=" + url.QueryEscape(returnPath(c))
	}
	// A request whose time ran out, or that shutdown cancelled, still gets
	// its page: the answer is rendered on a context of its own, which also
	// bounds what rendering may ask of the database (an approver's badge).
	if ctx := c.Request().Context(); ctx.Err() != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), errorRenderTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(rctx))
	}
	var body templ.Component
	if htmx.IsPartial(c.Request()) {
		// A tap inside a page: the message goes to the page's alert region
		// (htmx-config retargets every 4xx/5xx there), leaving what the
		// person was doing in place.
		body = components.RequestError(k+".title", k+".body", requestID(c), signIn)
	} else {
		body = components.ErrorPage(status, k+".title", k+".body", requestID(c), signIn)
	}
	if rerr := a.render(c, status, a.t(c, k+".title"), body); rerr != nil {
		a.log.Error("render error page", "err", rerr, "request_id", requestID(c))
		_ = c.String(status, http.StatusText(status))
	}
}

// returnPath is the page a request was made from, for coming back to it
// after signing in: the page htmx says it is on, else the referring page
// of this site, else the home page.
func returnPath(c echo.Context) string {
	r := c.Request()
	for _, s := range []string{r.Header.Get("HX-Current-URL"), r.Referer()} {
		u, err := url.Parse(s)
		if err != nil || s == "" || u.Host != r.Host || u.User != nil {
			continue
		}
		p := u.EscapedPath()
		if u.RawQuery != "" {
			p += "?" + u.RawQuery
		}
		return localPath(p)
	}
	return "/"
}

func isNotFound(err error) bool { return errors.Is(err, db.ErrNotFound) }
