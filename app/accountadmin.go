package app

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// Account administration (README, "Account administration"): ward staff
// page through and search group accounts, reissue a group's password and
// suspend or reinstate it; ward staff and the operator correct a member's
// data, suspend or reinstate the member and clear their failed sign-ins;
// ward staff create and disable staff accounts. Each change is one db call
// that writes the audit entry and the account's access-history line.

// groupList is one page of group accounts for the list, with the address of
// the next page.
func (a *App) groupList(c echo.Context) (components.GroupList, error) {
	after, err := afterParam(c)
	if err != nil {
		return components.GroupList{}, err
	}
	q := db.GroupAccountQuery{Text: form.Text(c.QueryParam("q")), Folded: form.Fold(c.QueryParam("q")), AfterID: after}
	rows, next, err := a.db.SearchGroupAccounts(c.Request().Context(), q)
	if err != nil {
		return components.GroupList{}, err
	}
	l := components.GroupList{Query: q.Text, Groups: rows}
	if next != 0 {
		v := url.Values{"after": {strconv.FormatInt(next, 10)}}
		if q.Text != "" {
			v.Set("q", q.Text)
		}
		l.Next = "/staff/groups?" + v.Encode()
	}
	return l, nil
}

// groupAccount is one group account's administration page.
func (a *App) groupAccount(c echo.Context) error {
	return a.showGroupAccount(c, http.StatusOK, components.GroupAccountView{})
}

func (a *App) showGroupAccount(c echo.Context, status int, v components.GroupAccountView) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if v.Account, err = a.db.AccountOfKind(c.Request().Context(), id, db.KindGroup); err != nil {
		return err
	}
	if v.SignIn, err = a.signInState(c, v.Account); err != nil {
		return err
	}
	if v.NewPassword != "" {
		c.Response().Header().Set("Cache-Control", "no-store")
	}
	return a.render(c, status, v.Account.DisplayName, components.GroupAccountPage(v))
}

// issueGroupPassword gives the group a new initial password, shown once on
// the page that answers; the group must change it at its next sign-in, and
// every session it has open ends.
func (a *App) issueGroupPassword(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := idParam(c)
	if err != nil {
		return err
	}
	pw := auth.GeneratePassword(12)
	hash, err := a.hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	if err := a.db.IssuePassword(ctx, actorAs(c, actingRole(c)), id, db.KindGroup, hash); err != nil {
		return err
	}
	return a.showGroupAccount(c, http.StatusOK, components.GroupAccountView{NewPassword: pw})
}

// bindStatus reads a suspension or reinstatement form.
func bindStatus(c echo.Context) form.AccountStatus {
	s := form.AccountStatus{Change: c.FormValue("change"), Reason: c.FormValue("reason")}
	s.Normalize()
	return s
}

// changeStatus applies a status form to an account of kind; invalid input
// is answered by again, the form as typed and its errors beside it.
func (a *App) changeStatus(c echo.Context, kind string, again func(components.StatusForm) error, done string) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	s := bindStatus(c)
	f := components.StatusForm{AccountID: id, Form: s, Errs: s.Validate()}
	if f.Errs.Any() {
		return again(f)
	}
	err = a.db.ChangeStatus(c.Request().Context(), db.StatusChange{AccountID: id, Kind: kind, Change: s.Change, Reason: s.Reason,
		Actor: actorAs(c, actingRole(c))})
	switch {
	case errors.Is(err, db.ErrOwnAccount):
		f.Errs.Add("reason", "account_admin.err.own")
		return again(f)
	case errors.Is(err, db.ErrConflict):
		// Someone else changed it meanwhile, or the account is pending or
		// withdrawn: the page shows its state now.
		a.flash(c, "info", "account_admin.status_unchanged")
		return c.Redirect(http.StatusSeeOther, done)
	case err != nil:
		return err
	}
	a.flash(c, "success", "account_admin.done_"+s.Change)
	return c.Redirect(http.StatusSeeOther, done)
}

func (a *App) changeGroupStatus(c echo.Context) error {
	return a.changeStatus(c, db.KindGroup, func(f components.StatusForm) error {
		return a.showGroupAccount(c, http.StatusUnprocessableEntity, components.GroupAccountView{Status: f})
	}, "/staff/groups/"+c.Param("id"))
}

func (a *App) changeMemberStatus(c echo.Context) error {
	return a.changeStatus(c, db.KindMember, func(f components.StatusForm) error {
		return a.showMember(c, http.StatusUnprocessableEntity, f)
	}, "/staff/members/"+c.Param("id"))
}

func (a *App) changeStaffStatus(c echo.Context) error {
	return a.changeStatus(c, db.KindStaff, func(f components.StatusForm) error {
		return a.showStaffAccounts(c, http.StatusUnprocessableEntity, components.StaffAccountsView{Status: f})
	}, "/staff/accounts")
}

// member is a member's page for staff: opening it is an audited view.
func (a *App) member(c echo.Context) error {
	return a.showMember(c, http.StatusOK, components.StatusForm{})
}

func (a *App) showMember(c echo.Context, status int, sf components.StatusForm) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	acc, p, err := a.db.ViewMember(c.Request().Context(), id, actorAs(c, actingRole(c)))
	if err != nil {
		return err
	}
	st, err := a.signInState(c, acc)
	if err != nil {
		return err
	}
	// The operator clears a member's sign-ins too, through the member's own route.
	st.CanUnlock = roleFor(currentUser(c), permMemberAdmin) != ""
	st.UnlockURL = "/staff/members/" + strconv.FormatInt(acc.ID, 10) + "/unlock"
	v := components.MemberView{Account: acc, Profile: p, SignIn: st, Status: sf, CanAdmin: st.CanUnlock}
	return a.render(c, status, acc.LoginID, components.MemberDetail(v))
}

// memberEditPage shows a member's data in the registration's fields for
// correction; it shows personal data, so it is an audited view.
func (a *App) memberEditPage(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	acc, p, err := a.db.ViewMember(c.Request().Context(), id, actorAs(c, actingRole(c)))
	if err != nil {
		return err
	}
	if p == nil {
		return echo.NewHTTPError(http.StatusNotFound, "withdrawn member")
	}
	f := form.Profile{Name: p.Name, NameKana: p.NameKana, PostalCode: p.PostalCode, Address: p.Address, Phone: p.Phone,
		Fax: p.Fax, Email: p.Email, Handle: acc.DisplayName}
	return a.page(c, a.t(c, "account_admin.edit_member"), components.MemberEdit(acc, f, nil))
}

// correctMember stores staff's correction of a member's data: normalised
// and validated as at registration; the audit entry keeps every changed
// field before and after, the member's history says which fields.
func (a *App) correctMember(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := idParam(c)
	if err != nil {
		return err
	}
	acc, err := a.db.AccountOfKind(ctx, id, db.KindMember)
	if err != nil {
		return err
	}
	f := bindProfile(c)
	f.Normalize()
	errs := f.Validate()
	invalid := func() error {
		return a.render(c, http.StatusUnprocessableEntity, a.t(c, "account_admin.edit_member"), components.MemberEdit(acc, f, errs))
	}
	if errs.Any() {
		return invalid()
	}
	changed, err := a.db.CorrectMember(ctx, db.MemberCorrection{AccountID: id, Handle: f.Handle, Actor: actorAs(c, actingRole(c)),
		Profile: db.MemberProfile{Name: f.Name, NameKana: f.NameKana, PostalCode: f.PostalCode, Town: form.Town(f.Address),
			Address: f.Address, Phone: f.Phone, Fax: f.Fax, Email: f.Email}})
	var fc *db.FieldConflict
	switch {
	case errors.As(err, &fc) && fc.Field == "handle":
		errs.Add("handle", "form.err.handle_taken")
		return invalid()
	case errors.As(err, &fc) && fc.Field == "email":
		errs.Add("email", "form.err.email_taken")
		return invalid()
	case err != nil:
		return err
	case len(changed) == 0:
		a.flash(c, "info", "account_admin.nothing_changed")
	default:
		a.flash(c, "success", "account_admin.corrected")
	}
	return c.Redirect(http.StatusSeeOther, "/staff/members/"+strconv.FormatInt(id, 10))
}

// unlockMember clears a member's failed sign-ins: ward staff and the
// operator, who both keep members' data, on record as unlockSignIn.
func (a *App) unlockMember(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := idParam(c)
	if err != nil {
		return err
	}
	acc, err := a.db.AccountOfKind(ctx, id, db.KindMember)
	if err != nil {
		return err
	}
	if _, err := a.db.UnlockSignIn(ctx, acc, a.rateSubject(subjectLogin, acc.LoginID), currentUser(c), actingRole(c), c.RealIP()); err != nil {
		return err
	}
	a.flash(c, "success", "unlock.done")
	return c.Redirect(http.StatusSeeOther, "/staff/members/"+strconv.FormatInt(acc.ID, 10))
}

// createStaffAccount creates a staff account with its roles and divisions
// from the back office; the initial password is shown once.
func (a *App) createStaffAccount(c echo.Context) error {
	ctx := c.Request().Context()
	params, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	f := form.StaffAccount{LoginID: params.Get("login_id"), Name: params.Get("name"), Roles: params["roles"], Divisions: params["divisions"]}
	f.Normalize()
	divs, err := a.db.Divisions(ctx)
	if err != nil {
		return err
	}
	known := make([]int64, len(divs))
	for i := range divs {
		known[i] = divs[i].ID
	}
	ids, errs := f.Validate(db.StaffRoles, known)
	v := components.StaffAccountsView{Create: components.StaffCreate{Form: f, Errs: errs}}
	if errs.Any() {
		return a.showStaffAccounts(c, http.StatusUnprocessableEntity, v)
	}
	pw := auth.GeneratePassword(14)
	hash, err := a.hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	acc, err := a.db.CreateStaffAccount(ctx, actorAs(c, actingRole(c)), db.NewStaff{LoginID: f.LoginID, Name: f.Name, Roles: f.Roles,
		DivisionIDs: ids, Hash: hash})
	var fc *db.FieldConflict
	switch {
	case errors.As(err, &fc) && fc.Field == "name":
		errs.Add("name", "form.err.staff_name_taken")
		return a.showStaffAccounts(c, http.StatusUnprocessableEntity, v)
	case errors.As(err, &fc):
		errs.Add("login_id", "form.err.login_id_taken")
		return a.showStaffAccounts(c, http.StatusUnprocessableEntity, v)
	case errors.Is(err, db.ErrNotFound):
		errs.Add("divisions", "form.err.divisions") // a division went meanwhile
		return a.showStaffAccounts(c, http.StatusUnprocessableEntity, v)
	case err != nil:
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return a.showStaffAccounts(c, http.StatusOK, components.StaffAccountsView{Created: acc, NewPassword: pw})
}

// staffWork is what waits for the signed-in staff member, by what their
// roles may open (permRoles): the start page shows it with counts.
func (a *App) staffWork(c echo.Context) ([]components.WorkItem, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	var out []components.WorkItem
	if role := roleFor(u, permRegistrations); role != "" {
		side := sideOf(role)
		n, err := a.db.PendingRegistrationCount(ctx, side)
		if err != nil {
			return nil, err
		}
		out = append(out, components.WorkItem{Href: "/staff/registrations?side=" + side, Key: "work.registrations", Count: n})
	}
	if roleFor(u, permModerate) != "" {
		counts, err := a.db.CountWaiting(ctx)
		if err != nil {
			return nil, err
		}
		if u.HasRole(db.RoleModerator) {
			out = append(out, components.WorkItem{Href: "/moderation", Key: "work.queue", Count: counts[db.ItemOpen]})
		}
		if u.HasRole(db.RoleWardStaff) {
			out = append(out, components.WorkItem{Href: "/moderation", Key: "work.escalations", Count: counts[db.ItemEscalated]})
		}
	}
	if roleFor(u, permInquiries) != "" {
		n, err := a.db.OpenInquiryCount(ctx, u)
		if err != nil {
			return nil, err
		}
		out = append(out, components.WorkItem{Href: "/staff/inquiries", Key: "work.inquiries", Count: n})
	}
	if roleFor(u, permApprove) != "" {
		n, err := a.db.ApprovalCount(ctx, u)
		if err != nil {
			return nil, err
		}
		out = append(out, components.WorkItem{Href: "/staff/approvals", Key: "work.approvals", Count: n})
	}
	return out, nil
}
