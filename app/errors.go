package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

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
	case errors.Is(err, db.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, context.DeadlineExceeded), db.Unavailable(err):
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
	key := status
	if !knownStatus[key] {
		if status >= 500 {
			key = 500
		} else {
			key = 400
		}
	}
	if status == http.StatusServiceUnavailable {
		c.Response().Header().Set("Retry-After", retryAfter)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	k := "error." + strconv.Itoa(key)
	body := components.ErrorPage(status, k+".title", k+".body", requestID(c))
	if rerr := a.render(c, status, a.t(c, k+".title"), body); rerr != nil {
		a.log.Error("render error page", "err", rerr, "request_id", requestID(c))
		_ = c.String(status, http.StatusText(status))
	}
}

func isNotFound(err error) bool { return errors.Is(err, db.ErrNotFound) }
