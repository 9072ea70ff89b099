package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestClerkSuspendsAMemberOnAPhone: the operator's clerk (a moderator), on a
// 360 px phone, opens a member from the staff home, is told beside the
// field that a suspension needs a reason, gives one and suspends; the
// member's open session ends at their next page. Every page on the way, and
// the ward's account pages (groups, a group, staff accounts, the member
// correction form), pass axe with zero violations.
func TestClerkSuspendsAMemberOnAPhone(t *testing.T) {
	browser := NewBrowser(t)
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pw := passwordHash(t)
	member := dbtest.Member(t, env.DB, dbtest.MemberOptions{Login: "M5500001", Handle: "よつやのひと", PasswordHash: pw})
	clerk := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "e2e-clerk", Roles: []string{db.RoleModerator}, PasswordHash: pw})
	ward := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "e2e-ward", Roles: []string{db.RoleWardStaff}, PasswordHash: pw})
	group, _ := dbtest.Group(t, env.DB, dbtest.GroupOptions{Login: "grp-e2e", Name: "四谷の見守り隊"})
	div := &db.Division{Code: "civic", Name: "地域振興課"}
	if err := env.DB.CreateDivision(ctx, db.Actor{Account: ward, Role: db.RoleWardStaff}, div); err != nil {
		t.Fatal(err)
	}

	memberTab := NewTab(t, browser)
	signIn(t, memberTab, env.URL, member.LoginID, seed.Password, "/account", "/account")

	tab := NewTab(t, browser)
	signIn(t, tab, env.URL, clerk.LoginID, seed.Password, "/staff", "/staff")
	CheckPage(t, tab, env.URL+"/staff")
	memberPage := fmt.Sprintf("%s/staff/members/%d", env.URL, member.ID)
	CheckPage(t, tab, memberPage)
	CheckPage(t, tab, fmt.Sprintf("%s/staff/members/%d/edit", env.URL, member.ID))

	// No reason: the page comes back with the message beside the field.
	Navigate(t, tab, memberPage)
	button := fmt.Sprintf(`form[action="/staff/members/%d/status"] button[type="submit"]`, member.ID)
	res, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(button)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("suspension without a reason: status %d", res.Status)
	}
	reason := fmt.Sprintf("#status-reason-%d", member.ID)
	checkError(t, tab, reason, catalog.T("ja", "form.err.status_reason"))
	Axe(t, tab)

	typeInto(t, tab, reason, "掲示板での迷惑行為の通報")
	res, err = chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(button)))
	if err != nil {
		t.Fatal(err)
	}
	if p := Eval[string](t, tab, `location.pathname`); res.Status != http.StatusOK || p != fmt.Sprintf("/staff/members/%d", member.ID) {
		t.Fatalf("after suspending: status %d at %s", res.Status, p)
	}
	if got := Eval[string](t, tab, `document.querySelector('.flash').textContent.trim()`); got != catalog.T("ja", "account_admin.done_suspend") {
		t.Errorf("flash after suspending: %q", got)
	}
	Axe(t, tab)
	CheckReflow(t, tab, ReflowWidth)

	// The member's phone: the next page finds the session over.
	Navigate(t, memberTab, env.URL+"/account")
	if p := Eval[string](t, memberTab, `location.pathname`); p != "/login" {
		t.Errorf("the suspended member's next page is %s, not the sign-in page", p)
	}

	// The ward's account pages on a phone.
	wardTab := NewTab(t, browser)
	signIn(t, wardTab, env.URL, ward.LoginID, seed.Password, "/staff", "/staff")
	CheckPage(t, wardTab, env.URL+"/staff/groups")
	CheckPage(t, wardTab, fmt.Sprintf("%s/staff/groups/%d", env.URL, group.ID))
	CheckPage(t, wardTab, env.URL+"/staff/accounts")
}
