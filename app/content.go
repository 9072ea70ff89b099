package app

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

func (a *App) home(c echo.Context) error {
	if a.disaster.Load() {
		return a.disasterHome(c)
	}
	h, err := a.db.Home(c.Request().Context(), a.queryTime())
	if err != nil {
		return err
	}
	return a.page(c, "", components.Home(h))
}

func (a *App) notices(c echo.Context) error {
	after, err := cursorParam(c)
	if err != nil {
		return err
	}
	p, err := a.db.ListNotices(c.Request().Context(), a.queryTime(), after)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "nav.notices"), components.Notices(p))
}

func (a *App) notice(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	n, err := a.db.GetNotice(c.Request().Context(), a.queryTime(), id)
	if err != nil {
		return err
	}
	return a.page(c, n.Title, components.NoticeDetail(n))
}

func (a *App) subsidies(c echo.Context) error {
	after, err := cursorParam(c)
	if err != nil {
		return err
	}
	p, err := a.db.ListSubsidies(c.Request().Context(), a.queryTime(), after)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "nav.subsidies"), components.Subsidies(p, a.queryTime()))
}

func (a *App) subsidy(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	s, err := a.db.GetSubsidy(c.Request().Context(), a.queryTime(), id)
	if err != nil {
		return err
	}
	return a.page(c, s.Title, components.SubsidyDetail(s, a.queryTime()))
}

func (a *App) articles(c echo.Context) error {
	after, err := cursorParam(c)
	if err != nil {
		return err
	}
	p, err := a.db.ListArticles(c.Request().Context(), a.queryTime(), after)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "nav.articles"), components.Articles(p))
}

func (a *App) article(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	art, err := a.db.GetArticle(c.Request().Context(), a.queryTime(), id)
	if err != nil {
		return err
	}
	return a.page(c, art.Title, components.ArticleDetail(art))
}

func (a *App) groups(c echo.Context) error {
	var after int64
	if s := c.QueryParam("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		after = n
	}
	gs, next, err := a.db.ListGroups(c.Request().Context(), after)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "nav.groups"), components.Groups(gs, next))
}

func (a *App) group(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	g, events, err := a.db.GetGroup(c.Request().Context(), a.queryTime(), id)
	if err != nil {
		return err
	}
	return a.page(c, g.Name, components.GroupDetail(g, events))
}

// eventFacetsTTL is how long an instance keeps the event filters' choices.
const eventFacetsTTL = 5 * time.Minute

// events lists upcoming events, filtered by category, area, dates, free
// seats and words. A date that cannot be read is said next to its field and
// left out of the filter.
func (a *App) events(c echo.Context) error {
	ctx := c.Request().Context()
	after, err := cursorParam(c)
	if err != nil {
		return err
	}
	v := components.EventsView{Category: c.QueryParam("category"), Town: c.QueryParam("town"),
		Query: form.Text(c.QueryParam("q")), From: c.QueryParam("from"), To: c.QueryParam("to"),
		FreeSeats: c.QueryParam("seats") == "1", Errs: form.Errors{}, CanAdd: roleFor(currentUser(c), permOrganise) != ""}
	f := db.EventFilter{Category: v.Category, Town: v.Town, Query: v.Query, FreeSeats: v.FreeSeats}
	if f.From, err = jstDate(v.From, 0); err != nil {
		v.Errs.Add("from", "form.err.date")
	}
	if f.To, err = jstDate(v.To, 1); err != nil {
		v.Errs.Add("to", "form.err.date")
	}
	now := a.queryTime()
	if v.Facets, err = a.facets.get(now, eventFacetsTTL, func() (components.EventFacets, error) {
		cats, towns, err := a.db.EventFacets(ctx, now)
		return components.EventFacets{Categories: cats, Towns: towns}, err
	}); err != nil {
		return err
	}
	if month := c.QueryParam("month"); month != "" {
		first, ok := form.Month(month, i18n.JST)
		if !ok {
			return fmt.Errorf("month %q: %w", month, db.ErrNotFound)
		}
		f.From, f.To = nil, nil
		events, err := a.db.EventsBetween(ctx, first, first.AddDate(0, 1, 0), f)
		if err != nil {
			return err
		}
		return a.page(c, a.t(c, "nav.events"), components.EventsMonth(components.NewMonthView(v, first, events, a.now())))
	}
	if v.Page, err = a.db.ListEvents(ctx, now, f, after); err != nil {
		return err
	}
	return a.page(c, a.t(c, "nav.events"), components.Events(v))
}

// errBadDate is a date filter that cannot be read or lies outside the
// years a form accepts.
var errBadDate = errors.New("bad date")

// jstDate reads a YYYY-MM-DD date as the start of that day in Japan, plus
// days; "" is no date.
func jstDate(s string, days int) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	d, ok := form.Date(s, i18n.JST)
	if !ok {
		return nil, errBadDate
	}
	d = d.AddDate(0, 0, days)
	return &d, nil
}

func (a *App) event(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	e, err := a.db.PublicEvent(c.Request().Context(), id)
	if err != nil {
		return err
	}
	after := a.hub.Last()
	box, err := a.signupState(c, e)
	if err != nil {
		return err
	}
	box.After = after
	a.viewRequest(c).Live = true
	return a.page(c, e.Title, components.EventDetail(e, box))
}

func (a *App) facilities(c echo.Context) error {
	fs, err := a.db.ListFacilities(c.Request().Context())
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "nav.facilities"), components.Facilities(fs))
}

// queryTime is "now" for the public lists, truncated to the minute: bun
// writes times into the SQL text, and a text that changes every nanosecond
// defeats pgx's statement cache and makes PostgreSQL plan every query anew.
// A notice scheduled for 10:00 appears within the minute either way.
func (a *App) queryTime() time.Time { return a.now().Truncate(time.Minute) }
