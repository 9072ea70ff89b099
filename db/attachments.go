package db

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Attachment is a file attached to a page: an image shown in its body or a
// document linked from it. Lists load it without its bytes; AttachmentData
// reads them.
type Attachment struct {
	bun.BaseModel `bun:"table:attachments,alias:at"`

	ID          int64     `bun:"id,pk,autoincrement"`
	PageID      int64     `bun:"page_id"`
	UploadedBy  *int64    `bun:"uploaded_by"`
	Filename    string    `bun:"filename"`
	ContentType string    `bun:"content_type"`
	Size        int64     `bun:"size"`
	SHA256      string    `bun:"sha256"`
	Data        []byte    `bun:"data,type:bytea"`
	Width       *int      `bun:"width"`
	Height      *int      `bun:"height"`
	Alt         string    `bun:"alt"`
	DataSmall   []byte    `bun:"data_small,type:bytea"`
	SmallType   *string   `bun:"small_type"`
	SmallSHA256 *string   `bun:"small_sha256"`
	CreatedAt   time.Time `bun:"created_at,nullzero,default:now()"`
}

// IsImage reports whether the attachment is shown as an image.
func (a *Attachment) IsImage() bool { return strings.HasPrefix(a.ContentType, "image/") }

// Path is the attachment's public address.
func (a *Attachment) Path() string { return AttachmentPath(a.ID, a.Filename) }

// AttachmentPath is the address /files/{id}/{name} an attachment is served at.
func AttachmentPath(id int64, name string) string {
	return "/files/" + strconv.FormatInt(id, 10) + "/" + name
}

// ErrInUse refuses to delete an attachment the live revision or the one
// being worked on links to: the page would show a broken link or image.
var ErrInUse = errors.New("attachment linked from a revision")

// linkedFrom is a condition on revision r and attachment at: r's body or
// fields link to at's address. The address always has the name after the
// id, so /files/12/ never matches attachment 123.
const linkedFrom = `(strpos(r.body, '/files/' || at.id || '/') > 0 OR strpos(r.fields::text, '/files/' || at.id || '/') > 0)`

// AuthorPage loads a page for its author: ErrNotFound when there is no such
// page, ErrForbidden when acc may not write it (its division, site and kind).
func (d *DB) AuthorPage(ctx context.Context, acc *Account, pageID int64) (_ *PageState, err error) {
	defer wrap(&err, "author page")
	s, err := pageState(ctx, d.Bun, pageID, false)
	if err != nil {
		return nil, err
	}
	r, err := loadReach(ctx, d.Bun, acc.ID)
	if err != nil {
		return nil, err
	}
	if r.may(acc, RoleEditor, s.Page.Kind, s.Page.SiteID, s.Page.DivisionID) == "" {
		return nil, ErrForbidden
	}
	return s, nil
}

// Attachments lists a page's attachments, oldest first, without their bytes.
func (d *DB) Attachments(ctx context.Context, pageID int64) (_ []Attachment, err error) {
	defer wrap(&err, "attachments")
	var out []Attachment
	err = d.Bun.NewSelect().Model(&out).ExcludeColumn("data", "data_small").
		Where("page_id = ?", pageID).Order("id").Scan(ctx)
	return out, err
}

// lockAuthor locks the page and checks actor may write it.
func lockAuthor(ctx context.Context, tx bun.Tx, actor Actor, pageID int64) (*ContentPage, error) {
	p := new(ContentPage)
	if err := tx.NewSelect().Model(p).Where("id = ?", pageID).For("SHARE").Scan(ctx); err != nil {
		return nil, notFound(err, "page")
	}
	r, err := loadReach(ctx, tx, actor.Account.ID)
	if err != nil {
		return nil, err
	}
	if r.may(actor.Account, RoleEditor, p.Kind, p.SiteID, p.DivisionID) == "" {
		return nil, ErrForbidden
	}
	return p, nil
}

// AddAttachment stores a file on a page for an author of the page. The
// caller has checked the content (app/upload); the table's constraints
// hold the rest (an image has its size, alt text and small copy).
func (d *DB) AddAttachment(ctx context.Context, actor Actor, a *Attachment) (err error) {
	defer wrap(&err, "add attachment")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := lockAuthor(ctx, tx, actor, a.PageID); err != nil {
			return err
		}
		a.UploadedBy = &actor.Account.ID
		_, err := tx.NewInsert().Model(a).Returning("id, created_at").Exec(ctx)
		return err
	})
}

// SetAttachmentAlt changes an image's alternative text.
func (d *DB) SetAttachmentAlt(ctx context.Context, actor Actor, pageID, id int64, alt string) (err error) {
	defer wrap(&err, "set attachment alt")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := lockAuthor(ctx, tx, actor, pageID); err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model((*Attachment)(nil)).Set("alt = ?", alt).
			Where("id = ? AND page_id = ? AND content_type LIKE 'image/%'", id, pageID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("image %d of page %d: %w", id, pageID, ErrNotFound)
		}
		return nil
	})
}

// DeleteAttachment removes a file and its bytes for good — a file uploaded
// by mistake (a form with someone's details, say) must really go. It is
// refused (ErrInUse) while the live revision or the one being worked on
// links to it; an urgent removal from a live page ends the page first.
func (d *DB) DeleteAttachment(ctx context.Context, actor Actor, pageID, id int64) (err error) {
	defer wrap(&err, "delete attachment")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := lockAuthor(ctx, tx, actor, pageID)
		if err != nil {
			return err
		}
		var linked bool
		if err := tx.NewRaw(`SELECT EXISTS (SELECT 1 FROM attachments AS at JOIN page_revisions AS r ON r.page_id = at.page_id
				WHERE at.id = ? AND at.page_id = ? AND (r.id = ? OR r.status IN (?)) AND `+linkedFrom+`)`,
			id, pageID, p.LiveRevisionID, bun.List(workingStatuses)).Scan(ctx, &linked); err != nil {
			return err
		}
		if linked {
			return fmt.Errorf("attachment %d: %w", id, ErrInUse)
		}
		res, err := tx.NewDelete().Model((*Attachment)(nil)).Where("id = ? AND page_id = ?", id, pageID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("attachment %d of page %d: %w", id, pageID, ErrNotFound)
		}
		return nil
	})
}

// ServedAttachment is what serving a file needs to know before its bytes:
// the file, its page, and whether the public may see it.
type ServedAttachment struct {
	Attachment `bun:",extend"`

	Kind       string `bun:"kind,scanonly"`
	SiteID     int64  `bun:"site_id,scanonly"`
	DivisionID int64  `bun:"division_id,scanonly"`
	// Public: the live revision of the file's page links to it. A file of
	// a draft, or of a revision waiting for approval, is not public until
	// that revision is published, even when an earlier one is live.
	Public bool `bun:"public,scanonly"`
}

// AttachmentForServing loads an attachment without its bytes, with its
// page's place and whether it is public.
func (d *DB) AttachmentForServing(ctx context.Context, id int64) (_ *ServedAttachment, err error) {
	defer wrap(&err, "attachment for serving")
	s := new(ServedAttachment)
	err = d.Bun.NewSelect().Model(s).ExcludeColumn("data", "data_small").
		ColumnExpr("p.kind, p.site_id, p.division_id").
		ColumnExpr(`EXISTS (SELECT 1 FROM page_revisions AS r WHERE r.id = p.live_revision_id AND `+linkedFrom+`) AS public`).
		Join("JOIN pages AS p ON p.id = at.page_id").
		Where("at.id = ?", id).Scan(ctx)
	return s, notFound(err, "attachment")
}

// AttachmentData reads an attachment's bytes: the small copy of an image,
// or the file as stored.
func (d *DB) AttachmentData(ctx context.Context, id int64, small bool) (_ []byte, err error) {
	defer wrap(&err, "attachment data")
	col := "data"
	if small {
		col = "data_small"
	}
	var b []byte
	err = d.Bun.NewSelect().Model((*Attachment)(nil)).Column(col).Where("id = ?", id).Scan(ctx, &b)
	if err == nil && b == nil {
		err = fmt.Errorf("attachment %d has no %s: %w", id, col, ErrNotFound)
	}
	return b, notFound(err, "attachment")
}

// CanPreview reports whether acc may see what a page of kind in site and
// division will publish before it does: its authors, its approvers and the
// site's managers (the back office's preview shows its images).
func (d *DB) CanPreview(ctx context.Context, acc *Account, kind string, siteID, divisionID int64) (_ bool, err error) {
	defer wrap(&err, "can preview")
	r, err := loadReach(ctx, d.Bun, acc.ID)
	if err != nil {
		return false, err
	}
	for _, want := range []string{RoleEditor, RoleApprover, RoleSiteManager} {
		if r.may(acc, want, kind, siteID, divisionID) != "" {
			return true, nil
		}
	}
	return false, nil
}

// AttachmentMeta is the type and size of an attachment, for the label a
// link to it shows (「PDF 245KB」).
type AttachmentMeta struct {
	ID          int64
	ContentType string
	Size        int64
}

// AttachmentMetas loads the type and size of the attachments with ids.
func (d *DB) AttachmentMetas(ctx context.Context, ids []int64) (_ map[int64]AttachmentMeta, err error) {
	defer wrap(&err, "attachment metas")
	out := map[int64]AttachmentMeta{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []AttachmentMeta
	if err := d.Bun.NewSelect().Model((*Attachment)(nil)).Column("id", "content_type", "size").
		Where("id IN (?)", bun.List(ids)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	for _, m := range rows {
		out[m.ID] = m
	}
	return out, nil
}
