package app

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/htmx"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

func (a *App) staffHome(c echo.Context) error {
	u := currentUser(c)
	work, err := a.staffWork(c)
	if err != nil {
		return err
	}
	// The approver's menu entry keeps its count too (the header's badge is another).
	links := staffLinks(u)
	for _, w := range work {
		if w.Href != "/staff/approvals" {
			continue
		}
		for i := range links {
			if links[i].Href == w.Href {
				links[i].Count, links[i].CountKey = w.Count, "approvals.waiting"
			}
		}
	}
	return a.page(c, a.t(c, "staff.title"), components.StaffHome(links, work))
}

// sideOf maps the acting role to the side whose confirmation it gives.
func sideOf(role string) string {
	if role == db.RoleModerator {
		return db.SideOperator
	}
	return db.SideWard
}

// registrationSide picks the side a staff member confirms for: the one named
// in the request if they hold its role, else the one of their acting role.
func registrationSide(c echo.Context) string {
	u := currentUser(c)
	switch c.QueryParam("side") + c.FormValue("side") {
	case db.SideOperator:
		if u.HasRole(db.RoleModerator) {
			return db.SideOperator
		}
	case db.SideWard:
		if u.HasRole(db.RoleWardStaff) {
			return db.SideWard
		}
	}
	return sideOf(actingRole(c))
}

func roleOfSide(side string) string {
	if side == db.SideOperator {
		return db.RoleModerator
	}
	return db.RoleWardStaff
}

// actorAs is the signed-in staff member acting in role, for db calls that
// audit or record what they do.
func actorAs(c echo.Context, role string) db.Actor {
	return db.Actor{Account: currentUser(c), Role: role, IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
}

func (a *App) registrations(c echo.Context) error {
	side := registrationSide(c)
	items, err := a.db.PendingRegistrations(c.Request().Context(), actorAs(c, roleOfSide(side)), 50)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "registrations.title"), components.Registrations(items, side))
}

// decideRegistration confirms or rejects one registration for the staff
// member's side. With htmx the item is replaced in place; without, the list
// is shown again with a flash.
func (a *App) decideRegistration(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := idParam(c)
	if err != nil {
		return err
	}
	side := registrationSide(c)
	decision := c.FormValue("decision")
	reason := form.Text(c.FormValue("reason"))
	if decision != db.RegistrationConfirm && decision != db.RegistrationReject {
		return echo.NewHTTPError(http.StatusBadRequest, "decision")
	}
	message := ""
	if decision == db.RegistrationReject && reason == "" {
		message = "registrations.reason_required"
	} else {
		res, err := a.db.DecideRegistration(ctx,
			db.RegistrationInput{AccountID: id, Side: side, Decision: decision, Reason: reason, Actor: actorAs(c, roleOfSide(side))},
			func(r db.DecisionResult) *db.Mail {
				switch {
				case r.Rejected:
					return a.composeMail("ja", "rejected", r.Email, map[string]any{"Reason": reason, "LoginID": r.Account.LoginID})
				case r.Activated:
					return a.composeMail("ja", "confirmed", r.Email, map[string]any{"LoginID": r.Account.LoginID})
				}
				return nil
			})
		var already *db.ErrAlreadyDecided
		var same *db.ErrSameActor
		switch {
		case errors.As(err, &already):
			message = "registrations.already"
		case errors.As(err, &same):
			message = "registrations.same_actor"
		case err != nil:
			return err
		case res.Activated:
			message = "registrations.activated"
		case res.Rejected:
			message = "registrations.rejected"
		default:
			message = "registrations.confirmed"
		}
	}
	if !htmx.IsPartial(c.Request()) {
		a.flash(c, "success", message)
		return c.Redirect(http.StatusSeeOther, "/staff/registrations?side="+side)
	}
	item, err := a.db.PendingRegistration(ctx, id, actorAs(c, roleOfSide(side)))
	if err != nil {
		return err
	}
	return a.render(c, http.StatusOK, "", components.RegistrationItem(item, side, message))
}

func (a *App) members(c echo.Context) error {
	q := db.MemberQuery{
		LoginID: form.Fold(c.QueryParam("login_id")),
		Name:    form.Text(c.QueryParam("name")),
		Kana:    form.Katakana(c.QueryParam("kana")),
		Email:   form.Fold(c.QueryParam("email")),
		Phone:   form.Digits(c.QueryParam("phone")),
		Status:  c.QueryParam("status"),
	}
	if s := c.QueryParam("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		q.AfterID = n
	}
	rows, next, err := a.db.SearchMembers(c.Request().Context(), q, actorAs(c, actingRole(c)))
	if err != nil {
		return err
	}
	nextURL := ""
	if next != 0 {
		v := c.QueryParams()
		v.Set("after", strconv.FormatInt(next, 10))
		nextURL = "/staff/members?" + url.Values(v).Encode()
	}
	return a.page(c, a.t(c, "members.title"), components.MemberSearch(q, rows, nextURL))
}

// groupAccounts lists group accounts a page at a time, newest first,
// searched by part of the name or login ID, with the form for a new one.
func (a *App) groupAccounts(c echo.Context) error {
	l, err := a.groupList(c)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "groups_admin.title"), components.GroupAccounts(l, form.GroupAccount{}, nil, "", ""))
}

// createGroupAccount registers a group from its paper application: group
// name, login ID and an initial password shown once — no personal data.
func (a *App) createGroupAccount(c echo.Context) error {
	ctx := c.Request().Context()
	g := form.GroupAccount{Name: c.FormValue("name"), LoginID: c.FormValue("login_id")}
	g.Normalize()
	errs := g.Validate()
	show := func(status int, login, pw string) error {
		gs, err := a.groupList(c)
		if err != nil {
			return err
		}
		if status == http.StatusOK {
			c.Response().Header().Set("Cache-Control", "no-store")
			g = form.GroupAccount{}
		}
		return a.render(c, status, a.t(c, "groups_admin.title"), components.GroupAccounts(gs, g, errs, login, pw))
	}
	if errs.Any() {
		return show(http.StatusUnprocessableEntity, "", "")
	}
	pw := auth.GeneratePassword(12)
	hash, err := a.hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	acc, err := a.db.CreateGroup(ctx, g.Name, g.LoginID, hash, currentUser(c), c.RealIP())
	var fc *db.FieldConflict
	switch {
	case errors.As(err, &fc):
		errs.Add(fc.Field, "form.err."+fc.Field+"_taken")
		return show(http.StatusUnprocessableEntity, "", "")
	case err != nil:
		return err
	}
	return show(http.StatusOK, acc.LoginID, pw)
}

func (a *App) mailOutbox(c echo.Context) error {
	after, err := cursorParam(c)
	if err != nil {
		return err
	}
	p, err := a.db.ListMail(c.Request().Context(), after, db.PageSize)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "mail.title"), components.MailOutbox(p))
}

func (a *App) mailMessage(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	m, err := a.db.GetMail(c.Request().Context(), id)
	if err != nil {
		return err
	}
	// A mail's address and body are a member's personal data: reading one is on record.
	if m.AccountID != nil {
		entry := actorAs(c, actingRole(c)).Entry(db.AuditView, m.AccountID, []string{"email", "mail_body"}, "mail "+strconv.FormatInt(m.ID, 10))
		if err := a.db.Audit(c.Request().Context(), entry); err != nil {
			return err
		}
	}
	return a.page(c, m.Subject, components.MailDetail(m))
}
