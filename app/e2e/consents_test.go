package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestConsentRecordsPage: an editor at 360 px opens the consent records of
// the division, sends the form with no name and no purpose without
// JavaScript (422, errors beside the fields), and opens a record; zero axe
// violations throughout.
func TestConsentRecordsPage(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	ctx := context.Background()
	ed := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "e2e-consents", Name: "編集 花子", Roles: []string{db.RoleEditor}, PasswordHash: passwordHash(t)})
	act := db.Actor{Account: ed, Role: db.RoleEditor}
	dv := &db.Division{Code: "e2e-consent", Name: "区民活動推進課"}
	if err := env.DB.CreateDivision(ctx, act, dv); err != nil {
		t.Fatal(err)
	}
	site, err := env.DB.OfficialSite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.DB.SetStaffDivisions(ctx, act, ed.ID, []int64{dv.ID}); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.AddSiteStaff(ctx, act, site.ID, ed.ID); err != nil {
		t.Fatal(err)
	}
	p, _, err := env.DB.CreatePage(ctx, act, db.NewPage{SiteID: site.ID, DivisionID: dv.ID, Kind: db.PageNotice,
		PageContent: db.PageContent{Title: "区民表彰の受賞者", Body: "受賞者を紹介します。", PublishAt: time.Now().Add(72 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := env.DB.CreateConsent(ctx, act, db.NewConsent{PageID: p.ID, SubjectName: "中野 太郎", Purpose: "受賞者の紹介",
		Content: "氏名・所属団体", StartDate: time.Now(), EndDate: time.Now().AddDate(0, 3, 0), Method: db.ConsentWritten})
	if err != nil {
		t.Fatal(err)
	}
	tab := NewTab(t, browser)
	list := fmt.Sprintf("/staff/consents?page=%d", p.ID)
	signIn(t, tab, env.URL, ed.LoginID, seed.Password, list, "/staff/consents")
	CheckPage(t, tab, env.URL+list)
	ResetConsole(tab)
	res, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(`form[action="/staff/consents"] button[type="submit"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusUnprocessableEntity {
		t.Errorf("an empty record: status %d, want 422", res.Status)
	}
	// Page chosen; name, purpose, content, both dates and the method missing.
	if n := Eval[int](t, tab, `document.querySelectorAll('.error-summary li').length`); n != 6 {
		t.Errorf("the error summary lists %d problems, want 6", n)
	}
	Axe(t, tab)
	CheckReflow(t, tab, ReflowWidth)
	checkConsoleAllowing(t, tab, http.StatusUnprocessableEntity)
	CheckPage(t, tab, fmt.Sprintf("%s/staff/consents/%d", env.URL, rec.ID))
}
