package bench

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// runBoard compares the board's first page (/board, no category, an
// anonymous visitor) with a bare net/http + pgx handler running the same two
// SQL statements, the categories and the newest topics, as home does for the
// home page.
func runBoard(ctx context.Context, env *Env) ([]Figure, error) {
	bare, err := newBareBoard(ctx, env)
	if err != nil {
		return nil, err
	}
	defer bare.pool.Close()
	// The bare page is served at / (bareHome answers nothing else); where it
	// lives does not change what it costs.
	bareURL, stop, err := env.Serve("bare", bare)
	if err != nil {
		return nil, err
	}
	defer stop()
	if err := checkSame(ctx, bareURL+"/", env.PortalURL+"/board", bare.firstTitle); err != nil {
		return nil, err
	}
	best, err := env.Compare(ctx,
		Target{Name: "bare", URL: bareURL + "/", Pool: bare.pool},
		Target{Name: "portal", URL: env.PortalURL + "/board", Pool: env.DB.Pool, Profile: true},
	)
	if err != nil {
		return nil, err
	}
	b, p := best[0], best[1]
	figs := []Figure{Ratio("board_vs_bare", p.RPS()/b.RPS())}
	figs = append(figs, LatencyFigures("board", p)...)
	figs = append(figs, LatencyFigures("board_bare", b)...)
	return figs, nil
}

// newBareBoard is the baseline of the board scenario: home's bare handler
// with the board's queries.
func newBareBoard(ctx context.Context, env *Env) (*bareHome, error) {
	// The same settings as the portal's pool, size included.
	pool, err := pgxpool.NewWithConfig(ctx, env.DB.Pool.Config())
	if err != nil {
		return nil, err
	}
	cats, topics := env.DB.BoardQueries()
	b := &bareHome{pool: pool, sections: []bareSection{
		{"Categories", cats.String()},
		{"Topics", topics.String()},
	}}
	for _, s := range b.sections {
		env.Logf("board: bare SQL: %s", s.sql)
	}
	// The newest topic's title, for checking that both pages list the same.
	if b.firstTitle, err = newestTopicTitle(ctx, pool, b.sections[1].sql); err != nil {
		pool.Close()
		return nil, err
	}
	return b, nil
}

// newestTopicTitle returns the title column of the first row sql returns.
func newestTopicTitle(ctx context.Context, pool *pgxpool.Pool, sql string) (string, error) {
	rows, err := pool.Query(ctx, sql)
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
