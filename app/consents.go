package app

// Consent records (Nakano rules 第14条): an editor or approver records a
// person's consent to publish their information beyond the scope of 第13条
// on a page of their division; the list and its CSV export are the report
// to the division in charge of information disclosure. The records name
// people: every view and export is on the audit log (db/consents.go).

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// consentQuery reads the list's filter: active, expired or all, and a page.
func (a *App) consentQuery(c echo.Context) db.ConsentQuery {
	q := db.ConsentQuery{Filter: c.QueryParam("filter"), Now: a.now()}
	if q.Filter != db.ConsentFilterActive && q.Filter != db.ConsentFilterExpired {
		q.Filter = db.ConsentFilterAll
	}
	if id, ok := form.ID(c.QueryParam("page")); ok {
		q.PageID = id
	}
	return q
}

// showConsents renders the list of the staff member's divisions' records
// with the form to add one.
func (a *App) showConsents(c echo.Context, status int, v components.ConsentsView) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	var err error
	if v.Records, err = a.db.Consents(ctx, actorAs(c, actingRole(c)), v.Query, false); err != nil {
		return err
	}
	if v.Pages, err = a.db.ConsentPages(ctx, u); err != nil {
		return err
	}
	v.Now = a.now()
	return a.render(c, status, a.t(c, "consents.title"), components.Consents(v))
}

// consents lists the records, filtered, with the form.
func (a *App) consents(c echo.Context) error {
	q := a.consentQuery(c)
	v := components.ConsentsView{Query: q}
	if q.PageID != 0 {
		v.Form.PageID = strconv.FormatInt(q.PageID, 10)
	}
	return a.showConsents(c, http.StatusOK, v)
}

// createConsent records a consent; an invalid form comes back (422) with
// what was typed. A page outside the staff member's divisions is 403.
func (a *App) createConsent(c echo.Context) error {
	f := form.Consent{PageID: c.FormValue("page_id"), SubjectName: c.FormValue("subject_name"),
		Purpose: c.FormValue("purpose"), Content: c.FormValue("content"), Start: c.FormValue("start_date"),
		End: c.FormValue("end_date"), Method: c.FormValue("method"), MethodNote: c.FormValue("method_note")}
	f.Normalize()
	p, errs := f.Validate(i18n.JST)
	if errs.Any() {
		return a.showConsents(c, http.StatusUnprocessableEntity,
			components.ConsentsView{Query: a.consentQuery(c), Form: f, Errs: errs})
	}
	rec, err := a.db.CreateConsent(c.Request().Context(), actorAs(c, actingRole(c)), db.NewConsent{
		PageID: p.PageID, SubjectName: f.SubjectName, Purpose: f.Purpose, Content: f.Content,
		StartDate: dateOnly(p.Start), EndDate: dateOnly(p.End), Method: f.Method, MethodNote: f.MethodNote})
	if err != nil {
		return err
	}
	a.flash(c, "success", "consents.recorded")
	return c.Redirect(http.StatusSeeOther, "/staff/consents/"+strconv.FormatInt(rec.ID, 10))
}

// consent shows one record (audited).
func (a *App) consent(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	rec, err := a.db.ViewConsent(c.Request().Context(), actorAs(c, actingRole(c)), id)
	if err != nil {
		return err
	}
	return a.render(c, http.StatusOK, a.t(c, "consents.record"), components.ConsentDetail(rec, a.now()))
}

// consentExport sends the filtered list as CSV in UTF-8 with a byte-order
// mark (Excel opens it by double-click): the report of 第14条 to the
// division in charge of information disclosure. The export is audited.
func (a *App) consentExport(c echo.Context) error {
	recs, err := a.db.Consents(c.Request().Context(), actorAs(c, actingRole(c)), a.consentQuery(c), true)
	if err != nil {
		return err
	}
	w, err := a.startDownload(c, form.FormatUTF8, "consents", a.t(c, "consents.title"))
	if err != nil {
		return err
	}
	t := func(k string) []byte { return []byte(a.t(c, k)) }
	if err := w.Row([][]byte{t("consents.id"), t("consents.division"), t("consents.page"), t("consents.page_title"),
		t("consents.subject_name"), t("consents.purpose"), t("consents.content"), t("consents.start"),
		t("consents.end"), t("consents.method"), t("consents.method_note"), t("consents.recorded_by"),
		t("consents.created_at"), t("consents.ended_at")}); err != nil {
		return err
	}
	date := func(s string) []byte { return []byte(s) }
	for _, r := range recs {
		ended := ""
		if r.EndedAt != nil {
			ended = r.EndedAt.In(i18n.JST).Format("2006/01/02 15:04")
		}
		if err := w.Row([][]byte{[]byte(strconv.FormatInt(r.ID, 10)), []byte(r.DivisionName),
			[]byte(strconv.FormatInt(r.PageID, 10)), []byte(r.PageTitle), []byte(r.SubjectName), []byte(r.Purpose),
			[]byte(r.Content), date(r.StartDate.Format("2006/01/02")), date(r.EndDate.Format("2006/01/02")),
			t("consents.method." + r.Method), []byte(r.MethodNote), []byte(r.RecorderName),
			date(r.CreatedAt.In(i18n.JST).Format("2006/01/02 15:04")), []byte(ended)}); err != nil {
			return err
		}
	}
	return w.Close()
}

// consentExpiredMail tells a division editor, in Japanese as every staff
// mail is, that a consent period ended and the page was ended.
func (a *App) consentExpiredMail(to *db.Account, rec *db.ConsentRecord, s *db.PageState) *db.Mail {
	const lang = "ja"
	title := ""
	if r := s.Latest(); r != nil {
		title = r.Title
	} else if revs, err := a.db.Revisions(context.Background(), rec.PageID); err == nil && len(revs) > 0 {
		title = revs[0].Title
	}
	return a.composeMail(lang, "consent_expired", to.WorkEmail, map[string]any{
		"Name":     to.DisplayName,
		"Title":    title,
		"Subject":  rec.SubjectName,
		"EndDate":  i18n.Date(lang, rec.EndDate),
		"Division": s.Division.Name,
		"Ended":    s.Live != nil, // the page was live and has been ended
		"URL":      fmt.Sprintf("%s/staff/consents/%d", a.cfg.BaseURL, rec.ID),
	})
}
