package app

// The approver's side of publishing (README, "Publishing"): the queue of
// submissions at /staff/approvals, deciding them inline, ending live pages,
// the mails that tell approvers, and the scheduler that publishes, ends and
// reminds.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/htmx"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/app/worker"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// approverPagesLimit is how many approved and live pages the approver's
// page lists.
const approverPagesLimit = 100

// approvals is the approver's page: the submissions of their divisions and
// sites, oldest first, and the pages they may end.
func (a *App) approvals(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	queue, err := a.db.ApprovalQueue(ctx, u)
	if err != nil {
		return err
	}
	pages, more, err := a.db.ApproverPages(ctx, u, approverPagesLimit)
	if err != nil {
		return err
	}
	entries, err := a.approvalEntries(ctx, u, append(queue, pages...))
	if err != nil {
		return err
	}
	v := components.ApprovalsView{Queue: entries[:len(queue)], Pages: entries[len(queue):], More: more}
	return a.page(c, a.t(c, "approvals.title"), components.Approvals(v))
}

// approvalEntries adds to each page what the approver's page shows: the
// author, the body as it will be published, and where its publish time
// stands against its site's lead time.
func (a *App) approvalEntries(ctx context.Context, u *db.Account, states []db.PageState) ([]components.ApprovalEntry, error) {
	managed, err := a.db.ManagedSites(ctx, u)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for i := range states {
		if r := states[i].Latest(); r != nil && r.AuthorID != nil {
			ids = append(ids, *r.AuthorID)
		}
	}
	names, err := a.db.StaffNames(ctx, ids)
	if err != nil {
		return nil, err
	}
	pageIDs := make([]int64, len(states))
	for i := range states {
		pageIDs[i] = states[i].Page.ID
	}
	flags, err := a.db.PageLinkFlags(ctx, pageIDs)
	if err != nil {
		return nil, err
	}
	now := a.now()
	pc := a.newPageChecker()
	out := make([]components.ApprovalEntry, len(states))
	for i, s := range states {
		e := components.ApprovalEntry{State: s, Earliest: db.EarliestPublish(&s.Site, now), SiteManager: managed[s.Page.SiteID],
			LinkFlags: flags[s.Page.ID]}
		if r := s.Latest(); r != nil && r.AuthorID != nil {
			e.Author = names[*r.AuthorID]
		}
		if w := s.Working; w != nil && w.Status == db.RevSubmitted {
			e.BodyHTML = a.pageHTML(ctx, w.Body)
			e.Problems = pc.problems(ctx, s.Page.ID, s.Page.DivisionID, s.Page.Kind, w.Title, w.Body)
			e.TooSoon = w.PublishAt.Before(e.Earliest)
		}
		out[i] = e
	}
	return out, nil
}

// approverPage loads a page for a decision and checks the approver reaches
// it: an approver of another division or site is refused whatever they send.
func (a *App) approverPage(c echo.Context) (*db.PageState, error) {
	id, err := idParam(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	s, err := a.db.PageState(ctx, id)
	if err != nil {
		return nil, err
	}
	ok, err := a.db.CanApprove(ctx, currentUser(c), s.Page.Kind, s.Page.SiteID, s.Page.DivisionID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("page %d: %w", id, db.ErrForbidden)
	}
	return s, nil
}

// decidePage approves a submission, approves it inside the lead time with a
// site manager's reason, or sends it back with a comment. With htmx the
// item is replaced in place by what happened; without, the queue is shown
// again with a flash. A refusal of the two-day rule shows the item again
// (422) saying the earliest time allowed, with the override for site
// managers.
func (a *App) decidePage(c echo.Context) error {
	ctx := c.Request().Context()
	f := form.PageDecision{Action: c.FormValue("action"), Note: c.FormValue("note"),
		Override: c.FormValue("override"), Comment: c.FormValue("comment"), CheckOverride: c.FormValue("check_override")}
	if !f.KnownAction() {
		return echo.NewHTTPError(http.StatusBadRequest, "action")
	}
	s, err := a.approverPage(c)
	if err != nil {
		return err
	}
	id := s.Page.ID
	if s.Working == nil || s.Working.Status != db.RevSubmitted {
		return a.decided(c, components.ApprovalDone, id, a.t(c, "approvals.conflict"))
	}
	f.Normalize()
	st := components.ApprovalState{Action: f.Action, Note: f.Note, Override: f.Override, Comment: f.Comment,
		CheckOverride: f.CheckOverride, Errs: f.Validate()}
	checkErrors := hasErrors(a.pageProblems(ctx, s.Page.ID, s.Page.DivisionID, s.Page.Kind, s.Working.Title, s.Working.Body))
	if checkErrors {
		f.RequireCheckOverride(st.Errs)
	}
	if st.Errs.Any() {
		return a.showDecision(c, s, st, time.Time{})
	}
	version, _ := strconv.Atoi(c.FormValue("version"))
	t := db.Transition{PageID: id, Version: version, Actor: actorAs(c, actingRole(c)), Now: a.now()}
	if checkErrors {
		t.CheckOverride = f.CheckOverride
	}
	switch f.Action {
	case form.DecideApprove:
		t.Comment = f.Note
		err = a.db.ApprovePage(ctx, t)
	case form.DecideOverride:
		t.Comment, t.Override = f.Note, f.Override
		err = a.db.ApprovePage(ctx, t)
	case form.DecideSendBack:
		t.Comment = f.Comment
		err = a.db.SendBackPage(ctx, t)
	}
	var tooSoon *db.ErrTooSoon
	switch {
	case errors.As(err, &tooSoon):
		st.Refused = true
		return a.showDecision(c, s, st, tooSoon.Earliest)
	case errors.Is(err, db.ErrConflict):
		return a.decided(c, components.ApprovalDone, id, a.t(c, "approvals.conflict"))
	case err != nil:
		return err
	}
	text, err := a.decisionText(c, id, s.Working.Title, f.Action)
	if err != nil {
		return err
	}
	return a.decided(c, components.ApprovalDone, id, text)
}

// decisionText says what became of the page: sent back, scheduled for its
// time, or published at once (its time had come).
func (a *App) decisionText(c echo.Context, id int64, title, action string) (string, error) {
	lang := a.viewRequest(c).Lang
	data := map[string]any{"Title": title}
	if action == form.DecideSendBack {
		return a.catalog.T(lang, "approvals.done.sent_back", data), nil
	}
	s, err := a.db.PageState(c.Request().Context(), id)
	if err != nil {
		return "", err
	}
	key := "approvals.done.published"
	if w := s.Working; w != nil && w.Status == db.RevApproved {
		key = "approvals.done.scheduled"
		data["When"] = i18n.DateTime(lang, w.PublishAt)
	}
	text := a.catalog.T(lang, key, data)
	if action == form.DecideOverride {
		text += a.catalog.T(lang, "approvals.done.override_recorded")
	}
	return text, nil
}

// decided answers a decision: the item's replacement for htmx, else the
// queue again with the same words as a flash.
func (a *App) decided(c echo.Context, done func(int64, string) templ.Component, id int64, text string) error {
	if htmx.IsPartial(c.Request()) {
		return a.render(c, http.StatusOK, "", done(id, text))
	}
	a.flashText(c, "success", text)
	return c.Redirect(http.StatusSeeOther, "/staff/approvals")
}

// showDecision shows an item again with what was typed and what was wrong
// (422): in place for htmx, else alone on a page. earliest, when set, is
// the earliest time the two-day rule named.
func (a *App) showDecision(c echo.Context, s *db.PageState, st components.ApprovalState, earliest time.Time) error {
	entries, err := a.approvalEntries(c.Request().Context(), currentUser(c), []db.PageState{*s})
	if err != nil {
		return err
	}
	e := &entries[0]
	if !earliest.IsZero() {
		e.Earliest, e.TooSoon = earliest, true
	}
	return a.showItem(c, components.ApprovalItem(e, st))
}

func (a *App) showItem(c echo.Context, item templ.Component) error {
	if htmx.IsPartial(c.Request()) {
		return a.render(c, http.StatusUnprocessableEntity, "", item)
	}
	return a.render(c, http.StatusUnprocessableEntity, a.t(c, "approvals.item"), components.ApprovalPage(item))
}

// endPage ends a live page now (公開終了), with an optional reason for its
// history; the public lists drop it through the pages live stream.
func (a *App) endPage(c echo.Context) error {
	s, err := a.approverPage(c)
	if err != nil {
		return err
	}
	id := s.Page.ID
	lang := a.viewRequest(c).Lang
	if s.Live == nil {
		return a.decided(c, components.EndDone, id, a.t(c, "approvals.end_conflict"))
	}
	f := form.PageEnd{Comment: c.FormValue("comment")}
	f.Normalize()
	if errs := f.Validate(); errs.Any() {
		entries, err := a.approvalEntries(c.Request().Context(), currentUser(c), []db.PageState{*s})
		if err != nil {
			return err
		}
		return a.showItem(c, components.LivePageItem(&entries[0], components.ApprovalState{Comment: f.Comment, Errs: errs}))
	}
	err = a.db.EndPage(c.Request().Context(), db.Transition{PageID: id, Comment: f.Comment, Actor: actorAs(c, actingRole(c)), Now: a.now()})
	switch {
	case errors.Is(err, db.ErrConflict):
		return a.decided(c, components.EndDone, id, a.t(c, "approvals.end_conflict"))
	case err != nil:
		return err
	}
	return a.decided(c, components.EndDone, id, a.catalog.T(lang, "approvals.done.ended", map[string]any{"Title": s.Live.Title}))
}

// ---------------------------------------------------------------------------
// Mail to approvers

// pageSubmittedMail tells an approver a page waits for their decision: the
// mail db.SubmitPage sends each approver of the page's division and site
// who has a work address.
func (a *App) pageSubmittedMail(to *db.Account, s *db.PageState) *db.Mail {
	return a.approverMail("page_submitted", to, s)
}

// pageReminderMail reminds an approver of a submission that has waited
// longer than PORTAL_APPROVAL_REMIND_HOURS (db.RemindApprovers).
func (a *App) pageReminderMail(to *db.Account, s *db.PageState) *db.Mail {
	return a.approverMail("page_reminder", to, s)
}

// approverMail composes a back-office mail about a submitted page, in
// Japanese as every staff mail is.
func (a *App) approverMail(kind string, to *db.Account, s *db.PageState) *db.Mail {
	w := s.Working
	if w == nil {
		return nil
	}
	const lang = "ja"
	data := map[string]any{
		"Name":      to.DisplayName,
		"Title":     w.Title,
		"Kind":      a.catalog.T(lang, "page_kind."+s.Page.Kind),
		"Division":  s.Division.Name,
		"Site":      s.Site.Name,
		"PublishAt": i18n.DateTime(lang, w.PublishAt),
		"URL":       fmt.Sprintf("%s/staff/approvals#approval-%d", a.cfg.BaseURL, s.Page.ID),
	}
	if w.SubmittedAt != nil {
		data["SubmittedAt"] = i18n.DateTime(lang, *w.SubmittedAt)
	}
	if earliest := db.EarliestPublish(&s.Site, a.now()); w.PublishAt.Before(earliest) {
		data["LeadDays"] = s.Site.LeadDays
	}
	return a.composeMail(lang, kind, to.WorkEmail, data)
}

// ---------------------------------------------------------------------------
// The scheduler

// scheduleEvery is how often an instance publishes and ends pages whose time
// has come: every page goes live within a minute of its time.
const scheduleEvery = 30 * time.Second

// scheduleBatch is how many pages one transaction series publishes (and
// ends) before the run looks again.
const scheduleBatch = 100

// RunScheduler publishes approved pages and ends live ones at their times
// and reminds approvers of submissions waiting too long, every
// scheduleEvery until ctx ends. Every instance runs it: each due revision
// and each reminder is claimed under a row lock (SKIP LOCKED), so it happens
// once whichever instance gets there first.
func (a *App) RunScheduler(ctx context.Context) {
	a.runScheduler(ctx, scheduleEvery)
}

func (a *App) runScheduler(ctx context.Context, every time.Duration) {
	worker.Every(ctx, every, a.schedule)
}

// schedule is one run of the scheduler at the app's clock.
func (a *App) schedule(ctx context.Context) {
	now := a.now()
	for {
		published, ended, err := a.db.RunSchedule(ctx, now, scheduleBatch)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Error("page schedule", "err", err, "published", published, "ended", ended)
			}
			return
		}
		if published+ended > 0 {
			a.log.Info("page schedule", "published", published, "ended", ended)
		}
		if published < scheduleBatch && ended < scheduleBatch {
			break
		}
	}
	// Consent periods (第14条) that have ended end their pages, once each.
	if n, err := a.db.EndPagesWithExpiredConsent(ctx, now, a.consentExpiredMail); err != nil && ctx.Err() == nil {
		a.log.Error("consent expiry", "err", err, "records", n)
	} else if n > 0 {
		a.log.Info("consent expiry", "records", n)
	}
	// Link approvals (第16条) that have ended flag the pages linking there.
	if n, err := a.db.ExpireLinkRequests(ctx, now, linksTo, a.linkExpiredMail); err != nil && ctx.Err() == nil {
		a.log.Error("link expiry", "err", err, "requests", n)
	} else if n > 0 {
		a.log.Info("link expiry", "requests", n)
	}
	n, err := a.db.RemindApprovers(ctx, now, a.cfg.ApprovalRemind, a.pageReminderMail)
	switch {
	case err != nil && ctx.Err() == nil:
		a.log.Error("approval reminders", "err", err)
	case n > 0:
		a.log.Info("approval reminders queued", "submissions", n)
	}
}

// approvalBadge is the number of submissions waiting for the signed-in
// approver, for the back-office link in the header. A failure to count is
// logged and shows no number: the page matters more than the badge.
func (a *App) approvalBadge(c echo.Context, u *db.Account) int {
	if u == nil || !u.HasRole(db.RoleApprover) {
		return 0
	}
	n, err := a.db.ApprovalCount(c.Request().Context(), u)
	if err != nil {
		a.log.Warn("approval count", "err", err, "request_id", requestID(c))
		return 0
	}
	return n
}
