package app

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// divisions lists the divisions (所属) that own pages, with the form for a
// new one and the staff in each: ward staff keep the organisation.
func (a *App) divisions(c echo.Context) error {
	return a.showDivisions(c, http.StatusOK, components.DivisionsView{})
}

func (a *App) showDivisions(c echo.Context, status int, v components.DivisionsView) error {
	ctx := c.Request().Context()
	var err error
	if v.Divisions, err = a.db.Divisions(ctx); err != nil {
		return err
	}
	if v.Staff, err = a.db.StaffPlacements(ctx); err != nil {
		return err
	}
	return a.render(c, status, a.t(c, "divisions.title"), components.Divisions(v))
}

// createDivision adds a division; db.CreateDivision puts it on record.
func (a *App) createDivision(c echo.Context) error {
	f := form.Division{Code: c.FormValue("code"), Name: c.FormValue("name"), Contact: c.FormValue("contact")}
	f.Normalize()
	errs := f.Validate()
	if !errs.Any() {
		err := a.db.CreateDivision(c.Request().Context(), actorAs(c, actingRole(c)), &db.Division{Code: f.Code, Name: f.Name, Contact: f.Contact})
		switch {
		case err == nil:
			a.flash(c, "success", "divisions.created")
			return c.Redirect(http.StatusSeeOther, "/staff/divisions")
		case errors.Is(err, db.ErrConflict):
			errs.Add("code", "form.err.code_taken")
		default:
			return err
		}
	}
	return a.showDivisions(c, http.StatusUnprocessableEntity, components.DivisionsView{Form: f, Errs: errs})
}

// placementPage shows one staff account's divisions and work address.
func (a *App) placementPage(c echo.Context) error {
	return a.showPlacement(c, http.StatusOK, nil, form.Errors{})
}

func (a *App) showPlacement(c echo.Context, status int, f *form.Placement, errs form.Errors) error {
	ctx := c.Request().Context()
	id, err := idParam(c)
	if err != nil {
		return err
	}
	v := components.PlacementView{Errs: errs}
	if v.Staff, err = a.db.StaffPlacementOf(ctx, id); err != nil {
		return err
	}
	if v.Divisions, err = a.db.Divisions(ctx); err != nil {
		return err
	}
	if v.Sites, err = a.db.SitesOf(ctx, id); err != nil {
		return err
	}
	if f != nil {
		v.Form = *f
	} else {
		v.Form = components.PlacementFormOf(v.Staff)
	}
	return a.render(c, status, a.t(c, "divisions.title"), components.Placement(v))
}

// setPlacement sets the divisions a staff account belongs to and its work
// address in one change, on record; never one's own.
func (a *App) setPlacement(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := idParam(c)
	if err != nil {
		return err
	}
	params, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	f := form.Placement{Divisions: params["divisions"], WorkEmail: params.Get("work_email")}
	f.Normalize()
	divs, err := a.db.Divisions(ctx)
	if err != nil {
		return err
	}
	known := make([]int64, len(divs))
	for i := range divs {
		known[i] = divs[i].ID
	}
	ids, errs := f.Validate(known)
	if !errs.Any() {
		err := a.db.SetStaffPlacement(ctx, actorAs(c, actingRole(c)), db.Placement{AccountID: id, DivisionIDs: ids, WorkEmail: f.WorkEmail})
		switch {
		case err == nil:
			a.flash(c, "success", "placement.saved")
			return c.Redirect(http.StatusSeeOther, "/staff/divisions")
		case errors.Is(err, db.ErrOwnPlacement):
			return echo.NewHTTPError(http.StatusForbidden, "own placement")
		case errors.Is(err, db.ErrNotFound):
			// The account is gone, or a division went meanwhile.
			if _, lookErr := a.db.StaffPlacementOf(ctx, id); lookErr != nil {
				return lookErr
			}
			errs.Add("divisions", "form.err.divisions")
		default:
			return err
		}
	}
	return a.showPlacement(c, http.StatusUnprocessableEntity, &f, errs)
}
