package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestPageEditor writes a page on a 360 px phone with JavaScript (the
// preview follows the typing) and without (the preview button sends the
// form back with everything typed), then opens its history and the diff of
// two revisions: each page with axe, reflow and console checks.
func TestPageEditor(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	h := passwordHash(t)
	ctx := context.Background()
	editor := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "editorE2E", Name: "作成 一郎", Roles: []string{db.RoleEditor}, PasswordHash: h})
	approver := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "approverE2E", Name: "承認 花子", Roles: []string{db.RoleApprover}, PasswordHash: h})
	site, err := env.DB.OfficialSite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	act := db.Actor{Account: editor}
	div := &db.Division{Code: "kosodate", Name: "子育て支援課"}
	if err := env.DB.CreateDivision(ctx, act, div); err != nil {
		t.Fatal(err)
	}
	for _, a := range []*db.Account{editor, approver} {
		if err := env.DB.SetStaffDivisions(ctx, act, a.ID, []int64{div.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.DB.AddSiteStaff(ctx, act, site.ID, editor.ID, approver.ID); err != nil {
		t.Fatal(err)
	}

	// With JavaScript: the list, the form, the preview as one types.
	tab := NewTab(t, browser)
	signIn(t, tab, env.URL, editor.LoginID, seed.Password, "/staff/pages", "/staff/pages")
	CheckPage(t, tab, env.URL+"/staff/pages")
	CheckPage(t, tab, env.URL+"/staff/pages/new?kind=subsidy")
	markPage(t, tab)
	fillIn(t, tab, map[string]string{"title": "子育て応援給付金", "body": "# 申請方法\n\n申請期限は12月28日です"})
	waitText(t, tab, "#page-preview .page-body h2", "申請方法")
	waitText(t, tab, "#page-preview .page-body p", "申請期限は12月28日です")
	if !Eval[bool](t, tab, `window.__e2eMark === true`) {
		t.Error("the preview reloaded the page")
	}
	Axe(t, tab)
	CheckConsole(t, tab)

	// A form without its title comes back at 422 with the message beside
	// the field, and nothing typed is lost.
	fillIn(t, tab, map[string]string{"title": ""})
	ResetConsole(tab)
	res, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(`form.page-form button[value="save"]`)))
	if err != nil || res.Status != 422 {
		t.Fatalf("saving without a title: %v %v", res, err)
	}
	checkFieldError(t, tab, "title", "題名を入力してください。")
	if got := Eval[string](t, tab, `document.getElementById('f-body').value`); got != "# 申請方法\n\n申請期限は12月28日です" {
		t.Errorf("the body typed is lost: %q", got)
	}
	Axe(t, tab)
	CheckReflow(t, tab, ReflowWidth)
	checkConsoleAllowing(t, tab, 422)

	fillIn(t, tab, map[string]string{"title": "子育て応援給付金"})
	res, err = chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(`form.page-form button[value="save"]`)))
	if err != nil || res.Status != 200 || !strings.HasPrefix(Eval[string](t, tab, `location.pathname`), "/staff/pages/") {
		t.Fatalf("saving the page: %v %v", res, err)
	}
	path := Eval[string](t, tab, `location.pathname`)

	// The approver sends it back; the editor writes revision 2.
	var id int64
	if err := env.DB.Bun.NewSelect().Table("pages").Column("id").Scan(ctx, &id); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := env.DB.SubmitPage(ctx, db.Transition{PageID: id, Actor: db.Actor{Account: editor}, Now: now}, nil); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.SendBackPage(ctx, db.Transition{PageID: id, Actor: db.Actor{Account: approver}, Now: now,
		Comment: "期限を1月10日に延ばしてください。"}); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.WithdrawPage(ctx, db.Transition{PageID: id, Actor: db.Actor{Account: editor}, Now: now}); err != nil {
		t.Fatal(err)
	}
	revs, err := env.DB.Revisions(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	c := revs[0].Content()
	c.Body = "# 申請方法\n\n申請期限は1月10日です"
	if _, err := env.DB.SavePage(ctx, db.Transition{PageID: id, Actor: db.Actor{Account: editor}, Now: now}, c); err != nil {
		t.Fatal(err)
	}
	CheckPage(t, tab, env.URL+path)
	if n := Eval[int](t, tab, `document.querySelectorAll('ol.history > li').length`); n < 5 {
		t.Errorf("the history shows %d steps", n)
	}
	CheckPage(t, tab, env.URL+path+"/diff?from=1&to=2")
	type marks struct {
		Ins string `json:"ins"`
		Del string `json:"del"`
	}
	m := Eval[marks](t, tab, `({ins: Array.from(document.querySelectorAll('.diff ins')).map(e => e.textContent).join('|'),
		del: Array.from(document.querySelectorAll('.diff del')).map(e => e.textContent).join('|')})`)
	if m.Ins != "追加:月10" || m.Del != "削除:2月28" {
		t.Errorf("the diff marks inserted %q and deleted %q", m.Ins, m.Del)
	}

	// Without JavaScript: the preview button sends the form back, with the
	// preview and everything typed; saving creates the page.
	plain := NewTab(t, browser)
	signIn(t, plain, env.URL, editor.LoginID, seed.Password, "/staff/pages/new?kind=notice", "/staff/pages/new")
	scripts(t, plain, false)
	Navigate(t, plain, env.URL+"/staff/pages/new?kind=notice")
	scripts(t, plain, true) // DevTools reads the page; the page's own scripts did not run
	fillIn(t, plain, map[string]string{"title": "保育園の入園申込", "body": "- 受付：区役所2階\n- 期限：1月10日"})
	scripts(t, plain, false)
	res, err = chromedp.RunResponse(plain, chromedp.Tap(chromedp.CSS(`form.page-form button[value="preview"]`)))
	if err != nil || res.Status != 200 {
		t.Fatalf("preview without JavaScript: %v %v", res, err)
	}
	scripts(t, plain, true)
	if htmx := Eval[bool](t, plain, `typeof window.htmx !== 'undefined'`); htmx {
		t.Fatal("scripts ran in the tab without JavaScript")
	}
	if n := Eval[int](t, plain, `document.querySelectorAll('#page-preview .page-body li').length`); n != 2 {
		t.Errorf("the preview without JavaScript shows %d list items", n)
	}
	if got := Eval[string](t, plain, `document.getElementById('f-title').value`); got != "保育園の入園申込" {
		t.Errorf("the preview lost the title: %q", got)
	}
	Axe(t, plain)
	CheckReflow(t, plain, ReflowWidth)
	scripts(t, plain, false)
	res, err = chromedp.RunResponse(plain, chromedp.Tap(chromedp.CSS(`form.page-form button[value="save"]`)))
	if err != nil || res.Status != 200 {
		t.Fatalf("saving without JavaScript: %v %v", res, err)
	}
	scripts(t, plain, true)
	if p := Eval[string](t, plain, `location.pathname`); !strings.HasPrefix(p, "/staff/pages/") || p == "/staff/pages/new" {
		t.Errorf("saving without JavaScript landed on %s", p)
	}
	if h1 := Eval[string](t, plain, `document.querySelector('h1').textContent`); h1 != "保育園の入園申込" {
		t.Errorf("the saved page is called %q", h1)
	}
	Axe(t, plain)
}

// scripts turns the page's JavaScript on or off for the tab (DevTools'
// own evaluation needs it on; the page's scripts run only at load).
