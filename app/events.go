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

func (a *App) editEventPage(c echo.Context) error {
	e, err := a.editableEvent(c)
	if err != nil {
		return err
	}
	fs, err := a.db.ListFacilities(c.Request().Context())
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "event_form.edit_title"), components.EventForm(components.EventFormState{
		In: eventFormValues(e), ByGroup: e.OrganiserKind == db.OrganiserGroup, Facilities: fs, EventID: e.ID}))
}

// updateEvent saves an organiser's changes. A group's event waiting for
// review or sent back goes to the moderators again; once published, the
// operator changes it on the group's behalf.
func (a *App) updateEvent(c echo.Context) error {
	e, err := a.editableEvent(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u := currentUser(c)
	in, p, errs, fs, err := a.readEventForm(c)
	if err != nil {
		return err
	}
	if !errs.Any() {
		e.Title, e.Description, e.Category, e.Town, e.Venue = in.Title, in.Description, in.Category, in.Town, in.Venue
		e.StartsAt, e.EndsAt, e.ApplyUntil, e.Fee, e.Contact, e.FacilityID = p.StartsAt, p.EndsAt, p.ApplyUntil, in.Fee, in.Contact, p.Facility
		err = a.db.UpdateEvent(ctx, e, u, a.accessEvent(c, u, ""))
		switch {
		case err == nil:
			if e.OrganiserKind == db.OrganiserGroup {
				a.flash(c, "success", "event_form.sent_for_review")
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
	return a.render(c, http.StatusUnprocessableEntity, a.t(c, "event_form.edit_title"), components.EventForm(components.EventFormState{
		In: in, Errs: errs, ByGroup: e.OrganiserKind == db.OrganiserGroup, Facilities: fs, EventID: e.ID}))
}
