package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
	"golang.org/x/sync/errgroup"
)

// The site search (/search) looks through every kind of public content with
// the board's grams (grams.go): the live revisions of pages, the published
// events that have not ended, the published groups, and the board. Each
// kind is one query over its own GIN index (0023_site_search), so a kind
// costs what its matches cost, never a scan of the others.

// What the site search finds, in the order its results are shown. The page
// kinds are the pages' own (PageNotice …); these are the rest.
const (
	SearchEvents = "event"
	SearchGroups = "group"
	SearchBoard  = "board"
)

// SearchKinds are the kinds of the site search, in the order of its page.
var SearchKinds = []string{PageNotice, SearchEvents, PageSubsidy, PageArticle, PageFacility, PageGeneral, SearchGroups, SearchBoard}

// SearchCountCap is as far as the site search counts the matches of a
// kind: "100+" says enough, and counting every post that holds 祭 would
// read half the board.
const SearchCountCap = 100

// SearchHit is one result: what it is, where it leads (ID of its kind; for
// a board reply, TopicID) and a few words of it.
type SearchHit struct {
	Kind    string
	ID      int64
	TopicID *int64 // a board reply: the topic it answers
	Title   string
	Snippet string
	At      time.Time // published, or an event's start
}

// SearchGroup is the results of one kind: the first Hits and how many
// match, up to SearchCountCap (More: at least that many).
type SearchGroup struct {
	Kind  string
	Hits  []SearchHit
	Count int
	More  bool
}

// searchSnippet is how much of a text a result shows.
const searchSnippet = 120

var (
	// Live revisions of the official site's pages of one kind.
	siteSearchPagesSQL = `SELECT p.id, r.title, left(r.body, ` + fmt.Sprint(searchSnippet) + `), p.published_at
FROM page_revisions AS r JOIN pages AS p ON p.live_revision_id = r.id
WHERE r.status = ` + lit(RevPublished) + ` AND r.search_grams @> $1::int[] AND p.kind = $2
	AND p.site_id = (SELECT id FROM sites WHERE official)
ORDER BY p.published_at DESC, p.id DESC LIMIT $3`
	// Published events that have not ended, soonest first.
	siteSearchEventsSQL = `SELECT id, title, left(description, ` + fmt.Sprint(searchSnippet) + `), starts_at
FROM events WHERE status = ` + lit(EventPublished) + ` AND search_grams @> $1::int[] AND ends_at >= $2
ORDER BY starts_at, id LIMIT $3`
	// Published groups by name.
	siteSearchGroupsSQL = `SELECT id, name, left(summary, ` + fmt.Sprint(searchSnippet) + `), created_at
FROM groups WHERE published AND search_grams @> $1::int[]
ORDER BY name, id LIMIT $2`
)

// SiteSearch finds q (see QueryGrams) in the kinds asked for (all of
// SearchKinds when none), up to limit results of each, and counts each
// kind's matches up to SearchCountCap. Only public fields are read: a
// board post's author is never part of a result. A query with nothing to
// search for finds nothing.
func (d *DB) SiteSearch(ctx context.Context, q string, kinds []string, now time.Time, limit int) (_ []SearchGroup, err error) {
	defer wrap(&err, "site search")
	grams, ok := QueryGrams(q)
	if !ok {
		return nil, nil
	}
	if len(kinds) == 0 {
		kinds = SearchKinds
	}
	// The kinds' queries are independent: they run at once, each on a
	// connection of its own, so a search waits for the slowest kind rather
	// than for the sum of all eight.
	out := make([]SearchGroup, len(kinds))
	g, gctx := errgroup.WithContext(ctx)
	for i, kind := range kinds {
		g.Go(func() error {
			var err error
			if kind == SearchBoard {
				out[i], err = d.searchBoard(gctx, q, limit)
			} else {
				out[i], err = d.searchKind(gctx, kind, grams, now, limit)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", kind, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// searchKind runs the one query of a kind other than the board, reading
// up to SearchCountCap+1 rows to count them; the rows past limit carry no
// more than their snippet, a few hundred bytes each.
func (d *DB) searchKind(ctx context.Context, kind string, grams []int32, now time.Time, limit int) (SearchGroup, error) {
	var (
		sql  string
		args []any
	)
	switch kind {
	case SearchEvents:
		sql, args = siteSearchEventsSQL, []any{grams, now, SearchCountCap + 1}
	case SearchGroups:
		sql, args = siteSearchGroupsSQL, []any{grams, SearchCountCap + 1}
	case PageNotice, PageSubsidy, PageArticle, PageFacility, PageGeneral:
		sql, args = siteSearchPagesSQL, []any{grams, kind, SearchCountCap + 1}
	default:
		return SearchGroup{}, fmt.Errorf("search kind %q: %w", kind, ErrNotFound)
	}
	rows, _ := d.Pool.Query(ctx, sql, append([]any{pgx.QueryExecModeCacheDescribe}, args...)...)
	hits, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (SearchHit, error) {
		h := SearchHit{Kind: kind}
		err := row.Scan(&h.ID, &h.Title, &h.Snippet, &h.At)
		return h, err
	})
	if err != nil {
		return SearchGroup{}, err
	}
	g := SearchGroup{Kind: kind, Count: min(len(hits), SearchCountCap), More: len(hits) > SearchCountCap}
	g.Hits = hits[:min(len(hits), limit)]
	return g, nil
}

// searchBoard is the board's own search (SearchPosts): its first page is
// the count, so the board never costs more here than on /board?q=.
func (d *DB) searchBoard(ctx context.Context, q string, limit int) (SearchGroup, error) {
	p, err := d.SearchPosts(ctx, q, 0, Cursor{})
	if err != nil {
		return SearchGroup{}, err
	}
	g := SearchGroup{Kind: SearchBoard, Count: len(p.Items), More: !p.Next.IsZero()}
	for i := range p.Items[:min(len(p.Items), limit)] {
		post := &p.Items[i]
		h := SearchHit{Kind: SearchBoard, ID: post.ID, TopicID: post.TopicID, Title: post.Title, Snippet: post.Body}
		if post.TopicID != nil {
			h.Title = post.TopicTitle
		}
		if post.PublishedAt != nil {
			h.At = *post.PublishedAt
		}
		g.Hits = append(g.Hits, h)
	}
	return g, nil
}

// searchText is what an event is found by: its title, description, venue,
// area and category.
func (e *Event) searchText() (string, string) {
	return e.Title, strings.Join([]string{e.Description, e.Venue, e.Town, e.Category}, "\n")
}

// EventSearchGrams is the grams the seed writes with COPY, which passes no
// hook (groups: GroupSearchGrams, groups.go).
func EventSearchGrams(title, description, venue, town, category string) []int32 {
	return (&Event{Title: title, Description: description, Venue: venue, Town: town, Category: category}).grams()
}

func (e *Event) grams() []int32 { return SearchGrams(e.searchText()) }

// The hooks keep every written row's grams in step with its text, whatever
// the statement: bun calls them before it builds an INSERT or UPDATE from
// the model. An UPDATE that lists its columns must list search_grams with
// the text it changes.

var (
	_ bun.BeforeAppendModelHook = (*Event)(nil)
	_ bun.BeforeAppendModelHook = (*Revision)(nil)
)

func writes(q bun.Query) bool {
	switch q.(type) {
	case *bun.InsertQuery, *bun.UpdateQuery:
		return true
	}
	return false
}

// BeforeAppendModel fills the event's search grams before a write.
func (e *Event) BeforeAppendModel(_ context.Context, q bun.Query) error {
	if writes(q) {
		e.SearchGrams = e.grams()
	}
	return nil
}

// BeforeAppendModel fills the revision's search grams before a write.
func (r *Revision) BeforeAppendModel(_ context.Context, q bun.Query) error {
	if writes(q) {
		r.SearchGrams = SearchGrams(r.Title, r.Body)
	}
	return nil
}

// siteGramTables are the tables whose rows written before 0023 get their
// grams from BackfillSiteSearchGrams: the statement reading a batch of
// their text, and how a row's grams follow from it.
var siteGramTables = []struct {
	table, read string
	grams       func(cols []string) []int32
}{
	{"page_revisions", `SELECT id, title, body FROM page_revisions`,
		func(c []string) []int32 { return SearchGrams(c[0], c[1]) }},
	{"events", `SELECT id, title, description, venue, town, category FROM events`,
		func(c []string) []int32 { return EventSearchGrams(c[0], c[1], c[2], c[3], c[4]) }},
}

// BackfillSiteSearchGrams computes the search grams of the pages'
// revisions and events that have none (groups: backfillGroupGrams, 0020's),
// a batch per transaction, as BackfillSearchGrams does for the board. It
// returns how many rows it updated.
func (d *DB) BackfillSiteSearchGrams(ctx context.Context) (_ int, err error) {
	defer wrap(&err, "backfill site search grams")
	total := 0
	for _, t := range siteGramTables {
		for after := int64(0); ; {
			n := 0
			err := pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
				rows, err := tx.Query(ctx, t.read+` WHERE search_grams = '{}' AND id > $1 ORDER BY id LIMIT $2 FOR UPDATE`, after, backfillBatch)
				if err != nil {
					return err
				}
				var (
					ids   []int64
					grams []string
				)
				for rows.Next() {
					vals, err := rows.Values()
					if err != nil {
						rows.Close()
						return err
					}
					cols := make([]string, len(vals)-1)
					for i, v := range vals[1:] {
						cols[i], _ = v.(string)
					}
					ids = append(ids, vals[0].(int64))
					grams = append(grams, intArray(t.grams(cols)))
				}
				if err := rows.Err(); err != nil || len(ids) == 0 {
					return err
				}
				after, n = ids[len(ids)-1], len(ids)
				_, err = tx.Exec(ctx, `UPDATE `+t.table+` AS t SET search_grams = v.grams::int[]
					FROM unnest($1::bigint[], $2::text[]) AS v (id, grams) WHERE t.id = v.id`, ids, grams)
				return err
			})
			if err != nil {
				return total, fmt.Errorf("%s after %d: %w", t.table, after, err)
			}
			if n == 0 {
				break
			}
			total += n
		}
	}
	return total, nil
}
