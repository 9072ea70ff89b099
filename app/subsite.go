package app

import (
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// A department sub-site is served under /s/{slug}, or on its own host name
// when one is configured: there / is its home and /pages/{id} its pages.

// sitePattern is what sites.slug accepts (migration 0015): anything else is
// no site, answered before the database is asked.
var sitePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,39}$`)

// subSite loads the active sub-site of the address; the official site and
// sites applied for, refused or closed are not found.
func (a *App) subSite(c echo.Context) (components.SubSite, error) {
	slug := c.Param("site")
	if !sitePattern.MatchString(slug) {
		return components.SubSite{}, fmt.Errorf("site %q: %w", slug, db.ErrNotFound)
	}
	s, err := a.db.SiteBySlug(c.Request().Context(), slug)
	if err != nil {
		return components.SubSite{}, err
	}
	if s.Official {
		return components.SubSite{}, fmt.Errorf("the official site under /s: %w", db.ErrNotFound)
	}
	base := "/s/" + s.Slug
	if s.Host != nil && requestHost(c.Request()) == *s.Host {
		base = "" // on its own host name, its addresses start at /
	}
	return components.SubSite{Site: s, Base: base}, nil
}

// subSiteHome is a sub-site's home: its name, navigation and published
// pages of every kind, newest first.
func (a *App) subSiteHome(c echo.Context) error {
	after, err := cursorParam(c)
	if err != nil {
		return err
	}
	s, err := a.subSite(c)
	if err != nil {
		return err
	}
	p, err := a.db.SitePages(c.Request().Context(), s.Site.ID, after)
	if err != nil {
		return err
	}
	return a.page(c, s.Site.Name, components.SubSiteHome(s, p))
}

// subSitePage is one published page of the sub-site (its live revision); a
// page of another site is not found here.
func (a *App) subSitePage(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	s, err := a.subSite(c)
	if err != nil {
		return err
	}
	p, err := a.db.SitePublishedPage(c.Request().Context(), s.Site.ID, id)
	if err != nil {
		return err
	}
	return a.page(c, p.Live.Title+" | "+s.Site.Name, components.SubSitePage(s, p, a.pageHTML(c.Request().Context(), p.Live.Body)))
}

// requestHost is the request's host name, lower case, without the port.
func requestHost(r *http.Request) string {
	h := r.Host
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// siteHostsTTL is how long an instance keeps the sub-sites' host names: a
// change made on another instance reaches this one within it (this
// instance forgets them at once on its own changes).
const siteHostsTTL = 30 * time.Second

// siteHost serves a sub-site on its own host name: a request for that host
// has its address rewritten before routing, / to /s/{slug} and /pages/{id}
// to /s/{slug}/pages/{id}, so it goes through the same routes, middleware,
// security headers and cookies (which are host-only) as any other. Every
// other address on that host (assets, sign-in) is the portal's own. The
// portal's own host name never asks the database.
func (a *App) siteHost(next echo.HandlerFunc) echo.HandlerFunc {
	own := a.portalHost()
	return func(c echo.Context) error {
		r := c.Request()
		host := requestHost(r)
		if host == own || host == "" {
			return next(c)
		}
		p := r.URL.Path
		if p != "/" && !strings.HasPrefix(p, "/pages/") {
			return next(c)
		}
		hosts, err := a.siteHosts.get(time.Now(), siteHostsTTL, func() (map[string]string, error) {
			return a.db.SiteHosts(r.Context())
		})
		if err != nil {
			// Without the list the request is the portal's own; the
			// error page or the home page says the rest.
			a.log.Warn("site hosts", "err", err, "request_id", requestID(c))
			return next(c)
		}
		slug, ok := hosts[host]
		if !ok {
			return next(c)
		}
		c.Set(siteHostKey, host) // the page's links differ: part of its cache key
		r.URL.Path = "/s/" + slug + strings.TrimSuffix(p, "/")
		r.URL.RawPath = ""
		return next(c)
	}
}
