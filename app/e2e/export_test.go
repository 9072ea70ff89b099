package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestMemberExportPage exports the member list as ward staff would: the
// form refuses an export without a purpose, keeping the choices; a proper
// export downloads the file while the page stays, and the page then tells
// how many rows left and which character Shift_JIS could not hold.
func TestMemberExportPage(t *testing.T) {
	br := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	h := passwordHash(t)
	ward := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "wardX", Name: "区 花子", Roles: []string{db.RoleWardStaff}, PasswordHash: h})
	for _, m := range []struct{ login, handle string }{{"M9300001", "かきだし"}, {"M9300002", "よしだ"}} {
		dbtest.Member(t, env.DB, dbtest.MemberOptions{Login: m.login, Handle: m.handle, PasswordHash: h})
	}
	if _, err := env.DB.Pool.Exec(context.Background(), `UPDATE member_profiles SET name = '𠮷田 一郎'
		WHERE account_id = (SELECT id FROM accounts WHERE login_id = 'M9300002')`); err != nil {
		t.Fatal(err)
	}

	tab := NewTab(t, br)
	dir := t.TempDir()
	// Downloads of this tab's browser context go to dir.
	if err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
			BrowserContextID: chromedp.FromContext(tab).BrowserContextID})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	signIn(t, tab, env.URL, ward.LoginID, seed.Password, "/staff/members/export", "/staff/members/export")
	CheckPage(t, tab, env.URL+"/staff/members/export")

	// No purpose: refused, the error beside the field, the choices kept.
	ResetConsole(tab)
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`input[name=columns][value=email]`))); err != nil {
		t.Fatal(err)
	}
	res, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(`main form[data-export-report] button[type="submit"]`)))
	if err != nil || res.Status != 422 {
		t.Fatalf("export without a purpose: %v %v", res, err)
	}
	checkConsoleAllowing(t, tab, 422)
	if n := Eval[int](t, tab, `document.querySelectorAll('#f-purpose-error').length`); n != 1 {
		t.Error("no error next to the purpose")
	}
	if !Eval[bool](t, tab, `document.querySelector('input[name=columns][value=email]').checked`) {
		t.Error("the chosen column was lost")
	}
	Axe(t, tab)

	// With a purpose the file downloads and the page reports on it.
	ResetConsole(tab)
	typeInto(t, tab, "#f-purpose", "防災訓練の案内はがき")
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`main form[data-export-report] button[type="submit"]`))); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for Eval[int](t, tab, `document.querySelectorAll('#export-report [data-export-done]').length`) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no report after the export: %s", Eval[string](t, tab, `document.querySelector('#export-report').outerHTML`))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := Eval[int](t, tab, `document.querySelectorAll('#export-none').length`); n != 0 {
		t.Error("「まだ書き出していません」 still shows beside the report")
	}
	report := Eval[string](t, tab, `document.querySelector('#export-report').textContent`)
	for _, want := range []string{"2件を書き出しました", "1件あり", "𠮷"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q: %s", want, report)
		}
	}
	var files []string
	for time.Now().Before(deadline) {
		files, _ = filepath.Glob(filepath.Join(dir, "*"))
		if len(files) == 1 && !strings.HasSuffix(files[0], ".crdownload") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(files) != 1 {
		t.Fatalf("downloaded files: %v", files)
	}
	if b, err := os.ReadFile(files[0]); err != nil || !strings.Contains(string(b), "M9300002") {
		t.Errorf("the downloaded file (%s) lacks the members: %v", files[0], err)
	}
	Axe(t, tab)
	CheckReflow(t, tab, ReflowWidth)
	CheckConsole(t, tab)
}
