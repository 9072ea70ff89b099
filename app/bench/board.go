package bench

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardportal/portal/db"
)

// runBoard compares the board's first page (/board, no category, an
// anonymous visitor) with a bare net/http + pgx handler running the same SQL
// statement with the same arguments, the newest topics, as home does for the
// home page. The page's categories come from the app's memory, so the bare
// handler does not query them either.
func runBoard(ctx context.Context, env *Env) ([]Figure, error) {
	bare, err := newBareBoard(ctx, env)
	if err != nil {
		return nil, err
	}
	return compareWithBare(ctx, env, bare, "/board", "board", "board_bare")
}

// newBareBoard is the baseline of the board scenario: home's bare handler
// with the board's queries.
func newBareBoard(ctx context.Context, env *Env) (*bareHome, error) {
	// The same settings as the portal's pool, size included.
	pool, err := pgxpool.NewWithConfig(ctx, env.DB.Pool.Config())
	if err != nil {
		return nil, err
	}
	sql, args := db.BoardTopicsQuery()
	b := &bareHome{pool: pool, sections: []bareSection{{heading: "Topics", sql: sql, args: args}}}
	env.Logf("board: bare SQL: %s %v", sql, args)
	// The newest topic's title, for checking that both pages list the same.
	if b.firstTitle, err = newestTopicTitle(ctx, pool, sql, args...); err != nil {
		pool.Close()
		return nil, err
	}
	return b, nil
}

// newestTopicTitle returns the title column of the first row sql returns.
func newestTopicTitle(ctx context.Context, pool *pgxpool.Pool, sql string, args ...any) (string, error) {
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return "", err
		}
		return "", errors.New("the board lists no topics: is the database seeded?")
	}
	m, err := pgx.RowToMap(rows)
	if err != nil {
		return "", err
	}
	title, _ := m["title"].(string)
	return title, nil
}
