package e2e

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestInquiryWithoutJavaScript: a resident on a phone sends an inquiry to a
// division with scripts off; the form and the page after it pass axe at
// 360 px, and the inquiry is stored with its receipt mail; the division's
// staff member's inbox, the inquiry and the templates page pass the same checks.
func TestInquiryWithoutJavaScript(t *testing.T) {
	browser := NewBrowser(t)
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "e2e-iq-admin", Roles: []string{db.RoleWardStaff}})
	div := &db.Division{Code: "gomi", Name: "ごみゼロ推進課"}
	if err := env.DB.CreateDivision(ctx, db.Actor{Account: admin, Role: db.RoleWardStaff}, div); err != nil {
		t.Fatal(err)
	}
	url := env.URL + "/inquiry?division=" + strconv.FormatInt(div.ID, 10)

	tab := NewTab(t, browser)
	CheckPage(t, tab, url)
	scripts(t, tab, false)
	Navigate(t, tab, url)
	shown := time.Now()
	fill(t, tab, map[string]string{"subject": "粗大ごみの出し方", "name": "中野 花子", "email": "hanako@example.jp"})
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.CSS("#f-body"), "ソファを捨てたいのですが、どうすればよいですか。")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(shown.Add(3500 * time.Millisecond))) // a person takes at least three seconds
	res, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(`main form button[type="submit"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if h1 := Eval[string](t, tab, `document.querySelector('h1').textContent`); res.Status != http.StatusOK || h1 != catalog.T("ja", "inquiry.done_title") {
		t.Fatalf("after sending: status %d, heading %q", res.Status, h1)
	}
	scripts(t, tab, true)
	Axe(t, tab)
	CheckReflow(t, tab, ReflowWidth)
	var n int
	if err := env.DB.Bun.NewRaw(`SELECT count(*) FROM inquiries i JOIN mail_outbox m ON m.to_addr = i.email AND m.kind = 'inquiry_receipt'
		WHERE i.division_id = ?`, div.ID).Scan(ctx, &n); err != nil || n != 1 {
		t.Fatalf("stored with its receipt: %d (%v)", n, err)
	}

	// The division's staff member opens the inbox and the inquiry on a phone.
	staff := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "e2e-iq-editor", Name: "ごみ担当", Roles: []string{db.RoleEditor}, PasswordHash: passwordHash(t)})
	if err := env.DB.SetStaffDivisions(ctx, db.Actor{Account: admin, Role: db.RoleWardStaff}, staff.ID, []int64{div.ID}); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := env.DB.Bun.NewRaw(`SELECT id FROM inquiries`).Scan(ctx, &id); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.AddInquiryTemplate(ctx, db.Actor{Account: staff, Role: db.RoleEditor}, &db.InquiryTemplate{DivisionID: div.ID, Title: "粗大ごみ", Body: "受付センターへ"}); err != nil {
		t.Fatal(err)
	}
	staffTab := NewTab(t, browser)
	signIn(t, staffTab, env.URL, staff.LoginID, seed.Password, "/staff/inquiries", "/staff/inquiries")
	CheckPage(t, staffTab, env.URL+"/staff/inquiries")
	CheckPage(t, staffTab, env.URL+"/staff/inquiries/"+strconv.FormatInt(id, 10))
	CheckPage(t, staffTab, env.URL+"/staff/inquiries/templates")
}
