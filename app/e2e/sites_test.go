package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestSitePages checks the pages of sub-sites at 360 px with axe, reflow
// and console checks: the list of sites with an application waiting (as
// the official site's manager, who decides it), one site's settings (and
// the settings refused), the divisions as ward staff, and a sub-site's home
// and page as a visitor.
func TestSitePages(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	h := passwordHash(t)
	ctx := context.Background()
	ward := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "ward-sites", Name: "区 一郎", Roles: []string{db.RoleWardStaff}, PasswordHash: h})
	mgr := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "pr-sites", Name: "広報 花子",
		Roles: []string{db.RoleSiteManager, db.RoleEditor, db.RoleApprover}, PasswordHash: h})
	act := db.Actor{Account: mgr, Role: db.RoleSiteManager}
	div := &db.Division{Code: "kurashi", Name: "くらし推進課", Contact: "区役所3階 くらし推進係\n電話 03-0000-0001（平日8時30分〜17時）"}
	if err := env.DB.CreateDivision(ctx, act, div); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.SetStaffDivisions(ctx, act, mgr.ID, []int64{div.ID}); err != nil {
		t.Fatal(err)
	}
	official, err := env.DB.OfficialSite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.DB.AddSiteStaff(ctx, act, official.ID, mgr.ID); err != nil {
		t.Fatal(err)
	}
	site, err := env.DB.ApplySite(ctx, act, db.SiteApplication{Slug: "kurashi", Name: "くらしのガイド", Purpose: "ごみ・リサイクルの案内", DivisionID: div.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.DB.DecideSite(ctx, db.SiteDecision{SiteID: site.ID, Approve: true, Actor: act, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.ApplySite(ctx, act, db.SiteApplication{Slug: "kosodate", Name: "子育て応援サイト",
		Purpose: "子育て支援の窓口と手当を、保護者向けにまとめて案内するため。", DivisionID: div.ID}); err != nil {
		t.Fatal(err)
	}
	var pages []int64
	for _, p := range []struct{ title, body string }{
		{"粗大ごみの出し方", "## 申し込み\n\n粗大ごみは**事前の申し込み**が必要です。\n\n- 電話\n- インターネット"},
		{"資源回収の日程", "毎週水曜日に回収します。"},
	} {
		now := time.Now()
		page, _, err := env.DB.CreatePage(ctx, act, db.NewPage{SiteID: site.ID, DivisionID: div.ID, Kind: db.PageGeneral,
			PageContent: db.PageContent{Title: p.title, Body: p.body, PublishAt: now}})
		if err != nil {
			t.Fatal(err)
		}
		step := db.Transition{PageID: page.ID, Actor: act, Now: now}
		if err := env.DB.SubmitPage(ctx, step, nil); err != nil {
			t.Fatal(err)
		}
		step.Override = "テストのため即日公開"
		if err := env.DB.ApprovePage(ctx, step); err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page.ID)
	}
	if err := env.DB.UpdateSiteSettings(ctx, act, site.ID, db.SiteSettings{Name: site.Name, LeadDays: 2,
		Nav: []db.NavLink{{Label: "粗大ごみ", PageID: pages[0]}, {Label: "イベント", Path: "/events"}}}); err != nil {
		t.Fatal(err)
	}

	visitor := NewTab(t, browser)
	home := CheckPage(t, visitor, env.URL+"/s/kurashi", WantLang("ja"))
	if home.H1 != "くらしのガイド" {
		t.Errorf("the sub-site's home is headed %q", home.H1)
	}
	if n := Eval[int](t, visitor, `document.querySelectorAll('main .list > li').length`); n != 2 {
		t.Errorf("the home lists %d pages, want 2", n)
	}
	CheckPage(t, visitor, env.URL+"/s/kurashi/pages/"+itoa(pages[0]))
	if n := Eval[int](t, visitor, `document.querySelectorAll('main .page-body strong, main .page-body li').length`); n != 3 {
		t.Errorf("the page body shows %d of its emphasis and list items, want 3", n)
	}
	if cur := Eval[string](t, visitor, `(document.querySelector('nav.subsite-nav a[aria-current="page"]') || {}).textContent || ''`); cur != "粗大ごみ" {
		t.Errorf("the site menu marks %q as the current page", cur)
	}

	mgrTab := NewTab(t, browser)
	signIn(t, mgrTab, env.URL, mgr.LoginID, seed.Password, "/staff/sites", "/staff/sites")
	CheckPage(t, mgrTab, env.URL+"/staff/sites")
	if n := Eval[int](t, mgrTab, `document.querySelectorAll('main button[name="decision"]').length`); n != 2 {
		t.Errorf("the official manager sees %d decision buttons, want approve and refuse", n)
	}
	CheckPage(t, mgrTab, env.URL+"/staff/sites/"+itoa(site.ID))
	fill(t, mgrTab, map[string]string{"lead_days": "31"})
	ResetConsole(mgrTab)
	res, err := chromedp.RunResponse(mgrTab, chromedp.Tap(chromedp.CSS(`main form[action$="/settings"] button[type="submit"]`)))
	if err != nil || res.Status != 422 {
		t.Fatalf("saving 31 days: %v %v", res, err)
	}
	checkConsoleAllowing(t, mgrTab, 422)
	if v := Eval[string](t, mgrTab, `document.getElementById('f-lead_days').value`); v != "31" {
		t.Errorf("the refused lead time shows %q", v)
	}
	if n := Eval[int](t, mgrTab, `document.querySelectorAll('#error-summary a[href="#f-lead_days"]').length`); n != 1 {
		t.Error("the error summary does not lead to the lead time")
	}
	Axe(t, mgrTab)
	CheckReflow(t, mgrTab, ReflowWidth)

	wardTab := NewTab(t, browser)
	signIn(t, wardTab, env.URL, ward.LoginID, seed.Password, "/staff/divisions", "/staff/divisions")
	CheckPage(t, wardTab, env.URL+"/staff/divisions")
	CheckPage(t, wardTab, env.URL+"/staff/divisions/accounts/"+itoa(mgr.ID))
}
