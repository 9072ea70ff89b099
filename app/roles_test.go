package app

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/wardportal/portal/db"
)

// access says who may use a route: "public" (anyone), or the permission it needs.
var routeAccess = map[string]perm{
	"GET /":                              "public",
	"POST /lang":                         "public",
	"GET /leave":                         "public",
	"GET /notices":                       "public",
	"GET /notices/:id":                   "public",
	"GET /subsidies":                     "public",
	"GET /subsidies/:id":                 "public",
	"GET /articles":                      "public",
	"GET /articles/:id":                  "public",
	"GET /groups":                        "public",
	"GET /groups/:id":                    "public",
	"GET /events":                        "public",
	"GET /events/:id":                    "public",
	"GET /events/:id/live":               "public",
	"GET /events/new":                    permOrganise,
	"POST /events/new":                   permOrganise,
	"GET /account/organised":             permOrganise,
	"GET /events/:id/edit":               permOrganise,
	"POST /events/:id/edit":              permOrganise,
	"GET /events.ics":                    "public",
	"GET /calendar/:token":               "public",
	"GET /board":                         "public",
	"GET /board/:id":                     "public",
	"GET /board/live":                    "public",
	"GET /board/new":                     permPost,
	"POST /board":                        permPost,
	"POST /board/:id/replies":            permPost,
	"GET /board/posts/:id/edit":          permPost,
	"POST /board/posts/:id":              permPost,
	"POST /board/posts/:id/withdraw":     permPost,
	"GET /board/posts/:id/report":        permPost,
	"POST /board/posts/:id/report":       permPost,
	"GET /account/posts":                 permPost,
	"GET /moderation":                    permModerate,
	"GET /moderation/live":               permModerate,
	"POST /moderation/items/:id":         permModerate,
	"GET /staff/board":                   permBoardAdmin,
	"POST /staff/board/categories":       permBoardAdmin,
	"POST /staff/board/words":            permBoardAdmin,
	"POST /staff/board/words/:id/delete": permBoardAdmin,
	"GET /facilities":                    "public",
	"GET /register":                      "public",
	"POST /register":                     "public",
	"GET /login":                         "public",
	"POST /login":                        "public",
	"POST /logout":                       "public",
	"GET /password/forgot":               "public",
	"POST /password/forgot":              "public",
	"GET /password/reset/:token":         "public",
	"POST /password/reset/:token":        "public",
	"GET /healthz":                       "public",
	"GET /readyz":                        "public",
	"GET /static/*":                      "public",
	"HEAD /static/*":                     "public",
	"GET /account":                       permSignedIn,
	"GET /account/password":              permSignedIn,
	"POST /account/password":             permSignedIn,
	"GET /account/history":               permSignedIn,
	"GET /account/profile":               permMember,
	"POST /account/profile":              permMember,
	"GET /account/events":                permMember,
	"POST /events/:id/signup":            permMember,
	"POST /events/:id/cancel":            permMember,
	"GET /events/:id/participants":       permOrganise,
	"GET /events/:id/participants.csv":   permOrganise,
	"POST /events/:id/manage":            permOrganise,
	"GET /account/withdraw":              permMember,
	"POST /account/withdraw":             permMember,
	"GET /account/calendar":              permMember,
	"POST /account/calendar":             permMember,
	"POST /account/calendar/revoke":      permMember,
	"GET /account/data":                  permMember,
	"GET /staff":                         permStaff,
	"GET /staff/registrations":           permRegistrations,
	"POST /staff/registrations/:id":      permRegistrations,
	"GET /staff/members":                 permMembers,
	"GET /staff/members/:id":             permMembers,
	"GET /staff/members/export":          permMembers,
	"POST /staff/members/export":         permMembers,
	"GET /staff/members/exports/:token":  permMembers,
	"GET /staff/groups":                  permGroupAccounts,
	"POST /staff/groups":                 permGroupAccounts,
	"GET /staff/mail":                    permMailOutbox,
	"GET /staff/audit":                   permAuditLog,
	"GET /staff/accounts":                permStaffAccounts,
	"POST /staff/accounts/:id/roles":     permStaffAccounts,
	"POST /staff/accounts/:id/unlock":    permUnlockSignIn,
	"POST /staff/audit/export":           permAuditLog,
	"GET /staff/mail/:id":                permMailOutbox,
}

// personalData lists the permissions whose screens show members' personal data.
var personalData = map[perm]bool{permRegistrations: true, permMembers: true, permMailOutbox: true, permOrganise: true, permAuditLog: true}

// TestRoleMatrix walks every registered route with every kind of account
// and checks the guard lets in exactly who the table says. A new route that
// is not in the table fails this test, so nobody adds a screen unguarded.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	type who struct {
		name  string
		login func() *testEnv
		acc   *db.Account
	}
	var people []who
	people = append(people, who{name: "visitor", login: func() *testEnv { return e.client() }})
	for _, role := range db.StaffRoles {
		c := e.client()
		acc := c.staffAccount("role-"+role, role)
		c.signIn(acc.LoginID, "staff-password-1").wantStatus(t, http.StatusSeeOther)
		people = append(people, who{name: role, login: func() *testEnv { return c }, acc: acc})
	}
	member := e.client()
	macc := member.staffAccount("member-as-staff", db.RoleModerator)
	// Turn it into an active member with a profile.
	if _, err := e.db.Bun.NewUpdate().Model(macc).Set("kind = 'member', roles = '{}'").WherePK().Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	macc.Kind, macc.Roles = db.KindMember, nil
	if _, err := e.db.Bun.NewInsert().Model(&db.MemberProfile{AccountID: macc.ID, Name: "試験 太郎", NameKana: "シケン タロウ",
		PostalCode: "160-0004", Town: "四谷", Address: "四谷1-1", Phone: "03-0000-0000", Email: "t@example.jp", TermsVersion: "2026-04"}).Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	member.signIn(macc.LoginID, "staff-password-1").wantStatus(t, http.StatusSeeOther)
	people = append(people, who{name: "member", login: func() *testEnv { return member }, acc: macc})

	var seen []string
	for _, r := range e.app.echo.Routes() {
		key := r.Method + " " + r.Path
		if strings.HasPrefix(r.Path, "/test-") || r.Path == "" || strings.HasSuffix(r.Path, "/*") && r.Path != "/static/*" {
			continue
		}
		if r.Method == "echo_route_not_found" || strings.Contains(r.Method, "route_not_found") {
			continue
		}
		seen = append(seen, key)
		p, ok := routeAccess[key]
		if !ok {
			t.Errorf("route %s is not in the role matrix", key)
			continue
		}
		if p == "public" {
			continue
		}
		path := strings.NewReplacer(":id", "1", ":token", "x").Replace(r.Path)
		for _, w := range people {
			c := w.login()
			want := roleFor(w.acc, p) != ""
			var res *response
			switch {
			case strings.HasSuffix(path, "/live"):
				res = c.peek(path)
			case r.Method == http.MethodGet:
				res = c.get(path)
			default:
				res = c.post(path, url.Values{"_csrf": {c.token()}})
			}
			denied := res.StatusCode == http.StatusForbidden ||
				(res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login"))
			if want == denied {
				t.Errorf("%s as %s: status %d (allowed=%v)", key, w.name, res.StatusCode, want)
			}
			if w.name == db.RoleSystemAdmin && personalData[p] && !denied {
				t.Errorf("system admin opened personal-data screen %s", key)
			}
		}
	}
	sort.Strings(seen)
	for key := range routeAccess {
		i := sort.SearchStrings(seen, key)
		if i == len(seen) || seen[i] != key {
			t.Errorf("matrix lists %s, which is not a route", key)
		}
	}
}
