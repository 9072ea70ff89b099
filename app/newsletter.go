package app

// The newsletter (PRODUCT.md §5, README "Newsletter"): visitors subscribe at
// /newsletter and confirm through a link whose page asks for one click (a
// POST, so mail scanners that open links confirm nothing); members subscribe
// from /account in one click; every message carries a signed one-click
// unsubscribe link (RFC 8058) and a visible one. Staff keep the lists and
// compose, test, schedule and (above a set audience) have approved the
// issues at /staff/newsletter; app/worker sends them.

import (
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/app/worker"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

const (
	// At most newsletterPerIP subscription requests from one client
	// address, and newsletterMailsPerAddress confirmation mails to one
	// address, per newsletterWindow.
	newsletterWindow          = time.Hour
	newsletterPerIP           = 10
	newsletterMailsPerAddress = 3
	// unsubscribeRoute takes the one-click POST of RFC 8058, which mail
	// providers send without cookies or a CSRF token (csrf skips it; the
	// signed token is the authority).
	unsubscribeRoute = "/newsletter/unsubscribe/:token"
)

// newsletterLinks signs the newsletter's links with the portal's secret.
func (a *App) newsletterLinks() worker.NewsletterLinks {
	return worker.NewsletterLinks{BaseURL: a.cfg.BaseURL, Secret: a.cfg.Secret}
}

// newsletterHTML is an issue's HTML part: the editor's renderer (links to
// other sites through /leave, as on the portal's pages), with the portal's
// own addresses made absolute for a mail client.
func (a *App) newsletterHTML(body string) string {
	html := a.markup.Render(body)
	return strings.NewReplacer(`href="/`, `href="`+a.cfg.BaseURL+"/", `src="/`, `src="`+a.cfg.BaseURL+"/").Replace(html)
}

// NewsletterSender returns the sender of the newsletter over the SMTP
// server cfg, with the portal's renderer and footer.
func (a *App) NewsletterSender(cfg worker.MailConfig, log *slog.Logger) *worker.NewsletterSender {
	return worker.NewNewsletterSender(a.db, cfg, a.cfg.Newsletter, a.newsletterLinks(), worker.IssueMail{
		HTML: a.newsletterHTML,
		Footer: func(u string) (string, string) {
			data := map[string]any{"SiteName": a.catalog.T(i18n.Default, "site.name"), "URL": u}
			text := a.catalog.T(i18n.Default, "newsletter.mail.footer_text", data)
			html := `<p>` + templ.EscapeString(a.catalog.T(i18n.Default, "newsletter.mail.footer_lead", data)) +
				` <a href="` + templ.EscapeString(u) + `">` + templ.EscapeString(a.catalog.T(i18n.Default, "newsletter.mail.footer_link", data)) + `</a></p>`
			return text, html
		},
	}, log)
}

// ---- visitors ----

func listChoices(lists []db.NewsletterList) []string {
	out := make([]string, len(lists))
	for i := range lists {
		out[i] = strconv.FormatInt(lists[i].ID, 10)
	}
	return out
}

// newsletterPage is the subscription form.
func (a *App) newsletterPage(c echo.Context) error {
	lists, err := a.db.NewsletterLists(c.Request().Context(), true)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "newsletter.title"), components.NewsletterForm(components.NewsletterFormView{Lists: lists}))
}

// subscribeNewsletter takes a visitor's address and lists and mails the
// confirmation link. The answer is the same whether the address was new,
// pending or already confirmed: nobody learns who subscribes.
func (a *App) subscribeNewsletter(c echo.Context) error {
	ctx := c.Request().Context()
	lists, err := a.db.NewsletterLists(ctx, true)
	if err != nil {
		return err
	}
	params, err := c.FormParams()
	if err != nil {
		return err
	}
	v := components.NewsletterFormView{Lists: lists,
		Form: form.NewsletterSubscribe{Email: c.FormValue("email"), Lists: params["lists"]}}
	v.Form.Normalize()
	v.Errs = v.Form.Validate(listChoices(lists))
	if v.Errs.Any() {
		return a.render(c, http.StatusUnprocessableEntity, a.t(c, "newsletter.title"), components.NewsletterForm(v))
	}
	lang := a.viewRequest(c).Lang
	links := a.newsletterLinks()
	err = a.db.RequestSubscription(ctx, db.SubscriptionRequest{
		Email: v.Form.Email, ListIDs: form.ListIDs(v.Form.Lists), Now: a.now(),
		IP: c.RealIP(), AddressKey: a.rateSubject("newsletter", v.Form.Email), Since: a.now().Add(-newsletterWindow),
		MaxPerIP: newsletterPerIP, MaxMails: newsletterMailsPerAddress,
		Confirm: func(sub int64) *db.Mail {
			m := a.composeMail(lang, "newsletter_confirm", v.Form.Email,
				map[string]any{"Link": a.cfg.BaseURL + "/newsletter/confirm/" + db.SecretMark})
			m.Secret = links.ConfirmToken(sub, a.now().Add(worker.ConfirmLinkLife))
			return m
		},
	})
	if errors.Is(err, db.ErrRateLimited) {
		v.Errs = form.Errors{}
		v.Errs.Add("email", "newsletter.err.too_many")
		return a.render(c, http.StatusTooManyRequests, a.t(c, "newsletter.title"), components.NewsletterForm(v))
	}
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "newsletter.check_title"), components.NewsletterCheckMail())
}

// confirmSubscriber reads the confirmation token of the route.
func (a *App) confirmSubscriber(c echo.Context) (int64, error) {
	sub, ok := a.newsletterLinks().ParseConfirm(c.Param("token"), a.now())
	if !ok {
		return 0, db.ErrNotFound
	}
	return sub, nil
}

// confirmPage shows the lists awaiting confirmation and one button: opening
// the link confirms nothing (mail scanners open links).
func (a *App) confirmPage(c echo.Context) error {
	sub, err := a.confirmSubscriber(c)
	if err != nil {
		return err
	}
	lists, suppressed, err := a.db.PendingLists(c.Request().Context(), sub)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "newsletter.confirm_title"), components.NewsletterConfirm(c.Request().URL.Path, lists, suppressed))
}

// confirmNewsletter confirms the subscriber's pending lists.
func (a *App) confirmNewsletter(c echo.Context) error {
	sub, err := a.confirmSubscriber(c)
	if err != nil {
		return err
	}
	if _, err := a.db.ConfirmSubscriptions(c.Request().Context(), sub, a.now()); err != nil {
		return err
	}
	return a.page(c, a.t(c, "newsletter.confirmed_title"), components.NewsletterConfirmed())
}

// unsubscribeToken reads the unsubscribe token of the route.
func (a *App) unsubscribeToken(c echo.Context) (sub, issue int64, err error) {
	sub, issue, ok := a.newsletterLinks().ParseUnsubscribe(c.Param("token"))
	if !ok {
		return 0, 0, db.ErrNotFound
	}
	return sub, issue, nil
}

// unsubscribePage is the visible link's page: the lists it stops and one
// button.
func (a *App) unsubscribePage(c echo.Context) error {
	sub, issue, err := a.unsubscribeToken(c)
	if err != nil {
		return err
	}
	lists, err := a.db.UnsubscribeLists(c.Request().Context(), sub, issue)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "newsletter.unsubscribe_title"), components.NewsletterUnsubscribe(c.Request().URL.Path, lists))
}

// unsubscribeNewsletter unsubscribes at once: the RFC 8058 one-click POST
// of a mail provider (body List-Unsubscribe=One-Click) or the page's button.
func (a *App) unsubscribeNewsletter(c echo.Context) error {
	sub, issue, err := a.unsubscribeToken(c)
	if err != nil {
		return err
	}
	if _, err := a.db.Unsubscribe(c.Request().Context(), sub, issue, a.now()); err != nil {
		return err
	}
	return a.page(c, a.t(c, "newsletter.unsubscribed_title"), components.NewsletterUnsubscribed())
}

// ---- members ----

// accountNewsletter is the /account section: each list with its one button.
func (a *App) accountNewsletter(c echo.Context, acc *db.Account) (templ.Component, error) {
	ctx := c.Request().Context()
	lists, err := a.db.NewsletterLists(ctx, true)
	if err != nil {
		return nil, err
	}
	subs, err := a.db.MemberSubscriptions(ctx, acc.ID)
	if err != nil {
		return nil, err
	}
	return components.AccountNewsletter(lists, subs), nil
}

// setMemberNewsletter subscribes the member to a list, or unsubscribes them,
// in one click from /account.
func (a *App) setMemberNewsletter(c echo.Context) error {
	id, ok := form.ID(c.FormValue("list"))
	action := c.FormValue("action")
	if !ok || (action != "subscribe" && action != "unsubscribe") {
		return echo.NewHTTPError(http.StatusBadRequest, "list or action")
	}
	if err := a.db.SetMemberSubscription(c.Request().Context(), currentUser(c).ID, id, action == "subscribe", a.now()); err != nil {
		return err
	}
	a.flash(c, "success", "newsletter.account_"+action+"d")
	return c.Redirect(http.StatusSeeOther, "/account#newsletter")
}

// ---- staff: lists ----

func (a *App) newsletterLists(c echo.Context) error {
	return a.showLists(c, http.StatusOK, form.NewsletterList{Active: true}, form.Errors{})
}

func (a *App) showLists(c echo.Context, status int, f form.NewsletterList, errs form.Errors) error {
	lists, err := a.db.NewsletterLists(c.Request().Context(), false)
	if err != nil {
		return err
	}
	return a.render(c, status, a.t(c, "newsletter.lists_title"), components.NewsletterLists(lists, f, errs))
}

func listForm(c echo.Context) form.NewsletterList {
	f := form.NewsletterList{Name: c.FormValue("name"), Description: c.FormValue("description"), Active: c.FormValue("active") == "yes"}
	f.Normalize()
	return f
}

// createNewsletterList adds a list.
func (a *App) createNewsletterList(c echo.Context) error {
	f := listForm(c)
	f.Active = true
	errs := f.Validate()
	if !errs.Any() {
		err := a.db.SaveNewsletterList(c.Request().Context(), &db.NewsletterList{Name: f.Name, Description: f.Description, Active: true})
		if errors.Is(err, db.ErrConflict) {
			errs.Add("name", "newsletter.err.name_taken")
		} else if err != nil {
			return err
		}
	}
	if errs.Any() {
		return a.showLists(c, http.StatusUnprocessableEntity, f, errs)
	}
	a.flash(c, "success", "newsletter.list_saved")
	return c.Redirect(http.StatusSeeOther, "/staff/newsletter/lists")
}

func (a *App) newsletterListPage(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	lists, err := a.db.NewsletterLists(c.Request().Context(), false)
	if err != nil {
		return err
	}
	for _, l := range lists {
		if l.ID == id {
			f := form.NewsletterList{Name: l.Name, Description: l.Description, Active: l.Active}
			return a.page(c, a.t(c, "newsletter.list_edit"), components.NewsletterListEdit(id, f, form.Errors{}))
		}
	}
	return db.ErrNotFound
}

// updateNewsletterList renames a list, or stops or resumes offering it.
func (a *App) updateNewsletterList(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	f := listForm(c)
	errs := f.Validate()
	if !errs.Any() {
		err := a.db.SaveNewsletterList(c.Request().Context(), &db.NewsletterList{ID: id, Name: f.Name, Description: f.Description, Active: f.Active})
		if errors.Is(err, db.ErrConflict) {
			errs.Add("name", "newsletter.err.name_taken")
		} else if err != nil {
			return err
		}
	}
	if errs.Any() {
		return a.render(c, http.StatusUnprocessableEntity, a.t(c, "newsletter.list_edit"), components.NewsletterListEdit(id, f, errs))
	}
	a.flash(c, "success", "newsletter.list_saved")
	return c.Redirect(http.StatusSeeOther, "/staff/newsletter/lists")
}

// ---- staff: issues ----

// newsletterIssues lists the issues with their delivery counts.
func (a *App) newsletterIssues(c echo.Context) error {
	rows, err := a.db.NewsletterIssues(c.Request().Context(), 100)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "newsletter.staff_title"), components.NewsletterIssues(rows, roleFor(currentUser(c), permNewsletterLists) != ""))
}

// issueChoices are what the compose form offers: the author's divisions and
// the active lists (and the lists an issue already has).
func (a *App) issueChoices(c echo.Context, v *components.NewsletterIssueView) error {
	ctx := c.Request().Context()
	var err error
	if v.Divisions, err = a.db.DivisionsOf(ctx, currentUser(c).ID); err != nil {
		return err
	}
	v.Lists, err = a.db.NewsletterLists(ctx, false)
	return err
}

func divisionIDs(divs []db.Division) []string {
	out := make([]string, len(divs))
	for i := range divs {
		out[i] = strconv.FormatInt(divs[i].ID, 10)
	}
	return out
}

func issueForm(c echo.Context) (form.NewsletterIssue, error) {
	params, err := c.FormParams()
	if err != nil {
		return form.NewsletterIssue{}, err
	}
	f := form.NewsletterIssue{Division: c.FormValue("division"), Subject: c.FormValue("subject"), Body: c.FormValue("body"),
		Lists: params["lists"], Town: c.FormValue("town"), From: c.FormValue("from"), To: c.FormValue("to"), Joined: c.FormValue("joined")}
	f.Normalize()
	return f, nil
}

// newIssuePage is the empty compose form.
func (a *App) newIssuePage(c echo.Context) error {
	v := components.NewsletterIssueView{}
	if err := a.issueChoices(c, &v); err != nil {
		return err
	}
	if len(v.Divisions) == 1 {
		v.Form.Division = strconv.FormatInt(v.Divisions[0].ID, 10)
	}
	return a.page(c, a.t(c, "newsletter.new_title"), components.NewsletterIssueNew(v))
}

// createIssue saves a new draft and shows it with its preview.
func (a *App) createIssue(c echo.Context) error {
	return a.saveIssueForm(c, 0)
}

// saveIssue changes a draft and shows it with its preview.
func (a *App) saveIssue(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	return a.saveIssueForm(c, id)
}

func (a *App) saveIssueForm(c echo.Context, id int64) error {
	f, err := issueForm(c)
	if err != nil {
		return err
	}
	v := components.NewsletterIssueView{Form: f}
	if err := a.issueChoices(c, &v); err != nil {
		return err
	}
	var offered []string
	for _, l := range v.Lists {
		if l.Active {
			offered = append(offered, strconv.FormatInt(l.ID, 10))
		}
	}
	is, errs := f.Validate(divisionIDs(v.Divisions), offered, i18n.JST)
	if errs.Any() {
		v.Errs = errs
		if id == 0 {
			return a.render(c, http.StatusUnprocessableEntity, a.t(c, "newsletter.new_title"), components.NewsletterIssueNew(v))
		}
		cur, err := a.db.NewsletterIssue(c.Request().Context(), id)
		if err != nil {
			return err
		}
		v.Issue = cur
		return a.render(c, http.StatusUnprocessableEntity, cur.Subject, components.NewsletterIssuePage(v))
	}
	is.ID = id
	if err := a.db.SaveNewsletterIssue(c.Request().Context(), &is, form.ListIDs(f.Lists), currentUser(c)); err != nil {
		return err
	}
	a.flash(c, "success", "newsletter.saved")
	return c.Redirect(http.StatusSeeOther, "/staff/newsletter/"+strconv.FormatInt(is.ID, 10)+"#preview")
}

// issuePage shows an issue: its form while a draft, its preview, its
// approval or schedule, and its delivery counts.
func (a *App) issuePage(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	return a.showIssue(c, http.StatusOK, id, form.NewsletterSend{}, form.Errors{})
}

func (a *App) showIssue(c echo.Context, status int, id int64, send form.NewsletterSend, sendErrs form.Errors) error {
	ctx := c.Request().Context()
	is, err := a.db.NewsletterIssue(ctx, id)
	if err != nil {
		return err
	}
	v := components.NewsletterIssueView{Issue: is, Send: send, SendErrs: sendErrs, Errs: form.Errors{}}
	if err := a.issueChoices(c, &v); err != nil {
		return err
	}
	v.Form = form.NewsletterIssue{Division: strconv.FormatInt(is.DivisionID, 10), Subject: is.Subject, Body: is.Body, Town: is.Segment.Town, Joined: is.Segment.Joined}
	for _, l := range is.ListIDs {
		v.Form.Lists = append(v.Form.Lists, strconv.FormatInt(l, 10))
	}
	if is.Segment.From != nil {
		v.Form.From = is.Segment.From.In(i18n.JST).Format("2006-01-02")
	}
	if is.Segment.To != nil {
		v.Form.To = is.Segment.To.In(i18n.JST).AddDate(0, 0, -1).Format("2006-01-02")
	}
	v.PreviewHTML = a.markup.Render(is.Body)
	if v.Counts, err = a.db.IssueCounts(ctx, id); err != nil {
		return err
	}
	if is.Status == db.IssueDraft {
		n, err := a.db.IssueAudience(ctx, is)
		if err != nil {
			return err
		}
		v.Audience = n
	}
	u := currentUser(c)
	v.ApprovalOver = a.cfg.Newsletter.ApprovalOver
	v.CanApprove = is.Status == db.IssueAwaitingApproval && roleFor(u, permNewsletterApprove) != "" && is.CreatedBy != u.ID
	if v.CanApprove {
		divs, err := a.db.DivisionsOf(ctx, u.ID)
		if err != nil {
			return err
		}
		v.CanApprove = slices.ContainsFunc(divs, func(d db.Division) bool { return d.ID == is.DivisionID })
	}
	v.WorkEmail = u.WorkEmail
	return a.render(c, status, is.Subject, components.NewsletterIssuePage(v))
}

// testIssue sends the issue as it stands to the staff member's own work
// address, marked as a test.
func (a *App) testIssue(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	if u.WorkEmail == "" {
		a.flash(c, "error", "newsletter.no_work_email")
	} else {
		if _, err := a.db.NewsletterIssue(c.Request().Context(), id); err != nil {
			return err
		}
		if err := a.db.QueueTestDelivery(c.Request().Context(), id, u.WorkEmail); err != nil {
			return err
		}
		a.flash(c, "success", "newsletter.test_queued")
	}
	return c.Redirect(http.StatusSeeOther, "/staff/newsletter/"+strconv.FormatInt(id, 10))
}

// sendIssue schedules a draft (now, or at the given date and time); above
// the set audience it waits for an approver of its division.
func (a *App) sendIssue(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	f := form.NewsletterSend{Date: c.FormValue("send_date"), Time: c.FormValue("send_time")}
	f.Normalize()
	if c.FormValue("when") == "now" {
		f = form.NewsletterSend{}
	} else if f.Date == "" {
		errs := form.Errors{}
		errs.Add("send_date", "newsletter.err.send_date")
		return a.showIssue(c, http.StatusUnprocessableEntity, id, f, errs)
	}
	at, errs := f.Validate(a.now(), i18n.JST)
	if errs.Any() {
		return a.showIssue(c, http.StatusUnprocessableEntity, id, f, errs)
	}
	status, err := a.db.RequestIssueSend(c.Request().Context(), id, at, a.cfg.Newsletter.ApprovalOver)
	if err != nil {
		return err
	}
	a.flash(c, "success", "newsletter.now_"+status)
	return c.Redirect(http.StatusSeeOther, "/staff/newsletter/"+strconv.FormatInt(id, 10))
}

// cancelIssue calls a scheduled or waiting issue back to draft.
func (a *App) cancelIssue(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := a.db.CancelIssue(c.Request().Context(), id); err != nil {
		return err
	}
	a.flash(c, "success", "newsletter.cancelled")
	return c.Redirect(http.StatusSeeOther, "/staff/newsletter/"+strconv.FormatInt(id, 10))
}

// approveIssue lets a large issue go out: an approver of its division who
// did not write it.
func (a *App) approveIssue(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := a.db.ApproveIssue(c.Request().Context(), id, currentUser(c), a.now()); err != nil {
		return err
	}
	a.flash(c, "success", "newsletter.approved")
	return c.Redirect(http.StatusSeeOther, "/staff/newsletter/"+strconv.FormatInt(id, 10))
}
