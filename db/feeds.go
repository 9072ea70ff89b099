package db

import (
	"context"
	"time"
)

// FeedPages is the newest live pages of a kind for its Atom feed, each
// with the start of its body (Body: at most feedBody characters).
func (d *DB) FeedPages(ctx context.Context, kind string, limit int) (_ []PublicPage, err error) {
	defer wrap(&err, "feed pages")
	var rows []PublicPage
	err = d.publicPages(&rows).ColumnExpr(publicListColumns+", left(r.body, ?) AS body", feedBody).
		Where("p.kind = ?", kind).OrderExpr("p.published_at DESC, p.id DESC").Limit(int64(limit)).Scan(ctx)
	return rows, err
}

// feedBody is how much of a page's body a feed entry summarises.
const feedBody = 400

// SitemapEntry is one address of the sitemap: a kind (a page kind,
// SearchEvents or SearchGroups), its id and when it last changed.
type SitemapEntry struct {
	Kind     string
	ID       int64
	Modified time.Time
}

// SitemapEntries lists what search engines should know: the live pages of
// the official site, the published events that have not ended and the
// published groups, up to limit of each.
func (d *DB) SitemapEntries(ctx context.Context, now time.Time, limit int) (_ []SitemapEntry, err error) {
	defer wrap(&err, "sitemap")
	var pages []PublicPage
	if err := d.publicPages(&pages).ColumnExpr(publicListColumns).
		OrderExpr("p.published_at DESC, p.id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]SitemapEntry, 0, len(pages))
	for _, p := range pages {
		out = append(out, SitemapEntry{Kind: p.Kind, ID: p.ID, Modified: p.RevisedAt})
	}
	rows, _ := d.Pool.Query(ctx, `(SELECT $1::text, id, updated_at FROM events
		WHERE status = `+lit(EventPublished)+` AND ends_at >= $2 ORDER BY starts_at, id LIMIT $4)
		UNION ALL
		(SELECT $3::text, id, updated_at FROM groups WHERE published ORDER BY id LIMIT $4)`,
		SearchEvents, now, SearchGroups, limit)
	defer rows.Close()
	for rows.Next() {
		var e SitemapEntry
		if err := rows.Scan(&e.Kind, &e.ID, &e.Modified); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// FeedEvents is the upcoming events for the events feed, soonest first,
// with the start of their descriptions and when they were added and changed.
func (d *DB) FeedEvents(ctx context.Context, now time.Time, limit int) (_ []Event, err error) {
	defer wrap(&err, "feed events")
	var rows []Event
	err = d.upcomingEvents(&rows, now).ColumnExpr("left(e.description, ?) AS description, e.created_at, e.updated_at", feedBody).
		Limit(int64(limit)).Scan(ctx)
	return rows, err
}
