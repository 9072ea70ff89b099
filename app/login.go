package app

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/htmx"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// Per-address limit: this many failed sign-ins from one address within
// addressWindow and that address must wait, whichever accounts it tries.
const (
	maxFailuresPerAddress = 20
	addressWindow         = 15 * time.Minute
)

// dummyHash is compared against when the login ID does not exist, so a
// wrong ID takes as long as a wrong password and IDs cannot be probed.
var dummyHash, _ = auth.HashPassword("no such account")

func (a *App) loginPage(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/account")
	}
	return a.page(c, a.t(c, "login.title"), components.LoginForm("", "", localPath(c.QueryParam("next"))))
}

func (a *App) login(c echo.Context) error {
	ctx := c.Request().Context()
	loginID := strings.TrimSpace(form.Text(c.FormValue("login_id")))
	password := c.FormValue("password")
	next := localPath(c.FormValue("next"))
	now := a.now()
	fail := func(status int, msg string) error {
		// htmx swaps only 2xx and 422 (see the htmx-config in the layout), so
		// an in-place sign-in form gets its refusal as 422 to show it.
		if htmx.IsPartial(c.Request()) {
			status = http.StatusUnprocessableEntity
		}
		return a.render(c, status, a.t(c, "login.title"), components.LoginForm(loginID, msg, next))
	}
	if loginID == "" || password == "" {
		return fail(http.StatusUnprocessableEntity, "login.err.missing")
	}
	n, err := a.db.RecentFailuresFrom(ctx, c.RealIP(), now.Add(-addressWindow))
	if err != nil {
		return err
	}
	if n >= maxFailuresPerAddress {
		return fail(http.StatusTooManyRequests, "login.err.too_many")
	}
	acc, err := a.db.AccountByLogin(ctx, loginID)
	if errors.Is(err, db.ErrNotFound) {
		_, _ = auth.CheckPassword(password, dummyHash)
		ev := a.accessEvent(c, nil, db.ActionLogin)
		ev.LoginID, ev.Success = loginID, false
		if err := db.RecordAccess(ctx, a.db.Bun, ev); err != nil {
			return err
		}
		return fail(http.StatusUnprocessableEntity, "login.err.bad")
	}
	if err != nil {
		return err
	}
	if acc.LockedUntil != nil && acc.LockedUntil.After(now) {
		ev := a.accessEvent(c, acc, db.ActionLogin)
		ev.Success = false
		if err := db.RecordAccess(ctx, a.db.Bun, ev); err != nil {
			return err
		}
		return fail(http.StatusTooManyRequests, "login.err.locked")
	}
	ok, _ := auth.CheckPassword(password, acc.PasswordHash)
	if !ok {
		locked, err := a.db.RecordLoginFailure(ctx, acc.ID, now, a.accessEvent(c, acc, db.ActionLogin))
		if err != nil {
			return err
		}
		if locked {
			return fail(http.StatusTooManyRequests, "login.err.locked")
		}
		return fail(http.StatusUnprocessableEntity, "login.err.bad")
	}
	if acc.Status != db.StatusActive {
		// The right password for an account that may not sign in: on record
		// too, so the member sees their attempts in their access history.
		ev := a.accessEvent(c, acc, db.ActionLogin)
		ev.Success, ev.Detail = false, acc.Status
		if err := db.RecordAccess(ctx, a.db.Bun, ev); err != nil {
			return err
		}
		if acc.Status == db.StatusPending {
			return fail(http.StatusForbidden, "login.err.pending")
		}
		return fail(http.StatusForbidden, "login.err.closed")
	}
	if err := a.db.RecordLoginSuccess(ctx, acc, now, a.accessEvent(c, acc, db.ActionLogin)); err != nil {
		return err
	}
	if err := a.signInSession(ctx, acc); err != nil {
		return err
	}
	if acc.MustChangePassword {
		return htmx.Redirect(c, "/account/password")
	}
	a.flash(c, "success", "login.welcome")
	if next == "/" && acc.Kind == db.KindStaff {
		next = "/staff"
	}
	return htmx.Redirect(c, next)
}

func (a *App) logout(c echo.Context) error {
	ctx := c.Request().Context()
	if u := currentUser(c); u != nil {
		if err := db.RecordAccess(ctx, a.db.Bun, a.accessEvent(c, u, db.ActionLogout)); err != nil {
			return err
		}
	}
	if err := a.sessions.Destroy(ctx); err != nil {
		return err
	}
	// The flash needs a session of its own after the old one is gone.
	a.flash(c, "success", "logout.done")
	return htmx.Redirect(c, "/")
}
