package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestLinkRequestsPage: a site manager at 360 px opens the link requests,
// sends the request form empty without JavaScript (422, errors beside the
// fields), and sees a waiting request's decision form; zero axe violations
// throughout.
func TestLinkRequestsPage(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	mgr := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "e2e-links", Name: "管理 三郎", Roles: []string{db.RoleSiteManager}, PasswordHash: passwordHash(t)})
	if err := env.DB.RequestLink(context.Background(), db.Actor{Account: mgr, Role: db.RoleSiteManager}, &db.LinkRequest{
		SiteName: "中野区観光協会", URL: "https://kanko.example/", Content: "区内の観光案内", Administrator: "会長 一郎",
		Reason: "区民の利便性のため", StartDate: time.Now(), Contact: "03-0000-0000",
		NoneAdult: true, NoneCrime: true, NoneDefame: true, NonePolitical: true, NoneElection: true, NoneMalware: true}); err != nil {
		t.Fatal(err)
	}
	tab := NewTab(t, browser)
	signIn(t, tab, env.URL, mgr.LoginID, seed.Password, "/staff/links", "/staff/links")
	CheckPage(t, tab, env.URL+"/staff/links")
	if n := Eval[int](t, tab, `document.querySelectorAll('main button[value="approve"]').length`); n != 1 {
		t.Errorf("%d approve buttons, want 1", n)
	}
	ResetConsole(tab)
	res, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(`form[action="/staff/links"] button[type="submit"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusUnprocessableEntity {
		t.Errorf("an empty request: status %d, want 422", res.Status)
	}
	if n := Eval[int](t, tab, `document.querySelectorAll('.error-summary li').length`); n != 8 {
		t.Errorf("the error summary lists %d problems, want 8", n)
	}
	Axe(t, tab)
	CheckReflow(t, tab, ReflowWidth)
	checkConsoleAllowing(t, tab, http.StatusUnprocessableEntity)
}
