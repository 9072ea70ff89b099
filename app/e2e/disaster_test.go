package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestDisasterMode opens the disaster-mode pages on a phone: the light home
// page of urgent notices and the banner on the other pages as a visitor,
// then the switch as the official site's manager, who turns it off.
func TestDisasterMode(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := Start(t)
	ctx := context.Background()
	ja := jaCatalog(t)

	// The official site's manager (also an approver of the division) and an
	// editor; three urgent notices and an ordinary one, published through
	// the workflow with the manager's recorded override.
	h := passwordHash(t)
	site, err := env.DB.OfficialSite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	manager := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "e2e-manager", Name: "サイト 管理者", Roles: []string{db.RoleSiteManager}, PasswordHash: h})
	if _, err := env.DB.Bun.NewUpdate().Model(manager).Set("roles = ?", pgdialect.Array([]string{db.RoleApprover, db.RoleSiteManager})).
		WherePK().Returning("*").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	editor := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "e2e-editor", Name: "編集 担当", Roles: []string{db.RoleEditor}, PasswordHash: h})
	act := db.Actor{Account: manager, Role: db.RoleSiteManager}
	div := &db.Division{Code: "e2e-bousai", Name: "防災課"}
	if err := env.DB.CreateDivision(ctx, act, div); err != nil {
		t.Fatal(err)
	}
	for _, acc := range []*db.Account{manager, editor} {
		if err := env.DB.SetStaffDivisions(ctx, act, acc.ID, []int64{div.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.DB.AddSiteStaff(ctx, act, site.ID, manager.ID, editor.ID); err != nil {
		t.Fatal(err)
	}
	publish := func(title, body string, urgent bool) {
		t.Helper()
		now := time.Now()
		p, _, err := env.DB.CreatePage(ctx, db.Actor{Account: editor}, db.NewPage{SiteID: site.ID, DivisionID: div.ID, Kind: db.PageNotice,
			PageContent: db.PageContent{Title: title, Body: body, Fields: db.PageFields{Urgent: urgent}, PublishAt: now.Add(-time.Minute)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.SubmitPage(ctx, db.Transition{PageID: p.ID, Actor: db.Actor{Account: editor}, Now: now}, nil); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ApprovePage(ctx, db.Transition{PageID: p.ID, Actor: act, Now: now, Override: "災害対応"}); err != nil {
			t.Fatal(err)
		}
	}
	body := "区内に避難指示が出ています。\n\n## 開設した避難所\n\n- 四谷小学校\n- 新宿中学校\n\n![地図](/files/1/map.png)\n\n" +
		"|場所|状況|\n|---|---|\n|四谷小学校|受け入れ中|\n\n[避難所の一覧](/facilities)をご覧ください。"
	publish("避難所を開設しました", body, true)
	publish("粗大ごみの受付日変更", "年末年始は休みます。", false)
	publish("給水所のご案内", body, true)
	publish("停電の見通し", body, true)

	// Switched on in the database, as another instance would: this one
	// learns of it from the live stream.
	if _, err := env.DB.SetDisasterMode(ctx, act, true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for env.Get(t, "/notices", http.StatusOK).Find(".disaster-banner").Length() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the portal did not learn of disaster mode within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}

	tab := NewTab(t, browser)
	t.Run("light home page", func(t *testing.T) {
		p := CheckPage(t, tab, env.URL+"/", WantLang("ja"))
		if p.H1 != ja("disaster.home_title") {
			t.Errorf("h1 %q", p.H1)
		}
		titles := Eval[[]string](t, tab, `Array.from(document.querySelectorAll('article.urgent > h2')).map(h => h.textContent.trim())`)
		if strings.Join(titles, "|") != "停電の見通し|給水所のご案内|避難所を開設しました" {
			t.Errorf("urgent notices %q", titles)
		}
		if n := Eval[int](t, tab, `document.images.length + document.scripts.length`); n != 0 {
			t.Errorf("%d images or scripts on the light page", n)
		}
		CheckPage(t, tab, env.URL+"/?lang=en", WantLang("en"))
		CheckPage(t, tab, env.URL+"/?lang=ja", WantLang("ja"))
	})
	t.Run("banner on every other page", func(t *testing.T) {
		for _, path := range []string{"/notices", "/facilities", "/events"} {
			CheckPage(t, tab, env.URL+path)
			if got := Eval[string](t, tab, `(document.querySelector('.disaster-banner a[href="/"]') || {}).textContent || ''`); got != ja("disaster.banner") {
				t.Errorf("%s: banner %q", path, got)
			}
		}
		// The banner leads to the urgent notices.
		if _, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(`.disaster-banner a`))); err != nil {
			t.Fatal(err)
		}
		if p := Eval[string](t, tab, `location.pathname`); p != "/" || Eval[int](t, tab, `document.querySelectorAll('article.urgent').length`) != 3 {
			t.Errorf("the banner led to %s", p)
		}
	})
	t.Run("the manager switches it off", func(t *testing.T) {
		signIn(t, tab, env.URL, manager.LoginID, seed.Password, "/staff/disaster", "/staff/disaster")
		CheckPage(t, tab, env.URL+"/staff/disaster")
		if _, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(`main button[name="mode"][value="off"]`))); err != nil {
			t.Fatal(err)
		}
		if u := Eval[string](t, tab, `location.pathname + location.search`); u != "/staff/disaster?mode=off" {
			t.Fatalf("the big button led to %s, want the confirmation", u)
		}
		CheckPage(t, tab, env.URL+"/staff/disaster?mode=off")
		if _, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(`main form[method="post"] button[type="submit"]`))); err != nil {
			t.Fatal(err)
		}
		if f := flashText(t, tab); f != ja("disaster.switched_off") {
			t.Errorf("flash %q after switching off", f)
		}
		Navigate(t, tab, env.URL+"/")
		if n := Eval[int](t, tab, `document.querySelectorAll('.disaster-banner, article.urgent').length`); n != 0 {
			t.Error("disaster mode shows after switching off")
		}
	})
}
