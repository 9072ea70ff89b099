package app

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/htmx"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/app/live"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// queuePage is how many items of each status the queue page shows at
// once: a page of a phone's worth (issue 17: the whole queue was 271 KB).
const queuePage = 15

func queueViewer(u *db.Account) components.QueueView {
	return components.QueueView{Moderator: u.HasRole(db.RoleModerator), Ward: u.HasRole(db.RoleWardStaff)}
}

// moderation is the live queue: moderators see the open items, ward staff
// the escalated ones, a page at a time, narrowed by the filter form
// (kind, flag, age, order). ?status= and ?after= page on through one list;
// the other starts at its first page.
func (a *App) moderation(c echo.Context) error {
	ctx := c.Request().Context()
	v := queueViewer(currentUser(c))
	v.After = a.hub.Last()
	v.Filter = form.QueueFilter{Kind: c.QueryParam("kind"), Flag: c.QueryParam("flag"), Age: c.QueryParam("age"), Order: c.QueryParam("order")}
	v.Filter.Normalize()
	status := http.StatusOK
	if v.Errs = v.Filter.Validate(); v.Errs.Any() {
		v.Filter, status = form.QueueFilter{Order: db.QueueOldest}, http.StatusUnprocessableEntity
	}
	now := a.now()
	list := func(itemStatus string) (db.QueuePage, error) {
		f := db.QueueFilter{Status: itemStatus, Kind: v.Filter.Kind, Flag: v.Filter.Flag, Age: v.Filter.Age,
			Order: v.Filter.Order, Limit: queuePage, Now: now}
		if c.QueryParam("status") == itemStatus {
			f.After = c.QueryParam("after")
		}
		return a.db.ModerationPage(ctx, f)
	}
	var err error
	if v.Moderator {
		p, err := list(db.ItemOpen)
		if err != nil {
			return err
		}
		v.Open, v.OpenNext = p.Entries, p.Next
	}
	if v.Ward {
		p, err := list(db.ItemEscalated)
		if err != nil {
			return err
		}
		v.Escalated, v.EscalatedNext = p.Entries, p.Next
	}
	counted := db.ItemEscalated
	if v.Moderator {
		counted = db.ItemOpen
	}
	if v.Facets, err = a.db.CountQueue(ctx, db.QueueFilter{Status: counted, Kind: v.Filter.Kind, Flag: v.Filter.Flag, Age: v.Filter.Age, Now: now}); err != nil {
		return err
	}
	if v.Counts, err = a.db.CountWaiting(ctx); err != nil {
		return err
	}
	a.viewRequest(c).Live = true
	return a.render(c, status, a.t(c, "moderation.title"), components.Moderation(v))
}

// decide applies a moderator's or the ward's decision. With htmx the item is
// replaced in place by what happened; the other deciders' queues drop it
// through the live stream. Of two deciders at once, the later is told who
// handled the item.
func (a *App) decide(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := idParam(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	v := queueViewer(u)
	s := components.ItemState{Action: c.FormValue("action"), Reason: c.FormValue("reason")}
	version, _ := strconv.Atoi(c.FormValue("version"))
	dec := db.Decision{ItemID: id, Version: version, Action: s.Action, Actor: actorAs(c, ""), MoveMail: a.moveMail}
	switch s.Action {
	case db.ActApprove:
	case db.ActReject:
		r := form.Rejection{Reason: s.Reason, Message: c.FormValue("message")}
		r.Normalize()
		s.Message, s.Errs = r.Message, r.Validate(db.RejectReasons)
		dec.Reason, dec.Message = r.Reason, r.Message
	case db.ActEscalate:
		x := form.Escalation{Note: c.FormValue("note")}
		x.Normalize()
		s.Message, s.Errs = x.Note, x.Validate()
		dec.Message = x.Note
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "action")
	}
	var collides *db.ErrChangeCollides
	var out db.Outcome
	if !s.Errs.Any() {
		out, err = a.db.DecideItem(ctx, dec, a.outcomeMail)
		// A change that collides with a later correction is refused in
		// place, the colliding details named, the item still open.
		if errors.As(err, &collides) {
			s.Collide = collides.Fields
		}
	}
	if s.Errs.Any() || collides != nil {
		e, err := a.db.QueueItem(ctx, id)
		if err != nil {
			return err
		}
		if !htmx.IsPartial(c.Request()) {
			a.viewRequest(c).Live = false
			v.Open = []db.QueueEntry{*e}
			return a.render(c, http.StatusUnprocessableEntity, a.t(c, "moderation.title"), components.ItemPage(v, e, s))
		}
		return a.render(c, http.StatusUnprocessableEntity, "", components.QueueItem(v, e, s))
	}
	lang := a.viewRequest(c).Lang
	var handled *db.ErrHandled
	var text string
	switch {
	case errors.As(err, &handled):
		text = a.catalog.T(lang, "moderation.handled."+handled.Item.Status, map[string]any{
			"Name": handlerName(handled.Item)})
	case err != nil:
		return err
	default:
		text = a.catalog.T(lang, "moderation.done."+out.Item.Status, map[string]any{"Title": out.Label()})
	}
	if !htmx.IsPartial(c.Request()) {
		a.flashText(c, "success", text)
		return c.Redirect(http.StatusSeeOther, "/moderation")
	}
	return a.render(c, http.StatusOK, "", components.ItemDone(id, text))
}

// handlerName is who acted on an item last: the decider, else who escalated it.
func handlerName(it *db.ModerationItem) string {
	if it.DeciderName != "" {
		return it.DeciderName
	}
	return it.EscalatorName
}

// outcomeMail tells the author what became of their content, in the mails
// of its kind: why it was sent back, or that it is published. A dismissed
// report changed nothing for the author, and a kind whose authors have no
// address (groups) is not mailed.
func (a *App) outcomeMail(o db.Outcome) *db.Mail {
	if o.Kind.AuthorMail == "" {
		return nil
	}
	data := map[string]any{"Title": o.Label(), "URL": a.cfg.BaseURL + o.Kind.AuthorPage}
	if o.Item.Status == db.ItemRejected {
		data["Reason"] = a.catalog.T("ja", "moderation.reason."+o.Item.Reason)
		data["Message"] = o.Item.Message
		return a.composeMail("ja", o.Kind.AuthorMail+"_rejected", o.Email, data)
	}
	if o.Item.Origin == db.OriginSubmission {
		return a.composeMail("ja", o.Kind.AuthorMail+"_published", o.Email, data)
	}
	return nil
}

// moderationLive streams queue changes to deciders: each changed item is
// shown to whoever may decide it now and removed from everybody else's queue.
func (a *App) moderationLive(c echo.Context) error {
	v := queueViewer(currentUser(c))
	a.viewRequest(c)
	ctx := c.Request().Context()
	return a.stream(c, db.StreamModeration, func(ev db.LiveEvent) (live.Message, error) {
		e, err := a.items.get(ev.ID, func() (*db.QueueEntry, error) { return a.db.QueueItem(a.liveCtx, ev.SubjectID) })
		if err != nil {
			return live.Message{}, err
		}
		comp := components.ItemGone(e.Item.ID)
		if e.Item.Waiting() && (e.Item.Status == db.ItemOpen && v.Moderator || e.Item.Status == db.ItemEscalated && v.Ward) {
			comp = components.QueueItem(v, e, components.ItemState{})
		}
		html, err := renderTo(ctx, comp)
		if err != nil {
			return live.Message{}, err
		}
		return live.Message{Name: db.LiveItem, Data: html}, nil
	})
}

// moveMail tells a participant that their event's time or place moved, in
// the language they read the site in: each moved detail before and after,
// and the event's page.
func (a *App) moveMail(p db.MoveRecipient, before, after *db.Event) *db.Mail {
	lang := p.Lang
	if !i18n.Supported(lang) {
		lang = i18n.Default
	}
	var lines []string
	moved := db.MovedFields(before, after)
	if slices.Contains(moved, "starts_at") || slices.Contains(moved, "ends_at") {
		lines = append(lines, a.catalog.T(lang, "mail.event_moved.when", map[string]any{
			"Before": i18n.DateTime(lang, before.StartsAt) + "–" + i18n.DateTime(lang, before.EndsAt),
			"After":  i18n.DateTime(lang, after.StartsAt) + "–" + i18n.DateTime(lang, after.EndsAt)}))
	}
	if slices.Contains(moved, "venue") || slices.Contains(moved, "town") || slices.Contains(moved, "facility_id") {
		lines = append(lines, a.catalog.T(lang, "mail.event_moved.where", map[string]any{
			"Before": before.Venue + "（" + before.Town + "）", "After": after.Venue + "（" + after.Town + "）"}))
	}
	return a.composeMail(lang, "event_moved", p.Email, map[string]any{
		"Title": after.Title, "Changes": strings.Join(lines, "\n"), "URL": fmt.Sprintf("%s/events/%d", a.cfg.BaseURL, after.ID)})
}
