package db_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
)

func (f *pagesFixture) attach(t *testing.T, pageID int64, name string) *db.Attachment {
	t.Helper()
	a := &db.Attachment{PageID: pageID, Filename: name, ContentType: "application/pdf", Size: 5,
		SHA256: strings.Repeat("ab", 32), Data: []byte("%PDF-")}
	if err := f.d.AddAttachment(context.Background(), f.as(f.editor), a); err != nil {
		t.Fatal(err)
	}
	return a
}

// publish takes the page's working revision, with body, through approval
// to publication.
func (f *pagesFixture) publish(t *testing.T, p *db.ContentPage, body string) {
	t.Helper()
	ctx := context.Background()
	s := f.state(t, p.ID)
	c := s.Latest().Content()
	c.Body, c.PublishAt = body, f.now.Add(72*time.Hour)
	if _, err := f.d.SavePage(ctx, f.step(p.ID, f.editor), c); err != nil {
		t.Fatal(err)
	}
	if err := f.d.SubmitPage(ctx, f.step(p.ID, f.editor), nil); err != nil {
		t.Fatal(err)
	}
	if err := f.d.ApprovePage(ctx, f.step(p.ID, f.approver)); err != nil {
		t.Fatal(err)
	}
	if n, _, err := f.d.RunSchedule(ctx, f.now.Add(73*time.Hour), 10); err != nil || n != 1 {
		t.Fatalf("publish: %d, %v", n, err)
	}
}

func TestAttachmentsFollowThePage(t *testing.T) {
	f := newPagesFixture(t)
	ctx := context.Background()
	p := f.draft(t, 72*time.Hour)

	// Only an author of the page's division and site attaches.
	for _, acc := range []*db.Account{f.editorB, f.outsider, f.approver} {
		err := f.d.AddAttachment(ctx, f.as(acc), &db.Attachment{PageID: p.ID, Filename: "x.pdf", ContentType: "application/pdf",
			Size: 1, SHA256: strings.Repeat("0", 64), Data: []byte("x")})
		if !errors.Is(err, db.ErrForbidden) {
			t.Errorf("%s attaching: %v, want ErrForbidden", acc.LoginID, err)
		}
	}
	if _, err := f.d.AuthorPage(ctx, f.editorB, p.ID); !errors.Is(err, db.ErrForbidden) {
		t.Errorf("editor of another division opens the files: %v", err)
	}
	if _, err := f.d.AuthorPage(ctx, f.editor, p.ID+1000); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("files of no page: %v", err)
	}
	// The table refuses an image without its alt text and small copy.
	err := f.d.AddAttachment(ctx, f.as(f.editor), &db.Attachment{PageID: p.ID, Filename: "a.png", ContentType: "image/png",
		Size: 1, SHA256: strings.Repeat("0", 64), Data: []byte("x")})
	if err == nil {
		t.Error("an image without alt text was stored")
	}

	linked, other := f.attach(t, p.ID, "案内.pdf"), f.attach(t, p.ID, "下書き.pdf")
	serving := func(a *db.Attachment) *db.ServedAttachment {
		t.Helper()
		s, err := f.d.AttachmentForServing(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := serving(linked); s.Public || s.Filename != "案内.pdf" || s.Kind != db.PageNotice || s.DivisionID != f.divA.ID || s.Data != nil {
		t.Errorf("a draft's file: %+v", s)
	}
	for acc, want := range map[*db.Account]bool{f.editor: true, f.approver: true, f.mgr: true, f.editorB: false, f.outsider: false} {
		if ok, err := f.d.CanPreview(ctx, acc, db.PageNotice, f.site.ID, f.divA.ID); err != nil || ok != want {
			t.Errorf("%s may preview: %v (%v), want %v", acc.LoginID, ok, err, want)
		}
	}

	// The working revision links to it: not deleted.
	f.publish(t, p, "申込書は[こちら](/files/"+strconv.FormatInt(linked.ID, 10)+"/案内.pdf)です。")
	if !serving(linked).Public {
		t.Error("a file the live revision links to is not public")
	}
	if serving(other).Public {
		t.Error("a file the live revision does not link to is public")
	}
	if err := f.d.DeleteAttachment(ctx, f.as(f.editor), p.ID, linked.ID); !errors.Is(err, db.ErrInUse) {
		t.Errorf("deleting a file the live page links to: %v", err)
	}
	if err := f.d.DeleteAttachment(ctx, f.as(f.editorB), p.ID, other.ID); !errors.Is(err, db.ErrForbidden) {
		t.Errorf("another division deleting: %v", err)
	}
	if err := f.d.DeleteAttachment(ctx, f.as(f.editor), p.ID+1, other.ID); !errors.Is(err, db.ErrNotFound) && !errors.Is(err, db.ErrForbidden) {
		t.Errorf("deleting through another page: %v", err)
	}
	if err := f.d.DeleteAttachment(ctx, f.as(f.editor), p.ID, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.AttachmentForServing(ctx, other.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("a deleted file: %v", err)
	}

	// A new draft still linking to it keeps it; one without the link and
	// the page ended, it goes.
	c := f.state(t, p.ID).Live.Content()
	if _, err := f.d.SavePage(ctx, f.step(p.ID, f.editor), c); err != nil {
		t.Fatal(err)
	}
	if err := f.d.EndPage(ctx, f.step(p.ID, f.approver)); err != nil {
		t.Fatal(err)
	}
	if serving(linked).Public {
		t.Error("a file of an ended page is public")
	}
	if err := f.d.DeleteAttachment(ctx, f.as(f.editor), p.ID, linked.ID); !errors.Is(err, db.ErrInUse) {
		t.Errorf("deleting a file the draft links to: %v", err)
	}
	c.Body = "申込書は窓口で配ります。"
	if _, err := f.d.SavePage(ctx, f.step(p.ID, f.editor), c); err != nil {
		t.Fatal(err)
	}
	if err := f.d.DeleteAttachment(ctx, f.as(f.editor), p.ID, linked.ID); err != nil {
		t.Errorf("deleting a file nothing links to: %v", err)
	}
}

func TestAttachmentAltAndMetas(t *testing.T) {
	f := newPagesFixture(t)
	ctx := context.Background()
	p := f.draft(t, 72*time.Hour)
	small := "image/jpeg"
	img := &db.Attachment{PageID: p.ID, Filename: "photo.jpg", ContentType: "image/jpeg", Size: 3, SHA256: strings.Repeat("1", 64),
		Data: []byte("abc"), Width: ptr(1200), Height: ptr(900), Alt: "清掃活動の様子", DataSmall: []byte("ab"), SmallType: &small,
		SmallSHA256: ptr(strings.Repeat("2", 64))}
	if err := f.d.AddAttachment(ctx, f.as(f.editor), img); err != nil {
		t.Fatal(err)
	}
	pdf := f.attach(t, p.ID, "a.pdf")
	if err := f.d.SetAttachmentAlt(ctx, f.as(f.editor), p.ID, img.ID, "公園の清掃活動に集まった区民"); err != nil {
		t.Fatal(err)
	}
	if err := f.d.SetAttachmentAlt(ctx, f.as(f.editor), p.ID, pdf.ID, "文書"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("alt text on a PDF: %v", err)
	}
	if err := f.d.SetAttachmentAlt(ctx, f.as(f.editorB), p.ID, img.ID, "x"); !errors.Is(err, db.ErrForbidden) {
		t.Errorf("alt text by another division: %v", err)
	}
	list, err := f.d.Attachments(ctx, p.ID)
	if err != nil || len(list) != 2 || list[0].Alt != "公園の清掃活動に集まった区民" || list[0].Data != nil || list[0].DataSmall != nil {
		t.Fatalf("list: %+v, %v", list, err)
	}
	for small, want := range map[bool]string{true: "ab", false: "abc"} {
		if b, err := f.d.AttachmentData(ctx, img.ID, small); err != nil || string(b) != want {
			t.Errorf("data (small %v): %q, %v", small, b, err)
		}
	}
	if _, err := f.d.AttachmentData(ctx, pdf.ID, true); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("small copy of a PDF: %v", err)
	}
	m, err := f.d.AttachmentMetas(ctx, []int64{img.ID, pdf.ID, pdf.ID + 100})
	if err != nil || len(m) != 2 || m[pdf.ID].ContentType != "application/pdf" || m[img.ID].Size != 3 {
		t.Errorf("metas: %+v, %v", m, err)
	}
}
