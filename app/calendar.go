package app

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// iCalendar (RFC 5545): one file per event at /events/{id}.ics, the public
// feed of upcoming events at /events.ics, and each member's private feed of
// their own sign-ups at /calendar/{token}.ics. arran4/golang-ical writes
// them: it escapes TEXT values and folds lines at 75 octets on UTF-8
// boundaries, which Japanese titles need.

const (
	feedDays     = 180 // the public feed looks this far ahead
	feedLimit    = 500 // and holds at most this many events, as does a member's
	ownFeedDays  = 30  // a member's feed keeps their events of the last month
	calendarTZID = "Asia/Tokyo"
	calendarType = "text/calendar; charset=utf-8"
)

// eventOrICS serves /events/{id} and /events/{id}.ics: echo's router cannot
// match a suffix after a parameter, so the one route looks at it.
func (a *App) eventOrICS(c echo.Context) error {
	if id, ok := strings.CutSuffix(c.Param("id"), ".ics"); ok {
		return a.eventICS(c, id)
	}
	return a.event(c)
}

// eventICS is one event's calendar file: whatever PublicEvent shows (published,
// cancelled, closed), nothing else.
func (a *App) eventICS(c echo.Context, idText string) error {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("event file %q: %w", idText, db.ErrNotFound)
	}
	e, err := a.db.PublicEvent(c.Request().Context(), id)
	if err != nil {
		return err
	}
	cal := a.newCalendar("")
	a.addEvent(cal, e, "", "")
	return a.sendCalendar(c, cal, fmt.Sprintf("event-%d.ics", id), false)
}

// eventsFeed is the public feed: published events from today (Japan time)
// for feedDays, so today's events stay in calendars until the day ends.
func (a *App) eventsFeed(c echo.Context) error {
	from := startOfDay(a.now())
	es, err := a.db.CalendarEvents(c.Request().Context(), from, from.AddDate(0, 0, feedDays), feedLimit)
	if err != nil {
		return err
	}
	cal := a.newCalendar(a.catalog.T(a.viewRequest(c).Lang, "calendar.public_name", a.siteNameData(c)))
	for i := range es {
		a.addEvent(cal, &es[i], "", "")
	}
	return a.sendCalendar(c, cal, "events.ics", false)
}

// memberFeed is a member's private feed: their confirmed and waitlisted
// sign-ups. An unknown or revoked token, or a member who is no longer
// active, gets 404, the same answer as for an address that never existed.
func (a *App) memberFeed(c echo.Context) error {
	tok, ok := strings.CutSuffix(c.Param("token"), ".ics")
	if !ok || tok == "" {
		return fmt.Errorf("calendar feed: %w", db.ErrNotFound)
	}
	ss, err := a.db.MemberCalendar(c.Request().Context(), tokenHash(tok), startOfDay(a.now()).AddDate(0, 0, -ownFeedDays), feedLimit)
	if err != nil {
		return err
	}
	lang := a.viewRequest(c).Lang
	cal := a.newCalendar(a.catalog.T(lang, "calendar.private_name", a.siteNameData(c)))
	for i := range ss {
		prefix, status := "", ics.ObjectStatus("")
		if ss[i].Status == db.SignupWaitlisted {
			prefix, status = a.catalog.T(lang, "calendar.waitlisted"), ics.ObjectStatusTentative
		}
		a.addEvent(cal, &ss[i].Event, prefix, status)
	}
	c.Response().Header().Set("X-Robots-Tag", "noindex")
	return a.sendCalendar(c, cal, "my-events.ics", true)
}

func (a *App) siteNameData(c echo.Context) map[string]any {
	return map[string]any{"SiteName": a.t(c, "site.name")}
}

// startOfDay is midnight in Japan time of t's day.
func startOfDay(t time.Time) time.Time {
	t = t.In(i18n.JST)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, i18n.JST)
}

// newCalendar starts a VCALENDAR in Japan time; name makes it a feed.
func (a *App) newCalendar(name string) *ics.Calendar {
	cal := ics.NewCalendarFor("wardportal")
	cal.SetProductId("-//wardportal//portal//JA")
	cal.SetCalscale("GREGORIAN")
	cal.SetMethod(ics.MethodPublish)
	if name != "" {
		cal.SetXWRCalName(name)
		cal.SetXWRTimezone(calendarTZID)
		cal.SetRefreshInterval("PT1H", ics.WithValue(string(ics.ValueDataTypeDuration)))
		cal.SetXPublishedTTL("PT1H")
	}
	// Japan has kept +09:00 without daylight saving since 1951: one STANDARD
	// rule describes every date an event can have.
	std := cal.AddTimezone(calendarTZID).AddStandard()
	std.AddProperty(ics.ComponentPropertyDtStart, "19700101T000000")
	std.AddProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), "+0900")
	std.AddProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), "+0900")
	std.AddProperty(ics.ComponentProperty(ics.PropertyTzname), "JST")
	return cal
}

// addEvent adds e as a VEVENT. Its UID stays the same in every file and
// feed, so a calendar that has it from two places knows it is one event.
// Only what the public event page shows goes in, and not all of that: no
// contact, no participant, nobody's personal data.
func (a *App) addEvent(cal *ics.Calendar, e *db.Event, summaryPrefix string, status ics.ObjectStatus) {
	page := fmt.Sprintf("%s/events/%d", a.cfg.BaseURL, e.ID)
	ev := cal.AddEvent(fmt.Sprintf("event-%d@%s", e.ID, a.calendarHost()))
	ev.SetDtStampTime(a.now())
	if !e.UpdatedAt.IsZero() {
		ev.SetLastModifiedAt(e.UpdatedAt)
	}
	ev.SetProperty(ics.ComponentPropertyDtStart, localTime(e.StartsAt), ics.WithTZID(calendarTZID))
	ev.SetProperty(ics.ComponentPropertyDtEnd, localTime(e.EndsAt), ics.WithTZID(calendarTZID))
	ev.SetSummary(summaryPrefix + icsText(e.Title))
	desc := icsText(e.Description)
	if desc != "" {
		desc += "\n\n"
	}
	ev.SetDescription(desc + page)
	loc := icsText(e.Venue)
	if e.Town != "" && e.Town != e.Venue {
		loc += "（" + icsText(e.Town) + "）"
	}
	ev.SetLocation(loc)
	ev.SetURL(page)
	switch {
	case e.Status == "cancelled":
		ev.SetStatus(ics.ObjectStatusCancelled)
	case status != "":
		ev.SetStatus(status)
	default:
		ev.SetStatus(ics.ObjectStatusConfirmed)
	}
}

// calendarHost names the portal in UIDs: the host of PORTAL_BASE_URL.
func (a *App) calendarHost() string {
	u, err := url.Parse(a.cfg.BaseURL)
	if err != nil || u.Hostname() == "" {
		return "localhost" // LoadConfig refuses such a base URL
	}
	return u.Hostname()
}

// localTime is t as an iCalendar DATE-TIME in Japan time, for TZID=Asia/Tokyo.
func localTime(t time.Time) string { return t.In(i18n.JST).Format("20060102T150405") }

// icsText makes text fit an iCalendar TEXT value before the library escapes
// it: line breaks become \n (the library escapes LF only) and other control
// characters, which TEXT may not hold, go.
func icsText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// sendCalendar writes cal with CRLF line ends, as RFC 5545 requires (the
// library's default is the platform's). An event's file shares its route
// with the event page, whose middleware may set cookies, so public files
// are revalidated rather than kept by shared caches; a private feed may not
// be stored at all.
func (a *App) sendCalendar(c echo.Context, cal *ics.Calendar, filename string, private bool) error {
	var buf bytes.Buffer
	if err := cal.SerializeTo(&buf, ics.WithNewLineWindows); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, calendarType)
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	if private {
		h.Set("Cache-Control", "private, no-store")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	return c.Blob(http.StatusOK, calendarType, buf.Bytes())
}

// Private feed addresses: /account/calendar makes, shows and revokes them.

func (a *App) calendarPage(c echo.Context) error {
	live, err := a.db.LiveCalendarFeed(c.Request().Context(), currentUser(c).ID)
	switch {
	case isNotFound(err):
		live = nil
	case err != nil:
		return err
	}
	return a.page(c, a.t(c, "calendar.title"), components.CalendarFeedPage(components.CalendarFeed{Live: live}))
}

// newCalendarFeed makes the member a new address, revoking the old one, and
// shows it on this response: only its hash is kept, so it cannot outlive
// the request to be shown after a redirect (registration shows the initial
// password the same way).
func (a *App) newCalendarFeed(c echo.Context) error {
	u := currentUser(c)
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	f, err := a.db.NewCalendarFeed(c.Request().Context(), u.ID, tokenHash(tok), a.now(), a.accessEvent(c, u, db.ActionCalendarFeedCreate))
	if err != nil {
		return err
	}
	addr := a.cfg.BaseURL + "/calendar/" + tok + ".ics"
	if lang := a.viewRequest(c).Lang; lang != i18n.Default {
		addr += "?lang=" + lang // the feed's name and labels in the member's language
	}
	return a.page(c, a.t(c, "calendar.title"), components.CalendarFeedPage(components.CalendarFeed{Live: f, URL: addr}))
}

func (a *App) revokeCalendarFeed(c echo.Context) error {
	u := currentUser(c)
	if err := a.db.RevokeCalendarFeed(c.Request().Context(), u.ID, a.now(), a.accessEvent(c, u, db.ActionCalendarFeedRevoke)); err != nil {
		return err
	}
	a.flash(c, "success", "calendar.revoked")
	return c.Redirect(http.StatusSeeOther, "/account/calendar")
}
