package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestEditorSeesContentChecks: on a 360 px phone an editor types a
// personal name and an image without alt text into the page editor; the
// live preview lists both as errors, each with its line and column and the
// words marked; activating the name's position selects exactly those words
// in the body field (js/checks.js); the editor fixes both and the checks
// come back clean. Axe finds nothing at each step.
func TestEditorSeesContentChecks(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	ja := jaCatalog(t)
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
	fillIn(t, tab, map[string]string{"title": "講演会のお知らせ", "body": "# 講師\n\n🎤講師は田中さんです。\n\n![](/files/1/map.png)"})
	alt := ja("check.a11y.img_alt")
	waitJS(t, tab, "both findings", `(() => { const t = (document.querySelector('#page-preview .check-results') || {}).textContent || '';
		return t.includes('田中') && t.includes('`+alt+`'); })()`)
	name := `#page-preview .check-results li.error:has(mark)`
	if got := Eval[string](t, tab, `document.querySelector('`+name+` mark').textContent`); !strings.Contains(got, "田中") {
		t.Fatalf("the first finding marks %q, want the name", got)
	}
	// 🎤 is one character but two UTF-16 units: the selection must count units.
	if got := strings.TrimSpace(Eval[string](t, tab, `document.querySelector('`+name+` .check-at').textContent`)); got != "本文 3行目 5文字目" {
		t.Errorf("the name's position reads %q", got)
	}
	Axe(t, tab)
	CheckReflow(t, tab, ReflowWidth)

	// Activating the position selects the marked words in the body field.
	tap(t, tab, name+` a.check-at`)
	waitJS(t, tab, "the body field focused", `document.activeElement && document.activeElement.id === 'f-body'`)
	type selection struct {
		Text       string `json:"text"`
		Start, End int
	}
	sel := Eval[selection](t, tab, `(() => { const f = document.getElementById('f-body');
		return {text: f.value.substring(f.selectionStart, f.selectionEnd), Start: f.selectionStart, End: f.selectionEnd}; })()`)
	if mark := Eval[string](t, tab, `document.querySelector('`+name+` mark').textContent`); sel.Text != mark || sel.Start == sel.End {
		t.Errorf("the body field selects %q (%d–%d), want the marked %q", sel.Text, sel.Start, sel.End, mark)
	}
	// Keyboard too: Enter on the image's position selects its markup.
	if !Eval[bool](t, tab, `(() => { const li = [...document.querySelectorAll('#page-preview .check-results li')]
		.find(li => (li.querySelector('mark') || {}).textContent === '![](/files/1/map.png)');
		const a = li && li.querySelector('a.check-at'); if (!a) return false; a.setAttribute('data-e2e-image', ''); return true; })()`) {
		t.Fatal("no position link on the image's finding")
	}
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.CSS(`a[data-e2e-image]`), kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, tab, "the image selected", `(() => { const f = document.getElementById('f-body');
		return document.activeElement === f && f.value.substring(f.selectionStart, f.selectionEnd) === '![](/files/1/map.png)'; })()`)
	if v := Eval[string](t, tab, `document.getElementById('f-body').value`); !strings.Contains(v, "田中さん") {
		t.Fatalf("the body changed under the keyboard: %q", v)
	}

	// The editor fixes both: no name, alt text on the image.
	typeInto(t, tab, "#f-body", "# 講師\n\n講師は区の職員です。\n\n![会場までの地図](/files/1/map.png)")
	waitText(t, tab, "#page-preview .check-results p.meta", ja("checks.none"))
	Axe(t, tab)
	checkConsoleAllowing(t, tab, http.StatusNotFound) // the preview shows the map, never uploaded here
}

// TestApproverOverridesCheckError: on a 360 px phone an approver sees an
// error-severity finding on a submitted page; approving without a reason is
// refused in place with the message next to the reason field; with a
// reason the page is approved, and the page's history shows the reason.
// Axe finds nothing at each step.
func TestApproverOverridesCheckError(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	ja := jaCatalog(t)
	c := newApprovalCast(t, env)
	ctx := context.Background()
	now := time.Now()
	p, _, err := env.DB.CreatePage(ctx, db.Actor{Account: c.editor}, db.NewPage{SiteID: c.site.ID, DivisionID: c.div.ID, Kind: db.PageNotice,
		PageContent: db.PageContent{Title: "講演会のご案内", PublishAt: now.Add(72 * time.Hour),
			Body: "# 申し込み\n\n講師の携帯電話090-1234-5678へ直接お申し込みください。"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.DB.SubmitPage(ctx, db.Transition{PageID: p.ID, Actor: db.Actor{Account: c.editor}, Now: now}, nil); err != nil {
		t.Fatal(err)
	}
	item := "#approval-" + itoa(p.ID)

	tab := NewTab(t, browser)
	signIn(t, tab, env.URL, c.approver.LoginID, seed.Password, "/staff/approvals", "/staff/approvals")
	CheckPage(t, tab, env.URL+"/staff/approvals")
	if got := Eval[string](t, tab, `(document.querySelector('`+item+` .check-results li.error mark') || {}).textContent || ''`); got != "090-1234-5678" {
		t.Fatalf("the approver does not see the error finding: %q", got)
	}
	submitInPlace(t, tab, item+` button[value="approve"]`)
	checkSamePage(t, tab, "/staff/approvals")
	checkError(t, tab, item+"-check_override", ja("form.err.check_override_required"))
	if w, _ := c.status(t, p.ID); w != db.RevSubmitted {
		t.Fatalf("approved without a reason: %s", w)
	}
	Axe(t, tab)
	CheckReflow(t, tab, ReflowWidth)
	checkConsoleAllowing(t, tab, http.StatusUnprocessableEntity)

	reason := "講師本人から番号の掲載に同意を得ています"
	typeInto(t, tab, item+"-check_override", reason)
	submitInPlace(t, tab, item+` button[value="approve"]`)
	checkSamePage(t, tab, "/staff/approvals")
	waitJS(t, tab, "the approval's status line", `!!document.querySelector('`+item+` [role="status"]')`)
	if w, _ := c.status(t, p.ID); w != db.RevApproved {
		t.Fatalf("not approved with a reason: %s", w)
	}
	Axe(t, tab)
	CheckConsole(t, tab)

	// The reason is in the page's history.
	CheckPage(t, tab, env.URL+"/staff/pages/"+itoa(p.ID))
	if got := Eval[string](t, tab, `[...document.querySelectorAll('.history .history-comment')].map(e => e.textContent).join('|')`); !strings.Contains(got, reason) {
		t.Errorf("the page's history does not show the override reason: %q", got)
	}
}
