package form

import (
	"strconv"
	"time"
)

// Limits of the event form, stated on it.
const (
	EventTitleMax = 80
	EventTextMax  = 2000
	ShortMax      = 40
	ContactMax    = 200
)

// Event is the form an organiser fills in for a new event. Dates and times
// are Japan time as typed (2026-12-01, 10:00).
type Event struct {
	Title, Description, Category, Town, Venue string
	Date, Start, End, ApplyUntil              string
	Capacity, Waitlist, Fee, Contact          string
	Facility                                  string // a facility's id when the venue is one
}

// EventFields is the order of the form's fields, for the error summary.
var EventFields = []string{"title", "description", "category", "town", "venue", "facility", "date", "start", "end",
	"capacity", "waitlist", "apply_until", "fee", "contact"}

// Normalize keeps the organiser's text as typed (tidied) and folds widths
// in the dates, times and numbers.
func (f *Event) Normalize() {
	for _, p := range []*string{&f.Title, &f.Category, &f.Town, &f.Venue, &f.Fee, &f.Contact} {
		*p = Text(*p)
	}
	for _, p := range []*string{&f.Date, &f.Start, &f.End, &f.ApplyUntil, &f.Capacity, &f.Waitlist, &f.Facility} {
		*p = Fold(*p)
	}
	f.Description = Multiline(f.Description)
}

// ParsedEvent is what a valid form says.
type ParsedEvent struct {
	StartsAt, EndsAt time.Time
	ApplyUntil       *time.Time
	Capacity         *int
	Waitlist         int
	Facility         *int64
}

// Validate checks the form against now and returns what it says; errs has
// a message id per bad field. Call Normalize first.
func (f *Event) Validate(now time.Time, jst *time.Location) (ParsedEvent, Errors) {
	var p ParsedEvent
	e := Errors{}
	required := func(field, v string, max int) {
		switch {
		case v == "":
			e.Add(field, "form.err.required_"+field)
		case Len(v) > max:
			e.Add(field, "form.err.too_long")
		}
	}
	required("title", f.Title, EventTitleMax)
	required("description", f.Description, EventTextMax)
	required("category", f.Category, ShortMax)
	required("town", f.Town, ShortMax)
	required("venue", f.Venue, EventTitleMax)
	if Len(f.Fee) > ShortMax {
		e.Add("fee", "form.err.too_long")
	}
	if Len(f.Contact) > ContactMax {
		e.Add("contact", "form.err.too_long")
	}
	day, err := time.ParseInLocation("2006-01-02", f.Date, jst)
	if err != nil {
		e.Add("date", "form.err.date")
	}
	start, err1 := time.ParseInLocation("2006-01-02 15:04", f.Date+" "+f.Start, jst)
	if err1 != nil && err == nil {
		e.Add("start", "form.err.time")
	}
	end, err2 := time.ParseInLocation("2006-01-02 15:04", f.Date+" "+f.End, jst)
	if err2 != nil && err == nil {
		e.Add("end", "form.err.time")
	}
	if err == nil && err1 == nil {
		if !start.After(now) {
			e.Add("date", "form.err.past")
		}
		if err2 == nil && !end.After(start) {
			e.Add("end", "form.err.end_before_start")
		}
	}
	p.StartsAt, p.EndsAt = start, end
	if f.Capacity != "" {
		n, err := strconv.Atoi(f.Capacity)
		if err != nil || n <= 0 {
			e.Add("capacity", "form.err.capacity")
		} else {
			p.Capacity = &n
		}
	}
	if f.Waitlist != "" {
		n, err := strconv.Atoi(f.Waitlist)
		if err != nil || n < 0 {
			e.Add("waitlist", "form.err.waitlist")
		}
		p.Waitlist = n
	}
	if f.Facility != "" {
		n, err := strconv.ParseInt(f.Facility, 10, 64)
		if err != nil || n <= 0 {
			e.Add("facility", "form.err.facility")
		} else {
			p.Facility = &n
		}
	}
	if f.ApplyUntil != "" {
		until, err := time.ParseInLocation("2006-01-02", f.ApplyUntil, jst)
		switch {
		case err != nil:
			e.Add("apply_until", "form.err.date")
		case err == nil && !day.IsZero() && until.After(day):
			e.Add("apply_until", "form.err.apply_after_event")
		default:
			end := until.AddDate(0, 0, 1) // to the end of that day
			p.ApplyUntil = &end
		}
	}
	return p, e
}
