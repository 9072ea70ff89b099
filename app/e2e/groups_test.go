package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/app/upload"
	"github.com/wardportal/portal/app/upload/uploadtest"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestGroupProfileFlow, on phones at 360 px with axe: a group fills in its
// profile (an empty form first: the errors are accessible too) and sees it
// pending; a moderator approves it inline; a resident finds the group by a
// two-character Japanese word and opens its page.
func TestGroupProfileFlow(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	h := passwordHash(t)
	ja := jaCatalog(t)
	const name = "四谷こども食堂の会"
	group, g := dbtest.Group(t, env.DB, dbtest.GroupOptions{Login: "G93001", Name: name, PasswordHash: h})
	mod := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "modG2E", Name: "運営 次郎", Roles: []string{db.RoleModerator}, PasswordHash: h})
	groupPath := "/groups/" + itoa(g.ID)
	photo, err := upload.Inspect("食堂.png", uploadtest.PNG(1200, 800))
	if err != nil {
		t.Fatal(err)
	}
	img := &db.GroupImage{Filename: photo.Name, ContentType: photo.ContentType, Size: int64(len(photo.Data)), SHA256: photo.SHA256,
		Data: photo.Data, Width: photo.Width, Height: photo.Height, Alt: "配膳する子どもたち", DataSmall: photo.Small, SmallType: photo.SmallType}
	if err := env.DB.AddGroupImage(context.Background(), db.Actor{Account: group, Role: db.KindGroup}, img); err != nil {
		t.Fatal(err)
	}

	groupTab, modTab, resident := NewTab(t, browser), NewTab(t, browser), NewTab(t, browser)
	t.Run("the group edits its profile and sees it pending", func(t *testing.T) {
		signIn(t, groupTab, env.URL, group.LoginID, seed.Password, "/group/profile", "/group/profile")
		CheckPage(t, groupTab, env.URL+"/group/profile")
		ResetConsole(groupTab)
		res, err := chromedp.RunResponse(groupTab, chromedp.Tap(chromedp.CSS(`form[action="/group/profile"] button[type="submit"]`)))
		if err != nil || res.Status != 422 {
			t.Fatalf("sending the empty form: %v %v", res, err)
		}
		checkConsoleAllowing(t, groupTab, 422)
		if n := Eval[int](t, groupTab, `document.querySelectorAll('.has-error').length`); n < 3 {
			t.Errorf("the empty form shows %d field errors, want description, fields and areas", n)
		}
		Axe(t, groupTab)

		fillIn(t, groupTab, map[string]string{"summary": "毎月の子ども食堂", "description": "地域の子どもに食事を届ける子ども食堂です。",
			"places": "四谷地域センター"})
		for _, box := range []string{"#f-fields-children", "#f-areas-yotsuya", "#f-days-sat", "#f-images-" + itoa(img.ID)} {
			tap(t, groupTab, box)
		}
		ResetConsole(groupTab)
		res, err = chromedp.RunResponse(groupTab, chromedp.Tap(chromedp.CSS(`form[action="/group/profile"] button[type="submit"]`)))
		if err != nil || res.Status != 200 {
			t.Fatalf("sending the profile: %v %v", res, err)
		}
		if p := Eval[string](t, groupTab, `location.pathname`); p != "/group/profile" {
			t.Fatalf("after sending the profile the group is on %s", p)
		}
		status := Eval[string](t, groupTab, `document.querySelector('#profile-status').textContent`)
		if !strings.Contains(status, ja("group_profile.status.review")) {
			t.Errorf("the group does not see its change pending: %q", status)
		}
		Axe(t, groupTab)
		CheckReflow(t, groupTab, ReflowWidth)
		CheckConsole(t, groupTab)
	})

	var item db.ModerationItem
	if err := env.DB.Bun.NewSelect().Model(&item).Where("kind = ? AND status = ?", db.ItemGroupProfile, db.ItemOpen).
		Scan(context.Background()); err != nil {
		t.Fatalf("no profile change in the queue: %v", err)
	}
	t.Run("a moderator approves it inline", func(t *testing.T) {
		signIn(t, modTab, env.URL, mod.LoginID, seed.Password, "/moderation", "/moderation")
		CheckPage(t, modTab, env.URL+"/moderation")
		if text := Eval[string](t, modTab, `document.querySelector('#item-`+itoa(item.ID)+`').textContent`); !strings.Contains(text, "子ども食堂です") {
			t.Fatalf("the queue item does not show the profile: %q", text)
		}
		want := ja("moderation.done.approved", map[string]any{"Title": name})
		if got := decideInline(t, modTab, item.ID, db.ActApprove); got != want {
			t.Errorf("after approving the item says %q, want %q", got, want)
		}
		Axe(t, modTab)
		CheckReflow(t, modTab, ReflowWidth)
		CheckConsole(t, modTab)
	})

	t.Run("a resident finds the group by a two-character word on a phone", func(t *testing.T) {
		CheckPage(t, resident, env.URL+"/groups")
		fillIn(t, resident, map[string]string{"q": "食堂"})
		ResetConsole(resident)
		if _, err := chromedp.RunResponse(resident, chromedp.Tap(chromedp.CSS(`form[action="/groups"] button[type="submit"]`))); err != nil {
			t.Fatal(err)
		}
		if q := Eval[string](t, resident, `location.search`); q == "" || !strings.Contains(mustUnescape(q), "q=食堂") {
			t.Fatalf("the search went to %q", q)
		}
		names := Eval[[]string](t, resident, `Array.from(document.querySelectorAll('#groups a.title')).map(a => a.textContent.trim())`)
		if len(names) != 1 || names[0] != name {
			t.Fatalf("search for 食堂 lists %v, want %s", names, name)
		}
		Axe(t, resident)
		CheckReflow(t, resident, ReflowWidth)
		CheckConsole(t, resident)
		if _, err := chromedp.RunResponse(resident, chromedp.Tap(chromedp.CSS(`#groups a.title`))); err != nil {
			t.Fatal(err)
		}
		if p := Eval[string](t, resident, `location.pathname`); p != groupPath {
			t.Fatalf("the result leads to %s, want %s", p, groupPath)
		}
		CheckPage(t, resident, env.URL+groupPath)
		if alt := Eval[string](t, resident, `(document.querySelector('.group-images img') || {}).alt || ''`); alt != "配膳する子どもたち" {
			t.Errorf("the group page's photo has alt %q", alt)
		}
	})
}

func mustUnescape(s string) string {
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}
