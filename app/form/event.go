package form

import (
	"slices"
	"time"
)

// Limits of the event form, stated on it.
const (
	EventTitleMax = 80
	EventTextMax  = 2000
	ShortMax      = 40
	ContactMax    = 200
	CapacityMax   = 99999 // a festival's crowd fits; the database's int does too
	WaitlistMax   = 9999
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

// Validate checks the form against now and the facilities it offered (their
// ids: one deleted meanwhile, or never offered, is refused) and returns what
// it says; errs has a message id per bad field. Call Normalize first.
func (f *Event) Validate(now time.Time, jst *time.Location, facilities []int64) (ParsedEvent, Errors) {
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
	day, dayOK := Date(f.Date, jst)
	if !dayOK {
		e.Add("date", "form.err.date")
	}
	start, err1 := time.ParseInLocation("2006-01-02 15:04", f.Date+" "+f.Start, jst)
	if err1 != nil && dayOK {
		e.Add("start", "form.err.time")
	}
	end, err2 := time.ParseInLocation("2006-01-02 15:04", f.Date+" "+f.End, jst)
	if err2 != nil && dayOK {
		e.Add("end", "form.err.time")
	}
	if dayOK && err1 == nil {
		if !start.After(now) {
			e.Add("date", "form.err.past")
		}
		if err2 == nil && !end.After(start) {
			e.Add("end", "form.err.end_before_start")
		}
	}
	p.StartsAt, p.EndsAt = start, end
	p.Capacity, p.Waitlist = f.seats(e)
	if f.Facility != "" {
		if n, ok := ID(f.Facility); ok && slices.Contains(facilities, n) {
			p.Facility = &n
		} else {
			e.Add("facility", "form.err.facility")
		}
	}
	if f.ApplyUntil != "" {
		until, ok := Date(f.ApplyUntil, jst)
		switch {
		case !ok:
			e.Add("apply_until", "form.err.date")
		case dayOK && until.After(day):
			e.Add("apply_until", "form.err.apply_after_event")
		default:
			end := until.AddDate(0, 0, 1) // to the end of that day
			p.ApplyUntil = &end
		}
	}
	return p, e
}

// seats reads the capacity (empty: no limit) and the waitlist size (empty:
// none), each within its range.
func (f *Event) seats(e Errors) (*int, int) {
	s := Seats{Capacity: f.Capacity, Waitlist: f.Waitlist}
	for field, id := range s.Validate() {
		e.Add(field, id)
	}
	capacity, waitlist := s.Parsed()
	return capacity, waitlist
}

// Seats is the organiser's capacity form on the participant page, and the
// seats part of the event form: the capacity (empty for no limit) and the
// waitlist size, as typed.
type Seats struct {
	Capacity, Waitlist string
}

// Normalize folds widths.
func (s *Seats) Normalize() { s.Capacity, s.Waitlist = Fold(s.Capacity), Fold(s.Waitlist) }

// Validate checks both numbers are whole and within their ranges.
func (s *Seats) Validate() Errors {
	e := Errors{}
	if s.Capacity != "" {
		if _, ok := Int(s.Capacity, 1, CapacityMax); !ok {
			e.Add("capacity", "form.err.capacity")
		}
	}
	if s.Waitlist != "" {
		if _, ok := Int(s.Waitlist, 0, WaitlistMax); !ok {
			e.Add("waitlist", "form.err.waitlist")
		}
	}
	return e
}

// Parsed is what a valid form says: nil for no limit.
func (s *Seats) Parsed() (capacity *int, waitlist int) {
	if n, ok := Int(s.Capacity, 1, CapacityMax); ok {
		capacity = &n
	}
	waitlist, _ = Int(s.Waitlist, 0, WaitlistMax)
	return capacity, waitlist
}

// CorrectionMax bounds the reason of an emergency correction.
const CorrectionMax = 2000

// EventCorrection is a moderator's emergency correction of a published
// event (the activity-site seed's 緊急時の変更): the event form, its seats
// included, and the reason, which is required and goes on record.
type EventCorrection struct {
	Event
	Reason string
}

// CorrectionFields is the order of the correction form's fields.
var CorrectionFields = append(slices.Clone(EventFields), "reason")

// Normalize tidies the event fields and the reason.
func (f *EventCorrection) Normalize() {
	f.Event.Normalize()
	f.Reason = Multiline(f.Reason)
}

// Validate checks the event as Event.Validate does, and that a reason is given.
func (f *EventCorrection) Validate(now time.Time, jst *time.Location, facilities []int64) (ParsedEvent, Errors) {
	p, e := f.Event.Validate(now, jst, facilities)
	e.Required("reason", f.Reason, CorrectionMax, "form.err.correction_reason", "form.err.too_long")
	return p, e
}
