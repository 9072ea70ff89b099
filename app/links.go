package app

// Outbound link requests (Nakano rules 第16条3項): editors and site
// managers ask to link pages to an outside site; site managers approve or
// refuse with a comment. The domains of approved requests in their period
// are what /leave shows unsigned and what the outbound-link check allows.

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/check"
	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// dateOnly is the calendar date of t (read in JST) as midnight UTC: how a
// date column stores it whatever the session's time zone.
func dateOnly(t time.Time) time.Time {
	y, m, d := t.In(i18n.JST).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// showLinks renders the link requests page with v's form state.
func (a *App) showLinks(c echo.Context, status int, v components.LinksView) error {
	ctx := c.Request().Context()
	reqs, err := a.db.LinkRequests(ctx)
	if err != nil {
		return err
	}
	var ids []int64
	for _, r := range reqs {
		ids = append(ids, r.RequestedBy)
		if r.DecidedBy != nil {
			ids = append(ids, *r.DecidedBy)
		}
	}
	if v.Names, err = a.db.StaffNames(ctx, ids); err != nil {
		return err
	}
	u := currentUser(c)
	v.Requests, v.Now = reqs, a.now()
	v.CanRequest, v.CanDecide = roleFor(u, permLinkRequest) != "", roleFor(u, permLinkDecide) != ""
	return a.render(c, status, a.t(c, "links.title"), components.Links(v))
}

// links lists the requests, with the request form.
func (a *App) links(c echo.Context) error {
	return a.showLinks(c, http.StatusOK, components.LinksView{})
}

// requestLink records a link request; an invalid one is shown again (422)
// with what was typed.
func (a *App) requestLink(c echo.Context) error {
	f := form.LinkRequest{SiteName: c.FormValue("site_name"), URL: c.FormValue("url"), Content: c.FormValue("content"),
		Administrator: c.FormValue("administrator"), Reason: c.FormValue("reason"), Start: c.FormValue("start_date"),
		End: c.FormValue("end_date"), Contact: c.FormValue("contact")}
	if ps, err := c.FormParams(); err == nil {
		f.None = ps["none"]
	}
	f.Normalize()
	p, errs := f.Validate(i18n.JST)
	if errs.Any() {
		return a.showLinks(c, http.StatusUnprocessableEntity, components.LinksView{Form: f, Errs: errs})
	}
	r := &db.LinkRequest{SiteName: f.SiteName, URL: f.URL, Content: f.Content, Administrator: f.Administrator,
		Reason: f.Reason, StartDate: dateOnly(p.Start), Contact: f.Contact,
		NoneAdult: true, NoneCrime: true, NoneDefame: true, NonePolitical: true, NoneElection: true, NoneMalware: true}
	if p.End != nil {
		end := dateOnly(*p.End)
		r.EndDate = &end
	}
	if err := a.db.RequestLink(c.Request().Context(), actorAs(c, actingRole(c)), r); err != nil {
		return err
	}
	a.flash(c, "success", "links.requested")
	return c.Redirect(http.StatusSeeOther, "/staff/links")
}

// decideLink approves or refuses a waiting request; a refusal needs a
// comment (422 otherwise). The decision goes on the audit log.
func (a *App) decideLink(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	d := form.LinkDecision{Action: c.FormValue("action"), Comment: c.FormValue("comment")}
	if d.Action != "approve" && d.Action != "refuse" {
		return echo.NewHTTPError(http.StatusBadRequest, "action")
	}
	if errs := d.Validate(); errs.Any() {
		return a.showLinks(c, http.StatusUnprocessableEntity, components.LinksView{Deciding: id, Decision: d, DecisionErrs: errs})
	}
	err = a.db.DecideLink(c.Request().Context(), actorAs(c, actingRole(c)), id, d.Action == "approve", d.Comment, a.now())
	switch {
	case errors.Is(err, db.ErrDecided):
		a.flash(c, "error", "links.already_decided")
	case err != nil:
		return err
	case d.Action == "approve":
		a.flash(c, "success", "links.approved")
	default:
		a.flash(c, "success", "links.refused")
	}
	return c.Redirect(http.StatusSeeOther, "/staff/links")
}

// linksTo reports whether a page body (Markdown) links to exactly domain,
// read as the outbound-link check reads links (a /leave address counts as
// its destination).
func linksTo(body, domain string) bool {
	for _, p := range check.Run(check.Input{Body: body}, check.Outbound) {
		if p.Args["Host"] == domain {
			return true
		}
	}
	return false
}

// linkExpiredMail tells a page's division editor or the requester, in
// Japanese as every staff mail is, that a link approval ended and which of
// the pages they look after still link to the site.
func (a *App) linkExpiredMail(to *db.Account, r *db.LinkRequest, pages []db.ExpiredLinkPage) *db.Mail {
	const lang = "ja"
	var list strings.Builder
	for _, p := range pages {
		fmt.Fprintf(&list, "・%s\n  %s/staff/pages/%d\n", p.Title, a.cfg.BaseURL, p.PageID)
	}
	end := ""
	if r.EndDate != nil {
		end = i18n.Date(lang, *r.EndDate)
	}
	return a.composeMail(lang, "link_expired", to.WorkEmail, map[string]any{
		"Name":      to.DisplayName,
		"Site":      r.SiteName,
		"Domain":    r.Domain,
		"EndDate":   end,
		"Pages":     list.String(),
		"Requester": to.ID == r.RequestedBy,
		"URL":       a.cfg.BaseURL + "/staff/links",
	})
}
