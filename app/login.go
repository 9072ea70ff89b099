package app

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/htmx"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

func (a *App) loginPage(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/account")
	}
	return a.page(c, a.t(c, "login.title"), components.LoginForm("", "", localPath(c.QueryParam("next"))))
}

// login signs in. An unknown login ID, a wrong password and an account not
// yet confirmed get the same answer after the same work (one argon2id check,
// one recorded failure), and so do they all when throttled (no check, no
// record); only the right password of a usable account differs.
func (a *App) login(c echo.Context) error {
	ctx := c.Request().Context()
	loginID := form.Fold(c.FormValue("login_id"))
	password := c.FormValue("password")
	next := localPath(c.FormValue("next"))
	now, ip := a.now(), c.RealIP()
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
	acc, err := a.db.AccountByLogin(ctx, loginID)
	switch {
	case isNotFound(err):
		acc = nil
	case err != nil:
		return err
	}
	subject := a.rateSubject(subjectLogin, loginID)
	known := acc != nil && a.knownDevice(c, acc.ID)
	since := now.Add(-signInWindow)
	n, err := a.db.SignInCounts(ctx, subject, ip, since)
	if err != nil {
		return err
	}
	if signInThrottled(n, known) {
		return fail(http.StatusTooManyRequests, "login.err.too_many")
	}
	hash := ""
	if acc != nil {
		hash = acc.PasswordHash
	}
	ok, err := a.hasher.Check(ctx, password, hash)
	if err != nil {
		return err
	}
	if !ok || acc.Status != db.StatusActive {
		ev := a.accessEvent(c, acc, db.ActionLogin)
		if acc == nil {
			ev.LoginID = typedLoginID(loginID)
		} else if ok {
			// The right password for an account that may not sign in: on
			// record too, so the member sees their attempts in their history.
			ev.Detail = acc.Status
		}
		f := db.SignInFailure{Subject: subject, Event: ev, Since: since, Now: now, WarnEvery: warnMailEvery}
		if acc != nil && acc.Status == db.StatusActive {
			f.Warn = func(n db.SignInCounts) *db.Mail {
				if !underAttack(n) {
					return nil
				}
				return a.composeMail(i18n.Default, "signin_attack", "", map[string]any{"LoginID": acc.LoginID})
			}
		}
		if n, err = a.db.RecordSignInFailure(ctx, f); err != nil {
			return err
		}
		switch {
		case signInThrottled(n, known):
			return fail(http.StatusTooManyRequests, "login.err.too_many")
		case ok && acc.Status != db.StatusPending:
			return fail(http.StatusForbidden, "login.err.closed")
		}
		// Not yet confirmed is answered like a wrong password: otherwise a
		// stranger who registers with someone's address, and is shown
		// made-up credentials (see register), could tell them from real ones.
		return fail(http.StatusUnprocessableEntity, "login.err.bad")
	}
	if err := a.db.RecordLoginSuccess(ctx, acc, now, a.accessEvent(c, acc, db.ActionLogin), subject); err != nil {
		return err
	}
	if err := a.signInSession(ctx, acc); err != nil {
		return err
	}
	a.rememberDevice(c, acc.ID)
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
		if err := a.db.RecordAccess(ctx, a.accessEvent(c, u, db.ActionLogout)); err != nil {
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
