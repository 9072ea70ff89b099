package components

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/wardportal/portal/db"
)

// absURL is path at the portal's public address.
func absURL(ctx context.Context, path string) string {
	return RequestFrom(ctx).BaseURL + path
}

// webcalURL is the events feed as a calendar subscription: the same
// address under the webcal: scheme, which calendar apps subscribe to.
func webcalURL(ctx context.Context) templ.SafeURL {
	base := RequestFrom(ctx).BaseURL
	if i := strings.Index(base, "://"); i >= 0 {
		base = base[i+3:]
	}
	return templ.SafeURL("webcal://" + base + "/events.ics")
}

// calendarUTC is a time as Google Calendar's dates parameter takes it.
func calendarUTC(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// googleCalendarURL adds the event in Google Calendar: its title, times,
// place and this page's address, nothing else.
func googleCalendarURL(ctx context.Context, e *db.Event) string {
	v := url.Values{"action": {"TEMPLATE"}, "text": {e.Title},
		"dates":    {calendarUTC(e.StartsAt) + "/" + calendarUTC(e.EndsAt)},
		"location": {e.Venue}, "details": {absURL(ctx, "/events/"+itoa(e.ID))}}
	return "https://calendar.google.com/calendar/render?" + v.Encode()
}

// outlookCalendarURL adds the event in Outlook on the web.
func outlookCalendarURL(ctx context.Context, e *db.Event) string {
	v := url.Values{"path": {"/calendar/action/compose"}, "rru": {"addevent"}, "subject": {e.Title},
		"startdt": {e.StartsAt.UTC().Format(time.RFC3339)}, "enddt": {e.EndsAt.UTC().Format(time.RFC3339)},
		"location": {e.Venue}, "body": {absURL(ctx, "/events/"+itoa(e.ID))}}
	return "https://outlook.live.com/calendar/0/deeplink/compose?" + v.Encode()
}

// mapURL finds a place on a map; like every outbound link it goes through
// the /leave notice.
func mapURL(ctx context.Context, place string) templ.SafeURL {
	return LeaveURL(ctx, "https://www.google.com/maps/search/?api=1&query="+url.QueryEscape(place))
}

// lineShareURL sends a page's address with LINE.
func lineShareURL(ctx context.Context, path string) templ.SafeURL {
	return LeaveURL(ctx, "https://social-plugins.line.me/lineit/share?url="+url.QueryEscape(absURL(ctx, path)))
}
