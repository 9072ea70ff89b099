package app

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
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
	return a.publicList(c, db.PageNotice, "nav.notices", components.Notices)
}

func (a *App) notice(c echo.Context) error {
	return a.publicPage(c, db.PageNotice, components.NoticeDetail)
}

func (a *App) subsidies(c echo.Context) error {
	return a.publicList(c, db.PageSubsidy, "nav.subsidies", components.Subsidies)
}

func (a *App) subsidy(c echo.Context) error {
	return a.publicPage(c, db.PageSubsidy, components.SubsidyDetail)
}

func (a *App) articles(c echo.Context) error {
	return a.publicList(c, db.PageArticle, "nav.articles", components.Articles)
}

func (a *App) article(c echo.Context) error {
	return a.publicPage(c, db.PageArticle, components.ArticleDetail)
}

// generalPage is a general page of the official site (/pages/{id}).
func (a *App) generalPage(c echo.Context) error {
	return a.publicPage(c, db.PageGeneral, components.GeneralPage)
}

// publicList pages through the live pages of one kind, newest first.
func (a *App) publicList(c echo.Context, kind, titleKey string, show func(db.Page[db.PublicPage]) templ.Component) error {
	after, err := cursorParam(c)
	if err != nil {
		return err
	}
	p, err := a.db.PublicPages(c.Request().Context(), kind, after)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, titleKey), show(p))
}

// publicPage shows a live page of kind with its body rendered, and for an
// article what it links to. An id that is no page of the kind but was a row
// of the tables before the migration (an old bookmark, a search engine's
// link) is sent to its page for good (301).
func (a *App) publicPage(c echo.Context, kind string, show func(components.PageView) templ.Component) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, err := a.db.PublicPage(ctx, kind, id)
	if errors.Is(err, db.ErrNotFound) {
		to, lerr := a.db.LegacyPageID(ctx, kind, id)
		if lerr != nil {
			return lerr
		}
		return c.Redirect(http.StatusMovedPermanently, string(components.PageURL(kind, to)))
	}
	if err != nil {
		return err
	}
	v := components.PageView{Page: p, BodyHTML: a.pageHTML(ctx, p.Body)}
	if kind == db.PageArticle {
		if v.Groups, v.Facilities, err = a.db.PageLinks(ctx, p.Fields); err != nil {
			return err
		}
	}
	return a.page(c, p.Title, show(v))
}

// maxTagLen bounds a topic's tag in the address; no page's tag is longer.
const maxTagLen = 50

// tagTopic is the cross-division topic page of a tag (第9条2項): the live
// pages of the official site, of every division and kind, that carry it.
// A tag no live page carries is no page.
func (a *App) tagTopic(c echo.Context) error {
	tag := c.Param("tag")
	if c.Request().URL.RawPath != "" {
		// The router matched the escaped path; a tag with a reserved
		// character (a slash, say) arrives escaped.
		var err error
		if tag, err = url.PathUnescape(tag); err != nil {
			return fmt.Errorf("tag %q: %w", c.Param("tag"), db.ErrNotFound)
		}
	}
	if tag == "" || utf8.RuneCountInString(tag) > maxTagLen {
		return fmt.Errorf("tag %q: %w", tag, db.ErrNotFound)
	}
	after, err := cursorParam(c)
	if err != nil {
		return err
	}
	p, err := a.db.TopicPages(c.Request().Context(), tag, after)
	if err != nil {
		return err
	}
	if len(p.Items) == 0 && after.IsZero() {
		return fmt.Errorf("tag %q: no live page: %w", tag, db.ErrNotFound)
	}
	return a.page(c, a.catalog.T(a.viewRequest(c).Lang, "topics.title", map[string]any{"Tag": tag}), components.TagPages(components.TagView{Tag: tag, Page: p}))
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
	r := form.DateRange{From: c.QueryParam("from"), To: c.QueryParam("to"), Loc: i18n.JST}
	v := components.EventsView{Category: c.QueryParam("category"), Town: c.QueryParam("town"),
		Query: form.Text(c.QueryParam("q")), From: r.From, To: r.To,
		FreeSeats: c.QueryParam("seats") == "1", Errs: r.Validate(), CanAdd: roleFor(currentUser(c), permOrganise) != ""}
	f := db.EventFilter{Category: v.Category, Town: v.Town, Query: v.Query, FreeSeats: v.FreeSeats}
	f.From, f.To = r.Bounds()
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

// facilities is the facility link collection: the live facility pages.
func (a *App) facilities(c echo.Context) error {
	fs, err := a.db.ListFacilities(c.Request().Context())
	if err != nil {
		return err
	}
	v := components.FacilityView{Items: fs, Bodies: map[int64]string{}}
	for _, f := range fs {
		if f.Body != "" {
			v.Bodies[f.PageID] = a.pageHTML(c.Request().Context(), f.Body)
		}
	}
	return a.page(c, a.t(c, "nav.facilities"), components.Facilities(v))
}

// queryTime is "now" for the public lists, truncated to the minute: bun
// writes times into the SQL text, and a text that changes every nanosecond
// defeats pgx's statement cache and makes PostgreSQL plan every query anew.
// A notice scheduled for 10:00 appears within the minute either way.
func (a *App) queryTime() time.Time { return a.now().Truncate(time.Minute) }
