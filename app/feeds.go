package app

// Atom feeds (/feeds/{kind}.xml) of notices, subsidies, articles and
// events, and the sitemap (/sitemap.xml) for search engines. Both carry
// only what the public pages show: titles, summaries and addresses.

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// feedEntries is how many entries a feed carries.
const feedEntries = 30

// feedPageKinds maps a feed's name to the kind of page it follows; the
// events feed is apart.
var feedPageKinds = map[string]string{"notices": db.PageNotice, "subsidies": db.PageSubsidy, "articles": db.PageArticle}

// atomFeed and atomEntry are the parts of RFC 4287 the feeds use.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published,omitempty"`
	Links     []atomLink `xml:"link"`
	Summary   string     `xml:"summary,omitempty"`
	Category  *atomCat   `xml:"category,omitempty"`
}

type atomCat struct {
	Term string `xml:"term,attr"`
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// feed serves /feeds/{kind}.xml: the newest pages of a kind, or the
// upcoming events, soonest first. Japanese, like the site's default.
func (a *App) feed(c echo.Context) error {
	name, ok := strings.CutSuffix(c.Param("file"), ".xml")
	if !ok {
		return fmt.Errorf("feed %q: %w", c.Param("file"), db.ErrNotFound)
	}
	ctx := c.Request().Context()
	base := a.cfg.BaseURL
	f := atomFeed{Lang: "ja", ID: base + "/feeds/" + name + ".xml", Author: atomPerson{Name: a.catalog.T("ja", "feeds.author"), URI: base + "/"}}
	var updated time.Time
	switch kind, isPage := feedPageKinds[name]; {
	case isPage:
		ps, err := a.db.FeedPages(ctx, kind, feedEntries)
		if err != nil {
			return err
		}
		for _, p := range ps {
			link := base + string(components.PageURL(p.Kind, p.ID))
			f.Entries = append(f.Entries, atomEntry{ID: link, Title: p.Title, Updated: atomTime(p.RevisedAt),
				Published: atomTime(p.PublishedAt), Links: []atomLink{{Rel: "alternate", Type: "text/html", Href: link}},
				Summary: components.Summary(p.Body), Category: &atomCat{Term: p.Division}})
			updated = later(updated, p.RevisedAt)
		}
		f.Links = []atomLink{{Rel: "alternate", Type: "text/html", Href: base + "/" + name}}
	case name == "events":
		es, err := a.db.FeedEvents(ctx, a.queryTime(), feedEntries)
		if err != nil {
			return err
		}
		for _, e := range es {
			link := fmt.Sprintf("%s/events/%d", base, e.ID)
			f.Entries = append(f.Entries, atomEntry{ID: link, Title: e.Title, Updated: atomTime(e.UpdatedAt),
				Published: atomTime(e.CreatedAt), Links: []atomLink{{Rel: "alternate", Type: "text/html", Href: link}},
				Summary: a.catalog.T("ja", "feeds.event_when", map[string]any{"When": i18n.DateTime("ja", e.StartsAt), "Venue": e.Venue}) +
					" " + components.Summary(e.Description),
				Category: &atomCat{Term: e.Category}})
			updated = later(updated, e.UpdatedAt)
		}
		f.Links = []atomLink{{Rel: "alternate", Type: "text/html", Href: base + "/events"}}
	default:
		return fmt.Errorf("feed %q: %w", name, db.ErrNotFound)
	}
	f.Title = a.catalog.T("ja", "feeds.title."+name)
	f.Links = append(f.Links, atomLink{Rel: "self", Type: "application/atom+xml", Href: f.ID})
	if updated.IsZero() {
		updated = a.now()
	}
	f.Updated = atomTime(updated)
	return a.sendXML(c, "application/atom+xml; charset=utf-8", f)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// sitemapMax bounds each kind in the sitemap; the protocol allows 50,000
// addresses in one file.
const sitemapMax = 15000

type sitemapURLSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

// sitemapLists are the public lists, always in the sitemap.
var sitemapLists = []string{"/", "/events", "/board", "/groups", "/notices", "/subsidies", "/articles", "/facilities"}

// sitemap serves /sitemap.xml: the lists, every live page of the official
// site, the upcoming events and the published groups.
func (a *App) sitemap(c echo.Context) error {
	es, err := a.db.SitemapEntries(c.Request().Context(), a.queryTime(), sitemapMax)
	if err != nil {
		return err
	}
	base := a.cfg.BaseURL
	set := sitemapURLSet{URLs: make([]sitemapURL, 0, len(sitemapLists)+len(es))}
	for _, p := range sitemapLists {
		set.URLs = append(set.URLs, sitemapURL{Loc: base + p})
	}
	seen := map[string]bool{}
	for _, e := range es {
		var loc string
		switch e.Kind {
		case db.SearchEvents:
			loc = fmt.Sprintf("%s/events/%d", base, e.ID)
		case db.SearchGroups:
			loc = fmt.Sprintf("%s/groups/%d", base, e.ID)
		case db.PageFacility:
			continue // an anchor of /facilities, which is listed
		default:
			loc = base + string(components.PageURL(e.Kind, e.ID))
		}
		if !seen[loc] {
			seen[loc] = true
			set.URLs = append(set.URLs, sitemapURL{Loc: loc, LastMod: e.Modified.UTC().Format("2006-01-02")})
		}
	}
	return a.sendXML(c, "application/xml; charset=utf-8", set)
}

// sendXML writes v as an XML document; feeds and the sitemap are the same
// for everyone, so caches may keep them a few minutes.
func (a *App) sendXML(c echo.Context, ctype string, v any) error {
	b, err := xml.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, ctype, append([]byte(xml.Header), b...))
}
