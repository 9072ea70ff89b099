// Package components holds the portal's templ components. Components take
// typed parameters; what every page needs (language, catalogue, CSRF token,
// flash, asset URLs) travels in the request context as a *Request.
package components

import (
	"context"
	"strconv"
	"time"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/static"
)

// Request is the per-request view state every component may read.
type Request struct {
	Lang    string
	Path    string // current path, for aria-current and the language switch's return
	CSRF    string
	Flash   Flash
	Catalog *i18n.Catalog
	Assets  *static.Assets
	User    *db.Account // nil for a visitor
	Live    bool        // the page has live lists: load the SSE extension
	Script  string      // another script the page needs, e.g. js/export.js
	Now     time.Time   // the app's clock when the request began: what is open or over is judged against it
	// Waiting is the number of submissions waiting for the signed-in
	// approver, shown beside the back office's link in the header.
	Waiting int
	// Disaster: the portal is in disaster mode; every page shows the banner.
	Disaster bool
	// Shared: the answer may be kept and served to other visitors
	// (app/pagecache.go), so it must carry nothing of this one's: the
	// layout then leaves the CSRF token out and offers the languages as
	// links.
	Shared bool
	// Reading is the visitor's reading settings (text size, background,
	// furigana): classes on <html>, and ruby added by the server.
	Reading form.Reading
	// SearchQuery is the site search's words, shown again in the header's
	// search box on the results page.
	SearchQuery string
	// Meta is what a link to the page shows where it is shared (Open
	// Graph, description); the layout falls back to the title and the
	// site's description.
	Meta Meta
	// BaseURL is the portal's public address (PORTAL_BASE_URL), for the
	// absolute addresses of shared links, feeds and calendar subscriptions.
	BaseURL string

	tokenUsed bool
	// SignLink signs an outbound destination for /leave (app: leaveSig);
	// nil leaves links unsigned.
	SignLink func(dest string) string
}

// Token returns the CSRF token for a form or an htmx header and notes that
// the page carries it: such a page is never shared between visitors.
func (r *Request) Token() string {
	r.tokenUsed = true
	return r.CSRF
}

// CarriesToken reports whether the rendered page asked for the CSRF token.
func (r *Request) CarriesToken() bool { return r.tokenUsed }

// User returns the signed-in account, or nil.
func User(ctx context.Context) *db.Account { return RequestFrom(ctx).User }

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind string // "success" or "error"
	Text string
}

type requestKey struct{}

// WithRequest stores r in ctx.
func WithRequest(ctx context.Context, r *Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the *Request in ctx; rendering without one is a bug.
func RequestFrom(ctx context.Context) *Request {
	r, ok := ctx.Value(requestKey{}).(*Request)
	if !ok {
		panic("components: no *Request in context")
	}
	return r
}

// T returns message id in the request's language.
func T(ctx context.Context, id string) string {
	r := RequestFrom(ctx)
	return r.Catalog.T(r.Lang, id)
}

// Tf returns message id with placeholders filled from data.
func Tf(ctx context.Context, id string, data map[string]any) string {
	r := RequestFrom(ctx)
	return r.Catalog.T(r.Lang, id, data)
}

// Now returns the time the request is rendered at.
func Now(ctx context.Context) time.Time { return RequestFrom(ctx).Now }

// Lang returns the request's language.
func Lang(ctx context.Context) string { return RequestFrom(ctx).Lang }

// Date formats a date the Japanese way (or the English way in en).
func Date(ctx context.Context, t time.Time) string { return i18n.Date(Lang(ctx), t) }

// DateTime formats a date and time of day in Japan time.
func DateTime(ctx context.Context, t time.Time) string { return i18n.DateTime(Lang(ctx), t) }

// Clock is the time of day in Japan time, 13:30.
func Clock(t time.Time) string { return t.In(i18n.JST).Format("15:04") }

// ISO is the datetime attribute of <time>.
func ISO(t time.Time) string { return i18n.ISO(t) }

// Asset returns the hashed URL of a static asset.
func Asset(ctx context.Context, name string) string { return RequestFrom(ctx).Assets.URL(name) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// number writes n with thousands separators, as both languages do: 350,000.
func number(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + number(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
