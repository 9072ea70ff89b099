package app

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/app/markup"
	"github.com/wardportal/portal/app/upload"
	"github.com/wardportal/portal/app/upload/uploadtest"
	"github.com/wardportal/portal/db"
)

// filesEnv is a draft notice of division A on the official site, its editor
// and approver signed in, an editor of division B signed in, and a visitor.
type filesEnv struct {
	*testEnv
	page                                 *db.ContentPage
	editor, approver, otherEditor, guest *testEnv
	editorAcc, approverAcc               *db.Account
}

func newFilesEnv(t *testing.T) *filesEnv {
	t.Helper()
	e := newTestEnv(t)
	ctx := context.Background()
	site, err := e.db.OfficialSite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	admin := e.staffAccount("files-admin", db.RoleWardStaff)
	act := db.Actor{Account: admin, Role: db.RoleWardStaff}
	divA, divB := &db.Division{Code: "kurashi", Name: "くらし推進課"}, &db.Division{Code: "kankyo", Name: "環境課"}
	for _, dv := range []*db.Division{divA, divB} {
		if err := e.db.CreateDivision(ctx, act, dv); err != nil {
			t.Fatal(err)
		}
	}
	f := &filesEnv{testEnv: e}
	people := []struct {
		login string
		role  string
		div   *db.Division
		c     **testEnv
		acc   **db.Account
	}{
		{"files-editor", db.RoleEditor, divA, &f.editor, &f.editorAcc},
		{"files-approver", db.RoleApprover, divA, &f.approver, &f.approverAcc},
		{"files-editor-b", db.RoleEditor, divB, &f.otherEditor, nil},
	}
	for _, p := range people {
		acc := e.staffAccount(p.login, p.role)
		if err := e.db.SetStaffDivisions(ctx, act, acc.ID, []int64{p.div.ID}); err != nil {
			t.Fatal(err)
		}
		if err := e.db.AddSiteStaff(ctx, act, site.ID, acc.ID); err != nil {
			t.Fatal(err)
		}
		c := e.client()
		c.signIn(p.login, "staff-password-1").wantStatus(t, http.StatusSeeOther)
		*p.c = c
		if p.acc != nil {
			*p.acc = acc
		}
	}
	f.guest = e.client()
	f.page, _, err = e.db.CreatePage(ctx, db.Actor{Account: f.editorAcc, Role: db.RoleEditor}, db.NewPage{SiteID: site.ID,
		DivisionID: divA.ID, Kind: db.PageNotice, PageContent: db.PageContent{Title: "粗大ごみの申込方法",
			Body: "申込書を添付します。", PublishAt: time.Now().Add(72 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *filesEnv) filesPath() string { return fmt.Sprintf("/staff/pages/%d/files", f.page.ID) }

// upload sends the upload form as a browser would: multipart, the file
// part claiming claimedType (which the portal ignores).
func (c *testEnv) upload(path, alt, filename, claimedType string, data []byte) *response {
	c.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("_csrf", c.token())
	_ = w.WriteField("alt", alt)
	if filename != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
		h.Set("Content-Type", claimedType)
		p, err := w.CreatePart(h)
		if err != nil {
			c.t.Fatal(err)
		}
		_, _ = p.Write(data)
	}
	if err := w.Close(); err != nil {
		c.t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, c.srv.URL+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.do(req)
}

// stored returns the attachment uploaded last.
func (f *filesEnv) stored(t *testing.T) db.Attachment {
	t.Helper()
	list, err := f.db.Attachments(context.Background(), f.page.ID)
	if err != nil || len(list) == 0 {
		t.Fatalf("attachments: %v, %v", list, err)
	}
	return list[len(list)-1]
}

// publish makes the page live with body.
func (f *filesEnv) publish(t *testing.T, body string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	ed := db.Actor{Account: f.editorAcc, Role: db.RoleEditor}
	tr := db.Transition{PageID: f.page.ID, Actor: ed, Now: now}
	if _, err := f.db.SavePage(ctx, tr, db.PageContent{Title: "粗大ごみの申込方法", Body: body, PublishAt: now.Add(72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SubmitPage(ctx, tr, nil); err != nil {
		t.Fatal(err)
	}
	tr.Actor = db.Actor{Account: f.approverAcc, Role: db.RoleApprover}
	if err := f.db.ApprovePage(ctx, tr); err != nil {
		t.Fatal(err)
	}
	if n, _, err := f.db.RunSchedule(ctx, now.Add(73*time.Hour), 10); err != nil || n != 1 {
		t.Fatalf("publish: %d, %v", n, err)
	}
}

var testPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func TestUploadReadsTheTypeFromTheContent(t *testing.T) {
	t.Parallel()
	f := newFilesEnv(t)
	ed := f.editor

	page := ed.get(f.filesPath())
	page.wantStatus(t, http.StatusOK)
	if enc, _ := page.Doc.Find(`form[action="` + f.filesPath() + `"]`).Attr("enctype"); enc != "multipart/form-data" {
		t.Fatalf("upload form enctype %q", enc)
	}

	// A PNG named .pdf (and claimed to be a PDF by the browser) is a PNG.
	res := ed.upload(f.filesPath(), "申込場所の地図", "申込書.pdf", "application/pdf", uploadtest.PNG(40, 20))
	res.wantStatus(t, http.StatusSeeOther)
	if a := f.stored(t); a.ContentType != upload.PNG || a.Filename != "申込書.png" || a.Alt != "申込場所の地図" || *a.Width != 40 {
		t.Errorf("stored %s %q alt %q", a.ContentType, a.Filename, a.Alt)
	}
	list := ed.get(f.filesPath())
	if !strings.Contains(list.Doc.Find(".file-list").Text(), "PNG 1KB") {
		t.Errorf("the list does not show the kind and size:\n%s", list.Doc.Find(".file-list").Text())
	}

	// Text named .png is not an image: refused, the alt text kept.
	res = ed.upload(f.filesPath(), "写真の説明", "写真.png", "image/png", []byte("これは画像ではありません。\n"))
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if msg := fieldError(res, "file"); !strings.Contains(msg, "中身が画像ではありません") {
		t.Errorf("file error %q", msg)
	}
	if v, _ := res.Doc.Find("#f-alt").Attr("value"); v != "写真の説明" {
		t.Errorf("alt text after a refusal: %q", v)
	}

	// A type the portal does not take.
	res = ed.upload(f.filesPath(), "", "page.html", "text/html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"))
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if msg := fieldError(res, "file"); !strings.Contains(msg, "この種類のファイルは追加できません") {
		t.Errorf("file error %q", msg)
	}

	// Too large: the message beside the field; far too large: refused unread.
	res = ed.upload(f.filesPath(), "", "big.txt", "text/plain", bytes.Repeat([]byte("a"), upload.MaxSize+1))
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if msg := fieldError(res, "file"); msg != "ファイルが大きすぎます（上限 10MB）" {
		t.Errorf("file error %q", msg)
	}
	res = ed.upload(f.filesPath(), "", "huge.txt", "text/plain", bytes.Repeat([]byte("a"), 12<<20))
	res.wantStatus(t, http.StatusRequestEntityTooLarge)
	// The larger limit is the upload route's alone.
	res = ed.post(f.filesPath()+"/1/alt", url.Values{"_csrf": {ed.token()}, "alt": {strings.Repeat("a", 3<<20)}})
	res.wantStatus(t, http.StatusRequestEntityTooLarge)

	// An image needs its alt text; the page asks to choose the file again.
	res = ed.upload(f.filesPath(), "", "photo.jpg", "image/jpeg", uploadtest.JPEG(100, 80, 1))
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if msg := fieldError(res, "alt"); !strings.Contains(msg, "代替テキストが必要です") {
		t.Errorf("alt error %q", msg)
	}
	if !strings.Contains(res.Doc.Find("main form").Text(), "ファイルをもう一度選んでください") {
		t.Error("no word that the file must be chosen again")
	}
	// No file at all.
	res = ed.upload(f.filesPath(), "", "", "", nil)
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if msg := fieldError(res, "file"); msg != "ファイルを選んでください。" {
		t.Errorf("file error %q", msg)
	}
	if n := len(mustAttachments(t, f)); n != 1 {
		t.Errorf("%d files stored, want only the PNG", n)
	}
}

func mustAttachments(t *testing.T, f *filesEnv) []db.Attachment {
	t.Helper()
	list, err := f.db.Attachments(context.Background(), f.page.ID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestUploadedPhotoIsResizedAndLosesItsLocation: a phone photo with EXIF
// (orientation, GPS) is served small, turned and without its metadata;
// the original without it too.
func TestUploadedPhotoIsResizedAndLosesItsLocation(t *testing.T) {
	t.Parallel()
	f := newFilesEnv(t)
	f.editor.upload(f.filesPath(), "清掃活動の様子", "IMG_0001.JPG", "image/jpeg", uploadtest.JPEG(2000, 1000, 6)).wantStatus(t, http.StatusSeeOther)
	a := f.stored(t)
	if *a.Width != 1000 || *a.Height != 2000 {
		t.Errorf("stored size %d×%d, want 1000×2000 (as shown)", *a.Width, *a.Height)
	}
	for _, c := range []struct {
		query      string
		wantW      int
		wantH      int
		wantSHA    string
		wantInline string
	}{
		{"", 800, 1600, *a.SmallSHA256, `inline; filename=IMG_0001.jpg`},
		{"?size=original", 2000, 1000, a.SHA256, `inline; filename=IMG_0001.JPG`},
	} {
		res := f.editor.get(a.Path() + c.query)
		res.wantStatus(t, http.StatusOK)
		if strings.Contains(res.Body, uploadtest.Secret) {
			t.Errorf("%s: the served image still holds the EXIF secret", c.query)
		}
		m, err := jpeg.Decode(strings.NewReader(res.Body))
		if err != nil {
			t.Fatal(err)
		}
		if b := m.Bounds(); b.Dx() != c.wantW || b.Dy() != c.wantH {
			t.Errorf("%q: %d×%d, want %d×%d", c.query, b.Dx(), b.Dy(), c.wantW, c.wantH)
		}
		if got := res.Header.Get("ETag"); got != `"`+c.wantSHA+`"` {
			t.Errorf("%q: ETag %s", c.query, got)
		}
		if got := res.Header.Get("Content-Disposition"); got != c.wantInline {
			t.Errorf("%q: Content-Disposition %s", c.query, got)
		}
	}
}

func TestFilesAreServedWithCachingHeaders(t *testing.T) {
	t.Parallel()
	f := newFilesEnv(t)
	ctx := context.Background()
	f.editor.upload(f.filesPath(), "", "申込書.pdf", "application/pdf", testPDF).wantStatus(t, http.StatusSeeOther)
	pdf := f.stored(t)
	f.editor.upload(f.filesPath(), "", "名簿.docx", "application/octet-stream", uploadtest.Office("docx")).wantStatus(t, http.StatusSeeOther)
	docx := f.stored(t)
	f.editor.upload(f.filesPath(), "", "下書き.pdf", "application/pdf", testPDF).wantStatus(t, http.StatusSeeOther)
	unlinked := f.stored(t)

	// Before publication only those who may preview the page get the files.
	for name, c := range map[string]*testEnv{"visitor": f.guest, "editor of another division": f.otherEditor} {
		if res := c.get(pdf.Path()); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s gets a draft's file: %d", name, res.StatusCode)
		}
	}
	for name, c := range map[string]*testEnv{"editor": f.editor, "approver": f.approver} {
		res := c.get(pdf.Path())
		res.wantStatus(t, http.StatusOK)
		if cc := res.Header.Get("Cache-Control"); cc != "private, no-cache" {
			t.Errorf("%s preview: Cache-Control %q", name, cc)
		}
	}

	f.publish(t, fmt.Sprintf("[申込書](%s) と [名簿の様式](%s)", pdf.Path(), docx.Path()))
	res := f.guest.get(pdf.Path())
	res.wantStatus(t, http.StatusOK)
	for k, want := range map[string]string{
		"Content-Type":           "application/pdf",
		"X-Content-Type-Options": "nosniff",
		"Content-Disposition":    "inline; filename*=utf-8''%E7%94%B3%E8%BE%BC%E6%9B%B8.pdf",
		"ETag":                   `"` + pdf.SHA256 + `"`,
		"Cache-Control":          "public, max-age=31536000, immutable",
		"Set-Cookie":             "",
	} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if strings.Contains(res.Header.Get("Vary"), "Cookie") || res.Body != string(testPDF) {
		t.Errorf("public file: Vary %q, body %q", res.Header.Get("Vary"), res.Body)
	}
	res = f.guest.get(pdf.Path(), "If-None-Match", `"other", "`+pdf.SHA256+`"`)
	if res.StatusCode != http.StatusNotModified || res.Body != "" || res.Header.Get("ETag") == "" {
		t.Errorf("If-None-Match: %d, %q", res.StatusCode, res.Body)
	}
	if res := f.guest.get(pdf.Path(), "If-None-Match", `"other"`); res.StatusCode != http.StatusOK {
		t.Errorf("If-None-Match of another version: %d", res.StatusCode)
	}
	res = f.guest.get(docx.Path())
	res.wantStatus(t, http.StatusOK)
	if got := res.Header.Get("Content-Disposition"); !strings.HasPrefix(got, "attachment;") || res.Header.Get("Content-Type") != upload.DOCX {
		t.Errorf("Word file: %s, %s", got, res.Header.Get("Content-Type"))
	}
	// A file the live revision does not link to stays private.
	if res := f.guest.get(unlinked.Path()); res.StatusCode != http.StatusNotFound {
		t.Errorf("an unlinked file of a live page: %d", res.StatusCode)
	}
	// Another name for the same id leads to the file's own address.
	res = f.guest.get(fmt.Sprintf("/files/%d/old-name.pdf?x=1", pdf.ID))
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/files/"+strconv.FormatInt(pdf.ID, 10)+"/%E7%94%B3%E8%BE%BC%E6%9B%B8.pdf?x=1" {
		t.Errorf("another name: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	for _, p := range []string{"/files/0/a.pdf", "/files/x/a.pdf", "/files/999999/a.pdf"} {
		if res := f.guest.get(p); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}

	// Links to files in a page's body show the kind and size.
	html, err := f.app.labelFiles(ctx, markup.Render(fmt.Sprintf("[申込書](%s) [様式](%s)", pdf.Path(), docx.Path())))
	if err != nil || !strings.Contains(html, ">申込書（PDF 1KB）</a>") || !strings.Contains(html, ">様式（Word 1KB）</a>") {
		t.Errorf("labelFiles: %s, %v", html, err)
	}
}

func TestFilesOnlyForThePagesAuthors(t *testing.T) {
	t.Parallel()
	f := newFilesEnv(t)
	f.editor.upload(f.filesPath(), "地図", "map.png", "image/png", uploadtest.PNG(30, 30)).wantStatus(t, http.StatusSeeOther)
	a := f.stored(t)
	item := fmt.Sprintf("%s/%d", f.filesPath(), a.ID)

	// An editor of another division: 403 everywhere, nothing changed.
	o := f.otherEditor
	if res := o.get(f.filesPath()); res.StatusCode != http.StatusForbidden {
		t.Errorf("files page: %d", res.StatusCode)
	}
	if res := o.upload(f.filesPath(), "x", "a.pdf", "application/pdf", testPDF); res.StatusCode != http.StatusForbidden {
		t.Errorf("upload: %d", res.StatusCode)
	}
	if res := o.post(item+"/alt", url.Values{"_csrf": {o.token()}, "alt": {"書き換え"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("alt: %d", res.StatusCode)
	}
	if res := o.post(item+"/delete", url.Values{"_csrf": {o.token()}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("delete: %d", res.StatusCode)
	}
	// An approver reviews, not writes; a visitor signs in first.
	if res := f.approver.get(f.filesPath()); res.StatusCode != http.StatusForbidden {
		t.Errorf("approver: %d", res.StatusCode)
	}
	if res := f.guest.get(f.filesPath()); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("visitor: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res := f.editor.get(fmt.Sprintf("/staff/pages/%d/files", f.page.ID+100)); res.StatusCode != http.StatusNotFound {
		t.Errorf("no such page: %d", res.StatusCode)
	}
	if n := len(mustAttachments(t, f)); n != 1 || mustAttachments(t, f)[0].Alt != "地図" {
		t.Errorf("files changed by someone not allowed: %+v", mustAttachments(t, f))
	}

	// The author changes the alt text: refused empty, saved otherwise.
	ed := f.editor
	res := ed.post(item+"/alt", url.Values{"_csrf": {ed.token()}, "alt": {"  "}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if msg := strings.TrimSpace(res.Doc.Find(fmt.Sprintf("#alt-%d-error", a.ID)).Text()); !strings.Contains(msg, "代替テキストが必要です") {
		t.Errorf("alt error %q", msg)
	}
	ed.post(item+"/alt", url.Values{"_csrf": {ed.token()}, "alt": {"申込窓口までの地図"}}).wantStatus(t, http.StatusSeeOther)
	if got := f.stored(t).Alt; got != "申込窓口までの地図" {
		t.Errorf("alt after saving: %q", got)
	}
	snippet, _ := ed.get(f.filesPath()).Doc.Find(fmt.Sprintf("#snippet-%d", a.ID)).Attr("value")
	if snippet != "![申込窓口までの地図]("+a.Path()+")" {
		t.Errorf("snippet %q", snippet)
	}

	// Deleting: refused while the draft links to it, done once it does not.
	ctx := context.Background()
	tr := db.Transition{PageID: f.page.ID, Actor: db.Actor{Account: f.editorAcc, Role: db.RoleEditor}, Now: time.Now()}
	c := db.PageContent{Title: "粗大ごみの申込方法", Body: "![地図](" + a.Path() + ")", PublishAt: time.Now().Add(72 * time.Hour)}
	if _, err := f.db.SavePage(ctx, tr, c); err != nil {
		t.Fatal(err)
	}
	res = ed.post(item+"/delete", url.Values{"_csrf": {ed.token()}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if msg := res.Doc.Find(fmt.Sprintf("#delete-%d-error", a.ID)).Text(); !strings.Contains(msg, "参照されているため削除できません") {
		t.Errorf("delete error %q", msg)
	}
	c.Body = "地図は窓口で配ります。"
	if _, err := f.db.SavePage(ctx, tr, c); err != nil {
		t.Fatal(err)
	}
	ed.post(item+"/delete", url.Values{"_csrf": {ed.token()}}).wantStatus(t, http.StatusSeeOther)
	if n := len(mustAttachments(t, f)); n != 0 {
		t.Errorf("%d files after deleting", n)
	}
	if res := ed.get(a.Path()); res.StatusCode != http.StatusNotFound {
		t.Errorf("a deleted file: %d", res.StatusCode)
	}
}

// authorWithImage makes acc (a moderator) the author of an operator's
// article with one image attached, for walks over every form.
func authorWithImage(t *testing.T, e *testEnv, acc *db.Account) (*db.ContentPage, *db.Attachment) {
	t.Helper()
	ctx := context.Background()
	site, err := e.db.OfficialSite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	act := db.Actor{Account: acc, Role: db.RoleModerator}
	dv := &db.Division{Code: "operator-files", Name: "ポータル運営事務局"}
	if err := e.db.CreateDivision(ctx, act, dv); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetStaffDivisions(ctx, act, acc.ID, []int64{dv.ID}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.AddSiteStaff(ctx, act, site.ID, acc.ID); err != nil {
		t.Fatal(err)
	}
	p, _, err := e.db.CreatePage(ctx, act, db.NewPage{SiteID: site.ID, DivisionID: dv.ID, Kind: db.PageArticle,
		PageContent: db.PageContent{Title: "清掃活動の記録", Body: "写真を載せます。", PublishAt: time.Now().Add(72 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := upload.Inspect("清掃.png", uploadtest.PNG(20, 20))
	if err != nil {
		t.Fatal(err)
	}
	a := &db.Attachment{PageID: p.ID, Filename: f.Name, ContentType: f.ContentType, Size: int64(len(f.Data)), SHA256: f.SHA256,
		Data: f.Data, Width: &f.Width, Height: &f.Height, Alt: "清掃活動", DataSmall: f.Small, SmallType: &f.SmallType,
		SmallSHA256: &f.SmallSHA256}
	if err := e.db.AddAttachment(ctx, act, a); err != nil {
		t.Fatal(err)
	}
	return p, a
}
