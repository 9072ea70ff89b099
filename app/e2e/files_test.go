package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/app/upload"
	"github.com/wardportal/portal/app/upload/uploadtest"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestPageFiles is a page's files page on a phone, without JavaScript's
// help (a plain multipart form): it passes the page checks with files
// listed, a photo chosen from the phone is added with its alt text and its
// thumbnail shows, and a photo without alt text is refused beside the field.
func TestPageFiles(t *testing.T) {
	br := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	ctx := context.Background()
	editor := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "editor-f", Name: "区 編集", Roles: []string{db.RoleEditor}, PasswordHash: passwordHash(t)})
	site, err := env.DB.OfficialSite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	act := db.Actor{Account: editor, Role: db.RoleEditor}
	dv := &db.Division{Code: "seiso", Name: "清掃事務所"}
	if err := env.DB.CreateDivision(ctx, act, dv); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.SetStaffDivisions(ctx, act, editor.ID, []int64{dv.ID}); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.AddSiteStaff(ctx, act, site.ID, editor.ID); err != nil {
		t.Fatal(err)
	}
	page, _, err := env.DB.CreatePage(ctx, act, db.NewPage{SiteID: site.ID, DivisionID: dv.ID, Kind: db.PageNotice,
		PageContent: db.PageContent{Title: "粗大ごみの出し方が変わります", Body: "案内を添付します。", PublishAt: time.Now().Add(72 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name, alt string
		data      []byte
	}{
		{"粗大ごみ申込書_令和8年度版.pdf", "", []byte("%PDF-1.4\n%%EOF\n")},
		{"収集場所の地図.png", "集積所の場所を示した地図", uploadtest.PNG(1200, 900)},
	} {
		u, err := upload.Inspect(f.name, f.data)
		if err != nil {
			t.Fatal(err)
		}
		a := &db.Attachment{PageID: page.ID, Filename: u.Name, ContentType: u.ContentType, Size: int64(len(u.Data)), SHA256: u.SHA256, Data: u.Data}
		if upload.IsImage(u.ContentType) {
			a.Width, a.Height, a.Alt, a.DataSmall, a.SmallType, a.SmallSHA256 = &u.Width, &u.Height, f.alt, u.Small, &u.SmallType, &u.SmallSHA256
		}
		if err := env.DB.AddAttachment(ctx, act, a); err != nil {
			t.Fatal(err)
		}
	}
	photo := filepath.Join(t.TempDir(), "IMG_2024.jpg")
	if err := os.WriteFile(photo, uploadtest.JPEG(1600, 1200, 1), 0o600); err != nil {
		t.Fatal(err)
	}

	files := "/staff/pages/" + itoa(page.ID) + "/files"
	tab := NewTab(t, br)
	signIn(t, tab, env.URL, editor.LoginID, seed.Password, files, files)
	CheckPage(t, tab, env.URL+files)
	if n := Eval[int](t, tab, `document.querySelectorAll('.file-list > li').length`); n != 2 {
		t.Fatalf("%d files listed, want 2", n)
	}

	// A photo without alt text: refused beside the field.
	ResetConsole(tab)
	if err := chromedp.Do(tab, chromedp.SetUploadFiles(chromedp.CSS(`#f-file`), []string{photo})); err != nil {
		t.Fatal(err)
	}
	res, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`main form[enctype] button[type="submit"]`)))
	if err != nil || res.Status != 422 {
		t.Fatalf("upload without alt text: %v %v", res, err)
	}
	checkConsoleAllowing(t, tab, 422)
	checkFieldError(t, tab, "alt", "画像には代替テキストが必要です。画像の内容を短く説明してください。")
	Axe(t, tab)

	// With alt text it is added, and its thumbnail loads.
	if err := chromedp.Do(tab, chromedp.SetUploadFiles(chromedp.CSS(`#f-file`), []string{photo})); err != nil {
		t.Fatal(err)
	}
	typeInto(t, tab, "#f-alt", "公園で清掃活動をする区民のみなさん")
	ResetConsole(tab)
	res, err = chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(`main form[enctype] button[type="submit"]`)))
	if err != nil || res.Status != 200 {
		t.Fatalf("upload: %v %v", res, err)
	}
	if got := flashText(t, tab); got != "ファイルを追加しました。" {
		t.Errorf("flash after upload: %q", got)
	}
	if n := Eval[int](t, tab, `document.querySelectorAll('.file-list > li').length`); n != 3 {
		t.Fatalf("%d files listed after the upload, want 3", n)
	}
	snippet := Eval[string](t, tab, `document.querySelector('.file-list > li:last-child input.snippet').value`)
	if !strings.HasPrefix(snippet, "![公園で清掃活動をする区民のみなさん](/files/") || !strings.HasSuffix(snippet, "/IMG_2024.jpg)") {
		t.Errorf("snippet %q", snippet)
	}
	waitJS(t, tab, "the thumbnails to load", `Array.from(document.querySelectorAll('img.file-thumb')).every(i => i.complete && i.naturalWidth > 0)`)
	if w := Eval[int](t, tab, `document.querySelector('.file-list > li:last-child img.file-thumb').naturalWidth`); w != upload.SmallWidth {
		t.Errorf("the thumbnail is %d px wide, want the %d px copy", w, upload.SmallWidth)
	}
	CheckConsole(t, tab)
	CheckPage(t, tab, env.URL+files)
}
