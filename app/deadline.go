package app

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// longRoutes answer with a file the handler streams from the database while
// it reads (exports) or take an upload: they may outlast the request
// timeout on a large ward and are bounded by their own limits instead.
// Event streams (every route ending in /live) never end on their own.
var longRoutes = map[string]bool{
	http.MethodPost + " /staff/audit/export":         true,
	http.MethodPost + " /staff/members/export":       true,
	http.MethodGet + " /staff/consents/export":       true,
	http.MethodGet + " /events/:id/participants.csv": true,
	http.MethodPost + " " + uploadRoute:              true,
}

// deadline bounds how long a request may take: a database that stops
// answering without hanging up (a stalled network, a frozen server) would
// otherwise hold every visitor's page open for as long as it lasts. When
// the time is up the query under way is cancelled and the person gets the
// 503 page or fragment, with Retry-After, like for any unreachable
// database. A request that has begun writing is not exempt: its
// transaction is rolled back with the cancelled statement, so a 503 still
// means nothing was written.
func (a *App) deadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasSuffix(c.Path(), "/live") || longRoutes[c.Request().Method+" "+c.Path()] {
			return next(c)
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), a.cfg.RequestTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}
