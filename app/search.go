package app

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// How many results of a kind the site search shows: a few of each kind
// on the overview, more when one kind is asked for.
const (
	searchPerKind = 5
	searchOneKind = 50
)

// search is the one search for everything (/search?q=), in the header of
// every page: notices, events, subsidies, articles, facilities, general
// pages, groups and the board, grouped by kind with their counts. With
// kind= it lists more of one kind; the board has its own search with
// pages, so its "all" leads there.
func (a *App) search(c echo.Context) error {
	in := form.SiteSearch{Q: c.QueryParam("q"), Kind: c.QueryParam("kind")}
	in.Normalize()
	if errs := in.Validate(db.SearchKinds); errs.Any() {
		return fmt.Errorf("search kind %q: %w", in.Kind, db.ErrNotFound)
	}
	if in.Kind == db.SearchBoard {
		return c.Redirect(http.StatusSeeOther, "/board?q="+url.QueryEscape(in.Q))
	}
	v := components.SearchView{Query: in.Q, Kind: in.Kind}
	if in.Q != "" {
		var kinds []string
		limit := searchPerKind
		if in.Kind != "" {
			kinds, limit = []string{in.Kind}, searchOneKind
		}
		var err error
		if v.Groups, err = a.db.SiteSearch(c.Request().Context(), in.Q, kinds, a.queryTime(), limit); err != nil {
			return err
		}
	}
	a.viewRequest(c).SearchQuery = in.Q
	title := a.t(c, "search.title")
	if in.Q != "" {
		title = a.catalog.T(a.viewRequest(c).Lang, "search.title_query", map[string]any{"Query": in.Q})
	}
	return a.page(c, title, components.Search(v))
}
