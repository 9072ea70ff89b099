package app

// Inquiries (第8条2項3号): the public form at /inquiry, routed to the
// division that owns the page asked about, and the division's inbox at
// /staff/inquiries where its staff assign, note, answer (mailed by the
// portal) and close. Abuse control needs no third-party CAPTCHA: a honeypot
// field, a minimum fill time carried in a signed hidden field, and a limit
// per client address.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

const (
	// inquiryMinFill is how long a person takes at least to fill the form;
	// a faster submission is asked to confirm once more.
	inquiryMinFill = 3 * time.Second
	// inquiryMaxFill is how old a form may be; an older one is asked to
	// confirm once more too, so a stamp cannot be replayed for ever.
	inquiryMaxFill = 24 * time.Hour
	// inquiryWindow and maxInquiriesPerAddress limit the inquiries sent
	// from one client address.
	inquiryWindow          = time.Hour
	maxInquiriesPerAddress = 5
	// inquiryHoneypot is the field people leave empty and form-filling
	// robots fill.
	inquiryHoneypot = "website"
)

// inquiryStamp is "unix-millis.signature", the time the form was shown,
// signed with the portal's secret.
func (a *App) inquiryStamp(t time.Time) string {
	ms := strconv.FormatInt(t.UnixMilli(), 10)
	return ms + "." + a.inquirySig(ms)
}

func (a *App) inquirySig(ms string) string {
	m := hmac.New(sha256.New, []byte(a.cfg.Secret))
	m.Write([]byte("inquiry:" + ms))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// filledInTime reports whether a stamp is genuine and its form was shown
// between inquiryMinFill and inquiryMaxFill ago.
func (a *App) filledInTime(stamp string) bool {
	ms, sig, ok := strings.Cut(stamp, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(a.inquirySig(ms))) {
		return false
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return false
	}
	age := a.now().Sub(time.UnixMilli(n))
	return age >= inquiryMinFill && age <= inquiryMaxFill
}

// inquiryTarget is what the form is about: a public group (its inbox), a
// live page (its division fixed), a division, or neither (the resident
// chooses a division).
func (a *App) inquiryTarget(c echo.Context, pageParam, divParam string) (components.InquiryView, error) {
	ctx := c.Request().Context()
	var v components.InquiryView
	if groupParam := c.QueryParam("group"); groupParam != "" {
		id, ok := form.ID(groupParam)
		if !ok {
			return v, db.ErrNotFound
		}
		g, err := a.db.PublicGroupName(ctx, id)
		if err != nil {
			return v, err
		}
		v.Group = g
		return v, nil
	}
	if pageParam != "" {
		id, ok := form.ID(pageParam)
		if !ok {
			return v, db.ErrNotFound
		}
		div, err := a.db.LivePageDivision(ctx, id)
		if err != nil {
			return v, err
		}
		v.PageID, divParam = id, strconv.FormatInt(div, 10)
	}
	if divParam != "" {
		id, ok := form.ID(divParam)
		if !ok {
			return v, db.ErrNotFound
		}
		dv, err := a.db.Division(ctx, id)
		if err != nil {
			return v, err
		}
		v.Fixed = dv
		return v, nil
	}
	divs, err := a.db.Divisions(ctx)
	if err != nil {
		return v, err
	}
	v.Divisions = divs
	return v, nil
}

// groupInbox stands for the division of an inquiry to a group: the group
// is fixed by the address, and there is no division to choose.
const groupInbox = "group"

// divisionChoices are the division ids the form accepts.
func divisionChoices(v components.InquiryView) []string {
	if v.Group != nil {
		return []string{groupInbox}
	}
	if v.Fixed != nil {
		return []string{strconv.FormatInt(v.Fixed.ID, 10)}
	}
	out := make([]string, len(v.Divisions))
	for i := range v.Divisions {
		out[i] = strconv.FormatInt(v.Divisions[i].ID, 10)
	}
	return out
}

// inquiryPage shows the empty form.
func (a *App) inquiryPage(c echo.Context) error {
	v, err := a.inquiryTarget(c, c.QueryParam("page"), c.QueryParam("division"))
	if err != nil {
		return err
	}
	if v.Fixed != nil {
		v.Form.Division = strconv.FormatInt(v.Fixed.ID, 10)
	}
	if v.Group != nil {
		v.Form.Division = groupInbox
	}
	v.Stamp = a.inquiryStamp(a.now())
	c.Response().Header().Set("Cache-Control", "no-store")
	return a.page(c, a.t(c, "inquiry.title"), components.InquiryForm(v))
}

// sendInquiry stores an inquiry and mails the resident a receipt. A filled
// honeypot gets the same thanks and nothing is stored; a form sent faster
// than a person could fill it is shown again with a fresh stamp, asking to
// send it once more; an address over its limit is told to try later.
func (a *App) sendInquiry(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := a.inquiryTarget(c, c.QueryParam("page"), c.QueryParam("division"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	done := func() error {
		return a.page(c, a.t(c, "inquiry.done_title"), components.InquiryDone())
	}
	if c.FormValue(inquiryHoneypot) != "" {
		return done()
	}
	v.Form = form.Inquiry{Division: c.FormValue("division"), Subject: c.FormValue("subject"), Body: c.FormValue("body"),
		Name: c.FormValue("name"), Email: c.FormValue("email"), Phone: c.FormValue("phone")}
	if v.Fixed != nil { // the page or the address decides the division, not the form
		v.Form.Division = strconv.FormatInt(v.Fixed.ID, 10)
	}
	if v.Group != nil { // the group's inbox; the form asks no phone for a group
		v.Form.Division, v.Form.Phone = groupInbox, ""
	}
	v.Form.Normalize()
	v.Errs = v.Form.Validate(divisionChoices(v))
	v.Stamp = a.inquiryStamp(a.now())
	again := func(status int) error {
		return a.render(c, status, a.t(c, "inquiry.title"), components.InquiryForm(v))
	}
	if v.Errs.Any() {
		return again(http.StatusUnprocessableEntity)
	}
	if !a.filledInTime(c.FormValue("started")) {
		v.Confirm = true
		return again(http.StatusUnprocessableEntity)
	}
	inq := &db.Inquiry{Subject: v.Form.Subject, Body: v.Form.Body, Name: v.Form.Name,
		Email: v.Form.Email, Phone: v.Form.Phone, IPHash: a.rateSubject("ip", c.RealIP())}
	// The receipt repeats neither the subject nor the body: the address is
	// as typed, and the form must not become a way to mail anyone any text.
	var receipt *db.Mail
	if v.Group != nil {
		inq.GroupID = &v.Group.ID
		receipt = a.composeMail(a.viewRequest(c).Lang, "inquiry_group_receipt", "", map[string]any{"Group": v.Group.Name})
	} else {
		divID, _ := form.ID(v.Form.Division)
		dv := v.Fixed
		for i := range v.Divisions {
			if v.Divisions[i].ID == divID {
				dv = &v.Divisions[i]
			}
		}
		inq.DivisionID = divID
		if v.PageID != 0 {
			inq.PageID = &v.PageID
		}
		receipt = a.composeMail(a.viewRequest(c).Lang, "inquiry_receipt", "", map[string]any{"Division": dv.Name})
	}
	err = a.db.CreateInquiry(ctx, inq, receipt, db.InquiryLimit{IP: c.RealIP(), Since: a.now().Add(-inquiryWindow), Max: maxInquiriesPerAddress})
	if errors.Is(err, db.ErrRateLimited) {
		v.Errs.Add("body", "inquiry.err.too_many")
		return again(http.StatusTooManyRequests)
	}
	if err != nil {
		return err
	}
	return done()
}

// inquiries is a division's inbox: the inquiries of the staff member's
// divisions, newest first, filtered by status.
func (a *App) inquiries(c echo.Context) error {
	status := c.QueryParam("status")
	if status != "" && !isInquiryStatus(status) {
		status = ""
	}
	rows, err := a.db.Inquiries(c.Request().Context(), currentUser(c), status)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "inquiries.title"), components.Inquiries(rows, status))
}

func isInquiryStatus(s string) bool {
	for _, st := range db.InquiryStatuses {
		if s == st {
			return true
		}
	}
	return false
}

// inquiry shows one inquiry with the inquirer's name and contact: the view
// is on the audit log.
func (a *App) inquiry(c echo.Context) error {
	return a.showInquiry(c, http.StatusOK, "", form.Errors{})
}

func (a *App) showInquiry(c echo.Context, status int, text string, errs form.Errors) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	d, err := a.db.ViewInquiry(ctx, id, actorAs(c, actingRole(c)))
	if err != nil {
		return err
	}
	v := components.InquiryDetailView{Detail: d, Text: text, Errs: errs, Base: inboxBase(c)}
	if d.Group != nil { // a group's inbox has no answer templates
		c.Response().Header().Set("Cache-Control", "no-store")
		return a.render(c, status, a.t(c, "inquiries.detail_title"), components.InquiryDetail(v))
	}
	if v.Templates, err = a.db.InquiryTemplates(ctx, currentUser(c), d.Inquiry.DivisionID); err != nil {
		return err
	}
	// ?template=ID starts the answer from one of the division's templates.
	if tid, ok := form.ID(c.QueryParam("template")); ok && !errs.Any() {
		for _, tp := range v.Templates {
			if tp.ID == tid {
				v.Text, v.Errs = tp.Body, form.Errors{}
				v.FromTemplate = tid
			}
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return a.render(c, status, a.t(c, "inquiries.detail_title"), components.InquiryDetail(v))
}

// inquiryTemplates lists the answer templates of the staff member's
// divisions, with the form to add one.
func (a *App) inquiryTemplates(c echo.Context) error {
	return a.showTemplates(c, http.StatusOK, form.InquiryTemplate{}, form.Errors{})
}

func (a *App) showTemplates(c echo.Context, status int, f form.InquiryTemplate, errs form.Errors) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	list, err := a.db.InquiryTemplates(ctx, u, 0)
	if err != nil {
		return err
	}
	divs, err := a.db.DivisionsOf(ctx, u.ID)
	if err != nil {
		return err
	}
	return a.render(c, status, a.t(c, "inquiries.templates"), components.InquiryTemplates(list, divs, f, errs))
}

// addInquiryTemplate adds an answer template to one of the staff member's
// divisions.
func (a *App) addInquiryTemplate(c echo.Context) error {
	ctx := c.Request().Context()
	f := form.InquiryTemplate{Division: c.FormValue("division"), Title: c.FormValue("title"), Body: c.FormValue("body")}
	f.Normalize()
	divs, err := a.db.DivisionsOf(ctx, currentUser(c).ID)
	if err != nil {
		return err
	}
	ids := make([]string, len(divs))
	for i := range divs {
		ids[i] = strconv.FormatInt(divs[i].ID, 10)
	}
	if errs := f.Validate(ids); errs.Any() {
		return a.showTemplates(c, http.StatusUnprocessableEntity, f, errs)
	}
	divID, _ := form.ID(f.Division)
	if err := a.db.AddInquiryTemplate(ctx, actorAs(c, actingRole(c)), &db.InquiryTemplate{DivisionID: divID, Title: f.Title, Body: f.Body}); err != nil {
		return err
	}
	a.flash(c, "success", "inquiries.template_added")
	return c.Redirect(http.StatusSeeOther, "/staff/inquiries/templates")
}

// deleteInquiryTemplate removes an answer template of the staff member's
// divisions.
func (a *App) deleteInquiryTemplate(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := a.db.DeleteInquiryTemplate(c.Request().Context(), actorAs(c, actingRole(c)), id); err != nil {
		return err
	}
	a.flash(c, "success", "inquiries.template_deleted")
	return c.Redirect(http.StatusSeeOther, "/staff/inquiries/templates")
}

// inquiryAction runs one change and goes back to the inquiry.
func (a *App) inquiryAction(c echo.Context, flash string, fn func(id int64, actor db.Actor) error) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := fn(id, actorAs(c, actingRole(c))); err != nil {
		return err
	}
	a.flash(c, "success", flash)
	return c.Redirect(http.StatusSeeOther, inboxBase(c)+"/"+strconv.FormatInt(id, 10))
}

// inboxBase is the address of the inbox the request is in: a group's own
// (/group/inquiries) or its divisions' (/staff/inquiries).
func inboxBase(c echo.Context) string {
	if actingRole(c) == db.KindGroup {
		return "/group/inquiries"
	}
	return "/staff/inquiries"
}

// groupInquiries is a group's inbox: the inquiries residents sent it, with
// neither their names nor their addresses.
func (a *App) groupInquiries(c echo.Context) error {
	status := c.QueryParam("status")
	if status != "" && !isInquiryStatus(status) {
		status = ""
	}
	rows, err := a.db.GroupInquiries(c.Request().Context(), currentUser(c), status)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "group_inquiries.title"), components.GroupInquiries(rows, status))
}

func (a *App) assignInquiry(c echo.Context) error {
	return a.inquiryAction(c, "inquiries.assigned", func(id int64, actor db.Actor) error {
		return a.db.AssignInquiry(c.Request().Context(), id, actor)
	})
}

func (a *App) closeInquiry(c echo.Context) error {
	return a.inquiryAction(c, "inquiries.closed", func(id int64, actor db.Actor) error {
		return a.db.CloseInquiry(c.Request().Context(), id, actor)
	})
}

// noteInquiry adds an internal note, or answerInquiry an answer mailed to
// the resident; an empty or overlong text shows the inquiry again (422).
func (a *App) noteInquiry(c echo.Context) error   { return a.inquiryText(c, false) }
func (a *App) answerInquiry(c echo.Context) error { return a.inquiryText(c, true) }

func (a *App) inquiryText(c echo.Context, answer bool) error {
	f := form.InquiryText{Text: c.FormValue("text")}
	f.Normalize()
	if errs := f.Validate(); errs.Any() {
		field := "note"
		if answer {
			field = "answer"
		}
		return a.showInquiry(c, http.StatusUnprocessableEntity, f.Text, form.Errors{field: errs["text"]})
	}
	if !answer {
		return a.inquiryAction(c, "inquiries.noted", func(id int64, actor db.Actor) error {
			return a.db.NoteInquiry(c.Request().Context(), id, actor, f.Text)
		})
	}
	return a.inquiryAction(c, "inquiries.answered", func(id int64, actor db.Actor) error {
		return a.db.AnswerInquiry(c.Request().Context(), id, actor, f.Text, func(inq *db.Inquiry) *db.Mail {
			if inq.GroupID != nil {
				// From the portal, naming the group and its public contact
				// if it has one: never the group account's or anyone's address.
				g, _ := a.db.PublicGroupName(c.Request().Context(), *inq.GroupID)
				data := map[string]any{"Name": inq.Name, "Subject": inq.Subject, "Answer": f.Text, "GroupID": *inq.GroupID}
				if g != nil {
					data["Group"], data["Contact"] = g.Name, g.Contact
				}
				return a.composeMail(i18n.Default, "inquiry_group_answer", "", data)
			}
			dv, _ := a.db.Division(c.Request().Context(), inq.DivisionID)
			name := ""
			if dv != nil {
				name = dv.Name
			}
			return a.composeMail(i18n.Default, "inquiry_answer", "", map[string]any{
				"Name": inq.Name, "Division": name, "Subject": inq.Subject, "Answer": f.Text})
		})
	})
}
