package e2e

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// newsletterList makes the list the tests subscribe to (a new database has
// none: the ward makes them).
func newsletterList(t *testing.T, env *Env) int64 {
	t.Helper()
	l := &db.NewsletterList{Name: "区からのお知らせ", Description: "区政と地域活動の最新情報", Active: true}
	if err := env.DB.SaveNewsletterList(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	return l.ID
}

// tapAndWait taps sel and fails unless the page that follows answers 200
// with the heading want.
func tapAndWait(t *testing.T, tab context.Context, sel, want string) {
	t.Helper()
	res, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("tap %s: %v", sel, err)
	}
	if h1 := Eval[string](t, tab, `document.querySelector('h1').textContent`); res.Status != http.StatusOK || h1 != want {
		t.Fatalf("after %s: status %d, heading %q, want %q", sel, res.Status, h1, want)
	}
}

// TestNewsletterVisitorSubscribesAndConfirms: a visitor on a phone
// subscribes at /newsletter, opens the link of the confirmation mail (which
// confirms nothing by itself) and confirms with the page's one button; each
// page passes axe at 360 px.
func TestNewsletterVisitorSubscribesAndConfirms(t *testing.T) {
	browser := NewBrowser(t)
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	list := newsletterList(t, env)
	tab := NewTab(t, browser)
	CheckPage(t, tab, env.URL+"/newsletter")
	fill(t, tab, map[string]string{"email": "yotsuya@example.jp"})
	tap(t, tab, "#f-lists-"+strconv.FormatInt(list, 10))
	tapAndWait(t, tab, `main form button[type="submit"]`, catalog.T("ja", "newsletter.check_title"))
	Axe(t, tab)
	CheckReflow(t, tab, ReflowWidth)

	var token string
	if err := env.DB.Pool.QueryRow(ctx, `SELECT s.secret FROM mail_outbox m JOIN mail_secrets s ON s.mail_id = m.id
		WHERE m.kind = 'newsletter_confirm' AND m.to_addr = 'yotsuya@example.jp'`).Scan(&token); err != nil {
		t.Fatalf("confirmation mail: %v", err)
	}
	status := func() string {
		var st string
		if err := env.DB.Pool.QueryRow(ctx, `SELECT ss.status FROM newsletter_subscriptions ss JOIN newsletter_subscribers s ON s.id = ss.subscriber_id
			WHERE s.email = 'yotsuya@example.jp'`).Scan(&st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	CheckPage(t, tab, env.URL+"/newsletter/confirm/"+token)
	if st := status(); st != db.SubPending {
		t.Fatalf("opening the link: %s, want still pending", st)
	}
	tapAndWait(t, tab, `main form button[type="submit"]`, catalog.T("ja", "newsletter.confirmed_title"))
	Axe(t, tab)
	if st := status(); st != db.SubConfirmed {
		t.Fatalf("after the button: %s", st)
	}
}

// TestNewsletterStaffComposePreviewTestAndSchedule: a ward staff member on a
// phone composes an issue, sees its preview, sends a test to themselves and
// schedules it; every page passes axe at 360 px.
func TestNewsletterStaffComposePreviewTestAndSchedule(t *testing.T) {
	browser := NewBrowser(t)
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	staff := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "e2e-nl-ward", Name: "広報担当", Roles: []string{db.RoleWardStaff}, PasswordHash: passwordHash(t)})
	div := &db.Division{Code: "kouhou", Name: "広報課"}
	if err := env.DB.CreateDivision(ctx, db.Actor{Account: staff, Role: db.RoleWardStaff}, div); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Pool.Exec(ctx, `INSERT INTO staff_divisions (account_id, division_id) VALUES ($1, $2)`, staff.ID, div.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Pool.Exec(ctx, `UPDATE accounts SET work_email = 'kouhou@city.example.jp' WHERE id = $1`, staff.ID); err != nil {
		t.Fatal(err)
	}
	list := newsletterList(t, env)

	tab := NewTab(t, browser)
	signIn(t, tab, env.URL, staff.LoginID, seed.Password, "/staff/newsletter", "/staff/newsletter")
	CheckPage(t, tab, env.URL+"/staff/newsletter")
	CheckPage(t, tab, env.URL+"/staff/newsletter/lists")
	CheckPage(t, tab, env.URL+"/staff/newsletter/new")
	fill(t, tab, map[string]string{"subject": "区報 2月号"})
	typeInto(t, tab, "#f-body", "## 梅まつりのお知らせ\n\n今年も新宿中央公園で開きます。")
	if err := chromedp.Do(tab, chromedp.SetValue(chromedp.CSS("#f-division"), strconv.FormatInt(div.ID, 10))); err != nil {
		t.Fatal(err)
	}
	tap(t, tab, "#f-lists-"+strconv.FormatInt(list, 10))
	tapAndWait(t, tab, `main form button[type="submit"]`, "区報 2月号")
	if got := Eval[string](t, tab, `document.querySelector('#issue-preview h3').textContent`); got != "梅まつりのお知らせ" {
		t.Errorf("preview heading %q", got)
	}
	Axe(t, tab)
	CheckReflow(t, tab, ReflowWidth)
	issueURL := Eval[string](t, tab, `location.pathname`)
	id, err := strconv.ParseInt(strings.TrimPrefix(issueURL, "/staff/newsletter/"), 10, 64)
	if err != nil {
		t.Fatalf("issue page at %s", issueURL)
	}

	// A test to themselves.
	tapAndWait(t, tab, `form[action$="/test"] button`, "区報 2月号")
	var tests int
	if err := env.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM newsletter_deliveries WHERE issue_id = $1 AND test AND address = 'kouhou@city.example.jp'`, id).Scan(&tests); err != nil || tests != 1 {
		t.Fatalf("test deliveries %d, %v", tests, err)
	}
	Axe(t, tab)

	// Schedule it two days ahead.
	day := time.Now().In(i18n.JST).Add(48 * time.Hour).Format("2006-01-02")
	Eval[bool](t, tab, `(() => { document.querySelector('#f-send_date').value = '`+day+`'; document.querySelector('#f-send_time').value = '09:30'; return true; })()`)
	tapAndWait(t, tab, `form[action$="/send"] button[value="schedule"]`, "区報 2月号")
	if got := Eval[string](t, tab, `document.querySelector('#issue-status').textContent`); got != catalog.T("ja", "newsletter.status.scheduled") {
		t.Errorf("status after scheduling %q", got)
	}
	Axe(t, tab)
	CheckReflow(t, tab, ReflowWidth)
	is, err := env.DB.NewsletterIssue(ctx, id)
	if err != nil || is.Status != db.IssueScheduled || is.SendAt == nil || is.SendAt.In(i18n.JST).Format("2006-01-02 15:04") != day+" 09:30" {
		t.Fatalf("stored issue %+v, %v", is, err)
	}
	CheckPage(t, tab, env.URL+issueURL)
}
