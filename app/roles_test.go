package app

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// matrixColumns are the people the role matrix is written for, in the order
// of its columns: a signed-out visitor, a resident, a group's account and one
// staff account per staff role.
var matrixColumns = []string{"visitor", db.KindMember, db.KindGroup,
	db.RoleModerator, db.RoleWardStaff, db.RoleEditor, db.RoleApprover, db.RoleSiteManager, db.RoleSystemAdmin}

// roleMatrix is the access policy written out, route by route: what each
// person of matrixColumns gets. "ok" means the route's guard lets the request
// through (the handler may still answer 404 for a made-up id), "403" that it
// refuses, "login" that it sends the browser to sign in. It is deliberately
// not computed from permRoles: a wrong entry there must show up here as a
// difference, and a change of policy is a change of this table too. The
// columns, abbreviated: visitor, member, group, moderator, ward_staff, editor,
// approver, site_manager, system_admin.
var roleMatrix = map[string]string{
	//                                     vis   mem   grp   mod   ward  edit  appr  site  sysad
	"GET /healthz":                             "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /readyz":                              "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /static/*":                            "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"HEAD /static/*":                           "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /events.ics":                          "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /calendar/:token":                     "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /":                                    "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"POST /lang":                               "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /leave":                               "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /notices":                             "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /notices/:id":                         "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /subsidies":                           "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /subsidies/:id":                       "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /articles":                            "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /articles/:id":                        "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /groups":                              "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /groups/:id":                          "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /groups/:id/images/:image":            "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /group/profile":                       "login 403   ok    403   403   403   403   403   403",
	"POST /group/profile":                      "403   403   ok    403   403   403   403   403   403",
	"POST /group/profile/images":               "403   403   ok    403   403   403   403   403   403",
	"GET /group/inquiries":                     "login 403   ok    403   403   403   403   403   403",
	"GET /group/inquiries/:id":                 "login 403   ok    403   403   403   403   403   403",
	"POST /group/inquiries/:id/note":           "403   403   ok    403   403   403   403   403   403",
	"POST /group/inquiries/:id/answer":         "403   403   ok    403   403   403   403   403   403",
	"POST /group/inquiries/:id/close":          "403   403   ok    403   403   403   403   403   403",
	"GET /events":                              "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /events/:id":                          "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /events/new":                          "login 403   ok    ok    ok    403   403   403   403",
	"POST /events/new":                         "403   403   ok    ok    ok    403   403   403   403",
	"GET /account/organised":                   "login 403   ok    ok    ok    403   403   403   403",
	"GET /events/:id/edit":                     "login 403   ok    ok    ok    403   403   403   403",
	"POST /events/:id/edit":                    "403   403   ok    ok    ok    403   403   403   403",
	"GET /events/:id/live":                     "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /board":                               "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /board/live":                          "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /board/:id":                           "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /facilities":                          "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /register":                            "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"POST /register":                           "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /login":                               "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"POST /login":                              "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"POST /logout":                             "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /password/forgot":                     "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"POST /password/forgot":                    "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /password/reset/:token":               "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"POST /password/reset/:token":              "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /account":                             "login ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /account/password":                    "login ok    ok    ok    ok    ok    ok    ok    ok",
	"POST /account/password":                   "403   ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /account/history":                     "login ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /account/profile":                     "login ok    403   403   403   403   403   403   403",
	"POST /account/profile":                    "403   ok    403   403   403   403   403   403   403",
	"GET /account/events":                      "login ok    403   403   403   403   403   403   403",
	"POST /events/:id/signup":                  "403   ok    403   403   403   403   403   403   403",
	"POST /events/:id/cancel":                  "403   ok    403   403   403   403   403   403   403",
	"GET /events/:id/participants":             "login 403   ok    ok    ok    403   403   403   403",
	"GET /events/:id/participants.csv":         "login 403   ok    ok    ok    403   403   403   403",
	"POST /events/:id/manage":                  "403   403   ok    ok    ok    403   403   403   403",
	"GET /account/withdraw":                    "login ok    403   403   403   403   403   403   403",
	"POST /account/withdraw":                   "403   ok    403   403   403   403   403   403   403",
	"GET /account/calendar":                    "login ok    403   403   403   403   403   403   403",
	"POST /account/calendar":                   "403   ok    403   403   403   403   403   403   403",
	"POST /account/calendar/revoke":            "403   ok    403   403   403   403   403   403   403",
	"GET /account/data":                        "login ok    403   403   403   403   403   403   403",
	"GET /board/new":                           "login ok    ok    403   403   403   403   403   403",
	"POST /board":                              "403   ok    ok    403   403   403   403   403   403",
	"POST /board/:id/replies":                  "403   ok    ok    403   403   403   403   403   403",
	"GET /board/posts/:id/edit":                "login ok    ok    403   403   403   403   403   403",
	"POST /board/posts/:id":                    "403   ok    ok    403   403   403   403   403   403",
	"POST /board/posts/:id/withdraw":           "403   ok    ok    403   403   403   403   403   403",
	"GET /board/posts/:id/report":              "login ok    ok    403   403   403   403   403   403",
	"POST /board/posts/:id/report":             "403   ok    ok    403   403   403   403   403   403",
	"GET /account/posts":                       "login ok    ok    403   403   403   403   403   403",
	"GET /moderation":                          "login 403   403   ok    ok    403   403   403   403",
	"GET /moderation/live":                     "login 403   403   ok    ok    403   403   403   403",
	"POST /moderation/items/:id":               "403   403   403   ok    ok    403   403   403   403",
	"GET /moderation/events/:id/correct":       "login 403   403   ok    403   403   403   403   403",
	"POST /moderation/events/:id/correct":      "403   403   403   ok    403   403   403   403   403",
	"GET /staff":                               "login 403   403   ok    ok    ok    ok    ok    ok",
	"GET /staff/registrations":                 "login 403   403   ok    ok    403   403   403   403",
	"POST /staff/registrations/:id":            "403   403   403   ok    ok    403   403   403   403",
	"GET /staff/members":                       "login 403   403   ok    ok    403   403   403   403",
	"GET /staff/members/:id":                   "login 403   403   ok    ok    403   403   403   403",
	"GET /staff/members/:id/edit":              "login 403   403   ok    ok    403   403   403   403",
	"POST /staff/members/:id/edit":             "403   403   403   ok    ok    403   403   403   403",
	"POST /staff/members/:id/status":           "403   403   403   ok    ok    403   403   403   403",
	"POST /staff/members/:id/unlock":           "403   403   403   ok    ok    403   403   403   403",
	"GET /staff/members/export":                "login 403   403   ok    ok    403   403   403   403",
	"POST /staff/members/export":               "403   403   403   ok    ok    403   403   403   403",
	"GET /staff/members/exports/:token":        "login 403   403   ok    ok    403   403   403   403",
	"GET /staff/groups":                        "login 403   403   403   ok    403   403   403   403",
	"POST /staff/groups":                       "403   403   403   403   ok    403   403   403   403",
	"GET /staff/groups/:id":                    "login 403   403   403   ok    403   403   403   403",
	"POST /staff/groups/:id/password":          "403   403   403   403   ok    403   403   403   403",
	"POST /staff/groups/:id/status":            "403   403   403   403   ok    403   403   403   403",
	"GET /staff/board":                         "login 403   403   ok    ok    403   403   403   403",
	"POST /staff/board/categories":             "403   403   403   ok    ok    403   403   403   403",
	"POST /staff/board/words":                  "403   403   403   ok    ok    403   403   403   403",
	"POST /staff/board/words/:id/delete":       "403   403   403   ok    ok    403   403   403   403",
	"POST /staff/audit/export":                 "403   403   403   403   ok    403   403   403   403",
	"GET /staff/accounts":                      "login 403   403   403   ok    403   403   403   403",
	"POST /staff/accounts":                     "403   403   403   403   ok    403   403   403   403",
	"POST /staff/accounts/:id/status":          "403   403   403   403   ok    403   403   403   403",
	"POST /staff/accounts/:id/roles":           "403   403   403   403   ok    403   403   403   403",
	"POST /staff/accounts/:id/unlock":          "403   403   403   403   ok    403   403   403   403",
	"GET /staff/audit":                         "login 403   403   403   ok    403   403   403   403",
	"GET /staff/mail":                          "login 403   403   403   ok    403   403   403   403",
	"GET /staff/mail/:id":                      "login 403   403   403   ok    403   403   403   403",
	"GET /staff/approvals":                     "login 403   403   403   403   403   ok    403   403",
	"POST /staff/approvals/:id":                "403   403   403   403   403   403   ok    403   403",
	"POST /staff/approvals/:id/end":            "403   403   403   403   403   403   ok    403   403",
	"GET /staff/links":                         "login 403   403   403   403   ok    403   ok    403",
	"POST /staff/links":                        "403   403   403   403   403   ok    403   ok    403",
	"POST /staff/links/:id":                    "403   403   403   403   403   403   403   ok    403",
	"GET /files/:id/:name":                     "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /staff/pages/:id/files":               "login 403   403   ok    403   ok    403   403   403",
	"POST /staff/pages/:id/files":              "403   403   403   ok    403   ok    403   403   403",
	"POST /staff/pages/:id/files/:file/alt":    "403   403   403   ok    403   ok    403   403   403",
	"POST /staff/pages/:id/files/:file/delete": "403   403   403   ok    403   ok    403   403   403",
	"GET /pages/:id":                           "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /topics/:tag":                         "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	// Every site manager sees the switch; only one working on the official
	// site may use it, and the matrix's site manager works on no site.
	"GET /staff/disaster":                "login 403   403   403   403   403   403   ok    403",
	"POST /staff/disaster":               "403   403   403   403   403   403   403   403   403",
	"GET /staff/pages":                   "login 403   403   ok    403   ok    ok    ok    403",
	"GET /staff/pages/new":               "login 403   403   ok    403   ok    ok    ok    403",
	"POST /staff/pages/new":              "403   403   403   ok    403   ok    ok    ok    403",
	"POST /staff/pages/preview":          "403   403   403   ok    403   ok    ok    ok    403",
	"GET /staff/pages/:id":               "login 403   403   ok    403   ok    ok    ok    403",
	"POST /staff/pages/:id":              "403   403   403   ok    403   ok    ok    ok    403",
	"POST /staff/pages/:id/withdraw":     "403   403   403   ok    403   ok    ok    ok    403",
	"GET /staff/pages/:id/diff":          "login 403   403   ok    403   ok    ok    ok    403",
	"GET /s/:site":                       "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /s/:site/pages/:id":             "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /staff/divisions":               "login 403   403   403   ok    403   403   403   403",
	"POST /staff/divisions":              "403   403   403   403   ok    403   403   403   403",
	"GET /staff/divisions/accounts/:id":  "login 403   403   403   ok    403   403   403   403",
	"POST /staff/divisions/accounts/:id": "403   403   403   403   ok    403   403   403   403",
	"GET /staff/sites":                   "login 403   403   403   403   ok    ok    ok    403",
	"POST /staff/sites":                  "403   403   403   403   403   ok    403   ok    403",
	"GET /staff/sites/:id":               "login 403   403   403   403   ok    ok    ok    403",
	// A site manager on no site's staff passes the guard and is refused by
	// the site check (sites_test.go walks managers of one site and another).
	"POST /staff/sites/:id/decision":             "403   403   403   403   403   403   403   403   403",
	"POST /staff/sites/:id/settings":             "403   403   403   403   403   403   403   403   403",
	"POST /staff/sites/:id/staff":                "403   403   403   403   403   403   403   403   403",
	"POST /staff/sites/:id/staff/remove":         "403   403   403   403   403   403   403   403   403",
	"POST /staff/sites/:id/close":                "403   403   403   403   403   403   403   403   403",
	"GET /inquiry":                               "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"POST /inquiry":                              "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /staff/inquiries":                       "login 403   403   403   ok    ok    ok    ok    403",
	"GET /staff/inquiries/:id":                   "login 403   403   403   ok    ok    ok    ok    403",
	"GET /staff/inquiries/templates":             "login 403   403   403   ok    ok    ok    ok    403",
	"POST /staff/inquiries/templates":            "403   403   403   403   ok    ok    ok    ok    403",
	"POST /staff/inquiries/templates/:id/delete": "403   403   403   403   ok    ok    ok    ok    403",
	"POST /staff/inquiries/:id/assign":           "403   403   403   403   ok    ok    ok    ok    403",
	"POST /staff/inquiries/:id/note":             "403   403   403   403   ok    ok    ok    ok    403",
	"POST /staff/inquiries/:id/answer":           "403   403   403   403   ok    ok    ok    ok    403",
	"POST /staff/inquiries/:id/close":            "403   403   403   403   ok    ok    ok    ok    403",
	"GET /staff/consents":                        "login 403   403   403   403   ok    ok    403   403",
	"POST /staff/consents":                       "403   403   403   403   403   ok    ok    403   403",
	"GET /staff/consents/export":                 "login 403   403   403   403   ok    ok    403   403",
	"GET /staff/consents/:id":                    "login 403   403   403   403   ok    ok    403   403",
	"GET /newsletter":                            "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"POST /newsletter":                           "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /newsletter/confirm/:token":             "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"POST /newsletter/confirm/:token":            "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"GET /newsletter/unsubscribe/:token":         "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"POST /newsletter/unsubscribe/:token":        "ok    ok    ok    ok    ok    ok    ok    ok    ok",
	"POST /account/newsletter":                   "403   ok    403   403   403   403   403   403   403",
	"GET /staff/newsletter":                      "login 403   403   403   ok    ok    ok    403   403",
	"GET /staff/newsletter/new":                  "login 403   403   403   ok    ok    ok    403   403",
	"POST /staff/newsletter/new":                 "403   403   403   403   ok    ok    ok    403   403",
	"GET /staff/newsletter/lists":                "login 403   403   403   ok    403   403   403   403",
	"POST /staff/newsletter/lists":               "403   403   403   403   ok    403   403   403   403",
	"GET /staff/newsletter/lists/:id":            "login 403   403   403   ok    403   403   403   403",
	"POST /staff/newsletter/lists/:id":           "403   403   403   403   ok    403   403   403   403",
	"GET /staff/newsletter/:id":                  "login 403   403   403   ok    ok    ok    403   403",
	"POST /staff/newsletter/:id":                 "403   403   403   403   ok    ok    ok    403   403",
	"POST /staff/newsletter/:id/test":            "403   403   403   403   ok    ok    ok    403   403",
	"POST /staff/newsletter/:id/send":            "403   403   403   403   ok    ok    ok    403   403",
	"POST /staff/newsletter/:id/cancel":          "403   403   403   403   ok    ok    ok    403   403",
	"POST /staff/newsletter/:id/approve":         "403   403   403   403   403   403   ok    403   403",
}

// personalDataRoutes show members' personal data. The system administrator
// runs the server and opens none of them (README, "Roles and what they may
// open").
var personalDataRoutes = []string{
	"GET /staff/registrations", "POST /staff/registrations/:id",
	"GET /staff/members", "GET /staff/members/:id", "GET /staff/members/export", "POST /staff/members/export",
	"GET /staff/members/:id/edit", "POST /staff/members/:id/edit", "POST /staff/members/:id/status",
	"GET /staff/members/exports/:token", "GET /staff/mail", "GET /staff/mail/:id",
	"GET /events/:id/participants", "GET /events/:id/participants.csv",
	"GET /staff/audit", "POST /staff/audit/export",
	"GET /staff/inquiries/:id", "GET /group/inquiries/:id",
	"GET /staff/consents", "GET /staff/consents/export", "GET /staff/consents/:id",
}

// guardOutcome names what a response says about the route's guard, in the
// words of roleMatrix.
func guardOutcome(res *response) string {
	switch {
	case res.StatusCode == http.StatusForbidden:
		return "403"
	case res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login"):
		return "login"
	}
	return "ok"
}

// TestRoleMatrix walks every registered route as every person of
// matrixColumns and checks each gets what roleMatrix says. A route missing
// from the matrix fails, so nobody adds a screen unguarded; a matrix row that
// is no route fails too.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	for _, role := range db.StaffRoles {
		if !slices.Contains(matrixColumns, role) {
			t.Fatalf("staff role %s has no column in the role matrix", role)
		}
	}
	sysAdmin := slices.Index(matrixColumns, db.RoleSystemAdmin)
	for key, row := range roleMatrix {
		cells := strings.Fields(row)
		if len(cells) != len(matrixColumns) {
			t.Fatalf("matrix row %s has %d cells, want %d", key, len(cells), len(matrixColumns))
		}
		for _, c := range cells {
			if c != "ok" && c != "403" && c != "login" {
				t.Fatalf("matrix row %s: %q is neither ok, 403 nor login", key, c)
			}
		}
		if slices.Contains(personalDataRoutes, key) && cells[sysAdmin] == "ok" {
			t.Errorf("the matrix lets the system administrator open personal-data screen %s", key)
		}
	}

	e := newTestEnv(t)
	ctx := context.Background()
	people := map[string]*testEnv{"visitor": e.client()}
	for _, role := range db.StaffRoles {
		c := e.client()
		acc := c.staffAccount("role-"+role, role)
		c.signIn(acc.LoginID, "staff-password-1").wantStatus(t, http.StatusSeeOther)
		people[role] = c
	}
	member := e.client()
	member.memberAccount("M9100001", "権限 確認")
	member.signIn("M9100001", "member-password-1").wantStatus(t, http.StatusSeeOther)
	people[db.KindMember] = member
	gacc, _ := e.groupAccount(dbtest.GroupOptions{Login: "G9100001", Name: "権限確認の会"})
	group := e.client()
	group.signIn(gacc.LoginID, "group-password-1").wantStatus(t, http.StatusSeeOther)
	people[db.KindGroup] = group

	var routes []string
	for _, r := range e.app.echo.Routes() {
		if strings.HasPrefix(r.Path, "/test-") || r.Path == "" || strings.HasSuffix(r.Path, "/*") && r.Path != "/static/*" {
			continue
		}
		if strings.Contains(r.Method, "route_not_found") {
			continue
		}
		routes = append(routes, r.Method+" "+r.Path)
	}
	sort.Strings(routes)
	// Signing out ends the session every later request relies on: last.
	routes = append(slices.DeleteFunc(routes, func(k string) bool { return k == "POST /logout" }), "POST /logout")

	for _, key := range routes {
		row, ok := roleMatrix[key]
		if !ok {
			t.Errorf("route %s is not in the role matrix", key)
			continue
		}
		method, path, _ := strings.Cut(key, " ")
		path = strings.NewReplacer(":id", "1", ":token", "x", ":file", "1", ":name", "a.pdf", "*", "css/site.css").Replace(path)
		for i, want := range strings.Fields(row) {
			name := matrixColumns[i]
			c := people[name]
			var res *response
			switch {
			case strings.HasSuffix(path, "/live"):
				res = c.peek(path)
			case method == http.MethodHead:
				req, _ := http.NewRequestWithContext(ctx, http.MethodHead, c.srv.URL+path, nil)
				res = c.do(req)
			case method == http.MethodGet:
				res = c.get(path)
			default:
				res = c.post(path, url.Values{"_csrf": {c.token()}})
			}
			if got := guardOutcome(res); got != want {
				t.Errorf("%s as %s: status %d (%s), want %s", key, name, res.StatusCode, got, want)
			}
		}
	}
	for key := range roleMatrix {
		if !slices.Contains(routes, key) {
			t.Errorf("matrix lists %s, which is not a route", key)
		}
	}
}

// scopeColumns are the staff of TestSubSiteScopeMatrix, facing sub-site B
// and its pages: A's site manager (also editor and approver, of A only),
// A's editor, B's own editor, the official site's manager (who manages
// every site) and B's own site manager, last because what B's manager may
// do changes B for the columns after.
var scopeColumns = []string{"mgrA", "editorA", "editorB", "official", "mgrB"}

// scopeMatrix is the sub-site scoping written out: for each action on
// sub-site B or one of its pages, who gets through ("ok") and who is turned
// away ("no": 403, or 404 where the page is not theirs to know of). Every
// request is valid, so a refusal can only be the scope.
var scopeMatrix = map[string]string{
	//                                      mgrA  edA   edB   offic mgrB
	"GET /staff/sites/B":               "ok   ok    ok    ok    ok",
	"POST /staff/sites/B/settings":     "no   no    no    ok    ok",
	"POST /staff/sites/B/staff":        "no   no    no    ok    ok",
	"POST /staff/sites/B/staff/remove": "no   no    no    ok    ok",
	"GET /staff/pages/draftB":          "no   no    ok    no    ok",
	"GET /staff/pages/draftB/diff":     "no   no    ok    no    ok",
	"POST /staff/pages/draftB":         "no   no    ok    no    ok",
	"GET /staff/pages/draftB/files":    "no   no    ok    no    ok",
	"POST /staff/approvals/submittedB": "no   no    no    no    ok",
	"POST /staff/approvals/liveB/end":  "no   no    no    no    ok",
	"GET /s/kankyo":                    "ok   ok    ok    ok    ok",
	"POST /staff/sites/B/close":        "no   no    no    ok    ok",
}

// TestSubSiteScopeMatrix: a site manager, editor or approver of one
// sub-site cannot touch another's site or pages, whatever their roles;
// the official site's manager manages every site but writes and approves
// no department's pages.
func TestSubSiteScopeMatrix(t *testing.T) {
	t.Parallel()
	e := newSitesEnv(t)
	extra := e.staffAccount("editor-x", db.RoleEditor)
	setup := db.Actor{Account: e.ward, Role: db.RoleWardStaff}
	if err := e.db.SetStaffDivisions(e.ctx, setup, extra.ID, []int64{e.divB.ID}); err != nil {
		t.Fatal(err)
	}
	page := func(title string, submit bool) int64 {
		now := time.Now()
		act := db.Actor{Account: e.editorB, Role: db.RoleEditor}
		p, _, err := e.db.CreatePage(e.ctx, act, db.NewPage{SiteID: e.siteB.ID, DivisionID: e.divB.ID, Kind: db.PageGeneral,
			PageContent: db.PageContent{Title: title, Body: "本文です。", PublishAt: now.Add(96 * time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		if submit {
			if err := e.db.SubmitPage(e.ctx, db.Transition{PageID: p.ID, Actor: act, Now: now}, nil); err != nil {
				t.Fatal(err)
			}
		}
		return p.ID
	}
	draft, submitted := page("Bの下書き", false), page("Bの申請中のページ", true)
	live := publishPage(t, e.db, e.siteB, e.mgrB, "Bの公開中のページ", "本文です。")
	ids := strings.NewReplacer("/B", fmt.Sprintf("/%d", e.siteB.ID), "draftB", fmt.Sprint(draft),
		"submittedB", fmt.Sprint(submitted), "liveB", fmt.Sprint(live))
	forms := map[string]url.Values{
		"POST /staff/sites/B/settings":     {"name": {"環境のサイト"}, "lead_days": {"3"}},
		"POST /staff/sites/B/staff":        {"account": {fmt.Sprint(extra.ID)}},
		"POST /staff/sites/B/staff/remove": {"account": {fmt.Sprint(extra.ID)}},
		"POST /staff/approvals/submittedB": {"action": {form.DecideSendBack}, "comment": {"日付を直してください。"}},
		"POST /staff/approvals/liveB/end":  {"reason": {"掲載終了"}},
		"POST /staff/sites/B/close":        {"reason": {"公式サイトに統合"}},
	}
	// The page's own form, as its editor sees it, with its values.
	editPath := ids.Replace("/staff/pages/draftB")
	for _, f := range readForms(e.as(e.editorB).get(editPath).Doc, editPath, "editorB") {
		if f.method == http.MethodPost && f.action == editPath {
			f.values.Del("_csrf")
			forms["POST /staff/pages/draftB"] = f.values
		}
	}
	if forms["POST /staff/pages/draftB"] == nil {
		t.Fatal("the draft's page has no form to save it")
	}
	people := map[string]*testEnv{"mgrA": e.as(e.mgrA), "editorA": e.as(e.editorA), "editorB": e.as(e.editorB),
		"official": e.as(e.prMgr), "mgrB": e.as(e.mgrB)}
	keys := slices.Sorted(maps.Keys(scopeMatrix))
	// Closing ends the site for every row after it: last.
	keys = append(slices.DeleteFunc(keys, func(k string) bool { return k == "POST /staff/sites/B/close" }), "POST /staff/sites/B/close")
	for _, key := range keys {
		method, path, _ := strings.Cut(key, " ")
		path = ids.Replace(path)
		for i, want := range strings.Fields(scopeMatrix[key]) {
			name := scopeColumns[i]
			c := people[name]
			var res *response
			if method == http.MethodGet {
				res = c.get(path)
			} else {
				v := url.Values{"_csrf": {c.token()}}
				for k, vs := range forms[key] {
					v[k] = vs
				}
				res = c.post(path, v)
			}
			got := "ok"
			switch {
			case res.StatusCode == http.StatusForbidden, res.StatusCode == http.StatusNotFound:
				got = "no"
			case res.StatusCode == http.StatusConflict:
				// Past the scope; an earlier column had already done it
				// (closed the site).
			case res.StatusCode >= 400:
				got = fmt.Sprint(res.StatusCode)
			}
			if got != want {
				t.Errorf("%s as %s: %d (%s), want %s", key, name, res.StatusCode, got, want)
			}
		}
	}
}
