package app

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/markup"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// Disaster mode (緊急災害モード, PRODUCT.md §10): a site manager of the
// official site switches it at /staff/disaster. While it is on, the home
// page is the light page of the urgent notices (disasterHome), every other
// page shows a banner leading to it, and public pages are answered from
// memory for visitors without a session (pagecache.go). Each instance
// holds the mode in a.disaster, read at start and kept current by the live
// stream db.StreamSettings (followChanges): no request reads it from the
// database.

// urgentMax is how many urgent notices the light home page shows at most.
const urgentMax = 20

// disasterHome is the home page in disaster mode.
func (a *App) disasterHome(c echo.Context) error {
	revs, err := a.db.UrgentNotices(c.Request().Context(), a.queryTime(), urgentMax)
	if err != nil {
		return err
	}
	notices := make([]components.UrgentNotice, len(revs))
	for i, r := range revs {
		// A published revision never changes, so its rendering is kept by id.
		html, _ := a.urgentHTML.get(r.ID, func() (string, error) {
			return markup.WithoutImages(a.markup.Render(r.Body)), nil
		})
		notices[i] = components.UrgentNotice{Title: r.Title, HTML: html}
		if r.PublishedAt != nil {
			notices[i].PublishedAt = *r.PublishedAt
		}
	}
	a.viewRequest(c)
	return a.write(c, http.StatusOK, components.DisasterHome(notices))
}

// disasterPage shows the switch: the mode, who switched it last and when,
// and one big button; ?mode= is the confirmation step.
func (a *App) disasterPage(c echo.Context) error {
	v, err := a.disasterView(c)
	if err != nil {
		return err
	}
	if v.CanSwitch {
		m := form.DisasterSwitch{Mode: c.QueryParam("mode")}
		m.Normalize()
		if !m.Validate().Any() && m.On() != v.Settings.DisasterMode {
			v.Confirm = m.Mode
		}
	}
	return a.page(c, a.t(c, "disaster.title"), components.DisasterSwitch(v))
}

func (a *App) disasterView(c echo.Context) (components.DisasterView, error) {
	ctx := c.Request().Context()
	v := components.DisasterView{Errs: form.Errors{}}
	var err error
	if v.Settings, err = a.db.Settings(ctx); err != nil {
		return v, err
	}
	v.CanSwitch, err = a.db.ManagesOfficialSite(ctx, currentUser(c))
	return v, err
}

// switchDisaster sets the mode the confirmed form names. Only a site
// manager of the official site may; a manager of a sub-site gets 403
// whatever the form says.
func (a *App) switchDisaster(c echo.Context) error {
	v, err := a.disasterView(c)
	if err != nil {
		return err
	}
	if !v.CanSwitch {
		return echo.NewHTTPError(http.StatusForbidden, "disaster mode: not a manager of the official site")
	}
	f := form.DisasterSwitch{Mode: c.FormValue("mode")}
	f.Normalize()
	if v.Errs = f.Validate(); v.Errs.Any() {
		return a.render(c, http.StatusUnprocessableEntity, a.t(c, "disaster.title"), components.DisasterSwitch(v))
	}
	changed, err := a.db.SetDisasterMode(c.Request().Context(), actorAs(c, actingRole(c)), f.On())
	if errors.Is(err, db.ErrForbidden) {
		return echo.NewHTTPError(http.StatusForbidden, "disaster mode").SetInternal(err)
	}
	if err != nil {
		return err
	}
	switch {
	case changed:
		// This instance need not wait for its own live event.
		a.disaster.Store(f.On())
		a.pages.Invalidate()
		if f.On() {
			a.flash(c, "success", "disaster.switched_on")
		} else {
			a.flash(c, "success", "disaster.switched_off")
		}
	case f.On():
		a.flash(c, "info", "disaster.already_on")
	default:
		a.flash(c, "info", "disaster.already_off")
	}
	return c.Redirect(http.StatusSeeOther, "/staff/disaster")
}
