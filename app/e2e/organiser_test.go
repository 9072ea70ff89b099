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

// TestOrganiserPages checks the pages an organiser works on — the new-event
// form (empty and with errors), the participant list, the queue with a
// group's event — at 360 px with axe, reflow and console checks.
func TestOrganiserPages(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	h := passwordHash(t)
	ctx := context.Background()
	ward := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "wardE2E", Name: "区 花子", Roles: []string{db.RoleWardStaff}, PasswordHash: h})
	mod := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "modE2E", Name: "運営 太郎", Roles: []string{db.RoleModerator}, PasswordHash: h})
	member := dbtest.Member(t, env.DB, dbtest.MemberOptions{Login: "M9200001", Handle: "さんかE2E", PasswordHash: h})
	ev := newSignupEvent(t, env, "区民センターの防災講座", time.Now().Add(72*time.Hour), nil, 0)
	if _, err := env.DB.SignUp(ctx, ev.ID, member, time.Now(), db.AccessEvent{}, nil); err != nil {
		t.Fatal(err)
	}
	group, g := dbtest.Group(t, env.DB, dbtest.GroupOptions{Login: "G90001", Name: "四谷こども食堂", PasswordHash: h})
	start := time.Now().Add(96 * time.Hour)
	if err := env.DB.CreateEvent(ctx, &db.Event{OrganiserKind: "group", GroupID: &g.ID, Title: "こども食堂クリスマス会",
		Description: "みんなでごはん。連絡は03-1234-5678まで", Category: "子育て", Town: "四谷", Venue: "四谷地域センター",
		StartsAt: start, EndsAt: start.Add(2 * time.Hour)}, group, db.AccessEvent{}); err != nil {
		t.Fatal(err)
	}

	wardTab, modTab := NewTab(t, browser), NewTab(t, browser)
	signIn(t, wardTab, env.URL, ward.LoginID, seed.Password, "/events/new", "/events/new")
	CheckPage(t, wardTab, env.URL+"/events/new")
	ResetConsole(wardTab)
	res, err := chromedp.RunResponse(wardTab, chromedp.Tap(chromedp.CSS(`main form button[type="submit"]`)))
	if err != nil || res.Status != 422 {
		t.Fatalf("submitting the empty form: %v %v", res, err)
	}
	checkConsoleAllowing(t, wardTab, 422)
	if n := Eval[int](t, wardTab, `document.querySelectorAll('.field.has-error').length`); n < 5 {
		t.Errorf("the empty form shows %d field errors", n)
	}
	Axe(t, wardTab)
	CheckPage(t, wardTab, env.URL+"/events/"+itoa(ev.ID)+"/participants")
	CheckPage(t, wardTab, env.URL+"/staff/audit")
	CheckPage(t, wardTab, env.URL+"/staff/accounts")

	signIn(t, modTab, env.URL, mod.LoginID, seed.Password, "/moderation", "/moderation")
	CheckPage(t, modTab, env.URL+"/moderation")
	if n := Eval[int](t, modTab, `document.querySelectorAll('.queue-item .flags').length`); n != 1 {
		t.Errorf("the group's event is not in the queue with its flag (%d)", n)
	}
}
