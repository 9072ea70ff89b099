package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// approvalCast is an empty portal with one division on the official site:
// its editor, an approver, and a site manager who also approves.
type approvalCast struct {
	env                       *Env
	site                      *db.Site
	div                       *db.Division
	editor, approver, manager *db.Account
}

func newApprovalCast(t *testing.T, env *Env) *approvalCast {
	t.Helper()
	ctx := context.Background()
	h := passwordHash(t)
	c := &approvalCast{env: env}
	var err error
	if c.site, err = env.DB.OfficialSite(ctx); err != nil {
		t.Fatal(err)
	}
	staff := func(login, name string, roles ...string) *db.Account {
		return dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: login, Name: name, Roles: roles, PasswordHash: h})
	}
	c.editor = staff("e2e-editor", "作成 太郎", db.RoleEditor)
	c.approver = staff("e2e-approver", "承認 花子", db.RoleApprover)
	c.manager = staff("e2e-manager", "管理 次郎", db.RoleApprover, db.RoleSiteManager)
	act := db.Actor{Account: c.manager}
	c.div = &db.Division{Code: "kurashi", Name: "くらし推進課"}
	if err := env.DB.CreateDivision(ctx, act, c.div); err != nil {
		t.Fatal(err)
	}
	for _, a := range []*db.Account{c.editor, c.approver, c.manager} {
		if err := env.DB.SetStaffDivisions(ctx, act, a.ID, []int64{c.div.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.DB.AddSiteStaff(ctx, act, c.site.ID, c.editor.ID, c.approver.ID, c.manager.ID); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	// The pages link to www.city.example.jp: an approved link request, so
	// the content checks find no error that would need a reason to approve.
	if _, err := env.DB.Bun.NewInsert().Model(&db.LinkRequest{SiteName: "区のページ", URL: "https://www.city.example.jp/",
		Domain: "www.city.example.jp", Content: "試験", Administrator: "試験", Reason: "試験", Contact: "試験",
		StartDate: time.Now().AddDate(0, 0, -3), NoneAdult: true, NoneCrime: true, NoneDefame: true, NonePolitical: true,
		NoneElection: true, NoneMalware: true, Status: db.LinkApproved, RequestedBy: c.manager.ID, DecidedBy: &c.manager.ID,
		DecidedAt: &now}).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

// page stores a notice by the editor publishing in after now and submits it.
func (c *approvalCast) page(t *testing.T, title string, in time.Duration, urgent bool) int64 {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	p, _, err := c.env.DB.CreatePage(ctx, db.Actor{Account: c.editor}, db.NewPage{SiteID: c.site.ID, DivisionID: c.div.ID,
		Kind: db.PageNotice, PageContent: db.PageContent{Title: title, Fields: db.PageFields{Urgent: urgent}, PublishAt: now.Add(in),
			Body: "## 日時\n\n12月29日から1月3日まで。\n\n| 曜日 | 受付 |\n|---|---|\n| 月 | あり |\n\n詳しくは[区のページ](https://www.city.example.jp/)へ。"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.env.DB.SubmitPage(ctx, db.Transition{PageID: p.ID, Actor: db.Actor{Account: c.editor}, Now: now}, nil); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// live stores a page and puts it live at once (a site manager's override).
func (c *approvalCast) live(t *testing.T, title string) int64 {
	t.Helper()
	id := c.page(t, title, 0, false)
	if err := c.env.DB.ApprovePage(context.Background(), db.Transition{PageID: id, Actor: db.Actor{Account: c.manager},
		Now: time.Now(), Override: "試験のため"}); err != nil {
		t.Fatal(err)
	}
	return id
}

func (c *approvalCast) status(t *testing.T, id int64) (working, live string) {
	t.Helper()
	s, err := c.env.DB.PageState(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if s.Working != nil {
		working = s.Working.Status
	}
	if s.Live != nil {
		live = s.Live.Status
	}
	return working, live
}

// TestApprovalQueue works the approver's queue on a phone, with JavaScript
// (decisions swapped in place) and without (plain POSTs and redirects), with
// every state it shows checked by axe-core.
func TestApprovalQueue(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	ja := jaCatalog(t)
	c := newApprovalCast(t, env)
	approve := c.page(t, "粗大ごみの受付日変更", 72*time.Hour, false)
	sendBack := c.page(t, "図書館の休館日", 96*time.Hour, false)
	urgent := c.page(t, "台風接近に伴う避難所の開設", time.Hour, true)
	ended := c.live(t, "夏祭りのお知らせ")
	plainApprove := c.page(t, "区民センターの改修工事", 120*time.Hour, false)
	plainSendBack := c.page(t, "健康診断のご案内", 144*time.Hour, false)

	item := func(id int64) string { return "#approval-" + itoa(id) }

	t.Run("with JavaScript", func(t *testing.T) {
		tab := NewTab(t, browser)
		signIn(t, tab, env.URL, c.approver.LoginID, seed.Password, "/staff/approvals", "/staff/approvals")
		CheckPage(t, tab, env.URL+"/staff/approvals")
		if got := Eval[int](t, tab, `document.querySelectorAll('#approval-queue > li').length`); got != 5 {
			t.Fatalf("the queue has %d items, want 5", got)
		}
		// The header counts what waits.
		if got := strings.TrimSpace(Eval[string](t, tab, `(document.querySelector('header a[href="/staff"] .nav-count') || {}).textContent || ''`)); !strings.HasPrefix(got, "5") {
			t.Errorf("the header shows %q waiting, want 5", got)
		}

		// The content opens in place, rendered as it will be published.
		tap(t, tab, item(approve)+` details.page-preview summary`)
		if h := Eval[string](t, tab, `document.querySelector('`+item(approve)+` .page-body h3').textContent`); h != "日時" {
			t.Errorf("the preview's heading is %q", h)
		}
		if href := Eval[string](t, tab, `document.querySelector('`+item(approve)+` .page-body a').getAttribute('href')`); !strings.HasPrefix(href, "/leave?to=") {
			t.Errorf("the preview's outbound link goes to %q, want through /leave", href)
		}
		Axe(t, tab)
		CheckReflow(t, tab, ReflowWidth)

		// Send back without a comment: the error beside the field, in place.
		tap(t, tab, item(sendBack)+` details:not(.page-preview) summary`)
		submitInPlace(t, tab, item(sendBack)+` button[value="send_back"]`)
		checkSamePage(t, tab, "/staff/approvals")
		checkError(t, tab, item(sendBack)+"-comment", ja("form.err.comment_required"))
		Axe(t, tab)
		CheckReflow(t, tab, ReflowWidth)
		checkConsoleAllowing(t, tab, http.StatusUnprocessableEntity)
		typeInto(t, tab, item(sendBack)+"-comment", "休館日の日付を確認してください。")
		submitInPlace(t, tab, item(sendBack)+` button[value="send_back"]`)
		checkSamePage(t, tab, "/staff/approvals")
		waitText(t, tab, item(sendBack)+` [role="status"]`, ja("approvals.done.sent_back", map[string]any{"Title": "図書館の休館日"}))

		// Approve with a note.
		typeInto(t, tab, item(approve)+"-note", "確認しました。")
		submitInPlace(t, tab, item(approve)+` button[value="approve"]`)
		checkSamePage(t, tab, "/staff/approvals")
		if got := strings.TrimSpace(Eval[string](t, tab, `document.querySelector('`+item(approve)+` [role="status"]').textContent`)); !strings.HasPrefix(got, "「粗大ごみの受付日変更」を承認しました。") {
			t.Errorf("after approving: %q", got)
		}
		// Inside the lead time a plain approver has nothing to approve with.
		if n := Eval[int](t, tab, `document.querySelectorAll('`+item(urgent)+` button[value="approve"], `+item(urgent)+` button[value="override"]').length`); n != 0 {
			t.Errorf("a plain approver has %d approve buttons on a page inside the lead time", n)
		}
		Axe(t, tab)
		CheckConsole(t, tab)

		// End a live page now.
		tap(t, tab, `#live-`+itoa(ended)+` details summary`)
		submitInPlace(t, tab, `#live-`+itoa(ended)+` form button[type="submit"]`)
		checkSamePage(t, tab, "/staff/approvals")
		waitText(t, tab, `#live-`+itoa(ended)+` [role="status"]`, ja("approvals.done.ended", map[string]any{"Title": "夏祭りのお知らせ"}))
		Axe(t, tab)
		CheckConsole(t, tab)

		// The site manager approves the urgent notice in one tap: the
		// reason comes filled in.
		mtab := NewTab(t, browser)
		signIn(t, mtab, env.URL, c.manager.LoginID, seed.Password, "/staff/approvals", "/staff/approvals")
		CheckPage(t, mtab, env.URL+"/staff/approvals")
		if v := Eval[string](t, mtab, `document.querySelector('`+item(urgent)+`-override').value`); v != ja("approvals.urgent_reason") {
			t.Errorf("the override reason starts as %q", v)
		}
		submitInPlace(t, mtab, item(urgent)+` button[value="override"]`)
		checkSamePage(t, mtab, "/staff/approvals")
		if got := strings.TrimSpace(Eval[string](t, mtab, `document.querySelector('`+item(urgent)+` [role="status"]').textContent`)); !strings.HasSuffix(got, ja("approvals.done.override_recorded")) {
			t.Errorf("after the override: %q", got)
		}
		Axe(t, mtab)
		CheckConsole(t, mtab)

		for id, want := range map[int64][2]string{approve: {db.RevApproved, ""}, sendBack: {db.RevSentBack, ""},
			urgent: {db.RevApproved, ""}, ended: {"", ""}} {
			if w, l := c.status(t, id); w != want[0] || l != want[1] {
				t.Errorf("page %d: working %q live %q, want %q %q", id, w, l, want[0], want[1])
			}
		}
	})

	t.Run("without JavaScript", func(t *testing.T) {
		// Pages load with scripts off, so htmx never runs in them; scripts
		// are turned on again only to run the checks (axe-core awaits
		// promises a page without scripts never settles).
		tab := NewTab(t, browser)
		scripts(t, tab, false)
		signIn(t, tab, env.URL, c.approver.LoginID, seed.Password, "/staff/approvals", "/staff/approvals")
		if Eval[bool](t, tab, `typeof window.htmx !== 'undefined'`) {
			t.Fatal("htmx ran in a tab without JavaScript")
		}
		check := func() {
			t.Helper()
			scripts(t, tab, true)
			Axe(t, tab)
			CheckReflow(t, tab, ReflowWidth)
			scripts(t, tab, false)
		}
		check()

		// Send back without a comment: the item alone on a page, 422, the
		// error beside the field.
		tap(t, tab, item(plainSendBack)+` details:not(.page-preview) summary`)
		res, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(item(plainSendBack)+` button[value="send_back"]`)))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("send back without a comment: status %d, want 422", res.Status)
		}
		if h1 := Eval[string](t, tab, `document.querySelector('h1').textContent`); h1 != ja("approvals.item") {
			t.Errorf("the error page's heading is %q", h1)
		}
		checkError(t, tab, item(plainSendBack)+"-comment", ja("form.err.comment_required"))
		check()

		typeInto(t, tab, item(plainSendBack)+"-comment", "対象年齢を書いてください。")
		res, err = chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(item(plainSendBack)+` button[value="send_back"]`)))
		if err != nil {
			t.Fatal(err)
		}
		if p := Eval[string](t, tab, `location.pathname`); res.Status != http.StatusOK || p != "/staff/approvals" {
			t.Errorf("after sending back: %d at %s, want the queue", res.Status, p)
		}
		if got := flashText(t, tab); got != ja("approvals.done.sent_back", map[string]any{"Title": "健康診断のご案内"}) {
			t.Errorf("flash %q", got)
		}
		check()

		res, err = chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(item(plainApprove)+` button[value="approve"]`)))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != http.StatusOK || !strings.HasPrefix(flashText(t, tab), "「区民センターの改修工事」を承認しました。") {
			t.Errorf("after approving: status %d, flash %q", res.Status, flashText(t, tab))
		}
		if n := Eval[int](t, tab, `document.querySelectorAll('#approval-queue > li').length`); n != 0 {
			t.Errorf("%d items left in the queue, want none", n)
		}
		check()
		checkConsoleAllowing(t, tab, http.StatusUnprocessableEntity) // the 422 of the send-back without a comment
		if w, _ := c.status(t, plainApprove); w != db.RevApproved {
			t.Errorf("the plain approval left the page %s", w)
		}
		if w, _ := c.status(t, plainSendBack); w != db.RevSentBack {
			t.Errorf("the plain send-back left the page %s", w)
		}
	})
}

// scripts turns the tab's JavaScript on or off (Emulation.setScriptExecutionDisabled):
// off, a page loads as in a browser without JavaScript.
func scripts(t *testing.T, tab context.Context, on bool) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	})); err != nil {
		t.Fatalf("e2e: turn JavaScript on=%v: %v", on, err)
	}
}
