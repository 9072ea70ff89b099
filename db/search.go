package db

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// searchWindow is how many of the newest published posts SearchPosts reads
// before it turns to the GIN index.
const searchWindow = 5000

// A page of results is the newest posts holding all of the query's grams,
// and there are two ways to find it. Walking board_posts_published_idx
// newest first, checking each post's grams, reads about PageSize ÷ (the
// share of posts that match) rows: a few dozen for a common word, the whole
// table for a word nobody wrote. The GIN index finds every post holding the
// word, and each must be read to sort them: a handful for a rare word, half
// the table for 祭. PostgreSQL cannot choose reliably between the two, as it
// estimates a word's share by multiplying its grams' frequencies, while the
// grams of a word come together far more often than that. So SearchPosts
// walks the newest searchWindow posts first, which hold a full page unless
// the word is rare, and turns to the GIN index only when they do not: for a
// rare word, which is cheap to find that way.
var (
	searchRecentSQL = searchSQL("", `(SELECT * FROM (
		SELECT id, category_id, topic_id, published_at, search_grams FROM board_posts
		WHERE status = `+lit(PostPublished)+` AND ($3::timestamptz IS NULL OR (published_at, id) < ($3, $4))
		ORDER BY published_at DESC, id DESC LIMIT `+strconv.Itoa(searchWindow)+`
	) AS recent WHERE search_grams @> $1::int[])`)
	// MATERIALIZED keeps PostgreSQL from walking the btree instead.
	searchIndexSQL = searchSQL(`WITH hits AS MATERIALIZED (
	SELECT id, category_id, topic_id, published_at FROM board_posts
	WHERE status = `+lit(PostPublished)+` AND search_grams @> $1::int[]
)`, "hits")
)

// searchSQL returns the statement that takes a page of the posts that from,
// a FROM item, finds for the grams $1: those in category $2 (0: any), after
// the cursor ($3, $4) (NULL: from the start) and, for a reply, under a
// published topic. Only then does it join what a result shows. The text is
// fixed, so pgx describes it once; it runs as an unnamed statement
// (QueryExecModeCacheDescribe), so PostgreSQL plans it for the actual grams
// every time instead of settling on a generic plan.
func searchSQL(with, from string) string {
	return with + `
SELECT p.id, p.category_id, p.topic_id, p.title, coalesce(t.title, '') AS topic_title,
	left(p.body, 200) AS body, p.status, p.published_at,
	a.display_name AS author_name, a.kind AS author_kind, a.status AS author_status,
	c.name_ja AS category_name_ja, c.name_en AS category_name_en
FROM (
	SELECT w.id FROM ` + from + ` AS w
	LEFT JOIN board_posts AS t ON t.id = w.topic_id
	WHERE ($2::bigint = 0 OR w.category_id = $2)
		AND ($3::timestamptz IS NULL OR (w.published_at, w.id) < ($3, $4))
		AND (w.topic_id IS NULL OR t.status = ` + lit(PostPublished) + `)
	ORDER BY w.published_at DESC, w.id DESC LIMIT $5
) AS h
JOIN board_posts AS p ON p.id = h.id
LEFT JOIN board_posts AS t ON t.id = p.topic_id
JOIN accounts AS a ON a.id = p.author_id
JOIN board_categories AS c ON c.id = p.category_id
ORDER BY p.published_at DESC, p.id DESC`
}

// SearchPosts pages through the published topics and replies that match q
// (see QueryGrams), newest first, optionally in one category. Each post
// carries only public fields, a reply its TopicTitle too; Body is the first
// 200 characters. A query with nothing to search for finds nothing.
func (d *DB) SearchPosts(ctx context.Context, q string, categoryID int64, after Cursor) (_ Page[BoardPost], err error) {
	defer wrap(&err, "search posts")
	grams, ok := QueryGrams(q)
	if !ok {
		return Page[BoardPost]{}, nil
	}
	var at any // NULL: from the start
	if !after.IsZero() {
		at = after.At
	}
	var posts []BoardPost
	// The newest posts first; the GIN index when they hold less than a page.
	for _, sql := range []string{searchRecentSQL, searchIndexSQL} {
		rows, _ := d.Pool.Query(ctx, sql, pgx.QueryExecModeCacheDescribe, grams, categoryID, at, after.ID, PageSize+1)
		var err error
		posts, err = pgx.CollectRows(rows, scanSearchHit)
		if err != nil {
			return Page[BoardPost]{}, err
		}
		if len(posts) > PageSize {
			break
		}
	}
	return paginate(posts, PageSize, func(p *BoardPost) Cursor { return Cursor{*p.PublishedAt, p.ID} }), nil
}

func scanSearchHit(row pgx.CollectableRow) (BoardPost, error) {
	var p BoardPost
	err := row.Scan(&p.ID, &p.CategoryID, &p.TopicID, &p.Title, &p.TopicTitle, &p.Body, &p.Status, &p.PublishedAt,
		&p.AuthorName, &p.AuthorKind, &p.AuthorStatus, &p.CategoryNameJa, &p.CategoryNameEn)
	return p, err
}

// backfillBatch is how many posts BackfillSearchGrams fills per transaction.
const backfillBatch = 5000

// BackfillSearchGrams computes the search grams of the posts that have none,
// those written before the column existed, a batch per transaction
// so that no lock is held for long. It returns how many posts it updated.
func (d *DB) BackfillSearchGrams(ctx context.Context) (_ int, err error) {
	defer wrap(&err, "backfill search grams")
	total := 0
	// Batches in id order from the partial index of posts without grams;
	// a post whose text has nothing searchable keeps none, and the id
	// cursor moves past it.
	for after := int64(0); ; {
		n := 0
		err := pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
			rows, _ := tx.Query(ctx, `SELECT id, title, body FROM board_posts
				WHERE search_grams = '{}' AND id > $1 ORDER BY id LIMIT $2 FOR UPDATE`, after, backfillBatch)
			var (
				ids   []int64
				grams []string
				id    int64
				title string
				body  string
			)
			_, err := pgx.ForEachRow(rows, []any{&id, &title, &body}, func() error {
				ids = append(ids, id)
				grams = append(grams, intArray(SearchGrams(title, body)))
				return nil
			})
			if err != nil || len(ids) == 0 {
				return err
			}
			after, n = ids[len(ids)-1], len(ids)
			// The posts' grams arrays differ in length, so they travel as
			// array literals.
			_, err = tx.Exec(ctx, `UPDATE board_posts AS p SET search_grams = v.grams::int[]
				FROM unnest($1::bigint[], $2::text[]) AS v (id, grams) WHERE p.id = v.id`, ids, grams)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("backfill search grams of posts after %d: %w", after, err)
		}
		if n == 0 {
			return total, nil
		}
		total += n
	}
}

// intArray formats g as a PostgreSQL array literal.
func intArray(g []int32) string {
	b := append(make([]byte, 0, 8*len(g)+2), '{')
	for i, x := range g {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return string(append(b, '}'))
}
