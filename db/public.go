package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// PublicPage is a page as the public sees it: its live revision and the
// division that owns it. Lists leave Body and Contact empty.
type PublicPage struct {
	ID          int64      `bun:"id"`
	Kind        string     `bun:"kind"`
	PublishedAt time.Time  `bun:"published_at"` // first publication: the order of the lists
	RevisedAt   time.Time  `bun:"revised_at"`   // when the live revision went up (最終更新)
	Title       string     `bun:"title"`
	Body        string     `bun:"body"` // Markdown; app/markup renders it
	Fields      PageFields `bun:"fields,type:jsonb"`
	Tags        []string   `bun:"tags,array"`
	FacilityID  *int64     `bun:"facility_id"`
	Division    string     `bun:"division"` // the owning division's name
	Contact     string     `bun:"contact"`  // and its contact block (detail only)
}

// publicListColumns are what a list shows of a page; publicDetailColumns
// add the body and the division's contact block.
const (
	publicListColumns = "p.id, p.kind, p.published_at, coalesce(r.published_at, p.published_at) AS revised_at, " +
		"r.title, r.fields, r.tags, p.facility_id, dv.name AS division"
	publicDetailColumns = publicListColumns + ", r.body, dv.contact"
)

// publicPages selects the pages the public sees, and only those: pages of
// the official site with a live revision. The live revision is the one
// truth: the workflow and the scheduler set it when a revision is
// published and clear it when one ends, so a draft, a submission, an
// approval not yet due, an ended or a withdrawn revision never shows, and
// a revision being written while the page is live changes nothing here
// until it is published. Sub-sites serve their own pages.
func (d *DB) publicPages(model any) *bun.SelectQuery {
	return d.Bun.NewSelect().Model(model).ModelTableExpr("pages AS p").
		Join("JOIN page_revisions AS r ON r.id = p.live_revision_id").
		Join("JOIN divisions AS dv ON dv.id = p.division_id").
		// Spelled out, though the join implies it: the list index is partial on it.
		Where("p.live_revision_id IS NOT NULL").
		Where("r.status = " + lit(RevPublished)).
		Where("p.site_id = (SELECT id FROM sites WHERE official)")
}

// newestFirst orders a public list and continues it after a cursor.
func newestFirst(q *bun.SelectQuery, after Cursor) *bun.SelectQuery {
	if !after.IsZero() {
		q = q.Where("(p.published_at, p.id) < (?, ?)", after.At, after.ID)
	}
	return q.OrderExpr("p.published_at DESC, p.id DESC").Limit(PageSize + 1)
}

func publicCursor(p *PublicPage) Cursor { return Cursor{p.PublishedAt, p.ID} }

// PublicPages pages through the live pages of one kind, newest first.
func (d *DB) PublicPages(ctx context.Context, kind string, after Cursor) (_ Page[PublicPage], err error) {
	defer wrap(&err, "public pages")
	var rows []PublicPage
	q := d.publicPages(&rows).ColumnExpr(publicListColumns).Where("p.kind = ?", kind)
	if err := newestFirst(q, after).Scan(ctx); err != nil {
		return Page[PublicPage]{}, err
	}
	return paginate(rows, PageSize, publicCursor), nil
}

// PublicPage loads one live page of a kind with its body.
func (d *DB) PublicPage(ctx context.Context, kind string, id int64) (_ *PublicPage, err error) {
	defer wrap(&err, "public page")
	p := new(PublicPage)
	err = d.publicPages(p).ColumnExpr(publicDetailColumns).Where("p.kind = ? AND p.id = ?", kind, id).Scan(ctx)
	return p, notFound(err, kind)
}

// LegacyPageID finds the live page a row of the tables before 0015 became,
// for the old addresses (/notices/{old id}): only when id is not itself a
// page of that kind, whose address it then is.
func (d *DB) LegacyPageID(ctx context.Context, kind string, id int64) (_ int64, err error) {
	defer wrap(&err, "legacy page")
	var pageID int64
	err = d.publicPages((*PublicPage)(nil)).ColumnExpr("p.id").
		Where("p.kind = ? AND p.legacy_id = ?", kind, id).
		Where("NOT EXISTS (SELECT 1 FROM pages AS own WHERE own.id = ? AND own.kind = ?)", id, kind).
		Scan(ctx, &pageID)
	return pageID, notFound(err, kind)
}

// TopicPages pages through the live pages of every kind and division that
// carry tag, newest first: the cross-division topic pages (第9条2項).
func (d *DB) TopicPages(ctx context.Context, tag string, after Cursor) (_ Page[PublicPage], err error) {
	defer wrap(&err, "topic pages")
	var rows []PublicPage
	// @> with one element, so the GIN index on live revisions' tags serves it.
	q := d.publicPages(&rows).ColumnExpr(publicListColumns).Where("r.tags @> ARRAY[?]::text[]", tag)
	if err := newestFirst(q, after).Scan(ctx); err != nil {
		return Page[PublicPage]{}, err
	}
	return paginate(rows, PageSize, publicCursor), nil
}

// ListFacilities returns the facility link collection in display order: the
// live revisions of facility pages. ID is the facilities row events point
// at (the workflow keeps it in step with the live revision), PageID the page.
func (d *DB) ListFacilities(ctx context.Context) (_ []Facility, err error) {
	defer wrap(&err, "list facilities")
	var fs []Facility
	err = d.facilityPages(&fs).OrderExpr("category, sort_order, name, p.id").Scan(ctx)
	return fs, err
}

func (d *DB) facilityPages(dst *[]Facility) *bun.SelectQuery {
	return d.publicPages(dst).
		ColumnExpr("coalesce(p.facility_id, 0) AS id, p.id AS page_id, r.title AS name, r.body, r.tags").
		ColumnExpr("coalesce(r.fields->>'category', '') AS category, coalesce(r.fields->>'town', '') AS town").
		ColumnExpr("coalesce(r.fields->>'address', '') AS address, coalesce(r.fields->>'phone', '') AS phone").
		ColumnExpr("coalesce(r.fields->>'url', '') AS url, coalesce((r.fields->>'sort_order')::int, 0) AS sort_order").
		Where("p.kind = ?", PageFacility)
}

// PageLinks loads what an article links to: the published groups and the
// live facilities (by their facilities row) among the ids in its fields,
// by name. Ids that no longer lead anywhere public are left out.
func (d *DB) PageLinks(ctx context.Context, f PageFields) (groups []Group, facilities []Facility, err error) {
	defer wrap(&err, "page links")
	if len(f.GroupIDs) > 0 {
		if err := d.Bun.NewSelect().Model(&groups).Column("id", "name").
			Where("id IN (?) AND published", bun.List(f.GroupIDs)).OrderExpr("name, id").Scan(ctx); err != nil {
			return nil, nil, err
		}
	}
	if len(f.FacilityIDs) > 0 {
		if err := d.facilityPages(&facilities).Where("p.facility_id IN (?)", bun.List(f.FacilityIDs)).
			OrderExpr("name, p.id").Scan(ctx); err != nil {
			return nil, nil, err
		}
	}
	return groups, facilities, nil
}

// subsidyListMax bounds the subsidy list, shown whole: a ward runs a few
// dozen programmes at a time, never near this many.
const subsidyListMax = 500

// SubsidiesByDeadline lists the live subsidy pages whose application is
// not over at today (YYYY-MM-DD, Japan), soonest deadline first and those
// without a deadline last, and, apart, those whose deadline has passed,
// most recently closed first.
func (d *DB) SubsidiesByDeadline(ctx context.Context, today string) (open, closed []PublicPage, err error) {
	defer wrap(&err, "subsidies by deadline")
	var rows []PublicPage
	if err := d.publicPages(&rows).ColumnExpr(publicListColumns).Where("p.kind = ?", PageSubsidy).
		OrderExpr("r.fields->>'apply_until' ASC NULLS LAST, p.published_at DESC, p.id DESC").
		Limit(subsidyListMax).Scan(ctx); err != nil {
		return nil, nil, err
	}
	for _, p := range rows {
		if u := p.Fields.ApplyUntil; u != "" && u < today {
			closed = append([]PublicPage{p}, closed...)
		} else {
			open = append(open, p)
		}
	}
	return open, closed, nil
}
