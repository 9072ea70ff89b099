package db

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// GroupImage is an image a group uploaded for its profile, with its
// required alternative text. A profile revision names the images it shows
// (image_ids); the public sees an image once a revision naming it is live.
type GroupImage struct {
	bun.BaseModel `bun:"table:group_images,alias:gi"`

	ID          int64     `bun:"id,pk,autoincrement"`
	GroupID     int64     `bun:"group_id"`
	UploadedBy  *int64    `bun:"uploaded_by"`
	Filename    string    `bun:"filename"`
	ContentType string    `bun:"content_type"`
	Size        int64     `bun:"size"`
	SHA256      string    `bun:"sha256"`
	Data        []byte    `bun:"data,type:bytea"`
	Width       int       `bun:"width"`
	Height      int       `bun:"height"`
	Alt         string    `bun:"alt"`
	DataSmall   []byte    `bun:"data_small,type:bytea"`
	SmallType   string    `bun:"small_type"`
	CreatedAt   time.Time `bun:"created_at,nullzero,default:now()"`
}

// Path is the image's address: the phone-sized copy, as pages show theirs.
func (g *GroupImage) Path() string {
	return "/groups/" + strconv.FormatInt(g.GroupID, 10) + "/images/" + strconv.FormatInt(g.ID, 10)
}

// maxGroupImages bounds the images one group keeps.
const maxGroupImages = 20

// ErrTooManyImages refuses an upload beyond maxGroupImages.
var ErrTooManyImages = fmt.Errorf("a group keeps at most %d images: %w", maxGroupImages, ErrConflict)

// AddGroupImage stores an image of the actor's group.
func (d *DB) AddGroupImage(ctx context.Context, actor Actor, img *GroupImage) (err error) {
	defer wrap(&err, "add group image")
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		g := new(Group)
		if err := tx.NewSelect().Model(g).Column("id").Where("account_id = ?", actor.Account.ID).For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "group")
		}
		n, err := tx.NewSelect().Model((*GroupImage)(nil)).Where("group_id = ?", g.ID).Count(ctx)
		if err != nil {
			return err
		}
		if n >= maxGroupImages {
			return ErrTooManyImages
		}
		img.GroupID, img.UploadedBy = g.ID, &actor.Account.ID
		if _, err := tx.NewInsert().Model(img).Returning("id, created_at").Exec(ctx); err != nil {
			return err
		}
		return RecordAccess(ctx, tx, actor.access(ActionGroupImage, fmt.Sprintf("group %d image %d", g.ID, img.ID)))
	})
}

// ActionGroupImage is the access-history action of uploading a group image.
const ActionGroupImage = "group_image_upload"

// GroupImages lists a group's images, oldest first, without their bytes.
func (d *DB) GroupImages(ctx context.Context, groupID int64) (_ []GroupImage, err error) {
	defer wrap(&err, "group images")
	var out []GroupImage
	err = d.Bun.NewSelect().Model(&out).ExcludeColumn("data", "data_small").
		Where("group_id = ?", groupID).Order("id").Scan(ctx)
	return out, err
}

// ownImages checks that every id is an image of the group.
func ownImages(ctx context.Context, idb bun.IDB, groupID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	n, err := idb.NewSelect().Model((*GroupImage)(nil)).Where("group_id = ? AND id IN (?)", groupID, bun.List(ids)).Count(ctx)
	if err != nil {
		return err
	}
	if int(n) != len(ids) {
		return fmt.Errorf("images %v of group %d: %w", ids, groupID, ErrNotFound)
	}
	return nil
}

// GroupImageFor loads an image with its bytes for a reader: anyone when
// the group is public and its live profile shows the image; else only the
// group's own account and the moderators deciding its change (staff is
// true) — ErrNotFound for everyone else, so nobody learns it exists.
func (d *DB) GroupImageFor(ctx context.Context, groupID, imageID int64, viewer *Account, staff bool) (_ *GroupImage, public bool, err error) {
	defer wrap(&err, "group image")
	var row struct {
		GroupImage `bun:",extend"`
		Public     bool  `bun:"public"`
		AccountID  int64 `bun:"account_id"`
	}
	err = d.Bun.NewSelect().Model(&row).ColumnExpr("gi.*").
		ColumnExpr("g.published AND gi.id = ANY (g.image_ids) AS public, coalesce(g.account_id, 0) AS account_id").
		ModelTableExpr("group_images AS gi").Join("JOIN groups AS g ON g.id = gi.group_id").
		Where("gi.id = ? AND gi.group_id = ?", imageID, groupID).Scan(ctx)
	if err != nil {
		return nil, false, notFound(err, "group image")
	}
	if !row.Public && !staff && (viewer == nil || viewer.ID != row.AccountID) {
		return nil, false, fmt.Errorf("group image %d: %w", imageID, ErrNotFound)
	}
	return &row.GroupImage, row.Public, nil
}
