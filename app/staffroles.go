package app

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// staffAccounts lists the staff accounts and their roles; ward staff create
// accounts, change roles and disable accounts here (never their own), and
// every change is an audit entry.
func (a *App) staffAccounts(c echo.Context) error {
	return a.showStaffAccounts(c, http.StatusOK, components.StaffAccountsView{})
}

func (a *App) showStaffAccounts(c echo.Context, status int, v components.StaffAccountsView) error {
	var err error
	if v.Accounts, err = a.db.ListStaff(c.Request().Context()); err != nil {
		return err
	}
	if v.SignIn, err = a.signInStates(c, v.Accounts); err != nil {
		return err
	}
	if v.Divisions, err = a.db.Divisions(c.Request().Context()); err != nil {
		return err
	}
	return a.render(c, status, a.t(c, "staff_accounts.title"), components.StaffAccounts(v))
}

// changeRoles sets one staff account's roles from the ticked boxes.
func (a *App) changeRoles(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	params, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	err = a.db.ChangeRoles(c.Request().Context(), id, params["roles"], actorAs(c, actingRole(c)))
	v := components.StaffAccountsView{ErrorFor: id, Chosen: params["roles"]}
	switch {
	case errors.Is(err, db.ErrNoRoles):
		v.Error = "staff_accounts.err.no_roles"
		return a.showStaffAccounts(c, http.StatusUnprocessableEntity, v)
	case errors.Is(err, db.ErrOwnRoles):
		v.Error = "staff_accounts.err.own"
		return a.showStaffAccounts(c, http.StatusUnprocessableEntity, v)
	case err != nil:
		return err
	}
	a.flash(c, "success", "staff_accounts.changed")
	return c.Redirect(http.StatusSeeOther, "/staff/accounts")
}
