package components

import (
	"time"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/db"
)

// SignupState is the sign-up box of an event page as one viewer sees it.
type SignupState struct {
	Event     *db.Event
	Signup    *db.Signup // the viewer's live sign-up; nil for none
	Member    bool       // the viewer is a signed-in member (groups organise, staff run the site)
	SignedIn  bool
	Organiser bool   // the viewer organises the event: link to the participant list
	Corrector bool   // the viewer may correct the published event at once (a moderator)
	Result    string // what the viewer just did: a sign-up status, "cancelled", "already", or why it is not open
	Now       time.Time
	After     int64 // the live-event id the page was rendered at: the seat count's stream resumes after it
	// Position is a waiting member's place on the waitlist (1: next).
	Position int
	// Confirming: the box asks once more before cancelling (the second step).
	Confirming bool
}

// action is what the sign-up button does now: "signup" while there are
// seats (or no limit), "waitlist" once only the waitlist has places, ""
// when neither has: the button then says 受付終了.
func (s SignupState) action() string { return signupAction(s.Event) }

func signupAction(e *db.Event) string {
	left := e.SeatsLeft()
	switch {
	case left == nil || *left > 0:
		return "signup"
	case e.Waitlisted < e.WaitlistSize:
		return "waitlist"
	}
	return ""
}

// cancelConsequence says what cancelling gives up: a seat that goes to
// the next person waiting (or back to the free seats), or a place on the
// waitlist.
func cancelConsequence(s SignupState) string {
	switch {
	case s.Signup != nil && s.Signup.Status == db.SignupWaitlisted:
		return "signup.cancel_confirm.waitlist_place"
	case s.Event.Waitlisted > 0:
		return "signup.cancel_confirm.seat_to_next"
	}
	return "signup.cancel_confirm.seat_freed"
}

// closedReason is why the event takes no sign-ups now, or "".
func (s SignupState) closedReason() string { return closedReason(s.Event, s.Now) }

// closedReason is why e takes no sign-ups at now, or "": the one judgement
// behind both the sign-up box and the seat count, so they never disagree.
func closedReason(e *db.Event, now time.Time) string {
	switch {
	case e.Status == "cancelled":
		return "cancelled"
	case e.Status != db.EventPublished:
		return "not_published"
	case e.ApplyFrom != nil && now.Before(*e.ApplyFrom):
		return "not_yet"
	case e.ApplyUntil != nil && !now.Before(*e.ApplyUntil):
		return "ended"
	case !now.Before(e.StartsAt):
		return "started"
	}
	return ""
}

// seatsClosed is the catalogue id the seat count shows instead of seats
// when e takes no more sign-ups at now (cancelled, closed by its organiser,
// past its deadline or begun), or "": a free seat or a waitlist place of an
// event that is over is no offer at all.
func seatsClosed(e *db.Event, now time.Time) string {
	switch closedReason(e, now) {
	case "cancelled":
		return "events.cancelled"
	case "ended", "started":
		return "events.closed"
	}
	if e.Status == db.EventClosed {
		return "events.closed"
	}
	return ""
}

func signupURL(e *db.Event, action string) string {
	return "/events/" + itoa(e.ID) + "/" + action
}

// ManageState is what the organiser typed into the capacity form.
type ManageState struct {
	Capacity string // "" for no limit
	Waitlist string
	Errs     form.Errors
}
