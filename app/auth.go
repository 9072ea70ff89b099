package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/htmx"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

const (
	sessionAccountKey    = "account_id"
	sessionGenerationKey = "session_generation" // the account's db.Account.SessionGeneration at sign-in
	userKey              = "user"
	roleKey              = "acting_role"
)

// loadUser reads the signed-in account for every page. An account that is
// no longer active (withdrawn, suspended) loses its session at once, and so
// does a session signed in before the account's password last changed: the
// generation it carries is not the account's any more. The account row is
// read from the database on every request, so this holds on every instance
// the moment the change commits.
func (a *App) loadUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		id := a.sessions.GetInt64(ctx, sessionAccountKey)
		if id != 0 {
			acc, err := a.db.AccountByID(ctx, id)
			switch {
			case err == nil && acc.Status == db.StatusActive && a.sessions.GetInt64(ctx, sessionGenerationKey) == acc.SessionGeneration:
				c.Set(userKey, acc)
				a.viewRequest(c).User = acc
			case err == nil || isNotFound(err):
				superseded := err == nil && acc.Status == db.StatusActive
				if err := a.sessions.Destroy(ctx); err != nil {
					return err
				}
				if superseded {
					a.flash(c, "info", "logout.password_changed")
				}
			default:
				return err
			}
		}
		return next(c)
	}
}

// signInSession binds the session to acc under a new session id (which
// defeats session fixation) and the account's current session generation.
func (a *App) signInSession(ctx context.Context, acc *db.Account) error {
	if err := a.sessions.RenewToken(ctx); err != nil {
		return err
	}
	a.sessions.Put(ctx, sessionAccountKey, acc.ID)
	a.sessions.Put(ctx, sessionGenerationKey, acc.SessionGeneration)
	return nil
}

func currentUser(c echo.Context) *db.Account {
	acc, _ := c.Get(userKey).(*db.Account)
	return acc
}

// passwordFresh sends an account that must change its initial password to
// the password page before anything else it might do.
func (a *App) passwordFresh(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u := currentUser(c); u != nil && u.MustChangePassword {
			switch c.Path() {
			case "/account/password", "/logout", "/lang":
			default:
				if c.Request().Method == http.MethodGet {
					return c.Redirect(http.StatusSeeOther, "/account/password")
				}
				return echo.NewHTTPError(http.StatusForbidden, "password change required")
			}
		}
		return next(c)
	}
}

// perm is something a route needs. permRoles is the one table that says
// which staff roles hold it; every route's guard reads it, and a test walks
// every route with every role against it.
type perm string

const (
	permSignedIn          perm = "signed_in"          // any active account
	permMember            perm = "member"             // a resident
	permStaff             perm = "staff"              // any staff role: the back office's start page
	permRegistrations     perm = "registrations"      // confirm or reject registrations (personal data)
	permMembers           perm = "members"            // search and open members' personal data
	permMemberAdmin       perm = "member_admin"       // correct a member's data, suspend or reinstate, clear failed sign-ins: those who keep members' data
	permGroupAccounts     perm = "group_accounts"     // create group accounts from paper applications
	permMailOutbox        perm = "mail_outbox"        // read outgoing mail (addresses are personal data)
	permPost              perm = "post"               // post on the board: members and groups
	permModerate          perm = "moderate"           // the moderation queue: moderators decide, the ward decides escalations
	permEventCorrect      perm = "event_correct"      // correct a published event at once, with a reason on record (緊急時の変更): moderators
	permBoardAdmin        perm = "board_admin"        // board categories and the pre-check dictionary
	permOrganise          perm = "organise"           // an event's participant list (personal data): its group, or the ward's and operator's staff
	permAuditLog          perm = "audit_log"          // review the audit log: the ward checks the operator
	permStaffAccounts     perm = "staff_accounts"     // change staff roles: the ward decides who may see personal data
	permUnlockSignIn      perm = "unlock_signin"      // clear an account's failed sign-ins when its owner calls
	permApprove           perm = "approve"            // the approver's queue: decide submitted pages, end live ones (db checks division and site)
	permAuthor            perm = "author"             // write pages: which pages, their division, site and kind say (db.CanAuthor)
	permDisaster          perm = "disaster"           // disaster mode's switch: site managers see it, those of the official site use it (db.ManagesOfficialSite)
	permPages             perm = "pages"              // write and follow pages (/staff/pages); divisions and sites say which (db.CanAuthor)
	permDivisions         perm = "divisions"          // divisions and which staff belong to them: the ward keeps its organisation
	permSites             perm = "sites"              // the list of sites and one site's page: the publishing roles
	permSiteApply         perm = "site_apply"         // apply for a sub-site for one's division (第5条)
	permSiteManage        perm = "site_manage"        // decide applications, run a site: db checks which site
	permLinkRequest       perm = "link_request"       // see and make outbound link requests (第16条3項)
	permLinkDecide        perm = "link_decide"        // approve or refuse link requests: the site manager (運用責任者)
	permConsents          perm = "consents"           // consent records of 第14条 (they name people): editors and approvers; db checks the page's division
	permInquiries         perm = "inquiries"          // residents' inquiries to a division (personal data): the division's ward staff (db checks staff_divisions)
	permGroup             perm = "group"              // a group's own profile and inquiry inbox: group accounts only (db checks which group)
	permNewsletter        perm = "newsletter"         // compose, test and schedule newsletter issues (db checks the author's division)
	permNewsletterLists   perm = "newsletter_lists"   // the newsletter's lists: the ward keeps them
	permNewsletterApprove perm = "newsletter_approve" // approve a large issue: an approver of its division (db checks)
)

// permRoles lists, in order of preference, the staff roles holding each
// permission; the first one a user has is the role recorded in the audit log.
// The system administrator operates the server and holds no permission that
// shows personal data.
var permRoles = map[perm][]string{
	permStaff:             db.StaffRoles,
	permRegistrations:     {db.RoleWardStaff, db.RoleModerator},
	permMembers:           {db.RoleWardStaff, db.RoleModerator},
	permMemberAdmin:       {db.RoleWardStaff, db.RoleModerator},
	permGroupAccounts:     {db.RoleWardStaff},
	permMailOutbox:        {db.RoleWardStaff},
	permModerate:          {db.RoleModerator, db.RoleWardStaff},
	permEventCorrect:      {db.RoleModerator},
	permBoardAdmin:        {db.RoleModerator, db.RoleWardStaff},
	permOrganise:          {db.RoleWardStaff, db.RoleModerator},
	permAuditLog:          {db.RoleWardStaff},
	permStaffAccounts:     {db.RoleWardStaff},
	permUnlockSignIn:      {db.RoleWardStaff},
	permApprove:           {db.RoleApprover},
	permAuthor:            {db.RoleEditor, db.RoleModerator},
	permDisaster:          {db.RoleSiteManager},
	permPages:             {db.RoleEditor, db.RoleApprover, db.RoleSiteManager, db.RoleModerator},
	permDivisions:         {db.RoleWardStaff},
	permSites:             {db.RoleSiteManager, db.RoleEditor, db.RoleApprover},
	permSiteApply:         {db.RoleSiteManager, db.RoleEditor},
	permSiteManage:        {db.RoleSiteManager},
	permLinkRequest:       {db.RoleEditor, db.RoleSiteManager},
	permLinkDecide:        {db.RoleSiteManager},
	permConsents:          {db.RoleEditor, db.RoleApprover},
	permInquiries:         {db.RoleWardStaff, db.RoleEditor, db.RoleApprover, db.RoleSiteManager},
	permNewsletter:        {db.RoleWardStaff, db.RoleEditor, db.RoleApprover},
	permNewsletterLists:   {db.RoleWardStaff},
	permNewsletterApprove: {db.RoleApprover},
}

// roleFor returns the role through which acc holds p, or "".
func roleFor(acc *db.Account, p perm) string {
	if acc == nil {
		return ""
	}
	switch p {
	case permSignedIn:
		return acc.Kind
	case permMember:
		if acc.Kind == db.KindMember {
			return db.KindMember
		}
		return ""
	case permPost:
		if acc.Kind == db.KindMember || acc.Kind == db.KindGroup {
			return acc.Kind
		}
		return ""
	case permOrganise:
		if acc.Kind == db.KindGroup {
			return db.KindGroup
		}
	case permGroup:
		if acc.Kind == db.KindGroup {
			return db.KindGroup
		}
		return ""
	}
	if acc.Kind != db.KindStaff {
		return ""
	}
	for _, r := range permRoles[p] {
		if acc.HasRole(r) {
			return r
		}
	}
	return ""
}

// require guards a route: visitors are sent to sign in, accounts without the
// permission get 403.
func (a *App) require(p perm) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u := currentUser(c)
			if u == nil {
				// A page is sent to sign in; a tap inside a page (htmx) or a
				// form sent after the session ended is told so where it is.
				if c.Request().Method == http.MethodGet && !htmx.IsPartial(c.Request()) {
					return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
				}
				return fmt.Errorf("permission %s: %w", p, errSignedOut)
			}
			role := roleFor(u, p)
			if role == "" {
				return echo.NewHTTPError(http.StatusForbidden, "permission "+string(p))
			}
			c.Set(roleKey, role)
			return next(c)
		}
	}
}

func actingRole(c echo.Context) string {
	r, _ := c.Get(roleKey).(string)
	return r
}

// staffLinks is the back-office menu of a staff account: only what it may open.
func staffLinks(u *db.Account) []components.StaffLink {
	all := []struct {
		p    perm
		link components.StaffLink
	}{
		{permPages, components.StaffLink{Href: "/staff/pages", Key: "pages.title"}},
		{permRegistrations, components.StaffLink{Href: "/staff/registrations", Key: "registrations.title"}},
		{permMembers, components.StaffLink{Href: "/staff/members", Key: "members.title"}},
		{permGroupAccounts, components.StaffLink{Href: "/staff/groups", Key: "groups_admin.title"}},
		{permMailOutbox, components.StaffLink{Href: "/staff/mail", Key: "mail.title"}},
		{permModerate, components.StaffLink{Href: "/moderation", Key: "moderation.title"}},
		{permApprove, components.StaffLink{Href: "/staff/approvals", Key: "approvals.title"}},
		{permLinkRequest, components.StaffLink{Href: "/staff/links", Key: "links.title"}},
		{permInquiries, components.StaffLink{Href: "/staff/inquiries", Key: "inquiries.title"}},
		{permNewsletter, components.StaffLink{Href: "/staff/newsletter", Key: "newsletter.staff_title"}},
		{permBoardAdmin, components.StaffLink{Href: "/staff/board", Key: "board_admin.title"}},
		{permAuditLog, components.StaffLink{Href: "/staff/audit", Key: "audit.title"}},
		{permStaffAccounts, components.StaffLink{Href: "/staff/accounts", Key: "staff_accounts.title"}},
		{permDisaster, components.StaffLink{Href: "/staff/disaster", Key: "disaster.title"}},
		{permDivisions, components.StaffLink{Href: "/staff/divisions", Key: "divisions.title"}},
		{permSites, components.StaffLink{Href: "/staff/sites", Key: "sites.title"}},
	}
	var out []components.StaffLink
	for _, l := range all {
		if roleFor(u, l.p) != "" {
			out = append(out, l.link)
		}
	}
	return out
}
