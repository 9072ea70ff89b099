package app

// Event authoring: an organiser (a group, ward staff or the operator) adds
// an event, lists the events they added, and edits one. Sign-ups and the
// participant list are in signup.go; the public listing is in content.go.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// eventOrganiser is who a new event by u is organised by: the group of a
// group account, else the ward (ward staff) or the operator (moderators).
func (a *App) eventOrganiser(ctx context.Context, u *db.Account) (kind string, groupID *int64, err error) {
	switch {
	case u.Kind == db.KindGroup:
		g, err := a.db.GroupOf(ctx, u)
		if err != nil {
			return "", nil, err
		}
		return db.OrganiserGroup, &g.ID, nil
	case u.HasRole(db.RoleWardStaff):
		return db.OrganiserWard, nil, nil
	default:
		return db.OrganiserOperator, nil, nil
	}
}

func (a *App) newEventPage(c echo.Context) error {
	fs, err := a.db.ListFacilities(c.Request().Context())
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "event_form.title"), components.EventForm(components.EventFormState{
		In: form.Event{Waitlist: "0"}, ByGroup: currentUser(c).Kind == db.KindGroup, Facilities: fs}))
}

// readEventForm reads, normalises and checks the event form, the facility
// against the list it offers (returned for showing the form again).
func (a *App) readEventForm(c echo.Context) (form.Event, form.ParsedEvent, form.Errors, []db.Facility, error) {
	in := form.Event{Title: c.FormValue("title"), Description: c.FormValue("description"), Category: c.FormValue("category"),
		Town: c.FormValue("town"), Venue: c.FormValue("venue"), Date: c.FormValue("date"), Start: c.FormValue("start"),
		End: c.FormValue("end"), Capacity: c.FormValue("capacity"), Waitlist: c.FormValue("waitlist"),
		ApplyUntil: c.FormValue("apply_until"), Fee: c.FormValue("fee"), Contact: c.FormValue("contact"),
		Facility: c.FormValue("facility")}
	in.Normalize()
	fs, err := a.db.ListFacilities(c.Request().Context())
	if err != nil {
		return in, form.ParsedEvent{}, nil, nil, err
	}
	ids := make([]int64, len(fs))
	for i := range fs {
		ids[i] = fs[i].ID
	}
	p, errs := in.Validate(a.now(), i18n.JST, ids)
	return in, p, errs, fs, nil
}

// createEvent stores an organiser's new event: staff events publish at
// once, a group's goes to the moderators. Bad input keeps everything typed.
func (a *App) createEvent(c echo.Context) error {
	u := currentUser(c)
	ctx := c.Request().Context()
	in, p, errs, fs, err := a.readEventForm(c)
	if err != nil {
		return err
	}
	state := components.EventFormState{In: in, Errs: errs, ByGroup: u.Kind == db.KindGroup, Facilities: fs}
	if errs.Any() {
		return a.render(c, http.StatusUnprocessableEntity, a.t(c, "event_form.title"), components.EventForm(state))
	}
	kind, groupID, err := a.eventOrganiser(ctx, u)
	if err != nil {
		return err
	}
	e := &db.Event{OrganiserKind: kind, GroupID: groupID, Title: in.Title, Description: in.Description, Category: in.Category,
		Town: in.Town, Venue: in.Venue, StartsAt: p.StartsAt, EndsAt: p.EndsAt, Capacity: p.Capacity, WaitlistSize: p.Waitlist,
		ApplyUntil: p.ApplyUntil, Fee: in.Fee, Contact: in.Contact, FacilityID: p.Facility}
	if err := a.db.CreateEvent(ctx, e, u, a.accessEvent(c, u, "")); err != nil {
		return err
	}
	if e.Status == db.EventReview {
		a.flash(c, "success", "event_form.sent_for_review")
		return c.Redirect(http.StatusSeeOther, "/account/organised")
	}
	a.flash(c, "success", "event_form.published")
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/events/%d", e.ID))
}

// organisedEvents lists the events the organiser added and what became of them.
func (a *App) organisedEvents(c echo.Context) error {
	es, err := a.db.EventsCreatedBy(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "organised.title"), components.OrganisedEvents(es))
}

// editableEvent loads the event of the request, whatever its status, if u
// organises it.
func (a *App) editableEvent(c echo.Context) (*db.Event, error) {
	return a.eventOrganisedBy(c, a.db.EventAnyStatus)
}

// eventFormValues is an event as its form shows it.
func eventFormValues(e *db.Event) form.Event {
	in := form.Event{Title: e.Title, Description: e.Description, Category: e.Category, Town: e.Town, Venue: e.Venue,
		Date: e.StartsAt.In(i18n.JST).Format("2006-01-02"), Start: e.StartsAt.In(i18n.JST).Format("15:04"),
		End: e.EndsAt.In(i18n.JST).Format("15:04"), Fee: e.Fee, Contact: e.Contact}
	if e.ApplyUntil != nil {
		in.ApplyUntil = e.ApplyUntil.In(i18n.JST).AddDate(0, 0, -1).Format("2006-01-02")
	}
	if e.FacilityID != nil {
		in.Facility = strconv.FormatInt(*e.FacilityID, 10)
	}
	return in
}

// public reports whether e is up on the portal: published, or closed to
// sign-ups but still shown.
func public(e *db.Event) bool { return e.Status == db.EventPublished || e.Status == db.EventClosed }

// eventEditState is the edit form of e as its organiser sees it: for a
// group's published event, the change waiting for the moderators (if any)
// and the event's history after publication.
func (a *App) eventEditState(c echo.Context, e *db.Event, in *form.Event) (components.EventFormState, error) {
	ctx := c.Request().Context()
	fs, err := a.db.ListFacilities(ctx)
	if err != nil {
		return components.EventFormState{}, err
	}
	s := components.EventFormState{ByGroup: e.OrganiserKind == db.OrganiserGroup, Facilities: fs, EventID: e.ID,
		Published: public(e)}
	if s.ByGroup && s.Published {
		ch, err := a.db.PendingEventChange(ctx, e.ID)
		if err != nil {
			return s, err
		}
		s.Pending = ch != nil
		if ch != nil {
			// The form shows the pending change over the event as it is
			// now: details a correction moved since, where they collide
			// with the change, read as corrected and are named, so that
			// what the group resubmits is based on the corrected event.
			var mine []string
			mine, s.Collide = ch.Merge(e)
			if in == nil {
				pending := *e
				ch.ApplyFields(&pending, mine)
				s.In = eventFormValues(&pending)
			}
		}
	}
	if s.Published {
		if s.History, err = a.db.EventHistoryOf(ctx, e.ID); err != nil {
			return s, err
		}
	}
	if in != nil {
		s.In = *in
	} else if !s.Pending {
		s.In = eventFormValues(e)
	}
	return s, nil
}

func (a *App) editEventPage(c echo.Context) error {
	e, err := a.editableEvent(c)
	if err != nil {
		return err
	}
	s, err := a.eventEditState(c, e, nil)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "event_form.edit_title"), components.EventForm(s))
}

// updateEvent saves an organiser's changes. A group's event waiting for
// review or sent back goes to the moderators again; a group's published
// event stays as published while the change waits for them.
func (a *App) updateEvent(c echo.Context) error {
	e, err := a.editableEvent(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u := currentUser(c)
	in, p, errs, _, err := a.readEventForm(c)
	if err != nil {
		return err
	}
	wasPublic := public(e)
	if !errs.Any() {
		e.Title, e.Description, e.Category, e.Town, e.Venue = in.Title, in.Description, in.Category, in.Town, in.Venue
		e.StartsAt, e.EndsAt, e.ApplyUntil, e.Fee, e.Contact, e.FacilityID = p.StartsAt, p.EndsAt, p.ApplyUntil, in.Fee, in.Contact, p.Facility
		err = a.db.UpdateEvent(ctx, e, u, a.accessEvent(c, u, ""))
		switch {
		case err == nil:
			if e.OrganiserKind == db.OrganiserGroup {
				key := "event_form.sent_for_review"
				if wasPublic {
					key = "event_form.change_sent"
				}
				a.flash(c, "success", key)
				return c.Redirect(http.StatusSeeOther, "/account/organised")
			}
			a.flash(c, "success", "event_form.saved")
			return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/events/%d", e.ID))
		case errors.Is(err, db.ErrPublishedGroupEvent), errors.Is(err, db.ErrNotEditable):
			errs.Add("title", "event_form.not_editable")
		default:
			return err
		}
	}
	s, err := a.eventEditState(c, e, &in)
	if err != nil {
		return err
	}
	s.Errs = errs
	return a.render(c, http.StatusUnprocessableEntity, a.t(c, "event_form.edit_title"), components.EventForm(s))
}

// correctableEvent loads the published (or closed) event of the request
// for a moderator's emergency correction.
func (a *App) correctableEvent(c echo.Context) (*db.Event, error) {
	id, err := idParam(c)
	if err != nil {
		return nil, err
	}
	e, err := a.db.EventAnyStatus(c.Request().Context(), id)
	if err != nil {
		return nil, err
	}
	if !public(e) {
		return nil, fmt.Errorf("event %d is %s: %w", id, e.Status, db.ErrNotFound)
	}
	return e, nil
}

// correctionState is the correction form of e: the event form with its
// seats and the reason, and the event's history.
func (a *App) correctionState(c echo.Context, e *db.Event, in *form.EventCorrection) (components.EventFormState, error) {
	s, err := a.eventEditState(c, e, nil)
	if err != nil {
		return s, err
	}
	s.Correction, s.Pending = true, false
	if in != nil {
		s.In, s.Reason = in.Event, in.Reason
		return s, nil
	}
	s.In = eventFormValues(e)
	if e.Capacity != nil {
		s.In.Capacity = strconv.Itoa(*e.Capacity)
	}
	s.In.Waitlist = strconv.Itoa(e.WaitlistSize)
	return s, nil
}

// correctEventPage shows a moderator the emergency correction form of a
// published event.
func (a *App) correctEventPage(c echo.Context) error {
	e, err := a.correctableEvent(c)
	if err != nil {
		return err
	}
	s, err := a.correctionState(c, e, nil)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "event_form.correct_title"), components.EventForm(s))
}

// correctEvent applies a moderator's emergency correction at once, with the
// reason on the audit log and in the event's history; the seats follow
// the participant page's rules (never below the sign-ups).
func (a *App) correctEvent(c echo.Context) error {
	e, err := a.correctableEvent(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	in, _, _, fs, err := a.readEventForm(c)
	if err != nil {
		return err
	}
	f := form.EventCorrection{Event: in, Reason: c.FormValue("reason")}
	f.Normalize()
	ids := make([]int64, len(fs))
	for i := range fs {
		ids[i] = fs[i].ID
	}
	p, errs := f.Validate(a.now(), i18n.JST, ids)
	if !errs.Any() {
		to := *e
		to.Title, to.Description, to.Category, to.Town, to.Venue = f.Title, f.Description, f.Category, f.Town, f.Venue
		to.StartsAt, to.EndsAt, to.ApplyUntil, to.Fee, to.Contact, to.FacilityID = p.StartsAt, p.EndsAt, p.ApplyUntil, f.Fee, f.Contact, p.Facility
		_, err = a.db.CorrectEvent(ctx, actorAs(c, actingRole(c)), db.Correction{Event: &to, Capacity: p.Capacity,
			WaitlistSize: p.Waitlist, Reason: f.Reason, MoveMail: a.moveMail}, func(e *db.Event) *db.Mail { return a.signupMail(i18n.Default, "promoted", e) })
		switch {
		case err == nil:
			a.flash(c, "success", "event_form.corrected")
			return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/events/%d", e.ID))
		case errors.Is(err, db.ErrCapacityBelow):
			errs.Add("capacity", "form.err.capacity_below")
		case errors.Is(err, db.ErrNotPublished):
			return fmt.Errorf("event %d: %w", e.ID, db.ErrNotFound)
		default:
			return err
		}
	}
	s, err := a.correctionState(c, e, &f)
	if err != nil {
		return err
	}
	s.Errs = errs
	return a.render(c, http.StatusUnprocessableEntity, a.t(c, "event_form.correct_title"), components.EventForm(s))
}
