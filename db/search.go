package db

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// searchPostsSQL finds published posts holding all of $1's grams, newest
// first, optionally in category $2 (0: all) and after cursor ($3, $4) (NULL:
// from the start). A reply shows under its topic's title, and only while
// that topic is published too.
//
// The SQL text never changes, so pgx describes it once; it runs as an
// unnamed statement (QueryExecModeCacheDescribe), so PostgreSQL plans it for
// the actual grams every time. That matters: a rare gram is best found
// through the GIN index, a common one by walking board_posts_published_idx
// newest first until a page is full, and a cached generic plan would pick
// one of the two for every query.
const searchPostsSQL = `SELECT p.id, p.category_id, p.topic_id, coalesce(t.title, p.title), left(p.body, 200),
	p.status, p.published_at,
	a.display_name AS author_name, a.kind AS author_kind, a.status AS author_status,
	c.name_ja, c.name_en
FROM board_posts AS p
JOIN accounts AS a ON a.id = p.author_id
JOIN board_categories AS c ON c.id = p.category_id
LEFT JOIN board_posts AS t ON t.id = p.topic_id
WHERE p.status = 'published' AND p.search_grams @> $1::int[]
	AND (p.topic_id IS NULL OR t.status = 'published')
	AND ($2::bigint = 0 OR p.category_id = $2)
	AND ($3::timestamptz IS NULL OR (p.published_at, p.id) < ($3, $4))
ORDER BY p.published_at DESC, p.id DESC
LIMIT $5`

// SearchPosts pages through the published topics and replies that match q
// (see QueryGrams), newest first, optionally in one category. Each post
// carries only public fields: a reply's Title is its topic's, and Body is
// the first 200 characters. A query with nothing to search for finds nothing.
func (d *DB) SearchPosts(ctx context.Context, q string, categoryID int64, after Cursor) (Page[BoardPost], error) {
	grams, ok := QueryGrams(q)
	if !ok {
		return Page[BoardPost]{}, nil
	}
	var at any // NULL: from the start
	if !after.IsZero() {
		at = after.At
	}
	rows, _ := d.Pool.Query(ctx, searchPostsSQL, pgx.QueryExecModeCacheDescribe,
		grams, categoryID, at, after.ID, PageSize+1)
	posts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (BoardPost, error) {
		var p BoardPost
		err := row.Scan(&p.ID, &p.CategoryID, &p.TopicID, &p.Title, &p.Body, &p.Status, &p.PublishedAt,
			&p.AuthorName, &p.AuthorKind, &p.AuthorStatus, &p.CategoryNameJa, &p.CategoryNameEn)
		return p, err
	})
	if err != nil {
		return Page[BoardPost]{}, err
	}
	return paginate(posts, PageSize, func(p *BoardPost) Cursor { return Cursor{*p.PublishedAt, p.ID} }), nil
}

// backfillBatch is how many ids BackfillSearchGrams covers per transaction.
const backfillBatch = 5000

// BackfillSearchGrams computes the search grams of the posts that have none,
// those written before the column existed, a range of ids per transaction
// so that no lock is held for long. It returns how many posts it updated.
func (d *DB) BackfillSearchGrams(ctx context.Context) (int, error) {
	var first, last int64
	if err := d.Pool.QueryRow(ctx, `SELECT coalesce(min(id), 1), coalesce(max(id), 0) FROM board_posts`).Scan(&first, &last); err != nil {
		return 0, err
	}
	total := 0
	for from := first; from <= last; from += backfillBatch {
		n := 0
		err := pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
			rows, _ := tx.Query(ctx, `SELECT id, title, body FROM board_posts
				WHERE id >= $1 AND id < $2 AND search_grams = '{}' FOR UPDATE`, from, from+backfillBatch)
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
			// The posts' grams arrays differ in length, so they travel as
			// array literals.
			_, err = tx.Exec(ctx, `UPDATE board_posts AS p SET search_grams = v.grams::int[]
				FROM unnest($1::bigint[], $2::text[]) AS v (id, grams) WHERE p.id = v.id`, ids, grams)
			n = len(ids)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("backfill search grams of posts %d-%d: %w", from, from+backfillBatch-1, err)
		}
		total += n
	}
	return total, nil
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
