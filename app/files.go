package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/markup"
	"github.com/wardportal/portal/app/upload"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// uploadRoute is the one route whose body may hold a file: its body limit
// is uploadBodyLimit, every other route's 2 MB (routes.go).
const uploadRoute = "/staff/pages/:id/files"

// uploadBodyLimit is a little more than upload.MaxSize, so that a file just
// over the limit reaches the form and gets its message beside the field;
// a body beyond this is refused unread (413).
const uploadBodyLimit = "11M"

// files shows a page's attachments to its author.
func (a *App) files(c echo.Context) error {
	return a.filesPage(c, http.StatusOK, components.FilesState{})
}

// filesPage renders the files page of the page in the address with what s
// says was typed; it loads the page first, so an unknown page is a 404 and
// a page of another division or site a 403 before anything else.
func (a *App) filesPage(c echo.Context, status int, s components.FilesState) error {
	ctx := c.Request().Context()
	ps, err := a.authorPage(c)
	if err != nil {
		return err
	}
	s.PageID, s.MaxSize = ps.Page.ID, upload.MaxSizeLabel
	if r := ps.Latest(); r != nil {
		s.Title = r.Title
	}
	if s.Files, err = a.db.Attachments(ctx, ps.Page.ID); err != nil {
		return err
	}
	return a.render(c, status, a.t(c, "files.title"), components.Files(s))
}

func (a *App) authorPage(c echo.Context) (*db.PageState, error) {
	id, err := idParam(c)
	if err != nil {
		return nil, err
	}
	return a.db.AuthorPage(c.Request().Context(), currentUser(c), id)
}

// uploadFile stores a file on the page. The form works without JavaScript
// (a plain multipart form); a refused file re-renders the page at 422 with
// the reason beside the field and the alt text kept (a browser never keeps
// a chosen file, so the page says to choose it again).
func (a *App) uploadFile(c echo.Context) error {
	ps, err := a.authorPage(c)
	if err != nil {
		return err
	}
	f := form.Upload{Alt: c.FormValue("alt")}
	if fh, err := c.FormFile("file"); err == nil {
		f.Filename = fh.Filename
		if fh.Size > upload.MaxSize {
			f.TooLarge = true
		} else if f.Data, err = readFile(fh); err != nil {
			return err
		}
	}
	f.Normalize()
	var file *upload.File
	var errs form.Errors
	if err := a.withImageSlot(c.Request().Context(), func() { file, errs = f.Validate() }); err != nil {
		return err
	}
	if errs.Any() {
		return a.filesPage(c, http.StatusUnprocessableEntity, components.FilesState{Upload: f, UploadErrs: errs})
	}
	att := &db.Attachment{PageID: ps.Page.ID, Filename: file.Name, ContentType: file.ContentType, Size: int64(len(file.Data)),
		SHA256: file.SHA256, Data: file.Data}
	if upload.IsImage(file.ContentType) {
		att.Width, att.Height, att.Alt = &file.Width, &file.Height, f.Alt
		att.DataSmall, att.SmallType, att.SmallSHA256 = file.Small, &file.SmallType, &file.SmallSHA256
	}
	if err := a.db.AddAttachment(c.Request().Context(), actorAs(c, actingRole(c)), att); err != nil {
		return err
	}
	a.flash(c, "success", "files.uploaded")
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/staff/pages/%d/files#file-%d", ps.Page.ID, att.ID))
}

func readFile(fh *multipart.FileHeader) ([]byte, error) {
	r, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("upload: open part: %w", err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, upload.MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("upload: read part: %w", err)
	}
	return b, nil
}

// withImageSlot runs work (which may decode a large image) when no other
// upload of this instance is: one 50-megapixel photo takes about 300 MB
// while it is decoded and scaled, and uploads are rare enough to queue.
func (a *App) withImageSlot(ctx context.Context, work func()) error {
	select {
	case a.imaging <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-a.imaging }()
	work()
	return nil
}

// setFileAlt changes an image's alternative text.
func (a *App) setFileAlt(c echo.Context) error {
	pageID, err := idParam(c)
	if err != nil {
		return err
	}
	id, err := fileParam(c)
	if err != nil {
		return err
	}
	f := form.AltText{Alt: c.FormValue("alt")}
	f.Normalize()
	errs := f.Validate()
	if !errs.Any() {
		err := a.db.SetAttachmentAlt(c.Request().Context(), actorAs(c, actingRole(c)), pageID, id, f.Alt)
		if err != nil {
			return err
		}
		a.flash(c, "success", "files.alt_saved")
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/staff/pages/%d/files#file-%d", pageID, id))
	}
	return a.filesPage(c, http.StatusUnprocessableEntity, components.FilesState{ItemID: id, ItemAlt: f.Alt, ItemErrs: errs})
}

// deleteFile removes a file for good, unless a revision links to it.
func (a *App) deleteFile(c echo.Context) error {
	pageID, err := idParam(c)
	if err != nil {
		return err
	}
	id, err := fileParam(c)
	if err != nil {
		return err
	}
	err = a.db.DeleteAttachment(c.Request().Context(), actorAs(c, actingRole(c)), pageID, id)
	switch {
	case err == nil:
		a.flash(c, "success", "files.deleted")
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/staff/pages/%d/files", pageID))
	case errors.Is(err, db.ErrInUse):
		return a.filesPage(c, http.StatusUnprocessableEntity, components.FilesState{ItemID: id, ItemErrs: form.Errors{"delete": "files.err.in_use"}})
	default:
		return err
	}
}

// fileCSP replaces the pages' policy on files: nothing in a file may load
// or run anything. A PDF gets only the framing rule, because Chrome shows
// PDFs through an embedded viewer that object-src 'none' and a
// style-less policy break (crbug.com/271452).
const (
	fileCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
	pdfCSP  = "frame-ancestors 'self'"
)

// serveFile sends an attachment: an image's phone-sized copy by default and
// the original with ?size=original. The bytes of an id never change, so the
// answer is cacheable for a year with a strong ETag (the SHA-256 of the
// bytes sent) and a 304 for a matching If-None-Match. Only the files a
// published page links to are public; the rest are a 404 except to those
// who may preview the page (its authors, approvers and site managers), who
// get them uncached. Files of published pages never touch the session, so
// they carry no Vary: Cookie and cost one query.
func (a *App) serveFile(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	f, err := a.db.AttachmentForServing(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if f.Public {
		return a.sendFile(c, f, "public, max-age=31536000, immutable")
	}
	// Not public: only someone who may preview the page, signed in.
	return a.loadSession(a.loadUser(func(c echo.Context) error {
		u := currentUser(c)
		if u == nil {
			return fmt.Errorf("file %d is not public: %w", id, db.ErrNotFound)
		}
		ok, err := a.db.CanPreview(c.Request().Context(), u, f.Kind, f.SiteID, f.DivisionID)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("file %d is not public: %w", id, db.ErrNotFound)
		}
		return a.sendFile(c, f, "private, no-cache")
	}))(c)
}

func (a *App) sendFile(c echo.Context, f *db.ServedAttachment, cacheControl string) error {
	name := c.Param("name")
	if n, err := url.PathUnescape(name); err == nil {
		name = n
	}
	if name != f.Filename {
		target := (&url.URL{Path: f.Path(), RawQuery: c.Request().URL.RawQuery}).String()
		return c.Redirect(http.StatusMovedPermanently, target)
	}
	small := f.IsImage() && c.QueryParam("size") != "original"
	ct, sum, filename := f.ContentType, f.SHA256, f.Filename
	if small && f.SmallType != nil && f.SmallSHA256 != nil {
		ct, sum = *f.SmallType, *f.SmallSHA256
		filename = strings.TrimSuffix(filename, path.Ext(filename)) + map[string]string{upload.JPEG: ".jpg", upload.PNG: ".png"}[ct]
	}
	etag := `"` + sum + `"`
	var data []byte
	if !etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		var err error
		if data, err = a.db.AttachmentData(c.Request().Context(), f.ID, small); err != nil {
			return err
		}
	}
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", cacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	if ct == upload.PDF {
		h.Set("Content-Security-Policy", pdfCSP)
		h.Set("X-Frame-Options", "SAMEORIGIN")
	} else {
		h.Set("Content-Security-Policy", fileCSP)
	}
	if data == nil {
		return c.NoContent(http.StatusNotModified)
	}
	disposition := "attachment"
	if upload.Inline(f.ContentType) {
		disposition = "inline"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": filename}))
	return c.Blob(http.StatusOK, ct, data)
}

// etagMatches applies If-None-Match (RFC 9110 13.1.2): a list of tags
// compared weakly, or "*".
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// labelFiles adds to the links of html that lead to this portal's files
// their kind and size (「PDF 245KB」), as markup.LabelFiles does; pages call
// it on what markup.Render gave them.
// pageHTML is a page body as every screen shows it: rendered and sanitised
// by app/markup, with the type and size after each attachment link. The
// editor's preview, the approver's queue and the public page all use it, so
// the preview is what goes live. Without the labels (the database did not
// answer) the body still shows.
func (a *App) pageHTML(ctx context.Context, body string) string {
	html := a.markup.Render(body)
	labelled, err := a.labelFiles(ctx, html)
	if err != nil {
		a.log.WarnContext(ctx, "attachment labels", "err", err)
		return html
	}
	return labelled
}

func (a *App) labelFiles(ctx context.Context, html string) (string, error) {
	ids := markup.FileIDs(html)
	if len(ids) == 0 {
		return html, nil
	}
	metas, err := a.db.AttachmentMetas(ctx, ids)
	if err != nil {
		return "", err
	}
	return markup.LabelFiles(html, func(id int64) (string, bool) {
		m, ok := metas[id]
		if !ok {
			return "", false
		}
		return components.FileLabel(m.ContentType, m.Size), true
	}), nil
}
