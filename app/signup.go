package app

// Sign-ups: a member signs up for an event or cancels, the organiser sees
// and exports the participant list and changes the seats, reminders go out
// the day before, and the event page's seat count stays live. Adding and
// editing events is in events.go.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/export"
	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/htmx"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/app/live"
	"github.com/wardportal/portal/app/worker"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// signupState is the event page's sign-up box for the viewer.
func (a *App) signupState(c echo.Context, e *db.Event) (components.SignupState, error) {
	u := currentUser(c)
	s := components.SignupState{Event: e, SignedIn: u != nil, Member: u != nil && u.Kind == db.KindMember, Now: a.now()}
	if s.Member {
		var err error
		if s.Signup, err = a.db.SignupOf(c.Request().Context(), e.ID, u.ID); err != nil {
			return s, err
		}
		if s.Signup != nil && s.Signup.Status == db.SignupWaitlisted {
			if s.Position, err = a.db.WaitlistPosition(c.Request().Context(), e.ID, u.ID); err != nil {
				return s, err
			}
		}
	}
	role, err := a.db.OrganiserRole(c.Request().Context(), u, e)
	s.Organiser = role != ""
	s.Corrector = roleFor(u, permEventCorrect) != "" && public(e)
	return s, err
}

// signupMail composes the mail a sign-up change sends: confirmed,
// waitlisted, cancelled, or promoted from the waitlist.
// lang is the recipient's (mailLang).
func (a *App) signupMail(lang, kind string, e *db.Event) *db.Mail {
	return a.composeMail(lang, "signup_"+kind, "", map[string]any{
		"Title": e.Title, "When": i18n.DateTime(lang, e.StartsAt),
		"Venue": e.Venue, "URL": fmt.Sprintf("%s/events/%d", a.cfg.BaseURL, e.ID),
	})
}

// signUp applies the member to the event: confirmed, waitlisted or full.
// A double submit counts once. With htmx the box and the seat count change
// in place; a plain POST comes back to the event page.
func (a *App) signUp(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	res, err := a.db.SignUp(c.Request().Context(), id, u, a.now(), a.accessEvent(c, u, ""), func(r db.SignupResult) *db.Mail {
		return a.signupMail(mailLang(u), r.Status, &r.Event)
	})
	var notOpen *db.ErrNotOpen
	switch {
	case errors.As(err, &notOpen):
		return a.signupAnswer(c, id, notOpen.Reason, nil)
	case err != nil:
		return err
	case res.Already:
		return a.signupAnswer(c, id, "already", &res)
	}
	return a.signupAnswer(c, id, res.Status, &res)
}

// cancelPage is the second step of a cancellation: the sign-up box asking
// once more and saying where the seat goes. With htmx it is the box alone,
// swapped in place; without, a page of its own. Someone with nothing to
// cancel is sent back to the event.
func (a *App) cancelPage(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	e, err := a.db.PublicEvent(c.Request().Context(), id)
	if err != nil {
		return err
	}
	s, err := a.signupState(c, e)
	if err != nil {
		return err
	}
	if s.Signup == nil {
		if htmx.IsPartial(c.Request()) {
			return a.render(c, http.StatusOK, "", components.SignupBox(s))
		}
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/events/%d#signup", id))
	}
	s.Confirming = true
	if htmx.IsPartial(c.Request()) {
		return a.render(c, http.StatusOK, "", components.SignupBox(s))
	}
	return a.page(c, a.t(c, "signup.cancel_confirm.title"), components.CancelSignupPage(s))
}

// waitlistPosition is a waiting member's place on the waitlist, for the
// event page to refresh when the seat count changes.
func (a *App) waitlistPosition(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	n, err := a.db.WaitlistPosition(c.Request().Context(), id, currentUser(c).ID)
	if err != nil {
		return err
	}
	return a.render(c, http.StatusOK, "", components.WaitlistPosition(id, n))
}

// cancelSignup takes the member's sign-up back; the first on the waitlist
// gets the seat, and both are mailed. Only the second step (confirm=1)
// cancels: a POST without it is shown that step.
func (a *App) cancelSignup(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "1" {
		if htmx.IsPartial(c.Request()) {
			return a.cancelPage(c)
		}
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/events/%d/cancel", id))
	}
	u := currentUser(c)
	res, err := a.db.CancelSignup(c.Request().Context(), id, u, a.accessEvent(c, u, ""), func(accountID int64, r db.SignupResult) *db.Mail {
		if accountID == u.ID {
			return a.signupMail(mailLang(u), db.SignupCancelled, &r.Event)
		}
		return a.signupMail(i18n.Default, "promoted", &r.Event)
	})
	switch {
	case errors.Is(err, db.ErrNotFound):
		return a.signupAnswer(c, id, db.SignupCancelled, nil)
	case err != nil:
		return err
	}
	return a.signupAnswer(c, id, db.SignupCancelled, &res)
}

// signupAnswer tells the member what happened. With htmx it renders the box
// from the result itself — the event and the member's status as the
// transaction left them — so a storm of sign-ups does not read them again;
// without a result (nothing changed) it reads them.
func (a *App) signupAnswer(c echo.Context, eventID int64, result string, res *db.SignupResult) error {
	if !htmx.IsPartial(c.Request()) {
		a.flash(c, "success", "signup.result."+result)
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/events/%d#signup", eventID))
	}
	var s components.SignupState
	if res != nil {
		e := res.Event
		s = components.SignupState{Event: &e, SignedIn: true, Member: true, Now: a.now()}
		if res.Status == db.SignupConfirmed || res.Status == db.SignupWaitlisted {
			s.Signup = &db.Signup{EventID: eventID, Status: res.Status}
		}
		if res.Status == db.SignupWaitlisted {
			var err error
			if s.Position, err = a.db.WaitlistPosition(c.Request().Context(), eventID, currentUser(c).ID); err != nil {
				return err
			}
		}
	} else {
		e, err := a.db.PublicEvent(c.Request().Context(), eventID)
		if err != nil {
			return err
		}
		if s, err = a.signupState(c, e); err != nil {
			return err
		}
	}
	s.Result = result
	return a.render(c, http.StatusOK, "", components.SignupAnswer(s))
}

// mySignups lists the member's sign-ups on /account/events.
func (a *App) mySignups(c echo.Context) error {
	ss, err := a.db.SignupsOf(c.Request().Context(), currentUser(c).ID, a.now())
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "signup.mine"), components.MySignups(ss))
}

// organisedEvent loads the event of the request if the user organises it
// (db.OrganiserRole decides; a refusal is a 403).
func (a *App) organisedEvent(c echo.Context) (*db.Event, error) {
	return a.eventOrganisedBy(c, a.db.PublicEvent)
}

// eventOrganisedBy loads the request's event with load and checks the
// signed-in user organises it.
func (a *App) eventOrganisedBy(c echo.Context, load func(context.Context, int64) (*db.Event, error)) (*db.Event, error) {
	id, err := idParam(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	e, err := load(ctx, id)
	if err != nil {
		return nil, err
	}
	role, err := a.db.OrganiserRole(ctx, currentUser(c), e)
	if err != nil {
		return nil, err
	}
	if role == "" {
		return nil, fmt.Errorf("event %d: %w", id, db.ErrNotOrganiser)
	}
	return e, nil
}

// participants shows an event's participant list to its organiser; every
// member shown is written to the audit log.
func (a *App) participants(c echo.Context) error {
	e, err := a.organisedEvent(c)
	if err != nil {
		return err
	}
	list, err := a.db.Participants(c.Request().Context(), e.ID, currentUser(c), db.AuditView, c.RealIP())
	if err != nil {
		return err
	}
	state := components.ManageState{Waitlist: strconv.Itoa(e.WaitlistSize)}
	if e.Capacity != nil {
		state.Capacity = strconv.Itoa(*e.Capacity)
	}
	return a.showParticipants(c, http.StatusOK, e, list, state)
}

// showParticipants renders the participant list, saying before any
// download whose data a Shift_JIS file cannot hold.
func (a *App) showParticipants(c echo.Context, status int, e *db.Event, list []db.Participant, state components.ManageState) error {
	var lacking []string
	for _, p := range list {
		if chars := export.CP932Lacks(p.Name + p.NameKana + p.Phone + p.Email); chars != "" {
			lacking = append(lacking, p.LoginID+"（"+chars+"）")
		}
	}
	return a.render(c, status, a.t(c, "participants.title"), components.Participants(e, list, state, lacking))
}

// participantsCSV exports the list for Excel, CP932 by default or UTF-8
// with a byte-order mark; the export of every member is audited.
func (a *App) participantsCSV(c echo.Context) error {
	e, err := a.organisedEvent(c)
	if err != nil {
		return err
	}
	list, err := a.db.Participants(c.Request().Context(), e.ID, currentUser(c), db.AuditExport, c.RealIP())
	if err != nil {
		return err
	}
	lang := a.viewRequest(c).Lang
	rows := [][]string{{a.catalog.T(lang, "participants.status"), a.catalog.T(lang, "participants.applied_at"),
		a.catalog.T(lang, "login.login_id"), a.catalog.T(lang, "profile.name"), a.catalog.T(lang, "profile.name_kana"),
		a.catalog.T(lang, "profile.phone"), a.catalog.T(lang, "profile.email")}}
	for _, p := range list {
		rows = append(rows, []string{a.catalog.T(lang, "signup.badge."+p.Status), i18n.DateTime(lang, p.AppliedAt),
			p.LoginID, p.Name, p.NameKana, p.Phone, p.Email})
	}
	enc := export.Encoding(c.QueryParam("enc"))
	charset := "Shift_JIS"
	if enc == export.UTF8BOM {
		charset = "UTF-8"
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset="+charset)
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="event-%d-participants.csv"`, e.ID))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	return export.WriteCSV(c.Response(), enc, rows)
}

// manageEvent is the organiser's control of sign-ups: close them early,
// cancel the event (everyone signed up is mailed), or change the capacity
// and waitlist (a larger capacity promotes from the waitlist at once).
func (a *App) manageEvent(c echo.Context) error {
	e, err := a.organisedEvent(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	errs := form.Errors{}
	var message string
	switch c.FormValue("action") {
	case db.EventClosed, db.EventCancelled:
		action := c.FormValue("action")
		_, err = a.db.EndSignups(ctx, e.ID, action, func(e *db.Event) *db.Mail { return a.signupMail(i18n.Default, "event_cancelled", e) })
		message = "participants.done_" + action
	case "capacity":
		seats := form.Seats{Capacity: c.FormValue("capacity"), Waitlist: c.FormValue("waitlist")}
		seats.Normalize()
		errs = seats.Validate()
		capacity, waitlist := seats.Parsed()
		if !errs.Any() {
			_, err = a.db.SetCapacity(ctx, e.ID, capacity, waitlist, func(e *db.Event) *db.Mail { return a.signupMail(i18n.Default, "promoted", e) })
			if errors.Is(err, db.ErrConflict) {
				errs.Add("capacity", "form.err.capacity_below")
				err = nil
			}
		}
		message = "participants.done_capacity"
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "action")
	}
	if errors.Is(err, db.ErrConflict) {
		errs.Add("action", "participants.not_open")
	} else if err != nil {
		return err
	}
	if errs.Any() {
		list, err := a.db.Participants(ctx, e.ID, currentUser(c), db.AuditView, c.RealIP())
		if err != nil {
			return err
		}
		state := components.ManageState{Capacity: c.FormValue("capacity"), Waitlist: c.FormValue("waitlist"), Errs: errs}
		return a.showParticipants(c, http.StatusUnprocessableEntity, e, list, state)
	}
	a.flash(c, "success", message)
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/events/%d/participants", e.ID))
}

// reminderEvery is how often an instance looks for events starting within a day.
const reminderEvery = 10 * time.Minute

// RunReminders queues the day-before reminder mails until ctx ends. Every
// instance may run it; a sign-up is reminded once.
func (a *App) RunReminders(ctx context.Context) {
	worker.Every(ctx, reminderEvery, func(ctx context.Context) {
		n, err := a.db.SendReminders(ctx, a.now(), func(e *db.Event) *db.Mail { return a.signupMail(i18n.Default, "reminder", e) })
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Error("event reminders", "err", err)
		case n > 0:
			a.log.Info("event reminders queued", "count", n)
		}
	})
}

// eventLive streams an event's seat count to the readers of its page; the
// event is loaded and rendered once per change and language.
func (a *App) eventLive(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	lang := a.viewRequest(c).Lang
	return a.stream(c, db.StreamEvents, func(ev db.LiveEvent) (live.Message, error) {
		if ev.SubjectID != id {
			return live.Message{}, nil
		}
		f, err := a.fragments.get(fmt.Sprintf("%d/%s", ev.ID, lang), func() (fragment, error) {
			e, err := a.db.PublicEvent(a.liveCtx, id)
			if errors.Is(err, db.ErrNotFound) {
				return fragment{gone: true}, nil
			}
			if err != nil {
				return fragment{}, err
			}
			html, err := a.renderString(lang, components.Seats(e, a.now()))
			return fragment{html: html}, err
		})
		if err != nil || f.gone {
			return live.Message{}, err
		}
		return live.Message{Name: db.LiveSeats, Data: f.html}, nil
	})
}
