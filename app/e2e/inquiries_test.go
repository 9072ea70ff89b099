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
// 360 px, and the inquiry is stored with its receipt mail.
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
}
