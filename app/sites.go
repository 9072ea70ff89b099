package app

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// Sub-sites in the back office (Nakano rules 第5–6条): every site with its
// status; a department's application; the official site's managers'
// decision; a site's own managers running it. db decides who may do what,
// in the transaction that does it; the handlers only choose which forms to
// show and refuse early what db would refuse anyway.

// sites lists every site, with the application form and, for the official
// site's managers, the decision forms.
func (a *App) sites(c echo.Context) error {
	return a.showSites(c, http.StatusOK, components.StaffSitesView{})
}

func (a *App) showSites(c echo.Context, status int, v components.StaffSitesView) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	var err error
	if v.Sites, err = a.db.SiteOverviews(ctx); err != nil {
		return err
	}
	if v.Rights, err = a.db.SiteRights(ctx, u); err != nil {
		return err
	}
	v.CanApply = roleFor(u, permSiteApply) != ""
	if v.CanApply {
		if v.Divisions, err = a.db.DivisionsOf(ctx, u.ID); err != nil {
			return err
		}
	}
	return a.render(c, status, a.t(c, "sites.title"), components.StaffSites(v))
}

// portalHost is the portal's own host name, which no sub-site may take.
func (a *App) portalHost() string {
	u, err := url.Parse(a.cfg.BaseURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// applySite records a department's application (第5条) for the official
// site's managers to decide.
func (a *App) applySite(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	f := form.SiteApplication{Slug: c.FormValue("slug"), Name: c.FormValue("name"), Purpose: c.FormValue("purpose"),
		Host: c.FormValue("host"), Division: c.FormValue("division")}
	f.Normalize()
	mine, err := a.db.DivisionsOf(ctx, u.ID)
	if err != nil {
		return err
	}
	ids := make([]int64, len(mine))
	for i := range mine {
		ids[i] = mine[i].ID
	}
	div, errs := f.Validate(ids, a.portalHost())
	if !errs.Any() {
		app := db.SiteApplication{Slug: f.Slug, Name: f.Name, Purpose: f.Purpose, DivisionID: div}
		if f.Host != "" {
			app.Host = &f.Host
		}
		_, err := a.db.ApplySite(ctx, actorAs(c, actingRole(c)), app)
		var fc *db.FieldConflict
		switch {
		case err == nil:
			a.flash(c, "success", "sites.applied")
			return c.Redirect(http.StatusSeeOther, "/staff/sites")
		case errors.As(err, &fc):
			errs.Add(fc.Field, "form.err."+fc.Field+"_taken_site")
		default:
			return err
		}
	}
	return a.showSites(c, http.StatusUnprocessableEntity, components.StaffSitesView{Apply: f, ApplyErrs: errs})
}

// decideSite approves or refuses an application (or opens a closed site
// again): the official site's managers only.
func (a *App) decideSite(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := idParam(c)
	if err != nil {
		return err
	}
	rights, err := a.db.SiteRights(ctx, currentUser(c))
	if err != nil {
		return err
	}
	if !rights.OfficialManager {
		return echo.NewHTTPError(http.StatusForbidden, "not a manager of the official site")
	}
	f := form.SiteDecision{Decision: c.FormValue("decision"), Comment: c.FormValue("comment")}
	f.Normalize()
	approve, errs, ok := f.Validate()
	if !ok {
		return echo.NewHTTPError(http.StatusBadRequest, "decision")
	}
	if !errs.Any() {
		err := a.db.DecideSite(ctx, db.SiteDecision{SiteID: id, Approve: approve, Comment: f.Comment,
			Actor: actorAs(c, actingRole(c)), Now: a.now(),
			Mail: func(_ *db.Account, s *db.Site) *db.Mail {
				kind := "site_refused"
				if approve {
					kind = "site_approved"
				}
				return a.composeMail("ja", kind, "", map[string]any{"Site": s.Name, "Slug": s.Slug, "ID": s.ID, "Comment": f.Comment})
			}})
		if err != nil {
			return err
		}
		a.siteHosts.forget()
		if approve {
			a.flash(c, "success", "sites.approved")
		} else {
			a.flash(c, "success", "sites.refused")
		}
		return c.Redirect(http.StatusSeeOther, "/staff/sites#site-"+c.Param("id"))
	}
	return a.showSites(c, http.StatusUnprocessableEntity, components.StaffSitesView{DecideFor: id, Decision: f, DecisionErrs: errs})
}

// site shows one site: its settings and staff, with the forms its managers use.
func (a *App) site(c echo.Context) error {
	return a.showSite(c, http.StatusOK, components.StaffSiteView{})
}

func (a *App) showSite(c echo.Context, status int, v components.StaffSiteView) error {
	ctx := c.Request().Context()
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if v.Site, v.Staff, err = a.db.SiteDetail(ctx, id); err != nil {
		return err
	}
	rights, err := a.db.SiteRights(ctx, currentUser(c))
	if err != nil {
		return err
	}
	v.MayManage = rights.MayManage(id)
	if v.Settings.Nav == nil {
		v.Settings = components.SettingsFormOf(&v.Site.Site)
	}
	if v.MayManage {
		all, err := a.db.ListStaff(ctx)
		if err != nil {
			return err
		}
		for i := range all {
			on := slices.ContainsFunc(v.Staff, func(m db.SiteStaffMember) bool { return m.ID == all[i].ID })
			if !on && all[i].Status == db.StatusActive {
				v.Candidates = append(v.Candidates, all[i])
			}
		}
	}
	return a.render(c, status, v.Site.Name, components.StaffSite(v))
}

// managedSite reads the site id of the address and refuses, before any
// form is read, a person who does not manage it.
func (a *App) managedSite(c echo.Context) (int64, error) {
	id, err := idParam(c)
	if err != nil {
		return 0, err
	}
	rights, err := a.db.SiteRights(c.Request().Context(), currentUser(c))
	if err != nil {
		return 0, err
	}
	if !rights.MayManage(id) {
		return 0, echo.NewHTTPError(http.StatusForbidden, "not a manager of this site")
	}
	return id, nil
}

// updateSiteSettings changes a site's name, host name, lead time and
// navigation, by its managers, on record.
func (a *App) updateSiteSettings(c echo.Context) error {
	id, err := a.managedSite(c)
	if err != nil {
		return err
	}
	f := form.SiteSettings{Name: c.FormValue("name"), Host: c.FormValue("host"), LeadDays: c.FormValue("lead_days"),
		Nav: make([]form.NavEntry, form.NavRows)}
	for i := range f.Nav {
		f.Nav[i] = form.NavEntry{Label: c.FormValue(form.NavLabelField(i)), Target: c.FormValue(form.NavTargetField(i))}
	}
	f.Normalize()
	p, errs := f.Validate(a.portalHost())
	if !errs.Any() {
		set := db.SiteSettings{Name: f.Name, LeadDays: p.LeadDays, Nav: make([]db.NavLink, len(p.Nav))}
		if f.Host != "" {
			set.Host = &f.Host
		}
		for i, l := range p.Nav {
			set.Nav[i] = db.NavLink{Label: l.Label, Path: l.Path, PageID: l.PageID}
		}
		err := a.db.UpdateSiteSettings(c.Request().Context(), actorAs(c, actingRole(c)), id, set)
		var fc *db.FieldConflict
		switch {
		case err == nil:
			a.siteHosts.forget()
			a.flash(c, "success", "sites.saved")
			return c.Redirect(http.StatusSeeOther, "/staff/sites/"+c.Param("id"))
		case errors.As(err, &fc):
			errs.Add(fc.Field, "form.err."+fc.Field+"_taken_site")
		default:
			return err
		}
	}
	return a.showSite(c, http.StatusUnprocessableEntity, components.StaffSiteView{Settings: f, SettingsErrs: errs})
}

// addSiteStaff lets a staff account work on the site.
func (a *App) addSiteStaff(c echo.Context) error {
	id, err := a.managedSite(c)
	if err != nil {
		return err
	}
	account, ok := form.ID(c.FormValue("account"))
	if ok {
		err := a.db.AddStaffToSite(c.Request().Context(), actorAs(c, actingRole(c)), id, account)
		switch {
		case err == nil:
			a.flash(c, "success", "sites.staff_added")
			return c.Redirect(http.StatusSeeOther, "/staff/sites/"+c.Param("id")+"#staff-heading")
		case !errors.Is(err, db.ErrNotFound):
			return err
		}
	}
	return a.showSite(c, http.StatusUnprocessableEntity, components.StaffSiteView{Account: c.FormValue("account"),
		StaffErrs: form.Errors{"account": "form.err.staff_account"}})
}

// removeSiteStaff takes an account off the site; the official site keeps a
// site manager.
func (a *App) removeSiteStaff(c echo.Context) error {
	id, err := a.managedSite(c)
	if err != nil {
		return err
	}
	account, ok := form.ID(c.FormValue("account"))
	if !ok {
		return echo.NewHTTPError(http.StatusBadRequest, "account")
	}
	err = a.db.RemoveStaffFromSite(c.Request().Context(), actorAs(c, actingRole(c)), id, account)
	switch {
	case errors.Is(err, db.ErrLastManager):
		return a.showSite(c, http.StatusUnprocessableEntity, components.StaffSiteView{StaffErrs: form.Errors{"staff": "sites.last_manager"}})
	case err != nil:
		return err
	}
	a.flash(c, "success", "sites.staff_removed")
	return c.Redirect(http.StatusSeeOther, "/staff/sites/"+c.Param("id")+"#staff-heading")
}

// closeSite closes an active sub-site: its addresses and host name stop
// serving it.
func (a *App) closeSite(c echo.Context) error {
	id, err := a.managedSite(c)
	if err != nil {
		return err
	}
	reason := form.Text(c.FormValue("reason"))
	if form.Len(reason) > form.DecisionMax {
		return a.showSite(c, http.StatusUnprocessableEntity, components.StaffSiteView{CloseReason: reason,
			CloseErrs: form.Errors{"reason": "form.err.comment_long"}})
	}
	if err := a.db.CloseSite(c.Request().Context(), actorAs(c, actingRole(c)), id, reason); err != nil {
		return err
	}
	a.siteHosts.forget()
	a.flash(c, "success", "sites.closed")
	return c.Redirect(http.StatusSeeOther, "/staff/sites/"+c.Param("id"))
}
