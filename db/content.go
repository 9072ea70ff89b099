package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"
)

// Home is what the home page shows.
type Home struct {
	Notices []PublicPage
	Events  []Event
	Topics  []BoardPost
}

// HomeLimit is how many items of each kind the home page lists.
const HomeLimit = 5

// HomeQueries returns the home page's three queries; the benchmark runs the
// same SQL through bare pgx to measure what our layers cost.
func (d *DB) HomeQueries(now time.Time) (notices, events, topics *bun.SelectQuery) {
	var (
		ns []PublicPage
		es []Event
		ts []BoardPost
	)
	notices = d.publicPages(&ns).ColumnExpr(publicListColumns).Where("p.kind = ?", PageNotice).
		OrderExpr("p.published_at DESC, p.id DESC").Limit(HomeLimit)
	events = d.upcomingEvents(&es, now).Limit(HomeLimit)
	topics = d.publishedTopics(&ts, 0).Limit(HomeLimit)
	return notices, events, topics
}

// Home loads the home page.
func (d *DB) Home(ctx context.Context, now time.Time) (Home, error) {
	var h Home
	n, e, t := d.HomeQueries(now)
	if err := n.Model(&h.Notices).Scan(ctx); err != nil {
		return h, err
	}
	if err := e.Model(&h.Events).Scan(ctx); err != nil {
		return h, err
	}
	if err := t.Model(&h.Topics).Scan(ctx); err != nil {
		return h, err
	}
	return h, nil
}

// BoardTopicsQuery returns the statement and arguments of the board's
// first page with no category chosen, as ListTopics runs them; the benchmark
// runs the same through bare pgx to measure what our layers cost. (The
// categories come from the app's memory.)
func BoardTopicsQuery() (sql string, args []any) {
	return topicsQuery(0, Cursor{}, PageSize+1)
}

func (d *DB) upcomingEvents(dst *[]Event, now time.Time) *bun.SelectQuery {
	return d.Bun.NewSelect().Model(dst).
		ColumnExpr("e.id, e.organiser_kind, e.group_id, e.title, e.category, e.town, e.venue").
		ColumnExpr("e.starts_at, e.ends_at, e.capacity, e.waitlist_size, e.status, e.confirmed, e.waitlisted").
		ColumnExpr("coalesce(g.name, '') AS group_name").
		ModelTableExpr("events AS e").
		Join("LEFT JOIN groups AS g ON g.id = e.group_id").
		Where("e.status = ?", EventPublished).
		Where("e.starts_at >= ?", now).
		OrderExpr("e.starts_at, e.id")
}

// publishedTopics selects published topics with only the public author
// fields: display name, kind and status (for the withdrawn label).
func (d *DB) publishedTopics(dst *[]BoardPost, categoryID int64) *bun.SelectQuery {
	q := d.postsVisibleTo(dst, 0).ColumnExpr("p.reply_count").
		Where("p.topic_id IS NULL").
		OrderExpr("p.published_at DESC, p.id DESC")
	if categoryID != 0 {
		q = q.Where("p.category_id = ?", categoryID)
	}
	return q
}

// ListGroups pages through published groups by name. The cursor's ID is the
// last group's id; names are unique, so (name, id) orders totally.
func (d *DB) ListGroups(ctx context.Context, afterID int64) ([]Group, int64, error) {
	var rows []Group
	q := d.Bun.NewSelect().Model(&rows).
		Column("id", "name", "category", "town", "summary").
		Where("published").
		OrderExpr("name, id").Limit(PageSize + 1)
	if afterID != 0 {
		q = q.Where("(name, id) > (SELECT name, id FROM groups WHERE id = ?)", afterID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, 0, err
	}
	if len(rows) <= PageSize {
		return rows, 0, nil
	}
	rows = rows[:PageSize]
	return rows, rows[PageSize-1].ID, nil
}

// GetGroup loads one published group with its upcoming events.
func (d *DB) GetGroup(ctx context.Context, now time.Time, id int64) (*Group, []Event, error) {
	g := new(Group)
	if err := d.Bun.NewSelect().Model(g).Where("id = ? AND published", id).Scan(ctx); err != nil {
		return nil, nil, notFound(err, "group")
	}
	var es []Event
	err := d.upcomingEvents(&es, now).Where("e.group_id = ?", id).Limit(10).Scan(ctx)
	return g, es, err
}

// EventFilter narrows the event list; the zero value lists every upcoming event.
type EventFilter struct {
	Category  string
	Town      string
	Query     string     // words in the title, description or venue
	From, To  *time.Time // starts on or after From, before To
	FreeSeats bool       // only events with a seat left (or no limit)
}

// IsZero reports whether the filter narrows nothing.
func (f EventFilter) IsZero() bool { return f == EventFilter{} }

// ListEvents pages through upcoming published events, soonest first.
func (d *DB) ListEvents(ctx context.Context, now time.Time, f EventFilter, after Cursor) (Page[Event], error) {
	var rows []Event
	q := d.filteredEvents(&rows, now, f).Limit(PageSize + 1)
	if !after.IsZero() {
		q = q.Where("(e.starts_at, e.id) > (?, ?)", after.At, after.ID)
	}
	if err := q.Scan(ctx); err != nil {
		return Page[Event]{}, err
	}
	return paginate(rows, PageSize, func(e *Event) Cursor { return Cursor{e.StartsAt, e.ID} }), nil
}

// MonthLimit bounds the events a month calendar shows.
const MonthLimit = 500

// EventsBetween lists the published events starting in [from, to) that the
// filter lets through, soonest first, for a month calendar.
func (d *DB) EventsBetween(ctx context.Context, from, to time.Time, f EventFilter) ([]Event, error) {
	var rows []Event
	f.From, f.To = &from, &to
	err := d.filteredEvents(&rows, from, f).Limit(MonthLimit).Scan(ctx)
	return rows, err
}

// filteredEvents selects published events from now (or the filter's later
// start) on, narrowed by the filter.
func (d *DB) filteredEvents(dst *[]Event, now time.Time, f EventFilter) *bun.SelectQuery {
	from := now
	if f.From != nil && f.From.After(now) {
		from = *f.From
	}
	q := d.upcomingEvents(dst, from)
	if f.To != nil {
		q = q.Where("e.starts_at < ?", *f.To)
	}
	if f.Category != "" {
		q = q.Where("e.category = ?", f.Category)
	}
	if f.Town != "" {
		q = q.Where("e.town = ?", f.Town)
	}
	if f.FreeSeats {
		q = q.Where("(e.capacity IS NULL OR e.confirmed < e.capacity)")
	}
	if f.Query != "" {
		// Organisers' text is stored as typed, so widths are folded here, on
		// both sides, as search does: ＡＢＣ finds abc and (雨天) finds （雨天）.
		// The query is folded before escaping, or a full-width ％ would
		// become a wildcard.
		like := "%" + likeEscaper.Replace(norm.NFKC.String(f.Query)) + "%"
		q = q.Where("(normalize(e.title, NFKC) ILIKE ? OR normalize(e.description, NFKC) ILIKE ? OR normalize(e.venue, NFKC) ILIKE ?)",
			like, like, like)
	}
	return q
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// EventFacets returns the categories and towns of upcoming published
// events, for the list's filters.
func (d *DB) EventFacets(ctx context.Context, now time.Time) (categories, towns []string, err error) {
	base := func(col string, dst *[]string) error {
		return d.Bun.NewSelect().Model((*Event)(nil)).ColumnExpr(col).
			Where("status = ? AND starts_at >= ?", EventPublished, now).GroupExpr(col).OrderExpr(col).Scan(ctx, dst)
	}
	if err := base("category", &categories); err != nil {
		return nil, nil, err
	}
	return categories, towns, base("town", &towns)
}

// PublicEvent loads one published (or cancelled/closed, still public) event.
func (d *DB) PublicEvent(ctx context.Context, id int64) (*Event, error) {
	e := new(Event)
	err := d.Bun.NewSelect().Model(e).
		ColumnExpr("e.*").
		ColumnExpr("coalesce(g.name, '') AS group_name, coalesce(g.published, false) AS group_published").
		ColumnExpr("coalesce(f.name, '') AS facility_name, coalesce(f.url, '') AS facility_url").
		ModelTableExpr("events AS e").
		Join("LEFT JOIN groups AS g ON g.id = e.group_id").
		Join("LEFT JOIN facilities AS f ON f.id = e.facility_id").
		Where("e.id = ? AND e.status IN (?)", id, bun.List(PublicEventStatuses)).
		Scan(ctx)
	return e, notFound(err, "event")
}

// ListBoardCategories returns the board's categories in display order.
func (d *DB) ListBoardCategories(ctx context.Context) ([]BoardCategory, error) {
	var cs []BoardCategory
	err := d.boardCategories(&cs).Scan(ctx)
	return cs, err
}

func (d *DB) boardCategories(dst *[]BoardCategory) *bun.SelectQuery {
	return d.Bun.NewSelect().Model(dst).OrderExpr("sort_order, id")
}

// ListTopics pages through published topics, newest first, optionally in
// one category. The busiest list of the portal reads straight through pgx:
// bun's reflection cost as much as the query.
func (d *DB) ListTopics(ctx context.Context, categoryID int64, after Cursor) (Page[BoardPost], error) {
	sql, args := topicsQuery(categoryID, after, PageSize+1)
	rows, _ := d.Pool.Query(ctx, sql, args...)
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (BoardPost, error) {
		var p BoardPost
		err := row.Scan(&p.ID, &p.CategoryID, &p.Title, &p.ReplyCount, &p.Status, &p.CreatedAt, &p.PublishedAt,
			&p.AuthorName, &p.AuthorKind, &p.AuthorStatus, &p.CategoryNameJa, &p.CategoryNameEn)
		return p, err
	})
	if err != nil {
		return Page[BoardPost]{}, err
	}
	return paginate(ps, PageSize, func(p *BoardPost) Cursor { return Cursor{*p.PublishedAt, p.ID} }), nil
}

// topicsQuery is the topic list's statement for one shape — with or without
// a category, from the start or after a cursor — and its arguments. Four
// fixed texts: each is prepared once and planned with its own index use
// (the category's index, the cursor's range), the same columns as
// publishedTopics.
func topicsQuery(categoryID int64, after Cursor, limit int) (string, []any) {
	var b strings.Builder
	b.WriteString(`SELECT p.id, p.category_id, p.title, p.reply_count, p.status, p.created_at, p.published_at,
	a.display_name, a.kind, a.status, c.name_ja, c.name_en
FROM board_posts AS p
JOIN accounts AS a ON a.id = p.author_id
JOIN board_categories AS c ON c.id = p.category_id
WHERE p.status = ` + lit(PostPublished) + ` AND p.topic_id IS NULL`)
	var args []any
	if categoryID != 0 {
		args = append(args, categoryID)
		fmt.Fprintf(&b, " AND p.category_id = $%d", len(args))
	}
	if !after.IsZero() {
		args = append(args, after.At, after.ID)
		fmt.Fprintf(&b, " AND (p.published_at, p.id) < ($%d, $%d)", len(args)-1, len(args))
	}
	// The limit is part of the text: as a parameter, PostgreSQL's generic
	// plan would not know how few rows are wanted.
	fmt.Fprintf(&b, " ORDER BY p.published_at DESC, p.id DESC LIMIT %d", limit)
	return b.String(), args
}
