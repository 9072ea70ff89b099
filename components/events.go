package components

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
)

// EventFacets are the choices of the event list's filters.
type EventFacets struct {
	Categories []string
	Towns      []string
}

// EventsView is the event list with its filters as typed.
type EventsView struct {
	Page   db.Page[db.Event]
	Facets EventFacets
	// The filter as the visitor typed it, shown back in the form.
	Category, Town, Query, From, To string
	FreeSeats                       bool
	Errs                            form.Errors
	CanAdd                          bool // the viewer organises events: link to the form
}

// query is the filter as URL parameters, for the pager.
func (v EventsView) query() string {
	q := url.Values{}
	for k, val := range map[string]string{"category": v.Category, "town": v.Town, "q": v.Query, "from": v.From, "to": v.To} {
		if val != "" {
			q.Set(k, val)
		}
	}
	if v.FreeSeats {
		q.Set("seats", "1")
	}
	if len(q) == 0 {
		return "/events"
	}
	return "/events?" + q.Encode()
}

// MonthView is a month calendar of events: a grid of days that links to the
// day's events listed below it.
type MonthView struct {
	EventsView
	Month      time.Time // the first day, in Japan time
	Prev, Next string    // the neighbouring months, YYYY-MM
	Weeks      [][7]CalendarDay
	Days       []DayEvents
}

// CalendarDay is one cell of the grid; Day 0 is a cell outside the month.
type CalendarDay struct {
	Day   int
	Count int
	Today bool
}

// DayEvents are one day's events.
type DayEvents struct {
	Date   time.Time
	Events []db.Event
}

// NewMonthView lays out the events of the month starting at first (Japan
// time) in weeks from Sunday, as Japanese calendars do.
func NewMonthView(v EventsView, first time.Time, events []db.Event, today time.Time) MonthView {
	m := MonthView{EventsView: v, Month: first,
		Prev: first.AddDate(0, -1, 0).Format("2006-01"), Next: first.AddDate(0, 1, 0).Format("2006-01")}
	counts := map[int]int{}
	for _, e := range events {
		s := e.StartsAt.In(i18n.JST)
		d := s.Day()
		counts[d]++
		if n := len(m.Days); n == 0 || m.Days[n-1].Date.Day() != d {
			m.Days = append(m.Days, DayEvents{Date: time.Date(s.Year(), s.Month(), d, 0, 0, 0, 0, i18n.JST)})
		}
		m.Days[len(m.Days)-1].Events = append(m.Days[len(m.Days)-1].Events, e)
	}
	last := first.AddDate(0, 1, -1).Day()
	today = today.In(i18n.JST)
	var week [7]CalendarDay
	col := int(first.Weekday())
	for d := 1; d <= last; d++ {
		week[col] = CalendarDay{Day: d, Count: counts[d],
			Today: today.Year() == first.Year() && today.Month() == first.Month() && today.Day() == d}
		col++
		if col == 7 {
			m.Weeks = append(m.Weeks, week)
			week, col = [7]CalendarDay{}, 0
		}
	}
	if col > 0 {
		m.Weeks = append(m.Weeks, week)
	}
	return m
}

// monthURL is the calendar of month with the same filters.
func (m MonthView) monthURL(month string) string {
	u := m.query()
	if u == "/events" {
		return "/events?month=" + month
	}
	return u + "&month=" + month
}

func dayAnchor(d int) string { return "d-" + strconv.Itoa(d) }

// weekdayKeys name the calendar's columns, Sunday first.
var weekdayKeys = [7]string{"week.sun", "week.mon", "week.tue", "week.wed", "week.thu", "week.fri", "week.sat"}

// MonthName is 2026年12月 (令和8年) in Japanese, December 2026 in English.
func MonthName(ctx context.Context, t time.Time) string {
	if Lang(ctx) == "en" {
		return t.Format("January 2006")
	}
	return strconv.Itoa(t.Year()) + "年" + strconv.Itoa(int(t.Month())) + "月（" + i18n.EraYear(t) + "）"
}

// DateWeekday is a date with its day of the week: 12月15日(火).
func DateWeekday(ctx context.Context, t time.Time) string { return i18n.DateWeekday(Lang(ctx), t) }

// monthLink is the month calendar of the current filter, this month.
// activeFilters is how many filters narrow the list, for the closed
// filter control to say.
func (v EventsView) activeFilters() int {
	n := 0
	for _, on := range []bool{v.Query != "", v.Category != "", v.Town != "", v.From != "", v.To != "", v.FreeSeats} {
		if on {
			n++
		}
	}
	return n
}

func (v EventsView) monthLink() string {
	m := MonthView{EventsView: v}
	return m.monthURL(time.Now().In(i18n.JST).Format("2006-01"))
}

// EventFormState is the new-event form with what was typed and its errors.
type EventFormState struct {
	In         form.Event
	Errs       form.Errors
	ByGroup    bool // a group's event goes to the moderators first
	Facilities []db.Facility
	EventID    int64 // the event being changed; 0 for a new one
	// Published: the event is up; a group's change then waits for the
	// moderators while the published version stays (Pending: one waits
	// already, and the form shows it).
	Published, Pending bool
	// Collide names the details of the pending change that a correction
	// moved since: the form shows the corrected ones, to resubmit.
	Collide []string
	// Correction: a moderator's emergency correction, seats and a reason
	// included, applied at once.
	Correction bool
	Reason     string
	History    []db.EventHistory // the event's steps after publication
}

func (s EventFormState) action() string {
	if s.Correction {
		return "/moderation/events/" + itoa(s.EventID) + "/correct"
	}
	if s.EventID != 0 {
		return "/events/" + itoa(s.EventID) + "/edit"
	}
	return "/events/new"
}

// facilityOptions are the facilities a venue may be, each with its town.
func (s EventFormState) facilityOptions() []Option {
	opts := make([]Option, len(s.Facilities))
	for i, f := range s.Facilities {
		opts[i] = Option{Value: itoa(f.ID), Label: f.Name + "（" + f.Town + "）"}
	}
	return opts
}

// eventFieldNames names an event's fields in the reader's language, for
// its history: "title" → 「イベント名」.
func eventFieldNames(ctx context.Context, fields []string) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = T(ctx, "event_history.field."+f)
	}
	return strings.Join(names, "、")
}

// changeApplies names the details approving c would set on its event as
// it is now.
func changeApplies(c *db.EventChange) []string {
	mine, _ := c.Merge(c.Event)
	return mine
}
