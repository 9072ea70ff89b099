package e2e

import (
	"context"
	"testing"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestEditorSeesContentChecks types a personal name into the page editor
// on a 360 px phone: the live preview lists it as an error, with axe clean.
func TestEditorSeesContentChecks(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	ctx := context.Background()
	editor := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "editorCheck", Name: "作成 一郎", Roles: []string{db.RoleEditor}, PasswordHash: passwordHash(t)})
	site, err := env.DB.OfficialSite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	act := db.Actor{Account: editor}
	div := &db.Division{Code: "kosodate", Name: "子育て支援課"}
	if err := env.DB.CreateDivision(ctx, act, div); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.SetStaffDivisions(ctx, act, editor.ID, []int64{div.ID}); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.AddSiteStaff(ctx, act, site.ID, editor.ID); err != nil {
		t.Fatal(err)
	}
	tab := NewTab(t, browser)
	signIn(t, tab, env.URL, editor.LoginID, seed.Password, "/staff/pages/new?kind=notice", "/staff/pages/new")
	CheckPage(t, tab, env.URL+"/staff/pages/new?kind=notice")
	fillIn(t, tab, map[string]string{"title": "講演会のお知らせ", "body": "講師は田中さんです。"})
	waitText(t, tab, "#page-preview .check-results li.error q", "田中さん")
	Axe(t, tab)
	CheckReflow(t, tab, ReflowWidth)
	CheckConsole(t, tab)
}
