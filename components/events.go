package components

import (
	"net/url"

	"github.com/wardportal/portal/app/form"
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
